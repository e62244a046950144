"""Small wording helpers shared by the CLI, the reports and the app: counts in words."""

from __future__ import annotations


def counted(n: int, noun: str) -> str:
    """'1 session', '2 sessions' (every noun we count takes a plain -s)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
