"""`coach sessions show` finds a session by what `coach sessions list` prints."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from coach.cli import main


def _session(folder: Path, stem: str, session_id: str, reply: str) -> Path:
    """A minimal schema-1 transcript whose header id need not be its file name."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        {
            "type": "header",
            "schema_version": 1,
            "session_id": session_id,
            "created_at": "2026-11-24T05:14:46Z",
            "scenario_id": "colleague-close-to-burnout",
            "scenario_title": "Checking in",
        },
        {"type": "counterpart", "seq": 1, "ts": "t", "turn_id": "C0", "text": "I'm tired."},
        {"type": "learner", "seq": 2, "ts": "t", "turn_id": "L1", "parent": "C0", "text": reply},
    ]
    path = folder / f"{stem}.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


@pytest.fixture
def sessions_dir() -> Path:
    return Path(os.environ["COACH_HOME"]) / "sessions"


def test_show_accepts_the_id_that_list_prints(
    sessions_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A file renamed by hand keeps its header id; `list` prints that id, `show` used to
    # know only the file name.
    sid = "20261124-051446-colleague-close-to-burnout-bcfd"
    _session(sessions_dir, "s3 ünï côde", sid, "That sounds exhausting.")
    assert main(["sessions", "list"]) == 0
    assert sid in capsys.readouterr().out
    assert main(["sessions", "show", sid]) == 0
    assert "That sounds exhausting." in capsys.readouterr().out
    assert main(["sessions", "show", "colleague-close"]) == 0  # a unique part of the id
    assert "That sounds exhausting." in capsys.readouterr().out


def test_file_names_still_work(sessions_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _session(sessions_dir, "s1", "shared-id", "First reply.")
    _session(sessions_dir, "s2", "shared-id", "Second reply.")
    for ref in ("s2", "s2.jsonl"):
        assert main(["sessions", "show", ref]) == 0
        assert "Second reply." in capsys.readouterr().out


def test_an_id_shared_by_several_files_names_them(
    sessions_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _session(sessions_dir, "s1", "20261124-051443-upset-customer-124d", "First reply.")
    _session(sessions_dir, "torn", "20261124-051443-upset-customer-124d", "Second reply.")
    _session(sessions_dir, "other", "20261124-051444-salary-a90f", "Third reply.")
    assert main(["sessions", "show", "20261124-051443-upset-customer-124d"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "coach: error: '20261124-051443-upset-customer-124d' is the id of 2 session files: "
        "s1.jsonl, torn.jsonl; give the file name instead\n"
    )
    assert main(["sessions", "show", "20261124"]) == 1
    assert "matches 3 session files: other.jsonl, s1.jsonl, torn.jsonl" in capsys.readouterr().err


def test_list_names_the_file_where_an_id_repeats(
    sessions_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = "20261124-051443-upset-customer-124d"
    _session(sessions_dir, "s1", shared, "First reply.")
    _session(sessions_dir, "copy", shared, "Second reply.")
    _session(sessions_dir, "other", "20261124-051444-salary-a90f", "Third reply.")
    assert main(["sessions", "list"]) == 0
    rows = {line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]}
    # Every row can be told apart, and each name opens its own session.
    assert rows == {"s1.jsonl", "copy.jsonl", "20261124-051444-salary-a90f"}
    for name, reply in (("copy.jsonl", "Second reply."), ("s1.jsonl", "First reply.")):
        assert main(["sessions", "show", name]) == 0
        assert reply in capsys.readouterr().out
