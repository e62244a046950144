"""The lenient, pydantic-free read of what the first frame needs (theme, keymap, exam mode)."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.settings import load_settings
from coach.settings_sources import DEFAULT_THEME, read_ui_prefs


def test_ui_prefs_agree_with_the_validated_settings(coach_home: Path) -> None:
    (coach_home / "config.toml").write_text(
        'theme = "nord"\nexam_mode = true\nmodel = "m"\n[keymap]\nhelp = "f2"\n'
    )
    prefs = read_ui_prefs()
    settings = load_settings().settings
    assert prefs.home == settings.home == coach_home
    assert (prefs.theme, prefs.keymap, prefs.exam_mode) == (
        settings.theme,
        settings.keymap,
        settings.exam_mode,
    )
    assert prefs.theme == "nord" and prefs.keymap == {"help": "f2"} and prefs.exam_mode


def test_flags_beat_the_config_file_and_choose_the_home(coach_home: Path, tmp_path: Path) -> None:
    (coach_home / "config.toml").write_text('theme = "nord"\n')
    other = tmp_path / "other-home"
    other.mkdir()
    (other / "config.toml").write_text('theme = "dracula"\n')
    assert read_ui_prefs(flags={"exam_mode": True}).exam_mode is True
    assert read_ui_prefs(flags={"exam_mode": None}).theme == "nord"
    prefs = read_ui_prefs(flags={"home": str(other)})
    assert prefs.home == other and prefs.theme == "dracula"


@pytest.mark.parametrize(
    "content",
    [
        'theme = "nord"\nmodel = \n',  # not TOML
        "theme = 3\n[keymap]\nhelp = 2\n",  # wrong types
        b"\xff\xfe",  # not UTF-8
    ],
)
def test_a_bad_config_file_gives_defaults_not_an_error(
    coach_home: Path, content: str | bytes
) -> None:
    path = coach_home / "config.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    prefs = read_ui_prefs()
    assert (prefs.theme, prefs.keymap, prefs.exam_mode) == (DEFAULT_THEME, {}, False)
