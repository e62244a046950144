"""On-disk cache of turn scores, so the same reply is never paid for (or waited for) twice.

An LLM judge call costs money and seconds; replays and re-runs score the same turns again and
again. The key is the sha256 of everything that can change a score: scorer name, model, rubric
version, prompt template hash, and the two texts. Change any of them and the entry is simply
not found (no invalidation logic needed).

The entries live in one SQLite database, `<cache_dir>/scores/scores.sqlite3`, in WAL mode.
A replay of millions of turns would otherwise mean millions of small files, and creating one
cost about 0.8 ms here, a quarter of a judge call's CPU; a row costs about 60 µs. SQLite gives
the same guarantees the file-per-entry layout had: a reader sees a whole entry or none, any
number of processes (live app, `coach replay`, `coach score`) share the database, and an entry
committed before a crash or Ctrl-C survives it. Commits are not fsynced one by one
(`synchronous=NORMAL`): a power cut may lose the last few entries, which only costs a re-score.

The cache never fails a scoring: a corrupt database is moved aside and started afresh, and an
entry that cannot be read or written counts as a miss. Entries from the earlier file-per-entry
layout (`scores/ab/<key>.json`) are imported on first open.

Public API (kept small for the replay tooling):
    cache_key(scorer=, model=, rubric_version=, prompt_sha=, context=, response=) -> str
    ScoreCache(root) / ScoreCache.for_settings(settings)
    .get(key) -> TurnScore | None,  .put(key, score),  .clear() -> int,  .count() -> int
Entries hold the score only: never the API key, never the request.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.scoring.types import TurnScore

if TYPE_CHECKING:
    from coach.settings import Settings

CACHE_FORMAT = 1
DB_NAME = "scores.sqlite3"
_HEX_KEY = re.compile(r"[0-9a-f]{64}")
_LEGACY_SHARD = re.compile(r"[0-9a-f]{2}")
_BUSY_TIMEOUT_MS = 5_000  # another process committing: wait, do not fail the score

log = logging.getLogger(__name__)


def cache_key(
    *,
    scorer: str,
    model: str | None,
    rubric_version: str,
    prompt_sha: str,
    context: str,
    response: str,
) -> str:
    """The sha256 hex key of one scoring request (JSON-encoded, so no field can bleed into
    the next)."""
    payload = json.dumps(
        [CACHE_FORMAT, scorer, model or "", rubric_version, prompt_sha, context, response],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _code(exc: sqlite3.Error) -> int | None:
    """SQLite's primary result code for `exc` (extended codes carry it in the low byte)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _damaged(exc: sqlite3.Error) -> bool:
    """Whether SQLite says the file itself is bad (not a database, or corrupt), as opposed to
    busy or locked, which only means that another process is using it."""
    return _code(exc) in {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}


def _busy(exc: sqlite3.Error) -> bool:
    return _code(exc) in {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def _check_key(key: str) -> str:
    if _HEX_KEY.fullmatch(key) is None:
        raise ValueError("cache keys are sha256 hex digests")
    return key


class ScoreCache:
    """A database of cached `TurnScore`s; safe to share between tasks, threads and processes.

    The connection opens on first use, so building a judge touches no disk."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / DB_NAME
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one connection, used from the loop or a worker thread
        self._warned = False

    @classmethod
    def for_settings(cls, settings: Settings) -> ScoreCache:
        return cls(settings.cache_dir / "scores")

    # ------------------------------------------------------------------ connection

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.root.mkdir(parents=True, exist_ok=True)
            try:
                self._db = self._open_waiting()
            except sqlite3.DatabaseError as exc:
                if not self.path.is_file() or not _damaged(exc):
                    # An unwritable folder, or another process holding the database locked
                    # past the busy timeout: a miss now, and the next use tries again.
                    raise
                # not a database, or damaged beyond reading
                aside = self.path.with_name(f"{DB_NAME}.corrupt-{time.time_ns()}")
                log.warning("score cache unreadable (%s); moved aside to %s", exc, aside.name)
                with contextlib.suppress(OSError):
                    self.path.replace(aside)
                self._db = self._open_waiting()
            self._import_legacy(self._db)
        return self._db

    def _open_waiting(self) -> sqlite3.Connection:
        """`_open`, tried again while another process keeps the database busy.

        Processes opening a new database together race to switch it to WAL, and SQLite
        answers the loser SQLITE_BUSY at once, without waiting the busy timeout: a tester's
        three replays started together each lost a score that way."""
        deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                return self._open()
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.01)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path,
            timeout=_BUSY_TIMEOUT_MS / 1000,  # read at each open: tests shorten it
            isolation_level=None,  # autocommit: every put is its own transaction
            check_same_thread=False,  # guarded by self._lock
        )
        try:
            db.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS scores"
                " (key TEXT PRIMARY KEY, format INTEGER NOT NULL, turn TEXT NOT NULL)"
                " WITHOUT ROWID"
            )
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _import_legacy(self, db: sqlite3.Connection) -> None:
        """Move entries of the file-per-entry layout into the database (once; the files go)."""
        shards = [p for p in self.root.iterdir() if p.is_dir() and _LEGACY_SHARD.fullmatch(p.name)]
        for shard in shards:
            for path in shard.glob("*.json"):
                with contextlib.suppress(OSError, ValueError, KeyError, TypeError, AttributeError):
                    data: Any = json.loads(path.read_text(encoding="utf-8"))
                    key = _check_key(data["key"])
                    if data.get("format") == CACHE_FORMAT and path.stem == key:
                        TurnScore.from_dict(data["turn"])  # only whole, readable entries
                        db.execute(
                            "INSERT OR IGNORE INTO scores VALUES (?, ?, ?)",
                            (key, CACHE_FORMAT, json.dumps(data["turn"], ensure_ascii=False)),
                        )
                with contextlib.suppress(OSError):
                    path.unlink()
            for leftover in shard.glob(".tmp-*"):
                with contextlib.suppress(OSError):
                    leftover.unlink()
            with contextlib.suppress(OSError):
                shard.rmdir()

    # ------------------------------------------------------------------ entries

    def get(self, key: str) -> TurnScore | None:
        _check_key(key)
        try:
            with self._lock:
                row = (
                    self._connect()
                    .execute("SELECT format, turn FROM scores WHERE key = ?", (key,))
                    .fetchone()
                )
            if row is None or row[0] != CACHE_FORMAT:
                return None
            return TurnScore.from_dict(json.loads(row[1]))
        except (sqlite3.Error, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.info("score cache miss on an unreadable entry: %s", exc)
            return None  # score again; the put overwrites it

    def put(self, key: str, score: TurnScore) -> None:
        _check_key(key)
        # In the scorer's own key order: `coach score` prints a cached score as it printed
        # the fresh one (sorted keys came back in another order).
        turn = json.dumps(score.to_dict(), ensure_ascii=False)
        try:
            with self._lock:
                self._connect().execute(
                    "INSERT OR REPLACE INTO scores VALUES (?, ?, ?)", (key, CACHE_FORMAT, turn)
                )
        except (sqlite3.Error, OSError) as exc:  # full disk, read-only folder: score uncached
            # Said once: a replay of a million turns on a full disk printed a million lines.
            if self._warned:
                log.debug("could not cache a score: %s", exc)
            else:
                self._warned = True
                log.warning("could not cache a score: %s (scores go on uncached)", exc)

    def count(self) -> int:
        # A method, not __len__: an empty cache must not be falsy where code asks `if cache`.
        with self._lock:
            (count,) = self._connect().execute("SELECT count(*) FROM scores").fetchone()
        return int(count)

    def clear(self) -> int:
        """Delete every entry; returns how many were removed."""
        with self._lock:
            return self._connect().execute("DELETE FROM scores").rowcount

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
