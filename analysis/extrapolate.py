"""Figure 4: the compute (and its CO2 and dollar cost) needed to reach target error rates.

The paper's method: start from *today's best point* (lowest error, its compute) and move along the
fitted slope to the target error. Working in log10 keeps 10^181 GFLOP representable:

- polynomial  log10(error) = a + b·log10(C):  log10 C* = log10 C0 + (log10 e* − log10 e0) / b
- exponential 1/error = a + b·log10(C):       log10 C* = log10 C0 + (1/e* − 1/e0) / b
  (Table 4's printed coefficients are in 1/error units and reproduce Figure 4's exponential column)
- exponential error = a + b·log10(C):         log10 C* = log10 C0 + (e* − e0) / b   (Table 1 form)

Extrapolating from the intercept instead would be wrong: a slope printed as −0.02 moves a 10 %
target by more than ten orders of magnitude, so the printed intercept is far too coarse.

Costs (hardware burden only; a per-pass GFLOP count is not a training cost) use the conversions of
Strubell, Ganesh & McCallum (2019), "Energy and Policy Considerations for Deep Learning in NLP",
ACL 2019, arXiv:1906.02243, Table 3, as the seed paper does ("using the conversions from [82]").
The seed paper does not print its per-GFLOP factors, so we derive them from Strubell's Table 3 row
for the Transformer with neural architecture search (NAS): 8 × NVIDIA P100 for 274,120 hours,
626,155 lbs CO2e, cloud cost $942,973–$3,201,722. Its hardware burden is 8 × 9,300 GFLOPS (P100 FP32
peak, NVIDIA Tesla P100 PCIe datasheet) × 274,120 h × 3,600 s ≈ 7.34e13 GFLOP, giving
8.5e-9 lbs CO2e and $1.28e-8 (low end of the price range) per GFLOP. Applied to Figure 4's
computation column these reproduce its CO2 and dollar columns within rounding (CO2 ≈ GFLOP × 10^-8.07,
$ ≈ GFLOP × 10^-7.89: the dollar exponent is one above the CO2 exponent in 5 of the figure's 30 rows,
as the 0.18 difference predicts).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from .fit import MeasureFits

# ---- constants and their sources (see module docstring)
STRUBELL_NAS_DEVICES = 8  # Strubell et al. 2019, Table 3, "Transformer (big) w/ NAS", hardware P100x8
STRUBELL_NAS_HOURS = 274_120  # same row, "Hours"
STRUBELL_NAS_CO2_LBS = 626_155  # same row, "CO2e" (lbs)
STRUBELL_NAS_COST_USD_LOW = 942_973  # same row, "Cloud compute cost" low end
STRUBELL_NAS_COST_USD_HIGH = 3_201_722  # same row, high end
P100_FP32_GFLOPS = 9_300.0  # NVIDIA Tesla P100 PCIe datasheet: 9.3 TFLOPS single precision
SECONDS_PER_HOUR = 3600.0
STRUBELL_NAS_BURDEN_GFLOP = STRUBELL_NAS_DEVICES * P100_FP32_GFLOPS * STRUBELL_NAS_HOURS * SECONDS_PER_HOUR
CO2_LBS_PER_GFLOP = STRUBELL_NAS_CO2_LBS / STRUBELL_NAS_BURDEN_GFLOP  # ≈ 8.53e-9
USD_PER_GFLOP = STRUBELL_NAS_COST_USD_LOW / STRUBELL_NAS_BURDEN_GFLOP  # ≈ 1.28e-8
USD_PER_GFLOP_HIGH = STRUBELL_NAS_COST_USD_HIGH / STRUBELL_NAS_BURDEN_GFLOP

# Target error rates of the paper's Figure 4 (fractions); other benchmarks get today's error × factors.
TARGETS: dict[str, tuple[float, ...]] = {
    "imagenet": (0.05, 0.01),
    "coco": (0.30, 0.10),
    "squad11": (0.02, 0.01),
    "conll2003": (0.02, 0.01),
    "wmt14_en_fr": (0.30, 0.10),
}
DEFAULT_TARGET_FACTORS = (0.5, 0.1)
FORMS = ("polynomial", "exponential_perf", "exponential")


def log10_compute_needed(form: str, log10_c0: float, e0: float, slope: float, target: float) -> float:
    """log10 of the compute needed for error ``target``, from today's point (``log10_c0``, ``e0``).

    >>> round(log10_compute_needed("polynomial", 14.0, 0.115, -0.07, 0.05), 2)  # ImageNet, 5 %
    19.17
    >>> round(log10_compute_needed("exponential_perf", 14.0, 0.115, 0.87, 0.05), 2)
    26.99
    """
    if form == "polynomial":
        delta = math.log10(target) - math.log10(e0)
        ok = slope < 0
    elif form == "exponential_perf":
        delta = 1.0 / target - 1.0 / e0
        ok = slope > 0
    elif form == "exponential":
        delta = target - e0
        ok = slope < 0
    else:
        raise ValueError(f"unknown form {form!r}; known: {', '.join(FORMS)}")
    if not ok or not math.isfinite(slope):
        return math.nan  # compute does not lower the error along this fit: no finite extrapolation
    return log10_c0 + delta / slope


@dataclass(frozen=True)
class Extrapolation:
    """One row of ``extrapolation.csv``."""

    benchmark: str
    measure: str
    form: str
    label: str  # "today", "target 1" …
    target_error: float
    today_error: float
    today_log10_gflop: float
    slope: float
    slope_se: float
    log10_gflop: float
    log10_gflop_low: float  # with slope at the edges of its 95 % interval
    log10_gflop_high: float
    log10_co2_lbs: float
    log10_usd: float

    def to_row(self) -> dict[str, object]:
        return asdict(self)


def targets_for(benchmark: str, today_error: float, targets: Mapping[str, tuple[float, ...]] | None = None
                ) -> tuple[float, ...]:
    """The benchmark's Figure 4 targets, else today's error × ``DEFAULT_TARGET_FACTORS``."""
    table = TARGETS if targets is None else targets
    return table.get(benchmark) or tuple(today_error * f for f in DEFAULT_TARGET_FACTORS)


def extrapolate(fits: MeasureFits, targets: Mapping[str, tuple[float, ...]] | None = None) -> list[Extrapolation]:
    """Figure 4 rows (today + each target, for each form) for one benchmark × measure."""
    today = fits.today
    c0 = math.log10(today.compute)
    rows: list[Extrapolation] = []
    for form in FORMS:
        fit = getattr(fits, form)
        b, se = fit.slope.estimate, fit.slope.se
        lo_b, hi_b = fit.slope.ci_low, fit.slope.ci_high
        for i, target in enumerate((today.error, *targets_for(fits.benchmark, today.error, targets))):
            lg = log10_compute_needed(form, c0, today.error, b, target)
            ends = [log10_compute_needed(form, c0, today.error, s, target) for s in (lo_b, hi_b)]
            finite = [e for e in ends if math.isfinite(e)]
            cost = fits.measure == "hardware_burden" and math.isfinite(lg)
            rows.append(Extrapolation(
                benchmark=fits.benchmark, measure=fits.measure, form=form, label="today" if i == 0 else f"target {i}",
                target_error=target, today_error=today.error, today_log10_gflop=c0, slope=b, slope_se=se,
                log10_gflop=lg, log10_gflop_low=min(finite) if len(finite) == 2 else math.nan,
                log10_gflop_high=max(finite) if len(finite) == 2 else math.inf,
                log10_co2_lbs=lg + math.log10(CO2_LBS_PER_GFLOP) if cost else math.nan,
                log10_usd=lg + math.log10(USD_PER_GFLOP) if cost else math.nan,
            ))
    return rows


def extrapolate_all(all_fits: Iterable[MeasureFits],
                    targets: Mapping[str, tuple[float, ...]] | None = None) -> list[Extrapolation]:
    """Figure 4 rows for every fitted benchmark × measure."""
    return [row for f in all_fits for row in extrapolate(f, targets)]
