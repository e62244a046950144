"""Builders for the history, replay-viewer and progress tests: real sessions, fixed dates.

Sessions are played through the real `Session` with the offline backend and the heuristic
scorer, so the history screen is tested on what the app really writes; the header's
`created_at` is then pinned so frames and assertions never depend on "now".
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from coach.library import load_library
from coach.llm.factory import make_backend
from coach.scoring.factory import make_scorer
from coach.session import Phase, Session
from coach.settings import Settings, load_settings

GOOD = [
    "It sounds like you're under real pressure with this, and that makes sense.",
    "What matters most to you here?",
    "So if I understand you, the real worry is the people involved, not just the numbers.",
    "How about we agree on a concrete plan: I review it with you on Friday?",
]
POOR = [
    "Calm down, it's not a big deal.",
    "Take it or leave it, I need an answer right now.",
    "Whatever. Let's talk about something else.",
]
NASTY = "[bold]x[/bold] and [/ and [@click=app.quit]q[/] and \x1b[31mred"


def settings() -> Settings:
    """Settings under the test's COACH_HOME (set by tests/conftest.py)."""
    return load_settings().settings


async def play_session(
    settings: Settings,
    scenario_id: str,
    lines: Sequence[str],
    *,
    created_at: str,
    number: int = 1,
    self_ratings: Mapping[str, int] | None = None,
    rewind_to: str | None = None,
    after_rewind: Sequence[str] = (),
) -> Path:
    """Play `lines` in the real engine, offline; return the transcript with a fixed date."""
    library = load_library(settings.user_scenarios_dir)
    scenario = library.get(scenario_id)
    assert scenario is not None, scenario_id
    stamp = created_at[:19].replace("-", "").replace(":", "").replace("T", "-")
    session_id = f"{stamp}-{scenario_id}-{number:04d}"
    path = settings.sessions_dir / f"{session_id}.jsonl"
    session = Session(
        scenario,
        make_backend(settings, scenario, seed=7, offline=True),
        make_scorer("heuristic", settings),
        path,
        settings=settings,
        seed=7,
        session_id=session_id,
    )
    await session.start()
    for line in lines:
        if session.phase is Phase.ended:
            break
        await session.send(line).run()
    if rewind_to is not None:
        await session.wait_scores()
        session.rewind(rewind_to)
        for line in after_rewind:
            if session.phase is Phase.ended:
                break
            await session.send(line).run()
    if session.phase is not Phase.ended:
        await session.end()
    if self_ratings is not None:
        session.self_assess(self_ratings)
    await session.aclose()
    pin_date(path, created_at)
    return path


def pin_date(path: Path, created_at: str) -> None:
    """Rewrite the header's created_at (the engine stamps "now")."""
    lines = path.read_text(encoding="utf-8").split("\n")
    header = json.loads(lines[0])
    header["created_at"] = created_at
    lines[0] = json.dumps(header, ensure_ascii=False, separators=(",", ":"))
    path.write_text("\n".join(lines), encoding="utf-8")


async def standard_history(settings: Settings) -> list[Path]:
    """Five sessions over two weeks: listening gets better, clarity stays weakest-ish."""
    plan: list[tuple[str, Sequence[str], str, dict[str, int] | None]] = [
        ("upset-customer-wrong-order", POOR, "2025-03-01T09:00:00.000Z", None),
        (
            "peer-missed-deadlines",
            GOOD[:2],
            "2025-03-03T18:30:00.000Z",
            {"empathy": 4, "active_listening": 4, "clarity": 4},
        ),
        ("salary-offer-negotiation", GOOD, "2025-03-06T12:00:00.000Z", None),
        (
            "launch-scope-tradeoff",
            [*POOR[:1], *GOOD[1:3]],
            "2025-03-10T08:15:00.000Z",
            {"empathy": 5, "active_listening": 3, "clarity": 2},
        ),
        ("colleague-close-to-burnout", GOOD, "2025-03-14T16:45:00.000Z", None),
    ]
    paths = []
    for number, (scenario_id, lines, when, ratings) in enumerate(plan, start=1):
        paths.append(
            await play_session(
                settings, scenario_id, lines, created_at=when, number=number, self_ratings=ratings
            )
        )
    return paths


def write_transcript(path: Path, events: Sequence[Mapping[str, Any]], **header: Any) -> Path:
    """A hand-made transcript (for hostile text and damage the engine never writes)."""
    head = {
        "type": "header",
        "schema_version": 1,
        "session_id": path.stem,
        "created_at": "2025-04-01T10:00:00.000Z",
        "scenario_id": "peer-missed-deadlines",
        "scenario_title": "Peer missed deadlines",
        **header,
    }
    rows = [
        head,
        *({"seq": i + 1, "ts": "2025-04-01T10:00:00.000Z", **e} for i, e in enumerate(events)),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def score_result(value: float, quote: str = "", tip: str = "Name the feeling.") -> dict[str, Any]:
    """A `score` event's result in the `coach score` contract shape."""
    evidence = [{"start": 0, "end": len(quote), "quote": quote, "label": "warmth", "effect": "+"}]
    skill = {"score": value, "evidence": evidence if quote else [], "tip": tip}
    return {
        "scores": {"empathy": skill, "active_listening": dict(skill), "clarity": dict(skill)},
        "scorer": "heuristic",
        "rubric_version": "test",
    }


class ScreenApp(App[object]):
    """A bare app that shows one screen: tests don't depend on the real CoachApp."""

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self._screen = screen
        self.result: object = "not dismissed"

    def compose(self) -> ComposeResult:
        yield Static(Text("base"))

    def on_mount(self) -> None:
        self.push_screen(self._screen, callback=self._done)

    def _done(self, result: object) -> None:
        self.result = result


async def wait_loaded(pilot: Any, screen: Any, attempts: int = 200) -> None:
    """Wait until the screen's `loaded` flag is set (workers done, messages processed)."""
    for _ in range(attempts):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if screen.loaded:
            return
    raise AssertionError("screen never finished loading")


def plain(widget: Any) -> str:
    """The text a Static shows (its renderable's plain text, lines unwrapped)."""
    return text_of(widget.content)


def text_of(shown: Any) -> str:
    """The plain text of a string, a `Text` or any Rich renderable (lines unwrapped)."""
    if isinstance(shown, str):
        return shown
    if hasattr(shown, "plain"):
        return str(shown.plain)
    console = Console(width=1000, file=io.StringIO(), color_system=None)
    with console.capture() as capture:
        console.print(shown)
    return "\n".join(line.rstrip() for line in capture.get().splitlines())
