"""The learner's progress across sessions: history, trends, the skill gap and what to play next.

The history screen needs more than `sessions_store.list_sessions`: per-skill scores with dates
for a chart, the gap between how learners rate themselves and what was measured, the skill
they are weakest at lately, and a scenario from the library that trains it at the right
difficulty. All of that lives here, free of any UI, so it is unit-tested and fast: a file is
parsed once and its summary cached by (mtime, size), and unreadable files become warnings
rather than hiding the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from coach.library import Library
from coach.scenario import Difficulty, Scenario
from coach.scoring.types import SKILL_LABELS, SKILLS, Skill
from coach.sessions_store import SessionInfo, summarise
from coach.transcript import TranscriptError, read_transcript
from coach.wording import counted

# How many recent sessions the skill gap looks at, and how fast older ones fade.
RECENT_SESSIONS = 5
RECENCY_DECAY = 0.7
# Overall session scores that move the recommended difficulty up or down a level.
STEP_UP_AT = 3.5
STEP_DOWN_AT = 2.5
# A good session this short (ended after a line or two) is no evidence of being ready for
# harder scenarios; a poor one still steps down.
MIN_SCORED_TURNS_TO_STEP_UP = 3
# Scenarios played this recently are not recommended again (unless nothing else fits).
AVOID_RECENT = 3

LEVELS: tuple[Difficulty, ...] = (
    Difficulty.beginner,
    Difficulty.intermediate,
    Difficulty.advanced,
)


@dataclass(frozen=True, slots=True)
class ProgressPoint:
    session_id: str
    created_at: str
    value: float


@dataclass
class History:
    """Readable sessions newest first, plus one warning per file that could not be read."""

    records: list[SessionInfo] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def scored(self) -> list[SessionInfo]:
        return [r for r in self.records if r.has_scores]

    def progress(self, skill: Skill) -> list[ProgressPoint]:
        """The skill's session means, oldest first (for a chart)."""
        return [
            ProgressPoint(r.session_id, r.created_at, r.mean_scores[skill])
            for r in reversed(self.records)
            if skill in r.mean_scores
        ]

    def gap_progress(self, skill: Skill | None = None) -> list[ProgressPoint]:
        """Self-rating minus measured, oldest first: one skill, or the mean over skills."""
        out: list[ProgressPoint] = []
        for r in reversed(self.records):
            value = r.gaps.get(skill) if skill else r.self_gap
            if value is not None:
                out.append(ProgressPoint(r.session_id, r.created_at, value))
        return out


@dataclass(frozen=True, slots=True)
class SkillGap:
    """The learner's weakest skill over their recent scored sessions (recency-weighted)."""

    skill: Skill | None
    means: dict[Skill, float]
    sessions: int  # how many sessions went into the means

    @property
    def label(self) -> str:
        return SKILL_LABELS[self.skill] if self.skill else "-"


@dataclass(frozen=True, slots=True)
class Recommendation:
    scenario_id: str
    title: str
    difficulty: str
    skill: Skill | None
    reason: str


# --------------------------------------------------------------------------- reading


_CACHE: dict[Path, tuple[int, int, SessionInfo]] = {}


def read_record(path: Path) -> SessionInfo:
    """A file's record, from the cache when the file has not changed.

    Raises TranscriptError or OSError for an unreadable file.
    """
    stat = path.stat()
    cached = _CACHE.get(path)
    if cached and cached[0] == stat.st_mtime_ns and cached[1] == stat.st_size:
        return cached[2]
    record = summarise(read_transcript(path))
    _CACHE[path] = (stat.st_mtime_ns, stat.st_size, record)
    return record


def load_history(folder: Path, *, limit: int | None = None) -> History:
    """Every session under `folder`, newest first; `limit` keeps the newest N files.

    Session file names start with a sortable timestamp, so the newest files are picked by
    name before anything is parsed.
    """
    history = History()
    if not folder.is_dir():
        return history
    files = sorted((p for p in folder.glob("*.jsonl") if p.is_file()), reverse=True)
    if limit is not None:
        files = files[:limit]
    for path in files:
        try:
            history.records.append(read_record(path))
        except (TranscriptError, OSError, ValueError, KeyError, TypeError) as exc:
            history.warnings.append(f"{path.name}: skipped ({exc})")
    history.records.sort(key=lambda r: (r.created_at, r.session_id), reverse=True)
    return history


# --------------------------------------------------------------------------- the skill gap


def skill_gap(
    records: Sequence[SessionInfo],
    *,
    recent: int = RECENT_SESSIONS,
    decay: float = RECENCY_DECAY,
) -> SkillGap:
    """The weakest skill over the `recent` newest scored sessions, newer ones weighing more.

    `records` are newest first (as in `History.records`). On a tie the skill listed first in
    SKILLS wins, so the answer is stable.
    """
    window = [r for r in records if r.has_scores][:recent]
    if not window:
        return SkillGap(None, {}, 0)
    means: dict[Skill, float] = {}
    for skill in SKILLS:
        total = weight_sum = 0.0
        for age, record in enumerate(window):
            if skill in record.mean_scores:
                weight = decay**age
                total += weight * record.mean_scores[skill]
                weight_sum += weight
        if weight_sum:
            means[skill] = round(total / weight_sum, 2)

    def order(skill: Skill) -> tuple[float, int]:
        return means[skill], SKILLS.index(skill)

    ranked: list[Skill] = sorted(means, key=order)
    weakest = ranked[0] if ranked else None
    return SkillGap(weakest, means, len(window))


def target_level(records: Sequence[SessionInfo], library: Library) -> tuple[Difficulty, str]:
    """The difficulty to recommend and why: a step up after a good last session, a step
    down after a poor one, the same level otherwise; beginner without history.

    A session left unfinished after fewer than MIN_SCORED_TURNS_TO_STEP_UP scored turns (a
    try, abandoned) does not count: one such turn once stepped a learner down. A short one
    that ended (they walked out) does.
    """
    last = next(
        (
            r
            for r in records
            if r.overall is not None and (r.ended or r.scored_turns >= MIN_SCORED_TURNS_TO_STEP_UP)
        ),
        None,
    )
    if last is None or last.overall is None:
        if any(r.overall is not None for r in records):
            return Difficulty.beginner, (
                "your sessions so far were left after a turn or two: start at beginner level"
            )
        return Difficulty.beginner, "no scored session yet: start at beginner level"
    scenario = library.get(last.scenario_id)
    current = scenario.difficulty if scenario else Difficulty.intermediate
    index = LEVELS.index(current)
    scored = f"your last session scored {last.overall:.1f}"
    if last.overall >= STEP_UP_AT and index < len(LEVELS) - 1:
        if last.scored_turns < MIN_SCORED_TURNS_TO_STEP_UP:
            turns = counted(last.scored_turns, "scored turn")
            return current, f"{scored} over {turns}, too few to move up from {current.value}"
        up = LEVELS[index + 1]
        return up, f"{scored}, so one step up to {up.value} level"
    if last.overall <= STEP_DOWN_AT and index > 0:
        down = LEVELS[index - 1]
        return down, f"{scored}, so one step back to {down.value} level"
    return current, f"{scored}, so it stays at {current.value} level"


def recommend_next(
    records: Sequence[SessionInfo],
    library: Library,
    gap: SkillGap | None = None,
) -> Recommendation | None:
    """A scenario that trains the weakest skill, at the target level, not played lately.

    Ranked by: trains the skill (in its `skills` list, earlier is better), distance from the
    target difficulty, not among the last few played, never played before, the skill's weight
    in the scenario, then id for a stable answer. None for an empty library.
    """
    scenarios = library.scenarios
    if not scenarios:
        return None
    gap = gap if gap is not None else skill_gap(records)
    level, level_reason = target_level(records, library)
    recent_ids = _recent_ids(records, AVOID_RECENT)
    played = {r.scenario_id for r in records}

    def rank(s: Scenario) -> tuple[int, int, int, int, int, float, str]:
        focus = s.skills.index(gap.skill) if gap.skill in s.skills else len(SKILLS)
        distance = abs(LEVELS.index(s.difficulty) - LEVELS.index(level))
        weight = -s.weight_of(gap.skill) if gap.skill else 0.0
        return (
            focus == len(SKILLS),
            distance,
            s.id in recent_ids,
            focus,
            s.id in played,
            weight,
            s.id,
        )

    best = min(scenarios, key=rank)
    parts: list[str] = []
    if gap.skill:
        parts.append(f"trains {SKILL_LABELS[gap.skill].lower()}, your weakest skill lately")
    parts.append(level_reason)
    if best.id not in played:
        parts.append("you have not played it yet")
    elif best.id in recent_ids:
        parts.append("played recently, but nothing else fits better")
    return Recommendation(
        scenario_id=best.id,
        title=best.title,
        difficulty=best.difficulty.value,
        skill=gap.skill,
        reason="; ".join(parts),
    )


def _recent_ids(records: Iterable[SessionInfo], count: int) -> set[str]:
    out: list[str] = []
    for record in records:
        if record.scenario_id and record.scenario_id not in out:
            out.append(record.scenario_id)
        if len(out) >= count:
            break
    return set(out)
