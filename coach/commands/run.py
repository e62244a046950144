"""`coach run SCENARIO` and `coach` with no arguments: open the learner's app.

Textual is imported only here, when the app actually opens, so `coach --help` and the
headless commands stay fast.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.exitcodes import ExitCode

if TYPE_CHECKING:
    from coach.settings import LoadedSettings
    from coach.tui.app import CoachApp


def register(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="open the app on a scenario's briefing (coach with no command opens the picker)",
        description="Open the app on SCENARIO's briefing; Enter starts the conversation.",
    )
    p.add_argument("scenario", help="scenario id, or path to a YAML file")
    p.add_argument(
        "--exam",
        dest="exam_mode",
        action="store_true",
        default=None,
        help="exam mode: hide scores until the debrief",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    # The scenario is checked before the app opens: a trainer trying a file gets its
    # problems as FILE:LINE:COL lines in the terminal (as `coach play` gives them), not a
    # notice that fades in the picker, and an unknown id, or one whose file in the library
    # is broken, ends here with the same message and exit code as `coach play ID`.
    candidate = Path(args.scenario).expanduser()
    # Not is_file(): a named pipe or a device is a file the loader refuses, here in the terminal.
    if candidate.exists() and not candidate.is_dir():
        from coach.commands._common import scenario_failed
        from coach.scenario_loader import ScenarioError, load_file

        try:
            load_file(candidate)
        except ScenarioError as exc:
            return scenario_failed(exc)
    else:
        failed = _check_in_library(args)
        if failed is not None:
            return failed
    return open_tui(args, args.scenario)


def _check_in_library(args: argparse.Namespace) -> int | None:
    """The exit code when `args.scenario` cannot be opened from the library, else None."""
    from coach.resources import builtin_dir

    if (builtin_dir("scenarios") / f"{args.scenario}.yaml").is_file():
        # A built-in (named after its id and valid: tests check both): nothing to report,
        # and no settings, library or pydantic to load before the first frame (about 0.5 s).
        return None
    from coach.cli import global_flags
    from coach.commands._common import error, scenario_failed
    from coach.library import ScenarioNotFound, resolve_scenario
    from coach.scenario_loader import ScenarioError
    from coach.settings import SettingsError, load_settings

    flags = global_flags(args)
    flags.update(getattr(args, "settings_flags", None) or {})
    try:
        settings = load_settings(flags=flags).settings
    except SettingsError:
        return None  # the app reports a bad config, as it does for `coach` alone
    try:
        resolve_scenario(args.scenario, settings.user_scenarios_dir)
    except ScenarioError as exc:
        return scenario_failed(exc)
    except ScenarioNotFound as exc:
        error(str(exc))
        return ExitCode.FAILURES
    return None


def open_tui(args: argparse.Namespace, scenario_ref: str | None) -> int:
    """Run the app (picker, or a scenario's briefing) with the settings from the flags.

    An invalid config closes the app and is reported here exactly as every other command
    reports it (message on stderr, ExitCode.CONFIG).
    """
    from coach.cli import global_flags

    flags = global_flags(args)
    flags.update(getattr(args, "settings_flags", None) or {})
    if getattr(args, "exam_mode", None):
        flags["exam_mode"] = True
    app = make_tui_app(flags, scenario_ref)
    app.run()
    if app.settings_error is not None:
        from coach.commands._common import error

        error(app.settings_error)
        return ExitCode.CONFIG
    return int(app.return_code or ExitCode.OK)


def make_tui_app(flags: dict[str, Any], scenario_ref: str | None = None) -> CoachApp:
    """The app as the CLI opens it (the start-up benchmark measures this one).

    Its first frame is painted from the UI preferences alone (no pydantic import); the app
    validates the full settings in a worker right after it.
    """
    from coach.settings_sources import read_ui_prefs
    from coach.tui.app import create_app

    def load() -> LoadedSettings:
        from coach.settings import load_settings

        return load_settings(flags=flags)

    prefs = read_ui_prefs(flags=flags)
    return create_app(None, scenario_ref=scenario_ref, prefs=prefs, settings_loader=load)
