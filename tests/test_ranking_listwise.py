"""The listwise objective of the ranker (``ranking._listwise_objective``): the all-positives part tolerates as
many wrong values above a right one as leave it among the values a reviewer reads first (``LISTWISE_SHOWN``)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix

from flopmine.extract.ranking import LISTWISE_SHOWN, _listwise_objective


def _lists(draw_rows: list[tuple[int, list[float], int]]) -> tuple[csr_matrix, np.ndarray, list[str]]:
    x = csr_matrix(np.array([r[1] for r in draw_rows], dtype=float))
    y = np.array([r[2] for r in draw_rows], dtype=float)
    return x, y, [f"p{r[0]}|f" for r in draw_rows]


_ROWS = st.lists(st.tuples(st.integers(0, 3), st.lists(st.floats(-2, 2), min_size=3, max_size=3), st.integers(0, 1)),
                 min_size=2, max_size=14)


def test_a_tied_list_costs_log_one_plus_wrong_over_shown() -> None:
    # one right and two wrong values that no feature tells apart: the all-positives part is log(1 + 2/k)
    x, y, groups = _lists([(0, [0.0], 1), (0, [0.0], 0), (0, [0.0], 0)])
    for shown, expected in ((1, math.log(3.0)), (3, math.log(1 + 2 / 3))):
        f, _ = _listwise_objective(x, y, groups, 1.0, np.zeros(1), every=1.0, shown=shown)(np.zeros(1))
        assert math.isclose(f, expected, rel_tol=1e-9)
    assert LISTWISE_SHOWN == 3


@settings(max_examples=40, deadline=None)
@given(_ROWS, st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3), st.sampled_from([0.0, 0.5, 0.7, 1.0]),
       st.sampled_from([1, 3]))
def test_the_gradient_is_the_objectives_derivative(rows: list[tuple[int, list[float], int]], beta: list[float],
                                                   every: float, shown: int) -> None:
    x, y, groups = _lists(rows)
    if not y.any():
        return  # no list with a right value: nothing to fit
    loss = _listwise_objective(x, y, groups, 0.7, np.full(3, 0.1), every=every, shown=shown)
    b = np.array(beta)
    _, grad = loss(b)
    h = 1e-6
    for j in range(3):
        step = np.zeros(3)
        step[j] = h
        numeric = (loss(b + step)[0] - loss(b - step)[0]) / (2 * h)
        assert math.isclose(grad[j], numeric, rel_tol=1e-4, abs_tol=1e-6)


@settings(max_examples=40, deadline=None)
@given(_ROWS, st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3))
def test_tolerating_the_first_values_never_costs_more_than_ranking_above_all(
        rows: list[tuple[int, list[float], int]], beta: list[float]) -> None:
    x, y, groups = _lists(rows)
    if not y.any():
        return
    b = np.array(beta)
    strict = _listwise_objective(x, y, groups, 1.0, np.zeros(3), every=1.0, shown=1)(b)[0]
    tolerant = _listwise_objective(x, y, groups, 1.0, np.zeros(3), every=1.0, shown=3)(b)[0]
    assert tolerant <= strict + 1e-12
