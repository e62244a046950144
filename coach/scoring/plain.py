"""The counterpart's Markdown as the plain words a tip or a rewrite quotes back.

A model's reply carries emphasis, code spans, headings, quotes and list bullets. Feedback that
quotes it ("When you say "- I still want **fair**"") should quote what they said, not how it
was typeset.
"""

from __future__ import annotations

import re

__all__ = ["plain_words"]

_SPAN = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")
_LINE_START = re.compile(r"^[ \t]{0,3}(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|\d+[.)][ \t]+)", re.M)


def plain_words(markdown: str) -> str:
    """`markdown` without emphasis/code markers and line-start block markers."""
    if "*" not in markdown and "_" not in markdown and "`" not in markdown:
        # No emphasis or code can be there: one pass instead of three (the scorer reads
        # every counterpart turn through here).
        if "\n" not in markdown:  # one line: only its start can be a block marker
            m = _LINE_START.match(markdown)
            return markdown if m is None else markdown[m.end() :]
        return _LINE_START.sub("", markdown)
    text = _LINE_START.sub("", markdown)
    for _ in range(2):  # "**bold with `code`**"
        text = _SPAN.sub(r"\2", text)
    return text
