"""The rubric is complete, versioned and renders for learners and the judge."""

from __future__ import annotations

from coach.scoring.rubric import RUBRIC, RUBRIC_VERSION, render_markdown
from coach.scoring.types import SKILLS


def test_every_skill_has_five_anchored_levels() -> None:
    assert RUBRIC.version == RUBRIC_VERSION
    assert tuple(s.skill for s in RUBRIC.skills) == SKILLS
    for s in RUBRIC.skills:
        assert [lv.score for lv in s.levels] == [1, 2, 3, 4, 5]
        assert all(lv.description and lv.example for lv in s.levels)
        assert s.looks_for and s.costs


def test_level_lookup_rounds_and_clamps() -> None:
    clarity = RUBRIC.skill("clarity")
    assert clarity.level(3.4).score == 3
    assert clarity.level(3.6).score == 4
    assert clarity.level(0).score == 1 and clarity.level(9).score == 5


def test_render_markdown_selects_skills() -> None:
    text = render_markdown(["empathy"])
    assert RUBRIC_VERSION in text and "## Empathy" in text
    assert "Active listening" not in text and "Clarity" not in text
    full = render_markdown()
    assert "MITI" in full and "EPITOME" in full
    assert full.count("| 5 |") == 3
