"""Help: every key of the app, the current screen's first, and where coach keeps its files.

Keys are read from the live `BINDINGS` of the app and of every screen class (with the user's
keymap overrides applied), so the help can never drift from what the keys really do. The
conversation's send/newline rule gets its own paragraph because it is the one thing a new
learner must know before typing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from coach.tui.keys import app_key
from coach.tui.literal import lit
from coach.tui.widgets.footer import KeyFooter

# (module, class, title) of every screen, in the order a learner meets them.
SCREENS: tuple[tuple[str, str, str], ...] = (
    ("picker", "PickerScreen", "Scenario picker"),
    ("briefing", "BriefingScreen", "Briefing"),
    ("conversation", "ConversationScreen", "Conversation"),
    ("conversation", "RewindScreen", "Rewind"),
    ("self_assessment", "SelfAssessmentScreen", "Self-assessment"),
    ("debrief", "DebriefScreen", "Debrief"),
    ("history", "HistoryScreen", "History & progress"),
    ("replay_viewer", "ReplayViewerScreen", "Replay viewer"),
    ("settings_screen", "SettingsScreen", "Settings"),
)


def sending(key: Callable[[str], str]) -> str:
    """How sending works, naming the keys the keymap gives Send, Stop reply and Retry."""
    return (
        "In the conversation, Enter inserts a new line (replies are often several lines, and "
        f"pasted text stays whole). {key('send')} sends; Ctrl+Enter also sends where the "
        f"terminal reports it. {key('cancel')} stops a reply that is streaming in; what you "
        f"typed is never cleared by an error — {key('retry')} retries a failed reply or score."
    )


def heading(title: str) -> Text:
    """A section title on its own line (styled as a span, not as the whole Text)."""
    out = Text(end="")
    out.append(title, style="bold underline")
    out.append("\n")
    return out


def class_bindings(cls: type[DOMNode], *, own_only: bool = False) -> list[Binding]:
    """The bindings a class declares, its bases' included (a subclass's key wins).

    `own_only` keeps only classes defined in coach (Textual's generic Screen keys such as
    Tab are not what a learner looks for under "this screen").
    """
    merged: dict[tuple[str, str], Binding] = {}
    for klass in reversed(cls.__mro__):
        if own_only and not klass.__module__.startswith("coach."):
            continue
        declared: Iterable[BindingType] | None = klass.__dict__.get("BINDINGS")
        if not declared:
            continue
        for binding in Binding.make_bindings(declared):
            merged[(binding.key, binding.action)] = binding
    # One row per action: keys of the same action are shown together.
    by_action: dict[str, Binding] = {}
    for binding in merged.values():
        if binding.action in by_action:
            first = by_action[binding.action]
            keys = f"{first.key},{binding.key}"
            by_action[binding.action] = Binding(
                keys, first.action, first.description, id=first.id, show=first.show
            )
        else:
            by_action[binding.action] = binding
    return list(by_action.values())


class HelpScreen(ModalScreen[None]):
    """Every key of the app and of the screen it was opened from; Esc, q or F1 closes.

    Optional `keymap` (binding id -> keys) and `home` override what is read from the app's
    `settings` attribute, for apps that keep them elsewhere.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f1", "close", "Close"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #help-box {
        width: 96; max-width: 100%; height: 90%; border: thick $accent;
        background: $surface; padding: 0 2;
    }
    HelpScreen #help-box > Static { height: auto; margin-top: 1; }
    """

    def __init__(self, *, keymap: Mapping[str, str] | None = None, home: Any | None = None) -> None:
        super().__init__()
        self._keymap = keymap
        self._home = home

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(Text("Help", style="bold"), id="help-title")
            yield Static(Text(""), id="help-current")
            yield Static(self._sending(), id="help-sending")
            yield Static(Text(""), id="help-app")
            yield Static(Text(""), id="help-screens")
            yield Static(Text(""), id="help-files")
        yield KeyFooter()

    def on_mount(self) -> None:
        try:
            self._fill()
        except NoMatches:  # closed (or the app exited) before the mount was processed
            return

    def _fill(self) -> None:
        below = self._screen_below()
        current = Text(end="")
        screen_rows = class_bindings(type(below), own_only=True) if below is not None else []
        if below is not None and screen_rows:
            title = self._title_of(type(below))
            current.append(f"This screen: {title}\n", style="bold underline")
            current.append_text(self._rows(screen_rows))
            focused = below.focused
            # Not twice: History's table binds Enter (Replay) itself, for its footer.
            said = {(self.keys_of(b), b.description) for b in screen_rows}
            field_rows = [
                b
                for b in (class_bindings(type(focused), own_only=True) if focused else [])
                if (self.keys_of(b), b.description) not in said
            ]
            if field_rows:
                current.append("\nIn the focused field\n", style="bold")
                current.append_text(self._rows(field_rows))
        self.query_one("#help-current", Static).update(current)
        app_keys = heading("Everywhere")
        app_keys.append_text(self._rows(class_bindings(type(self.app))))
        palette = self.app.get_key_display(Binding("ctrl+p", "command_palette"))
        app_keys.append_text(self._row(palette, "Command palette: every action by name"))
        self.query_one("#help-app", Static).update(app_keys)
        self.query_one("#help-screens", Static).update(self._all_screens(below))
        self.query_one("#help-files", Static).update(self._files())

    # ---- sections

    def _screen_below(self) -> Screen[Any] | None:
        stack = self.app.screen_stack
        others = [s for s in stack if s is not self]
        return others[-1] if others else None

    @staticmethod
    def _title_of(cls: type[Any]) -> str:
        for _module, name, title in SCREENS:
            if name == cls.__name__:
                return title
        return cls.__name__

    def _sending(self) -> Text:
        out = heading("Sending and new lines")
        out.append(sending(partial(app_key, self.app)))
        return out

    def _all_screens(self, below: Screen[Any] | None) -> Text:
        out = heading("All screens")
        for module, name, title in SCREENS:
            try:
                cls = getattr(importlib.import_module(f"coach.tui.screens.{module}"), name)
            except (ImportError, AttributeError):
                continue
            if below is not None and cls is type(below):
                continue
            rows = class_bindings(cls, own_only=True)
            if not rows:
                continue
            out.append(f"{title}\n", style="bold")
            out.append_text(self._rows(rows))
        out.rstrip()
        return out

    def _files(self) -> Text:
        out = heading("Where files live")
        settings = self._app_settings()
        home = self._home or (settings.home if settings is not None else None)
        if home is None:
            try:
                from coach.settings import load_settings

                home = load_settings().settings.home
            except Exception:  # help must open even with a broken config
                home = None
        if home is None:
            out.append("(unknown: the settings could not be read)", style="dim")
            return out
        from pathlib import Path

        root = Path(home)
        for label, path in (
            ("Home (COACH_HOME)", root),
            ("Sessions", root / "sessions"),
            ("Your scenarios", root / "scenarios"),
            ("Your prompts", root / "prompts"),
            ("Config file", root / "config.toml"),
            ("Judge cache", root / "cache"),
        ):
            out.append(f"  {label:<20}", style="dim")
            out.append_text(lit(str(path)))
            out.append("\n")
        out.append(
            "  The API key is read from OPENAI_API_KEY, never from a file coach writes.",
            style="dim",
        )
        return out

    # ---- rows

    def _app_settings(self) -> Any:
        """The app's settings; CoachApp's UI preferences (home, keymap) until they are
        validated, which happens just after the first frame."""
        if not getattr(self.app, "settings_ready", True):
            return getattr(self.app, "prefs", None)
        return getattr(self.app, "settings", None)

    def keymap(self) -> Mapping[str, str]:
        if self._keymap is not None:
            return self._keymap
        settings = self._app_settings()
        keymap = getattr(settings, "keymap", None)
        return keymap if isinstance(keymap, Mapping) else {}

    def keys_of(self, binding: Binding) -> str:
        keys = binding.key
        override = self.keymap().get(binding.id or "") if binding.id else None
        if override:
            keys = override
        shown = []
        for key in keys.split(","):
            key = key.strip()
            if key:
                shown.append(self.app.get_key_display(Binding(key, binding.action)))
        return " / ".join(shown)

    def _row(self, keys: str, description: str) -> Text:
        out = Text(end="")
        out.append(f"  {keys:<22}", style="bold")
        out.append_text(lit(description))
        out.append("\n")
        return out

    def _rows(self, bindings: list[Binding]) -> Text:
        out = Text(end="")
        for binding in bindings:
            description = binding.description
            if not description:  # Textual internals such as Ctrl+C's "how to quit" notice
                continue
            out.append_text(self._row(self.keys_of(binding), description))
        return out

    def action_close(self) -> None:
        self.dismiss(None)
