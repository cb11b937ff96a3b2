"""The Section 2 simulation's estimators as they were before the nested Gram matrix (issue 20 item 4): every n
fitted from scratch on its first n rows (least squares on X, scikit-learn's ``Lasso`` on X). The fast path
(``simulate.nested_estimates``) is checked against it."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np

from flopmine.analysis.simulate import LASSO_C, NOISE, _lasso, _least_squares, _lstsq_on


def reference_estimates(X_all: np.ndarray, y_all: np.ndarray, grid: Sequence[int], support: np.ndarray,
                        expert_cols: np.ndarray) -> Iterator[dict[str, np.ndarray]]:
    d = X_all.shape[1]
    for n in grid:
        X, y = X_all[:n], y_all[:n]
        yield {
            "oracle": _lstsq_on(X, y, support, d),
            "expert": _lstsq_on(X, y, expert_cols, d),
            "flexible": _least_squares(X, y),
            "lasso": _lasso(X, y, LASSO_C * NOISE * math.sqrt(2 * math.log(d) / n)),
        }
