"""The benchmark registry: which arXiv queries to run and which metrics each benchmark has.

Data lives in ``benchmarks.toml`` next to this module; ``--registry FILE`` points at another.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import ConfigError
from .types import FIELDS

_KNOWN_KEYS = {"title", "task", "query", "categories", "metrics", "primary_metric", "aliases", "harvest"}
_REQUIRED_KEYS = {"title", "query", "metrics", "primary_metric"}


@dataclass(frozen=True)
class Benchmark:
    """One benchmark: its arXiv query and metric vocabulary."""

    name: str
    title: str
    query: str
    metrics: tuple[str, ...]
    primary_metric: str
    task: str = ""
    categories: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    harvest: bool = True  # harvested by default; False: recognised in papers, harvested only when named

    @property
    def arxiv_query(self) -> str:
        """The full arXiv ``search_query``: terms AND (any of the categories)."""
        if not self.categories:
            return self.query
        cats = " OR ".join(f"cat:{c}" for c in self.categories)
        return f"({self.query}) AND ({cats})"


def load_registry(path: Path | str | None = None) -> dict[str, Benchmark]:
    """Load and validate the registry; unknown or missing keys and unknown metrics fail loudly.

    The built-in registry is parsed once per process (rules ask for it per page); callers get
    their own dict of the frozen ``Benchmark`` records.
    """
    if path is None:
        return dict(_builtin_registry())
    return _load(path)


@functools.cache
def _builtin_registry() -> dict[str, Benchmark]:
    return _load(None)


#: Benchmarks whose names are matched with their case: "CIFAR-10" and "C10" as printed, not any word spelled so.
CASE_SENSITIVE_NAMES = frozenset({"cifar10", "cifar100"})


def alias_pattern(forms: list[str]) -> str:
    """Any of ``forms`` as a whole word, in the order given (longest first, so a longer form wins)."""
    return r"(?<![\w\-])(?:" + "|".join(re.escape(f) for f in forms) + r")(?![\w])"


def first_chars_guard(forms: list[str]) -> str:
    """A lookahead for the characters ``forms`` start with (under the pattern's own flags, so case-insensitively
    where it is): a match starts with one of them, and the scanner skips the other positions of a page instead
    of trying each form there (all 18 alias patterns on every corpus page: 2.0 → 1.3 ms a page)."""
    return "(?=[" + "".join(sorted({re.escape(f[0]) for f in forms})) + "])"


@functools.lru_cache(maxsize=1)
def lowercase_names() -> frozenset[str]:
    """Every built-in benchmark's name and aliases, lower-cased: whether a text, whole, names a benchmark."""
    return frozenset(alias.lower() for b in load_registry().values() for alias in (b.name, *b.aliases))


@functools.lru_cache(maxsize=1)
def name_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each built-in benchmark's name and aliases as one whole-word pattern (benchmark, pattern): what the
    extraction rules and the review's offer both look for in text."""
    out = []
    for name, b in load_registry().items():
        forms = sorted({*b.aliases, b.name}, key=len, reverse=True)
        out.append((name, re.compile(first_chars_guard(forms) + alias_pattern(forms),
                                     0 if name in CASE_SENSITIVE_NAMES else re.IGNORECASE)))
    return tuple(out)


def _load(path: Path | str | None) -> dict[str, Benchmark]:
    if path is None:
        text = resources.files(__package__).joinpath("benchmarks.toml").read_text(encoding="utf-8")
        where = "built-in benchmarks.toml"
    else:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as e:
            raise ConfigError(f"cannot read registry {p}: {e.strerror}") from None
        where = str(p)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{where}: invalid TOML: {e}") from None
    registry: dict[str, Benchmark] = {}
    for name, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: [{name}] must be a table")
        unknown = set(table) - _KNOWN_KEYS
        if unknown:
            raise ConfigError(f"{where}: [{name}]: unknown key(s) {', '.join(sorted(unknown))}")
        missing = _REQUIRED_KEYS - set(table)
        if missing:
            raise ConfigError(f"{where}: [{name}]: missing key(s) {', '.join(sorted(missing))}")
        metrics = tuple(table["metrics"])
        for m in (*metrics, table["primary_metric"]):
            if m not in FIELDS or FIELDS[m].kind != "metric":
                raise ConfigError(f"{where}: [{name}]: unknown metric {m!r}")
        registry[name] = Benchmark(
            name=name, title=table["title"], query=table["query"], metrics=metrics,
            primary_metric=table["primary_metric"], task=table.get("task", ""),
            categories=tuple(table.get("categories", ())), aliases=tuple(table.get("aliases", ())),
            harvest=_flag(table.get("harvest", True), f"{where}: [{name}]: harvest"),
        )
    if not registry:
        raise ConfigError(f"{where}: no benchmarks defined")
    return registry


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, not {value!r}")
    return value
