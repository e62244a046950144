"""Bulk re-scoring of stored conversations: the engine behind `coach replay`.

Evaluators re-score hundreds or millions of learner turns, with the same scorers the live app
uses (so a replay of a transcript with the scorer it was recorded with gives back the recorded
scores). The work is shaped for that:

- files are imported one by one; a file that cannot be read becomes a `FileFailure` and the
  others still run;
- synchronous scorers (the analytic one) run inline: microseconds per turn, nothing to gain
  from tasks;
- asynchronous scorers (the LLM judge) run on a fixed pool of `concurrency` workers sharing
  one semaphore, so never more than N calls are in flight and memory does not grow with the
  number of turns; their calls start a call's CPU time apart (coach.pacing), which keeps
  the workers from falling into lockstep;
- the scorer's own on-disk cache is the resume journal: every finished judge call is stored
  before the next starts, turns found in the cache are counted as done without a call, so a
  run stopped with Ctrl-C continues where it stopped and a second run makes no calls at all;
- `--batch` hands the uncached judge turns to the OpenAI Batch API instead (coach.batch);
- `--jobs N` imports the files and runs the heuristic scorer in N processes (it is CPU-bound
  Python, one core per process), then merges their results in input order, so the run and
  its report are the same as with one process; judge calls stay in this process's pool.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol

from coach.importers import STDIN, Conversation, ImportFailure, Turn, load_conversations
from coach.pacing import StartPacer
from coach.progress import Progress
from coach.scoring.types import SKILLS, Scorer, ScoringError, TurnScore
from coach.wording import counted


@dataclass(frozen=True, slots=True)
class FileFailure:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(slots=True)
class TurnResult:
    """One (conversation, turn, scorer) outcome: a score, or why there is none."""

    conv: int  # index into ReplayRun.conversations
    turn: Turn
    scorer: str
    score: TurnScore | None = None
    error: str | None = None
    cached: bool = False  # found in the scorer's cache: no call was made for it

    @property
    def ok(self) -> bool:
        return self.score is not None

    @property
    def recorded_otherwise(self) -> Literal["rubric", "model"] | None:
        """Why a score this scorer recorded is not expected to reproduce: another rubric
        version ("rubric"), or another judge model ("model": comparing models is the point
        of such a replay, not a failure to reproduce). None when it is, or nothing to say."""
        rec = self.turn.recorded
        if rec is None or self.score is None or rec.scorer != self.scorer:
            return None
        if rec.rubric_version != self.score.rubric_version:
            return "rubric"
        if rec.model and self.score.model and rec.model != self.score.model:
            return "model"
        return None

    def recorded_delta(self) -> dict[str, float] | None:
        """Replayed minus recorded score per skill, when the turn was recorded by this scorer
        under the same rubric version and judge model (a newer rubric or another model is
        meant to score differently)."""
        rec = self.turn.recorded
        if rec is None or self.score is None or rec.scorer != self.scorer:
            return None
        if self.recorded_otherwise is not None:
            return None
        return {s: round(self.score.skill(s).score - rec.skill(s).score, 2) for s in SKILLS}


@dataclass
class ReplayRun:
    """Everything a report needs; filled in as the run goes, so an interrupt keeps it."""

    scorers: list[str]
    conversations: list[Conversation] = field(default_factory=list)
    results: list[TurnResult] = field(default_factory=list)
    failures: list[FileFailure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    elapsed: float = 0.0
    calls: int = 0  # scorer calls actually made (cache misses)
    # Requests sent to a model endpoint, each attempt counted (the judge's retries included,
    # identical turns once); None when no scorer talks to one, or the Batch API carried them.
    model_requests: int | None = None
    unreachable_streak: int = 0  # judge calls in a row that timed out or found no server
    interrupted: bool = False
    fatal: str | None = None  # an error that stopped the run (bad key, unknown model)
    # Set once replay_files has read every file: before that, an interrupt has no turn
    # counts to report ("interrupted after 0 of 0 turn scores" said nothing true).
    files_read: bool = False

    @property
    def failed_turns(self) -> list[TurnResult]:
        return [r for r in self.results if r.error is not None]

    @property
    def scored(self) -> int:
        return sum(1 for r in self.results if r.ok)

    @property
    def cached(self) -> int:
        return sum(1 for r in self.results if r.cached)

    @property
    def ok(self) -> bool:
        return not (self.failures or self.failed_turns or self.interrupted or self.fatal)

    def reproduction(self) -> Reproduction:
        """How the replayed scores compare with the ones recorded in the transcripts."""
        compared = exact = other_rubric = other_model = 0
        worst = 0.0
        differing: list[str] = []
        for r in self.results:
            otherwise = r.recorded_otherwise
            other_rubric += otherwise == "rubric"
            other_model += otherwise == "model"
            delta = r.recorded_delta()
            if delta is None:
                continue
            compared += 1
            biggest = max(abs(d) for d in delta.values())
            worst = max(worst, biggest)
            if biggest < 0.005:
                exact += 1
            else:
                differing.append(f"{self.conversations[r.conv].label} {r.turn.turn_id}")
        return Reproduction(compared, exact, worst, other_rubric, tuple(differing), other_model)


class Reproduction(NamedTuple):
    compared: int  # turns with a score recorded by the same scorer and rubric version
    exact: int  # ... that the replay matched to two decimals
    worst: float  # the largest |replayed - recorded| over those
    other_rubric: int  # turns recorded under another rubric version, not compared
    differing: tuple[str, ...] = ()  # "file#session L2" for each compared turn that differs
    other_model: int = 0  # turns the judge recorded with another model, not compared


class BatchRunner(Protocol):
    """Scores many turns at once for one scorer (the Batch API); keys are the scorer's cache
    keys. Returns, per key, a score or an error message."""

    async def run(
        self, items: Sequence[tuple[str, str, str]], progress: Progress
    ) -> dict[str, TurnScore | str]: ...


def load_all(
    paths: Iterable[Path | str], *, learner: str | None = None, stdin: bytes | None = None
) -> tuple[list[Conversation], list[FileFailure], list[str]]:
    """Import every file; a bad one becomes a FileFailure, the others still load.

    A path `-` is standard input, whose content the caller read into `stdin` (worker
    processes cannot read it themselves); it is named `<stdin>` in the reports.
    """
    conversations: list[Conversation] = []
    failures: list[FileFailure] = []
    warnings: list[str] = []
    for raw in paths:
        path = Path(raw)
        data: bytes | None = None
        if str(raw) == "-":
            path, data = STDIN, stdin if stdin is not None else b""
        try:
            convs = load_conversations(path, learner=learner, data=data)
        except ImportFailure as exc:
            failures.append(FileFailure(path, exc.message))
            continue
        except Exception as exc:  # a reader bug must not sink the whole replay
            failures.append(FileFailure(path, f"unexpected error: {type(exc).__name__}: {exc}"))
            continue
        for conv in convs:
            warnings.extend(conv.warnings)
            if not conv.turns:
                warnings.append(f"{path}: no learner turns to score")
            conversations.append(conv)
    return conversations, failures, warnings


def _is_fatal(exc: BaseException) -> bool:
    return bool(getattr(exc, "fatal", False))


def _cache_probe(scorer: Scorer) -> Callable[[str, str], tuple[str, TurnScore | None]] | None:
    """(key, cached score) lookup for scorers exposing `key()` and a `cache`, else None."""
    key_fn: Callable[[str, str], str] | None = getattr(scorer, "key", None)
    cache: Any = getattr(scorer, "cache", None)
    if key_fn is None or cache is None or getattr(scorer, "bypass_cache", False):
        return None

    def probe(context: str, response: str) -> tuple[str, TurnScore | None]:
        key = key_fn(context, response)
        hit: TurnScore | None = cache.get(key)
        return key, hit

    return probe


async def replay(
    conversations: Sequence[Conversation],
    scorers: Sequence[Scorer],
    *,
    concurrency: int = 8,
    run: ReplayRun | None = None,
    progress: Progress | None = None,
    batch: BatchRunner | None = None,
    precomputed: dict[str, list[TurnScore | str]] | None = None,
) -> ReplayRun:
    """Score every learner turn of every conversation with every scorer.

    `run` may be passed in so that the caller still holds the partial results after a
    cancellation (Ctrl-C). Results are kept in input order: conversation, turn, scorer.
    `precomputed[name]` holds that scorer's outcomes (a score, or the error message) for
    every turn in that order, already computed elsewhere (`--jobs` worker processes).
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    run = run if run is not None else ReplayRun(scorers=[s.name for s in scorers])
    run.conversations = list(conversations)
    total = sum(len(c.turns) for c in conversations) * len(scorers)
    progress = progress or Progress(total, enabled=False)
    progress.total = total
    progress.show()

    # Preallocate in final order; workers fill the slots.
    slots: list[TurnResult] = []
    for ci, conv in enumerate(conversations):
        for turn in conv.turns:
            for scorer in scorers:
                slots.append(TurnResult(ci, turn, scorer.name))
    run.results = slots
    width = len(scorers)
    requests_before = None if batch is not None else _judge_count(scorers, "requests")
    dropped_before = _judge_count(scorers, "dropped_quotes") or 0

    try:
        for si, scorer in enumerate(scorers):
            mine = slots[si::width]
            done = (precomputed or {}).get(scorer.name)
            if done is not None:
                _fill(mine, done, run, progress)
                continue
            score_sync: Callable[[str, str], TurnScore] | None = getattr(scorer, "score_sync", None)
            if score_sync is not None:
                await _run_sync(score_sync, mine, run, progress)
                continue
            pending = _from_cache(scorer, mine, progress)
            if batch is not None and getattr(scorer, "name", "") == "llm":
                await _run_batch(scorer, pending, batch, run, progress)
            else:
                await _run_async(scorer, pending, concurrency, run, progress)
            if run.fatal:
                break
    except asyncio.CancelledError:
        run.interrupted = True
        raise
    finally:
        run.elapsed = time.monotonic() - run.started
        if requests_before is not None:
            run.model_requests = (_judge_count(scorers, "requests") or 0) - requests_before
        dropped = (_judge_count(scorers, "dropped_quotes") or 0) - dropped_before
        if dropped:
            # Said, not only logged: a judge that makes up evidence may make up scores too.
            run.warnings.append(
                f"the judge quoted {counted(dropped, 'passage')} that the learner did not write; "
                "they were dropped from the evidence"
            )
        progress.close()
    return run


def _judge_count(scorers: Sequence[Scorer], counter: str) -> int | None:
    """The sum of a counter the LLM judge keeps (`requests`, `dropped_quotes`); None when
    no scorer keeps it."""
    counts = [getattr(s, counter, None) for s in scorers]
    known = [c for c in counts if isinstance(c, int)]
    return sum(known) if known else None


# Turns scored between returns to the event loop: Ctrl-C cancels the run there (asyncio
# only cancels at an await), which a loop that never returned left to the very end.
_SYNC_STRIDE = 64


async def _run_sync(
    score_sync: Callable[[str, str], TurnScore],
    slots: list[TurnResult],
    run: ReplayRun,
    progress: Progress,
) -> None:
    for i, slot in enumerate(slots):
        if i % _SYNC_STRIDE == _SYNC_STRIDE - 1:
            await asyncio.sleep(0)
        try:
            slot.score = score_sync(slot.turn.context, slot.turn.response)
        except ScoringError as exc:
            slot.error = str(exc)
        run.calls += 1
        progress.advance(failed=slot.error is not None)


def _fill(
    slots: list[TurnResult], outcomes: list[TurnScore | str], run: ReplayRun, progress: Progress
) -> None:
    if len(outcomes) != len(slots):
        raise RuntimeError("precomputed outcomes do not match the turns to score")
    failed = 0
    for slot, outcome in zip(slots, outcomes, strict=True):
        if isinstance(outcome, TurnScore):
            slot.score = outcome
        else:
            slot.error = outcome
            failed += 1
    run.calls += len(slots)
    progress.advance(len(slots) - failed)
    if failed:
        progress.advance(failed, failed=True)


def _from_cache(scorer: Scorer, slots: list[TurnResult], progress: Progress) -> list[TurnResult]:
    """Fill the slots the cache already holds; return the ones still to score."""
    probe = _cache_probe(scorer)
    if probe is None:
        return slots
    pending: list[TurnResult] = []
    hits = 0
    for slot in slots:
        _, hit = probe(slot.turn.context, slot.turn.response)
        if hit is None:
            pending.append(slot)
        else:
            slot.score, slot.cached = hit, True
            hits += 1
    if hits:
        progress.skip(hits)
    return pending


async def _run_async(
    scorer: Scorer,
    slots: list[TurnResult],
    concurrency: int,
    run: ReplayRun,
    progress: Progress,
) -> None:
    queue: asyncio.Queue[TurnResult] = asyncio.Queue()
    for slot in slots:
        queue.put_nowait(slot)

    # Calls start a call's CPU time apart, or the workers fall into lockstep (coach.pacing).
    pacer = StartPacer()

    # A fixed pool of N workers rather than one task per turn: at most N calls in flight,
    # and memory does not grow with the number of turns.
    async def worker() -> None:
        while not run.fatal:
            try:
                slot = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            if concurrency > 1:
                await pacer.turn()
                if run.fatal:  # another call found the key bad or the endpoint gone meanwhile
                    return
            await _score_one(scorer.score, slot, run, give_up_after=give_up_after(concurrency))
            progress.advance(failed=slot.error is not None)

    workers = [asyncio.create_task(worker()) for _ in range(min(concurrency, len(slots)))]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise


# Failures that say the endpoint is not there, rather than that one turn went wrong.
_UNREACHABLE_KINDS = frozenset({"timeout", "endpoint_down"})


def found_no_endpoint(exc: BaseException) -> bool:
    """Whether a failed call timed out or found no server (after its retries)."""
    return getattr(exc, "kind", None) in _UNREACHABLE_KINDS


def give_up_after(concurrency: int) -> int:
    """How many calls in a row may find the endpoint not there before a run stops: a whole
    wave of them (each already waited out its retries, a minute each on a hanging server)."""
    return max(4, concurrency)


def gave_up_message(error: str, calls: int) -> str:
    """What a run says when it stops after `calls` such failures in a row."""
    if error.endswith("?"):  # an error that says what to check needs no second question
        return f"{error} Stopped after {calls} such calls in a row."
    return f"{error} ({calls} calls in a row); stopped. Is the endpoint up?"


async def _score_one(
    score: Callable[[str, str], Awaitable[TurnScore]],
    slot: TurnResult,
    run: ReplayRun,
    *,
    give_up_after: int | None = None,
) -> None:
    try:
        run.calls += 1
        slot.score = await score(slot.turn.context, slot.turn.response)
        run.unreachable_streak = 0
    except ScoringError as exc:
        slot.error = str(exc) or type(exc).__name__
        if _is_fatal(exc):
            run.fatal = slot.error
        elif found_no_endpoint(exc):
            # A wave of them in a row stops the run instead of going on for hours; the cache
            # keeps what was scored, a rerun continues.
            run.unreachable_streak += 1
            if (
                give_up_after is not None
                and run.unreachable_streak >= give_up_after
                and run.fatal is None  # the first to cross says it; calls in flight end too
            ):
                run.fatal = gave_up_message(slot.error, run.unreachable_streak)
    except (OSError, ValueError) as exc:
        slot.error = f"{type(exc).__name__}: {exc}"


async def _run_batch(
    scorer: Scorer,
    slots: list[TurnResult],
    batch: BatchRunner,
    run: ReplayRun,
    progress: Progress,
) -> None:
    if not slots:
        return
    key_fn: Callable[[str, str], str] = scorer.key  # type: ignore[attr-defined]
    by_key: dict[str, list[TurnResult]] = {}
    items: list[tuple[str, str, str]] = []
    for slot in slots:
        key = key_fn(slot.turn.context, slot.turn.response)
        if key not in by_key:
            items.append((key, slot.turn.context, slot.turn.response))
        by_key.setdefault(key, []).append(slot)
    try:
        outcome = await batch.run(items, progress)
    except ScoringError as exc:
        run.fatal = str(exc)
        outcome = {}
    run.calls += len(items)
    for key, group in by_key.items():
        got = outcome.get(key)
        for slot in group:
            if isinstance(got, TurnScore):
                slot.score = got
            else:
                slot.error = got or run.fatal or "no result from the batch"
    # The runner advanced the progress for what it finished; the rest failed.


async def replay_files(
    paths: Sequence[Path | str],
    scorers: Sequence[Scorer],
    *,
    learner: str | None = None,
    concurrency: int = 8,
    run: ReplayRun | None = None,
    progress_factory: Callable[[int], Progress] | None = None,
    batch: BatchRunner | None = None,
    jobs: int = 1,
    stdin: bytes | None = None,
) -> ReplayRun:
    """Import the files, then `replay` them; file failures are recorded in the run.

    With `jobs > 1` the files are imported, and scored by the scorers that `jobs` can run
    elsewhere (the heuristic one), in that many worker processes; the result is the same.
    A path `-` is standard input, already read into `stdin`.
    """
    if jobs < 1:
        raise ValueError("jobs must be at least 1")
    precomputed: dict[str, list[TurnScore | str]] | None = None
    if jobs > 1 and len(paths) > 1:
        offload = tuple(s.name for s in scorers if s.name in PARALLEL_SCORERS)
        label_progress = progress_factory(len(paths)) if progress_factory else None
        conversations, failures, warnings, precomputed = await _parallel_load(
            [str(p) for p in paths], learner, offload, jobs, label_progress, stdin
        )
    else:
        conversations, failures, warnings = load_all(paths, learner=learner, stdin=stdin)
    run = run if run is not None else ReplayRun(scorers=[s.name for s in scorers])
    run.failures.extend(failures)
    run.warnings.extend(warnings)
    run.files_read = True
    total = sum(len(c.turns) for c in conversations) * len(scorers)
    progress = progress_factory(total) if progress_factory else None
    return await replay(
        conversations,
        scorers,
        concurrency=concurrency,
        run=run,
        progress=progress,
        batch=batch,
        precomputed=precomputed,
    )


# --------------------------------------------------------------------------- --jobs

# Scorers a worker process can build by name and run synchronously (no cache, no client).
PARALLEL_SCORERS = ("heuristic",)
_worker_scorers: dict[str, Scorer] = {}

Chunk = tuple[list[Conversation], list[FileFailure], list[str], dict[str, list[TurnScore | str]]]


def _worker_init() -> None:
    # Ctrl-C is the parent's to handle: it stops the pool; workers must not print tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A parent killed on its own (`kill PID`, a supervisor, the OOM killer) left its workers
    # blocked for ever on pipes they hold both ends of: they go when it goes.
    parent = os.getppid()
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)  # nobody is left to read what this worker would send


def _worker_chunk(
    paths: list[str], learner: str | None, names: tuple[str, ...], stdin: bytes | None = None
) -> Chunk:
    """Import `paths` and score their turns with the named scorers (in a worker process)."""
    from coach.scoring.analytic import AnalyticScorer

    for name in names:
        if name not in _worker_scorers:
            _worker_scorers[name] = AnalyticScorer()
    conversations, failures, warnings = load_all(paths, learner=learner, stdin=stdin)
    outcomes: dict[str, list[TurnScore | str]] = {name: [] for name in names}
    for name in names:
        score_sync: Callable[[str, str], TurnScore] = _worker_scorers[name].score_sync  # type: ignore[attr-defined]
        out = outcomes[name]
        for conv in conversations:
            for turn in conv.turns:
                try:
                    out.append(score_sync(turn.context, turn.response))
                except ScoringError as exc:
                    out.append(str(exc))
    return conversations, failures, warnings, outcomes


def _chunks(paths: list[str], jobs: int) -> list[list[str]]:
    """Contiguous slices, several per job so a slow slice does not leave the others idle."""
    count = min(len(paths), jobs * 4)
    size, extra = divmod(len(paths), count)
    out: list[list[str]] = []
    start = 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        out.append(paths[start:end])
        start = end
    return out


async def _parallel_load(
    paths: list[str],
    learner: str | None,
    names: tuple[str, ...],
    jobs: int,
    progress: Progress | None,
    stdin: bytes | None = None,
) -> tuple[list[Conversation], list[FileFailure], list[str], dict[str, list[TurnScore | str]]]:
    from concurrent.futures import ProcessPoolExecutor

    chunks = _chunks(paths, jobs)
    workers = min(jobs, len(chunks), os.cpu_count() or jobs)
    loop = asyncio.get_running_loop()
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init)
    results: list[Chunk | None] = [None] * len(chunks)
    try:

        async def one(i: int) -> None:
            data = stdin if "-" in chunks[i] else None  # sent only to the slice that reads it
            results[i] = await loop.run_in_executor(
                pool, _worker_chunk, chunks[i], learner, names, data
            )
            if progress is not None:
                progress.advance(len(chunks[i]))

        await asyncio.gather(*(one(i) for i in range(len(chunks))))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if progress is not None:
            progress.close()
    conversations: list[Conversation] = []
    failures: list[FileFailure] = []
    warnings: list[str] = []
    outcomes: dict[str, list[TurnScore | str]] = {name: [] for name in names}
    for chunk in results:
        assert chunk is not None
        conversations += chunk[0]
        failures += chunk[1]
        warnings += chunk[2]
        for name in names:
            outcomes[name] += chunk[3][name]
    return conversations, failures, warnings, outcomes
