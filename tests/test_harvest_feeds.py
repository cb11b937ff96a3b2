"""Feed parsing (real recorded arXiv responses, both layouts), the fake's search evaluator, paging, limiter."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from flopmine.demo.fakearxiv import FakeArxiv, FakeEntry, Fault, matches, render_feed
from flopmine.errors import ConfigError
from flopmine.harvest.client import (
    ArxivClient,
    RateLimiter,
    RejectedError,
    TransientError,
    feed_problem,
    parse_feed,
    parse_retry_after,
)
from flopmine.ids import parse_id
from tests.support.arxiv_fixtures import paper


def _fixture(shared: Path, name: str) -> bytes:
    hits = list((shared / "reference" / "arxiv_api").rglob(name))
    if not hits:
        pytest.skip(f"{name} not in ../shared")
    return hits[0].read_bytes()


def test_real_2026_layout_pages(shared_dir):
    total, page1 = parse_feed(_fixture(shared_dir, "q_testing_s0_m10_*.xml"))
    _, page2 = parse_feed(_fixture(shared_dir, "q_testing_s10_m10_*.xml"))
    assert total == 214881 and len(page1) == len(page2) == 10
    assert not {p.versioned_id for p in page1} & {p.versioned_id for p in page2}
    first = page1[0]
    assert (first.arxiv_id, first.version) == ("2202.12139", 1)
    assert first.title.startswith("Testing Deep Learning Models")
    assert first.pdf_url == "https://arxiv.org/pdf/2202.12139v1"
    assert first.published == "2022-02-24T15:05:19Z" and first.categories[:2] == ("cs.SE", "cs.LG")
    assert all(p.pdf_url and p.published and p.updated and p.authors for p in page1 + page2)


def test_real_2026_layout_old_style_id_and_unicode(shared_dir):
    _, [old] = parse_feed(_fixture(shared_dir, "id_astro-ph_0601001_*.xml"))
    assert (old.arxiv_id, old.version, old.primary_category) == ("astro-ph/0601001", 1, "astro-ph")
    assert old.abstract.startswith("We derive")  # leading whitespace stripped
    assert parse_id(old.versioned_id).filename() == "astro-ph_0601001v1.pdf"
    _, [many] = parse_feed(_fixture(shared_dir, "id_1707.08567_*.xml"))
    assert len(many.authors) == 34 and any("Wübben" in a for a in many.authors)


def test_real_2016_layout(shared_dir):
    total, page = parse_feed(_fixture(shared_dir, "search_query_au_del_maestro.xml"))
    assert total == 31 and len(page) == 10
    assert any(p.arxiv_id == "cond-mat/0412498" for p in page)
    _, [p] = parse_feed(_fixture(shared_dir, "id_list_1111.2011v2.xml"))
    assert (p.arxiv_id, p.version) == ("1111.2011", 2)
    assert p.title == "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    assert "\n" not in p.abstract and p.abstract.startswith("Theoretical description")
    assert p.published == "2011-11-08T18:48:36Z" and p.updated == "2012-04-02T12:38:54Z"
    assert p.pdf_url == "http://arxiv.org/pdf/1111.2011v2" and p.primary_category == "cond-mat.str-el"


def test_real_empty_and_error_responses(shared_dir):
    assert parse_feed(_fixture(shared_dir, "id_0000.0000_*.xml")) == (0, [])
    with pytest.raises(RejectedError, match="incorrect id format for abc"):
        parse_feed(_fixture(shared_dir, "id_abc_*.xml"))


def test_bad_pages_are_named():
    assert "malformed XML" in feed_problem(b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><ent")
    assert "not an Atom feed" in feed_problem(b"<html><body>503</body></html>")
    assert "totalResults" in feed_problem(b"<feed xmlns='http://www.w3.org/2005/Atom'></feed>")
    with pytest.raises(TransientError):
        parse_feed(b"")


@pytest.mark.parametrize("layout", ["2026", "2016"])
def test_fake_feeds_round_trip_in_both_layouts(layout, shared_dir):
    papers = [paper(1), replace(paper(2, arxiv_id="hep-th/9901001", version=3),
                                abstract="A long abstract " * 20 + "with <markup> & ampersands.")]
    body = render_feed(papers, total=7, start=0, per_page=2, query_echo="search_query=x",
                       base_url="http://127.0.0.1:1", layout=layout)
    total, parsed = parse_feed(body)
    assert total == 7
    for want, got in zip(papers, parsed, strict=True):
        assert replace(got, pdf_url="") == want
        assert got.pdf_url == f"http://127.0.0.1:1/pdf/{want.versioned_id}"
    # same element order as the real responses of that layout
    real = _fixture(shared_dir, "id_list_1111.2011v2.xml" if layout == "2016" else "q_testing_s0_m10_*.xml")
    order = [b"<updated>", b"<published>"] if layout == "2016" else [b"<link", b"<summary>", b"<published>"]

    def positions(doc: bytes) -> list[int]:
        entry = doc[doc.index(b"<entry>"):]
        return [entry.index(tag) for tag in order]

    assert positions(body) == sorted(positions(body)) and positions(real) == sorted(positions(real))


def test_search_evaluator():
    p = replace(paper(1, topic="MS COCO detection"), categories=("cs.CV",), primary_category="cs.CV")
    assert matches('(ti:COCO OR abs:"MS COCO") AND (abs:detection OR ti:detection)', p)
    assert matches('abs:"ms coco" AND cat:cs.CV', p)
    assert matches("cat:cs", p)  # archive prefix
    assert not matches('abs:"MS COCO" AND cat:cs.CL', p)
    assert not matches("abs:COCO ANDNOT ti:detection", p)
    assert not matches("abs:COC", p)  # whole words only
    assert matches("submittedDate:[201901010000 TO 201901312359]", p)
    assert not matches("submittedDate:[202001010000 TO 202012312359]", p)
    assert matches("detection", p)  # unfielded = all


def test_client_pages_lazily_in_updated_order():
    items = [FakeEntry(paper(i, updated_day=100 - i)) for i in range(1, 24)]
    with FakeArxiv(items) as fake, ArxivClient(fake.api_url, page_size=10, min_interval=0.0) as client:
        got = list(client.search('abs:"CIFAR-10"'))
        assert [p.arxiv_id for p in got] == [f"1901.{i:05d}" for i in range(1, 24)]
        assert len(fake.requests) == 3
        fake.clear_log()
        first_five = []
        for p in client.search('abs:"CIFAR-10"', descending=False):
            first_five.append(p.arxiv_id)
            if len(first_five) == 5:
                break
        assert first_five[0] == "1901.00023" and len(fake.requests) == 1


def test_fake_serves_versions_and_404():
    v1, v2 = FakeEntry(paper(1), b"%PDF-v1"), FakeEntry(paper(1, version=2, updated_day=50), b"%PDF-v2")
    with FakeArxiv([v1, v2, FakeEntry(paper(2), None)]) as fake:
        import requests

        assert requests.get(fake.base_url + "/pdf/1901.00001v1", timeout=5).content == b"%PDF-v1"
        assert requests.get(fake.base_url + "/pdf/1901.00001", timeout=5).content == b"%PDF-v2"
        assert requests.get(fake.base_url + "/pdf/1901.00002v1", timeout=5).status_code == 404
        _, [latest, _other] = parse_feed(requests.get(fake.api_url, params={"search_query": "all:CIFAR-10"},
                                                      timeout=5).content)
        assert latest.version == 2
        _, [old] = parse_feed(requests.get(fake.api_url, params={"id_list": "1901.00001v1"}, timeout=5).content)
        assert old.version == 1


def test_fault_fires_n_times_then_heals():
    f = Fault("/pdf/*", "status", times=2, status=500)
    with FakeArxiv([FakeEntry(paper(1), b"%PDF-x")], faults=[f]) as fake:
        import requests

        codes = [requests.get(fake.base_url + "/pdf/1901.00001v1", timeout=5).status_code for _ in range(3)]
    assert codes == [500, 500, 200] and f.fired == 2
    with pytest.raises(ValueError):
        Fault("/x", "explode")


def test_rate_limiter_spacing_and_defer():
    limiter = RateLimiter(0.05)
    starts = []
    for _ in range(4):
        with limiter.slot():
            starts.append(time.monotonic())
    assert min(b - a for a, b in zip(starts, starts[1:], strict=False)) >= 0.05
    limiter.defer(0.2)
    t0 = time.monotonic()
    with limiter.slot():
        assert time.monotonic() - t0 >= 0.19
    assert limiter.requests == 5
    with pytest.raises(ConfigError):
        RateLimiter(-1)


def test_retry_after_parsing():
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
