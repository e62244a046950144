"""An empty learner turn is never sent, scored, or offered for scoring again.

The input refuses it (Ctrl+S on blank text does nothing and keeps what is there); a
hand-edited transcript that holds one shows it as "empty reply · not scored" when it is
continued or replayed, not "…" waiting forever nor a failed score to retry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.widgets import OptionList, Static, TextArea

from coach.tui.app import CoachApp
from coach.tui.screens.conversation import ConversationScreen
from coach.tui.screens.replay_viewer import ReplayViewerScreen
from tests.tui._history_helpers import ScreenApp, plain, write_transcript
from tests.tui.conftest import (
    loaded_picker,
    open_conversation,
    send_and_wait_for_reply,
    wait_until,
)


async def test_ctrl_s_on_blank_input_sends_nothing(make_app: Callable[..., CoachApp]) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_conversation(app, pilot)
        area = screen.query_one("#input", TextArea)
        area.insert("  \n ")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen.session.turns == []
        assert area.text == "  \n "  # nothing is thrown away either
        assert not app._notifications  # and no nagging


def blank_first_turn(path: Path) -> None:
    """Empty the text of L1 and drop its score, as a hand edit would."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    kept = []
    for row in rows:
        if row.get("type") == "learner" and row.get("turn_id") == "L1":
            row["text"] = ""
        if not (row.get("type") == "score" and row.get("turn_id") == "L1"):
            kept.append(row)
    path.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")


async def test_a_continued_session_with_an_empty_turn_does_not_score_it(
    make_app: Callable[..., CoachApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_conversation(app, pilot)
        await send_and_wait_for_reply(pilot, screen, "What matters most to you here?")
        await screen.session.wait_scores()
        path = screen.session.path
    blank_first_turn(path)

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        picker = await loaded_picker(app, pilot)
        recent = picker.query_one("#recent", OptionList)
        await wait_until(pilot, lambda: recent.option_count > 0, "recent sessions")
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ConversationScreen), "continued")
        resumed = app.screen
        assert isinstance(resumed, ConversationScreen)
        await wait_until(pilot, lambda: "L1" in resumed.views, "the log is rebuilt")
        await resumed.session.wait_scores()
        await pilot.pause()
        assert resumed.session.turns[0].score is None
        assert resumed.session.unscored == []
        line = plain(resumed.views["L1"].query_one(".turn-scores", Static))
        assert line == "empty reply · not scored"
        assert resumed.check_action("retry", ()) is False


async def test_the_replay_viewer_says_an_empty_turn_was_not_scored(tmp_path: Path) -> None:
    path = write_transcript(
        tmp_path / "blank.jsonl",
        [
            {"type": "counterpart", "turn_id": "C0", "reply_to": None, "text": "Hello."},
            {"type": "learner", "turn_id": "L1", "parent": "C0", "text": " "},
        ],
    )
    screen = ReplayViewerScreen(path)
    app: Any = ScreenApp(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert plain(screen.query_one("#replay-learner", Static)).endswith(
            "empty reply · not scored"
        )
