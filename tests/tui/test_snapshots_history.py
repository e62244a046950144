"""Snapshots of the history screen at 80x24, 100x30 and 160x50 on fixed, real session data."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from coach.tui.screens.history import HistoryScreen

try:
    from ._history_helpers import ScreenApp, settings, standard_history, wait_loaded
except ImportError:  # tests/tui without __init__.py
    from _history_helpers import (  # type: ignore[no-redef]
        ScreenApp,
        settings,
        standard_history,
        wait_loaded,
    )


@pytest.mark.parametrize("size", [(100, 30), (160, 50), (80, 24)])
def test_history_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    s = settings()
    asyncio.run(standard_history(s))
    screen = HistoryScreen(s)

    async def loaded(pilot: Any) -> None:
        await wait_loaded(pilot, screen)

    assert snap_compare(ScreenApp(screen), terminal_size=size, run_before=loaded)
