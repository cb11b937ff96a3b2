"""``candidates(doc)``: every candidate fact of a paper, scored and ranked within (paper, field)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from flopmine.types import METRIC_FIELDS, Candidate, normalise_value

from .. import rank as _rank
from ..document import Document
from ..normalise import clean_text
from ..rank import Evidence, dedupe_and_rank, score, to_confidence
from .benchmark_names import (
    _SETUP_FIELDS,
    DEFAULT_SETUP_MAIN,
    DEFAULT_SETUP_OTHER,
    _alias_patterns,
    _benchmark_spots,
    _fit_metric,
    _nearest_benchmark,
    _setup_benchmark,
)
from .context import (
    own_model_stems,
    section_map,
)
from .engine import engine
from .hardware_mentions import _hardware_candidates
from .paper_evidence import (
    _LOW_SCORE_FIELDS,
    _beyond_benchmark,
    _group,
    _headline_boost,
    _headline_model_compute,
    _precise_over_rounded,
)
from .table_rows import _table_candidates
from .text_rules import (
    _PRETRAIN,
    DEFAULT_LOW_SCORE,
    DEFAULT_NO_BENCHMARK,
    DEFAULT_OTHER_DATASET,
    DEFAULT_PRETRAIN_MENTIONS,
    _page_candidates,
)


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
