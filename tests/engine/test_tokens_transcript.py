"""Token counting offline, the budget, and the transcript reader's tolerance."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from coach.llm.base import ChatMessage, Usage
from coach.tokens import TokenCounter, estimate_cost, fit_messages
from coach.transcript import TranscriptError, read_transcript


def test_counter_uses_bundled_encoding_offline() -> None:
    counter = TokenCounter("gpt-4o-mini")
    assert counter.name.startswith("cl100k_base (bundled")
    assert counter.count("hello world") == 2


def test_counter_estimate_fallback() -> None:
    counter = TokenCounter("gpt-4o-mini", allow_bundled=False)
    assert counter.name == "estimate (chars/4)" and counter.count("x" * 40) == 10


def test_preload_in_a_thread_loads_the_encoding_once() -> None:
    # The TUI preloads from a thread while the event loop may already count.
    counter = TokenCounter("gpt-4o-mini")
    loads: list[int] = []

    class Encoding:
        def encode(self, text: str, disallowed_special: tuple[()] = ()) -> list[int]:
            return [0] * len(text.split())

    def slow_load() -> Encoding:
        loads.append(1)
        time.sleep(0.05)
        return Encoding()

    counter._loader = slow_load
    assert not counter.loaded
    thread = threading.Thread(target=counter.preload)
    thread.start()
    assert counter.count("three small words") == 3
    thread.join()
    assert loads == [1] and counter.loaded


def test_budget_keeps_system_and_recent_and_fits() -> None:
    counter = TokenCounter("gpt-4o-mini")
    system = [ChatMessage("system", "You are Dana. " * 50)]
    history = [
        ChatMessage("user" if i % 2 else "assistant", f"turn {i} " + "word " * 60)
        for i in range(200)
    ]
    fitted = fit_messages(counter, system, history, 2000, summary="Earlier they argued. " * 200)
    assert fitted.messages[0] == system[0]
    assert fitted.messages[-1] == history[-1]
    assert fitted.tokens <= 2000 and counter.count_messages(fitted.messages) <= 2000
    assert fitted.folded > 0 and fitted.messages[1].content.startswith("Summary of the earlier")


def test_cost_table() -> None:
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=1_000_000)
    assert estimate_cost("gpt-4o-mini-2024-07-18", usage) == pytest.approx(0.75)
    assert estimate_cost("llama3.1:8b", usage) is None  # unknown, not free


def test_reader_rejects_file_without_header(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"type":"learner","seq":1,"turn_id":"L1","text":"hi"}\n', encoding="utf-8")
    with pytest.raises(TranscriptError, match="header"):
        read_transcript(path)
    path.write_text("", encoding="utf-8")
    with pytest.raises(TranscriptError, match="no header"):
        read_transcript(path)


def test_reader_keeps_all_but_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(
        '{"type":"header","schema_version":1,"session_id":"s"}\n'
        '{"type":"counterpart","seq":1,"turn_id":"C0","reply_to":null,"text":"Hi","complete":true}\n'
        '{"type":"learner","seq":2,"turn_id":"L1","parent":"C0","text":"Hello"}\n'
        '{"type":"counterpart","seq":3,"turn_id":"C1","reply_to":"L1","te',
        encoding="utf-8",
    )
    t = read_transcript(path)
    assert len(t.warnings) == 1 and ":4:" in t.warnings[0]
    (turn,) = t.active_path()
    assert turn.learner.text == "Hello" and turn.reply is None and turn.context == "Hi"


def test_a_line_json_cannot_hold_is_skipped_and_a_bad_file_does_not_hide_the_others(
    tmp_path: Path,
) -> None:
    # NaN, a 5,000-digit number and deep nesting each broke `coach sessions list` (and the
    # history screen) with a traceback, for every session, from one bad file.
    from coach.sessions_store import list_sessions

    header = '{"type":"header","schema_version":1,"session_id":"s"}\n'
    opening = '{"type":"counterpart","seq":1,"turn_id":"C0","reply_to":null,"text":"Hi"}\n'
    bad_lines = [
        '{"type":"learner","seq":NaN,"turn_id":"L1","parent":"C0","text":"a"}',
        '{"type":"learner","seq":1' + "0" * 5000 + ',"turn_id":"L1","parent":"C0","text":"b"}',
        "[" * 100_000 + "]" * 100_000,
    ]
    (tmp_path / "bad.jsonl").write_text(header + opening + "\n".join(bad_lines) + "\n{}\n")
    t = read_transcript(tmp_path / "bad.jsonl")
    assert [w.split(": ", 1)[1] for w in t.warnings[:3]] == [
        "unreadable line skipped (NaN is not a JSON number)",
        "unreadable line skipped (Exceeds the limit (4300 digits) for integer string conversion)",
        "unreadable line skipped (nested too deeply)",
    ]
    assert t.active_path() == []
    (tmp_path / "deep.jsonl").write_text("[" * 100_000 + "]" * 100_000 + "\n")
    infos = {i.path.name: i for i in list_sessions(tmp_path)}
    assert infos["bad.jsonl"].problem is None
    assert "nested too deeply" in (infos["deep.jsonl"].problem or "")
