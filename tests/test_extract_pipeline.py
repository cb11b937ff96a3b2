"""The extract pipeline end to end: generated PDFs through the real reader, worker pool, store and CLI."""

from __future__ import annotations

import csv
import os
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from flopmine.cli import app
from flopmine.errors import PdfError
from flopmine.extract import QUEUE_COLUMNS
from flopmine.extract.evidence import Evidence
from flopmine.extract.pdf import extend_down, needs_layout, read_document, rule_regions, to_top_left
from flopmine.extract.pipeline import (
    FAULT_ENV,
    Limits,
    PaperInput,
    WorkerPool,
    extract_many,
    inputs_from_paths,
    inputs_from_store,
)
from flopmine.extract.rules.plausible import plausible_found
from flopmine.store import connect
from flopmine.types import FIELDS, Candidate
from tests.support import pdfs

FACTS = ("Our model Foo-Net is trained for 90 epochs on 8 NVIDIA V100 GPUs.\n"
         "Training takes 3 days in total.\nFoo-Net has 25.6M parameters.")


def _good(path: Path) -> Path:
    return pdfs.text_pdf(path, [FACTS, "Second page: related work and more text to read here."])


# ---------------------------------------------------------------- reader


def test_to_top_left_flips_y() -> None:
    assert to_top_left(10.0, 700.0, 20.0, 712.0, 792.0) == (10.0, 80.0, 20.0, 92.0)


def test_needs_layout_wants_a_caption_and_numbers() -> None:
    rows = "A 1.0 2.0\nB 3.0 4.0\nC 5.0 6.0"
    assert needs_layout("Table 3: Results on ImageNet.\n" + rows)
    assert not needs_layout("As Table 3 shows, we win.\n" + rows)  # a mention, not a caption
    assert not needs_layout("Table 3: Results.\nWe trained for 90 epochs.")


def test_rule_regions_groups_rules_of_equal_width() -> None:
    assert rule_regions([(100, 50, 300), (100.5, 70, 300), (100, 150, 299.5), (40, 400, 500)]) == [(100, 50, 300, 150)]


def test_text_and_char_boxes_land_on_the_words(tmp_path: Path) -> None:
    path = pdfs.text_pdf(tmp_path / "1234.56789v1.pdf", ["alpha beta gamma\nsecond line here", "page two of a short test document"])
    doc = read_document(path, arxiv_id="1234.56789", version=1)
    assert doc.page_count == 2
    page = doc.pages[0]
    assert page.text.splitlines()[:2] == ["alpha beta gamma", "second line here"]
    assert len(page.char_boxes) == len(page.text)
    assert (page.width, page.height) == (pdfs.PAGE_WIDTH, pdfs.PAGE_HEIGHT)
    i = page.text.index("beta")
    x0, top, x1, bottom = page.span_bbox(i, i + 4)
    alpha = page.span_bbox(0, 5)
    assert alpha[0] == pytest.approx(pdfs.LEFT_MARGIN, abs=1.5)
    assert x0 > alpha[2]  # beta is right of alpha
    # baseline at TOP_MARGIN from the top: the glyphs sit just above it
    assert top < pdfs.TOP_MARGIN < bottom + 3 and pdfs.TOP_MARGIN - top < pdfs.FONT_SIZE
    j = page.text.index("second")
    assert page.span_bbox(j, j + 6)[1] == pytest.approx(top + pdfs.LINE_HEIGHT, abs=1.5)
    assert doc.pages[1].text.strip() == "page two of a short test document"


def test_ruled_table_comes_back_as_rows(tmp_path: Path) -> None:
    path = pdfs.table_pdf(tmp_path / "1234.56789.pdf")
    page = read_document(path, arxiv_id="1234.56789", version=1).pages[0]
    assert len(page.tables) == 1
    table = page.tables[0]
    assert table.rows == tuple(tuple(r) for r in pdfs.DEFAULT_ROWS)
    assert table.caption.startswith("Table 2: Comparison on ImageNet")
    assert table.page == 1 and table.bbox is not None


def test_booktabs_table_comes_back_as_rows(tmp_path: Path) -> None:
    path = pdfs.booktabs_pdf(tmp_path / "1234.56789.pdf")
    page = read_document(path, arxiv_id="1234.56789", version=1).pages[0]
    assert len(page.tables) == 1
    rows = page.tables[0].rows
    assert rows[1:] == tuple(tuple(r) for r in pdfs.DEFAULT_ROWS[1:])
    assert rows[0][:3] == ("Model", "Params", "FLOPs")


def test_booktabs_table_inside_a_scaled_form(tmp_path: Path) -> None:
    path = pdfs.booktabs_pdf(tmp_path / "1234.56789.pdf", in_form=True)
    page = read_document(path, arxiv_id="1234.56789", version=1).pages[0]
    assert len(page.tables) == 1
    assert page.tables[0].rows[1:] == tuple(tuple(r) for r in pdfs.DEFAULT_ROWS[1:])


def test_extend_down_takes_a_last_row_without_a_rule() -> None:
    lines = [((110, 101, 290, 108), "Ours 1.0 2.0"), ((110, 110, 290, 117), "Ours-L 3.0 4.0"),
             ((100, 119, 300, 126), "Table 4: caption below the table."), ((100, 160, 300, 168), "Body text.")]
    assert extend_down((100, 50, 300, 100), lines) == (100, 50, 300, 117)
    assert extend_down((100, 50, 300, 100), lines[2:]) == (100, 50, 300, 100)


def test_layout_off_skips_tables(tmp_path: Path) -> None:
    path = pdfs.table_pdf(tmp_path / "1234.56789.pdf")
    assert read_document(path, arxiv_id="1234.56789", version=1, layout=False).pages[0].tables == ()


BAD = {
    "encrypted": pdfs.encrypted_pdf,
    "needs_ocr": pdfs.image_only_pdf,
    "corrupt": pdfs.truncated_pdf,
    "not_pdf": pdfs.html_as_pdf,
}


@pytest.mark.parametrize("reason", sorted(BAD))
def test_bad_pdf_raises_pdf_error_with_reason(tmp_path: Path, reason: str) -> None:
    path = BAD[reason](tmp_path / "1111.22222.pdf")
    with pytest.raises(PdfError) as e:
        read_document(path, arxiv_id="1111.22222", version=1)
    assert e.value.reason == reason
    assert str(path) in str(e.value)


def test_empty_and_oversized_files(tmp_path: Path) -> None:
    with pytest.raises(PdfError, match="empty") as e:
        read_document(pdfs.empty_pdf(tmp_path / "a.pdf"), arxiv_id="x", version=1)
    assert e.value.reason == "corrupt"
    good = _good(tmp_path / "b.pdf")
    with pytest.raises(PdfError) as e:
        read_document(good, arxiv_id="x", version=1, max_bytes=100)
    assert e.value.reason == "too_large"
    with pytest.raises(PdfError) as e:
        read_document(good, arxiv_id="x", version=1, max_pages=1)
    assert e.value.reason == "too_large"


# ---------------------------------------------------------------- inputs


def test_inputs_from_paths_parse_ids(tmp_path: Path) -> None:
    for name in ("1512.03385v2.pdf", "hep-th_9901001.pdf", "notes.pdf"):
        _good(tmp_path / name)
    items = {i.path.name: i for i in inputs_from_paths([tmp_path])}
    assert (items["1512.03385v2.pdf"].arxiv_id, items["1512.03385v2.pdf"].version) == ("1512.03385", 2)
    assert (items["hep-th_9901001.pdf"].arxiv_id, items["hep-th_9901001.pdf"].version) == ("hep-th/9901001", 1)
    assert "not an arXiv id" in items["notes.pdf"].problem
    (one,) = inputs_from_paths([tmp_path / "notes.pdf"], arxiv_id="1706.03762v5")
    assert (one.arxiv_id, one.version, one.problem) == ("1706.03762", 5, "")


def test_inputs_from_store_lists_harvested_pdfs(tmp_path: Path, conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO pdfs (arxiv_id, version, status, path, updated_at) VALUES "
                 "('1512.03385', 1, 'ok', '1512.03385v1.pdf', 'now'), ('1706.03762', 1, 'failed', NULL, 'now')")
    (item,) = inputs_from_store(conn, tmp_path)
    assert item.path == tmp_path / "1512.03385v1.pdf" and item.version == 1


# ---------------------------------------------------------------- the worker pool


def _batch(tmp_path: Path) -> list[PaperInput]:
    names = ["1001.00001", "1001.00002", "1001.00003"]
    return [PaperInput(_good(tmp_path / f"{n}.pdf"), n, 1) for n in names]


def _statuses(results) -> dict[str, str]:
    return {r.arxiv_id: r.status for r in results}


def test_crashed_worker_does_not_lose_the_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FAULT_ENV, "crash:1001.00002")
    results = list(extract_many(_batch(tmp_path), workers=2, limits=Limits(timeout=30)))
    assert _statuses(results) == {"1001.00001": "ok", "1001.00002": "error", "1001.00003": "ok"}
    assert "worker process died" in next(r.reason for r in results if r.status == "error")


def test_timeout_in_python_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FAULT_ENV, "hang:1001.00001")
    results = list(extract_many(_batch(tmp_path), workers=2, limits=Limits(timeout=2.0, kill_grace=30)))
    assert _statuses(results) == {"1001.00001": "timeout", "1001.00002": "ok", "1001.00003": "ok"}
    hung = next(r for r in results if r.status == "timeout")
    assert "limit" in hung.reason and hung.seconds < 10  # the alarm, not the parent's kill


def test_timeout_when_signals_cannot_reach_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FAULT_ENV, "stall:1001.00003")
    results = list(extract_many(_batch(tmp_path), workers=2, limits=Limits(timeout=3.0, kill_grace=1.0)))
    assert _statuses(results) == {"1001.00001": "ok", "1001.00002": "ok", "1001.00003": "timeout"}
    assert "worker was killed" in next(r.reason for r in results if r.status == "timeout")


def test_memory_cap_is_enforced_in_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FAULT_ENV, "oom:1001.00001")
    results = list(extract_many(_batch(tmp_path)[:2], workers=1, limits=Limits(timeout=30, memory_bytes=2**30)))
    assert _statuses(results) == {"1001.00001": "error", "1001.00002": "ok"}
    assert "memory" in next(r.reason for r in results if r.status == "error")


def test_a_pool_names_its_running_workers_and_none_once_closed(tmp_path: Path) -> None:
    """``WorkerPool.worker_pids``: the processes whose CPU time ``bench/extract.py`` reads (the one-worker goal)."""
    pool = WorkerPool(2, Limits(timeout=30))
    assert pool.worker_pids() == []
    with pool.start():
        pids = pool.worker_pids()
        assert len(pids) == 2 and os.getpid() not in pids
        for pid in pids:
            os.kill(pid, 0)  # alive
        assert _statuses(pool.run(_batch(tmp_path)[:1])) == {"1001.00001": "ok"}
    assert pool.worker_pids() == []


def _gc_state() -> tuple[int, int]:
    import gc

    return gc.get_freeze_count(), gc.get_threshold()[0]


def test_a_worker_starts_with_what_it_keeps_frozen_and_a_larger_young_generation(tmp_path: Path) -> None:
    """``pipeline.settle_gc`` runs in each worker after the warm-up: the modules, spaCy and the rules it built are
    out of the collector's sight, and collections of the youngest generation come less often; extraction
    still works there."""
    from flopmine.extract.pipeline import GC_YOUNG_THRESHOLD

    with WorkerPool(1, Limits(timeout=30)).start() as pool:
        frozen, young = pool._start().submit(_gc_state).result()
        assert frozen > 10_000 and young == GC_YOUNG_THRESHOLD
        assert _statuses(pool.run(_batch(tmp_path)[:1])) == {"1001.00001": "ok"}


# ---------------------------------------------------------------- CLI, store, queue


def _folder_with_everything(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    _good(d / "1001.00001v1.pdf")
    pdfs.table_pdf(d / "1001.00002v1.pdf")
    pdfs.encrypted_pdf(d / "1001.00003.pdf")
    pdfs.image_only_pdf(d / "1001.00004.pdf")
    pdfs.truncated_pdf(d / "1001.00005.pdf")
    pdfs.html_as_pdf(d / "1001.00006.pdf")
    pdfs.empty_pdf(d / "1001.00007.pdf")
    _good(d / "my paper.pdf")
    return d


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def _queue(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_cli_bad_inputs_get_status_rows_and_exit_1(tmp_path: Path) -> None:
    home = tmp_path / "home"
    code, out = _cli("--home", str(home), "extract", str(_folder_with_everything(tmp_path)), "--workers", "2")
    assert code == 1, out
    conn = connect(home / "flopmine.sqlite")
    rows = {r["arxiv_id"]: (r["status"], r["reason"]) for r in conn.execute("SELECT * FROM extractions")}
    assert {k: v[0] for k, v in rows.items()} == {
        "1001.00001": "ok", "1001.00002": "ok", "1001.00003": "encrypted", "1001.00004": "needs_ocr",
        "1001.00005": "corrupt", "1001.00006": "not_pdf", "1001.00007": "corrupt"}
    assert "HTML" in rows["1001.00006"][1]
    assert "my paper.pdf" in out and "not an arXiv id" in out  # the unnamed file is reported, not stored
    assert "1001.00003.pdf" in out and "encrypted" in out
    queue = _queue(home / "queue" / "queue.csv")
    assert list(queue[0]) == list(QUEUE_COLUMNS) if queue else True
    n_cands = conn.execute("SELECT COUNT(*) FROM candidates").fetchone()[0]
    assert len(queue) == n_cands
    assert all(r["decision"] == r["reviewer"] == r["note"] == r["corrected_value"] == "" for r in queue)
    assert {r["arxiv_id"] for r in queue} <= {"1001.00001", "1001.00002"}
    keys = [(r["arxiv_id"], int(r["version"]), r["field"], int(r["rank"])) for r in queue]
    assert keys == sorted(keys)


def test_cli_timeout_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d, home = tmp_path / "in", tmp_path / "home"
    _good(d / "1001.00001.pdf")
    _good(d / "1001.00002.pdf")
    monkeypatch.setenv(FAULT_ENV, "hang:1001.00002")
    code, out = _cli("--home", str(home), "extract", str(d), "--timeout", "2")
    assert code == 1 and "timeout" in out
    rows = dict(connect(home / "flopmine.sqlite").execute("SELECT arxiv_id, status FROM extractions").fetchall())
    assert rows == {"1001.00001": "ok", "1001.00002": "timeout"}


def test_rerun_is_idempotent_and_keeps_reviewer_columns(tmp_path: Path) -> None:
    home, d = tmp_path / "home", tmp_path / "in"
    d.mkdir()
    _good(d / "1001.00001v1.pdf")
    pdfs.table_pdf(d / "1001.00002v1.pdf")
    queue = tmp_path / "q.csv"
    assert _cli("--home", str(home), "extract", str(d), "--queue", str(queue))[0] == 0
    first = _queue(queue)
    conn = connect(home / "flopmine.sqlite")
    ids1 = sorted(r[0] for r in conn.execute("SELECT candidate_id FROM candidates"))
    if first:  # a reviewer marks a row, then extraction runs again
        first[0].update(decision="accept", reviewer="ana", note="=1+1")
        with open(queue, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(QUEUE_COLUMNS))
            w.writeheader()
            w.writerows(first)
    code, out = _cli("--home", str(home), "extract", str(d), "--queue", str(queue))
    assert code == 0 and "2 already extracted" in out  # nothing new to do
    code, out = _cli("--home", str(home), "extract", str(d), "--queue", str(queue), "--force")
    assert code == 0, out
    ids2 = sorted(r[0] for r in conn.execute("SELECT candidate_id FROM candidates"))
    assert ids1 == ids2
    second = _queue(queue)
    assert [r["candidate_id"] for r in second] == [r["candidate_id"] for r in first]
    if first:
        kept = next(r for r in second if r["candidate_id"] == first[0]["candidate_id"])
        assert (kept["decision"], kept["reviewer"], kept["note"]) == ("accept", "ana", "'=1+1")


def test_candidates_from_a_generated_paper(tmp_path: Path) -> None:
    d = tmp_path / "in"
    _good(d / "1001.00001v1.pdf")
    home = tmp_path / "home"
    assert _cli("--home", str(home), "extract", str(d))[0] == 0
    conn = connect(home / "flopmine.sqlite")
    found = {(r["field"], r["value"]) for r in conn.execute("SELECT field, value FROM candidates")}
    assert ("epochs", 90.0) in found
    assert ("hardware_count", 8.0) in found
    row = conn.execute("SELECT page, snippet, bbox FROM candidates WHERE field = 'epochs'").fetchone()
    assert row["page"] == 1 and "90 epochs" in row["snippet"]


def test_extract_through_a_dask_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    d = tmp_path / "in"
    _good(d / "1001.00001v1.pdf")
    pdfs.html_as_pdf(d / "1001.00002v1.pdf")
    _good(d / "1001.00003v1.pdf")
    monkeypatch.setenv(FAULT_ENV, "hang:1001.00003")  # the time limit holds in Dask's worker threads too
    home = tmp_path / "home"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster:
        code, out = _cli("--home", str(home), "extract", str(d), "--scheduler", cluster.scheduler_address,
                         "--timeout", "30")  # the first task also loads spaCy and the rules: room for a busy machine (10 s failed at load 9-12)
    assert code == 1, out
    conn = connect(home / "flopmine.sqlite")
    rows = dict(conn.execute("SELECT arxiv_id, status FROM extractions").fetchall())
    assert rows == {"1001.00001": "ok", "1001.00002": "not_pdf", "1001.00003": "timeout"}
    assert conn.execute("SELECT COUNT(*) FROM candidates WHERE arxiv_id = '1001.00001'").fetchone()[0] > 0


def test_corpus_smoke(shared_dir: Path) -> None:
    src = shared_dir / "corpus" / "pdfs"
    names = [n for n in ("1512.03385.pdf", "1706.03762.pdf") if (src / n).exists()]
    if not names:
        pytest.skip("corpus PDFs absent")
    items = [PaperInput(src / n, n[:-4], 1) for n in names]
    results = list(extract_many(items, workers=min(2, os.cpu_count() or 1), limits=Limits(timeout=120)))
    assert [r.status for r in results] == ["ok"] * len(names)
    for r in results:
        assert r.pages >= 8 and len(r.candidates) > 0
    doc = read_document(src / names[0], arxiv_id="x", version=1)
    assert "Residual" in doc.pages[0].text or "Attention" in doc.pages[0].text
    assert any(p.tables for p in doc.pages)
    for page in doc.pages:  # boxes stay aligned through line-break, ligature and hyphen clean-up
        assert len(page.char_boxes) == len(page.text)
        assert not set(page.text) & {"\r", "\ufb01", "\ufb02", "\x02", "\ufffe"}


# ---------------------------------------------------------------- no process imports from the cwd (issue 19, item 13)


def test_no_process_extraction_starts_imports_from_the_working_directory(tmp_path: Path) -> None:
    """A decoy ``multiprocessing`` package in the cwd once ran in the resource tracker (``python -B -c …``)."""
    import subprocess
    import sys

    pdf_dir = tmp_path / "in"
    _good(pdf_dir / "1001.00001v1.pdf")
    cwd = tmp_path / "cwd"
    marker = tmp_path / "imported-from-cwd.txt"
    for name in ("multiprocessing", "concurrent", "flopmine", "extract", "signal", "pypdfium2"):
        (cwd / name).mkdir(parents=True)
        (cwd / name / "__init__.py").write_text(
            f"import os\nwith open({str(marker)!r}, 'a') as f:\n    f.write('{name} in pid %d\\n' % os.getpid())\n"
            f"raise ImportError('decoy {name} imported from the cwd')\n")
    exe = Path(sys.executable).with_name("flopmine")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOPMINE_") and k != "PYTHONSAFEPATH"}
    proc = subprocess.run([str(exe), "--home", str(tmp_path / "home"), "--quiet", "extract", str(pdf_dir),
                           "--workers", "2"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert not marker.exists(), marker.read_text()
    assert proc.returncode == 0, proc.stderr
    assert "decoy" not in proc.stderr + proc.stdout


# ---------------------------------------------------------------- a page count that is a claim (issue 19, item 21)


def _pdf_claiming_pages(path: Path, count: int) -> Path:
    """A one-page PDF whose page tree says it has ``count`` pages (pdfium believes the /Count)."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count %d >>" % count,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def test_a_pdf_claiming_a_million_pages_is_refused_for_its_claim_not_its_size(tmp_path: Path) -> None:
    path = _pdf_claiming_pages(tmp_path / "1001.00001v1.pdf", 1_000_000)
    assert path.stat().st_size < 1000
    with pytest.raises(PdfError) as e:
        read_document(path, arxiv_id="1001.00001", version=1)
    assert e.value.reason == "too_large"
    assert "claims 1,000,000 pages, more than the 300-page limit" in str(e.value)
    assert "MiB" not in str(e.value)


# ---------------------------------------------------------------- implausible values never reach the queue (issue 20, item 5)


_FIELD_NAMES = sorted(FIELDS)


@given(st.lists(st.tuples(st.sampled_from(_FIELD_NAMES), st.floats(allow_nan=True, allow_infinity=True),
                          st.sampled_from(["", "%", "FLOPs", "devices", "GPUs", "hours", "BLEU", "bananas"])),
                max_size=25))
@settings(max_examples=300, deadline=None)
def test_plausible_found_keeps_only_plausible_values_and_counts_the_rest(rows) -> None:  # type: ignore[no-untyped-def]
    found = [(Candidate(arxiv_id="1001.00001", version=1, field=fld, value=value if FIELDS[fld].numeric else "V100",
                        unit=unit), 1.0, Evidence()) for fld, value, unit in rows]
    kept, dropped = plausible_found(found)
    assert len(kept) + dropped == len(found)
    assert [e for e in found if e in kept] == kept  # order and entries kept as they were
    for c, _, _ in kept:
        spec = FIELDS[c.field]
        if spec.numeric:
            lo, hi = spec.plausible_range
            assert isinstance(c.value, float) and c.value == c.value
            assert (lo is None or c.value >= lo) and (hi is None or c.value <= hi)
        assert c.unit == "" or c.unit.lower() in {u.lower() for u in (spec.unit, *spec.unit_aliases) if u}


def test_an_implausible_candidate_is_dropped_at_extraction_and_counted_in_the_summary(tmp_path: Path) -> None:
    """Left out before ranking: whatever the shipped ranker thinks of it, it is counted, and it takes no place
    in the capped list (dropping it after ranking missed it when the ranker had already capped it away)."""
    d, home = tmp_path / "in", tmp_path / "home"
    pdfs.text_pdf(d / "1001.00001v1.pdf", ["Training the large model takes 3.1e23 FLOPs in total.\n"
                                           "Our ResNet-50 needs 4.1 GFLOPs per image and is trained for 90 epochs."])
    code, out = _cli("--home", str(home), "extract", str(d), "--workers", "1")
    assert code == 0, out
    rows = connect(home / "flopmine.sqlite").execute(
        "SELECT field, value, rank FROM candidates WHERE field = 'flops'").fetchall()
    assert [(r[0], round(r[1] / 1e9, 3), r[2]) for r in rows] == [("flops", 4.1, 1)]  # 3.1e23 > 1e15: dropped
    assert not [r for r in _queue(home / "queue" / "queue.csv") if r["raw"].startswith("3.1e23")]
    assert "1 implausible values dropped" in " ".join(out.split())


# ---------------------------------------------------------------- incremental queue (issue 20, item 2)


def _store_papers(conn: sqlite3.Connection, ids: range, per_paper: int = 5) -> None:
    from flopmine.store import replace_candidates

    for i in ids:
        aid = f"2001.{i:05d}"
        cands = [Candidate(arxiv_id=aid, version=1, field="epochs", value=float(k + 1), rank=k + 1,
                           snippet=f"trained for {k + 1} epochs " * 5) for k in range(per_paper)]
        replace_candidates(conn, aid, 1, cands, extraction={"status": "ok", "rule_version": "t"})


def _statements(conn: sqlite3.Connection) -> list[str]:
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    return seen


def test_a_queue_write_with_nothing_new_reads_no_candidates_and_leaves_the_file(tmp_path: Path) -> None:
    from flopmine.extract.queue import write_queue

    conn = connect(tmp_path / "s.sqlite")
    queue = tmp_path / "queue.csv"
    _store_papers(conn, range(1, 301))
    assert write_queue(conn, queue) == 1500
    before = (queue.stat().st_mtime_ns, queue.read_bytes())
    seen = _statements(conn)
    assert write_queue(conn, queue) == 1500
    assert not [s for s in seen if "FROM candidates" in s], seen  # not one candidate read
    assert len(seen) <= 3
    assert (queue.stat().st_mtime_ns, queue.read_bytes()) == before


def test_new_papers_are_appended_to_the_queue_reading_only_their_candidates(tmp_path: Path) -> None:
    from flopmine.extract.queue import rewrite_queue, write_queue

    conn = connect(tmp_path / "s.sqlite")
    queue = tmp_path / "queue.csv"
    _store_papers(conn, range(1, 101))
    write_queue(conn, queue)
    old = queue.read_bytes()
    _store_papers(conn, range(101, 104))
    seen = _statements(conn)
    assert write_queue(conn, queue) == 515
    reads = [s for s in seen if "FROM candidates" in s]
    assert len(reads) == 3 and all("arxiv_id = '2001.0010" in s for s in reads), reads
    assert queue.read_bytes().startswith(old)  # appended, the old rows untouched
    conn.set_trace_callback(None)
    appended = _queue(queue)
    fresh = tmp_path / "fresh.csv"
    rewrite_queue(conn, fresh)
    assert sorted(map(tuple, (r.values() for r in appended))) == sorted(map(tuple, (r.values() for r in _queue(fresh))))


def test_a_re_extracted_paper_or_an_edited_file_rewrites_the_queue(tmp_path: Path) -> None:
    from flopmine.extract.queue import write_queue

    conn = connect(tmp_path / "s.sqlite")
    queue = tmp_path / "queue.csv"
    _store_papers(conn, range(1, 11))
    write_queue(conn, queue)
    _store_papers(conn, range(5, 6), per_paper=2)  # re-extracted: 2 candidates instead of 5
    assert write_queue(conn, queue) == 47
    assert len(_queue(queue)) == 47
    rows = _queue(queue)
    rows[0].update(decision="accept", reviewer="ana")
    with open(queue, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(QUEUE_COLUMNS))
        w.writeheader()
        w.writerows(rows)
    _store_papers(conn, range(11, 12))  # a new paper, but the file was edited since it was written
    assert write_queue(conn, queue) == 52
    kept = _queue(queue)
    assert [r["candidate_id"] for r in kept[:47]] != [] and sum(r["decision"] == "accept" for r in kept) == 1


def test_the_run_summary_keeps_counts_not_candidates(tmp_path: Path) -> None:
    from flopmine.extract.pipeline import run

    d = tmp_path / "in"
    _good(d / "1001.00001v1.pdf")
    conn = connect(tmp_path / "s.sqlite")
    summary = run(conn, inputs_from_paths([d]), workers=1)
    stored = conn.execute("SELECT COUNT(*) FROM candidates").fetchone()[0]
    assert stored > 0 and summary.candidates == stored
    assert all(r.candidates == () for r in summary.results)


def test_rewriting_the_queue_holds_one_row_at_a_time_not_the_store(tmp_path: Path) -> None:
    import tracemalloc

    from flopmine.extract.queue import rewrite_queue

    peaks = []
    for n in (100, 1500):
        conn = connect(tmp_path / f"s{n}.sqlite")
        _store_papers(conn, range(1, n + 1))
        tracemalloc.start()
        assert rewrite_queue(conn, tmp_path / f"q{n}.csv") == 5 * n
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        conn.close()
    assert peaks[1] < 2 * peaks[0], peaks  # 15 times the candidates, not 15 times the memory


def test_inputs_from_the_store_get_their_metadata_when_they_are_run(tmp_path: Path) -> None:
    from flopmine.extract.pipeline import with_metadata
    from flopmine.store import upsert_paper
    from flopmine.types import Paper

    conn = connect(tmp_path / "s.sqlite")
    upsert_paper(conn, Paper("1512.03385", 1, "Deep Residual Learning", abstract="ImageNet results",
                             benchmarks=("imagenet", "cifar10")))
    conn.execute("INSERT INTO pdfs (arxiv_id, version, status, path, updated_at) VALUES "
                 "('1512.03385', 1, 'ok', '1512.03385v1.pdf', 'now'), ('1706.03762', 1, 'ok', 'x.pdf', 'now')")
    known, unknown = inputs_from_store(conn, tmp_path)
    assert known.abstract == "" and known.lazy_metadata  # listing reads no abstracts
    full = with_metadata(conn, known)
    assert (full.title, full.abstract, full.benchmarks) == ("Deep Residual Learning", "ImageNet results",
                                                             ("cifar10", "imagenet"))
    assert with_metadata(conn, unknown).title == "" and not with_metadata(conn, unknown).lazy_metadata
