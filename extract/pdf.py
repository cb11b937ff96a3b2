"""Read a PDF into the page model: pypdfium2 for every page's text and character boxes; rules, styled characters
and tables as grids only for the pages whose text looks like a table (pdfplumber's finder is off:
``PLUMBER_TABLES``).

Measured on the 29 dev-corpus papers (350 pages, one core, 2026-11-27; see
``docs/history/extract-rounds.md``): pypdfium2 text ≈ 2.6 ms/page, character boxes ≈ 4.7 ms/page, pdfplumber
≈ 85 ms to parse one page plus 5–60 ms for its table finder — so the table work runs only where
``needs_layout`` says so.

>>> doc = read_document("2101.00001v1.pdf", arxiv_id="2101.00001", version=1)  # doctest: +SKIP
>>> doc.pages[0].text[:20]                                                       # doctest: +SKIP
'Deep Residual Learni'

Every failure is a ``flopmine.errors.PdfError`` whose ``reason`` is one of ``PDF_REASONS``.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import math
import re
import struct
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from flopmine.errors import PdfError
from flopmine.types import BBox

from .document import Document, Page, Table

if TYPE_CHECKING:
    from .pdfmeta import PdfMetadata
from .tables import grid_tables

log = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 300  # longer "papers" are theses or books: not what the seed paper read
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
MIN_CHARS_PER_PAGE = 20  # fewer non-space characters per page on average → a scan without text layer
PDF_REASONS = ("corrupt", "encrypted", "needs_ocr", "too_large", "not_pdf")

# needs_layout: a table caption plus several lines that are mostly numbers.
DEFAULT_MIN_NUMERIC_LINES = 3
DEFAULT_MIN_NUMBERS_PER_LINE = 2
_CAPTION = re.compile(r"(?im)^[ \t]*(?:Table|Tab\.)[ \t]*(?:\d+|[IVX]+)[ \t]*[:.|]?")
_NUMBER = re.compile(r"(?<![\w.])[-+±]?\d+(?:[.,]\d+)*(?:\s?%|[MBGKk])?(?![\w])")

# table rules and pdfplumber table finding (see docs/extract.md, "How a PDF is read")
DEFAULT_RULE_THICKNESS = 2.5  # a path thinner than this (and longer than 2 pt) is a ruling line
DEFAULT_RULE_MIN_WIDTH = 40.0  # a horizontal rule shorter than this is a glyph or an arrow, not a table rule
DEFAULT_SEGMENT_GAP = 3.0  # collinear rule segments this close (across a vertical rule) are one rule
DEFAULT_SEGMENT_Y = 0.6  # … when their heights differ by at most this
MAX_FORM_DEPTH = 3  # nested form XObjects searched for table rules
DEFAULT_ROW_REACH = 40.0  # how far below the last rule a table may go on (rows without a closing rule)
DEFAULT_ROW_GAP = 4.0  # a text line starting within this many points below a table's bottom continues it
DEFAULT_RULE_ALIGN = 3.0  # rules of one table start and end within this many points
DEFAULT_RULE_MAX_GAP = 320.0  # the largest vertical gap between two rules of one table
DEFAULT_TEXT_TOLERANCE = 1.5  # x tolerance for joining characters into words inside a table
LINES_SETTINGS: dict[str, object] = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
TEXT_SETTINGS: dict[str, object] = {"vertical_strategy": "text", "horizontal_strategy": "text", "min_words_vertical": 3}
DEFAULT_MIN_TABLE_WIDTH = 60.0  # narrower rule groups are figure parts (arrows, boxes)
PLUMBER_TABLES = False  # pdfplumber's table finder (``Page.tables``): measured weaker and slower than extract.grid (docs/extract.md, "Choosing the table reader by measurement")

# Characters PDFium reports that rules should not see as they are: one-to-many keep the box on each char.
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st",
              "\ufb06": "st"}
_CLEAN: dict[int, str] = {ord(k): v for k, v in _LIGATURES.items()}
_CLEAN.update({ord("\x02"): "-", ord("\u00ad"): "-", 0xFFFE: "-"})  # PDFium's marks for a hyphen at a line break
_CLEAN.update({c: " " for c in range(32) if chr(c) not in "\n\t\r" and c != 2})


# ---------------------------------------------------------------- geometry


def to_top_left(left: float, bottom: float, right: float, top: float, page_height: float) -> BBox:
    """Convert a PDF-space box (origin bottom-left, y up) to flopmine's ``(x0, top, x1, bottom)``.

    The one place where pypdfium2's coordinates change convention.

    >>> to_top_left(72.0, 700.0, 80.0, 711.0, 792.0)
    (72.0, 81.0, 80.0, 92.0)
    """
    return (left, page_height - top, right, page_height - bottom)


# ---------------------------------------------------------------- heuristics


def numeric_lines(page_text: str, min_numbers: int = DEFAULT_MIN_NUMBERS_PER_LINE) -> int:
    """How many lines of ``page_text`` hold at least ``min_numbers`` numbers (table rows do).

    >>> numeric_lines("ResNet-50 25.6M 4.1 76.0\\nWe train for 90 epochs.")
    1
    """
    return sum(1 for line in page_text.splitlines() if len(_NUMBER.findall(line)) >= min_numbers)


def needs_layout(page_text: str, *, min_numeric_lines: int = DEFAULT_MIN_NUMERIC_LINES) -> bool:
    """Whether a page's text looks like it holds a results or architecture table.

    True when a line starts with a table caption ("Table 3:", "Table II.") and at least
    ``min_numeric_lines`` lines are mostly numbers. Pure: text in, bool out.

    >>> needs_layout("Table 1: Results.\\nA 1.0 2.0\\nB 3.0 4.0\\nC 5.0 6.0")
    True
    >>> needs_layout("As shown in Table 1, we win.\\nA 1.0 2.0\\nB 3.0 4.0\\nC 5.0 6.0")
    False
    """
    return bool(_CAPTION.search(page_text)) and numeric_lines(page_text) >= min_numeric_lines


# ---------------------------------------------------------------- pypdfium2: text and boxes


def _classify_open_error(path: Path, exc: Exception) -> PdfError:
    code = getattr(exc, "err_code", None)
    if code == pdfium_c.FPDF_ERR_PASSWORD:
        return PdfError("encrypted: needs a password to open", path=path, reason="encrypted")
    if code == pdfium_c.FPDF_ERR_SECURITY:
        return PdfError("encrypted with an unsupported security handler", path=path, reason="encrypted")
    return PdfError(f"cannot be parsed ({exc})", path=path, reason="corrupt")


def sniff(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Cheap checks before parsing: exists, not empty, not too large, starts like a PDF.

    Raises ``PdfError`` (reason ``corrupt``, ``too_large`` or ``not_pdf``).
    """
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError as e:
        raise PdfError(f"cannot be read ({e.strerror or e})", path=path, reason="corrupt") from e
    if size == 0:
        raise PdfError("empty file (0 bytes)", path=path, reason="corrupt")
    if size > max_bytes:
        raise PdfError(f"{size / 2**20:.1f} MiB is over the {max_bytes / 2**20:.0f} MiB limit", path=path,
                       reason="too_large")
    if b"%PDF-" not in head:
        lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if lowered.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml")):
            raise PdfError("an HTML page, not a PDF (a server error page saved as .pdf?)", path=path, reason="not_pdf")
        raise PdfError("not a PDF (no %PDF- header in the first 1 KiB)", path=path, reason="not_pdf")


_FOUR_DOUBLES = struct.Struct("4d")
_FOUR_FLOATS = struct.Struct("4f")  # FS_RECTF


@functools.cache
def _bare_fn(name: str, restype: type, *argtypes: type) -> Callable[..., int]:
    """PDFium's ``name`` taking the page handle and pointers as plain addresses (ints).

    pypdfium2's typed prototypes check and convert each argument on every call; in the
    per-character loops below that costs more than PDFium's work (≈ 0.8 µs of ≈ 1.2 µs a char).
    """
    return ctypes.CFUNCTYPE(restype, ctypes.c_void_p, *argtypes)(
        ctypes.cast(getattr(pdfium_c, name), ctypes.c_void_p).value)


@functools.cache
def _untyped_fn(name: str, restype: type) -> Callable[..., int]:
    """PDFium's ``name`` with no argument types: the caller passes ctypes objects for pointers (made once,
    outside the loop) and Python ints only for C ``int`` parameters.

    With no types to check, ctypes converts nothing per call: ≈ 0.65 µs a call against ≈ 1 µs for
    ``_bare_fn``'s, for the one call made per character of every page (``FPDFText_GetCharBox``).
    ``PYFUNCTYPE``: the call keeps the GIL (a ``CFUNCTYPE`` call releases and takes it again around PDFium's
    sub-microsecond work): 5–7% less time per character in ``_page_chars``' loop (best and median of 8
    alternating passes). The calls take well under a microsecond and never call back into Python.
    """
    fn = ctypes.PYFUNCTYPE(restype)(ctypes.cast(getattr(pdfium_c, name), ctypes.c_void_p).value)
    fn.argtypes = None
    return fn


def _address(handle: object) -> int:
    """The address a pypdfium2 raw handle (a ctypes pointer) points to."""
    return ctypes.cast(handle, ctypes.c_void_p).value or 0


def _page_chars(textpage: pdfium.PdfTextPage, page_height: float, with_boxes: bool) -> tuple[str, list[BBox | None]]:
    """Text of one page and (optionally) one box per character, aligned, cleaned for rules.

    PDFium's ``\\r\\n`` line breaks become ``\\n``; ligatures are expanded (each letter keeps the
    ligature's box); soft hyphens become ``-``; other control characters become spaces.
    Whitespace has no box (PDFium generates most of it).
    """
    text = textpage.get_text_range()
    if not with_boxes:
        return text.replace("\r", "").translate(_CLEAN), []
    raw = textpage.raw
    n = textpage.count_chars()
    if len(text) == n:
        char_index: Sequence[int] = range(n)
    else:  # PDFium inserted or dropped characters in the text view: map each back
        char_index = [pdfium_c.FPDFText_GetCharIndexFromTextIndex(raw, i) for i in range(len(text))]
    # FPDFText_GetCharBox(page, index, *left, *right, *bottom, *top): note the order. The four doubles
    # land in one buffer; the box is to_top_left(left, bottom, right, top, page_height), inlined.
    # (int index: a Python int; the page handle and the four pointers: ctypes objects, see _untyped_fn)
    buf = (ctypes.c_double * 4)()
    at = ctypes.addressof(buf)
    p_left, p_right, p_bottom, p_top = (ctypes.c_void_p(at + 8 * j) for j in range(4))
    unpack = _FOUR_DOUBLES.unpack_from
    get_box = _untyped_fn("FPDFText_GetCharBox", ctypes.c_int)
    handle = ctypes.c_void_p(_address(raw))
    boxes: list[BBox | None] = []
    add = boxes.append
    if isinstance(char_index, range):  # the usual case: text index == char index, no lookups
        for k, ch in enumerate(text):
            if ch == "\r":
                continue
            if ch in " \n\t" or not get_box(handle, k, p_left, p_right, p_bottom, p_top):
                add(None)
            else:
                left, right, bottom, top = unpack(buf)
                add((left, page_height - top, right, page_height - bottom))
    else:
        for i, ch in enumerate(text):
            if ch == "\r":
                continue
            k = char_index[i]
            if ch in " \n\t" or k < 0 or not get_box(handle, k, p_left, p_right, p_bottom, p_top):
                add(None)
            else:
                left, right, bottom, top = unpack(buf)
                add((left, page_height - top, right, page_height - bottom))
    kept = text.replace("\r", "")
    cleaned = kept.translate(_CLEAN)
    if len(cleaned) == len(kept):
        return cleaned, boxes
    # a ligature became several letters: every letter gets the ligature's box
    out: list[str] = []
    out_boxes: list[BBox | None] = []
    for ch, box in zip(kept, boxes, strict=True):
        letters = _CLEAN.get(ord(ch), ch)
        out.append(letters)
        out_boxes.extend([box] * len(letters))
    return "".join(out), out_boxes


_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi|medi|cmbx|cmb\d|bx\d|-b$|,b$|\+.*bd", re.I)
_FORCE_BOLD = 1 << 18  # PDF font descriptor flag


def styled_chars(textpage: pdfium.PdfTextPage, text: str) -> tuple[frozenset[int], frozenset[int]]:
    """Indices of ``text`` (as ``_page_chars`` returns it) whose glyphs are set in a bold font, and those set
    sideways. Bold: a font name with Bold / Medium / Black / CMBX in it, or the descriptor's ForceBold flag
    (tables print their best value in bold). Sideways: turned more than 30° from the baseline (a table's group
    label rotated down its side, ``\\rotatebox{90}``, whose letters stack vertically and would merge the rows
    they span). Font and angle are read once per text object (consecutive characters share one).

    Only in the usual case where PDFium's text view has one character per glyph (else both empty).
    """
    raw = textpage.get_text_range()
    n = textpage.count_chars()
    if len(raw) != n:
        return frozenset(), frozenset()
    handle = _address(textpage.raw)
    page_handle = ctypes.c_void_p(handle)
    get_object = _untyped_fn("FPDFText_GetTextObject", ctypes.c_void_p)  # (page handle, int index)
    get_info = _bare_fn("FPDFText_GetFontInfo", ctypes.c_ulong, ctypes.c_int, ctypes.c_void_p, ctypes.c_ulong,
                        ctypes.c_void_p)
    get_angle = _bare_fn("FPDFText_GetCharAngle", ctypes.c_float, ctypes.c_int)
    buf = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    at_buf, at_flags = ctypes.addressof(buf), ctypes.addressof(flags)
    known: dict[int, tuple[bool, bool]] = {}  # text object → (bold, sideways)
    bold: list[int] = []
    sideways: list[int] = []
    i = 0  # index in the cleaned text
    for k, ch in enumerate(raw):
        if ch == "\r":
            continue
        width = len(_CLEAN.get(ord(ch), ch))
        if not ch.isspace():
            obj = get_object(page_handle, k) or 0
            style = known.get(obj)
            if style is None:
                size = get_info(handle, k, at_buf, 128, at_flags)
                name = buf.raw[:max(size - 1, 0)].decode("latin-1")
                style = known[obj] = (bool(_BOLD_NAME.search(name)) or bool(flags.value & _FORCE_BOLD),
                                      abs(math.sin(get_angle(handle, k))) > DEFAULT_SIDEWAYS_SIN)
            if style[0]:
                bold.extend(range(i, i + width))
            if style[1]:
                sideways.extend(range(i, i + width))
        i += width
    # an all-bold page says nothing
    return (frozenset(bold) if len(bold) < i else frozenset()), frozenset(sideways)


DEFAULT_SIDEWAYS_SIN = 0.5  # a glyph turned more than 30° from the baseline is set sideways


# ---------------------------------------------------------------- pdfplumber: tables


def _path_bounds(parent: int, in_form: bool = False, matrices: tuple[pdfium.PdfMatrix, ...] = (),
                 depth: int = 0) -> Iterator[tuple[float, float, float, float]]:
    """Bounds (PDF space) of the path objects on a page, including those inside form XObjects.

    ``parent`` is the address of the page (or, with ``in_form``, of a form object). PDFium reports an
    object's bounds in its form's space, so they go through each enclosing form's matrix, innermost
    first (LaTeX tables scaled by ``\\resizebox`` sit in such forms). Bare PDFium calls: pypdfium2's
    object wrappers cost more than PDFium's work on pages with thousands of text objects.
    """
    if in_form:
        count = _bare_fn("FPDFFormObj_CountObjects", ctypes.c_int)
        get_object = _bare_fn("FPDFFormObj_GetObject", ctypes.c_void_p, ctypes.c_ulong)
    else:
        count = _bare_fn("FPDFPage_CountObjects", ctypes.c_int)
        get_object = _bare_fn("FPDFPage_GetObject", ctypes.c_void_p, ctypes.c_int)
    get_type = _bare_fn("FPDFPageObj_GetType", ctypes.c_int)
    get_bounds = _bare_fn("FPDFPageObj_GetBounds", ctypes.c_int, *[ctypes.c_void_p] * 4)
    n = count(parent)
    if n < 0:
        raise pdfium.PdfiumError("Failed to get number of pageobjects.")
    buf = (ctypes.c_float * 4)()  # left, bottom, right, top
    at = ctypes.addressof(buf)
    unpack = _FOUR_FLOATS.unpack_from
    for i in range(n):
        obj = get_object(parent, i)
        if not obj:
            raise pdfium.PdfiumError("Failed to get pageobject.")
        kind = get_type(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            if not get_bounds(obj, at, at + 4, at + 8, at + 12):
                raise pdfium.PdfiumError("Failed to locate pageobject.")
            box = unpack(buf)
            for m in matrices:
                box = m.on_rect(*box)
            yield box
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < MAX_FORM_DEPTH:
            fs = pdfium_c.FS_MATRIX()
            if not _bare_fn("FPDFPageObj_GetMatrix", ctypes.c_int, ctypes.c_void_p)(obj, ctypes.addressof(fs)):
                raise pdfium.PdfiumError("Failed to get matrix of pageobject.")
            yield from _path_bounds(obj, True, (pdfium.PdfMatrix.from_raw(fs), *matrices), depth + 1)


def horizontal_rules(bounds: Iterable[tuple[float, float, float, float]], page_height: float
                     ) -> list[tuple[float, float, float]]:
    """The horizontal rules ``(x0, y, x1)`` (top-left origin) among path bounds (PDF space): thinner than
    ``DEFAULT_RULE_THICKNESS`` and at least ``DEFAULT_RULE_MIN_WIDTH`` long.

    >>> horizontal_rules([(72.0, 700.0, 300.0, 700.4), (72.0, 600.0, 80.0, 600.4), (50, 50, 60, 90)], 792.0)
    [(72.0, 91.8, 300.0)]
    """
    thin = sorted(((round(page_height - (top + bottom) / 2, 2), left, right) for left, bottom, right, top in bounds
                   if top - bottom <= DEFAULT_RULE_THICKNESS and right > left), key=lambda t: (round(t[0]), t[1]))
    # a table with vertical rules ("|c|c|") draws each horizontal line as segments between them, each
    # shorter than a rule on its own: collinear segments with a small gap are one rule
    merged: list[list[float]] = []  # y, x0, x1
    for y, left, right in thin:
        m = merged[-1] if merged else None
        if m is not None and abs(y - m[0]) <= DEFAULT_SEGMENT_Y and left - m[2] <= DEFAULT_SEGMENT_GAP:
            m[2] = max(m[2], right)
        else:
            merged.append([y, left, right])
    return [(x0, y, x1) for y, x0, x1 in merged if x1 - x0 >= DEFAULT_RULE_MIN_WIDTH]


def plumber_objects(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, page_height: float,
                    number: int, bounds: Sequence[tuple[float, float, float, float]] | None = None
                    ) -> dict[str, list[dict[str, object]]] | None:
    """pdfplumber's ``page.objects`` (chars and ruling lines), read with PDFium instead of pdfminer.

    pdfminer needs ≈ 85 ms to interpret a page; PDFium gives the same chars (loose font boxes, as
    pdfplumber has them) and the thin path objects that draw table rules in a few ms, and
    pdfplumber's table finder runs unchanged on them. Only chars inside the area spanned by the
    rules are kept (tables live there); None when the page has no rule wide enough for a table.
    Text is taken as upright (sideways tables are not read).
    """
    rects: list[dict[str, object]] = []
    for left, bottom, right, top in (_path_bounds(_address(page.raw)) if bounds is None else bounds):
        w, h = right - left, top - bottom
        if (h <= DEFAULT_RULE_THICKNESS and w >= 2) or (w <= DEFAULT_RULE_THICKNESS and h >= 2):
            x0, t, x1, b = to_top_left(left, bottom, right, top, page_height)
            rects.append({"object_type": "rect", "page_number": number, "x0": x0, "x1": x1, "top": t,
                          "bottom": b, "doctop": t, "y0": bottom, "y1": top, "width": w, "height": h})
    if not any(r["width"] >= DEFAULT_RULE_MIN_WIDTH for r in rects):  # type: ignore[operator]
        return None
    ax0 = min(r["x0"] for r in rects) - 2  # type: ignore[type-var, operator]
    ax1 = max(r["x1"] for r in rects) + 2  # type: ignore[type-var, operator]
    atop = min(r["top"] for r in rects) - 2  # type: ignore[type-var, operator]
    abottom = max(r["bottom"] for r in rects) + DEFAULT_ROW_REACH  # a last row may have no rule below it
    handle = _address(textpage.raw)
    rect = pdfium_c.FS_RECTF()  # float left, top, right, bottom
    at = ctypes.addressof(rect)
    unpack = _FOUR_FLOATS.unpack_from
    get_unicode = _bare_fn("FPDFText_GetUnicode", ctypes.c_uint, ctypes.c_int)
    get_loose = _bare_fn("FPDFText_GetLooseCharBox", ctypes.c_int, ctypes.c_int, ctypes.c_void_p)
    chars: list[dict[str, object]] = []
    for k in range(textpage.count_chars()):
        u = get_unicode(handle, k)
        if u <= 32 or not get_loose(handle, k, at):
            continue
        x0, r_top, x1, r_bottom = unpack(rect)
        top, bottom = page_height - r_top, page_height - r_bottom  # to_top_left, inlined
        if x1 < ax0 or x0 > ax1 or bottom < atop or top > abottom:
            continue
        chars.append({"object_type": "char", "page_number": number, "text": "-" if u in (2, 0xFFFE) else chr(u),
                      "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
                      "y0": r_bottom, "y1": r_top, "width": x1 - x0, "height": bottom - top,
                      "size": bottom - top, "upright": True, "fontname": "",
                      "matrix": (1.0, 0.0, 0.0, 1.0, x0, r_bottom)})
    return {"char": chars, "rect": rects}


def _horizontal_rules(page: object) -> list[tuple[float, float, float]]:
    rules = []
    for e in page.edges:  # type: ignore[attr-defined]
        if e["orientation"] == "h" and e["x1"] - e["x0"] >= DEFAULT_RULE_MIN_WIDTH:
            rules.append((float(e["x0"]), float(e["top"]), float(e["x1"])))
    return rules


def rule_regions(rules: Iterable[tuple[float, float, float]]) -> list[BBox]:
    """Group horizontal rules ``(x0, top, x1)`` that share their left and right ends into table boxes.

    LaTeX tables (``\\hline`` or booktabs) draw at least a top and a bottom rule of equal width.

    >>> rule_regions([(100, 50, 300), (100.5, 70, 300), (100, 150, 299.5), (40, 400, 500)])
    [(100, 50, 300, 150)]
    """
    groups: list[list[float]] = []  # x0, top, x1, bottom, count
    for x0, top, x1 in sorted(rules, key=lambda r: r[1]):
        for g in groups:
            if abs(g[0] - x0) <= DEFAULT_RULE_ALIGN and abs(g[2] - x1) <= DEFAULT_RULE_ALIGN \
                    and top - g[3] <= DEFAULT_RULE_MAX_GAP:
                g[3] = top
                g[4] += 1
                break
        else:
            groups.append([x0, top, x1, top, 1])
    return [(g[0], g[1], g[2], g[3]) for g in groups if g[4] >= 2 and g[3] - g[1] > 10]


def _clean_rows(rows: list[list[str | None]]) -> tuple[tuple[str | None, ...], ...]:
    kept = []
    for row in rows:
        cells = tuple((c.strip() if c else None) or None for c in row)
        if any(cells):
            kept.append(cells)
    return tuple(kept)


def _overlaps(a: BBox, b: BBox) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _captions(page: Page) -> list[tuple[BBox, str]]:
    """Caption paragraphs of a page ("Table 2: …", ≤ 300 chars) with the box of their first line.

    A caption ends at a line ending with a full stop, before a line of numbers, or at 300 chars.
    """
    out = []
    text = page.text
    for m in _CAPTION.finditer(text):
        start = m.start() + (len(m.group()) - len(m.group().lstrip()))
        first_end = text.find("\n", start)
        first_end = len(text) if first_end < 0 else first_end
        end = first_end
        while end < len(text) and end - start < 300 and not text[start:end].rstrip().endswith("."):
            nxt = text.find("\n", end + 1)
            nxt = len(text) if nxt < 0 else nxt
            if numeric_lines(text[end + 1:nxt]):
                break
            end = nxt
        box = page.span_bbox(start, first_end)
        if box is not None:
            out.append((box, " ".join(text[start:min(end, start + 300)].split())))
    return out


def _nearest_caption(bbox: BBox, captions: list[tuple[BBox, str]]) -> str:
    best, best_d = "", 120.0  # a caption further than this from the table belongs to another one
    for cb, text in captions:
        if cb[0] > bbox[2] or cb[2] < bbox[0]:  # other column
            continue
        d = bbox[1] - cb[3] if cb[3] <= bbox[1] + 2 else cb[1] - bbox[3]
        if -2 <= d < best_d:
            best, best_d = text, d
    return best


def line_boxes(page: Page) -> list[tuple[BBox, str]]:
    """Each text line of a page with its box (lines without boxes are left out)."""
    out = []
    start = 0
    for line in page.text.split("\n"):
        box = page.span_bbox(start, start + len(line))
        if box is not None and line.strip():
            out.append((box, line))
        start += len(line) + 1
    return out


def extend_down(region: BBox, lines: list[tuple[BBox, str]], reach: float = DEFAULT_ROW_REACH) -> BBox:
    """Grow a table region over the text lines right below it (a last row with no rule under it).

    Stops at a gap, a caption, or ``reach`` points below the region.

    >>> extend_down((100, 50, 300, 100), [((110, 101, 290, 108), "Ours 1.0 2.0"), ((100, 130, 300, 138), "Text")])
    (100, 50, 300, 108)
    """
    x0, top, x1, bottom = region
    limit = bottom + reach
    grown = True
    while grown:
        grown = False
        for box, text in lines:
            inside = box[0] >= x0 - 2 and box[2] <= x1 + 2
            if inside and bottom - 1 < box[1] <= bottom + DEFAULT_ROW_GAP and box[3] <= limit \
                    and not _CAPTION.match(text):
                bottom, grown = box[3], True
    return (x0, top, x1, bottom)


class _CharsOnly:
    """Stands in for a pdfplumber page where only ``.chars`` is read (``pdfplumber.table.Table.extract``)."""

    def __init__(self, chars: list[dict[str, object]]) -> None:
        self.chars = chars


def _table_rows(table: Any) -> tuple[tuple[str | None, ...], ...]:
    """The cleaned rows of a pdfplumber table: ``table.extract()`` over only the chars inside the table.

    pdfplumber tests every char of the page against every row; a char inside a row (its centre in the
    row's half-open box, pdfplumber's own test) is inside the table's box, so the rows are the same.
    That test is ``Table.extract``'s, done here with each char's centre computed once rather than
    once per row and per cell (the same rows, in the same order, through pdfplumber's ``extract_text``).
    """
    import pdfplumber.table
    from pdfplumber.utils import extract_text

    x0, top, x1, bottom = table.bbox
    inside = []
    for c in table.page.chars:
        h_mid, v_mid = (c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2
        if x0 <= h_mid < x1 and top <= v_mid < bottom:
            inside.append((h_mid, v_mid, c))
    rows: list[list[str | None]] = []
    for row in pdfplumber.table.Table(_CharsOnly([c for _, _, c in inside]), table.cells).rows:  # type: ignore[arg-type]
        rx0, rtop, rx1, rbottom = row.bbox
        row_chars = [m for m in inside if rx0 <= m[0] < rx1 and rtop <= m[1] < rbottom]
        arr: list[str | None] = []
        for cell in row.cells:
            if cell is None:
                arr.append(None)
                continue
            cx0, ctop, cx1, cbottom = cell
            cell_chars = [c for h, v, c in row_chars if cx0 <= h < cx1 and ctop <= v < cbottom]
            arr.append(extract_text(cell_chars, x_tolerance=DEFAULT_TEXT_TOLERANCE) if cell_chars else "")
        rows.append(arr)
    return _clean_rows(rows)


def _crop(plumber_page: Any, bbox: BBox) -> Any:
    """``plumber_page.crop(bbox)``, with the objects that cannot touch ``bbox`` left out beforehand.

    pdfplumber clips every object of the page to the box (a dict copy each); an object whose box
    does not reach the crop box on both axes has no overlap there, so dropping it first changes
    nothing but the time.
    """
    x0, top, x1, bottom = bbox
    full = plumber_page.objects
    plumber_page._objects = {kind: [o for o in objs if o["x0"] <= x1 and x0 <= o["x1"] and o["top"] <= bottom
                                    and top <= o["bottom"]] for kind, objs in full.items()}
    try:
        cropped = plumber_page.crop(bbox)
        cropped.objects  # noqa: B018 -- computed (and cached) now, from the objects kept above
    finally:
        plumber_page._objects = full
    return cropped


def find_tables(plumber_page: object, page: Page) -> tuple[Table, ...]:
    """Tables on one pdfplumber page: fully ruled grids first, then regions bounded by rules.

    Ruled grids come from the ``lines`` strategy. Booktabs tables (horizontal rules only) are
    cropped to the region between their rules and read with the ``text`` strategy; cropping keeps
    the page's body text out of the table.
    """
    found: list[Table] = []
    captions = _captions(page)
    for t in plumber_page.find_tables(LINES_SETTINGS):  # type: ignore[attr-defined]
        rows = _table_rows(t)
        if len(rows) >= 2 and max(len(r) for r in rows) >= 2:
            box = tuple(float(v) for v in t.bbox)
            found.append(Table(page=page.number, rows=rows, bbox=box, caption=_nearest_caption(box, captions)))  # type: ignore[arg-type]
    width, height = float(plumber_page.width), float(plumber_page.height)  # type: ignore[attr-defined]
    lines = line_boxes(page)
    for ruled in rule_regions(_horizontal_rules(plumber_page)):
        region = extend_down(ruled, lines)
        if region[2] - region[0] < DEFAULT_MIN_TABLE_WIDTH or any(t.bbox and _overlaps(region, t.bbox) for t in found):
            continue
        crop_box = (max(region[0] - 2, 0), max(region[1] - 2, 0), min(region[2] + 2, width), min(region[3] + 2, height))
        cropped = _crop(plumber_page, crop_box)
        for t in cropped.find_tables(TEXT_SETTINGS):
            rows = _table_rows(t)
            if len(rows) >= 2 and max(len(r) for r in rows) >= 2:
                box = tuple(float(v) for v in t.bbox)
                found.append(Table(page=page.number, rows=rows, bbox=box, caption=_nearest_caption(box, captions)))  # type: ignore[arg-type]
    return tuple(found)


def _check_deadline(deadline: float | None, path: Path) -> None:
    if deadline is not None and time.perf_counter() > deadline:
        raise TimeoutError(f"{path}: out of time")


class _PageAttrs:
    """Stands in for pdfminer's ``PDFPage`` where pdfplumber's ``Page`` reads only ``.attrs`` (its boxes)."""

    def __init__(self, attrs: dict[str, object]) -> None:
        self.attrs = attrs


def _as_parsed(v: float) -> float:
    """A box coordinate PDFium read as a 32-bit float, as pdfminer parses it from the file: an int when
    whole, else the shortest decimal that gives the same 32-bit float (``595.276``, not ``595.2760009765625``).

    >>> _as_parsed(612.0), _as_parsed(595.2760009765625)
    (612, 595.276)
    """
    if v == int(v):
        return int(v)
    for digits in range(1, 10):
        d = float(f"{v:.{digits}g}")
        if _ONE_FLOAT.unpack(_ONE_FLOAT.pack(d))[0] == v:
            return d
    return v


_ONE_FLOAT = struct.Struct("f")


def _add_tables(pages: list[Page], objects: dict[int, dict[str, list[dict[str, object]]]],
                media: dict[int, tuple[tuple[float, float, float, float], int]], path: Path,
                deadline: float | None = None) -> list[Page]:
    """Fill ``Page.tables`` for the pages in ``objects`` (page number → ``plumber_objects``).

    ``media`` holds each such page's media box (PDF space, as PDFium reads it) and rotation: a
    pdfplumber ``Page`` is built from them directly, without pdfminer opening the file (≈ 12 ms a
    PDF); its objects are PDFium's anyway.
    """
    if not objects:
        return pages
    import pdfplumber.page  # slow import; only when a page needs it

    out = {p.number: p for p in pages}
    for number, objs in objects.items():
        _check_deadline(deadline, path)
        p = out[number]
        try:
            box, rotation = media[number]
            attrs = {"MediaBox": [_as_parsed(v) for v in box], "Rotate": rotation}
            plumber_page = pdfplumber.page.Page(None, _PageAttrs(attrs), page_number=number)  # type: ignore[arg-type]
            plumber_page._objects = objs  # PDFium's objects instead of pdfminer's (see plumber_objects)
            tables = find_tables(plumber_page, p)
        except Exception as e:  # keep the text whatever the table finder thinks
            log.warning("%s page %d: table finder failed (%s); keeping text only", path, number, e)
            continue
        if tables:  # pdfplumber's tables where no grid lies
            kept = tuple(t for t in tables if not any(g.bbox and t.bbox and _overlaps(g.bbox, t.bbox) for g in p.tables))
            out[number] = replace(p, tables=p.tables + kept)
    return [out[p.number] for p in pages]


# ---------------------------------------------------------------- the reader


def read_document(path: Path | str, *, arxiv_id: str, version: int, title: str = "", abstract: str = "",
                  benchmarks: Sequence[str] = (), layout: bool = True, boxes: bool = True,
                  max_pages: int = DEFAULT_MAX_PAGES, max_bytes: int = DEFAULT_MAX_BYTES,
                  deadline: float | None = None, metadata: bool = False) -> Document:
    """Read every page of a PDF into a ``Document``.

    ``layout=False`` skips pdfplumber (no tables); ``boxes=False`` skips character boxes.
    ``metadata=True`` also reads the PDF's own title and arXiv stamp (``extract.pdfmeta``) while page 1 is
    loaded, into ``Document.pdf_meta`` (``read_pdf_metadata`` would open the file and load page 1 again).
    ``deadline`` (a ``time.perf_counter()`` value) is checked between pages: ``TimeoutError``.
    Raises ``PdfError`` with ``reason`` in ``PDF_REASONS``.
    """
    path = Path(path)
    sniff(path, max_bytes=max_bytes)
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        raise _classify_open_error(path, e) from e
    pages: list[Page] = []
    meta = None
    objects: dict[int, dict[str, list[dict[str, object]]]] = {}
    media: dict[int, tuple[tuple[float, float, float, float], int]] = {}
    try:
        n = len(pdf)
        if n == 0:
            raise PdfError("has no pages", path=path, reason="corrupt")
        if n > max_pages:
            raise PdfError(f"claims {n:,} pages, more than the {max_pages:,}-page limit", path=path,
                           reason="too_large")
        for i in range(n):
            _check_deadline(deadline, path)
            try:
                page = pdf[i]
                left, bottom, right, top = page.get_mediabox()
                width, height = right - left, top - bottom
                textpage = page.get_textpage()
                text, char_boxes = _page_chars(textpage, top, boxes)
                if metadata and i == 0:
                    meta = _page_one_metadata(pdf, page, textpage)
                rules: list[tuple[float, float, float]] = []
                bold: frozenset[int] = frozenset()
                sideways: frozenset[int] = frozenset()
                table_page = layout and needs_layout(text)
                if table_page:  # a caption and lines of numbers: a table page
                    bounds = list(_path_bounds(_address(page.raw)))
                    rules = horizontal_rules(bounds, top)
                    if boxes:
                        bold, sideways = styled_chars(textpage, text)
                    objs = plumber_objects(page, textpage, top, i + 1, bounds) if PLUMBER_TABLES else None
                    if objs is not None:
                        objects[i + 1] = objs
                        media[i + 1] = ((left, bottom, right, top), page.get_rotation())
                textpage.close()
                page.close()
            except pdfium.PdfiumError as e:
                raise PdfError(f"page cannot be parsed ({e})", path=path, page=i + 1, reason="corrupt") from e
            pg = Page(number=i + 1, text=text, width=float(width), height=float(height),
                      char_boxes=tuple(char_boxes) if boxes else (), rules=tuple(rules), bold=bold,
                      sideways=sideways)
            if layout and boxes and (rules or table_page):
                pg = replace(pg, tables=grid_tables(pg))
            pages.append(pg)
    finally:
        pdf.close()
    visible = sum(len(p.text) - p.text.count(" ") - p.text.count("\n") for p in pages)
    if visible < MIN_CHARS_PER_PAGE * len(pages):
        raise PdfError(f"no text layer ({visible} characters on {len(pages)} pages): a scan needs OCR", path=path,
                       reason="needs_ocr")
    if layout:
        pages = _add_tables(pages, objects, media, path, deadline)
    return Document(arxiv_id=arxiv_id, version=version, pages=tuple(pages), title=title, abstract=abstract,
                    benchmarks=tuple(benchmarks), pdf_meta=meta)


def _page_one_metadata(pdf: pdfium.PdfDocument, page: pdfium.PdfPage, textpage: pdfium.PdfTextPage) -> PdfMetadata:
    """``pdfmeta.page_one_metadata``, with a PDFium error giving no metadata as ``read_pdf_metadata`` does
    (the pages' text may still be read)."""
    from .pdfmeta import PdfMetadata, page_one_metadata  # pdfmeta imports this module

    try:
        return page_one_metadata(pdf, page, textpage)
    except pdfium.PdfiumError as e:
        log.debug("%s: no metadata (%s)", pdf, e)
        return PdfMetadata("", None)
