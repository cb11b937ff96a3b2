"""What reviewing costs: replay a reviewer who knows the gold answer through the real decision code.

``review_cost`` copies the store into a temporary home (the real annotations are never touched),
then, paper by paper, plays a reviewer who reads the rows the default export shows (the top
``top`` candidates of each fact slot) and knows the gold facts:

1. each gold fact that a shown row states (scoring convention of ``flopmine eval``: within 0.5 %,
   accuracy = 100 − error, flops ≡ mult_adds, hardware by name) is accepted: one decision, which
   settles the slot (its siblings are superseded);
2. each gold fact no shown row states is added by hand (``add``): one decision, and typing;
3. every field that still has open slots is closed in one "not reported" action per field.

Steps 1 and 2 are written as reviewer CSVs and imported with ``review.assign.import_reviewed`` (the
code behind ``flopmine review import``), step 3 runs ``review.slots.close_fields``. Time is
estimated at ``SECONDS_PER_ROW`` per row read and ``SECONDS_PER_ADD`` per fact added by hand.

The seed's baseline: its authors read every paper in full. Assumed ``BASELINE_MINUTES_PER_PAGE``
per page (reading closely enough to find each training and result number) plus ``SECONDS_PER_ADD``
per gold fact transcribed; pages come from the extraction.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flopmine.config import Home
from flopmine.errors import FlopmineError, ReviewError
from flopmine.extract.gold import GoldFact, values_match
from flopmine.store import connect

from .assign import import_reviewed
from .decision import Decision, format_value
from .offer import paper_view, stored_paper_benchmarks
from .slots import (
    DEFAULT_SLOT_RANK,
    DEFAULT_TOP,
    ShownRow,
    SlotKey,
    close_fields,
    slot_of,
)
from .store import Attached, active_candidates, active_versions, attach

log = logging.getLogger(__name__)

SECONDS_PER_ROW = 5.0  # reading one shown row and deciding on it
SECONDS_PER_ADD = 30.0  # finding a missed fact in the PDF and typing it in
BASELINE_MINUTES_PER_PAGE = 2.0  # the seed's authors: every page read in full
REPLAY_REVIEWER = "gold"


def mean_or_none(values: Sequence[float]) -> float | None:
    """The mean of per-paper figures (minutes, rows), None for a replay of no paper."""
    return sum(values) / len(values) if values else None


@dataclass
class PaperCost:
    """One paper of the replay."""

    arxiv_id: str
    pages: int = 0
    gold: int = 0
    gold_shown: int = 0  # gold facts stated by a shown row
    gold_extracted: int = 0  # gold facts stated by any candidate (shown or hidden)
    candidates: int = 0
    rows_read: int = 0
    accepted: int = 0
    added: int = 0
    closed: int = 0  # "not reported" actions (one per field)
    problems: list[str] = field(default_factory=list)  # import problems (a gold row the review code refuses)

    @property
    def decisions(self) -> int:
        return self.accepted + self.added + self.closed

    def minutes(self, per_row: float = SECONDS_PER_ROW, per_add: float = SECONDS_PER_ADD) -> float:
        return (self.rows_read * per_row + self.added * per_add) / 60.0

    def baseline_minutes(self, per_page: float = BASELINE_MINUTES_PER_PAGE, per_add: float = SECONDS_PER_ADD) -> float:
        return self.pages * per_page + self.gold * per_add / 60.0


@dataclass
class CostReport:
    """The replay's per-paper rows and totals."""

    papers: list[PaperCost] = field(default_factory=list)
    top: int | None = DEFAULT_TOP
    slot_rank: int | None = DEFAULT_SLOT_RANK
    per_row: float = SECONDS_PER_ROW
    per_add: float = SECONDS_PER_ADD
    per_page: float = BASELINE_MINUTES_PER_PAGE

    def total(self, name: str) -> int:
        return sum(getattr(p, name) for p in self.papers)

    @property
    def gold(self) -> int:
        return self.total("gold")

    @property
    def decisions_per_gold(self) -> float | None:
        return self.total("decisions") / self.gold if self.gold else None

    @property
    def shown_recall(self) -> float | None:
        return self.total("gold_shown") / self.gold if self.gold else None

    @property
    def rows_per_paper(self) -> float | None:
        return self.total("rows_read") / len(self.papers) if self.papers else None

    @property
    def minutes_per_paper(self) -> float | None:
        return mean_or_none([p.minutes(self.per_row, self.per_add) for p in self.papers])

    @property
    def baseline_minutes_per_paper(self) -> float | None:
        return mean_or_none([p.baseline_minutes(self.per_page, self.per_add) for p in self.papers])

    def to_dict(self) -> dict[str, object]:
        return {
            "rates": {"seconds_per_row": self.per_row, "seconds_per_add": self.per_add,
                      "baseline_minutes_per_page": self.per_page, "top": self.top,
                      "slot_rank": self.slot_rank},
            "papers": [{**vars(p), "decisions": p.decisions, "minutes": round(p.minutes(self.per_row, self.per_add), 3),
                        "baseline_minutes": round(p.baseline_minutes(self.per_page, self.per_add), 3)}
                       for p in self.papers],
            "totals": {"papers": len(self.papers), "gold": self.gold, "gold_shown": self.total("gold_shown"),
                       "rows_read": self.total("rows_read"), "decisions": self.total("decisions"),
                       "added": self.total("added"), "decisions_per_gold": self.decisions_per_gold,
                       "rows_per_paper": self.rows_per_paper, "minutes_per_paper": self.minutes_per_paper,
                       "baseline_minutes_per_paper": self.baseline_minutes_per_paper},
        }


def _matches(g: GoldFact, r: ShownRow) -> bool:
    c = r.attached.candidate
    if g.benchmark and c.benchmark and g.benchmark != c.benchmark:
        return False
    return values_match(g.field, g.value, c.field, c.value)


def _copy_store(src: sqlite3.Connection, target: Path) -> None:
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()


@contextlib.contextmanager
def replay_home(conn: sqlite3.Connection, prefix: str) -> Iterator[tuple[Home, sqlite3.Connection, Path]]:
    """A throwaway home holding a copy of ``conn``'s store, for a replayed review: (home, its store, its folder).

    The replay imports decisions as a reviewer would, so it must never touch the user's own home.
    """
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        home = Home(Path(tmp) / "home")
        home.root.mkdir(parents=True)
        _copy_store(conn, home.db_path)
        rconn = connect(home.db_path)
        try:
            yield home, rconn, Path(tmp)
        finally:
            rconn.close()


def _write_sheet(path: Path, rows: list[dict[str, object]]) -> None:
    cols = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def _one_per_slot(items: list[tuple[SlotKey, dict[str, object]]]) -> list[list[dict[str, object]]]:
    """Spread rows over as few sheets as possible, each with at most one row per slot (one decision each)."""
    sheets: list[tuple[set[SlotKey], list[dict[str, object]]]] = []
    for key, row in items:
        for used, rows in sheets:
            if key not in used:
                used.add(key)
                rows.append(row)
                break
        else:
            sheets.append(({key}, [row]))
    return [rows for _, rows in sheets]


def gold_papers_extracted(conn: sqlite3.Connection, gold: Sequence[GoldFact], papers: Sequence[str] | None,
                          command: str, versions: Mapping[str, int] | None = None) -> list[str]:
    """The arXiv ids of the gold's papers that the store has extracted (those in ``papers``, when given), sorted;
    ``FlopmineError`` naming the extraction to run first, then ``command``, when there is none. ``versions``:
    ``active_versions(conn)`` when the caller has already read it."""
    extracted = active_versions(conn) if versions is None else versions
    wanted = sorted({g.arxiv_id for g in gold} & set(extracted))
    if papers is not None:
        chosen = set(papers)
        wanted = [p for p in wanted if p in chosen]
    if not wanted:
        raise FlopmineError("no paper of the gold is extracted in this home: run `flopmine --home DIR extract "
                            f"PDFS` first, then `flopmine --home DIR {command}`")
    return wanted


def review_cost(conn: sqlite3.Connection, home: Home, gold: Sequence[GoldFact], *, top: int | None = DEFAULT_TOP,
                slot_rank: int | None = DEFAULT_SLOT_RANK,
                papers: Sequence[str] | None = None, per_row: float = SECONDS_PER_ROW,
                per_add: float = SECONDS_PER_ADD, per_page: float = BASELINE_MINUTES_PER_PAGE,
                progress: Callable[[int, int, str], None] | None = None,
                on_replayed: Callable[[Home], None] | None = None) -> CostReport:
    """Replay a gold-knowing reviewer on the papers of ``home``'s store that have gold (or ``papers``).

    Nothing in ``home`` changes: the store is copied into a temporary home first. ``on_replayed`` is
    called with that home after the replay, before it is removed (e.g. to build its dataset).
    """
    versions = active_versions(conn)
    wanted = gold_papers_extracted(conn, gold, papers, "eval --review-cost --gold …", versions)
    pages = {r["arxiv_id"]: int(r["pages"] or 0) for r in
             conn.execute("SELECT arxiv_id, version, pages FROM extractions WHERE status = 'ok'")
             if versions.get(r["arxiv_id"]) == r["version"]}
    report = CostReport(top=top, slot_rank=slot_rank, per_row=per_row, per_add=per_add, per_page=per_page)
    wanted_set = set(wanted)
    cands = [c for c in active_candidates(conn) if c.arxiv_id in wanted_set]
    attached, _ = attach(cands, [])
    by_paper: dict[str, list[Attached]] = {}
    for a in attached:
        by_paper.setdefault(a.candidate.arxiv_id, []).append(a)
    shown_by: dict[str, list[ShownRow]] = {}
    all_by: dict[str, list[ShownRow]] = {}
    for aid, group in by_paper.items():  # what the export offers and shows (review.offer), paper by paper
        offered = stored_paper_benchmarks(conn, aid, versions[aid])
        shown_by[aid] = paper_view(group, offered, top=top, slot_rank=slot_rank).rows
        all_by[aid] = paper_view(group, offered, top=None, slot_rank=None).rows
    with replay_home(conn, "flopmine-review-cost-") as (home_copy, rconn, tmp):
        for i, aid in enumerate(wanted):
            if progress is not None:
                progress(i, len(wanted), aid)
            report.papers.append(_replay_paper(rconn, home_copy, aid, [g for g in gold if g.arxiv_id == aid],
                                               shown_by.get(aid, []), all_by.get(aid, []), pages.get(aid, 0), tmp))
        if on_replayed is not None:
            on_replayed(home_copy)
    if progress is not None:
        progress(len(wanted), len(wanted), "")
    return report


def _replay_paper(conn: sqlite3.Connection, home: Home, aid: str, gold: list[GoldFact], shown: list[ShownRow],
                  everything: list[ShownRow], pages: int, tmp: Path) -> PaperCost:
    pc = PaperCost(aid, pages=pages, gold=len(gold), candidates=len(everything), rows_read=len(shown))
    accepts: list[tuple[SlotKey, dict[str, object]]] = []
    adds: list[tuple[SlotKey, dict[str, object]]] = []
    taken: set[SlotKey] = set()
    accepted_ids: set[str] = set()
    version = everything[0].slot.key.version if everything else 1
    for g in gold:
        if any(_matches(g, r) for r in everything):
            pc.gold_extracted += 1
        hits = [r for r in shown if _matches(g, r)]
        if hits:
            pc.gold_shown += 1
        if hits:
            r = next((h for h in hits if h.slot.key not in taken), hits[0])
            c = r.attached.candidate
            if c.candidate_id not in accepted_ids:  # two gold rows can name one printed number
                accepted_ids.add(c.candidate_id)
                taken.add(r.slot.key)
                accepts.append((r.slot.key, {
                    "candidate_id": c.candidate_id, "arxiv_id": c.arxiv_id, "version": c.version,
                    "benchmark": c.benchmark, "model": c.model, "field": c.field, "value": format_value(c.value),
                    "unit": c.unit, "page": c.page, "decision": "accept", "reviewer": REPLAY_REVIEWER}))
            continue
        row = {"arxiv_id": aid, "benchmark": g.benchmark, "model": g.model, "field": g.field,
               "value": format_value(g.value), "page": g.page if g.page > 0 else 1, "decision": "add",
               "reviewer": REPLAY_REVIEWER, "note": "replay: gold fact not among the shown rows"}
        key = slot_of(Decision("add", aid, version, g.field, g.value, benchmark=g.benchmark, model=g.model))
        adds.append((key, row))
    unique_adds = list({(k, str(r["field"]), str(r["value"])): (k, r) for k, r in adds}.values())
    sheets = _one_per_slot(accepts) + _one_per_slot(unique_adds)
    for n, rows in enumerate(sheets):
        path = tmp / f"{aid.replace('/', '_')}-{n}.csv"
        _write_sheet(path, rows)
        try:
            result = import_reviewed(conn, home, [path], reviewer=REPLAY_REVIEWER, any_paper=True, partial=True)
        except ReviewError as e:
            pc.problems.extend(e.problems or [str(e)])
            continue
        pc.problems.extend(str(p) for p in result.problems)
        for d in result.report.applied if result.report else ():
            if d.decision == "accept":
                pc.accepted += 1
            elif d.decision == "add":
                pc.added += 1
    if everything:
        closed = close_fields(conn, home, aid, None, reviewer=REPLAY_REVIEWER, source="replay")
        pc.closed = len(closed.fields)
    return pc
