"""Section 2 simulation (Figure 1): the paper's qualitative result."""

from __future__ import annotations

import math

import pytest

from flopmine.analysis.simulate import MODELS, simulate


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return simulate(sims=3, seed=1)


def test_lasso_needs_far_fewer_observations_than_flexible(result) -> None:  # type: ignore[no-untyped-def]
    need = result.n_needed
    assert need["oracle"] == result.reference_n == 15
    # the paper: flexible 1,500 and Lasso 175 observations to reach the oracle's performance at n = 15
    assert 800 < need["flexible"] < 2500
    assert 60 < need["lasso"] < 400
    assert need["lasso"] * 4 < need["flexible"]


def test_expert_plateaus_and_lasso_overtakes_it(result) -> None:  # type: ignore[no-untyped-def]
    expert, lasso, oracle = result.mean["expert"], result.mean["lasso"], result.mean["oracle"]
    assert max(expert) < 1.1  # one missed covariate of ten: normalised MSE stays ≥ 1/10
    assert lasso[0] < expert[0] and lasso[-1] > expert[-1]
    assert all(o >= e for o, e in zip(oracle, expert, strict=True))
    assert set(result.mean) == set(MODELS)
    assert result.computation["lasso"][0] == 15 * 1000 and result.computation["oracle"][0] == 15 * 10


def test_seed_reproducible_and_sims_validated() -> None:
    a = simulate(sims=1, seed=4, n_grid=(20, 200))
    b = simulate(sims=1, seed=4, n_grid=(20, 200))
    c = simulate(sims=1, seed=5, n_grid=(20, 200))
    assert a.mean == b.mean and a.mean != c.mean
    assert math.isnan(a.n_needed["flexible"])  # never reaches the oracle within n ≤ 200
    with pytest.raises(ValueError):
        simulate(sims=0)


def test_headline_crossings_with_their_spread(result) -> None:  # type: ignore[no-untyped-def]
    # the paper: flexible needs 1,500 observations and the regularized (Lasso) one 175 to reach the oracle at 15
    c = result.crossings
    assert set(c) == {"flexible", "lasso"}
    assert c["flexible"].n == result.n_needed["flexible"] and c["lasso"].n == result.n_needed["lasso"]
    assert (c["flexible"].paper, c["lasso"].paper) == (1500, 175)
    for x in c.values():
        assert x.sim_low <= x.sim_median <= x.sim_high and x.never == 0
        assert x.boot_low <= x.n <= x.boot_high
        # every crossing lies between two sizes of the grid (log-interpolated), never outside it
        assert result.n_grid[0] <= x.sim_low and x.sim_high <= result.n_grid[-1]
    assert c["lasso"].sim_high < c["flexible"].sim_low
    assert result.seconds > 0
    d = result.to_dict()
    assert d["crossings"]["lasso"]["n"] == c["lasso"].n and isinstance(d["n_grid"], list)


def test_crossing_interpolates_on_the_log_grid() -> None:
    import numpy as np

    from flopmine.analysis.simulate import crossings

    # oracle at n = 10 reaches 1.0; the model's curve reaches it halfway (in performance) from 100 to 1000
    perf = {"oracle": np.array([[1.0, 2.0, 3.0]]), "flexible": np.array([[0.0, 0.5, 1.5]]),
            "lasso": np.array([[0.0, 0.0, 0.0]])}
    c = crossings((10, 100, 1000), perf, bootstrap=0)
    assert c["flexible"].n == pytest.approx(10**2.5) and c["flexible"].sim_median == pytest.approx(10**2.5)
    assert math.isnan(c["lasso"].n) and c["lasso"].never == 1 and math.isnan(c["lasso"].sim_high)


def test_the_simulation_log_line_gives_observations_as_whole_numbers(caplog: pytest.LogCaptureFixture) -> None:
    import re

    with caplog.at_level("INFO", logger="flopmine"):
        simulate(sims=1, seed=2, n_grid=(20, 60, 200))
    lines = [r.getMessage() for r in caplog.records if "n needed" in r.getMessage()]
    assert lines, "the simulation logs how many observations each model needs"
    needed = lines[-1].split("n needed:", 1)[1]
    assert not re.search(r"\d\.\d{3,}", needed), needed  # 22.72541977571828 is noise to a reader
