"""Settings precedence, provenance and the secret key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coach.cli import main
from coach.settings import SettingsError, load_settings

FAKE_KEY = "sk-FAKE-do-not-leak-0123456789abcdef"


def test_precedence_flags_over_env_over_config_over_defaults(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('model = "from-config"\nbase_url = "http://cfg/v1"\n')
    env = {"COACH_HOME": str(tmp_path), "COACH_MODEL": "from-env"}
    loaded = load_settings(flags={"model": "from-flag"}, environ=env)
    assert loaded.settings.model == "from-flag"
    assert loaded.sources["model"] == "flag"
    assert loaded.settings.base_url == "http://cfg/v1"
    assert loaded.sources["base_url"] == "config"
    assert load_settings(environ=env).settings.model == "from-env"
    assert load_settings(environ={"COACH_HOME": str(tmp_path)}).settings.model == "from-config"
    assert "request_timeout" not in loaded.sources  # a default


def test_key_is_optional_and_offline_is_the_default(tmp_path: Path) -> None:
    plain = load_settings(environ={"COACH_HOME": str(tmp_path)}).settings
    assert plain.api_key is None and not plain.use_llm
    local = load_settings(
        environ={"COACH_HOME": str(tmp_path), "OPENAI_BASE_URL": "http://localhost:8080/v1"}
    ).settings
    assert local.use_llm and local.api_key is None
    forced = load_settings(
        flags={"offline": True},
        environ={"COACH_HOME": str(tmp_path), "OPENAI_API_KEY": FAKE_KEY},
    ).settings
    assert not forced.use_llm


def test_key_never_prints(tmp_path: Path) -> None:
    loaded = load_settings(environ={"COACH_HOME": str(tmp_path), "OPENAI_API_KEY": FAKE_KEY})
    assert loaded.settings.api_key_value() == FAKE_KEY
    shown = repr(loaded.settings) + str(loaded.settings) + str(loaded.describe())
    assert FAKE_KEY not in shown
    assert FAKE_KEY[5:] not in shown


def test_config_command_masks_the_key_and_names_sources(
    coach_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    assert main(["--model", "m-flag", "config"]) == 0
    out = capsys.readouterr().out
    assert FAKE_KEY not in out
    assert "api_key" in out and "[env]" in out
    assert "m-flag  [flag]" in out


def test_config_command_shows_the_judge_model_in_use_when_it_is_not_set(
    coach_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # It said "judge_model (not set)" while the judge used COACH_MODEL.
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("COACH_MODEL", "local")
    monkeypatch.delenv("COACH_JUDGE_MODEL", raising=False)
    assert main(["config"]) == 0
    lines = capsys.readouterr().out.splitlines()
    (judge,) = [line for line in lines if line.startswith("judge_model ")]
    assert re.fullmatch(r"judge_model +local \(same as model\)  \[default\]", judge), judge
    monkeypatch.setenv("COACH_JUDGE_MODEL", "gpt-4o")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    (judge,) = [line for line in out.splitlines() if line.startswith("judge_model ")]
    assert re.fullmatch(r"judge_model +gpt-4o  \[env\]", judge), judge
    assert FAKE_KEY not in out


def test_config_command_masks_a_password_in_the_base_url(
    coach_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `coach config` printed the base URL whole: a key put there as the password showed.
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://u:{FAKE_KEY}@llm.local/v1")
    assert main(["config"]) == 0
    assert main(["--base-url", "http://bob:hunter2@llm.local:8080/v1", "config"]) == 0
    out = capsys.readouterr().out
    assert FAKE_KEY not in out and "hunter2" not in out
    assert "http://u:***@llm.local/v1  [env]" in out
    assert "http://bob:***@llm.local:8080/v1  [flag]" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("model = \n", "config.toml"),
        ("modle = 'x'\n", r"unknown setting\(s\): modle"),
        ("request_timeout = -1\n", "request_timeout"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "config.toml").write_text(content)
    with pytest.raises(SettingsError, match=message):
        load_settings(environ={"COACH_HOME": str(tmp_path)})


def test_bad_config_exits_with_config_code(
    coach_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (coach_home / "config.toml").write_text("modle = 'x'\n")
    with pytest.raises(SystemExit) as exc:
        main(["config"])
    assert exc.value.code == 3
    assert "unknown setting" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("base_url", "shown"),
    [
        ("http://localhost:8080/v1", "no: one call at a time (the endpoint is on this machine)"),
        ("https://api.example/v1", "yes (remote endpoint)"),
    ],
)
def test_config_command_says_whether_calls_go_one_at_a_time(
    coach_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    base_url: str,
    shown: str,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    assert main(["config"]) == 0
    lines = capsys.readouterr().out.splitlines()
    (line,) = [x for x in lines if x.startswith("parallel_requests ")]
    assert line.split(None, 1)[1] == f"{shown}  [default]"


@pytest.mark.parametrize(("value", "shown"), [("true", "yes"), ("false", "no: one call at a time")])
def test_config_command_words_a_parallel_requests_setting_as_the_default_is_worded(
    coach_home: Path, capsys: pytest.CaptureFixture[str], value: str, shown: str
) -> None:
    (coach_home / "config.toml").write_text(f"parallel_requests = {value}\n", encoding="utf-8")
    assert main(["config"]) == 0
    lines = capsys.readouterr().out.splitlines()
    (line,) = [x for x in lines if x.startswith("parallel_requests ")]
    assert line.split(None, 1)[1] == f"{shown}  [config]"
