"""The few distribution functions the fits need, from ``scipy.special`` without importing ``scipy.stats``.

``import scipy.stats`` cost about 1.1 s of CPU on top of ``scipy.special`` (issue 20 item 4: a first analyze at
100k rows took 11.7 s of CPU after about 4 s of imports). Each function here is what ``scipy.stats`` computes:
the same special function (``t.sf`` is ``stdtr(df, -x)``, ``t.ppf`` is ``stdtrit``, ``f.sf`` is ``fdtrc``,
``norm.ppf`` is ``ndtri``) behind the same argument checks (NaN for an invalid degree of freedom, the support's
ends for 0 and 1), so the numbers are the same to the last bit (``tests/test_analysis_fit.py``, hypothesis,
against ``scipy.stats``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

_SQRT_2PI = np.sqrt(2 * np.pi)


def t_sf(x: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """``scipy.stats.t.sf(x, df)``: P(T > x) for Student's t with ``df`` degrees of freedom (NaN unless df > 0)."""
    x, df = np.asarray(x, float), np.asarray(df, float)
    with np.errstate(invalid="ignore"):
        valid = df > 0
        out = special.stdtr(np.where(valid, df, 1.0), -x)
    return np.where(valid & ~np.isnan(x), out, np.nan)[()]


def t_ppf(q: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """``scipy.stats.t.ppf(q, df)``: the q quantile of Student's t (−inf at 0, inf at 1, NaN outside [0, 1] or
    unless df > 0)."""
    q, df = np.asarray(q, float), np.asarray(df, float)
    with np.errstate(invalid="ignore"):
        valid = df > 0
        inside = (q > 0) & (q < 1)
        out = special.stdtrit(np.where(valid, df, 1.0), np.where(inside, q, 0.5))
    out = np.where(inside, out, np.where(q == 0, -np.inf, np.where(q == 1, np.inf, np.nan)))
    return np.where(valid, out, np.nan)[()]


def f_sf(x: np.ndarray | float, dfn: np.ndarray | float, dfd: np.ndarray | float) -> np.ndarray:
    """``scipy.stats.f.sf(x, dfn, dfd)``: P(F > x) (1 for x ≤ 0, 0 at inf, NaN unless both degrees are > 0)."""
    x, dfn, dfd = np.asarray(x, float), np.asarray(dfn, float), np.asarray(dfd, float)
    with np.errstate(invalid="ignore"):
        valid = (dfn > 0) & (dfd > 0)
        inside = (x > 0) & (x < np.inf)
        out = special.fdtrc(np.where(valid, dfn, 1.0), np.where(valid, dfd, 1.0), np.where(inside, x, 1.0))
    out = np.where(inside, out, np.where(x <= 0, 1.0, 0.0))
    return np.where(valid & ~np.isnan(x), out, np.nan)[()]


def norm_ppf(q: np.ndarray | float) -> np.ndarray:
    """``scipy.stats.norm.ppf(q)``: the standard normal's q quantile (NaN outside [0, 1])."""
    q = np.asarray(q, float)
    with np.errstate(invalid="ignore"):
        return np.where((q >= 0) & (q <= 1), special.ndtri(np.clip(q, 0, 1)), np.nan)[()]


def norm_pdf(x: np.ndarray | float) -> np.ndarray:
    """``scipy.stats.norm.pdf(x)``: the standard normal density, scipy's formula."""
    return (np.exp(-np.asarray(x, float) ** 2 / 2.0) / _SQRT_2PI)[()]


def score_at_percentile(values: np.ndarray, per: float) -> float:
    """``scipy.stats.scoreatpercentile(values, per)`` (its default "fraction" interpolation, one percentile):
    the sorted values at index per/100·(n − 1), interpolated linearly between the two around it."""
    a = np.sort(np.asarray(values, float).ravel())
    if a.size == 0:
        return math.nan
    if not 0 <= per <= 100:
        raise ValueError("percentile must be in the range [0, 100]")
    idx = per / 100.0 * (a.size - 1)
    i = int(idx)
    if i == idx:
        return float(np.add.reduce(a[i:i + 1] * np.array(1)) / 1.0)
    weights = np.array([(i + 1 - idx), (idx - i)], float)
    return float(np.add.reduce(a[i:i + 2] * weights) / weights.sum())
