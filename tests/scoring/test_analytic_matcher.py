"""Tests for the one-pass phrase matcher behind the analytic scorer."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from coach.scoring import lexicons as lx
from coach.scoring.analytic_matcher import PhraseMatcher, first_words

LEXICONS = {
    "er": lx.EMOTIONAL_STRONG,
    "prop": lx.PROPOSAL + lx.PROPOSAL_DETAIL,
    "refl": lx.REFLECTION_STEMS,
}
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


_SENTENCES = [
    "I'm so sorry to hear that. It sounds like you feel stuck between them.",
    "You're not alone, and I hope you feel better. Same here, honestly.",
    "So you don't think the plan works for you? That must be really hard.",
    "I understand. Could we agree on Friday for a first draft, maybe $50 more?",
    "What I'm hearing is that it feels like nobody listens; on the other hand you care.",
    "If you could find the time, you think you might be able to quit.",
]


def test_finds_every_phrase_a_plain_scan_finds() -> None:
    # The trie scan, one-word lookups and second-word gates must not lose any match that a
    # plain regex tried at every word start finds.
    from coach.scoring.analytic import _MATCHER

    names = (
        "er_strong",
        "er_weak",
        "ip_weak",
        "reflect",
        "feeling",
        "proposal",
        "proposal_detail",
        "hedges",
    )
    for text in _SENTENCES:
        low = text.lower()
        hits = _MATCHER.find(text)
        for name in names:
            pats = getattr(
                lx,
                {
                    "er_strong": "EMOTIONAL_STRONG",
                    "er_weak": "EMOTIONAL_WEAK",
                    "ip_weak": "INTERPRET_WEAK",
                    "reflect": "REFLECTION_STEMS",
                    "feeling": "FEELING_WORDS",
                    "proposal": "PROPOSAL",
                    "proposal_detail": "PROPOSAL_DETAIL",
                    "hedges": "HEDGES",
                }[name],
            )
            rx = re.compile(r"(?:" + "|".join(f"(?:{p})" for p in pats) + r")(?![\w'])")
            starts = {
                m.start() for m in re.finditer(r"(?<![\w'])\w", low) if rx.match(low, m.start())
            }
            found = hits.get(name, [])
            for s in starts:
                assert any(a <= s < b for a, b in found), (name, text, low[s : s + 20])


def test_warm_compiles_every_word_and_finds_the_same() -> None:
    lexicons = {"sorry": ["i am (so )?sorry", "sorry to hear"], "ask": ["what would", "could we"]}
    text = "I am so sorry to hear that. What would help? Could we talk?"
    cold = PhraseMatcher(lexicons)
    before = cold.find(text)
    warm = PhraseMatcher(lexicons)
    assert len(warm._by_word) == 0  # nothing compiled until asked
    warm.warm()
    assert set(warm._by_word) == set(warm._by_word._groups)  # every first word, compiled
    assert warm.find(text) == before
