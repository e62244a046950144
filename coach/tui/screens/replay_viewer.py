"""The replay viewer: step through a past session one learner turn at a time.

Feedback sticks when the learner can revisit a conversation at their own pace: what the
counterpart said, what they answered, how each skill scored and why (evidence marked in their
own words, the tip), and how the counterpart's state moved. Rewinds left branches in the
transcript; the viewer shows every branch, not only the one that was kept. A damaged file
shows its warnings (or its error) instead of crashing, and all transcript text is untrusted,
so it is rendered through `coach.tui.literal` and the shared scored-turn helpers.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from coach.scoring.types import SKILL_LABELS, SKILLS
from coach.sessions_store import parse_date
from coach.transcript import Exchange, Transcript, TranscriptError, is_blank, read_transcript
from coach.tui.hanging import hanging
from coach.tui.literal import lit, one_line
from coach.tui.outcomes import outcome_label
from coach.tui.widgets.footer import KeyFooter
from coach.tui.widgets.scored_turn import feedback_text, highlight_evidence, score_line


class ReplayViewerScreen(Screen[None]):
    """Steps through the transcript at `path` turn by turn; Esc dismisses (result None).

    Keys: → / j next turn, ← / k previous, Home / End first / last, b / B next / previous
    branch (rewinds). `index` and `branch` hold the position; `transcript` is None when
    the file could not be read (`error` says why).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("right,j", "step(1)", "Next", priority=True),
        Binding("left,k", "step(-1)", "Previous", priority=True),
        Binding("home", "first", "First", priority=True, show=False),
        Binding("end", "last", "Last", priority=True, show=False),
        Binding("b", "branch(1)", "Next branch", id="replay.branch"),
        Binding("B", "branch(-1)", "Previous branch", show=False),
    ]

    DEFAULT_CSS = """
    ReplayViewerScreen { layout: vertical; }
    ReplayViewerScreen #replay-title { height: auto; padding: 0 1; background: $panel; }
    ReplayViewerScreen #replay-warnings {
        height: auto; max-height: 4; padding: 0 1; color: $warning;
    }
    ReplayViewerScreen #replay-position { height: 1; padding: 0 1; color: $text-muted; }
    ReplayViewerScreen #replay-body { height: 1fr; padding: 0 1; }
    ReplayViewerScreen #replay-body > Static { height: auto; margin-bottom: 1; }
    ReplayViewerScreen #replay-context { border-left: thick $secondary; padding: 0 1; }
    ReplayViewerScreen #replay-learner { border-left: thick $primary; padding: 0 1; }
    ReplayViewerScreen #replay-feedback { padding: 0 1 0 3; }
    ReplayViewerScreen #replay-reply { border-left: thick $secondary; padding: 0 1; }
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)
        self.transcript: Transcript | None = None
        self.error: str | None = None
        self.branches: list[list[Exchange]] = []
        self.branch = 0
        self.index = 0
        self.counterpart = "Counterpart"
        try:
            self.transcript = read_transcript(self.path)
            self.branches = self._read_branches(self.transcript)
            self.counterpart = one_line(self.transcript.counterpart_name, 60)
        except (TranscriptError, OSError, ValueError, KeyError, TypeError) as exc:
            self.error = str(exc)
        if self.branches:
            self.branch = len(self.branches) - 1  # the active branch is last

    @staticmethod
    def _read_branches(transcript: Transcript) -> list[list[Exchange]]:
        ids = transcript.branches()
        branches = [transcript.exchanges(chain) for chain in ids]
        return [b for b in branches if b] or [transcript.active_path()]

    def compose(self) -> ComposeResult:
        # Filled here, not in on_mount: nothing to query if the app closes while mounting.
        yield Static(self._title(), id="replay-title")
        warnings = Static(self._warnings(), id="replay-warnings")
        warnings.display = bool(self._warning_lines())
        yield warnings
        yield Static(self._position(), id="replay-position")
        with VerticalScroll(id="replay-body"):
            for name, value in self._parts().items():
                part = Static("" if value is None else value, id=f"replay-{name}")
                part.display = value is not None
                yield part
        yield KeyFooter()

    # ---- text

    def _title(self) -> Text:
        if self.transcript is None:
            return lit(f"Replay · {self.path.name}", "bold")
        header = self.transcript.header
        title = str(header.get("scenario_title") or header.get("scenario_id") or self.path.stem)
        out = lit(one_line(title, 100), "bold")
        when = parse_date(str(header.get("created_at", "")))
        if when:
            out.append(f"  ·  {when:%Y-%m-%d %H:%M} UTC", style="dim")
        outcome = self.transcript.outcome
        out.append("  ·  ", style="dim")
        if outcome is None:
            out.append("unfinished", style="italic dim")
        else:
            out.append_text(lit(outcome_label(outcome)))
        ratings = self.transcript.self_assessment
        if ratings:
            out.append("\nYou rated yourself: ", style="dim")
            for skill in SKILLS:
                if skill in ratings:
                    out.append(f"{SKILL_LABELS[skill]} {ratings[skill]}  ")
        return out

    def _warning_lines(self) -> list[str]:
        if self.error is not None:
            return [f"Could not read this session: {self.error}"]
        return list(self.transcript.warnings) if self.transcript else []

    def _warnings(self) -> Text:
        return lit("\n".join(one_line(w, 300) for w in self._warning_lines()))

    @property
    def turns(self) -> list[Exchange]:
        return self.branches[self.branch] if self.branches else []

    @property
    def current(self) -> Exchange | None:
        turns = self.turns
        return turns[self.index] if 0 <= self.index < len(turns) else None

    def _position(self) -> Text:
        turns = self.turns
        if not turns:
            return Text("No learner turns in this session.", style="italic")
        out = Text(f"Turn {self.index + 1} of {len(turns)}")
        if len(self.branches) > 1:
            active = self.branch == len(self.branches) - 1
            out.append(f"  ·  branch {self.branch + 1} of {len(self.branches)}")
            out.append(" (kept)" if active else " (rewound)", style="bold" if active else "dim")
        out.append("   ←/→ step  Home/End  ", style="dim")
        if len(self.branches) > 1:
            out.append("b branch  ", style="dim")
        out.append("Esc back", style="dim")
        return out

    def _parts(self) -> dict[str, RenderableType | None]:
        """The body's sections for the current turn, in display order (None: not shown)."""
        turn = self.current
        parts: dict[str, RenderableType | None] = dict.fromkeys(
            ("context", "hints", "learner", "feedback", "state", "reply")
        )
        if turn is not None:
            parts["context"] = self._said(self.counterpart, turn.context or "(no opening line)")
            if turn.hints:
                parts["hints"] = Group(
                    Text("Hints asked here:", style="dim"),
                    *(hanging("  • ", lit(hint, "italic")) for hint in turn.hints),
                )
            hidden = self.scores_hidden
            score = None if hidden else turn.score
            learner = Text(end="")
            learner.append("You\n", style="bold")
            learner.append_text(highlight_evidence(turn.learner.text, score))
            learner.append("\n")
            learner.append_text(score_line(score, hidden=hidden, empty=is_blank(turn.learner.text)))
            parts["learner"] = learner
            if hidden:
                why = "Scores and feedback are hidden until the debrief (exam mode)."
                parts["feedback"] = Text(why, style="dim italic")
            elif score is not None:
                parts["feedback"] = feedback_text(turn.learner.text, score)
            else:
                parts["feedback"] = Text("Not scored.", style="dim italic")
            parts["state"] = self._state(turn)
            parts["reply"] = self._reply(turn)
        return parts

    @property
    def scores_hidden(self) -> bool:
        """Exam mode hides scores until the debrief: an unfinished session (perhaps the one
        being played) shows none here, as in History."""
        unfinished = self.transcript is not None and not self.transcript.ended
        return unfinished and bool(getattr(self.app, "exam_mode", False))

    def _render_turn(self) -> None:
        self.query_one("#replay-position", Static).update(self._position())
        for name, value in self._parts().items():
            widget = self.query_one(f"#replay-{name}", Static)
            widget.update("" if value is None else value)
            widget.display = value is not None
        self.query_one("#replay-body", VerticalScroll).scroll_home(animate=False)

    @staticmethod
    def _said(who: str, text: str) -> Text:
        out = Text(end="")
        out.append_text(lit(who, "bold"))  # a name from the file: shown literally too
        out.append("\n")
        out.append_text(lit(text))
        return out

    def _state(self, turn: Exchange) -> Text | None:
        state = turn.state
        if state is None:
            return None
        out = Text(end="")
        out.append_text(lit(f"{self.counterpart}: ", "dim"))
        out.append(f"trust {state.trust}  tension {state.tension}")
        if state.mood:
            out.append("  mood ", style="dim")
            out.append_text(lit(one_line(state.mood, 40)))
        if state.stage:
            out.append("  stage ", style="dim")
            out.append_text(lit(one_line(state.stage, 40)))
        # Moves and reveals are a scenario's ids ("open_question", "team-stretched"): shown
        # as words.
        if state.move:
            out.append("  your move ", style="dim")
            out.append_text(lit(one_line(_words(state.move), 40)))
        if state.revealed:
            out.append("  revealed ", style="dim")
            out.append_text(lit(one_line(", ".join(map(_words, state.revealed)), 80)))
        return out

    def _reply(self, turn: Exchange) -> Text:
        reply = turn.reply
        if reply is None:
            out = Text("(no reply recorded)", style="dim italic")
        else:
            out = self._said(self.counterpart, reply.text)
            if not reply.complete:
                out.append("\n(reply cut off", style="yellow")
                if reply.error:
                    message = one_line(str(reply.error.get("message", "")), 200)
                    out.append(": ", style="yellow")
                    out.append_text(lit(message, "yellow"))
                out.append(")", style="yellow")
        end = self.transcript.end_event if self.transcript else None
        kept = self.branch == len(self.branches) - 1
        if end is not None and kept and turn is self.turns[-1]:
            out.append("\n\nSession ended: ", style="bold")
            outcome = str(end.get("outcome", ""))
            out.append_text(lit(outcome_label(outcome)))
            reason = str(end.get("reason", ""))
            if reason:
                out.append(" — ", style="dim")
                out.append_text(lit(one_line(reason, 200), "dim"))
        return out

    # ---- actions

    def action_step(self, delta: int) -> None:
        if not self.turns:
            return
        self.index = max(0, min(len(self.turns) - 1, self.index + delta))
        self._render_turn()

    def action_first(self) -> None:
        self.index = 0
        self._render_turn()

    def action_last(self) -> None:
        self.index = max(0, len(self.turns) - 1)
        self._render_turn()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "b Next branch" in the footer of a session without rewinds promised nothing.
        if action == "branch":
            return len(self.branches) > 1
        return True

    def action_branch(self, delta: int) -> None:
        if len(self.branches) < 2:
            self.notify("This session has a single branch (no rewinds).")
            return
        self.branch = (self.branch + delta) % len(self.branches)
        self.index = min(self.index, len(self.turns) - 1)
        self._render_turn()

    def action_close(self) -> None:
        self.dismiss(None)


def _words(identifier: str) -> str:
    return identifier.replace("_", " ").replace("-", " ")
