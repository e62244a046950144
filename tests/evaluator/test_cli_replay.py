"""`coach replay` end to end through the CLI: formats, exit codes, the FILE: message contract."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import IO

import httpx
import pytest
import respx

from coach.cli import build_parser, main
from coach.exitcodes import ExitCode

from .conftest import (
    BASE,
    KEY,
    FakeJudgeEndpoint,
    completion,
    judge_payload,
    learner_text,
    write_transcript,
)

HOSTILE = '<script>alert(1)</script> & "quotes" </td></table> [bold]x[/bold]'


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    a = write_transcript(tmp_path / "a.jsonl", record_scores=True)
    b = write_transcript(
        tmp_path / "b.jsonl",
        [("Why is this late?", HOSTILE), ("Pardon?", "I mean: what happened on your side?")],
        scenario_id="angry-customer",
    )
    return [a, b]


def test_table_default_and_exit_ok(files: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", *map(str, files), "--quiet"]) == ExitCode.OK
    out = capsys.readouterr().out
    # The file alone when it is named after the session ("a.jsonl", not "a.jsonl#a").
    assert "a.jsonl " in out and "a.jsonl#a" not in out and "Cohort (heuristic)" in out
    assert "Recorded scores reproduced: 3/3" in out
    assert "5/5 turn scores in 2 sessions, 0 from cache, 5 scorer calls" in out


def test_counts_of_one_read_in_the_singular(
    files: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(files[0]), "--quiet"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "Cohort (heuristic): 1 session, 3 turns" in out and "in 1 session," in out
    assert "1 sessions" not in out


def test_bad_file_reported_others_scored(
    files: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{nope\n", encoding="utf-8")
    code = main(["replay", str(bad), *map(str, files), "--format", "json", "--quiet"])
    assert code == ExitCode.FAILURES
    captured = capsys.readouterr()
    assert f"{bad}: line 1: invalid JSON" in captured.err
    data = json.loads(captured.out)
    assert data["summary"]["scored"] == 5
    assert data["failures"] == [{"file": str(bad), "message": data["failures"][0]["message"]}]


@pytest.mark.parametrize("stdout_is_terminal", [True, False])
def test_a_bad_file_is_said_once_on_a_terminal(
    files: list[Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stdout_is_terminal: bool,
) -> None:
    # The table lists the failure; on a terminal stderr must not repeat it. Piped or
    # redirected, the table is out of sight, so stderr still says it.
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{nope\n", encoding="utf-8")
    monkeypatch.setattr("sys.stdout.isatty", lambda: stdout_is_terminal)
    code = main(["replay", str(bad), *map(str, files), "--quiet"])
    assert code == ExitCode.FAILURES
    captured = capsys.readouterr()
    assert f"FAILED {bad}: line 1: invalid JSON" in captured.out
    assert (f"{bad}: line 1" in captured.err) is not stdout_is_terminal


def test_the_weakest_skills_line_says_which_mean_it_is(
    files: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # The cohort table's mean is over turns; the weakest-skills ranking is over sessions.
    assert main(["replay", *map(str, files), "--quiet"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "session mean  weakest in  below 3 in" in out
    assert "(shares of the 2 sessions)" in out
    assert main(["replay", *map(str, files), "--quiet", "--format", "md"]) == ExitCode.OK
    md = capsys.readouterr().out
    assert "(session mean " in md
    # The sessions table names the weakest skill as the other tables do, not by its key.
    sessions = md.split("## Sessions")[1].split("##")[0].strip().splitlines()[2:]
    assert len(sessions) == 2
    assert all(
        row.endswith(("| Empathy |", "| Active listening |", "| Clarity |")) for row in sessions
    )


def test_the_terminal_cohort_summary_has_both_distributions_and_each_scenario(
    files: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # The table used to show only the turn distribution's middle, and per scenario or the
    # weakest skills as one long line each: a trainer at a terminal saw less than the md.
    main(["replay", *map(str, files), "--format", "json", "--quiet"])
    cohort = json.loads(capsys.readouterr().out)["cohort"]["heuristic"]
    main(["replay", *map(str, files), "--quiet"])
    out = capsys.readouterr().out
    for unit, heading in (("turns", "turn scores"), ("sessions", "session means")):
        table = out.split(f"\n{heading} ", 1)[1]
        row = next(line for line in table.splitlines() if line.startswith("Clarity "))
        d = cohort["skills"]["clarity"][unit]
        cells = row.split()
        assert cells[1] == str(d["n"])
        assert cells[2:9] == [
            f"{d[k]:.2f}" for k in ("mean", "sd", "min", "p25", "median", "p75", "max")
        ]
        assert cells[9:] == [str(h) for h in d["histogram"]]
    weakest = cohort["weakest_skills"][0]
    ranked = out.split("\nweakest skills ", 1)[1].splitlines()[2]
    assert (
        ranked.split("  ")[0]
        == {"empathy": "Empathy", "active_listening": "Active listening", "clarity": "Clarity"}[
            weakest["skill"]
        ]
    )
    assert f"{weakest['weakest_in_share']:.0%}" in ranked
    scenarios = out.split("\nper scenario ", 1)[1].splitlines()[2:4]
    assert [line.split()[0] for line in scenarios] == ["angry-customer", "status-update"]


def test_json_and_csv_have_a_row_per_turn_and_per_session(
    files: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    main(["replay", *map(str, files), "--format", "json", "--quiet"])
    data = json.loads(capsys.readouterr().out)
    assert len(data["turns"]) == 5 and len(data["sessions"]) == 2
    turn = data["turns"][0]
    assert 1 <= turn["empathy"] <= 5 and turn["empathy_tip"]
    assert turn["empathy_recorded_delta"] == 0.0
    cohort = data["cohort"]["heuristic"]
    assert {w["skill"] for w in cohort["weakest_skills"]} == {
        "empathy",
        "active_listening",
        "clarity",
    }
    assert set(cohort["scenarios"]) == {"status-update", "angry-customer"}
    assert sum(cohort["skills"]["clarity"]["turns"]["histogram"]) == 5

    main(["replay", *map(str, files), "--format", "csv", "--quiet"])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["row"] for r in rows].count("turn") == 5
    assert [r["row"] for r in rows].count("session") == 2
    assert any(r["response"] == HOSTILE for r in rows)


def test_markdown_escapes_table_breakers(
    files: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    main(["replay", *map(str, files), "--format", "md", "--quiet"])
    out = capsys.readouterr().out
    assert "## Cohort summary (heuristic)" in out
    assert "<script>" not in out


def test_html_is_self_contained_and_escaped(files: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert main(["replay", *map(str, files), "--out", str(out), "--quiet"]) == ExitCode.OK
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page  # the hostile reply is escaped, and we add none
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for external in ("src=", "href=", "@import", "url("):
        assert external not in page
    assert page.count("<svg") >= 2 + 3  # one chart per session, one histogram per skill
    assert "Weakest skills across the group" in page


# An SGR colour, an OSC window title and a C1 CSI, as a model's reply may carry them.
ESCAPES = "\x1b[31mred\x1b[0m \x1b]0;pwned\x07 \x9b2J"


@pytest.mark.parametrize("suffix", ["md", "csv", "html", "txt", "json"])
def test_reports_never_carry_raw_control_characters(tmp_path: Path, suffix: str) -> None:
    transcript = write_transcript(
        tmp_path / "esc.jsonl", [(f"Look: {ESCAPES}", f"You said {ESCAPES}, right?")]
    )
    out = tmp_path / f"report.{suffix}"
    assert main(["replay", str(transcript), "--out", str(out), "--quiet"]) == ExitCode.OK
    text = out.read_text(encoding="utf-8")
    for raw in ("\x1b", "\x07", "\x9b"):
        assert raw not in text, (suffix, raw)
    if suffix == "json":
        json.loads(text)  # escaped as \\u009b, so still valid JSON
    elif suffix == "md":  # shown as the terminal commands show it, once rendered
        assert "\\\\x1b\\[31mred" in text
    elif suffix != "txt":  # the table shows no turn text
        assert "\\x1b[31mred" in text  # shown, as the terminal commands show it


MARKDOWN_TRAPS = (
    "\u202eevil\u202c `t` *star* [click](javascript:alert(1)) ![i](x.png) <b>x</b> &amp; "
    "<script>alert(1)</script>"
)


def test_the_markdown_report_renders_transcript_text_as_written(tmp_path: Path) -> None:
    from markdown_it import MarkdownIt

    transcript = write_transcript(tmp_path / "md.jsonl", [("Hello.", MARKDOWN_TRAPS)])
    out = tmp_path / "report.md"
    assert main(["replay", str(transcript), "--out", str(out), "--quiet"]) == ExitCode.OK
    page = MarkdownIt("commonmark", {"html": True}).enable("table").render(out.read_text("utf-8"))
    # Even a renderer that passes HTML through gets no tag, link or image from the reply.
    assert "<script" not in page and "<a " not in page and "<img" not in page
    assert "<em>" not in page and "\u202e" not in page and "<code>" not in page
    row = next(line for line in page.splitlines() if "alert(1)" in line and "star" in line)
    assert "\\u202eevil\\u202c `t` *star* [click](javascript:alert(1)) ![i](x.png)" in row
    assert "&lt;b&gt;x&lt;/b&gt; &amp;amp;" in row


def test_llm_scorer_without_endpoint_is_a_config_error(
    files: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(files[0]), "--scorer", "llm"]) == ExitCode.CONFIG
    assert "OPENAI_API_KEY" in capsys.readouterr().err


def test_batch_needs_the_llm_scorer(files: list[Path]) -> None:
    assert main(["replay", str(files[0]), "--batch"]) == ExitCode.USAGE


def test_llm_via_cli_second_run_makes_no_requests(
    files: list[Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", BASE)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    endpoint = FakeJudgeEndpoint()
    args = ["replay", *map(str, files), "--scorer", "both", "--format", "json", "--quiet"]
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").mock(side_effect=endpoint)
        assert main(args) == ExitCode.OK
        assert route.call_count == 5
        capsys.readouterr()
        assert main(args) == ExitCode.OK
        assert route.call_count == 5
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["from_cache"] == 5
    assert KEY not in json.dumps(data)


def test_summary_counts_model_requests_apart_from_scorer_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", BASE)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    same = [("Why is this late?", "What happened on your side?")]
    files = [write_transcript(tmp_path / f"{n}.jsonl", same, session_id=n) for n in "ab"]
    endpoint = FakeJudgeEndpoint(fail_429_first=1)
    with respx.mock(base_url=BASE) as mock:
        mock.post("/chat/completions").mock(side_effect=endpoint)
        assert (
            main(["replay", *map(str, files), "--scorer", "llm", "--out", str(tmp_path / "r.json")])
            == 0
        )
    # Two identical turns are judged once; the 429 before it was a request too.
    assert endpoint.calls == 2
    err = capsys.readouterr().err
    assert "2/2 turn scores in 2 sessions, 0 from cache, 2 scorer calls, 2 model requests" in err
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["summary"]["model_requests"] == 2


def test_quotes_the_judge_made_up_are_reported(
    files: list[Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", BASE)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)

    def invents(request: httpx.Request) -> httpx.Response:
        payload = judge_payload(learner_text(request))
        payload["clarity"]["evidence"] = [{"quote": "words nobody wrote", "label": "x"}]
        return completion(json.dumps(payload))

    with respx.mock(base_url=BASE) as mock:
        mock.post("/chat/completions").mock(side_effect=invents)
        assert main(["replay", str(files[0]), "--scorer", "llm", "--format", "json"]) == 0
    captured = capsys.readouterr()
    said = "the judge quoted 3 passages that the learner did not write"
    assert said in captured.err
    assert any(said in w for w in json.loads(captured.out)["warnings"])


def test_failed_turns_are_named_on_stderr_when_the_report_goes_to_a_file(
    files: list[Path],
    tmp_path: Path,
    cli_judge_without_retries: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "r.json"
    with respx.mock(base_url=BASE) as mock:
        mock.post("/chat/completions").mock(return_value=httpx.Response(500, json={}))
        code = main(["replay", str(files[0]), "--scorer", "llm", "--out", str(out)])
    assert code != ExitCode.OK
    err = capsys.readouterr().err
    assert "0/3 turn scores" in err
    assert "(llm): the judge's endpoint failed (HTTP 500)" in err  # why, not only how many


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_html_renders_in_headless_chromium(files: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    main(["replay", *map(str, files), "--out", str(out), "--quiet"])
    proc = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", out.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Replay report" in proc.stdout and "Cohort summary" in proc.stdout
    assert "<svg" in proc.stdout


# ---------------------------------------------------------------------------- --out PATH


def test_out_through_a_symlink_replaces_its_target_and_keeps_the_link(
    files: list[Path], tmp_path: Path
) -> None:
    target = tmp_path / "reports" / "latest.json"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    link = tmp_path / "report.json"
    link.symlink_to(target)
    assert main(["replay", str(files[0]), "--out", str(link), "--quiet"]) == ExitCode.OK
    assert link.is_symlink() and link.resolve() == target
    assert json.loads(target.read_text(encoding="utf-8"))["summary"]["scored"] == 3
    assert target.stat().st_mode & 0o777 == 0o640  # the replaced file keeps its mode
    assert sorted(p.name for p in target.parent.iterdir()) == ["latest.json"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_out_to_a_named_pipe_writes_into_it(files: list[Path], tmp_path: Path) -> None:
    # Stands for /dev/stdout, /dev/null and the like: renaming over them would replace them.
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader, so opening to write works
    try:
        args = ["replay", str(files[0]), "--format", "csv", "--out", str(fifo), "--quiet"]
        assert main(args) == ExitCode.OK
        assert stat.S_ISFIFO(fifo.lstat().st_mode)
        received = os.read(reader, 1 << 16).decode("utf-8")
    finally:
        os.close(reader)
    assert received.startswith("row,")


def _replay_process(args: list[str], stdout: int | IO[str]) -> subprocess.CompletedProcess[str]:
    """`coach replay` in its own process, so that its stdout really is a pipe or a file."""
    return subprocess.run(
        [sys.executable, "-m", "coach", "replay", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(not os.path.exists("/dev/stdout"), reason="needs /dev/stdout")
@pytest.mark.parametrize("device", ["/dev/stdout", "/dev/fd/1"])
def test_out_dev_stdout_writes_into_a_pipe(files: list[Path], device: str) -> None:
    # Resolved, /dev/stdout on a pipe is /proc/PID/fd/pipe:[N], which does not exist: the
    # report used to fail with "No such file or directory" (exit 2).
    proc = _replay_process(
        [str(files[0]), "--format", "csv", "--out", device, "--quiet"], subprocess.PIPE
    )
    assert (proc.returncode, proc.stderr) == (ExitCode.OK, "")
    assert proc.stdout.startswith("row,") and proc.stdout.count("\nturn,") == 3


@pytest.mark.skipif(not os.path.exists("/dev/stdout"), reason="needs /dev/stdout")
def test_out_dev_stdout_appends_to_the_shells_file(files: list[Path], tmp_path: Path) -> None:
    # `coach replay ... --out /dev/stdout >> log`: the log is the shell's to append to, not
    # a file for the report to replace.
    log = tmp_path / "log.txt"
    log.write_text("earlier\n", encoding="utf-8")
    with log.open("a", encoding="utf-8") as fh:
        proc = _replay_process(
            [str(files[0]), "--format", "csv", "--out", "/dev/stdout", "--quiet"], fh
        )
    assert (proc.returncode, proc.stderr) == (ExitCode.OK, "")
    text = log.read_text(encoding="utf-8")
    assert text.startswith("earlier\nrow,") and text.count("\nturn,") == 3
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_out_a_folder_is_refused_before_scoring(
    files: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    assert main(["replay", str(files[0]), "--out", str(folder)]) == ExitCode.USAGE
    captured = capsys.readouterr()
    assert captured.err == f"coach: error: --out {folder} is a folder; give a file name\n"
    assert captured.out == ""
    assert list(folder.iterdir()) == [] and not (tmp_path / "out.tmp").exists()


def test_out_under_a_file_is_a_one_line_error(
    files: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = files[0] / "report.json"  # its "folder" is a file: cannot be written
    assert main(["replay", str(files[0]), "--out", str(out), "--quiet"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err == f"coach: error: cannot write the report to {out}: Not a directory\n"


def test_a_failed_write_leaves_no_temporary_file(
    files: list[Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()

    def disk_full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", disk_full)
    out = folder / "r.json"
    assert main(["replay", str(files[0]), "--out", str(out), "--quiet"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err == f"coach: error: cannot write the report to {out}: No space left on device\n"
    assert list(folder.iterdir()) == []


class _FullDisk(io.StringIO):
    """stdout redirected to /dev/full: writes are buffered, the flush fails."""

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_stdout_write_error_reaches_the_caller(
    files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Called below coach.cli, whose handler reports such errors: the command must neither
    # swallow the error nor leave it to the interpreter's exit-time flush.
    monkeypatch.setattr(sys, "stdout", _FullDisk())
    args = build_parser().parse_args(["replay", str(files[0]), "--format", "json", "--quiet"])
    with pytest.raises(OSError, match="No space left"):
        args.func(args)


def test_csv_cells_never_start_a_spreadsheet_formula(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A learner line '=HYPERLINK(...)' ran as a live formula when the CSV was opened.
    text = tmp_path / "chat.txt"
    formula = '=HYPERLINK("http://evil.example","click")'
    text.write_text(f"Dana: The invoices are late again.\nSam: {formula}\n", encoding="utf-8")
    assert main(["replay", str(text), "--learner", "Sam", "--format", "csv", "--quiet"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    (turn,) = [r for r in rows if r["row"] == "turn"]
    assert turn["response"] == "'" + formula
    assert all(not v.startswith(("=", "+", "@")) for r in rows for v in r.values() if v)


def test_every_turn_row_has_the_recorded_delta_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Turns with nothing to compare left the keys out (28 keys against 31 on other rows).
    text = tmp_path / "chat.txt"
    text.write_text("Dana: The invoices are late again.\nSam: That sounds tiring.\n")
    assert main(["replay", str(text), "--learner", "Sam", "--format", "json", "--quiet"]) == 0
    (turn,) = json.loads(capsys.readouterr().out)["turns"]
    assert turn["empathy_recorded_delta"] is None and "clarity_recorded_delta" in turn


def test_an_empty_folder_or_an_unknown_report_suffix_is_refused(
    tmp_path: Path, files: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # "0/0 turn scores in 0 sessions" with exit 0, and a terminal table written into a .pdf.
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["replay", str(empty), "--quiet"]) == ExitCode.FAILURES
    assert "no transcripts found in" in capsys.readouterr().err
    out = tmp_path / "report.pdf"
    assert main(["replay", str(files[0]), "--out", str(out), "--quiet"]) == ExitCode.USAGE
    assert "no report format for .pdf" in capsys.readouterr().err and not out.exists()
    assert main(["replay", str(files[0]), "--out", str(out), "--format", "md", "--quiet"]) == 0
    assert out.read_text().startswith("#")


# ---------------------------------------------------------------------------- FILE = -


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


OPENAI_CHAT = json.dumps(
    {
        "messages": [
            {"role": "assistant", "content": "I'm exhausted, I worked all weekend."},
            {"role": "user", "content": "It sounds like you're running on empty. What would help?"},
        ]
    }
).encode()


def test_dash_reads_one_transcript_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `coach replay -` used to report "FAILED -: No such file or directory".
    _stdin(monkeypatch, OPENAI_CHAT)
    assert main(["replay", "-", "--format", "json", "--quiet"]) == ExitCode.OK
    report = json.loads(capsys.readouterr().out)
    assert report["failures"] == []
    [turn] = report["turns"]
    assert turn["file"] == "<stdin>" and turn["response"].startswith("It sounds like")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_dash_detects_the_format_as_for_files(
    files: list[Path],
    jobs: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _stdin(monkeypatch, files[0].read_bytes())  # a coach transcript, with recorded scores
    args = ["replay", "-", str(files[1]), "--format", "json", "--quiet", "--jobs", jobs]
    assert main(args) == ExitCode.OK
    report = json.loads(capsys.readouterr().out)
    assert [s["file"] for s in report["sessions"]] == ["<stdin>", str(files[1])]
    assert report["summary"]["recorded_reproduced"] == 3


def test_dash_twice_or_unreadable_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, OPENAI_CHAT)
    assert main(["replay", "-", "-", "--quiet"]) == ExitCode.USAGE
    assert capsys.readouterr().err == "coach: error: standard input (-) can be read only once\n"
    _stdin(monkeypatch, b"\xc1\x00 not text")
    assert main(["replay", "-", "--quiet"]) == ExitCode.FAILURES
    assert capsys.readouterr().err == "<stdin>: not UTF-8 text (byte 0)\n"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_while_reading_the_files_says_so(
    files: list[Path],
    jobs: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # It used to say "interrupted after 0 of 0 turn scores".
    import coach.replay

    def load_all(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    async def parallel_load(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(coach.replay, "load_all", load_all)
    monkeypatch.setattr(coach.replay, "_parallel_load", parallel_load)
    args = ["replay", *map(str, files), "--jobs", jobs]
    assert main(args) == ExitCode.INTERRUPTED
    captured = capsys.readouterr()
    assert captured.err == "\ninterrupted while reading the 2 files; nothing was scored\n"
    assert captured.out == ""


LOCAL = "http://localhost:8080/v1"


@pytest.mark.parametrize(
    ("command", "given", "peak"),
    [
        ("replay", [], 1),
        ("replay", ["--concurrency", "3"], 3),
        ("score", [], 1),
        ("score", ["--concurrency", "3"], 3),
    ],
)
def test_a_judge_on_this_machine_gets_one_call_at_a_time_unless_asked(
    files: list[Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    given: list[str],
    peak: int,
) -> None:
    # A tester's replay at the default 8 against llama-cpp-python: seven calls waited in
    # the server's queue until they timed out and were sent again.
    monkeypatch.setenv("OPENAI_BASE_URL", LOCAL)
    endpoint = FakeJudgeEndpoint(delay=0.02)
    if command == "replay":
        args = ["replay", *map(str, files), "--scorer", "llm", "--format", "json", *given]
    else:
        lines = tmp_path / "in.jsonl"
        lines.write_text(
            "".join(
                json.dumps({"id": i, "context": "Why?", "response": f"Reply {i}."}) + "\n"
                for i in range(6)
            ),
            encoding="utf-8",
        )
        args = ["score", "--scorer", "llm", str(lines), *given]
    with respx.mock(base_url=LOCAL) as mock:
        mock.post("/chat/completions").mock(side_effect=endpoint)
        assert main(args) == 0
    capsys.readouterr()
    assert endpoint.calls >= 5  # enough turns to fill three lanes
    assert endpoint.peak == peak


def test_ctrl_c_mid_run_counts_the_failed_turns_too(
    files: list[Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The progress bar showed "2/12 ... 2 failed" above "interrupted after 0 of 12".
    import coach.replay
    from coach.importers import Turn
    from coach.replay import TurnResult

    async def interrupted(*args: object, run: coach.replay.ReplayRun, **kwargs: object) -> None:
        turn = Turn("L1", 1, "c", "r")
        run.files_read = True
        run.results = [
            TurnResult(0, turn, "heuristic", error="the judge's endpoint is rate limiting"),
            TurnResult(0, turn, "heuristic", error="the judge's endpoint is rate limiting"),
            TurnResult(0, turn, "heuristic"),
        ]
        raise KeyboardInterrupt

    monkeypatch.setattr(coach.replay, "replay_files", interrupted)
    assert main(["replay", *map(str, files), "--quiet"]) == ExitCode.INTERRUPTED
    err = capsys.readouterr().err
    assert "interrupted after 0 of 3 turn scores (2 failed); " in err
