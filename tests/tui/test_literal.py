"""Untrusted text is shown literally: markup, click actions and ANSI escapes do nothing.

Covers a streamed counterpart reply, a scenario title from the user's folder and an error
message, each carrying `[bold]x[/bold]`, `[/`, `[@click=app.quit]q[/]` and `\\x1b[31mred\\x1b[0m`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from textual.widgets import Markdown, OptionList, Static, TextArea

from coach.llm.base import ChatMessage, ReplyResult, Usage
from coach.llm.errors import LLMError
from coach.tui.app import CoachApp
from coach.tui.literal import content, lit, visible
from coach.tui.screens.briefing import BriefingScreen
from coach.tui.screens.conversation import ConversationScreen
from coach.tui.screens.picker import PickerScreen
from coach.tui.widgets.messages import CounterpartMessage
from tests.tui._history_helpers import plain, text_of
from tests.tui.conftest import open_conversation

WaitUntil = Any
NASTY = "[bold]x[/bold] and [/ and [@click=app.quit]q[/] and \x1b[31mred\x1b[0m"
SHOWN = ["[bold]x[/bold]", "[/", "[@click=app.quit]q[/]", "\\x1b[31mred\\x1b[0m"]


class NastyBackend:
    """Streams NASTY in small pieces, or fails with it as the message."""

    name = "fake"
    model = "[bold]model[/]"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def stream_reply(self, messages: list[ChatMessage]) -> Any:
        return _Stream(NASTY, self.fail)

    async def complete(self, messages: list[ChatMessage]) -> str:
        return NASTY

    async def aclose(self) -> None:
        return None


class _Stream:
    def __init__(self, text: str, fail: bool) -> None:
        self.text, self.fail = text, fail
        self.result = ReplyResult(finish_reason="stop", usage=Usage(1, 2))

    def __aiter__(self) -> AsyncIterator[str]:
        return self._gen()

    async def _gen(self) -> AsyncIterator[str]:
        for i in range(0, len(self.text), 3):
            yield self.text[i : i + 3]
        if self.fail:
            raise LLMError(NASTY)


def test_helpers_render_literally() -> None:
    assert lit(NASTY).plain == visible(NASTY)
    assert content(NASTY).plain == visible(NASTY)
    for part in SHOWN:
        assert part in visible(NASTY)
    assert "\x1b" not in visible(NASTY)


def markdown_text(md: Markdown) -> str:
    return "\n".join(str(block._content) for block in md.children if hasattr(block, "_content"))


async def _conversation(app: CoachApp, pilot: Any, until: WaitUntil) -> ConversationScreen:
    return await open_conversation(app, pilot)


async def test_streamed_reply_is_literal(
    make_app: Callable[..., CoachApp], until: WaitUntil
) -> None:
    app = make_app(backend=NastyBackend())
    async with app.run_test(size=(120, 35)) as pilot:
        conv = await _conversation(app, pilot, until)
        conv.query_one("#input", TextArea).insert("Tell me more [b]please[/b]")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "C1" in conv.bubbles and conv.bubbles["C1"].text != "")
        md = conv.bubbles["C1"].markdown
        await until(pilot, lambda: "red" in markdown_text(md), "reply rendered")
        shown = markdown_text(md)
        for part in ("[bold]x[/bold]", "[@click=app.quit]q[/]", "\\x1b[31mred"):
            assert part in shown, (part, shown)
        # Clicking the reply triggers nothing; the app is still running.
        await pilot.click(CounterpartMessage, offset=(20, 1))
        await pilot.pause()
        assert app.is_running and app.return_code is None
        learner = str(conv.views["L1"].query_one(".turn-text", Static).render())
        assert "Tell me more [b]please[/b]" in learner
        status = str(conv.query_one("#status", Static).render())
        assert "[bold]model[/]" in status


async def test_error_message_is_literal(
    make_app: Callable[..., CoachApp], until: WaitUntil
) -> None:
    app = make_app(backend=NastyBackend(fail=True))
    async with app.run_test(size=(120, 35)) as pilot:
        conv = await _conversation(app, pilot, until)
        conv.query_one("#input", TextArea).insert("Hello")
        await pilot.press("ctrl+s")
        notice = conv.query_one("#notice")
        await until(pilot, lambda: notice.display, "error notice")
        text = str(conv.query_one("#notice-text", Static).render())
        for part in SHOWN:
            assert part in text, (part, text)
        assert app.is_running and app.return_code is None


async def test_scenario_title_is_literal(
    make_app: Callable[..., CoachApp], until: WaitUntil, user_scenario: Callable[[str], Path]
) -> None:
    user_scenario(NASTY.replace("\x1b", "\x1b"))
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        await until(pilot, lambda: "my-scenario" in picker.visible_ids, "user scenario listed")
        options = picker.query_one("#scenarios", OptionList)
        index = picker.visible_ids.index("my-scenario")
        prompt = text_of(options.get_option_at_index(index).prompt)
        for part in [*SHOWN[:3], "\\x1b[31"]:  # the list cuts long titles
            assert part in prompt, (part, prompt)
        options.highlighted = index
        await until(pilot, lambda: "[@click" in plain(picker.query_one("#preview-body")))
        options.action_select()
        await until(pilot, lambda: isinstance(app.screen, BriefingScreen))
        body = plain(app.screen.query_one("#briefing-body", Static))
        for part in SHOWN:
            assert part in body
        await pilot.click("#briefing-body", offset=(5, 0))
        assert app.is_running and app.return_code is None


async def test_the_html_debrief_escapes_what_the_learner_typed(tmp_path: Path) -> None:
    from coach.library import resolve_scenario
    from coach.llm.offline import OfflineBackend
    from coach.scoring.analytic import AnalyticScorer
    from coach.session import Session
    from coach.tui.screens.debrief import DebriefScreen

    scenario = resolve_scenario("salary-offer-negotiation").scenario
    session = Session(
        scenario, OfflineBackend(scenario, seed=1), AnalyticScorer(), tmp_path / "t.jsonl", seed=1
    )
    await session.start()
    hostile = "<script>alert(1)</script> [site](javascript:alert(2)) <img src=x onerror=alert(3)>"
    await session.send(hostile).run()
    page = DebriefScreen(session, await session.debrief()).html_page()
    await session.aclose()
    assert "<script>alert" not in page and "<img" not in page and "<a " not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; [site](javascript:alert(2))" in page


async def test_exported_debriefs_keep_the_learners_punctuation(tmp_path: Path) -> None:
    # A tester's "*star*" came out of the HTML export as emphasis, and "# heading" or a "<b>"
    # in the .md was formatting or HTML in any Markdown viewer.
    from markdown_it import MarkdownIt

    from coach.library import resolve_scenario
    from coach.llm.offline import OfflineBackend
    from coach.scoring.analytic import AnalyticScorer
    from coach.session import Session
    from coach.tui.screens.debrief import DebriefScreen

    scenario = resolve_scenario("salary-offer-negotiation").scenario
    session = Session(
        scenario, OfflineBackend(scenario, seed=1), AnalyticScorer(), tmp_path / "t.jsonl", seed=1
    )
    await session.start()
    await session.send("<b>bold</b> & *star* | _under_ ![i](http://evil/x.png)\n# heading").run()
    screen = DebriefScreen(session, await session.debrief())
    markdown, page = screen.markdown(), screen.html_page()
    await session.aclose()
    rendered = MarkdownIt("commonmark", {"html": True}).render(markdown)
    for html_text in (page, rendered):
        assert "<em>" not in html_text and "<img" not in html_text and "<b>" not in html_text
        assert "<h1>heading" not in html_text and "<h1>\nheading" not in html_text
    assert "*star* | _under_ ![i](http://evil/x.png)" in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; *star*" in page


async def test_exported_debriefs_show_escape_sequences_instead_of_carrying_them(
    tmp_path: Path,
) -> None:
    from coach.library import resolve_scenario
    from coach.llm.offline import OfflineBackend
    from coach.scoring.analytic import AnalyticScorer
    from coach.session import Session
    from coach.tui.screens.debrief import DebriefScreen

    scenario = resolve_scenario("salary-offer-negotiation").scenario
    session = Session(
        scenario, OfflineBackend(scenario, seed=1), AnalyticScorer(), tmp_path / "t.jsonl", seed=1
    )
    await session.start()
    await session.send(f"So the offer worries you {NASTY}?").run()
    screen = DebriefScreen(session, await session.debrief())
    markdown, page = screen.markdown(), screen.html_page()
    await session.aclose()
    for exported in (markdown, page):
        assert "\x1b" not in exported  # `cat` of the file must not recolour the terminal
    # Shown as text: Markdown-escaped in the .md, as it reads once rendered in the page.
    assert "\\\\x1b\\[31mred" in markdown
    assert "\\x1b[31mred" in page


# A llama.cpp server's base model wrote "<s>[INST]" into a reply, and the bubble showed
# "[INST]": the Markdown parser took "<s>" for HTML, which Textual drops.
HTML_REPLY = (
    "Can we talk about the schedule? <s>[INST]It sounds <b>x</b> fine.\n\n"
    "<script>alert(1)</script>\n\n"
    "<h4>Next steps</h4>"
)
HTML_SHOWN = [
    "schedule? <s>[INST]It sounds <b>x</b> fine.",
    "<script>alert(1)</script>",
    "<h4>Next steps</h4>",
]


class ReplyBackend(NastyBackend):
    """Streams `text` in three-character pieces (tags arrive split across them)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def stream_reply(self, messages: list[ChatMessage]) -> Any:
        return _Stream(self.text, False)


def painted(md: Markdown) -> str:
    """What `md`'s blocks paint on screen, one line per painted row."""
    from textual.geometry import Region
    from textual.widgets._markdown import MarkdownBlock

    rows: list[str] = []
    for block in md.query(MarkdownBlock):
        width, height = block.size
        rows += [strip.text.strip() for strip in block.render_lines(Region(0, 0, width, height))]
    return "\n".join(row for row in rows if row)


async def test_html_in_a_streamed_reply_is_shown_as_typed(
    make_app: Callable[..., CoachApp], until: WaitUntil
) -> None:
    app = make_app(backend=ReplyBackend(HTML_REPLY))
    async with app.run_test(size=(120, 35)) as pilot:
        conv = await _conversation(app, pilot, until)
        conv.query_one("#input", TextArea).insert("Can we talk?")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "C1" in conv.bubbles and conv.bubbles["C1"].text != "")
        await until(pilot, lambda: not conv.streaming, "reply finished")
        md = conv.bubbles["C1"].markdown
        await until(pilot, lambda: "fine." in painted(md), "reply painted")
        for part in HTML_SHOWN:
            assert part in painted(md), (part, painted(md))
        # Shown again from the transcript (a resumed session), not streamed: the same.
        await conv.rebuild_log()
        md = conv.bubbles["C1"].markdown
        await until(pilot, lambda: "fine." in painted(md), "restored reply painted")
        for part in HTML_SHOWN:
            assert part in painted(md), (part, painted(md))
