"""`c` continues a session with the scenario it was played with: the file it was played from,
as `coach play --resume` does, not whichever library scenario shares its id.

A trainer's draft with a built-in's id, played with `coach play FILE --keep-open`, was
continued by `c` as the built-in: another counterpart's name on the trainer's lines, another
script, another turn limit, all appended to the trainer's transcript. A draft outside the
library was skipped as "no longer in the library".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from coach.llm.offline import OfflineBackend
from coach.resources import builtin_dir
from coach.scenario_loader import load_file
from coach.scoring.analytic import AnalyticScorer
from coach.session import Session
from coach.settings import Settings
from coach.tui.app import CoachApp
from coach.tui.screens.conversation import ConversationScreen
from tests.tui.conftest import WaitUntil, loaded_picker


def _draft(folder: Path, scenario_id: str) -> Path:
    data = yaml.safe_load(
        (builtin_dir("scenarios") / "colleague-close-to-burnout.yaml").read_text("utf-8")
    )
    data["id"] = scenario_id
    data["title"] = "A trainer's draft"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{scenario_id}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def _played_from(file: Path, settings: Settings) -> Path:
    scenario = load_file(file).scenario
    settings.sessions_dir.mkdir(parents=True, exist_ok=True)
    session = Session(
        scenario,
        OfflineBackend(scenario, seed=1),
        AnalyticScorer(),
        settings.sessions_dir / "draft-session.jsonl",
        settings=settings,
        scenario_path=file,
    )
    await session.start()
    await session.send("That sounds like a lot. What has been hardest?").run()
    await session.aclose()  # left open: `c` offers to continue it
    return session.path


@pytest.mark.parametrize("scenario_id", ["peer-missed-deadlines", "only-in-drafts"])
async def test_c_continues_with_the_file_the_session_was_played_from(
    make_app: Callable[..., CoachApp],
    settings: Settings,
    tmp_path: Path,
    until: WaitUntil,
    scenario_id: str,
) -> None:
    draft = _draft(tmp_path / "drafts", scenario_id)
    transcript = await _played_from(draft, settings)
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        picker = await loaded_picker(app, pilot)
        await until(pilot, lambda: picker.recent, "recent sessions")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConversationScreen), "continued")
        screen = app.screen
        assert isinstance(screen, ConversationScreen)
        assert screen.session.scenario.title == "A trainer's draft"
        assert screen.session.path == transcript
