"""Turn untrusted strings into `Text`/`Content` that render exactly as typed.

Model output, scenario files, transcripts and exception messages may contain Rich markup
(`[bold]`, `[@click=app.quit]`) or terminal escape sequences. Interpreted, they crash the app
(MarkupError), trigger actions, or repaint the terminal. Every widget in coach.tui shows such
text through these helpers, never through an f-string of markup.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.content import Content

from coach.printable import visible

__all__ = ["content", "join", "lit", "one_line", "visible"]


def one_line(text: str, limit: int | None = None) -> str:
    """`visible(text)` on a single line, optionally cut to `limit` characters with an ellipsis."""
    flat = " ".join(visible(text).split())
    if limit is not None and len(flat) > limit:
        return flat[: max(limit - 1, 0)] + "…"
    return flat


def lit(text: str, style: str | Style = "") -> Text:
    """A Rich `Text` showing `text` literally (no markup, no escape sequences)."""
    return Text(visible(text), style=style, end="")


def content(text: str, style: str = "") -> Content:
    """A Textual `Content` showing `text` literally."""
    shown = Content(visible(text))
    return shown.stylize(style) if style else shown


def join(*parts: str | Text | tuple[str, str]) -> Text:
    """Assemble a line from trusted plain strings, `(untrusted, style)` pairs and `Text`.

    Plain strings are also added as literal text: markup is never parsed here.
    """
    out = Text(end="")
    for part in parts:
        if isinstance(part, Text):
            out.append_text(part)
        elif isinstance(part, tuple):
            out.append(visible(part[0]), style=part[1] or None)
        else:
            out.append(visible(part))
    return out
