"""One-pass phrase matching for the analytic scorer.

Running twenty large case-insensitive alternations over every reply costs ~1 ms a turn: the
regex engine tries every phrase at every character. This matcher lowercases once, visits only
word starts, and at each one runs a single precompiled pattern holding just the lexicons whose
phrases can begin with that letter (each lexicon inside its own lookahead, so overlapping
behaviours are all reported). That keeps the whole scorer well above 10,000 turns a second.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

try:  # Python 3.11+: the parser moved under re; it is stable across 3.11-3.13.
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse as _sre_parse

Span = tuple[int, int]

_WORD_START = re.compile(r"(?<![\w'])\w")
_TOKEN = re.compile(r"\w+(?:'\w+)*")
_MAX_EXPANSIONS = 64
_END = r"(?![\w'])"


def _split_top(body: str) -> list[str] | None:
    """Split a regex body on top-level `|`; None when parentheses do not balance."""
    out: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return None
        elif ch == "|" and depth == 0:
            out.append(body[start:i])
            start = i + 1
        i += 1
    out.append(body[start:])
    return out if depth == 0 else None


def _close_paren(p: str, open_at: int) -> int:
    depth = 0
    i = open_at
    while i < len(p):
        ch = p[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def first_letters(p: str) -> frozenset[str] | None:
    """The lowercase letters a phrase pattern can start with, or None if unknown/non-letter."""
    if not p:
        return None
    c = p[0]
    if c.isalpha():
        if len(p) > 1 and p[1] in "?*{":
            return None  # the first letter is optional
        return frozenset(c.lower())
    if p.startswith("(?:"):
        close = _close_paren(p, 0)
        if close < 0 or (close + 1 < len(p) and p[close + 1] in "?*{"):
            return None
        branches = _split_top(p[3:close])
        if branches is None:
            return None
        acc: set[str] = set()
        for b in branches:
            f = first_letters(b)
            if f is None:
                return None
            acc |= f
        return frozenset(acc)
    return None


def _expand(seq: Any) -> list[tuple[str, bool]] | None:
    """Literal expansions of a parsed regex prefix up to the end of its first word.

    Each item is (text, ended): `ended` once a non-word character closes the first word.
    None when the prefix is not a small finite set of literals.
    """
    states: list[tuple[str, bool]] = [("", False)]
    for op, av in seq:
        name = str(op)
        if all(ended for _, ended in states):
            break
        if name == "LITERAL":
            ch = chr(av)
            # A non-word character closes the first word.
            part = [(ch.lower(), False)] if ch.isalnum() or ch in "_'" else [("", True)]
        elif name == "SUBPATTERN":
            sub = _expand(av[-1])
            if sub is None:
                return None
            part = sub
        elif name == "BRANCH":
            part = []
            for branch in av[1]:
                sub = _expand(branch)
                if sub is None:
                    return None
                part.extend(sub)
        elif name in ("MAX_REPEAT", "MIN_REPEAT") and av[0] == 0 and av[1] == 1:
            sub = _expand(av[2])
            if sub is None:
                return None
            part = [("", False), *sub]
        else:
            return None
        nxt: list[tuple[str, bool]] = []
        for pre, ended in states:
            if ended:
                nxt.append((pre, ended))
                continue
            for text, e in part:
                nxt.append((pre + text, e))
        if len(nxt) > _MAX_EXPANSIONS:
            return None
        states = nxt
    return states


def first_words(p: str) -> frozenset[str] | None:
    """The lowercase first words a phrase pattern can start with, or None if not enumerable."""
    try:
        states = _expand(_sre_parse.parse(p))
    except Exception:  # an unusual construct: fall back to the letter buckets
        return None
    if not states:
        return None
    words = frozenset(w for w, _ in states)
    if "" in words or any(not _TOKEN.fullmatch(w) for w in words):
        return None
    return words


def _gate(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """A cheap character test that must pass before a residual pattern can match.

    Residual phrases start with a digit or a currency sign (amounts, durations); skipping the
    full scan when the text has neither saves most of its cost.
    """
    if all(p.startswith(("\\d", "[$")) for p in patterns):
        return re.compile(r"[\d$€£]")
    return None


class PhraseMatcher:
    """Finds every lexicon phrase in a text, returning spans per lexicon name."""

    def __init__(self, lexicons: Mapping[str, Sequence[str]]) -> None:
        self.names = tuple(lexicons)
        by_letter: dict[str, dict[str, list[str]]] = {}
        by_word: dict[str, dict[str, list[str]]] = {}
        residual: dict[str, list[str]] = {}
        for name, patterns in lexicons.items():
            for p in patterns:
                words = first_words(p)
                if words is not None:
                    for w in words:
                        by_word.setdefault(w, {}).setdefault(name, []).append(p)
                    continue
                letters = first_letters(p)
                if letters is None:
                    residual.setdefault(name, []).append(p)
                    continue
                for ch in letters:
                    by_letter.setdefault(ch, {}).setdefault(name, []).append(p)
        self._by_letter = {ch: self._combine(g) for ch, g in by_letter.items()}
        self._by_word = {w: self._combine(g) for w, g in by_word.items()}
        self._residual = tuple(
            (
                name,
                re.compile(rf"(?<![\w'])(?:{'|'.join(f'(?:{p})' for p in pats)}){_END}"),
                _gate(pats),
            )
            for name, pats in residual.items()
        )

    @staticmethod
    def _combine(groups: dict[str, list[str]]) -> tuple[re.Pattern[str], tuple[str, ...]]:
        # Each lexicon in its own optional lookahead: one match call reports all of them.
        names = tuple(groups)
        parts = [
            "(?:(?=((?:" + "|".join(f"(?:{p})" for p in groups[n]) + f"){_END})))?" for n in names
        ]
        return re.compile("".join(parts)), names

    def find(self, text: str) -> dict[str, list[Span]]:
        """Spans of each lexicon's matches in `text` (offsets into `text`)."""
        low = text.lower()
        if len(low) != len(text):
            # A few characters lowercase to two (e.g. "İ"): keep offsets aligned.
            low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        return self.find_lower(low)

    def find_lower(self, low: str) -> dict[str, list[Span]]:
        """`find` on text the caller already lowercased (offsets unchanged)."""
        hits: dict[str, list[Span]] = {}
        by_letter = self._by_letter
        by_word = self._by_word
        for m in _TOKEN.finditer(low):
            tok = m.group()
            entry = by_word.get(tok)
            if entry is None and by_letter:
                entry = by_letter.get(tok[0])
            if entry is None:
                continue
            pat, names = entry
            mm = pat.match(low, m.start())
            # `lastindex` is None when no lexicon matched here: the common case, kept cheap.
            if mm is None or mm.lastindex is None:
                continue
            regs = mm.regs
            for i, name in enumerate(names, 1):
                s, e = regs[i]
                if e > s >= 0:
                    hits.setdefault(name, []).append((s, e))
        for name, rx, gate in self._residual:
            if gate is not None and gate.search(low) is None:
                continue
            for m in rx.finditer(low):
                if m.end() > m.start():
                    hits.setdefault(name, []).append(m.span())
        for name, spans in hits.items():
            # Keep the outermost span: "I am so sorry" rather than also "so sorry".
            spans.sort(key=lambda sp: (sp[0], -sp[1]))
            kept: list[Span] = []
            for sp in spans:
                if not kept or sp[1] > kept[-1][1]:
                    kept.append(sp)
            hits[name] = kept
        return hits
