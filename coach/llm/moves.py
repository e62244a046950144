"""What the learner's turn does, and how it moves the counterpart: classifier + state tracker.

Both counterparts need the same picture of the conversation: the offline backend picks its
lines from it, and for the LLM backend the session still records trust, tension and stage per
turn so transcripts from both are comparable. Keeping the classifier and the state machine here
(pure, no I/O) means the two can never drift apart.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from coach.scenario import Move, Outcome, Scenario

if TYPE_CHECKING:
    from coach.scoring.analytic import AnalyticScorer, Signals


# ------------------------------------------------------------------ classification


def move_from_signals(signals: Signals) -> Move:
    """One primary move from the analytic scorer's signals.

    Harmful behaviour wins over anything constructive in the same turn ("I hear you, but calm
    down" is a dismissal); among constructive moves a concrete proposal comes first because the
    closing stages wait for one.
    """
    if signals.dismissive:
        return Move.dismiss
    if signals.confrontation or signals.deflects:
        return Move.blame
    if signals.pressure:
        return Move.pressure
    # A concrete offer is not a change of subject even when it shares no words with the
    # last line ("I'll reprint them by Friday" answers "the date is wrong"); an explicit
    # switch ("by the way, ...") still is.
    switches_topic = any(cue.evidence.label == "switches topic" for cue in signals.cues)
    if signals.off_topic and (switches_topic or not signals.proposal):
        return Move.off_topic
    if signals.proposal:
        return Move.proposal
    if signals.reflection == "complex":
        return Move.reflect
    if signals.emotional_reactions or signals.interpretations:
        return Move.acknowledge
    if signals.reflection == "simple":
        return Move.reflect
    if signals.question == "open" or signals.explorations:
        return Move.open_question
    if signals.question == "closed":
        return Move.closed_question
    return Move.neutral


class MoveClassifier:
    """Classifies learner turns with the analytic scorer's detector, memoised.

    The memo matters because the offline backend and the session both classify the same turn.
    """

    def __init__(self, scorer: AnalyticScorer | None = None, cache_size: int = 512) -> None:
        if scorer is None:
            from coach.scoring.analytic import AnalyticScorer

            scorer = AnalyticScorer()
        self._scorer = scorer
        self._cache: OrderedDict[tuple[str, str, frozenset[str]], Move] = OrderedDict()
        self._cache_size = cache_size

    def classify(self, context: str, text: str, topic: frozenset[str] = frozenset()) -> Move:
        """The move `text` makes in reply to `context`; `topic` is `scenario_topic(...)`."""
        key = (context, text, topic)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        move = move_from_signals(self._scorer.analyse(context, text, topic=topic))
        self._cache[key] = move
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return move


def scenario_topic(scenario: Scenario) -> frozenset[str]:
    """What the scenario's conversation is about (its summary and the learner's goal and
    brief), so the feedback a learner came to give is not taken for a change of subject."""
    from coach.scoring.analytic import topic_words

    return topic_words(
        f"{scenario.title}\n{scenario.summary}\n{scenario.learner.goal}\n{scenario.learner.brief}"
    )


_default: MoveClassifier | None = None


def default_classifier() -> MoveClassifier:
    global _default
    if _default is None:
        _default = MoveClassifier()
    return _default


# ------------------------------------------------------------------ state machine

EndingKind = Literal["agreement", "walk_out", "impasse"]


@dataclass(frozen=True, slots=True)
class TrackerState:
    """The counterpart's state between learner turns."""

    trust: int
    tension: int
    mood: str
    stage_index: int
    stage: str
    turns_in_stage: int = 0
    learner_turns: int = 0
    move: Move | None = None
    revealed: tuple[str, ...] = ()
    reached_stages: tuple[str, ...] = ()
    ending: EndingKind | None = None


@dataclass(frozen=True, slots=True)
class Transition:
    """What one learner turn did: the move, the new state, and what the script says next."""

    move: Move
    before: TrackerState
    after: TrackerState
    entered_stage: str | None = None
    on_enter: str | None = None
    newly_revealed: tuple[str, ...] = ()
    ending: EndingKind | None = None
    ending_line: str | None = None
    notes: list[str] = field(default_factory=list)


def _clamp(value: int) -> int:
    return max(0, min(100, value))


class CounterpartTracker:
    """Applies a scenario's offline script (effects, stages, endings) to learner moves."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.script = scenario.offline_script
        self._initial_mood = scenario.counterpart.initial_state.mood

    @cached_property
    def topic(self) -> frozenset[str]:
        """`scenario_topic` of this scenario, for `MoveClassifier.classify`: worked out once,
        not on every turn the offline backend re-folds."""
        return scenario_topic(self.scenario)

    def initial(self) -> TrackerState:
        init = self.scenario.counterpart.initial_state
        first = self.script.stages[0]
        return TrackerState(
            trust=init.trust,
            tension=init.tension,
            mood=init.mood,
            stage_index=0,
            stage=first.id,
            revealed=tuple(first.reveals),
            reached_stages=(first.id,),
        )

    def mood_for(self, trust: int, tension: int) -> str:
        # A word the persona prompt and the UI can use; the start mood holds in the middle.
        if tension >= 80:
            return "hostile"
        if tension >= 65:
            return "tense"
        if trust >= 72 and tension <= 35:
            return "warm"
        if trust >= 58:
            return "open"
        return self._initial_mood

    def apply(self, state: TrackerState, move: Move) -> Transition:
        """The state after a learner turn with `move`, including stage advances and endings."""
        effect = self.script.effect(move)
        trust = _clamp(state.trust + effect.trust)
        tension = _clamp(state.tension + effect.tension)
        turns_in_stage = state.turns_in_stage + 1
        learner_turns = state.learner_turns + 1
        stage_index = state.stage_index
        stage = self.script.stages[stage_index]
        entered: str | None = None
        on_enter: str | None = None
        revealed = list(state.revealed)
        new_reveals: list[str] = []
        reached = list(state.reached_stages)
        ending: EndingKind | None = None

        if tension >= self.script.walk_out_at_tension:
            ending = "walk_out"
        elif stage.advance_when.holds(trust, tension, turns_in_stage, move):
            if stage_index + 1 >= len(self.script.stages):
                ending = "agreement"
            else:
                stage_index += 1
                stage = self.script.stages[stage_index]
                entered, on_enter = stage.id, stage.on_enter
                turns_in_stage = 0
                reached.append(stage.id)
                for ref in stage.reveals:
                    if ref not in revealed:
                        revealed.append(ref)
                        new_reveals.append(ref)
        if ending is None and learner_turns >= self.scenario.max_turns:
            ending = "impasse"

        after = TrackerState(
            trust=trust,
            tension=tension,
            mood=self.mood_for(trust, tension),
            stage_index=stage_index,
            stage=stage.id,
            turns_in_stage=turns_in_stage,
            learner_turns=learner_turns,
            move=move,
            revealed=tuple(revealed),
            reached_stages=tuple(reached),
            ending=ending,
        )
        line = getattr(self.script.endings, ending) if ending else None
        return Transition(
            move=move,
            before=state,
            after=after,
            entered_stage=entered,
            on_enter=on_enter,
            newly_revealed=tuple(new_reveals),
            ending=ending,
            ending_line=line,
        )

    def objectives_met(
        self, state: TrackerState, outcome: Outcome | str | None = None
    ) -> list[str]:
        """Objectives reached: by stage reached, and all of them on an agreement."""
        met: list[str] = []
        for obj in self.scenario.objectives:
            if outcome == Outcome.agreement or (
                obj.reached_at_stage and obj.reached_at_stage in state.reached_stages
            ):
                met.append(obj.id)
        return met

    def outcome_for(self, state: TrackerState, ending: EndingKind | None) -> Outcome:
        """Turn an ending into an outcome; running out of turns after progress is `partial`."""
        if ending == "agreement":
            return Outcome.agreement
        if ending == "walk_out":
            return Outcome.walk_out
        return Outcome.partial if state.stage_index > 0 else Outcome.impasse
