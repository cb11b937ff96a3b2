"""A PDF's own metadata (issue 18 item 3): its title and its arXiv stamp, and how extraction, the store,
build and eval use them for PDFs given on the command line."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas
from typer.testing import CliRunner

from flopmine.cli import app
from flopmine.config import Home
from flopmine.extract import pipeline
from flopmine.extract.pdfmeta import (
    ArxivStamp,
    TextLine,
    parse_arxiv_stamp,
    plausible_title,
    read_arxiv_stamp,
    read_pdf_metadata,
    title_from_lines,
)
from flopmine.ids import parse_id
from flopmine.store import connect, paper_titles, upsert_paper
from flopmine.types import Paper

TITLE = "Deep Residual Learning for Image Recognition"
BODY = ("Our model ResNet-152 is trained for 90 epochs on 8 NVIDIA V100 GPUs.\n"
        "Training takes 3 days in total.\nResNet-152 has 60.2M parameters.")


def paper_pdf(path: Path, *, title: str = TITLE, stamp: str | None = "arXiv:1512.03385v6  [cs.CV]  10 Dec 2015",
              doc_title: str | None = None, body: str = BODY) -> Path:
    """Page 1 of a paper as arXiv serves it: the stamp rotated up the left margin, a 17 pt title over two
    lines, authors at 12 pt, body text at 10 pt. ``doc_title`` sets the PDF's /Title (None: no /Title)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=letter)
    if doc_title is not None:
        c.setTitle(doc_title)
    _, height = letter
    if stamp:
        c.saveState()
        c.setFont("Times-Roman", 20)
        c.translate(30, 250)
        c.rotate(90)
        c.drawString(0, 0, stamp)
        c.restoreState()
    c.setFont("Times-Roman", 9)
    c.drawString(72, height - 40, "Preprint. Under review.")
    c.setFont("Times-Bold", 17)
    words = title.split()
    half = (len(words) + 1) // 2
    c.drawString(90, height - 90, " ".join(words[:half]))
    c.drawString(90, height - 110, " ".join(words[half:]))
    c.setFont("Times-Roman", 12)
    c.drawString(120, height - 140, "Kaiming He  Xiangyu Zhang  Shaoqing Ren  Jian Sun")
    c.setFont("Times-Roman", 10)
    y = height - 200
    for line in body.split("\n"):
        c.drawString(72, y, line)
        y -= 14
    c.showPage()
    c.setFont("Times-Roman", 10)
    c.drawString(72, height - 72, "Second page: related work and more text to read here, as papers have.")
    c.showPage()
    c.save()
    return path


# ---------------------------------------------------------------- the stamp parser


def test_the_stamp_is_read_in_both_id_styles() -> None:
    assert parse_arxiv_stamp("x\narXiv:1512.03385v6 [cs.CV] 10 Dec 2015\ny") == ArxivStamp("1512.03385", 6)
    assert parse_arxiv_stamp("arXiv:hep-th/9901001v2 5 Jan 1999") == ArxivStamp("hep-th/9901001", 2)
    assert parse_arxiv_stamp("arXiv:2001.08361v1  [cs.LG]  23 Jan 2020") == ArxivStamp("2001.08361", 1)


@pytest.mark.parametrize("text", [
    "see arXiv:1409.1556v6, 2014",  # a citation: no date after it
    "arXiv preprint arXiv:1409.1556 (2014)",  # no version
    "arXiv:1512.03385 [cs.CV] 10 Dec 2015",  # no version: nothing to take
    "arXiv:1513.0338v1 [cs.CV] 10 Dec 2015",  # 4 digits after the dot, but no such month
    "",
])
def test_text_without_a_stamp_gives_none(text: str) -> None:
    assert parse_arxiv_stamp(text) is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200)
       | st.builds(lambda a, b: f"{a}arXiv:{b}", st.text(max_size=40), st.text(max_size=60)))
def test_any_text_gives_none_or_a_valid_id_and_version(text: str) -> None:
    stamp = parse_arxiv_stamp(text)
    if stamp is not None:
        aid = parse_id(f"{stamp.base}v{stamp.version}")
        assert (aid.base, aid.version) == (stamp.base, stamp.version) and stamp.version >= 1
        assert 1 <= aid.year_month[1] <= 12


_NEW_IDS = st.builds(lambda y, m, n, five: f"{y:02d}{m:02d}.{n:05d}" if five else f"{y:02d}{m:02d}.{n % 10000:04d}",
                     st.integers(7, 26), st.integers(1, 12), st.integers(1, 99999), st.booleans())
_OLD_IDS = st.builds(lambda a, y, m, n: f"{a}/{y:02d}{m:02d}{n:03d}",
                     st.sampled_from(["hep-th", "cond-mat", "math.AG", "cs"]), st.integers(0, 99), st.integers(1, 12),
                     st.integers(1, 999))


@settings(max_examples=200, deadline=None)
@given(_NEW_IDS | _OLD_IDS, st.integers(1, 999), st.sampled_from(["", "[cs.CV] ", "[hep-th] "]),
       st.text(alphabet="abc XYZ\n.,()0123456789", max_size=80), st.text(alphabet="abc XYZ\n.,()", max_size=80))
def test_a_stamp_anywhere_in_a_page_is_found(base: str, version: int, category: str, before: str,
                                             after: str) -> None:
    stamp = f"arXiv:{base}v{version} {category}10 Dec 2015"
    assert parse_arxiv_stamp(f"{before}\n{stamp}\n{after}") == ArxivStamp(base, version)


# ---------------------------------------------------------------- titles


def test_implausible_title_entries_are_refused() -> None:
    for bad in ("", "   ", "Microsoft Word - paper.docx", "main.pdf", "paper_final_v3", "untitled", "1512.03385v1"):
        assert not plausible_title(bad), bad
    assert plausible_title(TITLE)


def test_the_title_is_the_largest_line_near_the_top() -> None:
    lines = [TextLine("arXiv:1512.03385v6 [cs.CV] 10 Dec 2015", 20, 100), TextLine("Under review", 9, 30),
             TextLine(TITLE, 17, 80), TextLine("Kaiming He", 12, 110), TextLine("Huge Figure Label", 30, 600)]
    assert title_from_lines(lines, 792) == TITLE  # not the stamp (larger), not a line low on the page


def test_an_all_caps_title_stops_before_the_authors_at_its_size() -> None:
    lines = [TextLine("ACHIEVING HUMAN PARITY IN", 11, 80), TextLine("SPEECH RECOGNITION", 11, 94),
             TextLine("W. Xiong, J. Droppo, X. Huang", 11, 110), TextLine("Abstract", 9, 150)]
    assert title_from_lines(lines, 792) == "ACHIEVING HUMAN PARITY IN SPEECH RECOGNITION"


def test_a_pdf_without_a_title_entry_gets_its_first_page_title_and_its_rotated_stamp(tmp_path: Path) -> None:
    meta = read_pdf_metadata(paper_pdf(tmp_path / "a.pdf"))
    assert meta.title == TITLE
    assert meta.stamp == ArxivStamp("1512.03385", 6)


def test_a_word_processor_title_entry_is_ignored_and_a_real_one_used(tmp_path: Path) -> None:
    word = read_pdf_metadata(paper_pdf(tmp_path / "w.pdf", doc_title="Microsoft Word - resnet.docx"))
    assert word.title == TITLE
    named = read_pdf_metadata(paper_pdf(tmp_path / "n.pdf", doc_title="ResNets: Deep Residual Learning"))
    assert named.title == "ResNets: Deep Residual Learning"


def test_an_old_style_stamp_is_read_from_the_pdf(tmp_path: Path) -> None:
    pdf = paper_pdf(tmp_path / "hep-th_9901001.pdf", title="Strings on a Lattice of Branes",
                    stamp="arXiv:hep-th/9901001v2 5 Jan 1999")
    assert read_arxiv_stamp(pdf) == ArxivStamp("hep-th/9901001", 2)
    (item,) = pipeline.inputs_from_paths([pdf])
    assert (item.arxiv_id, item.version, item.version_from) == ("hep-th/9901001", 2, "stamp")


def test_unreadable_files_give_no_metadata(tmp_path: Path) -> None:
    html = tmp_path / "x.pdf"
    html.write_text("<html>not a pdf</html>")
    assert read_pdf_metadata(html) == ("", None) and read_arxiv_stamp(html) is None
    assert read_arxiv_stamp(tmp_path / "missing.pdf") is None


# ---------------------------------------------------------------- versions of PDFs given on the command line


def test_a_file_name_without_a_version_takes_the_stamps(tmp_path: Path) -> None:
    paper_pdf(tmp_path / "1512.03385.pdf")
    (item,) = pipeline.inputs_from_paths([tmp_path])
    assert (item.arxiv_id, item.version, item.version_from) == ("1512.03385", 6, "stamp")
    (by_id,) = pipeline.inputs_from_paths([tmp_path / "1512.03385.pdf"], arxiv_id="1512.03385")
    assert by_id.version == 6


def test_a_stamp_of_another_paper_is_not_taken(tmp_path: Path) -> None:
    paper_pdf(tmp_path / "1706.03762.pdf")  # stamped 1512.03385v6: a misnamed file
    (item,) = pipeline.inputs_from_paths([tmp_path])
    assert (item.arxiv_id, item.version, item.version_from) == ("1706.03762", 1, "")


def test_the_file_names_version_wins_and_a_disagreeing_stamp_is_logged(tmp_path: Path,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    pdf = paper_pdf(tmp_path / "1512.03385v2.pdf")
    (item,) = pipeline.inputs_from_paths([pdf])
    assert (item.version, item.version_from) == (2, "name")
    with caplog.at_level(logging.WARNING, logger="flopmine.extract.pipeline"):
        result = pipeline.extract_one(item, limits=pipeline.Limits(timeout=0))
    assert result.ok and result.version == 2
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(str(pdf) in m and "v2" in m and "v6" in m for m in warned), warned
    caplog.clear()
    agreeing = pipeline.inputs_from_paths([paper_pdf(tmp_path / "1512.03385v6.pdf")])[0]
    with caplog.at_level(logging.WARNING, logger="flopmine.extract.pipeline"):
        pipeline.extract_one(agreeing, limits=pipeline.Limits(timeout=0))
    assert not [r for r in caplog.records if "stamp" in r.getMessage()]


# ---------------------------------------------------------------- the title reaches the store and build


def test_a_folder_pdf_title_is_stored_at_extraction_and_read_by_build(tmp_path: Path) -> None:
    from flopmine.analysis.build import titles_from_store

    folder = tmp_path / "in"
    paper_pdf(folder / "1512.03385.pdf")
    paper_pdf(folder / "1706.03762v5.pdf", title="Attention Is All You Need", stamp=None)
    db = tmp_path / "s.sqlite"
    conn = connect(db)
    upsert_paper(conn, Paper("1706.03762", 5, "Attention is all you need (arXiv)", benchmarks=("wmt14_en_de",)))
    summary = pipeline.run(conn, pipeline.inputs_from_paths([folder]), workers=1,
                           limits=pipeline.Limits(timeout=0))
    assert summary.by_status == {"ok": 2}
    rows = {(r[0], r[1]): r[2] for r in conn.execute("SELECT arxiv_id, version, pdf_title FROM extractions")}
    assert rows == {("1512.03385", 6): TITLE, ("1706.03762", 5): "Attention Is All You Need"}
    # arXiv's title wins over the PDF's when the paper was harvested
    assert paper_titles(conn, ["1512.03385", "1706.03762", "2001.00001"]) == {
        "1512.03385": TITLE, "1706.03762": "Attention is all you need (arXiv)"}
    conn.close()
    assert titles_from_store(db, ["1512.03385"]) == {"1512.03385": TITLE}


def test_a_failed_re_extraction_keeps_the_stored_title(conn: sqlite3.Connection) -> None:
    from flopmine.store import replace_candidates

    row = {"status": "ok", "rule_version": "r", "pdf_title": TITLE}
    replace_candidates(conn, "1512.03385", 1, [], extraction=row)
    replace_candidates(conn, "1512.03385", 1, [], extraction={"status": "timeout", "rule_version": "r"})
    assert paper_titles(conn, ["1512.03385"]) == {"1512.03385": TITLE}


# ---------------------------------------------------------------- listed once; metadata from run; eval


def test_extract_lists_the_given_paths_once_and_run_reads_their_store_metadata(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "in"
    paper_pdf(folder / "1512.03385.pdf")
    home = tmp_path / "home"
    conn = connect(home / "flopmine.sqlite")
    with conn:
        upsert_paper(conn, Paper("1512.03385", 6, "Deep Residual Learning (store)", abstract="ImageNet",
                                 benchmarks=("imagenet",)))
    conn.close()
    listed: list[int] = []
    filled: list[pipeline.PaperInput] = []
    real_list, real_fill = pipeline.inputs_from_paths, pipeline.with_metadata

    def counting(*args: object, **kw: object) -> list[pipeline.PaperInput]:
        listed.append(1)
        return real_list(*args, **kw)  # type: ignore[arg-type]

    def recording(conn: sqlite3.Connection, item: pipeline.PaperInput) -> pipeline.PaperInput:
        out = real_fill(conn, item)
        filled.append(out)
        return out

    monkeypatch.setattr(pipeline, "inputs_from_paths", counting)
    monkeypatch.setattr(pipeline, "with_metadata", recording)
    result = CliRunner().invoke(app, ["--home", str(home), "extract", str(folder), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert len(listed) == 1
    (item,) = filled
    assert (item.version, item.title, item.benchmarks) == (6, "Deep Residual Learning (store)", ("imagenet",))


def test_eval_reads_versions_from_the_stamp_without_a_store(tmp_path: Path) -> None:
    from flopmine.extract.evaluation import candidates_from_paths

    paper_pdf(tmp_path / "1512.03385.pdf")
    run = candidates_from_paths([tmp_path])
    assert run.papers == ["1512.03385"] and run.scored
    found, _ = run.found["1512.03385"]
    assert found and {c.version for c, _, _ in found} == {6}


def test_a_dataset_row_of_a_folder_pdf_carries_the_pdfs_title(home: Home, tmp_path: Path) -> None:
    """Folder PDF → extract → accept its metric → build: the row's title is the one read from the PDF."""
    import csv

    from flopmine.analysis.build import build_from_home
    from flopmine.review.assign import import_reviewed
    from flopmine.review.export import export

    folder = tmp_path / "in"
    paper_pdf(folder / "1512.03385.pdf", body="Our ResNet-152 achieves 78.6% top-1 accuracy on ImageNet.\n"
                                             "ResNet-152 has 60.2M parameters.")
    conn = connect(home.db_path)
    try:
        pipeline.run(conn, pipeline.inputs_from_paths([folder]), workers=1, limits=pipeline.Limits(timeout=0))
        export(conn, home, tmp_path / "out", top=None, slot_rank=None)
        sheet = tmp_path / "out" / "imagenet.csv"
        with sheet.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
        for r in rows:
            r["decision"] = "accept" if r["field"] == "top1_acc" and r["value"] == "78.6" else ""
        assert any(r["decision"] for r in rows), rows
        with sheet.open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        result = import_reviewed(conn, home, [sheet], reviewer="ann")
        assert not result.problems, result.problems
    finally:
        conn.close()
    built = build_from_home(home, tmp_path / "dataset")
    frame = built.result.frame
    assert list(frame["arxiv_id"]) == ["1512.03385"] and list(frame["title"]) == [TITLE]
