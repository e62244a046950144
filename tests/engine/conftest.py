"""Fixtures for the engine tests: an isolated home, no network, a recognisable fake key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from coach.library import load_library
from coach.scenario import Scenario


@pytest.fixture(autouse=True)
def _isolated(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    home = tmp_path_factory.mktemp("coach-home")
    monkeypatch.setenv("COACH_HOME", str(home))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "COACH_MODEL", "COACH_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    # An empty tiktoken cache: the counter must use the bundled encoding, never the network.
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path_factory.mktemp("tiktoken")))
    yield


@pytest.fixture(scope="session")
def scenarios() -> list[Scenario]:
    return load_library().scenarios


@pytest.fixture(scope="session")
def salary(scenarios: list[Scenario]) -> Scenario:
    return next(s for s in scenarios if s.id == "salary-offer-negotiation")
