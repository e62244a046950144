"""Every input format replay accepts, and the failures it reports instead of crashing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coach.importers import ImportFailure, load_conversations
from coach.replay import load_all
from coach.transcript import parse_transcript

from .conftest import EXCHANGES, write_transcript


def test_coach_transcript_turns_context_and_recorded_scores(tmp_path: Path) -> None:
    path = write_transcript(tmp_path / "s.jsonl", record_scores=True)
    [conv] = load_conversations(path)
    assert conv.format == "coach" and conv.scenario_id == "status-update"
    assert [t.turn_id for t in conv.turns] == ["L1", "L2", "L3"]
    assert [(t.context, t.response) for t in conv.turns] == EXCHANGES
    assert all(t.recorded is not None and t.recorded.scorer == "heuristic" for t in conv.turns)


def test_coach_transcript_follows_the_active_path_after_a_rewind(tmp_path: Path) -> None:
    path = write_transcript(tmp_path / "s.jsonl")
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"type": "rewind", "seq": 90, "ts": "", "to": "L2"}) + "\n")
        fh.write(
            json.dumps(
                {
                    "type": "learner",
                    "seq": 91,
                    "ts": "",
                    "turn_id": "L4",
                    "parent": "C1",
                    "text": "Let me try that again: what would help you most?",
                }
            )
            + "\n"
        )
    [conv] = load_conversations(path)
    assert [t.turn_id for t in conv.turns] == ["L1", "L4"]
    assert conv.turns[1].context == EXCHANGES[1][0]


def test_torn_last_line_is_a_warning(tmp_path: Path) -> None:
    path = write_transcript(tmp_path / "s.jsonl")
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"type": "learner", "turn_id": "L9", "te')
    [conv] = load_conversations(path)
    assert len(conv.turns) == 3
    assert any("incomplete last line" in w for w in conv.warnings)


def test_openai_json_list_and_multipart_content(tmp_path: Path) -> None:
    path = tmp_path / "chat.json"
    path.write_text(
        json.dumps(
            [
                {"role": "system", "content": "You are an upset customer."},
                {"role": "assistant", "content": "My order is late again."},
                {"role": "user", "content": "I'm sorry, that is frustrating."},
                {"role": "assistant", "content": [{"type": "text", "text": "It is."}]},
                {"role": "assistant", "content": "Three times now."},
                {"role": "user", "content": [{"type": "text", "text": "What would help?"}]},
            ]
        ),
        encoding="utf-8",
    )
    [conv] = load_conversations(path)
    assert conv.format == "openai"
    assert [(t.context, t.response) for t in conv.turns] == [
        ("My order is late again.", "I'm sorry, that is frustrating."),
        ("It is.\nThree times now.", "What would help?"),
    ]


def test_openai_messages_object_and_jsonl_forms(tmp_path: Path) -> None:
    msgs = [{"role": "assistant", "content": "Hi."}, {"role": "user", "content": "Hello!"}]
    obj = tmp_path / "obj.json"
    obj.write_text(json.dumps({"messages": msgs}), encoding="utf-8")
    lines = tmp_path / "lines.jsonl"
    lines.write_text("\n".join(json.dumps(m) for m in msgs) + "\n", encoding="utf-8")
    many = tmp_path / "many.jsonl"
    many.write_text(
        "\n".join(json.dumps({"messages": msgs}) for _ in range(3)) + "\n", encoding="utf-8"
    )
    for path in (obj, lines):
        [conv] = load_conversations(path)
        assert [(t.context, t.response) for t in conv.turns] == [("Hi.", "Hello!")]
    convs = load_conversations(many)
    assert len(convs) == 3 and len({c.digest for c in convs}) == 3


def test_plain_text_with_learner_name(tmp_path: Path) -> None:
    path = tmp_path / "talk.txt"
    path.write_text(
        "Dana: I can't take on another project.\n"
        "I'm already at sixty hours.\n"
        "sam: Sixty hours is a lot. What is eating most of it?\n"
        "Dana: Meetings, mostly.\n"
        "Lee: Same for me.\n"
        "Sam: So meetings are the problem for both of you.\n",
        encoding="utf-8",
    )
    [conv] = load_conversations(path, learner="Sam")
    assert conv.format == "text" and conv.learner == "Sam"
    assert [(t.context, t.response) for t in conv.turns] == [
        (
            "I can't take on another project.\nI'm already at sixty hours.",
            "Sixty hours is a lot. What is eating most of it?",
        ),
        ("Meetings, mostly.\nSame for me.", "So meetings are the problem for both of you."),
    ]
    with pytest.raises(ImportFailure, match="--learner"):
        load_conversations(path)
    with pytest.raises(ImportFailure, match="speakers: Dana"):
        load_conversations(path, learner="Alex")


def test_a_bracketed_speaker_is_found_by_its_name(tmp_path: Path) -> None:
    # The docs' own example "[Dana]: ..." needed --learner '[Sam]'.
    path = tmp_path / "chat.txt"
    path.write_text("[Dana]: Meetings, mostly.\n[Sam]: So meetings eat the week.\n")
    [conv] = load_conversations(path, learner="Sam")
    assert [t.response for t in conv.turns] == ["So meetings eat the week."]
    assert len(load_conversations(path, learner="[sam]")[0].turns) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty file"),
        ('{"broken": \n', "invalid JSON"),
        ('{"type": "header", "schema_version": 7}\n', "schema_version"),
        ('[{"role": "wizard", "content": "x"}]', "unknown role"),
        ('[{"role": "assistant", "content": "only me"}]', "no `user` messages"),
        ("just some prose without speakers", "Name: text"),
    ],
)
def test_malformed_files_are_reported(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportFailure, match=message) as info:
        load_conversations(path, learner="Sam")
    assert str(info.value).startswith(f"{path}: ")


@pytest.mark.parametrize(
    ("version", "message"),
    [
        # "unsupported schema_version None" read as if there were such a version.
        (None, "line 1: the header has no schema_version"),
        ('"1"', 'line 1: schema_version must be a number, not "1"'),
        ("true", "line 1: schema_version must be a number, not true"),
        ("2", "line 1: unsupported schema_version 2 (this coach reads up to 1)"),
    ],
)
def test_a_header_schema_version_that_cannot_be_read_says_why(
    tmp_path: Path, version: str | None, message: str
) -> None:
    path = tmp_path / "s.jsonl"
    field = "" if version is None else f', "schema_version": {version}'
    path.write_text(
        f'{{"type": "header", "session_id": "s"{field}}}\n'
        '{"type": "learner", "seq": 1, "ts": "t", "turn_id": "L1", "parent": null, "text": "Hi"}\n',
        encoding="utf-8",
    )
    with pytest.raises(ImportFailure) as info:
        load_conversations(path)
    assert info.value.message == message


def test_a_user_message_without_text_is_skipped_with_a_warning(tmp_path: Path) -> None:
    # It used to be scored as a reply of '' (1/5 on every skill).
    path = tmp_path / "chat.json"
    messages = [
        {"role": "assistant", "content": "I'm exhausted."},
        {"role": "user", "content": None},
        {"role": "assistant", "content": "Hello?"},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]},
        {"role": "user", "content": "Sorry, what would help?"},
    ]
    path.write_text(json.dumps(messages), encoding="utf-8")
    [conv] = load_conversations(path)
    assert [(t.turn_id, t.context, t.response) for t in conv.turns] == [
        ("L1", "I'm exhausted.\nHello?", "Sorry, what would help?")
    ]
    assert conv.warnings == (
        f"{path}: message 2: `user` message with null content; skipped",
        f"{path}: message 4: `user` message with no text part; skipped",
    )
    path.write_text(json.dumps(messages[:2]), encoding="utf-8")
    with pytest.raises(ImportFailure, match="no `user` message has text content"):
        load_conversations(path)


def test_a_malformed_file_among_good_ones(tmp_path: Path) -> None:
    good1 = write_transcript(tmp_path / "a.jsonl")
    bad = tmp_path / "b.json"
    bad.write_text("[1, 2", encoding="utf-8")
    good2 = tmp_path / "c.txt"
    good2.write_text("Boss: Numbers are down.\nSam: What changed this quarter?\n", "utf-8")
    missing = tmp_path / "nope.jsonl"
    convs, failures, _ = load_all([good1, bad, good2, missing], learner="Sam")
    assert [c.path for c in convs] == [good1, good2]
    assert [f.path for f in failures] == [bad, missing]
    assert str(failures[0]).startswith(f"{bad}: ")


def _with_second_learner_turn(tmp_path: Path, kind: str, field: str, value: object) -> Path:
    """The standard transcript with one field of L2 (or of C1, the line L2 answers) changed."""
    path = write_transcript(tmp_path / "t.jsonl")
    target = "L2" if kind == "learner" else "C1"
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event.get("turn_id") == target and event.get("type") == kind:
            event[field] = value
        lines.append(json.dumps(event))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("kind", "field", "value", "message"),
    [
        ("learner", "turn_id", None, "line 5: learner event with turn_id null, not a turn id"),
        ("learner", "text", None, "line 5: learner event L2 has text null, not a string"),
        ("learner", "text", 123, "line 5: learner event L2 has text 123, not a string"),
        (
            "learner",
            "text",
            ["a", "b"],
            'line 5: learner event L2 has text ["a", "b"], not a string',
        ),
        ("counterpart", "text", None, "line 4: counterpart event C1 has text null, not a string"),
    ],
)
def test_a_malformed_turn_fails_the_file_instead_of_being_dropped_or_stringified(
    tmp_path: Path, kind: str, field: str, value: object, message: str
) -> None:
    # A turn_id of null used to drop L2 and, with it, L1 (the path back broke there) without
    # a word; a text of null was scored as the reply "None".
    path = _with_second_learner_turn(tmp_path, kind, field, value)
    with pytest.raises(ImportFailure) as info:
        load_conversations(path)
    assert info.value.message == message
    # The app's reader still opens the session, skipping the line and saying so.
    transcript = parse_transcript(path.read_text(encoding="utf-8"), path)
    line, problem = message.removeprefix("line ").split(": ", 1)
    assert transcript.warnings == [f"{path}:{line}: {problem}; skipped"]


def test_plain_text_whose_first_line_starts_like_json(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text("[Dana]: I'm swamped.\n[Sam]: What is eating most of your time?\n", "utf-8")
    [conv] = load_conversations(path, learner="[Sam]")
    assert conv.format == "text"
    assert [(t.context, t.response) for t in conv.turns] == [
        ("I'm swamped.", "What is eating most of your time?")
    ]
    # Without the learner's name it cannot be told from broken JSON: say how to read it.
    with pytest.raises(ImportFailure, match=r"invalid JSON.*--learner NAME"):
        load_conversations(path)


@pytest.mark.parametrize(
    "content",
    ["[" * 100_000, '{"role": "user", "content": "hi"}\n' + "[" * 100_000 + "\n"],
    ids=["document", "jsonl-line"],
)
def test_json_nested_too_deeply_is_a_failed_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "deep.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportFailure, match="nested too deeply"):
        load_conversations(path)


def test_a_transcript_line_nested_too_deeply_is_an_unreadable_line(tmp_path: Path) -> None:
    path = write_transcript(tmp_path / "t.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "[" * 100_000)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [conv] = load_conversations(path)
    assert len(conv.turns) == 3
    assert conv.warnings == (f"{path}:4: unreadable line skipped (nested too deeply)",)


def test_an_empty_or_blank_user_message_is_skipped_with_a_warning(tmp_path: Path) -> None:
    # `"content": ""` (and whitespace) was scored as a reply: 1/5 on every skill.
    path = tmp_path / "chat.json"
    messages = [
        {"role": "assistant", "content": "I'm exhausted."},
        {"role": "user", "content": ""},
        {"role": "assistant", "content": "Hello?"},
        {"role": "user", "content": " \n\t"},
        {"role": "user", "content": [{"type": "text", "text": "  "}]},
        {"role": "user", "content": "Sorry, what would help?"},
    ]
    path.write_text(json.dumps(messages), encoding="utf-8")
    [conv] = load_conversations(path)
    assert [(t.turn_id, t.context, t.response) for t in conv.turns] == [
        ("L1", "I'm exhausted.\nHello?", "Sorry, what would help?")
    ]
    assert conv.warnings == tuple(
        f"{path}: message {i}: `user` message with empty content; skipped" for i in (2, 4, 5)
    )


def test_an_empty_line_of_the_learner_in_plain_text_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text("Kai: I'm tired.\nSam:\nKai: Hello?\nSam: What would help?\n", "utf-8")
    [conv] = load_conversations(path, learner="Sam")
    assert [(t.turn_id, t.context, t.response) for t in conv.turns] == [
        ("L1", "I'm tired.\nHello?", "What would help?")
    ]
    assert conv.warnings == (f"{path}: an empty line from 'Sam'; skipped",)


def test_an_empty_learner_turn_in_our_transcript_is_not_scored(tmp_path: Path) -> None:
    (first_other, _), *rest = EXCHANGES
    path = write_transcript(tmp_path / "t.jsonl", [(first_other, "   "), *rest])
    [conv] = load_conversations(path)
    assert [t.turn_id for t in conv.turns] == [f"L{i}" for i in range(2, len(EXCHANGES) + 1)]
    assert conv.warnings == (f"{path}: learner turn L1 is empty; skipped",)
