"""``flopmine demo``: the whole pipeline offline, on a generated corpus (thin: parse, call, render)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .common import console, progress_bar, state


def demo(
    ctx: typer.Context,
    papers: Annotated[int, typer.Option("--papers", min=4, help="Good papers in the generated corpus "
                                        "(broken PDFs and an HTML error page are always added).")] = 36,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Extraction worker processes.")] = 2,
    sims: Annotated[int, typer.Option("--sims", min=0, help="Replications of the Section 2 simulation.")] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generated corpus.")] = 2020,
    keep: Annotated[bool, typer.Option("--keep", help="Keep an earlier demo home instead of starting fresh.")] = False,
) -> None:
    """Run harvest → extract → review → build → analyze offline, on a generated sample corpus.

    A loopback fake arXiv (127.0.0.1) serves the corpus — papers over six benchmarks written the many
    ways real papers phrase FLOPs, parameters, hardware, training time and results, plus a corrupt, a
    truncated, an encrypted and a text-less PDF and an HTML error page. A scripted reviewer fills the
    exported review CSVs from the bundled decisions file (flopmine/demo/decisions.csv) and imports
    them. Data goes to --home (default ./flopmine-demo, wiped at the start unless --keep; a non-demo
    directory is never touched). No network is needed.

    Example: flopmine demo            (then open flopmine-demo/report/report.html)
    To run on the real arXiv instead: flopmine --home data harvest && flopmine --home data extract …
    """
    from ..demo.runner import DEFAULT_DEMO_HOME, run_demo

    st = state(ctx)
    root = Path(st.home_value) if st.home_value else Path(DEFAULT_DEMO_HOME)
    quiet = st.quiet

    def step(message: str) -> None:
        if not quiet:
            console.print(f"[bold cyan]▶[/] {message}", highlight=False)

    def bars(description: str):  # type: ignore[no-untyped-def]
        return progress_bar(description, enabled=not quiet)

    report = run_demo(root, seed=seed, n_papers=papers, workers=workers, sims=sims, fresh=not keep,
                      step=step, progress_factory=bars)

    console.print()
    console.print(f"Harvested {report.pdfs_ok} PDFs ({len(report.pdfs_failed)} rejected: "
                  + ", ".join(f"{k} {v}" for k, v in sorted(report.pdfs_failed.items())) + ")", highlight=False)
    console.print(f"Extracted {report.extracted_ok} papers → {report.candidates} candidate facts"
                  + (f" ({len(report.extraction_failed)} failed: "
                     + ", ".join(f"{k} {v}" for k, v in sorted(report.extraction_failed.items())) + ")"
                     if report.extraction_failed else ""), highlight=False)
    console.print(f"Review: {report.accepted} accepted, {report.rejected} rejected, {report.added} added by the "
                  f"reviewer → {report.dataset_rows} dataset rows", highlight=False)
    table = Table(title="Scaling-law fits: log10(error) ~ log10(compute)")
    for col in ("benchmark", "compute measure", "n", "slope", "k (compute ∝ 1/error^k)", "R²"):
        table.add_column(col, justify="left" if col in ("benchmark", "compute measure") else "right")
    for r in report.summary_rows:
        table.add_row(str(r["benchmark"]), str(r["measure"]), str(r["n"]), f"{r['slope']:+.3f}",
                      f"{r['k']:.1f}", f"{r['r2']:.2f}")
    console.print(table)
    if report.report_path:
        console.print(f"[bold green]Report:[/] {report.report_path}", highlight=False)
    console.print(f"Data: {report.home.root}  (try: flopmine --home {report.home.root} status)", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the demo command to the main app."""
    app.command("demo")(demo)
