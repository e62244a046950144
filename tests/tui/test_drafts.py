"""What the learner typed but did not send survives quitting (or a crash) and comes back
when the session is continued; a sent reply leaves no draft behind."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual import events
from textual.widgets import OptionList, TextArea

from coach.drafts import clear_draft, draft_path, load_draft, save_draft
from coach.tui.app import CoachApp
from coach.tui.screens.conversation import ConversationScreen
from tests.tui._history_helpers import text_of
from tests.tui.conftest import (
    loaded_picker,
    open_conversation,
    send_and_wait_for_reply,
    wait_until,
)

DRAFT = "I can see the five months have worn\nyour team down. What would"


def test_drafts_are_kept_beside_the_transcript_and_emptied_away(tmp_path: Path) -> None:
    transcript = tmp_path / "s1.jsonl"
    assert draft_path(transcript) == tmp_path / "s1.draft"
    assert load_draft(transcript) is None
    assert save_draft(transcript, DRAFT)
    assert load_draft(transcript) == DRAFT
    assert save_draft(transcript, "  \n")  # an emptied input removes the draft
    assert not draft_path(transcript).exists()
    assert save_draft(transcript, DRAFT) and clear_draft(transcript)
    assert load_draft(transcript) is None
    # A folder that cannot be written: no error, just no draft.
    assert not save_draft(tmp_path / "missing" / "s2.jsonl", DRAFT)


async def test_an_unsent_reply_comes_back_when_the_session_is_continued(
    make_app: Callable[..., CoachApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_conversation(app, pilot)
        area = screen.query_one("#input", TextArea)
        text = "Thanks for the offer. What matters most to you in this hire?"
        await send_and_wait_for_reply(pilot, screen, text)
        path = screen.session.path
        title = screen.session.scenario.title
        assert not draft_path(path).exists()  # sent: nothing left over
        area.insert(DRAFT)
        # Quit without waiting for the debounce: the draft is written on the way out.
    assert load_draft(path) == DRAFT

    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        picker = await loaded_picker(app, pilot)
        recent = picker.query_one("#recent", OptionList)
        await wait_until(pilot, lambda: recent.option_count > 0, "recent sessions")
        # The unfinished session offers to continue, its count in words ("1 turn").
        assert text_of(recent.get_option_at_index(0).prompt) == f"↻ continue {title}  1 turn"
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ConversationScreen), "continued")
        resumed = app.screen
        assert isinstance(resumed, ConversationScreen)
        await pilot.pause()
        assert resumed.query_one("#input", TextArea).text == DRAFT
        assert any("unsent reply is back" in n.message for n in app._notifications)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(resumed.session.turns) == 2, "draft sent")
        assert resumed.session.turns[-1].learner.text == DRAFT
        await pilot.pause(0.5)  # past the debounce: the emptied input must not bring it back
        assert not draft_path(path).exists()


async def test_keys_typed_just_before_ctrl_q_reach_the_draft(
    make_app: Callable[..., CoachApp],
) -> None:
    # Ctrl+Q is a priority binding: it used to quit while the keys typed just before it still
    # waited in the input's queue, and they were lost (all of them, in a fast burst).
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_conversation(app, pilot)
        screen.query_one("#input", TextArea).focus()
        await pilot.pause()
        path = screen.session.path
        # The keys and Ctrl+Q arrive together, as from a terminal multiplexer or a paste.
        for char in "Five months":
            app.post_message(events.Key("space" if char == " " else char, char))
        app.post_message(events.Key("ctrl+q", None))
        for _ in range(200):
            if load_draft(path) is not None:
                break
            await asyncio.sleep(0.01)
    assert load_draft(path) == "Five months"


def test_a_sessions_folder_replays_without_its_drafts(tmp_path: Path) -> None:
    # `coach replay ~/.../sessions/` reads .txt files as plain-text transcripts.
    from coach.commands.replay import expand_inputs

    transcript = tmp_path / "s1.jsonl"
    transcript.write_text("{}\n", encoding="utf-8")
    save_draft(transcript, DRAFT)
    assert expand_inputs([str(tmp_path)]) == [transcript]


async def test_rewinding_over_an_unsent_draft_keeps_it_one_undo_away(
    make_app: Callable[..., CoachApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        conv = await open_conversation(app, pilot)
        for line in ("What matters most to you here?", "So the timing worries you."):
            await send_and_wait_for_reply(pilot, conv, line)
        area = conv.query_one("#input", TextArea)
        area.insert(DRAFT)
        await conv.rewind_to("L2")
        assert area.text == "So the timing worries you."  # the turn to edit, as before
        await pilot.pause()
        notes = [n.message for n in app._notifications]
        assert any("before turn 2" in n and "Ctrl+Z" in n for n in notes), notes
        area.focus()
        await pilot.press("ctrl+z")
        assert area.text == DRAFT


async def test_c_skips_an_interrupted_session_whose_scenario_is_gone(
    make_app: Callable[..., CoachApp],
) -> None:
    paths = []
    for ref in ("salary-offer-negotiation", "upset-customer-wrong-order"):
        app = make_app()
        async with app.run_test(size=(120, 35)) as pilot:
            screen = await open_conversation(app, pilot, ref)
            await send_and_wait_for_reply(pilot, screen, "What matters most to you here?")
            paths.append(screen.session.path)
    older, newer = paths
    # The newer session's scenario file was removed from the library since: neither its id
    # nor the file it was played from is there.
    lines = newer.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace('"upset-customer-wrong-order"', '"a-removed-scenario"', 1)
    lines[0] = lines[0].replace("upset-customer-wrong-order.yaml", "a-removed-scenario.yaml", 1)
    assert "a-removed-scenario.yaml" in lines[0]
    newer.write_text("\n".join(lines) + "\n", encoding="utf-8")

    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        picker = await loaded_picker(app, pilot)
        recent = picker.query_one("#recent", OptionList)
        await wait_until(pilot, lambda: recent.option_count >= 2, "recent sessions")
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ConversationScreen), "continued")
        resumed = app.screen
        assert isinstance(resumed, ConversationScreen) and resumed.session.path == older
