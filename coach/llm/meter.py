"""Tokens, requests and cost of every model call a session makes, per model.

The counterpart's replies are not the only calls that cost money: hints, history summaries,
the LLM judge (one call per learner turn, with the whole rubric in its prompt) and the
debrief's rewrite are paid for too, and the judge may use another model at another price.
A status line that counted only the counterpart understated the bill several times over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from coach.llm.base import ChatBackend, Usage
from coach.tokens import estimate_cost, price_for


@dataclass(slots=True)
class UsageMeter:
    """Usage per model name; `usage`, `requests` and `cost_usd` are the totals."""

    by_model: dict[str, Usage] = field(default_factory=dict)
    requests: int = 0

    def add(self, model: str, usage: Usage, *, requests: int = 1) -> None:
        self.by_model.setdefault(model, Usage()).add(usage)
        self.requests += requests

    def merged(self, *others: UsageMeter) -> UsageMeter:
        """A new meter with this one's figures and the others' (none of them changes)."""
        out = UsageMeter()
        for meter in (self, *others):
            for model, usage in meter.by_model.items():
                out.add(model, usage, requests=0)
            out.requests += meter.requests
        return out

    @property
    def usage(self) -> Usage:
        total = Usage()
        for usage in self.by_model.values():
            total.add(usage)
        return total

    @property
    def cost_usd(self) -> float | None:
        """US dollars, or None when any model used has no known price (a partial sum would
        pass for the whole bill)."""
        total = 0.0
        for model, usage in self.by_model.items():
            if usage.total_tokens == 0:
                continue
            cost = estimate_cost(model, usage)
            if cost is None:
                return None
            total += cost
        return total

    def cost_usd_with(self, models: Iterable[str]) -> float | None:
        """`cost_usd`, or None when any of `models` (the ones the caller pays for, called yet
        or not) has no known price: the status line said "$0.0000" before a local model's
        first call and "cost unknown" after it."""
        if any(price_for(model) is None for model in models):
            return None
        return self.cost_usd


def billed_models(backend: ChatBackend) -> tuple[str, ...]:
    """The model a counterpart backend bills for (none for the offline script), for
    `UsageMeter.cost_usd_with`."""
    return () if backend.name == "offline" else (backend.model,)
