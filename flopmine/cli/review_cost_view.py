"""CLI view of ``flopmine eval --review-cost`` (thin: load gold, call ``review.cost``, render)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from flopmine.extract import gold as gd
from flopmine.review.cost import CostReport, review_cost

from ..config import write_text_atomic
from ..errors import ConfigError
from ..store import connect
from .common import console, console_err, progress_bar, state


def _f(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def run_review_cost(ctx: typer.Context, gold: list[Path], papers: str | None, json_out: Path | None, *,
                    per_paper: bool, extra: bool) -> None:
    """Replay the gold-knowing reviewer on the home's store and print the cost beside the seed's baseline."""
    if extra:
        raise ConfigError("--review-cost works on the candidates already in the home (flopmine --home DIR "
                          "extract PDFS first); drop the PDF paths and --queue")
    st = state(ctx)
    home = st.home
    if not home.db_path.is_file():
        raise ConfigError(f"no store at {home.db_path}: run `flopmine --home {home.root} extract PDFS` first")
    facts = gd.load_gold(gold)
    wanted = [p.strip() for p in papers.split(",") if p.strip()] if papers else None
    conn = connect(home.db_path)
    try:
        with progress_bar("Replaying the review", enabled=not st.quiet) as progress:
            report = review_cost(conn, home, facts, papers=wanted, progress=progress)
    finally:
        conn.close()
    render(report, per_paper=per_paper)
    if json_out is not None:
        write_text_atomic(json_out, json.dumps(report.to_dict(), indent=2) + "\n")
        console.print(f"report written to {json_out}")
    for p in report.papers:
        for problem in p.problems:
            console_err.print(f"[yellow]refused[/] {p.arxiv_id}: {problem}", markup=True, highlight=False)


def render(report: CostReport, *, per_paper: bool) -> None:
    """Print the per-paper table (optional) and the totals beside the baseline."""
    if per_paper:
        t = Table(title="Review cost per paper")
        for col in ("paper", "pages", "gold", "shown", "candidates", "rows read", "decisions", "added", "minutes",
                    "baseline min"):
            t.add_column(col, justify="left" if col == "paper" else "right")
        for p in report.papers:
            t.add_row(p.arxiv_id, str(p.pages), str(p.gold), str(p.gold_shown), str(p.candidates), str(p.rows_read),
                      str(p.decisions), str(p.added), _f(p.minutes(report.per_row, report.per_add), 1),
                      _f(p.baseline_minutes(report.per_page, report.per_add), 1))
        console.print(t)
    n = len(report.papers)
    t = Table(title=f"Review cost on {n} paper(s) with gold (top {report.top or 'all'} per slot)")
    t.add_column("measure")
    t.add_column("slots review", justify="right")
    t.add_column("seed: read every paper", justify="right")
    t.add_row("rows read per paper", _f(report.rows_per_paper, 1), "— (whole paper)")
    t.add_row("pages per paper", "", _f(report.total("pages") / n if n else None, 1))
    t.add_row("gold facts among rows shown", f"{report.total('gold_shown')}/{report.gold} "
              f"({_f(report.shown_recall)})", f"{report.gold}/{report.gold} (1.00)")
    t.add_row("decisions", str(report.total("decisions")), str(report.gold))
    t.add_row("  accepted / added by hand / fields closed",
              f"{report.total('accepted')} / {report.total('added')} / {report.total('closed')}",
              f"0 / {report.gold} / 0")
    t.add_row("decisions per gold fact", _f(report.decisions_per_gold), "1.00")
    t.add_row("minutes per paper", _f(report.minutes_per_paper, 1), _f(report.baseline_minutes_per_paper, 1))
    console.print(t)
    console.print(f"Rates: {report.per_row:g} s per row read, {report.per_add:g} s per fact added by hand; baseline: "
                  f"{report.per_page:g} min per page read in full plus {report.per_add:g} s per gold fact written "
                  "down (assumed).", highlight=False)
