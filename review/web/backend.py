"""The one place the web layer touches decisions: everything goes through the ``review`` library.

A decision made in the browser becomes one row ``{candidate_id, decision, corrected_value, note,
reviewer}`` that ``review.validate.validate_rows`` checks exactly as it checks a row of a reviewer
CSV given to ``flopmine review import``, and ``review.apply.apply`` stores it (annotations files
first, fsynced, then the store cache) before the HTTP response is sent.

Undo (``withdraw``) puts the annotations back as they were before one web decision: the
decision's ledger entry and fact row go, and whatever that decision had replaced (an earlier
decision on the same candidate, or on the same fact in an older paper version) comes back. It uses
the library's own transaction (``review_lock`` → ``commit_files``), so a crash leaves all or none.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from flopmine.config import Home
from flopmine.errors import ReviewError
from flopmine.types import Candidate

from ..annotations import (
    LEDGER_FILE,
    commit_files,
    fact_file_name,
    load_ledger,
    recover,
    render_ledger,
    review_lock,
    rewrite_fact_file,
)
from ..apply import apply
from ..decision import Decision, sort_key
from ..slots import SUPERSEDED, build_slots
from ..store import active_candidates, annotations_fingerprint, attach, known_benchmarks, sync
from ..validate import validate_rows

log = logging.getLogger(__name__)

SOURCE = "web"

__all__ = ["Recorded", "annotations_fingerprint", "decide", "known_benchmarks", "latest_web_decision", "locked",
           "scope", "store_generation", "withdraw"]


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

    Re-extraction deletes and inserts a paper's rows and stamps its extraction row, which moves
    the counts, the rowid sums or the newest ``extracted_at``.
    """
    cands = conn.execute("SELECT COUNT(*), MAX(rowid), TOTAL(rowid) FROM candidates").fetchone()
    extr = conn.execute("SELECT COUNT(*), MAX(extracted_at), TOTAL(rowid) FROM extractions").fetchone()
    links = conn.execute("SELECT COUNT(*) FROM paper_benchmarks").fetchone()
    return (*tuple(cands), *tuple(extr), links[0])


def scope(conn: sqlite3.Connection, home: Home, benchmark: str | None) -> list[tuple[Candidate, str]]:
    """The candidates under review (newest version of each paper, slot by slot as the export orders
    them) and each one's decision ("" = pending; a decision carried over from another version
    counts; ``superseded`` when a sibling in its fact slot was accepted or corrected)."""
    decisions = sync(conn, home)
    attached, _orphans = attach(active_candidates(conn, benchmark), decisions)
    out: list[tuple[Candidate, str]] = []
    for s in build_slots(attached):
        for a in s.members:
            state = s.state(a)
            out.append((a.candidate, a.decision.decision if a.decision else (SUPERSEDED if state == SUPERSEDED else "")))
    return out


def latest_web_decision(home: Home, reviewer: str) -> Recorded | None:
    """The newest decision this reviewer made in the browser, from the ledger (undo after a restart).

    The ledger keeps the decision, not what it replaced: undoing it returns the candidate to pending.
    Decision times have one-second resolution; two decisions in the same second undo in id order.
    """
    ledger = load_ledger(home.annotations_dir).decisions.values()
    mine = [d for d in ledger if d.source.split(":", 1)[0] == SOURCE and d.reviewer == reviewer and d.candidate_id]
    if not mine:
        return None
    return Recorded(max(mine, key=lambda d: (d.decided_at, d.candidate_id)), ())


def decide(conn: sqlite3.Connection, home: Home, candidate: Candidate, *, decision: str, corrected_value: str,
           reviewer: str, note: str) -> Recorded | None:
    """Validate and durably store one decision. Returns what changed (None: the same verdict was
    already recorded). Raises ``ReviewError`` whose ``problems`` read ``column: message``."""
    row = {"candidate_id": candidate.candidate_id, "decision": decision, "reviewer": reviewer, "note": note}
    if corrected_value or decision == "correct":
        row["corrected_value"] = corrected_value
    with review_lock(home):
        sync(conn, home)
        decisions, problems = validate_rows([row], conn, SOURCE, reviewer=reviewer)
        if problems:
            raise ReviewError("the decision was not saved", [f"{p.column}: {p.message}" for p in problems])
        before = load_ledger(home.annotations_dir).decisions
        report = apply(conn, home, decisions)
    if not report.applied:
        return None
    d = report.applied[0]
    replaced = tuple(x for x in (before.get(d.key), *report.superseded) if x is not None)
    log.info("web: %s %s (%s)", d.decision, d.candidate_id, reviewer)
    return Recorded(d, replaced)


def withdraw(conn: sqlite3.Connection, home: Home, recorded: Recorded) -> None:
    """Undo one recorded web decision, restoring what it replaced.

    Raises ``ReviewError`` when the decision is no longer the recorded one (changed meanwhile in
    another tab or by an import): then nothing changes.
    """
    d = recorded.decision
    directory = home.annotations_dir
    with review_lock(home):
        recover(directory)
        ledger = load_ledger(directory).decisions
        now = ledger.get(d.key)
        if now is None or not now.same_verdict(d) or now.decided_at != d.decided_at:
            raise ReviewError("that decision was changed meanwhile (another tab or an import); not undone")
        restore: Sequence[Decision] = [r for r in recorded.replaced if r.key not in ledger or r.key == d.key]
        after = {k: v for k, v in ledger.items() if k != d.key}
        for r in restore:
            after[r.key] = r
        drop = {d.key, *(r.key for r in restore)}
        facts: dict[str, list] = {fact_file_name(d.benchmark): []}
        for r in restore:
            fact = r.to_fact()
            facts.setdefault(fact_file_name(r.benchmark), [])
            if fact is not None:
                facts[fact_file_name(r.benchmark)].append(fact)
        contents = {name: rewrite_fact_file(directory / name, drop, add) for name, add in facts.items()
                    if add or (directory / name).is_file()}
        contents[LEDGER_FILE] = render_ledger(sorted(after.values(), key=sort_key))
        commit_files(directory, contents)
        sync(conn, home, force=True)
    log.info("web: undid %s on %s", d.decision, d.candidate_id)
