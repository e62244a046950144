"""History screen: real sessions listed with scores, charts, the skill gap, play and replay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.errors import NoWidget
from textual.widget import Widget
from textual.widgets import Button, DataTable, Static
from textual.widgets.data_table import ColumnKey

from coach.tui.screens.history import HistoryScreen, ScoreStrip
from coach.tui.screens.replay_viewer import ReplayViewerScreen

try:
    from ._footer import cut_keys, footer_keys
    from ._history_helpers import (
        ScreenApp,
        plain,
        play_session,
        settings,
        standard_history,
        wait_loaded,
        write_transcript,
    )
except ImportError:  # tests/tui without __init__.py
    from _footer import cut_keys, footer_keys  # type: ignore[no-redef]
    from _history_helpers import (  # type: ignore[no-redef]
        ScreenApp,
        plain,
        play_session,
        settings,
        standard_history,
        wait_loaded,
        write_transcript,
    )


async def test_history_lists_real_sessions_newest_first_with_scores() -> None:
    s = settings()
    paths = await standard_history(s)
    screen = HistoryScreen(s)
    app = ScreenApp(screen)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_loaded(pilot, screen)
        table = screen.query_one("#sessions", DataTable)
        assert table.row_count == len(paths)
        first = [str(c) for c in table.get_row_at(0)]
        assert first[0] == "2025-03-14 16:45"
        assert "burnout" in first[1].lower() or "colleague" in first[1].lower()
        last = [str(c) for c in table.get_row_at(table.row_count - 1)]
        assert last[0] == "2025-03-01 09:00"
        assert last[2] == "walked out"
        # Score cells are numbers from the real scorer; the self-gap shows where rated.
        assert all(0 < float(v) <= 5 for v in first[4:7])
        gaps = [str(table.get_row_at(i)[7]) for i in range(table.row_count)]
        assert sum(g != "-" for g in gaps) == 2
        # One chart point per scored session, oldest first.
        spark = screen.query_one("#spark-empathy", ScoreStrip)
        assert len(spark.values) == len(paths)
        assert len(str(spark.render())) == len(paths)
        assert screen.data is not None
        shown = [round(p.value, 1) for p in screen.data.history.gap_progress()]
        assert shown == [float(gaps[3]), float(gaps[1])]


async def test_skill_gap_panel_recommends_and_p_dismisses_with_play() -> None:
    s = settings()
    await standard_history(s)
    screen = HistoryScreen(s)
    app = ScreenApp(screen)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_loaded(pilot, screen)
        assert screen.data is not None
        gap, choice = screen.data.gap, screen.data.recommendation
        assert gap.skill is not None and choice is not None
        text = plain(screen.query_one("#gap-text", Static))
        assert "Weakest lately" in text
        assert choice.title in text
        await pilot.press("p")
        await pilot.pause()
        assert app.result == ("play", choice.scenario_id)


async def test_play_button_works_with_the_mouse() -> None:
    s = settings()
    await play_session(
        s, "peer-missed-deadlines", ["What happened?"], created_at="2025-05-01T10:00:00Z"
    )
    screen = HistoryScreen(s)
    app = ScreenApp(screen)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_loaded(pilot, screen)
        await pilot.click("#play-recommended")
        await pilot.pause()
        assert isinstance(app.result, tuple) and app.result[0] == "play"


async def test_enter_opens_the_replay_viewer_on_the_selected_session() -> None:
    s = settings()
    paths = await standard_history(s)
    screen = HistoryScreen(s)
    app = ScreenApp(screen)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_loaded(pilot, screen)
        await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        viewer = app.screen
        assert isinstance(viewer, ReplayViewerScreen)
        assert viewer.path == paths[3]  # second newest
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_the_footer_names_the_replay_key_and_it_opens_the_replay_viewer() -> None:
    # The focused table's own, hidden Enter binding shadowed the screen's: the footer never
    # said which key opens a session.
    s = settings()
    paths = await standard_history(s)
    screen = HistoryScreen(s)
    app = ScreenApp(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot, screen)
        await pilot.pause()
        assert ("⏎", "Replay") in footer_keys(app)
        assert cut_keys(app) == []
        await pilot.press("enter")
        await pilot.pause()
        viewer = app.screen
        assert isinstance(viewer, ReplayViewerScreen)
        assert viewer.path == paths[4]  # the newest, where the cursor starts


async def test_empty_history_explains_itself_and_still_recommends() -> None:
    s = settings()
    screen = HistoryScreen(s)
    app = ScreenApp(screen)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_loaded(pilot, screen)
        assert "No sessions yet" in plain(screen.query_one("#history-empty", Static))
        assert screen.data is not None and screen.data.recommendation is not None
        assert screen.data.recommendation.difficulty == "beginner"
        await pilot.press("escape")
        await pilot.pause()
        assert app.result is None


async def test_hostile_titles_and_broken_files_show_literally(tmp_path: Path) -> None:
    s = settings()
    nasty = "[bold]x[/bold] [/ [@click=app.quit]q[/] \x1b[31mred"
    write_transcript(
        s.sessions_dir / "20250401-100000-nasty.jsonl",
        [{"type": "end", "outcome": "[@click=app.quit]boom[/]"}],
        scenario_title=nasty,
    )
    broken = s.sessions_dir / "20250402-[bold]broken[@click=app.quit]x.jsonl"
    broken.write_text("not json\n{}\n", encoding="utf-8")
    screen = HistoryScreen(s)
    app = ScreenApp(screen)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_loaded(pilot, screen)
        table = screen.query_one("#sessions", DataTable)
        row = [str(c) for c in table.get_row_at(0)]
        assert row[1].startswith("[bold]x[/bold] [/ [@click=app.quit]q[/]")
        assert "\\x1b[31mred" in row[1]
        assert row[2] == "[@click=app.quit]boom[/]"
        warnings = plain(screen.query_one("#history-warnings", Static))
        assert "20250402-[bold]broken[@click=app.quit]x.jsonl" in warnings
        await pilot.click("#sessions", offset=(20, 1))
        await pilot.pause()
        assert app.is_running


async def test_leaving_before_the_history_loads_is_harmless() -> None:
    s = settings()
    await standard_history(s)
    screen = HistoryScreen(s)
    app = ScreenApp(screen)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("escape")  # likely before the worker has finished
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert app.result is None
        assert app.is_running


async def test_clicking_a_header_sorts_by_that_column() -> None:
    s = settings()
    await standard_history(s)
    screen = HistoryScreen(s)
    app = ScreenApp(screen)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_loaded(pilot, screen)
        table = screen.query_one("#sessions", DataTable)
        column = list(table.columns).index("clarity")

        def clarity() -> list[float]:
            return [float(str(table.get_row_at(i)[column])) for i in range(table.row_count)]

        table.post_message(
            DataTable.HeaderSelected(table, table.columns["clarity"].key, column, Text("Clarity"))
        )
        await pilot.pause()
        assert clarity() == sorted(clarity())
        table.post_message(
            DataTable.HeaderSelected(table, table.columns["clarity"].key, column, Text("Clarity"))
        )
        await pilot.pause()
        assert clarity() == sorted(clarity(), reverse=True)
        assert len(set(clarity())) > 1  # the order really changed something


async def test_exam_mode_hides_the_scores_of_an_unfinished_session() -> None:
    # Opened from the palette mid-session in exam mode, history showed the session being
    # played with its scores (and counted them in the progress bars).
    from coach.tui.screens.history import compute

    s = settings()
    lines = ["That sounds like a hard week. What is weighing on you most?"]
    done = await play_session(s, "peer-missed-deadlines", lines, created_at="2025-03-02T09:00:00Z")
    open_ = await play_session(
        s, "peer-missed-deadlines", lines, created_at="2025-03-03T09:00:00Z", number=2
    )
    kept = [x for x in open_.read_text().splitlines() if '"type":"end"' not in x]
    open_.write_text("\n".join(kept) + "\n")
    shown = {r.path: r for r in compute(s, exam_mode=True).history.records}
    assert shown[done].mean_scores and not shown[open_].mean_scores
    assert shown[open_].overall is None
    assert compute(s).history.records[0].mean_scores  # outside exam mode, as before


def test_the_progress_arrow_compares_with_the_previous_session() -> None:
    from coach.tui.screens.history import HistoryScreen

    # 2.2, 3.2, then 2.8: a drop last time must not show as a rise (against the first, it did).
    assert HistoryScreen._trend_text([2.2, 3.2, 2.8]).plain == "2.8 ▼0.4"
    assert HistoryScreen._trend_text([2.0, 3.0]).plain == "3.0 ▲1.0"
    assert HistoryScreen._trend_text([3.0]).plain == "3.0"


def _on_screen(screen: HistoryScreen, widget: Widget) -> bool:
    """The widget is displayed and the screen really shows it (not clipped by a parent)."""
    region = widget.region
    if not widget.display or not region or not screen.region.contains_region(region):
        return False
    try:
        shown, _ = screen.get_widget_at(region.x, region.y)
    except NoWidget:
        return False
    return shown is widget


async def test_a_default_terminal_shows_the_play_button_and_every_score_column() -> None:
    # At 80x24 the Play button fell below the skill-gap panel's edge and the Clarity
    # column past the table's right edge.
    s = settings()
    await standard_history(s)
    screen = HistoryScreen(s)
    app = ScreenApp(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot, screen)
        button = screen.query_one("#play-recommended", Button)
        assert _on_screen(screen, button)
        await pilot.click("#play-recommended")
        await pilot.pause()
        assert isinstance(app.result, tuple) and app.result[0] == "play"

    screen = HistoryScreen(s)
    app = ScreenApp(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot, screen)
        table = screen.query_one("#sessions", DataTable)
        keys = [column.key.value for column in table.ordered_columns]
        assert {"scenario", "outcome", "empathy", "active_listening", "clarity"} <= set(keys)
        # Room is kept for the scrollbar of a long history.
        used = sum(column.get_render_width(table) for column in table.ordered_columns)
        assert used + 2 <= table.size.width
        assert screen.region.contains_region(table.region)


async def test_the_table_follows_the_terminal_width() -> None:
    s = settings()
    paths = await standard_history(s)
    screen = HistoryScreen(s)
    app = ScreenApp(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot, screen)
        table = screen.query_one("#sessions", DataTable)
        assert "gap" not in table.columns
        await pilot.press("down")
        await pilot.resize_terminal(160, 50)
        await wait_until_columns(pilot, table, "gap")
        assert table.row_count == len(paths)
        assert table.columns[ColumnKey("scenario")].width == 60
        assert screen.selected_path() == paths[3]  # the selection survives the new layout
        await pilot.resize_terminal(80, 24)
        await wait_until_columns(pilot, table, "gap", present=False)
        assert screen.selected_path() == paths[3]


async def wait_until_columns(
    pilot: Any, table: DataTable[Any], key: str, *, present: bool = True
) -> None:
    for _ in range(200):
        await pilot.pause()
        if (key in table.columns) == present:
            return
    raise AssertionError(f"column {key} never {'appeared' if present else 'went'}")
