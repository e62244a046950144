"""At 80x24, the default terminal, every key the footer offers is on screen.

Textual's footer pads each key on both sides; at 80 columns the conversation's footer ran past
the edge and cut "F1 Help", and the debrief's lost Quit and Help.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from coach.tui.app import CoachApp
from coach.tui.screens.debrief import DebriefScreen
from tests.tui.conftest import open_conversation, send_and_wait_for_reply, wait_until


def cut_keys(app: CoachApp) -> list[str]:
    """The footer keys of the current screen that are not fully on screen."""
    footer = app.screen.query_one(Footer)
    keys = list(footer.query(FooterKey))
    assert keys, "no keys in the footer"
    return [k.description for k in keys if not footer.region.contains_region(k.region)]


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
