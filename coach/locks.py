"""Advisory file locks between coach processes that share one COACH_HOME.

Two terminal windows, a `coach play --resume` beside the app, two `coach replay --batch` runs:
several processes may use the same data folder at once, and some files must be written by
one of them at a time. A transcript appended from two processes lost turns (each wrote from
its own end of file over the other's lines), and two runs submitting the same batch paid for
it twice. Such writes hold an exclusive `flock` on an open descriptor. The operating system
drops it when the process ends, however it ends, so a crash never leaves a stale lock behind
(as a pid file would).

A lock is shared inside one process: the app may open a session again while an earlier
screen still holds it, and that is one writer, not two. Other processes are refused at once
(`LockBusy`) or, with `wait=True`, wait for it. Where there is no `flock` (Windows) or the
file system refuses it (some network mounts), nothing is locked and the write goes ahead.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["LockBusy", "acquire", "holding", "release"]


class LockBusy(Exception):
    """Another process holds the lock."""


_GUARD = threading.Lock()
# Real path -> [the locked descriptor, how many holders in this process].
_HELD: dict[str, list[int]] = {}


def acquire(path: Path, *, wait: bool = False, create: bool = False) -> str:
    """Lock `path` (created if `create`) for this process; returns the key for `release`.

    Raises `LockBusy` when another process holds it and `wait` is False, and OSError when
    the file cannot be opened.
    """
    key = os.path.realpath(path)
    with _GUARD:
        held = _HELD.get(key)
        if held is not None:
            held[1] += 1
            return key
        if fcntl is None:
            return ""
        flags = os.O_RDWR | os.O_CREAT if create else os.O_RDONLY
        fd = os.open(key, flags, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockBusy(key) from None
        except OSError:  # no locks on this file system: carry on unlocked
            os.close(fd)
            return ""
        _HELD[key] = [fd, 1]
        return key


def release(key: str) -> None:
    """Give back one hold taken by `acquire`; the last one in this process unlocks."""
    with _GUARD:
        held = _HELD.get(key)
        if held is None:
            return
        held[1] -= 1
        if held[1] <= 0:
            del _HELD[key]
            os.close(held[0])  # closing the descriptor drops the flock


@contextlib.contextmanager
def holding(path: Path, *, wait: bool = False, create: bool = True) -> Iterator[None]:
    """`acquire` for the duration of a `with` block."""
    key = acquire(path, wait=wait, create=create)
    try:
        yield
    finally:
        release(key)
