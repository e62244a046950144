"""A scorer for tests that must decide when a score arrives."""

from __future__ import annotations

import asyncio

from coach.scoring.analytic import AnalyticScorer
from coach.scoring.types import TurnScore


class GatedScorer:
    """The analytic scorer's scores, each given only once the test sets `go` (a judge that
    has not answered yet, or one that answers at a chosen moment)."""

    def __init__(self, name: str = "llm") -> None:
        self.name = name
        self.inner = AnalyticScorer()
        self.rubric_version = self.inner.rubric_version
        self.go = asyncio.Event()

    async def score(self, context: str, response: str) -> TurnScore:
        await self.go.wait()
        return self.inner.score_sync(context, response)
