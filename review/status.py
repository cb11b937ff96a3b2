"""How far the review has come: decided / superseded / pending per benchmark and field, fact slots,
complete papers, orphans. A candidate whose fact slot a sibling settled (accept or correct) counts
as done (``superseded``), see ``review.slots``."""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass

from flopmine.config import Home

from .conflicts import DecisionConflict, find_conflicts
from .decision import ADD
from .slots import PENDING, SUPERSEDED, build_slots
from .store import Orphan, active_candidates, active_versions, attach, cached_renames, sync

PAPER_LEVEL = "(paper)"  # how status shows candidates without a benchmark


@dataclass(frozen=True)
class FieldStatus:
    """Counts for one benchmark and field (benchmark ``(paper)`` for paper-level facts)."""

    benchmark: str
    field: str
    decided: int
    pending: int
    carried_over: int  # decided on an older paper version, carried over by fact key
    superseded: int = 0  # not decided, but a sibling in their fact slot was accepted or corrected (done)


@dataclass(frozen=True)
class StatusReport:
    """The state of the review."""

    fields: tuple[FieldStatus, ...]
    papers_complete: tuple[str, ...]  # "1512.03385v2": every candidate of the version decided
    papers_incomplete: tuple[str, ...]
    orphans: tuple[Orphan, ...]
    added: int  # facts added by reviewers
    decisions: int  # all decisions in annotations/
    slots_open: int = 0  # fact slots with a pending candidate
    slots_settled: int = 0  # fact slots without one
    conflicts: tuple[DecisionConflict, ...] = ()  # disagreeing decisions (e.g. merged from two clones)

    @property
    def decided(self) -> int:
        return sum(f.decided for f in self.fields)

    @property
    def pending(self) -> int:
        return sum(f.pending for f in self.fields)

    @property
    def superseded(self) -> int:
        return sum(f.superseded for f in self.fields)


def status(conn: sqlite3.Connection, home: Home, *, benchmark: str | None = None) -> StatusReport:
    """Refresh the decision cache from annotations/ and summarise the review."""
    decisions = sync(conn, home)
    conflicts = find_conflicts(home.annotations_dir)
    if benchmark is not None:
        conflicts = [c for c in conflicts if c.slot.benchmark in (benchmark, "")]
    versions = active_versions(conn)
    attached, orphans = attach(active_candidates(conn), decisions, versions)
    if benchmark is not None:
        scoped = {(c.arxiv_id) for c in (a.candidate for a in attached) if c.benchmark == benchmark}
        attached = [a for a in attached if a.candidate.benchmark == benchmark
                    or (not a.candidate.benchmark and a.candidate.arxiv_id in scoped)]
        orphans = [o for o in orphans if o.decision.benchmark in (benchmark, "")]
    decided: Counter[tuple[str, str]] = Counter()
    pending: Counter[tuple[str, str]] = Counter()
    carried: Counter[tuple[str, str]] = Counter()
    superseded: Counter[tuple[str, str]] = Counter()
    open_papers: dict[str, bool] = {}
    slots = build_slots(attached, cached_renames(conn))
    for s in slots:
        for a in s.members:
            c = a.candidate
            k = (c.benchmark or PAPER_LEVEL, c.field)
            paper = f"{c.arxiv_id}v{c.version}"
            state = s.state(a)
            if state == PENDING:
                pending[k] += 1
                open_papers[paper] = True
            elif state == SUPERSEDED:
                superseded[k] += 1
                open_papers.setdefault(paper, False)
            else:
                decided[k] += 1
                carried[k] += a.carried_over
                open_papers.setdefault(paper, False)
    keys = sorted(set(decided) | set(pending) | set(superseded), key=lambda k: (k[0] == PAPER_LEVEL, k))
    n_open = sum(1 for s in slots if s.is_open)
    return StatusReport(
        fields=tuple(FieldStatus(b, f, decided[(b, f)], pending[(b, f)], carried[(b, f)], superseded[(b, f)])
                     for b, f in keys),
        papers_complete=tuple(sorted(p for p, is_open in open_papers.items() if not is_open)),
        papers_incomplete=tuple(sorted(p for p, is_open in open_papers.items() if is_open)),
        orphans=tuple(orphans),
        added=sum(1 for d in decisions if d.decision == ADD and (benchmark is None or d.benchmark in (benchmark, ""))),
        decisions=len(decisions),
        slots_open=n_open,
        slots_settled=len(slots) - n_open,
        conflicts=tuple(conflicts),
    )
