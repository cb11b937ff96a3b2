"""What the review offers (issue 18 item 3): ``--pending-only`` exports what ``status`` counts as pending;
facts added by hand come back in later exports; metric candidates no benchmark of the paper can take are
not offered."""

from __future__ import annotations

import csv
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from flopmine import review
from flopmine.cli import app
from flopmine.config import Home
from flopmine.review.assign import import_reviewed
from flopmine.review.offer import NO_BENCHMARK, OTHER_DATASET, dataset_named_at, not_offered_reason
from flopmine.store import connect, replace_candidates, upsert_paper
from flopmine.types import Candidate, Paper

PAPER = "1512.03385"


def _extract(conn: sqlite3.Connection, cands: list[Candidate], *, benchmarks: tuple[str, ...] = ("imagenet",),
             named: tuple[str, ...] | None = ("imagenet",)) -> None:
    with conn:
        upsert_paper(conn, Paper(PAPER, 1, "Deep Residual Learning", benchmarks=benchmarks))
    replace_candidates(conn, PAPER, 1, cands,
                       extraction={"status": "ok", "rule_version": "t", "pages": 12, "benchmarks_named": named})


def _top1(value: float, model: str, rank: int) -> Candidate:
    return Candidate(PAPER, 1, "top1_err", value, benchmark="imagenet", model=model, unit="%", page=6,
                     raw=f"{value}", snippet=f"{model} {value} on ImageNet", rule="table.geometry",
                     confidence=1 / rank, rank=rank)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.fixture
def db(home: Home) -> Iterator[sqlite3.Connection]:
    conn = connect(home.db_path)
    yield conn
    conn.close()


# ---------------------------------------------------------------- pending: one definition


def _decide(conn: sqlite3.Connection, home: Home, tmp_path: Path, decisions: dict[str, str]) -> None:
    """Export everything, fill ``decisions`` (candidate id → decision) in and import."""
    out = tmp_path / "all"
    review.export(conn, home, out, top=None, slot_rank=None)
    rows = _rows(out / "imagenet.csv")
    for r in rows:
        r["decision"] = decisions.get(r["candidate_id"], "")
    result = import_reviewed(conn, home, [_write(tmp_path / "decided.csv", rows)], reviewer="ann")
    assert not result.problems, result.problems


def test_pending_only_exports_what_status_counts(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    # one model with five candidates (the top three rejected: two more wait below the slot's top), and six
    # other models' slots of one field (two of them below the field's slot rank): the home of the issue, where
    # status counted pending candidates the default export never showed ("Nothing to export")
    resnet = [_top1(20.0 + i, "ResNet-152", rank) for i, rank in enumerate((1, 3, 5, 9, 10))]
    others = [_top1(30.0 + i, f"Net-{i}", rank) for i, rank in enumerate((2, 4, 6, 7, 8, 11))]
    _extract(db, resnet + others)
    _decide(db, home, tmp_path, {c.candidate_id: "reject" for c in [*resnet[:3], others[0]]})
    report = review.export(db, home, tmp_path / "pending", pending_only=True)
    st = review.status(db, home)
    assert st.pending == report.pending == report.rows
    exported = {r["candidate_id"] for r in _rows(tmp_path / "pending" / "imagenet.csv")} if report.rows else set()
    # the slot rank keeps the slots whose best candidate is among the field's best 4 (ResNet-152, Net-0, Net-1)
    # plus decided ones: only Net-1 is pending there; ResNet-152's last two and Net-2..5 are hidden
    assert exported == {others[1].candidate_id}
    assert st.hidden == 2 + 4
    everything = review.export(db, home, tmp_path / "every", pending_only=True, top=None, slot_rank=None)
    assert review.status(db, home, top=None, slot_rank=None).pending == everything.rows == 2 + 5


def test_status_and_export_scope_a_benchmark_the_same_way(db: sqlite3.Connection, home: Home,
                                                          tmp_path: Path) -> None:
    # a paper harvested for imagenet whose candidates are all paper-level: status used to leave it out of
    # `--benchmark imagenet`, while the export (which also reads the harvest's benchmarks) showed it
    epochs = Candidate(PAPER, 1, "epochs", 90.0, unit="epochs", page=4, snippet="90 epochs", rule="epochs.text",
                       confidence=0.7, rank=1)
    _extract(db, [epochs])
    report = review.export(db, home, tmp_path / "e", benchmark="imagenet", pending_only=True)
    assert review.status(db, home, benchmark="imagenet").pending == report.rows == 1


def test_the_cli_says_the_same_pending_count(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    _extract(db, [_top1(20.0 + i, "ResNet-152", i + 1) for i in range(5)])
    runner = CliRunner()
    status_out = runner.invoke(app, ["--home", str(home.root), "review", "status"], env={"COLUMNS": "200"})
    export_out = runner.invoke(app, ["--home", str(home.root), "review", "export", "--pending-only",
                                     "--out", str(tmp_path / "x")], env={"COLUMNS": "200"})
    assert status_out.exit_code == 0 and export_out.exit_code == 0, status_out.output + export_out.output
    assert "Exported 3 row(s)" in export_out.output and "3 pending" in export_out.output
    assert "Hidden: 2 pending" in status_out.output


# ---------------------------------------------------------------- facts added by hand


def test_added_facts_come_back_in_later_exports_and_import_unchanged(db: sqlite3.Connection, home: Home,
                                                                     tmp_path: Path) -> None:
    _extract(db, [_top1(21.43, "ResNet-152", 1)])
    added = [{"candidate_id": "", "arxiv_id": PAPER, "benchmark": "imagenet", "model": "ResNet-152",
              "field": "top5_err", "value": "4.49", "unit": "%", "page": "6", "decision": "add", "note": "table 4"},
             {"candidate_id": "", "arxiv_id": PAPER, "benchmark": "", "model": "ResNet-152",
              "field": "training_time_hours", "value": "480", "unit": "h", "page": "5", "decision": "add",
              "note": ""}]
    result = import_reviewed(db, home, [_write(tmp_path / "add.csv", added)], reviewer="ann")
    assert not result.problems and result.report is not None and len(result.report.applied) == 2
    report = review.export(db, home, tmp_path / "out")
    assert report.added == 2
    metric = [r for r in _rows(tmp_path / "out" / "imagenet.csv") if r["decision"] == "add"]
    paper = [r for r in _rows(tmp_path / "out" / "paper_facts.csv") if r["decision"] == "add"]
    assert [(r["field"], r["value"], r["status"], r["reviewer"]) for r in metric] == [("top5_err", "4.49", "added", "ann")]
    assert [(r["field"], r["value"], r["status"]) for r in paper] == [("training_time_hours", "480", "added")]
    # the exported sheets, imported untouched, decide nothing
    again = import_reviewed(db, home, [tmp_path / "out" / "imagenet.csv", tmp_path / "out" / "paper_facts.csv"])
    assert not again.problems, again.problems
    assert again.report is not None and not again.report.applied and len(again.report.unchanged) == 2
    # decided, so not in a pending-only export
    assert review.export(db, home, tmp_path / "p", pending_only=True).added == 0


# ---------------------------------------------------------------- metrics no benchmark of the paper can take


def test_dataset_named_at_the_value() -> None:
    assert dataset_named_at("On PASCAL VOC 2007 our detector reaches 73.2% mAP", "73.2") == "other:pascal voc"
    assert dataset_named_at("ResNet-152 reaches 78.6% top-1 on ImageNet. Cityscapes: Sec. 6.", "78.6") == "imagenet"
    assert dataset_named_at("no dataset here 12.5", "12.5") is None
    assert dataset_named_at("PASCAL VOC", "") is None


def test_no_benchmark_and_other_papers_benchmarks_are_not_offered() -> None:
    box = Candidate(PAPER, 1, "box_ap", 37.4, model="Faster R-CNN", raw="37.4", snippet="37.4 box AP on VOC")
    assert not_offered_reason(box, frozenset({"imagenet"})) == NO_BENCHMARK
    squad = Candidate(PAPER, 1, "f1", 88.5, benchmark="squad11", raw="88.5", snippet="F1 of 88.5")
    assert not_offered_reason(squad, frozenset({"imagenet"})) == "benchmark not the paper's"
    assert not_offered_reason(squad, None) is None  # the paper's benchmarks unknown: nothing left out for them
    epochs = Candidate(PAPER, 1, "epochs", 90.0, raw="90", snippet="90 epochs on PASCAL VOC")
    assert not_offered_reason(epochs, frozenset()) is None  # compute facts are always offered


def _pascal_paper(path: Path) -> Path:
    from tests.support import pdfs

    return pdfs.text_pdf(path, [
        "Deep Residual Learning for Image Recognition\n"
        "We evaluate on ImageNet. Our ResNet-152 achieves 78.6% top-1 accuracy on ImageNet.\n"
        "ResNet-152 has 60.2M parameters and is trained for 90 epochs.",
        "Object detection. We also transfer the model to detection.\n"
        "On PASCAL VOC 2007, our detector reaches 73.2% accuracy with ResNet-152.\n"
        "More text about the detection experiments and the training schedule."])


def test_a_pascal_voc_value_is_not_offered_as_imagenet_top1(home: Home, tmp_path: Path) -> None:
    from flopmine.extract import pipeline

    pdf = _pascal_paper(tmp_path / "in" / "1512.03385v1.pdf")
    conn = connect(home.db_path)
    try:
        with conn:
            upsert_paper(conn, Paper(PAPER, 1, "Deep Residual Learning", benchmarks=("imagenet",)))
        summary = pipeline.run(conn, pipeline.inputs_from_paths([pdf]), workers=1, limits=pipeline.Limits(timeout=0))
        assert summary.by_status == {"ok": 1}
        assert conn.execute("SELECT benchmarks_named FROM extractions").fetchone()[0] == "imagenet"
        stored = [Candidate.from_row(r) for r in conn.execute("SELECT * FROM candidates")]
        # the extraction rules drop a result whose sentence places it on another dataset (other_dataset_result) …
        assert not [c for c in stored if abs(float(c.value) - 73.2) < 1e-9], [(c.field, c.value) for c in stored]
        # … and the review's offer leaves it out where a store holds one anyway (an older extractor's candidates)
        pascal = Candidate(PAPER, 1, "top1_acc", 73.2, benchmark="imagenet", model="ResNet-152", unit="%", page=2,
                           raw="73.2", snippet="On PASCAL VOC 2007, our detector reaches 73.2% accuracy with ResNet-152.",
                           rule="metric.num_accuracy", confidence=0.5, rank=len(stored) + 1)
        replace_candidates(conn, PAPER, 1, [*stored, pascal], extraction={
            "status": "ok", "rule_version": "t", "pages": 2, "benchmarks_named": ("imagenet",)})
        report = review.export(conn, home, tmp_path / "out", top=None, slot_rank=None)
        values = {(r["field"], r["value"]) for r in _rows(tmp_path / "out" / "imagenet.csv")}
        assert ("top1_acc", "78.6") in values
        assert not any(v == "73.2" for _, v in values)
        assert dict(report.left_out).get(OTHER_DATASET, 0) >= 1
        st = review.status(conn, home, top=None, slot_rank=None)
        assert dict(st.left_out) == dict(report.left_out)
    finally:
        conn.close()


_MODELS = ("ResNet-152", "ResNet-50", "VGG-16", "Net-A")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_MODELS), st.integers(1, 30), st.sampled_from(["", "accept", "reject"])),
                min_size=1, max_size=14, unique_by=lambda t: t[1]),
       st.sampled_from([(3, 4), (1, 1), (2, 3), (None, None)]))
def test_status_pending_is_what_pending_only_exports_for_any_review(rows: list[tuple[str, int, str]],
                                                                     limits: tuple[int | None, int | None]) -> None:
    """Any candidates (models, ranks) and any decisions: status's pending and hidden add up to every undecided,
    unsuperseded candidate, and its pending is the pending-only export's row count, at the same limits."""
    from flopmine.config import resolve_home
    from flopmine.review.apply import apply
    from flopmine.review.validate import validate_rows

    top, slot_rank = limits
    with tempfile.TemporaryDirectory() as tmp:
        home = resolve_home(Path(tmp) / "home")
        conn = connect(home.db_path)
        try:
            cands = [_top1(10.0 + rank, model, rank) for model, rank, _ in rows]
            _extract(conn, cands)
            decided: list[dict[str, str]] = []
            accepted: set[str] = set()  # one accept per slot: an import refuses two accepted values in one slot
            for c, (model, _, decision) in zip(cands, rows, strict=True):
                if decision == "accept" and model in accepted:
                    decision = "reject"
                if decision:
                    decided.append({"candidate_id": c.candidate_id, "decision": decision})
                    accepted |= {model} if decision == "accept" else set()
            if decided:
                decisions, problems = validate_rows(decided, conn, "test", reviewer="t")
                assert not problems, problems
                apply(conn, home, decisions)
            report = review.export(conn, home, Path(tmp) / "out", pending_only=True, top=top, slot_rank=slot_rank)
            status = review.status(conn, home, top=top, slot_rank=slot_rank)
            assert status.pending == report.pending == report.rows
            every = review.status(conn, home, top=None, slot_rank=None)
            assert status.pending + status.hidden == every.pending and every.hidden == 0
        finally:
            conn.close()


_FILLER = st.lists(st.sampled_from(["our", "model", "reaches", "accuracy", "top-1", "with", "the", "%", ",", "(",
                                    ")", "results", "table", "3", "we", "report"]), max_size=12).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(_FILLER, _FILLER, st.sampled_from(["PASCAL VOC 2007", "Cityscapes", "ImageNet-21k", "MNIST", "SVHN"]),
       st.floats(1, 99, allow_nan=False).map(lambda v: f"{v:.1f}"))
def test_a_value_after_another_datasets_name_is_not_offered_and_one_after_its_benchmarks_is(
        before: str, between: str, other: str, value: str) -> None:
    foreign = Candidate(PAPER, 1, "top1_acc", float(value), benchmark="imagenet", raw=value, rule="metric.text",
                        snippet=f"{before} On {other} {between} {value} {before}")
    assert not_offered_reason(foreign, frozenset({"imagenet"})) == OTHER_DATASET
    own = Candidate(PAPER, 1, "top1_acc", float(value), benchmark="imagenet", raw=value, rule="metric.text",
                    snippet=f"On {other} {before}. On ImageNet {between} {value} {before}")
    assert not_offered_reason(own, frozenset({"imagenet"})) is None
    table = Candidate(PAPER, 1, "top1_acc", float(value), benchmark="imagenet", raw=value, rule="table.geometry",
                      snippet=f"ResNet {value} [{other} ImageNet]")
    assert not_offered_reason(table, frozenset({"imagenet"})) is None


def test_a_benchmark_scoped_status_shows_no_decision_of_another_benchmarks_paper_as_orphaned(
        db: sqlite3.Connection, home: Home) -> None:
    from flopmine.review.apply import apply
    from flopmine.review.validate import validate_rows

    _extract(db, [_top1(21.4, "ResNet-152", 1)])
    other = Candidate("1608.06993", 1, "epochs", 300.0, unit="epochs", page=6, raw="300", snippet="300 epochs",
                      rule="epochs.text", confidence=0.8, rank=1)
    with db:
        upsert_paper(db, Paper("1608.06993", 1, "DenseNet", benchmarks=("cifar10",)))
    replace_candidates(db, "1608.06993", 1, [other], extraction={"status": "ok", "rule_version": "t", "pages": 9})
    decisions, problems = validate_rows([{"candidate_id": other.candidate_id, "decision": "reject"}], db, "t")
    assert not problems
    apply(db, home, decisions)
    scoped = review.status(db, home, benchmark="imagenet")
    assert scoped.orphans == () and scoped.pending == 1
    assert review.status(db, home, benchmark="cifar10").decided == 1
