"""The ChatBackend protocol: what the session engine needs from any counterpart.

The engine streams a reply as text deltas and must be able to cancel it, learn the token usage
and the finish reason, and tell a complete reply from a cut one. Both the OpenAI-compatible
backend and the offline scripted backend implement this, and tests implement fakes of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str

    def to_openai(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False  # True when counted locally because the server sent no usage

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.estimated = self.estimated or other.estimated


@dataclass(slots=True)
class ReplyResult:
    """What a finished stream produced; set by the backend when the stream ends."""

    text: str = ""
    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    model: str = ""


class ReplyStream(Protocol):
    """An async iterator of text deltas; `result` is complete once iteration ends normally."""

    result: ReplyResult

    def __aiter__(self) -> AsyncIterator[str]: ...


class ChatBackend(Protocol):
    """A source of counterpart replies."""

    name: str  # "openai" or "offline"
    model: str

    def stream_reply(self, messages: list[ChatMessage]) -> ReplyStream:
        """Start a reply; iterate it for deltas. Cancelling the consuming task cancels it."""
        ...

    async def aclose(self) -> None: ...
