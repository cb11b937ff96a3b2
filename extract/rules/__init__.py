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

import hashlib
import re
from collections import Counter

from flopmine.types import Candidate

from ..document import Document, Page
from ..normalise import clean_text
from ..rank import Evidence, dedupe_and_rank, score, to_confidence
from .context import (
    SectionMap,
    has_citation,
    mentions_ours,
    model_names,
    own_model_stems,
    section_map,
    sentence_bounds,
)
from .engine import Engine, Match, Rule, engine, load_rules

__all__ = ["RULE_VERSION", "Rule", "candidates", "engine", "load_rules"]

_LOGIC_VERSION = "1"


def _rule_version() -> str:
    h = hashlib.sha1(_LOGIC_VERSION.encode())
    for r in load_rules():
        h.update(repr(r).encode())
    return f"{_LOGIC_VERSION}-{h.hexdigest()[:10]}"


RULE_VERSION: str = _rule_version()

SNIPPET_CHARS = 300
_TRAIN = re.compile(r"\b(?:train\w*|took|takes|taking|pre-?train\w*|converge\w*|learn\w*|run|ran)\b", re.I)
_LR = re.compile(r"learning rate|\blr\b|divid|decay|drop|reduc|multipl|warm-?up|anneal|lowered|schedule", re.I)
_END = re.compile(r"\b(?:terminat\w*|stop\w*|end\w*|finish\w*|total|overall|in all)\b", re.I)
_INFER = re.compile(r"\b(?:ms|msec|fps|per image|inference|test[- ]time|testing|latency)\b", re.I)
_ABLATION = re.compile(r"\bablation|\bw/o\b|without\b|remov", re.I)
_RANGE_BEFORE = re.compile(r"\d\s?(?:–|—|-|to|or|and)\s?$")
_RANGE_AFTER = re.compile(r"^\s?(?:–|—|-|to)\s?\d")


def _evidence(doc_text: str, m: Match, page_index: int, raw_offset: int, sections: SectionMap,
              own: dict[str, float]) -> tuple[Evidence, str]:
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
    own_score = max((own.get(re.split(r"[\-\s]|(?<=[a-z])(?=\d)", n, maxsplit=1)[0].lower().rstrip("s"), 0.0)
                     for n in names), default=0.0)
    near = doc_text[max(s, m.num_start - 80):min(e, m.num_end + 40)]
    lr = False
    extra = 1.0
    if field in ("epochs", "training_steps"):
        lead = doc_text[max(s, m.start - 12):m.start].lower()
        at_step = bool(re.search(r"\b(?:at|after|by)\s*$", lead)) or m.rule.id == "epochs.at_epoch"
        if at_step and not _END.search(sentence) or _LR.search(sentence) and not _END.search(sentence) and not re.search(r"\bfor\s*$", lead):
            lr = True
        if re.search(r"\b(?:for|total of|trained|train)\b[^.]{0,25}$", lead + " ", re.I):
            extra *= 1.2
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
                    or _RANGE_AFTER.search(doc_text[m.num_end:m.num_end + 6])),
        inference=field == "training_time_hours" and bool(_INFER.search(sentence)),
        extra=extra,
    )
    return ev, model


def _snippet(text: str, start: int, end: int) -> str:
    half = (SNIPPET_CHARS - (end - start)) // 2
    lo = max(0, start - half)
    hi = min(len(text), end + half)
    return text[lo:hi].strip()[:SNIPPET_CHARS]


def _page_candidates(doc: Document, page: Page, page_index: int, eng: Engine, sections: SectionMap,
                     own: dict[str, float]) -> list[tuple[Candidate, float, Evidence]]:
    clean, idx = clean_text(page.text)
    out: list[tuple[Candidate, float, Evidence]] = []
    for m in eng.matches(clean):
        raw_start = idx[m.start] if m.start < len(idx) else 0
        raw_end = idx[m.end - 1] + 1 if 0 < m.end <= len(idx) else raw_start
        ev, model = _evidence(clean, m, page_index, raw_start, sections, own)
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
        out.append((cand, m.rule.weight, ev))
    return out


def candidates(doc: Document) -> list[Candidate]:
    """Every candidate fact in ``doc``, deduplicated, with confidence and rank within (paper, field)."""
    eng = engine()
    sections = section_map(doc)
    own = own_model_stems(doc)
    found: list[tuple[Candidate, float, Evidence]] = []
    for i, page in enumerate(doc.pages):
        found.extend(_page_candidates(doc, page, i, eng, sections, own))
    repeats: Counter[tuple[str, str]] = Counter()
    for c, _, _ in found:
        repeats[(_group(c.field), f"{float(c.value):.4g}")] += 1
    scored = []
    for c, weight, ev in found:
        n = repeats[(_group(c.field), f"{float(c.value):.4g}")]
        scored.append(c.__class__(**{**c.__dict__, "confidence": to_confidence(score(weight, ev, n))}))
    return dedupe_and_rank(scored)


def _group(field: str) -> str:
    return "flops" if field == "mult_adds" else field
