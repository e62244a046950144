"""What the command line prints: escape sequences from untrusted text shown, not obeyed; and
when output cannot be written (a closed pipe, a full disk), one line or none, no traceback."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest

from coach.cli import main
from coach.exitcodes import ExitCode
from coach.printable import LiteralStream, safe_json, visible
from coach.resources import builtin_dir


class _Unwritable(io.StringIO):
    def __init__(self, error: OSError) -> None:
        super().__init__()
        self.error = error

    def write(self, text: str) -> int:
        raise self.error


def test_a_closed_pipe_ends_the_command_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `coach scenarios list | head -1`: the reader has gone.
    monkeypatch.setattr(sys, "stdout", _Unwritable(BrokenPipeError(32, "Broken pipe")))
    assert main(["scenarios", "list"]) == ExitCode.FAILURES
    assert capsys.readouterr().err == ""


def test_a_full_disk_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdout", _Unwritable(OSError(28, "No space left on device")))
    assert main(["scenarios", "list"]) == ExitCode.FAILURES
    assert capsys.readouterr().err == "coach: error: [Errno 28] No space left on device\n"


def test_input_nested_too_deeply_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from coach.commands import config

    def parse_deep(args: object) -> int:
        json.loads("[" * 200_000 + "]" * 200_000)
        return 0

    monkeypatch.setattr(config, "_run", parse_deep)
    assert main(["config"]) == ExitCode.FAILURES
    assert capsys.readouterr().err == "coach: error: the input is nested too deeply to read\n"


def test_escape_sequences_in_a_scenario_title_are_shown_not_obeyed(
    coach_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A title that would turn the terminal red and retitle its window.
    user_dir = coach_home / "scenarios"
    user_dir.mkdir()
    text = (builtin_dir("scenarios") / "salary-offer-negotiation.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^id: .*$", "id: red-title", text, count=1)
    text = re.sub(r"(?m)^title: .*$", r'title: "\\e[31mRed \\e]0;PWNED\\a"', text, count=1)
    (user_dir / "red.yaml").write_text(text, encoding="utf-8")
    assert main(["scenarios", "list"]) == 0
    assert main(["scenarios", "show", "red-title"]) == 0
    assert main(["scenarios", "show", "\x1b[2Jnope"]) != 0
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\x07" not in out
    assert out.count("\\x1b[31mRed \\x1b]0;PWNED\\x07") == 2
    assert "\\x1b[2Jnope" in err


def test_the_literal_stream_keeps_lines_and_tabs() -> None:
    inner = io.StringIO()
    LiteralStream(inner).write("a\tb\r\nc\x1b[0m\x9b\n")
    assert inner.getvalue() == "a\tb\nc\\x1b[0m\\x9b\n"


def test_a_closed_stdout_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `coach score >&-` was an AttributeError traceback.
    monkeypatch.setattr(sys, "stdout", None)
    assert main(["scenarios", "list"]) == ExitCode.USAGE
    assert (
        capsys.readouterr().err == "coach: error: stdout is closed: nowhere to write the output\n"
    )


def test_bidirectional_overrides_are_shown_not_obeyed() -> None:
    # "\u202eevil\u202c" displays as "live": a reader must see what the text says.
    text = "ok \u202eevil\u202c \u2066x\u2069 שלום"
    # Letters of any script stay as they are.
    assert visible(text) == "ok \\u202eevil\\u202c \\u2066x\\u2069 שלום"
    data = json.loads(safe_json({"t": text}))
    assert data == {"t": text} and "\u202e" not in safe_json({"t": text})
