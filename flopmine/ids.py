"""arXiv identifiers: parse, validate, and turn into safe file names.

Two id schemes exist: new-style ``YYMM.NNNNN`` (``1811.06965v5``) and old-style
``archive[.subject]/YYMMNNN`` (``hep-th/9901001v2``). Ids come from untrusted feeds and
file names, so every id is validated before it is used to build a path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import FlopmineError

_NEW = re.compile(r"^(?P<base>\d{4}\.\d{4,5})(?:v(?P<version>\d{1,3}))?$")
_OLD = re.compile(r"^(?P<base>(?P<archive>[a-z][a-z\-]{1,20}(?:\.[A-Z]{2})?)/(?P<num>\d{7}))(?:v(?P<version>\d{1,3}))?$")
_ABS_PREFIX = re.compile(r"^(?:https?://[^/]+)?/?(?:abs|pdf)/")


class InvalidIdError(FlopmineError):
    """Not an arXiv identifier."""


@dataclass(frozen=True, order=True)
class ArxivId:
    """A validated arXiv id: ``base`` without version, ``version`` (None when absent)."""

    base: str
    version: int | None = None

    def __str__(self) -> str:
        return f"{self.base}v{self.version}" if self.version else self.base

    @property
    def is_old_style(self) -> bool:
        return "/" in self.base

    @property
    def year_month(self) -> tuple[int, int]:
        """Year and month of first submission, read from the id (the seed paper's rule).

        >>> parse_id("1811.06965v5").year_month
        (2018, 11)
        >>> parse_id("hep-th/9901001").year_month
        (1999, 1)
        """
        digits = self.base.split("/")[-1]
        yy, mm = int(digits[0:2]), int(digits[2:4])
        year = 1900 + yy if yy >= 91 else 2000 + yy
        return year, mm

    def filename(self, suffix: str = ".pdf") -> str:
        """A file name that is never a path: ``hep-th/9901001v2`` → ``hep-th_9901001v2.pdf``."""
        return str(self).replace("/", "_") + suffix


def parse_id(text: str) -> ArxivId:
    """Parse an id, an abs/pdf URL, or a file stem (``hep-th_9901001v2``).

    >>> parse_id("https://arxiv.org/abs/1512.03385v1")
    ArxivId(base='1512.03385', version=1)
    """
    raw = text.strip()
    s = _ABS_PREFIX.sub("", raw)
    if s.endswith(".pdf"):
        s = s[:-4]
    s = s.removeprefix("arXiv:").removeprefix("arxiv:")
    m = _NEW.match(s)
    if not m:
        # file-name form of an old-style id: first "_" stands for "/"
        candidate = s.replace("_", "/", 1) if "/" not in s else s
        m = _OLD.match(candidate)
    if not m:
        raise InvalidIdError(f"not an arXiv id: {text!r}")
    version = m.group("version")
    return ArxivId(m.group("base"), int(version) if version else None)


def is_valid_id(text: str) -> bool:
    try:
        parse_id(text)
    except InvalidIdError:
        return False
    return True
