"""`coach sessions`: placeholder until its issue lands."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("sessions", help="(not yet available)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    print("coach sessions is not available yet")
    return 2
