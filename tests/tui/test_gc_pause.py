"""The cyclic garbage collector is off while a reply streams and back on once it has ended.

Unit tests of `CollectorPause` (nesting, exceptions, someone else's disabled collector, the
limit), then the conversation screen: paused mid-stream, resumed after the reply, after Esc.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from textual.widgets import TextArea

from coach.tui import gc_pause
from coach.tui.app import CoachApp
from coach.tui.gc_pause import CollectorPause
from tests.tui._backends import FakeBackend
from tests.tui.conftest import open_conversation

WaitUntil = Any


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()  # whatever a failing test left behind


def test_the_collector_is_off_inside_and_back_on_after() -> None:
    pause = CollectorPause()
    with pause:
        assert not gc.isenabled()
        assert pause.paused
    assert gc.isenabled()
    assert not pause.paused


def test_an_exception_inside_still_turns_it_back_on() -> None:
    with pytest.raises(RuntimeError), CollectorPause():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_nested_pauses_resume_only_at_the_outermost_exit() -> None:
    pause = CollectorPause()
    with pause:
        with pause:
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_disabled_by_someone_else_stays_disabled() -> None:
    gc.disable()
    pause = CollectorPause()
    with pause:
        assert not pause.paused
    assert not gc.isenabled()


def test_check_resumes_once_more_than_the_limit_has_piled_up() -> None:
    pause = CollectorPause(limit=1_000)
    with pause:
        pause.check()
        assert not gc.isenabled()  # nothing piled up yet
        kept = [[i] for i in range(5_000)]  # container objects the collector tracks
        pause.check()
        assert gc.isenabled()
        assert not pause.paused
        assert len(kept) == 5_000
    assert gc.isenabled()


# --------------------------------------------------------------------------- in the app


@pytest.mark.parametrize("ending", ["finished", "stopped with Esc"])
async def test_paused_while_a_reply_streams_and_resumed_once_it_ends(
    ending: str, make_app: Callable[..., CoachApp], until: WaitUntil
) -> None:
    backend = FakeBackend(("First part. ", "Second part."), hold=True)
    app = make_app(backend=backend)
    async with app.run_test(size=(100, 30)) as pilot:
        conv = await open_conversation(app, pilot)
        conv.query_one("#input", TextArea).insert("What matters most to you?")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: backend.started.is_set() and conv.streaming, "streaming")
        assert not gc.isenabled()
        assert gc_pause.STREAMING.paused
        if ending == "finished":
            backend.release.set()
        else:
            await pilot.press("escape")
        await until(pilot, lambda: not conv.streaming and gc.isenabled(), f"reply {ending}")
        assert not gc_pause.STREAMING.paused
        if ending == "finished":
            assert conv.bubbles["C1"].text == "First part. Second part."
        else:
            assert conv.session.needs_retry
