"""`coach scenarios list | show ID | validate FILE... | new | schema`: the trainer's toolbox."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from coach.exitcodes import ExitCode


def register(sub: Any) -> None:
    p = sub.add_parser("scenarios", help="list, show, validate and create scenario files")
    actions = p.add_subparsers(dest="action", metavar="ACTION")

    ls = actions.add_parser("list", help="list the library (built-in and your own)")
    ls.add_argument("--skill", help="only scenarios with this skill in focus")
    ls.add_argument("--difficulty", choices=["beginner", "intermediate", "advanced"])
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(func=_list)

    show = actions.add_parser("show", help="show one scenario's briefing")
    show.add_argument("id", help="scenario id or path to a YAML file")
    show.set_defaults(func=_show)

    val = actions.add_parser(
        "validate", help="check files; prints FILE:LINE:COL: message per problem"
    )
    val.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="scenario files, or folders of them (their *.yaml and *.yml files); - reads stdin",
    )
    val.set_defaults(func=_validate)

    new = actions.add_parser("new", help="print a valid, commented starter scenario")
    new.add_argument(
        "--skill",
        action="append",
        choices=["empathy", "active_listening", "clarity"],
        help="skill in focus (repeatable)",
    )
    new.add_argument(
        "--id",
        type=_scenario_id,
        default="my-scenario",
        help="the new scenario's id: lowercase letters, digits and dashes",
    )
    new.add_argument("--out", type=Path, help="write to this file instead of stdout")
    new.set_defaults(func=_new)

    schema = actions.add_parser("schema", help="print the JSON Schema for editor completion")
    schema.set_defaults(func=_schema)

    p.set_defaults(func=lambda args: _list(args) if args.action is None else ExitCode.USAGE)


def _scenario_id(value: str) -> str:
    """An id the loader accepts: `new` must not write a file that then fails validation."""
    from typing import Annotated

    from pydantic import TypeAdapter, ValidationError

    from coach.scenario import Scenario

    # The field itself, so that the rule cannot drift from the loader's.
    rule = TypeAdapter(Annotated[str, Scenario.model_fields["id"]])
    try:
        rule.validate_python(value)
    except ValidationError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a scenario id: use lowercase letters, digits and dashes, "
            "starting with a letter or digit, at most 64 characters"
        ) from None
    return value


def _library(args: argparse.Namespace) -> Any:
    from coach.commands._common import settings_from_args
    from coach.library import load_library

    settings = settings_from_args(args).settings
    return load_library(settings.user_scenarios_dir)


def _list(args: argparse.Namespace) -> int:
    from coach.commands._common import warn
    from coach.wording import counted

    library = _library(args)
    rows = [
        s
        for s in library.scenarios
        if (not getattr(args, "skill", None) or args.skill in s.skills)
        and (not getattr(args, "difficulty", None) or s.difficulty == args.difficulty)
    ]
    if getattr(args, "json", False):
        out = [
            {
                "id": s.id,
                "title": s.title,
                "category": s.category.value,
                "difficulty": s.difficulty.value,
                "skills": list(s.skills),
                "builtin": library.is_builtin(s.id),
                "path": str(library.path_of(s.id)),
            }
            for s in rows
        ]
        print(json.dumps(out, indent=2))
    else:
        width = max((len(s.id) for s in rows), default=2)
        for s in rows:
            origin = "" if library.is_builtin(s.id) else "  (yours)"
            print(
                f"{s.id:<{width}}  {s.difficulty.value:<12}  {s.category.value:<22}  "
                f"{' '.join(s.title.split())}{origin}"  # a `title: |` block is one row
            )
        print(counted(len(rows), "scenario"), file=sys.stderr)
    for problem in library.problems:
        warn(f"warning: {problem}")
    return ExitCode.OK


def _show(args: argparse.Namespace) -> int:
    from coach.commands._common import error, scenario_failed, settings_from_args
    from coach.library import ScenarioNotFound, resolve_scenario
    from coach.scenario_loader import ScenarioError

    settings = settings_from_args(args).settings
    try:
        s = resolve_scenario(args.id, settings.user_scenarios_dir).scenario
    except ScenarioError as exc:
        return scenario_failed(exc)
    except ScenarioNotFound as exc:
        error(str(exc))
        return ExitCode.FAILURES
    c = s.counterpart
    print(f"{s.title}  [{s.id}]")
    print(f"{s.category.value} · {s.difficulty.value} · skills: {', '.join(s.skills)}")
    print()
    print(s.summary)
    print()
    print(f"You are: {s.learner.role}")
    print(f"Your goal: {s.learner.goal}")
    print(f"What you know: {s.learner.brief}")
    print()
    print(f"You will talk to: {c.name}, {c.role}")
    print("Success means:")
    for objective in s.objectives:
        print(f"  - {objective.description}")
    print(f"Turn limit: {s.max_turns}")
    return ExitCode.OK


def _validate(args: argparse.Namespace) -> int:
    from coach.library import builtin_id_problem, builtin_scenarios
    from coach.scenario_loader import (
        LoadedScenario,
        Problem,
        ScenarioError,
        duplicate_id_problems,
        load_file,
        scenario_files,
    )
    from coach.wording import counted

    loaded: list[LoadedScenario] = []
    failed = False
    paths: list[Path] = []
    for given in args.files:
        if str(given) == "-" or not given.is_dir():
            paths.append(given)
            continue
        found = list(scenario_files(given))
        if not found:
            print(Problem(str(given), 1, 1, "no scenario files (*.yaml, *.yml) in this folder"))
            failed = True
        paths += found
    for path in paths:
        try:
            loaded.append(_load_stdin() if str(path) == "-" else load_file(path))
        except ScenarioError as exc:
            failed = True
            for problem in exc.problems:
                print(problem)
    duplicates = duplicate_id_problems(loaded)
    # A trainer's copy of a built-in scenario, id unchanged, is skipped by the library.
    repeated = {p.path for p in duplicates}
    builtin = builtin_scenarios() if loaded else []
    for item in loaded:
        clash = builtin_id_problem(item, builtin) if str(item.path) not in repeated else None
        if clash is not None:
            duplicates.append(clash)
    for problem in duplicates:
        print(problem)
    notes = [note for item in loaded for note in item.notes]
    for note in notes:
        print(note)
    failed = failed or bool(duplicates)
    valid = len(loaded) - len(duplicates)
    summary = f"{valid} of {counted(len(paths), 'file')} valid"
    if notes:
        summary += f" ({counted(len(notes), 'note')}: worth a look, not errors)"
    print(summary, file=sys.stderr)
    return ExitCode.FAILURES if failed else ExitCode.OK


def _load_stdin() -> Any:
    """`coach scenarios validate -`: the file piped in, named `<stdin>` in messages."""
    from coach.scenario_loader import MAX_FILE_BYTES, load_text

    # Bounded like a file: one byte over the limit is enough to say it is too large.
    return load_text(sys.stdin.buffer.read(MAX_FILE_BYTES + 1), "<stdin>")


def _new(args: argparse.Namespace) -> int:
    from coach.commands._common import error
    from coach.scenario_template import starter_scenario

    # `--skill clarity --skill clarity` means clarity, once.
    skills = list(dict.fromkeys(args.skill or ["empathy", "active_listening"]))
    text = starter_scenario(args.id, skills)
    if args.out:
        try:
            # "x": never overwrite a trainer's file, even one created since we looked.
            with args.out.open("x", encoding="utf-8") as file:
                file.write(text)
        except FileExistsError:
            error(f"{args.out} exists; not overwriting it")
            return ExitCode.FAILURES
        except OSError as exc:  # a missing or read-only folder, a full disk
            error(f"cannot write {args.out}: {exc.strerror or exc}")
            return ExitCode.FAILURES
        print(f"wrote {args.out}; check it with: coach scenarios validate {args.out}")
    else:
        sys.stdout.write(text)
    return ExitCode.OK


def _schema(args: argparse.Namespace) -> int:
    from coach.scenario import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2))
    return ExitCode.OK
