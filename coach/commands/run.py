"""`coach run SCENARIO` and `coach` with no arguments: open the learner's app.

Textual is imported only here, when the app actually opens, so `coach --help` and the
headless commands stay fast.
"""

from __future__ import annotations

import argparse
from typing import Any

from coach.exitcodes import ExitCode


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
    return open_tui(args, args.scenario)


def open_tui(args: argparse.Namespace, scenario_ref: str | None) -> int:
    """Build the settings from the flags and run the app (picker, or a scenario's briefing)."""
    from coach.commands._common import settings_from_args

    if getattr(args, "exam_mode", None):
        args.settings_flags = {**(getattr(args, "settings_flags", None) or {}), "exam_mode": True}
    loaded = settings_from_args(args)
    from coach.tui.app import create_app

    app = create_app(loaded.settings, scenario_ref=scenario_ref, loaded_settings=loaded)
    app.run()
    return int(app.return_code or ExitCode.OK)
