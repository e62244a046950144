"""`coach replay`: re-score stored conversations in bulk and write a report.

Exit codes (coach.exitcodes.ExitCode): 0 everything scored; 1 some file or turn failed (the
rest was scored and reported); 2 bad command line, or an --out that cannot be written; 3
settings problem (e.g. `--scorer llm` without an endpoint); 4 the endpoint failed for good
(bad key, unknown model); 130 interrupted: what was scored is in the cache, run the same
command again to continue.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

from coach.commands._common import CONCURRENCY_HELP, judge_concurrency

INPUT_SUFFIXES = (".jsonl", ".json", ".txt")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "replay",
        help="re-score transcripts in bulk and report (table, json, csv, md, html)",
        description="Re-score learner turns from coach transcripts, OpenAI-style message "
        "lists (the learner is the user role) or plain-text 'Name: text' transcripts. "
        "Judge calls are cached, so a second run is free and an interrupted run resumes. "
        "Exit codes: 0 ok, 1 some inputs failed, 2 usage, 3 settings, 4 endpoint, "
        "130 interrupted.",
    )
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="files or folders to replay; - reads stdin"
    )
    p.add_argument(
        "--scorer",
        choices=("heuristic", "llm", "both"),
        help="scorer to use (default: the configured one; heuristic when offline)",
    )
    p.add_argument("--concurrency", type=int, metavar="N", help=CONCURRENCY_HELP)
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=1,
        metavar="N",
        help="processes that import files and run the heuristic scorer (1; 0 = one per CPU); "
        "the report is the same as with 1",
    )
    p.add_argument(
        "--format",
        choices=("table", "json", "csv", "md", "html"),
        help="report format (default: from --out's extension, else table)",
    )
    p.add_argument("--out", type=Path, metavar="PATH", help="write the report here")
    p.add_argument("--learner", metavar="NAME", help="the learner's name in plain-text files")
    p.add_argument(
        "--batch",
        action="store_true",
        help="send judge calls through the OpenAI Batch API (cheaper, up to 24h)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary")
    p.set_defaults(func=_run)


def expand_inputs(items: list[str]) -> list[Path]:
    """Folders become their transcript-like files; unmatched globs are expanded here (shells
    on Windows do not); `-` stays, for standard input."""
    import glob

    out: list[Path] = []
    for item in items:
        path = Path(item)
        if item == "-":
            out.append(path)  # standard input, read by the caller
        elif str(path) == "-":
            out.append(path.absolute())  # `./-` is a file named "-", not standard input
        elif path.is_dir():
            out += sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES
            )
        elif not path.exists() and any(ch in item for ch in "*?["):
            out += [Path(p) for p in sorted(glob.glob(item, recursive=True))] or [path]
        else:
            out.append(path)
    return out


_SUFFIX_FORMATS = {
    "html": "html",
    "htm": "html",
    "json": "json",
    "csv": "csv",
    "md": "md",
    "markdown": "md",
}


def _format_for(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    if args.out is not None:
        return _SUFFIX_FORMATS.get(args.out.suffix.lower().lstrip("."), "table")
    return "table"


def write_report(path: Path, text: str) -> None:
    """Write `text` to `path` so that a reader never sees half a report, without destroying
    what `path` is.

    A regular file (or a new path) is replaced atomically: a temporary file beside it, then
    a rename. Renaming over anything else would swap it for a regular file: a symlink is
    followed so its target is replaced and the link kept, and a device or FIFO
    (/dev/null, a named pipe) is written to directly. A path that names an open descriptor
    (/dev/stdout, /dev/fd/3, /proc/self/fd/1) is written to directly and appended to,
    whatever it is open on: resolving it leads to "pipe:[N]" (which does not exist) when it
    is a pipe, and to the shell's own file (which it may be appending to) when it is
    redirected. Raises OSError; no temporary file is left behind.
    """
    import errno
    import stat
    import tempfile

    if _names_a_descriptor(path):
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
        return
    try:
        mode: int | None = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder", str(path))
    if mode is not None and not stat.S_ISREG(mode):
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        return
    target = Path(os.path.realpath(path))  # through any symlinks, even to a file not yet made
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        # mkstemp makes the file 0600; give the report the mode `open` would have.
        os.chmod(tmp_name, stat.S_IMODE(mode) if mode is not None else 0o666 & ~_umask())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


_DESCRIPTOR_PATH = re.compile(r"/dev/std(in|out|err)|/dev/fd/\d+|/proc/[^/]+/fd/\d+")


def _names_a_descriptor(path: Path) -> bool:
    """Whether `path`, or a symlink it leads through, is /dev/stdout, /dev/fd/N or
    /proc/PID/fd/N."""
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on symlinks followed
        if _DESCRIPTOR_PATH.fullmatch(current):
            return True
        if not os.path.islink(current):
            return False
        current = os.path.normpath(os.path.join(os.path.dirname(current), os.readlink(current)))
    return False


def _umask() -> int:
    current = os.umask(0o022)  # the only way to read it is to set it
    os.umask(current)
    return current


def _run(args: argparse.Namespace) -> int:
    import asyncio

    from coach.commands._common import error, settings_from_args, stdin_bytes, warn
    from coach.exitcodes import ExitCode
    from coach.progress import Progress
    from coach.replay import ReplayRun, replay_files
    from coach.report import render, summary_text
    from coach.scoring.factory import close_scorer, make_scorer
    from coach.scoring.types import Scorer, ScoringError
    from coach.wording import counted

    if args.concurrency is not None and args.concurrency < 1:
        error("--concurrency must be at least 1")
        return ExitCode.USAGE
    if args.jobs < 0:
        error("--jobs must be 0 (one per CPU) or more")
        return ExitCode.USAGE
    jobs = args.jobs or (os.cpu_count() or 1)
    settings = settings_from_args(args).settings
    choice = args.scorer or ("heuristic" if not settings.use_llm else settings.scorer)
    names = ["heuristic", "llm"] if choice == "both" else [choice]
    if args.batch and "llm" not in names:
        error("--batch sends judge calls; use it with --scorer llm or both")
        return ExitCode.USAGE
    fmt = _format_for(args)
    if args.format is None and args.out is not None and args.out.suffix:
        suffix = args.out.suffix.lower().lstrip(".")
        if suffix not in _SUFFIX_FORMATS and suffix not in ("txt", "text"):
            # `--out report.pdf` wrote the terminal table into a .pdf.
            error(f"--out {args.out}: no report format for .{suffix}; give --format")
            return ExitCode.USAGE
    if args.out is not None and args.out.is_dir():
        # Said before any scoring: a long judge run should not end in "cannot write".
        error(f"--out {args.out} is a folder; give a file name")
        return ExitCode.USAGE
    stdin: bytes | None = None
    if "-" in args.files:
        if args.files.count("-") > 1:
            error("standard input (-) can be read only once")
            return ExitCode.USAGE
        source = stdin_bytes("give FILES or pipe a transcript in")
        if source is None:
            return ExitCode.USAGE
        try:
            stdin = source.read()
        except OSError as exc:
            error(f"cannot read standard input: {exc.strerror or exc}")
            return ExitCode.USAGE
        except KeyboardInterrupt:
            print("\ninterrupted while reading standard input", file=sys.stderr)
            return ExitCode.INTERRUPTED
    paths = expand_inputs(args.files)
    if not paths:
        # An empty or mistyped folder used to report "0/0 turn scores" and exit 0.
        error(f"no transcripts found in {', '.join(args.files)}")
        return ExitCode.FAILURES
    run = ReplayRun(scorers=names)
    show = not args.quiet

    def progress_factory(total: int) -> Progress:
        return Progress(total, label="replay", enabled=None if show else False)

    async def go() -> None:
        scorers: list[Scorer] = []
        try:
            for name in names:
                scorers.append(make_scorer(name, settings))
            batch = None
            if args.batch:
                from coach.batch import BatchJudgeRunner

                judge = next(s for s in scorers if s.name == "llm")
                batch = BatchJudgeRunner.for_judge(judge, settings, quiet=args.quiet)
            await replay_files(
                paths,
                scorers,
                learner=args.learner,
                concurrency=judge_concurrency(args.concurrency, settings),
                run=run,
                progress_factory=progress_factory,
                batch=batch,
                jobs=jobs,
                stdin=stdin,
            )
        finally:
            for s in scorers:
                await close_scorer(s)

    try:
        asyncio.run(go())
    except ScoringError as exc:
        error(str(exc))
        return ExitCode.CONFIG
    except KeyboardInterrupt:
        if not run.files_read:
            print(
                f"\ninterrupted while reading the {counted(len(paths), 'file')}; "
                "nothing was scored",
                file=sys.stderr,
            )
            return ExitCode.INTERRUPTED
        done, total = run.scored, len(run.results)
        # Only the judge's scores are cached; the heuristic scorer is fast and keeps none.
        cached = "llm" in run.scorers
        again = (
            "run the same command again to continue where it stopped"
            if cached
            else "the heuristic scorer keeps no cache, so running again starts over"
        )
        # The progress bar counted failed turns as done: say them too, or "2/12, 2 failed"
        # above reads against "0 of 12" here.
        failed = len(run.failed_turns)
        also = f" ({failed} failed)" if failed else ""
        print(f"\ninterrupted after {done} of {total} turn scores{also}; {again}", file=sys.stderr)
        return ExitCode.INTERRUPTED

    text = render(run, fmt)
    if args.out is not None:
        try:
            write_report(args.out, text)
        except OSError as exc:
            error(f"cannot write the report to {args.out}: {exc.strerror or exc}")
            return ExitCode.USAGE
    else:
        sys.stdout.write(text)
        # A full disk or closed pipe shows up here, inside the command, rather than as an
        # "Exception ignored" at interpreter exit; it is left to propagate to coach.cli.
        sys.stdout.flush()
    if show and (args.out is not None or fmt != "table"):
        # The report went elsewhere; the terminal still gets the summary.
        warn(summary_text(run))
        if args.out is not None:
            warn(f"report written to {args.out}")
    for w in run.warnings if show else []:
        warn(f"warning: {w}")
    # The table lists failed files itself; when it is on the terminal, once is enough.
    table_on_terminal = fmt == "table" and args.out is None and sys.stdout.isatty()
    for f in run.failures if not table_on_terminal else ():
        warn(f"{f.path}: {f.message}")
    if run.fatal:
        error(run.fatal)
        return ExitCode.BACKEND
    return ExitCode.OK if run.ok else ExitCode.FAILURES
