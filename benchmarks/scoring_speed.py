"""Throughput of the offline analytic scorer on one core (turns per second, all three skills).

The live app scores every learner turn synchronously, so the scorer must stay in the
microseconds; this prints the figure beside the 10,000 turns/s target. No assertions: timings
belong in a benchmark, not in the test suite.

    python benchmarks/scoring_speed.py
"""

from __future__ import annotations

import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._data import rows
from coach.scoring.analytic import AnalyticScorer

TARGET = 10_000

# A built-in mix of typical learner turns, used when the data folder is absent.
_BUILTIN = [
    (
        "I'm really frustrated, the deadline moved again.",
        "It sounds like the moving deadline has worn you down. What would help most this week?",
    ),
    (
        "Can you move the release to next week?",
        "Yes, if we cut the export feature. Could we agree on Friday for a first draft?",
    ),
    ("My manager keeps ignoring my ideas.", "You should just talk to HR."),
    ("I feel like nobody listens to me.", "I'm sorry. I've been there too. What happened?"),
    ("We can't pay more than 80k.", "Take it or leave it: 95k or I walk."),
    ("The client is furious about the outage.", "Calm down, it's not a big deal."),
]


def _mix() -> list[tuple[str, str]]:
    # Conversational turns from the emotional-support and negotiation dev sets: realistic
    # lengths and vocabulary for a learner's reply.
    mix = [(r["context"], r["response"]) for r in rows("esconv_supporter_turns")][:4000]
    mix += [(r["context"], r["response"]) for r in rows("casino_strategies")][:2000]
    return mix or _BUILTIN * 500


def main() -> int:
    scorer = AnalyticScorer()
    mix = _mix()
    for c, r in mix[:200]:
        scorer.score_sync(c, r)  # warm caches and compiled patterns
    best = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        for c, r in mix:
            scorer.score_sync(c, r)
        best = max(best, len(mix) / (time.perf_counter() - t0))
    words = sum(len(r.split()) for _, r in mix) / len(mix)
    # A fixed pure-Python loop, to tell a slow or shared machine from a slow scorer.
    ref = min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6
    print(
        f"analytic scorer: {best:,.0f} turns/s on one core "
        f"({len(mix)} turns, mean {words:.1f} words)  target >= {TARGET:,}"
    )
    print(
        f"machine reference: sum(range(1000)) = {ref:.1f} us "
        "(about 8-10 us on a current desktop core; scale the figure accordingly)"
    )
    long_replies(scorer)
    return 0


def long_replies(scorer: AnalyticScorer) -> None:
    """A pasted essay must cost time in proportion to its length: a per-hit scan once made a
    96 KB reply take 4.3 s and a 384 KB one 93 s (a replay stuck, Ctrl-C unheard)."""
    sentence = "I hear you. It sounds like Friday worries you. What would help most? "
    figures = []
    for kb in (24, 96, 384):
        text = sentence * (kb * 1024 // len(sentence))
        t0 = time.perf_counter()
        scorer.score_sync("I'm worried about Friday.", text)
        figures.append((kb, time.perf_counter() - t0))
    shown = ", ".join(f"{kb} KB {secs:.2f}s" for kb, secs in figures)
    growth = figures[-1][1] / figures[0][1]
    print(f"long replies: {shown}; 16x the text took {growth:.1f}x the time (linear: ~16x)")


if __name__ == "__main__":
    raise SystemExit(main())
