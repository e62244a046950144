"""Trainers' errors: every broken file gets FILE:LINE:COL lines, exit 1, never a traceback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from coach import scenario_loader
from coach.cli import main
from coach.resources import builtin_dir
from coach.scenario import Scenario, scenario_json_schema
from coach.scenario_loader import load_file

HERE = Path(__file__).parent
BROKEN = sorted((HERE / "broken").glob("*.yaml"))
EXPECTED: dict[str, dict[str, object]] = json.loads((HERE / "broken_expected.json").read_text())
PROBLEM_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<msg>.+)$")
BUILTIN = sorted(builtin_dir("scenarios").glob("*.yaml"))


def _validate(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, list[str], str]:
    code = main(["scenarios", "validate", *map(str, paths)])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_corpus_is_big_enough() -> None:
    assert len(BROKEN) >= 25
    assert {p.stem for p in BROKEN} == set(EXPECTED)


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_each_broken_file_is_reported_at_its_position(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, err = _validate(capsys, path)
    assert code == 1
    assert lines, "a broken file must produce at least one problem line"
    matches = [PROBLEM_LINE.match(line) for line in lines]
    assert all(matches), lines
    assert all(m and m["file"] == str(path) for m in matches)
    expected = EXPECTED[path.stem]
    wanted = [m for m in matches if m and str(expected["message"]) in m["msg"]]
    assert wanted, f"no line mentions {expected['message']!r}: {lines}"
    if expected["line"]:
        assert int(wanted[0]["line"]) == expected["line"], lines
    assert "Traceback" not in err


@pytest.mark.parametrize("loader", ["CSafeLoader", "SafeLoader"])
def test_deep_nesting_is_reported_at_the_same_place_by_either_yaml_parser(
    loader: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # libyaml (PyYAML 6.0.4) stops at its own depth limit while it scans the whole line of
    # brackets, before our check on the events sees level 51: the same message and place
    # either way, not "YAML syntax error: exceeded maximum nesting depth" at column 1006.
    if not hasattr(yaml, loader):
        pytest.skip(f"this PyYAML has no {loader}")
    monkeypatch.setattr(scenario_loader, "_YamlLoader", getattr(yaml, loader))
    path = Path(__file__).parent / "broken" / "nested-too-deeply.yaml"
    code, lines, _ = _validate(capsys, path)
    assert code == 1
    assert f"{path}:15:56: the YAML is nested too deeply (more than 50 levels)" in lines


def test_all_problems_of_a_file_in_one_run(capsys: pytest.CaptureFixture[str]) -> None:
    # Two separate mistakes in one file: both are listed.
    _, lines, _ = _validate(capsys, HERE / "broken" / "objectives-not-list.yaml")
    assert len(lines) == 2


def test_huge_file_and_whole_corpus_in_a_subprocess(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    huge.write_text("summary: " + "x" * (2 * 1024 * 1024) + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "coach", "scenarios", "validate", str(huge), *map(str, BROKEN)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert f"{huge}:1:1: the file is too large" in result.stdout
    reported = {line.split(":", 1)[0] for line in result.stdout.splitlines()}
    assert reported == {str(huge), *map(str, BROKEN)}


def test_duplicate_ids_across_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = BUILTIN[0]
    copy = tmp_path / "copy.yaml"
    copy.write_text(first.read_text())
    code, lines, _ = _validate(capsys, first, copy)
    assert code == 1
    assert len(lines) == 1
    assert lines[0].startswith(f"{copy}:")
    assert "duplicate scenario id" in lines[0]


def test_builtin_library_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert len(BUILTIN) == 10
    code, lines, _ = _validate(capsys, *BUILTIN)
    assert (code, lines) == (0, [])


@pytest.mark.parametrize("path", BUILTIN, ids=lambda p: p.stem)
def test_builtin_scenarios_match_the_printed_json_schema(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scenarios", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema == json.loads(json.dumps(scenario_json_schema()))
    jsonschema.validate(yaml.safe_load(path.read_text()), schema)


@pytest.mark.parametrize("path", BUILTIN, ids=lambda p: p.stem)
def test_builtin_scenarios_have_no_style_notes(path: Path) -> None:
    # E.g. an answer to "How are you holding up?" that opens with "What's going on?".
    assert load_file(path).notes == ()


def test_validate_notes_an_answer_that_restates_a_question(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = BUILTIN[0].read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    first = data["offline_script"]["stages"][0]["replies"]["open_question"][0]
    echoed = "What happened? " + first
    mine = tmp_path / "mine.yaml"
    # A new id: a copy keeping a built-in scenario's id is refused.
    mine.write_text(
        re.sub(r"(?m)^id: ", "id: mine-", text.replace(first, echoed, 1), count=1),
        encoding="utf-8",
    )
    code, lines, err = _validate(capsys, mine)
    assert code == 0  # advice, not an error
    line_no = next(n for n, ln in enumerate(mine.read_text().splitlines(), 1) if echoed in ln)
    assert len(lines) == 1 and lines[0].startswith(f"{mine}:{line_no}:")
    assert "note: this answer starts by restating a question" in lines[0]
    assert "1 of 1 file valid (1 note: worth a look, not errors)" in err


def test_validate_notes_an_objective_met_before_the_conversation_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A trainer's objective named the first stage: '/end' at once reported it as met.
    out = tmp_path / "mine.yaml"
    assert main(["scenarios", "new", "--id", "mine", "--out", str(out)]) == 0
    data = yaml.safe_load(out.read_text())
    first = data["offline_script"]["stages"][0]["id"]
    text = out.read_text().replace(
        f"reached_at_stage: {data['objectives'][0]['reached_at_stage']}",
        f"reached_at_stage: {first}",
        1,
    )
    out.write_text(text)
    capsys.readouterr()
    code, lines, _ = _validate(capsys, out)
    assert code == 0 and len(lines) == 1
    assert f"note: {first!r} is the first stage" in lines[0]


def test_schema_rejects_what_the_model_rejects() -> None:
    data = yaml.safe_load(BUILTIN[0].read_text())
    data["colour"] = "blue"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, scenario_json_schema())


def test_every_schema_property_has_a_description() -> None:
    # Editors show descriptions on hover; ~40 fields (title, replies.*, stages...) had none.
    schema = scenario_json_schema()
    missing = [
        f"{name}.{key}"
        for name, model in [("Scenario", schema), *schema["$defs"].items()]
        for key, prop in model.get("properties", {}).items()
        if "description" not in prop
    ]
    assert missing == []


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["offline_script"]["stages"][0]["advance_when"].update(moves_any=[]),
        lambda d: d["counterpart"].update(name=" "),
        lambda d: d.update(title="  "),
        lambda d: d["offline_script"]["stages"][0]["replies"].update(default=[]),
    ],
    ids=["empty-moves-any", "blank-name", "blank-title", "empty-replies"],
)
def test_schema_rejects_empty_lists_and_blank_text_like_the_validator(change: Any) -> None:
    data = yaml.safe_load(BUILTIN[0].read_text())
    change(data)
    with pytest.raises(ValidationError):
        Scenario.model_validate(data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, scenario_json_schema())


def test_new_writes_a_valid_starter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mine.yaml"
    assert main(["scenarios", "new", "--id", "mine", "--skill", "clarity", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    code, lines, _ = _validate(capsys, out)
    assert (code, lines) == (0, [])
    data = yaml.safe_load(out.read_text())
    assert data["skills"] == ["clarity"]
    # The final objective is met by an agreement, as the guide says: with a stage to reach,
    # three listening turns "met every objective" and ended the session with no proposal.
    assert "reached_at_stage" not in data["objectives"][-1]
    # Never overwrites a trainer's file.
    assert main(["scenarios", "new", "--out", str(out)]) == 1


def test_new_into_a_folder_it_cannot_write_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "no-such-folder" / "mine.yaml"
    assert main(["scenarios", "new", "--out", str(missing)]) == 1  # ExitCode.FAILURES
    err = capsys.readouterr().err
    assert err == f"coach: error: cannot write {missing}: No such file or directory\n"

    # A read-only folder (simulated: chmod does not stop root, which some CI runs as).
    read_only = tmp_path / "read-only" / "mine.yaml"
    real_open = Path.open

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == read_only:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    assert main(["scenarios", "new", "--out", str(read_only)]) == 1
    err = capsys.readouterr().err
    assert err == f"coach: error: cannot write {read_only}: Permission denied\n"


@pytest.mark.parametrize(
    "bad_id",
    ["Bad ID", "x\nmax_turns: 99", "-starts-with-dash", "trailing-newline\n", "a" * 65],
    ids=["space-and-capitals", "newline-injects-a-key", "leading-dash", "newline", "too-long"],
)
def test_new_refuses_an_id_the_loader_would_refuse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad_id: str
) -> None:
    out = tmp_path / "mine.yaml"
    with pytest.raises(SystemExit) as exit_info:
        main(["scenarios", "new", f"--id={bad_id}", "--out", str(out)])
    assert exit_info.value.code == 2  # ExitCode.USAGE: a bad command line
    err = capsys.readouterr().err
    assert f"argument --id: {bad_id!r} is not a scenario id" in err
    assert not out.exists()


@pytest.mark.parametrize("scenario_id", ["2024", "2024-01-01", "0x1f"])
def test_new_quotes_an_id_that_yaml_would_read_as_a_number_or_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], scenario_id: str
) -> None:
    out = tmp_path / "mine.yaml"
    assert main(["scenarios", "new", "--id", scenario_id, "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    code, lines, _ = _validate(capsys, out)
    assert (code, lines) == (0, [])
    assert load_file(out).scenario.id == scenario_id


def _starter_with(tmp_path: Path, old: str, new: str, name: str = "edited.yaml") -> Path:
    text = (HERE / "valid_starter.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_folder_validates_every_scenario_file_in_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "good.yaml").write_text((HERE / "valid_starter.yaml").read_text())
    broken = _starter_with(tmp_path, "difficulty: beginner", "difficulty: expert", "bad.yml")
    (tmp_path / "notes.txt").write_text("not a scenario")
    code, lines, err = _validate(capsys, tmp_path)
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith(f"{broken}:")
    assert "1 of 2 files valid" in err


def test_aliases_within_the_limits_still_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _starter_with(
        tmp_path,
        "  triggered_by: [being told it is no big deal, guilt trips]",
        "  triggered_by: *moved",
    )
    path.write_text(path.read_text().replace("  moved_by: [", "  moved_by: &moved [", 1))
    code, lines, _ = _validate(capsys, path)
    assert (code, lines) == (0, [])
    counterpart = load_file(path).scenario.counterpart
    assert counterpart.triggered_by == counterpart.moved_by


@pytest.mark.parametrize(
    "bomb",
    [
        # Merge keys copy the merged pairs into each mapping while it is built.
        "\n".join(
            ["a: &a {k0: x, k1: x, k2: x, k3: x, k4: x, k5: x, k6: x, k7: x, k8: x}"]
            + [
                f"{c}: &{c} {{<<: [{', '.join([f'*{p}'] * 9)}]}}"
                for p, c in zip("abcdefgh", "bcdefghi", strict=True)
            ]
        ),
        "\n".join(
            ["a: &a {k0: x, k1: x, k2: x, k3: x, k4: x, k5: x, k6: x, k7: x, k8: x}"]
            + [
                f"{c}: &{c} {{{', '.join(f'{c}{i}: *{p}' for i in range(9))}}}"
                for p, c in zip("abcdefgh", "bcdefghi", strict=True)
            ]
        ),
    ],
    ids=["merge-keys", "mappings"],
)
def test_aliases_of_big_mappings_are_refused_before_they_are_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bomb: str
) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb + "\n")
    code, lines, _ = _validate(capsys, path)
    assert code == 1
    assert len(lines) == 1, lines
    match = PROBLEM_LINE.match(lines[0])
    assert match and match["file"] == str(path), lines
    assert "YAML aliases expand this file to more than 100,000 values" in match["msg"]


def test_a_file_with_too_many_values_is_refused_at_the_value_past_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _starter_with(tmp_path, "tags: [workplace, favours]", "tags: [" + "t, " * 100_001 + "]")
    code, lines, _ = _validate(capsys, path)
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith(f"{path}:15:"), lines
    assert "more than 100,000 values" in lines[0]


def test_an_empty_folder_is_a_problem_not_a_silent_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, _ = _validate(capsys, tmp_path)
    assert code == 1
    assert lines == [f"{tmp_path}:1:1: no scenario files (*.yaml, *.yml) in this folder"]


def test_a_misspelt_required_key_is_one_problem_with_its_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _starter_with(tmp_path, "  personality:", "  personalty:")
    code, lines, _ = _validate(capsys, path)
    assert code == 1
    assert len(lines) == 1, lines
    assert "unknown key 'personalty' in counterpart (did you mean 'personality'?)" in lines[0]


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("title: Ask a colleague", "title: 2024 #", "YAML read this as a number; put text in"),
        ("mood: irritated", "mood: no", "YAML read this as false; put text in quotes"),
        ("  role: Nurse on the ward", "  role:", "the value is empty; write some text"),
        (
            "opening_line: Let me guess. You",
            "opening_line: Let me guess: you",
            'if this is text containing ": ", put the whole value in quotes',
        ),
    ],
    ids=["number", "boolean", "empty", "colon-in-text"],
)
def test_yaml_surprises_are_explained(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, said: str
) -> None:
    code, lines, _ = _validate(capsys, _starter_with(tmp_path, old, new))
    assert code == 1
    assert len(lines) == 1 and said in lines[0], lines


def test_run_on_a_broken_file_prints_its_problems_and_opens_no_app(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # `coach run ./mine.yaml` opened the picker with a notice that fades; the problems
    # belong in the terminal, as `coach play` and `validate` print them.
    from coach.tui.app import CoachApp

    def must_not_run(self: CoachApp) -> None:
        raise AssertionError("the app opened")

    monkeypatch.setattr(CoachApp, "run", must_not_run)
    broken = _starter_with(tmp_path, "difficulty: beginner", "difficulty: expert")
    assert main(["run", str(broken)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"{broken}:14:13: difficulty:")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_refused_not_waited_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Opening a pipe to read waits for a writer that never comes.
    from coach.tui.app import CoachApp

    def must_not_run(self: CoachApp) -> None:
        raise AssertionError("the app opened")

    monkeypatch.setattr(CoachApp, "run", must_not_run)
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    said = f"{fifo}:1:1: this is a named pipe, not a regular file; give a .yaml file"
    code, lines, _ = _validate(capsys, fifo)
    assert (code, lines) == (1, [said])
    for command in (["scenarios", "show"], ["play", "--offline", "--script", "-"], ["run"]):
        assert main([*command, str(fifo)]) == 1, command
        assert capsys.readouterr().err.splitlines() == [said], command


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_is_refused_not_read_forever(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = _validate(capsys, Path("/dev/zero"))
    assert (code, lines) == (
        1,
        ["/dev/zero:1:1: this is a device, not a regular file; give a .yaml file"],
    )


def test_a_too_large_file_gives_its_real_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The file is read only up to the limit; the size in the message comes from the file system.
    huge = tmp_path / "huge.yaml"
    huge.write_bytes(b"summary: " + b"x" * (3 * 1024 * 1024))
    code, lines, _ = _validate(capsys, huge)
    assert (code, lines) == (
        1,
        [f"{huge}:1:1: the file is too large (3,145,737 bytes; the limit is 1 MiB)"],
    )


def test_a_problem_in_a_stage_names_the_stage_not_its_index(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # "offline_script.stages.3" made a trainer count stages from zero.
    _, lines, _ = _validate(capsys, HERE / "broken" / "bad-move-name.yaml")
    assert "offline_script.stages[deal].advance_when.moves_any[1]:" in lines[0]
