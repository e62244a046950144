"""The token budget over a 200-turn session: every request must stay under the window.

Plays 200 learner turns against a zero-latency backend with a small window (4,000 tokens,
400 for the reply) and prints, per 25 turns, the request size the budget produced, the
turns kept verbatim and how much was folded into the running summary. Prints figures; the
final line says whether any request exceeded the window.

    python benchmarks/token_budget.py [--turns 200] [--window 4000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from engine_overhead import ZeroLatencyBackend

from coach.library import load_library
from coach.session import Session
from coach.settings import Settings


async def run(turns: int, window: int, folder: Path) -> None:
    scenario = next(s for s in load_library().scenarios if s.id == "salary-offer-negotiation")
    scenario = scenario.model_copy(update={"max_turns": 1000})
    settings = Settings(home=folder, context_window=window, max_reply_tokens=400)
    budget = window - settings.max_reply_tokens
    worst = 0
    n = 0
    session: Session | None = None
    print(f"window {window} tokens, reply reserve 400 → request budget {budget}")
    while n < turns:
        # Branch rather than end: rewinding to L1 would shrink history, so chain sessions
        # by raising the turn limit instead (max_turns is 100 per session).
        session = Session(
            scenario, ZeroLatencyBackend(), None, folder / f"b{n}.jsonl", settings=settings
        )
        await session.start()
        for _ in range(turns - n):
            text = (
                f"Turn {n + 1}: it sounds like the budget and the timing both matter to you; "
                "what would a fair package look like from your side, given the team's on-call load?"
            )
            await session.send(text).run()
            n += 1
            worst = max(worst, session.last_request_tokens)
            if n % 25 == 0:
                print(
                    f"  turn {n:>3}: request {session.last_request_tokens:>5} tokens, "
                    f"summary covers {session._summary.covers:>3} messages "
                    f"({session.counter.count(session._summary.text):>4} tokens)"
                )
        await session.aclose()
    assert session is not None
    print(f"encoding: {session.encoding_name}")
    print(
        f"largest request {worst} tokens of {budget}: "
        f"{'OK, always under the window' if worst <= budget else 'OVER THE WINDOW'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--window", type=int, default=4000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.turns, args.window, Path(tmp)))


if __name__ == "__main__":
    main()
