"""Reviewed facts (``annotations/*.csv``) → one tidy dataset (``flopmine build``).

One row per paper × model × benchmark that has at least one reviewed metric fact. Compute facts
attach to those rows by the **join rule** (also in docs/analysis.md):

1. a compute fact of the same paper whose normalised model name equals the row's model → ``model``;
2. else a paper-level compute fact (empty model) of the same paper, only to the paper's own model:
   its single model, else its single model marked "(ours)" → ``paper``;
3. else empty. A paper-level fact with several candidate models (own models and quoted baselines)
   is attached to none and reported as ambiguous in the warnings.

A compute fact that names a benchmark joins rows of that benchmark only (a training time of a CIFAR-10
run never reaches the model's ImageNet row); one without a benchmark joins rows of any benchmark, after
the fact of the row's own benchmark.

Every reviewed fact that reaches no row is listed with its reason (``UNJOINED_REASONS``) in
``BuildResult.unjoined`` and ``<home>/dataset/unjoined.csv``; nothing is dropped silently.

Rows that look implausible (training time over two years, FLOPs or params out of range or orders of
magnitude away from the model's other facts or its year, error outside (0, 1)) are flagged
``implausible:<field>`` with a reason in ``implausible``; analyze leaves them out of the fits unless
a reviewer forced the value (``forced:<field>``).

When one key (paper, benchmark, model, field) has several reviewed values, the newest paper version
wins, then the latest decision; the row is flagged ``conflict:<field>``.

``build_dataset`` is pure (facts in, ``BuildResult`` out); ``read_annotations`` and
``write_dataset`` are the I/O edges.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import multiprocessing
import os
import pickle
import re
import signal
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import overload

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flopmine import codes
from flopmine.benchmarks import Benchmark, load_registry
from flopmine.config import (
    Home,
    atomic_path,
    neutralise_cell,
    unneutralise_cell,
    write_csv_atomic,
    write_text_atomic,
)
from flopmine.errors import AnalysisError
from flopmine.hardware import DEFAULT_HARDWARE_BASIS, HardwareFigure, hardware_figure
from flopmine.ids import InvalidIdError, parse_id
from flopmine.types import (
    ANNOTATION_COLUMNS,
    COMPUTE_FIELDS,
    FIELDS,
    FORCED_FLAG,
    METRIC_FIELDS,
    Fact,
    fact_key,
)

from . import dictionary

log = logging.getLogger(__name__)

# One multiply-add (multiply-accumulate) is two floating-point operations: a multiply and an add.
# This is the convention of the FLOP counts in most vision papers (e.g. ResNet's "3.6 billion FLOPs
# (multiply-adds)" is reported by others as 7.2 GFLOPs) and the one the seed paper's Figure 7 uses
# when it pools "gigaflops or multiply-adds".
MULT_ADD_FLOPS = 2.0
SECONDS_PER_HOUR = 3600.0
GIGA = 1e9
#: dataset.csv floats keep 12 significant digits, so 1 − 90.64/100 is written 0.0936, not 0.09360000000000002.
CSV_SIGNIFICANT_DIGITS = 12
#: dataset.csv is formatted and written this many rows at a time (``write_dataset``).
CSV_BLOCK_ROWS = 100_000
KEPT_DECISIONS = ("accept", "correct", "add")
PAPER_FACTS_FILE = "paper_facts.csv"
MIN_CONVERSION_POINTS = 3
#: Whether a frame a function changes must be copied whole first. With pandas' copy-on-write (always on from
#: pandas 3) a shallow copy is enough: the first change to a column copies that column only. Each whole copy
#: of a million-row dataset was about 0.5 GB of build's and analyze's peak memory.
DEEP_COPIES = int(pd.__version__.split(".")[0]) < 3



def _plausible(field_name: str) -> tuple[float, float]:
    lo, hi = FIELDS[field_name].plausible_range
    assert lo is not None and hi is not None, field_name
    return lo, hi


# Plausibility (build flags, analyze leaves flagged rows out unless forced): the same ranges review import
# checks (``FieldSpec.plausible``): FLOPs per pass 1e4–1e15, params 1e3–1e13, training time up to 2 years,
# devices up to 1e5.
MAX_TRAINING_HOURS = _plausible("training_time_hours")[1]
FLOPS_RANGE = _plausible("flops")
PARAMS_RANGE = _plausible("params")
MAX_HARDWARE_COUNT = _plausible("hardware_count")[1]
#: GFLOPs per pass this many orders of magnitude away from the conversion line of its params is flagged.
MAX_CONVERSION_RESIDUAL = 2.0
#: FLOPs or params this many orders of magnitude away from the median of the same year are flagged ...
MAX_YEAR_DEVIATION = 3.0
#: ... when that year has at least this many values.
MIN_YEAR_POINTS = 5
#: A fit's overflow ceiling (log10): a compute value (GFLOP per pass, GFLOP of hardware burden) or a
#: parameter count beyond 10^40 is left out of every fit, even when forced, and listed as a problem.
#: Every computer on Earth (well under 10^22 FLOP/s) running for the age of the universe (4e17 s)
#: does under 10^40 FLOP; such a value is a typo or an overflowed product, and one point at 10^299
#: alone sets a log-log slope (a forced 1.7e308 FLOPs made cifar10's k nan, issue 19 item 20).
MAX_FIT_LOG10 = 40.0
#: Values of an annotations ``force`` column that mean "keep this value although it looks implausible".
FORCE_VALUES = frozenset({"force", "forced", "yes", "true", "1", "x"})
#: How many names a counted warning lists.
MAX_NAMED = 10
#: Why a reviewed fact reached no dataset row (column ``reason`` of unjoined.csv).
NO_BENCHMARK = "no benchmark"
NO_ROW_FOR_MODEL = "no metric row for this model"
NO_ROW_IN_PAPER = "no metric row in this paper"
AMBIGUOUS_MODEL = "ambiguous model"
MODEL_FACT_WINS = "the model's own fact wins"
#: Each reason is explained in unjoined.csv's dictionary (``dictionary.UNJOINED``, docs/data-dictionary.md).
UNJOINED_REASONS = (NO_BENCHMARK, NO_ROW_FOR_MODEL, NO_ROW_IN_PAPER, AMBIGUOUS_MODEL, MODEL_FACT_WINS)
UNJOINED_FILE = "unjoined.csv"
UNJOINED_COLUMNS = [c.name for c in dictionary.UNJOINED]
_OURS = re.compile(r"\((?:ours|our model|proposed)\)|\bours\b", re.IGNORECASE)

# An error metric and the score metric it is the complement of (error = 1 - score / 100).
ERROR_COMPLEMENTS: dict[str, str] = {"top1_err": "top1_acc", "top5_err": "top5_acc", "err": "acc"}

GflopsLookup = Callable[[str], "float | HardwareFigure | None"]


@dataclass(frozen=True)
class Conversion:
    """The Figure 7 conversion regression ``log10(gflops_per_pass) = intercept + slope·log10(params)``."""

    intercept: float
    slope: float
    se_intercept: float
    se_slope: float
    r2: float
    n: int
    params_min: float = math.nan
    params_max: float = math.nan

    def predict_gflops(self, params: np.ndarray | float) -> np.ndarray | float:
        """GFLOPs per pass predicted for a parameter count.

        >>> round(float(Conversion(-9.0, 1.0, 0, 0, 1, 3).predict_gflops(2.5e9)), 6)
        2.5
        """
        return 10 ** (self.intercept + self.slope * np.log10(params))


@dataclass(frozen=True)
class BuildResult:
    """The dataset, the conversion regression used for imputation, and every warning."""

    frame: pd.DataFrame
    conversion: Conversion | None
    warnings: tuple[str, ...] = ()
    n_facts: int = 0
    #: Reviewed facts that reached no row, with why (``UNJOINED_COLUMNS``); empty when every fact joined.
    unjoined: pd.DataFrame | None = None

    @property
    def n_unjoined(self) -> int:
        return 0 if self.unjoined is None else len(self.unjoined)


# ---------------------------------------------------------------- reading

#: Columns of a ``FactTable`` frame: one reviewed fact per row. ``number`` holds a numeric field's value
#: (NaN for text fields), ``text`` the value as written; ``forced`` is True when the reviewer kept it.
FACT_COLUMNS = ("arxiv_id", "version", "field", "number", "text", "benchmark", "model", "unit", "page", "decision",
                "candidate_id", "reviewer", "decided_at", "note", "forced")


class FactTable(Sequence[Fact]):
    """Reviewed facts as one DataFrame (columns ``FACT_COLUMNS``), also readable as a sequence of ``Fact``.

    ``read_annotations`` returns one, so ``build_dataset`` can join whole columns at once; callers
    that want ``Fact`` objects iterate or index it and get them built on demand.

    >>> table = FactTable.from_facts([Fact("1512.03385", 1, "top1_err", 19.38, benchmark="imagenet", model="ResNet")])
    >>> len(table), table[0].value, table.frame.loc[0, "text"]
    (1, 19.38, '19.38')
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame.reset_index(drop=True)

    @classmethod
    def from_facts(cls, facts: Iterable[Fact]) -> FactTable:
        """The table of any ``Fact`` objects (``Fact.extra['force'] == 'force'`` or a ``forced`` flag → forced)."""
        if isinstance(facts, FactTable):
            return facts
        rows = [(f.arxiv_id, f.version, f.field, f.value, f.benchmark, f.model, f.unit, f.page, f.decision,
                 f.candidate_id, f.reviewer, f.decided_at, f.note,
                 f.extra.get("force") == "force" or FORCED_FLAG in f.flags.split(",")) for f in facts]
        cols = list(zip(*rows, strict=True)) if rows else [()] * 14
        values = pd.Series(cols[3], dtype=object)
        numeric = pd.Series(cols[2], dtype=object).map(lambda f: FIELDS[f].numeric if f in FIELDS else False)
        frame = pd.DataFrame({
            "arxiv_id": pd.Series(cols[0], dtype=object).astype(str), "version": pd.Series(cols[1], dtype="int64"),
            "field": pd.Series(cols[2], dtype=object).astype(str),
            "number": pd.to_numeric(values.where(numeric.astype(bool), np.nan), errors="coerce").astype("float64"),
            "text": values.map(lambda v: v if isinstance(v, str) else repr(v)).astype(object),
            **{name: pd.Series(cols[i], dtype=object).map(lambda v: "" if v is None else str(v))
               for i, name in ((4, "benchmark"), (5, "model"), (6, "unit"), (8, "decision"), (9, "candidate_id"),
                               (10, "reviewer"), (11, "decided_at"), (12, "note"))},
            "page": pd.Series(cols[7], dtype="int64"), "forced": pd.Series(cols[13], dtype=bool),
        }, columns=list(FACT_COLUMNS))
        return cls(frame)

    def __len__(self) -> int:
        return len(self.frame)

    def release(self) -> pd.DataFrame:
        """The frame, handed over: this table is left empty, so the frame lives only as long as its new owner
        keeps it (``build_dataset(..., release_facts=True)``)."""
        frame, self.frame = self.frame, _empty_facts()
        return frame

    @overload
    def __getitem__(self, index: int) -> Fact: ...

    @overload
    def __getitem__(self, index: slice) -> list[Fact]: ...

    def __getitem__(self, index: int | slice) -> Fact | list[Fact]:
        if isinstance(index, slice):
            return list(FactTable(self.frame.iloc[index]))
        return next(iter(FactTable(self.frame.iloc[[index]])))

    def __iter__(self) -> Iterator[Fact]:
        f = self.frame
        numeric = f["field"].map(lambda n: FIELDS[n].numeric if n in FIELDS else False).astype(bool).tolist()
        # .tolist() first: iterating pandas' Arrow-backed strings one by one is ~10× slower
        columns = [f[c].tolist() for c in FACT_COLUMNS]
        for (aid, ver, fld, num, txt, bench, model, unit, pg, dec, cid, rev, when, note, force), is_num in zip(
                zip(*columns, strict=True), numeric, strict=True):
            fact = Fact(aid, int(ver), fld, float(num) if is_num else txt, benchmark=bench, model=model, unit=unit,
                        page=int(pg), decision=dec, candidate_id=cid, reviewer=rev, decided_at=when, note=note)
            if force:
                fact.extra["force"] = "force"
            yield fact



def read_annotations(directory: Path | str) -> tuple[FactTable, list[str]]:
    """Read every ``*.csv`` in the annotations directory.

    Returns the facts whose decision is accept/correct/add (a ``FactTable``: one DataFrame, also a
    sequence of ``Fact``), and one warning per unreadable row (``file:line: field: message``); a bad
    row never stops the others. A missing or empty directory raises ``AnalysisError``.
    """
    d = Path(directory)
    if not d.is_dir():
        raise AnalysisError(f"annotations directory {d} does not exist; review some candidates first "
                            "(flopmine review) or point --annotations at it")
    files = sorted(p for p in d.glob("*.csv") if not p.name.startswith("."))
    if not files:
        raise AnalysisError(f"annotations directory {d} has no .csv files; nothing to build")
    frames: list[pd.DataFrame] = []
    warnings: list[str] = []
    run: list[tuple[Path, str]] = []  # consecutive files with one header: parsed as one text
    size = 0
    for path in [*files, None]:
        text = ""
        if path is not None:
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as e:
                warnings.append(f"{path}: cannot read: {e}")
                continue
        if run and (path is None or size > RUN_CHARS or _header(text) != _header(run[0][1])):
            facts_here, warns = _parse_annotation_run(run)
            frames.extend(facts_here)
            warnings.extend(warns)
            run, size = [], 0
        if path is not None:
            run.append((path, text))
            size += len(text)
    facts = FactTable(pd.concat(frames, ignore_index=True) if frames else _empty_facts())
    del frames
    codes.release_memory()  # the files' text and parsed columns
    if not len(facts):
        raise AnalysisError(f"annotations directory {d}: no accepted, corrected or added facts in "
                            f"{len(files)} file(s)" + (f"; first problem: {warnings[0]}" if warnings else ""))
    return facts, warnings


# Annotation files come one per benchmark and arXiv month (hundreds at 100k rows): consecutive files with one
# header are parsed as one text of up to this many characters, since each parse costs about 5 ms whatever its size.
RUN_CHARS = 16 << 20
_MONTH_SUFFIX = re.compile(r"-[0-9]{4}$")  # ``imagenet-2007.csv``: the review's file of one arXiv month


def _file_benchmark(path: Path) -> str:
    """The benchmark of a fact file's name, for its metric rows without one: ``imagenet-2007.csv`` and
    ``imagenet.csv`` → ``imagenet``; ``paper_facts(-2007).csv`` → ``""``."""
    stem = _MONTH_SUFFIX.sub("", path.stem)
    return "" if f"{stem}.csv" == PAPER_FACTS_FILE else stem


def _header(text: str) -> str:
    end = text.find("\n")
    return text if end < 0 else text[:end]


def _parse_annotation_run(run: list[tuple[Path, str]]) -> tuple[list[pd.DataFrame], list[str]]:
    """Facts and warnings of consecutive fact files with one header: their rows parsed as one text when that
    is exactly what parsing each file gives (no row warns, no metric row lacks its benchmark, so neither a
    row's file nor its line is needed); else file by file."""
    head = _header(run[0][1])
    if len(run) > 1 and '"' not in head:
        bodies = [text[len(head) + 1:] for _, text in run]
        joined = "\n".join([head, *(b if not b or b.endswith("\n") else b + "\n" for b in bodies)])
        del bodies
        facts, warns = _parse_annotation_csv(joined, run[0][0], default_benchmark="")
        del joined
        metric = [name for name, spec in FIELDS.items() if spec.kind == "metric"]
        if not warns and not ((facts["benchmark"] == "") & facts["field"].isin(metric)).any():
            return [facts], []
    frames, warnings = [], []
    for path, text in run:
        facts_here, warns = _parse_annotation_csv(text, path)
        frames.append(facts_here)
        warnings.extend(warns)
    return frames, warnings


def _read_text_csv(text: str) -> pd.DataFrame:
    """Every cell as text. pyarrow's parser (about four times faster) when it reads the file, called directly
    (what ``pd.read_csv(..., dtype=str, keep_default_na=False, engine="pyarrow")`` does, without its
    overhead) unless the header has an empty or repeated name, which pandas renames; the C parser, as
    before, for anything pyarrow refuses (e.g. a newline inside a quoted cell) and for its errors."""
    from pyarrow import csv as arrow_csv

    data = text.encode("utf-8")
    try:
        table = arrow_csv.read_csv(io.BytesIO(data), read_options=codes.csv_read_options(len(data)),
                                   convert_options=arrow_csv.ConvertOptions(
            default_column_type=pa.large_string(), null_values=[], strings_can_be_null=False,
            quoted_strings_can_be_null=False))
        names = table.column_names
        if all(names) and len(set(names)) == len(names):
            return table.to_pandas()
        return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, engine="pyarrow")
    except (ValueError, pd.errors.ParserError):
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=False)


def _to_number(text: pd.Series) -> pd.Series:
    """``pd.to_numeric(text, errors="coerce")`` computed once per distinct cell (versions, pages: a handful)."""
    return pd.Series(_per_value(text, lambda v: pd.to_numeric(v, errors="coerce"), "float64"), index=text.index)


def _empty_facts() -> pd.DataFrame:
    return FactTable.from_facts([]).frame


def _parse_annotation_csv(text: str, path: Path, default_benchmark: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Facts (``FACT_COLUMNS``) and ``file:line: column: message`` warnings from one annotations CSV, vectorised.
    A metric row without a benchmark takes ``default_benchmark`` (None: the file name's, ``_file_benchmark``)."""
    try:
        raw = _read_text_csv(text)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        return _empty_facts(), [f"{path}:1: cannot parse as CSV: {e}"]
    header = [str(h) for h in raw.columns]
    missing = [c for c in ("arxiv_id", "field", "value") if c not in header]
    if missing:
        return _empty_facts(), [f"{path}:1: missing column(s) {', '.join(missing)} (expected {', '.join(ANNOTATION_COLUMNS)})"]
    if default_benchmark is None:
        default_benchmark = _file_benchmark(path)
    n = len(raw)
    col = {c: (_stripped(raw[c]) if c in raw.columns else pd.Series("", index=raw.index))
           for c in (*ANNOTATION_COLUMNS, "force") if c != "fact_key"}  # a fact's key is not read: build derives it
    for c in ("model", "value", "note", "reviewer"):  # annotation files store formula-like text neutralised
        col[c] = _unneutralise(col[c])
    decision = col["decision"].where(col["decision"] != "", "accept")
    line = pd.Series(np.arange(n) + 2, index=raw.index)
    keep = decision.isin(KEPT_DECISIONS)
    warnings: dict[int, str] = {}

    def bad(mask: pd.Series, message: Callable[[int], str]) -> None:
        for i in raw.index[mask & keep]:
            warnings[int(line[i])] = message(i)
        keep.loc[mask] = False

    fld = col["field"]
    bad(~fld.isin(list(FIELDS)), lambda i: f"{path}:{line[i]}: field: unknown field {fld[i]!r}")
    bad(col["arxiv_id"] == "", lambda i: f"{path}:{line[i]}: arxiv_id: empty")
    value_text = col["value"]
    bad(value_text == "", lambda i: f"{path}:{line[i]}: value: empty")
    field_codes, field_names = pd.factorize(fld, use_na_sentinel=False)  # once for both: fields repeat
    field_list = field_names.tolist()
    kind = pd.Series(np.array([FIELDS[x].kind if x in FIELDS else "" for x in field_list] or [""],
                              dtype=object)[field_codes], index=raw.index)
    numeric = pd.Series(np.array([FIELDS[x].numeric if x in FIELDS else False for x in field_list] or [False],
                                 dtype=bool)[field_codes], index=raw.index)
    number = pd.to_numeric(value_text.where(numeric, ""), errors="coerce")
    bad(numeric & number.isna() & (value_text != ""), lambda i: f"{path}:{line[i]}: value: {value_text[i]!r} is not "
        f"valid for {fld[i]} (not a number)")
    bad(numeric & number.notna() & ~np.isfinite(number.fillna(0.0)),
        lambda i: f"{path}:{line[i]}: value: {value_text[i]!r} is not a finite number")
    version = _to_number(col["version"].where(col["version"] != "", "0"))
    bad(version.isna() | (version != version.round()), lambda i: f"{path}:{line[i]}: version: {col['version'][i]!r} "
        "is not a whole number")
    page = _to_number(col["page"].where(col["page"] != "", "0"))
    bad(page.isna() | (page != page.round()), lambda i: f"{path}:{line[i]}: page: {col['page'][i]!r} is not a whole "
        "number")
    benchmark = col["benchmark"].where(~((kind == "metric") & (col["benchmark"] == "")), default_benchmark)
    # "forced": review import's record that the reviewer kept an implausible value; a hand-made `force` column too
    forced = col["force"].str.lower().isin(FORCE_VALUES) | col["flags"].str.contains(
        rf"(?:^|,){FORCED_FLAG}(?:,|$)", regex=True)
    idx = raw.index[keep]
    every = bool(keep.all())

    def kept(column: pd.Series) -> pd.Series:
        """The kept rows of a column; every row, uncopied, when none was dropped (the usual case: selecting
        them all copied every text column once more)."""
        return column if every else column[idx]

    facts = pd.DataFrame({
        "arxiv_id": kept(col["arxiv_id"]), "version": kept(version).astype("int64"), "field": kept(fld),
        "number": kept(number).where(kept(numeric)).astype("float64"), "text": kept(value_text),
        "benchmark": kept(benchmark), "model": kept(col["model"]), "unit": kept(col["unit"]),
        "page": kept(page).astype("int64"), "decision": kept(decision), "candidate_id": kept(col["candidate_id"]),
        "reviewer": kept(col["reviewer"]), "decided_at": kept(col["decided_at"]), "note": kept(col["note"]),
        "forced": kept(forced).astype(bool)}, columns=list(FACT_COLUMNS))
    return facts, [warnings[k] for k in sorted(warnings)]


def default_gflops_lookup(basis: str = DEFAULT_HARDWARE_BASIS) -> GflopsLookup:
    """The hardware catalog's per-device figure under ``basis`` (``peak``: the seed's, or ``fp32``)."""
    return lambda name: hardware_figure(name, basis)


def _as_figure(name: str, found: float | HardwareFigure | None, basis: str) -> HardwareFigure:
    """A lookup's answer as a ``HardwareFigure`` (plain numbers come from a caller's own table)."""
    if isinstance(found, HardwareFigure):
        return found
    if found is None:
        return HardwareFigure(name=name, status="not_in_catalog")
    return HardwareFigure(name=name, status="ok", gflops=float(found), figure=basis, entry=name)


def titles_from_store(db_path: Path | str, arxiv_ids: Iterable[str]) -> dict[str, str]:
    """Titles of the given papers from the store: arXiv's (newest version) when harvested, else the title read
    from the PDF at extraction (``flopmine.store.paper_titles``); {} when there is no store."""
    p = Path(db_path)
    if not p.is_file():
        return {}
    from flopmine.store import connect, paper_titles

    conn = connect(p)
    try:
        return paper_titles(conn, arxiv_ids)
    finally:
        conn.close()


# ---------------------------------------------------------------- building (pure)

_DECISION_RANK = {"accept": 0, "add": 1, "correct": 2}


def _choose(facts: list[Fact]) -> tuple[Fact, bool]:
    """The winning fact among reviewed values for one key, and whether the values conflict."""
    if len(facts) == 1:
        return facts[0], False
    best = max(facts, key=lambda f: (f.version, f.decided_at, _DECISION_RANK.get(f.decision, 0)))
    values = {(round(v, 12) if isinstance(v := f.value, float) else str(v).strip().lower()) for f in facts}
    return best, len(values) > 1


def score_to_error(metric: str, value: float) -> float:
    """Error rate as a fraction from a reviewed metric value.

    >>> score_to_error("top1_acc", 88.4)
    0.11599999999999999
    >>> score_to_error("wer", 5.5)
    0.055
    """
    spec = FIELDS[metric]
    return value / 100.0 if spec.higher_is_better is False else 1.0 - value / 100.0


def error_from_metrics(metrics: Mapping[str, float], bench: Benchmark | None) -> tuple[float, str]:
    """The row's error (fraction) and the metric it came from: the primary metric or its complement.

    >>> from flopmine.benchmarks import load_registry
    >>> error_from_metrics({"top1_acc": 80.0, "top5_err": 5.0}, load_registry()["imagenet"])
    (0.19999999999999996, 'top1_acc')
    """
    for m in error_metric_order(bench):
        if m in metrics:
            return score_to_error(m, metrics[m]), m
    return math.nan, ""


def error_metric_order(bench: Benchmark | None) -> list[str]:
    """The metrics a row's error may come from, in order: the benchmark's primary metric, then its
    complement; every metric for a benchmark missing from the registry.

    >>> from flopmine.benchmarks import load_registry
    >>> error_metric_order(load_registry()["imagenet"])
    ['top1_err', 'top1_acc']
    """
    if bench is None:
        return list(METRIC_FIELDS)
    order = [bench.primary_metric]
    comp = ERROR_COMPLEMENTS.get(bench.primary_metric)
    inverse = {v: k for k, v in ERROR_COMPLEMENTS.items()}.get(bench.primary_metric)
    # no fallback to another metric (top-5 error, AP50, EM): mixing metrics would bias the fits
    return order + [m for m in (comp, inverse) if m]


def _unneutralise(text: pd.Series) -> pd.Series:
    """``flopmine.config.unneutralise_cell`` on a column of text cells."""
    quoted = text.str.startswith("'")
    if not quoted.any():
        return text
    return text.where(~quoted, text[quoted].map(unneutralise_cell))


def _is_forced(fact: Fact) -> bool:
    return fact.extra.get("force") == "force"


def _paper_target(models: Mapping[str, bool]) -> str | None:
    """The model a paper-level fact belongs to: the paper's only model, else its only "(ours)" model."""
    if len(models) == 1:
        return next(iter(models))
    own = [m for m, ours in models.items() if ours]
    return own[0] if len(own) == 1 else None


def build_dataset(
    facts: Iterable[Fact],
    *,
    titles: Mapping[str, str] | None = None,
    gflops_lookup: GflopsLookup | None = None,
    registry: Mapping[str, Benchmark] | None = None,
    hardware_basis: str = DEFAULT_HARDWARE_BASIS,
    release_facts: bool = False,
) -> BuildResult:
    """Join reviewed facts into the tidy dataset (pure: no files, no network).

    ``titles`` maps arxiv id → title; ``gflops_lookup`` maps a hardware name → GFLOPS of one device
    (a number, a ``HardwareFigure`` or None; default: the hardware catalog under ``hardware_basis``);
    ``registry`` defaults to the built-in benchmarks. ``release_facts``: a ``FactTable`` given is left empty
    (``FactTable.release``) and its frame freed as the join finishes with it, not kept until the dataset is
    written (about 0.5 GB at a million rows; ``build_from_home``).
    """
    titles = titles or {}
    registry = registry if registry is not None else load_registry()
    lookup = gflops_lookup if gflops_lookup is not None else default_gflops_lookup(hardware_basis)
    table = FactTable.from_facts(facts)
    n_facts = len(table)
    frame, warnings, unjoined, order = _join(table.release() if release_facts else table.frame, registry, titles)
    codes.release_memory()  # the join's per-fact codes and columns (each step's freed memory, as it goes)
    frame, derive_warnings = derive_compute(frame, lookup, hardware_basis)
    warnings += derive_warnings
    frame, conversion = flag_and_impute(frame)
    frame = frame.take(order).reset_index(drop=True)  # sorted by benchmark, arxiv_id, model (``_join``)
    codes.release_memory()
    if conversion is None:
        warnings.append(f"conversion regression (Figure 7) not fitted: fewer than {MIN_CONVERSION_POINTS} models "
                        "report both params and flops/mult-adds; gflops_imputed left empty")
    n_implausible = int(frame["implausible"].ne("").sum())
    if n_implausible:
        warnings.append(f"{n_implausible} row(s) flagged implausible (column `implausible`); analyze leaves them out "
                        "of the fits unless a reviewer forced the value")
    for w in warnings:
        log.debug("%s", w)
    return BuildResult(frame=frame, conversion=conversion, warnings=tuple(warnings), n_facts=n_facts,
                       unjoined=unjoined)


def sorted_rows(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``frame.sort_values(keys, kind="stable").reset_index(drop=True)`` for text key columns without missing
    cells, with the order computed by Arrow's stable sort (UTF-8 byte order is code point order, as Python
    compares text): pandas factorised each Arrow text key first, about 4 s at a million rows."""
    if not len(frame) or any(frame[k].hasnans for k in keys):
        return frame.sort_values(keys, kind="stable").reset_index(drop=True)
    table = pa.table({k: pa.array(frame[k], type=pa.large_string(), from_pandas=True) for k in keys})
    order = pc.sort_indices(table, sort_keys=[(k, "ascending") for k in keys]).to_numpy()
    return frame.take(order).reset_index(drop=True)


def _per_value(values: pd.Series, fn: Callable[[str], object], dtype: object = object) -> np.ndarray:
    """``fn`` of each cell, computed once per distinct value (columns repeat few values: fields, models, ids)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    if not len(uniques):
        return np.array([], dtype=dtype)
    return np.array([fn(u) for u in uniques.tolist()], dtype=dtype)[codes]  # tolist: iterating Arrow cells is slow


def _distinct_names(names: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """The distinct texts of a column (missing as "") as Arrow text, and each cell's index into them: one
    Arrow dictionary encoding, without a Python string per cell."""
    if names.dtype != _DEFAULT_STR:
        names = names.fillna("").astype(str)
    text = pa.array(names, type=pa.large_string(), from_pandas=True)
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    encoded = pc.dictionary_encode(pc.fill_null(text, ""))
    return encoded.dictionary, encoded.indices.to_numpy(zero_copy_only=False)


def normalise_models(models: pd.Series) -> pd.Series:
    """``flopmine.types.normalise_model`` on a column (text), once per distinct name, in Arrow for ASCII names
    (the others one by one).

    >>> normalise_models(pd.Series([" ResNet-152 (Ours)* ", "Net  B", "Modèle  ours"])).tolist()
    ['resnet-152', 'net b', 'modèle']
    """
    names, index = _distinct_names(models)
    return pd.Series(codes.normalised_models(names).take(pa.array(index)).to_pandas().array, index=models.index)


#: New-style ids ``parse_id`` takes as they are (ASCII digits only: in Python a regex digit also matches other scripts' digits).
_PLAIN_NEW_ID = r"[0-9]{4}\.[0-9]{4,5}(?:v[0-9]{1,3})?"


def own_model_marks(models: pd.Series) -> np.ndarray:
    """``bool(m and _OURS.search(m))`` per model name, once per distinct name; the regex runs only on names that
    can match (holding "ours", "our model" or "proposed" in any case, or any non-ASCII name: IGNORECASE folds
    a few non-ASCII letters, such as the long s, onto ASCII ones).

    >>> own_model_marks(pd.Series(["Net (ours)", "Net (Proposed)", "Ourselves-Net", "ResNet", "", "Net (ourſ)"])).tolist()
    [True, True, False, False, False, True]
    """
    names, index = _distinct_names(models)
    return _own_marks(names)[index]


def _own_marks(names: pa.Array) -> np.ndarray:
    """``own_model_marks`` of each text (none missing)."""
    # ASCII names by Arrow's regex (RE2: on ASCII text its \b and case folding are Python's); the others by
    # Python's, whose IGNORECASE folds a few non-ASCII letters, such as the long s, onto ASCII ones
    marks = pc.match_substring_regex(names, _OURS.pattern, ignore_case=True).to_numpy(zero_copy_only=False)
    other = ~pc.string_is_ascii(names).to_numpy(zero_copy_only=False)
    for i, name in zip(np.flatnonzero(other).tolist(), pc.filter(names, pa.array(other)).to_pylist(), strict=True):
        marks[i] = bool(name and _OURS.search(name))
    return marks


def _strip(names: pa.Array, arrow_semantics: bool) -> pa.Array:
    """``str.strip()`` of each distinct text as pandas strips the column they came from: Arrow's Unicode
    whitespace for an Arrow-backed column, Python's for an object column (the two differ on a few characters)."""
    if arrow_semantics:
        return pc.utf8_trim_whitespace(names)
    return pa.array([n.strip() for n in names.to_pylist()], type=pa.large_string())


def _is_arrow_text(column: pd.Series) -> bool:
    return isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow"


@dataclass(frozen=True)
class _Winners:
    """One fact per key (``group`` code, numbered in order of first appearance): ``fact`` its winning fact (a
    position in the fact table), ``first`` the position of the key's first fact, ``conflict`` whether the key's
    reviewed values differ."""

    fact: np.ndarray
    first: np.ndarray
    conflict: np.ndarray


def _pick_winners(f: pd.DataFrame, facts: np.ndarray, group: np.ndarray, version: np.ndarray, decided: np.ndarray,
                  rank: np.ndarray) -> _Winners:
    """Per key, the newest paper version, then the latest decision, then correct > add > accept (the first in
    reading order on a tie, as ``_choose``). ``facts`` are positions in ``f`` in reading order, ``group`` their key
    codes. Only keys with several facts are sorted, and only their values compared."""
    n_groups = int(group.max(initial=-1)) + 1
    first = facts[codes.first_appearance(group)]
    size = np.bincount(group, minlength=n_groups)
    won = first.copy()  # a key with one fact: that fact
    conflict = np.zeros(n_groups, bool)
    many = size[group] > 1
    if many.any():
        sub, sub_group = facts[many], group[many]
        order = np.lexsort((sub, -rank[sub], -decided[sub], -version[sub], sub_group))
        sorted_group = sub_group[order]
        head = np.r_[True, sorted_group[1:] != sorted_group[:-1]]
        won[sorted_group[head]] = sub[order[head]]
        values = f.iloc[sub]
        value_key = values["number"].round(12).astype(str).where(values["number"].notna(),
                                                                 values["text"].str.strip().str.lower())
        distinct = pd.Series(value_key.to_numpy(), index=sub_group).groupby(level=0).nunique()
        conflict[distinct.index.to_numpy()] = distinct.to_numpy() > 1
    return _Winners(fact=won, first=first, conflict=conflict)


@dataclass(frozen=True)
class _Keys:
    """Each fact's text keys as integer codes into their distinct values (``codes.encode``)."""

    aid: np.ndarray
    aid_names: pa.Array
    bench: np.ndarray
    bench_names: pa.Array
    nm: np.ndarray  # normalised model
    nm_names: pa.Array
    model: np.ndarray  # the model as written
    model_names: pa.Array
    fld: np.ndarray
    field_names: list[str]
    ours: np.ndarray  # the model as written carries an own-model mark
    pair: np.ndarray  # (paper, normalised model)
    n_pairs: int

    def row_key(self, pair: np.ndarray, bench: np.ndarray) -> np.ndarray:
        """(paper, normalised model, benchmark) as one number below ``n_row_keys`` (-1 when ``pair`` is -1)."""
        return np.where(pair >= 0, pair * len(self.bench_names) + bench, -1)

    @property
    def n_row_keys(self) -> int:
        return self.n_pairs * len(self.bench_names)

    def names_and_fields(self) -> _Keys:
        """These keys with only the distinct names and the per-fact field codes: what the join needs once every
        fact is matched (each per-fact code array is about 27 MB at a million rows)."""
        none = np.zeros(0, dtype="int64")
        return replace(self, aid=none, bench=none, nm=none, model=none, ours=none.astype(bool), pair=none)

    @classmethod
    def of(cls, f: pd.DataFrame) -> _Keys:
        aid_names, aid = codes.encode(f["arxiv_id"])
        bench_names, bench = codes.encode(f["benchmark"])
        field_names, fld = codes.encode(f["field"])
        model_names, model = codes.encode(f["model"])
        nm_names, nm_of_model = codes.encode(codes.normalised_models(model_names))
        nm = nm_of_model[model]
        pair = codes.tuple_codes(aid, nm)
        return cls(aid=aid, aid_names=aid_names, bench=bench, bench_names=bench_names, nm=nm, nm_names=nm_names,
                   model=model, model_names=model_names, fld=fld, field_names=field_names.to_pylist(),
                   ours=_own_marks(model_names)[model], pair=pair, n_pairs=int(pair.max(initial=-1)) + 1)


def _join_facts(facts: pd.DataFrame, registry: Mapping[str, Benchmark], titles: Mapping[str, str]
                ) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """``_join`` without the rows' sort order."""
    return _join(facts, registry, titles)[:3]


def _join(facts: pd.DataFrame, registry: Mapping[str, Benchmark], titles: Mapping[str, str]
          ) -> tuple[pd.DataFrame, list[str], pd.DataFrame, np.ndarray]:
    """The join rule on a ``FactTable`` frame, column at a time: one row per paper × benchmark × model.

    Returns the rows (data dictionary columns, before derivation), the join's warnings, and the facts that
    reached no row with their reason (``UNJOINED_COLUMNS``), and the order that sorts the rows by benchmark,
    arxiv_id and model (``sorted_rows``, from the keys' codes). Same result as joining ``Fact`` by ``Fact``
    (``tests/support/analysis_reference.py``). Every key is an integer code (``_Keys``); grouping, matching and
    ordering are done on those, and text is taken from the distinct values only for the output columns.
    """
    warnings: list[str] = []
    f = facts.reset_index(drop=True)
    del facts  # ``f`` is the only reference here: the frame goes when ``f`` does (below) if the caller let it go
    k = _Keys.of(f)
    no_bench, no_model = codes.code_of(k.bench_names, ""), codes.code_of(k.nm_names, "")
    is_metric_field = np.array([name in METRIC_FIELDS for name in k.field_names], bool)
    field_order = np.array([COMPUTE_FIELDS.index(name) if name in COMPUTE_FIELDS else len(COMPUTE_FIELDS) + i
                            for i, name in enumerate(k.field_names)], dtype="int64")
    is_metric = is_metric_field[k.fld]
    no_benchmark = is_metric & (k.bench == no_bench)
    for r in f.iloc[np.flatnonzero(no_benchmark)[:MAX_NAMED]].itertuples():
        value = r.number if r.number == r.number else r.text
        warnings.append(f"{r.arxiv_id}: metric fact {r.field}={value} has no benchmark; skipped")
    if no_benchmark.sum() > MAX_NAMED:
        warnings.append(f"… and {int(no_benchmark.sum()) - MAX_NAMED} more metric facts without a benchmark skipped")
    metric = np.flatnonzero(is_metric & ~no_benchmark)
    compute = np.flatnonzero(~is_metric)
    metric_benchmarks = k.bench_names.take(pa.array(np.unique(k.bench[metric]))).to_pylist()
    for b in sorted(set(metric_benchmarks) - set(registry)):
        warnings.append(f"benchmark {b!r} is not in the registry: its error uses the first metric present")

    # rows, in order of their first metric fact
    row_key = k.row_key(k.pair, k.bench)  # one number per (paper, model, benchmark): rows are found by it
    row_of = codes.renumber(row_key[metric], k.n_row_keys)
    first = metric[codes.first_appearance(row_of)]
    n = len(first)
    r_aid, r_bench, r_pair = k.aid[first], k.bench[first], k.pair[first]
    rows_by_key = codes.KeyIndex(row_key[first], k.n_row_keys)
    r_model = _strip(k.model_names, _is_arrow_text(f["model"])).take(pa.array(k.model[first]))

    # the paper's own model: its only model, else its only "(ours)" model (-1: none, or no metric row at all)
    pair_of = codes.renumber(k.pair[metric], k.n_pairs)
    pair_first = metric[codes.first_appearance(pair_of)]
    p_aid, p_pair = k.aid[pair_first], k.pair[pair_first]
    p_ours = np.zeros(len(pair_first), bool)
    p_ours[pair_of[k.ours[metric]]] = True
    n_papers = len(k.aid_names)
    n_models = np.bincount(p_aid, minlength=n_papers)
    n_own = np.bincount(p_aid[p_ours], minlength=n_papers)
    target = np.full(n_papers, -1, dtype="int64")
    own = p_ours & (n_own[p_aid] == 1)
    target[p_aid[own]] = p_pair[own]
    only = n_models[p_aid] == 1
    target[p_aid[only]] = p_pair[only]  # the target model as its (paper, model) pair

    # winners: a key's newest, latest-decided fact
    version = f["version"].to_numpy("int64")
    decided_names, decided_code = codes.encode(f["decided_at"])
    decided_rank = np.empty(len(decided_names), dtype="int64")
    decided_rank[pc.sort_indices(decided_names).to_numpy()] = np.arange(len(decided_names))
    decision_names, decision = codes.encode(f["decision"])
    rank = np.array([_DECISION_RANK.get(d, 0) for d in decision_names.to_pylist()], dtype="int64")[decision]
    decided = decided_rank[decided_code]
    # the key columns are codes now: the frame keeps only the columns still read from it, its Arrow text copied
    # into one buffer each (the CSV reader's chunks of every column share the allocator's pages, so a column
    # dropped alone gave nothing back), and the rest goes when the caller handed the frame over (at a million
    # rows about 0.7 GB resident, against 0.1 GB for the copies)
    f = pd.DataFrame({c: _one_chunk(f[c]) for c in _FACT_VALUE_COLUMNS}, copy=False)
    codes.release_memory()
    compute_group = codes.tuple_codes(row_key[compute], k.fld[compute])
    won_compute = _pick_winners(f, compute, compute_group, version, decided, rank)
    metric_group = codes.tuple_codes(row_of, codes.renumber(k.fld[metric], len(k.field_names)))
    won_metric = _pick_winners(f, metric, metric_group, version, decided, rank)
    w = won_compute.fact
    w_aid, w_bench, w_nm, w_pair = k.aid[w], k.bench[w], k.nm[w], k.pair[w]

    # compute facts attached by the join rule: the model's own fact before the paper's, the fact of the row's
    # benchmark before one without a benchmark (prio 0 … 3)
    named, with_bench = w_nm != no_model, w_bench != no_bench
    w_target = target[w_aid]
    candidates: list[tuple[np.ndarray, np.ndarray, int]] = []  # (winner, row, prio)
    for sel, pair_of_winner, prio in ((named, w_pair, 0), (~named & (w_target >= 0), w_target, 2)):
        at = np.flatnonzero(sel & with_bench)
        row = rows_by_key.find(k.row_key(pair_of_winner[at], w_bench[at]))
        candidates.append((at[row >= 0], row[row >= 0], prio))
        at = np.flatnonzero(sel & ~with_bench)
        query, row = codes.expand(r_pair, pair_of_winner[at], k.n_pairs)
        candidates.append((at[query], row, prio + 1))
    cand_winner = np.concatenate([c[0] for c in candidates])
    cand_row = np.concatenate([c[1] for c in candidates])
    cand_prio = np.concatenate([np.full(len(c[0]), c[2]) for c in candidates])
    cand_order = field_order[k.fld[w[cand_winner]]]
    by = np.lexsort((cand_prio, cand_order, cand_row))
    best = by[np.r_[True, (cand_row[by][1:] != cand_row[by][:-1]) | (cand_order[by][1:] != cand_order[by][:-1])]] \
        if len(by) else by
    a_winner, a_row, a_order, a_prio = cand_winner[best], cand_row[best], cand_order[best], cand_prio[best]
    a_fact = w[a_winner]  # attached facts, by row and then field
    del candidates, cand_winner, cand_row, cand_prio, cand_order, by, best, at, row, query, pair_of_winner

    reason = _unjoined_reasons(k, compute, no_bench, no_model, no_benchmark, compute_group, a_winner, rows_by_key,
                               r_pair, r_aid, target)
    rows = pd.DataFrame({"arxiv_id": k.aid_names.take(pa.array(r_aid)).to_pylist() if reason.any() else [],
                         "model": r_model.to_pylist() if reason.any() else []})
    if (reason == _AMBIGUOUS).any():
        paper_fields = pd.Series(np.asarray(k.field_names, dtype=object)[k.fld[w[~named]]], dtype=object)
        paper_aid = w_aid[~named]
        row_models = pd.Series(rows["model"].to_numpy(object))
        ambiguous_papers = pd.unique(k.aid[reason == _AMBIGUOUS])
        ambiguous: list[str] = []
        for a in ambiguous_papers[:MAX_NAMED].tolist():
            aid_text = k.aid_names[a].as_py()
            fields = set(paper_fields[paper_aid == a])
            names = sorted(m or "(unnamed)" for m in row_models[r_aid == a])
            ambiguous.append(f"{aid_text}: paper-level {', '.join(sorted(fields))} name(s) no model and the paper "
                             f"has {int(n_models[a])} models, none or several marked (ours) "
                             f"({', '.join(dict.fromkeys(names))}); not attached: name the model in review")
        ambiguous += k.aid_names.take(pa.array(ambiguous_papers[MAX_NAMED:])).to_pylist()
        warnings += ambiguous[:MAX_NAMED]
        if len(ambiguous) > MAX_NAMED:
            warnings.append(f"… and {len(ambiguous) - MAX_NAMED} more papers with ambiguous paper-level compute facts "
                            f"({len(ambiguous)} in all)")
    lost_at = np.flatnonzero(reason)
    lost = f.iloc[lost_at].reset_index(drop=True).assign(**{  # the lost facts' keys, as text again
        name: np.asarray(names.take(pa.array(fact_codes[lost_at])).to_pylist(), dtype=object) for name, names, fact_codes
        in (("arxiv_id", k.aid_names, k.aid), ("benchmark", k.bench_names, k.bench), ("model", k.model_names, k.model),
            ("field", pa.array(k.field_names, pa.large_string()), k.fld), ("decision", decision_names, decision))})
    unjoined = _unjoined_table(lost, np.asarray(UNJOINED_REASONS, dtype=object)[reason[lost_at] - 1], rows)
    del lost
    # the facts frame's last uses: the columns still needed are taken, and the frame goes (at a million rows it is
    # about 0.5 GB; freed here when the caller handed it over, ``FactTable.release``)
    number, forced, page = f["number"].to_numpy("float64"), f["forced"].to_numpy(bool), f["page"].to_numpy("int64")
    value_text, candidate_id = codes.arrow_text(f["text"]), codes.arrow_text(f["candidate_id"])
    del f, rows, reason, w, w_aid, w_bench, w_nm, w_pair, w_target, named, with_bench
    k = k.names_and_fields()
    codes.release_memory()  # the facts frame and the matching's arrays: the output columns come next

    out: dict[str, object] = {"arxiv_id": _text_series(k.aid_names, r_aid),
                              "benchmark": _text_series(k.bench_names, r_bench),
                              "model": pd.Series(r_model.to_pandas().array)}
    m_row = row_of[codes.first_appearance(metric_group)]  # each metric winner's row
    for code in np.unique(k.fld[won_metric.fact]).tolist():
        mine = k.fld[won_metric.fact] == code
        column = np.full(n, np.nan)
        column[m_row[mine]] = number[won_metric.fact[mine]]
        out[k.field_names[code]] = column
    for code in np.unique(k.fld[a_fact]).tolist():
        mine = k.fld[a_fact] == code
        if FIELDS[k.field_names[code]].numeric:
            column = np.full(n, np.nan)
            column[a_row[mine]] = number[a_fact[mine]]
            out[k.field_names[code]] = column
        else:
            out[k.field_names[code]] = _text_series(codes.spread(
                a_row[mine], value_text.take(pa.array(a_fact[mine])), n))

    # error from the benchmark's primary metric (or its complement)
    error, error_metric = np.full(n, np.nan), np.zeros(n, dtype="int64")  # error_metric: 1 + index in metric_names
    metric_names: list[str] = []
    for code in pd.unique(r_bench).tolist():
        idx = np.flatnonzero(r_bench == code)
        for m in error_metric_order(registry.get(k.bench_names[code].as_py())):
            if m not in out:
                continue
            values = np.asarray(out[m])[idx]
            todo = (error_metric[idx] == 0) & ~np.isnan(values)
            hit = idx[todo]
            error[hit] = values[todo] / 100.0 if FIELDS[m].higher_is_better is False else 1.0 - values[todo] / 100.0
            if m not in metric_names:
                metric_names.append(m)
            error_metric[hit] = 1 + metric_names.index(m)
    out["error"] = error
    out["error_metric"] = _text_series(pa.array(["", *metric_names], type=pa.large_string()), error_metric)

    # year and month from the arXiv id, once per paper
    id_codes, ids = pd.factorize(r_aid)
    year_of, month_of, bad_of = np.full(len(ids), np.nan), np.full(len(ids), np.nan), np.zeros(len(ids), bool)
    id_warnings: list[str] = []
    # plain new-style ids (parse_id accepts every one of them) at a time; anything else through parse_id
    id_text = k.aid_names.take(pa.array(ids.astype("int64")))
    plain = pc.match_substring_regex(id_text, f"^(?:{_PLAIN_NEW_ID})$").to_numpy(zero_copy_only=False)
    plain_text = id_text.filter(pa.array(plain))
    yy = pc.utf8_slice_codeunits(plain_text, 0, 2).cast(pa.int64()).to_numpy()
    year_of[plain] = np.where(yy >= 91, 1900 + yy, 2000 + yy)
    month_of[plain] = pc.utf8_slice_codeunits(plain_text, 2, 4).cast(pa.int64()).to_numpy()
    for i in np.flatnonzero(~plain).tolist():
        aid = id_text[i].as_py()
        try:
            year_of[i], month_of[i] = parse_id(aid).year_month
        except InvalidIdError:
            bad_of[i] = True
            id_warnings.append(f"{aid}: not an arXiv id; year and month left empty")
    bad_id = bad_of[id_codes]
    out["year"], out["month"] = year_of[id_codes], month_of[id_codes]

    # flags: metric conflicts and forced values (in reading order), then compute's (in field order), then a bad id
    n_fields = len(k.field_names)
    m_fact, a_conflict = won_metric.fact, won_compute.conflict[a_winner]
    flag_parts = [  # (rows, stage, position, sub, flag code: conflict:<field> / forced:<field> / forced:error / bad id)
        (m_row[won_metric.conflict], 0, won_metric.first[won_metric.conflict], 0, k.fld[m_fact][won_metric.conflict]),
        (m_row[forced[m_fact]], 0, won_metric.first[forced[m_fact]], 1, np.full(int(forced[m_fact].sum()),
                                                                                 2 * n_fields)),
        (a_row[a_conflict], 1, a_order[a_conflict], 0, k.fld[a_fact][a_conflict]),
        (a_row[forced[a_fact]], 1, a_order[forced[a_fact]], 1, n_fields + k.fld[a_fact][forced[a_fact]]),
        (np.flatnonzero(bad_id), 2, 0, 0, np.full(int(bad_id.sum()), 2 * n_fields + 1)),
    ]
    flag_row = np.concatenate([p[0] for p in flag_parts])
    flag_pos = np.concatenate([np.broadcast_to(p[2], len(p[0])) for p in flag_parts]).astype("int64")
    flag_stage = np.concatenate([np.full(len(p[0]), p[1]) for p in flag_parts])
    flag_sub = np.concatenate([np.full(len(p[0]), p[3]) for p in flag_parts])
    flag_code = np.concatenate([p[4] for p in flag_parts]).astype("int64")
    flag_names = pa.array([*(f"conflict:{x}" for x in k.field_names), *(f"forced:{x}" for x in k.field_names),
                           "forced:error", "bad_arxiv_id"], type=pa.large_string())
    by = np.lexsort((flag_sub, flag_pos, flag_stage, flag_row))
    out["flags"] = _text_series(codes.join_consecutive(flag_row[by], flag_names.take(pa.array(flag_code[by])), n, ";"))
    how = np.where(a_prio < 2, 0, 1)  # attached from the model's fact / the paper's
    source_names = pa.array([f"{x}={h}" for x in k.field_names for h in ("model", "paper")], type=pa.large_string())
    out["compute_sources"] = _text_series(codes.join_consecutive(
        a_row, source_names.take(pa.array(k.fld[a_fact] * 2 + how)), n, ";"))

    used = np.r_[m_fact, a_fact]  # every fact the rows use, and their rows
    used_rows = np.r_[m_row, a_row]
    row_version = np.zeros(n, dtype="int64")
    np.maximum.at(row_version, used_rows, version[used])
    out["version"] = row_version
    # per-fact codes and arrays no longer needed go before the joined text columns are made (at a million rows
    # each is about 27 MB, and the text columns were the join's peak)
    del row_key, version, decided_code, decided, rank, number, forced, row_of, metric_group, compute_group
    del metric, compute, is_metric, no_benchmark, won_compute, won_metric, flag_row, flag_pos, flag_stage, flag_sub
    del flag_code, by, value_text
    url_names = pc.binary_join_element_wise(pa.scalar("https://arxiv.org/abs/", pa.large_string()), k.aid_names,
                                            _NO_TEXT)
    out["url"] = _text_series(url_names, r_aid)
    title_names = pa.array([titles.get(a, "") for a in k.aid_names.to_pylist()] if titles else
                           [""] * len(k.aid_names), type=pa.large_string())
    out["title"] = _text_series(title_names, r_aid)
    cid_names, cid = codes.encode(candidate_id.take(pa.array(used)))
    del candidate_id
    out["candidate_ids"] = _text_series(codes.join_sorted_distinct(used_rows, cid, cid_names, n))
    page = page[used]
    page_of = codes.tuple_codes(k.fld[used], page)
    page_first = codes.first_appearance(page_of)
    page_names = pa.array([f"{k.field_names[x]}:{p}" if p != 0 else "" for x, p in
                           zip(k.fld[used][page_first].tolist(), page[page_first].tolist(), strict=True)],
                          type=pa.large_string())
    out["pages"] = _text_series(codes.join_sorted_distinct(used_rows, page_of, page_names, n))
    out["decisions"] = _text_series(codes.join_sorted_distinct(used_rows, decision[used], decision_names, n))
    order = _sort_order([k.bench_names, k.aid_names], [r_bench, r_aid], r_model)
    # the per-fact codes and arrays (about 0.5 GB at a million rows) go before the columns are assembled
    del k, decision, cid, page, page_of
    empty_text = _text_series(pa.array([""], type=pa.large_string()), np.zeros(n, dtype="int64"))
    # copy=False: the columns become the frame's as they are (a copy consolidated the float columns into one
    # block beside them, about 0.2 GB more at a million rows)
    frame = pd.DataFrame({c: out.pop(c) if c in out else (empty_text if dictionary.BY_NAME[c].dtype == "text" else
                                                          np.full(n, np.nan))
                          for c in dictionary.COLUMN_NAMES}, copy=False)  # text columns nobody filled: ""
    return frame, warnings + id_warnings, unjoined, order


def _sort_order(names: list[pa.Array], row_codes: list[np.ndarray], last: pa.Array) -> np.ndarray:
    """The stable order of rows by several text keys, each given as codes into its distinct ``names``, then by
    the text ``last`` (``sorted_rows``: UTF-8 byte order is code point order, as Python compares text).

    The coded keys are sorted as the ranks of their distinct texts; ``last`` is compared as text only within
    groups where it is out of order after that (a paper's models mostly come in order)."""
    n = len(last)
    ranks = []
    for distinct, row_code in zip(names, row_codes, strict=True):
        rank = np.empty(len(distinct), dtype="int64")
        rank[pc.sort_indices(distinct).to_numpy()] = np.arange(len(distinct))
        ranks.append(rank[row_code])
    order = np.lexsort(ranks[::-1]) if n else np.zeros(0, dtype="int64")
    group = codes.tuple_codes(*(r[order] for r in ranks)) if n else order
    return codes.order_groups_by_text(group, last.take(pa.array(order)), order) if n > 1 else order


def _text_series(names: pa.Array, take: np.ndarray | None = None) -> pd.Series:
    """An Arrow text array (or ``names[take]``) as a pandas text column, without a Python string per cell."""
    text = names if take is None else names.take(pa.array(take))
    return pd.Series(text.cast(pa.large_string()).to_pandas().array)


# reason codes of ``_unjoined_reasons``: 0 joined, then UNJOINED_REASONS in order
_NO_BENCHMARK, _NO_ROW_FOR_MODEL, _NO_ROW_IN_PAPER, _AMBIGUOUS, _MODEL_FACT_WINS = range(1, 6)


def _unjoined_reasons(k: _Keys, compute: np.ndarray, no_bench: int, no_model: int, no_benchmark: np.ndarray,
                      compute_group: np.ndarray, attached_winner: np.ndarray, rows_by_key: codes.KeyIndex,
                      row_pairs: np.ndarray, row_papers: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per fact, why the join rule gives it no row: 0 when it reaches one, else 1 + its index in
    ``UNJOINED_REASONS``.

    A metric fact with a benchmark always makes its row; the losers of a key (paper, benchmark, model,
    field) whose winner reached a row are in that row's ``conflict:<field>`` flag, so they are not listed.
    """
    reason = np.zeros(len(k.aid), dtype="int64")
    reason[no_benchmark] = _NO_BENCHMARK
    if not len(compute):
        return reason
    aid, bench, nm, pair = k.aid[compute], k.bench[compute], k.nm[compute], k.pair[compute]
    attached = np.zeros(int(compute_group.max(initial=-1)) + 1, bool)
    attached[attached_winner] = True
    used = attached[compute_group]
    has_bench_row = rows_by_key.find(k.row_key(pair, bench)) >= 0
    has_paper_row = np.bincount(row_pairs, minlength=k.n_pairs)[pair] > 0
    named = nm != no_model
    any_bench = bench == no_bench
    has_row = np.where(any_bench, has_paper_row, has_bench_row)
    paper_has_rows = np.zeros(len(k.aid_names), bool)
    paper_has_rows[row_papers] = True
    in_paper = paper_has_rows[aid]
    own = target[aid]
    ambiguous = in_paper & (own < 0)
    target_row = in_paper & ~ambiguous & (any_bench | (rows_by_key.find(k.row_key(own, bench)) >= 0))
    reason[compute] = np.select(
        [used, named & ~has_row, named, ~in_paper, ambiguous, ~target_row],
        [0, _NO_ROW_FOR_MODEL, _MODEL_FACT_WINS, _NO_ROW_IN_PAPER, _AMBIGUOUS, _NO_ROW_FOR_MODEL],
        _MODEL_FACT_WINS)
    return reason


def _one_chunk(column: pd.Series) -> pd.Series:
    """An Arrow-backed text column as one new Arrow array (the same values and dtype); any other column as it is."""
    if not _is_arrow_text(column):
        return column
    array = column.array
    one = pa.chunked_array([codes.arrow_text(column).cast(array._pa_array.type)])
    return pd.Series(type(array)(one, dtype=column.dtype), index=column.index, name=column.name, copy=False)


#: The fact columns the join reads as values (its keys it reads once, as codes: ``_Keys``, ``_join``).
_FACT_VALUE_COLUMNS = ("number", "text", "version", "unit", "page", "candidate_id", "forced")


def _unjoined_table(lost: pd.DataFrame, reason: np.ndarray, rows: pd.DataFrame) -> pd.DataFrame:
    """The facts that reached no row (``lost``: fact columns) with their ``reason``, as unjoined.csv's columns;
    ``detail`` names the paper's row models."""
    if lost.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in UNJOINED_COLUMNS})
    names = rows.assign(model=rows["model"].where(rows["model"] != "", "(unnamed)")).groupby(
        "arxiv_id", sort=False)["model"].agg(lambda m: "; ".join(dict.fromkeys(m)))
    value = [t if n != n else n for n, t in zip(lost["number"].tolist(), lost["text"].tolist(), strict=True)]
    detail = [f"rows of this paper: {names[a]}" if a in names.index else "this paper has no metric row"
              for a in lost["arxiv_id"].tolist()]
    return pd.DataFrame({
        "arxiv_id": lost["arxiv_id"].to_numpy(object), "version": lost["version"].to_numpy(),
        "benchmark": lost["benchmark"].to_numpy(object), "model": lost["model"].to_numpy(object),
        "field": lost["field"].to_numpy(object), "value": lost["text"].to_numpy(object), "unit": lost["unit"].to_numpy(object),
        "page": lost["page"].to_numpy(), "decision": lost["decision"].to_numpy(object),
        "candidate_id": lost["candidate_id"].to_numpy(object),
        "fact_key": [fact_key(a, b, m, fld, v) for a, b, m, fld, v in zip(
            lost["arxiv_id"], lost["benchmark"], lost["model"], lost["field"], value, strict=True)],
        "reason": reason, "detail": detail}, columns=UNJOINED_COLUMNS)


_NUMERIC = [c.name for c in dictionary.COLUMNS if c.dtype in ("float", "int")]
_TEXT = [c.name for c in dictionary.COLUMNS if c.dtype == "text"]


def _named_counts(counts: Mapping[str, int], describe: Callable[[str], str] = repr) -> str:
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{describe(k)} ({v} row{'s' if v != 1 else ''})" for k, v in items[:MAX_NAMED])
    return shown + (f" and {len(items) - MAX_NAMED} more" if len(items) > MAX_NAMED else "")


def resolve_hardware(names: pd.Series, lookup: GflopsLookup, basis: str) -> tuple[pd.DataFrame, list[str]]:
    """Per-device GFLOPS for each row's hardware name: columns ``hardware_gflops``, ``hardware_figure``,
    ``hardware_entry``, ``hardware_unit``, ``_hw_status``; and counted warnings.

    Each distinct name is looked up once. Warnings tell names the catalog does not know apart from
    names it knows without a figure for ``basis``, each with its number of rows.
    """
    names = names.fillna("").astype(str)
    counts = names[names != ""].value_counts()
    figs = {n: _as_figure(n, lookup(n), basis) for n in counts.index}
    out = pd.DataFrame(index=names.index)
    out["hardware_gflops"] = names.map({n: f.gflops for n, f in figs.items()}).astype("float64")
    for col, attr in (("hardware_figure", "figure"), ("hardware_entry", "entry"), ("hardware_unit", "unit"),
                      ("_hw_status", "status")):
        out[col] = names.map({n: getattr(f, attr) for n, f in figs.items()}).fillna("").astype(str)
    warnings: list[str] = []
    unknown = {n: int(counts[n]) for n, f in figs.items() if f.status == "not_in_catalog"}
    if unknown:
        warnings.append(f"hardware not in the catalog, so no hardware burden for {sum(unknown.values())} row(s): "
                        f"{_named_counts(unknown)}; add the device to flopmine/data/hardware.csv or correct the name")
    no_figure = {n: int(counts[n]) for n, f in figs.items() if f.status == "no_figure"}
    if no_figure:
        other = "; --hardware-basis peak uses the vendor's peak" if basis == "fp32" else ""
        warnings.append(f"hardware in the catalog without a {basis} figure, so no hardware burden for "
                        f"{sum(no_figure.values())} row(s): "
                        f"{_named_counts(no_figure, lambda n: f'{n!r} = {figs[n].entry}')}{other}")
    return out, warnings


def _add_flag(flags: pd.Series, mask: pd.Series | np.ndarray, flag: str) -> pd.Series:
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return flags
    out = flags.copy()
    sub = out[mask]
    out[mask] = np.where(sub == "", flag, sub + ";" + flag)
    return out


#: pandas' default text dtype (Arrow-backed ``str`` under pandas 3).
_DEFAULT_STR = pd.Series([], dtype=str).dtype


def _text_column(values: pd.Series) -> pd.Series:
    """``values.astype(object).where(values.notna(), "").astype(str)``: missing cells as "", all as text. A column
    already of the default text dtype only has its missing cells filled: the round trip through Python objects
    was 0.3 s of build's 0.5 s of derivation at 100k rows."""
    if values.dtype == _DEFAULT_STR:
        return values.fillna("") if values.hasnans else values
    return values.astype(object).where(values.notna(), "").astype(str)


def derive_compute(frame: pd.DataFrame, lookup: GflopsLookup | None = None,
                   basis: str = DEFAULT_HARDWARE_BASIS) -> tuple[pd.DataFrame, list[str]]:
    """Derived compute columns from facts-level columns (build, and ``analyze`` on an external CSV).

    ``gflops_per_pass`` = flops / 1e9, else mult_adds × MULT_ADD_FLOPS / 1e9; ``hardware_gflops`` from
    the catalog for the ``hardware`` name; ``hardware_gflops_total`` = hardware_count × hardware_gflops;
    ``hardware_burden_gflop`` = hardware_gflops_total × training_time_hours × 3600. A value already in
    the frame is kept; only empty cells are derived. Missing columns are added empty.
    """
    df = frame.copy(deep=DEEP_COPIES)
    for c in dictionary.COLUMN_NAMES:
        if c not in df.columns:
            df[c] = np.nan if c in _NUMERIC or dictionary.BY_NAME[c].dtype == "bool" else ""
    for c in _NUMERIC:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    for c in _TEXT:
        df[c] = _text_column(df[c])
    warnings: list[str] = []
    from_flops = df["flops"] / GIGA
    from_ma = df["mult_adds"] * MULT_ADD_FLOPS / GIGA
    derived = from_flops.where(from_flops.notna(), from_ma)
    had = df["gflops_per_pass"].notna()
    df["gflops_per_pass"] = df["gflops_per_pass"].where(had, derived)
    source = np.where(from_flops.notna(), "flops", np.where(from_ma.notna(), "mult_adds", ""))
    df["gflops_source"] = np.where(had & (df["gflops_source"] == ""), "given", np.where(had, df["gflops_source"],
                                                                                         source))
    need_hw = df["hardware_gflops"].isna() & (df["hardware"] != "")
    if lookup is not None and need_hw.any():
        hw, warnings = resolve_hardware(df.loc[need_hw, "hardware"], lookup, basis)
        for c in ("hardware_gflops", "hardware_figure", "hardware_entry", "hardware_unit"):
            df.loc[need_hw, c] = hw[c]
        status = pd.Series("", index=df.index)
        status[need_hw] = hw["_hw_status"]
        df["flags"] = _add_flag(df["flags"], status == "not_in_catalog", "unknown_hardware")
        df["flags"] = _add_flag(df["flags"], status == "no_figure", "no_hardware_figure")
    total = df["hardware_count"] * df["hardware_gflops"]
    df["hardware_gflops_total"] = df["hardware_gflops_total"].where(df["hardware_gflops_total"].notna(), total)
    burden = df["hardware_gflops_total"] * df["training_time_hours"] * SECONDS_PER_HOUR
    df["hardware_burden_gflop"] = df["hardware_burden_gflop"].where(df["hardware_burden_gflop"].notna(), burden)
    for c in ("year", "month", "version"):
        df[c] = df[c].astype("Int64")
    if not pd.api.types.is_bool_dtype(df["gflops_imputed_flag"]):  # once per distinct cell, not per row
        df["gflops_imputed_flag"] = pd.Series(_per_value(
            df["gflops_imputed_flag"], lambda v: str(v).strip().lower() in ("true", "1", "1.0"), bool), index=df.index)
    return df[[*dictionary.COLUMN_NAMES, *[c for c in df.columns if c not in dictionary.BY_NAME]]], warnings


def _forced(flags: pd.Series, field_name: str) -> np.ndarray:
    return flags.str.contains(f"forced:{field_name}", regex=False).to_numpy()


def flag_and_impute(frame: pd.DataFrame) -> tuple[pd.DataFrame, Conversion | None]:
    """Plausibility flags, the Figure 7 conversion fitted on plausible rows, and imputed GFLOPs.

    Each check adds ``implausible:<field>`` to ``flags`` and a reason to ``implausible``: training
    time over ``MAX_TRAINING_HOURS``; FLOPs per pass, params or device count out of range; GFLOPs per
    pass over ``MAX_CONVERSION_RESIDUAL`` orders of magnitude off the conversion line of its params;
    FLOPs or params over ``MAX_YEAR_DEVIATION`` orders away from their year's median; error ≤ 0 or ≥ 1.
    Imputed values outside the params range the conversion was fitted on are flagged
    ``gflops_imputed_extrapolated``.
    """
    df = frame.copy(deep=DEEP_COPIES)
    reasons: list[tuple[np.ndarray, str, list[str]]] = []  # (mask, field, reason per masked row)

    def check(mask: pd.Series | np.ndarray, fld: str, reason: Callable[[pd.DataFrame], list[str]]) -> None:
        m = np.asarray(pd.Series(mask).fillna(False), dtype=bool)
        if m.any():
            reasons.append((m, fld, reason(df[m])))

    hours, flops, params = df["training_time_hours"], df["gflops_per_pass"] * GIGA, df["params"]
    check(hours > MAX_TRAINING_HOURS, "training_time_hours",
          lambda s: [f"training time {h:.4g} h = {h / 8760:.3g} years > 2 years" for h in s["training_time_hours"]])
    check((flops < FLOPS_RANGE[0]) | (flops > FLOPS_RANGE[1]), "flops",
          lambda s: [f"{v * GIGA:.3g} FLOPs per pass outside {FLOPS_RANGE[0]:.0e}–{FLOPS_RANGE[1]:.0e}"
                     for v in s["gflops_per_pass"]])
    check((params < PARAMS_RANGE[0]) | (params > PARAMS_RANGE[1]), "params",
          lambda s: [f"{v:.3g} params outside {PARAMS_RANGE[0]:.0e}–{PARAMS_RANGE[1]:.0e}" for v in s["params"]])
    check(df["hardware_count"] > MAX_HARDWARE_COUNT, "hardware_count",
          lambda s: [f"{v:.3g} devices > {MAX_HARDWARE_COUNT:.0e}" for v in s["hardware_count"]])
    check(df["error"].notna() & ~((df["error"] > 0) & (df["error"] < 1)), "error",
          lambda s: [f"error {v:.4g} outside (0, 1) (from {m})" for v, m in zip(s["error"], s["error_metric"],
                                                                                  strict=True)])
    year = df["year"].astype("float64")
    for fld, col in (("flops", "gflops_per_pass"), ("params", "params")):
        lv = np.log10(df[col].where(df[col] > 0))
        med = lv.groupby(year).transform("median")
        size = lv.groupby(year).transform("count")
        dev = lv - med
        check((dev.abs() > MAX_YEAR_DEVIATION) & (size >= MIN_YEAR_POINTS), fld,
              lambda s, d=dev, c=col: [f"{c} 10^{d[i]:+.1f} × the median of {int(y)}"
                                       for i, y in zip(s.index, s["year"], strict=True)])

    def collect(df_: pd.DataFrame) -> None:
        text = pd.Series("", index=df_.index)
        for mask, fld, why in reasons:
            df_["flags"] = _add_flag(df_["flags"], mask, f"implausible:{fld}")
            forced = _forced(df_["flags"], fld)[mask]
            idx = df_.index[mask]
            new = [w + (" (forced by reviewer)" if f else "") for w, f in zip(why, forced, strict=True)]
            cur = text[idx]
            text[idx] = np.where(cur == "", new, cur + "; " + pd.Series(new, index=idx))
        df_["implausible"] = text

    plausible = ~np.logical_or.reduce([m for m, _f, _w in reasons]) if reasons else np.ones(len(df), bool)
    conversion = fit_conversion(df[plausible])
    if conversion is not None:
        pts = (df["params"] > 0) & (df["gflops_per_pass"] > 0)
        resid = np.log10(df["gflops_per_pass"].where(pts)) - np.log10(conversion.predict_gflops(
            df["params"].where(pts)))
        check(resid.abs() > MAX_CONVERSION_RESIDUAL, "flops",
              lambda s: [f"GFLOPs per pass 10^{resid[i]:+.1f} × what its {p:.3g} params predict (Figure 7 line)"
                         for i, p in zip(s.index, s["params"], strict=True)])
    collect(df)
    df = _impute(df, conversion)
    return df, conversion


def fit_conversion(frame: pd.DataFrame) -> Conversion | None:
    """Fit Figure 7's log-log OLS of GFLOPs per pass on params, one point per paper × model."""
    pts = frame.loc[(frame["params"] > 0) & (frame["gflops_per_pass"] > 0), ["arxiv_id", "model", "params",
                                                                            "gflops_per_pass"]]
    pts = pts[conversion_overflow(pts) == 0]
    pts = pts.assign(_m=normalise_models(pts["model"])).drop_duplicates(["arxiv_id", "_m"])
    if len(pts) < MIN_CONVERSION_POINTS or pts["params"].nunique() < 2:
        return None
    x = np.log10(pts["params"].to_numpy(float))
    y = np.log10(pts["gflops_per_pass"].to_numpy(float))
    params, bse, r2 = ols_line(x, y)
    return Conversion(intercept=float(params[0]), slope=float(params[1]), se_intercept=float(bse[0]),
                      se_slope=float(bse[1]), r2=float(r2), n=len(x),
                      params_min=float(pts["params"].min()), params_max=float(pts["params"].max()))


def ols_line(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(intercept, slope), their standard errors and R² of ``y`` on a constant and ``x``: the arithmetic of
    ``statsmodels.OLS(y, add_constant(x)).fit()`` step by step (pseudo-inverse by SVD), so the numbers are the
    same to the last bit (tested), without importing statsmodels: that import was 2 s of `flopmine build`'s CPU.

    >>> params, bse, r2 = ols_line(np.array([1.0, 2.0, 3.0, 4.0]), np.array([3.0, 5.1, 6.9, 9.0]))
    >>> [round(float(v), 4) for v in (*params, *bse, r2)]
    [1.05, 1.98, 0.1162, 0.0424, 0.9991]
    """
    X = np.column_stack([np.ones(x.shape[0]), x])
    u, s, vt = np.linalg.svd(X, False)  # statsmodels.tools.tools.pinv_extended
    singular = np.copy(s)
    cutoff = 1e-15 * np.maximum.reduce(s)
    s = np.where(s > cutoff, 1.0 / np.where(s > cutoff, s, 1.0), 0.0)
    pinv = np.dot(np.transpose(vt), np.multiply(s[:, np.newaxis], np.transpose(u)))
    params = np.dot(pinv, y)
    rank = np.linalg.matrix_rank(np.diag(singular))
    resid = y - np.dot(X, params)
    ssr = np.dot(resid, resid)
    scale = ssr / (float(x.shape[0]) - rank)
    bse = np.sqrt(np.diag(np.dot(pinv, np.transpose(pinv)) * scale))
    weights = np.ones(x.shape[0])  # OLS is statsmodels' WLS with unit weights: its centred TSS is the weighted one
    mean = np.average(y, weights=weights)
    return params, bse, 1 - ssr / np.sum(weights * (y - mean) ** 2)


def conversion_overflow(frame: pd.DataFrame) -> pd.Series:
    """1 for rows whose params or GFLOPs per pass overflow a fit (beyond 10^``MAX_FIT_LOG10``), else 0.

    >>> conversion_overflow(pd.DataFrame({"params": [1e8, 1e45], "gflops_per_pass": [1.7e299, 5.0]})).tolist()
    [1, 1]
    """
    over = pd.Series(False, index=frame.index)
    for c in ("params", "gflops_per_pass"):
        if c in frame.columns:
            v = pd.to_numeric(frame[c], errors="coerce")
            over |= v.notna() & ~(v <= 10.0**MAX_FIT_LOG10)
    return over.astype(int)


def _impute(frame: pd.DataFrame, conversion: Conversion | None) -> pd.DataFrame:
    df = frame.copy(deep=DEEP_COPIES)
    df["gflops_imputed"] = np.nan
    df["gflops_imputed_flag"] = False
    if conversion is None:
        return df
    need = df["gflops_per_pass"].isna() & (df["params"] > 0)
    df.loc[need, "gflops_imputed"] = conversion.predict_gflops(df.loc[need, "params"].to_numpy(float))
    df.loc[need, "gflops_imputed_flag"] = True
    df["flags"] = _add_flag(df["flags"], need, "gflops_imputed")
    outside = need & ((df["params"] < conversion.params_min) | (df["params"] > conversion.params_max))
    df["flags"] = _add_flag(df["flags"], outside, "gflops_imputed_extrapolated")
    return df


def implausible_rows(frame: pd.DataFrame) -> pd.Series:
    """True for rows flagged ``implausible:<field>`` for a field no reviewer forced (left out of fits).

    >>> implausible_rows(pd.DataFrame({"flags": ["implausible:params", "implausible:params;forced:params", ""]})).tolist()
    [True, False, False]
    """
    if "flags" not in frame.columns:
        return pd.Series(False, index=frame.index)
    flags = frame["flags"].fillna("").astype(str)
    out = pd.Series(False, index=frame.index)
    has = flags.str.contains("implausible:", regex=False)
    for i, text in flags[has].items():
        parts = text.split(";")
        forced = {p[len("forced:"):] for p in parts if p.startswith("forced:")}
        out[i] = any(p.startswith("implausible:") and p[len("implausible:"):] not in forced for p in parts)
    return out


# ---------------------------------------------------------------- writing


def conversion_note(conversion: Conversion | None) -> str:
    """A Markdown paragraph describing the fitted conversion (for the data dictionary)."""
    if conversion is None:
        return "## Conversion regression (Figure 7)\n\nNot fitted: too few models report both params and FLOPs.\n"
    c = conversion
    return ("## Conversion regression (Figure 7)\n\n"
            f"log10(gflops_per_pass) = {c.intercept:.4f} (se {c.se_intercept:.4f}) + {c.slope:.4f} (se {c.se_slope:.4f})"
            f" × log10(params); n = {c.n}, R² = {c.r2:.3f}.\n")


def round_significant(values: np.ndarray, digits: int) -> np.ndarray:
    """Round to ``digits`` significant digits, so the shortest repr drops float noise (vectorised).

    >>> round_significant(np.array([1 - 90.64 / 100, 3.7e10 * 1.0000000000001, -2.5, 0.0, np.nan]), 12).tolist()
    [0.0936, 37000000000.0, -2.5, 0.0, nan]
    >>> round_significant(np.array([1.23456789012345e-300, 5e-324]), 12).tolist()
    [1.23456789012e-300, 5e-324]
    """
    x = np.asarray(values, dtype="float64")
    out = x.copy()
    ok = np.isfinite(x) & (x != 0)
    exp = np.floor(np.log10(np.abs(x[ok]))).astype(int) - (digits - 1)
    # scale up by a power of ten, or down for large numbers; below about 1e-290 the power itself would overflow
    # (10.0 ** 310 is inf, and the value would come out NaN), so those few go through their decimal text
    tiny = exp < -290
    small = (exp < 0) & ~tiny
    v = x[ok]
    up = 10.0 ** (-exp[small])
    v[small] = np.round(v[small] * up) / up
    large = exp >= 0
    down = 10.0 ** exp[large]
    with np.errstate(over="ignore"):  # rounding up past the largest float: that value keeps its digits
        v[large] = np.round(v[large] / down) * down
    v[tiny] = [float(f"{t:.{digits - 1}e}") for t in v[tiny]]
    out[ok] = np.where(np.isfinite(v), v, x[ok])
    return out


def _csv_cell(text: str) -> str:
    """A text cell as the csv module writes it (QUOTE_MINIMAL; a carriage return is quoted too)."""
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\r\n') else text


_NO_TEXT = pa.scalar("", pa.large_string())


def _arrow_reprs(numbers: np.ndarray) -> pa.Array:
    """``[repr(v) for v in numbers]`` as one Arrow text array: the list's repr (items joined by ", ", which no
    float or int repr contains) is split in Arrow, so no Python string per cell is kept."""
    if not len(numbers):
        return pa.array([], type=pa.large_string())
    joined = pa.array([repr(numbers.tolist())[1:-1]], type=pa.large_string())
    return pc.split_pattern(joined, ", ").flatten()


def _float_reprs(numbers: np.ndarray) -> pa.Array:
    """``_arrow_reprs`` of floats, each distinct value once: Python's float repr is most of the CSV's cost,
    and a million rows hold about 2.3 million distinct values in 5.9 million cells. Distinct by bit pattern,
    so 0.0 and -0.0 keep their own reprs."""
    codes, uniques = pd.factorize(np.ascontiguousarray(numbers, dtype="float64").view("int64"))
    return _arrow_reprs(uniques.view("float64")).take(pa.array(codes))


def _spread(present: np.ndarray, cells: pa.Array) -> pa.Array:
    """The ``cells`` of the present rows in place, "" in the others."""
    if present.all():
        return cells
    return codes.spread(np.flatnonzero(present), cells, len(present))


#: Bytes that make a CSV cell need quotes, and that start a cell a spreadsheet would run as a formula (ASCII: in
#: UTF-8 no byte of a multi-byte character is below 0x80, so scanning bytes finds exactly these characters).
_NEEDS_QUOTES = b',"\r\n'
_FORMULA_STARTS = b"=+-@\t\r"


def _byte_table(chars: bytes) -> np.ndarray:
    table = np.zeros(256, bool)
    table[list(chars)] = True
    return table


def _holds_bytes(cells: pa.Array, chars: bytes) -> bool:
    """Whether any cell of an Arrow text array holds one of the ASCII ``chars``: one scan of its bytes."""
    data = np.frombuffer(_text_buffer(cells), dtype=np.uint8)
    return bool(_byte_table(chars)[data].any())


def _edge_bytes(values: pd.Series) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The first and the last byte of each non-empty cell of an Arrow-backed text column, chunk by chunk
    (missing cells have none)."""
    column = pa.array(values, from_pandas=True)
    for chunk in (column.chunks if isinstance(column, pa.ChunkedArray) else [column]):
        if not len(chunk) or chunk.buffers()[2] is None:
            continue
        width = "int64" if chunk.type == pa.large_string() else "int32"
        offsets = np.frombuffer(chunk.buffers()[1], dtype=width)[chunk.offset:chunk.offset + len(chunk) + 1]
        filled = offsets[1:] > offsets[:-1]  # a missing cell is empty
        data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)
        yield data[offsets[:-1][filled]], data[offsets[1:][filled] - 1]


def _starts_with_bytes(values: pd.Series, chars: bytes) -> bool:
    """Whether any cell of an Arrow-backed text column starts with one of the ASCII ``chars``."""
    table = _byte_table(chars)
    return any(table[first].any() for first, _last in _edge_bytes(values))


#: Every byte that can begin or end a whitespace character, in any definition (Python's ``str.strip``, Arrow's
#: ``utf8_trim_whitespace``): ASCII controls and space, DEL, and every byte of a non-ASCII character.
_MAY_BE_SPACE = _byte_table(bytes([*range(0x21), *range(0x7F, 0x100)]))


def _stripped(column: pd.Series) -> pd.Series:
    """``column.str.strip()``; an Arrow-backed column in which no cell begins or ends with a byte that can be
    whitespace is returned as it is (one look at each cell's first and last byte instead of a copy of it)."""
    if _is_arrow_text(column) and not any(_MAY_BE_SPACE[first].any() or _MAY_BE_SPACE[last].any()
                                          for first, last in _edge_bytes(column)):
        return column
    return column.str.strip()


def _csv_column(values: pd.Series) -> pa.Array:
    """One column's cells (Arrow text) as ``DataFrame.to_csv`` writes them: floats as ``repr`` (the shortest
    round trip), missing as empty, bools as True/False, text quoted where the csv module would quote it."""
    present = values.notna().to_numpy(bool)
    if pd.api.types.is_bool_dtype(values.dtype):
        return pc.if_else(pa.array(values.to_numpy(bool)), "True", "False").cast(pa.large_string())
    if pd.api.types.is_float_dtype(values.dtype):
        return _spread(present, _float_reprs(values.to_numpy("float64")[present]))
    if pd.api.types.is_integer_dtype(values.dtype):  # Arrow writes an integer as str() does
        return _spread(present, pa.array(values[present].to_numpy("int64")).cast(pa.large_string()))
    if values.dtype != _DEFAULT_STR:  # any other cell as its str(), as to_csv
        values = values.astype(object).where(present, "").astype(str)
    cells = pc.fill_null(codes.arrow_text(values), _NO_TEXT)
    if not _holds_bytes(cells, _NEEDS_QUOTES):  # most columns: one scan of the bytes instead of a regex per cell
        return cells
    quote = pc.match_substring_regex(cells, r'[,"\r\n]')
    quote_mark = pa.scalar('"', pa.large_string())
    quoted = pc.binary_join_element_wise(quote_mark, pc.replace_substring(cells, '"', '""'), quote_mark, _NO_TEXT)
    return pc.if_else(quote, quoted, cells)


def _dataset_csv_rows(frame: pd.DataFrame) -> pa.Array:
    """dataset.csv's rows after the header, each ending in a newline, as one Arrow text array."""
    text_cols = {c.name for c in dictionary.COLUMNS if c.dtype == "text"}
    columns: list[pa.Array] = []
    for c in frame.columns:
        values = frame[c]
        if c in text_cols:  # PDF-derived text must not run as a spreadsheet formula
            # (one scan of each cell's first byte first: most columns hold no formula-like cell)
            if values.dtype != _DEFAULT_STR or _starts_with_bytes(values, _FORMULA_STARTS):
                risky = values.str.match(r"^[=+\-@\t\r]", na=False)
                if risky.any():
                    values = values.copy()
                    values[risky] = values[risky].map(neutralise_cell)
        elif values.dtype == "float64":
            values = pd.Series(round_significant(values.to_numpy(), CSV_SIGNIFICANT_DIGITS), index=values.index)
        columns.append(_csv_column(values))
    columns[-1] = pc.binary_join_element_wise(columns[-1], _NO_TEXT, pa.scalar("\n", pa.large_string()))
    return pc.binary_join_element_wise(*columns, pa.scalar(",", pa.large_string()))


def _dataset_csv_header(frame: pd.DataFrame) -> str:
    return ",".join(_csv_cell(str(c)) for c in frame.columns) + "\n"


def _text_buffer(cells: pa.Array) -> memoryview:
    """The UTF-8 bytes of an Arrow text array's cells, back to back, without copying them."""
    cells = cells.cast(pa.large_string())
    if not len(cells) or cells.buffers()[2] is None:
        return memoryview(b"")
    offsets = np.frombuffer(cells.buffers()[1], dtype="int64")[cells.offset:cells.offset + len(cells) + 1]
    return memoryview(cells.buffers()[2])[int(offsets[0]):int(offsets[-1])]


def dataset_csv_text(frame: pd.DataFrame) -> str:
    """dataset.csv's text: floats at ``CSV_SIGNIFICANT_DIGITS``, formula-like text cells neutralised.

    Byte for byte what ``frame.to_csv(index=False)`` wrote after the same rounding (tested), except that
    a cell with a carriage return is quoted (to_csv left it bare on Python 3.11, splitting the row).
    Each column is formatted once as Arrow text, and Arrow joins the rows: no Python string per cell
    (``write_dataset`` writes the bytes without making the text).
    """
    return _dataset_csv_header(frame) + bytes(_text_buffer(_dataset_csv_rows(frame))).decode("utf-8")


def write_dataset(result: BuildResult, out_dir: Path | str) -> list[Path]:
    """Write dataset.csv, dataset.parquet, data_dictionary.md/.csv and unjoined.csv (header only when every
    reviewed fact reached a row), each atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    df = result.frame
    csv_path, pq_path = out / "dataset.csv", out / "dataset.parquet"

    def write_parquet() -> None:
        with atomic_path(pq_path) as tmp:
            df.to_parquet(tmp, index=False, engine="pyarrow")

    # a dataset of one CSV block has its Parquet file written in a thread beside the CSV (Arrow releases the GIL);
    # a larger one after it, so that the Parquet writer's copy of the frame is not held beside a block's text
    with ThreadPoolExecutor(1, thread_name_prefix="parquet") as pool:
        parquet = pool.submit(write_parquet) if len(df) <= CSV_BLOCK_ROWS else None
        with atomic_path(csv_path) as tmp, tmp.open("wb") as out_file:
            out_file.write(_dataset_csv_header(df).encode("utf-8"))
            # a block of rows at a time: every cell is formatted on its own, so the bytes are the same, and only
            # one block's text is held (the whole file's cells and rows were about 0.6 GB at a million rows)
            for start in range(0, len(df), CSV_BLOCK_ROWS):
                out_file.write(_text_buffer(_dataset_csv_rows(df.iloc[start:start + CSV_BLOCK_ROWS])))
        codes.release_memory()
        if parquet is None:
            write_parquet()
        else:
            parquet.result()
    write_text_atomic(out / "data_dictionary.md", dictionary.to_markdown(conversion_note(result.conversion)))
    write_csv_atomic(out / "data_dictionary.csv", ["column", "type", "unit", "description"], dictionary.to_rows())
    unjoined = result.unjoined if result.unjoined is not None else pd.DataFrame(columns=UNJOINED_COLUMNS)
    # text cells (model names, values) come from PDFs: neutralised against formula injection
    write_csv_atomic(out / UNJOINED_FILE, UNJOINED_COLUMNS, unjoined.astype(object).to_dict("records"))
    return [csv_path, pq_path, out / "data_dictionary.md", out / "data_dictionary.csv", out / UNJOINED_FILE]


def unjoined_in_home(home: Home) -> pd.DataFrame:
    """The reviewed facts ``flopmine build`` would list in unjoined.csv now (``UNJOINED_COLUMNS``; empty when
    there are no annotations), for ``review status``. Same join as build, without the derived columns."""
    from flopmine.review.annotations import recover, review_lock

    try:
        with review_lock(home):
            recover(home.annotations_dir)
            facts, _warnings = read_annotations(home.annotations_dir)
            facts = _renamed(facts, home.annotations_dir)
    except AnalysisError:
        return pd.DataFrame(columns=UNJOINED_COLUMNS)
    return _join_facts(facts.frame, load_registry(), {})[2]


def _renamed(facts: FactTable, directory: Path) -> FactTable:
    """The facts with the reviewers' model renames applied (``annotations/decisions/renames.csv``)."""
    from flopmine.review.renames import load_renames, renamed_models

    renames = load_renames(directory)
    if not renames:
        return facts
    frame = facts.frame
    return FactTable(frame.assign(model=renamed_models(frame["arxiv_id"], frame["model"], renames)))


@dataclass(frozen=True)
class BuildOutput:
    """What ``build_from_home`` did: the build, the files written, and every warning."""

    result: BuildResult
    paths: tuple[Path, ...]
    warnings: tuple[str, ...]  # unreadable annotation rows first, then build warnings
    unreadable_rows: int = 0
    conflicts: tuple[str, ...] = ()  # conflicting decisions in the annotations (flopmine.review.conflicts)


#: Annotation files up to this size in all are read and scanned for conflicts at once (the scan in a forked
#: process where ``fork`` exists, else in a thread); larger ones one after the other, the scan first, so that its
#: columns are given back before the read's (at a million rows the two together were about 3.5 GB).
SCAN_BESIDE_READ_BYTES = 64 * 2**20
#: Whether the scan beside the read runs in a forked process. In a thread it ran on one core with the read for
#: most of its time (both hold the interpreter's lock for their Python parts): at 100k rows the read and the
#: scan took 1.4 s of wall clock for 1.4 s of CPU.
SCAN_IN_CHILD = "fork" in multiprocessing.get_all_start_methods()


class _ScanBeside:
    """The conflict scan of ``directory`` started now, beside the caller's work: in a forked process (its lines
    sent back pickled through a pipe) or, without ``fork``, in a thread. ``lines()`` waits for it; where the
    child gave no lines (an error of the scan, or the child killed) the scan runs again here, so an error is
    raised as the scan in this process raises it. ``cancel()`` ends it unheard (the read failed first)."""

    def __init__(self, directory: Path) -> None:
        from flopmine.review.conflicts import conflict_lines

        self.directory = directory
        self._pid = 0
        self._pipe = -1
        self._thread: ThreadPoolExecutor | None = None
        if not SCAN_IN_CHILD:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="conflict-scan")
            self._future = self._thread.submit(conflict_lines, directory)
            return
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: scan, send the lines, and leave without the parent's exit handlers or buffers
            status = 1
            try:
                os.close(read_end)
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(pickle.dumps(conflict_lines(directory), protocol=pickle.HIGHEST_PROTOCOL))
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        self._pid, self._pipe = pid, read_end

    def lines(self) -> tuple[str, ...]:
        """The scan's lines (``conflict_lines``), once it has finished."""
        from flopmine.review.conflicts import conflict_lines

        if self._thread is not None:
            with self._thread:
                return tuple(self._future.result())
        with os.fdopen(self._pipe, "rb") as pipe:
            sent = pipe.read()
        _, status = os.waitpid(self._pid, 0)
        if os.waitstatus_to_exitcode(status) == 0:
            return tuple(pickle.loads(sent))
        return tuple(conflict_lines(self.directory))

    def cancel(self) -> None:
        """End the scan without its lines."""
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            return
        os.close(self._pipe)  # a child still writing gets SIGPIPE
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._pid, signal.SIGKILL)
        os.waitpid(self._pid, 0)


def _read_and_scan(directory: Path) -> tuple[FactTable, list[str], tuple[str, ...]]:
    """``read_annotations`` (renamed) and the conflict scan's lines. An error of the read comes first, as when
    the read ran before the scan."""
    from flopmine.errors import ReviewError
    from flopmine.review.conflicts import conflict_lines

    size = sum(p.stat().st_size for p in directory.glob("*.csv") if p.is_file()) if directory.is_dir() else 0
    if size <= SCAN_BESIDE_READ_BYTES:
        scan = _ScanBeside(directory)
        try:
            facts, row_warnings = read_annotations(directory)
            facts = _renamed(facts, directory)
        except BaseException:
            scan.cancel()
            raise
        return facts, row_warnings, scan.lines()
    scan_error: ReviewError | None = None
    try:
        conflicts = tuple(conflict_lines(directory))
    except ReviewError as e:
        conflicts, scan_error = (), e
    facts, row_warnings = read_annotations(directory)
    facts = _renamed(facts, directory)
    if scan_error is not None:
        raise scan_error
    return facts, row_warnings, conflicts


def build_from_home(home: Home, out_dir: Path | str | None = None, *,
                    gflops_lookup: GflopsLookup | None = None,
                    hardware_basis: str = DEFAULT_HARDWARE_BASIS) -> BuildOutput:
    """``flopmine build``: read the home's annotations, build, and write into ``out_dir``.

    Annotations are read under the review helper's lock after its crash recovery, so a review
    import is seen whole or not at all. Titles come from the home's store when there is one.
    """
    from flopmine.review.annotations import recover, review_lock

    codes.imports_long_lived()
    with review_lock(home):
        recover(home.annotations_dir)
        facts, row_warnings, conflicts = _read_and_scan(home.annotations_dir)
    # the ids from the column: a Fact object per reviewed fact was seconds at 100k rows
    titles = titles_from_store(home.db_path, set(facts.frame["arxiv_id"].unique().tolist()))
    result = build_dataset(facts, titles=titles, gflops_lookup=gflops_lookup, hardware_basis=hardware_basis,
                           release_facts=True)
    paths = write_dataset(result, out_dir or home.dataset_dir)
    return BuildOutput(result=result, paths=tuple(paths), warnings=(*row_warnings, *conflicts, *result.warnings),
                       unreadable_rows=len(row_warnings), conflicts=conflicts)


def read_dataset(path: Path | str) -> pd.DataFrame:
    """Read a dataset CSV (or Parquet) written by ``write_dataset``; clear error when unreadable."""
    p = Path(path)
    if not p.is_file():
        raise AnalysisError(f"dataset {p} does not exist; run `flopmine build` first or pass --dataset FILE")
    try:
        if p.suffix == ".parquet":
            return pd.read_parquet(p)
        text = {c.name: str for c in dictionary.COLUMNS if c.dtype == "text"}
        # nullable integers: a row without a year (or month, version) made pyarrow's int cast fail, which sent
        # every read to the C parser (0.15 s → 8.7 s at a million rows, issue 20)
        ints = {c.name: "Int64" for c in dictionary.COLUMNS if c.dtype == "int"}
        options = {"dtype": {**text, **ints}, "keep_default_na": False, "na_values": [""]}
        try:  # pyarrow's parser is about twice as fast and gives the same frame; the C parser's errors are clearer
            df = pd.read_csv(p, engine="pyarrow", **options)
        except (ValueError, pd.errors.ParserError):
            df = pd.read_csv(p, low_memory=False, **options)
        for c in text:  # ids like 1812.10000 must stay text; empty text cells stay ""
            if c in df.columns:
                df[c] = df[c].fillna("")
        return df
    except (OSError, ValueError, pd.errors.ParserError) as e:
        raise AnalysisError(f"dataset {p}: cannot read: {e}") from None
