"""One place that turns a scorer name into a scorer, for the app, `coach score` and replay.

Keeping the choice here means a replayed score is produced by exactly the same object (and
cache) as the live one for the same name and settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from coach.scoring.types import Scorer, ScoringError

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from coach.settings import Settings

ScorerName = Literal["heuristic", "llm"]
SCORER_NAMES: tuple[ScorerName, ...] = ("heuristic", "llm")


def make_scorer(
    name: str,
    settings: Settings,
    *,
    use_cache: bool = True,
    bypass_cache: bool = False,
    client: AsyncOpenAI | None = None,
) -> Scorer:
    """`heuristic` (offline, analytic) or `llm` (the judge on the configured endpoint).

    `bypass_cache` makes the judge ask the model even for a cached input (`calibrate
    --repeat`); `use_cache=False` neither reads nor writes the cache. Raises `ScoringError`
    for an unknown name or when `llm` has no endpoint to talk to.
    """
    if name == "heuristic":
        from coach.scoring.analytic import AnalyticScorer

        return AnalyticScorer()
    if name == "llm":
        if client is None and not settings.has_endpoint:
            raise ScoringError(
                "the llm scorer needs an endpoint: set OPENAI_API_KEY or OPENAI_BASE_URL "
                "(a local server needs no key), or use --scorer heuristic"
            )
        from coach.scoring.judge import LLMJudge

        return LLMJudge(settings, client=client, use_cache=use_cache, bypass_cache=bypass_cache)
    raise ScoringError(f"unknown scorer {name!r}; choose one of: {', '.join(SCORER_NAMES)}")


async def close_scorer(scorer: Scorer) -> None:
    """Release a scorer's connections, if it holds any (the judge does, the analytic not)."""
    aclose = getattr(scorer, "aclose", None)
    if aclose is not None:
        await aclose()
