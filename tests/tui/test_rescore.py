"""A turn whose scoring failed says so (not a "…" that waits forever) and Ctrl+R scores it
again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.widgets import Static

from coach.tui.app import CoachApp
from coach.tui.screens.conversation import ConversationScreen
from coach.tui.widgets.scored_turn import ScoredTurnView
from tests.fake_scorers import FlakyScorer
from tests.tui._history_helpers import plain
from tests.tui.conftest import open_conversation, send_and_wait_for_reply, wait_until

WaitUntil = Any


def scores_of(view: ScoredTurnView) -> str:
    return plain(view.query_one(".turn-scores", Static))


async def one_turn_scoring_failed(app: CoachApp, pilot: Any) -> ConversationScreen:
    """A conversation whose first turn's scoring failed (the scorer's first call fails)."""
    conv = await open_conversation(app, pilot)
    await send_and_wait_for_reply(pilot, conv, "It sounds like the wait has been hard.")
    await wait_until(pilot, lambda: conv.session.unscored == ["L1"], "scoring failed")
    return conv


async def test_a_failed_score_is_marked_and_ctrl_r_scores_it_again(
    make_app: Callable[..., CoachApp], until: WaitUntil
) -> None:
    scorer = FlakyScorer(failures=1)
    app = make_app(scorer=scorer)
    async with app.run_test(size=(120, 30)) as pilot:
        conv = await one_turn_scoring_failed(app, pilot)
        view = conv.views["L1"]
        await until(pilot, lambda: "not scored" in scores_of(view), "marked as not scored")
        assert "…" not in scores_of(view) and "Ctrl+R" in scores_of(view)
        shown = [n.message for n in app._notifications]
        assert any("Scoring turn 1 failed: the judge timed out" in m for m in shown), shown
        assert conv.check_action("retry", ()) is True

        await pilot.press("ctrl+r")
        await until(pilot, lambda: view.score is not None, "scored on the second try")
        await pilot.pause()
        assert "Empathy" in scores_of(view) and "not scored" not in scores_of(view)
        assert scorer.calls == 2 and conv.session.unscored == []
        # Nothing failed any more: Retry leaves the footer (it was there while it could help).
        assert conv.check_action("retry", ()) is False


async def test_the_mark_survives_a_rebuilt_log(
    make_app: Callable[..., CoachApp], until: WaitUntil
) -> None:
    app = make_app(scorer=FlakyScorer(failures=1))
    async with app.run_test(size=(120, 30)) as pilot:
        conv = await one_turn_scoring_failed(app, pilot)
        # Rewind and resume rebuild the log from the session: the mark must survive that.
        await conv.rebuild_log()
        await pilot.pause()
        assert "not scored" in scores_of(conv.views["L1"])
