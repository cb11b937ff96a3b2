"""Extraction rules: a ``Document`` in, ranked ``Candidate`` facts with evidence out.

``candidates(doc)`` is pure (no I/O beyond reading the packaged pattern tables once per process).
``RULE_VERSION`` changes whenever the pattern tables or this code's rule logic change, so the
pipeline knows which papers to re-extract.

>>> from extract.document import Document
>>> doc = Document.from_texts(["We trained our model for 90 epochs on eight GPUs."])
>>> sorted((c.field, c.value) for c in candidates(doc))
[('epochs', 90.0), ('hardware_count', 8.0)]
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from flopmine.benchmarks import load_registry
from flopmine.types import FIELDS, METRIC_FIELDS, BBox, Candidate, normalise_value

from .. import rank as _rank
from ..document import Document, Page
from ..normalise import clean_text
from ..rank import Evidence, dedupe_and_rank, score, to_confidence
from ..tables import OTHER_DATASETS, table_facts, text_table_facts
from .context import (
    _SIZE_SUFFIX,
    SectionMap,
    has_citation,
    mentions_ours,
    model_names,
    own_model_stems,
    section_map,
    sentence_bounds,
)
from .context import (
    _stem as _ctx_stem,
)
from .engine import Engine, Match, Rule, engine, load_rules

__all__ = ["RULE_VERSION", "Rule", "candidates", "engine", "load_rules"]

_LOGIC_VERSION = "1"  # bump on a change of meaning the source hash would not show (e.g. a dependency)
# The modules whose code decides what a candidate is; their source is part of RULE_VERSION.
_LOGIC_MODULES = ("rules/__init__.py", "rules/engine.py", "rules/context.py", "tables.py", "normalise.py",
                  "rank.py")


def _rule_version() -> str:
    """``<logic>-<hash of the rule tables and the rule code>``: any change re-extracts."""
    h = hashlib.sha1(_LOGIC_VERSION.encode())
    for r in load_rules():
        h.update(repr(r).encode())
    root = Path(__file__).resolve().parent.parent
    for name in _LOGIC_MODULES:
        h.update((root / name).read_bytes())
    return f"{_LOGIC_VERSION}-{h.hexdigest()[:10]}"


RULE_VERSION: str = _rule_version()

SNIPPET_CHARS = 300

# Evidence factors of the rules (the generic ones live in extract.rank); docs/rules.md measures each.
DEFAULT_DELTA = 0.3  # "reduces the error by 1.3%": a difference, not a result
DEFAULT_OTHER_MODEL = 0.65  # "… only 18% of VGG-19 (19.6 billion FLOPs)": another paper's model
DEFAULT_OTHER_MODEL_OWN = 0.35  # a family scored below this by own_model_stems is someone else's
DEFAULT_OTHER_DATASET = 0.3  # next to a dataset outside the registry (PASCAL VOC, ImageNet ReaL …)
DEFAULT_NO_BENCHMARK = 0.75  # a score with no benchmark named nearby may belong to any dataset
DEFAULT_UNLABELLED_ROW = 0.8  # a table row without a model name: an ablation variant or a stray line
DEFAULT_LATER_COLUMN = 0.8  # a headerless table's later value columns
DEFAULT_SMALL_FONT = 0.85  # glyphs smaller than this share of the page's body text: footnotes, captions
DEFAULT_FOOTNOTE = 0.7
DEFAULT_DEV_SET = 0.85  # development-set columns: tuning numbers; the test set is the headline
DEFAULT_FROM_VALUE = 0.7  # "from 84 hours to 9.5": the old value
DEFAULT_HEADLINE = 1.3  # the best own-model value of a metric on a benchmark
DEFAULT_RUNNER_UP = 1.15
DEFAULT_PRETRAIN = 1.3  # pre-train + fine-tune papers: hardware and time stated for the pre-training run
DEFAULT_PRETRAIN_MENTIONS = 5  # a paper "pre-trains" when it says so this often
_PRETRAIN = re.compile(r"\bpre-?train", re.I)
_PRETRAIN_FIELDS = frozenset({"hardware_count", "training_time_hours"})
DEFAULT_LOW_SCORE = 0.5  # accuracy, AP, BLEU or F1 below 10: mostly deltas or footnotes
_TRAIN = re.compile(r"\b(?:train\w*|took|takes|taking|pre-?train\w*|converge\w*|learn\w*|run|ran)\b", re.I)
_LR = re.compile(r"learning rate|\blr\b|divid|decay|drop|reduc|multipl|warm[- ]?up|anneal|lowered|schedule|\bfirst\b|\buntil\b",
                 re.I)
_END = re.compile(r"\b(?:terminat\w*|stop\w*|end\w*|finish\w*|total|overall|in all)\b", re.I)
_INFER = re.compile(r"\b(?:ms|msec|fps|per image|inference|test[- ]time|testing|latency|timings?|fine-?tun\w*|"
                    r"speed|throughput|measured)\b", re.I)
_DELTA = re.compile(r"(?:\bby|\bof|\bgains?|\bimproves?|\+|∆|Δ)\s*(?:about|around|up to|~|∼)?\s*$|\bby\b[^.]{0,12}$",
                    re.I)
# "trained for", "a total of": the schedule's length. "training" as a noun modifier ("until the training
# error is below 80%", "training loss") says nothing about the number.
_SCHEDULE_TOTAL = re.compile(r"\b(?:for|total of|trained|train|training(?!\s+(?:error|loss|set|data|curves?|"
                             r"images|accuracy|samples|examples)\b))\b")
_NUMBER_RUN = re.compile(r"(?:\d+(?:\.\d+)?\s+){3,}$")
_ABLATION = re.compile(r"\bablation|\bw/o\b|without\b|remov", re.I)
_RANGE_BEFORE = re.compile(r"\d\s?(?:–|—|-|to|or|and)\s?$")
_RANGE_AFTER = re.compile(r"^\s?(?:–|—|-|to)\s?\d")
_BOUND = re.compile(r"\b(?:at most|up to|less than|fewer than|under|within|at least|more than|over)\s+(?:a\s+)?$", re.I)
# Row labels that are not a model of the paper: references points and human or oracle scores.
_NOT_A_MODEL = re.compile(r"^\s*(?:human|oracle|baseline|previous|prior|sota|state[- ]of[- ]the[- ]art|best published|"
                          r"pre-\w+ sota|random|chance|majority)\b", re.I)


def _evidence(doc_text: str, m: Match, page_index: int, raw_offset: int, sections: SectionMap,
              own: dict[str, float], main_bench: tuple[re.Pattern[str], ...] = (),
              pretrains: bool = False) -> tuple[Evidence, str]:
    s, e = sentence_bounds(doc_text, m.start, m.end)
    sentence = doc_text[s:e]
    before = doc_text[s:m.num_start]
    field = m.rule.field
    names = model_names(sentence)
    model = ""
    if names:
        # The model named closest before the number, else the first after it.
        before_names = model_names(before)
        model = before_names[-1] if before_names else names[0]
    own_score = max((own.get(_ctx_stem(n), 0.0) for n in names), default=0.0)
    if model and before and len({_ctx_stem(n) for n in names}) > 1:
        # several families in one sentence ("CSPResNext50 has 20.6 M parameters, while CSPDarknet53 has
        # 27.6 M"): the model the value belongs to decides, the sentence's best family only half
        own_score = (own.get(_ctx_stem(model), 0.0) + own_score) / 2
    near = doc_text[max(s, m.num_start - 80):min(e, m.num_end + 40)]
    close_names = model_names(doc_text[max(s, m.num_start - 40):m.num_start])
    if close_names and own.get(_stem(close_names[-1]), 0.0) < DEFAULT_OTHER_MODEL_OWN:
        extra_other = DEFAULT_OTHER_MODEL  # "… only 18% of VGG-19 (19.6 billion FLOPs)": another paper's model
    else:
        extra_other = 1.0
    lr = False
    extra = extra_other
    if field in ("epochs", "training_steps"):
        lead = doc_text[max(s, m.start - 12):m.start].lower()
        # The keyword nearest before the number decides: "divide it by 10 at 32k and 48k iterations,
        # and terminate training at 64k iterations" → 32k, 48k are schedule steps, 64k the total.
        clause = doc_text[max(s, m.num_start - 70):m.num_start]
        last_lr = max((x.end() for x in _LR.finditer(clause)), default=-1)
        last_end = max((x.end() for x in _END.finditer(clause)), default=-1)
        last_for = max((x.end() for x in _SCHEDULE_TOTAL.finditer(clause)), default=-1)
        at_step = bool(re.search(r"\b(?:at|after)\s*$", lead)) or m.rule.id == "epochs.at_epoch"
        if last_lr > max(last_end, last_for) or (at_step and last_end < 0 and last_for < 0):
            lr = True
        if last_for > last_lr or last_end > last_lr:
            extra *= 1.2
    if pretrains and field in _PRETRAIN_FIELDS:
        # a paper that pre-trains and then fine-tunes: the pre-training run is the training compute
        nxt = doc_text[e:sentence_bounds(doc_text, min(len(doc_text), e + 2), min(len(doc_text), e + 3))[1]]
        if _PRETRAIN.search(sentence) or _PRETRAIN.search(nxt):
            extra *= DEFAULT_PRETRAIN
    if re.search(r"\bfrom\s*$", doc_text[max(s, m.num_start - 8):m.num_start], re.I):
        extra *= DEFAULT_FROM_VALUE  # "from 84 hours to 9.5": the old value, the new one follows
    if field in ("epochs", "training_steps") and re.match(r"(?i)(?:one|a single)\b", m.raw):
        extra *= 0.3  # "one epoch is one pass over the data": a definition, not a schedule
    if field in METRIC_FIELDS and _DELTA.search(doc_text[max(s, m.num_start - 25):m.num_start]):
        extra *= DEFAULT_DELTA  # "reduces the error by 1.3%": a difference, not a result
    ev = Evidence(
        section=sections.kind(page_index, raw_offset),
        ours=mentions_ours(sentence),
        citation=has_citation(near),
        own_model=own_score,
        train_context=field in ("hardware_count", "training_time_hours", "epochs", "training_steps")
        and bool(_TRAIN.search(sentence)),
        lr_schedule=lr,
        ablation=bool(_ABLATION.search(sentence)),
        range_=bool(_RANGE_BEFORE.search(doc_text[max(0, m.num_start - 6):m.num_start])
                    or _RANGE_AFTER.search(doc_text[m.num_end:m.num_end + 6])
                    or _BOUND.search(doc_text[max(0, m.num_start - 16):m.num_start])),
        inference=field in ("training_time_hours", "hardware_count") and bool(_INFER.search(sentence)),
        axis=bool(_NUMBER_RUN.search(doc_text[max(0, m.num_start - 40):m.num_start])),
        main_benchmark=bool(main_bench) and any(rx.search(sentence) for rx in main_bench),
        extra=extra,
    )
    return ev, model


def _snippet(text: str, start: int, end: int) -> str:
    half = (SNIPPET_CHARS - (end - start)) // 2
    lo = max(0, start - half)
    hi = min(len(text), end + half)
    return text[lo:hi].strip()[:SNIPPET_CHARS]


def _page_candidates(doc: Document, page: Page, page_index: int, eng: Engine, sections: SectionMap,
                     own: dict[str, float], main_bench: tuple[re.Pattern[str], ...] = (), pretrains: bool = False,
                     cleaned: tuple[str, list[int]] | None = None) -> list[tuple[Candidate, float, Evidence, int]]:
    """Text-rule candidates of one page, each with the offset of its number in the cleaned text.

    ``cleaned``: ``clean_text(page.text)`` when the caller has it already.
    """
    clean, idx = cleaned if cleaned is not None else clean_text(page.text)
    out: list[tuple[Candidate, float, Evidence, int]] = []
    body_height: float | None = None  # median char height of the page, computed on first need
    for m in eng.matches(clean):
        raw_start = idx[m.start] if m.start < len(idx) else 0
        raw_end = idx[m.end - 1] + 1 if 0 < m.end <= len(idx) else raw_start
        ev, model = _evidence(clean, m, page_index, raw_start, sections, own, main_bench, pretrains)
        compute = FIELDS[m.rule.field].kind == "compute"
        if compute and body_height is None:
            body_height = _median_height(page.char_boxes)
        if compute and body_height:
            h = _median_height(page.char_boxes[raw_start:raw_end])
            if h and h < DEFAULT_SMALL_FONT * body_height:
                ev = replace(ev, extra=ev.extra * DEFAULT_FOOTNOTE)  # footnote or caption size text
        flags = ["range"] if ev.range_ else []
        if ev.lr_schedule:
            flags.append("schedule_step")
        bbox = page.span_bbox(raw_start, raw_end) if page.char_boxes else None
        cand = Candidate(
            arxiv_id=doc.arxiv_id, version=doc.version, field=m.rule.field, value=m.value, benchmark="",
            model=model, unit=m.rule.unit, raw=m.raw, page=page.number,
            snippet=_snippet(clean, m.start, m.end), rule=m.rule.id, bbox=bbox, flags=tuple(flags),
            rule_version=RULE_VERSION,
        )
        out.append((cand, m.rule.weight, ev, m.num_start))
    return out


def _median_height(boxes: tuple[BBox | None, ...] | list[BBox | None]) -> float:
    hs = [b[3] - b[1] for b in boxes if b is not None and b[3] > b[1]]
    hs.sort()
    return hs[len(hs) // 2] if hs else 0.0


def _benchmark_spots(text: str) -> list[tuple[int, str]]:
    """Positions of benchmark names (registry aliases) in ``text``; datasets outside the registry
    ("PASCAL VOC", "Cityscapes") appear as ``other:<name>`` so their numbers are not taken for ours."""
    low = None if _FOLD_TRAPS.search(text) else text.lower()
    spots = [(m.start(), name) for name, rx, stems in _alias_stems()
             if low is None or stems is None or any(s in low for s in stems) for m in rx.finditer(text)]
    spots += [(m.start(), "other:" + m.group(0).lower()) for m in OTHER_DATASETS.finditer(text)]
    return sorted(spots)


# Captions of tables that vary one design choice (ablations): their rows are rarely the headline.
_ABLATION_CAPTION = re.compile(r"ablat|\bvary|varying|effect of|impact of|influence of|w/o", re.I)


@functools.lru_cache(maxsize=1)
def _alias_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    out = []
    for name, b in load_registry().items():
        forms = sorted({*b.aliases, b.name}, key=len, reverse=True)
        rx = re.compile(r"(?<![\w\-])(?:" + "|".join(re.escape(f) for f in forms) + r")(?![\w])",
                        0 if name in ("cifar10", "cifar100") else re.IGNORECASE)
        out.append((name, rx))
    for name, pattern in EXTRA_ALIASES.items():
        if name in load_registry():
            out.append((name, re.compile(pattern, re.IGNORECASE)))
    return tuple(out)


# Characters a case-insensitive pattern matches to an ASCII letter although their ``lower()`` is not that
# letter ("ſ" ~ s, "ı"/"İ" ~ i): in a text holding one, the substring pre-check below is skipped.
_FOLD_TRAPS = re.compile("[\u017f\u0131\u0130]")


@functools.lru_cache(maxsize=1)
def _alias_stems() -> tuple[tuple[str, re.Pattern[str], tuple[str, ...] | None], ...]:
    """``_alias_patterns`` with, for the registry's literal aliases, the lower-cased forms one of which any
    match contains (a cheap ``in`` test spares the regular expression on most pages); None: always run it."""
    literal: dict[str, list[str]] = {}
    for name, b in load_registry().items():
        literal[name] = [f.lower() for f in {*b.aliases, b.name}]
    out = []
    for i, (name, rx) in enumerate(_alias_patterns()):
        forms = literal.get(name) if i < len(literal) else EXTRA_ALIAS_STEMS.get(rx.pattern)
        ok = forms and all(f.isascii() for f in forms)
        out.append((name, rx, tuple(forms) if ok else None))
    return tuple(out)


# Spellings papers use that the registry's alias lists do not cover (regular expressions).
EXTRA_ALIASES: dict[str, str] = {
    "wmt14_en_fr": r"English[\s\-]?(?:to|→|-)[\s\-]?French|\bEn[\-→]Fr\b",
    "wmt14_en_de": r"English[\s\-]?(?:to|→|-)[\s\-]?German|\bEn[\-→]De\b",
    "swb_hub500": r"Switchboard|Hub5(?:'00|’00| 2000)?|\bSWB\b",
    "coco": r"test-dev|\bCOCO\b",
    "squad11": r"\bSQuAD\b",
}
# For each pattern above, lower-case strings one of which every match of it contains (a match of
# "English[\s\-]?(?:to|→|-)[\s\-]?French" contains "english"): keep in step with the patterns; a pattern
# missing here is always run.
EXTRA_ALIAS_STEMS: dict[str, list[str]] = {
    EXTRA_ALIASES["wmt14_en_fr"]: ["english", "en-fr", "en→fr"],
    EXTRA_ALIASES["wmt14_en_de"]: ["english", "en-de", "en→de"],
    EXTRA_ALIASES["swb_hub500"]: ["switchboard", "hub5", "swb"],
    EXTRA_ALIASES["coco"]: ["test-dev", "coco"],
    EXTRA_ALIASES["squad11"]: ["squad"],
}


def _nearest_benchmark(spots: list[tuple[int, str]], pos: int, default: str, window: int = 600) -> str:
    best = None
    for p, name in spots:
        d = pos - p if p <= pos else (p - pos) * 2  # prefer a name before the value
        if d <= window and (best is None or d < best[0]):
            best = (d, name)
    return best[1] if best else default


DEFAULT_SETUP_MAIN = 1.25  # a training fact in the setup paragraph of the paper's main benchmark
DEFAULT_SETUP_OTHER = 0.8  # … of a dataset outside the registry (PASCAL VOC, KBP …)
DEFAULT_SETUP_WINDOW = 400  # characters before the value searched for the benchmark's name
_SETUP_FIELDS = frozenset({"hardware_count", "training_time_hours", "epochs", "training_steps"})


def _setup_benchmark(spots: list[tuple[int, str]], pos: int, window: int = DEFAULT_SETUP_WINDOW) -> str:
    """The benchmark whose setup the text before ``pos`` describes: the last registry benchmark named within
    ``window`` characters ("CoNLL2003: similar to the KBP series except … 128 epochs"), else the last
    other dataset (``other:…``), else ""."""
    before = [name for p, name in spots if pos - window <= p <= pos]
    registry = [name for name in before if not name.startswith("other:")]
    return registry[-1] if registry else (before[-1] if before else "")


def _fit_metric(field: str, benchmark: str, ranked: list[str] | None = None) -> tuple[str, str] | None:
    """(field, benchmark) made consistent: ``err`` on ImageNet is ``top1_err``; a metric the nearest
    benchmark does not have goes to the paper's most-named benchmark that has it."""
    reg = load_registry()
    options = [benchmark] if benchmark else []
    options += [b for b in (ranked or []) if b != benchmark]
    for b in options:
        if b not in reg:
            continue
        metrics = reg[b].metrics
        if field in metrics:
            return field, b
        mapped = {"err": "top1_err", "acc": "top1_acc", "top1_err": "err", "top1_acc": "acc"}.get(field)
        if mapped in metrics:
            return mapped, b
    if field in ("acc", "err") and options and "imagenet" in options[:1]:
        return None
    return field, ""


def _stem(name: str) -> str:
    head = re.split(r"[\-\s(]|(?<=[a-uw-z])(?=\d)", name.strip(), maxsplit=1)[0]
    return _SIZE_SUFFIX.sub("", head).lower().rstrip("s")


def _label_evidence(label: str, own: dict[str, float]) -> tuple[float, bool, bool]:
    """(own-model score, says "ours", cites another paper) for a table row label."""
    names = model_names(label) or ([label.split()[0]] if label.split() else [])
    own_score = max((own.get(_stem(n), 0.0) for n in names), default=0.0)
    if _NOT_A_MODEL.search(label):
        return 0.0, False, True
    return own_score, bool(re.search(r"\bours\b|\bour\b|proposed", label, re.I)), has_citation(label) or bool(
        re.search(r"\[\d", label))


def _table_candidates(doc: Document, page: Page, page_index: int, clean: str, idx: list[int],
                      sections: SectionMap, own: dict[str, float], spots: list[tuple[int, str]],
                      default_bench: str, ranked: list[str]) -> list[tuple[Candidate, float, Evidence]]:
    out: list[tuple[Candidate, float, Evidence]] = []
    facts = []
    raw_lines = page.text
    for f in text_table_facts(raw_lines, benchmark="", boxes=page.char_boxes or None):
        facts.append((f, f.start))
    for t in page.tables:
        pos = raw_lines.find(t.caption[:30]) if t.caption else -1
        for f in table_facts(t, benchmark=""):
            facts.append((f, max(pos, 0)))
    raw_spots = _benchmark_spots(raw_lines) if facts else []
    flat = raw_lines.replace("\n", " ") if facts else raw_lines  # the page on one line, for snippets
    for f, pos in facts:
        field = f.field
        bench = f.benchmark or _nearest_benchmark(raw_spots, pos, "", window=1500)
        implicit = not bench
        bench = bench or default_bench
        other = bench.startswith("other:")
        if other:
            bench = default_bench
        if field in METRIC_FIELDS:
            fitted = _fit_metric(field, bench, ranked)
            if fitted is None:
                continue
            field, bench = fitted
        else:
            bench = ""
        own_score, ours, cites = _label_evidence(f.model, own)
        extra = DEFAULT_OTHER_DATASET if other and field in METRIC_FIELDS else 1.0
        if implicit and field in METRIC_FIELDS:
            extra *= DEFAULT_NO_BENCHMARK
        flags = f.flags
        if "caption_only" in f.flags and f.column > 0:
            extra *= DEFAULT_LATER_COLUMN  # a headerless table: its first value column is the main score
            flags = (*flags, "later_column")
        if field in METRIC_FIELDS and re.search(r"\bdev\b", f.header, re.I):
            extra *= DEFAULT_DEV_SET  # development-set scores are tuning numbers; the test set is the headline
        if not f.model.strip() or re.fullmatch(r"\(?[A-Z]\)?|\d+", f.model.strip()):
            extra *= DEFAULT_UNLABELLED_ROW  # a row without a model name: an ablation variant or a stray line
        ev = Evidence(section=sections.kind(page_index, max(pos, 0)), ours=ours, citation=cites,
                      own_model=own_score, table=True, extra=extra,
                      ablation=bool(_ABLATION_CAPTION.search(f.caption)))
        bbox = page.span_bbox(f.start, f.end) if page.char_boxes and f.start >= 0 else None
        snippet = _snippet(flat, max(f.start, 0), max(f.end, 0)) if f.start >= 0 else (
            f"{f.model} {f.raw} [{f.header}]")[:SNIPPET_CHARS]
        cand = Candidate(
            arxiv_id=doc.arxiv_id, version=doc.version, field=field, value=f.value, benchmark=bench,
            model=f.model[:120], unit=FIELDS[field].unit, raw=f.raw, page=page.number, snippet=snippet,
            rule="table.text" if "text_table" in f.flags else "table.grid", bbox=bbox, flags=flags,
            rule_version=RULE_VERSION,
        )
        out.append((cand, f.confidence, ev))
    return out


def _hardware_candidates(doc: Document, page: Page, page_index: int, clean: str, idx: list[int],
                         sections: SectionMap) -> list[tuple[Candidate, float, Evidence]]:
    try:
        from flopmine.hardware import scan_hardware
    except ImportError:  # the catalog module is optional for the rules
        return []
    out: list[tuple[Candidate, float, Evidence]] = []
    for m in scan_hardware(clean):
        s, e = sentence_bounds(clean, m.start, m.end)
        sentence = clean[s:e]
        known = m.match is not None
        value = m.match.entry.name if m.match is not None else m.raw.strip()
        raw_start = idx[m.start] if m.start < len(idx) else 0
        ev = Evidence(
            section=sections.kind(page_index, raw_start), ours=mentions_ours(sentence),
            citation=has_citation(clean[max(s, m.start - 60):min(e, m.end + 40)]),
            train_context=bool(_TRAIN.search(sentence)),
            extra=(1.15 if m.unit in ("gpu", "chip", "core", "board", "device") else 1.0),
        )
        weight = 0.7 * (m.match.score / 100 if m.match is not None else 0.5)
        raw_end = idx[m.end - 1] + 1 if 0 < m.end <= len(idx) else raw_start
        out.append((Candidate(
            arxiv_id=doc.arxiv_id, version=doc.version, field="hardware", value=value, unit="",
            raw=m.raw, page=page.number, snippet=_snippet(clean, m.start, m.end),
            rule="hardware.catalog" if known else "hardware.unknown",
            bbox=page.span_bbox(raw_start, raw_end) if page.char_boxes else None,
            flags=() if known else ("unknown_hardware",), rule_version=RULE_VERSION,
        ), weight, ev))
    return out


def _headline_boost(scored: list[tuple[Candidate, float, Evidence]]) -> list[tuple[Candidate, float, Evidence]]:
    """Among the paper's own-model results for a metric on a benchmark, the best values are most likely
    the headline: the best gets ``DEFAULT_HEADLINE``, the runner-up ``DEFAULT_RUNNER_UP``. Values from
    later columns of a headerless table do not compete."""

    def eligible(c: Candidate, ev: Evidence) -> bool:
        return (FIELDS[c.field].kind == "metric" and ev.own_model >= 0.5 and not ev.citation
                and "later_column" not in c.flags)

    values: dict[tuple[str, str], set[float]] = {}
    for c, _, ev in scored:
        if eligible(c, ev):
            values.setdefault((c.field, c.benchmark), set()).add(float(c.value))
    order = {k: sorted(vs, reverse=bool(FIELDS[k[0]].higher_is_better)) for k, vs in values.items()}
    out = []
    for c, w, ev in scored:
        best = order.get((c.field, c.benchmark), [])
        if best and eligible(c, ev):
            if float(c.value) == best[0]:
                ev = replace(ev, extra=ev.extra * DEFAULT_HEADLINE)
            elif len(best) > 1 and float(c.value) == best[1]:
                ev = replace(ev, extra=ev.extra * DEFAULT_RUNNER_UP)
        out.append((c, w, ev))
    return out


# Scores no model reaches on a benchmark: COCO AP (IoU 0.5:0.95) above 70 is a PASCAL VOC mAP in a detection
# paper that reports both. A reviewer reads such a value as another dataset's.
BENCHMARK_CEILING: dict[tuple[str, str], float] = {
    ("coco", "box_ap"): 70.0, ("coco", "ap75"): 75.0, ("coco", "ap_s"): 60.0, ("coco", "ap_m"): 75.0,
    ("coco", "ap_l"): 85.0, ("coco", "ap50"): 85.0,
}


def _beyond_benchmark(c: Candidate) -> bool:
    """Whether a metric value is above what any model scores on its benchmark (``BENCHMARK_CEILING``)."""
    ceiling = BENCHMARK_CEILING.get((c.benchmark, c.field))
    return ceiling is not None and float(c.value) > ceiling


_LOW_SCORE_FIELDS = frozenset({"top1_acc", "top5_acc", "acc", "box_ap", "ap50", "ap75", "ap_m", "ap_l", "f1",
                               "em", "bleu"})


def candidates(doc: Document) -> list[Candidate]:
    """Every candidate fact in ``doc``, deduplicated, with confidence and rank within (paper, field)."""
    eng = engine()
    sections = section_map(doc)
    own = own_model_stems(doc)
    all_spots: Counter[str] = Counter()
    cleaned = []
    for page in doc.pages:
        clean, idx = clean_text(page.text)
        page_spots = _benchmark_spots(clean)
        cleaned.append((clean, idx, page_spots))
        all_spots.update(name for _, name in page_spots if not name.startswith("other:"))
    ranked = [*doc.benchmarks, *(b for b, _ in all_spots.most_common())]
    default_bench = ranked[0] if ranked else ""
    main_bench = tuple(rx for name, rx in _alias_patterns() if name == default_bench)
    pretrains = sum(len(_PRETRAIN.findall(c)) for c, _, _ in cleaned) >= DEFAULT_PRETRAIN_MENTIONS
    found: list[tuple[Candidate, float, Evidence]] = []
    for i, page in enumerate(doc.pages):
        clean, idx, spots = cleaned[i]
        for c, w, ev, pos in _page_candidates(doc, page, i, eng, sections, own, main_bench, pretrains, (clean, idx)):
            if c.field in METRIC_FIELDS:
                bench = _nearest_benchmark(spots, pos, "")
                if not bench:
                    bench = default_bench
                    ev = replace(ev, extra=ev.extra * DEFAULT_NO_BENCHMARK)
                if bench.startswith("other:"):
                    bench = default_bench
                    ev = replace(ev, extra=ev.extra * DEFAULT_OTHER_DATASET)
                fitted = _fit_metric(c.field, bench, ranked)
                if fitted is None:
                    continue
                c = replace(c, field=fitted[0], benchmark=fitted[1])
            elif c.field in _SETUP_FIELDS and not ev.main_benchmark and default_bench:
                # the benchmark whose setup the paragraph describes ("CoNLL2003: … 128 epochs are run")
                setup = _setup_benchmark(spots, pos)
                if setup == default_bench:
                    ev = replace(ev, extra=ev.extra * DEFAULT_SETUP_MAIN)
                elif setup.startswith("other:"):
                    ev = replace(ev, extra=ev.extra * DEFAULT_SETUP_OTHER)
            found.append((c, w, ev))
        found.extend(_table_candidates(doc, page, i, clean, idx, sections, own, spots, default_bench, ranked))
        found.extend(_hardware_candidates(doc, page, i, clean, idx, sections))
    found = _headline_boost(found)
    found = [(c, w, replace(ev, extra=ev.extra * DEFAULT_LOW_SCORE)) if c.field in _LOW_SCORE_FIELDS
             and float(c.value) < 10 else (c, w, ev) for c, w, ev in found]
    found = [(c, w, replace(ev, extra=ev.extra * DEFAULT_OTHER_DATASET)) if _beyond_benchmark(c) else (c, w, ev)
             for c, w, ev in found]
    repeats: Counter[tuple[str, str]] = Counter()
    for c, _, _ in found:
        repeats[(_group(c.field), normalise_value(c.value))] += 1
    raw_scores = []
    for c, weight, ev in found:
        n = repeats[(_group(c.field), normalise_value(c.value))]
        if c.field == "hardware_count" and float(c.value) == 1:
            n = 1  # "a single machine / model / GPU": the word is too common for repeats to be agreement
        raw_scores.append((c, score(weight, ev, n)))
    raw_scores = _precise_over_rounded(raw_scores)
    raw_scores = _headline_model_compute(raw_scores, default_bench)
    scored = [replace(c, confidence=to_confidence(s)) for c, s in raw_scores]
    return dedupe_and_rank(scored, max_per_field=_rank.DEFAULT_MAX_PER_FIELD, min_relative=_rank.DEFAULT_MIN_RELATIVE)


DEFAULT_ROUNDED = 0.8  # "4 hours" in the introduction when "4.1 hours" is stated elsewhere: the rounded mention
_ROUNDING_FIELDS = frozenset({"training_time_hours", *METRIC_FIELDS})


def _significant_digits(raw: str) -> int:
    """Significant digits of the first number in a raw match ("4.1 hours" → 2, "33 hours" → 2, "1,200" → 2)."""
    m = re.search(r"\d[\d,]*(?:\.\d+)?", raw)
    if not m:
        return 0
    t = m.group(0).replace(",", "")
    digits = t.replace(".", "").lstrip("0")
    return len(digits if "." in t else digits.rstrip("0")) or 1


def _precise_over_rounded(raw_scores: list[tuple[Candidate, float]]) -> list[tuple[Candidate, float]]:
    """A rounded mention ("from 33 to 4 hours") and a precise one ("4.1 hours") of the same fact: the
    reviewer records the precise figure. The precise value takes the best evidence of its rounded
    mentions (× 1.05); each rounded mention gets ``DEFAULT_ROUNDED``."""
    by_field: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for c, _ in raw_scores:
        if c.field in _ROUNDING_FIELDS and isinstance(c.value, (int, float)):
            by_field.setdefault((_group(c.field), c.benchmark), []).append((float(c.value), _significant_digits(c.raw)))
    rounded_to: dict[tuple[str, str, float], float] = {}  # (field, benchmark, rounded value) → precise value
    for key, vals in by_field.items():
        for v, sv in set(vals):
            for u, su in set(vals):
                if 0 < sv < su and u != v and u > 0 and abs(u - v) <= 0.05 * u and float(f"{u:.{sv}g}") == v:
                    rounded_to[(*key, v)] = u
    if not rounded_to:
        return raw_scores
    best_rounded: dict[tuple[str, str, float], float] = {}
    out = []
    for c, sc in raw_scores:
        k = (_group(c.field), c.benchmark, float(c.value)) if isinstance(c.value, (int, float)) else None
        if k is not None and k in rounded_to:
            sc *= DEFAULT_ROUNDED
            pk = (k[0], k[1], rounded_to[k])
            best_rounded[pk] = max(best_rounded.get(pk, 0.0), sc / DEFAULT_ROUNDED)
        out.append((c, sc))
    return [(c, max(sc, 1.05 * best_rounded[(_group(c.field), c.benchmark, float(c.value))]))
            if isinstance(c.value, (int, float)) and (_group(c.field), c.benchmark, float(c.value)) in best_rounded
            else (c, sc) for c, sc in out]


DEFAULT_HEADLINE_MODEL = 1.3  # a compute cell in the row of the model whose score is the paper's headline


def _row_label(model: str) -> str:
    return re.sub(r"\s+", " ", model).strip().lower()


def _headline_model_compute(raw_scores: list[tuple[Candidate, float]], bench: str) -> list[tuple[Candidate, float]]:
    """Tables that list training time, steps or FLOPs per model: the row of the model whose result is the
    headline (the best-evidenced table score on the paper's main benchmark) holds the headline compute.
    Its compute cells get ``DEFAULT_HEADLINE_MODEL``."""
    best: tuple[float, str] | None = None
    for c, sc in raw_scores:
        if (FIELDS[c.field].kind == "metric" and c.rule.startswith("table.") and c.benchmark == bench
                and _row_label(c.model) and (best is None or sc > best[0])):
            best = (sc, _row_label(c.model))
    if best is None:
        return raw_scores
    return [(c, sc * DEFAULT_HEADLINE_MODEL) if FIELDS[c.field].kind == "compute" and c.rule.startswith("table.")
            and _row_label(c.model) == best[1] else (c, sc) for c, sc in raw_scores]


def _group(field: str) -> str:
    return "flops" if field == "mult_adds" else field
