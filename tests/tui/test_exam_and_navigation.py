"""Exam mode holds wherever scores could show, and a scenario started from History never
leaves an older debrief or a live conversation underneath its briefing."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.widgets import Static

from coach.settings import Settings
from coach.tui.app import CoachApp
from coach.tui.screens.briefing import BriefingScreen
from coach.tui.screens.conversation import ConversationScreen
from coach.tui.screens.picker import PickerScreen
from coach.tui.screens.replay_viewer import ReplayViewerScreen
from tests.tui._history_helpers import plain
from tests.tui.conftest import open_conversation, send_and_wait_for_reply, wait_until

WaitUntil = Any


async def test_ctrl_o_updates_the_status_line_and_is_kept_for_the_next_start(
    make_app: Callable[..., CoachApp], until: WaitUntil, settings: Settings
) -> None:
    app = make_app()
    async with app.run_test(size=(140, 30)) as pilot:
        conv = await open_conversation(app, pilot)
        status = conv.query_one("#status", Static)
        assert "exam mode" not in plain(status)
        await pilot.press("ctrl+o")
        assert "exam mode" in plain(status)  # at once, not after the next turn
        await until(pilot, settings.config_path.is_file, "the choice saved")
        saved = tomllib.loads(settings.config_path.read_text(encoding="utf-8"))
        assert saved["exam_mode"] is True
        await pilot.press("ctrl+o")
        assert "exam mode" not in plain(status)
        await until(
            pilot,
            lambda: "exam_mode = false" in settings.config_path.read_text(encoding="utf-8"),
            "the change saved",
        )


async def viewer_parts(app: CoachApp, pilot: Any, path: Path) -> tuple[str, str]:
    """The replay viewer's learner and feedback parts for the first turn of `path`."""
    app.open_replay(path)
    await wait_until(pilot, lambda: isinstance(app.screen, ReplayViewerScreen), "viewer")
    await pilot.pause()
    screen = app.screen
    return (
        plain(screen.query_one("#replay-learner", Static)),
        plain(screen.query_one("#replay-feedback", Static)),
    )


async def test_the_replay_viewer_hides_an_unfinished_sessions_scores_in_exam_mode(
    make_app: Callable[..., CoachApp], until: WaitUntil
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        conv = await open_conversation(app, pilot)
        await send_and_wait_for_reply(pilot, conv, "I hear you. What matters most to you here?")
        await until(pilot, lambda: conv.views["L1"].score is not None, "scored")
        await pilot.press("ctrl+o")
        learner, feedback = await viewer_parts(app, pilot, conv.session.path)
        assert "hidden" in learner and "Empathy hidden" in learner
        assert not any(ch.isdigit() for ch in learner.split("\n")[-1])
        assert "hidden until the debrief" in feedback and "Tip" not in feedback
        await pilot.press("escape")
        await pilot.press("ctrl+o")  # exam mode off: the same view shows the numbers
        learner, _ = await viewer_parts(app, pilot, conv.session.path)
        assert "hidden" not in learner and any(ch.isdigit() for ch in learner)


async def test_a_scenario_opened_over_a_conversation_starts_from_home(
    make_app: Callable[..., CoachApp], until: WaitUntil
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        conv = await open_conversation(app, pilot)
        await send_and_wait_for_reply(pilot, conv, "I hear you. What matters most to you here?")
        from textual.widgets import TextArea

        conv.query_one("#input", TextArea).insert("an unsent thought")
        # What History's "play recommended" does, over a live conversation.
        app.open_scenario_ref("upset-customer-wrong-order")
        await until(pilot, lambda: isinstance(app.screen, BriefingScreen), "briefing")
        assert not any(isinstance(s, ConversationScreen) for s in app.screen_stack)
        await pilot.pause()
        shown = [n.message for n in app._notifications]
        assert any("continue it from Recent sessions" in m for m in shown), shown
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen), "home, not the old one")
        # The unsent reply was kept for when the session is continued.
        from coach.drafts import load_draft

        assert load_draft(conv.session.path) == "an unsent thought"
