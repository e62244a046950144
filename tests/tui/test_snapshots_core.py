"""Snapshots of the picker, a conversation and the debrief at 100x30 and 160x50.

Deterministic: offline backend, fixed seed, a fresh COACH_HOME, no clock in the frames, the
input's cursor does not blink. Update with `pytest --snapshot-update` after a deliberate change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from coach.tui.app import CoachApp
from coach.tui.screens.debrief import DebriefScreen
from coach.tui.screens.picker import PickerScreen
from tests.tui.conftest import open_conversation

SIZES = [(100, 30), (160, 50)]
TURNS = [
    "That sounds like a heavy month. What has it been like for you?",
    "So you keep working nights and it still feels like you're behind.",
    "It sounds exhausting. What makes it hard to ask for help?",
]


async def _wait(pilot: Pilot[Any], condition: Callable[[], object]) -> None:
    for _ in range(2000):
        if condition():
            return
        await pilot.pause()
    raise AssertionError("snapshot setup did not reach its state")


async def _picker(pilot: Pilot[Any]) -> None:
    app = pilot.app
    await _wait(pilot, lambda: isinstance(app.screen, PickerScreen) and app.screen.library)
    await _wait(pilot, lambda: app.screen.query_one("#recent").option_count > 0)


async def _conversation(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, CoachApp)
    await _picker(pilot)
    conv = await open_conversation(app, pilot, "colleague-close-to-burnout")
    area = conv.query_one("#input", TextArea)
    area.cursor_blink = False
    for n, line in enumerate(TURNS, start=1):
        area.insert(line)
        await pilot.press("ctrl+s")
        await _wait(pilot, lambda n=n: conv.session.turn_count == n and not conv.streaming)
    await _wait(pilot, lambda: all(v.score is not None for v in conv.views.values()))
    area.insert("A draft that is not sent yet")
    await pilot.pause()


async def _debrief(pilot: Pilot[Any]) -> None:
    app = pilot.app
    await _conversation(pilot)
    await pilot.press("ctrl+g")
    await _wait(
        pilot,
        lambda: (
            isinstance(app.screen, DebriefScreen)
            or type(app.screen).__name__ == "SelfAssessmentScreen"
        ),
    )
    if not isinstance(app.screen, DebriefScreen):
        app.screen.dismiss({"empathy": 4, "active_listening": 3, "clarity": 4})
        await _wait(pilot, lambda: isinstance(app.screen, DebriefScreen))
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", ["picker", "conversation", "debrief"], ids=lambda s: str(s))
def test_core_screens(
    snap_compare: Any, make_app: Callable[..., CoachApp], screen: str, size: tuple[int, int]
) -> None:
    setup = {"picker": _picker, "conversation": _conversation, "debrief": _debrief}[screen]
    assert snap_compare(make_app(), terminal_size=size, run_before=setup)
