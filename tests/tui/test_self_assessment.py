"""Self-assessment modal: keyboard, mouse, submit only when complete, Esc skips."""

from __future__ import annotations

from coach.scoring.types import SKILLS
from coach.tui.screens.self_assessment import RatingRow, SelfAssessmentScreen

try:
    from ._history_helpers import ScreenApp
except ImportError:  # tests/tui without __init__.py
    from _history_helpers import ScreenApp  # type: ignore[no-redef]


async def test_keyboard_rates_each_skill_and_enter_submits() -> None:
    screen = SelfAssessmentScreen(list(SKILLS))
    app = ScreenApp(screen)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(screen.focused, RatingRow) and screen.focused.skill == "empathy"
        await pilot.press("4")  # rates empathy, moves to listening
        await pilot.press("2", "up", "up", "right")  # listening 2; back to empathy: 4 -> 5
        await pilot.press("down", "down", "down", "left")  # clarity unrated: an arrow lands on 3
        assert screen.ratings == {"empathy": 5, "active_listening": 2, "clarity": 3}
        await pilot.press("enter")
        await pilot.pause()
        assert app.result == {"empathy": 5, "active_listening": 2, "clarity": 3}


async def test_arrows_from_the_submit_button_do_not_wrap_to_the_first_skill() -> None:
    # "4, down, 3" used to rate clarity, and a further "down" on Submit jumped back to empathy,
    # so the next number overwrote the empathy rating.
    from textual.widgets import Button

    screen = SelfAssessmentScreen(list(SKILLS))
    app = ScreenApp(screen)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("4", "3", "4")  # each number rates and moves on: Submit is next
        assert isinstance(screen.focused, Button) and screen.focused.id == "sa-submit"
        await pilot.press("down")
        assert isinstance(screen.focused, Button) and screen.focused.id == "sa-submit"
        await pilot.press("up")
        assert isinstance(screen.focused, RatingRow) and screen.focused.skill == "clarity"
        await pilot.press("5", "enter")
        await pilot.pause()
        assert app.result == {"empathy": 4, "active_listening": 3, "clarity": 5}


async def test_numbers_in_one_burst_rate_one_skill_each() -> None:
    # A fast typist or a paste delivers "434" before the app is idle again.
    screen = SelfAssessmentScreen(list(SKILLS))
    app = ScreenApp(screen)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for n in (4, 3, 4):
            screen.action_rate(n)
        screen.action_submit()
        await pilot.pause()
        assert app.result == {"empathy": 4, "active_listening": 3, "clarity": 4}


async def test_enter_with_a_missing_rating_does_not_submit() -> None:
    screen = SelfAssessmentScreen(list(SKILLS))
    app = ScreenApp(screen)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # nothing rated: "Rate Empathy too" read as a slip
        await pilot.pause()
        assert app._notifications and list(app._notifications)[-1].message.startswith(
            "Rate each skill 1-5 first"
        )
        await pilot.press("3", "3", "enter")
        await pilot.pause()
        assert list(app._notifications)[-1].message.startswith("Rate Clarity too")
        assert app.result == "not dismissed"
        assert app.screen is screen
        focused = screen.focused
        assert isinstance(focused, RatingRow) and focused.skill == "clarity"
        await pilot.press("5", "enter")
        await pilot.pause()
        assert app.result == {"empathy": 3, "active_listening": 3, "clarity": 5}


async def test_mouse_clicks_rate_and_submit() -> None:
    screen = SelfAssessmentScreen(["empathy", "clarity"])
    app = ScreenApp(screen)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        # Marks start after the 19-column label plus 1 of padding; " n " then a space.
        for index, n in ((0, 2), (1, 5)):
            await pilot.click(f"#rate-{index}", offset=(20 + (n - 1) * 4 + 1, 0))
        await pilot.pause()
        assert screen.ratings == {"empathy": 2, "clarity": 5}
        await pilot.click("#sa-submit")
        await pilot.pause()
        assert app.result == {"empathy": 2, "clarity": 5}


async def test_escape_skips_with_none() -> None:
    screen = SelfAssessmentScreen(list(SKILLS))
    app = ScreenApp(screen)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("4", "escape")
        await pilot.pause()
        assert app.result is None


async def test_unknown_skill_names_show_literally() -> None:
    screen = SelfAssessmentScreen(["[@click=app.quit]x[/]"])
    app = ScreenApp(screen)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        row = screen.query_one(RatingRow)
        assert str(row.render()).startswith("[@click=app.quit]…")  # literal, cut to fit
        await pilot.click("#rate-0", offset=(3, 0))
        await pilot.press("1", "enter")
        await pilot.pause()
        assert app.result == {"[@click=app.quit]x[/]": 1}
