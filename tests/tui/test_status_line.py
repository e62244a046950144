"""What the conversation says about a reply besides its text: its cost in the status line
(only when the model's price is known), and a reply cut at the length limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Static

from coach.tokens import estimate_cost
from coach.tui.app import CoachApp
from tests.fake_scorers import MeteredScorer
from tests.tui._backends import FakeBackend
from tests.tui._history_helpers import plain
from tests.tui.conftest import open_conversation, send_and_wait_for_reply

WaitUntil = Any


@pytest.mark.parametrize(
    ("model", "shown"),
    [("gpt-4o-mini", "1,200 tokens · $0.0003"), ("llama3.1:8b", "1,200 tokens · cost unknown")],
)
async def test_cost_is_shown_only_for_a_model_with_a_known_price(
    make_app: Callable[..., CoachApp], model: str, shown: str
) -> None:
    app = make_app(backend=FakeBackend(model=model))
    async with app.run_test(size=(140, 30)) as pilot:
        conv = await open_conversation(app, pilot)
        await send_and_wait_for_reply(pilot, conv, "What matters most to you?")
        status = plain(conv.query_one("#status", Static))
        assert shown in status, status
        assert "$0.0000" not in status


@pytest.mark.parametrize(
    ("model", "before", "after"),
    [
        ("gpt-4o-mini", "0 tokens · $0.0000", "1,200 tokens · $0.0003"),
        ("llama3.1:8b", "0 tokens · cost unknown", "1,200 tokens · cost unknown"),
    ],
)
async def test_the_cost_says_the_same_before_the_first_call_as_after_it(
    make_app: Callable[..., CoachApp], model: str, before: str, after: str
) -> None:
    # A model without a known price showed "$0.0000" until its first call.
    app = make_app(backend=FakeBackend(model=model))
    async with app.run_test(size=(140, 30)) as pilot:
        conv = await open_conversation(app, pilot)
        status = conv.query_one("#status", Static)
        assert before in plain(status), plain(status)
        await send_and_wait_for_reply(pilot, conv, "What matters most to you?")
        assert after in plain(status), plain(status)


@pytest.mark.parametrize("finish_reason", ["stop", "length"])
async def test_a_reply_cut_at_the_length_limit_says_so(
    make_app: Callable[..., CoachApp], finish_reason: str
) -> None:
    app = make_app(backend=FakeBackend(finish_reason=finish_reason))
    async with app.run_test(size=(140, 30)) as pilot:
        conv = await open_conversation(app, pilot)
        await send_and_wait_for_reply(pilot, conv, "What matters most to you?")
        bubble = conv.bubbles["C1"]
        note = bubble.query_one(".status", Static)
        cut = finish_reason == "length"
        assert bubble.has_class("-incomplete") is cut
        assert ("cut off at the reply length limit" in plain(note)) is cut
        # Continuing the session later shows it the same way.
        await conv.rebuild_log()
        assert conv.bubbles["C1"].has_class("-incomplete") is cut


@pytest.mark.parametrize(("width", "backend_named"), [(80, False), (140, True)])
async def test_the_tokens_and_cost_stay_on_the_status_line_at_80_columns(
    make_app: Callable[..., CoachApp], width: int, backend_named: bool
) -> None:
    app = make_app(backend=FakeBackend(model="gpt-4o-mini"))
    async with app.run_test(size=(width, 24)) as pilot:
        conv = await open_conversation(app, pilot)
        await send_and_wait_for_reply(pilot, conv, "What matters most to you?")
        await pilot.pause()
        status = conv.query_one("#status", Static)
        shown = plain(status)
        assert "1,200 tokens · $0.0003" in shown, shown
        # Within what the line shows (the model's name may run off the end at 80).
        assert shown.index("$0.0003") + len("$0.0003") <= status.content_region.width, shown
        # Where the line fits, the backend is named; at 80 columns the model says enough.
        assert ("openai · gpt-4o-mini" in shown) is backend_named, shown


async def test_an_llm_judges_calls_are_in_the_cost_with_the_offline_counterpart(
    make_app: Callable[..., CoachApp], until: WaitUntil
) -> None:
    scorer = MeteredScorer()
    app = make_app(scorer=scorer)  # the offline counterpart: it calls no model
    async with app.run_test(size=(140, 30)) as pilot:
        conv = await open_conversation(app, pilot)
        status = conv.query_one("#status", Static)
        assert "no API calls" in plain(status)
        await send_and_wait_for_reply(pilot, conv, "What matters most to you?")
        await until(pilot, lambda: "1,620 tokens" in plain(status), "the judge's tokens shown")
        cost = estimate_cost("gpt-4o-mini", scorer.cost)
        assert cost is not None and f"${cost:.4f}" in plain(status)
        assert "no API calls" not in plain(status)


async def test_the_offline_status_line_fits_80_columns(
    make_app: Callable[..., CoachApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        # A scenario that shows the counterpart's state: the longest offline line.
        conv = await open_conversation(app, pilot, "upset-customer-wrong-order")
        await send_and_wait_for_reply(pilot, conv, "That sounds really stressful. What happened?")
        status = conv.query_one("#status", Static)
        shown = plain(status)
        assert "trust" in shown and shown.endswith("offline · no API calls"), shown
        assert len(shown) <= status.content_region.width, shown
