"""Where settings come from, without pydantic: env var names, the config file, the home folder,
and the few UI preferences the first frame needs.

`coach.settings` builds the validated `Settings` from these same readers. The TUI reads
`read_ui_prefs` to paint its first frame (theme, keys, exam mode) before pydantic is imported
(about a third of the start-up time), then validates the full settings in a worker.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_VARS: dict[str, str] = {
    "api_key": "OPENAI_API_KEY",
    "base_url": "OPENAI_BASE_URL",
    "model": "COACH_MODEL",
    "judge_model": "COACH_JUDGE_MODEL",
    "home": "COACH_HOME",
    "offline": "COACH_OFFLINE",
}
CONFIG_FILE_NAME = "config.toml"

# Defaults of the settings the first frame shows; `Settings` uses these same constants.
DEFAULT_THEME = "textual-dark"
DEFAULT_EXAM_MODE = False


class ConfigFileError(Exception):
    """The config file is not readable TOML; the message names the file."""


def default_home() -> Path:
    from platformdirs import user_data_path

    return user_data_path("coach", appauthor=False)


def parse_bool(raw: str) -> bool:
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_values(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings given as environment variables (blank ones count as not given)."""
    values: dict[str, Any] = {}
    for name, var in ENV_VARS.items():
        raw = environ.get(var)
        if raw is None or raw.strip() == "":
            continue
        values[name] = parse_bool(raw) if name == "offline" else raw.strip()
    return values


def given_flags(flags: Mapping[str, Any] | None) -> dict[str, Any]:
    """The flags actually given (None means 'not given')."""
    return {k: v for k, v in (flags or {}).items() if v is not None}


def resolve_home(flag_values: Mapping[str, Any], env: Mapping[str, Any]) -> Path:
    """The home folder: flag > env > platform default (the config file lives inside it)."""
    home_raw = flag_values.get("home") or env.get("home")
    return Path(home_raw).expanduser() if home_raw else default_home()


def read_config_file(path: Path) -> dict[str, Any]:
    """The config file's raw table ({} when absent); ConfigFileError when it is not TOML."""
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"{path}: {exc}") from None


@dataclass(frozen=True)
class UiPrefs:
    """What the first frame needs, read leniently: anything odd falls back to its default
    here and is reported by the full validation that follows."""

    home: Path
    theme: str = DEFAULT_THEME
    keymap: dict[str, str] = field(default_factory=dict)
    exam_mode: bool = DEFAULT_EXAM_MODE


def read_ui_prefs(
    flags: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> UiPrefs:
    """Theme, keymap and exam mode with the same precedence as `load_settings`
    (flags > env > config file > defaults); never raises for a bad config file."""
    environ = os.environ if environ is None else environ
    flag_values = given_flags(flags)
    env = env_values(environ)
    home = resolve_home(flag_values, env)
    try:
        config = read_config_file(home / CONFIG_FILE_NAME)
    except (ConfigFileError, OSError):
        config = {}
    merged = {**config, **env, **flag_values}
    theme = merged.get("theme")
    keymap = merged.get("keymap")
    exam_mode = merged.get("exam_mode")
    return UiPrefs(
        home=home,
        theme=theme if isinstance(theme, str) else DEFAULT_THEME,
        keymap=dict(keymap)
        if isinstance(keymap, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in keymap.items())
        else {},
        exam_mode=exam_mode if isinstance(exam_mode, bool) else DEFAULT_EXAM_MODE,
    )
