"""The trainer guide's annotated example plays as the guide says it does.

docs/scenarios.md promises that in its shift-swap example a learner who acknowledges,
reflects, asks and then proposes reaches agreement in four to seven turns, and one who opens
with "you have to take my Saturday" and then guilt-trips walks out within four. A trainer
tester found the demand and the guilt trip read as neutral moves: nobody walked out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coach.scenario import Outcome
from coach.scenario_loader import load_file
from coach.session import Phase

from .helpers import play

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"

LISTENS_THEN_PROPOSES = [
    "That sounds exhausting, three extra shifts this month.",
    "It sounds like you've been the one everyone leans on, and nobody's noticed.",
    "What would make a swap fair for you?",
    "What if I take the August bank holiday for you in return?",
    "That would mean a lot. Thank you.",
    "So Saturday for the August bank holiday. Does that work for you?",
    "Thank you, Sam.",
]
PUSHES = [
    "You have to take my Saturday.",
    "Come on, it's my sister's wedding, don't be selfish.",
    "Just say yes, I don't have time for this.",
    "You owe me, I covered for you last year.",
]


def _example(tmp_path: Path) -> Path:
    guide = GUIDE.read_text(encoding="utf-8")
    section = guide[guide.index("## 6. A complete annotated example") :]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match is not None
    path = tmp_path / "shift-swap.yaml"
    path.write_text(match.group(1), encoding="utf-8")
    return path


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_listening_then_proposing_agrees_in_four_to_seven_turns(
    tmp_path: Path, seed: int
) -> None:
    session = await play(
        load_file(_example(tmp_path)).scenario, LISTENS_THEN_PROPOSES, tmp_path, seed
    )
    assert session.phase is Phase.ended and session.outcome is Outcome.agreement
    assert 4 <= session.turn_count <= 7


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_demanding_then_guilt_tripping_walks_out_within_four(
    tmp_path: Path, seed: int
) -> None:
    session = await play(load_file(_example(tmp_path)).scenario, PUSHES, tmp_path, seed)
    assert session.phase is Phase.ended and session.outcome is Outcome.walk_out
    assert session.turn_count <= 4
