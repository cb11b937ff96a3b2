"""Fact slots, assignment, agreement and the review-cost replay, on a small real store (no mocks)."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from flopmine import review
from flopmine.config import Home
from flopmine.errors import ReviewError
from flopmine.extract.gold import GoldFact
from flopmine.review import assign as asg
from flopmine.review.agreement import agreement
from flopmine.review.cost import review_cost
from flopmine.review.slots import close_fields, current_slots, slot_of
from flopmine.store import connect, replace_candidates, upsert_paper
from flopmine.types import Candidate, Paper
from tests.support.annotation_files import ledger_rows
from tests.test_review import row_for, shown, write_sheet

P1, P2, P3 = "1512.03385", "1608.06993", "1704.04861"


def _c(aid: str, field: str, value: float | str, rank: int, *, model: str = "", benchmark: str = "imagenet",
       page: int = 3) -> Candidate:
    return Candidate(aid, 1, field, value, benchmark=benchmark, model=model, page=page, snippet=f"{value}",
                     rule="t", confidence=1.0 / rank, rank=rank)


# P1: one slot (top1_err, ResNet-152) with 5 candidates, one of them its accuracy twin; flops twice.
P1_CANDS = [
    _c(P1, "top1_err", 21.43, 1, model="ResNet-152"),
    _c(P1, "top1_err", 19.38, 2, model="ResNet-152"),
    _c(P1, "top1_acc", 78.0, 3, model="ResNet-152 (ours)"),
    _c(P1, "top1_err", 23.0, 4, model="ResNet-152"),
    _c(P1, "top1_err", 24.1, 5, model="ResNet-152"),
    _c(P1, "top1_err", 30.0, 6, model="VGG-16"),
    _c(P1, "flops", 11.3e9, 1, model="ResNet-152", benchmark=""),
    _c(P1, "mult_adds", 3.6e9, 2, model="ResNet-152", benchmark=""),
    _c(P1, "epochs", 90.0, 1, benchmark=""),
    _c(P1, "epochs", 120.0, 2, benchmark=""),
]
P2_CANDS = [_c(P2, "err", 3.46, 1, model="DenseNet-BC", benchmark="cifar10"),
            _c(P2, "params", 25.6e6, 1, model="DenseNet-BC", benchmark="")]
P3_CANDS = [_c(P3, "top1_acc", 70.6, 1, model="MobileNet"), _c(P3, "top1_acc", 50.6, 2, model="MobileNet"),
            _c(P3, "mult_adds", 569e6, 1, model="MobileNet", benchmark="")]


@pytest.fixture
def db(home: Home) -> Iterator[sqlite3.Connection]:
    conn = connect(home.db_path)
    for aid, cands, bench in ((P1, P1_CANDS, "imagenet"), (P2, P2_CANDS, "cifar10"), (P3, P3_CANDS, "imagenet")):
        upsert_paper(conn, Paper(aid, 1, f"paper {aid}", benchmarks=(bench,)))
        replace_candidates(conn, aid, 1, cands, extraction={"status": "ok", "rule_version": "t", "pages": 10})
    yield conn
    conn.close()


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def sheet(path: Path, items: list[dict[str, object]]) -> Path:
    return write_sheet(path, items, crlf=False, bom=False)


# ---------------------------------------------------------------- slots and export


def test_slots_group_error_with_accuracy_and_flops_with_mult_adds(db: sqlite3.Connection, home: Home) -> None:
    slots = {str(s.key): s for s in current_slots(db, home)}
    resnet = slots[f"{P1}v1 imagenet top1_acc resnet-152"]
    assert [a.candidate.value for a in resnet.members] == [21.43, 19.38, 78.0, 23.0, 24.1]
    assert len(slots[f"{P1}v1 - flops resnet-152"].members) == 2  # flops and mult_adds: one fact
    assert slot_of(P1_CANDS[6]).benchmark == ""  # compute facts have no benchmark in their slot


def test_export_shows_top_of_each_slot_and_counts_the_rest(db: sqlite3.Connection, home: Home) -> None:
    report = review.export(db, home, home.root / "out")
    imagenet = rows(home.root / "out" / "imagenet.csv")
    resnet = [r for r in imagenet if r["arxiv_id"] == P1 and r["model"].startswith("ResNet")]
    assert [r["value"] for r in resnet] == ["21.43", "19.38", "78"]
    assert [r["slot_rest"] for r in resnet] == ["2", "", ""] and [r["slot_position"] for r in resnet] == ["1", "2", "3"]
    assert {r["status"] for r in imagenet} == {"pending"}
    # two candidates of the ResNet slot, and the VGG slot (its best is 6th of the field's candidates)
    assert report.hidden == 2 and report.hidden_slots == 1
    assert report.rows == len(P1_CANDS) + len(P2_CANDS) + len(P3_CANDS) - 3
    everything = review.export(db, home, home.root / "all", top=None, slot_rank=None)
    assert everything.rows == len(P1_CANDS) + len(P2_CANDS) + len(P3_CANDS) and everything.hidden == 0
    # slot rank: with 1, only slots holding their field's best candidate (VGG's 30.0 ranks 6th)
    one = review.export(db, home, home.root / "one", slot_rank=1)
    assert "VGG-16" not in (home.root / "one" / "imagenet.csv").read_text() and one.hidden_slots >= 1
    with pytest.raises(ReviewError, match="--top must be at least 1"):
        review.export(db, home, home.root / "bad", top=0)


def test_accept_supersedes_siblings_and_undo_brings_them_back(db: sqlite3.Connection, home: Home,
                                                               tmp_path: Path) -> None:
    best = P1_CANDS[1]  # 19.38, rank 2
    asg.import_reviewed(db, home, [sheet(tmp_path / "a.csv", [row_for(best, decision="accept")])])
    st = review.status(db, home)
    imagenet_err = next(f for f in st.fields if f.benchmark == "imagenet" and f.field == "top1_err")
    assert (imagenet_err.decided, imagenet_err.superseded) == (1, 3)  # 21.43, 23.0, 24.1 are done
    assert next(f for f in st.fields if f.field == "top1_acc" and f.benchmark == "imagenet").superseded == 1
    review.export(db, home, home.root / "out", pending_only=True)
    pending = rows(home.root / "out" / "imagenet.csv")
    assert not [r for r in pending if r["arxiv_id"] == P1 and r["model"].startswith("ResNet")]
    full = rows(review.export(db, home, home.root / "out2").files[1])
    status_of = {r["value"]: r["status"] for r in full if r["arxiv_id"] == P1 and r["model"].startswith("ResNet")}
    assert status_of == {"19.38": "decided", "21.43": "superseded", "78": "superseded"}
    # Changing the decision (the CLI/web way to undo an accept) makes the siblings pending again.
    asg.import_reviewed(db, home, [sheet(tmp_path / "b.csv", [row_for(best, decision="reject",
                                                                      exported_decision=shown(db, best))])])
    st = review.status(db, home)
    assert next(f for f in st.fields if f.benchmark == "imagenet" and f.field == "top1_err").superseded == 0


def test_same_slot_decided_twice_in_one_file_is_refused(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    path = sheet(tmp_path / "alice.csv", [
        row_for(P1_CANDS[0], decision="accept"),
        row_for(P2_CANDS[0], decision="accept"),
        row_for(P1_CANDS[1], decision="correct", corrected_value="19.4"),
    ])
    with pytest.raises(ReviewError) as e:
        asg.import_reviewed(db, home, [path])
    text = "\n".join(e.value.problems)
    assert f"{path}:2: decision: slot {P1}v1 imagenet top1_acc resnet-152 decided twice" in text
    assert f"{path}:4: corrected_value: slot" in text and "(80.6 here, 78.57 on line 2)" in text
    assert not ledger_rows(home.annotations_dir)  # nothing applied
    # the same fact twice (an error and its accuracy) is not a conflict
    ok = sheet(tmp_path / "ok.csv", [row_for(P1_CANDS[0], decision="accept"),
                                     row_for(P1_CANDS[2], decision="correct", corrected_value="78.57")])
    assert len(asg.import_reviewed(db, home, [ok]).report.applied) == 2


def test_close_fields_rejects_every_open_slot_of_a_field(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    asg.import_reviewed(db, home, [sheet(tmp_path / "a.csv", [row_for(P1_CANDS[0], decision="accept")])])
    r = close_fields(db, home, P1, ["top1_err"])
    assert r.fields == ("top1_acc",) and r.slots == 1 and r.candidates == 1  # only VGG's slot was open
    r = close_fields(db, home, P1, ["epochs"])
    assert r.candidates == 2
    ledger = {x["candidate_id"]: (x["decision"], x["note"]) for x in ledger_rows(home.annotations_dir)}
    assert ledger[P1_CANDS[9].candidate_id] == ("reject", "not reported")
    assert P1_CANDS[1].candidate_id not in ledger  # superseded, not rejected
    with pytest.raises(ReviewError, match="unknown field"):
        close_fields(db, home, P1, ["gpus"])


def test_an_added_fact_settles_its_models_slot_as_an_accept_does(db: sqlite3.Connection, home: Home,
                                                                   tmp_path: Path) -> None:
    """A reviewer who types the value the extractor missed has decided the slot: its candidates are done."""
    def add(field: str, value: str, model: str, benchmark: str) -> dict[str, object]:
        return {"candidate_id": "", "arxiv_id": P1, "version": 1, "benchmark": benchmark, "model": model,
                "field": field, "value": value, "page": 3, "decision": "add"}

    # the model as the paper's other table spells it, and a model-less epochs value
    path = sheet(tmp_path / "added.csv", [add("top1_acc", "80.1", "ResNet-152 (ours)", "imagenet"),
                                          add("epochs", "100", "", "")])
    assert len(asg.import_reviewed(db, home, [path]).report.applied) == 2
    st = review.status(db, home)
    field_of = {(f.benchmark, f.field): f for f in st.fields}
    err = field_of[("imagenet", "top1_err")]
    assert (err.decided, err.superseded) == (0, 4)  # 21.43, 19.38, 23.0, 24.1; VGG-16's 30.0 stays open
    assert field_of[("imagenet", "top1_acc")].superseded == 1
    assert next(f for k, f in field_of.items() if k[1] == "epochs").superseded == 0  # no model: settles nothing
    review.export(db, home, home.root / "pending", pending_only=True)
    assert not [r for r in rows(home.root / "pending" / "imagenet.csv") if r["model"].startswith("ResNet")]
    assert close_fields(db, home, P1, ["top1_err"]).candidates == 1  # only VGG-16's; the ResNet ones are done
    assert {s.key.model: s.is_open for s in current_slots(db, home) if s.key.field == "top1_acc"
            and s.key.arxiv_id == P1} == {"resnet-152": False, "vgg-16": False}


# ---------------------------------------------------------------- assignment and agreement


def _reviewers(home: Home, *names: str) -> None:
    p = home.annotations_dir / asg.REVIEWERS_FILE
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("name\n" + "".join(f"{n}\n" for n in names), encoding="utf-8")


def test_plan_is_stable_balanced_and_overlaps() -> None:
    papers = {f"p{i:02d}": 10 + i for i in range(20)}
    a = asg.plan(papers, ["alice", "bob"], 0.1)
    assert a == asg.plan(dict(reversed(list(papers.items()))), ["alice", "bob"], 0.1)
    assert sum(len(v) == 2 for v in a.values()) == 2
    load = {r: sum(papers[p] for p, v in a.items() if r in v) for r in ("alice", "bob")}
    assert abs(load["alice"] - load["bob"]) <= max(papers.values())
    # a new paper and a new reviewer leave the earlier assignments alone
    b = asg.plan({**papers, "p99": 50}, ["alice", "bob", "carol"], 0.1, a)
    assert all(b[p][0] == a[p][0] for p in papers) and b["p99"] == ("carol",)


def test_assign_export_and_bad_input(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    _reviewers(home)  # listed, but empty
    with pytest.raises(ReviewError, match="no reviewers are listed"):
        asg.export_assigned(db, home, tmp_path / "out", "alice,bob")
    _reviewers(home, "alice", "bob")
    with pytest.raises(ReviewError) as e:
        asg.export_assigned(db, home, tmp_path / "out", "alice,bbo")
    assert e.value.problems == [f"--assign:2: name: unknown reviewer 'bbo'; known in "
                                f"{home.annotations_dir / asg.REVIEWERS_FILE}: alice, bob"]
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ReviewError, match="outside 0–1"):
            asg.export_assigned(db, home, tmp_path / "out", "alice,bob", overlap=bad)
    assert not (home.annotations_dir / asg.ASSIGNMENTS_FILE).exists() and not (tmp_path / "out").exists()
    rep = asg.export_assigned(db, home, tmp_path / "out", "alice,bob", overlap=0.34)
    assert rep.doubles == 1 and set(rep.assignments) == {P1, P2, P3}
    assert rep.assignments == asg.load_assignments(home.annotations_dir)
    for who in ("alice", "bob"):
        mine = {p for p, v in rep.assignments.items() if who in v}
        exported = {r["arxiv_id"] for f in (tmp_path / "out" / who).glob("*.csv") for r in rows(f)}
        assert exported == mine


def test_import_refuses_papers_not_assigned_unless_any_paper(db: sqlite3.Connection, home: Home,
                                                              tmp_path: Path) -> None:
    _reviewers(home, "alice", "bob")
    asg.save_assignments(home, {P1: ("alice",), P2: ("bob",), P3: ("alice", "bob")})
    path = sheet(tmp_path / "alice.csv", [row_for(P1_CANDS[0], decision="accept"),
                                          row_for(P2_CANDS[0], decision="accept")])
    with pytest.raises(ReviewError) as e:
        asg.import_reviewed(db, home, [path], reviewer="alice")
    assert e.value.problems == [f"{path}:3: reviewer: alice is not assigned paper {P2} (assigned to bob); "
                                "use --any-paper to import it anyway"]
    assert not ledger_rows(home.annotations_dir)
    unknown = sheet(tmp_path / "x.csv", [row_for(P1_CANDS[0], decision="accept", reviewer="mallory")])
    with pytest.raises(ReviewError, match="unknown reviewer 'mallory'"):
        asg.import_reviewed(db, home, [unknown])
    result = asg.import_reviewed(db, home, [path], reviewer="alice", any_paper=True)
    assert len(result.report.applied) == 2


def test_agreement_on_doubly_reviewed_papers(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    _reviewers(home, "alice", "bob")
    asg.save_assignments(home, {P1: ("alice", "bob"), P2: ("bob",), P3: ("alice", "bob")})
    a = sheet(tmp_path / "alice.csv", [
        row_for(P1_CANDS[1], decision="accept"), row_for(P1_CANDS[5], decision="reject"),
        row_for(P1_CANDS[6], decision="accept"), row_for(P3_CANDS[0], decision="accept")])
    b = sheet(tmp_path / "bob.csv", [
        row_for(P1_CANDS[0], decision="accept"),  # disagrees: bob takes 21.43 for the slot alice settled with 19.38
        row_for(P1_CANDS[5], decision="reject"), row_for(P1_CANDS[6], decision="accept"),
        row_for(P3_CANDS[0], decision="correct", corrected_value="70.6")])  # same value as alice's accept
    asg.import_reviewed(db, home, [a], reviewer="alice")
    # bob's rows that differ from alice's decisions are conflicts: not applied (--partial), but kept as his verdicts
    result = asg.import_reviewed(db, home, [b], reviewer="bob", partial=True)
    assert [p.line for p in result.problems] == [2, 5]
    rep = agreement(home.annotations_dir)
    assert rep.papers == (P1, P3)
    by = {f.field: f for f in rep.fields}
    # top1_acc slot items: 19.38 (alice yes / bob superseded), 21.43 (alice superseded / bob yes), VGG (no/no), P3 70.6
    assert by["top1_acc"].items == 4 and by["top1_acc"].raw == 0.5
    assert by["flops"].raw == 1.0
    assert {(d.value, d.first[1], d.second[1]) for d in rep.disagreements} == {
        ("19.38", "accept", "superseded (a sibling accepted)"), ("21.43", "superseded (a sibling accepted)", "accept")}
    assert rep.overall.kappa is not None and rep.overall.kappa < 1


# ---------------------------------------------------------------- review cost


def test_both_review_cost_replays_name_the_extraction_to_run_when_no_gold_paper_is_extracted(
        db: sqlite3.Connection, home: Home) -> None:
    from flopmine.errors import FlopmineError
    from flopmine.review.sheet_cost import sheet_review_cost

    unknown = [GoldFact("2101.00001", "epochs", 90.0, "", "", 3)]
    with pytest.raises(FlopmineError, match=r"extract PDFS` first, then `flopmine --home DIR eval --review-cost --gold"):
        review_cost(db, home, unknown)
    with pytest.raises(FlopmineError, match=r"then `flopmine --home DIR eval --review-cost --sheet rows"):
        sheet_review_cost(db, home, unknown)
    with pytest.raises(FlopmineError, match="no paper of the gold"):  # extracted, but not among those asked for
        review_cost(db, home, [GoldFact(P1, "epochs", 90.0, "", "", 3)], papers=[P2])


def test_review_cost_replays_a_gold_reviewer(db: sqlite3.Connection, home: Home) -> None:
    gold = [GoldFact(P1, "top1_err", 19.38, "imagenet", "ResNet-152", 3),  # shown (2nd of its slot): accept
            GoldFact(P1, "top1_err", 24.1, "imagenet", "ResNet-152", 3),  # hidden (5th): added by hand
            GoldFact(P1, "training_time_hours", 300.0, "", "", 4),  # never extracted: added by hand
            GoldFact(P2, "err", 3.46, "cifar10", "DenseNet-BC", 3)]
    before = {p.name for p in home.root.rglob("*")}
    rep = review_cost(db, home, gold)
    assert {p.name for p in home.root.rglob("*")} == before  # the real home is untouched
    by = {p.arxiv_id: p for p in rep.papers}
    p1 = by[P1]
    assert (p1.gold, p1.gold_shown, p1.gold_extracted, p1.accepted, p1.added) == (3, 1, 2, 1, 2)
    assert p1.rows_read == len(P1_CANDS) - 3 and p1.problems == []  # as the default export shows them
    assert p1.closed == 3  # one "not reported" each: top1 (the VGG slot), flops, epochs
    assert rep.gold == 4 and rep.decisions_per_gold == rep.total("decisions") / 4
    assert rep.minutes_per_paper == pytest.approx(((p1.rows_read + by[P2].rows_read) * 5 + 2 * 30) / 60 / 2)
    assert rep.baseline_minutes_per_paper == pytest.approx((10 * 2 + 3 * 0.5 + 10 * 2 + 0.5) / 2)


# ---------------------------------------------------------------- CLI


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from flopmine.cli import main

    with pytest.raises(SystemExit) as e:
        main(list(args))
    out = capsys.readouterr()
    return int(e.value.code or 0), out.out, out.err


def test_cli_assign_close_agreement_and_review_cost(db: sqlite3.Connection, home: Home, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    h = str(home.root)
    _reviewers(home, "alice", "bob")
    code, _, err = _run(capsys, "--home", h, "review", "export", "--assign", "alice,carol", "--out", str(tmp_path / "o"))
    assert code == 2 and "--assign:2: name: unknown reviewer 'carol'" in err  # a bad command line
    code, _, err = _run(capsys, "--home", h, "review", "export", "--assign", "alice,bob", "--overlap", "1.5")
    assert code == 2 and "--overlap: 1.5 is outside 0–1" in err
    code, out, _ = _run(capsys, "--home", h, "review", "export", "--assign", "alice,bob", "--overlap", "0.34",
                        "--out", str(tmp_path / "o"))
    assert code == 0 and "Assigned 3 paper(s), 1 reviewed twice" in out
    code, out, _ = _run(capsys, "--home", h, "review", "close", P1, "epochs", "--reviewer", "alice")
    # the two model-less epochs are a slot each
    assert code == 0 and f"{P1} epochs: closed 2 slot(s), 2 candidate(s) rejected." in out
    code, out, _ = _run(capsys, "--home", h, "review", "status")
    assert code == 0 and "superseded" in out and "Fact slots: 2 settled" in out, out
    code, out, _ = _run(capsys, "--home", h, "review", "status", "--agreement")
    assert code == 0 and "No paper has verdicts from two reviewers yet" in out
    gold = tmp_path / "gold.csv"
    gold.write_text(f"arxiv_id,benchmark,model,field,value,page,evidence\n{P2},cifar10,DenseNet-BC,err,3.46,3,x\n",
                    encoding="utf-8")
    code, out, _ = _run(capsys, "--home", h, "-q", "eval", "--review-cost", "--gold", str(gold))
    assert code == 0 and "decisions per gold fact" in out and "1/1 (1.00)" in out
