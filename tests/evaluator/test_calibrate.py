"""Calibration statistics (checked against independent formulas) and the command, including
`--repeat` measuring the judge's variance with the cache bypassed."""

from __future__ import annotations

import errno
import io
import json
import statistics
import sys
from pathlib import Path

import httpx
import pytest
import respx

from coach.calibrate import (
    LabelError,
    confusion,
    load_labels,
    quadratic_kappa,
    ranks,
    spearman,
)
from coach.cli import build_parser, main
from coach.exitcodes import ExitCode

from .conftest import BASE, KEY, completion, judge_payload, learner_text


def test_ranks_average_ties() -> None:
    assert ranks([10, 20, 20, 5]) == [2.0, 3.5, 3.5, 1.0]


def test_spearman_known_values() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # rho = 1 - 6*sum(d^2)/(n(n^2-1)) without ties: d = (0,0,1,-1) -> 1 - 12/60
    assert spearman([1, 2, 3, 4], [1, 2, 4, 3]) == pytest.approx(0.8)
    assert spearman([1, 1, 1], [1, 2, 3]) is None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]),
        ([1, 1, 2, 2, 3, 3, 4, 5], [1, 2, 2, 3, 3, 3, 5, 4]),
        ([5, 4, 3, 2, 1, 3], [1, 2, 3, 4, 5, 3]),
        ([2, 3, 3, 4], [3, 3, 4, 5]),
    ],
)
def test_quadratic_kappa_matches_the_moment_identity(a: list[int], b: list[int]) -> None:
    # For quadratic weights, kappa = 2 cov / (var a + var b + (mean a - mean b)^2).
    ma, mb = statistics.fmean(a), statistics.fmean(b)
    cov = statistics.fmean((x - ma) * (y - mb) for x, y in zip(a, b, strict=True))
    expected = 2 * cov / (statistics.pvariance(a) + statistics.pvariance(b) + (ma - mb) ** 2)
    assert quadratic_kappa(a, b) == pytest.approx(expected)


def test_confusion_rows_are_human_levels() -> None:
    m = confusion([1, 1, 5], [2, 2, 5])
    assert m[0][1] == 2 and m[4][4] == 1 and sum(map(sum, m)) == 3


def write_rows(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


SIMPLE = [
    {
        "context": "I failed the exam.",
        "response": "Ok.",
        "human": {"empathy": 1, "clarity": 3, "active_listening": 1},
    },
    {
        "context": "I failed the exam.",
        "response": "That sounds really painful. What happened?",
        "human": {"empathy": 4, "clarity": 4, "active_listening": 4},
    },
    {
        "context": "I failed the exam.",
        "response": "You worked so hard and it still slipped away, that must hurt. "
        "What do you make of it?",
        "human": {"empathy": 5, "clarity": 4, "active_listening": 5},
    },
    {
        "context": "I failed the exam.",
        "response": "Well, um, maybe, you know, study more I guess.",
        "human": {"empathy": 1, "clarity": 2, "active_listening": 1},
    },
]


def test_simple_format_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_rows(tmp_path / "h.jsonl", SIMPLE)
    assert main(["calibrate", str(path), "--format", "json", "--quiet"]) == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    assert data["items"] == 4 and data["scorer"] == "heuristic"
    by_skill = {s["skill"]: s for s in data["skills"]}
    assert set(by_skill) == {"empathy", "active_listening", "clarity"}
    assert by_skill["empathy"]["spearman"] > 0.5  # the analytic scorer ranks these sensibly
    assert sum(map(sum, by_skill["empathy"]["confusion"])) == 4


def test_research_labels_are_mapped(tmp_path: Path) -> None:
    path = write_rows(
        tmp_path / "epi.jsonl",
        [
            {
                "id": "a",
                "context": "c",
                "response": "r",
                "labels": {
                    "emotional_reactions": 2,
                    "interpretations": 2,
                    "explorations": 2,
                    "total": 6,
                },
            },
            {
                "id": "b",
                "context": "c",
                "response": "r",
                "labels": {
                    "emotional_reactions": 0,
                    "interpretations": 0,
                    "explorations": 0,
                    "total": 0,
                },
            },
            {"id": "p", "context": "c", "response": "r", "labels": {"reflection_level": 1}},
            {
                "id": "m",
                "context": "",
                "response": "r",
                "labels": {"main_behaviour": "reflection", "reflection_subtype": "complex"},
            },
            {"id": "q", "context": "", "response": "r", "labels": {"mi_code": "Open Question"}},
        ],
    )
    items, used = load_labels(path)
    assert [it.human for it in items] == [
        {"empathy": 5},
        {"empathy": 1},
        {"active_listening": 3},
        {"active_listening": 5},
        {"active_listening": 3},
    ]
    assert used == {"epitome", "pair", "annomi", "mi_gold"}


def test_clear_easiness_uses_quintiles(tmp_path: Path) -> None:
    rows = [{"response": f"text {i}", "labels": {"bt_easiness": i / 10 - 2}} for i in range(50)]
    items, _ = load_labels(write_rows(tmp_path / "c.jsonl", rows))
    levels = [it.level["clarity"] for it in items]
    assert [levels.count(k) for k in range(1, 6)] == [10, 10, 10, 10, 10]
    assert items[0].human["clarity"] == -2.0


def test_unusable_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_rows(tmp_path / "x.jsonl", [{"response": "r", "labels": {"liking": 4}}])
    with pytest.raises(LabelError, match="no mapping"):
        load_labels(path)
    assert main(["calibrate", str(path)]) == ExitCode.CONFIG
    assert f"{path}:1" in capsys.readouterr().err


@pytest.mark.parametrize("limit", ["0", "-5"])
def test_a_limit_below_one_is_a_usage_error(
    tmp_path: Path, limit: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # It used to read the file, find "no labelled rows" and blame the file (exit 3).
    path = write_rows(tmp_path / "x.jsonl", [{"response": "r", "human": {"clarity": 3}}])
    assert main(["calibrate", str(path), "--limit", limit]) == ExitCode.USAGE
    assert capsys.readouterr().err == "coach: error: --limit must be at least 1\n"


def test_a_folder_or_a_binary_file_is_worded_as_replay_words_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = tmp_path / "labels.jsonl"
    binary.write_bytes(b'{"a": 1}\n\xc1\x00\xff')
    missing = tmp_path / "missing.jsonl"
    expected = {
        tmp_path: "Is a directory",
        binary: "not UTF-8 text (byte 9)",
        missing: "No such file or directory",
    }
    for path, message in expected.items():
        assert main(["calibrate", str(path)]) == ExitCode.CONFIG
        assert capsys.readouterr().err == f"coach: error: {path}: {message}\n"
        if path is not tmp_path:  # replay searches a folder instead of reading it
            # The same words as replay's for the same file.
            assert main(["replay", str(path), "--quiet"]) == ExitCode.FAILURES
            assert capsys.readouterr().err == f"{path}: {message}\n"


def test_a_dataset_without_a_mapping_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # ESConv's failed conversations: the rows carry different sets of labels, which used
    # to give 20 per-line errors and "... and 1029 more" where the other ESConv file got one
    # line for the same cause.
    rows: list[dict[str, object]] = [
        {
            "response": f"reply {i}",
            "labels": {"strategies": ["Question"], "seeker_survey": {}}
            | ({"next_seeker_feedback": 3} if i % 2 else {}),
        }
        for i in range(30)
    ]
    path = write_rows(tmp_path / "esconv.jsonl", rows)
    assert main(["calibrate", str(path)]) == ExitCode.CONFIG
    assert capsys.readouterr().err == (
        f"coach: error: {path}: every line: no mapping from these labels to a skill "
        "(next_seeker_feedback, seeker_survey, strategies); see docs/evaluators.md\n"
    )


def test_a_long_list_of_unmapped_labels_is_cut_between_names(tmp_path: Path) -> None:
    labels = {f"rating_number_{i:02}": 3 for i in range(12)}
    path = write_rows(tmp_path / "fed.jsonl", [{"response": "r", "labels": labels}] * 2)
    with pytest.raises(LabelError) as caught:
        load_labels(path)
    [problem] = caught.value.problems
    assert problem.endswith("rating_number_05, ...); see docs/evaluators.md")


def test_every_bad_line_is_reported_in_one_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Fixing a labels file one line per run is slow; all bad lines are listed, none scored.
    path = tmp_path / "bad.jsonl"
    good = json.dumps(SIMPLE[0])
    bad_value = json.dumps({"response": "r", "human": {"empathy": 7}})
    path.write_text("\n".join([good, bad_value, "{oops", good, "[1]"]) + "\n", encoding="utf-8")
    assert main(["calibrate", str(path), "--quiet"]) == ExitCode.CONFIG
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.splitlines()
    assert err[:3] == [
        f"{path}:2: human.empathy must be a number from 1 to 5, not 7",
        f"{path}:3: invalid JSON: Expecting property name enclosed in double quotes",
        f"{path}:5: expected an object with a text `response`",
    ]
    assert "nothing was scored" in err[3]


EPITOME_MECHANISMS = {"emotional_reactions": 1, "interpretations": 1, "explorations": 0}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        pytest.param("[" * 100_000, "invalid JSON: nested too deeply", id="deep"),
        ('{"response": "r", "human": {"empathy": NaN}}', "invalid JSON: NaN is not a JSON number"),
        (
            '{"response": "r", "labels": {"emotional_reactions": 1, "total": 1e400}}',
            "invalid JSON: number 1e400 is too large",
        ),
        (
            {"response": "r", "labels": {**EPITOME_MECHANISMS, "total": None}},
            "labels.total (EPITOME) must be a number from 0 to 6, not null",
        ),
        (
            {"response": "r", "labels": {**EPITOME_MECHANISMS, "total": [1]}},
            "labels.total (EPITOME) must be a number from 0 to 6, not [1]",
        ),
        (
            {"response": "r", "labels": {**EPITOME_MECHANISMS, "total": 99}},
            "labels.total (EPITOME) must be a number from 0 to 6, not 99",
        ),
        (
            {"response": "r", "labels": {**EPITOME_MECHANISMS, "total": -5}},
            "labels.total (EPITOME) must be a number from 0 to 6, not -5",
        ),
        (
            {"response": "r", "labels": {"reflection_level": 3}},
            "labels.reflection_level (PAIR) must be 0, 1 or 2, not 3",
        ),
        (
            {"response": "r", "labels": {"reflection_level": 1.5}},
            "labels.reflection_level (PAIR) must be 0, 1 or 2, not 1.5",
        ),
        (
            {"response": "r", "labels": {"main_behaviour": None}},
            "labels.main_behaviour (AnnoMI) must be one of reflection, question, "
            "therapist_input, other, not null",
        ),
        (
            {"response": "r", "labels": {"bt_easiness": "easy"}},
            'labels.bt_easiness (CLEAR) must be a number, not "easy"',
        ),
        (
            {"response": "r", "human": {"empthy": 3}},
            'unknown skill in `human`: "empthy" (expected empathy, active_listening, clarity)',
        ),
        (
            {"response": "r", "human": {}},
            "`human` rates no skill (expected empathy, active_listening, clarity, 1-5)",
        ),
        (
            {"response": "r", "human": {"empathy": True}},
            "human.empathy must be a number from 1 to 5, not true",
        ),
        ({"response": "r", "context": 5, "human": {"empathy": 3}}, "`context` must be text, not 5"),
    ],
)
def test_a_label_that_cannot_be_read_as_it_says_is_a_bad_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: object, message: str
) -> None:
    # Each of these once crashed (RecursionError, TypeError, OverflowError, KeyError) or was
    # silently dropped or mis-read; now it is a numbered bad line and nothing is scored.
    path = tmp_path / "labels.jsonl"
    text = line if isinstance(line, str) else json.dumps(line)
    path.write_text(json.dumps(SIMPLE[0]) + "\n" + text + "\n", encoding="utf-8")
    assert main(["calibrate", str(path), "--quiet"]) == ExitCode.CONFIG
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines()[0] == f"coach: error: {path}:2: {message}"


def test_a_long_list_of_bad_lines_is_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("{oops\n" * 30, encoding="utf-8")
    with pytest.raises(LabelError) as caught:
        load_labels(path)
    assert len(caught.value.problems) == 21
    assert caught.value.problems[-1] == "... and 10 more"


def test_the_confusion_matrix_has_its_column_heads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_rows(tmp_path / "h.jsonl", SIMPLE)
    assert main(["calibrate", str(path), "--quiet"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "human  scorer 1  scorer 2  scorer 3  scorer 4  scorer 5" in out


def test_repeat_bypasses_the_cache_and_reports_variance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", BASE)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    path = write_rows(tmp_path / "h.jsonl", SIMPLE)
    calls = 0

    def noisy(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        payload = judge_payload(learner_text(request))
        payload["empathy"]["score"] = 1 + (calls - 1) // 4 % 2 * 2  # 1 then 3 then 1 per run
        return completion(json.dumps(payload))

    with respx.mock(base_url=BASE) as mock:
        mock.post("/chat/completions").mock(side_effect=noisy)
        code = main(
            [
                "calibrate",
                str(path),
                "--scorer",
                "llm",
                "--repeat",
                "3",
                "--format",
                "json",
                "--quiet",
                "--concurrency",
                "1",
            ]
        )
    assert code == ExitCode.OK
    assert calls == 3 * 4  # every repeat asked the model: the cache was bypassed
    data = json.loads(capsys.readouterr().out)
    assert data["variance"]["empathy"]["mean_variance"] > 0
    assert data["variance"]["clarity"]["mean_variance"] == 0
    assert data["variance"]["clarity"]["stable_level_share"] == 1.0


def test_items_that_could_not_be_scored_say_why(
    tmp_path: Path, cli_judge_without_retries: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_rows(tmp_path / "h.jsonl", SIMPLE)
    with respx.mock(base_url=BASE) as mock:
        mock.post("/chat/completions").mock(return_value=httpx.Response(500, json={}))
        code = main(["calibrate", str(path), "--scorer", "llm", "--quiet"])
    assert code == ExitCode.FAILURES
    captured = capsys.readouterr()
    assert "4 items could not be scored" in captured.out
    assert "4 items not scored: the judge's endpoint failed (HTTP 500)" in captured.err


class _FullDisk(io.StringIO):
    """stdout redirected to /dev/full: writes are buffered, the flush fails."""

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_stdout_write_error_reaches_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Called below coach.cli, whose handler reports such errors: the command must neither
    # swallow the error nor leave it to the interpreter's exit-time flush.
    path = write_rows(tmp_path / "h.jsonl", SIMPLE)
    monkeypatch.setattr(sys, "stdout", _FullDisk())
    args = build_parser().parse_args(["calibrate", str(path), "--quiet"])
    with pytest.raises(OSError, match="No space left"):
        args.func(args)


def test_a_file_with_no_mapping_at_all_is_one_line(tmp_path: Path) -> None:
    # A CaSiNo file gave 20 identical "no mapping" lines, "... and 2296 more" and "fix the
    # lines above": the file is simply not one calibrate reads.
    path = tmp_path / "casino.jsonl"
    rows = [{"context": "c", "response": f"r{i}", "labels": {"small_talk": 1}} for i in range(30)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    with pytest.raises(LabelError) as caught:
        load_labels(path)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}: every line: no mapping from these labels")
