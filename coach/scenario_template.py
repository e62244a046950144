"""The commented starter file that `coach scenarios new` prints.

A trainer's first scenario starts from a file that is already valid and explains every field
in place, so they edit rather than write from nothing. A test validates the output.
"""

from __future__ import annotations

import json

_TEMPLATE = """\
# yaml-language-server: $$schema=./scenario.schema.json
# A coach scenario. Check it with:  coach scenarios validate THIS_FILE
# Try it with:                      coach play THIS_FILE --offline
# The guide: docs/scenarios.md. Get the schema for editor completion:
#   coach scenarios schema > scenario.schema.json

id: $id                      # unique: lowercase letters, digits, dashes
title: Ask a colleague to swap a shift
summary: >-
  A colleague is annoyed that you keep asking for favours. Ask for a shift swap
  without damaging the relationship.
# category: negotiation | feedback | difficult-conversation | active-listening
category: difficult-conversation
skills: $skills   # skills in focus: empathy, active_listening, clarity
difficulty: beginner           # beginner | intermediate | advanced
tags: [workplace, favours]

learner:                       # what the learner sees in the briefing
  role: Nurse on the ward
  goal: Swap your Saturday shift with Sam and keep a good working relationship.
  brief: >-
    You have swapped twice this month already. Your sister's wedding is on Saturday.

counterpart:                   # who the learner talks to
  name: Sam
  role: Nurse, your colleague
  personality: Helpful but tired of being the one who always says yes.
  speaking_style: Short sentences, a little sarcastic when annoyed.
  background: Sam covered for others three times this month and missed a family dinner.
  interests:
    - Being asked, not assumed
    - Getting a weekend off soon
  hidden_information:          # said only when earned (see reveal_when and stage reveals)
    - id: wants-next-weekend
      fact: Sam would swap if they could have your shift next weekend.
      reveal_when: the learner asks what would work for Sam.
  initial_state: {trust: 45, tension: 55, mood: irritated}
  moved_by: [being thanked specifically, being asked what they need]
  triggered_by: [being told it is no big deal, guilt trips]

opening_line: Let me guess. You need something again?

objectives:                    # what success means
  - id: understand
    description: Understand why Sam is reluctant.
    reached_at_stage: needs
  - id: agree
    description: Agree a swap that works for both of you.
    # No reached_at_stage: the final objective is met by an agreement (the last stage's
    # advance_when holding), not by arriving in the last stage.

weights: {empathy: 1.0, active_listening: 1.0, clarity: 1.0}
max_turns: 8
show_state: true               # show trust and tension to the learner

offline_script:                # drives the offline counterpart (no API key needed)
  walk_out_at_tension: 95
  stages:
    - id: guarded
      description: Sam is defensive until they feel heard.
      replies:
        default: ["Right. So what is it this time?"]
        acknowledge: ["Yeah, well. It has been a lot, honestly."]
        reflect: ["Exactly. I always end up being the one who covers."]
        dismiss: ["No big deal for you, maybe."]
      advance_when: {trust_at_least: 55, moves_any: [acknowledge, reflect, open_question]}
    - id: needs
      description: Sam says what they need.
      reveals: [wants-next-weekend]
      on_enter: "Look, I am not saying no. I just need something back for once."
      replies:
        default: ["What are you offering, then?"]
        open_question: ["Honestly? Next weekend off would make my month."]
      advance_when: {trust_at_least: 60, moves_any: [proposal, open_question]}
    - id: deal
      description: Sam agrees if the swap is fair.
      replies:
        default: ["So what exactly are you proposing?"]
        proposal: ["That works. Put it in the rota before you forget."]
      advance_when: {moves_any: [proposal]}
  endings:
    agreement: "Fine, deal. And thanks for asking properly this time."
    walk_out: "You know what, ask someone else."
    impasse: "I have to get back to work. Sort it out with the rota manager."
"""


def starter_scenario(scenario_id: str, skills: list[str]) -> str:
    from string import Template

    # JSON strings are YAML double-quoted strings: an id such as `2024` or `2024-01-01` stays
    # text instead of becoming a number or a date, and nothing can end the line early.
    return Template(_TEMPLATE).substitute(id=json.dumps(scenario_id), skills=json.dumps(skills))
