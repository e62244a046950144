"""Replay with the real LLM judge and openai SDK against a respx endpoint: bounded
concurrency, 429 retries, the cache making a second run free, and resuming after Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx
import pytest
import respx

from coach.importers import Conversation, Turn
from coach.pacing import StartPacer
from coach.replay import replay, replay_files
from coach.report import render_markdown, reproduction_notes, summary
from coach.scoring.analytic import AnalyticScorer
from coach.scoring.factory import make_scorer
from coach.scoring.judge import LLMJudge
from coach.scoring.rubric import RUBRIC_VERSION
from coach.scoring.types import SkillScore, TurnScore
from coach.settings import Settings

from .conftest import BASE, FakeJudgeEndpoint, learner_text, write_transcript


def conversation(n: int, tag: str = "t") -> Conversation:
    turns = tuple(
        Turn(f"L{i}", i, f"Counterpart line {i} about the delay.", f"Reply{tag}{i} I hear you.")
        for i in range(1, n + 1)
    )
    return Conversation(
        path=Path(f"{tag}.jsonl"), format="coach", session_id=tag, turns=turns, digest=tag
    )


class Tied:
    """Every turn: empathy and listening tied at 1.0, clarity 4.0."""

    name = "tied"

    def score_sync(self, context: str, response: str) -> TurnScore:
        return TurnScore(
            empathy=SkillScore("empathy", 1.0),
            active_listening=SkillScore("active_listening", 1.0),
            clarity=SkillScore("clarity", 4.0),
            scorer="tied",
            rubric_version="v",
        )

    async def score(self, context: str, response: str) -> TurnScore:
        return self.score_sync(context, response)


def judge(settings: Settings) -> LLMJudge:
    async def no_sleep(_s: float) -> None:
        return None

    return LLMJudge(settings, sleep=no_sleep)


async def test_concurrency_is_bounded(settings: Settings) -> None:
    endpoint = FakeJudgeEndpoint(delay=0.01)
    convs = [conversation(10, f"s{i}") for i in range(4)]
    with respx.mock(base_url=BASE) as mock:
        mock.post("/chat/completions").mock(side_effect=endpoint)
        run = await replay(convs, [judge(settings)], concurrency=3)
    assert run.ok and run.scored == 40
    assert endpoint.calls == 40
    assert endpoint.peak <= 3
    assert endpoint.peak == 3  # the pool is actually used, not serialised


async def test_429_is_retried(settings: Settings) -> None:
    endpoint = FakeJudgeEndpoint(fail_429_first=3)
    with respx.mock(base_url=BASE) as mock:
        mock.post("/chat/completions").mock(side_effect=endpoint)
        run = await replay([conversation(4)], [judge(settings)], concurrency=1)
    assert run.ok and run.scored == 4
    assert endpoint.calls == 4 + 3


async def test_second_run_makes_zero_requests(settings: Settings) -> None:
    endpoint = FakeJudgeEndpoint()
    convs = [conversation(6, "a"), conversation(5, "b")]
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").mock(side_effect=endpoint)
        first = await replay(convs, [judge(settings)], concurrency=4)
        assert route.call_count == 11
        second = await replay(convs, [judge(settings)], concurrency=4)
        assert route.call_count == 11  # nothing new went out
    assert second.cached == 11 and second.calls == 0
    assert [r.score for r in second.results] == [r.score for r in first.results]


async def test_interrupted_run_resumes_without_rescoring(settings: Settings) -> None:
    convs = [conversation(30, "big")]
    endpoint = FakeJudgeEndpoint(delay=0.005)
    task: asyncio.Task[object] | None = None

    def stop_after_some(ep: FakeJudgeEndpoint) -> None:
        if ep.calls >= 8 and task is not None:
            task.cancel()  # what asyncio.run does on Ctrl-C

    endpoint.after_calls = stop_after_some
    with respx.mock(base_url=BASE) as mock:
        mock.post("/chat/completions").mock(side_effect=endpoint)
        task = asyncio.create_task(replay(convs, [judge(settings)], concurrency=2))
        with pytest.raises(asyncio.CancelledError):
            await task

        probe = judge(settings)
        assert probe.cache is not None
        done = {
            t.response
            for t in convs[0].turns
            if probe.cache.get(probe.key(t.context, t.response)) is not None
        }
        assert 0 < len(done) < 30

        again = FakeJudgeEndpoint()
        mock.post("/chat/completions").mock(side_effect=again)
        run = await replay(convs, [judge(settings)], concurrency=2)
    assert run.ok and run.scored == 30
    assert again.calls == 30 - len(done)
    assert not done & set(again.responses)  # finished turns were not scored again
    assert run.cached == len(done)


async def test_fatal_auth_error_stops_the_run(settings: Settings) -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").respond(401, json={"error": {"message": "no"}})
        run = await replay([conversation(20)], [judge(settings)], concurrency=2)
    assert run.fatal and "API key" in run.fatal
    assert route.call_count <= 2
    assert not run.ok


async def test_a_call_waiting_for_its_start_is_not_sent_once_the_run_has_failed(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The other workers are held at the pacer until the first call's 401 has stopped the run.
    async def hold_all_but_the_first(self: StartPacer) -> None:
        self._started += 1
        if self._started > 1:
            for _ in range(1_000):
                await asyncio.sleep(0)

    monkeypatch.setattr(StartPacer, "turn", hold_all_but_the_first)
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").respond(401, json={"error": {"message": "no"}})
        run = await replay([conversation(8)], [judge(settings)], concurrency=4)
    assert run.fatal and "API key" in run.fatal
    assert route.call_count == 1


async def test_an_endpoint_that_never_answers_stops_the_run_after_a_wave(
    settings: Settings,
) -> None:
    # Against a hanging server every call waited out four 60 s attempts: 1,000 turns took
    # hours to fail. A wave of such calls in a row stops the run.
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").mock(
            side_effect=httpx.ConnectError("[Errno 111] Connection refused")
        )
        run = await replay([conversation(40)], [judge(settings)], concurrency=2)
    assert run.fatal is not None
    assert run.fatal == (
        f"cannot reach the judge's endpoint {BASE} (connection refused). Is the server "
        "running? Stopped after 4 such calls in a row."
    )
    attempts = 1 + settings.max_retries
    assert route.call_count <= (4 + 2) * attempts  # the wave, and the calls in flight
    assert sum(1 for r in run.results if r.error) < 40


async def test_one_answer_between_failures_keeps_the_run_going(settings: Settings) -> None:
    # Two turns in three cannot reach the endpoint, the third is answered: eight failures in
    # all, never more than two in a row, so the run goes on to the end.
    answered = FakeJudgeEndpoint()

    async def flaky(request: httpx.Request) -> httpx.Response:
        turn = int(re.search(r"Replyt(\d+)", learner_text(request)).group(1))  # type: ignore[union-attr]
        if turn % 3:
            raise httpx.ConnectError("[Errno 111] Connection refused")
        return await answered(request)

    with respx.mock(base_url=BASE) as mock:
        mock.post("/chat/completions").mock(side_effect=flaky)
        run = await replay([conversation(12)], [judge(settings)], concurrency=1)
    assert run.fatal is None
    assert run.scored == 4 and sum(1 for r in run.results if r.error) == 8


async def test_heuristic_replay_reproduces_recorded_scores(tmp_path: Path) -> None:
    path = write_transcript(tmp_path / "rec.jsonl", record_scores=True)
    run = await replay_files([path], [AnalyticScorer()])
    assert run.reproduction() == (3, 3, 0.0, 0, (), 0)
    for r in run.results:
        assert r.score is not None and r.turn.recorded is not None
        assert r.score.to_dict() == r.turn.recorded.to_dict()


async def test_every_format_names_the_turns_that_did_not_reproduce(tmp_path: Path) -> None:
    # Only JSON and CSV said which turn differed; the table, Markdown and HTML gave a count.
    path = write_transcript(tmp_path / "rec.jsonl", record_scores=True)
    lines = path.read_text().splitlines()
    first_score = next(i for i, line in enumerate(lines) if '"type":"score"' in line)
    lines[first_score] = re.sub(r'"score":\s*[0-9.]+', '"score":4.99', lines[first_score], count=1)
    path.write_text("\n".join(lines) + "\n")
    run = await replay_files([path], [AnalyticScorer()])
    compared, exact, _, _, differing, _ = run.reproduction()
    assert (compared, exact) == (3, 2) and len(differing) == 1
    note = reproduction_notes(summary(run))[-1]
    assert note == f"Differ: {differing[0]}" and differing[0].endswith(" L1")
    assert note + "." in render_markdown(run)


async def test_scores_recorded_under_another_rubric_are_not_compared(tmp_path: Path) -> None:
    # A new rubric version scores differently by design: not a failure to reproduce.
    path = write_transcript(tmp_path / "old.jsonl", record_scores=True)
    current = f'"rubric_version":"{RUBRIC_VERSION}"'
    assert current in path.read_text()
    path.write_text(path.read_text().replace(current, '"rubric_version":"2020.01-1"'))
    run = await replay_files([path], [AnalyticScorer()])
    assert run.reproduction() == (0, 0, 0.0, 3, (), 0)
    assert all(r.recorded_delta() is None for r in run.results)
    assert reproduction_notes(summary(run))[0] + "." in render_markdown(run)
    notes = reproduction_notes(summary(run))
    assert notes == [
        f"Not compared: 3 turns recorded under another rubric version (this is "
        f"{RUBRIC_VERSION}; a new version scores differently)"
    ]


@pytest.mark.parametrize(("recorded_model", "compared"), [("judge-model", 3), ("judge-1", 0)])
async def test_scores_a_judge_recorded_with_another_model_are_not_compared(
    tmp_path: Path, settings: Settings, recorded_model: str, compared: int
) -> None:
    # Replaying with a new judge model is how a researcher compares models: different
    # scores are the finding, not a failure to reproduce.
    path = write_transcript(tmp_path / "judged.jsonl")
    endpoint = FakeJudgeEndpoint()
    with respx.mock(base_url=BASE) as mock:
        mock.post("/chat/completions").mock(side_effect=endpoint)
        first = await replay_files([path], [make_scorer("llm", settings, use_cache=False)])
    # Record those judge scores in the transcript, as a live session with that model would.
    lines = path.read_text(encoding="utf-8").splitlines()
    for r in first.results:
        assert r.score is not None
        recorded = {**r.score.to_dict(), "model": recorded_model}
        event = {"type": "score", "turn_id": r.turn.turn_id, "context": "", "result": recorded}
        lines.append(json.dumps(event))
    lines[0] = lines[0].replace('"scorer": "heuristic"', '"scorer": "llm"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with respx.mock(base_url=BASE) as mock:
        mock.post("/chat/completions").mock(side_effect=endpoint)
        run = await replay_files([path], [make_scorer("llm", settings, use_cache=False)])
    rep = run.reproduction()
    assert (rep.compared, rep.exact, rep.other_model) == (compared, compared, 3 - compared)
    notes = reproduction_notes(summary(run))
    assert any("recorded by another judge model" in n for n in notes) is (compared == 0)


async def test_both_scorers_and_a_bad_file(tmp_path: Path, settings: Settings) -> None:
    good = write_transcript(tmp_path / "good.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "header", "schema_version": 99}\n', encoding="utf-8")
    endpoint = FakeJudgeEndpoint()
    with respx.mock(base_url=BASE) as mock:
        mock.post("/chat/completions").mock(side_effect=endpoint)
        scorers = [make_scorer("heuristic", settings), make_scorer("llm", settings)]
        run = await replay_files([bad, good], scorers, concurrency=2)
    assert [f.path for f in run.failures] == [bad]
    assert "schema_version" in run.failures[0].message
    assert [r.scorer for r in run.results] == ["heuristic", "llm"] * 3
    assert run.scored == 6 and endpoint.calls == 3
    assert not run.ok  # a file failed, so the exit code will say so


async def test_ctrl_c_stops_a_heuristic_replay_promptly() -> None:
    # The heuristic scorer ran start to end without returning to the event loop, so Ctrl-C
    # (a cancel of the main task) waited for the whole run (6 s of 7.8 for an evaluator).
    from coach.replay import ReplayRun

    convs = [conversation(2_000, "long")]
    run = ReplayRun(scorers=["heuristic"])
    task = asyncio.create_task(replay(convs, [AnalyticScorer()], run=run))
    await asyncio.sleep(0)  # the run starts
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert run.interrupted and run.scored < 2_000


async def test_skills_tied_for_the_lowest_each_count_as_the_weakest() -> None:
    # A tie went to empathy (the first skill): "weakest in 58% of sessions" where 5 of its
    # 14 sessions were empathy = listening ties.
    from coach.report import cohort, session_rows

    run = await replay([conversation(2, "a")], [Tied()])  # type: ignore[list-item]
    (row,) = session_rows(run)
    assert row["weakest_skills"] == ["empathy", "active_listening"]
    # Turns tied overall: best and weakest as the learner's debrief picks them (the earliest
    # and the latest), not both the first.
    assert (row["best_turn"], row["weakest_turn"]) == ("L1", "L2")
    weakest = cohort(run)["tied"]["weakest_skills"]
    shares = {w["skill"]: w["weakest_in_share"] for w in weakest}
    assert shares == {"empathy": 1.0, "active_listening": 1.0, "clarity": 0.0}


def test_the_histogram_counts_a_score_at_the_level_it_is_shown_to_round_to() -> None:
    # 4.4999 is shown as 4.50 and was counted at level 4.
    from coach.report import distribution

    assert distribution([4.4999, 4.5, 4.49, 1.0])["histogram"] == [1, 0, 0, 1, 2]


def test_the_table_keeps_the_unique_end_of_a_long_session_name() -> None:
    # "20261124-005024-upset-customer-wrong-order-6836.jsonl#2026...-6836" was cut at the end,
    # losing the suffix that tells sessions apart.
    from coach.report import _session_label

    sid = "20261124-005024-upset-customer-wrong-order-6836"
    label = _session_label({"file": f"/x/{sid}.jsonl", "session_id": sid}, 40)
    assert len(label) == 40 and label.endswith("-6836.jsonl") and "…" in label
    short = _session_label({"file": "/x/chat.json", "session_id": "chat-2"}, 40)
    assert short == "chat.json#chat-2"


async def test_the_markdown_cohort_summary_has_the_whole_distribution(tmp_path: Path) -> None:
    from coach.report import report_data

    paths = [write_transcript(tmp_path / f"s{i}.jsonl", session_id=f"s{i}") for i in range(3)]
    run = await replay_files(paths, [AnalyticScorer()])
    md = render_markdown(run)
    cohort = report_data(run)["cohort"]["heuristic"]
    for unit, heading in (("turns", "Turn scores:"), ("sessions", "Session means:")):
        d = cohort["skills"]["empathy"][unit]
        table = md.split(heading, 1)[1]
        row = next(line for line in table.splitlines() if line.startswith("| Empathy |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1] == str(d["n"])
        assert cells[2:9] == [
            f"{d[k]:.2f}" for k in ("mean", "sd", "min", "p25", "median", "p75", "max")
        ]
        assert cells[9:] == [str(h) for h in d["histogram"]]
    weakest = cohort["weakest_skills"][0]
    assert f"the weakest in {weakest['weakest_in_share']:.0%} of sessions" in md


async def test_the_html_cohort_summary_has_the_session_means_too(tmp_path: Path) -> None:
    # The page showed only the turn distribution; a trainer comparing learners needs the
    # spread of session means (one learner's bad turns weigh less there).
    from coach.report import report_data
    from coach.report_html import render_html

    paths = [write_transcript(tmp_path / f"s{i}.jsonl", session_id=f"s{i}") for i in range(3)]
    run = await replay_files(paths, [AnalyticScorer()])
    data = report_data(run)
    page = render_html(data)
    table = page.split("<h3>Distribution of session means</h3>", 1)[1].split("</table>", 1)[0]
    d = data["cohort"]["heuristic"]["skills"]["clarity"]["sessions"]
    row = table.split("<tr><td>Clarity</td>", 1)[1].split("</tr>", 1)[0]
    cells = [c.split(">", 1)[1] for c in row.split("</td>") if c]
    assert cells[0] == str(d["n"]) == "3"
    assert cells[1:8] == [
        f"{d[k]:.2f}" for k in ("mean", "sd", "min", "p25", "median", "p75", "max")
    ]
    assert cells[8:] == [str(n) for n in d["histogram"]]
