"""Speed never changes results (issue 20 item 4): each faster path of build and analyze against the
straightforward computation it replaced, on generated inputs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flopmine.analysis.build import (
    _OURS,
    _arrow_reprs,
    _text_column,
    build_dataset,
    ols_line,
    own_model_marks,
)
from flopmine.analysis.fit import MAX_FIT_LOG10, MEASURES, POINT_COLUMNS, Problem, _lines, select_points
from flopmine.analysis.simulate import simulate
from flopmine.ids import InvalidIdError, parse_id
from flopmine.types import Fact

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def xy(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(min_value=3, max_value=60))
    x = np.array(draw(st.lists(finite, min_size=n, max_size=n)))
    y = np.array(draw(st.lists(finite, min_size=n, max_size=n)))
    return x, y


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # a constant y: R² is nan in both
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


model_names = st.one_of(
    st.text(max_size=30),
    st.builds(lambda a, m, b: a + m + b, st.text(max_size=8),
              st.sampled_from(["(ours)", "(Ours)", "OURS", "ours", "(our model)", "(Proposed)", "ourſ", "Ourselves",
                               "(ours", "yours"]), st.text(max_size=8)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(model_names, max_size=40))
def test_own_model_marks_are_the_regex_on_every_name(names: list[str]) -> None:
    expected = [bool(m and _OURS.search(m)) for m in names]
    assert own_model_marks(pd.Series(names, dtype=object)).tolist() == expected


arxiv_like = st.one_of(
    st.from_regex(r"\A[0-9]{4}\.[0-9]{4,5}(v[0-9]{1,3})?\Z"),
    st.from_regex(r"\A[0-9]{2,5}\.[0-9]{3,6}(v[0-9]{0,4})?\s?\Z"),
    st.sampled_from(["hep-th/9901001", "hep-th/9901001v2", "math.AG/0301001", " 1811.06965 ", "arXiv:1811.06965",
                     "https://arxiv.org/abs/1512.03385v1", "1811.06965.pdf", "١٨١١.06965", "nonsense", "9107.00001"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(arxiv_like, min_size=1, max_size=12, unique=True))
def test_year_and_month_of_every_id_are_parse_ids(ids: list[str]) -> None:
    facts = [Fact(aid, 1, "top1_err", 20.0 + i, benchmark="imagenet", model=f"m{i}") for i, aid in enumerate(ids)]
    frame = build_dataset(facts, gflops_lookup=lambda _name: None).frame
    for aid, year, month, flags in zip(frame["arxiv_id"], frame["year"], frame["month"], frame["flags"], strict=True):
        try:
            expected = parse_id(aid).year_month
        except InvalidIdError:
            assert pd.isna(year) and pd.isna(month) and "bad_arxiv_id" in flags
        else:
            assert (year, month) == expected and "bad_arxiv_id" not in flags


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-2**63, 2**63 - 1))))
def test_number_cells_are_each_numbers_repr(numbers: list[float | int]) -> None:
    floats = [float(v) for v in numbers]
    ints = [int(v) for v in numbers if isinstance(v, int)]
    assert _arrow_reprs(np.array(floats, dtype="float64")).to_pylist() == [repr(v) for v in floats]
    assert _arrow_reprs(np.array(ints, dtype="int64")).to_pylist() == [repr(v) for v in ints]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=5), st.floats(allow_nan=True), st.integers(-9, 9)), max_size=20),
       st.sampled_from(["str", "object", "string", "python-str", "float"]))
def test_a_text_column_is_the_object_round_trip(cells: list[object], kind: str) -> None:
    if kind in ("str", "string", "python-str"):
        values = [None if c is None or (isinstance(c, float) and c != c) else str(c) for c in cells]
        dtype = {"str": str, "string": "string", "python-str": pd.StringDtype("python", na_value=np.nan)}[kind]
        column = pd.Series(values, dtype=dtype)
    elif kind == "float":
        column = pd.Series([c if isinstance(c, float) else np.nan for c in cells], dtype="float64")
    else:
        column = pd.Series(cells, dtype=object)
    expected = column.astype(object).where(column.notna(), "").astype(str)
    got = _text_column(column)
    assert got.dtype == expected.dtype and got.tolist() == expected.tolist()


# select_points as it was before its checks became boolean masks: each check drops its rows from what is left
def reference_select_points(df: pd.DataFrame, benchmark: str, measure: str) -> tuple[pd.DataFrame, list[Problem]]:
    problems: list[Problem] = []
    cols = [c for c in MEASURES[measure] if c in df.columns]
    # only the columns the fits and figures read: copying every dataset column per benchmark is the slow part
    keep = [c for c in (*POINT_COLUMNS, *cols) if c in df.columns]
    sub = df.loc[df["benchmark"] == benchmark, keep]
    if not cols:
        problems.append(Problem(benchmark, measure, f"dataset has no {' or '.join(MEASURES[measure])} column"))
        return sub.iloc[0:0].assign(compute=[]), problems
    compute = sub[cols[0]]
    for c in cols[1:]:
        compute = compute.where(compute.notna(), sub[c])
    sub = sub.assign(compute=compute)
    has = sub[sub["compute"].notna()]
    if has.empty and len(sub):
        hint = {"per_pass": "flops or mult_adds to derive it",
                "hardware_burden": "hardware_count × hardware_gflops (or a catalog hardware name) × "
                                   "training_time_hours to derive it"}[measure]
        problems.append(Problem(benchmark, measure, f"no row has {' or '.join(MEASURES[measure])} (nor {hint})"))
    flagged = has[has["_implausible"]]
    if len(flagged):
        problems.append(Problem(benchmark, measure, f"{len(flagged)} implausible row(s) left out (see the problems "
                                f"table; {_lines(flagged)})", tuple(flagged["line"])))
        has = has.drop(flagged.index)
    overflow = has[(has["compute"] > 0) & ~(np.log10(has["compute"].where(has["compute"] > 0)) <= MAX_FIT_LOG10)]
    if len(overflow):
        values = ", ".join(f"{v:.3g}" for v in overflow["compute"].head(3))
        problems.append(Problem(benchmark, measure, f"{len(overflow)} row(s) whose compute overflows the fit left out "
                                f"(kept even if forced: {values} is beyond 1e{MAX_FIT_LOG10:g} GFLOP, more than any "
                                f"computer can have run; {_lines(overflow)})", tuple(overflow["line"])))
        has = has.drop(overflow.index)
    bad_compute = has[~(has["compute"] > 0) | ~np.isfinite(has["compute"])]
    if len(bad_compute):
        problems.append(Problem(benchmark, measure, f"{len(bad_compute)} row(s) with non-positive compute skipped "
                                f"({_lines(bad_compute)})", tuple(bad_compute["line"])))
    has = has.drop(bad_compute.index)
    no_err = has[has["error"].isna()]
    if len(no_err):
        problems.append(Problem(benchmark, measure, f"{len(no_err)} row(s) without an error value skipped "
                                f"({_lines(no_err)})", tuple(no_err["line"])))
    bad_err = has[has["error"].notna() & ~((has["error"] > 0) & (has["error"] < 1))]
    if len(bad_err):
        problems.append(Problem(benchmark, measure, f"{len(bad_err)} row(s) with error outside (0, 1) skipped "
                                f"({_lines(bad_err)})", tuple(bad_err["line"])))
    ok = has.drop(no_err.index).drop(bad_err.index)
    return ok, problems


point_values = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -1.0, 0.5, 1e45, 2.0]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(point_values, point_values, point_values, st.booleans(), st.sampled_from(["a", "b"])),
                max_size=40), st.sampled_from(["per_pass", "hardware_burden"]))
def test_select_points_is_the_check_by_check_drop(rows: list[tuple[float, float, float, bool, str]], measure: str
                                                   ) -> None:
    frame = pd.DataFrame({
        "benchmark": pd.Series([r[4] for r in rows], dtype=str), "arxiv_id": [f"2001.{i:05d}" for i in range(len(rows))],
        "model": "m", "error": [r[0] for r in rows], "year": 2020.0, "month": 1.0, "year_frac": 8.0,
        "line": np.arange(len(rows)) + 2, "_implausible": [r[3] for r in rows], "_imputed": False,
        "gflops_per_pass": [r[1] for r in rows], "gflops_imputed": [r[2] for r in rows],
        "hardware_burden_gflop": [r[2] for r in rows]}, index=pd.RangeIndex(len(rows)))
    got, got_problems = select_points(frame, "a", measure)
    expected, expected_problems = reference_select_points(frame, "a", measure)
    pd.testing.assert_frame_equal(got, expected)
    assert got_problems == expected_problems
