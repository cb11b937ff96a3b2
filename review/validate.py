"""Read reviewer CSVs as spreadsheets save them, and validate every row before anything is applied.

Spreadsheet habits handled on reading: a UTF-8 BOM (or Excel's UTF-16 "Unicode text"), CRLF or CR
line ends, reordered or extra columns, ``;`` or tab as separator, quoted cells, ``="…"`` text
cells, and the leading ``'`` that export adds to formula-like text (stripped back).

Every problem is reported at once as ``file:line: column: message``:

>>> str(Problem("alice.csv", 12, "corrected_value", "not a number: 'n/a'"))
"alice.csv:12: corrected_value: not a number: 'n/a'"
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from flopmine.config import Home
from flopmine.errors import ReviewError
from flopmine.ids import ArxivId, InvalidIdError, parse_id
from flopmine.types import FIELDS, Candidate, FieldSpec, fact_key, normalise_model

from .apply import AlsoWrite, ApplyReport, Conflict, StaleSheetError, apply
from .decision import (
    ACCEPT,
    ADD,
    CORRECT,
    DECISIONS,
    EXPORTED_COLUMN,
    FORCE,
    MODELS_SEPARATOR,
    NONE_CELL,
    PAPER_LEVEL_FIELDS,
    READ_ONLY_COLUMNS,
    REJECT,
    REQUIRED_COLUMNS,
    RETARGET_COLUMNS,
    Decision,
    Seen,
    canonical_unit,
    format_value,
    parse_value,
    plausibility_problem,
    range_problem,
    same_value,
    split_models,
)
from .renames import MAX_MODEL_CHARS, Rename, renamed_model
from .store import (
    benchmark_names,
    cached_decision,
    cached_renames,
    ensure_schema,
    find_candidate,
    newest_version,
    refresh,
)

log = logging.getLogger(__name__)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_EXCEL_TEXT = re.compile(r'^="(.*)"$', re.S)
_SAFE_BENCHMARK = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
ROW_SHEET_MARKER = "row_state"  # a header with this column is a row sheet (``review.sheet.ROW_STATE``)


@dataclass(frozen=True, order=True)
class Problem:
    """One invalid cell (or file): printed as ``file:line: column: message``."""

    source: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.column}: {self.message}"


@dataclass(frozen=True)
class Sheet:
    """The rows of one reviewer CSV: ``(line, {column: cleaned cell})``, plus file-level problems."""

    source: str
    rows: list[tuple[int, dict[str, str]]]
    problems: list[Problem] = field(default_factory=list)


def clean_cell(text: str | None) -> str:
    """Undo what export and spreadsheets do to a cell: formula neutralising, ``="…"``, padding.

    >>> clean_cell("'=SUM(A1)"), clean_cell(' ="0123" '), clean_cell("'-ResNet"), clean_cell("it's")
    ('=SUM(A1)', '0123', '-ResNet', "it's")
    """
    s = text or ""
    if s.startswith("'") and s[1:2] and s[1] in _FORMULA_START:
        s = s[1:]
    s = s.strip()
    m = _EXCEL_TEXT.match(s)
    if m:
        s = m.group(1).replace('""', '"')
    return s


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def read_sheet(path: Path | str, source: str | None = None) -> Sheet:
    """Read a reviewer CSV. Problems (unreadable file, missing columns …) are returned, not raised."""
    path = Path(path)
    source = source or str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        return Sheet(source, [], [Problem(source, 1, "file", f"cannot read the file: {e.strerror}")])
    try:
        text = _decode(data)
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        return Sheet(source, [], [Problem(source, line, "file", f"not UTF-8 text (byte {e.start}); in a "
                                                                "spreadsheet save as 'CSV UTF-8 (comma delimited)'")])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    problems: list[Problem] = []
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        header_cells = next(reader, None)
        if not header_cells or not any(c.strip() for c in header_cells):
            return Sheet(source, [], [Problem(source, 1, "file", "empty file: no header row")])
        header = [clean_cell(c).lstrip("\ufeff").strip().lower() for c in header_cells]
        seen: set[str] = set()
        for name in header:
            if name and name in seen:
                problems.append(Problem(source, 1, name, "column appears twice in the header"))
            seen.add(name)
        # a row sheet (review.sheet) has no decision column: its decisions are the difference from its export
        missing = [] if ROW_SHEET_MARKER in seen else [c for c in REQUIRED_COLUMNS if c not in seen]
        for c in missing:
            problems.append(Problem(source, 1, c, f"required column missing (the header has: {', '.join(h for h in header if h)})"))
        if problems:
            return Sheet(source, [], problems)
        line = reader.line_num + 1
        for record in reader:
            cells = [clean_cell(c) for c in record]
            if any(cells):
                extra = [c for c in cells[len(header):] if c]
                if extra:
                    problems.append(Problem(source, line, "-", f"{len(record)} cells but the header has {len(header)}"))
                row = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}
                rows.append((line, row))
            line = reader.line_num + 1
    except csv.Error as e:
        problems.append(Problem(source, reader.line_num, "file", f"malformed CSV: {e}"))
    return Sheet(source, rows, problems)


# ---------------------------------------------------------------- one file's rows


@dataclass
class _Context:
    conn: sqlite3.Connection
    source: str
    reviewer: str
    any_paper: bool = False  # an added fact may name a paper the store does not know
    _benchmarks: dict[str, str] | None = None
    _renames: dict[tuple[str, str], Rename] | None = None

    @property
    def renames(self) -> dict[tuple[str, str], Rename]:
        """The model renames (``review.renames``), read on first use."""
        if self._renames is None:
            self._renames = cached_renames(self.conn)
        return self._renames

    @property
    def benchmarks(self) -> dict[str, str]:
        """Lower-case name or alias → canonical name (read on first use: rows naming candidates need none)."""
        if self._benchmarks is None:
            self._benchmarks = benchmark_names(self.conn)
        return self._benchmarks


def _same_arxiv_id(cell: str, stored: str) -> bool:
    """Equal ids, also when the cell says ``arXiv:…`` or a spreadsheet dropped a trailing zero (``2001.0821``)."""
    if cell == stored:
        return True
    try:
        if parse_id(cell).base == stored:
            return True
    except InvalidIdError:
        pass
    try:
        return "/" not in stored and float(cell) == float(stored)
    except ValueError:
        return False


def _int(cell: str) -> int | None:
    try:
        f = float(cell)
    except ValueError:
        return None
    return int(f) if f.is_integer() else None


def _read_only_problems(cells: Mapping[str, str], c: Candidate | Decision, line: int,
                        ctx: _Context) -> list[Problem]:
    """Columns copied from the candidate that the reviewer changed (absent columns are fine)."""
    out: list[Problem] = []
    stored: dict[str, object] = {
        "arxiv_id": c.arxiv_id, "version": c.version, "benchmark": c.benchmark, "model": c.model,
        "field": c.field, "value": c.value, "unit": c.unit, "page": c.page,
    }
    for col in READ_ONLY_COLUMNS:
        if col not in cells:
            continue
        cell, want = cells[col], stored[col]
        if col == "arxiv_id":
            ok = _same_arxiv_id(cell, str(want))
        elif col in ("version", "page"):
            ok = _int(cell) == want or (cell == "" and want == 0)
        elif col == "model":
            ok = normalise_model(cell) == normalise_model(str(want))
        elif col == "value":
            try:
                ok = same_value(parse_value(c.field, cell), want)  # type: ignore[arg-type]
            except ValueError:
                ok = False
            if not ok and _is_decimal_comma_of(cell, want):
                out.append(Problem(ctx.source, line, "file", f"{DECIMAL_COMMA}{cell!r} for {format_value(want)}"))
                continue
        else:
            ok = cell == str(want)
        if not ok:
            hint = ("use decision 'correct' and put the right value in corrected_value" if col == "value"
                    else "restore it, or use an 'add' row for a different fact")
            out.append(Problem(ctx.source, line, col, f"read-only column changed (the candidate has "
                                                      f"{format_value(want)!r}, the file has {cell!r}); {hint}"))
    return out


def _force_cell(cells: Mapping[str, str], line: int, ctx: _Context) -> tuple[bool, list[Problem]]:
    """Whether the row's force column says ``force`` (a problem for anything else but empty)."""
    cell = cells.get("force", "").strip().lower()
    if cell in ("", FORCE):
        return cell == FORCE, []
    return False, [Problem(ctx.source, line, "force", f"write 'force' to keep a value outside its plausible range, "
                                                      f"or leave it empty (the cell has {cells['force']!r})")]


def _plausible(spec: FieldSpec, value: float | str, forced: bool, column: str, line: int,
               ctx: _Context) -> tuple[bool, list[Problem]]:
    """(kept although implausible, problems): a value outside the plausible range needs ``force``."""
    why = plausibility_problem(spec, value)
    if why is None:
        return False, []
    if forced:
        return True, []
    return False, [Problem(ctx.source, line, column, why)]


DECIMAL_COMMA = "decimal comma: "  # marks a row problem that validate_rows turns into one problem of the file
_DECIMAL_COMMA_NUMBER = re.compile(r"^[+-]?\d*,\d+(?:[eE][+-]?\d+)?%?$")
DECIMAL_COMMA_ADVICE = (
    "save it with '.' as the decimal separator (LibreOffice: Tools > Options > Language Settings > Languages, "
    "Locale setting English (USA); Excel: File > Options > Advanced, untick 'Use system separators', "
    "decimal separator '.'), then import again")


def _is_decimal_comma_of(cell: str, want: object) -> bool:
    """``42,7`` where the candidate has 42.7: a spreadsheet in a locale that writes decimal commas."""
    if not isinstance(want, float) or not _DECIMAL_COMMA_NUMBER.match(cell.strip()):
        return False
    try:
        return same_value(float(cell.strip().rstrip("%").replace(",", ".")), want)
    except ValueError:
        return False


def _decimal_comma_problem(problems: list[Problem], source: str) -> list[Problem]:
    """The rows' decimal-comma problems as one problem of the file, at the first such line."""
    commas = [p for p in problems if p.message.startswith(DECIMAL_COMMA)]
    if not commas:
        return problems
    first = commas[0]
    example = first.message.removeprefix(DECIMAL_COMMA)
    more = f", and {len(commas) - 1} more row(s)" if len(commas) > 1 else ""
    merged = Problem(source, first.line, "file", f"the file uses decimal commas (value {example}{more}); "
                                                 f"{DECIMAL_COMMA_ADVICE}")
    return [merged, *(p for p in problems if not p.message.startswith(DECIMAL_COMMA))]


def _match_by_fact(cells: Mapping[str, str], ctx: _Context) -> Candidate | None:
    """The candidate a row without candidate_id names by its content (newest paper version first)."""
    field_name = cells.get("field", "").lower()
    if field_name not in FIELDS or not cells.get("arxiv_id") or not cells.get("value"):
        return None
    try:
        arxiv_id = parse_id(cells["arxiv_id"]).base
        value = parse_value(field_name, cells["value"])
    except (InvalidIdError, ValueError):
        return None
    bench = cells.get("benchmark", "")
    bench = ctx.benchmarks.get(bench.lower(), bench)
    key = fact_key(arxiv_id, bench, cells.get("model", ""), field_name, value)
    row = ctx.conn.execute("SELECT candidate_id FROM candidates WHERE fact_key = ? AND arxiv_id = ? "
                           "ORDER BY version DESC LIMIT 1", (key, arxiv_id)).fetchone()
    return find_candidate(ctx.conn, row[0]) if row is not None else None


@dataclass(frozen=True)
class _Retarget:
    """What a row's model, benchmark and field cells change of its candidate (None: unchanged)."""

    model: str | None = None
    benchmark: str | None = None
    field: str | None = None

    @property
    def any(self) -> bool:
        return self.model is not None or self.benchmark is not None or self.field is not None

    @property
    def columns(self) -> list[str]:
        return [c for c in RETARGET_COLUMNS if getattr(self, c) is not None]


def _model_cell_problem(cell: str) -> str | None:
    if len(cell) > MAX_MODEL_CHARS * 4 or any(ch in cell for ch in "\r\n\t\x00"):
        return f"not a model name: {cell[:40]!r} (one line, at most {MAX_MODEL_CHARS} characters per model)"
    if any(len(m) > MAX_MODEL_CHARS for m in split_models(cell)):
        return f"a model name is longer than {MAX_MODEL_CHARS} characters"
    return None


def _retarget_cells(cells: Mapping[str, str], cand: Candidate | Decision, line: int,
                    ctx: _Context) -> tuple[_Retarget, list[Problem]]:
    """The retarget a row asks for: its model, benchmark and field cells against the candidate's
    (a model cell showing the paper's rename of the candidate's model, or its case, is no change)."""
    src = ctx.source
    problems: list[Problem] = []
    model = benchmark = field_name = None
    if "model" in cells:
        cell = "" if cells["model"].strip() == NONE_CELL else cells["model"]  # "-" or empty: no model
        shown = {normalise_model(cand.model), normalise_model(renamed_model(ctx.renames, cand.arxiv_id, cand.model))}
        names = split_models(cell)
        if MODELS_SEPARATOR in cell or normalise_model(cell) not in shown:
            why = _model_cell_problem(cell)
            if why is not None:
                problems.append(Problem(src, line, "model", why))
            else:
                model = f"{MODELS_SEPARATOR} ".join(names)
    if "field" in cells:
        cell = cells["field"].strip().lower()
        if cell != cand.field:
            if cell not in FIELDS:
                problems.append(Problem(src, line, "field", f"unknown field {cells['field']!r}; known: {', '.join(FIELDS)}"))
            else:
                field_name = cell
    if "benchmark" in cells:
        cell = cells["benchmark"].strip()
        canonical = ctx.benchmarks.get(cell.lower()) if cell else ""
        if cell != cand.benchmark and canonical != cand.benchmark:
            if canonical is None or (canonical and (not _SAFE_BENCHMARK.match(canonical.lower())
                                                    or canonical == "paper_facts")):
                known = ", ".join(sorted(set(ctx.benchmarks.values())))
                problems.append(Problem(src, line, "benchmark", f"unknown benchmark {cell!r}; known: {known}"))
            else:
                benchmark = canonical
    final_field = field_name or cand.field
    final_benchmark = cand.benchmark if benchmark is None else benchmark
    moved = field_name is not None or benchmark is not None  # a candidate as extracted may lack its benchmark
    if not problems and moved and FIELDS[final_field].kind == "metric" and not final_benchmark:
        problems.append(Problem(src, line, "benchmark", f"required: {final_field} is a metric of a benchmark"))
    if model is not None and len(split_models(model)) > 1 and final_field not in PAPER_LEVEL_FIELDS:
        problems.append(Problem(src, line, "model", f"several models ({model!r}) only for a paper-level fact "
                                                    f"({', '.join(PAPER_LEVEL_FIELDS)}); {final_field} names one model"))
    return _Retarget(model, benchmark, field_name), problems


def _validate_candidate_row(cells: Mapping[str, str], line: int, decision: str,
                            ctx: _Context) -> tuple[Decision | None, list[Problem]]:
    """One row about a candidate; ``decision`` ``""`` (pending) gives a ``correct`` when the row
    retargets the candidate, else nothing."""
    src = ctx.source
    cid = cells.get("candidate_id", "")
    if not cid:
        matched = _match_by_fact(cells, ctx)
        if matched is None:
            return None, [Problem(src, line, "candidate_id", f"empty, and no extracted candidate has this arxiv_id, "
                                                             f"benchmark, model, field and value (decision {decision!r}; "
                                                             "use 'add' for a fact the extractor missed)")]
        cid = matched.candidate_id
        cells = {k: v for k, v in cells.items()  # they named the fact
                 if k not in READ_ONLY_COLUMNS and k not in RETARGET_COLUMNS}
    cand: Candidate | Decision | None = find_candidate(ctx.conn, cid) or cached_decision(ctx.conn, cid)
    if cand is None and not decision:
        return None, []  # a pending row of a candidate no longer extracted: nothing to decide
    if cand is None:
        if "stale" in cells.get("flags", "").split(","):
            return None, [Problem(src, line, "candidate_id", f"candidate {cid!r} is no longer extracted (the row "
                                                             "is flagged stale); use an 'add' row to keep its fact")]
        return None, [Problem(src, line, "candidate_id", f"unknown candidate id {cid!r} (not in the store; "
                                                         "was the file exported from another home, or edited?)")]
    retarget, problems = _retarget_cells(cells, cand, line, ctx)
    retargeting = retarget.any or bool(problems)  # the row edits the model, benchmark or field (maybe badly)
    if not decision:
        if retargeting:
            decision = CORRECT  # an edited model, benchmark or field is a correction of the candidate
        else:
            return None, []
    elif retarget.any and decision == REJECT:
        problems.append(Problem(src, line, retarget.columns[0], "a rejected candidate is not retargeted; restore "
                                                                "the cell, or write 'correct' to move its fact"))
    elif retarget.any and decision == ACCEPT:
        decision = CORRECT  # accepted under another model, benchmark or field
    problems += _read_only_problems(cells, cand, line, ctx)
    final_field = retarget.field or cand.field
    spec = FIELDS[final_field]
    force, ps = _force_cell(cells, line, ctx)
    problems.extend(ps)
    forced = False
    corrected_cell = cells.get("corrected_value", "")
    corrected: float | str | None = None
    if decision == CORRECT and not corrected_cell and retargeting:
        # the candidate's own value under its new field
        value: float | str | None = cand.value
        if retarget.field is not None:
            try:
                value = parse_value(final_field, format_value(cand.value))
            except ValueError:
                problems.append(Problem(src, line, "field", f"the value {format_value(cand.value)!r} is not a value of "
                                                            f"{final_field}; put the right one in corrected_value"))
                value = None
            else:
                if isinstance(value, float) != isinstance(cand.value, float):
                    corrected = value  # text ↔ number: the fact keeps the value in its new field's type
        if value is not None:
            column = "field" if retarget.field is not None else "value"
            why = range_problem(spec, value)
            if why:
                problems.append(Problem(src, line, column, f"{why}; put the right value in corrected_value"))
            else:
                forced, ps = _plausible(spec, value, force, column, line, ctx)
                problems.extend(ps)
    elif decision == CORRECT:
        if not corrected_cell:
            problems.append(Problem(src, line, "corrected_value", "required for decision 'correct'"))
        else:
            try:
                corrected = parse_value(final_field, corrected_cell)
            except ValueError as e:
                what = f" ({final_field} is numeric)" if spec.numeric else ""
                problems.append(Problem(src, line, "corrected_value", f"{e}{what}"))
            else:
                why = range_problem(spec, corrected)
                if why:
                    problems.append(Problem(src, line, "corrected_value", why))
                else:
                    forced, ps = _plausible(spec, corrected, force, "corrected_value", line, ctx)
                    problems.extend(ps)
    elif corrected_cell:
        problems.append(Problem(src, line, "corrected_value", f"only used with decision 'correct' (this row "
                                                              f"says {decision!r}); clear it or write 'correct'"))
    elif decision == "accept":
        why = range_problem(spec, cand.value)
        if why:
            problems.append(Problem(src, line, "value", f"{why}; 'correct' or 'reject' it instead"))
        else:
            forced, ps = _plausible(spec, cand.value, force, "value", line, ctx)
            problems.extend(ps)
    if problems:
        return None, problems
    return Decision(
        decision=decision, arxiv_id=cand.arxiv_id, version=cand.version, field=cand.field, value=cand.value,
        benchmark=cand.benchmark, model=cand.model, unit=cand.unit, page=cand.page, candidate_id=cid,
        corrected_value=corrected, reviewer=cells.get("reviewer") or ctx.reviewer, note=cells.get("note", ""),
        source=f"{Path(src).name}:{line}", line=line, forced=forced,
        corrected_model=retarget.model, corrected_benchmark=retarget.benchmark, corrected_field=retarget.field,
    ), []


# New-style ids (``YYMM.NNNNN``) began in April 2007; the number has 4 digits until 1412, 5 from 1501 on.
_NEW_STYLE_FIRST = (2007, 4)
_FIVE_DIGITS_FROM = (2015, 1)


def arxiv_id_form_problem(arxiv_id: ArxivId, today: date | None = None) -> str | None:
    """Why a parsed id cannot be a real arXiv id (month, era, digit count, a future date), or None.

    ``parse_id`` checks the shape; this checks what the shape encodes. Old-style ids
    (``hep-th/9901001``) are checked for their month only.

    >>> arxiv_id_form_problem(parse_id("1810.4805"))
    "not an arXiv id: '1810.4805' (ids from 2015 on have 5 digits after the dot, e.g. 1810.04805)"
    >>> arxiv_id_form_problem(parse_id("9999.99999"))
    "not an arXiv id: '9999.99999' (month 99 does not exist)"
    >>> arxiv_id_form_problem(parse_id("1512.03385")) is None
    True
    """
    base = arxiv_id.base
    year, month = arxiv_id.year_month
    if not 1 <= month <= 12:
        return f"not an arXiv id: {base!r} (month {month:02d} does not exist)"
    if arxiv_id.is_old_style:
        return None
    if year < 2000:  # year_month reads YY >= 91 as 19YY, the old-style scheme's century
        year += 100
    today = today or datetime.now(UTC).date()
    number = base.split(".", 1)[1]
    if (year, month) < _NEW_STYLE_FIRST:
        return f"not an arXiv id: {base!r} (ids of the form YYMM.NNNNN start in April 2007, 0704)"
    if (year, month) > (today.year, today.month):
        return f"not an arXiv id: {base!r} ({year}-{month:02d} is in the future)"
    five = (year, month) >= _FIVE_DIGITS_FROM
    if five and len(number) != 5:
        return (f"not an arXiv id: {base!r} (ids from 2015 on have 5 digits after the dot, "
                f"e.g. {base.split('.')[0]}.{number.zfill(5)})")
    if not five and len(number) != 4:
        return f"not an arXiv id: {base!r} (ids before 2015 have 4 digits after the dot)"
    if int(number) == 0:
        return f"not an arXiv id: {base!r} (papers are numbered from 1)"
    return None


def _paper_pages(conn: sqlite3.Connection, arxiv_id: str, version: int) -> int:
    """Pages of the paper version as extracted (0: unknown)."""
    row = conn.execute("SELECT pages FROM extractions WHERE arxiv_id = ? AND version = ?",
                       (arxiv_id, version)).fetchone()
    return int(row[0] or 0) if row is not None else 0


def _validate_add_row(cells: Mapping[str, str], line: int, ctx: _Context) -> tuple[Decision | None, list[Problem]]:
    src = ctx.source
    problems: list[Problem] = []

    def bad(col: str, msg: str) -> None:
        problems.append(Problem(src, line, col, msg))

    if cells.get("candidate_id"):
        bad("candidate_id", "must be empty for decision 'add' (an added fact has no candidate; "
                            "to fix a candidate use 'correct')")
    if cells.get("corrected_value"):
        bad("corrected_value", "not used with 'add'; put the fact's value in the value column")
    arxiv_id, id_version = "", None
    if not cells.get("arxiv_id"):
        bad("arxiv_id", "required for decision 'add'")
    else:
        try:
            parsed = parse_id(cells["arxiv_id"])
        except InvalidIdError as e:
            bad("arxiv_id", str(e))
        else:
            why = arxiv_id_form_problem(parsed)
            if why is not None:
                bad("arxiv_id", why)
            elif newest_version(ctx.conn, parsed.base) is None and not ctx.any_paper:
                bad("arxiv_id", f"paper {parsed.base} is not in the store (neither harvested nor extracted "
                                "here); check the id, or use --any-paper to add a fact to it anyway")
            else:
                arxiv_id, id_version = parsed.base, parsed.version
    field_name = cells.get("field", "").lower()
    value: float | str | None = None
    force, ps = _force_cell(cells, line, ctx)
    problems.extend(ps)
    forced = False
    if not field_name:
        bad("field", "required for decision 'add'")
    elif field_name not in FIELDS:
        bad("field", f"unknown field {field_name!r}; known: {', '.join(FIELDS)}")
    if not cells.get("value"):
        bad("value", "required for decision 'add'")
    elif field_name in FIELDS:
        try:
            value = parse_value(field_name, cells["value"])
        except ValueError as e:
            bad("value", f"{e} ({field_name} is numeric)" if FIELDS[field_name].numeric else str(e))
        else:
            why = range_problem(FIELDS[field_name], value)
            if why:
                bad("value", why)
            else:
                forced, ps = _plausible(FIELDS[field_name], value, force, "value", line, ctx)
                problems.extend(ps)
    unit = ""
    if field_name in FIELDS:
        spec = FIELDS[field_name]
        unit = canonical_unit(spec, cells.get("unit", "")) or ""
        if canonical_unit(spec, cells.get("unit", "")) is None:
            known = ", ".join(u for u in (spec.unit, *spec.unit_aliases) if u)
            bad("unit", f"not a unit of {field_name}: {cells['unit']!r}; " + (
                f"write the value in {spec.unit} and the unit as {known}, or leave it empty" if spec.unit
                else f"{field_name} has no unit; leave it empty"))
    page = _int(cells.get("page", ""))
    if not cells.get("page"):
        bad("page", "required for decision 'add' (the page where the fact is printed)")
    elif page is None or page < 1:
        bad("page", f"not a page number: {cells['page']!r}")
    benchmark = ""
    if cells.get("benchmark"):
        benchmark = ctx.benchmarks.get(cells["benchmark"].lower(), "")
        if not benchmark or not _SAFE_BENCHMARK.match(benchmark.lower()) or benchmark == "paper_facts":
            bad("benchmark", f"unknown benchmark {cells['benchmark']!r}; known: {', '.join(sorted(set(ctx.benchmarks.values())))}")
    elif field_name in FIELDS and FIELDS[field_name].kind == "metric":
        bad("benchmark", f"required: {field_name} is a metric of a benchmark")
    version = None
    if cells.get("version"):
        version = _int(cells["version"])
        if version is None or version < 1:
            bad("version", f"not a version number: {cells['version']!r}")
        elif id_version is not None and id_version != version:
            bad("version", f"v{version} differs from the arxiv_id's v{id_version}")
    model_cell = cells.get("model", "")
    if MODELS_SEPARATOR in model_cell:
        bad("model", f"an added fact names one model (no {MODELS_SEPARATOR!r}); add one row per model, or name "
                     "several models in the model cell of a candidate's 'correct'")
    elif model_cell and (why := _model_cell_problem(model_cell)) is not None:
        bad("model", why)
    if problems or value is None:
        return None, problems
    version = version or id_version or newest_version(ctx.conn, arxiv_id) or 1
    pages = _paper_pages(ctx.conn, arxiv_id, version)
    if page is not None and pages and page > pages:
        return None, [Problem(src, line, "page", f"page {page} is past the end of {arxiv_id}v{version} "
                                                 f"({pages} pages)")]
    return Decision(
        decision=ADD, arxiv_id=arxiv_id, version=version, field=field_name, value=value, benchmark=benchmark,
        model=cells.get("model", ""), unit=unit, page=page or 0,
        reviewer=cells.get("reviewer") or ctx.reviewer, note=cells.get("note", ""),
        source=f"{Path(src).name}:{line}", line=line, forced=forced,
    ), []


def validate_rows(rows: Sequence[Mapping[str, str]], conn: sqlite3.Connection, source: str, *,
                  lines: Sequence[int] | None = None, reviewer: str = "",
                  any_paper: bool = False, sheet: bool = False) -> tuple[list[Decision], list[Problem]]:
    """Validate review rows (``{column: cell}``) from one ``source``; return (valid decisions, problems).

    Rows with an empty decision are pending and skipped. ``lines`` gives each row's line number
    (default: 2, 3, … as in a file with one header line). ``reviewer`` fills empty reviewer cells.
    An added fact must name a paper in the store unless ``any_paper``. ``sheet``: the rows come from a
    reviewer's file, so a row that records nothing of what it showed is judged ``Seen.unknown`` (a
    decision differing from the ledger's is then a conflict); rows from the browser carry no such state.
    Call ``review.sync(conn, home)`` first so that decisions on orphaned candidates are known.

    >>> # decisions, problems = validate_rows([{"candidate_id": cid, "decision": "accept"}], conn, "web")
    """
    ensure_schema(conn)
    ctx = _Context(conn, source, reviewer, any_paper)
    line_numbers = list(lines) if lines is not None else list(range(2, len(rows) + 2))
    problems: list[Problem] = []
    found: dict[str, Decision] = {}
    dropped: set[str] = set()
    for row, line in zip(rows, line_numbers, strict=True):
        cells = {str(k).strip().lower(): clean_cell(v) for k, v in row.items() if k is not None}
        raw = cells.get("decision", "")
        decision = raw.lower()
        if not decision:
            if cells.get("corrected_value"):
                problems.append(Problem(source, line, "decision",
                                        "empty, but corrected_value is filled; write 'correct'"))
                continue
            if not cells.get("candidate_id") or not any(c in cells for c in RETARGET_COLUMNS):
                continue
            # a pending row whose model, benchmark or field was edited: a correction (else nothing)
        elif decision not in DECISIONS:
            problems.append(Problem(source, line, "decision", f"unknown decision {raw!r}; use one of "
                                                              f"{', '.join(DECISIONS)} (or leave it empty)"))
            continue
        if decision == ADD:
            d, ps = _validate_add_row(cells, line, ctx)
        else:
            d, ps = _validate_candidate_row(cells, line, decision, ctx)
            try:
                seen = Seen.from_cells(cells, source)
                if seen is None and sheet:
                    seen = Seen.unknown(source)
            except ValueError as e:
                ps = [*ps, Problem(source, line, EXPORTED_COLUMN, str(e))]
                d = None
            else:
                d = replace(d, seen=seen) if d is not None else None
        problems.extend(ps)
        if d is None:
            continue
        first = found.get(d.key)
        if first is not None:
            what = "candidate" if d.candidate_id else "added fact"
            problems.append(Problem(source, line, "candidate_id" if d.candidate_id else "value",
                                    f"duplicate row for the same {what} (first on line {first.line})"))
            if not first.same_verdict(d):
                dropped.add(d.key)
            continue
        found[d.key] = d
    return [d for k, d in found.items() if k not in dropped], _decimal_comma_problem(problems, source)


# ---------------------------------------------------------------- several files


def merge(sources: Sequence[tuple[str, Sequence[Decision]]]) -> tuple[list[Decision], list[Problem]]:
    """Combine the decisions of several files: identical rulings merge, different ones conflict.

    Rulings are identical when decision and corrected value agree; reviewers and notes are joined.
    Both sides of a conflict are reported and neither is applied.
    """
    merged: dict[str, tuple[str, Decision]] = {}
    conflicts: set[str] = set()
    problems: list[Problem] = []
    for source, decisions in sources:
        for d in decisions:
            seen = merged.get(d.key)
            if seen is None:
                merged[d.key] = (source, d)
                continue
            other_src, other = seen
            if other.decision == d.decision and same_value(other.corrected_value, d.corrected_value):
                merged[d.key] = (other_src, replace(
                    other, reviewer=_join(other.reviewer, d.reviewer), note=_join(other.note, d.note, " | ")))
                continue
            conflicts.add(d.key)
            col = "candidate_id" if d.candidate_id else "value"
            mine, theirs = _ruling(d), _ruling(other)
            problems.append(Problem(source, d.line, col, f"conflicts with {other_src}:{other.line} "
                                                         f"({mine} here, {theirs} there)"))
            problems.append(Problem(other_src, other.line, col, f"conflicts with {source}:{d.line} "
                                                                f"({theirs} here, {mine} there)"))
    return [d for k, (_, d) in merged.items() if k not in conflicts], problems


def _ruling(d: Decision) -> str:
    return f"correct to {format_value(d.corrected_value)}" if d.decision == CORRECT else d.decision


def _join(a: str, b: str, sep: str = "; ") -> str:
    parts = [p for p in dict.fromkeys([*a.split(sep), *b.split(sep)]) if p.strip()]
    return sep.join(parts)


def validate_files(conn: sqlite3.Connection, paths: Sequence[Path | str], *, reviewer: str = "",
                   any_paper: bool = False) -> tuple[list[Decision], list[Problem], int]:
    """Read and validate several reviewer CSVs together: (valid merged decisions, problems, rows read)."""
    per_source: list[tuple[str, Sequence[Decision]]] = []
    problems: list[Problem] = []
    rows_read = 0
    for path in paths:
        sheet = read_sheet(path)
        problems.extend(sheet.problems)
        rows_read += len(sheet.rows)
        if sheet.rows and ROW_SHEET_MARKER in sheet.rows[0][1]:  # sniffed from the header: a row sheet
            from .sheet import sheet_decisions  # the sheet builds on this module

            decisions, ps = sheet_decisions(sheet, conn, reviewer=reviewer, any_paper=any_paper)
        else:
            decisions, ps = validate_rows([r for _, r in sheet.rows], conn, sheet.source,
                                          lines=[n for n, _ in sheet.rows], reviewer=reviewer, any_paper=any_paper,
                                          sheet=True)
        problems.extend(ps)
        per_source.append((sheet.source, decisions))
    merged, ps = merge(per_source)
    problems.extend(ps)
    order = {str(Path(p)): i for i, p in enumerate(paths)}
    problems.sort(key=lambda p: (order.get(p.source, len(order)), p.source, p.line, p.column))
    return merged, problems, rows_read


@dataclass(frozen=True)
class ImportReport:
    """What ``import_files`` did: the applied changes (None for a dry run) and the skipped problems."""

    report: ApplyReport | None
    problems: tuple[Problem, ...]
    rows: int  # data rows read
    decisions: int  # valid decisions (pending rows excluded)


# A further check of the valid decisions (e.g. review.slots, review.assign): (kept decisions, problems).
ImportCheck = Callable[[list[Decision]], tuple[list[Decision], list[Problem]]]


def import_files(conn: sqlite3.Connection, home: Home, paths: Sequence[Path | str], *, partial: bool = False,
                 reviewer: str = "", dry_run: bool = False, check: ImportCheck | None = None,
                 any_paper: bool = False, also_write: AlsoWrite | None = None) -> ImportReport:
    """Validate every row of every file, then apply them all in one transaction.

    Any problem raises ``ReviewError`` listing all of them and applies nothing, unless ``partial``:
    then the valid rows are applied and the problems returned. ``dry_run`` validates only.
    ``check`` runs on the valid decisions before anything is applied; its problems count like the others.
    ``any_paper`` lets an added fact name a paper the store does not know. ``also_write`` goes to
    ``apply``: more files committed in the same transaction.
    """
    refresh(conn, home)
    decisions, problems, rows = validate_files(conn, paths, reviewer=reviewer, any_paper=any_paper)
    if check is not None:
        decisions, more = check(decisions)
        if more:
            problems = sorted([*problems, *more], key=lambda p: (p.source, p.line, p.column))
    if problems and not partial:
        raise _nothing_applied(problems, paths)
    try:
        report = apply(conn, home, decisions, skip_conflicts=partial, check_only=dry_run, also_write=also_write)
    except StaleSheetError as e:
        raise _nothing_applied([_as_problem(c) for c in e.conflicts], paths) from None
    problems = sorted([*problems, *(_as_problem(c) for c in report.conflicts)],
                      key=lambda p: (_file_order(paths, p.source), p.source, p.line, p.column))
    return ImportReport(None if dry_run else report, tuple(problems), rows, len(decisions) - len(report.conflicts))


def _as_problem(conflict: Conflict) -> Problem:
    return Problem(conflict.sheet, conflict.decision.line, "decision", conflict.message)


def _file_order(paths: Sequence[Path | str], source: str) -> int:
    order = {str(Path(p)): i for i, p in enumerate(paths)}
    return order.get(source, len(order))


def _nothing_applied(problems: Sequence[Problem], paths: Sequence[Path | str]) -> ReviewError:
    return ReviewError(f"{len(problems)} problem(s) in {len(paths)} file(s); nothing was applied "
                       "(fix them, or use --partial to apply only the valid rows)", [str(p) for p in problems])
