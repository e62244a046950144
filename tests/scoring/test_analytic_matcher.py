"""Tests for the one-pass phrase matcher behind the analytic scorer."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from coach.scoring import lexicons as lx
from coach.scoring.analytic_matcher import PhraseMatcher, first_words

LEXICONS = {"er": lx.EMOTIONAL_STRONG, "prop": lx.PROPOSAL, "refl": lx.REFLECTION_STEMS}
M = PhraseMatcher(LEXICONS)


def test_first_words_expands_optional_parts() -> None:
    assert first_words(r"(?:i'?m|i am) sorry") == frozenset({"i'm", "im", "i"})
    assert first_words(r"you(?:'re| are) not alone") == frozenset({"you're", "you"})
    assert first_words(r"[$€£]\s?\d+") is None


def test_finds_overlapping_lexicons_with_outermost_spans() -> None:
    text = "I am so sorry. It sounds like you feel stuck; I can offer $50 by Friday."
    hits = M.find(text)
    assert text[slice(*hits["er"][0])] == "I am so sorry"
    assert len(hits["er"]) == 1  # "so sorry" inside it is not reported again
    assert any(text[s:e] == "It sounds like" for s, e in hits["refl"])
    assert any(text[s:e] == "$50" for s, e in hits["prop"])


def test_no_match_inside_words() -> None:
    assert M.find("Thisorry Sorrowful sounds-likeable").get("er") is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_agrees_with_plain_regex_search(text: str) -> None:
    # Whatever the dispatch finds, a straightforward regex over the same lexicon also finds
    # at the same place (no invented matches), and offsets are valid.
    for name, pats in LEXICONS.items():
        rx = re.compile(r"(?:" + "|".join(f"(?:{p})" for p in pats) + r")(?![\w'])", re.I)
        for s, e in M.find(text).get(name, []):
            assert 0 <= s < e <= len(text)
            assert rx.match(text.lower(), s) is not None
