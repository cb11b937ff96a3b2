"""The data dictionary of ``dataset.csv``: every column, its type, unit and convention.

The table is data (one ``Column`` per dataset column, in file order); ``to_markdown`` and ``to_rows``
render it for ``data_dictionary.md`` and ``data_dictionary.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flopmine.types import FIELDS, METRIC_FIELDS


@dataclass(frozen=True)
class Column:
    """One dataset column: name, type (``text``/``int``/``float``/``bool``), unit, meaning."""

    name: str
    dtype: str
    unit: str
    description: str


_ID_COLUMNS: tuple[Column, ...] = (
    Column("arxiv_id", "text", "", "arXiv id without version, e.g. 1811.06965."),
    Column("version", "int", "", "Newest paper version any of the row's facts were reviewed on."),
    Column("url", "text", "", "https://arxiv.org/abs/<arxiv_id>."),
    Column("title", "text", "", "Paper title from the store's papers table; empty when the paper is not in the store."),
    Column("year", "int", "", "Year of first submission, read from the id (paper's rule: 1811.06965v5 → 2018)."),
    Column("month", "int", "", "Month of first submission, read from the id (1811.06965v5 → 11)."),
    Column("benchmark", "text", "", "Benchmark name from the registry (benchmarks.toml), e.g. imagenet."),
    Column("model", "text", "", "Model name as first spelled by the reviewer; rows are keyed by its normalised form "
           "(case, spacing, \"(ours)\" and footnote marks folded). Empty when the paper reports one unnamed model."),
)

_METRIC_COLUMNS: tuple[Column, ...] = tuple(
    Column(m, "float", FIELDS[m].unit, f"Reviewed {m} result ({'higher' if FIELDS[m].higher_is_better else 'lower'} "
           "is better), as printed (percent or BLEU points).")
    for m in METRIC_FIELDS
)

_COMPUTE_COLUMNS: tuple[Column, ...] = (
    Column("flops", "float", "FLOPs", "FLOPs of one forward pass (per image / token batch as the paper states)."),
    Column("mult_adds", "float", "multiply-adds", "Multiply-accumulate operations of one forward pass."),
    Column("params", "float", "parameters", "Number of trainable parameters."),
    Column("hardware", "text", "", "Training accelerator as reviewed, e.g. 'NVIDIA V100'."),
    Column("hardware_count", "float", "devices", "Number of accelerators used for training."),
    Column("hardware_gflops", "float", "GFLOPS", "Peak FP32 GFLOPS of one `hardware` device from the hardware "
           "catalog (flopmine.hardware.gflops_for); empty when the catalog does not know the device."),
    Column("training_time_hours", "float", "hours", "Wall-clock training time."),
    Column("epochs", "float", "epochs", "Training epochs."),
    Column("training_steps", "float", "steps", "Training steps (iterations)."),
)

_DERIVED_COLUMNS: tuple[Column, ...] = (
    Column("error_metric", "text", "", "Metric `error` was computed from: the benchmark's primary metric, else its "
           "complement (top1_acc for top1_err, acc for err); empty (and error empty) when the row has neither: "
           "other metrics (top-5, AP50, EM …) are kept in their columns but never mixed into `error`."),
    Column("error", "float", "fraction", "Error rate as a fraction: 1 − score/100 for accuracy, AP, F1, EM and BLEU "
           "(the paper's Figure 4 'today' values imply this: BLEU 45.6 → 54.4 %); score/100 for error metrics "
           "(top1_err, err, WER), i.e. WER as is, only rescaled to a fraction."),
    Column("gflops_per_pass", "float", "GFLOP", "flops / 1e9, else mult_adds × MULT_ADD_FLOPS (= 2: one multiply-add "
           "is two floating-point operations) / 1e9."),
    Column("gflops_source", "text", "", "Where gflops_per_pass came from: flops, mult_adds, or empty."),
    Column("gflops_imputed", "float", "GFLOP", "gflops_per_pass predicted from params by the Figure 7 conversion "
           "regression log10(gflops) = a + b·log10(params), fitted on rows that report both (one point per paper × "
           "model). Filled only where gflops_per_pass is missing and params is known."),
    Column("gflops_imputed_flag", "bool", "", "True when gflops_imputed holds an imputed value."),
    Column("hardware_burden_gflop", "float", "GFLOP", "hardware_count × hardware_gflops × training_time_hours × "
           "3600 (the paper's #processors × computation rate × time)."),
    Column("compute_sources", "text", "", "How each compute field was attached (join rule): field=model (fact for "
           "this model), field=paper (paper-level fact with empty model), field=paper_unique (the paper's only value "
           "for that field, reported for another model; flagged), joined with ';'."),
    Column("flags", "text", "", "Warnings about the row, ';'-joined: paper_unique:<field>, unknown_hardware, "
           "conflict:<field> (several reviewed values; newest version / latest decision kept), gflops_imputed."),
    Column("candidate_ids", "text", "", "Candidate ids of every fact used in the row, ';'-joined (empty for "
           "reviewer-added facts without a candidate)."),
    Column("pages", "text", "", "Evidence pages as field:page, ';'-joined."),
    Column("decisions", "text", "", "Review decisions of the facts used (accept, correct, add), ';'-joined, unique."),
)

COLUMNS: tuple[Column, ...] = _ID_COLUMNS + _METRIC_COLUMNS + _COMPUTE_COLUMNS + _DERIVED_COLUMNS
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)


def to_rows() -> list[dict[str, object]]:
    """The dictionary as CSV rows (column, type, unit, description)."""
    return [{"column": c.name, "type": c.dtype, "unit": c.unit, "description": c.description} for c in COLUMNS]


def to_markdown(extra: str = "") -> str:
    """The dictionary as a Markdown document; ``extra`` (e.g. the fitted conversion) is appended.

    >>> "| error | float | fraction |" in to_markdown()
    True
    """
    lines = [
        "# flopmine dataset: data dictionary",
        "",
        "One row per paper × model × benchmark that has at least one reviewed metric fact. "
        "Generated by `flopmine build`; see docs/analysis.md for methods.",
        "",
        "| column | type | unit | description |",
        "|---|---|---|---|",
    ]
    for c in COLUMNS:
        lines.append(f"| {c.name} | {c.dtype} | {c.unit} | {c.description.replace('|', '/')} |")
    if extra:
        lines += ["", extra.rstrip()]
    return "\n".join(lines) + "\n"
