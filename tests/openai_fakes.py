"""Fake OpenAI-compatible responses shared by the judge, debrief and evaluator tests."""

from __future__ import annotations

import httpx


def completion(
    content: str, finish_reason: str = "stop", usage: dict[str, int] | None = None
) -> httpx.Response:
    """A non-streaming chat completion whose single choice says `content`."""
    extra = {"usage": usage} if usage is not None else {}
    return httpx.Response(
        200,
        json={
            **extra,
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": "judge-model",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish_reason,
                }
            ],
        },
    )
