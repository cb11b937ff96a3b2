"""Only arXiv's hosts are contacted, whatever the link looks like (issue 19, item 10).

The host check and the request use one parsed URL: a link with a backslash, userinfo or an unusual port
is refused, and any link the check lets through goes where the check looked.
"""

from __future__ import annotations

import re

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from urllib3.util import parse_url

from flopmine import harvest
from flopmine.demo.fakearxiv import FakeArxiv, FakeEntry
from flopmine.harvest.client import OffsiteUrlError, checked_url
from tests.support.arxiv_fixtures import make_pdf, paper

API = "http://127.0.0.1:8123/api/query"
ALLOWED_ORIGINS = {("http", "127.0.0.1", 8123)}
BS = "\\"

# pieces of URLs that parsers disagree about
_PIECES = ["arxiv.org", "export.arxiv.org", "127.0.0.1", "127.0.0.2", "evil.example", "localhost", ".", ":", "@",
           BS, "/", "%2f", "%5c", "%40", "#", "?", ":80", ":443", ":8123", ":8124", ":0", " ", "\t", "\n", "[", "]",
           "user", "user:pw@", "..", "-", "ARXIV.ORG", "arxiv.org.", "xn--rxiv-9qa.org", "\u0430rxiv.org"]


def _target(url: str) -> tuple[str, str, int]:
    """Where requests would connect for ``url``: the same preparation and parse its adapter uses."""
    prepared = requests.Request("GET", url).prepare().url
    assert prepared is not None
    p = parse_url(prepared)
    scheme = (p.scheme or "").lower()
    return scheme, (p.host or "").lower(), p.port or {"http": 80, "https": 443}[scheme]


def _is_allowed_target(target: tuple[str, str, int]) -> bool:
    scheme, host, port = target
    if target in ALLOWED_ORIGINS:
        return True
    default = {"http": 80, "https": 443}[scheme]
    return port == default and (host == "arxiv.org" or host.endswith(".arxiv.org"))


@given(scheme=st.sampled_from(["http", "https", "HTTP", "ftp", "javascript"]),
       authority=st.lists(st.sampled_from(_PIECES), min_size=1, max_size=6).map("".join),
       path=st.sampled_from(["/pdf/1901.00001v1", "", "/pdf/x?y=1", "/pdf/x#frag", BS + "pdf"]))
@settings(max_examples=600, deadline=None)
def test_a_link_the_check_lets_through_is_requested_on_an_allowed_host(scheme, authority, path):
    url = f"{scheme}://{authority}{path}"
    try:
        sent = checked_url(url, API)
    except OffsiteUrlError as e:
        assert url in str(e) and "\n" not in str(e).replace(url, "")
        return
    real_authority = re.split(r"[/?#]", authority, maxsplit=1)[0]
    assert BS not in url and "@" not in real_authority
    assert _is_allowed_target(_target(sent)), (url, sent)
    assert checked_url(sent, API) == sent  # the session checks again: the URL does not move


@given(host=st.sampled_from(["127.0.0.1:8124", "127.0.0.2", "evil.example", "localhost:8123"]),
       joiner=st.sampled_from([BS + "@", BS + ".", BS + "/", BS, "%5c@", "@", ":80" + BS + "@"]),
       arxiv=st.sampled_from(["arxiv.org", "export.arxiv.org", "www.arxiv.org"]))
@settings(max_examples=200, deadline=None)
def test_backslash_and_userinfo_tricks_are_refused(host, joiner, arxiv):
    for url in (f"http://{host}{joiner}{arxiv}/pdf/1901.00001v1", f"http://{arxiv}{joiner}{host}/pdf/1901.00001v1"):
        with pytest.raises(OffsiteUrlError):
            checked_url(url, API)


@pytest.mark.parametrize("url", [
    "http://arxiv.org:8080/pdf/1901.00001v1", "https://arxiv.org:80/pdf/1901.00001v1",
    "http://user@arxiv.org/pdf/1901.00001v1", "http://user:pw@arxiv.org/pdf/1901.00001v1",
    "http://127.0.0.1:8124/pdf/1901.00001v1", "https://127.0.0.1:8123/pdf/1901.00001v1",
    "http://arxiv.org./pdf/1v1", "http://[::1]/pdf/1v1", "ftp://arxiv.org/pdf/1v1", "http://arxiv.org/pdf/a b",
])
def test_unusual_ports_userinfo_and_odd_hosts_are_refused(url):
    with pytest.raises(OffsiteUrlError):
        checked_url(url, API)


@pytest.mark.parametrize(("url", "sent"), [
    ("https://arxiv.org/pdf/1512.03385v1", "https://arxiv.org/pdf/1512.03385v1"),
    ("HTTP://ArXiv.org:80/pdf/1512.03385v1#page=2", "http://arxiv.org/pdf/1512.03385v1"),
    ("http://export.arxiv.org/api/query?id_list=1", "http://export.arxiv.org/api/query?id_list=1"),
    ("http://127.0.0.1:8123/pdf/1v1", "http://127.0.0.1:8123/pdf/1v1"),
])
def test_ordinary_arxiv_links_pass_unchanged_in_substance(url, sent):
    assert checked_url(url, API) == sent


def _run_with_link(home, registry, make_fake, link_for) -> tuple[harvest.HarvestReport, FakeArxiv]:
    evil = make_fake([FakeEntry(paper(1), make_pdf("evil"))])  # serves the same PDF on another port
    fake = make_fake([])
    evil_port = evil.base_url.rsplit(":", 1)[1]
    fake.add(FakeEntry(paper(1), make_pdf("p1"), pdf_url=link_for(evil_port)))
    evil.clear_log()
    report = harvest.run(home, registry=registry, api_url=fake.api_url, min_interval=0.01, benchmarks=["cifar10"])
    return report, evil


@pytest.mark.parametrize("link_for", [
    lambda port: f"http://127.0.0.1:{port}{BS}@arxiv.org/pdf/1901.00001v1",
    lambda port: f"http://127.0.0.1:{port}{BS}@export.arxiv.org/pdf/1901.00001v1",
    lambda port: f"http://arxiv.org@127.0.0.1:{port}/pdf/1901.00001v1",
], ids=["backslash-userinfo", "backslash-subdomain", "userinfo"])
def test_a_feed_link_that_hides_another_host_is_never_fetched(home, registry, make_fake, link_for):
    report, evil = _run_with_link(home, registry, make_fake, link_for)
    (failed,) = report.failed
    assert failed.reason.startswith("refusing a link") and "\n" not in failed.reason
    assert evil.requests == [] and list(home.pdf_dir.iterdir()) == []


def test_backslash_dot_arxiv_host_is_never_fetched(home, registry, make_fake):
    """``http://127.0.0.2\\.arxiv.org/…``: the check once read arxiv.org, the client connected to 127.0.0.2."""
    try:
        evil = FakeArxiv([FakeEntry(paper(1), make_pdf("evil"))], host="127.0.0.2", port=80).start()
    except OSError as e:  # port 80 needs privileges
        pytest.skip(f"cannot listen on 127.0.0.2:80: {e}")
    try:
        fake = make_fake([FakeEntry(paper(1), make_pdf("p1"), pdf_url=f"http://127.0.0.2{BS}.arxiv.org/pdf/1901.00001v1")])
        report = harvest.run(home, registry=registry, api_url=fake.api_url, min_interval=0.01,
                             benchmarks=["cifar10"])
        (failed,) = report.failed
        assert "backslash" in failed.reason
        assert evil.requests == [] and list(home.pdf_dir.iterdir()) == []
    finally:
        evil.stop()
