"""The learned ranker: each candidate's evidence as features, a logistic regression learned from gold facts
and reviewers' decisions, and its probability as the candidate's confidence.

- ``features(...)``: one candidate's evidence (``evidence.Evidence`` flags and tags, the rule's prior weight,
  how often the value recurs, where its value sits among the paper's values for the field, what the paper
  shows about its model in every field and table: ``_model_context``) as named
  numbers. Each feature appears twice: on its own and crossed with the field's group (``metric``,
  ``flops``, ``params``, ``hardware`` …), so the model can learn that a training sentence matters for
  an epoch count but not for an accuracy.
- ``label(...)``: a candidate that matches a gold fact (the corpus convention of ``gold.values_match``)
  is positive; the other candidates of the same paper and field are negative; candidates of a (paper,
  field) without gold are not used. Reviewers' decisions count the same way: accept / correct / add give
  the right value, reject marks a wrong one.
- ``fit(...)``: an L2-regularised logistic regression (scikit-learn's ``LogisticRegression`` objective, solved
  with scipy's L-BFGS-B so that evidence whose direction is known, ``NEGATIVE`` / ``POSITIVE``, keeps its sign);
  the model file is JSON (``Ranker.to_json``): the feature list, the coefficients, the value priors, a training
  summary and the library versions, and no paper text.
- ``rank_found(...)``: scores a paper's candidates (pure Python, a sparse dot product per candidate) and
  ranks them with ``dedupe_and_rank``: the most confident candidate per ``candidate_id``, ordered within
  (paper, field), compute fields capped for the reviewer.

Which model runs: ``<home>/models/ranker.json`` when the home has one (``flopmine ranker train`` writes
it), else the model shipped in the package (``models/default-ranker.json``, trained on the dev corpus).
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import platform
import re
import stat
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from flopmine.errors import FlopmineError
from flopmine.types import COMPUTE_FIELDS, FIELDS, Candidate, normalise_model, normalise_value

from .evidence import Evidence
from .gold import COMPLEMENT, GoldFact, score_field, values_match
from .normalise import significant_digits

log = logging.getLogger(__name__)

Found = list[tuple[Candidate, float, Evidence]]

FORMAT = "flopmine-ranker"
FORMAT_VERSION = 1
HOME_MODEL = "models/ranker.json"  # relative to the home
DEFAULT_C = 0.1  # inverse L2 strength of the logistic regression
# FLOPs / parameter values kept per model slot (paper, field, model) of a model with a result, beyond the
# per-field cap (``rank_found``): a table prints one value per model, and the dataset needs each model's cost
# beside its result. 0 turns it off (the per-field cap alone). Review cost: docs/extract.md.
DEFAULT_PER_MODEL = 1
PER_MODEL_FIELDS: tuple[str, ...] = ("flops", "mult_adds", "params")
DEFAULT_LISTWISE_C = 0.3  # … of the conditional logit within (paper, field)
# Share of the listwise objective that pulls every right value of a (paper, field) list above its wrong ones; the
# rest rewards one right value first (``_fit_listwise``). The habit: a paper reports several right values per field
# (base and big models, B0 … B7, two test sets); rewarded for its first right value only, the model lets the
# others score like baselines and they fall out of the top 3.
ALL_POSITIVES_SHARE = 0.7
# How many values of a (paper, field) list the reviewer reads first (recall@3 scores them): in the all-positives
# part of the listwise objective a right value pays for the wrong values above its level only beyond what leaves
# it among these (``_listwise_objective``). The habit it serves: a paper's several right values of a field (the
# base and the big model, two test sets) need to be among the first values shown, not above every other row of
# the paper, so the fit spends its weights on right values ranked far down rather than on ordering the top 3.
LISTWISE_SHOWN = 3
MAX_MODEL_BYTES = 4 * 2**20  # a model file is read up to this size (the shipped one is ~15 kB)
MAX_WEIGHT = 100.0  # |coefficient| and |intercept| a model may carry; 100 log-odds already saturate any probability
MAX_LOG10_VALUE = 400.0  # value priors are log10 of values: beyond float range is corrupt
RETRAIN_HINT = "retrain it with `flopmine ranker train --gold FILE … --out FILE` (or delete it to use the default)"

# compute fields: candidates kept per (paper, field) in the reviewer's list. FLOPs and parameter tables list
# many models the reviewer may want; hardware, time and schedule facts have one or two true values per paper.
# ``flops`` and ``mult_adds`` are ranked and capped together: papers call multiply-adds "FLOPs" and vice versa.
DEFAULT_MAX_PER_FIELD: dict[str, int] = {"flops": 8, "params": 8, "hardware": 4, "hardware_count": 4,
                                         "training_time_hours": 4, "epochs": 4, "training_steps": 4}
RANK_GROUP: dict[str, str] = {"mult_adds": "flops"}
DEFAULT_MIN_RELATIVE = 0.25  # compute fields: drop candidates below this share of the best confidence
# Groups of fields that share what evidence means.
FIELD_GROUP: dict[str, str] = {
    **{n: "metric" for n, s in FIELDS.items() if s.kind == "metric"},
    "flops": "flops", "mult_adds": "flops", "params": "params", "hardware": "hardware",
    "hardware_count": "hardware_count", "training_time_hours": "time", "epochs": "schedule",
    "training_steps": "schedule",
}
# Every tag a rule may put on a candidate (``Evidence.tags``); an unknown tag is a bug in a rule.
TAGS: tuple[str, ...] = (
    "other_model", "schedule_total", "pretrain", "from_value", "one_epoch", "delta", "footnote",
    "no_benchmark", "other_dataset", "setup_main", "setup_other", "later_column", "dev_set", "unlabelled_row",
    "cell_two_values", "cell_arrow", "cell_interval", "cell_assumed_scale", "cell_caption_only", "cell_row_header",
    "device_unit", "headline", "runner_up", "low_score", "rounded", "precise", "headline_model",
    "bold", "best_in_column", "best_own_in_column", "header_scale",
    # tables read as grids (extract.grid): the scale printed in the cell ("7.3M") or the caption; the caption or a
    # header names the benchmark; the values are a row of a transposed table; the row sits under a group heading
    "cell_scale", "caption_scale", "caption_benchmark", "header_benchmark", "transposed", "group_row",
    # paper-level facts (extract.rules.text_rules, hardware_mentions): the device a run was trained on, a family
    # mention resolved to (or left as) a family, machine and per-machine counts and their product, a warm-up or
    # fine-tuning schedule, a duration or count given per unit ("per 100 epochs", "per model")
    "trained_on", "resolved_family", "family_device", "machine_count", "per_machine", "device_product",
    "warmup", "fine_tune", "per_unit",
)
_FLAGS = ("ours", "citation", "train_context", "lr_schedule", "ablation", "range_", "inference", "table", "axis",
          "main_benchmark")
_APPROX = re.compile(r"(?:[∼~≈]|\babout|\baround|\broughly|\bapproximately|\bnearly|\balmost|\blevel of|"
                     r"\bbudgets? of|\bunder|\bover|\bup to)\s*$", re.IGNORECASE)
_OFF_SCALE = frozenset({"other_dataset", "delta", "low_score"})  # values that do not compete for "best"
_RULE_KINDS = ("table.text", "table.grid", "table.geometry", "hardware.catalog", "hardware.unknown")


class RankerError(FlopmineError):
    """A model file cannot be read or does not fit this version of flopmine."""


class WorseModelError(RankerError):
    """A newly trained model scores worse than the one in use, or cannot be compared with it (not written)."""


def _group(field_name: str) -> str:
    return FIELD_GROUP.get(field_name, "other")


def _value_group(c: Candidate) -> tuple[str, str]:
    return ("flops" if c.field == "mult_adds" else c.field, c.benchmark)


Priors = Mapping[str, tuple[float, float]]  # "benchmark/field" → (mean, sd) of log10(value) in training gold


def _prior_z(c: Candidate, priors: Priors) -> float | None:
    """How many standard deviations ``c``'s value lies from the values this field takes on its benchmark in
    the training data (log scale); None when there is no prior."""
    if not isinstance(c.value, (int, float)) or c.value <= 0:
        return None
    v = float(c.value)
    p = priors.get(f"{c.benchmark}/{c.field}")
    if p is None and c.field in COMPLEMENT and v < 100:
        p, v = priors.get(f"{c.benchmark}/{COMPLEMENT[c.field]}"), 100.0 - v
    if p is None:
        return None
    return abs(math.log10(v) - p[0]) / p[1]


def features(found: Found, pages: int = 0, priors: Priors | None = None) -> list[dict[str, float]]:
    """Named features of each candidate in ``found`` (one paper's ``rules.collect`` output), in order.

    >>> from flopmine.types import Candidate
    >>> c = Candidate("1", 1, "epochs", 90.0, rule="epochs.for", page=2)
    >>> f = features([(c, 0.8, Evidence(train_context=True, tags=("schedule_total",)))], pages=10)[0]
    >>> f["train_context"], f["schedule|train_context"], f["tag:schedule_total"], f["weight"]
    (1.0, 1.0, 1.0, 0.8)
    """
    repeats: Counter[tuple[str, str]] = Counter()
    in_table: set[tuple[str, str]] = set()
    in_text: set[tuple[str, str]] = set()
    summary_mention: set[tuple[str, str]] = set()
    values: dict[tuple[str, str], set[float]] = defaultdict(set)
    for c, _, ev in found:
        k = (_value_group(c)[0], normalise_value(c.value))
        repeats[k] += 1
        (in_table if ev.table else in_text).add(k)
        if c.page == 1 or ev.section in ("intro", "conclusion"):
            summary_mention.add(k)  # the abstract, introduction or conclusion restates it: a headline
        if isinstance(c.value, (int, float)) and not _OFF_SCALE.intersection(ev.tags):
            values[_value_group(c)].add(float(c.value))
    slot_ctx = _slot_context(found)
    order: dict[tuple[str, str], list[float]] = {}
    median: dict[tuple[str, str], float] = {}
    for key, vs in values.items():
        srt = sorted(vs)
        median[key] = srt[len(srt) // 2]
        spec = FIELDS.get(key[0])
        better_low = spec is not None and spec.kind == "metric" and spec.higher_is_better is False
        order[key] = sorted(vs, reverse=not better_low)
    out = []
    for i, (c, weight, ev) in enumerate(found):
        k = (_value_group(c)[0], normalise_value(c.value))
        n = repeats[k]
        if c.field == "hardware_count" and isinstance(c.value, float) and c.value == 1:
            n = 1  # "a single machine / model / GPU": the word is too common for repeats to be agreement
        f: dict[str, float] = {"bias": 1.0, "weight": float(weight), f"section:{ev.section}": 1.0,
                               "own_model": float(ev.own_model), "own_model_high": float(ev.own_model >= 0.5),
                               "repeats": math.log(n), "repeated": float(n > 1),
                               "text_and_table": float(k in in_table and k in in_text),
                               "restated": float(k in summary_mention and (c.page > 1 or n > 1)),
                               "has_model": float(bool(c.model.strip()))}
        for flag in _FLAGS:
            if getattr(ev, flag):
                f[flag.rstrip("_")] = 1.0
        for t in ev.tags:
            f[f"tag:{t}"] = 1.0
        kind = next((r for r in _RULE_KINDS if c.rule.startswith(r)), "text")
        f[f"rule:{kind}"] = 1.0
        if pages > 0 and c.page > 0:
            f["page_frac"] = (c.page - 1) / pages
        vs = order.get(_value_group(c))
        if vs and isinstance(c.value, (int, float)) and FIELDS[c.field].kind == "metric":
            # how many of the paper's other values of this field are better (values of other datasets, deltas
            # and footnote-size scores do not compete)
            v = float(c.value)
            pos = sum(1 for x in vs if (x < v if vs[0] < vs[-1] else x > v))
            f["value_first"] = float(pos == 0)
            f["value_pos"] = pos / max(1, len(vs) - 1)
            f["values_log"] = math.log(len(vs))
            med = median[_value_group(c)]
            if med > 0 and c.value > 0:
                ratio = math.log10(c.value / med)
                f["log_ratio_median"] = max(-3.0, min(3.0, ratio))
                f["far_below_median"] = float(ratio < -0.5)
                f["far_above_median"] = float(ratio > 0.5)
        if isinstance(c.value, (int, float)):
            f["one_digit"] = float(significant_digits(f"{float(c.value):g}") == 1)
            at = c.snippet.find(c.raw) if c.raw else -1
            if at > 0 and _APPROX.search(c.snippet[max(0, at - 24):at]):
                f["approx"] = 1.0  # "∼40 MFLOPs", "a budget of", "roughly 60 hours": a round figure
        z = _prior_z(c, priors or {})
        if z is None:
            f["prior_none"] = 1.0
        else:
            f["prior_z"] = min(z, 5.0)
            f["prior_far"] = float(z > 2.5)
        if c.field == "hardware_count" and isinstance(c.value, float):
            f["count_one"] = float(c.value == 1)
            f["count_pow2"] = float(c.value >= 2 and c.value == 2 ** round(math.log2(c.value)))
        if c.field == "training_steps" and isinstance(c.value, float):
            f["steps_round"] = float(c.value % 1000 == 0)
        f.update(slot_ctx[i])
        group = _group(c.field)
        out.append({**f, **{f"{group}|{name}": v for name, v in f.items()}})
    return out


@functools.lru_cache(maxsize=8192)
def _row_model(label: str) -> str:
    """A table row's label as a model name (``tables.clean_row_label``), cached: a paper repeats its labels."""
    from .tables import clean_row_label

    return clean_row_label(label)


def _slot_name(c: Candidate) -> str:
    """The model slot a candidate lands in, as ``rank_found`` and the review export name it."""
    return normalise_model(_row_model(c.model) if c.rule.startswith("table.") else c.model)


def _model_context(found: Found, names: Sequence[str]) -> list[dict[str, float]]:
    """Evidence about a model, shared by every candidate of that model (its slot name) in every field and table
    of the paper. Each feature serves one habit of how papers present their own models:

    - ``model_ours``: some value of the model is marked as the paper's ("ours", "(ours)", a row of the own
      family): a paper marks its model once, in one table or sentence, and reports it in several fields;
    - ``model_own``: the highest own-model evidence any value of the model carries (0–1);
    - ``model_bold`` / ``model_best``: some value of the model is printed bold or is the best (own) value of its
      column: the row the paper leads to in one column is its proposed model in the others too;
    - ``model_headline``: some value of the model is the paper's headline result;
    - ``model_restated``: the model is named in a value from the abstract, introduction or conclusion and also
      has a table value: the paper restates its own models' results, not the baselines';
    - ``model_cited_only``: every value of the model sits in a cited row or sentence and none is marked own: a
      baseline the paper compares with, whatever its column;
    - ``model_fields``: how many fields the model has values in (log): the paper reports cost, speed and
      several scores for what it proposes, one score for a baseline;
    - ``model_smallest`` / ``model_largest``: the model holds the lowest / highest FLOPs or parameter count among
      the own models' rows of some table (page): a paper that scales one design (B0 … B7, T/S/B/L/XL, 0.5× … 2×)
      headlines the ends of its series (the smallest and the largest) and leaves the middle sizes to the table;
      ``own_extreme`` marks the end value itself;
    - ``model_variant``: the model's name is another model name of the paper plus a qualifier ("ShuffleNet v2 2×
      (with SE)", "ResNet-50 + FPN", "ConvNeXt-T 384²", "ResNet-50 (He et al., 2016)"): a variant, ablation or
      cited restatement of a model the paper also lists plainly. Whether such rows are reported or passed over
      depends on the qualifier, so the learned weight, not this code, gives the direction.
    """
    stats: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    fields_of: dict[str, set[str]] = defaultdict(set)
    for (c, _, ev), name in zip(found, names, strict=True):
        if not name:
            continue
        s = stats[name]
        s["n"] += 1
        s["ours"] = max(s["ours"], float(ev.ours))
        s["own"] = max(s["own"], ev.own_model)
        s["bold"] = max(s["bold"], float("bold" in ev.tags))
        s["best"] = max(s["best"], float("best_own_in_column" in ev.tags or (
            "best_in_column" in ev.tags and (ev.ours or ev.own_model >= 0.5))))
        s["headline"] = max(s["headline"], float("headline" in ev.tags))
        s["summary"] = max(s["summary"], float(not ev.table and (c.page == 1 or ev.section in ("intro", "conclusion"))))
        s["table"] = max(s["table"], float(ev.table))
        s["cited"] += float(ev.citation and not ev.ours and ev.own_model < 0.5)
        fields_of[name].add(_value_group(c)[0])
    own = {n for n, s in stats.items() if s["ours"] or s["own"] >= 0.5}
    ends = _own_cost_ends(found, names, own)
    variants = _variant_names(stats)
    out: list[dict[str, float]] = []
    for i, name in enumerate(names):
        s = stats.get(name) if name else None
        if s is None:
            out.append({})
            continue
        f = {"model_own": s["own"], "model_fields": math.log(len(fields_of[name]))}
        for key in ("ours", "bold", "best", "headline"):
            if s[key]:
                f[f"model_{key}"] = 1.0
        if s["summary"] and s["table"]:
            f["model_restated"] = 1.0
        if s["cited"] == s["n"]:
            f["model_cited_only"] = 1.0
        for end, key in (("min", "model_smallest"), ("max", "model_largest")):
            if name in ends.models[end]:
                f[key] = 1.0
        if i in ends.values:
            f["own_extreme"] = 1.0
        if name in variants:
            f["model_variant"] = 1.0
        out.append(f)
    return out


_VARIANT_TAIL = re.compile(r"[\s(+/,\-–]")


def _variant_names(names: Iterable[str]) -> set[str]:
    """Model names (normalised) that are another, shorter model name of the paper followed by a qualifier that
    starts with a space or a separator: a variant row of that model.

    >>> sorted(_variant_names(["shufflenet v2 2x", "shufflenet v2 2x (with se)", "resnet-50", "resnet-50 + fpn",
    ...                        "resnet-101", "b0", "b0 ours"]))
    ['resnet-50 + fpn', 'shufflenet v2 2x (with se)']
    """
    distinct = {n for n in names if n}
    # a name's prefixes that end before a separator, looked up among the names: linear in the names' length
    return {n for n in distinct if any(n[:m.start()] in distinct for m in _VARIANT_TAIL.finditer(n, 3))}


@dataclass(frozen=True)
class _CostEnds:
    """Which own models, and which of their table values, sit at either end of a table's cost column."""

    models: dict[str, set[str]]  # "min" / "max" → own models holding the lowest / highest cost of some table
    values: set[int]  # indexes (in ``found``) of the own table values at either end


def _own_cost_ends(found: Found, names: Sequence[str], own: set[str]) -> _CostEnds:
    """The own models at either end of each table's (page's) cost field (FLOPs, params), among the table values of
    ``own`` models; a table with one own size has no ends."""
    by_table: dict[tuple[int, str], list[tuple[float, int]]] = defaultdict(list)
    for i, ((c, _, ev), name) in enumerate(zip(found, names, strict=True)):
        if (name in own and ev.table and c.field in PER_MODEL_FIELDS and isinstance(c.value, (int, float))
                and c.value > 0 and not _OFF_SCALE.intersection(ev.tags)):
            by_table[(c.page, _value_group(c)[0])].append((float(c.value), i))
    out = _CostEnds({"min": set(), "max": set()}, set())
    for vals in by_table.values():
        if len({v for v, _ in vals}) < 2:
            continue  # one own size: no series to have ends
        lo, hi = min(v for v, _ in vals), max(v for v, _ in vals)
        for v, i in vals:
            for end, at in (("min", lo), ("max", hi)):
                if v == at:
                    out.models[end].add(names[i])
                    out.values.add(i)
    return out


def _slot_context(found: Found) -> list[dict[str, float]]:
    """Features of each candidate among the other candidates of its model's slot (paper, field, model) and of
    its table, each for a habit of how papers print a model's numbers:

    - ``slot_prose_by_table``: a value from prose whose model's slot also has a table value: the table prints the
      exact per-model figure, prose rounds it ("~600M") or quotes a variant in passing;
    - ``slot_values``: how many distinct values the slot holds (log): one row label shared by several rows (a
      family name, "Ours") leaves the slot less certain;
    - ``row_has_result``: a FLOPs / params cell whose row also has a metric value on the page: results tables
      print each model's cost beside its score, architecture and ablation tables print cost alone;
    - ``main_table``: a table value on the page whose table lists the most rows of the paper's own models
      (own model or "ours") with a result: the paper's main results table, not an ablation or a side table;
    - ``row_last``: a table value in the last row of its column (``_last_rows``): papers print their own model
      below the baselines and the full model at the end of an ablation;
    - ``model_main_table``: a value of a model that has a row in that main table, wherever the value sits. Beside
      ``main_table`` it tells the proposed model's main-table value from its values in other tables: ablation
      and analysis tables repeat the proposed model under other settings, and cost or transfer tables list it
      again. The data gives the direction (trained on the 75 dev papers: −0.17 overall, −0.14 more for params,
      so a main-table model's values outside the main table rank below its main-table values).
    """
    slots: dict[tuple[str, str], list[int]] = defaultdict(list)
    names: list[str] = []
    result_rows: set[tuple[int, str]] = set()
    own_rows: dict[int, set[str]] = defaultdict(set)
    for i, (c, _, ev) in enumerate(found):
        name = _slot_name(c)
        names.append(name)
        if name:
            slots[(_value_group(c)[0], name)].append(i)
        if ev.table and FIELDS[c.field].kind == "metric" and name:
            result_rows.add((c.page, name))
            if ev.own_model >= 0.5 or ev.ours:
                own_rows[c.page].add(name)
    main_page = max(own_rows, key=lambda p: (len(own_rows[p]), -p)) if own_rows else -1
    out: list[dict[str, float]] = _model_context(found, names)
    for i in _last_rows(found):
        out[i]["row_last"] = 1.0
    for members in slots.values():
        has_table = any(found[j][2].table for j in members)
        values = {normalise_value(found[j][0].value) for j in members}
        for j in members:
            f = out[j]
            f["slot_values"] = math.log(len(values))
            if has_table and not found[j][2].table:
                f["slot_prose_by_table"] = 1.0
    on_main = {names[i] for i, (c, _, ev) in enumerate(found) if ev.table and c.page == main_page and names[i]}
    for i, name in enumerate(names):
        if name in on_main:
            out[i]["model_main_table"] = 1.0
    for i, (c, _, ev) in enumerate(found):
        if not ev.table:
            continue
        if c.field in PER_MODEL_FIELDS and names[i]:
            out[i]["row_has_result"] = float((c.page, names[i]) in result_rows)
        if c.page == main_page:
            out[i]["main_table"] = 1.0
    return out


_HEADER_TAIL = re.compile(r"\[([^\[\]]*)\]\s*$")  # the "[header]" the table readers end a cell's snippet with
ROW_TOLERANCE = 2.0  # points: cells of one printed row whose tops differ by less (sub- and superscripts) share it
MIN_COLUMN_ROWS = 3  # a column of one or two rows has no last row worth telling apart


def _table_header(snippet: str) -> str:
    """The header path a table cell's snippet ends with ("… 73.2 7 [Method Backbone Data mAP(%) FPS]"), or ""
    when the snippet has none (a cut snippet, a prose value).

    >>> _table_header("RFB Net512 VGG 33.8 [Method Backbone AP]"), _table_header("we reach 33.8 AP")
    ('Method Backbone AP', '')
    """
    m = _HEADER_TAIL.search(snippet)
    return m.group(1) if m else ""


def _last_rows(found: Found) -> list[int]:
    """Indexes (in ``found``) of the table values in the last printed row of their column.

    The habit: a paper prints its own model at the bottom of a table. A comparison table lists the baselines
    first and the proposed model (or its sizes) below them; an ablation table adds one component per row and
    ends with the full model. In the dev corpus's own-model table scores, a value in its column's last row is a
    gold fact 2.5 times as often as one in a middle row (.37 against .15). A column is the cells of one table
    (page and header path) with one field and benchmark; its rows are told apart by the cell's top edge, or by
    its left edge when the table is transposed (the models are its columns). A column needs
    ``MIN_COLUMN_ROWS`` rows to have a last one."""
    columns: dict[tuple[int, str, str, str], list[tuple[float, int]]] = defaultdict(list)
    for i, (c, _, ev) in enumerate(found):
        if ev.table and c.bbox is not None:
            at = c.bbox[0] if "transposed" in ev.tags else c.bbox[1]
            columns[(c.page, _table_header(c.snippet), c.field, c.benchmark)].append((at, i))
    out: list[int] = []
    for cells in columns.values():
        tops = sorted(at for at, _ in cells)
        rows = 1 + sum(1 for a, b in zip(tops, tops[1:], strict=False) if b - a > ROW_TOLERANCE)
        if rows < MIN_COLUMN_ROWS:
            continue
        out.extend(i for at, i in cells if at >= tops[-1] - ROW_TOLERANCE)
    return out


# ---------------------------------------------------------------- the model


@dataclass(frozen=True)
class Ranker:
    """A logistic regression over named features; ``probability`` is a candidate's confidence."""

    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    summary: Mapping[str, object] = field(default_factory=dict)
    source: str = ""  # the file it was read from, or "" when built in memory
    priors: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # see ``fit_priors``

    @functools.cached_property
    def _weights(self) -> dict[str, float]:
        return dict(zip(self.features, self.coef, strict=True))

    def probability(self, feats: Mapping[str, float]) -> float:
        """P(the candidate is a gold value of its paper and field).

        >>> Ranker(("a",), (2.0,), -1.0).probability({"a": 1.0, "unknown": 5.0})
        0.7311
        """
        w = self._weights
        z = self.intercept + sum(w.get(k, 0.0) * v for k, v in feats.items())
        return round(1 / (1 + math.exp(-max(-30.0, min(30.0, z)))), 4)

    def to_json(self) -> str:
        """The model file: format, feature list, coefficients, training summary, library versions."""
        return json.dumps({
            "format": FORMAT, "format_version": FORMAT_VERSION, "kind": "logistic_regression",
            "features": list(self.features), "coef": [round(x, 6) for x in self.coef],
            "intercept": round(self.intercept, 6),
            "priors": {k: [round(m, 2), round(sd, 2)] for k, (m, sd) in sorted(self.priors.items())},
            "summary": dict(self.summary),
        }, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "") -> Ranker:
        """Read a model file's text; ``RankerError`` when it is not one this flopmine can use."""
        where = source or "model"
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise RankerError(f"{where}: not a ranker model file (invalid JSON: {e}); {RETRAIN_HINT}") from None
        except (ValueError, RecursionError) as e:  # a number of over 4300 digits, or nesting too deep
            raise RankerError(f"{where}: not a ranker model file ({type(e).__name__}); {RETRAIN_HINT}") from None
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise RankerError(f"{where}: not a ranker model file (no \"format\": \"{FORMAT}\"); {RETRAIN_HINT}")
        if d.get("format_version") != FORMAT_VERSION:
            raise RankerError(f"{where}: model format {d.get('format_version')!r}, this flopmine reads "
                              f"{FORMAT_VERSION}; {RETRAIN_HINT}")
        feats, coef, intercept, priors = _validated(d, where)
        summary = d.get("summary") or {}
        if not isinstance(summary, dict):
            raise RankerError(f"{where}: \"summary\" must be an object; {RETRAIN_HINT}")
        return cls(feats, coef, intercept, summary, source, priors)

    def describe(self, top: int = 12) -> list[tuple[str, float]]:
        """The ``top`` features with the largest weight (either sign), for ``flopmine ranker show``."""
        return sorted(zip(self.features, self.coef, strict=True), key=lambda x: -abs(x[1]))[:top]


def _number(x: object, what: str, where: str, bound: float) -> float:
    """``x`` as a finite float within ±``bound``; ``RankerError`` naming the file and the entry otherwise."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise RankerError(f"{where}: {what} is {x!r}, not a number; {RETRAIN_HINT}")
    try:
        v = float(x)
    except OverflowError:
        v = math.inf
    if not math.isfinite(v) or abs(v) > bound:
        raise RankerError(f"{where}: {what} is {x!r}, not a finite number within ±{bound:g}; {RETRAIN_HINT}")
    return v


def _validated(d: Mapping[str, object], where: str) -> tuple[tuple[str, ...], tuple[float, ...], float,
                                                              dict[str, tuple[float, float]]]:
    """The feature list, coefficients, intercept and value priors of a parsed model file, each checked: names
    are distinct non-empty strings, one finite coefficient of at most ``MAX_WEIGHT`` per name, priors finite
    with a positive spread."""
    feats, coef = d.get("features"), d.get("coef")
    if not isinstance(feats, list) or not all(isinstance(x, str) and x for x in feats):
        raise RankerError(f"{where}: \"features\" must be a list of feature names; {RETRAIN_HINT}")
    if len(set(feats)) != len(feats):
        dup = next(x for x in feats if feats.count(x) > 1)
        raise RankerError(f"{where}: feature {dup!r} listed twice; {RETRAIN_HINT}")
    if not isinstance(coef, list):
        raise RankerError(f"{where}: \"coef\" must be a list of numbers; {RETRAIN_HINT}")
    if len(feats) != len(coef):
        raise RankerError(f"{where}: {len(feats)} features but {len(coef)} coefficients; {RETRAIN_HINT}")
    weights = tuple(_number(x, f"the weight of {n!r}", where, MAX_WEIGHT) for n, x in zip(feats, coef, strict=True))
    if "intercept" not in d:
        raise RankerError(f"{where}: no \"intercept\"; {RETRAIN_HINT}")
    intercept = _number(d["intercept"], "the intercept", where, MAX_WEIGHT)
    raw = d.get("priors") or {}
    if not isinstance(raw, dict):
        raise RankerError(f"{where}: \"priors\" must be an object; {RETRAIN_HINT}")
    priors: dict[str, tuple[float, float]] = {}
    for k, v in raw.items():
        if not isinstance(v, list) or len(v) != 2:
            raise RankerError(f"{where}: prior {k!r} must be [mean, sd]; {RETRAIN_HINT}")
        mean = _number(v[0], f"prior {k!r} mean", where, MAX_LOG10_VALUE)
        sd = _number(v[1], f"prior {k!r} sd", where, MAX_LOG10_VALUE)
        if sd <= 0:
            raise RankerError(f"{where}: prior {k!r} sd is {v[1]!r}, not positive; {RETRAIN_HINT}")
        priors[str(k)] = (mean, sd)
    return tuple(feats), weights, intercept, priors


def load_model(path: Path | str) -> Ranker:
    """Read a model file; a missing, dangling, oversized, non-regular or invalid file is a ``RankerError``
    naming it and how to retrain. At most ``MAX_MODEL_BYTES`` are read."""
    p = Path(path)
    if p.is_symlink() and not p.exists():
        raise RankerError(f"{p}: model file is a dangling symbolic link (to {os.readlink(p)}); {RETRAIN_HINT}")
    try:
        st = p.stat()
        if not stat.S_ISREG(st.st_mode):
            raise RankerError(f"{p}: model file is not a regular file; {RETRAIN_HINT}")
        with open(p, "rb") as fh:
            data = fh.read(MAX_MODEL_BYTES + 1)
    except FileNotFoundError:
        raise RankerError(f"{p}: model file not found; {RETRAIN_HINT}") from None
    except OSError as e:
        raise RankerError(f"{p}: cannot read the model file ({e.strerror or e}); {RETRAIN_HINT}") from None
    if len(data) > MAX_MODEL_BYTES:
        raise RankerError(f"{p}: model file is larger than {MAX_MODEL_BYTES // 2**20} MiB; {RETRAIN_HINT}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise RankerError(f"{p}: model file is not UTF-8 text; {RETRAIN_HINT}") from None
    return Ranker.from_json(text, str(p))


def default_model_path() -> Path:
    """The model shipped in the package (trained on the dev corpus; weights only)."""
    return Path(__file__).resolve().parent / "models" / "default-ranker.json"


@functools.lru_cache(maxsize=1)
def default_model() -> Ranker:
    """The shipped model (read once per process)."""
    return load_model(default_model_path())


def home_model_path(home_root: Path | str) -> Path:
    """Where a home's own trained model lives: ``<home>/models/ranker.json``."""
    return Path(home_root) / HOME_MODEL


def _has_home_model(home_root: Path | str | None) -> bool:
    """Whether the home has a model file of its own; a symbolic link counts even when dangling, so that a
    broken link is an error naming it rather than a silent switch to the shipped model."""
    return home_root is not None and os.path.lexists(home_model_path(home_root))


def model_for_home(home_root: Path | str | None) -> Ranker:
    """The home's trained model when it has one (an unreadable one is an error), else the shipped default."""
    if home_root is not None and _has_home_model(home_root):
        return load_model_cached(home_model_path(home_root))
    return default_model()


@functools.lru_cache(maxsize=4)
def _load_cached(path: str, mtime_ns: int) -> Ranker:
    return load_model(path)


def load_model_cached(path: Path | str) -> Ranker:
    """``load_model``, read again only when the file changes (workers rank many papers with one model)."""
    p = Path(path)
    try:
        mtime = p.stat().st_mtime_ns
    except OSError:
        return load_model(p)  # raises the error naming the file
    return _load_cached(str(p), mtime)


def model_path_for(home_root: Path | str | None, explicit: Path | str | None = None) -> str:
    """The model file extraction should use, checked readable: ``explicit`` when given (missing or
    unreadable → ``RankerError`` naming it), else the home's ``models/ranker.json`` when present, else ""
    (the shipped default)."""
    if explicit is not None:
        load_model(explicit)
        return str(Path(explicit).resolve())
    if home_root is not None and _has_home_model(home_root):
        load_model(home_model_path(home_root))
        return str(home_model_path(home_root).resolve())
    default_model()
    return ""


def model_in_use(home_root: Path | str | None) -> str:
    """One line for ``flopmine status``: which ranking model extraction uses.

    >>> model_in_use(None).startswith("default")
    True
    """
    if home_root is not None and _has_home_model(home_root):
        p = home_model_path(home_root)
        try:
            m = load_model_cached(p)
        except RankerError as e:
            return f"unreadable: {e}"
        return f"home ({p}; {m.summary.get('trained_at', '?')}, {m.summary.get('samples', '?')} samples)"
    m = default_model()
    return f"default (shipped; {m.summary.get('samples', '?')} samples from {m.summary.get('papers', '?')} papers)"


# ---------------------------------------------------------------- scoring and ranking


def score_found(found: Found, model: Ranker, pages: int = 0) -> list[Candidate]:
    """The candidates of one paper with the model's probability as confidence (not yet ranked)."""
    feats = features(found, pages, model.priors)
    return [replace(c, confidence=model.probability(f)) for (c, _, _), f in zip(found, feats, strict=True)]


def rank_found(found: Found, model: Ranker, pages: int = 0, *, max_per_field: dict[str, int] | None = None,
               min_relative: float | None = None, per_model: int | None = None) -> list[Candidate]:
    """Score one paper's candidates and rank them within (paper, field), capping compute fields."""
    # table rows' labels become model names only now: the evidence above read the raw label ("[12]", "(ours)")
    scored = [replace(c, model=_row_model(c.model)) if c.rule.startswith("table.") else c
              for c in score_found(found, model, pages)]
    scored = rounded_below_precise(scored, found)
    floor = DEFAULT_MIN_RELATIVE if min_relative is None else min_relative
    capped = dedupe_and_rank(scored, max_per_field=max_per_field, min_relative=floor)
    keep = DEFAULT_PER_MODEL if per_model is None else per_model
    return distinct_values_first(_with_model_slots(capped, scored, keep) if keep else capped)


def distinct_values_first(ranked: list[Candidate]) -> list[Candidate]:
    """Within each (paper, field) list, values not yet shown come before repeats of a value ranked higher,
    without changing the order within any model slot; ranks are renumbered.

    The habit: a paper states its headline numbers several times (abstract, introduction, the results table,
    the conclusion; a row read by two table readers), so the same value under two names fills the top of the
    list twice while the paper's other facts wait below. A reviewer settles a value once; showing the next
    distinct value instead gives each row of the list something new. The first candidate never moves, and each
    model slot keeps its own order (``review.slots`` shows a slot's members by rank), so top-1 and the first
    value of every slot are unchanged.

    >>> cs = [Candidate("1", 1, "bleu", v, model=m, rank=r) for r, (v, m) in enumerate(
    ...       [(28.4, "Big"), (28.4, ""), (28.4, "Big v2"), (27.3, "Base"), (41.8, "Big")], 1)]
    >>> [(c.value, c.model, c.rank) for c in distinct_values_first(cs)]
    [(28.4, 'Big', 1), (27.3, 'Base', 2), (41.8, 'Big', 3), (28.4, '', 4), (28.4, 'Big v2', 5)]
    """
    groups: dict[tuple[str, int, str], list[Candidate]] = defaultdict(list)
    for c in ranked:
        groups[(c.arxiv_id, c.version, RANK_GROUP.get(c.field, c.field))].append(c)
    out: list[Candidate] = []
    for members in groups.values():
        rest = [(normalise_model(c.model), normalise_value(c.value), c) for c in sorted(members, key=lambda c: c.rank)]
        queues: dict[str, list[Candidate]] = defaultdict(list)  # each slot's members, best first
        for slot, _, c in rest:
            queues[slot].append(c)
        heads = dict.fromkeys(queues, 0)  # index of each slot's next member
        shown: set[str] = set()
        picked: list[Candidate] = []
        while rest:
            first_head, choice = -1, -1
            for k, (slot, value, c) in enumerate(rest):
                if queues[slot][heads[slot]] is not c:
                    continue  # a slot's lower member waits for the one above it
                if first_head < 0:
                    first_head = k
                if value not in shown:
                    choice = k
                    break
            # the best remaining candidate always heads its slot, so first_head is set
            slot, value, pick = rest.pop(choice if choice >= 0 else first_head)
            heads[slot] += 1
            shown.add(value)
            picked.append(pick)
        out.extend(c if c.rank == i else replace(c, rank=i) for i, c in enumerate(picked, 1))
    return out


def _rounds_to(precise: float, rounded: float, digits: int) -> bool:
    """Whether ``rounded`` is ``precise`` written with ``digits`` significant digits ("4 hours" for 4.1)."""
    return (digits > 0 and precise > 0 and precise != rounded and abs(precise - rounded) <= 0.05 * precise
            and float(f"{precise:.{digits}g}") == rounded)


def rounded_below_precise(scored: list[Candidate], found: Found) -> list[Candidate]:
    """A fixed rule, not a weight: a rounded mention of a value the paper also states precisely ranks below
    its precise twin, and its confidence counts for that twin.

    The habit: the abstract and introduction round a figure ("trains in 4 hours", "~600M FLOPs") that the
    method section or a table states exactly ("4.1 hours", "565M"), and the reviewer records the exact one.
    ``rules.paper`` tags both (``rounded`` / ``precise``, ``paper_evidence._precise_over_rounded``); here the
    best-scored precise twin of each rounded candidate (same field group and benchmark) takes the higher of the
    two confidences, and the rounded one is kept at most one step (0.0001) below it. ``scored`` is ``found``
    scored, in the same order.

    >>> c = Candidate("1", 1, "training_time_hours", 4.0, raw="4 hours", confidence=0.42)
    >>> d = replace(c, value=4.1, raw="4.1 hours", confidence=0.40)
    >>> out = rounded_below_precise([c, d], [(c, 1.0, Evidence(tags=("rounded",))), (d, 1.0, Evidence(tags=("precise",)))])
    >>> [(x.value, x.confidence) for x in out]
    [(4.0, 0.4199), (4.1, 0.42)]
    """
    # the most confident precise candidate of each value, per field group and benchmark
    precise: dict[tuple[str, str], dict[float, int]] = defaultdict(dict)
    rounded: list[int] = []
    for i, (c, _, ev) in enumerate(found):
        if isinstance(c.value, (int, float)) and not isinstance(c.value, bool):
            if "precise" in ev.tags:
                best = precise[_value_group(c)]
                j = best.get(float(c.value))
                if j is None or scored[i].confidence > scored[j].confidence:
                    best[float(c.value)] = i
            if "rounded" in ev.tags:
                rounded.append(i)
    twin_of: dict[int, int] = {}
    memo: dict[tuple[tuple[str, str], float, int], int | None] = {}  # a paper repeats its rounded mentions
    for i in rounded:
        c = found[i][0]
        key = (_value_group(c), float(c.value), significant_digits(c.raw))
        if key not in memo:
            twins = [j for u, j in precise.get(key[0], {}).items() if _rounds_to(u, key[1], key[2])]
            memo[key] = max(twins, key=lambda j: (scored[j].confidence, -j)) if twins else None
        twin = memo[key]
        if twin is not None:
            twin_of[i] = twin
    if not twin_of:
        return scored
    conf = [c.confidence for c in scored]
    for i, j in twin_of.items():  # the rounded mention's evidence counts for its twin
        conf[j] = max(conf[j], scored[i].confidence)
    for i, j in twin_of.items():
        conf[i] = max(0.0, min(conf[i], round(conf[j] - 0.0001, 4)))
    return [replace(c, confidence=p) if p != c.confidence else c for c, p in zip(scored, conf, strict=True)]


def _with_model_slots(capped: list[Candidate], scored: list[Candidate], keep: int) -> list[Candidate]:
    """``capped`` plus, for each model with a result in the paper, its best ``keep`` FLOPs / parameter values
    that ``capped`` does not hold.

    A FLOPs or parameters table prints one value per model, while the per-field cap keeps the paper's best few;
    a reviewer decides per fact slot (paper, field, model), and the dataset joins a model's cost to that model's
    result. So each model that has a metric value among the candidates (its row is read anyway) gets ``keep``
    more values of its slot, ranked after the field's best (a slot the cap filled with a wrong value still shows
    the next one); a model without a result gets none (its cost joins nothing). The list grows by at most
    ``keep`` per (result model, field)."""
    with_result = {normalise_model(c.model) for c in scored if FIELDS[c.field].kind == "metric" and c.model.strip()}
    shown: Counter[tuple[str, str]] = Counter()
    kept = {c.candidate_id for c in capped if c.field in PER_MODEL_FIELDS}
    pool = [(c, (RANK_GROUP.get(c.field, c.field), normalise_model(c.model))) for c in scored
            if c.field in PER_MODEL_FIELDS]
    extra: list[Candidate] = []
    # most confident first, so each candidate_id is met first at its best (as ``dedupe_and_rank`` keeps it)
    for c, slot in sorted((x for x in pool if x[1][1] in with_result),
                          key=lambda x: (-x[0].confidence, x[0].page, str(x[0].value), x[0].model)):
        cid = c.candidate_id
        if cid in kept or shown[slot] >= keep:
            continue
        kept.add(cid)
        shown[slot] += 1
        extra.append(c)
    if not extra:
        return capped
    by_group: dict[str, list[Candidate]] = defaultdict(list)
    for c in [*capped, *sorted(extra, key=lambda c: (-c.confidence, c.page))]:
        by_group[RANK_GROUP.get(c.field, c.field)].append(c)
    return [replace(c, rank=i) for cs in by_group.values() for i, c in enumerate(cs, 1)]


def _better_first(c: Candidate) -> float:
    """Tie-break among equally scored metric values: the better score first (the headline is a paper's
    best result); 0 for other fields, which keep page order."""
    spec = FIELDS.get(c.field)
    if spec is None or spec.kind != "metric" or spec.higher_is_better is None or not isinstance(c.value, (int, float)):
        return 0.0
    return -float(c.value) if spec.higher_is_better else float(c.value)


def dedupe_and_rank(cands: list[Candidate], *, max_per_field: dict[str, int] | None = None,
                    min_relative: float = DEFAULT_MIN_RELATIVE,
                    limited: tuple[str, ...] = COMPUTE_FIELDS) -> list[Candidate]:
    """Keep the most confident candidate per ``candidate_id``, then rank within (paper, field)
    (``mult_adds`` ranks with ``flops``).

    For ``limited`` fields (compute facts, where a reviewer wants a short list) only the best
    ``max_per_field[field]`` candidates (default ``DEFAULT_MAX_PER_FIELD``), and only those within
    ``min_relative`` of the best confidence, are kept. Ties are broken by page (earlier first) then value,
    so ranks are stable across runs.

    >>> cs = [Candidate("1", 1, "epochs", v, confidence=p, page=1) for v, p in ((30.0, .2), (90.0, .9), (90.0, .5))]
    >>> [(c.value, c.rank) for c in dedupe_and_rank(cs, max_per_field={"epochs": 5}, min_relative=0.0)]
    [(90.0, 1), (30.0, 2)]
    """
    best: dict[str, Candidate] = {}
    for c in cands:
        cur = best.get(c.candidate_id)
        if cur is None or (c.confidence, -c.page) > (cur.confidence, -cur.page):
            best[c.candidate_id] = c
    groups: dict[tuple[str, int, str], list[Candidate]] = defaultdict(list)
    for c in best.values():
        groups[(c.arxiv_id, c.version, RANK_GROUP.get(c.field, c.field))].append(c)
    out: list[Candidate] = []
    for key in sorted(groups):
        ordered = sorted(groups[key], key=lambda c: (-c.confidence, _better_first(c), c.page, str(c.value), c.model))
        if key[2] in limited and ordered:
            floor = ordered[0].confidence * min_relative
            limit = (DEFAULT_MAX_PER_FIELD if max_per_field is None else max_per_field).get(key[2], len(ordered))
            kept = [c for c in ordered if c.confidence >= floor][:limit]
            if len(kept) < len(ordered):
                log.debug("%s %s: kept %d of %d candidates", key[0], key[2], len(kept), len(ordered))
            ordered = kept
        out.extend(replace(c, rank=i) for i, c in enumerate(ordered, 1))
    return out


# ---------------------------------------------------------------- labels and training


@dataclass(frozen=True)
class Truth:
    """What is known right for one paper: gold or accepted values, and values reviewers rejected."""

    right: tuple[tuple[str, float | str], ...] = ()  # (field, value)
    wrong: tuple[tuple[str, float | str], ...] = ()
    benchmarks: tuple[str, ...] = ()  # the benchmark of each right value ("" for paper-level facts)


def truths_from_gold(gold: Iterable[object]) -> dict[str, Truth]:
    """Gold facts (``gold.GoldFact``) grouped by paper."""
    right: dict[str, list[tuple[str, float | str]]] = defaultdict(list)
    bench: dict[str, list[str]] = defaultdict(list)
    for g in gold:
        right[g.arxiv_id].append((g.field, g.value))  # type: ignore[attr-defined]
        bench[g.arxiv_id].append(g.benchmark)  # type: ignore[attr-defined]
    return {k: Truth(tuple(v), (), tuple(bench[k])) for k, v in right.items()}


def truths_from_decisions(decisions: Iterable[object]) -> dict[str, Truth]:
    """Reviewers' decisions (``review.decision.Decision``) as truths: accept/add → right value, correct →
    the corrected value right and the candidate's value wrong, reject → wrong."""
    right: dict[str, list[tuple[str, float | str]]] = defaultdict(list)
    bench: dict[str, list[str]] = defaultdict(list)
    wrong: dict[str, list[tuple[str, float | str]]] = defaultdict(list)
    for d in decisions:
        aid, fld, kind = d.arxiv_id, d.field, d.decision  # type: ignore[attr-defined]
        if kind in ("accept", "add"):
            right[aid].append((fld, d.value))  # type: ignore[attr-defined]
            bench[aid].append(d.benchmark)  # type: ignore[attr-defined]
        elif kind == "correct" and d.corrected_value is not None:  # type: ignore[attr-defined]
            right[aid].append((fld, d.corrected_value))  # type: ignore[attr-defined]
            bench[aid].append(d.benchmark)  # type: ignore[attr-defined]
            wrong[aid].append((fld, d.value))  # type: ignore[attr-defined]
        elif kind == "reject":
            wrong[aid].append((fld, d.value))  # type: ignore[attr-defined]
    return {k: Truth(tuple(right.get(k, ())), tuple(wrong.get(k, ())), tuple(bench.get(k, ())))
            for k in {*right, *wrong}}


def gold_from_decisions(decisions: Iterable[object]) -> list[GoldFact]:
    """The values reviewers settled (accept, add, the corrected value of a correct) as gold facts, so that a
    model trained on decisions can be scored on them; one per (paper, field, benchmark, model, value)."""
    out: dict[tuple[str, str, str, str, str], GoldFact] = {}
    for d in decisions:
        kind = d.decision  # type: ignore[attr-defined]
        value = d.corrected_value if kind == "correct" else d.value  # type: ignore[attr-defined]
        if kind not in ("accept", "add", "correct") or value is None:
            continue
        g = GoldFact(d.arxiv_id, d.field, value, d.benchmark, d.model)  # type: ignore[attr-defined]
        out.setdefault((g.arxiv_id, g.field, g.benchmark, normalise_model(g.model), normalise_value(value)), g)
    return list(out.values())


def wrong_only(truths: Mapping[str, Truth]) -> dict[str, Truth]:
    """Truths with their right values dropped: the rejections, for training beside gold that holds the rest."""
    return {k: Truth((), t.wrong, ()) for k, t in truths.items() if t.wrong}


def merge_truths(*parts: Mapping[str, Truth]) -> dict[str, Truth]:
    """Truths of several sources combined per paper."""
    out: dict[str, Truth] = {}
    for part in parts:
        for k, t in part.items():
            cur = out.get(k, Truth())
            out[k] = Truth(cur.right + t.right, cur.wrong + t.wrong, cur.benchmarks + t.benchmarks)
    return out


def label(c: Candidate, truth: Truth) -> int | None:
    """1 when ``c`` matches a right value of its field, 0 when it matches a wrong one or its (paper, field)
    has right values it does not match, None when nothing is known about its field."""
    sf = score_field(c.field)
    related = [(f, v) for f, v in truth.right if score_field(f) == sf or COMPLEMENT.get(f) == c.field]
    if any(values_match(f, v, c.field, c.value) for f, v in related):
        return 1
    wrong = [(f, v) for f, v in truth.wrong if score_field(f) == sf or COMPLEMENT.get(f) == c.field]
    if related or any(values_match(f, v, c.field, c.value) for f, v in wrong):
        return 0
    return None


@dataclass
class Samples:
    """Training rows: features, labels and the paper each came from."""

    feats: list[dict[str, float]] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    papers: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # paper|field, for weighting

    def extend(self, other: Samples) -> None:
        self.feats += other.feats
        self.labels += other.labels
        self.papers += other.papers
        self.groups += other.groups


DEFAULT_MIN_PRIOR_FACTS = 5  # a benchmark's field gets a prior from this many right values (several papers)


def fit_priors(truths: Mapping[str, Truth], min_facts: int = DEFAULT_MIN_PRIOR_FACTS) -> dict[str, tuple[float, float]]:
    """Mean and spread of log10(value) of the right values of each (benchmark, numeric field), from at least
    ``min_facts`` values of at least two papers: how large an ImageNet error or a COCO AP usually is."""
    vals: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for aid, t in truths.items():
        for (fld, v), b in zip(t.right, t.benchmarks or ("",) * len(t.right), strict=False):
            if FIELDS[fld].numeric and isinstance(v, (int, float)) and v > 0:
                vals[f"{b}/{fld}"].append((math.log10(float(v)), aid))
    out = {}
    for k, xs in vals.items():
        if len(xs) >= min_facts and len({a for _, a in xs}) >= 2:
            ys = [x for x, _ in xs]
            mu = sum(ys) / len(ys)
            sd = math.sqrt(sum((y - mu) ** 2 for y in ys) / len(ys))
            out[k] = (mu, max(sd, 0.05))
    return out


def samples(found_by_paper: Mapping[str, tuple[Found, int]], truths: Mapping[str, Truth],
            priors: Priors | None = None) -> Samples:
    """Labelled feature rows of every paper that has a truth (``found_by_paper``: id → (found, pages))."""
    out = Samples()
    for aid, (found, pages) in sorted(found_by_paper.items()):
        truth = truths.get(aid)
        if truth is None:
            continue
        for (c, _, _), f in zip(found, features(found, pages, priors), strict=True):
            y = label(c, truth)
            if y is None:
                continue
            out.feats.append(f)
            out.labels.append(y)
            out.papers.append(aid)
            out.groups.append(f"{aid}|{score_field(c.field)}")
    return out


def library_versions() -> dict[str, str]:
    """Versions of what trained a model (recorded in the model file), read without importing them."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("flopmine", "numpy", "scipy"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "?"
    return out


def train(found_by_paper: Mapping[str, tuple[Found, int]], truths: Mapping[str, Truth], *, c: float = DEFAULT_C,
          summary: Mapping[str, object] | None = None, listwise: bool = True, prior: Ranker | None = None) -> Ranker:
    """Fit priors and the logistic regression on the papers of ``found_by_paper`` that have a truth.

    ``prior``: a model to start from (e.g. the shipped one when learning from a few reviewers' decisions): the
    fit is regularised toward its coefficients instead of toward zero, and its value priors are kept where the
    new truths give none, so a few decisions nudge it rather than replace it."""
    priors = {**(prior.priors if prior is not None else {}), **fit_priors(truths)}
    return replace(fit(samples(found_by_paper, truths, priors), c=c, summary=summary, listwise=listwise, prior=prior),
                   priors=priors)


def fit(data: Samples, *, c: float = DEFAULT_C, min_count: int = 3, summary: Mapping[str, object] | None = None,
        listwise: bool = True, listwise_c: float | None = None, prior: Ranker | None = None) -> Ranker:
    """Fit the ranker on labelled rows. Features seen in fewer than ``min_count`` rows are left out, unless
    ``prior`` has them: then the L2 penalty pulls each coefficient toward ``prior``'s instead of toward zero
    (features the new rows never show keep ``prior``'s weight).

    First a logistic regression (each (paper, field) weighing about the same, so long tables do not drown
    single facts); then, with ``listwise``, the coefficients are refit as a conditional logit within each
    (paper, field), which rewards ranking a right value first and every right value above the wrong ones
    (``ALL_POSITIVES_SHARE``), and calibrated back to a probability
    (σ(a·score + b)). The result is one linear score and a sigmoid either way."""
    import numpy as np
    from scipy.sparse import csr_matrix

    if len(set(data.labels)) < 2:
        raise RankerError("training needs both right and wrong candidates; give gold or decisions that "
                          "match some candidates and not others")
    counts: Counter[str] = Counter(k for f in data.feats for k in f)
    start = dict(zip(prior.features, prior.coef, strict=True)) if prior is not None else {}
    names = sorted({*(k for k, n in counts.items() if n >= min_count), *start} - {"bias"})
    index = {k: i for i, k in enumerate(names)}
    rows, cols, vals = [], [], []
    for i, f in enumerate(data.feats):
        for k, v in f.items():
            j = index.get(k)
            if j is not None and v:
                rows.append(i)
                cols.append(j)
                vals.append(v)
    x = csr_matrix((vals, (rows, cols)), shape=(len(data.feats), len(names)))
    size = Counter(data.groups)
    w = np.array([1.0 / math.sqrt(size[g]) for g in data.groups])
    w *= len(w) / w.sum()
    listwise_c = DEFAULT_LISTWISE_C if listwise_c is None else listwise_c
    y = np.array(data.labels, dtype=float)
    bounds = [_sign_bound(n) for n in names] + [(None, None)]
    center = np.array([_clip(start.get(n, 0.0), b) for n, b in zip(names, bounds, strict=False)])
    coef, intercept = _fit_bounded(x, y, w, c, bounds, center=center,
                                   intercept=prior.intercept if prior is not None else 0.0)
    if listwise:
        coef = _fit_listwise(x, y, data.groups, listwise_c, bounds[:-1], coef, center=center)
        # calibrate: P(right) = σ(a·score + b) on the training rows, folded into the coefficients
        score_col = (x @ np.asarray(coef)).reshape(-1, 1)
        # from scratch the scale is free (C=1e4); from a start model it is pulled toward 1 like the coefficients
        (a,), b = _fit_bounded(csr_matrix(score_col), y, w, 1e4 if prior is None else c, [(0.0, None), (None, None)],
                               center=None if prior is None else [1.0],
                               intercept=0.0 if prior is None else prior.intercept)
        coef, intercept = [a * v for v in coef], b
    info = {"samples": len(data.labels), "positives": int(sum(data.labels)), "papers": len(set(data.papers)),
            "c": c, "listwise_c": listwise_c if listwise else None,
            "all_positives_share": ALL_POSITIVES_SHARE if listwise else None,
            "listwise_shown": LISTWISE_SHOWN if listwise else None,
            "sign_constraints": sum(b != (None, None) for b in bounds), "libraries": library_versions(),
            **({"started_from": prior.source or "model in memory",
                "started_from_samples": prior.summary.get("samples")} if prior is not None else {}),
            **(summary or {})}
    return Ranker(tuple(names), tuple(float(v) for v in coef), float(intercept), info)


# The direction of some evidence is known before any data: a reference list or a figure axis never makes a
# value more likely to be the paper's own result. These features' weights are kept ≤ 0 (or ≥ 0); the data
# decides how much. Applied to the feature and to each of its per-group copies.
NEGATIVE: frozenset[str] = frozenset({
    "section:references", "section:related", "citation", "axis", "lr_schedule", "range", "inference",
    "tag:delta", "tag:from_value", "tag:other_model", "tag:other_dataset", "tag:footnote", "tag:one_epoch",
    "tag:rounded", "tag:dev_set", "tag:setup_other", "tag:low_score", "tag:unlabelled_row", "prior_z",
    "prior_far",
})
POSITIVE: frozenset[str] = frozenset({
    "ours", "own_model", "own_model_high", "tag:headline", "tag:precise", "tag:setup_main", "tag:headline_model",
    "main_benchmark", "tag:schedule_total", "tag:pretrain", "tag:bold", "tag:best_own_in_column",
})


def _clip(v: float, bound: tuple[float | None, float | None]) -> float:
    lo, hi = bound
    return max(lo, v) if lo is not None and v < lo else (min(hi, v) if hi is not None and v > hi else v)


def _sign_bound(name: str) -> tuple[float | None, float | None]:
    base = name.split("|", 1)[-1]
    if base in NEGATIVE:
        return (None, 0.0)
    if base in POSITIVE:
        return (0.0, None)
    return (None, None)


def _fit_listwise(x: object, y: object, groups: list[str], c: float, bounds: list[tuple[float | None, float | None]],
                  start: list[float], center: object = None) -> list[float]:
    """Conditional logit: within each (paper, field) with a right value, maximise the share of the softmax
    that falls on right candidates (what top-1 rewards), mixed (``ALL_POSITIVES_SHARE``) with each right candidate
    against the list's wrong ones (what recall@3 rewards when a list has several right values;
    ``_listwise_objective``). The L2 penalty pulls toward ``center`` (default 0)."""
    import numpy as np
    from scipy.optimize import minimize

    mid = np.zeros(len(start)) if center is None else np.asarray(center)
    loss = _listwise_objective(x, y, groups, c, mid)
    res = minimize(loss, np.asarray(start), jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 3000})
    return [float(v) for v in res.x]


def _listwise_objective(x: object, y: object, groups: list[str], c: float, center: object, *,
                        every: float | None = None, shown: int | None = None) -> Callable[..., tuple[float, object]]:
    """The listwise loss and its gradient as a function of the coefficients, over the (paper, field) lists of
    ``groups`` that have a right value.

    Two parts: ``1 − every`` of it is the conditional logit −log(Σ_right e^s / Σ_all e^s) (one right value first:
    top-1); ``every`` (``ALL_POSITIVES_SHARE``) is, for each right value r, log(1 + Σ_wrong e^(s_w − s_r) / shown),
    averaged over the list's right values. With ``shown`` = 1 that pulls each right value above all wrong ones;
    with ``LISTWISE_SHOWN`` (3) the pull fades once the wrong values at its level are fewer than the values a
    reviewer reads first (log(1 + e^(m − log 3)) instead of log(1 + e^m), m = log Σ e^(s_w) − s_r), so a right
    value ranked far down weighs more than one already near the top. The L2 penalty pulls toward ``center``."""
    import numpy as np
    from scipy.sparse import csr_matrix

    every = ALL_POSITIVES_SHARE if every is None else every
    k = float(LISTWISE_SHOWN if shown is None else shown)
    gid: dict[str, int] = {}
    g = np.array([gid.setdefault(name, len(gid)) for name in groups])
    ng = len(gid)
    yv = np.asarray(y)
    has_pos = np.zeros(ng, dtype=bool)
    has_pos[g[yv > 0]] = True
    keep = has_pos[g]
    xk = x[keep]  # type: ignore[index]
    gk, yk = g[keep], yv[keep]
    onehot = csr_matrix((np.ones(len(gk)), (np.arange(len(gk)), gk)), shape=(len(gk), ng))
    mid = np.asarray(center)
    is_pos = yk > 0
    n_pos = onehot.T @ yk
    w_pos = np.where(is_pos, 1.0 / np.maximum(n_pos[gk], 1.0), 0.0)  # each positive weighs 1/|positives of its list|

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        sc = xk @ beta
        mx = np.zeros(ng)
        np.maximum.at(mx, gk, sc)
        e = np.exp(sc - mx[gk])
        tot = onehot.T @ e
        pos = onehot.T @ (e * yk)
        ok = pos > 0
        d = beta - mid
        f = float(np.sum(np.log(tot[ok]) - np.log(pos[ok]))) * c * (1 - every) + 0.5 * float(d @ d)
        p_all = e / tot[gk]
        p_pos = np.where(yk > 0, e / np.where(pos[gk] > 0, pos[gk], 1.0), 0.0)
        coefs = (1 - every) * (p_all - p_pos)
        if every:
            # each right value against the wrong ones of its list: log(e_right + Σ_wrong e / k) − log e_right,
            # averaged over the list's right values, so a second right value (the big model beside the base) is
            # pulled up too, until it is among the first k
            neg = tot - pos
            denom = np.where(is_pos, e + neg[gk] / k, 1.0)
            f += c * every * float(np.sum(w_pos * (np.log(denom) - (sc - mx[gk]))))
            a = onehot.T @ (w_pos / denom)
            coefs = coefs + every * np.where(is_pos, w_pos * (e / denom - 1.0), e * a[gk] / k)
        grad = c * (xk.T @ coefs) + d
        return f, grad

    return loss


def _fit_bounded(x: object, y: object, w: object, c: float,
                 bounds: list[tuple[float | None, float | None]], *, center: object = None,
                 intercept: float = 0.0) -> tuple[list[float], float]:
    """Weighted L2-regularised logistic regression (the objective of scikit-learn's ``LogisticRegression(C=c)``)
    with box bounds on the coefficients, by L-BFGS-B. The last bound is the intercept's (unpenalised). The
    penalty pulls toward ``center`` (default 0), where the search also starts, with ``intercept``."""
    import numpy as np
    from scipy.optimize import minimize

    n_feat = x.shape[1]  # type: ignore[attr-defined]
    sign = 2 * y - 1  # type: ignore[operator]
    mid = np.zeros(n_feat) if center is None else np.asarray(center, dtype=float)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        beta, b0 = theta[:n_feat], theta[n_feat]
        d = beta - mid
        z = x @ beta + b0  # type: ignore[operator]
        m = sign * z
        lg = np.logaddexp(0, -m)
        sig = np.exp(-np.logaddexp(0, m))  # 1 / (1 + e^m)
        g = -(w * sign * sig)  # type: ignore[operator]
        f = float(np.dot(w, lg)) * c + 0.5 * float(d @ d)  # type: ignore[arg-type]
        grad = np.empty_like(theta)
        grad[:n_feat] = c * (x.T @ g) + d  # type: ignore[attr-defined]
        grad[n_feat] = c * g.sum()
        return f, grad

    res = minimize(loss, np.append(mid, intercept), jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": 5000})
    return [float(v) for v in res.x[:n_feat]], float(res.x[n_feat])


def folds_of(ids: Iterable[str], k: int) -> dict[str, int]:
    """Each paper's fold (0 … k−1), from a stable hash of its arXiv id: papers, never facts, are split.

    >>> folds_of(["2101.00001"], 5) == folds_of(["2101.00001"], 5)
    True
    """
    import hashlib

    return {i: int(hashlib.sha1(i.encode()).hexdigest(), 16) % k for i in ids}


def rerank(found_by_paper: Mapping[str, tuple[Found, int]], model: Ranker, papers: Sequence[str] | None = None,
           **kw: object) -> list[Candidate]:
    """Rank the candidates of ``papers`` (default: all) with ``model``."""
    out: list[Candidate] = []
    for aid in papers if papers is not None else sorted(found_by_paper):
        if aid in found_by_paper:
            found, pages = found_by_paper[aid]
            out.extend(rank_found(found, model, pages, **kw))  # type: ignore[arg-type]
    return out
