"""Checks a QA pass found missing: files that validated and then crashed or misbehaved.

Every message is asserted whole, as `FILE:LINE:COL: message`, because trainers act on it.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from coach.cli import main
from coach.library import load_library
from coach.llm.offline import OfflineBackend
from coach.resources import builtin_dir
from coach.scenario_loader import ScenarioError, load_file
from coach.scoring.analytic import AnalyticScorer
from coach.session import Phase, Session

HERE = Path(__file__).parent
STARTER = HERE / "valid_starter.yaml"


def _edited(tmp_path: Path, *changes: tuple[str, str], name: str = "edited.yaml") -> Path:
    text = STARTER.read_text(encoding="utf-8")
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _validate(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, list[str]]:
    code = main(["scenarios", "validate", *map(str, paths)])
    return code, capsys.readouterr().out.splitlines()


# ---- 1. empty or blank text

EMPTY = "the value is empty; write some text after the colon"
EMPTY_OPTIONAL = EMPTY + ", or leave the key out"
EMPTY_ITEM = "this item is empty; write some text, or remove the item"


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("name: Sam", 'name: " "', f"24:9: counterpart.name: {EMPTY}"),
        ("name: Sam", 'name: ""', f"24:9: counterpart.name: {EMPTY}"),
        ("title: Ask a colleague to swap a shift", 'title: "  "', f"8:8: title: {EMPTY}"),
        ("mood: irritated", "mood: ''", f"36:49: counterpart.initial_state.mood: {EMPTY_OPTIONAL}"),
        (
            "description: Understand why Sam is reluctant.",
            'description: " "',
            f"44:18: objectives[understand].description: {EMPTY}",
        ),
        (
            'on_enter: "Look, I am not saying no. I just need something back for once."',
            'on_enter: ""',
            f"68:17: offline_script.stages[needs].on_enter: {EMPTY_OPTIONAL}",
        ),
        (
            'default: ["What are you offering, then?"]',
            'default: [" "]',
            f"70:19: offline_script.stages[needs].replies.default[1]: {EMPTY_ITEM}",
        ),
        (
            'walk_out: "You know what, ask someone else."',
            'walk_out: " "',
            f"81:15: offline_script.endings.walk_out: {EMPTY}",
        ),
        ("guilt trips]", '""]', f"38:48: counterpart.triggered_by[2]: {EMPTY_ITEM}"),
    ],
    ids=["blank-name", "empty", "title", "mood", "objective", "on-enter", "reply", "end", "item"],
)  # fmt: skip
def test_empty_or_blank_text_is_refused_where_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, said: str
) -> None:
    # A blank counterpart name validated, then every session crashed naming them.
    path = _edited(tmp_path, (old, new))
    assert _validate(capsys, path) == (1, [f"{path}:{said}"])


def test_every_required_text_field_refuses_blank_text(tmp_path: Path) -> None:
    # Each human-text field the engine, the prompts or a screen use: one problem each.
    fields = {
        "summary: >-": "summary",
        "  role: Nurse on": "learner.role",
        "  goal:": "learner.goal",
        "  brief: >-": "learner.brief",
        "  role: Nurse,": "counterpart.role",
        "  personality:": "counterpart.personality",
        "  speaking_style:": "counterpart.speaking_style",
        "  background:": "counterpart.background",
        "      fact:": "counterpart.hidden_information[wants-next-weekend].fact",
        "      reveal_when:": "counterpart.hidden_information[wants-next-weekend].reveal_when",
        "opening_line:": "opening_line",
        "    agreement:": "offline_script.endings.agreement",
        "    impasse:": "offline_script.endings.impasse",
    }
    lines = STARTER.read_text(encoding="utf-8").splitlines()
    for start in fields:
        (index,) = [i for i, line in enumerate(lines) if line.startswith(start)]
        key = start.split(":")[0]
        lines[index] = f'{key}: "  "'
        # The folded text under `>-` goes too.
        continued = {"summary: >-": 2, "  brief: >-": 1}.get(start, 0)
        del lines[index + 1 : index + 1 + continued]
    path = tmp_path / "blank.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_file(path)
    assert [p.message for p in info.value.problems] == [f"{w}: {EMPTY}" for w in fields.values()]


def test_a_blank_name_in_a_scenario_built_in_code_does_not_crash_a_session(
    tmp_path: Path,
) -> None:
    # Defence in depth: model_copy skips validation, as code building a scenario might.
    scenario = load_file(STARTER).scenario
    nameless = scenario.model_copy(
        update={"counterpart": scenario.counterpart.model_copy(update={"name": " "})}
    )

    async def walk_out() -> tuple[Session, str]:
        session = Session(
            nameless,
            OfflineBackend(nameless, seed=1),
            AnalyticScorer(),
            tmp_path / "t.jsonl",
            seed=1,
        )
        await session.start()
        hint = session.offline_hint()
        for line in ["Calm down, it's not a big deal.", "This is your fault."] * 4:
            if session.phase is Phase.ended:
                break
            await session.send(line).run()
        return session, hint

    session, hint = asyncio.run(walk_out())
    assert hint
    assert session.phase is Phase.ended
    assert session.end_reason.endswith("the other person walked out"), session.end_reason


# ---- 2. an id a built-in scenario already uses


def test_validate_refuses_the_id_of_a_built_in_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], coach_home: Path
) -> None:
    # It validated, and copied into the user's folder it was then skipped without a word.
    path = _edited(tmp_path, ("id: my-scenario", "id: peer-missed-deadlines"))
    said = (
        f"{path}:7:5: id 'peer-missed-deadlines' is already a built-in scenario's id; choose "
        "another id (in your scenarios folder this file would be skipped)"
    )
    assert _validate(capsys, path) == (1, [said])
    # The built-in file itself is fine, and the library says the same of the copy.
    assert _validate(capsys, builtin_dir("scenarios") / "peer-missed-deadlines.yaml") == (0, [])
    user_dir = coach_home / "scenarios"
    user_dir.mkdir()
    copy = user_dir / "mine.yaml"
    copy.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert [str(p) for p in load_library(user_dir).problems] == [said.replace(str(path), str(copy))]


# ---- 3. a broken file in the user's library, asked for by id


@pytest.fixture
def no_app(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`CoachApp.run` records that the app would have opened, instead of opening it."""
    from coach.tui.app import CoachApp

    opened: list[str] = []

    def record(self: CoachApp) -> None:
        opened.append(str(self.scenario_ref))

    monkeypatch.setattr(CoachApp, "run", record)
    return opened


@pytest.mark.parametrize(
    ("name", "old", "new", "said"),
    [
        (
            "new-one.yaml",
            "difficulty: beginner",
            "difficulty: expert",
            "14:13: difficulty: Input should be 'beginner', 'intermediate' or 'advanced'",
        ),
        # Named otherwise, but it says it is 'new-one'.
        ("other.yaml", "title: Ask", "titel: Ask", "8:1: unknown key 'titel' in the top level"),
        # Too broken to say its id, but named after it.
        (
            "new-one.yaml",
            "tags: [workplace, favours]",
            "tags: [workplace",
            "17:8: YAML syntax error",
        ),
    ],
    ids=["invalid-value", "declared-id", "yaml-error"],
)
@pytest.mark.parametrize(
    "command",
    [["play", "--offline", "--script", "-"], ["scenarios", "show"], ["run"]],
    ids=["play", "show", "run"],
)
def test_an_id_whose_library_file_is_broken_shows_that_files_problems(
    coach_home: Path,
    capsys: pytest.CaptureFixture[str],
    no_app: list[str],
    name: str,
    old: str,
    new: str,
    said: str,
    command: list[str],
) -> None:
    # `coach play new-one` said "no scenario with id 'new-one'" with new-one.yaml right there.
    user_dir = coach_home / "scenarios"
    user_dir.mkdir()
    path = _edited(user_dir, ("id: my-scenario", "id: new-one"), (old, new), name=name)
    assert main([*command, "new-one"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        f"coach: error: scenario 'new-one' is in {path}, which has these problems; "
        "fix them and try again"
    )
    assert len(err) == 2 and err[1].startswith(f"{path}:{said}"), err
    assert no_app == []


def test_run_with_an_unknown_id_says_so_as_play_does(
    capsys: pytest.CaptureFixture[str], no_app: list[str]
) -> None:
    # It opened the picker with a notice that fades; `coach play` exits with the message.
    said = [
        "coach: error: no scenario with id 'peer-missed-deadline' (did you mean "
        "'peer-missed-deadlines'?); see `coach scenarios list`"
    ]
    for command in (["run"], ["play", "--offline", "--script", "-"]):
        assert main([*command, "peer-missed-deadline"]) == 1
        assert capsys.readouterr().err.splitlines() == said, command
    assert no_app == []
    assert main(["run", "peer-missed-deadlines"]) == 0
    assert no_app == ["peer-missed-deadlines"]


# ---- 6 and 7. every cross-reference problem at once, each at the value at fault


def test_every_cross_reference_problem_in_one_run_at_its_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The first problem used to hide the rest, and each pointed at its stage's `- id:` line.
    path = _edited(
        tmp_path,
        ("reached_at_stage: deal", "reached_at_stage: dael"),
        ("reveals: [wants-next-weekend]", "reveals: [wants-next-weekend, secret]"),
        ("max_turns: 8", "max_turns: 3"),
        ("advance_when: {moves_any: [proposal]}", "advance_when: {min_turns_in_stage: 5}"),
        ("    - id: deal", "    - id: guarded"),
    )
    assert _validate(capsys, path) == (
        1,
        [
            f"{path}:48:23: objective 'agree' names stage 'dael', which is not one of "
            "guarded, needs",
            f"{path}:67:37: stage 'needs' reveals 'secret', which is not a "
            "counterpart.hidden_information id",
            f"{path}:73:11: stage id 'guarded' is used twice; stage ids must be unique",
            f"{path}:78:42: stage 'guarded' waits for 5 turns in it, but the conversation "
            "ends after max_turns 3",
        ],
    )


def test_a_bad_reference_is_not_placed_where_the_same_word_appears_elsewhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `reveals: [needs]` was reported at a later `description: needs`, the last 'needs' seen.
    path = _edited(
        tmp_path,
        ("reveals: [wants-next-weekend]", "reveals: [needs]"),
        ("description: Sam agrees if the swap is fair.", "description: needs"),
    )
    said = "stage 'needs' reveals 'needs', which is not a counterpart.hidden_information id"
    assert _validate(capsys, path) == (1, [f"{path}:67:17: {said}"])


# ---- 4. walk_out_at_tension

STARTS_ABOVE = (
    "the counterpart starts at tension {0}, already at or above walk_out_at_tension {1}, so "
    "any reply that does not calm them at once ends the conversation; start at a lower "
    "initial_state tension or raise walk_out_at_tension"
)


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        # Stages without a tension condition were said to "wait for tension None".
        ([("tension: 95", "tension: 0")], "55:24: " + STARTS_ABOVE.format(55, 0)),
        # Validated, and the counterpart walked out at the first "Okay.".
        ([("tension: 95", "tension: 50")], "55:24: " + STARTS_ABOVE.format(55, 50)),
        # The default walk-out level: the starting tension is the value to point at.
        (
            [("  walk_out_at_tension: 95\n", ""), ("tension: 55", "tension: 95")],
            "36:39: " + STARTS_ABOVE.format(95, 95),
        ),
    ],
    ids=["zero", "below-start", "default-level"],
)  # fmt: skip
def test_a_counterpart_who_starts_past_their_walk_out_level_is_refused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    changes: list[tuple[str, str]],
    said: str,
) -> None:
    path = _edited(tmp_path, *changes)
    assert _validate(capsys, path) == (1, [f"{path}:{said}"])


# ---- 5. repeats


def test_repeated_objective_and_hidden_information_ids_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Both validated silently; the second objective could never be told apart from the first.
    path = _edited(
        tmp_path,
        ("  - id: agree", "  - id: understand"),
        (
            "      reveal_when: The learner asks what would work for Sam.\n",
            "      reveal_when: The learner asks what would work for Sam.\n"
            "    - id: wants-next-weekend\n"
            "      fact: Sam is tired.\n"
            "      reveal_when: The learner asks how Sam is.\n",
        ),
    )
    assert _validate(capsys, path) == (
        1,
        [
            f"{path}:36:11: hidden_information id 'wants-next-weekend' is used twice; give "
            "each hidden_information its own id",
            f"{path}:49:9: objective id 'understand' is used twice; give each objective its own id",
        ],
    )


def test_a_repeated_skill_counts_once_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _edited(
        tmp_path, ('skills: ["empathy", "active_listening"]', "skills: [clarity, empathy, clarity]")
    )
    said = f"{path}:13:28: note: 'clarity' is listed twice in skills; once is enough (the repeat is ignored)"  # noqa: E501
    assert _validate(capsys, path) == (0, [said])
    assert load_file(path).scenario.skills == ["clarity", "empathy"]


def test_new_writes_a_repeated_skill_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mine.yaml"
    argv = ["scenarios", "new", "--id", "mine", "--skill", "clarity", "--skill", "clarity"]
    assert main([*argv, "--out", str(out)]) == 0
    capsys.readouterr()
    assert _validate(capsys, out) == (0, [])
    assert 'skills: ["clarity"]' in out.read_text(encoding="utf-8")


# ---- 8. common mistakes, said in a trainer's words

REPLY = 'default: ["Right. So what is it this time?"]'
INDENT_HINT = (
    "check the indentation of this line and the lines above it (keys of one mapping line up; "
    "continuation lines are indented), and quote a whole line of text that starts or ends "
    "with a quote"
)


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("max_turns: 8", "max_turns: eight", "51:12: max_turns: should be a whole number, e.g. 8"),
        ("{empathy: 1.0,", "{empathy: lots,", "50:20: weights.empathy: should be a number, e.g. 1.0"),  # noqa: E501
        ("show_state: true", "show_state: maybe", "52:13: show_state: should be true or false"),
        ("initial_state: {trust: 45, tension: 55, mood: irritated}", "initial_state: irritated", "36:18: counterpart.initial_state: should be a group of keys, each on its own line indented under this one"),  # noqa: E501
        (REPLY, "default: Right. So what is it this time?", "60:18: offline_script.stages[guarded].replies.default: should be a list of lines, each starting with '- '"),  # noqa: E501
        ("reflect: [\"Exactly. I always end up being the one who covers.\"]", "reflect:\n          - Exactly: I always end up being the one who covers.", "63:13: offline_script.stages[guarded].replies.reflect[1]: this line has ': ' in it, so YAML read it as a key; put the line in quotes"),  # noqa: E501
        ("id: my-scenario ", 'id: "My Scenario"', "7:5: id: 'My Scenario' is not a valid id: use lowercase letters, digits and dashes, starting with a letter or digit, at most 64 characters"),  # noqa: E501
        ("id: guarded", "id: Guarded", "57:11: offline_script.stages[Guarded].id: 'Guarded' is not a valid id: use lowercase letters, digits, dashes and underscores, starting with a letter or digit"),  # noqa: E501
        (REPLY, "default: []", "60:18: offline_script.stages[guarded].replies.default: needs at least one line"),  # noqa: E501
        ("skills: [\"empathy\", \"active_listening\"]", "skills: {}", "13:9: skills: should be a list, each item on its own line starting with '- '"),  # noqa: E501
        ("title: Ask a colleague to swap a shift", "title: 2024-01-05", "8:8: title: Input should be a valid string (YAML read this as a date; put text in quotes)"),  # noqa: E501
        ("title: Ask a colleague to swap a shift", "title: 2024-01-05 10:30:00", "8:8: title: Input should be a valid string (YAML read this as a date and time; put text in quotes)"),  # noqa: E501
        ("title: Ask a colleague to swap a shift", r'title: "See C:\Users\new\shift.docx"', r"8:17: YAML syntax error: did not find expected hexdecimal number in the quoted text; a backslash in double quotes starts an escape (like \n); use single quotes or forward slashes, e.g. 'C:\Users\shift.docx'"),  # noqa: E501
        ("opening_line: Let me guess. You need something again?\n", "opening_line: Let me guess. You need something again?\n---\nx: 1\n", "41:1: YAML syntax error: a second document starts here ('---'); a scenario file holds one document (the first starts at line 7): remove this line and what follows, or move it to its own file"),  # noqa: E501
        ("opening_line: Let me guess. You need something again?\n", "opening_line: Let me guess. You need something again?\n? [a, b]\n: c\n", "41:3: YAML syntax error: found unhashable key in the group of keys that starts at line 7; a key is a plain word followed by ':', not a list or a '?' line"),  # noqa: E501
        ("      description: Sam is defensive", "     description: Sam is defensive", f"58:6: YAML syntax error: did not find expected '-' indicator in the list that starts at line 57; {INDENT_HINT}"),  # noqa: E501
        ("tags: [workplace, favours]", "tags: [workplace, favours", "17:8: YAML syntax error: did not find expected ',' or ']' in the [ ] list that starts at line 15; the '[' at 15:7 is never closed: end its items with ']' on that line"),  # noqa: E501
        ("tags: [workplace, favours]", 'tags: ["workplace" "favours"]', "15:20: YAML syntax error: did not find expected ',' or ']' in the [ ] list; check for a missing ',' between items or a missing ']'"),  # noqa: E501
    ],
    ids=["whole-number", "number", "true-or-false", "keys-for-text", "text-for-list", "colon-in-item", "scenario-id", "stage-id", "empty-list", "mapping-for-list", "date", "datetime", "backslash", "second-document", "complex-key", "misindented", "unclosed-bracket", "bracket-over-lines"],  # noqa: E501
)  # fmt: skip
def test_common_mistakes_are_said_plainly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, said: str
) -> None:
    path = _edited(tmp_path, (old, new))
    assert _validate(capsys, path) == (1, [f"{path}:{said}"])


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_file_is_named_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str
) -> None:
    # Notepad's "Unicode" is UTF-16; it was called a binary file.
    path = tmp_path / "notepad.yaml"
    path.write_bytes(STARTER.read_text(encoding="utf-8").encode(encoding))
    said = 'this file is saved as UTF-16 (Notepad calls it "Unicode"); save it as UTF-8'
    assert _validate(capsys, path) == (1, [f"{path}:1:1: {said}"])


# ---- 9. an unclosed quote is reported where it opens, not where YAML gives up


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("opening_line: Let me guess. You need something again?", 'opening_line: "Let me guess. You need something again?', '40:15: YAML syntax error: a quote opened at 40:15 is never closed (YAML read on to line 60 as part of it); end the text with " on the same line'),  # noqa: E501
        ("role: Nurse on the ward", "role: 'Nurse on the ward", "18:9: YAML syntax error: a quote opened at 18:9 is never closed (YAML read on to line 21 as part of it); end the text with ' on the same line"),  # noqa: E501
    ],
    ids=["double", "single"],
)  # fmt: skip
def test_an_unclosed_quote_is_reported_where_it_opens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, said: str
) -> None:
    path = _edited(tmp_path, (old, new))
    assert _validate(capsys, path) == (1, [f"{path}:{said}"])


def test_a_quoted_text_over_several_lines_is_not_taken_for_an_unclosed_quote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _edited(
        tmp_path,
        ("opening_line: Let me guess. You", 'opening_line: "Let me guess.\n  You'),
        ("need something again?", 'need something again?"'),
        ("{moves_any: [proposal]}", "{moves_any: [proposal]"),
    )
    said = "80:3: YAML syntax error: did not find expected ',' or '}' in the { } mapping that starts at line 79; the '{' at 79:21 is never closed: end its items with '}' on that line"  # noqa: E501
    assert _validate(capsys, path) == (1, [f"{path}:{said}"])


# ---- 10. a comment that cut a text short; a file piped in

COMMENT_NOTE = (
    "note: the text after ' #' is a YAML comment and was dropped; quote the value to keep it"
)


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("title: Ask a colleague to swap a shift", "title: Ask a colleague # to swap", f"8:24: {COMMENT_NOTE}"),  # noqa: E501
        ('reflect: ["Exactly. I always end up being the one who covers."]', "reflect:\n          - Exactly. I always # end up covering.", f"63:31: {COMMENT_NOTE}"),  # noqa: E501
    ],
    ids=["title", "reply"],
)  # fmt: skip
def test_a_comment_that_cuts_a_text_short_gets_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, said: str
) -> None:
    path = _edited(tmp_path, (old, new))
    assert _validate(capsys, path) == (0, [f"{path}:{said}"])


def test_comments_after_names_and_quoted_text_get_no_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The starter's own `id: my-scenario  # unique...` and `difficulty: beginner  # ...`.
    path = _edited(tmp_path, ("title: Ask a colleague to swap a shift", 'title: "Ask" # a note'))
    assert _validate(capsys, path) == (0, [])


def test_validate_dash_reads_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = STARTER.read_text(encoding="utf-8").replace(
        'default: ["Right. So what is it this time?"]', "default: []"
    )
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))
    said = "<stdin>:60:18: offline_script.stages[guarded].replies.default: needs at least one line"
    assert _validate(capsys, Path("-")) == (1, [said])
