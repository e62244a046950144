"""How fast a streamed reply reaches the screen, through the real widget tree (headless).

Streams a 2,000-token reply at 200 and 1,000 tokens/s into the conversation screen and prints
the lag between the last token leaving the backend and the first frame whose terminal output
contains it (every frame handed to the driver is rendered to the bytes a terminal would get
and searched), the time until the app is settled (reply finished, process idle), and the
process CPU time spent until that frame. The same run repeats with a naive
`Markdown.update(full_text)` per chunk (what elia and Textual's mother.py do) and prints the
ratio. Target: lag under 50 ms at 1,000 tokens/s.

    .venv/bin/python benchmarks/tui_streaming.py [--tokens 2000] [--repeat 3]
        [--no-naive] [--rates 1000] [--profile /tmp/prof]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from typing import Any

MARKER = "ZZLASTTOKEN"


class PacedBackend:
    """Yields `tokens` word pieces at `rate` per second (on a clock, catching up if late)."""

    name = "bench"
    model = "paced"

    def __init__(self, tokens: int, rate: float) -> None:
        self.tokens, self.rate = tokens, rate
        self.last_token_at = 0.0

    def stream_reply(self, messages: Any) -> Any:
        return _Paced(self)

    async def complete(self, messages: Any) -> str:
        return "hint"

    async def aclose(self) -> None:
        return None


class _Paced:
    def __init__(self, owner: PacedBackend) -> None:
        from coach.llm.base import ReplyResult, Usage

        self.owner = owner
        self.result = ReplyResult(finish_reason="stop", usage=Usage(10, owner.tokens))

    def __aiter__(self) -> AsyncIterator[str]:
        return self._gen()

    async def _gen(self) -> AsyncIterator[str]:
        o = self.owner
        start = time.perf_counter()
        words = ["word", "reply", "and", "**bold**", "then", "`code`", "more", "text"]
        for i in range(o.tokens):
            due = start + i / o.rate
            delay = due - time.perf_counter()
            await asyncio.sleep(max(delay, 0))
            if i == o.tokens - 1:
                piece = f" {MARKER}."
            elif i % 60 == 59:
                piece = "\n\n"
            else:
                piece = " " + words[i % len(words)]
            o.last_token_at = time.perf_counter()
            yield piece


class NaiveStream:
    """The quadratic way: re-render the whole document on every chunk."""

    def __init__(self, markdown: Any) -> None:
        self.md, self.text = markdown, ""

    async def write(self, fragment: str) -> None:
        self.text += fragment
        await self.md.update(self.text)

    async def stop(self) -> None:
        return None


class PaintWatch:
    """Wraps `app._display` (what hands each frame to the terminal driver) and records when
    the first frame whose terminal bytes contain the last token was painted."""

    def __init__(self, app: Any, backend: PacedBackend) -> None:
        self.app, self.backend = app, backend
        self.painted_at = 0.0
        self._display = app._display
        app._display = self.display

    def display(self, screen: Any, update: Any) -> None:
        self._display(screen, update)
        if self.painted_at or not self.backend.last_token_at or update is None:
            return
        if MARKER in update.render_segments(self.app.console):
            self.painted_at = time.perf_counter()


async def run_once(
    tokens: int, rate: float, naive: bool, profile: str | None = None
) -> tuple[float, float, float, float]:
    from coach.settings import load_settings
    from coach.tui.app import create_app
    from coach.tui.screens.briefing import BriefingScreen
    from coach.tui.screens.conversation import ConversationScreen
    from coach.tui.widgets import messages

    original = messages.CounterpartMessage.stream
    if naive:
        messages.CounterpartMessage.stream = lambda self: NaiveStream(self.markdown)  # type: ignore[assignment,method-assign,return-value]
    backend = PacedBackend(tokens, rate)
    app = create_app(load_settings(flags={"offline": True}).settings, backend=backend, seed=1)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            app.open_scenario_ref("salary-offer-negotiation")
            while not isinstance(app.screen, BriefingScreen):
                await pilot.pause()
            await pilot.press("enter")
            while not isinstance(app.screen, ConversationScreen):
                await pilot.pause()
            conv = app.screen
            # A learner reads and types for a while before sending: the screen's background
            # loads (token encoding, scorer patterns) are done by then, and their CPU is not
            # the stream's.
            while any(w.group.startswith("preload") and not w.is_finished for w in conv.workers):
                await pilot.pause()
            conv.query_one("#input").insert("What matters most to you here?")
            watch = PaintWatch(app, backend)
            profiler = cProfile.Profile() if profile else None
            if profiler is not None:
                profiler.enable()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await pilot.press("ctrl+s")
            while not watch.painted_at:
                await asyncio.sleep(0.001)
            cpu = time.process_time() - cpu0
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(f"{profile}.{'naive' if naive else 'stream'}.{rate:.0f}")
            wall = watch.painted_at - wall0
            lag = watch.painted_at - backend.last_token_at
            while conv.streaming:
                await pilot.pause()
            await pilot.pause()
            settled = time.perf_counter() - backend.last_token_at
    finally:
        messages.CounterpartMessage.stream = original  # type: ignore[method-assign]
    return lag, cpu, wall, settled


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--rates", type=float, nargs="+", default=[200.0, 1000.0])
    parser.add_argument(
        "--no-naive", action="store_true", help="skip the (slow) naive runs and the ratios"
    )
    parser.add_argument(
        "--profile",
        metavar="PREFIX",
        help="cProfile the streaming window into PREFIX.<mode>.<rate>",
    )
    args = parser.parse_args()
    os.environ.setdefault("COACH_HOME", tempfile.mkdtemp(prefix="coach-bench-"))
    print(f"{args.tokens}-token reply, headless 120x40, through ConversationScreen")
    print(f"{'mode':<16}{'tok/s':>7}{'lag ms':>10}{'settled ms':>12}{'CPU s':>9}{'wall s':>9}")
    results: dict[tuple[str, float], tuple[float, float]] = {}
    modes = ("get_stream",) if args.no_naive else ("get_stream", "naive update")
    for rate in args.rates:
        for mode in modes:
            runs = [
                await run_once(args.tokens, rate, mode != "get_stream", args.profile)
                for _ in range(args.repeat)
            ]
            lag = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            wall = statistics.median(r[2] for r in runs)
            settled = statistics.median(r[3] for r in runs)
            results[(mode, rate)] = (lag, cpu)
            print(
                f"{mode:<16}{rate:>7.0f}{lag * 1000:>10.1f}{settled * 1000:>12.1f}"
                f"{cpu:>9.2f}{wall:>9.2f}"
            )
    for rate in args.rates if not args.no_naive else ():
        s_lag, s_cpu = results[("get_stream", rate)]
        n_lag, n_cpu = results[("naive update", rate)]
        print(
            f"at {rate:.0f} tok/s naive/get_stream: lag x{n_lag / max(s_lag, 1e-6):.1f}, "
            f"CPU x{n_cpu / max(s_cpu, 1e-6):.1f}"
        )
    if ("get_stream", 1000.0) not in results:
        return
    target = results[("get_stream", 1000.0)][0] * 1000
    print(
        f"target lag < 50 ms at 1000 tok/s: {target:.1f} ms ({'met' if target < 50 else 'missed'})"
    )


if __name__ == "__main__":
    asyncio.run(main())
