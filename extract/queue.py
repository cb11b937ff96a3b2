"""The review queue: every stored candidate as one CSV row, for reviewers to fill in.

Written incrementally, in proportion to what changed since the last write (a hidden state file next
to the queue, ``.<name>.state.json``, records the store's ``candidates_generation`` it reflects and
the file's size and time as written):

- nothing extracted since, and the file untouched: nothing is read or written;
- only papers extracted for the first time since, and the file untouched: their rows are appended
  (sorted by paper, version, field and rank within the batch);
- anything else (a paper re-extracted, ``--force``, new rules, a reviewer edited the file, no state
  file): the file is rewritten atomically from the store. Reviewer columns (``REVIEWER_COLUMNS``)
  already filled in the old file are carried over by ``candidate_id``; a filled-in row whose
  candidate no longer exists is kept at the end, flagged ``stale`` — a re-run never loses a decision.

>>> write_queue(conn, Path("flopmine-data/queue/queue.csv"))  # doctest: +SKIP
412
"""

from __future__ import annotations

import csv
import json
import logging
import os
import sqlite3
from pathlib import Path
from typing import TextIO

from flopmine.config import atomic_path, neutralise_cell, write_text_atomic
from flopmine.store import candidates_for, candidates_generation, extracted_since, iter_candidates, now_iso
from flopmine.types import FIELDS, Candidate

from . import QUEUE_COLUMNS, REVIEWER_COLUMNS

log = logging.getLogger(__name__)


def _value_text(c: Candidate) -> str:
    if isinstance(c.value, float):
        spec = FIELDS.get(c.field)
        if spec is not None and spec.numeric:
            return f"{c.value:.10g}"
    return str(c.value)


def candidate_row(c: Candidate) -> dict[str, object]:
    """One queue row (reviewer columns empty)."""
    return {
        "candidate_id": c.candidate_id, "arxiv_id": c.arxiv_id, "version": c.version, "benchmark": c.benchmark,
        "model": c.model, "field": c.field, "value": _value_text(c), "unit": c.unit, "page": c.page,
        "snippet": " ".join(c.snippet.split()), "confidence": f"{c.confidence:.3f}", "rank": c.rank,
        "rule": c.rule, "flags": ",".join(c.flags), "raw": c.raw, "fact_key": c.fact_key,
        **{k: "" for k in REVIEWER_COLUMNS},
    }


def queue_rows(conn: sqlite3.Connection) -> list[dict[str, object]]:
    """Rows for every candidate in the store, sorted by paper, version, field and rank."""
    return [candidate_row(c) for c in candidates_for(conn)]


def _read_reviewed(path: Path) -> dict[str, dict[str, str]]:
    """Rows of an existing queue file with any reviewer column filled, by candidate_id."""
    if not path.exists():
        return {}
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None or "candidate_id" not in reader.fieldnames:
                raise ValueError("no candidate_id column")
            return {row["candidate_id"]: row for row in reader
                    if row.get("candidate_id") and any((row.get(k) or "").strip() for k in REVIEWER_COLUMNS)}
    except (ValueError, csv.Error, UnicodeDecodeError) as e:
        backup = path.with_name(f"{path.name}.unreadable-{now_iso().replace(':', '')}")
        path.rename(backup)
        log.warning("%s could not be read (%s); kept it as %s and wrote a fresh queue", path, e, backup)
        return {}


def _state_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.state.json")


def _file_stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _store_of(conn: sqlite3.Connection) -> str:
    return str(getattr(conn, "store_path", "") or "")


def _read_state(conn: sqlite3.Connection, path: Path) -> dict[str, object] | None:
    """The state of ``path`` as last written, when it still describes the file and this store; else None."""
    store = _store_of(conn)
    if not store or store == ":memory:":
        return None
    try:
        state = json.loads(_state_path(path).read_text(encoding="utf-8"))
        fresh = (state.get("store") == store and state.get("columns") == list(QUEUE_COLUMNS)
                 and state.get("file") == _file_stamp(path))
        return state if fresh else None
    except (OSError, ValueError, AttributeError):
        return None


def _write_state(conn: sqlite3.Connection, path: Path, generation: int, rows: int) -> None:
    store = _store_of(conn)
    if not store or store == ":memory:":
        return
    state = {"store": store, "generation": generation, "rows": rows, "columns": list(QUEUE_COLUMNS),
             "file": _file_stamp(path)}
    write_text_atomic(_state_path(path), json.dumps(state) + "\n")


def _writer(fh: TextIO) -> csv.DictWriter[str]:
    """The queue's CSV format (``config.write_csv_atomic``'s: UTF-8, no BOM, ``\\n`` line ends)."""
    return csv.DictWriter(fh, fieldnames=list(QUEUE_COLUMNS), extrasaction="ignore", lineterminator="\n")


def _cells(row: dict[str, object]) -> dict[str, object]:
    return {k: "" if v is None else neutralise_cell(v) for k, v in row.items()}


def _append(conn: sqlite3.Connection, path: Path, papers: list[tuple[str, int, bool]]) -> int:
    """Append the rows of ``papers`` (the header is already there), one paper in memory at a time."""
    written = 0
    with open(path, "a", newline="", encoding="utf-8") as fh:
        writer = _writer(fh)
        for aid, version, _first in papers:
            for c in candidates_for(conn, aid, version):
                writer.writerow(_cells(candidate_row(c)))
                written += 1
        fh.flush()
        os.fsync(fh.fileno())
    return written


def write_queue(conn: sqlite3.Connection, path: Path) -> int:
    """Bring the review queue CSV up to date with the store; return its number of rows.

    Costs what changed since the last write (see the module docstring): nothing when nothing was
    extracted, the new papers' rows when only new papers were, a full atomic rewrite otherwise.
    """
    path = Path(path)
    generation = candidates_generation(conn)
    state = _read_state(conn, path)
    if state is not None:
        done, written = int(state["generation"]), int(state["rows"])  # type: ignore[call-overload]
        if done == generation:
            return written
        changed = extracted_since(conn, done)
        if all(first for _aid, _v, first in changed):  # only papers the file has never seen: append
            written += _append(conn, path, changed)
            _write_state(conn, path, generation, written)
            return written
    rows = rewrite_queue(conn, path)
    _write_state(conn, path, generation, rows)
    return rows


def rewrite_queue(conn: sqlite3.Connection, path: Path) -> int:
    """Write the whole review queue CSV atomically from the store (formula-neutralised); return its rows.

    Candidates are streamed from the store to the file: memory holds the old file's reviewed rows only.
    """
    reviewed = _read_reviewed(path)
    written = 0
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = _writer(fh)
        writer.writeheader()
        for c in iter_candidates(conn):
            row = candidate_row(c)
            old = reviewed.pop(str(row["candidate_id"]), None)
            if old:
                row.update({k: old.get(k) or "" for k in REVIEWER_COLUMNS})
            writer.writerow(_cells(row))
            written += 1
        for old in reviewed.values():  # decisions on candidates that are gone: keep them, visibly
            flags = [f for f in (old.get("flags") or "").split(",") if f]
            writer.writerow(_cells({**{k: old.get(k, "") for k in QUEUE_COLUMNS}, "flags": ",".join([*flags, "stale"])}))
            written += 1
    return written
