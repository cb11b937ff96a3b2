"""Export review CSVs that open cleanly in LibreOffice and Excel: one file per benchmark.

Rows are grouped by paper, then fact slot (see ``review.slots``): the top ``top`` candidates of each
slot (default 3), best rank first, with ``slot_rest`` counting the candidates left out (``top=None``,
``--all``, shows them all). Decided rows come prefilled with their decision (also one carried over
from an older paper version); ``status`` says ``superseded`` for a candidate whose sibling was
accepted or corrected. Text cells that a spreadsheet would run as a formula get a leading ``'``
(import strips it again).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flopmine.config import Home, write_csv_atomic
from flopmine.errors import ReviewError
from flopmine.ids import ArxivId
from flopmine.types import Candidate

from .annotations import PAPER_FACTS_FILE
from .decision import EXPORTED_COLUMN, REVIEW_COLUMNS, exported_state, format_value
from .slots import DEFAULT_SLOT_RANK, DEFAULT_TOP, ShownRow, build_slots, shown_rows, shown_slots
from .store import Attached, active_candidates, active_versions, attach, sync

log = logging.getLogger(__name__)

DEFAULT_EXPORT_DIR = "review"  # under the home directory
# Columns written after ``REVIEW_COLUMNS``: the candidate's fact slot (import ignores them).
SLOT_COLUMNS: tuple[str, ...] = ("slot", "slot_position", "slot_rest", "status")


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


def pdf_link(conn: sqlite3.Connection, home: Home, c: Candidate) -> str:
    """Link to the evidence page: the harvested PDF when present, else arXiv (``…#page=N``).

    >>> # file:///data/pdfs/1512.03385v1.pdf#page=4   or   https://arxiv.org/pdf/1512.03385v1#page=4
    """
    aid = ArxivId(c.arxiv_id, c.version or None)
    page = f"#page={c.page}" if c.page > 0 else ""
    row = conn.execute("SELECT path FROM pdfs WHERE arxiv_id = ? AND version = ? AND status = 'ok'",
                       (c.arxiv_id, c.version)).fetchone()
    candidates = [home.pdf_dir / row["path"]] if row is not None and row["path"] else []
    candidates.append(home.pdf_dir / aid.filename())
    # PDFs extracted from a folder outside the home (``flopmine extract papers/``) are linked where they lie
    source = conn.execute("SELECT source_path FROM extractions WHERE arxiv_id = ? AND version = ?",
                          (c.arxiv_id, c.version)).fetchone()
    if source is not None and source["source_path"]:
        candidates.append(Path(source["source_path"]))
    for path in candidates:
        if path.is_file():
            return path.resolve().as_uri() + page
    return f"https://arxiv.org/pdf/{quote(str(aid), safe='/.')}{page}"


def review_row(conn: sqlite3.Connection, home: Home, a: Attached, shown: ShownRow | None = None) -> dict[str, object]:
    """One export row: the candidate's evidence plus its current decision (if any) and its slot."""
    c, d = a.candidate, a.decision
    row: dict[str, object] = {
        "candidate_id": c.candidate_id, "arxiv_id": c.arxiv_id, "version": c.version, "benchmark": c.benchmark,
        "model": c.model, "field": c.field, "value": format_value(c.value), "unit": c.unit, "page": c.page,
        "pdf_link": pdf_link(conn, home, c), "snippet": c.snippet, "raw": c.raw,
        "confidence": round(c.confidence, 3), "rank": c.rank, "rule": c.rule, "flags": ",".join(c.flags),
        "decision": "", "corrected_value": "", "reviewer": "", "note": "", "decided_at": "",
        EXPORTED_COLUMN: exported_state(d),  # what this row showed; import compares it with the file and the ledger
    }
    if d is not None:
        row.update(decision=d.decision, corrected_value=format_value(d.corrected_value), reviewer=d.reviewer,
                   note=d.note, decided_at=d.decided_at + (f" (v{d.version})" if a.carried_over else ""))
    if shown is not None:
        row.update(slot=str(shown.slot.key), slot_position=shown.position, slot_rest=shown.rest or "",
                   status=shown.state)
    return row


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
    """
    out_dir = Path(out_dir) if out_dir is not None else home.root / DEFAULT_EXPORT_DIR
    if out_dir.resolve() == home.annotations_dir.resolve():
        raise ReviewError(f"refusing to export into the annotations directory {out_dir} "
                          "(review CSVs would replace the reviewed facts); choose another --out")
    if top is not None and top < 1:
        raise ReviewError(f"--top must be at least 1 (got {top}); use --all to show every candidate")
    if slot_rank is not None and slot_rank < 1:
        raise ReviewError(f"--slot-rank must be at least 1 (got {slot_rank}); use --all to show every slot")
    decisions = sync(conn, home)
    candidates = active_candidates(conn, benchmark)
    if papers is not None:
        candidates = [c for c in candidates if c.arxiv_id in papers]
    attached, _ = attach(candidates, decisions, active_versions(conn))
    slots = build_slots(attached)
    shown = shown_rows(slots, top, pending_only=pending_only, slot_rank=slot_rank)
    groups: dict[str, list[ShownRow]] = {}
    for r in shown:
        c = r.attached.candidate
        name = f"{c.benchmark}.csv" if c.benchmark else PAPER_FACTS_FILE
        groups.setdefault(name, []).append(r)
    files: list[Path] = []
    total = len(shown)
    done = 0
    for name in sorted(groups):
        rows = []
        for r in groups[name]:
            rows.append(review_row(conn, home, r.attached, r))
            done += 1
            if progress is not None:
                progress(done, total, r.attached.candidate.arxiv_id)
        target = out_dir / name
        write_csv_atomic(target, [*REVIEW_COLUMNS, *SLOT_COLUMNS], rows, bom=bom, line_terminator="\r\n")
        files.append(target)
        log.debug("wrote %s (%d rows)", target, len(rows))
    pending = sum(1 for r in shown if r.state == "pending")
    hidden = sum(r.rest for r in shown)
    n_slots = len({r.slot.key for r in shown})
    hidden_slots = len(slots) - len(shown_slots(slots, slot_rank))
    return ExportReport(tuple(files), total, pending, hidden, n_slots, len({r.slot.key.paper for r in shown}),
                        hidden_slots)
