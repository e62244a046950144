"""How a session's outcome reads to the learner, shared by the debrief and the replay viewer
(the history table keeps its own shorter labels for its narrow column)."""

from __future__ import annotations

OUTCOME_LABELS = {
    "agreement": "agreement reached",
    "partial": "partial progress",
    "impasse": "impasse",
    "walk_out": "they walked out",
    "learner_ended": "you ended it",
}


def outcome_label(outcome: str | None) -> str:
    """The learner-facing label for an outcome value ('not finished' for None)."""
    if outcome is None:
        return "not finished"
    return OUTCOME_LABELS.get(outcome, outcome.replace("_", " "))
