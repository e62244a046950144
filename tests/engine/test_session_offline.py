"""The session engine with the offline counterpart: outcomes, determinism, rewind, resume."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from coach.llm.base import ChatMessage, ReplyResult, Usage
from coach.llm.offline import OfflineBackend
from coach.scenario import Outcome, Scenario
from coach.scoring.analytic import AnalyticScorer
from coach.scoring.types import TurnScore
from coach.session import (
    EndMarkerFilter,
    Phase,
    ReplyDelta,
    Session,
    SessionError,
)
from coach.transcript import read_transcript
from tests.fake_scorers import FlakyScorer

from .helpers import DISMISSIVE, EMPATHETIC, play

RANK = {
    Outcome.agreement: 4,
    Outcome.partial: 3,
    Outcome.impasse: 2,
    Outcome.learner_ended: 1,
    Outcome.walk_out: 0,
}


async def test_library_has_ten_scenarios(scenarios: list[Scenario]) -> None:
    assert len(scenarios) >= 10


async def test_listening_beats_pushing_in_every_scenario(
    scenarios: list[Scenario], tmp_path: Path
) -> None:
    for scenario in scenarios:
        good = await play(scenario, EMPATHETIC, tmp_path)
        bad = await play(scenario, DISMISSIVE, tmp_path)
        assert good.outcome is not None and bad.outcome is not None
        assert RANK[good.outcome] > RANK[bad.outcome], scenario.id
        assert good.state.trust > bad.state.trust, scenario.id
        assert good.state.tension < bad.state.tension, scenario.id
        assert good.outcome is Outcome.agreement, scenario.id
        assert bad.outcome is Outcome.walk_out, scenario.id
        # The reason names them, as the learner knows them, not "the counterpart".
        first_name = scenario.counterpart.name.split()[0]
        assert good.end_reason == f"{first_name} agreed", scenario.id
        assert bad.end_reason.endswith(f"; {first_name} walked out"), scenario.id
        # Listening earns the hidden information; pushing does not.
        assert len(good.revealed) > len(bad.revealed), scenario.id


async def test_deterministic_per_seed_and_varied_across_seeds(
    salary: Scenario, tmp_path: Path
) -> None:
    lines = ["Okay.", "Right.", "I see.", "Okay then.", "Fine."]

    runs = iter(range(100))

    async def replies(seed: int) -> list[str]:
        s = await play(salary, lines, tmp_path / str(next(runs)), seed=seed)
        return [x.reply.text for x in s.turns if x.reply]

    first = await replies(3)
    assert first == await replies(3)
    others = [await replies(seed) for seed in range(4, 10)]
    assert any(o != first for o in others)
    # Never the same line twice in a row.
    for run in [first, *others]:
        assert all(a != b for a, b in itertools.pairwise(run))


async def test_transcript_records_every_event(salary: Scenario, tmp_path: Path) -> None:
    session = await play(salary, EMPATHETIC[:3], tmp_path)
    t = read_transcript(session.path)
    h = t.header
    assert h["schema_version"] == 1 and h["backend"] == "offline" and h["scenario_id"] == salary.id
    assert h["scenario_hash"] == salary.content_hash() and set(h["prompt_hashes"]) >= {
        "persona",
        "hint",
    }
    kinds = [e["type"] for e in t.events]
    assert kinds[0] == "counterpart" and kinds[-1] == "end"
    assert [e["seq"] for e in t.events] == list(range(1, len(t.events) + 1))
    path = t.active_path()
    assert [x.learner.turn_id for x in path] == ["L1", "L2", "L3"]
    assert path[0].learner.parent == "C0" and path[1].learner.parent == "C1"
    assert all(x.reply and x.reply.complete and x.score and x.state for x in path)
    assert path[1].context == path[0].reply.text  # type: ignore[union-attr]
    assert t.outcome == "learner_ended"


async def test_rewind_branches_and_keeps_both(salary: Scenario, tmp_path: Path) -> None:
    session = Session(
        salary, OfflineBackend(salary, seed=2), AnalyticScorer(), tmp_path / "r.jsonl", seed=2
    )
    await session.start()
    for line in DISMISSIVE[:2]:
        await session.send(line).run()
    trust_after_bad = session.state.trust
    rewound = session.rewind("L2")
    assert rewound.text == DISMISSIVE[1] and session.turn_count == 1
    await session.send(EMPATHETIC[0]).run()
    assert session.state.trust > trust_after_bad
    await session.aclose()
    t = read_transcript(session.path)
    assert [x.learner.turn_id for x in t.active_path()] == ["L1", "L3"]
    assert t.learner_turns()["L3"].parent == "C1"
    assert t.branches() == [["L1", "L2"], ["L1", "L3"]]
    with pytest.raises(SessionError):
        session.rewind("L2")  # no longer on the active path


async def test_hint_is_recorded(salary: Scenario, tmp_path: Path) -> None:
    session = Session(salary, OfflineBackend(salary), AnalyticScorer(), tmp_path / "h.jsonl")
    await session.start()
    await session.send("Calm down, it's not a big deal.").run()
    hint = await session.hint()
    assert "tension" in hint.lower() and "Dana" in hint
    await session.aclose()
    t = read_transcript(session.path)
    assert [e["after"] for e in t.events if e["type"] == "hint"] == ["C1"]


async def test_after_a_disclosure_the_hint_asks_for_a_reflection(
    scenarios: list[Scenario], tmp_path: Path
) -> None:
    # The hint used to name the next hidden fact's condition, "Kai may open up if you ask
    # what makes it hard to ask for help", right after the learner had asked exactly that.
    burnout = next(s for s in scenarios if s.id == "colleague-close-to-burnout")
    session = Session(burnout, OfflineBackend(burnout, seed=7), None, tmp_path / "r.jsonl")
    await session.start()
    await session.send("It sounds like this month has been a lot more than a busy patch.").run()
    assert session.revealed  # Kai told us about the days off
    hint = await session.hint()
    assert hint.startswith("Kai just told you something") and "Reflect it back" in hint
    await session.send("Honestly, I think you should take a holiday.").run()
    assert "just told you" not in await session.hint()  # nothing new was revealed
    await session.aclose()


async def test_send_rules(salary: Scenario, tmp_path: Path) -> None:
    session = Session(salary, OfflineBackend(salary), None, tmp_path / "x.jsonl")
    with pytest.raises(SessionError):
        session.send("too early")
    await session.start()
    with pytest.raises(SessionError):
        session.send("   ")
    await session.end()
    with pytest.raises(SessionError):
        session.send("after the end")
    session.self_assess({"empathy": 4, "active_listening": 3, "clarity": 5})
    with pytest.raises(SessionError):
        session.self_assess({"empathy": 9, "active_listening": 3, "clarity": 5})
    await session.aclose()
    assert read_transcript(session.path).self_assessment == {
        "empathy": 4,
        "active_listening": 3,
        "clarity": 5,
    }


class _SlowBackend:
    """Streams forever until cancelled (a stand-in for a slow model)."""

    name = "openai"
    model = "slow"

    def __init__(self) -> None:
        self.started = asyncio.Event()

    def stream_reply(self, messages: list[ChatMessage]) -> _SlowStream:
        return _SlowStream(self)

    async def aclose(self) -> None:
        return None


class _SlowStream:
    def __init__(self, backend: _SlowBackend) -> None:
        self.backend = backend
        self.result = ReplyResult()

    def __aiter__(self) -> AsyncIterator[str]:
        return self._run()

    async def _run(self) -> AsyncIterator[str]:
        yield "Well, "
        yield "I suppose "
        self.backend.started.set()
        await asyncio.Event().wait()  # never finishes by itself
        yield "never"
        self.result.usage = Usage()


async def test_cancel_saves_partial_reply_as_incomplete(salary: Scenario, tmp_path: Path) -> None:
    backend = _SlowBackend()
    session = Session(salary, backend, AnalyticScorer(), tmp_path / "c.jsonl")
    await session.start()
    seen: list[str] = []

    async def consume() -> None:
        async for event in session.send("What matters most to you?"):
            if isinstance(event, ReplyDelta):
                seen.append(event.text)

    task = asyncio.create_task(consume())
    await backend.started.wait()
    await asyncio.sleep(0)  # let the consumer take the second delta
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert session.needs_retry
    await session.aclose()
    (turn,) = read_transcript(session.path).active_path()
    assert turn.learner.text == "What matters most to you?"
    assert turn.reply is not None and not turn.reply.complete
    assert turn.reply.text == "Well, I suppose" and turn.reply.error == {
        "kind": "cancelled",
        "message": "The reply was interrupted.",
    }


async def test_resume_continues_from_transcript(salary: Scenario, tmp_path: Path) -> None:
    path = tmp_path / "resume.jsonl"
    first = Session(salary, OfflineBackend(salary, seed=5), AnalyticScorer(), path, seed=5)
    await first.start()
    for line in EMPATHETIC[:3]:
        await first.send(line).run()
    await first.aclose()
    state = first.state
    # Simulate a crash mid-write: a torn last line.
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"type":"learner","seq":99,"turn_id":"L4","te')

    resumed = Session.resume(path, OfflineBackend(salary, seed=5), AnalyticScorer())
    assert resumed.turn_count == 3 and resumed.state == state and resumed.phase is Phase.active
    assert resumed.resume_warnings and "incomplete last line" in resumed.resume_warnings[0]
    await resumed.send(EMPATHETIC[3]).run()
    await resumed.aclose()
    t = read_transcript(path)
    assert t.warnings == []  # the torn tail was cut before appending
    assert [x.learner.turn_id for x in t.active_path()] == ["L1", "L2", "L3", "L4"]
    assert t.active_path()[-1].learner.parent == "C3"


@pytest.mark.parametrize(
    ("chunks", "shown", "outcome"),
    [
        (["Deal. <<END:agreement>>"], "Deal. ", "agreement"),
        (["I'm done. <", "<EN", "D:walk", "_out", ">>"], "I'm done. ", "walk_out"),
        (["a < b and <<", "not a marker"], "a < b and <<not a marker", None),
        (["Bye <<END: walk-out >> extra"], "Bye ", "walk_out"),
    ],
)
def test_end_marker_filter(chunks: list[str], shown: str, outcome: str | None) -> None:
    f = EndMarkerFilter()
    out = "".join(f.feed(c) for c in chunks) + f.finish()
    assert out == shown
    assert "END" not in out
    assert (f.outcome.value if f.outcome else None) == outcome


async def test_a_move_with_one_line_is_not_said_twice_running(tmp_path: Path) -> None:
    # A trainer's stage had one line for a move and the counterpart said it twice in a row,
    # though the guide promises a different line from the last one.
    from coach.scenario_loader import load_text
    from coach.scenario_template import starter_scenario

    text = starter_scenario("one-line", ["empathy"]).replace(
        'default: ["Right. So what is it this time?"]',
        'default: ["Right. So what is it this time?", "Go on."]',
        1,
    )
    text = text.replace(
        "advance_when: {trust_at_least: 55, moves_any: [acknowledge, reflect, open_question]}",
        "advance_when: {trust_at_least: 99}",
        1,
    )
    scenario = load_text(text, "one-line.yaml").scenario
    session = Session(
        scenario, OfflineBackend(scenario, seed=1), AnalyticScorer(), tmp_path / "t.jsonl"
    )
    await session.start()
    said = []
    for line in ("That sounds like a lot, Sam.", "That sounds like a lot, Sam, really."):
        events = await session.send(line).run()
        assert session.state.move == "reflect", events
        said.append(session.last_counterpart_text)
    await session.aclose()
    assert said[0] == "Exactly. I always end up being the one who covers."
    assert said[1] != said[0]


async def test_a_turn_whose_scoring_failed_can_be_scored_again(
    scenarios: list[Scenario], tmp_path: Path
) -> None:
    scenario = scenarios[0]
    scorer = FlakyScorer(failures=1)
    session = Session(scenario, OfflineBackend(scenario, seed=1), scorer, tmp_path / "t.jsonl")
    await session.start()
    await session.send(EMPATHETIC[0]).run()
    await session.wait_scores()
    assert session.unscored == ["L1"]
    assert session.score_failure("L1") == "the judge timed out"
    assert session.rescore("L1") is True
    assert session.rescore("L1") is False  # already on its way
    assert session.unscored == [] and session.score_failure("L1") is None
    await session.wait_scores()
    assert session.turns[0].score is not None and session.unscored == []
    assert session.rescore("L1") is False  # it has a score
    await session.aclose()
    # The score is on disk: a resumed session has it.
    assert read_transcript(tmp_path / "t.jsonl").scores().keys() == {"L1"}


async def test_an_empty_learner_turn_in_a_transcript_is_never_scored(
    salary: Scenario, tmp_path: Path
) -> None:
    # `send` refuses empty text, but a hand-edited transcript may hold an empty turn: resuming
    # it scored '' (1/5 on every skill), or listed it as a failed score to retry.
    path = tmp_path / "blank.jsonl"
    first = Session(salary, OfflineBackend(salary, seed=5), AnalyticScorer(), path, seed=5)
    await first.start()
    for line in EMPATHETIC[:2]:
        await first.send(line).run()
    await first.aclose()
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    kept = []
    for row in rows:
        if row.get("type") == "learner" and row["turn_id"] == "L1":
            row["text"] = "  "
        if not (row.get("type") == "score" and row["turn_id"] == "L1"):
            kept.append(row)
    path.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")

    scored: list[str] = []

    class Recording(AnalyticScorer):
        async def score(self, context: str, response: str) -> TurnScore:
            scored.append(response)
            return await super().score(context, response)

    resumed = Session.resume(path, OfflineBackend(salary, seed=5), Recording())
    await resumed.wait_scores()
    assert scored == []
    assert resumed.unscored == [] and resumed.score_failure("L1") is None
    assert resumed.rescore("L1") is False
    debrief = await resumed.debrief()
    assert debrief.unscored == 0
    await resumed.aclose()


class _ThirdsScorer:
    """Scores with more places than a transcript keeps (4.6466...), as a judge's average may."""

    name = "heuristic"

    def __init__(self) -> None:
        self.inner = AnalyticScorer()
        self.rubric_version = self.inner.rubric_version

    async def score(self, context: str, response: str) -> TurnScore:
        result = self.inner.score_sync(context, response)
        listening = result.active_listening._replace(score=4.6466)
        return result._replace(active_listening=listening)


async def test_the_live_score_is_the_one_the_transcript_keeps(
    salary: Scenario, tmp_path: Path
) -> None:
    # The conversation showed listening 4.6 (from 4.6466) while History and the replay viewer,
    # reading the transcript's 4.65, showed 4.7 for the same turn.
    path = tmp_path / "t.jsonl"
    session = Session(salary, OfflineBackend(salary, seed=1), _ThirdsScorer(), path)
    await session.start()
    await session.send(EMPATHETIC[0]).run()
    await session.wait_scores()
    live = session.turns[0].score
    assert live is not None and live.active_listening.score == 4.65
    await session.aclose()
    assert read_transcript(path).scores()["L1"] == live
