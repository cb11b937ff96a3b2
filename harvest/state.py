"""Harvest bookkeeping in the store: per-query high-water marks, paper versions and PDF rows.

``harvest_queries`` holds, for each (benchmark, exact search_query), the newest ``updated``
timestamp seen by the last *complete* pass. The next pass pages newest-first and stops at the
first entry older than that mark minus a look-back window (arXiv indexes some submissions a few
days after their timestamp), so a run right after a complete one needs a single API page.

``harvest_slices`` records how a query beyond arXiv's result cap was split into submission-date
windows, so the next run asks the slices directly.

A failed PDF waits before its next attempt, longer after each failure (``RETRY_DELAYS``: 1 h, 6 h,
1 day, 1 week, in ``pdfs.next_attempt``), and is given up after ``MAX_ATTEMPTS`` failed runs;
``harvest --retry-failed`` tries every failed PDF again at once.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flopmine.store import now_iso, upsert_paper
from flopmine.types import Paper

RETRY_DELAYS = (timedelta(hours=1), timedelta(hours=6), timedelta(days=1), timedelta(weeks=1))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1  # failed runs before a PDF is given up

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

-- a query over arXiv's result cap, split into submission-date windows that each fit
CREATE TABLE IF NOT EXISTS harvest_slices (
    benchmark TEXT NOT NULL,
    query TEXT NOT NULL,                   -- the query as asked (without the slice's window)
    lo TEXT NOT NULL,                      -- first submission day of the slice, YYYY-MM-DD
    hi TEXT NOT NULL DEFAULT '',           -- last day, '' = open-ended (up to now and later)
    total_results INTEGER,                 -- arXiv's count for the slice when it was last asked
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (benchmark, query, lo)
);
"""


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the harvester's own tables (idempotent). ``pdfs.next_attempt`` is in the core schema."""
    with conn:
        conn.executescript(HARVEST_SCHEMA)


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_attempt_after(failures: int, now: datetime) -> str | None:
    """When a PDF that failed ``failures`` runs may be tried again; None once it is given up.

    >>> next_attempt_after(1, datetime(2026, 1, 1, tzinfo=UTC))
    '2026-01-01T01:00:00Z'
    >>> next_attempt_after(4, datetime(2026, 1, 1, tzinfo=UTC))
    '2026-01-08T00:00:00Z'
    >>> next_attempt_after(MAX_ATTEMPTS, datetime(2026, 1, 1, tzinfo=UTC)) is None
    True
    """
    if failures >= MAX_ATTEMPTS or failures < 1:
        return None
    return _iso(now + RETRY_DELAYS[failures - 1])


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
                 max_attempts: int = MAX_ATTEMPTS, retry_failed: bool = False,
                 now: datetime | None = None) -> list[PendingPdf]:
    """PDFs to fetch now (oldest id first): pending ones, and failed ones whose next attempt is due
    and that failed fewer than ``max_attempts`` times — or every failed one with ``retry_failed``."""
    due = _iso(now or datetime.now(UTC))
    waits = "next_attempt" in _columns(conn, "pdfs")  # a read-only dry run on an older store lacks it
    if retry_failed:
        failed_due = "d.status = 'failed'"
        args: list[object] = []
    else:
        failed_due = "(d.status = 'failed' AND d.attempts < ?"
        failed_due += " AND (d.next_attempt IS NULL OR d.next_attempt <= ?))" if waits else ")"
        args = [max_attempts, due] if waits else [max_attempts]
    sql = f"""SELECT p.arxiv_id, p.version, p.pdf_url, d.attempts, d.status FROM pdfs d
             JOIN papers p ON p.arxiv_id = d.arxiv_id AND p.version = d.version
             WHERE (d.status = 'pending' OR {failed_due})"""
    if benchmarks is not None:
        sql += (f" AND d.arxiv_id IN (SELECT arxiv_id FROM paper_benchmarks WHERE benchmark IN "
                f"({', '.join('?' * len(benchmarks))}))")
        args.extend(benchmarks)
    sql += " ORDER BY p.arxiv_id, p.version"
    return [PendingPdf(r[0], int(r[1]), r[2], int(r[3]), r[4]) for r in conn.execute(sql, args)]


def mark_pdf(conn: sqlite3.Connection, arxiv_id: str, version: int, *, ok: bool, path: str = "",
             sha256: str = "", size: int = 0, reason: str = "", count_attempt: bool = True,
             now: datetime | None = None) -> None:
    """Record a download result; a failure keeps no path, says why and when to try again."""
    moment = now or datetime.now(UTC)
    with conn:
        row = conn.execute("SELECT attempts FROM pdfs WHERE arxiv_id = ? AND version = ?",
                           (arxiv_id, version)).fetchone()
        attempts = (int(row[0]) if row else 0) + (1 if count_attempt else 0)
        conn.execute(
            """UPDATE pdfs SET status = ?, path = ?, sha256 = ?, size = ?, reason = ?,
                   attempts = ?, next_attempt = ?, updated_at = ? WHERE arxiv_id = ? AND version = ?""",
            ("ok" if ok else "failed", path or None, sha256 or None, size if ok else None,
             None if ok else reason, attempts, None if ok else next_attempt_after(attempts, moment),
             _iso(moment), arxiv_id, version))


# ---------------------------------------------------------------- result-cap slices


@dataclass(frozen=True)
class Window:
    """A submission-date window: ``lo`` to ``hi`` inclusive; ``hi`` None is open-ended."""

    lo: date
    hi: date | None = None

    def split(self, today: date) -> tuple[Window, Window] | None:
        """The older and newer halves, or None for a single day.

        >>> Window(date(2019, 1, 1), date(2019, 1, 4)).split(date(2020, 1, 1))
        (Window(lo=datetime.date(2019, 1, 1), hi=datetime.date(2019, 1, 2)), Window(lo=datetime.date(2019, 1, 3), hi=datetime.date(2019, 1, 4)))
        """
        last = self.hi or max(today, self.lo)
        if last <= self.lo:
            return None
        mid = self.lo + (last - self.lo) // 2
        return Window(self.lo, mid), Window(mid + timedelta(days=1), self.hi)


def get_slices(conn: sqlite3.Connection, benchmark: str, query: str) -> list[Window]:
    """The recorded slices of a query, oldest first (empty when it was never split)."""
    try:
        rows = conn.execute("SELECT lo, hi FROM harvest_slices WHERE benchmark = ? AND query = ? ORDER BY lo",
                            (benchmark, query)).fetchall()
    except sqlite3.OperationalError:  # read-only dry run on a store without the table yet
        return []
    return [Window(date.fromisoformat(r[0]), date.fromisoformat(r[1]) if r[1] else None) for r in rows]


def save_slices(conn: sqlite3.Connection, benchmark: str, query: str,
                slices: list[tuple[Window, int | None]]) -> None:
    """Replace the recorded slices of a query with ``(window, totalResults)`` pairs."""
    now = now_iso()
    with conn:
        conn.execute("DELETE FROM harvest_slices WHERE benchmark = ? AND query = ?", (benchmark, query))
        conn.executemany(
            "INSERT INTO harvest_slices (benchmark, query, lo, hi, total_results, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(benchmark, query, w.lo.isoformat(), w.hi.isoformat() if w.hi else "", total, now)
             for w, total in slices])
