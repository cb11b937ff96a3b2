"""Where the review writes a paper's annotations, for tests: one helper instead of spelled paths."""

from __future__ import annotations

import csv
import subprocess
import sys
import textwrap
from pathlib import Path

from flopmine.review.annotations import (
    fact_file_name,
    ledger_files,
    paper_fact_file,
    paper_ledger_file,
    paper_month,
)


def fact_file(directory: Path, benchmark: str, arxiv_id: str) -> Path:
    """The fact file holding ``arxiv_id``'s facts on ``benchmark`` (``""``: paper-level facts)."""
    return paper_fact_file(directory, arxiv_id, benchmark)


def fact_name(benchmark: str, arxiv_id: str) -> str:
    """That file's name (``imagenet-1512.csv``)."""
    return fact_file_name(benchmark, paper_month(arxiv_id))


def ledger_file(directory: Path, arxiv_id: str) -> Path:
    """The ledger file holding the decisions on ``arxiv_id``'s candidates."""
    return paper_ledger_file(directory, arxiv_id)


def ledger_name(arxiv_id: str) -> str:
    """That file relative to the annotations directory (``decisions/ledger/1512.csv``)."""
    return paper_ledger_file(Path(), arxiv_id).as_posix()


def ledger_rows(directory: Path) -> list[dict[str, str]]:
    """Every row of every ledger file, in file order."""
    out: list[dict[str, str]] = []
    for path in ledger_files(directory):
        with path.open(encoding="utf-8", newline="") as fh:
            out.extend(csv.DictReader(fh))
    return out


def ledger_snapshot(directory: Path) -> dict[str, bytes]:
    """Every ledger file's bytes, by name: equal before and after when nothing was decided."""
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in ledger_files(directory)}


def import_killed_after(home_root: Path, sheet: Path, renames: int) -> subprocess.CompletedProcess[str]:
    """Run ``review.import_files(sheet)`` in a new Python process that dies (``os._exit(9)``, no cleanup)
    when it is about to make its rename number ``renames + 1`` of annotation files: a real crash between
    two renames. Returns the finished process (exit code 9 when it died there)."""
    script = textwrap.dedent(f"""
        import os
        from flopmine import review
        from flopmine.review import annotations as ann
        from flopmine.config import resolve_home
        from flopmine.store import connect
        calls = []
        def dying_replace(src, dst):
            if len(calls) == {renames}:
                os._exit(9)
            calls.append(dst)
            os.replace(src, dst)
        ann._replace = dying_replace
        home = resolve_home({str(home_root)!r})
        review.import_files(connect(home.db_path), home, [{str(sheet)!r}])
    """)
    repo = Path(__file__).resolve().parent.parent.parent
    return subprocess.run([sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, timeout=60)
