"""`coach sessions [list | show ID]`: the learner's saved sessions.

Lists what is under settings.sessions_dir (id, scenario, date, turns, outcome, mean scores) and
shows one session's active path with its scores, so a learner or trainer can look back without
opening the app, and find the id to `coach play --resume`.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any

from coach.exitcodes import ExitCode


def register(sub: Any) -> None:
    p = sub.add_parser("sessions", help="list saved sessions, or show one")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    ls = actions.add_parser("list", help="list sessions, newest first")
    ls.add_argument("--json", action="store_true", help="one JSON object per session")
    ls.set_defaults(func=_list)
    show = actions.add_parser("show", help="show one session's turns and scores")
    show.add_argument(
        "id", help="session id as listed, file name, unique part of either, file path, or 'latest'"
    )
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=_show)
    p.set_defaults(func=_list, json=False)


def _list(args: argparse.Namespace) -> int:
    from coach.commands._common import settings_from_args
    from coach.sessions_store import list_sessions

    settings = settings_from_args(args).settings
    sessions = list_sessions(settings.sessions_dir)
    if getattr(args, "json", False):
        for s in sessions:
            print(
                json.dumps(
                    {
                        "session_id": s.session_id,
                        "path": str(s.path),
                        "scenario_id": s.scenario_id,
                        "created_at": s.created_at,
                        "turns": s.turns,
                        "outcome": s.outcome,
                        "mean_scores": {k: round(v, 2) for k, v in s.mean_scores.items()},
                        "problem": s.problem,
                    }
                )
            )
        return ExitCode.OK
    if not sessions:
        print(f"no sessions yet in {settings.sessions_dir}")
        return ExitCode.OK
    # A copied transcript keeps its header's id: where an id repeats, the row names its file
    # (which `sessions show` takes too), so every row can be told apart and opened.
    repeats = Counter(s.session_id for s in sessions)
    ids = {s.path: s.session_id if repeats[s.session_id] == 1 else s.path.name for s in sessions}
    # Ids embed the scenario id, so their length varies: the column fits the longest.
    width = max(len(i) for i in ids.values())
    print(f"{'ID':<{width}} {'SCENARIO':<28} {'DATE':<16} {'TURNS':>5}  {'OUTCOME':<13} SCORES")
    for s in sessions:
        if s.problem:
            print(f"{ids[s.path]:<{width}} (unreadable: {s.problem})")
            continue
        means = s.mean_scores
        scores = (
            f"E {means['empathy']:.1f}  L {means['active_listening']:.1f}  C {means['clarity']:.1f}"
            if means
            else "-"
        )
        date = s.created_at[:16].replace("T", " ")
        outcome = s.outcome or "(open)"
        print(
            f"{ids[s.path]:<{width}} {s.scenario_id[:28]:<28} {date:<16} {s.turns:>5}  "
            f"{outcome:<13} {scores}"
        )
    return ExitCode.OK


def _show(args: argparse.Namespace) -> int:
    from coach.commands._common import error, settings_from_args
    from coach.commands.play import score_line
    from coach.sessions_store import SessionNotFound, find_session, summarise
    from coach.transcript import TranscriptError, read_transcript

    settings = settings_from_args(args).settings
    try:
        transcript = read_transcript(find_session(args.id, settings.sessions_dir))
    except TranscriptError as exc:
        # An exported chat (valid JSON, another format) read as "Expecting value" and no more.
        error(f"{exc}; `coach replay FILE` reads OpenAI message lists and plain-text chats")
        return ExitCode.FAILURES
    except (SessionNotFound, OSError) as exc:
        error(str(exc))
        return ExitCode.FAILURES
    info = summarise(transcript)
    path = transcript.active_path()
    if args.json:
        print(
            json.dumps(
                {
                    "header": transcript.header,
                    "turns": [
                        {
                            "turn_id": x.learner.turn_id,
                            "context": x.context,
                            "learner": x.learner.text,
                            "reply": x.reply.text if x.reply else None,
                            "reply_complete": x.reply.complete if x.reply else None,
                            "scores": x.score.to_dict() if x.score else None,
                            "state": (
                                {"trust": x.state.trust, "tension": x.state.tension}
                                if x.state
                                else None
                            ),
                        }
                        for x in path
                    ],
                    "outcome": info.outcome,
                    "warnings": transcript.warnings,
                },
                ensure_ascii=False,
            )
        )
        return ExitCode.OK
    name = transcript.counterpart_name
    print(f"{info.session_id}  {info.scenario_title or info.scenario_id}  {info.created_at}")
    print(
        f"backend {info.backend} ({info.model}); {info.turns} turns; outcome "
        f"{info.outcome or '(open, resumable)'}"
    )
    for warning in transcript.warnings:
        print(f"warning: {warning}")
    opening = transcript.opening
    if opening:
        print(f"\n{name}: {opening.text}")
    for x in path:
        print(f"\nYou ({x.learner.turn_id}): {x.learner.text}")
        if x.score:
            print(f"  [{score_line(x.score)}]")
        if x.reply:
            note = "" if x.reply.complete else "  (incomplete)"
            print(f"{name}: {x.reply.text}{note}")
    end = transcript.end_event
    if end:
        print(f"\n-- ended: {end.get('outcome')} ({end.get('reason', '')})")
    return ExitCode.OK
