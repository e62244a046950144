"""Handing a thread worker's result back to the screen that started it, or to nobody.

A screen loads files in thread workers so the first frame paints at once. The learner may
close that screen, or quit, before the load ends: Textual cancels the worker only once the
screen has unmounted, after its widgets are gone, so a result handed back in between found
no widgets (`NoMatches` on a picker being torn down, a traceback at quit).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.dom import DOMNode
from textual.worker import get_current_worker


def hand_back(node: DOMNode, callback: Callable[..., Any], *args: Any) -> None:
    """From a thread worker: run `callback(*args)` on the app's thread, unless by then the
    worker was cancelled, `node` left the screen or the app is shutting down."""
    worker = get_current_worker()
    app = node.app

    def deliver() -> None:
        if worker.is_cancelled or not node.is_attached or not app.is_running:
            return
        callback(*args)

    if not worker.is_cancelled:
        app.call_from_thread(deliver)
