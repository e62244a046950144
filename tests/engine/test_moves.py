"""How the counterpart perceives a learner turn."""

from __future__ import annotations

from coach.llm.moves import MoveClassifier, scenario_topic
from coach.scenario import Move, Scenario
from coach.scoring.analytic import AnalyticScorer


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


def test_raising_the_scenario_subject_after_small_talk_is_not_off_topic(
    scenarios: list[Scenario],
) -> None:
    # Giving the feedback the scenario is about, after the manager's small talk, shares no
    # word with his last line: the offline manager used to answer with his off-topic line
    # ("Happy to, but I'm curious what you started with.").
    manager = next(s for s in scenarios if s.id == "upward-feedback-manager")
    ctx = "How do I see it? Honestly, I thought I was keeping everyone in the loop."
    feedback = (
        "Last Thursday the deck changed at 11pm, and I rebuilt the charts twice. When that "
        "happens, the team works late and we make mistakes."
    )
    topic = scenario_topic(manager)
    assert MoveClassifier().classify(ctx, feedback, topic) is not Move.off_topic
    assert MoveClassifier().classify(ctx, feedback) is Move.off_topic  # without the topic
    football = "Did you see the football game last night?"
    assert MoveClassifier().classify(ctx, football, topic) is Move.off_topic
    # Scores keep their contract (the two texts only): the learner is still told the reply
    # did not connect to what he said.
    assert AnalyticScorer().analyse(ctx, feedback).off_topic


def test_pushing_the_fault_away_is_a_blame_move_and_costs_listening() -> None:
    # A tester's "well the rates came from finance, not me. not my fault." was taken for an
    # acknowledgement: the harsh critic thanked them and trust rose.
    context = "Honestly, this draft isn't good enough. The numbers in section three are wrong."
    scorer = AnalyticScorer()
    for turn in (
        "well the rates came from finance, not me. not my fault.",
        "That is not my fault, finance sent those numbers.",
    ):
        assert MoveClassifier(scorer).classify(context, turn) is Move.blame, turn
    owned = "You're right, the numbers in section three are wrong. I'll fix them today."
    deflected = "The numbers in section three are wrong, but that's not on me."
    assert MoveClassifier(scorer).classify(context, owned) is not Move.blame
    own, push = scorer.score_sync(context, owned), scorer.score_sync(context, deflected)
    assert push.active_listening.score < own.active_listening.score
    assert "pushes the blame away" in [e.label for e in push.active_listening.evidence]


def test_blame_and_apology_read_as_the_scenario_docs_say() -> None:
    # A trainer's lines: the docs' own blame example "This is your fault." was a reflection
    # (a blaming learner reached agreement), and a formal apology was neutral.
    context = "I waited two hours past my appointment and nobody told me anything."
    classifier = MoveClassifier(AnalyticScorer())
    moves = {
        turn: classifier.classify(context, turn)
        for turn in (
            "This is your fault.",
            "You always overpromise to clients.",
            "You should have called ahead before coming in.",
            "It's the client's fault the data was late.",
            "I apologise, you should have been told what was happening.",
            "Two hours with no word, that must have really hurt.",
            "It's not your fault you were kept waiting.",
            "It feels like you always get pushed to the back of the queue.",
        )
    }
    assert [m is Move.blame for m in moves.values()] == [True] * 4 + [False] * 4, moves
    assert moves["I apologise, you should have been told what was happening."] is Move.acknowledge
    assert moves["Two hours with no word, that must have really hurt."] is Move.acknowledge


def test_demands_for_oneself_push_and_advice_for_them_does_not() -> None:
    # "You have to take my Saturday" read as neutral advice, "don't be selfish" as nothing:
    # the trainer guide's pushy learner never made the counterpart walk out.
    classifier = MoveClassifier()
    context = "Hi. If this is another shift swap, I'm telling you now, I'm shattered."
    assert classifier.classify(context, "You have to take my Saturday.") is Move.pressure
    assert classifier.classify(context, "You need to cover for me.") is Move.pressure
    assert classifier.classify(context, "Just say yes, I don't have time for this.") is (
        Move.pressure
    )
    assert classifier.classify(context, "You owe me, I covered for you last year.") is (
        Move.pressure
    )
    assert classifier.classify(context, "Come on, don't be selfish.") is Move.blame
    # Telling them to look after themselves is advice, not a demand on them.
    assert classifier.classify(context, "You have to look after yourself.") is not Move.pressure


def test_a_figure_inside_a_named_feeling_is_reported_not_offered() -> None:
    # "three extra shifts this month" read as terms on offer: "Straight to the ask, then."
    classifier = MoveClassifier()
    context = "Hi. If this is another shift swap, I'm telling you now, I'm shattered."
    reply = "That sounds exhausting, three extra shifts this month."
    assert classifier.classify(context, reply) is not Move.proposal
    assert classifier.classify(context, "I can take your Sunday shift this month.") is (
        Move.proposal
    )
