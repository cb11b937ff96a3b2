"""The SQLite store (stdlib ``sqlite3``, WAL mode): papers, PDFs, extraction status, candidates.

Functions take an open ``sqlite3.Connection`` (see ``connect``) and return named rows
(``sqlite3.Row``) or record types. Changes that span several statements run in one
``with conn:`` transaction: all or none.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import FlopmineError
from .types import Candidate, Paper

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- one row per arXiv paper version (old versions are kept)
CREATE TABLE IF NOT EXISTS papers (
    arxiv_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    authors TEXT NOT NULL DEFAULT '[]',      -- JSON list
    abstract TEXT NOT NULL DEFAULT '',
    categories TEXT NOT NULL DEFAULT '[]',   -- JSON list
    primary_category TEXT NOT NULL DEFAULT '',
    published TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL DEFAULT '',
    year INTEGER,
    month INTEGER,
    pdf_url TEXT NOT NULL DEFAULT '',
    first_seen TEXT NOT NULL,
    PRIMARY KEY (arxiv_id, version)
);

-- which benchmark queries matched a paper (any version)
CREATE TABLE IF NOT EXISTS paper_benchmarks (
    arxiv_id TEXT NOT NULL,
    benchmark TEXT NOT NULL,
    PRIMARY KEY (arxiv_id, benchmark)
);

-- download state of each paper version's PDF
CREATE TABLE IF NOT EXISTS pdfs (
    arxiv_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'ok', 'failed')),
    path TEXT,                 -- relative to <home>/pdfs
    sha256 TEXT,
    size INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    updated_at TEXT NOT NULL,
    next_attempt TEXT,         -- a failed download is not retried before this time (NULL: any time)
    PRIMARY KEY (arxiv_id, version)
);

-- extraction status per paper version (a failed PDF still gets a row, with its reason)
CREATE TABLE IF NOT EXISTS extractions (
    arxiv_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    source_path TEXT NOT NULL DEFAULT '',
    rule_version TEXT NOT NULL,
    status TEXT NOT NULL,      -- ok | corrupt | encrypted | needs_ocr | timeout | too_large | error
    reason TEXT NOT NULL DEFAULT '',
    pages INTEGER NOT NULL DEFAULT 0,
    seconds REAL NOT NULL DEFAULT 0,
    extracted_at TEXT NOT NULL,
    generation INTEGER NOT NULL DEFAULT 0,        -- meta candidates_generation of its last extraction
    first_generation INTEGER NOT NULL DEFAULT 0,  -- ... and of its first one
    pdf_title TEXT NOT NULL DEFAULT '',           -- the PDF's own title (its /Title or page 1), see extract.pdfmeta
    benchmarks_named TEXT,     -- registry benchmarks the paper's text names, comma-separated (NULL: not recorded)
    PRIMARY KEY (arxiv_id, version)
);

-- candidate facts; replaced as a whole per paper version on re-extraction
CREATE TABLE IF NOT EXISTS candidates (
    candidate_id TEXT PRIMARY KEY,
    fact_key TEXT NOT NULL,
    arxiv_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    benchmark TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    field TEXT NOT NULL,
    value,                     -- REAL for numeric fields, TEXT for hardware
    unit TEXT NOT NULL DEFAULT '',
    raw TEXT NOT NULL DEFAULT '',
    page INTEGER NOT NULL DEFAULT 0,
    bbox TEXT,                 -- JSON [x0, top, x1, bottom]
    snippet TEXT NOT NULL DEFAULT '',
    rule TEXT NOT NULL DEFAULT '',
    confidence REAL NOT NULL DEFAULT 0,
    rank INTEGER NOT NULL DEFAULT 0,
    flags TEXT NOT NULL DEFAULT '',
    rule_version TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS candidates_paper ON candidates (arxiv_id, version, field);
CREATE INDEX IF NOT EXISTS candidates_fact ON candidates (fact_key);
-- the papers of one benchmark (the review's --benchmark lists, status): without it, a scan of every link
CREATE INDEX IF NOT EXISTS paper_benchmarks_benchmark ON paper_benchmarks (benchmark, arxiv_id);
"""


class StoreError(FlopmineError):
    """The store cannot be opened, read or written (damaged file, full disk, path too long …): one line
    saying what happened and what to do."""


# SQLite's unix VFS refuses paths longer than this (512 bytes, less room for the "-wal"/"-journal" names);
# measured: a 504-byte database path opens, a 506-byte one does not.
MAX_DB_PATH_BYTES = 504

# primary result codes (``sqlite3.Error.sqlite_errorcode & 0xff``) that are about the file, not the SQL
_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 8, 10, 11, 13, 14, 26


def store_problem(path: Path | str, error: sqlite3.Error) -> StoreError | None:
    """The ``StoreError`` for a SQLite error about the store file itself, or None for other errors (SQL
    mistakes, a missing table) that are the caller's to handle.

    >>> err = sqlite3.DatabaseError("file is not a database")
    >>> err.sqlite_errorcode = 26
    >>> print(store_problem("h/flopmine.sqlite", err))
    h/flopmine.sqlite is damaged or is not a flopmine store (file is not a database); move it aside or restore it from a backup, then run again
    """
    code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
    where = str(path)
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return StoreError(f"{where} is damaged or is not a flopmine store ({error}); move it aside or restore it "
                          "from a backup, then run again")
    if code == _SQLITE_FULL:
        return StoreError(f"the disk is full: cannot write {where}; free some space and run again "
                          "(everything stored before this is kept)")
    if code == _SQLITE_CANTOPEN:
        size = len(where.encode())
        if size > MAX_DB_PATH_BYTES:
            return StoreError(f"cannot open the store: its path is {size} bytes, longer than the {MAX_DB_PATH_BYTES} "
                              f"SQLite allows; use a shorter --home (or FLOPMINE_HOME): {where}")
        return StoreError(f"cannot open the store {where} ({error}); check that its folder exists and is writable")
    if code == _SQLITE_READONLY:
        return StoreError(f"{where} is read-only ({error}); check its permissions and those of its folder")
    if code == _SQLITE_IOERR:
        return StoreError(f"cannot read or write {where} ({error}); check the disk (full? removed?) and run again")
    return None


@contextlib.contextmanager
def translating_errors(path: Path | str) -> Iterator[None]:
    """Turn SQLite errors about the store file into ``StoreError``; others pass through."""
    try:
        yield
    except sqlite3.Error as e:
        problem = store_problem(path, e)
        if problem is None:
            raise
        raise problem from e


class _StoreCursor(sqlite3.Cursor):
    """A cursor whose file-level errors (a damaged page met while fetching rows) are ``StoreError``s."""

    def __next__(self) -> Any:
        with translating_errors(self.connection.store_path):  # type: ignore[attr-defined]
            return super().__next__()

    def fetchone(self) -> Any:
        with translating_errors(self.connection.store_path):  # type: ignore[attr-defined]
            return super().fetchone()

    def fetchmany(self, *args: Any, **kwargs: Any) -> list[Any]:
        with translating_errors(self.connection.store_path):  # type: ignore[attr-defined]
            return super().fetchmany(*args, **kwargs)

    def fetchall(self) -> list[Any]:
        with translating_errors(self.connection.store_path):  # type: ignore[attr-defined]
            return super().fetchall()


class StoreConnection(sqlite3.Connection):
    """A ``sqlite3.Connection`` whose errors about the file (damaged, disk full, unreadable) are ``StoreError``s
    wherever they happen: opening, a statement, fetching rows, or a commit."""

    store_path: str = ""

    def cursor(self, factory: Any = _StoreCursor) -> Any:  # type: ignore[override]
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:  # type: ignore[override]
        with translating_errors(self.store_path):
            return super().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Any:  # type: ignore[override]
        with translating_errors(self.store_path):
            return super().executemany(sql, parameters)

    def executescript(self, script: str, /) -> Any:  # type: ignore[override]
        with translating_errors(self.store_path):
            return super().executescript(script)

    def commit(self) -> None:
        with translating_errors(self.store_path):
            super().commit()

    def __exit__(self, *exc: Any) -> Any:
        with translating_errors(self.store_path):
            return super().__exit__(*exc)


def now_iso() -> str:
    """Current UTC time, ISO 8601 with seconds: ``2026-11-27T16:07:10Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def connect(path: Path | str, *, timeout: float = 30.0) -> sqlite3.Connection:
    """Open (creating if needed) the store at ``path`` in WAL mode with the schema applied.

    ``":memory:"`` gives an in-memory store (tests).

    Errors about the file (damaged, not a database, disk full, path too long, read-only) are ``StoreError``
    with one line saying what to do, here and on every later statement of the connection.
    """
    if str(path) != ":memory:":
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the folder of the store {path}: {e.strerror}; "
                             "choose another --home (or FLOPMINE_HOME)") from e
    with translating_errors(path):
        conn = sqlite3.connect(str(path), timeout=timeout, isolation_level="DEFERRED", factory=StoreConnection)
    assert isinstance(conn, StoreConnection)
    conn.store_path = str(path)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        if str(path) != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        with conn:
            conn.executescript(SCHEMA)
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                         (str(SCHEMA_VERSION),))
        _add_missing_columns(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def connect_readonly(path: Path | str) -> sqlite3.Connection:
    """Open an existing store read-only (no schema changes, no lock on writers), with ``connect``'s errors."""
    with translating_errors(path):
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, factory=StoreConnection)
    assert isinstance(conn, StoreConnection)
    conn.store_path = str(path)
    conn.row_factory = sqlite3.Row
    return conn


# Columns added after a table was first released: (table, column, declaration). A store made by an older
# version gets them on open.
_ADDED_COLUMNS = (("pdfs", "next_attempt", "TEXT"),
                  ("extractions", "generation", "INTEGER NOT NULL DEFAULT 0"),
                  ("extractions", "first_generation", "INTEGER NOT NULL DEFAULT 0"),
                  ("extractions", "pdf_title", "TEXT NOT NULL DEFAULT ''"),
                  ("extractions", "benchmarks_named", "TEXT"))


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    for table, column, declaration in _ADDED_COLUMNS:
        if column in {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}:
            continue
        try:
            with conn:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
        except sqlite3.OperationalError as e:  # another process added it first
            if "duplicate column" not in str(e):
                raise
    with conn:
        conn.execute("CREATE INDEX IF NOT EXISTS extractions_generation ON extractions (generation)")


# ---------------------------------------------------------------- papers


def upsert_paper(conn: sqlite3.Connection, paper: Paper) -> bool:
    """Record a paper version and its benchmarks. Returns True when this id+version is new."""
    year, month = paper.year_month
    cur = conn.execute(
        """INSERT OR IGNORE INTO papers (arxiv_id, version, title, authors, abstract, categories,
               primary_category, published, updated, year, month, pdf_url, first_seen)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (paper.arxiv_id, paper.version, paper.title, json.dumps(list(paper.authors)), paper.abstract,
         json.dumps(list(paper.categories)), paper.primary_category, paper.published, paper.updated,
         year, month, paper.pdf_url, now_iso()),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO paper_benchmarks (arxiv_id, benchmark) VALUES (?, ?)",
        [(paper.arxiv_id, b) for b in paper.benchmarks],
    )
    return cur.rowcount == 1


def get_paper(conn: sqlite3.Connection, arxiv_id: str, version: int | None = None) -> Paper | None:
    """The given version of a paper, or its newest version when ``version`` is None."""
    if version is None:
        row = conn.execute("SELECT * FROM papers WHERE arxiv_id = ? ORDER BY version DESC LIMIT 1",
                           (arxiv_id,)).fetchone()
    else:
        row = conn.execute("SELECT * FROM papers WHERE arxiv_id = ? AND version = ?", (arxiv_id, version)).fetchone()
    if row is None:
        return None
    benches = [r[0] for r in conn.execute(
        "SELECT benchmark FROM paper_benchmarks WHERE arxiv_id = ? ORDER BY benchmark", (arxiv_id,))]
    d = dict(row)
    d["benchmarks"] = json.dumps(benches)
    return Paper.from_row(d)


def paper_titles(conn: sqlite3.Connection, arxiv_ids: Iterable[str]) -> dict[str, str]:
    """Each paper's title: arXiv's (``papers``, newest version) when harvested, else the title read from its
    PDF at extraction (``extractions.pdf_title``, newest version that has one). Papers with neither are left out."""
    out: dict[str, str] = {}
    ids = sorted(set(arxiv_ids))
    for i in range(0, len(ids), 500):  # well under SQLite's limit on bound variables
        chunk = ids[i:i + 500]
        marks = ", ".join("?" * len(chunk))
        for sql in (f"SELECT arxiv_id, title FROM papers WHERE arxiv_id IN ({marks}) AND title != '' "
                    "ORDER BY arxiv_id, version",
                    f"SELECT arxiv_id, pdf_title FROM extractions WHERE arxiv_id IN ({marks}) AND pdf_title != '' "
                    "ORDER BY arxiv_id, version"):
            found: dict[str, str] = {}
            for r in conn.execute(sql, chunk):
                found[r[0]] = r[1]  # ordered by version: the newest wins
            for aid, title in found.items():
                out.setdefault(aid, title)
    return out


def paper_benchmarks(conn: sqlite3.Connection, arxiv_id: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT benchmark FROM paper_benchmarks WHERE arxiv_id = ? ORDER BY benchmark", (arxiv_id,))]


# ---------------------------------------------------------------- candidates


def replace_candidates(conn: sqlite3.Connection, arxiv_id: str, version: int,
                       candidates: Iterable[Candidate], *, extraction: dict[str, object]) -> int:
    """Replace one paper version's candidates and its extraction row in one transaction.

    ``extraction`` holds the ``extractions`` columns (status, reason, pages, seconds, rule_version,
    source_path, pdf_title, benchmarks_named: a collection of names or None). Decisions are stored elsewhere and are never touched here. A ``pdf_title`` of
    "" keeps the one recorded before (a failed re-extraction does not forget the title).
    """
    rows = [c.to_row() for c in candidates]
    cols = ("candidate_id", "fact_key", "arxiv_id", "version", "benchmark", "model", "field", "value", "unit",
            "raw", "page", "bbox", "snippet", "rule", "confidence", "rank", "flags", "rule_version")
    with conn:
        conn.execute("DELETE FROM candidates WHERE arxiv_id = ? AND version = ?", (arxiv_id, version))
        conn.executemany(
            f"INSERT OR REPLACE INTO candidates ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [tuple(r[c] for c in cols) for r in rows],
        )
        generation = _next_generation(conn)
        conn.execute(
            """INSERT INTO extractions (arxiv_id, version, source_path, rule_version, status, reason, pages,
                   seconds, extracted_at, generation, first_generation, pdf_title, benchmarks_named)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (arxiv_id, version) DO UPDATE SET source_path = excluded.source_path,
                   rule_version = excluded.rule_version, status = excluded.status, reason = excluded.reason,
                   pages = excluded.pages, seconds = excluded.seconds, extracted_at = excluded.extracted_at,
                   generation = excluded.generation, benchmarks_named = excluded.benchmarks_named,
                   pdf_title = CASE WHEN excluded.pdf_title != '' THEN excluded.pdf_title ELSE pdf_title END""",
            (arxiv_id, version, str(extraction.get("source_path", "")), str(extraction["rule_version"]),
             str(extraction["status"]), str(extraction.get("reason", "")), int(extraction.get("pages", 0)),  # type: ignore[call-overload]
             float(extraction.get("seconds", 0.0)), now_iso(), generation, generation,  # type: ignore[arg-type]
             str(extraction.get("pdf_title", "")), _named(extraction.get("benchmarks_named"))),
        )
    return len(rows)


def _named(benchmarks: object) -> str | None:
    """``benchmarks_named`` as stored: None (not recorded) or the names joined by commas."""
    if benchmarks is None:
        return None
    return ",".join(sorted(str(b) for b in benchmarks))  # type: ignore[attr-defined]


def benchmarks_named(conn: sqlite3.Connection, arxiv_id: str, version: int) -> frozenset[str] | None:
    """The registry benchmarks a paper version's text names, as recorded at extraction (None: not recorded,
    e.g. extracted by an older flopmine)."""
    row = conn.execute("SELECT benchmarks_named FROM extractions WHERE arxiv_id = ? AND version = ?",
                       (arxiv_id, version)).fetchone()
    if row is None or row[0] is None:
        return None
    return frozenset(b for b in row[0].split(",") if b)


# A counter bumped by every ``replace_candidates``: what changed since a queue was written is what has a
# higher ``extractions.generation`` (indexed), without reading the whole store.
_GENERATION_KEY = "candidates_generation"


def _next_generation(conn: sqlite3.Connection) -> int:
    conn.execute("INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE SET "
                 "value = CAST(value AS INTEGER) + 1", (_GENERATION_KEY,))
    return candidates_generation(conn)


def candidates_generation(conn: sqlite3.Connection) -> int:
    """How many times any paper's candidates were replaced (0 for a store never extracted into)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_GENERATION_KEY,)).fetchone()
    return int(row[0]) if row else 0


def extracted_since(conn: sqlite3.Connection, generation: int) -> list[tuple[str, int, bool]]:
    """(arxiv_id, version, first extraction?) of every paper version whose candidates were replaced after
    ``generation``; "first extraction" is True when it had never been extracted at or before ``generation``."""
    return [(r[0], int(r[1]), int(r[2]) > generation) for r in conn.execute(
        "SELECT arxiv_id, version, first_generation FROM extractions WHERE generation > ? "
        "ORDER BY arxiv_id, version", (generation,))]


def iter_candidates(conn: sqlite3.Connection) -> Iterator[Candidate]:
    """Every candidate in the store, streamed (one row in memory at a time), ordered as ``candidates_for``."""
    for row in conn.execute("SELECT * FROM candidates ORDER BY arxiv_id, version, field, rank, confidence DESC"):
        yield Candidate.from_row(row)


def candidates_for(conn: sqlite3.Connection, arxiv_id: str | None = None, version: int | None = None,
                   benchmark: str | None = None) -> list[Candidate]:
    """Candidates, ordered by paper, field and rank (best first)."""
    sql = "SELECT * FROM candidates WHERE 1=1"
    args: list[object] = []
    if arxiv_id is not None:
        sql += " AND arxiv_id = ?"
        args.append(arxiv_id)
    if version is not None:
        sql += " AND version = ?"
        args.append(version)
    if benchmark is not None:
        sql += " AND (benchmark = ? OR benchmark = '')"
        args.append(benchmark)
    sql += " ORDER BY arxiv_id, version, field, rank, confidence DESC"
    return [Candidate.from_row(r) for r in conn.execute(sql, args)]
