"""Export review CSVs that open cleanly in LibreOffice and Excel: one file per benchmark.

Rows are grouped by paper, then fact slot (see ``review.slots``): the top ``top`` candidates of each
slot (default 3), best rank first, with ``slot_rest`` counting the candidates left out (``top=None``,
``--all``, shows them all). Decided rows come prefilled with their decision (also one carried over
from an older paper version); ``status`` says ``superseded`` for a candidate whose sibling was
accepted or corrected. Text cells that a spreadsheet would run as a formula get a leading ``'``
(import strips it again).

Which candidates are offered at all, and which rows are pending, is ``review.offer.paper_view``, the
definition ``review status`` counts with: a metric candidate without a benchmark, or not the paper's
benchmark's, is left out and counted in the report (``ExportReport.left_out``). Facts added by hand
(decision ``add``) follow their paper's candidates, marked ``added``: importing them unchanged changes nothing.
"""

from __future__ import annotations

import csv
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_from_bytes

from flopmine.config import Home, atomic_path, neutralise_cell
from flopmine.errors import ReviewError
from flopmine.ids import ArxivId
from flopmine.types import Candidate

from .annotations import PAPER_FACTS_FILE
from .decision import ADD, EXPORTED_COLUMN, FORCE, REVIEW_COLUMNS, Decision, exported_state, format_value
from .offer import paper_view, stored_paper_benchmarks
from .renames import Rename, Renames, renamed_model
from .slots import DEFAULT_SLOT_RANK, DEFAULT_TOP, ShownRow, shown_slots, slot_of
from .store import Attached, added_facts, attach, cached_renames, candidate_order, refresh

log = logging.getLogger(__name__)

DEFAULT_EXPORT_DIR = "review"  # under the home directory
# Columns written after ``REVIEW_COLUMNS``: the candidate's fact slot (import ignores them).
SLOT_COLUMNS: tuple[str, ...] = ("slot", "slot_position", "slot_rest", "status")
ADDED = "added"  # the status of a fact a reviewer added by hand


@dataclass(frozen=True)
class ExportReport:
    """Files written by ``export`` and how many rows they hold."""

    files: tuple[Path, ...]
    rows: int
    pending: int
    hidden: int = 0  # candidates left out of their slot's top (``top``); 0 with ``top=None``
    slots: int = 0  # fact slots in the files
    papers: int = 0
    hidden_slots: int = 0  # slots left out (their best candidate ranks below ``slot_rank`` in its field)
    left_out: tuple[tuple[str, int], ...] = ()  # (reason, candidates) not offered, see ``review.offer``
    added: int = 0  # rows of facts added by hand


def pdf_link(conn: sqlite3.Connection, home: Home, c: Candidate) -> str:
    """Link to the evidence page: the harvested PDF when present, else arXiv (``…#page=N``).

    >>> # file:///data/pdfs/1512.03385v1.pdf#page=4   or   https://arxiv.org/pdf/1512.03385v1#page=4
    """
    return paper_link(conn, home, c.arxiv_id, c.version) + (f"#page={c.page}" if c.page > 0 else "")


def paper_link(conn: sqlite3.Connection, home: Home, arxiv_id: str, version: int) -> str:
    """``pdf_link`` without the page: the harvested PDF's ``file://`` URI when present, else arXiv's URL."""
    aid = ArxivId(arxiv_id, version or None)
    row = conn.execute("SELECT path FROM pdfs WHERE arxiv_id = ? AND version = ? AND status = 'ok'",
                       (arxiv_id, version)).fetchone()
    # os.path, not pathlib: Python 3.11's pathlib interns every path part it parses, so one Path per
    # paper would keep every paper's file name for the life of the process
    pdf_dir = os.fspath(home.pdf_dir)
    candidates = [os.path.join(pdf_dir, row["path"])] if row is not None and row["path"] else []
    candidates.append(os.path.join(pdf_dir, aid.filename()))
    # PDFs extracted from a folder outside the home (``flopmine extract papers/``) are linked where they lie
    source = conn.execute("SELECT source_path FROM extractions WHERE arxiv_id = ? AND version = ?",
                          (arxiv_id, version)).fetchone()
    if source is not None and source["source_path"]:
        candidates.append(source["source_path"])
    for path in candidates:
        if os.path.isfile(path):
            return "file://" + quote_from_bytes(os.fsencode(os.path.realpath(path)))  # = Path.resolve().as_uri()
    return f"https://arxiv.org/pdf/{quote(str(aid), safe='/.')}"


def review_row(conn: sqlite3.Connection, home: Home, a: Attached, shown: ShownRow | None = None, *,
               link: str | None = None, renames: Renames | None = None) -> dict[str, object]:
    """One export row: the candidate's evidence plus its current decision (if any) and its slot.

    ``link`` is the paper's ``paper_link`` when the caller has it (one look-up per paper, not per row).
    The model, benchmark and field cells show the fact's names as reviewed: a retargeting decision's,
    else the candidate's with the paper's model ``renames``; import reads an edit of them as a retarget.
    """
    c, d = a.candidate, a.decision
    row: dict[str, object] = {
        "candidate_id": c.candidate_id, "arxiv_id": c.arxiv_id, "version": c.version, "benchmark": c.benchmark,
        "model": c.model, "field": c.field, "value": format_value(c.value), "unit": c.unit, "page": c.page,
        "pdf_link": pdf_link(conn, home, c) if link is None else link + (f"#page={c.page}" if c.page > 0 else ""), "snippet": c.snippet, "raw": c.raw,
        "confidence": round(c.confidence, 3), "rank": c.rank, "rule": c.rule, "flags": ",".join(c.flags),
        "decision": "", "corrected_value": "", "reviewer": "", "note": "", "decided_at": "",
        EXPORTED_COLUMN: exported_state(d),  # what this row showed; import compares it with the file and the ledger
    }
    if d is not None and d.is_retarget:
        row.update(model=d.final_model, benchmark=d.final_benchmark, field=d.final_field)
    elif renames:
        row["model"] = renamed_model(renames, c.arxiv_id, c.model)
    if d is not None:
        row.update(decision=d.decision, corrected_value=format_value(d.corrected_value), reviewer=d.reviewer,
                   note=d.note, decided_at=d.decided_at + (f" (v{d.version})" if a.carried_over else ""))
    if shown is not None:
        row.update(slot=str(shown.slot.key), slot_position=shown.position, slot_rest=shown.rest or "",
                   status=shown.state)
    return row


def added_row(conn: sqlite3.Connection, home: Home, d: Decision, *, link: str | None = None) -> dict[str, object]:
    """The export row of a fact added by hand: decision ``add`` prefilled, status ``added``. Imported unchanged
    it is the same fact and decision, so nothing is applied."""
    base = link if link is not None else paper_link(conn, home, d.arxiv_id, d.version)
    return {
        "candidate_id": "", "arxiv_id": d.arxiv_id, "version": d.version, "benchmark": d.benchmark, "model": d.model,
        "field": d.field, "value": format_value(d.value), "unit": d.unit, "page": d.page,
        "pdf_link": base + (f"#page={d.page}" if d.page > 0 else ""), "rule": "added by hand",
        "decision": ADD, "reviewer": d.reviewer, "note": d.note, "force": FORCE if d.forced else "",
        "decided_at": d.decided_at, EXPORTED_COLUMN: exported_state(d), "slot": str(slot_of(d)), "status": ADDED,
    }


def of_benchmark(adds: Sequence[Decision], benchmark: str | None) -> list[Decision]:
    """The added facts an export scoped to ``benchmark`` lists: that benchmark's and the paper-level ones (all
    with None)."""
    return [d for d in adds if benchmark is None or d.benchmark in (benchmark, "")]


def export_dir(home: Home, out_dir: Path | None, default: str, slot_rank: int | None) -> Path:
    """Where an export writes (``default`` under the home when not given), refusing the annotations
    directory and a ``--slot-rank`` below 1: the checks every export sheet shares."""
    out = Path(out_dir) if out_dir is not None else home.root / default
    if out.resolve() == home.annotations_dir.resolve():
        raise ReviewError(f"refusing to export into the annotations directory {out} "
                          "(review CSVs would replace the reviewed facts); choose another --out")
    if slot_rank is not None and slot_rank < 1:
        raise ReviewError(f"--slot-rank must be at least 1 (got {slot_rank}); use --all to show every slot")
    return out


def export(conn: sqlite3.Connection, home: Home, out_dir: Path | None = None, *, benchmark: str | None = None,
           pending_only: bool = False, bom: bool = True, top: int | None = DEFAULT_TOP,
           slot_rank: int | None = DEFAULT_SLOT_RANK, papers: set[str] | None = None,
           progress: Callable[[int, int, str], None] | None = None) -> ExportReport:
    """Write ``<out_dir>/<benchmark>.csv`` (and ``paper_facts.csv`` for paper-level candidates).

    ``out_dir`` defaults to ``<home>/review``. ``top`` candidates per fact slot are written (every
    one with ``None``), for the slots whose best candidate is among the best ``slot_rank`` of its
    field (every slot with ``None``; a slot with a decision is always written); ``pending_only`` leaves out decided and superseded rows. ``papers`` (arXiv ids)
    limits the export to those papers. ``bom`` adds a UTF-8 byte-order mark so Excel reads the file
    as UTF-8. Files are written atomically; an existing file of a benchmark is replaced.

    The store is read one paper at a time, in paper order (its candidates, then the decisions on
    them), and that paper's rows are appended to the open files: memory holds one paper, not the
    store. ``progress`` is called once per paper with (papers done, papers in the store, arXiv id).
    """
    out_dir = export_dir(home, out_dir, DEFAULT_EXPORT_DIR, slot_rank)
    if top is not None and top < 1:
        raise ReviewError(f"--top must be at least 1 (got {top}); use --all to show every candidate")
    refresh(conn, home)  # the decision cache mirrors annotations/ (read per paper below)
    # the model renames by paper, read once before the read transaction (``cached_renames`` checks the
    # schema with a script, which would commit it); reviewers write a few per paper, not one per candidate
    renames_of: dict[str, dict[tuple[str, str], Rename]] = {}
    for key, rename in cached_renames(conn).items():
        renames_of.setdefault(key[0], {})[key] = rename
    header = [*REVIEW_COLUMNS, *SLOT_COLUMNS]
    rows = pending = hidden = n_slots = n_papers = hidden_slots = added = 0
    left_out: dict[str, int] = {}
    snapshot = not conn.in_transaction
    if snapshot:  # one read transaction: every paper sees the same store, even if an import commits meanwhile
        conn.execute("BEGIN")
    try:
        total = len(papers) if papers is not None else conn.execute(
            f"SELECT COUNT(*) FROM ({_ACTIVE_VERSIONS})").fetchone()[0]
        done = 0
        with CsvFiles(out_dir, header, bom) as files:
            for arxiv_id, version in active_papers(conn):
                if papers is not None and arxiv_id not in papers:
                    continue
                done += 1
                candidates = paper_candidates(conn, arxiv_id, version, benchmark)
                if candidates:
                    attached, _ = attach(candidates, paper_decisions(conn, candidates))
                    renames = renames_of.get(arxiv_id, {})
                    adds = added_facts(conn, arxiv_id)
                    view = paper_view(attached, stored_paper_benchmarks(conn, arxiv_id, version), top=top,
                                      slot_rank=slot_rank, pending_only=pending_only, renames=renames, added=adds)
                    shown, slots = view.rows, view.slots
                    additions = [] if pending_only else of_benchmark(adds, benchmark)
                    link = paper_link(conn, home, arxiv_id, version) if shown or additions else None
                    for r in shown:
                        c = r.attached.candidate
                        files.write(f"{c.benchmark}.csv" if c.benchmark else PAPER_FACTS_FILE,
                                    review_row(conn, home, r.attached, r, link=link, renames=renames))
                    for d in additions:
                        files.write(f"{d.benchmark}.csv" if d.benchmark else PAPER_FACTS_FILE,
                                    added_row(conn, home, d, link=link))
                    rows += len(shown) + len(additions)
                    added += len(additions)
                    pending += sum(1 for r in shown if r.state == "pending")
                    hidden += sum(r.rest for r in shown)
                    n_slots += len({r.slot.key for r in shown})
                    n_papers += 1 if shown or additions else 0
                    hidden_slots += len(slots) - len(shown_slots(slots, slot_rank))
                    for why, n in view.left_out.items():
                        left_out[why] = left_out.get(why, 0) + n
                if progress is not None:
                    progress(done, total, arxiv_id)
            written = files.names()
    finally:
        if snapshot and conn.in_transaction:
            conn.rollback()  # nothing was written; ends the read transaction
    targets = tuple(out_dir / name for name in written)
    return ExportReport(targets, rows, pending, hidden, n_slots, n_papers, hidden_slots,
                        tuple(sorted(left_out.items())), added)


# ``store.active_versions`` as SQL: the newest version with an ok extraction or with candidates (unless
# that version's extraction failed), per paper; streamed in paper order instead of held in a dict.
_ACTIVE_VERSIONS = """
SELECT arxiv_id, MAX(version) AS version FROM (
    SELECT arxiv_id, version FROM extractions WHERE status = 'ok'
    UNION ALL
    SELECT DISTINCT c.arxiv_id, c.version FROM candidates c WHERE NOT EXISTS (
        SELECT 1 FROM extractions e WHERE e.arxiv_id = c.arxiv_id AND e.version = c.version AND e.status != 'ok')
) GROUP BY arxiv_id ORDER BY arxiv_id
"""


def active_papers(conn: sqlite3.Connection) -> Iterator[tuple[str, int]]:
    """(arXiv id, newest extracted version) of every paper, in id order, as ``active_versions`` picks them."""
    for r in conn.execute(_ACTIVE_VERSIONS):
        yield r["arxiv_id"], int(r["version"])


_IN_CHUNK = 500  # ids per ``IN (…)`` look-up: well under SQLite's limit on bound variables


def paper_candidates(conn: sqlite3.Connection, arxiv_id: str, version: int,
                     benchmark: str | None = None) -> list[Candidate]:
    """The candidates of one paper version, in ``candidate_order``; ``benchmark`` as ``active_candidates``
    filters it (that benchmark's candidates, plus paper-level ones when the paper is in the benchmark)."""
    rows = conn.execute("SELECT * FROM candidates WHERE arxiv_id = ? AND version = ?", (arxiv_id, version))
    out = [Candidate.from_row(r) for r in rows]
    if benchmark is not None:
        in_benchmark = any(c.benchmark == benchmark for c in out) or conn.execute(
            "SELECT 1 FROM paper_benchmarks WHERE arxiv_id = ? AND benchmark = ?", (arxiv_id, benchmark)
        ).fetchone() is not None
        out = [c for c in out if c.benchmark == benchmark or (not c.benchmark and in_benchmark)]
    return sorted(out, key=candidate_order)


def paper_decisions(conn: sqlite3.Connection, candidates: Sequence[Candidate]) -> list[Decision]:
    """The cached decisions that can attach to ``candidates`` (by candidate id, or by fact key from any
    version), ordered by key as ``cached_decisions`` orders them, so ``attach`` breaks ties the same way."""
    found: dict[str, Decision] = {}
    queries = (("candidate_id", sorted({c.candidate_id for c in candidates}), ""),
               ("fact_key", sorted({c.fact_key for c in candidates}), " AND candidate_id != ''"))
    for column, values, extra in queries:
        for i in range(0, len(values), _IN_CHUNK):
            chunk = values[i:i + _IN_CHUNK]
            sql = f"SELECT * FROM review_decisions WHERE {column} IN ({', '.join('?' * len(chunk))}){extra}"
            for r in conn.execute(sql, chunk):
                found.setdefault(r["key"], Decision.from_row(dict(r)))
    return [found[k] for k in sorted(found)]


class CsvFiles:
    """Review CSVs in one folder, each opened on its first row and written row by row; every file is
    renamed into place when the block ends without an error (atomically, as ``write_csv_atomic``)."""

    def __init__(self, out_dir: Path, header: list[str], bom: bool) -> None:
        self.out_dir, self.header, self.bom = out_dir, header, bom
        self._stack = ExitStack()
        self._writers: dict[str, csv.DictWriter[str]] = {}

    def __enter__(self) -> CsvFiles:
        self._stack.__enter__()
        return self

    def __exit__(self, *exc: object) -> bool | None:
        return self._stack.__exit__(*exc)  # type: ignore[arg-type]

    def write(self, name: str, row: dict[str, object]) -> None:
        writer = self._writers.get(name)
        if writer is None:
            tmp = self._stack.enter_context(atomic_path(self.out_dir / name))
            fh = self._stack.enter_context(tmp.open("w", encoding="utf-8-sig" if self.bom else "utf-8", newline=""))
            writer = csv.DictWriter(fh, fieldnames=self.header, extrasaction="ignore", lineterminator="\r\n")
            writer.writeheader()
            self._writers[name] = writer
            log.debug("writing %s", self.out_dir / name)
        writer.writerow({k: "" if v is None else neutralise_cell(v) for k, v in row.items()})

    def names(self) -> list[str]:
        return sorted(self._writers)
