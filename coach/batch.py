"""Judge calls through the OpenAI Batch API, for replays too large or too costly to run live.

A batch costs half the price of live calls and has its own, much larger rate limits, but
takes minutes to hours (up to the 24 h completion window). The flow:

1. one request line per distinct uncached turn, `custom_id` = the judge's cache key, built
   by the judge itself (`LLMJudge.messages`, `judgement_schema`): the same prompt and schema
   as live calls, so the scores are interchangeable and land in the same cache;
2. upload the JSONL (`files.create`, purpose "batch"), create the batch
   (`/v1/chat/completions`, "24h"), and save its id in a state file under
   `<cache_dir>/batches/` before waiting, so a run stopped while waiting picks the same
   batch up again instead of paying twice; a Ctrl-C during the submission lets it finish
   and save the id first, and a second run on the same turns meanwhile is refused (a lock
   beside the state file), not let in to submit them again;
3. poll with exponential backoff until a final status;
4. download the output and error files, map each line back by `custom_id`, parse it with the
   judge's own parser (`extract_json_object`, `parse_judgement`), cache every good score;
5. an expired, cancelled or partly failed batch keeps what it finished; the other turns are
   reported as failed with the reason, and the state file is dropped so the next run submits
   only those (the rest is cached).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from coach.atomic import write_atomically
from coach.llm.errors import endpoint_message, redact
from coach.locks import LockBusy, acquire, release
from coach.progress import Progress
from coach.scoring.types import Scorer, ScoringError, TurnScore

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from coach.settings import Settings

Sleep = Callable[[float], Awaitable[None]]

ENDPOINT: Final = "/v1/chat/completions"
WINDOW: Final = "24h"
MAX_REQUESTS_PER_BATCH = 50_000  # the API's limit per batch
FINAL = frozenset({"completed", "failed", "expired", "cancelled"})


class BatchError(ScoringError):
    """The Batch API refused the job as a whole (upload or creation failed, batch invalid)."""


@dataclass
class BatchState:
    """What is saved between runs for one submitted chunk of requests."""

    batch_id: str
    input_file_id: str
    requests: int
    submitted_at: float

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def load(cls, path: Path) -> BatchState | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                batch_id=str(data["batch_id"]),
                input_file_id=str(data["input_file_id"]),
                requests=int(data["requests"]),
                submitted_at=float(data["submitted_at"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None


def _error_message(obj: Any) -> str:
    if isinstance(obj, dict):
        err = obj.get("error")
        inner: dict[str, Any] = err if isinstance(err, dict) else obj
        msg = inner.get("message") or inner.get("code") or json.dumps(inner)[:200]
        return str(msg)
    return str(obj)[:200]


class BatchJudgeRunner:
    """Implements `coach.replay.BatchRunner` for an `LLMJudge`."""

    def __init__(
        self,
        judge: Any,
        client: AsyncOpenAI,
        state_dir: Path,
        *,
        sleep: Sleep = asyncio.sleep,
        poll_initial: float = 5.0,
        poll_max: float = 300.0,
        max_requests: int = MAX_REQUESTS_PER_BATCH,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.judge = judge
        self.client = client
        self.state_dir = state_dir
        self.sleep = sleep
        self.poll_initial = poll_initial
        self.poll_max = poll_max
        self.max_requests = max_requests
        self.log = log or (lambda _msg: None)

    @classmethod
    def for_judge(
        cls, judge: Scorer, settings: Settings, *, quiet: bool = False
    ) -> BatchJudgeRunner:
        import sys

        client = getattr(judge, "client", None)
        if client is None:
            raise BatchError("--batch needs the LLM judge")

        def log(msg: str) -> None:
            if not quiet:
                print(msg, file=sys.stderr)

        return cls(judge, client, settings.cache_dir / "batches", log=log)

    # ------------------------------------------------------------------ requests

    def request_line(self, key: str, context: str, response: str) -> dict[str, Any]:
        """One Batch API line: the same request the judge sends live (json_schema mode)."""
        from coach.scoring.judge import judgement_schema

        chat = getattr(self.judge, "_chat", None)
        max_tokens = int(getattr(chat, "max_tokens", 1200))
        return {
            "custom_id": key,
            "method": "POST",
            "url": ENDPOINT,
            "body": {
                "model": self.judge.model,
                "messages": self.judge.messages(context, response),
                "temperature": 0,
                "max_tokens": max_tokens,
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {
                        "name": "turn_scores",
                        "schema": judgement_schema(),
                        "strict": True,
                    },
                },
            },
        }

    def parse_line(self, line: dict[str, Any], response_text: str) -> TurnScore | str:
        """A score, or why this line has none."""
        from coach.scoring.judge import extract_json_object, parse_judgement

        if line.get("error"):
            return f"batch request failed: {_error_message(line['error'])}"
        resp = line.get("response") or {}
        status = resp.get("status_code")
        body = resp.get("body") or {}
        if status != 200:
            return f"batch request failed (HTTP {status}): {_error_message(body)}"
        try:
            choice = body["choices"][0]
            content = choice["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            return "batch reply had no message"
        if choice.get("finish_reason") == "length":
            return "the judge's reply was cut off by the token limit"
        try:
            data = extract_json_object(content)
            parsed = parse_judgement(data, response_text, scorer="llm", model=self.judge.model)
        except ValueError as exc:  # the judge's _Invalid is a ValueError
            return f"the judge's reply was unusable: {exc}"
        return parsed.score

    # ------------------------------------------------------------------ the flow

    def _state_path(self, keys: Sequence[str]) -> Path:
        digest = hashlib.sha256(
            json.dumps([self.judge.model, *sorted(keys)]).encode("utf-8")
        ).hexdigest()[:32]
        return self.state_dir / f"{digest}.json"

    async def run(
        self, items: Sequence[tuple[str, str, str]], progress: Progress
    ) -> dict[str, TurnScore | str]:
        results: dict[str, TurnScore | str] = {}
        try:
            for start in range(0, len(items), self.max_requests):
                chunk = items[start : start + self.max_requests]
                results.update(await self._run_chunk(chunk, progress))
        except BatchError as exc:
            # Server text reaches reports and stderr from here: never with the key in it.
            raise BatchError(self._safe(str(exc))) from None
        return {k: v if isinstance(v, TurnScore) else self._safe(v) for k, v in results.items()}

    def _safe(self, text: str) -> str:
        return redact(text, getattr(self.client, "api_key", None))

    @staticmethod
    def _refusal(exc: BaseException) -> str:
        """One line for an endpoint's refusal: its error sentence, not the SDK's repr of a
        whole HTTP body (an HTML error page once filled 13 lines per turn)."""
        status = getattr(exc, "status_code", None)
        said = endpoint_message(exc)
        if status in {404, 405, 501}:
            head = f"the endpoint has no Batch API here (HTTP {status})"
        else:
            head = f"HTTP {status}" if status else ""
        return ": ".join(part for part in (head, said[:200]) if part) or type(exc).__name__

    async def _run_chunk(
        self, items: Sequence[tuple[str, str, str]], progress: Progress
    ) -> dict[str, TurnScore | str]:
        state_path = self._state_path([key for key, _, _ in items])
        state_path.parent.mkdir(parents=True, exist_ok=True)
        # One run per chunk: two runs started together each submitted (and paid for) it.
        try:
            lock = acquire(state_path.with_suffix(".lock"), create=True)
        except LockBusy:
            raise BatchError(
                "another `coach replay --batch` is submitting or waiting for these turns; "
                "let it finish (its scores land in the cache), then run this again"
            ) from None
        try:
            return await self._run_locked_chunk(items, progress, state_path)
        finally:
            release(lock)

    async def _run_locked_chunk(
        self, items: Sequence[tuple[str, str, str]], progress: Progress, state_path: Path
    ) -> dict[str, TurnScore | str]:
        texts = {key: response for key, _, response in items}
        start_done = progress.done
        state = BatchState.load(state_path)
        if state is not None:
            self.log(f"resuming batch {state.batch_id} ({state.requests} requests)")
        else:
            state = await self._finish_submitting(self._submit_and_save(items, state_path))

        batch = await self._wait(state, progress)
        status = str(batch.status)
        results: dict[str, TurnScore | str] = {}
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            for line in await self._download(file_id):
                key = str(line.get("custom_id", ""))
                if key not in texts:
                    continue
                got = self.parse_line(line, texts[key])
                results[key] = got
                if isinstance(got, TurnScore) and getattr(self.judge, "cache", None):
                    self.judge.cache.put(key, got)
        missing = {
            "expired": "the batch expired before this turn was scored; run again to resubmit",
            "cancelled": "the batch was cancelled before this turn was scored",
            "failed": f"the batch failed: {self._batch_errors(batch)}",
        }.get(status, "no result for this turn in the batch output")
        for key in texts:
            results.setdefault(key, missing)
        good = sum(1 for v in results.values() if isinstance(v, TurnScore))
        progress.done = start_done + len(texts)
        progress.failed += len(texts) - good
        progress.advance(0)
        self.log(f"batch {state.batch_id} {status}: {good}/{len(texts)} scored")
        # Final: the next run submits only what is still missing (the rest is cached).
        state_path.unlink(missing_ok=True)
        return results

    @staticmethod
    def _batch_errors(batch: Any) -> str:
        errors = getattr(batch, "errors", None)
        data = getattr(errors, "data", None) or []
        msgs = [str(getattr(d, "message", d)) for d in data]
        return "; ".join(msgs)[:300] or "no reason given"

    async def _submit_and_save(
        self, items: Sequence[tuple[str, str, str]], state_path: Path
    ) -> BatchState:
        state = await self._submit(items)
        write_atomically(state_path, state.to_json())  # a torn state file would lose the batch
        self.log(f"submitted batch {state.batch_id} ({state.requests} requests)")
        return state

    async def _finish_submitting(self, submitting: Awaitable[BatchState]) -> BatchState:
        """Await the submission through a Ctrl-C, then pass the Ctrl-C on.

        Once the upload has started the server may create the batch whatever we do; stopping
        before its id is saved lost it, and the next run paid for the same turns again."""
        task = asyncio.ensure_future(submitting)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.done():
                self.log("finishing the batch submission first, so it is not paid for twice")
                with contextlib.suppress(Exception):
                    await task
            raise

    async def _submit(self, items: Sequence[tuple[str, str, str]]) -> BatchState:
        import openai

        lines = [
            json.dumps(self.request_line(key, ctx, resp), ensure_ascii=False)
            for key, ctx, resp in items
        ]
        payload = ("\n".join(lines) + "\n").encode("utf-8")
        try:
            uploaded = await self.client.files.create(
                file=("coach-judge-batch.jsonl", payload, "application/jsonl"), purpose="batch"
            )
            batch = await self.client.batches.create(
                input_file_id=uploaded.id,
                endpoint=ENDPOINT,
                completion_window=WINDOW,
                metadata={"tool": "coach replay"},
            )
        except openai.APIError as exc:
            raise BatchError(f"could not submit the batch: {self._refusal(exc)}") from None
        return BatchState(batch.id, uploaded.id, len(items), time.time())

    async def _wait(self, state: BatchState, progress: Progress) -> Any:
        import openai

        delay = self.poll_initial
        base = progress.done
        failures = 0
        while True:
            try:
                batch = await self.client.batches.retrieve(state.batch_id)
            except openai.NotFoundError:
                raise BatchError(f"batch {state.batch_id} no longer exists on the server") from None
            except (openai.APIConnectionError, openai.APITimeoutError, openai.InternalServerError):
                # A blip while waiting hours for a batch must not lose it.
                failures += 1
                if failures > 10:
                    raise BatchError("lost contact with the Batch API while waiting") from None
                await self.sleep(delay)
                delay = min(self.poll_max, delay * 2)
                continue
            failures = 0
            counts = getattr(batch, "request_counts", None)
            if counts is not None:
                progress.done = base + int(counts.completed or 0) + int(counts.failed or 0)
                progress.advance(0)
            if batch.status in FINAL:
                return batch
            await self.sleep(delay)
            delay = min(self.poll_max, delay * 1.5)

    async def _download(self, file_id: str) -> list[dict[str, Any]]:
        content = await self.client.files.content(file_id)
        out: list[dict[str, Any]] = []
        for raw in content.text.splitlines():
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                out.append(obj)
        return out
