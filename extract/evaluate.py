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
from flopmine.types import COMPUTE_FIELDS, FIELDS, METRIC_FIELDS, Candidate

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


@dataclass(frozen=True)
class Scored:
    """A candidate reduced to what scoring needs."""

    arxiv_id: str
    field: str
    value: float | str
    rank: int
    benchmark: str = ""
    model: str = ""


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
                page=int(page) if page.isdigit() else 0,
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
        out.append(Scored(
            arxiv_id=_strip_version(row["arxiv_id"]), field=name, value=_value(name, row["value"], where),
            rank=rank_n, benchmark=(row.get("benchmark") or "").strip(), model=(row.get("model") or "").strip(),
        ))
    return out


def from_candidates(cands: Iterable[Candidate]) -> list[Scored]:
    """Candidates as scoring records."""
    return [Scored(c.arxiv_id, c.field, c.value, c.rank, c.benchmark, c.model) for c in cands]


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
