"""Figure 4: extrapolating the paper's own coefficients from today's points reproduces its table."""

from __future__ import annotations

import math

import pytest

from flopmine.analysis import extrapolate as ex
from flopmine.analysis.fit import fit_all
from flopmine.analysis.synthetic import Truth, synthetic_frame

# Facts from Thompson et al. 2020 (arXiv:2007.05558v1). Table 3 ("Hardware burden estimates for the
# polynomial model"): slope of log10(error) on log10(hardware burden). Table 4 (exponential model):
# slope of the (1/error) response on log10(hardware burden), as printed.
TABLE3_SLOPE = {"imagenet": -0.07, "coco": -0.02, "squad11": -0.13, "conll2003": -0.02, "wmt14_en_fr": -0.02}
TABLE4_SLOPE = {"imagenet": 0.87, "coco": 0.09, "squad11": 2.99, "conll2003": 0.50, "wmt14_en_fr": 0.09}
# Figure 4: today's error and, per form, log10 GFLOP of today's point and of targets 1 and 2
# (targets: ImageNet 5 %, 1 %; MS COCO 30 %, 10 %; SQuAD 1.1 2 %, 1 %; CoNLL 2003 2 %, 1 %; WMT EN-FR 30 %, 10 %).
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
ROUNDING = 0.005  # slopes are printed to two decimals


def _range(form: str, c0: float, e0: float, slope: float, target: float) -> tuple[float, float]:
    ends = [ex.log10_compute_needed(form, c0, e0, slope + d, target) for d in (-ROUNDING, ROUNDING)]
    return min(ends), max(ends)


@pytest.mark.parametrize("bench", sorted(TABLE3_SLOPE))
def test_polynomial_column_of_figure_4(bench: str) -> None:
    today, *paper = FIG4_POLYNOMIAL[bench]
    for target, printed in zip(ex.TARGETS[bench], paper, strict=True):
        lo, hi = _range("polynomial", today, TODAY_ERROR[bench], TABLE3_SLOPE[bench], target)
        assert lo - 1 <= printed <= hi + 1, (bench, target, lo, hi, printed)


@pytest.mark.parametrize("bench", sorted(TABLE4_SLOPE))
def test_exponential_column_of_figure_4(bench: str) -> None:
    today, *paper = FIG4_EXPONENTIAL[bench]
    for target, printed in zip(ex.TARGETS[bench], paper, strict=True):
        lo, hi = _range("exponential_perf", today, TODAY_ERROR[bench], TABLE4_SLOPE[bench], target)
        assert lo - 1 <= printed <= hi + 1, (bench, target, lo, hi, printed)


def test_extrapolating_from_the_intercept_would_not_match() -> None:
    # COCO, Table 3: log10(error) = −0.002 − 0.02·log10(burden); 10 % target from the intercept
    from_intercept = (math.log10(0.10) + 0.002) / -0.02
    assert from_intercept > FIG4_POLYNOMIAL["coco"][2] + 5  # far off: the method must start from today's point


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


def test_extrapolate_from_fitted_results() -> None:
    df = synthetic_frame(200, Truth(intercept=-0.5, slope=-0.1, noise=0.03), seed=5)
    fits = fit_all(df).get("imagenet", "hardware_burden")
    assert fits is not None
    rows = [r for r in ex.extrapolate(fits) if r.form == "polynomial"]
    assert [r.label for r in rows] == ["today", "target 1", "target 2"]
    today, t1, t2 = rows
    assert today.log10_gflop == pytest.approx(math.log10(fits.today.compute))
    assert today.target_error == fits.today.error == df["error"].min()
    b = fits.polynomial.slope.estimate
    assert t1.log10_gflop == pytest.approx(today.log10_gflop + (math.log10(0.05) - math.log10(today.today_error)) / b)
    assert t1.log10_gflop_low <= t1.log10_gflop <= t1.log10_gflop_high
    assert t2.log10_gflop > t1.log10_gflop
    assert t2.log10_co2_lbs == pytest.approx(t2.log10_gflop + math.log10(ex.CO2_LBS_PER_GFLOP))
    per_pass = fit_all(df).get("imagenet", "per_pass")
    assert per_pass is not None and all(math.isnan(r.log10_usd) for r in ex.extrapolate(per_pass))


def test_no_improvement_gives_no_extrapolation() -> None:
    assert math.isnan(ex.log10_compute_needed("polynomial", 10, 0.2, 0.01, 0.1))
    assert math.isnan(ex.log10_compute_needed("exponential_perf", 10, 0.2, -0.5, 0.1))
    assert ex.targets_for("cifar10", 0.04) == pytest.approx((0.02, 0.004))
