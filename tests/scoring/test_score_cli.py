"""`coach score`: the DESIGN.md JSONL contract, order, ids, bad lines, exit codes."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from coach.cli import main
from coach.exitcodes import ExitCode
from coach.scoring import factory
from coach.scoring.judge import reset_mode_memory
from coach.scoring.rubric import RUBRIC_VERSION
from coach.scoring.types import ScoringError, SkillScore, TurnScore

FIXTURES = Path(__file__).parent / "fixtures"
LINES = [
    {"id": "a", "context": "I'm worried about the deadline.", "response": "What worries you most?"},
    {"id": 2, "context": "The release slipped again.", "response": "So it slipped again."},
    {"id": None, "context": "", "response": "Hi, thanks for making time today."},
]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_HOME", str(tmp_path / "home"))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "COACH_MODEL", "COACH_JUDGE_MODEL"):
        monkeypatch.delenv(var, raising=False)
    reset_mode_memory()


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n",
        encoding="utf-8",
    )
    return path


def output(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_heuristic_contract_order_and_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", LINES)
    assert main(["score", str(src)]) == ExitCode.OK
    rows = output(capsys)
    assert [r["id"] for r in rows] == ["a", 2, None]
    for row in rows:
        assert row["scorer"] == "heuristic"
        assert row["rubric_version"] == RUBRIC_VERSION
        scores = row["scores"]
        assert set(scores) == {"empathy", "active_listening", "clarity"}
        for skill in scores.values():
            assert 1 <= skill["score"] <= 5
            assert isinstance(skill["evidence"], list) and isinstance(skill["tip"], str)
        for k in ("emotional_reactions", "interpretations", "explorations"):
            assert scores["empathy"][k] in (0, 1, 2)
        assert scores["active_listening"]["reflection"] in ("none", "simple", "complex")
        assert scores["active_listening"]["question"] in ("none", "closed", "open")
    assert rows[0]["scores"]["active_listening"]["question"] == "open"


def test_malformed_lines_become_error_lines_in_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [
            LINES[0],
            "{not json",
            "",
            {"id": "x", "context": "hi"},
            ["a", "list"],
            {"id": "y", "context": 3, "response": "ok"},
            LINES[1],
        ],
    )
    assert main(["score", str(src)]) == ExitCode.FAILURES
    rows = output(capsys)
    assert [r["id"] for r in rows] == ["a", None, "x", None, "y", 2]
    assert rows[1]["error"].startswith("line 2: invalid JSON")
    assert rows[2]["error"] == 'line 4: "response" must be a string'
    assert rows[3]["error"].startswith("line 5: expected a JSON object")
    assert rows[4]["error"] == 'line 6: "context" must be a string'
    assert "scores" in rows[0] and "scores" in rows[5] and "error" not in rows[5]


def _no_constants(name: str) -> Any:
    raise AssertionError(f"{name} in the output is not JSON")


def test_what_python_json_accepts_but_json_does_not_is_an_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [
            '{"id": NaN, "context": "a", "response": "b"}',
            '{"id": 1e400, "context": "a", "response": "b"}',
            "[" * 100_000,  # json.loads raises RecursionError on this, not ValueError
            LINES[0],
        ],
    )
    assert main(["score", str(src)]) == ExitCode.FAILURES
    out = capsys.readouterr().out.splitlines()
    # Every output line must be real JSON: an echoed NaN id would not be.
    rows = [json.loads(line, parse_constant=_no_constants) for line in out]
    assert [r.get("error") for r in rows[:3]] == [
        "line 1: invalid JSON: NaN is not a JSON number",
        "line 2: invalid JSON: number 1e400 is too large",
        "line 3: invalid JSON: nested too deeply",
    ]
    assert rows[3]["id"] == "a" and "scores" in rows[3]


def test_closed_standard_input_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", None)  # what Python sets for `coach score <&-`
    assert main(["score"]) == ExitCode.USAGE
    assert capsys.readouterr().err == (
        "coach: error: standard input is closed; give IN.jsonl or pipe the lines in\n"
    )


def test_reads_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = "\n".join(json.dumps(r) for r in LINES).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["score", "-"]) == ExitCode.OK
    assert [r["id"] for r in output(capsys)] == ["a", 2, None]


def test_missing_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(tmp_path / "nope.jsonl")]) == ExitCode.USAGE
    assert "cannot read" in capsys.readouterr().err


def test_llm_without_endpoint_says_how_to_fix_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", LINES)
    assert main(["score", "--scorer", "llm", str(src)]) == ExitCode.CONFIG
    assert "OPENAI_BASE_URL" in capsys.readouterr().err


def _turn(value: float) -> TurnScore:
    return TurnScore(
        empathy=SkillScore("empathy", value, details={"emotional_reactions": 0}),
        active_listening=SkillScore("active_listening", value),
        clarity=SkillScore("clarity", value),
        scorer="llm",
        rubric_version=RUBRIC_VERSION,
    )


class SlowFirstScorer:
    """The first reply finishes only after every other one started: order must still hold."""

    name = "llm"
    rubric_version = RUBRIC_VERSION

    def __init__(self, total: int) -> None:
        self.total = total
        self.started = 0
        self.max_in_flight = 0
        self.in_flight = 0
        self.others_started = asyncio.Event()

    async def score(self, context: str, response: str) -> TurnScore:
        self.started += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.started == min(self.total, 3):
            self.others_started.set()
        if response == "r0":
            await self.others_started.wait()
        for _ in range(int(response[1:]) % 3):
            await asyncio.sleep(0)
        self.in_flight -= 1
        if response == "r4":
            raise ScoringError("the judge's reply was unusable after one repair")
        return _turn(1 + int(response[1:]) % 5)


def test_llm_output_keeps_input_order_under_bounded_concurrency(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = SlowFirstScorer(total=12)
    monkeypatch.setattr(factory, "make_scorer", lambda *a, **k: fake)
    rows_in = [{"id": f"t{i}", "context": "c", "response": f"r{i}"} for i in range(12)]
    src = write_jsonl(tmp_path / "in.jsonl", rows_in)
    code = main(
        [
            "--base-url",
            "http://x.test/v1",
            "score",
            "--scorer",
            "llm",
            "--concurrency",
            "3",
            str(src),
        ]
    )
    assert code == ExitCode.FAILURES  # r4 failed
    rows = output(capsys)
    assert [r["id"] for r in rows] == [f"t{i}" for i in range(12)]
    assert rows[4] == {
        "id": "t4",
        "error": "line 5: the judge's reply was unusable after one repair",
    }
    assert rows[7]["scores"]["clarity"]["score"] == 3
    assert 1 < fake.max_in_flight <= 3


def test_llm_end_to_end_with_the_real_sdk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reply = (FIXTURES / "judge_reply.json").read_text(encoding="utf-8")
    ok = httpx.Response(
        200,
        json={
            "id": "c",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply},
                    "finish_reason": "stop",
                }
            ],
        },
    )
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [{"id": 1, "context": "c", "response": "I'm sorry, that sounds exhausting."}] * 2,
    )
    with respx.mock(base_url="http://judge.test/v1") as api:
        route = api.post("/chat/completions").mock(return_value=ok)
        code = main(["--base-url", "http://judge.test/v1", "score", "--scorer", "llm", str(src)])
    assert code == ExitCode.OK
    rows = output(capsys)
    assert len(rows) == 2 and all(r["scorer"] == "llm" for r in rows)
    assert rows[0]["scores"]["empathy"]["evidence"][0]["quote"] == "that sounds exhausting"
    assert route.call_count == 1  # the identical second line came from the cache (or in-flight)


def test_llama_cpp_is_probed_for_json_schema_once_not_per_line_or_per_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A tester's `coach score` on 3 lines sent three json_schema requests, each a 500 from
    # llama-cpp-python, and the next run did it again.
    reply = (FIXTURES / "judge_reply.json").read_text(encoding="utf-8")
    sent: list[str | None] = []

    def llama_cpp(request: httpx.Request) -> httpx.Response:
        kind = (json.loads(request.content).get("response_format") or {}).get("type")
        sent.append(kind)
        if kind == "json_schema":
            return httpx.Response(500, json={"detail": "Input should be 'text' or 'json_object'"})
        return httpx.Response(
            200,
            json={"choices": [{"message": {"content": reply}, "finish_reason": "stop"}]},
        )

    src = write_jsonl(
        tmp_path / "in.jsonl",
        [{"id": i, "context": "c", "response": f"I'm sorry, reply {i}."} for i in range(3)],
    )
    argv = ["--base-url", "http://judge.test/v1", "score", "--scorer", "llm", "--no-cache"]
    with respx.mock(base_url="http://judge.test/v1") as api:
        api.post("/chat/completions").mock(side_effect=llama_cpp)
        assert main([*argv, str(src)]) == ExitCode.OK
        assert sent == ["json_schema", *["json_object"] * 3]
        reset_mode_memory()  # the next run is a new process
        assert main([*argv, str(src)]) == ExitCode.OK
    assert sent[4:] == ["json_object"] * 3
    assert len(output(capsys)) == 6


def test_a_refused_key_stops_the_batch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-FAKEKEY-cli-0123456789")
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [{"id": i, "context": "c", "response": f"reply {i}"} for i in range(20)],
    )
    with respx.mock(base_url="http://judge.test/v1") as api:
        route = api.post("/chat/completions").mock(
            return_value=httpx.Response(401, json={"error": {"message": "bad key"}})
        )
        code = main(["--base-url", "http://judge.test/v1", "score", "--scorer", "llm", str(src)])
    assert code == ExitCode.BACKEND
    captured = capsys.readouterr()
    assert "refused the API key" in captured.err
    assert "(stopped; no line scored)" in captured.err  # it said "the lines above" of none
    assert "FAKEKEY" not in captured.err + captured.out
    assert route.call_count < 20


def test_make_scorer_names(tmp_path: Path) -> None:
    from coach.scoring.analytic import AnalyticScorer
    from coach.scoring.judge import LLMJudge
    from coach.settings import Settings

    offline = Settings(home=tmp_path)
    assert isinstance(factory.make_scorer("heuristic", offline), AnalyticScorer)
    with pytest.raises(ScoringError, match="needs an endpoint"):
        factory.make_scorer("llm", offline)
    with pytest.raises(ScoringError, match="unknown scorer"):
        factory.make_scorer("vibes", offline)
    local = Settings(home=tmp_path, base_url="http://localhost:8080/v1")  # no key needed
    judge = factory.make_scorer("llm", local, bypass_cache=True)
    assert isinstance(judge, LLMJudge) and judge.bypass_cache and judge.name == "llm"
    asyncio.run(factory.close_scorer(judge))


def test_model_calls_are_paced_and_heuristic_scores_are_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from coach.pacing import StartPacer

    turns: list[str] = []

    async def count(self: StartPacer) -> None:
        turns.append("turn")

    monkeypatch.setattr(StartPacer, "turn", count)
    rows_in = [{"id": f"t{i}", "context": "c", "response": f"r{i}"} for i in range(6)]
    src = write_jsonl(tmp_path / "in.jsonl", rows_in)
    main(["score", "--scorer", "heuristic", "--concurrency", "3", str(src)])
    assert turns == []  # nothing to space out: no call leaves the process
    monkeypatch.setattr(factory, "make_scorer", lambda *a, **k: SlowFirstScorer(total=6))
    llm = ["--base-url", "http://x.test/v1", "score", "--scorer", "llm", "--concurrency", "3"]
    main([*llm, str(src)])
    assert len(turns) == 6
    capsys.readouterr()


def test_an_endpoint_that_is_not_there_stops_the_batch_after_a_wave(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # It went on through every line, each waiting out its retries, where replay stops.
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text("max_retries = 0\n", encoding="utf-8")
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [{"id": i, "context": "c", "response": f"reply {i}"} for i in range(40)],
    )
    with respx.mock(base_url="http://judge.test/v1") as api:
        route = api.post("/chat/completions").mock(
            side_effect=httpx.ConnectError("[Errno 111] Connection refused")
        )
        llm = ["--base-url", "http://judge.test/v1", "score", "--scorer", "llm"]
        code = main([*llm, "--concurrency", "2", str(src)])
    assert code == ExitCode.BACKEND
    err = capsys.readouterr().err
    assert "Is the server running? Stopped after 4 such calls in a row. (no line scored)" in err
    assert route.call_count <= 4 + 2  # the wave, and the calls already in flight


def test_a_file_saved_with_a_byte_order_mark_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "bom.jsonl"
    line = json.dumps({"id": "t1", "context": "c", "response": "I hear you."})
    src.write_bytes(b"\xef\xbb\xbf" + line.encode() + b"\n")
    assert main(["score", str(src)]) == ExitCode.OK
    assert [r["id"] for r in output(capsys)] == ["t1"]
