"""Fixtures every test gets: an isolated COACH_HOME and no real endpoint configured.

A developer's own key or config must never leak into a test run, and no test may write into
the real user data dir.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

ENDPOINT_VARS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "COACH_MODEL", "COACH_JUDGE_MODEL")


@pytest.fixture(autouse=True)
def coach_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("coach-home")
    monkeypatch.setenv("COACH_HOME", str(home))
    for var in ENDPOINT_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("COACH_OFFLINE", raising=False)
    yield home
