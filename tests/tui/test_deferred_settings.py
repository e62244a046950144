"""The first frame paints from the UI preferences; the full settings are validated after it.

A gate holds the settings loader so the tests see the app in the state a user sees during
start-up: picker painted, settings not validated yet.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Static

from coach.cli import main
from coach.exitcodes import ExitCode
from coach.settings import LoadedSettings, load_settings
from coach.settings_sources import read_ui_prefs
from coach.tui.app import CoachApp, create_app
from coach.tui.screens.briefing import BriefingScreen
from coach.tui.screens.help import HelpScreen
from coach.tui.screens.picker import PickerScreen
from coach.tui.screens.settings_screen import SettingsScreen
from tests.tui._history_helpers import plain
from tests.tui.conftest import WaitUntil

FLAGS: dict[str, Any] = {"offline": True}


def gated_app(scenario_ref: str | None = None) -> tuple[CoachApp, threading.Event]:
    gate = threading.Event()

    def load() -> LoadedSettings:
        assert gate.wait(30), "the test never opened the gate"
        return load_settings(flags=FLAGS)

    app = create_app(
        None,
        scenario_ref=scenario_ref,
        prefs=read_ui_prefs(flags=FLAGS),
        settings_loader=load,
        seed=7,
    )
    return app, gate


async def test_theme_keymap_and_exam_mode_from_the_config_are_on_the_first_frame(
    coach_home: Path, until: WaitUntil
) -> None:
    (coach_home / "config.toml").write_text(
        'theme = "nord"\nexam_mode = true\n[keymap]\nhelp = "f2"\n'
    )
    app, gate = gated_app()
    async with app.run_test(size=(120, 35)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PickerScreen), "picker")
        assert not app.settings_ready
        assert app.theme == "nord" and app.exam_mode
        await pilot.press("f2")  # the remapped help key works before validation
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        assert "f2" in plain(app.screen.query_one("#help-app", Static)).lower()
        assert str(coach_home) in plain(app.screen.query_one("#help-files", Static))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen), "picker again")
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        gate.set()
        await until(pilot, lambda: picker.library is not None, "library")
        assert app.settings_ready and app.settings.theme == "nord" and app.theme == "nord"


async def test_keys_pressed_before_validation_run_once_settings_are_ready(
    until: WaitUntil,
) -> None:
    app, gate = gated_app()
    async with app.run_test(size=(120, 35)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PickerScreen), "picker")
        await pilot.press("s", "s")  # impatient: twice
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen) and not app.settings_ready
        gate.set()
        await until(pilot, lambda: isinstance(app.screen, SettingsScreen), "settings screen")
        await pilot.pause()
        assert sum(isinstance(s, SettingsScreen) for s in app.screen_stack) == 1


async def test_coach_run_opens_the_briefing_once_settings_are_ready(until: WaitUntil) -> None:
    app, gate = gated_app("colleague-close-to-burnout")
    async with app.run_test(size=(120, 35)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PickerScreen), "picker")
        gate.set()
        await until(pilot, lambda: isinstance(app.screen, BriefingScreen), "briefing")


@pytest.fixture
def headless_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """`coach` runs its app headless, as on a terminal but without one."""

    def run(self: CoachApp) -> None:
        App.run(self, headless=True, size=(100, 30))

    monkeypatch.setattr(CoachApp, "run", run)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ('max_retries = 99\napi_key = "sk-do-not-show-me-123456"\n', "max_retries (config)"),
        ('api_key = "sk-do-not-show-me-123456"\nmodel = \n', "config.toml"),
        ('api_key = "sk-do-not-show-me-123456"\nmodle = "x"\n', "unknown setting(s): modle"),
    ],
)
@pytest.mark.parametrize("argv", [[], ["run", "colleague-close-to-burnout"]])
def test_a_bad_config_closes_the_app_with_the_message_and_exit_code(
    coach_home: Path,
    headless_run: None,
    capsys: pytest.CaptureFixture[str],
    config: str,
    expected: str,
    argv: list[str],
) -> None:
    (coach_home / "config.toml").write_text(config)
    assert main(argv) == ExitCode.CONFIG
    err = capsys.readouterr().err
    assert err.startswith("coach: error: ") and expected in err
    assert "do-not-show-me" not in err


def test_the_first_frame_needs_no_pydantic(coach_home: Path) -> None:
    code = (
        "import asyncio, sys, threading\n"
        "from coach.commands.run import make_tui_app\n"
        "from coach.tui.screens.picker import PickerScreen\n"
        "app = make_tui_app({'offline': True})\n"
        "gate = threading.Event()\n"
        "load = app._settings_loader\n"
        "app._settings_loader = lambda: (gate.wait(30), load())[1]\n"
        "async def main():\n"
        "    async with app.run_test() as pilot:\n"
        "        while not isinstance(app.screen, PickerScreen):\n"
        "            await pilot.pause()\n"
        "        await pilot.pause()\n"
        "        print('pydantic' in sys.modules)\n"
        "        gate.set()\n"
        "        while not app.settings_ready:\n"
        "            await pilot.pause()\n"
        "        print('pydantic' in sys.modules)\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert out == ["False", "True"]
