"""Helpers every command shares: settings from flags, and printing errors without tracebacks."""

from __future__ import annotations

import argparse
import sys
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from coach.scenario_loader import ScenarioError
    from coach.settings import LoadedSettings, Settings


def settings_from_args(args: argparse.Namespace) -> LoadedSettings:
    """Resolve settings for a command; exits with ExitCode.CONFIG and a message when invalid."""
    from coach.cli import global_flags
    from coach.exitcodes import ExitCode
    from coach.settings import SettingsError, load_settings

    flags = global_flags(args)
    flags.update(getattr(args, "settings_flags", {}) or {})
    try:
        return load_settings(flags=flags)
    except SettingsError as exc:
        error(str(exc))
        raise SystemExit(ExitCode.CONFIG) from None


# Judge calls in flight for score, replay and calibrate unless --concurrency says otherwise.
JUDGE_CONCURRENCY = 8
CONCURRENCY_HELP = f"judge calls in flight ({JUDGE_CONCURRENCY}; 1 for a server on this machine)"


def judge_concurrency(given: int | None, settings: Settings) -> int:
    """`--concurrency`, else 8, or 1 when the endpoint is on this machine (`parallel_requests`
    unset): llama.cpp and LM Studio answer one request at a time, and the other seven waited
    in the server's queue until they timed out and were sent again."""
    if given is not None:
        return given
    return 1 if settings.one_request_at_a_time else JUDGE_CONCURRENCY


def error(message: str) -> None:
    warn(f"coach: error: {message}")


def warn(message: str) -> None:
    """A line on stderr, control characters shown (file names and messages are untrusted)."""
    from coach.printable import visible

    print(visible(message), file=sys.stderr)


def stdin_bytes(instead: str) -> IO[bytes] | None:
    """Standard input as bytes, or None after saying it is closed: a command started with
    `<&-` gets `sys.stdin is None` from Python. `instead` says what to give instead."""
    if sys.stdin is None:
        error(f"standard input is closed; {instead}")
        return None
    return sys.stdin.buffer


def scenario_failed(exc: ScenarioError) -> int:
    """Print a broken scenario file's problems, one FILE:LINE:COL line each, on stderr; the
    exit code for it."""
    from coach.exitcodes import ExitCode

    if exc.summary:
        error(exc.summary)
    for problem in exc.problems:
        warn(str(problem))
    return ExitCode.FAILURES
