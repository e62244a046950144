"""The one-line title bar every screen starts with (kept apart from the Markdown bubble so the
first screen paints without importing Markdown, markdown-it and Pygments)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from coach.tui.literal import lit, one_line


class TitleBar(Static):
    """A one-line title: app name and the screen's subject (literal; no clock, so snapshots
    are stable)."""

    DEFAULT_CSS = """
    TitleBar { height: 1; background: $panel; color: $text; padding: 0 1; text-style: bold; }
    """

    def __init__(self, subject: str = "") -> None:
        super().__init__("", markup=False)
        self.set_subject(subject)

    def set_subject(self, subject: str) -> None:
        out = Text("◆ coach", style="bold")
        if subject:
            out.append("  ·  ", style="dim")
            out.append_text(lit(one_line(subject, 100)))
        self.update(out)
