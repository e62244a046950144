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
    main = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(PARENT)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert main.stdout is not None
    # The first line, not the end of output: a worker left behind holds the pipe open.
    worker = int(main.stdout.readline())
    main.wait(timeout=60)
    try:
        # Polled, not timed: the worker must be gone well before its two-minute task ends.
        for _ in range(200):
            if not _alive(worker):
                return
            time.sleep(0.1)
        raise AssertionError("the worker outlived its parent")
    finally:
        if _alive(worker):
            os.kill(worker, 9)
        main.stdout.close()
