"""`coach config`: the effective settings, the key masked, and where each value came from."""

from __future__ import annotations

import argparse
from typing import Any

from coach.commands._common import settings_from_args
from coach.exitcodes import ExitCode


def register(sub: Any) -> None:
    p = sub.add_parser("config", help="show the effective settings and where each came from")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    loaded = settings_from_args(args)
    rows = loaded.describe()
    width = max(len(name) for name, _, _ in rows)
    print(f"config file: {loaded.config_path}" + ("" if _exists(loaded) else " (not present)"))
    for name, shown, source in rows:
        print(f"{name:<{width}}  {shown}  [{source}]")
    mode = "LLM endpoint" if loaded.settings.use_llm else "offline (scripted counterpart)"
    print(f"mode: {mode}")
    return ExitCode.OK


def _exists(loaded: Any) -> bool:
    return bool(loaded.config_path and loaded.config_path.is_file())
