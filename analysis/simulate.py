"""Section 2's simulation (Figure 1): oracle, expert, flexible and Lasso models of a sparse linear truth.

The generative model is y = θᵀx + z with x ~ N(0, I_d), z ~ N(0, σ²), d = 1000 and s = 10 non-zero
coefficients (all equal to ``SIGNAL``). Four estimators see n samples:

- oracle:   least squares on exactly the s true covariates;
- expert:   least squares on s − 1 true covariates and 1 wrong one;
- flexible: least squares on all d covariates (minimum-norm solution while n < d; the default grid
  skips n = d, where that solution blows up);
- lasso:    scikit-learn ``Lasso`` on all d covariates, penalty α = LASSO_C·σ·√(2·log d / n)
  (the standard theory rate of Negahban et al. / Bickel–Ritov–Tsybakov; no cross-validation, for speed).

Performance = −log10 of the normalised prediction MSE against the true predictor. For isotropic
Gaussian queries x₀ the expected squared prediction error is exactly ‖θ̂ − θ‖², so the normalised MSE
is ‖θ̂ − θ‖² / ‖θ‖² (no query sampling noise). Computation (Figure 1b) is counted as n × the number of
coefficients estimated (s for oracle and expert, d for flexible and Lasso).

With SIGNAL = σ = 1 the oracle at n = 15 reaches the performance the flexible model needs n ≈ 1,500
for — the paper's numbers (Section 2).

The headline (``SimulationResult.crossings``): the n at which the flexible and the Lasso (regularized)
models reach the oracle's mean performance at n = 15, read off the mean curves with log-n
interpolation between grid points, as the paper reads its Figure 1. Its spread is given two ways:
the 5–95 % range of the same crossing in each simulation (each against its own oracle level), and a
bootstrap 95 % interval of the mean-curve crossing (simulations resampled ``BOOTSTRAP`` times).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
import warnings as _warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

D = 1000
S = 10
SIGNAL = 1.0
NOISE = 1.0
LASSO_C = 1.0
DEFAULT_SIMS = 5
DEFAULT_SEED = 0
DEFAULT_N_GRID: tuple[int, ...] = (15, 25, 40, 60, 100, 150, 250, 400, 600, 1200, 1500, 2500)
MODELS = ("oracle", "expert", "flexible", "lasso")
#: The models whose crossing of the oracle's n = 15 level is the paper's headline (Section 2).
HEADLINE_MODELS = ("flexible", "lasso")
BOOTSTRAP = 1000  # resamples of the simulations for the headline's interval
SPREAD = (5.0, 95.0)  # percentiles of the per-simulation crossings
PAPER_CROSSINGS = {"flexible": 1500, "lasso": 175}  # Section 2: "1,500 observations", "dropping the data need to 175"
#: BLAS threads while simulating. Its matrices (at most 2,500 × 1,000) are too small for threads to pay: with
#: OpenBLAS's default (one per core) the 5 simulations took 9.8 s of CPU on 2 cores, with one thread 4.6 s
#: (and less wall time on a busy machine), the same numbers to the last bit (tested).
BLAS_THREADS = 1
LASSO_MAX_ITER = 5000
LASSO_TOL = 1e-4  # scikit-learn's duality-gap tolerance, relative to ‖y‖²


@dataclass(frozen=True)
class Crossing:
    """Where one model's performance first reaches the oracle's at the smallest n (log-n interpolated).

    ``n`` is read off the mean curves; ``sim_low``/``sim_median``/``sim_high`` are the ``SPREAD``
    percentiles of the crossing in each simulation (simulations that never reach it within the grid
    count as above it: ``never`` says how many); ``boot_low``/``boot_high`` bound the mean-curve
    crossing over ``BOOTSTRAP`` resamples of the simulations (95 %). NaN where not reached.
    """

    model: str
    n: float
    sim_low: float
    sim_median: float
    sim_high: float
    never: int
    boot_low: float
    boot_high: float
    paper: float


@dataclass(frozen=True)
class SimulationResult:
    """Mean and standard deviation of performance per model and n, plus the data needs."""

    d: int
    s: int
    sims: int
    seed: int
    n_grid: tuple[int, ...]
    mean: dict[str, tuple[float, ...]]  # model → performance per n
    sd: dict[str, tuple[float, ...]]
    computation: dict[str, tuple[float, ...]]  # model → n × coefficients estimated
    reference_n: int  # the oracle's n whose performance the others must reach
    reference_performance: float
    n_needed: dict[str, float]  # model → n (interpolated) at which it first reaches the reference; nan: never
    crossings: dict[str, Crossing] = field(default_factory=dict)  # the headline: flexible and lasso
    seconds: float = math.nan  # wall time of the simulation

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for k, v in self.__dict__.items():
            if k == "crossings":
                out[k] = {m: asdict(c) for m, c in v.items()}
            else:
                out[k] = list(v) if isinstance(v, tuple) else v
        return out

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SimulationResult:
        """The result back from ``to_dict`` (JSON round trip: floats are written as their repr, so exact)."""
        d = dict(data)
        d["n_grid"] = tuple(d["n_grid"])  # type: ignore[arg-type]
        for k in ("mean", "sd", "computation"):
            d[k] = {m: tuple(v) for m, v in d[k].items()}  # type: ignore[attr-defined]
        d["crossings"] = {m: Crossing(**c) for m, c in d["crossings"].items()}  # type: ignore[attr-defined]
        return cls(**d)  # type: ignore[arg-type]


def _nmse(theta_hat: np.ndarray, theta: np.ndarray) -> float:
    return float(np.sum((theta_hat - theta) ** 2) / np.sum(theta**2))


def _lstsq_on(X: np.ndarray, y: np.ndarray, cols: np.ndarray, d: int) -> np.ndarray:
    est = np.zeros(d)
    est[cols] = _least_squares(X[:, cols], y)
    return est


def _least_squares(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least squares via the normal equations (n > d) or the minimum-norm solution (n ≤ d); much faster
    than an SVD-based ``lstsq`` at d = 1000."""
    n, d = X.shape
    try:
        if n > d:
            return np.linalg.solve(X.T @ X, X.T @ y)
        return X.T @ np.linalg.solve(X @ X.T, y)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(X, y, rcond=None)[0]


def _solve_normal(gram: np.ndarray, xty: np.ndarray) -> np.ndarray:
    """Least squares from the normal equations XᵀX β = Xᵀy (n > d: XᵀX is positive definite), as
    ``_least_squares`` solves them; falls back to ``lstsq`` on the Gram matrix if it is singular."""
    try:
        return np.linalg.solve(gram, xty)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(gram, xty, rcond=None)[0]


def import_lasso() -> None:
    """Import scikit-learn's linear models (with ``scipy.stats``, which they import), their objects left to reference
    counting (``codes.long_lived``)."""
    from flopmine import codes

    codes.import_long_lived("sklearn.linear_model")


def _lasso_on_x(X: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """scikit-learn's ``Lasso(alpha, fit_intercept=False, selection="cyclic")`` on X, through its public
    ``lasso_path`` without the estimator's input checks: the same coordinate descent on the same Fortran-ordered copy
    of X (the estimator makes one too), so the same coefficients to the bit (the estimator itself is the tests'
    reference, ``tests/support/simulate_reference.lasso``; hypothesis), for about 0.6 ms less a fit (the estimator's
    parameter and input validation): 0.03 s of a simulation's 45 fits of n ≤ d."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import lasso_path

    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", ConvergenceWarning)
        _, coefs, _ = lasso_path(np.asfortranarray(X), np.ascontiguousarray(y), alphas=[alpha], precompute=False,
                                 check_input=False, max_iter=LASSO_MAX_ITER, tol=LASSO_TOL)
    return coefs[:, 0]


def _lasso_gram(gram: np.ndarray, X: np.ndarray, y: np.ndarray, alpha: float,
                xty: np.ndarray | None = None) -> np.ndarray:
    """``_lasso_on_x`` from the Gram matrix XᵀX: the same cyclic coordinate descent, objective and stopping rule
    (scikit-learn's own Gram variant, through the public ``lasso_path``), whose sweeps cost d² instead of n·d and
    which needs no Fortran-ordered copy of X. Equal to the estimator up to rounding (tests/test_analysis_simulate.py).
    ``xty``: Xᵀy when already computed (the flexible model's normal equations need it too).
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import lasso_path

    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", ConvergenceWarning)
        _, coefs, _ = lasso_path(X, y, alphas=[alpha], precompute=gram, Xy=X.T @ y if xty is None else xty,
                                 check_input=False, max_iter=LASSO_MAX_ITER, tol=LASSO_TOL)
    return coefs[:, 0]


class NestedGram:
    """XᵀX of the first n rows of a design, for growing n: each call adds only the rows not yet added, so the
    grid's large samples (1,200, 1,500, 2,500 of d = 1,000) cost one product over 2,500 rows, not 5,200."""

    def __init__(self, X_all: np.ndarray) -> None:
        self.X_all = X_all
        self.rows = 0
        self.gram = np.zeros((X_all.shape[1], X_all.shape[1]))

    def first(self, n: int) -> np.ndarray:
        """XᵀX of the first n rows: a new array, never changed by a later call (a thread may still be solving with
        it, ``nested_estimates``); the sum is the in-place one's, to the bit."""
        if n < self.rows:
            raise ValueError(f"rows {n} < {self.rows} already added: the samples must grow")
        block = self.X_all[self.rows:n]
        self.gram = self.gram + block.T @ block
        self.rows = n
        return self.gram


def _n_needed(n_grid: Sequence[int], perf: Sequence[float], target: float) -> float:
    """First n (log-interpolated) at which the mean performance reaches ``target``."""
    for i, p in enumerate(perf):
        if p >= target:
            if i == 0:
                return float(n_grid[0])
            p0, p1 = perf[i - 1], p
            t = (target - p0) / (p1 - p0) if p1 != p0 else 1.0
            return float(10 ** (math.log10(n_grid[i - 1]) + t * (math.log10(n_grid[i]) - math.log10(n_grid[i - 1]))))
    return math.nan


def _percentile(values: np.ndarray, q: float) -> float:
    """Percentile of crossings where nan (never reached) counts as +inf; nan when the percentile is one."""
    v = np.where(np.isnan(values), np.inf, values)
    p = float(np.percentile(v, q, method="inverted_cdf")) if len(v) else math.nan
    return math.nan if math.isinf(p) else p


def crossings(n_grid: Sequence[int], perf: dict[str, np.ndarray], *, models: Sequence[str] = HEADLINE_MODELS,
              bootstrap: int = BOOTSTRAP, seed: int = DEFAULT_SEED) -> dict[str, Crossing]:
    """The headline crossings with their spread, from per-simulation performance (sims × grid) per model.

    >>> grid = (10, 100, 1000)
    >>> perf = {"oracle": np.array([[1.0, 2, 3], [1.0, 2, 3]]), "flexible": np.array([[0.0, 0.5, 2], [0.0, 1.0, 3]])}
    >>> c = crossings(grid, perf, models=("flexible",), bootstrap=10)["flexible"]
    >>> round(c.n), round(c.sim_low), round(c.sim_high), c.never
    (139, 100, 215, 0)
    """
    grid = tuple(n_grid)
    oracle = perf["oracle"]
    sims = oracle.shape[0]
    rng = np.random.default_rng([seed, 1])  # its own stream: the simulations' draws do not depend on it
    resamples = rng.integers(0, sims, size=(bootstrap, sims)) if bootstrap and sims > 1 else None
    out: dict[str, Crossing] = {}
    for m in models:
        p = perf[m]
        n_mean = _n_needed(grid, p.mean(axis=0), float(oracle[:, 0].mean()))
        per_sim = np.array([_n_needed(grid, p[r], float(oracle[r, 0])) for r in range(sims)])
        boot_low = boot_high = math.nan
        if resamples is not None:
            boot = np.array([_n_needed(grid, p[idx].mean(axis=0), float(oracle[idx, 0].mean())) for idx in resamples])
            boot_low, boot_high = _percentile(boot, 2.5), _percentile(boot, 97.5)
        out[m] = Crossing(model=m, n=n_mean, sim_low=_percentile(per_sim, SPREAD[0]),
                          sim_median=_percentile(per_sim, 50.0), sim_high=_percentile(per_sim, SPREAD[1]),
                          never=int(np.isnan(per_sim).sum()), boot_low=boot_low, boot_high=boot_high,
                          paper=float(PAPER_CROSSINGS.get(m, math.nan)))
    return out


#: An estimate, or the one a thread is computing (``nested_estimates`` with a ``solver``).
Estimate = np.ndarray | Future[np.ndarray]


def nested_estimates(X_all: np.ndarray, y_all: np.ndarray, grid: Sequence[int], support: np.ndarray,
                     expert_cols: np.ndarray, *, solver: Executor | None = None) -> Iterator[dict[str, Estimate]]:
    """Each model's coefficients from the first n rows, for each n of the ascending ``grid``.

    The large samples (n > d) share one ``NestedGram``: the flexible model solves its normal equations and the
    Lasso runs scikit-learn's Gram variant of the same coordinate descent. Equal, up to rounding, to fitting each
    n from scratch (``tests/support/simulate_reference.py``, tested), at about two thirds of the CPU.

    With ``solver`` (``simulate``'s thread) the flexible model's solves (an n × n system, or the d × d normal
    equations: about 0.43 of a simulation's 1.0 s of CPU) are handed to it and yielded as futures, while this thread
    makes the Gram matrices and the Lassos: numpy lets go of the interpreter's lock inside BLAS and LAPACK, so the
    two run on two cores. The same calls on the same arrays (one BLAS thread each): the same bits (tested).
    """
    d = X_all.shape[1]
    gram = NestedGram(X_all)
    run: Callable[..., Estimate] = solver.submit if solver is not None else _now
    for n in grid:
        X, y = X_all[:n], y_all[:n]
        alpha = LASSO_C * NOISE * math.sqrt(2 * math.log(d) / n)
        if n > d:
            G, xty = gram.first(n), X.T @ y
            flexible = run(_solve_normal, G, xty)
            lasso = _lasso_gram(G, X, y, alpha, xty)
        else:  # minimum norm (an n × n system) and the Lasso on X itself: cheaper than a d × d Gram here
            flexible = run(_least_squares, X, y)
            lasso = _lasso_on_x(X, y, alpha)
        yield {"oracle": _lstsq_on(X, y, support, d), "expert": _lstsq_on(X, y, expert_cols, d),
               "flexible": flexible, "lasso": lasso}


def _score(perf: dict[str, np.ndarray], r: int, theta: np.ndarray, made: list[dict[str, Estimate]]) -> None:
    """Replication ``r``'s performance of each model at each n: −log10 of the normalised MSE."""
    for j, est in enumerate(made):
        for m in MODELS:
            perf[m][r, j] = -math.log10(max(_nmse(_value(est[m]), theta), 1e-300))


def _now(fn: Callable[..., np.ndarray], *args: object) -> np.ndarray:
    return fn(*args)


def _value(estimate: Estimate) -> np.ndarray:
    return estimate.result() if isinstance(estimate, Future) else estimate


#: How ``simulate`` fits the four models: (X_all, y_all, grid, support, expert columns) → per n, model → θ̂.
Estimates = Callable[[np.ndarray, np.ndarray, Sequence[int], np.ndarray, np.ndarray], Iterable[dict[str, Estimate]]]


def simulate(sims: int = DEFAULT_SIMS, seed: int = DEFAULT_SEED, n_grid: Sequence[int] = DEFAULT_N_GRID,
             d: int = D, s: int = S, progress: Callable[[int, int, str], None] | None = None,
             blas_threads: int | None = BLAS_THREADS, estimates: Estimates | None = None) -> SimulationResult:
    """Run ``sims`` replications over ``n_grid`` and average −log10(normalised MSE) per model.

    Each replication draws θ's support, one design of max(n_grid) rows, and uses its first n rows
    for each n (nested samples, as when data accumulate). ``blas_threads`` caps BLAS's threads while it
    runs (None: BLAS's default). ``estimates`` fits the models (tests pass the straightforward reference); by
    default ``nested_estimates`` with a second thread for the flexible model's solves (the same numbers).
    """
    if sims < 1:
        raise ValueError("sims must be at least 1")
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=blas_threads, user_api="blas"), ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="flopmine-simulate") as solver:
        return _simulate(sims, seed, n_grid, d, s, progress,
                         estimates if estimates is not None else partial(nested_estimates, solver=solver))


def _simulate(sims: int, seed: int, n_grid: Sequence[int], d: int, s: int,
              progress: Callable[[int, int, str], None] | None, estimates: Estimates) -> SimulationResult:
    started = time.perf_counter()
    grid = tuple(sorted(int(n) for n in n_grid))
    rng = np.random.default_rng(seed)
    perf = {m: np.zeros((sims, len(grid))) for m in MODELS}
    total = sims * len(grid)
    unscored: list[tuple[int, np.ndarray, list[dict[str, Estimate]]]] = []
    for r in range(sims):
        support = rng.choice(d, size=s, replace=False)
        theta = np.zeros(d)
        theta[support] = SIGNAL
        wrong = rng.choice(np.setdiff1d(np.arange(d), support), size=1)
        expert_cols = np.concatenate([support[:-1], wrong])
        X_all = rng.standard_normal((grid[-1], d))
        y_all = X_all @ theta + NOISE * rng.standard_normal(grid[-1])
        made: list[dict[str, Estimate]] = []
        for j, (n, est) in enumerate(zip(grid, estimates(X_all, y_all, grid, support, expert_cols), strict=True)):
            made.append(est)
            if progress:
                progress(r * len(grid) + j + 1, total, f"simulation {r + 1}/{sims}, n={n}")
        # a replication is scored once the next one's estimates are sent: the solver's thread makes its last solves
        # while this thread draws the next design (at most one replication's matrices waiting)
        unscored.append((r, theta, made))
        if len(unscored) > 1:
            _score(perf, *unscored.pop(0))
    for left in unscored:
        _score(perf, *left)
    mean = {m: tuple(float(v) for v in perf[m].mean(axis=0)) for m in MODELS}
    sd = {m: tuple(float(v) for v in perf[m].std(axis=0, ddof=1 if sims > 1 else 0)) for m in MODELS}
    k = {"oracle": s, "expert": s, "flexible": d, "lasso": d}
    computation = {m: tuple(float(n * k[m]) for n in grid) for m in MODELS}
    ref = mean["oracle"][0]
    needed = {m: _n_needed(grid, mean[m], ref) for m in MODELS}
    headline = crossings(grid, perf, seed=seed)
    log.info("simulation: %d sims, oracle n=%d reaches %.2f; n needed: %s", sims, grid[0], ref,
             ", ".join(f"{m} {n:.0f}" for m, n in needed.items()))
    return SimulationResult(d=d, s=s, sims=sims, seed=seed, n_grid=grid, mean=mean, sd=sd, computation=computation,
                            reference_n=grid[0], reference_performance=ref, n_needed=needed, crossings=headline,
                            seconds=time.perf_counter() - started)


#: What a cached simulation's key covers besides its arguments: this module's code and the libraries whose
#: arithmetic it uses (numpy's BLAS, scikit-learn's Lasso). The simulation never reads the dataset.
#: The versions are read from the installed packages' metadata: reusing a cached simulation never imports
#: scikit-learn (about 0.3 s of CPU).
def _code_key() -> str:
    from importlib.metadata import version

    return hashlib.sha256(Path(__file__).read_bytes() + "|".join(
        (np.__version__, version("scikit-learn"), version("threadpoolctl"))).encode()).hexdigest()


def simulation_key(sims: int, seed: int, n_grid: Sequence[int] = DEFAULT_N_GRID, d: int = D, s: int = S,
                   blas_threads: int | None = BLAS_THREADS) -> str:
    """The hash a cached simulation is stored under: its arguments, this module's code and library versions."""
    args = json.dumps([sims, seed, sorted(int(n) for n in n_grid), d, s, blas_threads])
    return hashlib.sha256((args + _code_key()).encode()).hexdigest()


def _stored(path: Path, key: str, sims: int, seed: int, grid: tuple[int, ...], d: int, s: int) -> SimulationResult | None:
    """The simulation stored in ``path`` under ``key``, or None when the file is missing, damaged, of another key,
    or holds a result whose arguments or curves do not match (a file edited by hand or cut short)."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored.get("key") != key:
            return None
        result = SimulationResult.from_dict(stored["result"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    curves = (result.mean, result.sd, result.computation)
    if (result.sims, result.seed, result.n_grid, result.d, result.s) != (sims, seed, grid, d, s) or any(
            set(c) != set(MODELS) or any(len(v) != len(grid) or not all(isinstance(x, float) for x in v)
                                         for v in c.values()) for c in curves):
        return None
    return result


def is_stored(cache: Path, sims: int = DEFAULT_SIMS, seed: int = DEFAULT_SEED, n_grid: Sequence[int] = DEFAULT_N_GRID,
              d: int = D, s: int = S, blas_threads: int | None = BLAS_THREADS, shared: Path | None = None) -> bool:
    """Whether ``cached_simulate`` would reuse a stored simulation (from ``cache`` or ``shared``) rather than compute
    one. Reads only; like it, never imports scikit-learn."""
    key = simulation_key(sims, seed, n_grid, d, s, blas_threads)
    grid = tuple(sorted(int(n) for n in n_grid))
    return any(_stored(path, key, sims, seed, grid, d, s) is not None for path in _stores(cache, shared, key))


def _stores(cache: Path, shared: Path | None, key: str) -> list[Path]:
    """Where a simulation of ``key`` is kept, in the order ``cached_simulate`` looks: beside the report, the home's."""
    return [cache] if shared is None else [cache, shared / f"simulation-{key[:32]}.json"]


def cached_simulate(cache: Path, sims: int = DEFAULT_SIMS, seed: int = DEFAULT_SEED,
                    n_grid: Sequence[int] = DEFAULT_N_GRID, d: int = D, s: int = S,
                    progress: Callable[[int, int, str], None] | None = None,
                    blas_threads: int | None = BLAS_THREADS, shared: Path | None = None) -> tuple[SimulationResult, bool]:
    """``simulate``, reusing the result stored in ``cache`` by an earlier run with the same key (its arguments,
    code and libraries; the simulation does not depend on the dataset). Returns the result and whether it was
    reused. An unreadable, stale or inconsistent cache is recomputed and rewritten (atomically); ``seconds`` is the
    run that computed it.

    ``shared`` is a directory of simulations kept across report directories and datasets (``flopmine analyze``
    passes ``<home>/cache``), one file per key: a first analyze of a new dataset, or into a new report directory,
    reuses the simulation any earlier analyze of the home computed, and copies it into ``cache``.
    """
    from flopmine.config import write_text_atomic

    key = simulation_key(sims, seed, n_grid, d, s, blas_threads)
    grid = tuple(sorted(int(n) for n in n_grid))
    for i, path in enumerate(_stores(cache, shared, key)):
        result = _stored(path, key, sims, seed, grid, d, s)
        if result is not None:
            if i:  # found in the shared store only: keep a copy beside this report
                cache.parent.mkdir(parents=True, exist_ok=True)
                write_text_atomic(cache, path.read_text(encoding="utf-8"))
            return result, True
    result = simulate(sims=sims, seed=seed, n_grid=n_grid, d=d, s=s, progress=progress, blas_threads=blas_threads)
    keep(cache, result, blas_threads=blas_threads, shared=shared)
    return result, False


def keep(cache: Path, result: SimulationResult, *, blas_threads: int | None = BLAS_THREADS,
         shared: Path | None = None) -> None:
    """Store ``result`` (``simulate``'s, run with ``blas_threads``) where ``cached_simulate`` looks for it: ``cache``
    and ``shared``, each written atomically. ``cached_simulate`` keeps what it computed; ``flopmine analyze`` what a
    helper computed (``report.analyze_to_dir``)."""
    from flopmine.config import write_text_atomic

    key = simulation_key(result.sims, result.seed, result.n_grid, result.d, result.s, blas_threads)
    text = json.dumps({"key": key, "result": result.to_dict()}) + "\n"
    for path in _stores(cache, shared, key):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, text)
