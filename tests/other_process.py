"""Run a snippet in another Python process and keep it alive while a test looks on.

Locks between processes (a session played in two windows at once) can only be tested with a
second process: inside one process coach shares its locks on purpose.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def holding_process(code: str) -> Iterator[subprocess.Popen[str]]:
    """Run `code` in a child process, wait until it prints "ready", and end it on exit.

    The child then waits for its standard input to close, so it holds what it opened for as
    long as the `with` block runs."""
    script = textwrap.dedent(code) + '\nprint("ready", flush=True)\nimport sys\nsys.stdin.read()\n'
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if line.strip() != "ready":
            _, err = child.communicate(timeout=30)
            raise AssertionError(f"the other process failed: {line}{err}")
        yield child
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)
