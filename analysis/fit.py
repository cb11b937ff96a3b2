"""The paper's scaling-law regressions (Tables 1–4, Figures 3 and 8): OLS in numpy (statsmodels' arithmetic,
tested against it) and statsmodels' ``QuantReg``.

Per benchmark and per compute measure (``per_pass``: GFLOPs per network pass; ``hardware_burden``:
GFLOP of training hardware), on rows with 0 < error < 1 and compute > 0:

- ``polynomial``       log10(error) = a + b·log10(compute)           (Table 1 col. 2, Table 3)
- ``exponential``      error = a + b·log10(compute)                  (Table 1 col. 1)
- ``exponential_perf`` 1/error = a + b·log10(compute)                (Table 4 as printed: its
  coefficients are in performance = 1/error units; Figure 4's exponential column follows it)
- ``polynomial_year``  log10(error) = a + b·log10(compute) + c·(year − YEAR_ORIGIN)   (Table 2)
- ``quantile``         the polynomial at the 10 % quantile (Figure 8)
- the implied exponent k of compute ∝ (1/error)^k: k = −1/b, with the 95 % interval from b's.

Everything here is pure: a DataFrame in, frozen dataclasses out. Rows that cannot be used become
``Problem``s naming the benchmark and the dataset lines; what can be fitted still is.
"""

from __future__ import annotations

import logging
import math
import warnings as _warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Protocol

import numpy as np
import pandas as pd

from flopmine import codes
from flopmine.benchmarks import Benchmark, load_registry
from flopmine.ids import InvalidIdError, parse_id
from flopmine.types import METRIC_FIELDS

from .build import DEEP_COPIES, MAX_FIT_LOG10, error_metric_order, implausible_rows, score_to_error

log = logging.getLogger(__name__)

MEASURES: dict[str, tuple[str, ...]] = {
    # measure → dataset columns, first non-empty wins (per-pass falls back to the imputed value, as the
    # paper maps network size to gigaflops "when a paper does not report" them, Section 7.1)
    "per_pass": ("gflops_per_pass", "gflops_imputed"),
    "hardware_burden": ("hardware_burden_gflop",),
}
MEASURE_LABELS = {"per_pass": "GFLOPs per network pass", "hardware_burden": "hardware burden (GFLOP)"}
YEAR_ORIGIN = 2012  # year regressor is years since 2012 (AlexNet); only the constant depends on it
QUANTILE = 0.10  # Figure 8
CONFIDENCE = 0.95
MIN_OBS = 3  # one regressor + constant needs at least 3 points for a residual
MIN_OBS_QUANTILE = 5
MAX_ROWS_NAMED = 12  # how many dataset lines a problem message lists
#: ``--points``: which rows enter the hardware-burden fits. The seed's Table 3 uses each paper's best
#: (lowest-error) model, since a paper's training burden is one number for all its variants.
POINTS_CHOICES = ("best-per-paper", "all")
DEFAULT_POINTS = "best-per-paper"
#: Measures the ``--points`` choice applies to; per-pass compute always keeps every model.
PER_PAPER_MEASURES = ("hardware_burden",)


@dataclass(frozen=True)
class Coef:
    """One regression coefficient with its standard error, p-value and 95 % interval."""

    name: str
    estimate: float
    se: float
    p: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class OLSFit:
    """An OLS fit: coefficients and the statistics the paper's tables print."""

    form: str
    n: int
    coefs: tuple[Coef, ...]
    r2: float
    adj_r2: float
    f: float
    f_p: float
    resid_se: float
    df_model: int
    df_resid: int
    cov_const_slope: float = math.nan  # covariance of the constant and the log10_compute slope (Figure 4 intervals)

    def coef(self, name: str) -> Coef:
        for c in self.coefs:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def slope(self) -> Coef:
        return self.coef("log10_compute")


@dataclass(frozen=True)
class QuantileFit:
    """The 10 % quantile regression of log10(error) on log10(compute) (Figure 8)."""

    q: float
    n: int
    coefs: tuple[Coef, ...]

    @property
    def slope(self) -> Coef:
        return self.coefs[1]


@dataclass(frozen=True)
class Exponent:
    """k in compute ∝ (1/error)^k, from a log-log slope b: k = −1/b; ``ci_high`` may be inf."""

    k: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class Problem:
    """Something that kept rows (or a whole fit) out, named for the user."""

    benchmark: str
    measure: str
    message: str
    rows: tuple[int, ...] = ()

    def __str__(self) -> str:
        where = self.benchmark + (f" / {self.measure}" if self.measure else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Today:
    """The benchmark's best (lowest-error) point that has this compute measure."""

    error: float
    compute: float
    arxiv_id: str
    model: str
    imputed: bool = False  # its compute is imputed from params (Figure 7), not reported


@dataclass(frozen=True)
class StateOfTheArt:
    """A benchmark's error today (Figure 4's "Today"): its best error among all dataset rows, with or
    without compute, naming the row; or the error given with ``--today`` (``source`` "given")."""

    benchmark: str
    error: float
    arxiv_id: str = ""
    model: str = ""
    line: int = 0  # dataset.csv line (header = 1); 0 when given
    has_compute: bool = False  # whether that row has a compute value of either measure
    source: str = "dataset"  # "dataset" or "given" (--today)

    def describe(self) -> str:
        """One phrase naming where today's error comes from.

        >>> StateOfTheArt("imagenet", 0.115, "1911.04252", "NoisyStudent", 9).describe()
        '11.5 % from 1911.04252 NoisyStudent (dataset line 9, no compute)'
        >>> StateOfTheArt("imagenet", 0.115, source="given").describe()
        '11.5 % (given with --today)'
        """
        if self.source == "given":
            return f"{self.error * 100:.4g} % (given with --today)"
        row = f"{self.arxiv_id} {self.model}".strip() or "(no id)"
        return (f"{self.error * 100:.4g} % from {row} (dataset line {self.line}, "
                f"{'with' if self.has_compute else 'no'} compute)")


@dataclass(frozen=True)
class MeasureFits:
    """All fits of one benchmark × compute measure."""

    benchmark: str
    measure: str
    n: int
    today: Today
    polynomial: OLSFit
    exponential: OLSFit
    exponential_perf: OLSFit
    exponent: Exponent
    polynomial_year: OLSFit | None = None
    quantile: QuantileFit | None = None
    quantile_exponent: Exponent | None = None


@dataclass(frozen=True)
class FitResults:
    """Every fit, and every problem met on the way."""

    fits: tuple[MeasureFits, ...]
    problems: tuple[Problem, ...] = ()
    benchmarks: tuple[str, ...] = field(default=())
    points: str = DEFAULT_POINTS
    state_of_the_art: tuple[StateOfTheArt, ...] = ()

    def today_for(self, benchmark: str) -> StateOfTheArt | None:
        """The benchmark's error today (``StateOfTheArt``), if it has any usable error."""
        for t in self.state_of_the_art:
            if t.benchmark == benchmark:
                return t
        return None

    def get(self, benchmark: str, measure: str) -> MeasureFits | None:
        for f in self.fits:
            if f.benchmark == benchmark and f.measure == measure:
                return f
        return None


# ---------------------------------------------------------------- primitives


def distributions() -> ModuleType:
    """``scipy.stats``, imported on first use (about 0.7 s of CPU; its objects left to reference counting,
    ``codes.long_lived``): the reference the distribution functions below follow, and their path for arguments
    outside the ordinary range. statsmodels' quantile regression and the simulation's scikit-learn import it too
    (``report.analyze_to_dir``)."""
    return codes.import_long_lived("scipy.stats")


def _special() -> ModuleType:
    """``scipy.special``, whose functions ``scipy.stats``' t and F distributions call: about 0.15 s to import
    against ``scipy.stats``' 0.7 (most of it building docstrings), on analyze's critical path before its first fit."""
    return codes.import_long_lived("scipy.special")


# ``scipy.stats``' own arithmetic for its t and F distributions (``rv_continuous``: the argument scaled by loc 0
# and scale 1, the shape checked, then ``_sf``/``_ppf``) where every argument is ordinary (finite, inside the
# support, positive degrees of freedom); anything else goes to ``scipy.stats`` itself, for its edge rules. The same
# numbers to the bit (tests/test_analysis_fit.py, hypothesis).

def t_sf(x: np.ndarray | float, df: float) -> np.ndarray | np.floating:
    """``scipy.stats.t.sf(x, df)``."""
    x = np.asarray(x, dtype=float)
    if 0 < df < math.inf and np.isfinite(x).all():
        return _special().stdtr(df, -x)[()]  # type: ignore[no-any-return]
    return distributions().t.sf(x, df)  # type: ignore[no-any-return]


def t_ppf(q: float, df: float) -> np.floating:
    """``scipy.stats.t.ppf(q, df)``."""
    if 0 < q < 1 and 0 < df < math.inf:
        return _special().stdtrit(np.array([df]), np.array([q]))[0] * 1 + 0  # type: ignore[no-any-return]
    return distributions().t.ppf(q, df)  # type: ignore[no-any-return]


def f_sf(x: float, dfn: float, dfd: float) -> np.floating:
    """``scipy.stats.f.sf(x, dfn, dfd)``."""
    if 0 < x < math.inf and 0 < dfn < math.inf and 0 < dfd < math.inf:
        return _special().fdtrc(np.array([dfn]), np.array([dfd]), np.array([x]))[0]  # type: ignore[no-any-return]
    return distributions().f.sf(x, dfn, dfd)  # type: ignore[no-any-return]


def fit_ols(y: np.ndarray, regressors: Mapping[str, np.ndarray], form: str = "") -> OLSFit:
    """OLS of ``y`` on a constant and the named regressors.

    The arithmetic of ``statsmodels.OLS(y, X).fit()`` (pseudo-inverse by SVD, its rank, scale, standard errors,
    t-based p-values and intervals, weighted centred TSS, F) written out in numpy: building statsmodels' results
    object and its cached properties cost about 13 ms a fit, more than the arithmetic. Equal to statsmodels within
    rounding (``tests/test_analysis_fit.py``, hypothesis; ``fit_ols_statsmodels`` is the reference).

    >>> x = np.arange(1.0, 6.0)
    >>> round(fit_ols(2 + 3 * x, {"log10_compute": x}).slope.estimate, 6)
    3.0
    """
    names = ["const", *regressors]
    X = np.column_stack([np.ones(len(y)), *[np.asarray(v, float) for v in regressors.values()]])
    y = np.asarray(y, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        u, singular, vt = np.linalg.svd(X, False)  # statsmodels.tools.tools.pinv_extended
        cutoff = 1e-15 * np.maximum.reduce(singular)
        inverse = np.where(singular > cutoff, 1.0 / np.where(singular > cutoff, singular, 1.0), 0.0)
        pinv = np.dot(np.transpose(vt), np.multiply(inverse[:, np.newaxis], np.transpose(u)))
        normalized_cov = np.dot(pinv, np.transpose(pinv))
        params = np.dot(pinv, y)
        rank = int(np.linalg.matrix_rank(np.diag(singular)))
        nobs = float(X.shape[0])
        df_model, df_resid = float(rank - 1), nobs - rank
        resid = y - np.dot(X, params)
        ssr = np.dot(resid, resid)
        scale = ssr / df_resid
        cov = normalized_cov * scale
        bse = np.sqrt(np.diag(cov))
        p = t_sf(np.abs(params / bse), df_resid) * 2
        q = t_ppf(1 - (1 - CONFIDENCE) / 2, df_resid)
        weights = np.ones(X.shape[0])  # OLS is statsmodels' WLS with unit weights: its centred TSS is the weighted one
        centered_tss = np.sum(weights * (y - np.average(y, weights=weights)) ** 2)
        r2 = 1 - ssr / centered_tss
        adj_r2 = 1 - np.divide(nobs - 1, df_resid) * (1 - r2)
        f = (centered_tss - ssr) / df_model / (ssr / df_resid) if df_model else math.nan
        f_p = f_sf(f, df_model, df_resid)
    coefs = tuple(Coef(n, float(params[i]), float(bse[i]), float(p[i]), float(params[i] - q * bse[i]),
                       float(params[i] + q * bse[i])) for i, n in enumerate(names))
    return OLSFit(form=form, n=int(nobs), coefs=coefs, r2=float(r2), adj_r2=float(adj_r2), f=float(f), f_p=float(f_p),
                  resid_se=float(np.sqrt(scale)), df_model=int(df_model), df_resid=int(df_resid),
                  cov_const_slope=float(cov[0, 1]) if len(names) > 1 else math.nan)


def fit_ols_statsmodels(y: np.ndarray, regressors: Mapping[str, np.ndarray], form: str = "") -> OLSFit:
    """``fit_ols`` through statsmodels' own results object: the reference the numpy arithmetic is tested against."""
    import statsmodels.api as sm

    names = ["const", *regressors]
    X = np.column_stack([np.ones(len(y)), *[np.asarray(v, float) for v in regressors.values()]])
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", RuntimeWarning)
        res = sm.OLS(np.asarray(y, float), X).fit()
        ci = np.asarray(res.conf_int(alpha=1 - CONFIDENCE))
        coefs = tuple(Coef(n, float(res.params[i]), float(res.bse[i]), float(res.pvalues[i]),
                           float(ci[i, 0]), float(ci[i, 1])) for i, n in enumerate(names))
        cov = float(np.asarray(res.cov_params())[0, 1]) if len(names) > 1 else math.nan
        return OLSFit(form=form, n=int(res.nobs), coefs=coefs, r2=float(res.rsquared), adj_r2=float(res.rsquared_adj),
                      f=float(res.fvalue), f_p=float(res.f_pvalue), resid_se=float(np.sqrt(res.scale)),
                      df_model=int(res.df_model), df_resid=int(res.df_resid), cov_const_slope=cov)


def quantile_regression() -> ModuleType:
    """statsmodels' quantile regression module, imported on first use (about 0.85 s of CPU with the ``scipy.stats``
    it imports; its objects left to reference counting, ``codes.long_lived``)."""
    return codes.import_long_lived("statsmodels.regression.quantile_regression")


def fit_quantile(y: np.ndarray, x: np.ndarray, q: float = QUANTILE) -> QuantileFit:
    """Quantile regression of ``y`` on a constant and ``x``: statsmodels' ``QuantReg(y, X).fit(q=q, max_iter=5000)``.

    Standard errors use the Hall–Sheather bandwidth, or Bofinger's when that one gives none (small n). statsmodels
    is imported here, not at module level, so an analyze that reuses its fits never pays for the import; and only its
    quantile regression module (``statsmodels.api`` is the same class, but also imports the formula, graphics and
    time-series packages: about 0.45 s more; ``quantile_regression``).
    """
    QuantReg = quantile_regression().QuantReg

    X = np.column_stack([np.ones(len(y)), np.asarray(x, float)])
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        res = QuantReg(np.asarray(y, float), X).fit(q=q, max_iter=5000)
        if not np.all(np.isfinite(res.bse)):  # Hall–Sheather bandwidth degenerates on small samples
            res = QuantReg(np.asarray(y, float), X).fit(q=q, max_iter=5000, bandwidth="bofinger")
        ci = np.asarray(res.conf_int(alpha=1 - CONFIDENCE))
        coefs = tuple(Coef(n, float(res.params[i]), float(res.bse[i]), float(res.pvalues[i]),
                           float(ci[i, 0]), float(ci[i, 1])) for i, n in enumerate(("const", "log10_compute")))
    return QuantileFit(q=q, n=len(y), coefs=coefs)


def implied_exponent(slope: float, se: float, df_resid: int, confidence: float = CONFIDENCE) -> Exponent:
    """k = −1/slope with the interval mapped from slope ± t·se (upper end inf when it reaches 0).

    >>> e = implied_exponent(-0.11, 0.0182, 49)
    >>> round(e.k, 2), round(e.ci_low, 1), round(e.ci_high, 1)
    (9.09, 6.8, 13.6)
    """
    if not slope < 0:
        return Exponent(math.nan, math.nan, math.nan)
    t = float(t_ppf(0.5 + confidence / 2, max(df_resid, 1))) if np.isfinite(se) else math.inf
    lo, hi = slope - t * se, slope + t * se
    return Exponent(-1.0 / slope, -1.0 / lo, -1.0 / hi if hi < 0 else math.inf)


# ---------------------------------------------------------------- data preparation


def prepare(df: pd.DataFrame, registry: Mapping[str, Benchmark] | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Check and complete a dataset frame: ``line`` (dataset.csv line), ``error`` and ``year_frac``.

    A missing ``error`` column is recomputed from metric columns; a missing ``year`` from the id.
    A missing ``benchmark`` column is fatal for every fit (reported as a problem, empty frame back).
    """
    problems: list[Problem] = []
    out = df.copy(deep=DEEP_COPIES)  # copy-on-write: only the columns changed here are copied
    out["line"] = np.arange(len(out)) + 2  # header is line 1
    if "benchmark" not in out.columns:
        problems.append(Problem("(all)", "", "dataset has no 'benchmark' column; nothing can be fitted"))
        return out.iloc[0:0], problems
    out["benchmark"] = out["benchmark"].fillna("").astype(str)
    registry = registry if registry is not None else load_registry()
    had_column = "error" in out.columns
    out["error"], derived = fill_error(out, registry)
    if derived:
        used = ", ".join(f"{m} ({n})" for m, n in derived.items())
        what = "dataset has no 'error' column" if not had_column else \
            f"{sum(derived.values())} row(s) had no error value"
        problems.append(Problem("(all)", "", f"{what}; error derived from the metric columns as build does: {used}"))
    # The year given wins; month is optional (a year-only date counts as January, as an unknown month
    # moves year_frac by under a year). Only a row without a year falls back to its arXiv id.
    year = pd.to_numeric(out["year"], errors="coerce") if "year" in out.columns else pd.Series(np.nan, out.index)
    month = pd.to_numeric(out["month"], errors="coerce") if "month" in out.columns else pd.Series(np.nan, out.index)
    missing = year.isna()
    if missing.any() and "arxiv_id" in out.columns:
        id_year, id_month = year_month_from_ids(out.loc[missing, "arxiv_id"])
        year.loc[missing] = id_year
        month.loc[missing] = month.loc[missing].where(month.loc[missing].notna(), id_month)
    out["year"], out["month"] = year, month
    month = month.where(month.between(1, 12), 1)
    out["year_frac"] = year + (month - 1) / 12.0 - YEAR_ORIGIN
    for cols in MEASURES.values():
        for c in cols:
            if c in out.columns:
                out[c] = pd.to_numeric(out[c], errors="coerce")
    for c in ("arxiv_id", "model"):
        out[c] = out[c].fillna("").astype(str) if c in out.columns else ""
    out["_implausible"] = implausible_rows(out).to_numpy()
    out["_imputed"] = out["gflops_per_pass"].isna() & out["gflops_imputed"].notna() \
        if {"gflops_per_pass", "gflops_imputed"} <= set(out.columns) else False
    return out, problems


_NEW_ID_YYMM = r"^(\d{2})(\d{2})\.\d{4,5}(?:v\d{1,3})?$"
_OLD_ID_YYMM = r"^[a-z][a-z\-]{1,20}(?:\.[A-Z]{2})?/(\d{2})(\d{2})\d{3}(?:v\d{1,3})?$"


def year_month_from_ids(ids: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Year and month of each arXiv id (``ArxivId.year_month``), NaN where it is no id; column at a time,
    so 100,000 rows without a year take milliseconds (the seed paper's rule: 1811.06965 → 2018-11).

    >>> y, m = year_month_from_ids(pd.Series(["1811.06965v5", "hep-th/9901001", "https://arxiv.org/abs/1512.03385",
    ...                                       "", "nonsense"]))
    >>> y.tolist(), m.tolist()
    ([2018.0, 1999.0, 2015.0, nan, nan], [11.0, 1.0, 12.0, nan, nan])
    """
    text = ids.fillna("").astype(str).str.strip()
    parts = text.str.extract(_NEW_ID_YYMM).astype(float)
    old = parts[0].isna()
    if old.any():
        parts.loc[old] = text[old].str.extract(_OLD_ID_YYMM).astype(float).to_numpy()
    yy, mm = parts[0], parts[1]
    year = (yy + np.where(yy >= 91, 1900, 2000)).astype(float)
    month = mm.astype(float)
    rest = yy.isna() & (text != "")  # URLs, "arXiv:" prefixes, file stems: the full parser
    if rest.any():
        ym = [_year_month(a) for a in text[rest]]
        year.loc[rest] = [float(y) for y, _ in ym]
        month.loc[rest] = [float(m) for _, m in ym]
    return year.set_axis(ids.index), month.set_axis(ids.index)


def _year_month(aid: object) -> tuple[float, float]:
    try:
        return parse_id(str(aid)).year_month
    except InvalidIdError:
        return math.nan, math.nan


def fill_error(df: pd.DataFrame, registry: Mapping[str, Benchmark]) -> tuple[pd.Series, dict[str, int]]:
    """The ``error`` column with its empty cells derived from the metric columns, as build does
    (``build.error_metric_order``: the benchmark's primary metric, else its complement), and how many
    cells each metric filled. A facts-level CSV with ``top1_err`` but no ``error`` gets its errors here.

    >>> from flopmine.benchmarks import load_registry
    >>> frame = pd.DataFrame({"benchmark": ["imagenet", "imagenet", "coco"], "top1_err": [11.5, None, None],
    ...                       "top1_acc": [None, 80.0, None], "box_ap": [None, None, 53.3]})
    >>> err, used = fill_error(frame, load_registry())
    >>> [round(v, 3) for v in err], used
    ([0.115, 0.2, 0.467], {'box_ap': 1, 'top1_err': 1, 'top1_acc': 1})
    """
    err = pd.to_numeric(df["error"], errors="coerce") if "error" in df.columns else pd.Series(np.nan, df.index)
    err = err.astype("float64")
    metrics = [m for m in METRIC_FIELDS if m in df.columns]
    need = err.isna()
    used: dict[str, int] = {}
    if not metrics or not need.any():
        return err, used
    values = {m: pd.to_numeric(df.loc[need, m], errors="coerce") for m in metrics}
    benches = df.loc[need, "benchmark"].astype(str)
    for name, index in benches.groupby(benches).groups.items():
        for m in error_metric_order(registry.get(str(name))):
            if m not in values:
                continue
            v = values[m].loc[index]
            take = v.index[v.notna().to_numpy() & err.loc[index].isna().to_numpy()]
            if len(take):
                err.loc[take] = score_to_error(m, v.loc[take])  # type: ignore[arg-type]
                used[m] = used.get(m, 0) + len(take)
    return err, used


def _lines(frame: pd.DataFrame) -> str:
    lines = [int(v) for v in frame["line"].tolist()]
    shown = ", ".join(str(v) for v in lines[:MAX_ROWS_NAMED])
    more = f" and {len(lines) - MAX_ROWS_NAMED} more" if len(lines) > MAX_ROWS_NAMED else ""
    return f"dataset line(s) {shown}{more}"


#: Columns ``select_points`` keeps besides the measure's compute columns.
POINT_COLUMNS = ("benchmark", "arxiv_id", "model", "error", "year", "month", "year_frac", "line", "_implausible",
                 "_imputed")


def select_points(df: pd.DataFrame, benchmark: str, measure: str) -> tuple[pd.DataFrame, list[Problem]]:
    """The usable rows of one benchmark × measure (columns ``compute``, ``error`` …) and the problems."""
    problems: list[Problem] = []
    cols = [c for c in MEASURES[measure] if c in df.columns]
    # only the columns the fits and figures read: copying every dataset column per benchmark is the slow part
    keep = [c for c in (*POINT_COLUMNS, *cols) if c in df.columns]
    sub = df.loc[df["benchmark"] == benchmark, keep]
    if not cols:
        problems.append(Problem(benchmark, measure, f"dataset has no {' or '.join(MEASURES[measure])} column"))
        return sub.iloc[0:0].assign(compute=[]), problems
    compute = sub[cols[0]]
    for c in cols[1:]:
        compute = compute.where(compute.notna(), sub[c])
    sub = sub.assign(compute=compute)
    has = sub[sub["compute"].notna()]
    if has.empty and len(sub):
        hint = {"per_pass": "flops or mult_adds to derive it",
                "hardware_burden": "hardware_count × hardware_gflops (or a catalog hardware name) × "
                                   "training_time_hours to derive it"}[measure]
        problems.append(Problem(benchmark, measure, f"no row has {' or '.join(MEASURES[measure])} (nor {hint})"))
    # each check on the rows the checks before it left (boolean masks; the rows are taken once, at the end:
    # dropping each subset took every kept column again)
    compute, error = has["compute"].to_numpy(float), has["error"].to_numpy(float)
    flagged = has["_implausible"].to_numpy(bool)
    if flagged.any():
        rows = has[flagged]
        problems.append(Problem(benchmark, measure, f"{len(rows)} implausible row(s) left out (see the problems "
                                f"table; {_lines(rows)})", tuple(rows["line"])))
    alive = ~flagged
    with np.errstate(divide="ignore", invalid="ignore"):
        overflow = alive & (compute > 0) & ~(np.log10(np.where(compute > 0, compute, np.nan)) <= MAX_FIT_LOG10)
    if overflow.any():
        rows = has[overflow]
        values = ", ".join(f"{v:.3g}" for v in rows["compute"].head(3))
        problems.append(Problem(benchmark, measure, f"{len(rows)} row(s) whose compute overflows the fit left out "
                                f"(kept even if forced: {values} is beyond 1e{MAX_FIT_LOG10:g} GFLOP, more than any "
                                f"computer can have run; {_lines(rows)})", tuple(rows["line"])))
    alive &= ~overflow
    bad_compute = alive & (~(compute > 0) | ~np.isfinite(compute))
    if bad_compute.any():
        rows = has[bad_compute]
        problems.append(Problem(benchmark, measure, f"{len(rows)} row(s) with non-positive compute skipped "
                                f"({_lines(rows)})", tuple(rows["line"])))
    alive &= ~bad_compute
    no_err = alive & np.isnan(error)
    if no_err.any():
        rows = has[no_err]
        problems.append(Problem(benchmark, measure, f"{len(rows)} row(s) without an error value skipped "
                                f"({_lines(rows)})", tuple(rows["line"])))
    bad_err = alive & ~np.isnan(error) & ~((error > 0) & (error < 1))
    if bad_err.any():
        rows = has[bad_err]
        problems.append(Problem(benchmark, measure, f"{len(rows)} row(s) with error outside (0, 1) skipped "
                                f"({_lines(rows)})", tuple(rows["line"])))
    ok = has[alive & ~no_err & ~bad_err]
    return ok, problems


# ---------------------------------------------------------------- fitting


def fit_measure(points: pd.DataFrame, benchmark: str, measure: str) -> tuple[MeasureFits | None, list[Problem]]:
    """Every regression for one benchmark × measure; None (and a problem) when too few points."""
    fitted, problems = fit_measure_ols(points, benchmark, measure)
    if fitted is None:
        return None, problems
    fitted, more = with_quantile(fitted, points)
    return fitted, problems + more


def fit_measure_ols(points: pd.DataFrame, benchmark: str, measure: str) -> tuple[MeasureFits | None, list[Problem]]:
    """``fit_measure`` without the quantile regression (``with_quantile`` adds it): the OLS fits, which need neither
    statsmodels nor ``scipy.stats``."""
    problems: list[Problem] = []
    n = len(points)
    if n < MIN_OBS:
        rows = f" ({_lines(points)})" if n else ""
        problems.append(Problem(benchmark, measure, f"only {n} usable observation(s){rows}; need at least {MIN_OBS} "
                                "with error in (0, 1) and compute > 0", tuple(points["line"])))
        return None, problems
    x = np.log10(points["compute"].to_numpy(float))
    err = points["error"].to_numpy(float)
    if np.ptp(x) == 0:
        problems.append(Problem(benchmark, measure, f"all {n} observations have the same compute "
                                f"({_lines(points)}); the slope cannot be estimated", tuple(points["line"])))
        return None, problems
    poly = fit_ols(np.log10(err), {"log10_compute": x}, "polynomial")
    expo = fit_ols(err, {"log10_compute": x}, "exponential")
    expo_perf = fit_ols(1.0 / err, {"log10_compute": x}, "exponential_perf")
    exponent = implied_exponent(poly.slope.estimate, poly.slope.se, poly.df_resid)
    best = points.iloc[int(np.lexsort((points["compute"].to_numpy(float), err))[0])]  # lowest error, then compute
    imputed = measure == "per_pass" and bool(best.get("_imputed", False))
    today = Today(float(best["error"]), float(best["compute"]), str(best["arxiv_id"]), str(best["model"]), imputed)

    year_fit = None
    yr = points["year_frac"].to_numpy(float)
    known = np.isfinite(yr)
    design = np.column_stack([np.ones(int(known.sum())), x[known], yr[known]])
    if known.sum() < MIN_OBS + 1:
        problems.append(Problem(benchmark, measure, "year-trend model (Table 2) not fitted: "
                                f"{int(known.sum())} of {n} observations have a year (a `year` column or an arXiv "
                                f"id); needs at least {MIN_OBS + 1}"))
    elif np.ptp(yr[known]) == 0 or np.ptp(x[known]) == 0:
        what = "year" if np.ptp(yr[known]) == 0 else "compute"
        problems.append(Problem(benchmark, measure, "year-trend model (Table 2) not fitted: every observation "
                                f"with a year has the same {what}"))
    elif np.linalg.matrix_rank(design) < design.shape[1]:
        # e.g. every model of one year shares one compute value: year and compute cannot be told apart
        problems.append(Problem(benchmark, measure, "year-trend model (Table 2) not fitted: compute and year "
                                "are collinear in these observations"))
    else:
        if not known.all():
            unknown = points[~known]
            problems.append(Problem(benchmark, measure, f"year-trend model (Table 2) left out {len(unknown)} row(s) "
                                    f"without a year ({_lines(unknown)})", tuple(unknown["line"])))
        year_fit = fit_ols(np.log10(err[known]), {"log10_compute": x[known], "year": yr[known]}, "polynomial_year")

    return MeasureFits(benchmark, measure, n, today, poly, expo, expo_perf, exponent, year_fit), problems


class QuantileFitter(Protocol):
    """Where ``fit_all`` has its quantile regressions computed (``workers.Server``: in a helper process).

    ``submit(y, x)`` starts ``fit_quantile(y, x)`` and returns at once what gives its answer (or raises its error);
    ``close`` says that nothing more will be submitted."""

    def submit(self, y: np.ndarray, x: np.ndarray) -> Callable[[], QuantileFit]: ...

    def close(self) -> None: ...


def quantile_data(points: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The quantile regression's ``y`` (log10 error) and ``x`` (log10 compute) of ``select_points`` rows."""
    return np.log10(points["error"].to_numpy(float)), np.log10(points["compute"].to_numpy(float))


def with_quantile(fits: MeasureFits, points: pd.DataFrame,
                  fitted: Callable[[], QuantileFit] | None = None) -> tuple[MeasureFits, list[Problem]]:
    """``fits`` (from ``fit_measure_ols`` on ``points``) with the 10 % quantile regression and its exponent, or a
    problem saying why there is none. ``fitted``: that regression, computed elsewhere (``QuantileFitter.submit``
    of ``quantile_data(points)``); by default ``fit_quantile`` here."""
    benchmark, measure, n = fits.benchmark, fits.measure, fits.n
    if n < MIN_OBS_QUANTILE:
        return fits, [Problem(benchmark, measure, f"10 % quantile regression (Figure 8) not fitted: {n} "
                              f"observations, needs at least {MIN_OBS_QUANTILE}")]
    try:
        quant = fitted() if fitted is not None else fit_quantile(*quantile_data(points))
        q_exp = implied_exponent(quant.slope.estimate, quant.slope.se, n - 2)
    except (np.linalg.LinAlgError, ValueError) as e:
        return fits, [Problem(benchmark, measure, f"10 % quantile regression failed: {e}")]
    return replace(fits, quantile=quant, quantile_exponent=q_exp), []


def best_per_paper(points: pd.DataFrame) -> pd.DataFrame:
    """Each paper's best (lowest-error) row; rows without an arXiv id are kept one by one.

    >>> pts = pd.DataFrame({"arxiv_id": ["a", "a", "b", ""], "error": [.3, .2, .4, .5], "compute": [1, 1, 2, 3],
    ...                     "line": [2, 3, 4, 5]})
    >>> best_per_paper(pts)["line"].tolist()
    [3, 4, 5]
    """
    key = points["arxiv_id"].where(points["arxiv_id"] != "", "#" + points["line"].astype(str))
    best = points.assign(_paper=key).sort_values(["error", "compute", "line"]).drop_duplicates("_paper")
    return best.drop(columns="_paper").sort_values("line")


#: Key of ``fit_all(today=...)`` that gives every benchmark the same error today.
ALL_BENCHMARKS = "*"


def state_of_the_art(prepared: pd.DataFrame, benchmark: str, given: float | None = None) -> StateOfTheArt | None:
    """The benchmark's error today: ``given``, else its best error among all rows of ``prepared``
    (with or without compute; rows left out as implausible do not count), ties to a row with compute.

    >>> frame, _ = prepare(pd.DataFrame({"benchmark": ["imagenet"] * 3, "arxiv_id": ["1905.11946", "1911.04252", ""],
    ...     "model": ["B7", "L2", "x"], "error": [0.156, 0.116, 1.2], "gflops_per_pass": [37.0, None, 1.0]}))
    >>> state_of_the_art(frame, "imagenet").describe()
    '11.6 % from 1911.04252 L2 (dataset line 3, no compute)'
    """
    return states_of_the_art(prepared, [benchmark], {} if given is None else {benchmark: given}).get(benchmark)


def states_of_the_art(prepared: pd.DataFrame, benchmarks: Sequence[str],
                      given: Mapping[str, float]) -> dict[str, StateOfTheArt]:
    """``state_of_the_art`` for every benchmark in one pass over the numeric columns (``given``: benchmark or
    ``ALL_BENCHMARKS`` → error)."""
    out: dict[str, StateOfTheArt] = {}
    for b in benchmarks:
        value = given.get(b, given.get(ALL_BENCHMARKS))
        if value is not None:
            if not 0 < value < 1:
                raise ValueError(f"today's error for {b} must be a fraction in (0, 1), not {value}")
            out[b] = StateOfTheArt(b, float(value), source="given")
    wanted = [b for b in benchmarks if b not in out]
    if not wanted or prepared.empty:
        return out
    err = prepared["error"].to_numpy(float)
    usable = (err > 0) & (err < 1) & ~prepared["_implausible"].to_numpy(bool)
    usable &= prepared["benchmark"].isin(wanted).to_numpy()
    compute = np.zeros(len(prepared), bool)
    for cols in MEASURES.values():
        for c in cols:
            if c in prepared.columns:
                compute |= (prepared[c] > 0).to_numpy()
    # numeric columns only: sorting the text columns of 100,000 rows is the slow part
    rows = pd.DataFrame({"error": err[usable], "no_compute": ~compute[usable],
                         "line": prepared["line"].to_numpy()[usable],
                         "benchmark": prepared["benchmark"].to_numpy()[usable]},
                        index=prepared.index[usable])
    best = rows.sort_values(["error", "no_compute", "line"], kind="stable").drop_duplicates("benchmark")
    for index, r in best.iterrows():
        src = prepared.loc[index]
        out[str(r["benchmark"])] = StateOfTheArt(str(r["benchmark"]), float(r["error"]), str(src["arxiv_id"]),
                                                 str(src["model"]), int(r["line"]), not bool(r["no_compute"]))
    return out


#: The columns a fit's figures are drawn from (``drawn_points``).
DRAWN_COLUMNS = ("compute", "error", "_imputed")


def drawn_points(points: pd.DataFrame) -> pd.DataFrame:
    """What a fit's figures draw of its ``select_points`` rows (every row, also where the fit takes one per paper)."""
    return points[[c for c in DRAWN_COLUMNS if c in points.columns]]


def fit_all(df: pd.DataFrame, registry: Mapping[str, Benchmark] | None = None, *,
            points: str = DEFAULT_POINTS, today: Mapping[str, float] | None = None,
            drawn: dict[tuple[str, str], pd.DataFrame] | None = None,
            on_fit: Callable[[MeasureFits, pd.DataFrame], None] | None = None,
            quantile_fitter: QuantileFitter | None = None) -> FitResults:
    """Fit every benchmark × measure in a dataset frame (as written by ``flopmine build``).

    ``points`` (``best-per-paper`` or ``all``) chooses the rows of the hardware-burden fits.
    ``today`` overrides the error today (Figure 4) per benchmark, or for all with key ``"*"``;
    otherwise it is each benchmark's best error among all its rows (``state_of_the_art``).
    ``drawn``, when given, receives each fit's ``drawn_points`` under (benchmark, measure), so that the figures
    need not select the rows again (0.2 s at 100,000 rows, about ten times that at a million). ``on_fit`` is called
    with each benchmark × measure's fits and those rows as soon as they are made: the OLS fits of every benchmark
    first (``quantile`` None), then each again with its quantile regression, where one was fitted. The results are
    those of ``fit_measure`` on each, in the same order. ``quantile_fitter``: where the quantile regressions are
    computed (each submitted as soon as its OLS fits are made; closed once all are); by default here.
    """
    if points not in POINTS_CHOICES:
        raise ValueError(f"points must be one of {', '.join(POINTS_CHOICES)}, not {points!r}")
    given = dict(today or {})
    prepared, problems = prepare(df, registry)
    fits: list[MeasureFits] = []
    benchmarks = sorted(b for b in prepared["benchmark"].unique() if b) if len(prepared) else []
    if len(prepared) and (no_bench := prepared[prepared["benchmark"] == ""]).shape[0]:
        problems.append(Problem("(none)", "", f"{len(no_bench)} row(s) without a benchmark skipped "
                                f"({_lines(no_bench)})", tuple(no_bench["line"])))
    # the OLS fits of every benchmark first, then the quantile regressions: the figures that need only the former are
    # handed over (``on_fit``) before statsmodels' import (about 0.85 s of CPU) at the first quantile fit
    made: list[tuple[MeasureFits, pd.DataFrame, pd.DataFrame | None, list[Problem],
                     Callable[[], QuantileFit] | None]] = []
    for bench in benchmarks:
        for measure in MEASURES:
            pts, probs = select_points(prepared, bench, measure)
            shown = drawn_points(pts) if drawn is not None or on_fit is not None else None
            problems += probs
            if points == "best-per-paper" and measure in PER_PAPER_MEASURES:
                pts = best_per_paper(pts)
            fitted, probs = fit_measure_ols(pts, bench, measure)
            problems += probs
            if fitted is None:
                continue
            later = quantile_fitter.submit(*quantile_data(pts)) if (
                quantile_fitter is not None and fitted.n >= MIN_OBS_QUANTILE) else None
            made.append((fitted, pts, shown, problems, later))  # the problems up to this fit's quantile regression's
            problems = []
            if on_fit is not None and shown is not None:
                on_fit(fitted, shown)
    if quantile_fitter is not None:
        quantile_fitter.close()
    ordered: list[Problem] = []
    for fitted, pts, shown, before, later in made:
        fitted, probs = with_quantile(fitted, pts, later)
        ordered += before + probs
        fits.append(fitted)
        if drawn is not None and shown is not None:
            drawn[fitted.benchmark, fitted.measure] = shown
        if on_fit is not None and shown is not None and fitted.quantile is not None:
            on_fit(fitted, shown)
    problems = ordered + problems
    sota = states_of_the_art(prepared, benchmarks, given)
    unknown = sorted(set(given) - set(benchmarks) - {ALL_BENCHMARKS})
    if unknown:
        problems.append(Problem("(today)", "", f"--today names benchmark(s) not in the dataset: {', '.join(unknown)}"))
    for p in problems:
        log.debug("%s", p)
    return FitResults(fits=tuple(fits), problems=tuple(problems), benchmarks=tuple(benchmarks), points=points,
                      state_of_the_art=tuple(sota[b] for b in benchmarks if b in sota))
