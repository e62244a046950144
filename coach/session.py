"""The conversation engine: turns, counterpart state, end conditions, scoring, autosave.

The TUI and `coach play` drive a `Session`; the session knows no screen. Data flows one way:
UI → session → (backend, scorer, transcript writer). Every learner turn is on disk (fsync'd)
before the counterpart is asked to answer, scoring runs as a background task so it never
delays the reply, and every failure (network, cancel) leaves the learner's text and the partial
reply in the transcript so nothing typed is ever lost.

Typical use::

    session = Session(scenario, backend, scorer, path, settings=settings, seed=7)
    opening = await session.start()                 # header + opening line C0
    async for event in session.send("That sounds hard."):
        match event:
            case ReplyDelta(text=t): ...            # render as it streams
            case ReplyDone(turn=t): ...             # on disk, complete
            case ReplyFailed(message=m): ...        # show m; session.retry() later
            case StateChanged(state=s): ...
            case Ended(outcome=o): ...
    score = await session.score_for("L1")           # or drain session.score_events
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.llm.base import ChatBackend, ChatMessage, Usage
from coach.llm.errors import ContextTooLongError, LLMError, error_record, redact
from coach.llm.meter import UsageMeter
from coach.llm.moves import (
    CounterpartTracker,
    MoveClassifier,
    TrackerState,
    Transition,
    default_classifier,
)
from coach.prompts import PromptTemplate, load_prompt
from coach.scenario import Move, Outcome, Scenario
from coach.scoring.types import SKILLS, Scorer, TurnScore
from coach.second_person import to_the_learner
from coach.tokens import (
    RunningSummary,
    TokenCounter,
    extractive_summary,
    fit_messages,
)
from coach.transcript import (
    CounterpartTurn,
    Exchange,
    LearnerTurn,
    StateRecord,
    Transcript,
    TranscriptWriter,
    is_blank,
    utc_now,
)

if TYPE_CHECKING:
    from coach.library import Library
    from coach.scoring.debrief import Debrief
    from coach.settings import Settings


class Phase(StrEnum):
    briefing = "briefing"  # created; nothing written yet
    active = "active"  # the opening line is on disk; the learner may speak
    ended = "ended"  # an end event is on disk (rewind re-opens the session)


class SessionError(Exception):
    """The call does not fit the session's phase (e.g. send() after the end)."""


# The end reason when the learner finishes; the debrief says "you ended it" instead.
LEARNER_ENDED = "the learner ended the session"


# ------------------------------------------------------------------ events


@dataclass(frozen=True, slots=True)
class LearnerRecorded:
    """The learner turn is on disk; the UI may show it as sent."""

    turn: LearnerTurn


@dataclass(frozen=True, slots=True)
class StateChanged:
    """The counterpart's state after a learner turn."""

    state: StateRecord


@dataclass(frozen=True, slots=True)
class ReplyStarted:
    turn_id: str
    attempt: int


@dataclass(frozen=True, slots=True)
class ReplyDelta:
    """A piece of the reply to append (any END marker is already stripped)."""

    turn_id: str
    text: str


@dataclass(frozen=True, slots=True)
class ReplyDone:
    """The complete reply is on disk."""

    turn: CounterpartTurn

    @property
    def cut_at_limit(self) -> bool:
        """The model stopped at the token cap (`max_reply_tokens`), maybe mid-sentence."""
        return self.turn.finish_reason == "length"


# Shown under a reply that hit the cap: it is complete as far as the model goes, but a
# learner reading a sentence that stops should know why.
CUT_AT_LIMIT = "cut off at the reply length limit (max_reply_tokens in config.toml)"


@dataclass(frozen=True, slots=True)
class ReplyFailed:
    """The reply failed; the partial text is on disk as incomplete. `retry()` asks again."""

    turn_id: str
    kind: str
    message: str
    retryable: bool
    partial_text: str


@dataclass(frozen=True, slots=True)
class Scored:
    turn_id: str
    score: TurnScore


@dataclass(frozen=True, slots=True)
class ScoreFailed:
    turn_id: str
    message: str


@dataclass(frozen=True, slots=True)
class Ended:
    outcome: Outcome
    reason: str
    objectives_met: tuple[str, ...]


SessionEvent = (
    LearnerRecorded | StateChanged | ReplyStarted | ReplyDelta | ReplyDone | ReplyFailed | Ended
)
ScoreEvent = Scored | ScoreFailed


class TurnStream:
    """The events of one counterpart reply; iterate it once with `async for`.

    Created by `Session.send` (after the learner turn is on disk) or `Session.retry`.
    Cancelling the consuming task, or leaving the loop early, saves the partial reply as
    incomplete. `await stream.run()` consumes it and returns the events.
    """

    def __init__(self, agen: AsyncIterator[SessionEvent]) -> None:
        self._agen = agen

    def __aiter__(self) -> AsyncIterator[SessionEvent]:
        return self._agen

    async def run(self) -> list[SessionEvent]:
        return [event async for event in self._agen]


# ------------------------------------------------------------------ END marker

_MARKER = re.compile(r"<<\s*END\s*:\s*([A-Za-z_ -]{1,30}?)\s*>>", re.IGNORECASE)
_MARKER_HOLD_MAX = 40  # longer than any marker: release text held that long


def _could_start_marker(tail: str) -> bool:
    """True while `tail` (starting at a '<') may still grow into an END marker."""
    if tail == "<":
        return True
    if not tail.startswith("<<"):
        return False
    rest = tail[2:].lstrip()
    head = rest[:3].upper()
    if not "END".startswith(head):
        return False
    if len(rest) < 3:
        return True
    rest = rest[3:].lstrip()
    if not rest:
        return True
    if not rest.startswith(":"):
        return False
    return re.fullmatch(r"[A-Za-z_ -]*>?", rest[1:]) is not None


def _outcome_from_marker(word: str) -> Outcome | None:
    key = word.strip().lower().replace(" ", "_").replace("-", "_")
    if key in {"agreement", "agreed", "deal"}:
        return Outcome.agreement
    if key in {"walk_out", "walkout", "walked_out", "leave"}:
        return Outcome.walk_out
    if key in {"impasse", "no_deal"}:
        return Outcome.impasse
    return None


class EndMarkerFilter:
    """Strips `<<END:kind>>` from a streamed reply without ever showing part of it.

    Text that might be the start of a marker is held back until it is clearly not one.
    """

    def __init__(self) -> None:
        self.raw = ""
        self._emitted = 0
        self._stop: int | None = None  # where the marker starts, once seen
        self.outcome: Outcome | None = None
        self.saw_marker = False

    def feed(self, delta: str) -> str:
        if self._stop is not None:
            self.raw += delta
            return ""
        self.raw += delta
        match = _MARKER.search(self.raw, max(self._emitted - _MARKER_HOLD_MAX, 0))
        if match:
            self.saw_marker = True
            self.outcome = _outcome_from_marker(match.group(1))
            self._stop = match.start()
            out = self.raw[self._emitted : self._stop]
            self._emitted = self._stop
            return out
        safe = len(self.raw)
        search_from = max(self._emitted, len(self.raw) - _MARKER_HOLD_MAX)
        for pos in range(search_from, len(self.raw)):
            if self.raw[pos] == "<" and _could_start_marker(self.raw[pos:]):
                safe = pos
                break
        out = self.raw[self._emitted : safe]
        self._emitted = safe
        return out

    def finish(self) -> str:
        """Release anything held back at the end of the stream."""
        if self._stop is not None:
            return ""
        out = self.raw[self._emitted :]
        self._emitted = len(self.raw)
        return out

    @property
    def text(self) -> str:
        """The visible reply so far (marker and anything after it removed)."""
        visible = self.raw if self._stop is None else self.raw[: self._stop]
        return _MARKER.sub("", visible).strip()


# ------------------------------------------------------------------ session


def new_session_id(scenario_id: str) -> str:
    """Sortable and readable: 20250131-101500-salary-offer-negotiation-3f9a."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{scenario_id[:40]}-{uuid.uuid4().hex[:4]}"


_CANCELLED = {"kind": "cancelled", "message": "The reply was interrupted."}


class Session:
    """One role-play conversation, written to a transcript as it goes.

    Args:
        scenario: the scenario being played.
        backend: the counterpart (OpenAI-compatible or offline scripted).
        scorer: rates each learner turn in the background; None disables scoring.
        transcript: a path for a new transcript (created by `start`), or None for a new
            file under `settings.sessions_dir`.
        settings: window/reply budget, prompts folder (defaults to `Settings()`).
        seed: recorded in the header (the offline backend is built with the same seed).
        scenario_path: recorded in the header so `resume` can find the file again.
        classifier: how learner moves are detected (defaults to the analytic scorer's).
        counter: token counter (defaults to one for the backend's model, made lazily).
        on_score: called (in the event loop) with every Scored/ScoreFailed event.
        learner: an optional learner name for the header.
    """

    def __init__(
        self,
        scenario: Scenario,
        backend: ChatBackend,
        scorer: Scorer | None,
        transcript: Path | str | None = None,
        *,
        settings: Settings | None = None,
        seed: int | None = None,
        scenario_path: Path | None = None,
        classifier: MoveClassifier | None = None,
        counter: TokenCounter | None = None,
        on_score: Callable[[ScoreEvent], None] | None = None,
        learner: str | None = None,
        session_id: str | None = None,
    ) -> None:
        from coach.settings import Settings as _Settings

        self._scenario = scenario
        self._backend = backend
        self._scorer = scorer
        self._settings = settings or _Settings()
        self._seed = seed
        self._scenario_path = scenario_path
        self._classifier = classifier or default_classifier()
        self._counter = counter
        self._on_score = on_score
        self._learner_name = learner
        self._session_id = session_id or new_session_id(scenario.id)
        self._path = (
            Path(transcript)
            if transcript is not None
            else self._settings.sessions_dir / f"{self._session_id}.jsonl"
        )
        self._writer: TranscriptWriter | None = None
        self._tracker = CounterpartTracker(scenario)
        self._phase = Phase.briefing
        self._learners: dict[str, LearnerTurn] = {}
        self._counterparts: dict[str, CounterpartTurn] = {}
        self._scores: dict[str, TurnScore] = {}
        self._states: dict[str, StateRecord] = {}
        self._transitions: dict[str, Transition] = {}
        self._hints: dict[str, list[str]] = {}
        self._path_ids: list[str] = []  # learner turn ids on the active path
        self._next_num = 1
        self._state: TrackerState = self._tracker.initial()
        self._outcome: Outcome | None = None
        self._end_reason = ""
        self._score_tasks: dict[str, asyncio.Task[TurnScore | None]] = {}
        self._score_failures: dict[str, str] = {}  # turn id -> why its last scoring failed
        self._score_queue: asyncio.Queue[ScoreEvent] | None = None
        self._usage = UsageMeter()
        self._summary = RunningSummary()
        self._window: int = self._settings.context_window
        # A server on this machine serves one request at a time, and llama-cpp-python's drops
        # a streaming reply when another request arrives: the judge and hints then wait for
        # the reply (and the reply for them) instead of killing it.
        self._one_at_a_time = self._settings.one_request_at_a_time
        self._model_slot = asyncio.Lock()
        # Turns whose scoring waits for their reply to end: on their way, not unscored.
        self._after_reply: set[str] = set()
        self._prompts: dict[str, PromptTemplate] = {}
        self.last_request_tokens = 0  # tokens in the last request sent (status bar)

    # ---- construction from a transcript

    @classmethod
    def resume(
        cls,
        path: Path | str,
        backend: ChatBackend,
        scorer: Scorer | None,
        *,
        scenario: Scenario | None = None,
        settings: Settings | None = None,
        classifier: MoveClassifier | None = None,
        counter: TokenCounter | None = None,
        on_score: Callable[[ScoreEvent], None] | None = None,
    ) -> Session:
        """Continue an interrupted session from its transcript (appending to the same file).

        The scenario is found from the header (path, then id in the library) unless given.
        State, turn count and the active path are restored; if the last learner turn has no
        complete reply, `needs_retry` is True and `retry()` asks for it. Learner turns without
        a score are scored again in the background when an event loop is running.
        """
        writer, transcript = TranscriptWriter.append_to(path)
        header = transcript.header
        try:
            if scenario is None:
                scenario = scenario_of_transcript(header, settings)
            seed = header.get("seed")
            raw_path = header.get("scenario_path")
            session = cls(
                scenario,
                backend,
                scorer,
                writer.path,
                settings=settings,
                seed=seed if isinstance(seed, int) else None,
                scenario_path=Path(raw_path) if raw_path else None,
                classifier=classifier,
                counter=counter,
                on_score=on_score,
                learner=header.get("learner"),
                session_id=str(header.get("session_id") or writer.path.stem),
            )
        except BaseException:
            writer.close()
            raise
        session._writer = writer
        session._load(transcript)
        return session

    def _load(self, transcript: Transcript) -> None:
        self.resume_warnings = list(transcript.warnings)
        self._learners = transcript.learner_turns()
        self._counterparts = transcript.counterpart_turns()
        self._scores = transcript.scores()
        self._states = {k: v for k, v in transcript.states().items() if k is not None}
        for e in transcript.events:
            if e.get("type") == "hint":
                self._hints.setdefault(str(e.get("after")), []).append(str(e.get("text", "")))
        self._path_ids = [x.learner.turn_id for x in transcript.active_path()]
        nums = [int(t[1:]) for t in self._learners if t[1:].isdigit()]
        self._next_num = max(nums, default=0) + 1
        for c in self._counterparts.values():
            if c.reply_to is not None:
                self._count(_usage_from(c.usage))
        self._replay_state()
        self._phase = Phase.ended if transcript.ended else Phase.active
        if transcript.ended and transcript.outcome:
            self._outcome = Outcome(transcript.outcome)
            end = transcript.end_event or {}
            self._end_reason = str(end.get("reason", ""))
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        for turn_id in self._path_ids:
            if turn_id not in self._scores:
                self._start_scoring(self._learners[turn_id])

    def _replay_state(self) -> None:
        """Recompute the tracker along the active path (deterministic, like the backend)."""
        state = self._tracker.initial()
        for turn_id in self._path_ids:
            turn = self._learners[turn_id]
            move = self._classifier.classify(self._context_of(turn), turn.text, self._tracker.topic)
            transition = self._tracker.apply(state, move)
            self._transitions[turn_id] = transition
            state = transition.after
        self._state = state

    # ---- properties the UI reads

    @property
    def scenario(self) -> Scenario:
        return self._scenario

    @property
    def backend(self) -> ChatBackend:
        return self._backend

    @property
    def session_id(self) -> str:
        return self._session_id

    @property
    def path(self) -> Path:
        return self._path

    @property
    def phase(self) -> Phase:
        return self._phase

    @property
    def seed(self) -> int | None:
        return self._seed

    @property
    def state(self) -> StateRecord:
        """The counterpart's current state (trust, tension, mood, stage, last move)."""
        return self._record(self._path_ids[-1] if self._path_ids else None, self._state)

    @property
    def tracker_state(self) -> TrackerState:
        return self._state

    @property
    def turns(self) -> list[Exchange]:
        """The learner turns on the active path, with reply, score, state and hints."""
        replies = {c.reply_to: c for c in self._counterparts.values() if c.reply_to}
        out: list[Exchange] = []
        for turn_id in self._path_ids:
            turn = self._learners[turn_id]
            out.append(
                Exchange(
                    learner=turn,
                    context=self._context_of(turn),
                    reply=replies.get(turn_id),
                    score=self._scores.get(turn_id),
                    state=self._states.get(turn_id),
                    hints=tuple(self._hints.get(turn.parent or "", ())),
                )
            )
        return out

    @property
    def opening(self) -> CounterpartTurn | None:
        return self._counterparts.get("C0")

    @property
    def last_counterpart_id(self) -> str | None:
        """The counterpart turn the next learner turn answers."""
        if not self._path_ids:
            return "C0" if "C0" in self._counterparts else None
        return self._reply_id(self._path_ids[-1])

    @property
    def last_counterpart_text(self) -> str:
        cid = self.last_counterpart_id
        turn = self._counterparts.get(cid) if cid else None
        return turn.text if turn else ""

    @property
    def turn_count(self) -> int:
        """Learner turns on the active path (the turn limit counts these)."""
        return len(self._path_ids)

    @property
    def max_turns(self) -> int:
        return self._scenario.max_turns

    @property
    def needs_retry(self) -> bool:
        """The last learner turn has no complete reply yet."""
        if not self._path_ids or self._phase is Phase.ended:
            return False
        reply = self._counterparts.get(self._reply_id(self._path_ids[-1]))
        return reply is None or not reply.complete

    @property
    def outcome(self) -> Outcome | None:
        return self._outcome

    @property
    def end_reason(self) -> str:
        return self._end_reason

    @property
    def objectives_met(self) -> list[str]:
        return self._tracker.objectives_met(self._state, self._outcome)

    @property
    def revealed(self) -> tuple[str, ...]:
        return self._state.revealed

    @property
    def usage(self) -> UsageMeter:
        """Tokens, requests and estimated cost (None: a model's price is unknown) of the model
        calls so far: the counterpart's replies (restored from the transcript on resume), and
        the hints, summaries, judge calls and debrief rewrites made since the session opened."""
        judge = getattr(self._scorer, "meter", None)
        return self._usage.merged(judge) if isinstance(judge, UsageMeter) else self._usage

    @property
    def counter(self) -> TokenCounter:
        if self._counter is None:
            self._counter = TokenCounter(self._backend.model)
        return self._counter

    @property
    def encoding_name(self) -> str:
        """Which token counter is in use, e.g. 'cl100k_base (bundled)'."""
        return self.counter.name

    @property
    def score_events(self) -> asyncio.Queue[ScoreEvent]:
        """Scored/ScoreFailed events for the UI to drain, in completion order."""
        if self._score_queue is None:
            self._score_queue = asyncio.Queue()
        return self._score_queue

    # ---- helpers

    @staticmethod
    def _reply_id(learner_id: str) -> str:
        return "C" + learner_id[1:]

    def _context_of(self, turn: LearnerTurn) -> str:
        parent = self._counterparts.get(turn.parent) if turn.parent else None
        return parent.text if parent else self._scenario.opening_line

    def _record(self, after: str | None, state: TrackerState) -> StateRecord:
        return StateRecord(
            after=after,
            trust=state.trust,
            tension=state.tension,
            mood=state.mood,
            stage=state.stage,
            move=state.move.value if state.move else None,
            revealed=state.revealed,
        )

    @property
    def _first_name(self) -> str:
        """How hints and end reasons name the counterpart ("Kai", not "Kai Lindqvist").

        The loader refuses a blank name, but a scenario built in code is not checked by it:
        an odd name must not end the session with an IndexError.
        """
        words = self._scenario.counterpart.name.split()
        return words[0] if words else "the other person"

    def _require_writer(self) -> TranscriptWriter:
        if self._writer is None:
            raise SessionError("the session has not started; call start() first")
        return self._writer

    def _prompt(self, name: str) -> PromptTemplate:
        if name not in self._prompts:
            self._prompts[name] = load_prompt(name, self._settings.user_prompts_dir)
        return self._prompts[name]

    # ---- the conversation

    async def start(self) -> CounterpartTurn:
        """Write the header and the opening line (C0); phase briefing → active."""
        if self._phase is not Phase.briefing or self._writer is not None:
            raise SessionError("the session has already started")
        prompt_hashes = {}
        for name in ("persona", "hint", "summary"):
            try:
                prompt_hashes[name] = self._prompt(name).sha
            except FileNotFoundError:
                continue
        header = {
            "session_id": self._session_id,
            "created_at": utc_now(),
            "scenario_id": self._scenario.id,
            "scenario_title": self._scenario.title,
            "counterpart_name": self._scenario.counterpart.name,
            "scenario_hash": self._scenario.content_hash(),
            # So history weighs a session's overall as its debrief did.
            "skill_weights": {s: self._scenario.weight_of(s) for s in SKILLS},
            "scenario_path": str(self._scenario_path) if self._scenario_path else None,
            "backend": self._backend.name,
            "model": self._backend.model,
            "scorer": self._scorer.name if self._scorer else None,
            "rubric_version": self._scorer.rubric_version if self._scorer else None,
            "prompt_hashes": prompt_hashes,
            "seed": self._seed,
            "learner": self._learner_name,
        }
        self._writer = TranscriptWriter.create(self._path, header)
        event = self._writer.write(
            "counterpart",
            turn_id="C0",
            reply_to=None,
            text=self._scenario.opening_line,
            complete=True,
            finish_reason="scripted",
            usage={"prompt_tokens": 0, "completion_tokens": 0, "estimated": True},
            error=None,
        )
        opening = CounterpartTurn(
            turn_id="C0",
            reply_to=None,
            text=self._scenario.opening_line,
            finish_reason="scripted",
            seq=event["seq"],
            ts=event["ts"],
        )
        self._counterparts["C0"] = opening
        self._phase = Phase.active
        return opening

    def send(self, text: str) -> TurnStream:
        """Record the learner turn (fsync'd, before this returns), then stream the reply.

        Also updates the counterpart state (written as a `state` event) and starts scoring
        in the background. Call it from a running event loop. Raises SessionError when the
        session is not active, when the previous reply is still missing (use `retry`), or
        for empty text.
        """
        writer = self._require_writer()
        if self._phase is not Phase.active:
            raise SessionError(f"cannot send while the session is {self._phase.value}")
        if self.needs_retry:
            raise SessionError("the last reply is missing; retry() it first")
        text = text.strip()
        if not text:
            raise SessionError("nothing to send")
        parent = self.last_counterpart_id
        turn_id = f"L{self._next_num}"
        event = writer.write("learner", turn_id=turn_id, parent=parent, text=text)
        self._next_num += 1
        turn = LearnerTurn(turn_id, text, parent, seq=event["seq"], ts=event["ts"])
        self._learners[turn_id] = turn
        self._path_ids.append(turn_id)
        self._summary_guard()

        move = self._classifier.classify(self._context_of(turn), text, self._tracker.topic)
        transition = self._tracker.apply(self._state, move)
        self._transitions[turn_id] = transition
        self._state = transition.after
        record = self._record(turn_id, self._state)
        writer.write(
            "state",
            after=turn_id,
            trust=record.trust,
            tension=record.tension,
            mood=record.mood,
            stage=record.stage,
            move=record.move,
            revealed=list(record.revealed),
        )
        self._states[turn_id] = record
        if self._one_at_a_time:
            self._after_reply.add(turn_id)  # scored once the reply has ended
        else:
            self._start_scoring(turn)  # beside the reply
        return TurnStream(self._reply(turn, prelude=(LearnerRecorded(turn), StateChanged(record))))

    def retry(self) -> TurnStream:
        """Ask again for the reply to the last learner turn (the learner turn is not repeated)."""
        self._require_writer()
        if not self.needs_retry:
            raise SessionError("there is no missing reply to retry")
        turn = self._learners[self._path_ids[-1]]
        return TurnStream(self._reply(turn, prelude=()))

    async def _reply(
        self, turn: LearnerTurn, prelude: tuple[SessionEvent, ...]
    ) -> AsyncIterator[SessionEvent]:
        for event in prelude:
            yield event
        writer = self._require_writer()
        # Held, not nested in another generator: one that is left suspended would keep the
        # slot until the garbage collector closed it.
        slot = self._model_slot if self._one_at_a_time else None
        if slot is not None:
            await slot.acquire()
        try:
            reply_id = self._reply_id(turn.turn_id)
            previous = self._counterparts.get(reply_id)
            attempt = previous.attempt + 1 if previous else 1
            yield ReplyStarted(reply_id, attempt)
            marker = EndMarkerFilter()
            stream: Any = None
            try:
                messages = await self._request_messages()
                stream = self._backend.stream_reply(messages)
                async for delta in stream:
                    visible = marker.feed(delta)
                    if visible:
                        yield ReplyDelta(reply_id, visible)
                tail = marker.finish()
                if tail:
                    yield ReplyDelta(reply_id, tail)
            except LLMError as exc:
                if isinstance(exc, ContextTooLongError):
                    # Ask for less next time: retry() then sends a shorter history.
                    self._window = max(self._window // 2, self._settings.max_reply_tokens + 256)
                failed = self._write_failed(turn, reply_id, exc, marker, attempt)
                yield ReplyFailed(reply_id, exc.kind, exc.message, exc.retryable, failed.text)
                return
            except (asyncio.CancelledError, GeneratorExit):
                # Esc in the UI cancels the consuming task: keep what arrived, as incomplete.
                usage = self._partial_usage(marker.text)
                self._count(usage)
                self._write_reply(
                    writer,
                    reply_id,
                    turn,
                    marker.text,
                    False,
                    None,
                    usage,
                    dict(_CANCELLED),
                    attempt,
                )
                raise
            except Exception as exc:  # a backend bug must not lose the learner's turn either
                message = redact(f"{type(exc).__name__}: {exc}", self._settings.api_key_value())
                error = LLMError(message[:300], partial_text=marker.text)
                error.kind = "internal"
                failed = self._write_failed(turn, reply_id, error, marker, attempt)
                yield ReplyFailed(reply_id, "internal", error.message, True, failed.text)
                return
            result = stream.result
            usage = result.usage
            self._count(usage)
            final = self._write_reply(
                writer,
                reply_id,
                turn,
                marker.text,
                True,
                result.finish_reason,
                usage,
                None,
                attempt,
            )
            yield ReplyDone(final)
            ended = self._check_end(turn, marker)
            if ended is not None:
                yield ended
        finally:
            if slot is not None:
                slot.release()
                self._score_after_reply(turn)

    def _score_after_reply(self, turn: LearnerTurn) -> None:
        """Start the turn's scoring held back while its reply streamed (one request at a
        time), unless it is scored or being scored already (a retried reply)."""
        self._after_reply.discard(turn.turn_id)
        if turn.turn_id in self._scores or self._scoring(turn.turn_id):
            return
        with contextlib.suppress(RuntimeError):  # a reply closed with no loop running
            self._start_scoring(turn)

    def _model_turn(self) -> contextlib.AbstractAsyncContextManager[object]:
        """Held around each call to the model when they go one at a time."""
        return self._model_slot if self._one_at_a_time else contextlib.nullcontext()

    def _write_failed(
        self,
        turn: LearnerTurn,
        reply_id: str,
        exc: LLMError,
        marker: EndMarkerFilter,
        attempt: int,
    ) -> CounterpartTurn:
        partial = _strip_marker(exc.partial_text) or marker.text
        usage = self._partial_usage(partial)
        self._count(usage)
        return self._write_reply(
            self._require_writer(),
            reply_id,
            turn,
            partial,
            False,
            None,
            usage,
            error_record(exc),
            attempt,
        )

    def _partial_usage(self, text: str) -> Usage:
        """What a reply stopped part-way (Esc, a cut stream) probably cost: the endpoint read
        the request and wrote `text`, but sent no usage for it. Counted as an estimate ("~"),
        not as nothing; a request that failed before any text cost nothing."""
        if not text or self._backend.name == "offline":
            return Usage()
        return Usage(self.last_request_tokens, self.counter.count(text), estimated=True)

    def _write_reply(
        self,
        writer: TranscriptWriter,
        reply_id: str,
        turn: LearnerTurn,
        text: str,
        complete: bool,
        finish_reason: str | None,
        usage: Usage,
        error: dict[str, str] | None,
        attempt: int,
    ) -> CounterpartTurn:
        usage_dict = {
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "estimated": usage.estimated,
        }
        event = writer.write(
            "counterpart",
            turn_id=reply_id,
            reply_to=turn.turn_id,
            text=text,
            complete=complete,
            finish_reason=finish_reason,
            usage=usage_dict,
            error=error,
            attempt=attempt,
        )
        record = CounterpartTurn(
            turn_id=reply_id,
            reply_to=turn.turn_id,
            text=text,
            complete=complete,
            finish_reason=finish_reason,
            usage=usage_dict,
            error=error,
            attempt=attempt,
            seq=event["seq"],
            ts=event["ts"],
        )
        self._counterparts[reply_id] = record
        return record

    def _check_end(self, turn: LearnerTurn, marker: EndMarkerFilter) -> Ended | None:
        transition = self._transitions.get(turn.turn_id)
        state = self._state
        outcome: Outcome | None = None
        reason = ""
        name = self._first_name
        if self._backend.name == "offline" and transition and transition.ending:
            outcome = self._tracker.outcome_for(state, transition.ending)
            reason = {
                "agreement": f"{name} agreed",
                "walk_out": f"tension reached {state.tension}; {name} walked out",
                "impasse": f"the turn limit ({self.max_turns}) was reached",
            }[transition.ending]
        elif marker.outcome is not None:
            outcome = marker.outcome
            reason = f"{name} ended the conversation ({outcome.value.replace('_', ' ')})"
        elif len(self._path_ids) >= self.max_turns:
            outcome = self._tracker.outcome_for(state, "impasse")
            reason = f"the turn limit ({self.max_turns}) was reached"
        elif self._scenario.objectives and len(self._tracker.objectives_met(state)) == len(
            self._scenario.objectives
        ):
            outcome = Outcome.agreement
            reason = "every objective was met"
        if outcome is None:
            return None
        return self._write_end(outcome, reason)

    def _write_end(self, outcome: Outcome, reason: str) -> Ended:
        writer = self._require_writer()
        self._outcome = outcome
        self._end_reason = reason
        met = tuple(self._tracker.objectives_met(self._state, outcome))
        writer.write("end", outcome=outcome.value, reason=reason, objectives_met=list(met))
        self._phase = Phase.ended
        return Ended(outcome, reason, met)

    # ---- request building and the token budget

    def _history(self) -> list[ChatMessage]:
        opening = self._counterparts.get("C0")
        history = [
            ChatMessage("assistant", opening.text if opening else self._scenario.opening_line)
        ]
        for turn_id in self._path_ids:
            history.append(ChatMessage("user", self._learners[turn_id].text))
            reply = self._counterparts.get(self._reply_id(turn_id))
            if reply is not None and reply.complete and reply.text:
                history.append(ChatMessage("assistant", reply.text))
        return history

    def persona_prompt(self) -> str:
        """The system prompt for the LLM counterpart in its current state."""
        s = self._scenario
        c = s.counterpart
        hidden = "\n".join(
            f"- {h.fact} (reveal when: {h.reveal_when})" for h in c.hidden_information
        )
        revealed_facts = [h.id for h in c.hidden_information if h.id in self._state.revealed]
        return self._prompt("persona").render(
            name=c.name,
            role=c.role,
            personality=c.personality,
            speaking_style=c.speaking_style,
            background=c.background,
            interests=_bullets(c.interests),
            learner_role=s.learner.role,
            summary=s.summary,
            hidden=hidden or "(nothing)",
            moved_by=_bullets(c.moved_by),
            triggered_by=_bullets(c.triggered_by),
            trust=self._state.trust,
            tension=self._state.tension,
            mood=self._state.mood,
            revealed=", ".join(revealed_facts) or "nothing yet",
        )

    async def _request_messages(self) -> list[ChatMessage]:
        history = self._history()
        if self._backend.name == "offline":
            # The scripted counterpart replays the whole conversation; it has no window.
            return history
        system = [ChatMessage("system", self.persona_prompt())]
        budget = self._window - self._settings.max_reply_tokens
        fitted = fit_messages(self.counter, system, history, budget, summary=self._summary.text)
        if fitted.folded > self._summary.covers:
            await self._extend_summary(history[self._summary.covers : fitted.folded])
            self._summary.covers = fitted.folded
            fitted = fit_messages(self.counter, system, history, budget, summary=self._summary.text)
        self.last_request_tokens = fitted.tokens
        return fitted.messages

    def _summary_guard(self) -> None:
        # A rewind changes the history under the summary; start it again.
        if self._summary.covers > 2 * len(self._path_ids) + 1:
            self._summary = RunningSummary()

    async def _extend_summary(self, messages: list[ChatMessage]) -> None:
        c = self._scenario.counterpart
        names = {"user": "Learner", "assistant": c.name, "system": "Note"}
        extractive = extractive_summary(messages, names)
        text = extractive
        if self._backend.name != "offline":
            conversation = "\n".join(f"{names[m.role]}: {m.content}" for m in messages)
            prompt = self._prompt("summary").render(
                learner_role=self._scenario.learner.role,
                name=c.name,
                role=c.role,
                previous=self._summary.text,
                conversation=conversation,
            )
            try:
                text = await self._complete([ChatMessage("user", prompt)])
                self._summary.text = text.strip() or f"{self._summary.text} {extractive}"
                return
            except LLMError:
                text = extractive  # the summary is best effort; the reply matters more
        self._summary.text = f"{self._summary.text} {text}".strip()

    # ---- hints, rewind, end, self-assessment

    async def hint(self) -> str:
        """A short coaching hint for the next learner turn; written as a `hint` event.

        With an LLM backend it asks the model (prompts/hint.md) and falls back to the offline
        hint on any error; offline it is built from the stage, the state and the rubric.
        """
        writer = self._require_writer()
        text = ""
        if self._backend.name != "offline":
            try:
                async with self._model_turn():
                    text = await self._complete([ChatMessage("user", self._hint_prompt())])
                text = text.strip()
            except LLMError:
                text = ""
        if not text:
            text = self.offline_hint()
        after = self.last_counterpart_id or "C0"
        writer.write("hint", after=after, text=text)
        self._hints.setdefault(after, []).append(text)
        return text

    async def _complete(self, messages: list[ChatMessage]) -> str:
        """A whole reply as one string (hints, summaries), counted in `usage`."""
        stream = self._backend.stream_reply(messages)
        parts = [delta async for delta in stream]
        self._count(stream.result.usage)
        return "".join(parts)

    def _count(self, usage: Usage) -> None:
        if self._backend.name != "offline":  # the scripted counterpart calls no model
            self._usage.add(self._backend.model, usage)

    def _hint_prompt(self) -> str:
        s = self._scenario
        recent = self._history()[-6:]
        names = {"user": "Learner", "assistant": s.counterpart.name, "system": "Note"}
        return self._prompt("hint").render(
            learner_role=s.learner.role,
            goal=s.learner.goal,
            name=s.counterpart.name,
            role=s.counterpart.role,
            last_reply=self.last_counterpart_text,
            trust=self._state.trust,
            tension=self._state.tension,
            mood=self._state.mood,
            stage=self._state.stage,
            recent="\n".join(f"{names[m.role]}: {m.content}" for m in recent),
        )

    def offline_hint(self) -> str:
        """A hint from the script: what the current stage waits for, given the state."""
        name = self._first_name
        state = self._state
        stage = self._scenario.offline_script.stages[state.stage_index]
        wanted = set(stage.advance_when.moves_any)
        last = state.move
        if last in {Move.dismiss, Move.blame, Move.pressure}:
            return (
                f"Your last reply raised the tension. Before making your point, show {name} you "
                'heard them, e.g. "It sounds like this has been really frustrating for you."'
            )
        if state.tension >= 65:
            return (
                f"{name} is tense ({state.tension}/100). Name the feeling you hear and say why "
                'it makes sense, e.g. "I can see why that would worry you."'
            )
        if last is Move.off_topic:
            return f"Come back to what {name} just said; changing the subject costs trust."
        if Move.proposal in wanted and (
            stage.advance_when.trust_at_least is None
            or state.trust >= stage.advance_when.trust_at_least
        ):
            return (
                f"{name} seems ready to talk solutions. Make one concrete proposal with a clear "
                'next step, e.g. "What if we ... and check in on Friday?"'
            )
        latest = self._transitions.get(self._path_ids[-1]) if self._path_ids else None
        if latest is not None and latest.newly_revealed:
            # They just opened up. Pointing at the next secret would often name the very
            # question the learner just asked; after a disclosure, reflecting comes first.
            return (
                f"{name} just told you something that matters to them. Reflect it back in "
                "your own words, feeling included, before you ask anything new."
            )
        unrevealed = [
            h for h in self._scenario.counterpart.hidden_information if h.id not in state.revealed
        ]
        if unrevealed and (Move.open_question in wanted or not wanted):
            return (
                f"There is more to {name}'s side. Ask an open question (what/how) about their "
                f"situation; {name} may open up if {to_the_learner(unrevealed[0].reveal_when)}."
            )
        return (
            f"Reflect back what {name} just said in your own words, including the feeling "
            "behind it, then ask one open question."
        )

    def rewind(self, to_turn_id: str) -> LearnerTurn:
        """Go back to before learner turn `to_turn_id`; the next `send` starts a new branch.

        Returns the rewound learner turn (so the UI can pre-fill its text). Re-opens an ended
        session. Both branches stay in the transcript.
        """
        writer = self._require_writer()
        if to_turn_id not in self._path_ids:
            raise SessionError(f"{to_turn_id} is not a learner turn on the active path")
        index = self._path_ids.index(to_turn_id)
        writer.write("rewind", to=to_turn_id)
        self._path_ids = self._path_ids[:index]
        self._summary = RunningSummary()
        self._window = self._settings.context_window
        self._replay_state()
        self._phase = Phase.active
        self._outcome = None
        self._end_reason = ""
        return self._learners[to_turn_id]

    async def end(self, reason: str = LEARNER_ENDED) -> Ended:
        """The learner ends the session (scores still pending are awaited first)."""
        self._require_writer()
        if self._phase is Phase.ended and self._outcome is not None:
            met = tuple(self._tracker.objectives_met(self._state, self._outcome))
            return Ended(self._outcome, self._end_reason, met)
        await self.wait_scores()
        return self._write_end(Outcome.learner_ended, reason)

    def self_assess(self, ratings: Mapping[str, int]) -> None:
        """Record the learner's own 1-5 ratings for empathy, active_listening, clarity."""
        writer = self._require_writer()
        clean: dict[str, int] = {}
        for skill in SKILLS:
            if skill not in ratings:
                raise SessionError(f"missing self-assessment for {skill}")
            value = int(ratings[skill])
            if not 1 <= value <= 5:
                raise SessionError(f"{skill} must be rated 1-5, got {value}")
            clean[skill] = value
        writer.write("self_assessment", ratings=clean)

    # ---- scoring

    def _start_scoring(self, turn: LearnerTurn) -> None:
        if self._scorer is None or is_blank(turn.text):
            return
        context = self._context_of(turn)
        task = asyncio.get_running_loop().create_task(
            self._score(turn.turn_id, context, turn.text), name=f"score-{turn.turn_id}"
        )
        self._score_tasks[turn.turn_id] = task

    async def _score(self, turn_id: str, context: str, text: str) -> TurnScore | None:
        assert self._scorer is not None
        event: ScoreEvent
        result: TurnScore | None = None
        try:
            calls_model = getattr(self._scorer, "client", None) is not None  # the judge
            async with self._model_turn() if calls_model else contextlib.nullcontext():
                result = await self._scorer.score(context, text)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a scorer failure must never break the conversation
            message = redact(str(exc) or type(exc).__name__, self._settings.api_key_value())
            event = ScoreFailed(turn_id, message[:300])
            self._score_failures[turn_id] = event.message
        else:
            # The session holds what the transcript keeps (two places): the live view, the
            # debrief, History and the replay viewer then show one number for the turn.
            recorded = result.to_dict()
            result = TurnScore.from_dict(recorded)
            writer = self._writer
            if writer is not None and not writer.closed:
                writer.write("score", turn_id=turn_id, context=context, result=recorded)
            self._scores[turn_id] = result
            self._score_failures.pop(turn_id, None)
            event = Scored(turn_id, result)
        self.score_events.put_nowait(event)
        if self._on_score is not None:
            self._on_score(event)
        return result

    def _scoring(self, turn_id: str) -> bool:
        task = self._score_tasks.get(turn_id)
        return task is not None and not task.done()

    @property
    def unscored(self) -> list[str]:
        """Learner turns on the active path with no score and none on its way: their scoring
        failed (a judge that timed out), or the app closed before it finished. `rescore`
        asks again. An empty turn is never scored, so it is never listed."""
        if self._scorer is None:
            return []
        return [
            t
            for t in self._path_ids
            if t not in self._scores
            and not self._scoring(t)
            and t not in self._after_reply
            and not is_blank(self._learners[t].text)
        ]

    def score_failure(self, turn_id: str) -> str | None:
        """Why `turn_id` has no score ("" when scoring never finished), or None when it has
        one or it is on its way."""
        if turn_id not in self.unscored:
            return None
        return self._score_failures.get(turn_id, "")

    def rescore(self, turn_id: str) -> bool:
        """Score an unscored turn again, in the background (its event comes as any other's).
        False when it has a score or one is on its way. Call it from a running event loop."""
        if turn_id not in self.unscored:
            return False
        self._start_scoring(self._learners[turn_id])
        return True

    async def score_for(self, turn_id: str) -> TurnScore | None:
        """Wait for a learner turn's score (None when scoring failed or is disabled)."""
        if turn_id in self._scores:
            return self._scores[turn_id]
        task = self._score_tasks.get(turn_id)
        if task is None:
            return None
        return await task

    async def wait_scores(self) -> None:
        """Wait until every pending score is written."""
        pending = [t for t in self._score_tasks.values() if not t.done()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    @property
    def debrief_asks_model(self) -> bool:
        """Whether `debrief` asks the model for the better version (a call the UI waits on)."""
        return self._backend.name != "offline" and self._settings.has_endpoint

    async def debrief(self) -> Debrief:
        """The debrief of the turns so far, once their pending scores are in.

        The weakest turn is rewritten by the model when the session talks to one (the
        offline rewrite if that call fails), and the candidates are re-scored by this
        session's scorer, so the "better version" shows a score on the learner's own scale.
        """
        from coach.scoring.debrief import LLMRewriter, build_debrief
        from coach.scoring.types import ScoringError

        await self.wait_scores()
        items = [
            (ex.context, ex.learner.text, ex.score) for ex in self.turns if ex.score is not None
        ]
        weights = {s: self._scenario.weight_of(s) for s in SKILLS}
        rewriter = None
        if self.debrief_asks_model:
            try:
                rewriter = LLMRewriter(self._settings, meter=self._usage)
            except (OSError, ValueError, ScoringError, LLMError):
                rewriter = None  # e.g. an unreadable prompts/debrief.md: the offline rewrite
        try:
            debrief = await build_debrief(items, weights, rewriter=rewriter, scorer=self._scorer)
            failed = [ex for ex in self.turns if ex.score is None and not is_blank(ex.learner.text)]
            return dataclasses.replace(debrief, unscored=len(failed))
        finally:
            if rewriter is not None:
                await rewriter.aclose()

    async def aclose(self) -> None:
        """Finish pending scores, close the transcript and the backend."""
        try:
            await self.wait_scores()
        finally:
            if self._writer is not None:
                self._writer.close()
            await self._backend.aclose()


# ------------------------------------------------------------------ helpers


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items) or "- (nothing specific)"


def _strip_marker(text: str) -> str:
    match = _MARKER.search(text)
    visible = text[: match.start()] if match else text
    return visible.strip()


def _usage_from(raw: Mapping[str, Any]) -> Usage:
    return Usage(
        prompt_tokens=int(raw.get("prompt_tokens", 0) or 0),
        completion_tokens=int(raw.get("completion_tokens", 0) or 0),
        estimated=bool(raw.get("estimated", False)),
    )


def scenario_of_transcript(
    header: Mapping[str, Any], settings: Settings | None, library: Library | None = None
) -> Scenario:
    """The scenario a transcript continues with: the file it was played from when that
    still exists (a draft outside the library, or one whose id a built-in shares), else
    its id in `library` (read from disk when not given, as when it has no such id, for the
    error). Raises `ScenarioNotFound`/`ScenarioError` when neither is there."""
    from coach.library import resolve_scenario

    raw_path = header.get("scenario_path")
    if raw_path and Path(raw_path).is_file():
        return resolve_scenario(str(raw_path)).scenario
    scenario_id = str(header.get("scenario_id", ""))
    found = library.get(scenario_id) if library is not None else None
    if found is not None:
        return found
    user_dir = settings.user_scenarios_dir if settings else None
    return resolve_scenario(scenario_id, user_dir).scenario
