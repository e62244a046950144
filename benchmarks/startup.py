"""Startup figures: time to the first painted screen (headless) and `coach --help`.

Each is measured in a fresh subprocess so imports are cold as a user would see them. A
screen counts as painted when a frame handed to the terminal driver contains it: the
picker's title ("first"), then the first frame after the library loaded. `python -c pass` is
printed as the floor for any Python command.
Targets: first screen under 0.5 s, `coach --help` under 0.15 s. Prints figures only.

    .venv/bin/python benchmarks/startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIRST_PAINT = r"""
import time
t0 = time.perf_counter()
import asyncio
from coach.commands.run import make_tui_app

painted = {}

async def main():
    app = make_tui_app({"offline": True})  # as `coach --offline` opens it
    display = app._display

    def watch(screen, update):
        # Every frame handed to the driver, as the bytes a terminal would get.
        display(screen, update)
        if update is None:
            return
        now = time.perf_counter() - t0
        data = update.render_segments(app.console)
        if "choose a scenario" in data:
            painted.setdefault("first", now)
        if "first" in painted and getattr(screen, "library", None) is not None:
            painted.setdefault("library", now)  # the first frame after it loaded

    app._display = watch
    async with app.run_test(size=(120, 35)) as pilot:
        while "library" not in painted:
            await asyncio.sleep(0.002)
        print(f"{painted['first']:.4f} {painted['library']:.4f}")

asyncio.run(main())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="coach-bench-")
    env = {"COACH_HOME": home, "PATH": "/usr/bin:/bin"}
    coach = Path(sys.executable).with_name("coach")
    firsts, fulls, helps, floors = [], [], [], []
    for _ in range(args.repeat):
        out = subprocess.run(
            [sys.executable, "-c", FIRST_PAINT], env=env, capture_output=True, text=True
        )
        if out.returncode != 0:
            print(out.stderr[-2000:])
            raise SystemExit(1)
        first, full = map(float, out.stdout.split())
        firsts.append(first)
        fulls.append(full)
        t0 = time.perf_counter()
        subprocess.run([str(coach), "--help"], env=env, capture_output=True, check=True)
        helps.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        floors.append(time.perf_counter() - t0)
    print(f"runs: {args.repeat} (median, min)")
    print(
        f"first painted screen (headless, from interpreter start of imports): "
        f"{statistics.median(firsts):.3f} s, {min(firsts):.3f} s   target < 0.5 s"
    )
    print(
        f"picker with the library loaded:                                    "
        f"{statistics.median(fulls):.3f} s, {min(fulls):.3f} s"
    )
    print(
        f"coach --help (subprocess, whole process):                          "
        f"{statistics.median(helps):.3f} s, {min(helps):.3f} s   target < 0.15 s"
    )
    print(
        f"python -c pass (the floor):                                        "
        f"{statistics.median(floors):.3f} s, {min(floors):.3f} s"
    )


if __name__ == "__main__":
    main()
