"""Conflicting decisions in the annotations: what a merge of two annotation clones can leave behind.

Every import and browser decision keeps one decision per candidate and one value per fact slot.
Two clones of the annotations reviewed apart and merged with git can still hold, for example,
``accept 29.9`` from one reviewer and ``correct to 12.5`` from the other for one candidate (two
ledger rows, two fact rows), or two different values accepted in one fact slot. ``find_conflicts``
lists each one; ``review status`` and ``flopmine build`` print them and ``build --strict`` fails
on any. Deciding the candidate (or the slot) again settles it: an import or a browser decision
replaces every row of its candidate.

>>> # for c in find_conflicts(home.annotations_dir): print(c)
>>> # 1512.03385v1 imagenet top1_acc resnet-152: c5d7f2e41a0b9c3d8 accept 29.9 (alice, decisions/ledger/1512.csv:4)
>>> #   ≠ correct to 12.5 (bob, decisions/ledger/1512.csv:5); decide it again to settle it

The fact files hold most rows (every reviewed fact), so they are scanned a column at a time (Arrow): each
row's decision key, slot and outcome become integer codes, conflicts are found by grouping those, and a
``Fact`` and a ``Decision`` are built only for the rows a conflict names. The rules are those of
``tests/support/conflicts_previous.py`` (the scan that parsed every row), which the tests compare it with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flopmine.errors import ReviewError
from flopmine.types import FIELDS, Fact, fact_key, normalise_value

from .annotations import _read_rows, fact_files, fact_row_key, ledger_files
from .decision import CORRECT, FACT_DECISIONS, Decision, format_value
from .slots import SlotKey, canonical_value, slot_field, slot_of

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa


def _outcome(field_name: str, value: float | str) -> str:
    """A fact's value as its slot field states it, as text two rows compare by."""
    v = canonical_value(field_name, value)
    return f"{v:.6g}" if isinstance(v, float) else str(v).strip().lower()


@dataclass(frozen=True)
class Claim:
    """One row of the annotations stating a decision: the decision and where it is written."""

    decision: Decision
    where: str  # "decisions/ledger/1512.csv:4"

    @property
    def outcome(self) -> str:
        """What the row says the fact is: ``no`` (rejected) or its value as the slot field states it."""
        d = self.decision
        if d.decision not in FACT_DECISIONS:
            return "no"
        return _outcome(d.final_field, d.final_value)  # a relabelled fact states its value in its new field

    def __str__(self) -> str:
        d = self.decision
        ruling = f"correct to {format_value(d.corrected_value)}" if d.decision == CORRECT else (
            f"{d.decision} {format_value(d.final_value)}")
        who = ", ".join(x for x in (d.reviewer, d.decided_at) if x)
        return f"{ruling} ({who + ', ' if who else ''}{self.where})"


@dataclass(frozen=True)
class DecisionConflict:
    """Rows that disagree: on one candidate (``key``), or on the value of one fact slot (``key`` "")."""

    slot: SlotKey
    key: str  # the candidate id (or add:<fact key>) both rows decide; "" for two candidates of one slot
    claims: tuple[Claim, ...]

    def __str__(self) -> str:
        parts = " ≠ ".join(str(c) for c in self.claims)
        if self.key:
            return f"{self.slot}: {self.key.removeprefix('add:')} {parts}; decide it again to settle it"
        ids = " and ".join(c.decision.candidate_id or "an added fact" for c in self.claims)
        return (f"{self.slot}: two values for one fact slot ({ids}): {parts}; reject or correct one of them "
                "(one decision settles a slot)")


# ---------------------------------------------------------------- reading the fact files a column at a time

#: The columns of a fact row the scan reads (``Fact.from_row`` reads these; the others do not matter here).
_COLUMNS = ("arxiv_id", "version", "benchmark", "model", "field", "value", "page", "decision", "candidate_id")
#: Columns without which ``Fact.from_row`` refuses every row of a file.
_REQUIRED = ("arxiv_id", "field", "value")


@dataclass
class _FactFile:
    """One fact file's rows as ``_read_rows`` gives them (blank rows left out, each cell unneutralised once), a
    column at a time; ``rows`` are ``_read_rows``'s own when the file was read that way."""

    path: Path
    cells: dict[str, pa.Array]
    n: int
    rows: list[tuple[int, dict[str, str]]] | None = None

    def row_dicts(self) -> list[tuple[int, dict[str, str]]]:
        """``_read_rows`` of the file: the rows with their lines (read again, for the rows a conflict names)."""
        if self.rows is None:
            self.rows = _read_rows(self.path, [])
        return self.rows


def _arrow_cells(data: bytes | pa.Buffer) -> tuple[dict[str, pa.Array], int] | None:
    """A CSV's cells (UTF-8 without a byte order mark, lines ending in ``\\n``) as ``_read_rows`` reads them,
    by Arrow's parser, only the columns the scan needs; None where the two parsers could differ (a blank first
    line, a line break inside a quoted cell, a row of another length, header names equal once stripped, a row
    blank in every column read: the csv module then reads the file). Tested against ``_read_rows`` on generated
    text."""
    import pyarrow as pa
    from pyarrow import csv as arrow_csv

    from flopmine import codes

    buffer = pa.py_buffer(data)
    if not buffer.size or buffer[0] in b"\r\n":
        return None
    options = {"convert_options": arrow_csv.ConvertOptions(
        default_column_type=pa.large_string(), null_values=[], strings_can_be_null=False,
        quoted_strings_can_be_null=False)}
    try:
        with arrow_csv.open_csv(pa.BufferReader(buffer), **options) as reader:
            header = reader.schema.names
        names = [str(n).strip() for n in header]
        if len(set(names)) != len(names):
            return None
        wanted = [raw for raw, name in zip(header, names, strict=True) if name in _COLUMNS]
        options["convert_options"].include_columns = wanted
        # (the header above from a first block only; the file as one block: ``codes.csv_read_options``)
        table = arrow_csv.read_csv(pa.BufferReader(buffer), read_options=codes.csv_read_options(buffer.size),
                                   **options)
    except (pa.ArrowInvalid, ValueError):
        return None
    if not wanted:
        return None  # no column the scan reads: the csv module counts the rows
    raw = [codes.arrow_text(table.column(i)) for i in range(len(wanted))]
    del table
    filled = ~codes.blank(raw[0])
    for column in raw[1:]:  # a row is blank when every cell is: look further only in rows blank so far
        if filled.all():
            break
        filled |= ~codes.blank(column, unsure=~filled)
    if not filled.all():
        return None  # blank in every column read: the csv module knows whether another cell fills the row
    cells = {name.strip(): codes.unneutralised(column) for name, column in zip(wanted, raw, strict=True)}
    return cells, len(raw[0])


#: A UTF-8 byte order mark (``utf-8-sig``: ``_read_rows`` reads past it).
_BOM = b"\xef\xbb\xbf"


def _valid_utf8(buffer: pa.Buffer) -> bool:
    """Whether the bytes are UTF-8 text (Arrow's check, without decoding them into a Python string)."""
    import numpy as np
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, buffer.size], dtype="int64"))
    try:
        pa.LargeStringArray.from_buffers(1, offsets, buffer).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _read_fact_file(path: Path, problems: list[str], data: bytes | None = None) -> _FactFile:
    """One fact file, by Arrow's parser where it reads the file as the csv module does, else by ``_read_rows``.

    The bytes go to Arrow as they are when they are UTF-8 without a carriage return (else decoded as
    ``_read_rows`` decodes them: its newline translation turns each ``\\r`` into ``\\n``)."""
    import pyarrow as pa

    if data is None:
        data = path.read_bytes()
    buffer = pa.py_buffer(data)
    if data.startswith(_BOM):
        buffer = buffer.slice(len(_BOM))
    read = None
    if b"\r" not in data and _valid_utf8(buffer):
        read = _arrow_cells(buffer)
    elif b"\r" in data:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = None
        if text is not None:
            read = _arrow_cells(text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8"))
    del data, buffer
    if read is not None:
        return _FactFile(path, read[0], read[1])
    rows = _read_rows(path, problems)
    names = [k for k in (rows[0][1] if rows else {}) if k in _COLUMNS]
    cells = {k: pa.array([r[k] for _, r in rows], type=pa.large_string()) for k in names}
    return _FactFile(path, cells, len(rows), rows)


#: Consecutive fact files are parsed as one text of up to this many bytes (``_read_fact_files``).
BATCH_BYTES = 16 << 20


def _plain(data: bytes) -> bool:
    """Whether every line of a file is one row, each row at line ``row + 2``: no quote (so no line break in a
    cell), no carriage return, no blank line, no byte order mark, the last line ended."""
    return (data.endswith(b"\n") and b'"' not in data and b"\r" not in data and b"\n\n" not in data
            and not data.startswith(_BOM))


def _read_fact_files(paths: list[Path], problems: list[str]) -> list[_FactFile]:
    """``_read_fact_file`` of each path. The annotations come one file per benchmark and arXiv month (hundreds at
    100k rows), and each parse costs about 1 ms whatever its size: consecutive plain files (``_plain``) with one
    header are parsed as one text and their columns sliced per file, the rows of each counted by its lines;
    where that count does not match the parse, each is read on its own."""
    import pyarrow as pa

    out: list[_FactFile] = []
    batch: list[tuple[Path, bytes]] = []

    def flush() -> None:
        if len(batch) > 1:
            head = batch[0][1][:batch[0][1].index(b"\n") + 1]
            joined = head + b"".join(data[len(head):] for _, data in batch)
            counts = [data.count(b"\n") - 1 for _, data in batch]
            read = _arrow_cells(joined) if _valid_utf8(pa.py_buffer(joined)) else None
            del joined
            if read is not None and read[1] == sum(counts):
                at = 0
                for (path, _), n in zip(batch, counts, strict=True):
                    out.append(_FactFile(path, {k: v.slice(at, n) for k, v in read[0].items()}, n))
                    at += n
                batch.clear()
                return
        out.extend(_read_fact_file(path, problems, data) for path, data in batch)
        batch.clear()

    size = 0
    for path in paths:
        data = path.read_bytes()
        if not _plain(data):
            flush()
            out.append(_read_fact_file(path, problems, data))
            continue
        if batch and (size + len(data) > BATCH_BYTES or data[:data.index(b"\n") + 1] != batch[0][1][
                :batch[0][1].index(b"\n") + 1]):
            flush()
            size = 0
        batch.append((path, data))
        size += len(data)
    flush()
    return out


# ---------------------------------------------------------------- the scan


@dataclass
class _Ledger:
    """The ledger's decisions by key, in the order of their first row."""

    claims: dict[str, list[Claim]]

    @property
    def add_papers(self) -> set[str]:
        """Papers with a decision on an added fact (keyed by its fact key: fact rows of these papers are hashed)."""
        return {claims[0].decision.arxiv_id for key, claims in self.claims.items() if key.startswith("add:")}


def _read_ledger(directory: Path, problems: list[str]) -> _Ledger:
    out: dict[str, list[Claim]] = {}
    for ledger in ledger_files(directory):
        where = ledger.relative_to(directory).as_posix()
        for line, row in _read_rows(ledger, problems):
            try:
                d = Decision.from_row(row)
            except (KeyError, ValueError):
                continue  # load_ledger reports malformed rows
            out.setdefault(d.key, []).append(Claim(d, f"{where}:{line}"))
    return _Ledger(out)


@dataclass
class _Rows:
    """Every fact row of every fact file (in file order, then row order) as arrays, parsed as ``Fact.from_row``
    parses it; ``valid`` is False where it refuses the row (the scan skips those: ``load_ledger`` reports them)."""

    files: list[_FactFile]
    file_of: np.ndarray  # index into files
    row_in_file: np.ndarray
    valid: np.ndarray
    key: np.ndarray  # decision key code; the ledger's keys are the codes below len(ledger.claims), in its order
    decides: np.ndarray
    cheap: np.ndarray  # equal codes → equal outcomes (unequal codes may still be equal outcomes)
    slot: np.ndarray  # slot code (shared with the ledger's slots: ``ledger_slot``)
    ledger_slot: dict[SlotKey, int]
    field_code: np.ndarray
    field_names: list[str]
    numeric: np.ndarray
    number: np.ndarray
    value_names: pa.Array  # the distinct value cells, and each row's code into them
    value_code: np.ndarray

    def outcome(self, i: int) -> str:
        """Row ``i``'s outcome (``Claim.outcome``)."""
        if not self.decides[i]:
            return "no"
        value = float(self.number[i]) if self.numeric[i] else self.value_names[int(self.value_code[i])].as_py()
        return _outcome(self.field_names[self.field_code[i]], value)

    def _row(self, i: int) -> tuple[_FactFile, int, dict[str, str]]:
        f = self.files[int(self.file_of[i])]
        line, row = f.row_dicts()[int(self.row_in_file[i])]
        return f, line, row

    def claim(self, i: int) -> Claim:
        """The claim of row ``i``: its ``Decision`` as the full parse makes it, and where it is written."""
        f, line, row = self._row(i)
        return Claim(Decision.from_fact(Fact.from_row(row)), f"{f.path.name}:{line}")

    def key_text(self, i: int) -> str:
        """Row ``i``'s decision key as text (``annotations.fact_row_key``)."""
        return fact_row_key(self._row(i)[2])


def _per_distinct(cells: pa.Array, fn: object, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """``fn`` of each cell computed once per distinct cell: (values, ok) where ok is False where ``fn`` raised
    ``ValueError``."""
    import numpy as np

    from flopmine import codes

    names, code = codes.encode(cells)
    values, ok = np.zeros(len(names), dtype=dtype), np.ones(len(names), bool)
    for i, text in enumerate(names.to_pylist()):
        try:
            values[i] = fn(text)  # type: ignore[operator]
        except ValueError:
            ok[i] = False
    return values[code], ok[code]


#: Cells that Arrow turns into the float Python's ``float()`` gives (both round correctly); others go to Python.
_PLAIN_NUMBER = r"^-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$"


def _floats(cells: pa.Array, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``float(cell)`` of the wanted cells: (values, ok); ok is False where ``float`` raises."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    values, ok = np.full(len(cells), np.nan), np.ones(len(cells), bool)
    plain = pc.match_substring_regex(cells, _PLAIN_NUMBER).to_numpy(zero_copy_only=False) & wanted
    if plain.any():
        values[plain] = pc.cast(cells.filter(pa.array(plain)), pa.float64()).to_numpy(zero_copy_only=False)
    other = wanted & ~plain
    if other.any():
        at = np.flatnonzero(other)
        values[at], ok[at] = _per_distinct(cells.take(pa.array(at)), float, "float64")
    return values, ok


def _int_or_zero(text: str) -> int:
    return int(text or 0)


def _fact_rows(files: list[_FactFile], ledger: _Ledger) -> _Rows:
    """The arrays of ``_Rows``: each row parsed as ``Fact.from_row`` and ``Decision.from_fact`` parse it, keyed as
    ``annotations.fact_row_key`` keys it, and slotted as ``slot_of`` slots it."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from flopmine import codes

    _NO_TEXT = pa.scalar("", pa.large_string())
    sizes = [f.n for f in files]
    n = sum(sizes)
    empty = pa.array([""] * max(sizes, default=0), type=pa.large_string())

    def column(name: str) -> pa.Array:  # a missing column reads as "" (row.get(name) or ""); taken once
        parts = [f.cells.pop(name, empty.slice(0, f.n)) for f in files]
        return codes.arrow_text(pa.chunked_array(parts, type=pa.large_string())) if parts else empty

    file_of = np.repeat(np.arange(len(files)), sizes)
    row_in_file = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    valid = np.repeat([all(c in f.cells for c in _REQUIRED) for f in files], sizes).astype(bool)
    # Fact.from_row unneutralises every cell _read_rows unneutralised already: a second time changes nothing
    # (what the first leaves starting with a quote is not followed by a formula character)
    aid, field, value = column("arxiv_id"), column("field"), column("value")
    benchmark, model, candidate = column("benchmark"), column("model"), column("candidate_id")
    decision = column("decision")
    decision = pc.if_else(pc.equal(decision, _NO_TEXT), pa.scalar("accept", pa.large_string()), decision)

    field_names, fld = codes.encode(field)
    del field  # (each column goes as soon as it is coded: at a million rows each is 30-100 MB)
    field_list = field_names.to_pylist()
    known = np.array([x in FIELDS for x in field_list], bool)[fld]
    numeric = np.array([x in FIELDS and FIELDS[x].numeric for x in field_list], bool)[fld]
    metric = np.array([x in FIELDS and FIELDS[x].kind == "metric" for x in field_list], bool)[fld]
    valid &= known
    number, number_ok = _floats(value, numeric & valid)
    valid &= number_ok
    version, version_ok = _per_distinct(column("version"), _int_or_zero, "int64")
    _page, page_ok = _per_distinct(column("page"), _int_or_zero, "int64")
    valid &= version_ok & page_ok
    decides = pc.is_in(decision, pa.array(FACT_DECISIONS, type=pa.large_string())).to_numpy(zero_copy_only=False)
    del decision

    aid_names, aid_code = codes.encode(aid)
    _distinct_benchmarks, bench_code = codes.encode(benchmark)
    model_names, model_code = codes.encode(model)
    name_names, name_of_model = codes.encode(codes.normalised_models(model_names))
    name_code = name_of_model[model_code]
    no_name = codes.code_of(name_names, "")
    _distinct_values, value_code = codes.encode(value)

    # the decision key: the candidate id (stripped), else add:<fact key>
    cid = codes.stripped(candidate)
    added = pc.equal(cid, "").to_numpy(zero_copy_only=False)
    # An added fact's key is a digest of (paper, benchmark, model name, field, value as normalise_value writes
    # it); two added rows have one key when those are equal, so the digest is computed only where a ledger key
    # may name it (a paper with an added-fact decision in the ledger; any id written like a digest key).
    hashed = added & valid
    if not pc.any(pc.match_substring(candidate, "add:")).as_py():
        papers = ledger.add_papers
        hashed &= pc.is_in(aid, pa.array(sorted(papers), type=pa.large_string())).to_numpy(zero_copy_only=False) \
            if papers else False

    def typed(i: int) -> float | str:
        return float(number[i]) if numeric[i] else _distinct_values[int(value_code[i])].as_py()

    key_text = cid
    if hashed.any():
        at = np.flatnonzero(hashed)
        digests = [f"add:{fact_key(aid[i].as_py(), benchmark[i].as_py(), model[i].as_py(), field_list[fld[i]], typed(i))}"
                   for i in at.tolist()]
        key_text = pc.replace_with_mask(cid, pa.array(hashed), pa.array(digests, type=pa.large_string()))
    ledger_keys = pa.array(list(ledger.claims), type=pa.large_string())
    text_keys = ~added | hashed
    key_names, key_of_text = codes.encode(pa.concat_arrays([ledger_keys, key_text.filter(pa.array(text_keys))]))
    n_text = len(key_names)
    key = np.full(n, -1, dtype="int64")
    key[text_keys] = key_of_text[len(ledger_keys):]
    plain_add = added & ~hashed & valid
    if plain_add.any():
        at = np.flatnonzero(plain_add)
        prefix = codes.tuple_codes(aid_code[at], bench_code[at], name_code[at], fld[at])
        # rows sharing the rest of a key need the value as normalise_value writes it ("76.1" and "76.10" are one)
        shared = np.bincount(prefix)[prefix] > 1
        vclass = np.zeros(len(at), dtype="int64")
        if shared.any():
            normal = [normalise_value(typed(i)) for i in at[shared].tolist()]
            vclass[shared] = codes.encode(pa.array(normal, type=pa.large_string()))[1] + 1
        key[at] = n_text + codes.tuple_codes(prefix, vclass)
    del aid, benchmark, model, value, key_names, key_of_text

    # the slot: (paper, version, benchmark of a metric, slot field, model name, alone) as slot_of makes it;
    # alone: "" for a named model, else the candidate id as written, else the added fact's key
    slot_field_names, slot_field_of = codes.encode(pa.array([slot_field(x) for x in field_list],
                                                            type=pa.large_string()))
    sfield = slot_field_of[fld] if len(field_list) else np.zeros(n, dtype="int64")
    named = name_code != no_name
    by_candidate = ~named & pc.not_equal(candidate, "").to_numpy(zero_copy_only=False)
    slot_keys = list(dict.fromkeys(slot_of(claims[-1].decision) for claims in ledger.claims.values()))
    # the ledger's slots take the rows' codes of their texts (new codes for texts no row has)
    lk = len(slot_keys)
    bench_names = pa.concat_arrays([_distinct_benchmarks, pa.array([""], pa.large_string())])
    no_bench = codes.code_of(bench_names, "")  # the first "": the rows' own when a row has no benchmark
    textual = ~named & (by_candidate | hashed)  # a model-less slot named by text: a candidate id or a digest key
    alone_names, alone_of = codes.encode(pa.concat_arrays([
        pa.array([s.alone for s in slot_keys], pa.large_string()),
        pc.if_else(pa.array(by_candidate), candidate, key_text).filter(pa.array(textual))]))
    alone = np.where(named, -1, np.where(textual, 0, -2 - key))  # an added fact's key as a number (no digest)
    alone[textual] = alone_of[lk:]
    ledger_alone = np.where(np.array([s.alone == "" for s in slot_keys], bool), -1, alone_of[:lk])
    del alone_names
    slot_all = codes.tuple_codes(
        np.r_[_codes_in([s.arxiv_id for s in slot_keys], aid_names), aid_code],
        np.r_[np.array([s.version for s in slot_keys], dtype="int64"), version],
        np.r_[_codes_in([s.benchmark for s in slot_keys], bench_names), np.where(metric, bench_code, no_bench)],
        np.r_[_codes_in([s.field for s in slot_keys], slot_field_names), sfield],
        np.r_[_codes_in([s.model for s in slot_keys], name_names), name_code],
        np.r_[ledger_alone, alone])
    ledger_slot = dict(zip(slot_keys, slot_all[:lk].tolist(), strict=True))
    del candidate, cid, key_text, alone
    cheap = codes.tuple_codes(decides, np.where(decides, fld, -1), np.where(decides, value_code, -1))
    return _Rows(files=files, file_of=file_of, row_in_file=row_in_file, valid=valid, key=key, decides=decides,
                 cheap=cheap, slot=slot_all[lk:], ledger_slot=ledger_slot, field_code=fld, field_names=field_list,
                 numeric=numeric, number=number, value_names=_distinct_values, value_code=value_code)


def _codes_in(texts: list[str], names: pa.Array) -> np.ndarray:
    """Each text's code among ``names`` (its index), or a new code above them, one per distinct text absent."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.index_in(pa.array(texts, pa.large_string()), value_set=names).to_numpy(zero_copy_only=False)
    missing = np.isnan(found) if found.dtype.kind == "f" else np.zeros(len(texts), bool)
    out = np.where(missing, -1, np.nan_to_num(found, nan=-1)).astype("int64")
    if missing.any():
        new = {t: len(names) + i for i, t in enumerate(dict.fromkeys(t for t, m in zip(texts, missing, strict=True) if m))}
        out[missing] = [new[t] for t, m in zip(texts, missing, strict=True) if m]
    return out


def _first_per_outcome(members: list[int], cheap: list[object], outcome: Callable[[int], str]) -> list[int]:
    """The first of ``members`` with each distinct outcome, in order; outcomes are computed (``outcome(m)``)
    only when the members' cheap codes differ."""
    if len(set(cheap)) == 1:
        return members[:1]
    firsts: dict[str, int] = {}
    for m in members:
        firsts.setdefault(outcome(m), m)
    return list(firsts.values())


def find_conflicts(directory: Path) -> list[DecisionConflict]:
    """Each candidate with disagreeing decisions, then each fact slot with two values, in slot order.

    Raises ``ReviewError`` for an annotation file that cannot be read.
    """
    if not directory.is_dir():
        return []
    from flopmine import codes

    try:
        return _find_conflicts(directory)
    finally:
        codes.release_memory()  # the scan's columns are freed by now


def _find_conflicts(directory: Path) -> list[DecisionConflict]:
    import numpy as np

    from flopmine import codes

    problems: list[str] = []
    ledger = _read_ledger(directory, problems)
    files = _read_fact_files(fact_files(directory), problems)
    if problems:
        raise ReviewError(f"the annotations in {directory} are malformed; fix these rows first", problems)
    rows = _fact_rows(files, ledger)
    for f in files:
        f.cells = {}  # the rows a conflict names are read again (``_FactFile.row_dicts``)
    out: list[DecisionConflict] = []
    n_ledger = len(ledger.claims)

    # the ledger's keys, with the fact rows that contradict them
    valid = np.flatnonzero(rows.valid)
    in_ledger = valid[rows.key[valid] < n_ledger]
    contradicting: dict[int, list[int]] = {}
    for i in in_ledger[rows.decides[in_ledger]].tolist():
        contradicting.setdefault(int(rows.key[i]), []).append(i)
    settled_claims: list[Claim] = []  # the settled decision of each ledger key, in the ledger's order
    for code, (key, claims) in enumerate(ledger.claims.items()):
        outcomes: dict[str, Claim | int] = {}
        for c in claims:
            outcomes.setdefault(c.outcome, c)
        for i in contradicting.get(code, []):  # a fact row the ledger contradicts: its outcome is new
            outcomes.setdefault(rows.outcome(i), i)
        if len(outcomes) > 1:
            out.append(DecisionConflict(slot_of(claims[0].decision), key, tuple(
                c if isinstance(c, Claim) else rows.claim(c) for c in outcomes.values())))
        elif claims[-1].decision.decision in FACT_DECISIONS:
            settled_claims.append(claims[-1])

    # the keys only fact rows state, numbered in the order of their first row
    mine = valid[rows.key[valid] >= n_ledger]
    group = codes.renumber(rows.key[mine] - n_ledger, int(rows.key[mine].max(initial=n_ledger)) - n_ledger + 1)
    last = np.full(int(group.max(initial=-1)) + 1, -1, dtype="int64")
    np.maximum.at(last, group, mine)  # the last row of each key (rows are in reading order)
    agreeing = np.ones(len(last), bool)
    several = np.bincount(group, minlength=len(last))[group] > 1
    if several.any():  # keys of several rows: a conflict where their outcomes differ
        at, g = mine[several], group[several]
        order = np.argsort(g, kind="stable")
        at, g = at[order], g[order]
        cheap = rows.cheap[at]
        starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        ends = np.r_[starts[1:], len(g)]
        mixed = np.flatnonzero(np.maximum.reduceat(cheap, starts) != np.minimum.reduceat(cheap, starts))
        for s in mixed.tolist():
            members = at[starts[s]:ends[s]].tolist()
            firsts = _first_per_outcome(members, cheap[starts[s]:ends[s]].tolist(), rows.outcome)
            if len(firsts) > 1:
                agreeing[g[starts[s]]] = False
                out.append(DecisionConflict(slot_of(rows.claim(members[0]).decision), rows.key_text(members[0]),
                                            tuple(rows.claim(i) for i in firsts)))
    settled_rows = last[agreeing & rows.decides[last]]

    # slots with two values, among the settled decisions in the order of their keys (the ledger's first)
    n_claims = len(settled_claims)
    slot = np.r_[np.array([rows.ledger_slot[slot_of(c.decision)] for c in settled_claims], dtype="int64"),
                 rows.slot[settled_rows]]
    group = codes.renumber(slot, int(slot.max(initial=0)) + 1)
    shared = np.bincount(group)[group] > 1
    if shared.any():
        def claim(m: int) -> Claim:
            return settled_claims[m] if m < n_claims else rows.claim(int(settled_rows[m - n_claims]))

        def outcome(m: int) -> str:
            return settled_claims[m].outcome if m < n_claims else rows.outcome(int(settled_rows[m - n_claims]))

        def cheap_of(m: int) -> object:
            return (0, settled_claims[m].outcome) if m < n_claims else (1, int(rows.cheap[settled_rows[m - n_claims]]))

        members_of: dict[int, list[int]] = {}
        for m in np.flatnonzero(shared).tolist():
            members_of.setdefault(int(group[m]), []).append(m)
        for members in members_of.values():
            firsts = _first_per_outcome(members, [cheap_of(m) for m in members], outcome)
            if len(firsts) > 1:
                claims = [claim(m) for m in firsts]
                out.append(DecisionConflict(slot_of(claims[0].decision), "", tuple(claims)))
    out.sort(key=lambda c: (c.slot, c.key))
    return out


def conflict_lines(directory: Path) -> list[str]:
    """``find_conflicts`` as one line each (what ``flopmine build`` prints)."""
    return [f"conflicting decisions: {c}" for c in find_conflicts(directory)]
