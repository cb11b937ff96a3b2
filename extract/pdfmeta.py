"""A PDF's own metadata: its title and the arXiv stamp printed on its first page.

PDFs given on the command line (``flopmine extract papers/``) have no arXiv record in the store, so the
dataset's ``title`` and the paper's version come from the file itself:

- ``parse_arxiv_stamp``: the vertical line arXiv prints on page 1, ``arXiv:2107.01234v6 [cs.CV] 10 Dec 2015``
  (old-style ids: ``arXiv:hep-th/9901001v2 5 Jan 1999``);
- ``plausible_title`` / ``title_from_lines``: the document's ``/Title`` when it reads like a title (not
  empty, not a file name, not "Microsoft Word - paper.docx"), else the largest-font line(s) near the top of
  page 1.

``read_pdf_metadata`` reads only page 1 and at most ``DEFAULT_MAX_TITLE_CHARS`` of it (a few milliseconds a
PDF). The parsers are pure and testable on strings.
"""

from __future__ import annotations

import logging
import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pypdfium2 as pdfium

from flopmine.ids import InvalidIdError, parse_id

from .pdf import DEFAULT_MAX_BYTES

log = logging.getLogger(__name__)

DEFAULT_MAX_TITLE_CHARS = 4000  # characters of page 1 looked at for the title (it is printed first)
DEFAULT_TITLE_TOP_FRACTION = 0.5  # the title is in the top half of page 1
DEFAULT_MAX_TITLE_LINES = 4  # a title wraps over at most this many lines
DEFAULT_SIZE_TOLERANCE = 0.6  # points: lines this close in size belong to the same title
DEFAULT_MAX_TITLE_LENGTH = 300

# "arXiv:2107.01234v6 [cs.CV] 10 Dec 2015", "arXiv:hep-th/9901001v2 5 Jan 1999". The date is required:
# it tells the stamp from a citation of another paper ("arXiv:2104.09991v6, 2014").
_STAMP = re.compile(
    r"arXiv:\s?(?P<base>\d{4}\.\d{4,5}|[a-z][a-z\-]{1,20}(?:\.[A-Z]{2})?/\d{7})v(?P<version>\d{1,3})"
    r"\s+(?:\[[A-Za-z\-.]{1,20}\]\s+)?\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+"
    r"(?:19|20)\d\d\b")


class ArxivStamp(NamedTuple):
    """The id and version arXiv stamped on a PDF."""

    base: str
    version: int


def parse_arxiv_stamp(text: str) -> ArxivStamp | None:
    """The first arXiv stamp in ``text`` (a page's text), or None.

    >>> parse_arxiv_stamp("arXiv:2107.01234v6  [cs.CV]  10 Dec 2015\\nDeep Residual Learning")
    ArxivStamp(base='2107.01234', version=6)
    >>> parse_arxiv_stamp("arXiv:hep-th/9901001v2 5 Jan 1999")
    ArxivStamp(base='hep-th/9901001', version=2)
    >>> parse_arxiv_stamp("as in [3] (arXiv:2104.09991v6, 2014)") is None
    True
    """
    for m in _STAMP.finditer(text):
        try:
            aid = parse_id(f"{m.group('base')}v{m.group('version')}")
        except InvalidIdError:
            continue
        if aid.version and 1 <= aid.year_month[1] <= 12:  # arXiv numbers papers by month: "1513." is no id
            return ArxivStamp(aid.base, aid.version)
    return None


_WORD_PROCESSOR = re.compile(r"^(?:Microsoft\s+(?:Word|PowerPoint)\s*-|untitled\b|title\b\s*$|document\d*$)", re.I)
_FILE_NAME = re.compile(r"\.(?:pdf|docx?|tex|dvi|ps|rtf|odt|pptx?)$|^[\w\-.]+\.\w{2,4}$|^[\w\-]+$", re.I)


def plausible_title(text: str) -> bool:
    """Whether a ``/Title`` entry reads like a paper's title: some words, not a file name, not an editor's
    placeholder.

    >>> plausible_title("Deep Residual Learning for Image Recognition")
    True
    >>> [plausible_title(t) for t in ("", "Microsoft Word - paper.docx", "main.pdf", "2107.01234v1", "untitled")]
    [False, False, False, False, False]
    """
    s = " ".join(text.split())
    if len(s) < 8 or len(s) > DEFAULT_MAX_TITLE_LENGTH:
        return False
    if _WORD_PROCESSOR.search(s) or _FILE_NAME.search(s):
        return False
    letters = sum(ch.isalpha() for ch in s)
    return letters >= 0.5 * len(s) and len(s.split()) >= 2


@dataclass(frozen=True)
class TextLine:
    """One line of page 1: its text, character height (points) and top (points from the top of the page)."""

    text: str
    size: float
    top: float


def title_from_lines(lines: list[TextLine], page_height: float) -> str:
    """The title among page 1's lines: the largest-size line in the top part of the page, joined with the
    lines right after it of the same size (a title that wraps). "" when no line qualifies.

    >>> title_from_lines([TextLine("Under review", 9, 30), TextLine("Deep Residual Learning", 17, 80),
    ...                   TextLine("for Image Recognition", 17, 100), TextLine("Kaiming He", 12, 130)], 792)
    'Deep Residual Learning for Image Recognition'
    """
    limit = page_height * DEFAULT_TITLE_TOP_FRACTION
    usable = [(i, ln) for i, ln in enumerate(lines)
              if ln.top <= limit and sum(ch.isalpha() for ch in ln.text) >= 3 and not _STAMP.search(ln.text)
              and not ln.text.lower().startswith("arxiv:")]
    if not usable:
        return ""
    biggest = max(ln.size for _, ln in usable)
    start = next(i for i, ln in usable if ln.size >= biggest - DEFAULT_SIZE_TOLERANCE)
    parts: list[str] = []
    for ln in lines[start:start + DEFAULT_MAX_TITLE_LINES]:
        if abs(ln.size - biggest) > DEFAULT_SIZE_TOLERANCE:
            break
        if parts and _all_caps(parts[0]) != _all_caps(ln.text):
            break  # an all-caps title, then the authors at the same size ("ACHIEVING HUMAN PARITY …" / "W. Xiong")
        parts.append(ln.text.strip())
    title = " ".join(" ".join(parts).split())
    title = re.sub(r"(\w)- (\w)", r"\1\2", title) if re.search(r"\w- \w", title) else title  # "Learn- ing"
    return title if plausible_title(title) else ""


def _all_caps(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 3 and all(ch.isupper() for ch in letters)


class PdfMetadata(NamedTuple):
    """What a PDF says about itself: ``title`` ("" when none is plausible) and its arXiv ``stamp``."""

    title: str
    stamp: ArxivStamp | None


def _first_page_lines(textpage: pdfium.PdfTextPage, page_height: float, max_chars: int) -> list[TextLine]:
    """Page 1's lines (split at PDFium's line breaks), each with the median height of its characters'
    loose boxes (font ascent to descent, so "a" and "A" measure the same)."""
    import ctypes

    from .pdf import _FOUR_FLOATS, _address, _untyped_fn

    raw = textpage.raw
    n = min(textpage.count_chars(), max_chars)
    left, right, bottom, top = (ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double())
    rect = pdfium.raw.FS_RECTF()
    # PDFium's per-character calls without argument types (``pdf._untyped_fn``: the page handle and the box's
    # pointer made once as ctypes objects, the index a Python int; the argument checks of typed prototypes
    # cost more than PDFium's work), and the box read as four floats at once: the same values
    handle = ctypes.c_void_p(_address(raw))
    at = ctypes.c_void_p(ctypes.addressof(rect))
    get_unicode = _untyped_fn("FPDFText_GetUnicode", ctypes.c_uint)
    get_loose = _untyped_fn("FPDFText_GetLooseCharBox", ctypes.c_int)
    unpack = _FOUR_FLOATS.unpack_from  # FS_RECTF: left, top, right, bottom
    lines: list[TextLine] = []
    chars: list[str] = []
    sizes: list[float] = []
    tops: list[float] = []

    def flush() -> None:
        text = "".join(chars).strip()
        if text and sizes:
            lines.append(TextLine(text, statistics.median(sizes), min(tops)))
        chars.clear()
        sizes.clear()
        tops.clear()

    for i in range(n):
        ch = chr(get_unicode(handle, i) or 32)
        if ch in "\r\n":
            flush()
            continue
        chars.append(ch)
        if ch.isspace():
            continue
        if get_loose(handle, i, at):
            _left, r_top, _right, r_bottom = unpack(rect)
            sizes.append(abs(r_top - r_bottom))
            tops.append(page_height - max(r_top, r_bottom))
        elif pdfium.raw.FPDFText_GetCharBox(raw, i, left, right, bottom, top):
            sizes.append(abs(top.value - bottom.value))
            tops.append(page_height - top.value)
    flush()
    return lines


def _too_big(path: Path | str, max_bytes: int) -> bool:
    try:
        return Path(path).stat().st_size > max_bytes
    except OSError:
        return True


def read_arxiv_stamp(path: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ArxivStamp | None:
    """The arXiv stamp on page 1 of the PDF at ``path`` (text only, no title work), or None (also for a
    file that cannot be read or is over ``max_bytes``: extraction reports those)."""
    if _too_big(path, max_bytes):
        return None
    try:
        pdf = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as e:
        log.debug("%s: no arXiv stamp read (%s)", path, e)
        return None
    try:
        if len(pdf) == 0:
            return None
        page = pdf[0]
        textpage = page.get_textpage()
        try:
            return parse_arxiv_stamp(textpage.get_text_range())
        finally:
            textpage.close()
            page.close()
    except pdfium.PdfiumError as e:
        log.debug("%s: no arXiv stamp read (%s)", path, e)
        return None
    finally:
        pdf.close()


def read_pdf_metadata(path: Path | str, *, max_chars: int = DEFAULT_MAX_TITLE_CHARS,
                      max_bytes: int = DEFAULT_MAX_BYTES) -> PdfMetadata:
    """The title and arXiv stamp of the PDF at ``path``, from its ``/Title`` and page 1 only.

    A PDF that cannot be opened (or is over ``max_bytes``) gives ``PdfMetadata("", None)``: extraction
    reports its problem.
    """
    if _too_big(path, max_bytes):
        return PdfMetadata("", None)
    try:
        pdf = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as e:
        log.debug("%s: no metadata (%s)", path, e)
        return PdfMetadata("", None)
    try:
        if len(pdf) == 0:
            return PdfMetadata("", None)
        page = pdf[0]
        try:
            textpage = page.get_textpage()
            try:
                return page_one_metadata(pdf, page, textpage, max_chars=max_chars)
            finally:
                textpage.close()
        finally:
            page.close()
    except pdfium.PdfiumError as e:
        log.debug("%s: no metadata (%s)", path, e)
        return PdfMetadata("", None)
    finally:
        pdf.close()


def page_one_metadata(pdf: pdfium.PdfDocument, page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, *,
                      max_chars: int = DEFAULT_MAX_TITLE_CHARS) -> PdfMetadata:
    """``read_pdf_metadata`` of an open PDF whose page 1 (``page``, ``textpage``) is loaded already:
    ``extract.pdf.read_document`` reads it there, while it holds page 1 for its text, rather than
    opening the file and loading the page a second time. Raises ``PdfiumError`` as PDFium does."""
    title = " ".join(pdf.get_metadata_dict().get("Title", "").split())
    stamp = parse_arxiv_stamp(textpage.get_text_range())
    if not plausible_title(title):
        _, bottom, _, top = page.get_mediabox()
        title = title_from_lines(_first_page_lines(textpage, top, max_chars), top - bottom)
    return PdfMetadata(title, stamp)
