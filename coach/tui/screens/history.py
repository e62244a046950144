"""History and progress: past sessions, per-skill progress, the skill gap and what to play next.

Learners come back to see whether they are getting better and what to practise. This screen
puts the three answers on one page: a table of past sessions (Enter opens the replay viewer),
a sparkline per skill over time plus the self-rating gap, and the weakest skill lately with a
recommended scenario that trains it. Numbers come from `coach.progress_store`; files are read
in a thread worker so a long history never blocks the UI. Transcript text (titles, outcomes,
warnings) is untrusted and goes through `coach.tui.literal`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, DataTable, Static
from textual.widgets.data_table import ColumnKey

from coach.library import load_library
from coach.progress_store import (
    History,
    Recommendation,
    SkillGap,
    load_history,
    recommend_next,
    skill_gap,
)
from coach.scoring.types import SKILL_LABELS, SKILLS, Skill
from coach.sessions_store import SessionInfo
from coach.settings import Settings
from coach.tui.keys import app_key
from coach.tui.literal import lit, one_line
from coach.tui.widgets.footer import KeyFooter
from coach.tui.widgets.scored_turn import score_style
from coach.tui.workers import hand_back

OUTCOME_LABELS = {
    "agreement": "agreement",
    "partial": "partial",
    "impasse": "impasse",
    "walk_out": "walked out",
    "learner_ended": "you ended it",
}
SHORT = {"empathy": "Empathy", "active_listening": "Listening", "clarity": "Clarity"}
# A history of thousands of sessions is still shown; the chart and gap need the newest only.
MAX_SESSIONS = 500

# The sessions table's columns: (header, key, width). The scenario's width is computed.
# Below WIDE columns (a default 80x24 terminal), the short headers and fewer columns keep
# every score on screen; the replay viewer has the turns, the progress chart the self-gap.
WIDE = 95
Column = tuple[str, str, int]
FULL_COLUMNS: tuple[Column, ...] = (
    ("Date (UTC)", "date", 16),
    ("Scenario", "scenario", 0),
    ("Outcome", "outcome", 12),
    ("Turns", "turns", 5),
    ("Empathy", "empathy", 7),
    ("Listening", "active_listening", 9),
    ("Clarity", "clarity", 7),
    ("Self-gap", "gap", 8),
)
COMPACT_COLUMNS: tuple[Column, ...] = (
    ("Date (UTC)", "date", 16),
    ("Scenario", "scenario", 0),
    ("Outcome", "outcome", 12),
    ("Emp.", "empathy", 5),
    ("List.", "active_listening", 5),
    ("Clar.", "clarity", 5),
)
CELL_PADDING = 2  # one cell on each side of every column
SCROLLBAR = 2  # the vertical scrollbar a long history brings


def table_columns(width: int) -> list[Column]:
    """The columns for a terminal `width` wide, the scenario taking what the others leave."""
    columns = FULL_COLUMNS if width >= WIDE else COMPACT_COLUMNS
    fixed = sum(w + CELL_PADDING for _, _, w in columns) + SCROLLBAR
    title = max(14, min(60, width - fixed))
    return [(label, key, w or title) for label, key, w in columns]


# What `HistoryScreen` dismisses with when the learner asks to play a scenario.
PlayRequest = tuple[str, str]


@dataclass
class HistoryData:
    """Everything the screen shows, computed off the UI thread."""

    history: History
    gap: SkillGap
    recommendation: Recommendation | None
    problems: list[str] = field(default_factory=list)


def compute(settings: Settings, *, exam_mode: bool = False) -> HistoryData:
    history = load_history(settings.sessions_dir, limit=MAX_SESSIONS)
    if exam_mode:
        # Exam mode hides scores until the debrief: an unfinished session (the one being
        # played, opened from the palette) must not show them here either.
        history.records = [
            r if r.ended else replace(r, mean_scores={}, overall=None, scored_turns=0)
            for r in history.records
        ]
    library = load_library(settings.user_scenarios_dir)
    gap = skill_gap(history.records)
    return HistoryData(history, gap, recommend_next(history.records, library, gap))


def outcome_text(outcome: str | None) -> Text:
    if outcome is None:
        return Text("unfinished", style="italic dim")
    style = {"agreement": "green", "walk_out": "red", "impasse": "yellow"}.get(outcome, "")
    return lit(OUTCOME_LABELS.get(outcome, outcome), style)


def score_cell(value: float | None) -> Text:
    if value is None:
        return Text("-", style="dim", justify="right")
    return Text(f"{value:.1f}", style=score_style(value), justify="right")


def gap_cell(value: float | None) -> Text:
    """Self-rating minus measured: + means the learner rated themselves higher."""
    if value is None:
        return Text("-", style="dim", justify="right")
    style = "yellow" if abs(value) >= 1 else "green"
    return Text(f"{value:+.1f}", style=style, justify="right")


BLOCKS = " ▁▂▃▄▅▆▇█"


class ScoreStrip(Widget):
    """One character per session on a fixed scale (1-5 for scores, 0-4 for |self-gap|).

    A fixed scale keeps a 1.0 → 2.0 change looking small, unlike an auto-scaled sparkline;
    the newest sessions are kept when the history is wider than the strip.
    """

    DEFAULT_CSS = "ScoreStrip { height: 1; width: 1fr; }"

    values: reactive[tuple[float, ...]] = reactive(())

    def __init__(self, *, signed: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.signed = signed

    def render(self) -> Text:
        width = max(1, self.size.width)
        out = Text(end="", no_wrap=True, overflow="crop")
        if not self.values:
            return Text("no data yet", style="dim")
        for value in self.values[-width:]:
            if self.signed:
                level = min(abs(value), 4.0) / 4.0
                style = "yellow" if abs(value) >= 1 else "green"
            else:
                level = (min(max(value, 1.0), 5.0) - 1.0) / 4.0
                style = score_style(value).replace("bold ", "")
            out.append(BLOCKS[max(1, round(level * (len(BLOCKS) - 1)))], style=style)
        return out


def _sort_key(cell: object) -> tuple[int, float, str]:
    """Numbers sort as numbers, "-" (no score) after them, text alphabetically."""
    text = str(cell).strip()
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text.casefold())


class SessionTable(DataTable[Text]):
    """The sessions, one a row, whose Enter the footer names: DataTable's own Enter binding is
    hidden, and as the focused widget's it shadowed the screen's, so "Replay" never showed.
    Enter selects the row, and the screen opens it in the replay viewer."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Replay")]


class HistoryScreen(Screen[PlayRequest | None]):
    """Past sessions, progress per skill, the skill gap and the recommended next scenario.

    Wiring for the app:
      * construct with the effective `Settings` (sessions are read from
        `settings.sessions_dir`, the library from built-ins plus `settings.user_scenarios_dir`);
      * `p` (or the Play button) dismisses with `("play", scenario_id)`: push the screen with
        a callback and start that scenario's briefing;
      * Esc dismisses with None;
      * Enter (or a click) on a session pushes `ReplayViewerScreen(path)` itself;
      * `r` reloads (e.g. after a session ended while the screen was open).
    `loaded` turns True once the data is on screen (tests wait on it).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("p", "play_recommended", "Play recommended", id="history.play"),
        Binding("r", "reload", "Reload", id="history.reload"),
        Binding("enter", "open_selected", "Replay", show=True, priority=False),
    ]

    DEFAULT_CSS = """
    HistoryScreen { layout: vertical; }
    HistoryScreen #history-title { height: 1; padding: 0 1; text-style: bold; background: $panel; }
    HistoryScreen #history-top { height: auto; max-height: 14; }
    HistoryScreen #gap-panel {
        width: 3fr; height: auto; max-height: 14; border: round $accent; padding: 0 1;
        border-title-color: $accent;
    }
    HistoryScreen.-narrow #gap-panel { width: 1fr; }
    HistoryScreen.-narrow #progress-panel { width: 1fr; }
    HistoryScreen #progress-panel {
        width: 4fr; height: auto; border: round $primary; padding: 0 1;
        border-title-color: $primary;
    }
    HistoryScreen .chart-row { height: 1; }
    HistoryScreen .chart-label { width: 12; color: $text-muted; }
    HistoryScreen .chart-value { width: 12; text-align: right; }
    HistoryScreen #sessions { height: 1fr; }
    HistoryScreen #history-empty { padding: 1 2; color: $text-muted; }
    HistoryScreen #history-warnings { height: auto; max-height: 3; color: $warning; padding: 0 1; }
    """

    # At 80 columns the skill gap needs half the width to fit its text and the Play button.
    # (Textual types this `ClassVar[...] | None`, which mypy reads as an instance variable.)
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012
        (0, "-narrow"),
        (WIDE, "-wide"),
    ]

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.data: HistoryData | None = None
        self.loaded = False
        self._paths: dict[str, Path] = {}
        self._sorted_by: tuple[str | None, bool] = (None, False)
        self._columns: list[Column] = []

    def compose(self) -> ComposeResult:
        yield Static(Text("History & progress"), id="history-title")
        with Horizontal(id="history-top"):
            with Vertical(id="gap-panel"):
                yield Static(Text("Loading…", style="dim"), id="gap-text")
                # Right under the scenario it plays, above the reason: if a small terminal
                # cuts the panel, it cuts the explanation, not the button.
                play = f"Play ▸ ({app_key(self.app, 'history.play')})"
                yield Button(play, id="play-recommended", variant="primary", compact=True)
                yield Static(Text(""), id="gap-reason")
            with Vertical(id="progress-panel"):
                for skill in SKILLS:
                    with Horizontal(classes="chart-row"):
                        yield Static(Text(SHORT[skill]), classes="chart-label")
                        yield ScoreStrip(id=f"spark-{skill}")
                        yield Static(Text(""), id=f"last-{skill}", classes="chart-value")
                with Horizontal(classes="chart-row"):
                    yield Static(Text("Self-gap"), classes="chart-label")
                    yield ScoreStrip(signed=True, id="spark-gap")
                    yield Static(Text(""), id="last-gap", classes="chart-value")
        yield SessionTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Static(Text(""), id="history-empty")
        yield Static(Text(""), id="history-warnings")
        yield KeyFooter()

    def on_mount(self) -> None:
        try:
            self._setup()
        except NoMatches:  # the app closed while this screen was mounting
            return
        self.action_reload()

    def _setup(self) -> None:
        self.query_one("#gap-panel").border_title = "Skill gap"
        self.query_one("#play-recommended", Button).display = False
        self.query_one("#history-empty").display = False
        self.query_one("#history-warnings").display = False
        self.query_one("#gap-reason").display = False
        self._lay_out(self.app.size.width)

    def _lay_out(self, width: int) -> bool:
        """Fit the panel title and the table's columns to `width`; False when the columns
        already fit it."""
        self.query_one("#progress-panel").border_title = (
            "Progress (one mark per session, 1-5)" if width >= WIDE else "Progress per session, 1-5"
        )
        columns = table_columns(width)
        if columns == self._columns:
            return False
        self._columns = columns
        table = self.query_one("#sessions", DataTable)
        table.clear(columns=True)
        for label, key, column_width in columns:
            table.add_column(label, key=key, width=column_width)
        return True

    def on_resize(self, event: events.Resize) -> None:
        try:
            selected = self.selected_path()
            changed = self._lay_out(event.size.width)
        except NoMatches:  # not composed yet, or torn down
            return
        if changed and self.data is not None:
            self._refill_table(selected)

    def _refill_table(self, selected: Path | None) -> None:
        """Fill the table again (new columns), keeping the order and the selected session."""
        assert self.data is not None
        table = self.query_one("#sessions", DataTable)
        self._fill_table(self.data.history.records, focus=False)
        key, reverse = self._sorted_by
        if key is not None and key in table.columns:
            table.sort(key, key=_sort_key, reverse=reverse)
        if selected is not None and str(selected) in table.rows:
            table.move_cursor(row=table.get_row_index(str(selected)))

    # ---- loading

    def action_reload(self) -> None:
        self.loaded = False
        self._load()

    @work(thread=True, exclusive=True, group="history-load")
    def _load(self) -> None:
        try:
            data = compute(self.settings, exam_mode=bool(getattr(self.app, "exam_mode", False)))
        except Exception as exc:  # never crash the app over a history problem
            data = HistoryData(History(), SkillGap(None, {}, 0), None, [one_line(str(exc))])
        hand_back(self, self._show, data)

    def _show(self, data: HistoryData) -> None:
        if not self.is_attached:  # dismissed while loading
            return
        try:
            self._fill(data)
        except NoMatches:  # torn down between the check and the update
            return
        self.loaded = True

    def _fill(self, data: HistoryData) -> None:
        self.data = data
        self._fill_table(data.history.records)
        self._fill_charts(data.history)
        self._fill_gap(data.gap, data.recommendation)
        problems = [*data.problems, *data.history.warnings]
        warnings = self.query_one("#history-warnings", Static)
        warnings.display = bool(problems)
        if problems:
            shown = problems[:2] + (
                [f"… and {len(problems) - 2} more"] if len(problems) > 2 else []
            )
            warnings.update(lit("\n".join(one_line(p, 200) for p in shown)))

    def _fill_table(self, records: list[SessionInfo], *, focus: bool = True) -> None:
        table = self.query_one("#sessions", DataTable)
        title_width = table.columns[ColumnKey("scenario")].width
        table.clear()
        self._paths.clear()
        for record in records:
            key = str(record.path)
            self._paths[key] = record.path
            title = record.scenario_title or record.scenario_id or record.session_id
            cells: dict[str, Text] = {
                "date": Text(record.date_label),
                "scenario": lit(one_line(title, title_width)),  # cut with "…", not mid-word
                "outcome": outcome_text(record.outcome),
                "turns": Text(str(record.turns), justify="right"),
                **{skill: score_cell(record.mean_scores.get(skill)) for skill in SKILLS},
                "gap": gap_cell(record.self_gap),
            }
            table.add_row(*(cells[column] for _, column, _ in self._columns), key=key)
        empty = self.query_one("#history-empty", Static)
        empty.display = not records
        table.display = bool(records)
        if not records:
            empty.update(
                Text(
                    "No sessions yet. Play a scenario and it will show up here with its scores.",
                )
            )
        elif focus:
            table.focus()

    def _fill_charts(self, history: History) -> None:
        for skill in SKILLS:
            points = history.progress(skill)
            self.query_one(f"#spark-{skill}", ScoreStrip).values = tuple(p.value for p in points)
            label = self.query_one(f"#last-{skill}", Static)
            values = [p.value for p in points]
            label.update(self._trend_text(values))
            if len(values) >= 2:
                label.tooltip = (
                    f"{values[-1]:.1f} in your latest session, {values[-2]:.1f} in the one "
                    f"before, {values[0]:.1f} in your first"
                )
        gaps = [p.value for p in history.gap_progress()]
        self.query_one("#spark-gap", ScoreStrip).values = tuple(gaps)
        last = Text(f"{gaps[-1]:+.1f} now", style="dim") if gaps else Text("no ratings", "dim")
        self.query_one("#last-gap", Static).update(last)

    @staticmethod
    def _trend_text(values: list[float]) -> Text:
        if not values:
            return Text("no data", style="dim")
        out = Text(end="")
        out.append(f"{values[-1]:.1f}", style=score_style(values[-1]))
        if len(values) >= 2:
            # Since the previous session, as such an arrow reads: against the first, a drop
            # last time still showed ▲ (the chart beside it shows the whole way).
            delta = values[-1] - values[-2]
            arrow = "▲" if delta > 0.05 else "▼" if delta < -0.05 else "="
            out.append(f" {arrow}{abs(delta):.1f}", style="dim")
        return out

    def _fill_gap(self, gap: SkillGap, choice: Recommendation | None) -> None:
        text = Text(end="")
        if gap.skill is None:
            text.append("Not enough scored sessions yet.\n", style="dim")
        else:
            text.append("Weakest lately: ", style="bold")
            mean = gap.means[gap.skill]
            text.append(f"{SKILL_LABELS[gap.skill]} {mean:.1f}", style=score_style(mean))
            text.append("\n")
            text.append_text(self._means_line(gap.means, skip=gap.skill))
            text.append(f" (last {gap.sessions}, newest weigh most)\n", style="dim")
        reason = self.query_one("#gap-reason", Static)
        if choice is None:
            text.append("No scenario to recommend (the library is empty).", style="dim")
        else:
            text.append("Next: ", style="bold")
            text.append_text(lit(one_line(choice.title, 80), "bold"))
            text.append(f" ({choice.difficulty})", style="dim")
            reason.update(lit(one_line(choice.reason, 200), "italic dim"))
        self.query_one("#gap-text", Static).update(text)
        self.query_one("#play-recommended", Button).display = choice is not None
        reason.display = choice is not None

    @staticmethod
    def _means_line(means: dict[Skill, float], skip: Skill | None = None) -> Text:
        out = Text(end="")
        for skill in SKILLS:
            if skill not in means or skill == skip:
                continue
            if out.plain:
                out.append("  ")
            out.append(f"{SHORT[skill]} ", style="dim")
            out.append(f"{means[skill]:.1f}", style=score_style(means[skill]))
        return out

    # ---- actions

    def selected_path(self) -> Path | None:
        table = self.query_one("#sessions", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self._paths.get(key) if key else None

    def open_replay(self, path: Path) -> None:
        from coach.tui.screens.replay_viewer import ReplayViewerScreen

        self.app.push_screen(ReplayViewerScreen(path))

    @on(DataTable.RowSelected, "#sessions")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        path = self._paths.get(event.row_key.value or "")
        if path is not None:
            self.open_replay(path)

    def action_open_selected(self) -> None:
        path = self.selected_path()
        if path is not None:
            self.open_replay(path)

    @on(DataTable.HeaderSelected, "#sessions")
    def _sort(self, event: DataTable.HeaderSelected) -> None:
        """Click a column header to sort by it; click again to reverse."""
        event.stop()
        key = event.column_key
        reverse = self._sorted_by == (key.value, False)
        self.query_one("#sessions", DataTable).sort(key, key=_sort_key, reverse=reverse)
        self._sorted_by = (key.value, reverse)

    @on(Button.Pressed, "#play-recommended")
    def _play_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_play_recommended()

    def action_play_recommended(self) -> None:
        choice = self.data.recommendation if self.data else None
        if choice is None:
            self.notify("Nothing to recommend yet.", severity="warning")
            return
        self.dismiss(("play", choice.scenario_id))

    def action_close(self) -> None:
        self.dismiss(None)
