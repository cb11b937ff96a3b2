"""The row sheet: review in the shape of the dataset, one row per (paper, model), a column per quantity.

``flopmine review export --sheet rows`` writes one CSV per benchmark (``--per-paper``: one per paper)
with the seed's columns: the benchmark's metrics, ``flops``/``mult_adds``, ``params``, ``hardware``,
``hardware_count``, ``training_time_hours``, ``epochs``, ``training_steps``. Each cell holds the top
candidate of that model's fact slot (``review.slots``, the ranking of the candidate export), or the
reviewed value once the slot is decided. Paper-level facts (no model) sit under the paper's own model
when ``build``'s rule names one (``analysis.build._paper_target``), else under a row without a model.

What a reviewer does, and the decisions ``review import`` makes of it (the difference between the sheet
and what was exported; the same validation as the candidate sheet):

- edit a cell → ``accept`` the slot's candidate with that value (one of ``<field>_alternatives``), else
  ``correct`` the shown candidate; a value in a cell with no candidate → ``add`` (write ``value@page``);
- clear a cell → ``reject`` every candidate of its slot ("not reported");
- write ``reviewed`` in ``status`` → ``accept`` the candidates the row's untouched cells show;
- delete the row, or write ``delete`` in ``status`` → ``reject`` every candidate of the row's model;
- add a row (``paper``, ``benchmark``, ``model`` and cells as ``value@page``) → ``add`` each cell.

Two read-only columns record what was exported: ``row_state`` (the row's paper, benchmark, model and a
digest of the paper's rows, so a deleted row is told from a row that is no longer exported) and
``cell_state`` (per filled cell, the candidate behind it and a digest of its slot's decisions, so a
cell changed in the ledger since the export is a conflict, never overwritten).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote, unquote

from flopmine.benchmarks import load_registry
from flopmine.config import Home
from flopmine.ids import InvalidIdError, parse_id
from flopmine.store import paper_titles
from flopmine.types import FIELDS, Candidate, normalise_model

from .decision import (
    ACCEPT,
    ADD,
    CORRECT,
    FACT_DECISIONS,
    REJECT,
    Decision,
    exported_state,
    format_value,
    parse_value,
    same_value,
)
from .export import CsvFiles, active_papers, export_dir, paper_candidates, paper_decisions, paper_link
from .offer import is_offered, stored_paper_benchmarks
from .renames import Rename, Renames, rename_problem, renamed_model
from .slots import (
    DEFAULT_SLOT_RANK,
    Slot,
    SlotKey,
    build_slots,
    canonical_value,
    drop_lines,
    member_order,
    shown_slots,
    slot_conflicts,
    slot_field,
    slot_of,
)
from .store import Attached, added_facts, attach, cached_decision, cached_renames, find_candidate, refresh
from .validate import ROW_SHEET_MARKER as ROW_STATE
from .validate import Problem, Sheet, validate_rows

DEFAULT_SHEET_DIR = "review-rows"  # under the home: apart from the candidate sheets, which share file names
NO_BENCHMARK_FILE = "no_benchmark.csv"  # rows of papers the store ties to no benchmark
MAX_ALTERNATIVES = 3
SNIPPET_CHARS = 60
# Quantities after the metrics, in the seed's order (flops and mult_adds share a slot).
COMPUTE_COLUMNS: tuple[str, ...] = ("flops", "mult_adds", "params", "hardware", "hardware_count",
                                    "training_time_hours", "epochs", "training_steps")
CELL_STATE = "cell_state"  # read-only, as ROW_STATE, whose presence in a header marks a row sheet
REVIEWED, PENDING, DELETE = "reviewed", "pending", "delete"
STATUSES = (REVIEWED, PENDING, DELETE)
LEAD_COLUMNS: tuple[str, ...] = ("paper", "version", "title", "year", "benchmark", "model")
TAIL_COLUMNS: tuple[str, ...] = ("status", "reviewer", "note", "force", "evidence", "unjoined")
READ_ONLY: tuple[str, ...] = ("paper", "version", "benchmark")
_IMPLICIT = "\x00implicit"  # marks a generated accept that only a row's status made (an edit elsewhere wins)
_ROW_STATE = re.compile(r"^r1 (?P<paper>\S+)v(?P<version>\d+) (?P<benchmark>\S+) k(?P<rank>\d+) "
                        r"(?P<status>[pr])(?P<rows>[0-9a-f]{8}) ?(?P<model>.*)$")
# field=key#digest, then =value: the value the cell showed (percent-quoted), so import compares an edit with
# what the file showed, not with what the slot holds now
_CELL_STATE = re.compile(r"^(?P<field>[a-z0-9_]+)=(?P<key>[^#;=]*)#(?P<digest>[0-9a-f]{8})(?:=(?P<shown>[^;=]*))?$")
_AT_PAGE = re.compile(r"^(?P<value>.*?)\s*@\s*p?(?P<page>\d+)$")


def is_row_sheet(header: Iterable[str]) -> bool:
    """Whether a CSV header is a row sheet's (it has ``row_state``), not a candidate sheet's."""
    return ROW_STATE in {h.strip().lower() for h in header}


def _digest(*parts: object) -> str:
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:8]


# ---------------------------------------------------------------- the rows of one paper


@dataclass(frozen=True)
class Cell:
    """One slot as one cell: what it shows (the settling decision's value, an added fact, or the top candidate)."""

    key: SlotKey
    slot: Slot | None  # None: only added facts
    adds: tuple[Decision, ...]  # added facts in this slot
    column: str  # the field whose column shows it
    shown: Attached | None  # the candidate shown (None: an added fact, or nothing left)
    added: Decision | None  # the added fact shown
    value: float | str | None
    reviewed: bool  # the slot is decided (settled, added, or every candidate rejected)

    @property
    def members(self) -> tuple[Attached, ...]:
        return self.slot.members if self.slot is not None else ()

    @property
    def state_key(self) -> str:
        """The candidate id or added fact behind the value ('' when the cell is empty)."""
        if self.shown is not None:
            return self.shown.candidate.candidate_id
        return self.added.key if self.added is not None else ""

    @property
    def digest(self) -> str:
        """The slot's decisions (candidate by candidate, and added facts) as eight hex digits."""
        parts = sorted(f"{a.candidate.candidate_id}:{exported_state(a.decision)}" for a in self.members)
        parts += sorted(f"{d.key}:{exported_state(d)}" for d in self.adds)
        return _digest(self.column, *parts)

    @property
    def page(self) -> int:
        if self.shown is not None:
            return self.shown.candidate.page
        return self.added.page if self.added is not None else 0

    @property
    def snippet(self) -> str:
        return self.shown.candidate.snippet if self.shown is not None else (self.added.note if self.added else "")

    def alternatives(self) -> list[tuple[float | str, int]]:
        """The next values of the slot (as this column states them) with their pages, best first, at most 3."""
        out: list[tuple[float | str, int]] = []
        for a in self.members:
            if a is self.shown or (a.decision is not None and a.decision.decision == REJECT):
                continue
            v = _as_column(a.candidate.field, a.candidate.value, self.column)
            if self.value is not None and same_value(v, self.value):
                continue
            if any(same_value(v, o) for o, _ in out):
                continue
            out.append((v, a.candidate.page))
            if len(out) == MAX_ALTERNATIVES:
                break
        return out


def _as_column(field_name: str, value: float | str, column: str) -> float | str:
    """A value of ``field_name`` as ``column`` states it (an error as an accuracy and back; flops ≡ mult_adds)."""
    if field_name == column:
        return value
    return canonical_value(column, canonical_value(field_name, value))  # 100 − x is its own inverse


def _cell(key: SlotKey, slot: Slot | None, adds: Sequence[Decision]) -> Cell:
    settled = slot.settled_by if slot is not None else None
    if settled is not None:
        shown = next(a for a in slot.members if a.decision is settled)  # type: ignore[union-attr]
        return Cell(key, slot, tuple(adds), settled.final_field, shown, None, settled.final_value, True)
    if adds:
        d = max(adds, key=lambda d: d.decided_at)
        return Cell(key, slot, tuple(adds), d.final_field, None, d, d.value, True)
    assert slot is not None
    pending = [a for a in slot.members if a.decision is None]
    if not pending:  # every candidate rejected: reported as not there
        return Cell(key, slot, (), slot.members[0].candidate.field, None, None, None, True)
    top = pending[0]
    return Cell(key, slot, (), top.candidate.field, top, None, top.candidate.value, False)


@dataclass
class SheetRow:
    """One (paper, benchmark, model) row and its cells, keyed by column."""

    arxiv_id: str
    version: int
    benchmark: str  # "" in NO_BENCHMARK_FILE
    nm: str  # normalised model name ("" for the row of facts naming no model)
    model: str  # as the paper writes it
    cells: dict[str, Cell] = field(default_factory=dict)
    rows_digest: str = ""  # the paper's row set in this benchmark
    rank: int = DEFAULT_SLOT_RANK  # the export's --slot-rank (0: every slot)
    order: tuple[object, ...] = ()

    @property
    def reviewed(self) -> bool:
        return bool(self.cells) and all(c.reviewed for c in self.cells.values())

    @property
    def row_state(self) -> str:
        return (f"r1 {self.arxiv_id}v{self.version} {self.benchmark or '-'} k{self.rank} "
                f"{'r' if self.reviewed else 'p'}{self.rows_digest} {self.nm}").rstrip()

    @property
    def cell_state(self) -> str:
        return ";".join(f"{col}={c.state_key}#{c.digest}" + (f"={quote(format_value(c.value), safe='')}"
                                                             if c.value is not None else "")
                        for col, c in sorted(self.cells.items()))

    def own_cells(self) -> list[Cell]:
        """Cells of the row's own model (not paper-level facts shown under it)."""
        return [c for c in self.cells.values() if c.key.model == self.nm]


def _paper_target(models: Mapping[str, bool]) -> str | None:
    from flopmine.analysis.build import _paper_target as build_rule  # build's join rule, not a copy of it

    return build_rule(models)


def _is_ours(model: str) -> bool:
    from flopmine.analysis.build import _OURS

    return bool(model and _OURS.search(model))


def paper_rows(candidates: Sequence[Candidate], decisions: Sequence[Decision], adds: Sequence[Decision],
               arxiv_id: str, version: int, *, paper_benchmarks: Sequence[str] = (),
               slot_rank: int | None = DEFAULT_SLOT_RANK, renames: Renames | None = None,
               offered: Callable[[Attached], bool] | None = None) -> list[SheetRow]:
    """The sheet rows of one paper version (pure): candidates with their decisions, plus added facts.

    ``offered`` keeps the candidates the review offers (None: all; ``load_paper_rows`` passes
    ``offer.is_offered``, so the row sheet leaves out what the candidate export leaves out).

    A row per (benchmark, model) with a shown metric slot or an added metric; compute slots join the
    rows of their model (in every benchmark of the paper), paper-level ones the own model's row as
    ``build`` attaches them, else a row without a model. A model with compute facts only gets a row of
    its own. Only slots ``shown_slots(slot_rank)`` keeps are shown (decided ones always). Models are
    named after the paper's ``renames`` and retargeting decisions, as ``review.slots`` groups them;
    the model-less slots of one field share a cell (the top one shown, the others as alternatives).
    """
    attached, _ = attach(candidates, decisions)
    if offered is not None:
        attached = [a for a in attached if offered(a)]
    slots = _merge_modelless(shown_slots(build_slots(attached, renames), slot_rank))
    by_key: dict[SlotKey, Slot | None] = {s.key: s for s in slots if s.key.benchmark or FIELDS[s.key.field].kind != "metric"}
    adds_by: dict[SlotKey, list[Decision]] = {}
    for d in adds:
        k = slot_of(d, renames)
        k = SlotKey(k.arxiv_id, version, k.benchmark, k.field, k.model)
        if FIELDS[d.final_field].kind == "metric" and not k.benchmark:
            continue
        adds_by.setdefault(k, []).append(d)
        by_key.setdefault(k, None)
    cells = {k: _cell(k, s, adds_by.get(k, ())) for k, s in by_key.items()}
    names: dict[str, tuple[tuple[object, ...], str]] = {}  # nm → (best order, name as written)
    ours: dict[str, bool] = {}  # nm → some spelling marks it "(ours)", as build reads the facts' names
    for s in slots:
        for a in s.members:
            o = (s.field_position, a.candidate.rank or 1 << 30)
            spelled = _shown_model(a, renames)
            nm = s.key.model
            ours[nm] = ours.get(nm, False) or _is_ours(spelled)
            if nm not in names or o < names[nm][0]:
                names[nm] = (o, spelled.strip())
    for k, ds in adds_by.items():
        for d in ds:
            names.setdefault(k.model, ((1 << 30, 1 << 30), renamed_model(renames or {}, d.arxiv_id, d.final_model)))
    rows: dict[tuple[str, str], SheetRow] = {}

    def row(bench: str, nm: str) -> SheetRow:
        if (bench, nm) not in rows:
            rows[(bench, nm)] = SheetRow(arxiv_id, version, bench, nm, names.get(nm, ((), ""))[1],
                                         rank=slot_rank or 0)
        return rows[(bench, nm)]

    metric = [c for c in cells.values() if FIELDS[c.key.field].kind == "metric"]
    compute = [c for c in cells.values() if FIELDS[c.key.field].kind != "metric"]
    for c in sorted(metric, key=lambda c: c.key):
        r = row(c.key.benchmark, c.key.model)
        r.cells[c.column] = c
        pos = c.slot.field_position if c.slot is not None else 1 << 30
        r.order = min(r.order, (pos,)) if r.order else (pos,)
    benches = sorted({b for b, _ in rows}) or sorted(paper_benchmarks) or [""]
    models = {nm: ours.get(nm, False) or _is_ours(names.get(nm, ((), ""))[1]) for _, nm in rows}
    target = _paper_target(models) if models else None
    for c in sorted(compute, key=lambda c: c.key):
        nm = c.key.model
        if nm == "" and target is not None:
            homes = [r for (b, m), r in rows.items() if m == target and not any(
                o.key.model == target and slot_field(col) == c.key.field for col, o in r.cells.items())]
            if homes:  # the own model's own fact wins, as in build: then the paper-level one keeps its row
                for r in homes:
                    r.cells[c.column] = c
                continue
        owners = [r for (b, m), r in rows.items() if m == nm]
        for r in owners or [row(b, nm) for b in benches]:
            r.cells[c.column] = c
    out = [r for r in rows.values() if r.cells]
    for bench in {r.benchmark for r in out}:
        mine = [r for r in out if r.benchmark == bench]
        digest = _digest(*sorted(r.nm for r in mine))
        for r in mine:
            r.rows_digest = digest
    out.sort(key=lambda r: (r.benchmark, r.nm == "", r.order or (1 << 30,), r.nm))
    return out


def load_paper_rows(conn: sqlite3.Connection, arxiv_id: str, version: int, *,
                    slot_rank: int | None = DEFAULT_SLOT_RANK) -> list[SheetRow]:
    """``paper_rows`` of one paper version as the store and the decision cache hold it now."""
    candidates = paper_candidates(conn, arxiv_id, version)
    benches = [r[0] for r in conn.execute("SELECT benchmark FROM paper_benchmarks WHERE arxiv_id = ?", (arxiv_id,))]
    the_papers = stored_paper_benchmarks(conn, arxiv_id, version)
    return paper_rows(candidates, paper_decisions(conn, candidates), added_facts(conn, arxiv_id), arxiv_id, version,
                      paper_benchmarks=benches, slot_rank=slot_rank, renames=cached_renames(conn, arxiv_id),
                      offered=lambda a: is_offered(a, the_papers))


def _shown_model(a: Attached, renames: Renames | None) -> str:
    """A candidate's model as the review shows it: its retargeting decision's, else renamed."""
    model = a.decision.final_model if a.decision is not None and a.decision.is_retarget else a.candidate.model
    return renamed_model(renames or {}, a.candidate.arxiv_id, model)


def _merge_modelless(slots: Sequence[Slot]) -> list[Slot]:
    """Model-less slots (one per candidate, ``SlotKey.alone``) as one slot per benchmark and field: one cell."""
    out: list[Slot] = []
    groups: dict[SlotKey, list[Slot]] = {}
    for s in slots:
        if s.key.alone:
            groups.setdefault(replace(s.key, alone=""), []).append(s)
        else:
            out.append(s)
    for key, ss in groups.items():
        members = sorted((a for s in ss for a in s.members), key=member_order)
        out.append(Slot(key, tuple(members), min(s.field_position for s in ss)))
    return out


# ---------------------------------------------------------------- export


def metric_columns(benchmarks: Iterable[str]) -> list[str]:
    """The metric fields of these benchmarks in registry order (every metric field for an unknown one)."""
    registry = load_registry()
    out: list[str] = []
    for b in benchmarks:
        spec = registry.get(b)
        fields = list(spec.metrics) if spec is not None else [f for f, s in FIELDS.items() if s.kind == "metric"]
        out += [f for f in fields if f not in out]
    return out


def header(metrics: Sequence[str]) -> list[str]:
    quantities = [*metrics, *COMPUTE_COLUMNS]
    return [*LEAD_COLUMNS, *quantities, *TAIL_COLUMNS, *(f"{q}_alternatives" for q in quantities), "pdf_link",
            ROW_STATE, CELL_STATE]


def _year(arxiv_id: str) -> str:
    try:
        return str(parse_id(arxiv_id).year_month[0])
    except InvalidIdError:
        return ""


def sheet_row(r: SheetRow, *, title: str = "", link: str = "", unjoined: Mapping[str, str] | None = None
              ) -> dict[str, object]:
    """One CSV row of the sheet. ``unjoined`` maps a cell's candidate id (or added fact's key) to why
    ``build`` puts its reviewed fact in no dataset row; the row's ``unjoined`` cell lists them."""
    out: dict[str, object] = {"paper": r.arxiv_id, "version": r.version, "title": title, "year": _year(r.arxiv_id),
                              "benchmark": r.benchmark, "model": r.model,
                              "status": REVIEWED if r.reviewed else PENDING, "pdf_link": link,
                              ROW_STATE: r.row_state, CELL_STATE: r.cell_state}
    evidence: list[str] = []
    for col, c in r.cells.items():
        out[col] = format_value(c.value)
        alts = c.alternatives()
        if alts:
            out[f"{col}_alternatives"] = " | ".join(f"{format_value(v)}@{p}" for v, p in alts)
        if c.value is not None:
            snip = " ".join(c.snippet.split())
            snip = snip[:SNIPPET_CHARS - 1] + "…" if len(snip) > SNIPPET_CHARS else snip
            evidence.append(f"{col} p{c.page}: {snip}" if snip else f"{col} p{c.page}")
    out["evidence"] = " | ".join(evidence)
    why = [f"{col}: {unjoined[c.state_key]}" for col, c in r.cells.items() if unjoined and c.state_key in unjoined]
    out["unjoined"] = " | ".join(why)
    return out


def unjoined_reasons(home: Home) -> dict[str, str]:
    """Why ``build`` would put a reviewed fact in no row, by candidate id (``add:<fact key>`` for added facts)."""
    from flopmine.analysis.build import unjoined_in_home

    table = unjoined_in_home(home)
    return {(r.candidate_id or f"add:{r.fact_key}"): r.reason for r in table.itertuples(index=False)}


@dataclass(frozen=True)
class SheetExportReport:
    files: tuple[Path, ...]
    rows: int
    pending: int  # rows with a cell to decide
    papers: int


def export_sheet(conn: sqlite3.Connection, home: Home, out_dir: Path | None = None, *,
                 benchmark: str | None = None, per_paper: bool = False, bom: bool = True,
                 slot_rank: int | None = DEFAULT_SLOT_RANK, papers: set[str] | None = None,
                 progress: Callable[[int, int, str], None] | None = None) -> SheetExportReport:
    """Write the row sheets: ``<out_dir>/<benchmark>.csv`` (``per_paper``: ``<arxiv id>.csv``).

    ``out_dir`` defaults to ``<home>/review-rows``. One paper at a time, as ``review.export``.
    """
    out_dir = export_dir(home, out_dir, DEFAULT_SHEET_DIR, slot_rank)
    refresh(conn, home)
    unjoined = unjoined_reasons(home)
    n_rows = pending = n_papers = 0
    ids = [p for p in active_papers(conn) if papers is None or p[0] in papers]
    with _SheetFiles(out_dir, [], bom) as files:
        for i, (arxiv_id, version) in enumerate(ids, 1):
            rows = [r for r in load_paper_rows(conn, arxiv_id, version, slot_rank=slot_rank)
                    if benchmark is None or r.benchmark == benchmark]
            if rows:
                n_papers += 1
                link = paper_link(conn, home, arxiv_id, version)
                title = paper_titles(conn, [arxiv_id]).get(arxiv_id, "")  # as build titles its rows
                paper_header = header(metric_columns(sorted({r.benchmark for r in rows if r.benchmark})))
                for r in rows:
                    if per_paper:
                        name, columns = arxiv_id.replace("/", "_") + ".csv", paper_header
                    else:
                        name = f"{r.benchmark}.csv" if r.benchmark else NO_BENCHMARK_FILE
                        columns = header(metric_columns([r.benchmark] if r.benchmark else []))
                    files.write_with(name, columns, sheet_row(r, title=title, link=link,
                                                              unjoined=unjoined))
                n_rows += len(rows)
                pending += sum(1 for r in rows if not r.reviewed)
            if progress is not None:
                progress(i, len(ids), arxiv_id)
        written = files.names()
    return SheetExportReport(tuple(out_dir / n for n in written), n_rows, pending, n_papers)


class _SheetFiles(CsvFiles):
    """``review.export``'s streamed, atomically renamed CSVs, each file with its own header."""

    def write_with(self, name: str, columns: list[str], row: dict[str, object]) -> None:
        if name not in self._writers:
            self.header = columns  # read when the file is opened, on its first row
        self.write(name, row)


# ---------------------------------------------------------------- import: the sheet's difference → decisions


def parse_cell(field_name: str, text: str) -> tuple[float | str | None, int | None]:
    """A cell as (value, page): ``76.3``, ``76.3@7`` or ``76.3 @ p7`` (empty → (None, None)).

    >>> parse_cell("top1_acc", "76.3@7"), parse_cell("flops", "1.13E+10"), parse_cell("hardware", "")
    ((76.3, 7), (11300000000.0, None), (None, None))
    """
    s = text.strip()
    if not s:
        return None, None
    m = _AT_PAGE.match(s)
    page = None
    if m is not None and m["value"]:
        s, page = m["value"], int(m["page"])
    return parse_value(field_name, s), page


class _Gen:
    """Appends candidate-sheet rows generated from one sheet line, each with the sheet column it came from.

    ``model``: the row without a model was named; its accepted and corrected values move to that model
    (a retarget, ``review.validate``), its rejected ones stay where they were.
    """

    def __init__(self, out: list[tuple[dict[str, str], int, str]], line: int, model: str = "") -> None:
        self.out, self.line, self.model = out, line, model

    def candidate(self, a: Attached, decision: str, column: str, *, corrected: float | str | None = None,
                  base: Mapping[str, str]) -> None:
        row = {"candidate_id": a.candidate.candidate_id, "decision": decision,
               "corrected_value": format_value(corrected) if corrected is not None else "",
               "exported_decision": exported_state(a.decision), **base}
        if self.model and decision != REJECT:
            row["model"] = self.model
        self.out.append((row, self.line, column))


def _row_model(cells: Mapping[str, str], aid: str, nm: str, renames: Renames) -> tuple[str, str, str | None]:
    """(the row's model now, a model that the row without one is given, a problem) from its model cell.

    A named row's new name is a rename (``sheet_renames`` records it); a rename someone made since the
    export moves the row, and a different new name in the sheet is then a conflict.
    """
    cell = cells.get("model")
    new = normalise_model(cell) if cell is not None else None
    if not nm:
        return "", (cell or "").strip() if new else "", None
    r = renames.get((aid, nm))
    if r is None:
        if new is None or new == nm:
            return nm, "", None
        return nm, "", rename_problem(nm, cell or "")
    now = normalise_model(renamed_model(renames, aid, r.old_model))
    if new is not None and new not in (nm, now):
        return now, "", (f"renamed to {r.new_model!r} by {r.reviewer or 'someone'} at {r.decided_at or '?'} since "
                         "this file was exported; export again, or restore the name")
    return now, "", None


def sheet_renames(sheet: Sheet, conn: sqlite3.Connection, *, reviewer: str = "") -> tuple[list[Rename], list[Problem]]:
    """The model renames a row sheet asks for (a named row's model cell changed), and conflicting ones."""
    found: dict[tuple[str, str], tuple[int, Rename]] = {}
    problems: list[Problem] = []
    name = Path(sheet.source).name
    for line, cells in sheet.rows:
        m = _ROW_STATE.match(cells.get(ROW_STATE, ""))
        if m is None or not m["model"] or "model" not in cells:
            continue
        aid, nm, new = m["paper"], m["model"], cells["model"].strip()
        if normalise_model(new) == nm or rename_problem(nm, new) is not None:
            continue
        if (aid, nm) in cached_renames(conn, aid):
            continue  # recorded already, or someone else's since the export (a conflict, see _row_model)
        r = Rename(aid, nm, new, cells.get("reviewer") or reviewer, "", cells.get("note", ""), f"{name}:{line}")
        first = found.setdefault(r.key, (line, r))
        if normalise_model(first[1].new_model) != normalise_model(new):
            problems.append(Problem(sheet.source, line, "model", f"renames {nm!r} to {new!r}, but line {first[0]} "
                                                                 f"to {first[1].new_model!r}; keep one"))
    return [r for _, r in found.values()], problems


def _header_names_row_state(path: Path) -> bool:
    """Whether a file's first line has the ``row_state`` column (a cheap look before reading it whole)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return False
    encoding = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    return ROW_STATE in head.decode(encoding, errors="ignore").split("\n", 1)[0].lower()


def row_sheet_renames(conn: sqlite3.Connection, paths: Sequence[Path | str], *, reviewer: str = "") -> list[Rename]:
    """``sheet_renames`` of the row sheets among ``paths`` (``review import``'s renames, written with its
    decisions in one transaction)."""
    from .validate import read_sheet

    out: list[Rename] = []
    for path in paths:
        if not _header_names_row_state(Path(path)):
            continue  # a candidate sheet: not read twice
        sheet = read_sheet(path)
        if sheet.rows and ROW_STATE in sheet.rows[0][1]:
            out += sheet_renames(sheet, conn, reviewer=reviewer)[0]
    return out


def _seen_decided(a: Attached, decision: str, corrected: float | str | None = None) -> bool:
    """Whether ``a`` already holds this decision (nothing to write)."""
    d = a.decision
    if d is None or d.decision != decision:
        return False
    return decision != CORRECT or same_value(d.corrected_value, corrected)


def _match_member(cell: Cell, column: str, value: float | str) -> Attached | None:
    """The slot's candidate stating ``value`` (as ``column`` states it), best first."""
    want = canonical_value(column, value)
    for a in cell.members:
        if same_value(canonical_value(a.candidate.field, a.candidate.value), want):
            return a
    return None


def _edit_cell(cell: Cell, column: str, value: float | str, gen: _Gen, base: Mapping[str, str]) -> str | None:
    """Decisions for a cell changed to ``value``; a problem message when the sheet cannot say it."""
    hit = _match_member(cell, column, value)
    settled = [a for a in cell.members if a.decision is not None and a.decision.decision in FACT_DECISIONS]
    if hit is not None:
        if not _seen_decided(hit, ACCEPT):
            gen.candidate(hit, ACCEPT, column, base=base)
        for a in settled:
            if a is not hit:
                gen.candidate(a, REJECT, column, base=base)
        return None
    if cell.added is not None and cell.shown is None and not cell.members:
        return (f"shows an added fact ({format_value(cell.value)}); the sheet cannot change it yet: correct it "
                "in the candidate sheet or the browser, or leave the cell as it was")
    target = cell.shown or (settled[0] if settled else (cell.members[0] if cell.members else None))
    if target is None:
        return None  # only added facts here; the caller adds the new value
    corrected = _as_column(column, value, target.candidate.field)
    if not _seen_decided(target, CORRECT, corrected):
        gen.candidate(target, CORRECT, column, corrected=corrected, base=base)
    for a in settled:
        if a is not target:
            gen.candidate(a, REJECT, column, base=base)
    return None


def _clear_cell(cell: Cell, column: str, gen: _Gen, base: Mapping[str, str]) -> str | None:
    if cell.added is not None:
        return (f"shows an added fact ({format_value(cell.value)}); the sheet cannot withdraw it yet: leave the "
                "cell as it was")
    for a in cell.members:
        if not _seen_decided(a, REJECT):
            gen.candidate(a, REJECT, column, base=base)
    return None


def sheet_decisions(sheet: Sheet, conn: sqlite3.Connection, *, reviewer: str = "",
                    any_paper: bool = False) -> tuple[list[Decision], list[Problem]]:
    """The decisions a row sheet's difference from its export makes, validated like candidate rows.

    Problems name the sheet's own line and column. A cell that the reviewer changed and whose slot was
    decided since the export is a conflict (nothing of it is applied). Rows missing from the file are
    deleted rows when the paper's rows are the same as at the export, else a problem.
    """
    src = sheet.source
    problems: list[Problem] = []
    generated: list[tuple[dict[str, str], int, str]] = []  # (candidate-sheet row, sheet line, sheet column)
    current: dict[tuple[str, int, int], list[SheetRow]] = {}
    groups: dict[tuple[str, int, int, str], tuple[int, str, set[str]]] = {}  # → (first line, rows digest, models)

    def rows_now(aid: str, version: int, rank: int) -> list[SheetRow]:
        if (aid, version, rank) not in current:
            current[(aid, version, rank)] = load_paper_rows(conn, aid, version, slot_rank=rank or None)
        return current[(aid, version, rank)]

    for line, cells in sheet.rows:
        state = cells.get(ROW_STATE, "")
        if not state:
            _added_row(cells, line, src, generated, problems)
            continue
        m = _ROW_STATE.match(state)
        if m is None:
            problems.append(Problem(src, line, ROW_STATE, f"not written by flopmine export ({state!r}); restore it "
                                                          "from the exported file, or clear it for an added row"))
            continue
        aid, version, rank, nm = m["paper"], int(m["version"]), int(m["rank"]), m["model"]
        bench = "" if m["benchmark"] == "-" else m["benchmark"]
        groups.setdefault((aid, version, rank, bench), (line, m["rows"], set()))[2].add(nm)
        problems += _sheet_row(cells, line, src, m["status"] == "r", aid, version, bench, nm,
                               rows_now(aid, version, rank), conn, generated)
    for (aid, version, rank, bench), (first, digest, nms) in groups.items():
        if _digest(*sorted(nms)) == digest:
            continue  # every row exported is in the file (rows renamed or added since are not deletions)
        rows = [r for r in rows_now(aid, version, rank) if r.benchmark == bench]
        missing = [r for r in rows if r.nm not in nms]
        if not missing:
            continue
        if _digest(*sorted(r.nm for r in rows)) != digest:
            problems.append(Problem(src, first, ROW_STATE, f"rows of {aid} ({bench or 'no benchmark'}) are missing, "
                                                           "but its rows changed since this file was exported; export "
                                                           f"again, or write {DELETE!r} in status instead of deleting"))
            continue
        gen = _Gen(generated, first)
        for r in missing:
            for c in r.own_cells():
                _clear_cell(c, "status", gen, {})
    decisions, more = _validate_generated(generated, conn, src, reviewer=reviewer, any_paper=any_paper)
    return decisions, sorted(set(problems + more + sheet_renames(sheet, conn, reviewer=reviewer)[1]))


def _exported_value(conn: sqlite3.Connection, key: str) -> float | str | None:
    """The value a cell showed at export, from the key ``cell_state`` recorded (None: empty or unknown)."""
    if not key:
        return None
    d = cached_decision(conn, key)
    if d is not None and d.decision in FACT_DECISIONS:
        return d.final_value
    c = find_candidate(conn, key)
    return c.value if c is not None else None


def _sheet_row(cells: Mapping[str, str], line: int, src: str, was_reviewed: bool, aid: str, version: int,
               bench: str, nm: str, rows: Sequence[SheetRow], conn: sqlite3.Connection,
               generated: list[tuple[dict[str, str], int, str]]) -> list[Problem]:
    """One exported row: its read-only cells checked, its changed cells turned into generated rows."""
    problems = _read_only(cells, aid, version, bench, line, src)
    if problems:
        return problems
    base = {k: cells.get(k, "") for k in ("reviewer", "note", "force")}
    shown_states = _cell_states_shown(cells.get(CELL_STATE, ""))
    exported = {col: (key, digest) for col, (key, digest, _) in shown_states.items()}
    status = cells.get("status", "").strip().lower()
    if status and status not in STATUSES:
        return [Problem(src, line, "status", f"unknown status {cells['status']!r}; write {REVIEWED!r}, "
                                             f"{DELETE!r} or leave it")]
    status_changed = bool(status) and status != (REVIEWED if was_reviewed else PENDING)
    now_nm, retarget, why = _row_model(cells, aid, nm, cached_renames(conn, aid))
    if why is not None:
        return [Problem(src, line, "model", why)]
    now = next((r for r in rows if r.benchmark == bench and r.nm == now_nm), None)
    gen = _Gen(generated, line, retarget)
    if now is None:
        changed = status_changed or any(
            _differs(cells.get(col, ""), col, _shown_at_export(col, shown_states.get(col), conn))
            for col in exported
            if col in cells) or any(cells[k].strip() for k in cells if k in FIELDS and k not in exported)
        return [Problem(src, line, ROW_STATE, "this row is no longer exported (its paper's facts changed since "
                                              "this file was exported); export again")] if changed else []
    if status == DELETE and status_changed:
        for c in now.own_cells():
            if exported.get(c.column, ("", ""))[1] != c.digest:
                problems.append(_conflict(src, line, "status", c))
            else:
                _clear_cell(c, "status", gen, base)
        return problems
    if retarget:  # the row without a model, named: its untouched values are that model's
        for col, c in now.cells.items():
            if c.key.model or c.shown is None or _differs(cells.get(col, format_value(c.value)), col, c.value):
                continue
            if exported.get(col, ("", ""))[1] != c.digest:
                problems.append(_conflict(src, line, "model", c))
            elif not (c.shown.decision is not None and c.shown.decision.final_model == retarget):
                gen.candidate(c.shown, ACCEPT, col, base=base)
    for col in [k for k in cells if k in FIELDS]:
        cell = now.cells.get(col)
        fresh = cell is not None and exported.get(col, ("", ""))[1] == cell.digest
        try:
            value, page = parse_cell(col, cells[col])
        except ValueError as e:
            problems.append(Problem(src, line, col, str(e)))
            continue
        # the reviewer's change is against what this file showed (the value behind its cell_state key), so
        # a cell left as exported decides nothing, whatever happened to its slot since
        before = _shown_at_export(col, shown_states.get(col), conn)
        if not _differs(cells[col], col, before):
            if status == REVIEWED and status_changed and cell is not None and cell.shown is not None \
                    and cell.shown.decision is None:
                if not fresh:
                    problems.append(_conflict(src, line, "status", cell))
                else:
                    gen.candidate(cell.shown, ACCEPT, col, base={**base, _IMPLICIT: "1"})
            continue
        if cell is not None and not fresh:
            problems.append(_conflict(src, line, col, cell))
            continue
        if cell is None and col in exported:
            problems.append(Problem(src, line, col, "its fact slot changed since this file was exported; export "
                                                    "again, or leave this cell as it was"))
            continue
        if value is None:
            why = _clear_cell(cell, col, gen, base) if cell is not None else None
        else:
            pair = cell or next((c for k, c in now.cells.items() if slot_field(k) == slot_field(col)
                                 and exported.get(k, ("", ""))[1] == c.digest), None)
            if pair is not None and pair.key.model == "" and nm and _match_member(pair, col, value) is None:
                pair = None  # a new value in a paper-level cell shown under a model: that model's own fact
            why = _edit_cell(pair, col, value, gen, base) if pair is not None and pair.members else "add"
            if why == "add":
                why = _add(generated, line, col, value, page, aid, version, bench, cells.get("model", now.model), base)
        if why:
            problems.append(Problem(src, line, col, why))
    return problems


def _differs(text: str, column: str, shown: float | str | None) -> bool:
    """Whether a cell's text says something else than the value exported (an unreadable cell differs)."""
    try:
        value, _ = parse_cell(column, text)
    except ValueError:
        return True
    if value is None or shown is None:
        return (value is None) != (shown is None)
    return not same_value(value, shown)


def _cell_states(text: str) -> dict[str, tuple[str, str]]:
    """``cell_state`` as {column: (key, digest)} (unreadable parts are left out: their cells count as changed)."""
    return {col: (key, digest) for col, (key, digest, _) in _cell_states_shown(text).items()}


def _cell_states_shown(text: str) -> dict[str, tuple[str, str, str | None]]:
    """``cell_state`` as {column: (key, digest, the text the cell showed, None when not recorded)}."""
    out: dict[str, tuple[str, str, str | None]] = {}
    for part in filter(None, text.split(";")):
        m = _CELL_STATE.match(part.strip())
        if m is not None:
            out[m["field"]] = (m["key"], m["digest"], unquote(m["shown"]) if m["shown"] is not None else None)
    return out


def _shown_at_export(column: str, state: tuple[str, str, str | None] | None,
                     conn: sqlite3.Connection) -> float | str | None:
    """The value a cell showed when its file was written: recorded in ``cell_state``; for a sheet without it,
    looked up behind the cell's key (which follows decisions made since)."""
    if state is None:
        return None
    key, _, shown = state
    if shown is None:
        return _exported_value(conn, key)
    try:
        return parse_cell(column, shown)[0]
    except ValueError:
        return _exported_value(conn, key)


def _conflict(src: str, line: int, column: str, cell: Cell) -> Problem:
    who = [a.decision for a in cell.members if a.decision is not None] + list(cell.adds)
    latest = max(who, key=lambda d: d.decided_at) if who else None
    by = (f" ({latest.decision} by {latest.reviewer or 'someone'} at {latest.decided_at or '?'})"
          if latest is not None else "")
    return Problem(src, line, column, f"its fact slot was decided since this file was exported{by}; export again, "
                                      "or leave this cell as it was")


def _read_only(cells: Mapping[str, str], aid: str, version: int, bench: str, line: int, src: str) -> list[Problem]:
    out: list[Problem] = []
    want = {"paper": aid, "version": str(version), "benchmark": bench}
    for col in READ_ONLY:
        if col not in cells:
            continue
        cell = cells[col].strip()
        ok = cell == want[col]
        if col == "paper" and not ok:
            try:
                ok = parse_id(cell).base == aid
            except InvalidIdError:
                ok = False
        if col == "version" and not ok:
            try:
                ok = float(cell) == version
            except ValueError:
                ok = False
        if not ok:
            out.append(Problem(src, line, col, f"read-only column changed (exported {want[col]!r}, the file has "
                                               f"{cell!r}); restore it, or add a new row for another paper"))
    return out


def _add(gen_rows: list[tuple[dict[str, str], int, str]], line: int, col: str, value: float | str,
         page: int | None, aid: str, version: int | None, bench: str, model: str, base: Mapping[str, str]) -> str | None:
    if page is None:
        return (f"a value the extractor did not find needs its page: write {format_value(value)}@PAGE "
                "(the page where the paper prints it)")
    gen_rows.append(({"decision": ADD, "arxiv_id": aid, "version": str(version or ""),
                      "benchmark": bench if FIELDS[col].kind == "metric" else "", "model": model, "field": col,
                      "value": format_value(value), "page": str(page), **base}, line, col))
    return None


def _added_row(cells: Mapping[str, str], line: int, src: str, generated: list[tuple[dict[str, str], int, str]],
               problems: list[Problem]) -> None:
    """A row the reviewer added: every filled quantity cell is an ``add`` of the row's paper and model."""
    filled = [k for k in cells if k in FIELDS and cells[k].strip()]
    if not filled:
        return
    aid = cells.get("paper", "").strip()
    if not aid:
        problems.append(Problem(src, line, "paper", "required for an added row (the arXiv id)"))
        return
    base = {k: cells.get(k, "") for k in ("reviewer", "note", "force")}
    for col in filled:
        try:
            value, page = parse_cell(col, cells[col])
        except ValueError as e:
            problems.append(Problem(src, line, col, str(e)))
            continue
        assert value is not None
        bench = cells.get("benchmark", "").strip()
        why = _add(generated, line, col, value, page, aid, None, bench, cells.get("model", ""), base)
        if why:
            problems.append(Problem(src, line, col, why))


def _validate_generated(generated: Sequence[tuple[dict[str, str], int, str]], conn: sqlite3.Connection, src: str, *,
                        reviewer: str, any_paper: bool) -> tuple[list[Decision], list[Problem]]:
    """Run the candidate sheet's validation on each generated row; problems keep the sheet's line and column."""
    decisions: dict[str, Decision] = {}
    problems: list[Problem] = []
    name = Path(src).name
    explicit = {row.get("candidate_id") for row, _, _ in generated if not row.get(_IMPLICIT)}
    for row, line, col in generated:
        if row.pop(_IMPLICIT, "") and row.get("candidate_id") in explicit:
            continue  # a reviewed row's untouched cell shows a candidate that another row's cell decides
        ds, ps = validate_rows([row], conn, src, lines=[line], reviewer=reviewer, any_paper=any_paper, sheet=True)
        for p in ps:
            column = p.column if p.column in ("file", "arxiv_id", "model", "benchmark") else col
            if p.column == "arxiv_id":
                column = "paper"
            problems.append(Problem(src, line, column, p.message))
        for d in ds:
            first = decisions.get(d.key)
            if first is None:
                decisions[d.key] = d
            elif not first.same_verdict(d):
                problems.append(Problem(src, line, col, f"decides {d.candidate_id or 'an added fact'} differently "
                                                        f"from line {first.line}; keep one"))
            assert d.source == f"{name}:{line}"
    # one slot given two values: reported here in the sheet's columns (review.slots would name the
    # candidate sheet's), and those lines left out so that the import's own check finds nothing more
    columns: dict[tuple[int, str], str] = {}
    for row, line, col in generated:
        columns.setdefault((line, row.get("candidate_id") or f"add:{row.get('field')}"), col)
    twice = slot_conflicts(list(decisions.values()), [src])
    for p in twice:
        here = [d for d in decisions.values() if d.line == p.line and f"slot {slot_of(d)} " in p.message
                and f"({format_value(canonical_value(d.final_field, d.final_value))} here" in p.message]
        col = columns.get((p.line, here[0].candidate_id or f"add:{here[0].field}")) if here else None
        problems.append(Problem(src, p.line, col or p.column, p.message))
    return drop_lines(list(decisions.values()), twice), problems
