"""A per-turn score chart on the fixed 1-5 scale, for the debrief.

Textual's Sparkline scales its bars from the smallest value to the largest, so 2.4 beside
2.3 drew a tall bar over an empty one and a learner read a big swing into 0.1. Scores have a
scale of their own: bars here stand on 1-5 (as History's strips do), with the axis and the
turn numbers drawn, so the picture says what the figures say.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from coach.tui.widgets.scored_turn import score_style

_EIGHTHS = " ▁▂▃▄▅▆▇█"
LOW, HIGH = 1.0, 5.0


def bar_rows(values: Sequence[float], height: int, bar: int) -> list[str]:
    """The chart's rows, top first: one column of `bar` cells per value, a gap between."""
    rows: list[str] = []
    for row in range(height - 1, -1, -1):
        cells = []
        for value in values:
            level = (min(max(value, LOW), HIGH) - LOW) / (HIGH - LOW)
            # At least a sliver for a 1.0: a bar that is there, and lowest.
            eighths = max(1, round(level * height * 8))
            fill = min(8, max(0, eighths - row * 8))
            cells.append(_EIGHTHS[fill] * bar)
        rows.append(" ".join(cells))
    return rows


class TurnChart(Widget):
    """Bars for `values` (1-5) with a 1/5 axis and turn numbers; narrower bars when many."""

    DEFAULT_CSS = "TurnChart { height: auto; width: 1fr; padding: 0 1; }"

    values: reactive[tuple[float, ...]] = reactive((), layout=True)

    def __init__(self, values: Sequence[float] = (), *, rows: int = 4, id: str | None = None):
        super().__init__(id=id)
        self.rows = rows
        self.set_reactive(TurnChart.values, tuple(values))

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return self.rows + 1 if self.values else 1

    def render(self) -> Text:
        values = self.values
        if not values:
            return Text("no scored turns", style="dim")
        room = max(1, self.content_region.width - 4)
        bar = max(1, min(5, room // len(values) - 1))
        shown = values[-max(1, room // (bar + 1)) :]  # the newest turns when too many
        first = len(values) - len(shown) + 1
        out = Text(end="", no_wrap=True, overflow="crop")
        for i, row in enumerate(bar_rows(shown, self.rows, bar)):
            axis = "5 ┤" if i == 0 else "1 ┤" if i == self.rows - 1 else "  │"
            out.append(f"{axis} ", style="dim")
            for j, value in enumerate(shown):
                if j:
                    out.append(" ")
                start = j * (bar + 1)
                out.append(row[start : start + bar], style=score_style(value).replace("bold ", ""))
            out.append("\n")
        labels = " ".join(str(first + j)[-bar:].rjust(bar) for j in range(len(shown)))
        out.append(f"    {labels}", style="dim")
        return out
