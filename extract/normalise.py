"""Pure parsers that turn numbers as papers print them into floats.

Every function takes text and returns a value (or ``None`` when the text is not what it expects);
nothing here knows about pages or rules. Examples:

>>> parse_number("3.8 × 10^9"), parse_number("3.6×109"), parse_number("11.5B")
(3800000000.0, 3600000000.0, 11500000000.0)
>>> parse_number("22,855,952"), parse_number("25.6M"), parse_number("eight")
(22855952.0, 25600000.0, 8.0)
>>> parse_duration_hours("3.5 days"), parse_duration_hours("15h 7m")
(84.0, 15.116666666666667)
"""

from __future__ import annotations

import functools
import re
from array import array
from dataclasses import dataclass
from decimal import Decimal

# ---------------------------------------------------------------- text clean-up

# PDFium marks a soft (end-of-line) hyphen with U+FFFE or U+00AD; ligatures come through as single glyphs.
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl"}
_SOFT_HYPHENS = ("\ufffe", "\u00ad", "\u2010")


def clean_text(text: str) -> tuple[str, list[int]]:
    """Given page text, return (clean text, index map) where ``index_map[i]`` is the position in ``text``
    of the clean text's character ``i``.

    Soft hyphens at line ends are removed with the line break ("bil\\ufffe\\r\\nlion" → "billion"), a
    hyphen between two lower-case letters at a line end joins the word ("ap-\\nproximately" →
    "approximately"), line breaks and runs of spaces become one space, ligatures are expanded.

    >>> clean_text("3.8 bil\\ufffe\\r\\nlion  FLOPs")[0]
    '3.8 billion FLOPs'

    The rules clean each page twice (benchmark names first, then the matches), so results are kept for
    the last ``CLEAN_CACHE_PAGES`` texts; each call gets its own index list.
    """
    clean, idx = _clean_text_cached(text)
    return clean, idx.tolist()


CLEAN_CACHE_PAGES = 320  # more than a document's pages (extract.pdf reads up to 300)


# Characters the clean-up acts on; text between two of them is copied as it is. A space right after an
# ordinary character is copied too (it is the single space the clean-up would write).
_CLEAN_SET = "\ufffe\u00ad\u2010\\-\r\n\t\u00a0 \ufb00-\ufb04"
_CLEAN_SPECIAL = re.compile(f"[{_CLEAN_SET.replace(' ', '')}]|(?<![^{_CLEAN_SET}]) ")
_LINE_GAP = re.compile("[ \r\n\t]*")
_WHITESPACE = "\r\n\t\u00a0 "


@functools.lru_cache(maxsize=CLEAN_CACHE_PAGES)
def _clean_text_cached(text: str) -> tuple[str, array[int]]:
    # Copies the runs of ordinary characters whole and steps only through the special ones (spaces,
    # hyphens, ligatures); the result is the same as a character-by-character pass.
    out: list[str] = []
    idx: list[int] = []
    space = True  # the output is empty or ends with a space: a space would not be added
    i, n = 0, len(text)
    search = _CLEAN_SPECIAL.search
    while i < n:
        m = search(text, i)
        if m is None:
            out.append(text[i:])
            idx.extend(range(i, n))
            break
        p = m.start()
        if p > i:
            out.append(text[i:p])
            idx.extend(range(i, p))
            space = text[p - 1] == " "
        ch = text[p]
        if ch in _SOFT_HYPHENS or (ch == "-" and p > 0 and text[p - 1].islower()):
            j = _LINE_GAP.match(text, p + 1).end()  # type: ignore[union-attr]
            if j > p + 1 and "\n" in text[p + 1:j] and j < n and text[j].islower():
                i = j  # end-of-line hyphenation: join the word
                continue
            if ch != "-":
                i = p + 1
                continue
        if ch in _WHITESPACE:
            if not space:
                out.append(" ")
                idx.append(p)
                space = True
            i = p + 1
            continue
        lig = _LIGATURES.get(ch, ch)
        out.append(lig)
        idx.extend([p] * len(lig))
        space = False
        i = p + 1
    return "".join(out), array("q", idx)


# ---------------------------------------------------------------- numbers

NUMBER_WORDS: dict[str, float] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "a dozen": 12, "dozen": 12,
    "a single": 1, "single": 1, "a couple of": 2, "a": 1, "an": 1,
}
SCALE_WORDS: dict[str, float] = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
                                 "bn": 1e9, "mln": 1e6}
SUFFIXES: dict[str, float] = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12, "Bn": 1e9}

_NUM = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?|\.\d+"
# "× 10^9", "×10^{9}", "x 10-6", "· 10^19" and the flattened superscripts "×109", "·1019".
_EXP = r"\s?[×x·∗*]\s?10\s?(?:\^\s?\{?\s?(?P<exph>[-−–]?\d{1,2})\}?|(?P<expf>[-−–]?\d{1,2})(?![\d.,]))"
_SCI = r"[eE](?P<sci>[-+]?\d{1,2})"
_SUFFIX = r"\s?(?P<suf>Bn|[KkMBGT])(?![\w\-])"
_SCALE = r"\s(?P<scale>thousand|million|billion|trillion|bn)\b"
_WSCALE = r"\s(?P<wscale>thousand|million|billion|trillion)\b"
_WORDS = ["a single", "a couple of", "a dozen", *sorted(
    (w for w in NUMBER_WORDS if " " not in w and w not in ("a", "an", "single", "dozen")), key=len, reverse=True)]
_WORD = r"(?:" + "|".join(_WORDS) + r")"
# where a quantity can start: a digit, a decimal point, or a number word's first letter. As a lookahead in
# front of the pattern it skips most positions of a page in one test (same matches: IGNORECASE folds the class
# as it folds the words)
_STARTS = r"(?=[\d." + "".join(sorted({w[0] for w in _WORDS})) + r"])"

QUANTITY_RE = re.compile(
    rf"{_STARTS}(?:(?<![\w.\-/@])(?P<num>{_NUM})(?:{_EXP}|{_SCI})?(?:{_SUFFIX}|{_SCALE})?"
    rf"|(?<![\w\-])(?P<word>{_WORD})(?:{_WSCALE})?(?![\w\-]))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quantity:
    """A number found in text: its span, value (scale applied) and how it was written."""

    start: int
    end: int
    value: float
    raw: str
    scaled: bool = False  # a suffix, scale word or exponent was applied
    word: bool = False  # written as a word ("eight")
    decimals: int = 0


def _to_float(num: str) -> float:
    return float(num.replace(",", ""))


def _quantity(m: re.Match[str]) -> Quantity | None:
    raw = m.group(0)
    if m.group("word") is not None:
        w = m.group("word").lower()
        val = NUMBER_WORDS.get(w)
        if val is None:
            return None
        scale = m.group("wscale")
        if scale:
            val *= SCALE_WORDS[scale.lower()]
        return Quantity(m.start(), m.end(), float(val), raw, bool(scale), True)
    num = m.group("num")
    decimals = len(num.split(".")[1]) if "." in num else 0
    exp_hat, exp_flat, sci, suffix, scale = m.group("exph", "expf", "sci", "suf", "scale")
    exp = exp_hat or exp_flat or sci
    if not (exp or suffix or scale):
        # a plain number, most of a page's ("76.3", "1,248,424"): float() of its digits is the float of its
        # exact Decimal (both round correctly), without the Decimal
        return Quantity(m.start(), m.end(), _to_float(num), raw, False, False, decimals)
    exact = Decimal(num.replace(",", ""))
    scaled = False
    if exp:
        exact *= Decimal(10) ** int(exp.replace("−", "-").replace("–", "-"))
        scaled = True
    if suffix:
        if suffix.lower() == "bn":
            exact *= Decimal(10) ** 9
        elif suffix in SUFFIXES:
            exact *= Decimal(repr(SUFFIXES[suffix]))
        else:
            # a lower-case "m", "b", "g", "t" after a number is a unit (metres, bytes …), not a scale
            return Quantity(m.start(), m.start() + len(num), _to_float(num), num, False, False, decimals)
        scaled = True
    if scale:
        exact *= Decimal(repr(SCALE_WORDS[scale.lower()]))
        scaled = True
    value = float(exact)
    return Quantity(m.start(), m.end(), value, raw, scaled, False, decimals)


def find_quantities(text: str, *, words: bool = True) -> list[Quantity]:
    """Every number in ``text`` with its span.

    >>> [q.value for q in find_quantities("trained 90k iterations on eight GPUs, 25.6M params")]
    [90000.0, 8.0, 25600000.0]
    """
    out: list[Quantity] = []
    for m in QUANTITY_RE.finditer(text):
        if m.group("word") is not None and not words:
            continue
        q = _quantity(m)
        if q is not None:
            out.append(q)
    return out


def parse_number(text: str) -> float | None:
    """The value of a text that is one number as printed, else None.

    >>> parse_number("3.8 × 10^9"), parse_number("2.3 · 1019"), parse_number("1.8 billion")
    (3800000000.0, 2.3e+19, 1800000000.0)
    >>> parse_number("0.39B"), parse_number("90k"), parse_number("ten"), parse_number("n/a") is None
    (390000000.0, 90000.0, 10.0, True)
    """
    t = text.strip()
    m = QUANTITY_RE.fullmatch(t)
    if m is None:
        return None
    q = _quantity(m)
    return q.value if q is not None and q.end - q.start == len(t) else None


# ---------------------------------------------------------------- units

# Multipliers for unit words that carry a scale ("GFLOPs" = 10^9 FLOPs). Keys are lower case.
UNIT_SCALE: dict[str, float] = {
    "flops": 1.0, "flop": 1.0, "kflops": 1e3, "mflops": 1e6, "gflops": 1e9, "bflops": 1e9,
    "tflops": 1e12, "pflops": 1e15, "gmacs": 1e9, "mmacs": 1e6, "macs": 1.0, "mac": 1.0,
    "mult-adds": 1.0, "multiply-adds": 1.0, "multiply-add": 1.0, "multadds": 1.0, "madds": 1.0,
    "fma": 1.0, "fmas": 1.0, "ops": 1.0, "operations": 1.0, "mops": 1e6, "gops": 1e9, "bops": 1e9,
    "parameters": 1.0, "params": 1.0, "weights": 1.0,
    "seconds": 1 / 3600, "second": 1 / 3600, "sec": 1 / 3600, "s": 1 / 3600,
    "minutes": 1 / 60, "minute": 1 / 60, "min": 1 / 60, "mins": 1 / 60, "m": 1 / 60, "m.": 1 / 60,
    "hours": 1.0, "hour": 1.0, "hrs": 1.0, "hr": 1.0, "h": 1.0,
    "days": 24.0, "day": 24.0, "d": 24.0, "weeks": 168.0, "week": 168.0, "months": 720.0, "month": 720.0,
}


def unit_scale(unit: str) -> float:
    """The multiplier a unit word implies (1 when it carries none).

    >>> unit_scale("GFLOPs"), unit_scale("MFLOPS"), unit_scale("days"), unit_scale("epochs")
    (1000000000.0, 1000000.0, 24.0, 1.0)
    """
    u = unit.strip().lower().rstrip(".")
    if u in UNIT_SCALE:
        return UNIT_SCALE[u]
    if u.endswith("s") and u[:-1] in UNIT_SCALE:
        return UNIT_SCALE[u[:-1]]
    return 1.0


_DURATION_PART = re.compile(
    rf"(?P<num>{_NUM}|{_WORD})\s?(?P<unit>weeks?|days?|hours?|hrs?|h|minutes?|mins?|m|d|seconds?|s)\b",
    re.IGNORECASE,
)


def parse_duration_hours(text: str) -> float | None:
    """A duration in hours, summing the parts ("1 day 6 hours"); None when there is none.

    >>> parse_duration_hours("about ten days"), parse_duration_hours("12 hours")
    (240.0, 12.0)
    >>> parse_duration_hours("approximately one day"), parse_duration_hours("2 weeks")
    (24.0, 336.0)
    >>> parse_duration_hours("15h 7m"), parse_duration_hours("fast") is None
    (15.116666666666667, True)
    """
    total = 0.0
    found = False
    for m in _DURATION_PART.finditer(text):
        num = m.group("num").lower()
        val = NUMBER_WORDS.get(num)
        if val is None:
            try:
                val = _to_float(num)
            except ValueError:
                continue
        total += val * unit_scale(m.group("unit"))
        found = True
    return total if found else None


# ---------------------------------------------------------------- table cells

_CELL_GLYPHS = re.compile(r"[*†‡§¶?♯#∗⋆★☆]+")
_CELL_NUM = re.compile(rf"[-−]?(?:{_NUM})")


def parse_cell(cell: str) -> tuple[float | None, tuple[str, ...]]:
    """The headline number of a table cell and flags describing the cell.

    The first number wins ("22.15 / 20.80" → 22.15, single-crop before multi-crop); the value after an
    arrow wins ("30.8 → 34.5" → 34.5, the improved model); ``±`` intervals keep the mean; footnote glyphs
    are dropped; a scale suffix applies ("25.6M").

    >>> parse_cell("22.15 / 20.80"), parse_cell("30.8 → 34.5"), parse_cell("95.080‡")
    ((22.15, ('two_values',)), (34.5, ('arrow',)), (95.08, ()))
    >>> parse_cell("6.61±0.16"), parse_cell("43.5%"), parse_cell("—")
    ((6.61, ('interval',)), (43.5, ()), (None, ()))
    """
    t = _CELL_GLYPHS.sub("", cell or "").replace("%", "").strip()
    if not t:
        return None, ()
    flags: list[str] = []
    if "→" in t or "->" in t:
        t = re.split(r"→|->", t)[-1].strip()
        flags.append("arrow")
    elif "±" in t:
        t = t.split("±")[0].strip()
        flags.append("interval")
    elif "/" in t:
        t = t.split("/")[0].strip()
        flags.append("two_values")
    t = t.strip("() ")
    value = parse_number(t)
    if value is None:
        m = _CELL_NUM.match(t)
        if m is None:
            return None, ()
        value = _to_float(m.group(0).replace("−", "-"))
        if m.end() < len(t.rstrip()):
            flags.append("extra_text")
    return value, tuple(flags)


def significant_digits(raw: str) -> int:
    """Significant digits of the first number in a raw match.

    >>> significant_digits("4.1 hours"), significant_digits("33 hours"), significant_digits("1,200")
    (2, 2, 2)
    """
    m = re.search(r"\d[\d,]*(?:\.\d+)?", raw)
    if not m:
        return 0
    t = m.group(0).replace(",", "")
    digits = t.replace(".", "").lstrip("0")
    return len(digits if "." in t else digits.rstrip("0")) or 1
