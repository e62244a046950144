"""Replies a learner would expect credit for, seen while playing the built-in scenarios."""

from __future__ import annotations

from coach.scoring.analytic import AnalyticScorer
from coach.scoring.readability import is_familiar
from coach.scoring.types import SKILLS

SCORER = AnalyticScorer()
DAD = (
    "Okay, so, my dad had a stroke two months ago. I take him to rehab Tuesday and "
    "Wednesday afternoons."
)


def test_naming_how_hard_their_situation_is_is_a_strong_interpretation() -> None:
    reply = (
        "That sounds like a really hard couple of months, Jonas. Looking after your dad while "
        "the report lands on the same days must be exhausting."
    )
    signals = SCORER.analyse(DAD, reply)
    assert signals.interpretations == 2
    assert (
        SCORER.score_sync(DAD, reply).empathy.score
        > SCORER.score_sync(
            DAD, "Okay. Can you get the report in on time from now on?"
        ).empathy.score
    )


def test_a_concrete_commitment_answers_what_will_you_do() -> None:
    question = "So what will you do about it?"
    remedy = "I'll ship a replacement today and call you by 5 pm with the tracking number."
    assert not SCORER.analyse(question, remedy).ignores_question
    assert SCORER.analyse(question, "Did you watch the football last night?").ignores_question


def test_dismissing_still_scores_lowest() -> None:
    context = "The invitations arrived today and the date is wrong."
    dismissive = SCORER.score_sync(context, "Calm down, it is not a big deal. These things happen.")
    caring = SCORER.score_sync(
        context, "I'm so sorry, that must be really stressful. What would help most right now?"
    )
    assert dismissive.empathy.score < caring.empathy.score
    assert dismissive.active_listening.score < caring.active_listening.score


def test_an_offer_that_takes_up_their_request_is_not_a_lecture() -> None:
    # "We can reprint and courier them by Friday" answered "have the new cards by Friday"
    # and scored listening 1.2: the offer was counted as a sentence of lecturing.
    context = (
        "If I could see a proof today, and have the new cards by Friday, I can post them "
        "Saturday. That would be fine. Really."
    )
    offer = (
        "We can reprint and courier them by Friday at no cost, and I'll call you when they ship."
    )
    assert SCORER.analyse(context, offer).other_sentences == 0
    unrelated = "Our printers are the best in the region and we have won three awards."
    assert SCORER.analyse(context, unrelated).other_sentences == 1
    assert (
        SCORER.score_sync(context, offer).active_listening.score
        > SCORER.score_sync(context, unrelated).active_listening.score
    )


def test_a_wish_is_not_an_offer() -> None:
    assert not SCORER.analyse("I'm in pain.", "I wish I could take the pain away.").proposal
    assert SCORER.analyse("I'm in pain.", "I could take you to the clinic tomorrow.").proposal


def test_the_tip_quotes_the_painful_clause_not_the_tail_of_a_long_sentence() -> None:
    # The tip quoted '…thing she doesn't know she's looking forward to' and called the news
    # of a mother's surgery something that "really matters to you".
    context = (
        "It's my parents' fortieth anniversary. A surprise. My mum's just had surgery and "
        "this party is the thing she doesn't know she's looking forward to."
    )
    tip = SCORER.score_sync(context, "I understand. We will reprint them.").empathy.tip
    assert '"My mum\'s just had surgery", that sounds like a lot to carry.' in tip
    # A short last clause is still the one quoted.
    tip = SCORER.score_sync("The deck went out at 11pm, and it's my credibility", "OK.").empathy
    assert '"it\'s my credibility"' in tip.tip


def test_one_phrase_is_one_piece_of_evidence() -> None:
    # "That must be hard" matched two understanding patterns and was listed twice, as
    # "That must be" and "must be hard".
    for reply in (
        "That must be hard. What happened?",
        "It sounds like you must be exhausted, and that must have been a lonely week.",
    ):
        for skill in ("empathy", "active_listening", "clarity"):
            evidence = SCORER.score_sync("I lost my job.", reply).skill(skill).evidence
            for a in evidence:
                for b in evidence:
                    if a is not b and a.label == b.label:
                        assert a.end <= b.start or b.end <= a.start, (a, b)


DANA = (
    "Can I be honest? This seat has been empty for five months. My team is on call every "
    "other week because of it, and I can feel people getting tired."
)


def test_reading_their_situation_back_is_an_interpretation_and_a_preface_needs_no_answer() -> None:
    # Played in the salary scenario: scored empathy 1.8 and "leaves their question
    # unanswered", the question being "Can I be honest?".
    reply = (
        "Five months is a long time to carry an empty seat. "
        "It sounds like the team is stretched thin."
    )
    signals = SCORER.analyse(DANA, reply)
    assert signals.interpretations == 2
    assert not signals.ignores_question
    # A real question still wants an answer.
    asked = "What would you need from me to close this today? I can feel people getting tired."
    assert SCORER.analyse(asked, "Did you watch the football last night?").ignores_question


def test_naming_the_weight_they_carry_conveys_understanding() -> None:
    # Empathy 1.4 in play: "That's a lot riding on it" was not seen as understanding.
    context = (
        "It's my parents' fortieth anniversary. A surprise. My mum's just had surgery and this "
        "party is the thing she doesn't know she's looking forward to."
    )
    facts = "So this is for your parents' fortieth, and your mum has just had surgery."
    assert SCORER.analyse(context, facts + " That's a lot riding on it.").interpretations == 2
    assert SCORER.analyse(context, facts).interpretations == 0
    assert SCORER.analyse(context, "That's a lot of cards to reprint.").interpretations == 0


def test_an_apology_does_not_hide_the_reflection_after_it() -> None:
    # Listening 2.0 in play, with the tip to reflect what they said: the reflection came
    # after "I'm so sorry,".
    context = (
        "Finally, a human. I've been on hold for forty minutes. The invitations arrived today "
        "and the date is wrong. On every single card. The party is in ten days."
    )
    reply = "I'm so sorry, the wrong date on every card is awful with the party so close."
    assert SCORER.analyse(context, reply).reflection == "simple"
    assert SCORER.analyse(
        context, "I'm so sorry, I can't change the printer's queue."
    ).reflection == ("none")


def test_thanking_them_in_their_words_is_not_a_reflection() -> None:
    # Listening 4.1 in play: "Thanks for the offer, I'm really excited" counted as a complex
    # reflection (it shares "offer" with their line and names a feeling).
    context = "Thanks for making time. I hope the offer letter made sense. 96,000 base."
    thanks = "Thanks for the offer, I'm really excited about the role."
    assert SCORER.analyse(context, thanks).reflections == 0
    stem = "Thanks for telling me. It sounds like the offer letter left you unsure."
    assert SCORER.analyse(context, stem).reflections == 1


def test_a_prompt_to_go_on_is_not_a_question_left_unanswered() -> None:
    # Listening 1.4 in play: Helen's "And?" made "What exactly is wrong with it?" a reply
    # that "leaves their question unanswered".
    for prompt in ("And?", "Well?", "Are you sure?"):
        assert not SCORER.analyse(prompt, "Fine. What exactly is wrong with it?").ignores_question
    assert SCORER.analyse("Why is the report late?", "Nice weather today.").ignores_question


def test_a_contraction_after_you_keeps_the_phrase() -> None:
    # Empathy 1.3 in play for "It sounds like you're afraid the research will just vanish":
    # "sounds like you" did not match before "you're".
    context = "Is this because they think the work was weak?"
    for reply in (
        "It sounds like you're afraid the research will vanish.",
        "Sounds like you've had enough.",
    ):
        assert SCORER.analyse(context, reply).interpretations == 2, reply
    assert SCORER.analyse(context, "I'm so glad you're here.").emotional_reactions == 2


def test_news_about_themselves_with_a_question_mark_needs_no_answer() -> None:
    # Listening 1.4 in play: "What worries you most right now?" left "You know I turned down
    # an offer in the spring?" unanswered.
    context = "You know I turned down an offer in the spring? Because of this project."
    assert not SCORER.analyse(context, "What worries you most right now?").ignores_question
    asked = "Do you know when the board meets?"
    assert SCORER.analyse(asked, "What worries you most right now?").ignores_question


def test_work_words_and_their_own_words_are_not_hard_words() -> None:
    # Clarity 2.0 in play for breaking bad news in plain words: "project", "results" and the
    # other person's own "usability" counted as hard words.
    context = "I've got the usability results from Tuesday, if you want to see them."
    reply = "Let's look at the usability results on the project after this."
    with_theirs = SCORER.analyse(context, reply)
    without = SCORER.analyse("Shall we talk now?", reply)
    assert with_theirs.difficult_word_share == 0.0
    assert without.difficult_word_share > 0.0  # "usability" is hard when they never said it
    assert is_familiar("cancelled") and is_familiar("deadlines")


def test_knowing_what_it_cost_them_conveys_understanding() -> None:
    reply = "I know how much of yourself you put into this, especially the forty interviews."
    assert SCORER.analyse("Okay.", reply).interpretations == 2
    assert SCORER.analyse("Okay.", "I know how to fix this.").interpretations < 2


def test_saying_what_the_conversation_is_for_is_not_a_lecture() -> None:
    # Listening 1.3 in play for a polite opener that answers "you wanted a word?".
    context = "Hey, you wanted a word? If it's about the coffee machine, it was already broken."
    opener = (
        "Hi Jonas, thanks for making time. I wanted to talk about the last two report deadlines."
    )
    lecture = "Hi Jonas, thanks for making time. The last two report deadlines were missed."
    assert SCORER.analyse(context, opener).other_sentences == 0
    assert SCORER.analyse(context, lecture).other_sentences == 1


def test_asking_to_understand_their_figure_is_a_question_not_an_offer() -> None:
    # Empathy 1.0, listening 1.0 in play, and Marek answered "You're making me an offer?":
    # the learner quoted his 14% and asked, as a statement, where it came from.
    context = "You've read the letter and you're calling to tell me 14% is out of the question."
    reply = "A 14% rise is a big jump for us, and I'd like to understand where it comes from."
    signals = SCORER.analyse(context, reply)
    assert (signals.question, signals.proposal) == ("open", False)
    assert SCORER.analyse(context, "We could accept 7% if you hold it for two years.").proposal


def test_a_tip_never_quotes_a_bare_okay_back() -> None:
    # In play, the tip after Jonas's "Okay." read: 'When you say "Okay", I get the sense that
    # really matters to you.'
    reply = "Ok. You need to get the reports in on time from now on."
    for context in ("Okay.", "Right. Yeah."):
        tips = [SCORER.score_sync(context, reply).skill(s).tip for s in SKILLS]
        assert not any("When you say" in tip for tip in tips), tips
    tip = SCORER.score_sync("I missed my mum's birthday dinner. So, yeah.", reply).empathy.tip
    assert '"I missed my mum\'s birthday dinner"' in tip


def test_when_they_hand_over_the_agenda_the_learners_subject_answers_them() -> None:
    # "Hi. You said it was urgent?" then the bad news: "does not connect to their words".
    news = "I have some hard news: leadership has cancelled the patient portal project today."
    invited = SCORER.analyse("Hi. You said it was urgent? I've got the usability results.", news)
    assert not invited.off_topic and not invited.ignores_question
    assert invited.other_sentences == 0  # the warning shot before bad news sets the agenda
    uninvited = SCORER.analyse("The usability results from Tuesday look great, by the way.", news)
    assert uninvited.off_topic


def test_a_phased_delivery_is_a_proposal() -> None:
    # Rachel answered a closed-question line, because "We could ship exactly that on the
    # fourteenth, and the rest two weeks later" was not seen as an offer.
    context = "I've promised a live demo to two of our biggest customers at the show."
    offer = "We could ship the order pages on the fourteenth, and the rest two weeks later."
    assert SCORER.analyse(context, offer).proposal
    assert not SCORER.analyse(context, "The demo sounds exciting for the show.").proposal


def test_a_date_in_the_agenda_or_in_what_keeps_happening_is_not_an_offer() -> None:
    # Graham answered "A new process? I'm not sure we need more process." to the agenda.
    context = "Hey, good to see you! So, what's on your list today? Anything I can help with?"
    for reply in (
        "I wanted to talk about the changes that come in late on Friday evenings.",
        "When new requests arrive after six on Friday, the team works the weekend.",
    ):
        assert not SCORER.analyse(context, reply).proposal, reply
    assert SCORER.analyse(context, "Could we agree to freeze changes on Friday?").proposal


def test_asking_about_a_day_is_not_offering_it() -> None:
    # Tomás got a proposal-stage line ("Hm. Maybe.") to "What happened on Tuesday?".
    context = "Last month I heard her in the kitchen, joking that QA is where tickets go to die."
    assert not SCORER.analyse(context, "What happened on Tuesday, from your side?").proposal
    assert SCORER.analyse(context, "How about we all sit down on Tuesday?").proposal
    assert SCORER.analyse(context, "Why not try pairing with her for a few days?").proposal


def test_keeping_or_putting_oneself_is_not_an_offer() -> None:
    for reply in ("I can put myself in your shoes.", "We can keep chatting if you like."):
        assert not SCORER.analyse("It has been a hard week.", reply).proposal, reply


def test_reading_what_their_thing_means_to_them_is_an_interpretation() -> None:
    # Empathy 1.3 with no interpretation: "sounds like" was read only before "you", "the",
    # "your", ..., and "means a lot to you" not at all.
    context = "Honestly, I could cry. The party is on Saturday and the invitations are all wrong."
    for reply in (
        "It sounds like this party means a lot to you. What's the occasion?",
        "This party means a lot to you. What's the occasion?",
    ):
        assert SCORER.analyse(context, reply).interpretations == 2, reply


def test_pushing_the_fault_away_is_not_a_shared_experience() -> None:
    # "not me. not my fault." earned a strong interpretation, its evidence the bare "me".
    context = "Honestly, this draft isn't good enough. The numbers in section three are wrong."
    deflecting = SCORER.analyse(context, "Well the rates came from finance, not me. Not my fault.")
    assert deflecting.interpretations == 0
    owning = SCORER.analyse(context, "I know. I checked it twice but I missed the numbers.")
    shared = [c.evidence.quote for c in owning.cues if c.evidence.label.startswith("shares")]
    assert shared == ["I checked it twice but I missed the numbers."]


def test_a_reflection_after_sorry_and_a_dash_is_still_a_reflection() -> None:
    # The README's example reply scored listening 2.7: "I'm so sorry, ..." led into a
    # reflection, "I'm so sorry - ..." did not.
    context = (
        "Finally, a human. I've been on hold for forty minutes. The invitations arrived today "
        "and the date is wrong. On every single card. The party is in ten days."
    )
    reply = (
        "I'm so sorry - forty minutes on hold and then wrong dates on every card, ten days "
        "before the party. What happened when you opened the box?"
    )
    assert SCORER.analyse(context, reply).reflections == 1
    assert SCORER.analyse(context, reply.replace(" - ", ", ")).reflections == 1
