"""Every model call a session pays for is in its tokens and cost: the counterpart's replies,
hints, and the LLM judge's calls, each at its own model's price."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
import respx
from openai_fakes import completion

from coach.llm.base import Usage
from coach.llm.meter import UsageMeter
from coach.llm.offline import OfflineBackend
from coach.scenario import Scenario
from coach.scoring.analytic import AnalyticScorer
from coach.scoring.judge import LLMJudge
from coach.session import Session
from coach.settings import Settings
from coach.tokens import estimate_cost
from tests.tui._backends import FakeBackend

from .helpers import BASE_URL, EMPATHETIC, FAKE_KEY
from .test_openai_backend import URL, Sleeps, make_backend, ok_stream

JUDGE_REPLY = json.dumps(
    {
        "empathy": {
            "score": 4,
            "emotional_reactions": 1,
            "interpretations": 1,
            "explorations": 1,
            "evidence": [],
            "tip": "Name the feeling.",
        },
        "active_listening": {
            "score": 3,
            "reflection": "simple",
            "question": "open",
            "evidence": [],
            "tip": "Reflect first.",
        },
        "clarity": {"score": 4, "evidence": [], "tip": "Lead with the ask."},
    }
)


def test_the_meter_prices_each_model_at_its_own_rate() -> None:
    meter = UsageMeter()
    meter.add("gpt-4o-mini", Usage(1000, 100))
    meter.add("gpt-4o", Usage(2000, 200))
    assert meter.usage.total_tokens == 3300 and meter.requests == 2
    mini = estimate_cost("gpt-4o-mini", Usage(1000, 100))
    full = estimate_cost("gpt-4o", Usage(2000, 200))
    assert mini is not None and full is not None and full > mini
    assert meter.cost_usd == pytest.approx(mini + full)


def test_an_unpriced_model_makes_the_cost_unknown_not_a_partial_sum() -> None:
    meter = UsageMeter()
    meter.add("gpt-4o-mini", Usage(1000, 100))
    meter.add("my-local-llama", Usage(10, 1))
    assert meter.cost_usd is None


def test_the_cost_is_unknown_before_a_call_to_a_model_without_a_price() -> None:
    meter = UsageMeter()
    assert meter.cost_usd == 0.0  # nothing used yet: nothing to price
    assert meter.cost_usd_with(["llama3.1:8b"]) is None
    assert meter.cost_usd_with(["gpt-4o-mini"]) == 0.0
    assert meter.cost_usd_with([]) == 0.0
    meter.add("gpt-4o-mini", Usage(1000, 100))
    assert meter.cost_usd_with(["gpt-4o-mini"]) == meter.cost_usd
    assert meter.cost_usd_with(["gpt-4o-mini", "local"]) is None


def test_merged_adds_up_and_changes_neither_input() -> None:
    a, b = UsageMeter(), UsageMeter()
    a.add("gpt-4o-mini", Usage(10, 1))
    b.add("gpt-4o-mini", Usage(20, 2, estimated=True))
    both = a.merged(b)
    assert both.usage == Usage(30, 3, estimated=True) and both.requests == 2
    assert a.usage == Usage(10, 1) and b.usage.total_tokens == 22


@respx.mock
async def test_a_hint_from_the_model_is_in_the_session_usage(
    salary: Scenario, tmp_path: Path
) -> None:
    respx.post(URL).mock(return_value=ok_stream())
    settings = Settings(api_key=FAKE_KEY, base_url=BASE_URL, home=tmp_path)
    session = Session(
        salary, make_backend(Sleeps()), AnalyticScorer(), tmp_path / "t.jsonl", settings=settings
    )
    await session.start()
    assert session.usage.requests == 0
    await session.hint()
    # normal.sse reports 812 prompt + 11 completion tokens.
    assert session.usage.requests == 1 and session.usage.usage.total_tokens == 823


@respx.mock
async def test_the_judges_calls_are_in_the_session_usage_with_an_offline_counterpart(
    salary: Scenario, tmp_path: Path
) -> None:
    respx.post(URL).mock(
        side_effect=[
            completion(JUDGE_REPLY, usage={"prompt_tokens": 1500, "completion_tokens": 120}),
            completion(JUDGE_REPLY),  # no usage from this endpoint: estimated
        ]
    )
    settings = Settings(
        api_key=FAKE_KEY, base_url=BASE_URL, home=tmp_path, judge_model="gpt-4o-mini"
    )
    judge = LLMJudge(settings)
    session = Session(
        salary, OfflineBackend(salary, seed=1), judge, tmp_path / "t.jsonl", settings=settings
    )
    try:
        await session.start()
        await session.send(EMPATHETIC[0]).run()
        await session.wait_scores()
        usage = session.usage
        # The scripted counterpart calls no model; the judge's one call is counted.
        assert usage.requests == 1 and usage.usage == Usage(1500, 120)
        assert usage.cost_usd == estimate_cost("gpt-4o-mini", Usage(1500, 120))
        await session.send("Could you tell me more about what the team needs?").run()
        await session.wait_scores()
        usage = session.usage
        assert usage.requests == 2 and usage.usage.estimated
        assert usage.usage.prompt_tokens > 1500 + 500  # the rubric is in every prompt
    finally:
        await session.aclose()
        await judge.aclose()


@respx.mock
async def test_a_reply_cut_part_way_is_counted_as_an_estimate(
    salary: Scenario, tmp_path: Path
) -> None:
    # The endpoint read the request and wrote part of the reply; it sent no usage for it.
    # It counted as nothing, under the README's "covers every call the session pays for".
    respx.post(URL).mock(return_value=ok_stream("cut.sse"))
    settings = Settings(api_key=FAKE_KEY, base_url=BASE_URL, home=tmp_path)
    backend = make_backend(Sleeps())
    session = Session(salary, backend, AnalyticScorer(), tmp_path / "t.jsonl", settings=settings)
    await session.start()
    await session.send(EMPATHETIC[0]).run()
    used = session.usage.usage
    assert used.estimated and session.last_request_tokens > 0
    assert used.prompt_tokens == session.last_request_tokens
    assert used.completion_tokens == session.counter.count("I hear you. Five months")
    (reply,) = [t for t in session.turns if t.reply is not None]
    assert reply.reply is not None and reply.reply.usage["estimated"] is True


async def test_a_reply_stopped_with_esc_is_counted_as_an_estimate(
    salary: Scenario, tmp_path: Path
) -> None:
    backend = FakeBackend(("Well, it depends", " on the budget."), hold=True)
    settings = Settings(api_key=FAKE_KEY, base_url=BASE_URL, home=tmp_path)
    session = Session(salary, backend, AnalyticScorer(), tmp_path / "t.jsonl", settings=settings)
    await session.start()
    task = asyncio.create_task(session.send(EMPATHETIC[0]).run())
    await backend.started.wait()
    task.cancel()  # Esc
    with pytest.raises(asyncio.CancelledError):
        await task
    used = session.usage.usage
    assert used.estimated and used.completion_tokens == session.counter.count("Well, it depends")


@respx.mock
async def test_a_request_that_failed_before_any_text_costs_nothing(
    salary: Scenario, tmp_path: Path
) -> None:
    respx.post(URL).mock(return_value=httpx.Response(400, json={"error": {"message": "no"}}))
    settings = Settings(api_key=FAKE_KEY, base_url=BASE_URL, home=tmp_path)
    session = Session(
        salary, make_backend(Sleeps()), AnalyticScorer(), tmp_path / "t.jsonl", settings=settings
    )
    await session.start()
    await session.send(EMPATHETIC[0]).run()
    assert session.usage.usage.total_tokens == 0
