"""Tables as grids, built from the page's geometry: word boxes → regions → rows and columns → header
paths → cells. Pure: plain dataclasses in, plain dataclasses out, testable on synthetic word boxes.

The habits of typeset tables this reads (LaTeX ``tabular`` with booktabs, and their Word look-alikes):

- **Regions.** A table sits between horizontal rules of one width (booktabs ``\\toprule`` …
  ``\\bottomrule``; vertical rules are rare and not needed), or, without rules, it is a block of lines
  holding several numbers each, under a few header lines and next to a "Table N" caption.
- **Columns.** The values of one column line up across rows (left, right or centred: their x-extents
  overlap), so columns are the union of the values' x-extents over the data rows, split again where
  one row has two values in one union (camelot's stream mode and pdfplumber's ``text`` strategy work
  from the same alignment).
- **Rows.** Words of one row share a baseline. A line with only a label is a wrapped label (it
  continues the row above, or starts the row below whose label is empty) or a group heading (a
  backbone or method name over its variants), carried down to the rows under it.
- **Headers.** The lines above the first data row. A header phrase over several columns that have
  their own sub-headers below is a spanning header; the path of headers over a column, top to
  bottom, is the column's header (``top-1 err (%)`` › ``224×``).
- **Transposed tables.** When the row labels name quantities (``# of Weights``, ``FLOPs``) and the
  column headers do not, the models are the columns (``0.5× 1× 1.5× 2×``).

``extract.tables.grid_facts`` maps header paths to fields and scales; ``extract.rules.table_rows``
turns the cells into candidates.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import operator
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flopmine.types import BBox

# Geometry tolerances, in PDF points unless said otherwise.
DEFAULT_WORD_GAP = 0.45  # × glyph height: a wider gap between two characters of one line starts a new word
DEFAULT_PHRASE_GAP = 0.9  # × glyph height: words closer than this form one phrase (a multi-word cell)
DEFAULT_LINE_OVERLAP = 0.5  # share of the smaller height two boxes overlap vertically to sit on one line
DEFAULT_RULE_ALIGN = 3.0  # rules of one table start and end within this many points
DEFAULT_RULE_MIN_WIDTH = 40.0  # shorter horizontal paths are glyph parts or arrows
DEFAULT_RULE_MAX_GAP = 320.0  # the largest vertical gap between two rules of one table
DEFAULT_ROW_REACH_MAX = 400.0  # how far rows may run on below a table's last rule, one row pitch at a time
DEFAULT_ROW_GAP_UP = 10.0  # header lines searched above a first rule that is a midrule: 4 × this
DEFAULT_MAX_HEADER_LINES = 4  # header lines searched above an unruled block of numeric rows
DEFAULT_LINE_PITCH = 2.2  # × glyph height: a larger vertical gap ends an unruled table block
DEFAULT_MIN_ROWS = 2  # data rows a region needs to be read as a table
DEFAULT_MIN_NUMERIC = 2  # numeric cells a line needs to count as a data row of an unruled block

# "Table 3:", "Table 3.", "TABLE III" on its own: a caption; "Table 3 shows …" is running text
_CAPTION = re.compile(r"^\s*(?:Table|TABLE|Tab\.)\s*(?:\d+|[IVX]+)\s*(?:[:.|]|$)")
# A value as tables print it: optional sign, digits with thousands commas or decimals, an optional
# flattened exponent ("4.1×109"), scale suffix (K M B G T), percent, footnote marks.
_NUMERIC = re.compile(
    r"[-−+]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:(?<=\d)(?:[×x·]10[\^\d\-−]{1,4}|[eE][-+]?\d{1,2}))?"
    r"(?:(?<=\d)\s?[KMBGT])?%?(?:[*†‡§¶⋆∗?]+)?")
_DELTA = re.compile(r"\(\s*[-−+±]?\s*\d+(?:\.\d+)?%?\s*\)|\[\s*[-−+±]?\s*\d+(?:\.\d+)?\s*\]")  # "(2.9)", "(+1.2)"
_GLUED = re.compile(r"(?<=[\d%])(?:\(\s*[-−+±]?\d+(?:\.\d+)?%?\s*\)|±\d+(?:\.\d+)?%?)$")
_JOINER = frozenset({"±", "/", "→", "->", "+-", "±±"})
_UNITS = frozenset({"M", "B", "G", "K", "%", "GFLOPs", "MFLOPs", "GFLOPS", "MFLOPS", "ms", "h"})
_DASH = frozenset({"-", "–", "—", "−", "--", "n/a", "N/A", "NA", "✗", "×", "x"})  # "not reported"


@dataclass(frozen=True)
class Word:
    """A word on a page: its text, box (top-left origin) and its span in the page text (``start`` = -1
    when it was not read from page text)."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    start: int = -1
    end: int = -1
    bold: bool = False

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def xmid(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def ymid(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass(frozen=True)
class Rule:
    """A horizontal rule: ``x0`` to ``x1`` at height ``y`` (top-left origin)."""

    x0: float
    y: float
    x1: float


@dataclass(frozen=True)
class Cell:
    """The text in one grid cell, with its words' box and span (-1 when unknown)."""

    text: str
    bbox: BBox
    start: int = -1
    end: int = -1
    bold: bool = False


@dataclass(frozen=True)
class GridRow:
    """One data row: its label (the row's model, usually), the group heading above it, its cells by
    column index (``None`` for an empty cell), and the row as printed."""

    label: str
    cells: tuple[Cell | None, ...]
    text: str
    group: str = ""
    label_bold: bool = False


@dataclass(frozen=True)
class Grid:
    """A table read from geometry: header path and header text per column, the data rows, the caption.

    ``transposed``: the models are the columns and the row labels name the quantities.
    """

    bbox: BBox
    headers: tuple[tuple[str, ...], ...]  # per column: header phrases top to bottom (a path)
    rows: tuple[GridRow, ...]
    caption: str = ""
    header_text: str = ""  # the header lines as printed, for evidence
    label_header: str = ""  # the header over the row labels ("Model", "Method")
    transposed: bool = False
    ruled: bool = False  # the region came from horizontal rules

    def header(self, col: int) -> str:
        """The column's header path as one string ("top-1 err (%) 224×")."""
        return " ".join(self.headers[col]) if 0 <= col < len(self.headers) else ""

    def to_rows(self) -> tuple[tuple[str | None, ...], ...]:
        """The table as rows of cell text: the header row (label header, then each column's header path),
        then each data row (label, then its cells; None for an empty cell)."""
        head = (self.label_header or None, *(self.header(i) or None for i in range(len(self.headers))))
        body = tuple((r.label or None, *(c.text if c else None for c in r.cells)) for r in self.rows)
        return (head, *body) if any(head) else body


# ---------------------------------------------------------------- words


def words_from_chars(text: str, boxes: Sequence[BBox | None], *, gap: float = DEFAULT_WORD_GAP,
                     bold: Callable[[int], bool] | None = None) -> list[Word]:
    """Words of a page's text given one box per character (``Page.char_boxes``): split at whitespace,
    at characters without a box, and where two characters are further apart than ``gap`` × their height
    or not on one line.

    >>> [w.text for w in words_from_chars("ab cd", [(0, 0, 5, 8), (5, 0, 10, 8), None, (20, 0, 25, 8), (40, 0, 45, 8)])]
    ['ab', 'c', 'd']
    """
    # Plain comparisons instead of min()/max() calls, and the previous box unpacked once: the same words,
    # about half the time (this loop runs once per character of every table page).
    out: list[Word] = []
    n = min(len(text), len(boxes))
    start = -1  # first index of the word being read, -1 between words
    x0 = top = x1 = bottom = 0.0
    p0 = p1 = p2 = p3 = 0.0  # the previous character's box
    has_prev = False
    add = out.append
    for i in range(n):
        b = boxes[i]
        if b is None or text[i].isspace():
            if start >= 0:
                add(Word(text[start:i], x0, top, x1, bottom, start, i, bool(bold and bold(start))))
                start = -1
            has_prev = False
            continue
        b0, b1, b2, b3 = b
        if has_prev:
            h = p3 - p1  # max(prev height, this height, 1.0)
            if b3 - b1 > h:
                h = b3 - b1
            if h < 1.0:
                h = 1.0
            if (p3 if p3 < b3 else b3) - (p1 if p1 > b1 else b1) <= -0.2 * h or b0 - p2 > gap * h or b2 < p0 - 1:
                add(Word(text[start:i], x0, top, x1, bottom, start, i, bool(bold and bold(start))))
                start = -1
        if start < 0:
            start, x0, top, x1, bottom = i, b0, b1, b2, b3
        else:
            if b0 < x0:
                x0 = b0
            if b1 < top:
                top = b1
            if b2 > x1:
                x1 = b2
            if b3 > bottom:
                bottom = b3
        p0, p1, p2, p3 = b0, b1, b2, b3
        has_prev = True
    if start >= 0:
        add(Word(text[start:n], x0, top, x1, bottom, start, n, bool(bold and bold(start))))
    return out


def is_sideways(word: Word) -> bool:
    """A word set sideways (a group label rotated down a table's side, ``\\rotatebox{90}``): its letters stack
    vertically, so its box is much taller than wide. Such a word spans several rows and would merge their lines.

    >>> is_sideways(Word("#Params", 152, 189, 158, 216)), is_sideways(Word("AP", 0, 0, 10, 7)), is_sideways(Word("I", 0, 0, 2, 7))
    (True, False, False)
    """
    return len(word.text) >= 2 and word.height > DEFAULT_SIDEWAYS_RATIO * max(word.x1 - word.x0, 1.0)


DEFAULT_SIDEWAYS_RATIO = 2.0  # height over width of a word set sideways


def upright_words(words: Sequence[Word]) -> list[Word]:
    """The words that are not ``is_sideways``, in order (its test written out: a table page's every word)."""
    return [w for w in words
            if not (len(w.text) >= 2 and w.bottom - w.top > DEFAULT_SIDEWAYS_RATIO * max(w.x1 - w.x0, 1.0))]


def group_lines(words: Sequence[Word], *, overlap: float = DEFAULT_LINE_OVERLAP) -> list[list[Word]]:
    """Words grouped into lines (shared vertical extent), top to bottom, each line left to right.

    >>> ls = group_lines([Word("b", 20, 0, 25, 8), Word("c", 0, 20, 5, 28), Word("a", 0, 1, 5, 9)])
    >>> [[w.text for w in line] for line in ls]
    [['a', 'b'], ['c']]
    """
    # Plain comparisons instead of min()/max() calls and a line kept as a list updated in place: the same
    # lines, about half the time.
    lines: list[list[Any]] = []  # [top, bottom, words]
    for w in sorted(words, key=_ymid_x0):
        wt, wb = w.top, w.bottom
        wh = wb - wt
        for k in range(len(lines) - 1, max(-1, len(lines) - 3), -1):
            line = lines[k]
            top, bottom = line[0], line[1]
            common = (bottom if bottom < wb else wb) - (top if top > wt else wt)
            lh = bottom - top
            least = min(lh if lh > 0.1 else 0.1, wh if wh > 0.1 else 0.1)
            # wh < 0.75 lh: a sub- or superscript ("AP^bbox_50") touching the line
            if common >= overlap * least or (wh < 0.75 * lh and common > 0):
                line[2].append(w)
                if wt < top:
                    line[0] = wt
                if wb > bottom:
                    line[1] = wb
                break
        else:
            lines.append([wt, wb, [w]])
    lines.sort(key=_line_mid)
    return [sorted(ws, key=_x0_of) for _, _, ws in lines]


DEFAULT_STACKED_HEIGHT = 1.8  # × the median word height: a header "line" this tall is two header lines chained


def stacked_levels(line: Sequence[Word]) -> list[list[Word]]:
    """A header line that is two header lines chained into one, split into its levels, top to bottom; any
    other line as it is.

    Habit: a booktabs header of two lines with the row-key headers set once, centred between them
    (``\\multirow{2}{*}{Model}``): "Model" overlaps both lines, so ``group_lines`` joins them, and words of the
    two levels interleave ("CIFAR10 ShiftResNet / 100 Accuracy"). Words are split by their vertical extent
    alone (a centred key header joins a level it overlaps by half its height, else is a level of its own);
    words smaller than the line's own (sub- and superscripts: "AP^bbox_50") stay with the level nearest them.

    >>> ws = [Word("ShiftResNet", 40, 90, 80, 97), Word("Model", 0, 94.5, 20, 101.4),
    ...       Word("CIFAR10", 40, 100.6, 70, 107.5), Word("Accuracy", 72, 100.6, 100, 107.7)]
    >>> [[w.text for w in level] for level in stacked_levels(ws)]
    [['ShiftResNet'], ['Model'], ['CIFAR10', 'Accuracy']]
    >>> [[w.text for w in level] for level in stacked_levels(ws[2:])]
    [['CIFAR10', 'Accuracy']]
    """
    if len(line) < 2:
        return [list(line)]
    heights = sorted(w.bottom - w.top for w in line)
    median = heights[len(heights) // 2]
    if max(w.bottom for w in line) - min(w.top for w in line) < DEFAULT_STACKED_HEIGHT * median:
        return [list(line)]
    levels: list[list[Any]] = []  # [top, bottom, words]
    small: list[Word] = []
    for w in sorted(line, key=_ymid_x0):
        if w.bottom - w.top < 0.75 * median:
            small.append(w)
            continue
        if levels:
            top, bottom = levels[-1][0], levels[-1][1]
            common = min(bottom, w.bottom) - max(top, w.top)
            if common >= DEFAULT_LINE_OVERLAP * min(bottom - top, w.bottom - w.top):
                levels[-1][2].append(w)
                levels[-1][0], levels[-1][1] = min(top, w.top), max(bottom, w.bottom)
                continue
        levels.append([w.top, w.bottom, [w]])
    if len(levels) < 2:
        return [list(line)]
    for w in small:  # a sub- or superscript: with the level nearest its middle
        min(levels, key=lambda lv: abs((lv[0] + lv[1]) / 2 - w.ymid))[2].append(w)
    return [sorted(ws, key=_x0_of) for _, _, ws in levels]


def _ymid_x0(w: Word) -> tuple[float, float]:
    return ((w.top + w.bottom) / 2, w.x0)


def _line_mid(line: list[Any]) -> float:
    return (line[0] + line[1]) / 2


_x0_of = operator.attrgetter("x0")


# ---------------------------------------------------------------- cells


@functools.lru_cache(maxsize=8192)
def is_numeric(text: str) -> bool:
    """Whether a word is a table value ("75.2", "7.3M", "1,248,424", "4.1×109", "93.17%", "95.08‡").

    Width multipliers ("1.0×", "2x") and years in labels stay text.

    >>> [is_numeric(t) for t in ("75.2", "7.3M", "1,248,424", "4.1×109", "1.0×", "V3-Large", "93.17%", "-")]
    [True, True, True, True, False, False, True, False]
    >>> is_numeric("32.2→34.7→35.2"), is_numeric("56.4M→62.8M"), is_numeric("2fc→RM")
    (True, True, False)
    """
    t = _GLUED.sub("", text.strip())  # "70.3(2.9)", "79.0±0.17": the value with its spread or delta glued on
    if not t or not any(c.isdigit() for c in t):
        return False
    if "→" in t:  # a cell of improvements step by step, set without spaces ("32.2→34.7→35.2", "56.4M→62.8M")
        return all(part and _NUMERIC.fullmatch(part) for part in t.split("→"))
    m = _NUMERIC.fullmatch(t)
    return m is not None


def is_dash(text: str) -> bool:
    """A cell that says "not reported" ("-", "–", "—", "n/a").

    >>> is_dash("—"), is_dash("n/a"), is_dash("3")
    (True, True, False)
    """
    return text.strip() in _DASH


def phrases(line: Sequence[Word], *, gap: float = DEFAULT_PHRASE_GAP, header: bool = False) -> list[list[Word]]:
    """A line's words grouped into cells: text words closer than ``gap`` × glyph height join; a value
    stands alone, with what belongs to it ("79.0 ± 0.17", "70.3 (2.9)", "1.4e18 / 3.7e9", "7.3 M").

    >>> ws = [Word("ResNet-50", 0, 0, 40, 8), Word("(ours)", 42, 0, 60, 8), Word("76.1", 80, 0, 95, 8),
    ...       Word("±", 96, 0, 100, 8), Word("0.2", 101, 0, 110, 8), Word("25.6", 130, 0, 145, 8)]
    >>> [" ".join(w.text for w in p) for p in phrases(ws)]
    ['ResNet-50 (ours)', '76.1 ± 0.2', '25.6']
    """
    out: list[list[Word]] = []
    numeric: list[bool] = []  # per phrase: holds a value
    # the line's height (tight glyph boxes: a lower-case word is shorter than the font size)
    line_h = max(max((w.height for w in line), default=1.0), 1.0)
    limit = gap * line_h
    for w in line:
        w_num = is_numeric(w.text)
        if out:
            prev = out[-1][-1]
            close = w.x0 - prev.x1 <= limit
            if not numeric[-1] and w.height < 0.75 * line_h and w.x0 - prev.x1 <= 0.15 * line_h:
                # a sub- or superscript set right after a word ("AP^bbox_50"): one word with it
                out[-1][-1] = Word(prev.text + w.text, prev.x0, min(prev.top, w.top), max(prev.x1, w.x1),
                                   max(prev.bottom, w.bottom), prev.start, w.end, prev.bold)
                continue
            if not close:
                join = False
            elif header:  # a header's words and numbers join ("SQuAD 1.1", "AP 50", "top-1 err (%)")
                join = True
            elif numeric[-1]:
                # a value takes its joiner, the value after a joiner, its delta in parentheses and a unit;
                # a short number right before a name is part of the name ("0.75 MobileNet-224", "1.0 MobileNet")
                join = (w.text in _JOINER or prev.text in _JOINER or w.text[:1] in "±/→"
                        or prev.text[-1:] in "±/→" or bool(_DELTA.fullmatch(w.text))
                        or w.text in _UNITS or (len(out[-1]) == 1 and len(prev.text) <= 5
                                                and bool(re.match(r"[A-Za-z]{2}", w.text))))
            else:
                join = not w_num and not is_dash(w.text)
            if join:
                out[-1].append(w)
                numeric[-1] = numeric[-1] or w_num
                continue
        out.append([w])
        numeric.append(w_num)
    return out


def _phrase_text(ws: Sequence[Word]) -> str:
    return " ".join(w.text for w in ws)


def _box(ws: Sequence[Word]) -> BBox:
    # One pass with plain comparisons instead of four min()/max() generators (the same box: a tie keeps the
    # first, as min() and max() do): called for every line and phrase of every table page.
    if not ws:
        raise ValueError("_box() of no words")
    first = ws[0]
    x0, top, x1, bottom = first.x0, first.top, first.x1, first.bottom
    for w in ws:
        if w.x0 < x0:
            x0 = w.x0
        if w.top < top:
            top = w.top
        if w.x1 > x1:
            x1 = w.x1
        if w.bottom > bottom:
            bottom = w.bottom
    return (x0, top, x1, bottom)


def _is_value_phrase(ws: Sequence[Word]) -> bool:
    if len(ws) == 1 and is_dash(ws[0].text):
        return True
    return is_numeric(ws[0].text) and not any(re.match(r"[A-Za-z]{2}", w.text) and w.text not in _UNITS
                                              for w in ws[1:])


# ---------------------------------------------------------------- regions


def rule_regions(rules: Sequence[Rule], *, align: float = DEFAULT_RULE_ALIGN,
                 max_gap: float = DEFAULT_RULE_MAX_GAP) -> list[tuple[BBox, list[float]]]:
    """Rules that share their left and right ends grouped into table boxes, with the heights of the rules.

    >>> [b for b, _ in rule_regions([Rule(100, 50, 300), Rule(100.5, 70, 300), Rule(100, 150, 299.5)])]
    [(100, 50, 300, 150)]
    """
    groups: list[list[object]] = []  # x0, top, x1, bottom, ys
    for r in sorted(rules, key=lambda r: r.y):
        if r.x1 - r.x0 < DEFAULT_RULE_MIN_WIDTH:
            continue
        for g in groups:
            if abs(g[0] - r.x0) <= align and abs(g[2] - r.x1) <= align and r.y - g[3] <= max_gap:  # type: ignore[operator]
                g[3] = r.y
                g[4].append(r.y)  # type: ignore[attr-defined]
                break
        else:
            groups.append([r.x0, r.y, r.x1, r.y, [r.y]])
    return [((g[0], g[1], g[2], g[3]), g[4]) for g in groups  # type: ignore[misc]
            if len(g[4]) >= 2 and g[3] - g[1] > 10]  # type: ignore[arg-type, operator]


def _inside(w: Word, box: BBox, pad: float = 2.0) -> bool:
    # the centre as ``Word.xmid`` / ``ymid`` compute it, without their property calls (run per word per table)
    return box[0] - pad <= (w.x0 + w.x1) / 2 <= box[2] + pad and box[1] - pad <= (w.top + w.bottom) / 2 <= box[3] + pad


def _words_inside(words: Sequence[Word], box: BBox, pad: float = 2.0) -> list[Word]:
    """The words ``_inside`` ``box``, in order: the padded box's edges computed once, not a call per word."""
    x0, top, x1, bottom = box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad
    return [w for w in words if x0 <= (w.x0 + w.x1) / 2 <= x1 and top <= (w.top + w.bottom) / 2 <= bottom]


def _line_box(line: Sequence[Word]) -> BBox:
    return _box(line)


def _numeric_count(line: Sequence[Word], ps: Sequence[Sequence[Word]] | None = None) -> int:
    """How many values a line holds (``ps``: ``phrases(line)``, when the caller has them already)."""
    return sum(1 for p in (phrases(line) if ps is None else ps) if _is_value_phrase(p) and not is_dash(p[0].text))


def _is_caption(line: Sequence[Word]) -> bool:
    return bool(_CAPTION.match(_phrase_text(line)))


DEFAULT_ROW_TAIL = 3  # values a line ends with that make it a table row, whatever words come before them
DEFAULT_COLUMN_GAP = 1.5  # × glyph height: a gap this wide between a label and a value is a table's column gap


def _label_then_value(ps: Sequence[Sequence[Word]]) -> bool:
    """A row of a label and its value a column gap apart ("Luong et al. (2015) LSTM (Word 50K)      20.9"): a
    table row however many words its label has (a cited baseline names its authors and year); a sentence
    spaces its words evenly.

    >>> label = [Word(t, x, 0, x + 4 * len(t), 7) for t, x in (("Luong", 0), ("et", 24), ("al.", 34), ("(2015)", 48))]
    >>> _label_then_value([label, [Word("20.9", 120, 0, 136, 7)]]), _label_then_value([label, [Word("20.9", 78, 0, 94, 7)]])
    (True, False)
    """
    if len(ps) != 2 or not _is_value_phrase(ps[1]) or _is_value_phrase(ps[0]):
        return False
    height = max(max(w.bottom - w.top for w in ps[0]), 1.0)
    return ps[1][0].x0 - ps[0][-1].x1 > DEFAULT_COLUMN_GAP * height


def _is_prose(line: Sequence[Word], ps: Sequence[Sequence[Word]] | None = None, count: int | None = None) -> bool:
    """A line of running text: many words evenly spaced, or words running on after the first value
    (a table row holds values after its label, with a short word between them at most).

    ``ps`` and ``count``: ``phrases(line)`` and ``_numeric_count(line)``, when the caller has them already
    (both are pure functions of the line; computing them once is most of ``find_regions``' saving)."""
    if ps is None:
        ps = phrases(line)
    if count is None:
        count = _numeric_count(line, ps)
    if len(line) >= 8 and len(ps) <= 2 and count <= 2 and not _label_then_value(ps):
        return True
    first = next((k for k, p in enumerate(ps) if _is_value_phrase(p)), None)
    if first is None:
        return False
    # a label with numbers in it ("ResNeXt-29, 8 × 64d [66]") then the row's values: the line ends in a run of
    # values set a column gap apart, which a sentence does not
    trailing = next((k for k, p in enumerate(reversed(ps)) if not _is_value_phrase(p)), len(ps))
    if trailing >= DEFAULT_ROW_TAIL:
        return False
    after = [p for p in ps[first:] if not _is_value_phrase(p)]
    # text cells after the values, each a phrase of a word or two set a column gap apart ("FLD-900M  merged
    # data"), are a table row's; single letters and marks are column names or check marks ("S M L", "✓")
    cells_after = sum(1 for p in after if len(p) > 1 or len(p[0].text) > 1)
    return any(len(p) >= 3 for p in after) or cells_after > max(2, count)


def find_regions(words: Sequence[Word], rules: Sequence[Rule] = (), gutter: float | None = None
                 ) -> list[tuple[BBox, bool]]:
    """Table regions of a page: ``(box, ruled)``.

    Ruled regions are groups of rules of one width (plus rows right under the last rule); unruled ones
    are blocks of lines that each hold ``DEFAULT_MIN_NUMERIC`` values, lines apart by at most
    ``DEFAULT_LINE_PITCH`` glyph heights, grown upwards over a few header lines.
    """
    regions: list[tuple[BBox, bool]] = []
    if gutter is None:
        gutter = _gutter(words)
    for box, _ in _split_at_captions(rule_regions(rules), words, gutter):
        x0, top, x1, bottom = box
        # rows under the last rule (a table without a closing rule, or whose last rules were not read): lines
        # that follow each other at row pitch, with values, or a group heading followed by such a line
        # (``(w.x0 + w.x1) / 2`` is ``w.xmid`` without its property call: these run per word per ruled region)
        below = [w for w in words if x0 - 2 <= (w.x0 + w.x1) / 2 <= x1 + 2 and bottom < w.top <= bottom + DEFAULT_ROW_REACH_MAX]
        below_lines = group_lines(below)
        for k, line in enumerate(below_lines):
            lb = _line_box(line)
            if lb[1] - bottom > 0.9 * max(lb[3] - lb[1], 6) or _is_caption(line) or _is_prose(line):
                break
            if _numeric_count(line) == 0:
                nxt = below_lines[k + 1] if k + 1 < len(below_lines) else None
                if nxt is None or len(line) > 6 or _numeric_count(nxt) == 0 \
                        or _line_box(nxt)[1] - lb[3] > 0.9 * max(lb[3] - lb[1], 6):
                    break
            bottom = lb[3]
        # header lines above the first rule when the table has no top rule (the first rule is a midrule)
        above = sorted((w for w in words if x0 - 2 <= (w.x0 + w.x1) / 2 <= x1 + 2 and top - 4 * DEFAULT_ROW_GAP_UP < w.bottom <= top),
                       key=lambda w: -w.bottom)
        for line in reversed(group_lines(above)):
            lb = _line_box(line)
            # (a line of two header levels chained by a key header centred between them is judged level by level)
            if top - lb[3] > 0.9 * max(lb[3] - lb[1], 6) or _is_caption(line) \
                    or any(_is_prose(level) for level in stacked_levels(line)) or len(phrases(line)) < 2:
                break
            top = lb[1]
        regions.append(((x0, top, x1, bottom), True))
    # a ruled region inside another (rules of a fully ruled table that stop at a multirow label column): one table
    regions = [r for k, r in enumerate(regions) if not any(
        j != k and _contains(o[0], r[0]) and (not _contains(r[0], o[0]) or j < k) for j, o in enumerate(regions))]
    # unruled blocks: lines of values. Lines are grouped per text column (words of one line close in x).
    # ``_inside`` of each region, with the padded regions and each word's centre computed once
    padded = [(r[0] - 2.0, r[1] - 2.0, r[2] + 2.0, r[3] + 2.0) for r, _ in regions]
    rest = _outside(words, padded)
    lines = [ln for line in group_lines(rest) for ln in _split_columns(line, gutter)]
    # per line, computed once: the sort and the loops below revisit lines (a stable sort on the same keys)
    keyed = sorted(((_line_box(ln), ln) for ln in lines), key=lambda t: (t[0][1], t[0][0]))
    lines = [ln for _, ln in keyed]
    boxes = [b for b, _ in keyed]
    line_phrases = [phrases(ln) for ln in lines]
    counts = [_numeric_count(ln, ps) for ln, ps in zip(lines, line_phrases, strict=True)]
    prose = [_is_prose(ln, ps, n) for ln, ps, n in zip(lines, line_phrases, counts, strict=True)]
    caption = [_is_caption(ln) for ln in lines]
    used: set[int] = set()
    for i in range(len(lines)):
        if i in used or counts[i] < DEFAULT_MIN_NUMERIC or prose[i]:
            continue
        block = [i]
        box = boxes[i]
        for j in range(i + 1, len(lines)):
            lb = boxes[j]
            if j in used or lb[2] < box[0] or lb[0] > box[2]:
                continue  # another column of the page
            last = boxes[block[-1]]
            if lb[1] - last[3] > DEFAULT_LINE_PITCH * max(last[3] - last[1], 1.0) or caption[j] or prose[j]:
                break
            if counts[j] == 0 and not _label_only(lines[j], box):
                break
            block.append(j)
            box = (min(box[0], lb[0]), box[1], max(box[2], lb[2]), lb[3])
        data = [k for k in block if counts[k] >= 1]
        if len(data) < DEFAULT_MIN_ROWS:
            continue
        used.update(block)
        # header lines above: short, not prose, not a caption, close above
        top = box[1]
        for k in range(i - 1, max(-1, i - 1 - DEFAULT_MAX_HEADER_LINES * 2), -1):
            lb = boxes[k]
            if lb[2] < box[0] or lb[0] > box[2] or k in used:
                continue
            if top - lb[3] > DEFAULT_LINE_PITCH * max(lb[3] - lb[1], 4.0) or caption[k] or prose[k] \
                    or lb[0] < box[0] - 30 or lb[2] > box[2] + 30:
                break
            top = lb[1]
            box = (min(box[0], lb[0]), top, max(box[2], lb[2]), box[3])
            used.add(k)
        regions.append((box, False))
    return regions


def _outside(words: Sequence[Word], boxes: Sequence[BBox]) -> Sequence[Word]:
    """The words whose centre lies in none of ``boxes`` (edges included), in order. A loop rather than an
    ``any()`` over the boxes for each of a page's words (a generator per word cost more than the tests)."""
    if not boxes:
        return words
    out = []
    for w in words:
        xm, ym = (w.x0 + w.x1) / 2, (w.top + w.bottom) / 2
        for b in boxes:
            if b[0] <= xm <= b[2] and b[1] <= ym <= b[3]:
                break
        else:
            out.append(w)
    return out


def _tops_within(words: Sequence[Word], spans: Sequence[tuple[float, float]]) -> list[Word]:
    """The words whose top lies in one of ``spans`` (``lo <= top <= hi``), in order; as ``_outside``, a loop."""
    if len(spans) == 1:
        lo, hi = spans[0]
        return [w for w in words if lo <= w.top <= hi]
    out = []
    for w in words:
        top = w.top
        for lo, hi in spans:
            if lo <= top <= hi:
                out.append(w)
                break
    return out


def _contains(outer: BBox, inner: BBox, pad: float = 2.0) -> bool:
    return outer[0] - pad <= inner[0] and outer[1] - pad <= inner[1] and inner[2] <= outer[2] + pad \
        and inner[3] <= outer[3] + pad


def _split_at_captions(groups: list[tuple[BBox, list[float]]], words: Sequence[Word], gutter: float | None = None
                       ) -> list[tuple[BBox, list[float]]]:
    """Rule groups cut where a caption line sits between two of their rules: two tables of one width
    stacked in a column (or a float page), each with its own caption; and above a header line that repeats the
    first one's label header (``_repeated_header_cuts``)."""
    out: list[tuple[BBox, list[float]]] = []
    for box, ys in groups:
        # caption lines of the text column that overlap the rules' width: a caption set flush with the column
        # starts left of an indented table ("Table 2." left of its rules)
        # (the words of its text column only: lines of the other column, at another pitch, would merge with it)
        lo, hi = _column_span(box, gutter)
        inside = [w for w in words if box[1] < w.ymid < box[3] and lo <= w.xmid <= hi]
        boxed = [(_line_box(line), line) for line in group_lines(inside)]  # each line's box once
        cuts = sorted([lb[1] for lb, line in boxed if lb[2] >= box[0] and lb[0] <= box[2] and _is_caption(line)]
                      + _repeated_header_cuts([line for lb, line in boxed if box[0] - 2 <= lb[0] <= box[2]]))
        parts: list[list[float]] = [[]]
        for y in sorted(ys):
            while cuts and y > cuts[0]:
                cuts.pop(0)
                parts.append([])
            parts[-1].append(y)
        for part in parts:
            if len(part) >= 2 and part[-1] - part[0] > 10:
                out.append(((box[0], part[0], box[2], part[-1]), part))
            elif len(part) == 1 and len(parts) > 1:
                # a table with one rule, under its header (stacked tables that each have only a midrule): the
                # rows below it and the header lines above are taken as for any ruled region
                out.append(((box[0], part[0], box[2], part[0]), part))
    return out


def _repeated_header_cuts(lines: Sequence[Sequence[Word]]) -> list[float]:
    """Where a block of rows with a header of its own starts inside one rule group: a line without values that
    begins with the word the table's first (header) line begins with ("Model | XSum | ANLI …" under rows headed
    "Model | GLUE | SQuAD …"). The habit: several small tables set in one float between shared rules, each
    with its header line. The cut lies halfway between the last row above and the new header: the rule under
    that row closes the table above, the rule over the header opens the next.

    >>> head = [Word("Model", 0, 0, 20, 7), Word("GLUE", 60, 0, 80, 7)]
    >>> row = [Word("T5-Base", 0, 10, 30, 17), Word("84.3", 60, 10, 76, 17)]
    >>> head2 = [Word("Model", 0, 30, 20, 37), Word("XSum", 60, 30, 80, 37)]
    >>> row2 = [Word("T5-Base", 0, 40, 30, 47), Word("18.7", 60, 40, 76, 47)]
    >>> _repeated_header_cuts([head, row, head2, row2])
    [23.5]
    """
    if len(lines) < 3 or _numeric_count(lines[0]) or len(phrases(lines[0], header=True)) < 2:
        return []
    first = lines[0][0].text.lower()
    cuts = []
    for k in range(2, len(lines)):
        line = lines[k]
        if line[0].text.lower() == first and not _numeric_count(line) and len(phrases(line, header=True)) >= 2 \
                and _numeric_count(lines[k - 1]):
            cuts.append((_line_box(lines[k - 1])[3] + _line_box(line)[1]) / 2)
    return cuts


def _column_span(box: BBox, gutter: float | None) -> tuple[float, float]:
    """The x-range of the text column a box sits in: the side of the gutter it lies on, else the page."""
    if gutter is not None and box[2] <= gutter:
        return -math.inf, gutter
    if gutter is not None and box[0] >= gutter:
        return gutter, math.inf
    return -math.inf, math.inf


def _label_only(line: Sequence[Word], box: BBox) -> bool:
    """A short text line inside a block's x-range: a wrapped label or a group heading."""
    lb = _line_box(line)
    return len(line) <= 6 and lb[0] >= box[0] - 5 and lb[2] <= box[2] + 5 and not _is_prose(line)


def _gutter(words: Sequence[Word]) -> float | None:
    """The x of the gutter between two text columns: the middle of the widest x-interval in the middle
    third of the text that fewer than 2% of the words' boxes cross; None for a one-column page."""
    if len(words) < 50:
        return None
    left, right = min(w.x0 for w in words), max(w.x1 for w in words)
    lo, hi = left + (right - left) / 3, left + 2 * (right - left) / 3
    # each word adds 1 to the bins from its left to its right end: as +1/-1 at the ends and one running sum
    # (the same counts as adding per bin, in a fraction of the steps)
    size = int(hi - lo) + 1
    steps = [0] * (size + 1)
    for w in words:
        a, b = max(int(w.x0 - lo), 0), min(int(w.x1 - lo), size - 1)
        if a <= b:
            steps[a] += 1
            steps[b + 1] -= 1
    bins = list(itertools.accumulate(steps[:size]))
    limit = max(2, len(words) // 50)
    best: tuple[int, int] | None = None
    start = None
    for i, n in enumerate([*bins, limit + 1]):
        if n < limit and start is None:
            start = i
        elif n >= limit and start is not None:
            if best is None or i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    if best is None or best[1] - best[0] < 4:
        return None
    return lo + (best[0] + best[1]) / 2


def _split_columns(line: Sequence[Word], gutter: float | None = None) -> list[list[Word]]:
    """A page line split at the page's gutter (between two text columns), when a gap crosses it."""
    out: list[list[Word]] = [[line[0]]] if line else []
    for w in line[1:]:
        if gutter is not None and out[-1][-1].x1 <= gutter <= w.x0:
            out.append([w])
        else:
            out[-1].append(w)
    return out


# ---------------------------------------------------------------- grid


def _columns(data_lines: Sequence[Sequence[list[Word]]]) -> list[tuple[float, float]]:
    """Column x-extents from the cells (phrases after the label) of the data rows: the union of
    overlapping extents, split where one row has two cells in one union."""
    cells = [(_box(p)[0], _box(p)[2], r) for r, ps in enumerate(data_lines) for p in ps]
    cells.sort()
    groups: list[list[tuple[float, float, int]]] = []
    for c in cells:
        if groups and c[0] < max(x[1] for x in groups[-1]) - 0.5:
            groups[-1].append(c)
        else:
            groups.append([c])
    out: list[tuple[float, float]] = []
    for g in groups:
        per_row: dict[int, list[tuple[float, float, int]]] = {}
        for c in g:
            per_row.setdefault(c[2], []).append(c)
        k = max(len(v) for v in per_row.values())
        if k == 1:
            out.append((min(c[0] for c in g), max(c[1] for c in g)))
            continue
        # anchors: the rows that show all k cells; each cell goes to the nearest anchor centre
        anchors = [sorted(v) for v in per_row.values() if len(v) == k]
        centres = [sum((a[i][0] + a[i][1]) / 2 for a in anchors) / len(anchors) for i in range(k)]
        parts: list[list[tuple[float, float, int]]] = [[] for _ in range(k)]
        for c in g:
            mid = (c[0] + c[1]) / 2
            parts[min(range(k), key=lambda i: abs(centres[i] - mid))].append(c)
        out.extend((min(c[0] for c in p), max(c[1] for c in p)) for p in parts if p)
    return sorted(out)


def _column_of(box: BBox, cols: Sequence[tuple[float, float]]) -> int:
    """The column whose extent a cell overlaps most (nearest centre when it overlaps none)."""
    best, best_key = 0, (-1e9, 0.0)
    mid = (box[0] + box[2]) / 2
    for i, (c0, c1) in enumerate(cols):
        ov = min(box[2], c1) - max(box[0], c0)
        key = (ov if ov > 0 else -1e6, -abs(mid - (c0 + c1) / 2))
        if key > best_key:
            best, best_key = i, key
    return best


def build_grid(words: Sequence[Word], bbox: BBox, *, caption: str = "", ruled: bool = False,
               field_of: Callable[[str], object | None] | None = None, rules: Sequence[Rule] = ()) -> Grid | None:
    """The grid of the words in one table region; None when fewer than ``DEFAULT_MIN_ROWS`` data rows.

    ``field_of(text)`` (``extract.tables.header_field``) says whether a text names a quantity; it
    decides transposed tables.
    """
    lines = group_lines(_words_inside(words, bbox))
    if not lines:
        return None
    # partial rules inside the region: \cmidrule under a spanning header
    partial = [r for r in rules if bbox[1] - 2 <= r.y <= bbox[3] + 2 and bbox[0] - 2 <= r.x0 and r.x1 <= bbox[2] + 2
               and (r.x1 - r.x0) < 0.9 * (bbox[2] - bbox[0])]
    parsed: list[tuple[list[Word], list[list[Word]], list[list[Word]]]] = []  # line, label phrases, cells
    for line in lines:
        ps = phrases(line)
        k = 0
        while k < len(ps) and not _is_value_phrase(ps[k]):
            k += 1
        parsed.append((line, ps[:k], ps[k:]))
    data_idx = [i for i, (_, _, cells) in enumerate(parsed) if any(not is_dash(c[0].text) for c in cells)]
    # a line that ends in a caption ("Table 3: …") or in prose ends the region
    for i, (line, labels, cells) in enumerate(parsed):
        if (_is_caption(line) or _is_prose(line, labels + cells)) and data_idx and i > data_idx[0]:
            data_idx = [k for k in data_idx if k < i]
            parsed = parsed[:i]
            break
    # in a ruled table every line above the first full-width rule with lines above it is a header line (booktabs:
    # \toprule, header, \midrule): sub-headers of numbers ("0.5:0.95 0.5 0.75") stay out of the data rows
    above_mid = -1  # lines above the midrule (the header), -1 when not known
    if ruled:
        full = sorted(r.y for r in rules if r.x1 - r.x0 >= 0.9 * (bbox[2] - bbox[0]) and bbox[1] + 2 < r.y < bbox[3]
                      and r.x0 <= bbox[0] + DEFAULT_RULE_ALIGN and r.x1 >= bbox[2] - DEFAULT_RULE_ALIGN)
        mid = next((y for y in full if any(_line_box(parsed[i][0])[3] <= y for i in range(len(parsed)))), None)
        if mid is not None:
            body = [i for i in data_idx if _line_box(parsed[i][0])[1] >= mid]
            if len(body) >= DEFAULT_MIN_ROWS:
                data_idx = body
                above_mid = sum(1 for line, _, _ in parsed if _line_box(line)[3] <= mid)
    # a first "row" of values without a label, right under the header, is a sub-header of numbers (input sizes
    # "224 320" under "top-1 err (%)", budgets "40M 140M" under "mmAP"): a data row would name its model
    while len(data_idx) > DEFAULT_MIN_ROWS and not parsed[data_idx[0]][1] and data_idx[0] > 0 \
            and parsed[data_idx[1]][1]:
        data_idx = data_idx[1:]
    # … and so is a first row with words among its values ("SQuAD 1.1 SQuAD 2.0") over a line of words only
    # ("EM F1 EM F1") that sits over the value columns
    while len(data_idx) > DEFAULT_MIN_ROWS:
        i = data_idx[0]
        nxt = i + 1
        words_in_values = any(not _is_value_phrase(c) for c in parsed[i][2])
        if nxt < len(parsed) and nxt not in data_idx and words_in_values and len(parsed[nxt][1]) >= 2 \
                and not parsed[nxt][2]:
            data_idx = data_idx[1:]
        else:
            break
    if len(data_idx) < DEFAULT_MIN_ROWS:
        return None
    first = data_idx[0]
    label_x1 = bbox[0]
    for i in data_idx:
        if parsed[i][1]:
            label_x1 = max(label_x1, _box(parsed[i][1][0])[2])
    # text cells right of the label column in data rows (a "Type" or "Arch." column) are columns too
    row_cells: list[list[list[Word]]] = []
    for i in data_idx:
        _, labels, cells = parsed[i]
        extra = [p for p in labels[1:] if _box(p)[0] > label_x1 - 1 and any(
            _box(p)[0] >= _box(parsed[j][1][0])[2] + 2 for j in data_idx if parsed[j][1] and j != i)]
        row_cells.append(extra + cells)
    cols = _columns(row_cells)
    if not cols:
        return None
    ncol = len(cols)
    # header lines: above the first data row, except label-only lines under the last line that has words over
    # the columns: those are group headings ("ResNet-50 backbone:") over the first rows
    over_cols = [i for i in range(first) if any(_box(p)[0] > label_x1 + 1 for p in parsed[i][1] + parsed[i][2])]
    head_end = over_cols[-1] + 1 if over_cols else 0
    if 0 <= above_mid < head_end:
        head_end = above_mid  # a line under the midrule is a group heading, however wide ("YOLOv4: Optimal …")
    group_lines_above = [" ".join(_phrase_text(p) for p in parsed[i][1]) for i in range(head_end, first)]
    header_lines = [level for i in range(head_end) for level in stacked_levels(parsed[i][0])]
    headers: list[list[str]] = [[] for _ in range(ncol)]
    label_header: list[str] = []
    header_phrases = [phrases(line, header=True) for line in header_lines]
    last_cols = {_column_of(_box(q), cols) for q in (header_phrases[-1] if header_phrases else [])
                 if _box(q)[0] > label_x1}
    for li, ps in enumerate(header_phrases):
        # sub-headers: on the last header line (a header set lower than its neighbours but not on the last line
        # is a tall one, "#P" beside "top-1 err (%)" over "224× 320×")
        below_cols = last_cols if li < len(header_phrases) - 1 else set()
        sparse = len(below_cols) >= 2
        taken: set[int] = set()  # columns a spanning header of this line already covers
        for k, p in enumerate(ps):
            b = _box(p)
            if b[2] <= cols[0][0] - 1 and b[0] < label_x1 + 1:
                label_header.append(_phrase_text(p))
                continue
            covered = [i for i, (c0, c1) in enumerate(cols) if b[0] - 2 <= (c0 + c1) / 2 <= b[2] + 2]
            under = [r for r in partial if r.x0 - 2 <= (b[0] + b[2]) / 2 <= r.x1 + 2
                     and 0 < r.y - b[3] < 2.5 * max(b[3] - b[1], 4.0)]
            reaches = [i for i, (c0, c1) in enumerate(cols) if i in below_cols and min(b[2], c1) - max(b[0], c0)
                       > 0.3 * (c1 - c0)]
            centred = not covered and _between_columns(b, cols, below_cols)
            # (a phrase right over columns none of which has a sub-header is those columns' own header, set
            # on a middle line of a taller header: "#param. FLOPs" between "image" / "size")
            if sparse and (len(covered) != 1 or under or len(reaches) >= 2) and (covered or reaches or under
                                                                                   or centred) \
                    and (len(covered) < 2 or set(covered) & below_cols):
                # a short spanning header centred over its sub-columns ("test-dev" over "AP AP50 … APl"):
                # it covers the sub-headed columns closer to it than to its neighbours on the line
                # (a neighbour that sits right over one column is that column's own header: "image" of
                # "image pyramid"); one right over a single column spans only with a \cmidrule under it
                lo, hi = label_x1, float("inf")
                if k > 0:
                    pb = _box(ps[k - 1])
                    lo = pb[2] if _covers(pb, cols) == 1 else (pb[2] + b[0]) / 2
                if k + 1 < len(ps):
                    nb = _box(ps[k + 1])
                    hi = nb[0] if _covers(nb, cols) == 1 else (b[2] + nb[0]) / 2
                if under:  # a \cmidrule under the spanning header says exactly which columns it spans
                    lo, hi = max(lo, under[0].x0 - 2), min(hi, under[0].x1 + 2)
                span = [i for i, (c0, c1) in enumerate(cols) if lo <= (c0 + c1) / 2 <= hi and i in below_cols
                        and i not in taken]
                if centred and not under:
                    span = _centred_run(b, span, cols)
                if len(span) >= 2:
                    taken.update(span)
                    for i in span:
                        headers[i].append(_phrase_text(p))
                    continue
            if len(covered) >= 2:
                below = [q for later in header_phrases[li + 1:] for q in later]
                subs = {_column_of(_box(q), cols) for q in below if b[0] - 4 <= (_box(q)[0] + _box(q)[2]) / 2 <= b[2] + 4}
                # sub-headers set close together read as one phrase ("top-1 err top-5 err" under "224×224"):
                # their words still say which columns lie under the spanning header
                subs |= {_column_of((w.x0, w.top, w.x1, w.bottom), cols) for q in below for w in q
                         if b[0] - 4 <= w.xmid <= b[2] + 4 and _box(q)[2] - _box(q)[0] > b[2] - b[0]}
                if len(subs & set(covered)) >= 2:
                    for i in covered:  # a spanning header over its sub-columns
                        headers[i].append(_phrase_text(p))
                    continue
                for w in p:  # one phrase over columns that have no sub-headers: words to their columns
                    j = _column_of((w.x0, w.top, w.x1, w.bottom), cols)
                    if headers[j] and headers[j][-1].endswith("\x00"):
                        headers[j][-1] = headers[j][-1][:-1] + " " + w.text + "\x00"
                    else:
                        headers[j].append(w.text + "\x00")
                for i in covered:
                    if headers[i] and headers[i][-1].endswith("\x00"):
                        headers[i][-1] = headers[i][-1][:-1]
                continue
            j = covered[0] if covered else _column_of(b, cols)
            if not covered and b[2] < cols[0][0] and b[0] <= label_x1:
                label_header.append(_phrase_text(p))
                continue
            if not covered and min(abs(b[0] - cols[j][1]), abs(b[2] - cols[j][0])) > 40 and not \
                    (b[0] <= cols[j][1] and cols[j][0] <= b[2]):
                continue
            headers[j].append(_phrase_text(p))
    heads = [_join_wrapped([h.rstrip("\x00") for h in hs]) for hs in headers]
    # rows
    rows: list[GridRow] = []
    group = group_lines_above[-1] if group_lines_above else ""
    pending_label: list[str] = []
    last_label = ""
    # a fully ruled table (a rule under every row): the lines between two rules are one row, its label wrapped
    # over lines above and below the line of values ("CNN-" / "pFSMN-  3.62 …" / "Chain")
    bands = _rule_bands([_line_box(parsed[i][0]) for i in range(len(parsed))], bbox, rules) if ruled else []
    per_band = Counter(bands[i] for i in data_idx) if bands else Counter()
    row_of_band = {bands[i]: i for i in data_idx if bands and per_band[bands[i]] == 1 and bands[i] >= 0}
    for i in range(first, len(parsed)):
        line, labels, cells = parsed[i]
        label = " ".join(_phrase_text(p) for p in labels if _box(p)[0] <= label_x1 + 1 or not cells)
        if i not in data_idx:
            if not label:
                continue
            nxt = next((k for k in range(i + 1, len(parsed)) if k in data_idx), None)
            prev_label = rows[-1].label if rows else ""
            own_row = row_of_band.get(bands[i]) if bands else None
            if (own_row is not None and i < own_row) or (own_row is None and nxt is not None
                                                          and not _label_text(parsed[nxt][1], label_x1)):
                pending_label.append(label)  # the first line of a label whose values sit on the next line
            elif rows and (own_row is not None or (not label.rstrip().endswith(":") and (
                    label[:1].islower() or prev_label.rstrip().endswith((",", "-", "+", "&", "("))
                    or prev_label.count("(") > prev_label.count(")")))):
                # (a line ending in a colon heads the rows below it, "end-to-end fine-tuning:", whatever its case)
                r = rows[-1]
                rows[-1] = GridRow(join_label(r.label, label), r.cells, join_label(r.text, label), r.group,
                                   r.label_bold)
            else:
                group = label
            continue
        own = strip_check_marks(_label_text(labels, label_x1))
        if pending_label:
            own = functools.reduce(join_label, [*pending_label, own]).strip()
            pending_label = []
        unlabelled = not own
        if not own:
            own = last_label  # a multirow label printed once for several rows
        last_label = own
        placed: list[Cell | None] = [None] * ncol
        extra = [p for p in labels if _box(p)[0] > label_x1 + 1 and cells]
        for p in [*extra, *cells]:
            b = _box(p)
            j = _column_of(b, cols)
            text = _phrase_text(p)
            cell = Cell(text, b, p[0].start, p[-1].end, any(w.bold for w in p))
            placed[j] = cell if placed[j] is None else Cell(placed[j].text + " " + text, placed[j].bbox,  # type: ignore[union-attr]
                                                            placed[j].start, cell.end, placed[j].bold)  # type: ignore[union-attr]
        bold = any(w.bold for p in labels for w in p)
        if unlabelled and is_total_row(placed, rows):
            own = TOTAL_LABEL  # the sums of the columns above, not another row of the layer above
        rows.append(GridRow(own, tuple(placed), _phrase_text(line), group, bold))
    rows = _setting_rows_family(_centred_multirow(rows))
    header_text = " ".join(_phrase_text(line) for line in header_lines)
    grid = Grid(bbox, tuple(tuple(h) for h in heads), tuple(rows), caption, header_text, " ".join(label_header),
                False, ruled)
    if field_of is not None and _looks_transposed(grid, field_of):
        grid = Grid(grid.bbox, grid.headers, grid.rows, caption, header_text, grid.label_header, True, ruled)
    return grid


TOTAL_LABEL = "Total"
DEFAULT_TOTAL_TOLERANCE = 0.005  # relative: a totals cell equals the sum of its column above within this


def _plain_number(text: str) -> float | None:
    t = text.replace(",", "").strip()
    try:
        return float(t)
    except ValueError:
        return None


def is_total_row(cells: Sequence[Cell | None], above: Sequence[GridRow]) -> bool:
    """Whether an unlabelled row holds the sums of its columns: each of its numbers is the sum of two or more
    numbers above it in its column. Habit: a layer-by-layer table ends in a totals row whose "(total)" is
    printed under the numbers, not in the label column ("1,248,424 (total)" under "#parameter"); the row is
    the whole model, not one more row of the last layer.

    >>> c = lambda t: Cell(t, (0, 0, 1, 1))
    >>> rows = [GridRow("conv1", (c("14,208"), c("3")), ""), GridRow("fire2", (c("11,920"), c("5")), "")]
    >>> is_total_row((c("26,128"), None), rows), is_total_row((c("26,129"), c("9")), rows)
    (True, False)
    """
    checked = 0
    for j, cell in enumerate(cells):
        value = _plain_number(cell.text) if cell is not None else None
        if value is None:
            continue
        col = [_plain_number(r.cells[j].text) for r in above if j < len(r.cells) and r.cells[j] is not None]
        nums = [v for v in col if v is not None]
        if len(nums) < 2 or abs(sum(nums) - value) > DEFAULT_TOTAL_TOLERANCE * max(abs(value), 1.0):
            return False
        checked += 1
    return checked > 0


def _between_columns(b: BBox, cols: Sequence[tuple[float, float]], subheaded: set[int]) -> bool:
    """A header phrase whose centre falls in the gap between two adjacent sub-headed columns' centres."""
    mid = (b[0] + b[2]) / 2
    return any(i + 1 in subheaded and (cols[i][0] + cols[i][1]) / 2 < mid < (cols[i + 1][0] + cols[i + 1][1]) / 2
               for i in subheaded if i + 1 < len(cols))


def _centred_run(b: BBox, span: Sequence[int], cols: Sequence[tuple[float, float]]) -> list[int]:
    """Of the columns a short spanning header may cover, the run of two or more adjacent ones it is centred
    over (LaTeX centres a multicolumn header over its columns; "APbox" over "ViT-B ViT-L", not over the
    "pre-train data" column left of them); ties go to the longer run.

    >>> _centred_run((177, 0, 195, 8), [0, 1, 2], [(109, 152), (165, 181), (194, 208)])
    [1, 2]
    """
    mid = (b[0] + b[2]) / 2
    best: tuple[float, int, list[int]] | None = None
    for a in range(len(span)):
        for z in range(a + 1, len(span)):
            run = list(span[a:z + 1])
            if run != list(range(run[0], run[-1] + 1)):
                continue
            off = abs((cols[run[0]][0] + cols[run[-1]][1]) / 2 - mid)
            key = (round(off, 1), -len(run), run)
            if best is None or key < best:
                best = key
    if best is None or best[0] > 0.5 * (cols[best[2][-1]][1] - cols[best[2][0]][0]) / len(best[2]):
        return []
    return best[2]


_CHECK_MARKS = frozenset({"✓", "✔", "✗", "✘", "√", "X", "XX"})  # "X": a check glyph some fonts' text layer spells so


def strip_check_marks(label: str) -> str:
    """A row label without the check marks of setting columns set right after it (a check-mark table: "M  B"
    columns of ✓ before the values); a label of check marks only is empty, so the multirow label above
    carries down.

    >>> strip_check_marks("R-FCN Aligned-Inception-ResNet X"), strip_check_marks("X X"), strip_check_marks("ResNet ✓ ✓")
    ('R-FCN Aligned-Inception-ResNet', '', 'ResNet')
    """
    words = label.split()
    while words and words[-1] in _CHECK_MARKS:
        words.pop()
    return " ".join(words)


def join_label(first: str, more: str) -> str:
    """A row label wrapped onto another line, joined: at a hyphen without a space ("CNN-" + "pFSMN" →
    "CNN-pFSMN"), else with one.

    >>> join_label("DFSMN-", "Chain"), join_label("Mask R-CNN,", "long schedule"), join_label("", "ResNet")
    ('DFSMN-Chain', 'Mask R-CNN, long schedule', 'ResNet')
    """
    first, more = first.rstrip(), more.strip()
    if not first or not more:
        return first or more
    if first.endswith("-") and more[:1].isalnum():
        return first + more
    return f"{first} {more}"


def _centred_multirow(rows: Sequence[GridRow]) -> list[GridRow]:
    """Rows under a label set once, vertically centred across them (LaTeX ``\\multirow``): the label's line holds
    only the multirow cells ("FPN [37]  56.4M  145.8B"), the lines above and below it the other columns
    ("minival 36.8 …", "test-dev 37.2 …"); those two rows take the centred label as their group.

    >>> c = Cell("1", (0, 0, 1, 1))
    >>> rows = [GridRow("minival", (c, None), ""), GridRow("FPN", (None, c), ""), GridRow("test-dev", (c, None), "")]
    >>> [(r.label, r.group) for r in _centred_multirow(rows)]
    [('minival', 'FPN'), ('FPN', ''), ('test-dev', 'FPN')]
    """
    out = list(rows)

    def filled(r: GridRow) -> set[int]:
        return {j for j, x in enumerate(r.cells) if x is not None}

    for k in range(1, len(out) - 1):
        above, mid, below = out[k - 1], out[k], out[k + 1]
        if not mid.label or above.group or below.group or filled(above) != filled(below) or not filled(mid) \
                or not filled(above) or filled(mid) & filled(above):
            continue
        out[k - 1] = GridRow(above.label, above.cells, above.text, mid.label, above.label_bold)
        out[k + 1] = GridRow(below.label, below.cells, below.text, mid.label, below.label_bold)
    return out


# A row label that is only a setting of a model: depth-width ("28-10", "40-4"), a width multiplier ("1.0", "0.75×"),
# a size ("224", "2×")
_SETTING_LABEL = re.compile(r"[\d.]+(?:\s*[-×x/]\s*[\d.]+)*\s*[×x]?")
DEFAULT_FAMILY_CHARS = 24  # a longer prefix is a description, not a family name set across rows


def _setting_rows_family(rows: Sequence[GridRow]) -> list[GridRow]:
    """Rows whose labels are only settings ("40-4", "28-10") around one row that carries the family's name as
    well ("WRN (ours) 16-8"): the name was set once, vertically centred across the run (LaTeX ``\\multirow``), and
    landed on the middle row's line (or was set at the top, on the first). The run's other rows take the name as their group, so each is the family's
    model at its setting ("WRN (ours) 28-10"), as the gold and the paper's prose name it.

    >>> c = (Cell("1", (0, 0, 1, 1)),)
    >>> rows = [GridRow("ELU [5]", c, ""), GridRow("40-4", c, ""), GridRow("WRN (ours) 16-8", c, ""),
    ...         GridRow("28-10", c, "")]
    >>> [(r.label, r.group) for r in _setting_rows_family(rows)]
    [('ELU [5]', ''), ('40-4', 'WRN (ours)'), ('WRN (ours) 16-8', ''), ('28-10', 'WRN (ours)')]
    """
    out = list(rows)
    k = 0
    while k < len(out):
        end = k
        while end < len(out) and not out[end].group and (
                _SETTING_LABEL.fullmatch(out[end].label) or _family_prefix(out[end].label)):
            end += 1
        run = range(k, end)
        named = [i for i in run if not _SETTING_LABEL.fullmatch(out[i].label)]
        # one name, on the run's middle line (centred) or its first (set at the top), over two rows or more
        if len(named) == 1 and end - k >= 2 and named[0] - k <= (end - k) / 2:
            family = _family_prefix(out[named[0]].label)
            for i in run:
                if i != named[0]:
                    r = out[i]
                    out[i] = GridRow(r.label, r.cells, r.text, family, r.label_bold)
        k = max(end, k + 1)
    return out


def _family_prefix(label: str) -> str:
    """The name before a row label's trailing setting ("WRN (ours) 16-8" → "WRN (ours)"); "" when the label ends
    in no setting or has no name before it."""
    parts = label.rsplit(" ", 1)
    if len(parts) != 2 or not _SETTING_LABEL.fullmatch(parts[1]) or not re.search(r"[A-Za-z]", parts[0]) \
            or len(parts[0]) > DEFAULT_FAMILY_CHARS:
        return ""
    return parts[0].strip()


def _join_wrapped(levels: Sequence[str]) -> list[str]:
    """Header levels with a word hyphen-wrapped in a narrow column joined ("test-" over "clean": "test-clean").

    >>> _join_wrapped(["Librispeech", "test-", "clean"])
    ['Librispeech', 'test-clean']
    """
    out: list[str] = []
    for level in levels:
        if out and out[-1].endswith("-") and level[:1].isalnum():
            out[-1] = join_label(out[-1], level)
        else:
            out.append(level)
    return out


def _rule_bands(line_boxes: Sequence[BBox], bbox: BBox, rules: Sequence[Rule]) -> list[int]:
    """Per line, the index of the band between full-width rules it sits in (-1 above the first rule), when
    the table has a rule between rows: at least ``DEFAULT_MIN_ROW_RULES`` full-width rules; else []."""
    width = bbox[2] - bbox[0]
    ys = sorted({round(r.y, 1) for r in rules if r.x1 - r.x0 >= 0.9 * width and bbox[1] - 2 <= r.y <= bbox[3] + 2
                 and r.x0 <= bbox[0] + DEFAULT_RULE_ALIGN and r.x1 >= bbox[2] - DEFAULT_RULE_ALIGN})
    if len(ys) < DEFAULT_MIN_ROW_RULES:
        return []
    return [bisect.bisect(ys, (b[1] + b[3]) / 2) - 1 for b in line_boxes]


DEFAULT_MIN_ROW_RULES = 5  # full-width rules a table needs to be read as ruled between rows (booktabs has 3)


def _covers(b: BBox, cols: Sequence[tuple[float, float]]) -> int:
    """How many column centres lie under a header phrase's box."""
    return sum(1 for c0, c1 in cols if b[0] - 2 <= (c0 + c1) / 2 <= b[2] + 2)


def _label_text(labels: Sequence[list[Word]], label_x1: float) -> str:
    return " ".join(_phrase_text(p) for p in labels if _box(p)[0] <= label_x1 + 1)


def _looks_transposed(grid: Grid, field_of: Callable[[str], object | None]) -> bool:
    """Row labels that name quantities ("# of Weights", "FLOPs") under column headers that do not."""
    named_rows = sum(1 for r in grid.rows if r.label and field_of(r.label) is not None)
    named_cols = sum(1 for i in range(len(grid.headers)) if grid.header(i) and field_of(grid.header(i)) is not None)
    return named_rows >= 1 and named_rows >= len(grid.rows) / 2 and named_cols == 0 and any(grid.headers)


def read_grids(words: Sequence[Word], rules: Sequence[Rule] = (), captions: Sequence[tuple[BBox, str]] | None = None,
               field_of: Callable[[str], object | None] | None = None) -> list[Grid]:
    """Every table of a page read as a grid: ``find_regions`` then ``build_grid``, each with the
    nearest caption above or below it in the same text column (``captions`` default: ``find_captions``)."""
    gutter = _gutter(words)
    if captions is None:
        captions = find_captions(words, gutter)
    out = []
    for box, ruled in find_regions(words, rules, gutter):
        grid = build_grid(words, box, caption=nearest_caption(box, captions), ruled=ruled, field_of=field_of,
                          rules=rules)
        if grid is not None and grid.rows:
            out.append(grid)
    return out


DEFAULT_CAPTION_REACH = 120.0  # a caption further from the table than this belongs to another one
DEFAULT_SIDE_CAPTION_GAP = 60.0  # … and one beside it, further than this


def nearest_caption(box: BBox, captions: Sequence[tuple[BBox, str]], reach: float = DEFAULT_CAPTION_REACH) -> str:
    """The caption whose first line is closest above or below ``box`` and overlaps it horizontally.

    >>> nearest_caption((100, 100, 300, 200), [((100, 80, 300, 90), "Table 1: A."), ((100, 400, 300, 410), "Table 2")])
    'Table 1: A.'
    """
    best, best_d = "", reach
    for cb, text in captions:
        if cb[0] > box[2] or cb[2] < box[0]:
            continue
        d = box[1] - cb[3] if cb[3] <= box[1] + 2 else cb[1] - box[3]
        if -2 <= d < best_d:
            best, best_d = text, d
    if best:
        return best
    for cb, text in captions:  # a caption set beside the table (a narrow table with its caption to the side)
        if box[1] - 20 <= cb[1] <= box[3]:
            d = cb[0] - box[2] if cb[0] >= box[2] else box[0] - cb[2]
            if 0 <= d < DEFAULT_SIDE_CAPTION_GAP and d < best_d:
                best, best_d = text, d
    return best


DEFAULT_CAPTION_CHARS = 300
DEFAULT_CAPTION_REACH_DOWN = 80.0  # points below a caption's first line its text may run
_CAPTION_WORDS = frozenset({"Table", "TABLE", "Tab."})


def find_captions(words: Sequence[Word], gutter: float | None = None) -> list[tuple[BBox, str]]:
    """Table captions of a page ("Table 2: …", up to ``DEFAULT_CAPTION_CHARS``) with the box of their first
    line: the caption line and the lines right below it in its text column, up to a full stop or a line of
    values.

    >>> ws = [Word("Table", 0, 0, 20, 8), Word("1:", 22, 0, 28, 8), Word("Results", 30, 0, 60, 8),
    ...       Word("on", 0, 10, 8, 18), Word("ImageNet.", 10, 10, 50, 18), Word("Model", 0, 30, 20, 38)]
    >>> find_captions(ws)
    [((0, 0, 60, 8), 'Table 1: Results on ImageNet.')]
    """
    starts = [w.top for w in words if w.text in _CAPTION_WORDS]
    if not starts:
        return []
    if gutter is None:
        gutter = _gutter(words)
    near = _tops_within(words, [(t - 2, t + DEFAULT_CAPTION_REACH_DOWN) for t in starts])
    lines = [ln for line in group_lines(near) for ln in _split_columns(line, gutter)]
    lines.sort(key=lambda ln: (_line_box(ln)[1], _line_box(ln)[0]))
    out = []
    for i, line in enumerate(lines):
        if not _is_caption(line):
            continue
        box = _line_box(line)
        text = _phrase_text(line)
        last = box
        for nxt in lines[i + 1:]:
            if text.rstrip().endswith(".") or len(text) >= DEFAULT_CAPTION_CHARS:
                break
            nb = _line_box(nxt)
            if nb[2] < box[0] or nb[0] > box[2] + 20:
                continue
            if nb[1] - last[3] > 1.2 * max(last[3] - last[1], 6) or _numeric_count(nxt) >= 2 or _is_caption(nxt) \
                    or len(phrases(nxt)) > 2:  # a table's header line, not the caption's next line
                break
            more = _phrase_text(nxt)
            text = text[:-1] + more if text.endswith("-") and more[:1].islower() else text + " " + more
            last = nb
        out.append((box, text[:DEFAULT_CAPTION_CHARS]))
    return out
