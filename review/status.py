"""How far the review has come: decided / superseded / pending per benchmark and field, fact slots,
complete papers, orphans. A candidate whose fact slot a sibling settled (accept or correct) counts
as done (``superseded``), see ``review.slots``.

``pending`` is what ``review export --pending-only`` writes with the same ``top`` and ``slot_rank``: both
come from ``review.offer.paper_view``. Pending candidates the export does not show (below the slot's top,
or in a slot ranked below ``slot_rank``) are counted apart as ``hidden``; metric candidates the review
does not offer (no benchmark, not the paper's) as ``left_out``."""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass

from flopmine.config import Home

from .conflicts import DecisionConflict, find_conflicts
from .decision import ADD, Decision
from .offer import paper_view, stored_paper_benchmarks
from .slots import DEFAULT_SLOT_RANK, DEFAULT_TOP, PENDING, SUPERSEDED
from .store import Attached, Orphan, active_candidates, active_versions, attach, cached_renames, sync

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
    hidden: int = 0  # pending, but not shown by the export (below the slot's top or the field's slot rank)


@dataclass(frozen=True)
class StatusReport:
    """The state of the review."""

    fields: tuple[FieldStatus, ...]
    papers_complete: tuple[str, ...]  # "1512.03385v2": every candidate of the version decided
    papers_incomplete: tuple[str, ...]
    orphans: tuple[Orphan, ...]
    added: int  # facts added by reviewers
    decisions: int  # all decisions in annotations/
    slots_open: int = 0  # fact slots with a pending candidate (shown or hidden)
    slots_settled: int = 0  # fact slots without one
    conflicts: tuple[DecisionConflict, ...] = ()  # disagreeing decisions (e.g. merged from two clones)
    left_out: tuple[tuple[str, int], ...] = ()  # (reason, candidates) the review does not offer (review.offer)

    @property
    def decided(self) -> int:
        return sum(f.decided for f in self.fields)

    @property
    def pending(self) -> int:
        return sum(f.pending for f in self.fields)

    @property
    def superseded(self) -> int:
        return sum(f.superseded for f in self.fields)

    @property
    def hidden(self) -> int:
        return sum(f.hidden for f in self.fields)


def status(conn: sqlite3.Connection, home: Home, *, benchmark: str | None = None, top: int | None = DEFAULT_TOP,
           slot_rank: int | None = DEFAULT_SLOT_RANK) -> StatusReport:
    """Refresh the decision cache from annotations/ and summarise the review.

    ``top`` and ``slot_rank`` are the export's (None: every candidate, as ``export --all``): ``pending``
    counts the rows ``export --pending-only`` would write with them, ``hidden`` the other pending ones.
    """
    decisions = sync(conn, home)
    conflicts = find_conflicts(home.annotations_dir)
    if benchmark is not None:
        conflicts = [c for c in conflicts if c.slot.benchmark in (benchmark, "")]
    versions = active_versions(conn)
    attached, orphans = attach(active_candidates(conn), decisions, versions)  # all: no decision looks orphaned
    if benchmark is not None:  # scoped as the export scopes it (``store.active_candidates``)
        papers = {a.candidate.arxiv_id for a in attached if a.candidate.benchmark == benchmark}
        papers |= {r[0] for r in conn.execute("SELECT arxiv_id FROM paper_benchmarks WHERE benchmark = ?",
                                               (benchmark,))}
        attached = [a for a in attached if a.candidate.benchmark == benchmark
                    or (not a.candidate.benchmark and a.candidate.arxiv_id in papers)]
        orphans = [o for o in orphans if o.decision.benchmark in (benchmark, "")]
    by_paper: dict[tuple[str, int], list[Attached]] = {}
    for a in attached:
        by_paper.setdefault((a.candidate.arxiv_id, a.candidate.version), []).append(a)
    decided: Counter[tuple[str, str]] = Counter()
    pending: Counter[tuple[str, str]] = Counter()
    hidden: Counter[tuple[str, str]] = Counter()
    carried: Counter[tuple[str, str]] = Counter()
    superseded: Counter[tuple[str, str]] = Counter()
    left_out: Counter[str] = Counter()
    open_papers: dict[str, bool] = {}
    n_slots = n_open = 0
    renames = cached_renames(conn)
    adds: dict[str, list[Decision]] = {}
    for d in decisions:
        if d.decision == ADD:
            adds.setdefault(d.arxiv_id, []).append(d)
    for (arxiv_id, version), group in by_paper.items():
        view = paper_view(group, stored_paper_benchmarks(conn, arxiv_id, version), top=top, slot_rank=slot_rank,
                          pending_only=True, renames=renames, added=adds.get(arxiv_id, ()))
        left_out.update(view.left_out)
        shown = {r.attached.candidate.candidate_id for r in view.rows}
        n_slots += len(view.slots)
        n_open += sum(1 for s in view.slots if s.is_open)  # hidden pending candidates keep a slot open
        paper = f"{arxiv_id}v{version}"
        open_papers.setdefault(paper, any(s.is_open for s in view.slots))
        for s in view.slots:
            for a in s.members:
                c = a.candidate
                k = (c.benchmark or PAPER_LEVEL, c.field)
                state = s.state(a)
                if state == PENDING:
                    (pending if c.candidate_id in shown else hidden)[k] += 1
                elif state == SUPERSEDED:
                    superseded[k] += 1
                else:
                    decided[k] += 1
                    carried[k] += a.carried_over
    keys = sorted(set(decided) | set(pending) | set(hidden) | set(superseded),
                  key=lambda k: (k[0] == PAPER_LEVEL, k))
    return StatusReport(
        fields=tuple(FieldStatus(b, f, decided[(b, f)], pending[(b, f)], carried[(b, f)], superseded[(b, f)],
                                 hidden[(b, f)]) for b, f in keys),
        papers_complete=tuple(sorted(p for p, is_open in open_papers.items() if not is_open)),
        papers_incomplete=tuple(sorted(p for p, is_open in open_papers.items() if is_open)),
        orphans=tuple(orphans),
        added=sum(1 for d in decisions if d.decision == ADD and (benchmark is None or d.benchmark in (benchmark, ""))),
        decisions=len(decisions),
        slots_open=n_open,
        slots_settled=n_slots - n_open,
        conflicts=tuple(conflicts),
        left_out=tuple(sorted(left_out.items())),
    )
