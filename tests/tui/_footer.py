"""What a screen's footer shows, and which of its keys a narrow terminal cuts."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


def cut_keys(app: App[Any]) -> list[str]:
    """The footer keys of the current screen that are not fully on screen: past the footer's
    edge, or under the palette key docked on its right."""
    footer = app.screen.query_one(Footer)
    keys = list(footer.query(FooterKey))
    assert keys, "no keys in the footer"
    palette = [k.region for k in keys if k.has_class("-command-palette")]
    return [
        k.description
        for k in keys
        if not footer.region.contains_region(k.region)
        or any(k.region.overlaps(p) for p in palette if p != k.region)
    ]


def footer_keys(app: App[Any]) -> list[tuple[str, str]]:
    """(key, description) of every key in the current screen's footer."""
    footer = app.screen.query_one(Footer)
    return [(k.key_display, k.description) for k in footer.query(FooterKey)]
