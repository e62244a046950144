"""The OpenAI-compatible counterpart: streaming chat completions with our own retry policy.

It talks to OpenAI, Azure, Ollama, vLLM, llama.cpp or LM Studio through `openai.AsyncOpenAI`.
The SDK's own retries are disabled so that ours count: exponential backoff with jitter, honouring
`Retry-After`, for 429 and 5xx *before the first token* only (after that a retry would repeat
words the learner has already read). Every failure becomes a typed `LLMError` with a short
message that never contains the key; a stream that ends without a `finish_reason` is cut (the
SDK ends such streams quietly, DESIGN.md "Traps").
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx
import openai

from coach.llm.base import ChatMessage, ReplyResult, Usage
from coach.llm.errors import (
    AuthError,
    BadRequestError,
    ContextTooLongError,
    EmptyReplyError,
    EndpointDownError,
    LLMError,
    ModelNotFoundError,
    RateLimitedError,
    ServerError,
    StreamCutError,
    TimedOutError,
    endpoint_message,
    redact,
)

if TYPE_CHECKING:
    from coach.tokens import TokenCounter

Sleep = Callable[[float], Awaitable[None]]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
MAX_RETRY_AFTER = 60.0  # longer waits are reported instead of slept through


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    headers = response.headers
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(float(raw_ms) / 1000, 0.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(raw) if raw else None
        if parsed is None:
            return None
        return max(parsed.timestamp() - time.time(), 0.0)


def _is_context_error(exc: openai.APIStatusError) -> bool:
    code = getattr(exc, "code", None)
    text = str(exc).lower()
    return code == "context_length_exceeded" or any(
        s in text
        for s in (
            "context_length_exceeded",
            "maximum context length",
            "context length",
            "too many tokens",
        )
    )


class OpenAIBackend:
    """A `ChatBackend` on an OpenAI-compatible chat completions endpoint."""

    name = "openai"

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        model: str,
        *,
        max_tokens: int | None = 400,
        temperature: float | None = 0.8,
        max_retries: int = 3,
        base_delay: float = 0.5,
        max_delay: float = 20.0,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        secret: str | None = None,
        counter: TokenCounter | None = None,
    ) -> None:
        self.client = client
        self.model = model
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.max_retries = max_retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep
        self.rng = rng or random.Random()
        self._secret = secret
        self.counter = counter
        # Flipped off once a server rejects stream_options, so we ask once per backend.
        self.include_usage = True
        self.sleeps: list[float] = []  # waits taken, for tests and the status bar

    @property
    def base_url(self) -> str:
        return str(self.client.base_url).rstrip("/")

    def stream_reply(self, messages: list[ChatMessage]) -> _OpenAIStream:
        return _OpenAIStream(self, messages)

    async def aclose(self) -> None:
        await self.client.close()

    # ---- error mapping

    def _redact(self, text: str) -> str:
        return redact(text, self._secret)

    def map_error(self, exc: BaseException, partial: str = "") -> LLMError:
        """A typed, short, key-free error for anything the SDK or httpx raised."""
        url = self.base_url
        err: LLMError
        if isinstance(exc, LLMError):
            return exc
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            status = exc.status_code
            err = AuthError(f"The endpoint rejected the API key ({status}). Check OPENAI_API_KEY.")
        elif isinstance(exc, openai.NotFoundError):
            err = ModelNotFoundError(
                f"Model {self.model!r} was not found at {url} (404). Check COACH_MODEL."
            )
        elif isinstance(exc, openai.RateLimitError):
            wait = _retry_after(exc.response)
            after = f" Try again in {wait:.0f} s." if wait else " Try again shortly."
            err = RateLimitedError(f"Rate limited by the endpoint (429).{after}")
        elif isinstance(exc, openai.BadRequestError | openai.UnprocessableEntityError):
            if isinstance(exc, openai.BadRequestError) and _is_context_error(exc):
                err = ContextTooLongError(
                    "The conversation is too long for the model's context window; "
                    "retry to send a shorter history."
                )
            else:
                detail = self._redact(endpoint_message(exc))[:200]
                err = BadRequestError(f"The endpoint refused the request: {detail}")
        elif isinstance(exc, openai.InternalServerError) or (
            isinstance(exc, openai.APIStatusError) and exc.status_code >= 500
        ):
            err = ServerError(f"The endpoint had a server error ({exc.status_code}).")
        elif isinstance(exc, openai.APIStatusError):
            detail = self._redact(endpoint_message(exc))[:200]
            err = BadRequestError(f"The endpoint answered {exc.status_code}: {detail}")
        elif isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
            err = TimedOutError(f"The model did not answer in time ({url}).")
        elif isinstance(exc, openai.APIConnectionError | httpx.ConnectError):
            cause = exc.__cause__ or exc
            if isinstance(cause, httpx.ConnectError) or "refused" in str(cause).lower():
                err = EndpointDownError(
                    f"Cannot reach {url} (connection refused). Is the server running?"
                )
            else:
                err = EndpointDownError(f"Cannot reach {url}: {self._redact(str(cause))[:120]}")
        elif isinstance(exc, httpx.HTTPError | openai.APIError):
            err = StreamCutError(f"The connection to {url} broke mid-reply.")
        else:
            err = ServerError(f"Unexpected error from {url}: {type(exc).__name__}")
        err.message = self._redact(err.message)
        err.partial_text = partial
        return err

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential with full jitter; a server's Retry-After wins when it says more."""
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        delay = self.rng.uniform(ceiling / 2, ceiling)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay


def _retryable_before_first_token(exc: BaseException) -> bool:
    if isinstance(exc, openai.RateLimitError):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code >= 500
    return False


class _OpenAIStream:
    """One reply: iterate for text deltas; `result` holds text, finish reason and usage."""

    def __init__(self, backend: OpenAIBackend, messages: list[ChatMessage]) -> None:
        self.backend = backend
        self.messages = messages
        self.result = ReplyResult(model=backend.model)

    def __aiter__(self) -> AsyncIterator[str]:
        return self._run()

    async def _open(self) -> Any:
        b = self.backend
        kwargs: dict[str, Any] = {
            "model": b.model,
            "messages": [m.to_openai() for m in self.messages],
            "stream": True,
        }
        if b.max_tokens is not None:
            kwargs["max_tokens"] = b.max_tokens
        if b.temperature is not None:
            kwargs["temperature"] = b.temperature
        if b.include_usage:
            kwargs["stream_options"] = {"include_usage": True}
        return await b.client.chat.completions.create(**kwargs)

    async def _run(self) -> AsyncIterator[str]:
        b = self.backend
        attempt = 0
        parts: list[str] = []
        while True:
            try:
                stream = await self._open()
            except openai.BadRequestError as exc:
                if b.include_usage and "stream_options" in str(exc):
                    # Older local servers reject stream_options; usage is then estimated.
                    b.include_usage = False
                    continue
                raise b.map_error(exc) from None
            except openai.APIError as exc:
                if _retryable_before_first_token(exc) and attempt < b.max_retries:
                    response = getattr(exc, "response", None)
                    wait_hint = _retry_after(response)
                    if wait_hint is not None and wait_hint > MAX_RETRY_AFTER:
                        raise b.map_error(exc) from None
                    delay = b.backoff(attempt, wait_hint)
                    b.sleeps.append(delay)
                    attempt += 1
                    await b.sleep(delay)
                    continue
                raise b.map_error(exc) from None
            except httpx.HTTPError as exc:
                raise b.map_error(exc) from None
            break

        finish: str | None = None
        usage: Usage | None = None
        try:
            async for chunk in stream:
                if chunk.usage is not None:
                    usage = Usage(
                        prompt_tokens=chunk.usage.prompt_tokens or 0,
                        completion_tokens=chunk.usage.completion_tokens or 0,
                    )
                for choice in chunk.choices or ():
                    delta = choice.delta.content if choice.delta else None
                    if delta:
                        parts.append(delta)
                        self.result.text = "".join(parts)
                        yield delta
                    if choice.finish_reason:
                        finish = choice.finish_reason
        except (openai.APIError, httpx.HTTPError) as exc:
            text = "".join(parts)
            if not parts:
                raise b.map_error(exc) from None
            cut = StreamCutError(
                f"The reply was cut off ({b.map_error(exc).message})", partial_text=text
            )
            cut.message = b._redact(cut.message)
            raise cut from None
        finally:
            await stream.close()

        text = "".join(parts)
        self.result.text = text
        if finish is None and not parts:
            # llama-cpp-python answers a request longer than its context with an empty
            # event stream: the reason is only in the server's log.
            raise StreamCutError(
                f"The server at {b.base_url} ended the reply without sending any of it; its "
                "log says why. Common causes: a context smaller than the conversation (set "
                "context_window in config.toml to the server's; llama.cpp: --n_ctx), or "
                "another request arriving meanwhile (llama-cpp-python drops the reply then: "
                "leave parallel_requests unset or false)."
            )
        if finish is None:
            raise StreamCutError(
                f"The connection to {b.base_url} closed before the reply finished.",
                partial_text=text,
            )
        if not text.strip():
            raise EmptyReplyError("The model sent an empty reply.")
        self.result.finish_reason = finish
        if usage is None:
            usage = self._estimate(text)
        self.result.usage = usage

    def _estimate(self, text: str) -> Usage:
        counter = self.backend.counter
        if counter is None:
            prompt = sum(len(m.content) for m in self.messages) // 4
            return Usage(prompt_tokens=prompt, completion_tokens=len(text) // 4, estimated=True)
        return Usage(
            prompt_tokens=counter.count_messages(self.messages),
            completion_tokens=counter.count(text),
            estimated=True,
        )
