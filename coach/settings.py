"""Effective settings: flags > environment > user config file > defaults, in one typed object.

Every value remembers where it came from so `coach config` can explain itself, and the API key
is a `SecretStr` that never prints (its repr and str are masked), so a settings object can be
logged or shown without leaking it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from coach.settings_sources import (
    CONFIG_FILE_NAME,
    DEFAULT_EXAM_MODE,
    DEFAULT_THEME,
    ENV_VARS,
    ConfigFileError,
    default_home,
    env_values,
    given_flags,
    read_config_file,
    resolve_home,
)

__all__ = [
    "CONFIG_FILE_NAME",
    "ENV_VARS",
    "LoadedSettings",
    "Settings",
    "SettingsError",
    "Source",
    "default_home",
    "load_settings",
    "mask_secret",
]

Source = Literal["default", "config", "env", "flag"]


class Settings(BaseModel):
    """Everything coach needs to know about its environment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_key: SecretStr | None = Field(
        None, description="API key for the endpoint. Optional: local servers need none."
    )
    base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (Ollama)."
    )
    model: str = Field("gpt-4o-mini", description="Model that plays the counterpart.")
    judge_model: str | None = Field(
        None, description="Model for the LLM judge; defaults to `model`."
    )
    home: Path = Field(
        default_factory=lambda: default_home(),
        description="Where sessions, cache, config and your own scenarios live.",
    )
    offline: bool = Field(
        False, description="Force the offline scripted counterpart and analytic scorer."
    )
    scorer: Literal["heuristic", "llm"] = Field(
        "heuristic", description="Scorer for live sessions: heuristic (offline) or llm."
    )
    request_timeout: float = Field(60.0, gt=0, description="Seconds to wait for a reply.")
    connect_timeout: float = Field(10.0, gt=0, description="Seconds to wait for a connection.")
    max_retries: int = Field(3, ge=0, le=10, description="Retries for 429/5xx before a reply.")
    context_window: int = Field(
        16_000, ge=1_000, description="Token window to keep requests under."
    )
    max_reply_tokens: int = Field(400, ge=16, description="Upper bound for a counterpart reply.")
    parallel_requests: bool | None = Field(
        None,
        description=(
            "Let the judge and hints call the model while a reply streams. Default: yes for a "
            "remote endpoint, no for a server on this machine (llama.cpp and LM Studio serve "
            "one request at a time; llama-cpp-python's server drops a streaming reply when "
            "another request arrives)."
        ),
    )
    exam_mode: bool = Field(DEFAULT_EXAM_MODE, description="Hide scores until the debrief.")
    theme: str = Field(DEFAULT_THEME, description="TUI theme name.")
    keymap: dict[str, str] = Field(
        default_factory=dict,
        description="TUI key overrides: binding id -> keys (README, 'Keys'; F1 lists them).",
    )
    prompts_dir: Path | None = Field(
        None, description="Your own prompt templates; defaults to HOME/prompts."
    )

    @property
    def has_endpoint(self) -> bool:
        """An LLM is configured: a key (for the default OpenAI endpoint) or a base URL."""
        return self.api_key is not None or self.base_url is not None

    @property
    def use_llm(self) -> bool:
        return self.has_endpoint and not self.offline

    @property
    def one_request_at_a_time(self) -> bool:
        """Whether a session waits for one model call to end before it starts the next."""
        if self.parallel_requests is not None:
            return not self.parallel_requests
        return self.base_url is not None and _on_this_machine(self.base_url)

    @property
    def effective_judge_model(self) -> str:
        return self.judge_model or self.model

    @property
    def sessions_dir(self) -> Path:
        return self.home / "sessions"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def user_scenarios_dir(self) -> Path:
        return self.home / "scenarios"

    @property
    def user_prompts_dir(self) -> Path:
        return self.prompts_dir or self.home / "prompts"

    @property
    def config_path(self) -> Path:
        return self.home / CONFIG_FILE_NAME

    def api_key_value(self) -> str | None:
        """The key itself, for the HTTP client only; never log or show it."""
        return self.api_key.get_secret_value() if self.api_key else None


class SettingsError(Exception):
    """The config file or an environment value is invalid; the message says where."""


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    sources: dict[str, Source] = field(default_factory=dict)
    config_path: Path | None = None

    def describe(self) -> list[tuple[str, str, Source]]:
        """(name, shown value, source) for every field; the key and any password in a URL
        are masked (and the key wherever else someone pasted it)."""
        from coach.llm.errors import redact

        key = self.settings.api_key.get_secret_value() if self.settings.api_key else None
        rows: list[tuple[str, str, Source]] = []
        for name in Settings.model_fields:
            value = getattr(self.settings, name)
            if name == "api_key":
                shown = mask_secret(value.get_secret_value()) if value else "(not set)"
            elif name == "judge_model" and value is None:
                # The judge then uses `model`: "(not set)" hid which model that is.
                model = redact(mask_url_password(self.settings.model), key)
                shown = f"{model} (same as model)"
            elif name == "parallel_requests" and value is not None:
                shown = "yes" if value else "no: one call at a time"
            elif name == "parallel_requests" and self.settings.has_endpoint:
                shown = (
                    "no: one call at a time (the endpoint is on this machine)"
                    if self.settings.one_request_at_a_time
                    else "yes (remote endpoint)"
                )
            elif value is None:
                shown = "(not set)"
            else:
                shown = redact(mask_url_password(str(value)), key)
            rows.append((name, shown, self.sources.get(name, "default")))
        return rows


def _on_this_machine(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return host in {"localhost", "127.0.0.1", "::1", "0.0.0.0"} or host.endswith(".localhost")


def mask_url_password(text: str) -> str:
    """`http://user:pass@host/v1` → `http://user:***@host/v1`; other text unchanged."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if not parts.scheme or parts.password is None:
        return text
    user_info, _, host = parts.netloc.rpartition("@")
    user = user_info.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def mask_secret(secret: str) -> str:
    """Show that a key is set without revealing it: 'sk-...' and its length only."""
    prefix = secret[:3] if len(secret) > 12 else ""
    return f"{prefix}{'*' * 8} ({len(secret)} chars)"


def _config_values(path: Path) -> dict[str, Any]:
    try:
        data = read_config_file(path)
    except ConfigFileError as exc:
        raise SettingsError(str(exc)) from None
    unknown = sorted(set(data) - set(Settings.model_fields))
    if unknown:
        raise SettingsError(f"{path}: unknown setting(s): {', '.join(unknown)}")
    return data


def load_settings(
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> LoadedSettings:
    """Resolve settings from flags > env > config file (under the resolved home) > defaults."""
    environ = os.environ if environ is None else environ
    flag_values = given_flags(flags)
    env = env_values(environ)
    home = resolve_home(flag_values, env)
    config_path = home / CONFIG_FILE_NAME
    config_values = _config_values(config_path)

    merged: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    layers: tuple[tuple[Source, dict[str, Any]], ...] = (
        ("config", config_values),
        ("env", env),
        ("flag", flag_values),
    )
    for source, values in layers:
        for name, value in values.items():
            merged[name] = value
            sources[name] = source
    merged["home"] = home
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])} ({sources.get(str(err['loc'][0]), 'default')})"
            f": {err['msg']}"
            for err in exc.errors(include_input=False)
        )
        raise SettingsError(f"invalid settings: {problems}") from None
    return LoadedSettings(settings=settings, sources=sources, config_path=config_path)
