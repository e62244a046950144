"""The OpenAI Batch API flow with respx and the real SDK: submit, poll, download, map back by
custom_id, resume a submitted batch, and keep what an expired or partly failed batch did."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from coach.batch import BatchJudgeRunner
from coach.importers import Conversation, Turn
from coach.replay import replay
from coach.scoring.judge import LLMJudge
from coach.settings import Settings
from tests.other_process import holding_process

from .conftest import BASE, KEY, judge_payload


def conv(n: int) -> Conversation:
    turns = tuple(
        Turn(f"L{i}", i, f"Context {i}", f"Answer{i} tell me more.") for i in range(1, n + 1)
    )
    return Conversation(Path("x.jsonl"), "coach", "x", turns, "d")


def batch_obj(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "batch_1",
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "input_file_id": "file_in",
        "completion_window": "24h",
        "status": status,
        "created_at": 0,
        "request_counts": {"total": 4, "completed": 0, "failed": 0},
        **extra,
    }


def file_obj(fid: str) -> dict[str, Any]:
    return {
        "id": fid,
        "object": "file",
        "bytes": 1,
        "created_at": 0,
        "filename": "f",
        "purpose": "batch",
        "status": "processed",
    }


class FakeBatchAPI:
    """Keeps the uploaded requests and answers them; `fail` custom_ids go to the error file,
    `drop` ones get no line at all (as in an expired batch)."""

    def __init__(self, mock: respx.MockRouter, statuses: list[str]) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses = statuses
        self.fail: set[int] = set()
        self.drop: set[int] = set()
        self.creates = 0
        mock.post("/files").mock(side_effect=self.upload)
        mock.post("/batches").mock(side_effect=self.create)
        mock.get("/batches/batch_1").mock(side_effect=self.retrieve)
        mock.get("/files/file_out/content").mock(side_effect=self.output)
        mock.get("/files/file_err/content").mock(side_effect=self.errors)

    def upload(self, request: httpx.Request) -> httpx.Response:
        body = request.content.decode("utf-8", "replace")
        assert 'name="purpose"' in body and "batch" in body
        start = body.index('{"custom_id"')
        end = body.rindex("}") + 1
        self.requests = [json.loads(x) for x in body[start:end].splitlines() if x.strip()]
        return httpx.Response(200, json=file_obj("file_in"))

    def create(self, request: httpx.Request) -> httpx.Response:
        self.creates += 1
        data = json.loads(request.content)
        assert data["endpoint"] == "/v1/chat/completions"
        assert data["completion_window"] == "24h"
        assert data["input_file_id"] == "file_in"
        return httpx.Response(200, json=batch_obj("validating"))

    def retrieve(self, request: httpx.Request) -> httpx.Response:
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        extra: dict[str, Any] = {}
        if status in {"completed", "expired", "failed"}:
            extra["output_file_id"] = "file_out"
            if self.fail:
                extra["error_file_id"] = "file_err"
        return httpx.Response(200, json=batch_obj(status, **extra))

    def _response_text(self, req: dict[str, Any]) -> str:
        user = req["body"]["messages"][-1]["content"]
        chunk = user[user.index("LEARNER_REPLY") :].split("\n")[1]
        return chunk.strip()

    def output(self, request: httpx.Request) -> httpx.Response:
        lines = []
        for i, req in enumerate(self.requests):
            if i in self.fail or i in self.drop:
                continue
            content = json.dumps(judge_payload(self._response_text(req)))
            lines.append(
                {
                    "id": f"r{i}",
                    "custom_id": req["custom_id"],
                    "error": None,
                    "response": {
                        "status_code": 200,
                        "request_id": f"q{i}",
                        "body": {
                            "id": "c",
                            "object": "chat.completion",
                            "created": 0,
                            "model": "m",
                            "choices": [
                                {
                                    "index": 0,
                                    "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": content},
                                }
                            ],
                        },
                    },
                }
            )
        return httpx.Response(200, text="\n".join(json.dumps(x) for x in lines) + "\n")

    def errors(self, request: httpx.Request) -> httpx.Response:
        lines = [
            {
                "id": f"r{i}",
                "custom_id": self.requests[i]["custom_id"],
                "response": {"status_code": 400, "body": {"error": {"message": "bad request"}}},
                "error": None,
            }
            for i in sorted(self.fail)
        ]
        return httpx.Response(200, text="\n".join(json.dumps(x) for x in lines) + "\n")


def make(settings: Settings) -> tuple[LLMJudge, BatchJudgeRunner, list[float]]:
    sleeps: list[float] = []

    async def fake_sleep(s: float) -> None:
        sleeps.append(s)

    judge = LLMJudge(settings)
    runner = BatchJudgeRunner(
        judge, judge.client, settings.cache_dir / "batches", sleep=fake_sleep, poll_initial=2.0
    )
    return judge, runner, sleeps


async def test_whole_batch_flow(settings: Settings) -> None:
    judge, runner, sleeps = make(settings)
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        api = FakeBatchAPI(mock, ["validating", "in_progress", "finalizing", "completed"])
        chat = mock.post("/chat/completions")
        run = await replay([conv(4)], [judge], batch=runner)
    assert run.ok and run.scored == 4
    assert chat.call_count == 0  # nothing went through live calls
    assert len(api.requests) == 4
    req = api.requests[0]
    assert req["method"] == "POST" and req["url"] == "/v1/chat/completions"
    assert req["body"]["response_format"]["type"] == "json_schema"
    assert req["body"]["temperature"] == 0
    assert sleeps == [2.0, 3.0, 4.5]  # backoff while polling
    keys = {r["custom_id"] for r in api.requests}
    assert keys == {judge.key(t.context, t.response) for t in conv(4).turns}
    # mapped back by custom_id: each turn got the score computed from its own text
    for r in run.results:
        assert r.score is not None
        assert r.score.empathy.score == judge_payload(r.turn.response)["empathy"]["score"]
    # results are cached: a live rerun costs nothing
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        chat = mock.post("/chat/completions")
        again = await replay([conv(4)], [LLMJudge(settings)])
    assert again.cached == 4 and chat.call_count == 0


async def test_partly_failed_batch_reports_failed_turns_and_scores_the_rest(
    settings: Settings,
) -> None:
    judge, runner, _ = make(settings)
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        api = FakeBatchAPI(mock, ["completed"])
        api.fail = {1}
        run = await replay([conv(4)], [judge], batch=runner)
    assert run.scored == 3
    [failed] = run.failed_turns
    assert failed.turn.turn_id == "L2" and "HTTP 400" in (failed.error or "")
    assert not run.ok


async def test_expired_batch_keeps_partial_output(settings: Settings) -> None:
    judge, runner, _ = make(settings)
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        api = FakeBatchAPI(mock, ["in_progress", "expired"])
        api.drop = {2, 3}
        run = await replay([conv(4)], [judge], batch=runner)
    assert run.scored == 2
    assert all("expired" in (r.error or "") for r in run.failed_turns)
    assert not list((settings.cache_dir / "batches").glob("*.json"))  # next run resubmits
    # The next run submits only the two missing turns.
    judge2, runner2, _ = make(settings)
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        api2 = FakeBatchAPI(mock, ["completed"])
        run2 = await replay([conv(4)], [judge2], batch=runner2)
    assert len(api2.requests) == 2 and run2.ok and run2.cached == 2


async def test_resume_a_submitted_batch_without_resubmitting(settings: Settings) -> None:
    judge, runner, _ = make(settings)
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        api = FakeBatchAPI(mock, ["in_progress"])

        async def interrupt(_s: float) -> None:
            raise KeyboardInterrupt  # Ctrl-C while waiting for the batch

        runner.sleep = interrupt
        with contextlib.suppress(KeyboardInterrupt):
            await replay([conv(4)], [judge], batch=runner)
        assert api.creates == 1
        assert len(list((settings.cache_dir / "batches").glob("*.json"))) == 1
        requests = api.requests

    judge2, runner2, _ = make(settings)
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        api2 = FakeBatchAPI(mock, ["completed"])
        api2.requests = requests  # the server still has the uploaded file
        upload = mock.routes[0]
        run = await replay([conv(4)], [judge2], batch=runner2)
    assert api2.creates == 0 and upload.call_count == 0
    assert run.ok and run.scored == 4


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        # A proxy that echoes the request's headers in its error: the key must not come back.
        (
            400,
            {"error": {"message": f"bad upload; got Authorization: Bearer {KEY} \x1b[31m"}},
            "HTTP 400",
        ),
        (501, "<html><body><h1>Unsupported method ('POST')</h1>\n" * 13, "no Batch API"),
    ],
)
async def test_a_refused_submission_is_one_line_without_the_key(
    settings: Settings, status: int, body: Any, expected: str
) -> None:
    judge, runner, _ = make(settings)
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        kind = {"json": body} if isinstance(body, dict) else {"text": body}
        mock.post("/files").mock(return_value=httpx.Response(status, **kind))
        run = await replay([conv(3)], [judge], batch=runner)
    assert run.scored == 0 and len(run.failed_turns) == 3
    for failed in run.failed_turns:
        error = failed.error or ""
        assert error.startswith("could not submit the batch: ") and expected in error, error
        assert KEY not in error and "FAKEKEY" not in error
        assert "\n" not in error and "<html" not in error and len(error) < 300


async def test_stopping_during_the_submission_saves_the_batch_for_the_next_run(
    settings: Settings,
) -> None:
    # Ctrl-C while the batch was being created lost its id: the server had the batch, the
    # next run created (and paid for) another.
    judge, runner, _ = make(settings)
    creating, go_on = asyncio.Event(), asyncio.Event()
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        api = FakeBatchAPI(mock, ["in_progress"])

        async def slow_create(request: httpx.Request) -> httpx.Response:
            creating.set()
            await go_on.wait()
            return api.create(request)

        mock.post("/batches").mock(side_effect=slow_create)
        task = asyncio.create_task(replay([conv(4)], [judge], batch=runner))
        await creating.wait()
        task.cancel()  # what Ctrl-C does to `coach replay`
        await asyncio.sleep(0)
        go_on.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert api.creates == 1
        requests = api.requests
    assert len(list((settings.cache_dir / "batches").glob("*.json"))) == 1

    judge2, runner2, _ = make(settings)
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        api2 = FakeBatchAPI(mock, ["completed"])
        api2.requests = requests
        run = await replay([conv(4)], [judge2], batch=runner2)
    assert api2.creates == 0 and run.ok and run.scored == 4


async def test_a_second_run_on_the_same_turns_is_refused_while_one_is_submitting(
    settings: Settings,
) -> None:
    judge, runner, _ = make(settings)
    keys = [judge.key(t.context, t.response) for t in conv(4).turns]
    lock = runner._state_path(keys).with_suffix(".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    held = f"""
        from pathlib import Path
        from coach.locks import acquire
        acquire(Path({str(lock)!r}), create=True)
        """
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        api = FakeBatchAPI(mock, ["completed"])
        with holding_process(held):
            run = await replay([conv(4)], [judge], batch=runner)
        assert api.creates == 0 and not api.requests
        assert "another `coach replay --batch`" in (run.fatal or "")
        # Once that run is over, this one goes ahead.
        again = await replay([conv(4)], [LLMJudge(settings)], batch=make(settings)[1])
    assert again.ok and again.scored == 4 and api.creates == 1
