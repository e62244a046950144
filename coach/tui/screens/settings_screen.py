"""Settings: what coach is using (and why), and a safe way to change the everyday values.

Learners switch between the offline coach, a local server and a hosted model, so the screen
shows the effective backend, model and base URL with where each value came from (default,
config file, environment, flag), and lets them edit model, base URL, theme and exam mode,
saved to the TOML config under their home. Other keys, comments and layout in that file
are kept. The API key is shown masked and never written here: secrets belong in the
environment (OPENAI_API_KEY), not in a file a TUI rewrites.
"""

from __future__ import annotations

import threading
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, Label, Select, Static, Switch

from coach.atomic import write_atomically
from coach.locks import holding
from coach.settings import ENV_VARS, LoadedSettings, Settings, SettingsError
from coach.tui.keys import app_key
from coach.tui.literal import lit, one_line
from coach.tui.widgets.footer import KeyFooter

EDITABLE = ("model", "base_url", "scorer", "theme", "exam_mode")
SCORERS = (("Analytic (offline)", "heuristic"), ("LLM judge", "llm"))
SOURCE_LABELS = {
    "default": "default",
    "config": "config file",
    "env": "environment",
    "flag": "command line",
}


# --------------------------------------------------------------------------- TOML writing


def save_config(path: Path, updates: Mapping[str, Any]) -> dict[str, Any]:
    """Set `updates` in the TOML config at `path` (None removes a key), keeping the rest.

    Edits go through tomlkit, so the learner's comments, key order and layout survive a
    save. The file is replaced atomically and kept private (0600: it may hold a key someone
    put there by hand). A file that is not valid TOML is never overwritten: SettingsError.
    Returns the saved settings as plain data.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # Read, edit, replace as one step: two saves at once (the palette's theme, exam mode,
    # this screen; or two windows) each kept only their own key.
    with _SAVES, holding(path.with_name(f".{path.name}.lock"), wait=True):
        return _save_config(path, updates)


# Saves from this process's threads (the lock file serialises other processes).
_SAVES = threading.Lock()


def _save_config(path: Path, updates: Mapping[str, Any]) -> dict[str, Any]:
    import tomlkit  # only when saving: keeps it off the start-up path

    text = ""
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
            tomllib.loads(text)  # the parser that reads the config decides what is valid
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: not valid TOML, not overwritten ({exc})") from None
    document = tomlkit.parse(text)
    for key, value in updates.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = str(value) if isinstance(value, Path) else value
    write_atomically(path, tomlkit.dumps(document))  # private (0600): it may hold a key
    return document.unwrap()


def validate_edits(values: Mapping[str, Any]) -> list[str]:
    """Problems with the edited values, as sentences (empty when all is well)."""
    problems: list[str] = []
    if not str(values.get("model") or "").strip():
        problems.append("The model name cannot be empty.")
    base = values.get("base_url")
    if base and not str(base).startswith(("http://", "https://")):
        problems.append("The base URL must start with http:// or https://.")
    if values.get("scorer", "heuristic") not in {v for _, v in SCORERS}:
        problems.append("Pick a scorer.")
    return problems


# --------------------------------------------------------------------------- the screen


class SettingsScreen(Screen[LoadedSettings | None]):
    """Effective settings with their sources; model, base URL, scorer, theme and exam mode
    editable.

    Ctrl+S (or Save) writes the edits to `loaded.settings.config_path` and dismisses with the
    new `LoadedSettings` (values overridden by the environment or a flag stay as they were,
    since those still win); Esc dismisses with None and undoes a previewed theme. The theme is
    applied to the app as soon as it is picked. The API key is never edited or written.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Back"),
        Binding("ctrl+s", "save", "Save", priority=True, id="settings.save"),
    ]

    DEFAULT_CSS = """
    SettingsScreen { layout: vertical; }
    SettingsScreen #settings-title {
        height: 1; padding: 0 1; text-style: bold; background: $panel;
    }
    SettingsScreen #settings-body { height: 1fr; padding: 0 1; }
    SettingsScreen #settings-mode { margin: 1 0 0 0; height: auto; }
    SettingsScreen .field { height: auto; }
    SettingsScreen .field Label { width: 14; padding-top: 1; }
    SettingsScreen .field Input, SettingsScreen .field Select { width: 1fr; }
    SettingsScreen .field .hint { width: 1fr; color: $text-muted; padding: 1 0 0 2; }
    SettingsScreen #settings-key { margin-top: 1; height: auto; color: $text-muted; }
    SettingsScreen #settings-error { color: $error; height: auto; }
    SettingsScreen #settings-table { height: auto; margin-top: 1; }
    SettingsScreen #settings-buttons { height: auto; margin-top: 1; }
    SettingsScreen #settings-buttons Button { margin-right: 2; }
    """

    def __init__(self, loaded: LoadedSettings) -> None:
        super().__init__()
        self.loaded = loaded
        self.saved: LoadedSettings | None = None
        self._theme_before: str | None = None

    @property
    def settings(self) -> Settings:
        return self.loaded.settings

    @property
    def config_path(self) -> Path:
        return self.loaded.config_path or self.settings.config_path

    def source(self, name: str) -> str:
        return self.loaded.sources.get(name, "default")  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(Text("Settings"), id="settings-title")
        with VerticalScroll(id="settings-body"):
            yield Static(self._mode_text(), id="settings-mode")
            with Horizontal(classes="field"):
                yield Label("Model")
                yield Input(self.settings.model, id="set-model", placeholder="gpt-4o-mini")
                yield Static(self._hint("model"), classes="hint")
            with Horizontal(classes="field"):
                yield Label("Base URL")
                yield Input(
                    self.settings.base_url or "",
                    id="set-base_url",
                    # Fits the field at 80 columns (the local example was cut to "empty = OpenAI;").
                    placeholder="empty = api.openai.com",
                )
                yield Static(self._hint("base_url"), classes="hint")
            with Horizontal(classes="field"):
                yield Label("Scorer")
                yield Select[str](
                    SCORERS, value=self.settings.scorer, id="set-scorer", allow_blank=False
                )
                yield Static(
                    lit("rates your turns · ").append_text(self._hint("scorer")),
                    classes="hint",
                )
            with Horizontal(classes="field"):
                yield Label("Theme")
                yield Select[str]([], id="set-theme", allow_blank=True, prompt="(theme)")
                yield Static(self._hint("theme"), classes="hint")
            with Horizontal(classes="field"):
                yield Label("Exam mode")
                yield Switch(self.settings.exam_mode, id="set-exam_mode")
                yield Static(
                    lit("hide scores until the debrief · ").append_text(self._hint("exam_mode")),
                    classes="hint",
                )
            yield Static(self._key_text(), id="settings-key")
            yield Static(Text(""), id="settings-error")
            with Horizontal(id="settings-buttons"):
                save = f"Save ({app_key(self.app, 'settings.save')})"
                yield Button(save, id="settings-save", variant="primary", compact=True)
                yield Button("Cancel (Esc)", id="settings-cancel", compact=True)
            table: DataTable[Text] = DataTable(id="settings-table", cursor_type="row")
            yield table
        yield KeyFooter()

    def on_mount(self) -> None:
        self._theme_before = self.app.theme
        try:
            self._setup()
        except NoMatches:  # closed (or the app exited) before the mount was processed
            return

    def _setup(self) -> None:
        themes = sorted(self.app.available_themes)
        select = self.query_one("#set-theme", Select)
        select.set_options((name, name) for name in themes)
        current = self.settings.theme if self.settings.theme in themes else self.app.theme
        if current in themes:
            select.value = current
        table = self.query_one("#settings-table", DataTable)
        table.add_column("Setting", key="name")
        table.add_column("Value", key="value")
        table.add_column("From", key="source")
        for name, shown, source in self.loaded.describe():
            table.add_row(
                lit(name),
                lit(one_line(shown, 80)),
                lit(SOURCE_LABELS.get(source, source), "dim"),
                key=name,
            )
        table.border_title = "Effective settings"
        self.query_one("#set-model", Input).focus()

    # ---- text

    def _mode_text(self) -> Text:
        s = self.settings
        out = Text(end="")
        out.append("Backend: ", style="bold")
        if s.use_llm:
            out.append("LLM endpoint ")
            out.append_text(lit(s.base_url or "https://api.openai.com/v1 (OpenAI)", "dim"))
        elif s.offline and s.has_endpoint:
            out.append("offline (forced), scripted counterpart and analytic scorer")
        else:
            out.append("offline: scripted counterpart and analytic scorer (no endpoint set)")
        out.append("\nConfig file: ", style="bold")
        out.append_text(lit(str(self.config_path)))
        if not self.config_path.is_file():
            out.append(" (not created yet)", style="dim")
        return out

    def _hint(self, name: str) -> Text:
        source = self.source(name)
        out = Text(f"from {SOURCE_LABELS.get(source, source)}", style="dim")
        if source in {"env", "flag"}:
            var = ENV_VARS.get(name)
            where = f"${var}" if source == "env" and var else "the command line"
            out.append(f" — {where} wins over the config file", style="yellow")
        return out

    def _key_text(self) -> Text:
        key = self.settings.api_key
        out = Text(end="")
        out.append("API key: ", style="bold")
        if key is None:
            out.append("not set", style="dim")
        else:
            from coach.settings import mask_secret

            out.append(mask_secret(key.get_secret_value()))
            out.append(f" (from {SOURCE_LABELS.get(self.source('api_key'), 'default')})")
        out.append(
            "\nKeys are not edited here and never written by coach: set OPENAI_API_KEY in "
            "your environment (a local server needs none).",
            style="dim",
        )
        return out

    # ---- values

    def edited(self) -> dict[str, Any]:
        theme = self.query_one("#set-theme", Select).value
        return {
            "model": self.query_one("#set-model", Input).value.strip(),
            "base_url": self.query_one("#set-base_url", Input).value.strip() or None,
            "scorer": self.query_one("#set-scorer", Select).value,
            "theme": theme if isinstance(theme, str) else self.settings.theme,
            "exam_mode": self.query_one("#set-exam_mode", Switch).value,
        }

    def changes(self) -> dict[str, Any]:
        current = {name: getattr(self.settings, name) for name in EDITABLE}
        return {k: v for k, v in self.edited().items() if v != current[k]}

    @on(Select.Changed, "#set-theme")
    def _preview_theme(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value in self.app.available_themes:
            self.app.theme = event.value

    def action_save(self) -> None:
        error = self.query_one("#settings-error", Static)
        edits = self.edited()
        problems = validate_edits(edits)
        if problems:
            error.update(lit("\n".join(problems)))
            return
        changes = self.changes()
        if not changes:
            self.notify("Nothing changed.", markup=False)
            self.dismiss(None)
            return
        try:
            save_config(self.config_path, changes)
        except (SettingsError, OSError) as exc:
            error.update(lit(f"Could not save: {exc}"))
            return
        self.saved = self._effective(changes)
        # Exam mode is the app's live switch too; the rest applies to the next session.
        if "exam_mode" in changes and hasattr(self.app, "exam_mode"):
            self.app.exam_mode = self.saved.settings.exam_mode
        self.notify(f"Saved to {self.config_path}", markup=False)
        self.dismiss(self.saved)

    def _effective(self, changes: Mapping[str, Any]) -> LoadedSettings:
        """The settings after saving: config values apply unless env or a flag overrides."""
        values = self.settings.model_dump()
        sources = dict(self.loaded.sources)
        for name, value in changes.items():
            if self.source(name) in {"env", "flag"}:
                continue
            values[name] = value
            sources[name] = "config"
        return LoadedSettings(
            settings=Settings.model_validate(values),
            sources=sources,
            config_path=self.config_path,
        )

    def action_cancel(self) -> None:
        if self._theme_before and self.app.theme != self._theme_before:
            self.app.theme = self._theme_before
        self.dismiss(None)

    @on(Button.Pressed, "#settings-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#settings-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()
