"""Loader for the human-labelled dev data beside the checkout (../shared/data).

The data sets are not ours to ship (see ../shared/data/README.md), so the benchmarks read them
in place and skip cleanly when the folder is absent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def data_dir() -> Path | None:
    """The data folder (env `COACH_DATA_DIR` wins), or None when it is not there."""
    env = os.environ.get("COACH_DATA_DIR")
    path = Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"
    return path if path.is_dir() else None


def rows(name: str, folder: Path | None = None) -> Iterator[dict[str, Any]]:
    """Yield the rows of `<name>.dev.jsonl`; nothing if the file is missing."""
    folder = folder or data_dir()
    if folder is None:
        return
    path = folder / f"{name}.dev.jsonl"
    if not path.is_file():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
