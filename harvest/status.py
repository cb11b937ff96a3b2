"""``harvest.status``: what the store holds — papers per benchmark, PDF states, failures (with reasons and
when they are tried again), extractions (with the reason of each failure).

Example::

    from flopmine import harvest
    from flopmine.config import resolve_home
    report = harvest.status(resolve_home("flopmine-data"))
    for row in report.benchmarks:
        print(row.benchmark, row.papers, row.pdf_ok, row.pdf_pending, row.pdf_failed)
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from flopmine.benchmarks import load_registry
from flopmine.config import Home
from flopmine.store import connect

from . import state


@dataclass(frozen=True)
class BenchmarkStatus:
    benchmark: str
    papers: int = 0  # distinct arXiv ids
    versions: int = 0  # id+versions recorded
    pdf_ok: int = 0
    pdf_pending: int = 0
    pdf_failed: int = 0
    last_complete: str = ""  # newest complete query pass
    last_error: str = ""


@dataclass(frozen=True)
class FailedPdf:
    arxiv_id: str
    version: int
    attempts: int
    reason: str
    next_attempt: str = ""  # ISO time of the next try ("" = the next run, or given up)
    gave_up: bool = False  # failed MAX_ATTEMPTS runs; only ``harvest --retry-failed`` tries again


@dataclass(frozen=True)
class FailedExtraction:
    arxiv_id: str
    version: int
    status: str  # corrupt | encrypted | needs_ocr | timeout | too_large | error
    reason: str
    source_path: str = ""


@dataclass(frozen=True)
class StatusReport:
    benchmarks: tuple[BenchmarkStatus, ...]
    total: BenchmarkStatus  # every paper once, whatever its benchmarks
    failed: tuple[FailedPdf, ...]
    extractions: tuple[tuple[str, int], ...] = ()  # (status, count); empty when nothing extracted yet
    extraction_failures: tuple[FailedExtraction, ...] = ()  # every extraction not ok, with its reason
    exists: bool = True  # False when the home has no store yet


def _counts(conn: sqlite3.Connection, where: str, args: tuple[object, ...]) -> dict[str, int]:
    row = conn.execute(
        f"""SELECT count(DISTINCT p.arxiv_id) AS papers, count(*) AS versions,
                   sum(d.status = 'ok') AS ok, sum(d.status = 'pending' OR d.status IS NULL) AS pending,
                   sum(d.status = 'failed') AS failed
            FROM papers p LEFT JOIN pdfs d ON d.arxiv_id = p.arxiv_id AND d.version = p.version
            WHERE {where}""", args).fetchone()
    return {k: int(row[k] or 0) for k in ("papers", "versions", "ok", "pending", "failed")}


def status_from_conn(conn: sqlite3.Connection, benchmark_names: list[str] | None = None) -> StatusReport:
    """Build the status report from an open store (every benchmark in the store plus ``benchmark_names``)."""
    state.ensure_schema(conn)
    names = list(benchmark_names or [])
    for (b,) in conn.execute("SELECT DISTINCT benchmark FROM paper_benchmarks ORDER BY benchmark"):
        if b not in names:
            names.append(b)
    rows: list[BenchmarkStatus] = []
    for b in names:
        c = _counts(conn, "p.arxiv_id IN (SELECT arxiv_id FROM paper_benchmarks WHERE benchmark = ?)", (b,))
        q = conn.execute("SELECT max(last_complete), group_concat(nullif(last_error, ''), '; ') "
                         "FROM harvest_queries WHERE benchmark = ?", (b,)).fetchone()
        rows.append(BenchmarkStatus(b, c["papers"], c["versions"], c["ok"], c["pending"], c["failed"],
                                    q[0] or "", q[1] or ""))
    c = _counts(conn, "1 = 1", ())
    total = BenchmarkStatus("all", c["papers"], c["versions"], c["ok"], c["pending"], c["failed"])
    failed = tuple(
        FailedPdf(r[0], int(r[1]), int(r[2]), r[3] or "", r[4] or "", int(r[2]) >= state.MAX_ATTEMPTS)
        for r in conn.execute("SELECT arxiv_id, version, attempts, reason, next_attempt FROM pdfs "
                              "WHERE status = 'failed' ORDER BY arxiv_id, version"))
    try:
        extractions = tuple((r[0], int(r[1])) for r in conn.execute(
            "SELECT status, count(*) FROM extractions GROUP BY status ORDER BY status"))
        extraction_failures = tuple(FailedExtraction(r[0], int(r[1]), r[2], r[3] or "", r[4] or "") for r in conn.execute(
            "SELECT arxiv_id, version, status, reason, source_path FROM extractions WHERE status != 'ok' "
            "ORDER BY arxiv_id, version"))
    except sqlite3.OperationalError:
        extractions, extraction_failures = (), ()
    return StatusReport(tuple(rows), total, failed, extractions, extraction_failures)


def status(home: Home, *, registry: Path | str | None = None) -> StatusReport:
    """Status of ``home`` without creating anything when it holds no store yet."""
    names = list(load_registry(registry))
    if not home.db_path.exists():
        empty = tuple(BenchmarkStatus(n) for n in names)
        return StatusReport(empty, BenchmarkStatus("all"), (), exists=False)
    conn = connect(home.db_path)
    try:
        return status_from_conn(conn, names)
    finally:
        conn.close()
