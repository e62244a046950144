"""Hints from the LLM: the hint prompt reaches the model, and a failure falls back offline."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import respx

from coach.scenario import Scenario
from coach.scoring.analytic import AnalyticScorer
from coach.session import Session
from coach.settings import Settings
from coach.transcript import read_transcript

from .helpers import BASE_URL, FAKE_KEY, sse
from .test_openai_backend import URL, Sleeps, error_response, make_backend, ok_stream


def _streamed_text(name: str) -> str:
    text = ""
    for line in sse(name).decode().splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            for choice in json.loads(line[6:]).get("choices", []):
                text += choice.get("delta", {}).get("content") or ""
    return text


async def _session(salary: Scenario, tmp_path: Path, sleeps: Sleeps) -> Session:
    settings = Settings(api_key=FAKE_KEY, base_url=BASE_URL, home=tmp_path)
    backend = make_backend(sleeps)
    session = Session(salary, backend, AnalyticScorer(), tmp_path / "t.jsonl", settings=settings)
    await session.start()
    return session


@respx.mock
async def test_llm_hint_sends_the_hint_prompt_and_records_the_answer(
    salary: Scenario, tmp_path: Path
) -> None:
    route = respx.post(URL).mock(return_value=ok_stream())
    session = await _session(salary, tmp_path, Sleeps())
    hint = await session.hint()

    expected = _streamed_text("normal.sse").strip()
    assert expected and hint == expected
    assert hint != session.offline_hint()
    body = json.loads(route.calls.last.request.content)
    prompt = " ".join(m["content"] for m in body["messages"])
    assert salary.learner.goal in prompt and salary.opening_line in prompt
    events = [e for e in read_transcript(session.path).events if e["type"] == "hint"]
    assert [e["text"] for e in events] == [hint]
    assert FAKE_KEY not in session.path.read_text()


@respx.mock
async def test_llm_hint_falls_back_to_the_offline_hint_when_the_endpoint_fails(
    salary: Scenario, tmp_path: Path
) -> None:
    route = respx.post(URL).mock(return_value=error_response(500, "boom"))
    sleeps = Sleeps()
    session = await _session(salary, tmp_path, sleeps)
    hint = await session.hint()

    assert route.call_count >= 2 and sleeps.calls  # retried before giving up
    assert hint == session.offline_hint() and hint
    events = [e for e in read_transcript(session.path).events if e["type"] == "hint"]
    assert [e["text"] for e in events] == [hint]


def _prompt_text(request_body: bytes) -> str:
    return " ".join(m["content"] for m in json.loads(request_body)["messages"])


async def _play_past_the_window(salary: Scenario, tmp_path: Path) -> Session:
    """Six long learner turns through a 1,000-token window: older turns must be folded."""
    settings = Settings(
        api_key=FAKE_KEY,
        base_url=BASE_URL,
        home=tmp_path,
        context_window=1_000,
        max_reply_tokens=200,
    )
    session = Session(
        salary, make_backend(Sleeps()), AnalyticScorer(), tmp_path / "t.jsonl", settings=settings
    )
    await session.start()
    long_turn = "I hear that the budget is tight this year, and I want to be fair to the team. " * 6
    for i in range(6):
        await session.send(f"Turn {i}: {long_turn}").run()
    return session


@respx.mock
async def test_llm_summary_folds_old_turns_through_the_summary_prompt(
    salary: Scenario, tmp_path: Path
) -> None:
    # A small window forces older turns out of the request; the model summarises them and
    # the next request carries that summary instead.
    route = respx.post(URL).mock(side_effect=lambda request: ok_stream())
    session = await _play_past_the_window(salary, tmp_path)

    prompts = [_prompt_text(call.request.content) for call in route.calls]
    summary_calls = [p for p in prompts if "Summarise this part of a role-play" in p]
    assert summary_calls, "no request used the summary prompt"
    # The oldest messages are what get summarised, in order.
    assert salary.opening_line.strip()[:40] in summary_calls[0]
    assert any("Turn 0:" in p for p in summary_calls)
    summary = _streamed_text("normal.sse").strip()
    last = json.loads(route.calls.last.request.content)["messages"]
    assert any(
        m["role"] == "system"
        and m["content"].startswith("Summary of the earlier conversation")
        and summary[:40] in m["content"]
        for m in last
    )
    assert not any("Turn 0:" in m["content"] for m in last)  # folded, not resent
    assert FAKE_KEY not in session.path.read_text()


@respx.mock
async def test_llm_summary_failure_falls_back_to_an_extractive_summary(
    salary: Scenario, tmp_path: Path
) -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        if "Summarise this part of a role-play" in _prompt_text(request.content):
            return error_response(500, "summary backend down")
        return ok_stream()

    route = respx.post(URL).mock(side_effect=reply)
    session = await _play_past_the_window(salary, tmp_path)

    # Every reply still arrived; the request carries the extractive summary instead.
    assert session.turn_count == 6 and not session.needs_retry
    last = json.loads(route.calls.last.request.content)["messages"]
    assert any(
        m["role"] == "system" and m["content"].startswith("Summary of the earlier conversation")
        for m in last
    )
