"""Retargeting a fact's model, benchmark and field as ledger decisions, and model renames (issue 18, item 2)."""

from __future__ import annotations

import csv
import io
import math
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flopmine import review
from flopmine.analysis.build import FactTable, build_dataset, build_from_home
from flopmine.config import Home
from flopmine.errors import ReviewError
from flopmine.review import annotations as ann
from flopmine.review.decision import LEDGER_COLUMNS, Decision, exported_state
from flopmine.review.renames import RENAMES_FILE, load_renames
from flopmine.review.slots import current_slots
from flopmine.review.store import cached_decision
from flopmine.review.validate import validate_files
from flopmine.store import connect, replace_candidates, upsert_paper
from flopmine.types import Candidate, Fact, Paper
from tests.support.annotation_files import fact_file, ledger_file
from tests.test_review import row_for, write_sheet

P = "1512.03385"


def _c(field: str, value: float | str, model: str = "", benchmark: str = "imagenet", page: int = 3,
       rank: int = 1, version: int = 1) -> Candidate:
    return Candidate(P, version, field, value, benchmark=benchmark, model=model, page=page, rule="t",
                     confidence=0.5, rank=rank, snippet=f"{value}")


TOP1_152 = _c("top1_err", 19.38, "ResNet-152")
TOP1_50 = _c("top1_err", 22.85, "ResNet-50")
TOP1_101 = _c("top1_err", 21.75, "ResNet-101")
C10_50 = _c("err", 6.97, "ResNet-50", benchmark="cifar10")
FLOPS_RESNET = _c("flops", 11.3e9, "ResNet")  # the fact: the right value under a wrong name
TIME = _c("training_time_hours", 336.0, "", page=5)  # a paper-level time of the ImageNet runs
EPOCHS_A = _c("epochs", 90.0, "", benchmark="", page=4)
EPOCHS_B = _c("epochs", 160.0, "", benchmark="", page=6, rank=2)
TOP5_AS_TOP1 = _c("top1_err", 4.49, "ResNet-152", page=9, rank=3)  # a top-5 error filed as top-1
NO_BENCH = _c("box_ap", 73.2, "Faster R-CNN", benchmark="", page=10)  # extracted without its benchmark
CANDS = [TOP1_152, TOP1_50, TOP1_101, C10_50, FLOPS_RESNET, TIME, EPOCHS_A, EPOCHS_B, TOP5_AS_TOP1, NO_BENCH]


@pytest.fixture
def db(home: Home) -> Iterator[sqlite3.Connection]:
    conn = connect(home.db_path)
    upsert_paper(conn, Paper(P, 1, "Deep Residual Learning", benchmarks=("imagenet", "cifar10")))
    replace_candidates(conn, P, 1, CANDS, extraction={"status": "ok", "rule_version": "t", "pages": 12})
    yield conn
    conn.close()


def sheet(path: Path, rows: list[dict[str, object]]) -> Path:
    return write_sheet(path, rows, bom=False)


def imported(db: sqlite3.Connection, home: Home, tmp_path: Path, rows: list[dict[str, object]],
             name: str = "r.csv") -> review.ImportReport:
    return review.import_files(db, home, [sheet(tmp_path / name, rows)], reviewer="alice")


def built(home: Home) -> tuple[pd.DataFrame, pd.DataFrame]:
    out = build_from_home(home, gflops_lookup=lambda _n: None)
    return out.result.frame, out.result.unjoined


def cell(frame: pd.DataFrame, benchmark: str, model: str, column: str) -> object:
    hit = frame[(frame["benchmark"] == benchmark) & (frame["model"] == model)]
    assert len(hit) == 1, (benchmark, model, frame[["benchmark", "model"]])
    return hit.iloc[0][column]


# ---------------------------------------------------------------- the tests


def test_rename_of_resnet_to_resnet_152_joins_the_flops_to_the_metric_row(db: sqlite3.Connection, home: Home,
                                                                          tmp_path: Path) -> None:
    imported(db, home, tmp_path, [row_for(TOP1_152, decision="accept"), row_for(FLOPS_RESNET, decision="accept")])
    frame, unjoined = built(home)
    assert math.isnan(cell(frame, "imagenet", "ResNet-152", "flops"))  # type: ignore[arg-type]
    assert list(unjoined["candidate_id"]) == [FLOPS_RESNET.candidate_id]

    report = review.rename_model(db, home, P, "ResNet", "ResNet-152", "alice")
    assert (report.facts, report.candidates, report.withdrawn) == (1, 1, False)
    frame, unjoined = built(home)
    assert cell(frame, "imagenet", "ResNet-152", "flops") == 11.3e9
    assert unjoined.empty
    # the ledger keeps the decision as made; the rename is its own record, old → new
    assert cached_decision(db, FLOPS_RESNET.candidate_id).model == "ResNet"  # type: ignore[union-attr]
    (r,) = load_renames(home.annotations_dir).values()
    assert (r.old_model, r.new_model, r.reviewer) == ("ResNet", "ResNet-152", "alice")


def test_a_rename_applies_to_facts_a_later_extraction_finds(db: sqlite3.Connection, home: Home,
                                                          tmp_path: Path) -> None:
    review.rename_model(db, home, P, "resnet", "ResNet-152", "alice")  # case does not matter
    params = _c("params", 60.2e6, "ResNet (ours)", version=2)
    replace_candidates(db, P, 2, [*[_c(c.field, c.value, c.model, c.benchmark, version=2) for c in CANDS], params],
                       extraction={"status": "ok", "rule_version": "t", "pages": 12})
    imported(db, home, tmp_path, [row_for(_c("top1_err", 19.38, "ResNet-152", version=2), decision="accept"),
                                  row_for(params, decision="accept")])
    frame, unjoined = built(home)
    assert cell(frame, "imagenet", "ResNet-152", "params") == 60.2e6 and unjoined.empty
    # the candidates under both names share a slot: one accept settles it
    flops = [s for s in current_slots(db, home) if s.key.field == "flops"]
    assert [s.key.model for s in flops] == ["resnet-152"]


def test_paper_level_time_attached_to_two_own_models_reaches_both_rows_never_another_benchmark(
        db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    imported(db, home, tmp_path, [
        row_for(TOP1_50, decision="accept"), row_for(TOP1_101, decision="accept"), row_for(C10_50, decision="accept"),
        row_for(TIME, decision="correct", model="ResNet-50; ResNet-101")])
    frame, unjoined = built(home)
    assert cell(frame, "imagenet", "ResNet-50", "training_time_hours") == 336.0
    assert cell(frame, "imagenet", "ResNet-101", "training_time_hours") == 336.0
    assert math.isnan(cell(frame, "cifar10", "ResNet-50", "training_time_hours"))  # type: ignore[arg-type]
    assert unjoined.empty
    # one decision in the ledger, one fact per model in the fact file
    d = cached_decision(db, TIME.candidate_id)
    assert d is not None and d.decision == "correct" and d.final_models == ("ResNet-50", "ResNet-101")
    facts = [f for f in review.load_facts(home.annotations_dir) if f.field == "training_time_hours"]
    assert sorted(f.model for f in facts) == ["ResNet-101", "ResNet-50"]


def test_a_compute_fact_joins_rows_of_its_own_benchmark_only() -> None:
    """The issue's 336 h: named for ResNet-50 on ImageNet, it never reaches the model's CIFAR-10 row."""
    facts = [Fact(P, 1, "top1_err", 22.85, benchmark="imagenet", model="ResNet-50", candidate_id="m1"),
             Fact(P, 1, "err", 6.97, benchmark="cifar10", model="ResNet-50", candidate_id="m2"),
             Fact(P, 1, "training_time_hours", 336.0, benchmark="imagenet", model="ResNet-50", candidate_id="t"),
             Fact(P, 1, "epochs", 160.0, benchmark="cifar10", model="ResNet-50", candidate_id="e"),
             Fact(P, 1, "params", 25.6e6, model="ResNet-50", candidate_id="p")]  # no benchmark: every row
    frame = build_dataset(FactTable.from_facts(facts), gflops_lookup=lambda _n: None).frame
    assert cell(frame, "imagenet", "ResNet-50", "training_time_hours") == 336.0
    assert math.isnan(cell(frame, "cifar10", "ResNet-50", "training_time_hours"))  # type: ignore[arg-type]
    assert cell(frame, "cifar10", "ResNet-50", "epochs") == 160.0
    assert math.isnan(cell(frame, "imagenet", "ResNet-50", "epochs"))  # type: ignore[arg-type]
    assert cell(frame, "imagenet", "ResNet-50", "params") == cell(frame, "cifar10", "ResNet-50", "params") == 25.6e6


def test_a_stale_csv_refuses_a_retarget_of_a_decision_changed_since_export(db: sqlite3.Connection, home: Home,
                                                                           tmp_path: Path) -> None:
    out = review.export(db, home, tmp_path / "export", top=None, slot_rank=None)
    exported = {r["candidate_id"]: r for p in out.files for r in csv.DictReader(p.open(encoding="utf-8-sig"))}
    # meanwhile someone accepts the FLOPs as they are
    imported(db, home, tmp_path, [row_for(FLOPS_RESNET, decision="accept")], name="bob.csv")
    stale = {**exported[FLOPS_RESNET.candidate_id], "model": "ResNet-152", "decision": "correct"}
    with pytest.raises(ReviewError) as e:
        imported(db, home, tmp_path, [stale])
    assert "r.csv:2: decision: changed by alice" in "\n".join(e.value.problems)
    assert cached_decision(db, FLOPS_RESNET.candidate_id).corrected_model is None  # type: ignore[union-attr]


# ---------------------------------------------------------------- correct as a retarget


def test_field_relabel_is_one_correct_and_the_ledger_keeps_old_and_new(db: sqlite3.Connection, home: Home,
                                                                        tmp_path: Path) -> None:
    report = imported(db, home, tmp_path, [row_for(TOP5_AS_TOP1, field="top5_err")])  # decision left empty
    assert report.report is not None and report.report.counts()["correct"] == 1
    with ledger_file(home.annotations_dir, P).open(encoding="utf-8") as fh:
        (ledger,) = list(csv.DictReader(fh))
    assert (ledger["field"], ledger["corrected_field"], ledger["decision"]) == ("top1_err", "top5_err", "correct")
    (fact,) = review.load_facts(home.annotations_dir)
    assert (fact.field, fact.value, fact.model, fact.benchmark) == ("top5_err", 4.49, "ResNet-152", "imagenet")


def test_a_relabel_across_accuracy_and_error_is_no_conflict(db: sqlite3.Connection, home: Home,
                                                             tmp_path: Path) -> None:
    from flopmine.review.conflicts import find_conflicts

    imported(db, home, tmp_path, [row_for(TOP1_152, decision="correct", field="top1_acc", corrected_value="80.62"),
                                  row_for(TIME, decision="correct", model="ResNet-50; ResNet-101")])
    (fact, *_) = [f for f in review.load_facts(home.annotations_dir) if f.field == "top1_acc"]
    assert fact.value == 80.62
    assert find_conflicts(home.annotations_dir) == []


def test_benchmark_retarget_moves_the_fact_between_fact_files(db: sqlite3.Connection, home: Home,
                                                              tmp_path: Path) -> None:
    imported(db, home, tmp_path, [row_for(TOP1_50, decision="accept")])
    assert fact_file(home.annotations_dir, "imagenet", P).is_file()
    was = exported_state(cached_decision(db, TOP1_50.candidate_id))  # what an export would show now
    imported(db, home, tmp_path, [row_for(TOP1_50, decision="correct", benchmark="CIFAR-10", field="err",
                                      exported_decision=was)], name="s.csv")
    facts = review.load_facts(home.annotations_dir)
    assert [(f.benchmark, f.field, f.value) for f in facts] == [("cifar10", "err", 22.85)]
    assert "ResNet-50" not in fact_file(home.annotations_dir, "imagenet", P).read_text(encoding="utf-8")


def test_an_export_shows_the_retargeted_names_and_reimports_as_nothing(db: sqlite3.Connection, home: Home,
                                                                       tmp_path: Path) -> None:
    imported(db, home, tmp_path, [row_for(FLOPS_RESNET, decision="correct", model="ResNet-152")])
    out = review.export(db, home, tmp_path / "export", top=None, slot_rank=None)
    rows = {r["candidate_id"]: r for p in out.files for r in csv.DictReader(p.open(encoding="utf-8-sig"))}
    assert rows[FLOPS_RESNET.candidate_id]["model"] == "ResNet-152"
    again = review.import_files(db, home, out.files)
    assert again.report is not None and not again.report.applied and not again.problems
    # the candidate's own model again, accepted: the retarget is withdrawn
    back = {**rows[FLOPS_RESNET.candidate_id], "model": "ResNet", "decision": "accept"}
    imported(db, home, tmp_path, [back], name="back.csv")
    assert cached_decision(db, FLOPS_RESNET.candidate_id).corrected_model is None  # type: ignore[union-attr]


def test_model_less_candidates_are_a_slot_each(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    epochs = [s for s in current_slots(db, home) if s.key.field == "epochs"]
    assert len(epochs) == 2
    imported(db, home, tmp_path, [row_for(EPOCHS_A, decision="accept")])
    epochs = [s for s in current_slots(db, home) if s.key.field == "epochs"]
    assert sorted(s.is_open for s in epochs) == [False, True]  # accepting one hides no other
    # naming its model moves the other into that model's slot
    imported(db, home, tmp_path, [row_for(EPOCHS_B, decision="correct", model="ResNet-50")], name="s.csv")
    keys = {s.key.model for s in current_slots(db, home) if s.key.field == "epochs"}
    assert keys == {"", "resnet-50"}


def test_an_old_ledger_without_retarget_columns_still_reads_and_is_upgraded(db: sqlite3.Connection, home: Home,
                                                                          tmp_path: Path) -> None:
    imported(db, home, tmp_path, [row_for(TOP1_152, decision="accept")])
    path = ledger_file(home.annotations_dir, P)
    old_columns = [c for c in LEDGER_COLUMNS if not c.startswith("corrected_") or c == "corrected_value"]
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=old_columns, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    (d,) = ann.load_ledger(home.annotations_dir).decisions.values()
    assert d.decision == "accept" and not d.is_retarget
    imported(db, home, tmp_path, [row_for(FLOPS_RESNET, decision="correct", model="ResNet-152")], name="s.csv")
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == list(LEDGER_COLUMNS) and len(ann.load_ledger(home.annotations_dir)) == 2


def test_rename_refuses_an_unknown_model_and_renaming_back_withdraws_it(db: sqlite3.Connection, home: Home) -> None:
    with pytest.raises(ReviewError, match="no candidate or reviewed fact of the paper is under that model"):
        review.rename_model(db, home, P, "ResNet-1000", "ResNet-152")
    with pytest.raises(ReviewError, match="the new model name is empty"):
        review.rename_model(db, home, P, "ResNet", " ")
    review.rename_model(db, home, P, "ResNet", "ResNet-152")
    assert load_renames(home.annotations_dir)
    assert review.rename_model(db, home, P, "ResNet", "resnet").withdrawn
    assert not load_renames(home.annotations_dir)
    assert (home.annotations_dir / RENAMES_FILE).read_text(encoding="utf-8").count("\n") == 1  # the header


def test_a_metric_without_benchmark_is_decided_as_before_and_retargeted_with_one(db: sqlite3.Connection,
                                                                                   home: Home, tmp_path: Path) -> None:
    """The demo's reviewer rejects (or leaves pending) metric candidates the extractor found no benchmark for."""
    report = imported(db, home, tmp_path, [row_for(NO_BENCH, decision="reject"), row_for(NO_BENCH, decision="",
                                                                                 candidate_id="")])
    assert report.report is not None and report.report.counts()["reject"] == 1
    with pytest.raises(ReviewError, match="benchmark: required: ap50 is a metric of a benchmark"):
        imported(db, home, tmp_path, [row_for(NO_BENCH, decision="correct", field="ap50",
                                          exported_decision=exported_state(cached_decision(db, NO_BENCH.candidate_id)))],
                 name="s.csv")
    imported(db, home, tmp_path, [row_for(NO_BENCH, decision="correct", benchmark="coco",
                                      exported_decision=exported_state(cached_decision(db, NO_BENCH.candidate_id)))],
             name="t.csv")
    assert [(f.benchmark, f.field) for f in review.load_facts(home.annotations_dir)] == [("coco", "box_ap")]


def test_a_model_cell_of_a_dash_or_empty_clears_the_model(db: sqlite3.Connection, home: Home,
                                                           tmp_path: Path) -> None:
    imported(db, home, tmp_path, [row_for(FLOPS_RESNET, decision="correct", model="-")])
    d = cached_decision(db, FLOPS_RESNET.candidate_id)
    assert d is not None and d.corrected_model == "" and d.final_model == ""
    (fact,) = review.load_facts(home.annotations_dir)
    assert fact.model == ""
    again = imported(db, home, tmp_path, [row_for(FLOPS_RESNET, decision="correct", model="",
                                              exported_decision=exported_state(d))], name="s.csv")
    assert again.report is not None and not again.report.applied  # the same verdict


def test_to_facts_and_verdicts_of_a_retarget() -> None:
    plain = Decision("correct", P, 1, "top1_err", 4.49, benchmark="imagenet", model="R", candidate_id="c",
                     corrected_value=4.5)
    moved = Decision("correct", P, 1, "top1_err", 4.49, benchmark="imagenet", model="R", candidate_id="c",
                     corrected_value=4.5, corrected_field="top5_err")
    assert plain.verdict != moved.verdict and not plain.same_verdict(moved)
    assert Decision.from_row({k: str(v) for k, v in moved.to_row().items()}) == moved
    cleared = Decision("correct", P, 1, "epochs", 90.0, benchmark="imagenet", candidate_id="c", corrected_benchmark="")
    assert Decision.from_row({k: str(v) for k, v in cleared.to_row().items()}).final_benchmark == ""
    assert [f.benchmark for f in cleared.to_facts()] == [""]


# ---------------------------------------------------------------- any text in the retarget cells


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
_CELLS = st.one_of(_TEXT, st.sampled_from(["ResNet-152", "a; b", "", "imagenet", "CIFAR-10", "top5_err", "flops",
                                            "hardware", "=1+1", "paper_facts", "-", "epochs"]))


@pytest.fixture(scope="module")
def fuzz_home() -> Iterator[tuple[sqlite3.Connection, Path]]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Home(root=Path(tmp) / "home")
        home.root.mkdir()
        conn = connect(home.db_path)
        upsert_paper(conn, Paper(P, 1, "Deep Residual Learning", benchmarks=("imagenet",)))
        replace_candidates(conn, P, 1, CANDS, extraction={"status": "ok", "rule_version": "t", "pages": 12})
        review.refresh(conn, home)
        yield conn, Path(tmp)
        conn.close()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from(CANDS), decision=st.sampled_from(["", "accept", "correct", "reject", "add"]),
       model=_CELLS, benchmark=_CELLS, field=_CELLS,
       corrected=st.one_of(st.just(""), st.sampled_from(["7", "1e9", "V100", "x"])))
def test_edited_model_benchmark_field_cells_give_a_problem_or_a_decision(
        fuzz_home: tuple[sqlite3.Connection, Path], which: Candidate, decision: str, model: str, benchmark: str,
        field: str, corrected: str) -> None:
    conn, tmp = fuzz_home
    path = sheet(tmp / "fuzz.csv", [row_for(which, decision=decision, model=model, benchmark=benchmark, field=field,
                                        corrected_value=corrected)])
    decisions, problems, _rows = validate_files(conn, [path])
    for p in problems:
        assert str(p).startswith(f"{path}:") and p.column and p.message
    for d in decisions:
        facts = d.to_facts()
        assert all(f.field and (f.benchmark or f.field not in ("top1_err", "top5_err", "err")) for f in facts)
        assert Decision.from_row({k: str(v) for k, v in d.to_row().items()}).same_verdict(d)


def test_cli_rename(db: sqlite3.Connection, home: Home, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from flopmine.cli import main

    imported(db, home, tmp_path, [row_for(FLOPS_RESNET, decision="accept")])
    with pytest.raises(SystemExit) as e:
        main(["--home", str(home.root), "review", "rename", P, "ResNet", "ResNet-152", "--reviewer", "bob"])
    assert e.value.code in (0, None)
    assert "'ResNet' → 'ResNet-152' (1 reviewed fact(s), 1 candidate(s) under the old name)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main(["--home", str(home.root), "review", "rename", P, "AlexNet", "ResNet-152"])
    assert e.value.code == 1 and "no candidate or reviewed fact of the paper is under that model" in capsys.readouterr().err


def test_renames_and_decisions_made_at_once_are_all_kept(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    """A rename takes the annotations lock of every decision: concurrent renames and imports lose nothing."""
    import threading

    errors: list[BaseException] = []
    rows = [row_for(c, decision="accept") for c in (TOP1_152, TOP1_50, TOP1_101, C10_50)]

    def decide(i: int) -> None:
        conn = connect(home.db_path)
        try:
            imported(conn, home, tmp_path, [rows[i]], name=f"t{i}.csv")
        except BaseException as e:  # reported below
            errors.append(e)
        finally:
            conn.close()

    def rename(new: str) -> None:
        conn = connect(home.db_path)
        try:
            review.rename_model(conn, home, P, "ResNet", new, "alice")
        except BaseException as e:
            errors.append(e)
        finally:
            conn.close()

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(4)]
    threads += [threading.Thread(target=rename, args=(f"ResNet-{n}",)) for n in (152, 101)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(ann.load_ledger(home.annotations_dir)) == 4
    (r,) = load_renames(home.annotations_dir).values()
    assert r.new_model in ("ResNet-152", "ResNet-101")


def test_the_browser_lists_a_renamed_candidate_in_the_slot_of_its_new_name(db: sqlite3.Connection,
                                                                            home: Home) -> None:
    """After ResNet → ResNet-152, the browser's slot list for the FLOPs holds both names' candidates: the
    walk takes each candidate's slot from the review library (renames and retargets), not its raw name."""
    from flopmine.review.renames import rename_model
    from flopmine.review.web import backend
    from flopmine.review.web.walk import Walk

    flops_152 = _c("flops", 11.5e9, "ResNet-152", page=4, rank=2)
    replace_candidates(db, P, 1, [*CANDS, flops_152], extraction={"status": "ok", "rule_version": "t", "pages": 12})
    before = Walk.build(backend.paper_scope(db, home, (P, 1), None))
    assert [c.candidate_id for c in before.slot_members(FLOPS_RESNET)] == [FLOPS_RESNET.candidate_id]
    rename_model(db, home, P, "ResNet", "ResNet-152", "alice")
    walk = Walk.build(backend.paper_scope(db, home, (P, 1), None))
    members = {c.candidate_id for c in walk.slot_members(FLOPS_RESNET)}
    assert members == {FLOPS_RESNET.candidate_id, flops_152.candidate_id}
    assert {c.candidate_id for c in walk.slot_members(flops_152)} == members
    # accepting one settles the other: it is superseded in the browser as in the export
    after = walk.with_decision(flops_152.candidate_id, "accept")
    assert after.decision(FLOPS_RESNET.candidate_id) == "superseded"


def test_a_chained_rename_counts_what_it_moves(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    """ResNet → ResNet-152, then ResNet-152 → ResNet-152 (ours, 224): the second rename moves the candidate
    first named ResNet as well, and says so; renaming the first name again counts it too."""
    imported(db, home, tmp_path, [row_for(FLOPS_RESNET, decision="accept")])
    assert review.rename_model(db, home, P, "ResNet", "ResNet-152").candidates >= 1
    direct = sum(1 for r in db.execute("SELECT model FROM candidates WHERE arxiv_id = ?", (P,))
                 if r["model"] in ("ResNet", "ResNet-152"))
    chained = review.rename_model(db, home, P, "ResNet-152", "ResNet-152 224")
    assert (chained.facts, chained.candidates) == (1, direct)
    again = review.rename_model(db, home, P, "ResNet", "ResNet-152 320")
    assert again.facts == 1 and again.candidates >= 1
