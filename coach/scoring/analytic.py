"""The offline analytic scorer: deterministic, explainable, microseconds per turn.

It is the default scorer (no API key, no network, no model weights) and its detectors double
as the "perception" of the offline counterpart, which reacts to what the learner did
(reflected, asked, pressured, dismissed...). `AnalyticScorer.analyse` exposes those
detections as `Signals`; `score_sync` turns them into the three 1-5 scales with evidence
spans and one tip each.

Empathy follows EPITOME's mechanisms (emotional reactions, interpretations, explorations),
active listening the MITI codes (simple/complex reflections, open/closed questions, advice
without permission, confrontation), clarity classic readability plus concision and structure.
The lexicons live in `coach.scoring.lexicons`; weights were tuned on the dev halves of the
datasets in ../shared/data (see benchmarks/scoring_validity.py).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from operator import itemgetter
from typing import Literal

from coach.scoring import lexicons as lx
from coach.scoring.analytic_matcher import PhraseMatcher
from coach.scoring.plain import plain_words
from coach.scoring.readability import ease_from, word_info
from coach.scoring.rubric import RUBRIC_VERSION
from coach.scoring.types import Evidence, SkillScore, TurnScore

Reflection = Literal["none", "simple", "complex"]
Question = Literal["none", "closed", "open"]
MainBehaviour = Literal["reflection", "question", "other"]

__all__ = [
    "AnalyticScorer",
    "Cue",
    "MainBehaviour",
    "Question",
    "Reflection",
    "Signals",
    "session_metrics",
]


def _alt(patterns: Iterable[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns)


# Every pattern below runs on lowercased text and is compiled case-sensitive: with
# IGNORECASE, sre cannot skip alternatives by their first character and runs twice as slow.


def _compile(patterns: Iterable[str]) -> re.Pattern[str]:
    # Word boundaries on both sides so "hi" does not fire inside "this".
    return re.compile(rf"\b(?:{_alt(patterns)})(?![\w'])")


def _compile_start(patterns: Iterable[str]) -> re.Pattern[str]:
    return re.compile(rf"(?:{_alt(patterns)})(?![\w'])")


# "What's been going on?", "How'd it go?": a contracted "is", "has" or "did" keeps it open.
_OPEN_START = re.compile(rf"(?:{_alt(lx.OPEN_QUESTION_STARTS)})(?:'(?:s|d|re|ll|ve))?(?![\w'])")
_CLOSED_START = _compile_start(lx.CLOSED_QUESTION_STARTS)
_OPEN_ANY = _compile(lx.OPEN_QUESTION_ANYWHERE)


def _you_contracted(lexicons: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """A phrase ending in "you" also ends in "you're", "you've", "you'd" or "you'll":
    "It sounds like you're frustrated" is "sounds like you", though the token is "you're"."""
    return {
        name: tuple(p + "(?:'re|'ve|'d|'ll)?" if p.endswith("you") else p for p in patterns)
        for name, patterns in lexicons.items()
    }


_MATCHER = PhraseMatcher(
    _you_contracted(
        {
            "er_strong": lx.EMOTIONAL_STRONG,
            "er_weak": lx.EMOTIONAL_WEAK,
            "ip_strong": lx.INTERPRET_STRONG,
            "ip_weak": lx.INTERPRET_WEAK,
            "ex_generic": lx.EXPLORE_GENERIC,
            "reflect": lx.REFLECTION_STEMS,
            "feeling": lx.FEELING_WORDS,
            "advice": lx.ADVICE,
            "permission": lx.PERMISSION,
            "confront": lx.CONFRONT,
            "dismissive": lx.DISMISSIVE,
            "pressure": lx.PRESSURE,
            "proposal": lx.PROPOSAL,
            "proposal_detail": lx.PROPOSAL_DETAIL,
            "fillers": lx.FILLERS,
            "hedges": lx.HEDGES,
            "clear_ask": lx.CLEAR_ASK,
            "stock": lx.STOCK_EMPATHY,
            "topic_shift": lx.TOPIC_SHIFT,
            "warm": lx.WARM_WORDS,
            "ip_specific": lx.INTERPRET_SPECIFIC,
            "self": lx.SELF_REFERENCE,
            "not_self": lx.NOT_SELF_DISCLOSURE,
            "deflect": lx.DEFLECTION,
            "second": (r"you|your|you're|you've|yourself|you'd|you'll",),
            "similar": (r"same|too|similar|also",),
        }
    )
)
_NO_SPANS: list[tuple[int, int]] = []
_SMALL_TALK_ONLY = re.compile(rf"^\W*(?:(?:{_alt(lx.SMALL_TALK)})(?![\w'])\W*)+$")

# A line break ends a sentence as a full stop does (`$` at each line's end): "That sounds
# awful\nWhat happened?" is two sentences, not only the second. Text wrapped at a fixed
# width is joined back first (`unwrap`).
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+[\"')\]]*|$)|[.!?]+", re.MULTILINE)
# A line that runs on into the next: no closing punctuation, and the next line goes on in
# lowercase.
_RUNS_ON = re.compile(r"^[^\n]*[^\s.!?:;][ \t]*\n(?=[ \t]*[a-z])", re.MULTILINE)
# Shorter lines are typed as lines (the app's Enter is a new line); longer ones that run on
# are an e-mail or a transcript wrapped at a fixed width.
_WRAP_WIDTH = 50


def unwrap(text: str) -> str:
    """`text` with each line break inside a hard-wrapped sentence made a space (the same
    length, so offsets stay valid): "... since March, and what\nhurts most is ..." is one
    sentence, as typed on one line."""
    if "\n" not in text:
        return text
    return _RUNS_ON.sub(
        lambda m: m.group()[:-1] + " " if len(m.group().strip()) >= _WRAP_WIDTH else m.group(),
        text,
    )


# Possessive: nothing after a token can fail, so there is never anything to backtrack to,
# and the engine keeps no backtracking state (~13% less time than the plain quantifiers).
_WORD = re.compile(r"\w++(?:'\w++)*+")
# The same tokens from ASCII text without a Unicode lookup per character: every turn is
# tokenised several times, and almost all of them are ASCII.
_WORD_ASCII = re.compile(_WORD.pattern, re.ASCII)


def _words(text: str) -> list[str]:
    """`_WORD.findall(text)` (`str.isascii` is a flag lookup, not a scan)."""
    return (_WORD_ASCII if text.isascii() else _WORD).findall(text)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_PAINFUL_PHRASES = tuple(f" {p} " for p in lx.PAINFUL_PHRASES)
# A phrase can only be in the padded token string when its first word is one of the tokens.
_PAINFUL_FIRST_WORDS = frozenset(p.split()[0] for p in lx.PAINFUL_PHRASES)
# Questions that ask for no answer: a preface ("Can I be honest?") or a tag ("Right?").
_RHETORICAL = re.compile(
    r"(?:(?:can|may|could) i be (?:honest|frank|blunt|straight with you)|you know what|guess "
    r"what|know what i mean|right|okay|ok|you know|see|remember|"
    # "You know I turned down an offer in the spring?": news about themselves, not a question.
    r"you know (?:i|i'm|i've|i'd|we|we're|we've|my)(?![\w']).*)\W*"
)
_CLAUSE_BREAK = re.compile(r"[,;:—–]\s+| - | and (?=this|that|it|he|she|they|we|i|my|the)\b")
_DIGIT = re.compile(r"\d")
# Discourse markers before the real start of a sentence ("Okay. So, what ..."): skipped when
# deciding what kind of sentence it is.
_LEAD = re.compile(
    r"^(?:\W*(?:so|and|but|okay|ok|well|um+|uh+|hmm+|mm-?hmm|yeah|yes|right|alright|now|"
    r"then|oh|also|just|hey|and so|sure|anyway|anyways|by the way|btw|"
    # "I'm so sorry, the wrong date on every card ...": what follows the apology is the reply.
    # ... or a dash: "I'm so sorry - forty minutes on hold and then wrong dates ...".
    r"(?:i'm|i am) (?:so |really |very )?sorry(?=,|\s*[-—–]\s))(?![\w'])[\s,\-—–.]*)+",
)
# A sentence that reports the past or hands back what they said: a date or an amount in it is
# not being offered.
_REPORTING = re.compile(
    r"(?<![\w'])(?:has been|have been|had|was|were|'ve been|haven't|hasn't|hadn't|didn't|since|"
    r"ago|last|sounds? like|you're|you've|you are|you have|you said|you mentioned|you told|"
    # "That sounds exhausting, three extra shifts this month": a feeling named about the
    # figure, not a figure offered.
    r"(?:sounds?|seems?|must be|must have been) (?:so |really |very |pretty )?(?:exhausting|"
    r"hard|tough|difficult|frustrating|stressful|awful|draining|overwhelming|unfair|rough|"
    r"brutal|a lot))"
    r"(?![\w'])"
)


# "the 14% increase", "your Friday deadline": a detail they already have, referred to.
_REFERRED = re.compile(r"(?:the|that|this|these|those|your|their|his|her|our|its) $")
# Committing to do something: "we can reprint them by Friday", "I'll call you at 5".
_COMMITS = re.compile(r"(?<![\w'])(?:i|we)(?:'ll| will| can| could)(?![\w'])")


_START = itemgetter(0)


def _first_within(spans: list[tuple[int, int]], s: int, e: int) -> tuple[int, int] | None:
    """The first of `spans` inside [s, e]. A phrase's spans are in order of start, none
    inside another (`PhraseMatcher.find_lower`): start where they reach `s` and stop past `e`,
    rather than scan them all for every sentence (quadratic on a pasted essay)."""
    n = len(spans)
    i = bisect_left(spans, s, key=_START) if n > 8 else 0
    while i < n:
        sp = spans[i]
        if sp[0] > e:
            break
        if sp[0] >= s and sp[1] <= e:
            return sp
        i += 1
    return None


def _sentence_at(sent_spans: list[tuple[int, int]], pos: int) -> tuple[int, int] | None:
    """The (start, end) of the sentence holding offset `pos` (`sent_spans` are in order and
    do not overlap: a binary search, as a scan per hit made long replies quadratic)."""
    i = bisect_right(sent_spans, pos, key=_START) - 1
    if i >= 0:
        s, e = sent_spans[i]
        if s <= pos < e:
            return s, e
    return None


def _offers_detail(
    low: str, sent_spans: list[tuple[int, int]], span: tuple[int, int], their_flat: str
) -> bool:
    """Whether a date, time or amount at `span` is offered rather than reported (`their_flat`
    is the other person's line, as `_Context.flat`)."""
    if _REFERRED.search(low, max(0, span[0] - 7), span[0]) is not None:
        return False
    sentence = _sentence_at(sent_spans, span[0])
    # Their own figure quoted back ("A 14% rise is a big jump") is not an offer; taken up in
    # a commitment ("We can reprint them by Friday") it is.
    if (
        _said_by_them(low[span[0] : span[1]], their_flat)
        and _COMMITS.search(low, *(sentence or span)) is None
    ):
        return False
    if sentence is None:
        return True
    # "I wanted to talk about the changes on Friday evenings", "When requests arrive on
    # Friday, ...": the subject or what keeps happening, not a term on offer.
    if _AGENDA.search(low, *sentence) or _HABITUAL.match(low, sentence[0]):
        return False
    # "What happened on Tuesday?" asks about it; "How about Tuesday?" and "Why not try it
    # for a few days?" still offer it.
    if low[sentence[0] : sentence[1]].rstrip().endswith("?") and _ASKS_ABOUT.match(
        low, sentence[0]
    ):
        return False
    return _REPORTING.search(low, *sentence) is None


def _said_by_them(detail: str, their_flat: str) -> bool:
    """Whether the words of `detail` ("14%", "next friday") appear together in their line."""
    words = _words(detail)
    return bool(words) and f" {' '.join(words)} " in their_flat


# "So ... you have to post them this week": an obligation handed back in a reflection is
# not an instruction; "you should" stays advice wherever it is.
_REFLECTIVE_LEAD = re.compile(
    # Not "So you need to ..." (advice) nor "So what if ...".
    r"^\W*so (?!what(?![\w'])|you (?:\w+ )?(?:have to|need to|must|gotta))"
    r"|sounds like|you said|you mentioned|you(?:'re| are) saying|you told me"
)
# Just before a phrase, in its sentence: what follows is their view, handed back.
_REPORTED_VIEW = re.compile(
    r"(?:(?:feels?|felt|sounds?|seems?) like|you (?:said|mentioned|told me|feel|think)|"
    r"(?:feels?|felt|sounds?|seems?) as (?:if|though))[^.!?]*$"
)
_OBLIGATION = re.compile(r"you (?:\w+ )?(?:have to|need to|needs to|must|gotta)(?![\w'])")
# "You're focused on what you need to do": the obligation is theirs, named in a clause. Not
# "What you need to do is call them" nor "it's what you need to do", which tell them.
_CLAUSE_BEFORE = re.compile(
    r"(?:^|(?<!'s)(?<!\bis)(?<!\bbe)\W)(?:what|whatever|everything|anything)\W+$"
)
_TELLS_AFTER = re.compile(r"(?:\W+\w+){0,3}?\W+is(?![\w'])")


def _hands_back_obligation(
    low: str, sent_spans: list[tuple[int, int]], span: tuple[int, int]
) -> bool:
    """Whether the advice-like phrase at `span` reports their obligation inside a reflection
    or a clause ("what you need to do") rather than telling them what to do."""
    if _OBLIGATION.match(low, span[0]) is None:
        return False
    if (
        _CLAUSE_BEFORE.search(low, max(0, span[0] - 12), span[0]) is not None
        and _TELLS_AFTER.match(low, span[1]) is None
    ):
        return True
    sentence = _sentence_at(sent_spans, span[0])
    return sentence is not None and _REFLECTIVE_LEAD.search(low[sentence[0] : span[1]]) is not None


def _keep_hits(
    hits: dict[str, list[tuple[int, int]]], name: str, keep: Callable[[tuple[int, int]], bool]
) -> None:
    """Drop the `name` hits that `keep` refuses (and the entry, when none is left)."""
    spans = hits.get(name)
    if spans:
        kept = [sp for sp in spans if keep(sp)]
        if kept:
            hits[name] = kept
        else:
            del hits[name]


# A question about something ("What happened on Tuesday?"), not a suggestion ("How about
# ...", "What if ...", "Why not ...").
_ASKS_ABOUT = re.compile(
    r"\W*(?:(?:so|and|okay|ok|well),?\s+)?(?:what|how|why|where|who|which)(?:'s|'d)?(?![\w'])"
    r"(?!\s+(?:about|if|not)(?![\w']))"
)
# What keeps happening: "When requests arrive on Friday, ...".
_HABITUAL = re.compile(r"\W*(?:when|whenever|every time|each time)(?![\w'])")
# A question asked as a statement: "I'd like to understand where it comes from".
_INDIRECT_QUESTION = re.compile(
    r"(?:(?:i'd|i would) (?:like|love) to (?:understand|know|hear) (?:what|why|how|where|more)"
    # "I'm wondering what happens after your second drink": wondering aloud about them
    # asks them (MITI). Not "I wonder why they bother with me", musing about oneself.
    r"|i(?:'m| am| was)? (?:just )?wonder(?:ing|ed)? (?:if|whether|what|how|why|where|when|who)"
    r"(?=.*(?<![\w'])(?:you|your|you're|you've|you'd|we|we'd)(?![\w']))"
    # "So, um, tell me a bit about the move": a request to say more, wherever it starts.
    r"|tell me (?:a (?:little |tiny )?bit |some |more )?(?:more|about|why|what|how|when|where))"
    r"(?![\w'])"
)
# Saying what the conversation is for ("I wanted to talk about the last two deadlines")
# structures it; it is not a lecture.
_AGENDA = re.compile(
    r"(?:i(?:'d| would)? (?:like|want|wanted|was hoping|hoped) to (?:talk|chat|discuss|check in|"
    r"catch up|go over|follow up|raise|bring up|ask you)|can we (?:talk|chat) about|"
    r"let'?s (?:talk|chat) about|"
    # The warning shot before bad news: "I'm afraid I have some hard news."
    r"(?:i'?m afraid )?i (?:have|'ve got|got) (?:some )?(?:hard|difficult|bad|tough|sad) news)"
    r"(?![\w'])"
)
_AGENDA_INVITES = _compile(lx.AGENDA_INVITES)
# Thanks and greetings are neither listening nor a lecture.
_COURTESY = re.compile(
    r"(?:thanks|thank you|many thanks|i (?:really )?appreciate|good to see|nice to see|"
    r"great to see|good morning|good afternoon|hi|hello)(?![\w'])"
)
# The speaker's own line, including a plan for the two of them ("We'll get you a referral",
# "Let's look at the week"): structuring, not a reflection of theirs.
_FIRST_PERSON_START = re.compile(
    r"^(?:i|i'm|i've|i'd|i'll|my|me|we|we're|we'll|we've|we'd|our|let's|let me)(?![\w'])"
)
# Sentences that open with an instruction or a lecture marker are advice or information, not
# a reflection, even when they reuse the other person's words.
_IMPERATIVE_START = re.compile(
    r"^\W*(?:well|maybe|perhaps|tell|try|do|go|get|stop|take|make|consider|follow|ask|let|"
    r"keep|remember|just|don't|dont|never|always|please|listen|trust|think about|look|"
    r"sit down|wait your turn|calm down|hold on|settle down|"
    r"we know|we don't know|the (?:vaccine|best|research|truth|fact|data)|there (?:is|are)|"
    r"if indicated|it is (?:best|important|safe)(?! to you)|studies|research)(?![\w'])",
)
_UNPUNCTUATED_Q = re.compile(
    r"(?:what|how|why|where|when|who)(?: \w+)? (?:do|did|does|are|is|was|were|can|could|would|"
    r"have|has|made|makes|old|long|much|many)(?![\w'])|(?:do|are|did|have|can|would|could|"
    r"is there) you(?![\w'])",
)
_LAST_CLAUSE = re.compile(r".*(?:,|;|—| but| and| so)\s+")
_ANSWER_START = re.compile(
    r"^\W*(?:yes|no|yeah|yep|nope|sure|definitely|absolutely|of course|not|never|always|"
    r"probably|maybe|i|i'm|i've|i'd|we|we're|it|it's|that|that's|because|honestly|well|"
    r"actually|the|my|our|\d)(?![\w'])",
)
_BACKCHANNEL = re.compile(
    r"^\W*(?:(?:mm+-?hmm+|mhm+|hmm+|mm+|uh-?huh|okay|ok|right|yeah|yes|sure|alright|all right|"
    r"i see|got it|gotcha|great|good|wow|oh|ah|no|yep|nope|cool|fine|exactly|absolutely|"
    r"of course|thanks|thank you|okay then|you're welcome|no problem|"
    r"see you(?: next week| soon| then)?)(?![\w'])\W*)+$",
)

# A short statement about the other person or their words (3-18 words, not about oneself)
# is a reflection in counselling talk ("Part of the culture.", "Sort of an escape for you.").
_SHORT_REFLECTION_WORDS = (3, 18)
# Above this many words, a turn that mixes a reflection with other statements (information,
# plans, self-talk) is coded by what dominates: a lecture with one reflective line is not a
# reflection (MITI codes the utterance's main behaviour).
_MIXED_TURN_WORDS = 30
# "You feel like nobody's listening?": a statement about them in their words, asked back with
# a rising voice. Short ones check a fact ("You drink every day?"); long ones reflect.
# A modal after "you" checks terms or plans ("So you will take 2 food?"), not their experience.
_DECLARATIVE_YOU = re.compile(
    r"you(?:'re|'ve)?\s+(?!(?:know|will|would|can|could|should|shall|might|must|may)\b)"
)
_RISING_REFLECTION_WORDS = 10
# "So you've lived there for how long?", "And about how many a day?": asks for a number or a
# length wherever the "how" sits (a closed question in MITI), not a reflection asked back.
_ASKS_AMOUNT = re.compile(r"(?<![\w'])how (?:much|many|often|long|far|old)(?![\w'])")
# Bare verbs that open an instruction ("Ship it anyway."), never a short reflection.
_BARE_VERB_START = re.compile(
    r"^(?:ship|send|call|write|give|put|move|cut|push|pull|check|wait|finish|start|drop|fix|use|"
    r"bring|read|stay|leave|come|see|talk|work|quit|pay|buy|sell|hold|hand|run|skip|forget|"
    r"ignore|accept|add|avoid|change|choose|close|open|email|book|schedule|plan|eat|drink|sleep|"
    r"walk|rest|relax|breathe|focus|hang|deal|pick|set|sign|tell|show|write|stop|go|get|do|be)"
    r"(?![\w'])",
)
_SUBJECT_BEFORE = re.compile(
    r"(?<![\w'])(?:you|i|we|they|he|she|it|people)(?:\s+(?:\w+ly|just|still|also|even))?\s+$"
)
# "You should ...", "You'll feel better", "We need to ...": instructions and predictions
# addressed to them, not reflections of what they said.
_YOU_DIRECTIVE = re.compile(
    r"(?:you|we) (?:really |just |also |definitely |still )?(?:need to|needs to|should|"
    r"shouldn'?t|have to|has to|must|ought to|could try|might want|may want|can try|will|'ll|"
    r"gotta|got to|can always|can also|can feed|can use|can get|can take|can do)(?![\w'])",
)
# Statements that instruct, predict or generalise ("People will judge you", "Salt can always
# be used") rather than mirror: without a reflective stem or "you" as subject they are
# information, not a reflection.
_CORRECTIVE = re.compile(r"(?<![\w'])(?:should|must|need to|will|can|always|never)(?![\w'])")
# Questions that do not explore the other person's experience: about the writer ("Why am I
# alive?", "Can I suggest something?") or offers to talk (EPITOME codes those as no
# exploration).
_SELF_OR_OFFER_Q = re.compile(
    r"^\W*(?:\w+ ){0,2}(?:am|do|did|can|could|should|would|will|have|was|may) i(?![\w'])|"
    r"(?:want|wanna|like|need) to (?:talk|chat|vent)|(?:pm|dm|message|inbox) me"
)
# A trailing tag ("..., you know?", "..., yeah?") asks for agreement, not about their
# experience.
_TAG_QUESTION = re.compile(
    r"(?:^|[\s,;—-])(?:you know(?: what)?|ya know|y'know|yeah|yea|ok|okay|eh|huh|no|you see|"
    r"ok then)\W*$"
)
# Stemmed words that carry no subject of their own in a question: a question made only of
# these is a generic invitation, EPITOME's weak exploration.
_GENERIC_Q_WORDS = frozenset(
    [
        "feel",
        "make",
        "like",
        "want",
        "help",
        "stuff",
        "thing",
        "anything",
        "something",
        "everything",
        "going",
        "bother",
        "happen",
        "mind",
        "wrong",
        "kind",
        "sort",
        "particular",
        "talk",
        "do",
        "doing",
        "way",
        "really",
        "lately",
        "now",
        "today",
        "up",
        "okay",
        "alright",
        "hold",
        "holding",
        "get",
        "been",
        "tell",
        "more",
        "share",
    ]
)
_MAX_EVIDENCE = 6
# Above this many words a reply reads as a monologue rather than a conversational turn.
_WALL_WORDS = 120
# A turn this long in a counselling or coaching exchange is a lecture, not listening.
_MONOLOGUE_WORDS = 40


# Cue and Signals are built on every scored turn; a frozen dataclass's __init__ costs about
# 0.4 us per field (object.__setattr__ from Python), 15-20 us a turn for these two alone, so
# they are plain slotted records that nothing mutates after `analyse` returns.
@dataclass(slots=True)
class Cue:
    """One detected behaviour: the skill it bears on and the evidence span in the response."""

    skill: str
    evidence: Evidence


@dataclass(slots=True)
class Signals:
    """What the learner's reply did, as detected by the analytic rules.

    Shared by the scores, the tips and the offline counterpart (which reacts to e.g.
    `pressure`, `dismissive` or a complex `reflection`).
    """

    # EPITOME empathy mechanisms, 0 none / 1 weak / 2 strong.
    emotional_reactions: int
    interpretations: int
    explorations: int
    # MITI listening codes.
    reflection: Reflection
    question: Question
    reflections: int
    complex_reflections: int
    open_questions: int
    closed_questions: int
    main_behaviour: MainBehaviour
    advice_without_permission: bool
    advice_with_permission: bool
    confrontation: bool
    dismissive: bool
    # Pushes the fault away ("not my fault", "that wasn't me") instead of taking it in.
    deflects: bool
    pressure: bool
    proposal: bool
    # Share of the other person's content words taken up (0-1).
    builds_on_context: float
    # Share of the reply's words copied verbatim (as runs of 3) from the other's words.
    parroting: float
    ignores_question: bool
    off_topic: bool
    stock_empathy: int
    # Sentences that neither reflect, ask nor acknowledge feelings (information, advice, the
    # writer's own story): each one dilutes a listening turn.
    other_sentences: int
    backchannel: bool
    # The strong interpretation rests only on the writer's own story (EPITOME counts it; the
    # empathy score credits it fully only when tied to what the other person said).
    self_disclosure: bool
    # Clarity features.
    words: int
    sentences: int
    avg_sentence_length: float
    avg_syllables_per_word: float
    difficult_word_share: float
    readability: float
    fillers: int
    hedges: int
    repetition: float
    has_clear_point: bool
    has_clear_ask: bool
    concrete: bool
    cues: tuple[Cue, ...] = ()


@dataclass(frozen=True, slots=True)
class _Context:
    content: frozenset[str]
    # Lowercased words joined by single spaces and padded, for verbatim-copy checks.
    flat: str
    question_words: frozenset[str] | None
    # Their last statement, at most eight words, for tips that quote it back.
    said: str
    # Whether what they just said is painful (a tip may call it "a lot to carry") or neutral.
    said_painful: bool
    # They handed over the agenda ("You wanted a word?"): naming it answers them.
    invites_agenda: bool = False


def _stem(word: str) -> str:
    w = word.lower().replace("’", "'")
    if len(w) > 5 and w.endswith("ing"):
        return w[:-3]
    if len(w) > 4 and w.endswith("ed"):
        return w[:-2]
    if len(w) > 4 and w.endswith("ly"):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def _content_word(w: str) -> str:
    """The stemmed content word of a lowercased token, "" for a function word or a number.

    A possessive is the thing it names: "the trouble's" shares "trouble" with "in trouble",
    and "someone's" is as empty as "someone".
    """
    if w in lx.STOPWORDS:  # "let's", "it's"
        return ""
    if w.endswith("'s"):
        w = w[:-2]
    elif w.endswith("'"):
        w = w[:-1]
    if len(w) <= 2 or w in lx.STOPWORDS or w.isdigit():
        return ""
    return _stem(w)


# Word -> stemmed content word ("" for function words), memoised: conversation vocabulary is
# small, and this sits on the per-turn hot path.
_CONTENT_CACHE: dict[str, str] = {}


def _content_words(text: str) -> list[str]:
    return _content_of(_words(text.lower()))


def _has_content_word(text: str) -> bool:
    """`bool(_content_words(text))`, stopping at the first content word."""
    cache = _CONTENT_CACHE
    for w in _words(text.lower()):
        c = cache.get(w)
        if c is None:
            c = _remember_content_word(w)
        if c:
            return True
    return False


# Word -> (stemmed content word or "", syllables, 1 if unfamiliar else 0): everything the
# per-token features need, looked up once per token.
_TOKEN_INFO: dict[str, tuple[str, int, int]] = {}


def _token_info(w: str) -> tuple[str, int, int]:
    info = _TOKEN_INFO.get(w)
    if info is None:
        c = _content_word(w)
        n, familiar = word_info(w)
        info = (c, n, 0 if familiar else 1)
        if len(_TOKEN_INFO) > 200_000:
            _TOKEN_INFO.clear()
        _TOKEN_INFO[w] = info
    return info


def _content_of(tokens: list[str]) -> list[str]:
    """Stemmed content words of already lowercased tokens."""
    cache = _CONTENT_CACHE
    out: list[str] = []
    for w in tokens:
        c = cache.get(w)
        if c is None:
            c = _remember_content_word(w)
        if c:
            out.append(c)
    return out


def _remember_content_word(w: str) -> str:
    """`_content_word(w)`, stored in the bounded `_CONTENT_CACHE` (callers look it up
    there first: the hit is the hot path)."""
    if len(_CONTENT_CACHE) > 200_000:
        _CONTENT_CACHE.clear()
    c = _CONTENT_CACHE[w] = _content_word(w)
    return c


def said_something_painful(context: str) -> bool:
    """Whether the other person's turn names something painful (the judgement the tips use
    before calling it "a lot to carry"); the debrief's rewrite apologises only then."""
    return _context(context).said_painful


@lru_cache(maxsize=4096)
def _context(context: str) -> _Context:
    text = unwrap(context.replace("’", "'"))
    toks = _words(text.lower())
    content = _content_of(toks)
    flat = " " + " ".join(toks) + " " if toks else ""
    question_words: frozenset[str] | None = None
    if "?" in text:
        # The last question the other person asked, which the reply should address.
        for s in reversed([m.group().strip() for m in _SENTENCE.finditer(text)]):
            if s.endswith("?") and _RHETORICAL.fullmatch(s.lower()) is None:
                asked = frozenset(_content_words(s))
                # "And?", "Well?", "Are you sure?" ask them to go on: nothing an answer must
                # take up. "What will you do about it?" has no content word either, but asks.
                question_words = asked if asked or len(s.split()) > 3 else None
                break
    said = ""
    # Their last statement is near the end: eight words never need more than the tail.
    for piece in reversed(_SENTENCE_END.split(text[-160:])):
        # Not a bare "Okay." or "Right.": a tip would quote it back as if it mattered.
        if piece and not piece.endswith("?") and _has_content_word(piece):
            said = plain_words(piece)  # a tip quotes their words, not their Markdown
            break
    words = said.rstrip(".!?… \n").split()
    # Their whole turn, not only the quoted sentence: "I'm exhausted. I keep going." is painful.
    painful = not lx.PAINFUL_WORDS.isdisjoint(toks) or (
        not _PAINFUL_FIRST_WORDS.isdisjoint(toks) and any(p in flat for p in _PAINFUL_PHRASES)
    )
    if len(words) <= 8:
        said = " ".join(words)
    else:
        # Prefer their last whole clause that is short enough ("it's my credibility";
        # "My mum's just had surgery" before "and this party is the thing she ...") to a cut
        # mid-clause.
        clauses = [
            # "and it's my credibility" is quoted as "it's my credibility".
            c[1:] if len(c) > 3 and c[0].lower() in ("and", "but", "so", "or") else c
            for c in (c.split() for c in reversed(_CLAUSE_BREAK.split(" ".join(words))))
        ]
        clause = next(
            (
                c
                for i, c in enumerate(clauses)
                if 3 <= len(c) <= 8
                # An earlier clause only when it holds the painful part ("My mum's just had
                # surgery", not "As nice as she is").
                and (i == 0 or not lx.PAINFUL_WORDS.isdisjoint(w.lower().strip(".,!?") for w in c))
            ),
            None,
        )
        said = " ".join(clause) if clause else "…" + " ".join(words[-8:])
    invites = _AGENDA_INVITES.search(flat) is not None
    return _Context(frozenset(content), flat, question_words, said, painful, invites)


def topic_words(text: str) -> frozenset[str]:
    """The stemmed content words of `text` (e.g. a scenario's summary and brief), in the
    form `AnalyticScorer.analyse(..., topic=)` compares against."""
    return frozenset(_content_words(text.replace("’", "'")))


# What a tip says their words mean to them when nothing painful was said.
_MATTERS = "I get the sense that really matters to you."


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans as one ("That must be" + "must be hard" -> "That must be hard"), so
    one phrase is one piece of evidence."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _quoting(said: str, then: str) -> str:
    """A sentence for a tip that starts from their words when there are any."""
    return f'When you say "{said}", {then}' if said else then[:1].upper() + then[1:]


def _clamp(x: float) -> float:
    return 1.0 if x < 1.0 else 5.0 if x > 5.0 else x


class AnalyticScorer:
    """Rule-based scorer for empathy, active listening and clarity (name `heuristic`)."""

    name = "heuristic"
    rubric_version = RUBRIC_VERSION

    @staticmethod
    def warm() -> None:
        """Compile the phrase patterns that otherwise compile on first use (~1 s in all on a
        slow core); call it in a background thread. The session's move detection uses the
        same patterns, whichever scorer rates the turns."""
        _MATCHER.warm()

    async def score(self, context: str, response: str) -> TurnScore:
        return self.score_sync(context, response)

    # ---------------------------------------------------------------- detection

    def analyse(
        self, context: str, response: str, *, topic: frozenset[str] = frozenset()
    ) -> Signals:
        """Detect the behaviours in `response`, a reply to `context` (the other's words).

        `topic` (see `topic_words`) is what the whole conversation is about: a reply that
        shares no word with their last line but is about the topic is not off-topic. Scores
        leave it empty (their contract is the two texts); the offline counterpart passes
        its scenario's, so raising the feedback after small talk is not a change of subject.
        """
        # Same-length normalisation keeps offsets valid for the evidence spans.
        text = unwrap(response.replace("’", "'"))
        ctx = _context(context)
        cues: list[Cue] = []

        low = text.lower()
        if len(low) != len(text):
            # A few characters lowercase to two (e.g. "İ"): keep offsets aligned.
            low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        hits = _MATCHER.find_lower(low)

        def within(name: str, s: int, e: int) -> tuple[int, int] | None:
            spans = hits.get(name)
            return _first_within(spans, s, e) if spans else None

        def cue(skill: str, m: tuple[int, int], label: str, effect: Literal["+", "-"]) -> None:
            s, e = m
            cues.append(Cue(skill, Evidence(s, e, response[s:e], label, effect)))

        def cue_span(skill: str, s: int, e: int, label: str, effect: Literal["+", "-"]) -> None:
            cues.append(Cue(skill, Evidence(s, e, response[s:e], label, effect)))

        # --- tokens and sentences
        # One tokenisation pass over the lowercased text serves every feature below.
        low_tokens = _words(low)
        n_words = len(low_tokens)
        sent_spans: list[tuple[int, int]] = []
        for m in _SENTENCE.finditer(text):
            s, e = m.span()
            raw = m.group()
            ls = len(raw) - len(raw.lstrip())
            rs = len(raw.rstrip())
            if rs > ls and _WORD.search(raw):
                sent_spans.append((s + ls, s + rs))
        n_sent = max(1, len(sent_spans))

        # "It feels like you always get singled out" hands their view back; it is not the
        # reply's own charge.
        _keep_hits(hits, "confront", lambda sp: not _REPORTED_VIEW.search(low, 0, sp[0]))
        # "you don't think ..." describes them; only a subjectless "Don't think ..." is an
        # instruction. "So you have to ..." hands their obligation back.
        _keep_hits(
            hits,
            "advice",
            lambda sp: (
                not _SUBJECT_BEFORE.search(low, 0, sp[0])
                and not _hands_back_obligation(low, sent_spans, sp)
            ),
        )

        # --- overlap with the other person
        # Content words and readability counts in one pass over the tokens.
        resp_content: list[str] = []
        syl_total = difficult = 0
        tinfo = _TOKEN_INFO
        their_words = ctx.content
        for t in low_tokens:
            info = tinfo.get(t)
            if info is None:
                info = _token_info(t)
            if info[0]:
                resp_content.append(info[0])
            syl_total += info[1]
            # A word they used themselves ("usability") is not hard for them to read.
            if info[2] and info[0] not in their_words:
                difficult += 1
        resp_set = set(resp_content)
        shared = resp_set & ctx.content
        if ctx.content:
            builds = min(1.0, len(shared) / min(6.0, max(2.0, len(ctx.content) * 0.5)))
        else:
            builds = 0.0
        parroting = 0.0
        if ctx.flat and n_words >= 4:
            # Share of the reply's three-word chunks found verbatim in their words.
            it = iter(low_tokens)  # consecutive whole triples; a short tail is left out
            chunks = [f" {a} {b} {c} " for a, b, c in zip(it, it, it, strict=False)]
            copied = sum(1 for c in chunks if c in ctx.flat)
            parroting = copied / len(chunks)

        # --- sentence-level questions and reflections
        open_q = closed_q = refl = complex_refl = 0
        q_spans: list[tuple[int, int]] = []
        n_content_sent = other_sent = 0
        reflected: set[str] = set()
        # Dates, times and amounts offered rather than reported ("by Friday", not "since
        # Friday"): terms of a proposal, here and for clarity below.
        offered = [
            sp
            for sp in hits.get("proposal_detail", _NO_SPANS)
            if _offers_detail(low, sent_spans, sp, ctx.flat)
        ]
        for s, e in sent_spans:
            sent = low[s:e]
            lead = _LEAD.match(sent)
            off = lead.end() if lead else 0
            core = sent[off:]
            if not core or _BACKCHANNEL.match(sent):
                continue
            is_q = sent.rstrip("\"')]").endswith("?")
            is_open_start = _OPEN_START.match(core) is not None
            is_closed_start = _CLOSED_START.match(core) is not None
            if not is_q and (is_open_start or is_closed_start):
                # A question typed without "?" ("how old are you.", "what do you think").
                is_q = _UNPUNCTUATED_Q.match(core) is not None
            if is_q and not (is_open_start or is_closed_start):
                # "Not to sound harsh, but do you ...?": the question is in the last clause.
                clause = _LAST_CLAUSE.search(core)
                if clause is not None:
                    tail = core[clause.end() :]
                    is_open_start = _OPEN_START.match(tail) is not None
                    is_closed_start = _CLOSED_START.match(tail) is not None
            imperative_open = core.startswith(
                ("tell me", "describe", "walk me through", "help me understand")
            ) or (not is_q and _INDIRECT_QUESTION.search(core) is not None)
            refl_m = within("reflect", s, e)
            second = within("second", s + off, e) is not None
            core_content: list[str] | None = None
            short_kind = overlap_only = False
            kind = ""
            if is_q or imperative_open:
                if is_open_start or imperative_open or _OPEN_ANY.search(core):
                    kind = "open"
                elif (
                    is_closed_start
                    and not (
                        _DECLARATIVE_YOU.match(core) is not None
                        and core.count(" ") + 1 >= _RISING_REFLECTION_WORDS
                    )
                ) or _ASKS_AMOUNT.search(core) is not None:
                    kind = "closed"
                elif refl_m is not None or (second and len(core) > 12):
                    kind = "reflection"  # a statement with rising intonation ("So you're ...?")
                else:
                    kind = "closed"
            elif (
                refl_m is not None
                or (
                    second
                    and core[:4].startswith("you")
                    and within("advice", s + off, s + off + 12) is None
                )
                or (
                    ctx.content
                    and (second or len(core) < 50)
                    and not _FIRST_PERSON_START.match(core)
                    and len(
                        set(core_content := _content_of(_words(low[s + off : e]))) & ctx.content
                    )
                    >= 2
                )
            ):
                kind = "reflection"
                overlap_only = refl_m is None and core[:3] != "you"
            elif (
                # After a bare "Yeah." or "Mm-hmm." there are no words of theirs to take up: a
                # short statement about them ("And the evenings are when it gets to you.")
                # goes on with the reflection they are nodding along to.
                (ctx.content or (second and ctx.flat != ""))
                and not _FIRST_PERSON_START.match(core)
                and not _BARE_VERB_START.match(core)
                and _SHORT_REFLECTION_WORDS[0] <= core.count(" ") + 1 <= _SHORT_REFLECTION_WORDS[1]
                and (
                    second
                    or len(
                        set(
                            core_content
                            if core_content is not None
                            else _content_of(_words(low[s + off : e]))
                        )
                        & ctx.content
                    )
                    >= 1
                )
            ):
                kind = "reflection"
                short_kind = overlap_only = True
            # The same reflection again ("That must be hard. That must be hard.") reflects
            # nothing new: it is padding, not a second reflection.
            repeated = kind == "reflection" and core in reflected
            if kind == "reflection" and (
                (overlap_only and _CORRECTIVE.search(core) is not None)
                # "Thanks for the offer, I'm excited": thanking them for what they said
                # reuses their words without reflecting them.
                or (overlap_only and _COURTESY.match(core) is not None)
                or repeated
                or _YOU_DIRECTIVE.match(core) is not None
                or within("advice", s, e) is not None
                or within("deflect", s, e) is not None
                or within("confront", s, e) is not None
                or _IMPERATIVE_START.match(sent) is not None
                or _IMPERATIVE_START.match(core) is not None
            ):
                kind = ""
            if kind in ("open", "closed") or (is_q and kind == "reflection"):
                # A reflection asked back ("So you feel ...?") invites them on like a question.
                q_spans.append((s, e))
            if kind == "open":
                open_q += 1
                cue_span("active_listening", s, e, "open question", "+")
            elif kind == "closed":
                closed_q += 1
                cue_span("active_listening", s, e, "closed question", "+")
            elif kind == "reflection":
                reflected.add(core)
                refl += 1
                if core_content is None:
                    core_content = _content_of(_words(low[s + off : e]))
                core_words = set(core_content)
                new_words = core_words - ctx.content
                # "That must be hard" alone is a formula; "... juggling the rehab visits"
                # carries their situation.
                stock_must = (
                    refl_m is not None
                    and low.startswith(("that must", "it must", "this must"), refl_m[0])
                    and not _content_of(_words(low[refl_m[1] : e]))
                )
                is_complex = not stock_must and (
                    within("feeling", s + off, e) is not None
                    or (
                        refl_m is not None
                        and low[refl_m[0] : refl_m[1]].startswith(
                            ("sound", "it sound", "it seem", "that sound", "part", "on ")
                        )
                    )
                    or (len(new_words) >= 4 and len(core_words) >= 6 and not short_kind)
                )
                if is_complex:
                    complex_refl += 1
                cue_span(
                    "active_listening",
                    s,
                    e,
                    "complex reflection" if is_complex else "simple reflection",
                    "+",
                )
            if not kind and (
                repeated
                or (
                    _COURTESY.match(core) is None
                    and _AGENDA.match(core) is None
                    and within("er_strong", s, e) is None
                    and within("er_weak", s, e) is None
                    and within("ip_weak", s, e) is None
                    and not (
                        # An offer that takes up what they asked for ("cards by Friday") answers
                        # them; it is not a lecture.
                        (
                            within("proposal", s, e) is not None
                            or (
                                _COMMITS.search(low, s, e) is not None
                                and any(s <= sp[0] and sp[1] <= e for sp in offered)
                            )
                        )
                        and not ctx.content.isdisjoint(
                            core_content
                            if core_content is not None
                            else _content_of(_words(low[s + off : e]))
                        )
                    )
                )
            ):
                # Neither reflects, asks nor acknowledges their feelings.
                other_sent += 1
            n_content_sent += 1

        reflection: Reflection = "complex" if complex_refl else "simple" if refl else "none"
        question: Question = "open" if open_q else "closed" if closed_q else "none"
        if parroting >= 0.7 and reflection == "complex":
            reflection = "simple"  # verbatim copying adds no meaning

        # --- empathy mechanisms
        er = 0
        for sp in hits.get("er_strong", _NO_SPANS):
            er = 2
            cue("empathy", sp, "emotional reaction", "+")
        if er == 0:
            for sp in hits.get("er_weak", _NO_SPANS):
                er = 1
                cue("empathy", sp, "warmth", "+")
        if er == 0 and hits.get("second", _NO_SPANS) and hits.get("warm", _NO_SPANS):
            er = 1
            cue("empathy", hits.get("warm", _NO_SPANS)[0], "warmth", "+")
        # EPITOME codes a strong interpretation when the reply conveys understanding through
        # a specific inference ("sounds like you ...") or the writer's own similar experience
        # (several first-person statements); generic "I understand" is weak.
        self_refs = len(hits.get("self", _NO_SPANS)) - len(hits.get("not_self", _NO_SPANS))
        inference = hits.get("ip_specific", _NO_SPANS)
        ip = 0
        # One first-person line with a marker of likeness ("Same here, I ...", "I lost mine
        # too") is already the writer's own similar experience.
        similar = self_refs == 1 and bool(hits.get("similar"))
        shares = (self_refs >= 2 or similar) and not hits.get("deflect")
        if inference or shares:
            ip = 2
            for sp in _merged(inference)[:2]:
                cue("empathy", sp, "conveys understanding", "+")
            if not inference:
                strong = hits.get("ip_strong", _NO_SPANS)[:2]
                for sp in strong:
                    cue("empathy", sp, "shares a similar experience", "+")
                # Not the bare "I": the sentence that says most about the writer.
                told = [_sentence_at(sent_spans, sp[0]) for sp in hits.get("self", _NO_SPANS)]
                sentences = [t for t in told if t is not None]
                if sentences and not strong:
                    most = max(sentences, key=sentences.count)
                    cue_span("empathy", *most, "shares a similar experience", "+")
        elif hits.get("ip_strong", _NO_SPANS) or hits.get("ip_weak", _NO_SPANS):
            ip = 1
            for sp in (hits.get("ip_weak", _NO_SPANS) or hits.get("ip_strong", _NO_SPANS))[:2]:
                cue("empathy", sp, "generic understanding", "+")
        ex = 0
        for sp in hits.get("ex_generic", _NO_SPANS):
            ex = 1
            cue("empathy", sp, "invites more", "+")
        for s, e in q_spans:
            # A question about them, or about the things they mentioned, explores their
            # experience; "What is CTE?" asks about their words without a "you". Questions
            # about oneself ("Why am I like this?") and offers ("Do you want to talk?") do
            # not, and a stock opener ("What's wrong?") only invites more.
            q_low = low[s:e]
            if _SELF_OR_OFFER_Q.search(q_low) is not None or _TAG_QUESTION.search(q_low):
                continue
            # Words left once the stock ones go ("What makes you feel like this?" has none).
            specific = set(_content_of(_words(q_low))) - _GENERIC_Q_WORDS
            shared_q = bool(specific & ctx.content)
            if not specific or (within("ex_generic", s, e) is not None and not shared_q):
                ex = max(ex, 1)
            elif within("second", s, e) is not None or shared_q or within("feeling", s, e):
                ex = 2
                cue_span("empathy", s, e, "explores their experience", "+")
                break

        # --- costs
        permission = bool(hits.get("permission", _NO_SPANS))
        advice_hits = hits.get("advice", _NO_SPANS)
        advice_wo = bool(advice_hits) and not permission
        for sp in advice_hits[:2]:
            cue(
                "active_listening",
                sp,
                "advice with permission" if permission else "advice without permission",
                "+" if permission else "-",
            )
        confront_hits = hits.get("confront", _NO_SPANS)
        for sp in confront_hits[:2]:
            cue("active_listening", sp, "confrontation", "-")
            cue("empathy", sp, "blaming or judging", "-")
        dismiss_hits = hits.get("dismissive", _NO_SPANS)
        deflect_hits = hits.get("deflect", _NO_SPANS)
        for sp in deflect_hits[:1]:
            cue("active_listening", sp, "pushes the blame away", "-")
        for sp in dismiss_hits[:2]:
            cue("empathy", sp, "minimises feelings", "-")
        pressure_hits = hits.get("pressure", _NO_SPANS)
        for sp in pressure_hits[:2]:
            cue("active_listening", sp, "pressure", "-")
        proposal_hits = hits.get("proposal", _NO_SPANS)
        if offered:
            proposal_hits = sorted(proposal_hits + offered)
        for sp in proposal_hits[:1]:
            cue("clarity", sp, "concrete proposal", "+")
        stock_hits = hits.get("stock", _NO_SPANS)
        for sp in stock_hits[1:3]:
            cue("empathy", sp, "repeated stock phrase", "-")

        backchannel = n_words <= 6 and _BACKCHANNEL.match(low) is not None
        small_talk = _SMALL_TALK_ONLY.match(low) is not None

        # --- topic handling
        shift = (
            hits.get("topic_shift", _NO_SPANS)[0] if hits.get("topic_shift", _NO_SPANS) else None
        )
        off_topic = False
        # They handed over the agenda ("You wanted a word?") and the reply names it ("I wanted
        # to talk about ..."): neither off-topic nor their question left unanswered. Small
        # talk ("Nice weather out there") does not take it up.
        agenda_taken = ctx.invites_agenda and _AGENDA.search(low) is not None
        if (
            len(ctx.content) >= 2
            and len(resp_set) >= 3
            and not backchannel
            and not small_talk
            and not agenda_taken
        ):
            # A concrete proposal answers "what do I need?" in its own words ("a meeting
            # with the VP on Thursday"): engaging, not off-topic.
            if (
                not shared
                and not refl
                and er == 0
                and ip == 0
                and ex == 0
                and not proposal_hits
                and topic.isdisjoint(resp_set)
            ):
                off_topic = True
            if shift is not None and len(shared) <= 1:
                off_topic = True
        if off_topic:
            if shift is not None:
                cue("active_listening", shift, "switches topic", "-")
            elif sent_spans:
                cue_span("active_listening", *sent_spans[0], "does not connect to their words", "-")
        ignores_question = False
        if ctx.question_words is not None and not backchannel and not agenda_taken:
            # A concrete commitment answers "what will you do about it?" even in other words.
            # "Thanks for meeting. I want to talk about ...": the answer starts after the thanks.
            start = 0
            if len(sent_spans) > 1 and _COURTESY.match(low, sent_spans[0][0]) is not None:
                start = sent_spans[1][0]
            addressed = (
                bool(ctx.question_words & resp_set)
                or _ANSWER_START.match(low) is not None
                or (start > 0 and _ANSWER_START.match(low[start:]) is not None)
                or bool(proposal_hits)
            )
            ignores_question = not addressed
            if ignores_question and sent_spans:
                cue_span(
                    "active_listening", *sent_spans[0], "leaves their question unanswered", "-"
                )

        # --- clarity features
        n_letters_words = n_words
        ease = ease_from(n_words, n_sent, syl_total, difficult)
        filler_hits = hits.get("fillers", _NO_SPANS)
        hedge_hits = hits.get("hedges", _NO_SPANS)
        for sp in filler_hits[:2]:
            cue("clarity", sp, "filler", "-")
        if len(hedge_hits) >= 2:
            for sp in hedge_hits[:2]:
                cue("clarity", sp, "hedge", "-")
        # Repetition: share of sentences that repeat an earlier one, plus repeated trigrams.
        seen: set[str] = set()
        dup_sent = 0
        for s, e in sent_spans if len(sent_spans) > 1 else ():
            key = " ".join(_words(low[s:e]))
            if key in seen:
                dup_sent += 1
                cue_span("clarity", s, e, "repeats itself", "-")
            seen.add(key)
        n_tri = n_words - 2
        tri_rep = 0.0
        if n_tri >= 6:
            after = islice(low_tokens, 1, None)
            trigrams = zip(low_tokens, after, islice(low_tokens, 2, None), strict=False)
            tri_rep = 1.0 - len(set(trigrams)) / n_tri
        repetition = max(dup_sent / n_sent, tri_rep)
        ask_m = hits.get("clear_ask", _NO_SPANS)[0] if hits.get("clear_ask", _NO_SPANS) else None
        has_ask = ask_m is not None or bool(proposal_hits) or bool(q_spans)
        if ask_m is not None:
            cue("clarity", ask_m, "clear ask or next step", "+")
        concrete = _DIGIT.search(text) is not None or bool(proposal_hits)
        has_point = n_words >= 3 and (
            n_sent <= 3
            or has_ask
            or (sent_spans and len(_words(text[sent_spans[0][0] : sent_spans[0][1]])) <= 20)
        )
        avg_len = n_words / n_sent if n_words else 0.0
        if avg_len > 28 and sent_spans:
            longest = max(sent_spans, key=lambda p: p[1] - p[0])
            cue_span("clarity", *longest, "very long sentence", "-")

        if (
            refl
            and not (open_q + closed_q)
            and n_words > _MIXED_TURN_WORDS
            and refl < n_content_sent
        ):
            main: MainBehaviour = "other"
        elif open_q + closed_q:
            # A question with a reflection after it ("How do your evenings go? You said the
            # gym keeps slipping.") is still what they will answer: the reflection is its
            # context. AnnoMI codes such turns as questions, whichever comes first.
            main = "question"
        elif refl:
            main = "reflection"
        else:
            main = "other"

        return Signals(
            emotional_reactions=er,
            interpretations=ip,
            explorations=ex,
            reflection=reflection,
            question=question,
            reflections=refl,
            complex_reflections=complex_refl,
            open_questions=open_q,
            closed_questions=closed_q,
            main_behaviour=main,
            advice_without_permission=advice_wo,
            advice_with_permission=bool(advice_hits) and permission,
            confrontation=bool(confront_hits),
            dismissive=bool(dismiss_hits),
            deflects=bool(deflect_hits),
            pressure=bool(pressure_hits),
            proposal=bool(proposal_hits),
            builds_on_context=round(builds, 3),
            parroting=round(parroting, 3),
            ignores_question=ignores_question,
            off_topic=off_topic,
            stock_empathy=len(stock_hits),
            other_sentences=other_sent,
            self_disclosure=ip == 2 and not inference,
            backchannel=backchannel,
            words=n_words,
            sentences=len(sent_spans),
            avg_sentence_length=round(avg_len, 2),
            avg_syllables_per_word=round(syl_total / n_letters_words, 3)
            if n_letters_words
            else 0.0,
            difficult_word_share=round(difficult / n_letters_words, 3) if n_letters_words else 0.0,
            readability=round(ease, 3),
            fillers=len(filler_hits),
            hedges=len(hedge_hits),
            repetition=round(repetition, 3),
            has_clear_point=bool(has_point),
            has_clear_ask=has_ask,
            concrete=concrete,
            cues=tuple(cues),
        )

    # ---------------------------------------------------------------- scoring

    def score_sync(self, context: str, response: str) -> TurnScore:
        """Score one reply synchronously (the async `score` wraps this)."""
        sig = self.analyse(context, response)
        ctx = _context(context)  # the cached entry analyse just built
        return TurnScore(
            empathy=self._empathy(sig, ctx),
            active_listening=self._listening(sig, ctx),
            clarity=self._clarity(sig),
            scorer=self.name,
            rubric_version=self.rubric_version,
        )

    @staticmethod
    def _evidence(sig: Signals, skill: str) -> tuple[Evidence, ...]:
        out: list[Evidence] = []
        seen: set[tuple[int, int, str]] = set()
        for c in sig.cues:
            if c.skill != skill:
                continue
            key = (c.evidence.start, c.evidence.end, c.evidence.label)
            if key in seen:
                continue
            seen.add(key)
            out.append(c.evidence)
            if len(out) >= _MAX_EVIDENCE:
                break
        return tuple(out)

    def _empathy(self, sig: Signals, ctx: _Context) -> SkillScore:
        # Each mechanism is worth up to ~1.2 points; specifics (building on their words) make
        # the difference between a formula and real understanding.
        ip = sig.interpretations
        if sig.self_disclosure and sig.builds_on_context < 0.2:
            ip = 1  # talking about oneself without connecting to their situation
        x = 1.0 + 0.55 * sig.emotional_reactions + 0.6 * ip
        x += 0.55 * sig.explorations + 0.5 * sig.builds_on_context
        if sig.complex_reflections:
            x += 0.3
        if sig.stock_empathy >= 2:
            x -= 0.4 * (sig.stock_empathy - 1)
        if sig.dismissive:
            x -= 1.2
        if sig.confrontation:
            x -= 1.2
        if sig.deflects:
            x -= 0.6
        if sig.advice_without_permission:
            x -= 0.3
        if sig.off_topic:
            x -= 0.8
        if sig.parroting >= 0.7:
            x -= 0.8
        if sig.words > _WALL_WORDS:
            x -= 0.3
        score = _clamp(x)
        details = {
            "emotional_reactions": sig.emotional_reactions,
            "interpretations": sig.interpretations,
            "explorations": sig.explorations,
        }
        if sig.dismissive:
            weight = (
                "it sounds like that has really been weighing on you."
                if ctx.said_painful
                else _MATTERS
            )
            tip = (
                "Drop the minimising phrase and name the feeling instead: "
                f"'{_quoting(ctx.said, weight)}'"
            )
        elif sig.confrontation:
            tip = (
                "Replace the judgement with curiosity: 'Help me understand what happened "
                "from your side.'"
            )
        elif sig.deflects:
            tip = (
                "Take in what they said before saying whose it was: 'You're right, that "
                "isn't good enough. Let me look at what went wrong.'"
            )
        elif sig.stock_empathy >= 2:
            tip = (
                "Say the empathy once, in your own words and about their situation, instead "
                "of repeating a stock phrase."
            )
        elif sig.interpretations < 2:
            meaning = (
                "that sounds like a lot to carry."
                if ctx.said_painful
                else _MATTERS
                if ctx.said
                else "it sounds like this really matters to you."
            )
            tip = (
                "Show you understood their experience, not just the facts: "
                f"'{_quoting(ctx.said, meaning)}'"
            )
        elif sig.explorations == 0:
            invite = (
                "how has that been for you?" if ctx.said_painful else "what does that mean for you?"
            )
            tip = (
                f"Invite them to say more about how it affects them: '{_quoting(ctx.said, invite)}'"
            )
        elif sig.emotional_reactions == 0:
            tip = (
                "Add a sentence of warmth or concern, e.g. "
                "'I'm sorry you've been dealing with this.'"
            )
        else:
            tip = "Keep naming their feelings specifically; tie your concern to what they said."
        return SkillScore("empathy", score, self._evidence(sig, "empathy"), tip, details)

    def _listening(self, sig: Signals, ctx: _Context) -> SkillScore:
        x = 1.4
        if sig.reflection == "complex":
            x += 1.9
        elif sig.reflection == "simple":
            x += 1.1
        # A second reflective sentence (e.g. both sides of ambivalence) deepens the listening.
        x += 0.25 * min(max(0, sig.reflections - 1), 2)
        if sig.question == "open":
            x += 0.8
        elif sig.question == "closed":
            x += 0.35
        x += 0.9 * sig.builds_on_context
        n_q = sig.open_questions + sig.closed_questions
        if n_q >= 3 and sig.reflections == 0:
            x -= 0.35 * (n_q - 2)  # question after question without listening
        if sig.stock_empathy >= 3:
            # "I understand how you feel. That must be hard." again and again: formulas,
            # not reflections of what they said.
            x -= 0.4 * (sig.stock_empathy - 2)
        if sig.backchannel:
            x = max(x, 2.0)
        if sig.advice_without_permission:
            x -= 0.7
        if sig.confrontation:
            x -= 1.0
        if sig.deflects:
            x -= 0.5
        if sig.dismissive:
            x -= 0.8
        if sig.pressure:
            x -= 0.5
        if sig.ignores_question:
            x -= 0.8
        if sig.off_topic:
            x -= 1.0
        x -= 0.4 * min(sig.other_sentences, 3)
        if sig.parroting >= 0.7:
            x = min(x, 3.0)
        if sig.words > _WALL_WORDS:
            x -= min(1.0, (sig.words - _WALL_WORDS) / 120)
        score = _clamp(x)
        details = {"reflection": sig.reflection, "question": sig.question}
        if sig.ignores_question:
            tip = "They asked you something: answer it first, then add your point."
        elif sig.off_topic:
            tip = (
                f'Stay with what they raised ("{ctx.said}") before moving to your own topic.'
                if ctx.said
                else "Stay with what they raised before moving to your own topic."
            )
        elif sig.parroting >= 0.7:
            tip = (
                "Rephrase rather than repeat: say what you think it means to them, "
                "e.g. 'So what matters most to you is ...'"
            )
        elif sig.reflection == "none":
            tip = (
                "Before answering, reflect what you heard in your own words: "
                f"'{_quoting(ctx.said, 'it sounds like ...')}'"
            )
        elif n_q >= 3:
            tip = "Ask one question at a time, and reflect their answer before the next one."
        elif sig.advice_without_permission:
            tip = "Ask before advising: 'Would it help if I shared an idea?'"
        elif sig.reflection == "simple":
            tip = (
                "Go one step beyond their words: add the feeling or meaning you sense, "
                "e.g. 'and that leaves you worried about ...'"
            )
        elif sig.question == "none":
            tip = (
                "Follow your reflection with an open question: "
                "'What matters most to you about this?'"
            )
        else:
            tip = "Keep the ratio: two reflections for every question."
        return SkillScore(
            "active_listening", score, self._evidence(sig, "active_listening"), tip, details
        )

    def _clarity(self, sig: Signals) -> SkillScore:
        if sig.words == 0:
            return SkillScore(
                "clarity",
                1.0,
                (),
                "Write a reply: say your main point in one sentence.",
                {"words": 0},
            )
        x = 1.6 + 2.0 * sig.readability
        if sig.has_clear_point:
            x += 0.4
        if sig.has_clear_ask:
            x += 0.4
        if sig.concrete:
            x += 0.3
        x -= 0.25 * min(sig.fillers, 4)
        x -= 0.12 * max(0, sig.hedges - 1)
        x -= 2.0 * sig.repetition
        if sig.avg_sentence_length > 25:
            x -= min(1.0, (sig.avg_sentence_length - 25) / 20)
        if sig.words > _WALL_WORDS:
            x -= min(1.5, (sig.words - _WALL_WORDS) / 100)
        if sig.words < 3 and not sig.backchannel:
            x = min(x, 3.0)
        if sig.off_topic:
            x -= 0.5
        score = _clamp(x)
        details = {
            "avg_sentence_length": sig.avg_sentence_length,
            "difficult_word_share": sig.difficult_word_share,
            "readability": sig.readability,
            "fillers": sig.fillers,
            "hedges": sig.hedges,
            "repetition": sig.repetition,
            "has_clear_ask": sig.has_clear_ask,
            "concrete": sig.concrete,
        }
        if sig.words > _WALL_WORDS:
            tip = (
                "Cut it to your main point and one ask; three short sentences beat a wall of text."
            )
        elif sig.repetition >= 0.2:
            tip = "Say each thing once; cut the repeated sentences."
        elif sig.fillers >= 2:
            tip = "Drop fillers like 'um', 'basically', 'you know'; start with your point."
        elif sig.avg_sentence_length > 25:
            tip = "Split long sentences: one idea per sentence, under 20 words."
        elif sig.hedges >= 3:
            tip = "Commit to your point: remove hedges like 'maybe', 'I guess', 'kind of'."
        elif not sig.has_clear_ask:
            tip = (
                "End with a clear ask or next step, "
                "e.g. 'Could we agree on Friday for a first draft?'"
            )
        elif not sig.concrete:
            tip = "Make it concrete: add a number, a date or an example."
        else:
            tip = "Clear and to the point; keep leading with the main point."
        return SkillScore("clarity", score, self._evidence(sig, "clarity"), tip, details)


def session_metrics(signals: Iterable[Signals]) -> dict[str, float]:
    """MITI-style summary over a learner's turns (reflections per question and shares).

    DESIGN.md thresholds: reflections per question >= 1 fair, >= 2 good; complex share >= 40%
    fair, >= 50% good.
    """
    turns = refl = cx = oq = cq = enc = warm = costs = mono = 0
    for s in signals:
        turns += 1
        enc += s.backchannel
        warm += s.emotional_reactions > 0
        costs += s.advice_without_permission or s.confrontation or s.dismissive
        mono += s.words > _MONOLOGUE_WORDS
        if s.main_behaviour == "reflection":
            refl += 1
            cx += 1 if s.reflection == "complex" else 0
        elif s.main_behaviour == "question":
            oq += 1 if s.question == "open" else 0
            cq += 1 if s.question == "closed" else 0
    q = oq + cq
    return {
        "turns": float(turns),
        "reflections": float(refl),
        "questions": float(q),
        "reflection_to_question": refl / q if q else float(refl),
        "reflection_rate": refl / turns if turns else 0.0,
        "complex_reflection_share": cx / refl if refl else 0.0,
        "open_question_share": oq / q if q else 0.0,
        "minimal_encourager_rate": enc / turns if turns else 0.0,
        "warmth_rate": warm / turns if turns else 0.0,
        "advice_or_confront_rate": costs / turns if turns else 0.0,
        "monologue_rate": mono / turns if turns else 0.0,
        # MI-consistent listening: let them talk (encouragers), warmth; MI-inconsistent:
        # unsolicited advice, confrontation, lectures. The best separator of high- from
        # low-quality AnnoMI sessions among the scorer's own codes.
        "listening_index": (enc + warm - costs - mono) / turns if turns else 0.0,
    }
