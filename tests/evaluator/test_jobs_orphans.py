"""`replay --jobs N` workers end when the main process is killed on its own, instead of
staying blocked for ever on pipes they hold both ends of (Ctrl-C and `timeout` signal the
whole process group, but `kill PID`, a supervisor or the OOM killer do not)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.other_process import ROOT

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")

PARENT = """
    import os, sys, time
    from concurrent.futures import ProcessPoolExecutor
    from coach.replay import _worker_init
    pool = ProcessPoolExecutor(max_workers=1, initializer=_worker_init)
    print(pool.submit(os.getpid).result(), flush=True)
    pool.submit(time.sleep, 120)
    time.sleep(0.5)
    os._exit(0)  # killed: no pool shutdown, no atexit
    """


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().split()[2] != "Z"  # a zombie has already exited


def test_workers_go_when_the_main_process_is_killed() -> None:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PARENT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    worker = int(done.stdout.split()[0])
    # Polled, not timed: the worker must be gone well before its two-minute task ends.
    for _ in range(200):
        if not _alive(worker):
            break
        time.sleep(0.1)
    else:
        os.kill(worker, 9)
        raise AssertionError("the worker outlived its parent")
