"""A model server on this machine gets one request at a time from a session.

llama-cpp-python's server (and llama.cpp, LM Studio) serve one request at a time, and
llama-cpp-python's drops a streaming reply when another request arrives: a tester's LLM
judge, started beside the reply, killed the reply on every turn. With such a server the
judge and hints wait for the reply; with a remote endpoint the judge still runs beside it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from coach.scenario import Scenario
from coach.scoring.analytic import AnalyticScorer
from coach.scoring.types import TurnScore
from coach.session import Session
from coach.settings import Settings
from tests.tui._backends import FakeBackend

REPLY = "It sounds like the number matters less than feeling valued. What would help?"


class ModelJudge:
    """A judge that calls a model (it has a client), counting its calls."""

    name = "llm"
    client = object()

    def __init__(self) -> None:
        self.inner = AnalyticScorer()
        self.rubric_version = self.inner.rubric_version
        self.calls = 0

    async def score(self, context: str, response: str) -> TurnScore:
        self.calls += 1
        return self.inner.score_sync(context, response)


async def _settle() -> None:
    for _ in range(10):  # let every task that can run, run (no timing involved)
        await asyncio.sleep(0)


async def _mid_reply(
    salary: Scenario, tmp_path: Path, base_url: str, **extra: bool
) -> tuple[Session, FakeBackend, ModelJudge, asyncio.Task[object]]:
    backend = FakeBackend(("Well,", " maybe."), hold=True)
    judge = ModelJudge()
    settings = Settings(home=tmp_path, base_url=base_url, **extra)
    session = Session(salary, backend, judge, tmp_path / "s.jsonl", settings=settings)
    await session.start()
    reply: asyncio.Task[object] = asyncio.create_task(session.send(REPLY).run())
    await backend.started.wait()
    await _settle()
    return session, backend, judge, reply


async def test_on_a_local_server_the_judge_and_hints_wait_for_the_reply(
    salary: Scenario, tmp_path: Path
) -> None:
    session, backend, judge, reply = await _mid_reply(salary, tmp_path, "http://localhost:8080/v1")
    assert judge.calls == 0  # not while the reply streams
    # On its way, not failed: the app showed "not scored · Ctrl+R scores it again" here.
    assert session.unscored == []
    hint = asyncio.create_task(session.hint())
    await _settle()
    assert not hint.done()

    backend.release.set()
    await reply
    assert await hint  # then the hint
    await session.wait_scores()
    assert judge.calls == 1  # and the score, once
    assert session.turns[0].score is not None
    await session.aclose()


async def test_a_remote_endpoint_scores_beside_the_reply(salary: Scenario, tmp_path: Path) -> None:
    session, backend, judge, reply = await _mid_reply(salary, tmp_path, "https://api.example/v1")
    assert judge.calls == 1  # the score does not wait for the reply
    backend.release.set()
    await reply
    await session.aclose()


async def test_parallel_requests_in_the_config_wins(salary: Scenario, tmp_path: Path) -> None:
    session, backend, judge, reply = await _mid_reply(
        salary, tmp_path, "http://127.0.0.1:8080/v1", parallel_requests=True
    )
    assert judge.calls == 1
    backend.release.set()
    await reply
    await session.aclose()


@pytest.mark.parametrize(
    ("base_url", "parallel", "one_at_a_time"),
    [
        ("http://localhost:11434/v1", None, True),
        ("http://127.0.0.1:8080/v1", None, True),
        ("http://[::1]:1234/v1", None, True),
        ("http://llm.localhost/v1", None, True),
        ("https://api.openai.com/v1", None, False),
        ("http://192.168.1.20:11434/v1", None, False),
        (None, None, False),
        ("https://api.openai.com/v1", False, True),
        ("http://localhost:8000/v1", True, False),
    ],
)
def test_which_endpoints_get_one_request_at_a_time(
    base_url: str | None, parallel: bool | None, one_at_a_time: bool
) -> None:
    settings = Settings(base_url=base_url, parallel_requests=parallel)
    assert settings.one_request_at_a_time is one_at_a_time
