"""Turn any conversation file an evaluator has into the learner turns `coach replay` scores.

Evaluators bring our own JSONL transcripts (any schema version we have written), OpenAI-style
message lists exported from other tools (the learner is the `user` role), and plain-text
`Name: text` transcripts. Each becomes a `Conversation`: the learner's turns on the active
path, each with the other party's preceding words as context (exactly what the live scorer
saw) and, for our transcripts, the score recorded at the time, so a replay can be compared
with what the learner was shown.

A file that cannot be read raises `ImportFailure` with a message fit for `FILE: message`;
replay reports it and goes on with the other files.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from coach import strict_json
from coach.scoring.types import Skill, TurnScore
from coach.transcript import is_blank

Format = Literal["coach", "openai", "text"]

LEARNER_ROLES = frozenset({"user"})
COUNTERPART_ROLES = frozenset({"assistant"})
# System prompts, tool calls and the like are neither party's words.
IGNORED_ROLES = frozenset({"system", "developer", "tool", "function"})

_SPEAKER_LINE = re.compile(r"^\s*([^\s:][^:\n]{0,39}?)\s*:\s?(.*)$")


class ImportFailure(Exception):
    """A file could not be turned into a conversation; the message says why (and where)."""

    def __init__(self, path: Path | str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = Path(path)
        self.message = message


@dataclass(frozen=True, slots=True)
class Turn:
    """One learner turn: what they answered (`response`) to what (`context`)."""

    turn_id: str
    index: int  # 1-based position among the learner's turns on the active path
    context: str
    response: str
    recorded: TurnScore | None = None


@dataclass(frozen=True, slots=True)
class Conversation:
    """One session's learner turns plus what we know about where it came from."""

    path: Path
    format: Format
    session_id: str
    turns: tuple[Turn, ...]
    digest: str  # sha256 of the source bytes (+ part index), so resumes match inputs exactly
    scenario_id: str | None = None
    scenario_title: str | None = None
    recorded_scorer: str | None = None
    rubric_version: str | None = None
    model: str | None = None
    learner: str | None = None
    outcome: str | None = None
    # The scenario's skill weights when recorded (coach transcripts); else equal weights.
    skill_weights: dict[Skill, float] | None = None
    warnings: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """How reports name this conversation: the file, plus the session when it adds to it."""
        return f"{self.path.name}#{self.session_id}" if self.session_id else self.path.name


# ---------------------------------------------------------------------------- dispatch


STDIN = Path("<stdin>")  # how reports name a conversation read from standard input


def load_conversations(
    path: Path | str, *, learner: str | None = None, data: bytes | None = None
) -> list[Conversation]:
    """Read one file in any supported format; raises ImportFailure when it cannot.

    `data`, when given, is the file's content (standard input, read by the caller) and
    `path` only names it.
    """
    path = Path(path)
    try:
        raw = path.read_bytes() if data is None else data
    except OSError as exc:
        raise ImportFailure(path, exc.strerror or str(exc)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailure(path, f"not UTF-8 text (byte {exc.start})") from None
    digest = hashlib.sha256(raw).hexdigest()
    if not text.strip():
        raise ImportFailure(path, "empty file")

    stripped = text.lstrip()
    if stripped[0] in "[{":
        first = _first_json_line(text)
        if isinstance(first, dict) and first.get("type") == "header":
            return [_from_coach(path, text, digest)]
        try:
            whole = strict_json.loads(text)
        except json.JSONDecodeError:
            whole = None
        if whole is not None:
            return _from_openai_json(path, whole, digest)
        if first is not None:
            return _from_openai_jsonl(path, text, digest)
        # Started like JSON but is neither a document nor JSON lines: a plain-text transcript
        # whose first line happens to start with "[" ("[10:02] Dana: ...") or "{", or broken
        # JSON. Only the learner's name tells them apart; without it, say so.
        try:
            strict_json.loads(text.splitlines()[0] if text.splitlines() else text)
            problem = "unrecognised JSON"
        except json.JSONDecodeError as exc:
            problem = f"line 1: invalid JSON: {exc.msg}"
        if learner is None:
            raise ImportFailure(
                path,
                f"{problem} (if it is a plain-text transcript, name the learner with "
                "--learner NAME)",
            )
        try:
            return [_from_text(path, text, digest, learner)]
        except ImportFailure as exc:
            raise ImportFailure(path, f"{problem}; as plain text: {exc.message}") from None
    return [_from_text(path, text, digest, learner)]


def _first_json_line(text: str) -> Any:
    for line in text.splitlines():
        if line.strip():
            try:
                return strict_json.loads(line)
            except json.JSONDecodeError:
                return None
    return None


# ---------------------------------------------------------------------------- our transcripts


def _from_coach(path: Path, text: str, digest: str) -> Conversation:
    """Our JSONL transcript, read by the engine's own reader (one reader, one truth)."""
    from coach.transcript import TranscriptError, parse_transcript

    try:
        transcript = parse_transcript(text, path)
    except TranscriptError as exc:
        message = str(exc).removeprefix(f"{path}:").lstrip(": ")
        # "FILE:1: problem" reads "FILE: line 1: problem", as the other formats say it.
        message = re.sub(r"^(\d+): ", r"line \1: ", message)
        raise ImportFailure(path, message) from None
    if transcript.malformed:
        # The reader skips these (the app can still show the rest), but a skipped turn also
        # cuts the active path before it, so replaying would silently lose earlier turns too.
        lineno, problem = transcript.malformed[0]
        more = len(transcript.malformed) - 1
        raise ImportFailure(
            path, f"line {lineno}: {problem}" + (f" (and {more} more such lines)" if more else "")
        )
    # The context the live scorer saw is authoritative for reproducing its score.
    scored_context: dict[str, str] = {
        str(e["turn_id"]): e["context"]
        for e in transcript.events
        if e.get("type") == "score" and isinstance(e.get("context"), str)
    }
    turns = tuple(
        Turn(
            turn_id=ex.learner.turn_id,
            index=i,
            context=scored_context.get(ex.learner.turn_id, ex.context),
            response=ex.learner.text,
            recorded=ex.score,
        )
        for i, ex in enumerate(transcript.active_path(), 1)
        if not is_blank(ex.learner.text)
    )
    blank = [
        f"{path}: learner turn {ex.learner.turn_id} is empty; skipped"
        for ex in transcript.active_path()
        if is_blank(ex.learner.text)
    ]
    header = transcript.header

    def opt(key: str) -> str | None:
        value = header.get(key)
        return str(value) if value not in (None, "") else None

    return Conversation(
        path=path,
        format="coach",
        session_id=opt("session_id") or path.stem,
        turns=turns,
        digest=digest,
        scenario_id=opt("scenario_id"),
        scenario_title=opt("scenario_title"),
        recorded_scorer=opt("scorer"),
        rubric_version=opt("rubric_version"),
        model=opt("model"),
        learner=opt("learner"),
        outcome=transcript.outcome,
        skill_weights=transcript.skill_weights,
        warnings=(*transcript.warnings, *blank),
    )


# ---------------------------------------------------------------------------- OpenAI messages


def _content_text(content: Any) -> str | None:
    if isinstance(content, str):
        return content
    if content is None:
        return ""
    if isinstance(content, list):
        # Multi-part content: keep the text parts, skip images and audio.
        parts = [
            str(p.get("text", ""))
            for p in content
            if isinstance(p, dict) and p.get("type") in {"text", "input_text", "output_text"}
        ]
        return "\n".join(parts)
    return None


def _from_messages(
    path: Path, messages: Any, digest: str, where: str, part: int | None
) -> Conversation:
    if not isinstance(messages, list):
        raise ImportFailure(path, f"{where}expected a list of messages")
    turns: list[Turn] = []
    pending: list[str] = []
    warnings: list[str] = []
    for i, msg in enumerate(messages, 1):
        if not isinstance(msg, dict) or "role" not in msg:
            raise ImportFailure(path, f"{where}message {i}: expected an object with a role")
        role = str(msg["role"])
        content = msg.get("content")
        text = _content_text(content)
        if text is None:
            raise ImportFailure(path, f"{where}message {i}: content must be text")
        if role in LEARNER_ROLES and is_blank(text):
            # `"content": null`, `""` (or only an image) is not a reply of '' to be scored
            # 1/5; the assistant's words before it stay the context of the next user message.
            if content is None:
                shown = "null content"
            elif isinstance(content, list) and not text:
                shown = "no text part"
            else:
                shown = "empty content"
            warnings.append(f"{path}: {where}message {i}: `user` message with {shown}; skipped")
            continue
        if role in LEARNER_ROLES:
            n = len(turns) + 1
            turns.append(Turn(f"L{n}", n, "\n".join(pending), text))
            pending = []
        elif role in COUNTERPART_ROLES:
            if text.strip():
                pending.append(text)
        elif role not in IGNORED_ROLES:
            raise ImportFailure(path, f"{where}message {i}: unknown role {role!r}")
    if not turns and warnings:
        raise ImportFailure(path, f"{where}no `user` message has text content")
    if not turns:
        raise ImportFailure(path, f"{where}no `user` messages (the learner is the user role)")
    session = path.stem if part is None else f"{path.stem}-{part}"
    return Conversation(
        path=path,
        format="openai",
        session_id=session,
        turns=tuple(turns),
        digest=digest if part is None else f"{digest}:{part}",
        warnings=tuple(warnings),
    )


def _from_openai_json(path: Path, data: Any, digest: str) -> list[Conversation]:
    if isinstance(data, dict) and "messages" in data:
        return [_from_messages(path, data["messages"], digest, "", None)]
    if (
        isinstance(data, list)
        and data
        and all(isinstance(x, dict) and "messages" in x for x in data)
    ):
        return [
            _from_messages(path, x["messages"], digest, f"conversation {i}: ", i)
            for i, x in enumerate(data, 1)
        ]
    if isinstance(data, list):
        return [_from_messages(path, data, digest, "", None)]
    raise ImportFailure(path, "expected a list of {role, content} messages or {messages: [...]}")


def _from_openai_jsonl(path: Path, text: str, digest: str) -> list[Conversation]:
    rows: list[tuple[int, Any]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append((n, strict_json.loads(line)))
        except json.JSONDecodeError as exc:
            raise ImportFailure(path, f"line {n}: invalid JSON: {exc.msg}") from None
    if all(isinstance(obj, dict) and "messages" in obj for _, obj in rows):
        # Fine-tuning style: one conversation per line.
        return [_from_messages(path, obj["messages"], digest, f"line {n}: ", n) for n, obj in rows]
    for n, obj in rows:
        if not isinstance(obj, dict) or "role" not in obj:
            raise ImportFailure(path, f"line {n}: expected a {{role, content}} message")
    return [_from_messages(path, [obj for _, obj in rows], digest, "", None)]


# ---------------------------------------------------------------------------- plain text


def _speaker_key(name: str) -> str:
    """How speakers are matched: case-insensitive, brackets ignored (`--learner Sam` finds
    `[Sam]: ...` lines, as chat exports write them)."""
    return name.strip().strip("[]<>()").strip().casefold()


def _from_text(path: Path, text: str, digest: str, learner: str | None) -> Conversation:
    """`Name: text` lines; unprefixed lines continue the previous speaker's turn."""
    utterances: list[tuple[str, list[str]]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _SPEAKER_LINE.match(line)
        if m and not m.group(1).strip().startswith(("http", "//")):
            utterances.append((m.group(1).strip(), [m.group(2).strip()]))
        elif utterances:
            utterances[-1][1].append(line.strip())
        else:
            raise ImportFailure(path, f"line {n}: expected `Name: text`")
    speakers = list(dict.fromkeys(name for name, _ in utterances))
    if learner is None:
        raise ImportFailure(
            path,
            "plain-text transcript: say which speaker is the learner with --learner NAME "
            f"(speakers: {', '.join(speakers)})",
        )
    wanted = _speaker_key(learner)
    if wanted not in {_speaker_key(s) for s in speakers}:
        raise ImportFailure(path, f"no speaker named {learner!r} (speakers: {', '.join(speakers)})")
    turns: list[Turn] = []
    pending: list[str] = []
    warnings: list[str] = []
    for name, lines in utterances:
        said = "\n".join(x for x in lines if x)
        if _speaker_key(name) == wanted and is_blank(said):
            # `Sam:` and nothing else: not a reply of '' to be scored 1/5.
            warnings.append(f"{path}: an empty line from {name!r}; skipped")
            continue
        if _speaker_key(name) == wanted:
            n = len(turns) + 1
            turns.append(Turn(f"L{n}", n, "\n".join(pending), said))
            pending = []
        else:
            pending.append(said)
    if not turns:
        raise ImportFailure(path, f"{learner!r} never speaks")
    return Conversation(
        path=path,
        format="text",
        session_id=path.stem,
        turns=tuple(turns),
        digest=digest,
        learner=learner,
        warnings=tuple(warnings),
    )
