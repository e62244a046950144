"""The conversation: the counterpart's reply streams in, every learner turn is scored live.

Keys (shown in the footer and the help): Enter inserts a newline (replies are often several
lines and pasted text must stay whole), Ctrl+S sends (Ctrl+Enter too where the terminal
reports it), Esc stops a reply in progress, Ctrl+T asks for a hint, Ctrl+R retries a failed
reply, Ctrl+B rewinds to an earlier turn, Ctrl+O toggles exam mode, Ctrl+G finishes.

The input is cleared only once the learner turn is on disk (`Session.send` returned); an error
never touches it. Replies run in an exclusive worker so Esc can cancel them; the session saves
the partial reply as incomplete and offers a retry.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from coach.drafts import clear_draft, load_draft, save_draft
from coach.llm.meter import billed_models
from coach.session import (
    CUT_AT_LIMIT,
    Ended,
    LearnerRecorded,
    ReplyDelta,
    ReplyDone,
    ReplyFailed,
    ReplyStarted,
    Scored,
    SessionError,
    StateChanged,
    TurnStream,
)
from coach.tui import gc_pause
from coach.tui.hanging import hanging
from coach.tui.literal import join, lit, one_line, visible
from coach.tui.outcomes import outcome_label
from coach.tui.widgets.footer import KeyFooter
from coach.tui.widgets.messages import CounterpartMessage, ReplyStream, TitleBar, next_refresh
from coach.tui.widgets.scored_turn import ScoredTurnView

if TYPE_CHECKING:
    from textual.timer import Timer
    from textual.worker import Worker

    from coach.session import Session
    from coach.transcript import LearnerTurn
    from coach.tui.app import CoachApp


class RewindScreen(ModalScreen[str | None]):
    """Pick the learner turn to rewind to; its text comes back into the input."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, turns: list[LearnerTurn]) -> None:
        super().__init__()
        self.turns = turns

    def compose(self) -> ComposeResult:
        options = []
        # Numbered as the conversation and the debrief count them; ids like "L5" run on
        # after a rewind and mean nothing to the learner.
        for number, turn in enumerate(self.turns, 1):
            lead = Text(f"turn {number}  ", style="bold")
            line = hanging(lead, lit(one_line(turn.text, 140)))
            options.append(Option(line, id=turn.turn_id))
        with VerticalScroll(id="rewind-dialog"):
            yield Static("Rewind to before which turn? Its text comes back for you to edit.")
            yield _StopAtEnds(*options, id="rewind-list")
            yield Static("", id="rewind-effect", markup=False)
        yield KeyFooter()  # this dialog's keys, not the conversation's behind it

    def on_mount(self) -> None:
        lst = self.query_one(OptionList)
        lst.highlighted = len(self.turns) - 1 if self.turns else None
        lst.focus()

    @on(OptionList.OptionHighlighted)
    def _say_what_goes(self, event: OptionList.OptionHighlighted) -> None:
        # Going back more than one turn takes several out of the conversation: say so
        # before Enter, and that they are kept.
        first, last = event.option_index + 1, len(self.turns)
        moved = f"Turn {last} leaves" if first == last else f"Turns {first}–{last} leave"
        self.query_one("#rewind-effect", Static).update(
            f"{moved} the conversation; the transcript keeps them as a branch the debrief "
            "can compare."
        )

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class _StopAtEnds(OptionList):
    """An option list whose cursor stops at the first and last turn: Down on the newest
    turn used to wrap to turn 1, one Enter away from rewinding the whole conversation."""

    def action_cursor_down(self) -> None:
        if self.highlighted is None or self.highlighted < self.option_count - 1:
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.highlighted is None or self.highlighted > 0:
            super().action_cursor_up()


class ConversationScreen(Screen[None]):
    """Talk to the counterpart; scores, hints, rewind, retry, then the debrief."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s,ctrl+enter", "send", "Send", id="send", priority=True),
        Binding("escape", "cancel_reply", "Stop reply", id="cancel", priority=True),
        Binding("ctrl+t", "hint", "Hint", id="hint", priority=True),
        Binding("ctrl+r", "retry", "Retry", id="retry", priority=True),
        Binding("ctrl+b", "rewind", "Rewind", id="rewind", priority=True),
        Binding("ctrl+o", "app.toggle_exam_mode", "Exam mode", id="exam", priority=True),
        Binding("ctrl+g", "finish", "Finish", id="finish", priority=True),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.views: dict[str, ScoredTurnView] = {}
        self.bubbles: dict[str, CounterpartMessage] = {}
        self.reply_worker: Worker[None] | None = None
        self.streaming = False
        self._footer_allows: tuple[bool | None, ...] = ()  # see `_refresh_footer`
        self.hint_text = ""
        self._draft_timer: Timer | None = None
        self._draft_text = ""

    @property
    def coach(self) -> CoachApp:
        from coach.tui.app import CoachApp

        assert isinstance(self.app, CoachApp)
        return self.app

    def subject(self) -> str:
        return self.session.scenario.title

    def compose(self) -> ComposeResult:
        yield TitleBar(self.subject())
        yield VerticalScroll(id="log")
        with Horizontal(id="notice"):
            yield Static("", id="notice-text", markup=False)
            yield Button(f"Retry  {self.coach.key('retry')}", id="retry-button", variant="warning")
        yield Static("", id="hint", markup=False)
        yield TextArea(
            "",
            id="input",
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
            placeholder=f"Your reply…  Enter = new line · {self.coach.key('send')} = send",
        )
        yield Static("", id="status", markup=False)
        yield KeyFooter()

    async def on_mount(self) -> None:
        self.query_one("#notice").display = False
        self.query_one("#hint").display = False
        await self.rebuild_log()
        self.query_one("#input", TextArea).focus()
        self.watch(self.app, "exam_mode", self._exam_mode_changed, init=False)
        self.drain_scores()
        self.update_status()
        # The token encoding takes ~0.5 s to load; load it while the learner types, not
        # when the first reply is asked for.
        self.run_worker(self.session.counter.preload, thread=True, group="preload")
        # Likewise the scorer's phrase patterns: a word's first compile took tens of ms in a
        # turn, and the debrief's rewrites (new words) waited ~0.5 s for theirs.
        from coach.scoring.analytic import AnalyticScorer

        self.run_worker(AnalyticScorer.warm, thread=True, group="preload-scorer")
        if self.session.needs_retry:
            self.show_notice(Text("The last reply is missing (the session was interrupted)."))
        draft = load_draft(self.session.path)
        if draft is not None and self.session.phase.value != "ended":
            area = self.query_one("#input", TextArea)
            area.load_text(draft)
            area.move_cursor(area.document.end)
            self.notify("Your unsent reply is back in the input.", markup=False)

    # ---- the unsent draft (kept beside the transcript, so a crash or quit loses nothing)

    @on(TextArea.Changed, "#input")
    def _input_changed(self, event: TextArea.Changed) -> None:
        # Kept here too: by the time the screen unmounts, the input is gone.
        self._draft_text = event.text_area.text
        # Written 0.4 s after the last key rather than on every key.
        self._stop_draft_timer()
        self._draft_timer = self.set_timer(0.4, self.save_draft)

    def _stop_draft_timer(self) -> bool:
        """Cancel a pending draft write; whether one was pending."""
        timer, self._draft_timer = self._draft_timer, None
        if timer is None:
            return False
        timer.stop()
        return True

    def save_draft(self) -> None:
        self._draft_timer = None
        save_draft(self.session.path, self._draft_text)

    def drop_draft(self) -> None:
        self._stop_draft_timer()
        clear_draft(self.session.path)

    def flush_draft(self) -> None:
        """Write what the input holds now (on quit, after the keys typed before it)."""
        if self.session.phase.value == "ended":
            return
        self._stop_draft_timer()
        for area in self.query("#input").results(TextArea):
            self._draft_text = area.text
        self.save_draft()

    def on_unmount(self) -> None:
        if self._stop_draft_timer():
            self.save_draft()

    # ---- typing lands in the input wherever the focus is

    def on_key(self, event: events.Key) -> None:
        # With the focus on a feedback toggle or a button, letters went nowhere (a tester's
        # pasted reply vanished). A printable key now goes to the input, with the focus.
        area = self.query_one("#input", TextArea)
        focused = self.focused
        if not event.is_printable or not event.character or focused is area:
            return
        if isinstance(focused, Button) and event.key in ("space", "enter"):
            return  # the button's own key
        event.stop()
        event.prevent_default()
        area.focus()
        area.insert(event.character)

    def on_paste(self, event: events.Paste) -> None:
        area = self.query_one("#input", TextArea)
        if self.focused is not area and event.text:
            event.stop()
            area.focus()
            area.insert(event.text)

    # ---- the log

    async def rebuild_log(self) -> None:
        log = self.query_one("#log", VerticalScroll)
        await log.remove_children()
        self.views.clear()
        self.bubbles.clear()
        name = self.session.scenario.counterpart.name
        widgets: list[Any] = []
        opening = self.session.opening
        widgets.append(CounterpartMessage(name, opening.text if opening else "", turn_id="C0"))
        for ex in self.session.turns:
            view = self._learner_view(ex.learner.turn_id, ex.learner.text, ex.score)
            widgets.append(view)
            if ex.reply is not None:
                bubble = CounterpartMessage(name, ex.reply.text, turn_id=ex.reply.turn_id)
                self.bubbles[ex.reply.turn_id] = bubble
                widgets.append(bubble)
        await log.mount_all(widgets)
        for ex in self.session.turns:
            if ex.reply is not None and not ex.reply.complete:
                self.bubbles[ex.reply.turn_id].mark_incomplete("(incomplete reply)")
            elif ex.reply is not None and ex.reply.finish_reason == "length":
                self.bubbles[ex.reply.turn_id].mark_incomplete(f"({CUT_AT_LIMIT})")
        log.anchor()

    def _learner_view(self, turn_id: str, text: str, score: Any) -> ScoredTurnView:
        exchanges = self.session.turns
        number, known = next(
            ((i, ex.score) for i, ex in enumerate(exchanges, 1) if ex.learner.turn_id == turn_id),
            (len(exchanges) + 1, None),
        )
        # A score that came in before this view existed went past `drain_scores`: use it.
        view = ScoredTurnView(
            text,
            score if score is not None else known,
            turn_id=turn_id,
            label=f"turn {number}",
            hidden=self.coach.exam_mode,
        )
        view.unscored = self.session.score_failure(turn_id) is not None
        self.views[turn_id] = view
        return view

    # ---- sending and streaming

    def action_send(self) -> None:
        # Ctrl+S is a priority binding: it runs before the keys already queued for the input
        # are handled, so a burst of keys (a text expander, dictation, tmux send-keys) ending
        # in Ctrl+S sent only part of the text. Send once the input has caught up.
        self.query_one("#input", TextArea).call_later(self._send_typed)

    def _send_typed(self) -> None:
        area = self.query_one("#input", TextArea)
        if self.streaming:
            self.notify(
                f"A reply is still coming; {self.coach.key('cancel')} stops it.", markup=False
            )
            return
        if self.session.phase.value == "ended":
            self.notify(
                f"The conversation has ended: {self.coach.key('finish')} for the debrief.",
                markup=False,
            )
            return
        if self.session.needs_retry:
            self.notify(
                f"The last reply is missing: {self.coach.key('retry')} asks again first.",
                markup=False,
            )
            return
        text = area.text
        if not text.strip():
            return
        try:
            stream = self.session.send(text)
        except (SessionError, OSError) as exc:
            self.notify(f"Not sent: {exc}", severity="error", markup=False)
            return
        area.clear()  # the learner turn is on disk now
        self.drop_draft()
        self.hide_notice()
        self.query_one("#hint").display = False
        self.reply_worker = self.run_reply(stream)

    @work(exclusive=True, group="reply")
    async def run_reply(self, stream: TurnStream) -> None:
        with gc_pause.STREAMING as pause:  # no collector passes between frames
            await self._show_reply(stream, pause)
            # The collector's catch-up pass (tens of ms) comes after the last frame, not before.
            await next_refresh(self)

    async def _show_reply(self, stream: TurnStream, pause: gc_pause.CollectorPause) -> None:
        log = self.query_one("#log", VerticalScroll)
        name = self.session.scenario.counterpart.name
        bubble: CounterpartMessage | None = None
        md: ReplyStream | None = None
        self.streaming = True
        self.update_status()
        try:
            async for event in stream:
                if isinstance(event, LearnerRecorded):
                    turn = event.turn
                    await log.mount(self._learner_view(turn.turn_id, turn.text, None))
                    log.anchor()
                elif isinstance(event, StateChanged):
                    self.update_status()
                elif isinstance(event, ReplyStarted):
                    bubble = self.bubbles.get(event.turn_id)
                    if bubble is None:
                        bubble = CounterpartMessage(name, turn_id=event.turn_id)
                        self.bubbles[event.turn_id] = bubble
                        await log.mount(bubble)
                    else:
                        await bubble.reset()
                    log.anchor()
                    md = bubble.stream()
                elif isinstance(event, ReplyDelta) and md is not None:
                    pause.check()
                    await md.write(visible(event.text))
                elif isinstance(event, ReplyDone) and bubble is not None:
                    if md is not None:
                        await md.stop()
                        md = None
                    await bubble.finish(event.turn.text)
                    if event.cut_at_limit:
                        bubble.mark_incomplete(f"({CUT_AT_LIMIT})")
                elif isinstance(event, ReplyFailed):
                    if md is not None:
                        await md.stop()
                        md = None
                    if bubble is not None:
                        bubble.mark_incomplete("(reply failed)")
                    self.show_error(event)
                elif isinstance(event, Ended):
                    self.show_ended(event)
        except asyncio.CancelledError:
            retry = self.coach.key("retry")
            if md is not None:
                md.close()
            if bubble is not None:
                bubble.mark_incomplete(f"(stopped — {retry} asks again)")
            self.show_notice(Text(f"Reply stopped. Your turn is saved; {retry} asks again."))
            raise
        finally:
            self.streaming = False
            self.update_status()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The footer shows the keys that do something now: at 80 columns a Stop reply and a
        # Retry with nothing to stop or retry pushed Finish and Quit off the line.
        if action == "cancel_reply":
            return self.streaming
        if action == "retry":  # while a reply streams there is nothing to retry yet
            return not self.streaming and (self.session.needs_retry or bool(self.session.unscored))
        return True

    def _refresh_footer(self) -> None:
        """Rebuild the footer only when what `check_action` allows has changed: Textual's
        footer re-composes all its keys (tens of ms here) on every refresh, and the status
        line, which asks for one, updates on every score and state change."""
        allows = tuple(self.check_action(action, ()) for action in ("cancel_reply", "retry"))
        if allows != self._footer_allows:
            self._footer_allows = allows
            self.refresh_bindings()

    def action_cancel_reply(self) -> None:
        if self.streaming and self.reply_worker is not None:
            self.reply_worker.cancel()

    def action_retry(self) -> None:
        """Retry what failed: the missing reply, and the turns whose scoring failed."""
        if self.streaming:
            return
        rescored = [t for t in self.session.unscored if self.session.rescore(t)]
        for turn_id in rescored:
            if turn_id in self.views:
                self.views[turn_id].set_unscored(False)  # "…" again: on its way
        if rescored:
            turns = "1 turn" if len(rescored) == 1 else f"{len(rescored)} turns"
            self.notify(f"Scoring {turns} again.", markup=False)
            self._refresh_footer()
        if not self.session.needs_retry:
            if not rescored:
                self.notify("Nothing to retry.", markup=False)
            return
        try:
            stream = self.session.retry()
        except (SessionError, OSError) as exc:
            self.notify(f"Cannot retry: {exc}", severity="error", markup=False)
            return
        self.hide_notice()
        self.reply_worker = self.run_reply(stream)

    @on(Button.Pressed, "#retry-button")
    def _retry_pressed(self) -> None:
        self.action_retry()

    # ---- notices

    def show_notice(self, text: Text, *, retry: bool = True) -> None:
        self.query_one("#notice-text", Static).update(text)
        self.query_one("#retry-button").display = retry and self.session.needs_retry
        self.query_one("#notice").display = True

    def hide_notice(self) -> None:
        self.query_one("#notice").display = False

    def show_error(self, event: ReplyFailed) -> None:
        # The message says what happened in words; the kind ("rate_limited") is for scripts.
        text = Text("The reply failed: ", style="bold")
        text.append_text(lit(one_line(event.message, 300)))
        text.append("\nYour turn and the conversation are saved. ", style="dim")
        retry = self.coach.key("retry")
        text.append(retry if event.retryable else f"{retry} may", style="bold")
        text.append(" try again.", style="dim")
        self.show_notice(text)
        self.notify(
            f"Reply failed: {one_line(event.message, 400)}",
            severity="error",
            markup=False,
        )

    def show_ended(self, event: Ended) -> None:
        text = Text("The conversation has ended: ", style="bold")
        text.append_text(lit(outcome_label(event.outcome.value)))
        text.append(" — ")
        text.append_text(lit(event.reason))
        key = self.coach.key
        text.append(
            f"\n{key('finish')} for the debrief, {key('rewind')} to rewind and try another way."
        )
        self.show_notice(text, retry=False)

    # ---- scores

    @work(group="scores")
    async def drain_scores(self) -> None:
        queue = self.session.score_events
        while True:
            event = await queue.get()
            view = self.views.get(event.turn_id)
            # The cost (an LLM judge's call) and Retry (a failed score) change with either.
            self.update_status()
            if isinstance(event, Scored):
                if view is not None:
                    view.set_score(event.score)
            else:
                if view is not None:
                    view.set_unscored(True)
                label = view.label if view is not None else "a turn"
                self.notify(
                    f"Scoring {label} failed: {one_line(event.message, 400)}. "
                    f"{self.coach.key('retry')} scores it again.",
                    severity="warning",
                    markup=False,
                )

    def _exam_mode_changed(self, hidden: bool) -> None:
        for view in self.views.values():
            view.set_hidden(hidden)
        self.update_status()

    # ---- hint, rewind, finish

    def action_hint(self) -> None:
        if self.session.phase.value != "active":
            self.notify("Hints are for an active conversation.", markup=False)
            return
        self.fetch_hint()

    @work(exclusive=True, group="hint")
    async def fetch_hint(self) -> None:
        panel = self.query_one("#hint", Static)
        panel.update(Text("Thinking of a hint…", style="dim italic"))
        panel.display = True
        try:
            hint = await self.session.hint()
        except Exception as exc:
            panel.update(lit(f"No hint: {exc}"))
            return
        self.hint_text = hint
        self.update_status()
        text = Text("Hint  ", style="bold")
        text.append_text(lit(hint))
        panel.update(text)

    def action_rewind(self) -> None:
        if self.streaming:
            self.notify(f"Stop the reply first ({self.coach.key('cancel')}).", markup=False)
            return
        turns = [ex.learner for ex in self.session.turns]
        if not turns:
            self.notify("Nothing to rewind yet.", markup=False)
            return
        self.app.push_screen(RewindScreen(turns), self._rewind_to)

    async def _rewind_to(self, turn_id: str | None) -> None:
        if turn_id is None:
            return
        await self.rewind_to(turn_id)

    async def rewind_to(self, turn_id: str) -> None:
        """Go back to before `turn_id`, with its text in the input to edit."""
        try:
            turn = self.session.rewind(turn_id)
        except (SessionError, OSError) as exc:
            self.notify(f"Cannot rewind: {exc}", severity="error", markup=False)
            return
        self.hide_notice()
        await self.rebuild_log()
        area = self.query_one("#input", TextArea)
        number = len(self.session.turns) + 1  # the turn the learner writes again
        message = f"Rewound to before turn {number}: edit your reply and send."
        if area.text.strip() and area.text != turn.text:
            # An edit, not `load_text` (which clears the undo history): what they had typed
            # but not sent is one Ctrl+Z away, never lost.
            area.replace(turn.text, (0, 0), area.document.end)
            message += " Ctrl+Z brings back what you had typed."
        else:
            area.load_text(turn.text)
        area.move_cursor(area.document.end)
        area.focus()
        self.update_status()
        self.notify(message, markup=False)

    def action_finish(self) -> None:
        if self.streaming:
            self.notify(f"Stop the reply first ({self.coach.key('cancel')}).", markup=False)
            return
        self.finish()

    @work(exclusive=True, group="finish")
    async def finish(self) -> None:
        from coach.scoring.types import SKILLS
        from coach.tui.screens.debrief import DebriefScreen
        from coach.tui.screens.self_assessment import SelfAssessmentScreen

        session = self.session
        self.drop_draft()  # an ended session is not continued; its draft has no use
        if session.phase.value != "ended":
            await session.end()
        await session.wait_scores()
        ratings = await self.app.push_screen_wait(SelfAssessmentScreen(list(SKILLS)))
        if ratings:
            try:
                session.self_assess(ratings)
            except SessionError as exc:
                self.notify(str(exc), severity="warning", markup=False)
                ratings = None
        if session.debrief_asks_model:
            self.notify("Writing your debrief…", markup=False)  # a model call or two
        debrief = await session.debrief()
        # Not awaited: switching removes this screen and cancels this very worker.
        self.app.call_later(self.app.switch_screen, DebriefScreen(session, debrief, ratings))

    # ---- status line

    def update_status(self) -> None:
        s = self.session
        usage = s.usage
        # Most useful first: a narrow terminal cuts the end of the line, and at 80 columns
        # it used to cut "trust 40 · tension" before its number.
        parts: list[str | tuple[str, str]] = [f"turn {s.turn_count}/{s.max_turns}"]
        if s.scenario.show_state:
            st = s.state
            parts.append(f" │ trust {st.trust} · tension {st.tension} · ")
            # Their mood ("guarded", "warm"), not the stage id: stages are the trainer's
            # script ("needs", "deal"), which the guide keeps from the learner.
            parts.append((one_line(st.mood, 30), ""))
        if self.streaming:
            parts.append((f" │ replying… {self.coach.key('cancel')} stops", "italic"))
        if self.coach.exam_mode:
            parts.append((" │ exam mode", "bold yellow"))
        self._refresh_footer()  # streaming, a failed reply or score: see check_action
        status = self.query_one("#status", Static)
        if usage.requests == 0 and s.backend.name == "offline":
            # The scripted counterpart makes no model calls (an LLM judge may, later): a token
            # count would read "~0", and its model's name ("offline-script") adds nothing.
            status.update(join(*parts, " │ ", ("offline", "bold"), " · no API calls"))
            return
        head = len(parts)
        parts += [" │ ", (s.backend.name, "bold"), " · ", (one_line(s.backend.model, 40), "")]
        tokens = usage.usage.total_tokens
        est = "~" if usage.usage.estimated else ""
        # Unknown from the start for a counterpart model without a price, not "$0.0000" first.
        spent = usage.cost_usd_with(billed_models(s.backend))
        cost = "cost unknown" if spent is None else f"${spent:.4f}"
        parts.append(f" │ {est}{tokens:,} tokens · {cost}")
        out = join(*parts)
        if out.cell_len > status.content_region.width > 0:
            # At 80 columns the tokens and cost fell off the end: the backend's name goes
            # (the model says it) and the figures come before the model.
            out = join(*parts[:head], parts[-1], " │ ", parts[head + 3])
        status.update(out)

    def on_resize(self) -> None:
        self.update_status()

    def screen_commands(self) -> list[Any]:
        from textual.app import SystemCommand

        key = self.coach.key
        return [
            SystemCommand("Send", f"Send your reply ({key('send')})", self.action_send),
            SystemCommand(
                "Hint", f"A coaching hint for your next turn ({key('hint')})", self.action_hint
            ),
            SystemCommand(
                "Retry",
                f"Ask again for a failed reply or score ({key('retry')})",
                self.action_retry,
            ),
            SystemCommand(
                "Rewind", f"Go back to an earlier turn ({key('rewind')})", self.action_rewind
            ),
            SystemCommand(
                "Stop reply",
                f"Stop the reply in progress ({key('cancel')})",
                self.action_cancel_reply,
            ),
            SystemCommand(
                "Finish", f"End and read the debrief ({key('finish')})", self.action_finish
            ),
        ]
