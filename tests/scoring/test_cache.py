"""The score cache: entries survive a reopen, a damaged database or entry is a miss (never an
error), entries of the old file-per-entry layout are imported, and keys are checked."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from pathlib import Path

import pytest

from coach.scoring import cache as cache_module
from coach.scoring.analytic import AnalyticScorer
from coach.scoring.cache import DB_NAME, ScoreCache
from coach.scoring.types import TurnScore

KEY = "ab" + "0" * 62
OTHER = "cd" + "1" * 62


@pytest.fixture(scope="module")
def score() -> TurnScore:
    return AnalyticScorer().score_sync("How was it?", "I hear you. What matters most?")


def test_an_entry_survives_reopening_and_clear_removes_it(tmp_path: Path, score: TurnScore) -> None:
    cache = ScoreCache(tmp_path)
    assert cache.get(KEY) is None
    cache.put(KEY, score)
    cache.put(KEY, score)  # same key twice: one entry
    cache.close()

    again = ScoreCache(tmp_path)
    hit = again.get(KEY)
    assert hit is not None and hit.to_dict() == score.to_dict()
    assert again.count() == 1
    assert again.clear() == 1
    assert again.get(KEY) is None and again.count() == 0


def test_a_cached_score_keeps_the_order_of_its_fields(tmp_path: Path, score: TurnScore) -> None:
    cache = ScoreCache(tmp_path)
    cache.put(KEY, score)
    hit = ScoreCache(tmp_path).get(KEY)
    assert hit is not None
    assert json.dumps(hit.to_dict()) == json.dumps(score.to_dict())  # same text, same order


def test_a_second_process_sees_committed_entries(tmp_path: Path, score: TurnScore) -> None:
    writer, reader = ScoreCache(tmp_path), ScoreCache(tmp_path)
    assert reader.get(KEY) is None  # both connections open before the write
    writer.put(KEY, score)
    hit = reader.get(KEY)
    assert hit is not None and hit.to_dict() == score.to_dict()


def test_a_torn_entry_is_a_miss_and_is_overwritten(tmp_path: Path, score: TurnScore) -> None:
    cache = ScoreCache(tmp_path)
    cache.put(KEY, score)
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.execute("UPDATE scores SET turn = ? WHERE key = ?", ('{"skills": {"emp', KEY))
    assert cache.get(KEY) is None
    cache.put(KEY, score)
    assert cache.get(KEY) is not None


def test_a_corrupt_database_is_set_aside_not_an_error(tmp_path: Path, score: TurnScore) -> None:
    (tmp_path / DB_NAME).write_bytes(b"this is not a database" * 100)
    cache = ScoreCache(tmp_path)
    assert cache.get(KEY) is None
    cache.put(KEY, score)
    assert cache.get(KEY) is not None
    aside = list(tmp_path.glob(f"{DB_NAME}.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not")


def test_a_database_another_process_holds_locked_is_a_miss_not_set_aside(
    tmp_path: Path, score: TurnScore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two processes opening a fresh cache at once: one of them finds it locked. That is
    # contention, not damage; setting it aside pulled the file from under the other process.
    monkeypatch.setattr(cache_module, "_BUSY_TIMEOUT_MS", 20)
    holder = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    holder.execute(
        "CREATE TABLE scores (key TEXT PRIMARY KEY, format INTEGER NOT NULL, turn TEXT NOT NULL)"
        " WITHOUT ROWID"
    )
    holder.execute("INSERT INTO scores VALUES (?, 1, ?)", (OTHER, json.dumps(score.to_dict())))
    holder.execute("BEGIN EXCLUSIVE")

    cache = ScoreCache(tmp_path)
    assert cache.get(KEY) is None
    cache.put(KEY, score)  # logged, not raised
    assert list(tmp_path.glob(f"{DB_NAME}.corrupt-*")) == []

    holder.execute("COMMIT")
    holder.close()
    cache.put(KEY, score)
    assert cache.get(KEY) is not None
    assert cache.get(OTHER) is not None  # the other process's entry is still there
    assert cache.count() == 2


def test_caches_opening_a_new_database_together_lose_no_score(
    tmp_path: Path, score: TurnScore
) -> None:
    # Openers of a new database race to switch it to WAL; SQLite answers the loser
    # "database is locked" at once, without the busy timeout, and its score went uncached
    # (about one round in fifteen here). Connections in one process contend as processes do.
    for round_ in range(120):
        folder = tmp_path / str(round_)
        caches = [ScoreCache(folder) for _ in range(4)]
        start = threading.Barrier(len(caches))

        threads = [
            threading.Thread(target=_put_after, args=(start, cache, f"{i:02x}" + "0" * 62, score))
            for i, cache in enumerate(caches)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert ScoreCache(folder).count() == len(caches), f"round {round_}"
        assert list(folder.glob(f"{DB_NAME}.corrupt-*")) == []
        for cache in caches:
            cache.close()


def _put_after(start: threading.Barrier, cache: ScoreCache, key: str, score: TurnScore) -> None:
    start.wait()
    cache.put(key, score)


def test_a_cache_that_cannot_be_written_says_so_once(
    tmp_path: Path, score: TurnScore, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / DB_NAME).mkdir()  # cannot be opened as a database
    cache = ScoreCache(tmp_path)
    with caplog.at_level(logging.WARNING, logger="coach.scoring.cache"):
        for _ in range(3):
            cache.put(KEY, score)
    said = [r.getMessage() for r in caplog.records if "could not cache" in r.getMessage()]
    assert len(said) == 1 and "uncached" in said[0]


def test_an_unusable_folder_scores_uncached(tmp_path: Path, score: TurnScore) -> None:
    (tmp_path / DB_NAME).mkdir()  # cannot be opened as a database, nor set aside
    cache = ScoreCache(tmp_path)
    cache.put(KEY, score)  # logged, not raised: the score itself is fine
    assert cache.get(KEY) is None


def test_entries_of_the_file_per_entry_layout_are_imported(
    tmp_path: Path, score: TurnScore
) -> None:
    shard = tmp_path / KEY[:2]
    shard.mkdir()
    entry = {"format": 1, "key": KEY, "turn": score.to_dict()}
    (shard / f"{KEY}.json").write_text(json.dumps(entry), encoding="utf-8")
    (shard / ".tmp-1-0-abcd.json").write_text("{", encoding="utf-8")  # an interrupted write
    torn = tmp_path / OTHER[:2]
    torn.mkdir()
    (torn / f"{OTHER}.json").write_text('{"format": 1, "key": "cd', encoding="utf-8")

    cache = ScoreCache(tmp_path)
    hit = cache.get(KEY)
    assert hit is not None and hit.to_dict() == score.to_dict()
    assert cache.get(OTHER) is None
    assert cache.count() == 1
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == []


@pytest.mark.parametrize("bad", ["../etc", "AB" + "0" * 62, "ab" * 31])
def test_keys_must_be_sha256_hex(tmp_path: Path, score: TurnScore, bad: str) -> None:
    cache = ScoreCache(tmp_path)
    with pytest.raises(ValueError):
        cache.get(bad)
    with pytest.raises(ValueError):
        cache.put(bad, score)
