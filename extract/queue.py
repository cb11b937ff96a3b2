"""The review queue: every stored candidate as one CSV row, for reviewers to fill in.

The file is rewritten atomically on each extract run. Reviewer columns (``REVIEWER_COLUMNS``)
already filled in the old file are carried over by ``candidate_id``; a filled-in row whose
candidate no longer exists is kept at the end, flagged ``stale`` — a re-run never loses a decision.

>>> write_queue(conn, Path("flopmine-data/queue/queue.csv"))  # doctest: +SKIP
412
"""

from __future__ import annotations

import csv
import logging
import sqlite3
from pathlib import Path

from flopmine.config import write_csv_atomic
from flopmine.store import candidates_for, now_iso
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


def write_queue(conn: sqlite3.Connection, path: Path) -> int:
    """Write the review queue CSV atomically (formula-neutralised); return the number of rows."""
    rows = queue_rows(conn)
    reviewed = _read_reviewed(path)
    for row in rows:
        old = reviewed.pop(str(row["candidate_id"]), None)
        if old:
            row.update({k: old.get(k) or "" for k in REVIEWER_COLUMNS})
    for old in reviewed.values():  # decisions on candidates that are gone: keep them, visibly
        flags = [f for f in (old.get("flags") or "").split(",") if f]
        rows.append({**{k: old.get(k, "") for k in QUEUE_COLUMNS}, "flags": ",".join([*flags, "stale"])})
    write_csv_atomic(path, list(QUEUE_COLUMNS), rows)
    return len(rows)
