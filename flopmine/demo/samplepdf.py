"""A tiny reportlab page writer for sample papers (the demo corpus, and tests of other stages).

A document is a list of blocks — :class:`Title`, :class:`Heading`, :class:`Paragraph`, :class:`Table` —
laid out on US-letter pages in one or two columns with the standard Times fonts, so the PDF has a real
text layer (pypdfium2 / pdfplumber read it back). Output is deterministic: reportlab's ``invariant``
mode fixes the creation date and document id, so the same blocks always give the same bytes.

Inline markup in paragraph text and table cells:

- ``[[key|phrase]]`` marks a phrase: it is never broken across lines, and :attr:`RenderedPdf.marks`
  records the 1-based page it was printed on under ``key`` (how the demo corpus knows a fact's page);
- ``^{9}`` prints ``9`` as a superscript, so ``3.8 × 10^{9}`` reads back as ``3.8 × 109`` — the
  flattened exponent real papers produce;
- ``**bold**`` prints bold.

>>> pdf = render_pdf([Title("A Paper", "A. Author"), Heading("1 Introduction"),
...                   Paragraph("We train on [[hw|8 NVIDIA Tesla V100 GPUs]].")])
>>> pdf.body[:5], pdf.pages, pdf.marks
(b'%PDF-', 1, {'hw': 1})
"""

from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass, field

from reportlab.lib.pagesizes import letter
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as rl_canvas

__all__ = [
    "Heading", "Paragraph", "RenderedPdf", "Table", "Title", "image_only_pdf", "plain_text", "render_pdf",
]

PAGE_WIDTH, PAGE_HEIGHT = letter
DEFAULT_MARGIN = 54.0
DEFAULT_TOP = 60.0
DEFAULT_BOTTOM = 60.0
DEFAULT_GUTTER = 18.0
DEFAULT_FONT_SIZE = 10.0
FONTS = {"normal": "Times-Roman", "bold": "Times-Bold", "italic": "Times-Italic"}

# ---------------------------------------------------------------- blocks


@dataclass(frozen=True)
class Title:
    """The paper's title block (full width, top of page 1)."""

    title: str
    authors: str = ""
    affiliation: str = ""


@dataclass(frozen=True)
class Heading:
    """A section heading, kept on the same column as the start of the next block."""

    text: str


@dataclass(frozen=True)
class Paragraph:
    """Wrapped text with inline markup (see the module docstring)."""

    text: str
    size: float = DEFAULT_FONT_SIZE
    indent: float = 0.0


@dataclass(frozen=True)
class Table:
    """A ruled (booktabs-style) table with its caption above: top, header and bottom rules.

    ``bold_rows`` are 0-based indexes into ``rows`` printed in bold (the paper's own model).
    Cells may carry ``[[key|value]]`` marks like paragraphs.
    """

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    bold_rows: frozenset[int] = field(default_factory=frozenset)


Block = Title | Heading | Paragraph | Table


@dataclass(frozen=True)
class RenderedPdf:
    """A rendered PDF: its bytes, page count, and the page of every marked phrase."""

    body: bytes
    pages: int
    marks: dict[str, int]


# ---------------------------------------------------------------- inline markup

_MARKUP = re.compile(r"\[\[(?P<key>[^|\]]+)\|(?P<phrase>.*?)\]\]|\^\{(?P<sup>[^}]*)\}|\*\*(?P<bold>.*?)\*\*")


def plain_text(markup: str) -> str:
    """The text a reader sees, markup removed (superscripts as ``^9``).

    >>> plain_text("uses [[f|3.8 × 10^{9}]] **FLOPs**")
    'uses 3.8 × 10^9 FLOPs'
    """
    def sub(m: re.Match[str]) -> str:
        if m.group("key") is not None:
            return plain_text(m.group("phrase"))
        if m.group("sup") is not None:
            return "^" + m.group("sup")
        return m.group("bold")

    return _MARKUP.sub(sub, markup)


Run = tuple[str, str]  # (text, style): style in normal | bold | sup


@dataclass
class _Token:
    """An unbreakable unit of a line: a word, or a whole marked phrase."""

    runs: list[Run]
    key: str | None = None


def _runs(markup: str, style: str = "normal") -> list[Run]:
    out: list[Run] = []
    pos = 0
    for m in _MARKUP.finditer(markup):
        if m.start() > pos:
            out.append((markup[pos:m.start()], style))
        if m.group("sup") is not None:
            out.append((m.group("sup"), "sup"))
        elif m.group("bold") is not None:
            out.append((m.group("bold"), "bold"))
        else:
            out.extend(_runs(m.group("phrase"), style))
        pos = m.end()
    if pos < len(markup):
        out.append((markup[pos:], style))
    return out


def _tokens(markup: str, style: str = "normal") -> list[_Token]:
    """Split markup into tokens at spaces, keeping each marked phrase whole (and glued to its neighbours)."""
    tokens: list[_Token] = []
    cur: _Token | None = None

    def current() -> _Token:
        nonlocal cur
        if cur is None:
            cur = _Token([])
            tokens.append(cur)
        return cur

    pos = 0
    segments: list[tuple[str, str | None]] = []
    for m in re.finditer(r"\[\[(?P<key>[^|\]]+)\|(?P<phrase>.*?)\]\]", markup):
        segments.append((markup[pos:m.start()], None))
        segments.append((m.group("phrase"), m.group("key")))
        pos = m.end()
    segments.append((markup[pos:], None))
    for text, key in segments:
        if key is not None:
            tok = current()
            tok.runs.extend(_runs(text, style))
            tok.key = tok.key or key
            continue
        for run_text, run_style in _runs(text, style):
            for i, part in enumerate(run_text.split(" ")):
                if i > 0:
                    cur = None
                if part:
                    current().runs.append((part, run_style))
    return tokens


def _font(style: str) -> str:
    return FONTS["bold"] if style == "bold" else FONTS["normal"]


def _run_width(run: Run, size: float) -> float:
    text, style = run
    return stringWidth(text, _font(style), size * (0.7 if style == "sup" else 1.0))


def _token_width(tok: _Token, size: float) -> float:
    return sum(_run_width(r, size) for r in tok.runs)


# ---------------------------------------------------------------- layout


class _Layout:
    """Cursor over pages and columns; draws onto a reportlab canvas."""

    def __init__(self, c: rl_canvas.Canvas, columns: int, margin: float, header: str) -> None:
        self.c = c
        self.columns = columns
        self.margin = margin
        self.header = header
        self.col_width = (PAGE_WIDTH - 2 * margin - (columns - 1) * DEFAULT_GUTTER) / columns
        self.page = 1
        self.col = 0
        self.top = PAGE_HEIGHT - DEFAULT_TOP
        self.y = self.top
        self.marks: dict[str, int] = {}
        self._decorate()

    @property
    def x(self) -> float:
        return self.margin + self.col * (self.col_width + DEFAULT_GUTTER)

    def _decorate(self) -> None:
        c = self.c
        c.setFont(FONTS["normal"], 9)
        c.drawCentredString(PAGE_WIDTH / 2, DEFAULT_BOTTOM / 2, str(self.page))
        if self.header and self.page == 1:  # arXiv's sideways stamp in the left margin
            c.saveState()
            c.setFont(FONTS["normal"], 14)
            c.setFillGray(0.5)
            c.translate(30, PAGE_HEIGHT / 2 - 120)
            c.rotate(90)
            c.drawString(0, 0, self.header)
            c.restoreState()

    def next_column(self) -> None:
        if self.col + 1 < self.columns:
            self.col += 1
        else:
            self.c.showPage()
            self.page += 1
            self.col = 0
            self.top = PAGE_HEIGHT - DEFAULT_TOP
            self._decorate()
        self.y = self.top

    def need(self, height: float) -> None:
        if self.y - height < DEFAULT_BOTTOM and self.y < self.top:
            self.next_column()

    def draw_runs(self, x: float, y: float, runs: list[Run], size: float) -> float:
        """Draw runs left to right from x on baseline y; returns the end x."""
        merged: list[Run] = []
        for text, style in runs:
            if merged and merged[-1][1] == style:
                merged[-1] = (merged[-1][0] + text, style)
            else:
                merged.append((text, style))
        for text, style in merged:
            fsize = size * 0.7 if style == "sup" else size
            self.c.setFont(_font(style), fsize)
            self.c.drawString(x, y + (size * 0.38 if style == "sup" else 0.0), text)
            x += stringWidth(text, _font(style), fsize)
        return x

    def wrap(self, tokens: list[_Token], width: float, size: float) -> list[list[_Token]]:
        lines: list[list[_Token]] = [[]]
        used = 0.0
        space = stringWidth(" ", FONTS["normal"], size)
        for tok in tokens:
            w = _token_width(tok, size)
            if lines[-1] and used + space + w > width:
                lines.append([])
                used = 0.0
            used += (space if lines[-1] else 0.0) + w
            lines[-1].append(tok)
        return [line for line in lines if line]

    def draw_line(self, line: list[_Token], size: float, x0: float) -> None:
        runs: list[Run] = []
        for i, tok in enumerate(line):
            if i:
                runs.append((" ", "normal" if tok.runs[0][1] == "sup" else tok.runs[0][1]))
            runs.extend(tok.runs)
            if tok.key:
                self.marks.setdefault(tok.key, self.page)
        self.draw_runs(x0, self.y, runs, size)

    # -- blocks

    def title(self, block: Title) -> None:
        width = PAGE_WIDTH - 2 * self.margin
        for size, text, font in ((16, block.title, FONTS["bold"]), (11, block.authors, FONTS["normal"]),
                                 (9, block.affiliation, FONTS["italic"])):
            if not text:
                continue
            for line in self.wrap(_tokens(text), width, size):
                self.y -= size * 1.3
                self.c.setFont(font, size)
                self.c.drawCentredString(PAGE_WIDTH / 2, self.y, " ".join(
                    "".join(r[0] for r in t.runs) for t in line))
            self.y -= size * 0.5
        self.y -= 14
        self.top = self.y

    def heading(self, block: Heading) -> None:
        self.need(11 * 1.2 * 4)
        if self.y < self.top:
            self.y -= 8
        self.y -= 11 * 1.2
        self.draw_runs(self.x, self.y, [(block.text, "bold")], 11)
        self.y -= 4

    def paragraph(self, block: Paragraph) -> None:
        leading = block.size * 1.2
        for line in self.wrap(_tokens(block.text), self.col_width - block.indent, block.size):
            self.need(leading)
            self.y -= leading
            self.draw_line(line, block.size, self.x + block.indent)
        self.y -= leading * 0.4

    def table(self, block: Table) -> None:
        caption_size = 9.0
        size = 9.0
        cells = [list(block.header)] + [list(r) for r in block.rows]
        ncols = max(len(r) for r in cells)
        while True:
            widths = [0.0] * ncols
            for ri, row in enumerate(cells):
                style = "bold" if ri == 0 or (ri - 1) in block.bold_rows else "normal"
                for ci, cell in enumerate(row):
                    w = sum(_run_width(r, size) for r in _runs(cell, style))
                    widths[ci] = max(widths[ci], w + 2 * max(3.0, size * 0.6))
            if sum(widths) <= self.col_width or size <= 6.0:
                break
            size -= 0.5
        cap_lines = self.wrap(_tokens(block.caption), self.col_width, caption_size)
        row_h = size * 1.45
        height = len(cap_lines) * caption_size * 1.2 + 6 + row_h * len(cells) + 6
        self.need(height)
        self.y -= 4
        for line in cap_lines:
            self.y -= caption_size * 1.2
            self.draw_line(line, caption_size, self.x)
        self.y -= 4
        total = sum(widths)
        x0 = self.x + max(0.0, (self.col_width - total) / 2)
        c = self.c
        c.setLineWidth(0.8)
        c.line(x0, self.y, x0 + total, self.y)
        for ri, row in enumerate(cells):
            self.y -= row_h
            style = "bold" if ri == 0 or (ri - 1) in block.bold_rows else "normal"
            x = x0
            for ci, cell in enumerate(row):
                runs = _runs(cell, style)
                w = sum(_run_width(r, size) for r in runs)
                pad = max(3.0, size * 0.6)
                cx = x + pad if ci == 0 else x + (widths[ci] - w) / 2
                self.draw_runs(cx, self.y + size * 0.35, runs, size)
                for m in re.finditer(r"\[\[(?P<key>[^|\]]+)\|", cell):
                    self.marks.setdefault(m.group("key"), self.page)
                x += widths[ci]
            if ri == 0:
                c.setLineWidth(0.5)
                c.line(x0, self.y, x0 + total, self.y)
        c.setLineWidth(0.8)
        c.line(x0, self.y, x0 + total, self.y)
        self.y -= 10


def _new_canvas(buf: io.BytesIO, title: str, password: str | None) -> rl_canvas.Canvas:
    encrypt = None
    if password is not None:
        from reportlab.lib.pdfencrypt import StandardEncryption

        encrypt = StandardEncryption(password, ownerPassword=password + "-owner", strength=128)
    c = rl_canvas.Canvas(buf, pagesize=letter, invariant=1, pageCompression=1, encrypt=encrypt)
    c.setTitle(title)
    c.setAuthor("flopmine sample corpus")
    c.setCreator("flopmine.demo.samplepdf")
    c.setProducer("flopmine.demo.samplepdf (reportlab)")
    return c


def render_pdf(blocks: list[Block], *, columns: int = 1, margin: float = DEFAULT_MARGIN,
               header: str = "", password: str | None = None) -> RenderedPdf:
    """Lay out ``blocks`` and return the PDF bytes, its page count and the page of each mark.

    ``columns`` is 1 or 2 (a :class:`Title` always spans the page); ``header`` is printed sideways in
    page 1's left margin (arXiv's stamp, e.g. ``arXiv:1905.01234v1 [cs.CV] 3 May 2019``);
    ``password`` encrypts the file (a user password is then needed to open it).

    >>> pdf = render_pdf([Paragraph("x " * 5000)], columns=2)
    >>> pdf.pages
    2
    """
    if columns not in (1, 2):
        raise ValueError(f"columns must be 1 or 2, not {columns!r}")
    buf = io.BytesIO()
    first_title = next((b.title for b in blocks if isinstance(b, Title)), "")
    c = _new_canvas(buf, first_title, password)
    layout = _Layout(c, columns, margin, header)
    for block in blocks:
        if isinstance(block, Title):
            saved = layout.col_width, layout.columns
            layout.title(block)
            layout.col_width, layout.columns = saved
        elif isinstance(block, Heading):
            layout.heading(block)
        elif isinstance(block, Paragraph):
            layout.paragraph(block)
        elif isinstance(block, Table):
            layout.table(block)
        else:  # pragma: no cover - typing guards this
            raise TypeError(f"not a block: {block!r}")
    c.showPage()
    c.save()
    return RenderedPdf(buf.getvalue(), layout.page, dict(layout.marks))


def image_only_pdf(seed: int, pages: int = 2, title: str = "") -> bytes:
    """A "scanned" paper: each page is one grey-scale image of text-like strokes, no text layer.

    >>> body = image_only_pdf(1)
    >>> body[:5]
    b'%PDF-'
    """
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader

    rng = random.Random(f"scan-{seed}")
    buf = io.BytesIO()
    c = _new_canvas(buf, title, None)
    for _ in range(pages):
        img = Image.new("L", (425, 550), 255)
        draw = ImageDraw.Draw(img)
        y = 40
        while y < 510:
            x = 40
            while x < 385:
                w = rng.randint(8, 40)
                draw.rectangle((x, y, min(x + w, 385), y + 5), fill=rng.randint(20, 90))
                x += w + rng.randint(4, 7)
            y += rng.choice((11, 11, 11, 22))
        c.drawImage(ImageReader(img), 0, 0, PAGE_WIDTH, PAGE_HEIGHT)
        c.showPage()
    c.save()
    return buf.getvalue()
