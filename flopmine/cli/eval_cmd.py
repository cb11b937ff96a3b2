"""CLI for the eval command (extractor quality against gold) (thin: parse, call the library, render)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flopmine.extract import evaluate as ev

from ..config import write_text_atomic
from ..errors import ConfigError
from .common import console, console_err, progress_bar, state


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def eval_command(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(
        help="PDFs or folders of PDFs named <arxiv id>[vN].pdf, read and extracted in this process.",
        show_default=False)] = None,
    gold: Annotated[list[Path] | None, typer.Option(
        "--gold", help="Gold CSV (arxiv_id,benchmark,model,field,value,…); repeat for several files.",
        show_default=False)] = None,
    queue: Annotated[Path | None, typer.Option(
        "--queue", help="Score a review-queue CSV (columns arxiv_id, field, value, rank …) instead of PDFs.",
        show_default=False)] = None,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Also write the full report (per field, per paper, misses) as JSON here.",
        show_default=False)] = None,
    meta: Annotated[list[Path] | None, typer.Option(
        "--meta", help="CSV with arxiv_id,title[,abstract] columns: titles help rank own models (PATH mode).",
        show_default=False)] = None,
    papers: Annotated[str | None, typer.Option(
        "--papers", help="Score only these arXiv ids (comma-separated), e.g. a held-out split.",
        show_default=False)] = None,
    per_paper: Annotated[bool, typer.Option("--per-paper", help="Also print a row per paper.")] = False,
    review_cost: Annotated[bool, typer.Option(
        "--review-cost", help="Replay a reviewer who knows the gold through `review import` on the home's "
                              "extracted candidates: rows read, decisions, minutes per paper vs reading "
                              "every paper in full.")] = False,
) -> None:
    """Score extracted candidates against hand-checked gold facts.

    Per field: candidate recall (the gold value is among the paper's candidates for that field; numbers equal within 0.5 %, accuracy and error matched through 100 − x, flops ≡ mult_adds, hardware by normalised name), top-1 precision (the rank-1 candidate equals a gold value; no candidate counts as wrong) and candidates per (paper, field); then metrics, compute and overall rows. PDF paths are read and extracted in this process; --queue scores a review-queue CSV instead. Exit code 1 when some PDF could not be read.

    --review-cost replays a gold-knowing reviewer on the candidates already extracted into the home, e.g. flopmine --home T extract PDFS, then flopmine --home T eval --review-cost --gold GOLD.csv (see docs/review.md).

    Examples: flopmine eval --gold ../shared/corpus/gold_vision.csv --meta ../shared/corpus/sources_vision.csv ../shared/corpus/pdfs · flopmine eval --gold gold.csv --queue flopmine-data/queue/queue.csv --json eval.json · flopmine eval --gold gold.csv --papers 1512.03385,1706.03762 papers/
    """
    if not gold:
        raise ConfigError("--gold FILE is required (repeat it for several gold files)")
    if review_cost:
        from .review_cost_view import run_review_cost

        run_review_cost(ctx, gold, papers, json_out, per_paper=per_paper, extra=bool(paths or queue))
        return
    if bool(queue) == bool(paths):
        raise ConfigError("give either --queue FILE or PDF paths, not both and not neither")
    stray = [p for p in paths or [] if p.suffix.lower() == ".csv"]
    if stray:
        # `--gold a.csv b.csv` (a shell glob) gives only a.csv to --gold; the rest land here.
        raise ConfigError(f"{stray[0]} is a CSV among the PDF paths: repeat the option for each file, "
                          "e.g. --gold a.csv --gold b.csv (likewise --meta)")
    gold_facts = ev.load_gold(gold)
    st = state(ctx)
    problems: list[str] = []
    if queue is not None:
        scored = ev.load_queue(queue)
        seen = None
    else:
        meta_map = ev.load_meta(meta or [])
        with progress_bar("Reading PDFs", enabled=not st.quiet) as progress:
            run = ev.candidates_from_paths(paths or [], meta=meta_map, on_progress=progress)
        scored, problems, seen = run.scored, run.problems, run.papers
    wanted = [p.strip() for p in papers.split(",") if p.strip()] if papers else None
    if wanted is None and seen is not None:
        wanted = sorted({g.arxiv_id for g in gold_facts} & set(seen))
    report = ev.evaluate(gold_facts, scored, wanted)
    _render(report, per_paper=per_paper)
    if json_out is not None:
        write_text_atomic(json_out, report.to_json() + "\n")
        console.print(f"report written to {json_out}")
    for p in problems:
        console_err.print(f"[yellow]skipped[/] {p}", markup=True, highlight=False)
    raise typer.Exit(1 if problems else 0)


def _render(report: ev.EvalReport, *, per_paper: bool) -> None:
    table = Table(title="Extractor vs gold")
    for col, just in (("field", "left"), ("gold", "right"), ("found", "right"), ("recall", "right"),
                      ("top-1", "right"), ("precision", "right"), ("cands/(paper,field)", "right")):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    rows = [*report.fields.values(), None, report.metrics, report.compute, report.overall]
    for f in rows:
        if f is None:
            table.add_section()
            continue
        table.add_row(f.field, str(f.gold), str(f.found), _fmt(f.recall), f"{f.top1_correct}/{f.papers}",
                      _fmt(f.precision), _fmt(f.per_pair))
    console.print(table)
    if per_paper:
        pt = Table(title="Per paper")
        for col in ("paper", "gold", "recall", "precision", "candidates"):
            pt.add_column(col, justify="left" if col == "paper" else "right")
        for f in report.papers.values():
            pt.add_row(f.field, str(f.gold), _fmt(f.recall), _fmt(f.precision), str(f.candidates))
        console.print(pt)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""
    app.command("eval")(eval_command)
