"""Replay throughput: the LLM judge against a mocked endpoint, and the analytic scorer.

1. 1,000 learner turns through the real LLMJudge + openai SDK, answered by a respx mock with a
   fixed 100 ms latency, at concurrency 16 and 64. Prints wall time and its ratio to the ideal
   (turns x latency / concurrency); the target is within 1.2x.
2. 10,000 synthetic transcripts (written to a temp dir) replayed with the analytic scorer;
   prints transcripts and turns per second.

Prints figures; asserts nothing about timings. Run: .venv/bin/python benchmarks/replay.py
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx
import respx
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coach.importers import Conversation, Turn
from coach.replay import replay, replay_files
from coach.scoring.analytic import AnalyticScorer
from coach.scoring.judge import LLMJudge
from coach.settings import Settings

BASE = "http://bench.test/v1"
LATENCY = 0.100
TURNS = 1_000
TRANSCRIPTS = 10_000

REPLY = json.dumps(
    {
        "empathy": {
            "score": 3,
            "emotional_reactions": 1,
            "interpretations": 1,
            "explorations": 0,
            "evidence": [{"quote": "I hear", "label": "acknowledges", "effect": "+"}],
            "tip": "Name the feeling.",
        },
        "active_listening": {
            "score": 3.5,
            "reflection": "simple",
            "question": "open",
            "evidence": [],
            "tip": "Reflect first.",
        },
        "clarity": {"score": 4, "evidence": [], "tip": "Lead with the ask."},
    }
)
BODY = {
    "id": "c",
    "object": "chat.completion",
    "created": 0,
    "model": "m",
    "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": REPLY}}
    ],
}


async def endpoint(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(LATENCY)
    return httpx.Response(200, json=BODY)


def conversations() -> list[Conversation]:
    convs = []
    for c in range(TURNS // 10):
        turns = tuple(
            Turn(f"L{i}", i, f"Line {i} of talk {c}.", f"I hear you ({c}/{i}). What matters most?")
            for i in range(1, 11)
        )
        convs.append(Conversation(Path(f"s{c}.jsonl"), "coach", f"s{c}", turns, str(c)))
    return convs


async def bench_judge(concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(
            home=Path(home), base_url=BASE, api_key=SecretStr("sk-bench-000000000000"), model="m"
        )
        judge = LLMJudge(settings)
        with respx.mock(base_url=BASE, assert_all_called=False) as mock:
            mock.post("/chat/completions").mock(side_effect=endpoint)
            # Warm up (SDK imports, pydantic model building) outside the timed part.
            warm = Conversation(Path("w"), "coach", "w", (Turn("L1", 1, "x", "warm up"),), "w")
            await replay([warm], [judge], concurrency=1)
            start = time.perf_counter()
            run = await replay(conversations(), [judge], concurrency=concurrency)
            wall = time.perf_counter() - start
        await judge.aclose()
    ideal = TURNS * LATENCY / concurrency
    print(
        f"judge  concurrency {concurrency:>3}: {run.scored} turns in {wall:6.2f}s, "
        f"ideal {ideal:5.2f}s, ratio {wall / ideal:4.2f}x (target <= 1.20x)"
    )


EXCHANGES = [
    (
        "I'm worried this project is slipping and nobody tells me why.",
        "It sounds like you feel left out. What worries you most?",
    ),
    (
        "The deadline. My boss keeps asking and I have nothing to say.",
        "So you're caught in the middle. Could we agree on a weekly update?",
    ),
    (
        "That would help, but I still don't know what happened last week.",
        "Fair point. Two people were out sick; I should have told you on Monday.",
    ),
]


def write_synthetic(folder: Path, n: int) -> list[Path]:
    paths = []
    for k in range(n):
        lines = [
            {
                "type": "header",
                "schema_version": 1,
                "session_id": f"s{k}",
                "scenario_id": f"scn-{k % 7}",
                "scorer": "heuristic",
            }
        ]
        seq = 1
        for i, (other, mine) in enumerate(EXCHANGES):
            lines.append(
                {
                    "type": "counterpart",
                    "seq": seq,
                    "ts": "",
                    "turn_id": f"C{i}",
                    "reply_to": f"L{i}" if i else None,
                    "text": f"{other} ({k})",
                    "complete": True,
                }
            )
            lines.append(
                {
                    "type": "learner",
                    "seq": seq + 1,
                    "ts": "",
                    "turn_id": f"L{i + 1}",
                    "parent": f"C{i}",
                    "text": f"{mine} #{k}",
                }
            )
            seq += 2
        path = folder / f"s{k}.jsonl"
        path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


async def bench_analytic() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_synthetic(Path(tmp), TRANSCRIPTS)
        start = time.perf_counter()
        run = await replay_files(paths, [AnalyticScorer()])
        wall = time.perf_counter() - start
    print(
        f"analytic: {len(run.conversations)} transcripts ({run.scored} turns) in {wall:.2f}s = "
        f"{len(run.conversations) / wall:,.0f} transcripts/s, {run.scored / wall:,.0f} turns/s"
        f" (import + score, one core)"
    )


async def main() -> None:
    for concurrency in (16, 64):
        await bench_judge(concurrency)
    await bench_analytic()


if __name__ == "__main__":
    asyncio.run(main())
