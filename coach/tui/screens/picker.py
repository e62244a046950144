"""Home: choose a scenario from the library, or continue an interrupted session.

The library (built-in plus the user's folder) is filtered by skill, difficulty and a search
box; the preview shows the selected scenario literally (scenario files are untrusted). Disk
reads run in thread workers so the first frame paints at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from coach.scoring.types import SKILL_LABELS, SKILLS
from coach.tui.hanging import aligned, hanging
from coach.tui.literal import lit, one_line
from coach.tui.widgets.footer import KeyFooter
from coach.tui.widgets.title import TitleBar
from coach.tui.workers import hand_back
from coach.wording import counted

if TYPE_CHECKING:
    from coach.library import Library
    from coach.scenario import Scenario
    from coach.sessions_store import SessionInfo
    from coach.tui.app import CoachApp

DIFFICULTIES = ("beginner", "intermediate", "advanced")


def scenario_preview(scenario: Scenario, path: Path | None, builtin: bool) -> Group:
    """Everything a learner needs to choose, as literal text."""
    head = Text(end="")
    head.append_text(lit(scenario.title, "bold"))
    head.append("\n")
    skills = ", ".join(SKILL_LABELS[s] for s in scenario.skills)
    head.append_text(
        lit(f"{scenario.difficulty.value} · {scenario.category.value} · {skills}", "dim")
    )
    head.append("\n\n")
    head.append_text(lit(scenario.summary))
    head.append("\n\n")
    c = scenario.counterpart
    where = "built-in" if builtin else one_line(str(path) if path else "your folder")
    return Group(
        head,
        aligned(
            (Text("You are", style="bold"), lit(scenario.learner.role)),
            (Text("Goal", style="bold"), lit(scenario.learner.goal)),
            (Text("With", style="bold"), lit(f"{c.name}, {c.role}")),
            gap=2,
        ),
        Text("\nObjectives", style="bold"),
        *(hanging("  • ", lit(o.description)) for o in scenario.objectives),
        Text.assemble(
            (f"\nUp to {scenario.max_turns} turns · ", "dim"),
            lit(where, "dim"),
        ),
    )


class PickerScreen(Screen[None]):
    """The scenario library with filters, a preview and recent sessions."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search", id="search"),
        Binding("h", "app.history", "History", id="history"),
        Binding("s,ctrl+comma", "app.settings", "Settings", id="settings"),
        Binding("question_mark", "app.help", "Help", id="help_key"),
        Binding("c", "continue_latest", "Continue", id="continue"),
        Binding("escape", "clear_search", "Clear search", show=False),
        # Trainers edit their scenario files with the app open; no restart to try a change.
        Binding("f5,ctrl+r", "reload_library", "Reload", show=False, id="picker.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.library: Library | None = None
        self.recent: list[SessionInfo] = []
        self.visible_ids: list[str] = []

    @property
    def coach(self) -> CoachApp:
        from coach.tui.app import CoachApp

        assert isinstance(self.app, CoachApp)
        return self.app

    def subject(self) -> str:
        return "choose a scenario"

    def compose(self) -> ComposeResult:
        yield TitleBar(self.subject())
        with Horizontal(id="picker-body"):
            with Vertical(id="picker-left"):
                yield Input(
                    placeholder=f"Search scenarios  ( {self.coach.key('search')} )", id="search"
                )
                # Filled after the first frame: the two Selects are the costliest widgets to
                # build and style, and filter nothing until the library has loaded.
                yield Horizontal(id="filters")
                yield OptionList(id="scenarios")
                yield Label("Recent sessions", classes="section-title")
                yield OptionList(id="recent")
            with VerticalScroll(id="preview"):
                yield Static("Loading the library…", id="preview-body", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#scenarios", OptionList).focus()
        self.call_after_refresh(self._mount_filters)
        # After the first frame (the loading threads would compete with it for the GIL) and
        # once the app's settings are validated (they say where the user's files are). The
        # recent sessions load on every resume, the first one included.
        self.call_after_refresh(self.coach.when_settings_ready, self.load_library)

    def _mount_filters(self) -> None:
        self.query_one("#filters", Horizontal).mount(
            Select([(SKILL_LABELS[s], s) for s in SKILLS], prompt="Any skill", id="skill-filter"),
            Select(
                [(d.capitalize(), d) for d in DIFFICULTIES],
                prompt="Any level",
                id="difficulty-filter",
            ),
        )

    def on_screen_resume(self) -> None:
        self.call_after_refresh(self.coach.when_settings_ready, self.load_recent)

    @work(thread=True, exclusive=True, group="library")
    def load_library(self, reloaded: bool = False) -> None:
        from coach.library import load_library

        library = load_library(self.coach.settings.user_scenarios_dir)
        hand_back(self, self._library_loaded, library, reloaded)

    def _library_loaded(self, library: Library, reloaded: bool = False) -> None:
        self.library = library
        if library.problems:
            self.notify(
                problems_notice(library.problems, self.coach.key("picker.reload")),
                title="Scenario files",
                severity="warning",
                markup=False,
            )
        if reloaded:
            said = f"Reloaded {counted(len(library.scenarios), 'scenario')}"
            if library.problems:
                said += f"; {counted(len(library.problems), 'problem')} in scenario files"
            self.notify(said, markup=False)
        self.refresh_list()

    def action_reload_library(self) -> None:
        self.load_library(reloaded=True)
        self.load_recent()  # a session played meanwhile from the terminal shows up too

    @work(thread=True, exclusive=True, group="recent")
    def load_recent(self) -> None:
        from coach.sessions_store import list_sessions

        sessions = list_sessions(self.coach.settings.sessions_dir)
        hand_back(self, self._recent_loaded, sessions)

    def _recent_loaded(self, sessions: list[SessionInfo]) -> None:
        self.recent = [s for s in sessions if s.problem is None][:8]
        options = self.query_one("#recent", OptionList)
        options.clear_options()
        if not self.recent:
            options.add_option(Option(Text("No sessions yet", style="dim"), disabled=True))
            return
        for info in self.recent:
            mark = Text("✓ ", style="green") if info.ended else Text("↻ ", style="bold yellow")
            line = lit(one_line(info.scenario_title or info.scenario_id, 40))
            if not info.ended:
                line = Text.assemble(("continue ", "bold yellow"), line)
            line.append(f"  {counted(info.turns, 'turn')}", style="dim")
            options.add_option(Option(hanging(mark, line), id=f"session:{info.session_id}"))

    # ---- filtering

    def _filter_value(self, selector: str) -> object:
        # None ("any") until the filters are mounted, just after the first frame.
        found = self.query(selector)
        return found.first(Select).value if found else None

    def matches(self, scenario: Scenario) -> bool:
        skill, level = self._filter_value("#skill-filter"), self._filter_value("#difficulty-filter")
        query = self.query_one("#search", Input).value.strip().lower()
        if isinstance(skill, str) and skill not in scenario.skills:
            return False
        if isinstance(level, str) and scenario.difficulty.value != level:
            return False
        if query:
            hay = " ".join(
                [scenario.title, scenario.summary, scenario.id, *scenario.tags, scenario.category]
            ).lower()
            return all(word in hay for word in query.split())
        return True

    def refresh_list(self) -> None:
        if self.library is None:
            return
        options = self.query_one("#scenarios", OptionList)
        previous = self._highlighted_id()
        options.clear_options()
        shown = [s for s in self.library.scenarios if self.matches(s)]
        self.visible_ids = [s.id for s in shown]
        for scenario in shown:
            skills = ", ".join(SKILL_LABELS[s] for s in scenario.skills)
            # Not "\n  " in one Text: a wrapped line goes back to column 0, left of its own
            # first line, and reads as the next entry.
            line = Group(
                Text.assemble(lit(one_line(scenario.title, 60), "bold")),  # ends in "\n"
                hanging("  ", lit(f"{scenario.difficulty.value} · {skills}", "dim")),
            )
            options.add_option(Option(line, id=scenario.id))
        if self.library.problems:
            # The start-up notice fades; this line stays until the files are fixed.
            files = counted(len({p.path for p in self.library.problems}), "scenario file")
            reload_key = self.coach.key("picker.reload")
            options.add_option(
                Option(
                    lit(f"⚠ {files} did not load · fix and press {reload_key}", "yellow"),
                    disabled=True,
                )
            )
        if shown:
            # Keep the learner's place when the list is filtered or reloaded.
            keep = self.visible_ids.index(previous) if previous in self.visible_ids else 0
            options.highlighted = keep
            self.show_preview(shown[keep].id)
        else:
            self.query_one("#preview-body", Static).update(
                Text("No scenario matches these filters.", style="dim")
            )

    def _highlighted_id(self) -> str | None:
        options = self.query_one("#scenarios", OptionList)
        index = options.highlighted
        if index is None or index >= options.option_count:
            return None
        return options.get_option_at_index(index).id

    @on(Input.Changed, "#search")
    @on(Select.Changed)
    def _filters_changed(self, event: Any) -> None:
        self.refresh_list()

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        """Enter in the search: with one match, its briefing (as the preview says Enter
        does); with several, the list to choose from."""
        scenarios = self.query_one("#scenarios", OptionList)
        matches = [
            option.id
            for option in (scenarios.get_option_at_index(i) for i in range(scenarios.option_count))
            if option.id and not option.disabled
        ]
        if len(matches) == 1:
            self.open_scenario(matches[0])
        else:
            scenarios.focus()

    def show_preview(self, scenario_id: str) -> None:
        if self.library is None:
            return
        scenario = self.library.get(scenario_id)
        if scenario is None:
            return
        body = scenario_preview(
            scenario, self.library.path_of(scenario_id), self.library.is_builtin(scenario_id)
        )
        self.query_one("#preview-body", Static).update(
            Group(body, Text.assemble(("\nEnter", "bold"), (" read the briefing", "dim")))
        )

    @on(OptionList.OptionHighlighted, "#scenarios")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self.show_preview(event.option.id)

    @on(OptionList.OptionSelected, "#scenarios")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.open_scenario(event.option.id)

    def open_scenario(self, scenario_id: str) -> None:
        from coach.tui.screens.briefing import BriefingScreen

        if self.library is None:
            return
        scenario = self.library.get(scenario_id)
        if scenario is not None:
            self.app.push_screen(BriefingScreen(scenario, self.library.path_of(scenario_id)))

    @on(OptionList.OptionSelected, "#recent")
    def _recent_selected(self, event: OptionList.OptionSelected) -> None:
        session_id = (event.option.id or "").removeprefix("session:")
        info = next((s for s in self.recent if s.session_id == session_id), None)
        if info is None:
            return
        if info.ended:
            self.coach.open_replay(info.path)
        else:
            self.continue_session(info)

    def action_continue_latest(self) -> None:
        """Continue the newest interrupted session whose scenario is still in the library
        (one whose scenario file was removed used to stop `c` for good)."""
        pending = [s for s in self.recent if not s.ended]
        if not pending:
            self.notify("No interrupted session to continue.", markup=False)
            return
        playable = next((s for s in pending if self._has_scenario(s)), None)
        if playable is None:
            self.notify(
                f"Cannot continue: the scenario {pending[0].scenario_id!r} of your latest "
                "interrupted session is no longer in the library.",
                severity="warning",
                markup=False,
            )
            return
        self.continue_session(playable)

    def _has_scenario(self, info: SessionInfo) -> bool:
        if info.scenario_path and Path(info.scenario_path).is_file():
            return True  # played from its file, as `coach play FILE` resumes it
        return self.library is None or self.library.get(info.scenario_id) is not None

    @work(exclusive=True, group="open")
    async def continue_session(self, info: SessionInfo) -> None:
        from coach.session import Session, scenario_of_transcript
        from coach.transcript import read_transcript
        from coach.tui.screens.conversation import ConversationScreen

        try:
            header = read_transcript(info.path).header
            # The file it was played from first: a trainer's draft may share a built-in's id.
            # By id from the library already loaded, not read from disk again on this loop.
            scenario = scenario_of_transcript(header, self.coach.settings, self.library)
            seed = header.get("seed")
            backend = self.coach.make_backend(scenario, seed if isinstance(seed, int) else 0)
            session = Session.resume(
                info.path,
                backend,
                self.coach.make_scorer(),
                scenario=scenario,
                settings=self.coach.settings,
            )
        except Exception as exc:  # any unreadable file: say so, keep the picker usable
            self.notify(f"Cannot continue: {exc}", severity="error", markup=False)
            return
        self.app.push_screen(ConversationScreen(session))

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.value:
            search.value = ""
        self.query_one("#scenarios", OptionList).focus()

    def screen_commands(self) -> list[Any]:
        from textual.app import SystemCommand

        return [
            SystemCommand("Search scenarios", "Focus the search box", self.action_focus_search),
            SystemCommand(
                "Continue interrupted session", "Resume the latest", self.action_continue_latest
            ),
            SystemCommand(
                "Reload scenarios",
                "Read the library and your scenario folder again "
                f"({self.coach.key('picker.reload')})",
                self.action_reload_library,
            ),
        ]


def problems_notice(problems: Sequence[object], reload_key: str) -> str:
    """One short notice for the scenario files that did not load: the first line of each
    (FILE:LINE:COL: message) for up to three, and how to see the rest. A toast per problem,
    snippet included, covered the preview at 80x24 on every start."""
    lines = [str(p).splitlines()[0] if str(p) else "?" for p in problems[:3]]
    more = len(problems) - len(lines)
    if more:
        lines.append(f"…and {more} more")
    lines.append(f"Fix and press {reload_key}; `coach scenarios validate FILE` shows each in full.")
    return "\n".join(lines)
