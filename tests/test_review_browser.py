"""``flopmine review serve`` in a real headless Chromium (Debian's chromium + chromedriver, selenium 4).

Loads the page, decides with the keyboard (a, n, c + value + Enter, r, u) and checks the
annotations files the server wrote. Skips when chromium or chromedriver is absent
(``scripts/install-browser.sh`` installs them).
"""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from flopmine.review.web import create_app
from tests.support.annotation_files import fact_file, ledger_rows
from tests.support.review_web import PAPER_A, PAPER_B, make_home, sample_candidates, serve

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("FLOPMINE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("FLOPMINE_CHROMEDRIVER", "/usr/bin/chromedriver")
EVIL = '<script>window.__xss = 1</script><img src="x" onerror="window.__xss = 2">'
WAIT = 15  # seconds; generous for a loaded 2-core CI machine


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[object]:
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.skip(f"needs {CHROMIUM} and {CHROMEDRIVER} (run scripts/install-browser.sh)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    profile = tmp_path / "chromium-profile"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1400,1000", f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.set_page_load_timeout(WAIT)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_keyboard_review_writes_annotations(driver, tmp_path: Path) -> None:
    from selenium.common.exceptions import JavascriptException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    home = make_home(tmp_path / "home", evil_snippet=EVIL)
    flops1, flops2, top1, params = (c.candidate_id for c in sample_candidates(EVIL))
    app = create_app(home, reviewer="browser-test")

    def current() -> str | None:
        return driver.execute_script(
            "const e = document.getElementById('item'); return e ? e.dataset.candidateId : null;")

    def wait_for(cid: str) -> None:
        WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException, JavascriptException)).until(
            lambda d: d.execute_script("return document.readyState") == "complete" and current() == cid,
            message=f"expected candidate {cid}")

    def press(key: str) -> None:
        driver.find_element(By.TAG_NAME, "body").send_keys(key)

    with serve(app) as base:
        driver.get(base + "/")
        wait_for(flops1)
        assert driver.find_element(By.ID, "progress").text == "0 / 4 decided"
        # The evidence box is drawn over the page image, on the line with the number.
        img = driver.find_element(By.ID, "page")
        WebDriverWait(driver, WAIT).until(lambda d: d.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth > 0", img))
        ir, br = img.rect, driver.find_element(By.ID, "box").rect
        assert br["width"] > 0.4 * ir["width"] and 5 < br["height"] < 0.05 * ir["height"]
        assert ir["x"] <= br["x"] and br["x"] + br["width"] <= ir["x"] + ir["width"] + 1
        # the second line's box starts 120 pt from the top of a 792 pt page, 72 pt from the left of 612 pt
        assert abs((br["y"] - ir["y"]) / ir["height"] - 120 / 792) < 0.006
        assert abs((br["x"] - ir["x"]) / ir["width"] - 72 / 612) < 0.006

        press("a")  # accept 11.3e9 FLOPs → the next pending candidate
        wait_for(flops2)
        # The paper's text is shown as text, never run as markup.
        assert driver.find_element(By.ID, "snippet").text == EVIL
        assert driver.execute_script("return window.__xss === undefined")

        press("n")  # skip without deciding
        wait_for(top1)
        press("c")  # correct: an invalid number first, then a valid one
        field = driver.find_element(By.ID, "correct-input")
        WebDriverWait(driver, WAIT).until(lambda d: field.is_displayed())
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys("abc", Keys.ENTER)
        WebDriverWait(driver, WAIT).until(lambda d: d.find_element(By.ID, "problems").text.strip())
        assert "not a number" in driver.find_element(By.ID, "problems").text
        assert current() == top1
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys("19.5", Keys.ENTER)
        wait_for(params)

        press("r")  # reject the params candidate → wraps around to the skipped one
        wait_for(flops2)
        assert driver.find_element(By.ID, "progress").text == "3 / 4 decided"
        press("u")  # undo the reject: back on that candidate, pending again
        wait_for(params)
        assert driver.find_element(By.ID, "decision").text == "pending"
        assert driver.find_element(By.ID, "progress").text == "2 / 4 decided"

    ann = home.annotations_dir
    paper = _rows(fact_file(ann, "", PAPER_A))
    assert [(r["arxiv_id"], r["field"], r["decision"], r["reviewer"]) for r in paper] == [
        (PAPER_A, "flops", "accept", "browser-test")]
    assert float(paper[0]["value"]) == 11.3e9
    imagenet = _rows(fact_file(ann, "imagenet", PAPER_A))
    assert [(r["arxiv_id"], r["field"], r["decision"], float(r["value"])) for r in imagenet] == [
        (PAPER_A, "top1_err", "correct", 19.5)]
    ledger = {r["candidate_id"]: r["decision"] for r in ledger_rows(ann)}
    assert ledger == {flops1: "accept", top1: "correct"}
    assert not fact_file(ann, "", PAPER_B).exists()  # a reject is not a fact


def test_slot_view_buttons_and_100_papers(driver, tmp_path: Path) -> None:
    """Mouse flow on a home of 100 papers extracted from a folder: buttons, slot view, next slot, undo."""
    import time

    from selenium.common.exceptions import JavascriptException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.support.review_web import BIG_TITLE, make_big_home

    home = make_big_home(tmp_path / "home", tmp_path / "papers", papers=100)
    app = create_app(home, reviewer="mouse")

    def current() -> str | None:
        return driver.execute_script(
            "const e = document.getElementById('item'); return e ? e.dataset.candidateId : null;")

    def wait_for(pred, what: str) -> None:
        WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException, JavascriptException)).until(
            lambda d: d.execute_script("return document.readyState") == "complete" and pred(), message=what)

    def text(eid: str) -> str:
        return driver.find_element(By.ID, eid).text

    with serve(app) as base:
        t = time.perf_counter()
        driver.get(base + "/")
        wait_for(lambda: current() is not None, "first candidate")
        assert time.perf_counter() - t < WAIT
        flops = current()
        assert text("progress") == "0 / 600 decided"
        assert text("paper-title") == BIG_TITLE  # read from the PDF's first page (no harvested title)
        assert driver.find_element(By.ID, "paper-pdf").get_attribute("href").startswith("file://")
        assert text("paper-progress") == "0 / 6 done in this paper"
        for b in ("btn-accept", "btn-reject", "btn-correct", "btn-next", "btn-next-slot", "btn-close", "btn-undo"):
            assert driver.find_element(By.ID, b).is_displayed()
        assert driver.find_element(By.ID, "item").get_attribute("data-field") == "flops"
        driver.find_element(By.ID, "btn-accept").click()  # a slot of one: on to the top-1 slot
        wait_for(lambda: current() not in (None, flops), "the top-1 slot")
        top1 = current()
        assert text("progress") == "1 / 600 decided" and text("paper-progress") == "1 / 6 done in this paper"
        assert len(driver.find_elements(By.CSS_SELECTOR, "#slot tbody tr")) == 3
        rest = driver.find_element(By.ID, "slot-rest")
        assert rest.find_element(By.TAG_NAME, "summary").text == "2 more candidates in this slot"
        assert not rest.find_element(By.TAG_NAME, "table").is_displayed()
        rest.find_element(By.TAG_NAME, "summary").click()
        assert rest.find_element(By.TAG_NAME, "table").is_displayed()

        driver.find_element(By.ID, "btn-accept").click()  # settles the slot: its 4 siblings are superseded
        wait_for(lambda: current() not in (None, top1), "the next paper")
        assert text("progress") == "6 / 600 decided"
        assert driver.find_element(By.CSS_SELECTOR, ".paperpos").text == "paper 2 of 100"
        second = current()
        driver.find_element(By.ID, "btn-next-slot").click()  # skip to the paper's next undecided slot
        wait_for(lambda: current() not in (None, second), "next slot")
        assert driver.find_element(By.ID, "item").get_attribute("data-field") == "top1_acc"
        driver.find_element(By.ID, "btn-undo").click()  # undo the accept: back on it, the slot open again
        wait_for(lambda: current() == top1, "undone candidate")
        assert text("decision") == "pending" and text("progress") == "1 / 600 decided"
        driver.find_element(By.ID, "btn-close").click()  # "not reported": every top1_acc candidate rejected
        wait_for(lambda: current() == second, "after close")
        assert text("progress") == "6 / 600 decided"

    ledger = ledger_rows(home.annotations_dir)
    assert sorted(r["decision"] for r in ledger) == ["accept"] + ["reject"] * 5
    assert {r["note"] for r in ledger if r["decision"] == "reject"} == {"not reported"}
    assert {r["reviewer"] for r in ledger} == {"mouse"}


def test_model_box_retargets_renames_and_adds(driver, tmp_path: Path) -> None:
    """The model box offers the paper's model names; saving retargets one fact, renaming covers the paper;
    a missed fact is added from the page."""
    from selenium.common.exceptions import JavascriptException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    home = make_home(tmp_path / "home")
    _flops1, flops2, top1, _params = (c.candidate_id for c in sample_candidates())
    app = create_app(home, reviewer="browser-test")

    def current() -> str | None:
        return driver.execute_script(
            "const e = document.getElementById('item'); return e ? e.dataset.candidateId : null;")

    def wait(pred, what: str) -> None:
        WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException, JavascriptException)).until(
            lambda d: d.execute_script("return document.readyState") == "complete" and pred(), message=what)

    def status() -> str:
        return driver.find_element(By.ID, "status").text

    def set_value(eid: str, text: str) -> None:
        el = driver.find_element(By.ID, eid)
        el.clear()
        el.send_keys(text)

    with serve(app) as base:
        driver.get(f"{base}/?at={flops2}")  # 3.6e9 FLOPs under "ResNet-50"
        wait(lambda: current() == flops2, "the ResNet-50 FLOPs")
        options = [o.get_attribute("value") for o in driver.find_elements(By.CSS_SELECTOR, "#paper-models option")]
        assert options == ["ResNet-152", "ResNet-50"]
        assert driver.find_element(By.ID, "model-input").get_attribute("value") == "ResNet-50"
        set_value("model-input", "ResNet-152")
        driver.find_element(By.ID, "btn-model").click()  # one correct: the fact moves to ResNet-152
        wait(lambda: current() != flops2, "the next candidate")

        driver.get(f"{base}/?at={top1}")
        wait(lambda: current() == top1, "the top-1 error")
        set_value("model-input", "ResNet-152 (224px)")
        driver.find_element(By.ID, "btn-rename").click()  # then the page reloads
        renames_csv = home.annotations_dir / "decisions" / "renames.csv"
        wait(lambda: renames_csv.is_file(), "the rename")
        wait(lambda: current() == top1, "the page again")
        assert driver.find_element(By.ID, "model-input").get_attribute("value") == "ResNet-152 (224px)"

        driver.find_element(By.CSS_SELECTOR, "#add-fact summary").click()
        driver.find_element(By.ID, "add-field").send_keys("params")
        set_value("add-value", "60.2e6")
        set_value("add-model", "ResNet-152")
        set_value("add-benchmark", "")
        driver.find_element(By.ID, "btn-add").click()
        wait(lambda: status().startswith("added: params"), "the added fact")

    ann = home.annotations_dir
    ledger = {r["candidate_id"]: r for r in ledger_rows(ann)}
    assert (ledger[flops2]["decision"], ledger[flops2]["model"], ledger[flops2]["corrected_model"]) == (
        "correct", "ResNet-50", "ResNet-152")
    renames = _rows(ann / "decisions" / "renames.csv")
    assert [(r["arxiv_id"], r["old_model"], r["new_model"], r["reviewer"]) for r in renames] == [
        (PAPER_A, "ResNet-152", "ResNet-152 (224px)", "browser-test")]
    added = [r for r in _rows(fact_file(ann, "", PAPER_A)) if r["decision"] == "add"]
    assert [(r["field"], float(r["value"]), r["model"]) for r in added] == [("params", 60.2e6, "ResNet-152")]
    from flopmine import review

    facts = review.load_facts(ann)  # the rename reaches every fact of the paper under the old name
    assert {f.model for f in facts if f.arxiv_id == PAPER_A} == {"ResNet-152 (224px)"}
