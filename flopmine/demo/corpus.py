"""The demo's generated sample corpus: synthetic arXiv papers (PDF bytes) with known facts.

``flopmine demo`` serves these papers from the loopback fake arXiv and runs the whole pipeline on
them. Each good paper writes its facts a different way — the phrasings real papers use (``3.8 × 10^9
FLOPs``, ``11.5B FLOPs``, ``1.8 billion multiply-adds``, a ``FLOPs (G)`` column, ``22,855,952
parameters``, ``a single Titan X``, ``15h 7m``, ``took two weeks`` …) — next to decoys an extractor must
not take for the paper's own facts: baselines quoted from other papers, ablation rows, learning-rate
"epoch 30" schedules. A few entries are broken on purpose (corrupt, truncated, encrypted, text-less,
an HTML error page), and one paper has a second version.

The numbers follow the seed paper's finding, so the demo report shows the expected trend: per
benchmark, log10(error) falls linearly with log10(compute) (compute per network pass for the vision
benchmarks, hardware burden for the language ones), with noise.

Everything is deterministic and pure: the same seed gives byte-identical PDFs, and nothing is written.

>>> corpus = build_corpus(n_papers=6)
>>> sorted({e.kind for e in corpus.entries})
['corrupt', 'encrypted', 'html', 'ok', 'textless', 'truncated']
>>> ok = corpus.ok_entries()[0]
>>> ok.body[:5], ok.truth[0].decision
(b'%PDF-', 'accept')

The reviewer-decisions file the demo applies is generated from it::

    python -m flopmine.demo.corpus --write-decisions flopmine/demo/decisions.csv
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import math
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from flopmine.demo.samplepdf import Heading, Paragraph, Table, Title, image_only_pdf, plain_text, render_pdf
from flopmine.types import Fact, Paper, field_spec, normalise_value

__all__ = [
    "DECISION_COLUMNS", "DEFAULT_N_PAPERS", "DEFAULT_SEED", "KINDS", "DemoCorpus", "DemoEntry",
    "build_corpus", "decisions_csv_text", "decision_rows", "write_decisions_csv",
]

log = logging.getLogger(__name__)

DEFAULT_SEED = 2020
DEFAULT_N_PAPERS = 36
REVIEWER = "demo-reviewer"
KINDS = ("ok", "corrupt", "truncated", "encrypted", "textless", "html")
DECISION_COLUMNS = ("arxiv_id", "version", "benchmark", "model", "field", "value", "unit", "page", "note")
PDF_TYPE = "application/pdf"
HTML_TYPE = "text/html; charset=utf-8"

# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class DemoEntry:
    """One paper version the fake arXiv serves: metadata, the body it serves, and the true facts.

    ``kind`` is ``ok`` or how the body is broken (see :data:`KINDS`); broken entries have no truth.
    """

    paper: Paper
    body: bytes
    content_type: str
    truth: tuple[Fact, ...]
    kind: str

    @property
    def filename(self) -> str:
        """``1905.01234v1.pdf`` (old-style ids with ``_`` for ``/``)."""
        from flopmine.ids import parse_id

        return parse_id(self.paper.versioned_id).filename()


@dataclass(frozen=True)
class DemoCorpus:
    """The generated corpus: entries in a fixed order (good papers first, then broken ones, then v2)."""

    seed: int
    entries: list[DemoEntry] = field(default_factory=list)

    def ok_entries(self) -> list[DemoEntry]:
        return [e for e in self.entries if e.kind == "ok"]

    def by_kind(self, kind: str) -> list[DemoEntry]:
        return [e for e in self.entries if e.kind == kind]

    def papers(self) -> list[Paper]:
        return [e.paper for e in self.entries]

    def truth(self) -> list[Fact]:
        return [f for e in self.entries for f in e.truth]


# ---------------------------------------------------------------- data tables


@dataclass(frozen=True)
class Device:
    """An accelerator the sample papers train on: how papers print it, and its catalog entry.

    ``gflops`` is the FP32 peak from ``flopmine/data/hardware.csv`` (source: Epoch AI ML hardware / CHIP
    dataset); for TPU v3 (no FP32 figure in the catalog) a per-core bf16 estimate only used to size
    training times.
    """

    key: str
    canonical: str
    long: str  # "NVIDIA Tesla V100"
    short: str  # "V100"
    gflops: float
    years: tuple[int, int]
    counts: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64)


DEVICES: tuple[Device, ...] = (
    Device("gtx580", "NVIDIA GeForce GTX 580", "NVIDIA GTX 580", "GTX 580", 1581, (2012, 2013), (1, 2, 4)),
    Device("k20", "NVIDIA Tesla K20", "NVIDIA Tesla K20", "K20", 3524, (2013, 2014), (1, 2, 4, 8)),
    Device("k40", "NVIDIA Tesla K40", "NVIDIA Tesla K40", "Tesla K40", 5046, (2014, 2016)),
    Device("titan_black", "NVIDIA GeForce GTX Titan Black", "NVIDIA Titan Black", "Titan Black", 5645,
           (2014, 2015), (1, 2, 4, 8)),
    Device("titan_x", "NVIDIA GeForce GTX Titan X (Maxwell)", "NVIDIA GeForce GTX Titan X", "Titan X", 6691,
           (2015, 2016), (1, 2, 4, 8)),
    Device("k80", "NVIDIA Tesla K80", "NVIDIA Tesla K80", "K80", 4113, (2015, 2017)),
    Device("m40", "NVIDIA Tesla M40", "NVIDIA Tesla M40", "M40", 6832, (2016, 2016)),
    Device("p100", "NVIDIA Tesla P100 PCIe", "NVIDIA Tesla P100", "P100", 9526, (2016, 2018)),
    Device("gtx1080ti", "NVIDIA GeForce GTX 1080 Ti", "NVIDIA GeForce GTX 1080 Ti", "GTX 1080 Ti", 11340,
           (2017, 2019), (1, 2, 4, 8)),
    Device("titan_xp", "NVIDIA Titan Xp", "NVIDIA TITAN Xp", "Titan Xp", 12150, (2017, 2018), (1, 2, 4, 8)),
    Device("v100", "NVIDIA Tesla V100 SXM2", "NVIDIA Tesla V100", "V100", 15670, (2018, 2020)),
    Device("rtx2080ti", "NVIDIA GeForce RTX 2080 Ti", "NVIDIA GeForce RTX 2080 Ti", "RTX 2080 Ti", 13450,
           (2019, 2020), (1, 2, 4, 8)),
    Device("tpu_v3", "Google TPU v3", "TPU v3", "TPU v3", 61500, (2019, 2020), (8, 32, 128)),
    Device("a100", "NVIDIA A100", "NVIDIA A100", "A100", 19500, (2020, 2020)),
)
DEVICE_BY_KEY = {d.key: d for d in DEVICES}


@dataclass(frozen=True)
class Baseline:
    """A model from another paper, quoted as a decoy (related work, table rows)."""

    name: str
    cite: str
    year: int
    metrics: tuple[float, ...]  # in the benchmark's metric order (see _BENCH.metric_names)
    params_m: float | None = None
    gflops: float | None = None
    hardware: str = ""  # e.g. "two GTX 580 GPUs for five to six days"


@dataclass(frozen=True)
class BenchSpec:
    """How papers on one benchmark look, and the scaling law their numbers follow.

    ``lo``/``hi`` bound log10 of the compute the error depends on — GFLOPs per pass when
    ``compute == "pass"``, hardware burden in GFLOPS·hours when ``compute == "burden"``; the primary
    error is ``err_lo`` % at ``lo`` and falls as compute^(−1/k).
    """

    name: str
    years: tuple[int, int]
    categories: tuple[str, ...]
    domain: str  # "cv" or "nlp"
    compute: str  # "pass" or "burden"
    lo: float
    hi: float
    err_lo: float
    k: float
    suffix: str  # model-name suffix
    baselines: tuple[Baseline, ...]


_IMAGENET = (
    Baseline("AlexNet", "Krizhevsky et al.", 2012, (59.3, 81.8), 61.0, 0.72,
             "two GTX 580 GPUs for five to six days"),
    Baseline("ZFNet", "Zeiler and Fergus", 2013, (61.6, 83.5), 62.3, 1.2, "a single GTX 580 GPU for 12 days"),
    Baseline("VGG-16", "Simonyan and Zisserman", 2014, (71.5, 90.1), 138.0, 15.5,
             "four NVIDIA Titan Black GPUs for 2–3 weeks"),
    Baseline("GoogLeNet", "Szegedy et al.", 2014, (69.8, 89.9), 6.8, 1.5),
    Baseline("ResNet-50", "He et al.", 2015, (75.3, 92.2), 25.6, 3.8, "8 GPUs for 90 epochs"),
    Baseline("ResNet-152", "He et al.", 2015, (77.0, 93.3), 60.2, 11.3),
    Baseline("Inception-v3", "Szegedy et al.", 2015, (78.8, 94.4), 23.8, 5.7, "50 replicas for 100 epochs"),
    Baseline("DenseNet-201", "Huang et al.", 2016, (77.4, 93.7), 20.0, 4.3),
    Baseline("SENet-154", "Hu et al.", 2017, (81.3, 95.5), 115.1, 20.7, "64 NVIDIA Titan X GPUs"),
    Baseline("EfficientNet-B4", "Tan and Le", 2019, (82.9, 96.4), 19.0, 4.2, "TPU v3 Pods"),
)
_CIFAR10 = (
    Baseline("Dropout CNN", "Hinton et al.", 2012, (15.60,), None, None),
    Baseline("Maxout", "Goodfellow et al.", 2013, (9.38,), None, None),
    Baseline("NiN", "Lin et al.", 2013, (8.81,), 1.0, None),
    Baseline("All-CNN", "Springenberg et al.", 2014, (7.25,), 1.3, None),
    Baseline("ResNet-110", "He et al.", 2015, (6.43,), 1.7, 0.25, "two GPUs for 64k iterations"),
    Baseline("WRN-28-10", "Zagoruyko and Komodakis", 2016, (3.89,), 36.5, 5.2, "a single Titan X for 200 epochs"),
    Baseline("DenseNet-BC (k=40)", "Huang et al.", 2016, (3.46,), 25.6, 9.4),
    Baseline("Shake-Shake 26 2x96d", "Gastaldi", 2017, (2.86,), 26.2, None, "1800 epochs"),
    Baseline("AmoebaNet-B", "Real et al.", 2018, (2.13,), 34.9, None, "450 K40 GPUs for 7 days"),
)
_COCO = (
    Baseline("Fast R-CNN", "Girshick", 2015, (19.7, 35.9), None, None),
    Baseline("Faster R-CNN", "Ren et al.", 2015, (21.9, 42.7), None, None),
    Baseline("SSD512", "Liu et al.", 2016, (26.8, 46.5), None, None, "a single Titan X"),
    Baseline("FPN", "Lin et al.", 2016, (36.2, 59.1), None, None, "8 GPUs for 24 hours"),
    Baseline("Mask R-CNN", "He et al.", 2017, (39.8, 62.3), 63.0, None, "8 GPUs for 44 hours"),
    Baseline("RetinaNet", "Lin et al.", 2017, (39.1, 59.1), None, None, "8 GPUs for 90k iterations"),
    Baseline("Cascade R-CNN", "Cai and Vasconcelos", 2017, (42.8, 62.1), None, None),
)
_WMT = (
    Baseline("Phrase-based SMT", "Buck et al.", 2014, (20.7,)),
    Baseline("RNNsearch", "Jean et al.", 2014, (16.5,)),
    Baseline("Global attention", "Luong et al.", 2015, (20.9,), None, None, "a single Tesla K40 for 10 days"),
    Baseline("GNMT", "Wu et al.", 2016, (24.6,), None, None, "96 NVIDIA K80 GPUs for six days"),
    Baseline("ConvS2S", "Gehring et al.", 2017, (25.16,), None, None, "eight M40 GPUs for 37 days"),
    Baseline("Transformer (base)", "Vaswani et al.", 2017, (27.3,), 65.0, None, "8 NVIDIA P100 GPUs for 12 hours"),
    Baseline("Transformer (big)", "Vaswani et al.", 2017, (28.4,), 213.0, None, "8 P100 GPUs for 3.5 days"),
)
_SQUAD = (
    Baseline("Logistic Regression", "Rajpurkar et al.", 2016, (40.4, 51.0)),
    Baseline("Match-LSTM", "Wang and Jiang", 2016, (64.7, 73.7)),
    Baseline("BiDAF", "Seo et al.", 2016, (67.7, 77.3), 2.6, None, "a single Titan X for 20 hours"),
    Baseline("R-Net", "Wang et al.", 2017, (71.1, 79.5)),
    Baseline("QANet", "Yu et al.", 2018, (73.6, 82.7), None, None, "a NVIDIA P100 for 150k steps"),
    Baseline("BERT-base", "Devlin et al.", 2018, (80.8, 88.5), 110.0, None, "4 Cloud TPUs for 4 days"),
    Baseline("BERT-large", "Devlin et al.", 2018, (84.1, 90.9), 340.0, None, "16 Cloud TPUs (64 TPU chips)"),
)
_CONLL = (
    Baseline("Florian et al.", "Florian et al.", 2003, (88.76,)),
    Baseline("Chieu and Ng", "Chieu and Ng", 2003, (88.31,)),
    Baseline("ASO", "Ando and Zhang", 2005, (89.31,)),
    Baseline("Ratinov and Roth", "Ratinov and Roth", 2009, (90.80,)),
    Baseline("SENNA", "Collobert et al.", 2011, (89.59,), None, None, "about 7 weeks of training"),
    Baseline("BiLSTM-CRF", "Huang et al.", 2015, (90.10,)),
    Baseline("LSTM-CRF", "Lample et al.", 2016, (90.94,)),
    Baseline("BiLSTM-CNN-CRF", "Ma and Hovy", 2016, (91.21,), None, None, "a GeForce GTX TITAN X for 8 hours"),
    Baseline("ELMo", "Peters et al.", 2018, (92.22,), 93.6, None, "three GTX 1080 GPUs for 2 weeks"),
    Baseline("BERT-large", "Devlin et al.", 2018, (92.8,), 340.0),
)

BENCHES: dict[str, BenchSpec] = {
    b.name: b for b in (
        BenchSpec("imagenet", (2012, 2020), ("cs.CV", "cs.LG"), "cv", "pass", -0.5, 1.8, 40.0, 9.0, "Net", _IMAGENET),
        BenchSpec("cifar10", (2012, 2020), ("cs.CV", "cs.LG"), "cv", "pass", -1.3, 1.3, 8.5, 6.0, "Net", _CIFAR10),
        BenchSpec("coco", (2015, 2020), ("cs.CV",), "cv", "pass", 1.8, 3.2, 76.0, 9.4, "Det", _COCO),
        BenchSpec("wmt14_en_de", (2015, 2020), ("cs.CL", "cs.LG"), "nlp", "burden", 5.2, 7.7, 82.0, 33.0,
                  "Former", _WMT),
        BenchSpec("squad11", (2017, 2020), ("cs.CL", "cs.LG"), "nlp", "burden", 4.0, 6.8, 30.0, 5.2,
                  "Reader", _SQUAD),
        BenchSpec("conll2003", (2012, 2020), ("cs.CL", "cs.LG"), "nlp", "burden", 3.4, 6.2, 14.5, 10.5,
                  "Tagger", _CONLL),
    )
}
BENCH_ORDER = ("imagenet", "cifar10", "coco", "wmt14_en_de", "squad11", "conll2003")

_NAME_WORDS = (
    "Prism", "Helix", "Quartz", "Ember", "Cobalt", "Vortex", "Nimbus", "Orchid", "Zephyr", "Falcon", "Aurora",
    "Granite", "Saffron", "Tundra", "Willow", "Marble", "Cinder", "Beacon", "Harbor", "Juniper", "Kestrel",
    "Lumen", "Meadow", "Onyx", "Pebble", "Quiver", "Raven", "Summit", "Thistle", "Umber", "Verdant", "Wren",
    "Yarrow", "Zenith", "Basalt", "Cirrus", "Ferro", "Glacier", "Hazel", "Ivory", "Jasper", "Krypton",
    "Lattice", "Mistral", "Nectar", "Opal", "Pylon", "Quill", "Rune", "Sable", "Tessel", "Vireo",
)
_FIRST = ("Wei", "Anna", "Rahul", "Marta", "Kenji", "Laura", "Omar", "Sofia", "Jonas", "Mei", "Pavel", "Elena",
          "David", "Yuki", "Carlos", "Ines", "Tomas", "Priya", "Lucas", "Hana", "Felix", "Nora", "Ivan", "Chloe")
_LAST = ("Zhang", "Müller", "Kumar", "Rossi", "Tanaka", "Martin", "Haddad", "García", "Berg", "Chen", "Novak",
         "Ivanova", "Smith", "Sato", "López", "Silva", "Horvat", "Iyer", "Moreau", "Kim", "Wagner", "Larsen")
_UNIS = ("University of Northbridge", "Eastfield Institute of Technology", "Westlake AI Lab",
         "Southport University", "Lakeside Research", "Central Polytechnic")
_WORD_NUM = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
             9: "nine", 10: "ten", 11: "eleven", 12: "twelve", 13: "thirteen", 14: "fourteen", 15: "fifteen",
             16: "sixteen", 17: "seventeen", 18: "eighteen", 19: "nineteen", 20: "twenty"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# ---------------------------------------------------------------- number formatting


def _sig(x: float, digits: int = 2) -> str:
    """Round to ``digits`` significant digits, at least one decimal below 100: 4.123 → "4.1"."""
    if x <= 0:
        return "0"
    exp = math.floor(math.log10(x))
    decimals = max(0, digits - 1 - exp)
    if x < 100:
        decimals = max(decimals, 1)
    return f"{x:.{decimals}f}"


def _commas(n: int) -> str:
    return f"{n:,}"


def _count_words(n: int) -> str:
    return _WORD_NUM.get(n, str(n))


def _round(x: float, nd: int = 4) -> float:
    return float(round(x, nd))


# ---------------------------------------------------------------- phrasings
# Each phrasing: (value, rng) → (markup phrase, truth value, truth field). A phrase may be a table
# cell ("table" phrasings), then the writer puts it in the results table instead of the text.


Phrased = tuple[str, float | str, str]


def _flops_sci(g: float) -> Phrased:
    v = g * 1e9
    e = math.floor(math.log10(v))
    m = round(v / 10**e, 1)
    if m >= 10:
        m, e = round(m / 10, 1), e + 1
    return f"{m:.1f} × 10^{{{e}}} FLOPs", m * 10**e, "flops"


def _flops_b(g: float) -> Phrased:
    if g >= 1:
        s = _sig(g, 3)
        return f"{s}B FLOPs", float(s) * 1e9, "flops"
    s = str(round(g * 1000))
    return f"{s}M FLOPs", float(s) * 1e6, "flops"


def _flops_g(g: float) -> Phrased:
    s = _sig(g, 2 if g < 10 else 3)
    return f"{s} GFLOPs", float(s) * 1e9, "flops"


def _madds_words(g: float) -> Phrased:
    if g >= 1:
        s = _sig(g, 2 if g < 10 else 3)
        return f"{s} billion multiply-adds", float(s) * 1e9, "mult_adds"
    s = str(round(g * 1000))
    return f"{s} million multiply-adds", float(s) * 1e6, "mult_adds"


def _madds_m(g: float) -> Phrased:
    if g >= 10:
        s = _sig(g, 3)
        return f"{s}G Mult-Adds", float(s) * 1e9, "mult_adds"
    s = str(round(g * 1000))
    return f"{s}M Mult-Adds", float(s) * 1e6, "mult_adds"


def _flops_table(g: float) -> Phrased:
    s = _sig(g, 2 if g < 10 else 3)
    return s, float(s) * 1e9, "flops"


FLOPS_PHRASINGS: tuple[tuple[str, Callable[[float], Phrased]], ...] = (
    ("sci", _flops_sci), ("b", _flops_b), ("g", _flops_g), ("madds_words", _madds_words),
    ("madds_m", _madds_m), ("table", _flops_table),
)


def _params_m(p: float) -> Phrased:
    s = _sig(p / 1e6, 3)
    return f"{s}M parameters", float(s) * 1e6, "params"


def _params_exact(p: float) -> Phrased:
    n = int(round(p))
    return f"{_commas(n)} parameters", float(n), "params"


def _params_million(p: float) -> Phrased:
    s = _sig(p / 1e6, 3)
    return f"{s} million parameters", float(s) * 1e6, "params"


def _params_table(p: float) -> Phrased:
    s = _sig(p / 1e6, 3)
    return s, float(s) * 1e6, "params"


PARAMS_PHRASINGS: tuple[tuple[str, Callable[[float], Phrased]], ...] = (
    ("m", _params_m), ("exact", _params_exact), ("table", _params_table), ("million", _params_million),
)


def _time_hm(h: float) -> Phrased | None:
    if h >= 48:
        return None
    minutes = max(1, round(h * 60))
    hh, mm = divmod(minutes, 60)
    if mm == 0 or hh == 0:
        return None
    return f"{hh}h {mm}m", _round(hh + mm / 60), "training_time_hours"


def _time_hours(h: float) -> Phrased | None:
    if h >= 200:
        return None
    n = max(1, round(h))
    return f"for {n} hours" if n > 1 else "for 1 hour", float(n), "training_time_hours"


def _time_days(h: float) -> Phrased | None:
    if h < 30:
        return None
    d = round(h / 24 * 2) / 2
    s = f"{d:g}"
    return f"{s} days", d * 24.0, "training_time_hours"


def _time_about_days(h: float) -> Phrased | None:
    d = round(h / 24)
    if not 2 <= d <= 20:
        return None
    return f"about {_count_words(d)} days", d * 24.0, "training_time_hours"


def _time_weeks(h: float) -> Phrased | None:
    w = round(h / 168)
    if not 1 <= w <= 8 or abs(h - w * 168) > 0.25 * w * 168:
        return None
    return f"took {_count_words(w)} week{'s' if w > 1 else ''}", w * 168.0, "training_time_hours"


_TIME_TARGETS = {"days": (40, 160), "hm": (4, 40), "about_days": (60, 300), "hours": (6, 150),
                 "weeks": (160, 400)}
TIME_PHRASINGS: tuple[tuple[str, Callable[[float], Phrased | None]], ...] = (
    ("days", _time_days), ("hm", _time_hm), ("about_days", _time_about_days), ("hours", _time_hours),
    ("weeks", _time_weeks),
)


def _hardware_phrase(dev: Device, count: int, style: int) -> str:
    """How the paper names its hardware: "8 NVIDIA Tesla V100 GPUs", "a single Titan X", …"""
    if dev.key == "tpu_v3":
        return f"{count} TPU v3 cores"
    if count == 1:
        return ("a single " + dev.short, "one " + dev.short, "a single " + dev.long + " GPU",
                "one " + dev.long + " GPU")[style % 4]
    options = (f"{count} {dev.long} GPUs", f"{_count_words(count)} {dev.short} GPUs",
               f"{_count_words(count)} {dev.long} GPUs", f"{count} {dev.short} GPUs")
    return options[style % 4]


# ---------------------------------------------------------------- one paper's spec


@dataclass(frozen=True)
class _Spec:
    """Everything one paper says, before it is written out."""

    index: int
    bench: str
    arxiv_id: str
    version: int
    year: int
    month: int
    day: int
    model: str
    title: str
    authors: tuple[str, ...]
    columns: int
    z: float  # latent compute position in [0, 1]
    compute_log10: float
    errors: tuple[float, ...]  # own model: primary error %, then second metric's error %
    variant_error: float | None
    gflops: float | None
    params: float | None
    device: Device | None
    count: int
    hours: float | None
    epochs: int | None
    steps: int | None
    styles: dict[str, int]
    seed_text: int


def _years(bench: BenchSpec, n: int, rng: random.Random) -> list[int]:
    y0, y1 = bench.years
    if n == 1:
        return [rng.randint(y0, y1)]
    return [round(y0 + (y1 - y0) * i / (n - 1)) for i in range(n)]


def _pick_device(year: int, month: int, rng: random.Random, style: int) -> Device:
    options = [d for d in DEVICES if d.years[0] <= year <= d.years[1]
               and not (d.key == "a100" and month < 6)]
    return options[style % len(options)] if options else DEVICE_BY_KEY["gtx580"]


NOISE = 0.1  # s.d. of log10(error) noise, as a fraction of the benchmark's whole log10(error) drop
_CV_TRAIN = {"imagenet": 1.28e6, "cifar10": 5e4, "coco": 1.18e5}
_EPOCHS = {"imagenet": (90, 100, 120, 150, 200), "cifar10": (160, 200, 300, 600), "coco": (12, 24, 36)}


def _make_spec(index: int, bench: BenchSpec, year: int, rank: float, ids: set[str], names: list[str],
               rng: random.Random, old_style: bool = False) -> _Spec:
    month = rng.randint(1, 12) if not old_style else rng.randint(1, 3)
    day = rng.randint(1, 28)
    if old_style:
        arxiv_id = f"cs/07{month:02d}{rng.randint(1, 400):03d}"
    else:
        while True:
            yymm = f"{year % 100:02d}{month:02d}"
            arxiv_id = f"{yymm}.{rng.randint(1000, 9999)}" if year < 2015 else f"{yymm}.0{rng.randint(1000, 9999)}"
            if arxiv_id not in ids:
                break
    ids.add(arxiv_id)
    z = min(1.0, max(0.0, rank + rng.uniform(-0.12, 0.12)))
    c = bench.lo + z * (bench.hi - bench.lo)
    drop = (bench.hi - bench.lo) / bench.k  # log10 of error falls by this much over the compute range
    noise = 10 ** rng.gauss(0, NOISE * drop)
    err = bench.err_lo * 10 ** (-(c - bench.lo) / bench.k) * noise
    # second metric's error (top-5, AP50, EM) and a smaller variant for one-metric benchmarks
    if bench.name == "imagenet":
        second: float | None = err * rng.uniform(0.28, 0.34)
    elif bench.name == "coco":
        second = err - rng.uniform(17.5, 20.5)  # AP50 ≈ AP + 19
    elif bench.name == "squad11":
        second = min(99.0, err + rng.uniform(6.0, 9.0))
    else:
        second = None
    variant = _worse(err, rng.uniform(0.08, 0.2), rng.uniform(1.5, 4.0)) if second is None else None
    styles = {f: rng.randrange(1000) for f in ("metric", "hw", "layout", "ablation", "related", "epochs")}
    styles.update({"flops": index, "params": index + 1, "time": index + 2})
    name = names[index % len(names)] + bench.suffix + (str(index // len(names) + 1) if index >= len(names) else "")
    dev: Device | None = None
    count = 0
    hours: float | None = None
    gflops: float | None = None
    epochs: int | None = None
    steps: int | None = None
    if bench.domain == "cv":
        gflops = 10 ** c
        if bench.name == "coco":
            epochs_or_steps = rng.choice((12, 24, 36))
            if styles["epochs"] % 2:
                steps = epochs_or_steps * 7500
            else:
                epochs = epochs_or_steps
            n_epochs = epochs_or_steps
        else:
            epochs = rng.choice(_EPOCHS[bench.name])
            n_epochs = epochs
        util = rng.uniform(0.15, 0.35) if bench.name != "cifar10" else rng.uniform(0.03, 0.1)
        dev = _pick_device(year, month, rng, styles["hw"])
        device_hours = 3 * gflops * 1e9 * _CV_TRAIN[bench.name] * n_epochs / (dev.gflops * 1e9 * util * 3600)
        params = {"imagenet": 6.2e6 * gflops ** 0.7, "cifar10": 2.5e6 * gflops ** 0.6,
                  "coco": 2.5e6 * gflops ** 0.5}[bench.name] * rng.uniform(0.8, 1.25)
    else:
        burden = 10 ** c
        if old_style:
            dev = None
            device_hours = rng.uniform(8, 14)
        else:
            dev = _pick_device(year, month, rng, styles["hw"])
            device_hours = burden / dev.gflops
        plo, phi = {"wmt14_en_de": (7.6, 8.5), "squad11": (6.4, 8.6), "conll2003": (5.6, 8.0)}[bench.name]
        params = 10 ** (plo + (phi - plo) * z + rng.gauss(0, 0.08))
        if bench.name == "wmt14_en_de":
            steps = rng.choice((100_000, 200_000, 300_000))
        elif bench.name == "squad11":
            if styles["epochs"] % 2:
                epochs = rng.choice((2, 3))
            else:
                steps = rng.choice((30_000, 60_000, 150_000))
        else:
            epochs = rng.choice((30, 50, 100))
    if dev is not None:  # aim the training time at a range its phrasing can print ("15h 7m" < 48 h …)
        lo_h, hi_h = _TIME_TARGETS[TIME_PHRASINGS[styles["time"] % len(TIME_PHRASINGS)][0]]
        target = rng.uniform(lo_h, hi_h)
        count = next((n for n in dev.counts if device_hours / n <= target), dev.counts[-1])
        hours = device_hours / count
    else:
        hours = device_hours
    if old_style:
        params = None
    if index % 11 == 6 and not old_style:
        hours = None  # a paper that does not say how long it trained
    title_rng = random.Random(f"title-{index}-{arxiv_id}")
    title = _title(bench, name, title_rng)
    authors = tuple(f"{title_rng.choice(_FIRST)} {title_rng.choice(_LAST)}"
                    for _ in range(title_rng.randint(2, 5)))
    return _Spec(
        index=index, bench=bench.name, arxiv_id=arxiv_id, version=1, year=year if not old_style else 2007,
        month=month, day=day, model=name, title=title, authors=authors,
        columns=2 if styles["layout"] % 3 else 1, z=z, compute_log10=c,
        errors=(err,) + ((second,) if second is not None else ()), variant_error=variant, gflops=gflops,
        params=params, device=dev, count=count, hours=hours, epochs=epochs, steps=steps, styles=styles,
        seed_text=rng.randrange(1 << 30),
    )


_TITLE_FORMS = {
    "imagenet": ("{m}: {adj} Convolutional Networks for Large-Scale Image Classification",
                 "{m}: {adj} Residual Learning on ImageNet",
                 "Rethinking {noun} for ImageNet Classification with {m}"),
    "cifar10": ("{m}: {adj} Networks for Small-Image Classification on CIFAR-10",
                "{adj} {noun} for Image Recognition: {m}"),
    "coco": ("{m}: {adj} Object Detection with {noun}", "{m}: {adj} Detectors for MS COCO"),
    "wmt14_en_de": ("{m}: {adj} Neural Machine Translation with {noun}",
                    "{m}: {adj} Sequence-to-Sequence Models for Translation"),
    "squad11": ("{m}: {adj} Reading Comprehension with {noun}", "{m}: {adj} Question Answering over Paragraphs"),
    "conll2003": ("{m}: {adj} Named Entity Recognition with {noun}", "{m}: {adj} Sequence Labelling for NER"),
}
_ADJ = ("Efficient", "Scalable", "Deep", "Compact", "Wide", "Progressive", "Adaptive", "Hierarchical", "Gated",
        "Sparse", "Dynamic", "Robust")
_NOUN = ("Feature Aggregation", "Multi-Scale Attention", "Gated Shortcuts", "Factorised Kernels",
         "Recurrent Refinement", "Grouped Transformations", "Context Pooling")


def _title(bench: BenchSpec, model: str, rng: random.Random) -> str:
    form = rng.choice(_TITLE_FORMS[bench.name])
    return form.format(m=model, adj=rng.choice(_ADJ), noun=rng.choice(_NOUN))


# ---------------------------------------------------------------- writing one paper


_METRIC_NAMES = {
    "imagenet": (("top1_acc", "top5_acc"), ("top1_err", "top5_err")),
    "cifar10": (("err",), ("acc",)),
    "coco": (("box_ap", "ap50"),),
    "wmt14_en_de": (("bleu",),),
    "squad11": (("f1", "em"),),
    "conll2003": (("f1",),),
}
_ERROR_FIELDS = {"top1_err", "top5_err", "err"}


def _worse(error: float, rel: float, points: float) -> float:
    """A worse error %: ``rel`` relative or ``points`` absolute, whichever is smaller (3.5 → 3.9; 74 → 77)."""
    return error + min(error * rel, points)


def _score(field_name: str, error: float) -> float:
    """Printed metric value for an error %: accuracy-like fields print 100 − error."""
    value = error if field_name in _ERROR_FIELDS else 100.0 - error
    return round(value, 2 if field_name in ("err", "acc") else 1)


def _fmt_metric(field_name: str, value: float) -> str:
    return f"{value:.2f}" if field_name in ("err", "acc") else f"{value:.1f}"


def _baseline_metric(bench: str, fields: tuple[str, ...], b: Baseline, i: int) -> str:
    """A baseline's metric in this paper's convention (accuracy ↔ error)."""
    v = b.metrics[i] if i < len(b.metrics) else None
    if v is None:
        return "–"
    f = fields[i]
    if bench == "imagenet" and f.endswith("_err") or bench == "cifar10" and f == "acc":
        v = 100.0 - v
    if bench == "squad11":  # baselines store (em, f1); papers print f1 first here
        v = b.metrics[1 - i]
    return _fmt_metric(f, v)


class _Writer:
    """Turns a spec into blocks (with marks) and the truth facts keyed by mark."""

    def __init__(self, spec: _Spec, corpus_rng_seed: int) -> None:
        self.s = spec
        self.b = BENCHES[spec.bench]
        self.rng = random.Random(f"text-{corpus_rng_seed}-{spec.arxiv_id}-{spec.seed_text}")
        self.facts: list[tuple[str, Fact, str]] = []  # (mark key, fact without page, printed phrase)
        self.blocks: list[Title | Heading | Paragraph | Table] = []
        self.refs: list[Baseline] = []
        self._pools: dict[str, list[str]] = {}
        self.extra_pages = 0
        self.metric_fields = _METRIC_NAMES[spec.bench][spec.styles["metric"] % len(_METRIC_NAMES[spec.bench])]

    # -- helpers
    def fact(self, key: str, field_name: str, value: float | str, phrase: str, benchmark: str = "",
             model: str | None = None, note: str = "") -> None:
        unit = field_spec(field_name).unit
        if field_name == "hardware_count" and self.s.device is not None and self.s.device.key == "tpu_v3":
            note = f'printed "{plain_text(phrase)}"; count is of TPU v3 cores (two cores per chip)'
        self.facts.append((key, Fact(
            arxiv_id=self.s.arxiv_id, version=self.s.version, field=field_name, value=value,
            benchmark=benchmark, model=model if model is not None else self.s.model, unit=unit,
            decision="accept", reviewer=REVIEWER, note=note), plain_text(phrase)))

    def cite(self, b: Baseline) -> str:
        if b not in self.refs:
            self.refs.append(b)
        return f"[{self.refs.index(b) + 1}]"

    def filler(self, kind: str, n: int) -> str:
        """``n`` generic sentences, without repeats within a paper until the pool is used up."""
        pool = self._pools.setdefault(kind, [])
        out = []
        for _ in range(n):
            if not pool:
                pool.extend(self.rng.sample(_FILLER[kind], len(_FILLER[kind])))
            out.append(pool.pop())
        return " ".join(out)

    def baselines(self, k: int) -> list[Baseline]:
        year = self.s.year
        prior = [b for b in self.b.baselines if b.year < year] or [self.b.baselines[0]]
        return prior[-k:]

    # -- sections
    def write(self) -> None:
        s = self.s
        univ = self.rng.choice(_UNIS)
        self.blocks.append(Title(s.title, ", ".join(s.authors), univ))
        self.blocks.append(Heading("Abstract"))
        self.blocks.append(Paragraph(self.abstract()))
        self.blocks.append(Heading("1 Introduction"))
        self.blocks.append(Paragraph(self.filler("intro", 4) + " " + _INTRO_HOOK[s.bench].format(m=s.model)))
        self.blocks.append(Paragraph(self.filler("intro", 4)))
        self.blocks.append(Paragraph(self.filler("intro", 3)))
        self.blocks.append(Heading("2 Related Work"))
        self.blocks.append(Paragraph(self.related()))
        self.blocks.append(Paragraph(self.filler("related", 4)))
        self.blocks.append(Heading("3 Method"))
        self.blocks.append(Paragraph(self.filler("method", 4)))
        self.blocks.append(Paragraph(self.filler("method", 3)))
        self.method_compute()
        self.blocks.append(Paragraph(self.filler("method", 3)))
        self.blocks.append(Heading("4 Experiments"))
        self.blocks.append(Paragraph(_DATASET[s.bench]))
        self.blocks.append(Heading("4.1 Training details"))
        self.training()
        self.blocks.append(Heading("4.2 Results"))
        self.results()
        if s.styles["ablation"] % 3 != 0:
            self.ablation()
        self.blocks.append(Heading("5 Analysis"))
        self.blocks.append(Paragraph(self.filler("results", 3)))
        self.blocks.append(Paragraph(self.filler("conclusion", 3)))
        self.blocks.append(Heading("6 Conclusion"))
        self.blocks.append(Paragraph(f"We presented {s.model}. " + self.filler("conclusion", 2)))
        self.blocks.append(Heading("References"))
        for i, ref in enumerate(self.refs, 1):
            self.blocks.append(Paragraph(
                f"[{i}] {ref.cite.removesuffix('.')}. {ref.name}: {_REF_TITLES[i % len(_REF_TITLES)]}. "
                f"{_VENUES[(i + ref.year) % len(_VENUES)]}, {ref.year}.", size=8.5))
        for _ in range(self.extra_pages):
            self.blocks.append(Heading("A Additional details" if _ == 0 else "A Additional details (cont.)"))
            for _k in range(6):
                self.blocks.append(Paragraph(" ".join(self.filler(k, 2) for k in ("method", "training", "results"))))

    def abstract(self) -> str:
        return abstract_text(self.s)

    def related(self) -> str:
        s = self.s
        parts = [self.filler("related", 1)]
        fields = self.metric_fields
        for bl in self.baselines(3):
            c = self.cite(bl)
            value = _baseline_metric(s.bench, fields, bl, 0)
            sentence = f"{bl.name} {c} reports {_METRIC_WORDS[fields[0]]} {value}"
            if bl.params_m and bl.gflops:
                sentence += f" with {bl.params_m:g}M parameters and {bl.gflops:g} GFLOPs"
            elif bl.params_m:
                sentence += f" with {bl.params_m:g}M parameters"
            sentence += "."
            if bl.hardware:
                sentence += f" It was trained on {bl.hardware}."
            parts.append(sentence)
        return " ".join(parts)

    def method_compute(self) -> None:
        s = self.s
        bits = []
        self.table_cols: dict[str, str] = {}
        if s.params is not None:
            pname, pfun = PARAMS_PHRASINGS[s.styles["params"] % len(PARAMS_PHRASINGS)]
            phrase, value, fname = pfun(s.params)
            if pname == "table":
                self.table_cols["params"] = phrase
                self.fact("params", fname, value, phrase + " (Params (M) column)")
            else:
                bits.append(f"[[params|{phrase}]]")
                self.fact("params", fname, value, phrase)
        if s.gflops is not None:
            fname_, ffun = FLOPS_PHRASINGS[s.styles["flops"] % len(FLOPS_PHRASINGS)]
            phrase, value, fname = ffun(s.gflops)
            if fname_ == "table":
                self.table_cols["flops"] = phrase
                self.fact("flops", fname, value, phrase + " (FLOPs (G) column)")
            else:
                bits.append(f"[[flops|{phrase}]]")
                self.fact("flops", fname, value, phrase)
        res = {"imagenet": "for a 224 × 224 input image", "cifar10": "for a 32 × 32 input image",
               "coco": "for an 800 × 1333 input image"}.get(s.bench, "")
        if len(bits) == 2:
            text = f"The full {s.model} has {bits[0]} and requires {bits[1]} per forward pass {res}."
        elif bits and "flops" in bits[0]:
            text = f"A forward pass of {s.model} costs {bits[0]} {res}."
        elif bits:
            text = f"In total, {s.model} has {bits[0]}."
        else:
            text = f"{s.model} keeps the stem and the classifier of the baseline unchanged."
        note = ""
        if any("ult" in x for x in bits):
            note = " Following common practice, we count one multiply-add as one operation."
        self.blocks.append(Paragraph(text + note + " " + self.filler("method", 1)))

    def training(self) -> None:
        s = self.s
        sentences = [self.filler("training", 1)]
        if s.epochs is not None:
            style = s.styles["epochs"] % 3
            phrase = (f"trained for {s.epochs} epochs", f"{s.epochs} epochs", f"for {s.epochs} epochs")[style]
            sentences.append((f"All models are [[epochs|{phrase}]] with a batch size of 128.",
                              f"We use SGD with momentum 0.9 and a batch size of 256 for [[epochs|{phrase}]].",
                              f"We train [[epochs|{phrase}]] with a batch size of 128.")[style])
            self.fact("epochs", "epochs", float(s.epochs), phrase)
            if s.bench in ("imagenet", "cifar10", "coco"):
                d1, d2 = round(s.epochs / 3), round(2 * s.epochs / 3)
                sentences.append(f"The learning rate starts at 0.1 and is divided by 10 at epoch {d1} and "
                                 f"again at epoch {d2}; we use a linear warm-up of 5 epochs.")
            else:
                sentences.append("We use early stopping with a patience of 5 epochs on the development set.")
        if s.steps is not None:
            phrase = (f"{s.steps // 1000}k iterations", f"{_commas(s.steps)} steps")[s.styles["epochs"] % 2]
            sentences.append(f"Training runs for [[steps|{phrase}]] with the Adam optimiser.")
            self.fact("steps", "training_steps", float(s.steps), phrase)
            warm = (4000, 8000, 10000)[s.styles["epochs"] % 3]
            sentences.append(f"The learning rate is warmed up over the first {_commas(warm)} steps and "
                             f"decayed at step {_commas(int(round(s.steps * 2 / 3, -3)))}.")
        hw = ""
        if s.device is not None:
            hw = _hardware_phrase(s.device, s.count, s.styles["hw"])
        time_phrase = ""
        if s.hours is not None:
            order = TIME_PHRASINGS[s.styles["time"] % len(TIME_PHRASINGS):] + TIME_PHRASINGS
            got = next(r for _, f in order if (r := f(s.hours)) is not None)
            time_phrase, value, fname = got
            self.fact("time", fname, value, time_phrase)
        if hw:
            self.fact("hw", "hardware", s.device.canonical, hw)  # type: ignore[union-attr]
            self.fact("hw", "hardware_count", float(s.count), hw)
        tpl = s.styles["hw"] % 3
        if hw and time_phrase:
            if time_phrase.startswith("took"):
                sentences.append(f"Training {s.model} on [[hw|{hw}]] [[time|{time_phrase}]].")
            elif time_phrase.startswith("for"):
                sentences.append(f"We train {s.model} on [[hw|{hw}]] [[time|{time_phrase}]].")
            elif tpl == 0:
                sentences.append(f"Our implementation of {s.model} is built on PyTorch and trained on [[hw|{hw}]]; "
                                 f"the whole schedule takes [[time|{time_phrase}]].")
            else:
                sentences.append(f"Training {s.model} takes [[time|{time_phrase}]] on [[hw|{hw}]].")
        elif hw:
            sentences.append(f"All {s.model} experiments run on [[hw|{hw}]].")
        elif time_phrase:
            verb = "" if time_phrase.startswith(("took", "for")) else "takes "
            sentences.append(f"Training {s.model} on a single workstation {verb}[[time|{time_phrase}]].")
        sentences.append(self.filler("training", 1))
        self.blocks.append(Paragraph(" ".join(sentences)))

    def results(self) -> None:
        s, bench = self.s, self.s.bench
        fields = self.metric_fields
        own = [_score(f, e) for f, e in zip(fields, s.errors, strict=False)]
        m = [_fmt_metric(f, v) for f, v in zip(fields, own, strict=False)]
        text, per_fact = _RESULT_TEXT[(bench, fields[0])](s.model, m)
        for key, fname, idx in per_fact:
            phrase = re.search(r"\[\[" + key + r"\|(.*?)\]\]", text)
            self.fact(key, fname, own[idx], phrase.group(1) if phrase else text, benchmark=bench)
        bls = self.baselines(3)
        prior = bls[-1]
        text = text + f" For comparison, {prior.name} {self.cite(prior)} reaches " \
                      f"{_baseline_metric(bench, fields, prior, 0)} under the same protocol."
        self.blocks.append(Paragraph(self.filler("results", 1) + " " + text))
        # results table: baselines, own model in bold with "(ours)", a smaller variant for 1-metric benches
        header = ["Method"]
        if "params" in self.table_cols:
            header.append("Params (M)")
        if "flops" in self.table_cols:
            header.append("FLOPs (G)")
        header += [_COLUMN_NAMES[f] for f in fields]
        rows: list[tuple[str, ...]] = []
        for bl in bls:
            row = [f"{bl.name} {self.cite(bl)}"]
            if "params" in self.table_cols:
                row.append(f"{bl.params_m:.1f}" if bl.params_m else "–")
            if "flops" in self.table_cols:
                row.append(f"{bl.gflops:g}" if bl.gflops else "–")
            row += [_baseline_metric(bench, fields, bl, i) for i in range(len(fields))]
            rows.append(tuple(row))
        if s.variant_error is not None:
            vname = f"{s.model}-Small"
            v = _score(fields[0], s.variant_error)
            row = [vname]  # only the headline model is marked "(ours)": the paper's hardware and time are its
            row += ["–"] * (("params" in self.table_cols) + ("flops" in self.table_cols))
            row.append(f"[[var|{_fmt_metric(fields[0], v)}]]")
            rows.append(tuple(row))
            self.fact("var", fields[0], v, _fmt_metric(fields[0], v) + " (table row)", benchmark=bench,
                      model=vname)
        row = [f"{s.model} (ours)"]
        if "params" in self.table_cols:
            row.append(f"[[params|{self.table_cols['params']}]]")
        if "flops" in self.table_cols:
            row.append(f"[[flops|{self.table_cols['flops']}]]")
        row += m
        rows.append(tuple(row))
        caption = f"Table 1: {_CAPTIONS[bench]} Baseline numbers are taken from the cited papers."
        if "flops" in self.table_cols:
            caption += " FLOPs are counted per image."
        self.blocks.append(Table(caption, tuple(header), tuple(rows), frozenset({len(rows) - 1})))
        self.blocks.append(Paragraph(self.filler("results", 2)))

    def ablation(self) -> None:
        s = self.s
        f = self.metric_fields[0]
        rows = []
        steps = ((0.16, 5.0), (0.11, 3.4), (0.08, 2.5), (0.04, 1.2))
        for i, label in enumerate(("Baseline", "+ multi-scale stem", "+ gated shortcut", "+ both (small)")):
            rel, pts = steps[i]
            e = _worse(s.errors[0], rel * (1 + 0.05 * ((s.index + i) % 3)), pts)
            rows.append((label, _fmt_metric(f, _score(f, e))))
        self.blocks.append(Paragraph(
            f"Ablation study. Table 2 isolates the two components of {s.model} on a reduced schedule "
            f"(one third of the epochs); each improves the {_COLUMN_NAMES[f].split(' (')[0]}."))
        self.blocks.append(Table(f"Table 2: Ablation of {s.model} components (reduced schedule).",
                                 ("Variant", _COLUMN_NAMES[f]), tuple(rows)))


_METRIC_WORDS = {
    "top1_acc": "a top-1 accuracy of", "top1_err": "a top-1 error of", "top5_acc": "a top-5 accuracy of",
    "top5_err": "a top-5 error of", "err": "a test error of", "acc": "an accuracy of", "box_ap": "a box AP of",
    "ap50": "an AP50 of", "bleu": "a BLEU score of", "f1": "an F1 score of", "em": "an EM of",
}
_COLUMN_NAMES = {
    "top1_acc": "Top-1 Acc. (%)", "top5_acc": "Top-5 Acc. (%)", "top1_err": "Top-1 err. (%)",
    "top5_err": "Top-5 err. (%)", "err": "Error (%)", "acc": "Accuracy (%)", "box_ap": "AP", "ap50": "AP50",
    "bleu": "BLEU", "f1": "F1", "em": "EM",
}
_CAPTIONS = {
    "imagenet": "Single-crop results on the ImageNet (ILSVRC 2012) validation set.",
    "cifar10": "Test error on CIFAR-10 with standard data augmentation.",
    "coco": "Object detection results on MS COCO test-dev (single model, single scale).",
    "wmt14_en_de": "BLEU on newstest2014 for WMT 2014 English-German.",
    "squad11": "Results on the SQuAD 1.1 development set.",
    "conll2003": "F1 on the CoNLL-2003 English NER test set.",
}

ResultText = Callable[[str, list[str]], tuple[str, list[tuple[str, str, int]]]]
_RESULT_TEXT: dict[tuple[str, str], ResultText] = {
    ("imagenet", "top1_acc"): lambda m, v: (
        f"On the ImageNet validation set, {m} reaches a [[m1|top-1 accuracy of {v[0]}%]] and a "
        f"[[m2|top-5 accuracy of {v[1]}%]] with a single 224 × 224 crop.",
        [("m1", "top1_acc", 0), ("m2", "top5_acc", 1)]),
    ("imagenet", "top1_err"): lambda m, v: (
        f"{m} obtains a [[m1|top-1 error rate of {v[0]}%]] and a [[m2|top-5 error of {v[1]}%]] on the "
        f"ILSVRC 2012 validation set.",
        [("m1", "top1_err", 0), ("m2", "top5_err", 1)]),
    ("cifar10", "err"): lambda m, v: (
        f"On CIFAR-10, {m} achieves an [[m1|error rate of {v[0]}%]], averaged over five runs.",
        [("m1", "err", 0)]),
    ("cifar10", "acc"): lambda m, v: (
        f"{m} reaches a test [[m1|accuracy of {v[0]}%]] on CIFAR-10 (median of five runs).",
        [("m1", "acc", 0)]),
    ("coco", "box_ap"): lambda m, v: (
        f"On COCO test-dev, {m} obtains [[m1|{v[0]} box AP]] and an [[m2|AP50 of {v[1]}]] with a single model.",
        [("m1", "box_ap", 0), ("m2", "ap50", 1)]),
    ("wmt14_en_de", "bleu"): lambda m, v: (
        f"On the WMT 2014 English-to-German task, {m} achieves [[m1|{v[0]} BLEU]] on newstest2014.",
        [("m1", "bleu", 0)]),
    ("squad11", "f1"): lambda m, v: (
        f"A single {m} model reaches [[m1|EM {v[1]} / F1 {v[0]}]] on the SQuAD 1.1 development set.",
        [("m1", "f1", 0), ("m1", "em", 1)]),
    ("conll2003", "f1"): lambda m, v: (
        f"On the CoNLL-2003 test set, {m} achieves an [[m1|F1 of {v[0]}]], averaged over five random seeds.",
        [("m1", "f1", 0)]),
}

_ABSTRACTS = {
    "imagenet": "We present {m}, a convolutional architecture that trades depth for width where it helps "
                "accuracy most. On ImageNet (ILSVRC 2012) image classification, {m} improves over strong "
                "residual baselines at a similar computational cost, and its features transfer to other "
                "recognition tasks.",
    "cifar10": "We introduce {m}, a family of compact convolutional networks for image classification. "
               "Experiments on CIFAR-10 show that {m} lowers the test error of comparable networks while "
               "using fewer parameters.",
    "coco": "We propose {m}, a detector that aggregates features across scales for object detection. On the "
            "MS COCO benchmark, {m} improves box AP over single-stage and two-stage detection baselines, "
            "especially for small objects.",
    "wmt14_en_de": "We describe {m}, a sequence-to-sequence model for neural machine translation. On the WMT "
                   "2014 English-German task (translating English to German), {m} outperforms recurrent and "
                   "convolutional baselines while training faster.",
    "squad11": "We present {m}, a reading comprehension model for extractive question answering. On the "
               "Stanford Question Answering Dataset (SQuAD 1.1), {m} improves exact match and F1 over "
               "prior single models.",
    "conll2003": "We present {m}, a neural sequence labeller for named entity recognition. On the CoNLL-2003 "
                 "English named entity benchmark, {m} improves F1 over feature-based and neural taggers "
                 "without external gazetteers.",
}
_OLD_ABSTRACT = ("We present {m}, a discriminative sequence labeller for named entity recognition built on "
                 "conditional random fields with rich orthographic features. On the CoNLL-2003 English named "
                 "entity task, {m} improves F1 over earlier feature-based taggers.")


def abstract_text(spec: _Spec) -> str:
    """The abstract as printed and as served in the feed (it names the benchmark)."""
    form = _OLD_ABSTRACT if spec.arxiv_id.startswith("cs/") else _ABSTRACTS[spec.bench]
    return form.format(m=spec.model)


_INTRO_HOOK = {
    "imagenet": "We evaluate {m} on ImageNet, where gains have historically required ever larger networks.",
    "cifar10": "We study {m} on CIFAR-10, a standard testbed for new architectures.",
    "coco": "We evaluate {m} on MS COCO, the standard object detection benchmark.",
    "wmt14_en_de": "We evaluate {m} on the WMT 2014 English-German translation task.",
    "squad11": "We evaluate {m} on SQuAD, a large reading comprehension dataset.",
    "conll2003": "We evaluate {m} on the CoNLL-2003 named entity recognition shared task.",
}
_DATASET = {
    "imagenet": "We use the ILSVRC 2012 classification dataset (1.28 million training images, 50,000 "
                "validation images, 1000 classes). Images are resized so that the shorter side is 256 and "
                "randomly cropped to 224 × 224.",
    "cifar10": "CIFAR-10 consists of 50,000 training and 10,000 test images of 32 × 32 pixels in 10 classes. "
               "We use standard padding, cropping and horizontal flipping.",
    "coco": "We train on the COCO train2017 split (118k images) and report results on test-dev. Images are "
            "resized so that the shorter side is 800 pixels.",
    "wmt14_en_de": "We train on the WMT 2014 English-German data (about 4.5 million sentence pairs) with a "
                   "shared vocabulary of 37,000 byte-pair tokens, and report case-sensitive BLEU on "
                   "newstest2014.",
    "squad11": "SQuAD 1.1 contains 87,599 training and 10,570 development questions posed on Wikipedia "
               "paragraphs. We report exact match (EM) and F1 on the development set.",
    "conll2003": "The CoNLL-2003 English data contains 14,041 training, 3,250 development and 3,453 test "
                 "sentences annotated with four entity types.",
}
_REF_TITLES = ("towards better representations", "a simple and strong baseline", "learning at scale",
               "an empirical study", "revisiting the architecture")
_VENUES = ("In CVPR", "In NeurIPS", "In ICLR", "In ACL", "In EMNLP", "In ICCV", "arXiv preprint")

_FILLER: dict[str, tuple[str, ...]] = {
    "intro": (
        "Progress on standard benchmarks has been driven by larger models and more training.",
        "This progress comes at a steep computational price that is rarely reported in full.",
        "Practitioners therefore need architectures that make better use of a fixed budget.",
        "We revisit a design choice that most recent models take for granted.",
        "Our analysis shows that much of the gain can be obtained with a simpler recipe.",
        "We make three contributions, summarised at the end of this section.",
        "Code and trained models will be released to ease reproduction.",
        "The resulting model is easy to implement and adds little overhead.",
        "Recent results suggest that accuracy keeps improving as models grow, but at a rising cost.",
        "Much of this cost is paid again whenever a model is retrained for a new task.",
        "Reducing it matters both for research groups with small budgets and for deployment.",
        "At the same time, careful comparisons are hard because training recipes differ between papers.",
        "We therefore report every detail of our setup, including the hardware used.",
        "Our approach is orthogonal to pruning and quantisation and can be combined with them.",
    ),
    "related": (
        "A large body of work studies how to scale models along depth, width and resolution.",
        "Attention mechanisms have been combined with many backbone designs.",
        "Several works search for architectures automatically, at a large computational cost.",
        "Knowledge distillation transfers the behaviour of a large model to a small one.",
        "Regularisation methods such as dropout and label smoothing are now standard.",
        "Efficient architectures trade a small loss in accuracy for a large reduction in cost.",
        "Other work improves the optimiser or the learning-rate schedule instead of the model.",
        "Ensembles remain a strong but expensive way to improve accuracy.",
    ),
    "method": (
        "Our block combines a cheap transformation with a gated shortcut.",
        "Each stage halves the resolution and doubles the number of channels.",
        "We normalise activations after every transformation and before the residual sum.",
        "The design is controlled by a single width multiplier.",
        "All components are differentiable and trained jointly from scratch.",
        "We keep the same hyper-parameters for every model size.",
        "The gate is computed from globally pooled features and a small bottleneck.",
        "Unlike prior designs, the shortcut is never projected, which keeps it cheap.",
        "We found the initialisation of the gate to matter: it starts close to the identity.",
        "The output layer is shared across all model sizes to simplify comparisons.",
        "A final pooling layer aggregates the features before the prediction head.",
        "We ablate each of these choices in Section 4.",
    ),
    "training": (
        "We follow the standard training protocol of prior work unless stated otherwise.",
        "Weight decay is set to 0.0001 and dropout to 0.1.",
        "Mixed-precision arithmetic is used throughout.",
        "We report the median of three runs with different random seeds.",
        "Gradients are clipped to a maximum norm of 5.",
        "Checkpoints are averaged over the last part of training.",
    ),
    "results": (
        "Table 1 compares our model with published results.",
        "The improvements are consistent across model sizes.",
        "Larger variants continue to improve, although with diminishing returns.",
        "Gains are largest when the computational budget is small.",
        "Qualitatively, the model makes fewer confident mistakes.",
        "The variance across random seeds is small compared with the improvement.",
        "Errors that remain are concentrated on rare and ambiguous examples.",
        "Training curves show that the model converges faster than the baseline.",
    ),
    "conclusion": (
        "Its gains come at a modest computational cost.",
        "Future work will study the trade-off between accuracy and compute more systematically.",
        "We hope the simple recipe will serve as a strong baseline.",
        "A limitation of our study is that we did not tune hyper-parameters for each model size.",
        "The computational cost of our largest model is nonetheless substantial.",
        "We expect the same design to transfer to related tasks.",
    ),
}


# ---------------------------------------------------------------- assembling entries


def _published(spec: _Spec, months_later: int = 0) -> str:
    y, m = spec.year, spec.month + months_later
    while m > 12:
        y, m = y + 1, m - 12
    return f"{y:04d}-{m:02d}-{spec.day:02d}T{(spec.index * 7) % 24:02d}:{(spec.index * 13) % 60:02d}:00Z"


def _paper(spec: _Spec) -> Paper:
    b = BENCHES[spec.bench]
    published = _published(spec)
    updated = _published(spec, 2 * (spec.version - 1))
    primary = b.categories[0]
    cats = (primary,) if spec.arxiv_id.startswith("cs/") else tuple(dict.fromkeys((primary, *b.categories)))
    return Paper(
        arxiv_id=spec.arxiv_id, version=spec.version, title=spec.title, authors=spec.authors,
        abstract=abstract_text(spec), categories=cats, primary_category=primary, published=published,
        updated=updated, pdf_url=f"https://arxiv.org/pdf/{spec.arxiv_id}v{spec.version}",
        benchmarks=(spec.bench,),
    )


def _stamp(spec: _Spec) -> str:
    y, m = spec.year, spec.month + 2 * (spec.version - 1)
    while m > 12:
        y, m = y + 1, m - 12
    return (f"arXiv:{spec.arxiv_id}v{spec.version}  [{BENCHES[spec.bench].categories[0]}]  "
            f"{spec.day} {_MONTHS[m - 1]} {y}")


MIN_PAGES = 2


def _render(spec: _Spec, seed: int, password: str | None = None) -> tuple[bytes, tuple[Fact, ...]]:
    extra = 1 if spec.styles["ablation"] % 4 == 0 else 0  # some papers carry an appendix
    while True:  # a paper has at least MIN_PAGES pages: add appendix filler until it does
        w = _Writer(spec, seed)
        w.extra_pages = extra
        w.write()
        pdf = render_pdf(w.blocks, columns=spec.columns, header=_stamp(spec), password=password)
        if pdf.pages >= MIN_PAGES or extra >= 3:
            break
        extra += 1
    facts = []
    for key, fact, phrase in w.facts:
        if key not in pdf.marks:  # pragma: no cover - a writer bug
            raise AssertionError(f"{spec.arxiv_id}: mark {key!r} was not printed")
        note = fact.note or f'printed "{phrase}"'
        facts.append(replace(fact, page=pdf.marks[key], note=note))
    return pdf.body, tuple(facts)


def _html_error(spec: _Spec) -> bytes:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>503 Service Unavailable"
        "</title></head>\n<body><h1>Service Unavailable</h1>\n<p>The PDF for "
        f"{spec.arxiv_id}v{spec.version} could not be produced right now. Please retry later.</p>\n"
        "<hr><address>arXiv mirror</address></body></html>\n"
    ).encode()


def _corrupt(rng: random.Random) -> bytes:
    garbage = bytes(rng.randrange(256) for _ in range(4096))
    return b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R" + garbage


def _v2(spec: _Spec) -> _Spec:
    """Version 2 of a paper: slightly better numbers and a longer schedule."""
    errors = tuple(e * 0.97 for e in spec.errors)
    variant = spec.variant_error * 0.98 if spec.variant_error is not None else None
    hours = spec.hours * 1.15 if spec.hours is not None else None
    return replace(spec, version=2, errors=errors, variant_error=variant, hours=hours)


def build_corpus(seed: int = DEFAULT_SEED, n_papers: int = DEFAULT_N_PAPERS) -> DemoCorpus:
    """Generate the sample corpus: ``n_papers`` good papers, one of each broken kind, and one v2.

    Deterministic (same seed → byte-identical PDFs) and pure (returns bytes, writes nothing).
    Good papers are spread round-robin over six benchmarks (imagenet, cifar10, coco, wmt14_en_de,
    squad11, conll2003); the first CoNLL-2003 paper has an old-style id (``cs/07…``).
    """
    if n_papers < 1:
        raise ValueError("n_papers must be at least 1")
    rng = random.Random(f"democorpus-{seed}")
    names = list(_NAME_WORDS)
    rng.shuffle(names)
    per_bench: dict[str, int] = {b: 0 for b in BENCH_ORDER}
    for i in range(n_papers):
        per_bench[BENCH_ORDER[i % len(BENCH_ORDER)]] += 1
    ids: set[str] = set()
    specs: list[_Spec] = []
    index = 0
    for bname in BENCH_ORDER:
        n = per_bench[bname]
        if not n:
            continue
        bench = BENCHES[bname]
        years = _years(bench, n, rng)
        for j, year in enumerate(years):
            rank = j / (n - 1) if n > 1 else 0.5
            old = bname == "conll2003" and j == 0
            specs.append(_make_spec(index, bench, year, 0.0 if old else rank, ids, names, rng, old_style=old))
            index += 1
    specs.sort(key=lambda s: (s.year, s.month, s.arxiv_id))
    entries: list[DemoEntry] = []
    for spec in specs:
        body, truth = _render(spec, seed)
        entries.append(DemoEntry(_paper(spec), body, PDF_TYPE, truth, "ok"))
    # broken entries: their own papers (metadata matches the benchmark queries), no truth
    for k, kind in enumerate(KINDS[1:]):
        bench = BENCHES[BENCH_ORDER[k % len(BENCH_ORDER)]]
        year = max(bench.years[0], 2016 + k % 4)
        spec = _make_spec(index, bench, year, 0.5, ids, names, rng)
        index += 1
        if kind == "corrupt":
            body = _corrupt(random.Random(f"corrupt-{seed}"))
        elif kind == "truncated":
            full, _ = _render(spec, seed)
            body = full[: int(len(full) * 0.45)]
        elif kind == "encrypted":
            body, _ = _render(spec, seed, password=f"demo-{seed}")
        elif kind == "textless":
            body = image_only_pdf(seed, pages=2, title=spec.title)
        else:
            body = _html_error(spec)
        ctype = HTML_TYPE if kind == "html" else PDF_TYPE
        entries.append(DemoEntry(_paper(spec), body, ctype, (), kind))
    # one paper gets a second version
    base = specs[len(specs) // 2]
    v2 = _v2(base)
    body, truth = _render(v2, seed)
    entries.append(DemoEntry(_paper(v2), body, PDF_TYPE, truth, "ok"))
    log.debug("demo corpus: %d entries (%d ok)", len(entries), sum(e.kind == "ok" for e in entries))
    return DemoCorpus(seed, entries)


# ---------------------------------------------------------------- reviewer decisions


def _value_text(value: float | str) -> str:
    if isinstance(value, str):
        return value
    if abs(value) >= 1e6:
        return normalise_value(value)
    return repr(float(round(value, 4))).removesuffix(".0")


def decision_rows(corpus: DemoCorpus) -> list[dict[str, str]]:
    """The facts a reviewer who knows the corpus records: one row per truth fact (``DECISION_COLUMNS``)."""
    rows = []
    for e in corpus.entries:
        for f in e.truth:
            rows.append({
                "arxiv_id": f.arxiv_id, "version": str(f.version), "benchmark": f.benchmark,
                "model": f.model, "field": f.field, "value": _value_text(f.value), "unit": f.unit,
                "page": str(f.page), "note": f.note,
            })
    return rows


def decisions_csv_text(corpus: DemoCorpus | None = None) -> str:
    """The bundled ``flopmine/demo/decisions.csv`` as text (``\\n`` line ends, UTF-8)."""
    corpus = corpus if corpus is not None else build_corpus()
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(DECISION_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(decision_rows(corpus))
    return buf.getvalue()


def write_decisions_csv(path: Path | str, seed: int = DEFAULT_SEED, n_papers: int = DEFAULT_N_PAPERS) -> int:
    """Write the reviewer-decisions CSV atomically; returns the number of rows.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_decisions_csv(pathlib.Path(d) / "x.csv", n_papers=6) > 20
    True
    """
    from flopmine.config import write_text_atomic

    corpus = build_corpus(seed, n_papers)
    text = decisions_csv_text(corpus)
    write_text_atomic(Path(path), text)
    return len(decision_rows(corpus))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m flopmine.demo.corpus",
        description="Generate the demo corpus's reviewer-decisions CSV (the facts a careful reader records).",
        epilog="Example: python -m flopmine.demo.corpus --write-decisions flopmine/demo/decisions.csv",
    )
    parser.add_argument("--write-decisions", metavar="CSV", required=True, help="where to write the CSV")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="corpus seed (default %(default)s)")
    parser.add_argument("--papers", type=int, default=DEFAULT_N_PAPERS,
                        help="number of good papers (default %(default)s)")
    args = parser.parse_args(argv)
    n = write_decisions_csv(args.write_decisions, args.seed, args.papers)
    print(f"wrote {n} decisions to {args.write_decisions}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
