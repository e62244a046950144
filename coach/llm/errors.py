"""Typed, user-facing errors for everything that can go wrong talking to an LLM endpoint.

Each error carries a short message a learner can act on, never the API key, and says whether a
retry could help. The session keeps the learner's text and any partial reply on every one of
them.
"""

from __future__ import annotations

import re

# Anything that looks like a bearer token or OpenAI-style key, wherever it appears.
_KEY_PATTERN = re.compile(r"(sk-[A-Za-z0-9_\-]{6,}|Bearer\s+\S+)")


def redact(text: str, *secrets: str | None) -> str:
    """Remove the given secrets and anything key-shaped from a message."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _KEY_PATTERN.sub("***", text)


# An error page's title ("502 Bad Gateway") is its sentence; the rest is markup.
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)


def endpoint_message(exc: BaseException) -> str:
    """What an endpoint said in its error reply, on one line, not the SDK's wrapper around it.

    The openai SDK's text is `Error code: 400 - {'error': {'message': ...}}`, a Python dict
    repr; its `body` holds the error object, whose `message` is the sentence to show. A body
    it could not read as JSON (a proxy's HTML error page) gives the page's title or nothing.
    """
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else None
        if isinstance(message, str) and message.strip():
            return " ".join(message.split())
    said = str(getattr(exc, "message", None) or exc)
    if said.startswith("Error code:"):
        said = said.partition(" - ")[2]  # the SDK's prefix around a body it could not read
    if said.lstrip().startswith("<"):
        title = _HTML_TITLE.search(said)
        said = title.group(1) if title else ""
    return " ".join(said.split())


# How a failed connection's cause reads, from the httpx/OS text (no httpx import here).
_NO_HOST = re.compile(
    r"name or service not known|nodename nor servname|getaddrinfo|name resolution|"
    r"no address associated|name does not resolve",
    re.IGNORECASE,
)
_TLS = re.compile(r"ssl|certificate|tls", re.IGNORECASE)


def unreachable(url: str, cause: BaseException) -> str:
    """`URL (what happened). What to check.` for a connection that failed; `cause` is the
    transport's exception (the SDK's `APIConnectionError` says only "Connection error.").

    The caller puts who was connecting in front and redacts the result.
    """
    while cause.__cause__ is not None and str(cause).strip() in {"", "Connection error."}:
        cause = cause.__cause__
    said = " ".join(str(cause).split())[:160]
    connect = type(cause).__name__ == "ConnectError" or "refused" in said.lower()
    if _NO_HOST.search(said):
        return f"{url} (host not found). Check the base URL (OPENAI_BASE_URL) and the network."
    if _TLS.search(said):
        return f"{url} (TLS error: {said}). Check the URL's scheme (http or https)."
    if connect:
        # httpx says "All connection attempts failed" for a closed port on localhost's two
        # addresses: refused, as far as the user is concerned.
        return f"{url} (connection refused). Is the server running?"
    detail = f": {said}" if said else ""
    return f"{url}{detail}. Is the server running, and is the base URL right?"


class LLMError(Exception):
    """Base class: `message` is short and safe to show; `retryable` says if retry may help."""

    kind = "error"
    retryable = True

    def __init__(self, message: str, *, partial_text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.partial_text = partial_text

    def __str__(self) -> str:
        return self.message


class AuthError(LLMError):
    kind = "auth"
    retryable = False


class ModelNotFoundError(LLMError):
    kind = "model_not_found"
    retryable = False


class EndpointDownError(LLMError):
    kind = "endpoint_down"


class RateLimitedError(LLMError):
    kind = "rate_limited"


class TimedOutError(LLMError):
    kind = "timeout"


class ContextTooLongError(LLMError):
    kind = "context_too_long"
    retryable = False


class ServerError(LLMError):
    kind = "server_error"


class StreamCutError(LLMError):
    """The connection closed mid-reply; `partial_text` holds what arrived (incomplete)."""

    kind = "stream_cut"


class EmptyReplyError(LLMError):
    """The model finished its reply without a word: nothing for the learner to answer."""

    kind = "empty_reply"


class NotConfiguredError(LLMError):
    """No endpoint is usable (e.g. no key and no base URL): use --offline or configure one."""

    kind = "not_configured"
    retryable = False


class BadRequestError(LLMError):
    """The endpoint refused the request for another reason (400/422)."""

    kind = "bad_request"
    retryable = False


def error_record(exc: LLMError) -> dict[str, str]:
    """The `error` object of a transcript `counterpart` event."""
    return {"kind": exc.kind, "message": exc.message}
