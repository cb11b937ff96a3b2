"""analyze on datasets users bring: derived error cells (issue 19 item 5) and values that overflow a fit
(issue 19 item 20)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flopmine.analysis.build import build_dataset
from flopmine.analysis.report import analyze_to_dir, run_analysis
from flopmine.analysis.synthetic import SYNTHETIC_HARDWARE, synthetic_facts
from flopmine.types import Fact
from tests.support.cli import exit_code

# (benchmark, metric column, whether the metric is an error (else a score)): the registry's primary
# metric or its complement, which is what build derives `error` from.
METRICS = [("imagenet", "top1_err", True), ("imagenet", "top1_acc", False), ("coco", "box_ap", False),
           ("squad11", "f1", False), ("wmt14_en_fr", "bleu", False), ("cifar10", "err", True)]


def _run(argv: list[str]) -> int:
    return exit_code(argv)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(metric=st.sampled_from(METRICS),
       values=st.lists(st.floats(0.5, 99.5, allow_nan=False), min_size=4, max_size=12),
       data=st.data())
def test_own_csv_with_a_metric_column_but_no_error_column_is_fitted(metric: tuple[str, str, bool],
                                                                    values: list[float], data: st.DataObject) -> None:
    bench, column, is_error = metric
    gflops = data.draw(st.lists(st.floats(0.01, 1e6), min_size=len(values), max_size=len(values),
                                unique=True))
    frame = pd.DataFrame({"arxiv_id": [f"1901.{i:05d}" for i in range(len(values))], "benchmark": bench,
                          "model": [f"m{i}" for i in range(len(values))], column: values, "gflops_per_pass": gflops})
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "own.csv"
        frame.to_csv(csv, index=False)
        done = analyze_to_dir(csv, Path(tmp) / "report", sims=0, figures=False)
    fit = done.result.fits.get(bench, "per_pass")
    assert fit is not None and fit.n == len(values)
    expected = [v / 100 if is_error else 1 - v / 100 for v in values]
    assert fit.today.error == pytest.approx(min(expected))
    sota = done.result.fits.today_for(bench)
    assert sota is not None and sota.error == pytest.approx(min(expected))
    assert any("error derived from the metric columns" in str(p) and column in str(p) for p in done.result.problems)


def test_analyze_cli_on_a_top1_err_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "own.csv"
    pd.DataFrame({"arxiv_id": ["1901.00001", "1902.00002", "1903.00003", "1904.00004"], "benchmark": "imagenet",
                  "model": ["a", "b", "c", "d"], "top1_err": [30.0, 25.0, 20.0, 16.0],
                  "flops": [1e9, 4e9, 2e10, 9e10]}).to_csv(csv, index=False)
    out = tmp_path / "r"
    assert _run(["analyze", "--dataset", str(csv), "--out", str(out), "--sims", "0"]) == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [(f["benchmark"], f["measure"], f["n"]) for f in results["fits"]] == [("imagenet", "per_pass", 4)]
    assert results["figure4"]["today"][0]["error"] == pytest.approx(0.16)
    assert "error derived from the metric columns as build does: top1_err (4)" in capsys.readouterr().err


def _facts_with_huge(flops: float | None) -> list[Fact]:
    facts = synthetic_facts(160, seed=3, benchmarks=("cifar10", "imagenet"))
    if flops is not None:  # a reviewer forced an absurd FLOPs value (kept with `force`, as designed)
        facts += [Fact("1901.99999", 1, "acc", 50.0, benchmark="cifar10", model="huge"),
                  Fact("1901.99999", 1, "params", 5e7, model="huge"),
                  Fact("1901.99999", 1, "flops", flops, model="huge", extra={"force": "force"})]
    return facts


@pytest.mark.parametrize("flops", [1.7e308, 1e60])
def test_forced_overflowing_flops_are_left_out_and_listed(flops: float) -> None:
    base = build_dataset(_facts_with_huge(None), gflops_lookup=SYNTHETIC_HARDWARE.get).frame
    built = build_dataset(_facts_with_huge(flops), gflops_lookup=SYNTHETIC_HARDWARE.get).frame
    huge = built[built["model"] == "huge"]
    assert "forced:flops" in huge["flags"].iloc[0]  # kept by the reviewer: build does not drop it
    # build's Figure 7 conversion (which imputes other rows' GFLOPs) is not moved by it
    def imputed(frame: pd.DataFrame) -> pd.Series:
        return frame.set_index(["arxiv_id", "model"])["gflops_imputed"].sort_index()

    pd.testing.assert_series_equal(imputed(built[built["model"] != "huge"]), imputed(base))
    assert base["gflops_imputed"].notna().sum() > 10
    clean, dirty = run_analysis(base, sims=0), run_analysis(built, sims=0)
    assert len(clean.fits.fits) == len(dirty.fits.fits) == 4
    for a, b in zip(clean.fits.fits, dirty.fits.fits, strict=True):
        assert (a.benchmark, a.measure, a.n) == (b.benchmark, b.measure, b.n)
        assert a.polynomial.slope.estimate == pytest.approx(b.polynomial.slope.estimate)
        assert b.exponent.k == b.exponent.k  # not nan
    line = int(huge.index[0]) + 2
    overflow = [p for p in dirty.problems if "overflows the fit" in p.message]
    assert [(p.benchmark, p.measure, p.rows) for p in overflow] == [("cifar10", "per_pass", (line,))]
    assert any(p.benchmark == "(conversion)" and "overflow" in p.message for p in dirty.problems)
    assert clean.conversion == dirty.conversion


def test_overflowing_product_is_named_as_overflow_not_as_non_positive() -> None:
    # 1.7e308 mult-adds × 2 FLOPs each is inf: it overflowed, it is not "non-positive"
    frame = pd.DataFrame({"arxiv_id": [f"1901.{i:05d}" for i in range(5)], "benchmark": "coco",
                          "model": list("abcde"), "box_ap": [30.0, 35.0, 40.0, 42.0, 44.0],
                          "gflops_per_pass": [1.0, 10.0, 100.0, 1000.0, float("inf")]})
    result = run_analysis(frame, sims=0)
    fit = result.fits.get("coco", "per_pass")
    assert fit is not None and fit.n == 4
    assert any("overflows the fit" in p.message and p.rows == (6,) for p in result.problems)
    assert not any("non-positive" in p.message for p in result.problems)


_NEW_IDS = st.builds(lambda yy, mm, n, v: f"{yy:02d}{mm:02d}.{n}" + (f"v{v}" if v else ""),
                     st.integers(0, 99), st.integers(0, 99), st.from_regex(r"\A\d{4,5}\Z"), st.integers(0, 30))
_OLD_IDS = st.builds(lambda a, d, v: f"{a}/{d}" + (f"v{v}" if v else ""),
                     st.sampled_from(["hep-th", "cs", "math.AG", "cond-mat"]), st.from_regex(r"\A\d{7}\Z"),
                     st.integers(0, 9))
_OTHER = st.one_of(st.text(max_size=20), _NEW_IDS.map(lambda i: f"https://arxiv.org/abs/{i}"),
                   _NEW_IDS.map(lambda i: f"arXiv:{i}"), _OLD_IDS.map(lambda i: i.replace("/", "_")))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(_NEW_IDS, _OLD_IDS, _OTHER), min_size=1, max_size=20))
def test_year_month_from_ids_agrees_with_the_id_parser(ids: list[str]) -> None:
    # the column-at-a-time reader (rows without a year) must give what parse_id gives, id by id
    from flopmine.analysis.fit import _year_month, year_month_from_ids

    year, month = year_month_from_ids(pd.Series(ids, index=range(10, 10 + len(ids))))
    for i, aid in enumerate(ids):
        want = _year_month(aid.strip())
        got = (year.iloc[i], month.iloc[i])
        assert (pd.isna(got[0]) and pd.isna(want[0])) or got == want, (aid, got, want)


def test_synthetic_ids_stay_valid_and_distinct_past_99999_papers() -> None:
    # bench/analysis.py at a million rows draws ~250,000 papers: every id must parse and be distinct
    import numpy as np

    from flopmine.analysis.synthetic import _unique_id
    from flopmine.ids import is_valid_id

    rng = np.random.default_rng(0)
    used: set[str] = set()
    ids = [_unique_id(int(rng.integers(13, 21)), int(rng.integers(1, 13)), p, used) for p in range(1, 250_001)]
    assert len(set(ids)) == len(ids)
    assert all(is_valid_id(i) for i in ids[::997]) and all(len(i) == 10 for i in ids)
    assert ids[41] == f"{ids[41][:4]}.00042"  # below 100,000 the number is the paper's


def test_dataset_rows_without_a_year_keep_the_fast_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # an empty year made pyarrow's integer cast fail, and every read fell back to the C parser (issue 20: 0.15 s
    # → 8.7 s at a million rows); the frame must be the one the C parser gives, read by pyarrow in one go
    from flopmine.analysis.build import read_dataset, write_dataset

    built = build_dataset(synthetic_facts(60, seed=4), gflops_lookup=SYNTHETIC_HARDWARE.get)
    write_dataset(built, tmp_path / "ds")
    text = (tmp_path / "ds" / "dataset.csv").read_text(encoding="utf-8")
    frame = pd.read_csv(tmp_path / "ds" / "dataset.csv", dtype=str, keep_default_na=False)
    frame.loc[frame.index[::7], ["year", "month"]] = ""
    frame.to_csv(tmp_path / "noyear.csv", index=False)
    assert text.count("\n") == len(frame) + 1

    engines: list[str] = []
    real = pd.read_csv

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        engines.append(kwargs.get("engine", "c"))
        return real(*args, **kwargs)

    monkeypatch.setattr(pd, "read_csv", spy)
    df = read_dataset(tmp_path / "noyear.csv")
    assert engines == ["pyarrow"]
    assert df["year"].isna().sum() == len(frame.index[::7]) and df["year"].notna().sum() > 0
    result = run_analysis(df, sims=0)  # the years come back from the ids
    assert result.fits.fits and all(f.polynomial_year is not None for f in result.fits.fits if f.n >= 10)
