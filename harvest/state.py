"""Harvest bookkeeping in the store: per-query high-water marks, paper versions and PDF rows.

``harvest_queries`` holds, for each (benchmark, exact search_query), the newest ``updated``
timestamp seen by the last *complete* pass. The next pass pages newest-first and stops at the
first entry older than that mark minus a look-back window (arXiv indexes some submissions a few
days after their timestamp), so a run right after a complete one needs a single API page.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from flopmine.store import now_iso, upsert_paper
from flopmine.types import Paper

HARVEST_SCHEMA = """
CREATE TABLE IF NOT EXISTS harvest_queries (
    benchmark TEXT NOT NULL,
    query TEXT NOT NULL,
    high_water TEXT NOT NULL DEFAULT '',   -- newest <updated> seen by the last complete pass
    last_complete TEXT,                    -- when that pass finished
    last_run TEXT,
    last_error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (benchmark, query)
);
"""


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the harvester's own tables (idempotent)."""
    with conn:
        conn.executescript(HARVEST_SCHEMA)


@dataclass(frozen=True)
class QueryState:
    benchmark: str
    query: str
    high_water: str = ""
    last_complete: str | None = None
    last_error: str = ""


def get_query_state(conn: sqlite3.Connection, benchmark: str, query: str) -> QueryState:
    try:
        row = conn.execute("SELECT * FROM harvest_queries WHERE benchmark = ? AND query = ?",
                           (benchmark, query)).fetchone()
    except sqlite3.OperationalError:  # read-only dry run on a store without the table yet
        row = None
    if row is None:
        return QueryState(benchmark, query)
    return QueryState(benchmark, query, row["high_water"], row["last_complete"], row["last_error"])


def save_query_state(conn: sqlite3.Connection, benchmark: str, query: str, *, high_water: str | None,
                     complete: bool, error: str = "") -> None:
    """Record a pass: a complete one moves the high-water mark; an interrupted one keeps it."""
    now = now_iso()
    with conn:
        conn.execute("INSERT OR IGNORE INTO harvest_queries (benchmark, query, last_run) VALUES (?, ?, ?)",
                     (benchmark, query, now))
        if complete:
            conn.execute(
                """UPDATE harvest_queries SET high_water = max(high_water, ?), last_complete = ?,
                       last_run = ?, last_error = '' WHERE benchmark = ? AND query = ?""",
                (high_water or "", now, now, benchmark, query))
        else:
            conn.execute("UPDATE harvest_queries SET last_run = ?, last_error = ? WHERE benchmark = ? AND query = ?",
                         (now, error, benchmark, query))


def known_version(conn: sqlite3.Connection, arxiv_id: str, version: int) -> bool:
    return conn.execute("SELECT 1 FROM papers WHERE arxiv_id = ? AND version = ?",
                        (arxiv_id, version)).fetchone() is not None


def record_paper(conn: sqlite3.Connection, paper: Paper) -> bool:
    """Store a paper version, its benchmark links and a pending PDF row in one transaction.

    Returns True when this id+version was new. A known version only gains benchmark links.
    """
    with conn:
        new = upsert_paper(conn, paper)
        conn.execute(
            "INSERT OR IGNORE INTO pdfs (arxiv_id, version, status, updated_at) VALUES (?, ?, 'pending', ?)",
            (paper.arxiv_id, paper.version, now_iso()))
    return new


@dataclass(frozen=True)
class PendingPdf:
    arxiv_id: str
    version: int
    pdf_url: str
    attempts: int
    status: str


def pending_pdfs(conn: sqlite3.Connection, *, benchmarks: list[str] | None = None,
                 max_attempts: int = 5) -> list[PendingPdf]:
    """PDFs still to fetch: pending, or failed fewer than ``max_attempts`` times (oldest id first)."""
    sql = """SELECT p.arxiv_id, p.version, p.pdf_url, d.attempts, d.status FROM pdfs d
             JOIN papers p ON p.arxiv_id = d.arxiv_id AND p.version = d.version
             WHERE (d.status = 'pending' OR (d.status = 'failed' AND d.attempts < ?))"""
    args: list[object] = [max_attempts]
    if benchmarks is not None:
        sql += (f" AND d.arxiv_id IN (SELECT arxiv_id FROM paper_benchmarks WHERE benchmark IN "
                f"({', '.join('?' * len(benchmarks))}))")
        args.extend(benchmarks)
    sql += " ORDER BY p.arxiv_id, p.version"
    return [PendingPdf(r[0], int(r[1]), r[2], int(r[3]), r[4]) for r in conn.execute(sql, args)]


def mark_pdf(conn: sqlite3.Connection, arxiv_id: str, version: int, *, ok: bool, path: str = "",
             sha256: str = "", size: int = 0, reason: str = "", count_attempt: bool = True) -> None:
    """Record a download result; a failure keeps no path and says why."""
    with conn:
        conn.execute(
            """UPDATE pdfs SET status = ?, path = ?, sha256 = ?, size = ?, reason = ?,
                   attempts = attempts + ?, updated_at = ? WHERE arxiv_id = ? AND version = ?""",
            ("ok" if ok else "failed", path or None, sha256 or None, size if ok else None,
             None if ok else reason, 1 if count_attempt else 0, now_iso(), arxiv_id, version))
