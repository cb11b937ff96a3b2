"""Figure 4: extrapolating the paper's own coefficients from today's points reproduces its table."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flopmine.analysis import extrapolate as ex
from flopmine.analysis.fit import (
    Coef,
    MeasureFits,
    OLSFit,
    StateOfTheArt,
    Today,
    fit_all,
    implied_exponent,
)
from flopmine.analysis.report import run_analysis, write_report
from flopmine.analysis.synthetic import Truth, synthetic_frame

# Facts from Thompson et al. 2020 (arXiv:2007.05558v1). Table 3 ("Hardware burden estimates for the
# polynomial model"): constant and slope of log10(error) on log10(hardware burden). Table 4 (exponential
# model): constant and slope of the 1/error response on log10(hardware burden), as printed.
TABLE3 = {"imagenet": (0.10, -0.07), "coco": (-0.002, -0.02), "squad11": (0.35, -0.13), "conll2003": (-0.96, -0.02),
          "wmt14_en_fr": (0.03, -0.02)}
TABLE4 = {"imagenet": (-4.15, 0.87), "coco": (0.84, 0.09), "squad11": (-19.80, 2.99), "conll2003": (8.59, 0.50),
          "wmt14_en_fr": (0.76, 0.09)}
TABLE3_SLOPE = {b: c[1] for b, c in TABLE3.items()}
TABLE4_SLOPE = {b: c[1] for b, c in TABLE4.items()}
# Figure 4's "Today" errors = Figure 6's state of the art (ImageNet 11.5 %; COCO 100 − 53.3 box AP; CoNLL
# 100 − 93.5 F1; WMT EN-FR BLEU 45.6; SQuAD as Figure 4 prints it) and, per form, log10 GFLOP of today and
# of targets 1 and 2 (ImageNet 5 %, 1 %; MS COCO 30 %, 10 %; SQuAD 1.1 2 %, 1 %; CoNLL 2003 2 %, 1 %; WMT 30 %, 10 %).
TODAY_ERROR = {"imagenet": 0.115, "coco": 0.467, "squad11": 0.04621, "conll2003": 0.065, "wmt14_en_fr": 0.544}
FIG4_POLYNOMIAL = {"imagenet": (14, 19, 28), "coco": (14, 23, 44), "squad11": (13, 15, 18),
                   "conll2003": (13, 43, 61), "wmt14_en_fr": (12, 23, 43)}
FIG4_EXPONENTIAL = {"imagenet": (14, 27, 120), "coco": (15, 29, 107), "squad11": (13, 23, 40),
                    "conll2003": (13, 82, 181), "wmt14_en_fr": (12, 30, 107)}
# Figure 4's CO2 (lbs) and cost ($) exponents, polynomial then exponential, today/target 1/target 2.
FIG4_CO2 = {"imagenet": (6, 10, 20, 6, 19, 112), "coco": (6, 14, 36, 7, 21, 99), "squad11": (4, 7, 10, 5, 15, 32),
            "conll2003": (5, 35, 53, 5, 73, 173), "wmt14_en_fr": (4, 15, 35, 4, 22, 99)}
FIG4_USD = {"imagenet": (6, 11, 20, 6, 19, 112), "coco": (6, 15, 36, 7, 21, 99), "squad11": (5, 7, 10, 5, 15, 32),
            "conll2003": (5, 35, 53, 5, 74, 173), "wmt14_en_fr": (4, 15, 35, 4, 22, 100)}
ROUNDING = 0.005  # coefficients are printed to two decimals


def _ols(form: str, const: float, slope: float) -> OLSFit:
    coefs = (Coef("const", const, math.nan, math.nan, math.nan, math.nan),
             Coef("log10_compute", slope, math.nan, math.nan, math.nan, math.nan))
    return OLSFit(form, 13, coefs, math.nan, math.nan, math.nan, math.nan, math.nan, 1, 11)


def _printed_fits(bench: str, d_const: float, d_slope: float) -> MeasureFits:
    """The paper's Table 3 and Table 4 lines for ``bench``, each coefficient moved by the given rounding."""
    (a3, b3), (a4, b4) = TABLE3[bench], TABLE4[bench]
    poly = _ols("polynomial", a3 + d_const, b3 + d_slope)
    expo = _ols("exponential_perf", a4 + d_const, b4 + d_slope)
    anchor = Today(0.5, 1e10, "", "")  # the best fitted point: unused by the line construction
    return MeasureFits(bench, "hardware_burden", 13, anchor, poly, poly, expo, implied_exponent(b3, math.nan, 11))


def _figure4_ranges(bench: str) -> dict[tuple[str, str], tuple[float, float, float, float, float, float]]:
    """(form, label) → the (lo, hi) of log10 GFLOP, CO2 and USD over every rounding of the printed coefficients."""
    today = StateOfTheArt(bench, TODAY_ERROR[bench], source="given")
    seen: dict[tuple[str, str], list[ex.Extrapolation]] = {}
    for dc, ds in itertools.product((-ROUNDING, ROUNDING), repeat=2):  # monotone in each: corners bound the range
        for row in ex.extrapolate(_printed_fits(bench, dc, ds), today=today):
            seen.setdefault((row.form, row.label), []).append(row)
    return {k: (min(r.log10_gflop for r in v), max(r.log10_gflop for r in v),
                min(r.log10_co2_lbs for r in v), max(r.log10_co2_lbs for r in v),
                min(r.log10_usd for r in v), max(r.log10_usd for r in v)) for k, v in seen.items()}


def _meets(lo: float, hi: float, printed: int) -> bool:
    """Figure 4 prints each value's order of magnitude, 10^p for p ≤ log10 value < p + 1 (ImageNet's exponential
    today, 10^14.77 from Table 4, is printed 10^14): the range [lo, hi] must meet [p, p + 1)."""
    return lo < printed + 1 and hi >= printed


@pytest.mark.parametrize("bench", sorted(TABLE3))
def test_every_figure_4_cell_from_the_printed_coefficients(bench: str) -> None:
    ranges = _figure4_ranges(bench)
    for form, column in (("polynomial", FIG4_POLYNOMIAL), (ex.SEED_EXPONENTIAL_FORM, FIG4_EXPONENTIAL)):
        offset = 0 if form == "polynomial" else 3
        for i, label in enumerate(("today", "target 1", "target 2")):
            glo, ghi, clo, chi, ulo, uhi = ranges[(form, label)]
            assert _meets(glo, ghi, column[bench][i]), (bench, form, label, glo, ghi, column[bench][i])
            assert _meets(clo, chi, FIG4_CO2[bench][offset + i]), (bench, form, label, clo, chi)
            assert _meets(ulo, uhi, FIG4_USD[bench][offset + i]), (bench, form, label, ulo, uhi)


def test_imagenet_today_from_table_3_is_10_to_the_14_8() -> None:
    # the worked example: 0.10 − 0.07·x = log10(0.115) → x = 14.8, and the rounding range covers 14
    ranges = _figure4_ranges("imagenet")
    lo, hi = ranges[("polynomial", "today")][:2]
    assert ex.log10_compute_on_line("polynomial", 0.10, -0.07, 0.115) == pytest.approx(14.85, abs=0.01)
    assert lo <= 14 <= hi


@pytest.mark.parametrize("bench", sorted(FIG4_CO2))
def test_co2_and_dollar_conversions_reproduce_figure_4(bench: str) -> None:
    gflop = FIG4_POLYNOMIAL[bench] + FIG4_EXPONENTIAL[bench]
    for g, co2, usd in zip(gflop, FIG4_CO2[bench], FIG4_USD[bench], strict=True):
        assert abs(g + math.log10(ex.CO2_LBS_PER_GFLOP) - co2) < 1, (bench, g, co2)
        assert abs(g + math.log10(ex.USD_PER_GFLOP) - usd) < 1, (bench, g, usd)


def test_constants_follow_strubell() -> None:
    assert math.isclose(ex.STRUBELL_NAS_BURDEN_GFLOP, 8 * 9300 * 274_120 * 3600)
    assert math.isclose(ex.CO2_LBS_PER_GFLOP, 8.53e-9, rel_tol=0.01)
    assert math.isclose(ex.USD_PER_GFLOP, 1.284e-8, rel_tol=0.01)


def test_line_construction_from_fitted_results() -> None:
    df = synthetic_frame(200, Truth(intercept=-0.5, slope=-0.1, noise=0.03), seed=5)
    results = fit_all(df)
    fits = results.get("imagenet", "hardware_burden")
    sota = results.today_for("imagenet")
    assert fits is not None and sota is not None and sota.error == df["error"].min()
    rows = [r for r in ex.extrapolate(fits, today=sota) if r.form == "polynomial"]
    assert [r.label for r in rows] == ["today", "target 1", "target 2"]
    today, t1, t2 = rows
    a, b = fits.polynomial.coef("const").estimate, fits.polynomial.slope.estimate
    assert today.target_error == sota.error and today.construction == "line"
    assert today.log10_gflop == pytest.approx((math.log10(sota.error) - a) / b)
    assert t1.log10_gflop == pytest.approx((math.log10(0.05) - a) / b)
    for r in rows:
        assert r.log10_gflop_low < r.log10_gflop < r.log10_gflop_high
    assert t2.log10_gflop > t1.log10_gflop
    assert t2.log10_co2_lbs == pytest.approx(t2.log10_gflop + math.log10(ex.CO2_LBS_PER_GFLOP))
    per_pass = results.get("imagenet", "per_pass")
    assert per_pass is not None and all(math.isnan(r.log10_usd) for r in ex.extrapolate(per_pass, today=sota))


def test_best_point_construction_is_kept_as_an_option() -> None:
    df = synthetic_frame(200, Truth(intercept=-0.5, slope=-0.1, noise=0.03), seed=5)
    results = fit_all(df)
    fits = results.get("imagenet", "hardware_burden")
    assert fits is not None
    rows = [r for r in ex.extrapolate(fits, today=results.today_for("imagenet"), construction="best-point")
            if r.form == "polynomial"]
    today, t1, _ = rows
    assert today.log10_gflop == pytest.approx(math.log10(fits.today.compute))
    assert today.target_error == fits.today.error and t1.construction == "best-point"
    b = fits.polynomial.slope.estimate
    assert t1.log10_gflop == pytest.approx(today.log10_gflop + (math.log10(0.05) - math.log10(fits.today.error)) / b)
    with pytest.raises(ValueError):
        ex.extrapolate(fits, construction="anchor")


def test_fieller_interval_is_where_the_band_contains_the_error() -> None:
    df = synthetic_frame(40, Truth(intercept=-0.5, slope=-0.1, noise=0.05), seed=2)
    fits = fit_all(df).get("imagenet", "per_pass")
    assert fits is not None
    line = ex.Line.from_fit(fits.polynomial)
    lo, hi = line.interval(0.05)
    t = float(__import__("scipy").stats.t.ppf(0.975, line.df_resid))
    y = math.log10(0.05)
    for x, inside in ((lo, True), (hi, True), ((lo + hi) / 2, True), (lo - 0.5, False), (hi + 0.5, False)):
        band = t * math.sqrt(line.var_const + x * x * line.var_slope + 2 * x * line.cov)
        assert (abs(line.const + line.slope * x - y) <= band + 1e-9) is inside, (x, lo, hi)
    # a slope whose interval reaches 0 never closes the band: open-ended
    flat = ex.Line("polynomial", 0.0, -0.01, 0.01, 0.01, 0.0, 10)
    assert flat.interval(0.05) == (pytest.approx(math.nan, nan_ok=True), math.inf)


def test_today_is_the_best_error_even_without_compute(tmp_path: Path) -> None:
    df = synthetic_frame(120, Truth(intercept=-0.5, slope=-0.1, noise=0.03), seed=7)
    best = float(df["error"].min()) * 0.5
    extra = pd.DataFrame({"arxiv_id": ["2001.00001"], "benchmark": ["imagenet"], "model": ["SOTA-Net"],
                          "year": [2020], "month": [1], "error": [best], "gflops_per_pass": [np.nan],
                          "hardware_burden_gflop": [np.nan]})
    df = pd.concat([df, extra], ignore_index=True)
    result = run_analysis(df, sims=0)
    sota = result.fits.today_for("imagenet")
    assert sota is not None and sota.error == best and not sota.has_compute
    assert (sota.arxiv_id, sota.model, sota.line) == ("2001.00001", "SOTA-Net", len(df) + 1)
    today_rows = [e for e in result.extrapolations if e.label == "today"]
    assert today_rows and all(e.target_error == best for e in today_rows)
    assert all(f.today.error > best for f in result.fits.fits)  # the fitted points never had it
    write_report(result, df, tmp_path, figures=False)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "imagenet: today" in md and "2001.00001 SOTA-Net" in md and "no compute" in md
    assert "Construction (line)" in md
    given = run_analysis(df, sims=0, today={"imagenet": 0.2}, construction="line")
    assert {e.target_error for e in given.extrapolations if e.label == "today"} == {0.2}
    assert all(e.today_source == "20 % (given with --today)" for e in given.extrapolations)


def test_parse_today() -> None:
    assert ex.parse_today(["11.5%", "coco=0.467"]) == {"*": 0.115, "coco": 0.467}
    for bad in ("abc", "1.5", "imagenet=0", "-3%"):
        with pytest.raises(ValueError):
            ex.parse_today([bad])


def test_no_improvement_gives_no_extrapolation() -> None:
    assert math.isnan(ex.log10_compute_needed("polynomial", 10, 0.2, 0.01, 0.1))
    assert math.isnan(ex.log10_compute_needed("exponential_perf", 10, 0.2, -0.5, 0.1))
    assert ex.targets_for("cifar10", 0.04) == pytest.approx((0.02, 0.004))
