"""The library as learners and trainers see it: list, show, own scenarios, ids."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from coach.cli import main
from coach.library import ScenarioNotFound, load_library, resolve_scenario
from coach.resources import builtin_dir
from coach.scenario_loader import scenario_files


def test_list_shows_all_ten_with_categories_and_levels(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 10
    categories = [r["category"] for r in rows]
    assert categories.count("negotiation") == 3
    assert categories.count("feedback") == 3
    assert categories.count("difficult-conversation") == 2
    assert categories.count("active-listening") == 2
    assert {r["difficulty"] for r in rows} == {"beginner", "intermediate", "advanced"}


def test_list_counts_in_words(capsys: pytest.CaptureFixture[str]) -> None:
    main(["scenarios", "list"])
    assert capsys.readouterr().err.strip().endswith("10 scenarios")


def test_list_filters_by_skill(capsys: pytest.CaptureFixture[str]) -> None:
    main(["scenarios", "list", "--json", "--skill", "clarity"])
    rows = json.loads(capsys.readouterr().out)
    assert rows and all("clarity" in r["skills"] for r in rows)


def test_users_own_scenarios_join_the_library(coach_home: Path) -> None:
    user_dir = coach_home / "scenarios"
    user_dir.mkdir()
    text = next(builtin_dir("scenarios").glob("*.yaml")).read_text()
    (user_dir / "mine.yaml").write_text(re.sub(r"(?m)^id: ", "id: mine-", text, count=1))
    (user_dir / "clash.yaml").write_text(text)  # reuses a built-in id
    (user_dir / "broken.yaml").write_text("id: [\n")
    library = load_library(user_dir)
    ids = [s.id for s in library.scenarios]
    assert len(ids) == 11 and len(set(ids)) == 11
    assert any(i.startswith("mine-") for i in ids)
    assert not library.is_builtin(next(i for i in ids if i.startswith("mine-")))
    messages = [str(p) for p in library.problems]
    assert any("clash.yaml" in m and "is already a built-in scenario's id" in m for m in messages)
    assert any("broken.yaml" in m and "YAML syntax error" in m for m in messages)


def test_windows_style_names_and_a_folded_title_list_as_one_row_each(
    coach_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # "Shift Swap.YAML" from a Windows editor was silently ignored, and a `title: |` block
    # broke the list's table (its second line started at column 0).
    user_dir = coach_home / "scenarios"
    user_dir.mkdir()
    text = next(builtin_dir("scenarios").glob("*.yaml")).read_text()
    text = re.sub(r"(?m)^id: .*$", "id: shift-swap", text, count=1)
    text = re.sub(r"(?m)^title: .*$", "title: |\n  Asking a colleague\n  to swap a shift", text)
    (user_dir / "Shift Swap.YAML").write_text(text)
    assert main(["scenarios", "list"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if "shift-swap" in line]
    assert len(rows) == 1 and rows[0].endswith("Asking a colleague to swap a shift  (yours)")


def test_resolve_by_id_path_and_misspelling(tmp_path: Path) -> None:
    first = sorted(builtin_dir("scenarios").glob("*.yaml"))[0]
    by_path = resolve_scenario(str(shutil.copy(first, tmp_path / "x.yaml")))
    assert resolve_scenario(by_path.scenario.id).scenario == by_path.scenario
    with pytest.raises(ScenarioNotFound, match="did you mean"):
        resolve_scenario(by_path.scenario.id[:-1] + "q")


def test_show_prints_the_briefing_literally(capsys: pytest.CaptureFixture[str]) -> None:
    scenario = load_library().scenarios[0]
    assert main(["scenarios", "show", scenario.id]) == 0
    out = capsys.readouterr().out
    assert scenario.learner.goal in out
    assert scenario.counterpart.name in out


def test_show_unknown_id_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "show", "no-such-thing"]) == 1
    assert "no scenario with id 'no-such-thing'" in capsys.readouterr().err


def test_a_file_too_big_to_build_in_the_user_folder_is_a_warning(
    coach_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Nine lines of aliases expand to ~400 million values; they must be refused, not built,
    # and must not hide the rest of the library.
    user_dir = coach_home / "scenarios"
    user_dir.mkdir()
    broken = Path(__file__).parent / "broken"
    for name in ("billion-laughs.yaml", "nested-too-deeply.yaml"):
        shutil.copy(broken / name, user_dir / name)
    assert main(["scenarios", "list", "--json"]) == 0
    out, err = capsys.readouterr()
    assert len(json.loads(out)) == 10
    warnings = err.splitlines()
    assert f"warning: {user_dir / 'billion-laughs.yaml'}:6:8: YAML aliases expand" in err
    assert any(
        w.startswith(f"warning: {user_dir / 'nested-too-deeply.yaml'}:15:")
        and "nested too deeply" in w
        for w in warnings
    )


@pytest.mark.parametrize("name", ["trust-huge-number.yaml", "impossible-date.yaml"])
def test_show_and_play_report_an_unbuildable_value_at_its_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    path = shutil.copy(Path(__file__).parent / "broken" / name, tmp_path / name)
    for command in (["scenarios", "show"], ["play", "--offline", "--script", "-"]):
        assert main([*command, str(path)]) == 1
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and re.match(rf"{re.escape(str(path))}:\d+:\d+: ", err[0]), err


def test_every_built_in_file_is_named_after_its_id() -> None:
    # `coach run ID` opens a built-in at once when ID.yaml is one (no library to load first).
    for path in scenario_files(builtin_dir("scenarios")):
        assert load_library().path_of(path.stem) == path
