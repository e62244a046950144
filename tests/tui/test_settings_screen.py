"""Settings screen: sources shown, the key masked and never written, edits saved to TOML."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Select, Static, Switch

from coach.settings import LoadedSettings, SettingsError, load_settings
from coach.tui.app import CoachApp
from coach.tui.screens.settings_screen import SettingsScreen, save_config
from tests.other_process import ROOT

try:
    from ._history_helpers import ScreenApp, plain
except ImportError:  # tests/tui without __init__.py
    from _history_helpers import ScreenApp, plain  # type: ignore[no-redef]

KEY = "sk-test-SECRET-0123456789abcdef"


def write_config(home: Path, text: str) -> Path:
    path = home / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_shows_sources_masks_the_key_and_saves_edits(
    coach_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(
        coach_home,
        'judge_model = "judge-x"\nmax_retries = 5\n\n[keymap]\n"history" = "ctrl+h"\n',
    )
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    loaded = load_settings()
    screen = SettingsScreen(loaded)
    app = ScreenApp(screen)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        key_text = plain(screen.query_one("#settings-key", Static))
        assert KEY not in key_text and "(31 chars)" in key_text
        assert "environment" in key_text
        table = screen.query_one("#settings-table", DataTable)
        cells = {str(table.get_row(k)[0]): str(table.get_row(k)[2]) for k in table.rows}
        assert cells["judge_model"] == "config file"
        assert cells["api_key"] == "environment"
        assert cells["model"] == "default"
        assert all(KEY not in str(c) for k in table.rows for c in table.get_row(k))

        model = screen.query_one("#set-model", Input)
        model.value = "llama3.1:8b"
        screen.query_one("#set-base_url", Input).value = "http://localhost:11434/v1"
        screen.query_one("#set-exam_mode", Switch).value = True
        screen.query_one("#set-theme", Select).value = "nord"
        assert screen.query_one("#set-scorer", Select).value == "heuristic"
        screen.query_one("#set-scorer", Select).value = "llm"  # the judge for new sessions
        await pilot.pause()
        assert app.theme == "nord"  # previewed at once
        await pilot.press("ctrl+s")
        await pilot.pause()

    saved = tomllib.loads(config.read_text(encoding="utf-8"))
    assert saved == {
        "judge_model": "judge-x",
        "max_retries": 5,
        "keymap": {"history": "ctrl+h"},
        "model": "llama3.1:8b",
        "base_url": "http://localhost:11434/v1",
        "exam_mode": True,
        "theme": "nord",
        "scorer": "llm",
    }
    assert KEY not in config.read_text(encoding="utf-8")
    assert isinstance(app.result, LoadedSettings)
    assert app.result.settings.model == "llama3.1:8b"
    assert app.result.sources["model"] == "config"
    # What was saved is what load_settings now reads.
    again = load_settings().settings
    assert (again.model, again.base_url, again.exam_mode, again.theme) == (
        "llama3.1:8b",
        "http://localhost:11434/v1",
        True,
        "nord",
    )


async def test_env_override_is_explained_and_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_MODEL", "[bold]env-model[/]")
    loaded = load_settings()
    screen = SettingsScreen(loaded)
    app = ScreenApp(screen)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        assert screen.query_one("#set-model", Input).value == "[bold]env-model[/]"
        hints = [plain(w) for w in screen.query(".hint")]
        assert any("$COACH_MODEL wins over the config file" in h for h in hints)
        screen.query_one("#set-model", Input).value = "other"
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert isinstance(app.result, LoadedSettings)
    assert app.result.settings.model == "[bold]env-model[/]"  # env still wins


async def test_invalid_base_url_is_refused_and_esc_restores_theme(coach_home: Path) -> None:
    screen = SettingsScreen(load_settings())
    app = ScreenApp(screen)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        before = app.theme
        screen.query_one("#set-base_url", Input).value = "localhost:8080"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "must start with http" in plain(screen.query_one("#settings-error", Static))
        assert app.screen is screen
        assert not (coach_home / "config.toml").exists()
        screen.query_one("#set-theme", Select).value = "nord"
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.result is None
        assert app.theme == before


def test_save_config_never_overwrites_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("model = [unclosed\n", encoding="utf-8")
    with pytest.raises(SettingsError):
        save_config(path, {"model": "x"})
    assert path.read_text(encoding="utf-8") == "model = [unclosed\n"


def test_save_config_round_trips_awkward_values(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[keymap]\n"weird key" = "ctrl+x"\n', encoding="utf-8")
    model = 'a "quoted" \\ back\nslash\x1b'
    saved = save_config(path, {"model": model, "exam_mode": False, "request_timeout": 1.5})
    expected = {
        "model": model,
        "exam_mode": False,
        "request_timeout": 1.5,
        "keymap": {"weird key": "ctrl+x"},
    }
    assert saved == expected
    assert tomllib.loads(path.read_text(encoding="utf-8")) == expected
    save_config(path, {"base_url": "http://x"})
    save_config(path, {"base_url": None, "exam_mode": None, "request_timeout": None})
    assert tomllib.loads(path.read_text(encoding="utf-8")) == {
        "model": model,
        "keymap": {"weird key": "ctrl+x"},
    }
    assert path.stat().st_mode & 0o777 == 0o600


def test_save_config_keeps_the_learners_comments_and_order(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    before = (
        "# coach settings, edited by hand\n"
        'theme = "nord"  # easy on the eyes\n'
        'model = "gpt-4o-mini"\n'
        "\n"
        "[keymap]\n"
        "# F1 is taken by my terminal\n"
        'help = "f2"\n'
    )
    path.write_text(before, encoding="utf-8")
    save_config(path, {"model": "llama3.1", "exam_mode": True})
    after = path.read_text(encoding="utf-8")
    assert after.startswith(before.split("model")[0])  # the header comment, theme and its note
    assert 'model = "llama3.1"\n' in after
    assert "# F1 is taken by my terminal\n" in after
    # A new top-level key goes above the tables, or TOML would read it as keymap's.
    assert tomllib.loads(after)["exam_mode"] is True
    assert after.index("exam_mode") < after.index("[keymap]")


async def test_in_the_app_saving_exam_mode_switches_it_live(
    make_app: Callable[..., CoachApp], until: Any, coach_home: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 50)) as pilot:
        await until(pilot, lambda: type(app.screen).__name__ == "PickerScreen", "picker")
        assert not app.exam_mode
        app.action_settings()
        await until(pilot, lambda: isinstance(app.screen, SettingsScreen), "settings")
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        await until(pilot, lambda: isinstance(app.focused, Input), "mounted, model focused")
        screen.query_one("#set-exam_mode", Switch).value = True
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, SettingsScreen), "closed")
        assert app.exam_mode
    saved = tomllib.loads((coach_home / "config.toml").read_text(encoding="utf-8"))
    assert saved == {"exam_mode": True}


async def test_a_theme_picked_in_the_palette_is_kept_for_next_time(
    make_app: Callable[..., CoachApp], until: Any, coach_home: Path
) -> None:
    # It lasted until quit: only the Settings screen wrote the theme to the config.
    app = make_app()
    async with app.run_test(size=(120, 50)) as pilot:
        await until(pilot, lambda: type(app.screen).__name__ == "PickerScreen", "picker")
        app.search_themes()
        await pilot.pause()
        await pilot.press(*"gruvbox", "enter")
        await until(pilot, lambda: app.theme == "gruvbox", "theme picked")
        config = coach_home / "config.toml"
        await until(pilot, config.is_file, "theme saved")
        assert app.settings.theme == "gruvbox"  # Settings opened now shows it
    saved = tomllib.loads(config.read_text(encoding="utf-8"))
    assert saved == {"theme": "gruvbox"}


def test_saves_from_two_processes_at_once_keep_both_keys(tmp_path: Path) -> None:
    # Read, edit, replace from two processes at once: a tester lost one of the two saved
    # keys in one round out of six.
    path = tmp_path / "config.toml"
    code = """
        import sys
        from pathlib import Path
        from coach.tui.screens.settings_screen import save_config
        for i in range(25):
            save_config(Path(sys.argv[1]), {f"{sys.argv[2]}_{i}": i})
        """
    writers = [
        subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), str(path), name], cwd=ROOT)
        for name in ("a", "b")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    saved = tomllib.loads(path.read_text(encoding="utf-8"))
    assert sorted(saved) == sorted(f"{n}_{i}" for n in "ab" for i in range(25))
