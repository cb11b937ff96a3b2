"""Synthetic word boxes for the table reader's tests: a table line as PDFium would give its words."""

from __future__ import annotations

from flopmine.extract.grid import Word

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
