"""Versioned JSONL transcripts: the crash-safe writer and the tolerant reader.

A session transcript is a product, not a log: evaluators replay it, the TUI resumes from it and
the history screen reads it. So every event is one JSON line that is flushed and fsync'd
before `write` returns (a turn shown as done is on disk), a torn last line left by a crash is
reported and skipped rather than fatal, and branches created by rewinding stay in the file; the
"active path" is derived by following `parent` links back from the newest learner turn.

Format (schema_version 1): a header line, then events with `type`, `seq` and `ts`:
learner, counterpart, state, score, hint, rewind, self_assessment, end. Fields may be added;
none may be renamed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from coach import strict_json
from coach.locks import LockBusy, acquire, release
from coach.scoring.types import SKILLS, Skill, TurnScore

SCHEMA_VERSION = 1

# fdatasync is enough for appends (it flushes the size too) and is cheaper where it exists.
_sync = getattr(os, "fdatasync", os.fsync)

EVENT_TYPES = frozenset(
    {
        "learner",
        "counterpart",
        "state",
        "score",
        "hint",
        "rewind",
        "self_assessment",
        "end",
    }
)


def utc_now() -> str:
    """ISO 8601 UTC with milliseconds, e.g. 2025-01-31T10:00:00.123Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TranscriptError(Exception):
    """The file is not a coach transcript (or is too damaged to read)."""


class TranscriptInUse(TranscriptError):
    """Another coach process is writing this session (a window or a `coach play`)."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path}: this session is open in another coach (a window or a `coach play`); "
            "finish or quit it there, then continue it here"
        )


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class LearnerTurn:
    turn_id: str
    text: str
    parent: str | None  # the counterpart turn this answers (None before the opening)
    seq: int = 0
    ts: str = ""


@dataclass(frozen=True, slots=True)
class CounterpartTurn:
    turn_id: str
    reply_to: str | None  # None for the opening line C0
    text: str
    complete: bool = True
    finish_reason: str | None = "stop"
    usage: Mapping[str, Any] = field(default_factory=dict)
    error: Mapping[str, str] | None = None
    attempt: int = 1
    seq: int = 0
    ts: str = ""


@dataclass(frozen=True, slots=True)
class StateRecord:
    """The counterpart's state after a learner turn (both backends track it)."""

    after: str | None
    trust: int
    tension: int
    mood: str
    stage: str
    move: str | None
    revealed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Exchange:
    """One learner turn on the active path with what followed it."""

    learner: LearnerTurn
    context: str  # the counterpart words the learner answered
    reply: CounterpartTurn | None
    score: TurnScore | None
    state: StateRecord | None
    hints: tuple[str, ...] = ()


@dataclass
class Transcript:
    """A parsed transcript. `events` excludes the header; `warnings` lists what was skipped."""

    path: Path | None
    header: dict[str, Any]
    events: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    # (line, problem) for learner/counterpart events skipped as malformed; also in warnings.
    malformed: list[tuple[int, str]] = field(default_factory=list)

    # ---- lookups

    @property
    def session_id(self) -> str:
        return str(self.header.get("session_id", ""))

    @property
    def scenario_id(self) -> str:
        return str(self.header.get("scenario_id", ""))

    @property
    def counterpart_name(self) -> str:
        """Who the learner talked to; "Counterpart" for files written before it was kept."""
        name = self.header.get("counterpart_name")
        return name if isinstance(name, str) and name.strip() else "Counterpart"

    @property
    def skill_weights(self) -> dict[Skill, float] | None:
        """The scenario's skill weights as recorded, so a session's overall is weighed as its
        debrief weighed it; None for files written before they were kept."""
        raw = self.header.get("skill_weights")
        if not isinstance(raw, dict):
            return None
        weights: dict[Skill, float] = {
            skill: float(value)
            for skill in SKILLS
            if isinstance(value := raw.get(skill), int | float) and not isinstance(value, bool)
        }
        return weights or None

    def learner_turns(self) -> dict[str, LearnerTurn]:
        return {e["turn_id"]: _learner(e) for e in self.events if e.get("type") == "learner"}

    def counterpart_turns(self) -> dict[str, CounterpartTurn]:
        """Latest event per counterpart turn id (a retry supersedes an incomplete attempt)."""
        return {
            e["turn_id"]: _counterpart(e) for e in self.events if e.get("type") == "counterpart"
        }

    def scores(self) -> dict[str, TurnScore]:
        out: dict[str, TurnScore] = {}
        for e in self.events:
            if e.get("type") == "score":
                try:
                    out[e["turn_id"]] = TurnScore.from_dict(e["result"])
                except (KeyError, TypeError, ValueError):
                    continue
        return out

    def states(self) -> dict[str | None, StateRecord]:
        return {e.get("after"): _state(e) for e in self.events if e.get("type") == "state"}

    @property
    def opening(self) -> CounterpartTurn | None:
        return self.counterpart_turns().get("C0")

    # ---- the active path and branches

    def active_tip(self) -> str | None:
        """The learner turn id at the end of the active path (None: nothing said yet)."""
        learners = self.learner_turns()
        counterparts = self.counterpart_turns()
        tip: str | None = None
        for e in self.events:
            kind = e.get("type")
            if kind == "learner":
                tip = e["turn_id"]
            elif kind == "rewind":
                target = learners.get(str(e.get("to")))
                if target is None:
                    continue
                parent = counterparts.get(target.parent) if target.parent else None
                tip = parent.reply_to if parent else None
        return tip

    def active_path(self) -> list[Exchange]:
        """The learner turns from the start to the active tip, each with reply, score, state."""
        learners = self.learner_turns()
        counterparts = self.counterpart_turns()
        chain: list[str] = []
        current = self.active_tip()
        while current is not None and current in learners and current not in chain:
            chain.append(current)
            parent_id = learners[current].parent
            parent = counterparts.get(parent_id) if parent_id else None
            current = parent.reply_to if parent else None
        chain.reverse()
        return self.exchanges(chain)

    def exchanges(self, turn_ids: Sequence[str]) -> list[Exchange]:
        """The exchanges of the given learner turns (any branch, e.g. from `branches()`)."""
        learners = self.learner_turns()
        counterparts = self.counterpart_turns()
        replies = {c.reply_to: c for c in counterparts.values() if c.reply_to}
        scores = self.scores()
        states = self.states()
        hints: dict[str, list[str]] = {}
        for e in self.events:
            if e.get("type") == "hint":
                hints.setdefault(str(e.get("after")), []).append(str(e.get("text", "")))
        path: list[Exchange] = []
        for turn_id in turn_ids:
            turn = learners.get(turn_id)
            if turn is None:
                continue
            context = counterparts[turn.parent].text if turn.parent in counterparts else ""
            path.append(
                Exchange(
                    learner=turn,
                    context=context,
                    reply=replies.get(turn.turn_id),
                    score=scores.get(turn.turn_id),
                    state=states.get(turn.turn_id),
                    hints=tuple(hints.get(turn.parent or "", ())),
                )
            )
        return path

    def branches(self) -> list[list[str]]:
        """Every branch as a list of learner turn ids from the root; the active one is last."""
        learners = self.learner_turns()
        counterparts = self.counterpart_turns()
        parents_of_learner: dict[str, str | None] = {}
        for turn in learners.values():
            parent = counterparts.get(turn.parent) if turn.parent else None
            parents_of_learner[turn.turn_id] = parent.reply_to if parent else None
        has_child = {p for p in parents_of_learner.values() if p}
        leaves = [t for t in learners if t not in has_child]
        tip = self.active_tip()
        out: list[list[str]] = []
        for leaf in leaves:
            chain: list[str] = []
            cur: str | None = leaf
            while cur is not None and cur not in chain:
                chain.append(cur)
                cur = parents_of_learner.get(cur)
            out.append(list(reversed(chain)))
        out.sort(key=lambda chain: (tip in chain, learners[chain[-1]].seq))
        return out

    # ---- end state

    def _last_end(self) -> dict[str, Any] | None:
        last: dict[str, Any] | None = None
        for e in self.events:
            kind = e.get("type")
            if kind == "end":
                last = e
            elif kind in {"learner", "rewind"}:
                last = None
        return last

    @property
    def ended(self) -> bool:
        return self._last_end() is not None

    @property
    def outcome(self) -> str | None:
        end = self._last_end()
        return str(end["outcome"]) if end and "outcome" in end else None

    @property
    def end_event(self) -> dict[str, Any] | None:
        return self._last_end()

    @property
    def self_assessment(self) -> dict[str, int] | None:
        found: dict[str, int] | None = None
        for e in self.events:
            if e.get("type") == "self_assessment" and isinstance(e.get("ratings"), dict):
                found = {str(k): int(v) for k, v in e["ratings"].items()}
        return found

    @property
    def last_seq(self) -> int:
        return max((int(e.get("seq", 0)) for e in self.events), default=0)


def is_blank(text: str) -> bool:
    """An empty or whitespace-only learner turn: nothing was said, so nothing is scored.

    `Session.send` refuses one, but a hand-edited transcript or an imported chat may hold
    it, and a reply of '' scored 1/5 on every skill dragged the learner's means down for a
    turn they never took.
    """
    return not text.strip()


def _learner(e: Mapping[str, Any]) -> LearnerTurn:
    return LearnerTurn(
        turn_id=str(e["turn_id"]),
        text=str(e.get("text", "")),
        parent=e.get("parent"),
        seq=int(e.get("seq", 0)),
        ts=str(e.get("ts", "")),
    )


def _counterpart(e: Mapping[str, Any]) -> CounterpartTurn:
    return CounterpartTurn(
        turn_id=str(e["turn_id"]),
        reply_to=e.get("reply_to"),
        text=str(e.get("text", "")),
        complete=bool(e.get("complete", True)),
        finish_reason=e.get("finish_reason"),
        usage=dict(e.get("usage") or {}),
        error=e.get("error"),
        attempt=int(e.get("attempt", 1)),
        seq=int(e.get("seq", 0)),
        ts=str(e.get("ts", "")),
    )


def _state(e: Mapping[str, Any]) -> StateRecord:
    return StateRecord(
        after=e.get("after"),
        trust=int(e.get("trust", 0)),
        tension=int(e.get("tension", 0)),
        mood=str(e.get("mood", "")),
        stage=str(e.get("stage", "")),
        move=e.get("move"),
        revealed=tuple(e.get("revealed") or ()),
    )


# --------------------------------------------------------------------------- reading


def _iter_lines(text: str) -> Iterator[tuple[int, str, bool]]:
    """(line number, line, is_last) for every non-empty line."""
    lines = text.split("\n")
    # A trailing newline leaves an empty last element: the file ended cleanly.
    last_index = max(i for i, line in enumerate(lines) if line.strip()) if text.strip() else -1
    for i, line in enumerate(lines):
        if line.strip():
            yield i + 1, line, i == last_index


def parse_transcript(text: str, path: Path | None = None) -> Transcript:
    """Parse transcript text; see `read_transcript`."""
    name = str(path) if path else "<transcript>"
    header: dict[str, Any] | None = None
    events: list[dict[str, Any]] = []
    warnings: list[str] = []
    malformed: list[tuple[int, str]] = []
    for lineno, line, is_last in _iter_lines(text):
        try:
            obj = strict_json.loads(line)
        except ValueError as exc:  # a JSONDecodeError, or a number too long to convert
            why = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc).split(":")[0]
            # Only a plain syntax error can be a line cut short by a crash.
            if is_last and type(exc) is json.JSONDecodeError:
                warnings.append(
                    f"{name}:{lineno}: incomplete last line skipped "
                    "(the session was interrupted while writing it)"
                )
                continue
            if header is None:
                raise TranscriptError(f"{name}:{lineno}: not a coach transcript ({why})") from None
            warnings.append(f"{name}:{lineno}: unreadable line skipped ({why})")
            continue
        if not isinstance(obj, dict):
            if header is None:
                raise TranscriptError(f"{name}:{lineno}: not a coach transcript (not an object)")
            warnings.append(f"{name}:{lineno}: line is not a JSON object; skipped")
            continue
        if header is None:
            if obj.get("type") != "header":
                raise TranscriptError(
                    f"{name}:{lineno}: not a coach transcript: the first line must be a header "
                    "with schema_version"
                )
            if problem := _version_problem(obj):
                raise TranscriptError(f"{name}:{lineno}: {problem}")
            header = obj
            continue
        kind = obj.get("type")
        if kind not in EVENT_TYPES:
            warnings.append(f"{name}:{lineno}: unknown event type {kind!r} kept but ignored")
        elif kind in {"learner", "counterpart"} and (problem := _turn_problem(kind, obj)):
            warnings.append(f"{name}:{lineno}: {problem}; skipped")
            malformed.append((lineno, problem))
            continue
        elif kind == "score" and "turn_id" not in obj:
            warnings.append(f"{name}:{lineno}: {kind} event without turn_id skipped")
            continue
        events.append(obj)
    if header is None:
        raise TranscriptError(f"{name}: not a coach transcript: no header line")
    return Transcript(
        path=path, header=header, events=events, warnings=warnings, malformed=malformed
    )


def _version_problem(header: Mapping[str, Any]) -> str | None:
    """Why this coach cannot read a transcript with this header's schema_version, or None.

    "unsupported schema_version None" read as if a version None existed; a missing or
    mistyped version ("1") is the file's fault, a newer one is this coach's age.
    """
    if "schema_version" not in header:
        return "the header has no schema_version"
    version = header["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        return f"schema_version must be a number, not {json.dumps(version)[:40]}"
    if version > SCHEMA_VERSION:
        return f"unsupported schema_version {version} (this coach reads up to {SCHEMA_VERSION})"
    return None


def _turn_problem(kind: str, event: Mapping[str, Any]) -> str | None:
    """Why a learner/counterpart event cannot be used, or None. Its id links the turns into
    the conversation and its text is what was said: str() of null or a list would be scored
    as if someone had said "None" or "['a', 'b']"."""
    if "turn_id" not in event:
        return f"{kind} event without turn_id"
    turn_id = event["turn_id"]
    if not isinstance(turn_id, str) or not turn_id:
        return f"{kind} event with turn_id {json.dumps(turn_id)[:40]}, not a turn id"
    text = event.get("text")
    if not isinstance(text, str):
        shown = "no text" if "text" not in event else f"text {json.dumps(text)[:40]}"
        return f"{kind} event {turn_id} has {shown}, not a string"
    return None


def read_transcript(path: str | Path) -> Transcript:
    """Read a transcript file.

    Tolerates a torn last line (a crash mid-write): it is skipped and reported in
    `warnings`. Raises `TranscriptError` for a file without a header, and OSError if the file
    cannot be read.
    """
    p = Path(path)
    raw = p.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    return parse_transcript(text, p)


# --------------------------------------------------------------------------- writing


class TranscriptWriter:
    """Appends events durably: each `write` returns only after flush + fsync.

    Use `create` for a new session and `append_to` to continue one (resume); `append_to` cuts a
    torn last line first so the file stays one valid JSON object per line.
    """

    def __init__(self, path: Path, handle: TextIO, next_seq: int, lock: str = "") -> None:
        self.path = path
        self._handle = handle
        self._seq = next_seq
        # Held while the file is open for writing: one process writes a session at a time.
        self._lock = lock

    @classmethod
    def create(cls, path: str | Path, header: Mapping[str, Any]) -> TranscriptWriter:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        # "x": never clobber an existing session by accident.
        handle = p.open("x", encoding="utf-8", newline="\n")
        try:
            lock = _lock_session(p)
        except BaseException:
            handle.close()
            raise
        writer = cls(p, handle, 1, lock)
        record = {"type": "header", "schema_version": SCHEMA_VERSION, **header}
        writer._write_line(record)
        _fsync_dir(p.parent)
        return writer

    @classmethod
    def append_to(cls, path: str | Path) -> tuple[TranscriptWriter, Transcript]:
        """Open a session to continue it; `TranscriptInUse` if another process has it open.

        The lock comes first: cutting a "torn" last line that another writer is still
        writing, or appending from an end of file that has since moved, would overwrite
        that process's turns."""
        p = Path(path)
        lock = _lock_session(p)
        try:
            transcript = read_transcript(p)
            raw = p.read_bytes()
            cut = len(raw)
            if raw and not raw.endswith(b"\n"):
                # Drop the torn tail so the next event starts on its own line.
                cut = raw.rfind(b"\n") + 1
            handle = p.open("r+", encoding="utf-8", newline="\n")
            handle.truncate(cut)
            handle.seek(cut)
        except BaseException:
            release(lock)
            raise
        return cls(p, handle, transcript.last_seq + 1, lock), transcript

    @property
    def next_seq(self) -> int:
        return self._seq

    def write(self, event_type: str, **fields: Any) -> dict[str, Any]:
        """Write one event (seq and ts added) and return it once it is on disk."""
        record: dict[str, Any] = {"type": event_type, "seq": self._seq, "ts": utc_now(), **fields}
        self._write_line(record)
        self._seq += 1
        return record

    def _write_line(self, record: Mapping[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        self._handle.write(line + "\n")
        self._handle.flush()
        _sync(self._handle.fileno())

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.close()
            release(self._lock)

    @property
    def closed(self) -> bool:
        return self._handle.closed


def _lock_session(path: Path) -> str:
    try:
        return acquire(path)
    except LockBusy:
        raise TranscriptInUse(path) from None


def _fsync_dir(folder: Path) -> None:
    # Make the new file's directory entry durable too (POSIX only).
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
