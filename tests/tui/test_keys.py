"""Keys named in messages follow the `[keymap]`, and a keymap that breaks a binding is
reported. The id table in coach.tui.keys must match the screens' own BINDINGS."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest
from textual.binding import Binding
from textual.widgets import Button, TextArea

from coach.settings import Settings
from coach.tui.app import CoachApp
from coach.tui.keys import BINDINGS, key_label, keymap_problems
from tests.tui.conftest import open_conversation

WaitUntil = Any

SCREENS = {
    "app": ("coach.tui.app", "CoachApp"),
    "briefing": ("coach.tui.screens.briefing", "BriefingScreen"),
    "picker": ("coach.tui.screens.picker", "PickerScreen"),
    "conversation": ("coach.tui.screens.conversation", "ConversationScreen"),
    "debrief": ("coach.tui.screens.debrief", "DebriefScreen"),
    "history": ("coach.tui.screens.history", "HistoryScreen"),
    "replay viewer": ("coach.tui.screens.replay_viewer", "ReplayViewerScreen"),
    "settings": ("coach.tui.screens.settings_screen", "SettingsScreen"),
}


def test_the_table_is_every_screens_bindings_with_an_id() -> None:
    found: dict[str, tuple[str, set[str]]] = {}
    for where, (module, name) in SCREENS.items():
        cls = getattr(importlib.import_module(module), name)
        for b in cls.BINDINGS:
            if isinstance(b, Binding) and b.id:
                keys, places = found.setdefault(b.id, (b.key, set()))
                assert keys == b.key, f"{b.id} has different keys on two screens"
                places.add(where)
    table = {i: (r.keys, set(r.where.split(", "))) for i, r in BINDINGS.items()}
    assert table == found


@pytest.mark.parametrize(
    ("keys", "label"),
    [
        ("ctrl+s,ctrl+enter", "Ctrl+S"),
        ("escape,q", "Esc"),
        ("slash", "/"),
        ("f5,ctrl+r", "F5"),
        ("h", "h"),
        ("ctrl+comma", "Ctrl+,"),
        ("question_mark", "?"),
    ],
)
def test_key_labels_read_as_people_write_keys(keys: str, label: str) -> None:
    assert key_label(keys) == label


def test_keymap_problems_name_unknown_ids_and_stolen_keys() -> None:
    assert keymap_problems({"hint": "f2", "finish": "ctrl+e"}) == []
    (unknown,) = keymap_problems({"hitn": "f2"})
    assert "'hitn' is not a key binding id" in unknown and "hint" in unknown
    (clash,) = keymap_problems({"hint": "ctrl+s"})
    assert "Ctrl+S is both Send and Hint on the conversation screen" in clash
    # A key the app binds everywhere clashes on every screen, reported once per screen.
    assert any("Quit" in p for p in keymap_problems({"history": "ctrl+q"}))
    # The same key on two different screens is fine (Esc is Back and Stop reply).
    assert keymap_problems({"cancel": "escape"}) == []


async def test_messages_name_the_keymaps_keys(
    make_app: Callable[..., CoachApp], settings: Settings, until: WaitUntil
) -> None:
    keymap = {"retry": "f6", "finish": "ctrl+e", "send": "ctrl+j"}
    app = make_app(settings=settings.model_copy(update={"keymap": keymap}))
    async with app.run_test(size=(120, 30)) as pilot:
        conv = await open_conversation(app, pilot)
        assert "Ctrl+J = send" in str(conv.query_one("#input", TextArea).placeholder)
        assert str(conv.query_one("#retry-button", Button).label) == "Retry  F6"
        help_texts = {c.title: c.help for c in conv.screen_commands()}
        assert help_texts["Finish"] == "End and read the debrief (Ctrl+E)"
        assert "Ctrl+G" not in " ".join(help_texts.values())


async def test_a_broken_keymap_is_reported_at_start(
    make_app: Callable[..., CoachApp], settings: Settings, until: WaitUntil
) -> None:
    app = make_app(settings=settings.model_copy(update={"keymap": {"hint": "ctrl+s"}}))
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: list(app._notifications), "a notice")
        (notice,) = list(app._notifications)
        assert notice.severity == "warning" and "Ctrl+S is both Send and Hint" in notice.message


async def test_at_80_columns_the_footer_keeps_finish_and_quit(
    make_app: Callable[..., CoachApp],
) -> None:
    from textual.widgets._footer import FooterKey

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        conv = await open_conversation(app, pilot)
        await pilot.pause()
        on_screen = {
            key.description
            for key in conv.query(FooterKey)
            if key.region.width and key.region.right <= 80
        }
        assert {"Send", "Hint", "Finish", "Quit"} <= on_screen, on_screen
        # Nothing to stop or retry: those keys wait until they can do something.
        assert not on_screen & {"Stop reply", "Retry"}
