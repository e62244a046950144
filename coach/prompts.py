"""Prompt templates: built-in files in `prompts/`, overridable by the trainer's own folder.

Templates are plain text with `$name` placeholders (string.Template), so a trainer can edit
them without learning a templating language, and a stray `{` in a template is harmless. The
hash of each template used is recorded in the transcript header.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass
from pathlib import Path

from coach.resources import builtin_dir


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    name: str
    text: str
    path: Path

    @property
    def sha(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:12]

    def render(self, **values: object) -> str:
        return string.Template(self.text).safe_substitute({k: str(v) for k, v in values.items()})


def load_prompt(name: str, user_dir: Path | None = None) -> PromptTemplate:
    """`name` without extension, e.g. "persona"; the user's `name.md` wins over the built-in."""
    for folder in (user_dir, builtin_dir("prompts")):
        if folder is None:
            continue
        path = folder / f"{name}.md"
        if path.is_file():
            return PromptTemplate(name, path.read_text(encoding="utf-8"), path)
    raise FileNotFoundError(f"no prompt template named {name!r}")
