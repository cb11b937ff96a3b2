"""What surrounds a match: the section it sits in, the paper's own model names, nearby benchmarks.

Pure functions over page text; the ranking (``extract.ranking``) turns these into confidence.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..document import Document

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

# A model-like name: CamelCase, ALLCAPS with digits, or Name-152 / Name-v2 / Name-B7.
MODEL_NAME = re.compile(
    r"(?<![\w\-])(?:[A-Z][a-z]+[A-Z][A-Za-z]*|[A-Z]{2,}[a-z]*|[A-Z][a-z]+)(?:[\-]?(?:v?\d+[A-Za-z\d]*|[A-Z]\d*|"
    r"[A-Z][a-z]+|Base|Large|Huge|BASE|LARGE))*(?![\w])"
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
    """
    out = []
    for m in MODEL_NAME.finditer(text):
        name = m.group(0)
        if name in _STOP_NAMES or len(name) < 3:
            continue
        if name.isalpha() and name[0].isupper() and name[1:].islower():
            continue  # a capitalised English word ("Residual"), not a model name
        out.append(name)
    return out


# A size suffix glued to a family name by small caps: "BERTLARGE", "BERTBASE", "RoBERTaLARGE".
_SIZE_SUFFIX = re.compile(r"(?<=[A-Za-z])(?:LARGE|BASE|SMALL|HUGE|TINY)$")


def _stem(name: str) -> str:
    """The family part of a model name: "ResNet-152" → "resnet", "EfficientNet-B7" → "efficientnet",
    "BERTLARGE" → "bert"."""
    return _SIZE_SUFFIX.sub("", re.split(r"[\-\s]|(?<=[a-uw-z])(?=\d)", name, maxsplit=1)[0]).lower().rstrip("s")


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
    for name in model_names(head) or ([head.strip()] if head.strip() and len(head.split()) == 1 else []):
        scores[_stem(name)] = 1.0
    for name in model_names(title):
        scores.setdefault(_stem(name), 0.8)
    for name in model_names(doc.abstract or ""):
        scores.setdefault(_stem(name), 0.6)
    counts: Counter[str] = Counter()
    for page in doc.pages:
        counts.update(_stem(n) for n in model_names(page.text))
    if counts:
        top = counts.most_common(1)[0][1]
        for stem, c in counts.most_common(8):
            scores[stem] = max(scores.get(stem, 0.0), 0.7 * c / top)
    return scores


_OURS = re.compile(r"\b(?:we|our|ours|us|this paper|this work|proposed)\b", re.IGNORECASE)
_CITE = re.compile(r"\[\d+(?:[,\-–]\s*\d+)*\]|\bet al\.|\(\w+ et al|\(\w+,? (?:19|20)\d\d\)")


def mentions_ours(text: str) -> bool:
    """Whether a sentence speaks of the authors' own work ("we", "our", "proposed").

    >>> mentions_ours("We train our model for 90 epochs"), mentions_ours("VGG [41] uses 19.6 GFLOPs")
    (True, False)
    """
    return bool(_OURS.search(text))


def has_citation(text: str) -> bool:
    """Whether a text cites another paper ("[12]", "et al.").

    >>> has_citation("as in Inception [40]"), has_citation("Vaswani et al. trained"), has_citation("ours")
    (True, True, False)
    """
    return bool(_CITE.search(text))


# A sentence end followed by a footnote mark: "… on each worker.6 The same …" (not a decimal: "3.5").
_FOOTNOTE_END = re.compile(r"(?<=[a-z)\]])\.\d{1,2}\s+(?=[A-Z])")


def sentence_bounds(text: str, start: int, end: int, limit: int = 200) -> tuple[int, int]:
    """The sentence around ``text[start:end]``, at most ``limit`` characters each side. A period
    followed by a footnote mark ends a sentence too.

    >>> t = "We train for 37 days on each worker.6 The same setup takes two weeks."
    >>> s, e = sentence_bounds(t, t.find("two"), t.find("two") + 3); t[s:e]
    'The same setup takes two weeks.'
    """
    lo = max(0, start - limit)
    left = text.rfind(". ", lo, start)
    s = left + 2 if left >= 0 else lo
    for m in _FOOTNOTE_END.finditer(text, max(s, lo), start):
        s = m.end()
    right = text.find(". ", end, end + limit)
    e = right + 1 if right >= 0 else min(len(text), end + limit)
    m = _FOOTNOTE_END.search(text, end, e)
    if m:
        e = m.start() + 1
    return s, e
