"""What reviewing the row sheet costs, in cells: replay a reviewer who knows the gold on ``review.sheet``.

``sheet_review_cost`` copies the store into a temporary home (the real annotations are never touched)
and, paper by paper, exports the paper's row sheet, edits it as a gold-knowing reviewer would, and
imports it through ``review.assign.import_reviewed`` (the code behind ``flopmine review import``):

1. for each gold fact, the row of its model (benchmark for a metric; ``gold.models_match``) and the
   cell of its field (or of the field sharing its slot: an accuracy for an error, flops for mult-adds):
   *right* when the cell already holds the gold value; *from alternatives* when one of the cell's
   ``alternatives`` does (the reviewer copies it); else *typed* (into the cell, or into a row the
   reviewer adds for a model the sheet lacks);
2. every other filled cell is cleared (not a fact of the paper), a row with none of the gold's models
   and nothing kept is deleted (``status`` ``delete``), and every other row is marked ``reviewed``.

A gold fact is *absent from the sheet* when no cell and no alternative of the paper's sheet holds its
value. Time uses the candidate replay's rates (``review.cost``): ``SECONDS_PER_ROW`` per value read
(a filled cell, or an alternative read because the cell was wrong) and ``SECONDS_PER_ADD`` per value
typed. ``gold_in_dataset`` then builds the dataset from the replay's annotations and counts the gold
facts that ended right in a row: the same count for the candidate replay gives the comparison.
"""

from __future__ import annotations

import csv
import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flopmine.config import Home
from flopmine.errors import FlopmineError, ReviewError
from flopmine.extract.gold import GoldFact, model_match_score, models_match, values_match
from flopmine.types import FIELDS

from .assign import import_reviewed
from .cost import (
    REPLAY_REVIEWER,
    SECONDS_PER_ADD,
    SECONDS_PER_ROW,
    gold_papers_extracted,
    mean_or_none,
    replay_home,
)
from .decision import format_value
from .sheet import CELL_STATE, DELETE, REVIEWED, ROW_STATE, export_sheet, parse_cell
from .slots import DEFAULT_SLOT_RANK, slot_field
from .store import find_candidate

log = logging.getLogger(__name__)


@dataclass
class SheetPaperCost:
    """One paper of the sheet replay, counted in rows and cells."""

    arxiv_id: str
    gold: int = 0
    rows: int = 0  # rows exported
    cells_filled: int = 0  # prefilled cells read
    right: int = 0  # gold facts already right in their cell
    from_alternatives: int = 0  # gold facts copied from the cell's alternatives
    typed: int = 0  # gold facts typed in (a wrong or empty cell, or an added row)
    absent: int = 0  # gold facts whose value is in no cell and no alternative of the sheet
    alternatives_read: int = 0  # alternatives read in cells that were wrong
    cleared: int = 0  # filled cells cleared (no gold fact)
    rows_added: int = 0
    rows_deleted: int = 0
    problems: list[str] = field(default_factory=list)

    def minutes(self, per_value: float = SECONDS_PER_ROW, per_typed: float = SECONDS_PER_ADD) -> float:
        return ((self.cells_filled + self.alternatives_read) * per_value + self.typed * per_typed) / 60.0


@dataclass
class SheetCostReport:
    papers: list[SheetPaperCost] = field(default_factory=list)
    per_value: float = SECONDS_PER_ROW
    per_typed: float = SECONDS_PER_ADD
    slot_rank: int | None = DEFAULT_SLOT_RANK
    gold_right_in_dataset: int = 0  # after the replayed review, by ``gold_in_dataset``

    def total(self, name: str) -> int:
        return sum(getattr(p, name) for p in self.papers)

    @property
    def gold(self) -> int:
        return self.total("gold")

    def per_paper(self, name: str) -> float | None:
        return self.total(name) / len(self.papers) if self.papers else None

    @property
    def minutes_per_paper(self) -> float | None:
        return mean_or_none([p.minutes(self.per_value, self.per_typed) for p in self.papers])

    def to_dict(self) -> dict[str, object]:
        names = ("gold", "rows", "cells_filled", "right", "from_alternatives", "typed", "absent",
                 "alternatives_read", "cleared", "rows_added", "rows_deleted")
        return {"rates": {"seconds_per_value_read": self.per_value, "seconds_per_value_typed": self.per_typed,
                          "slot_rank": self.slot_rank},
                "papers": [{**vars(p), "minutes": round(p.minutes(self.per_value, self.per_typed), 3)}
                           for p in self.papers],
                "totals": {"papers": len(self.papers), **{n: self.total(n) for n in names},
                           "minutes_per_paper": self.minutes_per_paper,
                           "gold_right_in_dataset": self.gold_right_in_dataset}}


# ---------------------------------------------------------------- the dataset after a review


_PAIRS: dict[str, tuple[str, ...]] = {}
for _f in FIELDS:
    _PAIRS[_f] = tuple(o for o in FIELDS if slot_field(o) == slot_field(_f))


def gold_in_dataset(home: Home, gold: Sequence[GoldFact]) -> int:
    """How many gold facts a dataset row built from ``home``'s annotations holds (``flopmine build``'s join).

    A gold fact counts when a row of its paper (and benchmark, for a metric) whose model matches the
    gold's (``gold.models_match``) has its value in the gold field's column or in the column sharing its
    slot (an accuracy for an error, flops for mult-adds), by ``gold.values_match``.
    """
    from flopmine.analysis.build import build_dataset, read_annotations

    try:
        facts, _ = read_annotations(home.annotations_dir)
    except FlopmineError:
        return 0
    frame = build_dataset(facts).frame
    by_paper = {aid: rows for aid, rows in frame.groupby("arxiv_id")}
    right = 0
    for g in gold:
        rows = by_paper.get(g.arxiv_id)
        if rows is None:
            continue
        if FIELDS[g.field].kind == "metric":
            rows = rows[rows["benchmark"] == g.benchmark]
        for r in rows.itertuples(index=False):
            if g.model and not models_match(g, str(r.model)):
                continue
            values = [(col, getattr(r, col)) for col in _PAIRS[g.field] if col in frame.columns]
            if any(v == v and v is not None and v != "" and values_match(g.field, g.value, col, v)
                   for col, v in values):
                right += 1
                break
    return right


# ---------------------------------------------------------------- the replay


def sheet_review_cost(conn: sqlite3.Connection, home: Home, gold: Sequence[GoldFact], *,
                      slot_rank: int | None = DEFAULT_SLOT_RANK, papers: Sequence[str] | None = None,
                      per_value: float = SECONDS_PER_ROW, per_typed: float = SECONDS_PER_ADD,
                      progress: Callable[[int, int, str], None] | None = None) -> SheetCostReport:
    """Replay a gold-knowing reviewer on the row sheet of the papers with gold (or ``papers``); see the module."""
    wanted = gold_papers_extracted(conn, gold, papers, "eval --review-cost --sheet rows --gold …")
    report = SheetCostReport(per_value=per_value, per_typed=per_typed, slot_rank=slot_rank)
    with replay_home(conn, "flopmine-sheet-cost-") as (home_copy, rconn, tmp):
        for i, aid in enumerate(wanted):
            if progress is not None:
                progress(i, len(wanted), aid)
            report.papers.append(_replay_paper(rconn, home_copy, aid, [g for g in gold if g.arxiv_id == aid],
                                               tmp, slot_rank))
        report.gold_right_in_dataset = gold_in_dataset(home_copy, [g for g in gold if g.arxiv_id in set(wanted)])
    if progress is not None:
        progress(len(wanted), len(wanted), "")
    return report


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _value(column: str, text: str) -> float | str | None:
    try:
        return parse_cell(column, text)[0]
    except ValueError:
        return None


def _alternatives(text: str) -> list[str]:
    return [a.strip() for a in text.split("|") if a.strip()]


def _cell_keys(row: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in filter(None, row.get(CELL_STATE, "").split(";")):
        col, _, rest = part.partition("=")
        out[col] = rest.partition("#")[0]
    return out


def _holds(g: GoldFact, column: str, text: str) -> bool:
    v = _value(column, text)
    return v is not None and values_match(g.field, g.value, column, v)


def _replay_paper(conn: sqlite3.Connection, home: Home, aid: str, gold: list[GoldFact], tmp: Path,
                  slot_rank: int | None) -> SheetPaperCost:
    pc = SheetPaperCost(aid, gold=len(gold))
    out = tmp / aid.replace("/", "_")
    export_sheet(conn, home, out, papers={aid}, per_paper=True, bom=False, slot_rank=slot_rank)
    files = sorted(out.glob("*.csv"))
    columns, rows = _read(files[0]) if files else ([], [])
    quantities = [c for c in columns if c in FIELDS]
    pc.rows = len(rows)
    pc.cells_filled = sum(1 for r in rows for c in quantities if r.get(c, "").strip())
    benches = [r["benchmark"] for r in rows if r.get("benchmark")]
    kept: set[tuple[int, str]] = set()  # (row index, column) whose value stays
    handled: set[str] = set()  # candidates behind cells the reviewer kept or changed
    added: dict[tuple[str, str], dict[str, str]] = {}
    for g in gold:
        cols = [c for c in _PAIRS[g.field] if c in quantities] or [g.field]
        if not any(_holds(g, c, r.get(c, "")) or any(_holds(g, c, a) for a in _alternatives(r.get(f"{c}_alternatives", "")))
                   for r in rows for c in cols):
            pc.absent += 1
        fits = [(i, r) for i, r in enumerate(rows)
                if (FIELDS[g.field].kind != "metric" or r.get("benchmark") == g.benchmark)
                and (not g.model or models_match(g, r.get("model", "")))]
        fits.sort(key=lambda ir: -model_match_score(g.model, ir[1].get("model", "")) if g.model else 0)
        done = False
        for i, r in fits:  # already right
            hit = next((c for c in cols if _holds(g, c, r.get(c, ""))), None)
            if hit is not None:
                kept.add((i, hit))
                handled.add(_cell_keys(r).get(hit, ""))
                pc.right += 1
                done = True
                break
        if done:
            continue
        for i, r in fits:  # one of the cell's alternatives
            for c in cols:
                alts = _alternatives(r.get(f"{c}_alternatives", ""))
                pick = next((a for a in alts if _holds(g, c, a)), None)
                if pick is not None and (i, c) not in kept:
                    r[c] = pick
                    kept.add((i, c))
                    handled.add(_cell_keys(r).get(c, ""))
                    pc.from_alternatives += 1
                    pc.alternatives_read += len(alts)
                    done = True
                    break
            if done:
                break
        if done:
            continue
        pc.typed += 1
        page = g.page if g.page > 0 else 1
        target = next(((i, r) for i, r in fits if not any((i, c) in kept for c in cols)), None)
        if target is not None:
            i, r = target
            shown = next((c for c in cols if r.get(c, "").strip()), g.field if g.field in quantities else cols[0])
            pc.alternatives_read += len(_alternatives(r.get(f"{shown}_alternatives", "")))
            value = g.value if shown == g.field or not isinstance(g.value, float) else (
                _converted(g.field, g.value, shown))
            r[shown] = f"{format_value(value)}@{page}"
            kept.add((i, shown))
            key = _cell_keys(r).get(shown, "")
            behind = find_candidate(conn, key) if key else None
            if behind is None or behind.model.strip():  # a paper-level value typed over becomes the model's own fact
                handled.add(key)
            continue
        bench = g.benchmark if FIELDS[g.field].kind == "metric" else (benches[0] if benches else "")
        row = added.setdefault((bench, g.model), {"paper": aid, "benchmark": bench, "model": g.model})
        if g.field in row:
            continue  # a second gold value for one cell of an added row: the first stays
        row[g.field] = f"{format_value(g.value)}@{page}"
    handled.discard("")
    for i, r in enumerate(rows):
        keys = _cell_keys(r)
        mine = [c for c in quantities if (i, c) in kept]
        if not mine and not any(keys.get(c, "") in handled for c in quantities):
            r["status"] = DELETE
            pc.rows_deleted += 1
            continue
        for c in quantities:
            if r.get(c, "").strip() and (i, c) not in kept and keys.get(c, "") not in handled:
                r[c] = ""
                pc.cleared += 1
        r["status"] = REVIEWED
    pc.rows_added = len(added)
    extra_cols = [c for row in added.values() for c in row if c not in columns]
    columns = columns or ["paper", "benchmark", "model", "status", ROW_STATE]
    columns += list(dict.fromkeys(extra_cols))
    path = files[0] if files else out / f"{aid.replace('/', '_')}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        w.writerows([*rows, *added.values()])
    try:
        result = import_reviewed(conn, home, [path], reviewer=REPLAY_REVIEWER, any_paper=True, partial=True)
    except ReviewError as e:
        pc.problems.extend(e.problems or [str(e)])
    else:
        pc.problems.extend(str(p) for p in result.problems)
    return pc


def _converted(gold_field: str, value: float, column: str) -> float:
    from .sheet import _as_column

    v = _as_column(gold_field, value, column)
    return v if isinstance(v, float) else value
