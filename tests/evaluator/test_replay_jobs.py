"""`--jobs N`: files imported and heuristic-scored in worker processes, merged in input order,
so the report is the same as with one process (only the timing differs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import respx

from coach.cli import main
from coach.exitcodes import ExitCode
from coach.replay import _chunks, replay_files
from coach.scoring.analytic import AnalyticScorer
from coach.scoring.judge import LLMJudge
from coach.settings import Settings

from .conftest import BASE, EXCHANGES, FakeJudgeEndpoint, write_transcript


@pytest.fixture
def inputs(tmp_path: Path) -> list[Path]:
    """Twelve inputs in an order that is not sorted: transcripts of different lengths, a
    plain-text one, an unreadable one, one without the learner, and a duplicate."""
    paths: list[Path] = []
    for k in range(8):
        exchanges = [(f"{other} ({k})", f"{mine} #{k}") for other, mine in EXCHANGES[: 1 + k % 3]]
        paths.append(write_transcript(tmp_path / f"t{(k * 5) % 8}.jsonl", exchanges))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{nope\n", encoding="utf-8")
    text = tmp_path / "plain.txt"
    text.write_text("Alex: Where is my order?\nSam: I'm sorry it's late. Can I check?\n", "utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("Alex: Hello?\n", encoding="utf-8")
    return [paths[3], bad, *paths[:3], text, empty, *paths[4:], paths[0]]


def _report(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    code = main(["replay", *args, "--format", "json", "--quiet", "--learner", "Sam"])
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    data["summary"].pop("seconds")
    return code, data, captured.err


@pytest.mark.parametrize("jobs", ["2", "3", "0"])
def test_jobs_report_equals_one_process(
    inputs: list[Path], jobs: str, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(p) for p in inputs]
    one = _report([*files, "--jobs", "1"], capsys)
    many = _report([*files, "--jobs", jobs], capsys)
    assert one == many
    code, data, err = many
    assert code == ExitCode.FAILURES  # the unreadable file
    failed = sorted(Path(f["file"]).name for f in data["failures"])
    assert failed == ["bad.jsonl", "empty.txt"] and "bad.jsonl" in err
    assert len(data["sessions"]) == 10 and data["summary"]["scored"] > 10


def test_jobs_must_not_be_negative(inputs: list[Path]) -> None:
    assert main(["replay", str(inputs[0]), "--jobs", "-1", "--quiet"]) == ExitCode.USAGE


async def test_jobs_with_both_scorers_keeps_the_order(
    inputs: list[Path], settings: Settings
) -> None:
    async def no_sleep(_s: float) -> None:
        return None

    endpoint = FakeJudgeEndpoint()
    runs = []
    for jobs in (1, 2):
        judge = LLMJudge(settings, sleep=no_sleep, use_cache=False)
        with respx.mock(base_url=BASE) as mock:
            mock.post("/chat/completions").mock(side_effect=endpoint)
            runs.append(
                await replay_files(
                    inputs, [AnalyticScorer(), judge], learner="Sam", concurrency=3, jobs=jobs
                )
            )
        await judge.aclose()
    one, two = runs
    assert [c.session_id for c in one.conversations] == [c.session_id for c in two.conversations]
    assert [(r.conv, r.turn, r.scorer, r.score, r.error) for r in one.results] == [
        (r.conv, r.turn, r.scorer, r.score, r.error) for r in two.results
    ]
    assert [r.scorer for r in two.results[:2]] == ["heuristic", "llm"]
    assert one.calls == two.calls and one.failures == two.failures
    assert one.warnings == two.warnings


def test_chunks_are_contiguous_and_cover_every_path() -> None:
    paths = [str(i) for i in range(23)]
    for jobs in (1, 2, 3, 8, 40):
        chunks = _chunks(paths, jobs)
        assert [p for c in chunks for p in c] == paths
        assert all(chunks) and max(map(len, chunks)) - min(map(len, chunks)) <= 1
