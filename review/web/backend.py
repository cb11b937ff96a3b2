"""The one place the web layer touches decisions: everything goes through the ``review`` library.

A decision made in the browser becomes one row ``{candidate_id, decision, corrected_value, note,
reviewer}`` that ``review.validate.validate_rows`` checks exactly as it checks a row of a reviewer
CSV given to ``flopmine review import``, and ``review.apply.apply`` stores it (annotations files
first, fsynced, then the store cache) before the HTTP response is sent.

Undo (``withdraw``) puts the annotations back as they were before one web decision: the
decision's ledger entry and fact row go, and whatever that decision had replaced (an earlier
decision on the same candidate, or on the same fact in an older paper version) comes back; what it
replaced is kept in ``decisions/history.csv``, so this also works after a server restart. It uses
the library's own transaction (``review_lock`` → ``commit_files``), so a crash leaves all or none.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from flopmine.config import Home
from flopmine.errors import ReviewError
from flopmine.store import candidates_generation
from flopmine.types import Candidate

from ..annotations import (
    commit_files,
    decision_files,
    delete_replaced_in_background,
    load_history,
    review_lock,
    split_legacy,
    warm_rows,
)
from ..apply import apply
from ..decision import Decision
from ..offer import is_offered, stored_paper_benchmarks
from ..renames import Renames
from ..slots import SUPERSEDED, SlotKey, build_slots
from ..store import (
    Attached,
    active_candidates,
    added_facts,
    annotations_fingerprint,
    attach,
    cached_decision,
    cached_decisions,
    cached_renames,
    candidate_order,
    known_benchmarks,
    next_maybe_open,
    refresh,
    sync,
    update_cache,
)
from ..validate import validate_rows

log = logging.getLogger(__name__)

SOURCE = "web"

__all__ = ["Recorded", "annotations_fingerprint", "candidate_paper_versions", "decide", "few_candidates",
           "free_replaced_files_later", "known_benchmarks", "latest_web_decision", "locate", "locked",
           "newest_versions", "next_maybe_open", "paper_scope", "papers", "record", "scope", "scope_by_paper",
           "store_generation", "validate", "warm", "withdraw"]


@dataclass(frozen=True)
class Recorded:
    """What one web decision changed, kept by the session for undo."""

    decision: Decision  # as written (with decided_at)
    replaced: tuple[Decision, ...]  # decisions it removed from the ledger (same key or same fact)


def locked(home: Home) -> contextlib.AbstractContextManager[None]:
    """Hold the review library's lock (re-entrant in this process) across a read-check-write."""
    return review_lock(home)


def store_generation(conn: sqlite3.Connection) -> tuple[object, ...]:
    """A cheap value that changes whenever candidates, extractions or benchmark links change.

    Every write of candidates (``store.replace_candidates``) bumps the store's candidates generation and
    replaces the paper's extraction row, which moves the extraction rows' count, newest ``extracted_at``
    or rowid sum. Nothing here reads a candidate row: counting them took a scan of the table (tens of
    milliseconds per page and decision at a million candidates).
    """
    newest = conn.execute("SELECT MAX(rowid) FROM candidates").fetchone()  # the rowid index's last entry
    extr = conn.execute("SELECT COUNT(*), MAX(extracted_at), TOTAL(rowid) FROM extractions").fetchone()
    links = conn.execute("SELECT COUNT(*) FROM paper_benchmarks").fetchone()
    return (candidates_generation(conn), newest[0], *tuple(extr), links[0])


def few_candidates(conn: sqlite3.Connection, limit: int) -> bool:
    """Whether the store surely holds at most ``limit`` candidates: their largest rowid is at most that
    (rowids are distinct positive integers, so it bounds their number; one index entry read)."""
    row = conn.execute("SELECT MAX(rowid) FROM candidates").fetchone()
    return int(row[0] or 0) <= limit


def scope(conn: sqlite3.Connection, home: Home, benchmark: str | None) -> list[tuple[Candidate, str, SlotKey]]:
    """The candidates under review (newest version of each paper, slot by slot as the export orders
    them; those the export offers, ``offer.not_offered_reason``) and each one's decision ("" = pending;
    a decision carried over from another version counts; ``superseded`` when a sibling in its fact slot
    was accepted or corrected, or a fact was added for its model)."""
    refresh(conn, home)  # under the review lock only when the files changed (then it rebuilds the cache)
    decisions = cached_decisions(conn)  # read outside the lock: a decision meanwhile waits for no bulk read
    attached, _orphans = attach(active_candidates(conn, benchmark), decisions)
    the_papers: dict[tuple[str, int], frozenset[str] | None] = {}
    for a in attached:
        key = (a.candidate.arxiv_id, a.candidate.version)
        if key not in the_papers:
            the_papers[key] = stored_paper_benchmarks(conn, *key)
    offered = [a for a in attached if is_offered(a, the_papers[(a.candidate.arxiv_id, a.candidate.version)])]
    return _states(offered, cached_renames(conn), decisions)


def _states(attached: list[Attached], renames: Renames | None = None,
            added: Sequence[Decision] = ()) -> list[tuple[Candidate, str, SlotKey]]:
    """Each candidate's state in its fact slot, and the slot (after the paper's model renames and retargets,
    so the browser lists a renamed candidate with the others of its new slot; a fact ``added`` for the
    slot's model settles it)."""
    out: list[tuple[Candidate, str, SlotKey]] = []
    for s in build_slots(attached, renames, added):
        for a in s.members:
            state = s.state(a)
            out.append((a.candidate, a.decision.decision if a.decision else (SUPERSEDED if state == SUPERSEDED else ""),
                        s.key))
    return out


def scope_by_paper(conn: sqlite3.Connection, home: Home,
                   benchmark: str | None) -> dict[tuple[str, int], list[tuple[Candidate, str, SlotKey]]]:
    """``scope`` split by paper version (one bulk read: what the background fill of the walk uses)."""
    out: dict[tuple[str, int], list[tuple[Candidate, str, SlotKey]]] = {}
    for item in scope(conn, home, benchmark):
        out.setdefault((item[0].arxiv_id, item[0].version), []).append(item)
    return out


# Each distinct (arxiv id, version) of the candidates, by skipping through the ``candidates_paper`` index: the
# next id is the least one above the last (one seek), and each id's versions likewise, so no candidate row
# is read. (``SELECT DISTINCT`` read every candidate; a row-value ``(arxiv_id, version) > (?, ?)`` seeks on
# the id only and then steps over the paper's candidates: 0.8 s at 5,000 papers.)
_PAPER_VERSIONS = """
WITH RECURSIVE ids(a) AS (
    SELECT MIN(arxiv_id) FROM candidates
    UNION ALL
    SELECT (SELECT MIN(c.arxiv_id) FROM candidates c WHERE c.arxiv_id > ids.a) FROM ids WHERE ids.a IS NOT NULL
), versions(a, v) AS (
    SELECT a, (SELECT MIN(c.version) FROM candidates c WHERE c.arxiv_id = ids.a) FROM ids WHERE a IS NOT NULL
    UNION ALL
    SELECT versions.a, (SELECT MIN(c.version) FROM candidates c WHERE c.arxiv_id = versions.a
                        AND c.version > versions.v) FROM versions WHERE versions.v IS NOT NULL
)
SELECT a, v FROM versions WHERE v IS NOT NULL ORDER BY a, v
"""


def candidate_paper_versions(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """Every paper version that has candidates, in (arxiv id, version) order, one index seek each."""
    return [(r[0], int(r[1])) for r in conn.execute(_PAPER_VERSIONS)]


def newest_versions(conn: sqlite3.Connection,
                    with_candidates: list[tuple[str, int]] | None = None) -> dict[str, int]:
    """``review.store.active_versions`` (the newest extracted version of each paper) without reading the
    candidates: the extraction rows, and the paper versions that have candidates (``with_candidates``,
    else ``candidate_paper_versions``)."""
    ok: dict[str, int] = {}
    failed: set[tuple[str, int]] = set()
    for aid, version, status in conn.execute("SELECT arxiv_id, version, status FROM extractions"):
        if status == "ok":
            ok[aid] = max(ok.get(aid, 0), int(version))
        else:
            failed.add((aid, int(version)))
    for aid, version in candidate_paper_versions(conn) if with_candidates is None else with_candidates:
        if (aid, version) not in failed:
            ok[aid] = max(ok.get(aid, 0), version)
    return ok


def papers(conn: sqlite3.Connection, benchmark: str | None) -> list[tuple[str, int]]:
    """The paper versions of ``scope``, in its order: each paper's newest extracted version with a
    candidate in scope. Without a benchmark no candidate row is read (index seeks, one per paper
    version); with one, the candidates' benchmark column is (it has no index)."""
    if benchmark is None:
        found = candidate_paper_versions(conn)
        versions = newest_versions(conn, found)
        return sorted(key for key in found if versions.get(key[0]) == key[1])
    versions = newest_versions(conn)
    rows = conn.execute(
        "SELECT DISTINCT arxiv_id, version FROM candidates WHERE benchmark = ? OR (COALESCE(benchmark, '') = '' "
        "AND arxiv_id IN (SELECT arxiv_id FROM paper_benchmarks WHERE benchmark = ?))",
        (benchmark, benchmark)).fetchall()
    return sorted((r[0], int(r[1])) for r in rows if versions.get(r[0]) == int(r[1]))


def paper_scope(conn: sqlite3.Connection, home: Home, paper: tuple[str, int],
                benchmark: str | None) -> list[tuple[Candidate, str, SlotKey]]:
    """``scope`` for one paper version: reads only its candidates and the decisions that can attach
    to them (by candidate id or fact key, both indexed)."""
    aid, version = paper
    refresh(conn, home)
    cands = [Candidate.from_row(r) for r in conn.execute(
        "SELECT * FROM candidates WHERE arxiv_id = ? AND version = ?", (aid, version))]
    if benchmark is not None:
        in_benchmark = any(c.benchmark == benchmark for c in cands) or conn.execute(
            "SELECT 1 FROM paper_benchmarks WHERE arxiv_id = ? AND benchmark = ?", (aid, benchmark)).fetchone()
        cands = [c for c in cands if c.benchmark == benchmark or (not c.benchmark and in_benchmark)]
    rows = conn.execute(
        "SELECT * FROM review_decisions WHERE candidate_id IN (SELECT candidate_id FROM candidates WHERE arxiv_id = ? "
        "AND version = ?) UNION SELECT * FROM review_decisions WHERE candidate_id != '' AND fact_key IN "
        "(SELECT fact_key FROM candidates WHERE arxiv_id = ? AND version = ?)", (aid, version, aid, version))
    decisions = sorted((Decision.from_row(dict(r)) for r in rows), key=lambda d: d.key)
    attached, _orphans = attach(sorted(cands, key=candidate_order), decisions)
    the_papers = stored_paper_benchmarks(conn, aid, version)
    return _states([a for a in attached if is_offered(a, the_papers)], cached_renames(conn, aid),
                   added_facts(conn, aid))


def locate(conn: sqlite3.Connection, candidate_id: str) -> tuple[str, int] | None:
    """The paper version of a candidate (any version), or None."""
    row = conn.execute("SELECT arxiv_id, version FROM candidates WHERE candidate_id = ?", (candidate_id,)).fetchone()
    return (row[0], int(row[1])) if row is not None else None


def warm(home: Home, stop: threading.Event | None = None) -> None:
    """Read the annotation files into memory so that the first decision is as quick as the next ones
    (run in a background thread at server start; writes nothing, takes no lock; ends at the next file
    once ``stop`` is set)."""
    try:
        n = warm_rows(home.annotations_dir, stop)
    except OSError as e:
        log.debug("annotations not read ahead: %s", e)
        return
    gc.freeze()  # rows kept for the server's life: no full collection scans them again
    log.debug("read %d annotation rows ahead", n)


def free_replaced_files_later(home: Home) -> None:
    """Free the annotation files a decision replaces in a background thread (see ``annotations``)."""
    delete_replaced_in_background(home.annotations_dir)


def latest_web_decision(conn: sqlite3.Connection, home: Home, reviewer: str) -> Recorded | None:
    """The newest decision this reviewer made in the browser, from the ledger (undo after a restart),
    with the decisions it replaced, from its paper's month of the history: undo restores them.

    Decision times have one-second resolution; two decisions in the same second undo in id order.
    """
    sync(conn, home)
    row = conn.execute("SELECT * FROM review_decisions WHERE reviewer = ? AND candidate_id != '' "
                       "AND (source = ? OR source LIKE ?) ORDER BY decided_at DESC, candidate_id DESC LIMIT 1",
                       (reviewer, SOURCE, f"{SOURCE}:%")).fetchone()
    if row is None:
        return None
    d = Decision.from_row(dict(row))
    replaced = tuple(old for old, key, at in load_history(home.annotations_dir, d.arxiv_id)
                     if key == d.key and at == d.decided_at)
    return Recorded(d, replaced)


def validate(conn: sqlite3.Connection, candidate: Candidate, *, decision: str, corrected_value: str,
             reviewer: str, note: str, model: str | None = None) -> list[Decision]:
    """One browser decision as a validated ``Decision`` (no lock needed: nothing is written).

    ``model`` (None: not sent) is the model box: a name other than the candidate's (or its rename)
    retargets the fact, as an edited model cell of a review CSV does.
    Raises ``ReviewError`` whose ``problems`` read ``column: message``.
    """
    row = {"candidate_id": candidate.candidate_id, "decision": decision, "reviewer": reviewer, "note": note}
    if corrected_value or decision == "correct":
        row["corrected_value"] = corrected_value
    if model is not None:
        row["model"] = model
    decisions, problems = validate_rows([row], conn, SOURCE, reviewer=reviewer)
    if problems:
        raise ReviewError("the decision was not saved", [f"{p.column}: {p.message}" for p in problems])
    return decisions


def validate_add(conn: sqlite3.Connection, row: dict[str, str], *, reviewer: str) -> list[Decision]:
    """An added fact from the browser (``arxiv_id, field, value, page, benchmark, model, unit, note``),
    validated as an ``add`` row of a review CSV. Raises ``ReviewError`` whose problems read ``column: message``."""
    decisions, problems = validate_rows([{**row, "decision": "add", "reviewer": reviewer}], conn, SOURCE,
                                        reviewer=reviewer)
    if problems:
        raise ReviewError("the fact was not added", [f"{p.column}: {p.message}" for p in problems])
    return decisions


def record(conn: sqlite3.Connection, home: Home, decisions: list[Decision]) -> Recorded | None:
    """Durably store validated browser decisions (one). Returns what changed (None: the same verdict
    was already recorded), with the decisions it replaced, kept in the history for undo
    (``decisions/history/<yymm>.csv``)."""
    report = apply(conn, home, decisions, keep_replaced=True)
    if not report.applied:
        return None
    d = report.applied[0]
    log.info("web: %s %s (%s)", d.decision, d.candidate_id, d.reviewer)
    return Recorded(d, report.replaced)


def decide(conn: sqlite3.Connection, home: Home, candidate: Candidate, *, decision: str, corrected_value: str,
           reviewer: str, note: str) -> Recorded | None:
    """``validate`` then ``record`` one decision."""
    decisions = validate(conn, candidate, decision=decision, corrected_value=corrected_value, reviewer=reviewer,
                         note=note)
    return record(conn, home, decisions)


def withdraw(conn: sqlite3.Connection, home: Home, *recorded: Recorded) -> None:
    """Undo recorded web decisions (one, or every reject of a "not reported" close) in one commit, restoring
    what each replaced.

    Raises ``ReviewError`` when any of them is no longer the recorded one (changed meanwhile in another tab or
    by an import): then nothing changes.
    """
    directory = home.annotations_dir
    with review_lock(home):
        refresh(conn, home)  # finishes an interrupted import; the cache mirrors the files
        split_legacy(directory)  # a folder of the older layout, checked by refresh: split before the first write
        restore: dict[str, Decision] = {}  # by key: two rejects of one close may have replaced one decision
        drop: set[str] = set()
        touched: list[Decision] = []
        for rec in recorded:
            d = rec.decision
            now = cached_decision(conn, d.key)
            if now is None or not now.same_verdict(d) or now.decided_at != d.decided_at:
                raise ReviewError("that decision was changed meanwhile (another tab or an import); not undone")
            back = [r for r in rec.replaced if r.key == d.key or cached_decision(conn, r.key) is None]
            restore.update((r.key, r) for r in back)
            drop |= {d.key, *(r.key for r in back)}
            touched.append(d)
        commit_files(directory, decision_files(directory, drop, touched, restore.values()))
        update_cache(conn, home, drop, restore.values())
    for rec in recorded:
        log.info("web: undid %s on %s", rec.decision.decision, rec.decision.candidate_id)
