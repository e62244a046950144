"""The versioned rubric: behaviourally anchored 1-5 levels for each skill.

Learners read it in the TUI, the LLM judge is prompted with it, and every score records
`RUBRIC_VERSION` so replays can tell which rubric produced a number.
"""

from __future__ import annotations

RUBRIC_VERSION = "2026.11-1"
