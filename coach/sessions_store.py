"""The learner's saved sessions: listing, finding and summarising transcripts on disk.

`coach sessions`, `coach play --resume` and the TUI's history screen all need the same view of
settings.sessions_dir: which sessions exist, how far each got, and how it went. A damaged file
is listed with its problem rather than hiding the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from statistics import fmean

from coach.scoring.aggregate import weighted_overall
from coach.scoring.types import SKILLS, Skill
from coach.transcript import Transcript, TranscriptError, read_transcript


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One saved session as shown in a list."""

    session_id: str
    path: Path
    scenario_id: str = ""
    scenario_title: str = ""
    # The file it was played from, when played by path (a trainer's draft outside the
    # library): it, not the id, says which scenario continues it.
    scenario_path: str | None = None
    created_at: str = ""
    backend: str = ""
    model: str = ""
    turns: int = 0
    outcome: str | None = None  # None: not ended (resumable)
    mean_scores: dict[Skill, float] = field(default_factory=dict)  # per skill, active path
    scored_turns: int = 0
    overall: float | None = None  # mean of the turns' weighted overall scores
    self_ratings: dict[Skill, int] = field(default_factory=dict)
    problem: str | None = None  # why the file could not be read
    warnings: tuple[str, ...] = ()

    @property
    def ended(self) -> bool:
        return self.outcome is not None

    @property
    def date(self) -> datetime | None:
        return parse_date(self.created_at)

    @property
    def date_label(self) -> str:
        """'2025-01-31 10:15' (UTC) or '?' for a header without a usable date."""
        when = self.date
        return when.strftime("%Y-%m-%d %H:%M") if when else "?"

    @property
    def has_scores(self) -> bool:
        return bool(self.mean_scores)

    @property
    def gaps(self) -> dict[Skill, float]:
        """Self-rating minus measured score per skill (positive: the learner rated higher)."""
        return {
            s: round(self.self_ratings[s] - self.mean_scores[s], 2)
            for s in SKILLS
            if s in self.self_ratings and s in self.mean_scores
        }

    @property
    def self_gap(self) -> float | None:
        gaps = self.gaps
        return round(fmean(gaps.values()), 2) if gaps else None


def parse_date(raw: str) -> datetime | None:
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def summarise(transcript: Transcript) -> SessionInfo:
    header = transcript.header
    path = transcript.active_path()
    means: dict[Skill, float] = {}
    overall: float | None = None
    scored = [x.score for x in path if x.score is not None]
    # Unrounded: rounded here and again when shown, 2.6533 read "2.6" in history and "2.7"
    # in the debrief. Weighted as the debrief weighs them (older sessions: equally).
    weights = transcript.skill_weights
    if scored:
        for skill in SKILLS:
            means[skill] = fmean(s.skill(skill).score for s in scored)
        overall = fmean(weighted_overall(s, weights) for s in scored)
    ratings = {
        skill: value
        for skill in SKILLS
        if isinstance(value := (transcript.self_assessment or {}).get(skill), int)
        and 1 <= value <= 5
    }
    assert transcript.path is not None
    return SessionInfo(
        session_id=str(header.get("session_id") or transcript.path.stem),
        path=transcript.path,
        scenario_id=str(header.get("scenario_id", "")),
        scenario_title=str(header.get("scenario_title", "")),
        scenario_path=str(header["scenario_path"]) if header.get("scenario_path") else None,
        created_at=str(header.get("created_at", "")),
        backend=str(header.get("backend", "")),
        model=str(header.get("model", "")),
        turns=len(path),
        outcome=transcript.outcome,
        mean_scores=means,
        scored_turns=len(scored),
        overall=overall,
        self_ratings=ratings,
        warnings=tuple(transcript.warnings),
    )


def session_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.jsonl") if p.is_file())


def list_sessions(folder: Path) -> list[SessionInfo]:
    """Every session under `folder`, newest first; unreadable files carry a `problem`."""
    out: list[SessionInfo] = []
    for path in session_files(folder):
        try:
            out.append(summarise(read_transcript(path)))
        except (TranscriptError, OSError) as exc:
            out.append(SessionInfo(session_id=path.stem, path=path, problem=str(exc)))
    out.sort(key=lambda s: (s.created_at, s.session_id), reverse=True)
    return out


class SessionNotFound(Exception):
    pass


def find_session(ref: str, folder: Path) -> Path:
    """A session by path, file name (with or without .jsonl), the id `coach sessions list`
    shows, or a unique part of either ("latest" is the newest one).

    The list shows each file's header `session_id`, which need not be its file name (a copied
    or renamed file keeps its id), so ids are looked up in the headers too. Several files can
    carry one id; such an id is refused with the files it matches, whose names are unique.
    """
    candidate = Path(ref).expanduser()
    if candidate.is_file():
        return candidate
    files = session_files(folder)
    if ref == "latest":
        sessions = [s for s in list_sessions(folder) if s.problem is None]
        if not sessions:
            raise SessionNotFound(f"no sessions in {folder}")
        return sessions[0].path
    exact = [p for p in files if ref in (p.stem, p.name)]
    if exact:
        return exact[0]
    listed = list_sessions(folder)
    by_id = [s.path for s in listed if s.session_id == ref]
    if len(by_id) == 1:
        return by_id[0]
    if by_id:
        raise SessionNotFound(_ambiguous(ref, by_id, "is the id of"))
    matches = sorted(
        {
            s.path
            for s in listed
            for name in (s.path.stem, s.session_id)
            if name.startswith(ref) or ref in name
        }
    )
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise SessionNotFound(f"no session matching {ref!r} in {folder}; see `coach sessions`")
    raise SessionNotFound(_ambiguous(ref, matches, "matches"))


def _ambiguous(ref: str, paths: list[Path], verb: str) -> str:
    shown = ", ".join(p.name for p in sorted(paths)[:10])
    more = f" and {len(paths) - 10} more" if len(paths) > 10 else ""
    return f"{ref!r} {verb} {len(paths)} session files: {shown}{more}; give the file name instead"
