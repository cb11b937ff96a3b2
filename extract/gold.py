"""Gold facts and when a candidate matches one: the scoring convention that training (``extract.ranking``),
evaluation (``extract.evaluation``) and the review-cost replay (``review.cost``) share.

- ``GoldFact`` / ``load_gold``: hand-checked facts (``../shared/corpus/README.md`` convention: ``arxiv_id,
  benchmark, model, field, value, page, evidence``), read from CSVs that fail naming file and line;
- ``values_match``: numbers equal within 0.5 % relative, accuracy and error through 100 − x, ``flops`` ≡
  ``mult_adds``, hardware by normalised name or by naming one entry of the hardware catalog;
- ``models_match``: a candidate's model names the gold fact's model (normalised names, rapidfuzz token-set
  ratio ≥ ``DEFAULT_MODEL_MATCH``; a paper-level field may carry no model).

Nothing here imports another part of ``extract``: it sits below all of them.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from flopmine.errors import FlopmineError
from flopmine.hardware import match_hardware
from flopmine.types import COMPUTE_FIELDS, FIELDS, normalise_model

REL_TOLERANCE = 0.005
GOLD_COLUMNS = ("arxiv_id", "field", "value")
# Accuracy ↔ error pairs: a candidate of one matches gold of the other through 100 − x.
COMPLEMENT: dict[str, str] = {"top1_acc": "top1_err", "top1_err": "top1_acc", "top5_acc": "top5_err",
                              "top5_err": "top5_acc", "acc": "err", "err": "acc"}
# flops and mult_adds are scored as one field (papers call multiply-adds "FLOPs" and vice versa).
SCORE_FIELD: dict[str, str] = {"mult_adds": "flops"}
SCORED_COMPUTE = tuple(dict.fromkeys(SCORE_FIELD.get(f, f) for f in COMPUTE_FIELDS))


class EvalError(FlopmineError):
    """A gold or queue file cannot be read."""


@dataclass(frozen=True)
class GoldFact:
    """One gold row: a fact a careful reader finds in the paper."""

    arxiv_id: str
    field: str
    value: float | str
    benchmark: str = ""
    model: str = ""
    page: int = 0
    evidence: str = ""

    @property
    def in_table(self) -> bool:
        """Whether the gold evidence is a table row: the corpus writes it as row text then ``[column names]``
        (a bracket holding words; citation marks such as ``[12]`` or ``[3, 5]`` do not count).

        >>> GoldFact("1", "params", 1e6, evidence="ResNet-50 25.6M 4.1G [Model Params FLOPs] (dev)").in_table
        True
        >>> GoldFact("1", "epochs", 600.0, evidence="as in [49], trained for 600 epochs").in_table
        False
        """
        return bool(_TABLE_HEADER.search(_CITATION.sub(" ", self.evidence)))


_CITATION = re.compile(r"\[\d+(?:\s*[,–-]\s*\d+)*\]")
_TABLE_HEADER = re.compile(r"\[[^\[\]]*[A-Za-z]")


def score_field(name: str) -> str:
    """The field a value is scored under: ``mult_adds`` → ``flops``, others unchanged."""
    return SCORE_FIELD.get(name, name)


def strip_version(arxiv_id: str) -> str:
    return re.sub(r"v\d+$", "", arxiv_id.strip())


def parse_value(field_name: str, text: str, where: str) -> float | str:
    t = text.strip().lstrip("'")
    if not FIELDS[field_name].numeric:
        return t
    try:
        return float(t)
    except ValueError:
        raise EvalError(f"{where}: value {text!r} is not a number (field {field_name})") from None


def read_rows(path: Path, required: Sequence[str]) -> Iterable[tuple[str, dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise EvalError(f"{path}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError:
        raise EvalError(f"{path}: not UTF-8 text (is it a CSV?)") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise EvalError(f"{path}: missing column(s) {', '.join(missing)}")
    try:
        for row in reader:
            yield f"{path}:{reader.line_num}", row
    except csv.Error as e:
        raise EvalError(f"{path}:{reader.line_num}: malformed CSV: {e}") from None


def field_of_row(row: dict[str, str], where: str) -> str:
    name = (row.get("field") or "").strip()
    if name not in FIELDS:
        raise EvalError(f"{where}: unknown field {name!r}")
    return name


def load_gold(paths: Iterable[Path | str]) -> list[GoldFact]:
    """Read gold CSVs (``arxiv_id,benchmark,model,field,value,page,evidence``)."""
    out: list[GoldFact] = []
    for p in paths:
        for where, row in read_rows(Path(p), GOLD_COLUMNS):
            name = field_of_row(row, where)
            page = (row.get("page") or "0").strip()
            out.append(GoldFact(
                arxiv_id=strip_version(row["arxiv_id"]), field=name, value=parse_value(name, row["value"], where),
                benchmark=(row.get("benchmark") or "").strip(), model=(row.get("model") or "").strip(),
                page=int(page) if page.isdigit() else 0, evidence=(row.get("evidence") or "").strip(),
            ))
    return out


# ---------------------------------------------------------------- matching

_HW_NOISE = re.compile(r"\b(?:nvidia|tesla|geforce|gpus?|cards?|google|graphics|the|a|an)\b|[\s\-_]", re.I)


def normalise_hardware(name: str) -> str:
    """Hardware names compared loosely.

    >>> normalise_hardware("NVIDIA TITAN Xp GPU"), normalise_hardware("Titan XP")
    ('titanxp', 'titanxp')
    >>> normalise_hardware("Quadro K-6000"), normalise_hardware("TPU v3")
    ('quadrok6000', 'tpuv3')
    """
    return _HW_NOISE.sub("", name.lower())


@functools.lru_cache(maxsize=4096)
def catalog_entry_name(mention: str) -> str | None:
    """The canonical name of the catalog entry a device mention names, or ``None`` (``hardware.match_hardware``).

    >>> catalog_entry_name("Volta V100") == catalog_entry_name("NVIDIA Tesla V100"), catalog_entry_name("Foo X9")
    (True, None)
    """
    found = match_hardware(mention)
    return None if found is None else found.entry.name


def _hardware_equal(gold: str, cand: str) -> bool:
    """Loosely equal names, or two names of one catalog entry: the dataset stores the entry (its GFLOPS), so a
    paper's "Volta V100" or "Intel KNL" is the extractor's "NVIDIA Tesla V100 SXM2" or "Intel Xeon Phi 7250
    (Knights Landing)"."""
    c = normalise_hardware(cand)
    if not c:
        return False
    cand_entry = None
    for part in re.split(r"\s+or\s+|\s*/\s*|,\s*", gold):
        g = normalise_hardware(part)
        if not g:
            continue
        if g == c or (len(c) >= 3 and len(g) >= 3 and (g in c or c in g)):
            return True
        cand_entry = cand_entry or catalog_entry_name(cand)
        if cand_entry is not None and catalog_entry_name(part) == cand_entry:
            return True
    return False


def values_match(gold_field: str, gold_value: float | str, cand_field: str, cand_value: float | str,
                 tolerance: float = REL_TOLERANCE) -> bool:
    """Whether a candidate's value matches a gold value under the scoring convention.

    >>> values_match("top1_err", 23.5, "top1_acc", 76.5), values_match("flops", 3.8e9, "mult_adds", 3.81e9)
    (True, True)
    >>> values_match("params", 25.6e6, "params", 25.0e6), values_match("hardware", "Titan X", "hardware", "TITAN X")
    (False, True)
    """
    if not FIELDS[gold_field].numeric:
        return cand_field == gold_field and isinstance(cand_value, str) and _hardware_equal(str(gold_value), cand_value)
    try:
        g, c = float(gold_value), float(cand_value)
    except (TypeError, ValueError):
        return False
    if score_field(cand_field) == score_field(gold_field):
        return _close(g, c, tolerance)
    if COMPLEMENT.get(gold_field) == cand_field:
        return _close(g, 100.0 - c, tolerance)
    return False


def _close(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) <= tolerance * max(abs(a), abs(b)) or a == b


# ---------------------------------------------------------------- model names

# A gold fact's model and a candidate's model name the same model when their normalised names
# (``match_form``: ``flopmine.types.normalise_model`` drops case, spacing, "(ours)" and footnote marks; the
# multiplier sign "×"/"x" becomes a token of its own; then rapidfuzz's ``default_process``: punctuation → spaces) reach this rapidfuzz ``token_set_ratio`` (0–100). Token-set
# ratio forgives extra words on either side ("ResNet-152" ~ "ResNet-152 (11.3 GFLOPs, test-dev)").
DEFAULT_MODEL_MATCH = 70
# Facts of the whole paper (its training set-up): a candidate that names no model may still be the gold one.
PAPER_LEVEL_FIELDS: frozenset[str] = frozenset({"hardware", "hardware_count", "training_time_hours", "epochs",
                                                "training_steps"})
def model_match_score(gold_model: str, cand_model: str) -> float:
    """How alike two model names are (0–100): rapidfuzz ``token_set_ratio`` of the normalised names.

    >>> model_match_score("ResNet-152", "ResNet-152 (ours)"), model_match_score("ResNet-152", "")
    (100.0, 0.0)
    >>> model_match_score("Faster R-CNN on FPN (ResNet-101, test-dev)", "Faster R-CNN on FPN ResNet-101") >= 70
    True
    """
    from rapidfuzz import fuzz

    a, b = match_form(gold_model), match_form(cand_model)
    if not a or not b:
        return 0.0
    return float(fuzz.token_set_ratio(a, b))


# A width or size multiplier is printed "2×", "2x", "2X", "×1.0" or "x1.0" for one model: the sign becomes a token
# "x" of its own, so "ShuffleNet v2 2×" and "ShuffleNet v2 2x" share the tokens "2" and "x".
_TIMES = re.compile(r"(?<=\d)\s*[x×]|[x×]\s*(?=\d)|×")


def match_form(name: str) -> str:
    """A model name as the matching rule compares it: ``normalise_model``, the multiplier sign as its own
    token "x", then rapidfuzz's ``default_process`` (punctuation → spaces, lower case). The slot keeps the
    paper's spelling; only the comparison is loose.

    >>> match_form("ShuffleNet v2 2×") == match_form("ShuffleNet v2 2x") == match_form("shufflenet V2 2 X")
    True
    >>> match_form("MobileNetV2 x1.0"), match_form("MobileNetV2 1.0×"), match_form("ResNeXt-50 (32×4d)")
    ('mobilenetv2 x 1 0', 'mobilenetv2 1 0 x', 'resnext 50 32 x 4d')
    """
    from rapidfuzz.utils import default_process

    return " ".join(default_process(_TIMES.sub(" x ", normalise_model(name))).split())


def models_match(gold: GoldFact, cand_model: str, threshold: float = DEFAULT_MODEL_MATCH) -> bool:
    """Whether a candidate naming ``cand_model`` is attributed to ``gold``'s model (the documented rule):
    normalised names with token-set ratio ≥ ``threshold``; a gold fact without a model matches any name; a
    paper-level field (``PAPER_LEVEL_FIELDS``) may also carry no model.

    >>> g = GoldFact("1", "epochs", 90.0, model="ResNet-50")
    >>> models_match(g, ""), models_match(GoldFact("1", "params", 1e6, model="ResNet-50"), "")
    (True, False)
    """
    if not gold.model.strip():
        return True
    if not cand_model.strip():
        return gold.field in PAPER_LEVEL_FIELDS
    return model_match_score(gold.model, cand_model) >= threshold
