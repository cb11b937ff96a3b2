"""Candidates from table cells: row labels as models, header columns as metrics, with their evidence."""

from __future__ import annotations

import re

from flopmine.types import FIELDS, METRIC_FIELDS, BBox, Candidate

from ..document import Document, Page
from ..evidence import Evidence
from ..grid import Grid
from ..tables import (
    CellFact,
    _benchmark_spans,
    clean_row_label,
    fit_evidence,
    foreign_level,
    grid_facts,
    table_facts,
    text_table_facts,
    unfielded_cells,
)
from .benchmark_names import _benchmark_spots, _fit_metric, _nearest_benchmark
from .context import (
    SectionMap,
    has_citation,
    model_names,
)
from .text_rules import (
    _NOT_A_MODEL,
    SNIPPET_CHARS,
    _snippet,
    _stem,
)
from .version import RULE_VERSION

_ABLATION_CAPTION = re.compile(r"ablat|\bvary|varying|effect of|impact of|influence of|w/o", re.I)
# Cell shapes worth a feature: "22.15 / 20.80", "30.8 → 34.5", "6.61±0.16", a scale read from the header.
_CELL_FLAGS = frozenset({"two_values", "arrow", "interval", "assumed_scale", "caption_only", "row_header"})


def cites_in_label(label: str) -> bool:
    """Whether a table row label cites another paper: a bracketed number, "et al.", or authors and a year.

    >>> cites_in_label("EfficientNet-B3 (Tan & Le, 2019a)"), cites_in_label("Ott & Auli (2018)")
    (True, True)
    >>> cites_in_label("ResNet-50 [12]"), cites_in_label("EfficientNetV2-S (ours)"), cites_in_label("ResNet (2016)")
    (True, False, False)
    """
    return has_citation(label) or bool(re.search(r"\[\d", label))


# A baseline the authors ran again themselves: "PNASNet-5 [10] (our impl.)", "ResNet-50 (re-implementation)", "Our
# reimplementation: static", "(reimpl.)", "BERT (reproduced)", "trained by us", "implemented by us". Its "our" names
# who ran it, not whose model it is.
_REIMPLEMENTED = re.compile(
    r"\bour\s+(?:re-?)?impl(?:ementation|\b|\.)|\bre-?impl(?:ement|\b|\.)|\breproduc(?:ed|tion)\b|"
    r"\b(?:re-?)?(?:trained|run|implemented|impl\.)\s+by\s+us\b",
    re.IGNORECASE)


def reimplemented(label: str) -> bool:
    """Whether a table row label marks a baseline the authors re-implemented or re-ran (another paper's model).

    >>> [reimplemented(s) for s in ("PNASNet-5 [10] (our impl.)", "Our reimplementation: static",
    ...                              "ResNet-50 (re-implementation)", "BERT (reproduced)", "ResNet-50 (trained by us)")]
    [True, True, True, True, True]
    >>> [reimplemented(s) for s in ("ShuffleNet v2 2x (ours)", "Our model", "implicit ResNet", "our improved net")]
    [False, False, False, False]
    """
    return bool(_REIMPLEMENTED.search(label))


def _label_evidence(label: str, own: dict[str, float], printed: str = "") -> tuple[float, bool, bool]:
    """(own-model score, says "ours", cites another paper) for a table row label; ``printed`` is the row as
    printed, when the reader shortened the label ("PNASNet-5" of "PNASNet-5 (our impl.) 5.1M 25.8")."""
    names = model_names(label) or ([label.split()[0]] if label.split() else [])
    own_score = max((own.get(_stem(n), 0.0) for n in names), default=0.0)
    if _NOT_A_MODEL.search(label) or reimplemented(label) or reimplemented(printed):
        return 0.0, False, True
    return own_score, bool(re.search(r"\bours\b|\bour\b|proposed", label, re.I)), cites_in_label(label)


def _printed_row(f: CellFact) -> str:
    """The row as printed: the cell's evidence before its bracketed header part ("" when it has none)."""
    return f.evidence.rsplit(" [", 1)[0] if f.evidence else ""


def _column_key(f: CellFact) -> tuple[str, str, str, int]:
    return (f.field, f.header.strip().lower(), f.caption[:40], f.column)


def _best_in_column(facts: list[tuple[CellFact, str]], own: dict[str, float]) -> tuple[set[int], set[int]]:
    """The cells (by ``id``) holding the best metric value — for compute fields the largest value — of their
    column (same field, header, caption and column), among all rows and among the rows of the paper's own
    models (not citing another paper). Each cell comes with its model as the queue names it
    (``expand_version_label``), on which its own-model evidence is read."""
    cols: dict[tuple[str, str, str, int], list[CellFact]] = {}
    model_of: dict[int, str] = {}
    for f, model in facts:
        if FIELDS[f.field].numeric and (FIELDS[f.field].kind == "compute" or FIELDS[f.field].higher_is_better
                                        is not None):
            cols.setdefault(_column_key(f), []).append(f)
            model_of[id(f)] = model
    best: set[int] = set()
    best_own: set[int] = set()
    for key, cells in cols.items():
        if len(cells) < 2:
            continue
        # metrics: the best score; compute columns: the largest model (the headline one, usually)
        sign = 1.0 if FIELDS[key[0]].higher_is_better or FIELDS[key[0]].kind == "compute" else -1.0
        top = max(sign * c.value for c in cells)
        best |= {id(c) for c in cells if sign * c.value == top}
        mine = [c for c in cells
                if (lambda e: e[0] >= 0.5 and not e[2])(_label_evidence(model_of[id(c)], own, _printed_row(c)))]
        if mine:
            top_own = max(sign * c.value for c in mine)
            best_own |= {id(c) for c in mine if sign * c.value == top_own}
    return best, best_own


# Speech papers break a word error rate into its parts, a row or column each: substitutions, deletions and
# insertions ("sub del ins" beside "all" or "WER"). A part is no WER.
_WER_PART = re.compile(r"(?:^|\s)(?:sub|del|ins|subs|dels|substitutions?|deletions?|insertions?)\.?$", re.I)


def wer_part(label: str, header: str) -> bool:
    """Whether a WER cell is one of the error's parts: its row label or its column header ends with one.

    >>> wer_part("ASR Human sub", "CH SWB"), wer_part("LSTM", "WER Del."), wer_part("BLSTM + LM", "SWB CH")
    (True, True, False)
    >>> wer_part("Transformer (big)", "test-clean"), wer_part("Baseline", "WER (%)")
    (False, False)
    """
    return bool(_WER_PART.search(label.strip()) or _WER_PART.search(header.strip()))


def foreign_cell(f: CellFact) -> bool:
    """Whether a metric cell is another dataset's result, no registry benchmark's: the grid saw it in a row or in a
    table whose caption names another dataset (tag "foreign", ``tables.foreign_level``), or the line reader read it
    under a header slot naming one ("MNLI" beside "SQuAD v1.1", "VOC2007 test mAP").

    Habit: a detection paper's PASCAL VOC tables print "mAP" (AP at IoU 0.5 over VOC's classes), which reads as
    COCO's box AP; an NLP paper's columns of other tasks print F1 and accuracy, which read as SQuAD's or GLUE's.
    """
    if "foreign" in f.tags:
        return True
    return "text_table" in f.flags and f.benchmark.startswith("other:") and foreign_level(f.header)


def _rule_of(f: CellFact) -> str:
    if "grid" in f.flags:
        return "table.geometry"  # extract.grid: the table read from word boxes and rules
    return "table.text" if "text_table" in f.flags else "table.grid"


def page_grids(page: Page) -> list[Grid]:
    """The page's tables read as grids (``Page.tables`` from ``extract.pdf.read_document``)."""
    return [t.grid for t in page.tables if t.grid is not None]


# The COCO box AP family: the grid reads the sub-header ("APtest S", "AP50") that the line reader, seeing "AP",
# takes for box AP; a value the grid gave one of them is placed for all
_COCO_BOX = frozenset({"box_ap", "ap50", "ap75", "ap_s", "ap_m", "ap_l"})


def _group_of(field_name: str) -> str:
    """Fields one value may be read as (FLOPs and multiply-adds; the COCO box AP family; accuracy and error are
    told apart by value)."""
    if field_name in _COCO_BOX:
        return "box_ap"
    return "flops" if field_name == "mult_adds" else field_name


def _within(box: BBox, region: BBox, margin: float = 2.0) -> bool:
    mx, my = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return region[0] - margin <= mx <= region[2] + margin and region[1] - margin <= my <= region[3] + margin


def _overlap(a: BBox, b: BBox) -> float:
    """The share of ``a``'s area inside ``b``."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    area = max((a[2] - a[0]) * (a[3] - a[1]), 1e-6)
    return max(w, 0) * max(h, 0) / area


# Habit: a paper comparing the generations of its own family names them in tables by the version alone ("V1",
# "V2", "V3-Large" in "Searching for MobileNetV3"): the family is the one its title or first page names with a version
_VERSIONED_FAMILY = re.compile(r"\b([A-Z][A-Za-z]*[A-Za-z])([Vv]\d+)\b")
_VERSION_LABEL = re.compile(r"([Vv]\d+)(?=$|[\s\-(\u2020\u2021*])")
DEFAULT_FAMILY_HEAD_CHARS = 2000  # of page 1: the title and abstract, where a paper names its own family


def versioned_family(doc: Document) -> str:
    """The family a paper names with a version in its title, abstract or page 1's head ("MobileNet" for
    "Searching for MobileNetV3"); "" when it names none, or two families.

    >>> versioned_family(Document.from_texts(["Searching for MobileNetV3 ... than MobileNetV2"]))
    'MobileNet'
    >>> versioned_family(Document.from_texts(["YOLOv4 beats EfficientDet and MobileNetV2"]))
    ''
    """
    head = " ".join((doc.title, doc.abstract, doc.pages[0].text[:DEFAULT_FAMILY_HEAD_CHARS] if doc.pages else ""))
    stems = {m.group(1) for m in _VERSIONED_FAMILY.finditer(head)}
    return next(iter(stems)) if len(stems) == 1 else ""


def expand_version_label(model: str, family: str) -> str:
    """A table model named by its version alone, with the paper's family in front: "V3-Large 1.0" →
    "MobileNetV3-Large 1.0"; any other name stays as it is.

    >>> expand_version_label("V3-Large 1.0", "MobileNet"), expand_version_label("V2 (ours)", "MobileNet")
    ('MobileNetV3-Large 1.0', 'MobileNetV2 (ours)')
    >>> expand_version_label("Mnasnet-A1", "MobileNet"), expand_version_label("V3", ""), expand_version_label("VGG", "X")
    ('Mnasnet-A1', 'V3', 'VGG')
    """
    if not family or not _VERSION_LABEL.match(model):
        return model
    return family + model


def _table_candidates(doc: Document, page: Page, page_index: int, clean: str, idx: list[int],
                      sections: SectionMap, own: dict[str, float], spots: list[tuple[int, str]],
                      default_bench: str, ranked: list[str], declared: dict[str, str] | None = None,
                      ) -> list[tuple[Candidate, float, Evidence]]:
    """``declared``: the metric the paper says it reports per benchmark (``tables.declared_metrics``)."""
    out: list[tuple[Candidate, float, Evidence]] = []
    facts = []
    raw_lines = page.text
    grids = page_grids(page)
    regions = [g.bbox for g in grids]
    placed_in: list[set[tuple[str, float]]] = []  # per grid: the (field, value) pairs its cells gave
    settled_in: list[list[BBox]] = []  # per grid: its number cells in columns that name no field
    for g in grids:
        placed_in.append(set())
        # the benchmark the caption names is the table's (a "PASCAL VOC2007 test" table is VOC's, whatever the
        # page names nearest the cell)
        named = next((b for _, _, b in _benchmark_spans(g.caption)), "") if g.caption else ""
        cell_facts = grid_facts(g, benchmark=named, declared=declared)
        for f in cell_facts:
            facts.append((f, max(f.start, 0)))
            placed_in[-1].add((_group_of(f.field), round(f.value, 6)))
        settled_in.append(unfielded_cells(g, {f.column for f in cell_facts}))
    placed = set().union(*placed_in)
    for f in text_table_facts(raw_lines, benchmark="", boxes=page.char_boxes or None):
        # the line-by-line reader is the fallback for what the grids do not place: text outside every grid, or
        # a value of a grid's region that no cell of that grid gave under that field (another table of the
        # page printing the same number does not place it) …
        box = page.span_bbox(f.start, f.end) if regions and f.start >= 0 else None
        key = (_group_of(f.field), round(f.value, 6))
        inside = [k for k, r in enumerate(regions) if box is not None and _within(box, r)]
        # … and never a number the grid read under a header naming no field: an input size, a layer output, a
        # depth ("MaxViT-XL | 384 | 475M": 384 is the eval size, not 384M parameters)
        if box is not None and any(_within(box, cell, margin=0.5) for k in inside for cell in settled_in[k]):
            continue
        if box is None or any(key not in placed_in[k] for k in inside) or not inside:
            facts.append((f, f.start))
    for t in page.tables:
        if t.grid is not None:
            continue
        inside = t.bbox is not None and any(_overlap(t.bbox, r) > 0.5 for r in regions)
        pos = raw_lines.find(t.caption[:30]) if t.caption else -1
        for f in table_facts(t, benchmark=""):
            if not inside or (_group_of(f.field), round(f.value, 6)) not in placed:
                facts.append((f, max(pos, 0)))
    family = versioned_family(doc) if facts else ""
    raw_spots = _benchmark_spots(raw_lines) if facts else []
    flat = raw_lines.replace("\n", " ") if facts else raw_lines  # the page on one line, for snippets
    # each row's model as the queue names it: "V3-Large 1.0" in a MobileNetV3 paper is its own MobileNetV3's
    models = [expand_version_label(f.model, family) for f, _ in facts]
    best, best_own = _best_in_column([(f, model) for (f, _), model in zip(facts, models, strict=True)], own)
    for (f, pos), model in zip(facts, models, strict=True):
        field = f.field
        bench = f.benchmark or _nearest_benchmark(raw_spots, pos, "", window=1500)
        implicit = not bench
        bench = bench or default_bench
        other = bench.startswith("other:")
        if other:
            bench = default_bench
        if field in METRIC_FIELDS and foreign_cell(f):
            continue
        if field == "wer" and wer_part(f.model, f.header):
            continue
        if field in METRIC_FIELDS and other and "text_table" in f.flags and not clean_row_label(f.model):
            # the line reader's number with no row label, where the dataset named nearest is another one (a PASCAL
            # VOC page's "mAP 66.9% @ 320ms", a plot's ticks under "mAP"): nothing ties it to a model or a benchmark
            continue
        if field in METRIC_FIELDS:
            fitted = _fit_metric(field, bench, ranked)
            if fitted is None:
                continue
            field, bench = fitted
        else:
            bench = ""
        printed = _printed_row(f)
        own_score, ours, cites = _label_evidence(model, own, printed)
        # a citation in a column of its own ("Transformer | Vaswani et al. (2017) | 27.3"): the row as printed
        # (its evidence before the header part) cites the baseline's paper
        cites = cites or cites_in_label(printed)
        tags: list[str] = []
        if other and field in METRIC_FIELDS:
            tags.append("other_dataset")
        if implicit and field in METRIC_FIELDS:
            tags.append("no_benchmark")
        flags = f.flags
        if "caption_only" in f.flags and f.column > 0:
            tags.append("later_column")  # a headerless table: its first value column is the main score
            flags = (*flags, "later_column")
        if field in METRIC_FIELDS and re.search(r"\bdev\b", f.header, re.I):
            tags.append("dev_set")  # development-set scores are tuning numbers; the test set is the headline
        if not f.model.strip() or re.fullmatch(r"\(?[A-Z]\)?|\d+", f.model.strip()):
            tags.append("unlabelled_row")  # a row without a model name: an ablation variant or a stray line
        tags.extend(f"cell_{x}" for x in f.flags if x in _CELL_FLAGS)
        tags.extend(t for t in f.tags if t not in tags)
        if id(f) in best:
            tags.append("best_in_column")  # the best value of its column: what the paper's table leads to
        if id(f) in best_own:
            tags.append("best_own_in_column")
        ev = Evidence(section=sections.kind(page_index, max(pos, 0)), ours=ours, citation=cites,
                      own_model=own_score, table=True, tags=tuple(tags),
                      ablation=bool(_ABLATION_CAPTION.search(f.caption)))
        bbox = f.bbox or (page.span_bbox(f.start, f.end) if page.char_boxes and f.start >= 0 else None)
        if f.evidence:
            row, _, head = f.evidence.rpartition(" [") if f.evidence.endswith("]") else (f.evidence, "", "")
            snippet = fit_evidence(row, head[:-1], f.raw, SNIPPET_CHARS) if row else f.evidence[:SNIPPET_CHARS]
        else:
            snippet = _snippet(flat, max(f.start, 0), max(f.end, 0)) if f.start >= 0 else (
                f"{f.model} {f.raw} [{f.header}]")[:SNIPPET_CHARS]
        cand = Candidate(
            arxiv_id=doc.arxiv_id, version=doc.version, field=field, value=f.value, benchmark=bench,
            model=model[:120], unit=FIELDS[field].unit, raw=f.raw, page=page.number, snippet=snippet,
            rule=_rule_of(f), bbox=bbox, flags=flags,
            rule_version=RULE_VERSION,
        )
        out.append((cand, f.confidence, ev))
    return out
