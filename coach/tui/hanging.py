"""Lines whose wrapped continuation stays under the text, not under the label or bullet.

Rich `Text` wraps every line back to column 0, so a bullet or a "Goal" label that wraps in a
narrow pane leaves its second line sticking out to the left of the first. A two-column grid
(the lead never wraps, the body takes the rest) keeps the body in one column however the
terminal is sized.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text


def hanging(lead: str | Text, body: Text) -> Table:
    """`lead` (a bullet, a label, an indent) then `body`, wrapped under its own first line."""
    grid = Table.grid()
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row(lead if isinstance(lead, Text) else Text(lead), body)
    return grid
