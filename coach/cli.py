"""The `coach` command line.

Each subcommand lives in its own module under `coach.commands` and imports its heavy
dependencies (textual, openai, the scorers) only when it runs, so `coach --help` stays fast.
With no subcommand, the TUI opens.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from coach import __version__
from coach.exitcodes import ExitCode

# Order here is the order in `coach --help`.
COMMAND_MODULES = (
    "run",
    "play",
    "scenarios",
    "sessions",
    "score",
    "replay",
    "calibrate",
    "config",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coach",
        description="A soft-skills conversation coach for the terminal. "
        "Run with no command to open the app.",
    )
    parser.add_argument("--version", action="version", version=f"coach {__version__}")
    parser.add_argument("--home", help="where sessions, cache and config live (COACH_HOME)")
    parser.add_argument("--model", help="model for the counterpart (COACH_MODEL)")
    parser.add_argument("--base-url", help="OpenAI-compatible endpoint (OPENAI_BASE_URL)")
    parser.add_argument(
        "--offline",
        action="store_true",
        default=None,
        help="use the offline scripted counterpart and analytic scorer",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"coach.commands.{name}")
        module.register(sub)
    return parser


def global_flags(args: argparse.Namespace) -> dict[str, object]:
    """The settings given as flags (None means 'not given')."""
    return {
        "home": getattr(args, "home", None),
        "model": getattr(args, "model", None),
        "base_url": getattr(args, "base_url", None),
        "offline": getattr(args, "offline", None),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from coach.commands.run import open_tui

        return open_tui(args, scenario_ref=None)
    return _run_guarded(args, literal=args.command != "run")


def _run_guarded(args: argparse.Namespace, *, literal: bool) -> int:
    """Run a command with its failures in one line and, unless it is the full-screen app,
    stdout showing control characters instead of obeying them (titles, transcripts and
    replies may carry escape sequences)."""
    from coach.commands._common import error
    from coach.printable import LiteralStream

    stdout = sys.stdout
    if stdout is None:  # `coach score >&-`
        error("stdout is closed: nowhere to write the output")
        return ExitCode.USAGE
    if literal:
        sys.stdout = LiteralStream(stdout)
    try:
        code: int = args.func(args)
        sys.stdout.flush()  # a full disk or a closed pipe shows here, not at exit
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # `coach scenarios list | head -1`: the reader has gone; nothing more to say.
        _discard_stdout()
        return ExitCode.FAILURES
    except OSError as exc:
        # What a command does not handle itself: say it in one line.
        _discard_stdout()
        error(str(exc))
        return ExitCode.FAILURES
    except RecursionError:
        error("the input is nested too deeply to read")
        return ExitCode.FAILURES
    finally:
        sys.stdout = stdout
    return code


def _discard_stdout() -> None:
    """Point stdout at /dev/null so the flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
