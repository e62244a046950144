"""A failed reply (the real openai SDK through respx) never loses the learner's text.

500 on every attempt, and a stream cut without `finish_reason`: the learner turn and the
conversation stay, a draft typed meanwhile stays in the input, a retry is offered and works.
Backoff uses an injected no-op sleep.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import respx
from textual.widgets import Static, TextArea

from coach.settings import Settings
from coach.transcript import read_transcript
from coach.tui.app import CoachApp
from tests.tui.conftest import open_conversation

WaitUntil = Any
BASE_URL = "http://llm.test/v1"
URL = f"{BASE_URL}/chat/completions"
SSE_DIR = Path(__file__).parents[1] / "engine" / "sse"
LEARNER = "I hear you. What would make this feel fair to you?"


async def no_sleep(seconds: float) -> None:
    return None


def ok_stream(name: str = "normal.sse") -> httpx.Response:
    return httpx.Response(
        200, content=(SSE_DIR / name).read_bytes(), headers={"content-type": "text/event-stream"}
    )


def server_error() -> httpx.Response:
    body = {"error": {"message": "boom [bold]x[/", "type": "server_error", "code": None}}
    return httpx.Response(500, json=body)


def llm_settings(settings: Settings) -> Settings:
    return Settings(api_key="sk-test-key-0123456789", base_url=BASE_URL, home=settings.home)


async def _fail_then_retry(
    app: CoachApp, pilot: Any, until: WaitUntil, route: respx.Route, recover: httpx.Response
) -> None:
    conv = await open_conversation(app, pilot)
    area = conv.query_one("#input", TextArea)
    area.insert(LEARNER)
    await pilot.press("ctrl+s")
    notice = conv.query_one("#notice")
    await until(pilot, lambda: notice.display and not conv.streaming, "failure notice")
    assert conv.query_one("#retry-button").display
    said = str(conv.query_one("#notice-text", Static).render())
    assert said.startswith("The reply failed: ")
    assert "server_error" not in said and "stream_cut" not in said  # words, not internal kinds
    # The learner turn is on screen and on disk; a new draft is not touched by anything.
    assert conv.views["L1"].text == LEARNER
    transcript = read_transcript(conv.session.path)
    assert [t.text for t in transcript.learner_turns().values()] == [LEARNER]
    area.insert("my next thought, half typed")
    # Sending while the reply is missing is refused, and keeps the draft.
    await pilot.press("ctrl+s")
    assert area.text == "my next thought, half typed"

    route.side_effect = None
    route.return_value = recover
    await pilot.press("ctrl+r")
    await until(
        pilot,
        lambda: not conv.streaming and not conv.session.needs_retry,
        "retry completes",
    )
    assert not notice.display
    assert conv.bubbles["C1"].text == "I hear you. Five months is a long time to wait."
    assert area.text == "my next thought, half typed"
    (turn,) = read_transcript(conv.session.path).active_path()
    assert turn.reply is not None and turn.reply.complete and turn.reply.attempt == 2


@respx.mock
async def test_500_after_retries_then_retry_works(
    make_app: Callable[..., CoachApp], until: WaitUntil, settings: Settings
) -> None:
    route = respx.post(URL).mock(return_value=server_error())
    app = make_app(settings=llm_settings(settings), sleep=no_sleep)
    async with app.run_test(size=(120, 35)) as pilot:
        await _fail_then_retry(app, pilot, until, route, ok_stream())
        assert route.call_count == 1 + 3 + 1  # first try, 3 retries, the learner's retry


@respx.mock
async def test_cut_stream_then_retry_works(
    make_app: Callable[..., CoachApp], until: WaitUntil, settings: Settings
) -> None:
    route = respx.post(URL).mock(return_value=ok_stream("cut.sse"))
    app = make_app(settings=llm_settings(settings), sleep=no_sleep)
    async with app.run_test(size=(120, 35)) as pilot:
        await _fail_then_retry(app, pilot, until, route, ok_stream())
