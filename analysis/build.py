"""Reviewed facts (``annotations/*.csv``) → one tidy dataset (``flopmine build``).

One row per paper × model × benchmark that has at least one reviewed metric fact. Compute facts
attach to those rows by the **join rule** (also in docs/analysis.md):

1. a compute fact of the same paper whose normalised model name equals the row's model → ``model``;
2. else a paper-level compute fact (empty model) of the same paper → ``paper``;
3. else, when the paper has exactly one distinct value for that field (reported for another
   model) → that value, flagged ``paper_unique:<field>``;
4. else empty.

When one key (paper, benchmark, model, field) has several reviewed values, the newest paper version
wins, then the latest decision; the row is flagged ``conflict:<field>``.

``build_dataset`` is pure (facts in, ``BuildResult`` out); ``read_annotations`` and
``write_dataset`` are the I/O edges.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from flopmine.benchmarks import Benchmark, load_registry
from flopmine.config import Home, atomic_path, neutralise_cell, write_csv_atomic, write_text_atomic
from flopmine.errors import AnalysisError
from flopmine.ids import InvalidIdError, parse_id
from flopmine.types import ANNOTATION_COLUMNS, COMPUTE_FIELDS, FIELDS, METRIC_FIELDS, Fact, normalise_model

from . import dictionary

log = logging.getLogger(__name__)

# One multiply-add (multiply-accumulate) is two floating-point operations: a multiply and an add.
# This is the convention of the FLOP counts in most vision papers (e.g. ResNet's "3.6 billion FLOPs
# (multiply-adds)" is reported by others as 7.2 GFLOPs) and the one the seed paper's Figure 7 uses
# when it pools "gigaflops or multiply-adds".
MULT_ADD_FLOPS = 2.0
SECONDS_PER_HOUR = 3600.0
GIGA = 1e9
KEPT_DECISIONS = ("accept", "correct", "add")
PAPER_FACTS_FILE = "paper_facts.csv"
MIN_CONVERSION_POINTS = 3

# An error metric and the score metric it is the complement of (error = 1 - score / 100).
ERROR_COMPLEMENTS: dict[str, str] = {"top1_err": "top1_acc", "top5_err": "top5_acc", "err": "acc"}

GflopsLookup = Callable[[str], float | None]


@dataclass(frozen=True)
class Conversion:
    """The Figure 7 conversion regression ``log10(gflops_per_pass) = intercept + slope·log10(params)``."""

    intercept: float
    slope: float
    se_intercept: float
    se_slope: float
    r2: float
    n: int

    def predict_gflops(self, params: np.ndarray | float) -> np.ndarray | float:
        """GFLOPs per pass predicted for a parameter count.

        >>> round(float(Conversion(-9.0, 1.0, 0, 0, 1, 3).predict_gflops(2.5e9)), 6)
        2.5
        """
        return 10 ** (self.intercept + self.slope * np.log10(params))


@dataclass(frozen=True)
class BuildResult:
    """The dataset, the conversion regression used for imputation, and every warning."""

    frame: pd.DataFrame
    conversion: Conversion | None
    warnings: tuple[str, ...] = ()
    n_facts: int = 0


# ---------------------------------------------------------------- reading


def read_annotations(directory: Path | str) -> tuple[list[Fact], list[str]]:
    """Read every ``*.csv`` in the annotations directory.

    Returns the facts whose decision is accept/correct/add, and one warning per unreadable row
    (``file:line: field: message``); a bad row never stops the others. A missing or empty
    directory raises ``AnalysisError``.
    """
    d = Path(directory)
    if not d.is_dir():
        raise AnalysisError(f"annotations directory {d} does not exist; review some candidates first "
                            "(flopmine review) or point --annotations at it")
    files = sorted(p for p in d.glob("*.csv") if not p.name.startswith("."))
    if not files:
        raise AnalysisError(f"annotations directory {d} has no .csv files; nothing to build")
    facts: list[Fact] = []
    warnings: list[str] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            warnings.append(f"{path}: cannot read: {e}")
            continue
        facts_here, warns = _parse_annotation_csv(text, path)
        facts.extend(facts_here)
        warnings.extend(warns)
    if not facts:
        raise AnalysisError(f"annotations directory {d}: no accepted, corrected or added facts in "
                            f"{len(files)} file(s)" + (f"; first problem: {warnings[0]}" if warnings else ""))
    return facts, warnings


def _parse_annotation_csv(text: str, path: Path) -> tuple[list[Fact], list[str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in ("arxiv_id", "field", "value") if c not in header]
    if missing:
        return [], [f"{path}:1: missing column(s) {', '.join(missing)} (expected {', '.join(ANNOTATION_COLUMNS)})"]
    default_benchmark = "" if path.name == PAPER_FACTS_FILE else path.stem
    facts: list[Fact] = []
    warnings: list[str] = []
    for line, row in enumerate(reader, start=2):
        clean = {k: (v or "").strip() for k, v in row.items() if k is not None}
        decision = clean.get("decision") or "accept"
        if decision not in KEPT_DECISIONS:
            continue
        name = clean.get("field", "")
        if name not in FIELDS:
            warnings.append(f"{path}:{line}: field: unknown field {name!r}")
            continue
        if not clean.get("arxiv_id"):
            warnings.append(f"{path}:{line}: arxiv_id: empty")
            continue
        if clean.get("value", "") == "":
            warnings.append(f"{path}:{line}: value: empty")
            continue
        if FIELDS[name].kind == "metric" and not clean.get("benchmark"):
            clean["benchmark"] = default_benchmark
        try:
            fact = Fact.from_row(clean)
        except (ValueError, KeyError) as e:
            warnings.append(f"{path}:{line}: value: {clean.get('value')!r} is not valid for {name} ({e})")
            continue
        if isinstance(fact.value, float) and not math.isfinite(fact.value):
            warnings.append(f"{path}:{line}: value: {clean.get('value')!r} is not a finite number")
            continue
        facts.append(fact)
    return facts, warnings


def default_gflops_lookup() -> tuple[GflopsLookup, str | None]:
    """The hardware catalog's ``gflops_for``; a lookup that knows nothing (and a warning) if it is absent."""
    try:
        from flopmine.hardware import gflops_for  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return (lambda name: None), "hardware catalog (flopmine.hardware) not available: hardware_gflops left empty"
    return gflops_for, None


def titles_from_store(db_path: Path | str, arxiv_ids: Iterable[str]) -> dict[str, str]:
    """Titles of the given papers from the store (newest version); {} when there is no store."""
    p = Path(db_path)
    if not p.is_file():
        return {}
    from flopmine.store import connect, get_paper

    conn = connect(p)
    try:
        out: dict[str, str] = {}
        for aid in set(arxiv_ids):
            paper = get_paper(conn, aid)
            if paper is not None:
                out[aid] = paper.title
        return out
    finally:
        conn.close()


# ---------------------------------------------------------------- building (pure)

_DECISION_RANK = {"accept": 0, "add": 1, "correct": 2}


def _choose(facts: list[Fact]) -> tuple[Fact, bool]:
    """The winning fact among reviewed values for one key, and whether the values conflict."""
    if len(facts) == 1:
        return facts[0], False
    best = max(facts, key=lambda f: (f.version, f.decided_at, _DECISION_RANK.get(f.decision, 0)))
    values = {(round(v, 12) if isinstance(v := f.value, float) else str(v).strip().lower()) for f in facts}
    return best, len(values) > 1


def score_to_error(metric: str, value: float) -> float:
    """Error rate as a fraction from a reviewed metric value.

    >>> score_to_error("top1_acc", 88.4)
    0.11599999999999999
    >>> score_to_error("wer", 5.5)
    0.055
    """
    spec = FIELDS[metric]
    return value / 100.0 if spec.higher_is_better is False else 1.0 - value / 100.0


def error_from_metrics(metrics: Mapping[str, float], bench: Benchmark | None) -> tuple[float, str]:
    """The row's error (fraction) and the metric it came from: the primary metric or its complement.

    >>> from flopmine.benchmarks import load_registry
    >>> error_from_metrics({"top1_acc": 80.0, "top5_err": 5.0}, load_registry()["imagenet"])
    (0.19999999999999996, 'top1_acc')
    """
    order: list[str] = []
    if bench is not None:
        order.append(bench.primary_metric)
        comp = ERROR_COMPLEMENTS.get(bench.primary_metric)
        inverse = {v: k for k, v in ERROR_COMPLEMENTS.items()}.get(bench.primary_metric)
        order += [m for m in (comp, inverse) if m]
        # no fallback to another metric (top-5 error, AP50, EM): mixing metrics would bias the fits
    else:
        order += list(METRIC_FIELDS)
    for m in order:
        if m in metrics:
            return score_to_error(m, metrics[m]), m
    return math.nan, ""


@dataclass
class _Row:
    arxiv_id: str
    benchmark: str
    model: str
    metrics: dict[str, Fact] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)


def build_dataset(
    facts: Iterable[Fact],
    *,
    titles: Mapping[str, str] | None = None,
    gflops_lookup: GflopsLookup | None = None,
    registry: Mapping[str, Benchmark] | None = None,
) -> BuildResult:
    """Join reviewed facts into the tidy dataset (pure: no files, no network).

    ``titles`` maps arxiv id → title; ``gflops_lookup`` maps a hardware name → FP32 GFLOPS or None
    (default: the hardware catalog); ``registry`` defaults to the built-in benchmarks.
    """
    titles = titles or {}
    registry = registry if registry is not None else load_registry()
    warnings: list[str] = []
    if gflops_lookup is None:
        gflops_lookup, warn = default_gflops_lookup()
        if warn:
            warnings.append(warn)

    metric_groups: dict[tuple[str, str, str], dict[str, list[Fact]]] = defaultdict(lambda: defaultdict(list))
    display: dict[tuple[str, str, str], str] = {}
    compute_groups: dict[tuple[str, str], dict[str, list[Fact]]] = defaultdict(lambda: defaultdict(list))
    n_facts = 0
    unknown_benchmarks: set[str] = set()
    for f in facts:
        n_facts += 1
        nm = normalise_model(f.model)
        if FIELDS[f.field].kind == "metric":
            if not f.benchmark:
                warnings.append(f"{f.arxiv_id}: metric fact {f.field}={f.value} has no benchmark; skipped")
                continue
            key = (f.arxiv_id, f.benchmark, nm)
            metric_groups[key][f.field].append(f)
            display.setdefault(key, f.model.strip())
            if f.benchmark not in registry:
                unknown_benchmarks.add(f.benchmark)
        else:
            compute_groups[(f.arxiv_id, nm)][f.field].append(f)
    for b in sorted(unknown_benchmarks):
        warnings.append(f"benchmark {b!r} is not in the registry: its error uses the first metric present")

    # Resolve compute facts once per (paper, model) and collect each paper's distinct values per field.
    resolved: dict[tuple[str, str], dict[str, tuple[Fact, bool]]] = {
        k: {fld: _choose(fs) for fld, fs in by_field.items()} for k, by_field in compute_groups.items()
    }
    paper_values: dict[str, dict[str, dict[object, Fact]]] = defaultdict(lambda: defaultdict(dict))
    for (aid, _nm), by_field in resolved.items():
        for fld, (fact, _c) in by_field.items():
            v = round(fact.value, 12) if isinstance(fact.value, float) else str(fact.value).strip().lower()
            paper_values[aid][fld].setdefault(v, fact)

    hw_cache: dict[str, float | None] = {}
    records: list[dict[str, object]] = []
    for (aid, bench_name, nm), by_field in metric_groups.items():
        rec: dict[str, object] = {"arxiv_id": aid, "benchmark": bench_name, "model": display[(aid, bench_name, nm)]}
        used: list[Fact] = []
        flags: list[str] = []
        metric_values: dict[str, float] = {}
        for fld, fs in by_field.items():
            fact, conflict = _choose(fs)
            metric_values[fld] = float(fact.value)
            rec[fld] = float(fact.value)
            used.append(fact)
            if conflict:
                flags.append(f"conflict:{fld}")
        sources: list[str] = []
        for fld in COMPUTE_FIELDS:
            chosen: tuple[Fact, bool] | None = None
            how = ""
            if nm and fld in resolved.get((aid, nm), {}):
                chosen, how = resolved[(aid, nm)][fld], "model"
            elif fld in resolved.get((aid, ""), {}):
                chosen, how = resolved[(aid, "")][fld], "paper"
            elif len(paper_values.get(aid, {}).get(fld, {})) == 1:
                chosen = (next(iter(paper_values[aid][fld].values())), False)
                how = "paper_unique"
                flags.append(f"paper_unique:{fld}")
            if chosen is None:
                continue
            fact, conflict = chosen
            rec[fld] = fact.value
            used.append(fact)
            sources.append(f"{fld}={how}")
            if conflict:
                flags.append(f"conflict:{fld}")
        err, err_metric = error_from_metrics(metric_values, registry.get(bench_name))
        rec["error"], rec["error_metric"] = err, err_metric
        hw = rec.get("hardware")
        if isinstance(hw, str) and hw:
            if hw not in hw_cache:
                hw_cache[hw] = gflops_lookup(hw)
            g = hw_cache[hw]
            rec["hardware_gflops"] = g
            if g is None:
                flags.append("unknown_hardware")
        try:
            year, month = parse_id(aid).year_month
            rec["year"], rec["month"] = year, month
        except InvalidIdError:
            flags.append("bad_arxiv_id")
            warnings.append(f"{aid}: not an arXiv id; year and month left empty")
        rec["version"] = max(f.version for f in used)
        rec["url"] = f"https://arxiv.org/abs/{aid}"
        rec["title"] = titles.get(aid, "")
        rec["compute_sources"] = ";".join(sources)
        rec["flags"] = ";".join(flags)
        rec["candidate_ids"] = ";".join(sorted({f.candidate_id for f in used if f.candidate_id}))
        rec["pages"] = ";".join(sorted({f"{f.field}:{f.page}" for f in used if f.page}))
        rec["decisions"] = ";".join(sorted({f.decision for f in used}))
        records.append(rec)

    unknown_hw = sorted(h for h, g in hw_cache.items() if g is None)
    if unknown_hw:
        shown = ", ".join(repr(h) for h in unknown_hw[:10]) + (f" and {len(unknown_hw) - 10} more" if len(unknown_hw) > 10 else "")
        warnings.append(f"{len(unknown_hw)} hardware name(s) not in the hardware catalog, so no hardware burden for "
                        f"their rows: {shown}")
    frame = pd.DataFrame.from_records(records, columns=list(dictionary.COLUMN_NAMES))
    frame = _derive(frame)
    conversion = fit_conversion(frame)
    frame = _impute(frame, conversion)
    frame = frame.sort_values(["benchmark", "arxiv_id", "model"], kind="stable").reset_index(drop=True)
    if conversion is None:
        warnings.append(f"conversion regression (Figure 7) not fitted: fewer than {MIN_CONVERSION_POINTS} models "
                        "report both params and flops/mult-adds; gflops_imputed left empty")
    for w in warnings:
        log.debug("%s", w)
    return BuildResult(frame=frame, conversion=conversion, warnings=tuple(warnings), n_facts=n_facts)


_NUMERIC = [c.name for c in dictionary.COLUMNS if c.dtype in ("float", "int")]


def _derive(frame: pd.DataFrame) -> pd.DataFrame:
    df = frame.copy()
    for c in _NUMERIC:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    from_flops = df["flops"] / GIGA
    from_ma = df["mult_adds"] * MULT_ADD_FLOPS / GIGA
    df["gflops_per_pass"] = from_flops.where(from_flops.notna(), from_ma)
    df["gflops_source"] = np.where(from_flops.notna(), "flops", np.where(from_ma.notna(), "mult_adds", ""))
    df["hardware_burden_gflop"] = (df["hardware_count"] * df["hardware_gflops"] * df["training_time_hours"]
                                   * SECONDS_PER_HOUR)
    for c in ("year", "month", "version"):
        df[c] = df[c].astype("Int64")
    text_cols = [c.name for c in dictionary.COLUMNS if c.dtype == "text"]
    for c in text_cols:
        df[c] = df[c].astype(object).where(df[c].notna(), "").astype(str)
    return df


def fit_conversion(frame: pd.DataFrame) -> Conversion | None:
    """Fit Figure 7's log-log OLS of GFLOPs per pass on params, one point per paper × model."""
    import statsmodels.api as sm

    pts = frame.loc[(frame["params"] > 0) & (frame["gflops_per_pass"] > 0), ["arxiv_id", "model", "params",
                                                                            "gflops_per_pass"]]
    pts = pts.assign(_m=pts["model"].map(normalise_model)).drop_duplicates(["arxiv_id", "_m"])
    if len(pts) < MIN_CONVERSION_POINTS or pts["params"].nunique() < 2:
        return None
    x = np.log10(pts["params"].to_numpy(float))
    y = np.log10(pts["gflops_per_pass"].to_numpy(float))
    res = sm.OLS(y, sm.add_constant(x)).fit()
    return Conversion(intercept=float(res.params[0]), slope=float(res.params[1]), se_intercept=float(res.bse[0]),
                      se_slope=float(res.bse[1]), r2=float(res.rsquared), n=int(res.nobs))


def _impute(frame: pd.DataFrame, conversion: Conversion | None) -> pd.DataFrame:
    df = frame.copy()
    df["gflops_imputed"] = np.nan
    df["gflops_imputed_flag"] = False
    if conversion is None:
        return df
    need = df["gflops_per_pass"].isna() & (df["params"] > 0)
    df.loc[need, "gflops_imputed"] = conversion.predict_gflops(df.loc[need, "params"].to_numpy(float))
    df.loc[need, "gflops_imputed_flag"] = True
    df.loc[need, "flags"] = df.loc[need, "flags"].map(lambda s: f"{s};gflops_imputed" if s else "gflops_imputed")
    return df


# ---------------------------------------------------------------- writing


def conversion_note(conversion: Conversion | None) -> str:
    """A Markdown paragraph describing the fitted conversion (for the data dictionary)."""
    if conversion is None:
        return "## Conversion regression (Figure 7)\n\nNot fitted: too few models report both params and FLOPs.\n"
    c = conversion
    return ("## Conversion regression (Figure 7)\n\n"
            f"log10(gflops_per_pass) = {c.intercept:.4f} (se {c.se_intercept:.4f}) + {c.slope:.4f} (se {c.se_slope:.4f})"
            f" × log10(params); n = {c.n}, R² = {c.r2:.3f}.\n")


def write_dataset(result: BuildResult, out_dir: Path | str) -> list[Path]:
    """Write dataset.csv, dataset.parquet, data_dictionary.md and data_dictionary.csv, each atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    df = result.frame
    csv_path, pq_path = out / "dataset.csv", out / "dataset.parquet"
    with atomic_path(csv_path) as tmp:
        safe = df.copy()
        text_cols = [c.name for c in dictionary.COLUMNS if c.dtype == "text"]
        for c in text_cols:  # PDF-derived text must not run as a spreadsheet formula
            safe[c] = safe[c].map(neutralise_cell)
        safe.to_csv(tmp, index=False)
    with atomic_path(pq_path) as tmp:
        df.to_parquet(tmp, index=False, engine="pyarrow")
    write_text_atomic(out / "data_dictionary.md", dictionary.to_markdown(conversion_note(result.conversion)))
    write_csv_atomic(out / "data_dictionary.csv", ["column", "type", "unit", "description"], dictionary.to_rows())
    return [csv_path, pq_path, out / "data_dictionary.md", out / "data_dictionary.csv"]


@dataclass(frozen=True)
class BuildOutput:
    """What ``build_from_home`` did: the build, the files written, and every warning."""

    result: BuildResult
    paths: tuple[Path, ...]
    warnings: tuple[str, ...]  # unreadable annotation rows first, then build warnings
    unreadable_rows: int = 0


def build_from_home(home: Home, out_dir: Path | str | None = None, *,
                    gflops_lookup: GflopsLookup | None = None) -> BuildOutput:
    """``flopmine build``: read the home's annotations, build, and write into ``out_dir``.

    Annotations are read under the review helper's lock after its crash recovery, so a review
    import is seen whole or not at all. Titles come from the home's store when there is one.
    """
    from flopmine.review.annotations import recover, review_lock

    with review_lock(home):
        recover(home.annotations_dir)
        facts, row_warnings = read_annotations(home.annotations_dir)
    titles = titles_from_store(home.db_path, {f.arxiv_id for f in facts})
    result = build_dataset(facts, titles=titles, gflops_lookup=gflops_lookup)
    paths = write_dataset(result, out_dir or home.dataset_dir)
    return BuildOutput(result=result, paths=tuple(paths), warnings=(*row_warnings, *result.warnings),
                       unreadable_rows=len(row_warnings))


def read_dataset(path: Path | str) -> pd.DataFrame:
    """Read a dataset CSV (or Parquet) written by ``write_dataset``; clear error when unreadable."""
    p = Path(path)
    if not p.is_file():
        raise AnalysisError(f"dataset {p} does not exist; run `flopmine build` first or pass --dataset FILE")
    try:
        if p.suffix == ".parquet":
            return pd.read_parquet(p)
        text = {c.name: str for c in dictionary.COLUMNS if c.dtype == "text"}
        df = pd.read_csv(p, dtype=text, keep_default_na=False, na_values=[""], low_memory=False)
        for c in text:  # ids like 1812.10000 must stay text; empty text cells stay ""
            if c in df.columns:
                df[c] = df[c].fillna("")
        return df
    except (OSError, ValueError, pd.errors.ParserError) as e:
        raise AnalysisError(f"dataset {p}: cannot read: {e}") from None
