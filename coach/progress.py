"""A plain stderr progress bar for batch commands (replay, calibrate).

Evaluators run replays over thousands of turns; they need to see that work moves, how fast,
and when it ends. It writes only to a terminal: piped or `--quiet` runs stay clean, so the
bar never mixes into machine-readable output on stdout.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def format_duration(seconds: float) -> str:
    whole = max(0, round(seconds))
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class Progress:
    """`done/total`, a bar, the rate and the ETA, redrawn at most ten times a second."""

    def __init__(
        self,
        total: int,
        *,
        label: str = "",
        stream: TextIO | None = None,
        enabled: bool | None = None,
        width: int = 28,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.total = max(0, total)
        self.label = label
        self.width = width
        self.done = 0
        self.failed = 0
        self.skipped = 0  # already done before this run (resume); excluded from the rate
        self._start = time.monotonic()
        self._last_draw = 0.0

    def advance(self, n: int = 1, *, failed: bool = False) -> None:
        self.done += n
        if failed:
            self.failed += n
        self._draw()

    def skip(self, n: int) -> None:
        """Count work finished by an earlier run, without inflating the rate."""
        self.done += n
        self.skipped += n
        self._draw(force=True)

    def show(self) -> None:
        """Draw the bar now (at 0/N before anything finished: a run whose first calls hang
        must not look like nothing started)."""
        self._draw(force=True)

    def rate(self) -> float:
        elapsed = time.monotonic() - self._start
        fresh = self.done - self.skipped
        return fresh / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        total = self.total or 1
        frac = min(1.0, self.done / total)
        filled = int(frac * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        rate = self.rate()
        remaining = self.total - self.done
        eta = format_duration(remaining / rate) if rate > 0 else "--:--"
        fails = f" {self.failed} failed" if self.failed else ""
        label = f"{self.label} " if self.label else ""
        return f"{label}[{bar}] {self.done}/{self.total} {frac:4.0%} {rate:.1f}/s ETA {eta}{fails}"

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and self.done < self.total and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        self.stream.write("\r" + self.line() + "\x1b[K")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> Progress:
        self.show()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
