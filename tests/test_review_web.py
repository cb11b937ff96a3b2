"""The review web app over real HTTP (uvicorn on 127.0.0.1): pages, escaping, cross-site
rejection, validation through the review library, concurrency, durability and undo."""

from __future__ import annotations

import contextlib
import csv
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flopmine import review
from flopmine.config import Home
from flopmine.errors import ConfigError
from flopmine.review.annotations import load_ledger
from flopmine.review.web import create_app
from flopmine.review.web.pages import box_percent, page_cache_path
from flopmine.store import connect, replace_candidates
from flopmine.types import Candidate
from tests.support.annotation_files import fact_file, ledger_file, ledger_rows
from tests.support.review_web import (
    PAPER_A,
    PAPER_B,
    free_port,
    make_home,
    sample_candidates,
    serve,
)

REPO = Path(__file__).resolve().parent.parent
EVIL = "<script>alert(1)</script>"
FLOPS1, FLOPS2, TOP1, PARAMS = (c.candidate_id for c in sample_candidates())


class Tab:
    """One browser tab: its own session cookie and CSRF token, talking to the live server."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(base_url=base, timeout=20)
        page = self.http.get("/")
        assert page.status_code == 200, page.text
        self.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text).group(1)

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Content-Type": "application/json", "X-CSRF-Token": self.csrf, "Origin": self.base,
                "Sec-Fetch-Site": "same-origin", **extra}

    def decide(self, cid: str, decision: str, expected: str = "", **fields: str) -> httpx.Response:
        body = {"candidate_id": cid, "decision": decision, "expected": expected, **fields}
        return self.http.post("/api/decide", json=body, headers=self.headers())

    def undo(self) -> httpx.Response:
        return self.http.post("/api/undo", json={}, headers=self.headers())

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return make_home(tmp_path / "home", evil_snippet=EVIL)


@pytest.fixture
def base(home: Home) -> Iterator[str]:
    with serve(create_app(home, reviewer="tester")) as url:
        yield url


@pytest.fixture
def tab(base: str) -> Iterator[Tab]:
    t = Tab(base)
    yield t
    t.close()


def rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def ledger(home: Home) -> dict[str, str]:
    return {r["candidate_id"]: r["decision"] for r in ledger_rows(home.annotations_dir)}


# ---------------------------------------------------------------- pages


def test_page_shows_first_pending_candidate_with_evidence(base: str) -> None:
    r = httpx.get(base + "/")
    assert r.status_code == 200
    html = r.text
    assert f'data-candidate-id="{FLOPS1}"' in html and f'data-next-id="{FLOPS2}"' in html
    assert "0 / 4 decided" in html
    assert "<mark>11.3 billion FLOPs</mark>" in html  # the printed text marked inside the snippet
    assert f'href="/?at={FLOPS2}"' in html  # the other flops candidate of the paper
    # the evidence box in percent of the page: line 2 starts 72 pt from the left, 120 pt from the top
    box = dict(re.findall(r'data-(left|top|width|height)="([\d.]+)"', html))
    assert float(box["left"]) == pytest.approx(100 * 72 / 612, abs=0.01)
    assert float(box["top"]) == pytest.approx(100 * 120 / 792, abs=0.01)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"


def test_at_shows_a_given_candidate_and_unknown_ids_fall_back(base: str) -> None:
    assert f'data-candidate-id="{TOP1}"' in httpx.get(base + "/", params={"at": TOP1}).text
    assert f'data-candidate-id="{FLOPS1}"' in httpx.get(base + "/", params={"at": "c<nope>"}).text


def test_page_image_is_rendered_once_and_cached(base: str, home: Home) -> None:
    r = httpx.get(f"{base}/page/{FLOPS1}.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG\r\n\x1a\n")
    cached = page_cache_path(home.root, f"{PAPER_A}v1.pdf", 1)
    assert cached.is_file() and cached.read_bytes() == r.content
    mtime = cached.stat().st_mtime_ns
    assert httpx.get(f"{base}/page/{FLOPS1}.png").content == r.content
    assert cached.stat().st_mtime_ns == mtime  # served from the cache, not rendered again
    assert not [p for p in cached.parent.iterdir() if p.name.startswith(".")]  # no temp files left
    assert httpx.get(f"{base}/page/cdeadbeef.png").status_code == 404


def test_missing_and_corrupt_pdfs_still_reviewable(tmp_path: Path) -> None:
    home = make_home(tmp_path / "home", with_pdfs=False)
    (home.pdf_dir / f"{PAPER_A}v1.pdf").write_bytes(b"<html>503 Service Unavailable</html>")
    with serve(create_app(home)) as url:
        html = httpx.get(url + "/").text
        assert "Page image unavailable" in html and "cannot open PDF" in html
        assert httpx.get(f"{url}/page/{FLOPS1}.png").status_code == 404
        html = httpx.get(url + "/", params={"at": PARAMS}).text
        assert "Page image unavailable" in html and "not downloaded" in html
        t = Tab(url)
        assert t.decide(FLOPS1, "accept").status_code == 200
        t.close()


def test_pdf_derived_text_is_escaped(tmp_path: Path) -> None:
    home = make_home(tmp_path / "home", evil_snippet=EVIL, title_a='<img src=x onerror="alert(2)">')
    with serve(create_app(home)) as url:
        html = httpx.get(url + "/", params={"at": FLOPS2}).text
    assert f'data-candidate-id="{FLOPS2}"' in html
    assert EVIL not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
    assert html.count("<script") == 1  # only the app's own external script tag


def test_box_percent_clamps_to_the_page() -> None:
    assert box_percent((-10, 700, 700, 900), 600, 800) == {"left": 0.0, "top": 87.5, "width": 100.0,
                                                           "height": 12.5}


# ---------------------------------------------------------------- cross-site requests


@pytest.mark.parametrize("change, status", [
    ({"Sec-Fetch-Site": "cross-site"}, 403),
    ({"Sec-Fetch-Site": "same-site"}, 403),
    ({"Origin": "http://evil.example"}, 403),
    ({"Origin": "null"}, 403),
    ({"X-CSRF-Token": "forged"}, 403),
    ({"X-CSRF-Token": ""}, 403),
    ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
    ({"Content-Type": "text/plain"}, 415),
])
def test_cross_site_posts_are_rejected(tab: Tab, home: Home, change: dict[str, str], status: int) -> None:
    headers = tab.headers(**change)
    r = tab.http.post("/api/decide", content=f'{{"candidate_id": "{FLOPS1}", "decision": "accept"}}',
                      headers=headers)
    assert r.status_code == status, r.text
    assert ledger(home) == {}


def test_post_without_session_cookie_or_to_another_host_is_rejected(base: str, tab: Tab, home: Home) -> None:
    body = {"candidate_id": FLOPS1, "decision": "accept", "expected": ""}
    no_cookie = httpx.post(base + "/api/decide", json=body, headers=tab.headers())  # a fresh client: no cookie
    assert no_cookie.status_code == 403 and "session" in no_cookie.json()["error"]
    rebound = tab.http.post("/api/decide", json=body, headers=tab.headers(Host="evil.example"))
    assert rebound.status_code == 400  # DNS rebinding: a foreign Host header is refused
    assert tab.http.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert ledger(home) == {}
    # what a browser sends for the page's own fetch() is accepted (no Origin on old browsers either)
    headers = tab.headers()
    del headers["Origin"], headers["Sec-Fetch-Site"]
    assert tab.http.post("/api/decide", json=body, headers=headers).status_code == 200


# ---------------------------------------------------------------- decisions


def test_decisions_are_written_before_the_response(tab: Tab, home: Home) -> None:
    ann = home.annotations_dir
    r = tab.decide(FLOPS1, "accept")
    assert r.status_code == 200, r.text
    assert r.json()["next"] == FLOPS2 and r.json()["progress"] == {"decided": 1, "total": 4}
    facts = rows(fact_file(ann, "", PAPER_A))
    assert [(f["candidate_id"], f["decision"], float(f["value"]), f["reviewer"]) for f in facts] == [
        (FLOPS1, "accept", 11.3e9, "tester")]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", facts[0]["decided_at"])

    r = tab.decide(TOP1, "correct", corrected_value="19.5", note="Table 3 says 19.5")
    assert r.status_code == 200, r.text
    assert [(f["field"], f["decision"], float(f["value"]), f["note"]) for f in rows(fact_file(ann, "imagenet", PAPER_A))] == [
        ("top1_err", "correct", 19.5, "Table 3 says 19.5")]

    assert tab.decide(PARAMS, "reject").status_code == 200
    assert ledger(home) == {FLOPS1: "accept", TOP1: "correct", PARAMS: "reject"}
    assert not fact_file(ann, "", PAPER_B).exists()  # a reject is not a fact
    assert load_ledger(ann).decisions[PARAMS].source.startswith("web")

    html = tab.http.get("/").text
    assert f'data-candidate-id="{FLOPS2}"' in html and "3 / 4 decided" in html
    assert tab.decide(FLOPS2, "reject").json()["next"] is None
    assert "Nothing pending" in tab.http.get("/").text


@pytest.mark.parametrize("cid, body, message", [
    (TOP1, {"decision": "correct", "corrected_value": "abc"}, "corrected_value: not a number"),
    (TOP1, {"decision": "correct", "corrected_value": "150"}, "corrected_value: out of range"),
    (TOP1, {"decision": "correct", "corrected_value": ""}, "corrected_value: required"),
    (PARAMS, {"decision": "correct", "corrected_value": "-3"}, "corrected_value: out of range"),
    (FLOPS1, {"decision": "maybe"}, "decision: must be one of accept, reject, correct"),
    (FLOPS1, {"decision": ["accept"]}, "decision: must be text"),
    ("cnope", {"decision": "accept"}, "candidate_id: unknown"),
])
def test_invalid_decisions_are_refused_with_the_problem(tab: Tab, home: Home, cid: str, body: dict,
                                                         message: str) -> None:
    r = tab.http.post("/api/decide", json={"candidate_id": cid, "expected": "", **body}, headers=tab.headers())
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/json"
    assert any(p.startswith(message) for p in r.json()["problems"]), r.json()
    assert ledger(home) == {}
    assert not fact_file(home.annotations_dir, "imagenet", PAPER_A).exists()


def test_malformed_bodies_are_refused(tab: Tab) -> None:
    r = tab.http.post("/api/decide", content=b"{not json", headers=tab.headers())
    assert r.status_code == 400
    r = tab.http.post("/api/decide", content=b"[1, 2]", headers=tab.headers())
    assert r.status_code == 400
    r = tab.http.post("/api/decide", content=b"{" + b" " * 70_000 + b"}", headers=tab.headers())
    assert r.status_code == 413


def test_two_tabs_deciding_the_same_candidate_at_once(base: str, home: Home) -> None:
    tabs = [Tab(base), Tab(base)]
    results: dict[str, httpx.Response] = {}
    barrier = threading.Barrier(2)

    def go(t: Tab, decision: str) -> None:
        barrier.wait()
        results[decision] = t.decide(FLOPS1, decision)

    threads = [threading.Thread(target=go, args=(t, d)) for t, d in zip(tabs, ("accept", "reject"), strict=True)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    codes = sorted(r.status_code for r in results.values())
    assert codes == [200, 409], {d: r.text for d, r in results.items()}
    winner = next(d for d, r in results.items() if r.status_code == 200)
    loser = next(r for r in results.values() if r.status_code == 409)
    assert loser.json()["current"] == winner
    assert ledger(home) == {FLOPS1: winner}
    assert len(rows(fact_file(home.annotations_dir, "", PAPER_A))) == (1 if winner == "accept" else 0)

    # both tabs deciding different candidates in parallel: every decision lands, files stay whole
    plan = [(tabs[0], FLOPS2, "reject"), (tabs[1], TOP1, "accept"), (tabs[0], PARAMS, "accept")]
    threads = [threading.Thread(target=lambda t=t, c=c, d=d: results.__setitem__(c, t.decide(c, d)))
               for t, c, d in plan]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert all(results[c].status_code == 200 for _, c, _ in plan), {c: results[c].text for _, c, _ in plan}
    assert ledger(home) == {FLOPS1: winner, FLOPS2: "reject", TOP1: "accept", PARAMS: "accept"}
    assert len(load_ledger(home.annotations_dir)) == 4
    for t in tabs:
        t.close()


def test_a_stale_tab_cannot_overwrite_a_newer_decision(base: str, home: Home) -> None:
    a, b = Tab(base), Tab(base)
    assert a.decide(FLOPS1, "accept").status_code == 200
    stale = b.decide(FLOPS1, "reject")  # b still shows the candidate as pending
    assert stale.status_code == 409 and ledger(home) == {FLOPS1: "accept"}
    assert b.decide(FLOPS1, "reject", expected="accept").status_code == 200  # after a reload it may change it
    assert ledger(home) == {FLOPS1: "reject"}
    assert a.undo().status_code == 409  # a's decision is no longer the recorded one: nothing undone
    assert ledger(home) == {FLOPS1: "reject"}
    a.close()
    b.close()


def test_undo_withdraws_and_restores(tab: Tab, home: Home) -> None:
    ann = home.annotations_dir
    assert tab.undo().status_code == 409  # nothing to undo yet
    assert tab.decide(FLOPS1, "accept").status_code == 200
    assert tab.decide(TOP1, "accept").status_code == 200
    r = tab.undo()
    assert r.status_code == 200 and r.json()["candidate_id"] == TOP1
    assert r.json()["progress"] == {"decided": 1, "total": 4}
    assert ledger(home) == {FLOPS1: "accept"} and rows(fact_file(ann, "imagenet", PAPER_A)) == []
    # undoing a changed decision brings the earlier one back, value and all
    assert tab.decide(FLOPS1, "correct", expected="accept", corrected_value="1.2e10").status_code == 200
    assert float(rows(fact_file(ann, "", PAPER_A))[0]["value"]) == 1.2e10
    assert tab.undo().status_code == 200
    facts = rows(fact_file(ann, "", PAPER_A))
    assert [(f["decision"], float(f["value"])) for f in facts] == [("accept", 11.3e9)]
    assert tab.undo().json()["candidate_id"] == FLOPS1
    assert ledger(home) == {} and rows(fact_file(ann, "", PAPER_A)) == []
    assert 'data-candidate-id="' + FLOPS1 in tab.http.get("/").text


def _close_field(tab: Tab, cid: str) -> httpx.Response:
    return tab.http.post("/api/close", json={"candidate_id": cid}, headers=tab.headers())


def test_one_undo_withdraws_a_whole_not_reported_close(tab: Tab, home: Home) -> None:
    """"Not reported" rejects both FLOPs candidates of the paper; the next undo reopens both, and an earlier
    decision stays until undone itself."""
    assert tab.decide(TOP1, "accept").status_code == 200
    r = _close_field(tab, FLOPS1)
    assert r.status_code == 200 and r.json()["closed"] == 2, r.text
    assert ledger(home) == {TOP1: "accept", FLOPS1: "reject", FLOPS2: "reject"}
    r = tab.undo()
    assert r.status_code == 200, r.text
    assert r.json()["reopened"] == 2 and r.json()["candidate_id"] == FLOPS1
    assert r.json()["progress"] == {"decided": 1, "total": 4}
    assert ledger(home) == {TOP1: "accept"}
    assert tab.undo().json()["candidate_id"] == TOP1 and ledger(home) == {}


def test_undo_of_a_close_changed_since_by_another_tab_changes_nothing(base: str, home: Home) -> None:
    a, b = Tab(base), Tab(base)
    assert _close_field(a, FLOPS1).status_code == 200
    assert b.decide(FLOPS2, "accept", expected="reject").status_code == 200
    r = a.undo()  # withdrawing the close would silently drop b's accept of FLOPS2 or half-undo it
    assert r.status_code == 409 and "changed meanwhile" in r.json()["error"]
    assert ledger(home) == {FLOPS1: "reject", FLOPS2: "accept"}
    a.close()
    b.close()


def _rename(tab: Tab, cid: str, model: str) -> httpx.Response:
    return tab.http.post("/api/rename", json={"candidate_id": cid, "model": model}, headers=tab.headers())


def _renames(home: Home) -> list[tuple[str, str]]:
    return [(r["old_model"], r["new_model"]) for r in rows(home.annotations_dir / "decisions" / "renames.csv")]


def test_undo_after_a_rename_puts_the_rename_back_not_an_earlier_decision(tab: Tab, home: Home) -> None:
    """A rename is the tab's latest action: undo restores the name's rename as it was before (the
    rename it replaced, then none), and only then withdraws the decision made before the renames."""
    assert tab.decide(TOP1, "accept").status_code == 200
    assert _rename(tab, FLOPS2, "ResNet-50 v1").status_code == 200
    assert _rename(tab, FLOPS2, "ResNet-50 v2").status_code == 200
    assert _renames(home) == [("ResNet-50", "ResNet-50 v2")]
    r = tab.undo()
    assert r.status_code == 200 and r.json()["candidate_id"] == FLOPS2 and r.json()["rename"]
    assert _renames(home) == [("ResNet-50", "ResNet-50 v1")] and ledger(home) == {TOP1: "accept"}
    assert tab.undo().status_code == 200
    assert _renames(home) == [] and ledger(home) == {TOP1: "accept"}
    assert tab.undo().json()["candidate_id"] == TOP1
    assert ledger(home) == {} and _renames(home) == []


def test_undo_of_a_rename_changed_since_by_another_tab_is_refused(base: str, home: Home) -> None:
    a, b = Tab(base), Tab(base)
    assert _rename(a, FLOPS2, "ResNet-50 v1").status_code == 200
    assert _rename(b, FLOPS2, "ResNet-50 v2").status_code == 200
    r = a.undo()  # undoing a's rename would silently revert b's
    assert r.status_code == 409 and "changed since" in r.json()["error"]
    assert _renames(home) == [("ResNet-50", "ResNet-50 v2")]
    assert b.undo().status_code == 200 and _renames(home) == [("ResNet-50", "ResNet-50 v1")]
    a.close()
    b.close()


def test_an_added_fact_settles_its_slot_and_undo_reopens_it(tab: Tab, home: Home) -> None:
    """Adding the value the extractor missed for ResNet-152 settles that model's top-1 slot (its candidate
    is done, as under an accept); undoing the add makes the candidate pending again."""
    add = {"candidate_id": TOP1, "field": "top1_err", "value": "20.5", "model": "ResNet-152", "benchmark": "imagenet",
           "page": "1", "unit": "%", "note": "table 3"}
    r = tab.http.post("/api/add", json=add, headers=tab.headers())
    assert r.status_code == 200 and r.json()["added"], r.text
    assert tab.decide(FLOPS1, "accept").json()["progress"] == {"decided": 2, "total": 4}  # FLOPS1, and TOP1 settled
    # a decision on the settled candidate, undone, leaves it settled by the added fact
    assert tab.decide(TOP1, "reject", expected="superseded").status_code == 200
    assert tab.undo().json()["progress"] == {"decided": 2, "total": 4}
    assert tab.undo().json()["candidate_id"] == FLOPS1
    r = tab.undo()  # the added fact
    assert r.status_code == 200 and r.json()["progress"] == {"decided": 0, "total": 4}
    assert rows(fact_file(home.annotations_dir, "imagenet", PAPER_A)) == []


def test_the_browser_offers_what_the_export_offers(tmp_path: Path) -> None:
    """A metric no benchmark of the paper can take (``offer.not_offered_reason``) is left out of the walk, its
    page and its counts, as the export leaves it out; once decided (e.g. in a sheet), it is shown."""
    home = make_home(tmp_path / "home")
    b = [c for c in sample_candidates() if c.arxiv_id == PAPER_B]
    voc = Candidate(PAPER_B, 1, "top1_acc", 73.2, benchmark="imagenet", model="WRN-50", raw="73.2", page=1,
                    snippet="On PASCAL VOC 2007 our detector reaches 73.2% accuracy.", rule="metric.acc",
                    confidence=0.9, rank=1)
    unplaced = Candidate(PAPER_B, 1, "top1_acc", 70.1, benchmark="", model="WRN-50", raw="70.1", page=1,
                         snippet="WRN-50 reaches 70.1% accuracy", rule="metric.acc", confidence=0.5, rank=2)
    conn = connect(home.db_path)
    replace_candidates(conn, PAPER_B, 1, [*b, voc, unplaced], extraction={"status": "ok", "rule_version": "test",
                                                                          "pages": 2})
    conn.close()
    report = review.export(connect(home.db_path), home, tmp_path / "sheets")
    assert dict(report.left_out) == {"another dataset's value": 1, "no benchmark": 1}
    with serve(create_app(home, reviewer="tester")) as url:
        t = Tab(url)
        assert t.decide(FLOPS1, "accept").json()["progress"] == {"decided": 1, "total": 4}  # the two not offered
        for c in (voc, unplaced):
            assert f'data-candidate-id="{c.candidate_id}"' not in t.http.get(f"/?at={c.candidate_id}").text
        t.close()


def test_benchmark_scope(tmp_path: Path) -> None:
    home = make_home(tmp_path / "home")
    with serve(create_app(home, "imagenet")) as url:
        html = httpx.get(url + "/").text
    assert "imagenet" in html and " / 4 decided" in html  # paper-level facts of imagenet papers included
    with pytest.raises(ConfigError, match="unknown benchmark 'no-such-benchmark'; known: .*imagenet"):
        create_app(home, "no-such-benchmark")
    assert create_app(home, "ImageNet").state.review.benchmark == "imagenet"


# ---------------------------------------------------------------- a killed server


def _spawn(home: Home, port: int) -> subprocess.Popen[bytes]:
    """``flopmine review serve`` in a child process (the real CLI), once it answers."""
    cmd = [sys.executable, "-c", "from flopmine.cli import main; main()", "--home", str(home.root),
           "review", "serve", "--port", str(port), "--reviewer", "tester"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read().decode()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("server did not start")


def test_a_killed_server_loses_nothing_already_decided(tmp_path: Path) -> None:
    home = make_home(tmp_path / "home")
    port = free_port()
    proc = _spawn(home, port)
    try:
        tab = Tab(f"http://127.0.0.1:{port}")
        assert tab.decide(FLOPS1, "accept").status_code == 200
        assert tab.decide(TOP1, "correct", corrected_value="19.5").status_code == 200
        tab.close()
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # no shutdown handler runs
        proc.wait(timeout=10)
    assert ledger(home) == {FLOPS1: "accept", TOP1: "correct"}
    assert not [p for p in home.annotations_dir.rglob("*") if p.name.startswith(".") and p.is_file()]
    proc = _spawn(home, port)
    try:
        html = httpx.get(f"http://127.0.0.1:{port}/").text
        assert "2 / 4 decided" in html and f'data-candidate-id="{FLOPS2}"' in html
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cli_reports_a_taken_port_and_an_unknown_benchmark(tmp_path: Path) -> None:
    home = make_home(tmp_path / "home")
    base = [sys.executable, "-c", "from flopmine.cli import main; main()", "--home", str(home.root), "review", "serve"]
    with serve(create_app(home)) as url:
        taken = url.rsplit(":", 1)[1]
        r = subprocess.run([*base, "--port", taken], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and f"cannot serve on 127.0.0.1:{taken}" in r.stderr
    r = subprocess.run([*base, "--benchmark", "nope"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "unknown benchmark 'nope'" in r.stderr  # a bad command line, as in harvest


def test_pdf_found_where_it_was_extracted_from(tmp_path: Path) -> None:
    """A PDF extracted from a folder outside <home>/pdfs (``flopmine extract papers/``) is shown too."""
    from flopmine.store import connect, replace_candidates
    from tests.support.review_web import LINES_A, write_pdf

    home = make_home(tmp_path / "home", with_pdfs=False)
    elsewhere = write_pdf(tmp_path / "papers" / f"{PAPER_A}.pdf", [LINES_A])
    conn = connect(home.db_path)
    replace_candidates(conn, PAPER_A, 1, [c for c in sample_candidates() if c.arxiv_id == PAPER_A],
                       extraction={"status": "ok", "rule_version": "test", "source_path": str(elsewhere)})
    conn.close()
    with serve(create_app(home)) as url:
        html = httpx.get(url + "/").text
        assert "Page image unavailable" not in html and f'src="/page/{FLOPS1}.png"' in html
        assert httpx.get(f"{url}/page/{FLOPS1}.png").status_code == 200
    assert page_cache_path(home.root, f"{PAPER_A}v1.pdf", 1).is_file()


def test_changes_made_outside_the_server_show_at_the_next_request(tab: Tab, home: Home) -> None:
    """A CSV import or a re-extraction while the server runs is seen at once (no stale walk)."""
    from flopmine.review import import_files
    from flopmine.store import connect, replace_candidates
    from flopmine.types import Candidate

    assert tab.decide(FLOPS1, "accept").status_code == 200
    assert "1 / 4 decided" in tab.http.get("/").text
    sheet = home.root / "alice.csv"
    sheet.write_text(f"candidate_id,decision\n{TOP1},reject\n{FLOPS2},accept\n", encoding="utf-8")
    conn = connect(home.db_path)
    try:
        import_files(conn, home, [sheet])
        assert "3 / 4 decided" in tab.http.get("/").text
        assert tab.decide(TOP1, "accept").status_code == 409  # the page's state was stale: refused
        extra = Candidate(PAPER_B, 1, "epochs", 200.0, raw="200 epochs", page=1, snippet="for 200 epochs", rank=1)
        old = [c for c in sample_candidates() if c.arxiv_id == PAPER_B]
        replace_candidates(conn, PAPER_B, 1, [*old, extra], extraction={"status": "ok", "rule_version": "test2"})
    finally:
        conn.close()
    html = tab.http.get("/").text
    assert "3 / 5 decided" in html
    assert tab.decide(extra.candidate_id, "accept").status_code == 200
    assert ledger(home)[extra.candidate_id] == "accept"


# ---------------------------------------------------------------- the Host allow-list (issue 11.13)


def _serve_cli(home: Home, port: int, *args: str, probe: str) -> subprocess.Popen[str]:
    """``flopmine review serve`` with ``args`` in a child process, once ``probe`` (an address) answers."""
    cmd = [sys.executable, "-c", "from flopmine.cli import main; main()", "--home", str(home.root),
           "review", "serve", "--port", str(port), *args]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            httpx.get(f"http://{probe}:{port}/", timeout=2)
            return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("server did not start")


def _stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    proc.terminate()
    return proc.communicate(timeout=10)


def test_another_loopback_address_is_served(tmp_path: Path) -> None:
    home = make_home(tmp_path / "home")
    port = free_port()
    proc = _serve_cli(home, port, "--host", "127.0.0.2", probe="127.0.0.2")
    try:
        assert httpx.get(f"http://127.0.0.2:{port}/", timeout=5).status_code == 200
        assert httpx.get(f"http://127.0.0.2:{port}/", headers={"host": f"evil.example:{port}"},
                         timeout=5).status_code == 400
    finally:
        out, err = _stop(proc)
    assert f"Reviewing at http://127.0.0.2:{port}/" in out and "Warning" not in err


def test_all_addresses_keep_the_host_check(tmp_path: Path) -> None:
    """`--host 0.0.0.0` answers its own addresses and --allow-host names, never a rebinding page's name."""
    home = make_home(tmp_path / "home")
    port = free_port()
    proc = _serve_cli(home, port, "--host", "0.0.0.0", "--allow-host", "review.lab.example", probe="127.0.0.1")
    try:
        def status(host_header: str, address: str = "127.0.0.1") -> int:
            return httpx.get(f"http://{address}:{port}/", headers={"host": host_header}, timeout=5).status_code

        assert status(f"127.0.0.1:{port}") == 200 and status(f"localhost:{port}") == 200
        assert status(f"127.0.0.3:{port}", "127.0.0.3") == 200  # the address the request arrived on
        assert status("review.lab.example") == 200
        assert status(f"evil.example:{port}") == 400  # a DNS-rebinding page
        assert status(f"127.0.0.3:{port}") == 400  # an address this request did not arrive on
        tab = Tab(f"http://127.0.0.1:{port}")
        rebinding = tab.http.post("/api/decide", json={"candidate_id": FLOPS1, "decision": "accept", "expected": ""},
                                  headers=tab.headers(host=f"evil.example:{port}", origin=f"http://evil.example:{port}"))
        assert rebinding.status_code == 400
        tab.close()
    finally:
        out, err = _stop(proc)
    assert "every browser and program on this machine" in " ".join(err.split())
    assert not home.annotations_dir.exists()


def test_serve_fails_before_claiming_to_serve(tmp_path: Path) -> None:
    home = make_home(tmp_path / "home")
    base = [sys.executable, "-c", "from flopmine.cli import main; main()", "--home", str(home.root), "review", "serve"]
    r = subprocess.run([*base, "--port", "99999"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "Reviewing at" not in r.stdout and "--port" in r.stderr
    with serve(create_app(home)) as url:
        taken = url.rsplit(":", 1)[1]
        r = subprocess.run([*base, "--port", taken], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "Reviewing at" not in r.stdout and f"cannot serve on 127.0.0.1:{taken}" in r.stderr


def test_review_help_names_serve() -> None:
    from flopmine.cli.review_cmd import review_app

    r = subprocess.run([sys.executable, "-c", "from flopmine.cli import main; main()", "review", "--help"],
                       cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    assert "serve" in (review_app.info.help or "") and "browser" in (review_app.info.help or "")


def test_undo_survives_a_server_restart(home: Home) -> None:
    with serve(create_app(home, reviewer="tester")) as url:
        t = Tab(url)
        assert t.decide(FLOPS1, "accept").status_code == 200
        time.sleep(1.1)  # the ledger records decisions to the second
        assert t.decide(TOP1, "reject").status_code == 200
        t.close()
    ledger = ledger_file(home.annotations_dir, PAPER_A)
    with serve(create_app(home, reviewer="tester")) as url:  # a new process: no session remembers anything
        t = Tab(url)
        r = t.undo()
        assert r.status_code == 200 and r.json()["candidate_id"] == TOP1  # the newest first
        assert t.undo().json()["candidate_id"] == FLOPS1
        assert t.undo().status_code == 409
        t.close()
    assert FLOPS1 not in ledger.read_text() and TOP1 not in ledger.read_text()


def test_item11d_undo_after_a_restart_restores_the_decision_before(home: Home, tmp_path: Path) -> None:
    """Issue 19 item 11 (d): an accept imported from a CSV, a browser reject, a restart, then undo turned the
    candidate pending; undo restores the accept."""
    from flopmine import review
    from flopmine.store import connect
    from tests.test_review import row_for, write_sheet

    flops1 = sample_candidates()[0]
    conn = connect(home.db_path)
    try:
        review.import_files(conn, home, [write_sheet(tmp_path / "a.csv", [row_for(flops1, decision="accept",
                                                                                    note="Table 1")])],
                            reviewer="alice")
    finally:
        conn.close()
    with serve(create_app(home, reviewer="tester")) as url:
        t = Tab(url)
        assert t.decide(FLOPS1, "reject", expected="accept").status_code == 200
        t.close()
    assert ledger(home) == {FLOPS1: "reject"}
    with serve(create_app(home, reviewer="tester")) as url:  # restarted: no session remembers the reject
        t = Tab(url)
        r = t.undo()
        assert r.status_code == 200 and r.json()["candidate_id"] == FLOPS1
        assert r.json()["progress"]["decided"] == 1  # the accept is back, not a pending candidate
        t.close()
    (row,) = [r for r in ledger_rows(home.annotations_dir) if r["candidate_id"] == FLOPS1]
    assert (row["decision"], row["reviewer"], row["note"]) == ("accept", "alice", "Table 1")
    assert [r["decision"] for r in rows(fact_file(home.annotations_dir, "", PAPER_A))] == ["accept"]


def test_item19_a_decision_reads_no_annotation_row_and_validates_outside_the_lock(
        home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 19 item 19: one browser decision re-read and re-parsed every annotation row (10.5 s at 100k rows)
    while holding the lock imports wait on. Now its cost follows the paper: after the annotations are read
    once, a decision parses no row of them, and validation runs before the lock is taken."""
    from flopmine import review
    from flopmine.review import annotations as ann
    from flopmine.review.web import backend
    from flopmine.store import connect
    from tests.test_review import row_for, write_sheet

    conn = connect(home.db_path)
    try:  # annotations with rows of other papers, written outside the server (an import)
        review.import_files(conn, home, [write_sheet(tmp_path / "a.csv", [
            row_for(sample_candidates()[3], decision="accept")])], reviewer="alice")
    finally:
        conn.close()
    parsed: list[Path] = []
    real_read_rows = ann._read_rows

    def counting(path: Path, problems: list[str]) -> list[tuple[int, dict[str, str]]]:
        out = real_read_rows(path, problems)
        parsed.extend([path] * len(out))
        return out

    held_while_validating: list[bool] = []
    real_validate_rows = backend.validate_rows

    def validate_rows(*args: object, **kw: object) -> object:
        held_while_validating.append(bool(ann._held))
        return real_validate_rows(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(ann, "_read_rows", counting)
    monkeypatch.setattr(backend, "validate_rows", validate_rows)
    with serve(create_app(home, reviewer="tester")) as url:
        for th in threading.enumerate():
            if th.name == "review-warm":
                th.join(timeout=60)  # the server reads the annotation files once, ahead of the first decision
        t = Tab(url)
        parsed.clear()
        assert t.decide(FLOPS1, "accept").status_code == 200
        assert t.decide(TOP1, "reject").status_code == 200
        assert t.decide(FLOPS2, "accept").status_code == 200
        assert t.decide(FLOPS2, "correct", expected="accept", corrected_value="3.7e9").status_code == 200
        assert t.undo().status_code == 200
        t.close()
    assert parsed == []
    assert held_while_validating and not any(held_while_validating)
    assert ledger(home) == {PARAMS: "accept", FLOPS1: "accept", TOP1: "reject", FLOPS2: "accept"}


# ---------------------------------------------------------------- a large store: the walk paper by paper


def _big_home_with_decisions(tmp_path: Path, papers: int) -> Home:
    """``make_big_home`` (6 candidates a paper) with decisions recorded on papers 2, 3 and 5: on paper 2 an
    accept that supersedes its slot's siblings, a reject and an accept of flops; every candidate of paper 3
    rejected; on paper 5 flops."""
    from flopmine.review.apply import apply
    from flopmine.review.decision import Decision
    from flopmine.store import candidates_for, connect
    from tests.support.review_web import make_big_home

    home = make_big_home(tmp_path / "home", tmp_path / "papers", papers=papers)
    conn = connect(home.db_path)
    try:
        cands = candidates_for(conn)
        chosen = [c for c in cands if c.arxiv_id == "2001.00002" and c.rank in (1, 2)]
        chosen += [c for c in cands if c.arxiv_id == "2001.00005" and c.field == "flops"]
        chosen += [c for c in cands if c.arxiv_id == "2001.00003"]
        apply(conn, home, [Decision("accept" if c.rank == 1 and c.arxiv_id != "2001.00003" else "reject", c.arxiv_id, c.version, c.field, c.value,
                                    benchmark=c.benchmark, model=c.model, unit=c.unit, page=c.page,
                                    candidate_id=c.candidate_id, reviewer="seed", source="test") for c in chosen])
    finally:
        conn.close()
    return home


@pytest.mark.parametrize("benchmark", [None, "imagenet"])
def test_a_large_stores_first_page_builds_one_paper_and_the_walk_matches_the_whole_one(
        tmp_path: Path, benchmark: str | None) -> None:
    """Above EAGER_CANDIDATES the walk is built paper by paper: the first candidate reads one paper's
    candidates; every paper read on demand, and the background pass, give what the whole walk gives."""
    from flopmine.review.web import app as web_app
    from flopmine.review.web import backend
    from flopmine.review.web.walk import Walk
    from flopmine.store import connect

    papers = web_app.EAGER_CANDIDATES // 6 + 20
    home = _big_home_with_decisions(tmp_path, papers)
    server = create_app(home, benchmark, reviewer="tester").state.review
    conn = connect(home.db_path)
    try:
        whole = Walk.build(backend.scope(conn, home, benchmark))
        walk = server.walk(conn)
        assert walk.loaded == 0 and len(walk.papers) == papers
        first = walk.current(None)
        assert walk.loaded == 1 and walk.progress is None  # one paper read; the counts not known yet
        assert first == whole.current(None) and walk.paper_position(first) == (1, papers)
        # papers read on demand, in order, hold what the whole walk holds
        nxt = walk.next_pending(first.candidate_id)
        assert nxt == whole.next_pending(first.candidate_id)
        end_of_2 = walk.paper(walk.papers[2]).ids[-1]
        assert walk.next_pending(end_of_2) == whole.next_pending(end_of_2)
        assert walk.built(walk.papers[4]) and not walk.built(walk.papers[3])  # paper 3, all decided: skipped unread
        for p in walk.papers[:8]:
            w = walk.paper(p)
            assert w.ids == tuple(i for i in whole.ids if whole.find(i).arxiv_id == p[0])  # type: ignore[union-attr]
            assert {i: w.decision(i) for i in w.ids} == {i: whole.decision(i) for i in w.ids}
        decided_on = next(i for i in whole.ids if whole.decision(i) == "superseded")
        assert walk.decision(decided_on) == "superseded"
        assert walk.next_open_slot(first.candidate_id) == whole.next_open_slot(first.candidate_id)
        assert walk.loaded < 10
        walk.with_decision(first.candidate_id, "accept")
        whole = whole.with_decision(first.candidate_id, "accept")
        server._count(walk, conn)  # the background pass, here in the foreground
        assert walk.counted and not walk.complete and walk.progress == whole.progress
        assert walk.decision(first.candidate_id) == "accept"  # the pass did not overwrite a paper read before
        ids = tuple(i for p in walk.papers for i in walk.paper(p).ids)
        assert ids == whole.ids
        assert all(walk.decision(i) == whole.decision(i) for i in ids)
        last = whole.candidates[-1]
        assert walk.next_pending(last.candidate_id) == whole.next_pending(last.candidate_id)  # wraps around
    finally:
        conn.close()


def test_a_large_stores_first_page_then_counts_from_the_background(tmp_path: Path) -> None:
    """Over HTTP: the first page shows the first paper before the store is counted; the counts follow,
    and decisions and undo keep them right."""
    from flopmine.review.web import app as web_app
    from flopmine.store import connect

    papers = web_app.EAGER_CANDIDATES // 6 + 20
    home = _big_home_with_decisions(tmp_path, papers)
    app = create_app(home, reviewer="tester")
    with serve(app) as url:
        t = Tab(url)
        first = t.http.get("/").text
        assert f"paper 1 of {papers}" in first
        walk = app.state.review.walk(connect(home.db_path))
        for th in threading.enumerate():
            if th.name == "review-walk-count":
                th.join(timeout=120)
        assert walk.counted and not walk.complete  # counted, and no paper's walk kept for it
        # paper 2: its 5 top1_acc (accept, reject, 3 superseded) and flops; paper 3: 6 rejects; paper 5: flops
        total, done = papers * 6, 6 + 6 + 1
        assert walk.progress == (done, total)
        assert f"{done} / {total} decided" in t.http.get("/").text
        cid = re.search(r'data-candidate-id="([^"]+)"', first).group(1)  # type: ignore[union-attr]
        r = t.decide(cid, "reject")
        assert r.status_code == 200 and r.json()["progress"] == {"decided": done + 1, "total": total}
        r = t.undo()
        assert r.status_code == 200 and r.json()["progress"] == {"decided": done, "total": total}
        t.close()


def _count_threads() -> list[threading.Thread]:
    return [th for th in threading.enumerate() if th.name == "review-walk-count"]


def test_stopping_the_server_ends_the_walk_count_quietly(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Before: the count went on reading the home after the server stopped; a temporary home deleted on exit
    (bench/review_web.py) had it log a FileNotFoundError traceback at ERROR."""
    from flopmine.review.web import app as web_app
    from tests.support.review_web import make_big_home

    caplog.set_level(logging.DEBUG)
    home = make_big_home(tmp_path / "home", tmp_path / "papers", papers=web_app.EAGER_CANDIDATES // 6 + 20)
    app = create_app(home, reviewer="tester")
    server = app.state.review
    with server.serving():  # a request in progress: the count waits, so it is still counting at shutdown
        with serve(app) as url:
            assert httpx.get(f"{url}/").status_code == 200
            counting = _count_threads()
            assert len(counting) == 1 and counting[0].is_alive()
        assert not counting[0].is_alive()  # the shutdown waited for it
    with contextlib.closing(connect(home.db_path)) as conn:
        assert server.stopping.is_set() and server.walk(conn).progress is None  # never counted
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_count_that_fails_after_the_stop_logs_no_error(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A paper read that fails because the server stopped meanwhile (its home deleted) is no error to report;
    one that fails while the server runs still is."""
    from flopmine.review.web import app as web_app
    from flopmine.review.web import backend
    from tests.support.review_web import make_big_home

    home = make_big_home(tmp_path / "home", tmp_path / "papers", papers=web_app.EAGER_CANDIDATES // 6 + 20)
    for stopped in (True, False):
        server = create_app(home, reviewer="tester").state.review

        def gone(*_args: object, server: web_app._Server = server, stopped: bool = stopped) -> None:
            if stopped:
                server.stopping.set()
            raise FileNotFoundError("the home was deleted")

        monkeypatch.setattr(backend, "paper_scope", gone)
        caplog.clear()
        with caplog.at_level(logging.DEBUG), contextlib.closing(connect(home.db_path)) as conn:
            server.fill_in_background(server.walk(conn))
            for th in _count_threads():
                th.join(timeout=60)
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert errors == ([] if stopped else ["the walk was not counted in the background"])


def test_the_annotations_read_ahead_stops_at_the_next_file(tmp_path: Path) -> None:
    """``warm_rows`` reads no further file once asked to stop (the server's shutdown)."""
    from flopmine.review.annotations import warm_rows

    home = _big_home_with_decisions(tmp_path, papers=6)
    stop = threading.Event()
    stop.set()
    assert warm_rows(home.annotations_dir, stop) == 0
    assert warm_rows(home.annotations_dir, threading.Event()) > 0
