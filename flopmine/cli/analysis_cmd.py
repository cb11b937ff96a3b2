"""CLI for the analysis stage (thin: parse, call the library, render): ``build`` and ``analyze``."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from ..errors import AnalysisError
from .common import console, console_err, progress_bar, state


class HardwareBasis(enum.StrEnum):
    """``--hardware-basis`` (flopmine.hardware.HARDWARE_BASES)."""

    peak = "peak"
    fp32 = "fp32"


class ExtrapolateFrom(enum.StrEnum):
    """``--extrapolate-from`` (flopmine.analysis.extrapolate.CONSTRUCTIONS)."""

    line = "line"
    best_point = "best-point"


class Points(enum.StrEnum):
    """``--points`` (flopmine.analysis.fit.POINTS_CHOICES; kept here so the CLI starts without pandas)."""

    best_per_paper = "best-per-paper"
    all = "all"


def build(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Directory for dataset.csv, dataset.parquet, data_dictionary.md/.csv and unjoined.csv "
        "(default <home>/dataset).", show_default=False)] = None,
    hardware_basis: Annotated[HardwareBasis, typer.Option(
        "--hardware-basis",
        help="Per-device figure of hardware burden: 'peak' is the seed paper's (the vendor's peak for TPUs, e.g. "
        "180 TFLOPS per TPU v2 board, else FP32); 'fp32' uses FP32 only (TPU v3/v4 then have none).")
    ] = HardwareBasis.peak,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 1 when the annotations hold conflicting decisions (e.g. merged from two "
        "annotation clones); they are listed as warnings either way.")] = False,
) -> None:
    """Regenerate the dataset from the reviewed facts in the annotations directory.

    One row per paper × model × benchmark with metric facts. A compute fact attaches to the model it names; a paper-level fact (no model) only to the paper's own model (its only one, or its only one marked "(ours)"), else it is reported as ambiguous. Every reviewed fact that reached no row (no metric row for its model, an ambiguous model, no benchmark, …) is counted in the summary and listed with its reason in unjoined.csv. Implausible rows are flagged (column implausible) and left out of analyze's fits unless forced. Derived columns (error, GFLOPs per pass, hardware burden with the figure and basis used, imputed GFLOPs) are described in data_dictionary.md. Unreadable annotation rows are listed as warnings and left out; the exit code is then 1.

    Example: flopmine --home data build --out data/dataset
    """
    from flopmine.analysis.build import UNJOINED_FILE, build_from_home

    st = state(ctx)
    built = build_from_home(st.home, out, hardware_basis=hardware_basis.value)
    for w in built.warnings:
        console_err.print(f"[yellow]warning:[/] {w}", highlight=False, markup=True, soft_wrap=True)
    df = built.result.frame
    if not st.quiet:
        console.print(f"{built.result.n_facts} reviewed facts → {len(df)} rows "
                      f"({df['benchmark'].nunique()} benchmarks, {df['arxiv_id'].nunique()} papers; "
                      f"{int(df['gflops_per_pass'].notna().sum())} with GFLOPs per pass, "
                      f"{int(df['gflops_imputed_flag'].sum())} imputed, "
                      f"{int(df['hardware_burden_gflop'].notna().sum())} with hardware burden)", highlight=False)
        lost = built.result.unjoined
        if lost is not None and len(lost):
            reasons = lost["reason"].value_counts()
            console.print(f"{len(lost)} reviewed fact(s) reached no row ("
                          + ", ".join(f"{n} {r}" for r, n in reasons.items())
                          + f"; {lost['arxiv_id'].nunique()} papers): listed with why in "
                          f"{next(p for p in built.paths if p.name == UNJOINED_FILE)}", highlight=False)
        else:
            console.print("every reviewed fact reached a row", highlight=False)
        for p in built.paths:
            console.print(f"wrote {p}", highlight=False)
    if strict and built.conflicts:
        raise AnalysisError(f"{len(built.conflicts)} conflicting decision(s) in the annotations (listed above; "
                            "--strict); decide each again (review import or serve), then build again")
    if built.unreadable_rows:
        raise AnalysisError(f"{built.unreadable_rows} annotation row(s) could not be read (listed above); the "
                            "dataset was built without them: fix them and run `flopmine build` again")


def analyze(
    ctx: typer.Context,
    dataset: Annotated[Path | None, typer.Option(
        "--dataset", help="Dataset CSV (or .parquet) written by `flopmine build` "
        "(default <home>/dataset/dataset.csv; read from the dataset.parquet build wrote beside it, only the columns "
        "analyze uses, while that holds the same data).", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Directory for results.json, extrapolation.csv, report.md, report.html and figures/ "
        "(default <home>/report).", show_default=False)] = None,
    sims: Annotated[int, typer.Option(
        "--sims", min=0, help="Replications of the Section 2 simulation (the paper used 1000; 0 skips it).")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the simulation.")] = 0,
    points: Annotated[Points, typer.Option(
        "--points",
        help="Rows of the hardware-burden fits: 'best-per-paper' (the seed's Table 3: each paper's lowest-error "
        "model) or 'all'. GFLOPs per pass always uses every model.")] = Points.best_per_paper,
    hardware_basis: Annotated[HardwareBasis, typer.Option(
        "--hardware-basis",
        help="For rows of an external dataset whose hardware_gflops is empty: the catalog figure to derive it "
        "from (as build).")] = HardwareBasis.peak,
    today: Annotated[list[str] | None, typer.Option(
        "--today", metavar="[BENCHMARK=]ERROR",
        help="Figure 4's error today, instead of each benchmark's best error among all its dataset rows: a "
        "fraction or a percentage (0.115 or 11.5%), for one benchmark (imagenet=11.5%) or, bare, for all. "
        "Repeatable.", show_default=False)] = None,
    extrapolate_from: Annotated[ExtrapolateFrom, typer.Option(
        "--extrapolate-from",
        help="Figure 4's construction: 'line' (the seed's: the fitted line's compute at today's error and at each "
        "target) or 'best-point' (start at the best fitted point and move along the slope).")] = ExtrapolateFrom.line,
    fresh: Annotated[bool, typer.Option(
        "--fresh", help="Run the simulation and draw every figure again. Without it a run reuses the simulation "
        "of any earlier run of this home with the same --sims and --seed, whatever its dataset or --out (it never "
        "reads the dataset; kept in <home>/cache and OUT/.cache), and a rerun each figure whose inputs are "
        "unchanged (OUT/figures/.figures.json).")] = False,
    dpi: Annotated[int | None, typer.Option(
        "--dpi", min=50, max=1200, help="Resolution of the figures (default 150, for the screen and the HTML "
        "report; 300 for print: 4x the pixels, more drawing time).", show_default=False)] = None,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", min=1, help="Helper processes that run the simulation beside the fits and draw the figures "
        "(default: one per idle core, at most 2; 1 does everything in this process). They start before the dataset "
        "is read. Saves wall time on an idle machine, not CPU.", show_default=False)] = None,
) -> None:
    """Fit the paper's scaling laws and write the report.

    The dataset may be build's or your own facts-level CSV (flops, mult_adds, params, hardware or hardware_gflops(_total), hardware_count, training_time_hours): empty derived columns are derived as build does. A file without the needed columns is an error before anything runs. Per benchmark and compute measure (GFLOPs per pass, hardware burden): polynomial and exponential fits (Tables 1, 3, 4), the year trend (Table 2), the implied exponent k with its 95 % interval, the 10 % quantile regression (Figure 8), Figure 4 (each benchmark's best error among all its rows is "today"; the computation required is the fitted line's prediction at today's error and at each target, with CO2 and dollars), the conversion regression (Figure 7) and the Section 2 simulation (Figure 1). Problems (too few rows, non-positive values, missing columns) are warnings naming the benchmark and dataset lines; exit code 1 only when nothing could be fitted.

    Example: flopmine --home data analyze --sims 20 --seed 1 --out data/report
    """
    from flopmine.analysis.workers import idle_blas_threads_sleep

    idle_blas_threads_sleep()  # before numpy is imported
    from flopmine.analysis.extrapolate import parse_today
    from flopmine.analysis.report import analyze_to_dir

    try:
        given = parse_today(today or [])
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--today") from None
    st = state(ctx)
    home = st.home
    path = dataset or home.dataset_dir / "dataset.csv"
    out_dir = out or home.report_dir
    with progress_bar("simulation", enabled=not st.quiet) as progress:
        done = analyze_to_dir(path, out_dir, sims=sims, seed=seed, progress=progress, points=points.value,
                              hardware_basis=hardware_basis.value, today=given, construction=extrapolate_from.value,
                              cache=not fresh, dpi=dpi, workers=jobs, simulation_store=home.root / "cache")
    result, paths = done.result, done.paths
    for p in result.problems:
        console_err.print(f"[yellow]warning:[/] {p}", highlight=False, markup=True, soft_wrap=True)
    if not result.fitted_anything:
        raise AnalysisError(f"nothing could be fitted from {path} ({result.dataset_rows} rows); see the warnings above and "
                            f"{out_dir / 'report.md'}")
    if not st.quiet:
        for f in result.fits.fits:
            console.print(f"{f.benchmark:12s} {f.measure:16s} n={f.n:<5d} slope={f.polynomial.slope.estimate:+.3f} "
                          f"k={f.exponent.k:.1f} R²={f.polynomial.r2:.2f}", highlight=False)
        sim = result.simulation
        if sim is not None and sim.crossings:
            parts = [f"{m} n ≈ {c.n:.0f} (bootstrap 95 % {c.boot_low:.0f}–{c.boot_high:.0f}; the paper {c.paper:,.0f})"
                     for m, c in sim.crossings.items()]
            took = "reused from an earlier run" if result.simulation_reused else f"{sim.seconds:.0f} s"
            console.print(f"simulation ({sim.sims} runs, {took}): reaching the oracle's n = "
                          f"{sim.reference_n} performance: " + "; ".join(parts), highlight=False)
        console.print(f"wrote {len(paths)} files to {out_dir}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""
    app.command("build")(build)
    app.command("analyze")(analyze)
