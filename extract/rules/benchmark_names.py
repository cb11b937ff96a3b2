"""Which benchmark a number belongs to: registry aliases found in the text, nearest name, metric fit."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from flopmine.benchmarks import load_registry, name_patterns

from ..tables import OTHER_DATASETS, PRETRAIN_SOURCE
from .context import sentence_bounds


def _benchmark_spots(text: str) -> list[tuple[int, str]]:
    """Positions of benchmark names (registry aliases) in ``text``; datasets outside the registry
    ("PASCAL VOC", "Cityscapes") appear as ``other:<name>`` so their numbers are not taken for ours."""
    spots = [(m.start(), name) for name, rx in aliases_to_search(text) for m in rx.finditer(text)]
    spots += [(m.start(), "other:" + m.group(0).lower()) for m in OTHER_DATASETS.finditer(text)]
    return sorted(spots)


def aliases_to_search(text: str) -> Iterator[tuple[str, re.Pattern[str]]]:
    """The registry alias patterns (benchmark, pattern) that can match in ``text``: those whose stems the lower-cased
    text holds (a cheap substring pre-check), all of them when the text holds a case-folding trap."""
    low = None if _FOLD_TRAPS.search(text) else text.lower()
    held: dict[str, bool] = {}  # stems shared by several patterns ("english", "coco") are looked for once
    for name, rx, stems in _alias_stems():
        if low is None or stems is None:
            yield name, rx
            continue
        for stem in stems:
            hit = held.get(stem)
            if hit is None:
                hit = held[stem] = stem in low
            if hit:
                yield name, rx
                break


@functools.lru_cache(maxsize=1)
def _alias_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The registry's name patterns (``benchmarks.name_patterns``) plus the spellings it does not list."""
    out = list(name_patterns())
    for name, pattern in EXTRA_ALIASES.items():
        if name in load_registry():
            out.append((name, re.compile(pattern, re.IGNORECASE)))
    return tuple(out)


# Characters a case-insensitive pattern matches to an ASCII letter although their ``lower()`` is not that
# letter ("ſ" ~ s, "ı"/"İ" ~ i): in a text holding one, the substring pre-check below is skipped.
_FOLD_TRAPS = re.compile("[\u017f\u0131\u0130]")


@functools.lru_cache(maxsize=1)
def _alias_stems() -> tuple[tuple[str, re.Pattern[str], tuple[str, ...] | None], ...]:
    """``_alias_patterns`` with, for the registry's literal aliases, the lower-cased forms one of which any
    match contains (a cheap ``in`` test spares the regular expression on most pages); None: always run it."""
    literal: dict[str, list[str]] = {}
    for name, b in load_registry().items():
        literal[name] = [f.lower() for f in {*b.aliases, b.name}]
    out = []
    for i, (name, rx) in enumerate(_alias_patterns()):
        forms = literal.get(name) if i < len(literal) else EXTRA_ALIAS_STEMS.get(rx.pattern)
        # beyond ASCII, only characters without case ("→" in "en→de"): lower() and IGNORECASE agree on
        # them, so the two "English … German/French" patterns get their pre-check too (60% of the spots' time)
        ok = forms and all(ch.isascii() or ch.lower() == ch.upper() == ch for f in forms for ch in f)
        out.append((name, rx, _fewest_stems(forms) if forms and ok else None))
    return tuple(out)


def _fewest_stems(forms: list[str]) -> tuple[str, ...]:
    """The forms that hold none of the others (a text holding a form holds one of these, so the pre-check
    gives the same answer with fewer scans of the page: of the 89 forms 55 are left, 48 distinct, each
    looked for once a page)."""
    unique = sorted(set(forms))
    return tuple(f for f in unique if not any(o != f and o in f for o in unique))


# Spellings papers use that the registry's alias lists do not cover (regular expressions).
EXTRA_ALIASES: dict[str, str] = {
    "wmt14_en_fr": r"English[\s\-]?(?:to|→|-)[\s\-]?French|\bEn[\-→]Fr\b",
    "wmt14_en_de": r"English[\s\-]?(?:to|→|-)[\s\-]?German|\bEn[\-→]De\b",
    "swb_hub500": r"Switchboard|Hub5(?:'00|’00| 2000)?|\bSWB\b",
    "coco": r"test-dev|\bCOCO\b",
    "squad11": r"\bSQuAD\b",
}
# For each pattern above, lower-case strings one of which every match of it contains (a match of
# "English[\s\-]?(?:to|→|-)[\s\-]?French" contains "english"): keep in step with the patterns; a pattern
# missing here is always run.
EXTRA_ALIAS_STEMS: dict[str, list[str]] = {
    EXTRA_ALIASES["wmt14_en_fr"]: ["english", "en-fr", "en→fr"],
    EXTRA_ALIASES["wmt14_en_de"]: ["english", "en-de", "en→de"],
    EXTRA_ALIASES["swb_hub500"]: ["switchboard", "hub5", "swb"],
    EXTRA_ALIASES["coco"]: ["test-dev", "coco"],
    EXTRA_ALIASES["squad11"]: ["squad"],
}


def _nearest_benchmark(spots: list[tuple[int, str]], pos: int, default: str, window: int = 600) -> str:
    best = None
    for p, name in spots:
        d = pos - p if p <= pos else (p - pos) * 2  # prefer a name before the value
        if d <= window and (best is None or d < best[0]):
            best = (d, name)
    return best[1] if best else default


# Abbreviations whose period does not end a sentence ("59 FPS with mAP 74.3% on VOC2007 test, vs. Faster R-CNN …")
_ABBREVIATION_END = re.compile(r"\b(?:vs|e\.g|i\.e|cf|resp|al|approx|Fig|Tab|Eq|Sec)\.\s$")


def other_dataset_result(text: str, spots: list[tuple[int, str]], start: int, end: int, field: str = "") -> bool:
    """Whether the metric value at ``text[start:end]`` is a result on a dataset outside the registry: its sentence
    names such a dataset (``spots``, as ``_benchmark_spots`` gives them) that is no pre-training source, and no
    registry benchmark that has the value's metric ``field`` (any registry benchmark when it is not given).

    Habit: detection papers quote PASCAL VOC's mAP ("achieves the top result on VOC12 with a mAP of 65.7%"), vision
    papers a side dataset's error ("1.64% error on SVHN"), NLP papers another task's F1 ("the OntoNotes coreference
    resolution task (79.6% F1)"), near their registry results: read under the page's benchmark, such a value is a
    wrong row. A sentence naming both ("46.2% AP50 and 27.1% AP on the VOC and COCO metric") keeps its values.

    >>> t = "Fast R-CNN achieves the top result on VOC12 with a mAP of 65.7%. It reaches 19.7% AP on COCO."
    >>> at = t.find("65.7"); other_dataset_result(t, _benchmark_spots(t), at, at + 4)
    True
    >>> at = t.find("19.7"); other_dataset_result(t, _benchmark_spots(t), at, at + 4)
    False
    >>> t = "It runs at 59 FPS with mAP 74.3% on VOC2007 test, vs. Faster R-CNN with mAP 73.2%."; at = t.find("73.2")
    >>> other_dataset_result(t, _benchmark_spots(t), at, at + 4)
    True
    >>> t = "Pre-trained on JFT-300M, the model reaches 88.5%."; at = t.find("88.5")
    >>> other_dataset_result(t, _benchmark_spots(t), at, at + 4)
    False

    A registry benchmark that has no such metric does not make the value its own: in "the OntoNotes coreference task
    (79.6% F1), and even gains on GLUE" the F1 is OntoNotes' (GLUE's registry metric is accuracy).

    >>> t = "We reach the best result on the OntoNotes coreference task (79.6% F1), and even gains on GLUE."
    >>> at = t.find("79.6"); other_dataset_result(t, _benchmark_spots(t), at, at + 4, "f1")
    True
    >>> other_dataset_result(t, _benchmark_spots(t), at, at + 4, "acc")
    False
    """
    s, e = sentence_bounds(text, start, end)
    while s > 0 and _ABBREVIATION_END.search(text, max(0, s - 8), s):
        s = sentence_bounds(text, max(0, s - 3), max(0, s - 2))[0]  # "…, vs. Faster R-CNN": one sentence
    named = [name for p, name in spots if s <= p < e]
    if any(not name.startswith("other:") and _has_metric(name, field) for name in named):
        return False
    return any(not PRETRAIN_SOURCE.search(name) for name in named)


def passage_on_other_dataset(text: str, spots: list[tuple[int, str]], start: int, end: int,
                             window: int = 600) -> bool:
    """Whether the value at ``text[start:end]`` sits in a passage about another dataset: the benchmark nearest it
    (as ``_nearest_benchmark`` picks it) and the last one named before it are datasets outside the registry and
    neither is a pre-training source ("JFT-300M": where the model learned), and its sentence names no registry
    benchmark.

    Habit: a results section headed by another dataset ("5.2. PASCAL VOC 2007 Results") goes on for sentences that
    do not repeat its name ("… gives another boost to 58.9% mAP"); read under the page's benchmark, such values
    are wrong rows. A dataset named after the value only ("37.5% AP, more than on VOC") does not claim it, nor a
    passage whose sentence names a registry benchmark ("The PASCAL-style mAP is 35.9%; the COCO-style AP 19.7%").

    >>> t = "PASCAL VOC 2007 Results. Our baseline is 57.0% mAP. Our full model gives 58.9% mAP."
    >>> at = t.find("58.9"); passage_on_other_dataset(t, _benchmark_spots(t), at, at + 4)
    True
    >>> t = "PASCAL VOC 2007 Results. On COCO our full model gives 27.1% AP."
    >>> at = t.find("27.1"); passage_on_other_dataset(t, _benchmark_spots(t), at, at + 4)
    False
    >>> t = "Results on VOC 2012. Our baseline is 66.4%. Our model gives 69.0% mAP. The gain on VOC2012 is large."
    >>> at = t.find("69.0"); passage_on_other_dataset(t, _benchmark_spots(t), at, at + 4)
    True
    >>> t = "Our full model gives 37.5% AP, more than its gain on VOC2007."
    >>> at = t.find("37.5"); passage_on_other_dataset(t, _benchmark_spots(t), at, at + 4)
    False
    >>> t = "PASCAL VOC 2007 Results. On test-dev the PASCAL-style mAP is 35.9%; the COCO-style AP 19.7%."
    >>> at = t.find("35.9"); passage_on_other_dataset(t, _benchmark_spots(t), at, at + 4)
    False
    """
    nearest = _nearest_benchmark(spots, start, "", window)
    before = [name for p, name in spots if start - window <= p <= start]
    if not nearest.startswith("other:") or not before or not before[-1].startswith("other:") or any(
            PRETRAIN_SOURCE.search(name) for name in (nearest, before[-1])):
        return False
    s, e = sentence_bounds(text, start, end)
    return not any(s <= p < e and not name.startswith("other:") for p, name in spots)


def _has_metric(benchmark: str, field: str) -> bool:
    """Whether registry ``benchmark`` reports metric ``field`` (plain accuracy/error as its top-1 form counts);
    True when no field is given."""
    if not field:
        return True
    reg = load_registry()
    if benchmark not in reg:
        return True  # a name the registry does not hold: no grounds to say it lacks the metric
    metrics = reg[benchmark].metrics
    return field in metrics or PLAIN_TOP1.get(field) in metrics or _PLAIN_OF_TOP1.get(field) in metrics


DEFAULT_SETUP_WINDOW = 400  # characters before the value searched for the benchmark's name
_SETUP_FIELDS = frozenset({"hardware_count", "training_time_hours", "epochs", "training_steps"})


def _setup_benchmark(spots: list[tuple[int, str]], pos: int, window: int = DEFAULT_SETUP_WINDOW) -> str:
    """The benchmark whose setup the text before ``pos`` describes: the last registry benchmark named within
    ``window`` characters ("CoNLL2003: similar to the KBP series except … 128 epochs"), else the last
    other dataset (``other:…``), else ""."""
    before = [name for p, name in spots if pos - window <= p <= pos]
    registry = [name for name in before if not name.startswith("other:")]
    return registry[-1] if registry else (before[-1] if before else "")


# "accuracy" and "error" with no top-k are the top-1 ones (ImageNet's metrics say top1_*, CIFAR's plain acc/err)
PLAIN_TOP1 = {"acc": "top1_acc", "err": "top1_err"}
_PLAIN_OF_TOP1 = {top1: plain for plain, top1 in PLAIN_TOP1.items()}


def _fit_metric(field: str, benchmark: str, ranked: list[str] | None = None) -> tuple[str, str] | None:
    """(field, benchmark) made consistent: ``err`` on ImageNet is ``top1_err``; a metric the nearest
    benchmark does not have goes to the paper's most-named benchmark that has it."""
    reg = load_registry()
    options = [benchmark] if benchmark else []
    options += [b for b in (ranked or []) if b != benchmark]
    for b in options:
        if b not in reg:
            continue
        metrics = reg[b].metrics
        if field in metrics:
            return field, b
        mapped = PLAIN_TOP1.get(field) or _PLAIN_OF_TOP1.get(field)
        if mapped in metrics:
            return mapped, b
    if field in ("acc", "err") and options and "imagenet" in options[:1]:
        return None
    return field, ""


# A numbered heading alone on its line: "5.2. PASCAL VOC 2007 Results", "3.1 PASCAL VOC2007", "4 Experiments"
_NUMBERED_HEADING = re.compile(r"^[ \t]*([1-9]\d?(?:\.\d{1,2}){0,3})\.?[ \t]+([A-Z][^\n]{1,80}?)[ \t]*$", re.M)
DEFAULT_HEADING_WORDS = 8  # a title longer than this is a numbered list item or a sentence, no heading
# a decimal value standing alone: a table row that starts with a count or a rank ("2 ResNet-50 76.1 25.6"), no title
_DECIMAL_VALUE = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")


def heading_datasets(pages: list[str]) -> list[list[tuple[int, str]]]:
    """Per page, where a numbered section's dataset context starts: (offset in that page's text, dataset) at each
    numbered heading, the dataset being ``other:<name>`` while the section, or a section it is numbered under
    ("5.2.1" under "5.2"), is headed by a dataset outside the registry, else "". Contexts carry over pages.

    Habit: detection papers evaluate on PASCAL VOC and COCO in separate sections; a heading ("5.2. PASCAL VOC 2007
    Results", "4.3. VOC 2007 results") names the dataset for the text below it up to the next heading that is not
    a subsection, while the sentences there name none ("Our full model … gives an improvement to 69.9% mAP").
    A heading naming a registry benchmark too ("5.3. Results on PASCAL VOC 2012 and MS COCO") or a pre-training
    source gives no such context; a title of a sentence's form or over ``DEFAULT_HEADING_WORDS`` words ("2. Training
    is expensive in space and time. For SVM", a numbered list item) is no heading.

    >>> heading_datasets(["5 Experiments\\n5.2. PASCAL VOC 2007 Results\\nx\\n5.2.1 Ablation\\ny",
    ...                   "more\\n5.3. Results on VOC 2012 and MS COCO\\nz\\n6 Conclusion"])
    [[(0, ''), (14, 'other:pascal voc'), (45, 'other:pascal voc')], [(5, ''), (44, '')]]
    """
    out: list[list[tuple[int, str]]] = []
    stack: list[tuple[str, str]] = []  # (section number, its own dataset or "")
    for text in pages:
        marks: list[tuple[int, str]] = []
        for m in _NUMBERED_HEADING.finditer(text):
            number, title = m.group(1), m.group(2)
            if len(title.split()) > DEFAULT_HEADING_WORDS or re.search(r"[.:;,]\s+\S|[.:;]$", title):
                continue  # a sentence, a list item or a page's running header ("8 Liu et al.")
            if _DECIMAL_VALUE.search(title):
                continue  # a table row's values
            while stack and not number.startswith(stack[-1][0] + "."):
                stack.pop()
            names = [name for _, name in _benchmark_spots(title)]
            # one kind of name: other datasets only, or registry benchmarks only ("3.5 Preliminary ILSVRC results")
            own = names[0] if names and not PRETRAIN_SOURCE.search(title) and len(
                {n.startswith("other:") for n in names}) == 1 else ""
            stack.append((number, own))
            marks.append((m.start(), next((d for _, d in reversed(stack) if d), "")))
        out.append(marks)
    return out


def section_dataset(marks: list[tuple[int, str]], before: str, pos: int) -> str:
    """The dataset context at offset ``pos`` of a page: the last mark of ``heading_datasets`` before it, else the
    context the page opened in (``before``: the previous pages' last).

    >>> section_dataset([(10, "other:voc"), (50, "")], "", 30), section_dataset([(10, "other:voc")], "", 5)
    ('other:voc', '')
    """
    ctx = before
    for at, dataset in marks:
        if at > pos:
            break
        ctx = dataset
    return ctx


# A benchmark named as what a model was trained on ("fine-tuned from models trained on COCO", "pretrained on
# MS-COCO"): where it learned, not where the section's result was measured
_TRAINED_ON = re.compile(r"\b(?:pre-?)?trained\s+(?:on|with)\s+(?:the\s+)?(?:MS[\s\-]?)?$", re.I)
DEFAULT_TRAINED_ON_REACH = 40  # characters before a benchmark's name searched for "trained on"


def _named_as_training_set(text: str, pos: int) -> bool:
    """Whether the benchmark named at ``text[pos]`` follows "trained on" (``_TRAINED_ON``).

    >>> t = "models pretrained on MS-COCO"; _named_as_training_set(t, t.find("COCO"))
    True
    >>> t = "models evaluated on COCO"; _named_as_training_set(t, t.find("COCO"))
    False
    """
    return bool(_TRAINED_ON.search(text, max(0, pos - DEFAULT_TRAINED_ON_REACH), pos))


def section_on_other_dataset(text: str, spots: list[tuple[int, str]], start: int, end: int, section: str,
                             field: str = "") -> bool:
    """Whether the metric value at ``text[start:end]`` is a result of its section's dataset (``section``, as
    ``section_dataset`` gives it) outside the registry: the section is headed by one, no registry benchmark is
    named within the window ``_nearest_benchmark`` looks in, and its sentence names none.

    >>> t = "For the VGG16 architecture, our full model gives an improvement to 69.9% mAP."
    >>> at = t.find("69.9"); section_on_other_dataset(t, _benchmark_spots(t), at, at + 4, "other:pascal voc")
    True
    >>> section_on_other_dataset(t, _benchmark_spots(t), at, at + 4, "")
    False
    >>> t = "Fine-tuned from models trained on COCO, our SSD512 achieves 80.0% mAP."
    >>> at = t.find("80.0"); section_on_other_dataset(t, _benchmark_spots(t), at, at + 4, "other:pascal voc")
    True
    >>> t = "On COCO our full model gives 27.1% AP."
    >>> at = t.find("27.1"); section_on_other_dataset(t, _benchmark_spots(t), at, at + 4, "other:pascal voc")
    False

    A section headed by a registry benchmark that has no such metric ("3.5 Preliminary ILSVRC results": ImageNet's
    registry metrics are classification's) holds another task's values: "We can achieve 43.4 mAP on the val2 set"
    is no COCO box AP; a top-1 accuracy there is ImageNet's.

    >>> t = "We can achieve 43.4 mAP on the val2 set."
    >>> at = t.find("43.4"); section_on_other_dataset(t, _benchmark_spots(t), at, at + 4, "imagenet", "box_ap")
    True
    >>> section_on_other_dataset(t, _benchmark_spots(t), at, at + 4, "imagenet", "top1_acc")
    False
    """
    def foreign(name: str) -> bool:  # another dataset, or a registry one without the value's metric
        return name.startswith("other:") or not _has_metric(name, field)

    if not section or not foreign(section):
        return False
    spots = [(p, name) for p, name in spots if not _named_as_training_set(text, p)]
    nearest = _nearest_benchmark(spots, start, "")
    if nearest and not foreign(nearest):
        return False
    s, e = sentence_bounds(text, start, end)
    return not any(s <= p < e and not foreign(name) for p, name in spots)


# A figure's caption: "Fig. 2: A comparison …", "Figure 5. Accuracy vs. …"
_FIGURE_CAPTION = re.compile(r"\b(?:Fig\.|Figure)\s?\d{1,2}\s?[:.]\s")
# … unless the sentence refers to the figure ("as shown in Figure 3. VOC2007 results …", "as Fig. 3. shows")
_FIGURE_REFERENCE = re.compile(r"\b(?:in|see|of|to|and|from|as|also|by|with|cf\.)\s?\(?$", re.I)
_SENTENCE_END = re.compile(r"[\w)\]%]\.\s+[A-Z]")
DEFAULT_FIGURE_REACH = 500  # characters from a figure's text to its caption
DEFAULT_CAPTION_CHARS = 400  # the part of a caption read for the dataset it names


def figure_on_other_dataset(text: str, spots: list[tuple[int, str]], start: int, end: int) -> bool:
    """Whether the value at ``text[start:end]`` is in a figure's text whose caption, right after it, names a dataset
    outside the registry and no registry benchmark (one named as what the model was trained on aside).

    Habit: a figure's labels ("74.3mAP 59FPS 63.4mAP 45FPS" beside two architectures' diagrams) come out of the text
    layer just before the figure's caption, which says where they were measured ("… outperforms its YOLO
    counterpart in accuracy on VOC2007 test"); no sentence ends between the labels and the caption.

    >>> t = "Conv7 74.3mAP 59FPS 63.4mAP 45FPS Conv6 Fig. 2: A comparison of SSD and YOLO. SSD is better on VOC2007."
    >>> at = t.find("63.4"); figure_on_other_dataset(t, _benchmark_spots(t), at, at + 4)
    True
    >>> t = "Conv7 74.3mAP 59FPS 63.4mAP 45FPS Conv6 Fig. 2: A comparison of SSD and YOLO on COCO and VOC2007."
    >>> at = t.find("63.4"); figure_on_other_dataset(t, _benchmark_spots(t), at, at + 4)
    False
    >>> t = "Our model reaches 63.4 mAP. We show more. Fig. 2: Results on VOC2007."
    >>> at = t.find("63.4"); figure_on_other_dataset(t, _benchmark_spots(t), at, at + 4)
    False
    """
    cap = next((m for m in _FIGURE_CAPTION.finditer(text, end, end + DEFAULT_FIGURE_REACH)
                if not _FIGURE_REFERENCE.search(text, max(0, m.start() - 8), m.start())), None)
    if cap is None or _SENTENCE_END.search(text, start, cap.start()):
        return False
    named = [name for p, name in spots if cap.start() <= p < cap.start() + DEFAULT_CAPTION_CHARS
             and not _named_as_training_set(text, p)]
    return bool(named) and all(n.startswith("other:") and not PRETRAIN_SOURCE.search(n) for n in named)
