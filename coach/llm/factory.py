"""Build backends and OpenAI clients from Settings, in one place.

The counterpart and the LLM judge share `make_openai_client`, so timeouts, the disabled SDK
retries (ours count instead) and the optional key behave the same for both. A local endpoint
needs no key: the SDK insists on one, so a placeholder is passed, and the real key, when
there is one, is only ever handed to the client — never logged or shown.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from coach.llm.base import ChatBackend
from coach.llm.errors import NotConfiguredError

if TYPE_CHECKING:
    import openai

    from coach.llm.moves import MoveClassifier
    from coach.llm.openai_backend import Sleep
    from coach.scenario import Scenario
    from coach.settings import Settings
    from coach.tokens import TokenCounter

NO_KEY_PLACEHOLDER = "not-needed"


def make_openai_client(settings: Settings) -> openai.AsyncOpenAI:
    """An AsyncOpenAI for the configured endpoint; raises NotConfiguredError without one."""
    import httpx
    import openai

    key = settings.api_key_value()
    if key is None and settings.base_url is None:
        raise NotConfiguredError(
            "No LLM endpoint configured: set OPENAI_API_KEY or OPENAI_BASE_URL, or use --offline."
        )
    return openai.AsyncOpenAI(
        api_key=key or NO_KEY_PLACEHOLDER,
        base_url=settings.base_url,
        timeout=httpx.Timeout(settings.request_timeout, connect=settings.connect_timeout),
        max_retries=0,  # our retry policy (openai_backend) is the one that counts
    )


def make_backend(
    settings: Settings,
    scenario: Scenario,
    *,
    seed: int | None = None,
    offline: bool | None = None,
    classifier: MoveClassifier | None = None,
    counter: TokenCounter | None = None,
    sleep: Sleep | None = None,
) -> ChatBackend:
    """The offline scripted backend unless an LLM is configured and not forced offline."""
    use_offline = (not settings.use_llm) if offline is None else offline
    if use_offline:
        from coach.llm.offline import OfflineBackend

        return OfflineBackend(scenario, seed=seed or 0, classifier=classifier)
    from coach.llm.openai_backend import OpenAIBackend

    extra = {"sleep": sleep} if sleep is not None else {}
    return OpenAIBackend(
        make_openai_client(settings),
        settings.model,
        max_tokens=settings.max_reply_tokens,
        max_retries=settings.max_retries,
        rng=random.Random(seed),
        secret=settings.api_key_value(),
        counter=counter,
        **extra,  # type: ignore[arg-type]
    )
