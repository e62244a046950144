"""The key bar every screen ends with, tighter on a narrow terminal.

Textual's footer pads every key with a space on each side. At 80 columns the conversation's
keys then ran past the edge and cut "F1 Help" (more so while Esc and Ctrl+R join in), and the
debrief lost Quit and Help: the compact style keeps them on screen.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Footer

# Below this width the keys go compact; at 100 columns and more the roomy footer fits.
COMPACT_BELOW = 100


class KeyFooter(Footer):
    """A `Footer` that turns compact when the terminal is narrower than `COMPACT_BELOW`."""

    def on_mount(self) -> None:
        self.compact = self.app.size.width < COMPACT_BELOW

    def on_resize(self, event: events.Resize) -> None:
        self.compact = event.size.width < COMPACT_BELOW
