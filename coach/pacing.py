"""Spacing the starts of concurrent model calls, so that a bulk run does not fall into lockstep.

N workers on one event loop, each sending a call and waiting for its reply, drift into
bursts: replies that arrive together are worked through round-robin (every await in the
HTTP stack yields to all the other ready calls), so each call of a burst finishes near the
end of the burst, and the next calls all go out together again. The burst re-forms on every
round and each call pays for the whole burst's CPU. At 64 calls in flight against an endpoint
answering in 100 ms, a call took 120-130 ms from send to parsed reply
(benchmarks/replay.py).

`StartPacer` lets a call start no sooner than (most of) one call's worth of CPU time after
the previous start: the client's own CPU time per call so far, measured, not configured. Calls
then go out spread over the round, their replies come back spread out, and each is handled
as it arrives: the same benchmark's calls take ~105 ms. Against a real endpoint, where a
call takes seconds and costs about a millisecond of CPU, the spacing is invisible; two
starts are never spaced by more than `max_gap`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

# Spacing by three quarters of a call's CPU time, not all of it: part of that time is the
# reply's handling, which runs while the next call is already waiting its turn. In
# alternating runs of benchmarks/replay.py at concurrency 64 the ratio to ideal was
# 1.15-1.20x with 0.75 against 1.19-1.22x with 1.0; 0.5 was no better than 0.75.
SHARE_OF_CPU = 0.75
# A run whose process is busy with something else (a slow disk, another scorer in the same
# run) must not be throttled by it: no start waits longer than this behind the previous one.
MAX_GAP = 0.005


class StartPacer:
    """`await pacer.turn()` before each call; calls then start `SHARE_OF_CPU` of the measured
    CPU time per call apart. One pacer per pool of workers sharing an event loop."""

    def __init__(
        self,
        *,
        max_gap: float = MAX_GAP,
        clock: Callable[[], float] | None = None,
        cpu: Callable[[], float] = time.process_time,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.max_gap = max_gap
        self._clock = clock
        self._cpu = cpu
        self._sleep = sleep
        self._cpu_at_first: float | None = None
        self._started = 0
        self._last = 0.0  # when the latest call was let start (possibly still ahead)

    def gap(self) -> float:
        """The spacing in force: a share of the CPU seconds this process spent per call
        started so far."""
        if self._cpu_at_first is None or not self._started:
            return 0.0
        per_call = (self._cpu() - self._cpu_at_first) / self._started
        return min(self.max_gap, max(0.0, per_call * SHARE_OF_CPU))

    async def turn(self) -> None:
        """Wait until this call may start: one gap after the previous call's start."""
        now = self._clock() if self._clock is not None else asyncio.get_running_loop().time()
        if self._cpu_at_first is None:
            self._cpu_at_first = self._cpu()
            start = now
        else:
            start = max(now, self._last + self.gap())
        self._last = start  # booked before sleeping: the next caller queues behind it
        self._started += 1
        if start > now:
            await self._sleep(start - now)
