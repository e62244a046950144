"""Reading JSON that users hand us (labels, turns to score, exported conversations) strictly.

Python's `json.loads` accepts `NaN`, `Infinity` and numbers too large for a float (`1e400`
becomes inf), none of which is JSON: echoed back they make our own output invalid JSON, and
fed to arithmetic they raise far from the line that caused them. It also raises
RecursionError (not a ValueError) on input nested a few thousand levels deep. `loads` turns
all of these into a `json.JSONDecodeError`, so every reader's existing "invalid JSON" path
reports them with the line they came from.
"""

from __future__ import annotations

import json
import math
from typing import Any


class StrictJSONError(json.JSONDecodeError):
    """Input Python's json would take but JSON does not allow; `msg` says what."""

    def __str__(self) -> str:
        # The position is unknown for these (the decoder does not pass it on), so do not
        # print the "line 1 column 1 (char 0)" the base class would make up.
        return self.msg


class _Rejected(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _Rejected(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Rejected(f"number {text[:40]} is too large")
    return value


def loads(text: str | bytes) -> Any:
    """`json.loads`, refusing NaN/Infinity, out-of-range numbers and too-deep nesting with a
    `json.JSONDecodeError` (UnicodeDecodeError from bytes passes through as before)."""
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except _Rejected as exc:
        raise StrictJSONError(str(exc), "", 0) from None
    except RecursionError:
        raise StrictJSONError("nested too deeply", "", 0) from None
