"""Hints from the LLM: the hint prompt reaches the model, and a failure falls back offline."""

from __future__ import annotations

import json
from pathlib import Path

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
