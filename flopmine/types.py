"""Record types shared by every stage, and the field vocabulary.

Field names follow ``../shared/corpus/README.md``: metrics (``top1_acc`` … ``wer``) belong to a
benchmark and a model; compute fields (``flops`` … ``training_steps``) to a model or the paper.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from typing import Any

# ---------------------------------------------------------------- field vocabulary


@dataclass(frozen=True)
class FieldSpec:
    """What a field holds: numeric or text, its unit, and the range a valid value lies in."""

    name: str
    kind: str  # "metric" or "compute"
    numeric: bool = True
    unit: str = ""
    min_value: float | None = None
    max_value: float | None = None
    higher_is_better: bool | None = None  # metrics only
    # A reviewed value outside (lo, hi) needs the reviewer's 'force' (None: the valid range is the plausible one).
    plausible: tuple[float, float] | None = None
    unit_aliases: tuple[str, ...] = ()  # other spellings of ``unit`` a reviewer may write (case does not matter)

    @property
    def plausible_range(self) -> tuple[float | None, float | None]:
        """The range a reviewed value should lie in: ``plausible``, else the valid range."""
        return self.plausible if self.plausible is not None else (self.min_value, self.max_value)


def _metric(name: str, higher: bool, unit: str = "%", hi: float = 100.0) -> FieldSpec:
    return FieldSpec(name, "metric", True, unit, 0.0, hi, higher, unit_aliases=("percent",) if unit == "%" else ())


FIELDS: dict[str, FieldSpec] = {
    s.name: s
    for s in [
        _metric("top1_acc", True), _metric("top5_acc", True),
        _metric("top1_err", False), _metric("top5_err", False),
        _metric("acc", True), _metric("err", False),
        _metric("box_ap", True), _metric("ap50", True), _metric("ap75", True),
        _metric("ap_s", True), _metric("ap_m", True), _metric("ap_l", True), _metric("mask_ap", True),
        _metric("f1", True), _metric("em", True),
        _metric("bleu", True, "BLEU"), _metric("wer", False),
        # plausible: FLOPs of one forward pass, parameters of one model, at most two years (17,520 h) of training
        FieldSpec("flops", "compute", True, "FLOPs", 0.0, None, plausible=(1e4, 1e15), unit_aliases=("FLOP",)),
        FieldSpec("mult_adds", "compute", True, "multiply-adds", 0.0, None, plausible=(1e4, 1e15),
                  unit_aliases=("mult-adds", "MACs", "MAdds")),
        FieldSpec("params", "compute", True, "parameters", 0.0, None, plausible=(1e3, 1e13), unit_aliases=("params",)),
        FieldSpec("hardware", "compute", False, ""),
        FieldSpec("hardware_count", "compute", True, "devices", 1.0, 1e6, plausible=(1.0, 1e5),
                  unit_aliases=("GPUs", "TPUs", "chips", "accelerators")),
        FieldSpec("training_time_hours", "compute", True, "hours", 0.0, 1e6, plausible=(0.01, 17520.0),
                  unit_aliases=("h", "hrs")),
        FieldSpec("epochs", "compute", True, "epochs", 0.0, 1e5, plausible=(0.01, 1e4)),
        FieldSpec("training_steps", "compute", True, "steps", 0.0, 1e10, plausible=(1.0, 1e9),
                  unit_aliases=("iterations", "updates")),
    ]
}
METRIC_FIELDS = tuple(n for n, s in FIELDS.items() if s.kind == "metric")
COMPUTE_FIELDS = tuple(n for n, s in FIELDS.items() if s.kind == "compute")


def field_spec(name: str) -> FieldSpec:
    try:
        return FIELDS[name]
    except KeyError:
        raise KeyError(f"unknown field {name!r}; known: {', '.join(FIELDS)}") from None


# ---------------------------------------------------------------- identities

_SPACE = re.compile(r"\s+")


# Marks a paper puts on its own rows: "(ours)", "Ours", footnote glyphs. They are not part of the name.
OWN_MARKERS_PATTERN = r"\((?:ours|our model|proposed)\)|\bours\b|[*†‡§¶]+"
_OWN_MARKERS = re.compile(OWN_MARKERS_PATTERN, re.IGNORECASE)


def normalise_model(model: str | None) -> str:
    """Model names compared loosely: case, spacing and "(ours)"/footnote marks do not matter.

    >>> normalise_model(" ResNet-152 ") == normalise_model("resnet-152 (Ours)") == normalise_model("ResNet-152*")
    True
    """
    text = _OWN_MARKERS.sub(" ", model or "")
    return _SPACE.sub(" ", text).strip().lower()


def normalise_value(value: float | str | None) -> str:
    """A canonical text form of a value, used in ids: 25600000.0 → "2.56e+07", " V100 " → "v100"."""
    if value is None:
        return ""
    if isinstance(value, int | float):
        return f"{float(value):.6g}"
    try:
        return f"{float(value):.6g}"
    except ValueError:
        return _SPACE.sub(" ", value.strip()).lower()


def _digest(*parts: object) -> str:
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:16]


def fact_key(arxiv_id: str, benchmark: str | None, model: str | None, field_name: str,
             value: float | str | None) -> str:
    """Identity of a fact across paper versions (no version in it): decisions carry over by it."""
    return _digest(arxiv_id, benchmark or "", normalise_model(model), field_name, normalise_value(value))


def candidate_id(arxiv_id: str, version: int, benchmark: str | None, model: str | None, field_name: str,
                 value: float | str | None) -> str:
    """Stable id: the same fact in the same paper version gets the same id on every run."""
    return "c" + _digest(arxiv_id, version, benchmark or "", normalise_model(model), field_name,
                         normalise_value(value))


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class Paper:
    """One arXiv paper version, as the harvester records it."""

    arxiv_id: str  # without version: "1512.03385" or "hep-th/9901001"
    version: int
    title: str
    authors: tuple[str, ...] = ()
    abstract: str = ""
    categories: tuple[str, ...] = ()
    primary_category: str = ""
    published: str = ""  # ISO 8601
    updated: str = ""
    pdf_url: str = ""
    benchmarks: tuple[str, ...] = ()

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.version}"

    @property
    def year_month(self) -> tuple[int, int]:
        from .ids import ArxivId

        return ArxivId(self.arxiv_id).year_month

    @classmethod
    def from_row(cls, row: Any) -> Paper:
        d = dict(row)
        return cls(
            arxiv_id=d["arxiv_id"], version=int(d["version"]), title=d["title"],
            authors=tuple(json.loads(d.get("authors") or "[]")), abstract=d.get("abstract") or "",
            categories=tuple(json.loads(d.get("categories") or "[]")),
            primary_category=d.get("primary_category") or "", published=d.get("published") or "",
            updated=d.get("updated") or "", pdf_url=d.get("pdf_url") or "",
            benchmarks=tuple(json.loads(d.get("benchmarks") or "[]")) if "benchmarks" in d else (),
        )


BBox = tuple[float, float, float, float]  # (x0, top, x1, bottom), PDF points, origin top-left


@dataclass(frozen=True)
class Candidate:
    """One candidate fact found by the extractor, with its evidence."""

    arxiv_id: str
    version: int
    field: str
    value: float | str
    benchmark: str = ""  # "" for paper-level compute facts
    model: str = ""
    unit: str = ""
    raw: str = ""  # the text as printed, e.g. "11.3 billion FLOPs"
    page: int = 0  # 1-based
    snippet: str = ""  # ≤ 300 chars of evidence
    rule: str = ""
    confidence: float = 0.0
    rank: int = 0  # 1 = best within (paper, field); 0 = not ranked yet
    bbox: BBox | None = None
    flags: tuple[str, ...] = ()  # e.g. "unknown_hardware", "range", "table"
    rule_version: str = ""

    # Computed once per candidate (a frozen record never changes): the review sorts, groups and attaches by
    # them, and hashing them again on each use was half the CPU of an export.
    @cached_property
    def candidate_id(self) -> str:
        return candidate_id(self.arxiv_id, self.version, self.benchmark, self.model, self.field, self.value)

    @cached_property
    def fact_key(self) -> str:
        return fact_key(self.arxiv_id, self.benchmark, self.model, self.field, self.value)

    def with_rank(self, rank: int) -> Candidate:
        return replace(self, rank=rank)

    def to_row(self) -> dict[str, Any]:
        d = asdict(self)
        d["candidate_id"] = self.candidate_id
        d["fact_key"] = self.fact_key
        d["bbox"] = json.dumps(list(self.bbox)) if self.bbox else None
        d["flags"] = ",".join(self.flags)
        return d

    @classmethod
    def from_row(cls, row: Any) -> Candidate:
        d = dict(row)
        bbox = json.loads(d["bbox"]) if d.get("bbox") else None
        value = d["value"]
        spec = FIELDS.get(d["field"])
        if spec is not None and spec.numeric and value is not None and not isinstance(value, float):
            value = float(value)
        return cls(
            arxiv_id=d["arxiv_id"], version=int(d["version"]), field=d["field"], value=value,
            benchmark=d.get("benchmark") or "", model=d.get("model") or "", unit=d.get("unit") or "",
            raw=d.get("raw") or "", page=int(d.get("page") or 0), snippet=d.get("snippet") or "",
            rule=d.get("rule") or "", confidence=float(d.get("confidence") or 0.0),
            rank=int(d.get("rank") or 0), bbox=tuple(bbox) if bbox else None,  # type: ignore[arg-type]
            flags=tuple(f for f in (d.get("flags") or "").split(",") if f),
            rule_version=d.get("rule_version") or "",
        )


# Columns of every CSV in annotations/ (the reviewed source of truth), in file order.
ANNOTATION_COLUMNS: tuple[str, ...] = (
    "arxiv_id", "version", "benchmark", "model", "field", "value", "unit", "page",
    "decision", "candidate_id", "fact_key", "reviewer", "decided_at", "note", "flags",
)
FORCED_FLAG = "forced"  # in ``Fact.flags``: the reviewer kept a value outside its field's plausible range


@dataclass(frozen=True)
class Fact:
    """A reviewed fact: what analysis builds the dataset from (one row of an annotations CSV).

    ``decision`` is ``accept``, ``correct`` (``value`` is then the corrected value) or ``add``.
    """

    arxiv_id: str
    version: int
    field: str
    value: float | str
    benchmark: str = ""
    model: str = ""
    unit: str = ""
    page: int = 0
    decision: str = "accept"
    candidate_id: str = ""
    reviewer: str = ""
    decided_at: str = ""  # ISO 8601 UTC
    note: str = ""
    flags: str = ""  # comma-separated; "forced": kept by the reviewer although outside the plausible range
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def fact_key(self) -> str:
        return fact_key(self.arxiv_id, self.benchmark, self.model, self.field, self.value)

    def to_row(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in ANNOTATION_COLUMNS if k != "fact_key"}
        d["fact_key"] = self.fact_key
        if isinstance(self.value, float):
            d["value"] = normalise_value(self.value) if abs(self.value) >= 1e6 else repr(self.value).removesuffix(".0")
        return d

    @classmethod
    def from_row(cls, row: dict[str, str]) -> Fact:
        """Parse an annotations row; text cells stored formula-neutralised (``'=…``) are read back as typed."""
        from .config import unneutralise_cell

        row = {k: unneutralise_cell(v) if isinstance(v, str) else v for k, v in row.items()}
        spec = field_spec(row["field"])
        raw_value = row["value"]
        value: float | str = float(raw_value) if spec.numeric else raw_value
        return cls(
            arxiv_id=row["arxiv_id"], version=int(row.get("version") or 0), field=row["field"], value=value,
            benchmark=row.get("benchmark") or "", model=row.get("model") or "", unit=row.get("unit") or "",
            page=int(row.get("page") or 0), decision=row.get("decision") or "accept",
            candidate_id=row.get("candidate_id") or "", reviewer=row.get("reviewer") or "",
            decided_at=row.get("decided_at") or "", note=row.get("note") or "", flags=row.get("flags") or "",
        )
