"""Review: reviewers accept, reject, correct or add facts in CSV (or the browser); decisions last.

Source of truth is the annotations directory (``Home.annotations_dir``): one fact file per
benchmark and arXiv month plus ``paper_facts-<yymm>.csv`` (what analysis reads, ``ANNOTATION_COLUMNS``)
and the decision ledger ``decisions/ledger/<yymm>.csv`` (every decision, rejects included). The store
only caches it.

Typical use (the CLI and the browser UI are thin layers over these)::

    conn = flopmine.store.connect(home.db_path)
    review.export(conn, home, pending_only=True)                  # CSVs for spreadsheets
    result = review.import_files(conn, home, ["alice.csv"])       # validate all, apply all
    decisions, problems = review.validate_rows(rows, conn, "web")  # one decision from a web form
    # a retarget: {"candidate_id": cid, "decision": "correct", "model": "ResNet-152"} (benchmark, field too)
    review.rename_model(conn, home, "1512.03385", "ResNet", "ResNet-152", "alice")  # all of a paper's facts
    report = review.apply(conn, home, decisions)
    review.status(conn, home).pending
"""

from __future__ import annotations

from .annotations import fact_file_name, load_facts, load_ledger, paper_fact_file, paper_ledger_file, recover
from .apply import ApplyReport, apply
from .decision import (
    DECISIONS,
    FACT_DECISIONS,
    LEDGER_COLUMNS,
    PAPER_LEVEL_FIELDS,
    READ_ONLY_COLUMNS,
    RETARGET_COLUMNS,
    REVIEW_COLUMNS,
    Decision,
)
from .export import ExportReport, export, pdf_link
from .renames import (
    Rename,
    RenameReport,
    apply_renames,
    load_renames,
    paper_models,
    rename_model,
    renamed_model,
)
from .status import FieldStatus, StatusReport, status
from .store import Attached, Orphan, active_candidates, attach, ensure_schema, refresh, sync
from .validate import ImportReport, Problem, import_files, merge, read_sheet, validate_files, validate_rows

__all__ = [
    "DECISIONS", "FACT_DECISIONS", "LEDGER_COLUMNS", "PAPER_LEVEL_FIELDS", "READ_ONLY_COLUMNS", "RETARGET_COLUMNS",
    "REVIEW_COLUMNS",
    "ApplyReport", "Attached", "Decision", "ExportReport", "FieldStatus", "ImportReport", "Orphan", "Problem",
    "Rename", "RenameReport", "StatusReport", "active_candidates", "apply", "apply_renames", "attach",
    "ensure_schema", "export", "fact_file_name", "import_files", "load_facts", "load_ledger", "load_renames",
    "paper_fact_file", "paper_ledger_file",
    "merge", "paper_models", "pdf_link", "read_sheet", "recover", "refresh", "rename_model", "renamed_model",
    "status", "sync",
    "validate_files", "validate_rows",
]
