"""A streamed reply ends showing exactly what a full parse of the final text shows.

`CounterpartMessage.finish` skips the full `Markdown.update()` when the streamed document
cannot differ from it; these tests stream many Markdown shapes in fragments of several sizes
and compare the widget tree with one built by a plain `update()` of the final text.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widget import Widget
from textual.widgets import Markdown

from coach.tui.widgets.messages import CounterpartMessage

DOCS = {
    "paragraphs": "First paragraph with **bold** and `code`.\n\nSecond one\nwraps a line.",
    "list": "Options:\n\n- one\n- two\n  continued\n\n- three (loose)\n\n1. a\n2. b\n",
    "fence_closed": "Look:\n\n```python\nx = 1\n\ny = 2\n```\n\nAfter the fence.",
    "fence_open": "Unclosed:\n\n```\nstill code\n\nmore code",
    "table": "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n\nBelow.",
    "setext": "Title\n=====\n\nText\n\nSub\n---\n",
    "quote": "> quoted\n> more\n\nnot quoted\n\n> again",
    "heading_then_list": "# Plan\n\n* a\n* b\n\n## Next\n\ntext",
    "rule_and_html": "above\n\n---\n\n<div>raw</div>\n\nbelow",
    "leading_blank": "\n\n  Indented less than four.\n\nMore.",
    "nested": "- a\n  - b\n    - c\n- d\n\n> - q\n>   1. r",
}
REFERENCES = "See [the doc][d] for more.\n\n[d]: https://example.com\n"


class Bubbles(App[None]):
    def compose(self) -> ComposeResult:
        yield CounterpartMessage("them", turn_id="C1")
        yield CounterpartMessage("them", turn_id="C2")


def signature(md: Markdown) -> list[tuple[str, str]]:
    """What the document shows: each block's class and content, in order."""

    def walk(widget: Widget) -> list[tuple[str, str]]:
        out = []
        for child in widget.children:
            shown = getattr(child, "_content", None)
            rows = getattr(child, "_rows", None)
            out.append((type(child).__name__, f"{shown}|{rows}"))
            out.extend(walk(child))
        return out

    return walk(md)


async def _stream_and_compare(text: str, size: int, final: str | None = None) -> Any:
    app = Bubbles()
    async with app.run_test(size=(80, 60)) as pilot:
        streamed, reference = app.query(CounterpartMessage).results(CounterpartMessage)
        stream = streamed.stream()
        for i in range(0, len(text), size):
            await stream.write(text[i : i + size])
            if i % (size * 3) == 0:
                await pilot.pause()
        await stream.stop()
        await streamed.finish(text if final is None else final)
        await reference.markdown.update(text if final is None else final)
        await pilot.pause()
        return signature(streamed.markdown), signature(reference.markdown)


@pytest.mark.parametrize("name", sorted(DOCS))
@pytest.mark.parametrize("size", [1, 4, 17, 1000])
async def test_streamed_reply_matches_a_full_parse(name: str, size: int) -> None:
    shown, expected = await _stream_and_compare(DOCS[name], size)
    assert shown == expected


async def test_final_text_differing_from_the_stream_is_reparsed() -> None:
    # The session strips the final text; four leading spaces made a code block while streaming.
    shown, expected = await _stream_and_compare("    code?\n\ntext", 3, final="code?\n\ntext")
    assert shown == expected


async def test_link_references_are_reparsed() -> None:
    shown, expected = await _stream_and_compare(REFERENCES, 5)
    assert shown == expected
