"""CLI for the review stage (thin: parse, call the library, render)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flopmine.review import export, import_files, status
from flopmine.review.decision import format_value

from ..config import Home
from ..errors import EXIT_ERROR
from ..store import connect
from .common import console, console_err, progress_bar, state

review_app = typer.Typer(
    name="review",
    help="Review extracted facts: export CSVs for spreadsheets and import the decisions, see progress, "
         "or review one candidate at a time in the browser (serve).",
    no_args_is_help=True,
)


def _home(ctx: typer.Context) -> Home:
    return state(ctx).home


@review_app.command("export")
def export_cmd(
    ctx: typer.Context,
    benchmark: Annotated[str | None, typer.Option(
        "--benchmark", "-b", help="Only this benchmark (plus paper-level facts of its papers).")] = None,
    pending_only: Annotated[bool, typer.Option(
        "--pending-only", help="Only candidates without a decision.")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Directory for the CSVs (default <home>/review).", show_default=False)] = None,
    bom: Annotated[bool, typer.Option(
        "--bom/--no-bom", help="Start files with a UTF-8 byte-order mark (Excel needs it for accents).")] = True,
) -> None:
    """Write one review CSV per benchmark (and paper_facts.csv for paper-level facts).

    Rows are grouped by paper then field, best candidate first, with a link to the PDF page;
    decided rows come prefilled. Fill in decision (accept, reject, correct, add), corrected_value,
    reviewer and note, then run `flopmine review import`.

    Example: flopmine review export --benchmark imagenet --pending-only --out ~/review
    """
    home = _home(ctx)
    conn = connect(home.db_path)
    try:
        with progress_bar("exporting", enabled=not state(ctx).quiet) as progress:
            report = export(conn, home, out, benchmark=benchmark, pending_only=pending_only, bom=bom,
                            progress=progress)
    finally:
        conn.close()
    if not report.files:
        console.print("Nothing to export" + (" (no pending candidates)." if pending_only else " (no candidates)."))
        return
    console.print(f"Exported {report.rows} row(s), {report.pending} pending, to:", highlight=False)
    for f in report.files:
        console.print(f"  {f}", highlight=False, soft_wrap=True)


@review_app.command("import")
def import_cmd(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Reviewed CSV files (imported together).", show_default=False)],
    partial: Annotated[bool, typer.Option(
        "--partial", help="Apply the valid rows even if others have problems (exit code stays 1).")] = False,
    reviewer: Annotated[str, typer.Option(
        "--reviewer", "-r", envvar="FLOPMINE_REVIEWER",
        help="Name for rows whose reviewer cell is empty (env FLOPMINE_REVIEWER).")] = "",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; apply nothing.")] = False,
) -> None:
    """Validate every row of every file, then apply all decisions at once to the annotations.

    Any problem is listed as file:line: column: message and nothing is applied (exit code 1),
    unless --partial. Importing the same file twice changes nothing.

    Example: flopmine review import alice.csv bob.csv --reviewer carol
    """
    home = _home(ctx)
    conn = connect(home.db_path)
    try:
        result = import_files(conn, home, files, partial=partial, reviewer=reviewer, dry_run=dry_run)
    finally:
        conn.close()
    for p in result.problems:
        console_err.print(str(p), highlight=False, markup=False, soft_wrap=True)
    if result.report is None:
        console.print(f"Dry run: {result.decisions} valid decision(s) in {result.rows} row(s); nothing applied.")
    elif not result.report.applied:
        console.print(f"Nothing to apply: {len(result.report.unchanged)} decision(s) already recorded "
                      f"({result.rows} row(s) read).")
    else:
        r = result.report
        counts = ", ".join(f"{n} {k}" for k, n in r.counts().items())
        console.print(f"Applied {len(r.applied)} decision(s): {counts}; {len(r.unchanged)} unchanged"
                      + (f"; {len(r.superseded)} older-version decision(s) replaced" if r.superseded else "")
                      + ".", highlight=False)
        console.print(f"Updated in {home.annotations_dir}: {', '.join(r.files)}", highlight=False, soft_wrap=True)
    if result.problems:
        console_err.print(f"Skipped {len(result.problems)} problem(s)"
                          + (" (--partial: only the valid rows were applied)." if partial else "."),
                          highlight=False, markup=False)
        raise typer.Exit(EXIT_ERROR)


@review_app.command("status")
def status_cmd(
    ctx: typer.Context,
    benchmark: Annotated[str | None, typer.Option("--benchmark", "-b", help="Only this benchmark.")] = None,
    papers: Annotated[bool, typer.Option("--papers", help="List every complete and incomplete paper.")] = False,
) -> None:
    """Show decided / pending candidates per benchmark and field, complete papers, orphaned decisions.

    Works from the annotations alone: after deleting the store and re-extracting, decisions
    re-attach by candidate id, or by fact for a new paper version.

    Example: flopmine review status --benchmark imagenet
    """
    home = _home(ctx)
    conn = connect(home.db_path)
    try:
        report = status(conn, home, benchmark=benchmark)
    finally:
        conn.close()
    table = Table("benchmark", "field", "decided", "pending", "carried over", title="Review status")
    for f in report.fields:
        table.add_row(f.benchmark, f.field, str(f.decided), str(f.pending), str(f.carried_over or ""))
    table.add_row("[bold]total", "", f"[bold]{report.decided}", f"[bold]{report.pending}", "")
    console.print(table)
    n_papers = len(report.papers_complete) + len(report.papers_incomplete)
    console.print(f"Papers complete: {len(report.papers_complete)} of {n_papers}", highlight=False)
    if papers:
        for p in report.papers_complete:
            console.print(f"  complete    {p}", highlight=False)
        for p in report.papers_incomplete:
            console.print(f"  incomplete  {p}", highlight=False)
    console.print(f"Decisions in annotations: {report.decisions} ({report.added} added by reviewers)",
                  highlight=False)
    if report.orphans:
        console.print(f"Orphaned decisions (kept; their candidates are no longer extracted): {len(report.orphans)}",
                      highlight=False)
        for o in report.orphans:
            d = o.decision
            console.print(f"  {d.candidate_id} {d.arxiv_id}v{d.version} {d.benchmark or '(paper)'} {d.model} "
                          f"{d.field}={format_value(d.value)} [{d.decision}]: {o.reason}",
                          highlight=False, markup=False, soft_wrap=True)


@review_app.command("serve")
def serve_cmd(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(
        "--host", help="Address to listen on. Keep the default (this machine only): the server has no login.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535, help="TCP port.")] = 8765,
    allow_host: Annotated[list[str] | None, typer.Option(
        "--allow-host", help="Also accept requests naming the server by this host name (repeatable); "
                             "the addresses served are always accepted.", show_default=False)] = None,
    benchmark: Annotated[str | None, typer.Option(
        "--benchmark", "-b", help="Only this benchmark (plus paper-level facts of its papers).")] = None,
    reviewer: Annotated[str, typer.Option(
        "--reviewer", "-r", envvar="FLOPMINE_REVIEWER",
        help="Name written with each decision (env FLOPMINE_REVIEWER; default: your login name).")] = "",
) -> None:
    """Review pending candidates in the browser: the PDF page with the evidence boxed, one key per decision.

    Keys: a accept, r reject, c correct (type the value, Enter), n next, u undo.

    Each decision is validated like an imported CSV row and saved to the annotations at once.

    Stop with Ctrl-C; nothing decided is lost.

    Example: flopmine review serve --benchmark imagenet --port 8765
    """
    from flopmine.review.web.server import exposure_warning, run

    home = _home(ctx)
    warning = exposure_warning(host)
    if warning:
        console_err.print(f"Warning: {warning}", highlight=False, markup=False)

    def ready(url: str) -> None:
        console.print(f"Reviewing at {url} (Ctrl-C to stop)", highlight=False)

    run(home, host=host, port=port, benchmark=benchmark, reviewer=reviewer or None, allow_hosts=allow_host or (),
        on_ready=ready)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""
    app.add_typer(review_app, name="review")


__all__ = ["register", "review_app"]
