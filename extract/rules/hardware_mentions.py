"""Candidates for the ``hardware`` field: device mentions matched onto the hardware catalog."""

from __future__ import annotations

from flopmine.types import Candidate

from ..document import Document, Page
from ..evidence import Evidence
from .context import (
    SectionMap,
    has_citation,
    mentions_ours,
    sentence_bounds,
)
from .text_rules import _INFER, _TRAIN, _snippet
from .version import RULE_VERSION


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
            # "FPS on a 2080 Ti", "throughput is measured on a single V100": the device that timed inference,
            # which is the training one only when the paper names no other
            inference=bool(_INFER.search(sentence)) and not _TRAIN.search(sentence),
            tags=("device_unit",) if m.unit in ("gpu", "chip", "core", "board", "device") else (),
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
