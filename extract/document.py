"""The page model the rules read: plain, frozen objects, no I/O.

Bounding boxes follow ``flopmine.types.BBox``: ``(x0, top, x1, bottom)`` in PDF points with the
origin at the top-left of the page (pdfplumber's convention). ``extract.pdf`` converts
pypdfium2's bottom-left coordinates in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flopmine.types import BBox

from .grid import Grid

if TYPE_CHECKING:
    from .pdfmeta import PdfMetadata


@dataclass(frozen=True)
class Table:
    """A table found on a page: rows of cell text (None for an empty cell), the header row first.

    ``grid`` is the table as ``extract.grid`` read it from the page's geometry (header paths, row labels,
    cells with boxes); None for a table from pdfplumber's finder or built by hand.
    """

    page: int  # 1-based
    rows: tuple[tuple[str | None, ...], ...]
    bbox: BBox | None = None
    caption: str = ""  # nearest "Table N: …" text above or below, if any
    grid: Grid | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Page:
    """One page: its text in reading order, and optionally a box per character of ``text``.

    ``char_boxes[i]`` is the box of ``text[i]`` (None for characters PDFium generated, such as
    line breaks). Empty when boxes were not read.
    """

    number: int  # 1-based
    text: str
    width: float = 0.0
    height: float = 0.0
    char_boxes: tuple[BBox | None, ...] = field(default=(), repr=False)
    tables: tuple[Table, ...] = ()
    # horizontal rules (x0, y, x1), top-left origin, on pages that look like they hold a table: the
    # booktabs lines that bound a table (``extract.grid`` reads tables from them and the char boxes)
    rules: tuple[tuple[float, float, float], ...] = field(default=(), repr=False)
    bold: frozenset[int] = field(default=frozenset(), repr=False)  # indices of ``text`` set in a bold font
    sideways: frozenset[int] = field(default=frozenset(), repr=False)  # … set sideways (rotated labels)

    def span_bbox(self, start: int, end: int) -> BBox | None:
        """Given a character span of ``text``, return the box around it (None when unknown)."""
        boxes = [b for b in self.char_boxes[start:end] if b is not None]
        if not boxes:
            return None
        return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


@dataclass(frozen=True)
class Document:
    """A paper's pages plus the metadata rules use to rank (title and abstract from arXiv, if known)."""

    arxiv_id: str
    version: int
    pages: tuple[Page, ...]
    title: str = ""
    abstract: str = ""
    benchmarks: tuple[str, ...] = ()  # benchmarks the harvester matched, a ranking hint
    # the PDF's own title and arXiv stamp, when ``read_document(metadata=True)`` read them with page 1
    pdf_meta: PdfMetadata | None = None

    @property
    def page_count(self) -> int:
        return len(self.pages)

    @classmethod
    def from_texts(cls, texts: list[str], arxiv_id: str = "0000.00000", version: int = 1, **meta: object) -> Document:
        """A document from plain page texts (tests, rules on strings)."""
        pages = tuple(Page(number=i + 1, text=t) for i, t in enumerate(texts))
        return cls(arxiv_id=arxiv_id, version=version, pages=pages, **meta)  # type: ignore[arg-type]
