"""The Section 2 simulation's estimators as they were before the nested Gram matrix (issue 20 item 4): every n
fitted from scratch on its first n rows (least squares on X, scikit-learn's ``Lasso`` on X). The fast path
(``simulate.nested_estimates``) is checked against it."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence

import numpy as np

from flopmine.analysis.simulate import LASSO_C, LASSO_MAX_ITER, LASSO_TOL, NOISE, _least_squares, _lstsq_on


def lasso(X: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """scikit-learn's ``Lasso`` estimator with the simulation's settings: what ``simulate._lasso_on_x`` and
    ``simulate._lasso_gram`` compute without it."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import Lasso

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = Lasso(alpha=alpha, fit_intercept=False, max_iter=LASSO_MAX_ITER, tol=LASSO_TOL, selection="cyclic")
        model.fit(X, y)
    return model.coef_


def reference_estimates(X_all: np.ndarray, y_all: np.ndarray, grid: Sequence[int], support: np.ndarray,
                        expert_cols: np.ndarray) -> Iterator[dict[str, np.ndarray]]:
    d = X_all.shape[1]
    for n in grid:
        X, y = X_all[:n], y_all[:n]
        yield {
            "oracle": _lstsq_on(X, y, support, d),
            "expert": _lstsq_on(X, y, expert_cols, d),
            "flexible": _least_squares(X, y),
            "lasso": lasso(X, y, LASSO_C * NOISE * math.sqrt(2 * math.log(d) / n)),
        }
