"""Review decisions: the record every stage of the review workflow passes around.

A ``Decision`` is one reviewer verdict: ``accept``, ``reject`` or ``correct`` a candidate (found by
the extractor, identified by its stable ``candidate_id``), or ``add`` a fact the extractor missed.
``value`` is always the candidate's own value (for ``add``: the added value); a correction lives in
``corrected_value``, so the decision still matches the candidate's ``fact_key`` when a new paper
version yields the same fact.

A ``correct`` may also *retarget* the candidate: ``corrected_model``, ``corrected_benchmark`` and
``corrected_field`` (None: unchanged) move its fact to another model, benchmark or field. The ledger
keeps both sides (old in ``model``/``benchmark``/``field``, new in the ``corrected_*`` columns; a
ledger without these columns still reads), and ``to_fact`` yields the fact under its final names, so
the annotation fact files and ``build`` see the retargeted fact. A paper-level field
(``PAPER_LEVEL_FIELDS``) may name several models, ``"ResNet-50; ResNet-101"``: ``to_facts`` yields one
fact per model.

>>> r = Decision("correct", "1512.03385", 1, "training_time_hours", 336.0, benchmark="imagenet",
...              candidate_id="c9", corrected_model="ResNet-50; ResNet-101")
>>> [(f.model, f.value) for f in r.to_facts()]
[('ResNet-50', 336.0), ('ResNet-101', 336.0)]

>>> d = Decision("correct", "1512.03385", 1, "top1_err", 21.0, benchmark="imagenet",
...              candidate_id="c0123", corrected_value=19.38)
>>> d.final_value, d.key
(19.38, 'c0123')
>>> d.to_fact().value
19.38
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from typing import Any

from flopmine.types import FIELDS, FORCED_FLAG, Fact, FieldSpec, fact_key, normalise_model, normalise_value

ACCEPT, REJECT, CORRECT, ADD = "accept", "reject", "correct", "add"
DECISIONS: tuple[str, ...] = (ACCEPT, REJECT, CORRECT, ADD)
FACT_DECISIONS: tuple[str, ...] = (ACCEPT, CORRECT, ADD)  # the ones that become facts in annotations/

# Columns of an exported review CSV (a superset of the extractor's queue columns).
REVIEW_COLUMNS: tuple[str, ...] = (
    "candidate_id", "arxiv_id", "version", "benchmark", "model", "field", "value", "unit", "page",
    "pdf_link", "snippet", "raw", "confidence", "rank", "rule", "flags",
    "decision", "corrected_value", "reviewer", "note", "force", "decided_at", "exported_decision",
)
# Read-only column of an exported sheet: the decision each row showed when the file was written
# (``exported_state``). Import applies a row only where the reviewer changed it, and refuses a change
# to a decision someone else made after the export.
EXPORTED_COLUMN = "exported_decision"
PENDING = "pending"
# Columns a review CSV must have to be imported (all others are optional; a row without a
# candidate_id names its fact by arxiv_id, benchmark, model, field and value instead).
REQUIRED_COLUMNS: tuple[str, ...] = ("decision",)
# Columns copied from the candidate: a reviewer may not change them (they may delete the column).
READ_ONLY_COLUMNS: tuple[str, ...] = ("arxiv_id", "version", "value", "unit", "page")
# Columns that name the candidate's fact and that a reviewer may change: an edit retargets the fact
# (a ``correct`` decision, old → new).
RETARGET_COLUMNS: tuple[str, ...] = ("benchmark", "model", "field")
# Columns the reviewer fills in.
EDITABLE_COLUMNS: tuple[str, ...] = ("decision", "corrected_value", *RETARGET_COLUMNS, "reviewer", "note", "force")
# Paper-level compute fields: one decision may attach such a fact to several of the paper's models,
# written as one model cell ``"ResNet-50; ResNet-101"`` (``MODELS_SEPARATOR``).
PAPER_LEVEL_FIELDS: tuple[str, ...] = ("hardware", "hardware_count", "training_time_hours", "epochs", "training_steps")
MODELS_SEPARATOR = ";"
FORCE = "force"  # the force column's one value: keep a value outside its field's plausible range

# Columns of ``annotations/decisions/ledger/<yymm>.csv``: every decision, rejects included.
LEDGER_COLUMNS: tuple[str, ...] = (
    "arxiv_id", "version", "benchmark", "model", "field", "value", "unit", "page",
    "decision", "corrected_value", "candidate_id", "fact_key", "reviewer", "decided_at", "note", "source", "force",
    "corrected_model", "corrected_benchmark", "corrected_field",
)

VALUE_REL_TOLERANCE = 1e-5  # spreadsheets may round numbers to 6 significant digits ("1.23457E+14")
_CARRIED_OVER = re.compile(r"\s*\(v\d+\)$")  # export marks a decision carried over from v1 as "… (v1)"
_EXPORTED_STATE = re.compile(r"^(?P<decision>[a-z]+)@(?P<decided_at>[^#]*)#(?P<digest>[0-9a-f]{8})$")


SIGNIFICANT_DIGITS = 15  # every decimal with 15 significant digits survives a trip through a float


def format_value(value: float | str | None) -> str:
    """A value as written to CSV: the shortest decimal that reads back as the value, without the binary
    noise of arithmetic (digits past the 15th significant one) and without a trailing ``.0``.

    >>> format_value(11300000000.0), format_value(76.15), format_value(1.5e-05), format_value(" V100")
    ('11300000000', '76.15', '1.5e-05', ' V100')
    >>> format_value(1.272 * 100), format_value(0.1 + 0.2)
    ('127.2', '0.3')
    """
    if value is None:
        return ""
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        if value.is_integer() and abs(value) < 1e16:  # a count: every digit is real
            return str(int(value))
        clean = float(f"{value:.{SIGNIFICANT_DIGITS}g}")
        if clean.is_integer() and abs(clean) < 1e16:
            return str(int(clean))
        return repr(clean)
    return str(value)


def parse_value(field_name: str, text: str) -> float | str:
    """Parse a cell for ``field_name``: a float for numeric fields, stripped text otherwise.

    Accepts ``1.2E+10``, `` 76.3 `` and ``76.3%`` (a spreadsheet's percent format) for percent
    metrics. Raises ``ValueError`` with a reviewer-readable message.

    >>> parse_value("top1_acc", "76.3%"), parse_value("flops", "1.13E+10"), parse_value("hardware", " V100 ")
    (76.3, 11300000000.0, 'V100')
    >>> parse_value("params", "25,6")
    Traceback (most recent call last):
    ...
    ValueError: not a number: '25,6' (use a dot for decimals and no thousands separators)
    """
    spec = FIELDS[field_name]
    s = text.strip()
    if not spec.numeric:
        if not s:
            raise ValueError("empty value")
        return s
    if spec.unit == "%" and s.endswith("%"):
        s = s[:-1].strip()
    try:
        v = float(s.replace("_", ""))
    except ValueError:
        raise ValueError(f"not a number: {text!r} (use a dot for decimals and no thousands separators)") from None
    if not math.isfinite(v):
        raise ValueError(f"not a finite number: {text!r}")
    return v


def range_problem(spec: FieldSpec, value: float | str) -> str | None:
    """Why ``value`` is outside ``spec``'s valid range, or None when it is fine.

    >>> range_problem(FIELDS["top1_acc"], 101.0)
    'out of range: 101 > 100 (the largest valid top1_acc)'
    >>> range_problem(FIELDS["params"], -3.0)
    'out of range: -3 < 0 (params cannot be smaller)'
    """
    if not spec.numeric or not isinstance(value, float):
        return None
    if spec.min_value is not None and value < spec.min_value:
        return (f"out of range: {format_value(value)} < {format_value(spec.min_value)} "
                f"({spec.name} cannot be smaller)")
    if spec.max_value is not None and value > spec.max_value:
        return (f"out of range: {format_value(value)} > {format_value(spec.max_value)} "
                f"(the largest valid {spec.name})")
    return None


def _short(v: float | None) -> str:
    """``1e4``, ``17520``, ``0.01``: a range bound as the docs print it."""
    if v is None:
        return "∞"
    if v >= 1e3 and math.log10(v).is_integer():
        return f"1e{int(math.log10(v))}"
    return format_value(float(v))


def plausibility_problem(spec: FieldSpec, value: float | str) -> str | None:
    """Why ``value`` is outside ``spec``'s plausible range (a reviewer may force it), or None.

    >>> plausibility_problem(FIELDS["flops"], 5e16)
    "implausible: 5e+16 is outside the plausible range of flops (1e4–1e15 FLOPs); check it, or write 'force' in the force column to keep it"
    >>> plausibility_problem(FIELDS["flops"], 1.13e10) is None
    True
    """
    if not spec.numeric or not isinstance(value, float):
        return None
    lo, hi = spec.plausible_range
    if (lo is None or value >= lo) and (hi is None or value <= hi):
        return None
    return (f"implausible: {format_value(value)} is outside the plausible range of {spec.name} "
            f"({_short(lo)}–{_short(hi)} {spec.unit}); check it, or write 'force' in the force column to keep it")


def canonical_unit(spec: FieldSpec, text: str) -> str | None:
    """The field's unit for a unit cell (empty, the unit or an alias, any case); None when it is not one.

    >>> canonical_unit(FIELDS["hardware_count"], "gpus"), canonical_unit(FIELDS["flops"], "%")
    ('devices', None)
    """
    s = text.strip()
    if not s:
        return spec.unit
    return spec.unit if s.lower() in {u.lower() for u in (spec.unit, *spec.unit_aliases) if u} else None


def plausible_ranges_table() -> str:
    """The Markdown table of plausible ranges and units that docs/review.md shows (a test keeps them equal)."""
    rows: dict[tuple[str, str], list[str]] = {}  # fields sharing a range and units share a row
    for spec in FIELDS.values():
        if not spec.numeric:
            rows.setdefault(("text", "none"), []).append(spec.name)
            continue
        lo, hi = spec.plausible_range
        aliases = f" ({', '.join(spec.unit_aliases)})" if spec.unit_aliases else ""
        rows.setdefault((f"{_short(lo)}–{_short(hi)}", f"{spec.unit}{aliases}"), []).append(spec.name)
    lines = ["| field | plausible range | unit (also accepted) |", "| --- | --- | --- |"]
    lines += [f"| {', '.join(f'`{n}`' for n in names)} | {span} | {units} |" for (span, units), names in rows.items()]
    return "\n".join(lines)


def same_value(a: float | str | None, b: float | str | None) -> bool:
    """Values equal up to spreadsheet rounding (numbers) or case and spacing (text).

    >>> same_value(123456789012345.0, 1.23457e14), same_value(" V100", "v100"), same_value(1.0, 2.0)
    (True, True, False)
    """
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=VALUE_REL_TOLERANCE, abs_tol=1e-12)
    return normalise_value(a) == normalise_value(b)


def split_models(text: str) -> tuple[str, ...]:
    """The models a model cell names: ``"ResNet-50; ResNet-101"`` → two, ``""`` → one empty name.

    >>> split_models(" ResNet-50 ;ResNet-101; "), split_models("")
    (('ResNet-50', 'ResNet-101'), ('',))
    """
    names = tuple(dict.fromkeys(m.strip() for m in text.split(MODELS_SEPARATOR) if m.strip()))
    return names or ("",)


def retarget_text(model: str | None, benchmark: str | None, field_name: str | None) -> str:
    """The retarget part of a verdict: ``""`` when nothing is retargeted (so older digests still match)."""
    if model is None and benchmark is None and field_name is None:
        return ""
    models = "" if model is None else MODELS_SEPARATOR.join(normalise_model(m) for m in split_models(model))
    return "\x1e".join(("" if model is None else "m:" + models, benchmark or "", field_name or ""))


def verdict_digest(decision: str, corrected_value: float | str | None, note: str, retarget: str = "") -> str:
    """Eight hex digits naming a verdict (decision, correction, note, retarget), robust to spreadsheet rounding.

    >>> verdict_digest("correct", 21.4, " Table 3") == verdict_digest("correct", 21.40000001, "Table 3")
    True
    """
    parts = (decision, normalise_value(corrected_value), note.strip(), *((retarget,) if retarget else ()))
    return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:8]


@dataclass(frozen=True)
class Seen:
    """What an exported sheet showed for a row, so an import can tell who changed what since.

    ``verdict`` is the digest of the decision shown (``""``: the row was pending), read from
    ``exported_decision``. A row without it (a sheet from an older flopmine) is judged by its
    ``decided_at`` alone. A row with neither (a hand-made sheet, the extractor's queue, or a sheet
    whose two columns were deleted) is ``blind``: it applies only where it agrees with the ledger or
    the ledger has no decision on it; a different decision is a conflict, never applied.
    """

    verdict: str | None
    decided_at: str
    sheet: str  # the file, for messages
    blind: bool = False  # a sheet row that records nothing of what it showed (no exported_decision, no decided_at)

    @classmethod
    def from_cells(cls, cells: dict[str, str], sheet: str) -> Seen | None:
        """Read ``exported_decision`` (else a filled ``decided_at``) of a row; None when there is neither.

        Raises ``ValueError`` for an ``exported_decision`` cell that export did not write.

        >>> Seen.from_cells({"exported_decision": "pending"}, "a.csv").verdict
        ''
        >>> Seen.from_cells({"decided_at": "2026-11-27T16:07:10Z (v1)"}, "a.csv").decided_at
        '2026-11-27T16:07:10Z'
        """
        shown = cells.get(EXPORTED_COLUMN, "").strip()
        if shown == PENDING:
            return cls("", "", sheet)
        if shown:
            m = _EXPORTED_STATE.match(shown)
            if m is None:
                raise ValueError(f"not written by flopmine export ({shown!r}); restore it from the exported "
                                 "file, or clear it")
            return cls(m["digest"], m["decided_at"], sheet)
        decided_at = _CARRIED_OVER.sub("", cells.get("decided_at", "").strip())
        return cls(None, decided_at, sheet) if decided_at else None

    @classmethod
    def unknown(cls, sheet: str) -> Seen:
        """A row of ``sheet`` that says nothing of what it showed (see ``blind``)."""
        return cls(None, "", sheet, blind=True)


@dataclass(frozen=True)
class Decision:
    """One reviewer decision about a candidate (or an added fact)."""

    decision: str  # accept | reject | correct | add
    arxiv_id: str
    version: int
    field: str
    value: float | str  # the candidate's value (for "add": the added value)
    benchmark: str = ""
    model: str = ""
    unit: str = ""
    page: int = 0
    candidate_id: str = ""  # "" for "add"
    corrected_value: float | str | None = None  # "correct" only
    reviewer: str = ""
    note: str = ""
    decided_at: str = ""  # ISO 8601 UTC, set when applied
    source: str = ""  # where it came from: "alice.csv:12", "web"
    line: int = field(default=0, compare=False)  # line in ``source`` (0 when not from a file)
    seen: Seen | None = field(default=None, compare=False)  # what an exported sheet showed (None: unknown)
    forced: bool = False  # the reviewer kept a value outside the field's plausible range
    # "correct" only: the fact's new model (several for a paper-level field, "a; b"), benchmark and
    # field; None: unchanged
    corrected_model: str | None = None
    corrected_benchmark: str | None = None
    corrected_field: str | None = None

    @property
    def fact_key(self) -> str:
        """Identity of the candidate's fact across paper versions (the original value, not a correction)."""
        return fact_key(self.arxiv_id, self.benchmark, self.model, self.field, self.value)

    @property
    def key(self) -> str:
        """What a decision is about: its candidate id, or ``add:<fact_key>`` for an added fact."""
        return self.candidate_id or f"add:{self.fact_key}"

    @property
    def final_value(self) -> float | str:
        """The value the reviewed fact has: the correction for ``correct``, else ``value``."""
        if self.decision == CORRECT and self.corrected_value is not None:
            return self.corrected_value
        return self.value

    @property
    def is_retarget(self) -> bool:
        """Whether this decision moves its fact to another model, benchmark or field."""
        return self.decision == CORRECT and (self.corrected_model is not None or self.corrected_benchmark is not None
                                             or self.corrected_field is not None)

    @property
    def final_model(self) -> str:
        """The model cell of the reviewed fact (``"a; b"`` when it names several models)."""
        return self.corrected_model if self.decision == CORRECT and self.corrected_model is not None else self.model

    @property
    def final_models(self) -> tuple[str, ...]:
        """The models the reviewed fact attaches to (several only for a ``PAPER_LEVEL_FIELDS`` field)."""
        if self.final_field in PAPER_LEVEL_FIELDS:
            return split_models(self.final_model)
        return (self.final_model,)

    @property
    def final_benchmark(self) -> str:
        """The benchmark of the reviewed fact."""
        if self.decision == CORRECT and self.corrected_benchmark is not None:
            return self.corrected_benchmark
        return self.benchmark

    @property
    def final_field(self) -> str:
        """The field of the reviewed fact."""
        return self.corrected_field if self.decision == CORRECT and self.corrected_field is not None else self.field

    @property
    def final_unit(self) -> str:
        """The unit of the reviewed fact: the candidate's, or the new field's unit after a relabel."""
        if self.final_field != self.field:
            return FIELDS[self.final_field].unit
        return self.unit

    def same_verdict(self, other: Decision) -> bool:
        """Same decision, correction, retarget and note (who decided, and when, does not matter)."""
        return (
            self.decision == other.decision
            and same_value(self.corrected_value, other.corrected_value)
            and self.note.strip() == other.note.strip()
            and self._retarget == other._retarget
        )

    @property
    def _retarget(self) -> str:
        if self.decision != CORRECT:
            return ""
        return retarget_text(self.corrected_model, self.corrected_benchmark, self.corrected_field)

    @property
    def verdict(self) -> str:
        """``verdict_digest`` of this decision."""
        return verdict_digest(self.decision, self.corrected_value, self.note, self._retarget)

    def to_fact(self) -> Fact | None:
        """The annotation fact this decision produces (None for ``reject``), under its final model,
        benchmark and field (the first model when it names several: see ``to_facts``)."""
        facts = self.to_facts()
        return facts[0] if facts else None

    def to_facts(self) -> list[Fact]:
        """The annotation facts this decision produces: one per model it attaches to (none for ``reject``)."""
        if self.decision not in FACT_DECISIONS:
            return []
        return [Fact(
            arxiv_id=self.arxiv_id, version=self.version, field=self.final_field, value=self.final_value,
            benchmark=self.final_benchmark, model=model, unit=self.final_unit, page=self.page,
            decision=self.decision, candidate_id=self.candidate_id, reviewer=self.reviewer,
            decided_at=self.decided_at, note=self.note, flags=FORCED_FLAG if self.forced else "",
        ) for model in self.final_models]

    @property
    def fact_benchmarks(self) -> set[str]:
        """The benchmarks whose fact files this decision's facts may be in (old and new benchmark)."""
        return {self.benchmark, self.final_benchmark}

    def to_row(self) -> dict[str, Any]:
        """One row of the decision ledger (``LEDGER_COLUMNS``)."""
        return {
            "arxiv_id": self.arxiv_id, "version": self.version, "benchmark": self.benchmark,
            "model": self.model, "field": self.field, "value": format_value(self.value), "unit": self.unit,
            "page": self.page, "decision": self.decision, "corrected_value": format_value(self.corrected_value),
            "candidate_id": self.candidate_id, "fact_key": self.fact_key, "reviewer": self.reviewer,
            "decided_at": self.decided_at, "note": self.note, "source": self.source,
            "force": FORCE if self.forced else "",
            "corrected_model": _retarget_cell(self.corrected_model),
            "corrected_benchmark": _retarget_cell(self.corrected_benchmark),
            "corrected_field": self.corrected_field or "",
        }

    @classmethod
    def from_row(cls, row: dict[str, str]) -> Decision:
        """Parse a ledger row; raises ``KeyError``/``ValueError`` on a malformed row."""
        field_name = row["field"].strip()
        if field_name not in FIELDS:
            raise ValueError(f"field: unknown field {field_name!r}")
        decision = row["decision"].strip()
        if decision not in DECISIONS:
            raise ValueError(f"decision: unknown decision {decision!r}")
        new_model = _retarget_value(row.get("corrected_model"))
        new_benchmark = _retarget_value(row.get("corrected_benchmark"))
        new_field = (row.get("corrected_field") or "").strip() or None
        if new_field is not None and new_field not in FIELDS:
            raise ValueError(f"corrected_field: unknown field {new_field!r}")
        corrected = (row.get("corrected_value") or "").strip()
        return cls(
            decision=decision, arxiv_id=row["arxiv_id"].strip(), version=int(row.get("version") or 0),
            field=field_name, value=parse_value(field_name, row["value"]),
            benchmark=(row.get("benchmark") or "").strip(), model=(row.get("model") or "").strip(),
            unit=(row.get("unit") or "").strip(), page=int(row.get("page") or 0),
            candidate_id=(row.get("candidate_id") or "").strip(),
            corrected_value=parse_value(new_field or field_name, corrected) if corrected else None,
            reviewer=row.get("reviewer") or "", note=row.get("note") or "",
            decided_at=row.get("decided_at") or "", source=row.get("source") or "",
            forced=(row.get("force") or "").strip().lower() == FORCE,
            corrected_model=new_model, corrected_benchmark=new_benchmark, corrected_field=new_field,
        )

    @classmethod
    def from_fact(cls, fact: Fact, source: str = "") -> Decision:
        """A decision recovered from an annotation fact that the ledger does not know.

        The original value of a ``correct`` fact is not in the fact file, so such a decision still
        attaches by candidate id but not by fact key.
        """
        return cls(
            decision=fact.decision, arxiv_id=fact.arxiv_id, version=fact.version, field=fact.field,
            value=fact.value, benchmark=fact.benchmark, model=fact.model, unit=fact.unit, page=fact.page,
            candidate_id=fact.candidate_id,
            corrected_value=fact.value if fact.decision == CORRECT else None,
            reviewer=fact.reviewer, note=fact.note, decided_at=fact.decided_at, source=source,
            forced=FORCED_FLAG in fact.flags.split(","),
        )


NONE_CELL = "-"  # a ledger's corrected_model / corrected_benchmark cell for "none" (an empty cell: unchanged)


def _retarget_cell(value: str | None) -> str:
    """``corrected_model``/``corrected_benchmark`` as a ledger cell: ``""`` unchanged, ``"-"`` cleared."""
    if value is None:
        return ""
    return value or NONE_CELL


def _retarget_value(cell: str | None) -> str | None:
    text = (cell or "").strip()
    if not text:
        return None
    return "" if text == NONE_CELL else text


def exported_state(d: Decision | None) -> str:
    """The ``exported_decision`` cell for a row showing ``d``: ``pending``, or decision, time and digest.

    >>> exported_state(None)
    'pending'
    >>> exported_state(Decision("reject", "1512.03385", 1, "epochs", 90.0, decided_at="2026-11-27T16:07:10Z"))
    'reject@2026-11-27T16:07:10Z#...'
    """
    if d is None:
        return PENDING
    return f"{d.decision}@{d.decided_at}#{d.verdict}"


def sort_key(d: Decision) -> tuple[Any, ...]:
    """Order of rows in annotation files: paper, version, benchmark, model, field, value."""
    return (d.arxiv_id, d.version, d.benchmark, normalise_model(d.model), d.field,
            normalise_value(d.value), d.candidate_id, d.decision)
