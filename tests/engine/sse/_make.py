"""Regenerates the recorded SSE fixtures (shape as served by api.openai.com, 2025)."""

import json
from pathlib import Path

HERE = Path(__file__).parent


def chunk(content=None, finish=None, role=False, usage=None, choices=True):
    delta = {}
    if role:
        delta["role"] = "assistant"
    if content is not None:
        delta["content"] = content
    body = {
        "id": "chatcmpl-rec1",
        "object": "chat.completion.chunk",
        "created": 1735689600,
        "model": "gpt-4o-mini-2024-07-18",
        "system_fingerprint": "fp_0ba0d124f1",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
        if choices
        else [],
        "usage": usage,
    }
    return "data: " + json.dumps(body) + "\n\n"


def write(name, parts):
    (HERE / name).write_text("".join(parts), encoding="utf-8")


words = ["I", " hear", " you.", " Five", " months", " is", " a", " long", " time", " to", " wait."]
write(
    "normal.sse",
    [chunk("", role=True)]
    + [chunk(w) for w in words]
    + [
        chunk(finish="stop"),
        chunk(
            choices=False,
            usage={"prompt_tokens": 812, "completion_tokens": 11, "total_tokens": 823},
        ),
        "data: [DONE]\n\n",
    ],
)
write(
    "no_usage.sse",
    [chunk("", role=True)] + [chunk(w) for w in words] + [chunk(finish="stop"), "data: [DONE]\n\n"],
)
write("cut.sse", [chunk("", role=True)] + [chunk(w) for w in words[:5]])
# Stopped by max_tokens mid-sentence: complete as a stream, cut as a reply.
write(
    "length.sse",
    [chunk("", role=True)]
    + [chunk(w) for w in words[:7]]
    + [
        chunk(finish="length"),
        chunk(
            choices=False,
            usage={"prompt_tokens": 812, "completion_tokens": 7, "total_tokens": 819},
        ),
        "data: [DONE]\n\n",
    ],
)
marker = [
    "Fine.",
    " 104,000",
    " and",
    " a",
    " review",
    " in",
    " six",
    " months.",
    " Deal.",
    " <<",
    "END",
    ":agree",
    "ment>>",
]
write(
    "end_marker.sse",
    [chunk("", role=True)]
    + [chunk(w) for w in marker]
    + [
        chunk(finish="stop"),
        chunk(
            choices=False,
            usage={"prompt_tokens": 900, "completion_tokens": 20, "total_tokens": 920},
        ),
        "data: [DONE]\n\n",
    ],
)
