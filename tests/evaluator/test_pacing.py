"""StartPacer: calls start at least the measured CPU time per call apart, never more than
max_gap, and a call that comes late does not wait. Driven by a fake clock, CPU counter and
sleep: nothing here depends on how fast the machine is."""

from __future__ import annotations

import asyncio
from itertools import pairwise

from coach.pacing import SHARE_OF_CPU, StartPacer


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.cpu = 5.0
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def pacer(t: FakeTime, **kwargs: float) -> StartPacer:
    return StartPacer(clock=lambda: t.now, cpu=lambda: t.cpu, sleep=t.sleep, **kwargs)


def starts(t: FakeTime, p: StartPacer, n: int, cpu_per_call: float) -> list[float]:
    """Start n calls back to back (as workers freed by one burst of replies would), each
    costing cpu_per_call of CPU; the times at which they were let through."""

    async def go() -> list[float]:
        out = []
        for _ in range(n):
            await p.turn()
            out.append(t.now)
            t.cpu += cpu_per_call
        return out

    return asyncio.run(go())


def test_calls_start_a_share_of_a_calls_cpu_time_apart() -> None:
    t = FakeTime()
    got = starts(t, pacer(t), 5, cpu_per_call=0.001)
    assert got[0] == 100.0  # the first call never waits
    gaps = [round(b - a, 9) for a, b in pairwise(got)]
    assert gaps == [round(0.001 * SHARE_OF_CPU, 9)] * 4
    assert 0.5 <= SHARE_OF_CPU <= 1.0


def test_the_gap_follows_the_measured_cpu_per_call() -> None:
    t = FakeTime()
    p = pacer(t)
    starts(t, p, 4, cpu_per_call=0.002)
    assert abs(p.gap() - 0.002 * SHARE_OF_CPU) < 1e-12


def test_the_gap_is_capped() -> None:
    t = FakeTime()
    p = pacer(t, max_gap=0.005)
    got = starts(t, p, 3, cpu_per_call=0.050)  # a process busy with something else
    assert [round(b - a, 9) for a, b in pairwise(got)] == [0.005, 0.005]


def test_a_call_that_comes_after_its_slot_does_not_wait() -> None:
    t = FakeTime()
    p = pacer(t)
    starts(t, p, 2, cpu_per_call=0.001)
    t.slept.clear()
    t.now += 1.0  # the next call comes long after the previous one
    starts(t, p, 1, cpu_per_call=0.001)
    assert t.slept == []
