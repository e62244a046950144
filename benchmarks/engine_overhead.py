"""Engine overhead per turn with a zero-latency backend (target: under 2 ms, no scoring).

Measures what the session itself costs a turn — recording and fsync'ing the learner turn,
classifying the move, the state event, building and budgeting the request, streaming the
reply through the END-marker filter and writing it — so a slow UI can be blamed on the right
layer. Prints figures; asserts nothing about timing.

    python benchmarks/engine_overhead.py [--turns 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from coach import transcript
from coach.library import load_library
from coach.llm.base import ChatMessage, ReplyResult, Usage
from coach.session import Session
from coach.settings import Settings

REPLY = "I hear you. Five months is a long time to wait, and the team feels it every week."


class ZeroLatencyBackend:
    """An 'openai'-like backend (so the token budget runs) that answers instantly."""

    name = "openai"
    model = "zero-latency"

    def stream_reply(self, messages: list[ChatMessage]) -> _Stream:
        return _Stream()

    async def aclose(self) -> None:
        return None


class _Stream:
    def __init__(self) -> None:
        self.result = ReplyResult(model="zero-latency")

    def __aiter__(self) -> AsyncIterator[str]:
        return self._run()

    async def _run(self) -> AsyncIterator[str]:
        for word in REPLY.split(" "):
            yield word + " "
        self.result.text = REPLY
        self.result.finish_reason = "stop"
        self.result.usage = Usage(100, 20)


async def run(turns: int, folder: Path) -> list[float]:
    scenario = next(s for s in load_library().scenarios if s.id == "salary-offer-negotiation")
    scenario = scenario.model_copy(update={"max_turns": 1000})
    settings = Settings(home=folder)
    times: list[float] = []
    lines = [
        "It sounds like the budget is tight and you want this settled soon.",
        "What would make this work for you?",
        "So the team is stretched and the timing matters as much as the number.",
    ]
    n = 0
    while n < turns:
        session = Session(
            scenario, ZeroLatencyBackend(), None, folder / f"s{n}.jsonl", settings=settings
        )
        await session.start()
        for i in range(turns - n):
            start = time.perf_counter()
            await session.send(lines[i % len(lines)] + f" ({i})").run()
            times.append(time.perf_counter() - start)
            n += 1
        await session.aclose()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(5, Path(tmp) / "warm"))  # imports, tiktoken load
        durable = asyncio.run(run(args.turns, Path(tmp) / "durable"))
        real_sync = transcript._sync
        transcript._sync = lambda fd: None  # the engine's own compute, without the disk
        try:
            compute = asyncio.run(run(args.turns, Path(tmp) / "compute"))
        finally:
            transcript._sync = real_sync
    print(f"engine overhead per turn over {args.turns} turns (zero-latency backend, no scoring,")
    print("3 events per turn: learner, state, counterpart; token budget on):")
    report("engine compute (no disk sync)", compute)
    report("with fdatasync per event", durable)
    print("target: engine compute < 2 ms per turn; the sync cost is the disk's, paid so that")
    print("a turn shown as done survives a crash.")


def report(label: str, times: list[float]) -> None:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[max(int(len(ms) * 0.95) - 1, 0)]
    print(
        f"  {label:<30} median {statistics.median(ms):.3f} ms  mean {statistics.fmean(ms):.3f} ms"
        f"  p95 {p95:.3f} ms  max {ms[-1]:.3f} ms"
    )


if __name__ == "__main__":
    main()
