"""History inside the real CoachApp: opened from the picker, a session replays on Enter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coach.settings import Settings
from coach.tui.app import CoachApp
from coach.tui.screens.history import HistoryScreen
from coach.tui.screens.replay_viewer import ReplayViewerScreen

try:
    from ._history_helpers import GOOD, play_session, wait_loaded
except ImportError:  # tests/tui without __init__.py
    from _history_helpers import GOOD, play_session, wait_loaded  # type: ignore[no-redef]


async def test_history_from_the_app_opens_the_replay_viewer(
    make_app: Callable[..., CoachApp], until: Any, settings: Settings
) -> None:
    path = await play_session(
        settings, "peer-missed-deadlines", GOOD, created_at="2025-03-03T18:30:00.000Z"
    )
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: type(app.screen).__name__ == "PickerScreen", "picker")
        app.action_history()
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen), "history")
        history = app.screen
        assert isinstance(history, HistoryScreen)
        await wait_loaded(pilot, history)
        assert history.selected_path() == path
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ReplayViewerScreen), "replay")
        viewer = app.screen
        assert isinstance(viewer, ReplayViewerScreen)
        assert viewer.path == path and len(viewer.turns) == len(GOOD)
        await pilot.press("end")
        assert viewer.index == len(GOOD) - 1
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is history, "back to history")
