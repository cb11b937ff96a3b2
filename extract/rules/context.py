"""What surrounds a match: the section it sits in, the paper's own model names, nearby benchmarks.

Pure functions over page text; the ranking (``extract.ranking``) turns these into confidence.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass

from flopmine.benchmarks import lowercase_names

from ..document import Document, Page
from ..tables import OTHER_DATASETS

# A heading line: optional number ("4.2", "IV.", "A."), then the title on a line of its own.
_HEADING = re.compile(r"^\s*(?:(?:\d+(?:\.\d+)*|[IVX]+|[A-H](?:\.\d+)*)\.?\s+)?([A-Z][A-Za-z0-9 &:\-]{2,60})\s*$")
SECTION_KINDS: dict[str, str] = {
    "references": "references", "bibliography": "references", "related work": "related",
    "related works": "related", "prior work": "related", "background": "related",
    "previous work": "related", "acknowledgments": "references", "acknowledgements": "references",
    "acknowledgment": "references", "acknowledgement": "references",
    "introduction": "intro", "abstract": "intro",
    "experiments": "experiments", "experiment": "experiments", "results": "experiments",
    "experimental results": "experiments", "evaluation": "experiments", "training": "experiments",
    "experimental setup": "experiments", "implementation details": "experiments",
    "appendix": "appendix", "supplementary material": "appendix", "conclusion": "conclusion",
    "conclusions": "conclusion",
}


@dataclass(frozen=True)
class SectionMap:
    """For each page, sorted (offset, kind) boundaries in that page's raw text."""

    bounds: tuple[tuple[tuple[int, str], ...], ...]

    def kind(self, page_index: int, offset: int) -> str:
        """The section kind ("references", "related", "experiments", "body" …) at a raw-text offset."""
        kind = self._start(page_index)
        for off, k in self.bounds[page_index]:
            if off > offset:
                break
            kind = k
        return kind

    def _start(self, page_index: int) -> str:
        for i in range(page_index - 1, -1, -1):
            if self.bounds[i]:
                return self.bounds[i][-1][1]
        return "body"


def section_map(doc: Document) -> SectionMap:
    """Find section headings on every page.

    >>> from flopmine.extract.document import Document
    >>> d = Document.from_texts(["1 Introduction\\nWe\\n2 Related Work\\nOthers [3]\\n3 Method\\nx",
    ...                          "References\\n[1] A. Author"])
    >>> m = section_map(d); m.kind(0, 3), m.kind(0, 30), m.kind(0, 45), m.kind(1, 15)
    ('intro', 'related', 'body', 'references')
    """
    out: list[tuple[tuple[int, str], ...]] = []
    seen_refs = False
    for page in doc.pages:
        bounds: list[tuple[int, str]] = []
        pos = 0
        for line in page.text.splitlines(keepends=True):
            m = _HEADING.match(line)
            if m:
                title = m.group(1).strip().lower()
                kind = SECTION_KINDS.get(title)
                if kind is None and re.match(r"(?:appendix|appendices|supplementary)\b", title):
                    kind = "appendix"  # "APPENDIX: DETAILS OF …", "Appendix A. Training"
                numbered = m.group(0).strip()[:1].isdigit()
                if kind is None and numbered and len(title.split()) <= 6 and not seen_refs:
                    kind = "body"
                if kind is None and seen_refs and re.match(r"\s*(?:[A-H]|Appendix [A-H])[.:]?\s+[A-Z]", line):
                    kind = "appendix"  # "A Additional Details": lettered sections after the references
                if kind == "references":
                    seen_refs = True
                if kind == "appendix":
                    seen_refs = False
                if kind is not None and (not seen_refs or kind in ("references", "appendix")):
                    bounds.append((pos, kind))
            pos += len(line)
        out.append(tuple(bounds))
    # Pages after the references that do not read like a bibliography are an appendix (results tables,
    # training details), whether or not their heading was recognised.
    fixed = list(out)
    sm = SectionMap(tuple(out))
    for i, page in enumerate(doc.pages):
        if sm._start(i) == "references" and bibliography_share(page.text) < DEFAULT_BIB_SHARE:
            fixed[i] = ((0, "appendix"), *((o, k) for o, k in out[i] if o > 0))
            sm = SectionMap(tuple(fixed))
    return SectionMap(tuple(fixed))


DEFAULT_BIB_SHARE = 0.2
_BIB_LINE = re.compile(r"^\s*\[\d+\]|\b(?:19|20)\d\d[a-z]?\b[.,)]|\bIn (?:Proc|CVPR|ICCV|ECCV|NIPS|NeurIPS|ICML|ICLR|"
                       r"ACL|EMNLP|NAACL|AAAI)|\barXiv\b|\bpp\.|\bpages \d|Proceedings|Conference|Journal|"
                       r"Transactions|et al\.")


def bibliography_share(text: str) -> float:
    """Share of a page's lines that look like bibliography entries.

    >>> bibliography_share("[1] A. Author. Title. In CVPR, 2016.\\n[2] B. Author. arXiv 2017.\\n")
    1.0
    >>> bibliography_share("Model top-1 err.\\nFooNet 21.3\\nBarNet 22.0\\n")
    0.0
    """
    lines = [ln for ln in text.splitlines() if len(ln.strip()) > 15 or _BIB_LINE.search(ln)]
    if not lines:
        return 0.0
    return sum(1 for ln in lines if _BIB_LINE.search(ln)) / len(lines)


# ---------------------------------------------------------------- model names

# A model-like name: CamelCase, ALLCAPS with digits, or Name-152 / Name-v2 / Name-B7 / Name-tiny (a size word after a
# hyphen is part of the name: "YOLOv4-tiny" is not the paper's YOLOv4). Written as
#   (?<![\w\-])(?:[A-Z][a-z]+[A-Z][A-Za-z]*|[A-Z]{2,}[a-z]*|[A-Z][a-z]+)(?:…)*(?![\w])
# with the capital every branch starts with taken first and the look-behind after it (it then looks at that
# capital and the character before it): the same matches, and a pattern that starts with a character class
# lets the scanner skip to the next capital instead of trying every position (0.145 → 0.08 ms a page).
# A one-letter name with its digits is a model only with a size after a hyphen ("T5-Base", "T5-11B", "T5-XXL"):
# alone, such a token is a GPU ("V100"), a metric ("F1"), a norm ("L2") or a dataset ("C4").
MODEL_NAME = re.compile(
    r"[A-Z](?<![\w\-][A-Z])(?:\d{1,2}-(?:Base|Large|Small|XX?L|base|large|small|\d{1,3}B)(?![\w])|"
    r"(?:[a-z]+[A-Z][A-Za-z]*|[A-Z]+[a-z]*|[a-z]+)(?:[\-]?(?:v?\d+[A-Za-z\d]*|[A-Z]\d*|"
    r"[A-Z][a-z]+|Base|Large|Huge|BASE|LARGE|(?<=-)(?:tiny|small|base|large|huge|lite\d?|nano)(?![a-z])))*"
    r"(?![\w]))"
)
_STOP_NAMES = {
    "The", "We", "Our", "In", "This", "Table", "Figure", "Fig", "Section", "For", "On", "As", "It", "To",
    "Each", "All", "When", "With", "Using", "By", "Note", "However", "Results", "GPU", "GPUs", "TPU",
    "CPU", "NVIDIA", "Nvidia", "SGD", "ImageNet", "COCO", "CIFAR", "BLEU", "FLOPs", "FLOP", "Top", "And",
    "An", "Then", "Finally", "Since", "That", "These", "Here", "Also", "Both", "Compared", "Further",
    "If", "At", "Of", "From", "After", "Training", "Test", "Appendix", "Abstract", "Introduction",
    "Conclusion", "References", "Method", "Methods", "Experiments", "Model", "Models", "Deep",
    "Learning", "Network", "Networks", "Neural", "Conference", "Proceedings", "arXiv", "Eq",
    "Mult-Adds", "Multi-Adds", "MACs", "GFLOPs", "MFLOPs", "Params", "Parameters", "FLOPS", "ILSVRC",
    # frameworks, optimisers and hardware brands name tools, never the paper's model
    "PyTorch", "TensorFlow", "Caffe", "Caffe2", "MXNet", "Theano", "Torch", "Keras", "JAX", "Chainer",
    "PaddlePaddle", "CUDA", "cuDNN", "Adam", "AdamW", "RMSProp", "Adagrad", "GTX", "RTX", "Tesla", "TITAN",
    "Titan", "Xeon", "Intel", "Google", "Cloud", "NVidia", "Quadro", "GeForce",
}


def model_names(text: str) -> list[str]:
    """Model-like names in ``text`` in order of appearance.

    >>> model_names("Our EfficientNet-B7 beats ResNet-152 and GPipe on ImageNet.")
    ['EfficientNet-B7', 'ResNet-152', 'GPipe']
    >>> model_names("Built on PyTorch and trained on four GTX 1080 GPUs with Adam.")
    []
    >>> model_names("We train ConvNeXts and SENets; our Effi-cientNetV2 wins.")
    ['ConvNeXt', 'SENet', 'EfficientNetV2']
    """
    out = []
    if "-" in text:
        text = _BROKEN_CAMEL.sub(r"\1\2", text)  # "our Effi-cientNetV2": a name hyphenated at a line end
    for m in MODEL_NAME.finditer(text):
        name = m.group(0)
        if name in _STOP_NAMES or len(name) < 3:
            continue
        if name.isalpha() and name[0].isupper() and name[1:].islower():
            continue  # a capitalised English word ("Residual"), not a model name
        if never_a_model(name):
            continue
        out.append(_PLURAL.sub("", name))
    return out


_BROKEN_CAMEL = re.compile(r"\b([A-Z][a-z]{1,12})-([a-z]+[A-Z])")
# "We train ConvNeXts for 300 epochs", "SENets", "BiLSTMs": the family in the plural is the family
_PLURAL = re.compile(r"(?:(?<=[A-Z])|(?<=Net)|(?<=Xt))s$")


@functools.lru_cache(maxsize=320)  # more than a document's pages (extract.pdf reads up to 300)
def _page_names(text: str) -> tuple[str, ...]:
    """``model_names`` of a whole page, kept for a document's pages: the paper-level passes read each page twice."""
    return tuple(model_names(text))


# Words shaped like model names that name something else. Papers write the dataset a model is trained on
# ("300 epochs on ImageNet-1k", "IN-21k", "JFT-300M", "LibriSpeech 960h"), the metric ("Top-1", "AP50",
# "WER"), the machine ("8 V100", "TPUv3 with 8 cores", "6 DGX-2 machines", "64 Intel KNL instances"), the
# numeric format ("FP16"), generic words in capitals ("a CNN", "DDP", a "4.1 MODEL SETUP" heading), layers
# ("MaxPool", "RoIAlign") and the venues of the references ("CVPR", "CoRR") right next to the numbers; none of
# them is the model a number belongs to.
_NOT_MODEL_SHAPE = re.compile(
    r"(?:IN|ImageNet|ILSVRC|JFT|IG|YFCC|LAION|CC|WMT|COCO|MS-COCO|CIFAR|PASCAL|VOC|LibriSpeech|Kinetics|C4)"
    r"(?:[\s\-']?\d+[kKMBh]?|[\s\-]?(?:ReaL|V2|Val|Test|Train))*"
    r"|(?:Top|AP|APs|APm|APl|AR|mAP|WER|CER|BLEU|EM|IoU|FPS|PPL)[\s\-]?\d*"
    r"|(?:DGX|NVDIA|NVIDIA|TPUv?\d*|GPUs?|CPUs?|KNL|FP|BF|INT)[\s\-]?\d*"
    r"|CNNs?|RNNs?|DNNs?|DDP|SETUP|MODEL|RESULTS|EXPERIMENTS|DETAILS|TRAINING|IMPLEMENTATION|ABLATION|"
    r"R[oO]I\w*|ICLR|IEEE|CVPR|ICCV|ECCV|NIPS|NeurIPS|ICML|ACL|EMNLP|NAACL|AAAI|IJCAI|CoRR|ACM|TPAMI|IJCV|JMLR|"
    r"ICASSP|INTERSPEECH|Interspeech|WSJ|DailyMail|BPE|MaxPool|AvgPool|DepthConcat|FC|Conv\d*|Softmax|FAIR|NER|EOS|NMS|IOU|MMI|SOTA|"
    r"AdaDelta|Adadelta|AdaGrad|LAMB|LARS|Nesterov|Momentum|ReLU|GELU|BatchNorm|LayerNorm|Dropout|DropBlock|SyncBN")


# "(Re-7Due to the memory issue": a footnote mark glued to the next sentence's first word
_FOOTNOTE_GLUED = re.compile(r"-\d+[A-Z][a-z]{2,}$")


@functools.lru_cache(maxsize=4096)
def never_a_model(name: str) -> bool:
    """Whether a model-shaped name is a dataset or benchmark, a metric, a device or a generic word.

    >>> [n for n in ("ImageNet-1K", "IN-21k", "Top-1", "AP50", "V100", "TPUv3", "DGX-2", "CIFAR-10", "SETUP", "Re-7Due")
    ...  if not never_a_model(n)]
    []
    >>> [never_a_model(n) for n in ("ResNet-50", "BiDAF", "ViT-L", "EfficientNetV2", "TinyBERT", "T5-Base")]
    [False, False, False, False, False, False]
    """
    if _NOT_MODEL_SHAPE.fullmatch(name) or OTHER_DATASETS.fullmatch(name) or _FOOTNOTE_GLUED.search(name):
        return True
    if name.lower() in lowercase_names():
        return True
    from flopmine.hardware import match_hardware

    hit = match_hardware(name)
    return hit is not None and hit.score >= 100


# A name the paper writes as a dataset: "the TACRED relation extraction benchmark", "the LVIS dataset", "VTAB
# benchmark", "ObjectNet test set": a name with two capitals or more (an acronym or CamelCase, as model names are),
# then up to three lowercase words that are no preposition, article or verb: a name those join to "datasets"
# ("RoBERTa across all benchmark datasets") is a model compared on them.
_DATASET_NAMED = re.compile(
    r"\b([A-Z][A-Za-z]*[A-Z][A-Za-z0-9\-]*)\s+(?:(?!(?:on|of|the|a|an|in|for|with|and|or|to|at|by|from|over|"
    r"than|as|is|are|was|were|our|its|their|across|all|among|between|into|using|via)\s)[a-z][a-z\-]+\s+){0,3}?"
    r"(?:datasets?|benchmarks?|corpus|corpora|data\s?sets?|test\s?sets?|validation\s?sets?)\b")


def names_written_as_datasets(text: str) -> frozenset[str]:
    """Model-shaped names that ``text`` (a paper) writes as datasets, with at most three lowercase words between
    the name and "dataset", "benchmark", "corpus" or "test set".

    Habit: NLP and vision papers name the tasks they evaluate on by acronyms shaped like model names ("strong
    performance on the TACRED relation extraction benchmark"); the name nearest a number then read as its model
    ("79.6% F1" under "TACRED", "10 epochs" for "TACRED/GLUE").

    >>> sorted(names_written_as_datasets("strong performance on the TACRED relation extraction benchmark; the LVIS dataset"))
    ['LVIS', 'TACRED']
    >>> sorted(names_written_as_datasets("We train ResNet-50 on the ImageNet dataset. BERT improves the GLUE benchmark."))
    ['GLUE', 'ImageNet']
    >>> sorted(names_written_as_datasets("ResNet-50 achieves 76% top-1 on ImageNet; BERTLARGE was trained for 1M steps."))
    []
    >>> sorted(names_written_as_datasets("we fine-tune ResNet-50 on the dataset and evaluate ViT-B for the test set"))
    []
    """
    return frozenset(m.group(1) for m in _DATASET_NAMED.finditer(text))


# A size suffix glued to a family name by small caps: "BERTLARGE", "BERTBASE", "RoBERTaLARGE".
_SIZE_SUFFIX = re.compile(r"(?<=[A-Za-z])(?:LARGE|BASE|SMALL|HUGE|TINY)$")


@functools.lru_cache(maxsize=8192)  # the same few names, 50 calls a page
def _stem(name: str) -> str:
    """The family part of a model name: "ResNet-152" → "resnet", "EfficientNet-B7" → "efficientnet",
    "BERTLARGE" → "bert"; an acronym with its input size or depth glued on ("SSD300", "VGG16", "DPN92") is the
    acronym's family, while a one-letter name keeps its digits ("T5", "R50" are names, not sizes).

    >>> [_stem(n) for n in ("SSD512", "VGG16", "ResNet50", "T5", "X3D-M", "YOLOv3")]
    ['ssd', 'vgg', 'resnet', 't5', 'x3d', 'yolov3']
    """
    return _SIZE_SUFFIX.sub("", re.split(r"[\-\s]|(?<=[a-uw-z])(?=\d)|(?<=[A-Z]{2})(?=\d)", name, maxsplit=1)[0]).lower().rstrip("s")


def first_page_title(page: Page) -> str:
    """The title printed on page 1, for a paper whose metadata has none (a folder of PDFs): ``extract.pdfmeta``'s
    rule (the largest type in the top half of the page) on the lines of the page's text and character boxes,
    within its first ``pdfmeta.DEFAULT_MAX_TITLE_CHARS`` characters. "" when the page has no character boxes.

    >>> lines = [("SpanBERT: Improving Pre-training", 17.0), ("by Representing Spans", 17.0), ("Ann Author", 11.0)]
    >>> text = "\\n".join(t for t, _ in lines)
    >>> boxes = [b for t, h in lines for b in [(0.0, 20.0 * h, 5.0, 20.0 * h + h)] * len(t) + [None]]
    >>> first_page_title(Page(1, text, height=792.0, char_boxes=tuple(boxes)))
    'SpanBERT: Improving Pre-training by Representing Spans'
    """
    from ..pdfmeta import DEFAULT_MAX_TITLE_CHARS, TextLine, title_from_lines

    if not page.char_boxes:
        return ""
    lines: list[TextLine] = []
    pos = 0
    for line in page.text[:DEFAULT_MAX_TITLE_CHARS].split("\n"):
        boxes = [b for b in page.char_boxes[pos:pos + len(line)] if b is not None and b[3] > b[1]]
        pos += len(line) + 1
        if line.strip() and boxes:
            heights = sorted(b[3] - b[1] for b in boxes)
            lines.append(TextLine(line.strip(), heights[len(heights) // 2], min(b[1] for b in boxes)))
    height = page.height or max((ln.top for ln in lines), default=0.0) * 2
    return title_from_lines(lines, height) if lines else ""


# "We propose ShuffleNet", "we introduce the Bi-Directional Attention Flow (BIDAF) network", "a new model,
# called TinyBERT": how a paper names its own model on its first pages.
_PROPOSE = re.compile(r"\b(?:[Ww]e (?:propose|introduce|present|develop|design)|[Tt]his (?:paper|work) (?:proposes|"
                      r"introduces|presents)|(?:called|named|dubbed|termed)|we (?:call|name|dub|term)(?: (?:it|them))?)"
                      r"\b", re.S)
DEFAULT_PROPOSE_PAGES = 2  # the abstract and introduction
DEFAULT_PROPOSE_CHARS = 70  # the name comes within this many characters of the verb
# "We propose a new simple network architecture, the Transformer, based solely on …": an ordinary word,
# capitalised after "the" in mid-sentence and closed by a comma or bracket, is the name given to what is proposed
_APPOSITIVE_NAME = re.compile(r"\bthe ([A-Z][a-z]{3,})(?=\s*[,;:(])")


def proposed_name(window: str) -> str:
    """The name of what a paper proposes, from the text right after the verb ("We propose …"): a model-like
    name (the short name in brackets first), else a capitalised word set off as an apposition; "" when none.

    >>> proposed_name("a new simple network architecture, the Transformer, based solely on attention")
    'Transformer'
    >>> proposed_name("the Bi-Directional Attention Flow (BIDAF) network, a multi-stage")
    'BIDAF'
    >>> proposed_name("a method that improves the Results, which"), proposed_name("the ImageNet, a dataset")
    ('', '')
    """
    names = model_names("".join(re.findall(r"\(([^()]{2,30})\)", window))) or model_names(window)
    if names:
        return names[0]
    m = _APPOSITIVE_NAME.search(window)
    if m is None or m.group(1) in _STOP_NAMES or m.group(1).lower() in _APPOSITIVE_WORDS or never_a_model(m.group(1)):
        return ""
    return m.group(1)


# capitalised words an apposition may hold that name no model (headings and section words written in capitals)
_APPOSITIVE_WORDS = frozenset({"results", "appendix", "section", "table", "figure", "method", "model", "network",
                               "algorithm", "approach", "framework", "paper", "supplementary"})


def own_model_stems(doc: Document) -> dict[str, float]:
    """Families of the paper's own models, scored 0–1: named in the title ("BERT: …") or abstract,
    or the family named most in the paper.

    >>> from flopmine.extract.document import Document
    >>> d = Document.from_texts(["ResNet-50 and ResNet-152 and VGG-16 and ResNet-101"],
    ...                         title="ShuffleNet: an efficient network")
    >>> s = own_model_stems(d); s["shufflenet"], s["resnet"] > s.get("vgg", 0)
    (1.0, True)
    """
    scores: dict[str, float] = {}
    title = doc.title or ""
    head = title.split(":")[0] if ":" in title else ""
    if not title and doc.pages:
        # no metadata (a folder of PDFs): only the printed title's "Name: …" head is trusted, since the largest
        # type on page 1 is sometimes the authors or a heading
        printed = first_page_title(doc.pages[0])
        head = printed.split(":")[0] if ":" in printed and len(printed.split(":")[0].split()) <= 2 else ""
    for name in model_names(head) or ([head.strip()] if head.strip() and len(head.split()) == 1 else []):
        scores[_stem(name)] = 1.0
    for name in model_names(title):
        scores.setdefault(_stem(name), 0.8)
    for name in model_names(doc.abstract or ""):
        scores.setdefault(_stem(name), 0.6)
    for page in doc.pages[:DEFAULT_PROPOSE_PAGES]:
        for m in _PROPOSE.finditer(page.text):
            # "the Bi-Directional Attention Flow (BIDAF) network": the short name in brackets is the model's
            name = proposed_name(page.text[m.end():m.end() + DEFAULT_PROPOSE_CHARS])
            if name:
                scores[_stem(name)] = max(scores.get(_stem(name), 0.0), 0.9)
    counts: Counter[str] = Counter()
    for page in doc.pages:
        counts.update(_stem(n) for n in _page_names(page.text))
    if counts:
        top = counts.most_common(1)[0][1]
        for stem, c in counts.most_common(8):
            scores[stem] = max(scores.get(stem, 0.0), 0.7 * c / top)
    return scores


DEFAULT_OWN_DOMINANCE = 2.0  # the top family must be named this many times as often as the next to be "the" model


def own_model_name(doc: Document, own: dict[str, float] | None = None) -> str:
    """The paper's one own model family, as the paper spells it (bare when it is ever written bare, else its most
    frequent form), when one family clearly dominates: named in the title or as what the paper proposes, or named
    ``DEFAULT_OWN_DOMINANCE`` times as often as any other family; else "".

    A paper about one model writes "The model has about 2.6 million parameters" without naming it again.

    >>> d = Document.from_texts(["BiDAF uses attention. BiDAF is fast. BiDAF wins. We compare to R-Net."])
    >>> own_model_name(d)
    'BiDAF'
    >>> own_model_name(Document.from_texts(["ResNet-50 and VGG-16 and ResNet-101 and VGG-19"]))
    ''
    """
    own = own_model_stems(doc) if own is None else own
    surfaces: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for page in doc.pages:
        for n in _page_names(page.text):
            surfaces[n] += 1
            counts[_stem(n)] += 1
    if not counts:
        return ""
    ranked = counts.most_common(2)
    top = max(own, key=lambda k: (own[k], counts.get(k, 0)), default=ranked[0][0])
    titled = own.get(top, 0.0) >= 0.8
    runner_up = max((c for k, c in counts.items() if k != top), default=0)
    if not titled and counts.get(top, 0) < DEFAULT_OWN_DOMINANCE * max(1, runner_up):
        return ""
    # the family as written bare ("ResNet"), when the paper writes it so: which variant a sentence means is not known
    forms = [(_stem(n) == n.lower().rstrip("s"), c, n) for n, c in surfaces.items() if _stem(n) == top]
    return max(forms)[2] if forms else ""


_OURS = re.compile(r"\b(?:we|our|ours|us|this paper|this work|proposed)\b", re.IGNORECASE)
# Habit: papers cite by number ("[12]", "[3, 7-9]"), by "et al.", or by authors and year: one author or two joined
# by "and" / "&", the year often lettered when an author has two papers that year ("(Tan & Le, 2019b)",
# "(Smith and Jones 2019)", "(He, 2016a; Tan et al., 2019)"), or named in the sentence with the year after
# ("Smith & Jones (2019)", "Smith and Jones, 2019"). Outside parentheses a comma or bracket must precede
# the year: "ImageNet and COCO 2017" names two datasets, not two authors.
_SURNAME = r"[A-Z][\w\-'’]+"
_CITE_YEAR = r"(?:19|20)\d\d[a-z]?"
AUTHOR_YEAR = re.compile(
    rf"\(\s*{_SURNAME}(?:\s+(?:&|and)\s+{_SURNAME})?,?\s+{_CITE_YEAR}\s*[);,]"
    rf"|\b{_SURNAME}\s+(?:&|and)\s+{_SURNAME}(?:,\s+{_CITE_YEAR}\b|\s+\(\s*{_CITE_YEAR}\s*\))")
_CITE = re.compile(r"\[\d+(?:[,\-–]\s*\d+)*\]|\bet al\.|\(\w+ et al|" + AUTHOR_YEAR.pattern)


def mentions_ours(text: str) -> bool:
    """Whether a sentence speaks of the authors' own work ("we", "our", "proposed").

    >>> mentions_ours("We train our model for 90 epochs"), mentions_ours("VGG [41] uses 19.6 GFLOPs")
    (True, False)
    """
    return bool(_OURS.search(text))


def has_citation(text: str) -> bool:
    """Whether a text cites another paper ("[12]", "et al.", authors and a year).

    >>> has_citation("as in Inception [40]"), has_citation("Vaswani et al. trained"), has_citation("ours")
    (True, True, False)
    >>> has_citation("EfficientNet (Tan & Le, 2019a) uses"), has_citation("trained on ImageNet and COCO 2017")
    (True, False)
    """
    return bool(_CITE.search(text))


# A sentence end followed by a footnote mark: "… on each worker.6 The same …" (not a decimal: "3.5").
_FOOTNOTE_END = re.compile(r"(?<=[a-z)\]])\.\d{1,2}\s+(?=[A-Z])")
# … and a period the text layer set after a space and before the next word ("is 66.4% .Our full approach")
_STRAY_PERIOD = re.compile(r"(?<=\S) \.(?=[A-Z][a-z])")


def sentence_bounds(text: str, start: int, end: int, limit: int = 200) -> tuple[int, int]:
    """The sentence around ``text[start:end]``, at most ``limit`` characters each side. A period
    followed by a footnote mark ends a sentence too.

    >>> t = "We train for 37 days on each worker.6 The same setup takes two weeks."
    >>> s, e = sentence_bounds(t, t.find("two"), t.find("two") + 3); t[s:e]
    'The same setup takes two weeks.'

    A period set between a space and the next word ends one too (the text layer of some PDFs):

    >>> t = "On VOC and MS COCO our baseline is 66.4% .Our full model gives 69.0% mAP."
    >>> s, e = sentence_bounds(t, t.find("69.0"), t.find("69.0") + 4); t[s:e]
    'Our full model gives 69.0% mAP.'
    """
    lo = max(0, start - limit)
    left = text.rfind(". ", lo, start)
    s = left + 2 if left >= 0 else lo
    for m in _FOOTNOTE_END.finditer(text, max(s, lo), start):
        s = m.end()
    for m in _STRAY_PERIOD.finditer(text, max(s, lo), start):
        s = m.end()
    right = text.find(". ", end, end + limit)
    e = right + 1 if right >= 0 else min(len(text), end + limit)
    m = _FOOTNOTE_END.search(text, end, e)
    if m:
        e = m.start() + 1
    m = _STRAY_PERIOD.search(text, end, e)
    if m:
        e = m.start() + 2
    return s, e
