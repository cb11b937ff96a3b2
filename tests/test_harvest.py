"""Harvester end to end against a real loopback HTTP server acting as arXiv (no mocks, no internet)."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from flopmine import harvest
from flopmine.config import Home, home_lock
from flopmine.demo.fakearxiv import FakeArxiv, FakeEntry, Fault
from flopmine.errors import LockedError
from flopmine.store import connect
from tests.support.arxiv_fixtures import entries, make_pdf, paper

INTERVAL = 0.02


def _run(home: Home, fake: FakeArxiv, registry: Path, **kw: object) -> harvest.HarvestReport:
    kw.setdefault("min_interval", INTERVAL)
    return harvest.run(home, registry=registry, api_url=fake.api_url, **kw)  # type: ignore[arg-type]


def _db(home: Home) -> sqlite3.Connection:
    return connect(home.db_path)


def _pdf_rows(home: Home) -> dict[str, sqlite3.Row]:
    with _db(home) as conn:
        return {f"{r['arxiv_id']}v{r['version']}": r for r in conn.execute("SELECT * FROM pdfs")}


def _assert_clean_pdf_dir(home: Home) -> None:
    names = sorted(p.name for p in home.pdf_dir.iterdir())
    assert not [n for n in names if n.startswith(".") or not n.endswith(".pdf")], names
    for p in home.pdf_dir.iterdir():
        assert p.read_bytes().startswith(b"%PDF-")


def _time_passes(home: Home) -> None:
    """Every failed PDF's next attempt is due (as if its backoff had elapsed)."""
    with _db(home) as conn:
        conn.execute("UPDATE pdfs SET next_attempt = '2000-01-01T00:00:00Z' WHERE next_attempt IS NOT NULL")


def _api(fake: FakeArxiv) -> list:
    return fake.requests_to("/api/query")


def _pdf_requests(fake: FakeArxiv) -> list:
    return fake.requests_to("/pdf/")


# ---------------------------------------------------------------- the happy path


@pytest.mark.parametrize("layout", ["2026", "2016"])
def test_full_harvest_records_everything_politely(home, registry, make_fake, layout):
    items = entries(12) + entries(3, topic="ImageNet", start=40)
    fake = make_fake(items, layout=layout)
    report = _run(home, fake, registry, page_size=5)

    assert report.exit_code == 0
    assert [q.new_versions for q in report.queries] == [12, 3]
    assert all(q.complete for q in report.queries)
    # minimum possible requests: ceil(12/5) + ceil(3/5) pages + 15 PDFs
    assert len(_api(fake)) == 3 + 1
    assert len(_pdf_requests(fake)) == 15
    assert report.requests == len(fake.requests) == 19
    assert fake.min_spacing() >= INTERVAL

    rows = _pdf_rows(home)
    assert len(rows) == 15 and {r["status"] for r in rows.values()} == {"ok"}
    for vid, row in rows.items():
        data = (home.pdf_dir / f"{vid}.pdf").read_bytes()
        assert row["sha256"] == hashlib.sha256(data).hexdigest() and row["size"] == len(data)
    _assert_clean_pdf_dir(home)

    with _db(home) as conn:
        p = conn.execute("SELECT * FROM papers WHERE arxiv_id = '1901.00003'").fetchone()
        assert p["title"] == "Paper 3 about CIFAR-10" and (p["year"], p["month"]) == (2019, 1)
        assert p["published"] == "2019-01-04T12:00:00Z" and "Second Author" in p["authors"]
        benches = {r[0]: r[1] for r in conn.execute("SELECT arxiv_id, benchmark FROM paper_benchmarks")}
    assert benches["1901.00003"] == "cifar10" and benches["1901.00041"] == "imagenet"


def test_second_run_asks_one_page_per_query_and_downloads_nothing(home, registry, make_fake):
    fake = make_fake(entries(30) + entries(4, topic="ImageNet", start=60))
    assert _run(home, fake, registry).exit_code == 0
    fake.clear_log()
    report = _run(home, fake, registry)
    assert report.exit_code == 0 and report.new_versions == 0 and report.downloads == ()
    assert len(_api(fake)) == 2 and _pdf_requests(fake) == []
    assert [q.stopped for q in report.queries] == ["caught up", "end of results"]


def test_new_version_is_recorded_and_downloaded_old_kept(home, registry, make_fake):
    fake = make_fake(entries(5))
    _run(home, fake, registry)
    v2 = paper(3, version=2, updated_day=200)
    fake.add(FakeEntry(v2, make_pdf("v2 of paper 3")))
    fake.clear_log()
    report = _run(home, fake, registry)
    assert report.new_versions == 1 and report.queries[0].new_papers == 0
    assert [r.path for r in _pdf_requests(fake)] == ["/pdf/1901.00003v2"]
    assert (home.pdf_dir / "1901.00003v1.pdf").exists() and (home.pdf_dir / "1901.00003v2.pdf").exists()
    rows = _pdf_rows(home)
    assert rows["1901.00003v2"]["status"] == "ok" and rows["1901.00003v1"]["status"] == "ok"


def test_paper_in_two_benchmarks_downloaded_once(home, registry, make_fake):
    both = paper(7, topic="CIFAR-10 and ImageNet")
    fake = make_fake([FakeEntry(both, make_pdf("both"))])
    report = _run(home, fake, registry)
    assert [q.new_versions for q in report.queries] == [1, 0]
    assert len(_pdf_requests(fake)) == 1
    with _db(home) as conn:
        assert sorted(r[0] for r in conn.execute("SELECT benchmark FROM paper_benchmarks")) == ["cifar10", "imagenet"]


def test_old_style_id_never_becomes_a_path(home, registry, make_fake):
    old = paper(1, arxiv_id="hep-th/9901001", version=2)
    fake = make_fake([FakeEntry(old, make_pdf("old style"))])
    report = _run(home, fake, registry, benchmarks=["cifar10"])
    assert report.exit_code == 0
    assert sorted(p.name for p in home.pdf_dir.iterdir()) == ["hep-th_9901001v2.pdf"]
    assert _pdf_rows(home)["hep-th/9901001v2"]["path"] == "hep-th_9901001v2.pdf"


# ---------------------------------------------------------------- options


def test_max_papers_caps_then_next_run_finishes(home, registry, make_fake):
    fake = make_fake(entries(12))
    r1 = _run(home, fake, registry, benchmarks=["cifar10"], max_papers=5)
    assert r1.new_versions == 5 and r1.queries[0].stopped == "max-papers" and not r1.queries[0].complete
    assert len(list(home.pdf_dir.iterdir())) == 5
    r2 = _run(home, fake, registry, benchmarks=["cifar10"])
    assert r2.new_versions == 7 and r2.queries[0].complete
    assert len(_pdf_rows(home)) == 12 and len(_pdf_requests(fake)) == 12  # none twice


def test_dry_run_writes_nothing(home, registry, make_fake):
    fake = make_fake(entries(4))
    report = _run(home, fake, registry, dry_run=True)
    assert report.dry_run and report.new_versions == 4 and len(report.new_ids) == 4
    assert not home.root.exists()
    assert _pdf_requests(fake) == [] and len(_api(fake)) == 2
    # on an existing store too: nothing changes
    _run(home, fake, registry, max_papers=1)
    before = home.db_path.read_bytes()
    report = _run(home, fake, registry, dry_run=True)
    assert report.new_versions == 3 and home.db_path.read_bytes() == before


def test_no_pdf_leaves_pending_then_later_run_downloads(home, registry, make_fake):
    fake = make_fake(entries(3))
    r1 = _run(home, fake, registry, download=False)
    assert r1.pdfs_pending == 3 and _pdf_requests(fake) == []
    assert {r["status"] for r in _pdf_rows(home).values()} == {"pending"}
    assert harvest.status(home, registry=registry).total.pdf_pending == 3
    r2 = _run(home, fake, registry)
    assert len(r2.downloaded) == 3 and r2.new_versions == 0


def test_since_until_limit_submission_dates(home, registry, make_fake):
    fake = make_fake(entries(40))  # published 2019-01-02 … 2019-02-10
    report = _run(home, fake, registry, benchmarks=["cifar10"], since=date(2019, 1, 10), until=date(2019, 1, 20))
    with _db(home) as conn:
        published = sorted(r[0][:10] for r in conn.execute("SELECT published FROM papers"))
    assert published[0] == "2019-01-10" and published[-1] == "2019-01-20" and len(published) == 11
    assert "submittedDate:[201901100000 TO 201901202359]" in report.queries[0].query


def test_lock_held_means_locked_error(home, registry, make_fake):
    fake = make_fake(entries(1))
    with home_lock(home, "test"), pytest.raises(LockedError) as e:
        _run(home, fake, registry)
    assert e.value.exit_code == 75 and fake.requests == []


def test_file_renamed_before_a_kill_is_adopted_not_refetched(home, registry, make_fake):
    fake = make_fake(entries(2))
    _run(home, fake, registry, download=False)
    data = make_pdf("Paper 1 about CIFAR-10")
    home.pdf_dir.mkdir(parents=True, exist_ok=True)
    (home.pdf_dir / "1901.00001v1.pdf").write_bytes(data)
    (home.pdf_dir / ".1901.00002v1.pdf.abc123.part").write_bytes(b"%PDF-1.4 half")
    fake.clear_log()
    report = _run(home, fake, registry)
    assert [r.path for r in _pdf_requests(fake)] == ["/pdf/1901.00002v1"]
    assert report.partials_removed == 1
    assert _pdf_rows(home)["1901.00001v1"]["sha256"] == hashlib.sha256(data).hexdigest()
    _assert_clean_pdf_dir(home)


# ---------------------------------------------------------------- API faults


@pytest.mark.parametrize("fault", [
    Fault("/api/query*", "status", times=2, status=500),
    Fault("/api/query*", "drop", times=2),
    Fault("/api/query*start=0*", "malformed", times=1),
    Fault("/api/query*start=0*", "html", times=1),
    Fault("/api/query*start=5*", "empty", times=2),
    Fault("/api/query*start=5*", "slow", times=1, delay=0.8),
], ids=lambda f: f.kind)
def test_api_faults_are_retried_and_everything_arrives(home, registry, make_fake, monkeypatch, fault):
    monkeypatch.setenv("FLOPMINE_HTTP_TIMEOUT", "0.3")
    fake = make_fake(entries(12), faults=[fault])
    report = _run(home, fake, registry, benchmarks=["cifar10"], page_size=5)
    assert fault.fired == fault.times
    assert report.exit_code == 0, report.queries
    assert report.queries[0].new_versions == 12 and len(_pdf_rows(home)) == 12
    assert len(_api(fake)) == 3 + fault.times  # each fault cost exactly one extra request
    assert fake.min_spacing() >= INTERVAL


def test_retry_after_is_honoured(home, registry, make_fake):
    fake = make_fake(entries(2), faults=[Fault("/api/query*", "status", times=1, status=503, retry_after="1")])
    report = _run(home, fake, registry, benchmarks=["cifar10"])
    assert report.exit_code == 0 and report.new_versions == 2
    log = fake.requests
    assert log[0].status == 503 and log[1].time - log[0].time >= 1.0


def test_persistent_api_failure_exits_1_and_keeps_state(home, registry, make_fake):
    broken = Fault("/api/query*CIFAR*start=0*", "malformed", times=10)
    fake = make_fake(entries(6), faults=[broken])
    report = _run(home, fake, registry, num_retries=2)
    assert report.exit_code == 1
    cifar, imagenet = report.queries
    assert cifar.error and "malformed" in cifar.error and not cifar.complete
    assert imagenet.complete  # the other benchmark still ran
    assert len(fake.requests_to("/api/query?search_query=%28%28ti%3A%22CIFAR")) == 3
    st = harvest.status(home, registry=registry)
    assert "malformed" in {b.benchmark: b for b in st.benchmarks}["cifar10"].last_error
    # healed: the next run gets everything
    broken.fired = broken.times
    assert _run(home, fake, registry).new_versions == 6


def test_http_400_error_feed_is_not_retried(make_fake):
    from flopmine.harvest.client import ArxivClient, RejectedError

    fake = make_fake(entries(1))
    with ArxivClient(fake.api_url, min_interval=0.0) as client, pytest.raises(RejectedError) as e:
        list(client.search("", id_list=["abc"]))
    assert "incorrect id format for abc" in str(e.value) and e.value.status == 400
    assert len(fake.requests) == 1


# ---------------------------------------------------------------- PDF faults


@pytest.mark.parametrize("kind,reason", [
    ("html", "HTML"),  # a truncated download is retried within the run (tests/test_harvest_ops.py)
])
def test_bad_pdf_is_rejected_recorded_and_retried_next_run(home, registry, make_fake, kind, reason):
    fake = make_fake(entries(3), faults=[Fault("/pdf/1901.00002v1", kind, times=1)])
    report = _run(home, fake, registry)
    assert report.exit_code == 1
    assert [(d.arxiv_id, d.ok) for d in report.failed] == [("1901.00002", False)]
    assert reason.lower() in report.failed[0].reason.lower()
    assert len(report.downloaded) == 2  # the rest were done
    assert not (home.pdf_dir / "1901.00002v1.pdf").exists()
    _assert_clean_pdf_dir(home)
    row = _pdf_rows(home)["1901.00002v1"]
    assert row["status"] == "failed" and row["attempts"] == 1 and row["path"] is None
    st = harvest.status(home, registry=registry)
    assert st.total.pdf_failed == 1 and reason.lower() in st.failed[0].reason.lower()

    fake.clear_log()
    _time_passes(home)
    report = _run(home, fake, registry)
    assert report.exit_code == 0 and [r.path for r in _pdf_requests(fake)] == ["/pdf/1901.00002v1"]
    row = _pdf_rows(home)["1901.00002v1"]
    assert row["status"] == "ok" and row["attempts"] == 2 and row["reason"] is None
    assert row["next_attempt"] is None


@pytest.mark.parametrize("fault", [
    Fault("/pdf/1901.00001v1", "cut", times=1),
    Fault("/pdf/1901.00001v1", "drop", times=2),
    Fault("/pdf/1901.00001v1", "status", times=1, status=503),
    Fault("/pdf/1901.00001v1", "slow", times=1, delay=0.8),
], ids=lambda f: f.kind)
def test_transient_pdf_faults_retried_within_the_run(home, registry, make_fake, monkeypatch, fault):
    monkeypatch.setenv("FLOPMINE_HTTP_TIMEOUT", "0.3")
    fake = make_fake(entries(2), faults=[fault])
    report = _run(home, fake, registry)
    assert report.exit_code == 0 and len(report.downloaded) == 2
    assert len(fake.requests_to("/pdf/1901.00001v1")) == 1 + fault.times
    assert fake.min_spacing() >= INTERVAL
    _assert_clean_pdf_dir(home)


def test_missing_and_corrupt_pdfs_fail_with_reasons(home, registry, make_fake):
    missing = FakeEntry(paper(1), None)
    corrupt = FakeEntry(paper(2), b"%PDF-1.4\n" + b"\x00garbage" * 50 + b"\n%%EOF\n")
    wrong_type = FakeEntry(paper(3), make_pdf("x"), content_type="image/png")
    fake = make_fake([missing, corrupt, wrong_type])
    report = _run(home, fake, registry)
    reasons = {d.arxiv_id: d.reason for d in report.failed}
    assert "404" in reasons["1901.00001"]
    assert "corrupt" in reasons["1901.00002"]
    assert "content type" in reasons["1901.00003"]
    assert list(home.pdf_dir.iterdir()) == []


def test_wrong_api_url_fails_clearly_without_retries(home, registry, make_fake):
    fake = make_fake(entries(1))
    report = harvest.run(home, registry=registry, api_url=fake.base_url + "/not-the-api", min_interval=INTERVAL)
    assert report.exit_code == 1
    assert all("check the API URL" in q.error and "404" in q.error for q in report.queries)
    assert len(fake.requests) == 2  # one per benchmark, no retries of a 404
