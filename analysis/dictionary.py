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
    Column("title", "text", "", "Paper title: arXiv's from the store's papers table, else the one read from the PDF at "
           "extraction (its /Title, or the largest line atop page 1); empty when neither is known."),
    Column("year", "int", "", "Year of first submission, read from the id (paper's rule: 1811.06965v5 → 2018). "
           "In an external dataset a given year is used as is; a year-only date is fine."),
    Column("month", "int", "", "Month of first submission, read from the id (1811.06965v5 → 11); optional "
           "(an empty month counts as January in the Table 2 year trend)."),
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
    Column("hardware_gflops", "float", "GFLOPS", "GFLOPS of one `hardware` device from the hardware catalog "
           "(flopmine.hardware.hardware_figure) under the build's --hardware-basis: `peak` (default, the seed "
           "paper's: the vendor's peak per device for TPUs, e.g. 180000 per TPU v2 board, else FP32) or `fp32`; empty "
           "when the catalog does not know the device or has no figure for the basis (see `flags`)."),
    Column("hardware_figure", "text", "", "Which catalog figure hardware_gflops is: fp32 or peak (empty when none)."),
    Column("hardware_entry", "text", "", "The catalog row the `hardware` name matched (canonical name)."),
    Column("hardware_unit", "text", "", "What one counted device is for that catalog row: chip, board, tpu_core, "
           "tpu_chip or tpu_board; hardware_count is taken to count these."),
    Column("hardware_gflops_total", "float", "GFLOPS", "Aggregate rate of all training devices: hardware_count × "
           "hardware_gflops (an external dataset may give it directly)."),
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
    Column("hardware_burden_gflop", "float", "GFLOP", "hardware_gflops_total × training_time_hours × 3600 (the "
           "paper's #processors × computation rate × time)."),
    Column("compute_sources", "text", "", "How each compute field was attached (join rule): field=model (a fact "
           "naming this model), field=paper (a paper-level fact with no model, attached because this is the paper's "
           "only model, or its only model marked (ours)), joined with ';'. Paper-level facts of papers with several "
           "candidate models are attached to none (build warns)."),
    Column("flags", "text", "", "Notes about the row, ';'-joined: conflict:<field> (several reviewed values; newest "
           "version / latest decision kept), unknown_hardware (name not in the catalog), no_hardware_figure (in the "
           "catalog without a figure for the basis), gflops_imputed, gflops_imputed_extrapolated (params outside "
           "the range the conversion was fitted on), implausible:<field> (see `implausible`), forced:<field> (a "
           "reviewer kept the value although it looks implausible: `force` column of the annotations), "
           "bad_arxiv_id."),
    Column("implausible", "text", "", "Why the row looks implausible, '; '-joined (training time over 2 years; FLOPs "
           "per pass outside 1e4–1e15, params outside 1e3–1e13, devices over 1e5; GFLOPs per pass over 2 orders of "
           "magnitude off the Figure 7 line of its params; FLOPs or params over 3 orders from their year's median; "
           "error outside (0, 1)). analyze leaves these rows out of the fits and lists them in the report's "
           "problems table, unless every flagged field is forced."),
    Column("candidate_ids", "text", "", "Candidate ids of every fact used in the row, ';'-joined (empty for "
           "reviewer-added facts without a candidate)."),
    Column("pages", "text", "", "Evidence pages as field:page, ';'-joined."),
    Column("decisions", "text", "", "Review decisions of the facts used (accept, correct, add), ';'-joined, unique."),
)

COLUMNS: tuple[Column, ...] = _ID_COLUMNS + _METRIC_COLUMNS + _COMPUTE_COLUMNS + _DERIVED_COLUMNS
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
#: ``unjoined.csv`` (beside dataset.csv): every reviewed fact that reached no dataset row, with why.
UNJOINED: tuple[Column, ...] = (
    Column("arxiv_id", "text", "", "arXiv id of the fact's paper."),
    Column("version", "int", "", "Paper version the fact was reviewed on."),
    Column("benchmark", "text", "", "The fact's benchmark (empty for a paper-level compute fact)."),
    Column("model", "text", "", "The fact's model as reviewed (empty: a paper-level fact)."),
    Column("field", "text", "", "Field of the fact (flopmine.types.FIELDS)."),
    Column("value", "text", "", "The reviewed value as written in the annotations."),
    Column("unit", "text", "", "Unit as reviewed."),
    Column("page", "int", "", "Evidence page (0 when unknown)."),
    Column("decision", "text", "", "accept, correct or add."),
    Column("candidate_id", "text", "", "The candidate the decision was made on (empty for some added facts)."),
    Column("fact_key", "text", "", "flopmine.types.fact_key of the fact: its identity across paper versions."),
    Column("reason", "text", "", "Why no row: 'no benchmark' (a metric fact without a benchmark); 'no metric row for "
           "this model' (no metric row of the paper has this normalised model name: rename the model or add its "
           "metric); 'no metric row in this paper' (a paper-level fact of a paper with no metric row); 'ambiguous "
           "model' (a paper-level fact of a paper with several models, none or several marked (ours): name the "
           "model); 'the model's own fact wins' (a paper-level fact whose own model has its own value of the "
           "field)."),
    Column("detail", "text", "", "The models of the paper's rows, '; '-joined, to pick the right name from."),
)
#: Where the generated dictionary is kept in the repository (tests keep it equal to ``to_markdown()``).
DOCS_PATH = "docs/data-dictionary.md"


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
    lines += ["", "## unjoined.csv", "",
              "Every reviewed fact (accept, correct, add) that reached no row above, one per line, with why "
              "(the join rule is in docs/analysis.md). Header only when every fact joined. A superseded value of "
              "a key whose newest value reached a row is not listed: the row is flagged `conflict:<field>`.", "",
              "| column | type | description |", "|---|---|---|"]
    for c in UNJOINED:
        lines.append(f"| {c.name} | {c.dtype} | {c.description.replace('|', '/')} |")
    if extra:
        lines += ["", extra.rstrip()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # regenerate docs/data-dictionary.md: python -m flopmine.analysis.dictionary > FILE
    print(to_markdown(), end="")
