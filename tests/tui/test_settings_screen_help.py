"""Help screen: the current screen's keys first, every screen's keys, keymap, files.

Kept beside the settings tests (the help is opened from the same app menu)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from coach.settings import Settings
from coach.tui.screens.help import HelpScreen, class_bindings
from coach.tui.screens.history import HistoryScreen
from coach.tui.screens.replay_viewer import ReplayViewerScreen

try:
    from ._history_helpers import plain, settings, standard_history, wait_loaded
except ImportError:  # tests/tui without __init__.py
    from _history_helpers import (  # type: ignore[no-redef]
        plain,
        settings,
        standard_history,
        wait_loaded,
    )


class KeysApp(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("f1", "help", "Help", id="help")]

    def __init__(self, home: Path, keymap: dict[str, str]) -> None:
        super().__init__()
        self.settings = Settings(home=home, keymap=keymap)

    def compose(self) -> ComposeResult:
        yield Static("base")

    def action_help(self) -> None:
        self.push_screen(HelpScreen())


def test_class_bindings_merge_bases_and_keys() -> None:
    rows = {b.action: b.key for b in class_bindings(ReplayViewerScreen)}
    assert rows["step(1)"] == "right,j"
    assert rows["close"] == "escape"


async def test_help_lists_current_screen_all_screens_keymap_and_files(tmp_path: Path) -> None:
    app = KeysApp(tmp_path, {"replay.branch": "ctrl+y"})
    async with app.run_test(size=(120, 60)) as pilot:
        app.push_screen(ReplayViewerScreen(tmp_path / "missing.jsonl"))
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        current = plain(help_screen.query_one("#help-current", Static))
        assert current.startswith("This screen: Replay viewer")
        assert "^y                    Next branch" in current  # the keymap wins
        assert "→ / j" in current or "right / j" in current
        everywhere = plain(help_screen.query_one("#help-app", Static))
        assert "Help" in everywhere and "F1" in everywhere.upper()
        screens = plain(help_screen.query_one("#help-screens", Static))
        assert "History & progress" in screens and "Play recommended" in screens
        assert "Self-assessment" in screens
        sending = plain(help_screen.query_one("#help-sending", Static))
        assert "Enter inserts a new line" in sending and "Ctrl+S sends" in sending
        files = plain(help_screen.query_one("#help-files", Static))
        assert str(tmp_path / "sessions") in files
        assert str(tmp_path / "config.toml") in files
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ReplayViewerScreen)


async def test_a_key_the_screen_and_its_focused_field_both_bind_is_listed_once(
    tmp_path: Path,
) -> None:
    # History's table binds Enter (Replay) itself so that its footer names it.
    s = settings()
    await standard_history(s)
    app = KeysApp(tmp_path, {})
    async with app.run_test(size=(120, 60)) as pilot:
        screen = HistoryScreen(s)
        app.push_screen(screen)
        await wait_loaded(pilot, screen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        current = plain(app.screen.query_one("#help-current", Static))
        assert current.startswith("This screen: History & progress")
        assert current.count("Replay") == 1
