"""`coach score`: rate learner replies from JSONL, one JSON line out per line in.

The evaluator's building block: scripts and notebooks pipe `{"id", "context", "response"}`
lines in and get the DESIGN.md contract back, in input order with the same ids, whatever the
scorer. A bad line never stops the batch: it becomes an `{"id", "error": "line N: ..."}` line
in its place and the exit code says some lines failed.
"""

from __future__ import annotations

import argparse
from typing import IO, TYPE_CHECKING, Any

from coach.commands._common import CONCURRENCY_HELP, JUDGE_CONCURRENCY, judge_concurrency

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from coach.scoring.types import Scorer


def register(sub: Any) -> None:
    p = sub.add_parser(
        "score",
        help="score learner replies from JSONL ({id, context, response} per line)",
        description=(
            'Reads one JSON object per line, {"id": ..., "context": "the other person\'s '
            'words", "response": "the learner\'s reply"}, and writes one JSON line per input, '
            "in the same order with the same id: the empathy, active_listening and clarity "
            "scores (1-5) with evidence and a tip, the scorer and the rubric version. A "
            'malformed line gives {"id": ..., "error": "line N: ..."} and exit code 1.'
        ),
    )
    p.add_argument(
        "input",
        nargs="?",
        default="-",
        metavar="IN.jsonl|-",
        help="input file, or - for standard input (default)",
    )
    p.add_argument(
        "--scorer",
        choices=("heuristic", "llm"),
        default="heuristic",
        help="heuristic: offline analytic rules (default); llm: the LLM judge",
    )
    p.add_argument(
        "--concurrency",
        type=_positive_int,
        help=CONCURRENCY_HELP,
    )
    p.add_argument("--judge-model", help="model for the llm scorer (COACH_JUDGE_MODEL)")
    p.add_argument(
        "--no-cache", action="store_true", help="ask the judge again even for cached replies"
    )
    p.set_defaults(func=_run)


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _run(args: argparse.Namespace) -> int:
    import asyncio
    import sys

    from coach.commands._common import error, settings_from_args, stdin_bytes
    from coach.exitcodes import ExitCode
    from coach.scoring.factory import make_scorer
    from coach.scoring.types import ScoringError

    args.settings_flags = {"judge_model": args.judge_model}
    settings = settings_from_args(args).settings
    try:
        scorer = make_scorer(args.scorer, settings, bypass_cache=args.no_cache)
    except ScoringError as exc:
        error(str(exc))
        return ExitCode.CONFIG
    stdin = stdin_bytes("give IN.jsonl or pipe the lines in") if args.input == "-" else None
    if args.input == "-" and stdin is None:
        return ExitCode.USAGE
    try:
        source: IO[bytes] = stdin if stdin is not None else open(args.input, "rb")  # noqa: SIM115
    except OSError as exc:
        error(f"cannot read {args.input}: {exc.strerror or exc}")
        return ExitCode.USAGE
    try:
        concurrency = judge_concurrency(args.concurrency, settings)
        return asyncio.run(score_stream(source, sys.stdout, scorer, concurrency=concurrency))
    finally:
        if args.input != "-":
            source.close()


def parse_line(number: int, raw: bytes) -> tuple[Any, str, str] | tuple[Any, str]:
    """(id, context, response) for a valid line, else (id or None, "line N: problem")."""
    from coach import strict_json

    try:
        # Strict: an id of NaN or 1e400 would otherwise be echoed as invalid JSON, and a line
        # nested 100,000 deep would raise RecursionError instead of being this line's error.
        text = raw.decode("utf-8")
        if number == 1:
            text = text.removeprefix("\ufeff")  # a byte-order mark (Windows Notepad's UTF-8)
        data = strict_json.loads(text)
    except UnicodeDecodeError:
        return None, f"line {number}: not UTF-8 text"
    except ValueError as exc:
        return None, f"line {number}: invalid JSON: {exc}"
    if not isinstance(data, dict):
        return None, f"line {number}: expected a JSON object with id, context and response"
    ident = data.get("id")
    response = data.get("response")
    context = data.get("context")
    if not isinstance(response, str):
        return ident, f'line {number}: "response" must be a string'
    if context is None:
        context = ""  # a reply that opens the conversation
    if not isinstance(context, str):
        return ident, f'line {number}: "context" must be a string'
    return ident, context, response


async def _lines(source: IO[bytes]) -> AsyncIterator[bytes]:
    """Lines of `source`; a pipe or terminal is read in a thread so that waiting for input
    does not stall the requests in flight, a regular file directly (fast)."""
    import asyncio
    import os
    import stat

    try:
        regular = stat.S_ISREG(os.fstat(source.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):
        regular = True  # in-memory streams never block
    if regular:
        for raw in source:
            yield raw
        return
    while raw := await asyncio.to_thread(source.readline):
        yield raw


async def score_stream(
    source: IO[bytes], out: IO[str], scorer: Scorer, *, concurrency: int = JUDGE_CONCURRENCY
) -> int:
    """Score every line of `source` into `out`, in order; returns the exit code.

    Up to `concurrency` lines are scored at once and a bounded window of finished results
    waits for its turn, so memory stays flat on large files and output order is input order.
    """
    import asyncio
    from collections import deque

    from coach.commands._common import error
    from coach.exitcodes import ExitCode
    from coach.pacing import StartPacer
    from coach.printable import safe_json
    from coach.replay import found_no_endpoint, gave_up_message, give_up_after
    from coach.scoring.factory import close_scorer
    from coach.scoring.types import ScoringError
    from coach.wording import counted

    class GaveUp(ScoringError):
        """A wave of calls in a row found no endpoint (as `coach replay` stops)."""

    gate = asyncio.Semaphore(concurrency)
    failures = 0
    unreachable_streak = 0
    # Model calls start a call's CPU time apart, as in replay (coach.pacing); a synchronous
    # scorer makes no calls to space out.
    pacer = StartPacer() if concurrency > 1 and not hasattr(scorer, "score_sync") else None

    async def one(number: int, raw: bytes) -> dict[str, Any]:
        nonlocal unreachable_streak
        parsed = parse_line(number, raw)
        if len(parsed) == 2:
            return {"id": parsed[0], "error": parsed[1]}
        ident, context, response = parsed
        async with gate:
            if pacer is not None:
                await pacer.turn()
            try:
                turn = await scorer.score(context, response)
            except ScoringError as exc:
                if getattr(exc, "fatal", False):
                    raise
                if found_no_endpoint(exc):
                    unreachable_streak += 1
                    if unreachable_streak >= give_up_after(concurrency):
                        raise GaveUp(gave_up_message(str(exc), unreachable_streak)) from None
                return {"id": ident, "error": f"line {number}: {exc}"}
            unreachable_streak = 0
        return {"id": ident, **turn.to_dict()}

    emitted = 0

    def emit(result: dict[str, Any]) -> None:
        nonlocal failures, emitted
        failures += "error" in result
        emitted += 1
        out.write(safe_json(result) + "\n")
        out.flush()

    window: deque[asyncio.Task[dict[str, Any]]] = deque()
    limit = max(1, concurrency * 4)
    try:
        number = 0
        async for raw in _lines(source):
            number += 1
            if not raw.strip():
                continue
            window.append(asyncio.create_task(one(number, raw)))
            while len(window) >= limit or (window and window[0].done()):
                emit(await window.popleft())
        while window:
            emit(await window.popleft())
    except ScoringError as exc:  # fatal: a bad key or unknown model fails every line alike
        for task in window:
            task.cancel()
        await asyncio.gather(*window, return_exceptions=True)
        # The lines written above may hold errors: say how many of them are scores.
        scored = emitted - failures
        done = f"{counted(scored, 'line')} above" if scored else "no line"
        error(
            f"{exc} ({done} scored)"
            if isinstance(exc, GaveUp)
            else f"{exc} (stopped; {done} scored)"
        )
        return ExitCode.BACKEND
    finally:
        await close_scorer(scorer)
    return ExitCode.FAILURES if failures else ExitCode.OK
