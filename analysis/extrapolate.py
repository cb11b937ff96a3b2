"""Figure 4: the compute (and its CO2 and dollar cost) needed to reach target error rates.

The seed's construction (the default, ``construction="line"``): today's error e0 is the benchmark's
state of the art (its best error among all dataset rows, with or without compute, or ``--today``),
and the compute for today and for each target is what the fitted line predicts at that error.
Working in log10 keeps 10^181 GFLOP representable:

- polynomial   log10(error) = a + b·log10(C):  log10 C = (log10 e − a) / b        (Table 3)
- exponential  1/error = a + b·log10(C):       log10 C = (1/e − a) / b            (Table 4)
  Table 4's printed coefficients are in 1/error units: ImageNet −4.15 + 0.87·log10 C = 1/0.115 at
  10^14.8. This is the "exponential" form of the seed's Figure 4 and Table 4 (``exponential_perf``).
- error-linear error = a + b·log10(C):         log10 C = (e − a) / b              (Table 1 (1); not Figure 4)

The paper's printed numbers show it: Table 3/4's coefficients at Figure 6's state of the art give
every Figure 4 cell (``tests/test_analysis_extrapolate.py``). Each value's interval is the 95 %
inverse-prediction (Fieller) interval: the compute range over which the line's 95 % confidence band
contains the error; open-ended when the slope's own interval reaches 0.

The older construction (``construction="best-point"``, ``--extrapolate-from best-point``) anchors
at the best fitted point (lowest error with this compute, compute C0) and moves along the slope:
log10 C* = log10 C0 + (y(e*) − y(e0)) / b; its range uses the ends of the slope's 95 % interval.

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

from .fit import CONFIDENCE, MeasureFits, OLSFit, StateOfTheArt, t_ppf

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
#: The fitted form the seed's Figure 4 and Table 4 call "exponential".
SEED_EXPONENTIAL_FORM = "exponential_perf"
#: Each form's equation (results.json ``forms``; the report's labels).
FORM_EQUATIONS = {
    "polynomial": "log10(error) = a + b·log10(compute)",
    "exponential_perf": "1/error = a + b·log10(compute)",
    "exponential": "error = a + b·log10(compute)",
}
FORM_IN_SEED = {
    "polynomial": "the seed's polynomial model: Table 1 (2), Table 3, Figure 4",
    "exponential_perf": "the seed's exponential model: Table 4 (coefficients in 1/error units), Figure 4",
    "exponential": "error-linear: Table 1 (1)'s form; not in Figure 4",
}
#: How "computation required" is obtained (``--extrapolate-from``).
CONSTRUCTIONS = ("line", "best-point")
DEFAULT_CONSTRUCTION = "line"
CONSTRUCTION_TEXT = {
    "line": "the fitted line's prediction at each error (today's error = the benchmark's best error among all "
            "dataset rows, with or without compute, or --today), as the seed's Figure 4; range: 95 % "
            "inverse-prediction (Fieller) interval",
    "best-point": "anchored at the best fitted point (lowest error with this compute) and moved along the fitted "
                  "slope (--extrapolate-from best-point); range: the slope's 95 % interval",
}


def parse_today(values: Iterable[str]) -> dict[str, float]:
    """``--today`` values → benchmark (``"*"`` for all) → error fraction; ValueError naming a bad one.

    >>> parse_today(["0.115", "coco=46.7%"])
    {'*': 0.115, 'coco': 0.467}
    """
    out: dict[str, float] = {}
    for raw in values:
        bench, _, text = raw.rpartition("=")
        text = text.strip()
        try:
            value = float(text.removesuffix("%")) / (100.0 if text.endswith("%") else 1.0)
        except ValueError:
            raise ValueError(f"--today {raw!r}: expected ERROR or BENCHMARK=ERROR (0.115 or 11.5%)") from None
        if not 0 < value < 1:
            raise ValueError(f"--today {raw!r}: the error must be a fraction in (0, 1) or a percentage (11.5%)")
        out[bench.strip() or "*"] = round(value, 12)
    return out


def response(form: str, error: float) -> float:
    """The fitted response of a form at ``error``: log10(error), 1/error or error.

    >>> round(response("polynomial", 0.01), 6), response("exponential_perf", 0.05), response("exponential", 0.3)
    (-2.0, 20.0, 0.3)
    """
    if form == "polynomial":
        return math.log10(error)
    if form == "exponential_perf":
        return 1.0 / error
    if form == "exponential":
        return error
    raise ValueError(f"unknown form {form!r}; known: {', '.join(FORMS)}")


def _improves(form: str, slope: float) -> bool:
    """Whether more compute lowers the error along this slope (1/error rises; the others fall)."""
    return math.isfinite(slope) and (slope > 0 if form == "exponential_perf" else slope < 0)


def log10_compute_on_line(form: str, const: float, slope: float, error: float) -> float:
    """log10 of the compute at which the fitted line ``response = const + slope·log10 C`` reaches ``error``.

    >>> round(log10_compute_on_line("polynomial", 0.10, -0.07, 0.115), 2)  # Table 3, ImageNet, today
    14.85
    >>> round(log10_compute_on_line("exponential_perf", -4.15, 0.87, 0.01), 1)  # Table 4, ImageNet, 1 %
    119.7
    """
    if not _improves(form, slope) or not math.isfinite(const):
        return math.nan  # compute does not lower the error along this fit: no finite extrapolation
    return (response(form, error) - const) / slope


def log10_compute_needed(form: str, log10_c0: float, e0: float, slope: float, target: float) -> float:
    """log10 of the compute needed for error ``target``, moving along the slope from the point (``log10_c0``, ``e0``)
    (the ``best-point`` construction).

    >>> round(log10_compute_needed("polynomial", 14.0, 0.115, -0.07, 0.05), 2)  # ImageNet, 5 %
    19.17
    >>> round(log10_compute_needed("exponential_perf", 14.0, 0.115, 0.87, 0.05), 2)
    26.99
    """
    if not _improves(form, slope):
        return math.nan
    return log10_c0 + (response(form, target) - response(form, e0)) / slope


@dataclass(frozen=True)
class Line:
    """A fitted line ``response = const + slope·log10 C`` with what its interval needs (variances, df)."""

    form: str
    const: float
    slope: float
    var_const: float = math.nan
    var_slope: float = math.nan
    cov: float = math.nan
    df_resid: int = 0

    @classmethod
    def from_fit(cls, fit: OLSFit) -> Line:
        return cls(fit.form, fit.coef("const").estimate, fit.slope.estimate, fit.coef("const").se ** 2,
                   fit.slope.se ** 2, fit.cov_const_slope, fit.df_resid)

    def log10_compute(self, error: float) -> float:
        return log10_compute_on_line(self.form, self.const, self.slope, error)

    def interval(self, error: float, confidence: float = CONFIDENCE) -> tuple[float, float]:
        """The 95 % inverse-prediction (Fieller) interval of log10 C at ``error``: every x where ``error``'s
        response lies inside the line's confidence band, (a + b·x − y)² ≤ t²·var(a + b·x).

        (nan, inf) when the band never closes (the slope's interval reaches 0) or no variance is known.

        >>> lo, hi = Line("polynomial", 0.0, -0.1, 0.01, 0.0001, -0.0009, 20).interval(0.01)
        >>> round(lo, 1), round(hi, 1)
        (17.9, 23.1)
        """
        if not _improves(self.form, self.slope) or not all(
                math.isfinite(v) for v in (self.var_const, self.var_slope, self.cov)) or self.df_resid < 1:
            return math.nan, math.inf
        t2 = float(t_ppf(0.5 + confidence / 2, self.df_resid)) ** 2
        d = self.const - response(self.form, error)
        qa = self.slope ** 2 - t2 * self.var_slope
        qb = 2 * (self.slope * d - t2 * self.cov)
        qc = d ** 2 - t2 * self.var_const
        disc = qb * qb - 4 * qa * qc
        if qa <= 0 or disc < 0:
            return math.nan, math.inf
        root = math.sqrt(disc)
        return (-qb - root) / (2 * qa), (-qb + root) / (2 * qa)


@dataclass(frozen=True)
class Extrapolation:
    """One row of ``extrapolation.csv``."""

    benchmark: str
    measure: str
    form: str
    label: str  # "today", "target 1" …
    target_error: float
    today_error: float
    today_log10_gflop: float  # the compute today: the line's at today's error, or the best point's
    slope: float
    slope_se: float
    log10_gflop: float
    log10_gflop_low: float  # the 95 % interval (see ``CONSTRUCTION_TEXT``)
    log10_gflop_high: float
    log10_co2_lbs: float
    log10_usd: float
    construction: str = DEFAULT_CONSTRUCTION
    const: float = math.nan
    today_source: str = ""  # where today's error comes from (paper, model; or --today)

    def to_row(self) -> dict[str, object]:
        return asdict(self)


def targets_for(benchmark: str, today_error: float, targets: Mapping[str, tuple[float, ...]] | None = None
                ) -> tuple[float, ...]:
    """The benchmark's Figure 4 targets, else today's error × ``DEFAULT_TARGET_FACTORS``."""
    table = TARGETS if targets is None else targets
    return table.get(benchmark) or tuple(today_error * f for f in DEFAULT_TARGET_FACTORS)


def _costs(measure: str, lg: float) -> tuple[float, float]:
    if measure != "hardware_burden" or not math.isfinite(lg):
        return math.nan, math.nan
    return lg + math.log10(CO2_LBS_PER_GFLOP), lg + math.log10(USD_PER_GFLOP)


def extrapolate(fits: MeasureFits, targets: Mapping[str, tuple[float, ...]] | None = None, *,
                today: StateOfTheArt | None = None, construction: str = DEFAULT_CONSTRUCTION) -> list[Extrapolation]:
    """Figure 4 rows (today + each target, for each form) for one benchmark × measure.

    ``construction="line"`` (default) evaluates each fitted line at ``today``'s error (the benchmark's
    state of the art; the best fitted point's when None) and at each target; ``"best-point"`` moves along
    the slope from the best fitted point, whatever ``today`` says.
    """
    if construction not in CONSTRUCTIONS:
        raise ValueError(f"construction must be one of {', '.join(CONSTRUCTIONS)}, not {construction!r}")
    best = fits.today
    if construction == "best-point" or today is None:
        e0 = best.error
        source = f"best fitted point: {best.arxiv_id} {best.model}".strip()
    else:
        e0, source = today.error, today.describe()
    c0 = math.log10(best.compute)
    rows: list[Extrapolation] = []
    for form in FORMS:
        fit = getattr(fits, form)
        line = Line.from_fit(fit)
        b, se = fit.slope.estimate, fit.slope.se
        for i, target in enumerate((e0, *targets_for(fits.benchmark, e0, targets))):
            if construction == "line":
                lg = line.log10_compute(target)
                lo, hi = line.interval(target)
                today_lg = line.log10_compute(e0)
            else:
                lg = log10_compute_needed(form, c0, e0, b, target)
                ends = [log10_compute_needed(form, c0, e0, s, target) for s in (fit.slope.ci_low, fit.slope.ci_high)]
                finite = [e for e in ends if math.isfinite(e)]
                lo, hi = (min(finite), max(finite)) if len(finite) == 2 else (math.nan, math.inf)
                today_lg = c0
            co2, usd = _costs(fits.measure, lg)
            rows.append(Extrapolation(
                benchmark=fits.benchmark, measure=fits.measure, form=form, label="today" if i == 0 else f"target {i}",
                target_error=target, today_error=e0, today_log10_gflop=today_lg, slope=b, slope_se=se,
                log10_gflop=lg, log10_gflop_low=lo, log10_gflop_high=hi, log10_co2_lbs=co2, log10_usd=usd,
                construction=construction, const=line.const, today_source=source))
    return rows


def extrapolate_all(all_fits: Iterable[MeasureFits], targets: Mapping[str, tuple[float, ...]] | None = None, *,
                    today: Mapping[str, StateOfTheArt] | None = None,
                    construction: str = DEFAULT_CONSTRUCTION) -> list[Extrapolation]:
    """Figure 4 rows for every fitted benchmark × measure (``today``: benchmark → state of the art)."""
    sota = today or {}
    return [row for f in all_fits
            for row in extrapolate(f, targets, today=sota.get(f.benchmark), construction=construction)]
