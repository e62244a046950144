"""Helpers every command shares: settings from flags, and printing errors without tracebacks."""

from __future__ import annotations

import argparse
import sys

from coach.settings import LoadedSettings, SettingsError, load_settings


def settings_from_args(args: argparse.Namespace) -> LoadedSettings:
    """Resolve settings for a command; exits with ExitCode.CONFIG and a message when invalid."""
    from coach.cli import global_flags
    from coach.exitcodes import ExitCode

    flags = global_flags(args)
    flags.update(getattr(args, "settings_flags", {}) or {})
    try:
        return load_settings(flags=flags)
    except SettingsError as exc:
        error(str(exc))
        raise SystemExit(ExitCode.CONFIG) from None


def error(message: str) -> None:
    print(f"coach: error: {message}", file=sys.stderr)
