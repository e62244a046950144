"""`coach play` as a user runs it: no key, scripts, broken files, SIGKILL and --resume."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from coach.cli import main
from coach.transcript import read_transcript

from .helpers import DISMISSIVE, EMPATHETIC, FAKE_KEY


def test_play_offline_script_without_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "lines.txt"
    script.write_text("\n".join(EMPATHETIC[:3]) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code = main(
        [
            "play",
            "upset-customer-wrong-order",
            "--offline",
            "--script",
            str(script),
            "--transcript",
            str(out),
            "--seed",
            "4",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert (
        "empathy " in captured.out and "listening " in captured.out and "clarity " in captured.out
    )
    t = read_transcript(out)
    assert len(t.active_path()) == 3 and t.header["seed"] == 4 and t.ended
    assert t.header["counterpart_name"] == "Gloria Mendes"
    # `coach sessions show` labels their turns with the name, not "Counterpart".
    assert main(["sessions", "show", str(out)]) == 0
    shown = capsys.readouterr().out
    assert f"\nGloria Mendes: {t.opening.text}" in shown and "\nCounterpart:" not in shown
    # The run ends with its total: none here, and it says why.
    assert captured.out.rstrip().endswith("\n-- usage: no API calls (offline)"), captured.out


def test_play_json_stays_valid_json_with_control_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A C1 CSI (U+009B) is written raw by json.dumps(ensure_ascii=False); shown as "\\x9b"
    # on a terminal it was an invalid JSON escape.
    line = "I hear you \u009b2J \x1b[31m, what matters most?"
    script = tmp_path / "lines.txt"
    script.write_text(line + "\n/end\n", encoding="utf-8")
    argv = ["play", "salary-offer-negotiation", "--script", str(script), "--json", "--seed", "1"]
    assert main([*argv, "--no-debrief"]) == 0
    out = capsys.readouterr().out
    assert "\x9b" not in out and "\x1b" not in out
    records = [json.loads(row) for row in out.splitlines()]
    assert [r["text"] for r in records if r["type"] == "learner"] == [line]


def test_play_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "lines.txt"
    script.write_text("# a comment\n" + EMPATHETIC[0] + "\n/hint\n/end\n", encoding="utf-8")
    code = main(
        ["play", "salary-offer-negotiation", "--script", str(script), "--json", "--seed", "1"]
    )
    assert code == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    kinds = [r["type"] for r in records]
    assert kinds == [
        "session", "counterpart", "learner", "counterpart", "turn", "hint", "end", "debrief"
    ]  # fmt: skip
    assert set(records[4]["scores"]) == {"empathy", "active_listening", "clarity"}
    assert records[-2]["outcome"] == "learner_ended"
    debrief = records[-1]
    assert debrief["summary"]["turns"] and debrief["rewrite"]["original"] == EMPATHETIC[0]
    assert debrief["rewrite"]["rewritten_score"] is not None
    assert Path(records[0]["transcript"]).parent == Path(os.environ["COACH_HOME"]) / "sessions"


def test_play_json_numbers_debrief_turns_from_1_as_the_markdown_debrief_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `--json` said "best_turn": 0 and rewrite.turn 3 where the Markdown said "Best turn: 1"
    # and "A better version of turn 4".
    script = tmp_path / "lines.txt"
    lines = [EMPATHETIC[0], EMPATHETIC[1], DISMISSIVE[0], DISMISSIVE[3]]
    script.write_text("\n".join([*lines, "/end"]) + "\n", encoding="utf-8")
    argv = ["play", "salary-offer-negotiation", "--offline", "--script", str(script)]
    assert main([*argv, "--seed", "1"]) == 0
    markdown = capsys.readouterr().out
    assert main([*argv, "--seed", "1", "--json"]) == 0
    (debrief,) = [
        r for r in map(json.loads, capsys.readouterr().out.splitlines()) if r["type"] == "debrief"
    ]

    def number(pattern: str) -> int:
        found = re.search(pattern, markdown)
        assert found, (pattern, markdown)
        return int(found.group(1))

    summary = debrief["summary"]
    assert summary["best_turn"] == number(r"\*\*Best turn:\*\* (\d+) ")
    assert summary["weakest_turn"] == number(r"\*\*Weakest turn:\*\* (\d+) ")
    assert debrief["rewrite"]["turn"] == number(r"## A better version of turn (\d+) ")
    assert debrief["rewrite"]["original"] == lines[debrief["rewrite"]["turn"] - 1]
    for kind in ("strength", "improvement"):
        highlight = debrief[kind]
        assert f"In turn {highlight['turn']} " in highlight["message"], highlight
        assert highlight["quote"] in lines[highlight["turn"] - 1]
    assert {summary["best_turn"], summary["weakest_turn"]} <= {1, 2, 3, 4}


def test_play_ends_with_the_debrief_unless_asked_not_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "lines.txt"
    script.write_text("Ok. You should just accept it.\n/end\n", encoding="utf-8")
    args = ["play", "salary-offer-negotiation", "--script", str(script), "--seed", "1"]
    assert main(args) == 0
    out = capsys.readouterr().out
    ended = out.index("-- ended:")
    for heading in ("# Session debrief", "## Strength", "## To work on", "Try:"):
        assert out.index(heading) > ended
    assert main([*args, "--no-debrief"]) == 0
    out = capsys.readouterr().out
    assert "-- ended:" in out and "Session debrief" not in out


def test_sessions_list_keeps_its_columns_for_long_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Session ids embed the scenario id; a long one pushed every later column right.
    script = tmp_path / "lines.txt"
    script.write_text(EMPATHETIC[0] + "\n/end\n", encoding="utf-8")
    for scenario in ("upset-customer-wrong-order", "salary-offer-negotiation"):
        assert main(["play", scenario, "--offline", "--script", str(script)]) == 0
    capsys.readouterr()
    assert main(["sessions", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    words = ["SCENARIO", "salary", "upset"]  # newest first
    starts = {line.index(" " + w) for line, w in zip(lines, words, strict=True)}
    assert len(starts) == 1, lines


def test_broken_scenario_prints_positions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\ntitle: [unclosed\n", encoding="utf-8")
    code = main(["play", str(broken), "--offline", "--script", "-"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{broken}:" in err and "Traceback" not in err
    line = err.strip().splitlines()[0]
    # FILE:LINE:COL: message (the message may itself name a LINE:COL)
    assert re.match(rf"{re.escape(str(broken))}:\d+:\d+: \S", line), line


def test_key_never_in_output_on_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A closed local port: connection refused, with a recognisable key configured.
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    script = tmp_path / "s.txt"
    script.write_text("Hello there.\n", encoding="utf-8")
    out = tmp_path / "t.jsonl"
    code = main(
        ["play", "salary-offer-negotiation", "--script", str(script), "--transcript", str(out)]
    )
    captured = capsys.readouterr()
    assert code == 4
    assert "Cannot reach http://127.0.0.1:9/v1" in captured.err
    for text in (captured.out, captured.err, out.read_text(encoding="utf-8")):
        assert FAKE_KEY not in text and "FAKEKEY" not in text
    (turn,) = read_transcript(out).active_path()
    assert (
        turn.learner.text == "Hello there." and turn.reply is not None and not turn.reply.complete
    )


def _wait_for_turns(path: Path, proc: subprocess.Popen[str], n: int) -> None:
    # Wait on the file's content, driven by the child's own output (no sleeps as sync).
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        assert line, "coach play exited early"
        if path.exists():
            t = read_transcript(path)
            done = [x for x in t.active_path() if x.reply and x.reply.complete]
            if len(done) >= n:
                return


@pytest.mark.slow
def test_sigkill_mid_session_then_resume(tmp_path: Path) -> None:
    out = tmp_path / "killed.jsonl"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [
        sys.executable,
        "-m",
        "coach",
        "play",
        "peer-missed-deadlines",
        "--offline",
        "--seed",
        "9",
        "--transcript",
        str(out),
        "--json",
    ]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdin is not None
    try:
        for i, line in enumerate(EMPATHETIC[:3]):
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
            _wait_for_turns(out, proc, i + 1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    t = read_transcript(out)
    confirmed = [x.learner.text for x in t.active_path()]
    assert confirmed == EMPATHETIC[:3]
    assert all(x.reply and x.reply.complete for x in t.active_path())
    assert not t.ended

    resumed = subprocess.run(
        [sys.executable, "-m", "coach", "play", "--resume", str(out), "--json"],
        input=EMPATHETIC[3] + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    t = read_transcript(out)
    assert [x.learner.text for x in t.active_path()][:4] == EMPATHETIC[:4]
    assert t.learner_turns()["L4"].parent == "C3" and t.ended


def _play_script(tmp_path: Path, data: bytes, *extra: str) -> tuple[int, Path]:
    script = tmp_path / "lines.txt"
    script.write_bytes(data)
    out = tmp_path / "out.jsonl"
    argv = ["play", "upset-customer-wrong-order", "--offline", "--no-debrief"]
    code = main([*argv, "--script", str(script), "--transcript", str(out), "--seed", "1", *extra])
    return code, out


def test_a_script_line_that_is_not_utf8_is_named_and_the_turns_before_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # It was a UnicodeEncodeError traceback (stdin) or UnicodeDecodeError (--script).
    first = EMPATHETIC[0].encode()
    code, out = _play_script(tmp_path, b"\xef\xbb\xbf" + first + b"\ncaf\xe9 au lait\n")
    err = capsys.readouterr().err
    assert code == 1
    assert "lines.txt:2: not UTF-8 text (byte 0xe9 at column 4)" in err
    turns = read_transcript(out).active_path()
    assert [t.learner.text for t in turns] == [EMPATHETIC[0]]  # the BOM is not in the reply
    (tmp_path / "utf16").mkdir()
    code, _ = _play_script(tmp_path / "utf16", "Hello".encode("utf-16"))
    assert code == 1 and "is UTF-16 text" in capsys.readouterr().err


def test_a_bare_rewind_says_what_it_needs_and_an_ended_session_is_not_resumed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A command that cannot apply is said and skipped (it used to abandon the rest of the
    # script, /end included); the exit code still says something was wrong.
    script = f"{EMPATHETIC[0]}\n/rewind\n/retry\n{EMPATHETIC[1]}\n/end\n".encode()
    code, out = _play_script(tmp_path, script)
    err = capsys.readouterr().err
    assert code == 1
    assert "/rewind needs the learner turn to go back before" in err
    assert "there is no missing reply to retry" in err
    transcript = read_transcript(out)
    assert len(transcript.active_path()) == 2 and transcript.ended
    script = tmp_path / "more.txt"
    script.write_text(EMPATHETIC[1] + "\n", encoding="utf-8")
    code = main(["play", "--resume", str(out), "--offline", "--script", str(script)])
    assert code == 1 and "has ended" in capsys.readouterr().err
    assert len(read_transcript(out).active_path()) == 2  # nothing read and dropped


def test_trace_shows_the_move_and_the_counterparts_stage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A trainer could not see which move a line counted as without reading --json.
    code, _ = _play_script(tmp_path, b"This is your fault.\n/end\n", "--trace")
    assert code == 0
    out = capsys.readouterr().out
    assert "move blame · stage " in out and " · trust " in out and " · tension " in out


def test_sessions_show_on_another_chat_format_points_to_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An evaluator's OpenAI message list got "not a coach transcript (Expecting value)".
    chat = tmp_path / "chat.json"
    chat.write_text('[\n {"role": "user", "content": "hi"}\n]\n', encoding="utf-8")
    assert main(["sessions", "show", str(chat)]) == 1
    err = capsys.readouterr().err
    assert "not a coach transcript" in err and "`coach replay FILE` reads" in err


@pytest.mark.parametrize("as_json", [False, True])
def test_a_reply_cut_at_the_length_limit_is_flagged(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    as_json: bool,
) -> None:
    import httpx
    import respx

    base = "http://llm.test/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", base)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    script = tmp_path / "lines.txt"
    script.write_text(EMPATHETIC[0] + "\n/end\n", encoding="utf-8")
    sse = (Path(__file__).parent / "sse" / "length.sse").read_bytes()
    argv = ["play", "salary-offer-negotiation", "--script", str(script), "--no-debrief"]
    with respx.mock(base_url=base) as mock:
        mock.post("/chat/completions").mock(
            return_value=httpx.Response(
                200, content=sse, headers={"content-type": "text/event-stream"}
            )
        )
        assert main([*argv, "--json"] if as_json else argv) == 0
    captured = capsys.readouterr()
    if as_json:
        (reply,) = [
            r
            for r in map(json.loads, captured.out.splitlines())
            if r["type"] == "counterpart" and r.get("reply_to")
        ]
        assert reply["finish_reason"] == "length"
        # Said in so many words: a reader need not know what "length" means.
        assert reply["complete"] is False
        assert reply["usage"] == {"prompt_tokens": 812, "completion_tokens": 7, "estimated": False}
    else:
        assert "cut off at the reply length limit" in captured.err


def test_a_failed_reply_says_how_to_continue(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import httpx
    import respx

    home = Path(os.environ["COACH_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    base = "http://llm.test/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", base)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    (home / "config.toml").write_text("max_retries = 0\n", encoding="utf-8")  # no waits
    script = tmp_path / "lines.txt"
    script.write_text(f"{EMPATHETIC[0]}\n{EMPATHETIC[1]}\n", encoding="utf-8")
    with respx.mock(base_url=base) as mock:
        route = mock.post("/chat/completions").mock(return_value=httpx.Response(500, json={}))
        code = main(["play", "salary-offer-negotiation", "--script", str(script)])
    assert code == 4
    sent = [call.request.content.decode() for call in route.calls]
    assert not any(EMPATHETIC[1] in body for body in sent)  # the second line was never sent
    err = capsys.readouterr().err
    session_id = err.split("coach play --resume ")[1].split()[0]
    assert "your turns so far are saved" in err
    t = read_transcript(next(home.rglob(f"*{session_id}*.jsonl")))
    assert [x.learner.text for x in t.active_path()] == [EMPATHETIC[0]]


@pytest.mark.parametrize(
    ("recording", "model", "cost"),
    [
        ("normal.sse", "gpt-4o-mini", r"\$0\.\d{4}"),
        ("normal.sse", "local", "cost unknown"),
        ("no_usage.sse", "local", "cost unknown"),
    ],
)
def test_play_reports_each_replys_usage_and_the_session_total(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    recording: str,
    model: str,
    cost: str,
) -> None:
    # Against a llama.cpp server, play showed no tokens at all though the transcript had them.
    import httpx
    import respx

    from coach.llm.base import Usage
    from coach.tokens import estimate_cost

    base = "http://llm.test/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", base)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("COACH_MODEL", model)
    script = tmp_path / "lines.txt"
    script.write_text(f"{EMPATHETIC[0]}\n/hint\n{EMPATHETIC[1]}\n/end\n", encoding="utf-8")
    sse = (Path(__file__).parent / "sse" / recording).read_bytes()
    argv = ["play", "salary-offer-negotiation", "--script", str(script), "--no-debrief"]
    outputs = []
    for extra in ([], ["--json"]):
        with respx.mock(base_url=base) as mock:
            mock.post("/chat/completions").mock(
                side_effect=lambda request: httpx.Response(
                    200, content=sse, headers={"content-type": "text/event-stream"}
                )
            )
            assert main([*argv, *extra]) == 0
        outputs.append(capsys.readouterr().out)
    text, as_json = outputs
    records = [json.loads(row) for row in as_json.splitlines()]  # still one object a line
    replies = [r for r in records if r["type"] == "counterpart" and r["reply_to"]]
    assert len(replies) == 2
    estimated = recording == "no_usage.sse"
    for reply in replies:
        assert reply["complete"] is True
        usage = reply["usage"]
        assert usage["estimated"] is estimated
        if not estimated:
            assert usage == {"prompt_tokens": 812, "completion_tokens": 11, "estimated": False}
        assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    # The total covers the hint's call too, not only the replies.
    last = text.rstrip().splitlines()[-1]
    pattern = (
        r"-- usage: ([\d,]+) tokens \(([\d,]+) prompt \+ ([\d,]+) completion"
        + (", estimated" if estimated else "")
        + rf"\) in 3 calls · ({cost})"
    )
    found = re.fullmatch(pattern, last)
    assert found, (pattern, last)
    if not estimated:
        assert [found.group(i) for i in (1, 2, 3)] == ["2,469", "2,436", "33"]
    if model == "gpt-4o-mini":
        expected = estimate_cost(model, Usage(2436, 33))
        assert expected is not None and found.group(4) == f"${expected:.4f}"


@pytest.mark.parametrize("as_json", [False, True])
def test_a_turn_the_judge_could_not_score_says_so(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    as_json: bool,
) -> None:
    # A judge failing every turn (a context too small for it) left no trace in `coach play`:
    # no score line, no error, no debrief, exit 0.
    from coach.commands import play as play_command
    from tests.fake_scorers import FlakyScorer

    monkeypatch.setattr(play_command, "_make_scorer", lambda _settings: FlakyScorer(99))
    script = tmp_path / "s.txt"
    script.write_text(EMPATHETIC[0] + "\n" + EMPATHETIC[1] + "\n", encoding="utf-8")
    args = ["play", "salary-offer-negotiation", "--offline", "--script", str(script)]
    args += ["--transcript", str(tmp_path / "t.jsonl"), *(["--json"] if as_json else [])]
    assert main(args) == 1  # the conversation went on, but a scripted run must know
    out, err = capsys.readouterr()
    if as_json:
        turns = [json.loads(x) for x in out.splitlines() if '"type": "turn"' in x]
        assert len(turns) == 2
        assert all(t["score_error"] == "the judge timed out" for t in turns)
        assert all("scores" not in t for t in turns)
    else:
        assert out.count("[not scored: the judge timed out]") == 2
    assert "no debrief: none of the turns was scored" in err
