"""The picker's skill and difficulty filters narrow the library, alone and combined."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.widgets import Select

from coach.tui.app import CoachApp
from tests.tui.conftest import loaded_picker

WaitUntil = Any


async def test_skill_and_difficulty_filters_narrow_the_list(
    make_app: Callable[..., CoachApp], until: WaitUntil
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        picker = await loaded_picker(app, pilot)
        await until(pilot, lambda: bool(picker.query("#difficulty-filter")), "filters mounted")
        assert picker.library is not None
        everything = list(picker.visible_ids)
        by_id = {s.id: s for s in picker.library.scenarios}

        lib = picker.library.scenarios
        empathy = [s.id for s in lib if "empathy" in s.skills]
        assert 0 < len(empathy) < len(everything)  # the library must have both kinds
        picker.query_one("#skill-filter", Select).value = "empathy"
        await until(pilot, lambda: picker.visible_ids == empathy, "skill filter applied")

        both = [i for i in empathy if by_id[i].difficulty.value == "beginner"]
        assert 0 < len(both) < len(empathy)
        picker.query_one("#difficulty-filter", Select).value = "beginner"
        await until(pilot, lambda: picker.visible_ids == both, "level filter applied")

        # Back to "any" shows the whole library again.
        picker.query_one("#skill-filter", Select).clear()
        picker.query_one("#difficulty-filter", Select).clear()
        await until(pilot, lambda: picker.visible_ids == everything, "filters cleared")
