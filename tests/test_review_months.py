"""Annotation files split by the paper's arXiv month: what a decision writes, the older layout's split,
a stale cache reading only the changed months, and build reading many small files."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flopmine import review
from flopmine.analysis.build import read_annotations
from flopmine.config import Home
from flopmine.errors import ReviewError
from flopmine.ids import parse_id
from flopmine.review import annotations as ann
from flopmine.review import store as review_store
from flopmine.review.decision import LEDGER_COLUMNS
from flopmine.store import connect
from flopmine.types import ANNOTATION_COLUMNS, Candidate
from tests.support.annotation_files import fact_file, import_killed_after, ledger_file, ledger_rows
from tests.test_review import (
    C10_ERR,
    C10_PARAMS,
    DENSENET,
    EPOCHS,
    ERR1,
    FLOPS,
    RESNET,
    extract,
    write_sheet,
)
from tests.test_review import row_for as _row_for

MOBILENET = "1704.04861"
MOBILE = [Candidate(MOBILENET, 1, "top1_acc", 70.6, benchmark="imagenet", model="MobileNet", unit="%", page=6,
                    rank=1),
          Candidate(MOBILENET, 1, "params", 4.2e6, benchmark="imagenet", model="MobileNet", page=6, rank=1)]


def row_for(c: Candidate, **edits: object) -> dict[str, object]:
    return _row_for(c, **edits)


def imported(db: sqlite3.Connection, home: Home, tmp_path: Path, rows: list[dict[str, object]],
             name: str = "s.csv") -> review.ApplyReport:
    result = review.import_files(db, home, [write_sheet(tmp_path / name, rows)], reviewer="alice")
    assert result.problems == () and result.report is not None, result.problems
    return result.report


def stamps(directory: Path) -> dict[str, tuple[int, int, int]]:
    """Every file under ``directory``: (inode, mtime, size); a rewritten file changes its inode."""
    return {p.relative_to(directory).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size)
            for p in directory.rglob("*") if p.is_file()}


# ---------------------------------------------------------------- the month of a paper


@given(yy=st.integers(0, 99), mm=st.integers(1, 12), number=st.integers(0, 99_999),
       archive=st.sampled_from(["hep-th", "math.AG", "cs", "astro-ph", "cond-mat"]),
       version=st.integers(1, 9))
def test_paper_month_is_the_yymm_of_both_id_styles(yy: int, mm: int, number: int, archive: str,
                                                   version: int) -> None:
    yymm = f"{yy:02d}{mm:02d}"
    new, short, old = f"{yymm}.{number:05d}", f"{yymm}.{number % 10_000:04d}", f"{archive}/{yymm}{number % 1000:03d}"
    for aid in (new, short, old):
        assert ann.paper_month(aid) == yymm == ann.paper_month(parse_id(f"{aid}v{version}").base)
        assert parse_id(aid).year_month[1] == mm  # the month the ids module reads too
        name = ann.fact_file_name("imagenet", ann.paper_month(aid))
        assert "/" not in name and ann.file_month(Path(name)) == yymm  # an old-style id is never a path
        assert ann.file_month(Path(ann.ledger_file_name(ann.paper_month(aid)))) == yymm


@given(st.text())
def test_paper_month_of_any_text_is_four_digits_and_never_a_path(text: str) -> None:
    month = ann.paper_month(text)
    assert len(month) == 4 and month.isascii() and month.isdigit()


# ---------------------------------------------------------------- what a decision writes


def test_a_decision_rewrites_only_its_papers_month_files(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    extract(db, MOBILENET, 1, MOBILE, "imagenet")
    imported(db, home, tmp_path, [row_for(ERR1, decision="accept"), row_for(EPOCHS, decision="accept"),
                                  row_for(C10_ERR, decision="accept"), row_for(MOBILE[0], decision="accept")])
    directory = home.annotations_dir
    before = stamps(directory)
    assert len([k for k in before if k.endswith(".csv") and "/" not in k]) == 4  # imagenet 1512, 1704 …
    assert len([k for k in before if k.startswith("decisions/ledger/")]) == 3  # … and three months' ledgers
    report = imported(db, home, tmp_path, [row_for(C10_PARAMS, decision="accept")], name="one.csv")
    mine = {fact_file(directory, "cifar10", DENSENET), ledger_file(directory, DENSENET)}
    assert set(report.files) == {p.relative_to(directory).as_posix() for p in mine}
    after = stamps(directory)
    changed = {k for k in after if before.get(k) != after[k]}
    assert changed == set(report.files)  # no file of another month was written
    assert len(ledger_rows(directory)) == 5


def test_a_browser_undo_rewrites_only_its_papers_month_files(db: sqlite3.Connection, home: Home,
                                                             tmp_path: Path) -> None:
    from flopmine.review.web import backend

    imported(db, home, tmp_path, [row_for(ERR1, decision="accept"), row_for(C10_ERR, decision="accept")])
    recorded = backend.record(db, home, review.validate_rows([{"candidate_id": C10_PARAMS.candidate_id,
                                                                "decision": "accept"}], db, "web")[0])
    assert recorded is not None
    before = stamps(home.annotations_dir)
    backend.withdraw(db, home, recorded)
    after = stamps(home.annotations_dir)
    changed = {k for k in after if before.get(k) != after[k]}
    assert changed <= {f"cifar10-{ann.paper_month(DENSENET)}.csv", f"decisions/ledger/{ann.paper_month(DENSENET)}.csv"}
    assert C10_PARAMS.candidate_id not in {r["candidate_id"] for r in ledger_rows(home.annotations_dir)}


# ---------------------------------------------------------------- the older layout


def unsplit(directory: Path) -> None:
    """Turn the month files back into the older layout: one file per benchmark, one ledger."""
    groups: dict[str, list[Path]] = {}
    for p in ann.fact_files(directory):
        groups.setdefault(p.name.rsplit("-", 1)[0] + ".csv", []).append(p)
    groups[ann.LEGACY_LEDGER_FILE] = ann.ledger_files(directory)
    for name, paths in groups.items():
        header, body = "", []
        for p in paths:
            head, _, rest = p.read_text(encoding="utf-8").partition("\n")
            header = head
            body.append(rest)
            p.unlink()
        (directory / name).write_text(header + "\n" + "".join(body), encoding="utf-8")
    (directory / ann.LEDGER_DIR).rmdir()


def decided(db: sqlite3.Connection, home: Home, tmp_path: Path) -> dict[str, bytes]:
    imported(db, home, tmp_path, [row_for(ERR1, decision="correct", corrected_value="21.4", note="Table 3, crop"),
                                  row_for(EPOCHS, decision="accept"), row_for(C10_ERR, decision="reject"),
                                  row_for(C10_PARAMS, decision="accept"),
                                  {"decision": "add", "arxiv_id": RESNET, "benchmark": "imagenet",
                                   "model": "ResNet-50", "field": "top1_err", "value": "22.85", "page": "7"}])
    return {p.relative_to(home.annotations_dir).as_posix(): p.read_bytes()
            for p in [*ann.fact_files(home.annotations_dir), *ann.ledger_files(home.annotations_dir)]}


def test_a_folder_of_the_older_layout_is_read_then_split_by_the_first_write(db: sqlite3.Connection, home: Home,
                                                                            tmp_path: Path) -> None:
    directory = home.annotations_dir
    months = decided(db, home, tmp_path)
    facts, ledger = review.load_facts(directory), review.load_ledger(directory).decisions
    unsplit(directory)
    assert sorted(p.name for p in ann.legacy_files(directory)) == ["cifar10.csv", "imagenet.csv", "ledger.csv",
                                                                   "paper_facts.csv"]
    assert review.load_facts(directory) == facts and review.load_ledger(directory).decisions == ledger  # read as is
    assert review.status(db, home).decisions == 5  # reading splits nothing
    assert ann.legacy_files(directory)

    report = imported(db, home, tmp_path, [row_for(FLOPS, decision="accept")], name="next.csv")
    assert ann.legacy_files(directory) == []
    now = {p.relative_to(directory).as_posix(): p.read_bytes()
           for p in [*ann.fact_files(directory), *ann.ledger_files(directory)]}
    untouched = set(months) - set(report.files)
    assert untouched and all(now[k] == months[k] for k in untouched)  # the split writes what a decision would
    assert len(review.load_ledger(directory).decisions) == 6
    assert not list(directory.rglob(f"*{ann.TMP_SUFFIX}"))


def test_a_crash_between_the_splits_renames_is_finished_by_the_next_command(
        db: sqlite3.Connection, home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = home.annotations_dir
    months = decided(db, home, tmp_path)
    unsplit(directory)
    calls: list[Path] = []

    def crash_after_two(src: Path, dst: Path) -> None:
        if len(calls) == 2:
            raise OSError("simulated crash")
        calls.append(Path(dst))
        os.replace(src, dst)

    monkeypatch.setattr(ann, "_replace", crash_after_two)
    with pytest.raises(ReviewError, match="interrupted while renaming"):
        imported(db, home, tmp_path, [row_for(FLOPS, decision="accept")], name="next.csv")
    assert (directory / ann.JOURNAL_FILE).exists()  # half split: both layouts on disk
    monkeypatch.setattr(ann, "_replace", os.replace)
    assert review.status(db, home).decisions == 5  # recover finished the split; the decision never applied
    assert not (directory / ann.JOURNAL_FILE).exists() and ann.legacy_files(directory) == []
    now = {p.relative_to(directory).as_posix(): p.read_bytes()
           for p in [*ann.fact_files(directory), *ann.ledger_files(directory)]}
    assert now == months
    assert not list(directory.rglob(f"*{ann.TMP_SUFFIX}"))


def test_a_legacy_file_that_comes_back_is_read_and_folded_in_at_the_next_write(
        db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    directory = home.annotations_dir
    decided(db, home, tmp_path)
    hand = {"arxiv_id": DENSENET, "version": "1", "benchmark": "cifar10", "model": "DenseNet-BC", "field": "flops",
            "value": "29000000000", "page": "6", "decision": "add", "reviewer": "carol"}
    (directory / "cifar10.csv").write_text(",".join(ANNOTATION_COLUMNS) + "\n"
                                           + ",".join(hand.get(c, "") for c in ANNOTATION_COLUMNS) + "\n")
    (directory / ann.LEGACY_LEDGER_FILE).write_text(",".join(LEDGER_COLUMNS) + "\n")
    assert any(f.field == "flops" and f.arxiv_id == DENSENET for f in review.load_facts(directory))
    assert review.status(db, home).added == 2
    imported(db, home, tmp_path, [row_for(FLOPS, decision="accept")], name="next.csv")
    assert ann.legacy_files(directory) == []
    rows = [r for r in review.load_facts(directory) if r.arxiv_id == DENSENET]
    assert sorted(f.field for f in rows) == ["flops", "params"]
    assert "carol" in fact_file(directory, "cifar10", DENSENET).read_text(encoding="utf-8")


# ---------------------------------------------------------------- a stale cache


def test_a_stale_home_reads_again_only_the_months_another_home_changed(
        db: sqlite3.Connection, home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    imported(db, home, tmp_path, [row_for(ERR1, decision="accept"), row_for(C10_ERR, decision="accept")])
    other = Home(tmp_path / "other", annotations_override=home.annotations_dir)
    conn = connect(other.db_path)
    try:
        extract(conn, RESNET, 1, [ERR1, FLOPS, EPOCHS], "imagenet")
        extract(conn, "1608.06993", 1, [C10_ERR, C10_PARAMS], "cifar10")
        review.sync(conn, other)
        # this home decides on one paper; the other home's cache is stale in that month only
        imported(db, home, tmp_path, [row_for(C10_PARAMS, decision="reject")], name="two.csv")
        read: list[set[str] | None] = []
        real = review_store.load_ledger

        def spy(directory: Path, months: set[str] | None = None) -> ann.Ledger:
            read.append(months)
            return real(directory, months)

        monkeypatch.setattr(review_store, "load_ledger", spy)
        assert review_store.refresh(conn, other)
        assert read == [{ann.paper_month(DENSENET)}]
        partial = {d.key: d for d in review_store.cached_decisions(conn)}
        monkeypatch.setattr(review_store, "load_ledger", real)
        assert review_store.refresh(conn, other, force=True)
        assert partial == {d.key: d for d in review_store.cached_decisions(conn)}
        assert {d.candidate_id: d.decision for d in partial.values()} == {
            ERR1.candidate_id: "accept", C10_ERR.candidate_id: "accept", C10_PARAMS.candidate_id: "reject"}
    finally:
        conn.close()


# ---------------------------------------------------------------- build reads many small files


def test_build_reads_month_files_as_it_read_one_file_per_benchmark(db: sqlite3.Connection, home: Home,
                                                                   tmp_path: Path) -> None:
    directory = home.annotations_dir
    extract(db, MOBILENET, 1, MOBILE, "imagenet")
    decided(db, home, tmp_path)
    imported(db, home, tmp_path, [row_for(MOBILE[0], decision="accept"), row_for(MOBILE[1], decision="accept"),
                                  row_for(FLOPS, decision="accept")], name="more.csv")
    months, warnings = read_annotations(directory)
    assert warnings == [] and len(ann.fact_files(directory)) == 4
    unsplit(directory)
    legacy, warnings = read_annotations(directory)
    assert warnings == []
    assert months.frame.equals(legacy.frame)


def test_build_reads_a_month_file_row_without_benchmark_under_the_files_benchmark(tmp_path: Path) -> None:
    header = ",".join(ANNOTATION_COLUMNS) + "\n"
    row = f"{RESNET},1,,ResNet-152,top1_err,21.4,%,7,accept,c1,,alice,,,\n"
    (tmp_path / "imagenet-1512.csv").write_text(header + row)
    (tmp_path / "imagenet-1608.csv").write_text(header + row.replace(RESNET, DENSENET).replace("c1", "c2"))
    (tmp_path / "paper_facts-1512.csv").write_text(header + f"{RESNET},1,,,epochs,90,,4,accept,c3,,alice,,,\n"
                                                   + f"{RESNET},1,,,epochs,x,,4,accept,c4,,alice,,,\n")
    facts, warnings = read_annotations(tmp_path)
    assert sorted(facts.frame["benchmark"]) == ["", "imagenet", "imagenet"]
    assert warnings == [f"{tmp_path / 'paper_facts-1512.csv'}:3: value: 'x' is not valid for epochs (not a number)"]


def test_a_files_month_does_not_depend_on_the_folders_name(tmp_path: Path) -> None:
    folder = tmp_path / "ledger"  # an annotations folder that happens to be called like the ledger's
    assert ann.file_month(folder / "imagenet-2007.csv") == "2007"
    assert ann.file_month(folder / "decisions" / "ledger" / "2007.csv") == "2007"
    assert ann.file_month(folder / "imagenet.csv") is None and ann.file_month(folder / "2007.csv") is None


def test_a_process_killed_between_the_splits_renames_leaves_a_split_the_next_command_finishes(
        db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    """A real crash: the process splitting the older layout dies (os._exit) between two renames."""


    directory = home.annotations_dir
    months = decided(db, home, tmp_path)
    unsplit(directory)
    sheet = write_sheet(tmp_path / "next.csv", [row_for(FLOPS, decision="accept")])
    proc = import_killed_after(home.root, sheet, renames=3)
    assert proc.returncode == 9, proc.stderr
    assert (directory / ann.JOURNAL_FILE).exists() and ann.legacy_files(directory)  # killed half-way
    assert review.status(db, home).decisions == 5
    assert ann.legacy_files(directory) == [] and not (directory / ann.JOURNAL_FILE).exists()
    assert {p.relative_to(directory).as_posix(): p.read_bytes()
            for p in [*ann.fact_files(directory), *ann.ledger_files(directory)]} == months
    assert not list(directory.rglob(f"*{ann.TMP_SUFFIX}"))


def test_a_legacy_file_with_a_line_break_in_a_cell_is_split_row_by_row(db: sqlite3.Connection, home: Home,
                                                                         tmp_path: Path) -> None:
    directory = home.annotations_dir
    imported(db, home, tmp_path, [row_for(ERR1, decision="accept", note="Table 3,\nsecond \"line\""),
                                  row_for(C10_ERR, decision="accept")])
    ledger, facts = review.load_ledger(directory).decisions, review.load_facts(directory)
    unsplit(directory)
    assert ann._lines_by_month(directory / ann.LEGACY_LEDGER_FILE) is None  # not one row per line
    assert ann._lines_by_month(directory / "cifar10.csv") is not None
    imported(db, home, tmp_path, [row_for(FLOPS, decision="accept")], name="next.csv")
    assert ann.legacy_files(directory) == []
    after = review.load_ledger(directory).decisions
    assert {k: after[k] for k in ledger} == ledger and len(after) == 3
    assert [f for f in review.load_facts(directory) if f.field != "flops"] == facts
    assert after[ERR1.candidate_id].note == "Table 3,\nsecond \"line\""


# ---------------------------------------------------------------- the browser's history of replaced decisions


def test_a_replaced_decision_goes_to_its_papers_month_of_the_history(db: sqlite3.Connection, home: Home,
                                                                    tmp_path: Path) -> None:
    from flopmine.review.web import backend

    imported(db, home, tmp_path, [row_for(ERR1, decision="accept"), row_for(C10_ERR, decision="accept", note="n")])
    directory = home.annotations_dir
    history = directory / ann.history_file_name(ann.paper_month(DENSENET))
    before = stamps(directory)
    recorded = backend.record(db, home, review.validate_rows([{"candidate_id": C10_ERR.candidate_id,
                                                                "decision": "reject", "reviewer": "bob"}], db, "web")[0])
    assert recorded is not None and [d.decision for d in recorded.replaced] == ["accept"]
    after = stamps(directory)
    changed = {k for k in after if before.get(k) != after[k]}
    assert changed == {f"cifar10-{ann.paper_month(DENSENET)}.csv", f"decisions/ledger/{ann.paper_month(DENSENET)}.csv",
                       history.relative_to(directory).as_posix()}  # RESNET's month: not a byte written
    assert not (directory / ann.history_file_name(ann.paper_month(RESNET))).exists()
    (old, key, _), = ann.load_history(directory, DENSENET)
    assert (old.decision, old.note, key) == ("accept", "n", C10_ERR.candidate_id)
    assert ann.load_history(directory, RESNET) == []  # another month's undo reads none of it
    latest = backend.latest_web_decision(db, home, "bob")
    assert latest is not None and [d.decision for d in latest.replaced] == ["accept"]


def test_the_older_layouts_single_history_file_is_still_read(db: sqlite3.Connection, home: Home,
                                                             tmp_path: Path) -> None:
    from flopmine.review.web import backend

    imported(db, home, tmp_path, [row_for(C10_ERR, decision="accept", note="n")])
    backend.record(db, home, review.validate_rows([{"candidate_id": C10_ERR.candidate_id, "decision": "reject",
                                                    "reviewer": "bob"}], db, "web")[0])
    directory = home.annotations_dir
    month_file = directory / ann.history_file_name(ann.paper_month(DENSENET))
    legacy = directory / ann.LEGACY_HISTORY_FILE
    month_file.rename(legacy)  # what an older version wrote: one file for every month
    (month_file.parent).rmdir()
    latest = backend.latest_web_decision(db, home, "bob")
    assert latest is not None and [(d.decision, d.note) for d in latest.replaced] == [("accept", "n")]
    legacy.write_text(legacy.read_text(encoding="utf-8") + "not,a,row\n", encoding="utf-8")
    with pytest.raises(ReviewError) as e:
        ann.load_history(directory)
    assert any(str(legacy) in p for p in e.value.problems)  # a malformed row names its file and line


# ---------------------------------------------------------------- each reviewer's verdicts


def test_a_reviewers_verdicts_go_to_their_papers_month_and_the_older_file_is_still_read(
        db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    from flopmine.review import assign as asg

    asg.import_reviewed(db, home, [write_sheet(tmp_path / "a.csv", [row_for(ERR1, decision="accept")])],
                        reviewer="alice", any_paper=True)
    directory = home.annotations_dir
    resnet_month = directory / asg.reviews_file_name(ann.paper_month(RESNET))
    assert [p.name for p in asg.reviews_files(directory)] == [resnet_month.name]
    before = stamps(directory)
    asg.import_reviewed(db, home, [write_sheet(tmp_path / "b.csv", [row_for(C10_ERR, decision="reject")])],
                        reviewer="bob", any_paper=True)
    after = stamps(directory)
    assert before[resnet_month.relative_to(directory).as_posix()] == after[resnet_month.relative_to(directory).as_posix()]
    assert {(d.reviewer, d.candidate_id, d.decision) for d in asg.load_reviews(directory)} == {
        ("alice", ERR1.candidate_id, "accept"), ("bob", C10_ERR.candidate_id, "reject")}
    # an older version's single file: still read; where it and a month file disagree, the month file is newer
    legacy = directory / asg.LEGACY_REVIEWS_FILE
    text = resnet_month.read_text(encoding="utf-8")
    legacy.write_text(text.replace(",accept,", ",reject,"), encoding="utf-8")
    assert ("alice", ERR1.candidate_id, "accept") in {(d.reviewer, d.candidate_id, d.decision)
                                                      for d in asg.load_reviews(directory)}
    resnet_month.unlink()
    assert ("alice", ERR1.candidate_id, "reject") in {(d.reviewer, d.candidate_id, d.decision)
                                                      for d in asg.load_reviews(directory)}
