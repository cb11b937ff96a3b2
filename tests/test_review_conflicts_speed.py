"""The conflict scan's lean fact-row path finds what the scan that built a Fact and a Decision per row found.

``flopmine build`` and ``review status`` scan every annotation row for conflicting decisions; at 100k rows
that scan was most of ``build``'s time. ``tests/support/conflicts_previous.py`` keeps the scan as it was.
"""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flopmine.review.annotations import LEGACY_LEDGER_FILE, render_csv
from flopmine.review.conflicts import DecisionConflict, find_conflicts
from flopmine.review.decision import LEDGER_COLUMNS, Decision, format_value
from flopmine.types import ANNOTATION_COLUMNS

from .support import conflicts_previous

# mostly well-formed rows over few papers and models, so that rows meet in keys and slots; some malformed
_IDS = st.sampled_from(["1512.03385", "1512.03385", "hep-th/9901001"])
_FIELDS = st.sampled_from(["top1_acc"] * 6 + ["top1_err", "flops", "hardware", "bogus"])
_VALUES = st.sampled_from(["76.1", "76.10", "23.9", "77", "3.8e9", "3800000000", " v100 ", "x", "'=1+2"])
_MODELS = st.sampled_from(["", "", "", "ResNet-50", "resnet-50 (ours)", "ResNet-50*", "B0", "  ", "'=cmd"])
_CIDS = st.sampled_from(["", "", "", "c1", "c2", " c1 ", "  ", "'=c3"])
_DECISIONS = st.sampled_from(["accept"] * 4 + ["correct", "add", "reject", "", "bogus"])


@st.composite
def _fact_rows(draw: st.DrawFn) -> dict[str, str]:
    return {"arxiv_id": draw(_IDS), "version": draw(st.sampled_from(["1"] * 6 + ["2", "", "x"])),
            "benchmark": draw(st.sampled_from(["imagenet"] * 4 + [""])), "model": draw(_MODELS),
            "field": draw(_FIELDS), "value": draw(_VALUES), "unit": "", "page": draw(st.sampled_from(["3"] * 6 + ["", "p"])),
            "decision": draw(_DECISIONS), "candidate_id": draw(_CIDS), "fact_key": "", "reviewer": "ann",
            "decided_at": "", "note": draw(st.sampled_from(["", "'=x", "fine"])), "flags": ""}


@st.composite
def _decisions(draw: st.DrawFn) -> Decision:
    decision = draw(st.sampled_from(["accept", "correct", "add", "reject"]))
    field = draw(st.sampled_from(["top1_acc", "top1_err", "flops", "epochs"]))
    value = draw(st.sampled_from([76.1, 23.9, 90.0, 3.8e9]))
    return Decision(decision=decision, arxiv_id=draw(_IDS), version=draw(st.sampled_from([1, 2])), field=field,
                    value=value, benchmark=draw(st.sampled_from(["imagenet", ""])), model=draw(_MODELS),
                    candidate_id="" if decision == "add" else draw(st.sampled_from(["c1", "c2"])),
                    corrected_value=draw(st.sampled_from([12.5, 76.1])) if decision == "correct" else None,
                    reviewer=draw(st.sampled_from(["alice", "bob"])))


def _write_facts(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(ANNOTATION_COLUMNS))
        w.writeheader()
        w.writerows(rows)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_fact_rows(), max_size=16), st.lists(_fact_rows(), max_size=6), st.lists(_decisions(), max_size=6))
def test_the_lean_scan_finds_the_conflicts_the_full_parse_found(
        tmp_path_factory, facts: list[dict[str, str]], more: list[dict[str, str]], ledger: list[Decision]) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path_factory.mktemp("annotations")
    _write_facts(directory / "imagenet.csv", facts)
    _write_facts(directory / "paper_facts.csv", more)
    if ledger:
        (directory / LEGACY_LEDGER_FILE).parent.mkdir(parents=True, exist_ok=True)
        (directory / LEGACY_LEDGER_FILE).write_text(
            render_csv(LEDGER_COLUMNS, [{k: str(v) for k, v in d.to_row().items()} for d in ledger]), encoding="utf-8")
    got, want = find_conflicts(directory), conflicts_previous.find_conflicts(directory)
    assert [(c.slot, c.key, str(c)) for c in got] == [(c.slot, c.key, str(c)) for c in want]
    assert [c.claims for c in got] == [c.claims for c in want]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_fact_rows(), st.integers(0, 4)), max_size=24), st.lists(_decisions(), max_size=6))
def test_month_files_read_as_one_text_scan_as_each_file_alone(
        tmp_path_factory, facts: list[tuple[dict[str, str], int]], ledger: list[Decision]) -> None:  # type: ignore[no-untyped-def]
    """The review's files, one per benchmark and month, as the scan reads them (consecutive plain files parsed
    as one text): the conflicts and the file and line each claim names are those of each file read alone."""
    directory = tmp_path_factory.mktemp("annotations")
    names = ["imagenet-1512.csv", "imagenet-9901.csv", "imagenet-hand.csv", "paper_facts-1512.csv",
             "paper_facts-9901.csv"]
    for i, name in enumerate(names):
        rows = [row for row, at in facts if at == i]
        text = render_csv(ANNOTATION_COLUMNS, []) + "".join(
            ",".join(row[k] for k in ANNOTATION_COLUMNS) + "\n" for row in rows)  # as written: no quotes, \n
        if name == "imagenet-hand.csv":
            text = text.replace("\n", "\r\n")  # a hand-edited file between them: read on its own
        (directory / name).write_text(text, encoding="utf-8", newline="")
    if ledger:
        (directory / "decisions" / "ledger").mkdir(parents=True)
        (directory / "decisions" / "ledger" / "1512.csv").write_text(
            render_csv(LEDGER_COLUMNS, [{k: str(v) for k, v in d.to_row().items()} for d in ledger]), encoding="utf-8")
    got, want = find_conflicts(directory), conflicts_previous.find_conflicts(directory)
    assert [(c.slot, c.key, str(c)) for c in got] == [(c.slot, c.key, str(c)) for c in want]
    assert [c.claims for c in got] == [c.claims for c in want]


def test_the_reference_finds_conflicts_in_such_rows(tmp_path: Path) -> None:
    """Not vacuous: two values accepted for one model's slot, and two outcomes for one candidate, are found."""
    row = {"arxiv_id": "1512.03385", "version": "1", "benchmark": "imagenet", "model": "ResNet-50",
           "field": "top1_acc", "value": "76.1", "unit": "", "page": "3", "decision": "accept",
           "candidate_id": "c1", "fact_key": "", "reviewer": "ann", "decided_at": "", "note": "", "flags": ""}
    _write_facts(tmp_path / "imagenet.csv", [row, {**row, "candidate_id": "c2", "value": "77.0"},
                                              {**row, "candidate_id": "c9", "model": "", "value": "1"},
                                              {**row, "candidate_id": "c9", "model": "", "value": "2"}])
    got = find_conflicts(tmp_path)
    assert [c.key for c in got] == [c.key for c in conflicts_previous.find_conflicts(tmp_path)]
    assert sorted(c.key for c in got) == ["", "c9"]


# ---------------------------------------------------------------- the column scan (Arrow) against the row scan


@st.composite
def _ledger_and_facts(draw: st.DrawFn) -> tuple[list[Decision], list[dict[str, str]]]:
    """Ledger decisions and fact rows that name the same candidates often: a key stated twice in the ledger with
    different outcomes, fact rows agreeing with one of them or not, model-less rows whose candidate id is
    written with spaces (its key is stripped, its slot is not)."""
    ledger = draw(st.lists(_decisions(), max_size=6))
    rows = draw(st.lists(_fact_rows(), max_size=12))
    for i, row in enumerate(rows):
        if ledger and draw(st.booleans()):  # restate a ledger decision as a fact row, maybe with another value
            d = ledger[draw(st.integers(0, len(ledger) - 1))]
            rows[i] = {**row, "arxiv_id": d.arxiv_id, "version": str(d.version), "benchmark": d.benchmark,
                       "model": d.model, "field": d.final_field, "decision": draw(st.sampled_from(["accept", "correct"])),
                       "candidate_id": draw(st.sampled_from([d.candidate_id, f" {d.candidate_id} "])),
                       "value": draw(st.sampled_from([format_value(d.final_value), "76.1", "12.5", "90"]))}
    return ledger, rows


def _write_ledger(directory: Path, ledger: list[Decision]) -> None:
    (directory / LEGACY_LEDGER_FILE).parent.mkdir(parents=True, exist_ok=True)
    (directory / LEGACY_LEDGER_FILE).write_text(
        render_csv(LEDGER_COLUMNS, [{k: str(v) for k, v in d.to_row().items()} for d in ledger]), encoding="utf-8")


def _same_as_reference(directory: Path) -> list[DecisionConflict]:
    got, want = find_conflicts(directory), conflicts_previous.find_conflicts(directory)
    assert [(c.slot, c.key, str(c)) for c in got] == [(c.slot, c.key, str(c)) for c in want]
    assert [c.claims for c in got] == [c.claims for c in want]
    return got


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_ledger_and_facts())
def test_the_column_scan_finds_what_the_row_scan_finds_where_ledger_and_fact_rows_meet(
        tmp_path_factory, drawn: tuple[list[Decision], list[dict[str, str]]]) -> None:  # type: ignore[no-untyped-def]
    ledger, rows = drawn
    directory = tmp_path_factory.mktemp("annotations")
    _write_facts(directory / "imagenet.csv", rows)
    if ledger:
        _write_ledger(directory, ledger)
    _same_as_reference(directory)


def _row(**cells: str) -> dict[str, str]:
    return {"arxiv_id": "1512.03385", "version": "1", "benchmark": "imagenet", "model": "ResNet-50",
            "field": "top1_acc", "value": "76.1", "unit": "", "page": "3", "decision": "accept", "candidate_id": "c1",
            "fact_key": "", "reviewer": "ann", "decided_at": "", "note": "", "flags": "", **cells}


def test_a_ledger_key_stated_twice_with_a_fact_row_agreeing_with_one_is_one_conflict_of_two_claims(
        tmp_path: Path) -> None:
    """The ledger says accept 76.1 and correct to 12.5 for c1; the fact row says 76.1 (agrees with the first, so it
    adds no claim), another says 50 (a third outcome: its own claim)."""
    d = Decision("accept", "1512.03385", 1, "top1_acc", 76.1, benchmark="imagenet", model="ResNet-50",
                 candidate_id="c1", reviewer="alice")
    _write_ledger(tmp_path, [d, Decision("correct", "1512.03385", 1, "top1_acc", 76.1, benchmark="imagenet",
                                         model="ResNet-50", candidate_id="c1", corrected_value=12.5, reviewer="bob")])
    _write_facts(tmp_path / "imagenet.csv", [_row()])
    [conflict] = _same_as_reference(tmp_path)
    assert [c.where for c in conflict.claims] == [f"{LEGACY_LEDGER_FILE}:2", f"{LEGACY_LEDGER_FILE}:3"]
    _write_facts(tmp_path / "imagenet.csv", [_row(), _row(value="50")])
    [conflict] = _same_as_reference(tmp_path)
    assert [c.where for c in conflict.claims] == [f"{LEGACY_LEDGER_FILE}:2", f"{LEGACY_LEDGER_FILE}:3", "imagenet.csv:3"]


def test_a_candidate_id_written_with_spaces_keys_by_the_id_and_slots_by_the_cell(tmp_path: Path) -> None:
    """Model-less rows " c1 " and "c1" decide one candidate (the key is stripped) but each is its own slot (a
    model-less slot is its candidate id as written): two values are one conflict on the key."""
    _write_facts(tmp_path / "imagenet.csv", [_row(model="", candidate_id=" c1 "), _row(model="", candidate_id="c1",
                                                                                        value="77")])
    [conflict] = _same_as_reference(tmp_path)
    assert (conflict.key, conflict.slot.alone) == ("c1", " c1 ")
    _write_facts(tmp_path / "imagenet.csv", [_row(model="", candidate_id=" c1 "), _row(model="", candidate_id="c2",
                                                                                        value="77")])
    assert _same_as_reference(tmp_path) == []  # two model-less slots: no conflict


# the Arrow reader against the csv module, on text made of what makes CSV hard
_CSV_TEXT = st.text(st.sampled_from(list('ab ,"\n\r\'=é\t\x1f')), max_size=60)


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(["arxiv_id,model,value\n", "arxiv_id, model ,value,model\n", "arxiv_id,,value\n",
                        "\ufeffarxiv_id,value\n", ""]), _CSV_TEXT)
def test_the_arrow_reader_reads_what_the_csv_module_reads_or_leaves_the_file_to_it(header: str, body: str) -> None:
    import tempfile

    from flopmine.review.annotations import _read_rows
    from flopmine.review.conflicts import _COLUMNS, _arrow_cells

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.csv"
        path.write_text(header + body, encoding="utf-8", newline="")
        rows = _read_rows(path, [])
        text = path.read_text(encoding="utf-8-sig")  # as _read_fact_file gives it: BOM gone, each \r a \n
        read = _arrow_cells(text.encode("utf-8"))
    if read is None:
        return  # the csv module reads it (``_read_fact_file``)
    cells, n = read
    assert n == len(rows)
    names = [k for k in (rows[0][1] if rows else {}) if k in _COLUMNS]
    if rows:
        assert sorted(cells) == sorted(names)
    assert {k: v.to_pylist() for k, v in cells.items()} == {k: [r[k] for _, r in rows] for k in (names if rows else cells)}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["arxiv_id,model,value\n", "arxiv_id,value\r\n", "\ufeffarxiv_id,value\r"]), _CSV_TEXT,
       st.sampled_from([b"", b"\xff", b"\xc3"]))
def test_a_fact_file_reads_as_the_csv_module_reads_it(tmp_path_factory, header: str, body: str,  # type: ignore[no-untyped-def]
                                                      junk: bytes) -> None:
    """Bytes to Arrow when they are UTF-8 without a carriage return, else decoded with the newline translation
    (or left to the csv module): the same cells either way, and the same problem for a file that is not UTF-8."""
    from flopmine.review.annotations import _read_rows
    from flopmine.review.conflicts import _COLUMNS, _read_fact_file

    path = tmp_path_factory.mktemp("f") / "x.csv"
    path.write_bytes((header + body).encode("utf-8") + junk)
    want_problems: list[str] = []
    rows = _read_rows(path, want_problems)
    problems: list[str] = []
    read = _read_fact_file(path, problems)
    assert problems == want_problems
    assert read.n == len(rows)
    if rows:
        assert {k: v.to_pylist() for k, v in read.cells.items()} == {
            k: [r[k] for _, r in rows] for k in rows[0][1] if k in _COLUMNS}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.sampled_from(list(" \t\x1f\u3000\x85ab'=+-@\r\né")), max_size=6), max_size=12))
def test_the_arrow_text_helpers_are_pythons(cells: list[str]) -> None:
    import pyarrow as pa

    from flopmine import codes
    from flopmine.config import unneutralise_cell

    array = pa.array(cells, type=pa.large_string())
    assert codes.stripped(array).to_pylist() == [c.strip() for c in cells]
    assert codes.blank(array).tolist() == [not c.strip() for c in cells]
    assert codes.unneutralised(array).to_pylist() == [unneutralise_cell(c) for c in cells]
    assert codes.unneutralised(array.slice(1)).to_pylist() == [unneutralise_cell(c) for c in cells[1:]]
    # the scan reads each cell once where Fact.from_row unneutralises it a second time: that changes nothing
    assert [unneutralise_cell(unneutralise_cell(c)) for c in cells] == [unneutralise_cell(c) for c in cells]



def test_a_file_of_many_blocks_reads_as_one_block_and_as_the_csv_module(tmp_path: Path) -> None:
    """A fact file over Arrow's default block (1 MiB), read as one block (``codes.csv_read_options``): the cells
    the csv module reads, and build's reader the cells pandas' C parser reads."""
    import io

    import pandas as pd

    from flopmine.analysis.build import _read_text_csv
    from flopmine.review.annotations import _read_rows
    from flopmine.review.conflicts import _COLUMNS, _read_fact_file

    rows = [f'1512.0{i:04d},{i % 3},imagenet,"Net, {i}",top1_acc,{i / 7:.6g},,{i % 9},accept,c{i},,r,,"a ""q"" {i}",\n'
            for i in range(24_000)]
    text = ",".join(ANNOTATION_COLUMNS) + "\n" + "".join(rows)
    assert len(text.encode()) > 2 * 2**20
    path = tmp_path / "imagenet.csv"
    path.write_text(text, encoding="utf-8")
    expected = _read_rows(path, [])
    read = _read_fact_file(path, [])
    assert read.rows is None  # Arrow's reader, not the csv module's
    assert {k: v.to_pylist() for k, v in read.cells.items()} == {
        k: [r[k] for _, r in expected] for k in expected[0][1] if k in _COLUMNS}
    pd.testing.assert_frame_equal(_read_text_csv(text), pd.read_csv(io.StringIO(text), dtype=str,
                                                                     keep_default_na=False), check_dtype=False)


def test_plain_month_files_are_parsed_as_one_text(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from flopmine.review import conflicts

    header = ",".join(ANNOTATION_COLUMNS) + "\n"
    (tmp_path / "imagenet-1512.csv").write_text(header + "1512.03385,1,imagenet,A,top1_acc,76.1,,3,accept,c1,,,,,\n"
                                                "1512.03385,1,imagenet,B,top1_acc,70,,3,accept,c2,,,,,\n")
    (tmp_path / "imagenet-1608.csv").write_text(header + "1608.06993,1,imagenet,C,top1_acc,80,,3,accept,c3,,,,,\n")

    def alone(*args: object) -> None:
        raise AssertionError("read on its own")

    monkeypatch.setattr(conflicts, "_read_fact_file", alone)
    files = conflicts._read_fact_files(sorted(tmp_path.glob("*.csv")), [])
    assert [(f.path.name, f.n, f.cells["model"].to_pylist()) for f in files] == [
        ("imagenet-1512.csv", 2, ["A", "B"]), ("imagenet-1608.csv", 1, ["C"])]
