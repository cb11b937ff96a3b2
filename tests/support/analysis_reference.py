"""The dataset join written plainly, one ``Fact`` at a time: the reference the vectorised build is tested against.

This is ``flopmine.analysis.build``'s join loop as it was before the build was vectorised (issue 14,
item 8); ``tests/test_analysis_build.py`` checks that ``build_dataset`` gives the same rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

import pandas as pd

from flopmine.analysis import dictionary
from flopmine.analysis.build import _OURS, MAX_NAMED, _choose, _paper_target, error_from_metrics
from flopmine.benchmarks import Benchmark
from flopmine.ids import InvalidIdError, parse_id
from flopmine.types import COMPUTE_FIELDS, FIELDS, Fact, normalise_model


def _is_forced(fact: Fact) -> bool:
    return fact.extra.get("force") == "force"


def reference_join(facts: Iterable[Fact], registry: Mapping[str, Benchmark], titles: Mapping[str, str]
                   ) -> tuple[pd.DataFrame, list[str]]:
    """One row per paper × model × benchmark (the columns of the data dictionary), and the join's warnings."""
    warnings: list[str] = []

    metric_groups: dict[tuple[str, str, str], dict[str, list[Fact]]] = defaultdict(lambda: defaultdict(list))
    display: dict[tuple[str, str, str], str] = {}
    compute_groups: dict[tuple[str, str, str], dict[str, list[Fact]]] = defaultdict(lambda: defaultdict(list))
    paper_models: dict[str, dict[str, bool]] = defaultdict(dict)  # paper → model → marked "(ours)"
    n_facts = 0
    unknown_benchmarks: set[str] = set()
    no_benchmark = 0
    for f in facts:
        n_facts += 1
        nm = normalise_model(f.model)
        if FIELDS[f.field].kind == "metric":
            if not f.benchmark:
                no_benchmark += 1
                if no_benchmark <= MAX_NAMED:
                    warnings.append(f"{f.arxiv_id}: metric fact {f.field}={f.value} has no benchmark; skipped")
                continue
            key = (f.arxiv_id, f.benchmark, nm)
            metric_groups[key][f.field].append(f)
            display.setdefault(key, f.model.strip())
            models = paper_models[f.arxiv_id]
            models[nm] = models.get(nm, False) or bool(f.model and _OURS.search(f.model))
            if f.benchmark not in registry:
                unknown_benchmarks.add(f.benchmark)
        else:
            compute_groups[(f.arxiv_id, f.benchmark, nm)][f.field].append(f)
    if no_benchmark > MAX_NAMED:
        warnings.append(f"… and {no_benchmark - MAX_NAMED} more metric facts without a benchmark skipped")
    for b in sorted(unknown_benchmarks):
        warnings.append(f"benchmark {b!r} is not in the registry: its error uses the first metric present")

    resolved: dict[tuple[str, str, str], dict[str, tuple[Fact, bool]]] = {
        k: {fld: _choose(fs) for fld, fs in by_field.items()} for k, by_field in compute_groups.items()
    }
    # Paper-level facts (no model named) belong to the paper's own model, when there is exactly one.
    paper_target: dict[str, str] = {}
    paper_fields: dict[str, set[str]] = {}  # per paper, the fields of its paper-level facts (any benchmark)
    for (aid, _bench, nm), by_field in resolved.items():
        if not nm and aid in paper_models:
            paper_fields.setdefault(aid, set()).update(by_field)
    ambiguous: list[str] = []
    for aid, fields in paper_fields.items():
        target = _paper_target(paper_models[aid])
        if target is None:
            names = sorted(display[k] or "(unnamed)" for k in display if k[0] == aid)
            ambiguous.append(f"{aid}: paper-level {', '.join(sorted(fields))} name(s) no model and the paper has "
                             f"{len(paper_models[aid])} models, none or several marked (ours) "
                             f"({', '.join(dict.fromkeys(names))}); not attached: name the model in review")
        else:
            paper_target[aid] = target
    if ambiguous:
        warnings += ambiguous[:MAX_NAMED]
        if len(ambiguous) > MAX_NAMED:
            warnings.append(f"… and {len(ambiguous) - MAX_NAMED} more papers with ambiguous paper-level compute facts "
                            f"({len(ambiguous)} in all)")

    ym_cache: dict[str, tuple[int, int] | None] = {}
    records: list[dict[str, object]] = []
    empty: dict[str, tuple[Fact, bool]] = {}
    for (aid, bench_name, nm), by_field in metric_groups.items():
        rec: dict[str, object] = {"arxiv_id": aid, "benchmark": bench_name, "model": display[(aid, bench_name, nm)]}
        used: list[Fact] = []
        flags: list[str] = []
        metric_values: dict[str, float] = {}
        for fld, fs in by_field.items():
            fact, conflict = _choose(fs)
            metric_values[fld] = float(fact.value)
            rec[fld] = float(fact.value)
            used.append(fact)
            if conflict:
                flags.append(f"conflict:{fld}")
            if _is_forced(fact):
                flags.append("forced:error")
        # the model's own fact before the paper's; the row's benchmark before no benchmark
        sides = [(resolved.get((aid, b, nm), empty) if nm else empty, "model") for b in (bench_name, "")]
        sides += [(resolved.get((aid, b, ""), empty) if paper_target.get(aid) == nm else empty, "paper")
                  for b in (bench_name, "")]
        sources: list[str] = []
        for fld in COMPUTE_FIELDS:
            found = next(((side[fld], how) for side, how in sides if fld in side), None)
            if found is None:
                continue
            (fact, conflict), how = found
            rec[fld] = fact.value
            used.append(fact)
            sources.append(f"{fld}={how}")
            if conflict:
                flags.append(f"conflict:{fld}")
            if _is_forced(fact):
                flags.append(f"forced:{fld}")
        err, err_metric = error_from_metrics(metric_values, registry.get(bench_name))
        rec["error"], rec["error_metric"] = err, err_metric
        if aid not in ym_cache:
            try:
                ym_cache[aid] = parse_id(aid).year_month
            except InvalidIdError:
                ym_cache[aid] = None
                warnings.append(f"{aid}: not an arXiv id; year and month left empty")
        ym = ym_cache[aid]
        if ym is None:
            flags.append("bad_arxiv_id")
        else:
            rec["year"], rec["month"] = ym
        rec["version"] = max(f.version for f in used)
        rec["url"] = f"https://arxiv.org/abs/{aid}"
        rec["title"] = titles.get(aid, "")
        rec["compute_sources"] = ";".join(sources)
        rec["flags"] = ";".join(flags)
        rec["candidate_ids"] = ";".join(sorted({f.candidate_id for f in used if f.candidate_id}))
        rec["pages"] = ";".join(sorted({f"{f.field}:{f.page}" for f in used if f.page}))
        rec["decisions"] = ";".join(sorted({f.decision for f in used}))
        records.append(rec)

    return pd.DataFrame.from_records(records, columns=list(dictionary.COLUMN_NAMES)), warnings


def pandas_csv_text(frame: pd.DataFrame, text_columns: Iterable[str], digits: int) -> str:
    """dataset.csv as ``DataFrame.to_csv`` wrote it before the Arrow writer: text cells that a spreadsheet would
    run as a formula neutralised (``neutralise_cell``), floats rounded to ``digits`` significant digits."""
    from flopmine.analysis.build import round_significant
    from flopmine.config import neutralise_cell

    safe = frame.copy()
    for c in text_columns:
        if c in safe.columns:
            risky = safe[c].str.match(r"^[=+\-@\t\r]", na=False)
            safe.loc[risky, c] = safe.loc[risky, c].map(neutralise_cell)
    for c in safe.columns:
        if safe[c].dtype == "float64":
            safe[c] = round_significant(safe[c].to_numpy(), digits)
    return safe.to_csv(index=False)


def reference_csv_text(frame: pd.DataFrame, text_columns: Iterable[str], digits: int) -> str:
    """dataset.csv written cell by cell: text columns neutralised (``neutralise_cell``), floats rounded to
    ``digits`` significant digits and written as ``repr``, integers as ``str``, bools as True/False, missing
    cells empty, and a cell quoted (quotes doubled) when it holds a comma, a quote, a newline or a carriage
    return: the csv module's QUOTE_MINIMAL, which is what ``DataFrame.to_csv`` wrote."""
    from flopmine.analysis.build import round_significant
    from flopmine.config import neutralise_cell

    text = set(text_columns)

    def quoted(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\r\n') else cell

    columns: list[list[str]] = []
    for name in frame.columns:
        values = frame[name]
        cells: list[str] = []
        if pd.api.types.is_float_dtype(values.dtype):
            numbers = round_significant(values.to_numpy("float64"), digits)
            cells = ["" if v != v else repr(float(v)) for v in numbers.tolist()]
        else:
            for v in values.astype(object).tolist():
                if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
                    cells.append("")
                elif isinstance(v, bool):
                    cells.append("True" if v else "False")
                else:
                    cell = str(v)
                    if name in text:
                        cell = str(neutralise_cell(cell))
                    cells.append(quoted(cell))
        columns.append(cells)
    lines = [",".join(quoted(str(c)) for c in frame.columns)]
    lines += [",".join(row) for row in zip(*columns, strict=True)]
    return "\n".join(lines) + "\n"
