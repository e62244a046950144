"""Debrief: strength and improvement quote the learner; the rewrite is really better."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from openai_fakes import completion
from pydantic import SecretStr

from coach.scoring.analytic import AnalyticScorer
from coach.scoring.debrief import (
    LLMRewriter,
    OfflineRewriter,
    build_debrief,
    render_markdown,
)
from coach.scoring.judge import reset_mode_memory
from coach.scoring.types import SKILLS, ScoringError, Skill, TurnScore
from coach.settings import Settings

SCORER = AnalyticScorer()
SESSION = [
    (
        "I've been on hold three times this week and nobody called back. I'm exhausted.",
        "I'm so sorry, being left on hold three times sounds exhausting. "
        "What happened on the last call?",
    ),
    (
        "They told me twice the part had shipped. I lost my whole weekend waiting.",
        "Um, well, basically you should just call the courier. Did you call them?",
    ),
    (
        "Fine. So what will you do about it?",
        "You want to know what happens now, and you've waited long enough. I'll ship a "
        "replacement today and call you by 5 pm. What else would help?",
    ),
]
BASE = "http://judge.test/v1"


def scored() -> list[tuple[str, str, TurnScore]]:
    return [(c, r, SCORER.score_sync(c, r)) for c, r in SESSION]


async def test_offline_rewrite_is_different_and_better_on_the_weakest_skill() -> None:
    debrief = await build_debrief(scored(), scorer=SCORER)
    summary = debrief.summary
    assert summary.weakest_turn == 1
    rw = debrief.rewrite
    assert rw is not None and rw.method == "offline" and rw.turn == 1
    weakest = summary.turns[1].score
    assert rw.skill == min(SKILLS, key=lambda s: weakest.skill(s).score)
    assert rw.rewritten != rw.original
    assert "Um" not in rw.rewritten and "Did you call them?" not in rw.rewritten
    again = SCORER.score_sync(rw.context, rw.rewritten)
    assert again.skill(rw.skill).score > weakest.skill(rw.skill).score
    assert rw.rewritten_score == again.skill(rw.skill).score
    assert rw.changes


@pytest.mark.parametrize(
    ("context", "reply"),
    [
        ("I'm worried my team won't hit the deadline.", "Calm down, it's not a big deal."),
        (
            "We can't go above 58k for this role.",
            "I guess I was sort of hoping maybe for something kind of higher, you know, like, "
            "maybe more, if that's possible, I don't know, I think maybe it could be more.",
        ),
        ("Why is the report late again?", "Ok."),
        ("", "hi"),
    ],
)
async def test_offline_rewrite_improves_any_weak_turn(context: str, reply: str) -> None:
    debrief = await build_debrief(
        [(context, reply, SCORER.score_sync(context, reply))], scorer=SCORER
    )
    rw = debrief.rewrite
    assert rw is not None and rw.rewritten != reply
    assert rw.rewritten_score is not None and rw.rewritten_score > rw.original_score


async def test_strength_and_improvement_quote_the_learner() -> None:
    debrief = await build_debrief(scored())
    for h in (debrief.strength, debrief.improvement):
        assert h is not None
        text = SESSION[h.turn][1]
        assert h.quote and text[h.start : h.end] == h.quote
        assert f"“{h.quote}”" in h.message
    assert debrief.strength is not None and debrief.improvement is not None
    assert debrief.strength.skill == debrief.summary.strongest_skill
    assert debrief.improvement.skill == debrief.summary.weakest_skill
    assert debrief.strength.skill != debrief.improvement.skill
    assert "To reach" in debrief.improvement.message


async def test_without_a_scorer_the_first_candidate_is_used() -> None:
    debrief = await build_debrief(scored())
    assert debrief.rewrite is not None and debrief.rewrite.rewritten_score is None
    c, r = SESSION[1]
    first = OfflineRewriter().candidates(c, r, debrief.rewrite.skill)[0]
    assert debrief.rewrite.rewritten == first.text


async def test_a_scorer_that_fails_leaves_the_first_candidate_unscored() -> None:
    class Unreachable:
        name = "llm"
        rubric_version = "test"

        async def score(self, context: str, response: str) -> TurnScore:
            raise ScoringError("the judge's endpoint is unreachable")

    debrief = await build_debrief(scored(), scorer=Unreachable())
    rw = debrief.rewrite
    assert rw is not None and rw.rewritten_score is None
    c, r = SESSION[1]
    assert rw.rewritten == OfflineRewriter().candidates(c, r, rw.skill)[0].text


async def test_export_and_dict() -> None:
    debrief = await build_debrief(
        scored(), {"empathy": 2, "active_listening": 1, "clarity": 1}, scorer=SCORER
    )
    md = render_markdown(debrief)
    assert f"{len(scored())} turns, overall" in md  # in words, not "3 turn(s)"
    assert "## Listening (MITI)" in md and "## Strength" in md and "## To work on" in md
    assert "> Um, well, basically you should just call the courier." in md
    assert debrief.rewrite is not None and debrief.rewrite.rewritten in md
    data = json.loads(json.dumps(debrief.to_dict()))
    assert data["summary"]["weights"]["empathy"] == 2
    assert data["rewrite"]["method"] == "offline"


async def test_empty_session_has_no_highlights() -> None:
    debrief = await build_debrief([])
    assert debrief.strength is None and debrief.rewrite is None
    assert "No learner turns" in render_markdown(debrief)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    reset_mode_memory()
    return Settings(
        home=tmp_path,
        base_url=BASE,
        api_key=SecretStr("sk-test-FAKEKEY-debrief-0001"),
        max_retries=0,
    )


async def test_llm_rewrite_with_fenced_data(settings: Settings) -> None:
    better = "It sounds like losing your weekend to this was maddening. What would help most now?"
    reply = json.dumps({"rewrite": better, "changes": ["Reflected their lost weekend"]})

    async def no_sleep(_: float) -> None:
        return None

    with respx.mock(base_url=BASE) as api:
        route = api.post("/chat/completions").mock(return_value=completion(reply))
        debrief = await build_debrief(
            scored(), rewriter=LLMRewriter(settings, sleep=no_sleep), scorer=SCORER
        )
    rw = debrief.rewrite
    assert rw is not None and rw.method == "llm" and rw.rewritten == better
    assert rw.changes == ("Reflected their lost weekend",)
    sent: dict[str, Any] = json.loads(route.calls[0].request.content)
    system, user = (m["content"] for m in sent["messages"])
    assert SESSION[1][1] not in system
    nonce = user.split("<<<LEARNER_REPLY ")[1].split(">>>")[0]
    assert f"<<<LEARNER_REPLY {nonce}>>>\n{SESSION[1][1]}\n<<<END LEARNER_REPLY {nonce}>>>" in user
    assert "Scoring rubric" in system


async def test_llm_failure_falls_back_to_the_offline_rewrite(settings: Settings) -> None:
    with respx.mock(base_url=BASE) as api:
        route = api.post("/chat/completions").mock(
            side_effect=[completion("no json here"), completion('{"rewrite": ""}')]
        )
        debrief = await build_debrief(scored(), rewriter=LLMRewriter(settings), scorer=SCORER)
    assert route.call_count == 2  # one repair, then give up
    rw = debrief.rewrite
    assert rw is not None and rw.method == "offline" and rw.rewritten != rw.original
    # Said, not hidden: the learner asked for the model's rewrite and got the offline one.
    assert rw.note is not None and rw.note.startswith("The model could not rewrite it (")
    assert rw.note in render_markdown(debrief)
    # The rewrite failed, not the judge: the note names who was asking.
    assert "the debrief rewrite's reply was unusable after one repair" in rw.note
    assert "judge" not in rw.note


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(401, json={"error": {"message": "bad key"}}),
        httpx.Response(400, json={"error": {"message": "nope"}}),
        httpx.Response(503, json={"error": {"message": "overloaded"}}),
        httpx.Response(200, text="<html>gateway</html>"),
    ],
)
async def test_a_failed_rewrite_is_not_blamed_on_the_judge(
    settings: Settings, reply: httpx.Response
) -> None:
    with respx.mock(base_url=BASE) as api:
        api.post("/chat/completions").mock(return_value=reply)
        debrief = await build_debrief(scored(), rewriter=LLMRewriter(settings), scorer=SCORER)
    rw = debrief.rewrite
    assert rw is not None and rw.method == "offline" and rw.note is not None
    assert "the debrief rewrite" in rw.note and "judge" not in rw.note


async def test_a_context_too_small_for_the_rewrite_says_so(settings: Settings) -> None:
    too_long = (
        "This model's maximum context length is 1024 tokens. However, you requested 1900 "
        "tokens (1200 in the messages, 700 in the completion)."
    )
    with respx.mock(base_url=BASE) as api:
        route = api.post("/chat/completions").mock(
            return_value=httpx.Response(400, json={"error": {"message": too_long}})
        )
        debrief = await build_debrief(scored(), rewriter=LLMRewriter(settings), scorer=SCORER)
    assert route.call_count == 1
    rw = debrief.rewrite
    assert rw is not None and rw.method == "offline" and rw.note is not None
    assert (
        "(the debrief rewrite needs about 1900 tokens (its prompt plus 700 for the reply) but "
        "the model's context is 1024 tokens: use a model or server with a larger context "
        "(e.g. start llama.cpp with --n_ctx 8192)); this is the offline rewrite." in rw.note
    )
    assert "heuristic" not in rw.note  # the offline rewrite is already what it falls back to


async def test_an_unreachable_rewrite_names_the_url(settings: Settings) -> None:
    with respx.mock(base_url=BASE) as api:
        api.post("/chat/completions").mock(side_effect=httpx.ConnectError("refused"))
        debrief = await build_debrief(scored(), rewriter=LLMRewriter(settings), scorer=SCORER)
    rw = debrief.rewrite
    assert rw is not None and rw.method == "offline"
    assert rw.note == (
        f"The model could not rewrite it (cannot reach the debrief rewrite's endpoint {BASE} "
        "(connection refused). Is the server running?); this is the offline rewrite."
    )


# What a small local model answered (llama-cpp-python, gemma3 270m): the prompt's own example.
PLACEHOLDER = json.dumps(
    {
        "rewrite": "the better reply, as the learner would say it",
        "changes": [
            "one short sentence per change, addressed to the learner, e.g. 'Opened by "
            "reflecting what they said about the deadline'"
        ],
    }
)
BETTER = "It sounds like losing your weekend to this was maddening. What would help most now?"


async def test_a_reply_copying_the_prompt_example_is_repaired_then_given_up(
    settings: Settings,
) -> None:
    with respx.mock(base_url=BASE) as api:
        route = api.post("/chat/completions").mock(return_value=completion(PLACEHOLDER))
        debrief = await build_debrief(scored(), rewriter=LLMRewriter(settings), scorer=SCORER)
    assert route.call_count == 2  # the one repair, then the offline rewrite
    repair = json.loads(route.calls[1].request.content)["messages"][-1]["content"]
    assert "copies the example in the instructions" in repair
    rw = debrief.rewrite
    assert rw is not None and rw.method == "offline"
    assert "as the learner would say it" not in rw.rewritten
    assert not any("one short sentence" in c for c in rw.changes)
    assert rw.note is not None and rw.note.startswith(
        "The model could not rewrite it (the debrief rewrite's reply was unusable after one "
        'repair: "rewrite" copies the example in the instructions'
    )


@pytest.mark.parametrize(
    "first",
    [
        PLACEHOLDER,
        # A real rewrite, but the changes copied from the example.
        json.dumps({"rewrite": BETTER, "changes": ["One short sentence per change."]}),
    ],
)
async def test_a_copied_example_gets_the_repair_request(settings: Settings, first: str) -> None:
    good = json.dumps({"rewrite": BETTER, "changes": ["Reflected their lost weekend"]})
    with respx.mock(base_url=BASE) as api:
        route = api.post("/chat/completions").mock(
            side_effect=[completion(first), completion(good)]
        )
        debrief = await build_debrief(scored(), rewriter=LLMRewriter(settings), scorer=SCORER)
    assert route.call_count == 2
    rw = debrief.rewrite
    assert rw is not None and rw.method == "llm" and rw.note is None
    assert rw.rewritten == BETTER and rw.changes == ("Reflected their lost weekend",)


async def test_a_trainers_own_output_example_is_not_taken_for_a_rewrite(
    settings: Settings,
) -> None:
    shipped = (Path(__file__).parents[2] / "prompts" / "debrief.md").read_text(encoding="utf-8")
    own = shipped.replace(
        "the better reply, as the learner would say it", "your improved message to them, verbatim"
    )
    assert own != shipped
    settings.user_prompts_dir.mkdir(parents=True)
    (settings.user_prompts_dir / "debrief.md").write_text(own, encoding="utf-8")
    copy = json.dumps({"rewrite": "Your improved message to them, verbatim.", "changes": []})
    with respx.mock(base_url=BASE) as api:
        route = api.post("/chat/completions").mock(return_value=completion(copy))
        debrief = await build_debrief(scored(), rewriter=LLMRewriter(settings), scorer=SCORER)
    assert route.call_count == 2
    assert debrief.rewrite is not None and debrief.rewrite.method == "offline"


class ScoresTextAsOriginal:
    """The analytic scorer, except that `text` scores exactly what the original turn did."""

    name = "heuristic"
    rubric_version = SCORER.rubric_version

    def __init__(self, text: str, original: tuple[str, str]) -> None:
        self.text, self.original = text, original
        self.asked: list[str] = []

    async def score(self, context: str, response: str) -> TurnScore:
        self.asked.append(response)
        if response == self.text:
            return SCORER.score_sync(*self.original)
        return SCORER.score_sync(context, response)


async def test_a_model_rewrite_that_scores_no_higher_gives_way_to_the_offline_one(
    settings: Settings,
) -> None:
    # The tester's debrief showed the model's rewrite at 1.0 -> 1.0 as the "better version".
    reply = json.dumps({"rewrite": BETTER, "changes": ["Reflected their lost weekend"]})
    scorer = ScoresTextAsOriginal(BETTER, SESSION[1])
    with respx.mock(base_url=BASE) as api:
        api.post("/chat/completions").mock(return_value=completion(reply))
        debrief = await build_debrief(scored(), rewriter=LLMRewriter(settings), scorer=scorer)
    rw = debrief.rewrite
    assert rw is not None and rw.method == "offline" and rw.rewritten != BETTER
    offline = OfflineRewriter().candidates(*SESSION[1], rw.skill)
    assert rw.rewritten in [d.text for d in offline]
    assert rw.rewritten_score is not None and rw.rewritten_score > rw.original_score
    label = {"empathy": "empathy", "active_listening": "active listening", "clarity": "clarity"}
    assert rw.note == (
        f"The model's rewrite did not score higher on {label[rw.skill]} than your reply "
        f"({rw.original_score:.1f} → {rw.original_score:.1f}); this is the offline rewrite."
    )
    assert rw.note in render_markdown(debrief)


async def test_a_model_rewrite_that_cannot_be_scored_is_kept(settings: Settings) -> None:
    class Unreachable:
        name = "llm"
        rubric_version = "test"

        async def score(self, context: str, response: str) -> TurnScore:
            raise ScoringError("the judge's endpoint is unreachable")

    reply = json.dumps({"rewrite": BETTER, "changes": []})
    with respx.mock(base_url=BASE) as api:
        api.post("/chat/completions").mock(return_value=completion(reply))
        debrief = await build_debrief(
            scored(), rewriter=LLMRewriter(settings), scorer=Unreachable()
        )
    rw = debrief.rewrite
    assert rw is not None and rw.method == "llm" and rw.rewritten == BETTER
    assert rw.rewritten_score is None and rw.note is None


KAI = (
    "Coffee, sure. If this is about stand-up, I know. I was out of line. It's fine. "
    "Just a busy patch."
)


def test_rewrites_keep_the_greeting_first_and_do_not_echo_self_blame_or_brush_offs() -> None:
    # Seen in play: "I'm sorry, that sounds really hard. It sounds like you were out of line,
    # and that this really matters to you. Hi Sam, how are you holding up?"
    drafts = OfflineRewriter().candidates(KAI, "Hi Sam, how are you holding up?", "empathy")
    assert drafts
    for d in drafts:
        assert d.text.startswith("Hi Sam, ")
        assert "out of line" not in d.text and "it's fine" not in d.text.lower()
        assert "if this is about" not in d.text.lower()


def test_rewrites_drop_a_bare_backchannel_and_apologise_once() -> None:
    ctx = "The invitations arrived today and the date is wrong."
    for reply in ("Ok. You should just call the printer.", "I'm sorry. What date should it be?"):
        for d in OfflineRewriter().candidates(ctx, reply, "empathy"):
            assert "Ok." not in d.text
            assert d.text.lower().count("sorry") <= 1, d.text


def test_rewrites_apologise_only_where_something_hard_was_said() -> None:
    # A tester's salary negotiation: "I'm sorry, that sounds really hard" answered an offer of
    # a signing bonus.
    offer = "We can't move on base, but we can add a one-off signing bonus."
    for d in OfflineRewriter().candidates(offer, "Okay. What else?", "empathy"):
        assert "sorry" not in d.text.lower() and "sounds really hard" not in d.text, d.text
    upset = "I'm so stressed, the invitations arrived today and the date is wrong."
    drafts = OfflineRewriter().candidates(upset, "Okay. What else?", "empathy")
    assert any("I'm sorry, that sounds really" in d.text for d in drafts)


def test_rewrites_keep_one_question_when_the_learner_already_asked_an_open_one() -> None:
    # The empathy rewrite of "What would make the next two weeks lighter for you?" used to
    # end with that question and then "What has been the hardest part of this for you?".
    ctx = "If I ask the manager to take things off me, I'm scared that's the promotion gone."
    reply = "What would make the next two weeks lighter for you?"
    drafts = OfflineRewriter().candidates(ctx, reply, "empathy")
    assert drafts[0].text.count("?") == 1 and drafts[0].text.endswith(reply)
    assert "Kept your open question as the one question" in drafts[0].changes
    # Without a question of their own, the rewrite still adds one.
    plain = OfflineRewriter().candidates(ctx, "Okay, let's move on.", "empathy")
    assert plain[0].text.count("?") == 1


async def test_a_strength_without_evidence_quotes_the_whole_short_turn() -> None:
    # Clarity was strongest in a turn with no clarity evidence, and the debrief quoted its
    # first sentence, "Sorry about that.", as the example of clear writing.
    opening = (
        "Finally, a human. I've been on hold for forty minutes. The invitations arrived "
        "today and the date is wrong."
    )
    reply = "Sorry about that. Can I have your order number?"
    items = [(opening, reply, SCORER.score_sync(opening, reply))]
    debrief = await build_debrief(items, {"empathy": 1, "active_listening": 1, "clarity": 1})
    strength = debrief.strength
    assert strength is not None and strength.skill == "clarity"
    assert not SCORER.score_sync(opening, reply).clarity.evidence
    assert strength.quote == reply
    assert (strength.start, strength.end) == (0, len(reply))
    assert ": clear — short readable sentences" in strength.message


@pytest.mark.parametrize(
    ("context", "reflected", "not_said"),
    [
        # Seen in play: "It sounds like you still might, and that this really matters to you."
        (
            "I'll tell you why I'm hard on you. I was going to put you forward for the team "
            "lead role. I still might. Show me how you'd fix this.",
            "you were going to put me forward for the team lead role",
            "still might",
        ),
        # Seen in play: "You're asking we know you turned down an offer in the spring, ..."
        (
            "You know I turned down an offer in the spring? Because of this project.",
            "It sounds like you turned down an offer in the spring",
            "You're asking",
        ),
        ("Why wasn't I told sooner?", "You asked, “Why wasn't I told sooner?”", "you told"),
    ],
)
def test_rewrites_reflect_whole_statements_and_quote_a_question(
    context: str, reflected: str, not_said: str
) -> None:
    drafts = OfflineRewriter().candidates(context, "Ok. I will fix it.", "empathy")
    texts = [d.text for d in drafts]
    assert any(reflected in t for t in texts), texts
    assert not any(not_said in t for t in texts), texts


async def test_the_improvement_aims_at_a_level_that_does_something_right() -> None:
    # "To reach “Generic”: A stock empathy phrase or none ..." read as aiming low.
    context = "The invitations arrived today and the date is wrong. The party is in ten days."
    reply = "Calm down, these things happen."
    debrief = await build_debrief([(context, reply, SCORER.score_sync(context, reply))])
    assert debrief.improvement is not None and debrief.improvement.score < 2
    assert "To reach “Acknowledging”" in debrief.improvement.message


async def test_the_improvement_and_the_rewrite_take_up_the_same_turn_on_a_tie() -> None:
    # "To work on" quoted a later, flat turn while the rewrite took up "Calm down, these
    # things happen" (both empathy 1.0 in a tester's session).
    session = [
        ("The invitations arrived and the date is wrong.", "I'm so sorry. What happened?"),
        ("It's my parents' fortieth anniversary.", "Calm down, these things happen."),
        ("So what now?", "I'll reprint them by express today and call you by 5 pm."),
    ]
    items = [(c, r, SCORER.score_sync(c, r)) for c, r in session]
    assert items[1][2].empathy.score == items[2][2].empathy.score  # the tie
    debrief = await build_debrief(items)
    assert debrief.improvement is not None and debrief.rewrite is not None
    assert debrief.improvement.turn == debrief.rewrite.turn == 1


@pytest.mark.parametrize("skill", SKILLS)
def test_offline_rewrites_quote_their_words_without_their_markdown(skill: Skill) -> None:
    context = (
        "## Honestly\n\n- It **matters** to me that you asked.\n"
        "> I felt *set up to fail* by the `new` process."
    )
    drafts = OfflineRewriter().candidates(context, "Ok. Whatever you think.", skill)
    assert drafts
    for draft in drafts:
        for mark in ("*", "`", "#", "> "):
            assert mark not in draft.text, (mark, draft.text)
    assert any("set up to fail by the new process" in d.text for d in drafts)


async def test_what_an_endpoint_said_in_the_note_exports_as_text(settings: Settings) -> None:
    # The note quotes the endpoint's error: a proxy's "<b>" or "[docs](http://x)" must not
    # become HTML or a link in the exported Markdown.
    said = "quota <b>exceeded</b>, see [docs](http://evil.example)"
    with respx.mock(base_url=BASE) as api:
        api.post("/chat/completions").mock(
            return_value=httpx.Response(400, json={"error": {"message": said}})
        )
        debrief = await build_debrief(scored(), rewriter=LLMRewriter(settings), scorer=SCORER)
    rw = debrief.rewrite
    assert rw is not None and rw.note is not None and "<b>exceeded</b>" in rw.note
    md = render_markdown(debrief)
    assert "<b>" not in md and "[docs](" not in md
    assert r"quota \<b\>exceeded\</b\>, see \[docs\](http://evil.example)" in md
