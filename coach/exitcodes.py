"""Exit codes shared by every command, documented in docs/evaluators.md."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILURES = 1  # some inputs were invalid or failed; the rest was processed
    USAGE = 2  # bad command line
    CONFIG = 3  # invalid settings or config file
    BACKEND = 4  # the LLM endpoint failed in a way a retry did not fix
    INTERRUPTED = 130  # Ctrl-C; partial work is saved and resumable
