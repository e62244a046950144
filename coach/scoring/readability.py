"""Offline readability features for the clarity scale.

textstat pulls NLTK's cmudict from the internet, so coach counts syllables itself: a cached
rule-based counter (vowel groups with the usual English corrections). It is a few hundred
nanoseconds per distinct word, which keeps the analytic scorer at microseconds per turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# The classic vowel-group heuristic: drop a silent final "e"/"es"/"ed", ignore a leading "y",
# then count runs of one or two vowels. Good to about one syllable on nine words in ten.
_SILENT_END = re.compile(r"(?:[^laeiouy]es|[^laeiouytd]ed|[^laeiouy]e)$")
_VOWEL_RUNS = re.compile(r"[aeiouy]{1,2}")


@lru_cache(maxsize=65536)
def syllables(word: str) -> int:
    """Estimate the syllables of one word; at least 1."""
    w = word.lower()
    if len(w) <= 3:
        return 1
    w = _SILENT_END.sub("", w)
    if w.startswith("y"):
        w = w[1:]
    return max(1, len(_VOWEL_RUNS.findall(w)))


@dataclass(frozen=True, slots=True)
class ReadabilityFeatures:
    """Counts that feed the readability part of the clarity score."""

    words: int
    sentences: int
    avg_sentence_length: float
    avg_syllables_per_word: float
    difficult_word_share: float
    long_word_share: float
    ease: float


def ease_from(
    words: int, sentences: int, syllable_total: int, difficult: int, long_words: int
) -> float:
    """Map counts to an ease in [0, 1] (1 = very easy), a Flesch-style blend tuned on CLEAR."""
    if words == 0:
        return 1.0
    asl = words / max(1, sentences)
    asw = syllable_total / words
    diff = difficult / words
    longw = long_words / words
    # Flesch reading ease scaled to 0-1 plus a penalty for polysyllabic and long words,
    # which track teacher judgements better than sentence length alone.
    flesch = 206.835 - 1.015 * min(asl, 60.0) - 84.6 * asw
    raw = flesch / 100.0 - 0.9 * diff - 0.6 * longw
    return min(1.0, max(0.0, raw))
