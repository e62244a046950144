"""Untrusted text made safe for a terminal: control characters shown, never obeyed.

Model output, scenario files, transcripts, file names and exception messages may carry escape
sequences that clear the screen, retitle the window or recolour what follows, and Unicode
bidirectional overrides that make a reader see "live" where the text says "evil". Everything
coach prints goes through `visible` (the TUI through `coach.tui.literal`, the command line
through `LiteralStream` on stdout and `coach.commands._common.error` on stderr). Text placed
in Markdown goes through `markdown_literal` as well, so it reads as written.
"""

from __future__ import annotations

import io
import json
import re
from typing import TextIO

# C0 controls except tab and newline, DEL, C1 controls (which include CSI, 0x9b), and the
# bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with control characters (ESC of ANSI sequences included) as visible `\\xNN`."""
    text = text.replace("\r\n", "\n")
    return _CONTROL.sub(_escape, text)


# `json.dumps` escapes C0 controls itself, but writes DEL and the C1 range (CSI is 0x9b) raw
# when `ensure_ascii` is off, and `visible` would then turn them into invalid `\\x9b` escapes.
_RAW_IN_JSON = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe_json(value: object, *, indent: int | None = None) -> str:
    """JSON text (UTF-8 kept) with every control character escaped as `\\u00NN`: valid JSON,
    and nothing in it a terminal would obey."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# CommonMark lets a backslash escape any ASCII punctuation; these make emphasis, code, links,
# images, raw HTML, entities, tables and strikethrough.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~!&])")
# At the start of a line: headings, lists, quotes, thematic breaks, setext underlines.
_MD_LINE_START = re.compile(r"^(\s*)([#+=-])", re.MULTILINE)
_MD_ORDERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)  # "1." and "1)": escape the mark


def markdown_literal(text: str) -> str:
    """`text` (made `visible`) as Markdown that renders as exactly this text: no emphasis,
    link, image, HTML or heading can come out of a learner's or a model's words."""
    escaped = _MD_INLINE.sub(r"\\\1", visible(text))
    escaped = _MD_LINE_START.sub(r"\1\\\2", escaped)
    return _MD_ORDERED.sub(r"\1\\\2", escaped)


class LiteralStream(io.TextIOBase):
    """A text stream that writes `visible(text)` to the stream it wraps."""

    def __init__(self, inner: TextIO) -> None:
        super().__init__()
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(visible(text))
        return len(text)

    def flush(self) -> None:
        self.inner.flush()

    def fileno(self) -> int:
        return self.inner.fileno()

    def isatty(self) -> bool:
        return self.inner.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.inner.encoding
