"""CLI for the harvest stage (thin: parse, call the library, render)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from flopmine import harvest
from flopmine.benchmarks import load_registry
from flopmine.extract.ranking import model_in_use
from flopmine.harvest.client import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from flopmine.harvest.run import select_benchmarks

from ..errors import ConfigError
from .common import console, progress_bar, state


def _date(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option value; anything else is a bad command line (exit 2)."""
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"{value!r}: expected a date like 2019-06-30", param_hint=option) from None


def _check_benchmarks(names: list[str] | None, registry: Path | None) -> None:
    """Unknown benchmark names are a bad command line (exit 2), caught before any lock or request."""
    if not names:
        return
    try:
        select_benchmarks(load_registry(registry), names)
    except ConfigError as e:
        raise typer.BadParameter(str(e), param_hint="--benchmark") from None


def harvest_command(
    ctx: typer.Context,
    benchmark: Annotated[list[str] | None, typer.Option(
        "--benchmark", "-b", help="Only this benchmark (repeatable), e.g. -b imagenet -b cifar10. Default: all.",
        show_default=False)] = None,
    since: Annotated[str | None, typer.Option(
        help="Only papers first submitted on/after this date (YYYY-MM-DD).", show_default=False)] = None,
    until: Annotated[str | None, typer.Option(
        help="Only papers first submitted on/before this date (YYYY-MM-DD).", show_default=False)] = None,
    max_papers: Annotated[int | None, typer.Option(
        "--max-papers", min=0, help="Record at most N new paper versions in this run (the rest come next run).",
        show_default=False)] = None,
    no_pdf: Annotated[bool, typer.Option(
        "--no-pdf", help="Record metadata only; PDFs stay pending for a later run.")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Query arXiv and report what is new, but write nothing (no lock, no store, no PDFs).")] = False,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="Try every failed PDF again now, even those given up or not yet due.")] = False,
    registry: Annotated[Path | None, typer.Option(
        "--registry", help="Benchmark registry TOML instead of the built-in one.", show_default=False)] = None,
    page_size: Annotated[int, typer.Option(
        "--page-size", min=1, max=MAX_PAGE_SIZE,
        help="Entries per arXiv API request (arXiv allows at most 2000; lower it if large pages time out).")]
        = DEFAULT_PAGE_SIZE,
) -> None:
    """Find new papers for each benchmark on arXiv, record them and download their PDFs.

    Incremental: a run right after a complete one asks one API page per benchmark and downloads nothing. A query with more results than arXiv serves (~30,000) is split by submission date. Polite: at least FLOPMINE_MIN_INTERVAL seconds (default 3) between any two requests to arXiv; Retry-After is honoured. Bounded: FLOPMINE_HTTP_TIMEOUT is the read timeout (default 60 s), FLOPMINE_API_DEADLINE / FLOPMINE_PDF_DEADLINE the most one API page / one PDF may take (default 120 s / 600 s); only arXiv's hosts are contacted. API URL from FLOPMINE_ARXIV_API_URL (default the public API). A failed PDF is tried again 1 h, 6 h, 1 day and 1 week after each failure, then given up (see `flopmine status`).

    Exit codes: 0 all done; 1 some PDFs failed (the rest were done), an arXiv query failed, or arXiv is unreachable (the run stops at once); 2 bad command line; 75 another run holds the home directory (cron overlap: try later).

    Example: flopmine --home ~/flopmine --quiet harvest -b cifar10 --since 2019-01-01 --max-papers 100
    """
    st = state(ctx)
    first, last = _date(since, "--since"), _date(until, "--until")
    if first and last and first > last:
        raise typer.BadParameter(f"--since {first} is later than --until {last}: no paper can match",
                                 param_hint="--since/--until")
    _check_benchmarks(benchmark, registry)
    with progress_bar("Harvesting", enabled=not st.quiet) as progress:
        report = harvest.run(
            st.home, benchmarks=benchmark or None, registry=registry, since=first, until=last,
            max_papers=max_papers, download=not no_pdf, dry_run=dry_run, retry_failed=retry_failed,
            page_size=page_size, progress=progress,
        )
    if not st.quiet or report.exit_code:
        _render_report(report)
    raise typer.Exit(report.exit_code)


def _render_report(report: harvest.HarvestReport) -> None:
    title = "Harvest (dry run: nothing written)" if report.dry_run else "Harvest"
    table = Table(title=title)
    for col in ("benchmark", "entries read", "new versions", "new papers", "stopped"):
        table.add_column(col, justify="right" if col not in ("benchmark", "stopped") else "left")
    for q in report.queries:
        stopped = q.stopped + (f" ({q.slices} date slices)" if q.slices > 1 else "")
        table.add_row(q.benchmark, str(q.seen), str(q.new_versions), str(q.new_papers),
                      f"[red]{q.stopped}: {escape(q.error)}[/]" if q.error else stopped)
    console.print(table)
    console.print(f"PDFs downloaded: {len(report.downloaded)}, failed: {len(report.failed)}, "
                  f"still pending: {report.pdfs_pending}; requests to arXiv: {report.requests}")
    for d in report.failed:
        console.print(f"[red]failed[/] {d.arxiv_id}v{d.version}: {escape(d.reason)}", highlight=False)


def status_command(
    ctx: typer.Context,
    registry: Annotated[Path | None, typer.Option(
        "--registry", help="Benchmark registry TOML instead of the built-in one.", show_default=False)] = None,
) -> None:
    """Show papers per benchmark, PDFs downloaded / pending / failed (with reasons and next attempt), and extractions (counts, and the reason of each failure).

    Example: flopmine --home ~/flopmine status
    """
    st = state(ctx)
    report = harvest.status(st.home, registry=registry)
    if not report.exists:
        raise ConfigError(f"no flopmine data in {st.home.root}: check --home (or FLOPMINE_HOME), "
                          "or start with `flopmine harvest` or `flopmine extract PDFs`")
    table = Table(title=f"flopmine status — {st.home.root}")
    for col in ("benchmark", "papers", "versions", "PDF ok", "pending", "failed", "last complete query"):
        table.add_column(col, justify="left" if col in ("benchmark", "last complete query") else "right")
    for b in (*report.benchmarks, report.total):
        last = b.last_complete + (f" [red]({b.last_error})[/]" if b.last_error else "")
        table.add_row(b.benchmark if b is not report.total else "[bold]all papers[/]", str(b.papers),
                      str(b.versions), str(b.pdf_ok), str(b.pdf_pending),
                      f"[red]{b.pdf_failed}[/]" if b.pdf_failed else "0", last)
    console.print(table)
    if report.failed:
        failed = Table(title="Failed PDFs (tried again 1 h, 6 h, 1 day, 1 week after each failure; "
                       "harvest --retry-failed: now)")
        for col in ("paper", "attempts", "next attempt", "reason"):
            failed.add_column(col)
        for f in report.failed:
            when = "[red]gave up[/] (harvest --retry-failed)" if f.gave_up else (f.next_attempt or "next run")
            failed.add_row(f"{f.arxiv_id}v{f.version}", str(f.attempts), when, f.reason)
        console.print(failed)
    if report.extractions:
        ext = Table(title="Extractions")
        ext.add_column("status")
        ext.add_column("papers", justify="right")
        for status_name, n in report.extractions:
            ext.add_row(status_name, str(n))
        console.print(ext)
    if report.extraction_failures:
        why = Table(title="Extraction failures (flopmine extract --force to retry)")
        for col in ("paper", "status", "reason"):
            why.add_column(col)
        for x in report.extraction_failures:
            why.add_row(f"{x.arxiv_id}v{x.version}", f"[red]{x.status}[/]", x.reason or "-")
        console.print(why)
    console.print(f"ranking model: {model_in_use(st.home.root)}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""
    app.command("harvest")(harvest_command)
    app.command("status")(status_command)
