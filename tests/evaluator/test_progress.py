"""The replay progress bar: drawn from the start, counts and failures in one line."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from coach.importers import Conversation, Turn
from coach.progress import Progress
from coach.replay import replay
from tests.fake_scorers import GatedScorer


def test_the_line_counts_done_failed_and_the_rate() -> None:
    bar = Progress(4, label="replay", stream=io.StringIO(), enabled=True)
    bar.advance()
    bar.advance(failed=True)
    line = bar.line()
    assert line.startswith("replay [##############..............] 2/4  50%")
    assert line.endswith("1 failed")


async def test_the_bar_shows_before_the_first_turn_is_scored() -> None:
    turns = tuple(Turn(f"L{i}", i, "They said this.", f"Reply {i}?") for i in (1, 2))
    conversation = Conversation(Path("s.jsonl"), "coach", "s", turns, "scenario")
    stream = io.StringIO()
    scorer = GatedScorer()  # held: both calls are in flight until `go`
    task = asyncio.create_task(
        replay([conversation], [scorer], progress=Progress(0, stream=stream, enabled=True))
    )
    for _ in range(20):
        await asyncio.sleep(0)
    assert "0/2" in stream.getvalue()  # drawn while both calls are still held
    scorer.go.set()
    run = await task
    assert run.scored == 2 and "2/2" in stream.getvalue()
