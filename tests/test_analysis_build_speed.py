"""Build's fast paths (issue 20 item 4) against the straightforward code, on generated data."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flopmine import codes
from flopmine.analysis import build, dictionary
from flopmine.analysis.build import (
    _OURS,
    CSV_SIGNIFICANT_DIGITS,
    FactTable,
    _float_reprs,
    _join,
    _read_text_csv,
    _starts_with_bytes,
    _stripped,
    dataset_csv_text,
    derive_compute,
    normalise_models,
    own_model_marks,
    round_significant,
    sorted_rows,
)
from flopmine.analysis.synthetic import SYNTHETIC_HARDWARE
from flopmine.benchmarks import load_registry
from flopmine.types import COMPUTE_FIELDS, METRIC_FIELDS, Fact, normalise_model

from .support import build_previous
from .support.analysis_reference import pandas_csv_text, reference_csv_text

TEXT_COLUMNS = [c.name for c in dictionary.COLUMNS if c.dtype == "text"]

#: Text a PDF can put in a cell: separators, quotes, line breaks, formula starts, non-ASCII.
cell_text = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from(list(',"\r\n\t=+-@\' ;:aZ0.9é漢')), max_size=8),
    st.sampled_from(["", "=1+2", "-3.5", "+cmd", "@SUM(A1)", "a,b", 'say "hi"', "two\nlines", "cr\rcell", "ResNet-50"]),
)
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-300, 5e-324, 1.7e308, 1e16, 1e15, 0.1 + 0.2, 1 - 90.64 / 100, 3.7e10, 123456789.0]),
)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 12))
    texts = st.lists(cell_text, min_size=n, max_size=n)
    floats = st.lists(numbers, min_size=n, max_size=n)
    years = st.lists(st.one_of(st.none(), st.integers(1990, 2030)), min_size=n, max_size=n)
    return pd.DataFrame({
        "arxiv_id": pd.Series(draw(texts), dtype=str),
        "year": pd.Series(draw(years), dtype="Int64"),
        "model": pd.Series(draw(texts), dtype=str),
        "params": pd.Series(draw(floats), dtype="float64"),
        "gflops_imputed_flag": pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool),
        "title": pd.Series(draw(texts), dtype=str),
        "error": pd.Series(draw(floats), dtype="float64"),
        "note, \"extra\"": pd.Series(draw(texts), dtype=object),  # a column outside the dictionary: not neutralised
        "flags": pd.Series(draw(texts), dtype=str),
    })


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_dataset_csv_is_the_cell_by_cell_csv(frame: pd.DataFrame) -> None:
    assert dataset_csv_text(frame) == reference_csv_text(frame, TEXT_COLUMNS, CSV_SIGNIFICANT_DIGITS)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_dataset_csv_is_what_to_csv_wrote_without_carriage_returns(frame: pd.DataFrame) -> None:
    """The reference itself against pandas (its csv module leaves a bare carriage return unquoted, which
    split the row when read back: the one difference kept on purpose)."""
    frame = frame.apply(lambda c: c.str.replace("\r", "", regex=False) if c.dtype != bool and
                        not pd.api.types.is_numeric_dtype(c.dtype) else c)
    assert dataset_csv_text(frame) == pandas_csv_text(frame, TEXT_COLUMNS, CSV_SIGNIFICANT_DIGITS)


@pytest.mark.filterwarnings("error")
@settings(max_examples=500, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=20), st.integers(3, 15))
def test_every_finite_value_keeps_its_significant_digits(values: list[float], digits: int) -> None:
    # a value below about 1e-290 once came out NaN (its power of ten overflowed) and its cell was written empty
    rounded = round_significant(np.array(values, dtype="float64"), digits)
    assert np.isfinite(rounded).all()
    for v, r in zip(values, rounded.tolist(), strict=True):
        assert r == v == 0.0 or abs(r - v) <= abs(v) * 10.0 ** (1 - digits), (v, r)


def test_an_empty_dataset_is_its_header() -> None:
    frame = pd.DataFrame({c: pd.Series([], dtype="float64") for c in ("error", "params")})
    assert dataset_csv_text(frame) == "error,params\n"
    assert np.isnan(round_significant(np.array([np.nan]), 3)[0])


@settings(max_examples=300, deadline=None)
@given(st.lists(numbers, max_size=30))
def test_float_cells_are_each_floats_repr(values: list[float]) -> None:
    assert _float_reprs(np.array(values, dtype="float64")).to_pylist() == [repr(float(v)) for v in values]


keys = st.one_of(st.sampled_from(["", "a", "B", "b", "é", "é", "漢", "a b", "1812.10000", "1812.1"]),
                 st.text(max_size=3))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(keys, keys, keys), max_size=40), st.booleans())
def test_sorted_rows_is_pandas_stable_sort(rows: list[tuple[str, str, str]], missing: bool) -> None:
    frame = pd.DataFrame({"benchmark": pd.Series([r[0] for r in rows], dtype=str),
                          "arxiv_id": pd.Series([r[1] for r in rows], dtype=str),
                          "model": pd.Series([r[2] for r in rows], dtype=str),
                          "position": np.arange(len(rows)), "value": np.linspace(0, 1, len(rows))})
    if missing and len(rows):  # a missing key (never in build's rows) takes pandas' own sort
        frame.loc[0, "model"] = None
    expected = frame.sort_values(["benchmark", "arxiv_id", "model"], kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(sorted_rows(frame, ["benchmark", "arxiv_id", "model"]), expected)


model_names = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from(list(" \t\n\x1cAaBOoUuRrSsPpDdEeMmLl()*-é\u017f漢")), max_size=14),
    st.sampled_from([" ResNet-152 (Ours)* ", "Net  B", "Modèle  ours", "ViT (proposed)", "our model", "Net (ourſ)", ""]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(model_names, max_size=30), st.booleans())
def test_model_names_are_normalised_and_marked_as_one_name_at_a_time(names: list[str | None], arrow: bool) -> None:
    column = pd.Series(names, dtype=str if arrow else object)
    plain = ["" if n is None else n for n in names]
    assert normalise_models(column).tolist() == [normalise_model(n) for n in plain]
    assert own_model_marks(column).tolist() == [bool(n and _OURS.search(n)) for n in plain]


def reference_read_text_csv(text: str) -> pd.DataFrame:
    """The annotation reader before it called pyarrow directly: pandas' pyarrow engine, then the C parser."""
    try:
        return pd.read_csv(io.BytesIO(text.encode("utf-8")), dtype=str, keep_default_na=False, engine="pyarrow")
    except (ValueError, pd.errors.ParserError):
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=False)


csv_fields = st.one_of(st.sampled_from(["", "NA", "null", "NaN", "1.5", " 7 ", '"a,b"', '"say ""hi"""', '"two\nlines"',
                                        "x", "é", "-1e5", "#N/A", "None"]),
                       st.text(alphabet=st.sampled_from(list("ab1. -é")), max_size=4))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["arxiv_id", "field", "value", "model", "", "value"]), min_size=1, max_size=5),
       st.lists(st.lists(csv_fields, min_size=0, max_size=6), max_size=6), st.booleans())
def test_annotation_csv_text_reads_as_pandas_read_it(header: list[str], rows: list[list[str]], end: bool) -> None:
    text = "\n".join([",".join(header), *(",".join(r) for r in rows)]) + ("\n" if end else "")
    try:
        expected = reference_read_text_csv(text)
    except (ValueError, pd.errors.ParserError) as e:
        with pytest.raises(type(e)):
            _read_text_csv(text)
        return
    pd.testing.assert_frame_equal(_read_text_csv(text), expected)


# ---------------------------------------------------------------- the join on integer codes (third build round)

REGISTRY = load_registry()
#: Few papers, models, benchmarks and values, drawn again and again: conflicts, ties, quoted baselines, own-model
#: marks, paper-level facts with and without a benchmark, unknown benchmarks and ids, blank and spaced names.
PAPERS = ["1512.03385", "1905.11946", "2010.11929", "not-an-id", "hep-th/9901001", " 1706.03762"]
MODELS = ["ResNet-50", "resnet-50 ", "ResNet-152 (ours)", "EffNet*", "ViT Ours", "", " ", "Baseline", "Modèle  B",
          "'=Net", "Net\x1c", "Net (ourſ)"]
BENCHMARKS = ["imagenet", "coco", "wmt14_en_fr", "made_up_bench", ""]
METRICS = ["top1_err", "top1_acc", "top5_err", "box_ap", "bleu", "acc", "f1"]


@st.composite
def reviewed_facts(draw: st.DrawFn) -> list[Fact]:
    out: list[Fact] = []
    for _ in range(draw(st.integers(0, 40))):
        metric = draw(st.booleans())
        fld = draw(st.sampled_from(METRICS if metric else list(COMPUTE_FIELDS)))
        value: float | str = (draw(st.sampled_from(["SynthGPU-10", " synthgpu-10", "SynthTPU-100", "Unknown X", "X"]))
                              if fld == "hardware" else draw(st.sampled_from([12.5, 20.0, 33.3, 80.1, 2.0, 1e9, -0.0,
                                                                               0.0, 3.5e10])))
        fact = Fact(draw(st.sampled_from(PAPERS)), draw(st.integers(1, 3)), fld, value,
                    benchmark=draw(st.sampled_from(BENCHMARKS)), model=draw(st.sampled_from(MODELS)),
                    page=draw(st.integers(0, 3)), decision=draw(st.sampled_from(["accept", "correct", "add"])),
                    candidate_id=draw(st.sampled_from(["", "c1", "c2", "C1", "c10", "é", "c1;c2"])),
                    decided_at=draw(st.sampled_from(["", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"])))
        if draw(st.integers(0, 6)) == 0:
            fact.extra["force"] = "force"
        out.append(fact)
        if draw(st.integers(0, 5)) == 0:
            out.append(fact)  # the same reviewed value twice: no conflict
    return out


def _as_read(frame: pd.DataFrame) -> pd.DataFrame:
    """The fact frame with Arrow-backed text columns, as ``read_annotations`` gives it."""
    return frame.astype({c: "str" for c in frame.columns if frame[c].dtype == object})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reviewed_facts(), st.booleans(), st.booleans())
def test_the_join_on_codes_is_the_join_before_it(facts: list[Fact], arrow: bool, titled: bool) -> None:
    """Rows, warnings and the unjoined facts with their reasons, as the pandas join on text gave them."""
    frame = FactTable.from_facts(facts).frame
    if arrow:
        frame = _as_read(frame)
    titles = {"1512.03385": "Deep Residual Learning", "not-an-id": "=x"} if titled else {}
    got, got_warnings, got_unjoined, order = _join(frame, REGISTRY, titles)
    want, want_warnings, want_unjoined = build_previous._join_facts(frame, REGISTRY, titles)
    assert got_warnings == want_warnings
    keys = ["benchmark", "arxiv_id", "model"]  # the rows' order for dataset.csv, from the keys' codes
    pd.testing.assert_frame_equal(got.take(order).reset_index(drop=True), sorted_rows(got, keys))
    pd.testing.assert_frame_equal(derive_compute(got, SYNTHETIC_HARDWARE.get)[0],
                                  derive_compute(want, SYNTHETIC_HARDWARE.get)[0])
    pd.testing.assert_frame_equal(got_unjoined, want_unjoined)


def test_the_join_before_it_is_what_the_code_based_join_is_tested_against() -> None:
    """The reference is not vacuous: it joins rows, attaches compute facts and lists unjoined facts."""
    facts = [Fact("1512.03385", 1, "top1_err", 21.0, benchmark="imagenet", model="ResNet (ours)", candidate_id="c2"),
             Fact("1512.03385", 1, "top1_err", 22.0, benchmark="imagenet", model="VGG", candidate_id="c1"),
             Fact("1512.03385", 1, "flops", 1e9, model="resnet"),
             Fact("1512.03385", 1, "hardware", "X", benchmark="imagenet"),
             Fact("1512.03385", 1, "params", 1e6, model="AlexNet")]
    frame, _warnings, unjoined = build_previous._join_facts(FactTable.from_facts(facts).frame, REGISTRY, {})
    assert frame["flops"].tolist()[0] == 1e9 and frame["hardware"].tolist()[0] == "X"
    assert frame["candidate_ids"].tolist() == ["c2", "c1"] and unjoined["field"].tolist() == ["params"]
    assert set(METRIC_FIELDS) >= set(METRICS)


small_ints = st.lists(st.integers(-1, 4), max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(-1, 3), st.integers(0, 2), st.sampled_from([-1, 1, 2**40, 2**61])), max_size=40))
def test_tuple_codes_number_equal_rows_as_groupby_does(rows: list[tuple[int, int, int]]) -> None:
    columns = [np.array([r[i] for r in rows], dtype="int64") for i in range(3)]
    expected = pd.DataFrame({"a": columns[0], "b": columns[1], "c": columns[2]}).groupby(
        ["a", "b", "c"], sort=False).ngroup().to_numpy()
    got = codes.tuple_codes(*columns)
    assert got.tolist() == expected.tolist()
    assert codes.first_appearance(got).tolist() == [next(i for i, g in enumerate(got) if g == c)
                                                    for c in range(len(set(got.tolist())))]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 5).flatmap(lambda width: st.lists(st.tuples(*[st.sampled_from(
    [-(2**62), -1, 0, 1, 2, 2**31, 2**40, 2**61, 2**62]) for _ in range(width)]), max_size=30)))
def test_tuple_codes_of_wide_columns_number_equal_rows_as_groupby_does(rows: list[tuple[int, ...]]) -> None:
    """Columns whose folded number overflows: the rows so far renumbered first, and the column too where still
    needed (each branch of the fold), numbered as ``groupby(sort=False).ngroup()`` numbers them."""
    if not rows:
        return
    columns = [np.array([r[i] for r in rows], dtype="int64") for i in range(len(rows[0]))]
    names = [f"c{i}" for i in range(len(columns))]
    expected = pd.DataFrame(dict(zip(names, columns, strict=True))).groupby(names, sort=False).ngroup().to_numpy()
    assert codes.tuple_codes(*columns).tolist() == expected.tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("ab é,")), max_size=3)), max_size=20),
       st.integers(0, 4), st.booleans(), st.integers(0, 2), st.randoms(use_true_random=False))
def test_spread_cells_are_the_cells_at_their_rows(cells: list[str | None], extra_rows: int, in_order: bool,
                                                  offset: int, rnd) -> None:  # type: ignore[no-untyped-def]
    """``codes.spread`` (the cells' bytes kept in place when the rows increase and none is missing; else a take)
    against placing each cell in a list, on sliced arrays too (an offset into the buffers)."""
    n_rows = len(cells) + extra_rows
    rows = sorted(rnd.sample(range(n_rows), len(cells)))
    if not in_order:
        rnd.shuffle(rows)
    column = pa.array(["z" * offset, *cells, "tail"], type=pa.large_string()).slice(1, len(cells))
    expected: list[str | None] = [""] * n_rows
    for row, cell in zip(rows, cells, strict=True):
        expected[row] = cell
    got = codes.spread(np.array(rows, dtype="int64"), column, n_rows)
    assert got.to_pylist() == expected
    got.validate(full=True)
    assert bytes(build._text_buffer(got)) == "".join(c or "" for c in expected).encode()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab é漢'=")), max_size=4), max_size=30), st.integers(0, 3))
def test_the_ends_of_each_text_are_its_bytes(cells: list[str], offset: int) -> None:
    """``codes._ends`` (positions read from Arrow's buffers, clipped by ``take``) against each cell's UTF-8 bytes,
    also on a slice of a larger array (an offset into the buffers, empty cells at the data's end)."""
    column = pa.array(["x" * offset, *cells, ""], type=pa.large_string()).slice(1, len(cells))
    length, first, second, last = codes._ends(column)
    data = [c.encode() for c in cells]
    assert length.tolist() == [len(b) for b in data]
    assert first.tolist() == [b[0] if b else 0 for b in data]
    assert second.tolist() == [b[1] if len(b) > 1 else 0 for b in data]
    assert last.tolist() == [b[-1] if b else 0 for b in data]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 9), max_size=25), st.lists(st.integers(-1, 11), max_size=25), st.booleans())
def test_key_index_and_expand_are_the_plain_joins(keys: list[int], queries: list[int], small: bool) -> None:
    """By a table indexed by key (``small``) or by hashing, the same answers as a dictionary and a double loop."""
    n_values = 10 if small else 10**9  # 10**9 forces the hash table
    distinct = list(dict.fromkeys(keys))
    got = codes.KeyIndex(np.array(distinct, dtype="int64"), n_values).find(np.array(queries, dtype="int64"))
    assert got.tolist() == [distinct.index(q) if q in distinct else -1 for q in queries]
    query, key = codes.expand(np.array(keys, dtype="int64"), np.array([q if q < 10 else -1 for q in queries],
                                                                     dtype="int64"), 10)
    assert list(zip(query.tolist(), key.tolist(), strict=True)) == [
        (i, j) for i, q in enumerate(queries) for j, k in enumerate(keys) if k == q]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=40), st.booleans())
def test_renumbered_codes_are_first_appearance_codes(values: list[int], small: bool) -> None:
    got = codes.renumber(np.array(values, dtype="int64"), 41 if small else 10**9)
    order = list(dict.fromkeys(values))
    assert got.tolist() == [order.index(v) for v in values]


cells = st.one_of(st.none(), st.text(max_size=4), st.sampled_from(["", "a", "A", "é", "1812.10000"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(cells, max_size=30), st.booleans())
def test_encoded_codes_are_equal_exactly_where_the_text_is(values: list[str | None], arrow: bool) -> None:
    names, got = codes.encode(pd.Series(values, dtype="str" if arrow else object))
    text = ["" if v is None else v for v in values]
    assert [names[c].as_py() for c in got.tolist()] == text
    assert names.to_pylist() == list(dict.fromkeys(text))  # in order of first appearance
    distinct = list(dict.fromkeys(text))
    assert codes.code_of(names, "") == (distinct.index("") if "" in distinct else -1)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.one_of(st.text(max_size=4), st.sampled_from(["", "b", "B", "é", "a;b",
                                                                                                "c10", "c9"]))),
                max_size=60))
def test_each_rows_cell_is_its_distinct_texts_sorted_and_joined(parts: list[tuple[int, str]]) -> None:
    names, text_codes = codes.encode(pa.array([t for _, t in parts], type=pa.large_string()))
    rows = np.array([r for r, _ in parts], dtype="int64")
    expected = [";".join(sorted({t for r, t in parts if r == row and t})) for row in range(21)]
    assert codes.join_sorted_distinct(rows, text_codes, names, 21).to_pylist() == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.text(max_size=6)), max_size=60))
def test_joined_cells_are_each_rows_parts_joined(parts: list[tuple[int, str]]) -> None:
    parts = sorted(parts, key=lambda p: p[0])  # join_consecutive takes each row's parts consecutive
    got = codes.join_consecutive(np.array([r for r, _ in parts], dtype="int64"),
                                 pa.array([t for _, t in parts], type=pa.large_string()), 31, ";")
    expected = ["" for _ in range(31)]
    for row in {r for r, _ in parts}:
        expected[row] = ";".join(t for r, t in parts if r == row)
    assert got.to_pylist() == expected


edge_text = st.text(alphabet=st.sampled_from(list(" \t\n\r\x0b\x0c\x1c\x1f\x7f\x85\xa0\u2003\u3000ab,é漢")), max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), edge_text), max_size=25), st.sampled_from(["str", "object", "chunked"]))
def test_a_stripped_column_is_str_strip(cells: list[str | None], kind: str) -> None:
    """Skipping the strip where no cell starts or ends with a byte of whitespace changes nothing."""
    if kind == "chunked":  # an Arrow column of several chunks, as pyarrow's CSV reader gives
        half = len(cells) // 2
        column = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(
            [pa.array(cells[:half], type=pa.large_string()), pa.array(cells[half:], type=pa.large_string())])),
            dtype="str") if cells else pd.Series(cells, dtype="str")
    else:
        column = pd.Series(cells, dtype=kind)
    expected = column.str.strip()
    got = _stripped(column)
    pd.testing.assert_series_equal(got, expected)
    if kind != "object":  # the formula check's first look, on Arrow text
        assert _starts_with_bytes(column, b"=+-@\t\r") == any(c and c[0] in "=+-@\t\r" for c in cells)


def test_dataset_csv_written_in_blocks_is_the_whole_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of rows formatted one after another give the bytes of the whole frame formatted at once."""
    from flopmine.analysis import build
    from flopmine.analysis.synthetic import synthetic_facts

    facts = synthetic_facts(40, seed=4)
    result = build.build_dataset(facts, gflops_lookup=SYNTHETIC_HARDWARE.get,
                                 titles={facts[-1].arxiv_id: '=cmd, "x"', facts[0].arxiv_id: "plain"})
    monkeypatch.setattr(build, "CSV_BLOCK_ROWS", 7)  # 40 rows: five full blocks and a short one
    build.write_dataset(result, tmp_path)
    assert (tmp_path / "dataset.csv").read_text(encoding="utf-8") == dataset_csv_text(result.frame)
    assert "'=cmd" in dataset_csv_text(result.frame)


# ---------------------------------------------------------------- build_from_home: the read and the conflict scan

_HEADER = "arxiv_id,version,benchmark,model,field,value,unit,page,decision,candidate_id,fact_key,reviewer,decided_at,note,flags\n"


#: How the conflict scan runs: beside the read in a forked process, beside it in a thread, or before it.
_SCAN_WAYS = [pytest.param(True, True, id="child"), pytest.param(True, False, id="thread"),
              pytest.param(False, False, id="before")]


def _scan_way(monkeypatch: pytest.MonkeyPatch, beside: bool, in_child: bool) -> None:
    from flopmine.analysis import build

    monkeypatch.setattr(build, "SCAN_BESIDE_READ_BYTES", 10**12 if beside else -1)
    monkeypatch.setattr(build, "SCAN_IN_CHILD", in_child)


@pytest.mark.parametrize(("beside", "in_child"), _SCAN_WAYS)
def test_build_reads_and_scans_for_conflicts_together_or_one_after_the_other(
        home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, beside: bool,  # type: ignore[no-untyped-def]
        in_child: bool) -> None:
    """Small annotations are read and scanned at once (the scan in a forked process, or a thread), large ones one
    after the other: the same dataset and the same conflicts either way."""
    from flopmine.analysis import build
    from flopmine.review.conflicts import conflict_lines

    home.annotations_dir.mkdir(parents=True)
    (home.annotations_dir / "imagenet.csv").write_text(
        _HEADER + "1512.03385,1,imagenet,ResNet-50,top1_acc,76.1,,3,accept,c1,,alice,,,\n"
        "1512.03385,1,imagenet,ResNet-50,top1_acc,77.0,,3,accept,c2,,bob,,,\n"
        "1512.03385,1,imagenet,VGG,top1_acc,70,,3,accept,c3,,bob,,,\n", encoding="utf-8")
    _scan_way(monkeypatch, beside, in_child)
    built = build.build_from_home(home, tmp_path / "out")
    assert built.conflicts == tuple(conflict_lines(home.annotations_dir)) and len(built.conflicts) == 1
    assert len(built.result.frame) == 2 and built.unreadable_rows == 0


@pytest.mark.parametrize(("beside", "in_child"), _SCAN_WAYS)
def test_an_error_of_the_read_comes_before_one_of_the_scan_either_way(
        home, monkeypatch: pytest.MonkeyPatch, beside: bool, in_child: bool) -> None:  # type: ignore[no-untyped-def]
    """A fact file that is not UTF-8 is an error of the scan (ReviewError) and a warning of the read; with no
    readable fact, the read's error (nothing to build) is the one reported, as when the read ran first."""
    from flopmine.analysis import build
    from flopmine.errors import AnalysisError

    home.annotations_dir.mkdir(parents=True)
    (home.annotations_dir / "imagenet.csv").write_bytes(_HEADER.encode() + b"1512.03385,1,imagenet,\xff,top1_acc\n")
    _scan_way(monkeypatch, beside, in_child)
    with pytest.raises(AnalysisError, match="no accepted, corrected or added facts"):
        build.build_from_home(home, home.root / "out")


@pytest.mark.parametrize(("beside", "in_child"), _SCAN_WAYS)
def test_an_error_of_the_scan_alone_is_raised_as_the_scan_raises_it(
        home, monkeypatch: pytest.MonkeyPatch, beside: bool, in_child: bool) -> None:  # type: ignore[no-untyped-def]
    """A file the read takes but the scan refuses (not UTF-8, beside a readable one): the scan's ReviewError,
    whichever way the scan ran (a forked scan's error is raised by scanning again in the build's process)."""
    from flopmine.analysis import build
    from flopmine.errors import ReviewError
    from flopmine.review.conflicts import conflict_lines

    home.annotations_dir.mkdir(parents=True)
    (home.annotations_dir / "imagenet.csv").write_text(
        _HEADER + "1512.03385,1,imagenet,ResNet-50,top1_acc,76.1,,3,accept,c1,,alice,,,\n", encoding="utf-8")
    (home.annotations_dir / "cifar10.csv").write_bytes(_HEADER.encode() + b"1512.03385,1,cifar10,\xff,top1_acc\n")
    with pytest.raises(ReviewError) as in_process:
        conflict_lines(home.annotations_dir)
    _scan_way(monkeypatch, beside, in_child)
    with pytest.raises(ReviewError) as in_build:
        build.build_from_home(home, home.root / "out")
    assert str(in_build.value) == str(in_process.value)


@pytest.mark.skipif(not build.SCAN_IN_CHILD, reason="no fork here")
def test_a_forked_scan_gives_the_scans_lines_and_leaves_no_child(home, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """``_ScanBeside`` in a child: the lines ``conflict_lines`` gives in this process (hypothesis-free: the scan's
    own equivalence is tested in test_review_conflicts_speed), the child reaped after ``lines`` and after
    ``cancel``; a child that dies without sending lines has the scan run here instead."""
    import os
    import signal

    from flopmine.review.conflicts import conflict_lines

    home.annotations_dir.mkdir(parents=True)
    (home.annotations_dir / "imagenet.csv").write_text(
        _HEADER + "".join(f"1512.0338{i % 3},1,imagenet,M{i % 4},top1_acc,{70 + i % 5},,3,accept,c{i % 6},,r{i},,,\n"
                          for i in range(40)), encoding="utf-8")
    expected = tuple(conflict_lines(home.annotations_dir))
    assert expected  # the rows above disagree
    scan = build._ScanBeside(home.annotations_dir)
    assert scan.lines() == expected
    with pytest.raises(ChildProcessError):
        os.waitpid(scan._pid, os.WNOHANG)
    scan = build._ScanBeside(home.annotations_dir)
    scan.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(scan._pid, os.WNOHANG)
    killed = build._ScanBeside(home.annotations_dir)
    os.kill(killed._pid, signal.SIGKILL)
    assert killed.lines() == expected


def test_the_parquet_file_is_the_same_written_beside_the_csv_or_after_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flopmine.analysis import build
    from flopmine.analysis.synthetic import SYNTHETIC_HARDWARE, synthetic_facts

    result = build.build_dataset(synthetic_facts(40, seed=5), gflops_lookup=SYNTHETIC_HARDWARE.get)
    build.write_dataset(result, tmp_path / "beside")  # 40 rows: one block, Parquet in a thread
    monkeypatch.setattr(build, "CSV_BLOCK_ROWS", 7)
    build.write_dataset(result, tmp_path / "after")
    for name in ("dataset.csv", "dataset.parquet", "unjoined.csv", "data_dictionary.csv", "data_dictionary.md"):
        assert (tmp_path / "beside" / name).read_bytes() == (tmp_path / "after" / name).read_bytes(), name


# ---------------------------------------------------------------- build's memory at a million rows (sixth round)


def test_a_build_that_releases_its_facts_builds_the_same_dataset() -> None:
    """``release_facts`` only lets the facts frame go early: the same rows, warnings and unjoined facts, and the
    table handed over is left empty."""
    from flopmine.analysis import build
    from flopmine.analysis.synthetic import synthetic_facts

    facts = [*synthetic_facts(60, seed=6),
             Fact("1512.03385", 1, "params", 1e6, model="AlexNet"),  # unjoined: no row for this model
             Fact("1512.03385", 1, "top1_err", 21.0, benchmark="imagenet", model="ResNet")]
    kept = build.build_dataset(FactTable.from_facts(facts), gflops_lookup=SYNTHETIC_HARDWARE.get)
    table = FactTable(_as_read(FactTable.from_facts(facts).frame))
    released = build.build_dataset(table, gflops_lookup=SYNTHETIC_HARDWARE.get, release_facts=True)
    assert len(table) == 0 and released.n_facts == kept.n_facts == len(facts)
    pd.testing.assert_frame_equal(released.frame, kept.frame)
    pd.testing.assert_frame_equal(released.unjoined, kept.unjoined)
    assert released.warnings == kept.warnings and len(released.unjoined) == 1


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(cell_text, max_size=6), max_size=5), st.sampled_from(["str", "string[pyarrow]", "object"]))
def test_a_column_in_one_chunk_is_the_column(parts: list[list[str | None]], dtype: str) -> None:
    """``_one_chunk``: the same cells, dtype and index in one new Arrow buffer (an object column is left as it is)."""
    from flopmine.analysis.build import _one_chunk

    column = pd.concat([pd.Series(p, dtype=dtype) for p in parts] or [pd.Series([], dtype=dtype)], ignore_index=True)
    got = _one_chunk(column)
    pd.testing.assert_series_equal(got, column)
    if dtype == "object":
        assert got is column
    else:
        assert got.array._pa_array.num_chunks == 1


def test_releasing_memory_trims_the_c_librarys_heap_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """``codes.release_memory`` gives back Arrow's freed memory and calls ``malloc_trim(0)`` where the C library
    has it (numpy's arrays come from there); where it has none, only Arrow's."""
    trimmed: list[int] = []
    monkeypatch.setattr(codes, "_malloc_trim", lambda: trimmed.append)
    codes.release_memory()
    assert trimmed == [0]
    monkeypatch.setattr(codes, "_malloc_trim", lambda: None)
    codes.release_memory()  # no C library trim: nothing to call, no error
    assert trimmed == [0]


def test_the_c_librarys_trim_is_found_on_glibc() -> None:
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("malloc_trim is glibc's")
    trim = codes._malloc_trim()
    assert trim is not None and trim(0) in (0, 1)
