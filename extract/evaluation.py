"""Evaluation: candidates scored against hand-checked gold facts (``extract.gold``), cross-validated by paper.

Scores (``evaluate``, per (paper, field)):
- candidate recall per field: a gold fact counts as found when its value is among the paper's
  candidates for that field (``gold.values_match``: numbers equal within 0.5 % relative; accuracy and
  error match through 100 − x; hardware by normalised name or one catalog entry; ``flops`` and
  ``mult_adds`` are one field);
- top-1 precision per field: for each (paper, field) with gold, the paper's rank-1 candidate for
  that field equals one of the gold values (no candidate counts as a miss);
- candidates per (paper, field): how many candidates a reviewer must look at.

Per gold fact (``evaluate_facts``): found, attributed to the gold model (``gold.models_match``) and slot top-1,
split into table / prose and FLOPs-params / other; candidates per rule family.

Cross-validation (``crossvalidate``), the only number worth quoting: papers (never facts) are split into K
folds by a stable hash of the arXiv id (``ranking.folds_of``). For each fold the ranker is fit on the other
K−1 folds' gold (plus any reviewers' decisions) and the held-out fold is ranked and scored. The held-out
rankings of all folds are pooled into one report; each fold's own report gives the spread. The in-sample
score (fit and scored on every paper) is computed beside it, so the gap shows. Recall is reported before
the reviewer's list is capped (``recall``: every candidate the rules found) and after (``recall_capped``);
top-1, recall@3 and candidates per (paper, field) are those of the capped list a reviewer sees.

``learning_curve`` repeats the cross-validation with the ranker trained on a growing share of each fold's
training papers (20 %, 40 % … 100 %): whether more reviewed papers would still raise top-1.
``compare_with_current`` sets a newly trained model's CV score beside the model in use (``ranker train``).

Pure functions on records; ``load_queue`` / ``load_meta`` read CSVs and fail naming file and line;
``candidates_from_paths`` reads PDFs in this process.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from flopmine.errors import FlopmineError
from flopmine.types import FIELDS, METRIC_FIELDS, Candidate, normalise_model

from .gold import (
    COMPLEMENT,
    DEFAULT_MODEL_MATCH,
    PAPER_LEVEL_FIELDS,
    REL_TOLERANCE,
    SCORED_COMPUTE,
    EvalError,
    GoldFact,
    field_of_row,
    model_match_score,
    models_match,
    parse_value,
    read_rows,
    score_field,
    strip_version,
    values_match,
)
from .ranking import (
    DEFAULT_C,
    Found,
    Ranker,
    RankerError,
    Truth,
    folds_of,
    merge_truths,
    rerank,
    train,
    truths_from_gold,
)

QUEUE_COLUMNS = ("arxiv_id", "field", "value", "rank")



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


def load_queue(path: Path | str) -> list[Scored]:
    """Read a review-queue CSV (columns ``arxiv_id, benchmark, model, field, value, rank``)."""
    out: list[Scored] = []
    for where, row in read_rows(Path(path), QUEUE_COLUMNS):
        name = field_of_row(row, where)
        rank = (row.get("rank") or "").strip()
        try:
            rank_n = int(float(rank)) if rank else 0
        except ValueError:
            raise EvalError(f"{where}: rank {rank!r} is not a number") from None
        try:
            confidence = float((row.get("confidence") or "0").strip().lstrip("'") or 0)
        except ValueError:
            raise EvalError(f"{where}: confidence {row.get('confidence')!r} is not a number") from None
        out.append(Scored(
            arxiv_id=strip_version(row["arxiv_id"]), field=name, value=parse_value(name, row["value"], where),
            rank=rank_n, benchmark=(row.get("benchmark") or "").strip(), model=(row.get("model") or "").strip(),
            confidence=confidence, rule=(row.get("rule") or "").strip(),
        ))
    return out


def from_candidates(cands: Iterable[Candidate]) -> list[Scored]:
    """Candidates as scoring records."""
    return [Scored(c.arxiv_id, c.field, c.value, c.rank, c.benchmark, c.model, c.confidence, c.rule) for c in cands]


# ---------------------------------------------------------------- scoring


@dataclass
class FieldScore:
    """Scores for one field (or "overall", "compute")."""

    field: str
    gold: int = 0
    found: int = 0
    found3: int = 0  # gold facts among the top 3 candidates of their paper and field
    # recall@3's bounds (``recall3_bound``): gold facts that some order of their (paper, field) list could show in
    # its top 3, given only that a list shows 3 values (``bound3``) or also which values the list holds (``listed3``)
    bound3: int = 0
    listed3: int = 0
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
    def recall3_bound(self) -> float | None:
        return self.bound3 / self.gold if self.gold else None

    @property
    def recall3_listed(self) -> float | None:
        return self.listed3 / self.gold if self.gold else None

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
        self.bound3 += other.bound3
        self.listed3 += other.listed3
        self.papers += other.papers
        self.top1_correct += other.top1_correct
        self.candidate_pairs += other.candidate_pairs
        self.candidates += other.candidates

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d.update(recall=_r(self.recall), recall_at_3=_r(self.recall3), recall_at_3_bound=_r(self.recall3_bound),
                 recall_at_3_listed=_r(self.recall3_listed), precision=_r(self.precision),
                 candidates_per_paper_field=_r(self.per_pair))
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
            "misses": self.misses, "miss_places": self.miss_places(), "wrong_top1": self.wrong_top1,
        }

    def miss_places(self) -> dict[str, int]:
        """The gold facts outside their list's top 3, by where they sit (``_miss_place``): not in the list at all
        (a reading or capping miss); below only the paper's other gold values (the list holds more right values
        than it shows first); below a wrong value, and of those how many have only table values above them.

        >>> r = EvalReport({}, FieldScore("o"), FieldScore("c"), FieldScore("m"), {}, misses=[
        ...     {"rank": None, "above": []}, {"rank": 4, "above": [{"gold": True, "rule": "x"}]},
        ...     {"rank": 12, "above": [{"gold": False, "rule": "table.geometry"}]}])
        >>> r.miss_places()["not_in_list"], r.miss_places()["below_gold_only"], r.miss_places()["rank_over_10"]
        (1, 1, 1)
        """
        out = dict.fromkeys(("not_in_list", "below_gold_only", "below_wrong", "below_wrong_tables_only",
                             "rank_4_5", "rank_6_10", "rank_over_10"), 0)
        for m in self.misses:
            rank = m.get("rank")
            if not isinstance(rank, int):
                out["not_in_list"] += 1
                continue
            out["rank_4_5" if rank <= 5 else "rank_6_10" if rank <= 10 else "rank_over_10"] += 1
            above = [a for a in m.get("above", []) if isinstance(a, dict)]  # type: ignore[union-attr]
            wrong = [a for a in above if not a.get("gold")]
            if not wrong:
                out["below_gold_only"] += 1
                continue
            out["below_wrong"] += 1
            if all(str(a.get("rule", "")).startswith("table.") for a in wrong):
                out["below_wrong_tables_only"] += 1
        return out

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
    wanted = {strip_version(p) for p in papers} if papers is not None else {g.arxiv_id for g in gold}
    gold = [g for g in gold if g.arxiv_id in wanted]
    by_paper: dict[str, list[Scored]] = defaultdict(list)
    for c in cands:
        aid = strip_version(c.arxiv_id)
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
                               "page": g.page, **_miss_place(g, facts, related)})
        bound, listed = _top3_bounds(facts, related)
        f.bound3 += bound
        f.listed3 += listed
        papers_out[aid].bound3 += bound
        papers_out[aid].listed3 += listed
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


def _miss_place(g: GoldFact, facts: Sequence[GoldFact], related: Sequence[Scored], shown: int = 3) -> dict[str, object]:
    """Where a gold fact missing from its list's top ``shown`` sits (``rank``: its best-ranked candidate, None when
    the list lacks it) and what the list shows first (``above``: value, model, rule, and whether the value is
    another gold fact of the list): what tells a reading miss from a ranking one, and a wrong value shown first
    from one of the paper's other gold values.

    >>> g = [GoldFact("1", "bleu", 28.4), GoldFact("1", "bleu", 41.8)]
    >>> m = _miss_place(g[0], g, [Scored("1", "bleu", v, r, model=n) for r, (v, n) in enumerate(
    ...     [(41.8, "Big"), (30.0, "Base"), (29.0, "Base"), (28.4, "Base")], 1)])
    >>> m["rank"], [(a["value"], a["gold"]) for a in m["above"]]
    (4, [(41.8, True), (30.0, False), (29.0, False)])
    """
    ranks = [c.rank for c in related if c.rank > 0 and values_match(g.field, g.value, c.field, c.value)]
    first = sorted((c for c in related if 0 < c.rank <= shown), key=lambda c: c.rank)
    return {"rank": min(ranks) if ranks else None,
            "above": [{"value": c.value, "model": c.model, "rule": c.rule,
                       "gold": any(values_match(h.field, h.value, c.field, c.value) for h in facts)} for c in first]}


def _top3_bounds(facts: Sequence[GoldFact], related: Sequence[Scored], shown: int = 3) -> tuple[int, int]:
    """How many of one (paper, field)'s gold facts some order of its list could place among the first ``shown``:
    without looking at the list (a paper with more distinct gold values than ``shown`` leaves some out whatever
    the order), and given the values the list holds (a value missing from the list is missed at any rank).

    Gold facts of one value (within the scoring tolerance) are one group, which one candidate covers; the best
    order shows the largest groups first.

    >>> g = [GoldFact("1", "bleu", v) for v in (28.4, 28.4, 41.8, 27.3, 38.1)]
    >>> _top3_bounds(g, [Scored("1", "bleu", v, r) for r, v in enumerate((41.8, 28.4, 30.0), 1)])
    (4, 3)
    """
    groups: list[list[GoldFact]] = []
    for g in facts:
        same = next((grp for grp in groups if values_match(grp[0].field, grp[0].value, g.field, g.value)), None)
        if same is None:
            groups.append([g])
        else:
            same.append(g)
    sizes = sorted((len(grp) for grp in groups), reverse=True)
    held = sorted((len(grp) for grp in groups
                   if any(values_match(grp[0].field, grp[0].value, c.field, c.value) for c in related)), reverse=True)
    return sum(sizes[:shown]), sum(held[:shown])


# ---------------------------------------------------------------- per-fact scoring

FLOPS_PARAMS_FIELDS: frozenset[str] = frozenset({"flops", "mult_adds", "params"})
# Groups of gold facts reported by ``evaluate_facts``, in print order.
FACT_GROUPS: tuple[str, ...] = ("all", "table", "prose", "flops_params", "other")
# Slot fields as ``review.slots`` names them (accuracy and error share a slot, flops and mult_adds too).
_SLOT_FIELD: dict[str, str] = {"top1_err": "top1_acc", "top5_err": "top5_acc", "err": "acc", "mult_adds": "flops"}


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


# Candidates a reviewer sees per slot (``review.slots.DEFAULT_TOP``; extract sits below review, so the number is
# repeated here and a test keeps the two equal).
SHOWN_PER_SLOT = 3


@dataclass
class SlotCost:
    """What the compute part of the reviewer's list costs, counted per fact slot (paper, field, model), the unit
    a reviewer decides on: slots, candidates, rows shown (at most ``SHOWN_PER_SLOT`` per slot), and the slots of
    a model with no result in the list (a row the reviewer reads only for its cost), per compute gold fact."""

    slots: int = 0
    candidates: int = 0
    rows: int = 0
    cost_only_slots: int = 0  # slots whose model has no metric candidate in the paper's list
    gold: int = 0  # compute gold facts of the papers scored

    @property
    def per_slot(self) -> float | None:
        return self.candidates / self.slots if self.slots else None

    @property
    def rows_per_gold(self) -> float | None:
        return self.rows / self.gold if self.gold else None

    @property
    def cost_only_per_gold(self) -> float | None:
        return self.cost_only_slots / self.gold if self.gold else None

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "candidates_per_slot": _r(self.per_slot), "rows_per_gold": _r(self.rows_per_gold),
                "cost_only_slots_per_gold": _r(self.cost_only_per_gold)}


def slot_cost(cands: Iterable[Scored], gold: Iterable[GoldFact]) -> SlotCost:
    """``SlotCost`` of the compute candidates of ``cands`` against the compute facts of ``gold``.

    >>> c = [Scored("1", "flops", 4e9, 1, model="A"), Scored("1", "flops", 8e9, 2, model="A"),
    ...      Scored("1", "params", 2e7, 1, model="B"), Scored("1", "top1_acc", 76.0, 1, model="A")]
    >>> s = slot_cost(c, [GoldFact("1", "flops", 4e9, model="A")])
    >>> s.slots, s.candidates, s.cost_only_slots, s.rows_per_gold
    (2, 3, 1, 3.0)
    """
    members: dict[tuple[str, str, str], int] = defaultdict(int)
    with_result: set[tuple[str, str]] = set()
    for c in cands:
        aid = strip_version(c.arxiv_id)
        if FIELDS[c.field].kind == "metric":
            with_result.add((aid, normalise_model(c.model)))
        else:
            members[(aid, _SLOT_FIELD.get(c.field, c.field), normalise_model(c.model))] += 1
    out = SlotCost(gold=sum(1 for g in gold if FIELDS[g.field].kind == "compute"))
    for (aid, _, model), n in members.items():
        out.slots += 1
        out.candidates += n
        out.rows += min(n, SHOWN_PER_SLOT)
        out.cost_only_slots += bool(model) and (aid, model) not in with_result
    return out


@dataclass
class FactReport:
    """``evaluate_facts``: counts per group, candidates per rule family, each gold fact's outcome, and the review
    cost of the compute list per slot."""

    groups: dict[str, FactScore]
    rule_families: dict[str, int] = field(default_factory=dict)
    facts: list[dict[str, object]] = field(default_factory=list)
    cost: SlotCost = field(default_factory=SlotCost)

    def to_dict(self) -> dict[str, object]:
        return {"convention": {"model_match": f"rapidfuzz token_set_ratio >= {DEFAULT_MODEL_MATCH} on normalised "
                               "names", "paper_level_fields": sorted(PAPER_LEVEL_FIELDS),
                               "table": "gold evidence has a [column names] part (not a citation mark)"},
                "groups": {k: v.to_dict() for k, v in self.groups.items()},
                "rule_families": self.rule_families, "slot_cost": self.cost.to_dict(), "facts": self.facts}


def _slot_order(c: Scored) -> tuple[object, ...]:
    # as review.slots orders a slot's members: by rank (unranked last), then confidence
    return (c.rank if c.rank > 0 else 1 << 30, -c.confidence, c.field, str(c.value))


def _closeness(gold_model: str, name: str) -> float:
    """Whole-name similarity (rapidfuzz ``ratio`` of the normalised names), which tells a row named like the gold
    model ("RFB-Net512-E") from a family name that token-set ratio also scores 100 ("RFB")."""
    from rapidfuzz import fuzz
    from rapidfuzz.utils import default_process

    a, b = default_process(normalise_model(gold_model)), default_process(name)
    return float(fuzz.ratio(a, b)) if a and b else 0.0


def _gold_slot(g: GoldFact, related: Sequence[Scored], threshold: float) -> list[Scored]:
    """The candidates of the gold model's slot, best first: among the slots (normalised model name) of the
    gold fact's slot field and benchmark whose name matches the gold model, the best-named one (ties: the name
    closest to the gold model's as a whole, then the one a reviewer sees first)."""
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
        key = (-score, -_closeness(g.model, name), _slot_order(members[0]))
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
    wanted = {strip_version(p) for p in papers} if papers is not None else {g.arxiv_id for g in gold}
    by_paper: dict[str, list[Scored]] = defaultdict(list)
    for c in cands:
        aid = strip_version(c.arxiv_id)
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
    cost = slot_cost((c for cs in by_paper.values() for c in cs), (g for g in gold if g.arxiv_id in wanted))
    return FactReport(groups, fams, details, cost)


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
        for _where, row in read_rows(Path(p), ("arxiv_id", "title")):
            out[strip_version(row["arxiv_id"])] = PaperMeta(row.get("title") or "", row.get("abstract") or "")
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
    from .ranking import default_model, rank_found
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


# ---------------------------------------------------------------- cross-validation

DEFAULT_FOLDS = 5
DEFAULT_CURVE: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8, 1.0)  # shares of each fold's training papers


@dataclass
class CVResult:
    """Pooled held-out scores, per-fold scores, the in-sample score and the uncapped recall of each."""

    folds: int
    held_out: EvalReport  # capped list, pooled over folds
    held_out_uncapped: EvalReport
    in_sample: EvalReport
    per_fold: list[EvalReport] = field(default_factory=list)
    fold_sizes: list[int] = field(default_factory=list)
    model: Ranker | None = None  # fit on every paper (what `ranker train` writes)
    facts: FactReport | None = None  # per gold fact, held out, capped list
    facts_uncapped: FactReport | None = None
    facts_in_sample: FactReport | None = None
    facts_per_fold: list[FactReport] = field(default_factory=list)

    def rows(self) -> list[dict[str, object]]:
        """One row per field (then metrics, compute, overall) with the numbers the CLI prints."""
        out = []
        names = [*self.held_out.fields, "metrics", "compute", "overall"]
        for name in names:
            h = _get(self.held_out, name)
            u = _get(self.held_out_uncapped, name)
            ins = _get(self.in_sample, name)
            folds = [_get(r, name) for r in self.per_fold]
            out.append({
                "field": name, "gold": h.gold if h else 0,
                "recall": _v(u, "recall"), "recall_capped": _v(h, "recall"), "top1": _v(h, "precision"),
                "recall_at_3": _v(h, "recall3"), "recall_at_3_bound": _v(h, "recall3_bound"),
                "recall_at_3_listed": _v(h, "recall3_listed"), "candidates_per_pair": _v(h, "per_pair"),
                "top1_sd": _sd([_v(f, "precision") for f in folds]),
                "recall_sd": _sd([_v(f, "recall") for f in folds]),
                "recall_at_3_sd": _sd([_v(f, "recall3") for f in folds]),
                "top1_in_sample": _v(ins, "precision"), "recall_at_3_in_sample": _v(ins, "recall3"),
            })
        return out

    def fact_rows(self) -> list[dict[str, object]]:
        """One row per group of gold facts (``FACT_GROUPS``): found among every candidate, then found,
        attributed and slot top-1 in the reviewer's (capped) list, held out; slot top-1's spread across folds
        and its in-sample value."""
        out: list[dict[str, object]] = []
        if self.facts is None:
            return out
        for name in FACT_GROUPS:
            h = self.facts.groups[name]
            u = self.facts_uncapped.groups[name] if self.facts_uncapped else None
            ins = self.facts_in_sample.groups[name] if self.facts_in_sample else None
            out.append({
                "group": name, "facts": h.facts, "found": _q(u.found_rate) if u else None,
                "found_capped": _q(h.found_rate), "attributed": _q(h.attributed_rate),
                "slot_top1": _q(h.slot_top1_rate),
                "slot_top1_sd": _sd([r.groups[name].slot_top1_rate for r in self.facts_per_fold]),
                "attributed_in_sample": _q(ins.attributed_rate) if ins else None,
                "slot_top1_in_sample": _q(ins.slot_top1_rate) if ins else None,
            })
        return out

    def rule_counts(self) -> dict[str, dict[str, int]]:
        """Candidates per rule family (``rule_family``): every candidate the rules found, and those in
        the reviewer's (capped) list."""
        return {"all": self.facts_uncapped.rule_families if self.facts_uncapped else {},
                "capped": self.facts.rule_families if self.facts else {}}

    def to_dict(self) -> dict[str, object]:
        return {"folds": self.folds, "fold_sizes": self.fold_sizes, "rows": self.rows(),
                "fact_rows": self.fact_rows(), "rule_families": self.rule_counts(),
                "slot_cost": self.facts.cost.to_dict() if self.facts else None,
                "facts": self.facts.to_dict() if self.facts else None,
                "held_out": self.held_out.to_dict(), "held_out_uncapped": self.held_out_uncapped.to_dict(),
                "in_sample": self.in_sample.to_dict(),
                "per_fold": [{k: r.to_dict()[k] for k in ("overall", "compute", "metrics", "fields")}
                             for r in self.per_fold]}


def _get(r: EvalReport, name: str) -> FieldScore | None:
    return {"metrics": r.metrics, "compute": r.compute, "overall": r.overall}.get(name) or r.fields.get(name)


def _v(f: FieldScore | None, attr: str) -> float | None:
    if f is None:
        return None
    x = getattr(f, attr)
    return None if x is None else round(x, 4)


def _q(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _sd(xs: Sequence[float | None]) -> float | None:
    ys = [x for x in xs if x is not None]
    return round(statistics.pstdev(ys), 4) if len(ys) > 1 else None


def _splits(papers: Sequence[str], k: int) -> list[tuple[list[str], list[str]]]:
    """(training papers, held-out papers) of each non-empty fold."""
    fold = folds_of(papers, k)
    out = []
    for i in range(k):
        test = [p for p in papers if fold[p] == i]
        if test:
            out.append(([p for p in papers if fold[p] != i], test))
    return out


def crossvalidate(found_by_paper: Mapping[str, tuple[Found, int]], gold: Sequence[GoldFact], k: int = DEFAULT_FOLDS,
                  *, extra: Mapping[str, Truth] | None = None, c: float = DEFAULT_C,
                  start: Ranker | None = None) -> CVResult:
    """K-fold cross-validation of the ranker over the papers in ``found_by_paper`` that have gold.

    ``extra``: more truths (reviewers' decisions) used for training only, in every fold. ``start``: a model
    whose coefficients the fit is pulled toward instead of zero (``ranking.train``'s ``prior``).
    """
    if k < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    truths = truths_from_gold(gold)
    papers = sorted(p for p in found_by_paper if p in truths)
    held, held_uncapped, per_fold, fact_folds, sizes = [], [], [], [], []
    for train_papers, test in _splits(papers, k):
        train_truths = merge_truths({p: truths[p] for p in train_papers},
                                    {p: t for p, t in (extra or {}).items() if p not in test})
        model = train(found_by_paper, train_truths, c=c, prior=start)
        ranked = from_candidates(rerank(found_by_paper, model, test))
        held.extend(ranked)
        held_uncapped.extend(from_candidates(rerank(found_by_paper, model, test, max_per_field={}, min_relative=0.0)))
        per_fold.append(evaluate(gold, ranked, test))
        fact_folds.append(evaluate_facts(gold, ranked, test))
        sizes.append(len(test))
    full = train(found_by_paper, merge_truths(truths, extra or {}), c=c, prior=start)
    in_sample_ranked = from_candidates(rerank(found_by_paper, full, papers))
    in_sample = evaluate(gold, in_sample_ranked, papers)
    return CVResult(k, evaluate(gold, held, papers), evaluate(gold, held_uncapped, papers), in_sample, per_fold,
                    sizes, full, facts=evaluate_facts(gold, held, papers),
                    facts_uncapped=evaluate_facts(gold, held_uncapped, papers),
                    facts_in_sample=evaluate_facts(gold, in_sample_ranked, papers), facts_per_fold=fact_folds)


@dataclass(frozen=True)
class CurvePoint:
    """Cross-validated scores with the ranker trained on ``fraction`` of each fold's training papers."""

    fraction: float
    train_papers: float  # mean over folds
    top1: float | None  # per (paper, field), held out
    recall_at_3: float | None
    slot_top1: float | None  # per gold fact, held out
    failed_folds: int = 0  # folds whose share of papers could not train a model (one kind of label only)

    def to_dict(self) -> dict[str, object]:
        return {"fraction": self.fraction, "train_papers": round(self.train_papers, 1), "top1": _q(self.top1),
                "recall_at_3": _q(self.recall_at_3), "slot_top1": _q(self.slot_top1),
                "failed_folds": self.failed_folds}


def _subsample(papers: Sequence[str], fraction: float) -> list[str]:
    """The first ``fraction`` of ``papers`` in a stable pseudo-random order (nested: a smaller share is part of
    every larger one)."""
    order = sorted(papers, key=lambda p: hashlib.sha1(f"curve:{p}".encode()).hexdigest())
    n = max(1, round(fraction * len(order)))
    return sorted(order[:n])


def learning_curve(found_by_paper: Mapping[str, tuple[Found, int]], gold: Sequence[GoldFact],
                   k: int = DEFAULT_FOLDS, fractions: Sequence[float] = DEFAULT_CURVE, *,
                   extra: Mapping[str, Truth] | None = None, c: float = DEFAULT_C, start: Ranker | None = None,
                   on_progress: Callable[[int, int, str], None] | None = None) -> list[CurvePoint]:
    """Cross-validated top-1 and slot top-1 with the ranker trained on each share of the training papers.

    The folds are those of ``crossvalidate``; within a fold the training papers (gold and ``extra``) are
    subsampled by a stable hash, so the curve is reproducible and its points nested. A held-out paper is
    ranked the same way at every point: only the amount of training data changes.
    """
    if k < 2:
        raise ValueError("a learning curve needs at least 2 folds")
    if not fractions or any(not 0 < f <= 1 for f in fractions):
        raise ValueError("learning-curve fractions must lie in (0, 1]")
    truths = truths_from_gold(gold)
    papers = sorted(p for p in found_by_paper if p in truths)
    splits = _splits(papers, k)
    out: list[CurvePoint] = []
    steps, done = len(fractions) * len(splits), 0
    for frac in fractions:
        held: list = []
        n_train: list[int] = []
        failed = 0
        for train_papers, test in splits:
            if on_progress is not None:
                on_progress(done, steps, f"{frac:.0%}")
            done += 1
            pool = sorted({*train_papers, *(p for p in (extra or {}) if p not in test)})
            chosen = set(_subsample(pool, frac))
            train_truths = merge_truths({p: truths[p] for p in train_papers if p in chosen},
                                        {p: t for p, t in (extra or {}).items() if p in chosen})
            n_train.append(len(chosen))
            try:
                model = train(found_by_paper, train_truths, c=c, prior=start)
            except RankerError:
                failed += 1
                model = start
            if model is None:
                continue
            held.extend(from_candidates(rerank(found_by_paper, model, test)))
        report, facts = evaluate(gold, held, papers), evaluate_facts(gold, held, papers)
        out.append(CurvePoint(frac, statistics.fmean(n_train) if n_train else 0.0, report.overall.precision,
                              report.overall.recall3, facts.groups["all"].slot_top1_rate, failed))
    if on_progress is not None:
        on_progress(steps, steps, "")
    return out


@dataclass
class ModelComparison:
    """A newly trained model's cross-validated score beside the score of the model in use on the same papers.

    The model in use is not refit: it ranks every paper as it is, so on papers it was trained on its score is
    in-sample (flattering it); a new model that still does not beat it should not replace it."""

    cv: CVResult
    current: EvalReport
    current_facts: FactReport
    current_source: str

    @property
    def new_top1(self) -> float | None:
        return self.cv.held_out.overall.precision

    @property
    def current_top1(self) -> float | None:
        return self.current.overall.precision

    @property
    def worse(self) -> bool:
        """Whether the new model's cross-validated top-1 is below the current model's top-1."""
        return (self.new_top1 or 0.0) < (self.current_top1 or 0.0)

    def rows(self) -> list[dict[str, object]]:
        """Top-1, recall@3 and slot top-1 of both models, new first."""
        new_facts = self.cv.facts.groups["all"] if self.cv.facts else None
        return [
            {"model": "new (cross-validated)", "top1": _q(self.new_top1),
             "recall_at_3": _q(self.cv.held_out.overall.recall3),
             "slot_top1": _q(new_facts.slot_top1_rate) if new_facts else None},
            {"model": f"in use ({self.current_source})", "top1": _q(self.current_top1),
             "recall_at_3": _q(self.current.overall.recall3),
             "slot_top1": _q(self.current_facts.groups["all"].slot_top1_rate)},
        ]


def compare_with_current(found_by_paper: Mapping[str, tuple[Found, int]], gold: Sequence[GoldFact],
                         current: Ranker, k: int = DEFAULT_FOLDS, *, extra: Mapping[str, Truth] | None = None,
                         c: float = DEFAULT_C, start: Ranker | None = None) -> ModelComparison:
    """Cross-validate a new model (as ``crossvalidate``) and score ``current`` unchanged on the same papers."""
    cv = crossvalidate(found_by_paper, gold, k, extra=extra, c=c, start=start)
    papers = sorted({g.arxiv_id for g in gold} & set(found_by_paper))
    ranked = from_candidates(rerank(found_by_paper, current, papers))
    return ModelComparison(cv, evaluate(gold, ranked, papers), evaluate_facts(gold, ranked, papers),
                           current.source or "shipped model")
