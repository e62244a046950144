"""TUI fixtures: offline settings under the test COACH_HOME, an app factory, `wait_until`.

Pilot tests wait on real state (a screen, a widget, a file) with `pilot.pause()` in a loop,
never on sleeps, so they are as fast as the app and do not flake on slow machines.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from coach.settings import Settings, load_settings
from coach.tui.app import CoachApp, create_app
from coach.tui.screens.briefing import BriefingScreen
from coach.tui.screens.conversation import ConversationScreen
from coach.tui.screens.picker import PickerScreen

WaitUntil = Callable[..., Awaitable[None]]
SEED = 7


async def wait_until(
    pilot: Pilot[Any], condition: Callable[[], object], what: str = "", limit: int = 2000
) -> None:
    """Pause the pilot until `condition()` is truthy (bounded by pauses, not by time)."""
    for _ in range(limit):
        if condition():
            return
        await pilot.pause()
    raise AssertionError(f"condition never became true: {what or condition}")


async def loaded_picker(app: CoachApp, pilot: Pilot[Any]) -> PickerScreen:
    """The start screen once its library has loaded."""
    await wait_until(pilot, lambda: isinstance(app.screen, PickerScreen), "picker")
    picker = app.screen
    assert isinstance(picker, PickerScreen)
    await wait_until(pilot, lambda: picker.library is not None, "library loaded")
    return picker


async def open_conversation(
    app: CoachApp, pilot: Pilot[Any], scenario_ref: str = "salary-offer-negotiation"
) -> ConversationScreen:
    """Open `scenario_ref`, start it from its briefing, and return the conversation screen."""
    app.open_scenario_ref(scenario_ref)
    await wait_until(pilot, lambda: isinstance(app.screen, BriefingScreen), "briefing")
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, ConversationScreen), "conversation")
    screen = app.screen
    assert isinstance(screen, ConversationScreen)
    return screen


async def send_and_wait_for_reply(pilot: Pilot[Any], screen: ConversationScreen, text: str) -> None:
    """Type `text` into the input, send it, and wait until the counterpart has replied."""
    from textual.widgets import TextArea

    screen.query_one("#input", TextArea).insert(text)
    await pilot.press("ctrl+s")
    await wait_until(
        pilot,
        lambda: screen.session.turns and screen.session.turns[-1].reply and not screen.streaming,
        "the reply",
    )


@pytest.fixture
def settings(coach_home: Path) -> Settings:
    assert os.environ["COACH_HOME"] == str(coach_home)
    return load_settings(flags={"offline": True}).settings


@pytest.fixture
def make_app(settings: Settings) -> Callable[..., CoachApp]:
    def factory(**kwargs: Any) -> CoachApp:
        kwargs.setdefault("seed", SEED)
        return create_app(kwargs.pop("settings", settings), **kwargs)

    return factory


@pytest.fixture
def until() -> WaitUntil:
    return wait_until


@pytest.fixture
def user_scenario(settings: Settings) -> Callable[[str], Path]:
    """Writes a copy of a built-in scenario in the user's folder with another id and title."""
    import yaml

    from coach.resources import builtin_dir

    def write(title: str, scenario_id: str = "my-scenario") -> Path:
        return _write(yaml, builtin_dir, settings, title, scenario_id)

    return write


def _write(yaml: Any, builtin_dir: Any, settings: Settings, title: str, scenario_id: str) -> Path:
    source = builtin_dir("scenarios") / "colleague-close-to-burnout.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["id"] = scenario_id
    data["title"] = title
    folder = settings.user_scenarios_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{scenario_id}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path
