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
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from flopmine.benchmarks import load_registry
from flopmine.types import FIELDS, METRIC_FIELDS

from .document import Table
from .normalise import find_quantities, parse_cell

DEFAULT_FUZZY_CUTOFF = 88.0
DEFAULT_HEADER_LOOKBACK = 6  # lines above a text-table row searched for its header
DEFAULT_MAX_LABEL = 70  # characters of row label before the numbers

# Surface forms of each field in table headers (lower case, no punctuation but "-", "#", "@").
_SURFACE: dict[str, tuple[str, ...]] = {
    "top1_err": ("top-1 err", "top-1 error", "top1 err", "top-1 err.", "top 1 err", "top-1 val error"),
    "top5_err": ("top-5 err", "top-5 error", "top5 err", "top-5 err.", "top 5 err"),
    "top1_acc": ("top-1 acc", "top-1 accuracy", "top1 acc", "top-1 acc.", "top 1 acc"),
    "top5_acc": ("top-5 acc", "top-5 accuracy", "top5 acc", "top-5 acc.", "top 5 acc"),
    "err": ("error", "err", "err.", "cls err", "test error", "error rate", "error (%)"),
    "acc": ("accuracy", "acc", "acc.", "test accuracy"),
    "box_ap": ("ap", "box ap", "mmap", "map", "ap@[.5,.95]", "ap[.5:.95]", "apbb", "ap box", "coco ap"),
    "ap50": ("ap50", "ap@0.5", "ap@.5", "ap 50", "ap.5", "map@0.5", "ap0.5"),
    "ap75": ("ap75", "ap@0.75", "ap@.75", "ap 75", "ap.75", "ap0.75"),
    "ap_s": ("aps", "ap s", "aps.", "ap small"),
    "ap_m": ("apm", "ap m", "ap medium"),
    "ap_l": ("apl", "ap l", "ap large"),
    "f1": ("f1", "f1 score", "f-score", "f1-score", "f", "test f1", "dev f1"),
    "em": ("em", "exact match"),
    "bleu": ("bleu", "bleu score", "en-de", "en-fr", "ende", "enfr", "en→de", "en→fr", "newstest2014"),
    "wer": ("wer", "swb", "switchboard", "word error rate"),
    "flops": ("flops", "gflops", "mflops", "bflops", "flop", "complexity", "#flops", "tflops"),
    "mult_adds": ("mult-adds", "multi-adds", "madds", "macs", "multiply-adds", "fma", "gmacs", "mult adds"),
    "params": ("params", "#params", "parameters", "# params", "#param", "param", "params.", "# params."),
    "hardware_count": ("# of gpus", "gpus", "#gpus", "# gpus", "num gpus", "tpus"),
    "training_time_hours": ("time (h)", "time(h)", "hours", "training time", "train time", "time", "days"),
    "epochs": ("epochs", "epoch", "#epochs"),
    "training_steps": ("updates", "steps", "iterations", "iters", "#iters", "#steps", "training steps"),
}
_BENCH_HINT: dict[str, str] = {"en-de": "wmt14_en_de", "ende": "wmt14_en_de", "en→de": "wmt14_en_de",
                               "en-fr": "wmt14_en_fr", "enfr": "wmt14_en_fr", "en→fr": "wmt14_en_fr",
                               "swb": "swb_hub500", "switchboard": "swb_hub500"}
_SCALE_WORDS: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"[×x]\s?10\^?\{?(\d{1,2})\}?"), 0.0),  # exponent read from the match
    (re.compile(r"\bgflops?\b|\bgmacs\b|\bbflops\b|\bbillions?\b|\(b\)|\bbn\b", re.I), 1e9),
    (re.compile(r"\bmflops?\b|\bmmacs\b|\bmillions?\b|\(m\)|\bmil\.|\bm\s*$", re.I), 1e6),
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


def header_field(text: str, *, cutoff: float = DEFAULT_FUZZY_CUTOFF) -> HeaderMatch | None:
    """Resolve a column header to a field (None when it names no known quantity).

    >>> header_field("top-1 err. (%)").field, header_field("Params (M)").scale, header_field("EN-DE").benchmark
    ('top1_err', 1000000.0, 'wmt14_en_de')
    >>> header_field("Acuracy").field, header_field("# layers") is None
    ('acc', True)
    """
    t = _norm_header(text)
    if not t:
        return None
    bare = re.sub(r"\([^)]*\)", "", t).strip(" .:%") or t
    vocab = _vocabulary()
    bench = ""
    for hint, b in _BENCH_HINT.items():
        if hint in t:
            bench = b
    if bare in vocab:
        return HeaderMatch(vocab[bare], header_scale(text), 100.0, bench, text)
    # the longest known form contained as whole words
    best: tuple[int, str] | None = None
    for form, field_name in vocab.items():
        if len(form) < 2:
            continue
        if re.search(r"(?<![\w\-])" + re.escape(form) + r"(?![\w\-])", bare) and (best is None or len(form) > best[0]):
            best = (len(form), field_name)
    if best is not None:
        return HeaderMatch(best[1], header_scale(text), 95.0, bench, text)
    if len(bare) >= 4 and not any(w in bare for w in _NON_METRIC_WORDS):
        hit = process.extractOne(bare, list(vocab), scorer=fuzz.ratio, score_cutoff=cutoff)
        if hit is not None:
            return HeaderMatch(vocab[hit[0]], header_scale(text), float(hit[1]), bench, text)
    return None


def _resolve(field_name: str, value: float, benchmark: str) -> str:
    """Accuracy vs error when the header does not say (top-1 / acc on ImageNet …)."""
    if benchmark == "imagenet":
        if field_name == "err":
            return "top1_err"
        if field_name == "acc":
            return "top1_acc"
    return field_name


def plausible_cell(field_name: str, value: float) -> bool:
    """Range checks for table values."""
    spec = FIELDS[field_name]
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
        label = next((c for c in r if c and not _is_numeric(c)), "") or ""
        label = label.split("\n")[0].strip()
        for j, cell in enumerate(r):
            if j >= len(matches) or matches[j] is None or not cell:
                continue
            hm = matches[j]
            assert hm is not None
            for line in cell.split("\n")[:1]:
                value, flags = parse_cell(line)
                if value is None:
                    continue
                scale = hm.scale if hm.scale != 1.0 else (cap_scale if FIELDS[hm.field].kind == "compute" else 1.0)
                if FIELDS[hm.field].kind == "compute" and scale == 1.0 and value < 1e3 and hm.field in (
                        "params", "flops", "mult_adds") and not re.search(r"[KMBG]\b", line):
                    scale = 1e6 if hm.field == "params" else 1e9  # "Params 25.6", "GFLOPs"-less FLOPs column
                    flags = (*flags, "assumed_scale")
                v = value * scale
                bench = hm.benchmark or benchmark
                name = _resolve(hm.field, v, bench)
                if not plausible_cell(name, v):
                    continue
                out.append(CellFact(name, v, line.strip(), label, hm.text, 0.6 * hm.score / 100, bench,
                                    ("table", *flags)))
    return out


# ---------------------------------------------------------------- tables in the text layer

_VALUE_TOKEN = re.compile(
    r"(?<![\w.\-×])(?:[-−]?\d+(?:[.,]\d+)*(?:\s?[×x·]\s?10\d{1,2})?(?:\s?[KMBG](?![\w]))?%?)(?:[*†‡§?]+)?"
    r"(?:\s?±\s?\d+(?:\.\d+)?)?(?![\w\-×])"
)
_BRACKETED = re.compile(r"\[[^\]]{1,20}\]|\([^)]{0,30}\)")


def _row_values(line: str) -> tuple[str, list[tuple[int, int, str]]]:
    """Split a text row into its label and its value tokens (span, text), skipping citations,
    parenthesised side values and numbers glued to names ("ResNet-152")."""
    masked = _BRACKETED.sub(lambda m: " " * len(m.group(0)), line)
    vals = [(m.start(), m.end(), m.group(0)) for m in _VALUE_TOKEN.finditer(masked)]
    if not vals:
        return line.strip(), []
    label = line[:vals[0][0]].strip()
    return label, vals


def _header_slots(line: str) -> list[HeaderMatch]:
    """Header fields in the order they appear on a header line ("method top-1 err. top-5 err.")."""
    t = _norm_header(line)
    vocab = _vocabulary()
    found: list[tuple[int, int, str]] = []
    for form in sorted(vocab, key=len, reverse=True):
        if len(form) < 2:
            continue
        for m in re.finditer(r"(?<![\w\-])" + re.escape(form) + r"(?![\w\-])", t):
            if not any(s < m.end() and m.start() < e for s, e, _ in found):
                found.append((m.start(), m.end(), form))
    found.sort()
    slots = []
    for s, _e, form in found:
        bench = _BENCH_HINT.get(form, "")
        # scale written right after the word: "Params (M)", "FLOPs (×10^9)"
        tail = t[s:s + len(form) + 14]
        slots.append(HeaderMatch(vocab[form], header_scale(tail) if "(" in tail else header_scale(form), 90.0,
                                 bench, form))
    return slots


def _is_data_line(line: str) -> bool:
    label, vals = _row_values(line)
    return bool(vals) and len(label) <= DEFAULT_MAX_LABEL and (len(vals) >= 2 or len(label) < 40)


def text_table_facts(text: str, *, benchmark: str = "") -> list[CellFact]:
    """Facts from tables laid out as lines of the page text (spans index ``text``).

    >>> page = "Table 2: Error rates\\nmethod top-1 err. top-5 err.\\nVGG [41] 24.4 7.1\\nOurs-152 19.38 4.49\\n"
    >>> [(f.model, f.field, f.value) for f in text_table_facts(page, benchmark="imagenet")]
    [('VGG', 'top1_err', 24.4), ('VGG', 'top5_err', 7.1), ('Ours-152', 'top1_err', 19.38), ('Ours-152', 'top5_err', 4.49)]
    """
    out: list[CellFact] = []
    lines: list[tuple[int, str]] = []
    pos = 0
    for raw in text.split("\n"):
        lines.append((pos, raw))
        pos += len(raw) + 1
    header_idx: int | None = None
    header_slots: list[HeaderMatch] = []
    for i, (start, line) in enumerate(lines):
        if not line.strip():
            continue
        if not _is_data_line(line):
            slots = _header_slots(line)
            if slots and len(line) < 160:
                # a header may span two lines ("BLEU Training Cost (FLOPs)" / "EN-DE EN-FR EN-DE EN-FR")
                if header_idx is not None and i - header_idx == 1 and len(slots) < len(header_slots):
                    pass
                else:
                    header_slots = slots
                header_idx = i
            continue
        if header_idx is None or i - header_idx > DEFAULT_HEADER_LOOKBACK + 25:
            continue
        label, vals = _row_values(line)
        slots = [s for s in header_slots]
        if not slots:
            continue
        exact = len(vals) == len(slots)
        if len(vals) >= len(slots):
            pairs = list(zip(vals[len(vals) - len(slots):], slots, strict=True))
        else:
            pairs = list(zip(vals, slots, strict=False))
        for (s, e, tok), hm in pairs:
            value, flags = parse_cell(tok)
            if value is None:
                continue
            if hm.scale != 1.0 and re.search(r"\d[KMBG]\b|[×x·]", tok):
                scale = 1.0  # the cell carries its own scale ("25.6M", "4.1×109")
                q = find_quantities(tok, words=False)
                value = q[0].value if q else value
            else:
                scale = hm.scale
                q = find_quantities(tok, words=False)
                if q and q[0].scaled:
                    value = q[0].value
            v = value * scale
            bench = hm.benchmark or benchmark
            name = _resolve(hm.field, v, bench)
            if not plausible_cell(name, v):
                continue
            conf = 0.55 if exact else 0.35
            out.append(CellFact(name, v, tok.strip(), _model_label(label), hm.text, conf, bench,
                                ("table", "text_table", *flags) if exact else ("table", "text_table", "unaligned", *flags),
                                start + s, start + e))
    return out


def _model_label(label: str) -> str:
    return _BRACKETED.sub("", label).strip(" :|") if label else ""
