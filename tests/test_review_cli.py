"""``flopmine review export|import|status``: exit codes and the exact message format."""

from __future__ import annotations

import csv
import sqlite3
import time
from pathlib import Path

import pytest

from flopmine.cli import main
from flopmine.config import resolve_home
from flopmine.review.annotations import paper_month
from flopmine.review.decision import REVIEW_COLUMNS
from flopmine.store import connect
from tests.support.annotation_files import fact_name, ledger_name, ledger_rows, ledger_snapshot
from tests.test_review import DENSENET, RESNET, densenet_candidates, extract, resnet_candidates


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(list(args))
    out = capsys.readouterr()
    return int(e.value.code or 0), out.out, out.err


@pytest.fixture
def home_dir(tmp_path: Path) -> Path:
    root = tmp_path / "home"
    conn: sqlite3.Connection = connect(resolve_home(root).db_path)
    extract(conn, RESNET, 1, resnet_candidates(), "imagenet")
    extract(conn, DENSENET, 1, densenet_candidates(), "cifar10")
    conn.close()
    return root


def edit(path: Path, decisions: dict[int, dict[str, str]]) -> Path:
    """Set cells of data rows (0-based) and save with CRLF, as a spreadsheet would."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    for i, cells in decisions.items():
        rows[i].update(cells)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(reader.fieldnames or REVIEW_COLUMNS), lineterminator="\r\n")
        w.writeheader()
        w.writerows(rows)
    return path


def test_export_import_status(capsys: pytest.CaptureFixture[str], home_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "sheets"
    code, stdout, _ = run(capsys, "--home", str(home_dir), "review", "export", "--out", str(out))
    assert code == 0
    assert "Exported 7 row(s) in 6 fact slot(s), 3.5 per paper, 7 pending, to:" in stdout and str(out / "imagenet.csv") in stdout
    sheet = edit(out / "imagenet.csv", {0: {"decision": "accept"}, 1: {"decision": "reject", "reviewer": "bob"}})

    code, stdout, stderr = run(capsys, "--home", str(home_dir), "review", "import", str(sheet), "-r", "alice")
    assert (code, stderr) == (0, "")
    assert "Applied 2 decision(s): 1 accept, 1 reject, 0 correct, 0 add; 0 unchanged." in stdout
    assert f"{ledger_name(RESNET)}, decisions/reviews/{paper_month(RESNET)}.csv, {fact_name('imagenet', RESNET)}" \
        in stdout

    code, stdout, _ = run(capsys, "--home", str(home_dir), "review", "import", str(sheet))
    assert code == 0 and "Nothing to apply: 2 decision(s) already recorded (3 row(s) read)." in stdout

    code, stdout, _ = run(capsys, "--home", str(home_dir), "review", "status", "--papers")
    assert code == 0
    assert "Papers complete: 0 of 2" in stdout and f"incomplete  {RESNET}v1" in stdout
    lines = [ln.split() for ln in stdout.splitlines()]
    # columns: decided, superseded, pending, hidden, carried over
    assert ["│", "imagenet", "│", "flops", "│", "1", "│", "│", "0", "│", "│", "│"] in lines
    assert ["│", "imagenet", "│", "top1_err", "│", "1", "│", "│", "1", "│", "│", "│"] in lines

    code, stdout, _ = run(capsys, "--home", str(home_dir), "review", "export", "--pending-only",
                          "--benchmark", "imagenet", "--out", str(out / "p"), "--no-bom")
    assert code == 0 and "Exported 3 row(s) in 3 fact slot(s), 3.0 per paper, 3 pending" in stdout
    assert not (out / "p" / "imagenet.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_orphans_are_listed(capsys: pytest.CaptureFixture[str], home_dir: Path, tmp_path: Path) -> None:
    run(capsys, "--home", str(home_dir), "review", "export", "--out", str(tmp_path))
    sheet = edit(tmp_path / "cifar10.csv", {0: {"decision": "accept"}, 1: {"decision": "accept"}})
    assert run(capsys, "--home", str(home_dir), "review", "import", str(sheet))[0] == 0
    conn = connect(resolve_home(home_dir).db_path)
    extract(conn, DENSENET, 2, densenet_candidates(2)[:1], "cifar10")  # v2 lost the params fact
    conn.close()
    code, stdout, _ = run(capsys, "--home", str(home_dir), "review", "status", "--benchmark", "cifar10")
    assert code == 0
    assert "Papers complete: 1 of 1" in stdout
    assert "Orphaned decisions (kept; their candidates are no longer extracted): 1" in stdout
    assert (f"{densenet_candidates()[1].candidate_id} {DENSENET}v1 cifar10 DenseNet-BC params=25600000 [accept]: "
            "paper re-extracted as v2; this fact is not among its candidates") in stdout


def test_invalid_import_exits_1_and_lists_every_problem(capsys: pytest.CaptureFixture[str], home_dir: Path,
                                                        tmp_path: Path) -> None:
    run(capsys, "--home", str(home_dir), "review", "export", "--out", str(tmp_path))
    sheet = edit(tmp_path / "imagenet.csv", {0: {"decision": "accept"}, 1: {"decision": "yes"},
                                            2: {"decision": "correct", "corrected_value": "150"}})
    code, stdout, stderr = run(capsys, "--home", str(home_dir), "review", "import", str(sheet))
    assert code == 1 and stdout == ""
    assert stderr.splitlines() == [
        "Error: 2 problem(s) in 1 file(s); nothing was applied (fix them, or use --partial to apply only the "
        "valid rows)",
        f"{sheet}:3: decision: unknown decision 'yes'; use one of accept, reject, correct, add (or leave it empty)",
        f"{sheet}:4: corrected_value: out of range: 150 > 100 (the largest valid top1_err)",
    ]
    assert not (home_dir / "annotations").exists()

    code, stdout, stderr = run(capsys, "--home", str(home_dir), "review", "import", "--partial", str(sheet))
    assert code == 1
    assert "Applied 1 decision(s): 1 accept" in stdout
    assert stderr.splitlines()[-1] == "Skipped 2 problem(s) (--partial: only the valid rows were applied)."
    assert f"{sheet}:3: decision: unknown decision 'yes'" in stderr


def test_dry_run_and_usage_errors(capsys: pytest.CaptureFixture[str], home_dir: Path, tmp_path: Path) -> None:
    run(capsys, "--home", str(home_dir), "review", "export", "--out", str(tmp_path))
    sheet = edit(tmp_path / "cifar10.csv", {0: {"decision": "reject"}})
    code, stdout, _ = run(capsys, "--home", str(home_dir), "review", "import", "--dry-run", str(sheet))
    assert code == 0 and "Dry run: 1 valid decision(s) in 2 row(s); nothing applied." in stdout
    assert not (home_dir / "annotations").exists()
    assert run(capsys, "--home", str(home_dir), "review", "import")[0] == 2


@pytest.mark.parametrize("command", ["export", "import", "status"])
def test_help_explains_with_an_example(capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, stdout, _ = run(capsys, "review", command, "--help")
    assert code == 0 and "Example: flopmine review " + command in stdout


def test_docs_list_every_row_message(home_dir: Path, tmp_path: Path) -> None:
    """Each problem a bad sheet produces appears (up to its first quoted or numeric part) in docs/review.md."""
    import re

    from flopmine import review
    from tests.test_review import row_for, write_sheet

    docs = (Path(__file__).resolve().parent.parent / "docs" / "review.md").read_text(encoding="utf-8")
    err1, _, flops, epochs, _ = resnet_candidates()
    sheet = write_sheet(tmp_path / "bad.csv", [
        row_for(err1, decision="yes"), row_for(err1, decision="", corrected_value="1"),
        row_for(flops, candidate_id="cffffffffffffffff", decision="accept"),
        row_for(flops, decision="correct"), row_for(epochs, decision="correct", corrected_value="x"),
        row_for(epochs, decision="accept", corrected_value="5"), row_for(err1, decision="accept", value="3"),
        row_for(err1, decision="reject", model="x"), {"decision": "accept"},
        {"decision": "add", "candidate_id": "c1", "corrected_value": "3", "version": "x"},
        {"decision": "add", "arxiv_id": "nope", "field": "gpus", "value": "1", "page": "p"},
        {"decision": "add", "arxiv_id": RESNET, "field": "top1_acc", "value": "170", "page": "1"},
        {"decision": "add", "arxiv_id": RESNET, "field": "params", "value": "1", "page": "1", "benchmark": "mnist"},
        {"decision": "add", "arxiv_id": "1810.4805", "field": "params", "value": "1e6", "page": "1"},
        {"decision": "add", "arxiv_id": "2001.00001", "field": "params", "value": "1e6", "page": "1"},
    ])
    conn = connect(resolve_home(home_dir).db_path)
    try:
        _, problems, _ = review.validate_files(conn, [sheet])
    finally:
        conn.close()
    assert len(problems) >= 20
    for p in problems:
        stem = re.split(r"['\d]", f"{p.column}: {p.message}" if p.column in ("decision", "corrected_value")
                        else p.message)[0].strip()
        assert stem in docs, str(p)


def _edit_rows(path: Path, edits: dict[str, dict[str, str]], *, drop_columns: tuple[str, ...] = ()) -> Path:
    """Set cells of the rows with these candidate ids; save as a spreadsheet would (CRLF)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r.update(edits.get(r["candidate_id"], {}))
    columns = [c for c in REVIEW_COLUMNS if c not in drop_columns]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\r\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def _line_of(path: Path, candidate_id: str) -> int:
    return next(i for i, text in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1) if candidate_id in text)


def test_a_stale_export_never_reverts_a_newer_decision(capsys: pytest.CaptureFixture[str], home_dir: Path,
                                                       tmp_path: Path) -> None:
    """Issue 11.1: alice and bob export; alice changes a decision; bob's older sheet must not undo it."""
    err1, err2, flops, _, _ = resnet_candidates()
    h = ["--home", str(home_dir)]
    assert run(capsys, *h, "review", "export", "--out", str(tmp_path / "seed"))[0] == 0
    seed = _edit_rows(tmp_path / "seed" / "imagenet.csv",
                      {err2.candidate_id: {"decision": "reject"}, flops.candidate_id: {"decision": "accept"}})
    assert run(capsys, *h, "review", "import", str(seed), "-r", "carol")[0] == 0
    for who in ("alice", "bob"):
        assert run(capsys, *h, "review", "export", "--out", str(tmp_path / who))[0] == 0
    alice, bob = tmp_path / "alice" / "imagenet.csv", tmp_path / "bob" / "imagenet.csv"
    with bob.open(encoding="utf-8-sig", newline="") as fh:
        shown = {r["candidate_id"]: r for r in csv.DictReader(fh)}
    assert shown[err2.candidate_id]["decision"] == "reject"  # prefilled
    assert shown[err2.candidate_id]["exported_decision"].startswith("reject@")
    assert shown[err1.candidate_id]["exported_decision"] == "pending"

    _edit_rows(alice, {err2.candidate_id: {"decision": "accept", "note": "Table 4, ensemble", "reviewer": "alice"}})
    code, stdout, _ = run(capsys, *h, "review", "import", str(alice), "-r", "alice")
    assert code == 0 and "Applied 1 decision(s): 1 accept" in stdout

    # bob edits another row of his older sheet (a reject: one slot takes one value per file): only that row
    # applies, alice's accept and note stay
    _edit_rows(bob, {err1.candidate_id: {"decision": "reject"}})
    code, stdout, stderr = run(capsys, *h, "review", "import", str(bob), "-r", "bob")
    assert (code, stderr) == (0, "")
    assert "Applied 1 decision(s): 0 accept, 1 reject" in stdout
    ledger = {r["candidate_id"]: r for r in ledger_rows(home_dir / "annotations")}
    assert (ledger[err2.candidate_id]["decision"], ledger[err2.candidate_id]["note"]) == ("accept", "Table 4, ensemble")
    alice_at = ledger[err2.candidate_id]["decided_at"]

    # bob also changes alice's row: a conflict, and nothing of the file is applied
    _edit_rows(bob, {err2.candidate_id: {"decision": "correct", "corrected_value": "19.4"},
                     flops.candidate_id: {"decision": "reject"}})
    before = ledger_snapshot(home_dir / "annotations")
    code, stdout, stderr = run(capsys, *h, "review", "import", str(bob), "-r", "bob")
    assert code == 1 and stdout == ""
    assert stderr.splitlines() == [
        "Error: 1 problem(s) in 1 file(s); nothing was applied (fix them, or use --partial to apply only the "
        "valid rows)",
        f"{bob}:{_line_of(bob, err2.candidate_id)}: decision: changed by alice at {alice_at} since this file was "
        "exported (now accept); export again, or leave this row as it was",
    ]
    assert ledger_snapshot(home_dir / "annotations") == before
    code, _, stderr = run(capsys, *h, "review", "import", "--dry-run", str(bob))
    assert code == 1 and "changed by alice" in stderr

    # --partial skips that row and applies the rest
    code, stdout, stderr = run(capsys, *h, "review", "import", "--partial", str(bob), "-r", "bob")
    assert code == 1 and "Applied 1 decision(s): 0 accept, 1 reject" in stdout
    assert "changed by alice" in stderr and stderr.splitlines()[-1].startswith("Skipped 1 problem(s)")
    ledger = {r["candidate_id"]: r for r in ledger_rows(home_dir / "annotations")}
    assert ledger[err2.candidate_id]["decision"] == "accept" and ledger[flops.candidate_id]["decision"] == "reject"


def test_an_export_without_the_exported_decision_column_is_judged_by_decided_at(
        capsys: pytest.CaptureFixture[str], home_dir: Path, tmp_path: Path) -> None:
    """A sheet from before the column: a row applies only if its decided_at is still the ledger's."""
    err1, err2, flops, _, _ = resnet_candidates()
    h = ["--home", str(home_dir)]
    run(capsys, *h, "review", "export", "--out", str(tmp_path / "seed"))
    seed = _edit_rows(tmp_path / "seed" / "imagenet.csv", {err2.candidate_id: {"decision": "reject"}})
    assert run(capsys, *h, "review", "import", str(seed), "-r", "carol")[0] == 0
    run(capsys, *h, "review", "export", "--out", str(tmp_path / "old"))
    old = _edit_rows(tmp_path / "old" / "imagenet.csv", {err1.candidate_id: {"decision": "reject"}},
                     drop_columns=("exported_decision",))
    run(capsys, *h, "review", "export", "--out", str(tmp_path / "alice"))
    alice = _edit_rows(tmp_path / "alice" / "imagenet.csv",
                       {err2.candidate_id: {"decision": "accept", "reviewer": "alice"}})
    time.sleep(1.1)  # decided_at has a resolution of one second
    assert run(capsys, *h, "review", "import", str(alice), "-r", "alice")[0] == 0
    code, _, stderr = run(capsys, *h, "review", "import", str(old))
    assert code == 1 and f"{old}:{_line_of(old, err2.candidate_id)}: decision: changed by alice at " in stderr
    # the row as the ledger has it now is no conflict, and a row still pending in the ledger applies
    _edit_rows(old, {err2.candidate_id: {"decision": "accept"}}, drop_columns=("exported_decision",))
    code, stdout, _ = run(capsys, *h, "review", "import", str(old))
    assert code == 0 and "Applied 1 decision(s): 0 accept, 1 reject" in stdout
