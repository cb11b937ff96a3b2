"""Scaling-law fits: synthetic data drawn from known coefficients are recovered within their SEs."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from flopmine.analysis.fit import (
    MIN_OBS,
    MeasureFits,
    fit_all,
    fit_measure,
    implied_exponent,
    prepare,
    select_points,
)
from flopmine.analysis.synthetic import Truth, synthetic_frame


def _fits(df: pd.DataFrame, measure: str = "per_pass"):  # type: ignore[no-untyped-def]
    prepared, _ = prepare(df)
    points, problems = select_points(prepared, "imagenet", measure)
    fits, more = fit_measure(points, "imagenet", measure)
    return fits, problems + more


def _within(est: float, se: float, truth: float, k: float = 2.0) -> bool:
    return abs(est - truth) <= k * se


def test_polynomial_recovers_slope_and_intercept() -> None:
    truth = Truth(intercept=-0.5, slope=-0.11, noise=0.05)
    fits, _ = _fits(synthetic_frame(400, truth, seed=1))
    p = fits.polynomial
    assert p.n == 400 and p.slope.se < 0.01
    assert _within(p.slope.estimate, p.slope.se, truth.slope)
    assert _within(p.coef("const").estimate, p.coef("const").se, truth.intercept)
    assert 0 < p.r2 <= 1 and p.adj_r2 < p.r2 and p.f > 100 and p.df_resid == 398
    assert fits.exponent.k == pytest.approx(-1 / p.slope.estimate)
    assert fits.exponent.ci_low < 1 / 0.11 < fits.exponent.ci_high


def test_standard_errors_are_calibrated_over_seeds() -> None:
    # |estimate − truth| < 1 SE should hold in about 68 % of samples: checks the SEs, not just the estimates.
    truth = Truth(intercept=-0.3, slope=-0.07, noise=0.1)
    hits = 0
    for seed in range(40):
        p = _fits(synthetic_frame(60, truth, seed=seed))[0].polynomial
        hits += _within(p.slope.estimate, p.slope.se, truth.slope, k=1.0)
    assert 0.5 <= hits / 40 <= 0.85


def test_exponential_forms_recover_coefficients() -> None:
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 4, 300)
    # Table 1 form: error = 0.31 − 0.06·log10 C
    df = synthetic_frame(300, seed=7)
    df["gflops_per_pass"] = 10**x
    df["error"] = 0.31 - 0.06 * x + 0.01 * rng.standard_normal(300)
    e = _fits(df)[0].exponential
    assert _within(e.slope.estimate, e.slope.se, -0.06) and _within(e.coef("const").estimate, e.coef("const").se, 0.31)
    # Table 4 form: 1/error = 2 + 1.5·log10 C
    df["error"] = 1 / (2 + 1.5 * x + 0.2 * rng.standard_normal(300))
    ep = _fits(df)[0].exponential_perf
    assert _within(ep.slope.estimate, ep.slope.se, 1.5) and ep.slope.se < 0.05
    assert _within(ep.coef("const").estimate, ep.coef("const").se, 2.0)


def test_year_trend_recovered() -> None:
    truth = Truth(intercept=-0.24, slope=-0.11, year=-0.04, noise=0.05)
    f = _fits(synthetic_frame(500, truth, seed=3))[0].polynomial_year
    assert f is not None and f.n == 500 and f.df_model == 2
    assert _within(f.coef("year").estimate, f.coef("year").se, -0.04) and f.coef("year").se < 0.005
    assert _within(f.slope.estimate, f.slope.se, -0.11)
    assert _within(f.coef("const").estimate, f.coef("const").se, -0.24)


def test_quantile_regression_recovers_the_10_percent_line() -> None:
    truth = Truth(intercept=-0.5, slope=-0.09, noise=0.08)
    fits, _ = _fits(synthetic_frame(800, truth, seed=11))
    q = fits.quantile
    assert q is not None and q.q == 0.10
    # with N(0, σ) noise the 10 % quantile line is shifted by σ·z(0.1) and has the same slope
    q_intercept = truth.intercept + truth.noise * stats.norm.ppf(0.10)
    assert _within(q.slope.estimate, q.slope.se, truth.slope) and q.slope.se < 0.02
    assert _within(q.coefs[0].estimate, q.coefs[0].se, q_intercept) and q.coefs[0].se < 0.03  # ≠ mean line
    assert fits.quantile_exponent is not None and fits.quantile_exponent.k == pytest.approx(-1 / q.slope.estimate)


def test_implied_exponent_matches_paper_imagenet() -> None:
    # Section 3.2: slope −0.11 (n = 51) → k ≈ 9, 95 % CI about 7 to 13.9
    e = implied_exponent(-0.11, 0.0185, 49)
    assert round(e.k) == 9 and 6.5 < e.ci_low < 7.2 and 13 < e.ci_high < 14.5
    assert math.isinf(implied_exponent(-0.01, 0.02, 10).ci_high)  # interval reaches 0 → unbounded
    assert math.isnan(implied_exponent(0.05, 0.01, 10).k)


def test_problems_name_benchmark_and_rows_but_other_fits_proceed() -> None:
    good = synthetic_frame(30, seed=2)
    bad = pd.DataFrame({"arxiv_id": ["2001.00001", "2001.00002", "2001.00003"], "benchmark": "coco",
                        "model": ["a", "b", "c"], "year": 2020, "month": 1, "error": [0.4, -0.1, 0.3],
                        "gflops_per_pass": [0.0, 5.0, 7.0], "hardware_burden_gflop": [np.nan] * 3})
    df = pd.concat([good, bad], ignore_index=True)
    res = fit_all(df)
    assert res.get("imagenet", "per_pass") is not None and res.get("imagenet", "hardware_burden") is not None
    assert res.get("coco", "per_pass") is None
    text = [str(p) for p in res.problems]
    coco_lines = (32, 33)  # dataset lines: header + 30 good rows → the bad rows are lines 32..34
    assert any(t.startswith("coco / per_pass") and "non-positive compute" in t and "32" in t for t in text)
    assert any("error outside (0, 1)" in t and "33" in t for t in text)
    assert any(t.startswith("coco / per_pass") and f"need at least {MIN_OBS}" in t for t in text)
    assert all(p.benchmark in ("coco", "imagenet") for p in res.problems)
    assert {r for p in res.problems for r in p.rows} >= set(coco_lines)


def test_missing_columns() -> None:
    df = synthetic_frame(20, seed=4).drop(columns=["hardware_burden_gflop", "error"])
    df["top1_err"] = 20.0 + np.arange(20)
    res = fit_all(df)
    assert res.get("imagenet", "per_pass") is not None  # error recomputed from top1_err
    text = " ".join(str(p) for p in res.problems)
    assert "no 'error' column" in text and "hardware_burden_gflop" in text
    nothing = fit_all(pd.DataFrame({"x": [1, 2, 3]}))
    assert not nothing.fits and "no 'benchmark' column" in str(nothing.problems[0])


def test_identical_compute_cannot_be_fitted() -> None:
    df = synthetic_frame(10, seed=1)
    df["gflops_per_pass"] = 3.0
    fits, problems = _fits(df)
    assert fits is None and any("same compute" in str(p) for p in problems)


def test_docstring_examples() -> None:
    import doctest

    from flopmine.analysis import build, dictionary, extrapolate, fit

    for mod in (build, dictionary, extrapolate, fit):
        failed, tried = doctest.testmod(mod)
        assert failed == 0 and tried > 0, mod.__name__


def test_rows_without_year_or_benchmark_are_named() -> None:
    df = synthetic_frame(30, Truth(year=-0.04), seed=8)
    df.loc[[0, 1], "arxiv_id"] = "not-an-id"
    df.loc[[0, 1], ["year", "month"]] = np.nan
    df.loc[2, "benchmark"] = ""
    res = fit_all(df)
    f = res.get("imagenet", "per_pass")
    assert f is not None and f.n == 29 and f.polynomial_year is not None and f.polynomial_year.n == 27
    text = [str(p) for p in res.problems]
    assert any("left out 2 row(s) without a year (dataset line(s) 2, 3)" in t for t in text)
    assert any(t.startswith("(none): 1 row(s) without a benchmark") and "line(s) 4" in t for t in text)


def test_year_trend_skipped_when_compute_and_year_are_collinear() -> None:
    """Two years, one compute value each: Table 2 cannot separate them, so it is reported, not fitted."""
    df = synthetic_frame(12, seed=2)
    first = np.arange(len(df)) < len(df) // 2
    df["gflops_per_pass"] = np.where(first, 2.0, 20.0)
    df["year"], df["month"] = np.where(first, 2016, 2019), 1
    fits, problems = _fits(df)
    assert fits is not None and fits.polynomial is not None
    assert fits.polynomial_year is None
    assert any("collinear" in str(p) for p in problems)


# ---------------------------------------------------------------- issue 20 item 4: OLS in numpy


def _close(a: float, b: float) -> bool:
    """Equal up to rounding: both NaN, both the same infinity, or within 1e-9 relative (1e-12 absolute near 0).

    Why 1e-9: the numpy path does statsmodels' arithmetic in the same order, so most numbers agree to the last
    bit; a p-value far in the tail or a near-singular design may differ in the last few bits of a quantity
    that is then divided or passed through a distribution's tail."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _assert_same_fit(got, want) -> None:  # type: ignore[no-untyped-def]
    assert (got.form, got.n, got.df_model, got.df_resid) == (want.form, want.n, want.df_model, want.df_resid)
    for name in ("r2", "adj_r2", "f", "f_p", "resid_se", "cov_const_slope"):
        assert _close(getattr(got, name), getattr(want, name)), (name, getattr(got, name), getattr(want, name))
    for g, w in zip(got.coefs, want.coefs, strict=True):
        assert g.name == w.name
        for name in ("estimate", "se", "p", "ci_low", "ci_high"):
            assert _close(getattr(g, name), getattr(w, name)), (g.name, name, getattr(g, name), getattr(w, name))


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=3, max_value=400), st.floats(min_value=-3, max_value=3), st.floats(min_value=1e-4, max_value=2),
       st.booleans(), st.integers(min_value=0, max_value=2**32 - 1))
def test_numpy_ols_equals_statsmodels(n: int, slope: float, noise: float, with_year: bool, seed: int) -> None:
    from flopmine.analysis.fit import fit_ols, fit_ols_statsmodels

    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 14, n)
    regressors = {"log10_compute": x}
    if with_year and n >= 4:
        regressors["year"] = rng.uniform(0, 10, n)
    y = -0.5 + slope * x + noise * rng.standard_normal(n)
    _assert_same_fit(fit_ols(y, regressors, "f"), fit_ols_statsmodels(y, regressors, "f"))


def test_numpy_ols_equals_statsmodels_on_an_exact_line_and_on_the_papers_scale() -> None:
    from flopmine.analysis.fit import fit_ols, fit_ols_statsmodels

    x = np.arange(1.0, 6.0)
    _assert_same_fit(fit_ols(2 + 3 * x, {"log10_compute": x}), fit_ols_statsmodels(2 + 3 * x, {"log10_compute": x}))
    df = synthetic_frame(300, Truth(), seed=4)
    err = df["error"].to_numpy(float)
    c = np.log10(df["gflops_per_pass"].to_numpy(float))
    for y in (np.log10(err), err, 1 / err):
        _assert_same_fit(fit_ols(y, {"log10_compute": c}), fit_ols_statsmodels(y, {"log10_compute": c}))


# ---------------------------------------------------------------- issue 20 item 4: statsmodels' quantile module only


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=5, max_value=300), st.floats(min_value=-2, max_value=2), st.integers(0, 2**32 - 1))
def test_the_quantile_fit_is_statsmodels_api_quantreg(n: int, slope: float, seed: int) -> None:
    """fit_quantile imports QuantReg from its module, not through statsmodels.api: the same numbers to the bit."""
    import statsmodels.api as sm

    from flopmine.analysis.fit import fit_quantile

    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 10, n)
    y = -0.5 + slope * x + 0.2 * rng.standard_normal(n)
    got = fit_quantile(y, x)
    X = np.column_stack([np.ones(n), x])
    with np.errstate(all="ignore"), __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore")
        res = sm.QuantReg(y, X).fit(q=0.1, max_iter=5000)
        if not np.all(np.isfinite(res.bse)):
            res = sm.QuantReg(y, X).fit(q=0.1, max_iter=5000, bandwidth="bofinger")
        ci = np.asarray(res.conf_int(alpha=0.05))
    for i, c in enumerate(got.coefs):
        assert (c.estimate, c.se, c.p, c.ci_low, c.ci_high) == pytest.approx(
            (res.params[i], res.bse[i], res.pvalues[i], ci[i, 0], ci[i, 1]), rel=0, abs=0, nan_ok=True)


def test_a_quantile_fit_does_not_import_statsmodels_api() -> None:
    import subprocess
    import sys

    code = ("import sys, numpy as np\nfrom flopmine.analysis.fit import fit_quantile\n"
            "fit_quantile(np.arange(10.0) % 3, np.arange(10.0))\n"
            "print(sorted(m for m in ('statsmodels.api', "
            "'statsmodels.tsa', 'statsmodels.graphics.api') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------- issue 20 item 4: the fits without scipy.stats


def _same_bits(got: object, want: object) -> bool:
    g, w = np.asarray(got, float), np.asarray(want, float)
    return g.shape == w.shape and bool(np.all((g == w) | (np.isnan(g) & np.isnan(w))))


_any_float = st.floats(allow_nan=True, allow_infinity=True)
_df = st.one_of(st.integers(-2, 400).map(float), st.floats(min_value=-1, max_value=1e7), st.just(math.nan),
                st.just(math.inf))


@settings(max_examples=400, deadline=None)
@given(st.lists(_any_float, min_size=1, max_size=4), _df,
       st.one_of(st.floats(min_value=-0.5, max_value=1.5), st.just(math.nan)), _df)
def test_the_distribution_functions_are_scipy_stats_to_the_bit(x: list[float], df: float, q: float,
                                                                dfd: float) -> None:
    from flopmine.analysis import fit

    assert _same_bits(fit.t_sf(np.array(x), df), stats.t.sf(np.array(x), df))
    assert _same_bits(fit.t_sf(x[0], df), stats.t.sf(x[0], df))
    assert _same_bits(fit.t_ppf(q, df), stats.t.ppf(q, df))
    assert _same_bits(fit.f_sf(x[0], df, dfd), stats.f.sf(x[0], df, dfd))


def test_the_distribution_functions_on_the_fits_arguments() -> None:
    from flopmine.analysis import fit

    for df in (1.0, 2.0, 3.0, 28.0, 398.0, 66_666.0):
        for q in (0.1, 0.5, 0.975, 1 - (1 - 0.95) / 2):
            assert _same_bits(fit.t_ppf(q, df), stats.t.ppf(q, df))
        t = np.array([0.0, 1e-300, 0.3, 2.0, 40.0, 1e300])
        assert _same_bits(fit.t_sf(t, df), stats.t.sf(t, df))


def test_the_ols_fits_import_neither_scipy_stats_nor_statsmodels() -> None:
    """The OLS fits and their exponents waited for scipy.stats (about 0.7 s of CPU): they need only scipy.special."""
    import subprocess
    import sys

    code = ("import sys\nfrom flopmine.analysis.fit import MIN_OBS_QUANTILE, fit_all, prepare\n"
            "from flopmine.analysis.synthetic import synthetic_frame\n"
            "frame = synthetic_frame(MIN_OBS_QUANTILE - 1, seed=2)\n"
            "fits = fit_all(prepare(frame)[0])\n"
            "assert fits.fits and all(f.quantile is None for f in fits.fits), fits\n"
            "print(sorted(m for m in ('scipy.stats', 'statsmodels') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------- the quantile regressions after every OLS fit


class _Deferred:
    """A quantile fitter that computes each regression only when its answer is asked for, and records the calls."""

    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    def submit(self, y: np.ndarray, x: np.ndarray):  # type: ignore[no-untyped-def]
        from flopmine.analysis.fit import fit_quantile

        self.calls.append("submit")

        def answer():  # type: ignore[no-untyped-def]
            self.calls.append("answer")
            return fit_quantile(y, x)

        return answer

    def close(self) -> None:
        self.calls.append("close")


def _note(seen: list[tuple[str, str, bool]], fits: MeasureFits, shown: pd.DataFrame) -> None:
    seen.append((fits.benchmark, fits.measure, fits.quantile is not None))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=4), st.integers(0, 2**16))
def test_fit_all_is_fit_measure_on_each_with_the_quantile_regressions_made_after_every_ols_fit(
        sizes: list[int], seed: int) -> None:
    """Benchmarks too small to fit, too small for the quantile regression, and fitted: the same fits and problems,
    in the same order, as fit_measure on each in one pass; on_fit sees every benchmark's OLS fits first."""
    from flopmine.analysis.fit import MEASURES, MIN_OBS_QUANTILE, best_per_paper

    df = pd.concat([synthetic_frame(n, seed=seed + i, benchmark=f"bench{i}") for i, n in enumerate(sizes)],
                   ignore_index=True)
    prepared, want_problems = prepare(df)
    want_fits = []
    for bench in sorted(set(prepared["benchmark"])):
        for measure in MEASURES:
            pts, probs = select_points(prepared, bench, measure)
            want_problems += probs
            fitted, probs = fit_measure(best_per_paper(pts) if measure == "hardware_burden" else pts, bench, measure)
            want_problems += probs
            want_fits += [fitted] if fitted is not None else []
    for fitter in (None, _Deferred(calls := [])):
        seen: list[tuple[str, str, bool]] = []
        got = fit_all(df, on_fit=partial(_note, seen), quantile_fitter=fitter)
        assert repr(got.fits) == repr(tuple(want_fits))  # NaN-safe equality
        assert got.problems == tuple(want_problems)
        first = [(f.benchmark, f.measure, False) for f in want_fits]
        assert seen == first + [(f.benchmark, f.measure, True) for f in want_fits if f.quantile is not None]
    quantiles = sum(f.n >= MIN_OBS_QUANTILE for f in want_fits)
    assert calls == ["submit"] * quantiles + ["close"] + ["answer"] * quantiles
