"""Offline readability features for the clarity scale.

textstat pulls NLTK's cmudict from the internet, so coach counts syllables itself: a cached
rule-based counter (vowel groups with the usual English corrections). Word difficulty follows
the New Dale-Chall idea: a word is hard when it is not among the ~3,000 words most readers
know (`coach.scoring.familiar`); the share of such words and the (log) sentence length are
the two strongest classic predictors of how easy a text reads. Everything per word is memoised,
which keeps the analytic scorer at microseconds per turn.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from coach.scoring.familiar import FAMILIAR

__all__ = ["ease_from", "is_familiar", "syllables", "word_info"]

# The classic vowel-group heuristic: drop a silent final "e"/"es"/"ed", ignore a leading "y",
# then count runs of one or two vowels. Good to about one syllable on nine words in ten.
_SILENT_END = re.compile(r"(?:[^laeiouy]es|[^laeiouytd]ed|[^laeiouy]e)$")
_VOWEL_RUNS = re.compile(r"[aeiouy]{1,2}")

# Everyday words of conversation and modern life the 1940s list lacks.
_EXTRA_WORDS = (
    "okay ok yeah yep nope hmm mm mhm um uh huh wow hey hi hello bye sorry thanks email "
    "online internet phone computer tv movie job jobs kids mom dad guys stuff maybe really "
    "feel feeling feelings talk talked worry worried anyway sure lot lots cool fine "
    # The everyday words of work conversations, the setting of most scenarios.
    "project projects deadline deadlines budget feedback team teams client clients customer "
    "customers report reports schedule review results salary offer plan plans update meeting "
    "colleague colleagues manager boss office contract price prices cancel"
)
_EXTRA_FAMILIAR = frozenset(_EXTRA_WORDS.split())
# Inflections tried when a word is not in the list itself: (suffix, replacement).
_INFLECTIONS = (
    ("'s", ""),
    ("s", ""),
    ("es", ""),
    ("ies", "y"),
    ("ied", "y"),
    ("ed", ""),
    ("ed", "e"),
    ("d", ""),
    ("ing", ""),
    ("ing", "e"),
    ("ly", ""),
    ("er", ""),
    ("est", ""),
    ("n't", ""),
)


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


def is_familiar(word: str) -> bool:
    """True when `word` (lowercase) or its base form is a common, familiar English word."""
    if word in FAMILIAR or word in _EXTRA_FAMILIAR or len(word) <= 2 or word.isdigit():
        return True
    for suf, rep in _INFLECTIONS:
        if word.endswith(suf) and len(word) > len(suf) + 1:
            base = word[: -len(suf)] + rep
            if base in FAMILIAR or base in _EXTRA_FAMILIAR:
                return True
            # Doubled consonant: "stopped", "running".
            if (
                suf in ("ed", "ing", "er", "est")
                and len(base) > 2
                and base[-1] == base[-2]
                and (base[:-1] in FAMILIAR or base[:-1] in _EXTRA_FAMILIAR)
            ):
                return True
    return False


_INFO: dict[str, tuple[int, bool]] = {}


def word_info(word: str) -> tuple[int, bool]:
    """(syllables, familiar) for a lowercase word, memoised."""
    info = _INFO.get(word)
    if info is None:
        info = (syllables(word), is_familiar(word))
        if len(_INFO) > 200_000:
            _INFO.clear()
        _INFO[word] = info
    return info


def ease_from(words: int, sentences: int, syllable_total: int, unfamiliar: int) -> float:
    """Map counts to an ease in [0, 1] (1 = very easy), New Dale-Chall style, tuned on CLEAR.

    Log sentence length and the share of unfamiliar words carry most of the signal; syllables
    per word adds a little on top.
    """
    if words == 0:
        return 1.0
    asl = max(1.0, words / max(1, sentences))
    asw = syllable_total / words
    unf = unfamiliar / words
    raw = 1.05 - 0.3 * math.log(asl / 6.0) - 2.1 * unf - 0.15 * max(0.0, asw - 1.3)
    # A logistic squash rather than a clamp keeps hard texts ranked among themselves.
    return 1.0 / (1.0 + math.exp(-4.0 * (raw - 0.35)))
