"""Apply validated decisions to the annotations directory, all at once or not at all.

``apply`` is the one way decisions get written: ``flopmine review import`` calls it with every
row of every file, the browser UI with a single decision.

>>> # report = apply(conn, home, decisions)      # decisions from validate_rows / validate_files
>>> # report.counts()  → {"accept": 12, "reject": 3, "correct": 1, "add": 0}
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from flopmine.config import Home
from flopmine.errors import ReviewError
from flopmine.store import now_iso

from .annotations import commit_files, decision_files, history_changes, review_lock, split_legacy
from .decision import CORRECT, DECISIONS, FACT_DECISIONS, Decision, format_value, same_value
from .store import cached_by_fact, cached_decision, refresh, update_cache

log = logging.getLogger(__name__)

# ``apply``'s ``also_write``: (decisions applied or unchanged, their time stamp) → more files to commit with them.
AlsoWrite = Callable[[Sequence[Decision], str], dict[str, str]]


@dataclass(frozen=True)
class Conflict:
    """A sheet row that would change a decision made after the sheet was exported."""

    decision: Decision  # the row
    current: Decision | None  # what the ledger holds now (None: withdrawn since the export)
    settled_by: Decision | None = None  # another candidate's decision that settles the row's fact slot

    @property
    def sheet(self) -> str:
        return self.decision.seen.sheet if self.decision.seen is not None else self.decision.source

    @property
    def message(self) -> str:
        """``changed by alice at 2026-11-27T16:07:10Z since this file was exported`` (the column is ``decision``)."""
        c = self.current
        if self.settled_by is not None:
            o = self.settled_by
            return (f"its fact slot was settled by {o.reviewer or 'someone'} at {o.decided_at or '?'} "
                    f"({_ruling(o)} {format_value(o.final_value)} on {o.candidate_id or 'an added fact'}); "
                    "one decision settles a slot: export again, or reject or correct that decision first")
        seen = self.decision.seen
        if seen is not None and seen.blind and c is not None:
            return (f"differs from the recorded decision ({_ruling(c)} by {c.reviewer or 'someone'} at "
                    f"{c.decided_at or '?'}) and this file does not say what it showed (no exported_decision "
                    "or decided_at); export again to change a decision, or leave the row empty")
        if c is None:
            return "withdrawn since this file was exported (it was pending or undone); export again to decide it"
        return (f"changed by {c.reviewer or 'someone'} at {c.decided_at or '?'} since this file was exported "
                f"(now {_ruling(c)}); export again, or leave this row as it was")

    def __str__(self) -> str:
        return f"{self.sheet}:{self.decision.line}: decision: {self.message}"


def _ruling(d: Decision) -> str:
    return f"correct to {format_value(d.corrected_value)}" if d.decision == CORRECT else d.decision


class StaleSheetError(ReviewError):
    """Rows of an exported sheet would overwrite decisions made after the export; nothing was applied."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        super().__init__(f"{len(conflicts)} row(s) would change a decision made after the file was exported; "
                         "nothing was applied", [str(c) for c in conflicts])
        self.conflicts = tuple(conflicts)


@dataclass(frozen=True)
class ApplyReport:
    """What ``apply`` changed."""

    applied: tuple[Decision, ...]  # new or changed decisions, as written
    unchanged: tuple[Decision, ...]  # already recorded with the same verdict (re-import), or left as exported
    superseded: tuple[Decision, ...]  # decisions on an older paper version replaced by a new one
    files: tuple[str, ...]  # annotation files rewritten, relative to the annotations directory
    conflicts: tuple[Conflict, ...] = ()  # rows skipped because their decision changed since the export
    replaced: tuple[Decision, ...] = ()  # with keep_replaced: the recorded decisions the applied ones replaced

    def counts(self) -> dict[str, int]:
        """Applied decisions per kind, every kind present: ``{"accept": 2, "reject": 0, …}``."""
        c = Counter(d.decision for d in self.applied)
        return {k: c.get(k, 0) for k in DECISIONS}


def _judge_seen(d: Decision, current: Decision | None) -> str:
    """For a row of an exported sheet: ``"apply"``, ``"as exported"`` (the reviewer left it) or ``"conflict"``.

    With the ``exported_decision`` digest: a row still showing what was exported is left alone;
    a changed row applies if the ledger still holds what was exported. Without it (a sheet from an
    older flopmine) only ``decided_at`` is known: a row applies if the ledger's decision is the one
    exported, whether or not the reviewer changed it. A ``blind`` row (neither column) applies only
    where the ledger has no decision. A row agreeing with the ledger is never a conflict.
    """
    seen = d.seen
    assert seen is not None
    if seen.blind:
        if current is None:
            return "apply"
    elif seen.verdict is not None:
        if d.verdict == seen.verdict:
            return "as exported"
        if (current.verdict if current is not None else "") == seen.verdict:
            return "apply"
    elif seen.decided_at == (current.decided_at if current is not None else ""):
        return "apply"
    if current is not None and current.same_verdict(d):
        return "apply"  # found unchanged below
    return "conflict"


def _slot_settled_by(conn: sqlite3.Connection, d: Decision, batch_keys: set[str],
                     papers: dict[tuple[str, int], list[Decision]]) -> Decision | None:
    """Another recorded decision (accept, correct, add) that settles ``d``'s fact slot with a different value.

    Decisions of this batch do not count: a sheet may reject one sibling and accept another.
    ``papers`` keeps each paper version's recorded fact decisions during one ``apply``.
    """
    from .slots import canonical_value, slot_of  # slots builds on apply

    slot = slot_of(d)
    mine = canonical_value(d.field, d.final_value)
    if (d.arxiv_id, d.version) not in papers:
        rows = conn.execute("SELECT * FROM review_decisions WHERE arxiv_id = ? AND version = ? AND decision IN "
                            f"({', '.join('?' * len(FACT_DECISIONS))})", (d.arxiv_id, d.version, *FACT_DECISIONS))
        papers[(d.arxiv_id, d.version)] = [Decision.from_row(dict(r)) for r in rows]
    for o in papers[(d.arxiv_id, d.version)]:
        if o.key == d.key or o.key in batch_keys or slot_of(o) != slot:
            continue
        if not same_value(canonical_value(o.field, o.final_value), mine):
            return o
    return None


def apply(conn: sqlite3.Connection, home: Home, decisions: Iterable[Decision], *,
          decided_at: str | None = None, skip_conflicts: bool = False, check_only: bool = False,
          keep_replaced: bool = False, also_write: AlsoWrite | None = None) -> ApplyReport:
    """Record ``decisions`` (already validated) in annotations/ in one transaction; refresh the cache.

    A decision identical to the recorded one (same verdict, correction and note; directly or
    carried over from another paper version) changes nothing, so re-importing a file is a no-op.
    A new decision about a fact that an older version of the paper already had replaces it.

    A decision from an exported sheet (``Decision.seen``) applies only where the reviewer changed
    the row; one that would change a decision made after the export is a ``Conflict``: raises
    ``StaleSheetError`` and applies nothing, unless ``skip_conflicts`` (then they are skipped and
    listed in the report). So is a sheet's accept or correct in a fact slot that another decision
    settles with a different value. ``check_only`` decides everything but writes nothing.

    ``keep_replaced`` (the browser) records each decision a new one replaces in
    ``decisions/history.csv``, in the same transaction, so undo can restore it after a restart.
    ``also_write(kept, stamp)`` returns more files (``{relative path: text}``) to commit in the same
    transaction, given every decision of the batch (a conflict skipped by ``skip_conflicts`` included):
    ``review import`` keeps each reviewer's verdicts that way.
    """
    directory = home.annotations_dir
    stamp = decided_at or now_iso()
    with review_lock(home, create=not check_only):
        refresh(conn, home)  # finishes an interrupted import; the cache now mirrors the files exactly
        if not check_only:  # a folder of the older layout, checked by refresh: split once, before the first write
            split_legacy(directory)  # (the same decisions: the cache stays right)
        applied: dict[str, Decision] = {}
        superseded: dict[str, Decision] = {}  # recorded decisions on the same fact in another paper version
        unchanged: list[Decision] = []
        conflicts: list[Conflict] = []
        replaced: dict[str, list[Decision]] = {}  # per applied key, the decisions it replaces (keep_replaced)
        batch = list(decisions)
        batch_keys = {d.key for d in batch}
        paper_facts: dict[tuple[str, int], list[Decision]] = {}  # recorded fact decisions per paper version
        touched: list[Decision] = []  # replaced decisions: their facts go (a retarget moved them elsewhere)
        newest: dict[str, Decision] = {}  # per fact, the decision on the newest paper version wins
        for d in batch:
            if d.candidate_id and d.version >= newest.get(d.fact_key, d).version:
                newest[d.fact_key] = d
        for d in batch:
            if d.candidate_id and newest[d.fact_key] is not d:
                unchanged.append(d)  # shadowed by a decision on a newer version of the paper
                continue
            current = applied.get(d.key) or cached_decision(conn, d.key)
            recorded_same: list[Decision] = []
            if d.candidate_id:
                recorded_same = [o for o in cached_by_fact(conn, d.fact_key) if o.key != d.key]
                if current is None and recorded_same:
                    current = max(recorded_same, key=lambda o: (o.decided_at, o.version))
            if d.seen is not None:
                judged = _judge_seen(d, current)
                if judged == "as exported":
                    unchanged.append(d)
                    continue
                if judged == "conflict":
                    conflicts.append(Conflict(d, current))
                    continue
            if current is not None and current.same_verdict(d):
                unchanged.append(d)
                continue
            if d.seen is not None and d.decision in FACT_DECISIONS:
                other = _slot_settled_by(conn, d, batch_keys, paper_facts)
                if other is not None:
                    conflicts.append(Conflict(d, current, other))
                    continue
            if current is not None:
                touched.append(current)
                if keep_replaced:
                    replaced.setdefault(d.key, []).append(current)
            for o in recorded_same:
                superseded.setdefault(o.key, o)
                if keep_replaced and o is not current:
                    replaced.setdefault(d.key, []).append(o)
            applied[d.key] = replace(d, decided_at=stamp)
        if conflicts and not skip_conflicts:
            raise StaleSheetError(conflicts)
        if check_only:
            return ApplyReport(tuple(applied.values()), tuple(unchanged), tuple(superseded.values()), (),
                               tuple(conflicts))
        # every verdict of the batch, also one skipped as a conflict (--partial): it is still what the
        # reviewer said, which agreement between reviewers compares
        extra = also_write(batch, stamp) if also_write is not None else {}
        if not applied:
            if extra:
                commit_files(directory, extra)
            return ApplyReport((), tuple(unchanged), tuple(superseded.values()), tuple(sorted(extra)),
                               tuple(conflicts))

        drop = set(applied) | set(superseded)
        contents = decision_files(directory, drop, [*touched, *superseded.values()], applied.values())
        if replaced:
            contents.update(history_changes(directory, [
                (o, applied[k]) for k, olds in replaced.items() for o in olds]))
        contents.update(extra)
        commit_files(directory, contents)
        update_cache(conn, home, drop, applied.values())
        log.debug("applied %d decision(s) (%d unchanged, %d superseded) to %s",
                  len(applied), len(unchanged), len(superseded), directory)
        return ApplyReport(tuple(applied.values()), tuple(unchanged), tuple(superseded.values()),
                           tuple(sorted(contents)), tuple(conflicts),
                           tuple(o for olds in replaced.values() for o in olds))
