"""`coach calibrate`: agreement between a scorer and human raters, and the judge's own noise.

Exit codes: 0 report printed; 1 some items could not be scored; 2 usage; 3 settings or an
unusable labels file; 4 the endpoint failed for good; 130 interrupted (scores so far are
cached).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from coach.commands._common import CONCURRENCY_HELP, judge_concurrency


def register(sub: Any) -> None:
    p = sub.add_parser(
        "calibrate",
        help="agreement of a scorer with human labels (Spearman, weighted kappa, confusion)",
        description="Score labelled replies and compare with the human ratings. LABELS is "
        "JSONL, either {context, response, human: {empathy, clarity, active_listening}} "
        "(1-5) or a ../shared/data research file (EPITOME, PAIR, AnnoMI, MI gold, CLEAR).",
    )
    p.add_argument("labels", type=Path, metavar="LABELS.jsonl")
    p.add_argument("--scorer", choices=("heuristic", "llm"), help="scorer to calibrate")
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="with --scorer llm: ask the judge N times (cache bypassed) and report variance",
    )
    p.add_argument("--limit", type=int, metavar="N", help="only the first N labelled rows")
    p.add_argument("--concurrency", type=int, metavar="N", help=CONCURRENCY_HELP)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import asyncio
    import json

    from coach.calibrate import (
        MAPPINGS,
        LabelError,
        agreement,
        format_report,
        load_labels,
        repeat_variance,
    )
    from coach.commands._common import error, settings_from_args, warn
    from coach.exitcodes import ExitCode
    from coach.importers import Conversation, Turn
    from coach.progress import Progress
    from coach.replay import ReplayRun, replay
    from coach.scoring.factory import close_scorer, make_scorer
    from coach.scoring.types import ScoringError, TurnScore
    from coach.wording import counted

    if args.repeat < 1 or (args.concurrency is not None and args.concurrency < 1):
        error("--repeat and --concurrency must be at least 1")
        return ExitCode.USAGE
    if args.limit is not None and args.limit < 1:
        # --limit 0 or -5 used to end in "no labelled rows" (exit 3), blaming the file.
        error("--limit must be at least 1")
        return ExitCode.USAGE
    settings = settings_from_args(args).settings
    name = args.scorer or ("heuristic" if not settings.use_llm else settings.scorer)
    if args.repeat > 1 and name != "llm":
        error("--repeat measures the LLM judge's variance; use it with --scorer llm")
        return ExitCode.USAGE
    try:
        items, used = load_labels(args.labels, args.limit)
    except LabelError as exc:
        if len(exc.problems) == 1:
            error(exc.problems[0])
        else:
            for problem in exc.problems:
                warn(problem)
            error(f"{args.labels}: nothing was scored; fix the lines above")
        return ExitCode.CONFIG

    conv = Conversation(
        path=args.labels,
        format="coach",
        session_id="labels",
        turns=tuple(Turn(it.id, i, it.context, it.response) for i, it in enumerate(items, 1)),
        digest="",
    )
    runs: list[list[TurnScore | None]] = []
    fatal: list[str] = []
    reasons: list[str] = []  # why items of the first run could not be scored

    async def go() -> None:
        for attempt in range(args.repeat):
            # Repeats bypass the cache: the point is to see the judge answer afresh.
            scorer = make_scorer(name, settings, bypass_cache=args.repeat > 1)
            try:
                progress = Progress(
                    len(items),
                    label=f"calibrate {attempt + 1}/{args.repeat}" if args.repeat > 1 else "score",
                    enabled=False if args.quiet else None,
                )
                run = await replay(
                    [conv],
                    [scorer],
                    concurrency=judge_concurrency(args.concurrency, settings),
                    progress=progress,
                    run=ReplayRun(scorers=[name]),
                )
            finally:
                await close_scorer(scorer)
            runs.append([r.score for r in run.results])
            if len(runs) == 1:
                reasons.extend(r.error for r in run.results if r.error)
            if run.fatal:
                fatal.append(run.fatal)
                return

    try:
        asyncio.run(go())
    except ScoringError as exc:
        error(str(exc))
        return ExitCode.CONFIG
    except KeyboardInterrupt:
        print("\ninterrupted; scores so far are cached", file=sys.stderr)
        return ExitCode.INTERRUPTED
    if fatal:
        error(fatal[0])
        return ExitCode.BACKEND

    scores = runs[0]
    results = agreement(items, scores)
    failed = sum(1 for s in scores if s is None)
    variance = repeat_variance(runs) if args.repeat > 1 else None
    if args.format == "json":
        out = {
            "labels": str(args.labels),
            "scorer": name,
            "items": len(items),
            "failed": failed,
            "mappings": {k: MAPPINGS[k] for k in sorted(used) if k in MAPPINGS},
            "skills": [r.to_dict() for r in results],
            "repeat": args.repeat,
            "variance": variance,
        }
        print(json.dumps(out, indent=2))
    else:
        sys.stdout.write(format_report(args.labels, name, used, results, failed, variance))
    # A full disk or closed pipe shows up here, inside the command, rather than as an
    # "Exception ignored" at interpreter exit; it is left to propagate to coach.cli.
    sys.stdout.flush()
    if reasons:
        # The report counts them; this says why ("5 items could not be scored" and no more).
        others = len(reasons) - reasons.count(reasons[0])
        also = f" ({counted(others, 'item')} for other reasons)" if others else ""
        warn(f"{counted(len(reasons), 'item')} not scored: {reasons[0]}{also}")
    return ExitCode.FAILURES if failed else ExitCode.OK
