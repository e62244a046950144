"""The session's debrief: a rewrite re-scored on the learner's scale, by the model when online."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import respx
from openai_fakes import completion

from coach.llm.offline import OfflineBackend
from coach.scenario import Scenario
from coach.scoring.analytic import AnalyticScorer
from coach.scoring.debrief import Debrief, render_markdown
from coach.scoring.types import ScoringError, TurnScore
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


class FailsOnOneReply:
    """The analytic scorer, except that scoring `BROKEN` fails."""

    name = "heuristic"
    BROKEN = "This one cannot be scored."

    def __init__(self) -> None:
        self.inner = AnalyticScorer()
        self.rubric_version = self.inner.rubric_version

    async def score(self, context: str, response: str) -> TurnScore:
        if response == self.BROKEN:
            raise ScoringError("the judge's endpoint failed (HTTP 500)")
        return self.inner.score_sync(context, response)


async def test_a_turn_whose_scoring_failed_is_counted_as_left_out(
    salary: Scenario, tmp_path: Path
) -> None:
    session = Session(
        salary, OfflineBackend(salary, seed=1), FailsOnOneReply(), tmp_path / "t.jsonl", seed=1
    )
    await session.start()
    for text in ("What matters most to you here?", FailsOnOneReply.BROKEN, WEAK_REPLY):
        await session.send(text).run()
    debrief = await session.debrief()
    await session.aclose()
    assert len(debrief.summary.turns) == 2 and debrief.unscored == 1
    assert "2 turns (1 more not scored), overall" in render_markdown(debrief)
    assert debrief.to_dict()["unscored"] == 1
    from coach.tui.screens.debrief import DebriefScreen

    shown = DebriefScreen(session, debrief).outcome_text().plain
    assert "over 2 turns   ·   1 turn not scored (scoring failed)" in shown


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
        return completion(
            json.dumps({"rewrite": better, "changes": ["Reflected first"]}),
            usage={"prompt_tokens": 600, "completion_tokens": 50},
        )

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
    # The rewrite is in the session's cost: one streamed reply (823 tokens) and this call.
    assert session.usage.requests == 2 and session.usage.usage.total_tokens == 823 + 650


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


async def test_history_and_replay_read_a_session_as_its_debrief_does(
    scenarios: list[Scenario], tmp_path: Path
) -> None:
    # A tester saw "Active listening 2.7" in the debrief and 2.6 in history, and "your last
    # session scored 2.8" against an overall of 2.7: history rounded twice and weighed the
    # skills equally, not with the scenario's weights.
    from coach.sessions_store import summarise
    from coach.transcript import read_transcript

    scenario = next(s for s in scenarios if s.id == "launch-scope-tradeoff")
    assert scenario.weight_of("clarity") != scenario.weight_of("empathy")
    session = Session(
        scenario, OfflineBackend(scenario, seed=3), AnalyticScorer(), tmp_path / "t.jsonl", seed=3
    )
    await session.start()
    for line in (
        "Thanks for making time. What worries you most about cutting scope?",
        "So the demo date matters more than the export feature. Is that right?",
        "Ok. We ship on the 14th without export, and I'll send the plan by Friday.",
    ):
        await session.send(line).run()
    debrief = await session.debrief()
    await session.aclose()
    info = summarise(read_transcript(session.path))
    # And `coach replay` weighs its overall the same way (it averaged the skills equally).
    from coach.replay import replay_files
    from coach.report import session_rows

    (row,) = session_rows(await replay_files([session.path], [AnalyticScorer()]))
    assert row["overall"] == pytest.approx(debrief.summary.overall, abs=0.005)
    summary = debrief.summary
    assert summary.best_turn is not None and summary.weakest_turn is not None
    assert (row["best_turn"], row["weakest_turn"]) == (
        f"L{summary.best_turn + 1}",
        f"L{summary.weakest_turn + 1}",
    )
    # The transcript keeps scores to a few decimals; what is shown (one decimal) agrees.
    assert info.overall == pytest.approx(debrief.summary.overall, abs=0.005)
    for skill, summary in debrief.summary.skills.items():
        assert info.mean_scores[skill] == pytest.approx(summary.mean, abs=0.005)
