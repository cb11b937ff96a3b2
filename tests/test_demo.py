"""The offline demo end to end: fake arXiv → harvest → extract → scripted review → build → analyze."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flopmine.demo.runner import (
    DEMO_MARKER,
    KnownFact,
    added_rows,
    fill_review_sheet,
    prepare_home,
    run_demo,
    same_value,
)
from flopmine.errors import ConfigError
from flopmine.store import connect
from tests.support.annotation_files import ledger_rows


def test_demo_pipeline_end_to_end(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    report = run_demo(root, n_papers=16, workers=2, sims=0)  # enough papers for three points a benchmark
    home = report.home
    # harvest: every served entry recorded; the broken downloads rejected with a reason, never stored
    conn = connect(home.db_path)
    n_papers = conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0]
    assert n_papers == report.papers_served
    # corrupt, truncated and the HTML error page are rejected; the encrypted PDF is complete, so kept
    assert len(report.pdfs_failed) == 3
    assert any("HTML" in reason for reason in report.pdfs_failed.values())
    stored = sorted(p.name for p in home.pdf_dir.iterdir())
    assert all(name.endswith(".pdf") for name in stored)
    assert len(stored) == report.pdfs_ok
    # extraction: the text-less scan and the encrypted PDF are reported, the rest extracted
    assert sorted(reason.split(":")[0] for reason in report.extraction_failed.values()) == ["encrypted", "needs_ocr"]
    assert report.extracted_ok == report.pdfs_ok - len(report.extraction_failed)
    assert report.candidates > 0
    assert (home.queue_dir / "queue.csv").is_file()
    # review: decisions were applied and live in annotations/
    assert report.accepted > 0 and report.rejected > 0
    fact_files = sorted(p.name for p in home.annotations_dir.glob("*.csv"))
    assert any(name.startswith("paper_facts-") for name in fact_files) and len(fact_files) >= 3
    # build + analyze
    assert report.dataset_rows > 0
    results = json.loads((home.report_dir / "results.json").read_text())
    assert results  # something was fitted
    assert report.summary_rows and all(r["slope"] < 0 for r in report.summary_rows if r["n"] >= 5)
    html = (home.report_dir / "report.html").read_text()
    assert "<table" in html
    assert report.report_path == home.report_dir / "report.html"
    conn.close()


def test_demo_refuses_to_wipe_a_non_demo_directory(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("user data")
    with pytest.raises(ConfigError, match="not a flopmine demo home"):
        prepare_home(tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "user data"


def test_prepare_home_wipes_only_an_old_demo(tmp_path: Path) -> None:
    home = prepare_home(tmp_path / "d")
    (home.root / "old.txt").write_text("x")
    home = prepare_home(tmp_path / "d")
    assert not (home.root / "old.txt").exists()
    assert (home.root / DEMO_MARKER).exists()


def test_scripted_reviewer_accepts_one_match_per_fact_and_adds_the_missed() -> None:
    known = [KnownFact("1905.00001", 1, "", "NetA", "params", 25.6e6, 3),
             KnownFact("1905.00001", 1, "imagenet", "NetA", "top1_acc", 77.1, 4),
             KnownFact("1905.00001", 1, "", "NetA", "hardware", "NVIDIA Tesla V100 SXM2", 5)]
    rows = [
        {"arxiv_id": "1905.00001", "field": "params", "value": "25600000", "rank": "2", "benchmark": "", "decision": ""},
        {"arxiv_id": "1905.00001", "field": "params", "value": "25.61e6", "rank": "1", "benchmark": "", "decision": ""},
        {"arxiv_id": "1905.00001", "field": "params", "value": "11e6", "rank": "3", "benchmark": "", "decision": ""},
        {"arxiv_id": "1905.00001", "field": "top1_acc", "value": "77.1", "rank": "1", "benchmark": "coco",
         "decision": ""},
    ]
    matched: set[int] = set()
    out = fill_review_sheet(rows, known, matched)
    assert [r["decision"] for r in out] == ["reject", "accept", "reject", "reject"]  # best-ranked match wins
    assert matched == {0}
    adds = added_rows(known, matched)
    assert [(a["field"], a["decision"]) for a in adds] == [("top1_acc", "add"), ("hardware", "add")]


def test_same_value_tolerance_and_devices() -> None:
    assert same_value("params", "25600000", 25.7e6)  # within 0.5 %
    assert not same_value("params", "25600000", 26.0e6)
    assert same_value("hardware", "Tesla V100", "tesla v100")
    assert not same_value("params", "n/a", 1.0)


def test_demo_cli_smoke(tmp_path: Path) -> None:
    """The console command as a user runs it (small corpus, no simulation)."""
    home = tmp_path / "cli-demo"
    proc = subprocess.run(
        [sys.executable, "-m", "flopmine", "--home", str(home), "demo", "--papers", "6", "--sims", "0"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Report:" in proc.stdout
    assert (home / "report" / "report.html").is_file()
    ledger = ledger_rows(home / "annotations")
    assert {row["decision"] for row in ledger} >= {"accept", "reject"}
