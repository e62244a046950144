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
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.llm.base import ChatBackend, ChatMessage, Usage
from coach.llm.errors import LLMError
from coach.llm.moves import CounterpartTracker, MoveClassifier, TrackerState, Transition
from coach.scenario import Outcome, Scenario
from coach.scoring.types import Scorer, TurnScore
from coach.transcript import (
    CounterpartTurn,
    Exchange,
    LearnerTurn,
    StateRecord,
    Transcript,
    TranscriptWriter,
)

if TYPE_CHECKING:
    from coach.settings import Settings
    from coach.tokens import TokenCounter


class Phase(StrEnum):
    briefing = "briefing"  # created; nothing written yet
    active = "active"  # the opening line is on disk; the learner may speak
    ended = "ended"  # an end event is on disk (rewind re-opens the session)


class SessionError(Exception):
    """The call does not fit the session's phase (e.g. send() after the end)."""


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


@dataclass(slots=True)
class UsageTotals:
    usage: Usage = field(default_factory=Usage)
    requests: int = 0
    cost_usd: float = 0.0


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


# ------------------------------------------------------------------ session


class Session:
    """One role-play conversation, written to a transcript as it goes.

    Args:
        scenario: the scenario being played.
        backend: the counterpart (OpenAI-compatible or offline scripted).
        scorer: rates each learner turn in the background; None disables scoring.
        transcript: a path for a new transcript, or an open `TranscriptWriter`.
        settings: window/reply budget, prompts folder, model name for pricing.
        seed: recorded in the header (the offline backend is built with the same seed).
        scenario_path: recorded in the header so `resume` can find the file again.
        classifier: how learner moves are detected (defaults to the analytic scorer's).
        on_score: called (in the event loop) with every Scored/ScoreFailed event.
    """

    def __init__(
        self,
        scenario: Scenario,
        backend: ChatBackend,
        scorer: Scorer | None,
        transcript: Path | str | TranscriptWriter,
        *,
        settings: Settings | None = None,
        seed: int | None = None,
        scenario_path: Path | None = None,
        classifier: MoveClassifier | None = None,
        counter: TokenCounter | None = None,
        on_score: Callable[[ScoreEvent], None] | None = None,
        learner: str | None = None,
    ) -> None:
        raise NotImplementedError

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
        on_score: Callable[[ScoreEvent], None] | None = None,
    ) -> Session:
        """Continue an interrupted session from its transcript (appending to the same file).

        The scenario is found from the header (path, then id in the library) unless given.
        State, turn count and the active path are restored; if the last learner turn has no
        complete reply, `needs_retry` is True and `retry()` asks for it.
        """
        raise NotImplementedError

    # ---- properties the UI reads

    @property
    def scenario(self) -> Scenario: ...
    @property
    def session_id(self) -> str: ...
    @property
    def path(self) -> Path: ...
    @property
    def phase(self) -> Phase: ...
    @property
    def state(self) -> StateRecord:
        """The counterpart's current state (trust, tension, mood, stage, last move)."""
        ...

    @property
    def turns(self) -> list[Exchange]:
        """The learner turns on the active path, with reply, score, state and hints."""
        ...

    @property
    def last_counterpart_text(self) -> str: ...
    @property
    def turn_count(self) -> int:
        """Learner turns on the active path (the turn limit counts these)."""
        ...

    @property
    def needs_retry(self) -> bool:
        """The last learner turn has no complete reply yet."""
        ...

    @property
    def outcome(self) -> Outcome | None: ...
    @property
    def objectives_met(self) -> list[str]: ...
    @property
    def usage(self) -> UsageTotals:
        """Tokens used so far and the estimated cost in USD (0 for unknown/local models)."""
        ...

    @property
    def encoding_name(self) -> str:
        """Which token counter is in use, e.g. 'cl100k_base (bundled)'."""
        ...

    # ---- the conversation

    async def start(self) -> CounterpartTurn:
        """Write the header and the opening line (C0); phase briefing → active."""
        raise NotImplementedError

    def send(self, text: str) -> TurnStream:
        """Record the learner turn (fsync'd, before this returns), then stream the reply.

        Also updates the counterpart state and starts scoring in the background. Must be
        called from a running event loop. Raises SessionError when not active, when a
        previous reply is still missing (use `retry`), or for empty text.
        """
        raise NotImplementedError

    def retry(self) -> TurnStream:
        """Ask again for the reply to the last learner turn (the learner turn is not repeated)."""
        raise NotImplementedError

    async def hint(self) -> str:
        """A short coaching hint for the next learner turn; written as a `hint` event."""
        raise NotImplementedError

    def rewind(self, to_turn_id: str) -> LearnerTurn:
        """Go back to before learner turn `to_turn_id`; the next `send` starts a new branch.

        Returns the rewound learner turn (so the UI can pre-fill its text). Re-opens an ended
        session. Both branches stay in the transcript.
        """
        raise NotImplementedError

    async def end(self, reason: str = "the learner ended the session") -> Ended:
        """The learner ends the session."""
        raise NotImplementedError

    def self_assess(self, ratings: Mapping[str, int]) -> None:
        """Record the learner's own 1-5 ratings for empathy, active_listening, clarity."""
        raise NotImplementedError

    # ---- scoring

    @property
    def score_events(self) -> asyncio.Queue[ScoreEvent]:
        """Scored/ScoreFailed events for the UI to drain, in completion order."""
        ...

    async def score_for(self, turn_id: str) -> TurnScore | None:
        """Wait for a learner turn's score (None when scoring failed or is disabled)."""
        raise NotImplementedError

    async def wait_scores(self) -> None:
        """Wait until every pending score is written."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Finish pending scores, close the transcript and the backend."""
        raise NotImplementedError


def _unused(*_: Any) -> None:  # keep imports referenced until the body lands
    _ = (uuid, ChatMessage, LLMError, CounterpartTracker, TrackerState, Transition, Transcript)
