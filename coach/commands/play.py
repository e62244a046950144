"""`coach play SCENARIO`: a headless session, one learner turn per input line.

For trainers trying a scenario, scripted regression runs and evaluators who want transcripts
without the TUI. Replies stream to stdout with a compact score line per turn, and the session's
token total (and cost, where the price is known) ends the output; the transcript is
written (and fsync'd) as the session goes, so a killed run can be continued with `--resume`.
Lines starting with `/` are commands: /hint, /retry, /rewind L2, /end; `#` lines are comments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from coach.exitcodes import ExitCode

if TYPE_CHECKING:
    from coach.scenario import Scenario
    from coach.scoring.debrief import Debrief
    from coach.scoring.types import Skill, TurnScore
    from coach.session import Session
    from coach.settings import Settings
    from coach.transcript import CounterpartTurn

SHORT_LABELS = {"empathy": "empathy", "active_listening": "listening", "clarity": "clarity"}


def register(sub: Any) -> None:
    p = sub.add_parser(
        "play",
        help="play a scenario headless: learner lines in, replies and scores out",
        description=(
            "Play a scenario without the app. Each input line is one learner turn; the "
            "counterpart's replies and per-turn scores go to stdout and the transcript is "
            "written as the session goes. Lines starting with / are commands: /hint, "
            "/retry, /rewind L2, /end. Lines starting with # are ignored. When the session "
            "ends, the debrief follows (as in the app)."
        ),
    )
    p.add_argument("scenario", nargs="?", help="scenario id, or path to a YAML file")
    p.add_argument(
        "--offline",
        dest="play_offline",
        action="store_true",
        help="use the offline scripted counterpart even if an endpoint is configured",
    )
    p.add_argument("--script", metavar="FILE|-", help="learner lines (default: stdin)")
    p.add_argument("--transcript", type=Path, metavar="OUT.jsonl", help="where to write it")
    p.add_argument("--seed", type=int, help="seed for the offline counterpart (recorded)")
    p.add_argument("--json", action="store_true", help="one JSON object per event on stdout")
    p.add_argument(
        "--trace",
        action="store_true",
        help="after each turn, the move the learner made and the counterpart's stage, trust "
        "and tension (for scenario authors)",
    )
    p.add_argument("--resume", metavar="SESSION", help="continue a session (file, id, latest)")
    p.add_argument(
        "--keep-open",
        action="store_true",
        help="at the end of input, leave the session open for --resume instead of ending it",
    )
    p.add_argument(
        "--no-debrief",
        dest="debrief",
        action="store_false",
        help="do not print the debrief when the session ends",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from coach.commands._common import error, settings_from_args

    if args.play_offline:
        args.settings_flags = {**(getattr(args, "settings_flags", None) or {}), "offline": True}
    settings = settings_from_args(args).settings
    if args.scenario is None and args.resume is None:
        error("give a SCENARIO (id or file) or --resume SESSION")
        return ExitCode.USAGE
    scenario: Scenario | None = None
    scenario_path: Path | None = None
    if args.scenario is not None:
        loaded = _load_scenario(args.scenario, settings)
        if isinstance(loaded, int):
            return loaded
        scenario, scenario_path = loaded
    lines = _open_script(args.script)
    if lines is None:
        return ExitCode.USAGE
    import asyncio  # here, not at the top: `coach --help` imports every command module

    try:
        return asyncio.run(_play(args, settings, scenario, scenario_path, lines))
    finally:
        lines.close()


def _load_scenario(ref: str, settings: Settings) -> tuple[Scenario, Path | None] | int:
    from coach.commands._common import error, scenario_failed
    from coach.library import ScenarioNotFound, resolve_scenario
    from coach.scenario_loader import ScenarioError

    try:
        loaded = resolve_scenario(ref, settings.user_scenarios_dir)
    except ScenarioError as exc:
        return scenario_failed(exc)
    except ScenarioNotFound as exc:
        error(str(exc))
        return ExitCode.FAILURES
    path = Path(ref).expanduser()
    return loaded.scenario, path.resolve() if path.is_file() else None


def _open_script(ref: str | None) -> ScriptLines | None:
    from coach.commands._common import error, stdin_bytes

    if ref is None or ref == "-":
        stdin = stdin_bytes("give learner lines on stdin or with --script FILE")
        return None if stdin is None else ScriptLines(stdin, "stdin", owned=False)
    try:
        return ScriptLines(Path(ref).expanduser().open("rb"), ref, owned=True)
    except OSError as exc:
        error(f"cannot read script {ref}: {exc.strerror}")
        return None


class ScriptError(Exception):
    """A learner line that cannot be read as text; the message names the line."""


class ScriptLines:
    """Learner lines as UTF-8 text, read as bytes so a wrong encoding is named, not a crash.

    A UTF-8 byte-order mark is dropped (it is not part of the first reply); UTF-16 and bytes
    that are not UTF-8 raise ScriptError with the line number.
    """

    def __init__(self, source: IO[bytes], name: str, *, owned: bool) -> None:
        self.source, self.name, self.owned = source, name, owned
        self.line_no = 0

    def readline(self) -> str:
        raw = self.source.readline()
        self.line_no += 1
        if self.line_no == 1:
            if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise ScriptError(f"{self.name} is UTF-16 text; coach reads UTF-8")
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ScriptError(
                f"{self.name}:{self.line_no}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at "
                f"column {exc.start + 1}); the turns before it are saved"
            ) from None

    def close(self) -> None:
        if self.owned:
            self.source.close()


class _Out:
    """Human-readable or JSON-lines output; untrusted text is printed as plain text."""

    def __init__(self, as_json: bool, trace: bool = False) -> None:
        self.json = as_json
        self.trace = trace

    def emit(self, record: dict[str, Any], text: str | None = None) -> None:
        if self.json:
            from coach.printable import safe_json

            print(safe_json(record), flush=True)
        elif text is not None:
            print(text, flush=True)

    def note(self, text: str) -> None:
        """A line for the reader only: JSON output carries the same facts in its records."""
        if not self.json:
            print(text, flush=True)

    def stream(self, piece: str) -> None:
        if not self.json:
            sys.stdout.write(piece)
            sys.stdout.flush()


def counterpart_record(turn: CounterpartTurn) -> dict[str, Any]:
    """A counterpart reply as a JSON record, with its token usage as the transcript has it.

    `complete` is false for a reply that stopped before its end, including one cut at the
    length limit (`finish_reason: "length"`), so a reader need not know finish reasons.
    """
    usage = turn.usage
    return {
        "type": "counterpart",
        "turn_id": turn.turn_id,
        "reply_to": turn.reply_to,
        "text": turn.text,
        "complete": turn.complete and turn.finish_reason != "length",
        "finish_reason": turn.finish_reason,
        "usage": {
            "prompt_tokens": int(usage.get("prompt_tokens") or 0),
            "completion_tokens": int(usage.get("completion_tokens") or 0),
            "estimated": bool(usage.get("estimated", False)),
        },
    }


def usage_line(session: Session) -> str:
    """The session's total: every call it paid for (replies, hints, judge, rewrite), as the
    app's status line counts them (`Session.usage`), with the cost where the price is known."""
    from coach.llm.meter import billed_models

    meter = session.usage
    if meter.requests == 0 and session.backend.name == "offline":
        return "-- usage: no API calls (offline)"
    used = meter.usage
    estimated = ", estimated" if used.estimated else ""
    spent = meter.cost_usd_with(billed_models(session.backend))
    cost = "cost unknown" if spent is None else f"${spent:.4f}"
    calls = "call" if meter.requests == 1 else "calls"
    return (
        f"-- usage: {used.total_tokens:,} tokens "
        f"({used.prompt_tokens:,} prompt + {used.completion_tokens:,} completion{estimated}) "
        f"in {meter.requests} {calls} · {cost}"
    )


def score_line(score: TurnScore) -> str:
    """`empathy 3.8  listening 4.1  clarity 3.5`."""
    from coach.scoring.types import SKILLS

    return "  ".join(f"{SHORT_LABELS[s]} {score.skill(s).score:.1f}" for s in SKILLS)


async def _play(
    args: argparse.Namespace,
    settings: Settings,
    scenario: Scenario | None,
    scenario_path: Path | None,
    lines: ScriptLines,
) -> int:
    import asyncio
    import random

    from coach.commands._common import error, scenario_failed
    from coach.library import ScenarioNotFound
    from coach.llm.errors import LLMError
    from coach.scenario_loader import ScenarioError
    from coach.session import Session, SessionError
    from coach.sessions_store import SessionNotFound, find_session
    from coach.transcript import TranscriptError

    out = _Out(args.json, args.trace)
    scorer = _make_scorer(settings)
    try:
        if args.resume:
            path = find_session(args.resume, settings.sessions_dir)
            session = _resume(path, settings, scenario, scorer, args.play_offline)
        else:
            assert scenario is not None
            seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
            from coach.llm.factory import make_backend

            backend = make_backend(settings, scenario, seed=seed)
            session = Session(
                scenario,
                backend,
                scorer,
                args.transcript,
                settings=settings,
                seed=seed,
                scenario_path=scenario_path,
            )
            await session.start()
    except (SessionNotFound, TranscriptError, ScenarioNotFound, LLMError, OSError) as exc:
        error(str(exc))
        return ExitCode.FAILURES
    except ScenarioError as exc:
        return scenario_failed(exc)

    name = session.scenario.counterpart.name
    out.emit(
        {
            "type": "session",
            "session_id": session.session_id,
            "transcript": str(session.path),
            "scenario_id": session.scenario.id,
            "backend": session.backend.name,
            "resumed": bool(args.resume),
            "turns": session.turn_count,
        },
        f"# {session.scenario.title} — transcript: {session.path}",
    )
    if not args.resume:
        opening = session.opening
        record = (
            counterpart_record(opening)
            if opening is not None
            else {"type": "counterpart", "turn_id": "C0", "text": session.last_counterpart_text}
        )
        out.emit(record, f"{name}: {session.last_counterpart_text}")
    code: int = ExitCode.OK
    skipped_commands = 0
    if session.phase.value == "ended":
        # Its lines would go nowhere: say so rather than read and drop them.
        error(f"session {session.session_id} has ended; start a new one to practise again")
        await session.aclose()
        return ExitCode.FAILURES
    try:
        if session.needs_retry:
            code = await _reply(session, session.retry(), out, None)
        while code == ExitCode.OK and session.phase.value == "active":
            try:
                raw = await asyncio.to_thread(lines.readline)
            except ScriptError as exc:
                error(str(exc))
                code = ExitCode.FAILURES
                break
            if raw == "":
                if not args.keep_open:
                    ended = await session.end("the script ended")
                    _print_end(out, ended.outcome.value, ended.reason, list(ended.objectives_met))
                break
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            try:
                if line.startswith("/"):
                    try:
                        code = await _command(session, line, out)
                    except SessionError as exc:
                        # A command that cannot apply now ("/retry" after a complete reply,
                        # "/rewind L9") is said and skipped; the script goes on, and the
                        # exit code still tells a scripted run that something was wrong.
                        error(str(exc))
                        skipped_commands += 1
                    continue
                out.emit({"type": "learner", "text": line}, f"You: {line}")
                stream = session.send(line)
                code = await _reply(session, stream, out, stream)
            except SessionError as exc:
                error(str(exc))
                code = ExitCode.FAILURES
        if args.debrief and session.phase.value == "ended":
            await _print_debrief(session, out)
        out.note(usage_line(session))
        if code == ExitCode.OK and (skipped_commands or session.unscored):
            # The conversation went on, but a scripted run must know some turn has no score.
            code = ExitCode.FAILURES
        if code == ExitCode.BACKEND and session.phase.value == "active":
            # The rest of the input was not read: say how to go on from here.
            error(
                f"stopped; your turns so far are saved. Continue with: "
                f"coach play --resume {session.session_id}"
            )
    finally:
        await session.aclose()
    return code


async def _print_debrief(session: Session, out: _Out) -> None:
    """The end-of-session debrief the app shows, as Markdown text (or one JSON record)."""
    from coach.commands._common import warn
    from coach.scoring.debrief import render_markdown

    debrief = await session.debrief()
    if debrief.summary.turns:
        out.emit({"type": "debrief", **debrief_record(debrief)}, "\n" + render_markdown(debrief))
    elif debrief.unscored:
        warn("no debrief: none of the turns was scored (see the messages above)")


def debrief_record(debrief: Debrief) -> dict[str, Any]:
    """`Debrief.to_dict()` with its turns numbered from 1.

    `to_dict` keeps the scorer's 0-based indexes (`best_turn` even indexes the scored turns
    only); the Markdown debrief, the turn ids (L1) and replay's reports count from 1, and a
    `"best_turn": 0` next to "Best turn: 1" sent readers to the wrong turn.
    """
    record = debrief.to_dict()
    summary = debrief.summary
    for key, at in (("best_turn", summary.best_turn), ("weakest_turn", summary.weakest_turn)):
        record["summary"][key] = None if at is None else summary.turns[at].index + 1
    for key in ("strength", "improvement", "rewrite"):
        if record[key] is not None:
            record[key]["turn"] += 1
    return record


def _resume(
    path: Path,
    settings: Settings,
    scenario: Scenario | None,
    scorer: Any,
    force_offline: bool,
) -> Session:
    from coach.llm.factory import make_backend
    from coach.session import Session, scenario_of_transcript
    from coach.transcript import read_transcript

    header = read_transcript(path).header
    if scenario is None:
        scenario = scenario_of_transcript(header, settings)
    offline = force_offline or header.get("backend") == "offline" or not settings.use_llm
    seed = header.get("seed") if isinstance(header.get("seed"), int) else None
    backend = make_backend(settings, scenario, seed=seed, offline=offline)
    return Session.resume(path, backend, scorer, scenario=scenario, settings=settings)


def _make_scorer(settings: Settings) -> Any:
    from coach.scoring.factory import make_scorer

    # The judge needs an endpoint; offline sessions are scored by the analytic scorer.
    name = settings.scorer if settings.use_llm else "heuristic"
    return make_scorer(name, settings)


async def _reply(session: Session, stream: Any, out: _Out, _: Any) -> int:
    from coach.commands._common import error, warn
    from coach.session import (
        CUT_AT_LIMIT,
        Ended,
        LearnerRecorded,
        ReplyDelta,
        ReplyDone,
        ReplyFailed,
        ReplyStarted,
        StateChanged,
    )

    name = session.scenario.counterpart.name
    code: int = ExitCode.OK
    learner_id: str | None = None
    ended: Ended | None = None
    async for event in stream:
        if isinstance(event, LearnerRecorded):
            learner_id = event.turn.turn_id
        elif isinstance(event, StateChanged):
            learner_id = event.state.after
        elif isinstance(event, ReplyStarted):
            out.stream(f"{name}: ")
            learner_id = learner_id or "L" + event.turn_id[1:]
        elif isinstance(event, ReplyDelta):
            out.stream(event.text)
        elif isinstance(event, ReplyDone):
            out.stream("\n")
            out.emit(counterpart_record(event.turn))
            if event.cut_at_limit and not out.json:
                warn(f"({CUT_AT_LIMIT})")
        elif isinstance(event, ReplyFailed):
            out.stream("\n")
            error(event.message)
            out.emit({"type": "error", "kind": event.kind, "message": event.message})
            code = ExitCode.BACKEND
        elif isinstance(event, Ended):
            ended = event
    if learner_id is not None:
        score = await session.score_for(learner_id)
        state = session.state
        record: dict[str, Any] = {
            "type": "turn",
            "turn_id": learner_id,
            "state": {
                "trust": state.trust,
                "tension": state.tension,
                "mood": state.mood,
                "stage": state.stage,
                "move": state.move,
            },
        }
        text = None
        failure = session.score_failure(learner_id) if score is None else None
        if failure is not None:
            # Said where the scores would be: a judge that failed every turn left no trace.
            record["score_error"] = failure
            text = f"  [not scored: {failure}]"
        if score is not None:
            record["scores"] = {s: round(score.skill(s).score, 2) for s in _skills()}
            text = f"  [{score_line(score)}]"
        if text is not None:
            if session.scenario.show_state and not out.trace:
                text += f"  trust {state.trust}  tension {state.tension}"
            if out.trace:
                # What a trainer checks a scenario against: which move the turn counted as,
                # and where that left the counterpart.
                move = state.move or "-"
                text += (
                    f"  move {move} · stage {state.stage} · trust {state.trust} · "
                    f"tension {state.tension}"
                )
        out.emit(record, text)
    if ended is not None:
        _print_end(out, ended.outcome.value, ended.reason, list(ended.objectives_met))
    return code


def _skills() -> tuple[Skill, ...]:
    from coach.scoring.types import SKILLS

    return SKILLS


def _print_end(out: _Out, outcome: str, reason: str, met: list[str]) -> None:
    objectives = ", ".join(met) or "none"
    out.emit(
        {"type": "end", "outcome": outcome, "reason": reason, "objectives_met": met},
        f"-- ended: {outcome} ({reason}); objectives met: {objectives}",
    )


async def _command(session: Session, line: str, out: _Out) -> int:
    from coach.commands._common import error
    from coach.session import LEARNER_ENDED, SessionError

    word, _, rest = line[1:].partition(" ")
    if word == "hint":
        text = await session.hint()
        out.emit({"type": "hint", "text": text}, f"(hint) {text}")
        return ExitCode.OK
    if word == "retry":
        return await _reply(session, session.retry(), out, None)
    if word == "rewind":
        if not rest.strip():
            raise SessionError("/rewind needs the learner turn to go back before, e.g. /rewind L2")
        turn = session.rewind(rest.strip())
        out.emit({"type": "rewind", "to": turn.turn_id}, f"(rewound to before {turn.turn_id})")
        return ExitCode.OK
    if word == "end":
        ended = await session.end(rest.strip() or LEARNER_ENDED)
        _print_end(out, ended.outcome.value, ended.reason, list(ended.objectives_met))
        return ExitCode.OK
    error(f"unknown command /{word} (try /hint, /retry, /rewind L2, /end)")
    return ExitCode.OK
