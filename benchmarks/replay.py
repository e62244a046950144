"""Replay throughput: the LLM judge against a mocked endpoint, and the analytic scorer.

1. 1,000 learner turns through the real LLMJudge + openai SDK at concurrency 16 and 64,
   answered with a fixed 100 ms latency. Prints wall time, its ratio to the ideal
   (turns x latency / concurrency; the target is within 1.2x), the client's CPU per call,
   and the mean time of a request from send to parsed reply. That last figure says where the
   excess goes. Without pacing, at concurrency 64 a request took 115-130 ms against the
   endpoint's 100 although the client spends only ~1 ms of CPU on it: replies sent together
   came back together, one event loop worked through the burst round-robin (every await in
   httpx and anyio yields to the other 63), and each call of a burst ended near its end.
   The replay now starts calls one call's CPU time apart (coach.pacing): ~105-110 ms; and
   the judge's lanes post the SDK's request captured once instead of rebuilding it per call
   (coach.scoring.judge._Lane): ~0.85 ms of client CPU a call instead of ~1.1.
   Two harnesses:
   - `server` (the headline): a stdlib asyncio HTTP server in a separate process on
     127.0.0.1, so the mock's own CPU is not charged to the client, as with a real endpoint;
   - `respx` (for comparison, `--harness both|respx`): the mock in-process through respx, as
     the tests do; every call then pays for the SDK, httpx *and* the mock on one core.
2. 10,000 synthetic transcripts (written to a temp dir) replayed with the analytic scorer;
   prints transcripts and turns per second with `--jobs 1` and `--jobs 2` (processes).

A fixed pure-Python reference loop is timed first, so figures from machines of different
speed can be compared. Prints figures; asserts nothing about timings.
Run: .venv/bin/python benchmarks/replay.py [--harness server|respx|both] [--skip-analytic]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import tempfile
import time
import timeit
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import respx
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coach.importers import Conversation, Turn
from coach.replay import replay, replay_files
from coach.scoring.analytic import AnalyticScorer
from coach.scoring.judge import LLMJudge
from coach.settings import Settings

RESPX_BASE = "http://bench.test/v1"
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


# --------------------------------------------------------------------------- harnesses


async def respx_endpoint(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(LATENCY)
    return httpx.Response(200, json=BODY)


def _http_response(status: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


async def _serve(conn: Connection) -> None:
    """A minimal HTTP/1.1 keep-alive server: every POST to .../chat/completions gets the
    canned completion after LATENCY seconds; anything else a 404."""
    ok = _http_response("200 OK", json.dumps(BODY).encode("utf-8"))
    missing = _http_response("404 Not Found", b'{"error": {"message": "not found"}}')

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                found = lines[0].startswith(b"POST ") and b"/chat/completions " in lines[0]
                await asyncio.sleep(LATENCY)
                writer.write(ok if found else missing)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    conn.send(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


def serve(conn: Connection) -> None:
    asyncio.run(_serve(conn))


class MockServer:
    """The mock endpoint in its own process (spawned, so it shares nothing with the client)."""

    def __enter__(self) -> str:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=serve, args=(child,), daemon=True)
        self.proc.start()
        port = parent.recv()
        return f"http://127.0.0.1:{port}/v1"

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.join()


# --------------------------------------------------------------------------- judge


def conversations() -> list[Conversation]:
    convs = []
    for c in range(TURNS // 10):
        turns = tuple(
            Turn(f"L{i}", i, f"Line {i} of talk {c}.", f"I hear you ({c}/{i}). What matters most?")
            for i in range(1, 11)
        )
        convs.append(Conversation(Path(f"s{c}.jsonl"), "coach", f"s{c}", turns, str(c)))
    return convs


def time_requests(judge: LLMJudge) -> list[float]:
    """Time every HTTP request the judge sends (seconds from send to parsed reply), to show
    where the wall time goes beyond the endpoint's own latency."""
    chat = judge._chat
    send = chat._request
    times: list[float] = []

    async def timed(*args: Any) -> tuple[str, str | None]:
        start = time.perf_counter()
        try:
            return await send(*args)
        finally:
            times.append(time.perf_counter() - start)

    chat._request = timed  # type: ignore[method-assign]
    return times


async def timed_replay(base: str, concurrency: int) -> tuple[int, float, float, float]:
    """(turns scored, wall seconds, client CPU seconds, mean request seconds) for one fresh
    judge and cache."""
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(
            home=Path(home), base_url=base, api_key=SecretStr("sk-bench-000000000000"), model="m"
        )
        judge = LLMJudge(settings)
        try:
            # Warm up (SDK imports, pydantic model building, a connection) outside the timing.
            warm = Conversation(Path("w"), "coach", "w", (Turn("L1", 1, "x", "warm up"),), "w")
            await replay([warm], [judge], concurrency=1)
            requests = time_requests(judge)
            cpu = time.process_time()
            start = time.perf_counter()
            run = await replay(conversations(), [judge], concurrency=concurrency)
            wall = time.perf_counter() - start
            cpu = time.process_time() - cpu
        finally:
            await judge.aclose()
    return run.scored, wall, cpu, sum(requests) / max(1, len(requests))


async def bench_judge(harness: str, concurrency: int) -> None:
    if harness == "server":
        with MockServer() as base:
            scored, wall, cpu, per_request = await timed_replay(base, concurrency)
    else:
        with respx.mock(base_url=RESPX_BASE, assert_all_called=False) as mock:
            mock.post("/chat/completions").mock(side_effect=respx_endpoint)
            scored, wall, cpu, per_request = await timed_replay(RESPX_BASE, concurrency)
    ideal = TURNS * LATENCY / concurrency
    where = "out-of-process" if harness == "server" else "in-process respx"
    print(
        f"judge [{where:>16}] concurrency {concurrency:>3}: {scored} turns in {wall:5.2f}s, "
        f"ideal {ideal:4.2f}s, ratio {wall / ideal:4.2f}x (target <= 1.20x), "
        f"client CPU {cpu / TURNS * 1e3:.2f} ms/call, "
        f"mean request {per_request * 1e3:.0f} ms (latency {LATENCY * 1e3:.0f})"
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


async def bench_analytic(jobs_list: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_synthetic(Path(tmp), TRANSCRIPTS)
        base = 0.0
        for jobs in jobs_list:
            start = time.perf_counter()
            run = await replay_files(paths, [AnalyticScorer()], jobs=jobs)
            wall = time.perf_counter() - start
            base = base or wall
            print(
                f"analytic --jobs {jobs}: {len(run.conversations)} transcripts ({run.scored} "
                f"turns) in {wall:.2f}s = {len(run.conversations) / wall:,.0f} transcripts/s, "
                f"{run.scored / wall:,.0f} turns/s (import + score), x{base / wall:.2f}"
            )


def reference() -> None:
    # The same fixed loop as benchmarks/scoring_speed.py: tells a slow machine from slow code.
    ref = min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6
    print(
        f"machine reference: sum(range(1000)) = {ref:.1f} us "
        "(about 8-10 us on a current desktop core; scale the figures accordingly)"
    )


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--harness", choices=("server", "respx", "both"), default="both")
    parser.add_argument("--concurrency", type=int, nargs="*", default=[16, 64])
    parser.add_argument("--skip-analytic", action="store_true")
    parser.add_argument("--jobs", type=int, nargs="*", default=[1, 2], help="analytic --jobs")
    args = parser.parse_args(argv)
    reference()
    harnesses = ["server", "respx"] if args.harness == "both" else [args.harness]
    for harness in harnesses:
        for concurrency in args.concurrency:
            await bench_judge(harness, concurrency)
    if not args.skip_analytic:
        await bench_analytic(args.jobs)


if __name__ == "__main__":
    asyncio.run(main())
