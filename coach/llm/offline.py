"""The offline scripted counterpart: the embedded default with no key and no network.

It plays the scenario's `offline_script`: each learner turn is classified into a move (the
analytic scorer's signals), the move shifts trust and tension, stages advance when their
conditions hold (saying their `on_enter` line and revealing hidden information), and the
conversation ends in agreement, a walk-out or an impasse. The reply is a pure function of the
conversation and the seed — the backend replays the learner turns it is given — so rewinding,
retrying and resuming need no hidden state, a seed replays exactly, and different seeds vary.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass

from coach.llm.base import ChatMessage, ReplyResult, Usage
from coach.llm.moves import (
    CounterpartTracker,
    MoveClassifier,
    TrackerState,
    Transition,
    default_classifier,
)
from coach.scenario import Scenario


@dataclass(frozen=True, slots=True)
class Replayed:
    """The state after the last learner message, and that message's transition."""

    state: TrackerState
    transition: Transition | None
    turn: int  # learner turns replayed


def replay(
    tracker: CounterpartTracker, classifier: MoveClassifier, messages: list[ChatMessage]
) -> Replayed:
    """Fold the learner (user) messages through the script; context = the preceding reply."""
    state = tracker.initial()
    transition: Transition | None = None
    context = tracker.scenario.opening_line
    turn = 0
    for message in messages:
        if message.role == "assistant":
            context = message.content
        elif message.role == "user":
            move = classifier.classify(context, message.content, tracker.topic)
            transition = tracker.apply(state, move)
            state = transition.after
            turn += 1
    return Replayed(state=state, transition=transition, turn=turn)


class OfflineBackend:
    """A `ChatBackend` that answers from the scenario's offline script, deterministically."""

    name = "offline"

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int = 0,
        classifier: MoveClassifier | None = None,
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        self.model = "offline-script"
        self.tracker = CounterpartTracker(scenario)
        self.classifier = classifier or default_classifier()
        self.state: TrackerState = self.tracker.initial()
        self.last_transition: Transition | None = None

    def stream_reply(self, messages: list[ChatMessage]) -> _OfflineStream:
        return _OfflineStream(self, messages)

    async def aclose(self) -> None:
        return None

    def reply_for(self, messages: list[ChatMessage]) -> str:
        """The counterpart's next line for this conversation (also updates `state`)."""
        replayed = replay(self.tracker, self.classifier, messages)
        self.state = replayed.state
        self.last_transition = replayed.transition
        t = replayed.transition
        if t is None:
            return self.scenario.opening_line
        if t.ending_line:
            return t.ending_line
        if t.on_enter:
            return t.on_enter
        stage = self.tracker.script.stages[t.after.stage_index]
        options = list(stage.replies.for_move(t.move))
        recent = [m.content for m in messages if m.role == "assistant"][-3:]
        fresh = [line for line in options if line not in recent]
        # Never the same line twice in a row; prefer lines not heard recently at all.
        if not fresh and len(options) > 1 and recent:
            fresh = [line for line in options if line != recent[-1]]
        if not fresh and recent:
            # A move with a single line, just said: a stage default rather than the same
            # words again (a trainer heard "So where does that leave us?" twice running).
            fresh = [line for line in stage.replies.default if line != recent[-1]]
        pool = fresh or options
        rng = random.Random(f"{self.seed}:{replayed.turn}:{t.after.stage}:{t.move.value}")
        return rng.choice(pool)


class _OfflineStream:
    def __init__(self, backend: OfflineBackend, messages: list[ChatMessage]) -> None:
        self.backend = backend
        self.messages = messages
        self.result = ReplyResult(model=backend.model)

    def __aiter__(self) -> AsyncIterator[str]:
        return self._run()

    async def _run(self) -> AsyncIterator[str]:
        text = self.backend.reply_for(self.messages)
        words = text.split(" ")
        # Word chunks with no delay: the UI streams the same way for both backends.
        for i, word in enumerate(words):
            piece = word if i == len(words) - 1 else word + " "
            self.result.text += piece
            yield piece
        self.result.text = text
        self.result.finish_reason = "stop"
        self.result.usage = Usage(0, 0, estimated=True)
