"""`coach run`: placeholder until its issue lands."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="(not yet available)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    print("coach run is not available yet")
    return 2


def open_tui(args: argparse.Namespace, scenario_ref: str | None) -> int:
    print("the TUI is not available yet")
    return 2
