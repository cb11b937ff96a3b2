"""CLI for the extract stage (thin: parse, call the library, render)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from flopmine.extract import pipeline
from flopmine.extract.queue import write_queue
from flopmine.extract.ranking import model_path_for

from ..config import home_lock
from ..store import connect
from .common import console, log_to_file, progress_bar, state


def extract_command(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(
        help="PDFs or folders of PDFs named <arxiv id>\\[vN].pdf (old-style ids with _ for /). "
        "Default: every harvested PDF not yet extracted with the current rules.", show_default=False)] = None,
    queue: Annotated[Path | None, typer.Option(
        "--queue", help="Review-queue CSV to write (default <home>/queue/queue.csv).", show_default=False)] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", "-w", min=1, help="Worker processes (default: CPU count).", show_default=False)] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Run on a Dask cluster instead, e.g. tcp://10.0.0.5:8786.", show_default=False)] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Re-extract PDFs already extracted with the current rule version.")] = False,
    timeout: Annotated[float, typer.Option(
        "--timeout", min=0, help="Seconds allowed per PDF (0: no limit).")] = pipeline.DEFAULT_TIMEOUT,
    memory: Annotated[float, typer.Option(
        "--memory-gib", min=0, help="Memory cap per worker process in GiB (0: no cap).")]
        = pipeline.DEFAULT_MEMORY_BYTES / 2**30,
    arxiv_id: Annotated[str | None, typer.Option(
        "--id", help="arXiv id for a single PDF whose file name is not one, e.g. --id 1512.03385v1 (without a "
        "version, the PDF's arXiv stamp gives it, as for file names).",
        show_default=False)] = None,
    model: Annotated[Path | None, typer.Option(
        "--model", help="Ranking model file (default: <home>/models/ranker.json when present, else the model "
        "shipped with flopmine); write one with `flopmine ranker train`.", show_default=False)] = None,
) -> None:
    """Extract candidate compute facts from PDFs into the store, and write the review queue.

    PDFs given as PATHs are named <arxiv id>vN.pdf or <arxiv id>.pdf; without vN the version is read from the arXiv stamp on the PDF's first page, and each PDF's own title is kept for the dataset's title column.

    Each PDF runs in a worker process with a time limit and a memory cap; a corrupt, encrypted, text-less (needs_ocr), HTML or oversized PDF gets a status row with the reason, and the batch carries on. The queue CSV lists every candidate of every extracted paper; its reviewer columns (decision, corrected_value, reviewer, note) start empty, and values already filled in are kept across runs.

    Exit codes: 0 all PDFs extracted; 1 some failed (the rest were done and stored); 75 another run holds the home directory.

    Examples: flopmine extract · flopmine extract papers/ --workers 2 · flopmine extract 1512.03385v1.pdf --queue review.csv · flopmine extract --scheduler tcp://127.0.0.1:8786 --force
    """
    st = state(ctx)
    home = st.home
    given: list[pipeline.PaperInput] = []
    if paths:
        # Listed once, before the lock (their store metadata is read by ``run``): nothing readable on the
        # command line is said without creating a home or an empty queue.
        given = pipeline.inputs_from_paths(paths, arxiv_id=arxiv_id)
        if all(item.problem for item in given):
            for item in given:
                console.print(f"[red]error[/] {escape(str(item.path))}: {escape(item.problem)}", highlight=False)
                log_to_file(f"error {item.path}: {item.problem}", level=logging.WARNING)
            raise typer.Exit(1)
    limits = pipeline.Limits(timeout=timeout, memory_bytes=int(memory * 2**30),
                             model_path=model_path_for(home.root, model))
    with home_lock(home, "extract"):
        conn = connect(home.db_path)
        try:
            items = given if paths else pipeline.inputs_from_store(conn, home.pdf_dir)
            with progress_bar("Extracting", enabled=not st.quiet) as progress:
                summary = pipeline.run(conn, items, force=force, workers=workers, scheduler=scheduler,
                                       limits=limits, on_progress=progress)
            queue_path = queue or home.queue_dir / "queue.csv"
            rows = write_queue(conn, queue_path)
        finally:
            conn.close()
    _render(summary, queue_path, rows, quiet=st.quiet)
    raise typer.Exit(1 if summary.failed else 0)


def _render(summary: pipeline.RunSummary, queue_path: Path, rows: int, *, quiet: bool) -> None:
    if not quiet and not summary.results:
        console.print(f"Nothing to extract ({summary.skipped} already extracted with the current rules; "
                      f"--force to redo); review queue: {queue_path} ({rows} rows)", highlight=False)
    elif not quiet:
        table = Table(title="Extract")
        table.add_column("status")
        table.add_column("papers", justify="right")
        for status, n in summary.by_status.items():
            table.add_row(status if status == "ok" else f"[red]{status}[/]", str(n))
        if summary.skipped:
            table.add_row("skipped (already extracted; --force to redo)", str(summary.skipped))
        console.print(table)
        dropped = (f" ({summary.dropped} implausible values dropped: outside their field's plausible range "
                   "or units)") if summary.dropped else ""
        console.print(f"{summary.candidates} candidates from {summary.pages} pages{dropped}; "
                      f"review queue: {queue_path} ({rows} rows)", highlight=False)
    for r in summary.failed:
        console.print(f"[red]{r.status}[/] {escape(str(r.path))}: {escape(r.reason)}", highlight=False)
        log_to_file(f"{r.status} {r.path}: {r.reason}", level=logging.WARNING)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""
    app.command("extract")(extract_command)
