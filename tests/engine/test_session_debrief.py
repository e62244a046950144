"""The session's debrief: a rewrite re-scored on the learner's scale, by the model when online."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import respx
from openai_fakes import completion

from coach.llm.offline import OfflineBackend
from coach.scenario import Scenario
from coach.scoring.analytic import AnalyticScorer
from coach.scoring.debrief import Debrief
from coach.session import Session
from coach.settings import Settings

from .helpers import BASE_URL, FAKE_KEY
from .test_openai_backend import URL, Sleeps, make_backend, ok_stream

WEAK_REPLY = "Ok. You should just accept the offer."


async def debrief_after_one_weak_reply(session: Session) -> Debrief:
    await session.start()
    await session.send(WEAK_REPLY).run()
    try:  # no wait_scores(): the debrief waits for the pending score itself
        return await session.debrief()
    finally:
        await session.aclose()


async def test_offline_debrief_scores_its_rewrite(salary: Scenario, tmp_path: Path) -> None:
    session = Session(
        salary, OfflineBackend(salary, seed=1), AnalyticScorer(), tmp_path / "t.jsonl", seed=1
    )
    rw = (await debrief_after_one_weak_reply(session)).rewrite
    assert rw is not None and rw.method == "offline" and rw.original == WEAK_REPLY
    assert rw.rewritten_score is not None and rw.rewritten_score > rw.original_score


@respx.mock
async def test_a_session_with_a_model_asks_it_for_the_rewrite(
    salary: Scenario, tmp_path: Path
) -> None:
    better = "It sounds like the timing matters a lot to you. What would make this work?"

    def answer(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content).get("stream"):
            return ok_stream()  # the counterpart's reply
        return completion(json.dumps({"rewrite": better, "changes": ["Reflected first"]}))

    route = respx.post(URL).mock(side_effect=answer)
    settings = Settings(api_key=FAKE_KEY, base_url=BASE_URL, home=tmp_path)
    session = Session(
        salary, make_backend(Sleeps()), AnalyticScorer(), tmp_path / "t.jsonl", settings=settings
    )
    rw = (await debrief_after_one_weak_reply(session)).rewrite
    assert rw is not None and rw.method == "llm" and rw.rewritten == better
    assert rw.rewritten_score is not None  # re-scored by the session's own scorer
    rewrite_request = json.loads(route.calls.last.request.content)
    assert not rewrite_request.get("stream")
    assert WEAK_REPLY in rewrite_request["messages"][-1]["content"]


@respx.mock
async def test_an_unreadable_debrief_prompt_falls_back_to_the_offline_rewrite(
    salary: Scenario, tmp_path: Path
) -> None:
    respx.post(URL).mock(return_value=ok_stream())
    settings = Settings(api_key=FAKE_KEY, base_url=BASE_URL, home=tmp_path)
    settings.user_prompts_dir.mkdir(parents=True, exist_ok=True)
    (settings.user_prompts_dir / "debrief.md").write_bytes(b"\xff\xfe not UTF-8")
    session = Session(
        salary, make_backend(Sleeps()), AnalyticScorer(), tmp_path / "t.jsonl", settings=settings
    )
    rw = (await debrief_after_one_weak_reply(session)).rewrite
    assert rw is not None and rw.method == "offline"
