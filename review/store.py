"""Review tables in the SQLite store: a cache of the annotations directory, and candidate look-ups.

The annotations directory is the source of truth; ``review_decisions`` mirrors its decisions so
that status and export can join them with candidates. ``sync`` rebuilds the mirror whenever the
files changed (or the store was deleted and rebuilt), so nothing is lost when the store goes.

Decisions attach to candidates of the newest extracted version of each paper: by candidate id,
else by fact key (the same fact in a new paper version carries the decision over). A decision
that attaches to no candidate is *orphaned*: kept, reported, and still a fact in annotations/.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flopmine.benchmarks import load_registry
from flopmine.config import Home
from flopmine.errors import ConfigError
from flopmine.store import candidates_generation, extracted_since
from flopmine.types import Candidate

from .annotations import LEGACY, file_stamps, load_ledger, paper_month, recover, review_lock
from .decision import ADD, LEDGER_COLUMNS, Decision
from .renames import RENAMES_FILE, Rename, Renames, load_renames

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS review_decisions (
    key TEXT PRIMARY KEY,            -- candidate_id, or add:<fact_key>
    {columns}
);
CREATE INDEX IF NOT EXISTS review_decisions_candidate ON review_decisions (candidate_id);
CREATE INDEX IF NOT EXISTS review_decisions_fact ON review_decisions (fact_key);
CREATE INDEX IF NOT EXISTS review_decisions_paper ON review_decisions (arxiv_id, decision);  -- added facts per paper
CREATE TABLE IF NOT EXISTS review_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS review_renames (  -- a cache of annotations/decisions/renames.csv
    arxiv_id TEXT NOT NULL, old_norm TEXT NOT NULL, old_model TEXT NOT NULL, new_model TEXT NOT NULL,
    reviewer TEXT NOT NULL DEFAULT '', decided_at TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '', PRIMARY KEY (arxiv_id, old_norm)
);
CREATE TABLE IF NOT EXISTS review_open (  -- paper versions with a candidate that may be pending (MAYBE_OPEN)
    arxiv_id TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (arxiv_id, version)
) WITHOUT ROWID;
""".format(columns=",\n    ".join(f"{c} TEXT NOT NULL DEFAULT ''" for c in LEDGER_COLUMNS))


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the review tables if they are missing (idempotent)."""
    with conn:
        conn.executescript(SCHEMA)
        have = {r[1] for r in conn.execute("PRAGMA table_info(review_decisions)")}
        if not set(LEDGER_COLUMNS) <= have:  # a cache from an older flopmine: rebuilt from annotations/
            conn.execute("DROP TABLE review_decisions")
            conn.execute("DELETE FROM review_meta")
            conn.executescript(SCHEMA)


def annotations_fingerprint(home: Home) -> str:
    """A cheap fingerprint of the annotation files (name, size, mtime, inode): per month, a digest of its
    files' stamps (``LEGACY``: the files of the older layout), so a stale cache sees which months changed."""
    directory = home.annotations_dir
    return json.dumps({"directory": str(directory), "months": {
        m: hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]
        for m, parts in sorted(file_stamps(directory).items())}})


def _changed_months(old: str | None, new: str) -> set[str] | None:
    """The months whose files differ between two fingerprints; None when everything must be read again
    (no fingerprint yet or one of an older flopmine, another directory, a legacy file on either side)."""
    try:
        before, after = json.loads(old or ""), json.loads(new)
        was, now = dict(before["months"]), dict(after["months"])
    except (ValueError, TypeError, KeyError):
        return None
    if before.get("directory") != after["directory"] or LEGACY in was or LEGACY in now:
        return None
    return {m for m in was.keys() | now.keys() if was.get(m) != now.get(m)}


def refresh(conn: sqlite3.Connection, home: Home, *, force: bool = False) -> bool:
    """Finish any interrupted import and bring the decision cache up to date if annotations/ changed:
    only the months whose files changed are read again (all of them for a folder of the older layout).

    Returns True when the cache was rebuilt. Raises ``ReviewError`` when an annotation file is malformed.
    """
    ensure_schema(conn)
    with review_lock(home):
        recover(home.annotations_dir)
        refresh_renames(conn, home, force=force)
        fp = annotations_fingerprint(home)
        before = _meta(conn, "fingerprint")
        if not force and before == fp:
            return False
        months = None if force else _changed_months(before, fp)
        if months is not None:
            changed = list(load_ledger(home.annotations_dir, months).decisions.values())
            if all(paper_month(d.arxiv_id) in months for d in changed):  # else a row filed under another month
                cached = _cached_rows_of_months(conn, months)
                rows = {d.key: _cache_row(d) for d in changed}
                drop = [k for k in cached if k not in rows]
                add = [d for d in changed if cached.get(d.key) != rows[d.key]]  # new or changed only
                update_cache(conn, home, drop, add, fingerprint=fp)
                log.debug("review cache: %d month(s) read again, %d decisions, %d changed", len(months),
                          len(changed), len(drop) + len(add))
                return True
        decisions = list(load_ledger(home.annotations_dir).decisions.values())
        cols = ("key", *LEDGER_COLUMNS)
        with conn:
            _begin_write(conn)
            conn.execute("DELETE FROM review_decisions")
            conn.executemany(
                f"INSERT INTO review_decisions ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                [_cache_row(d) for d in decisions],
            )
            _set_meta(conn, fingerprint=fp)
            _rebuild_open(conn)
        log.debug("review cache rebuilt: %d decisions", len(decisions))
        return True


def _cached_rows_of_months(conn: sqlite3.Connection, months: set[str]) -> dict[str, tuple[str, ...]]:
    """The cached rows (``_cache_row``) of the papers of these months, by key. SQL keeps the rows whose id starts
    with one of the months, or may have another form (old-style, or not starting with four digits); ``paper_month``
    decides on those."""
    marks = ", ".join("?" * len(months))
    cols = ", ".join(("key", *LEDGER_COLUMNS))
    return {r[0]: tuple(r) for r in conn.execute(
        f"SELECT {cols} FROM review_decisions WHERE substr(arxiv_id, 1, 4) IN ({marks}) "
        "OR instr(arxiv_id, '/') > 0 OR arxiv_id NOT GLOB '[0-9][0-9][0-9][0-9]*'", sorted(months))
        if paper_month(r[1]) in months}


def _cache_row(d: Decision) -> tuple[str, ...]:
    """A decision as a row of ``review_decisions`` (its ledger row built once: building it hashes the fact
    key and formats the values, and it was built once per column, 20 s of a 22 s rebuild at 100,000 rows)."""
    row = d.to_row()
    return (d.key, *(str(row[c]) for c in LEDGER_COLUMNS))


def _renames_stamp(home: Home) -> str:
    path = home.annotations_dir / RENAMES_FILE
    try:
        st = path.stat()
    except OSError:
        return f"{path}:absent"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def refresh_renames(conn: sqlite3.Connection, home: Home, *, force: bool = False) -> None:
    """Reload the rename cache when renames.csv changed (its own stamp: a commit that writes it along
    with decisions, ``apply(also_write=…)``, updates the decisions' fingerprint but not this one)."""
    stamp = _renames_stamp(home)
    if not force and _meta(conn, "renames") == stamp:
        return
    store_renames(conn, home, load_renames(home.annotations_dir))


def store_renames(conn: sqlite3.Connection, home: Home, renames: Renames) -> None:
    """Mirror the rename records in the cache (the file already written)."""
    with conn:
        conn.execute("DELETE FROM review_renames")
        conn.executemany("INSERT OR REPLACE INTO review_renames VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         [(r.arxiv_id, key[1], r.old_model, r.new_model, r.reviewer, r.decided_at, r.note, r.source)
                          for key, r in renames.items()])
        _set_meta(conn, renames=_renames_stamp(home))


def added_facts(conn: sqlite3.Connection, arxiv_id: str) -> list[Decision]:
    """The facts reviewers added to a paper (any version), from the decision cache, in ledger order
    (``review_decisions_paper`` index: one paper's rows)."""
    rows = conn.execute("SELECT * FROM review_decisions WHERE decision = ? AND arxiv_id = ? ORDER BY key",
                        (ADD, arxiv_id))
    return [Decision.from_row(dict(r)) for r in rows]


def cached_renames(conn: sqlite3.Connection, arxiv_id: str | None = None) -> dict[tuple[str, str], Rename]:
    """The rename records in the cache (``refresh`` first), of one paper or of all."""
    ensure_schema(conn)
    sql, args = "SELECT * FROM review_renames", ()
    if arxiv_id is not None:
        sql, args = sql + " WHERE arxiv_id = ?", (arxiv_id,)
    return {(r["arxiv_id"], r["old_norm"]): Rename(r["arxiv_id"], r["old_model"], r["new_model"], r["reviewer"],
                                                   r["decided_at"], r["note"], r["source"])
            for r in conn.execute(sql, args)}


def sync(conn: sqlite3.Connection, home: Home, *, force: bool = False) -> list[Decision]:
    """``refresh`` the decision cache from annotations/, then return every decision.

    Raises ``ReviewError`` when an annotation file is malformed.
    """
    with review_lock(home):
        refresh(conn, home, force=force)
        return cached_decisions(conn)


def cached_decision(conn: sqlite3.Connection, key: str) -> Decision | None:
    """The cached decision with this key (a candidate id, or ``add:<fact_key>``), or None."""
    row = conn.execute("SELECT * FROM review_decisions WHERE key = ?", (key,)).fetchone()
    return Decision.from_row(dict(row)) if row is not None else None


def cached_by_fact(conn: sqlite3.Connection, fact_key: str) -> list[Decision]:
    """Cached decisions on candidates with this fact key (any paper version)."""
    rows = conn.execute("SELECT * FROM review_decisions WHERE fact_key = ? AND candidate_id != ''", (fact_key,))
    return [Decision.from_row(dict(r)) for r in rows]


def update_cache(conn: sqlite3.Connection, home: Home, drop: Iterable[str], add: Iterable[Decision], *,
                 fingerprint: str | None = None) -> None:
    """Mirror an applied change in the cache (files already written), without re-reading every file; the
    open papers (``review_open``) of the decisions it adds, replaces or drops are worked out again in the
    same transaction."""
    cols = ("key", *LEDGER_COLUMNS)
    drop, add = list(drop), list(add)
    fp = fingerprint if fingerprint is not None else annotations_fingerprint(home)
    with conn:
        _begin_write(conn)
        kept = _open_is_kept(conn)  # else the next look at the open papers rebuilds them all
        whole = kept and _whole_is_quicker(conn, len(drop) + len(add))
        touched: list[tuple[str, str]] = []
        if kept and not whole:
            touched = [(d.candidate_id, d.fact_key) for d in add]
            for key in [*drop, *(d.key for d in add)]:  # what the rows replaced or dropped said
                touched.extend(tuple(r) for r in conn.execute(
                    "SELECT candidate_id, fact_key FROM review_decisions WHERE key = ?", (key,)))
        conn.executemany("DELETE FROM review_decisions WHERE key = ?", [(k,) for k in drop])
        conn.executemany(
            f"INSERT OR REPLACE INTO review_decisions ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [_cache_row(d) for d in add],
        )
        _set_meta(conn, fingerprint=fp)
        if whole:
            _rebuild_open(conn)
        elif kept:
            _reopen(conn, _papers_of(conn, touched))
            _set_meta(conn, open_fingerprint=fp)


# ---------------------------------------------------------------- the open papers
#
# A candidate ``c`` *may be pending* when no decision attaches to it (by candidate id, or by fact key from
# any version of the paper) and no sibling of its field, benchmark and model (so of its fact slot, whatever
# the renames) holds an accept or a correct that does not retarget it. A superset of the pending candidates
# of the walk: one superseded by a retargeted or carried-over decision counts too. This is the one
# definition: ``review_open`` keeps the paper versions with such a candidate, and the reference walk
# (``next_maybe_open_by_walk``) applies it candidate by candidate.
MAYBE_OPEN = """
NOT EXISTS (SELECT 1 FROM review_decisions d WHERE d.candidate_id = c.candidate_id)
AND NOT EXISTS (SELECT 1 FROM review_decisions d WHERE d.fact_key = c.fact_key AND d.candidate_id != '')
AND NOT (c.model != '' AND EXISTS (
    SELECT 1 FROM candidates s JOIN review_decisions d ON d.candidate_id = s.candidate_id
    WHERE s.arxiv_id = c.arxiv_id AND s.version = c.version AND s.field = c.field
      AND s.benchmark = c.benchmark AND s.model = c.model
      AND (d.decision = 'accept' OR (d.decision = 'correct' AND d.corrected_model = ''
           AND d.corrected_benchmark = '' AND d.corrected_field = ''))))
"""

_PAPER_MAYBE_OPEN = f"SELECT 1 FROM candidates c WHERE c.arxiv_id = ? AND c.version = ? AND {MAYBE_OPEN} LIMIT 1"

# The reference walk: it steps over every candidate after the position along the ``candidates_paper`` index
# and probes the decisions for each (about 1 µs per decided candidate in between).
_WALK_MAYBE_OPEN = f"""
SELECT c.arxiv_id, c.version FROM candidates c
WHERE (c.arxiv_id, c.version) > (?, ?) AND {MAYBE_OPEN}
ORDER BY c.arxiv_id, c.version LIMIT 1
"""


def _begin_write(conn: sqlite3.Connection) -> None:
    """Take the store's write lock before the transaction reads anything: what it reads (candidates, decisions)
    is then what it commits over, whatever other processes write."""
    if not conn.in_transaction:
        conn.execute("BEGIN IMMEDIATE")


def _meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM review_meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _set_meta(conn: sqlite3.Connection, **values: str) -> None:
    """Record stamps in ``review_meta`` (in the caller's transaction)."""
    conn.executemany("INSERT OR REPLACE INTO review_meta (key, value) VALUES (?, ?)", list(values.items()))


def _open_is_kept(conn: sqlite3.Connection) -> bool:
    """Whether ``review_open`` reflects the decision cache as it is: stamped with the fingerprint that the last
    write of ``review_decisions`` recorded (both are written in one transaction, ``refresh`` and
    ``update_cache``). Not yet for a cache an older flopmine kept: then it is rebuilt on first use."""
    kept = _meta(conn, "open_fingerprint")
    return kept is not None and kept == _meta(conn, "fingerprint")


def _reopen(conn: sqlite3.Connection, papers: Iterable[tuple[str, int]]) -> None:
    """Work out again whether each of these paper versions may hold a pending candidate (in the caller's write
    transaction); reads only their candidates and the decisions those can attach to."""
    for aid, version in sorted(set(papers)):
        if conn.execute(_PAPER_MAYBE_OPEN, (aid, version)).fetchone() is not None:
            conn.execute("INSERT OR IGNORE INTO review_open (arxiv_id, version) VALUES (?, ?)", (aid, version))
        else:
            conn.execute("DELETE FROM review_open WHERE arxiv_id = ? AND version = ?", (aid, version))


def _papers_of(conn: sqlite3.Connection, decided: Iterable[tuple[str, str]]) -> set[tuple[str, int]]:
    """The paper versions whose open state reads a decision on ``(candidate id, fact key)``: the paper of
    that candidate (its own test and its siblings') and of every candidate with that fact key."""
    out: set[tuple[str, int]] = set()
    for cid, fact in set(decided):
        out.update((r[0], int(r[1])) for r in conn.execute(
            "SELECT arxiv_id, version FROM candidates WHERE candidate_id = ? "
            "UNION SELECT arxiv_id, version FROM candidates WHERE fact_key = ?", (cid, fact)))
    return out


# Looking up the papers of one decision takes about 45 µs (reading what it replaced, two index probes); rebuilding
# the whole set about 1.2 µs per candidate (0.12 s at 100,000; both measured at load 4). A change of more than one
# decision per this many candidates (a large import) rebuilds the set instead: 5.4 s against 0.12 s for 100,000.
CANDIDATES_PER_LOOKUP = 40


def _whole_is_quicker(conn: sqlite3.Connection, changed: int) -> bool:
    """Whether rebuilding ``review_open`` is quicker than working out the papers of ``changed`` decisions."""
    bound = conn.execute("SELECT MAX(rowid) FROM candidates").fetchone()[0] or 0  # at least their number
    return changed * CANDIDATES_PER_LOOKUP > bound


def _rebuild_open(conn: sqlite3.Connection) -> None:
    """``review_open`` from every candidate (in the caller's write transaction, after the decision cache was
    written), stamped with that cache's fingerprint and the candidates' generation."""
    conn.execute("DELETE FROM review_open")
    conn.execute(f"""INSERT INTO review_open (arxiv_id, version)
        SELECT p.arxiv_id, p.version FROM (SELECT DISTINCT arxiv_id, version FROM candidates) p
        WHERE EXISTS (SELECT 1 FROM candidates c WHERE c.arxiv_id = p.arxiv_id AND c.version = p.version
                      AND {MAYBE_OPEN})""")
    _set_meta(conn, open_fingerprint=_meta(conn, "fingerprint") or "",
              open_generation=str(candidates_generation(conn)))


def _open_lags(conn: sqlite3.Connection) -> bool:
    kept = _meta(conn, "open_generation")
    return not _open_is_kept(conn) or kept is None or int(kept) != candidates_generation(conn)


def catch_up_open(conn: sqlite3.Connection) -> None:
    """Bring ``review_open`` up to date with the candidates and the decision cache (``refresh`` first): the
    paper versions re-extracted since it was kept (each extraction bumps the candidates' generation) are
    worked out again; a set not stamped with the cache's fingerprint, or a generation gone back (a store
    restored), is rebuilt whole. Three look-ups when nothing changed."""
    if not _open_lags(conn):
        return
    with conn:
        _begin_write(conn)
        if not _open_lags(conn):  # another connection caught up meanwhile
            return
        kept = int(_meta(conn, "open_generation") or -1)
        if not _open_is_kept(conn) or kept < 0 or kept > candidates_generation(conn):
            _rebuild_open(conn)
            return
        _reopen(conn, [(aid, version) for aid, version, _first in extracted_since(conn, kept)])
        _set_meta(conn, open_generation=str(candidates_generation(conn)))


def next_maybe_open(conn: sqlite3.Connection, after: tuple[str, int] | None) -> tuple[str, int] | None:
    """The first paper version after ``after`` (None: from the start), in (arxiv id, version) order, that may
    hold a pending candidate (``MAYBE_OPEN``), or None (``refresh`` first). One seek in ``review_open``:
    closed papers are skipped without reading their candidates."""
    catch_up_open(conn)
    aid, version = after if after is not None else ("", -1)
    row = conn.execute("SELECT arxiv_id, version FROM review_open WHERE (arxiv_id, version) > (?, ?) "
                       "ORDER BY arxiv_id, version LIMIT 1", (aid, version)).fetchone()
    return (row[0], int(row[1])) if row is not None else None


def next_maybe_open_by_walk(conn: sqlite3.Connection, after: tuple[str, int] | None) -> tuple[str, int] | None:
    """``next_maybe_open`` the slow way, reading the candidates after ``after`` one by one (no kept state):
    the reference the tests hold ``next_maybe_open`` to."""
    aid, version = after if after is not None else ("", -1)
    row = conn.execute(_WALK_MAYBE_OPEN, (aid, version)).fetchone()
    return (row[0], int(row[1])) if row is not None else None


def cached_decisions(conn: sqlite3.Connection) -> list[Decision]:
    """The decisions in the cache (call ``sync`` first)."""
    ensure_schema(conn)
    return [Decision.from_row(dict(r)) for r in conn.execute("SELECT * FROM review_decisions ORDER BY key")]


# ---------------------------------------------------------------- candidates


def active_versions(conn: sqlite3.Connection) -> dict[str, int]:
    """The newest extracted version of each paper: ``{arxiv_id: version}``.

    A version counts when its extraction succeeded (even with no candidates) or when it has
    candidates; a failed extraction of a new version leaves the older candidates in place.
    """
    ok: dict[str, int] = {}
    failed: set[tuple[str, int]] = set()
    for r in conn.execute("SELECT arxiv_id, version, status FROM extractions"):
        if r["status"] == "ok":
            ok[r["arxiv_id"]] = max(ok.get(r["arxiv_id"], 0), r["version"])
        else:
            failed.add((r["arxiv_id"], r["version"]))
    for r in conn.execute("SELECT DISTINCT arxiv_id, version FROM candidates"):
        if (r["arxiv_id"], r["version"]) not in failed:
            ok[r["arxiv_id"]] = max(ok.get(r["arxiv_id"], 0), r["version"])
    return ok


def active_candidates(conn: sqlite3.Connection, benchmark: str | None = None) -> list[Candidate]:
    """Candidates of each paper's newest extracted version, by paper, field, rank (unranked last).

    ``benchmark`` keeps that benchmark's candidates plus paper-level ones of papers in it.
    """
    versions = active_versions(conn)
    rows = conn.execute("SELECT * FROM candidates").fetchall()
    out = [Candidate.from_row(r) for r in rows if versions.get(r["arxiv_id"]) == r["version"]]
    if benchmark is not None:
        papers = {c.arxiv_id for c in out if c.benchmark == benchmark}
        papers |= {r[0] for r in conn.execute("SELECT arxiv_id FROM paper_benchmarks WHERE benchmark = ?",
                                               (benchmark,))}
        out = [c for c in out if c.benchmark == benchmark or (not c.benchmark and c.arxiv_id in papers)]
    return sorted(out, key=candidate_order)


def candidate_order(c: Candidate) -> tuple[object, ...]:
    """Grouped by paper then field, the top-ranked candidate first (rank 0 = unranked, last)."""
    return (c.arxiv_id, c.version, c.benchmark, c.field, c.rank if c.rank > 0 else 1 << 30,
            -c.confidence, c.model.lower(), c.candidate_id)


def find_candidate(conn: sqlite3.Connection, candidate_id: str) -> Candidate | None:
    """A candidate of any version by id, or None."""
    row = conn.execute("SELECT * FROM candidates WHERE candidate_id = ?", (candidate_id,)).fetchone()
    return Candidate.from_row(row) if row is not None else None


def known_benchmarks(conn: sqlite3.Connection) -> set[str]:
    """Benchmarks that occur in the store (candidates or harvested papers)."""
    names = {r[0] for r in conn.execute("SELECT DISTINCT benchmark FROM candidates WHERE benchmark != ''")}
    names |= {r[0] for r in conn.execute("SELECT DISTINCT benchmark FROM paper_benchmarks")}
    return names


def benchmark_names(conn: sqlite3.Connection | None) -> dict[str, str]:
    """Every benchmark name a reviewer may write, lower-cased, to its canonical name: the registry's
    names and aliases, then the benchmarks in the store (``conn``, when given)."""
    names: dict[str, str] = {}
    try:
        for b in load_registry().values():
            names[b.name.lower()] = b.name
            for a in b.aliases:
                names.setdefault(a.lower(), b.name)
    except ConfigError as e:  # a broken registry must not block reviewing
        log.warning("benchmark registry unavailable: %s", e)
    if conn is not None:
        for name in known_benchmarks(conn):
            names.setdefault(name.lower(), name)
    return names


def resolve_benchmark(home: Home, name: str) -> str:
    """The canonical name of benchmark ``name`` (any case, or an alias); ``ConfigError`` listing the
    known names otherwise. Reads the home's store when there is one (never creates it).

    >>> # resolve_benchmark(home, "ImageNet") -> "imagenet"; resolve_benchmark(home, "imagenett") raises
    """
    conn: sqlite3.Connection | None = None
    if home.db_path.is_file():
        from flopmine.store import connect

        conn = connect(home.db_path)
    try:
        names = benchmark_names(conn)
    finally:
        if conn is not None:
            conn.close()
    found = names.get(name.strip().lower())
    if found is None:
        raise ConfigError(f"unknown benchmark {name!r}; known: {', '.join(sorted(set(names.values())))}")
    return found


def newest_version(conn: sqlite3.Connection, arxiv_id: str) -> int | None:
    """The newest version of a paper known to the store (papers or candidates), or None."""
    row = conn.execute(
        "SELECT MAX(v) FROM (SELECT MAX(version) v FROM papers WHERE arxiv_id = ? "
        "UNION ALL SELECT MAX(version) FROM candidates WHERE arxiv_id = ?)", (arxiv_id, arxiv_id)).fetchone()
    return int(row[0]) if row and row[0] is not None else None


# ---------------------------------------------------------------- attaching decisions


@dataclass(frozen=True)
class Attached:
    """An active candidate and the decision that applies to it (None: pending)."""

    candidate: Candidate
    decision: Decision | None
    carried_over: bool = False  # decided on another version of the paper, matched by fact key


@dataclass(frozen=True)
class Orphan:
    """A decision whose candidate is no longer extracted. It is kept (and so is its fact)."""

    decision: Decision
    reason: str


def attach(candidates: Sequence[Candidate], decisions: Iterable[Decision],
           versions: dict[str, int] | None = None) -> tuple[list[Attached], list[Orphan]]:
    """Match decisions to candidates: by candidate id, else by fact key. Returns (attached, orphans).

    ``versions`` (``active_versions``) only sharpens the orphans' reasons.
    """
    decisions = list(decisions)
    by_id = {d.candidate_id: d for d in decisions if d.candidate_id}
    by_fact: dict[str, Decision] = {}
    for d in sorted((d for d in decisions if d.candidate_id), key=lambda d: (d.decided_at, d.version)):
        by_fact[d.fact_key] = d  # the latest decision about a fact wins
    used: set[str] = set()
    attached: list[Attached] = []
    for c in candidates:
        d = by_id.get(c.candidate_id)
        carried = False
        if d is None:
            d = by_fact.get(c.fact_key)
            carried = d is not None
        if d is not None:
            used.add(d.key)
        attached.append(Attached(c, d, carried))
    versions = versions or {}
    orphans: list[Orphan] = []
    for d in decisions:
        if not d.candidate_id or d.key in used:
            continue
        newest = versions.get(d.arxiv_id)
        if newest is None:
            reason = "paper not extracted (yet)"
        elif newest != d.version:
            reason = f"paper re-extracted as v{newest}; this fact is not among its candidates"
        else:
            reason = "candidate no longer extracted (rules changed)"
        orphans.append(Orphan(d, reason))
    orphans.sort(key=lambda o: (o.decision.arxiv_id, o.decision.version, o.decision.field, o.decision.key))
    return attached, orphans
