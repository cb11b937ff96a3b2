"""CLI view of ``flopmine eval --review-cost`` (thin: load gold, call ``review.cost``, render)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from flopmine.extract import gold as gd
from flopmine.review.cost import CostReport, review_cost
from flopmine.review.sheet_cost import SheetCostReport, gold_in_dataset, sheet_review_cost

from ..config import write_text_atomic
from ..errors import ConfigError
from ..store import connect
from .common import console, console_err, progress_bar, state


def _f(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def run_review_cost(ctx: typer.Context, gold: list[Path], papers: str | None, json_out: Path | None, *,
                    per_paper: bool, extra: bool, rows: bool = False) -> None:
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
    shares: list[int] = []
    sheet_report: SheetCostReport | None = None
    try:
        with progress_bar("Replaying the review", enabled=not st.quiet) as progress:
            report = review_cost(conn, home, facts, papers=wanted, progress=progress,
                                 on_replayed=(lambda h: shares.append(gold_in_dataset(h, facts))) if rows else None)
        if rows:
            with progress_bar("Replaying the row sheet", enabled=not st.quiet) as progress:
                sheet_report = sheet_review_cost(conn, home, facts, papers=wanted, progress=progress)
    finally:
        conn.close()
    render(report, per_paper=per_paper)
    if sheet_report is not None:
        render_rows(sheet_report, report, shares[0] if shares else None, per_paper=per_paper)
    if json_out is not None:
        doc = report.to_dict()
        if sheet_report is not None:
            doc = {"candidates": {**doc, "gold_right_in_dataset": shares[0] if shares else None},
                   "rows": sheet_report.to_dict()}
        write_text_atomic(json_out, json.dumps(doc, indent=2) + "\n")
        console.print(f"report written to {json_out}")
    for p in report.papers:
        for problem in p.problems:
            console_err.print(f"[yellow]refused[/] {p.arxiv_id}: {problem}", markup=True, highlight=False)
    for sp in sheet_report.papers if sheet_report is not None else ():
        for problem in sp.problems:
            console_err.print(f"[yellow]refused (row sheet)[/] {sp.arxiv_id}: {problem}", markup=True,
                              highlight=False)


def render_rows(rep: SheetCostReport, candidates: CostReport, candidate_share: int | None, *, per_paper: bool) -> None:
    """The row sheet's replay in cells, beside the candidate export's rows and decisions."""
    if per_paper:
        t = Table(title="Row sheet review per paper")
        for col in ("paper", "gold", "rows", "cells read", "right", "from alternatives", "typed", "absent",
                    "cleared", "minutes"):
            t.add_column(col, justify="left" if col == "paper" else "right")
        for p in rep.papers:
            t.add_row(p.arxiv_id, str(p.gold), str(p.rows), str(p.cells_filled), str(p.right),
                      str(p.from_alternatives), str(p.typed), str(p.absent), str(p.cleared),
                      _f(p.minutes(rep.per_value, rep.per_typed), 1))
        console.print(t)
    gold = rep.gold
    n = len(rep.papers)

    def share(k: int | None) -> str:
        return "—" if k is None or not gold else f"{k}/{gold} ({k / gold:.2f})"

    t = Table(title=f"Row sheet vs candidate export on {n} paper(s) with gold")
    t.add_column("measure")
    t.add_column("row sheet", justify="right")
    t.add_column("candidate export", justify="right")
    t.add_row("rows per paper", _f(rep.per_paper("rows"), 1), _f(candidates.rows_per_paper, 1))
    t.add_row("values read per paper (filled cells / rows)", _f(rep.per_paper("cells_filled"), 1),
              _f(candidates.rows_per_paper, 1))
    t.add_row("gold facts right as shown", share(rep.total("right")), "")
    t.add_row("gold facts copied from alternatives", share(rep.total("from_alternatives")), "")
    t.add_row("gold facts typed (added by hand)", share(rep.total("typed")), share(candidates.total("added")))
    t.add_row("gold facts absent from the sheet / rows", share(rep.total("absent")),
              share(gold - candidates.total("gold_shown")))
    t.add_row("cells cleared / rows deleted / rows added",
              f"{rep.total('cleared')} / {rep.total('rows_deleted')} / {rep.total('rows_added')}", "")
    t.add_row("minutes per paper", _f(rep.minutes_per_paper, 1), _f(candidates.minutes_per_paper, 1))
    t.add_row("gold facts right in the dataset after the review", share(rep.gold_right_in_dataset),
              share(candidate_share))
    console.print(t)
    console.print(f"Rates: {rep.per_value:g} s per value read (a filled cell, or an alternative read when the cell "
                  f"is wrong) and {rep.per_typed:g} s per value typed, as the candidate replay's per row and per "
                  "fact added by hand.", highlight=False)


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
