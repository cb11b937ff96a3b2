"""``flopmine harvest`` / ``flopmine status`` as a user runs them, including a run killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from flopmine.cli import app
from flopmine.config import home_lock, resolve_home
from flopmine.demo.fakearxiv import FakeArxiv, FakeEntry, Fault
from tests.support.arxiv_fixtures import entries, make_pdf, paper

INTERVAL = 0.05
FLOPMINE = Path(sys.executable).with_name("flopmine")


def _env(fake: FakeArxiv) -> dict[str, str]:
    return {**os.environ, "FLOPMINE_ARXIV_API_URL": fake.api_url, "FLOPMINE_MIN_INTERVAL": str(INTERVAL),
            "FLOPMINE_HTTP_TIMEOUT": "5"}


def _cli(home: Path, registry: Path, *args: str) -> list[str]:
    exe = [str(FLOPMINE)] if FLOPMINE.exists() else [sys.executable, "-c", "from flopmine.cli import main; main()"]
    return [*exe, "--home", str(home), "--quiet", "harvest", "--registry", str(registry), *args]


def test_cli_harvest_then_status(tmp_path, registry, monkeypatch):
    monkeypatch.setenv("FLOPMINE_MIN_INTERVAL", str(INTERVAL))
    bad = Fault("/pdf/1901.00002v1", "html", times=1)
    with FakeArxiv(entries(3) + entries(1, topic="ImageNet", start=9), faults=[bad]) as fake:
        monkeypatch.setenv("FLOPMINE_ARXIV_API_URL", fake.api_url)
        runner = CliRunner()
        home = str(tmp_path / "home")
        result = runner.invoke(app, ["--home", home, "harvest", "--registry", str(registry)])
        assert result.exit_code == 1, result.output
        assert "1901.00002v1" in result.output and "HTML" in result.output
        assert "PDFs downloaded: 3, failed: 1" in result.output

        status = runner.invoke(app, ["--home", home, "status", "--registry", str(registry)])
        assert status.exit_code == 0
        out = status.output
        assert "cifar10" in out and "imagenet" in out and "Failed PDFs" in out and "HTML" in out

        from flopmine.store import connect, replace_candidates

        with connect(Path(home) / "flopmine.sqlite") as conn:
            replace_candidates(conn, "1901.00001", 1, [], extraction={"rule_version": "t", "status": "needs_ocr"})
        status = runner.invoke(app, ["--home", home, "status", "--registry", str(registry)])
        assert "Extractions" in status.output and "needs_ocr" in status.output

        again = runner.invoke(app, ["--home", home, "harvest", "--registry", str(registry), "-b", "CIFAR10"])
        assert again.exit_code == 0, again.output
        assert "failed: 0" in again.output


def test_cli_rejects_bad_options(tmp_path, registry):
    runner = CliRunner()
    home = str(tmp_path / "home")
    r = runner.invoke(app, ["--home", home, "harvest", "--registry", str(registry), "-b", "mnist"])
    assert r.exit_code == 2 and "unknown benchmark 'mnist'" in r.output  # a bad command line, as README says
    r = runner.invoke(app, ["--home", home, "harvest", "--registry", str(registry), "--since", "2019-13-01"])
    assert r.exit_code == 2 and "expected a date" in r.output
    assert not (tmp_path / "home").exists()  # refused before taking the lock


def test_overlapping_run_exits_75(tmp_path, registry):
    home = tmp_path / "home"
    with FakeArxiv(entries(1)) as fake, home_lock(resolve_home(home), "cron test"):
        proc = subprocess.run(_cli(home, registry), env=_env(fake), capture_output=True, text=True, timeout=60)
        assert proc.returncode == 75, proc.stderr
        assert "another flopmine run holds" in proc.stderr and "cron test" in proc.stderr
        assert fake.requests == []


def test_kill_9_mid_download_then_rerun_finishes_without_duplicates(tmp_path, registry):
    home = tmp_path / "home"
    pdf_dir = home / "pdfs"
    items = entries(4, pages=6)
    slow = Fault("/pdf/1901.00003v1", "trickle", times=1, chunk=256, delay=0.1)
    with FakeArxiv(items, faults=[slow]) as fake:
        proc = subprocess.Popen(_cli(home, registry), env=_env(fake), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not fake.requests_to("/pdf/1901.00003v1"):
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the harvest never reached the slow PDF"
            time.sleep(0.02)
        time.sleep(0.3)  # a few chunks in, far from the end
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL

        assert not (pdf_dir / "1901.00003v1.pdf").exists()
        assert [p.name for p in pdf_dir.iterdir() if p.name.endswith(".part")], "kill did not land mid-body"

        rerun = subprocess.run(_cli(home, registry), env=_env(fake), capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stderr

        names = sorted(p.name for p in pdf_dir.iterdir())
        assert names == [f"1901.0000{i}v1.pdf" for i in range(1, 5)]  # no partial file left
        for i, e in enumerate(items, start=1):
            assert (pdf_dir / f"1901.0000{i}v1.pdf").read_bytes() == e.body
        counts = {i: len(fake.requests_to(f"/pdf/1901.0000{i}v1")) for i in range(1, 5)}
        assert counts == {1: 1, 2: 1, 3: 2, 4: 1}  # nothing finished was fetched again
        assert fake.min_spacing() >= INTERVAL

    with sqlite3.connect(home / "flopmine.sqlite") as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT arxiv_id) FROM papers").fetchone() == (4, 4)
        assert conn.execute("SELECT group_concat(DISTINCT status) FROM pdfs").fetchone() == ("ok",)


def test_two_processes_share_nothing_but_spacing_holds_within_one(tmp_path, registry):
    """A v2 appearing between cron runs is fetched by the next run, spaced like everything else."""
    home = tmp_path / "home"
    with FakeArxiv(entries(2)) as fake:
        assert subprocess.run(_cli(home, registry), env=_env(fake), timeout=120).returncode == 0
        fake.add(FakeEntry(paper(1, version=2, updated_day=300), make_pdf("v2")))
        fake.clear_log()
        assert subprocess.run(_cli(home, registry), env=_env(fake), timeout=120).returncode == 0
        assert [r.path for r in fake.requests_to("/pdf/")] == ["/pdf/1901.00001v2"]
        assert fake.min_spacing() >= INTERVAL
    assert sorted(p.name for p in (home / "pdfs").iterdir()) == ["1901.00001v1.pdf", "1901.00001v2.pdf",
                                                                 "1901.00002v1.pdf"]


def test_help_documents_options_and_exit_codes():
    runner = CliRunner()
    out = runner.invoke(app, ["harvest", "--help"], terminal_width=200).output
    for word in ("--benchmark", "--since", "--until", "--max-papers", "--no-pdf", "--dry-run", "--registry",
                 "Exit codes", "75", "Example"):
        assert word in out
    assert "Example" in runner.invoke(app, ["status", "--help"]).output
    doc = (Path(__file__).resolve().parent.parent / "docs" / "harvest.md").read_text()
    assert "OnCalendar" in doc and "crontab" in doc and "| 75 |" in doc
