"""Scenario text written about "the learner" (for the model), said to the learner instead.

Trainers write `reveal_when` conditions in the third person because the counterpart's prompt
reads them ("the learner asks about his workload"); an offline hint shows the same condition
to the learner, where it has to read "you ask about his workload".
"""

from __future__ import annotations

import re

# Verbs a trainer's `reveal_when` joins with "and" after "the learner" ("acknowledges her
# worry and asks ..."); others after "and" are left as written.
_JOINED_VERBS = frozenset(
    [
        "acknowledges",
        "admits",
        "agrees",
        "apologises",
        "apologizes",
        "asks",
        "checks",
        "describes",
        "explains",
        "gives",
        "invites",
        "listens",
        "makes",
        "names",
        "notices",
        "offers",
        "owns",
        "proposes",
        "recognises",
        "recognizes",
        "reflects",
        "shows",
        "stays",
        "suggests",
        "summarises",
        "summarizes",
        "takes",
        "validates",
    ]
)
_LEARNER_CLAUSE = re.compile(r"\bthe learner(?:'s\b| (\w+))", re.IGNORECASE)
_JOINED = re.compile(r"(?<=\band )(\w+)")


def _base_form(verb: str) -> str:
    """'asks' -> 'ask', 'carries' -> 'carry', 'reaches' -> 'reach' (third person to base)."""
    low = verb.lower()
    if low.endswith("ies") and len(low) > 4:
        return verb[:-3] + "y"
    if low.endswith(("sses", "shes", "ches", "xes", "zes", "oes")):
        return verb[:-2]
    if low.endswith("s") and not low.endswith("ss"):
        return verb[:-1]
    return verb


def to_the_learner(condition: str) -> str:
    """A scenario's `reveal_when`, written about "the learner" for the model, said to the
    learner: "the learner reflects his worry and asks ..." -> "you reflect his worry and ask
    ..."."""
    m = _LEARNER_CLAUSE.search(condition)
    if m is None:
        return condition
    if m.group(1) is None:
        return condition[: m.start()] + "your" + condition[m.end() :]

    def joined(j: re.Match[str]) -> str:
        verb = j.group(1)
        return _base_form(verb) if verb.lower() in _JOINED_VERBS else verb

    rest = _JOINED.sub(joined, condition[m.end() :])
    return condition[: m.start()] + "you " + _base_form(m.group(1)) + rest
