"""Unsent drafts: what the learner typed but has not sent survives a crash or a quit.

A sent turn lives in the transcript; a draft is not a turn, so it never goes there. It is
kept beside the transcript (`SESSION.jsonl` -> `SESSION.draft`), written whole (a
temporary file renamed over the old one, so a crash mid-write leaves the previous draft),
and removed once the text is sent or the input is emptied. Continuing the session puts it
back in the input. A draft that cannot be written is not an error: the input still holds it.
"""

from __future__ import annotations

import os
from pathlib import Path

SUFFIX = ".draft"  # not .txt: `coach replay FOLDER` reads .txt files as transcripts


def draft_path(transcript: Path) -> Path:
    return transcript.with_name(transcript.stem + SUFFIX)


def save_draft(transcript: Path, text: str) -> bool:
    """Keep `text` as the session's draft (an empty one removes it); False if it failed."""
    if not text.strip():
        return clear_draft(transcript)
    path = draft_path(transcript)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        return False
    return True


def load_draft(transcript: Path) -> str | None:
    """The session's unsent draft, or None when there is none (or it cannot be read)."""
    try:
        text = draft_path(transcript).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return text if text.strip() else None


def clear_draft(transcript: Path) -> bool:
    try:
        draft_path(transcript).unlink(missing_ok=True)
    except OSError:
        return False
    return True
