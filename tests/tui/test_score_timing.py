"""A turn's score shows however early or late the scorer answers.

A fast judge (or a cached score) can answer while the reply worker is still creating or
mounting the learner's turn; the score must not be lost in that gap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from textual.widgets import Static

from coach.tui.app import CoachApp
from coach.tui.widgets.scored_turn import ScoredTurnView
from tests.fake_scorers import GatedScorer
from tests.tui.conftest import open_conversation, send_and_wait_for_reply

WaitUntil = Any


@pytest.fixture
def released_on_compose(monkeypatch: pytest.MonkeyPatch) -> Iterator[GatedScorer]:
    """A scorer that answers the moment the turn's view composes, before it is mounted."""
    scorer = GatedScorer()
    compose = ScoredTurnView.compose

    def composing(self: ScoredTurnView) -> Any:
        scorer.go.set()
        return compose(self)

    monkeypatch.setattr(ScoredTurnView, "compose", composing)
    yield scorer


def shown_scores(view: ScoredTurnView) -> str:
    return str(view.query_one(".turn-scores", Static).render())


async def test_a_score_arriving_between_compose_and_mount_is_shown(
    make_app: Callable[..., CoachApp], until: WaitUntil, released_on_compose: GatedScorer
) -> None:
    app = make_app(scorer=released_on_compose)
    async with app.run_test(size=(100, 30)) as pilot:
        conv = await open_conversation(app, pilot)
        await send_and_wait_for_reply(pilot, conv, "It sounds like the wait has been hard.")
        view = conv.views["L1"]
        await until(pilot, lambda: view.score is not None, "scored")
        await pilot.pause()
        assert "…" not in shown_scores(view)
        assert "Empathy" in shown_scores(view)


async def test_a_score_arriving_before_the_turn_is_on_screen_is_shown(
    make_app: Callable[..., CoachApp], until: WaitUntil
) -> None:
    scorer = GatedScorer()
    scorer.go.set()  # answers at once, before the reply worker has made the turn's view
    app = make_app(scorer=scorer)
    async with app.run_test(size=(100, 30)) as pilot:
        conv = await open_conversation(app, pilot)
        for text in ("What matters most to you?", "So the timing worries you."):
            await send_and_wait_for_reply(pilot, conv, text)
        await until(
            pilot,
            lambda: (
                len(conv.session.turns) == 2
                and all(ex.score is not None for ex in conv.session.turns)
            ),
            "both scored",
        )
        await pilot.pause()
        for turn_id in ("L1", "L2"):
            assert "…" not in shown_scores(conv.views[turn_id]), turn_id
