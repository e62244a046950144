"""Ctrl+S right after a burst of keys sends all of them: the send waits for the input to
handle the keys queued before it (a priority binding would otherwise jump the queue)."""

from __future__ import annotations

from collections.abc import Callable

from textual import events

from coach.tui.app import CoachApp
from tests.tui.conftest import open_conversation, wait_until


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
