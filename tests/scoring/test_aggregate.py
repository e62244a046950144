"""Session aggregation on hand-made turns: MITI metrics and thresholds, trends, best/weakest."""

from __future__ import annotations

import pytest

from coach.scoring.aggregate import ScoredTurn, aggregate, miti_summary, weighted_overall
from coach.scoring.rubric import MITI_THRESHOLDS
from coach.scoring.types import SkillScore, TurnScore


def turn(
    emp: float = 3,
    al: float = 3,
    cl: float = 3,
    reflection: str = "none",
    question: str = "none",
) -> TurnScore:
    return TurnScore(
        empathy=SkillScore("empathy", emp),
        active_listening=SkillScore(
            "active_listening", al, details={"reflection": reflection, "question": question}
        ),
        clarity=SkillScore("clarity", cl),
        scorer="test",
        rubric_version="v",
    )


def triples(*scores: TurnScore) -> list[tuple[str, str, TurnScore]]:
    return [(f"context {i}", f"reply {i}", s) for i, s in enumerate(scores)]


def test_good_miti_profile() -> None:
    m = miti_summary(
        [
            turn(reflection="complex"),
            turn(reflection="complex", question="open"),
            turn(reflection="simple"),
            turn(reflection="complex"),
        ]
    )
    assert (m.reflections, m.complex_reflections, m.questions, m.open_questions) == (4, 3, 1, 1)
    assert m.reflections_per_question == 4.0
    assert m.complex_reflection_share == 0.75
    assert m.open_question_share == 1.0
    assert m.levels == {
        "reflections_per_question": "good",
        "complex_reflection_share": "good",
        "open_question_share": "good",
    }


def test_fair_and_below_fair_thresholds() -> None:
    # 2 reflections (1 complex of 2 = 50%), 2 questions (1 open = 50%): R:Q = 1.0 -> fair.
    m = miti_summary(
        [
            turn(reflection="complex", question="closed"),
            turn(reflection="simple"),
            turn(question="open"),
        ]
    )
    assert m.reflections_per_question == 1.0
    assert m.levels["reflections_per_question"] == "fair"
    assert m.levels["complex_reflection_share"] == "good"  # exactly 50%
    assert m.levels["open_question_share"] == "fair"
    # 1 simple reflection for 3 closed questions.
    m = miti_summary([turn(reflection="simple"), *(turn(question="closed") for _ in range(3))])
    assert m.reflections_per_question == pytest.approx(1 / 3)
    assert m.levels == {
        "reflections_per_question": "below fair",
        "complex_reflection_share": "below fair",
        "open_question_share": "below fair",
    }
    assert m.simple_reflections == 1 and m.closed_questions == 3


def test_complex_share_boundary_at_forty_percent() -> None:
    codes = ["complex", "complex", "simple", "simple", "simple"]
    m = miti_summary([turn(reflection=c) for c in codes])
    assert m.complex_reflection_share == pytest.approx(0.4)
    assert m.levels["complex_reflection_share"] == "fair"
    assert MITI_THRESHOLDS["complex_reflection_share"].label(0.39) == "below fair"


def test_no_questions_and_no_reflections() -> None:
    m = miti_summary([turn(), turn()])
    assert m.reflections_per_question is None
    assert m.levels["reflections_per_question"] == "n/a"
    m = miti_summary([turn(reflection="simple")])
    assert m.reflections_per_question is None
    assert m.levels["reflections_per_question"] == "good"  # reflecting without questioning
    assert m.to_dict()["reflections_per_question"] is None


def test_means_trend_and_best_weakest_turn() -> None:
    s = aggregate(
        triples(
            turn(emp=1, al=2, cl=3),
            turn(emp=2, al=2, cl=3),
            turn(emp=4, al=5, cl=4),
            turn(emp=5, al=2, cl=3),
        )
    )
    assert s.skills["empathy"].mean == 3.0
    assert s.skills["empathy"].trend == "improving"
    assert s.skills["empathy"].slope == pytest.approx(1.4)
    assert (s.skills["empathy"].first_half, s.skills["empathy"].second_half) == (1.5, 4.5)
    assert s.skills["clarity"].trend == "steady"
    assert s.best_turn == 2
    assert s.weakest_turn == 0
    assert s.strongest_skill == "clarity"  # 3.25 vs 3.0 and 2.75
    assert s.weakest_skill == "active_listening"
    assert s.to_dict()["best_turn"] == 2


def test_declining_trend_and_single_turn() -> None:
    s = aggregate(triples(turn(cl=5), turn(cl=4), turn(cl=3)))
    assert s.skills["clarity"].trend == "declining"
    one = aggregate(triples(turn()))
    assert one.skills["empathy"].trend == "n/a"
    assert one.best_turn == one.weakest_turn == 0


def test_weights_decide_the_weakest_turn() -> None:
    a = turn(emp=1, al=5, cl=5)  # weak on empathy only
    b = turn(emp=5, al=2, cl=2)  # weak on listening and clarity
    assert aggregate(triples(a, b)).weakest_turn == 1
    empathy_first = {"empathy": 3.0, "active_listening": 1.0, "clarity": 0.0}
    s = aggregate(triples(a, b), empathy_first)
    assert s.weakest_turn == 0
    assert weighted_overall(a, empathy_first) == pytest.approx((3 + 5) / 4)
    assert s.weakest_skill != "clarity"  # a weight of 0 is not rated


def test_empty_session() -> None:
    s = aggregate([])
    assert s.best_turn is None and s.weakest_turn is None
    assert s.strongest_skill is None and s.miti.levels["open_question_share"] == "n/a"


def test_scored_turn_indices_are_kept() -> None:
    items = [ScoredTurn(4, "c", "r", turn(emp=1)), ScoredTurn(7, "c", "r2", turn(emp=5))]
    s = aggregate(items)
    assert s.turns[s.weakest_turn or 0].index == 4


def test_on_a_tie_the_weakest_turn_is_the_one_with_more_flagged_problems() -> None:
    # Both at 1.0: the debrief picked a later flat reply over "Please calm down, these things
    # happen" (a tester's session).
    from coach.scoring.types import Evidence

    dismissive = turn(1, 1, 1)
    calm = Evidence(0, 11, "calm down", "minimises feelings", "-")
    dismissive = TurnScore(
        empathy=SkillScore("empathy", 1, evidence=(calm,)),
        active_listening=dismissive.active_listening,
        clarity=dismissive.clarity,
        scorer="test",
        rubric_version="v",
    )
    summary = aggregate(triples(turn(3, 3, 3), dismissive, turn(1, 1, 1)))
    assert summary.weakest_turn == 1
    assert aggregate(triples(turn(3, 3, 3), turn(1, 1, 1), turn(1, 1, 1))).weakest_turn == 2
