"""The versioned rubric: behaviourally anchored 1-5 levels for each skill.

Learners read it in the TUI, the LLM judge is prompted with it, and every score records
`RUBRIC_VERSION` so replays can tell which rubric produced a number. One typed structure serves
all three, so what a learner is told "a 4 looks like" is literally what the judge was shown.

Empathy follows EPITOME (Sharma et al., 2020): emotional reactions, interpretations and
explorations, each none/weak/strong. Active listening follows the MITI 4.2.1 coding manual:
simple and complex reflections, open and closed questions, building on the other person's
words; advice without permission and confrontation cost points. Clarity is readable, concise,
structured (a clear point and a clear ask) and concrete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from coach.scoring.types import SKILL_LABELS, SKILLS, Skill

# Bumped when the rubric or the analytic scorer's rules change what a level means, so a
# replay can tell a score recorded under older rules from a failure to reproduce it.
RUBRIC_VERSION = "2026.11-31"


@dataclass(frozen=True, slots=True)
class Level:
    """One anchor point of a scale: what a reply at this score does, with a short example."""

    score: int
    label: str
    description: str
    example: str = ""


@dataclass(frozen=True, slots=True)
class SkillRubric:
    """One skill's scale: what is rated (`looks_for`), what costs points, and levels 1-5."""

    skill: Skill
    title: str
    summary: str
    looks_for: tuple[str, ...]
    costs: tuple[str, ...]
    levels: tuple[Level, ...]

    def level(self, score: float) -> Level:
        """The anchor nearest to a (possibly fractional) score."""
        wanted = min(5, max(1, round(score)))
        return next(lv for lv in self.levels if lv.score == wanted)


@dataclass(frozen=True, slots=True)
class Rubric:
    version: str
    skills: tuple[SkillRubric, ...]

    def skill(self, name: Skill) -> SkillRubric:
        for s in self.skills:
            if s.skill == name:
                return s
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class Threshold:
    """A MITI session threshold: at or above `fair` is fair, at or above `good` is good."""

    fair: float
    good: float

    def label(self, value: float | None) -> str:
        if value is None:
            return "n/a"
        if value >= self.good:
            return "good"
        if value >= self.fair:
            return "fair"
        return "below fair"


# MITI 4.2.1 summary-score thresholds (reflection-to-question ratio, % complex reflections).
# The open-question share has no MITI 4 threshold; MITI 3.1's (50% fair, 70% good) is used.
MITI_THRESHOLDS: dict[str, Threshold] = {
    "reflections_per_question": Threshold(fair=1.0, good=2.0),
    "complex_reflection_share": Threshold(fair=0.40, good=0.50),
    "open_question_share": Threshold(fair=0.50, good=0.70),
}

_EMPATHY = SkillRubric(
    skill="empathy",
    title=SKILL_LABELS["empathy"],
    summary=(
        "Showing the other person that their feelings and experience were noticed, understood "
        "and are worth exploring (EPITOME)."
    ),
    looks_for=(
        "Emotional reactions: warmth, concern or compassion aimed at the person "
        "(none / weak: generic 'I understand' / strong: specific to what they said).",
        "Interpretations: conveying understanding of their feelings or experience "
        "(weak: 'I get it' / strong: names the feeling or the reason behind it).",
        "Explorations: asking about their feelings or experience "
        "(weak: generic 'how so?' / strong: specific to something they said).",
    ),
    costs=(
        "Stock phrases that could follow any message ('I understand how you feel').",
        "Dismissing or minimising ('calm down', 'it's not a big deal').",
        "Jumping to solutions or to your own agenda before acknowledging theirs.",
    ),
    levels=(
        Level(
            1,
            "Dismissive",
            "Ignores, minimises or argues with the person's feelings; no warmth at all.",
            "Calm down, it's not a big deal.",
        ),
        Level(
            2,
            "Generic",
            "A stock empathy phrase or none; nothing shows their situation was understood.",
            "I understand. Anyway, the policy is clear.",
        ),
        Level(
            3,
            "Acknowledging",
            "One mechanism done well, e.g. a genuine reaction or a correct reading of how "
            "they feel, but not tied to their specifics or not explored.",
            "That sounds frustrating.",
        ),
        Level(
            4,
            "Understanding",
            "Two mechanisms: names their feeling and the reason behind it in their terms, or "
            "reacts warmly and asks about their experience.",
            "It sounds frustrating to be told twice the part was shipped. What happened then?",
        ),
        Level(
            5,
            "Attuned",
            "Strong on all three: specific warmth, an accurate interpretation that adds depth, "
            "and an exploration that invites them to say more, all in their own words.",
            "I'm sorry, losing a whole weekend to this sounds exhausting, especially after "
            "being promised it was fixed. What has been the hardest part for you?",
        ),
    ),
)

_LISTENING = SkillRubric(
    skill="active_listening",
    title=SKILL_LABELS["active_listening"],
    summary=(
        "Showing you heard what the other person actually said and helping them say more "
        "(MITI reflections and questions)."
    ),
    looks_for=(
        "Reflections: simple (repeats or rephrases what they said) or complex (adds meaning, "
        "feeling or the unsaid part); complex reflections count most.",
        "Questions: open (invite a story: what, how, tell me) over closed (yes/no, either/or).",
        "Building on their actual words and answering a question they asked.",
    ),
    costs=(
        "Advice or solutions without asking permission first.",
        "Confrontation: arguing, blaming, correcting, warning.",
        "Switching topic or ignoring a question they asked.",
        "Parroting their words back verbatim, or asking question after question without "
        "reflecting.",
    ),
    levels=(
        Level(
            1,
            "Not listening",
            "Ignores what they said or their question, changes topic, confronts or lectures.",
            "Let's move on to the next item.",
        ),
        Level(
            2,
            "Minimal",
            "A backchannel, a closed question or unsolicited advice; little sign of what they "
            "said.",
            "Have you tried restarting it?",
        ),
        Level(
            3,
            "Following",
            "A simple reflection or an open question that stays on their topic.",
            "So the delivery was late again. What happened?",
        ),
        Level(
            4,
            "Reflective",
            "A complex reflection, or a simple reflection plus an open question, built on "
            "their own words; no advice without permission.",
            "So it's less the delay itself than feeling nobody kept you in the loop.",
        ),
        Level(
            5,
            "Deeply reflective",
            "A complex reflection that captures meaning or feeling they did not state, "
            "followed by an open question or a pause that lets them lead.",
            "It sounds like what hurts is that you vouched for us with your team, and now "
            "that trust is on the line. What would help you most right now?",
        ),
    ),
)

_CLARITY = SkillRubric(
    skill="clarity",
    title=SKILL_LABELS["clarity"],
    summary="Easy to read and act on: a clear point, a clear ask or next step, no padding.",
    looks_for=(
        "Readable: short sentences (about 20 words or fewer), everyday words.",
        "Concise: no fillers, stacked hedges or repetition.",
        "Structured: the main point comes first; a clear ask or next step closes it.",
        "Concrete: names, numbers, dates or examples instead of vague generalities.",
    ),
    costs=(
        "Fillers and hedges ('um', 'just', 'sort of', 'I guess maybe').",
        "Long, winding sentences and walls of text.",
        "No point, or a point buried at the end; no next step.",
    ),
    levels=(
        Level(
            1,
            "Unclear",
            "Hard to follow: rambling or fragmentary, no discernible point.",
            "Well, um, I guess it's kind of, you know, a thing, so yeah.",
        ),
        Level(
            2,
            "Muddy",
            "A point is there but buried in fillers, hedges, repetition or long sentences.",
            "I just sort of think that maybe we could possibly look at things differently.",
        ),
        Level(
            3,
            "Understandable",
            "Readable with a point, but vague or missing a clear ask or next step.",
            "I think we should look at the schedule again.",
        ),
        Level(
            4,
            "Clear",
            "Short readable sentences, the point up front, an ask or next step; minor padding.",
            "I'd like to move the launch by a week. Can we agree on that by Friday?",
        ),
        Level(
            5,
            "Crisp",
            "Point first, concrete (numbers, dates, examples), one clear ask, nothing superfluous.",
            "I can offer 62k with a review in six months. Does that work for you?",
        ),
    ),
)

RUBRIC = Rubric(version=RUBRIC_VERSION, skills=(_EMPATHY, _LISTENING, _CLARITY))


def render_markdown(
    skills: Iterable[Skill] | None = None, *, rubric: Rubric = RUBRIC, examples: bool = True
) -> str:
    """The rubric as Markdown, for the TUI's help panel, exports and the judge's prompt."""
    wanted = tuple(skills) if skills is not None else SKILLS
    parts: list[str] = [f"# Scoring rubric (version {rubric.version})", ""]
    for s in rubric.skills:
        if s.skill not in wanted:
            continue
        parts += [f"## {s.title} (`{s.skill}`)", "", s.summary, "", "What earns points:"]
        parts += [f"- {item}" for item in s.looks_for]
        parts += ["", "What costs points:"]
        parts += [f"- {item}" for item in s.costs]
        parts += ["", "| Score | Level | What the reply does |", "|---|---|---|"]
        for lv in s.levels:
            text = lv.description
            if examples and lv.example:
                text += f' E.g. "{lv.example}"'
            parts.append(f"| {lv.score} | {lv.label} | {text.replace('|', '/')} |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"
