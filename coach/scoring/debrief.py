"""The end-of-session debrief: one strength, one improvement, and the weakest turn rewritten.

Numbers alone do not change behaviour; a learner needs to see their own words next to what a
better reply would have said. The debrief picks the strongest and the weakest skill of the
session, anchors each in a quote from the learner's own turns, and rewrites the weakest turn
for its weakest skill: with an LLM when one is configured (`prompts/debrief.md`, fenced data,
the judge's fallback/repair/retry handling), otherwise offline from the evidence and the
rubric (reflect the other person's words, acknowledge the feeling, cut fillers and hedges,
ask permission before advice, turn a closed question into an open one, add a clear next
step). When a scorer is given the rewrite is re-scored, and offline the variant that scores
best on the targeted skill is kept, so the "better version" is better by the same measure; a
model's rewrite that scores no higher than the learner's reply, or that copies the prompt's
output example, gives way to the offline one, with a note saying so.

Plain dataclasses with `to_dict()` and a Markdown export; no UI imports.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from coach.printable import markdown_literal
from coach.scoring import lexicons as lx
from coach.scoring.aggregate import ScoredTurn, SessionSummary, Weights, aggregate, flagged
from coach.scoring.analytic import said_something_painful, unwrap
from coach.scoring.plain import plain_words
from coach.scoring.rubric import RUBRIC
from coach.scoring.rubric import render_markdown as render_rubric
from coach.scoring.types import (
    SKILL_LABELS,
    SKILLS,
    Evidence,
    Scorer,
    ScoringError,
    Skill,
    TurnScore,
)
from coach.wording import counted

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from coach.llm.meter import UsageMeter
    from coach.scoring.judge import Sleep
    from coach.settings import Settings


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Highlight:
    """A strength or an improvement, anchored in a quote of the learner's turn.

    `start`/`end` are offsets of `quote` in that turn's text (-1 when there is no quote).
    """

    kind: Literal["strength", "improvement"]
    skill: Skill
    turn: int
    quote: str
    start: int
    end: int
    message: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "skill": self.skill,
            "turn": self.turn,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "message": self.message,
            "score": round(self.score, 2),
        }


@dataclass(frozen=True, slots=True)
class RewriteDraft:
    text: str
    changes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rewrite:
    """A better version of one turn, aimed at one skill, and how the scorer rated both."""

    turn: int
    skill: Skill
    context: str
    original: str
    rewritten: str
    method: Literal["llm", "offline"]
    changes: tuple[str, ...]
    original_score: float
    rewritten_score: float | None = None
    scorer: str | None = None
    # Why the rewrite is not what was asked for (the model failed: the offline one instead).
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "turn": self.turn,
            "skill": self.skill,
            "original": self.original,
            "rewritten": self.rewritten,
            "method": self.method,
            "changes": list(self.changes),
            "original_score": round(self.original_score, 2),
            "rewritten_score": (
                None if self.rewritten_score is None else round(self.rewritten_score, 2)
            ),
            "scorer": self.scorer,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Debrief:
    summary: SessionSummary
    strength: Highlight | None
    improvement: Highlight | None
    rewrite: Rewrite | None
    unscored: int = 0  # learner turns left out because their scoring failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary.to_dict(),
            "strength": self.strength.to_dict() if self.strength else None,
            "improvement": self.improvement.to_dict() if self.improvement else None,
            "rewrite": self.rewrite.to_dict() if self.rewrite else None,
            "unscored": self.unscored,
        }


class Rewriter(Protocol):
    name: Literal["llm", "offline"]

    async def rewrite(
        self, context: str, response: str, score: TurnScore, skill: Skill
    ) -> list[RewriteDraft]:
        """Candidate rewrites, best guess first (the debrief may re-score and pick)."""
        ...


# --------------------------------------------------------------------------- text helpers


def _compile(patterns: Sequence[str]) -> re.Pattern[str]:
    return re.compile(
        r"(?<![\w'])(?:" + "|".join(f"(?:{p})" for p in patterns) + r")(?![\w'])", re.IGNORECASE
    )


_FILLER = _compile(lx.FILLERS)
_HEDGE = _compile(lx.HEDGES)
_ADVICE = _compile(lx.ADVICE)
_PERMISSION = _compile(lx.PERMISSION)
_DISMISSIVE = _compile(lx.DISMISSIVE)
_CLOSED_START = re.compile(
    r"^\W*(?:" + "|".join(f"(?:{p})" for p in lx.CLOSED_QUESTION_STARTS) + r")(?![\w'])",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)", re.MULTILINE)  # a line break ends one too

# Feeling stems -> (how the situation sounds, how the person feels).
_FEELINGS: tuple[tuple[str, str, str], ...] = (
    (r"frustrat\w*", "frustrating", "frustrated"),
    (r"worr\w*|anxi\w*|nervous|scared|afraid", "worrying", "worried"),
    (r"stress\w*|pressure", "stressful", "under pressure"),
    (r"exhaust\w*|tired|drained|burn(?:ed|t)? out", "exhausting", "worn out"),
    (r"disappoint\w*|let down", "disappointing", "let down"),
    (r"angry|furious|annoy\w*|upset|fed up", "upsetting", "upset"),
    (r"overwhelm\w*|too much", "overwhelming", "overwhelmed"),
    (r"unfair|ignored|overlooked|undervalued", "unfair", "overlooked"),
    (r"hurt\w*|sad|unhappy", "painful", "hurt"),
    (r"confus\w*|unclear|lost", "confusing", "unsure where you stand"),
    (r"embarrass\w*|ashamed", "embarrassing", "embarrassed"),
    (r"late|delay\w*|slipp\w*|again|waiting|wait", "frustrating", "frustrated"),
)

_SWAPS = {
    "i am": "you are",
    "i was": "you were",
    "i'm": "you're",
    "i've": "you've",
    "i'd": "you'd",
    "i'll": "you'll",
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "we're": "you're",
    "we've": "you've",
    "we": "you",
    "us": "you",
    "our": "your",
    "ours": "yours",
    "you're": "we're",
    "you've": "we've",
    "you": "we",
    "your": "our",
    "yours": "ours",
}
_SWAP_RE = re.compile(
    r"(?<![\w'])("
    + "|".join(sorted((re.escape(k) for k in _SWAPS), key=len, reverse=True))
    + r")(?![\w'])",
    re.IGNORECASE,
)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(unwrap(text)) if s.strip()]


def _norm(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'")


# Words after which "you" is a subject ("... and you said"); after anything else it is an
# object, said back as "me" ("put you forward" -> "put me forward", not "put we forward").
_SUBJECT_AFTER = re.compile(
    r"(?:^|[,;:.!?—–-]|(?<![\w'])(?:and|but|or|so|that|if|when|because|since|while|as|where|"
    r"what|how|why|who|then|unless|until|though|although|"
    # Verbs that take a clause: "I know you tried" -> "you know we tried".
    r"know|knew|think|thought|said|say|feel|felt|hope|guess|believe|wish|bet|suppose|"
    r"realise|realize|mean|meant|sure|glad|afraid))\s*$",
    re.IGNORECASE,
)


def _swap_person(text: str) -> str:
    """Reflect someone's words back: "I lost my weekend" -> "you lost your weekend"."""
    text = _norm(text)

    def swap(m: re.Match[str]) -> str:
        word = m.group(1).lower()
        if word == "you" and _SUBJECT_AFTER.search(text, 0, m.start()) is None:
            return "me"
        return _SWAPS[word]

    return _SWAP_RE.sub(swap, text)


def _feeling(text: str) -> tuple[str, str] | None:
    for pattern, sounds, feels in _FEELINGS:
        if re.search(rf"(?<![\w']){pattern}(?![\w'])", text, re.IGNORECASE):
            return sounds, feels
    return None


def _tidy(text: str) -> str:
    text = re.sub(r"\s+([,.!?;:])", r"\1", text)
    text = re.sub(r"([,;:])\s*([,.!?;:])", r"\2", text)
    text = re.sub(r"^[\s,;:.-]+", "", text)
    text = re.sub(r"\s{2,}", " ", text).strip()
    return text[:1].upper() + text[1:] if text else text


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


# Said back as "It sounds like you were out of line", a self-criticism reads as agreeing
# with it.
_SELF_BLAME = re.compile(
    r"\b(?:my (?:own )?fault|out of line|i (?:messed|screwed) up|i was wrong|"
    r"i'?m (?:an idiot|useless|stupid|the problem)|i should(?:n't| not) have)\b",
    re.IGNORECASE,
)
# "It sounds like ..." needs a clause with a subject: "Just a busy patch" or "If this is
# about stand-up, I know" make no sentence after it.
_SUBJECT_START = re.compile(
    r"^(?:i|i'm|i've|i'd|i'll|we|we're|we've|my|our|it|it's|they|they're|their|he|he's|his|"
    r"she|she's|her|this|that|that's|there|there's|everyone|everybody|nobody|no one|people|"
    r"the|someone|you|you're|you've|your)(?![\w'])",
    re.IGNORECASE,
)
# "It's fine" says nothing to reflect: it is what the learner is trying to get past.
_BRUSH_OFF = re.compile(
    r"^(?:it'?s|i'?m|that'?s|everything'?s|all) (?:fine|ok|okay|nothing|alright|all right|good)"
    r"(?![\w'])",
    re.IGNORECASE,
)
# A sentence that is only a backchannel ("Ok.") adds nothing to a rewrite.
_BACKCHANNEL = re.compile(
    r"^(?:ok|okay|right|sure|yeah|yes|mm+|hmm+|alright|all right)\W*$", re.IGNORECASE
)
# A greeting opens a reply; a rewrite keeps it first.
_GREETING = re.compile(
    r"^(?:hi|hello|hey|good (?:morning|afternoon|evening)|thanks for|thank you for)(?![\w'])",
    re.IGNORECASE,
)


# "You know I turned down an offer?" is news said as a question; "Because I believed in it"
# is a statement after its reason word. Both reflect once the opener goes.
_NEWS_OPENER = re.compile(
    r"^(?:(?:but|and|so) )?you know,? (?=(?:i|i'm|i've|i'd|we|we're|my|our)(?![\w']))",
    re.IGNORECASE,
)
_REASON_OPENER = re.compile(r"^(?:because|since|cause|'cause) ", re.IGNORECASE)
# "I still might." or "We could.": the verb is missing, and "It sounds like you still might"
# is not a sentence.
_ENDS_ON_AUXILIARY = re.compile(
    r"(?<![\w'])(?:might|may|must|can|could|will|would|shall|should|do|does|did|am|is|are|"
    r"was|were|have|has|had|won't|can't|don't|didn't|not|to)\W*$",
    re.IGNORECASE,
)


def _statement(sentence: str) -> str | None:
    """`sentence` as a statement to reflect, or None for a real question."""
    news = _NEWS_OPENER.match(sentence)
    if news is not None:
        return sentence[news.end() :].rstrip("?! ") + "."
    if sentence.endswith("?"):
        return None
    return sentence[m.end() :] if (m := _REASON_OPENER.match(sentence)) else sentence


def _clause_to_reflect(context: str) -> str | None:
    """The counterpart's most reflectable statement: feelings and first person first."""
    best: tuple[int, int, str] | None = None
    for i, said in enumerate(sentences(context)):
        s = _statement(said)
        if s is None or _words(s) < 3 or _SELF_BLAME.search(s) or _ENDS_ON_AUXILIARY.search(s):
            continue
        if not _SUBJECT_START.match(_norm(s)) or _BRUSH_OFF.match(_norm(s)):
            continue
        score = 2 * (_feeling(s) is not None) + bool(re.search(r"\b(i|my|me|we|our)\b", s, re.I))
        if best is None or (score, i) >= best[:2]:
            best = (score, i, s)
    if best is None:
        return None
    clause = best[2].rstrip(".!? ")
    words = clause.split()
    if len(words) > 18:
        cut = clause.find(",", 0, len(" ".join(words[:18])))
        clause = clause[:cut] if cut > 20 else " ".join(words[:18])
    clause = _swap_person(clause)
    if clause[:1].isupper() and not clause.startswith(("I ", "I'")):
        clause = clause[:1].lower() + clause[1:]
    return clause


@dataclass(frozen=True, slots=True)
class _Parts:
    reflection_simple: str | None
    reflection_complex: str | None
    acknowledgement: str
    exploration: str
    core_sentences: tuple[str, ...]  # cleaned, closed questions and advice kept
    closed_questions: tuple[str, ...]
    advice: tuple[str, ...]
    removed_fillers: tuple[str, ...]
    dismissive: tuple[str, ...]
    has_permission: bool
    greeting: str  # "Hi Sam," split off the reply's start, or ""


def _split_greeting(text: str) -> tuple[str, str]:
    """("Hi Sam,", "How are you?") from "Hi Sam, how are you?"; ("", text) without one."""
    text = text.strip()
    if not _GREETING.match(text):
        return "", text
    first = sentences(text)[0]
    if _words(first) <= 4:  # "Hello." or "Hi Sam!" on its own
        return first, text[len(first) :].strip()
    comma = text.find(",", 0, 40)
    if comma < 0:
        return "", text
    rest = text[comma + 1 :].strip()
    return text[: comma + 1], rest[:1].upper() + rest[1:]


def _after_greeting(greeting: str, text: str) -> str:
    """`text` continuing the greeting: "Hi Sam, it sounds like", but "Hi Sam, I'm sorry"."""
    if greeting.endswith(",") and not re.match(r"I(?![\w])|I'", text):
        text = text[:1].lower() + text[1:]
    return f"{greeting} {text}"


def _parts(context: str, response: str) -> _Parts:
    context = plain_words(context)  # their words, not their Markdown
    clause = _clause_to_reflect(context)
    feeling = _feeling(context)
    sounds, feels = feeling or ("hard", "")
    simple = f"It sounds like {clause}." if clause else None
    if clause is None:
        complex_ = None
        asked = [q for q in sentences(context) if q.endswith("?")]
        if asked:  # nothing to reflect but a question: show it was heard, in their words
            simple = complex_ = f"You asked, “{asked[-1]}” That's a fair question."
    elif feeling and _feeling(clause) is None:
        complex_ = f"It sounds like {clause}, and that has left you feeling {feels}."
    else:
        complex_ = f"It sounds like {clause}, and that this really matters to you."
    # One apology is enough: a reply that already says sorry keeps its own.
    apologised = re.search(r"(?<![\w'])sorry(?![\w'])", response, re.IGNORECASE)
    # "I'm sorry, that sounds really hard" only where they said something hard: answering a
    # signing bonus with it (a tester's salary negotiation) was coaching nobody should take.
    if not context.strip() or apologised:
        ack = ""
    elif feeling or said_something_painful(context):
        ack = f"I'm sorry, that sounds really {sounds}."
    else:
        ack = "Thank you for being open with me."
    exploration = (
        "What has been the hardest part of this for you?"
        if feeling
        else "What would a good outcome look like for you?"
    )
    removed: list[str] = []
    core: list[str] = []
    closed: list[str] = []
    advice: list[str] = []
    dismissive: list[str] = []
    seen: set[str] = set()
    text = _norm(response)
    greeting, text = _split_greeting(text)
    for s in sentences(text):
        if _BACKCHANNEL.match(s):
            removed.append(s.rstrip(".!"))
            continue
        if _DISMISSIVE.search(s):
            dismissive.append(s)
            continue
        removed += [m.group(0) for m in _FILLER.finditer(s)]
        removed += [m.group(0) for m in _HEDGE.finditer(s)]
        cleaned = _tidy(_HEDGE.sub("", _FILLER.sub("", s)))
        if cleaned and cleaned[-1] not in ".!?":
            cleaned += "."
        key = re.sub(r"\W+", " ", cleaned.lower()).strip()
        if _words(cleaned) == 0 or key in seen:
            continue
        seen.add(key)
        if cleaned.endswith("?") and _CLOSED_START.search(cleaned):
            closed.append(cleaned)
        if _ADVICE.search(cleaned) and not _PERMISSION.search(text):
            advice.append(cleaned)
        core.append(cleaned)
    return _Parts(
        simple,
        complex_,
        ack,
        exploration,
        tuple(core),
        tuple(closed),
        tuple(advice),
        tuple(dict.fromkeys(r.lower() for r in removed)),
        tuple(dismissive),
        bool(_PERMISSION.search(text)),
        greeting,
    )


def _shorten(core: Sequence[str], limit: int) -> list[str]:
    """Keep the point (first sentence) and the ask (last), then fill up to `limit`."""
    if len(core) <= limit:
        return list(core)
    keep = [core[0], *core[1 : limit - 1], core[-1]]
    return keep[:limit]


def _split_long(sentence: str, limit: int = 22) -> list[str]:
    if _words(sentence) <= limit:
        return [sentence]
    pieces = re.split(r",\s+(?:and|but|so|because)\s+|;\s+", sentence)
    if len(pieces) == 1:
        return [sentence]
    out = []
    end = sentence[-1] if sentence[-1] in ".!?" else "."
    for p in pieces:
        p = _tidy(p.rstrip(".!?"))
        if p:
            out.append(p + end if p is pieces[-1] else p + ".")
    return out


class OfflineRewriter:
    """Rewrites from rules: what the rubric rewards, built from the context and the reply."""

    name: Literal["llm", "offline"] = "offline"

    async def rewrite(
        self, context: str, response: str, score: TurnScore, skill: Skill
    ) -> list[RewriteDraft]:
        return self.candidates(context, response, skill)

    def candidates(self, context: str, response: str, skill: Skill) -> list[RewriteDraft]:
        p = _parts(context, response)
        cleaning: list[str] = []
        if p.removed_fillers:
            cleaning.append(
                "Cut fillers and hedges: " + ", ".join(f"“{w}”" for w in p.removed_fillers)
            )
        if p.dismissive:
            cleaning.append(
                "Dropped dismissive wording: " + " ".join(f"“{s}”" for s in p.dismissive)
            )

        def listening_core(keep_advice: bool) -> tuple[list[str], list[str]]:
            notes: list[str] = []
            out: list[str] = []
            asked_permission = False
            for s in p.core_sentences:
                if s in p.closed_questions:
                    notes.append(f"Replaced the closed question “{s}” with an open one")
                    continue
                if s in p.advice:
                    if not keep_advice:
                        notes.append(f"Held back the advice “{s}” until they ask for it")
                        continue
                    if not asked_permission:
                        out.append("Would it help if I shared one idea?")
                        notes.append("Asked permission before giving advice")
                        asked_permission = True
                out.append(s)
            return _shorten(out, 3), notes

        drafts: dict[str, RewriteDraft] = {}
        reflect_notes = []
        if p.reflection_complex:
            reflect_notes.append(f"Opened by reflecting their words: “{p.reflection_complex}”")

        def closing(core: list[str], added: str) -> tuple[list[str], str]:
            # One question at a time: an open question the learner already asked stays the
            # only one, rather than a stock exploration stacked after it.
            if any(s.endswith("?") for s in core):
                return [], "Kept your open question as the one question"
            return [p.exploration], added

        core, notes = listening_core(keep_advice=True)
        ask, ask_note = closing(core, "Asked about their experience with an open question")
        drafts["empathy"] = RewriteDraft(
            _join([p.acknowledgement, p.reflection_complex, *core, *ask]),
            ("Acknowledged how it feels for them", *reflect_notes, *cleaning, *notes, ask_note),
        )
        core, notes = listening_core(keep_advice=False)
        ask, ask_note = closing(core, "Closed with an open question")
        drafts["active_listening"] = RewriteDraft(
            _join([p.reflection_complex or p.acknowledgement, *core, *ask]),
            (*reflect_notes, *cleaning, *notes, ask_note),
        )
        drafts["reflect_only"] = RewriteDraft(
            _join([p.reflection_complex or p.acknowledgement, p.exploration]),
            (*reflect_notes, "Let them lead with an open question instead of moving on"),
        )
        clear: list[str] = []
        for s in p.core_sentences:
            clear += _split_long(s)
        clear = _shorten(clear, 3)
        clarity_notes = list(cleaning)
        if not clear and p.reflection_simple:
            clear = [p.reflection_simple]
        if not any(_ask(s) for s in clear):
            clear.append("Let's agree on one next step today.")
            clarity_notes.append("Ended with a clear next step")
        if len(clear) < len(p.core_sentences):
            clarity_notes.append("Kept the main point and the ask, dropped the rest")
        drafts["clarity"] = RewriteDraft(_join(clear), tuple(clarity_notes))

        order = [
            skill,
            *(k for k in ("empathy", "active_listening", "reflect_only", "clarity") if k != skill),
        ]
        seen: set[str] = set()
        out: list[RewriteDraft] = []
        for k in order:
            d = drafts[k]
            if p.greeting and d.text:
                d = RewriteDraft(_after_greeting(p.greeting, d.text), d.changes)
            if d.text and d.text != response.strip() and d.text not in seen:
                seen.add(d.text)
                out.append(d)
        return out


_ASK = _compile(lx.CLEAR_ASK)


def _ask(sentence: str) -> bool:
    return bool(_ASK.search(sentence)) or sentence.endswith("?")


def _join(parts: Sequence[str | None]) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


# --------------------------------------------------------------------------- LLM rewriter


_REWRITE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "rewrite": {"type": "string"},
        "changes": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["rewrite", "changes"],
    "additionalProperties": False,
}


# The output example's strings in the prompt: `"rewrite": "..."` and the items of
# `"changes": [...]` (read from the prompt in use, so a trainer's own example counts too).
_EXAMPLE_REWRITE = re.compile(r'"rewrite"\s*:\s*"((?:[^"\\]|\\.)*)"')
_EXAMPLE_CHANGES = re.compile(r'"changes"\s*:\s*\[([^\]]*)\]')
_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_EXAMPLE_RUN = 4  # words in a row shared with an example that make a copy, not a reply


def example_texts(system: str) -> tuple[str, ...]:
    """The placeholder texts of the prompt's output example ("the better reply, as the
    learner would say it"), without their "e.g. ..." samples, which may well be apt."""
    found = [m.group(1) for m in _EXAMPLE_REWRITE.finditer(system)]
    for m in _EXAMPLE_CHANGES.finditer(system):
        found += [s.group(1) for s in _JSON_STRING.finditer(m.group(1))]
    out: list[str] = []
    for text in found:
        text = re.split(r"\be\.g\.|\bfor example\b", text, flags=re.IGNORECASE)[0]
        if len(_word_list(text)) >= 3:
            out.append(text.strip(" ,;:"))
    return tuple(out)


def _word_list(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", _norm(text).lower())


def echoes(text: str, examples: Sequence[str]) -> str | None:
    """The example `text` copies (shares a run of words with), if any.

    A small model may answer with the prompt's own placeholder: the debrief then showed
    "Try: the better reply, as the learner would say it".
    """
    words = _word_list(text)
    for example in examples:
        ex = _word_list(example)
        n = min(_EXAMPLE_RUN, len(ex), len(words))
        if n < 3:  # too few words to tell a copy from a coincidence
            continue
        runs = {tuple(ex[i : i + n]) for i in range(len(ex) - n + 1)}
        if any(tuple(words[i : i + n]) in runs for i in range(len(words) - n + 1)):
            return example
    return None


class LLMRewriter:
    """Asks the configured model for a better version of the turn (`prompts/debrief.md`)."""

    name: Literal["llm", "offline"] = "llm"

    def __init__(
        self,
        settings: Settings,
        *,
        client: AsyncOpenAI | None = None,
        sleep: Sleep = asyncio.sleep,
        meter: UsageMeter | None = None,
    ) -> None:
        from coach.prompts import load_prompt
        from coach.scoring.judge import MODES_FILE, JsonChat, endpoint_id, make_client

        self.model = settings.effective_judge_model
        self._owns_client = client is None
        self.client = client if client is not None else make_client(settings)
        self.prompt = load_prompt("debrief", settings.user_prompts_dir)
        self._chat = JsonChat(
            self.client,
            model=self.model,
            endpoint=endpoint_id(settings.base_url, self.model),
            max_retries=settings.max_retries,
            max_tokens=700,
            sleep=sleep,
            secret=settings.api_key_value(),
            meter=meter,  # the session's, so the rewrite is in its cost
            role="the debrief rewrite",
            memory=settings.cache_dir / MODES_FILE,
        )

    def messages(
        self, context: str, response: str, score: TurnScore, skill: Skill
    ) -> list[dict[str, str]]:
        from coach.scoring.judge import fence, split_prompt

        nonce = secrets.token_hex(8)
        s = score.skill(skill)
        feedback = json.dumps(
            {"skill": skill, "score": round(s.score, 2), "tip": s.tip, **s.details},
            ensure_ascii=False,
        )
        system, user = split_prompt(
            self.prompt,
            rubric=render_rubric([skill]),
            skill=SKILL_LABELS[skill],
            nonce=nonce,
            feedback=feedback,
            counterpart=fence("COUNTERPART", context, nonce)
            if context.strip()
            else "(No counterpart text: the learner's reply opens the conversation.)",
            learner=fence("LEARNER_REPLY", response, nonce),
        )
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    async def rewrite(
        self, context: str, response: str, score: TurnScore, skill: Skill
    ) -> list[RewriteDraft]:
        from coach.scoring.judge import _Invalid

        messages = self.messages(context, response, score, skill)
        examples = example_texts(messages[0]["content"])

        def copied(where: str, example: str) -> _Invalid:
            return _Invalid(
                f'{where} copies the example in the instructions ("{example}"); write the '
                "actual better reply and what was changed in it"
            )

        def validate(data: dict[str, Any]) -> RewriteDraft:
            text = data.get("rewrite")
            if not isinstance(text, str) or not text.strip():
                raise _Invalid('"rewrite" must be a non-empty string')
            if text.strip() == response.strip():
                raise _Invalid('"rewrite" must differ from the original reply')
            if (example := echoes(text, examples)) is not None:
                raise copied('"rewrite"', example)
            changes = data.get("changes") or []
            if not isinstance(changes, list):
                raise _Invalid('"changes" must be a list of strings')
            kept = tuple(str(c) for c in changes if str(c).strip())
            for change in kept:
                if (example := echoes(change, examples)) is not None:
                    raise copied('"changes"', example)
            return RewriteDraft(text.strip(), kept)

        draft = await self._chat.complete(
            messages,
            schema_name="rewrite",
            schema=_REWRITE_SCHEMA,
            validate=validate,
        )
        return [draft]

    async def aclose(self) -> None:
        if self._owns_client:
            await self.client.close()


# --------------------------------------------------------------------------- building


def _quote_span(text: str) -> tuple[str, int, int]:
    """What to quote from a turn with no evidence span: all of a short turn (clarity is a
    property of the whole reply), else its first sentence."""
    stripped = text.strip()
    if stripped and len(stripped.split()) <= 30:
        start = text.index(stripped)
        return stripped, start, start + len(stripped)
    m = _SENTENCE.search(text)
    if not m or not m.group(0).strip():
        return "", -1, -1
    raw = m.group(0)
    lead = len(raw) - len(raw.lstrip())
    quote = raw.strip()
    return quote, m.start() + lead, m.start() + lead + len(quote)


def _pick_evidence(turn: ScoredTurn, skill: Skill, effect: Literal["+", "-"]) -> Evidence | None:
    for ev in turn.score.skill(skill).evidence:
        if ev.effect == effect and turn.response[ev.start : ev.end] == ev.quote:
            return ev
    return None


def _highlight(
    summary: SessionSummary, kind: Literal["strength", "improvement"]
) -> Highlight | None:
    skill = summary.strongest_skill if kind == "strength" else summary.weakest_skill
    if skill is None:
        return None
    turns = summary.turns
    if kind == "strength":
        pick = max(range(len(turns)), key=lambda i: (turns[i].score.skill(skill).score, -i))
    else:
        # On a tie, the session's weakest turn (the one the rewrite takes up), then the one
        # with more problems flagged in this skill, then the latest: "To work on" quoted a
        # later, flat turn while the rewrite took up "Calm down, these things happen".
        pick = min(
            range(len(turns)),
            key=lambda i: (
                round(turns[i].score.skill(skill).score, 2),
                i != summary.weakest_turn,
                -flagged(turns[i].score, (skill,)),
                -i,
            ),
        )
    turn = turns[pick]
    s = turn.score.skill(skill)
    ev = _pick_evidence(turn, skill, "+" if kind == "strength" else "-")
    if ev is not None:
        quote, start, end, label = ev.quote, ev.start, ev.end, ev.label
    else:
        quote, start, end = _quote_span(turn.response)
        label = ""
    rubric = RUBRIC.skill(skill)
    mean = summary.skills[skill].mean
    said = f"In turn {turn.index + 1} you wrote “{quote}”" if quote else f"In turn {turn.index + 1}"
    label_part = f" ({label})" if label else ""
    if kind == "strength":
        level = rubric.level(s.score)
        message = (
            f"{rubric.title} was your strongest skill (session mean {mean:.1f}/5). "
            f"{said}{label_part}: {level.label.lower()} — "
            f"{level.description[:1].lower()}{level.description[1:]}"
        )
    else:
        # At least the first level that does something right: "To reach 'Generic': a stock
        # phrase or none" reads as aiming low.
        nxt = rubric.level(min(5, max(3, round(s.score) + 1)))
        tip = f" {s.tip}" if s.tip else ""
        message = (
            f"{rubric.title} is the skill to work on (session mean {mean:.1f}/5). "
            f"{said}{label_part}.{tip} To reach “{nxt.label}”: {nxt.description}"
        )
    return Highlight(kind, skill, turn.index, quote, start, end, message, s.score)


def _target_skill(turn: ScoredTurn, summary: SessionSummary) -> Skill:
    rated = [s for s in SKILLS if summary.weights[s] > 0]
    return min(rated, key=lambda s: (turn.score.skill(s).score, -summary.weights[s]))


async def build_debrief(
    items: Sequence[ScoredTurn | tuple[str, str, TurnScore]],
    weights: Weights | None = None,
    *,
    rewriter: Rewriter | None = None,
    scorer: Scorer | None = None,
) -> Debrief:
    """Aggregate the session and write its debrief.

    `rewriter` defaults to the offline one; if an LLM rewriter fails, the offline rewrite is
    used instead (a debrief never fails because an endpoint did). With `scorer`, candidates
    are re-scored and the one best on the targeted skill is kept, and an LLM rewrite that
    scores no higher than the original on that skill is replaced by the offline one; if that
    scorer fails, the first candidate is kept unscored.
    """
    summary = aggregate(items, weights)
    if not summary.turns or summary.weakest_turn is None:
        return Debrief(summary, None, None, None)
    turn = summary.turns[summary.weakest_turn]
    skill = _target_skill(turn, summary)
    rewriter = rewriter or OfflineRewriter()
    method = rewriter.name
    note = None
    try:
        drafts = await rewriter.rewrite(turn.context, turn.response, turn.score, skill)
    except ScoringError as exc:
        method = "offline"
        note = f"The model could not rewrite it ({exc}); this is the offline rewrite."
        drafts = OfflineRewriter().candidates(turn.context, turn.response, skill)
    rewrite: Rewrite | None = None
    if drafts:
        chosen, new_score = drafts[0], None
        if scorer is not None:
            before = turn.score.skill(skill).score
            try:
                new_score, chosen = await _best(scorer, turn, drafts, skill, summary)
                offline = (
                    OfflineRewriter().candidates(turn.context, turn.response, skill)
                    if method == "llm" and new_score <= before
                    else []
                )
                if offline:
                    # A "better version" no better by the learner's own measure (a small model
                    # went 1.0 -> 1.0) teaches nothing: the offline one, said so.
                    llm_score = new_score
                    new_score, chosen = await _best(scorer, turn, offline, skill, summary)
                    method = "offline"
                    note = (
                        f"The model's rewrite did not score higher on "
                        f"{SKILL_LABELS[skill].lower()} than your reply ({before:.1f} → "
                        f"{llm_score:.1f}); this is the offline rewrite."
                    )
            except ScoringError:
                pass  # the judge is unreachable: the best guess, unscored
        rewrite = Rewrite(
            turn=turn.index,
            skill=skill,
            context=turn.context,
            original=turn.response,
            rewritten=chosen.text,
            method=method,
            changes=chosen.changes,
            original_score=turn.score.skill(skill).score,
            rewritten_score=new_score,
            scorer=scorer.name if scorer is not None else None,
            note=note,
        )
    return Debrief(
        summary, _highlight(summary, "strength"), _highlight(summary, "improvement"), rewrite
    )


async def _best(
    scorer: Scorer,
    turn: ScoredTurn,
    drafts: Sequence[RewriteDraft],
    skill: Skill,
    summary: SessionSummary,
) -> tuple[float, RewriteDraft]:
    """The draft that scores best on `skill` (then overall), and that score."""
    scored = []
    for d in drafts:
        ts = await scorer.score(turn.context, d.text)
        scored.append((ts.skill(skill).score, _overall(ts, summary), d))
    best, _, draft = max(scored, key=lambda x: (x[0], x[1]))
    return best, draft


def _overall(score: TurnScore, summary: SessionSummary) -> float:
    from coach.scoring.aggregate import weighted_overall

    return weighted_overall(score, summary.weights)


# --------------------------------------------------------------------------- export


def _quote_block(text: str) -> str:
    lines = markdown_literal(text).splitlines() or [""]
    return "\n".join(f"> {line}" if line else ">" for line in lines)


def render_markdown(debrief: Debrief, *, title: str = "Session debrief") -> str:
    """The debrief as Markdown, for `coach sessions export` and sharing with a trainer."""
    s = debrief.summary
    # Everything from a transcript, a scenario or a model reads as written: a learner's
    # "*sigh*" stays asterisks, "<b>" stays text, and no link or image comes out of it.
    out = [f"# {markdown_literal(title)}", ""]
    if not s.turns:
        return "\n".join([*out, "No learner turns were scored.", ""])
    left_out = f" ({debrief.unscored} more not scored)" if debrief.unscored else ""
    out += [
        f"{counted(len(s.turns), 'turn')}{left_out}, overall {s.overall:.1f}/5.",
        "",
        "| Skill | Weight | Mean | First half → second half | Trend |",
        "|---|---|---|---|---|",
    ]
    for sk in s.skills.values():
        out.append(
            f"| {SKILL_LABELS[sk.skill]} | {sk.weight:g} | {sk.mean:.1f} | "
            f"{sk.first_half:.1f} → {sk.second_half:.1f} | {sk.trend} |"
        )
    m = s.miti

    def fmt(x: float | None, pct: bool) -> str:
        if x is None:
            return "n/a"
        return f"{x:.0%}" if pct else f"{x:.2f}"

    out += [
        "",
        "## Listening (MITI)",
        "",
        "| Metric | Value | Level |",
        "|---|---|---|",
        f"| Reflections per question ({m.reflections}:{m.questions}) | "
        f"{fmt(m.reflections_per_question, False)} | {m.levels['reflections_per_question']} |",
        f"| Complex reflections | {fmt(m.complex_reflection_share, True)} | "
        f"{m.levels['complex_reflection_share']} |",
        f"| Open questions | {fmt(m.open_question_share, True)} | "
        f"{m.levels['open_question_share']} |",
        "",
    ]
    if s.best_turn is not None and s.weakest_turn is not None:
        best, weak = s.turns[s.best_turn], s.turns[s.weakest_turn]
        out += [
            f"**Best turn:** {best.index + 1} ({s.turn_overall[s.best_turn]:.1f}/5)",
            "",
            _quote_block(best.response),
            "",
            f"**Weakest turn:** {weak.index + 1} ({s.turn_overall[s.weakest_turn]:.1f}/5)",
            "",
            _quote_block(weak.response),
            "",
        ]
    if debrief.strength:
        out += ["## Strength", "", markdown_literal(debrief.strength.message), ""]
    if debrief.improvement:
        out += ["## To work on", "", markdown_literal(debrief.improvement.message), ""]
    r = debrief.rewrite
    if r:
        out += [
            f"## A better version of turn {r.turn + 1} ({SKILL_LABELS[r.skill]})",
            "",
            "They said:",
            "",
            _quote_block(r.context),
            "",
            "You said:",
            "",
            _quote_block(r.original),
            "",
            "Try:",
            "",
            _quote_block(r.rewritten),
            "",
        ]
        if r.rewritten_score is not None:
            out += [
                f"{SKILL_LABELS[r.skill]}: {r.original_score:.1f} → {r.rewritten_score:.1f} "
                f"({r.scorer} scorer).",
                "",
            ]
        if r.changes:
            out += ["What changed:", "", *(f"- {markdown_literal(c)}" for c in r.changes), ""]
        if r.note:
            # The note may quote what an endpoint said: its text, not its Markdown or HTML.
            out += [f"_{markdown_literal(r.note)}_", ""]
    return "\n".join(out).rstrip() + "\n"
