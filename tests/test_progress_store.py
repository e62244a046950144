"""progress_store: history rows, progress series, self-gap, the skill gap and the next scenario."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from coach.library import Library, load_library
from coach.progress_store import (
    load_history,
    recommend_next,
    skill_gap,
    target_level,
)
from coach.scenario import Difficulty
from coach.scoring.types import Skill
from coach.sessions_store import SessionInfo
from coach.transcript import read_transcript


def rec(
    n: int,
    scenario: str,
    empathy: float,
    listening: float,
    clarity: float,
    ratings: dict[Skill, int] | None = None,
    turns: int = 4,
) -> SessionInfo:
    scores: dict[Skill, float] = {
        "empathy": empathy,
        "active_listening": listening,
        "clarity": clarity,
    }
    return SessionInfo(
        session_id=f"s{n}",
        path=Path(f"s{n}.jsonl"),
        scenario_id=scenario,
        created_at=f"2025-03-{n:02d}T10:00:00.000Z",
        mean_scores=scores,
        overall=round((empathy + listening + clarity) / 3, 2),
        self_ratings=ratings or {},
        turns=turns,
        scored_turns=turns,
    )


def library() -> Library:
    return load_library(None)


def test_skill_gap_weights_recent_sessions_more() -> None:
    # Newest first: clarity is poor lately, empathy was poor long ago.
    records = [
        rec(9, "a", 4.0, 4.0, 2.0),
        rec(8, "a", 4.0, 4.0, 2.5),
        rec(3, "a", 1.0, 4.0, 4.5),
        rec(2, "a", 1.0, 4.0, 4.5),
    ]
    gap = skill_gap(records)
    assert gap.skill == "clarity"
    assert gap.sessions == 4
    # Plain mean would put empathy (2.5) below clarity (3.375); recency flips it.
    assert gap.means["clarity"] < gap.means["empathy"]


def test_skill_gap_only_looks_at_recent_window() -> None:
    old_bad = [rec(i, "a", 1.0, 4.0, 4.0) for i in range(1, 4)]
    recent = [rec(i, "a", 4.0, 2.0, 4.0) for i in range(10, 15)]
    gap = skill_gap([*reversed(recent), *old_bad], recent=5)
    assert gap.skill == "active_listening"
    assert gap.sessions == 5


def test_skill_gap_without_scores() -> None:
    unscored = SessionInfo(session_id="x", path=Path("x.jsonl"))
    gap = skill_gap([unscored])
    assert gap.skill is None and gap.sessions == 0


def test_target_level_steps_up_and_down() -> None:
    lib = library()
    # peer-missed-deadlines is beginner, salary-offer-negotiation intermediate.
    assert (
        target_level([rec(1, "peer-missed-deadlines", 4, 4, 4)], lib)[0] is Difficulty.intermediate
    )
    assert (
        target_level([rec(1, "salary-offer-negotiation", 2, 2, 2)], lib)[0] is Difficulty.beginner
    )
    assert (
        target_level([rec(1, "salary-offer-negotiation", 3, 3, 3)], lib)[0]
        is Difficulty.intermediate
    )
    assert target_level([], lib)[0] is Difficulty.beginner
    # The reason names the level it lands on ("...: the same level" said nothing).
    assert target_level([rec(1, "peer-missed-deadlines", 4, 4, 4)], lib)[1] == (
        "your last session scored 4.0, so one step up to intermediate level"
    )
    assert target_level([rec(1, "salary-offer-negotiation", 3, 3, 3)], lib)[1] == (
        "your last session scored 3.0, so it stays at intermediate level"
    )


def test_a_good_but_short_session_does_not_step_up() -> None:
    lib = library()
    short = replace(rec(1, "peer-missed-deadlines", 4, 4, 4, turns=1), outcome="agreement")
    assert target_level([short], lib) == (
        Difficulty.beginner,
        "your last session scored 4.0 over 1 scored turn, too few to move up from beginner",
    )
    # A poor short session that ended (a walk-out) still steps down.
    walked = replace(rec(1, "salary-offer-negotiation", 2, 2, 2, turns=1), outcome="walk_out")
    assert target_level([walked], lib)[0] is Difficulty.beginner


def test_a_session_abandoned_after_a_turn_does_not_move_the_level() -> None:
    # A tester tried one turn of an intermediate scenario, went home, and was told "last
    # session scored 2.4, so one step back to beginner level".
    lib = library()
    tried = rec(2, "colleague-close-to-burnout", 2.4, 2.4, 2.4, turns=1)
    full = rec(1, "salary-offer-negotiation", 3, 3, 3)
    assert not tried.ended
    assert target_level([tried, full], lib) == target_level([full], lib)
    assert target_level([tried], lib) == (
        Difficulty.beginner,
        "your sessions so far were left after a turn or two: start at beginner level",
    )


def test_recommendation_trains_the_gap_at_the_right_level_and_is_fresh() -> None:
    lib = library()
    # Weak at clarity, did well on a beginner scenario: an intermediate clarity scenario.
    records = [rec(5, "peer-missed-deadlines", 4.5, 4.5, 3.0)]
    choice = recommend_next(records, lib)
    assert choice is not None
    scenario = lib.get(choice.scenario_id)
    assert scenario is not None
    assert choice.skill == "clarity"
    assert "clarity" in scenario.skills
    assert scenario.difficulty is Difficulty.intermediate
    assert choice.scenario_id != "peer-missed-deadlines"
    assert "clarity" in choice.reason


def test_recommendation_avoids_what_was_just_played() -> None:
    lib = library()
    first = recommend_next([rec(1, "peer-missed-deadlines", 4.5, 4.5, 3.0)], lib)
    assert first is not None
    again = recommend_next(
        [rec(2, first.scenario_id, 4.5, 4.5, 3.0), rec(1, "peer-missed-deadlines", 4.5, 4.5, 3.0)],
        lib,
    )
    assert again is not None
    assert again.scenario_id not in {first.scenario_id, "peer-missed-deadlines"}


def test_recommendation_steps_down_after_a_poor_session() -> None:
    lib = library()
    choice = recommend_next([rec(1, "supplier-contract-renewal", 1.5, 2.0, 2.0)], lib)
    assert choice is not None
    scenario = lib.get(choice.scenario_id)
    assert scenario is not None and scenario.difficulty is Difficulty.intermediate
    assert choice.skill == "empathy"


def test_empty_library_recommends_nothing() -> None:
    assert recommend_next([rec(1, "a", 3, 3, 3)], Library()) is None


def test_self_gap_and_progress_series() -> None:
    records = [
        rec(2, "a", 3.0, 2.0, 4.0, {"empathy": 4, "active_listening": 4, "clarity": 4}),
        rec(1, "a", 2.0, 2.0, 2.0, {"empathy": 5}),
    ]
    assert records[0].gaps == {"empathy": 1.0, "active_listening": 2.0, "clarity": 0.0}
    assert records[0].self_gap == 1.0
    assert records[1].self_gap == 3.0
    from coach.progress_store import History

    history = History(records=records)
    assert [p.value for p in history.progress("empathy")] == [2.0, 3.0]  # oldest first
    assert [p.value for p in history.gap_progress()] == [3.0, 1.0]
    assert [p.value for p in history.gap_progress("clarity")] == [0.0]


def _header(session_id: str, created: str) -> str:
    return json.dumps(
        {
            "type": "header",
            "schema_version": 1,
            "session_id": session_id,
            "created_at": created,
            "scenario_id": "peer-missed-deadlines",
        }
    )


def _score(value: float) -> dict[str, object]:
    skill = {"score": value, "evidence": [], "tip": ""}
    return {"scores": {"empathy": skill, "active_listening": skill, "clarity": skill}}


def test_load_history_skips_broken_files_and_tolerates_torn_lines(tmp_path: Path) -> None:
    good = tmp_path / "20250302-a.jsonl"
    events = [
        {"type": "counterpart", "turn_id": "C0", "reply_to": None, "text": "hi", "seq": 1},
        {"type": "learner", "turn_id": "L1", "parent": "C0", "text": "hello", "seq": 2},
        {"type": "score", "turn_id": "L1", "result": _score(3.5), "seq": 3},
        {"type": "self_assessment", "ratings": {"empathy": 5, "bogus": 9}, "seq": 4},
    ]
    good.write_text(
        "\n".join([_header("a", "2025-03-02T10:00:00Z"), *map(json.dumps, events)])
        + '\n{"type": "end", "outc',  # torn by a crash
        encoding="utf-8",
    )
    (tmp_path / "20250301-b.jsonl").write_text("not json at all\n{}\n", encoding="utf-8")
    (tmp_path / "20250303-c.jsonl").write_text("", encoding="utf-8")
    history = load_history(tmp_path)
    assert [r.session_id for r in history.records] == ["a"]
    record = history.records[0]
    assert record.mean_scores == {"empathy": 3.5, "active_listening": 3.5, "clarity": 3.5}
    assert record.self_ratings == {"empathy": 5}
    assert record.self_gap == 1.5
    assert record.outcome is None
    assert record.date_label == "2025-03-02 10:00"
    assert any("incomplete last line" in w for w in record.warnings)
    assert len(history.warnings) == 2
    assert all("skipped" in w for w in history.warnings)


def test_load_history_limit_reads_only_newest_files(tmp_path: Path) -> None:
    for day in range(1, 8):
        (tmp_path / f"202503{day:02d}-s.jsonl").write_text(
            _header(f"s{day}", f"2025-03-{day:02d}T10:00:00Z") + "\n", encoding="utf-8"
        )
    history = load_history(tmp_path, limit=3)
    assert [r.session_id for r in history.records] == ["s7", "s6", "s5"]


def test_load_history_rereads_a_changed_file(tmp_path: Path) -> None:
    path = tmp_path / "20250301-x.jsonl"
    path.write_text(_header("x", "2025-03-01T10:00:00Z") + "\n", encoding="utf-8")
    assert load_history(tmp_path).records[0].outcome is None
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"type": "end", "outcome": "agreement", "seq": 1}) + "\n")
    assert load_history(tmp_path).records[0].outcome == "agreement"


def test_branch_exchanges_follow_an_abandoned_branch(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    events = [
        {"type": "counterpart", "turn_id": "C0", "reply_to": None, "text": "open"},
        {"type": "learner", "turn_id": "L1", "parent": "C0", "text": "first try"},
        {"type": "counterpart", "turn_id": "C1", "reply_to": "L1", "text": "meh"},
        {"type": "rewind", "to": "L1"},
        {"type": "learner", "turn_id": "L2", "parent": "C0", "text": "second try"},
        {"type": "score", "turn_id": "L2", "result": _score(4.0)},
    ]
    path.write_text(
        "\n".join([_header("t", "2025-03-01T10:00:00Z"), *map(json.dumps, events)]) + "\n",
        encoding="utf-8",
    )
    transcript = read_transcript(path)
    branches = transcript.branches()
    assert branches[-1] == ["L2"]  # active last
    old = transcript.exchanges(branches[0])
    assert [x.learner.text for x in old] == ["first try"]
    assert old[0].context == "open"
    assert old[0].reply is not None and old[0].reply.text == "meh"
    new = transcript.exchanges(branches[-1])
    assert new[0].score is not None and new[0].score.empathy.score == 4.0
