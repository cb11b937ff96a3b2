"""A harvest a cron job can trust (issue 19): a silent arXiv ends the run quickly (item 14); a truncated or
reset download is retried within the run before it counts toward the retry schedule (item 9)."""

from __future__ import annotations

import socket
import sqlite3
import time
from collections.abc import Iterator

import pytest

from flopmine import harvest
from flopmine.config import Home
from flopmine.demo.fakearxiv import Fault
from flopmine.harvest import client as arxiv_client
from flopmine.harvest.client import ServiceUnreachableError
from flopmine.store import connect
from tests.support.arxiv_fixtures import entries

INTERVAL = 0.02


@pytest.fixture
def silent_url() -> Iterator[str]:
    """An API URL on a loopback port whose kernel accepts connections that nobody ever answers."""
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(64)  # never accept(): connections complete, requests are read by nobody
        yield f"http://127.0.0.1:{srv.getsockname()[1]}/api/query"


@pytest.fixture
def blackhole_url() -> Iterator[str]:
    """An API URL where connecting times out: a listening socket whose accept queue is full."""
    with socket.socket() as srv, socket.socket() as filler:
        srv.bind(("127.0.0.1", 0))
        srv.listen(0)
        filler.connect(srv.getsockname())  # fills the queue; later SYNs are dropped
        yield f"http://127.0.0.1:{srv.getsockname()[1]}/api/query"


def _pdf_row(home: Home, versioned: str) -> sqlite3.Row:
    with connect(home.db_path) as conn:
        rows = {f"{r['arxiv_id']}v{r['version']}": r for r in conn.execute("SELECT * FROM pdfs")}
    return rows[versioned]


# ---------------------------------------------------------------- item 14: a silent arXiv


def test_an_arxiv_that_accepts_but_never_answers_ends_the_run_after_one_benchmark(home, registry, silent_url,
                                                                                   monkeypatch):
    monkeypatch.setenv("FLOPMINE_HTTP_TIMEOUT", "0.3")
    limiter = arxiv_client.shared_limiter()
    before = limiter.requests
    started = time.monotonic()
    with pytest.raises(ServiceUnreachableError) as e:
        harvest.run(home, registry=registry, api_url=silent_url, min_interval=INTERVAL)
    elapsed = time.monotonic() - started
    message = str(e.value)
    assert "\n" not in message and silent_url.split("/")[2] in message
    assert "does not answer" in message and "timed out waiting for an answer" in message and "(4 tries)" in message
    assert limiter.requests - before == 4  # the first benchmark's tries; the second is never asked
    assert elapsed < 4 * 0.3 + 3, elapsed


def test_a_connect_timeout_ends_the_run_within_a_minute_at_default_settings(home, registry, blackhole_url,
                                                                            monkeypatch, sleeps):
    monkeypatch.setenv("FLOPMINE_HTTP_TIMEOUT", "0.2")  # the connect timeouts really happen, briefly
    limiter = arxiv_client.shared_limiter()
    before = limiter.requests
    with pytest.raises(ServiceUnreachableError) as e:
        harvest.run(home, registry=registry, api_url=blackhole_url, min_interval=3.0)  # default spacing
    assert "timed out connecting" in str(e.value) and "arXiv is unreachable" in str(e.value)
    tries = limiter.requests - before
    assert tries == 4
    # at the default timeouts each try waits DEFAULT_CONNECT_TIMEOUT; with the backoff slept between tries
    # the whole run must end within 60 s (10 s connect timeouts made it 64-66 s)
    assert tries * arxiv_client.DEFAULT_CONNECT_TIMEOUT + sum(sleeps) <= 60, sleeps
    assert arxiv_client.env_timeout()[0] <= 0.2
    monkeypatch.delenv("FLOPMINE_HTTP_TIMEOUT")
    assert arxiv_client.env_timeout()[0] == arxiv_client.DEFAULT_CONNECT_TIMEOUT


def test_pdfs_that_never_answer_end_the_run_after_one_pdfs_tries(home, registry, make_fake, monkeypatch):
    monkeypatch.setenv("FLOPMINE_HTTP_TIMEOUT", "0.3")
    fake = make_fake(entries(4), faults=[Fault("/pdf/*", "slow", times=100, delay=1.5)])
    with pytest.raises(ServiceUnreachableError) as e:
        harvest.run(home, registry=registry, api_url=fake.api_url, min_interval=INTERVAL, benchmarks=["cifar10"])
    assert "does not answer" in str(e.value) and "(3 tries)" in str(e.value)
    pdf_requests = {r.path for r in fake.requests_to("/pdf/")}
    assert len(pdf_requests) == 1  # the other three PDFs were not tried


def test_a_dropped_api_connection_on_every_try_ends_the_run_in_one_clean_line(home, registry, make_fake):
    fake = make_fake(entries(2), faults=[Fault("/api/query*", "drop", times=100)])
    with pytest.raises(ServiceUnreachableError) as e:
        harvest.run(home, registry=registry, api_url=fake.api_url, min_interval=INTERVAL, num_retries=1)
    message = str(e.value)
    assert "connection dropped by the server (2 tries)" in message
    for noise in ("urllib3", "HTTPConnectionPool", "Max retries", "RemoteDisconnected", "\n"):
        assert noise not in message
    assert len(fake.requests) == 2  # one benchmark's tries


def test_an_answering_but_failing_api_still_moves_on_to_the_next_benchmark(home, registry, make_fake):
    fake = make_fake(entries(2), faults=[Fault("/api/query*CIFAR*", "malformed", times=100)])
    report = harvest.run(home, registry=registry, api_url=fake.api_url, min_interval=INTERVAL, num_retries=1)
    cifar, imagenet = report.queries
    assert "malformed" in cifar.error and imagenet.complete and not imagenet.error


# ---------------------------------------------------------------- item 9: truncated or reset transfers


@pytest.mark.parametrize("fault", [
    Fault("/pdf/1901.00001v1", "truncate", times=1),  # half the file, consistently announced: no %%EOF
    Fault("/pdf/1901.00001v1", "truncate", times=2),
    Fault("/pdf/1901.00001v1", "cut", times=2),  # the full length announced, half sent, connection closed
], ids=lambda f: f"{f.kind}x{f.times}")
def test_a_truncated_download_is_retried_within_the_run(home, registry, make_fake, fault):
    fake = make_fake(entries(2), faults=[fault])
    report = harvest.run(home, registry=registry, api_url=fake.api_url, min_interval=INTERVAL)
    assert fault.fired == fault.times
    assert report.exit_code == 0 and len(report.downloaded) == 2 and not report.failed
    assert len(fake.requests_to("/pdf/1901.00001v1")) == 1 + fault.times
    row = _pdf_row(home, "1901.00001v1")
    assert row["status"] == "ok" and row["next_attempt"] is None
    assert not [p for p in home.pdf_dir.iterdir() if p.name.startswith(".")]


def test_retries_of_a_truncated_download_are_spaced_by_a_short_backoff(home, registry, make_fake):
    interval = 0.1
    fake = make_fake(entries(1), faults=[Fault("/pdf/1901.00001v1", "truncate", times=2)])
    harvest.run(home, registry=registry, api_url=fake.api_url, min_interval=interval)
    times = [r.time for r in fake.requests_to("/pdf/1901.00001v1")]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(gaps) == 2 and gaps[0] >= interval and gaps[1] >= 2 * interval  # backoff doubles
    assert max(gaps) < 10 * interval


def test_a_download_truncated_on_every_try_counts_once_toward_the_schedule(home, registry, make_fake):
    fake = make_fake(entries(2), faults=[Fault("/pdf/1901.00001v1", "truncate", times=100)])
    report = harvest.run(home, registry=registry, api_url=fake.api_url, min_interval=INTERVAL)
    (failed,) = report.failed
    assert "truncated" in failed.reason and "after 3 tries" in failed.reason
    assert len(fake.requests_to("/pdf/1901.00001v1")) == 3
    row = _pdf_row(home, "1901.00001v1")
    assert row["status"] == "failed" and row["attempts"] == 1 and row["next_attempt"]  # the 1 h step


# ---------------------------------------------------------------- issue 20, item 1: page size


def _max_results(path: str) -> int:
    from urllib.parse import parse_qs, urlsplit

    return int(parse_qs(urlsplit(path).query)["max_results"][0])


def test_pages_are_2000_entries_by_default_and_an_incremental_pass_starts_small(home, registry, make_fake):
    fake = make_fake(entries(250))
    report = harvest.run(home, registry=registry, api_url=fake.api_url, min_interval=0.0, download=False)
    assert report.new_versions == 250
    first = fake.requests_to("/api/query")
    assert len(first) == 2 and {_max_results(r.path) for r in first} == {2000}  # one page per benchmark
    fake.clear_log()
    again = harvest.run(home, registry=registry, api_url=fake.api_url, min_interval=0.0, download=False)
    assert again.new_versions == 0
    second = fake.requests_to("/api/query")
    assert len(second) == 2 and {_max_results(r.path) for r in second} == {100}


def test_an_incremental_pass_that_reads_past_its_first_page_continues_with_full_pages(home, registry,
                                                                                      make_fake):
    from tests.support.arxiv_fixtures import paper

    fake = make_fake(entries(5))
    harvest.run(home, registry=registry, api_url=fake.api_url, min_interval=0.0, download=False,
                benchmarks=["cifar10"])
    for n in range(6, 306):  # 300 newer papers than the high-water mark
        from flopmine.demo.fakearxiv import FakeEntry

        fake.add(FakeEntry(paper(n, day=400 + n)))
    fake.clear_log()
    report = harvest.run(home, registry=registry, api_url=fake.api_url, min_interval=0.0, download=False,
                         benchmarks=["cifar10"], page_size=150)
    assert report.new_versions == 300
    sizes = [_max_results(r.path) for r in fake.requests_to("/api/query")]
    assert sizes == [100, 150, 150]


@pytest.mark.parametrize("size", ["0", "2001"])
def test_page_size_outside_arxivs_limit_is_a_bad_command_line(tmp_path, size):
    from typer.testing import CliRunner

    from flopmine.cli import app

    result = CliRunner().invoke(app, ["--home", str(tmp_path / "h"), "harvest", "--page-size", size])
    assert result.exit_code == 2 and not (tmp_path / "h").exists()
