"""Score candidates against hand-checked gold facts (``../shared/corpus/README.md`` convention).

- candidate recall per field: a gold fact counts as found when its value is among the paper's
  candidates for that field (numbers equal within 0.5 % relative; accuracy and error match through
  100 − x; hardware by normalised name; ``flops`` and ``mult_adds`` are one field);
- top-1 precision per field: for each (paper, field) with gold, the paper's rank-1 candidate for
  that field equals one of the gold values (no candidate counts as a miss);
- candidates per (paper, field): how many candidates a reviewer must look at.

Pure functions on records; ``load_gold`` / ``load_queue`` read CSVs and fail naming file and line.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flopmine.errors import FlopmineError
from flopmine.types import COMPUTE_FIELDS, FIELDS, METRIC_FIELDS, Candidate, normalise_model

if TYPE_CHECKING:
    from .ranker import Found, Ranker

REL_TOLERANCE = 0.005
GOLD_COLUMNS = ("arxiv_id", "field", "value")
QUEUE_COLUMNS = ("arxiv_id", "field", "value", "rank")

# Accuracy ↔ error pairs: a candidate of one matches gold of the other through 100 − x.
COMPLEMENT: dict[str, str] = {"top1_acc": "top1_err", "top1_err": "top1_acc", "top5_acc": "top5_err",
                              "top5_err": "top5_acc", "acc": "err", "err": "acc"}
# flops and mult_adds are scored as one field (papers call multiply-adds "FLOPs" and vice versa).
SCORE_FIELD: dict[str, str] = {"mult_adds": "flops"}
SCORED_COMPUTE = tuple(dict.fromkeys(SCORE_FIELD.get(f, f) for f in COMPUTE_FIELDS))


class EvalError(FlopmineError):
    """A gold or queue file cannot be read."""


@dataclass(frozen=True)
class GoldFact:
    """One gold row: a fact a careful reader finds in the paper."""

    arxiv_id: str
    field: str
    value: float | str
    benchmark: str = ""
    model: str = ""
    page: int = 0
    evidence: str = ""

    @property
    def in_table(self) -> bool:
        """Whether the gold evidence is a table row: the corpus writes it as row text then ``[column names]``
        (a bracket holding words; citation marks such as ``[12]`` or ``[3, 5]`` do not count).

        >>> GoldFact("1", "params", 1e6, evidence="ResNet-50 25.6M 4.1G [Model Params FLOPs] (dev)").in_table
        True
        >>> GoldFact("1", "epochs", 600.0, evidence="as in [49], trained for 600 epochs").in_table
        False
        """
        return bool(_TABLE_HEADER.search(_CITATION.sub(" ", self.evidence)))


_CITATION = re.compile(r"\[\d+(?:\s*[,–-]\s*\d+)*\]")
_TABLE_HEADER = re.compile(r"\[[^\[\]]*[A-Za-z]")


@dataclass(frozen=True)
class Scored:
    """A candidate reduced to what scoring needs."""

    arxiv_id: str
    field: str
    value: float | str
    rank: int
    benchmark: str = ""
    model: str = ""
    confidence: float = 0.0
    rule: str = ""


def score_field(name: str) -> str:
    """The field a value is scored under: ``mult_adds`` → ``flops``, others unchanged."""
    return SCORE_FIELD.get(name, name)


def _strip_version(arxiv_id: str) -> str:
    return re.sub(r"v\d+$", "", arxiv_id.strip())


def _value(field_name: str, text: str, where: str) -> float | str:
    t = text.strip().lstrip("'")
    if not FIELDS[field_name].numeric:
        return t
    try:
        return float(t)
    except ValueError:
        raise EvalError(f"{where}: value {text!r} is not a number (field {field_name})") from None


def _read_rows(path: Path, required: Sequence[str]) -> Iterable[tuple[str, dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise EvalError(f"{path}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError:
        raise EvalError(f"{path}: not UTF-8 text (is it a CSV?)") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise EvalError(f"{path}: missing column(s) {', '.join(missing)}")
    try:
        for row in reader:
            yield f"{path}:{reader.line_num}", row
    except csv.Error as e:
        raise EvalError(f"{path}:{reader.line_num}: malformed CSV: {e}") from None


def _field(row: dict[str, str], where: str) -> str:
    name = (row.get("field") or "").strip()
    if name not in FIELDS:
        raise EvalError(f"{where}: unknown field {name!r}")
    return name


def load_gold(paths: Iterable[Path | str]) -> list[GoldFact]:
    """Read gold CSVs (``arxiv_id,benchmark,model,field,value,page,evidence``)."""
    out: list[GoldFact] = []
    for p in paths:
        for where, row in _read_rows(Path(p), GOLD_COLUMNS):
            name = _field(row, where)
            page = (row.get("page") or "0").strip()
            out.append(GoldFact(
                arxiv_id=_strip_version(row["arxiv_id"]), field=name, value=_value(name, row["value"], where),
                benchmark=(row.get("benchmark") or "").strip(), model=(row.get("model") or "").strip(),
                page=int(page) if page.isdigit() else 0, evidence=(row.get("evidence") or "").strip(),
            ))
    return out


def load_queue(path: Path | str) -> list[Scored]:
    """Read a review-queue CSV (columns ``arxiv_id, benchmark, model, field, value, rank``)."""
    out: list[Scored] = []
    for where, row in _read_rows(Path(path), QUEUE_COLUMNS):
        name = _field(row, where)
        rank = (row.get("rank") or "").strip()
        try:
            rank_n = int(float(rank)) if rank else 0
        except ValueError:
            raise EvalError(f"{where}: rank {rank!r} is not a number") from None
        try:
            confidence = float((row.get("confidence") or "0").strip() or 0)
        except ValueError:
            raise EvalError(f"{where}: confidence {row.get('confidence')!r} is not a number") from None
        out.append(Scored(
            arxiv_id=_strip_version(row["arxiv_id"]), field=name, value=_value(name, row["value"], where),
            rank=rank_n, benchmark=(row.get("benchmark") or "").strip(), model=(row.get("model") or "").strip(),
            confidence=confidence, rule=(row.get("rule") or "").strip(),
        ))
    return out


def from_candidates(cands: Iterable[Candidate]) -> list[Scored]:
    """Candidates as scoring records."""
    return [Scored(c.arxiv_id, c.field, c.value, c.rank, c.benchmark, c.model, c.confidence, c.rule) for c in cands]


# ---------------------------------------------------------------- matching

_HW_NOISE = re.compile(r"\b(?:nvidia|tesla|geforce|gpus?|cards?|google|graphics|the|a|an)\b|[\s\-_]", re.I)


def normalise_hardware(name: str) -> str:
    """Hardware names compared loosely.

    >>> normalise_hardware("NVIDIA TITAN Xp GPU"), normalise_hardware("Titan XP")
    ('titanxp', 'titanxp')
    >>> normalise_hardware("Quadro K-6000"), normalise_hardware("TPU v3")
    ('quadrok6000', 'tpuv3')
    """
    return _HW_NOISE.sub("", name.lower())


def _hardware_equal(gold: str, cand: str) -> bool:
    c = normalise_hardware(cand)
    if not c:
        return False
    for part in re.split(r"\s+or\s+|\s*/\s*|,\s*", gold):
        g = normalise_hardware(part)
        if g and (g == c or (len(c) >= 3 and len(g) >= 3 and (g in c or c in g))):
            return True
    return False


def values_match(gold_field: str, gold_value: float | str, cand_field: str, cand_value: float | str,
                 tolerance: float = REL_TOLERANCE) -> bool:
    """Whether a candidate's value matches a gold value under the scoring convention.

    >>> values_match("top1_err", 23.5, "top1_acc", 76.5), values_match("flops", 3.8e9, "mult_adds", 3.81e9)
    (True, True)
    >>> values_match("params", 25.6e6, "params", 25.0e6), values_match("hardware", "Titan X", "hardware", "TITAN X")
    (False, True)
    """
    if not FIELDS[gold_field].numeric:
        return cand_field == gold_field and isinstance(cand_value, str) and _hardware_equal(str(gold_value), cand_value)
    try:
        g, c = float(gold_value), float(cand_value)
    except (TypeError, ValueError):
        return False
    if score_field(cand_field) == score_field(gold_field):
        return _close(g, c, tolerance)
    if COMPLEMENT.get(gold_field) == cand_field:
        return _close(g, 100.0 - c, tolerance)
    return False


def _close(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) <= tolerance * max(abs(a), abs(b)) or a == b


# ---------------------------------------------------------------- scoring


@dataclass
class FieldScore:
    """Scores for one field (or "overall", "compute")."""

    field: str
    gold: int = 0
    found: int = 0
    found3: int = 0  # gold facts among the top 3 candidates of their paper and field
    papers: int = 0  # (paper, field) pairs with gold
    top1_correct: int = 0
    candidate_pairs: int = 0  # (paper, field) pairs with ≥ 1 candidate
    candidates: int = 0

    @property
    def recall(self) -> float | None:
        return self.found / self.gold if self.gold else None

    @property
    def recall3(self) -> float | None:
        return self.found3 / self.gold if self.gold else None

    @property
    def precision(self) -> float | None:
        return self.top1_correct / self.papers if self.papers else None

    @property
    def per_pair(self) -> float | None:
        return self.candidates / self.candidate_pairs if self.candidate_pairs else None

    def add(self, other: FieldScore) -> None:
        self.gold += other.gold
        self.found += other.found
        self.found3 += other.found3
        self.papers += other.papers
        self.top1_correct += other.top1_correct
        self.candidate_pairs += other.candidate_pairs
        self.candidates += other.candidates

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d.update(recall=_r(self.recall), recall_at_3=_r(self.recall3), precision=_r(self.precision), candidates_per_paper_field=_r(self.per_pair))
        return d


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


@dataclass
class EvalReport:
    """Per-field, overall, compute and per-paper scores, plus what was missed (for tuning)."""

    fields: dict[str, FieldScore]
    overall: FieldScore
    compute: FieldScore
    metrics: FieldScore
    papers: dict[str, FieldScore]
    misses: list[dict[str, object]] = field(default_factory=list)
    wrong_top1: list[dict[str, object]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "convention": {"tolerance": REL_TOLERANCE, "flops_equals_mult_adds": True,
                           "accuracy_error_complement": True},
            "overall": self.overall.to_dict(), "compute": self.compute.to_dict(),
            "metrics": self.metrics.to_dict(),
            "fields": {k: v.to_dict() for k, v in self.fields.items()},
            "papers": {k: v.to_dict() for k, v in self.papers.items()},
            "misses": self.misses, "wrong_top1": self.wrong_top1,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)


def evaluate(gold: Sequence[GoldFact], cands: Sequence[Scored], papers: Iterable[str] | None = None) -> EvalReport:
    """Score ``cands`` against ``gold``, restricted to ``papers`` (default: every paper with gold).

    >>> g = [GoldFact("1", "epochs", 90.0), GoldFact("1", "top1_err", 23.0)]
    >>> c = [Scored("1", "epochs", 30.0, 1), Scored("1", "epochs", 90.0, 2), Scored("1", "top1_acc", 77.0, 1)]
    >>> r = evaluate(g, c)
    >>> r.overall.recall, r.overall.precision, r.fields["epochs"].precision
    (1.0, 0.5, 0.0)
    """
    wanted = {_strip_version(p) for p in papers} if papers is not None else {g.arxiv_id for g in gold}
    gold = [g for g in gold if g.arxiv_id in wanted]
    by_paper: dict[str, list[Scored]] = defaultdict(list)
    for c in cands:
        aid = _strip_version(c.arxiv_id)
        if aid in wanted:
            by_paper[aid].append(c)
    gold_by: dict[tuple[str, str], list[GoldFact]] = defaultdict(list)
    for g in gold:
        gold_by[(g.arxiv_id, score_field(g.field))].append(g)
    fields: dict[str, FieldScore] = {}
    papers_out: dict[str, FieldScore] = {p: FieldScore(p) for p in sorted(wanted)}
    misses: list[dict[str, object]] = []
    wrong: list[dict[str, object]] = []

    def fs(name: str) -> FieldScore:
        return fields.setdefault(name, FieldScore(name))

    # candidates per (paper, field)
    for aid, cs in by_paper.items():
        counts: dict[str, int] = defaultdict(int)
        for c in cs:
            counts[score_field(c.field)] += 1
        for name, n in counts.items():
            f = fs(name)
            f.candidate_pairs += 1
            f.candidates += n
            papers_out[aid].candidate_pairs += 1
            papers_out[aid].candidates += n
    for (aid, name), facts in sorted(gold_by.items()):
        f = fs(name)
        pool = by_paper.get(aid, [])
        related = [c for c in pool if score_field(c.field) == name or COMPLEMENT.get(facts[0].field) == c.field]
        for g in facts:
            hit = any(values_match(g.field, g.value, c.field, c.value) for c in related)
            f.gold += 1
            papers_out[aid].gold += 1
            if hit:
                f.found += 1
                papers_out[aid].found += 1
            if any(0 < c.rank <= 3 and values_match(g.field, g.value, c.field, c.value) for c in related):
                f.found3 += 1
                papers_out[aid].found3 += 1
            else:
                misses.append({"arxiv_id": aid, "field": g.field, "value": g.value, "model": g.model,
                               "page": g.page})
        # top-1: the best-ranked candidate of this field (or, if none, of its complement field)
        f.papers += 1
        papers_out[aid].papers += 1
        own = [c for c in pool if score_field(c.field) == name]
        comp = [c for c in pool if c.field in {COMPLEMENT.get(g.field) for g in facts}]
        choose = own or comp
        top = min(choose, key=lambda c: (c.rank if c.rank > 0 else 10**9)) if choose else None
        if top is not None and any(values_match(g.field, g.value, top.field, top.value) for g in facts):
            f.top1_correct += 1
            papers_out[aid].top1_correct += 1
        else:
            wrong.append({"arxiv_id": aid, "field": name, "top1": None if top is None else top.value,
                          "top1_model": None if top is None else top.model,
                          "gold": [g.value for g in facts]})
    order = [*METRIC_FIELDS, *SCORED_COMPUTE]
    fields = {k: fields[k] for k in sorted(fields, key=lambda k: order.index(k) if k in order else 99)}
    overall, compute, metrics = FieldScore("overall"), FieldScore("compute"), FieldScore("metrics")
    for name, f in fields.items():
        overall.add(f)
        (compute if name in SCORED_COMPUTE else metrics).add(f)
    return EvalReport(fields, overall, compute, metrics, papers_out, misses, wrong)


# ---------------------------------------------------------------- per-fact scoring

# A gold fact's model and a candidate's model name the same model when their normalised names
# (``flopmine.types.normalise_model``: case, spacing, "(ours)" and footnote marks dropped; then rapidfuzz's
# ``default_process``: punctuation → spaces) reach this rapidfuzz ``token_set_ratio`` (0–100). Token-set
# ratio forgives extra words on either side ("ResNet-152" ~ "ResNet-152 (11.3 GFLOPs, test-dev)").
DEFAULT_MODEL_MATCH = 70
# Facts of the whole paper (its training set-up): a candidate that names no model may still be the gold one.
PAPER_LEVEL_FIELDS: frozenset[str] = frozenset({"hardware", "hardware_count", "training_time_hours", "epochs",
                                                "training_steps"})
FLOPS_PARAMS_FIELDS: frozenset[str] = frozenset({"flops", "mult_adds", "params"})
# Groups of gold facts reported by ``evaluate_facts``, in print order.
FACT_GROUPS: tuple[str, ...] = ("all", "table", "prose", "flops_params", "other")
# Slot fields as ``review.slots`` names them (accuracy and error share a slot, flops and mult_adds too).
_SLOT_FIELD: dict[str, str] = {"top1_err": "top1_acc", "top5_err": "top5_acc", "err": "acc", "mult_adds": "flops"}


def model_match_score(gold_model: str, cand_model: str) -> float:
    """How alike two model names are (0–100): rapidfuzz ``token_set_ratio`` of the normalised names.

    >>> model_match_score("ResNet-152", "ResNet-152 (ours)"), model_match_score("ResNet-152", "")
    (100.0, 0.0)
    >>> model_match_score("Faster R-CNN on FPN (ResNet-101, test-dev)", "Faster R-CNN on FPN ResNet-101") >= 70
    True
    """
    from rapidfuzz import fuzz
    from rapidfuzz.utils import default_process

    a, b = default_process(normalise_model(gold_model)), default_process(normalise_model(cand_model))
    if not a or not b:
        return 0.0
    return float(fuzz.token_set_ratio(a, b))


def models_match(gold: GoldFact, cand_model: str, threshold: float = DEFAULT_MODEL_MATCH) -> bool:
    """Whether a candidate naming ``cand_model`` is attributed to ``gold``'s model (the documented rule):
    normalised names with token-set ratio ≥ ``threshold``; a gold fact without a model matches any name; a
    paper-level field (``PAPER_LEVEL_FIELDS``) may also carry no model.

    >>> g = GoldFact("1", "epochs", 90.0, model="ResNet-50")
    >>> models_match(g, ""), models_match(GoldFact("1", "params", 1e6, model="ResNet-50"), "")
    (True, False)
    """
    if not gold.model.strip():
        return True
    if not cand_model.strip():
        return gold.field in PAPER_LEVEL_FIELDS
    return model_match_score(gold.model, cand_model) >= threshold


def rule_family(rule: str) -> str:
    """The family a rule id belongs to, for counting where candidates come from: ``table.*`` and
    ``hardware.*`` rules by their first two parts, every text pattern as ``text``, no rule as ``unknown``.

    >>> rule_family("table.text"), rule_family("table.grid.cell"), rule_family("epochs.for"), rule_family("")
    ('table.text', 'table.grid', 'text', 'unknown')
    """
    if not rule:
        return "unknown"
    parts = rule.split(".")
    return ".".join(parts[:2]) if parts[0] in ("table", "hardware") else "text"


def rule_families(cands: Iterable[Scored]) -> dict[str, int]:
    """How many candidates come from each rule family (``rule_family``), largest first."""
    counts: dict[str, int] = defaultdict(int)
    for c in cands:
        counts[rule_family(c.rule)] += 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass
class FactScore:
    """Per-fact counts for one group of gold facts (``FACT_GROUPS``)."""

    group: str
    facts: int = 0
    found: int = 0  # the value is among the paper's candidates of its field
    attributed: int = 0  # … under the gold model (``models_match``)
    slot_top1: int = 0  # the first candidate of the gold model's slot is the gold value

    def rate(self, n: int) -> float | None:
        return n / self.facts if self.facts else None

    @property
    def found_rate(self) -> float | None:
        return self.rate(self.found)

    @property
    def attributed_rate(self) -> float | None:
        return self.rate(self.attributed)

    @property
    def slot_top1_rate(self) -> float | None:
        return self.rate(self.slot_top1)

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "found_rate": _r(self.found_rate), "attributed_rate": _r(self.attributed_rate),
                "slot_top1_rate": _r(self.slot_top1_rate)}


@dataclass
class FactReport:
    """``evaluate_facts``: counts per group, candidates per rule family, and each gold fact's outcome."""

    groups: dict[str, FactScore]
    rule_families: dict[str, int] = field(default_factory=dict)
    facts: list[dict[str, object]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"convention": {"model_match": f"rapidfuzz token_set_ratio >= {DEFAULT_MODEL_MATCH} on normalised "
                               "names", "paper_level_fields": sorted(PAPER_LEVEL_FIELDS),
                               "table": "gold evidence has a [column names] part (not a citation mark)"},
                "groups": {k: v.to_dict() for k, v in self.groups.items()},
                "rule_families": self.rule_families, "facts": self.facts}


def _slot_order(c: Scored) -> tuple[object, ...]:
    # as review.slots orders a slot's members: by rank (unranked last), then confidence
    return (c.rank if c.rank > 0 else 1 << 30, -c.confidence, c.field, str(c.value))


def _gold_slot(g: GoldFact, related: Sequence[Scored], threshold: float) -> list[Scored]:
    """The candidates of the gold model's slot, best first: among the slots (normalised model name) of the
    gold fact's slot field and benchmark whose name matches the gold model, the best-named one (ties: the one
    a reviewer sees first)."""
    slots: dict[str, list[Scored]] = defaultdict(list)
    metric = FIELDS[g.field].kind == "metric"
    for c in related:
        if metric and g.benchmark and c.benchmark != g.benchmark:
            continue
        slots[normalise_model(c.model)].append(c)
    best: tuple[tuple[object, ...], list[Scored]] | None = None
    for name, members in slots.items():
        if not models_match(g, name, threshold):
            continue
        score = model_match_score(g.model, name) if name and g.model.strip() else float(threshold)
        members = sorted(members, key=_slot_order)
        key = (-score, _slot_order(members[0]))
        if best is None or key < best[0]:
            best = (key, members)
    return best[1] if best else []


def evaluate_facts(gold: Sequence[GoldFact], cands: Sequence[Scored], papers: Iterable[str] | None = None, *,
                   threshold: float = DEFAULT_MODEL_MATCH) -> FactReport:
    """Score every gold fact on its own: found, attributed (found under the gold model) and slot top-1 (the
    first value of the gold model's slot, as ``review.slots`` groups and orders candidates, is the gold one);
    split into table / prose and FLOPs-params / other (``FACT_GROUPS``).

    >>> g = [GoldFact("1", "params", 25.6e6, model="ResNet-50", evidence="ResNet-50 25.6M [Model Params]")]
    >>> c = [Scored("1", "params", 11.7e6, 1, model="ResNet-18"), Scored("1", "params", 25.6e6, 2, model="ResNet-50")]
    >>> r = evaluate_facts(g, c).groups["table"]
    >>> r.found, r.attributed, r.slot_top1
    (1, 1, 1)
    """
    wanted = {_strip_version(p) for p in papers} if papers is not None else {g.arxiv_id for g in gold}
    by_paper: dict[str, list[Scored]] = defaultdict(list)
    for c in cands:
        aid = _strip_version(c.arxiv_id)
        if aid in wanted:
            by_paper[aid].append(c)
    groups = {k: FactScore(k) for k in FACT_GROUPS}
    details: list[dict[str, object]] = []
    for g in gold:
        if g.arxiv_id not in wanted:
            continue
        slot = _SLOT_FIELD.get(g.field, g.field)
        related = [c for c in by_paper.get(g.arxiv_id, ()) if _SLOT_FIELD.get(c.field, c.field) == slot]
        hits = [c for c in related if values_match(g.field, g.value, c.field, c.value)]
        found = bool(hits)
        attributed = any(models_match(g, c.model, threshold) for c in hits)
        members = _gold_slot(g, related, threshold)
        top = members[0] if members else None
        slot_top1 = top is not None and values_match(g.field, g.value, top.field, top.value)
        for name in ("all", "table" if g.in_table else "prose",
                     "flops_params" if g.field in FLOPS_PARAMS_FIELDS else "other"):
            s = groups[name]
            s.facts += 1
            s.found += found
            s.attributed += attributed
            s.slot_top1 += slot_top1
        details.append({"arxiv_id": g.arxiv_id, "field": g.field, "value": g.value, "benchmark": g.benchmark,
                        "model": g.model, "page": g.page, "table": g.in_table, "found": found,
                        "attributed": attributed, "slot_top1": slot_top1,
                        "slot_first": None if top is None else {"value": top.value, "model": top.model,
                                                                "field": top.field, "rank": top.rank}})
    fams = rule_families(c for cs in by_paper.values() for c in cs)
    return FactReport(groups, fams, details)


# ---------------------------------------------------------------- reading PDFs for evaluation


@dataclass(frozen=True)
class PaperMeta:
    """Title and abstract of a paper (ranking hints), e.g. from the corpus ``sources_*.csv``."""

    title: str = ""
    abstract: str = ""


def load_meta(paths: Iterable[Path | str]) -> dict[str, PaperMeta]:
    """Read CSVs with ``arxiv_id`` and ``title`` (optional ``abstract``) columns."""
    out: dict[str, PaperMeta] = {}
    for p in paths:
        for _where, row in _read_rows(Path(p), ("arxiv_id", "title")):
            out[_strip_version(row["arxiv_id"])] = PaperMeta(row.get("title") or "", row.get("abstract") or "")
    return out


@dataclass
class PathRun:
    """Candidates extracted in-process from PDFs, plus the files that could not be read."""

    scored: list[Scored] = field(default_factory=list)
    papers: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    found: dict[str, tuple[Found, int]] = field(default_factory=dict)  # id → (unscored candidates, pages)


def candidates_from_paths(paths: Sequence[Path | str], *, meta: dict[str, PaperMeta] | None = None,
                          on_progress: Callable[[int, int, str], None] | None = None,
                          model: Ranker | None = None) -> PathRun:
    """Read PDFs (files or folders of ``<arxiv id>[vN].pdf``) and run the rules on each, in this process.

    ``scored`` holds the candidates ranked by ``model`` (default: the shipped one); ``found`` the unscored
    candidates with their evidence, for cross-validation. A PDF that cannot be read is reported in
    ``problems`` (file and reason); the rest carry on.
    """
    from .pdf import read_document
    from .pipeline import inputs_from_paths
    from .ranker import default_model, rank_found
    from .rules.paper import collect

    items = inputs_from_paths(list(paths))
    run = PathRun()
    for i, item in enumerate(items):
        if on_progress is not None:
            on_progress(i, len(items), item.path.name)
        if item.problem:
            run.problems.append(f"{item.path}: {item.problem}")
            continue
        m = (meta or {}).get(item.arxiv_id, PaperMeta(item.title, item.abstract))
        try:
            doc = read_document(item.path, arxiv_id=item.arxiv_id, version=item.version, title=m.title,
                                abstract=m.abstract, benchmarks=item.benchmarks)
        except FlopmineError as e:
            run.problems.append(str(e))
            continue
        run.papers.append(item.arxiv_id)
        found = collect(doc)
        run.found[item.arxiv_id] = (found, doc.page_count)
        run.scored.extend(from_candidates(rank_found(found, model or default_model(), doc.page_count)))
    if on_progress is not None:
        on_progress(len(items), len(items), "")
    return run
