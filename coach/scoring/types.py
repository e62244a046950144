"""Result types shared by every scorer, the session engine, the TUI and replay.

One shape for a turn's scores keeps the analytic scorer and the LLM judge interchangeable and
makes a replayed score comparable with the live one.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal, NamedTuple, Protocol

Skill = Literal["empathy", "active_listening", "clarity"]
SKILLS: tuple[Skill, ...] = ("empathy", "active_listening", "clarity")
SKILL_LABELS: dict[Skill, str] = {
    "empathy": "Empathy",
    "active_listening": "Active listening",
    "clarity": "Clarity",
}


# The result records are NamedTuples: immutable like a frozen dataclass but about three times
# cheaper to build (C-level tuple construction), and the analytic scorer builds around ten of
# them per turn at thousands of turns a second.
_NO_DETAILS: Mapping[str, Any] = MappingProxyType({})


class Evidence(NamedTuple):
    """A quoted span of the learner's text that earned (+) or cost (-) points.

    `start`/`end` are character offsets into the scored response, so UIs can highlight the
    span in the learner's own words.
    """

    start: int
    end: int
    quote: str
    label: str
    effect: Literal["+", "-"] = "+"

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "label": self.label,
            "effect": self.effect,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        return cls(
            start=int(data["start"]),
            end=int(data["end"]),
            quote=str(data["quote"]),
            label=str(data.get("label", "")),
            effect="-" if data.get("effect") == "-" else "+",
        )


class SkillScore(NamedTuple):
    """One skill's 1-5 score (may be fractional), its sub-scores, evidence and one tip.

    `details` holds the skill-specific codes of the DESIGN.md contract, e.g. for empathy
    `emotional_reactions`/`interpretations`/`explorations` (0-2), for active listening
    `reflection` (none|simple|complex) and `question` (none|closed|open).
    """

    skill: Skill
    score: float
    evidence: tuple[Evidence, ...] = ()
    tip: str = ""
    details: Mapping[str, Any] = _NO_DETAILS

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"score": round(self.score, 2)}
        out.update(self.details)
        out["evidence"] = [e.to_dict() for e in self.evidence]
        out["tip"] = self.tip
        return out

    @classmethod
    def from_dict(cls, skill: Skill, data: dict[str, Any]) -> SkillScore:
        details = {k: v for k, v in data.items() if k not in {"score", "evidence", "tip"}}
        return cls(
            skill=skill,
            score=float(data["score"]),
            evidence=tuple(Evidence.from_dict(e) for e in data.get("evidence", [])),
            tip=str(data.get("tip", "")),
            details=details,
        )


class TurnScore(NamedTuple):
    """The three skills' scores for one learner turn, and which scorer/rubric produced them."""

    empathy: SkillScore
    active_listening: SkillScore
    clarity: SkillScore
    scorer: str
    rubric_version: str
    model: str | None = None

    def skill(self, name: Skill) -> SkillScore:
        result: SkillScore = getattr(self, name)
        return result

    def to_dict(self) -> dict[str, Any]:
        """The `coach score` output contract (without the `id`)."""
        out: dict[str, Any] = {
            "scores": {s: self.skill(s).to_dict() for s in SKILLS},
            "scorer": self.scorer,
            "rubric_version": self.rubric_version,
        }
        if self.model:
            out["model"] = self.model
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TurnScore:
        scores = data["scores"]
        return cls(
            empathy=SkillScore.from_dict("empathy", scores["empathy"]),
            active_listening=SkillScore.from_dict("active_listening", scores["active_listening"]),
            clarity=SkillScore.from_dict("clarity", scores["clarity"]),
            scorer=str(data.get("scorer", "")),
            rubric_version=str(data.get("rubric_version", "")),
            model=data.get("model"),
        )


class ScoringError(Exception):
    """A scorer could not produce a score (e.g. the judge's reply was unusable after repair).

    Scorers raise this rather than inventing numbers.
    """


class Scorer(Protocol):
    """Anything that rates one learner reply given the other party's preceding words."""

    name: str
    rubric_version: str

    async def score(self, context: str, response: str) -> TurnScore: ...
