"""The command line when its output cannot be written: a closed pipe or a full disk ends
the command with one line (or quietly), never a traceback."""

from __future__ import annotations

import io
import sys

import pytest

from coach.cli import main
from coach.exitcodes import ExitCode


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
