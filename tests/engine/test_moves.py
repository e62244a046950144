"""How the counterpart perceives a learner turn."""

from __future__ import annotations

from coach.llm.moves import MoveClassifier
from coach.scenario import Move


def test_a_concrete_offer_with_no_shared_words_is_a_proposal_not_off_topic() -> None:
    classifier = MoveClassifier()
    context = "The invitations arrived today and the date is wrong. The party is in ten days."
    offer = "I'll reprint them free and have them couriered to you by Friday. Does that work?"
    assert classifier.classify(context, offer) is Move.proposal


def test_a_real_change_of_subject_is_still_off_topic() -> None:
    classifier = MoveClassifier()
    context = "The invitations arrived today and the date is wrong. The party is in ten days."
    for turn in (
        "Anyway, did you watch the football last night?",
        "By the way, our company picnic is next month and we are planning games.",
    ):
        assert classifier.classify(context, turn) is Move.off_topic, turn
