"""The Section 2 simulation's flexible-model solves in a second thread (issue 20 item 4): the same numbers to the bit."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from flopmine.analysis.simulate import NestedGram, nested_estimates, simulate


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=3, max_value=25),
       st.lists(st.integers(min_value=2, max_value=60), min_size=1, max_size=6, unique=True),
       st.integers(min_value=1, max_value=3))
def test_the_simulation_with_a_solver_thread_is_the_sequential_one_to_the_bit(seed: int, d: int, grid: list[int],
                                                                              sims: int) -> None:
    """The flexible model's solves made in a second thread, scored a replication later: the same result, with n on
    both sides of d (the minimum-norm solves and the normal equations)."""
    s = min(3, d - 1)
    threaded = simulate(sims=sims, seed=seed, n_grid=grid, d=d, s=s)
    sequential = simulate(sims=sims, seed=seed, n_grid=grid, d=d, s=s, estimates=nested_estimates)
    # as JSON (floats by their repr): a crossing never reached is NaN on both sides
    assert json.dumps(dataclasses.replace(threaded, seconds=0.0).to_dict()) == json.dumps(
        dataclasses.replace(sequential, seconds=0.0).to_dict())


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=2, max_value=12), st.lists(st.integers(min_value=1, max_value=40), min_size=1,
                                                         max_size=4), st.integers(min_value=0, max_value=2**32 - 1))
def test_a_nested_gram_is_never_changed_by_a_later_sample(d: int, steps: list[int], seed: int) -> None:
    """A thread may still be solving with the Gram matrix of n rows when the next is made: each is a new array, and
    equal to the bit to summing the blocks in place."""
    rng = np.random.default_rng(seed)
    sizes = [int(n) for n in np.cumsum([d + 1, *steps])]
    X_all = rng.standard_normal((sizes[-1], d))
    gram = NestedGram(X_all)
    made = []
    for n in sizes:
        G = gram.first(n)
        made.append((G, G.copy()))
    in_place = np.zeros((d, d))
    rows = 0
    for (G, at_the_time), n in zip(made, sizes, strict=True):
        np.testing.assert_array_equal(G, at_the_time)
        block = X_all[rows:n]
        in_place += block.T @ block
        rows = n
        np.testing.assert_array_equal(G, in_place)
