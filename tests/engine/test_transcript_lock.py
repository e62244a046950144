"""One process writes a session at a time: a second one continuing it is refused with a clear
message, and nothing in the file changes. Two processes appending from their own ends of file
used to overwrite each other's turns, and both exited 0."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from coach.cli import main
from coach.transcript import TranscriptInUse, TranscriptWriter, read_transcript
from tests.other_process import ROOT, holding_process

HEADER = {"session_id": "s1", "scenario_id": "colleague-close-to-burnout"}


def _written(path: Path) -> Path:
    writer = TranscriptWriter.create(path, HEADER)
    writer.write("counterpart", turn_id="C0", text="I'm tired.")
    writer.close()
    return path


def _hold(path: Path) -> str:
    return f"""
        from coach.transcript import TranscriptWriter
        writer, _ = TranscriptWriter.append_to({str(path)!r})
        """


def test_a_session_another_process_writes_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    path = _written(tmp_path / "s1.jsonl")
    before = path.read_bytes()
    with holding_process(_hold(path)), pytest.raises(TranscriptInUse) as caught:
        TranscriptWriter.append_to(path)
    assert "open in another coach" in str(caught.value)
    assert path.read_bytes() == before

    # Once that process has gone (however it ended), the session continues here.
    writer, transcript = TranscriptWriter.append_to(path)
    writer.write("learner", turn_id="L1", parent="C0", text="That sounds hard.")
    writer.close()
    assert [e["type"] for e in read_transcript(path).events][-1] == "learner"
    assert transcript.last_seq == 1


def test_a_new_session_is_held_from_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "s2.jsonl"
    code = f"""
        from coach.transcript import TranscriptWriter
        writer = TranscriptWriter.create({str(path)!r}, {HEADER!r})
        """
    with holding_process(code), pytest.raises(TranscriptInUse):
        TranscriptWriter.append_to(path)


def test_the_same_process_may_open_a_session_it_already_holds(tmp_path: Path) -> None:
    # The app can continue a conversation whose earlier screen still holds the file.
    path = _written(tmp_path / "s3.jsonl")
    first, _ = TranscriptWriter.append_to(path)
    second, _ = TranscriptWriter.append_to(path)
    first.close()
    assert _another_process_gets(path) is False  # `second` still holds it
    second.close()
    assert _another_process_gets(path) is True


def _another_process_gets(path: Path) -> bool:
    code = f"""
        from coach.transcript import TranscriptInUse, TranscriptWriter
        try:
            TranscriptWriter.append_to({str(path)!r})[0].close()
            print("got it")
        except TranscriptInUse:
            print("refused")
        """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.stdout.strip() in {"got it", "refused"}, done.stderr
    return done.stdout.strip() == "got it"


def test_play_resume_of_a_session_open_elsewhere_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "play",
                "colleague-close-to-burnout",
                "--offline",
                "--keep-open",
                "--no-debrief",
                "--transcript",
                str(tmp_path / "kept.jsonl"),
                "--script",
                str(_script(tmp_path, ["How are you holding up?"])),
            ]
        )
        == 0
    )
    path = tmp_path / "kept.jsonl"
    before = path.read_bytes()
    capsys.readouterr()
    with holding_process(_hold(path)):
        code = main(
            [
                "play",
                "--resume",
                str(path),
                "--offline",
                "--script",
                str(_script(tmp_path, ["More."])),
            ]
        )
    err = capsys.readouterr().err
    assert code == 1
    assert "open in another coach" in err and "Traceback" not in err
    assert path.read_bytes() == before
    assert json.loads(before.splitlines()[0])["type"] == "header"


def _script(folder: Path, lines: list[str]) -> Path:
    path = folder / f"script-{len(lines)}-{abs(hash(tuple(lines)))}.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
