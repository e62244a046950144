"""Self-assessment: the learner rates their own empathy, listening and clarity before the debrief.

Comparing how we think we did with what was measured is one of the strongest levers for
learning a soft skill, so the rating comes before the scores are shown and history tracks
the gap over time. The modal is keyboard-first (1-5 rate the focused skill and move on, so
"4 3 4 Enter" rates all three; ↑/↓ choose a skill, ←/→ adjust, Enter submits, Esc skips)
and every number is clickable.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Static

from coach.scoring.rubric import RUBRIC
from coach.scoring.types import SKILL_LABELS, SKILLS
from coach.tui.literal import one_line
from coach.tui.widgets.footer import KeyFooter

SCALE = (1, 2, 3, 4, 5)


def level_label(skill: str, value: int) -> str:
    """The rubric's name for a level ("Reflects feelings", ...), empty for unknown skills."""
    for known in SKILLS:
        if known == skill:
            return RUBRIC.skill(known).level(value).label
    return ""


class RatingRow(Widget, can_focus=True):
    """One skill with five clickable marks; `value` is None until the learner rates it."""

    DEFAULT_CSS = """
    RatingRow { height: 1; width: 1fr; padding: 0 1; }
    RatingRow:focus { background: $boost; text-style: bold; }
    """

    value: reactive[int | None] = reactive(None)

    def __init__(self, skill: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.skill = skill
        labels: dict[str, str] = {str(k): v for k, v in SKILL_LABELS.items()}
        self.label = labels.get(skill, skill)

    def render(self) -> Content:
        parts: list[Content | tuple[str, str] | str] = [
            Content(one_line(self.label, 18).ljust(19)),
        ]
        for n in SCALE:
            chosen = self.value == n
            style = "reverse bold $accent" if chosen else "$text-muted"
            # Trusted markup: only digits and the action name go into it.
            parts.append(Content.from_markup(f"[@click=rate({n})] {n} [/]").stylize(style))
            parts.append(" ")
        if self.value is not None:
            parts.append((f" {level_label(self.skill, self.value)}", "italic $text-muted"))
        return Content.assemble(*parts)

    def action_rate(self, value: int) -> None:
        self.value = value
        self.focus()

    def adjust(self, delta: int) -> None:
        start = self.value if self.value is not None else 3 - delta
        self.value = max(1, min(5, start + delta))


class SelfAssessmentScreen(ModalScreen[dict[str, int] | None]):
    """Rate yourself 1-5 per skill. Dismisses with {skill: rating} for every skill, or None
    when skipped (Esc / Skip). Pass `list(SKILLS)` so `Session.self_assess` gets all three.
    """

    # All priority: a priority key is handled as it arrives, a plain one only after the
    # focused widget has passed it on, so "434⏎" in one burst submitted before the last 4.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "skip", "Skip", priority=True),
        Binding("enter", "submit", "Submit", priority=True),
        Binding("up", "move(-1)", "Previous skill", show=False, priority=True),
        Binding("down", "move(1)", "Next skill", show=False, priority=True),
        Binding("left", "adjust(-1)", "Lower", show=False, priority=True),
        Binding("right", "adjust(1)", "Higher", show=False, priority=True),
        *(Binding(str(n), f"rate({n})", f"Rate {n}", show=False, priority=True) for n in SCALE),
    ]

    DEFAULT_CSS = """
    SelfAssessmentScreen { align: center middle; }
    SelfAssessmentScreen #sa-box {
        width: 72; max-width: 100%; height: auto; border: thick $accent;
        background: $surface; padding: 1 2;
    }
    SelfAssessmentScreen #sa-title { text-style: bold; }
    SelfAssessmentScreen #sa-help { color: $text-muted; margin: 1 0; }
    SelfAssessmentScreen #sa-keys { color: $text-muted; margin-top: 1; }
    SelfAssessmentScreen #sa-buttons { height: auto; margin-top: 1; align-horizontal: right; }
    SelfAssessmentScreen #sa-buttons Button { margin-left: 2; }
    """

    def __init__(self, skills: list[str]) -> None:
        super().__init__()
        self.skills = list(dict.fromkeys(skills))

    def compose(self) -> ComposeResult:
        with Vertical(id="sa-box"):
            yield Static("How do you think you did?", id="sa-title")
            yield Static(
                "Rate yourself before you see your scores: 1 = poor, 3 = okay, 5 = excellent. "
                "The debrief shows your rating beside the measured score.",
                id="sa-help",
            )
            for index, skill in enumerate(self.skills):
                yield RatingRow(skill, id=f"rate-{index}")
            yield Static(
                "1-5 rate and go to the next skill · ←/→ adjust · ↑/↓ skill · "
                "Enter submit · Esc skip",
                id="sa-keys",
            )
            with Horizontal(id="sa-buttons"):
                yield Button("Skip", id="sa-skip", compact=True)
                yield Button("Submit", id="sa-submit", variant="primary", compact=True)
        yield KeyFooter()  # this dialog's keys, not the conversation's behind it

    def on_mount(self) -> None:
        rows = self.rows
        if rows:
            rows[0].focus()

    @property
    def rows(self) -> list[RatingRow]:
        return list(self.query(RatingRow))

    @property
    def ratings(self) -> dict[str, int]:
        return {row.skill: row.value for row in self.rows if row.value is not None}

    # Focus moves with `set_focus`, not `widget.focus()`: that one waits for the next idle
    # moment, so "434" typed or pasted in one burst rated empathy three times.
    def _focused_row(self) -> RatingRow:
        focused = self.focused
        rows = self.rows
        return focused if isinstance(focused, RatingRow) else rows[0]

    def action_move(self, delta: int) -> None:
        rows = self.rows
        if not rows:
            return
        if not isinstance(self.focused, RatingRow):
            # On the buttons (where rating the last skill lands): up goes back to that skill,
            # down stays put rather than wrapping round to the first.
            if delta < 0:
                self.set_focus(rows[-1])
            return
        index = rows.index(self.focused)
        self.set_focus(rows[max(0, min(len(rows) - 1, index + delta))])

    def action_rate(self, value: int) -> None:
        rows = self.rows
        if not rows:
            return
        row = self._focused_row()
        row.value = value
        index = rows.index(row)
        if index + 1 < len(rows):
            self.set_focus(rows[index + 1])
        else:
            self.set_focus(self.query_one("#sa-submit", Button))

    def action_adjust(self, delta: int) -> None:
        if self.rows:
            self._focused_row().adjust(delta)

    def action_submit(self) -> None:
        if isinstance(self.focused, Button) and self.focused.id == "sa-skip":
            self.action_skip()
            return
        missing = [row for row in self.rows if row.value is None]
        if missing:
            self.set_focus(missing[0])
            # "Rate Empathy too" when nothing was rated yet read as a slip.
            ask = (
                "Rate each skill 1-5 first (1-5 on the highlighted row, ↑/↓ to move)"
                if len(missing) == len(self.rows)
                else f"Rate {one_line(missing[0].label, 40)} too"
            )
            self.notify(f"{ask}, or press Esc to skip.", severity="warning", markup=False)
            return
        self.dismiss(self.ratings)

    def action_skip(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#sa-submit")
    def _submit(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_submit()

    @on(Button.Pressed, "#sa-skip")
    def _skip(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)
