"""Candidates for the ``hardware`` field: device mentions matched onto the hardware catalog."""

from __future__ import annotations

import re
from dataclasses import replace

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

# "trained on a single Nvidia M40 GPU", "we train our models in TPUs (v3)", "pre-trained using 8 V100s": the
# device the sentence says a training run used, as against one a table or a speed comparison names.
_TRAINED_ON = re.compile(r"\b(?:train\w*|pre-?train\w*)\b[^.;:]{0,60}?\b(?:on|in|using|with)\s+(?:[\w\-]+\s+){0,3}$",
                         re.I)

# "all the methods are measured on the Nvidia Titan X GPU, except RetinaNet, Mask R-CNN and FPN (Nvidia M40 GPU)": a
# timing comparison that names, in parentheses after the methods it excepts, the device those other papers used.
_EXCEPTED = re.compile(r"\b(?:except(?:\s+for)?|apart\s+from|other\s+than|but\s+for)\s+[^.;()]{1,100}\(\s*$", re.I)

# "implemented in Torch (Collobert et al., 2011) and trained on a single Nvidia M40 GPU": a reference a few words
# before a device is the software's or the method's it follows; one that cites the device stands next to it ("a 4x4
# TPU Pod [24]", "[25] VGG 43 (Titan X)").
DEFAULT_CITATION_REACH = 25  # characters either side of a device searched for a reference


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
            citation=has_citation(clean[max(s, m.start - DEFAULT_CITATION_REACH):min(e, m.end + DEFAULT_CITATION_REACH)]),
            train_context=bool(_TRAIN.search(sentence)),
            # "FPS on a 2080 Ti", "throughput is measured on a single V100": the device that timed inference,
            # which is the training one only when the paper names no other
            inference=bool(_INFER.search(sentence)) and not _TRAIN.search(sentence),
            tags=(*(("device_unit",) if m.unit in ("gpu", "chip", "core", "board", "device") else ()),
                  *(("trained_on",) if _TRAINED_ON.search(clean[s:m.start]) else ()),
                  *(("other_model",) if _EXCEPTED.search(clean[s:m.start]) else ())),
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


Found = list[tuple[Candidate, float, Evidence]]


def resolve_family_mentions(found: Found) -> Found:
    """A device named by its family only ("TPU", "64 TPU chips", "Kepler") in a paper that names one card or
    generation of that family elsewhere ("TPUs (v3)", "16 Cloud TPUs"): the family mention is shorthand for that
    device, so it takes that device's name and is tagged ``resolved_family``, keeping its raw text. A family
    mention the paper never makes specific (none, or several devices of the family) is tagged ``family_device``:
    it names no figure, and a reviewer prefers the specific device the paper names.

    Family = same vendor and kind in the catalog (``flopmine.hardware.is_family``). A device named only in the
    references ("… high performance on Cloud TPUs. Google Cloud Blog, 2019") is a cited title's, not one the paper
    used, so it does not count as a device the paper names.
    """
    try:
        from flopmine.hardware import entry_by_name, is_family
    except ImportError:  # the catalog module is optional for the rules
        return found
    entries = {c.value: entry_by_name(str(c.value)) for c, _, _ in found
               if c.field == "hardware" and c.rule == "hardware.catalog"}
    in_text = {c.value for c, _, ev in found if c.field == "hardware" and ev.section != "references"}
    specific: dict[tuple[str, str], set[str]] = {}
    for value, entry in entries.items():
        if entry is not None and not is_family(entry) and value in in_text:
            specific.setdefault((entry.vendor, entry.kind), set()).add(entry.name)
    out: Found = []
    for c, w, ev in found:
        entry = entries.get(c.value) if c.field == "hardware" and c.rule == "hardware.catalog" else None
        if entry is not None and is_family(entry):
            same = specific.get((entry.vendor, entry.kind), set())
            if len(same) == 1:
                c, ev = replace(c, value=next(iter(same))), ev.tagged("resolved_family")
            else:
                ev = ev.tagged("family_device")
        out.append((c, w, ev))
    return out
