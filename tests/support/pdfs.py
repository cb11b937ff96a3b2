"""Write small PDFs (and broken "PDFs") for tests, with reportlab. No I/O beyond the target path.

Every function takes the target path, writes the file and returns the path. Coordinates in the
docstrings are PDF points with the origin at the TOP-left (flopmine's convention), so a test can
compare them with ``Page.span_bbox`` directly.

>>> from pathlib import Path
>>> p = text_pdf(Path("/tmp/x.pdf"), ["Trained on 8 V100 GPUs for 3 days."])  # doctest: +SKIP

Kinds:

* ``text_pdf(path, pages)`` — one page per string; lines split on ``\\n``; Helvetica 11 pt,
  first line's baseline at ``TOP_MARGIN`` from the top, ``LINE_HEIGHT`` apart, x = ``LEFT_MARGIN``.
* ``table_pdf(path, rows, caption=...)`` — a page with a caption, a paragraph and a table drawn
  with ruling lines (every cell boxed), like a LaTeX ``tabular`` with ``|`` and ``\\hline``.
* ``booktabs_pdf(path, rows, caption=...)`` — the same table with only three horizontal rules
  (top, below the header, bottom), as LaTeX ``booktabs`` draws it; no vertical lines.
* ``encrypted_pdf(path)`` — a text PDF that needs a user password.
* ``image_only_pdf(path)`` — pages with a drawn "scan" (shapes, no text layer): needs OCR.
* ``truncated_pdf(path)`` — a real PDF cut in half.
* ``html_as_pdf(path)`` — an HTML error page saved under a ``.pdf`` name.
* ``empty_pdf(path)`` — a zero-byte file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas

PAGE_WIDTH, PAGE_HEIGHT = letter  # 612 x 792 points
LEFT_MARGIN = 72.0
TOP_MARGIN = 72.0
LINE_HEIGHT = 14.0
FONT = "Helvetica"
FONT_SIZE = 11


def _canvas(path: Path, encrypt: StandardEncryption | None = None) -> canvas.Canvas:
    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=letter, encrypt=encrypt)
    c.setTitle("flopmine test PDF")
    return c


def _write_lines(c: canvas.Canvas, text: str, top: float = TOP_MARGIN) -> float:
    """Draw lines of ``text`` from ``top`` (top-left origin); return the top of the next line."""
    c.setFont(FONT, FONT_SIZE)
    y = top
    for line in text.split("\n"):
        c.drawString(LEFT_MARGIN, PAGE_HEIGHT - y, line)
        y += LINE_HEIGHT
    return y


def text_pdf(path: Path, pages: Sequence[str], *, encrypt: StandardEncryption | None = None) -> Path:
    """A PDF with one page per string of ``pages`` (lines split on newlines)."""
    c = _canvas(path, encrypt)
    for text in pages:
        _write_lines(c, text)
        c.showPage()
    c.save()
    return path


def _table(path: Path, rows: Sequence[Sequence[str]], caption: str, ruled: bool, intro: str,
           in_form: bool = False) -> Path:
    c = _canvas(path)
    y = _write_lines(c, intro)
    y = _write_lines(c, caption, top=y + LINE_HEIGHT)
    if in_form:  # draw the table into a form XObject, placed scaled by 0.9 (like LaTeX \resizebox)
        c.beginForm("table")
    col_w, row_h = 110.0, 18.0
    x0 = LEFT_MARGIN
    top = y + 4
    ncols = max(len(r) for r in rows)
    width = col_w * ncols
    c.setFont(FONT, 10)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            c.drawString(x0 + j * col_w + 4, PAGE_HEIGHT - (top + i * row_h + 13), cell)
    c.setLineWidth(0.6)
    bottom = top + row_h * len(rows)
    if ruled:
        for i in range(len(rows) + 1):
            c.line(x0, PAGE_HEIGHT - (top + i * row_h), x0 + width, PAGE_HEIGHT - (top + i * row_h))
        for j in range(ncols + 1):
            c.line(x0 + j * col_w, PAGE_HEIGHT - top, x0 + j * col_w, PAGE_HEIGHT - bottom)
    else:  # booktabs: top rule, mid rule under the header, bottom rule
        for t in (top, top + row_h, bottom):
            c.line(x0, PAGE_HEIGHT - t, x0 + width, PAGE_HEIGHT - t)
    if in_form:
        c.endForm()
        c.saveState()
        c.translate(0, PAGE_HEIGHT * 0.1)  # keep the form's top where it was drawn
        c.scale(0.9, 0.9)
        c.doForm("table")
        c.restoreState()
    _write_lines(c, "The table above lists our results.", top=bottom + 2 * LINE_HEIGHT)
    c.showPage()
    c.save()
    return path


DEFAULT_ROWS: tuple[tuple[str, ...], ...] = (
    ("Model", "Params", "FLOPs", "Top-1 acc."),
    ("ResNet-50", "25.6M", "4.1B", "76.0"),
    ("ResNet-101", "44.5M", "7.8B", "77.4"),
    ("Ours-L", "30.2M", "3.9B", "79.8"),
)
DEFAULT_CAPTION = "Table 2: Comparison on ImageNet 2012 validation set."
DEFAULT_INTRO = "We compare our models with strong baselines in Table 2.\nAll models are trained for 90 epochs."


def table_pdf(path: Path, rows: Sequence[Sequence[str]] = DEFAULT_ROWS, *, caption: str = DEFAULT_CAPTION,
              intro: str = DEFAULT_INTRO) -> Path:
    """A page with an intro paragraph, a caption and a fully ruled table of ``rows`` below it."""
    return _table(path, rows, caption, True, intro)


def booktabs_pdf(path: Path, rows: Sequence[Sequence[str]] = DEFAULT_ROWS, *, caption: str = DEFAULT_CAPTION,
                 intro: str = DEFAULT_INTRO, in_form: bool = False) -> Path:
    """Like ``table_pdf`` but with booktabs-style horizontal rules only.

    ``in_form=True`` draws the table inside a form XObject shown at 90 % scale (as LaTeX's
    ``\\resizebox`` does); its boxes are then not where the drawing code put them.
    """
    return _table(path, rows, caption, False, intro, in_form)


def encrypted_pdf(path: Path, password: str = "secret") -> Path:
    """A text PDF that cannot be opened without the user password ``password``."""
    return text_pdf(path, ["This page is encrypted."], encrypt=StandardEncryption(password, "owner-" + password))


def image_only_pdf(path: Path, pages: int = 2) -> Path:
    """Pages with only drawn shapes (like a scanned paper): no text layer at all."""
    c = _canvas(path)
    for p in range(pages):
        for k in range(40):
            c.rect(LEFT_MARGIN + (k % 8) * 55, 100 + (k // 8) * 120 + p, 40, 90, fill=1)
        c.showPage()
    c.save()
    return path


def truncated_pdf(path: Path) -> Path:
    """A real multi-page PDF cut to its first 40 % of bytes (an interrupted download)."""
    full = path.with_name(path.name + ".full")
    text_pdf(full, [f"Page {i} of a paper that was cut short.\n" * 20 for i in range(6)])
    data = full.read_bytes()
    full.unlink()
    path.write_bytes(data[: int(len(data) * 0.4)])
    return path


def html_as_pdf(path: Path) -> Path:
    """An HTML page (what a server sends instead of a PDF) under a ``.pdf`` name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head>"
                    "<body><h1>Forbidden</h1><p>Rate limit exceeded.</p></body></html>\n", encoding="utf-8")
    return path


def empty_pdf(path: Path) -> Path:
    """A zero-byte ``.pdf`` file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path
