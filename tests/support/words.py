"""Synthetic word boxes for the table reader's tests: a table line as PDFium would give its words."""

from __future__ import annotations

from flopmine.extract.grid import Word
from flopmine.types import BBox

CHAR_W = 4.5  # width of one character in the synthetic layouts


def table_line(y: float, cells: list[tuple[float, str]]) -> list[Word]:
    """Words of one table line: each cell's text starts at its x, words one space apart."""
    out = []
    for x, text in cells:
        pos = x
        for part in text.split(" "):
            out.append(Word(part, pos, y, pos + CHAR_W * len(part), y + 7.0))
            pos += CHAR_W * (len(part) + 1)
    return out


def boxed_text(lines: list[list[tuple[float, str]]]) -> tuple[str, tuple[BBox | None, ...]]:
    """Page text of ``lines`` (each a list of (x, word)) and one box per character, as PDFium gives them (None for
    the spaces and line ends between words), for the line reader's ``text_table_facts(text, boxes=...)``."""
    text_lines: list[str] = []
    boxes: list[BBox | None] = []
    for li, words in enumerate(lines):
        text_lines.append(" ".join(w for _, w in words))
        for k, (x, w) in enumerate(words):
            boxes.extend((x + c * 4.0, li * 12.0, x + c * 4.0 + 3.5, li * 12.0 + 9) for c in range(len(w)))
            if k < len(words) - 1:
                boxes.append(None)
        boxes.append(None)
    return "\n".join(text_lines), tuple(boxes)
