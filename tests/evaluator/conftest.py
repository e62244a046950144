"""Shared helpers for the evaluator tooling tests: transcript builders and a fake judge
endpoint for respx that counts requests in flight."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai_fakes import completion
from pydantic import SecretStr

from coach.scoring.analytic import AnalyticScorer
from coach.scoring.judge import reset_mode_memory
from coach.settings import Settings
from coach.transcript import TranscriptWriter

BASE = "http://judge.test/v1"
KEY = "sk-test-FAKEKEY-0123456789abcdefXYZ"

EXCHANGES = [
    (
        "I'm worried this project is slipping and nobody is telling me why.",
        "It sounds like you feel left out of the loop. What worries you most?",
    ),
    (
        "Honestly the deadline. My boss keeps asking and I have nothing to say.",
        "So you're caught between your boss and the team. Could we agree on a weekly update?",
    ),
    (
        "That would help. But I still don't know what happened last week.",
        "Fair point. Last week two people were out sick; I should have told you on Monday.",
    ),
]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    # The root conftest does this too; repeated here so these tests never touch real config.
    monkeypatch.setenv("COACH_HOME", str(tmp_path / "home"))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "COACH_MODEL", "COACH_JUDGE_MODEL"):
        monkeypatch.delenv(var, raising=False)
    reset_mode_memory()
    yield
    reset_mode_memory()


@pytest.fixture
def cli_judge_without_retries(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The CLI's judge on the respx endpoint, giving up at the first failure (no backoff
    waits), for tests of what a failing judge reports."""
    monkeypatch.setenv("OPENAI_BASE_URL", BASE)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    home = tmp_path / "home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text("max_retries = 0\n", encoding="utf-8")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        home=tmp_path / "home",
        base_url=BASE,
        api_key=SecretStr(KEY),
        model="judge-model",
        max_retries=3,
    )


def write_transcript(
    path: Path,
    exchanges: list[tuple[str, str]] = EXCHANGES,
    *,
    scenario_id: str = "status-update",
    session_id: str | None = None,
    record_scores: bool = False,
) -> Path:
    """A schema-1 transcript written by the engine's own writer (opening line C0, then
    learner/counterpart turns; optionally the heuristic scores the learner saw)."""
    scorer = AnalyticScorer()
    writer = TranscriptWriter.create(
        path,
        {
            "session_id": session_id or path.stem,
            "created_at": "2025-01-01T00:00:00Z",
            "scenario_id": scenario_id,
            "scenario_title": scenario_id.replace("-", " ").title(),
            "scenario_hash": "x",
            "scenario_path": None,
            "backend": "offline",
            "model": None,
            "scorer": "heuristic",
            "rubric_version": scorer.rubric_version,
            "prompt_hashes": {},
            "seed": 1,
            "learner": "Sam",
        },
    )
    parent: str | None = None
    for i, (other, mine) in enumerate(exchanges):
        cid = f"C{i}"
        writer.write(
            "counterpart",
            turn_id=cid,
            reply_to=f"L{i}" if i else None,
            text=other,
            complete=True,
            finish_reason="stop",
            usage={},
            error=None,
        )
        parent = cid
        lid = f"L{i + 1}"
        writer.write("learner", turn_id=lid, parent=parent, text=mine)
        if record_scores:
            result = scorer.score_sync(other, mine).to_dict()
            writer.write("score", turn_id=lid, context=other, result=result)
    writer.close()
    return path


def judge_payload(response: str) -> dict[str, Any]:
    """A valid judge reply whose numbers depend on the text (so tests can tell turns apart)."""
    h = int(hashlib.sha256(response.encode()).hexdigest(), 16)
    word = response.split()[0]
    return {
        "empathy": {
            "score": 1 + h % 5,
            "emotional_reactions": h % 3,
            "interpretations": (h // 3) % 3,
            "explorations": (h // 9) % 3,
            "evidence": [{"quote": word, "label": "opening", "effect": "+"}],
            "tip": "Name the feeling you hear.",
        },
        "active_listening": {
            "score": 1 + (h // 5) % 5,
            "reflection": ["none", "simple", "complex"][h % 3],
            "question": ["none", "closed", "open"][(h // 7) % 3],
            "evidence": [],
            "tip": "Reflect before you ask.",
        },
        "clarity": {"score": 1 + (h // 25) % 5, "evidence": [], "tip": "Lead with the ask."},
    }


def learner_text(request: httpx.Request) -> str:
    """Pull the fenced learner reply out of a judge request."""
    body = json.loads(request.content)
    user = body["messages"][-1]["content"]
    marker = "LEARNER_REPLY"
    start = user.index(marker)
    chunk = user[start:]
    lines = chunk.split("\n")
    # The fence is: a line naming LEARNER_REPLY, the text, a closing delimiter line.
    text_lines: list[str] = []
    for line in lines[1:]:
        if ">>>" in line or "<<<" in line:
            break
        text_lines.append(line)
    return "\n".join(text_lines).strip()


@dataclass
class FakeJudgeEndpoint:
    """A respx side effect that answers judge calls after `delay` seconds and records the
    peak number of requests in flight."""

    delay: float = 0.0
    fail_429_first: int = 0
    in_flight: int = 0
    peak: int = 0
    calls: int = 0
    responses: list[str] = field(default_factory=list)
    after_calls: Any = None  # callable run after each completed call

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.fail_429_first > 0:
            self.fail_429_first -= 1
            return httpx.Response(
                429, json={"error": {"message": "slow down"}}, headers={"retry-after": "0"}
            )
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            text = learner_text(request)
            self.responses.append(text)
            return completion(json.dumps(judge_payload(text)))
        finally:
            self.in_flight -= 1
            if self.after_calls is not None:
                self.after_calls(self)
