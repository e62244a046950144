"""The key bar every screen ends with, tighter on a narrow terminal.

Textual's footer pads every key with a space on each side. At 80 columns the conversation's
keys then ran past the edge and cut "F1 Help", and the debrief lost Quit and Help: the compact
style keeps them on screen. Compact alone was not enough while a reply streamed or after one
failed (Stop reply and Retry join in), nor for the debrief's long names, which ran under the
palette key docked on the right: a narrow footer also names keys shortly ("Stop") and leaves
out the rarely used ones (Exam mode), as `coach.tui.keys` says. F1 help and the command
palette still list every key; the footer still shows the keys the `[keymap]` sets.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from coach.tui.keys import footer_name

# Below this width the keys go compact; at 100 columns and more the roomy footer fits.
COMPACT_BELOW = 100


class KeyFooter(Footer):
    """A `Footer` that turns compact, with short names, when the terminal is narrower than
    `COMPACT_BELOW`."""

    def on_mount(self) -> None:
        self.compact = self.app.size.width < COMPACT_BELOW

    def on_resize(self, event: events.Resize) -> None:
        self.compact = event.size.width < COMPACT_BELOW

    def watch_compact(self) -> None:
        # Names and which keys show depend on the width: build the keys again.
        if self.is_attached:
            self.call_after_refresh(self.recompose)

    def compose(self) -> ComposeResult:
        bindings = None  # read once there are keys: none until the screen's are ready
        for widget in super().compose():
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                if bindings is None:
                    bindings = self.screen.active_bindings
                # `key` is the binding's own key, the `[keymap]`'s if it sets one.
                active = bindings.get(widget.key)
                binding = active.binding if active else None
                name = footer_name(
                    binding.id if binding else None, widget.description, narrow=self.compact
                )
                if name is None:
                    continue
                widget.description = name
            yield widget
