"""The harvest stays bounded in time and memory whatever the server does (issue 11, items 7–12).

Every test runs the real client against the loopback fake arXiv (or a closed loopback port).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flopmine import harvest
from flopmine.cli import app
from flopmine.config import Home
from flopmine.demo.fakearxiv import FakeArxiv, FakeEntry, Fault
from flopmine.harvest.client import ServiceUnreachableError
from flopmine.store import connect
from tests.support.arxiv_fixtures import entries, make_pdf, paper

INTERVAL = 0.02
FLOPMINE = Path(sys.executable).with_name("flopmine")


def _run(home: Home, url: str, registry: Path, **kw: object) -> harvest.HarvestReport:
    kw.setdefault("min_interval", INTERVAL)
    return harvest.run(home, registry=registry, api_url=url, **kw)  # type: ignore[arg-type]


def _pdf_rows(home: Home) -> dict[str, sqlite3.Row]:
    with connect(home.db_path) as conn:
        return {f"{r['arxiv_id']}v{r['version']}": r for r in conn.execute("SELECT * FROM pdfs")}


def _time_passes(home: Home) -> None:
    """Every failed PDF's next attempt is due (as if its backoff had elapsed)."""
    with connect(home.db_path) as conn:
        conn.execute("UPDATE pdfs SET next_attempt = '2000-01-01T00:00:00Z' WHERE next_attempt IS NOT NULL")


# ---------------------------------------------------------------- 7. arXiv unreachable


def test_unreachable_arxiv_stops_the_run_within_a_minute_at_default_settings(home, registry, closed_port_url,
                                                                             sleeps):
    limiter = harvest.client.shared_limiter()
    before = limiter.requests
    with pytest.raises(ServiceUnreachableError) as e:
        _run(home, closed_port_url, registry, min_interval=3.0)  # the default spacing; sleeps are recorded
    message = str(e.value)
    host = closed_port_url.split("/")[2]
    assert "\n" not in message and host in message and "connection refused" in message
    assert "run again" in message and "urllib3" not in message and "HTTPConnectionPool" not in message
    assert limiter.requests - before == 4  # one benchmark's tries; the second benchmark is never asked
    assert sum(sleeps) < 60, sleeps
    assert "arXiv is unreachable" in harvest.status(home, registry=registry).benchmarks[0].last_error


def test_backoff_starts_afresh_for_each_benchmark(home, registry, make_fake, sleeps):
    fake = make_fake(entries(2) + entries(2, topic="ImageNet", start=10),
                     faults=[Fault("/api/query*", "status", times=100, status=503)])
    report = _run(home, fake.api_url, registry, min_interval=3.0)
    assert report.exit_code == 1 and len(fake.requests) == 8
    # 3, 6, 12 s (+25 % jitter) within a benchmark; carried over, the second one's would reach 96 s
    assert max(sleeps) < 31, sleeps
    assert all("\n" not in q.error and "HTTP 503" in q.error for q in report.queries)


def test_cli_unreachable_is_one_line_and_exit_1(tmp_path, registry, closed_port_url):
    env = {**os.environ, "FLOPMINE_ARXIV_API_URL": closed_port_url, "FLOPMINE_MIN_INTERVAL": "0.02"}
    exe = [str(FLOPMINE)] if FLOPMINE.exists() else [sys.executable, "-m", "flopmine"]
    started = time.monotonic()
    proc = subprocess.run([*exe, "--home", str(tmp_path / "home"), "--quiet", "harvest", "--registry",
                           str(registry)], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "arXiv is unreachable at 127.0.0.1:" in lines[0] and "connection refused" in lines[0]
    assert time.monotonic() - started < 30


# ---------------------------------------------------------------- 8. slow drip


def test_slow_drip_api_page_fails_at_its_deadline_and_is_retried(home, registry, make_fake, monkeypatch):
    monkeypatch.setenv("FLOPMINE_HTTP_TIMEOUT", "5")  # each byte arrives well within the read timeout
    monkeypatch.setenv("FLOPMINE_API_DEADLINE", "1")
    drip = Fault("/api/query*", "trickle", times=1, chunk=64, delay=0.2)  # a page would take ~30 s
    fake = make_fake(entries(12), faults=[drip])
    started = time.monotonic()
    report = _run(home, fake.api_url, registry, benchmarks=["cifar10"])
    assert time.monotonic() - started < 8
    assert drip.fired == 1 and report.exit_code == 0 and report.new_versions == 12


def test_slow_drip_pdf_fails_at_its_deadline_and_is_retried(home, registry, make_fake, monkeypatch):
    monkeypatch.setenv("FLOPMINE_HTTP_TIMEOUT", "5")
    monkeypatch.setenv("FLOPMINE_PDF_DEADLINE", "1")
    drip = Fault("/pdf/1901.00001v1", "trickle", times=1, chunk=16, delay=0.2)  # the PDF would take ~20 s
    fake = make_fake(entries(2), faults=[drip])
    started = time.monotonic()
    report = _run(home, fake.api_url, registry, benchmarks=["cifar10"])
    assert time.monotonic() - started < 8
    assert drip.fired == 1 and report.exit_code == 0 and len(report.downloaded) == 2
    assert len(fake.requests_to("/pdf/1901.00001v1")) == 2
    assert not [p for p in home.pdf_dir.iterdir() if p.name.startswith(".")]


def test_slow_drip_pdf_that_never_finishes_fails_with_a_reason(home, registry, make_fake, monkeypatch):
    monkeypatch.setenv("FLOPMINE_PDF_DEADLINE", "0.5")
    fake = make_fake(entries(1), faults=[Fault("/pdf/*", "trickle", times=100, chunk=16, delay=0.2)])
    report = _run(home, fake.api_url, registry, benchmarks=["cifar10"])
    (failed,) = report.failed
    assert "no complete answer within 0.5 s" in failed.reason and "after 3 tries" in failed.reason


# ---------------------------------------------------------------- 9. feed size


def test_huge_feed_page_is_capped_not_read_whole(home, registry, make_fake):
    huge = Fault("/api/query*", "huge", times=1, size=64 * 1024 * 1024)
    fake = make_fake(entries(2), faults=[huge])
    report = _run(home, fake.api_url, registry, benchmarks=["cifar10"])
    (query,) = report.queries
    assert report.exit_code == 1 and "larger than the 16777216-byte cap" in query.error
    assert huge.sent < 48 * 1024 * 1024  # the client hung up at the cap (plus socket buffers)


# ---------------------------------------------------------------- 10. failing PDFs back off across runs


def test_failing_pdf_backs_off_across_runs_then_gives_up(home, registry, make_fake):
    fake = make_fake(entries(2), faults=[Fault("/pdf/1901.00002v1", "html", times=100)])
    report = _run(home, fake.api_url, registry, benchmarks=["cifar10"])
    assert report.exit_code == 1
    row = _pdf_rows(home)["1901.00002v1"]
    due = datetime.fromisoformat(row["next_attempt"].replace("Z", "+00:00")) - datetime.now(UTC)
    assert row["attempts"] == 1 and timedelta(minutes=55) < due <= timedelta(hours=1)

    fake.clear_log()
    report = _run(home, fake.api_url, registry, benchmarks=["cifar10"])  # an hour has not passed
    assert fake.requests_to("/pdf/") == [] and report.exit_code == 0

    waits = []
    for attempt in range(2, 6):
        _time_passes(home)
        _run(home, fake.api_url, registry, benchmarks=["cifar10"])
        row = _pdf_rows(home)["1901.00002v1"]
        assert row["attempts"] == attempt
        if row["next_attempt"]:
            waits.append(datetime.fromisoformat(row["next_attempt"].replace("Z", "+00:00")) - datetime.now(UTC))
    assert [round(w / timedelta(hours=1)) for w in waits] == [6, 24, 168]  # then given up
    assert row["next_attempt"] is None

    fake.clear_log()
    _time_passes(home)
    _run(home, fake.api_url, registry, benchmarks=["cifar10"])
    assert fake.requests_to("/pdf/") == []  # given up
    (failed,) = harvest.status(home, registry=registry).failed
    assert failed.gave_up and failed.attempts == 5 and "HTML" in failed.reason

    report = _run(home, fake.api_url, registry, benchmarks=["cifar10"], retry_failed=True)
    assert [r.path for r in fake.requests_to("/pdf/")] == ["/pdf/1901.00002v1"]


def test_cli_status_shows_gave_up_and_retry_failed_forces(tmp_path, registry, monkeypatch):
    monkeypatch.setenv("FLOPMINE_MIN_INTERVAL", str(INTERVAL))
    with FakeArxiv(entries(1), faults=[Fault("/pdf/*", "html", times=100)]) as fake:
        monkeypatch.setenv("FLOPMINE_ARXIV_API_URL", fake.api_url)
        runner = CliRunner()
        home = tmp_path / "home"
        args = ["--home", str(home), "harvest", "--registry", str(registry)]
        assert runner.invoke(app, args).exit_code == 1
        status = runner.invoke(app, ["--home", str(home), "status", "--registry", str(registry)],
                               terminal_width=200).output
        assert "next attempt" in status and "HTML" in status
        with connect(home / "flopmine.sqlite") as conn:
            conn.execute("UPDATE pdfs SET attempts = 5, next_attempt = NULL")
        status = runner.invoke(app, ["--home", str(home), "status", "--registry", str(registry)],
                               terminal_width=200).output
        assert "gave up" in status and "--retry-failed" in status
        fake.clear_log()
        assert runner.invoke(app, args).exit_code == 0 and fake.requests_to("/pdf/") == []
        assert runner.invoke(app, [*args, "--retry-failed"]).exit_code == 1
        assert len(fake.requests_to("/pdf/")) == 1


# ---------------------------------------------------------------- 11. other hosts


def test_pdf_link_to_another_host_is_refused(home, registry, make_fake):
    fake = make_fake([])
    elsewhere = f"http://localhost:{fake.base_url.rsplit(':', 1)[1]}/pdf/1901.00001v1"
    fake.add(FakeEntry(paper(1), make_pdf("p1"), pdf_url=elsewhere))
    report = _run(home, fake.api_url, registry, benchmarks=["cifar10"])
    (failed,) = report.failed
    assert "not arXiv's" in failed.reason and elsewhere in failed.reason
    assert fake.requests_to("/pdf/") == [] and list(home.pdf_dir.iterdir()) == []


def test_redirect_to_another_host_is_refused_but_same_host_followed(home, registry, make_fake):
    fake = make_fake(entries(2))
    elsewhere = f"http://localhost:{fake.base_url.rsplit(':', 1)[1]}/pdf/1901.00001v1"
    fake.inject(Fault("/pdf/1901.00001v1", "redirect", times=1, location=elsewhere))
    fake.inject(Fault("/pdf/1901.00002v1", "redirect", times=1, location="/pdf/1901.00002v1?mirror"))
    report = _run(home, fake.api_url, registry, benchmarks=["cifar10"])
    (failed,) = report.failed
    assert failed.arxiv_id == "1901.00001" and "redirect" in failed.reason and elsewhere in failed.reason
    assert len(fake.requests_to("/pdf/1901.00001v1")) == 1  # never followed
    assert sorted(p.name for p in home.pdf_dir.iterdir()) == ["1901.00002v1.pdf"]


def test_api_redirect_to_another_host_is_refused(home, registry, make_fake):
    fake = make_fake(entries(1))
    elsewhere = f"http://localhost:{fake.base_url.rsplit(':', 1)[1]}/api/query?search_query=x"
    fake.inject(Fault("/api/query*", "redirect", times=100, location=elsewhere))
    report = _run(home, fake.api_url, registry, benchmarks=["cifar10"])
    assert elsewhere in report.queries[0].error and len(fake.requests) == 1


# ---------------------------------------------------------------- 12. the result cap


def test_query_over_the_result_cap_is_split_by_date_and_slices_recorded(home, registry, make_fake):
    fake = make_fake(entries(40), result_cap=10)  # published 2019-01-02 … 2019-02-10
    window = {"since": date(2019, 1, 1), "until": date(2019, 2, 28)}
    report = _run(home, fake.api_url, registry, benchmarks=["cifar10"], page_size=5, result_cap=10, **window)
    (query,) = report.queries
    assert report.exit_code == 0 and query.new_versions == 40 and query.slices > 1
    assert len(_pdf_rows(home)) == 40
    with connect(home.db_path) as conn:
        slices = conn.execute("SELECT lo, hi, total_results FROM harvest_slices ORDER BY lo").fetchall()
    assert len(slices) == query.slices and slices[0][0] == "2019-01-01" and slices[-1][1] == "2019-02-28"
    for (_, hi, total), (lo, _, _) in zip(slices, slices[1:], strict=False):
        assert date.fromisoformat(lo) - date.fromisoformat(hi) == timedelta(days=1)  # no gap, no overlap
        assert total is None or total <= 10

    fake.clear_log()
    again = _run(home, fake.api_url, registry, benchmarks=["cifar10"], page_size=5, result_cap=10, **window)
    assert again.new_versions == 0 and again.queries[0].slices == len(slices)
    asked = [r.path for r in fake.requests if "start=0&" in r.path]
    assert len(asked) == len(slices)  # the recorded slices are asked directly, nothing probed over the cap
    assert not [p for p in asked if "201901010000+TO+201902282359" in p]
