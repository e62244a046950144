"""Shared constants and helpers for the engine tests."""

from __future__ import annotations

from pathlib import Path

from coach.llm.offline import OfflineBackend
from coach.scenario import Scenario
from coach.scoring.analytic import AnalyticScorer
from coach.session import Phase, Session

SSE_DIR = Path(__file__).parent / "sse"
FAKE_KEY = "sk-test-FAKEKEY-0123456789abcdefXYZ"
BASE_URL = "http://llm.test/v1"

# Two learner scripts used across the suite: one that listens, one that pushes.
EMPATHETIC = [
    "It sounds like you're under real pressure with this, and that makes sense.",
    "What matters most to you here?",
    "So if I understand you, the real worry is the people involved, not just the numbers.",
    "That sounds exhausting. How has it been affecting you?",
    "It seems this has been weighing on you for a while.",
    "What would a good outcome look like for you?",
    "How about we agree on a concrete plan: I propose we review it together on Friday "
    "and I send you a written summary today?",
    "Would it work if we split it: I take the first part by Monday and you confirm the "
    "rest by Wednesday?",
    "I propose we put that in writing today and check in next week.",
    "Could we agree on that plan and review it in two weeks?",
    "I suggest we do half now and half in March.",
    "How about we write that down together today?",
]
DISMISSIVE = [
    "Calm down, it's not a big deal.",
    "Take it or leave it, I need an answer right now.",
    "That's ridiculous, this is your fault.",
    "Whatever. Let's talk about something else.",
    "You always do this.",
    "Just accept it and move on.",
    "Final offer, right now.",
    "Stop overreacting.",
    "Calm down, it's not a big deal.",
    "Take it or leave it.",
    "That's ridiculous.",
    "Whatever.",
]


def sse(name: str) -> bytes:
    """A recorded SSE stream from tests/engine/sse/."""
    return (SSE_DIR / name).read_bytes()


async def play(scenario: Scenario, lines: list[str], tmp_path: Path, seed: int = 1) -> Session:
    """Play `lines` offline with `seed` until the session ends (or end it after them)."""
    path = tmp_path / f"{scenario.id}-{seed}-{lines[0][:8]}.jsonl"
    session = Session(
        scenario, OfflineBackend(scenario, seed=seed), AnalyticScorer(), path, seed=seed
    )
    await session.start()
    for line in lines:
        if session.phase is Phase.ended:
            break
        await session.send(line).run()
    if session.phase is not Phase.ended:
        await session.end()
    await session.aclose()
    return session
