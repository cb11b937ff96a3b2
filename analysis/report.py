"""``flopmine analyze``: fit everything, then write results.json, extrapolation.csv, report.md/.html.

``run_analysis`` is pure (a dataset frame in, an ``AnalysisResult`` out); ``write_report`` writes
the files into the output directory, each one atomically (figures under ``figures/``).
"""

from __future__ import annotations

import html
import json
import logging
import math
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field, is_dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from flopmine.benchmarks import Benchmark
from flopmine.config import write_csv_atomic, write_text_atomic
from flopmine.errors import AnalysisError
from flopmine.hardware import DEFAULT_HARDWARE_BASIS
from flopmine.types import METRIC_FIELDS

from . import extrapolate as ex
from .build import (
    MAX_FIT_LOG10,
    Conversion,
    conversion_overflow,
    default_gflops_lookup,
    derive_compute,
    fit_conversion,
    implausible_rows,
)
from .fit import (
    DEFAULT_POINTS,
    MEASURE_LABELS,
    MEASURES,
    Coef,
    FitResults,
    MeasureFits,
    OLSFit,
    Problem,
    QuantileFitter,
    drawn_points,
    fit_all,
    prepare,
    select_points,
)
from .simulate import DEFAULT_SEED, DEFAULT_SIMS, SPREAD, SimulationResult, cached_simulate, simulate
from .workers import Helpers

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
#: Where ``analyze_to_dir`` keeps the simulation for reruns, inside the output directory.
SIMULATION_CACHE = Path(".cache") / "simulation.json"
EXTRAPOLATION_COLUMNS = [f for f in ex.Extrapolation.__dataclass_fields__]


@dataclass(frozen=True)
class AnalysisResult:
    """Everything ``flopmine analyze`` computed."""

    fits: FitResults
    extrapolations: tuple[ex.Extrapolation, ...]
    conversion: Conversion | None
    simulation: SimulationResult | None
    dataset_rows: int
    dataset: str = ""
    implausible: tuple[dict[str, str], ...] = ()  # rows flagged by build's plausibility checks (problems table)
    input_warnings: tuple[str, ...] = ()  # from deriving an external dataset's compute columns
    construction: str = ex.DEFAULT_CONSTRUCTION  # how Figure 4's compute is obtained (--extrapolate-from)
    note: str = ""  # a paragraph shown first (the demo: its papers are synthetic)
    other_problems: tuple[Problem, ...] = ()
    #: The simulation was reused from an earlier run's cache (same arguments and code), not run again.
    simulation_reused: bool = False
    #: (benchmark, measure) → the rows its figures draw (``fit.drawn_points``), kept from the fits; not written.
    drawn: Mapping[tuple[str, str], pd.DataFrame] = field(default_factory=dict, compare=False, repr=False)

    @property
    def problems(self) -> tuple[Problem, ...]:
        return (tuple(Problem("(dataset)", "", w) for w in self.input_warnings) + self.fits.problems
                + self.other_problems)

    @property
    def fitted_anything(self) -> bool:
        return bool(self.fits.fits)


#: Columns that give a row its compute, directly or through build's derivation (``derive_compute``).
COMPUTE_INPUTS: tuple[tuple[str, ...], ...] = (
    ("gflops_per_pass",), ("gflops_imputed",), ("hardware_burden_gflop",), ("flops",), ("mult_adds",),
    ("hardware_gflops_total", "training_time_hours"),
    ("hardware_count", "hardware_gflops", "training_time_hours"),
    ("hardware_count", "hardware", "training_time_hours"),
)


def check_inputs(df: pd.DataFrame, dataset: str = "") -> None:
    """Raise ``AnalysisError`` naming the missing columns when nothing could be fitted from ``df``.

    Runs before any fit or simulation, so a wrong file fails at once.
    """
    cols = set(df.columns)
    missing: list[str] = []
    if "benchmark" not in cols:
        missing.append("benchmark")
    if "error" not in cols and not cols & set(METRIC_FIELDS):
        missing.append("error (or a metric column such as " + ", ".join(METRIC_FIELDS[:4]) + ")")
    if not any(set(group) <= cols for group in COMPUTE_INPUTS):
        missing.append("a compute column: " + "; ".join(" + ".join(g) for g in COMPUTE_INPUTS))
    if missing:
        where = f"dataset {dataset}" if dataset else "dataset"
        raise AnalysisError(f"{where}: nothing can be fitted: missing column(s) {' | '.join(missing)} "
                            f"(has: {', '.join(map(str, df.columns[:12])) or 'no columns'}"
                            f"{' …' if len(df.columns) > 12 else ''}); see docs/data-dictionary.md")


def complete_dataset(df: pd.DataFrame, hardware_basis: str = DEFAULT_HARDWARE_BASIS) -> tuple[pd.DataFrame, list[str]]:
    """A dataset frame with every derived column, deriving empty cells with build's code.

    A facts-level table (flops, mult_adds, params, hardware or hardware_gflops(_total),
    hardware_count, training_time_hours) gets ``gflops_per_pass`` and ``hardware_burden_gflop``
    exactly as ``flopmine build`` would; cells already filled are kept.
    """
    return derive_compute(df, default_gflops_lookup(hardware_basis), hardware_basis)


#: Columns of build's dataset that nothing in analyze reads (links, titles, provenance, the hardware figure's
#: description, the schedule): ``read_for_analysis`` leaves them in the Parquet file. Tested: the analysis of the
#: frame without them is the analysis of the whole frame.
UNREAD_COLUMNS = frozenset({"url", "title", "version", "epochs", "training_steps", "hardware_figure", "hardware_entry",
                            "hardware_unit", "error_metric", "gflops_source", "compute_sources", "candidate_ids",
                            "pages", "decisions"})
#: The file ``build.write_dataset`` writes after dataset.csv and dataset.parquet: neither is newer on a dataset as
#: build left it (it may write the two at the same time, so either can be the newer of the pair).
BUILD_WRITES_LAST = "data_dictionary.csv"
#: The text dataset.csv holds in a cell that starts like a formula (``flopmine.config.neutralise_cell``).
_FORMULA_LIKE = r"^[=+\-@\t\r]"


def read_for_analysis(path: Path | str) -> pd.DataFrame:
    """The dataset as analyze reads it: ``build.read_dataset(path)``, from the Parquet copy when that is the same data.

    ``flopmine build`` writes dataset.parquet beside dataset.csv, from the same frame, then the data dictionary. When
    ``path`` is such a CSV, neither it nor the Parquet is newer than the dictionary (or, without one, the Parquet is
    not older than the CSV), and the Parquet has the CSV's header and as many rows as the CSV has lines, it is read
    instead, without ``UNREAD_COLUMNS``, and turned into what the CSV holds: floats rounded to the CSV's significant
    digits (``build.round_significant``: the CSV's shortest repr reads back as exactly that float) and formula-like
    text cells neutralised. That is the frame ``read_dataset`` gives on the columns analyze reads (tested, on
    build's own output and on generated tricky cells), for a sixth of its CPU at 100,000 rows; anything else (an
    edited CSV, a CSV of its own, a Parquet that does not open) is read as before.
    """
    from .build import CSV_SIGNIFICANT_DIGITS, dictionary, read_dataset, round_significant

    p = Path(path)
    table = _parquet_twin(p)
    if table is None:
        return read_dataset(p)
    import pyarrow.compute as pc

    from flopmine.config import neutralise_cell

    text = {c.name for c in dictionary.COLUMNS if c.dtype == "text"}
    risky = [c for c in table.column_names if c in text and pc.any(pc.match_substring_regex(  # type: ignore[attr-defined]
        table[c], _FORMULA_LIKE)).as_py()]  # type: ignore[attr-defined]
    df = table.to_pandas()  # type: ignore[attr-defined]
    for c in df.columns:
        values = df[c]
        if c in text:
            values = values.fillna("")
            if c in risky:
                formula = values.str.match(_FORMULA_LIKE, na=False)
                values = values.where(~formula, values[formula].map(neutralise_cell))
            df[c] = values
        elif values.dtype == "float64":
            with np.errstate(all="ignore"):  # below ~1e-297 the CSV holds an empty cell: NaN, as written
                df[c] = round_significant(values.to_numpy(), CSV_SIGNIFICANT_DIGITS)
    return df


def _parquet_twin(csv: Path) -> object | None:
    """The columns analyze reads of the Parquet file build wrote beside ``csv`` (a pyarrow Table), or None when there
    is none or it may not hold the CSV's data."""
    twin, marker = csv.with_suffix(".parquet"), csv.with_name(BUILD_WRITES_LAST)
    if csv.suffix != ".csv" or not twin.is_file() or not csv.is_file():
        return None
    try:
        written = {p: p.stat().st_mtime_ns for p in (csv, twin, marker) if p.is_file()}
        if marker in written:  # build writes the CSV and the Parquet (in either order, or at once), then this file
            if max(written[csv], written[twin]) > written[marker]:  # one of them written or edited since
                return None
        elif written[twin] < written[csv]:  # no build's marker: the CSV was written (or edited) after the Parquet
            return None
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(twin)
        names = meta.schema_arrow.names
        with csv.open("rb") as f:
            header = f.readline()
            lines = _count_lines(f)
        if header.rstrip(b"\r\n").decode("utf-8") != ",".join(names) or lines != meta.metadata.num_rows:
            return None
        return meta.read(columns=[c for c in names if c not in UNREAD_COLUMNS], use_pandas_metadata=True)
    except (OSError, ValueError, UnicodeDecodeError, ImportError):
        return None


def _count_lines(f: object) -> int:
    """Newlines left in a binary file (a row with a quoted newline counts twice, and the Parquet is then not used)."""
    n = 0
    while block := f.read(1 << 24):  # type: ignore[attr-defined]
        n += block.count(b"\n")
    return n


def _implausible_table(df: pd.DataFrame) -> tuple[dict[str, str], ...]:
    if "implausible" not in df.columns:
        return ()
    text = df["implausible"].fillna("").astype(str)
    rows = df[text != ""]
    left_out = implausible_rows(rows)
    return tuple({"line": str(i + 2), "benchmark": str(r.get("benchmark", "")), "arxiv_id": str(r.get("arxiv_id", "")),
                  "model": str(r.get("model", "")), "reason": str(r["implausible"]),
                  "status": "left out" if left_out[i] else "kept (forced by reviewer)"}
                 for i, r in rows.iterrows())


def run_analysis(df: pd.DataFrame, *, sims: int = DEFAULT_SIMS, seed: int = DEFAULT_SEED, dataset: str = "",
                 registry: Mapping[str, Benchmark] | None = None, progress: Progress | None = None,
                 points: str = DEFAULT_POINTS, today: Mapping[str, float] | None = None,
                 construction: str = ex.DEFAULT_CONSTRUCTION, note: str = "",
                 simulation_cache: Path | None = None, simulation_store: Path | None = None,
                 on_fit: Callable[[MeasureFits, pd.DataFrame], None] | None = None,
                 quantile_fitter: QuantileFitter | None = None) -> AnalysisResult:
    """Fit every benchmark × measure, extrapolate (Figure 4), refit Figure 7 and run the simulation.

    ``sims = 0`` skips the simulation, and so does a dataset from which nothing could be fitted.
    ``points`` chooses the hardware-burden rows (``best-per-paper``, the seed's, or ``all``).
    ``today`` (benchmark or ``"*"`` → error) overrides the error today; ``construction`` is how Figure 4's
    compute is obtained (``line``, the seed's, or ``best-point``; see ``extrapolate``). With
    ``simulation_cache`` (a file) the simulation is reused from it when an earlier run stored the same one
    (``simulate.cached_simulate``: it depends on its arguments and code only, never on the dataset), or from the
    directory ``simulation_store`` shared by the runs of a home. ``on_fit`` is called with each benchmark × measure's
    fits and the rows its figures draw as soon as they are made (``fit_all``: first without the quantile regression;
    analyze hands the figures to its helpers); ``quantile_fitter`` computes the quantile regressions (``fit_all``).
    """
    if construction not in ex.CONSTRUCTIONS:
        raise ValueError(f"construction must be one of {', '.join(ex.CONSTRUCTIONS)}, not {construction!r}")
    drawn: dict[tuple[str, str], pd.DataFrame] = {}
    fits = fit_all(df, registry, points=points, today=today, drawn=drawn if registry is None else None,
                   on_fit=on_fit if registry is None else None,  # the figures select with the default registry
                   quantile_fitter=quantile_fitter)
    sota = {t.benchmark: t for t in fits.state_of_the_art}
    extrapolations = tuple(ex.extrapolate_all(fits.fits, today=sota, construction=construction))
    conv = None
    other_problems: list[Problem] = []
    if {"params", "gflops_per_pass", "arxiv_id", "model"} <= set(df.columns):
        frame = df.assign(params=pd.to_numeric(df["params"], errors="coerce"),
                          gflops_per_pass=pd.to_numeric(df["gflops_per_pass"], errors="coerce"),
                          model=df["model"].fillna("").astype(str))
        frame = frame[~implausible_rows(frame)]
        over = conversion_overflow(frame).to_numpy(bool)
        if over.any():
            lines = [str(i + 2) for i in frame.index[over][:12]]
            other_problems.append(Problem("(conversion)", "per_pass", f"{int(over.sum())} row(s) whose params or GFLOPs "
                                         f"per pass overflow the fit (beyond 1e{MAX_FIT_LOG10:g}) left out of the "
                                         f"Figure 7 regression (dataset line(s) {', '.join(lines)})"))
        conv = fit_conversion(frame)
    if today and construction == "best-point":
        other_problems.append(Problem("(today)", "", "--today is not used with --extrapolate-from best-point, which "
                                     "starts at each fit's best point (its error and compute)"))
    sim, reused = None, False
    if sims > 0 and fits.fits:
        if simulation_cache is None:
            sim = simulate(sims=sims, seed=seed, progress=progress)
        else:
            sim, reused = cached_simulate(simulation_cache, sims=sims, seed=seed, progress=progress,
                                          shared=simulation_store)
    return AnalysisResult(fits=fits, extrapolations=extrapolations, conversion=conv, simulation=sim,
                          dataset_rows=len(df), dataset=dataset, implausible=_implausible_table(df),
                          construction=construction, note=note, other_problems=tuple(other_problems),
                          simulation_reused=reused, drawn=drawn)


# ---------------------------------------------------------------- JSON


def _clean(obj: object) -> object:
    """JSON-safe: dataclasses → dicts, NaN → null, ±inf → "inf"/"-inf"."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return _clean(asdict(obj))
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, float):
        if math.isnan(obj):
            return None
        if math.isinf(obj):
            return "inf" if obj > 0 else "-inf"
    return obj


def results_to_json(result: AnalysisResult) -> dict[str, object]:
    """Every fitted number, machine-readable (the content of results.json)."""
    return _clean({
        "dataset": result.dataset,
        "dataset_rows": result.dataset_rows,
        "benchmarks": list(result.fits.benchmarks),
        "fits": [asdict(f) for f in result.fits.fits],
        "extrapolation": [e.to_row() for e in result.extrapolations],
        "conversion": asdict(result.conversion) if result.conversion else None,
        "simulation": result.simulation.to_dict() if result.simulation else None,
        "problems": [asdict(p) for p in result.problems],
        "implausible_rows": list(result.implausible),
        "hardware_burden_points": result.fits.points,
        "forms": {f: {"equation": ex.FORM_EQUATIONS[f], "seed": ex.FORM_IN_SEED[f]} for f in ex.FORMS},
        "figure4": {
            "construction": result.construction,
            "construction_text": ex.CONSTRUCTION_TEXT[result.construction],
            "polynomial_form": "polynomial",
            "exponential_form": ex.SEED_EXPONENTIAL_FORM,
            "exponential_equation": ex.FORM_EQUATIONS[ex.SEED_EXPONENTIAL_FORM],
            "today": [asdict(t) for t in result.fits.state_of_the_art],
        },
        "note": result.note,
        "constants": {
            "co2_lbs_per_gflop": ex.CO2_LBS_PER_GFLOP, "usd_per_gflop": ex.USD_PER_GFLOP,
            "usd_per_gflop_high": ex.USD_PER_GFLOP_HIGH, "p100_fp32_gflops": ex.P100_FP32_GFLOPS,
            "source": "Strubell, Ganesh & McCallum 2019 (arXiv:1906.02243), Table 3, Transformer big w/ NAS row",
            "targets": ex.TARGETS,
        },
    })  # type: ignore[return-value]


# ---------------------------------------------------------------- document blocks (→ md and html)


@dataclass(frozen=True)
class _Block:
    kind: str  # h1 h2 h3 p table img list
    text: str = ""
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    items: tuple[str, ...] = ()


def _num(v: float, fmt: str = ".3f") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, float) and math.isinf(v):
        return "∞" if v > 0 else "−∞"
    return format(v, fmt)


def _stars(p: float) -> str:
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def _coef_cell(fit: OLSFit, name: str) -> str:
    c = fit.coef(name)
    return f"{_num(c.estimate)}{_stars(c.p)} ({_num(c.se)})"


#: How each fitted form is named in the report: Figure 4 extrapolates the polynomial and the 1/error
#: exponential; the error-linear form (Table 1 column 1) is not one of Figure 4's forms.
FORM_LABELS = {
    "polynomial": "polynomial, log10(error) (Figure 4)",
    "exponential_perf": "exponential, 1/error (Figure 4, Table 4)",
    "exponential": "error-linear, error (Table 1 (1); not in Figure 4)",
    "polynomial_year": "polynomial + year (Table 2)",
}


def _contains_zero(c: Coef) -> bool:
    return not (c.ci_low > 0 or c.ci_high < 0)


def _range(lo: float, hi: float, fmt: str = ".1f") -> str:
    """A '[lo, hi]' range for the report; never '– – ∞'.

    >>> _range(3.0, 5.25), _range(3.0, math.inf), _range(math.nan, math.nan)
    ('3.0 – 5.2', '≥ 3.0 (interval reaches 0)', 'n/a')
    """
    finite = [v for v in (lo, hi) if v is not None and math.isfinite(v)]
    if len(finite) == 2:
        return f"{format(lo, fmt)} – {format(hi, fmt)}"
    if len(finite) == 1 and any(v is not None and math.isinf(v) for v in (lo, hi)):
        return f"≥ {format(finite[0], fmt)} (interval reaches 0)"
    return "n/a"


def _sim_range(lo: float, hi: float, n_max: int) -> str:
    """The per-simulation range of a crossing; an end past the grid (never reached) reads "> n_max".

    >>> _sim_range(393.4, math.nan, 2500), _sim_range(53.2, 319.6, 2500), _sim_range(math.nan, math.nan, 2500)
    ('393 – > 2500', '53 – 320', '> 2500')
    """
    if math.isnan(lo):
        return f"> {n_max}"
    return f"{lo:.0f} – {'> ' + str(n_max) if math.isnan(hi) else format(hi, '.0f')}"


def _k_cell(slope: Coef, k: float) -> str:
    """The implied exponent, or why there is none (slope ≥ 0: no improvement; CI with 0: not significant)."""
    if not slope.estimate < 0:
        return "none: no improvement with compute (slope ≥ 0)"
    if _contains_zero(slope):
        return f"{_num(k, '.1f')} (not significant: slope's 95 % CI contains 0)"
    return _num(k, ".1f")


def _fit_table(fits: MeasureFits) -> _Block:
    forms: list[tuple[str, OLSFit | None]] = [
        (FORM_LABELS["polynomial"], fits.polynomial), (FORM_LABELS["exponential_perf"], fits.exponential_perf),
        (FORM_LABELS["exponential"], fits.exponential), (FORM_LABELS["polynomial_year"], fits.polynomial_year)]
    rows = []
    for label, f in forms:
        if f is None:
            continue
        year = _coef_cell(f, "year") if any(c.name == "year" for c in f.coefs) else ""
        rows.append((label, _coef_cell(f, "const"), _coef_cell(f, "log10_compute"), year, str(f.n), _num(f.r2, ".2f"),
                     _num(f.adj_r2, ".2f"), _num(f.resid_se, ".3f"), f"{_num(f.f, '.2f')}{_stars(f.f_p)}"))
    return _Block("table", headers=("model", "constant (se)", "log10 compute (se)", "year (se)", "n", "R²", "adj. R²",
                                    "resid. SE", "F"), rows=tuple(rows))


_PAPER_TABLES = (  # form, response, the paper's table for (per_pass, hardware_burden)
    ("polynomial", "polynomial, log10(error)", {"per_pass": "as Table 1 (2)", "hardware_burden": "as Table 3"}),
    ("exponential_perf", "exponential, 1/error", {"per_pass": "Table 4's form", "hardware_burden": "as Table 4"}),
    ("exponential", "error-linear, error; not a Figure 4 form",
     {"per_pass": "as Table 1 (1)", "hardware_burden": "Table 1 (1)'s form"}),
)


def _paper_tables(result: AnalysisResult) -> list[_Block]:
    """The paper's layout: one column per benchmark, one table per compute measure and form."""
    out: list[_Block] = []
    for measure in MEASURES:
        fits = [f for f in result.fits.fits if f.measure == measure]
        if not fits:
            continue
        for form, response, paper in _PAPER_TABLES:
            cols = [getattr(f, form) for f in fits]
            rows = (
                ("Constant", *(_coef_cell(c, "const") for c in cols)),
                (f"log10({MEASURE_LABELS[measure]})", *(_coef_cell(c, "log10_compute") for c in cols)),
                ("Observations", *(str(c.n) for c in cols)),
                ("R²", *(_num(c.r2, ".2f") for c in cols)),
                ("Adjusted R²", *(_num(c.adj_r2, ".2f") for c in cols)),
                ("Residual Std. Error", *(f"{_num(c.resid_se, '.3f')} (df = {c.df_resid})" for c in cols)),
                ("F Statistic", *(f"{_num(c.f, '.2f')}{_stars(c.f_p)} (df = {c.df_model}; {c.df_resid})" for c in cols)),
            )
            out.append(_Block("h3", f"{MEASURE_LABELS[measure]}: {response} ({paper[measure]})"))
            out.append(_Block("table", headers=("", *(f.benchmark for f in fits)), rows=rows))
    return out


POINTS_TEXT = {
    "best-per-paper": "hardware burden uses one point per paper, its best (lowest-error) model, as the seed's "
                      "Table 3 (--points best-per-paper); GFLOPs per pass uses every model",
    "all": "hardware burden uses every model (--points all), so a paper's one training burden is given to all "
           "its variants; GFLOPs per pass uses every model",
}


def summary(result: AnalysisResult) -> str:
    """One paragraph with the headline numbers (the report's opening)."""
    if not result.fits.fits:
        return f"Nothing could be fitted from {result.dataset_rows} rows; see the warnings below."
    parts = []
    for f in result.fits.fits:
        slope = f.polynomial.slope
        k = _k_cell(slope, f.exponent.k)
        ci = f", 95 % CI {_range(f.exponent.ci_low, f.exponent.ci_high)}" if k == _num(f.exponent.k, ".1f") else ""
        parts.append(f"{f.benchmark} ({MEASURE_LABELS[f.measure]}, n = {f.n}): k = {k}{ci}")
    imputed = [f"{f.benchmark}" for f in result.fits.fits if f.today.imputed]
    text = (f"From {result.dataset_rows} dataset rows over {len(result.fits.benchmarks)} benchmark(s), compute "
            "grows as (1/error)^k with " + "; ".join(parts) + ". The paper found k ≈ 9 for ImageNet hardware burden "
            f"(Table 3). Points: {POINTS_TEXT.get(result.fits.points, result.fits.points)}.")
    if result.implausible:
        text += f" {len(result.implausible)} implausible row(s) are listed under Problems."
    if imputed:
        text += (" Today's best per-pass point is imputed from params (Figure 7) for: " + ", ".join(imputed) + ".")
    return text


def _blocks(result: AnalysisResult, figures: Mapping[str, str]) -> list[_Block]:
    b: list[_Block] = [_Block("h1", "flopmine analysis: the computational limits of deep learning, regenerated")]
    if result.note:
        b.append(_Block("p", result.note))
    b.append(_Block("p", summary(result)))
    fitted = [f"{f.benchmark} / {f.measure} (n = {f.n})" for f in result.fits.fits]
    b.append(_Block("p", f"Dataset: {result.dataset or '(in memory)'}, {result.dataset_rows} rows, benchmarks: "
                    f"{', '.join(result.fits.benchmarks) or 'none'}. Fitted: {', '.join(fitted) or 'nothing'}. "
                    "Methods, conventions and constants: docs/analysis.md. Significance: * p<0.1, ** p<0.05, "
                    "*** p<0.01."))
    if result.problems:
        b.append(_Block("h2", "Warnings"))
        b.append(_Block("list", items=tuple(str(p) for p in result.problems)))
    if result.implausible:
        b.append(_Block("h2", "Problems: implausible rows"))
        b.append(_Block("p", "Rows build flagged as implausible (docs/data-dictionary.md, column `implausible`). They "
                        "are left out of every fit unless a reviewer forced each flagged value."))
        b.append(_Block("table", headers=("line", "benchmark", "arxiv_id", "model", "reason", "status"),
                        rows=tuple(tuple(r[h] for h in ("line", "benchmark", "arxiv_id", "model", "reason", "status"))
                                   for r in result.implausible)))

    b.append(_Block("h2", "Implied scaling exponents (compute ∝ (1/error)^k)"))
    rows = []
    for f in result.fits.fits:
        q = f.quantile_exponent
        slope = f.polynomial.slope
        k_ci = _range(f.exponent.ci_low, f.exponent.ci_high) if slope.estimate < 0 else "n/a"
        qk = _k_cell(f.quantile.slope, q.k) if f.quantile and q else "–"
        rows.append((f.benchmark, MEASURE_LABELS[f.measure], str(f.n), f"{_num(slope.estimate)}{_stars(slope.p)}",
                     _k_cell(slope, f.exponent.k), k_ci, _num(f.quantile.slope.estimate) if f.quantile else "–", qk))
    b.append(_Block("table", headers=("benchmark", "compute", "n", "slope b", "k = −1/b", "95 % CI of k",
                                      "10 % quantile slope", "quantile k"), rows=tuple(rows)))

    if result.fits.fits:
        b.append(_Block("h2", "Regression tables (the paper's layout)"))
        b += _paper_tables(result)

    for f in result.fits.fits:
        b.append(_Block("h2", f"{f.benchmark}: {MEASURE_LABELS[f.measure]}"))
        imputed = " Its GFLOPs are imputed from params (Figure 7), not reported." if f.today.imputed else ""
        b.append(_Block("p", f"Best fitted point (lowest error with this compute; the anchor of --extrapolate-from "
                        f"best-point): error {f.today.error * 100:.3g} % at {f.today.compute:.3g} GFLOP "
                        f"({f.today.arxiv_id} {f.today.model}).".replace("  ", " ") + imputed))
        b.append(_fit_table(f))
        if f.polynomial_year is not None:
            ys, yr = f.polynomial_year.slope, f.polynomial_year.coef("year")
            yb, yc = ys.estimate, yr.estimate
            if _contains_zero(yr) or _contains_zero(ys):
                which = "year coefficient" if _contains_zero(yr) else "compute slope"
                b.append(_Block("p", f"Year trend (Table 2): {yc:.3f} per year, not significant (the {which}'s 95 % "
                                "interval contains 0), so no compute equivalent of a year is given."))
            elif yb < 0 and yc < 0:
                b.append(_Block("p", f"Year trend (Table 2): {yc:.3f} per year, so one year of algorithmic progress is "
                                f"worth {10 ** (yc / yb):.2f}× compute and 10× compute ≈ {yb / yc:.1f} years "
                                "(the paper: 3 years ≈ 10×)."))
            else:
                b.append(_Block("p", f"Year trend (Table 2): year {yc:+.3f}, compute slope {yb:+.3f}: with a "
                                "non-negative coefficient there is no compute equivalent of a year."))
        for key in (f"scatter_{f.benchmark}_{f.measure}", f"quantile_{f.benchmark}_{f.measure}"):
            if key in figures:
                b.append(_Block("img", figures[key]))

    b.append(_Block("h2", "Figure 4: compute, CO2 and cost needed for target error rates"))
    b.append(_Block("p", f"Construction ({result.construction}): {ex.CONSTRUCTION_TEXT[result.construction]}. Forms: "
                    f"polynomial = {ex.FORM_EQUATIONS['polynomial']} (Table 3); exponential = "
                    f"{ex.FORM_EQUATIONS[ex.SEED_EXPONENTIAL_FORM]}, the form of the seed's Figure 4 and Table 4 "
                    f"(`{ex.SEED_EXPONENTIAL_FORM}` in results.json; Table 4's coefficients are in 1/error units); "
                    f"the error-linear form ({ex.FORM_EQUATIONS['exponential']}) is not one of Figure 4's. Values are "
                    "log10. CO2 (lbs) and dollars only for hardware burden, with "
                    f"{ex.CO2_LBS_PER_GFLOP:.3g} lbs and ${ex.USD_PER_GFLOP:.3g} per GFLOP (Strubell et al. 2019)."))
    if result.fits.state_of_the_art and result.construction == "line":
        b.append(_Block("list", items=tuple(f"{t.benchmark}: today {t.describe()}"
                                            for t in result.fits.state_of_the_art)))
    seed_table = figure4_table(result)
    if seed_table.rows:
        b.append(_Block("h3", "Hardware burden in the seed's layout (log10 GFLOP, lbs CO2, USD)"))
        b.append(seed_table)
        b.append(_Block("h3", "Every form and measure, with 95 % ranges"))
    rows = []
    for e in result.extrapolations:
        rows.append((e.benchmark, e.measure, FORM_LABELS.get(e.form, e.form), e.label, f"{e.target_error * 100:.3g} %",
                     _num(e.log10_gflop, ".1f"), _range(e.log10_gflop_low, e.log10_gflop_high),
                     _num(e.log10_co2_lbs, ".1f"), _num(e.log10_usd, ".1f")))
    b.append(_Block("table", headers=("benchmark", "compute", "form", "", "error", "log10 GFLOP", "range",
                                      "log10 CO2 lbs", "log10 USD"), rows=tuple(rows)))

    b.append(_Block("h2", "Figure 7: conversion regression (network size → GFLOPs per pass)"))
    c = result.conversion
    b.append(_Block("p", "Not fitted: too few models report both params and FLOPs." if c is None else
                    f"log10(GFLOPs) = {c.intercept:.3f} (se {c.se_intercept:.3f}) + {c.slope:.3f} (se {c.se_slope:.3f}) "
                    f"× log10(params); n = {c.n}, R² = {c.r2:.2f}."))
    if "conversion" in figures:
        b.append(_Block("img", figures["conversion"]))

    b.append(_Block("h2", "Figure 1: the Section 2 simulation"))
    s = result.simulation
    if s is None:
        b.append(_Block("p", "Skipped (--sims 0)."))
    else:
        needed = ", ".join(f"{m} {_num(v, '.0f')}" for m, v in s.n_needed.items())
        took = (f"{_num(s.seconds, '.1f')} s when an earlier run computed it; reused" if result.simulation_reused
                else f"{_num(s.seconds, '.1f')} s")
        b.append(_Block("p", f"d = {s.d}, s = {s.s}, {s.sims} simulations (seed {s.seed}, {took}). "
                        f"Observations needed to reach the oracle's performance at n = {s.reference_n} "
                        f"({s.reference_performance:.2f}), read off the mean curves with log-n interpolation between "
                        f"the grid's sample sizes: {needed}."))
        b.append(_Block("h3", "Headline: the crossing points (the paper: flexible 1,500, regularized 175)"))
        b.append(_Block("table", headers=(
            "model", "n (mean curves)", "bootstrap 95 %", f"per simulation {SPREAD[0]:g}–{SPREAD[1]:g} %",
            "per simulation median", "never within the grid", "the paper"),
            rows=tuple((m if m != "lasso" else "lasso (regularized)", _num(c.n, ".0f"),
                        _range(c.boot_low, c.boot_high, ".0f"), _sim_range(c.sim_low, c.sim_high, s.n_grid[-1]),
                        _num(c.sim_median, ".0f"), f"{c.never} of {s.sims}", _num(c.paper, ",.0f"))
                       for m, c in s.crossings.items())))
        rows = tuple((str(n), *(_num(s.mean[m][i], ".2f") for m in s.mean)) for i, n in enumerate(s.n_grid))
        b.append(_Block("table", headers=("n", *s.mean.keys()), rows=rows))
        if "simulation" in figures:
            b.append(_Block("img", figures["simulation"]))
    return b


def figure4_table(result: AnalysisResult, measure: str = "hardware_burden") -> _Block:
    """Figure 4 as the seed prints it: per benchmark, today and each target, polynomial and exponential
    (1/error) computation, CO2 and dollars, as log10 values to one decimal."""
    by_key = {(e.benchmark, e.form, e.label): e for e in result.extrapolations if e.measure == measure}
    rows = []
    for bench in dict.fromkeys(e.benchmark for e in result.extrapolations if e.measure == measure):
        labels = [lab for (bb, form, lab) in by_key if bb == bench and form == "polynomial"]
        for lab in labels:
            poly, expo = by_key[(bench, "polynomial", lab)], by_key.get((bench, ex.SEED_EXPONENTIAL_FORM, lab))
            cells = [bench, f"{lab.capitalize()}: {poly.target_error * 100:.4g} %"]
            for e in (poly, expo):
                cells += [_num(e.log10_gflop, ".1f"), _num(e.log10_co2_lbs, ".1f"), _num(e.log10_usd, ".1f")] \
                    if e is not None else ["–"] * 3
            rows.append(tuple(cells))
    return _Block("table", headers=("benchmark", "error rate", "polynomial GFLOP", "CO2", "$", "exponential GFLOP",
                                    "CO2", "$"), rows=tuple(rows))


def _md_cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def to_markdown(blocks: list[_Block]) -> str:
    out: list[str] = []
    for bl in blocks:
        if bl.kind in ("h1", "h2", "h3"):
            out += ["#" * int(bl.kind[1]) + " " + bl.text, ""]
        elif bl.kind == "p":
            out += [bl.text, ""]
        elif bl.kind == "list":
            out += [f"- {_md_cell(i)}" for i in bl.items] + [""]
        elif bl.kind == "img":
            out += [f"![{Path(bl.text).stem}]({bl.text})", ""]
        elif bl.kind == "table":
            out.append("| " + " | ".join(_md_cell(h) for h in bl.headers) + " |")
            out.append("|" + "---|" * len(bl.headers))
            out += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in bl.rows]
            out.append("")
    return "\n".join(out)


_CSS = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:1em 0;font-size:90%}td,th{border:1px solid #ccc;padding:3px 7px}"
        "th{background:#f3f3f3}img{max-width:100%}")


def to_html(blocks: list[_Block]) -> str:
    e = html.escape
    out = ["<!doctype html>", "<html lang='en'><head><meta charset='utf-8'>",
           "<title>flopmine analysis</title>", f"<style>{_CSS}</style></head><body>"]
    for bl in blocks:
        if bl.kind in ("h1", "h2", "h3"):
            out.append(f"<{bl.kind}>{e(bl.text)}</{bl.kind}>")
        elif bl.kind == "p":
            out.append(f"<p>{e(bl.text)}</p>")
        elif bl.kind == "list":
            out.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in bl.items) + "</ul>")
        elif bl.kind == "img":
            out.append(f"<p><img src='{e(bl.text)}' alt='{e(Path(bl.text).stem)}'></p>")
        elif bl.kind == "table":
            out.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in bl.headers) + "</tr>")
            out += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in bl.rows]
            out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- writing


def write_report(result: AnalysisResult, df: pd.DataFrame, out_dir: Path | str, *, figures: bool = True,
                 cache: bool = False, dpi: int | None = None, workers: int | None = None) -> list[Path]:
    """Write figures, results.json, extrapolation.csv, report.md and report.html into ``out_dir``.

    With ``cache`` a figure whose inputs, resolution and drawing code are those of the figure already there is not
    drawn again (``figcache.FigureCache``, in ``figures/.figures.json``); the files are the same either way.
    ``dpi`` is the figures' resolution (default ``figures.DPI``; ``figures.PRINT_DPI`` for print) and ``workers``
    how many processes draw them (default ``workers.default_workers()``; 1 draws them here, one by one).
    """
    from .workers import Helpers, default_workers

    with Helpers(default_workers() if workers is None else workers) as helpers:
        return _write_report(result, df, Path(out_dir), figures=figures, cache=cache, dpi=dpi, helpers=helpers)[1]


class _Figures:
    """The figures handed to the helpers, by path: each drawn once, unless the one on disk is fresh (``cache``).

    analyze hands a fit's figures over as soon as the fit is made (``fitted``, called by ``fit_all``), so the helpers
    draw while the other benchmarks are fitted; ``_write_report`` then finds them here.
    """

    def __init__(self, fig_dir: Path, *, cache: bool, dpi: int | None, helpers: Helpers) -> None:
        from . import figcache

        self.fig_dir, self.helpers, self._key = fig_dir, helpers, figcache.input_key
        self.known = figcache.FigureCache(fig_dir) if cache else None
        self.resolution = figcache.DEFAULT_DPI if dpi is None else int(dpi)
        self.submitted: dict[Path, tuple[str, Future[Path | None] | None]] = {}

    def of_fit(self, f: MeasureFits) -> list[tuple[str, Path, str, MeasureFits]]:
        """A fit's figures: (report key, path, figure function, the fits it draws). Figure 3 draws the OLS fits only,
        so it is drawn, and keyed, without the quantile regression: it is handed over before that is fitted."""
        name = f"{f.benchmark}_{f.measure}"
        ols = replace(f, quantile=None, quantile_exponent=None)
        scatter = [(f"scatter_{name}", self.fig_dir / f"fit_{name}.png", "scatter_fits", ols)]
        if f.quantile is None:
            return scatter
        return [*scatter, (f"quantile_{name}", self.fig_dir / f"quantile_{name}.png", "mean_vs_quantile", f)]

    def submit(self, path: Path, key_parts: tuple[object, ...], make: str,
               *args: object) -> tuple[str, Future[Path | None] | None]:
        """The figure's input key and its drawing (None: the figure on disk is fresh), handed over once."""
        if path not in self.submitted:
            key = self._key(path.name, self.resolution, *key_parts) if self.known is not None else ""
            fresh = self.known is not None and self.known.fresh(path, key)  # matplotlib only where one is drawn
            self.submitted[path] = key, None if fresh else self.helpers.submit(
                _draw_figure, (make, (*args, path), self.resolution))
        return self.submitted[path]

    def fitted(self, f: MeasureFits, shown: pd.DataFrame) -> None:
        for _, path, make, drawn in self.of_fit(f):
            self.submit(path, (shown, drawn), make, shown, drawn)


def _write_report(result: AnalysisResult, df: pd.DataFrame, out: Path, *, figures: bool, cache: bool,
                  dpi: int | None, helpers: Helpers,
                  simulation: Callable[[], tuple[SimulationResult, bool]] | None = None,
                  drawing: _Figures | None = None) -> tuple[AnalysisResult, list[Path]]:
    """``write_report`` with its figures drawn by ``helpers``; the result as written and the files.

    ``drawing``: the figures already handed to the helpers while the fits were made (``_Figures.fitted``).

    ``simulation``: what gives the simulation still being computed (by a helper), asked for only once every other
    figure has been handed to the helpers; ``result`` then takes it (``simulation_reused`` included) before anything
    is written.
    """
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    made: dict[str, str] = {}
    fig_dir = out / "figures"
    figs = drawing if drawing is not None else _Figures(fig_dir, cache=cache and figures, dpi=dpi, helpers=helpers)
    # (report key, path, input key, the figure being drawn: None when the one on disk is fresh), in the report's order
    wanted: list[tuple[str, Path, str, Future[Path | None] | None]] = []

    def want(name: str, path: Path, key_parts: tuple[object, ...], make: str, *args: object) -> None:
        wanted.append((name, path, *figs.submit(path, key_parts, make, *args)))

    if figures:
        prepared: pd.DataFrame | None = None
        for f in result.fits.fits:
            drawn_from = result.drawn.get((f.benchmark, f.measure))
            if drawn_from is None:  # a result not made by run_analysis (or with another registry)
                prepared = prepare(df)[0] if prepared is None else prepared
                drawn_from = drawn_points(select_points(prepared, f.benchmark, f.measure)[0])
            for name, path, make, drawn in figs.of_fit(f):
                want(name, path, (drawn_from, drawn), make, drawn_from, drawn)
        if result.conversion is not None and {"params", "gflops_per_pass"} <= set(df.columns):
            sizes = pd.DataFrame({c: pd.to_numeric(df[c], errors="coerce") for c in ("params", "gflops_per_pass")})
            conv = result.conversion
            want("conversion", fig_dir / "conversion.png", (sizes, conv), "conversion", sizes, conv)
    if simulation is not None:
        sim, reused = simulation()
        result = replace(result, simulation=sim, simulation_reused=reused)
    if figures and result.simulation is not None:
        sim = result.simulation
        want("simulation", fig_dir / "simulation.png", (replace(sim, seconds=0.0),), "simulation", sim)
    for name, path, key, future in wanted:
        got = future.result() if future is not None else path
        if got is not None:
            made[name] = _rel(got, out)
            if figs.known is not None and future is not None:
                figs.known.record(got, key)
    if figs.known is not None:
        figs.known.save()
    written += [out / v for v in made.values()]
    payload = results_to_json(result)
    payload["figures"] = made
    write_text_atomic(out / "results.json", json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    write_csv_atomic(out / "extrapolation.csv", EXTRAPOLATION_COLUMNS,
                     [{k: _csv_num(v) for k, v in e.to_row().items()} for e in result.extrapolations])
    blocks = _blocks(result, made)
    write_text_atomic(out / "report.md", to_markdown(blocks))
    write_text_atomic(out / "report.html", to_html(blocks))
    written += [out / n for n in ("results.json", "extrapolation.csv", "report.md", "report.html")]
    return result, written


def _draw_figure(job: tuple[str, tuple[object, ...], int]) -> Path | None:
    """One figure (``figures.draw``), importing matplotlib only here: in a helper process, or when drawn here."""
    from .workers import import_figures

    import_figures()
    from .figures import draw

    return draw(job)


@dataclass(frozen=True)
class AnalyzeOutput:
    """What ``analyze_to_dir`` did: the analysis and the files written."""

    result: AnalysisResult
    paths: tuple[Path, ...]


def analyze_to_dir(dataset: Path | str, out_dir: Path | str, *, sims: int = DEFAULT_SIMS, seed: int = DEFAULT_SEED,
                   progress: Progress | None = None, figures: bool = True, points: str = DEFAULT_POINTS,
                   hardware_basis: str = DEFAULT_HARDWARE_BASIS, today: Mapping[str, float] | None = None,
                   construction: str = ex.DEFAULT_CONSTRUCTION, note: str = "", cache: bool = True,
                   dpi: int | None = None, workers: int | None = None,
                   simulation_store: Path | None = None) -> AnalyzeOutput:
    """``flopmine analyze``: read the dataset, fit everything, write the report into ``out_dir``.

    The inputs are checked first (``check_inputs``: a file without the needed columns is an
    ``AnalysisError`` before any fit or simulation). Empty derived cells are derived as build does
    (``complete_dataset``, with ``hardware_basis`` for hardware names). The report is written even
    when nothing could be fitted (``result.fitted_anything`` is then False).

    With ``cache`` (the default) a rerun reuses what cannot have changed: the simulation stored in
    ``<out_dir>/.cache/simulation.json`` by a run with the same arguments and code (it never reads the
    dataset), and each figure whose inputs and drawing code are unchanged (``figures/.figures.json``).
    With ``simulation_store`` (a directory; the CLI passes ``<home>/cache``) a simulation computed by any earlier
    analyze of the home, of any dataset into any directory, is reused too: a first run into an empty directory
    then computes no simulation. The files written are the same either way, except that the report says the
    simulation was reused.

    ``dpi``: the figures' resolution. ``workers``: how many helper processes (``workers.Helpers``; default one per
    idle core, at most 2) make the quantile regressions, run the simulation and draw the figures. They are forked
    before the dataset is read, and this process imports none of matplotlib, ``scipy.stats``, statsmodels or
    scikit-learn: it reads and makes the OLS fits. One helper imports statsmodels (with ``scipy.stats``) and answers
    the quantile regressions (``workers.Server``); a simulation to compute (none stored in ``out_dir`` or
    ``simulation_store``, ``sims`` > 0) runs in that helper too, once the inputs are checked, importing scikit-learn
    (which needs ``scipy.stats``: imported once) and answering the regressions between its steps. On a first run (no
    figures recorded in ``out_dir``) the other helper (with no simulation to compute: each) imports matplotlib and
    makes its kept figures while this process reads. With 1 everything runs here, one step after the other; the files
    are the same.
    """
    from flopmine import codes

    from . import figcache
    from .figcache import CACHE_FILE
    from .fit import fit_quantile, quantile_regression
    from .simulate import is_stored
    from .workers import Helpers, Server, default_workers, import_figures, prepare_figures

    codes.imports_long_lived()  # the helpers forked below inherit it
    out = Path(out_dir)
    with Helpers(default_workers() if workers is None else workers) as helpers:
        simulating = sims > 0 and helpers.pooled and not (
            cache and is_stored(out / SIMULATION_CACHE, sims, seed, shared=simulation_store))
        # the helper that makes the quantile regressions imports statsmodels (with scipy.stats); with a simulation to
        # compute it runs that too, importing scikit-learn (which needs scipy.stats) once the regressions can start
        with Server(helpers, fit_quantile, quantile_regression) as quantiles:
            if figures and helpers.pooled:  # forked now, before this process holds the dataset
                if cache and (out / "figures" / CACHE_FILE).is_file():  # a rerun: the figures whose inputs changed
                    helpers.submit(import_figures)
                elif simulating:
                    # a first run with a simulation to compute: one helper serves the quantile regressions and the
                    # simulation; the other imports matplotlib and makes its kept figures while this process reads
                    helpers.start()
                    quantiles.start()
                    helpers.submit(prepare_figures, figcache.DEFAULT_DPI if dpi is None else int(dpi))
                else:
                    # a first run with none: each helper imports matplotlib and makes its kept figures while this
                    # process reads and fits, so that both cores work from the start
                    helpers.start(partial(prepare_figures, figcache.DEFAULT_DPI if dpi is None else int(dpi)))
            # the first helper free imports statsmodels and fits the quantile regressions, while this process reads
            # and makes the OLS fits
            helpers.start()
            quantiles.start()
            raw = read_for_analysis(dataset)
            check_inputs(raw, str(dataset))
            simulation: Callable[[], tuple[SimulationResult, bool]] | None = None
            if simulating:  # sent once the dataset is checked: it needs none of it
                simulation = partial(_kept, quantiles.run(partial(_simulation_job, sims, seed)), out, cache,
                                     simulation_store)
            df, input_warnings = complete_dataset(raw, hardware_basis)
            drawing = _Figures(out / "figures", cache=cache, dpi=dpi, helpers=helpers) if figures else None
            result = run_analysis(df, sims=0 if simulating else sims, seed=seed, dataset=str(dataset),
                                  progress=progress, points=points, today=today, construction=construction, note=note,
                                  simulation_cache=out / SIMULATION_CACHE if cache else None,
                                  simulation_store=simulation_store if cache else None,
                                  on_fit=drawing.fitted if drawing is not None else None,
                                  quantile_fitter=quantiles)
            result = replace(result, input_warnings=tuple(input_warnings))
            if not result.fits.fits:  # nothing fitted: no simulation (as run_analysis)
                simulation = None
            result, paths = _write_report(result, df, out, figures=figures, cache=cache, dpi=dpi, helpers=helpers,
                                          simulation=simulation, drawing=drawing)
    return AnalyzeOutput(result=result, paths=tuple(paths))


def _simulation_job(sims: int, seed: int, answer_waiting: Callable[[], None]) -> SimulationResult:
    """The simulation, run by the helper that makes the quantile regressions (``workers.Server.run``), which answers
    those sent meanwhile before and after importing scikit-learn and after each of the simulation's steps (about
    20 ms each)."""
    from .simulate import import_lasso

    answer_waiting()
    import_lasso()
    answer_waiting()
    return simulate(sims=sims, seed=seed, progress=lambda *_: answer_waiting())


def _kept(answer: Callable[[], SimulationResult], out: Path, cache: bool,
          store: Path | None) -> tuple[SimulationResult, bool]:
    """The simulation a helper computed, stored (with ``cache``) as ``cached_simulate`` would have stored it."""
    from .simulate import keep

    sim = answer()
    if cache:
        keep(out / SIMULATION_CACHE, sim, shared=store)
    return sim, False


def _rel(p: Path, base: Path) -> str:
    return p.relative_to(base).as_posix()


def _csv_num(v: object) -> object:
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return f"{v:.6g}"
    return v


__all__ = ["AnalysisResult", "AnalyzeOutput", "analyze_to_dir", "run_analysis", "write_report", "results_to_json",
           "MEASURES"]
