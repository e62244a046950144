"""Pause Python's cyclic garbage collector while a counterpart reply streams in.

At 1,000 tokens/s the conversation repaints ~30 times a second, and each repaint allocates
enough that the cyclic collector runs every few frames; its full passes took 50-100 ms on a
slow core, so one landing near the last token held that token off the screen for as long
(`benchmarks/tui_streaming.py`). Reference counting still frees almost everything at once;
only garbage in reference cycles waits until the reply has ended. Textual pauses the
collector the same way during smooth scrolling (`App.PAUSE_GC_ON_SCROLL`, off by default,
so the two never fight over it).

The pause is bounded: it lasts one reply, and a reply that leaves more than `limit` new
objects for the collector (several times a 2,000-token reply) lets it run again at once.
"""

from __future__ import annotations

import gc
from types import TracebackType

__all__ = ["STREAMING", "CollectorPause"]

# A 2,000-token reply streamed at 1,000 tokens/s leaves ~120,000 objects for the collector.
DEFAULT_LIMIT = 500_000


class CollectorPause:
    """A re-entrant `with` block that keeps the cyclic collector off, then restores it.

    It only turns back on what it turned off: a collector already disabled by someone else
    stays disabled.
    """

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._depth = 0
        self._paused = False  # True while the collector is off because of us

    @property
    def paused(self) -> bool:
        return self._paused

    def __enter__(self) -> CollectorPause:
        if self._depth == 0 and gc.isenabled():
            gc.disable()
            self._paused = True
        self._depth += 1
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._resume()

    def check(self) -> None:
        """Let the collector run again if the pause has let too much pile up (cheap: call
        it as often as you like)."""
        if self._paused and gc.get_count()[0] > self.limit:
            self._resume()

    def _resume(self) -> None:
        if self._paused:
            self._paused = False
            gc.enable()


# The app streams one reply at a time; one pause for all of it.
STREAMING = CollectorPause()
