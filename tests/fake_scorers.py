"""A scorer for tests that must decide when a score arrives."""

from __future__ import annotations

import asyncio

from coach.llm.base import Usage
from coach.llm.meter import UsageMeter
from coach.scoring.analytic import AnalyticScorer
from coach.scoring.types import ScoringError, TurnScore


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


class MeteredScorer(GatedScorer):
    """A judge whose every call costs `usage` on `model`, counted in `meter` as LLMJudge's."""

    def __init__(self, model: str = "gpt-4o-mini", usage: Usage | None = None) -> None:
        super().__init__()
        self.model = model
        self.cost = usage or Usage(1500, 120)
        self.meter = UsageMeter()
        self.go.set()

    async def score(self, context: str, response: str) -> TurnScore:
        result = await super().score(context, response)
        self.meter.add(self.model, self.cost)
        return result


class FlakyScorer(GatedScorer):
    """A judge whose first `failures` calls fail (a timeout), then score as the analytic one."""

    def __init__(self, failures: int = 1) -> None:
        super().__init__()
        self.failures = failures
        self.calls = 0
        self.go.set()

    async def score(self, context: str, response: str) -> TurnScore:
        self.calls += 1
        if self.calls <= self.failures:
            raise ScoringError("the judge timed out")
        return await super().score(context, response)
