"""Replay viewer: stepping through real sessions, branches, hostile text and damaged files."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from coach.transcript import read_transcript
from coach.tui.screens.replay_viewer import ReplayViewerScreen

try:
    from ._history_helpers import (
        GOOD,
        NASTY,
        ScreenApp,
        plain,
        play_session,
        score_result,
        settings,
        write_transcript,
    )
except ImportError:  # tests/tui without __init__.py
    from _history_helpers import (  # type: ignore[no-redef]
        GOOD,
        NASTY,
        ScreenApp,
        plain,
        play_session,
        score_result,
        settings,
        write_transcript,
    )


def shown(screen: ReplayViewerScreen, name: str) -> str:
    return plain(screen.query_one(f"#replay-{name}", Static))


async def test_steps_through_a_real_session_with_scores() -> None:
    s = settings()
    path = await play_session(
        s,
        "salary-offer-negotiation",
        GOOD,
        created_at="2025-03-06T12:00:00.000Z",
        self_ratings={"empathy": 4, "active_listening": 3, "clarity": 5},
    )
    exchanges = read_transcript(path).active_path()
    assert len(exchanges) == len(GOOD)
    screen = ReplayViewerScreen(path)
    app = ScreenApp(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "2025-03-06 12:00 UTC" in shown(screen, "title")
        # No rewinds, so no "b Next branch" among the keys on offer.
        actions = {b.binding.action for b in screen.active_bindings.values() if b.enabled}
        assert "step(1)" in actions and "branch(1)" not in actions
        assert "You rated yourself: Empathy 4" in shown(screen, "title")
        assert shown(screen, "position").startswith(f"Turn 1 of {len(GOOD)}")
        assert GOOD[0] in shown(screen, "learner")
        # The context is the opening line, said by the counterpart's name (it used to say
        # "Counterpart"); scores and tips are on screen.
        assert exchanges[0].context in shown(screen, "context")
        assert shown(screen, "context").startswith("Dana Whitfield\n")
        assert shown(screen, "state").startswith("Dana Whitfield: trust")
        first = exchanges[0].score
        assert first is not None
        assert f"Empathy {first.empathy.score:.1f}" in shown(screen, "feedback")
        assert f"Listening {first.active_listening.score:.1f}" in shown(screen, "learner")
        assert "trust" in shown(screen, "state")
        await pilot.press("right")
        assert screen.index == 1 and GOOD[1] in shown(screen, "learner")
        await pilot.press("j", "j")
        assert screen.index == 3
        await pilot.press("j")  # clamps at the end
        assert screen.index == 3
        assert "Session ended" in shown(screen, "reply")
        await pilot.press("k")
        assert screen.index == 2
        await pilot.press("home")
        assert screen.index == 0
        await pilot.press("end")
        assert screen.index == len(GOOD) - 1
        await pilot.press("left")
        assert screen.index == len(GOOD) - 2
        await pilot.press("escape")
        await pilot.pause()
        assert app.result is None


async def test_shows_rewound_branches() -> None:
    s = settings()
    path = await play_session(
        s,
        "peer-missed-deadlines",
        ["Calm down, it's not a big deal.", "Whatever."],
        created_at="2025-03-07T12:00:00.000Z",
        rewind_to="L1",
        after_rewind=["That sounds stressful. What got in the way?"],
    )
    screen = ReplayViewerScreen(path)
    app = ScreenApp(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert len(screen.branches) == 2
        actions = {b.binding.action for b in screen.active_bindings.values() if b.enabled}
        assert "branch(1)" in actions
        assert "branch 2 of 2 (kept)" in shown(screen, "position")
        assert "What got in the way?" in shown(screen, "learner")
        await pilot.press("b")
        assert screen.branch == 0
        assert "branch 1 of 2 (rewound)" in shown(screen, "position")
        assert "Calm down" in shown(screen, "learner")
        await pilot.press("j")
        assert "Whatever." in shown(screen, "learner")


def hostile_events() -> list[dict[str, object]]:
    return [
        {"type": "counterpart", "turn_id": "C0", "reply_to": None, "text": NASTY},
        {"type": "learner", "turn_id": "L1", "parent": "C0", "text": "I hear " + NASTY},
        {"type": "hint", "after": "C0", "text": "Try [@click=app.quit]this[/]"},
        {
            "type": "state",
            "after": "L1",
            "trust": 50,
            "tension": 40,
            "mood": "[bold]m",
            "stage": "[/",
            "move": "[@click=app.quit]x[/]",
        },
        {"type": "score", "turn_id": "L1", "result": score_result(3.2, "I hear", NASTY)},
        {
            "type": "counterpart",
            "turn_id": "C1",
            "reply_to": "L1",
            "text": NASTY,
            "complete": False,
            "error": {"kind": "server", "message": "500 [/bold] [@click=app.quit]x[/]"},
        },
    ]


async def test_markup_and_escapes_render_literally_and_trigger_nothing(tmp_path: Path) -> None:
    path = write_transcript(
        tmp_path / "nasty.jsonl",
        hostile_events(),
        scenario_title="[@click=app.quit]T[/]",
        counterpart_name="[b]Dana[/b]",
    )
    screen = ReplayViewerScreen(path)
    app = ScreenApp(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        literal = "[bold]x[/bold] and [/ and [@click=app.quit]q[/] and \\x1b[31mred"
        assert literal in shown(screen, "context")
        assert "I hear " + literal in shown(screen, "learner")
        assert literal in shown(screen, "reply")
        assert "500 [/bold] [@click=app.quit]x[/]" in shown(screen, "reply")
        assert "[@click=app.quit]T[/]" in shown(screen, "title")
        assert shown(screen, "context").startswith("[b]Dana[/b]\n")  # the name, literally
        assert "Try [@click=app.quit]this[/]" in shown(screen, "hints")
        assert "[bold]m" in shown(screen, "state") and "[@click=app.quit]x[/]" in shown(
            screen, "state"
        )
        assert "Tip: " + literal in shown(screen, "feedback")
        assert "\x1b" not in "".join(shown(screen, n) for n in ("context", "learner", "reply"))
        # Clicking over the text must not run the embedded action.
        for y in range(2, 20):
            await pilot.click(offset=(10, y))
        await pilot.pause()
        assert app.is_running and app.screen is screen


async def test_torn_last_line_shows_its_warning(tmp_path: Path) -> None:
    path = write_transcript(tmp_path / "torn.jsonl", hostile_events()[:2])
    with path.open("a", encoding="utf-8") as f:
        f.write('{"type": "score", "turn_id": "L1", "res')
    screen = ReplayViewerScreen(path)
    app = ScreenApp(screen)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert screen.query_one("#replay-warnings").display
        assert "incomplete last line" in shown(screen, "warnings")
        assert "Not scored." in shown(screen, "feedback")
        assert shown(screen, "position").startswith("Turn 1 of 1")


async def test_unreadable_file_shows_the_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "[bold]bad[@click=app.quit].jsonl"
    path.write_text("nonsense [/bold]\n{}\n", encoding="utf-8")
    missing = tmp_path / "missing.jsonl"
    for target in (path, missing):
        screen = ReplayViewerScreen(target)
        app = ScreenApp(screen)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert screen.transcript is None
            assert "Could not read this session" in shown(screen, "warnings")
            assert "No learner turns" in shown(screen, "position")
            assert target.name in shown(screen, "title")
            await pilot.press("right", "b", "end")
            assert app.is_running


async def test_moves_and_reveals_are_shown_as_words(tmp_path: Path) -> None:
    events = hostile_events()
    state = next(e for e in events if e["type"] == "state")
    state.update(move="open_question", revealed=["team-stretched"], mood="", stage="")
    screen = ReplayViewerScreen(write_transcript(tmp_path / "ids.jsonl", events))
    async with ScreenApp(screen).run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        line = shown(screen, "state")
        assert "your move open question" in line and "revealed team stretched" in line
