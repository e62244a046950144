"""The whole learner path on the offline backend, driven through the keyboard like a user.

pick (search) → briefing → five turns with live scores → hint → rewind one turn and send a
different reply → finish → debrief (→ history and replay viewer when those screens exist).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.widgets import OptionList, Static, TextArea

from coach.settings import Settings
from coach.transcript import read_transcript
from coach.tui.app import CoachApp
from coach.tui.screens.briefing import BriefingScreen
from coach.tui.screens.conversation import ConversationScreen, RewindScreen
from coach.tui.screens.debrief import DebriefScreen
from coach.tui.widgets.scored_turn import ScoredTurnView
from tests.tui._history_helpers import plain, text_of
from tests.tui.conftest import loaded_picker

WaitUntil = Any  # the `until` fixture: async (pilot, condition, what) -> None

LINES = [
    "That sounds like a really heavy month. What has it been like for you?",
    "So you've been working nights and it still feels like you're behind.",
    "It sounds exhausting, and maybe a bit lonely too. What makes it hard to ask for help?",
    "You'd rather carry it yourself than let the team down.",
    "What would one small change look like for you this week?",
]


def rendered(widget: Static) -> str:
    return plain(widget)


async def test_learner_path(
    make_app: Callable[..., CoachApp], until: WaitUntil, settings: Settings
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        picker = await loaded_picker(app, pilot)
        assert len(picker.visible_ids) >= 10

        # Search narrows the list; with one match left, Enter opens its briefing.
        await pilot.press("slash")
        await pilot.press(*"burnout")
        await until(pilot, lambda: picker.visible_ids == ["colleague-close-to-burnout"])
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, BriefingScreen), "briefing")
        body = rendered(app.screen.query_one("#briefing-body", Static))
        for part in ("Your role", "Your goal", "What you know", "Skills in focus", "Kai"):
            assert part in body

        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConversationScreen), "conversation")
        conv = app.screen
        assert isinstance(conv, ConversationScreen)
        area = conv.query_one("#input", TextArea)
        await until(pilot, lambda: app.focused is area, "input focused")
        session = conv.session
        # Offline, the status line names the backend and says no model is being billed.
        status = rendered(conv.query_one("#status", Static))
        assert "offline" in status and "no API calls" in status and "tokens" not in status
        # The turn and the counterpart's state come first: a narrow terminal cuts the end
        # (at 80 columns it cut "trust 40 · tension" before its number).
        assert status.startswith("turn 0/") and status.index("tension") < status.index("offline")
        # The counterpart's mood, never the trainer's stage id.
        assert f"· {session.state.mood} │" in status
        stages = session.scenario.offline_script.stages
        assert all(f" {stage.id} " not in status for stage in stages)

        # Five turns; Enter in the input is a newline, Ctrl+S sends.
        for n, line in enumerate(LINES, start=1):
            if n == 3:  # ask for a hint mid-conversation
                await pilot.press("ctrl+t")
                hint = conv.query_one("#hint", Static)
                await until(pilot, lambda: conv.hint_text != "", "hint")
                assert hint.display and "Hint" in rendered(hint)
            area.insert(line)
            await pilot.press("ctrl+s")
            await until(
                pilot,
                lambda n=n: (
                    session.turn_count == n
                    and not conv.streaming
                    and session.turns[-1].reply is not None
                ),
                f"reply {n}",
            )
            assert area.text == ""  # cleared only once the turn was recorded
        assert session.turn_count == 5
        await until(pilot, lambda: all(v.score is not None for v in conv.views.values()))
        views = list(conv.query(ScoredTurnView))
        assert [v.turn_id for v in views] == ["L1", "L2", "L3", "L4", "L5"]
        # Labelled as counted ("You · turn 2"), not by id (which runs on after a rewind).
        assert rendered(views[1].query_one(".turn-who", Static)) == "You · turn 2"
        scores_line = str(views[0].query_one(".turn-scores", Static).render())
        assert "Empathy" in scores_line and "…" not in scores_line
        # Evidence is highlighted in the learner's own words.
        assert views[0].query_one(".turn-text", Static).render().spans  # type: ignore[union-attr]

        # Rewind the last turn: its text comes back into the input.
        await pilot.press("ctrl+b")
        await until(pilot, lambda: isinstance(app.screen, RewindScreen), "rewind dialog")
        choices = app.screen.query_one(OptionList)
        # Each turn is there in full (wrapped under its own first line), not cut at 70.
        assert [text_of(choices.get_option_at_index(i).prompt) for i in range(5)] == [
            f"turn {n}  {line}" for n, line in enumerate(LINES, start=1)
        ]
        # Down on the newest turn stays there (it wrapped to turn 1: one Enter from
        # rewinding everything), and the dialog says what leaves the conversation.
        await pilot.press("down")
        assert choices.highlighted == 4
        effect = rendered(app.screen.query_one("#rewind-effect", Static))
        assert effect.startswith("Turn 5 leaves the conversation")
        await pilot.press("up")
        effect = rendered(app.screen.query_one("#rewind-effect", Static))
        assert effect.startswith("Turns 4–5 leave the conversation")
        await pilot.press("down", "enter")  # back on the last turn
        await until(pilot, lambda: session.turn_count == 4, "rewound")
        await until(pilot, lambda: area.text == LINES[4], "input pre-filled")
        area.clear()
        area.insert("What would help most right now, even something small?")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: session.turn_count == 5 and not conv.streaming, "new branch")
        assert len(read_transcript(session.path).branches()) == 2
        newest = list(conv.query(ScoredTurnView))[-1]
        assert newest.turn_id == "L6"
        assert rendered(newest.query_one(".turn-who", Static)) == "You · turn 5"

        # Finish → (self-assessment) → debrief.
        await pilot.press("ctrl+g")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, DebriefScreen)
                or type(app.screen).__name__ == "SelfAssessmentScreen"
            ),
            "debrief or self-assessment",
        )
        if not isinstance(app.screen, DebriefScreen):
            app.screen.dismiss({"empathy": 4, "active_listening": 3, "clarity": 5})
            await until(pilot, lambda: isinstance(app.screen, DebriefScreen), "debrief")
        debrief = app.screen
        assert isinstance(debrief, DebriefScreen)
        assert "Outcome" in rendered(debrief.query_one("#outcome", Static))
        skills = str(debrief.query_one("#skills", Static).render())
        assert skills  # rendered table
        assert "Reflections" in rendered(debrief.query_one("#miti", Static))
        branches = debrief.query_one("#branches", Static)
        assert branches.display and "Branches" in rendered(branches)
        # By turn number, as the rest of the debrief counts: not "L1 → L2 → ... → L6".
        lines = rendered(branches).splitlines()
        assert "left at turn 5: 5 turns" in lines[1] and "kept: 5 turns" in lines[2]
        assert "L1" not in rendered(branches)

        # Export Markdown and HTML under home/exports.
        await pilot.press("m")
        await pilot.press("x")
        await until(pilot, lambda: len(debrief.exported) == 2, "exports")
        for path in debrief.exported:
            assert path.parent == settings.home / "exports" and path.stat().st_size > 200
        md = next(p for p in debrief.exported if p.suffix == ".md").read_text()
        assert LINES[0] in md
        assert "**You (turn 1):**" in md  # numbered as the debrief counts, not by turn id
        page = next(p for p in debrief.exported if p.suffix == ".html").read_text()
        # A rendered page (it was the Markdown source inside <pre>).
        assert "<table>" in page and "<h2>" in page and "<pre>" not in page
        assert "| Skill |" not in page

        # The session is in history; Enter opens it in the replay viewer, which steps through it.
        from coach.tui.screens.history import HistoryScreen
        from coach.tui.screens.replay_viewer import ReplayViewerScreen

        await pilot.press("h")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen), "history")
        history = app.screen
        assert isinstance(history, HistoryScreen)
        await until(pilot, lambda: history.loaded, "history loaded")
        assert history.selected_path() == session.path
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ReplayViewerScreen), "replay viewer")
        viewer = app.screen
        assert isinstance(viewer, ReplayViewerScreen)
        assert viewer.transcript is not None and viewer.index == 0
        await pilot.press("right")
        await until(pilot, lambda: viewer.index == 1, "next turn")


async def test_run_scenario_opens_on_briefing(
    make_app: Callable[..., CoachApp], until: WaitUntil
) -> None:
    app = make_app(scenario_ref="salary-offer-negotiation")
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, BriefingScreen), "briefing")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConversationScreen))
        await until(pilot, lambda: app.focused is app.screen.query_one("#input"))


async def test_exam_mode_hides_scores(
    make_app: Callable[..., CoachApp], until: WaitUntil, settings: Settings
) -> None:
    app = make_app(settings=settings.model_copy(update={"exam_mode": True}))
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_scenario_ref("salary-offer-negotiation")
        await until(pilot, lambda: isinstance(app.screen, BriefingScreen))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConversationScreen))
        conv: Any = app.screen
        conv.query_one("#input", TextArea).insert("I hear you. What matters most to you here?")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: conv.views and conv.views["L1"].score is not None)
        line = str(conv.views["L1"].query_one(".turn-scores", Static).render())
        assert "hidden" in line and "." not in line.replace("…", "")
        await pilot.press("ctrl+o")  # toggle: scores shown
        line = str(conv.views["L1"].query_one(".turn-scores", Static).render())
        assert "hidden" not in line
