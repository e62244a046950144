"""Offline hints speak to the learner: a scenario's `reveal_when` is written about "the
learner" for the model, and the hint turns it into "you"."""

from __future__ import annotations

import pytest

from coach.library import load_library
from coach.second_person import to_the_learner


@pytest.mark.parametrize(
    ("condition", "said"),
    [
        (
            "the learner reflects her worry and asks which features the demo needs",
            "you reflect her worry and ask which features the demo needs",
        ),
        (
            "the learner asks what makes it hard to ask for help",
            "you ask what makes it hard to ask for help",
        ),
        ("the learner's tone stays calm", "your tone stays calm"),
        ("the learner carries on and reaches a fix", "you carry on and reaches a fix"),
        ("someone mentions the budget", "someone mentions the budget"),
    ],
)
def test_reveal_conditions_are_said_to_the_learner(condition: str, said: str) -> None:
    assert to_the_learner(condition) == said


def test_every_built_in_condition_reads_as_addressed_to_the_learner() -> None:
    conditions = [
        item.reveal_when
        for scenario in load_library().scenarios
        for item in scenario.counterpart.hidden_information
    ]
    assert conditions
    for condition in conditions:
        said = to_the_learner(condition)
        assert "the learner" not in said.lower(), condition
        assert not any(w in said.split() for w in ("asks", "reflects", "acknowledges")), said
