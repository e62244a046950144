"""The counterpart's message bubble: Markdown that streams, never opens links, and shows
model output literally (control characters as visible escapes).

Streaming goes through `Markdown.get_stream` (appends are batched, so cost stays linear) and
ends with one full `update()` that repairs anything the incremental parse left open.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Markdown, Static
from textual.widgets._markdown import MarkdownStream

from coach.tui.literal import lit, one_line, visible


class SafeMarkdown(Markdown):
    """Markdown whose links are inert: a click on a model-written link does nothing."""

    def __init__(self, markdown: str = "", *, classes: str | None = None) -> None:
        super().__init__(visible(markdown), open_links=False, classes=classes)

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        event.prevent_default()


class CounterpartMessage(Vertical):
    """One counterpart turn; `stream()` gives a MarkdownStream, `finish()` the final text."""

    DEFAULT_CSS = """
    CounterpartMessage { height: auto; margin: 0 0 1 0; padding: 0 1;
        border-left: thick $secondary; background: $boost; }
    CounterpartMessage > .who { color: $text-muted; text-style: bold; }
    CounterpartMessage > SafeMarkdown { margin: 0; padding: 0; background: transparent; }
    CounterpartMessage > SafeMarkdown > * { margin: 0 0 0 0; }
    CounterpartMessage > .status { color: $warning; text-style: italic; display: none; }
    CounterpartMessage.-incomplete > .status { display: block; }
    """

    def __init__(self, who: str, text: str = "", *, turn_id: str = "") -> None:
        super().__init__(classes="counterpart")
        self.who = who
        self.initial = text
        self.turn_id = turn_id
        self.text = text

    def compose(self) -> ComposeResult:
        yield Static(lit(self.who), classes="who", markup=False)
        yield SafeMarkdown(self.initial)
        yield Static("", classes="status", markup=False)

    @property
    def markdown(self) -> SafeMarkdown:
        return self.query_one(SafeMarkdown)

    def stream(self) -> MarkdownStream:
        return Markdown.get_stream(self.markdown)

    async def finish(self, text: str) -> None:
        """One full update with the final text (closes fences the stream left open)."""
        self.text = text
        self.set_class(False, "-incomplete")
        await self.markdown.update(visible(text))

    async def reset(self) -> None:
        self.text = ""
        self.set_class(False, "-incomplete")
        await self.markdown.update("")

    def mark_incomplete(self, why: str) -> None:
        self.set_class(True, "-incomplete")
        self.query_one(".status", Static).update(lit(why))


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
