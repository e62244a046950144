"""Untrusted text made safe for a terminal: control characters shown, never obeyed.

Model output, scenario files, transcripts, file names and exception messages may carry escape
sequences that clear the screen, retitle the window or recolour what follows. Everything
coach prints goes through `visible` (the TUI through `coach.tui.literal`, the command line
through `LiteralStream` on stdout and `coach.commands._common.error` on stderr).
"""

from __future__ import annotations

import io
import json
import re
from typing import TextIO

# C0 controls except tab and newline, DEL, and C1 controls (which include CSI, 0x9b).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def visible(text: str) -> str:
    """`text` with control characters (ESC of ANSI sequences included) as visible `\\xNN`."""
    text = text.replace("\r\n", "\n")
    return _CONTROL.sub(_escape, text)


# `json.dumps` escapes C0 controls itself, but writes DEL and the C1 range (CSI is 0x9b) raw
# when `ensure_ascii` is off, and `visible` would then turn them into invalid `\\x9b` escapes.
_RAW_IN_JSON = re.compile(r"[\x7f-\x9f]")


def safe_json(value: object, *, indent: int | None = None) -> str:
    """JSON text (UTF-8 kept) with every control character escaped as `\\u00NN`: valid JSON,
    and nothing in it a terminal would obey."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


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
