"""Speed never changes results (issue 20 item 4): each faster path of build and analyze against the
straightforward computation it replaced, on generated inputs."""

from __future__ import annotations

import dataclasses

import numpy as np
import statsmodels.api as sm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flopmine.analysis.build import ols_line
from flopmine.analysis.simulate import simulate

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def xy(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(min_value=3, max_value=60))
    x = np.array(draw(st.lists(finite, min_size=n, max_size=n)))
    y = np.array(draw(st.lists(finite, min_size=n, max_size=n)))
    return x, y


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(xy())
def test_build_conversion_ols_is_statsmodels_to_the_last_bit(data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    if np.ptp(x) == 0:  # fit_conversion needs two distinct params (add_constant would skip a constant x)
        x = x + np.arange(len(x))
    with np.errstate(all="ignore"):
        res = sm.OLS(y, sm.add_constant(x)).fit()
        params, bse, r2 = ols_line(x, y)
    np.testing.assert_array_equal(params, res.params)
    np.testing.assert_array_equal(bse, res.bse)
    np.testing.assert_array_equal(r2, res.rsquared)


def test_the_simulation_with_one_blas_thread_gives_the_same_numbers_within_a_few_ulps() -> None:
    """Multi-threaded BLAS sums the large Gram matrices (n > d) in another order, so the flexible model's
    numbers move by a few units in the last place, as they do between machines with other core counts;
    everything else, the crossings and the data needs included, is identical."""
    grid = (15, 60, 600, 1200, 1500)  # both least-squares branches (n < d and n > d) and the Lasso
    one = simulate(sims=2, seed=3, n_grid=grid, blas_threads=1)
    default = simulate(sims=2, seed=3, n_grid=grid, blas_threads=None)
    assert one.crossings == default.crossings and one.n_needed == default.n_needed
    for field in ("mean", "sd"):
        a, b = getattr(one, field), getattr(default, field)
        assert a.keys() == b.keys()
        for model in a:
            np.testing.assert_allclose(a[model], b[model], rtol=1e-13, atol=1e-15)
            if model != "flexible":
                assert a[model] == b[model]
    assert dataclasses.replace(one, seconds=0.0, mean={}, sd={}) == dataclasses.replace(default, seconds=0.0,
                                                                                       mean={}, sd={})
