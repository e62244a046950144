"""At 80x24, the default terminal, every key the footer offers is on screen.

Textual's footer pads each key on both sides; at 80 columns the conversation's footer ran past
the edge and cut "F1 Help", and the debrief's lost Quit and Help. While a reply streamed, or
after one failed, Stop reply and Retry joined in and pushed Quit and Help off again, or under
the palette key docked on the right.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Footer, TextArea

from coach.settings import Settings
from coach.tui.app import CoachApp
from coach.tui.screens.debrief import DebriefScreen
from tests.tui._backends import FakeBackend
from tests.tui._footer import cut_keys, footer_keys
from tests.tui.conftest import open_conversation, send_and_wait_for_reply, wait_until


async def test_the_conversation_and_debrief_footers_fit_80_columns(
    make_app: Callable[..., CoachApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        conv = await open_conversation(app, pilot)
        await pilot.pause()
        assert cut_keys(app) == []
        await send_and_wait_for_reply(pilot, conv, "What matters most to you in this hire?")
        await conv.session.wait_scores()
        await pilot.press("ctrl+g")

        def at_debrief() -> bool:
            screen: Any = app.screen
            if type(screen).__name__ == "SelfAssessmentScreen":
                screen.dismiss({"empathy": 4, "active_listening": 3, "clarity": 4})
            return isinstance(app.screen, DebriefScreen)

        await wait_until(pilot, at_debrief, "debrief")
        await pilot.pause()
        assert cut_keys(app) == []
        await pilot.resize_terminal(120, 30)  # roomy again on a wide terminal
        await pilot.pause()
        assert not app.screen.query_one(Footer).compact


@pytest.mark.parametrize("keymap", [{}, {"cancel": "f2", "retry": "f6", "finish": "ctrl+e"}])
async def test_the_conversation_footer_fits_80_columns_while_a_reply_streams_or_failed(
    make_app: Callable[..., CoachApp], settings: Settings, keymap: dict[str, str]
) -> None:
    backend = FakeBackend(("First part. ", "Second part."), hold=True)
    app = make_app(settings=settings.model_copy(update={"keymap": keymap}), backend=backend)
    stop, retry = keymap.get("cancel", "esc"), keymap.get("retry", "^r")
    async with app.run_test(size=(80, 24)) as pilot:
        conv = await open_conversation(app, pilot)
        await pilot.pause()
        assert cut_keys(app) == []
        conv.query_one("#input", TextArea).insert("What matters most to you?")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: backend.started.is_set() and conv.streaming, "streaming")
        await wait_until(pilot, lambda: stop in dict(footer_keys(app)), "the Stop key")
        assert cut_keys(app) == []
        shown = footer_keys(app)
        finish = "^e" if keymap else "^g"  # the footer names the keys the keymap sets
        for key in [(stop, "Stop"), (finish, "Finish"), ("^q", "Quit"), ("f1", "Help")]:
            assert key in shown
        assert retry not in dict(shown)  # nothing to retry while the reply is still coming
        await pilot.press(stop if stop != "esc" else "escape")  # stopped: Retry asks again
        await wait_until(pilot, lambda: conv.session.needs_retry and not conv.streaming)
        await wait_until(pilot, lambda: retry in dict(footer_keys(app)), "the Retry key")
        assert cut_keys(app) == []
        assert stop not in dict(footer_keys(app))
        assert "Exam mode" not in dict(footer_keys(app)).values()  # in F1 help and the palette
        await pilot.resize_terminal(120, 30)  # roomy again: every key, by its full name
        await wait_until(pilot, lambda: ("^o", "Exam mode") in footer_keys(app), "Exam mode")
