"""Table cells → facts, by matching column headers against the metric and compute vocabulary.

Two sources of tables are read the same way:

- ``Table`` objects (pdfplumber's table finder, ``Page.tables``): header rows above the first
  numeric row give each column its meaning;
- tables in the plain text layer: a run of lines that each start with a label and end in numbers,
  under a header line ("method top-1 err. top-5 err."); the k-th header slot is the k-th number
  (right-aligned when the row has extra leading numbers such as a depth column).

A header maps to a field by exact words first, then rapidfuzz (``DEFAULT_FUZZY_CUTOFF``) against the
benchmark registry's metric vocabulary plus compute words; scale comes from the header or caption
("FLOPs (×10^9)", "Params (M)", "Million Mult-Adds", "Updates (×105)").
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process

from flopmine.benchmarks import load_registry, lowercase_names
from flopmine.types import FIELDS, METRIC_FIELDS, BBox

from .document import Page, Table
from .grid import (
    Grid,
    GridRow,
    Rule,
    is_dash,
    is_numeric,
    join_label,
    read_grids,
    upright_words,
    words_from_chars,
)
from .normalise import find_quantities, parse_cell

DEFAULT_FUZZY_CUTOFF = 90.0
DEFAULT_HEADER_LOOKBACK = 6  # lines above a text-table row searched for its header
DEFAULT_MAX_LABEL = 70  # characters of row label before the numbers

# Surface forms of each field in table headers (lower case, no punctuation but "-", "#", "@").
_SURFACE: dict[str, tuple[str, ...]] = {
    "top1_err": ("top-1 err", "top-1 error", "top1 err", "top-1 err.", "top 1 err", "top-1 val error"),
    "top5_err": ("top-5 err", "top-5 error", "top5 err", "top-5 err.", "top 5 err"),
    "top1_acc": ("top-1 acc", "top-1 accuracy", "top1 acc", "top-1 acc.", "top 1 acc", "top-1", "top1", "top 1"),
    "top5_acc": ("top-5 acc", "top-5 accuracy", "top5 acc", "top-5 acc.", "top 5 acc", "top-5", "top5", "top 5"),
    "err": ("error", "err", "err.", "cls err", "test error", "error rate", "error (%)"),
    "acc": ("accuracy", "acc", "acc.", "test accuracy"),
    "box_ap": ("ap", "box ap", "mmap", "map", "ap@[.5,.95]", "ap[.5:.95]", "apbb", "ap box", "coco ap", "apbox",
               "apbbox", "ap bbox", "apb", "aptest", "apval", "ap test", "ap val", "0.5:0.95", "map@[0.5:0.95]"),
    "mask_ap": ("apmask", "ap mask", "mask ap", "apmk", "apseg", "ap segm", "mask map", "apsegm"),
    "ap50": ("ap50", "ap@0.5", "ap@.5", "ap 50", "ap.5", "map@0.5", "map@.5", "map50", "ap0.5", "apbox50", "apbbox50", "apb50",
             "aptest50", "apval50", "ap box 50", "ap bbox 50"),
    "ap75": ("ap75", "ap@0.75", "ap@.75", "ap 75", "ap.75", "ap0.75", "map@0.75", "map@.75", "map75", "apbox75", "apbbox75", "apb75", "aptest75",
             "apval75", "ap box 75", "ap bbox 75"),
    "ap_s": ("aps", "ap s", "aps.", "ap small"),
    "ap_m": ("apm", "ap m", "ap medium"),
    "ap_l": ("apl", "ap l", "ap large"),
    "f1": ("f1", "f1 score", "f-score", "f1-score", "f", "test f1", "dev f1"),
    "em": ("em", "exact match"),
    "bleu": ("bleu", "bleu score", "en-de", "en-fr", "ende", "enfr", "en→de", "en→fr", "newstest2014"),
    "wer": ("wer", "swb", "switchboard", "word error rate"),
    "flops": ("flops", "gflops", "mflops", "bflops", "flop", "complexity", "#flops", "tflops"),
    # (the singular too, "MAdd (B)"; not "MAC", which also abbreviates memory access cost)
    "mult_adds": ("mult-adds", "multi-adds", "madds", "macs", "multiply-adds", "fma", "gmacs", "mult adds", "madd",
                  "mult-add", "multiply-add"),
    "params": ("params", "#params", "parameters", "# params", "#param", "param", "params.", "# params.", "pars",
               "#pars", "# param", "#param.", "#p", "# p", "|θ|", "#parameter", "#parameters", "# parameters",
               "# of weights", "#weights", "# weights", "weights", "# of params", "# of parameters",
               "#paras", "params (m)"),
    "hardware_count": ("# of gpus", "gpus", "#gpus", "# gpus", "num gpus", "tpus"),
    "training_time_hours": ("time (h)", "time(h)", "hours", "training time", "train time", "days", "gpu hours",
                            "training hours", "time (hours)", "time (days)", "train time (h)"),
    "epochs": ("epochs", "epoch", "#epochs"),
    "training_steps": ("updates", "steps", "iterations", "iters", "#iters", "#steps", "training steps"),
}
_BENCH_HINT: dict[str, str] = {"en-de": "wmt14_en_de", "ende": "wmt14_en_de", "en→de": "wmt14_en_de",
                               "en-fr": "wmt14_en_fr", "enfr": "wmt14_en_fr", "en→fr": "wmt14_en_fr",
                               "swb": "swb_hub500", "switchboard": "swb_hub500"}
_SCALE_WORDS: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"[×x]\s?10\^?\{?(\d{1,2})\}?"), 0.0),  # exponent read from the match
    (re.compile(r"\bgflops?\b|\bgmacs\b|\bbflops\b|\bbillions?\b|\((?:b|g|bn)\)|\bbn\b|\bgmadds\b", re.I), 1e9),
    (re.compile(r"\bmflops?\b|\bmmacs\b|\bmillions?\b|\(m\)|\bmil\.|\bmio\.?|\bm\s*$|\bmmadds\b", re.I), 1e6),
    (re.compile(r"\btflops?\b|\btrillions?\b", re.I), 1e12),
    (re.compile(r"\(k\)|\bthousands?\b", re.I), 1e3),
)
_NON_METRIC_WORDS = ("layers", "depth", "width", "crops", "models", "size", "batch", "resolution", "fps",
                     "ms", "sec", "speed", "#", "res", "stride", "channels", "dim", "heads", "ratio")


@dataclass(frozen=True)
class HeaderMatch:
    """A header resolved to a field, with a multiplier for its cells and the benchmark it names."""

    field: str
    scale: float = 1.0
    score: float = 100.0
    benchmark: str = ""
    text: str = ""


@dataclass(frozen=True)
class CellFact:
    """One value read from a table: field, value, the row label (model) and how sure the mapping is."""

    field: str
    value: float
    raw: str
    model: str
    header: str
    confidence: float
    benchmark: str = ""
    flags: tuple[str, ...] = ()
    start: int = -1  # character span in the (cleaned) page text, text tables only
    end: int = -1
    caption: str = ""  # the table's caption, when one was found
    column: int = 0  # 0-based index of the value among the row's metric columns
    evidence: str = ""  # the row as printed and its header path ("MixNet-L auto 7.3M … [Model Type …]")
    bbox: BBox | None = None  # the cell's box, grid tables only
    tags: tuple[str, ...] = ()  # what the grid saw: "bold", "header_scale", "caption_benchmark" …


@functools.lru_cache(maxsize=1)
def _vocabulary() -> dict[str, str]:
    """Surface form → field, for the fields the registry's benchmarks use plus compute fields."""
    metrics = {m for b in load_registry().values() for m in b.metrics}
    vocab: dict[str, str] = {}
    for field_name, forms in _SURFACE.items():
        if field_name in METRIC_FIELDS and field_name not in metrics:
            continue
        for f in forms:
            vocab.setdefault(f, field_name)
        vocab.setdefault(field_name.replace("_", " "), field_name)
    return vocab


_FormRow = tuple[str, str, re.Pattern[str]]


@functools.lru_cache(maxsize=1)
def _form_patterns() -> tuple[tuple[_FormRow, ...], tuple[_FormRow, ...], re.Pattern[str]]:
    """The vocabulary's forms of 2+ characters as (form, field, whole-word pattern), compiled once: in
    vocabulary order (``header_field``) and longest first, ties in vocabulary order (``_header_spans``);
    and one pattern that matches where any of them matches as a whole word (most lines hold none)."""
    rows = tuple((form, field_name, re.compile(r"(?<![\w\-])" + re.escape(form) + r"(?![\w\-])"))
                 for form, field_name in _vocabulary().items() if len(form) >= 2)
    # the forms grouped by their first character: the same lines match, but each position of a line tries a few
    # first characters instead of every form (most lines hold none)
    any_form = re.compile(r"(?<![\w\-])(?:" + grouped_by_first([form for form, _, _ in rows]) + r")(?![\w\-])")
    return rows, tuple(sorted(rows, key=lambda r: len(r[0]), reverse=True)), any_form


def grouped_by_first(forms: Iterable[str]) -> str:
    """An alternation of the literal ``forms`` grouped by their first character ("a(?:p|dam)|b(?:leu)"), each
    group's forms in the order given. Forms that can start at one position keep their order, so it matches as the
    plain alternation in that order does (while no two groups' characters are equal under the compile flags); a
    position of a line tries the few forms that start with its character, not every form.

    >>> grouped_by_first(["ap", "adam", "bleu"])
    'a(?:p|dam)|b(?:leu)'
    """
    by_first: dict[str, list[str]] = {}
    for form in forms:
        by_first.setdefault(form[0], []).append(re.escape(form[1:]))
    return "|".join(re.escape(first) + "(?:" + "|".join(rests) + ")" for first, rests in by_first.items())


def _norm_header(text: str) -> str:
    t = text.lower().replace("\n", " ")
    t = re.sub(r"[*†‡§¶∗⋆]", "", t)
    return re.sub(r"\s+", " ", t).strip(" .:")


def header_scale(text: str) -> float:
    """The multiplier a header or caption implies for its cells.

    >>> header_scale("FLOPs (×10^9)"), header_scale("Params (M)"), header_scale("Updates (×105)")
    (1000000000.0, 1000000.0, 100000.0)
    >>> header_scale("Million Mult-Adds"), header_scale("BLEU")
    (1000000.0, 1.0)
    """
    for rx, scale in _SCALE_WORDS:
        m = rx.search(text)
        if m:
            return 10.0 ** int(m.group(1)) if scale == 0.0 else scale
    return 1.0


@functools.lru_cache(maxsize=8192)
def header_field(text: str, *, cutoff: float = DEFAULT_FUZZY_CUTOFF) -> HeaderMatch | None:
    """Resolve a column header to a field (None when it names no known quantity).

    >>> header_field("top-1 err. (%)").field, header_field("Params (M)").scale, header_field("EN-DE").benchmark
    ('top1_err', 1000000.0, 'wmt14_en_de')
    >>> header_field("Acuracy").field, header_field("# layers") is None
    ('acc', True)
    """
    t = _norm_header(text)
    if not t or _CHANGE_HEADER.search(t) or OTHER_TASK_AP.search(t) or other_iou_ap(t):
        return None
    bare = re.sub(r"\([^)]*\)", "", t).strip(" .:%") or t
    vocab = _vocabulary()
    bench = ""
    for hint, b in _BENCH_HINT.items():
        if hint in t:
            bench = b
    size = re.search(r"\((small|medium|mid|large)\)", t)
    if size and (vocab.get(bare) == "box_ap" or re.search(r"\bm?ap\b", bare)):
        # a COCO two-level header: "mAP@[0.5:0.95]" over "(small)" is AP on small objects
        return HeaderMatch(_SIZE_FIELD[size.group(1)], header_scale(text), 95.0, bench, text)
    if bare in vocab:
        return HeaderMatch(vocab[bare], header_scale(text), 100.0, bench, text)
    split = _AP_SPLIT_SUBSCRIPT.fullmatch(bare)
    if split:
        # "AP^val_S" set as super- and subscript reads "APval S": the subscript still names the field (and "M"
        # is medium objects, not millions)
        sub = split.group(1)
        return HeaderMatch(_IOU_SUBHEADER.get(sub) or _SIZE_SUBHEADER[sub], 1.0, 95.0, bench, text)
    # the longest known form contained as whole words (the first in vocabulary order on a tie)
    best: tuple[int, str] | None = None
    for form, field_name, rx in _form_patterns()[0]:
        if form in bare and (best is None or len(form) > best[0]) and rx.search(bare):
            best = (len(form), field_name)
    if best is not None:
        return HeaderMatch(best[1], header_scale(text), 95.0, bench, text)
    if len(bare) >= 4 and not any(w in bare for w in _NON_METRIC_WORDS):
        hit = process.extractOne(bare, list(vocab), scorer=fuzz.ratio, score_cutoff=cutoff)
        if hit is not None:
            return HeaderMatch(vocab[hit[0]], header_scale(text), float(hit[1]), bench, text)
    return None


# A column of changes ("∆ err. (%)", "FLOPs Reduced (%)", "Top-1 gain"): its numbers are differences or
# shares, never the quantity itself, and read as it they fill the model's slot with a wrong value
_CHANGE_HEADER = re.compile(r"^[\u2206\u0394\u03b4]|\b(?:reduced|reduction|improvement|imp|gains?|drop|decrease|increase)\b")
# Habit: a detection paper's tables of other COCO tasks print their AP with the task as a sub- or superscript
# ("APkp", "AP^kp_50", "APdp" for keypoints and DensePose) or before it ("keypoint AP"): another metric than the
# box AP that "AP" alone names (mask AP has a field of its own), whatever the caption calls the table's AP
OTHER_TASK_AP = re.compile(r"\bap\s?\^?\s?_?(?:kp|dp|keypoints?|pose)|\bap\s?\(\s?(?:kp|keypoints?|pose)\s?\)|\b(?:keypoints?|(?:dense\s?)?pose)\s+(?:m?ap|average precision)\b")
# "mAP@0.7", "AP@0.3": an AP at one IoU threshold, the number right after "@" and no range after it
_ONE_IOU_AP = re.compile(r"\bm?ap\s?@\s?\[?\s?(0?\.\d+)(?![\d:,\-–])", re.I)
_FIELD_IOUS = (0.5, 0.75)  # the thresholds with fields of their own (ap50, ap75)


def other_iou_ap(header: str) -> bool:
    """Whether a header names an AP at one IoU threshold that has no field: neither the 0.5:0.95 average that box AP
    is, nor AP50 / AP75.

    Habit: a segmentation or detection ablation reports VOC's mAP at a stricter threshold ("mAP@0.5 (%)
    mAP@0.7 (%)"); "mAP" alone reads as box AP, so the column gave box APs.

    >>> other_iou_ap("mAP@0.7 (%)"), other_iou_ap("AP@0.3"), other_iou_ap("mAP@0.5 (%)"), other_iou_ap("AP@0.75")
    (True, True, False, False)
    >>> other_iou_ap("mAP@[.5,.95]"), other_iou_ap("mAP@0.5:0.95"), other_iou_ap("mAP (%)")
    (False, False, False)
    """
    m = _ONE_IOU_AP.search(header)
    return m is not None and float(m.group(1)) not in _FIELD_IOUS


_BARE_IOU = re.compile(r"@?\s?(0?\.\d+)\s*(?:\(%\))?")  # a pair's second threshold: "@0.7", "0.7", ".7 (%)"


# A table with an AP at IoU 0.7 (or another threshold COCO does not report) beside its AP at 0.5 ("mAP@0.5 (%)
# mAP@0.7 (%)") follows PASCAL VOC's or KITTI's protocol: its AP@0.5 columns are that dataset's, no COCO AP50
# (applied in ``grid_facts``; the 0.7 columns already give nothing, ``other_iou_ap``).
def names_other_iou(header: str) -> bool:
    """Whether a header names an AP at a threshold without a field (``other_iou_ap``), also as the second of a pair
    written with a slash ("mAP@0.5 / @0.7").

    >>> names_other_iou("mAP@0.5 / @0.7"), names_other_iou("mAP@0.5/0.7"), names_other_iou("mAP@0.5 / @0.75")
    (True, True, False)
    """
    for part in (p.strip() for p in header.split("/")):
        if "ap" in part.lower():
            if other_iou_ap(part):
                return True
        elif (bare := _BARE_IOU.fullmatch(part)) and float(bare.group(1)) not in _FIELD_IOUS:
            return True
    return False


_AP_SPLIT_SUBSCRIPT = re.compile(r"ap\s?(?:test|val|minival)(?:-?dev|-?std)?\d*\s?(50|75|s|m|l)")


# A bare "Top-1" / "Top-5" header says neither accuracy nor error: the values do. No ImageNet model prints a
# top-1 accuracy below this, nor a top-5 accuracy below the second; errors sit below them.
DEFAULT_TOP1_SPLIT = 50.0
DEFAULT_TOP5_SPLIT = 30.0


def _resolve(field_name: str, value: float, benchmark: str, header: str = "") -> str:
    """Accuracy vs error when the header does not say (top-1 / acc on ImageNet …).

    >>> _resolve("top1_acc", 23.5, "imagenet", "Top-1 (%)"), _resolve("top1_acc", 76.5, "", "Top-1")
    ('top1_err', 'top1_acc')
    """
    if field_name in ("top1_acc", "top5_acc") and header and not re.search(r"acc|err", header, re.I):
        split = DEFAULT_TOP1_SPLIT if field_name == "top1_acc" else DEFAULT_TOP5_SPLIT
        if value < split:
            return field_name.replace("_acc", "_err")
    if benchmark == "imagenet":
        if field_name == "err":
            return "top1_err"
        if field_name == "acc":
            return "top1_acc"
    return field_name


def plausible_cell(field_name: str, value: float) -> bool:
    """Range checks for table values (a year such as 2016 is never a count of epochs or GPUs).

    >>> plausible_cell("top1_err", 23.5), plausible_cell("top1_err", 230.0), plausible_cell("epochs", 2016)
    (True, False, False)
    """
    spec = FIELDS[field_name]
    if field_name in ("hardware_count", "training_time_hours", "epochs") and 1950 <= value <= 2030 and value == int(value):
        return False
    if spec.kind == "metric":
        return 0.0 < value <= 100.0
    lo = {"flops": 1e5, "mult_adds": 1e5, "params": 1e4, "hardware_count": 1, "training_time_hours": 0.05,
          "epochs": 0.1, "training_steps": 100}.get(field_name, 0.0)
    return value >= lo


# ---------------------------------------------------------------- pdfplumber tables


def _is_numeric(cell: str | None) -> bool:
    return bool(cell) and parse_cell(cell or "")[0] is not None and not re.search(r"[A-Za-z]{3,}", cell or "")


def table_facts(table: Table, *, benchmark: str = "") -> list[CellFact]:
    """Facts from a ``Table``: each numeric cell under a header that names a field.

    >>> t = Table(page=1, rows=(("Model", "Top-1 err.", "Params (M)"), ("Ours-50", "21.3", "25.6"),
    ...                         ("VGG [3]", "28.1", "138")), caption="Table 1: ImageNet results")
    >>> [(f.model, f.field, f.value) for f in table_facts(t, benchmark="imagenet")]
    [('Ours-50', 'top1_err', 21.3), ('Ours-50', 'params', 25600000.0), ('VGG [3]', 'top1_err', 28.1), ('VGG [3]', 'params', 138000000.0)]
    """
    rows = [tuple(c if c is None else str(c) for c in r) for r in table.rows]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    first_data = next((i for i, r in enumerate(rows) if sum(_is_numeric(c) for c in r) >= 1
                       and not all(_is_numeric(c) or not c for c in r[:1]) or sum(_is_numeric(c) for c in r) >= 2),
                      len(rows))
    headers = []
    for j in range(width):
        parts = [r[j] for r in rows[:first_data] if j < len(r) and r[j]]
        headers.append(" ".join(parts))
    matches = [header_field(h) if h else None for h in headers]
    cap_scale = header_scale(table.caption) if table.caption else 1.0
    out: list[CellFact] = []
    for r in rows[first_data:]:
        label_cell = next((c for c in r if c and not _is_numeric(c)), "") or ""
        labels = [x.strip() for x in label_cell.split("\n")] or [""]
        for j, cell in enumerate(r):
            if j >= len(matches) or matches[j] is None or not cell:
                continue
            hm = matches[j]
            assert hm is not None
            if hm.scale == 1.0 and cap_scale != 1.0 and hm.field in _SCALED_FIELDS:
                hm = HeaderMatch(hm.field, cap_scale, hm.score, hm.benchmark, hm.text)
            lines = cell.split("\n")
            for k, line in enumerate(lines):
                value, flags = _cell_value(line, hm)
                if value is None:
                    continue
                if (hm.scale == 1.0 and hm.field in ("params", "flops", "mult_adds") and value < 1e3
                        and not re.search(r"\d\s?[KMBG]\b|[×·]", line)):
                    # "Params 25.6", "FLOPs 3.9": a bare small number in a params/FLOPs column is in M / G
                    value *= 1e6 if hm.field == "params" else 1e9
                    flags = (*flags, "assumed_scale")
                model = labels[k] if len(lines) == len(labels) else labels[0]
                out.extend(_fact(hm, value, line, model, hm.text, 0.5 * hm.score / 100 * (0.8 if len(lines) > 1 else 1),
                                 benchmark, ("table", *flags), -1, -1, table.caption))
    return out


# ---------------------------------------------------------------- tables in the text layer

# A value token of a text row; a number right before a colon and a space keys what follows ("Table 3:", a
# confusion list's counts "7: and / in 4: is / was"), no value. A token never stops inside a number ("3.5h" and
# "18.3×" give no 3 and no 18), and a chain of arrows with a unit on each step ("56.4M→62.4M→62.8M") is one token.
# Numbers joined by a plus ("07+12", "07++12", "COCO+07+12": the training sets of a detection table's data column)
# are a label, no value; a signed gain standing alone ("+1.2") is still a token.
_VALUE_TOKEN = re.compile(
    r"(?<![\w.\-×/])(?<!\w\+)(?<!\w\+\+)(?:[-−]?\d+(?:[.,]\d+)*(?:\s?[×x·]\s?10\d{1,2})?(?:\s?[KMBG](?![\w]))?%?)(?:[*†‡§?]+)?"
    r"(?:\s?±\s?\d+(?:\.\d+)?)?(?:\s?(?:→|->)\s?\d+(?:\.\d+)?(?:\s?[KMBG](?!\w))?%?)*(?![\w\-×]|[.,]\d|:\s|\+\+?\w)"
)
_BRACKETED = re.compile(r"\[[^\]]{1,20}\]|\([^)]{0,30}\)")
_WORD_RUN = re.compile(r"[A-Za-z]{4,}")
_PROSE_WORDS = re.compile(r"\b(?:the|we|is|are|was|were|on|to|our|this|that|which|in|by|as|it)\b", re.I)
_SCALE_TOKEN = re.compile(r"\b(?:millions?|billions?|thousands?)\b|\((?:M|B|K|G)\)|[×x]\s?10\^?\d{1,2}", re.I)
DEFAULT_ALIGNED_CONFIDENCE = 0.6  # prior of a value read under its column header (x-aligned)
DEFAULT_X_TOLERANCE = 30.0  # points: a value belongs to the header slot whose span it overlaps or nears


@dataclass(frozen=True)
class _Slot:
    match: HeaderMatch
    x0: float | None
    x1: float | None
    line: int


def stacked_top_k(hm: HeaderMatch, x: tuple[float, float], line: int, slots: Sequence[_Slot]
                  ) -> tuple[HeaderMatch, list[_Slot]]:
    """A plain "Error" / "Accuracy" header under a "Top-1" / "Top-5" header line (a header wrapped over lines,
    maybe with "ImageNet" between) is one header: its column is the top-k's ("Top-5 Error"). Returns the
    header's field, and the slots with the lines above it in that column (up to two lines up) set to it, so a
    value goes to the same field whichever of the stacked words it is nearest.

    >>> above = [_Slot(HeaderMatch("top5_acc", text="Top-5"), 100.0, 120.0, 3)]
    >>> hm, slots = stacked_top_k(HeaderMatch("err", text="Error"), (98.0, 121.0), 4, above)
    >>> hm.field, [sl.match.field for sl in slots]
    ('top5_err', ['top5_err'])
    >>> stacked_top_k(HeaderMatch("err", text="Error"), (198.0, 221.0), 4, above)[0].field
    'err'
    """
    if hm.field not in ("err", "acc"):
        return hm, list(slots)
    column = [k for k, sl in enumerate(slots) if 0 < line - sl.line <= 2 and sl.x0 is not None
              and sl.x1 is not None and min(x[1], sl.x1) - max(x[0], sl.x0) > 0]
    top = next((slots[k] for k in column if slots[k].match.field in _TOP_FIELDS), None)
    whole = header_field(f"{top.match.text} {hm.text}") if top is not None else None
    if whole is None or whole.field not in _TOP_FIELDS:
        return hm, list(slots)
    whole = HeaderMatch(whole.field, hm.scale, hm.score, hm.benchmark or top.match.benchmark, whole.text)
    out = list(slots)
    for k in column:
        if FIELDS[out[k].match.field].kind == "metric":
            out[k] = _Slot(whole, out[k].x0, out[k].x1, out[k].line)
    return whole, out


def _row_values(line: str) -> tuple[str, list[tuple[int, int, str]]]:
    """Split a text row into its label and its trailing value tokens (span, text).

    Citations and parenthesised side values are skipped; numbers inside the label ("ResNet-152",
    "beam size 12 …" followed by prose) stay in the label. Between two values at most two words may sit
    (a device name in a column, "(P)").

    >>> _row_values("Ensemble of 5 LSTMs, beam size 12 34.81")
    ('Ensemble of 5 LSTMs, beam size', [(31, 33, '12'), (34, 39, '34.81')])
    """
    masked = _BRACKETED.sub(lambda m: " " * len(m.group(0)), line)
    vals = [(m.start(), m.end(), m.group(0)) for m in _VALUE_TOKEN.finditer(masked)]
    if not vals:
        return line.strip(), []
    if _WORD_RUN.search(masked[vals[-1][1]:]) and len(_WORD_RUN.findall(masked[vals[-1][1]:])) > 2:
        return line.strip(), []  # prose after the last number: not a table row
    first = len(vals) - 1
    while first > 0:
        gap = masked[vals[first - 1][1]:vals[first][0]]
        if len(_WORD_RUN.findall(gap)) > 2 or len(re.findall(r"[A-Za-z]{3,}", gap)) > 2:
            break
        first -= 1
    vals = vals[first:]
    label = line[:vals[0][0]].strip()
    return label, vals


_SIZE_WORD = re.compile(r"\s*(?:@\[[^\]]*\])?\s*\(?(small|medium|mid|large)\)?", re.I)
_SIZE_FIELD = {"small": "ap_s", "medium": "ap_m", "mid": "ap_m", "large": "ap_l"}
# An IoU threshold the text layer sets on the line under its AP ("APbox APbox\n50 APbox\n75 APmask"): a subscript
_IOU_SUBSCRIPT = re.compile(r"(?<![\w.])(?:50|75)(?![\w.%])")
_IOU_FIELD = {"50": "ap50", "75": "ap75"}
_MASK_M = re.compile(r"AP\s?m")  # "AP^m": mask AP where an IoU subscript goes with it (AP_M is medium objects')


def _header_spans(line: str) -> list[tuple[int, int, HeaderMatch]]:
    """Header fields with their spans, in order of appearance on a header line."""
    vocab = _vocabulary()
    low = line.lower()
    found: list[tuple[int, int, str]] = []
    if _form_patterns()[2].search(low) is None:
        return []  # no form anywhere as a whole word
    for form, _, rx in _form_patterns()[1]:
        if form not in low:
            continue  # the pattern is the form's literal text: no substring, no match
        for m in rx.finditer(low):
            if not any(s < m.end() and m.start() < e for s, e, _ in found):
                found.append((m.start(), m.end(), form))
    found.sort()
    out = []
    for s, e, form in found:
        tail = line[e:e + 14]
        size = _SIZE_WORD.match(line[e:e + 26])
        if size and vocab[form] == "box_ap":
            out.append((s, e + size.end(), HeaderMatch(_SIZE_FIELD[size.group(1).lower()], 1.0, 90.0, "",
                                                       line[s:e + size.end()])))
            continue
        scale = header_scale(form if not tail.lstrip().startswith("(") else form + " " + tail.split(")")[0] + ")")
        if scale == 1.0:
            scale = header_scale(line[s:e])
        out.append((s, e, HeaderMatch(vocab[form], scale, 90.0, _BENCH_HINT.get(form, ""), line[s:e])))
    return out


def _header_slots(line: str) -> list[HeaderMatch]:
    """Header fields in the order they appear on a header line ("method top-1 err. top-5 err.")."""
    return [hm for _, _, hm in _header_spans(line)]


def _is_data_line(line: str) -> bool:
    """A table row: a short label, then values with at most two words between them (units, marks).

    >>> _is_data_line("ResNet-152 19.38 4.49"), _is_data_line("We evaluate on the ImageNet 2012 dataset of 1000 classes")
    (True, False)
    """
    return _is_data_row(line, *_row_values(line))


# "5.3 Optimizer", "3.1. CNNs", "5.2.1 Fast R-CNN (on fixed proposals)": a numbered section's heading
_SECTION_NUMBER = re.compile(r"\s*[1-9]\d?(?:\.\d{1,2}){1,3}\.?\s+[A-Z]")


def section_heading(line: str, vals: list[tuple[int, int, str]]) -> bool:
    """Whether a text line is a numbered section's heading: its one number opens the line, written as a section
    number (one to four parts, the first 1–99) and followed by a capitalised title.

    Habit: the line reader takes a heading line ("5.3 Optimizer", "3.1. CNNs") for a table row with no label, and
    the column or caption above gives its section number a field (127.2 hours of training, a WER of 3.1).

    >>> section_heading("5.3 Optimizer", _row_values("5.3 Optimizer")[1])
    True
    >>> section_heading("3.1. CNNs", _row_values("3.1. CNNs")[1])
    True
    >>> section_heading("ResNet-50 76.1", _row_values("ResNet-50 76.1")[1])
    False
    >>> section_heading("0.75 MobileNet-224 325 31.6", _row_values("0.75 MobileNet-224 325 31.6")[1])
    False

    A number of three parts is no value token at all ("4.2.3 Comparison with FLOPs compression methods"); such a
    heading is no header line either (its "FLOPs" would head the error column of the table under it).

    >>> section_heading("4.2.3 Comparison with FLOPs compression methods", [])
    True
    """
    if not vals:
        return bool(_SECTION_NUMBER.match(line))
    return len(vals) == 1 and not line[:vals[0][0]].strip() and bool(_SECTION_NUMBER.match(line))


# The IoU thresholds a detection table's header gives its AP columns on a line of their own ("0.5 0.5:0.95 0.75")
_IOU_THRESHOLD = r"(?:0?\.50?(?:\s?:\s?0?\.95)?|0?\.75)"  # "0.5", ".50", "0.75", "0.5:0.95", "0.50:0.95"
_IOU_THRESHOLD_LINE = re.compile(rf"\s*{_IOU_THRESHOLD}(?:\s+{_IOU_THRESHOLD})+\s*")


def iou_threshold_line(line: str) -> bool:
    """Whether a text line holds only IoU thresholds, two or more: a header level of AP columns, no table row.

    >>> iou_threshold_line("0.5 0.5 0.5 0.5 0.5:0.95 0.5 0.75"), iou_threshold_line(".5 .75")
    (True, True)
    >>> iou_threshold_line("ResNet-50 0.5 0.75"), iou_threshold_line("0.5"), iou_threshold_line("0.5 76.1")
    (False, False, False)
    """
    return bool(_IOU_THRESHOLD_LINE.fullmatch(line))


def _is_data_row(line: str, label: str, vals: list[tuple[int, int, str]]) -> bool:
    """``_is_data_line`` given ``_row_values(line)`` (computed once by the caller)."""
    if not vals or len(label) > DEFAULT_MAX_LABEL:
        return False
    if section_heading(line, vals):
        return False  # "5.3 Optimizer": a heading, no row
    if iou_threshold_line(line):
        return False  # "0.5 0.5 0.5:0.95 0.5 0.75": the AP columns' IoU level of a header, no row
    tail = line[vals[0][0]:]
    words = _WORD_RUN.findall(_BRACKETED.sub(" ", tail))
    if len(words) > max(1, len(vals)):
        return False
    if len(vals) == 1 and len(label.split()) > 5:
        return False
    if len(_PROSE_WORDS.findall(label)) >= 2:
        return False  # "We evaluate on the ImageNet 2012 …": a sentence, not a row label
    return len(vals) >= 2 or len(label) < 40


def _xspan(boxes: Sequence[BBox | None] | None, start: int, end: int) -> tuple[float, float] | None:
    if not boxes:
        return None
    bs = [b for b in boxes[start:end] if b is not None]
    if not bs:
        return None
    return min(b[0] for b in bs), max(b[2] for b in bs)


def _nearest_slot(x: tuple[float, float], slots: list[_Slot]) -> _Slot | None:
    best: tuple[float, int, _Slot] | None = None
    for sl in slots:
        if sl.x0 is None or sl.x1 is None:
            continue
        overlap = min(x[1], sl.x1) - max(x[0], sl.x0)
        dist = 0.0 if overlap > 0 else -overlap
        if dist > DEFAULT_X_TOLERANCE:
            continue
        key = (dist - max(overlap, 0) * 0.01, -sl.line, sl)
        if best is None or key[:2] < best[:2]:
            best = key
    return best[2] if best else None


_SCALED_FIELDS = ("flops", "mult_adds", "params", "training_steps")


def _cell_value(tok: str, hm: HeaderMatch) -> tuple[float | None, tuple[str, ...]]:
    value, flags = parse_cell(tok)
    if value is None:
        return None, flags
    if hm.field == "training_time_hours":
        return value * (24.0 if "day" in hm.text.lower() else 1.0), flags
    if hm.field not in _SCALED_FIELDS:
        return value, flags
    q = find_quantities(tok.split("±")[0].split("/")[0], words=False)
    if q and q[0].scaled and "→" not in tok:
        return q[0].value, flags  # the cell carries its own scale ("25.6M", "4.1×109")
    return value * hm.scale, flags


DEFAULT_CAPTION_GAP = 3  # header lines a caption may sit above (a header wrapped over lines)


def foreign_caption_above(lines: Sequence[str], i: int) -> bool:
    """Whether the header at line ``i`` of the line reader sits right under a caption ("Table 10. MobileNet for
    Stanford Dogs") naming a dataset outside the registry and no registry benchmark (``foreign_level``), with only
    header lines (no row of values) between: the table's metric columns are that dataset's.

    Habit: a classification paper's transfer tables ("MobileNet for Stanford Dogs", "… on Oxford Flowers") print the
    same "Top-1 Accuracy" header as its ImageNet tables; the caption above says which dataset they are of. A caption
    below the rows is another table's and does not count.

    >>> foreign_caption_above(["Table 10. MobileNet for Stanford Dogs", "Model Top-1", "Accuracy Params"], 2)
    True
    >>> foreign_caption_above(["Table 8. Comparison on ImageNet", "Model Top-1", "Accuracy Params"], 2)
    False
    >>> foreign_caption_above(["Table 10. MobileNet for Stanford Dogs", "ResNet 76.1 25", "Model Top-1"], 2)
    False
    """
    for k in range(i - 1, max(-1, i - 1 - DEFAULT_CAPTION_GAP), -1):
        line = lines[k]
        if _CAPTION.match(line):  # the line reader's caption line, as its caption metrics read it
            return foreign_level(line)
        label, vals = _row_values(line)
        if not line.strip() or _is_data_row(line, label, vals):
            return False
    return False


# A table row of differences between the rows above it: "improvement +0.4 +0.2", "Δ -1.2", "gain +3.1"
_DELTA_LABEL = re.compile(r"(?:improvements?|improv\.|gains?|delta)(?![\w\-])|[Δ∆]", re.I)  # "ΔAP" too
# … any case but "ms", which in capitals is MS COCO's; and an input size left of the fields ("size Params FLOPs":
# "384" under "size" was read as 384M parameters)
_QUANTITY_WORD = re.compile(r"\b(?:(?i:fps|speed|latency|time|run-?time|throughput|size|resolution|res\.)|ms)(?!\w)")


def _quantity_slots(line: str, start: int, i: int, spans: list[tuple[int, int, HeaderMatch]],
                    boxes: Sequence[BBox | None]) -> list[_Slot]:
    """Slots that take the values under a header word naming a quantity that is no field ("FPS", "Time"), so that
    they are read as nothing instead of going to the nearest field's slot.

    Habit: a detection table's "mAP(%) FPS" puts the speed right of the score; its "7" sat within reach of the mAP
    slot and was read as a box AP of 7.
    """
    out = []
    for m in _QUANTITY_WORD.finditer(line):
        if any(s <= m.start() < e for s, e, _ in spans):
            continue
        x = _xspan(boxes, start + m.start(), start + m.end())
        if x is not None:
            # the field is a placeholder: the "other:task" benchmark makes the slot's cells read as nothing
            out.append(_Slot(HeaderMatch("flops", 1.0, 0.0, "other:task", m.group(0)), x[0], x[1], i))
    return out


def _iou_subscripts(line: str, start: int, i: int, slots: list[_Slot], boxes: Sequence[BBox | None]
                    ) -> tuple[list[_Slot], bool]:
    """The slots with the IoU subscripts of text line ``i`` applied, and whether every value token of the line is one.

    Habit: a detection table's header sets "AP^box_50" with its subscript on the text line under "APbox"
    ("APbox APbox\n50 APbox\n75 APmask APmask\n50 APmask\n75"); a "50" or "75" starting under a box or mask AP
    slot of the line above makes that slot AP at that IoU (a mask AP's has no field: its cells are read as no
    candidate), where every column read as box or mask AP before.
    """
    out = list(slots)
    hits = 0
    mask_m = False  # an "APm" with an IoU under it is mask AP ("AP^m_50"), not AP on medium objects
    toks = list(_IOU_SUBSCRIPT.finditer(line))
    for m in toks:
        x = _xspan(boxes, start + m.start(), start + m.end())
        for k, sl in enumerate(out):
            if (x is not None and i - sl.line == 1 and sl.x0 is not None and sl.x1 is not None
                    and (sl.match.field in ("box_ap", "mask_ap") or _MASK_M.fullmatch(sl.match.text))
                    and sl.x0 < x[0] <= sl.x1 + 2):
                hm = sl.match
                mask_m = mask_m or hm.field == "ap_m"
                field = _IOU_FIELD[m.group(0)] if hm.field == "box_ap" else "mask_ap"
                bench = hm.benchmark if hm.field == "box_ap" else "other:task"
                out[k] = _Slot(HeaderMatch(field, hm.scale, hm.score, bench, f"{hm.text} {m.group(0)}"),
                               sl.x0, sl.x1, sl.line)
                hits += 1
                break
    if mask_m:
        out = [_Slot(HeaderMatch("mask_ap", sl.match.scale, sl.match.score, sl.match.benchmark, sl.match.text),
                     sl.x0, sl.x1, sl.line) if _MASK_M.fullmatch(sl.match.text) else sl for sl in out]
    return out, bool(toks) and hits == len(toks) == len(_row_values(line)[1])


_CAPTION_START = re.compile(r"\s*(?:Table|TABLE|Figure|Fig\.)\s*\d+\s*[.:|]")


def caption_line(line: str) -> bool:
    """Whether a text line starts a table's or figure's caption ("Table 8. Transfer …", "Figure 3: …").

    >>> caption_line("Table 8. Transfer learning on ImageNet"), caption_line("Fig. 2: Speed"), caption_line("Table 8")
    (True, True, False)
    >>> caption_line("Tables 2 and 3 show"), caption_line("Table 3 shows the top-1 accuracy on ImageNet")
    (False, False)
    """
    return bool(_CAPTION_START.match(line))


# A depth or width printed in its own column between a row's name and its fields ("ResNet | 110 | 1.7M | 6.43",
# "V3-Large | 1.0 | 75.2"): a whole number of at most four digits or a multiplier
_DESCRIPTOR_TOKEN = re.compile(r"\d{1,4}|\d\.\d{1,2}×?|\d{1,2}×")


def leading_descriptors(vals: Sequence[tuple[int, int, str]], assigned: Sequence[tuple[int, int, str, _Slot, float]]
                        ) -> tuple[str, list[tuple[int, int, str, _Slot, float]]]:
    """A depth or width printed between a text row's name and its fields, and the row's assigned values without
    it. Such a number sits under no header slot ("# layers" names no field), or shares the slot of the value right
    of it, which carries the unit ("110 1.7M" both nearest "# params": 110 was read as 110M parameters); every
    leading number must look like one (``_DESCRIPTOR_TOKEN``), else there is none.

    >>> p = _Slot(HeaderMatch("params"), 100.0, 130.0, 0)
    >>> e = _Slot(HeaderMatch("err"), 150.0, 170.0, 0)
    >>> vals = [(7, 10, "110"), (11, 15, "1.7M"), (16, 20, "6.43")]
    >>> name, rest = leading_descriptors(vals, [(7, 10, "110", p, 1.0), (11, 15, "1.7M", p, 1.0), (16, 20, "6.43", e, 1.0)])
    >>> name, [a[2] for a in rest]
    ('110', ['1.7M', '6.43'])
    >>> leading_descriptors(vals, [(11, 15, "1.7M", p, 1.0), (16, 20, "6.43", e, 1.0)])[0]
    '110'
    >>> leading_descriptors(vals[1:], [(11, 15, "1.7M", p, 1.0), (16, 20, "6.43", e, 1.0)])[0]
    ''
    """
    rest = list(assigned)
    lead = [tok for s, _, tok in vals if rest and s < rest[0][0]]
    while len(rest) >= 2 and rest[0][3] is rest[1][3] and _DESCRIPTOR_TOKEN.fullmatch(rest[0][2]) \
            and not _DESCRIPTOR_TOKEN.fullmatch(rest[1][2]):
        lead.append(rest.pop(0)[2])
    if not lead or not all(_DESCRIPTOR_TOKEN.fullmatch(t) for t in lead):
        return "", list(assigned)
    return " ".join(lead), rest


_BETWEEN_DATASET_AND_METRIC = re.compile(r"[\s(\[/,:\-]*(?:[a-z]{1,3}(?:/[a-z]{1,3})*\s*)?")


def dataset_before_metric(line: str, start: int, spans: Sequence[tuple[int, int, HeaderMatch]]) -> str:
    """The dataset a header line names right before the metric starting at ``start`` ("SQuAD v2.0 (F1/EM)",
    "MNLI(m/mm Acc)"), other metrics of the same dataset and brackets between; "" when none is.

    >>> line = "Model MNLI(m/mm Acc) SQuAD v2.0 (F1/EM)"
    >>> spans = _header_spans(line)
    >>> [dataset_before_metric(line, s, spans) for s, _, _ in spans]
    ['other:mnli', 'squad20', 'squad20']
    >>> dataset_before_metric("Model Params Top-1", 13, _header_spans("Model Params Top-1"))
    ''
    """
    before = [b for b in _benchmark_spans(line) if b[1] <= start]
    if not before:
        return ""
    _, b_end, bench = before[-1]
    between = line[b_end:start]
    for s, e, _ in sorted(spans, reverse=True):
        if b_end <= s and e <= start:
            between = between[:s - b_end] + " " + between[e - b_end:]
    return bench if _BETWEEN_DATASET_AND_METRIC.fullmatch(between) else ""


_SECOND_OF_PAIR = re.compile(r"\s?/\s?(\d+(?:\.\d+)?%?)(?![\w.])")


def with_slash_partners(line: str, lines: Sequence[tuple[int, str]], assigned: Sequence[tuple[int, int, str, _Slot, float]],
                        slots: Sequence[_Slot]) -> list[tuple[int, int, str, _Slot, float]]:
    """A text row's values with the second of each pair a cell prints under a pair of fields ("92.2/89.7" under
    "F1/EM"): the first went to its slot, the second goes to the field printed after the slash on the same header
    line. Before, the second was never read (the cell is one value token). One field twice ("APtest / APval") is
    left alone.

    >>> f1, em = _Slot(HeaderMatch("f1", text="F1"), 100.0, 108.0, 0), _Slot(HeaderMatch("em", text="EM"), 112.0, 120.0, 0)
    >>> rows = [(0, "Model SQuAD (F1/EM)"), (20, "NetXL 92.2/89.7")]
    >>> [(a[2], a[3].match.field) for a in with_slash_partners(rows[1][1], rows, [(6, 10, "92.2", f1, 1.0)], [f1, em])]
    [('92.2', 'f1'), ('89.7', 'em')]
    """
    out = list(assigned)
    for _, e, _, sl, conf in assigned:
        m = _SECOND_OF_PAIR.match(line, e)
        if m is None or sl.x1 is None:
            continue
        header = lines[sl.line][1]
        right = sorted((x for x in slots if x.line == sl.line and x.x0 is not None and x.x0 >= sl.x1),
                       key=lambda x: x.x0 or 0.0)
        # one field twice ("APtest / APval") is two settings of one result, which the line reader cannot name apart
        if right and right[0].match.field != sl.match.field \
                and re.search(rf"{re.escape(sl.match.text)}\s?/\s?{re.escape(right[0].match.text)}", header):
            out.append((m.start(1), m.end(1), m.group(1), right[0], conf))
    return out


def text_table_facts(text: str, *, benchmark: str = "", boxes: Sequence[BBox | None] | None = None) -> list[CellFact]:
    """Facts from tables laid out as lines of the page text (spans index ``text``).

    With character ``boxes`` (one per character of ``text``) a value goes to the header slot above it
    (column x-overlap), which survives missing cells and headers split over lines; without boxes the
    k-th number goes to the k-th slot of the nearest header line (right-aligned).

    >>> page = "Table 2: Error rates\\nmethod top-1 err. top-5 err.\\nVGG [41] 24.4 7.1\\nOurs-152 19.38 4.49\\n"
    >>> [(f.model, f.field, f.value) for f in text_table_facts(page, benchmark="imagenet")]
    [('VGG', 'top1_err', 24.4), ('VGG', 'top5_err', 7.1), ('Ours-152', 'top1_err', 19.38), ('Ours-152', 'top5_err', 4.49)]
    >>> [(f.field, f.value) for f in text_table_facts("# params. 25.5×106\\nFLOPs 4.1×109\\n")]
    [('params', 25500000.0), ('flops', 4100000000.0)]
    """
    out: list[CellFact] = []
    lines: list[tuple[int, str]] = []
    pos = 0
    for raw in text.split("\n"):
        lines.append((pos, raw))
        pos += len(raw) + 1
    captions = _caption_metrics([ln for _, ln in lines])
    caption_text = _caption_texts([ln for _, ln in lines])
    pending: list[tuple[int, str, list[tuple[int, int, str]], int]] = []  # slotless rows: (start, label, vals, line)
    slots: list[_Slot] = []  # slots of recent header lines
    last_header = -100
    row_field: tuple[HeaderMatch, int] | None = None  # a row-oriented table: "FLOPs 4.1×109"
    scale_marks: list[tuple[float, float, float, int]] = []  # (x0, x1, scale, line) of "Million" words
    for i, (start, line) in enumerate(lines):
        if not line.strip():
            continue
        label, vals = _row_values(line)
        is_data = _is_data_row(line, label, vals)
        if vals and boxes and not label:
            slots, subscripts = _iou_subscripts(line, start, i, slots, boxes)
            is_data = is_data and not subscripts  # "50 APbox": a header line, its "50" the AP's subscript
        if is_data and _DELTA_LABEL.match(label):
            continue  # "improvement -43% -15% - +0.4 +0.2": a row of differences, no model's values
        label_hm = header_field(label) if label and len(label) <= 24 and vals else None
        if label_hm is not None and not model_names_like(label):
            # row-oriented: the label names the quantity and the numbers follow
            if FIELDS[label_hm.field].kind == "metric" and foreign_metric_row(label):
                row_field = None
                continue  # another dataset's measure ("VOC07 mAP 52.2 53.3 …"), as in a grid (``foreign_metric_row``)
            row_field = (label_hm, i)
            for s, e, tok in vals:
                value, flags = _cell_value(tok, label_hm)
                if value is not None:
                    out.extend(_fact(label_hm, value, tok, "", label_hm.text, 0.5, benchmark,
                                     ("table", "text_table", "row_header", *flags), start + s, start + e))
            continue
        if row_field is not None and i - row_field[1] == 1 and not label and len(vals) == 1:
            hm = row_field[0]
            s, e, tok = vals[0]
            value, flags = _cell_value(tok, hm)
            if value is not None:
                out.extend(_fact(hm, value, tok, "", hm.text, 0.45, benchmark,
                                 ("table", "text_table", "row_header", *flags), start + s, start + e))
            row_field = (hm, i)
            continue
        row_field = None
        if section_heading(line, vals):
            continue  # "5.3. MS COCO": a heading, neither a row nor a header ("MS COCO" would head a box AP slot)
        if not is_data:
            spans = _header_spans(line)
            # a dataset a caption's sentence names ("Table 8. … pretrained on ImageNet ILSVRC2012") heads no column:
            # the CIFAR columns under it were read as ImageNet errors
            bench_spans = _benchmark_spans(line) if len(line) < 120 and not caption_line(line) and (not spans or all(
                FIELDS[h.field].kind == "compute" for _, _, h in spans)) else []
            if bench_spans:
                metric = _nearest_caption_metric(captions, i)
                for bs, be, bname in bench_spans:
                    field_name = metric or _primary_metric(bname) or (
                        _primary_metric(next((b for _, _, b in bench_spans if not b.startswith("other:")), ""))
                        if bname.startswith("other:") else "")
                    if field_name:
                        spans.append((bs, be, HeaderMatch(field_name, 1.0, 80.0, bname, line[bs:be])))
                spans.sort(key=lambda t: t[0])
            if re.match(r"\s*(?:Table|TABLE)\s*\d", line) and pending and i - pending[-1][3] <= 2:
                metric = captions.get(i)
                if metric:
                    hm = HeaderMatch(metric, 1.0, 60.0, "", f"caption: {metric}")
                    for pstart, plabel, pvals, _li in pending:
                        for col, (s, e, tok) in enumerate(pvals):
                            value, flags = parse_cell(tok)
                            if value is not None and not re.search(r"\d[KMBG]\b|[×·]", tok):
                                out.extend(_fact(hm, value, tok, _model_label(plabel), hm.text, 0.3, benchmark,
                                                 ("table", "text_table", "caption_only", *flags),
                                                 pstart + s, pstart + e, caption_text.get(i, ""), col))
                pending = []
            if not spans and (len(_WORD_RUN.findall(line)) >= 8 or re.match(r"\s*(?:Table|Figure|Fig\.)\s*\d", line)):
                slots = []  # prose or a caption: the table above has ended
                pending = []
                continue
            for m in re.finditer(r"\((small|medium|mid|large)\)", line, re.I):
                x = _xspan(boxes, start + m.start(), start + m.end())
                for k, sl in enumerate(slots):
                    if (x is not None and 0 < i - sl.line <= 2 and sl.x0 is not None and sl.x1 is not None
                            and sl.match.field == "box_ap" and min(x[1], sl.x1) - max(x[0], sl.x0) > -5):
                        hm = sl.match
                        slots[k] = _Slot(HeaderMatch(_SIZE_FIELD[m.group(1).lower()], hm.scale, hm.score,
                                                     hm.benchmark, hm.text + " " + m.group(0)), sl.x0, sl.x1, sl.line)
            for m in _SCALE_TOKEN.finditer(line):
                x = _xspan(boxes, start + m.start(), start + m.end())
                if x is not None:
                    scale_marks.append((x[0], x[1], header_scale(m.group(0)), i))
                    # "#params" / "(million)" on the line below: the scale belongs to the slot above it
                    for k, sl in enumerate(slots):
                        if (0 < i - sl.line <= 2 and sl.x0 is not None and sl.x1 is not None
                                and sl.match.scale == 1.0 and sl.match.field in _SCALED_FIELDS
                                and min(x[1], sl.x1) - max(x[0], sl.x0) > -5):
                            hm = sl.match
                            slots[k] = _Slot(HeaderMatch(hm.field, header_scale(m.group(0)), hm.score, hm.benchmark,
                                                         hm.text), sl.x0, sl.x1, sl.line)
            if spans and len(line) < 200:
                if i - last_header > 1 and not boxes:
                    slots = []
                if boxes:
                    slots = [sl for sl in slots if i - sl.line <= 30]
                tasks = _task_spans_above(lines, i, boxes)
                foreign_caption = foreign_caption_above([ln for _, ln in lines], i)
                # a header of several datasets, each with its metrics ("MNLI(m/mm Acc) SQuAD v2.0 (F1/EM)"): each
                # metric is the dataset's printed right before it (one dataset before one metric stays as it was read)
                named_before = {s: dataset_before_metric(line, s, spans) for s, _, hm in spans
                                if FIELDS[hm.field].kind == "metric"}
                if len({b for b in named_before.values() if b}) < 2:
                    named_before = {}
                for s, e, hm in spans:
                    if foreign_caption and FIELDS[hm.field].kind == "metric" and not hm.benchmark:
                        # "Table 10. MobileNet for Stanford Dogs" right over "Model Top-1 …": that dataset's scores
                        hm = HeaderMatch(hm.field, hm.scale, hm.score, "other:task", hm.text)
                    named = named_before.get(s, "")
                    if named and not hm.benchmark:
                        hm = HeaderMatch(hm.field, hm.scale, hm.score,
                                         "other:task" if named.startswith("other:") else named, hm.text)
                    x = _xspan(boxes, start + s, start + e)
                    if x is not None and FIELDS[hm.field].kind == "metric" and not hm.benchmark and any(
                            min(x[1], t1) - max(x[0], t0) > -5 for t0, t1 in tasks):
                        # a metric set under another task's name ("ReCoRD" over "F1/EM"): that task's results
                        hm = HeaderMatch(hm.field, hm.scale, hm.score, "other:task", hm.text)
                    if x is not None and hm.scale == 1.0 and FIELDS[hm.field].kind == "compute":
                        for mx0, mx1, sc, li in scale_marks:
                            if 0 < i - li <= 2 and min(x[1], mx1) - max(x[0], mx0) > -5:
                                hm = HeaderMatch(hm.field, sc, hm.score, hm.benchmark, hm.text)
                    if x is not None:
                        hm, slots = stacked_top_k(hm, x, i, slots)
                    slots.append(_Slot(hm, x[0] if x else None, x[1] if x else None, i))
                if boxes:
                    slots.extend(_quantity_slots(line, start, i, spans, boxes))
                last_header = i
            continue
        if not slots or i - last_header > 40:
            pending.append((start, label, vals, i))
            continue
        assigned: list[tuple[int, int, str, _Slot, float]] = []
        if boxes and all(sl.x0 is not None for sl in slots):
            for s, e, tok in vals:
                x = _xspan(boxes, start + s, start + e)
                sl = _nearest_slot(x, slots) if x is not None else None
                if sl is not None:
                    assigned.append((s, e, tok, sl, DEFAULT_ALIGNED_CONFIDENCE))
        else:
            latest = [sl for sl in slots if sl.line == max(x.line for x in slots)]
            exact = len(vals) == len(latest)
            if len(vals) >= len(latest):
                pairs = list(zip(vals[len(vals) - len(latest):], latest, strict=True))
            else:
                pairs = list(zip(vals, latest, strict=False))
            assigned = [(s, e, tok, sl, 0.55 if exact else 0.35) for (s, e, tok), sl in pairs]
        if boxes:
            assigned = with_slash_partners(line, lines, assigned, slots)
        cap = _nearest_caption_text(caption_text, i)
        metric_col = -1
        row_model = _model_label(label)
        if boxes and assigned and row_model:
            descriptors, assigned = leading_descriptors(vals, assigned)
            row_model = f"{row_model} {descriptors}" if descriptors else row_model
        for s, e, tok, sl, conf in assigned:
            if FIELDS[sl.match.field].kind == "metric":
                metric_col += 1
            if sl.match.benchmark == "other:task":
                continue
            value, flags = _cell_value(tok, sl.match)
            if value is None:
                continue
            if (sl.match.scale == 1.0 and sl.match.field in ("params", "flops", "mult_adds") and value < 1e3
                    and not re.search(r"\d\s?[KMBG]\b|[×·]", tok)):
                # a bare small number under "Params" / "FLOPs" is in millions / billions
                value *= 1e6 if sl.match.field == "params" else 1e9
                flags = (*flags, "assumed_scale")
                conf *= 0.8
            # the evidence as a grid cell's: the row as printed, then the header line its column was read from
            evidence = f"{line.strip()} [{lines[sl.line][1].strip()}]"
            out.extend(replace(f, evidence=evidence) for f in _fact(
                sl.match, value, tok, row_model, sl.match.text, conf, benchmark,
                ("table", "text_table", *flags), start + s, start + e, cap, max(metric_col, 0)))
    return out


def _task_spans_above(lines: Sequence[tuple[int, str]], i: int, boxes: Sequence[BBox | None] | None
                      ) -> list[tuple[float, float]]:
    """The x-spans of other datasets' names (GLUE's and SuperGLUE's tasks, "NewsQA", "VOC 2007") on the line
    right above line ``i`` (at most one empty line between), when that line is no table row; a name whose span
    a registry benchmark's name overlaps ("SQuAD 2.0" set close to "ReCoRD") and a pre-training source
    ("ImageNet-21k", "JFT-300M": where the model learned, not where it was measured) are left out.

    Habit: a multi-task table prints the tasks on one header line and each task's metric under it ("BoolQ  CB
    ReCoRD  SQuAD 1.1" over "Acc  F1/Acc  F1/EM  F1"); the line reader, which reads the metric line as the
    header, would otherwise take a task's F1 for SQuAD's."""
    if not boxes:
        return []
    for k in (i - 1, i - 2):
        if k < 0:
            return []
        start, line = lines[k]
        if not line.strip():
            continue
        named = [(a, b) for a, b, _ in _benchmark_spans(line)] + [m.span() for m in TABLE_DATASETS.finditer(line)]
        if _is_data_line("".join(" " if any(a <= c < b for a, b in named) else ch for c, ch in enumerate(line))):
            return []  # a table row (the numbers of a name, "SQuAD 1.1", do not make one)
        registry = [x for a, b, name in _benchmark_spans(line)
                    if not name.startswith("other:") and (x := _xspan(boxes, start + a, start + b)) is not None]
        names = [x for rx in (TABLE_DATASETS, OTHER_DATASETS) for m in rx.finditer(line)
                 if not names_registry_benchmark(m.group(0)) and not PRETRAIN_SOURCE.search(m.group(0))
                 and (x := _xspan(boxes, start + m.start(), start + m.end())) is not None]
        return [x for x in names if not any(min(x[1], o[1]) - max(x[0], o[0]) > 0 for o in registry)]
    return []


# A caption line: "Table 3: …", "TABLE IV. …", "Tab. 2 …" (IEEE papers number tables in Roman numerals)
_CAPTION = re.compile(r"^\s*(?:Table|TABLE|Tab\.)\s*(?:\d+|[IVX]+)(?![\w])[.:]?\s*(.*)$")


def _caption_metrics(lines: list[str]) -> dict[int, str]:
    """For each caption line ("Table 3: Test error (%) on CIFAR"), the metric its words name."""
    out: dict[int, str] = {}
    for i, line in enumerate(lines):
        m = _CAPTION.match(line)
        if not m:
            continue
        text = m.group(1) + " " + (lines[i + 1] if i + 1 < len(lines) else "")
        found = [hm for _, _, hm in _header_spans(text) if FIELDS[hm.field].kind == "metric"]
        if found:
            out[i] = found[0].field
    return out


def _caption_texts(lines: list[str]) -> dict[int, str]:
    """Caption lines ("Table 3: …" plus the line after) by line index."""
    return {i: (line + " " + (lines[i + 1] if i + 1 < len(lines) else "")).strip()
            for i, line in enumerate(lines) if _CAPTION.match(line)}


def _nearest_caption_text(captions: dict[int, str], i: int) -> str:
    after = [k for k in captions if 0 < k - i <= 25]
    before = [k for k in captions if 0 < i - k <= 25]
    if after:
        return captions[min(after)]
    return captions[max(before)] if before else ""


def _nearest_caption_metric(captions: dict[int, str], i: int) -> str:
    after = [k for k in captions if 0 < k - i <= 25]
    before = [k for k in captions if 0 < i - k <= 12]
    if after:
        return captions[min(after)]
    if before:
        return captions[max(before)]
    return ""


@functools.lru_cache(maxsize=1)
def _benchmark_alias_re() -> re.Pattern[str]:
    forms: dict[str, str] = {}
    for name, b in load_registry().items():
        for a in (*b.aliases, name):
            if len(a) >= 4:
                forms[a.lower()] = name
    _BENCH_FORMS.update(forms)
    # Every form starts with one of a few letters: the lookahead rules out most positions of a line before the
    # alternation of every form is tried there (same matches, about a third of text_table_facts' regex time;
    # tests/test_extract_speed.py checks it against the pattern without it).
    firsts = "".join(sorted({re.escape(f[0]) for f in forms}))
    # … and behind it the forms grouped by that letter, longest first within each group as in one list: a
    # position tries the few forms that can match there, in the order the whole list would try them
    grouped = grouped_by_first(sorted(forms, key=len, reverse=True))
    return re.compile(r"(?<![\w\-])(?=[" + firsts + r"])(" + grouped + r")(?![\w\-])", re.I)


_BENCH_FORMS: dict[str, str] = {}

def _first_letter_guard(pattern: str) -> re.Pattern[str]:
    """``pattern``, an alternation of branches that each start with a plain letter (after an optional
    ``\\b``), compiled behind a lookahead for those letters: the same matches, found ≈ 10× faster
    (Python's ``re`` otherwise tries every branch at every position of a page). A pattern with any
    other kind of branch is compiled as it is.

    >>> rx = _first_letter_guard(r"\\bVOC\\b|PASCAL(?:[\\s\\-]VOC)?|Pets")
    >>> rx.pattern[:9], [m.group(0) for m in rx.finditer("PASCAL VOC, VOC and Pets")]
    ('(?=[PV])(', ['PASCAL VOC', 'VOC', 'Pets'])
    >>> _first_letter_guard(r"a?b|c").pattern
    'a?b|c'
    """
    firsts: set[str] = set()
    depth, i, n, at_branch = 0, 0, len(pattern), True
    while i < n:
        ch = pattern[i]
        if at_branch:
            if pattern.startswith("\\b", i):
                i += 2
                continue
            if not ch.isalnum() or (i + 1 < n and pattern[i + 1] in "?*{"):
                return re.compile(pattern)  # not a plain letter first: no guard
            firsts.add(ch)
            at_branch = False
        if ch == "\\":
            i += 2
            continue
        if ch == "[":  # a character class: skip to its end
            i = pattern.index("]", i + 2) + 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            at_branch = True
        i += 1
    if at_branch or not firsts:
        return re.compile(pattern)
    return re.compile("(?=[" + "".join(sorted(firsts)) + "])(?:" + pattern + ")")


# Datasets that are not in the benchmark registry but sit next to registry benchmarks in papers; a
# number next to them (or in their column) is not a registry result.
OTHER_DATASETS = _first_letter_guard(
    r"PASCAL(?:[\s\-]VOC)?|\bVOC\s?(?:20)?\d\d(?:\d\d)?\b|\bVOC\b|Cityscapes|ImageNet[\s\-]ReaL|ImageNet[\s\-]?21[kK]|ImageNet[\s\-]?V2|"
    r"JFT(?:-300M)?|\bVTAB\b|Oxford[\s\-](?:Pets|Flowers|IIIT)|\bPets\b|\bFlowers\b|FGVC|Stanford Cars|\bSVHN\b|"
    r"\bMNIST\b|\bGLUE\b|\bMNLI\b|\bSWAG\b|SQuAD\s?(?:v?2\.0|2)|\bCoNLL[\s\-]?2012\b|OntoNotes|\bWMT[\s'’]?(?:20)?1[5-9]\b|"
    r"IWSLT|CallHome|Places365|\bKITTI\b|\bADE20K\b|Food-?101|Caltech|Stanford[\s\-]Dogs|\bSUN\s?397\b|\bDTD\b|"
    r"\bKinetics(?:-\d{3})?\b|\bNIST\b|\bKBP\b")
# … and datasets that head a table's columns or rows beside registry benchmarks: GLUE's and SuperGLUE's tasks and
# the other reading-comprehension sets of NLP tables, the fine-grained sets of transfer tables. Read in captions,
# row labels, every level of a grid's column headers (``foreign_level``, ``row_dataset``; since the tenth round) and
# on the line over the line reader's header (``_task_spans_above``), not in running text nor as the line reader's
# header slots: there they would make prose lines ("… report accuracies for RACE") look like a table's header.
TABLE_DATASETS = _first_letter_guard(
    r"\bCoLA\b|\bSST-?2\b|\bMRPC\b|\bSTS-?B\b|\bQQP\b|\bQNLI\b|\bRTE\b|\bWNLI\b|NewsQA|TriviaQA|SearchQA|"
    r"HotpotQA|Natural Questions|\bRACE\b|ReCoRD|\bBoolQ\b|\bCOPA\b|MultiRC|\bWiC\b|\bWSC\b|"
    r"\biNat(?:uralist)?(?:\s?20\d\d)?\b|Birdsnap|"
    # face verification's benchmarks, a row each in the face tables of classification papers
    r"\bLFW\b|\bYTF\b|YouTube[\s\-]Faces|MegaFace|MS[\s\-]?Celeb(?:[\s\-]1M)?|\bMSC\b|\bIJB-?[ABC]\b|\bAgeDB|"
    # Hub5'00's CallHome half ("SWB CH" columns: the Switchboard benchmark is its SWB half) and the RT-02/03/04 sets
    r"\bCH\b|\bRT-?0[234]\b")


def _benchmark_spans(line: str) -> list[tuple[int, int, str]]:
    """Benchmark names used as column headers ("# params CIFAR-10 CIFAR-100"); other datasets'
    columns ("ImageNet ReaL", "Pets") come back as ``other:<name>``."""
    return list(_benchmark_spans_cached(line))


@functools.lru_cache(maxsize=4096)
def _benchmark_spans_cached(line: str) -> tuple[tuple[int, int, str], ...]:
    # header lines and grid header levels repeat across a page's readers: computed once per text
    rx = _benchmark_alias_re()
    registry = [(m.start(), m.end(), _BENCH_FORMS[m.group(1).lower()]) for m in rx.finditer(line)]
    # a dataset the registry has learned since it joined the list of others ("SQuAD 2.0") is the registry's, and so
    # is another's name inside a longer registry alias ("NIST" in "NIST Hub5")
    others = [(m.start(), m.end(), "other:" + m.group(0).lower()) for m in OTHER_DATASETS.finditer(line)
              if m.group(0).lower() not in _BENCH_FORMS
              and not any(s <= m.start() and m.end() <= e and e - s > m.end() - m.start() for s, e, _ in registry)]
    # … and a bare language pair right after another year's WMT ("WMT’16 English-German") is that year's test set
    spans = [(s0, e0, b) for s0, e0, b in registry if not any(s < e0 and s0 < e for s, e, _ in others)
             and not (b.startswith("wmt") and not re.search(r"wmt|\d", line[s0:e0], re.I)
                      and any(b2.startswith("other:wmt") and 0 <= s0 - e <= 2 for _, e, b2 in others))]
    return tuple(sorted(spans + others))


@functools.lru_cache(maxsize=1)
def _short_aliases() -> dict[str, str]:
    forms: dict[str, str] = {}
    for name, b in load_registry().items():
        for a in (*b.aliases, name):
            forms.setdefault(re.sub(r"[\s\-]", "", a.lower()), name)
    return forms


def header_benchmark(level: str) -> str:
    """The benchmark a whole header level names, abbreviations included: the short aliases prose is not searched
    for ("C10", too easily another thing in running text) and their printed variants ("C-10", "C10+", "C-100").
    Habit: CIFAR tables head their error columns "C-10 C-100" or "C10+ C100+".

    >>> header_benchmark("C-10"), header_benchmark("C10+"), header_benchmark("C-100"), header_benchmark("CIFAR 100")
    ('cifar10', 'cifar10', 'cifar100', 'cifar100')
    >>> header_benchmark("C4"), header_benchmark("Params")
    ('', '')
    """
    key = re.sub(r"[\s\-]", "", level.lower()).rstrip("+")
    return _short_aliases().get(key, "")


def _primary_metric(benchmark: str) -> str:
    b = load_registry().get(benchmark)
    return b.primary_metric if b else ""


# Habit: a paper says once, in prose, which of a benchmark's metrics it reports ("In SQuAD and the closed book
# tasks we report the percentage of answers exactly matching the target"), and then heads its tables' columns by
# the benchmark alone ("GLUE | SQuAD | SuperGLUE"): those columns hold that metric, not the registry's primary one
_REPORT = re.compile(r"\breport(?:s|ed|ing)?\b", re.I)
_METRIC_PHRASES = ((re.compile(r"\bexact(?:ly)?[\s-]+match(?:es|ed|ing)?\b", re.I), "exact match"),)


def declared_metrics(text: str) -> dict[str, str]:
    """Benchmark → the one metric of its registry metrics that a sentence of ``text`` says is reported for it
    (a sentence with "report" naming the benchmark and exactly one of its metrics); a benchmark two sentences
    declare differently is left out.

    >>> declared_metrics("In SQuAD and the closed book tasks we report the percentage of answers exactly "
    ...                  "matching the target. Results are in Table 5.")
    {'squad11': 'em'}
    >>> declared_metrics("On SQuAD we report EM and F1."), declared_metrics("SQuAD exact match is 87.2.")
    ({}, {})
    """
    reg = load_registry()
    found: dict[str, set[str]] = {}
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if not _REPORT.search(sentence):
            continue
        benches = {b for _, _, b in _benchmark_spans(sentence) if b in reg}
        if not benches:
            continue
        for rx, form in _METRIC_PHRASES:
            sentence = rx.sub(form, sentence)
        metrics = {h.field for _, _, h in _header_spans(sentence)}
        for b in benches:
            named = metrics & set(reg[b].metrics)
            if len(named) == 1:
                found.setdefault(b, set()).update(named)
    return {b: next(iter(ms)) for b, ms in found.items() if len(ms) == 1}


def model_names_like(label: str) -> bool:
    """Whether a row label looks like a model name rather than a quantity ("ResNet-50" vs "FLOPs")."""
    return bool(re.search(r"[A-Z][a-z]+[A-Z]|[A-Za-z]-\d|\d+-layer", label))


def _fact(hm: HeaderMatch, value: float, tok: str, model: str, header: str, conf: float, benchmark: str,
          flags: tuple[str, ...], start: int, end: int, caption: str = "", column: int = 0) -> list[CellFact]:
    bench = hm.benchmark or benchmark
    name = _resolve(hm.field, value, bench, hm.text or header)
    if not plausible_cell(name, value):
        return []
    if FIELDS[name].kind == "metric" and re.search(r"\d[KMBG]\b|[×·]", tok):
        return []
    if name in ("hardware_count", "training_steps") and abs(value - round(value)) > 1e-9:
        return []
    return [CellFact(name, value, tok.strip(), model, header, conf, bench, flags, start, end, caption, column)]


# Row labels that are never a model: metric and compute column words, layers, activations, normalisations and
# optimisers (an ablation table's rows), set or split names, and the header of the label column. A layer is
# "conv", "conv1", "conv3x3", "conv5_x", "convolution(s)": a name that goes on after "Conv" ("ConvS2S", "ConvNeXt",
# "ConvNet") is a model.
_NOT_MODEL_LABEL = re.compile(
    r"(?:top-?[15](?:\s*(?:acc(?:uracy)?|err(?:or)?))?|acc(?:uracy)?|err(?:or)?|m?ap(?:50|75|_?[sml])?|ap@?\.?\d*|"
    r"bleu|f1|em|wer|#?\s*param(?:eter)?s?|m?flops|g?flops|m?adds|mult-?adds|macs?|latency|speed|fps|time|"
    r"batch\s*norm|bn|layer\s*norm|ln|group\s*norm|gn|relu6?|gelu|swish|h-?swish|sigmoid|tanh|softmax|dropout|"
    r"conv(?:olution(?:al)?s?|s|\d\w*|_\w+)?|pool\w*|max\s*pool\w*|avg\s*pool\w*|linear|fc|sgd|adam\w*|rmsprop|momentum|"
    r"train(?:ing)?|val(?:idation)?|test(?:-?dev)?|dev|minival|average|mean|avg|total|none|n/?a|"
    r"models?|methods?|approach(?:es)?|architectures?|networks?|backbones?)",
    re.I)
# footnote glyphs, and the bullets that tell rows apart in print ("• ConvNeXt-XL" / "◦ Swin-L" for the
# pre-training data): none is part of the name
_LABEL_MARKS = re.compile(r"[\u2020\u2021\u00a7\u00b6*\u22c6\u2605\u2606\u2217\u2022\u25e6\u25aa\u25cf\u25cb]+")
# …but the alembic DeiT introduced marks a distilled model ("TinyViT-21M⚗"), a setting of its own: it becomes the word
_DISTILLED_MARK = re.compile(r"\s*\u2697")
_CITATION = re.compile(r"\s*\[[\d,\s\u2013-]{1,20}\]")


DEFAULT_LABEL_CHARS = 40  # the row's start (its label) kept when a long row is cut around its value


def fit_evidence(row: str, header: str, raw: str, limit: int) -> str:
    """A table cell's evidence, "row as printed [column headers]", in at most ``limit`` characters.

    The habit it serves: the reviewer reads a cell by its row (the model) and its column (the header); a long
    row or header cut at the end would lose the header, or the value itself. The header keeps at most half of
    ``limit``; a row too long keeps its label and the stretch around the value.

    >>> fit_evidence("ResNet-50 25.6M 4.1G", "Model Params FLOPs", "4.1G", 300)
    'ResNet-50 25.6M 4.1G [Model Params FLOPs]'
    >>> fit_evidence("Net-A " + "1.0 " * 30 + "77.7", "Model " + "Acc " * 40, "77.7", 80)
    'Net-A 1.0 … 1.0 1.0 1.0 1.0 1.0 77.7 [Model Acc Acc Acc Acc Acc Acc Acc Acc A…]'
    """
    if not header:
        return row[:limit]
    if len(row) + len(header) + 3 <= limit:
        return f"{row} [{header}]"
    if len(header) > limit // 2:
        header = header[:limit // 2 - 1].rstrip() + "…"
    room = limit - len(header) - 3
    at = row.rfind(raw) if raw else -1
    if len(row) > room and at >= 0 and at + len(raw) > room:
        head = _whole_words(row[:min(DEFAULT_LABEL_CHARS, room // 3) + 1], keep="start")
        tail = _whole_words(row[max(0, at + len(raw) - (room - len(head) - 3)):at + len(raw)], keep="end")
        row = f"{head} … {tail}"
    if len(row) > room:
        row = _whole_words(row[:room + 1], keep="start")
    return f"{row} [{header}]"


def _whole_words(text: str, keep: str) -> str:
    """``text`` less the word cut at its end (``keep="start"``) or at its start (``keep="end"``)."""
    parts = text.split(" ")
    if len(parts) > 1:
        parts = parts[:-1] if keep == "start" else parts[1:]
    return " ".join(parts).strip()


def clean_row_label(label: str) -> str:
    """A table row label as a model name: citation marks, daggers and stars removed; "" when the label is a
    column word, a dataset, a layer or an optimiser rather than a model.

    >>> clean_row_label("ResNet-50 [12]\u2020"), clean_row_label("MobileNetV2*"), clean_row_label("Top-1")
    ('ResNet-50', 'MobileNetV2', '')
    >>> clean_row_label("ReLU6"), clean_row_label("CIFAR-10"), clean_row_label("MAdds"), clean_row_label("Ours")
    ('', '', '', 'Ours')
    >>> clean_row_label("conv3x3"), clean_row_label("conv5_x"), clean_row_label("ConvS2S (BPE 40K)"), clean_row_label("ConvNeXt")
    ('', '', 'ConvS2S (BPE 40K)', 'ConvNeXt')
    >>> clean_row_label("Top-1 Acc. (%)"), clean_row_label("#Params (M)"), clean_row_label("EfficientNet-B7 (ours)")
    ('', '', 'EfficientNet-B7 (ours)')
    """
    text = _CITATION.sub("", label)
    text = _LABEL_MARKS.sub("", _DISTILLED_MARK.sub(" distill", text))
    text = re.sub(r"\s+", " ", text).strip(" :|,;")
    bare = re.sub(r"\s*\([^)]*\)|[.%]", "", text).strip()  # "Top-1 Acc. (%)", "#Params (M)": the word alone
    if not text or _NOT_MODEL_LABEL.fullmatch(bare) or _is_dataset_name(bare):
        return ""
    return text


def _is_dataset_name(text: str) -> bool:
    if OTHER_DATASETS.fullmatch(text) or TABLE_DATASETS.fullmatch(text):
        return True
    return text.lower() in lowercase_names()  # asked about eight times a page


def _model_label(label: str) -> str:
    return _BRACKETED.sub("", label).strip(" :|") if label else ""


# ---------------------------------------------------------------- grids read from geometry (extract.grid)

DEFAULT_GRID_CONFIDENCE = 0.6  # prior of a value under a header that names its field
DEFAULT_BENCH_COLUMN_CONFIDENCE = 0.45  # … under a benchmark name, the field from the caption or registry
# a short cell with a number left of every field column is part of the row's name: a width multiplier or an
# input size printed in its own column ("V3-Large | 1.0 | 75.2 …")
DEFAULT_DESCRIPTOR_CHARS = 8
# … when the row's label is printed for several rows ("V3-Large 1.0", "V3-Large 0.75"), at most this many, and
# not a measurement printed before the fields (speed, time, memory: "33 ms", "60" under "FPS")
DEFAULT_MAX_DESCRIPTORS = 2
_MEASURE_HEADER = re.compile(r"fps|time|\bms\b|latency|speed|throughput|img/s|s/img|memory|\bgb\b", re.I)
_MULTI_SPLIT = re.compile(r"\s*/\s*")


# COCO tables print AP at IoU thresholds and per object size as bare sub-headers under one spanning AP header
# ("Avg. Precision, IoU:" over "0.5:0.95 0.5 0.75", "Avg. Precision, Area:" over "S M L", "AP" over "50 75").
_IOU_SUBHEADER = {"0.5:0.95": "box_ap", ".5:.95": "box_ap", "0.5": "ap50", ".5": "ap50", "50": "ap50",
                  "0.75": "ap75", ".75": "ap75", "75": "ap75"}
_SIZE_SUBHEADER = {"s": "ap_s", "small": "ap_s", "m": "ap_m", "medium": "ap_m", "mid": "ap_m", "l": "ap_l",
                   "large": "ap_l"}
_AP_SPANNING = re.compile(r"\b(?:avg\.?|average)\s+precision\b", re.I)


def _ap_subheader(path: Sequence[str]) -> HeaderMatch | None:
    """The COCO field of a bare IoU or object-size sub-header under a spanning box AP header; None otherwise
    (and under a mask AP header, which has no field for its AP50 or small objects).

    >>> _ap_subheader(("Avg. Precision, IoU:", "0.75")).field, _ap_subheader(("AP", "S")).field
    ('ap75', 'ap_s')
    >>> _ap_subheader(("Avg. Recall, #Dets:", "10")) is None, _ap_subheader(("APmask", "50")) is None
    (True, True)
    >>> _ap_subheader(("COCO test-dev2015", "0.75")).field, _ap_subheader(("VOC2007 test", "0.5")) is None
    ('ap75', True)
    """
    if len(path) < 2:
        return None
    sub = _norm_header(path[-1]).strip("() ")
    field_name = _IOU_SUBHEADER.get(sub) or _SIZE_SUBHEADER.get(sub)
    if field_name is None:
        return None
    for level in reversed(path[:-1]):
        hm = header_field(level)
        parent = hm.field if hm is not None else ("box_ap" if _AP_SPANNING.search(level) else "")
        if not parent and "." in sub and any(b == "coco" for _, _, b in _benchmark_spans(level)):
            # the COCO split spanning its IoU thresholds ("COCO test-dev2015" over "0.5:0.95 0.5 0.75"): box AP
            parent = "box_ap"
        if parent == "box_ap":
            return HeaderMatch(field_name, 1.0, 95.0, "", " ".join(path))
        if parent:
            return None
    return None


_TOP_FIELDS = frozenset({"top1_err", "top5_err", "top1_acc", "top5_acc"})


_LIBRISPEECH_SPLIT = re.compile(r"(?:test[\s\-]?)?(clean|other)", re.I)


def librispeech_split(path: Sequence[str], caption: str) -> str:
    """The LibriSpeech test set a column heads when it is named by its split alone: speech papers head their WER
    columns "clean" / "other" (under "No LM" / "With LM") and name LibriSpeech in the caption or a spanning
    header only. "" when LibriSpeech is not named there, or no level is a split.

    >>> librispeech_split(["With LM", "other"], "Table 2. WERs on LibriSpeech test sets."), librispeech_split(["clean"], "")
    ('librispeech_test_other', '')
    """
    if "librispeech" not in (caption + " " + " ".join(path)).lower():
        return ""
    for level in reversed(path):
        m = _LIBRISPEECH_SPLIT.fullmatch(level.strip())
        if m:
            return f"librispeech_test_{m.group(1).lower()}"
    return ""


# Habit: a column headed by a dataset outside the registry beside its metric ("VOC 2007 mAP (%)", "mAP (%)" over
# "VOC 2012 test", "Acc" over "MNLI"): its values are that dataset's results, no registry benchmark's, as a column
# headed by the dataset alone gives none. A pre-training source ("JFT→1K", "ImageNet-21K pre-trained", "IG-1B")
# names where the model learned, not where it was measured.
_AVERAGE_HEADER = re.compile(r"\(?\s*(?:avg|average|mean)\.?\s*\)?")
PRETRAIN_SOURCE = re.compile(r"jft|21k|22k|\big-|instagram|→|->|pre-?train", re.I)


def foreign_level(level: str) -> bool:
    """Whether a header level (or a caption, or a row label) names a dataset outside the registry as where its
    values were measured: another dataset named, no registry benchmark named, no pre-training source.

    >>> foreign_level("VOC 2007 mAP (%)"), foreign_level("NewsQA"), foreign_level("COCO minival mAP (%)")
    (True, True, False)
    >>> foreign_level("JFT→1K"), foreign_level("ImageNet-21K pre-trained"), foreign_level("Top-1")
    (False, False, False)
    """
    other = any(b.startswith("other:") for _, _, b in _benchmark_spans(level)) or TABLE_DATASETS.search(level) is not None
    return other and not names_registry_benchmark(level) and not PRETRAIN_SOURCE.search(level)


# A column of the test set's part: translation papers score the sentences without unknown words apart ("All" beside
# "No UNK", "no UNK"); the benchmark's result is the whole set's
_TEST_SUBSET = re.compile(r"\b(?:no|without|w/o)[\s\-]?unk\b", re.I)


def names_test_subset(level: str) -> bool:
    """Whether a header level names a part of the test set (``_TEST_SUBSET``): its values are no benchmark result.

    >>> names_test_subset("No UNK◦"), names_test_subset("no-UNK"), names_test_subset("All"), names_test_subset("Unknown")
    (True, True, False, False)
    """
    return bool(_TEST_SUBSET.search(level))


def names_registry_benchmark(level: str) -> bool:
    """Whether a header level (or a caption) names a registry benchmark: by one of its aliases, or as a whole by a
    short one (``header_benchmark``).

    >>> names_registry_benchmark("COCO minival mAP (%)"), names_registry_benchmark("C-10"), names_registry_benchmark("VOC 2007")
    (True, True, False)
    """
    return bool(header_benchmark(level)) or any(not b.startswith("other:") for _, _, b in _benchmark_spans(level))


def row_dataset(label: str) -> str:
    """The dataset a row label names as a whole: its registry benchmark, or "other:<name>" for one outside the
    registry that is no pre-training source; "" when the label is no dataset.

    Habit: transfer and multi-task tables give a row per dataset ("CIFAR-100 | NASNet-A 87.5% … | EfficientNet-B7
    91.7%", "iNat 2018 | 75.4 80.1 83.0"): the row's values are results on that dataset, whatever the page names
    nearest; a dataset outside the registry gives no registry result.

    >>> row_dataset("CIFAR-100"), row_dataset("iNat 2018"), row_dataset("Birdsnap [3]"), row_dataset("C-10")
    ('cifar100', 'other:inat 2018', 'other:birdsnap', 'cifar10')
    >>> row_dataset("ResNet-50"), row_dataset("JFT-300M"), row_dataset("CIFAR-10 ResNet")
    ('', '', '')

    A dataset outside the registry printed with more of its name than the list knows ("Oxford Flowers-102",
    "Oxford-IIIT-Pets", "VTAB (19 tasks)") is still that dataset:

    >>> row_dataset("Oxford Flowers-102"), row_dataset("Oxford-IIIT-Pets"), row_dataset("VTAB (19 tasks)")
    ('other:oxford flowers', 'other:oxford-iiit', 'other:vtab')
    >>> row_dataset("Pets ResNet-50"), row_dataset("Flowers-102 ViT-B/16")
    ('', '')
    """
    text = re.sub(r"\s+", " ", _CITATION.sub("", _LABEL_MARKS.sub("", label))).strip(" :|,;")
    if not text or PRETRAIN_SOURCE.search(text):
        return ""
    if TABLE_DATASETS.fullmatch(text):
        return "other:" + text.lower()
    spans = _benchmark_spans(text)
    if len(spans) == 1 and spans[0][0] == 0 and spans[0][1] == len(text):
        return spans[0][2]
    if spans and spans[0][0] == 0 and all(b.startswith("other:") for _, _, b in spans):
        rest = text
        for s, e, _ in reversed(spans):
            rest = f"{rest[:s]} {rest[e:]}"
        if _NAME_REST.fullmatch(rest):
            return spans[0][2]
    return header_benchmark(text) if not spans else ""


# what may follow another dataset's name in a row label and still be its name: a number glued on by a hyphen
# ("Flowers-102"), the hyphens between listed parts ("Oxford-IIIT-Pets"), a remark in brackets ("(19 tasks)")
_NAME_REST = re.compile(r"(?:[\s\-]+\d+)*[\s\-]*(?:\([^)]*\))?\s*")


def label_header_dataset(text: str) -> str:
    """The dataset the header over a table's row labels names, when it names exactly one and no pre-training
    source: its registry benchmark, or "other:<name>"; "" otherwise.

    Habit: a results table in sections whose first section's heading is set on the header line, over the row
    labels ("WMT’16 English-Romanian | BLEU", then heading rows "WMT’14 English-German BLEU" …), or a small
    table per language pair headed so ("WMT’14 English-German | BLEU"): the rows under it are results on that
    dataset, not on the one the page names nearest.

    >>> label_header_dataset("WMT’16 English-Romanian"), label_header_dataset("WMT'14 English-German")
    ('other:wmt’16', 'wmt14_en_de')
    >>> label_header_dataset("Model"), label_header_dataset("ImageNet-21K pre-trained"), label_header_dataset("")
    ('', '', '')
    """
    if not text or PRETRAIN_SOURCE.search(text):
        return ""
    names = {b for _, _, b in _benchmark_spans(text)}
    return names.pop() if len(names) == 1 else ""


def foreign_metric_row(label: str) -> bool:
    """Whether a row label names a dataset outside the registry and a metric: the row holds that dataset's results.

    Habit: a table with a column per model or setting gives a row per measure ("VOC07 mAP | 58.0 59.2 66.9",
    "test rate (s/im) | 0.14 0.32"); a PASCAL VOC mAP row reads as COCO's box AP under the page's benchmark.

    >>> foreign_metric_row("VOC07 mAP"), foreign_metric_row("SVHN error (%)"), foreign_metric_row("VOC07")
    (True, True, False)
    >>> foreign_metric_row("COCO mAP"), foreign_metric_row("ResNet-50 mAP"), foreign_metric_row("JFT top-1")
    (False, False, False)
    """
    text = re.sub(r"\s+", " ", _CITATION.sub("", _LABEL_MARKS.sub("", label))).strip(" :|,;")
    if not text or not foreign_level(text):
        return False
    rest = " ".join(x for x in OTHER_DATASETS.split(TABLE_DATASETS.sub(" ", text)) if x).strip()
    hm = header_field(rest) if rest else None
    return hm is not None and FIELDS[hm.field].kind == "metric"


# Habit: a summary table of a paper's best results, a row per dataset ("Dataset | model | test perf.": "CIFAR-10 |
# WRN-40-10 | 3.8%", "COCO test-std | WRN-34-2 | 35.2 mAP"): the result column's header names no metric, each row's
# dataset does (its headline metric, the registry's primary one)
_RESULT_HEADER = re.compile(r"(?:(?:test|val(?:idation)?|best|our)\s+)?(?:perf\.?|performance|results?|scores?)")


def dataset_result(header: str, row_data: str) -> HeaderMatch | None:
    """The field of a cell under a header naming a result but no metric ("test perf.", "Result") in a row of a
    registry dataset (``row_dataset``): that dataset's primary metric; None otherwise.

    >>> dataset_result("test perf.", "cifar10").field, dataset_result("Result", "coco").field
    ('err', 'box_ap')
    >>> dataset_result("test perf.", "other:svhn"), dataset_result("dropout", "cifar10"), dataset_result("Result", "")
    (None, None, None)
    """
    b = load_registry().get(row_data) if row_data else None
    if b is None or not b.primary_metric or not _RESULT_HEADER.fullmatch(_norm_header(header)):
        return None
    return HeaderMatch(b.primary_metric, 1.0, 70.0, row_data, header)


# A quantity that is no score: cost, speed, time, memory, size. A column headed by one over a benchmark's name
# ("Training Cost (FLOPs)" over "EN-DE", "Speed (FPS)" over "COCO", "Time (ms)" under "ImageNet") holds that
# quantity measured on the benchmark, not the benchmark's result.
# Milliseconds are written "ms" in lowercase: the capitals "MS" open datasets' names ("MS COCO", "MS-Celeb-1M"); a
# "Sec." before a number refers to a section.
_NO_SCORE = re.compile(r"\b(?:cost|flops?|g?macs|m?adds|mult-adds|time|speed|throughput|latency|memory|"
                       r"params?|parameters|size|hours?|days?|gpus?|tpus?|steps|iter(?:ation)?s|epochs?|fps|"
                       r"(?-i:ms)|sec(?:ond)?s?(?!\.\s?\d)|im/s|img/s|images/s|ratio)\b", re.I)


def names_no_score(level: str) -> bool:
    """Whether a header level names a quantity that is no benchmark result (``_NO_SCORE``).

    >>> names_no_score("Training Cost (FLOPs)"), names_no_score("Speed (FPS)"), names_no_score("EN-DE")
    (True, True, False)
    >>> names_no_score("ImageNet"), names_no_score("test-dev"), names_no_score("Top-1 err. (%)")
    (False, False, False)
    """
    return bool(_NO_SCORE.search(level))


def wrapped_top_k(path: Sequence[str]) -> HeaderMatch | None:
    """The top-k field a header wrapped over lines names as a whole ("Top-5" / "Error"), also when a dataset's
    name sits between the k and the measure ("Top-5" / "ImageNet" / "Accuracy"): the dataset is the column's
    benchmark, and the words around it are one header. None when the path names no top-k field.

    >>> wrapped_top_k(["Top-5", "ImageNet", "Accuracy"]).field, wrapped_top_k(["Top-1", "Error"]).field
    ('top5_acc', 'top1_err')
    >>> wrapped_top_k(["ImageNet", "Accuracy"]) is None
    True
    """
    # the dataset's name taken out first: fuzzy matching reads "Top-1 ImageNet Err." as an accuracy
    for text in (" ".join(t for t in (_setting_text(level) for level in path) if t), " ".join(path)):
        whole = header_field(text) if text else None
        if whole is not None and whole.field in _TOP_FIELDS:
            return whole
    return None


def _column_match(path: Sequence[str], caption: str, declared: Mapping[str, str] | None = None
                  ) -> tuple[HeaderMatch | None, str, str]:
    """A column's field from its header path, deepest level first (a sub-header says more than the spanning
    header over it, which supplies the field when the sub-header is "224×" or "val"); and the benchmark a
    level names (a spanning "ImageNet", a "CIFAR-10" column), whose metric, when no level names one, is the
    caption's, else the one the paper says it reports (``declared_metrics``), else the registry's primary one.
    Returns (match, benchmark, scale source)."""
    bench = ""
    for level in reversed(path):
        spans = [b for _, _, b in _benchmark_spans(level)] or [b for b in (header_benchmark(level),) if b]
        if spans:
            bench = spans[0]
            break
    full = " ".join(path)
    if not bench:
        bench = librispeech_split(path, caption)
    no_score = any(names_no_score(level) for level in path)

    def implied(m: HeaderMatch | None) -> bool:
        # a metric only a benchmark's name implies ("EN-DE" → BLEU) under a quantity ("Training Cost (FLOPs)"):
        # the cells are that quantity measured on the benchmark
        return m is not None and no_score and bool(m.benchmark) and FIELDS[m.field].kind == "metric"

    hm: HeaderMatch | None = _ap_subheader(path)
    for level in reversed(path if hm is None else ()):
        hm = header_field(level)
        if implied(hm):
            hm = None
        elif hm is not None:
            break
    if hm is None and full:
        hm = header_field(full)
        hm = None if implied(hm) else hm
    elif hm is not None and hm.field in ("err", "acc") and len(path) >= 2:
        # a header wrapped over two lines ("Top-5" / "Error") is one header: the whole path says which error
        whole = wrapped_top_k(path)
        if whole is not None:
            hm = whole
    if hm is None and bench and not bench.startswith("other:") and not no_score:
        metric = next((h.field for _, _, h in _header_spans(caption) if FIELDS[h.field].kind == "metric"), "")
        metric = metric or (declared or {}).get(bench) or _primary_metric(bench)
        if metric:
            hm = HeaderMatch(metric, 1.0, 80.0, bench, full)
    if hm is None:
        return None, bench, ""
    if len(path) >= 2 and any(_CHANGE_HEADER.search(_norm_header(level)) for level in path[:-1]):
        # a spanning header naming a change over quantities ("Reduction Rate" over "Params / FLOPs"): ratios
        return None, bench, ""
    if FIELDS[hm.field].kind == "metric" and any(foreign_level(level) or names_test_subset(level) for level in path):
        # another dataset's column: no registry result (as a column headed by it alone); GLUE's tasks and the other
        # reading-comprehension sets head columns with their metric under them ("MRPC (3.7k)" over "F1/Acc") in
        # tables that also hold SQuAD's, whose F1 and EM they would read as
        return None, bench, ""
    scale_src = ""
    scale = hm.scale
    if scale == 1.0 and hm.field in _SCALED_FIELDS:
        scale = header_scale(full)
        if scale == 1.0 and caption:
            scale = header_scale(caption)
            scale_src = "caption" if scale != 1.0 else ""
        else:
            scale_src = "header" if scale != 1.0 else ""
    elif scale != 1.0:
        scale_src = "header"
    b = hm.benchmark or (bench if not bench.startswith("other:") else hm.benchmark)
    return HeaderMatch(hm.field, scale, hm.score, b, full or hm.text), bench, scale_src


def _assumed_scale(field_name: str, values: Sequence[float]) -> float:
    """The scale of bare numbers in a FLOPs / params column whose header and cells give none: one unit per
    column, as tables print it. FLOPs columns of mobile networks are in millions (values in the hundreds:
    "219", "565"), of larger ones in billions ("4.1", "11.5"); parameter counts below 10,000 are millions.

    >>> _assumed_scale("mult_adds", [219, 66, 300]), _assumed_scale("flops", [4.1, 7.8]), _assumed_scale("params", [25.6])
    (1000000.0, 1000000000.0, 1000000.0)
    """
    if not values:
        return 1.0
    top = max(values)
    if field_name == "params":
        return 1e6 if top < 1e4 else 1.0
    if field_name in ("flops", "mult_adds"):
        if top >= 1e4:
            return 1.0
        return 1e6 if top >= 100 else 1e9
    return 1.0


_TOTAL_LABEL = re.compile(r"\(?\s*total\s*\)?", re.I)
# A column of the network part a row's model is built from: its backbone ("RefineDet512 | ResNet-101"), or the
# encoder's partner a transducer or encoder-decoder table names each row by ("encoder | predictor")
_BACKBONE_HEADER = re.compile(r"(?:backbone|base network|feature extractor|encoder|decoder|predictor|net|network)s?(?: network| model| arch\.?)?")
_RATIO_CELL = re.compile(r"\(?\d+(?:\.\d+)?\s?[x×]\)?")
_NAME_HEADER = re.compile(r"(?:our |baseline |best )?(?:models?|methods?|networks?|architectures?|arch\.?)")
# Habit: a method in the label column and the network it trains in a name column beside it ("Method |
# Architecture | Param. | Top-1": "BYOL (ours) | ResNet-50 (4×)"; "framework | model | params": "MoCo v3 | ViT-L"):
# one method on two networks is two models, and the network joins the method's name as a backbone column does
_ARCH_HEADER = re.compile(r"(?:models?|architectures?|arch\.?)")
DEFAULT_GROUP_CHARS = 40  # a longer group heading is a title or a description ("YOLOv4: Optimal Speed and …")


def _row_model(row: GridRow, descriptors: Sequence[str], base: str = "") -> str:
    """The row's model name: its label, the short descriptor cells left of the field columns ("1.0",
    "auto"), and the group heading above it when the label alone is no name ("+ SE", "Ours", "×1.0"); without
    a group heading, a label that adds to a model ("+RNNLM rescoring") names the row it adds to (``base``)."""
    label = row.label
    if row.group and not model_names_like(label) and len(label) <= 24 and len(row.group) <= DEFAULT_GROUP_CHARS:
        label = f"{row.group} {label}".strip()
    elif not row.group and base and label.startswith("+"):
        label = f"{base} {label}"
    return " ".join(x for x in (label, *descriptors) if x)


# A model family as captions and headers name it: a CamelCase name with its version ("ShuffleNet v2",
# "MobileNetV3", "EfficientNet-B0"), or a name with a number ("ResNet-50")
_FAMILY = re.compile(r"\b[A-Z][A-Za-z]*[a-z][A-Z][A-Za-z]*(?:[\s\-]?[vV]\d+(?:\.\d+)?)?|\b[A-Z][A-Za-z]+-\d+\b")


def _model_family(grid: Grid) -> str:
    """The model family a table is about, for columns headed by a size alone ("0.5× 1× 2×", "Small Large"):
    a family named in the header over the row labels, else the caption's first model name that is no dataset.

    >>> g = Grid((0, 0, 1, 1), (("1×",),), (), caption="Table 5: Architecture of ShuffleNet v2 on ImageNet.")
    >>> _model_family(g)
    'ShuffleNet v2'
    """
    for text in (grid.label_header, grid.caption):
        for m in _FAMILY.finditer(text):
            if not _is_dataset_name(m.group(0)) and not OTHER_DATASETS.fullmatch(m.group(0)):
                return m.group(0)
    return ""


def _column_model(path: Sequence[str], family: str) -> str:
    """The model of a transposed table's column: its header, with the table's family in front when the header
    is only a size or width ("2×" → "ShuffleNet v2 2×"); a header that names a model stays as it is.

    >>> _column_model(("Output channels", "2×"), "ShuffleNet v2"), _column_model(("DeBERTa1.5B",), "DeBERTa")
    ('ShuffleNet v2 2×', 'DeBERTa1.5B')
    """
    head = path[-1] if path else ""
    if not head or not family or model_names_like(head) or _FAMILY.search(head) \
            or len(re.findall(r"[A-Za-z]", head)) > DEFAULT_SIZE_HEADER_LETTERS:
        return head
    return f"{family} {head}"


DEFAULT_SIZE_HEADER_LETTERS = 6  # a column header of a size ("2×", "Small", "Large") has few letters


_SEGMENTATION_CAPTION = re.compile(r"segmentation", re.I)
_DETECTION_CAPTION = re.compile(r"detection|\bbox|bbox|bounding", re.I)
_MASK_SUB = re.compile(r"ap\s?(?:m|mk|mask)\s?(?:50|75)")  # "APm50", "AP^m_75": mask AP at an IoU
_BOX_SAYS = re.compile(r"bb|box|det", re.I)
_ColumnMatch = tuple[HeaderMatch | None, str, str]


def _mask_columns(grid: Grid, cols: list[_ColumnMatch]) -> list[_ColumnMatch]:
    """Mask AP where the table says so without the word "mask": an "APm" column beside "APm50" / "APm75" (Mask
    R-CNN tables write mask AP as AP^m, not AP on medium objects), and the AP columns of a table whose caption
    is about segmentation and not detection ("Instance segmentation results on COCO": mAP, AP50 …). Mask AP at
    an IoU or per object size has no field: those columns give nothing rather than a box AP."""
    lasts = [_norm_header(h[-1]).replace(" ", "") if h else "" for h in grid.headers]
    mask_family = any(_MASK_SUB.fullmatch(x) for x in lasts)
    seg_table = bool(grid.caption and _SEGMENTATION_CAPTION.search(grid.caption)
                     and not _DETECTION_CAPTION.search(grid.caption))
    if not mask_family and not seg_table:
        return cols
    out: list[_ColumnMatch] = []
    for (hm, bench, src), last, path in zip(cols, lasts, grid.headers, strict=True):
        if hm is not None and mask_family and last == "apm":
            hm = HeaderMatch("mask_ap", hm.scale, hm.score, hm.benchmark, hm.text)
        elif hm is not None and mask_family and _MASK_SUB.fullmatch(last):
            hm = None
        elif hm is not None and seg_table and hm.field in _BOX_FIELDS and not _BOX_SAYS.search(" ".join(path)):
            hm = HeaderMatch("mask_ap", hm.scale, hm.score, hm.benchmark, hm.text) if hm.field == "box_ap" else None
        out.append((hm, bench, src))
    return out


_BOX_FIELDS = frozenset({"box_ap", "ap50", "ap75", "ap_s", "ap_m", "ap_l"})


DEFAULT_SETTING_CHARS = 24  # a longer header level is a run of dataset names or a sentence, not one setting


def column_settings(headers: Sequence[Sequence[str]], cols: Sequence[_ColumnMatch]) -> dict[int, str]:
    """The setting of each column that shares its field and benchmark with another column of the table.

    Habit: one row prints the same quantity under several sub-headers ("top-1 err" spanning "224×" and
    "320×"; "single-scale" / "multi-scale" over AP; "val" / "test-dev"). The header levels that tell those
    columns apart are a setting of the model, and go into its name ("SKNet-101 (224×)"): without it the
    row's two values share one slot and one of them is always wrong. Levels that name a field are no setting.

    >>> hm = HeaderMatch("top1_err")
    >>> column_settings([("top-1 err", "224×"), ("top-1 err", "320×"), ("#P",)], [(hm, "", ""), (hm, "", ""),
    ...                 (HeaderMatch("params"), "", "")])
    {0: '224×', 1: '320×'}
    """
    groups: dict[tuple[str, str], list[int]] = {}
    for j, (hm, _, _) in enumerate(cols):
        if hm is not None and j < len(headers):
            groups.setdefault((hm.field, hm.benchmark), []).append(j)
    out: dict[int, str] = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        common = set.intersection(*(set(headers[j]) for j in members))
        # headers that differ only inside the level naming the field ("#parameter before pruning" / "… after
        # pruning"): the words one header has and another lacks are the setting (two names of one field,
        # "|θ|" and "#parameter", share no word and give none)
        words = {j: re.findall(r"[a-z0-9][a-z0-9\-]+", " ".join(headers[j]).lower()) for j in members}
        shared = set.intersection(*(set(w) for w in words.values()))
        for j in members:
            levels = [_setting_text(lvl) for lvl in headers[j] if lvl not in common and header_field(lvl) is None
                      and len(lvl) <= DEFAULT_SETTING_CHARS and len(_benchmark_spans(lvl)) < 2]
            setting = " ".join(x for x in levels if x)
            if not setting and shared and all(header_field(lvl) is not None for lvl in headers[j] if lvl not in common):
                setting = " ".join(w for w in words[j] if w not in shared)
            # the test split is the headline result a paper's model is known by: it keeps the bare name, the
            # other columns ("Dev", "val") are told apart from it
            if setting and not _TEST_SPLIT.fullmatch(setting):
                out[j] = setting
    for j, (hm, _, _) in enumerate(cols):
        split = _ap_split(headers[j][-1]) if hm is not None and j < len(headers) and headers[j] else ""
        if split and j not in out:
            out[j] = split
    return out


_SPLIT_SETTING = re.compile(r"\b(dev(?:elopment)?|minival)(?:\s?\d{4})?\b", re.I)
_TEST_WORD = re.compile(r"\btest", re.I)


def split_setting(text: str) -> str:
    """The split a caption or group heading says every value under it was measured on, when it is a dev or
    minival split ("dev", "minival"); "" when it names none, or names the test split as well (then the columns
    tell the splits apart, and the test result keeps the model's bare name).

    >>> split_setting("Table 2: Development set results for base models"), split_setting("Results (dev) of TinyBERT")
    ('dev', 'dev')
    >>> split_setting("Object detection results on the COCO minival set."), split_setting("Reported Dev and Test F1")
    ('minival', '')
    >>> split_setting("Top-1 error on ImageNet validation"), split_setting("device")
    ('', '')
    """
    m = _SPLIT_SETTING.search(text) if text else None
    if m is None or _TEST_WORD.search(text):
        return ""
    return "dev" if m.group(1).lower().startswith("dev") else m.group(1).lower()


# COCO detectors print the split inside the AP header ("AP^val", "AP^test", "APval 50"): a value under a val or
# minival AP is the model's val result, told apart from its test-dev one (the headline, which keeps the bare name)
_AP_SPLIT = re.compile(r"(?<![a-z])m?ap\s?(?:bb|box)?\s?(val|minival)(?:\d{4})?(?![a-z])", re.I)


def _ap_split(header: str) -> str:
    """The split an AP header names, when it is not the test split.

    >>> _ap_split("APval 50"), _ap_split("APtest"), _ap_split("AP"), _ap_split("APminival")
    ('val', '', '', 'minival')
    """
    m = _AP_SPLIT.search(header)
    return m.group(1).lower() if m else ""


_TEST_SPLIT = re.compile(r"test(?:[\s\-](?:dev|std|set))?\d*", re.I)


_UNIT_MARK = re.compile(r"\(\s*%\s*\)|\[\s*%\s*\]")


def _setting_text(level: str) -> str:
    """A header level as a setting: a registry benchmark's name dropped (the benchmark is the slot's already),
    the split or size kept ("COCO test-dev" → "test-dev"); another dataset's name stays ("Flowers").

    >>> _setting_text("COCO test-dev"), _setting_text("224×"), _setting_text("CIFAR-10"), _setting_text("SQuAD v1.1")
    ('test-dev', '224×', '', '')
    >>> _setting_text("With LM (%)")
    'With LM'
    """
    rest = level
    for s, e, bench in reversed(_benchmark_spans(level)):
        if not bench.startswith("other:"):
            rest = rest[:s] + " " + rest[e:]
    rest = _UNIT_MARK.sub(" ", rest)  # "No LM (%)": the unit is the column's, not the setting's
    rest = " ".join(rest.split()).strip(" ,;:/-")
    # an alias may hold the split itself ("COCO test-dev"): the split is still the setting
    return rest or " ".join(m.group(0) for m in _SPLIT_WORD.finditer(level))


# Habit: an input-size column beside the row label ("image size", "Input", "Size", "Eval size", "crop size",
# "Input res."). One model evaluated at two sizes is two results ("ConvNeXt-B" at 224² and at 384²): when the
# column holds more than one size, the size is the row's setting and joins its model's name, "ConvNeXt-B (384)",
# as split and header settings do. One size for every row tells no model apart and leaves the names bare.
_INPUT_SIZE_HEADER = re.compile(
    r"(?:(?:input|image|img|crop|train(?:ing)?|test(?:ing)?|eval(?:uation)?|inference)\.?\s*)*"
    r"(?:size|res(?:olution)?\.?|crop\.?|input)(?:\s*\((?:px|pixels?)\))?")
_SQUARED = re.compile(r"(\d{2,4})\s*(?:²|\^2|[×x]\s*\1)")
DEFAULT_SQUARED_MIN = 2000  # "2242": a size whose superscript ² the text layer glued on (224²); true sizes this big end in 0, 6 or 8


def input_size(text: str) -> str:
    """An input-size cell as the setting it names: the side of a square input, or "" when it is no size.

    >>> input_size("384²"), input_size("2242"), input_size("512×512"), input_size("↑512"), input_size("1280")
    ('384', '224', '512', '512', '1280')
    >>> input_size("1333×800"), input_size("-"), input_size("auto")
    ('1333×800', '', '')
    """
    t = text.strip().lstrip("↑@ ")
    m = _SQUARED.fullmatch(t)
    if m:
        return m.group(1)
    if re.fullmatch(r"\d{2,5}", t):
        n = int(t)
        return t[:-1] if n >= DEFAULT_SQUARED_MIN and t.endswith("2") else t
    if re.fullmatch(r"\d{2,4}\s*[×x]\s*\d{2,4}", t):
        return re.sub(r"\s*[×x]\s*", "×", t)
    return ""


def input_size_columns(grid: Grid, cols: Sequence[_ColumnMatch]) -> dict[int, list[str]]:
    """The input-size columns of a grid that tell rows apart (two sizes or more), with each row's size.

    >>> from flopmine.extract.grid import Cell
    >>> g = Grid((0, 0, 1, 1), (("image", "size"), ("FLOPs",)), (GridRow("A", (Cell("2242", (0, 0, 1, 1)), None), ""),
    ...          GridRow("A", (Cell("3842", (0, 0, 1, 1)), None), "")))
    >>> input_size_columns(g, [(None, "", ""), (HeaderMatch("flops"), "", "")])
    {0: ['224', '384']}
    """
    out: dict[int, list[str]] = {}
    for j in range(len(grid.headers)):
        if cols[j][0] is not None or not grid.headers[j] \
                or not _INPUT_SIZE_HEADER.fullmatch(_norm_header(grid.header(j))):
            continue
        sizes = [input_size(r.cells[j].text) if j < len(r.cells) and r.cells[j] is not None else "" for r in grid.rows]
        if len({s for s in sizes if s}) >= 2:
            out[j] = sizes
    return out


_SPLIT_WORD = re.compile(r"\b(?:test-dev\d*|test-std|minival\d*|val\d*|dev|test|valid(?:ation)?)\b", re.I)


_PLAIN_VALUE = re.compile(r"[-−]?\d+(?:\.\d+)?%?(?:\s*\([^)]*\))?")


def continue_labels(grid: Grid, first_field: int, *, headed: bool = True) -> Grid:
    """The grid with each row label continued into the header-less columns left of its values (any column left
    of them when ``headed`` is False: no header of the table names a field, its caption does).

    Habit: a long row label set over several columns with no header of their own ("Single LSTM with | 6 layers |
    + PosUnk", "CondenseNetlight | -160∗"): the words there are the rest of the model's name, and without them
    rows that differ only there share one name and one slot. Numbers alone there stay descriptors (a depth, a
    width) for ``grid_facts`` to judge.

    >>> from flopmine.extract.grid import Cell
    >>> box = (0, 0, 1, 1)
    >>> g = Grid(box, ((), (), ("BLEU",)), (GridRow("Single LSTM with", (Cell("6 layers", box), Cell("+ PosUnk", box),
    ...          Cell("33.1", box)), ""), GridRow("CondenseNetlight", (Cell("-160∗", box), None, Cell("3.5", box)), "")))
    >>> [r.label for r in continue_labels(g, 2).rows]
    ['Single LSTM with 6 layers + PosUnk', 'CondenseNetlight-160∗']
    >>> g = Grid(box, ((), ("Params",)), (GridRow("AOGNet-60M", (Cell("60.7M", box), Cell("60.7M", box)), ""),))
    >>> [r.label for r in continue_labels(g, 1).rows]
    ['AOGNet-60M']
    """
    blank = [j for j in range(min(first_field, len(grid.headers)))
             if not headed or not any(x.strip() for x in grid.headers[j])]
    if not blank:
        return grid
    rows = []
    for row in grid.rows:
        label, cells = row.label, list(row.cells)
        for j in blank:
            cell = cells[j] if j < len(cells) else None
            # words ("6 layers", "+ PosUnk"), or a hyphenated name's number ("-160∗"); never a quantity ("60.7M")
            if cell is None or is_dash(cell.text) or not (
                    (re.search(r"[A-Za-z]{2}", cell.text) and not is_numeric(cell.text))
                    or (re.fullmatch(r"-\d+[*\u2217\u2020\u2021]*", cell.text) and label[-1:].isalpha())):
                continue
            label = join_label(label + ("-" if cell.text.startswith("-") and label else ""),
                               cell.text[1:] if cell.text.startswith("-") and label else cell.text)
            cells[j] = None
        rows.append(row if label == row.label else replace(row, label=label, cells=tuple(cells)))
    return replace(grid, rows=tuple(rows))


# Habit: speech and language tables give a model's parameter count in a "Size" / "Model size" column ("14M",
# "1.5B"). The header names no field (a "Size" column elsewhere is an input size, "224"); cells that all carry a
# count's suffix say which.
_SIZE_HEADER = re.compile(r"(?:model\s*)?size|#\s*size")
_COUNT_CELL = re.compile(r"\d+(?:\.\d+)?\s?[KMB]")
DEFAULT_MIN_COUNT_CELLS = 2


def _size_count_columns(grid: Grid, cols: list[_ColumnMatch]) -> list[_ColumnMatch]:
    """``cols`` with each "Size" column whose cells are all counts ("14M", "18M") read as parameters."""
    out = list(cols)
    for j, (hm, bench, src) in enumerate(cols):
        if hm is not None or not grid.headers[j] or not _SIZE_HEADER.fullmatch(_norm_header(grid.headers[j][-1])):
            continue
        texts = [r.cells[j].text.strip() for r in grid.rows  # type: ignore[union-attr]
                 if j < len(r.cells) and r.cells[j] is not None and not is_dash(r.cells[j].text)]  # type: ignore[union-attr]
        if len(texts) >= DEFAULT_MIN_COUNT_CELLS and all(_COUNT_CELL.fullmatch(t) for t in texts):
            out[j] = (HeaderMatch("params", 1.0, 70.0, "", " ".join(grid.headers[j])), bench, src)
    return out


def level_dataset_names(level: str) -> list[str]:
    """The datasets a header level names, in order, each as printed up to the next one ("MNLI-m/mm SQuAD v1.1
    SQuAD v2.0 RACE ReCoRD" → five names); [] when it names none.

    >>> level_dataset_names("MNLI-m/mm SQuAD v1.1 SQuAD v2.0 RACE ReCoRD")
    ['MNLI-m/mm', 'SQuAD v1.1', 'SQuAD v2.0', 'RACE', 'ReCoRD']
    >>> level_dataset_names("Top-1 Acc."), level_dataset_names("ImageNet")
    ([], ['ImageNet'])
    """
    starts = sorted({s for s, _, _ in _benchmark_spans(level)} | {m.start() for m in TABLE_DATASETS.finditer(level)})
    if not starts or level[:starts[0]].strip():
        return []  # words before the first name: a phrase about datasets, not a row of their names
    return [level[a:b].strip() for a, b in zip(starts, [*starts[1:], len(level)], strict=True)]


def split_dataset_levels(headers: Sequence[Sequence[str]]) -> tuple[tuple[str, ...], ...]:
    """Header paths with a level that spans several columns and names exactly as many datasets split into one
    name per column, in order.

    Habit: a multi-task table sets its dataset names close together on one line over each dataset's metric
    ("MNLI-m/mm  SQuAD v1.1  SQuAD v2.0  RACE" over "Acc  F1/EM  F1/EM  Acc"); read as one phrase spanning the
    four columns, every column would take the first name's benchmark, and SQuAD 2.0's EM SQuAD 1.1's.

    >>> split_dataset_levels([("MNLI SQuAD v1.1", "Acc"), ("MNLI SQuAD v1.1", "F1/EM"), ("SWAG NER", "Acc")])
    (('MNLI', 'Acc'), ('SQuAD v1.1', 'F1/EM'), ('SWAG NER', 'Acc'))
    """
    out = [list(path) for path in headers]
    j = 0
    while j < len(out):
        k = j + 1
        while k < len(out) and len(out[k]) == len(out[j]) and out[k][:-1] == out[j][:-1]:
            k += 1  # columns whose paths agree but for their last level: every upper level spans columns j..k-1
        for depth in range(len(out[j]) - 1):
            names = level_dataset_names(out[j][depth])
            if k - j >= 2 and len(names) == k - j:
                for c, name in zip(range(j, k), names, strict=True):
                    out[c][depth] = name
        j = k
    return tuple(tuple(path) for path in out)


# mean intersection over union: the score of semantic segmentation, which no registry benchmark reports
_MIOU = re.compile(r"\bm\.?\s?IoU\b", re.I)


def segmentation_table(headers: Sequence[Sequence[str]], cols: Sequence[_ColumnMatch]) -> bool:
    """Whether a grid is a semantic segmentation results table: a header names mIoU and no column a registry
    metric.

    Habit: classification papers add a segmentation table ("Backbone OS mIOU Madds (f) Madds (h)", "backbone
    input crop. mIoU #param. FLOPs"), whose FLOPs and parameters are the segmentation network's (a decoder over the
    backbone, at a full-resolution input: billions of mult-adds) and whose row labels run into its settings
    ("V3 16 72.6"); read as the model's compute, they sat far off the paper's scale near the top of its lists.
    A table that also reports a registry metric (box AP beside mIoU) keeps its cells.
    """
    if not any(_MIOU.search(level) for path in headers for level in path):
        return False
    # a one-letter header read as a metric ("F" for F1) is a setting of the segmentation head (its filters)
    return not any(c[0] is not None and FIELDS[c[0].field].kind == "metric" and len(c[0].text.strip()) > 1
                   for c in cols)


# a rate or resource a table compares instead of a score: "Throughput (imgs/sec/gpu)", "Latency (ms)", "Memory"
# ("Sec. 4", a section's number, is no unit)
_MEASURE_CAPTION = re.compile(r"\b(?:through\w{0,3}put|speed|latency|memory|fps|im(?:g|age)?s?/s(?:ec)?|"
                              r"sec(?:ond)?s?(?!\.\s?\d))\b", re.I)


def caption_measures_first(caption: str, metric_at: int) -> bool:
    """Whether a caption names a rate or resource (throughput, latency, speed, memory) before the metric it names
    at ``metric_at``: the table's cells are that measure, the metric a side remark.

    Habit: "Table 15. Throughput (imgs/sec/gpu) comparison (higher is better). All models have similar ImageNet
    top-1 accuracy." over "batch=1 batch=4 …": the cells are images a second, read as top-1 accuracy before.

    >>> c = "Throughput (imgs/sec/gpu) comparison. All models have similar ImageNet top-1 accuracy."
    >>> caption_measures_first(c, c.find("top-1")), caption_measures_first("Top-1 accuracy and latency.", 0)
    (True, False)
    """
    m = _MEASURE_CAPTION.search(caption)
    return m is not None and m.start() < metric_at


_SLASH_DATASETS = re.compile(r"\s*([A-Za-z][A-Za-z\-]*?)[\s\-]?(\d+)\s*/\s*(\d+)(?![\d.%])")


def slash_datasets(header: str) -> tuple[str, str]:
    """The two registry datasets a header names with the second shortened to the part that differs ("CIFAR10 /
    100 Accuracy": CIFAR-10 and CIFAR-100), each cell holding both results ("92.79% / 74.10%"); ("", "") when
    it names no such pair.

    >>> slash_datasets("CIFAR10 / 100 Accuracy"), slash_datasets("CIFAR-10/100")
    (('cifar10', 'cifar100'), ('cifar10', 'cifar100'))
    >>> slash_datasets("Top-1 / Top-5"), slash_datasets("Params / FLOPs"), slash_datasets("CIFAR100 Accuracy")
    (('', ''), ('', ''), ('', ''))
    """
    m = _SLASH_DATASETS.match(header)
    if m is None:
        return "", ""
    first, second = header_benchmark(m.group(1) + m.group(2)), header_benchmark(m.group(1) + m.group(3))
    if not first or not second or first == second or "other:" in first + second:
        return "", ""
    return first, second


def grid_facts(grid: Grid, *, benchmark: str = "", declared: Mapping[str, str] | None = None) -> list[CellFact]:
    """Facts of a ``Grid``: every cell under a column whose header path names a field (or, in a transposed
    table, in a row whose label does), one fact per value, its model the row label (the column header when
    transposed), its evidence the row as printed plus the header ("row text [header text]").

    Cells: "70.3(2.9)" (a delta or spread in parentheses) and "79.0±0.17" keep the first number; "93.17% /
    72.56%" under "Top-1 / Top-5" gives both; dashes are "not reported" and give nothing. ``declared``: the
    metric the paper says it reports per benchmark (``declared_metrics``), for columns headed by a benchmark alone.
    """
    grid = replace(grid, headers=split_dataset_levels(grid.headers))
    ncol = len(grid.headers)
    cols = _mask_columns(grid, [_column_match(grid.headers[j], grid.caption, declared) for j in range(ncol)])
    cols = _size_count_columns(grid, cols)
    if any(names_other_iou(_norm_header(x)) for path in grid.headers for x in path):
        cols = [(None, "", "") if c[0] is not None and c[0].field == "ap50" else c for c in cols]  # another protocol's AP@0.5
    if segmentation_table(grid.headers, cols):
        return []
    caption_only = False
    if not any(c[0] is not None for c in cols) and grid.caption:
        # no header names a field, the caption names the metric ("Table 1: BLEU scores of …" over "All  No UNK")
        spans = [(at, h.field) for at, _, h in _header_spans(grid.caption) if FIELDS[h.field].kind == "metric"]
        metric = spans[0][1] if spans and not caption_measures_first(grid.caption, spans[0][0]) else ""
        if metric:
            caption_only = True
            hm = HeaderMatch(metric, 1.0, 60.0, "", f"caption: {metric}")
            # the caption's metric is in the columns of plain numbers; the ones left of them hold the rest of the
            # label ("6 layers", "+ PosUnk") or the row's settings ("80K" vocabulary, "36M" corpus)
            first_plain = next((j for j in range(ncol) if any(
                j < len(r.cells) and r.cells[j] is not None and _PLAIN_VALUE.fullmatch(r.cells[j].text)  # type: ignore[union-attr]
                for r in grid.rows)), ncol)
            # … save a column headed by another dataset ("Performance (F1) on …" over "NewsQA  TriviaQA"): its own
            # results; and the average of such columns ("Avg.") is theirs too
            foreign = [any(foreign_level(x) or OTHER_TASK_AP.search(_norm_header(x)) for x in grid.headers[j])
                       for j in range(ncol)]
            # … and a column headed by a quantity or a setting ("ratio", "time"), or by a part of the test set
            subset = [any(names_test_subset(x) or names_no_score(x) for x in grid.headers[j]) for j in range(ncol)]
            cols = [(hm, "", "") if j >= first_plain and not foreign[j] and not subset[j] and not (
                any(foreign) and _AVERAGE_HEADER.fullmatch(_norm_header(grid.header(j)))) else (None, "", "")
                    for j in range(ncol)]
    caption_bench = bool(_benchmark_spans(grid.caption)) if grid.caption else False
    caption_split = split_setting(grid.caption)
    # a caption naming another dataset as the table's ("VOC 2007 test detection average precision (%)") over
    # headers naming no registry benchmark: its metric cells are that dataset's (``foreign_level``)
    foreign_table = foreign_level(grid.caption) and not any(
        names_registry_benchmark(level) for path in grid.headers for level in path)
    section_bench = section_benchmarks([r.group for r in grid.rows])
    head_data = label_header_dataset(grid.label_header) if not grid.transposed else ""
    first_field = next((j for j, c in enumerate(cols) if c[0] is not None), ncol)
    if not grid.transposed:
        grid = continue_labels(grid, first_field, headed=not caption_only)
    evidence_head = f" [{grid.header_text}]" if grid.header_text else ""
    out: list[CellFact] = []
    # bare values per column, for the one scale of a FLOPs / params column without one
    bare: dict[int, list[float]] = {}
    for row in grid.rows:
        for j, cell in enumerate(row.cells):
            hm = cols[j][0] if j < ncol else None
            if cell is None or hm is None or hm.scale != 1.0 or hm.field not in ("params", "flops", "mult_adds"):
                continue
            v, _ = parse_cell(cell.text)
            if v is not None and not re.search(r"\d\s?[KMBG]\b|[×·]|e\d", cell.text):
                bare.setdefault(j, []).append(v)
    assumed = {j: _assumed_scale(cols[j][0].field, vs) for j, vs in bare.items() if cols[j][0] is not None}
    label_count = Counter(r.label for r in grid.rows)
    base = ""  # the last row label that is not an addition ("+ SE") to the one above
    family = _model_family(grid)
    unlabelled = not any(r.label or r.group for r in grid.rows)
    # columns headed by a model name under a field named above them or in the caption ("APbox" over "ViT-B
    # ViT-L"): each row's method on that backbone or size, "MAE ViT-L"
    # columns of model names ("Model", "Our Model", "Method") among the values: a value belongs to the name left
    # of it when the row's label is no model (a dataset, a setting)
    settings = column_settings(grid.headers, cols) if not grid.transposed else {}
    # a "Backbone" column: detectors are known by method and backbone ("RefineDet512 ResNet-101"), and one method
    # appears on several backbones, each its own row and model
    backbone_cols = [j for j in range(ncol) if cols[j][0] is None and grid.headers[j]
                     and _BACKBONE_HEADER.fullmatch(_norm_header(" ".join(grid.headers[j])))]
    arch_cols = [j for j in range(ncol) if cols[j][0] is None and grid.headers[j] and j not in backbone_cols
                 and _ARCH_HEADER.fullmatch(_norm_header(" ".join(grid.headers[j])))]
    name_cols = {j for j in range(ncol) if cols[j][0] is None and grid.headers[j]
                 and _NAME_HEADER.fullmatch(_norm_header(grid.headers[j][-1]))}
    named_cols = {j for j in range(ncol) if cols[j][0] is not None and grid.headers[j]
                  and model_names_like(grid.headers[j][-1]) and header_field(grid.headers[j][-1]) is None
                  and not _benchmark_spans(grid.headers[j][-1]) and not header_benchmark(grid.headers[j][-1])}
    # "CIFAR-10", "C-10" head a benchmark, not a backbone
    size_cols = input_size_columns(grid, cols) if not grid.transposed else {}
    row_models: list[str] = []  # each row's model before its group is considered
    fact_rows: list[int] = []  # the row of each fact in ``out``
    for i, row in enumerate(grid.rows):
        row_hm = header_field(row.label) if row.label and len(row.label) <= 30 and not model_names_like(row.label) \
            else None
        descriptors = [c.text for j, c in enumerate(row.cells[:first_field]) if c is not None
                       and cols[j][0] is None and j not in size_cols and len(c.text) <= DEFAULT_DESCRIPTOR_CHARS
                       and re.search(r"\d", c.text) and not _MEASURE_HEADER.search(grid.header(j))]
        if unlabelled:
            # no label column at all: the rows are settings of the model the caption names ("Number of models
            # 1 | Number of crops 10 | Top-5 error 9.15%" under "GoogLeNet classification performance")
            model = " ".join(x for x in (family, *descriptors) if x)
        else:
            if len(descriptors) > DEFAULT_MAX_DESCRIPTORS or label_count[row.label] < 2:
                # a row of settings (layers, widths, heads, dropout …), or a label no other row shares: the
                # label alone names the model, and the short numbers are measurements ("33 ms", an FPS column)
                descriptors = []
            model = _row_model(row, descriptors, base)
        if _TOTAL_LABEL.fullmatch(row.label) and family:
            model = family  # the totals row of a layer-by-layer table is the whole model the caption names
        if not row.label.startswith("+"):
            base = row.label
        # a group heading ("Single models on dev") or else the caption ("Development set results") that names
        # a split other than test qualifies every metric under it: the model's dev result is not its test
        # result (its size and training cost are the same on every split)
        split = split_setting(row.group) or caption_split
        row_data = row_dataset(row.label) if not grid.transposed else ""
        row_foreign = bool(row.label) and foreign_metric_row(row.label)
        # a name column joins a label that is a model (a dataset's row keeps the cell's model, below)
        for k in backbone_cols + (arch_cols if clean_row_label(row.label) else []):
            bone = row.cells[k].text if k < len(row.cells) and row.cells[k] is not None else ""
            bone = clean_row_label(bone)
            if model and bone and not is_numeric(bone) and not is_dash(bone) and bone.lower() not in model.lower():
                model = f"{model} {bone}"
        size = next((sizes[i] for sizes in size_cols.values() if sizes[i]), "")
        if model and size and not re.search(rf"(?<![\d.]){re.escape(size)}(?![\d.])", model):
            model = f"{model} ({size})"
        row_models.append(model)
        metric_col = -1
        for j, cell in enumerate(row.cells):
            if cell is None or j >= ncol:
                continue
            hm, bench, scale_src = cols[j]
            transposed = False
            if (grid.transposed or hm is None) and row_hm is not None:
                hm, transposed, scale_src = row_hm, True, "header" if row_hm.scale != 1.0 else ""
            if hm is None and row_data and grid.headers[j]:
                hm = dataset_result(grid.headers[j][-1], row_data)
            if hm is None:
                continue
            if FIELDS[hm.field].kind == "metric":
                metric_col += 1
            left_name = next((row.cells[k] for k in sorted(name_cols, reverse=True) if k < j and row.cells[k] is not None
                              and not is_numeric(row.cells[k].text)), None) if name_cols else None
            if transposed:
                cell_model = _column_model(grid.headers[j], family)
            elif left_name is not None and not clean_row_label(row.label):
                # rows of datasets, models in cells: "CIFAR-10 | NASNet-A 98.0% 85M | EfficientNet-B0 98.1% 4M"
                cell_model = left_name.text
            elif model and j in named_cols:
                cell_model = f"{model} {grid.headers[j][-1]}"
            else:
                cell_model = model
            plain_model = cell_model
            if j in settings and not transposed and cell_model and settings[j] not in cell_model:
                cell_model = f"{cell_model} ({settings[j]})"
            pairs = [(cell.text, hm, cell_model)]
            parts = _MULTI_SPLIT.split(cell.text)
            heads = _MULTI_SPLIT.split(grid.headers[j][-1]) if grid.headers[j] else []
            if len(parts) == 2 and len(heads) == 2 and not transposed:
                second = header_field(heads[1])
                first = header_field(heads[0])
                if first is not None and second is not None:
                    # "APtest / APval" over "51.4% / 51.2%": one field twice, the split each head names is the
                    # value's setting (the test one keeps the name), never two values in one slot
                    names = [cell_model, cell_model]
                    if first.field == second.field and plain_model:
                        names = [f"{plain_model} ({_ap_split(h)})" if _ap_split(h) else plain_model for h in heads]
                    pairs = [(parts[0], HeaderMatch(first.field, hm.scale, hm.score, hm.benchmark, hm.text), names[0]),
                             (parts[1], HeaderMatch(second.field, hm.scale, hm.score, hm.benchmark, hm.text),
                              names[1])]
                elif FIELDS[hm.field].kind == "metric" and all(benches := slash_datasets(grid.headers[j][-1])):
                    # "CIFAR10 / 100 Accuracy" over "92.79% / 74.10%": each dataset's result, the second one was lost
                    pairs = [(part, HeaderMatch(hm.field, hm.scale, hm.score, bench_id, hm.text), cell_model)
                             for part, bench_id in zip(parts, benches, strict=True)]
            for tok, m, cell_model in pairs:
                if m.field in _SCALED_FIELDS and _RATIO_CELL.fullmatch(tok.strip()):
                    continue  # "(8.7x)", "21×": how many times smaller, not a count
                value, flags = _cell_value(tok, m)
                if value is None:
                    continue
                tags: list[str] = []
                if m.field in ("params", "flops", "mult_adds") and m.scale == 1.0:
                    if re.search(r"\d\s?[KMBG]\b|[×·]|e\d", tok):
                        tags.append("cell_scale")
                    elif j in assumed and assumed[j] != 1.0 and value < 1e4:
                        value *= assumed[j]
                        flags = (*flags, "assumed_scale")
                elif scale_src:
                    tags.append(f"{scale_src}_scale" if scale_src == "caption" else "header_scale")
                if cell.bold or (row.label_bold and FIELDS[m.field].kind == "metric"):
                    tags.append("bold")
                if caption_bench:
                    tags.append("caption_benchmark")
                if bench and not bench.startswith("other:"):
                    tags.append("header_benchmark")
                if transposed:
                    tags.append("transposed")
                if row.group:
                    tags.append("group_row")
                row_bench = benchmark
                if FIELDS[m.field].kind == "metric" and row_data and not m.benchmark:
                    row_bench = row_data
                    if row_data.startswith("other:"):
                        tags.append("foreign")  # a row of another dataset's results ("iNat 2018 | 75.4 80.1")
                if FIELDS[m.field].kind == "metric" and row_foreign and "foreign" not in tags:
                    tags.append("foreign")  # a row of another dataset's measure ("VOC07 mAP | 58.0 59.2")
                if (FIELDS[m.field].kind == "metric" and foreign_table and not (m.benchmark or row_data)
                        and not section_bench.get(row.group) and "foreign" not in tags):
                    tags.append("foreign")
                if not m.benchmark and section_bench.get(row.group):
                    row_bench = section_bench[row.group]
                    tags.append("group_benchmark")
                elif FIELDS[m.field].kind == "metric" and head_data and not (m.benchmark or row_data):
                    # the header over the row labels names where they were measured (``label_header_dataset``)
                    if head_data.startswith("other:"):
                        if "foreign" not in tags:
                            tags.append("foreign")
                    else:
                        row_bench = head_data
                        tags.append("header_benchmark")
                if caption_only:
                    flags = (*flags, "caption_only")
                conf = DEFAULT_GRID_CONFIDENCE if m.score >= 90 else DEFAULT_BENCH_COLUMN_CONFIDENCE
                if split and cell_model and FIELDS[m.field].kind == "metric" and split not in cell_model.lower():
                    cell_model = f"{cell_model} ({split})"
                for f in _fact(m, value, tok, cell_model, m.text, conf, row_bench,
                               ("table", "grid", *flags), cell.start, cell.end, grid.caption, max(metric_col, 0)):
                    out.append(CellFact(f.field, f.value, f.raw, f.model, f.header, f.confidence, f.benchmark, f.flags,
                                        f.start, f.end, f.caption, j, f"{row.text}{evidence_head}", cell.bbox,
                                        tuple(tags)))
                    fact_rows.append(i)
    return _group_settings(out, fact_rows, row_models, [r.group for r in grid.rows])


# Habit: one table lists the same models under two group headings ("ImageNet-1K trained models" over
# "ConvNeXt-T 224² … 82.1", "ImageNet-22K pre-trained models" over "ConvNeXt-T 224² … 82.9"). The heading is what
# tells the two results apart, a setting of each row below it, as a column setting is; a heading that tells no
# two rows of one model apart (a backbone family, "Ours") leaves the names as they are.
_GROUP_NOUN = re.compile(r"\s*\b(?:models?|methods?|results?|networks?)\s*$", re.I)


def group_setting(group: str) -> str:
    """A group heading as a setting: its trailing colon and noun dropped; "" when too long to be one, or when
    it names a split (``split_setting`` qualifies the dev rows, and the test ones keep the bare name).

    >>> group_setting("ImageNet-22K pre-trained models"), group_setting("linear probing:"), group_setting("")
    ('ImageNet-22K pre-trained', 'linear probing', '')
    >>> group_setting("Single models on test")
    ''
    """
    text = _GROUP_NOUN.sub("", group.strip().rstrip(":").strip()).strip(" :,;")
    return text if len(text) <= DEFAULT_GROUP_CHARS and not _SPLIT_WORD.search(text) else ""


def section_benchmarks(groups: Sequence[str]) -> dict[str, str]:
    """Group headings that name benchmarks, when a table's headings name two or more: the benchmark of each.

    The habit: one results table in sections, a heading row per dataset or language pair ("WMT'14
    English-German | BLEU", then "WMT'14 English-French | BLEU"), the same columns under each. The rows under a
    heading are results on its benchmark (a slot of their own), not a setting of the model. Headings that name
    one benchmark at most ("ImageNet-1K trained" over "ImageNet-22K pre-trained") are settings, not sections.

    >>> section_benchmarks(["WMT'14 English-German BLEU", "WMT'14 English-German BLEU", "WMT'14 English-French BLEU"])
    {"WMT'14 English-German BLEU": 'wmt14_en_de', "WMT'14 English-French BLEU": 'wmt14_en_fr'}
    >>> section_benchmarks(["ImageNet-1K trained models", "ImageNet-22K pre-trained models"])
    {}
    """
    named: dict[str, str] = {}
    for group in dict.fromkeys(g for g in groups if g):
        bench = next((b for _, _, b in _benchmark_spans(group) if not b.startswith("other:")), "")
        if bench:
            named[group] = bench
    return named if len(set(named.values())) >= 2 else {}


def _group_settings(facts: list[CellFact], fact_rows: Sequence[int], row_models: Sequence[str],
                    groups: Sequence[str]) -> list[CellFact]:
    """The facts with the group heading of their row added to the model's name, when rows of one model sit
    under different headings (``group_setting``)."""
    seen: dict[str, set[str]] = {}
    sections = section_benchmarks(groups)
    for model, group in zip(row_models, groups, strict=True):
        if model and group_setting(group) and not sections.get(group):
            seen.setdefault(model, set()).add(group_setting(group))
    # once the headings tell one model's rows apart they are the table's settings: every row under one gets it
    # (a model under one heading only must not be a bare name beside its neighbours' qualified ones)
    if not any(len(gs) >= 2 for gs in seen.values()):
        return facts
    out = []
    for f, i in zip(facts, fact_rows, strict=True):
        model, setting = row_models[i], group_setting(groups[i])
        if model and setting and setting.lower() not in f.model.lower() and "group_benchmark" not in f.tags:
            rest = f.model[len(model):] if f.model.startswith(model) else ""
            f = replace(f, model=f"{model} ({setting}){rest}" if rest or f.model == model else f"{f.model} ({setting})")
        out.append(f)
    return out


def unfielded_cells(grid: Grid, fielded: set[int]) -> list[BBox]:
    """The boxes of a grid's numeric cells in headed columns that gave no field's value (not in ``fielded``):
    input sizes, depths, layer outputs, speeds. The grid read them and found them to be no field's value, so the
    line-by-line reader, which sees the same numbers without their columns, must not take them for one.

    >>> from flopmine.extract.grid import Cell
    >>> g = Grid((0, 0, 9, 9), (("Eval size",), ("Params",)), (GridRow("MaxViT-L", (Cell("384", (1, 1, 2, 2)),
    ...          Cell("212M", (3, 1, 4, 2))), ""),))
    >>> unfielded_cells(g, {1})
    [(1, 1, 2, 2)]
    """
    # a header holding a sentence (the caption's notes read as a header) is not the table's: its columns mean
    # nothing; a header level with an unclosed bracket ("BFLOPs (512x512" split over two columns) is a header
    # the grid cut apart: which number is whose is not known there
    headers = split_dataset_levels(grid.headers)  # as ``grid_facts`` reads them
    if grid.transposed or any(len(x) > DEFAULT_GROUP_CHARS for path in headers for x in path):
        return []
    plain = {j for j, path in enumerate(headers) if j not in fielded and any(x.strip() for x in path)
             and all(x.count("(") == x.count(")") for x in path)}
    return [cell.bbox for row in grid.rows for j, cell in enumerate(row.cells)
            if cell is not None and j in plain and parse_cell(cell.text)[0] is not None]


def grid_tables(page: Page) -> tuple[Table, ...]:
    """The tables of a page read as grids from its words and horizontal rules (``extract.grid``), as ``Table``s
    that keep their ``Grid`` (transposed when the row labels name fields and the headers do not). Empty
    without character boxes. Measured against pdfplumber's finder on the dev corpus in ``docs/extract.md``."""
    if not page.char_boxes:
        return ()
    boxes = page.char_boxes if not page.sideways else \
        tuple(None if i in page.sideways else b for i, b in enumerate(page.char_boxes))
    words = words_from_chars(page.text, boxes, bold=page.bold.__contains__ if page.bold else None)
    words = upright_words(words)  # sideways words PDFium gave no angle for
    grids = read_grids(words, [Rule(x0, y, x1) for x0, y, x1 in page.rules], field_of=header_field)
    return tuple(Table(page=page.number, rows=g.to_rows(), bbox=g.bbox, caption=g.caption, grid=g) for g in grids)
