"""A learner turn shown with its three scores, the evidence marked in the learner's own words,
and the tips (collapsible).

Feedback is easiest to act on next to the words that earned it, so the conversation, the
debrief and the replay viewer all show a scored turn the same way, through this widget and
`highlight_evidence`. Every string here is untrusted (learner text, judge evidence and tips)
and goes through `coach.tui.literal`.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Collapsible, Static

from coach.scoring.rubric import RUBRIC
from coach.scoring.types import SKILL_LABELS, SKILLS, Evidence, Skill, TurnScore
from coach.transcript import is_blank
from coach.tui.hanging import hanging
from coach.tui.keys import app_key
from coach.tui.literal import lit, visible

GAIN_STYLE = "bold green underline"
COST_STYLE = "bold red underline"
SHORT = {"empathy": "Empathy", "active_listening": "Listening", "clarity": "Clarity"}


def score_style(score: float) -> str:
    """Colour of a 1-5 score: red below 2.5, yellow below 3.5, green from there."""
    if score < 2.5:
        return "bold red"
    if score < 3.5:
        return "bold yellow"
    return "bold green"


def _span(text: str, ev: Evidence) -> tuple[int, int] | None:
    """Where the evidence sits in `text`; falls back to finding the quote if offsets drifted."""
    if 0 <= ev.start < ev.end <= len(text) and (
        not ev.quote or text[ev.start : ev.end] == ev.quote
    ):
        return ev.start, ev.end
    if ev.quote:
        at = text.find(ev.quote)
        if at >= 0:
            return at, at + len(ev.quote)
    return None


def highlight_evidence(text: str, score: TurnScore | None, skill: Skill | None = None) -> Text:
    """The learner's `text` with evidence spans styled (green earned points, red cost points).

    Offsets refer to the raw text; control characters are shown as visible escapes, so the
    offsets are mapped through that expansion. `skill` limits the marks to one skill.
    """
    positions: list[int] = []
    shown: list[str] = []
    at = 0
    for ch in text:
        positions.append(at)
        piece = visible(ch) if ch not in "\n\t" else ch
        shown.append(piece)
        at += len(piece)
    positions.append(at)
    out = Text("".join(shown), end="")
    if score is None:
        return out
    skills = (skill,) if skill else SKILLS
    for name in skills:
        for ev in score.skill(name).evidence:
            span = _span(text, ev)
            if span is None:
                continue
            style = GAIN_STYLE if ev.effect == "+" else COST_STYLE
            out.stylize(style, positions[span[0]], positions[span[1]])
    return out


def score_line(
    score: TurnScore | None,
    *,
    hidden: bool = False,
    unscored: bool = False,
    retry_key: str = "Ctrl+R",
    empty: bool = False,
) -> Text:
    """`Empathy 3.8  Listening 4.1  Clarity 3.5`, coloured; placeholders while pending, and
    dashes with what to do when scoring failed (`unscored`): "…" would wait forever. An
    `empty` turn (no text) is never scored: dashes and why."""
    if empty and score is None:
        return Text("empty reply · not scored", style="dim italic", end="")
    out = Text(end="")
    for i, skill in enumerate(SKILLS):
        if i:
            out.append("   ")
        out.append(f"{SHORT[skill]} ", style="dim")
        if hidden:
            out.append("hidden", style="dim italic")
        elif score is None:
            out.append("–" if unscored else "…", style="dim")
        else:
            value = score.skill(skill).score
            out.append(f"{value:.1f}", style=score_style(value))
    if unscored and score is None and not hidden:
        out.append(f"   not scored · {retry_key} scores it again", style="italic yellow")
    return out


def feedback_text(text: str, score: TurnScore) -> Group:
    """Per skill: score, level label, evidence quotes with their labels, and the tip.

    Quotes and tips wrap under their own first line, not under the "+" or "Tip:".
    """
    rows: list[RenderableType] = []
    for skill in SKILLS:
        s = score.skill(skill)
        level = RUBRIC.skill(skill).level(s.score)
        rows.append(
            Text.assemble(
                (f"{SKILL_LABELS[skill]} {s.score:.1f}", score_style(s.score)),
                (f" — {level.label}", "dim"),
            )
        )
        for ev in s.evidence:
            style = GAIN_STYLE if ev.effect == "+" else COST_STYLE
            said = lit(f"“{ev.quote}”", style)
            if ev.label:
                said.append("  ")
                said.append_text(lit(ev.label, "dim"))
            rows.append(hanging(Text(f"  {ev.effect} ", style=style), said))
        if s.tip:
            rows.append(hanging(Text("  Tip: ", style="bold"), lit(s.tip)))
    return Group(*rows)


class ScoredTurnView(Vertical):
    """A learner turn, its score line and a collapsible "Feedback" with evidence and tips.

    `set_score` fills it in when the background scorer answers; `hidden` (exam mode) keeps
    the numbers and feedback out of sight until the debrief.
    """

    DEFAULT_CSS = """
    ScoredTurnView { height: auto; padding: 0 1; margin: 0 0 1 0; border-left: thick $primary; }
    ScoredTurnView > .turn-who { color: $text-muted; text-style: bold; }
    ScoredTurnView > .turn-text { height: auto; }
    ScoredTurnView > .turn-scores { height: auto; }
    ScoredTurnView Collapsible { padding: 0; margin: 0; border: none; background: transparent; }
    ScoredTurnView Collapsible > Contents { padding: 0 0 0 2; }
    ScoredTurnView.-hidden-scores > .turn-scores { color: $text-muted; }
    """

    def __init__(
        self,
        text: str,
        score: TurnScore | None = None,
        *,
        turn_id: str = "",
        label: str = "",
        who: str = "You",
        hidden: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.text = text
        self.score = score
        self.turn_id = turn_id
        self.label = label or turn_id  # what the learner reads: "turn 2", not the id
        self.who = who
        self.hidden = hidden
        self.unscored = False  # scoring failed: say so rather than "…" forever
        self._composed_with: tuple[TurnScore | None, bool, bool] = (None, False, False)
        self._parts_ready = False

    def compose(self) -> ComposeResult:
        self._composed_with = (self.score, self.hidden, self.unscored)
        label = f"{self.who} · {self.label}" if self.label else self.who
        yield Static(lit(label), classes="turn-who", markup=False)
        yield Static(self._body(), classes="turn-text", markup=False)
        yield Static(self._score_line(), classes="turn-scores")
        with Collapsible(title="Feedback", collapsed=True) as c:
            c.display = self.score is not None and not self.hidden
            yield Static(self._feedback(), classes="turn-feedback", markup=False)

    def _score_line(self) -> Text:
        retry = app_key(self.app, "retry")
        return score_line(
            self.score,
            hidden=self.hidden,
            unscored=self.unscored,
            retry_key=retry,
            empty=is_blank(self.text),
        )

    def _body(self) -> Text:
        return highlight_evidence(self.text, None if self.hidden else self.score)

    def _feedback(self) -> RenderableType:
        return feedback_text(self.text, self.score) if self.score else Text("")

    def on_mount(self) -> None:
        # Its parts exist from here on (`is_mounted` turns true only after this handler). A
        # score that arrived between compose and now (a fast judge, a cached score), or a
        # switch of exam mode, was not shown yet.
        self._parts_ready = True
        score, hidden, unscored = self._composed_with
        if self.score is not score or self.hidden != hidden or self.unscored != unscored:
            self._refresh_parts()

    def _refresh_parts(self) -> None:
        if not self._parts_ready:
            return
        self.query_one(".turn-text", Static).update(self._body())
        self.query_one(".turn-scores", Static).update(self._score_line())
        self.query_one(".turn-feedback", Static).update(self._feedback())
        self.query_one(Collapsible).display = self.score is not None and not self.hidden

    def set_score(self, score: TurnScore | None) -> None:
        self.score = score
        self.unscored = False
        self._refresh_parts()

    def set_unscored(self, unscored: bool) -> None:
        """Scoring failed (True), or it was asked again and is on its way (False)."""
        self.unscored = unscored
        self._refresh_parts()

    def set_hidden(self, hidden: bool) -> None:
        self.hidden = hidden
        self.set_class(hidden, "-hidden-scores")
        self._refresh_parts()

    def expand_feedback(self, expanded: bool = True) -> None:
        self.query_one(Collapsible).collapsed = not expanded
