"""The briefing: who the learner plays, the goal, what they know, who they face, the
objectives and the rubric levels of the skills in focus. Enter starts the conversation.

Reading the rubric before speaking is what makes the scores feel fair, so the levels of the
skills in focus are shown here rather than hidden in help.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from coach.scoring.rubric import RUBRIC
from coach.scoring.types import SKILL_LABELS
from coach.tui.hanging import hanging
from coach.tui.literal import lit
from coach.tui.widgets.footer import KeyFooter
from coach.tui.widgets.title import TitleBar

if TYPE_CHECKING:
    from coach.scenario import Scenario


def briefing_text(scenario: Scenario) -> Group:
    c = scenario.counterpart
    parts: list[RenderableType] = [
        Text.assemble(
            lit(scenario.title, "bold"),
            "\n",
            lit(f"{scenario.difficulty.value} · up to {scenario.max_turns} turns", "dim"),
        )
    ]

    def section(title: str, *body: RenderableType) -> None:
        parts.append(Text(f"\n{title}", style="bold cyan"))
        # `lit` text ends without a line break; in a Group the next part would join it.
        parts.extend(Text.assemble(b) if isinstance(b, Text) else b for b in body)

    section("Your role", lit(scenario.learner.role))
    section("Your goal", lit(scenario.learner.goal))
    section("What you know", lit(scenario.learner.brief.strip()))
    section("Who you are talking to", lit(f"{c.name} — {c.role}"))
    section("Objectives", *(hanging("  • ", lit(o.description)) for o in scenario.objectives))
    section("Skills in focus")
    for skill in scenario.skills:
        rubric = RUBRIC.skill(skill)
        label = Text.assemble("  ", (SKILL_LABELS[skill], "bold"), "  ")
        parts.append(hanging(label, lit(rubric.summary, "dim")))
        for level in rubric.levels:
            line = Text.assemble(lit(level.label, "italic"), " — ", lit(level.description))
            parts.append(hanging(Text(f"    {level.score} ", style="bold"), line))
    return Group(*parts)


class BriefingScreen(Screen[None]):
    """Read before you speak; Enter starts the conversation with the input focused."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "start", "Start", id="start", priority=True),
        Binding("escape", "app.pop_screen", "Back", id="back"),
    ]

    def __init__(self, scenario: Scenario, scenario_path: Path | None) -> None:
        super().__init__()
        self.scenario = scenario
        self.scenario_path = scenario_path
        self._starting = False

    def subject(self) -> str:
        return f"briefing: {self.scenario.title}"

    def compose(self) -> ComposeResult:
        yield TitleBar(self.subject())
        with VerticalScroll(id="briefing"):
            yield Static(briefing_text(self.scenario), id="briefing-body", markup=False)
            yield Static(
                Text.assemble(
                    ("Enter", "bold reverse"),
                    "  start the conversation   ",
                    ("Esc", "bold reverse"),
                    "  back",
                ),
                id="briefing-hint",
            )
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#briefing", VerticalScroll).focus()

    def action_start(self) -> None:
        if not self._starting:
            self._starting = True
            self.start_session()

    @work(exclusive=True, group="start")
    async def start_session(self) -> None:
        from coach.tui.app import CoachApp
        from coach.tui.screens.conversation import ConversationScreen

        app = self.app
        assert isinstance(app, CoachApp)
        try:
            session = app.make_session(self.scenario, self.scenario_path)
            await session.start()
        except Exception as exc:  # a bad endpoint config or an unwritable home
            self._starting = False
            app.notify(f"Cannot start: {exc}", severity="error", markup=False)
            return
        # Not awaited: switching removes this screen and cancels this very worker.
        app.call_later(app.switch_screen, ConversationScreen(session))

    def screen_commands(self) -> list[object]:
        from textual.app import SystemCommand

        return [SystemCommand("Start the conversation", "Enter", self.action_start)]
