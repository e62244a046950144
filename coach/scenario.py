"""The scenario file format: one pydantic model that trainers write as YAML.

Everything that reads a scenario (the engine, both counterparts, the TUI, replay) reads this
model, so the file format is defined once, with `extra="forbid"` so that a misspelt key is an
error instead of a silently ignored setting. Loading and error reporting live in
`coach.scenario_loader`.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coach.scoring.types import Skill

SCENARIO_FORMAT_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Category(StrEnum):
    negotiation = "negotiation"
    feedback = "feedback"
    difficult_conversation = "difficult-conversation"
    active_listening = "active-listening"


class Difficulty(StrEnum):
    beginner = "beginner"
    intermediate = "intermediate"
    advanced = "advanced"


class Move(StrEnum):
    """What a learner's turn does, as the offline counterpart perceives it.

    The engine detects one primary move per learner turn; the offline script says how the
    counterpart reacts to each. Listed roughly from most to least constructive.
    """

    acknowledge = "acknowledge"  # names or validates the other's feelings
    reflect = "reflect"  # paraphrases what the other said, adds meaning
    open_question = "open_question"  # invites the other to say more
    proposal = "proposal"  # a concrete offer, option or next step
    closed_question = "closed_question"  # yes/no or narrow question
    neutral = "neutral"  # none of the others
    off_topic = "off_topic"  # changes the subject
    pressure = "pressure"  # ultimatums, rushing, "take it or leave it"
    dismiss = "dismiss"  # minimises feelings: "calm down", "not a big deal"
    blame = "blame"  # accuses, judges, argues


class Outcome(StrEnum):
    agreement = "agreement"  # the scenario's goal was reached together
    partial = "partial"  # progress, but the final stage was not reached
    impasse = "impasse"  # the turn limit ran out with no progress
    walk_out = "walk_out"  # the counterpart ended it in anger
    learner_ended = "learner_ended"  # the learner stopped


Percent = Annotated[int, Field(ge=0, le=100)]
# Text a person reads or the engine uses: after stripping, it must not be empty (a blank
# counterpart name validated, then crashed every session that named them).
# In the JSON Schema, "some non-space character" (the loader strips spaces first).
NOT_BLANK: dict[str, Any] = {"pattern": r"\S"}
Text = Annotated[str, Field(min_length=1, json_schema_extra=NOT_BLANK)]
Lines = Annotated[list[Text], Field(min_length=1)]


class LearnerBrief(_Strict):
    role: Text = Field(description="Who the learner plays, e.g. 'Team lead at a logistics firm'.")
    goal: Text = Field(description="What the learner is trying to achieve in the conversation.")
    brief: Text = Field(description="What the learner knows going in (facts, constraints).")


class HiddenInfo(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Short id used by the script.")
    fact: Text = Field(description="What the counterpart knows but does not say at first.")
    reveal_when: Text = Field(
        description="When the counterpart would reveal it (read by the LLM persona), "
        "e.g. 'the learner asks about their workload without blaming them'."
    )


class CounterpartState(_Strict):
    trust: Percent = Field(50, description="0 = none, 100 = complete trust in the learner.")
    tension: Percent = Field(50, description="0 = calm, 100 = about to walk out.")
    mood: Text = Field("neutral", description="A word for the starting emotion, e.g. 'angry'.")


class Counterpart(_Strict):
    name: Text = Field(description="Their name.")
    role: Text = Field(description="Their job or relation to the learner.")
    personality: Text = Field(description="Their character in a few sentences.")
    speaking_style: Text = Field(description="How they talk: sentence length, tone, idioms.")
    background: Text = Field(description="Their situation and history, as they see it.")
    interests: list[Text] = Field(
        default_factory=list, description="What they really care about (may be unstated)."
    )
    hidden_information: list[HiddenInfo] = Field(
        default_factory=list, description="Facts they know but do not say at first."
    )
    initial_state: CounterpartState = Field(
        default_factory=CounterpartState, description="Their trust, tension and mood at the start."
    )
    moved_by: list[Text] = Field(
        default_factory=list,
        description="What lowers tension and builds trust, in plain words (for the LLM persona).",
    )
    triggered_by: list[Text] = Field(
        default_factory=list,
        description="What raises tension and costs trust, in plain words (for the LLM persona).",
    )


class Objective(_Strict):
    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="Short name: lowercase letters, digits, - and _; unique among objectives.",
    )
    description: Text = Field(
        description="What the learner should do, shown in the briefing and debrief."
    )
    reached_at_stage: Text | None = Field(
        None,
        description="Offline script: the objective counts as met when this stage is reached.",
    )


class SkillWeights(_Strict):
    empathy: float = Field(1.0, ge=0, description="How much empathy counts (0 or more).")
    active_listening: float = Field(
        1.0, ge=0, description="How much active listening counts (0 or more)."
    )
    clarity: float = Field(1.0, ge=0, description="How much clarity counts (0 or more).")

    @model_validator(mode="after")
    def _not_all_zero(self) -> SkillWeights:
        if self.empathy + self.active_listening + self.clarity <= 0:
            raise ValueError("at least one skill weight must be above 0")
        return self


class StateChange(_Strict):
    trust: int = Field(0, ge=-100, le=100, description="Added to trust (-100 to 100).")
    tension: int = Field(0, ge=-100, le=100, description="Added to tension (-100 to 100).")


# How each move shifts the counterpart when the script does not say otherwise.
DEFAULT_EFFECTS: dict[Move, StateChange] = {
    Move.acknowledge: StateChange(trust=8, tension=-10),
    Move.reflect: StateChange(trust=9, tension=-8),
    Move.open_question: StateChange(trust=6, tension=-5),
    Move.proposal: StateChange(trust=4, tension=-4),
    Move.closed_question: StateChange(trust=1, tension=0),
    Move.neutral: StateChange(trust=0, tension=1),
    Move.off_topic: StateChange(trust=-5, tension=6),
    Move.pressure: StateChange(trust=-8, tension=14),
    Move.dismiss: StateChange(trust=-10, tension=14),
    Move.blame: StateChange(trust=-12, tension=16),
}


class Condition(_Strict):
    """All given parts must hold (an empty condition always holds)."""

    trust_at_least: Percent | None = Field(None, description="Trust is this or more.")
    trust_at_most: Percent | None = Field(None, description="Trust is this or less.")
    tension_at_least: Percent | None = Field(None, description="Tension is this or more.")
    tension_at_most: Percent | None = Field(None, description="Tension is this or less.")
    min_turns_in_stage: int = Field(0, ge=0, description="Learner turns spent in this stage.")
    moves_any: list[Move] = Field(
        default_factory=list,
        description="The learner's latest move is one of these.",
        json_schema_extra={"minItems": 1},  # the validator refuses []; the default is unset
    )

    @model_validator(mode="after")
    def _can_hold(self) -> Condition:
        # A trainer's stage that could never be reached validated cleanly (and an empty
        # moves_any list held for every move).
        if "moves_any" in self.model_fields_set and not self.moves_any:
            raise ValueError("moves_any is empty: list at least one move, or leave it out")
        for name in ("trust", "tension"):
            low, high = getattr(self, f"{name}_at_least"), getattr(self, f"{name}_at_most")
            if low is not None and high is not None and low > high:
                raise ValueError(
                    f"{name}_at_least {low} is above {name}_at_most {high}: this can never hold"
                )
        return self

    def holds(self, trust: int, tension: int, turns_in_stage: int, move: Move | None) -> bool:
        checks = (
            self.trust_at_least is None or trust >= self.trust_at_least,
            self.trust_at_most is None or trust <= self.trust_at_most,
            self.tension_at_least is None or tension >= self.tension_at_least,
            self.tension_at_most is None or tension <= self.tension_at_most,
            turns_in_stage >= self.min_turns_in_stage,
            not self.moves_any or move in self.moves_any,
        )
        return all(checks)


def _move_lines(move: str) -> str:
    return f"Lines for a {move} move, one to three sentences each; several give variety."


class Replies(_Strict):
    """Lines the counterpart may say in a stage, by the learner's move; `default` is required.

    A move without its own lines falls back to `default`. Several lines per move give
    variety; the engine picks one with a seeded random generator.
    """

    default: Lines = Field(description="Lines for any move without its own lines (required).")
    acknowledge: Lines | None = Field(None, description=_move_lines("acknowledge"))
    reflect: Lines | None = Field(None, description=_move_lines("reflect"))
    open_question: Lines | None = Field(None, description=_move_lines("open_question"))
    proposal: Lines | None = Field(None, description=_move_lines("proposal"))
    closed_question: Lines | None = Field(None, description=_move_lines("closed_question"))
    neutral: Lines | None = Field(None, description=_move_lines("neutral"))
    off_topic: Lines | None = Field(None, description=_move_lines("off_topic"))
    pressure: Lines | None = Field(None, description=_move_lines("pressure"))
    dismiss: Lines | None = Field(None, description=_move_lines("dismiss"))
    blame: Lines | None = Field(None, description=_move_lines("blame"))

    def for_move(self, move: Move) -> list[str]:
        lines: list[str] | None = getattr(self, move.value)
        return lines or self.default


class Stage(_Strict):
    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="Short name: lowercase letters, digits, - and _; unique in the file.",
    )
    description: str = Field("", description="What happens in this stage (for trainers).")
    on_enter: Text | None = Field(
        None, description="Said once when the conversation enters this stage."
    )
    reveals: list[Text] = Field(
        default_factory=list, description="Hidden-information ids revealed on entering."
    )
    replies: Replies = Field(description="The counterpart's lines by the learner's move.")
    advance_when: Condition = Field(
        default_factory=Condition,
        description="When this holds after a learner turn, move to the next stage "
        "(for the last stage: the scenario ends in agreement).",
    )


class Endings(_Strict):
    agreement: Text = Field(description="The counterpart's last line when the goal is reached.")
    walk_out: Text = Field(description="The counterpart's last line when they walk out.")
    impasse: Text = Field(description="The counterpart's last line when turns run out.")


class OfflineScript(_Strict):
    """Drives the embedded offline counterpart: stages, replies by move, state changes."""

    effects: dict[Move, StateChange] = Field(
        default_factory=dict, description="Overrides of the default state change per move."
    )
    walk_out_at_tension: Percent = Field(95, description="Tension at which they walk out.")
    stages: Annotated[list[Stage], Field(min_length=1)] = Field(
        description="The conversation's phases, in order (at least one)."
    )
    endings: Endings = Field(description="The last lines for agreement, walk_out and impasse.")

    def effect(self, move: Move) -> StateChange:
        return self.effects.get(move, DEFAULT_EFFECTS[move])


_HIDDEN = ("counterpart", "hidden_information")


class ReferenceProblems(ValueError):
    """Every cross-reference problem of a scenario, each as (path to the value, message)."""

    def __init__(self, found: list[tuple[tuple[str | int, ...], str]]) -> None:
        super().__init__("; ".join(message for _, message in found))
        self.found = found


class Scenario(_Strict):
    """A role-play scenario as authored by a trainer."""

    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9-]*$",
        max_length=64,
        description="Unique id: lowercase letters, digits and dashes.",
    )
    title: str = Field(
        min_length=1,
        max_length=120,
        json_schema_extra=NOT_BLANK,
        description="The name shown in the scenario list (1 to 120 characters).",
    )
    summary: str = Field(
        min_length=1,
        json_schema_extra=NOT_BLANK,
        description="Two or three sentences shown in the list and the briefing.",
    )
    category: Category = Field(description="The kind of conversation.")
    skills: Annotated[list[Skill], Field(min_length=1)] = Field(
        description="Skills in focus: empathy, active_listening, clarity."
    )
    difficulty: Difficulty = Field(description="How hard it is.")
    tags: list[Text] = Field(
        default_factory=list, description="Free keywords for searching and filtering."
    )
    learner: LearnerBrief = Field(description="The learner's side: role, goal and brief.")
    counterpart: Counterpart = Field(description="The other person in the conversation.")
    opening_line: str = Field(
        min_length=1, json_schema_extra=NOT_BLANK, description="The counterpart's first words."
    )
    objectives: Annotated[list[Objective], Field(min_length=1)] = Field(
        description="What the learner should achieve (one to three work best)."
    )
    weights: SkillWeights = Field(
        default_factory=SkillWeights,
        description="How much each skill counts in the overall score (default all 1.0).",
    )
    max_turns: int = Field(12, ge=1, le=100, description="Learner turns before it ends.")
    show_state: bool = Field(True, description="Show trust/tension to the learner.")
    offline_script: OfflineScript = Field(
        description="How the offline counterpart behaves: stages, replies by move, endings."
    )

    @field_validator("skills")
    @classmethod
    def _skills_once(cls, skills: list[Skill]) -> list[Skill]:
        # `skills: [clarity, clarity]` means clarity; `validate` adds a note.
        return list(dict.fromkeys(skills))

    @model_validator(mode="after")
    def _references_exist(self) -> Scenario:
        found = self.reference_problems()
        if found:
            raise ReferenceProblems(found)
        return self

    def reference_problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Every cross-reference problem, each with the path to the value at fault (so that
        the loader points at that value, not at the first place its text appears)."""
        found: list[tuple[tuple[str | int, ...], str]] = []
        script = self.offline_script
        hidden = {h.id for h in self.counterpart.hidden_information}
        stage_ids = [s.id for s in script.stages]
        for kind, items, parent in (
            ("objective", self.objectives, ("objectives",)),
            ("hidden_information", self.counterpart.hidden_information, _HIDDEN),
        ):
            ids = [item.id for item in items]
            for index, item_id in enumerate(ids):
                if item_id in ids[:index]:
                    found.append(
                        (
                            (*parent, index, "id"),
                            f"{kind} id {item_id!r} is used twice; give each {kind} its own id",
                        )
                    )
        for index, stage_id in enumerate(stage_ids):
            if stage_id in stage_ids[:index]:
                found.append(
                    (
                        ("offline_script", "stages", index, "id"),
                        f"stage id {stage_id!r} is used twice; stage ids must be unique",
                    )
                )
        for index, stage in enumerate(script.stages):
            where: tuple[str | int, ...] = ("offline_script", "stages", index)
            for item, ref in enumerate(stage.reveals):
                if ref not in hidden:
                    found.append(
                        (
                            (*where, "reveals", item),
                            f"stage {stage.id!r} reveals {ref!r}, which is not a "
                            "counterpart.hidden_information id",
                        )
                    )
            cond = stage.advance_when
            if cond.min_turns_in_stage > self.max_turns:
                found.append(
                    (
                        (*where, "advance_when", "min_turns_in_stage"),
                        f"stage {stage.id!r} waits for {cond.min_turns_in_stage} turns in it, "
                        f"but the conversation ends after max_turns {self.max_turns}",
                    )
                )
            if (
                cond.tension_at_least is not None
                and cond.tension_at_least >= script.walk_out_at_tension
            ):
                found.append(
                    (
                        (*where, "advance_when", "tension_at_least"),
                        f"stage {stage.id!r} waits for tension {cond.tension_at_least}, but the "
                        f"counterpart walks out at {script.walk_out_at_tension} "
                        "(walk_out_at_tension)",
                    )
                )
        start = self.counterpart.initial_state
        if start.tension >= script.walk_out_at_tension:
            # They walked out at the learner's first reply unless it calmed them at once.
            at: tuple[str | int, ...] = (
                ("offline_script", "walk_out_at_tension")
                if "walk_out_at_tension" in script.model_fields_set
                else ("counterpart", "initial_state", "tension")
            )
            found.append(
                (
                    at,
                    f"the counterpart starts at tension {start.tension}, already at or above "
                    f"walk_out_at_tension {script.walk_out_at_tension}, so any reply that does "
                    "not calm them at once ends the conversation; start at a lower "
                    "initial_state tension or raise walk_out_at_tension",
                )
            )
        for index, objective in enumerate(self.objectives):
            if objective.reached_at_stage and objective.reached_at_stage not in stage_ids:
                found.append(
                    (
                        ("objectives", index, "reached_at_stage"),
                        f"objective {objective.id!r} names stage "
                        f"{objective.reached_at_stage!r}, which is not one of "
                        f"{', '.join(dict.fromkeys(stage_ids))}",
                    )
                )
        return found

    def content_hash(self) -> str:
        """A stable hash of the scenario's content, recorded in transcripts."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def weight_of(self, skill: Skill) -> float:
        value: float = getattr(self.weights, skill)
        return value


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of the file format, for editors (yaml-language-server)."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "coach scenario"
    return schema


OutcomeName = Literal["agreement", "partial", "impasse", "walk_out", "learner_ended"]
