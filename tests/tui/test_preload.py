"""The conversation screen loads the token encoding before the first reply is asked for.

Loading it takes about half a second on a slow core; done on the first send, it delayed the
first reply by that much with the event loop blocked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from coach.tui.app import CoachApp
from tests.tui.conftest import open_conversation


async def test_encoding_is_loaded_before_the_first_send(
    make_app: Callable[..., CoachApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        conv = await open_conversation(app, pilot)
        for _ in range(1000):  # a thread worker: poll for it (up to 20 s on a loaded machine)
            if conv.session.counter.loaded:
                break
            await asyncio.sleep(0.02)
        assert conv.session.counter.loaded
        assert conv.session.usage.requests == 0  # nothing was sent
