"""On-disk cache of turn scores, so the same reply is never paid for (or waited for) twice.

An LLM judge call costs money and seconds; replays and re-runs score the same turns again and
again. The key is the sha256 of everything that can change a score: scorer name, model, rubric
version, prompt template hash, and the two texts. Change any of them and the entry is simply
not found (no invalidation logic needed).

One JSON file per entry under `<cache_dir>/scores/ab/<key>.json`, written to a temporary file
and moved into place with `os.replace`, which is atomic on POSIX and Windows. So any number of
asyncio tasks and processes (live app, `coach replay`, `coach score`) can share the folder
without locks: a reader sees a whole entry or none, and two writers of the same key write the
same content. A corrupt or unreadable entry counts as a miss.

Public API (kept small for the replay tooling):
    cache_key(scorer=, model=, rubric_version=, prompt_sha=, context=, response=) -> str
    ScoreCache(root) / ScoreCache.for_settings(settings)
    .get(key) -> TurnScore | None,  .put(key, score),  .clear() -> int
Entries hold the score only: never the API key, never the request.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.scoring.types import TurnScore

if TYPE_CHECKING:
    from coach.settings import Settings

CACHE_FORMAT = 1
_HEX_KEY = re.compile(r"[0-9a-f]{3,}")
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


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


class ScoreCache:
    """A folder of cached `TurnScore`s; safe to share between tasks and processes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made_dirs: set[str] = set()  # shard folders known to exist (skip the mkdir)
        self._tmp_names = itertools.count()

    @classmethod
    def for_settings(cls, settings: Settings) -> ScoreCache:
        return cls(settings.cache_dir / "scores")

    def path_for(self, key: str) -> Path:
        if _HEX_KEY.fullmatch(key) is None:
            raise ValueError("cache keys are sha256 hex digests")
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> TurnScore | None:
        path = self.path_for(key)
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != CACHE_FORMAT or data.get("key") != key:
                return None
            return TurnScore.from_dict(data["turn"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # a torn or foreign file: score again and overwrite it

    def put(self, key: str, score: TurnScore) -> None:
        path = self.path_for(key)
        folder = path.parent
        if key[:2] not in self._made_dirs:
            folder.mkdir(parents=True, exist_ok=True)
            self._made_dirs.add(key[:2])
        body = json.dumps(
            {"format": CACHE_FORMAT, "key": key, "turn": score.to_dict()},
            ensure_ascii=False,
            sort_keys=True,
        ).encode("utf-8")
        # A temporary name unique to this process and call (O_EXCL, as mkstemp, without its
        # random-name retries): written whole, then moved into place atomically.
        tmp = folder / f".tmp-{os.getpid()}-{next(self._tmp_names)}-{key[:16]}.json"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o600)
        except FileNotFoundError:  # the folder was removed under us (clear, rm -r)
            self._made_dirs.discard(key[:2])
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o600)
        try:
            try:
                view = memoryview(body)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def clear(self) -> int:
        """Delete every entry; returns how many were removed."""
        removed = 0
        if not self.root.is_dir():
            return 0
        for path in self.root.glob("*/*.json"):
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
        return removed
