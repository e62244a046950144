"""The debrief's per-turn chart stands on the fixed 1-5 scale, unlike an auto-scaled
sparkline that drew 2.4 beside 2.3 as a tall bar over an empty one."""

from __future__ import annotations

from textual.app import App, ComposeResult

from coach.tui.widgets.turn_chart import TurnChart, bar_rows


def heights(values: list[float], rows: int = 4) -> list[int]:
    """Filled eighths per bar, counted from the drawn rows."""
    levels = " ▁▂▃▄▅▆▇█"
    drawn = bar_rows(values, rows, 1)
    return [sum(levels.index(row.split(" ")[i]) for row in drawn) for i in range(len(values))]


def test_close_scores_draw_close_bars_and_the_scale_is_fixed() -> None:
    h = heights([2.9, 2.4, 2.3, 2.3])
    assert h[1] - h[2] <= 1 and h[0] > h[1]  # 0.1 apart: at most an eighth of a row
    assert heights([1.0])[0] == 1 and heights([5.0])[0] == 32  # a sliver, a full bar
    assert heights([3.0])[0] == 16  # the middle of the scale is half the height
    # The same score draws the same bar whatever else is on the chart.
    assert heights([2.3, 4.8])[0] == heights([2.3, 2.4])[0]


async def test_the_chart_names_its_scale_and_turns() -> None:
    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield TurnChart([3.7, 2.8, 4.1], id="c")

    app = One()
    async with app.run_test(size=(60, 10)) as pilot:
        await pilot.pause()
        lines = str(app.query_one(TurnChart).render()).splitlines()
        assert lines[0].startswith("5 ┤") and lines[3].startswith("1 ┤")
        assert lines[4].split() == ["1", "2", "3"]
        assert app.query_one(TurnChart).size.height == 5
