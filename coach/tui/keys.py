"""The app's rebindable keys: their ids, their default keys, how to name them in a message,
and what is wrong with a keymap from the config.

Messages, buttons and palette entries say which key to press ("Ctrl+R asks again"). With a
`[keymap]` in the config those texts named keys that no longer did anything, and a keymap that
gave Ctrl+S to Hint silently left Send on Ctrl+Enter alone, which many terminals cannot send.
The table below mirrors the screens' BINDINGS (a test keeps the two in step), so checking a
keymap needs no screen imported at start-up. It also says how a narrow terminal's footer names
a key (`short`), or that it leaves the key out (`wide_only`: it stays in F1 help and the
command palette).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rebindable:
    keys: str  # Textual's form: "ctrl+s,ctrl+enter"
    what: str
    where: str  # "app" bindings work on every screen
    short: str = ""  # the footer's name for it below 100 columns; "" = `what`
    wide_only: bool = False  # left out of the footer below 100 columns


BINDINGS: dict[str, Rebindable] = {
    "help": Rebindable("f1", "Help", "app"),
    "quit": Rebindable("ctrl+q", "Quit", "app"),
    "start": Rebindable("enter", "Start", "briefing"),
    "back": Rebindable("escape", "Back", "briefing"),
    "search": Rebindable("slash", "Search", "picker"),
    "history": Rebindable("h", "History", "picker, debrief"),
    "settings": Rebindable("s,ctrl+comma", "Settings", "picker"),
    "help_key": Rebindable("question_mark", "Help", "picker"),
    "continue": Rebindable("c", "Continue", "picker"),
    "picker.reload": Rebindable("f5,ctrl+r", "Reload scenarios", "picker"),
    "send": Rebindable("ctrl+s,ctrl+enter", "Send", "conversation"),
    "cancel": Rebindable("escape", "Stop reply", "conversation", short="Stop"),
    "hint": Rebindable("ctrl+t", "Hint", "conversation"),
    "retry": Rebindable("ctrl+r", "Retry", "conversation"),
    "rewind": Rebindable("ctrl+b", "Rewind", "conversation"),
    "exam": Rebindable("ctrl+o", "Exam mode", "conversation", wide_only=True),
    "finish": Rebindable("ctrl+g", "Finish", "conversation"),
    "export_md": Rebindable("m", "Export Markdown", "debrief", short="Markdown"),
    "export_html": Rebindable("x", "Export HTML", "debrief", short="HTML"),
    "retry_scenario": Rebindable("r", "Retry scenario", "debrief", short="Retry"),
    "home": Rebindable("escape,q", "Home", "debrief"),
    "history.play": Rebindable("p", "Play recommended", "history"),
    "history.reload": Rebindable("r", "Reload", "history"),
    "replay.branch": Rebindable("b", "Next branch", "replay viewer"),
    "settings.save": Rebindable("ctrl+s", "Save", "settings"),
}

_NAMES = {
    "escape": "Esc",
    "enter": "Enter",
    "slash": "/",
    "question_mark": "?",
    "comma": ",",
    "space": "Space",
    "tab": "Tab",
}


def key_label(keys: str) -> str:
    """The first of Textual's `keys` as a person writes it: "ctrl+s,ctrl+enter" -> "Ctrl+S"."""
    first = keys.split(",")[0].strip()
    if len(first) == 1:
        return first  # a plain letter key stays as typed: "h", "B"
    parts = first.split("+")
    return "+".join(_NAMES.get(p, p.upper() if len(p) == 1 else p.capitalize()) for p in parts)


def footer_name(binding_id: str | None, description: str, *, narrow: bool) -> str | None:
    """How the footer names the key of `binding_id` (its binding's `description` otherwise):
    at 80 columns the conversation's keys ran past the edge while a reply streamed, so a
    narrow footer says "Stop" for "Stop reply" and leaves out Exam mode (None)."""
    rebindable = BINDINGS.get(binding_id or "")
    if not narrow or rebindable is None:
        return description
    if rebindable.wide_only:
        return None
    return rebindable.short or description


def keys_of(binding_id: str, keymap: Mapping[str, str]) -> str:
    return keymap.get(binding_id) or BINDINGS[binding_id].keys


def shown_key(binding_id: str, keymap: Mapping[str, str]) -> str:
    """How a message names the key of `binding_id` under `keymap`."""
    return key_label(keys_of(binding_id, keymap))


def app_key(app: object, binding_id: str) -> str:
    """`shown_key` under the keymap `app` uses (CoachApp's `user_keymap`; none in a test app
    that shows a single screen)."""
    return shown_key(binding_id, getattr(app, "user_keymap", {}))


def _split(keys: str) -> list[str]:
    return [k.strip() for k in keys.split(",") if k.strip()]


def keymap_problems(keymap: Mapping[str, str]) -> list[str]:
    """What a `[keymap]` gets wrong: ids that name no binding, and keys given to two bindings
    on one screen (one of them would stop working)."""
    problems = [
        f"keymap: {name!r} is not a key binding id (known: {', '.join(sorted(BINDINGS))})"
        for name in keymap
        if name not in BINDINGS
    ]
    screens: dict[str, list[str]] = {}
    for binding_id, binding in BINDINGS.items():
        for where in binding.where.split(", "):
            screens.setdefault(where, []).append(binding_id)
    for where, ids in screens.items():
        if where != "app":
            ids = ids + screens["app"]
        owner: dict[str, str] = {}
        for binding_id in ids:
            for key in _split(keys_of(binding_id, keymap)):
                other = owner.setdefault(key, binding_id)
                if other != binding_id and (binding_id in keymap or other in keymap):
                    problem = (
                        f"keymap: {key_label(key)} is both {BINDINGS[other].what} and "
                        f"{BINDINGS[binding_id].what} on the {where} screen; "
                        "give one of them another key"
                    )
                    if problem not in problems:
                        problems.append(problem)
    return problems
