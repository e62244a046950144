"""Lines whose wrapped continuation stays under the text, not under the label or bullet.

Rich `Text` wraps every line back to column 0, so a bullet or a "Goal" label that wraps in a
narrow pane leaves its second line sticking out to the left of the first. A two-column grid
(the leads never wrap, the bodies take the rest) keeps each body in one column however the
terminal is sized, and lines up the bodies of rows with labels of different widths.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text


def aligned(*rows: tuple[str | Text, Text], gap: int = 0) -> Table:
    """Rows of (lead, body): every body starts in the same column and wraps under itself."""
    grid = Table.grid(padding=(0, gap, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for lead, body in rows:
        grid.add_row(lead if isinstance(lead, Text) else Text(lead), body)
    return grid


def hanging(lead: str | Text, body: Text) -> Table:
    """`lead` (a bullet, an indent) then `body`, wrapped under its own first line."""
    return aligned((lead, body))
