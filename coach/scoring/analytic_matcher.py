"""One-pass phrase matching for the analytic scorer.

Running twenty large case-insensitive alternations over every reply costs ~1 ms a turn: the
regex engine tries every phrase at every character. This matcher lowercases once, visits only
word starts, and at each one runs a single precompiled pattern holding just the lexicons whose
phrases can begin with that letter (each lexicon inside its own lookahead, so overlapping
behaviours are all reported). That keeps the whole scorer well above 10,000 turns a second.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

try:  # Python 3.11+: the parser moved under re; it is stable across 3.11-3.13.
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse as _sre_parse

Span = tuple[int, int]

_WORD_START = re.compile(r"(?<![\w'])\w")
_TOKEN = re.compile(r"\w+(?:'\w+)*")
_MAX_EXPANSIONS = 64


@cache
def _parse(p: str) -> Any:
    """sre's parse tree of a phrase pattern; the matcher's helpers each walk it, parse once."""
    return _sre_parse.parse(p)


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


_T = TypeVar("_T")


def _group_parts(
    name: str, av: Any, expand: Callable[[Any], list[_T] | None], empty: _T
) -> list[_T] | None:
    """Expansions of a group, an alternation or an optional item (None for anything else)."""
    if name == "SUBPATTERN":
        return expand(av[-1])
    if name == "BRANCH":
        out: list[_T] = []
        for branch in av[1]:
            sub = expand(branch)
            if sub is None:
                return None
            out.extend(sub)
        return out
    if name in ("MAX_REPEAT", "MIN_REPEAT") and av[0] == 0 and av[1] == 1:
        sub = expand(av[2])
        return None if sub is None else [empty, *sub]
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
        else:
            group = _group_parts(name, av, _expand, ("", False))
            if group is None:
                return None
            part = group
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
        states = _expand(_parse(p))
    except Exception:  # an unusual construct: fall back to the letter buckets
        return None
    if not states:
        return None
    words = frozenset(w for w, _ in states)
    if "" in words or any(not _TOKEN.fullmatch(w) for w in words):
        return None
    return words


_State = tuple[str, int, bool]  # text so far, words closed, inside a word


def _walk(seq: Any, states: list[_State], max_words: int) -> list[_State] | None:
    """Advance literal expansions through a parsed regex until `max_words` words are closed."""
    for op, av in seq:
        if all(closed >= max_words for _, closed, _ in states):
            break
        name = str(op)
        if name == "LITERAL":
            ch = chr(av).lower()
            word_char = ch.isalnum() or ch in "_'"
            nxt: list[_State] = []
            for text, closed, inside in states:
                if closed >= max_words:
                    nxt.append((text, closed, inside))
                elif word_char:
                    nxt.append((text + ch, closed, True))
                elif inside:
                    nxt.append((text + " ", closed + 1, False))
                else:
                    nxt.append((text, closed, inside))
            states = nxt
        elif name == "SUBPATTERN":
            sub = _walk(av[-1], states, max_words)
            if sub is None:
                return None
            states = sub
        elif name == "BRANCH":
            acc: list[_State] = []
            for branch in av[1]:
                sub = _walk(branch, states, max_words)
                if sub is None:
                    return None
                acc.extend(sub)
            states = acc
        elif name in ("MAX_REPEAT", "MIN_REPEAT") and av[0] == 0 and av[1] == 1:
            sub = _walk(av[2], states, max_words)
            if sub is None:
                return None
            states = states + sub
        else:
            # Not a literal: whatever it matches is unknown ("\0"); the states end here.
            states = [
                st if st[1] >= max_words else (st[0] + "\0", max_words, False) for st in states
            ]
        if len(states) > 4 * _MAX_EXPANSIONS:
            return None
    return states


def second_words(p: str) -> dict[str, frozenset[str] | None] | None:
    """A phrase's possible second words, keyed by its first word.

    A first word maps to None when some expansion after it is a single word or not literal;
    the whole answer is None when the first words themselves are not a small literal set.
    """
    try:
        states = _walk(_parse(p), [("", 0, False)], 2)
    except Exception:
        return None
    if not states:
        return None
    out: dict[str, set[str] | None] = {}
    for text, closed, inside in states:
        parts = text.split()
        if not parts or "\0" in parts[0]:
            return None
        first = parts[0]
        if closed + inside < 2 or len(parts) < 2 or "\0" in parts[1]:
            out[first] = None
            continue
        seconds = out.setdefault(first, set())
        if seconds is not None:
            seconds.add(parts[1])
    return {w: (frozenset(v) if v is not None else None) for w, v in out.items()}


def single_words(p: str) -> frozenset[str] | None:
    """The words a one-word phrase pattern matches exactly ("sorry", "worr(?:y|ied)"), else None.

    Such phrases need no regex at all: a dictionary lookup of each token finds them.
    """
    try:
        states = _expand(_parse(p))
    except Exception:
        return None
    if not states or any(ended for _, ended in states):
        return None
    words = frozenset(w for w, _ in states)
    if any(not _TOKEN.fullmatch(w) for w in words):
        return None
    return words


# Token boundaries exactly as `_TOKEN` draws them: not inside a word, not after "word'".
_TOKEN_START = r"(?<!\w)(?<!\w')"
_TOKEN_END = r"(?!\w|'\w)"


def _trie(words: Mapping[str, str], end: str) -> str:
    """Alternation of the keys of `words` as a trie (each key followed by its suffix + `end`).

    Keys share prefixes, so the engine compares each character once instead of trying
    hundreds of alternatives one after another. At each node longer continuations come
    before the key that ends there, and backtracking still reaches the shorter one.
    """
    trie: dict[str, Any] = {}
    for w, suffix in words.items():
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = suffix

    def emit(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if "" in node:
            alts.append(node[""] + end)
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"

    return emit(trie)


def _trie_regex(words: Mapping[str, str]) -> str:
    """One regex matching any key of `words` as a whole token (followed by its suffix)."""
    return _TOKEN_START + _trie(words, _TOKEN_END)


_MAX_LITERALS = 4096


def _literals(seq: Any) -> list[str] | None:
    """Every exact string a parsed regex matches, or None when that is not a small finite set."""
    states = [""]
    for op, av in seq:
        name = str(op)
        if name == "LITERAL":
            part = [chr(av)]
        elif name == "IN" and all(str(o) == "LITERAL" for o, _ in av):
            part = [chr(a) for _, a in av]
        else:
            group = _group_parts(name, av, _literals, "")
            if group is None:
                return None
            part = group
        states = [pre + text for pre in states for text in part]
        if len(states) > _MAX_LITERALS:
            return None
    return states


def literal_expansions(p: str) -> list[str] | None:
    """The exact strings phrase pattern `p` matches ("(?:so )?sorry" -> sorry, so sorry)."""
    try:
        return _literals(_parse(p))
    except Exception:  # an unusual construct: keep it as a regex
        return None


def _gate(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """A cheap character test that must pass before a residual pattern can match.

    Residual phrases start with a digit or a currency sign (amounts, durations); skipping the
    full scan when the text has neither saves most of its cost.
    """
    if all(p.startswith(("\\d", "[$")) for p in patterns):
        return re.compile(r"[\d$€£]")
    return None


_Entry = tuple[re.Pattern[str], tuple[str, ...]]


class _LazyPatterns(dict[str, _Entry | None]):
    """Per-first-word patterns, compiled the first time a text contains that word.

    Compiling all of them up front doubled the import time of the scorer (to ~0.7 s on a slow
    core) for words most runs never meet; a command that scores a handful of turns now pays
    only for the words it sees. Unknown words map to None.
    """

    def __init__(
        self,
        groups: dict[str, dict[str, list[str]]],
        combine: Callable[[dict[str, list[str]], str], _Entry],
    ) -> None:
        super().__init__()
        self._groups = groups
        self._combine = combine

    def __missing__(self, word: str) -> _Entry | None:
        groups = self._groups.get(word)
        if groups is None:
            return None
        entry = self[word] = self._combine(groups, word)
        return entry


def _record_at(
    hits: dict[str, list[Span]],
    low: str,
    m: re.Match[str],
    whole: tuple[str, ...] | None,
    entry: _Entry | None,
) -> None:
    """Add the hits at token `m`: lexicons that list the word itself, then its phrases."""
    if whole is not None:
        sp = m.span()
        for name in whole:
            got = hits.get(name)
            if got is None:
                hits[name] = [sp]
            else:
                got.append(sp)
    if entry is None:
        return
    pat, names = entry
    mm = pat.match(low, m.start())
    # `lastindex` is None when no lexicon matched here: the common case, kept cheap.
    if mm is None or mm.lastindex is None:
        return
    regs = mm.regs
    for i, name in enumerate(names, 1):
        s, e = regs[i]
        if e > s >= 0:
            hits.setdefault(name, []).append((s, e))


class PhraseMatcher:
    """Finds every lexicon phrase in a text, returning spans per lexicon name."""

    def __init__(self, lexicons: Mapping[str, Sequence[str]]) -> None:
        self.names = tuple(lexicons)
        by_letter: dict[str, dict[str, list[str]]] = {}
        by_word: dict[str, dict[str, list[str]]] = {}
        residual: dict[str, list[str]] = {}
        exact: dict[str, list[str]] = {}
        # Multi-word phrases can only match where the next token is one of their second words.
        gates: dict[str, set[str]] = {}
        ungated: set[str] = set()
        for name, patterns in lexicons.items():
            for p in patterns:
                whole = single_words(p)
                if whole is not None:
                    for w in whole:
                        names = exact.setdefault(w, [])
                        if name not in names:
                            names.append(name)
                    continue
                words = first_words(p)
                if words is not None:
                    pairs = second_words(p)
                    for w in words:
                        nexts = pairs.get(w) if pairs is not None else None
                        if nexts is None:
                            ungated.add(w)
                        else:
                            gates.setdefault(w, set()).update(nexts)
                        by_word.setdefault(w, {}).setdefault(name, []).append(p)
                    continue
                letters = first_letters(p)
                if letters is None:
                    residual.setdefault(name, []).append(p)
                    continue
                for ch in letters:
                    by_letter.setdefault(ch, {}).setdefault(name, []).append(p)
        self._by_letter = {ch: self._combine(g) for ch, g in by_letter.items()}
        self._by_word = _LazyPatterns(by_word, self._combine)
        self._exact = {w: tuple(ns) for w, ns in exact.items()}
        self._gates = {w: frozenset(g) for w, g in gates.items() if w not in ungated}
        # Only tokens that can start a phrase are visited at all, found by one C-level scan;
        # a multi-word phrase's first word must be followed by one of its second words.
        keys: dict[str, str] = {w: "" for w in exact}
        for w in by_word:
            g = self._gates.get(w)
            if w in exact or g is None:
                keys[w] = ""
            else:
                seconds = "|".join(map(re.escape, sorted(g)))
                keys[w] = rf"(?=\W+(?:{seconds}){_TOKEN_END})"
        self._scan = re.compile(_trie_regex(keys)) if keys and not by_letter else None
        self._residual = tuple(
            (
                name,
                re.compile(rf"(?<![\w'])(?:{'|'.join(f'(?:{p})' for p in pats)}){_END}"),
                _gate(pats),
            )
            for name, pats in residual.items()
        )

    @staticmethod
    def _combine(
        groups: dict[str, list[str]], first: str | None = None
    ) -> tuple[re.Pattern[str], tuple[str, ...]]:
        # Each lexicon in its own optional lookahead: one match call reports all of them.
        # Phrases that expand to a finite set of strings (almost all) become one trie per
        # lexicon; the regex engine would otherwise try every phrase in turn at every hit.
        names = tuple(groups)
        parts = []
        for n in names:
            literal: dict[str, str] = {}
            other: list[str] = []
            for p in groups[n]:
                lits = literal_expansions(p)
                if lits is None or "" in lits:
                    other.append(p)
                    continue
                for lit in lits:
                    if first is None or lit.startswith(first):
                        literal[lit] = ""
            alts = ([_trie(literal, "")] if literal else []) + [f"(?:{p})" for p in other]
            parts.append("(?:(?=((?:" + "|".join(alts) + f"){_END})))?")
        return re.compile("".join(parts)), names

    def find(self, text: str) -> dict[str, list[Span]]:
        """Spans of each lexicon's matches in `text` (offsets into `text`)."""
        low = text.lower()
        if len(low) != len(text):
            # A few characters lowercase to two (e.g. "İ"): keep offsets aligned.
            low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        return self.find_lower(low)

    def warm(self) -> None:
        """Compile every word's pattern now, yielding the interpreter between words.

        They compile on first use (see `_LazyPatterns`): tens of ms per word, about 1 s for
        all on a slow core. A session calls this in a background thread while the learner
        reads and types, so no turn, and not the debrief's rewrites (new words, scored at
        once), pays for a first compile.
        """
        for word in list(self._by_word._groups):
            self._by_word[word]  # `__missing__` compiles and stores it
            time.sleep(0)  # let the UI thread run between compiles

    def find_lower(self, low: str) -> dict[str, list[Span]]:
        """`find` on text the caller already lowercased (offsets unchanged)."""
        hits: dict[str, list[Span]] = {}
        by_letter = self._by_letter
        by_word = self._by_word
        exact = self._exact
        gates = self._gates
        scan = self._scan
        if scan is not None:
            for m in scan.finditer(low):
                tok = m.group()
                _record_at(hits, low, m, exact.get(tok), by_word[tok])
        toks = _TOKEN.findall(low) if scan is None else []
        n_toks = len(toks)
        for i, m in enumerate(_TOKEN.finditer(low) if scan is None else ()):
            tok = toks[i]
            entry = by_word[tok]
            if entry is None and by_letter:
                entry = by_letter.get(tok[0])
            gate = gates.get(tok)
            if gate is not None and (i + 1 >= n_toks or toks[i + 1] not in gate):
                entry = None  # a multi-word phrase needs one of its second words next
            _record_at(hits, low, m, exact.get(tok), entry)
        for name, rx, char_gate in self._residual:
            if char_gate is not None and char_gate.search(low) is None:
                continue
            for m in rx.finditer(low):
                if m.end() > m.start():
                    hits.setdefault(name, []).append(m.span())
        for name, spans in hits.items():
            if len(spans) < 2:
                continue
            # Keep the outermost span: "I am so sorry" rather than also "so sorry".
            spans.sort(key=lambda sp: (sp[0], -sp[1]))
            kept: list[Span] = []
            for sp in spans:
                if not kept or sp[1] > kept[-1][1]:
                    kept.append(sp)
            hits[name] = kept
        return hits
