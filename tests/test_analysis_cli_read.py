"""analyze reads build's dataset from its Parquet twin, only the columns it uses (issue 20 item 4): the frame, and
so every fitted number, is what reading dataset.csv gives."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flopmine.analysis.build import BuildResult, build_dataset, read_dataset, write_dataset
from flopmine.analysis.report import (
    UNREAD_COLUMNS,
    complete_dataset,
    read_for_analysis,
    results_to_json,
    run_analysis,
)
from flopmine.analysis.synthetic import SYNTHETIC_HARDWARE, synthetic_facts


@pytest.fixture(scope="module")
def built() -> BuildResult:
    return build_dataset(synthetic_facts(240, seed=3, benchmarks=("imagenet", "coco")),
                         gflops_lookup=SYNTHETIC_HARDWARE.get)


def _write(result: BuildResult, out: Path) -> Path:
    write_dataset(result, out)
    return out / "dataset.csv"


def _assert_same_columns(fast: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert list(fast.columns) == [c for c in reference.columns if c not in UNREAD_COLUMNS]
    for c in fast.columns:
        assert fast[c].dtype == reference[c].dtype, c
        assert fast[c].equals(reference[c]), c


def _analysis(frame: pd.DataFrame) -> dict[str, object]:
    df, _ = complete_dataset(frame)
    return results_to_json(run_analysis(df, sims=0, dataset="d"))


def test_the_parquet_twin_gives_the_csvs_frame_and_the_same_analysis(tmp_path: Path, built: BuildResult) -> None:
    csv = _write(built, tmp_path)
    fast, reference = read_for_analysis(csv), read_dataset(csv)
    assert set(reference.columns) >= UNREAD_COLUMNS and not UNREAD_COLUMNS & set(fast.columns)  # the Parquet was read
    _assert_same_columns(fast, reference)
    assert json.dumps(_analysis(fast)) == json.dumps(_analysis(reference))


_cell_floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(
    [1 / 3, 2 / 3 * 1e9, 1e-300, -0.0, 5e-324, 0.1 + 0.2, 123456789.123456789, 1e308]))
_cell_texts = st.one_of(st.text(max_size=12), st.sampled_from(["=SUM(A1)", "+x", "-3.5", "-ResNet", "@me", "\tA", "'=q",
                                                               "a,b", 'say "hi"', "", " pad "]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_cell_floats, _cell_floats, _cell_texts, _cell_texts), min_size=1, max_size=8),
       st.randoms(use_true_random=False))
def test_any_cells_read_from_the_parquet_twin_are_the_csvs(tmp_path_factory: pytest.TempPathFactory,
                                                          built: BuildResult, cells: list[tuple[float, float, str, str]],
                                                          rnd: object) -> None:
    """Floats of any size (rounded to the CSV's digits, ±0, inf, NaN, subnormal) and text that looks like a formula,
    quotes or pads: the same frame either way (or, where the CSV's rows cannot be counted, the CSV itself)."""
    frame = built.frame.copy()
    rows = rnd.sample(range(len(frame)), len(cells))  # type: ignore[attr-defined]
    for r, (a, b, model, hardware) in zip(rows, cells, strict=True):
        frame.loc[frame.index[r], ["params", "error", "model", "hardware"]] = [a, b, model, hardware]
    csv = _write(BuildResult(frame, built.conversion), tmp_path_factory.mktemp("cells"))
    fast, reference = read_for_analysis(csv), read_dataset(csv)
    if "url" in fast.columns:  # a quoted newline: the CSV has more lines than rows, so it was read itself
        assert any("\n" in t or "\r" in t for _, _, m, h in cells for t in (m, h))
        fast = fast.drop(columns=sorted(UNREAD_COLUMNS))
    _assert_same_columns(fast, reference)


def test_an_edited_csv_is_read_itself(tmp_path: Path, built: BuildResult) -> None:
    csv = _write(built, tmp_path)
    text = csv.read_text(encoding="utf-8")
    first = text.splitlines()[1].split(",")[0]
    csv.write_text(text.replace(first, "2001.00001", 1), encoding="utf-8")  # the same rows, one cell changed
    later = (tmp_path / "data_dictionary.csv").stat().st_mtime_ns + 1_000_000  # edited after build finished
    os.utime(csv, ns=(later, later))
    got = read_for_analysis(csv)
    assert "url" in got.columns and got["arxiv_id"].iloc[0] == "2001.00001"
    (tmp_path / "data_dictionary.csv").unlink()  # no build's marker: the Parquet must not be older than the CSV
    assert "url" in read_for_analysis(csv).columns


def test_the_parquet_twin_is_read_whichever_build_wrote_first(tmp_path: Path, built: BuildResult) -> None:
    """build may write the Parquet beside the CSV, in a thread: either can be the newer of the two."""
    csv = _write(built, tmp_path)
    twin, marker = csv.with_suffix(".parquet"), tmp_path / "data_dictionary.csv"
    end = marker.stat().st_mtime_ns
    for csv_at, twin_at in ((end - 2_000_000, end - 1_000_000), (end - 1_000_000, end - 2_000_000)):
        os.utime(csv, ns=(csv_at, csv_at))
        os.utime(twin, ns=(twin_at, twin_at))
        assert "url" not in read_for_analysis(csv).columns


def test_a_parquet_that_is_not_the_csvs_is_not_read(tmp_path: Path, built: BuildResult) -> None:
    csv = _write(built, tmp_path)
    fewer = built.frame.iloc[:-1]
    fewer.to_parquet(csv.with_suffix(".parquet"), index=False)  # newer than the CSV, one row short
    assert "url" in read_for_analysis(csv).columns
    csv.with_suffix(".parquet").write_bytes(b"not parquet")
    got = read_for_analysis(csv)
    assert "url" in got.columns and len(got) == len(built.frame)
    assert not math.isnan(float(np.nansum(got["error"])))
