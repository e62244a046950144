"""A chat backend for Pilot tests: streams given pieces, optionally holding after the first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from coach.llm.base import ChatMessage, ReplyResult, Usage


class FakeBackend:
    """Streams `pieces` as the reply to every turn, ending with `finish_reason`.

    With `hold=True` it stops after the first piece until the test sets `release`
    (`started` is set once that piece has gone out): a reply caught mid-stream.
    """

    name = "openai"

    def __init__(
        self,
        pieces: Sequence[str] = ("Fair enough.",),
        *,
        model: str = "gpt-4o-mini",
        finish_reason: str = "stop",
        usage: Usage | None = None,
        hold: bool = False,
    ) -> None:
        self.pieces = tuple(pieces)
        self.model = model
        self.finish_reason = finish_reason
        self.usage = usage or Usage(1_000, 200)
        self.hold = hold
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    def stream_reply(self, messages: list[ChatMessage]) -> Any:
        return _Stream(self)

    async def complete(self, messages: list[ChatMessage]) -> str:
        return "hint"

    async def aclose(self) -> None:
        return None


class _Stream:
    def __init__(self, owner: FakeBackend) -> None:
        self.owner = owner
        self.result = ReplyResult(finish_reason=owner.finish_reason, usage=owner.usage)

    def __aiter__(self) -> AsyncIterator[str]:
        return self._gen()

    async def _gen(self) -> AsyncIterator[str]:
        for i, piece in enumerate(self.owner.pieces):
            yield piece
            if i == 0:
                self.owner.started.set()
                if self.owner.hold:
                    await self.owner.release.wait()
