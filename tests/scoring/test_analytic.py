"""Unit, gaming-resistance and property tests for the offline analytic scorer."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach.scoring.analytic import AnalyticScorer, _first_within, _sentence_at, session_metrics
from coach.scoring.rubric import RUBRIC_VERSION
from coach.scoring.types import SKILLS, TurnScore

S = AnalyticScorer()
CTX = (
    "Honestly I'm exhausted. The project deadline moved up again and my manager keeps adding "
    "features without asking the team. I don't know how we'll ship on time."
)


def _check(ts: TurnScore, response: str) -> None:
    for skill in SKILLS:
        sk = ts.skill(skill)
        assert 1.0 <= sk.score <= 5.0
        assert sk.tip
        for ev in sk.evidence:
            assert 0 <= ev.start <= ev.end <= len(response)
            assert response[ev.start : ev.end] == ev.quote
            assert ev.effect in ("+", "-")


# ----------------------------------------------------------------- detectors


def test_complex_reflection_and_open_question() -> None:
    r = "It sounds like the moving deadline has left you worn out. What worries you most?"
    sig = S.analyse(CTX, r)
    assert sig.reflection == "complex"
    assert sig.question == "open"
    assert sig.open_questions == 1
    assert sig.builds_on_context > 0


def test_closed_question() -> None:
    sig = S.analyse(CTX, "Did you tell your manager?")
    assert sig.question == "closed"
    assert sig.closed_questions == 1
    assert sig.reflection == "none"
    assert sig.main_behaviour == "question"


@pytest.mark.parametrize("question", ["What's been going on?", "How'd it go?", "Who's helping?"])
def test_a_contracted_question_word_still_opens_a_question(question: str) -> None:
    sig = S.analyse("It's fine. Just a busy patch.", question)
    assert (sig.question, sig.open_questions, sig.closed_questions) == ("open", 1, 0)


def test_simple_reflection() -> None:
    sig = S.analyse("I moved house last week.", "You moved.")
    assert sig.reflection == "simple"


def test_a_possessive_shares_the_word_it_names() -> None:
    ctx = "I don't like getting in trouble."
    assert S.analyse(ctx, "Trouble's not fun.").builds_on_context == (
        S.analyse(ctx, "Trouble is not fun.").builds_on_context
    )
    assert S.analyse(ctx, "Trouble's not fun.").main_behaviour == "reflection"
    # A contraction stays a function word: "let's" shares nothing with "let".
    assert S.analyse("Let me think.", "Let's see.").builds_on_context == 0


def test_epitome_levels() -> None:
    sig = S.analyse(CTX, "I'm so sorry. I've been there too. What happened with your manager?")
    assert sig.emotional_reactions == 2
    assert sig.interpretations == 2
    assert sig.explorations == 2
    none = S.analyse(CTX, "The weather is nice today.")
    assert (none.emotional_reactions, none.interpretations, none.explorations) == (0, 0, 0)


@pytest.mark.parametrize(
    ("reply", "level"),
    [
        # A question about the specifics of what they said explores it.
        ("How long has your manager been adding features like this?", 2),
        # ... and so does one about their feelings, with or without a "you".
        ("What hurt most?", 2),
        # A stock opener only invites more.
        ("What makes you feel like this?", 1),
        ("What's been going on lately?", 1),
        # Asking what has been hardest is about them, though it names nothing they said.
        ("What has been the hardest part?", 1),
        # Questions about oneself, offers to talk and agreement tags explore nothing.
        ("Why am I even awake at this hour?", 0),
        ("Do you want to talk about it?", 0),
        ("Deadlines are the worst, you know?", 0),
    ],
)
def test_exploration_specific_generic_or_none(reply: str, level: int) -> None:
    assert S.analyse(CTX, reply).explorations == level


def test_advice_without_and_with_permission() -> None:
    assert S.analyse(CTX, "You should just quit.").advice_without_permission
    sig = S.analyse(CTX, "Would you like some ideas? You could try a smaller scope.")
    assert not sig.advice_without_permission
    assert sig.advice_with_permission


@pytest.mark.parametrize("reply", ["I think you really need to quit.", "You just gotta quit."])
def test_an_intensifier_does_not_hide_advice(reply: str) -> None:
    # "you really need to" was read as a simple reflection of their words.
    sig = S.analyse("I guess I can put more effort into lowering my drinking.", reply)
    assert sig.advice_without_permission
    assert sig.main_behaviour == "other"


@pytest.mark.parametrize(
    ("reply", "advice"),
    [
        ("You're more focused on what you need to do to get this behind you?", False),
        ("What you need to do is call them tonight.", True),
        ("Trust me, it's what you need to do right now.", True),
    ],
)
def test_what_you_need_to_do_names_their_task_unless_it_tells_them(
    reply: str, advice: bool
) -> None:
    sig = S.analyse("I just want to get whatever I need to get done, done.", reply)
    assert sig.advice_without_permission is advice
    assert (sig.main_behaviour == "reflection") is not advice


def test_confrontation_dismissive_pressure_proposal() -> None:
    assert S.analyse(CTX, "That's your own fault, you always do this.").confrontation
    assert S.analyse(CTX, "Calm down, it's not a big deal.").dismissive
    assert S.analyse(CTX, "Whatever.").dismissive
    assert S.analyse(CTX, "Take it or leave it.").pressure
    assert S.analyse(CTX, "What if we cut two features and ship on Friday?").proposal
    plain = S.analyse(CTX, "Thanks for telling me.")
    assert not (plain.confrontation or plain.pressure or plain.dismissive)


@pytest.mark.parametrize(
    ("text", "offered"),
    [
        ("I can do 90k if we start next month.", True),
        ("95k by Friday, and we have a deal.", True),
        ("Could we meet next week?", True),
        # Dates and amounts handed back in a reflection or a report are not offers.
        ("It sounds like this month has been a lot more than a busy patch.", False),
        ("You've been sleeping five hours a night since January.", False),
        ("You said 80k was the most you could pay.", False),
        ("Last week was a lot, wasn't it?", False),
    ],
)
def test_dates_and_amounts_count_as_a_proposal_only_when_offered(text: str, offered: bool) -> None:
    assert S.analyse("We can't pay more than 80k this month.", text).proposal is offered


def test_ignores_question_and_off_topic() -> None:
    ctx = "Can you move the release to next week?"
    assert S.analyse(ctx, "Did you see the football game last night?").ignores_question
    assert not S.analyse(ctx, "Yes, next week works if we cut scope.").ignores_question
    assert S.analyse(CTX, "Anyway, did you see the football game?").off_topic


def test_contract_details_and_names() -> None:
    ts = S.score_sync(CTX, "That sounds exhausting. What would help most this week?")
    d = ts.to_dict()
    assert d["scorer"] == "heuristic" == S.name
    assert d["rubric_version"] == RUBRIC_VERSION
    emp = d["scores"]["empathy"]
    assert {emp["emotional_reactions"], emp["interpretations"], emp["explorations"]} <= {0, 1, 2}
    al = d["scores"]["active_listening"]
    assert al["reflection"] in ("none", "simple", "complex")
    assert al["question"] in ("none", "closed", "open")


def test_async_score_equals_sync() -> None:
    r = "It sounds like you're stretched thin."
    assert asyncio.run(S.score(CTX, r)) == S.score_sync(CTX, r)


def test_good_reply_beats_poor_reply_on_every_scale() -> None:
    good = S.score_sync(
        CTX,
        "I'm sorry, that sounds exhausting: the deadline keeps moving while features pile up. "
        "What would help most this week?",
    )
    poor = S.score_sync(CTX, "Calm down, whatever, just work harder. Um, basically, like, yeah.")
    for skill in SKILLS:
        assert good.skill(skill).score > poor.skill(skill).score, skill


def test_missing_reflection_tip_is_specific() -> None:
    tip = S.score_sync(CTX, "Ship it anyway.").active_listening.tip
    assert "reflect" in tip.lower()


def test_session_metrics() -> None:
    sigs = [
        S.analyse(CTX, "It sounds like you're worn out."),
        S.analyse(CTX, "So the deadline feels impossible to you."),
        S.analyse(CTX, "What would help?"),
    ]
    m = session_metrics(sigs)
    assert m["reflections"] == 2
    assert m["questions"] == 1
    assert m["reflection_to_question"] == 2


# ----------------------------------------------------------------- gaming resistance

GAMES = {
    "stock empathy x5": "I understand how you feel. " * 5,
    "parrot": CTX,
    "question barrage": "Why? What happened? When? Who decided? Did you ask? Are you sure? How?",
    "wall of text": " ".join(
        [
            "In my view there are many considerations regarding organisational dynamics and "
            "the multifaceted nature of contemporary project management methodologies."
        ]
        * 12
    ),
    "off-topic filler": "Anyway, did you see the football game? The weather is great lately.",
}


@pytest.mark.parametrize("name", list(GAMES))
def test_gaming_does_not_reach_the_top(name: str) -> None:
    r = GAMES[name]
    ts = S.score_sync(CTX, r)
    _check(ts, r)
    for skill in SKILLS:
        assert ts.skill(skill).score < 4.5, (name, skill, ts.skill(skill).score)


def test_stock_repetition_scores_below_single_use() -> None:
    once = S.score_sync(CTX, "I understand how you feel.").empathy.score
    five = S.score_sync(CTX, "I understand how you feel. " * 5).empathy.score
    assert five < once


@pytest.mark.parametrize(
    ("context", "reply"),
    [
        ("Yeah.", "You used to phone your mum almost every night."),
        ("Yeah.", "That kind of shocked you out of that fairy tale life."),
        (
            "It's okay. I mean, I just I want her to be healthy and safe.",
            "It's really important for you to make sure that she's protected and that you "
            "make good decisions and do your research.",
        ),
    ],
)
def test_more_reflection_stems(context: str, reply: str) -> None:
    # MITI reflections the scorer read as "other" (as in AnnoMI's therapist turns).
    assert S.analyse(context, reply).main_behaviour == "reflection"


def test_stock_reflections_repeated_do_not_add_up() -> None:
    # "That must be hard" names an implied feeling: a simple reflection, once. Said three
    # times, or mixed with "I understand how you feel", it is padding, not listening.
    once = S.score_sync(CTX, "That must be hard. What happened?")
    assert S.analyse(CTX, "That must be hard. What happened?").reflection == "simple"
    assert once.active_listening.score >= 3.0
    thrice = S.score_sync(CTX, "That must be hard. " * 3).active_listening.score
    assert thrice < 2.0
    mixed = "I understand how you feel. That must be hard. I understand how you feel."
    assert S.score_sync(CTX, mixed).active_listening.score < once.active_listening.score
    assert S.analyse(CTX, "That must be hard. " * 3).reflections == 1


def test_parrot_is_not_a_complex_reflection() -> None:
    sig = S.analyse(CTX, CTX)
    assert sig.parroting >= 0.7
    assert sig.reflection != "complex"


# ----------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400), st.text(max_size=400))
def test_any_text_scores_within_bounds(context: str, response: str) -> None:
    _check(S.score_sync(context, response), response)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "you",
                "feel",
                "sorry",
                "?",
                ".",
                "what",
                "I",
                "deadline",
                "’",
                "İ",
                "\n",
                "!",
                "should",
                "calm down",
                "take it or leave it",
                "um",
                "5",
                "$",
                "it sounds like",
            ]
        ),
        max_size=60,
    ).map(" ".join)
)
def test_lexicon_heavy_text_keeps_offsets(response: str) -> None:
    _check(S.score_sync(CTX, response), response)


def test_self_disclosure_is_an_interpretation_but_self_talk_scores_less() -> None:
    shared = S.analyse(CTX, "I went through the same thing last year. My deadline moved twice.")
    assert shared.interpretations == 2
    assert shared.self_disclosure
    inferred = S.analyse(CTX, "It sounds like you feel nobody asks the team first.")
    assert inferred.interpretations == 2
    assert not inferred.self_disclosure
    # Talking only about oneself, unconnected to their words, earns less empathy.
    self_talk = S.score_sync(CTX, "I need my bonus. I want my weekend. I like my car.")
    assert (
        self_talk.empathy.score
        < S.score_sync(CTX, "It sounds like you feel unheard.").empathy.score
    )


def test_readability_prefers_familiar_words_and_short_sentences() -> None:
    from coach.scoring.readability import ease_from, is_familiar

    assert is_familiar("played") and is_familiar("cats") and is_familiar("running")
    assert not is_familiar("epistemological")
    easy = ease_from(words=40, sentences=5, syllable_total=48, unfamiliar=2)
    hard = ease_from(words=40, sentences=1, syllable_total=80, unfamiliar=12)
    assert 0.0 <= hard < easy <= 1.0
    plain = S.analyse("", "The cat sat on the mat. It was a warm day.").readability
    dense = S.analyse(
        "",
        "Notwithstanding considerable epistemological uncertainty, institutional stakeholders "
        "systematically prioritised comprehensive methodological standardisation.",
    ).readability
    assert plain > dense


def test_interpretation_from_a_similar_experience_not_an_address() -> None:
    # One first-person reference plus a likeness marker is the writer's own similar story.
    assert S.analyse(CTX, "Same thing happened to me last spring.").interpretations == 2
    # "my friend" as a form of address shares nothing.
    assert S.analyse(CTX, "Hang in there, my friend.").interpretations == 0


def test_lecture_sentences_dilute_listening() -> None:
    reflection = "You're worn out by a deadline that keeps moving."
    lecture = (
        f"{reflection} Scope creep is normal in software. Most teams learn to live with it. "
        "Plans rarely survive the first month."
    )
    focused = S.score_sync(CTX, reflection).active_listening.score
    diluted = S.analyse(CTX, lecture)
    assert diluted.other_sentences >= 2
    assert S.score_sync(CTX, lecture).active_listening.score < focused
    # Acknowledging their feelings is not a lecture.
    assert S.analyse(CTX, f"I'm so sorry. {reflection}").other_sentences == 0


@pytest.mark.parametrize("reply", ["You're welcome.", "Thanks. See you next week.", "No problem!"])
def test_courtesies_are_not_reflections(reply: str) -> None:
    sig = S.analyse(CTX, reply)
    assert sig.backchannel and sig.reflection == "none" and sig.main_behaviour == "other"


def test_tips_quote_their_words_without_their_markdown() -> None:
    # The counterpart's reply is Markdown; a tip quoted it back with its bullet:
    # 'When you say "- I still want to find something fair"'.
    ctx = "Okay.\n\n- I want **something fair** for us both."
    tip = S.score_sync(ctx, "Fine.").empathy.tip
    assert 'When you say "I want something fair for us both",' in tip


def test_tips_quote_their_last_statement_not_a_stray_word() -> None:
    # Tips used the longest word of their turn as a noun ("... frustrating when honestly
    # happened"); they now quote the last thing they said, eight words at most.
    ctx = "Honestly, I haven't had a day off since January. I keep thinking I'll catch up."
    turn = S.score_sync(ctx, "Okay.")
    assert 'When you say "I keep thinking I\'ll catch up"' in turn.empathy.tip
    assert "honestly" not in turn.empathy.tip.lower()
    long_ctx = "I have been covering the whole queue for two people since the spring began."
    said = S.score_sync(long_ctx, "Okay.").empathy.tip.split('"')[1]
    assert said == "…queue for two people since the spring began"
    bare = S.score_sync("", "Calm down.")
    assert '""' not in bare.empathy.tip and '""' not in bare.active_listening.tip


def test_naming_their_feeling_with_any_subject_is_an_emotional_reaction() -> None:
    ctx = "They called QA the bottleneck in front of the whole team. After she broke staging."
    reply = "Being called the bottleneck in front of everyone sounds humiliating."
    assert S.analyse(ctx, reply).emotional_reactions == 2


@pytest.mark.parametrize(
    ("reply", "level"),
    [
        ("That sounds heavy, carrying the queue on your own.", 2),
        ("It sounds like this month has been a lot.", 1),
        ("It sounds like this month has been a lot more than a busy patch.", 1),
        ("That is a lot of tickets.", 0),
        ("We have had a lot more tickets than last year.", 0),
        ("It has been a lot better since the spring.", 0),
    ],
)
def test_validating_how_much_they_carry(reply: str, level: int) -> None:
    ctx = "I haven't had a day off since January. I keep thinking I'll catch up."
    assert S.analyse(ctx, reply).emotional_reactions == level


@pytest.mark.parametrize(
    ("ctx", "quote", "painful"),
    [
        ("I'm exhausted. I keep going anyway.", "I keep going anyway", True),
        (
            "If the numbers are wrong in that room, it's my credibility.",
            "it's my credibility",
            True,
        ),
        (
            "The market sizing is fine. The competitor work is good.",
            "The competitor work is good",
            False,
        ),
        (
            "Before you promise anything, understand the timeline.",
            "Before you promise anything, understand the timeline",
            False,
        ),
    ],
)
def test_tips_answer_a_painful_statement_differently_from_a_neutral_one(
    ctx: str, quote: str, painful: bool
) -> None:
    # "When you say 'The competitor work is good', that sounds like a lot to carry" read as
    # mockery; a neutral statement gets a tip about what it means to them.
    tip = S.score_sync(ctx, "Can you send me the figures by Friday?").empathy.tip
    assert f'When you say "{quote}",' in tip
    assert ("a lot to carry" in tip) is painful
    assert ("really matters to you" in tip) is not painful
    dismissive = S.score_sync(ctx, "OK. Let's move on to the budget.").empathy.tip
    assert ("weighing on you" in dismissive) is painful


@pytest.mark.parametrize(
    "reply",
    [
        "No wonder you're upset.",
        "Of course you're angry, they promised you Friday.",
        "It makes sense that you feel let down.",
        "It's understandable that you're worried.",
        "So you felt blindsided when it went out without your review.",
        "You shouldn't have to chase us for a refund.",
        "You've had to call three times, which shouldn't happen.",
        "That should never have happened.",
        "That puts you in a difficult position with the board.",
        "You're in a really tough spot.",
    ],
)
def test_validating_their_feeling_conveys_understanding(reply: str) -> None:
    # "No wonder you're upset" had scored empathy 1.0: no mechanism was found in it.
    ctx = "They cancelled my order again and nobody called me."
    assert S.analyse(ctx, reply).interpretations == 2


@pytest.mark.parametrize(
    ("reply", "advice"),
    [
        ("So the date is wrong, and you have to post them this week.", False),
        ("It sounds like you need to have them by Saturday.", False),
        ("So you need to make the choice and tell them.", True),
        ("So the date is wrong, and you should complain to the printer.", True),
        ("You have to post them this week.", True),
        # Validation, not an instruction: nothing for them to do.
        ("You shouldn't have to chase the printer yourself.", False),
        ("You shouldn't worry about the printer.", True),
    ],
)
def test_an_obligation_handed_back_in_a_reflection_is_not_advice(reply: str, advice: bool) -> None:
    ctx = "The invitations arrived today and the date is wrong. The party is in ten days."
    assert S.analyse(ctx, reply).advice_without_permission is advice


def test_a_request_to_elaborate_is_an_open_question_and_a_referred_amount_no_offer() -> None:
    # "Can you walk me through what's behind the 14% increase?" was a closed question and a
    # concrete proposal, so the offline supplier answered "You're making me an offer?", and
    # the thanks before it cost listening as a lecture sentence.
    ctx = "Let me guess. You're calling to tell me 14% is out of the question. Go on then."
    reply = "Thanks for sending the price list early. Can you walk me through the 14% increase?"
    sig = S.analyse(ctx, reply)
    assert sig.question == "open"
    assert not sig.proposal
    assert sig.other_sentences == 0
    offer = S.analyse(ctx, "If we sign for three years, could you hold the rise at 6%?")
    assert offer.proposal


def test_a_concrete_proposal_is_not_off_topic_for_sharing_no_words() -> None:
    # Answering "What do I need? Two weeks, and someone from leadership to read it." with a
    # proposal in other words was "does not connect to their words".
    ctx = "What do I need? Two weeks, and someone from leadership to read it."
    reply = "How about this: I'll set up a meeting with the VP on Thursday, and we go from there."
    assert not S.analyse(ctx, reply).off_topic
    assert S.analyse(ctx, "Did you see the football game last night?").off_topic


@pytest.mark.parametrize(
    "reply",
    [
        "And one of the things you mentioned is really wanting to respect yourself.",
        "I sense a lot of worry there.",
        "I hear that the client pressure lands on you first.",
        "I kind of see a sense of sadness there when this comes up.",
    ],
)
def test_handing_back_what_they_said_or_sensed_is_a_reflection(reply: str) -> None:
    # AnnoMI codes these as reflections; they were "other" (no stem matched).
    assert S.analyse("Then it kind of defeats the purpose?", reply).main_behaviour == "reflection"


def test_an_answer_after_thanks_still_answers_their_question() -> None:
    # "What's on your list today?" answered with "Thanks for meeting. I want to talk about
    # ..." was "leaves their question unanswered": only the thanks was read as the answer.
    ctx = "Hey, good to see you! So, what's on your list today? Anything I can help with?"
    reply = "Thanks for meeting. I want to talk about the late changes to the client decks."
    assert not S.analyse(ctx, reply).ignores_question
    assert S.analyse(ctx, "Thanks for meeting. Nice weather out there.").ignores_question


def test_a_long_statement_about_them_asked_back_is_a_reflection() -> None:
    # "So you feel ... ?" reflects with a rising voice (AnnoMI codes most long ones as
    # reflections); it still invites them on, so it keeps the credit of an ask.
    ctx = "I keep trying the exercise but nothing's happening."
    reply = "So you feel like you're spinning your wheels, doing more exercise and not seeing it?"
    sig = S.analyse(ctx, reply)
    assert (sig.main_behaviour, sig.closed_questions) == ("reflection", 0)
    assert sig.explorations >= 1
    assert not S.analyse(ctx, reply.replace("?", ".")).has_clear_ask
    assert sig.has_clear_ask


@pytest.mark.parametrize(
    "question",
    ["You drink every day?", "So you will take 2 food, 1 firewood and 2 water from me?"],
)
def test_a_short_check_or_a_check_of_terms_stays_a_closed_question(question: str) -> None:
    sig = S.analyse("I have a glass of wine most nights, and I can give you the water.", question)
    assert (sig.main_behaviour, sig.closed_questions) == ("question", 1)


@given(st.lists(st.integers(0, 40), max_size=30), st.integers(-2, 1300))
def test_sentence_at_finds_the_sentence_a_scan_would(gaps: list[int], pos: int) -> None:
    # Non-overlapping spans in order, with gaps between them, as sentences are.
    spans, at = [], 0
    for gap in gaps:
        start = at + gap % 7
        at = start + 1 + gap
        spans.append((start, at))
    scan = next(((s, e) for s, e in spans if s <= pos < e), None)
    assert _sentence_at(spans, pos) == scan


@given(st.lists(st.integers(1, 30), max_size=40), st.integers(0, 900), st.integers(0, 900))
def test_first_within_finds_the_span_a_scan_would(steps: list[int], s: int, e: int) -> None:
    # Spans as the phrase matcher keeps them: starts and ends both increasing.
    spans, start = [], 0
    for step in steps:
        start += step
        spans.append((start, start + 1 + step % 9))
    spans = [sp for i, sp in enumerate(spans) if i == 0 or sp[1] > spans[i - 1][1]]
    scan = next((sp for sp in spans if sp[0] >= s and sp[1] <= e), None)
    assert _first_within(spans, s, e) == scan


@pytest.mark.parametrize(
    ("context", "reply"),
    [
        (
            "Most weeks I only drink on Saturdays, with my brother.",
            "What happens on the other days? You mentioned Saturdays are with your brother.",
        ),
        (
            "I keep skipping the gym after work.",
            "How do your evenings usually go? You said the gym keeps slipping.",
        ),
    ],
)
def test_a_question_followed_by_its_context_is_a_question(context: str, reply: str) -> None:
    # The reflection after the question explains why it is asked; what they answer is the
    # question (AnnoMI codes such turns as questions, as it does a reflection then a question).
    sig = S.analyse(context, reply)
    assert (sig.main_behaviour, sig.reflections, sig.open_questions) == ("question", 1, 1)


@pytest.mark.parametrize(
    ("context", "reply", "main"),
    [
        ("Mm-hmm.", "And the evenings are when that worry gets to you.", "reflection"),
        ("Yeah.", "-and that keeps your mind busy at night.", "reflection"),
        ("Right.", "Which leaves your weekends pretty empty.", "reflection"),
        # Not about them, or the speaker's own plan: no reflection, nod or not.
        ("Yeah.", "The clinic opens at nine on weekdays.", "other"),
        ("Yeah.", "I'll send you the form tomorrow.", "other"),
        # No nod at all (the session opens): a greeting, not a reflection.
        ("", "Thanks for coming in to see us today, you made it.", "other"),
    ],
)
def test_a_statement_about_them_after_a_nod_goes_on_reflecting(
    context: str, reply: str, main: str
) -> None:
    # After "Yeah." there are no words of theirs to overlap with; a short statement about
    # them carries on the reflection they are nodding along to (AnnoMI codes it so).
    assert S.analyse(context, reply).main_behaviour == main


@pytest.mark.parametrize(
    ("context", "reply"),
    [
        ("I stopped going to the choir.", "I'm wondering what changed for you around then."),
        (
            "Work has been a lot lately.",
            "So I wonder if you've noticed what helps on the good days.",
        ),
        (
            "My sister moved out last spring.",
            "Since you brought it up, tell me a bit about the move.",
        ),
        (
            "I don't know where to start.",
            "Maybe a good place to begin is, tell me what a normal day looks like.",
        ),
    ],
)
def test_wondering_aloud_about_them_or_asking_to_hear_more_is_a_question(
    context: str, reply: str
) -> None:
    # MITI codes statements that function as questions as questions.
    sig = S.analyse(context, reply)
    assert (sig.main_behaviour, sig.question) == ("question", "open")


def test_wondering_about_oneself_asks_them_nothing() -> None:
    sig = S.analyse("It was a rough week.", "I wonder why they never call me back.")
    assert (sig.main_behaviour, sig.question, sig.explorations) == ("other", "none", 0)


@pytest.mark.parametrize(
    ("context", "reply"),
    [
        (
            "We moved in together after the wedding.",
            "So you've been living with your partner for how long?",
        ),
        (
            "I smoke when I'm stressed, mostly at work.",
            "And at work you'd smoke about how many in a shift?",
        ),
    ],
)
def test_asking_how_long_or_how_many_mid_sentence_is_a_closed_question(
    context: str, reply: str
) -> None:
    # Not a reflection asked back: it asks them for a number, wherever the "how" sits.
    sig = S.analyse(context, reply)
    assert (sig.main_behaviour, sig.question, sig.reflections) == ("question", "closed", 0)


@pytest.mark.parametrize(
    ("context", "reply"),
    [
        ("Sure.", "Great. So, let's look at how your week went with the new routine."),
        ("Could someone check on me?", "We'll get you set up with a nurse visit."),
    ],
)
def test_a_plan_for_the_two_of_you_is_not_a_reflection(context: str, reply: str) -> None:
    # "Let's ..." and "We'll ..." structure the session or promise something: the speaker's
    # own line, as "I'll ..." already was, however much it says "you".
    assert S.analyse(context, reply).main_behaviour == "other"


def test_a_line_break_ends_a_sentence_as_a_full_stop_does() -> None:
    # A line typed without a full stop before the next one was left out of every sentence
    # feature: two sentences counted as one, the first one's words never classified.
    context = "My boss yelled at me in front of everyone today."
    broken = S.analyse(context, "That sounds awful\nWhat did he say")
    stopped = S.analyse(context, "That sounds awful. What did he say")
    assert broken.sentences == stopped.sentences == 2
    assert broken.avg_sentence_length == stopped.avg_sentence_length
    assert broken.open_questions == stopped.open_questions == 1


def test_the_debrief_splits_sentences_at_line_breaks_too() -> None:
    from coach.scoring.debrief import sentences

    assert sentences("I hear you\nWhat happened next?") == ["I hear you", "What happened next?"]


def test_text_wrapped_at_a_fixed_width_scores_as_typed_on_one_line() -> None:
    # An e-mail or a transcript wrapped at ~80 columns breaks lines inside sentences: those
    # breaks are not sentence ends (they halved the average sentence length).
    context = "I'm exhausted. I've been covering for Sam since March and nobody notices."
    one_line = (
        "It sounds like you have been carrying the work of two people since March, and what "
        "hurts most is that nobody has noticed how much you are putting in. What would help "
        "you most this week?"
    )
    wrapped = (
        "It sounds like you have been carrying the work of two people since March, and what\n"
        "hurts most is that nobody has noticed how much you are putting in. What would help\n"
        "you most this week?"
    )
    assert S.analyse(context, wrapped).sentences == S.analyse(context, one_line).sentences == 2

    def marks(ts: TurnScore) -> list[tuple[float, str, list[tuple[int, int, str]]]]:
        # Evidence quotes the reply as written (with its line breaks): compare where and what.
        return [
            (sk.score, sk.tip, [(e.start, e.end, e.label) for e in sk.evidence])
            for sk in (ts.empathy, ts.active_listening, ts.clarity)
        ]

    assert marks(S.score_sync(context, wrapped)) == marks(S.score_sync(context, one_line))


def test_unwrap_joins_only_lines_that_run_on() -> None:
    from coach.scoring.analytic import unwrap

    long_line = "It sounds like you have been carrying the work of two people since March"
    assert unwrap(f"{long_line}\nand nobody noticed") == f"{long_line} and nobody noticed"
    kept = [
        "Thanks for coming\nit sounds heavy",  # a short line is typed as a line
        f"{long_line}\nWhat would help?",  # the next line starts a sentence
        f"{long_line}.\nand then",  # the line ends one
    ]
    for text in kept:
        assert unwrap(text) == text
    assert len(unwrap(f"{long_line}\n\nand more")) == len(f"{long_line}\n\nand more")
