"""The `CoachApp` and `create_app`, the one way tests, snapshots, benchmarks and the CLI build it.

The app owns what outlives a screen (settings, how backends and scorers are made, the keymap,
the theme, exam mode) and the command palette. The CLI hands it only the UI preferences and a
loader: the first frame paints before pydantic is imported, then the full settings are
validated in a thread worker (an invalid config ends the app with `settings_error` set).
Screens from the other half of the app (history, replay viewer, settings, help,
self-assessment) are imported lazily so a missing module degrades to a notice instead of a
crash.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.theme import ThemeProvider
from textual.worker import get_current_worker

from coach.settings_sources import UiPrefs

if TYPE_CHECKING:
    from coach.llm.base import ChatBackend
    from coach.llm.openai_backend import Sleep
    from coach.scenario import Scenario
    from coach.scoring.types import Scorer
    from coach.session import Session
    from coach.settings import LoadedSettings, Settings


class CoachApp(App[None]):
    """The learner's app: picker → briefing → conversation → debrief."""

    TITLE = "coach"
    SUB_TITLE = "conversation coach"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        # "app.help", as the picker's "?" binding: the footer shows one Help key, not two.
        Binding("f1", "app.help", "Help", id="help"),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    exam_mode: reactive[bool] = reactive(False)

    def __init__(
        self,
        settings: Settings | None,
        *,
        scenario_ref: str | None = None,
        backend: ChatBackend | Callable[[Scenario, int], ChatBackend] | None = None,
        scorer: Scorer | None = None,
        seed: int | None = None,
        loaded_settings: LoadedSettings | None = None,
        sleep: Sleep | None = None,
        prefs: UiPrefs | None = None,
        settings_loader: Callable[[], LoadedSettings] | None = None,
    ) -> None:
        """Tests and benchmarks inject a backend (or a factory), scorer and seed.

        Give validated `settings`, or (as the CLI does) `prefs` from `read_ui_prefs` and a
        `settings_loader` that the app runs in a worker after its first frame.
        """
        super().__init__()
        if settings is not None:
            prefs = UiPrefs(
                home=settings.home,
                theme=settings.theme,
                keymap=dict(settings.keymap),
                exam_mode=settings.exam_mode,
            )
        elif prefs is None or settings_loader is None:
            raise ValueError("give either settings, or UI prefs and a settings loader")
        self.prefs = prefs
        self._settings = settings
        self._settings_loader = settings_loader
        self._when_settings_ready: dict[object, Callable[[], object]] = {}
        self.settings_error: str | None = None
        """Why the settings could not be loaded (the app exits with ExitCode.CONFIG)."""
        self.loaded_settings = loaded_settings
        self.scenario_ref = scenario_ref
        self._backend_source = backend
        self._scorer = scorer
        self.seed = seed
        self.sleep = sleep
        self.set_reactive(CoachApp.exam_mode, prefs.exam_mode)
        self.user_keymap: dict[str, str] = {}
        """The `[keymap]` in use: messages name the keys it sets (see `key`)."""

    def set_keymap(self, keymap: Mapping[str, str]) -> None:
        self.user_keymap = dict(keymap)
        super().set_keymap(keymap)

    def _apply_keymap(self, keymap: Mapping[str, str]) -> None:
        """Use the config's `[keymap]`, and say what is wrong with it: an unknown id, or a key
        given to two bindings of one screen (one of them would stop working unnoticed)."""
        from coach.tui.keys import keymap_problems

        self.set_keymap(dict(keymap))
        for problem in keymap_problems(keymap):
            self.notify(problem, title="Keys", severity="warning", timeout=15, markup=False)

    def key(self, binding_id: str) -> str:
        """The key for `binding_id` as a message names it ("Ctrl+R"), keymap included."""
        from coach.tui.keys import app_key

        return app_key(self, binding_id)

    # ---- settings (validated after the first frame when the CLI opens the app)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            raise RuntimeError("settings are not loaded yet; use when_settings_ready")
        return self._settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self._settings = value

    @property
    def settings_ready(self) -> bool:
        return self._settings is not None

    def when_settings_ready(
        self, callback: Callable[[], object], *, once_as: str | None = None
    ) -> None:
        """Call `callback` now if the settings are loaded, else once they are.

        Callbacks queued under the same `once_as` run once: a key pressed twice while the
        settings load opens one screen, not two stacked.
        """
        if self._settings is not None:
            callback()
        else:
            self._when_settings_ready.setdefault(once_as or object(), callback)

    @work(thread=True, exclusive=True, group="settings")
    def load_settings(self) -> None:
        assert self._settings_loader is not None
        try:
            loaded = self._settings_loader()
        except Exception as exc:
            from coach.settings import SettingsError  # here: pydantic loads in the loader

            if not isinstance(exc, SettingsError):
                raise
            message = str(exc)
            if not get_current_worker().is_cancelled:
                self.call_from_thread(self._settings_failed, message)
            return
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self._settings_loaded, loaded)

    def _settings_loaded(self, loaded: LoadedSettings) -> None:
        settings = loaded.settings
        self.loaded_settings = loaded
        self._settings = settings
        # The lenient first read may differ only where validation coerced a value.
        if settings.theme != self.prefs.theme and settings.theme in self.available_themes:
            self.theme = settings.theme
        if settings.keymap != self.prefs.keymap:
            self._apply_keymap(settings.keymap)
        if settings.exam_mode != self.prefs.exam_mode:
            self.exam_mode = settings.exam_mode
        pending, self._when_settings_ready = self._when_settings_ready, {}
        for callback in pending.values():
            callback()
        if self.scenario_ref:
            self.open_scenario_ref(self.scenario_ref)

    def _settings_failed(self, message: str) -> None:
        from coach.exitcodes import ExitCode

        self.settings_error = message
        self.exit(return_code=ExitCode.CONFIG)

    # ---- building sessions

    def make_session(self, scenario: Scenario, scenario_path: Path | None) -> Session:
        """A new session for `scenario` with the app's backend and scorer (not started)."""
        from coach.session import Session

        seed = self.seed if self.seed is not None else random.SystemRandom().randrange(10**6)
        return Session(
            scenario,
            self.make_backend(scenario, seed),
            self.make_scorer(),
            settings=self.settings,
            seed=seed,
            scenario_path=scenario_path,
        )

    def make_backend(self, scenario: Scenario, seed: int) -> ChatBackend:
        source = self._backend_source
        if source is None:
            from coach.llm.factory import make_backend

            return make_backend(self.settings, scenario, seed=seed, sleep=self.sleep)
        if callable(source) and not hasattr(source, "stream_reply"):
            return source(scenario, seed)
        return source  # type: ignore[return-value]

    def make_scorer(self) -> Scorer | None:
        if self._scorer is not None:
            return self._scorer
        from coach.scoring.factory import make_scorer
        from coach.scoring.types import ScoringError

        try:
            return make_scorer(self.settings.scorer, self.settings)
        except ScoringError as exc:
            self.notify(str(exc), title="Scorer", severity="warning", markup=False)
            return make_scorer("heuristic", self.settings)

    # ---- lifecycle

    def on_mount(self) -> None:
        if self.prefs.theme in self.available_themes:
            self.theme = self.prefs.theme
        if self.prefs.keymap:
            self._apply_keymap(self.prefs.keymap)
        from coach.tui.screens.picker import PickerScreen

        self.push_screen(PickerScreen())
        if self._settings is None:
            # After the first frame: importing pydantic would delay it by a third.
            self.call_after_refresh(self.load_settings)
        elif self.scenario_ref:
            self.open_scenario_ref(self.scenario_ref)

    def open_scenario_ref(self, ref: str) -> None:
        from coach.library import ScenarioNotFound, resolve_scenario
        from coach.scenario_loader import ScenarioError
        from coach.tui.screens.briefing import BriefingScreen

        try:
            loaded = resolve_scenario(ref, self.settings.user_scenarios_dir)
        except ScenarioError as exc:
            text = "\n".join(str(p) for p in exc.problems) or str(exc)
            self.notify(text, title="Scenario", severity="error", markup=False)
            return
        except ScenarioNotFound as exc:
            self.notify(str(exc), title="Scenario", severity="error", markup=False)
            return
        candidate = Path(ref).expanduser()
        path = candidate.resolve() if candidate.is_file() else loaded.path
        # A scenario starts from home (History's "play recommended" may be opened over a
        # debrief or a live conversation): Esc on its briefing returns there, and no older
        # debrief or conversation is left underneath to come back to by surprise.
        self._back_home()
        self.push_screen(BriefingScreen(loaded.scenario, path))

    # ---- secondary screens (imported when first opened, to keep start-up fast)

    def action_help(self) -> None:
        from coach.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_history(self) -> None:
        from coach.tui.screens.history import HistoryScreen

        def play_recommended(result: tuple[str, str] | None) -> None:
            if result and result[0] == "play":
                self.open_scenario_ref(result[1])

        self.when_settings_ready(
            lambda: self.push_screen(HistoryScreen(self.settings), callback=play_recommended),
            once_as="history",
        )

    def action_settings(self) -> None:
        from coach.settings import LoadedSettings
        from coach.tui.screens.settings_screen import SettingsScreen

        def use_saved(saved: LoadedSettings | None) -> None:
            # New sessions use the saved backend and model; the running one keeps its own.
            if saved is not None:
                self.loaded_settings = saved
                self.settings = saved.settings

        def open_screen() -> None:
            loaded = self.loaded_settings or LoadedSettings(self.settings)
            self.push_screen(SettingsScreen(loaded), callback=use_saved)

        self.when_settings_ready(open_screen, once_as="settings")

    def search_themes(self) -> None:
        """The palette's theme list; the theme picked there is kept for the next start, as
        one picked in Settings is (it used to last only until quit)."""
        from textual.command import CommandPalette

        self.push_screen(
            CommandPalette(providers=[_KeptThemeProvider], placeholder="Search for themes…")
        )

    def pick_theme(self, name: str) -> None:
        self.theme = name
        self.when_settings_ready(lambda: self._save_setting("theme", name), once_as="save-theme")

    @work(thread=True, group="save-setting")
    def _save_setting(self, key: str, value: object) -> None:
        """Keep a choice made with a key or the palette (a theme, exam mode) for the next
        start, as the same choice made in Settings is."""
        from coach.settings import LoadedSettings, SettingsError
        from coach.tui.screens.settings_screen import save_config

        loaded = self.loaded_settings or LoadedSettings(self.settings)
        path = loaded.config_path or self.settings.config_path
        try:
            save_config(path, {key: value})
        except (SettingsError, OSError) as exc:
            what = key.replace("_", " ").capitalize()
            self.call_from_thread(
                self.notify, f"{what} not saved: {exc}", severity="warning", markup=False
            )
            return
        self.call_from_thread(self._setting_saved, key, value)

    def _setting_saved(self, key: str, value: object) -> None:
        # Settings opened later start from the saved value, not the one loaded at start.
        self.settings = self.settings.model_copy(update={key: value})
        if self.loaded_settings is not None:
            self.loaded_settings = replace(self.loaded_settings, settings=self.settings)

    def open_replay(self, path: Path) -> None:
        from coach.tui.screens.replay_viewer import ReplayViewerScreen

        self.push_screen(ReplayViewerScreen(path))

    async def action_quit(self) -> None:
        """Quit once the keys typed before Ctrl+Q have reached the input.

        Ctrl+Q is a priority binding, so it runs while keys typed just before it (a fast
        typist, a paste, a terminal multiplexer) still wait in the focused widget's queue; a
        callback queued behind them runs after they land, then unsent replies are written.
        """
        focused = self.focused
        if focused is None:
            self._save_drafts_and_exit()
        else:
            focused.call_later(self._save_drafts_and_exit)

    def _save_drafts_and_exit(self) -> None:
        from coach.tui.screens.conversation import ConversationScreen

        for screen in self.screen_stack:
            if isinstance(screen, ConversationScreen):
                screen.flush_draft()
        self.exit()

    def action_toggle_exam_mode(self) -> None:
        self.exam_mode = on = not self.exam_mode
        state = "on: scores hidden until the debrief" if on else "off"
        self.notify(f"Exam mode {state}", markup=False)
        # Kept, so a session continued after a restart still hides its scores.
        self.when_settings_ready(lambda: self._save_setting("exam_mode", on), once_as="save-exam")

    def action_home(self) -> None:
        self._back_home()

    def _back_home(self) -> None:
        """Close every screen above the home screen; a conversation's unsent reply is saved
        and the session can be continued from Recent sessions."""
        from coach.tui.screens.conversation import ConversationScreen
        from coach.tui.screens.picker import PickerScreen

        left = False
        while len(self.screen_stack) > 2 and not isinstance(self.screen, PickerScreen):
            screen = self.screen
            if isinstance(screen, ConversationScreen) and screen.session.phase.value != "ended":
                screen.flush_draft()
                left = True
            self.pop_screen()
        if left:
            self.notify(
                "Your conversation is saved: continue it from Recent sessions.", markup=False
            )

    # ---- command palette

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        key = self.key
        yield SystemCommand("Help", f"Every key and what it does ({key('help')})", self.action_help)
        # The letter keys work on the home screen only; elsewhere a letter is typing.
        yield SystemCommand(
            "History",
            f"Past sessions and progress ({key('history')} on the home screen)",
            self.action_history,
        )
        yield SystemCommand(
            "Settings",
            f"Model, base URL, scorer, theme, exam mode ({key('settings')} on the home screen)",
            self.action_settings,
        )
        yield SystemCommand(
            "Toggle exam mode", "Hide scores until the debrief", self.action_toggle_exam_mode
        )
        yield SystemCommand("Home", "Back to the scenario picker", self.action_home)
        extra: Callable[[], Iterable[SystemCommand]] | None = getattr(
            screen, "screen_commands", None
        )
        if extra is not None:
            yield from extra()


# The name tests, snapshots, benchmarks and the CLI build the app by (see CoachApp.__init__).
create_app = CoachApp


class _KeptThemeProvider(ThemeProvider):
    """Textual's theme list, choosing through `CoachApp.pick_theme` (which saves it)."""

    @property
    def commands(self) -> list[tuple[str, Callable[[], None]]]:
        app = self.app
        if not isinstance(app, CoachApp):
            return super().commands
        return [(name, partial(app.pick_theme, name)) for name in sorted(app.available_themes)]
