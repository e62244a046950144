"""Where the built-in scenarios and prompt templates are, installed or in a checkout.

A wheel ships them under `coach/_builtin/` (see pyproject's force-include); an editable
install or a source checkout reads the top-level folders directly, so trainers can edit them
in place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

BuiltinKind = Literal["scenarios", "prompts"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def builtin_dir(kind: BuiltinKind) -> Path:
    installed = _PACKAGE_DIR / "_builtin" / kind
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / kind
