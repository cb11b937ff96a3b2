"""The row sheet (``review export --sheet rows``): export, edit as a reviewer would, import; on a small real store."""

from __future__ import annotations

import csv
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flopmine.config import Home
from flopmine.errors import ReviewError
from flopmine.review.assign import import_reviewed
from flopmine.review.sheet import CELL_STATE, ROW_STATE, export_sheet, parse_cell
from flopmine.store import connect, replace_candidates, upsert_paper
from flopmine.types import Candidate, Paper
from tests.support.annotation_files import ledger_rows, ledger_snapshot

P1, P2, P3 = "1512.03385", "1608.06993", "1704.04861"


def _c(aid: str, field: str, value: float | str, rank: int, *, model: str = "", benchmark: str = "imagenet",
       page: int = 3) -> Candidate:
    return Candidate(aid, 1, field, value, benchmark=benchmark, model=model, page=page, snippet=f"says {value}",
                     rule="t", confidence=1.0 / rank, rank=rank)


CANDIDATES = {
    P1: ([_c(P1, "top1_err", 21.43, 1, model="ResNet-152"), _c(P1, "top1_err", 19.38, 2, model="ResNet-152"),
          _c(P1, "top1_acc", 78.0, 3, model="ResNet-152 (ours)"), _c(P1, "top1_err", 28.5, 2, model="VGG-16"),
          _c(P1, "flops", 11.3e9, 1, model="ResNet-152", benchmark=""),
          _c(P1, "epochs", 90.0, 1, benchmark=""), _c(P1, "epochs", 120.0, 2, benchmark="")], "imagenet"),
    P2: ([_c(P2, "err", 3.46, 1, model="DenseNet-BC", benchmark="cifar10"),
          _c(P2, "params", 25.6e6, 1, model="DenseNet-BC", benchmark="")], "cifar10"),
    P3: ([_c(P3, "top1_acc", 70.6, 1, model="MobileNet"), _c(P3, "top1_acc", 50.6, 2, model="MobileNet"),
          _c(P3, "mult_adds", 569e6, 1, model="MobileNet", benchmark="")], "imagenet"),
}


def _store(home: Home) -> sqlite3.Connection:
    conn = connect(home.db_path)
    for aid, (cands, bench) in CANDIDATES.items():
        upsert_paper(conn, Paper(aid, 1, f"paper {aid}", benchmarks=(bench,)))
        replace_candidates(conn, aid, 1, cands, extraction={"status": "ok", "rule_version": "t", "pages": 10})
    return conn


@pytest.fixture
def db(home: Home) -> Iterator[sqlite3.Connection]:
    conn = _store(home)
    yield conn
    conn.close()


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def write(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    columns = columns or list(rows[0])
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh))


def ledger(home: Home) -> list[dict[str, str]]:
    return ledger_rows(home.annotations_dir)


def verdicts(home: Home) -> set[tuple[str, str, str, str]]:
    """(model, field, value, decision[:correction]) of every ledger row."""
    return {(r["model"], r["field"], r["value"], r["decision"] + (f":{r['corrected_value']}" if r["corrected_value"] else ""))
            for r in ledger(home)}


def by_model(rows: list[dict[str, str]], model: str) -> dict[str, str]:
    return next(r for r in rows if r["model"] == model)


def test_sheet_shape_prefill_and_paper_level_facts(db: sqlite3.Connection, home: Home) -> None:
    report = export_sheet(db, home, bom=False)
    assert sorted(p.name for p in report.files) == ["cifar10.csv", "imagenet.csv"]
    cols = header(home.root / "review-rows" / "imagenet.csv")
    assert cols[:6] == ["paper", "version", "title", "year", "benchmark", "model"]
    assert {"top1_acc", "top5_err", "flops", "mult_adds", "hardware_count", "training_steps", "evidence",
            "flops_alternatives", ROW_STATE, CELL_STATE} <= set(cols)
    assert "bleu" not in cols  # only the benchmark's own metrics
    rows = read(home.root / "review-rows" / "imagenet.csv")
    resnet = by_model(rows, "ResNet-152")
    # the slot's top candidate; the others (an accuracy as this column states it) as alternatives
    assert (resnet["top1_err"], resnet["top1_err_alternatives"]) == ("21.43", "19.38@3 | 22@3")
    assert resnet["flops"] == "11300000000" and resnet["epochs"] == "90"  # paper-level: the only model's row
    assert resnet["epochs_alternatives"] == "120@3" and resnet["status"] == "pending"
    assert "top1_err p3: says 21.43" in resnet["evidence"] and resnet["year"] == "2015"


def test_the_row_sheet_leaves_out_what_the_candidate_export_does(db: sqlite3.Connection, home: Home) -> None:
    """A metric whose snippet names another dataset nearer than the benchmark is not offered as the benchmark's
    (``offer.not_offered_reason``): neither sheet shows a row for it."""
    voc = Candidate(P3, 1, "top1_acc", 73.2, benchmark="imagenet", model="SSD-VOC", raw="73.2", page=4,
                    snippet="On PASCAL VOC 2007 our detector reaches 73.2% accuracy.", rule="metric.acc",
                    confidence=0.9, rank=1)
    replace_candidates(db, P3, 1, [*CANDIDATES[P3][0], voc], extraction={"status": "ok", "rule_version": "t",
                                                                          "pages": 10})
    export_sheet(db, home, bom=False)
    models = {r["model"] for r in read(home.root / "review-rows" / "imagenet.csv")}
    assert "MobileNet" in models and "SSD-VOC" not in models


def test_sheet_round_trip_untouched_gives_no_decisions(db: sqlite3.Connection, home: Home) -> None:
    report = export_sheet(db, home)
    result = import_reviewed(db, home, list(report.files))
    assert result.problems == () and result.decisions == 0
    assert ledger(home) == []


def test_sheet_edits_give_exactly_the_decisions_made(db: sqlite3.Connection, home: Home) -> None:
    export_sheet(db, home)
    path = home.root / "review-rows" / "imagenet.csv"
    rows = read(path)
    resnet, mobilenet = by_model(rows, "ResNet-152"), by_model(rows, "MobileNet")
    resnet["top1_err"] = "19.38@3"  # an alternative, copied: accept that candidate
    resnet["flops"] = "7.6e9"  # a value no candidate has: correct the one shown
    resnet["epochs"] = ""  # cleared: not reported, every candidate of the slot rejected
    resnet["params"] = "60.2e6@4"  # a cell without a candidate: added
    mobilenet["status"] = "reviewed"  # the untouched cells are right
    write(path, rows)
    result = import_reviewed(db, home, [path], reviewer="alice")
    assert result.problems == ()
    assert verdicts(home) == {
        ("ResNet-152", "top1_err", "19.38", "accept"), ("ResNet-152", "flops", "11300000000", "correct:7600000000"),
        ("", "epochs", "90", "reject"), ("", "epochs", "120", "reject"),
        ("ResNet-152", "params", "60200000", "add"),
        ("MobileNet", "top1_acc", "70.6", "accept"), ("MobileNet", "mult_adds", "569000000", "accept")}
    assert {r["reviewer"] for r in ledger(home)} == {"alice"}

    # exported again: the reviewed values, marked reviewed; imported untouched: nothing new
    report = export_sheet(db, home)
    again = read(path)
    resnet, mobilenet = by_model(again, "ResNet-152"), by_model(again, "MobileNet")
    assert (resnet["top1_err"], resnet["flops"], resnet["epochs"], resnet["params"]) == (
        "19.38", "7600000000", "", "60200000")
    assert resnet["status"] == "reviewed" and mobilenet["status"] == "reviewed"
    before = ledger_snapshot(home.annotations_dir)
    result = import_reviewed(db, home, list(report.files))
    assert result.problems == () and (result.report is None or not result.report.applied)
    assert ledger_snapshot(home.annotations_dir) == before


def test_deleted_row_rejects_its_models_facts(db: sqlite3.Connection, home: Home) -> None:
    export_sheet(db, home)
    path = home.root / "review-rows" / "imagenet.csv"
    rows = read(path)
    write(path, [r for r in rows if r["model"] != "VGG-16"])
    assert import_reviewed(db, home, [path]).problems == ()
    assert verdicts(home) == {("VGG-16", "top1_err", "28.5", "reject")}
    # a status of delete does the same where deleting cannot be told (a paper's only row)
    rows = read(path)
    by_model(rows, "MobileNet")["status"] = "delete"
    write(path, rows)
    assert import_reviewed(db, home, [path]).problems == ()
    assert verdicts(home) == {("VGG-16", "top1_err", "28.5", "reject"), ("MobileNet", "top1_acc", "70.6", "reject"),
                              ("MobileNet", "top1_acc", "50.6", "reject"), ("MobileNet", "mult_adds", "569000000", "reject")}


def test_stale_sheet_refuses_a_change_to_a_decision_made_since(db: sqlite3.Connection, home: Home) -> None:
    export_sheet(db, home)
    stale, pristine = home.root / "stale.csv", home.root / "pristine.csv"
    shutil.copy(home.root / "review-rows" / "imagenet.csv", stale)
    shutil.copy(stale, pristine)
    fresh = home.root / "review-rows" / "imagenet.csv"
    rows = read(fresh)
    by_model(rows, "ResNet-152")["top1_err"] = "19.38"
    write(fresh, rows)
    import_reviewed(db, home, [fresh], reviewer="bob")  # bob settles the slot after the stale export
    before = ledger_snapshot(home.annotations_dir)
    rows = read(stale)
    resnet = by_model(rows, "ResNet-152")
    line = rows.index(resnet) + 2
    resnet["top1_err"] = "21.4"
    write(stale, rows)
    with pytest.raises(ReviewError) as e:
        import_reviewed(db, home, [stale], reviewer="alice")
    assert any(p.startswith(f"{stale}:{line}: top1_err: its fact slot was decided since this file was exported "
                            "(accept by bob") for p in e.value.problems), e.value.problems
    assert ledger_snapshot(home.annotations_dir) == before
    # left untouched, the same stale sheet imports as nothing
    shutil.copy(pristine, stale)
    assert import_reviewed(db, home, [stale]).problems == ()
    assert ledger_snapshot(home.annotations_dir) == before


def test_an_untouched_stale_sheet_decides_nothing_after_corrections_and_renames(db: sqlite3.Connection,
                                                                                home: Home) -> None:
    """Since the export someone corrected a value and renamed a model: the untouched copy changes nothing.

    The import compared each cell with the value behind its key *now* (the correction), so the untouched
    cell looked edited and was refused as a conflict; and the renamed row looked deleted.
    """
    export_sheet(db, home)
    pristine = home.root / "pristine.csv"
    shutil.copy(home.root / "review-rows" / "imagenet.csv", pristine)
    fresh = home.root / "review-rows" / "imagenet.csv"
    rows = read(fresh)
    by_model(rows, "ResNet-152")["top1_err"] = "20.01"
    by_model(rows, "VGG-16")["model"] = "VGG-16 (ours, 224)"
    write(fresh, rows)
    import_reviewed(db, home, [fresh], reviewer="bob")
    before = ledger_snapshot(home.annotations_dir)
    assert any(b"20.01" in text for text in before.values())
    result = import_reviewed(db, home, [pristine], reviewer="alice")
    assert result.problems == () and result.decisions == 0
    assert ledger_snapshot(home.annotations_dir) == before


@pytest.mark.parametrize(("cells", "column", "message"), [
    ({"paper": "1512.3385", "flops": "1e9@2"}, "paper", "not an arXiv id: '1512.3385' (ids from 2015 on have 5 digits"),
    ({"paper": "9999.99999", "flops": "1e9@2"}, "paper", "not an arXiv id"),
    ({"paper": P1, "flops": "5e16@2"}, "flops", "implausible: 5e+16 is outside the plausible range of flops"),
    ({"paper": P1, "top1_acc": "120@2", "benchmark": "imagenet"}, "top1_acc", "out of range: 120 > 100"),
    ({"paper": P1, "flops": "1e9"}, "flops", "needs its page: write 1000000000@PAGE"),
    ({"paper": P1, "top1_acc": "76.1@2"}, "benchmark", "required: top1_acc is a metric of a benchmark"),
    ({"paper": P1, "flops": "1e9@700"}, "flops", "page 700 is past the end of 1512.03385v1 (10 pages)"),
])
def test_added_row_with_a_bad_id_or_value_fails_naming_the_line(db: sqlite3.Connection, home: Home,
                                                                 cells: dict[str, str], column: str,
                                                                 message: str) -> None:
    export_sheet(db, home)
    path = home.root / "review-rows" / "imagenet.csv"
    rows = read(path)
    rows.append({**dict.fromkeys(rows[0], ""), "model": "ResNet-50", **cells})
    write(path, rows)
    with pytest.raises(ReviewError) as e:
        import_reviewed(db, home, [path])
    assert any(p.startswith(f"{path}:{len(rows) + 1}: {column}: ") and message in p for p in e.value.problems), \
        e.value.problems
    assert ledger(home) == []


def test_parse_cell_reads_value_and_page() -> None:
    assert parse_cell("flops", "1.13e10 @ p5") == (1.13e10, 5)
    assert parse_cell("hardware", "Tesla V100@3") == ("Tesla V100", 3)
    with pytest.raises(ValueError):
        parse_cell("flops", "lots")


_PROBLEM = re.compile(r"^.+:\d+: [a-z0-9_-]+: \S")
_TEXT = st.one_of(st.just(""), st.sampled_from(["19.38", "19.38@3", "7.6e9", "reviewed", "delete", "=1+1", "-3", "90@2",
                                                "1e30@1", "abc", "76,3", "x@y", "r1 garbage", "pending"]),
                  st.floats(allow_nan=False, allow_infinity=False).map(repr), st.text(max_size=12))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_cell_edit_imports_or_names_file_line_column(data: st.DataObject) -> None:
    """Any edit of any cell either becomes decisions or `file:line: column:` problems; never a crash or half an import."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Home(Path(tmp))
        conn = _store(home)
        try:
            export_sheet(conn, home)
            path = home.root / "review-rows" / "imagenet.csv"
            rows = read(path)
            for _ in range(data.draw(st.integers(1, 3))):
                row = data.draw(st.sampled_from(rows))
                column = data.draw(st.sampled_from(list(row)))
                row[column] = data.draw(_TEXT)
            write(path, rows)
            try:
                result = import_reviewed(conn, home, [path])
            except ReviewError as e:
                assert e.problems and all(_PROBLEM.match(p) for p in e.problems), e.problems
                assert ledger(home) == []  # all or nothing: no decision, no rename
                assert not (home.annotations_dir / "decisions" / "renames.csv").exists()
            else:
                assert result.problems == ()
        finally:
            conn.close()


def test_sheet_review_cost_counts_cells_and_the_gold_that_reaches_the_dataset(db: sqlite3.Connection,
                                                                               home: Home) -> None:
    from flopmine.extract.gold import GoldFact
    from flopmine.review.cost import review_cost
    from flopmine.review.sheet_cost import gold_in_dataset, sheet_review_cost

    gold = [GoldFact(P1, "top1_err", 19.38, benchmark="imagenet", model="ResNet-152"),  # an alternative
            GoldFact(P1, "flops", 11.3e9, model="ResNet-152"),  # right
            GoldFact(P1, "epochs", 90.0),  # right, paper-level
            GoldFact(P1, "params", 60.2e6, model="ResNet-152", page=4),  # typed: the sheet does not have it
            GoldFact(P3, "top1_acc", 70.6, benchmark="imagenet", model="MobileNet"),  # right
            GoldFact(P3, "top5_acc", 89.5, benchmark="imagenet", model="MobileNet", page=5)]  # typed
    report = sheet_review_cost(db, home, gold)
    by = {p.arxiv_id: p for p in report.papers}
    assert [p.problems for p in report.papers] == [[], []]
    assert (by[P1].rows, by[P1].right, by[P1].from_alternatives, by[P1].typed, by[P1].absent) == (2, 2, 1, 1, 1)
    assert by[P1].rows_deleted == 1  # VGG-16: no gold model
    assert by[P1].cleared == 0 and by[P1].cells_filled == 4  # 21.43, 28.5, flops and epochs read
    assert (by[P3].right, by[P3].typed, by[P3].cleared) == (1, 1, 1)  # its mult_adds is no gold fact
    assert report.total("gold") == 6 and report.gold_right_in_dataset == 6
    # read 4 + 2 alternatives + 2 filled cells of P3, typed 2: (8 × 5 s + 2 × 30 s) / 60 / 2 papers
    assert report.minutes_per_paper == pytest.approx((8 * 5 + 2 * 30) / 60 / 2)
    assert ledger(home) == []  # the replay runs on a copy
    # the candidate replay on the same store: adds by hand what its rows do not show
    shares: list[int] = []
    review_cost(db, home, gold, on_replayed=lambda h: shares.append(gold_in_dataset(h, gold)))
    assert len(shares) == 1 and 0 < shares[0] <= 6


def test_cli_exports_rows_and_imports_them_with_the_candidate_sheet(home: Home, capsys: pytest.CaptureFixture[str]
                                                                     ) -> None:
    from flopmine.cli import main
    from flopmine.review.export import export

    def run(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as e:
            main(["--home", str(home.root), *args])
        out = capsys.readouterr()
        return int(e.value.code or 0), out.out, out.err

    _store(home).close()
    code, out, _ = run("review", "export", "--sheet", "rows", "--per-paper", "--no-bom")
    assert code == 0 and "Exported 4 row(s) of 3 paper(s)" in out
    path = home.root / "review-rows" / f"{P3}.csv"
    rows = read(path)
    rows[0]["status"] = "reviewed"
    write(path, rows)
    conn = connect(home.db_path)
    candidates = export(conn, home, home.root / "cands", bom=False).files  # the candidate sheet, untouched
    conn.close()
    code, out, err = run("review", "import", str(path), *map(str, candidates), "--reviewer", "carol")
    assert code == 0, err
    assert "Applied 2 decision(s): 2 accept" in out
    rows = read(path)
    rows[0]["top1_acc"] = "abc"
    write(path, rows)
    code, _, err = run("review", "import", str(path))
    assert code == 1 and f"{path}:2: top1_acc: not a number: 'abc'" in err
    code, _, err = run("review", "export", "--sheet", "cells")
    assert code == 2 and "--sheet" in err


def test_a_new_value_over_a_paper_level_cell_is_the_rows_own_fact(db: sqlite3.Connection, home: Home) -> None:
    """A paper-level epochs shown under ResNet-152, typed over: ResNet-152's epochs (the paper-level one stays open)."""
    export_sheet(db, home)
    path = home.root / "review-rows" / "imagenet.csv"
    rows = read(path)
    by_model(rows, "ResNet-152")["epochs"] = "100"
    write(path, rows)
    with pytest.raises(ReviewError) as e:  # a fact the extractor did not find needs its page
        import_reviewed(db, home, [path])
    assert any(": epochs: a value the extractor did not find needs its page" in p for p in e.value.problems)
    by_model(rows, "ResNet-152")["epochs"] = "100@4"
    write(path, rows)
    assert import_reviewed(db, home, [path]).problems == ()
    assert verdicts(home) == {("ResNet-152", "epochs", "100", "add")}
    export_sheet(db, home)
    rows = read(path)
    assert by_model(rows, "ResNet-152")["epochs"] == "100"  # the model's own fact wins, as in build


def _extract(conn: sqlite3.Connection, aid: str, cands: list[Candidate], bench: str) -> None:
    upsert_paper(conn, Paper(aid, 1, f"paper {aid}", benchmarks=(bench,)))
    replace_candidates(conn, aid, 1, cands, extraction={"status": "ok", "rule_version": "t", "pages": 10})


def _flops_under_another_name(home: Home) -> tuple[sqlite3.Connection, Path, list[dict[str, str]]]:
    """A paper whose FLOPs are under `ResNet` and whose metric row is `ResNet-152`, its sheet exported:
    (the store, the sheet, its rows)."""
    conn = connect(home.db_path)
    _extract(conn, P1, [_c(P1, "top1_err", 21.43, 1, model="ResNet-152"),
                        _c(P1, "flops", 11.3e9, 1, model="ResNet", benchmark="")], "imagenet")
    export_sheet(conn, home)
    path = home.root / "review-rows" / "imagenet.csv"
    return conn, path, read(path)


def test_rename_through_the_sheet_joins_flops_to_the_metric_row_after_build(home: Home) -> None:
    """The issue's dropped fact: FLOPs under `ResNet`, the metric row `ResNet-152`; renamed in the sheet, they join."""
    from flopmine.analysis.build import build_from_home

    conn, path, rows = _flops_under_another_name(home)
    assert sorted(r["model"] for r in rows) == ["ResNet", "ResNet-152"]
    for r in rows:
        r["status"] = "reviewed"
    by_model(rows, "ResNet")["model"] = "ResNet-152"
    write(path, rows)
    result = import_reviewed(conn, home, [path], reviewer="alice")
    assert result.problems == ()
    renames = read(home.annotations_dir / "decisions" / "renames.csv")
    assert [(r["arxiv_id"], r["old_model"], r["new_model"], r["reviewer"]) for r in renames] == [
        (P1, "resnet", "ResNet-152", "alice")]
    frame = build_from_home(home).result.frame
    row = frame[frame["model"] == "ResNet-152"].iloc[0]
    assert row["flops"] == 11.3e9 and row["top1_err"] == 21.43
    # exported again: one row, the FLOPs in it; the old sheet imported again changes nothing
    export_sheet(conn, home)
    again = read(path)
    assert [(r["model"], r["flops"], r["status"]) for r in again] == [("ResNet-152", "11300000000", "reviewed")]
    before = (home.annotations_dir / "decisions" / "renames.csv").read_bytes()
    write(path, rows)
    assert import_reviewed(conn, home, [path]).problems == ()
    assert (home.annotations_dir / "decisions" / "renames.csv").read_bytes() == before
    conn.close()


def test_re_export_shows_the_reviewed_facts_build_puts_in_no_row(home: Home) -> None:
    conn, path, rows = _flops_under_another_name(home)
    assert all(r["unjoined"] == "" for r in rows)
    for r in rows:
        r["status"] = "reviewed"
    write(path, rows)
    assert import_reviewed(conn, home, [path]).problems == ()
    export_sheet(conn, home)
    rows = read(path)
    assert by_model(rows, "ResNet")["unjoined"] == "flops: no metric row for this model"
    assert by_model(rows, "ResNet-152")["unjoined"] == ""
    conn.close()


def test_naming_the_row_without_a_model_moves_its_values_to_that_model(home: Home) -> None:
    """Paper-level facts with two models and no "(ours)": build cannot attach them until the reviewer names one."""
    conn = connect(home.db_path)
    _extract(conn, P1, [_c(P1, "top1_err", 21.43, 1, model="ResNet-152"), _c(P1, "top1_err", 28.5, 2, model="VGG-16"),
                        _c(P1, "training_time_hours", 84.0, 1, benchmark="")], "imagenet")
    export_sheet(conn, home)
    path = home.root / "review-rows" / "imagenet.csv"
    rows = read(path)
    unnamed = by_model(rows, "")
    assert unnamed["training_time_hours"] == "84"
    unnamed["model"] = "ResNet-152"
    write(path, rows)
    assert import_reviewed(conn, home, [path]).problems == ()
    assert [(r["decision"], r["corrected_model"]) for r in ledger(home)] == [
        ("correct", "ResNet-152")]
    export_sheet(conn, home)
    assert by_model(read(path), "ResNet-152")["training_time_hours"] == "84"
    conn.close()


def test_formula_like_text_is_neutralised_and_round_trips(home: Home) -> None:
    conn = connect(home.db_path)
    evil = Candidate(P1, 1, "top1_err", 21.43, benchmark="imagenet", model="=HYPERLINK(\"x\")", page=3,
                     snippet="=cmd|' /C calc'!A0", rule="t", confidence=1.0, rank=1)
    _extract(conn, P1, [evil, _c(P1, "hardware", "-V100", 1, benchmark="")], "imagenet")
    export_sheet(conn, home)
    path = home.root / "review-rows" / "imagenet.csv"
    text = path.read_text(encoding="utf-8-sig")
    assert ",'=HYPERLINK" in text.replace('"', "") and ",'-V100," in text
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in read(path) for cell in r.values())
    assert import_reviewed(conn, home, [path]).problems == () and ledger(home) == []
    conn.close()


def test_one_slot_given_two_values_in_a_row_names_the_sheets_columns(db: sqlite3.Connection, home: Home) -> None:
    export_sheet(db, home)
    path = home.root / "review-rows" / "imagenet.csv"
    rows = read(path)
    resnet = by_model(rows, "ResNet-152")
    resnet["top1_err"] = "19.38"  # accept the alternative
    resnet["top1_acc"] = "70@3"  # and the same slot's accuracy as another value
    write(path, rows)
    line = rows.index(resnet) + 2
    with pytest.raises(ReviewError) as e:
        import_reviewed(db, home, [path])
    cols = sorted(p.split(": ", 2)[1] for p in e.value.problems if p.startswith(f"{path}:{line}: "))
    assert cols == ["top1_acc", "top1_err"], e.value.problems
    assert all("decided twice in this file with different values" in p for p in e.value.problems)
    assert ledger(home) == []


def test_cli_review_cost_sheet_rows_prints_both_replays_and_writes_json(db: sqlite3.Connection, home: Home,
                                                                        tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from flopmine.cli import main

    gold = tmp_path / "gold.csv"
    gold.write_text("arxiv_id,benchmark,model,field,value,page\n"
                    f"{P1},imagenet,ResNet-152,top1_err,19.38,3\n{P3},imagenet,MobileNet,top1_acc,70.6,3\n")
    out = tmp_path / "cost.json"
    with pytest.raises(SystemExit) as e:
        main(["--home", str(home.root), "--quiet", "eval", "--review-cost", "--sheet", "rows", "--gold", str(gold),
              "--json", str(out)])
    text = capsys.readouterr().out
    assert e.value.code in (0, None)
    assert "Row sheet vs candidate export on 2 paper(s)" in text and "gold facts right in the dataset" in text
    doc = json.loads(out.read_text())
    assert doc["rows"]["totals"]["gold"] == 2 and doc["rows"]["totals"]["gold_right_in_dataset"] == 2
    assert doc["rows"]["totals"]["from_alternatives"] == 1 and doc["candidates"]["gold_right_in_dataset"] == 2


def test_a_model_whose_result_is_shown_keeps_its_cost_slots_below_the_slot_rank() -> None:
    """A results table gives ten models ten FLOPs values: those of the models whose score is shown are
    shown too, even when the field's ranking puts them past ``--slot-rank``; a model without a shown
    result does not gain a slot."""
    from flopmine.review.slots import build_slots, shown_slots
    from flopmine.review.store import attach

    models = [f"Net-{i}" for i in range(10)]
    # scores ranked best for the last models, costs ranked best for the first ones
    cands = [_c(P1, "top1_err", 20.0 + i, 10 - i, model=m) for i, m in enumerate(models) if i >= 4]
    cands += [_c(P1, "flops", 1e9 * (i + 1), 1 + i, model=m, benchmark="") for i, m in enumerate(models)]
    cands += [_c(P1, "params", 1e6 * (i + 1), 1 + i, model=m, benchmark="") for i, m in enumerate(models)]
    slots = build_slots(attach(cands, [])[0])
    shown = {(s.key.field, s.key.model) for s in shown_slots(slots, 2)}
    assert {m for f, m in shown if f == "top1_acc"} == {"net-9", "net-8"}
    for field_name in ("flops", "params"):
        # Net-0, Net-1 by the field's own ranking; Net-8, Net-9 beside their shown scores; not Net-4 … Net-7
        assert {m for f, m in shown if f == field_name} == {"net-0", "net-1", "net-8", "net-9"}
    assert {(s.key.field, s.key.model) for s in shown_slots(slots, None)} >= shown


def test_a_folder_pdfs_row_takes_the_title_read_from_the_pdf(home: Home) -> None:
    """A paper extracted from a folder has no arXiv title: its rows carry the PDF's own, as build's rows do."""
    conn = connect(home.db_path)
    try:
        replace_candidates(conn, P3, 1, [_c(P3, "top1_acc", 70.6, 1, model="MobileNet")],
                           extraction={"status": "ok", "rule_version": "t", "pages": 10,
                                       "pdf_title": "MobileNets: Efficient Convolutional Neural Networks"})
        export_sheet(conn, home)
    finally:
        conn.close()
    row = by_model(read(home.root / "review-rows" / "imagenet.csv"), "MobileNet")
    assert row["title"] == "MobileNets: Efficient Convolutional Neural Networks"
