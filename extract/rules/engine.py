"""Load the pattern tables and run them over page text with spaCy's Matcher.

Rules are data (``patterns/<field>.jsonl``, one JSON object a line):

``{"id", "field", "pattern", "unit", "normaliser", "weight", "examples"}``

``pattern`` is a spaCy token pattern (https://spacy.io/api/matcher). Before matching, every number
in the text ("3.8 billion", "4.1×109", "90k", "eight") is merged into one token whose ``NORM`` is
``<num>``, so a pattern says ``{"NORM": "<num>"}`` where the number goes and the parsed value comes
from ``extract.normalise``. ``normaliser`` names how the matched span becomes a value (see
``NORMALISERS``); ``weight`` is the rule's prior confidence (0–1).
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from flopmine.errors import RuleError
from flopmine.types import FIELDS

from ..normalise import Quantity, find_quantities, parse_duration_hours, unit_scale

log = logging.getLogger(__name__)

NUM_NORM = "<num>"


@dataclass(frozen=True)
class Rule:
    """One row of a pattern table."""

    id: str
    field: str
    pattern: tuple[dict[str, Any], ...]
    unit: str
    normaliser: str
    weight: float
    examples: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Match:
    """A rule matched on a text: the character span of the whole match and of its number."""

    rule: Rule
    start: int
    end: int
    num_start: int
    num_end: int
    value: float
    raw: str


# ---------------------------------------------------------------- normalisers


def _scaled(quantity: Quantity, span_words: list[str]) -> float | None:
    """Quantity × the scale of the first unit word after it ("4.1 GFLOPs" → 4.1e9)."""
    for w in span_words:
        s = unit_scale(w)
        if s != 1.0 and w.lower() not in ("m", "s", "h", "d", "min", "sec"):
            return quantity.value * s
    return quantity.value


def _count(quantity: Quantity, span_words: list[str]) -> float | None:
    return quantity.value


def _duration(quantity: Quantity, span_words: list[str]) -> float | None:
    return parse_duration_hours(" ".join(span_words))


def _unit_of_span(quantity: Quantity, span_words: list[str]) -> float | None:
    """The quantity in the first time unit named in the span ("from 80 hours to 9.5" → 9.5 h)."""
    for w in span_words:
        if w.lower().rstrip(".") in ("hours", "hour", "h", "hrs", "days", "day", "weeks", "week"):
            return quantity.value * unit_scale(w)
    return None


def _metric(quantity: Quantity, span_words: list[str]) -> float | None:
    """A score as printed (0–100); a scaled number or a number word is not a score."""
    if quantity.scaled or quantity.word or not 0 < quantity.value <= 100 or quantity.raw.startswith("."):
        return None
    return quantity.value


NORMALISERS: dict[str, Callable[[Quantity, list[str]], float | None]] = {
    "metric": _metric,
    "scaled": _scaled,
    "scaled_flops": _scaled,
    "count": _count,
    "duration": _duration,
    "unit_of_span": _unit_of_span,
}

# Values outside these bounds are not the field's value whatever the words around them say.
PLAUSIBLE: dict[str, tuple[float, float]] = {
    "flops": (1e5, 1e25), "mult_adds": (1e5, 1e25), "params": (1e4, 1e13),
    "hardware_count": (1, 1e5), "training_time_hours": (0.05, 1e5), "epochs": (0.1, 1e4),
    "training_steps": (100, 1e9),
}
_INTEGER_FIELDS = {"hardware_count", "training_steps"}


# A rate, time or size unit set right after a number with no space ("59FPS", "45ms", "3.5x"): a figure's or a
# table's label prints a speed or a size that way beside its scores ("74.3mAP 59FPS 63.4mAP 45FPS")
_GLUED_RATE_UNIT = re.compile(r"(?:fps|hz|ms|us|µs|sec|s|mins?|hrs?|h|days?|[kmgt]b|x|×|img/s|im/s)(?![A-Za-z])", re.I)


def glued_rate_unit(text: str, end: int) -> bool:
    """Whether the number ending at ``text[end]`` has a rate, time or size unit glued to it: no score.

    >>> t = "74.3mAP 59FPS"; glued_rate_unit(t, t.find("59") + 2), glued_rate_unit(t, 4)
    (True, False)
    >>> glued_rate_unit("45 FPS", 2), glued_rate_unit("76.1%", 4), glued_rate_unit("3.5x faster", 3)
    (False, False, True)
    """
    return bool(_GLUED_RATE_UNIT.match(text, end))


_TOP_K_BEFORE = re.compile(r"\btop[\s\-]?$", re.I)  # "top 5 error", "Top-1 accuracy": the number is the k
# the ">" of an ASCII arrow ("75.2 -> 76.1", "=>") points at a changed value: no sign
_BOUND_SIGN = re.compile(r"(?:(?<![\-=])[<>]|[≤≥≲≳]|<=|>=)\s?$")


def bound_sign_before(text: str, start: int) -> bool:
    """Whether the number at ``text[start]`` follows an inequality sign: a bound ("(<600M FLOPS)", "> 80% accuracy"),
    a budget or a threshold the paper sets, no value a model has.

    >>> t = "top-1 accuracy under typical mobile settings (<600M FLOPS)"; bound_sign_before(t, t.find("600"))
    True
    >>> t = "MixNet-L reaches 78.9% with 565M FLOPS"; bound_sign_before(t, t.find("565"))
    False
    """
    return bool(_BOUND_SIGN.search(text, max(0, start - 3), start))


def plausible(field: str, value: float) -> bool:
    """Whether ``value`` can be a ``field`` value (range and integrality checks).

    >>> plausible("hardware_count", 8), plausible("hardware_count", 2.5), plausible("params", 12)
    (True, False, False)
    """
    lo, hi = PLAUSIBLE.get(field, (FIELDS[field].min_value or 0.0, FIELDS[field].max_value or float("inf")))
    if FIELDS[field].kind == "metric" and value <= 0:
        return False
    if not lo <= value <= hi:
        return False
    return not (field in _INTEGER_FIELDS and abs(value - round(value)) > 1e-9)


# ---------------------------------------------------------------- loading


def _patterns_dir() -> Path:
    return Path(str(resources.files(__package__).joinpath("patterns")))


def load_rules(directory: Path | str | None = None) -> tuple[Rule, ...]:
    """Read every ``*.jsonl`` pattern table; a malformed row raises ``RuleError`` naming file and line."""
    folder = Path(directory) if directory is not None else _patterns_dir()
    rules: list[Rule] = []
    seen: set[str] = set()
    for path in sorted(folder.glob("*.jsonl")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            where = f"{path.name}:{lineno}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise RuleError(f"{where}: invalid JSON: {e}") from None
            rid = row.get("id")
            if not rid or rid in seen:
                raise RuleError(f"{where}: missing or duplicate id", rule_id=rid)
            missing = {"field", "pattern", "normaliser"} - set(row)
            if missing:
                raise RuleError(f"{where}: missing key(s) {', '.join(sorted(missing))}", rule_id=rid)
            if row["field"] not in FIELDS:
                raise RuleError(f"{where}: unknown field {row['field']!r}", rule_id=rid)
            if row["normaliser"] not in NORMALISERS:
                raise RuleError(f"{where}: unknown normaliser {row['normaliser']!r}", rule_id=rid)
            if not any(tok.get("NORM") == NUM_NORM for tok in row["pattern"]):
                raise RuleError(f"{where}: pattern has no {{'NORM': '{NUM_NORM}'}} token", rule_id=rid)
            seen.add(rid)
            rules.append(Rule(
                id=rid, field=row["field"], pattern=tuple(row["pattern"]), unit=row.get("unit", ""),
                normaliser=row["normaliser"], weight=float(row.get("weight", 0.5)),
                examples=tuple(row.get("examples", ())), source=where,
            ))
    if not rules:
        raise RuleError(f"no rules found in {folder}")
    return tuple(rules)


def _make_nlp() -> Any:
    import spacy
    from spacy.util import compile_infix_regex, compile_suffix_regex

    nlp = spacy.blank("en")
    # "90k", "15h", "1.7s", "25.6M": split trailing letters off a number so units are their own tokens.
    suffixes = [*nlp.Defaults.suffixes, r"(?<=\d)[A-Za-z]+$"]
    nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    # "Parameters=340M", "L=24": split on "=" inside a token.
    infixes = [*nlp.Defaults.infixes, r"=", r"(?<=[A-Za-z])\((?=\d)"]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    nlp.tokenizer.max_cache_size = TOKENIZER_CACHE_CHUNKS
    return nlp


# spaCy's tokenizer keeps the tokens of each whitespace-separated chunk it has split, but stops adding at
# 10,000 chunks: the corpus pages bring that many distinct chunks within their first hundred or so, and from
# then on a worker splits most chunks again (prefix, suffix and infix regexes on each). A cached chunk gives
# the tokens its split gives (spaCy never caches a split that involved a special case), so the size changes
# speed only: measured on every second corpus PDF's pages, the tokenizer's second pass 1.7 → 0.5 ms/page. A
# bound all the same, as a long-running worker meets new chunks on every paper (about 150 bytes an entry:
# 40 MB at most).
TOKENIZER_CACHE_CHUNKS = 250_000


class _PendingFlagsFirst:
    """The fast Matcher, which first sets the word-list flags of the words new to the vocabulary since its last
    run (the tokenizer's and the retokenizer's: ``Engine._share_word_list_flags``), so that every flag it reads
    holds."""

    def __init__(self, matcher: Any, engine: Engine) -> None:
        self.matcher, self.engine = matcher, engine

    def __call__(self, doclike: Any, **kwargs: Any) -> Any:
        if self.engine._pending_words:
            self.engine._set_pending_flags()
        return self.matcher(doclike, **kwargs)


class Engine:
    """A spaCy tokenizer plus a Matcher loaded with every rule (built once per process)."""

    def __init__(self, rules: tuple[Rule, ...], *, flags: bool = True) -> None:
        """``flags=False``: run the patterns as written (``plain_matcher``) and merge every number into one
        token with spaCy's retokenizer, the reference the fast path is tested against."""
        from spacy.matcher import Matcher

        self.nlp = _make_nlp()
        self._pending_words: list[str] = []  # see _share_word_list_flags
        self._word_masks: dict[str, int] = {}
        self.flag_ids: dict[str, int] = {}
        self.rules = {r.id: r for r in rules}
        self.fast = flags
        self.num_index = {r.id: next(i for i, t in enumerate(r.pattern) if t.get("NORM") == NUM_NORM) for r in rules}
        # ``plain_matcher`` holds the patterns as written (validated when added); ``matcher``, the one
        # ``matches`` runs, the same patterns with their word lists and regexes turned into lexeme flags
        # (``compile_pattern``): same matches, about twice as fast.
        self.plain_matcher = Matcher(self.nlp.vocab, validate=True)
        self.matcher = Matcher(self.nlp.vocab, validate=False)  # int keys (flags) are not in the schema
        # How many tokens a match can reach before and after the token of its number, over all rules
        # (None: a rule has an unbounded operator).
        before = [_max_tokens(r.pattern[:self.num_index[r.id]]) for r in rules]
        after = [_max_tokens(r.pattern[self.num_index[r.id]:]) for r in rules]
        self.reach: tuple[int, int] | None = None
        if None not in before and None not in after:
            self.reach = (max(x or 0 for x in before), max(x or 0 for x in after))
        for r in rules:
            try:
                self.plain_matcher.add(r.id, [list(r.pattern)])
            except (ValueError, KeyError) as e:  # spaCy raises MatchPatternError (a ValueError)
                raise RuleError(f"{r.source}: invalid pattern: {e}", rule_id=r.id) from None
        if not flags:
            self.matcher = self.plain_matcher
            return
        # Every word new to the vocabulary runs every lexeme attribute getter (about 20 by default: shape,
        # like_url, is_stop …), most of which no pattern reads: keep LOWER, NORM and those the patterns name.
        # The getters dropped free their flag bits for the flags below.
        from spacy.attrs import IDS, LOWER, NORM

        named = {IDS.get(str(k).upper()) for r in rules for token in r.pattern for k in token if k != "OP"}
        for attr in list(self.nlp.vocab.lex_attr_getters):
            if attr not in named | {LOWER, NORM}:
                del self.nlp.vocab.lex_attr_getters[attr]
        # Flag bits are few (63): the tests of the rules' first tokens, tried at every token, get theirs first,
        # then the second tokens', and so on.
        flag_ids: dict[str, int] = {}
        for depth in range(max(len(r.pattern) for r in rules)):
            compile_pattern(tuple(r.pattern[depth] for r in rules if depth < len(r.pattern)), self.nlp.vocab,
                            flag_ids)
        for r in rules:
            self.matcher.add(r.id, [compile_pattern(r.pattern, self.nlp.vocab, flag_ids)])
        self.flag_ids = flag_ids  # each flagged test (as JSON) → its flag
        self._share_word_list_flags(flag_ids)

    def _share_word_list_flags(self, flag_ids: dict[str, int]) -> None:
        """One lexeme getter for all the word-list flags (``{"LOWER": {"IN": [...]}}``) instead of one each.

        spaCy calls every getter on every word new to the vocabulary (49 word lists: 49 Python calls a word).
        One look-up of the word's lower case in a table of flag bits gives them all; the getter left in place
        sets its own bit and notes the word when it has others, which ``_set_pending_flags`` sets before the
        Matcher runs (few words are in any list). The tokenizer on every corpus page in a fresh process: 4.2 →
        3.7 ms/page.
        """
        masks: dict[str, int] = {}
        shared: list[int] = []
        for key, flag_id in flag_ids.items():
            attr, op, value = json.loads(key)
            if attr == "LOWER" and op == "IN":
                shared.append(flag_id)
                for word in value:
                    masks[word] = masks.get(word, 0) | 1 << flag_id
        if not shared:
            return
        getters = self.nlp.vocab.lex_attr_getters
        for flag_id in shared[1:]:
            del getters[flag_id]
        own = 1 << shared[0]
        pending = self._pending_words

        def word_list_flags(text: str) -> bool:
            mask = masks.get(text.lower(), 0)
            if mask & ~own:
                pending.append(text)
            return bool(mask & own)

        getters[shared[0]] = word_list_flags
        self._word_masks = masks
        self.matcher = _PendingFlagsFirst(self.matcher, self)

    def _set_pending_flags(self) -> None:
        """Set the word-list flags of the words new since the last call (see ``_share_word_list_flags``)."""
        vocab, masks = self.nlp.vocab, self._word_masks
        for text in self._pending_words:
            lex = vocab[text]
            lex.flags = lex.flags | masks[text.lower()]
        self._pending_words.clear()

    def matches(self, text: str) -> Iterator[Match]:
        """Every rule match in ``text`` (already cleaned) with its parsed value."""
        doc = self.nlp.make_doc(text)
        quantities: dict[int, Quantity] = {}
        with doc.retokenize() as retok:
            taken = -1
            for q in find_quantities(text):
                span = doc.char_span(q.start, q.end, alignment_mode="expand")
                if span is None or span.start <= taken:
                    continue
                if span.end_char - span.start_char > q.end - q.start and _LETTER.search(
                        text[span.start_char:q.start] + text[q.end:span.end_char]):
                    continue  # a number inside a word-like token ("mAP@[.5", "x10"): not a quantity
                taken = span.end - 1
                if len(span) == 1 and self.fast:  # most numbers are one token already: a merge's effect without one
                    span[0].norm_ = NUM_NORM
                else:
                    retok.merge(span, attrs={"NORM": NUM_NORM})
                quantities[span.start_char] = q
        # Optional tokens make several matches of one rule on one number: keep the longest. The value is
        # the token the pattern's {"NORM": "<num>"} position matched (alignments), not any number inside.
        longest: dict[tuple[str, int], tuple[int, int]] = {}
        for match_id, start, end, align in self._matches_near_numbers(doc, quantities):
            rid = self.nlp.vocab.strings[match_id]
            pos = self.num_index[rid]
            if pos not in align:
                continue
            num_i = start + list(align).index(pos)
            if doc[num_i].idx not in quantities:
                continue
            key = (rid, num_i)
            cur = longest.get(key)
            if cur is None or end - start > cur[1] - cur[0]:
                longest[key] = (start, end)
        for (rid, num_i), (start, end) in sorted(longest.items(), key=lambda kv: kv[1]):
            rule = self.rules[rid]
            span = doc[start:end]
            q = quantities[doc[num_i].idx]
            words = [t.text for t in span]
            value = NORMALISERS[rule.normaliser](q, words)
            if value is None or not plausible(rule.field, value):
                continue
            if rule.normaliser == "metric" and glued_rate_unit(text, q.end):
                continue  # "74.3mAP 59FPS": the number after "mAP" is a speed, no score
            if bound_sign_before(text, q.start):
                continue  # "under typical mobile settings (<600M FLOPS)": a budget, no model's value
            if _TOP_K_BEFORE.search(text, max(0, q.start - 5), q.start):
                continue  # "yielded 14.2% top 5 error rate": the k of a top-k metric, no value
            yield Match(rule, span.start_char, span.end_char, q.start, q.end, float(value), span.text)


    def _matches_near_numbers(self, doc: Any, quantities: dict[int, Quantity]) -> list[tuple[int, int, int, Any]]:
        """``self.matcher(doc, with_alignments=True)``, restricted to the matches a rule can use: those
        whose ``<num>`` token is a quantity.

        A rule's match reaches at most ``self.reach = (before, after)`` tokens before and after (counting
        the number itself) its ``<num>`` token, so the Matcher runs only over the stretches of the doc that
        close to a quantity: every usable match lies inside one stretch, token patterns look at single
        tokens, and the Matcher reports a stretch's matches in the order it reports them over the whole
        doc, so the caller sees the same matches in the same order (about half of a page's tokens are
        further from any number; matching is most of the rules' time).
        """
        if self.reach is None:
            return self.matcher(doc, with_alignments=True)
        (before, after), n = self.reach, len(doc)
        regions: list[list[int]] = []
        # the tokens of the quantities (a quantity's key is its token's first character): found by
        # bisecting the tokens' offsets rather than walking every token of the page
        from spacy.attrs import IDX

        offsets = doc.to_array(IDX).tolist()
        for i in sorted({bisect.bisect_left(offsets, c) for c in quantities}):
            if i < n and offsets[i] in quantities:
                lo, hi = max(0, i - before), min(n, i + after)
                if regions and lo <= regions[-1][1]:
                    regions[-1][1] = hi
                else:
                    regions.append([lo, hi])
        out = []
        for lo, hi in regions:
            out.extend((match_id, start + lo, end + lo, align)
                       for match_id, start, end, align in self.matcher(doc[lo:hi], with_alignments=True))
        return out


# Token attributes that belong to the word itself (spaCy's lexeme), whatever the document: a test on one of
# them can be a lexeme flag. NORM is not among them (``matches`` sets it on merged numbers).
_LEXEME_ATTRS = {"LOWER": "lower", "TEXT": "orth", "ORTH": "orth"}


def _flag_getter(attr: str, op: str, value: Any) -> Callable[[str], bool] | None:
    """A function of a word's text that is True where the token test ``{attr: {op: value}}`` holds
    (None when the test is not one a flag can stand for)."""
    if attr not in _LEXEME_ATTRS:
        return None
    lower = _LEXEME_ATTRS[attr] == "lower"
    if op == "IN" and isinstance(value, list) and all(isinstance(v, str) for v in value):
        words = frozenset(value)
        return (lambda text: text.lower() in words) if lower else (lambda text: text in words)
    if op == "REGEX" and isinstance(value, str):
        search = re.compile(value).search
        return (lambda text: search(text.lower()) is not None) if lower else (lambda text: search(text) is not None)
    return None


def compile_pattern(pattern: tuple[dict[str, Any], ...], vocab: Any, flags: dict[str, int]) -> list[dict[Any, Any]]:
    """``pattern`` with each word-list (``IN``) or ``REGEX`` test on ``LOWER``/``TEXT`` replaced by a lexeme
    flag that holds the same test's result (``{flag_id: True}``).

    spaCy's Matcher runs such tests as Python calls, once per token it tries (most of the rules' time);
    a lexeme flag is a bit computed once per distinct word of the vocabulary and read in C. ``flags`` maps
    each test (as JSON) to its flag, shared by every pattern and by later calls; when the vocabulary's 63
    flag bits run out, the remaining tests stay as they are (slower, same matches).
    """
    out: list[dict[Any, Any]] = []
    for spec in pattern:
        token: dict[Any, Any] = {}
        for attr, test in spec.items():
            if isinstance(test, dict) and len(test) == 1:
                op, value = next(iter(test.items()))
                key = json.dumps([attr, op, value], sort_keys=True)
                if key not in flags:
                    getter = _flag_getter(attr, op, value)
                    if getter is not None:
                        with contextlib.suppress(ValueError):  # no free flag bit left: the test stays
                            flags[key] = vocab.add_flag(getter)
                if key in flags:
                    token[flags[key]] = True
                    continue
            token[attr] = test
        out.append(token)
    return out


def _max_tokens(pattern: tuple[dict[str, Any], ...]) -> int | None:
    """How many tokens a pattern can match at most (None when unbounded: ``*``, ``+``, ``{n,}``).

    >>> _max_tokens(({"NORM": "<num>"}, {"LOWER": "gpus", "OP": "?"}, {"IS_PUNCT": True, "OP": "{0,3}"}))
    5
    """
    total = 0
    for tok in pattern:
        op = str(tok.get("OP", "1"))
        if op in ("*", "+"):
            return None
        m = re.fullmatch(r"\{\s*(\d*)\s*(,?)\s*(\d*)\s*\}", op)
        if m is None:
            total += 1  # "1", "!", "?"
        elif m.group(3):
            total += int(m.group(3))  # "{n,m}", "{,m}"
        elif m.group(2):
            return None  # "{n,}"
        else:
            total += int(m.group(1) or 0)  # "{n}"
    return total


@functools.lru_cache(maxsize=1)
def engine() -> Engine:
    """The process-wide engine (spaCy objects are built once per process)."""
    return Engine(load_rules())


_LETTER = re.compile(r"[A-Za-z]")
