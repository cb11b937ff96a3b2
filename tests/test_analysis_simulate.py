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
