"""The conversation screen's own flow: Ctrl+S right after a burst of keys sends all of them
(the send waits for the keys queued before it), and the end-of-conversation notice."""

from __future__ import annotations

from collections.abc import Callable

from textual import events

from coach.tui.app import CoachApp
from tests.tui.conftest import open_conversation, send_and_wait_for_reply, wait_until


async def test_ctrl_s_after_a_burst_of_keys_sends_the_whole_text(
    make_app: Callable[..., CoachApp],
) -> None:
    text = "So work is the one steady thing right now, with your partner gone since May."
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_conversation(app, pilot)
        # Posted at once, as a terminal delivers a text expander's or tmux's keys: no pause
        # between them for the input to catch up.
        for char in text:
            app.post_message(events.Key(char, char))
        app.post_message(events.Key("ctrl+s", None))
        await wait_until(pilot, lambda: screen.session.turns, "a learner turn")
        assert [t.learner.text for t in screen.session.turns] == [text]


async def test_the_end_notice_names_the_outcome_and_the_counterpart(
    make_app: Callable[..., CoachApp],
) -> None:
    from textual.widgets import Static, TextArea

    from tests.engine.helpers import EMPATHETIC

    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_conversation(app, pilot, "colleague-close-to-burnout")
        notice = screen.query_one("#notice")
        for n, line in enumerate(EMPATHETIC, 1):
            if screen.session.phase.value == "ended":
                break
            screen.query_one("#input", TextArea).insert(line)
            await pilot.press("ctrl+s")
            await wait_until(
                pilot,
                lambda n=n: (
                    len(screen.session.turns) == n  # type: ignore[misc]
                    and screen.session.turns[-1].reply is not None
                    and not screen.streaming
                ),
                f"reply to turn {n}",
            )
        await wait_until(pilot, lambda: notice.display, "end notice")
        text = str(screen.query_one("#notice-text", Static).render())
        # Was "agreement — the counterpart agreed".
        assert "has ended: agreement reached — Kai agreed" in text


async def test_typing_or_pasting_with_the_focus_elsewhere_lands_in_the_input(
    make_app: Callable[..., CoachApp],
) -> None:
    # With the focus on a turn's "Feedback" toggle, a tester's keys and paste went nowhere.
    from textual.widgets import TextArea
    from textual.widgets._collapsible import CollapsibleTitle

    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_conversation(app, pilot)
        area = screen.query_one("#input", TextArea)
        await send_and_wait_for_reply(pilot, screen, "Thanks. What matters most to you here?")
        toggle = screen.query(CollapsibleTitle).first()
        await wait_until(pilot, lambda: toggle.display and toggle.parent.display, "feedback")
        toggle.focus()
        await pilot.pause()
        await pilot.press("enter")  # opens the feedback; the focus stays on the toggle
        await pilot.press(*"So", "space", *"you")
        assert area.text == "So you" and app.focused is area
        toggle.focus()
        await pilot.pause()
        app.post_message(events.Paste(" want it settled\ntoday."))
        await wait_until(pilot, lambda: area.text.endswith("today."), "pasted")
        assert area.text == "So you want it settled\ntoday."
