"""Session-level numbers from per-turn scores: what the debrief and progress screens show.

A learner wants to know more than "turn 3 got a 2": which skill is strongest across the
session, whether they improved as it went on, how they listened in MITI terms, and which turn
was their best and which their weakest. This module computes that from the active path's
(context, learner text, TurnScore) triples and the scenario's skill weights; it is pure and
scorer-agnostic, so live sessions and replays aggregate identically.

MITI session metrics are counted from the per-turn codes (`reflection`, `question` in the
active-listening details): a turn counts as a reflection when it contains one, as a question
when it asks one (a turn may be both), and is judged against the MITI thresholds in
`coach.scoring.rubric.MITI_THRESHOLDS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from coach.scoring.rubric import MITI_THRESHOLDS
from coach.scoring.types import SKILLS, Skill, TurnScore

Trend = Literal["improving", "declining", "steady", "n/a"]
# A scenario's weights per skill; missing skills weigh 1.
Weights = Mapping[str, float] | Mapping[Skill, float]

# A change of at least this much over the session (fitted line, first to last turn) is a
# trend rather than noise.
TREND_THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class ScoredTurn:
    """One learner turn of the active path; `index` is its 0-based position among them."""

    index: int
    context: str
    response: str
    score: TurnScore


@dataclass(frozen=True, slots=True)
class SkillSummary:
    skill: Skill
    weight: float
    mean: float
    scores: tuple[float, ...]
    slope: float  # least-squares change per turn
    first_half: float
    second_half: float
    trend: Trend

    def to_dict(self) -> dict[str, Any]:
        return {
            "skill": self.skill,
            "weight": self.weight,
            "mean": round(self.mean, 2),
            "scores": [round(s, 2) for s in self.scores],
            "slope": round(self.slope, 3),
            "first_half": round(self.first_half, 2),
            "second_half": round(self.second_half, 2),
            "trend": self.trend,
        }


@dataclass(frozen=True, slots=True)
class MitiSummary:
    """Reflections and questions over the session, with MITI levels ("good", "fair",
    "below fair", or "n/a" when the ratio is undefined)."""

    turns: int
    reflections: int
    complex_reflections: int
    questions: int
    open_questions: int
    reflections_per_question: float | None
    complex_reflection_share: float | None
    open_question_share: float | None
    levels: dict[str, str] = field(default_factory=dict)

    @property
    def simple_reflections(self) -> int:
        return self.reflections - self.complex_reflections

    @property
    def closed_questions(self) -> int:
        return self.questions - self.open_questions

    def to_dict(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 3)

        return {
            "turns": self.turns,
            "reflections": self.reflections,
            "simple_reflections": self.simple_reflections,
            "complex_reflections": self.complex_reflections,
            "questions": self.questions,
            "open_questions": self.open_questions,
            "closed_questions": self.closed_questions,
            "reflections_per_question": r(self.reflections_per_question),
            "complex_reflection_share": r(self.complex_reflection_share),
            "open_question_share": r(self.open_question_share),
            "levels": dict(self.levels),
        }


@dataclass(frozen=True, slots=True)
class SessionSummary:
    turns: tuple[ScoredTurn, ...]
    weights: dict[Skill, float]
    skills: dict[Skill, SkillSummary]
    overall: float  # weighted mean over turns of each turn's weighted overall
    turn_overall: tuple[float, ...]
    miti: MitiSummary
    best_turn: int | None  # index into `turns`
    weakest_turn: int | None

    @property
    def strongest_skill(self) -> Skill | None:
        rated = [s for s in self.skills.values() if s.weight > 0]
        return max(rated, key=lambda s: (s.mean, s.weight)).skill if self.turns else None

    @property
    def weakest_skill(self) -> Skill | None:
        rated = [s for s in self.skills.values() if s.weight > 0]
        return min(rated, key=lambda s: (s.mean, -s.weight)).skill if self.turns else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "turns": len(self.turns),
            "weights": dict(self.weights),
            "overall": round(self.overall, 2),
            "turn_overall": [round(x, 2) for x in self.turn_overall],
            "skills": {k: v.to_dict() for k, v in self.skills.items()},
            "miti": self.miti.to_dict(),
            "best_turn": self.best_turn,
            "weakest_turn": self.weakest_turn,
            "strongest_skill": self.strongest_skill,
            "weakest_skill": self.weakest_skill,
        }


def normalise_weights(weights: Weights | None) -> dict[Skill, float]:
    """Weights for all three skills (missing ones are 1, negatives 0); never all zero."""
    out: dict[Skill, float] = {s: 1.0 for s in SKILLS}
    for s in SKILLS:
        if weights is not None and s in weights:
            out[s] = max(0.0, float(weights[s]))
    if sum(out.values()) <= 0:
        out = {s: 1.0 for s in SKILLS}
    return out


def weighted_overall(score: TurnScore, weights: Weights | None = None) -> float:
    """One number for a turn: the skills' scores averaged with the scenario's weights."""
    w = normalise_weights(weights)
    return sum(score.skill(s).score * w[s] for s in SKILLS) / sum(w.values())


def _slope(ys: Sequence[float]) -> float:
    n = len(ys)
    if n < 2:
        return 0.0
    mx = (n - 1) / 2
    my = sum(ys) / n
    num = sum((i - mx) * (y - my) for i, y in enumerate(ys))
    den = sum((i - mx) ** 2 for i in range(n))
    return num / den


def flagged(score: TurnScore, skills: Sequence[Skill] = SKILLS) -> int:
    """How many problems the scorer flagged (negative evidence) in `skills` of a turn: what
    tells two turns with the same score apart when picking the one to work on."""
    return sum(e.effect == "-" for s in skills for e in score.skill(s).evidence)


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def _skill_summary(skill: Skill, weight: float, ys: Sequence[float]) -> SkillSummary:
    n = len(ys)
    slope = _slope(ys)
    half = n // 2
    first = _mean(ys[:half]) if half else _mean(ys)
    second = _mean(ys[half:])
    trend: Trend
    if n < 2:
        trend = "n/a"
    elif slope * (n - 1) >= TREND_THRESHOLD:
        trend = "improving"
    elif slope * (n - 1) <= -TREND_THRESHOLD:
        trend = "declining"
    else:
        trend = "steady"
    return SkillSummary(skill, weight, _mean(ys), tuple(ys), slope, first, second, trend)


def miti_summary(scores: Sequence[TurnScore]) -> MitiSummary:
    """Count reflections and questions from the turns' active-listening codes."""
    refl = cx = q = oq = 0
    for turn in scores:
        details = turn.active_listening.details
        reflection = details.get("reflection", "none")
        question = details.get("question", "none")
        if reflection in {"simple", "complex"}:
            refl += 1
            cx += reflection == "complex"
        if question in {"open", "closed"}:
            q += 1
            oq += question == "open"
    # With reflections but no question, MITI's ratio is unbounded: it meets any threshold.
    rpq = refl / q if q else None
    cx_share = cx / refl if refl else None
    oq_share = oq / q if q else None
    rpq_level = MITI_THRESHOLDS["reflections_per_question"].label(rpq)
    if q == 0 and refl > 0:
        rpq_level = "good"
    levels = {
        "reflections_per_question": rpq_level,
        "complex_reflection_share": MITI_THRESHOLDS["complex_reflection_share"].label(cx_share),
        "open_question_share": MITI_THRESHOLDS["open_question_share"].label(oq_share),
    }
    return MitiSummary(len(scores), refl, cx, q, oq, rpq, cx_share, oq_share, levels)


def as_turns(items: Sequence[ScoredTurn | tuple[str, str, TurnScore]]) -> tuple[ScoredTurn, ...]:
    out: list[ScoredTurn] = []
    for i, item in enumerate(items):
        if isinstance(item, ScoredTurn):
            out.append(item)
        else:
            context, response, score = item
            out.append(ScoredTurn(i, context, response, score))
    return tuple(out)


def aggregate(
    items: Sequence[ScoredTurn | tuple[str, str, TurnScore]],
    weights: Weights | None = None,
) -> SessionSummary:
    """Summarise a session's learner turns (in order) under the scenario's skill weights.

    The best turn is the one with the highest weighted overall (the earliest on a tie), the
    weakest the lowest; on a tie, the one with more flagged problems (a dismissal beats a
    flat reply when both score 1.0), then the latest (the most recent habit is the one to
    work on).
    """
    turns = as_turns(items)
    w = normalise_weights(weights)
    skills = {s: _skill_summary(s, w[s], [t.score.skill(s).score for t in turns]) for s in SKILLS}
    overall_per_turn = tuple(weighted_overall(t.score, w) for t in turns)
    best = weakest = None
    if turns:
        best = max(range(len(turns)), key=lambda i: (overall_per_turn[i], -i))
        problems = [flagged(t.score) for t in turns]
        weakest = min(
            range(len(turns)), key=lambda i: (round(overall_per_turn[i], 2), -problems[i], -i)
        )
    return SessionSummary(
        turns=turns,
        weights=w,
        skills=skills,
        overall=_mean(overall_per_turn),
        turn_overall=overall_per_turn,
        miti=miti_summary([t.score for t in turns]),
        best_turn=best,
        weakest_turn=weakest,
    )
