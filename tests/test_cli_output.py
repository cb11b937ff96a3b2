"""What a new user sees (issue 11, "Smaller things"): help, extract messages, status reasons, warnings."""

from __future__ import annotations

import io
import logging
import sqlite3
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas
from typer.testing import CliRunner

from flopmine import harvest
from flopmine.cli import app
from flopmine.config import resolve_home
from flopmine.demo.fakearxiv import FakeArxiv, FakeEntry
from flopmine.store import connect, replace_candidates
from tests.support.arxiv_fixtures import REGISTRY_TOML, paper
from tests.support.cli import run_cli


@pytest.mark.parametrize("command", [[], ["harvest"], ["status"], ["extract"], ["review"], ["review", "import"]],
                         ids=" ".join)
def test_help_shows_no_type_after_plain_flags(command):
    out = CliRunner().invoke(app, [*command, "--help"], terminal_width=160).output
    assert "--help" in out and "<bool>" not in out


def _run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    return run_cli(argv, capsys)


def test_extract_missing_file_says_no_such_file_and_stores_nothing(tmp_path, capsys):
    home = tmp_path / "home"
    code, out = _run_cli(["--home", str(home), "--quiet", "extract", str(tmp_path / "2001.09999v1.pdf"),
                          str(tmp_path / "notes.pdf")], capsys)
    assert code == 1
    assert out.count("no such file") == 2 and "not an arXiv id" not in out
    assert not home.exists()  # nothing readable: no home, store or queue is created


def test_extract_missing_file_beside_a_readable_one_stores_no_row_for_it(tmp_path, capsys):
    home = tmp_path / "home"
    bad = tmp_path / "1901.00001v1.pdf"
    bad.write_bytes(b"<html>an error page</html>")
    code, out = _run_cli(["--home", str(home), "--quiet", "extract", "--workers", "1", str(bad),
                          str(tmp_path / "2001.09999v1.pdf")], capsys)
    assert code == 1 and out.count("no such file") == 1
    with sqlite3.connect(home / "flopmine.sqlite") as conn:
        assert conn.execute("SELECT arxiv_id FROM extractions").fetchall() == [("1901.00001",)]


def test_extract_folder_without_pdfs_is_an_error(tmp_path, capsys):
    empty = tmp_path / "papers"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a pdf")
    code, out = _run_cli(["--home", str(tmp_path / "home"), "extract", str(empty)], capsys)
    assert code == 1 and f"no PDFs found in {empty}" in " ".join(out.split())


def test_status_shows_extraction_failure_reasons(tmp_path):
    home = resolve_home(tmp_path / "home")
    home.ensure()
    with connect(home.db_path) as conn:
        replace_candidates(conn, "1901.00001", 1, [], extraction={
            "rule_version": "t", "status": "needs_ocr", "reason": "no text layer on any of 9 pages"})
        replace_candidates(conn, "1901.00002", 1, [], extraction={"rule_version": "t", "status": "ok"})
    (failure,) = harvest.status(home).extraction_failures
    assert (failure.arxiv_id, failure.status) == ("1901.00001", "needs_ocr")
    out = CliRunner().invoke(app, ["--home", str(home.root), "status"], terminal_width=200).output
    assert "no text layer on any of 9 pages" in out and "1901.00001v1" in out


def _encrypted_pdf() -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt="secret")
    c.drawString(72, 720, "Paper 1 about CIFAR-10")
    c.showPage()
    c.save()
    return buf.getvalue()


def test_harvest_warning_names_the_paper_not_the_temporary_file(tmp_path, caplog):
    registry = tmp_path / "registry.toml"
    registry.write_text(REGISTRY_TOML)
    home = resolve_home(tmp_path / "home")
    with FakeArxiv([FakeEntry(paper(1), _encrypted_pdf())]) as fake, caplog.at_level(logging.WARNING):
        report = harvest.run(home, registry=registry, api_url=fake.api_url, min_interval=0.01,
                             benchmarks=["cifar10"])
    assert report.exit_code == 0 and (Path(home.pdf_dir) / "1901.00001v1.pdf").exists()
    (warning,) = [r.getMessage() for r in caplog.records if "encrypted" in r.getMessage()]
    assert warning.startswith("1901.00001v1.pdf is encrypted") and ".part" not in warning


def test_worker_warnings_go_through_the_parents_logging(tmp_path: Path) -> None:
    """A worker's warning reaches the CLI's handler (printed above the progress bar) and --log-file; before,
    logging's last resort wrote it bare onto the worker's stderr, that is onto the bar's line."""
    import os
    import subprocess
    import sys

    from tests.support.pdfs import encrypted_pdf

    pdfs = tmp_path / "pdfs"
    pdfs.mkdir()
    encrypted_pdf(pdfs / "2001.00003v1.pdf")
    log_file = tmp_path / "run.log"
    flopmine = Path(sys.executable).with_name("flopmine")
    r = subprocess.run([str(flopmine), "--home", str(tmp_path / "h"), "--log-file", str(log_file), "extract",
                        str(pdfs), "--workers", "1"], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                       env={**os.environ, "COLUMNS": "400"})  # one message, one line
    assert r.returncode == 1
    worker_lines = [line for line in r.stderr.splitlines() if "needs a password" in line]
    assert worker_lines and all(line.startswith("WARNING") for line in worker_lines), r.stderr
    assert "WARNING flopmine.extract.pipeline: " in log_file.read_text() and "2001.00003v1.pdf: encrypted" in log_file.read_text()


def _commands(group: object, ctx: object, path: list[str]) -> list[list[str]]:
    found = [path]
    if hasattr(group, "list_commands"):
        for name in group.list_commands(ctx):  # type: ignore[attr-defined]
            found += _commands(group.get_command(ctx, name), ctx, [*path, name])  # type: ignore[attr-defined]
    return found


def test_help_prose_is_wrapped_once_at_the_console_width():
    """A docstring wrapped at the source's line length came out as ragged half-lines at 80 columns."""
    import typer.main

    root = typer.main.get_command(app)
    ctx = root.make_context("flopmine", ["--help"], resilient_parsing=True)
    commands = _commands(root, ctx, [])
    assert len(commands) > 10
    for command in commands:
        out = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "400"}).output
        prose = "\n".join(line.rstrip() for line in out.split("╭")[0].splitlines())  # before the option panels
        paragraphs = [p.strip() for p in prose.split("\n\n") if p.strip() and "Usage:" not in p]
        for paragraph in paragraphs:
            lines = [x.strip() for x in paragraph.splitlines()]
            for earlier, later in zip(lines, lines[1:], strict=False):
                continues = not (later[:1] in "-*•·" or later.startswith("Example") or later[:1].isdigit())
                # a line that the next one continues was wrapped by the console: it is (nearly) full
                assert not continues or len(earlier) > 400 - 60, (command, earlier, later)


@pytest.mark.parametrize("width", [20, 37, 60, 88, 120])
def test_reflow_help_joins_any_wrapped_paragraph(width: int):
    import textwrap

    from flopmine.cli.common import reflow_help

    words = ("Rows are grouped by paper then fact slot (paper, benchmark, field, model): the top 3 candidates "
             "of each slot, best first, with a link to the PDF page; slot_rest counts the others.")
    text = "Title line.\n\n" + textwrap.fill(words, width) + "\n\n" + textwrap.fill(words, width + 7)
    assert reflow_help(text) == f"Title line.\n\n{words}\n\n{words}"
