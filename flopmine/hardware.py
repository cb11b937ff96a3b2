"""The hardware catalog: accelerators used in deep learning, their FP32 peak, and matching mentions to them.

Data lives in ``flopmine/data/hardware.csv`` (one row per accelerator; see ``docs/hardware.md``). Everything
here is pure: text in, records out. The catalog is read once and cached.

>>> match_hardware("NVIDIA Tesla V100").entry.name
'NVIDIA Tesla V100 SXM2'
>>> match_hardware("Titian XP").entry.name
'NVIDIA Titan Xp'
>>> [m.raw for m in scan_hardware("trained on 8 NVIDIA Tesla V100 GPUs and a Foo X9 GPU")]
['NVIDIA Tesla V100', 'Foo X9']
>>> gflops_for("GTX 1080 Ti")
11340.0
>>> parse_count_word("sixty-four")
64
"""

from __future__ import annotations

import csv
import functools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from rapidfuzz import fuzz, process

from .errors import ConfigError

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- defaults and vocabularies

#: Minimum rapidfuzz ``fuzz.ratio`` (0–100) between a normalised mention and an alias for a fuzzy match.
DEFAULT_MATCH_CUTOFF = 85.0
#: Minimum ``fuzz.ratio`` between two alphabetic words ("titian" ~ "titan") inside a fuzzy match.
DEFAULT_WORD_CUTOFF = 80.0
#: How many fuzzy candidates to examine per mention before giving up.
DEFAULT_FUZZY_LIMIT = 10
#: Short single-token GPU aliases ("K80", "T4") need a GPU word within this many tokens when scanning.
DEFAULT_CONTEXT_WINDOW = 3
#: Single-token aliases at most this long need context when scanning free text.
DEFAULT_CONTEXT_MAX_LEN = 3

CATALOG_COLUMNS = ("name", "aliases", "vendor", "kind", "year", "fp32_gflops", "basis", "source_url", "notes")
#: Optional trailing columns: the vendor's peak of one counted unit in another number format (TPUs: the bf16
#: matrix peak the seed paper used) and its source. A row may omit them (fewer cells) when both are empty.
PEAK_COLUMNS = ("peak_gflops", "peak_source_url")
#: Which figure hardware burden multiplies (``analyze``/``build --hardware-basis``): ``fp32`` = FP32 only
#: (TPU v3/v4 then have none); ``peak`` = the seed paper's basis: the vendor's peak per device where the
#: catalog has one (TPUs: 180 TFLOPS per TPU v2 board, 420 per v3 board), else FP32.
HARDWARE_BASES = ("peak", "fp32")
DEFAULT_HARDWARE_BASIS = "peak"
KINDS = ("gpu", "tpu", "cpu")
BASES = ("chip", "board", "tpu_core", "tpu_chip", "tpu_board")
ALIAS_SEPARATOR = "|"

#: Vendor / product-line words ignored when matching: "NVIDIA GeForce GTX 1080" ≡ "GTX 1080".
NOISE_WORDS = frozenset({"nvidia", "geforce", "tesla", "google", "intel", "amd"})
#: Words that may follow a device name and say what unit was counted.
UNIT_WORDS = {
    "gpu": "gpu", "gpus": "gpu", "card": "gpu", "cards": "gpu",
    "core": "core", "cores": "core", "tensorcore": "core", "tensorcores": "core",
    "chip": "chip", "chips": "chip",
    "board": "board", "boards": "board", "device": "device", "devices": "device",
    "pod": "pod", "pods": "pod", "cpu": "cpu", "cpus": "cpu",
}
#: Words near a short alias ("K40", "T4") that confirm a GPU is meant.
GPU_CONTEXT_WORDS = frozenset({"nvidia", "tesla", "geforce", "quadro", "gpu", "gpus", "card", "cards", "cuda"})
#: Words that never start an unknown device name ("Each GPU", "Our GPUs").
_STOPWORDS_TEXT = """a an the our each every one single multi multiple same one two several many all
    per this that these those their its his her with on in of using use used we using modern commodity
    consumer available standard typical local remote cloud parallel distributed dedicated more fewer and or
    to for by as at from into than only both other another any some total"""
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

_NUMBER_WORDS = {
    "zero": 0, "one": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "dozen": 12, "pair": 2,
}
_SCALE_WORDS = {"hundred": 100, "thousand": 1000}

# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class HardwareEntry:
    """One accelerator of the catalog (a row of ``hardware.csv``).

    ``fp32_gflops`` is the peak FP32 rate of one counted unit (``basis``: ``chip``, ``board``,
    ``tpu_core``, ``tpu_chip`` or ``tpu_board``), or ``None`` when no FP32 figure exists (TPU v3, families).
    """

    name: str
    aliases: tuple[str, ...]
    vendor: str
    kind: str
    year: int
    fp32_gflops: float | None
    basis: str
    source_url: str
    notes: str = ""
    peak_gflops: float | None = None
    peak_source_url: str = ""


@dataclass(frozen=True)
class HardwareFigure:
    """The GFLOPS one device contributes to hardware burden, and how it was found.

    ``status`` is ``ok``, ``not_in_catalog`` (no entry matches the name) or ``no_figure`` (an entry
    matches but has no figure for this basis, e.g. TPU v3 under ``fp32``). ``figure`` says which
    catalog column the number came from (``fp32`` or ``peak``); ``unit`` is the entry's counted unit.
    """

    name: str
    status: str
    gflops: float | None = None
    figure: str = ""
    entry: str = ""
    unit: str = ""
    source_url: str = ""


@dataclass(frozen=True)
class HardwareMatch:
    """A catalog entry matched to a mention; ``score`` is 100 for exact alias hits, else rapidfuzz 0–100."""

    entry: HardwareEntry
    score: float
    matched_alias: str


@dataclass(frozen=True)
class HardwareMention:
    """A device named in free text: ``text[start:end] == raw``.

    ``match`` is ``None`` for a device the catalog does not know ("Foo X9 GPU"): the extractor keeps it
    as a flagged candidate. ``unit`` is the counted unit written right after the name ("gpu", "core",
    "chip", "board", "device", "pod", "cpu"), or ``None``.
    """

    start: int
    end: int
    raw: str
    match: HardwareMatch | None
    unit: str | None = None


# ---------------------------------------------------------------- normalisation

_RUN = re.compile(r"[A-Za-z0-9]+")
_PREFIX_SPLIT = re.compile(
    r"^(titan|tpu|gtx|rtx|quadro|tesla|geforce|xeon|nvidia)(xp|x|v|z|rtx|black|v\d+[a-z]?|\d[a-z0-9]*)$")
_SUFFIX_SPLIT = re.compile(r"^(\d+)(ti|v\d)$")
_PLURAL_MODEL = re.compile(r"^([a-z]\d{2,3})s$")  # "K80s", "V100s" → "k80", "v100"
_MEMORY = re.compile(r"^\d+(gb|gib|g)$")
_COUNTISH = re.compile(r"^\d{1,5}x?$")


class _Tok(NamedTuple):  # a tuple, not a dataclass: a page has thousands of tokens
    norm: str
    start: int
    end: int

    @property
    def noise(self) -> bool:
        return self.norm in NOISE_WORDS


def _split_run(word: str, start: int) -> list[_Tok]:
    """Split glued forms: ``TitanX`` → titan x, ``TPUv3`` → tpu v3, ``1080Ti`` → 1080 ti."""
    return [_Tok(norm, start + a, start + b) for norm, a, b in _split_shape(word)]


@functools.lru_cache(maxsize=8192)
def _split_shape(word: str) -> tuple[tuple[str, int, int], ...]:
    """``_split_run`` of ``word`` at offset 0 (words repeat: the split is computed once per word)."""
    return tuple(_split_run_uncached(word, 0))


def _split_run_uncached(word: str, start: int) -> list[_Tok]:
    low = word.lower()
    m = _PREFIX_SPLIT.match(low)
    if m:
        cut = len(m.group(1))
        return [_Tok(low[:cut], start, start + cut), *_split_run_uncached(word[cut:], start + cut)]
    m = _SUFFIX_SPLIT.match(low)
    if m:
        cut = len(m.group(1))
        return [_Tok(low[:cut], start, start + cut), _Tok(low[cut:], start + cut, start + len(word))]
    if low == "tpus":
        low = "tpu"
    m = _PLURAL_MODEL.match(low)
    if m and word.endswith("s"):  # "V100s" is a plural, "V100S" a product
        low = m.group(1)
    return [_Tok(low, start, start + len(word))]


def _tokenise(text: str) -> list[_Tok]:
    """Lower-cased alphanumeric tokens with character offsets into ``text``."""
    merged: list[_Tok] = []
    tok = functools.partial(tuple.__new__, _Tok)  # _Tok(norm, start, end) without its Python-level __new__
    for m in _RUN.finditer(text):
        base = m.start()
        for norm, a, b in _split_shape(m.group()):
            start, end = base + a, base + b
            if merged:
                prev = merged[-1]
                pnorm = prev[0]
                # "K-6000", "V-100": a single letter joined by a hyphen to a number is one model name.
                if len(pnorm) == 1 and pnorm.isalpha() and norm[:1].isdigit() and text[prev[2]:start] == "-":
                    merged[-1] = tok((pnorm + norm, prev[1], end))
                    continue
                # "32 GB": a memory size is not part of a device name.
                if norm in ("gb", "gib") and pnorm.isdigit():
                    merged[-1] = tok((pnorm + "gb", prev[1], end))
                    continue
            merged.append(tok((norm, start, end)))
    return merged


def _is_memory(tok: _Tok) -> bool:
    return _is_memory_word(tok.norm)


@functools.lru_cache(maxsize=8192)
def _is_memory_word(norm: str) -> bool:
    return bool(_MEMORY.match(norm))


def _content(tokens: Iterable[_Tok]) -> list[_Tok]:
    return [t for t in tokens if not t.noise and not _is_memory(t)]


def _key(tokens: Iterable[_Tok]) -> tuple[str, ...]:
    """Matching key: content tokens without trailing unit words."""
    words = [t.norm for t in _content(tokens)]
    while words and words[-1] in UNIT_WORDS:
        words.pop()
    return tuple(words)


def normalise_device(text: str) -> str:
    """The matching form of a device name: lower case, no vendor words, no memory size, no unit word.

    >>> normalise_device("NVIDIA GeForce GTX TitanX (12GB) GPU")
    'gtx titan x'
    >>> normalise_device("TPUv3-8")
    'tpu v3 8'
    >>> normalise_device("Quadro K-6000")
    'quadro k6000'
    """
    return " ".join(_key(_tokenise(text)))


# ---------------------------------------------------------------- loading


def _default_catalog_path() -> Path:
    return Path(str(resources.files("flopmine").joinpath("data", "hardware.csv")))


@functools.lru_cache(maxsize=1)
def _default_catalog() -> tuple[HardwareEntry, ...]:
    return _parse_catalog(_default_catalog_path())


def load_catalog(path: Path | str | None = None) -> tuple[HardwareEntry, ...]:
    """Read and validate a hardware CSV; the packaged catalog (``path=None``) is read once and cached.

    Raises ``ConfigError`` naming ``file:line`` for unknown or missing columns, duplicate names or
    aliases, a non-numeric ``fp32_gflops``, an unknown ``kind``/``basis``, a bad year or a missing URL.

    >>> len(load_catalog()) >= 45
    True
    """
    if path is None:
        return _default_catalog()
    return _parse_catalog(Path(path))


def _parse_catalog(path: Path) -> tuple[HardwareEntry, ...]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read hardware catalog: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: hardware catalog is not UTF-8 text ({exc.reason})") from exc
    reader = csv.reader(text.splitlines(keepends=True))
    problems: list[str] = []
    try:
        header = [h.strip() for h in next(reader)]
        if not any(header):
            raise StopIteration
    except StopIteration:
        raise ConfigError(f"{path}:1: hardware catalog is empty (expected header {','.join(CATALOG_COLUMNS)})") \
            from None
    unknown = [h for h in header if h not in CATALOG_COLUMNS + PEAK_COLUMNS]
    missing = [c for c in CATALOG_COLUMNS if c not in header]
    if unknown:
        problems.append(f"{path}:1: unknown column(s) {', '.join(map(repr, unknown))}; "
                        f"expected {','.join(CATALOG_COLUMNS)} (optionally {','.join(PEAK_COLUMNS)})")
    if missing:
        problems.append(f"{path}:1: missing column(s) {', '.join(map(repr, missing))}")
    if len(set(header)) != len(header):
        problems.append(f"{path}:1: a column appears twice")
    if problems:
        raise ConfigError("\n".join(problems))

    entries: list[HardwareEntry] = []
    names: dict[str, int] = {}
    keys: dict[tuple[str, ...], tuple[str, int]] = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        where = f"{path}:{line}"
        optional = sum(1 for h in header[-len(PEAK_COLUMNS):] if h in PEAK_COLUMNS)
        if len(cells) != len(header) and not (optional and len(cells) == len(header) - optional):
            allowed = f"{len(header)}" + (f" or {len(header) - optional}" if optional else "")
            problems.append(f"{where}: {len(cells)} cells, expected {allowed}")
            continue
        row = {h: "" for h in PEAK_COLUMNS} | {h: c.strip() for h, c in zip(header, cells, strict=False)}
        bad = len(problems)
        name = row["name"]
        if not name:
            problems.append(f"{where}: name: empty")
        elif name.lower() in names:
            problems.append(f"{where}: name: duplicate {name!r} (first on line {names[name.lower()]})")
        if row["kind"] not in KINDS:
            problems.append(f"{where}: kind: {row['kind']!r} is not one of {', '.join(KINDS)}")
        if row["basis"] not in BASES:
            problems.append(f"{where}: basis: {row['basis']!r} is not one of {', '.join(BASES)}")
        elif row["basis"].startswith("tpu_") and row["kind"] != "tpu":
            problems.append(f"{where}: basis: {row['basis']!r} needs kind 'tpu'")
        try:
            year = int(row["year"])
            if not 1990 <= year <= 2100:
                raise ValueError
        except ValueError:
            problems.append(f"{where}: year: {row['year']!r} is not a year")
            year = 0
        gflops: float | None = None
        if row["fp32_gflops"]:
            try:
                gflops = float(row["fp32_gflops"])
                if not gflops > 0 or gflops != gflops or gflops == float("inf"):
                    raise ValueError
            except ValueError:
                problems.append(f"{where}: fp32_gflops: {row['fp32_gflops']!r} is not a positive number")
        if not re.match(r"^https?://\S+$", row["source_url"]):
            problems.append(f"{where}: source_url: missing or not an http(s) URL")
        peak: float | None = None
        if row["peak_gflops"]:
            try:
                peak = float(row["peak_gflops"])
                if not peak > 0 or peak == float("inf"):
                    raise ValueError
            except ValueError:
                problems.append(f"{where}: peak_gflops: {row['peak_gflops']!r} is not a positive number")
            if not re.match(r"^https?://\S+$", row["peak_source_url"]):
                problems.append(f"{where}: peak_source_url: a peak_gflops figure needs an http(s) source")
        elif row["peak_source_url"]:
            problems.append(f"{where}: peak_source_url: given without a peak_gflops figure")
        aliases = tuple(a.strip() for a in row["aliases"].split(ALIAS_SEPARATOR) if a.strip())
        for spelling in (name, *aliases):
            key = _key(_tokenise(spelling))
            if not key:
                problems.append(f"{where}: aliases: {spelling!r} has nothing left after normalisation")
                continue
            owner = keys.get(key)
            if owner is not None and owner[0] != name:
                problems.append(f"{where}: aliases: {spelling!r} also names {owner[0]!r} (line {owner[1]})")
            keys.setdefault(key, (name, line))
        if len(problems) > bad:
            continue
        names[name.lower()] = line
        entries.append(HardwareEntry(name=name, aliases=aliases, vendor=row["vendor"], kind=row["kind"],
                                     year=year, fp32_gflops=gflops, basis=row["basis"],
                                     source_url=row["source_url"], notes=row["notes"], peak_gflops=peak,
                                     peak_source_url=row["peak_source_url"]))
    if problems:
        raise ConfigError(f"invalid hardware catalog ({len(problems)} problem(s)):\n" + "\n".join(problems))
    if not entries:
        raise ConfigError(f"{path}: hardware catalog has no rows")
    log.debug("loaded %d hardware entries from %s", len(entries), path)
    return tuple(entries)


# ---------------------------------------------------------------- index


@dataclass(frozen=True)
class _Index:
    exact: dict[tuple[str, ...], tuple[HardwareEntry, str]]
    choices: dict[int, list[tuple[str, tuple[str, ...]]]]  # token count → [(joined key, key)]
    vocab: frozenset[str]
    max_len: int
    by_name: dict[str, HardwareEntry]
    gpu_models: frozenset[str]  # single-token GPU model keys ("v100", "k80"), context for each other
    first_words: frozenset[str]  # words an alias key can start with
    fuzzy_starts: tuple[str, ...]  # alphabetic first words a typo may stand for ("titan", "quadro")


def _index(catalog: tuple[HardwareEntry, ...]) -> _Index:
    """The match index of ``catalog``, built once per catalog. The last catalog asked for is recognised by
    identity: the lru cache's key hashes every entry of the tuple on each call (a tuple keeps no hash), and
    the scan asks once per page and per mention, almost always for the one default catalog."""
    last = _LAST_INDEX[0]  # one read: (catalog, index) pairs are replaced whole (threads: Dask)
    if last is not None and last[0] is catalog:
        return last[1]
    index = _index_of(catalog)
    _LAST_INDEX[0] = (catalog, index)  # holding the catalog keeps its identity from being reused
    return index


_LAST_INDEX: list[tuple[tuple[HardwareEntry, ...], _Index] | None] = [None]


@functools.lru_cache(maxsize=8)
def _index_of(catalog: tuple[HardwareEntry, ...]) -> _Index:
    exact: dict[tuple[str, ...], tuple[HardwareEntry, str]] = {}
    for entry in catalog:
        for spelling in (entry.name, *entry.aliases):
            key = _key(_tokenise(spelling))
            if key:
                exact.setdefault(key, (entry, spelling))
    choices: dict[int, list[tuple[str, tuple[str, ...]]]] = {}
    for key in exact:
        choices.setdefault(len(key), []).append((" ".join(key), key))
    vocab = frozenset(w for key in exact for w in key if any(ch.isdigit() for ch in w) or len(w) <= 2)
    return _Index(exact=exact, choices=choices, vocab=vocab, max_len=max(len(k) for k in exact),
                  by_name={e.name.lower(): e for e in catalog},
                  gpu_models=frozenset(k[0] for k, (e, _a) in exact.items()
                                       if len(k) == 1 and e.kind == "gpu" and e.fp32_gflops is not None),
                  first_words=frozenset(k[0] for k in exact),
                  fuzzy_starts=tuple(sorted({k[0] for k in exact if len(k) >= 2 and not _is_key_word(k[0])})))


def _catalog(catalog: tuple[HardwareEntry, ...] | None) -> tuple[HardwareEntry, ...]:
    return _default_catalog() if catalog is None else catalog


def _is_key_word(word: str) -> bool:
    """Model identifiers ("v100", "x", "xp", "ti") must match exactly; only long words may be fuzzy."""
    return any(ch.isdigit() for ch in word) or len(word) <= 2


@functools.lru_cache(maxsize=4096)
def _fuzzy_start(word: str, starts: tuple[str, ...]) -> bool:
    """Could ``word`` be a misspelt first word of a multi-word alias ("titian" for "titan")?"""
    if len(word) < 4 or not word.isalpha():
        return False
    return process.extractOne(word, starts, scorer=fuzz.ratio, score_cutoff=DEFAULT_WORD_CUTOFF) is not None


def _compatible(query: tuple[str, ...], key: tuple[str, ...], word_cutoff: float) -> bool:
    """Same length, identical model identifiers, similar words, and at least one identical token."""
    if len(query) != len(key):
        return False
    same = 0
    for q, k in zip(query, key, strict=True):
        if q == k:
            same += 1
        elif _is_key_word(q) or _is_key_word(k) or fuzz.ratio(q, k) < word_cutoff:
            return False
    return same >= 1


def _fuzzy(query: tuple[str, ...], index: _Index, cutoff: float) -> HardwareMatch | None:
    pool = index.choices.get(len(query))
    if not pool or len(query) < 2:
        return None
    hits = process.extract(" ".join(query), [c[0] for c in pool], scorer=fuzz.ratio,
                           limit=DEFAULT_FUZZY_LIMIT, score_cutoff=cutoff)
    for _text, score, i in hits:
        key = pool[i][1]
        if _compatible(query, key, DEFAULT_WORD_CUTOFF):
            entry, alias = index.exact[key]
            return HardwareMatch(entry=entry, score=float(score), matched_alias=alias)
    return None


# ---------------------------------------------------------------- matching


def match_hardware(mention: str, *, cutoff: float = DEFAULT_MATCH_CUTOFF,
                   catalog: tuple[HardwareEntry, ...] | None = None) -> HardwareMatch | None:
    """The catalog entry a device mention names, or ``None``.

    Exact alias hits (after :func:`normalise_device`) come first, then a leading count is dropped
    ("8 V100"), then rapidfuzz with ``cutoff`` (0–100) — model identifiers such as "X"/"Xp"/"V",
    "P100"/"P40" or "Ti" must agree exactly, so near-miss models never cross-match. A longer string
    ("a single Titan X GPU (12 GB)") falls back to the first device :func:`scan_hardware` finds.

    >>> match_hardware("TitanX").entry.name
    'NVIDIA GeForce GTX Titan X (Maxwell)'
    >>> match_hardware("Titan Xp").entry.name
    'NVIDIA Titan Xp'
    >>> match_hardware("Foo X9") is None
    True
    """
    cat = _catalog(catalog)
    index = _index(cat)
    query = _key(_tokenise(mention))
    if not query:
        return None
    hit = index.exact.get(query)
    if hit is not None:
        return HardwareMatch(entry=hit[0], score=100.0, matched_alias=hit[1])
    trimmed = query
    while len(trimmed) > 1 and (_COUNTISH.match(trimmed[0]) or parse_count_word(trimmed[0]) is not None):
        trimmed = trimmed[1:]
    if trimmed != query:
        hit = index.exact.get(trimmed)
        if hit is not None:
            return HardwareMatch(entry=hit[0], score=100.0, matched_alias=hit[1])
    found = _fuzzy(trimmed, index, cutoff)
    if found is not None:
        return found
    for m in _scan(mention, cat, cutoff, allow_unknown=False, need_context=False):
        if m.match is not None:
            return m.match
    return None


def entry_by_name(name: str, *, catalog: tuple[HardwareEntry, ...] | None = None) -> HardwareEntry | None:
    """The entry whose canonical name is ``name`` (case-insensitive), else ``None``.

    >>> entry_by_name("NVIDIA Tesla K80").basis
    'chip'
    """
    return _index(_catalog(catalog)).by_name.get(name.strip().lower())


# The catalog names a family entry "<family> (model unspecified)" / "(version unspecified)" (docs/hardware.md,
# "Families"): a mention that names no card or generation ("TPU", "Kepler").
_FAMILY_NAME = re.compile(r"\((?:model|version) unspecified\)\s*$", re.I)


def is_family(entry: HardwareEntry) -> bool:
    """Whether ``entry`` is a family without a card or generation ("Google TPU (version unspecified)").

    >>> is_family(entry_by_name("Google TPU (version unspecified)")), is_family(entry_by_name("Google TPU v3"))
    (True, False)
    """
    return bool(_FAMILY_NAME.search(entry.name))


def gflops_for(name: str, *, catalog: tuple[HardwareEntry, ...] | None = None) -> float | None:
    """Peak FP32 GFLOPS of one counted unit for a canonical name or any mention; ``None`` if unknown.

    >>> gflops_for("NVIDIA Tesla P100 SXM2")
    10610.0
    >>> gflops_for("TPUv3") is None  # no FP32 peak published
    True
    """
    entry = entry_by_name(name, catalog=catalog)
    if entry is None:
        found = match_hardware(name, catalog=catalog)
        entry = found.entry if found else None
    return entry.fp32_gflops if entry else None


def hardware_figure(name: str, basis: str = DEFAULT_HARDWARE_BASIS, *,
                    catalog: tuple[HardwareEntry, ...] | None = None) -> HardwareFigure:
    """The per-device GFLOPS of a canonical name or mention under ``basis`` (``peak`` or ``fp32``).

    >>> f = hardware_figure("Cloud TPU v3")
    >>> (f.entry, f.gflops, f.figure, f.unit)
    ('Google Cloud TPU v3 (v3-8 board)', 420000.0, 'peak', 'tpu_board')
    >>> hardware_figure("Cloud TPU v3", "fp32").status
    'no_figure'
    >>> hardware_figure("NVIDIA Tesla P100 SXM2").figure  # GPUs: FP32 under both bases
    'fp32'
    >>> hardware_figure("Foo X9").status
    'not_in_catalog'
    """
    if basis not in HARDWARE_BASES:
        raise ValueError(f"hardware basis {basis!r} is not one of {', '.join(HARDWARE_BASES)}")
    entry = entry_by_name(name, catalog=catalog)
    if entry is None:
        found = match_hardware(name, catalog=catalog)
        entry = found.entry if found else None
    if entry is None:
        return HardwareFigure(name=name, status="not_in_catalog")
    if basis == "peak" and entry.peak_gflops is not None:
        return HardwareFigure(name, "ok", entry.peak_gflops, "peak", entry.name, entry.basis, entry.peak_source_url)
    if entry.fp32_gflops is not None:
        return HardwareFigure(name, "ok", entry.fp32_gflops, "fp32", entry.name, entry.basis, entry.source_url)
    return HardwareFigure(name=name, status="no_figure", entry=entry.name, unit=entry.basis)


# ---------------------------------------------------------------- scanning free text

_JOIN_GAP = re.compile(r"^[\s\-/()]*$")


def _joined(text: str, a: _Tok, b: _Tok) -> bool:
    """Two tokens belong to one name when only spaces, hyphens, slashes or brackets separate them."""
    gap = text[a.end:b.start]
    return len(gap) <= 3 and bool(_JOIN_GAP.match(gap))


def _unknown_model_follows(text: str, tokens: list[_Tok], last: int) -> bool:
    """A short letter code glued after an alphabetic name ("Titan W") continues the model name."""
    if last + 1 >= len(tokens) or not _joined(text, tokens[last], tokens[last + 1]):
        return False
    nxt = tokens[last + 1]
    return nxt.norm.isalpha() and len(nxt.norm) <= 2 and nxt.norm not in UNIT_WORDS and \
        text[nxt.start:nxt.end][:1].isupper()


_GENERATION = re.compile(r"^v\d+[a-z]?$")


def _other_generation_follows(text: str, tokens: list[_Tok], last: int, key: tuple[str, ...]) -> bool:
    """A generation token glued after a name without one ("Cloud TPU" + "v4") names another device."""
    if any(_GENERATION.match(w) for w in key) or last + 1 >= len(tokens):
        return False
    return _joined(text, tokens[last], tokens[last + 1]) and bool(_GENERATION.match(tokens[last + 1].norm))


def _has_context(tokens: list[_Tok], lo: int, hi: int, window: int, models: frozenset[str]) -> bool:
    """A GPU word or another GPU model name ("P40 and P100") within ``window`` tokens, or a count before."""
    near = tokens[max(0, lo - window):lo] + tokens[hi:hi + window]
    if any(t.norm in GPU_CONTEXT_WORDS or t.norm in models for t in near):
        return True
    # a count right before it: "on 8 K40", "eight M40s"
    return lo > 0 and (tokens[lo - 1].norm.isdigit() or parse_count_word(tokens[lo - 1].norm) is not None)


def _needs_context(entry: HardwareEntry, key: tuple[str, ...]) -> bool:
    if entry.kind != "gpu":
        return False
    if entry.fp32_gflops is None:  # architecture family ("Kepler")
        return True
    return len(key) == 1 and len(key[0]) <= DEFAULT_CONTEXT_MAX_LEN


def scan_hardware(text: str, *, cutoff: float = DEFAULT_MATCH_CUTOFF,
                  catalog: tuple[HardwareEntry, ...] | None = None) -> list[HardwareMention]:
    """Every device mention in ``text``, in order; unknown devices ("Foo X9 GPU") have ``match=None``.

    The span covers the device name with its vendor words ("NVIDIA Tesla V100"), not the count before
    it nor the unit word after it (that is in ``unit``). Counting is the caller's job
    (:func:`parse_count_word`).

    >>> [(m.raw, m.match.entry.name, m.unit) for m in scan_hardware("on 32 TPU v3 cores")]
    [('TPU v3', 'Google TPU v3', 'core')]
    """
    return _scan(text, _catalog(catalog), cutoff, allow_unknown=True, need_context=True)


def _scan(text: str, catalog: tuple[HardwareEntry, ...], cutoff: float, *, allow_unknown: bool,
          need_context: bool) -> list[HardwareMention]:
    index = _index(catalog)
    tokens = _tokenise(text)
    out: list[HardwareMention] = []
    n = len(tokens)
    i = 0
    consumed_to = 0  # tokens before this index belong to an earlier mention
    boring = _boring_words(index, allow_unknown)
    while i < n:
        # most words can start nothing: skip them with one look-up (the checks below, cached per word)
        norm = tokens[i][0]
        skip = boring.get(norm)
        if skip is None:
            skip = boring[norm] = not (norm in NOISE_WORDS or _is_memory_word(norm) or norm in index.first_words
                                       or _fuzzy_start(norm, index.fuzzy_starts)
                                       or (allow_unknown and norm in ("gpu", "gpus")))
        if skip:
            i += 1
            continue
        # leading vendor words ("NVIDIA GeForce") join the span but not the key
        k = i
        while k < n and tokens[k].noise and k + 1 < n and _joined(text, tokens[k], tokens[k + 1]):
            k += 1
        if tokens[k].noise or _is_memory(tokens[k]):
            i = k + 1
            continue
        if tokens[k].norm not in index.first_words and not _fuzzy_start(tokens[k].norm, index.fuzzy_starts):
            if allow_unknown and tokens[k].norm in ("gpu", "gpus"):
                unknown = _unknown_before(text, tokens, k, consumed_to)
                if unknown is not None:
                    out.append(unknown)
            i = k + 1
            continue
        # the run of joined content tokens starting at k
        run = [k]
        while len(run) < index.max_len + 2 and run[-1] + 1 < n and _joined(text, tokens[run[-1]], tokens[run[-1] + 1]):
            nxt = run[-1] + 1
            run.append(nxt)
        found: tuple[HardwareMatch, int] | None = None  # (match, index of last token)
        content_positions = [p for p in run if not tokens[p].noise and not _is_memory(tokens[p])]
        for length in range(min(index.max_len, len(content_positions)), 0, -1):
            pos = content_positions[:length]
            key = tuple(tokens[p].norm for p in pos)
            if key[-1] in UNIT_WORDS:
                continue
            hit = index.exact.get(key)
            if hit is not None and key[-1].isalpha() and _unknown_model_follows(text, tokens, pos[-1]):
                continue  # "Titan W": not the bare "Titan" but a model the catalog lacks
            if hit is not None and _other_generation_follows(text, tokens, pos[-1], key):
                break  # "Cloud TPU v5": not the bare "Cloud TPU" (a v2 board) but a generation it lacks
            if hit is not None:
                if need_context and _needs_context(hit[0], key) and not _has_context(
                        tokens, k, pos[-1] + 1, DEFAULT_CONTEXT_WINDOW, index.gpu_models):
                    continue
                found = (HardwareMatch(entry=hit[0], score=100.0, matched_alias=hit[1]), pos[-1])
                break
            if length >= 2 and any(w in index.vocab for w in key) and tokens[k].norm not in index.vocab:
                fuzzy = _fuzzy(key, index, cutoff)
                if fuzzy is not None:
                    found = (fuzzy, pos[-1])
                    break
        if found is not None:
            match, last = found
            if not _in_url(text, tokens[k].start):
                out.append(_mention(text, tokens, i, last, match))
            i = consumed_to = last + 1
            continue
        if allow_unknown and tokens[k].norm in ("gpu", "gpus"):
            unknown = _unknown_before(text, tokens, k, consumed_to)
            if unknown is not None:
                out.append(unknown)
        i = k + 1
    return out


# (id of an index, allow_unknown) → (the index, kept alive so its id stays its own; word → can start nothing)
_BORING: dict[tuple[int, bool], tuple[_Index, dict[str, bool]]] = {}


def _boring_words(index: _Index, allow_unknown: bool) -> dict[str, bool]:
    """The per-word cache of ``_scan``'s skip test for ``index`` (words that cannot start a mention)."""
    got = _BORING.get((id(index), allow_unknown))
    if got is None or got[0] is not index:
        got = _BORING[(id(index), allow_unknown)] = (index, {})
    if len(got[1]) > 200_000:  # a long run's vocabulary: bounded memory
        got[1].clear()
    return got[1]


def _in_url(text: str, pos: int) -> bool:
    """Is ``pos`` inside a URL or path ("github.com/tensorflow/tpu/tree")? "V100/P100" is not."""
    lo, hi = pos, pos
    while lo > 0 and not text[lo - 1].isspace():
        lo -= 1
    while hi < len(text) and not text[hi].isspace():
        hi += 1
    word = text[lo:hi]
    return "://" in word or "www." in word or word.count("/") >= 2


def _mention(text: str, tokens: list[_Tok], first: int, last: int, match: HardwareMatch | None) -> HardwareMention:
    unit = None
    if last + 1 < len(tokens) and tokens[last + 1].norm in UNIT_WORDS and _joined(text, tokens[last], tokens[last + 1]):
        unit = UNIT_WORDS[tokens[last + 1].norm]
    start, end = tokens[first].start, tokens[last].end
    if text[end:end + 1] == ")" and "(" in text[start:end]:
        end += 1
    return HardwareMention(start=start, end=end, raw=text[start:end], match=match, unit=unit)


def _unknown_before(text: str, tokens: list[_Tok], gpu_at: int, floor: int) -> HardwareMention | None:
    """A name right before "GPU" that the catalog does not know: "Foo X9 GPU", "AMD Radeon VII GPU"."""
    if re.match(r"[ \t]*\(", text[tokens[gpu_at].end:]):
        return None  # "ConvS2S GPU (K40)": the device is the one in brackets
    names: list[int] = []
    p = gpu_at - 1
    while p >= floor and len(names) < 4 and _joined(text, tokens[p], tokens[p + 1]):
        tok = tokens[p]
        raw = text[tok.start:tok.end]
        if (tok.norm in _STOPWORDS or _is_memory(tok) or tok.norm.isdigit() or parse_count_word(tok.norm)
                is not None or not (raw[:1].isupper() or any(ch.isdigit() for ch in raw))):
            break
        names.append(p)
        p -= 1
    if not names:
        return None
    names.reverse()
    content = [tokens[q] for q in names if not tokens[q].noise]
    has_model = any(any(ch.isdigit() for ch in t.norm) for t in content)
    has_vendor = any(tokens[q].noise for q in names)
    if not content or not (has_model or has_vendor):
        return None
    return _mention(text, tokens, names[0], names[-1], None)


# ---------------------------------------------------------------- counts

#: TPU geometry by generation: (cores per chip, chips per board, chips per pod). Google Cloud TPU docs.
TPU_GEOMETRY = {"v2": (2, 4, 256), "v3": (2, 4, 1024), "v4": (2, 4, 4096)}
#: Dual-die boards whose catalog figure is per die (``basis=chip``): dies per board.
DIES_PER_BOARD = {"NVIDIA Tesla K10": 2, "NVIDIA Tesla K80": 2, "NVIDIA Tesla M60": 2}


def count_in_basis(count: float, unit: str | None, entry: HardwareEntry) -> float | None:
    """Convert a count of ``unit`` ("core", "chip", "board", "pod", "gpu", None) into ``entry.basis`` units.

    ``fp32_gflops × count_in_basis(...)`` is then the peak of the whole setup; ``None`` when the
    conversion is unknown (a pod of unversioned TPUs, "cores" of a GPU).

    >>> v3 = entry_by_name("Google TPU v3")
    >>> count_in_basis(32, "core", v3), count_in_basis(1, "pod", v3)
    (16.0, 1024.0)
    >>> count_in_basis(64, "chip", entry_by_name("Google Cloud TPU v2 (v2-8 board)"))
    16.0
    >>> count_in_basis(4, "board", entry_by_name("NVIDIA Tesla K80"))
    8.0
    """
    if entry.kind == "tpu":
        if unit is None or unit == _BASIS_UNIT[entry.basis]:
            return float(count)
        gen = re.search(r"\bv(\d)\b", entry.name)
        geometry = TPU_GEOMETRY.get(f"v{gen[1]}") if gen else None
        if geometry is None:
            return None
        cores, chips, pod = geometry
        to_chips = {"core": 1 / cores, "chip": 1.0, "board": chips, "device": chips, "pod": pod}
        from_chips = {"tpu_core": cores, "tpu_chip": 1.0, "tpu_board": 1 / chips}
        if unit not in to_chips:
            return None
        return float(count * to_chips[unit] * from_chips[entry.basis])
    if unit in (None, "gpu", "device", "cpu", "chip"):
        return float(count)
    if unit == "board":
        return float(count) * (DIES_PER_BOARD.get(entry.name, 1) if entry.basis == "chip" else 1)
    return None


_BASIS_UNIT = {"tpu_core": "core", "tpu_chip": "chip", "tpu_board": "board", "chip": "chip", "board": "board"}


def parse_count_word(text: str) -> int | None:
    """A device count written as digits or English words, else ``None``.

    >>> [parse_count_word(s) for s in ("8", "eight", "a single", "two", "sixty-four", "1,024", "many")]
    [8, 8, 1, 2, 64, 1024, None]
    """
    s = text.strip().lower().replace("\u2013", "-")
    if not s:
        return None
    if re.fullmatch(r"\d{1,3}(,\d{3})+|\d+", s):
        return int(s.replace(",", ""))
    words = [w for w in re.split(r"[\s\-]+", s) if w and w != "and"]
    if words and words[0] in ("a", "an"):
        if len(words) == 1 or words[1] not in ("single", "pair", "dozen", "hundred", "thousand"):
            return None
        words = words[1:] if words[1] in ("single", "pair", "dozen") else ["one", *words[1:]]
    if words and words[-1] == "of":  # "a pair of"
        words = words[:-1]
    if not words:
        return None
    total = current = 0
    for w in words:
        if w in _NUMBER_WORDS:
            current += _NUMBER_WORDS[w]
        elif w in _SCALE_WORDS:
            current = max(current, 1) * _SCALE_WORDS[w]
            if w == "thousand":
                total, current = total + current, 0
        else:
            return None
    return total + current
