"""The OpenAI-compatible backend against the real openai SDK, with respx and recorded SSE.

Each fault ends in the right typed error and message, the learner's text stays in the
transcript, a partial reply is saved as incomplete, and the fake key appears nowhere.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import respx

from coach.llm.base import ChatMessage
from coach.llm.openai_backend import OpenAIBackend
from coach.scenario import Scenario
from coach.scoring.analytic import AnalyticScorer
from coach.session import (
    Ended,
    ReplyDelta,
    ReplyDone,
    ReplyFailed,
    Session,
    SessionEvent,
)
from coach.settings import Settings
from coach.transcript import read_transcript

from .helpers import BASE_URL, FAKE_KEY, sse

URL = f"{BASE_URL}/chat/completions"
LEARNER = "It sounds like this offer matters a lot to you. What would make it work?"


def ok_stream(name: str = "normal.sse") -> httpx.Response:
    return httpx.Response(200, content=sse(name), headers={"content-type": "text/event-stream"})


def error_response(
    status: int, message: str, code: str | None = None, **headers: str
) -> httpx.Response:
    body = {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    }
    return httpx.Response(status, json=body, headers=headers)


class Sleeps:
    """Injected sleep: records the waits instead of taking them."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make_backend(sleeps: Sleeps, key: str | None = FAKE_KEY, max_retries: int = 3) -> OpenAIBackend:
    client = openai.AsyncOpenAI(
        api_key=key or "not-needed",
        base_url=BASE_URL,
        max_retries=0,
        timeout=httpx.Timeout(5.0, connect=1.0),
    )
    return OpenAIBackend(client, "gpt-4o-mini", max_retries=max_retries, sleep=sleeps, secret=key)


async def run_turn(
    scenario: Scenario, tmp_path: Path, backend: OpenAIBackend
) -> tuple[Session, list[SessionEvent]]:
    settings = Settings(api_key=FAKE_KEY, base_url=BASE_URL, home=tmp_path)
    session = Session(scenario, backend, AnalyticScorer(), tmp_path / "t.jsonl", settings=settings)
    await session.start()
    events = await session.send(LEARNER).run()
    await session.wait_scores()
    return session, events


def assert_intact(path: Path, *, complete: bool) -> dict[str, Any]:
    raw = path.read_text(encoding="utf-8")
    assert FAKE_KEY not in raw and "FAKEKEY" not in raw
    t = read_transcript(path)
    assert t.warnings == []
    (turn,) = t.active_path()
    assert turn.learner.text == LEARNER
    assert turn.reply is not None and turn.reply.complete is complete
    assert turn.score is not None  # scoring ran even when the reply failed
    return json.loads([line for line in raw.splitlines() if '"counterpart"' in line][-1])


def failed(events: list[SessionEvent]) -> ReplyFailed:
    (fail,) = [e for e in events if isinstance(e, ReplyFailed)]
    assert FAKE_KEY not in fail.message
    assert not any(isinstance(e, ReplyDone) for e in events)
    return fail


@respx.mock
async def test_normal_stream_records_reply_usage_and_request(
    salary: Scenario, tmp_path: Path
) -> None:
    route = respx.post(URL).mock(return_value=ok_stream())
    session, events = await run_turn(salary, tmp_path, make_backend(Sleeps()))
    text = "".join(e.text for e in events if isinstance(e, ReplyDelta))
    assert text == "I hear you. Five months is a long time to wait."
    event = assert_intact(session.path, complete=True)
    assert event["finish_reason"] == "stop"
    assert event["usage"] == {"prompt_tokens": 812, "completion_tokens": 11, "estimated": False}
    assert session.usage.usage.total_tokens == 823 and (session.usage.cost_usd or 0) > 0
    sent = json.loads(route.calls[0].request.content)
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert (
        sent["messages"][0]["role"] == "system"
        and "Dana Whitfield" in sent["messages"][0]["content"]
    )
    assert sent["messages"][-1] == {"role": "user", "content": LEARNER}
    assert route.calls[0].request.headers["authorization"] == f"Bearer {FAKE_KEY}"


@respx.mock
async def test_429_with_retry_after_then_success(salary: Scenario, tmp_path: Path) -> None:
    sleeps = Sleeps()
    respx.post(URL).mock(
        side_effect=[
            error_response(
                429, "Rate limit reached", "rate_limit_exceeded", **{"retry-after": "7"}
            ),
            ok_stream(),
        ]
    )
    session, events = await run_turn(salary, tmp_path, make_backend(sleeps))
    assert any(isinstance(e, ReplyDone) for e in events)
    assert len(sleeps.calls) == 1 and sleeps.calls[0] >= 7  # Retry-After honoured
    assert_intact(session.path, complete=True)


@respx.mock
async def test_500_then_success_backs_off(salary: Scenario, tmp_path: Path) -> None:
    sleeps = Sleeps()
    respx.post(URL).mock(
        side_effect=[error_response(500, "boom"), error_response(503, "busy"), ok_stream()]
    )
    session, events = await run_turn(salary, tmp_path, make_backend(sleeps))
    assert any(isinstance(e, ReplyDone) for e in events)
    assert len(sleeps.calls) == 2 and 0 < sleeps.calls[0] <= 0.5 < sleeps.calls[1] <= 1.0
    assert_intact(session.path, complete=True)


@respx.mock
async def test_5xx_until_retries_run_out(salary: Scenario, tmp_path: Path) -> None:
    sleeps = Sleeps()
    route = respx.post(URL).mock(return_value=error_response(502, "bad gateway"))
    session, events = await run_turn(salary, tmp_path, make_backend(sleeps, max_retries=2))
    fail = failed(events)
    assert fail.kind == "server_error" and "502" in fail.message and fail.retryable
    assert route.call_count == 3 and len(sleeps.calls) == 2
    assert_intact(session.path, complete=False)
    assert session.needs_retry


@respx.mock
async def test_read_timeout(salary: Scenario, tmp_path: Path) -> None:
    respx.post(URL).mock(side_effect=httpx.ReadTimeout("timed out"))
    session, events = await run_turn(salary, tmp_path, make_backend(Sleeps()))
    fail = failed(events)
    assert fail.kind == "timeout" and "did not answer in time" in fail.message
    event = assert_intact(session.path, complete=False)
    assert event["error"]["kind"] == "timeout"


@respx.mock
async def test_stream_cut_quietly_keeps_partial_as_incomplete_then_retry(
    salary: Scenario, tmp_path: Path
) -> None:
    respx.post(URL).mock(side_effect=[ok_stream("cut.sse"), ok_stream()])
    session, events = await run_turn(salary, tmp_path, make_backend(Sleeps()))
    fail = failed(events)
    assert fail.kind == "stream_cut" and fail.partial_text == "I hear you. Five months"
    event = assert_intact(session.path, complete=False)
    assert event["text"] == "I hear you. Five months" and event["finish_reason"] is None
    # Retry answers the same learner turn: no duplicate learner event, a second attempt.
    retry_events = await session.retry().run()
    assert any(isinstance(e, ReplyDone) for e in retry_events)
    t = read_transcript(session.path)
    assert len(t.learner_turns()) == 1
    (turn,) = t.active_path()
    assert turn.reply is not None and turn.reply.complete and turn.reply.attempt == 2


class _BreakingStream(httpx.AsyncByteStream):
    def __init__(self, data: bytes, cut_at: int) -> None:
        self.data, self.cut_at = data, cut_at

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data[: self.cut_at]
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body"
        )


@respx.mock
async def test_stream_broken_mid_reply_raises_cut(salary: Scenario, tmp_path: Path) -> None:
    data = sse("normal.sse")
    cut_at = data.index(b'"content": " is"')
    cut_at = data.rfind(b"\n\n", 0, cut_at) + 2
    respx.post(URL).mock(
        return_value=httpx.Response(
            200, stream=_BreakingStream(data, cut_at), headers={"content-type": "text/event-stream"}
        )
    )
    session, events = await run_turn(salary, tmp_path, make_backend(Sleeps()))
    fail = failed(events)
    assert fail.kind == "stream_cut" and fail.partial_text == "I hear you. Five months"
    assert_intact(session.path, complete=False)


@respx.mock
async def test_401_bad_key(salary: Scenario, tmp_path: Path) -> None:
    respx.post(URL).mock(
        return_value=error_response(
            401, f"Incorrect API key provided: {FAKE_KEY}.", "invalid_api_key"
        )
    )
    session, events = await run_turn(salary, tmp_path, make_backend(Sleeps()))
    fail = failed(events)
    assert fail.kind == "auth" and "401" in fail.message and not fail.retryable
    assert_intact(session.path, complete=False)


@respx.mock
async def test_404_unknown_model(salary: Scenario, tmp_path: Path) -> None:
    respx.post(URL).mock(
        return_value=error_response(404, "The model `gpt-nope` does not exist", "model_not_found")
    )
    session, events = await run_turn(salary, tmp_path, make_backend(Sleeps()))
    fail = failed(events)
    assert (
        fail.kind == "model_not_found" and "'gpt-4o-mini'" in fail.message and "404" in fail.message
    )
    assert_intact(session.path, complete=False)


@respx.mock
async def test_connection_refused_names_the_url(salary: Scenario, tmp_path: Path) -> None:
    sleeps = Sleeps()
    respx.post(URL).mock(side_effect=httpx.ConnectError("[Errno 111] Connection refused"))
    session, events = await run_turn(salary, tmp_path, make_backend(sleeps))
    fail = failed(events)
    assert fail.kind == "endpoint_down" and BASE_URL in fail.message and "refused" in fail.message
    assert sleeps.calls == []  # fail fast: a retry will not start a server
    assert_intact(session.path, complete=False)


@respx.mock
async def test_context_length_error_then_retry_sends_less(salary: Scenario, tmp_path: Path) -> None:
    route = respx.post(URL).mock(
        side_effect=[
            error_response(
                400,
                "This model's maximum context length is 16385 tokens.",
                "context_length_exceeded",
            ),
            ok_stream(),
        ]
    )
    session, events = await run_turn(salary, tmp_path, make_backend(Sleeps()))
    fail = failed(events)
    assert fail.kind == "context_too_long" and not fail.retryable
    assert_intact(session.path, complete=False)
    assert session._window < session._settings.context_window  # the next request is smaller
    assert any(isinstance(e, ReplyDone) for e in await session.retry().run())
    assert route.call_count == 2


@respx.mock
async def test_a_refused_request_says_what_the_endpoint_said(
    salary: Scenario, tmp_path: Path
) -> None:
    said = "Unsupported parameter: 'max_tokens' is not supported with this model."
    respx.post(URL).mock(return_value=error_response(400, said, "unsupported_parameter"))
    session, events = await run_turn(salary, tmp_path, make_backend(Sleeps()))
    fail = failed(events)
    # The endpoint's sentence, not the SDK's "Error code: 400 - {'error': {...}}" dict repr.
    assert fail.message == f"The endpoint refused the request: {said}"
    assert_intact(session.path, complete=False)


@respx.mock
async def test_a_proxy_error_page_is_named_by_its_title_on_one_line(
    salary: Scenario, tmp_path: Path
) -> None:
    # A gateway in front of the model answers with HTML: the notice showed
    # "Error code: 403 - <html>\n<head>..." cut at 200 characters, markup and all.
    page = (
        "<html>\n<head><title>413 Request Entity Too Large</title></head>\n"
        "<body><center><h1>413 Request Entity Too Large</h1></center>\n<hr>nginx</body>\n"
        "</html>\n"
    )
    respx.post(URL).mock(return_value=httpx.Response(413, text=page))
    session, events = await run_turn(salary, tmp_path, make_backend(Sleeps()))
    fail = failed(events)
    assert fail.message == "The endpoint answered 413: 413 Request Entity Too Large"
    assert_intact(session.path, complete=False)


@respx.mock
async def test_server_rejecting_stream_options_falls_back(salary: Scenario, tmp_path: Path) -> None:
    route = respx.post(URL).mock(
        side_effect=[
            error_response(400, "Unrecognized request argument supplied: stream_options"),
            ok_stream("no_usage.sse"),
        ]
    )
    session, events = await run_turn(salary, tmp_path, make_backend(Sleeps()))
    assert any(isinstance(e, ReplyDone) for e in events)
    assert "stream_options" not in json.loads(route.calls[1].request.content)
    event = assert_intact(session.path, complete=True)
    assert event["usage"]["estimated"] is True and event["usage"]["completion_tokens"] > 0


@respx.mock
async def test_end_marker_is_never_shown_and_ends_the_session(
    salary: Scenario, tmp_path: Path
) -> None:
    respx.post(URL).mock(return_value=ok_stream("end_marker.sse"))
    session, events = await run_turn(salary, tmp_path, make_backend(Sleeps()))
    shown = "".join(e.text for e in events if isinstance(e, ReplyDelta))
    assert "<" not in shown and "END" not in shown
    assert shown.strip() == "Fine. 104,000 and a review in six months. Deal."
    (ended,) = [e for e in events if isinstance(e, Ended)]
    assert ended.outcome.value == "agreement"
    t = read_transcript(session.path)
    assert t.outcome == "agreement" and "<<" not in t.active_path()[0].reply.text  # type: ignore[union-attr]


@respx.mock
async def test_local_endpoint_without_key(
    salary: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coach.llm.factory import make_backend as factory_backend
    from coach.settings import load_settings

    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:8080/v1")
    settings = load_settings().settings
    assert settings.api_key is None and settings.use_llm
    route = respx.post("http://localhost:8080/v1/chat/completions").mock(return_value=ok_stream())
    backend = factory_backend(settings, salary)
    stream = backend.stream_reply([ChatMessage("user", "hello")])
    text = "".join([d async for d in stream])
    assert text.startswith("I hear you") and stream.result.finish_reason == "stop"
    assert route.called


async def test_no_endpoint_is_a_clear_error(salary: Scenario) -> None:
    from coach.llm.errors import NotConfiguredError
    from coach.llm.factory import make_openai_client

    with pytest.raises(NotConfiguredError, match="--offline"):
        make_openai_client(Settings())


def _sse_of(*chunks: dict[str, Any]) -> httpx.Response:
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    return httpx.Response(200, content=body.encode(), headers={"content-type": "text/event-stream"})


def _chunk(content: str | None, finish: str | None) -> dict[str, Any]:
    delta = {"role": "assistant", "content": content} if content is not None else {}
    return {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


@respx.mock
async def test_a_stream_with_nothing_in_it_says_where_to_look(
    salary: Scenario, tmp_path: Path
) -> None:
    # llama-cpp-python answers a request longer than its context with an empty event stream
    # (HTTP 200); "closed before the reply finished" sent a tester looking at the network.
    respx.post(URL).mock(side_effect=[_sse_of(), ok_stream()])
    session, events = await run_turn(salary, tmp_path, make_backend(Sleeps()))
    fail = failed(events)
    assert fail.kind == "stream_cut" and fail.retryable
    assert "without sending any of it" in fail.message and "context_window" in fail.message
    assert_intact(session.path, complete=False)
    assert any(isinstance(e, ReplyDone) for e in await session.retry().run())


@respx.mock
async def test_an_empty_reply_is_a_failure_to_retry_not_a_turn(
    salary: Scenario, tmp_path: Path
) -> None:
    # A small local model answered with nothing: it was kept as the counterpart's turn,
    # left out of the next request, and quoted as "They said:" with nothing after it.
    empty = _sse_of(_chunk("", None), _chunk(None, "stop"))
    respx.post(URL).mock(side_effect=[empty, ok_stream()])
    session, events = await run_turn(salary, tmp_path, make_backend(Sleeps()))
    fail = failed(events)
    assert fail.kind == "empty_reply" and fail.retryable
    assert fail.message == "The model sent an empty reply."
    assert_intact(session.path, complete=False)
    assert session.needs_retry
    assert any(isinstance(e, ReplyDone) for e in await session.retry().run())
    (turn,) = read_transcript(session.path).active_path()
    assert turn.reply is not None and turn.reply.complete and turn.reply.text
