"""The scenario library: the built-in scenarios plus the learner's and trainer's own.

The TUI picker, `coach scenarios list` and `coach play ID` all look scenarios up here. A broken
or duplicate user file never hides the rest of the library; it is kept as a problem to show.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from coach.resources import builtin_dir
from coach.scenario import Scenario
from coach.scenario_loader import (
    LoadedScenario,
    Problem,
    ScenarioError,
    duplicate_id_problems,
    load_file,
    scenario_files,
)


@dataclass(frozen=True)
class BrokenFile:
    """A scenario file in the library that did not load, and why."""

    path: Path
    scenario_id: str | None  # the id it declares, if it got that far
    problems: list[Problem]


@dataclass
class Library:
    entries: list[LoadedScenario] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    builtin_ids: frozenset[str] = frozenset()
    broken: list[BrokenFile] = field(default_factory=list)

    @property
    def scenarios(self) -> list[Scenario]:
        return [e.scenario for e in self.entries]

    def get(self, scenario_id: str) -> Scenario | None:
        for entry in self.entries:
            if entry.scenario.id == scenario_id:
                return entry.scenario
        return None

    def path_of(self, scenario_id: str) -> Path | None:
        for entry in self.entries:
            if entry.scenario.id == scenario_id:
                return entry.path
        return None

    def is_builtin(self, scenario_id: str) -> bool:
        return scenario_id in self.builtin_ids


def builtin_id_problem(item: LoadedScenario, builtin: Iterable[LoadedScenario]) -> Problem | None:
    """A file that is not itself built in but reuses a built-in scenario's id: the library
    would skip it, so `validate` must not pass it silently."""
    for other in builtin:
        if other.scenario.id == item.scenario.id and other.path.resolve() != item.path.resolve():
            return Problem(
                str(item.path),
                *item.id_position,
                f"id {item.scenario.id!r} is already a built-in scenario's id; choose another "
                "id (in your scenarios folder this file would be skipped)",
            )
    return None


def builtin_scenarios() -> list[LoadedScenario]:
    """The scenarios that ship with coach (all valid: a test checks them)."""
    found = []
    for path in scenario_files(builtin_dir("scenarios")):
        try:
            found.append(load_file(path))
        except ScenarioError:
            continue
    return found


def load_library(user_dir: Path | None = None) -> Library:
    """Built-in scenarios first, then the user's; a user file reusing an id is skipped."""
    library = Library()
    builtin: list[LoadedScenario] = []
    for folder, target in ((builtin_dir("scenarios"), builtin), (user_dir, None)):
        if folder is None:
            continue
        for path in scenario_files(folder):
            try:
                loaded = load_file(path)
            except ScenarioError as exc:
                library.problems.extend(exc.problems)
                library.broken.append(BrokenFile(path, exc.scenario_id, exc.problems))
                continue
            (target if target is not None else library.entries).append(loaded)
    user_entries = library.entries
    library.entries = []
    for entry in [*builtin, *user_entries]:
        clash = builtin_id_problem(entry, builtin) if entry not in builtin else None
        duplicates = [clash] if clash else duplicate_id_problems([*library.entries, entry])
        if duplicates:
            library.problems.extend(duplicates)
        else:
            library.entries.append(entry)
    library.builtin_ids = frozenset(e.scenario.id for e in builtin)
    return library


class ScenarioNotFound(Exception):
    pass


class BrokenScenario(ScenarioError, ScenarioNotFound):
    """The id asked for is in a library file that does not load: its problems, not "no
    scenario with id". Either handler catches it; the ScenarioError one prints it best."""


def resolve_scenario(ref: str, user_dir: Path | None = None) -> LoadedScenario:
    """A scenario by id from the library, or by path to a YAML file.

    Raises ScenarioError (with positions) for a broken file and ScenarioNotFound otherwise.
    """
    candidate = Path(ref).expanduser()
    if candidate.suffix in {".yaml", ".yml"} or candidate.is_file():
        return load_file(candidate)
    library = load_library(user_dir)
    for entry in library.entries:
        if entry.scenario.id == ref:
            return entry
    for broken in library.broken:
        if ref in (broken.scenario_id, broken.path.stem):
            raise BrokenScenario(
                broken.problems,
                scenario_id=broken.scenario_id,
                summary=f"scenario {ref!r} is in {broken.path}, which has these problems; "
                "fix them and try again",
            )
    import difflib

    close = difflib.get_close_matches(ref, [s.id for s in library.scenarios], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ScenarioNotFound(f"no scenario with id {ref!r}{hint}; see `coach scenarios list`")
