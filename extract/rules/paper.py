"""``candidates(doc)``: every candidate fact of a paper with its evidence, scored by the ranker and
ranked within (paper, field).

``collect(doc)`` is the rules' half: candidates with the evidence a reviewer would weigh, unscored,
implausible values left out (``rules.plausible``). ``candidates(doc, model)`` adds the learned model's
confidence (``extract.ranking``) and the ranks; ``candidates_counted`` also says how many were left out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING

from flopmine.types import METRIC_FIELDS, Candidate

from ..document import Document
from ..evidence import Evidence
from ..normalise import clean_text
from ..tables import declared_metrics
from .benchmark_names import (
    _SETUP_FIELDS,
    _alias_patterns,
    _benchmark_spots,
    _fit_metric,
    _nearest_benchmark,
    _setup_benchmark,
    figure_on_other_dataset,
    heading_datasets,
    other_dataset_result,
    passage_on_other_dataset,
    section_dataset,
    section_on_other_dataset,
)
from .context import names_written_as_datasets, own_model_name, own_model_stems, section_map
from .engine import engine
from .hardware_mentions import _hardware_candidates, resolve_family_mentions
from .paper_evidence import (
    _LOW_SCORE_FIELDS,
    _beyond_benchmark,
    _headline_boost,
    _headline_model_compute,
    _precise_over_rounded,
)
from .plausible import plausible_found
from .table_rows import _table_candidates
from .text_rules import _PRETRAIN, DEFAULT_PRETRAIN_MENTIONS, _page_candidates

if TYPE_CHECKING:
    from ..ranking import Found, Ranker


def collect(doc: Document) -> Found:
    """Every plausible candidate mention in ``doc`` with its rule's prior weight and its evidence (not
    deduplicated, not scored): what ``extract.ranking`` makes features of."""
    return collect_counted(doc)[0]


def collect_counted(doc: Document) -> tuple[Found, int]:
    """``collect(doc)`` and how many implausible mentions it left out."""
    eng = engine()
    sections = section_map(doc)
    own = own_model_stems(doc)
    own_name = own_model_name(doc, own)
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
    declared = declared_metrics(" ".join(c for c, _, _ in cleaned))
    datasets = names_written_as_datasets(" ".join(c for c, _, _ in cleaned))
    headings = heading_datasets([page.text for page in doc.pages])
    opening = [""]  # the dataset context each page opens in: the last one of the pages before
    for marks in headings[:-1]:
        opening.append(marks[-1][1] if marks else opening[-1])
    found: list[tuple[Candidate, float, Evidence]] = []
    for i, page in enumerate(doc.pages):
        clean, idx, spots = cleaned[i]
        for c, w, ev, pos in _page_candidates(doc, page, i, eng, sections, own, main_bench, pretrains, (clean, idx),
                                             own_name):
            if c.model and c.model in datasets:
                # "the OntoNotes coreference task (79.6% F1), strong performance on the TACRED relation extraction
                # benchmark": the name nearest the number is a dataset the paper evaluates on, never a model; a
                # score is that dataset's unless the registry knows it
                known = any(not n.startswith("other:") for _, n in _benchmark_spots(c.model))  # a registry name
                if c.field in METRIC_FIELDS and not known:
                    continue
                c = replace(c, model="")
            if c.field in METRIC_FIELDS:
                section = section_dataset(headings[i], opening[i], idx[pos] if pos < len(idx) else len(page.text))
                if section_on_other_dataset(clean, spots, pos, pos + len(c.raw), section, c.field):
                    continue  # "5.2. PASCAL VOC 2007 Results … an improvement to 69.9% mAP": the section's dataset
                bench = _nearest_benchmark(spots, pos, "")
                if (not bench or bench.startswith("other:")) and figure_on_other_dataset(
                        clean, spots, pos, pos + len(c.raw)):
                    continue  # a figure's label ("63.4mAP 45FPS") under a caption naming VOC2007
                if not bench:
                    bench = default_bench
                    ev = ev.tagged("no_benchmark")
                if bench.startswith("other:"):
                    if other_dataset_result(clean, spots, pos, pos + len(c.raw), c.field):
                        continue  # "a mAP of 65.7% on VOC12": another dataset's result, no registry row
                    if passage_on_other_dataset(clean, spots, pos, pos + len(c.raw)):
                        continue  # a VOC results section's later sentences ("… another boost to 58.9% mAP")
                    bench = default_bench
                    ev = ev.tagged("other_dataset")
                fitted = _fit_metric(c.field, bench, ranked)
                if fitted is None:
                    continue
                c = replace(c, field=fitted[0], benchmark=fitted[1])
            elif c.field in _SETUP_FIELDS and not ev.main_benchmark and default_bench:
                # the benchmark whose setup the paragraph describes ("CoNLL2003: … 128 epochs are run")
                setup = _setup_benchmark(spots, pos)
                if setup == default_bench:
                    ev = ev.tagged("setup_main")
                elif setup.startswith("other:"):
                    ev = ev.tagged("setup_other")
            found.append((c, w, ev))
        found.extend(_table_candidates(doc, page, i, clean, idx, sections, own, spots, default_bench, ranked,
                                       declared))
        found.extend(_hardware_candidates(doc, page, i, clean, idx, sections))
    found = [(c, w, ev.tagged("low_score")) if c.field in _LOW_SCORE_FIELDS and float(c.value) < 10
             else (c, w, ev) for c, w, ev in found]
    found = [(c, w, ev.tagged("other_dataset")) if _beyond_benchmark(c) else (c, w, ev) for c, w, ev in found]
    found = resolve_family_mentions(found)
    found = _headline_boost(found)
    found = _precise_over_rounded(found)
    return plausible_found(_headline_model_compute(found, default_bench))


def candidates(doc: Document, model: Ranker | None = None) -> list[Candidate]:
    """Every candidate fact in ``doc``, deduplicated, with confidence and rank within (paper, field).

    ``model``: the ranker to score with (default: the model shipped with flopmine, ``ranking.default_model``).
    """
    return candidates_counted(doc, model)[0]


def candidates_counted(doc: Document, model: Ranker | None = None) -> tuple[list[Candidate], int]:
    """``candidates(doc, model)`` and how many implausible mentions were left out before ranking."""
    from ..ranking import default_model, rank_found

    found, dropped = collect_counted(doc)
    return rank_found(found, model or default_model(), pages=doc.page_count), dropped
