"""The status line prices a reply only when it knows the model's price."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from textual.widgets import Static

from coach.llm.base import ChatMessage, ReplyResult, Usage
from coach.tui.app import CoachApp
from tests.tui._history_helpers import plain
from tests.tui.conftest import open_conversation, send_and_wait_for_reply


class OneLineBackend:
    name = "openai"

    def __init__(self, model: str) -> None:
        self.model = model

    def stream_reply(self, messages: list[ChatMessage]) -> Any:
        return _Reply()

    async def complete(self, messages: list[ChatMessage]) -> str:
        return "hint"

    async def aclose(self) -> None:
        return None


class _Reply:
    result = ReplyResult(finish_reason="stop", usage=Usage(1_000, 200))

    def __aiter__(self) -> AsyncIterator[str]:
        return self._gen()

    async def _gen(self) -> AsyncIterator[str]:
        yield "Fair enough."


@pytest.mark.parametrize(
    ("model", "shown"),
    [("gpt-4o-mini", "1,200 tokens · $0.0003"), ("llama3.1:8b", "1,200 tokens · cost unknown")],
)
async def test_cost_is_shown_only_for_a_model_with_a_known_price(
    make_app: Callable[..., CoachApp], model: str, shown: str
) -> None:
    app = make_app(backend=OneLineBackend(model))
    async with app.run_test(size=(140, 30)) as pilot:
        conv = await open_conversation(app, pilot)
        await send_and_wait_for_reply(pilot, conv, "What matters most to you?")
        status = plain(conv.query_one("#status", Static))
        assert shown in status, status
        assert "$0.0000" not in status
