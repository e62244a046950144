"""The counterpart's message bubble: Markdown that streams, never opens links, and shows
model output literally (control characters as visible escapes).

Streaming goes through `Markdown.get_stream` (appends are batched, so cost stays linear),
fed by a `ReplyStream` that hands it text at most ~30 times a second: every append re-lays
out and scrolls the log, and at 1,000 tokens/s one append per token kept the CPU busy
painting frames nobody can read. The stream ends with one full `update()` only when the
incremental parse could differ from a full one (see `CounterpartMessage.finish`).
"""

from __future__ import annotations

import asyncio
import re

from markdown_it import MarkdownIt
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Markdown, Static
from textual.widgets._markdown import MarkdownTable

from coach.tui.literal import lit, visible
from coach.tui.widgets.title import TitleBar

__all__ = ["CounterpartMessage", "ReplyStream", "SafeMarkdown", "TitleBar", "next_refresh"]

# A line that may define a link reference (`[label]: url`): it changes how text elsewhere
# in the document parses, which an incremental parse does not see.
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]*\]:", re.MULTILINE)


class SafeMarkdown(Markdown):
    """Markdown whose links are inert (a click on a model-written link does nothing) and
    whose HTML-looking text (`<s>`, `<b>x</b>`) is shown as typed, not parsed as HTML.

    One parser per widget (Textual builds a new `MarkdownIt` for every append, ~1 ms each
    on a slow core); the widget's lock keeps its parses one at a time.
    """

    def __init__(self, markdown: str = "", *, classes: str | None = None) -> None:
        self._parser: MarkdownIt | None = None
        self.restructured = False
        self._appending = 0
        self._appended = asyncio.Event()
        self._appended.set()
        super().__init__(
            visible(markdown), open_links=False, classes=classes, parser_factory=self._get_parser
        )

    def _get_parser(self) -> MarkdownIt:
        if self._parser is None:
            # "gfm-like" parses raw HTML, which Textual then drops: a model's "<s>" or
            # "<script>…</script>" vanished from the reply. Without it they are text.
            self._parser = MarkdownIt("gfm-like", {"html": False})
        return self._parser

    def append(self, markdown: str) -> AwaitComplete:
        """`Markdown.append`, noting when a block had to be replaced by one of another kind.

        Textual swaps such a block (a `1` paragraph that became a list, a `-` list that became
        a rule) by removing it and mounting the new one, which can lose or misplace blocks;
        `restructured` then tells `finish` to re-parse the whole reply.
        """
        inner = super().append(markdown)
        self._appending += 1
        self._appended.clear()

        async def noting() -> None:
            try:
                before = list(self.children)
                await inner
                if any(block.parent is not self for block in before):
                    self.restructured = True
            finally:
                self._appending -= 1
                if not self._appending:
                    self._appended.set()

        return AwaitComplete(noting())

    async def appends_done(self) -> None:
        """Wait for appends still running: `MarkdownStream.stop()` does not wait for one that
        is in flight when it is stopped."""
        await self._appended.wait()

    async def _update_markdown(self, markdown: str) -> None:
        self.restructured = False
        await self.update(markdown)

    def exactly_streamed(self, final: str) -> bool:
        """Whether the streamed blocks are what a full parse of `final` gives."""
        return (
            not self.restructured
            and _same_document(self.source, final)
            and not _REFERENCE_DEFINITION.search(final)
            and not self.query(MarkdownTable)
        )

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

    def stream(self) -> ReplyStream:
        return ReplyStream(self.markdown)

    async def finish(self, text: str) -> None:
        """Show the final text: a full update only if the streamed document could differ.

        The stream re-parses from the start of the last block on every append, so what it
        shows is what a full parse shows unless the text differs from what was streamed or
        defines link references (which reach back to earlier blocks), a block had to be
        replaced by one of another kind, or it has a table (grown row by row). Re-parsing
        and re-mounting a long reply blocks the screen for a few hundred ms on a slow core.
        """
        self.text = text
        self.set_class(False, "-incomplete")
        shown = visible(text)
        md = self.markdown
        if md.exactly_streamed(shown):
            return
        await next_refresh(self)  # the streamed text paints first: the repair re-mounts every block
        await md._update_markdown(shown)

    async def reset(self) -> None:
        self.text = ""
        self.set_class(False, "-incomplete")
        await self.markdown._update_markdown("")

    def mark_incomplete(self, why: str) -> None:
        self.set_class(True, "-incomplete")
        self.query_one(".status", Static).update(lit(why))


async def next_refresh(widget: Widget) -> None:
    """Return once the screen has refreshed with what is already queued for `widget`."""
    refreshed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def done() -> None:
        if not refreshed.done():
            refreshed.set_result(None)

    widget.call_after_refresh(done)
    await refreshed


def _same_document(streamed: str, final: str) -> bool:
    """Equal but for surrounding whitespace that changes no block.

    The session strips the final text; leading blank lines and trailing whitespace never
    matter, and leading spaces only when they indent the first line into a code block.
    """
    if streamed.strip(_SPACE) != final.strip(_SPACE):
        return False
    for text in (streamed, final):
        indent = text[: len(text) - len(text.lstrip(_SPACE))].rsplit("\n", 1)[-1]
        if len(indent) >= 4 or "\t" in indent:
            return False
    return True


_SPACE = " \t\n"


class ReplyStream:
    """Feeds a `MarkdownStream` at most once per `interval` seconds.

    Fragments are collected and handed over together; the first goes at once, and `stop()`
    hands over what is left before stopping the Markdown stream, so nothing waits for the
    interval at the end of a reply.
    """

    def __init__(self, markdown: SafeMarkdown, interval: float = 1 / 30) -> None:
        self._markdown = markdown
        self._stream = Markdown.get_stream(markdown)
        self._interval = interval
        self._pending: list[str] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = asyncio.create_task(self._run())

    async def write(self, fragment: str) -> None:
        if fragment:
            self._pending.append(fragment)
            self._wake.set()

    def _take(self) -> str:
        text = "".join(self._pending)
        self._pending.clear()
        return text

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._stream.write(self._take())
            await asyncio.sleep(self._interval)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        await asyncio.wait([task])  # not `await task`: a cancel of stop() itself must go on
        rest = self._take()
        if rest:
            await self._stream.write(rest)
        await self._stream.stop()
        await self._markdown.appends_done()

    def close(self) -> None:
        """Stop without waiting (the reply was cancelled): what arrived stays shown."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
            self._closing = asyncio.ensure_future(self._stream.stop())
