"""Candidates from running text: the pattern matches of ``engine`` with the evidence of their sentence."""

from __future__ import annotations

import functools
import re
from itertools import pairwise

from flopmine.types import FIELDS, METRIC_FIELDS, BBox, Candidate

from ..document import Document, Page
from ..evidence import Evidence
from ..normalise import clean_text
from .benchmark_names import _SETUP_FIELDS, PLAIN_TOP1
from .context import (
    _SIZE_SUFFIX,
    SectionMap,
    has_citation,
    mentions_ours,
    model_names,
    sentence_bounds,
)
from .context import (
    _stem as _ctx_stem,
)
from .engine import Engine, Match, Rule
from .version import RULE_VERSION

SNIPPET_CHARS = 300

# Observations the rules tag a candidate with (``Evidence.tags``); the ranker learns what each is worth.
DEFAULT_OTHER_MODEL_OWN = 0.35  # a family scored below this by own_model_stems is someone else's
DEFAULT_SMALL_FONT = 0.85  # glyphs smaller than this share of the page's body text: footnotes, captions
DEFAULT_PRETRAIN_MENTIONS = 5  # a paper "pre-trains" when it says so this often
_PRETRAIN = re.compile(r"\bpre-?train", re.I)
_PRETRAIN_FIELDS = frozenset({"hardware_count", "training_time_hours"})
_TRAIN = re.compile(r"\b(?:train\w*|took|takes|taking|pre-?train\w*|converge\w*|learn\w*|run|ran)\b", re.I)
# "… for the first 4 epochs", "turn off mixup for the last 30 epochs": a segment at the start or end of the run;
# "had to train for an additional 250k steps", "for another 10 epochs": an increment added on top of a run
_LR = re.compile(r"learning rate|\blr\b|divid|decay|drop|reduc|multipl|warm[- ]?up|anneal|lowered|schedule|\bfirst\b|\blast\b|"
                 r"\buntil\b|\badditional\b|\banother\b|\bextra\b|\bfurther\b", re.I)
# "we use the checkpoints at 1.2M steps for the ablations", "the checkpoint after 30 epochs": a snapshot taken
# partway through the run, whatever "total" or "for" stands earlier in the sentence
_CHECKPOINT_BEFORE = re.compile(r"\b(?:check-?\s?points?|snapshots?)\s+(?:\w+\s+)?(?:at|after|from)\s+(?:the\s+)?$", re.I)
# "a warmup of 5 epochs", "warm-up for 40 epochs", "5 epochs warm-up", "a 20-epoch linear warmup": the length of
# the warm-up phase, a segment of the schedule, not its total.
_WARMUP_BEFORE = re.compile(r"warm[- ]?up\w*\W+(?:\[[\d,\s]+\]\s*)?(?:(?:of|for|is|lasts?|over|during|in|to|the|"
                            r"first|a|an|linear(?:ly)?|period|phase|stage|epochs?|steps?|iterations?)\s+){0,3}(?:∼|~|about\s+)?$", re.I)
_WARMUP_AFTER = re.compile(r"^\W*(?:(?:of|linear|linearly|lr|learning-rate|learning\s+rate)\s+){0,2}warm[- ]?up", re.I)
# "9.8 hours per 100 epochs", "evaluated every 10 epochs": a rate's denominator, not the schedule.
_PER_BEFORE = re.compile(r"\b(?:per|every|each)\s+$", re.I)
# "9.8 hours per 100 epochs", "2 days per model", "0.5 h/epoch": a duration per part of the run, not the run's.
_PER_AFTER = re.compile(r"\s*(?:per|for each|each|an?|/)\s*(?:\d[\d,.]*\s?[kK]?\s+)?(?:epochs?|iterations?|iters?|"
                        r"steps?|models?|runs?|images?|batch(?:es)?|trials?|seeds?|tasks?|folds?)\b", re.I)
# "We finetune the pre-trained models for 30 epochs", "when fine-tuned for only 100 epochs", "All are fine-tuned
# for 24k iterations": the schedule of a fine-tuning stage, which a paper that pre-trains reports beside its
# pre-training run.
_FINE_TUNE_BEFORE = re.compile(r"\bfine-?\s?tun\w*\b[^.;]{0,80}$", re.I)
# "C Finetuning Hyperparameters", "fine-tuning config ImageNet-1K" over a table of settings, "Pre-training
# Hyperparameters": a heading that names the stage whose settings follow it. An epoch or step count under a
# fine-tuning heading is that stage's schedule, whatever its own sentence says.
_STAGE_HEADING = re.compile(r"\b(?:(pre)-?\s?train\w*|\(pre-?\)\s?train\w*|fine-?\s?tun\w*)\s+(?:config\w*|settings?|"
                            r"hyper-?\s?parameters?|recipes?)\b", re.I)
DEFAULT_STAGE_REACH = 1200  # characters before a number searched for the heading of its stage


def under_fine_tuning_heading(text: str, num_start: int, reach: int = DEFAULT_STAGE_REACH) -> bool:
    """Whether the last stage heading within ``reach`` characters before ``text[num_start]`` names fine-tuning.

    >>> t = "pre-training config ImageNet-22K\\ntraining epochs 90\\nfine-tuning config ImageNet-1K\\ntraining epochs 30"
    >>> under_fine_tuning_heading(t, t.find("90")), under_fine_tuning_heading(t, t.find("30"))
    (False, True)
    """
    last = max(_STAGE_HEADING.finditer(text, max(0, num_start - reach), num_start), key=lambda h: h.start(),
               default=None)
    return last is not None and last.group(1) is None and not last.group(0).lower().startswith("(pre")


_END = re.compile(r"\b(?:terminat\w*|stop\w*|end\w*|finish\w*|total|overall|in all)\b", re.I)
_INFER = re.compile(r"\b(?:ms|msec|fps|per image|inference|test[- ]time|testing|latency|timings?|fine-?tun\w*|"
                    r"speed|throughput|measured)\b", re.I)
_DELTA = re.compile(r"(?:\bby|\bof|\bgains?|\bimproves?|\+|∆|Δ)\s*(?:about|around|up to|~|∼)?\s*$|\bby\b[^.]{0,12}$",
                    re.I)
# "trained for", "a total of": the schedule's length. "training" as a noun modifier ("until the training
# error is below 80%", "training loss") says nothing about the number.
_SCHEDULE_TOTAL = re.compile(r"\b(?:for|total of|trained|train|training(?!\s+(?:error|loss|set|data|curves?|"
                             r"images|accuracy|samples|examples)\b))\b")
# "we train for 8 epochs (after 5 epochs, we begin to halve the learning rate)": a schedule keyword governs the
# quantity right after it. A keyword before an earlier complete quantity ("for 8 epochs") is that quantity's, unless
# only a conjunction stands between them ("divided at 30 epochs and 60 epochs": one list of decay points).
_QUANTITY = re.compile(r"\d[\d,.]*\s?[kKmM]?\s?-?\s?(?:epochs?|iterations?|iters?|steps?|updates?)\b", re.I)
_LIST_JOIN = re.compile(r"[\s,;]*(?:(?:and|or|then)\s+)?(?:at\s+)?$", re.I)


def own_clause(clause: str) -> str:
    """The part of ``clause`` (the text before a number) whose keywords speak of that number: after the last
    complete quantity in it, unless the two are one list.

    >>> own_clause("we train for 8 epochs (after "), own_clause("divided by 10 at 30 epochs and ")
    (' (after ', 'divided by 10 at 30 epochs and ')
    """
    last = max(_QUANTITY.finditer(clause), key=lambda q: q.end(), default=None)
    if last is None or _LIST_JOIN.fullmatch(clause, last.end()):
        return clause
    return clause[last.end():]


_NUMBER_RUN = re.compile(r"(?:\d+(?:\.\d+)?\s+){3,}$")
# "0 10 … 90 epochs 15 20 25 30 35 top-1 error (%)": a plot's text read in order puts the next axis's ticks right
# after the axis title, so "epochs 15" reads as "epoch 15". Ticks rise by one step; a settings row ("Train epochs 300
# 30 90 30") does not.
_NUMBERS_AFTER = re.compile(r"(?:\s+-?\d+(?:\.\d+)?(?![\w.]))+")
DEFAULT_AXIS_TICKS = 4  # evenly rising numbers, the first included, that make an axis


def starts_tick_run(text: str, num_start: int, num_end: int, ticks: int = DEFAULT_AXIS_TICKS) -> bool:
    """Whether the number at ``text[num_start:num_end]`` is the first of ``ticks`` or more evenly rising numbers.

    >>> t = "90 epochs 15 20 25 30 35 top-1 error"; starts_tick_run(t, 10, 12)
    True
    >>> t = "Train epochs 300 30 90 30 14"; starts_tick_run(t, 13, 16)
    False
    """
    after = _NUMBERS_AFTER.match(text, num_end)
    if after is None:
        return False
    try:
        values = [float(text[num_start:num_end]), *(float(x) for x in after.group(0).split()[:ticks - 1])]
    except ValueError:
        return False
    return _evenly_rising(values, ticks)


def _evenly_rising(values: list[float], ticks: int) -> bool:
    """Whether ``values`` are at least ``ticks`` numbers rising by one step, as an axis's ticks do; or whole numbers
    rising by steps of two or more that differ by at most one: ticks at a fractional spacing, printed rounded
    ("49 51 53 56 58 61 63 66 mAP").

    >>> _evenly_rising([49, 51, 53, 56, 58, 61, 63, 66], 4), _evenly_rising([70.6, 72.1, 73.4, 74.9], 4)
    (True, False)
    >>> _evenly_rising([1, 2, 4, 5, 7], 4), _evenly_rising([60, 62, 65, 66], 4)
    (False, False)
    """
    if len(values) < ticks:
        return False
    steps = {round(b - a, 6) for a, b in pairwise(values)}
    if len(steps) == 1:
        return steps.pop() > 0
    return (all(v == int(v) for v in values) and min(steps) >= 2 and max(steps) - min(steps) <= 1)


# the numbers right before a number: "66 68 70 72 74 76 78 " before "80 Accuracy, Top 1, %"
_NUMBERS_BEFORE = re.compile(r"(?:(?<![\w.])-?\d+(?:\.\d+)?\s+)+$")


def ends_tick_run(text: str, num_start: int, num_end: int, ticks: int = DEFAULT_AXIS_TICKS) -> bool:
    """Whether the number at ``text[num_start:num_end]`` is the last of ``ticks`` or more evenly rising numbers.

    Habit: a plot's text read in order gives an axis's ticks, then its title: "66 68 70 72 74 76 78 80 Accuracy,
    Top 1, %" or "74.0 74.5 75.0 75.5 76.0 76.5 Accuracy, Top-1"; the top tick before the metric's name is no result.

    >>> t = "Latency, ms 66 68 70 72 74 76 78 80 Accuracy, Top 1, %"; ends_tick_run(t, t.find("80"), t.find("80") + 2)
    True
    >>> t = "ResNet-50 76.1 ResNet-101 77.4 and ours 78.8 accuracy"; ends_tick_run(t, t.find("78.8"), t.find("78.8") + 4)
    False
    >>> t = "scores 71.2 73.5 74.1 78.8 accuracy"; ends_tick_run(t, t.find("78.8"), t.find("78.8") + 4)
    False
    """
    before = _NUMBERS_BEFORE.search(text, max(0, num_start - 120), num_start)
    if before is None:
        return False
    try:
        values = [*(float(x) for x in before.group(0).split()[-(ticks - 1):]), float(text[num_start:num_end])]
    except ValueError:
        return False
    return _evenly_rising(values, ticks)


# "PPL WER 4-gram LM (baseline) 75.5 8.6", "top-1 error 50-layer": a number joined to a word by a hyphen is a
# modifier ("4-gram", "50-layer"), never a score, whatever metric word stands before it
_COMPOUND_AFTER = re.compile(r"-[^\W\d_]")


# Habit: two versions of a dataset written as one name with a slash ("CIFAR-10/100", "VOC 2007/2012", "SQuAD
# 1.1/2.0"): the number after the slash names the second dataset
_DATASET_PAIR_BEFORE = re.compile(r"(?:CIFAR|VOC|SQuAD|WMT)[\s\-']?v?\d+(?:\.\d+)?\s?/\s?$", re.I)


# "29.9% error (top 5)": a plain error or accuracy qualified by a bracket after it is that top-k metric's
_TOPK_AFTER = re.compile(r"\s*\(\s*top[\s\-]?(?:[2-9]|[1-9]\d+)\s*\)", re.I)  # any k but 1: "(top 5)", "(top-10)"
# "the winner of the ILSVRC13 localization competition with 29.9% error": an error of another vision task
_OTHER_TASK = re.compile(r"\blocali[sz]ation\b", re.I)
# a sentence naming its own task or top-k ("classification error", "top-1") qualifies its plain score itself
_OWN_KIND = re.compile(r"\bclassif|\btop[\s\-]?\d|\bdetection\b|\blocali[sz]ation\b", re.I)


def plain_score_of_other_kind(text: str, num_start: int, end: int) -> bool:
    """Whether a plain error or accuracy (the ``err`` / ``acc`` fields, read as top-1) ending at ``text[end]`` is a
    top-k score or another task's: a bracket right after it is a top-k ("29.9% error (top 5)"; "(top-5 1.1%)" is
    another value), or its sentence, up to the number, speaks of localization ("the ILSVRC13 localization
    competition with 29.9% error").

    Habit: ImageNet papers report classification and localization, top-1 and top-5 errors in one paragraph and
    qualify a plain "error" after it or by the task named before; read as top-1 classification error, such a value
    is a wrong row above the paper's own.

    >>> t = "Our entry is the winner of the localization competition with 29.9% error (top 5)."
    >>> at = t.find("29.9"); plain_score_of_other_kind(t, at, t.find(" (top"))
    True
    >>> t = "Our model reaches 24.1% error (top-1) and 7.2% error (top-5)."
    >>> plain_score_of_other_kind(t, t.find("24.1"), t.find(" (top-1)")), plain_score_of_other_kind(
    ...     t, t.find("7.2"), t.find(" (top-5)"))
    (False, True)
    >>> t = "A longer clip boosts the accuracy by 1.7% (top-5 1.1%); the localization head is in Section 4."
    >>> plain_score_of_other_kind(t, t.find("1.7"), t.find(" (top"))
    False
    >>> t = "The classification model reaches 24.1% error; its localization head is in Section 4."
    >>> plain_score_of_other_kind(t, t.find("24.1"), t.find(";"))
    False

    A sentence naming no task goes on from the one before it: "We entered the localization competition. Our method
    is its winner with 29.9% error." is a localization error; "… Our classifier's top-1 error is 24.1%." is not.

    >>> t = "We entered the localization competition. Our method is its winner with 29.9% error."
    >>> at = t.find("29.9"); plain_score_of_other_kind(t, at, at + 5)
    True
    >>> t = "We entered the localization competition. Our classification error is 24.1%."
    >>> at = t.find("24.1"); plain_score_of_other_kind(t, at, at + 5)
    False
    """
    if _TOPK_AFTER.match(text, end):
        return True
    s, _ = sentence_bounds(text, num_start, end)
    if _OTHER_TASK.search(text, s, num_start):
        return True
    if s < 2 or _OWN_KIND.search(text, s, end):
        return False
    # the sentence names no task nor top-k ("Our method is the winner of the 2013 competition with 29.9% error"):
    # the one before it says which competition ("… the 2012 and 2013 localization competitions")
    ps, _ = sentence_bounds(text, s - 2, s - 1)
    return bool(_OTHER_TASK.search(text, ps, s))


_UNIT_DEFINITION = re.compile(
    r"\b(?:one|a|a single|1)\s+(?:epoch|step|iteration|update)\s+(?:is|means|denotes|corresponds\s+to|refers\s+to|=)"
    r"\s+(?:one|a|an|1)\s+(?:full\s+|complete\s+|single\s+)?(?:pass|sweep|iteration|cycle|update)", re.I)


def unit_definition(text: str, start: int, end: int) -> bool:
    """Whether the schedule mention at ``text[start:end]`` is part of a sentence saying what the unit is.

    Habit: a table's caption or a set-up paragraph defines its units ("One epoch is one pass through the training
    set", "one step means one update"): neither "one" is a number of epochs the model was trained for.

    >>> t = "Each update uses a minibatch. One epoch is one pass through the training set."
    >>> unit_definition(t, t.find("One"), t.find("One") + 9), unit_definition(t, t.find("epoch"), t.find("one p") + 3)
    (True, True)
    >>> t = "We train for one epoch on the new data, which is enough."; at = t.find("one")
    >>> unit_definition(t, at, at + 9), unit_definition("One epoch is a full pass.", 0, 9)
    (False, True)
    """
    return any(d.start() < end and start < d.end()
               for d in _UNIT_DEFINITION.finditer(text, max(0, start - 40), min(len(text), end + 60)))


_LETTER = re.compile(r"[^\W\d_]")


def own_metric_matches(matches: list[Match]) -> list[Match]:
    """``matches`` less the metric readings of a number that another metric rule reads better: the metric named
    right after a number is its own ("74.3% top-1 accuracy (91.6% top-5 accuracy)": 91.6 is no top-1 accuracy;
    "AP (73.3 AP50)", "accuracy (73.2% mAP)"), else the longest name before it ("top-5 error of 6.67%" is no
    top-1 error, "PASCAL-style mAP is 35.9%" no box AP). Numbers one metric rule reads, and readings of one
    field, stay as they are.

    Habit: a sentence names a general metric and then gives a number with a more specific one ("AP (73.3 AP50)"),
    or qualifies the metric word before it ("top-5 error of"): the general rule reads the same number as the
    general metric, a second, wrong row.
    """
    by_number: dict[int, list[Match]] = {}
    for m in matches:
        if FIELDS[m.rule.field].kind == "metric":
            by_number.setdefault(m.num_start, []).append(m)
    dropped: set[int] = set()
    for readings in by_number.values():
        if len({PLAIN_TOP1.get(m.rule.field, m.rule.field) for m in readings}) < 2:
            continue
        after = [m for m in readings if not _LETTER.search(m.raw[:max(0, m.num_start - m.start)])]
        own = after or [min(readings, key=lambda m: m.start)]
        fields = {PLAIN_TOP1.get(m.rule.field, m.rule.field) for m in own}
        dropped.update(id(m) for m in readings if PLAIN_TOP1.get(m.rule.field, m.rule.field) not in fields)
    return [m for m in matches if id(m) not in dropped] if dropped else matches


_ABLATION = re.compile(r"\bablation|\bw/o\b|without\b|remov", re.I)
_RANGE_BEFORE = re.compile(r"\d\s?(?:–|—|-|to|or|and)\s?$")
_RANGE_AFTER = re.compile(r"^\s?(?:–|—|-|to)\s?\d")
_BOUND = re.compile(r"\b(?:at most|up to|less than|fewer than|under|within|at least|more than|over)\s+(?:a\s+)?$", re.I)
# Row labels that are not a model of the paper: references points and human or oracle scores.
_NOT_A_MODEL = re.compile(r"^\s*(?:human|oracle|baseline|previous|prior|sota|state[- ]of[- ]the[- ]art|best published|"
                          r"pre-\w+ sota|random|chance|majority)\b", re.I)


_OWN_NUMBER = re.compile(r"\s?[(:]?\s?\d")
_COMPARED = re.compile(r"\b(?:outperform\w*|than|over|compared|comparable|on par|similar|close to|match\w*|vs\.?|"
                       r"versus|surpass\w*|beat\w*|"
                       r"exceed\w*|improv\w*|better|worse|against|unlike|relative to|of)\b", re.I)


_TEMPLATE = re.compile(r"\b(?:following|like|as in|same as|based on)\s+(?:the\s+)?$", re.I)
# "distillation for 3 epochs with the supervision from a pre-trained BERTBASE teacher": the teacher is not trained
_TEACHER = re.compile(r"\s*(?:teacher|oracle)\b", re.I)


def _name_at(text: str, name: str) -> int:
    """Where ``name`` (as ``model_names`` returns it: plural and line-end hyphen dropped) starts in ``text``."""
    at = text.find(name)
    if at < 0 and name:
        m = re.search(re.escape(name[:4]), text)
        at = m.start() if m else -1
    return at
DEFAULT_CARRY_SENTENCES = 2  # sentences looked back for the model a name-less sentence speaks of
DEFAULT_CARRY_CHARS = 400
# "the model", "this network", "our models": the sentence speaks of a model it does not name
_MODEL_NOUN = r"\s+(?:\w+\s+)?(?:models?|networks?|architectures?|systems?|detectors?|encoders?)\b"
_THE_MODEL = re.compile(r"\b(?:the|our|each|final|proposed)" + _MODEL_NOUN, re.I)
_THIS_MODEL = re.compile(r"\b(?:this|that|such|the resulting)" + _MODEL_NOUN, re.I)


def _carried_model(text: str, start: int, sentence: str, own: dict[str, float], own_name: str) -> str:
    """The model a sentence without a model name speaks of: "this model" is the last one named in the
    ``DEFAULT_CARRY_SENTENCES`` sentences before it; "we", "our" or "the model" is the paper's own model
    (``own_name``) unless the name before is of its family; else the name before, or "".

    >>> t = "We stack the blocks into a 50-layer ResNet-50. This model has 3.8 billion FLOPs."
    >>> _carried_model(t, t.find("This"), "This model has 3.8 billion FLOPs.", {}, "")
    'ResNet-50'
    >>> _carried_model("x. The model has about 2.6 million parameters.", 3, "The model has about 2.6 million "
    ...                "parameters.", {"bidaf": 0.7}, "BiDAF")
    'BiDAF'
    """
    lo = start
    for _ in range(DEFAULT_CARRY_SENTENCES):
        if lo <= 0 or start - lo > DEFAULT_CARRY_CHARS:
            break
        lo = sentence_bounds(text, max(0, lo - 2), max(0, lo - 1))[0]
    before = model_names(text[max(lo, start - DEFAULT_CARRY_CHARS):start])
    carried = before[-1] if before else ""
    if _THIS_MODEL.search(sentence):
        return carried or own_name  # "This model has …" points back at the model just named
    about_ours = bool(own_name) and bool(mentions_ours(sentence) or _THE_MODEL.search(sentence))
    if about_ours and _ctx_stem(carried) != _ctx_stem(own_name):
        # "The hidden size of the LSTM is 100. The model has 2.6M parameters": another family named just before
        # is a part or a baseline; "the model" of a paper about one model is that model
        return own_name
    return carried


# "We trained the base models for 100,000 steps … The big models were trained for 300,000 steps": a paper's own
# model in two sizes, told apart by a size word only.
_SIZE_VARIANT = re.compile(r"\b(?:the|our|a|each)\s+(base|big|large|small|tiny|huge|giant|medium)\s+(?:models?|"
                           r"configurations?|variants?|versions?|networks?|setting)\b", re.I)


def _size_variant(sentence: str, own_name: str) -> str:
    """The own model's size variant a sentence names by a size word alone, "" when none.

    >>> _size_variant("We trained the base models for a total of 100,000 steps.", "Transformer")
    'Transformer (base)'
    >>> _size_variant("For our big models, step time was 1.0 seconds.", ""), _size_variant("a big win", "X")
    ('big', '')
    """
    m = _SIZE_VARIANT.search(sentence)
    if not m:
        return ""
    size = m.group(1).lower()
    return f"{own_name} ({size})" if own_name else size


# "Our 34-layer baseline has 3.6 billion FLOPs", "a residual network with 34 parameter layers (3.6 billion
# FLOPs)": vision papers name a depth variant of their own family by its number of layers.
_DEPTH = re.compile(r"\b(\d{2,4})\s?-\s?layers?\b|\bwith\s+(\d{2,4})\s+(?:parameter\s+|weight(?:ed)?\s+|"
                    r"conv(?:olutional)?\s+)?layers\b", re.I)


def _depth_variant(before: str, own_name: str) -> str:
    """The own family's depth variant named by its layers before a number ("ResNet-34"), "" when none.

    >>> _depth_variant("Right: a residual network with 34 parameter layers (", "ResNet")
    'ResNet-34'
    >>> _depth_variant("Our 34- layer baseline has ", "ResNet"), _depth_variant("a 50-layer net has ", "")
    ('ResNet-34', '')
    """
    found = [m.group(1) or m.group(2) for m in _DEPTH.finditer(before)]
    return f"{own_name}-{found[-1]}" if found and own_name else ""


# A table row of one quantity per column that the text layer gives as running text: "Training Time 30 days 20 days
# 10 days 7 days", two or more numbers each followed by the same unit word.
_QUANTITY_RUN = re.compile(r"(?<![\w.])(?:\d+(?:\.\d+)?\s?([A-Za-z]+)\s+)(?:\d+(?:\.\d+)?\s?\1\s+)+\d+(?:\.\d+)?\s?\1\b")
DEFAULT_RUN_HEADER_CHARS = 800  # how far above the row its column headers (the models) are looked for (half below)


def column_model(text: str, num_start: int, reach: int = DEFAULT_RUN_HEADER_CHARS) -> str:
    """The model whose column holds the number at ``num_start`` when it sits in a row of like quantities
    ("Training Time 30 days 20 days 10 days 7 days") and a header line within ``reach`` characters above it (half
    that below) names as many
    models side by side ("DeBERTa1.5B DeBERTalarge DeBERTabase DeBERTabase-ablation"); "" otherwise.

    Habit: a transposed settings table (a column per model, a row per setting) that the grid did not read comes
    as running text; read as prose, every value of the row was the family's that a caption names.

    >>> t = "Training Time 30 days 20 days 10 days 7 days Table 8: Hyper-parameters. Hyper-parameter BERT-Large BERT-Base"
    >>> column_model(t, t.find("20 days"))
    ''
    >>> t = "Training Time 30 days 20 days 7 days Table 8: Hyper-parameters. Hyper-parameter ViT-H ViT-L ViT-B"
    >>> [column_model(t, t.find(x)) for x in ("30 days", "20 days", "7 days")]
    ['ViT-H', 'ViT-L', 'ViT-B']
    """
    run = next((r for r in _QUANTITY_RUN.finditer(text, max(0, num_start - 120), min(len(text), num_start + 120))
                if r.start() <= num_start < r.end()), None)
    if run is None:
        return ""
    starts = [x.start() for x in re.finditer(r"(?<![\w.])\d+(?:\.\d+)?\s?" + re.escape(run.group(1)) + r"\b",
                                               text[run.start():run.end()])]
    if num_start - run.start() not in starts:
        return ""  # inside the run but not at a value's start (its unit)
    index = starts.index(num_start - run.start())
    k = len(starts)
    # the header row nearest above the row (a table's header tops its rows, which may run on for many lines), else
    # the first after it (a text layer that reads the rows first)
    for part, order in ((text[max(0, run.start() - reach):run.start()], -1), (text[run.end():run.end() + reach // 2], 1)):
        tokens = part.split()
        named = [len(model_names(tok)) == 1 for tok in tokens]
        for i in list(range(len(tokens) - k + 1))[::order]:
            # exactly k names side by side, no name on either side: the row of column headers
            if all(named[i:i + k]) and not (i > 0 and named[i - 1]) and not (i + k < len(tokens) and named[i + k]):
                return tokens[i + index].strip(",;:")
    return ""


def _evidence(doc_text: str, m: Match, page_index: int, raw_offset: int, sections: SectionMap,
              own: dict[str, float], main_bench: tuple[re.Pattern[str], ...] = (),
              pretrains: bool = False, own_name: str = "") -> tuple[Evidence, str]:
    s, e = sentence_bounds(doc_text, m.start, m.end)
    sentence = doc_text[s:e]
    before = doc_text[s:m.num_start]
    field = m.rule.field
    names = model_names(sentence)
    model = ""
    if names:
        # The model named closest before the number, else the first after it. A set-up number (GPUs, days,
        # epochs, steps) belongs to the run the sentence began with: a name after it is a comparison ("trained
        # much faster (≈ 1 day) compared to an LSTM-based model") unless it is one of the paper's own.
        before_names = model_names(before)
        if before_names:
            model = before_names[-1]
            if len(before_names) > 1 and _TEMPLATE.search(before[:before.rfind(model)]):
                # "we train RoBERTa following the BERTLARGE architecture (…, 355M parameters)": the name after
                # "following" is the template, the one before it the model
                model = before_names[-2]
        elif field not in _SETUP_FIELDS or own.get(_ctx_stem(names[0]), 0.0) >= DEFAULT_OTHER_MODEL_OWN:
            model = names[0]
            after = doc_text[m.num_end:e]
            at = _name_at(after, model)
            if at >= 0 and _TEACHER.match(after, at + len(model)):
                model = ""
            elif at >= 0 and (_OWN_NUMBER.match(after, at + len(model)) or _COMPARED.search(after, 0, at)):
                # "3.6 billion FLOPs, which is only 18% of VGG-19 (19.6 billion FLOPs)": the name after the
                # number has a number of its own; "achieves 87.3% top-1, outperforming the recent ViT": it is
                # the model compared with; "We had an ensemble result of 3.03% …, on par with … Inception-v4":
                # what "we" had is the paper's own model
                model = own_name if mentions_ours(before) else ""
    else:
        # A sentence that names no model speaks of the one the text before it named ("… a 50-layer ResNet.
        # This model has 3.8 billion FLOPs"), or of the paper's own one ("The model has about 2.6 million
        # parameters"); set-up numbers stay with the paper (build puts them under its own model).
        model = _depth_variant(before, own_name) or (
            "" if field in _SETUP_FIELDS else _carried_model(doc_text, s, sentence, own, own_name))
        names = [model] if model else []
    column = column_model(doc_text, m.num_start)
    if column:
        model, names = column, [column]  # a transposed table's row read as text: the value is its column's model
    if not model:
        model = _size_variant(sentence, own_name) or _depth_variant(before, own_name)
    own_score = max((own.get(_ctx_stem(n), 0.0) for n in names), default=0.0)
    if model and before and len({_ctx_stem(n) for n in names}) > 1:
        # several families in one sentence ("CSPResNext50 has 20.6 M parameters, while CSPDarknet53 has
        # 27.6 M"): the model the value belongs to decides, the sentence's best family only half
        own_score = (own.get(_ctx_stem(model), 0.0) + own_score) / 2
    near = doc_text[max(s, m.num_start - 80):min(e, m.num_end + 40)]
    close_names = model_names(doc_text[max(s, m.num_start - 40):m.num_start])
    tags: list[str] = []
    if close_names and own.get(_stem(close_names[-1]), 0.0) < DEFAULT_OTHER_MODEL_OWN:
        tags.append("other_model")  # "… only 18% of VGG-19 (19.6 billion FLOPs)": another paper's model
    lr = False
    if field in ("epochs", "training_steps"):
        lead = doc_text[max(s, m.start - 12):m.start].lower()
        # The keyword nearest before the number decides: "divide it by 10 at 32k and 48k iterations,
        # and terminate training at 64k iterations" → 32k, 48k are schedule steps, 64k the total.
        clause = own_clause(doc_text[max(s, m.num_start - 70):m.num_start])
        last_lr = max((x.end() for x in _LR.finditer(clause)), default=-1)
        last_end = max((x.end() for x in _END.finditer(clause)), default=-1)
        last_for = max((x.end() for x in _SCHEDULE_TOTAL.finditer(clause)), default=-1)
        at_step = bool(re.search(r"\b(?:at|after)\s*$", lead)) or m.rule.id == "epochs.at_epoch"
        checkpoint = bool(_CHECKPOINT_BEFORE.search(clause))
        if checkpoint or last_lr > max(last_end, last_for) or (at_step and last_end < 0 and last_for < 0):
            lr = True
        if not checkpoint and (last_for > last_lr or last_end > last_lr):
            tags.append("schedule_total")
        if _WARMUP_BEFORE.search(doc_text[max(s, m.num_start - 40):m.num_start]) \
                or _WARMUP_AFTER.match(doc_text[m.end:m.end + 30]):
            lr = True
            tags.append("warmup")
        if _PER_BEFORE.search(doc_text[max(s, m.num_start - 8):m.num_start]):
            tags.append("per_unit")
        if _FINE_TUNE_BEFORE.search(doc_text[s:m.num_start]) or under_fine_tuning_heading(doc_text, m.num_start):
            tags.append("fine_tune")
    if field == "hardware_count":
        tags.extend(["device_product"] if m.rule.id == PRODUCT_RULE.id else _count_tags(doc_text, m))
    if field == "training_time_hours" and _PER_AFTER.match(doc_text, m.end):
        tags.append("per_unit")
    if pretrains and field in _PRETRAIN_FIELDS:
        # a paper that pre-trains and then fine-tunes: the pre-training run is the training compute
        nxt = doc_text[e:sentence_bounds(doc_text, min(len(doc_text), e + 2), min(len(doc_text), e + 3))[1]]
        if _PRETRAIN.search(sentence) or _PRETRAIN.search(nxt):
            tags.append("pretrain")
    if re.search(r"\bfrom\s*$", doc_text[max(s, m.num_start - 8):m.num_start], re.I):
        tags.append("from_value")  # "from 84 hours to 9.5": the old value, the new one follows
    if field in ("epochs", "training_steps") and re.match(r"(?i)(?:one|a single)\b", m.raw):
        tags.append("one_epoch")  # "one epoch is one pass over the data": a definition, not a schedule
    if field in METRIC_FIELDS and _DELTA.search(doc_text[max(s, m.num_start - 25):m.num_start]):
        tags.append("delta")  # "reduces the error by 1.3%": a difference, not a result
    ev = Evidence(
        section=sections.kind(page_index, raw_offset),
        ours=mentions_ours(sentence),
        citation=has_citation(near),
        own_model=own_score,
        train_context=field in ("hardware_count", "training_time_hours", "epochs", "training_steps")
        and bool(_TRAIN.search(sentence)),
        lr_schedule=lr,
        ablation=bool(_ABLATION.search(sentence)),
        range_=bool(_RANGE_BEFORE.search(doc_text[max(0, m.num_start - 6):m.num_start])
                    or _RANGE_AFTER.search(doc_text[m.num_end:m.num_end + 6])
                    or _BOUND.search(doc_text[max(0, m.num_start - 16):m.num_start])),
        inference=field in ("training_time_hours", "hardware_count") and bool(_INFER.search(sentence)),
        axis=bool(_NUMBER_RUN.search(doc_text[max(0, m.num_start - 40):m.num_start])),
        main_benchmark=bool(main_bench) and any(rx.search(sentence) for rx in main_bench),
        tags=tuple(tags),
    )
    return ev, model


# Speech corpora are sized in hours: "LibriSpeech 960h", "the Switchboard 300h task", "960 hours of read speech".
# Those hours are data, not the time a training run took.
_CORPUS_NAME_BEFORE = re.compile(r"(?:\b[A-Z][\w\-]*[A-Za-z]|\b[A-Z]{2,})[\s\-]?$")
_CORPUS_HOURS_AFTER = re.compile(r"^\s*(?:of\s+(?:\w+\s+){0,2}(?:speech|audio|data|recordings?|video|transcriptions?|"
                                 r"utterances|conversations?)\b|(?:training\s+)?(?:set|task|subset|corpus|benchmark)\b)",
                                 re.I)
_HOURS_MINUTES = re.compile(r"\d+\s?h\.?\s*\d{1,2}\s?m(?:in)?\b")


def corpus_hours(text: str, num_start: int, end: int) -> bool:
    """Whether a duration at ``text[num_start:end]`` is the size of a speech corpus, not a training time.

    >>> t = "We achieve the best WER on the LibriSpeech 960h and Switchboard 300h tasks."
    >>> corpus_hours(t, t.find("960"), t.find("960") + 4), corpus_hours(t, t.find("300"), t.find("300") + 4)
    (True, True)
    >>> t = "LibriSpeech comes with 960 hours of read speech data. Training takes 24 hours on 8 GPUs."
    >>> corpus_hours(t, t.find("960"), t.find("960") + 9), corpus_hours(t, t.find("24"), t.find("24") + 8)
    (True, False)
    >>> t = "Constant Depth 20h 42m 20h 51m"; corpus_hours(t, t.find("20h"), t.find("20h") + 7)
    False
    """
    glued = bool(re.match(r"\d+(?:\.\d+)?\s?h\b", text[num_start:end]))
    # a duration to the minute ("Stochastic Depth 15h 7m", a table row of run times) times a run: corpora are
    # sized in whole hours
    to_the_minute = bool(_HOURS_MINUTES.match(text[num_start:end]))
    named = glued and not to_the_minute and bool(_CORPUS_NAME_BEFORE.search(text[max(0, num_start - 40):num_start]))
    return named or bool(_CORPUS_HOURS_AFTER.match(text[end:end + 50]))


# "prev. best 89.6a 82.3b 78.0c … 55.4h / 54.5i": scores of a results row with superscript citation letters glued to
# them. A letter that reads as a unit ("55.4h") is the row's eighth reference, not hours, when other scores
# nearby carry letters that no duration takes.
_LETTER_MARK = re.compile(r"(?<![\w.])\d+\.\d+([a-z])(?![\w.])")
_DURATION_LETTERS = frozenset("hdmsw")
DEFAULT_LETTER_MARKS = 2  # other scores with a citation letter that make a row of marks
_LETTER_REACH = 60  # characters either side searched for them


def citation_letter(text: str, num_start: int, end: int) -> bool:
    """Whether a duration at ``text[num_start:end]`` is a score with a citation letter glued to it.

    >>> t = "prev. best 89.6a 82.3b 78.0c 64.5f / 64.2g 55.4h / 54.5i 49.2j. Training takes 14.5h in all."
    >>> at = t.find("55.4"); citation_letter(t, at, at + 5)
    True
    >>> t = "EfficientNet-B5 83.7 42.9h 84.0 15.2h"; at = t.find("42.9"); citation_letter(t, at, at + 5)
    False
    """
    if not re.fullmatch(r"\d+\.\d+[a-z]", text[num_start:end]):
        return False
    window = text[max(0, num_start - _LETTER_REACH):min(len(text), end + _LETTER_REACH)]
    marks = [m for m in _LETTER_MARK.finditer(window) if m.group(1) not in _DURATION_LETTERS]
    return len(marks) >= DEFAULT_LETTER_MARKS


# "8 16GB V100 GPUs", "on 256× NVIDIA A100 40GB GPUs": a memory size between the count and the device word;
# "a 1080 Ti or 2080 Ti GPU", "an RTX 3090 card": a model number. Neither counts devices.
_MEMORY_AFTER = re.compile(r"\s?-?(?:GB|GiB|MB|TB|G)\b", re.I)
_MODEL_NUMBER_AFTER = re.compile(r"\s?(?:Ti|Xp|XP|SUPER|Super)\b")
_DEVICE_LINE_BEFORE = re.compile(r"\b(?:GTX|RTX|Titan|TITAN|Tesla|Quadro|Radeon|GeForce|Jetson|Xeon|DGX)[\s\-]?$")


def device_spec_number(text: str, num_start: int, num_end: int) -> bool:
    """Whether the number at ``text[num_start:num_end]`` in a device phrase is its memory or model number, not
    how many devices there were.

    >>> t = "DistilBERT was trained on 8 16GB V100 GPUs. It runs on a 1080 Ti or 2080 Ti GPU."
    >>> [device_spec_number(t, t.find(n), t.find(n) + len(n)) for n in ("8 ", "16", "1080", "2080")]
    [False, True, True, True]
    >>> t = "each with 8 × 32 GB Nvidia V100 GPUs, on an RTX 3090 card"
    >>> device_spec_number(t, t.find("32"), t.find("32") + 2), device_spec_number(t, t.find("3090"), t.find("3090") + 4)
    (True, True)
    """
    return bool(_MEMORY_AFTER.match(text, num_end) or _MODEL_NUMBER_AFTER.match(text, num_end)
                or _DEVICE_LINE_BEFORE.search(text[max(0, num_start - 10):num_start]))


# "8 servers (64 GPUs)", "6 DGX-2 machines (96 V100 GPUs)": machines, whose devices the paper counts beside
# them; "each with 8 GPUs", "8 GPUs per node": the devices of one machine, not of the run.
_MACHINE_UNIT = re.compile(r"(?:servers?|machines?|nodes?|hosts?|pods?|DGX[\w\-]*)\s*$", re.I)
_EACH_BEFORE = re.compile(r"\b(?:each|every|per)\s+(?:\w+\s+)?(?:with|has|having|containing|of)\s+$", re.I)
_PER_MACHINE_AFTER = re.compile(r"^\s*(?:\w+\s+)?(?:per|on each|in each|each)\s+(?:\w+\s+)?(?:node|machine|server|host)s?\b",
                                re.I)


def _count_tags(text: str, m: Match) -> list[str]:
    """Tags of a device count's unit: ``machine_count`` (servers, nodes, pods) and ``per_machine``.

    >>> from types import SimpleNamespace as N
    >>> t = "Training was performed with 8 servers (64 GPUs), each with 8 GPUs."
    >>> _count_tags(t, N(raw="8 servers", num_start=t.find("8 s"), end=t.find("8 s") + 9))
    ['machine_count']
    >>> at = t.rfind("8 G")
    >>> _count_tags(t, N(raw="8 GPUs", num_start=at, end=at + 6))
    ['per_machine']
    """
    tags = []
    if _MACHINE_UNIT.search(m.raw):
        tags.append("machine_count")
    if _EACH_BEFORE.search(text[max(0, m.num_start - 30):m.num_start]) or _PER_MACHINE_AFTER.match(text[m.end:m.end + 30]):
        tags.append("per_machine")
    return tags


# "8 GPUs × 4 machines", "4 nodes × 8 GPUs", "16 machines, each with 8 GPUs", "8 GPUs per node on 4 nodes": the run's
# devices are the product of the two counts, which the paper does not write out.
PRODUCT_RULE = Rule(id="hwc.product", field="hardware_count", pattern=(), unit="devices", normaliser="count",
                    weight=0.8)
_COUNT = r"(\d{1,4}|one|two|three|four|five|six|eight|ten|twelve|sixteen|thirty-two|sixty-four)"
_DEVICES = r"(?:[\w\-]+\s+){0,3}(?:GPUs?|TPUs?|cards?|chips?|accelerators?|devices?)"
_MACHINES = r"(?:[\w\-]+\s+)?(?:machines?|nodes?|servers?|hosts?|workers?)"
_BY = r"\s*[×x*]\s*"
_MACHINE_WORD = re.compile(r"\b(?:machines?|nodes?|servers?|hosts?|workers?)\b", re.I)
_PRODUCT_REACH = 80  # characters either side of a machine word the product pattern may span
_PRODUCT = re.compile(
    rf"\b{_COUNT}\s+{_DEVICES}{_BY}{_COUNT}\s+{_MACHINES}\b"  # 8 GPUs × 4 machines
    rf"|\b{_COUNT}\s+{_MACHINES}{_BY}{_COUNT}\s+{_DEVICES}\b"  # 4 nodes × 8 GPUs
    rf"|\b{_COUNT}\s+{_MACHINES},?\s+(?:each\s+)?(?:with|having|containing|of)\s+{_COUNT}\s+{_DEVICES}\s+each\b"
    rf"|\b{_COUNT}\s+{_MACHINES},?\s+each\s+(?:with|having|containing)\s+{_COUNT}\s+{_DEVICES}\b"
    rf"|\b{_COUNT}\s+{_DEVICES}\s+(?:each\s+)?(?:per|on each|in each)\s+(?:machine|node|server|host)\s+"
    rf"(?:on|across|over|of|with|and|,)\s+{_COUNT}\s+{_MACHINES}\b", re.I)


def device_products(text: str) -> list[Match]:
    """Device counts written as machines × devices per machine, as matches of ``PRODUCT_RULE``.

    >>> [(m.raw, m.value) for m in device_products("We train on 8 GPUs x 4 machines, i.e. 16 machines, each with "
    ...                                              "8 V100 GPUs.")]
    [('8 GPUs x 4 machines', 32.0), ('16 machines, each with 8 V100 GPUs', 128.0)]
    """
    out: list[Match] = []
    seen: set[int] = set()
    for word in _MACHINE_WORD.finditer(text):  # a machine word is rare; the product pattern is slow to scan with
        lo = max(0, word.start() - _PRODUCT_REACH)
        for m in _PRODUCT.finditer(text, lo, min(len(text), word.end() + _PRODUCT_REACH)):
            if m.start() in seen or not m.start() <= word.start() < m.end():
                continue
            seen.add(m.start())
            out.append(_product_match(m))
    return [m for m in out if m.value > 0]


def _product_match(m: re.Match[str]) -> Match:
    from flopmine.hardware import parse_count_word

    nums = [(g, m.start(i)) for i, g in enumerate(m.groups(), 1) if g is not None]
    values = [parse_count_word(g) or 0 for g, _ in nums]
    first, at = nums[0]
    return Match(rule=PRODUCT_RULE, start=m.start(), end=m.end(), num_start=at, num_end=at + len(first),
                 value=float(values[0] * values[1]) if len(values) == 2 else 0.0, raw=m.group(0))


def _snippet(text: str, start: int, end: int) -> str:
    half = (SNIPPET_CHARS - (end - start)) // 2
    lo = max(0, start - half)
    hi = min(len(text), end + half)
    return text[lo:hi].strip()[:SNIPPET_CHARS]


def _page_candidates(doc: Document, page: Page, page_index: int, eng: Engine, sections: SectionMap,
                     own: dict[str, float], main_bench: tuple[re.Pattern[str], ...] = (), pretrains: bool = False,
                     cleaned: tuple[str, list[int]] | None = None, own_name: str = "",
                     ) -> list[tuple[Candidate, float, Evidence, int]]:
    """Text-rule candidates of one page, each with the offset of its number in the cleaned text.

    ``cleaned``: ``clean_text(page.text)`` when the caller has it already; ``own_name``: the paper's one own
    model (``context.own_model_name``), for sentences that speak of it without naming it.
    """
    clean, idx = cleaned if cleaned is not None else clean_text(page.text)
    out: list[tuple[Candidate, float, Evidence, int]] = []
    body_height: float | None = None  # median char height of the page, computed on first need
    for m in own_metric_matches([*eng.matches(clean), *device_products(clean)]):
        if m.rule.field == "training_time_hours" and (corpus_hours(clean, m.num_start, m.end)
                                                       or citation_letter(clean, m.num_start, m.end)):
            continue
        if m.rule.field == "hardware_count" and device_spec_number(clean, m.num_start, m.num_end):
            continue
        if m.rule.id == "epochs.at_epoch" and starts_tick_run(clean, m.num_start, m.num_end):
            continue
        if FIELDS[m.rule.field].kind == "metric" and ends_tick_run(clean, m.num_start, m.num_end):
            continue  # "66 68 … 78 80 Accuracy, Top 1": a plot axis's top tick before its title, no score
        if FIELDS[m.rule.field].kind == "metric" and _COMPOUND_AFTER.match(clean, m.num_end):
            continue  # "WER 4-gram LM": the number is half of a word, no score
        if m.rule.field in PLAIN_TOP1 and plain_score_of_other_kind(clean, m.num_start, m.end):
            continue  # "29.9% error (top 5)", "localization … 29.9% error": no top-1 classification score
        if m.rule.field in ("epochs", "training_steps") and unit_definition(clean, m.start, m.end):
            continue  # "One epoch is one pass through the training set": what the unit means, no schedule
        if FIELDS[m.rule.field].kind == "metric" and _DATASET_PAIR_BEFORE.search(clean, max(0, m.num_start - 16),
                                                                                 m.num_start):
            continue  # "CIFAR10 / 100 Accuracy": the second dataset of a pair, no score
        raw_start = idx[m.start] if m.start < len(idx) else 0
        raw_end = idx[m.end - 1] + 1 if 0 < m.end <= len(idx) else raw_start
        ev, model = _evidence(clean, m, page_index, raw_start, sections, own, main_bench, pretrains, own_name)
        compute = FIELDS[m.rule.field].kind == "compute"
        if compute and body_height is None:
            body_height = _median_height(page.char_boxes)
        if compute and body_height:
            h = _median_height(page.char_boxes[raw_start:raw_end])
            if h and h < DEFAULT_SMALL_FONT * body_height:
                ev = ev.tagged("footnote")  # footnote or caption size text
        flags = ["range"] if ev.range_ else []
        if ev.lr_schedule:
            flags.append("schedule_step")
        bbox = page.span_bbox(raw_start, raw_end) if page.char_boxes else None
        cand = Candidate(
            arxiv_id=doc.arxiv_id, version=doc.version, field=m.rule.field, value=m.value, benchmark="",
            model=model, unit=m.rule.unit, raw=m.raw, page=page.number,
            snippet=_snippet(clean, m.start, m.end), rule=m.rule.id, bbox=bbox, flags=tuple(flags),
            rule_version=RULE_VERSION,
        )
        out.append((cand, m.rule.weight, ev, m.num_start))
    return out


def _median_height(boxes: tuple[BBox | None, ...] | list[BBox | None]) -> float:
    hs = [b[3] - b[1] for b in boxes if b is not None and b[3] > b[1]]
    hs.sort()
    return hs[len(hs) // 2] if hs else 0.0


@functools.lru_cache(maxsize=8192)  # the same few names, 25 calls a page
def _stem(name: str) -> str:
    head = re.split(r"[\-\s(]|(?<=[a-uw-z])(?=\d)", name.strip(), maxsplit=1)[0]
    return _SIZE_SUFFIX.sub("", head).lower().rstrip("s")
