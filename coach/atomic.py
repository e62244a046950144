"""Files replaced whole: a reader, or a crash mid-write, sees the old content or the new.

Config, a submitted batch's state and the judge's remembered response formats are rewritten
in place from time to time; a torn write would lose the learner's settings or a paid batch.
The text goes to a temporary file beside the target (one file system, so the rename is
atomic), which then replaces it. The file is private to the user (0600, as `mkstemp` makes
it): config.toml may hold a key someone put there by hand.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8) in one step; its folder must exist."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
