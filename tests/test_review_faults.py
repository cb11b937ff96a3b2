"""Issue 19's review faults: each test fails on the code before its fix (the item is in the test's docstring)."""

from __future__ import annotations

import contextlib
import csv
import json
import math
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from flopmine import review
from flopmine.cli import main
from flopmine.config import Home, resolve_home
from flopmine.errors import ReviewError
from flopmine.extract.queue import write_queue
from flopmine.ids import parse_id
from flopmine.review import annotations as ann
from flopmine.review import assign as asg
from flopmine.review.agreement import agreement
from flopmine.review.decision import format_value, parse_value
from flopmine.store import connect, upsert_paper
from flopmine.types import Candidate, Paper
from tests.support import review_papers
from tests.support.annotation_files import fact_name, ledger_name
from tests.support.annotation_files import ledger_rows as all_ledger_rows
from tests.test_review import (
    RESNET,
    read_csv,
    resnet_candidates,
    row_for,
    write_sheet,
)

ERR1, ERR2, FLOPS, EPOCHS, HW = resnet_candidates()
PAGES = 12


def extract(conn: sqlite3.Connection, arxiv_id: str, version: int, cands: list[Candidate], benchmark: str) -> None:
    """An extraction with its page count recorded (pages past it are refused)."""
    review_papers.extract(conn, arxiv_id, version, cands, benchmark, pages=PAGES)


@pytest.fixture
def extracted_pages() -> int:
    """The shared ``db`` (tests/conftest.py) records the page count too."""
    return PAGES


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(list(args))
    out = capsys.readouterr()
    return int(e.value.code or 0), out.out, out.err


def ledger_rows(home: Home) -> list[dict[str, str]]:
    return all_ledger_rows(home.annotations_dir)


def web_decide(conn: sqlite3.Connection, home: Home, c: Candidate, decision: str) -> None:
    """A decision as the browser makes it (``review.web.backend``): validated, applied, no sheet state."""
    from flopmine.review.web import backend

    assert backend.decide(conn, home, c, decision=decision, corrected_value="", reviewer="web-user", note="")


# ---------------------------------------------------------------- item 4: added facts on unknown papers


ADD = {"decision": "add", "field": "params", "value": "1e6", "page": "3"}


@pytest.mark.parametrize(("cells", "expected"), [
    ({"arxiv_id": "1810.4805"}, "arxiv_id: not an arXiv id: '1810.4805' (ids from 2015 on have 5 digits after "
                                "the dot, e.g. 1810.04805)"),
    ({"arxiv_id": "9999.99999", "page": "700"}, "arxiv_id: not an arXiv id: '9999.99999' (month 99 does not exist)"),
    ({"arxiv_id": "9912.99999"}, "arxiv_id: not an arXiv id: '9912.99999' (2099-12 is in the future)"),
    ({"arxiv_id": "2001.00001"}, "arxiv_id: paper 2001.00001 is not in the store (neither harvested nor "
                                 "extracted here); check the id, or use --any-paper to add a fact to it anyway"),
    ({"arxiv_id": RESNET, "page": "700"}, f"page: page 700 is past the end of {RESNET}v1 ({PAGES} pages)"),
])
def test_item4_added_facts_need_a_real_id_a_known_paper_and_a_page_it_has(
        db: sqlite3.Connection, home: Home, tmp_path: Path, cells: dict[str, str], expected: str) -> None:
    """Item 4: `1810.4805`, `9999.99999` page 700 and unknown papers became dataset rows dated 1999."""
    sheet = write_sheet(tmp_path / "add.csv", [{**ADD, **cells}])
    with pytest.raises(ReviewError) as e:
        review.import_files(db, home, [sheet])
    assert e.value.problems == [f"{sheet}:2: {expected}"]
    assert not ledger_rows(home)


def test_item4_any_paper_adds_to_a_paper_the_store_does_not_know(db: sqlite3.Connection, home: Home,
                                                                 tmp_path: Path) -> None:
    sheet = write_sheet(tmp_path / "add.csv", [{**ADD, "arxiv_id": "2001.00001", "page": "700"}])
    result = review.import_files(db, home, [sheet], any_paper=True)
    assert result.report is not None and result.report.counts()["add"] == 1
    assert [r["arxiv_id"] for r in ledger_rows(home)] == ["2001.00001"]


_NOW = (2026, 12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yy=st.integers(0, 99), mm=st.integers(0, 99), number=st.integers(0, 99999), width=st.sampled_from([4, 5]))
def test_item4_malformed_new_style_ids_are_refused_on_import(yy: int, mm: int, number: int, width: int) -> None:
    """Item 4, the class of input: any YYMM.NNNN(N) the old parser accepted; an add row applies only when the
    month exists, the date is between April 2007 and now, and the number has the digits of its era."""
    if number >= 10 ** width:
        return
    text = f"{yy:02d}{mm:02d}.{number:0{width}d}"
    year = 2000 + yy
    real = (1 <= mm <= 12 and (2007, 4) <= (year, mm) <= _NOW and number > 0
            and width == (5 if year >= 2015 else 4))
    conn = connect(":memory:")
    try:
        aid = parse_id(text)
        if real:  # a paper the store knows, so only the id's form can refuse the row
            upsert_paper(conn, Paper(aid.base, 1, "p", benchmarks=("imagenet",)))
        decisions, problems = review.validate_rows([{**ADD, "arxiv_id": text}], conn, "s.csv", sheet=True)
    finally:
        conn.close()
    from datetime import date

    from flopmine.review.validate import arxiv_id_form_problem

    assert (arxiv_id_form_problem(aid, date(*_NOW, 6)) is None) == real
    if real:
        assert len(decisions) == 1 and not problems
    elif (year, mm) <= _NOW or mm > 12:  # a future id would fail "not in the store" too
        assert not decisions and problems[0].column == "arxiv_id" and "not an arXiv id" in problems[0].message


# ---------------------------------------------------------------- item 6: a misspelled --benchmark


@pytest.mark.parametrize("command", [["review", "export"], ["review", "status"],
                                     ["review", "close", RESNET, "epochs"]])
def test_item6_a_misspelled_benchmark_is_a_usage_error(capsys: pytest.CaptureFixture[str], db: sqlite3.Connection,
                                                      home: Home, tmp_path: Path, command: list[str]) -> None:
    """Item 6: `-b imagenett` was accepted silently (an empty export, a status of zeros, nothing closed)."""
    code, out, err = run(capsys, "--home", str(home.root), *command, "-b", "imagenett")
    assert code == 2, (out, err)
    assert "unknown benchmark 'imagenett'; known:" in err and "imagenet" in err
    assert not ledger_rows(home) and not (home.root / "review").exists()
    code, _, _ = run(capsys, "--home", str(home.root), *command, "-b", "ImageNet")  # any case, or an alias
    assert code == 0


# ---------------------------------------------------------------- item 8: reviewers.csv, float noise


def test_item8_the_first_assign_creates_reviewers_csv(capsys: pytest.CaptureFixture[str], db: sqlite3.Connection,
                                                      home: Home, tmp_path: Path) -> None:
    """Item 8: `review export --assign` failed until decisions/reviewers.csv existed."""
    path = home.annotations_dir / asg.REVIEWERS_FILE
    assert not path.exists()
    code, out, err = run(capsys, "--home", str(home.root), "review", "export", "--assign", "alice,bob",
                         "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert f"Listed the reviewers alice, bob in {path} (new)" in out.replace("\n", " ")
    assert path.read_text(encoding="utf-8") == "name\nalice\nbob\n"
    assert not list(path.parent.glob(".*review-tmp"))
    # from then on the file guards against typos
    code, _, err = run(capsys, "--home", str(home.root), "review", "export", "--assign", "alice,bbo",
                       "--out", str(tmp_path / "out"))
    assert code == 2 and "unknown reviewer 'bbo'" in err
    assert path.read_text(encoding="utf-8") == "name\nalice\nbob\n"


def test_item8_a_bad_first_assign_creates_nothing(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    with pytest.raises(ReviewError, match="not a reviewer name"):
        asg.export_assigned(db, home, tmp_path / "out", "alice,b b")
    assert not (home.annotations_dir / asg.REVIEWERS_FILE).exists()


def test_item8_exported_values_carry_no_float_noise(db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    """Item 8: the review CSV showed 127.19999999999999 where the queue had 127.2."""
    noisy = Candidate(RESNET, 1, "top1_acc", math.nextafter(127.2, 0), benchmark="imagenet", model="ResNet-18", unit="%", page=3,
                      rank=1)
    assert repr(noisy.value) == "127.19999999999999"
    extract(db, RESNET, 1, [*resnet_candidates(), noisy], "imagenet")
    review.export(db, home, tmp_path / "out", top=None, slot_rank=None)
    rows = {r["candidate_id"]: r for r in read_csv(tmp_path / "out" / "imagenet.csv")}
    assert rows[noisy.candidate_id]["value"] == "127.2"
    sheet = write_sheet(tmp_path / "s.csv", [row_for(noisy, value="127.2", decision="correct",
                                                     corrected_value=repr(0.1 + 0.2), force="force")])
    review.import_files(db, home, [sheet])
    (row,) = [r for r in ledger_rows(home) if r["candidate_id"] == noisy.candidate_id]
    assert (row["value"], row["corrected_value"]) == ("127.2", "0.3")
    review.export(db, home, tmp_path / "again", top=None, slot_rank=None)
    again = {r["candidate_id"]: r for r in read_csv(tmp_path / "again" / "imagenet.csv")}
    assert again[noisy.candidate_id]["corrected_value"] == "0.3"
    # importing the re-export changes nothing: the same floats come back
    assert not review.import_files(db, home, [tmp_path / "again" / "imagenet.csv"]).report.applied


def _digits(text: str) -> int:
    mantissa = text.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    return len(mantissa.rstrip("0")) or 1


@settings(max_examples=500)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
def test_item8_format_value_round_trips_without_noise(x: float) -> None:
    """Item 8, property: what export writes reads back as a float that writes the same text (export, then
    import, then export again changes nothing), within half a unit of the 15th significant digit of the value,
    with at most 15 significant digits."""
    text = format_value(x)
    back = parse_value("params", text)
    assert format_value(back) == text
    # 15 significant digits are within half a unit of the 15th (5e-15 of a mantissa of 1), plus the binary
    # rounding of both floats (a few 1e-16): 5e-15 alone failed at the edge (x = 1.003104766920545e-27)
    assert math.isclose(back, x, rel_tol=5.5e-15, abs_tol=0.0)
    assert _digits(text) <= 15 or (x.is_integer() and abs(x) < 1e16)  # a whole count keeps every digit


@settings(max_examples=300)
@given(st.decimals(min_value=-10**9, max_value=10**9, places=4, allow_nan=False, allow_infinity=False),
       st.integers(-1, 1))
def test_item8_arithmetic_noise_is_not_written(d: object, ulps: int) -> None:
    """A value a reviewer or PDF states (a short decimal) is written as that decimal, even after arithmetic
    moved the float by a unit in the last place (1.272 * 100 is 127.19999999999999)."""
    x = float(str(d))
    assume(x != 0)  # noise is relative to the value
    noisy = x
    for _ in range(abs(ulps)):
        noisy = math.nextafter(noisy, math.inf if ulps > 0 else -math.inf)
    assert format_value(noisy) == format_value(x)
    assert float(format_value(x)) == x


# ---------------------------------------------------------------- item 11: stale decisions


def test_item11a_a_reimported_queue_never_reverts_a_newer_browser_decision(db: sqlite3.Connection, home: Home) -> None:
    """Item 11 (a): re-importing queue/queue.csv after `extract --force` put an old accept over a newer reject."""
    queue = home.queue_dir / "queue.csv"
    write_queue(db, queue)
    rows = read_csv(queue)
    for r in rows:
        if r["candidate_id"] == ERR2.candidate_id:
            r["decision"] = "accept"
    write_sheet(queue, rows, columns=list(rows[0]), bom=False)
    review.import_files(db, home, [queue])
    web_decide(db, home, ERR2, "reject")
    extract(db, RESNET, 1, resnet_candidates(), "imagenet")  # extract --force: the queue keeps the reviewer's cells
    write_queue(db, queue)
    assert any(r["decision"] == "accept" for r in read_csv(queue))
    with pytest.raises(ReviewError) as e:
        review.import_files(db, home, [queue])
    assert len(e.value.problems) == 1
    assert "differs from the recorded decision (reject by web-user at" in e.value.problems[0]
    assert [r["decision"] for r in ledger_rows(home) if r["candidate_id"] == ERR2.candidate_id] == ["reject"]
    # a row of the queue on a pending candidate still applies
    rows = read_csv(queue)
    for r in rows:
        if r["candidate_id"] == ERR2.candidate_id:
            r["decision"] = ""
        if r["candidate_id"] == EPOCHS.candidate_id:
            r["decision"] = "reject"
    write_sheet(queue, rows, columns=list(rows[0]), bom=False)
    assert review.import_files(db, home, [queue]).report.counts()["reject"] == 1


def test_item11b_a_stale_sheet_cannot_settle_a_slot_settled_since(db: sqlite3.Connection, home: Home,
                                                                   tmp_path: Path) -> None:
    """Item 11 (b): a stale sheet accepted a sibling in a slot settled after its export: two accepts, one slot."""
    review.export(db, home, tmp_path / "stale")
    web_decide(db, home, ERR1, "accept")  # settles slot imagenet top1_acc resnet-152 with 21.43
    stale = tmp_path / "stale" / "imagenet.csv"
    rows = read_csv(stale)
    for r in rows:
        if r["candidate_id"] == ERR2.candidate_id:
            r["decision"] = "accept"
    write_sheet(stale, rows, columns=list(rows[0]))
    with pytest.raises(ReviewError) as e:
        review.import_files(db, home, [stale])
    (problem,) = e.value.problems
    assert "decision: its fact slot was settled by web-user at " in problem
    assert f"(accept 21.43 on {ERR1.candidate_id}); one decision settles a slot" in problem
    accepts = [r["candidate_id"] for r in ledger_rows(home) if r["decision"] == "accept"]
    assert accepts == [ERR1.candidate_id]
    # rejecting the settling decision in the same sheet makes the slot free: both apply
    for r in rows:
        if r["candidate_id"] == ERR1.candidate_id:
            r["decision"] = "reject"
    write_sheet(stale, rows, columns=list(rows[0]))
    with pytest.raises(ReviewError, match="changed by web-user"):  # ERR1's row is itself stale now
        review.import_files(db, home, [stale])


def test_item11c_deleting_both_state_columns_does_not_bring_the_revert_back(db: sqlite3.Connection, home: Home,
                                                                            tmp_path: Path) -> None:
    """Item 11 (c): a stale sheet without exported_decision and decided_at reverted a newer decision."""
    seed = write_sheet(tmp_path / "seed.csv", [row_for(ERR2, decision="reject", exported_decision="pending")])
    review.import_files(db, home, [seed])
    review.export(db, home, tmp_path / "bob")  # shows ERR2 rejected
    web_decide(db, home, ERR2, "accept")  # alice changes her mind in the browser
    bob = tmp_path / "bob" / "imagenet.csv"
    rows = read_csv(bob)
    assert {r["candidate_id"]: r["decision"] for r in rows}[ERR2.candidate_id] == "reject"
    cols = [c for c in rows[0] if c not in ("exported_decision", "decided_at")]
    for r in rows:
        if r["candidate_id"] == FLOPS.candidate_id:
            r["decision"] = "reject"
    write_sheet(bob, rows, columns=cols)
    with pytest.raises(ReviewError) as e:
        review.import_files(db, home, [bob])
    assert len(e.value.problems) == 1 and "differs from the recorded decision (accept by web-user" in e.value.problems[0]
    # --partial applies the rest, never the revert
    result = review.import_files(db, home, [bob], partial=True)
    assert result.report.counts()["reject"] == 1, (result.problems, result.report)
    decided = {r["candidate_id"]: r["decision"] for r in ledger_rows(home)}
    assert decided[ERR2.candidate_id] == "accept" and decided[FLOPS.candidate_id] == "reject"


# ---------------------------------------------------------------- item 12: conflicts merged from two clones


def _merge_clones(home: Home, tmp_path: Path) -> None:
    """Two annotation clones decide one candidate differently; a union merge keeps both rows of each file."""
    sheets = {"alice": row_for(ERR1, decision="accept"), "bob": row_for(ERR1, decision="correct",
                                                                          corrected_value="12.5")}
    clones = {}
    for who, row in sheets.items():
        clone = resolve_home(tmp_path / f"clone-{who}")
        shutil.copytree(home.annotations_dir, clone.annotations_dir)
        conn = connect(clone.db_path)
        extract(conn, RESNET, 1, resnet_candidates(), "imagenet")
        review.import_files(conn, clone, [write_sheet(tmp_path / f"{who}.csv", [row])], reviewer=who)
        conn.close()
        clones[who] = clone.annotations_dir
    for rel in (ledger_name(RESNET), fact_name("imagenet", RESNET)):
        a = (clones["alice"] / rel).read_text(encoding="utf-8").splitlines(keepends=True)
        b = (clones["bob"] / rel).read_text(encoding="utf-8").splitlines(keepends=True)
        target = home.annotations_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join([a[0], *sorted(set(a[1:]) | set(b[1:]))]), encoding="utf-8")


def test_item12_conflicts_merged_from_two_clones_are_listed_and_fail_a_strict_build(
        capsys: pytest.CaptureFixture[str], db: sqlite3.Connection, home: Home, tmp_path: Path) -> None:
    """Item 12: accept 21.43 and correct 12.5 for one candidate passed silently (build kept the later one)."""
    extra = write_sheet(tmp_path / "extra.csv", [row_for(FLOPS, decision="accept")])
    review.import_files(db, home, [extra])
    _merge_clones(home, tmp_path)
    code, out, _ = run(capsys, "--home", str(home.root), "review", "status")
    assert code == 0
    assert "Conflicting decisions (decide each again to settle it): 1" in out
    line = next(x for x in out.splitlines() if ERR1.candidate_id in x)
    assert "accept 21.43 (alice" in line and "correct to 12.5 (bob" in line and f"{ledger_name(RESNET)}:" in line
    code, out, err = run(capsys, "--home", str(home.root), "build", "--out", str(tmp_path / "ds"))
    assert code == 0 and "conflicting decisions: " in err and ERR1.candidate_id in err.replace("\n", "")
    code, out, err = run(capsys, "--home", str(home.root), "build", "--strict", "--out", str(tmp_path / "ds"))
    assert code == 1 and "1 conflicting decision(s)" in err
    # deciding it again (in a fresh export) settles it
    review.export(db, home, tmp_path / "settle")
    settle = tmp_path / "settle" / "imagenet.csv"
    rows = read_csv(settle)
    for r in rows:
        if r["candidate_id"] == ERR1.candidate_id:
            r.update(decision="accept", corrected_value="")
    write_sheet(settle, rows, columns=list(rows[0]))
    review.import_files(db, home, [settle], reviewer="carol")
    assert review.status(db, home).conflicts == ()
    code, _, _ = run(capsys, "--home", str(home.root), "build", "--strict", "--out", str(tmp_path / "ds"))
    assert code == 0


# ---------------------------------------------------------------- item 15: ledger and reviews.csv together


def _killed_at(n: int, real_replace: Callable[[object, object], None]) -> Callable[[object, object], None]:
    """``os.replace`` that raises at its ``n``-th call, as a SIGKILL would stop the process there."""
    calls = [0]

    def replace(src: object, dst: object) -> None:
        calls[0] += 1
        if calls[0] == n:
            raise KeyboardInterrupt("killed")  # stands for SIGKILL: nothing after it runs
        real_replace(src, dst)

    return replace


def test_item15_a_kill_anywhere_keeps_the_verdict_in_both_files(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 15: a kill between the ledger commit and decisions/reviews.csv lost the reviewer's verdict."""
    real_replace = ann._replace
    for kill_at in range(8):
        home = resolve_home(tmp_path / f"h{kill_at}")
        conn = connect(home.db_path)
        extract(conn, RESNET, 1, resnet_candidates(), "imagenet")
        sheet = write_sheet(tmp_path / f"alice{kill_at}.csv", [row_for(ERR1, decision="accept")])
        monkeypatch.setattr(ann, "_replace", _killed_at(kill_at + 1, real_replace))
        with contextlib.suppress(KeyboardInterrupt):
            asg.import_reviewed(conn, home, [sheet], reviewer="alice")
        monkeypatch.setattr(ann, "_replace", real_replace)
        ann.recover(home.annotations_dir)  # what the next command does first
        in_ledger = any(r["candidate_id"] == ERR1.candidate_id for r in ledger_rows(home))
        reviews = home.annotations_dir / asg.reviews_file_name(ann.paper_month(RESNET))
        in_reviews = reviews.is_file() and any(r["candidate_id"] == ERR1.candidate_id for r in read_csv(reviews))
        assert in_ledger == in_reviews, f"killed at rename {kill_at + 1}: ledger {in_ledger}, reviews {in_reviews}"
        conn.close()


# ---------------------------------------------------------------- item 18: status --agreement recovers


def test_item18_status_agreement_finishes_an_interrupted_import(capsys: pytest.CaptureFixture[str],
                                                                db: sqlite3.Connection, home: Home,
                                                                tmp_path: Path) -> None:
    """Item 18: `review status --agreement` skipped recovery and left an interrupted import's .review-tmp files."""
    asg.import_reviewed(db, home, [write_sheet(tmp_path / "a.csv", [row_for(ERR1, decision="accept")])],
                        reviewer="alice")
    directory = home.annotations_dir
    reviews = directory / asg.reviews_file_name(ann.paper_month(RESNET))
    # bob's import committed (journal written) but was killed before renaming his verdicts into place
    rows = read_csv(reviews)
    rows.append({**rows[0], "reviewer": "bob", "decision": "reject"})
    staged = reviews.parent / f".{reviews.name}.0123456789ab{ann.TMP_SUFFIX}"
    with staged.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    (directory / ann.JOURNAL_FILE).write_text(json.dumps({"id": "0123456789ab", "files": [
        {"target": str(reviews.relative_to(directory)), "temp": str(staged.relative_to(directory))}]}),
        encoding="utf-8")
    # and an older import died before its journal: its staged file must go
    orphan = directory / f".imagenet.csv.ba9876543210{ann.TMP_SUFFIX}"
    orphan.write_text("x", encoding="utf-8")
    code, out, _ = run(capsys, "--home", str(home.root), "review", "status", "--agreement")
    assert code == 0
    assert "Agreement on 1 doubly reviewed paper(s)" in out
    assert not list(directory.rglob(f"*{ann.TMP_SUFFIX}")) and not (directory / ann.JOURNAL_FILE).exists()
    assert {r["reviewer"] for r in read_csv(reviews)} == {"alice", "bob"}
    assert agreement(directory).papers == (RESNET,)
