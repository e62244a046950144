"""The layering rule: only coach.tui may import textual.

The domain (session, scoring, transcripts, backends, replay) must run headless and stay fast to
import, so the check runs in a fresh interpreter and looks at sys.modules after importing
every non-TUI module.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import coach


def _domain_modules() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.walk_packages(coach.__path__, prefix="coach.")
        if not info.name.startswith("coach.tui") and not info.name.endswith("__main__")
    )


def test_there_are_domain_modules_to_check() -> None:
    names = _domain_modules()
    for expected in ("coach.session", "coach.scoring.analytic", "coach.transcript", "coach.cli"):
        assert expected in names


def test_domain_modules_never_import_textual() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for name in {_domain_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []


def test_cli_help_imports_no_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from coach.cli import build_parser\n"
        "build_parser()\n"
        # asyncio alone (with ssl, logging, concurrent) was a third of `coach --help`'s time.
        "heavy = {'textual', 'openai', 'tiktoken', 'httpx', 'pydantic', 'asyncio'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"
