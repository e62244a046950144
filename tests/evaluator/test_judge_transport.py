"""The judge's request path as replay drives it: one client lane per call in flight (so
httpcore's pool never holds more than one connection to rescan), and the raw completion read
by hand. respx only: no test touches a network."""

from __future__ import annotations

import httpx
import openai
import pytest
import respx

from coach.importers import Conversation
from coach.llm.base import Usage
from coach.replay import replay
from coach.scoring.judge import LLMJudge, _completion_text
from coach.scoring.types import ScoringError
from coach.settings import Settings

from .conftest import BASE, KEY, FakeJudgeEndpoint
from .test_replay import conversation


def judge(settings: Settings, **kwargs: object) -> LLMJudge:
    async def no_sleep(_s: float) -> None:
        return None

    return LLMJudge(settings, sleep=no_sleep, **kwargs)  # type: ignore[arg-type]


async def test_one_lane_per_call_in_flight_and_all_closed(settings: Settings) -> None:
    endpoint = FakeJudgeEndpoint(delay=0.01)
    scorer = judge(settings)
    convs: list[Conversation] = [conversation(10, f"s{i}") for i in range(3)]
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").mock(side_effect=endpoint)
        run = await replay(convs, [scorer], concurrency=4)
    assert run.ok and run.scored == 30 and endpoint.calls == 30
    lanes = scorer._chat.lanes
    assert lanes.size == endpoint.peak == 4  # never more lanes than calls in flight
    # Every lane sends the key and the same body as the original client would.
    for call in route.calls:
        assert call.request.headers["authorization"] == f"Bearer {KEY}"
        assert call.request.url == f"{BASE}/chat/completions"
    made = list(lanes._made)
    await scorer.aclose()
    assert all(lane.client.is_closed() for lane in made)
    assert scorer.client.is_closed()


async def test_a_supplied_client_is_used_as_is(settings: Settings) -> None:
    endpoint = FakeJudgeEndpoint(delay=0.01)
    client = openai.AsyncOpenAI(api_key=KEY, base_url=BASE, max_retries=0)
    scorer = judge(settings, client=client)
    with respx.mock(base_url=BASE) as mock:
        mock.post("/chat/completions").mock(side_effect=endpoint)
        run = await replay([conversation(8)], [scorer], concurrency=4)
    assert run.ok and endpoint.peak == 4
    assert scorer._chat.lanes.size == 1  # no copies of a client the caller owns
    await scorer.aclose()
    assert not client.is_closed()
    await client.close()


def test_completion_text_reads_the_first_choice_and_the_usage() -> None:
    body = {
        "choices": [{"message": {"content": "{}"}, "finish_reason": "length"}],
        "usage": {"prompt_tokens": 900, "completion_tokens": 40, "total_tokens": 940},
    }
    assert _completion_text(httpx.Response(200, json=body)) == ("{}", "length", Usage(900, 40))
    empty = {"choices": [{"message": {"content": None}, "finish_reason": None}], "usage": "?"}
    assert _completion_text(httpx.Response(200, json=empty)) == ("", None, None)


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>gateway</html>"),
        httpx.Response(200, json={"choices": []}),
        httpx.Response(200, json=["not", "an", "object"]),
    ],
)
def test_a_reply_that_is_no_completion_is_a_scoring_error(response: httpx.Response) -> None:
    with pytest.raises(ScoringError):
        _completion_text(response)


def without_length(headers: httpx.Headers) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items() if k.lower() != "content-length"}


async def test_a_lane_sends_the_request_the_sdk_would(settings: Settings) -> None:
    # A lane posts a request captured from the SDK once, with each new body: the same URL,
    # key, headers and timeouts, and capturing it sends nothing.
    scorer = judge(settings, use_cache=False)
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").mock(side_effect=FakeJudgeEndpoint())
        await scorer.score("They moved the deadline again.", "That sounds exhausting.")
        await scorer.score("They moved the deadline again.", "What would help?")
        body = route.calls[-1].request.content
        await scorer.client.post("/chat/completions", cast_to=httpx.Response, content=body)
    assert route.call_count == 3  # two scores, one call through the SDK: no capture sent
    *lanes, sdk = (call.request for call in route.calls)
    for lane in lanes:
        assert lane.url == sdk.url
        assert without_length(lane.headers) == without_length(sdk.headers)
        assert int(lane.headers["content-length"]) == len(lane.content)  # its own body's
        assert lane.extensions["timeout"] == sdk.extensions["timeout"]
    assert lanes[1].content == sdk.content
    assert dict(lanes[1].headers) == dict(sdk.headers)
    await scorer.aclose()


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(401, json={"error": {"message": "Incorrect API key provided"}}),
        httpx.Response(404, json={"error": {"message": "The model `m` does not exist"}}),
        httpx.Response(429, json={"error": {"message": "slow down"}}, headers={"retry-after": "2"}),
        httpx.Response(
            400, json={"error": {"message": "This model's maximum context length is 2048 tokens"}}
        ),
        httpx.Response(502, text="<html><title>502 Bad Gateway</title></html>"),
        httpx.Response(503, text=""),
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        ValueError("something below httpx went wrong"),
    ],
    ids=[
        "401",
        "404",
        "429",
        "context",
        "502-html",
        "503-empty",
        "refused",
        "timeout",
        "cut",
        "other",
    ],
)
async def test_a_lane_fails_as_the_sdk_does(
    settings: Settings, reply: httpx.Response | Exception
) -> None:
    # The same failure through a lane and through the SDK (a caller's client) ends in the same
    # error, after the same waits.
    async def answer(request: httpx.Request) -> httpx.Response:
        if isinstance(reply, Exception):
            raise reply
        return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)

    outcomes = []
    for supplied in (False, True):
        client = openai.AsyncOpenAI(api_key=KEY, base_url=BASE, max_retries=0)
        waits: list[float] = []

        async def sleep(seconds: float, waits: list[float] = waits) -> None:
            waits.append(seconds)

        kwargs: dict[str, object] = {"client": client} if supplied else {}
        scorer = LLMJudge(settings, sleep=sleep, use_cache=False, **kwargs)  # type: ignore[arg-type]
        with respx.mock(base_url=BASE) as mock:
            route = mock.post("/chat/completions").mock(side_effect=answer)
            with pytest.raises(ScoringError) as failed:
                await scorer.score("They moved the deadline again.", "That sounds exhausting.")
        outcomes.append(
            (str(failed.value), getattr(failed.value, "kind", None), waits, route.call_count)
        )
        await scorer.aclose()
        await client.close()
    assert outcomes[0] == outcomes[1]
    assert KEY not in outcomes[0][0]


async def test_a_lane_never_reuses_a_per_request_idempotency_key() -> None:
    from coach.scoring.judge import _Lane

    async def stamp(request: httpx.Request) -> None:
        request.headers["Idempotency-Key"] = f"key-{id(request)}"

    http = openai.DefaultAsyncHttpxClient(event_hooks={"request": [stamp]})
    client = openai.AsyncOpenAI(api_key=KEY, base_url=BASE, max_retries=0, http_client=http)
    url, headers, _ = await _Lane(client, http)._capture()
    assert str(url) == f"{BASE}/chat/completions"
    assert headers["authorization"] == f"Bearer {KEY}"
    assert "idempotency-key" not in headers and "content-length" not in headers
    assert http.event_hooks["request"] == [stamp]  # the capturing hook is gone again
    await client.close()
