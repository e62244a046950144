"""A thread worker's result reaches its screen only while that screen can take it.

Found when a test quit during the picker's first second: `WorkerFailed: NoMatches
('#scenarios')` on a picker being torn down, the traceback a learner who presses Ctrl+Q at
once would see.
"""

from __future__ import annotations

import threading

from textual import work
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from coach.tui.workers import hand_back


class Loading(Screen[None]):
    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.finished = threading.Event()
        self.got: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("loading")

    @work(thread=True)
    def load(self) -> None:
        self.release.wait(10)
        try:
            hand_back(self, self.got.append, "library")
        finally:
            self.finished.set()


class Host(App[None]):
    def on_mount(self) -> None:
        self.push_screen(Loading())


async def _loading(app: Host) -> Loading:
    screen = app.screen
    assert isinstance(screen, Loading)
    return screen


async def test_a_result_reaches_a_screen_still_waiting_for_it() -> None:
    app = Host()
    async with app.run_test() as pilot:
        screen = await _loading(app)
        screen.load()
        screen.release.set()
        while not screen.got:
            await pilot.pause()
        assert screen.got == ["library"]


async def test_a_cancelled_load_hands_nothing_back() -> None:
    # The screen is on its way out: its worker is cancelled, its widgets may be gone.
    app = Host()
    async with app.run_test() as pilot:
        screen = await _loading(app)
        worker = screen.load()
        await pilot.pause()
        worker.cancel()
        screen.release.set()
        while not screen.finished.is_set():
            await pilot.pause()
        for _ in range(5):
            await pilot.pause()
        assert screen.got == []
