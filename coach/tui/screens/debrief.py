"""The debrief: how the session went and the one thing to do differently next time.

Per-skill scores with a per-turn chart, MITI listening metrics with their fair/good labels,
the strength and the improvement anchored in the learner's own words, the weakest turn
rewritten next to the original, the outcome, self-ratings beside measured scores, and the
branches compared when the learner rewound. Export writes Markdown or HTML under
settings.home/exports.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Static

from coach.printable import markdown_literal
from coach.scoring.debrief import render_markdown
from coach.scoring.types import SKILL_LABELS, SKILLS, Skill
from coach.tui.hanging import aligned
from coach.tui.literal import lit, visible
from coach.tui.outcomes import outcome_label
from coach.tui.widgets.footer import KeyFooter
from coach.tui.widgets.scored_turn import score_style
from coach.tui.widgets.title import TitleBar
from coach.tui.widgets.turn_chart import TurnChart
from coach.wording import counted

if TYPE_CHECKING:
    from coach.scoring.debrief import Debrief, Rewrite
    from coach.session import Session
    from coach.tui.app import CoachApp

BARS = "▁▂▃▄▅▆▇█"


def bars(values: tuple[float, ...] | list[float]) -> Text:
    """A 1-5 score per turn as a bar each, coloured by level."""
    out = Text(end="")
    for v in values:
        idx = max(0, min(len(BARS) - 1, round((v - 1) / 4 * (len(BARS) - 1))))
        out.append(BARS[idx], style=score_style(v).replace("bold ", ""))
    return out


def skills_table(debrief: Debrief, ratings: dict[str, int] | None) -> Table:
    s = debrief.summary
    table = Table(box=None, pad_edge=False, expand=False, header_style="bold")
    table.add_column("Skill")
    table.add_column("Mean", justify="right")
    table.add_column("Per turn")
    table.add_column("Trend")
    if ratings:
        table.add_column("You rated (vs measured)", justify="right")
    for skill in SKILLS:
        sk = s.skills[skill]
        row: list[Any] = [
            SKILL_LABELS[skill],
            Text(f"{sk.mean:.1f}", style=score_style(sk.mean)),
            bars(sk.scores),
            Text(str(sk.trend), style="dim"),
        ]
        if ratings:
            mine = ratings.get(skill)
            row.append("—" if mine is None else f"{mine}  ({mine - sk.mean:+.1f})")
        table.add_row(*row)
    return table


def miti_text(debrief: Debrief) -> Text:
    m = debrief.summary.miti
    out = Text.assemble(("Listening (MITI)\n", "bold"))

    def row(label: str, value: str, level: str) -> None:
        style = {"good": "green", "fair": "yellow"}.get(level, "red" if level != "n/a" else "dim")
        out.append(f"  {label:<28}{value:>7}  ")
        out.append(level, style=f"bold {style}")
        out.append("\n")

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.0%}"

    rpq = "n/a" if m.reflections_per_question is None else f"{m.reflections_per_question:.2f}"
    row(
        f"Reflections/question {m.reflections}:{m.questions}",
        rpq,
        m.levels.get("reflections_per_question", "n/a"),
    )
    row(
        "Complex reflections",
        pct(m.complex_reflection_share),
        m.levels.get("complex_reflection_share", "n/a"),
    )
    row("Open questions", pct(m.open_question_share), m.levels.get("open_question_share", "n/a"))
    out.append("  fair: ≥1 reflection per question, ≥40% complex · good: ≥2, ≥50%", style="dim")
    return out


def highlights_text(debrief: Debrief) -> Table:
    # The messages already quote the turn ("In turn 2 you wrote “...”"); no second copy.
    rows: list[tuple[str | Text, Text]] = []
    if debrief.strength:
        rows.append((Text("Strength", style="bold green"), lit(debrief.strength.message)))
    if debrief.improvement:
        rows.append((Text("To work on", style="bold yellow"), lit(debrief.improvement.message)))
    return aligned(*rows, gap=2)


def rewrite_notes(rewrite: Rewrite) -> Text:
    """What the rewrite changed, and why it is the offline one when the model failed."""
    out = Text()
    if rewrite.changes:
        out.append("What changed\n", style="bold")
        for change in rewrite.changes:
            out.append("  • ")
            out.append_text(lit(change))
            out.append("\n")
    if rewrite.note:
        out.append_text(lit(rewrite.note, "italic yellow"))
    out.rstrip()
    return out


def branch_comparison(path: Path, weights: dict[Skill, float]) -> Text | None:
    """Mean overall score per branch when the learner rewound; None with a single branch."""
    from coach.scoring.aggregate import weighted_overall
    from coach.transcript import read_transcript

    transcript = read_transcript(path)
    branches = transcript.branches()
    if len(branches) < 2:
        return None
    scores = transcript.scores()
    final = branches[-1]
    out = Text.assemble(("Branches (you rewound)\n", "bold"))
    for i, chain in enumerate(branches):
        vals = [weighted_overall(scores[t], weights) for t in chain if t in scores]
        mean = sum(vals) / len(vals) if vals else 0.0
        active = i == len(branches) - 1
        # Named by turn numbers, as the rest of the debrief: ids like "L5" run on after a
        # rewind and mean nothing to the learner.
        turns = counted(len(chain), "turn")
        if active:
            label = f"kept: {turns}"
        else:
            shared = next(
                (k for k, (a, b) in enumerate(zip(chain, final, strict=False)) if a != b),
                min(len(chain), len(final)),
            )
            label = f"left at turn {shared + 1}: {turns}"
        out.append(f"  {'▶' if active else ' '} {label:<30} ")
        out.append(f"{mean:.1f}" if vals else "—", style=score_style(mean) if vals else "dim")
        out.append("  (final)\n" if active else "\n", style="dim")
    out.rstrip()
    return out


# A readable page in any browser, light or dark, with nothing fetched from outside.
_PAGE_CSS = (
    "body{font-family:system-ui,sans-serif;line-height:1.5;margin:0;color:#1f2328;"
    "background:#fff}main{max-width:52rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #d0d7de;"
    "padding:.3rem .6rem;text-align:left}th{background:#f6f8fa}"
    "blockquote{margin:.5rem 0;padding:.2rem 1rem;border-left:4px solid #8c959f;"
    "color:#424a53}p{white-space:pre-line}"
    "@media (prefers-color-scheme:dark){body{color:#e6edf3;background:#0d1117}"
    "th{background:#161b22}th,td{border-color:#30363d}blockquote{color:#c9d1d9}}"
)


class DebriefScreen(Screen[None]):
    """The end of a session; export it, retry the scenario, or go home."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "export('md')", "Export MD", id="export_md"),
        Binding("x", "export('html')", "Export HTML", id="export_html"),
        Binding("r", "retry_scenario", "Retry scenario", id="retry_scenario"),
        Binding("h", "app.history", "History", id="history"),
        Binding("escape,q", "app.home", "Home", id="home"),
    ]

    def __init__(
        self, session: Session, debrief: Debrief, ratings: dict[str, int] | None = None
    ) -> None:
        super().__init__()
        self.session = session
        self.debrief = debrief
        self.ratings = ratings
        self.exported: list[Path] = []

    @property
    def coach(self) -> CoachApp:
        from coach.tui.app import CoachApp

        assert isinstance(self.app, CoachApp)
        return self.app

    def outcome_text(self) -> Text:
        from coach.session import LEARNER_ENDED

        s = self.session
        out = Text.assemble(("Outcome  ", "bold"))
        out.append_text(lit(outcome_label(s.outcome.value if s.outcome else None), "bold cyan"))
        if s.end_reason and s.end_reason != LEARNER_ENDED:  # "you ended it" says it already
            out.append(" — ")
            out.append_text(lit(s.end_reason))
        met = s.objectives_met
        total = len(s.scenario.objectives)
        out.append(f"\nObjectives met {len(met)}/{total}", style="dim")
        summary = self.debrief.summary
        if summary.turns:
            out.append(
                f"   ·   overall {summary.overall:.1f}/5 over {counted(len(summary.turns), 'turn')}"
            )
        if self.debrief.unscored:
            # Left out of every figure below: say so rather than let "over 3 turns" of four
            # pass unnoticed.
            out.append(
                f"   ·   {counted(self.debrief.unscored, 'turn')} not scored (scoring failed)",
                style="yellow",
            )
        return out

    def subject(self) -> str:
        return f"debrief: {self.session.scenario.title}"

    def compose(self) -> ComposeResult:
        d = self.debrief
        yield TitleBar(self.subject())
        with VerticalScroll(id="debrief"):
            yield Static(self.outcome_text(), classes="panel", id="outcome", markup=False)
            if not d.summary.turns:
                yield Static("No scored turns in this session.", classes="panel")
            else:
                yield Static(skills_table(d, self.ratings), classes="panel", id="skills")
                # The figures too: a chart is read at a glance, numbers are read exactly.
                per_turn = Text("Overall per turn  ", style="bold")
                per_turn.append(" · ".join(f"{x:.1f}" for x in d.summary.turn_overall), style="dim")
                yield Static(per_turn, classes="panel")
                yield TurnChart(d.summary.turn_overall, id="turn-chart")
                yield Static(miti_text(d), classes="panel", id="miti", markup=False)
                yield Static(highlights_text(d), classes="panel", id="highlights", markup=False)
                r = d.rewrite
                if r is not None:
                    skill = SKILL_LABELS[r.skill]
                    title = Text(f"A better version of turn {r.turn + 1} ", style="bold")
                    title.append(f"(aimed at {skill}, that turn's weakest skill)", style="dim")
                    yield Static(title, classes="panel")
                    with Horizontal(id="rewrite"):
                        mine = Text.assemble(("You said\n", "bold"))
                        mine.append_text(lit(r.original))
                        mine.append(
                            f"\n{skill} {r.original_score:.1f}",
                            style=score_style(r.original_score),
                        )
                        better = Text.assemble(("Try\n", "bold green"))
                        better.append_text(lit(r.rewritten))
                        if r.rewritten_score is not None:
                            better.append(
                                f"\n{skill} {r.rewritten_score:.1f}",
                                style=score_style(r.rewritten_score),
                            )
                        yield Static(mine, id="rewrite-original", markup=False)
                        yield Static(better, id="rewrite-better", markup=False)
                    if r.changes or r.note:
                        yield Static(rewrite_notes(r), classes="panel", id="rewrite-notes")
            yield Static("", classes="panel", id="branches", markup=False)
            with Horizontal(id="debrief-actions"):
                yield Button("Export Markdown  m", id="export-md")
                yield Button("Export HTML  x", id="export-html")
                yield Button("Retry scenario  r", id="retry-scenario", variant="primary")
                yield Button("Home  Esc", id="home")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#debrief", VerticalScroll).focus()
        weights = {s: self.session.scenario.weight_of(s) for s in SKILLS}
        try:
            branches = branch_comparison(self.session.path, weights)
        except Exception:  # an unreadable transcript only loses the comparison
            branches = None
        panel = self.query_one("#branches", Static)
        panel.display = branches is not None
        if branches is not None:
            panel.update(branches)

    # ---- export

    def markdown(self) -> str:
        title = f"Debrief: {self.session.scenario.title}"
        text = render_markdown(self.debrief, title=title)
        s = self.session
        lines = [text.rstrip(), "", "## Outcome", ""]
        outcome = s.outcome.value if s.outcome else "not finished"
        lines.append(f"{outcome}: {markdown_literal(s.end_reason)}")
        if self.ratings:
            lines += ["", "## Self-assessment", ""]
            for skill in SKILLS:
                mean = self.debrief.summary.skills[skill].mean
                lines.append(
                    f"- {SKILL_LABELS[skill]}: you {self.ratings.get(skill)}, measured {mean:.1f}"
                )
        lines += ["", "## Conversation", ""]
        opening = s.opening
        name = markdown_literal(s.scenario.counterpart.name)
        if opening:
            lines.append(f"**{name}:** {markdown_literal(opening.text)}")
            lines.append("")
        # Numbered as the debrief counts them ("Best turn: 2"); ids like "L5" mean nothing
        # to a reader once a rewind has left earlier ones behind.
        for number, ex in enumerate(s.turns, 1):
            lines.append(f"**You (turn {number}):** {markdown_literal(ex.learner.text)}")
            lines.append("")
            if ex.reply is not None:
                lines.append(f"**{name}:** {markdown_literal(ex.reply.text)}")
                lines.append("")
        # Transcript text can carry escape sequences: the file is read with `cat` too.
        return visible("\n".join(lines) + "\n")

    def html_page(self) -> str:
        """The Markdown debrief rendered as a page (tables, quotes, headings), self-contained.

        Raw HTML in the text is escaped, not passed through (`html` off), and markdown-it
        refuses `javascript:` and similar links: transcript text cannot script the page.
        """
        from markdown_it import MarkdownIt

        body = MarkdownIt("commonmark", {"html": False}).enable("table").render(self.markdown())
        title = html.escape(visible(f"Debrief: {self.session.scenario.title}"))
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{title}</title><style>{_PAGE_CSS}</style></head>"
            f"<body><main>{body}</main></body></html>\n"
        )

    def action_export(self, fmt: str) -> None:
        self.export(fmt)

    @work(thread=True, group="export")
    def export(self, fmt: str) -> None:
        folder = self.coach.settings.home / "exports"
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        ext = "html" if fmt == "html" else "md"
        path = folder / f"{self.session.session_id}-debrief-{stamp}.{ext}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(self.html_page() if ext == "html" else self.markdown(), "utf-8")
        except OSError as exc:
            self.app.call_from_thread(
                self.notify, f"Export failed: {exc}", severity="error", markup=False
            )
            return
        self.exported.append(path)
        self.app.call_from_thread(self.notify, f"Exported to {path}", markup=False)

    @on(Button.Pressed, "#export-md")
    def _md(self) -> None:
        self.export("md")

    @on(Button.Pressed, "#export-html")
    def _html(self) -> None:
        self.export("html")

    @on(Button.Pressed, "#home")
    def _home(self) -> None:
        self.coach.action_home()

    @on(Button.Pressed, "#retry-scenario")
    def _retry(self) -> None:
        self.action_retry_scenario()

    def action_retry_scenario(self) -> None:
        from coach.tui.screens.briefing import BriefingScreen

        s = self.session
        self.app.switch_screen(BriefingScreen(s.scenario, None))

    def screen_commands(self) -> list[Any]:
        from textual.app import SystemCommand

        return [
            SystemCommand("Export debrief as Markdown", "m", lambda: self.export("md")),
            SystemCommand("Export debrief as HTML", "x", lambda: self.export("html")),
            SystemCommand("Retry this scenario", "r", self.action_retry_scenario),
        ]
