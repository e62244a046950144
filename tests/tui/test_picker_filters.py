"""The picker: its skill and difficulty filters narrow the library, alone and combined, and
every scenario in the list shows its title and its level line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Select

from coach.tui.app import CoachApp
from tests.tui.conftest import loaded_picker, wait_until

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


@pytest.mark.parametrize("width", [100, 120, 160])
async def test_every_scenario_shows_its_level_line(
    make_app: Callable[..., CoachApp], width: int
) -> None:
    # The OptionList measured its options before its scrollbar took a column, so a title
    # that wrapped only at the narrower width pushed its level line out of the option
    # (at 120 columns, the first built-in scenario).
    app = make_app()
    async with app.run_test(size=(width, 35)) as pilot:
        picker = await loaded_picker(app, pilot)
        assert picker.library is not None
        await pilot.pause()
        by_id = {s.id: s for s in picker.library.scenarios}
        order = [by_id[i] for i in picker.visible_ids]
        box = picker.query_one("#scenarios").region
        screen = [
            strip.text[box.x : box.right]
            for strip in app.screen._compositor.render_strips()[box.y : box.bottom]
        ]
        starts = [
            next((n for n, line in enumerate(screen) if s.title[:24] in line), None) for s in order
        ]
        checked = 0
        for n, scenario in enumerate(order[:-1]):
            top, bottom = starts[n], starts[n + 1]
            if top is None or bottom is None:
                break  # scrolled out of view
            assert f"{scenario.difficulty.value} ·" in "\n".join(screen[top:bottom]), scenario.title
            checked += 1
        assert checked >= 2


async def test_the_footer_shows_one_help_key_per_screen(
    make_app: Callable[..., CoachApp],
) -> None:
    from textual.widgets._footer import FooterKey

    def help_keys(app: CoachApp) -> list[str]:
        return [k.key for k in app.screen.query(FooterKey) if k.description == "Help"]

    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        await loaded_picker(app, pilot)
        await wait_until(pilot, lambda: help_keys(app), "footer keys")
        assert help_keys(app) == ["question_mark"]  # "? Help", not also "f1 Help"
        await pilot.press("f1")  # still opens help from the picker
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen", "help")


async def test_reload_picks_up_an_edited_scenario_file_and_keeps_the_place(
    make_app: Callable[..., CoachApp], until: WaitUntil, settings: Any
) -> None:
    # A trainer edits their scenario with the app open: F5 reads the folder again.
    from pathlib import Path

    from textual.widgets import OptionList

    starter = (Path(__file__).parents[1] / "foundation" / "valid_starter.yaml").read_text()
    folder = settings.user_scenarios_dir
    folder.mkdir(parents=True, exist_ok=True)
    mine = folder / "mine.yaml"
    mine.write_text(starter, encoding="utf-8")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        picker = await loaded_picker(app, pilot)
        assert picker.library is not None
        scenario_id = next(
            s.id for s in picker.library.scenarios if picker.library.path_of(s.id) == mine
        )
        options = picker.query_one("#scenarios", OptionList)
        options.highlighted = picker.visible_ids.index(scenario_id)
        await pilot.pause()

        mine.write_text(
            starter.replace("title: Ask a colleague to swap a shift", "title: Swap a shift, v2"),
            encoding="utf-8",
        )
        (folder / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
        await pilot.press("f5")
        await until(
            pilot,
            lambda: (
                picker.library is not None
                and picker.library.get(scenario_id) is not None
                and picker.library.get(scenario_id).title == "Swap a shift, v2"
            ),  # type: ignore[union-attr]
            "library reloaded",
        )
        await pilot.pause()
        assert options.highlighted == picker.visible_ids.index(scenario_id)
        said = [n.message for n in app._notifications]
        assert any(m.startswith("Reloaded ") and "1 problem in scenario files" in m for m in said)
        assert any("broken.yaml:" in m for m in said), said


async def test_enter_in_the_search_opens_a_single_match(
    make_app: Callable[..., CoachApp], until: WaitUntil
) -> None:
    from textual.widgets import Input, OptionList

    from coach.tui.screens.briefing import BriefingScreen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        picker = await loaded_picker(app, pilot)
        search = picker.query_one("#search", Input)
        search.focus()
        await pilot.press(*"salary")  # one match: the preview says "Enter read the briefing"
        await until(pilot, lambda: picker.visible_ids == ["salary-offer-negotiation"], "one")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, BriefingScreen), "its briefing")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is picker, "back")
        search.value = ""
        search.focus()
        await pilot.press(*"feedback")  # several: Enter goes to the list to choose
        await until(pilot, lambda: len(picker.visible_ids) > 1, "several")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is picker and app.focused is picker.query_one("#scenarios", OptionList)


def test_broken_scenario_files_make_one_short_notice() -> None:
    from coach.tui.screens.picker import problems_notice

    problems = [f"f{i}.yaml:{i}:1: bad value\n  snippet line\n  ^" for i in range(1, 6)]
    notice = problems_notice(problems, "F5")
    lines = notice.splitlines()
    # The first line of three problems, how many more, what to do: no snippets.
    assert lines[:3] == [
        "f1.yaml:1:1: bad value",
        "f2.yaml:2:1: bad value",
        "f3.yaml:3:1: bad value",
    ]
    assert lines[3] == "…and 2 more" and "F5" in lines[4] and len(lines) == 5
    assert "snippet" not in notice


async def test_a_broken_file_keeps_a_line_in_the_list_until_it_is_fixed(
    make_app: Callable[..., CoachApp], until: WaitUntil, settings: Any
) -> None:
    # The start-up notice about broken files faded and left no trace in the picker.
    from pathlib import Path

    from textual.widgets import OptionList

    from tests.tui._history_helpers import text_of

    folder = settings.user_scenarios_dir
    folder.mkdir(parents=True, exist_ok=True)
    broken = folder / "broken.yaml"
    broken.write_text("id: [unclosed\n", encoding="utf-8")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        picker = await loaded_picker(app, pilot)
        options = picker.query_one("#scenarios", OptionList)
        last = options.get_option_at_index(options.option_count - 1)
        assert last.disabled and last.id is None
        assert text_of(last.prompt) == "⚠ 1 scenario file did not load · fix and press F5"
        assert len(picker.visible_ids) == options.option_count - 1

        starter = (Path(__file__).parents[1] / "foundation" / "valid_starter.yaml").read_text()
        broken.write_text(starter, encoding="utf-8")
        await pilot.press("f5")
        await until(
            pilot, lambda: picker.library is not None and not picker.library.problems, "fixed"
        )
        await pilot.pause()
        assert not any(options.get_option_at_index(i).disabled for i in range(options.option_count))


async def test_reload_also_reads_the_recent_sessions_again(
    make_app: Callable[..., CoachApp], until: WaitUntil, settings: Any
) -> None:
    # A session played from the terminal while the app was open did not show until restart.
    from coach.library import load_library
    from coach.llm.offline import OfflineBackend
    from coach.scoring.analytic import AnalyticScorer
    from coach.session import Session

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        picker = await loaded_picker(app, pilot)
        await pilot.pause()
        assert picker.recent == []
        scenario = load_library().get("salary-offer-negotiation")
        assert scenario is not None
        settings.sessions_dir.mkdir(parents=True, exist_ok=True)
        session = Session(
            scenario,
            OfflineBackend(scenario, seed=1),
            AnalyticScorer(),
            settings.sessions_dir / "played-meanwhile.jsonl",
            settings=settings,
        )
        await session.start()
        await session.send("What matters most to you here?").run()
        await session.aclose()
        await pilot.press("f5")
        await until(pilot, lambda: picker.recent, "recent sessions read again")
        assert picker.recent[0].path == session.path
