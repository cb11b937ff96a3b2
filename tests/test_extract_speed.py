"""The fast paths of extraction give exactly what the plain paths give (issue 17, speed target)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flopmine.extract.grid import DEFAULT_LINE_OVERLAP, DEFAULT_WORD_GAP, Word, group_lines, words_from_chars
from flopmine.extract.rules.engine import Engine, compile_pattern, engine, load_rules
from flopmine.types import BBox


@functools.cache
def _plain_engine() -> Engine:
    return Engine(load_rules(), flags=False)


def _rule_words() -> list[str]:
    """Every word the pattern tables test for (IN lists and literal LOWER/ORTH values)."""
    words: set[str] = set()
    for rule in load_rules():
        for token in rule.pattern:
            for attr, test in token.items():
                if attr == "OP":
                    continue
                if isinstance(test, str):
                    words.add(test)
                elif isinstance(test, dict) and isinstance(test.get("IN"), list):
                    words.update(test["IN"])
    return sorted(words)


_NUMBERS = ["3.8", "90k", "4.1×109", "eight", "25.6M", "1,248,424", "76.3", "0.5", "2", "1.4e18", "300",
            "3.5 billion", "a single", "ten", "10^9", ".5", "7.3M", "565M", "882K"]
_OTHER = ["GPUs", "Tesla", "V100", "NVIDIA", "TPUv3", "K80", "hours", "days", "h", "iter-", "ations", "ite",
          "rations", "AP@[.5", ":.95]", "mAP@[0.5", "from", "to", "the", "model", "ResNet-50", "%", "(", ")",
          ",", ":", "=", "-", "~", ".", "[3]", "x", "×", "ImageNet", "top-1", "Top-1", "ERROR", "FLOPs"]


def _cased(word: str) -> st.SearchStrategy[str]:
    return st.sampled_from([word, word.upper(), word.title(), word.capitalize()])


_WORD = st.one_of(
    st.sampled_from(_rule_words()).flatmap(_cased),
    st.sampled_from(_NUMBERS),
    st.sampled_from(_OTHER),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzXYZ0123456789-.%", min_size=1, max_size=8),
)
_TEXT = st.lists(st.tuples(_WORD, st.sampled_from([" ", " ", " ", ""])), min_size=1, max_size=60).map(
    lambda parts: "".join(w + sep for w, sep in parts).strip())


def _as_tuples(eng: Engine, text: str) -> list[tuple[object, ...]]:
    return [(m.rule.id, m.start, m.end, m.num_start, m.num_end, m.value, m.raw) for m in eng.matches(text)]


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_the_fast_path_matches_exactly_what_the_plain_spacy_path_matches(text: str) -> None:
    """The fast path (word lists and regexes as lexeme flags; one-token numbers marked without a
    retokenizer merge) finds the same matches, values and spans as the plain path (the patterns as
    written, every number merged) on any text made of the rules' words, numbers and noise."""
    assert _as_tuples(engine(), text) == _as_tuples(_plain_engine(), text)


@settings(max_examples=60, deadline=None)
@given(_TEXT)
def test_both_matchers_give_the_same_raw_matches_and_alignments_on_one_doc(text: str) -> None:
    eng = engine()
    doc = eng.nlp.make_doc(text)
    assert eng.matcher(doc, with_alignments=True) == eng.plain_matcher(doc, with_alignments=True)


@settings(max_examples=60, deadline=None)
@given(_TEXT)
def test_flags_set_from_the_shared_word_list_table_are_what_each_test_s_own_getter_gives(text: str) -> None:
    """The word-list flags come from one table look-up (``Engine._share_word_list_flags``), the ones beyond the
    first set just before the Matcher runs: by then every token's flags are what each test's own getter gives,
    for words new to the vocabulary too (the text's noise words), and for the words of numbers merged into one."""
    import json

    from flopmine.extract.rules.engine import _flag_getter

    eng = engine()
    list(eng.matches(text))  # new words of the text, and of its merged numbers, enter the vocabulary here
    doc = eng.nlp.make_doc(text + " " + text.upper())
    eng.matcher(doc)
    getters = {fid: _flag_getter(*json.loads(key)) for key, fid in eng.flag_ids.items()}
    assert sum(1 for key in eng.flag_ids if '"IN"' in key) > 10
    for token in doc:
        for fid, getter in getters.items():
            assert token.check_flag(fid) == getter(token.text), (token.text, fid)


def test_every_rule_still_matches_its_own_examples_on_both_paths() -> None:
    fast, plain = engine(), _plain_engine()
    for rule in load_rules():
        for example in rule.examples:
            got = _as_tuples(fast, example)
            assert got == _as_tuples(plain, example)
            assert rule.id in {g[0] for g in got}, (rule.id, example)


def test_word_lists_and_regexes_become_flags_and_the_rest_stays_as_written() -> None:
    from spacy.lang.en import English

    vocab = English().vocab
    flags: dict[str, int] = {}
    pattern = ({"NORM": "<num>"}, {"LOWER": {"IN": ["gpus", "gpu"]}, "OP": "?"},
               {"TEXT": {"REGEX": "^V\\d+$"}}, {"ORTH": "%"}, {"NORM": {"IN": ["x"]}})
    out = compile_pattern(pattern, vocab, flags)
    gpu_flag, v_flag = flags['["LOWER", "IN", ["gpus", "gpu"]]'], flags['["TEXT", "REGEX", "^V\\\\d+$"]']
    assert out == [{"NORM": "<num>"}, {gpu_flag: True, "OP": "?"}, {v_flag: True}, {"ORTH": "%"},
                   {"NORM": {"IN": ["x"]}}]  # NORM is set per token (merged numbers), never a flag
    assert vocab["GPUs"].check_flag(gpu_flag) and not vocab["GPUx"].check_flag(gpu_flag)
    assert vocab["V100"].check_flag(v_flag) and not vocab["v100"].check_flag(v_flag)


def test_when_flag_bits_run_out_the_remaining_tests_stay_and_still_match() -> None:
    from spacy.lang.en import English
    from spacy.matcher import Matcher

    nlp = English()
    flags: dict[str, int] = {}
    patterns = [({"LOWER": {"IN": [f"w{i}", f"v{i}"]}}, {"ORTH": "-"}) for i in range(80)]
    compiled = [compile_pattern(p, nlp.vocab, flags) for p in patterns]
    assert 0 < len(flags) < 80  # some became flags, the others kept their IN test
    assert any("LOWER" in c[0] for c in compiled)
    fast, plain = Matcher(nlp.vocab, validate=False), Matcher(nlp.vocab)
    for i, (c, p) in enumerate(zip(compiled, patterns, strict=True)):
        fast.add(f"r{i}", [c])
        plain.add(f"r{i}", [list(p)])
    doc = nlp.make_doc(" ".join(f"W{i} - v{i}-" for i in range(0, 80, 3)))
    assert fast(doc) == plain(doc) and len(plain(doc)) > 20


def test_extraction_opens_the_pdf_and_loads_page_one_once_with_the_same_title_and_stamp(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The PDF's own title and stamp are read with page 1 while ``read_document`` holds it: one open of the
    file and one load of page 1 per paper (before, ``extract.pdfmeta`` opened the file and loaded page 1 a
    second time), and the same metadata as ``read_pdf_metadata`` reads alone, with or without a /Title."""
    import pypdfium2 as pdfium

    from flopmine.extract import pipeline
    from flopmine.extract.pdf import read_document
    from flopmine.extract.pdfmeta import read_pdf_metadata
    from tests.test_pdfmeta import paper_pdf

    for name, doc_title in (("a.pdf", None), ("w.pdf", "Microsoft Word - resnet.docx"), ("n.pdf", "ResNets")):
        pdf = paper_pdf(tmp_path / name, doc_title=doc_title)
        alone = read_pdf_metadata(pdf)
        assert read_document(pdf, arxiv_id="1512.03385", version=6, metadata=True).pdf_meta == alone
        assert read_document(pdf, arxiv_id="1512.03385", version=6).pdf_meta is None
    want = read_pdf_metadata(tmp_path / "a.pdf").title
    opened: list[str] = []
    pages: list[int] = []
    real_init, real_getitem = pdfium.PdfDocument.__init__, pdfium.PdfDocument.__getitem__

    def counting_init(self: object, path: object, *args: object, **kw: object) -> None:
        opened.append(str(path))
        real_init(self, path, *args, **kw)

    def counting_getitem(self: object, i: int) -> object:
        pages.append(i)
        return real_getitem(self, i)

    monkeypatch.setattr(pdfium.PdfDocument, "__init__", counting_init)
    monkeypatch.setattr(pdfium.PdfDocument, "__getitem__", counting_getitem)
    item = pipeline.PaperInput(tmp_path / "a.pdf", "1512.03385", 6)
    result = pipeline.extract_one(item, limits=pipeline.Limits(timeout=0))
    assert result.status == "ok" and result.pdf_title == want != ""
    assert len(opened) == 1 and pages.count(0) == 1


# ---------------------------------------------------------------- the grid reader's loops, against the code before


def _reference_words_from_chars(text: str, boxes: list[BBox | None], gap: float = DEFAULT_WORD_GAP) -> list[Word]:
    """``grid.words_from_chars`` as it was written before its loop was made faster (min()/max() calls)."""
    out: list[Word] = []
    n = min(len(text), len(boxes))
    start = -1
    x0 = top = x1 = bottom = 0.0
    prev: BBox | None = None
    for i in range(n):
        b = boxes[i]
        if b is None or text[i].isspace():
            if start >= 0:
                out.append(Word(text[start:i], x0, top, x1, bottom, start, i, False))
                start = -1
            prev = None
            continue
        if prev is not None:
            h = max(prev[3] - prev[1], b[3] - b[1], 1.0)
            if min(prev[3], b[3]) - max(prev[1], b[1]) <= -0.2 * h or b[0] - prev[2] > gap * h or b[2] < prev[0] - 1:
                out.append(Word(text[start:i], x0, top, x1, bottom, start, i, False))
                start = -1
        if start < 0:
            start, x0, top, x1, bottom = i, b[0], b[1], b[2], b[3]
        else:
            x0, top, x1, bottom = min(x0, b[0]), min(top, b[1]), max(x1, b[2]), max(bottom, b[3])
        prev = b
    if start >= 0:
        out.append(Word(text[start:n], x0, top, x1, bottom, start, n, False))
    return out


def _reference_group_lines(words: list[Word], overlap: float = DEFAULT_LINE_OVERLAP) -> list[list[Word]]:
    """``grid.group_lines`` as it was written before it was made faster."""
    lines: list[tuple[float, float, list[Word]]] = []
    for w in sorted(words, key=lambda w: (w.ymid, w.x0)):
        for k in range(len(lines) - 1, max(-1, len(lines) - 3), -1):
            top, bottom, ws = lines[k]
            common = min(bottom, w.bottom) - max(top, w.top)
            small = w.height < 0.75 * (bottom - top)
            if common >= overlap * min(max(bottom - top, 0.1), max(w.height, 0.1)) or (small and common > 0):
                ws.append(w)
                lines[k] = (min(top, w.top), max(bottom, w.bottom), ws)
                break
        else:
            lines.append((w.top, w.bottom, [w]))
    lines.sort(key=lambda t: (t[0] + t[1]) / 2)
    return [sorted(ws, key=lambda w: w.x0) for _, _, ws in lines]


# coordinates on a coarse grid, so that ties, touching and overlapping boxes, zero heights and sub-point
# heights (the branches of both loops) all come up
_COORD = st.integers(min_value=0, max_value=80).map(lambda v: v / 4)


@st.composite
def _box(draw: st.DrawFn) -> BBox:
    x0, top = draw(_COORD), draw(_COORD)
    return (x0, top, x0 + draw(_COORD) / 4, top + draw(_COORD) / 8)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ab1. \n"), st.one_of(st.none(), _box())), max_size=40))
def test_words_from_chars_gives_the_words_the_code_before_gave(chars: list[tuple[str, BBox | None]]) -> None:
    text, boxes = "".join(c for c, _ in chars), [b for _, b in chars]
    assert words_from_chars(text, boxes) == _reference_words_from_chars(text, boxes)


@settings(max_examples=300, deadline=None)
@given(st.lists(_box(), max_size=30))
def test_group_lines_gives_the_lines_the_code_before_gave(boxes: list[BBox]) -> None:
    words = [Word(f"w{i}", *b) for i, b in enumerate(boxes)]
    assert group_lines(words) == _reference_group_lines(words)


_PLAIN_NUMBER = st.one_of(
    st.from_regex(r"\A\d{1,3}(,\d{3}){1,4}(\.\d{1,12})?\Z"),
    st.from_regex(r"\A\d{1,25}(\.\d{1,25})?\Z"),
    st.from_regex(r"\A\.\d{1,25}\Z"),
)


@settings(max_examples=300, deadline=None)
@given(_PLAIN_NUMBER, st.sampled_from(["", " epochs", "% top-1", " GPUs"]))
def test_a_plain_number_has_the_value_of_its_exact_decimal(number: str, after: str) -> None:
    """Plain numbers skip the Decimal (``normalise._quantity``): the float is the one the exact decimal rounds to,
    with its digits after the point counted as before."""
    from decimal import Decimal

    from flopmine.extract.normalise import find_quantities

    (q,) = find_quantities(f"trained {number}{after}")
    assert q.raw == number and q.value == float(Decimal(number.replace(",", "")))
    assert q.decimals == (len(number.split(".")[1]) if "." in number else 0)


def _reference_named_benchmarks(pages: list[str]) -> tuple[str, ...]:
    """``pipeline.named_benchmarks`` before its fast path: every page's benchmark spots, their names."""
    from flopmine.extract.rules.benchmark_names import _benchmark_spots

    return tuple(sorted({name for text in pages for _, name in _benchmark_spots(text)
                         if not name.startswith("other:")}))


@functools.cache
def _alias_words() -> list[str]:
    from flopmine.benchmarks import load_registry

    return sorted({form for b in load_registry().values() for form in (*b.aliases, b.name)})


_BENCH_WORD = st.one_of(
    st.sampled_from(_alias_words()).flatmap(_cased),
    st.sampled_from(["English to French", "English→German", "En-De", "EN→DE", "en→fr", "Hub5'00", "SWB", "test-dev", "COCO", "SQuAD", "Cityscapes",
                     "PASCAL VOC", "ImageNet-1k", "CIFAR-10", "cifar-100", "ſquad", "İmageNet", "-", "(", "\n"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzXYZ0123456789-. ", min_size=1, max_size=8),
)
_PAGES = st.lists(st.lists(st.tuples(_BENCH_WORD, st.sampled_from([" ", " ", "", "\n"])), max_size=25).map(
    lambda parts: "".join(w + sep for w, sep in parts)), min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(_PAGES)
def test_named_benchmarks_names_what_every_pages_benchmark_spots_name(pages: list[str]) -> None:
    from flopmine.extract.document import Document
    from flopmine.extract.pipeline import named_benchmarks

    assert named_benchmarks(Document.from_texts(pages)) == _reference_named_benchmarks(pages)


@settings(max_examples=300, deadline=None)
@given(_PAGES)
def test_the_benchmark_spots_pre_check_leaves_out_no_match(pages: list[str]) -> None:
    """``_benchmark_spots`` skips an alias pattern on a page holding none of its stems: every pattern run on the
    whole page finds the same spots."""
    from flopmine.extract.rules.benchmark_names import _alias_patterns, _benchmark_spots
    from flopmine.extract.tables import OTHER_DATASETS

    for text in pages:
        every = [(m.start(), name) for name, rx in _alias_patterns() for m in rx.finditer(text)]
        every += [(m.start(), "other:" + m.group(0).lower()) for m in OTHER_DATASETS.finditer(text)]
        assert _benchmark_spots(text) == sorted(every)


# ---------------------------------------------------------------- the grid reader's regions and the first page's lines


def _reference_box(ws: list[Word]) -> BBox:
    """``grid._box`` as it was written before (four min()/max() generators)."""
    return (min(w.x0 for w in ws), min(w.top for w in ws), max(w.x1 for w in ws), max(w.bottom for w in ws))


def _reference_gutter(words: list[Word]) -> float | None:
    """``grid._gutter`` as it was written before (each word adding 1 to every bin it covers)."""
    if len(words) < 50:
        return None
    left, right = min(w.x0 for w in words), max(w.x1 for w in words)
    lo, hi = left + (right - left) / 3, left + 2 * (right - left) / 3
    bins = [0] * (int(hi - lo) + 1)
    for w in words:
        for x in range(max(int(w.x0 - lo), 0), min(int(w.x1 - lo), len(bins) - 1) + 1):
            bins[x] += 1
    limit = max(2, len(words) // 50)
    best: tuple[int, int] | None = None
    start = None
    for i, n in enumerate([*bins, limit + 1]):
        if n < limit and start is None:
            start = i
        elif n >= limit and start is not None:
            if best is None or i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    if best is None or best[1] - best[0] < 4:
        return None
    return lo + (best[0] + best[1]) / 2


@st.composite
def _word(draw: st.DrawFn) -> Word:
    x0 = draw(st.sampled_from([0.0, 10.0, 40.5, 72.0, 300.0, 310.25, 540.0]) | st.floats(0, 600))
    top = draw(st.sampled_from([0.0, 100.0, 100.5, 112.0]) | st.floats(0, 800))
    return Word(draw(st.sampled_from(["a", "76.1", "-", "Table", "ResNet-50"])), x0, top,
                x0 + draw(st.floats(0, 80)), top + draw(st.floats(0, 12)))


@settings(max_examples=300, deadline=None)
@given(st.lists(_word(), min_size=1, max_size=30))
def test_the_box_of_words_is_the_box_the_code_before_gave(words: list[Word]) -> None:
    from flopmine.extract.grid import _box

    assert _box(words) == _reference_box(words)


@settings(max_examples=200, deadline=None)
@given(st.lists(_word(), min_size=45, max_size=120), st.booleans())
def test_the_gutter_is_the_gutter_the_code_before_found(words: list[Word], two_columns: bool) -> None:
    from flopmine.extract.grid import _gutter

    if two_columns:  # a page of two text columns: words left and right of a gap in the middle
        words = [Word(w.text, w.x0 % 250, w.top, w.x0 % 250 + min(w.x1 - w.x0, 40), w.bottom) if k % 2 else
                 Word(w.text, 320 + w.x0 % 250, w.top, 320 + w.x0 % 250 + min(w.x1 - w.x0, 40), w.bottom)
                 for k, w in enumerate(words)]
    assert _gutter(words) == _reference_gutter(words)


@settings(max_examples=100, deadline=None)
@given(st.lists(_word(), min_size=1, max_size=12))
def test_prose_and_value_counts_given_the_phrases_are_those_computed_alone(line: list[Word]) -> None:
    """``find_regions`` and ``build_grid`` hand ``_is_prose`` the line's phrases (and value count) they have
    already: the answers are those ``_is_prose(line)`` and ``_numeric_count(line)`` compute alone."""
    from flopmine.extract.grid import _is_prose, _numeric_count, group_lines, phrases

    for ln in group_lines(line):
        ps = phrases(ln)
        assert _numeric_count(ln, ps) == _numeric_count(ln)
        assert _is_prose(ln, ps, _numeric_count(ln, ps)) == _is_prose(ln)


def _reference_first_page_lines(textpage: object, page_height: float, max_chars: int) -> list[object]:
    """``pdfmeta._first_page_lines`` as it was written before (pypdfium2's typed calls, the box's fields)."""
    import ctypes
    import statistics

    import pypdfium2 as pdfium

    from flopmine.extract.pdfmeta import TextLine

    raw = textpage.raw  # type: ignore[attr-defined]
    n = min(textpage.count_chars(), max_chars)  # type: ignore[attr-defined]
    left, right, bottom, top = (ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double())
    rect = pdfium.raw.FS_RECTF()
    lines: list[object] = []
    chars: list[str] = []
    sizes: list[float] = []
    tops: list[float] = []

    def flush() -> None:
        text = "".join(chars).strip()
        if text and sizes:
            lines.append(TextLine(text, statistics.median(sizes), min(tops)))
        chars.clear()
        sizes.clear()
        tops.clear()

    for i in range(n):
        ch = chr(pdfium.raw.FPDFText_GetUnicode(raw, i) or 32)
        if ch in "\r\n":
            flush()
            continue
        chars.append(ch)
        if ch.isspace():
            continue
        if pdfium.raw.FPDFText_GetLooseCharBox(raw, i, rect):
            sizes.append(abs(rect.top - rect.bottom))
            tops.append(page_height - max(rect.top, rect.bottom))
        elif pdfium.raw.FPDFText_GetCharBox(raw, i, left, right, bottom, top):
            sizes.append(abs(top.value - bottom.value))
            tops.append(page_height - top.value)
    flush()
    return lines


def test_the_first_page_lines_are_those_the_typed_calls_read(tmp_path: Path) -> None:
    """``pdfmeta._first_page_lines`` calls PDFium without pypdfium2's typed prototypes: the same lines, heights
    and tops as before, on a generated first page (stamp, title, authors, body)."""
    import pypdfium2 as pdfium

    from flopmine.extract.pdfmeta import _first_page_lines
    from tests.test_pdfmeta import paper_pdf

    pdf = pdfium.PdfDocument(str(paper_pdf(tmp_path / "p.pdf")))
    try:
        page = pdf[0]
        textpage = page.get_textpage()
        top = page.get_mediabox()[3]
        for max_chars in (40, 100_000):
            got = _first_page_lines(textpage, top, max_chars)
            assert got == _reference_first_page_lines(textpage, top, max_chars)
            assert len(got) >= (1 if max_chars == 40 else 3)
        textpage.close()
        page.close()
    finally:
        pdf.close()


def _unguarded_alias_re() -> object:
    """``tables._benchmark_alias_re`` as it was written before (no first-letter lookahead)."""
    import re

    from flopmine.extract.tables import _BENCH_FORMS, _benchmark_alias_re

    _benchmark_alias_re()  # fills _BENCH_FORMS
    return re.compile(r"(?<![\w\-])(" + "|".join(re.escape(f) for f in sorted(_BENCH_FORMS, key=len, reverse=True))
                      + r")(?![\w\-])", re.I)


@functools.cache
def _alias_forms() -> list[str]:
    from flopmine.extract.tables import _BENCH_FORMS, _benchmark_alias_re

    _benchmark_alias_re()
    return sorted(_BENCH_FORMS)


# case-folding traps: the long s and the Kelvin sign fold to "s" and "k", the dotted and dotless i to "i"
_FOLD_TRAPS = ["ſ", "K", "İ", "ı", "ﬅ", "-", " ", "2", "(", "ß"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.builds(lambda f: f, st.sampled_from(_alias_forms()).flatmap(_cased)),
                          st.sampled_from(_FOLD_TRAPS), st.text(max_size=4)), max_size=12))
def test_the_benchmark_alias_pattern_finds_what_it_found_without_its_first_letter_guard(parts: list[str]) -> None:
    from flopmine.extract.tables import _benchmark_alias_re

    line = " ".join(parts)
    guarded, plain = _benchmark_alias_re(), _unguarded_alias_re()
    assert [(m.span(1), m.group(1)) for m in guarded.finditer(line)] == \
        [(m.span(1), m.group(1)) for m in plain.finditer(line)]  # type: ignore[attr-defined]
    traps = line.replace("s", "ſ").replace("k", "K").replace("i", "ı")
    assert [m.span(1) for m in guarded.finditer(traps)] == [m.span(1) for m in plain.finditer(traps)]  # type: ignore[attr-defined]


@functools.cache
def _header_forms() -> list[str]:
    from flopmine.extract.tables import _form_patterns

    return [form for form, _, _ in _form_patterns()[0]]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_header_forms()), st.sampled_from(["-", " ", "x", "1", "(", ")", "_", "é"]),
                          st.text(max_size=4)), max_size=12), st.sampled_from(["", " ", "-"]))
def test_the_any_header_form_pattern_finds_a_line_with_a_form_as_each_form_pattern_does(parts: list[str],
                                                                                        glue: str) -> None:
    from flopmine.extract.tables import _form_patterns

    rows, _, any_form = _form_patterns()
    line = glue.join(parts).lower()
    assert (any_form.search(line) is not None) == any(rx.search(line) is not None for _, _, rx in rows)


_QUANTITY_PARTS = ["3.8", "90k", "4.1×109", "eight", "Eight", "a dozen", "A couple of", "25.6M", "1,248,424", ".5",
                   "1.4e18", "3.5 billion", "ten", "10^9", "7.3 Bn", "x", "-", ".", "/", "@", "ſix", "ſeven", "K",
                   "İ", "ı", "one", "ONE", "hundred", "tWeNtY"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_QUANTITY_PARTS), st.text(max_size=4)), max_size=12),
       st.sampled_from(["", " ", "-"]))
def test_the_quantity_pattern_finds_what_it_found_without_its_start_lookahead(parts: list[str], glue: str) -> None:
    import re

    from flopmine.extract.normalise import _STARTS, QUANTITY_RE

    plain = re.compile(QUANTITY_RE.pattern.removeprefix(_STARTS), re.IGNORECASE)
    text = glue.join(parts)
    assert [(m.span(), m.groups()) for m in QUANTITY_RE.finditer(text)] == \
        [(m.span(), m.groups()) for m in plain.finditer(text)]
    assert (QUANTITY_RE.fullmatch(text) is None) == (plain.fullmatch(text) is None)


_SPECIALS = ["e.g.", "i.e.", "don't", "It's", "vs.", "a.m.", ":)", "Mr.", "can't"]


@functools.cache
def _tokenizers() -> tuple[Any, Any]:
    """The engine's spaCy pipeline (a cache of ``TOKENIZER_CACHE_CHUNKS`` chunks, filled as the examples
    go) and one that caches nothing (every chunk split afresh)."""
    from flopmine.extract.rules.engine import _make_nlp

    uncached = _make_nlp()
    uncached.tokenizer.max_cache_size = 0
    return _make_nlp(), uncached


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.tuples(st.one_of(_WORD, st.sampled_from(_SPECIALS)), st.sampled_from([" ", " ", "\n", ""])),
                         min_size=1, max_size=30), min_size=1, max_size=4))
def test_the_tokenizer_with_its_larger_cache_gives_the_tokens_of_a_tokenizer_without_one(
        texts: list[list[tuple[str, str]]]) -> None:
    from flopmine.extract.rules.engine import TOKENIZER_CACHE_CHUNKS

    cached, uncached = _tokenizers()
    assert cached.tokenizer.max_cache_size == TOKENIZER_CACHE_CHUNKS > 10_000
    pages = ["".join(w + sep for w, sep in parts) for parts in texts]
    for text in pages + pages:  # the second time, most chunks come from the cache
        got, want = cached.make_doc(text), uncached.make_doc(text)
        assert [(t.text, t.idx, t.norm_, t.whitespace_) for t in got] == \
            [(t.text, t.idx, t.norm_, t.whitespace_) for t in want]


_NAME_PARTS = st.sampled_from(["ResNet", "BERT", "EfficientNet", "ViT", "T5", "GPT", "LARGE", "BASE", "Base", "s",
                               "-", " ", "(", "v2", "152", "B7", "x", "ConvNeXt"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_NAME_PARTS, min_size=1, max_size=5).map("".join), st.text(max_size=12))
def test_the_kept_model_stems_are_the_ones_computed_afresh(name: str, noise: str) -> None:
    """Both ``_stem`` functions keep their answers (``lru_cache``; the same names come up dozens of times a
    page): a second call gives what the function computes afresh."""
    from flopmine.extract.rules import context, text_rules

    for stem in (context._stem, text_rules._stem):
        for text in (name, noise, name + noise):
            assert stem(text) == stem.__wrapped__(text) == stem(text)


def test_the_character_boxes_are_those_pypdfium2_s_typed_call_reads(tmp_path: Path) -> None:
    """``pdf._page_chars`` calls ``FPDFText_GetCharBox`` bare (``pdf._untyped_fn``: no argument types, the GIL
    kept through the call): every character's box is the one pypdfium2's typed ``get_charbox`` gives, in top-left
    coordinates, and whitespace has none."""
    import pypdfium2 as pdfium

    from flopmine.extract.pdf import _page_chars, to_top_left
    from tests.test_pdfmeta import paper_pdf

    pdf = pdfium.PdfDocument(str(paper_pdf(tmp_path / "p.pdf")))
    try:
        page = pdf[0]
        textpage = page.get_textpage()
        top = page.get_mediabox()[3]
        raw = textpage.get_text_range()
        assert len(raw) == textpage.count_chars()
        text, boxes = _page_chars(textpage, top, True)
        want = [None if ch in " \n\t" else to_top_left(*textpage.get_charbox(k), top)
                for k, ch in enumerate(raw) if ch != "\r"]
        assert len(text) == len(boxes) > 100
        assert boxes == want
        textpage.close()
        page.close()
    finally:
        pdf.close()



def _forms_aliases_to_search(text: str) -> list[tuple[str, object]]:
    """``benchmark_names.aliases_to_search`` as it was written before: every lower-cased form of a registry
    benchmark in the pre-check, one ``in`` scan each, per pattern."""
    from flopmine.benchmarks import load_registry
    from flopmine.extract.rules import benchmark_names as names

    literal = {name: [f.lower() for f in {*b.aliases, b.name}] for name, b in load_registry().items()}
    low = None if names._FOLD_TRAPS.search(text) else text.lower()
    out = []
    for i, (name, rx) in enumerate(names._alias_patterns()):
        forms = literal.get(name) if i < len(literal) else names.EXTRA_ALIAS_STEMS.get(rx.pattern)
        ok = forms and all(ch.isascii() or ch.lower() == ch.upper() == ch for f in forms for ch in f)
        if low is None or not ok or any(s in low for s in forms):
            out.append((name, rx))
    return out


def _alias_forms() -> list[str]:
    from flopmine.benchmarks import load_registry

    return sorted({f for b in load_registry().values() for f in (*b.aliases, b.name)})


_ALIAS_TEXT = st.lists(st.one_of(st.sampled_from(_alias_forms()).flatmap(_cased),
                                 st.sampled_from(_alias_forms()).map(lambda f: f[1:-1]),
                                 st.sampled_from(["English-to-German", "En→Fr", "test-dev", "Hub5", "ſ", "İ", "K"]),
                                 st.text(max_size=6)), max_size=8).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(_ALIAS_TEXT)
def test_the_alias_pre_check_on_the_fewest_stems_picks_the_patterns_every_form_picks(text: str) -> None:
    """``aliases_to_search`` looks for the forms that hold no other form, each once a page: the same patterns,
    in the same order, as the pre-check on every form of every pattern."""
    from flopmine.extract.rules.benchmark_names import aliases_to_search

    assert list(aliases_to_search(text)) == _forms_aliases_to_search(text)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.sampled_from(_alias_forms()).flatmap(_cased), st.text(max_size=10)))
def test_a_dataset_name_is_known_by_one_set_look_up_as_by_the_walk_over_the_registry(text: str) -> None:
    """``tables._is_dataset_name`` looks the label up in a kept set of the registry's lower-cased forms instead of
    comparing it with each alias in turn: the same answer."""
    from flopmine.benchmarks import load_registry
    from flopmine.extract.tables import OTHER_DATASETS, TABLE_DATASETS, _is_dataset_name

    low = text.lower()
    walked = bool(OTHER_DATASETS.fullmatch(text) or TABLE_DATASETS.fullmatch(text)) or any(
        low == alias.lower() for b in load_registry().values() for alias in (b.name, *b.aliases))
    assert _is_dataset_name(text) == walked


_COORD = st.floats(min_value=0, max_value=600, allow_nan=False).map(lambda v: round(v * 4) / 4)
_WORDS = st.lists(st.tuples(_COORD, _COORD, _COORD, _COORD).map(
    lambda c: Word("w", min(c[0], c[2]), min(c[1], c[3]), max(c[0], c[2]), max(c[1], c[3]))), max_size=40)
_BOXES = st.lists(st.tuples(_COORD, _COORD, _COORD, _COORD).map(
    lambda c: (min(c[0], c[2]), min(c[1], c[3]), max(c[0], c[2]), max(c[1], c[3]))), max_size=3)


@settings(max_examples=300, deadline=None)
@given(_WORDS, _BOXES, st.lists(_COORD, min_size=1, max_size=3))
def test_the_grid_reader_s_word_filters_keep_the_words_the_any_expressions_kept(
        words: list[Word], boxes: list[BBox], starts: list[float]) -> None:
    """``grid._outside`` and ``grid._tops_within`` (loops) keep the words ``find_regions``' and ``find_captions``'
    ``any()`` expressions kept, in the same order, edges included (coordinates on a quarter-point grid)."""
    from flopmine.extract.grid import DEFAULT_CAPTION_REACH_DOWN, _outside, _tops_within

    padded = [(b[0] - 2.0, b[1] - 2.0, b[2] + 2.0, b[3] + 2.0) for b in boxes]
    rest = words if not padded else [w for w in words if not any(
        b[0] <= (w.x0 + w.x1) / 2 <= b[2] and b[1] <= (w.top + w.bottom) / 2 <= b[3] for b in padded)]
    assert list(_outside(words, padded)) == rest
    near = [w for w in words if any(t - 2 <= w.top <= t + DEFAULT_CAPTION_REACH_DOWN for t in starts)]
    assert _tops_within(words, [(t - 2, t + DEFAULT_CAPTION_REACH_DOWN) for t in starts]) == near


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["I", "AP", "#Params", "x"]), _COORD, _COORD, _COORD, _COORD).map(
    lambda c: Word(c[0], min(c[1], c[3]), min(c[2], c[4]), max(c[1], c[3]), max(c[2], c[4]))), max_size=40), _BOXES)
def test_the_grid_reader_s_written_out_word_tests_keep_what_the_per_word_calls_kept(
        words: list[Word], boxes: list[BBox]) -> None:
    """``grid.upright_words`` and ``grid._words_inside`` (a table page's every word; the tests written out in one
    comprehension) keep the words ``is_sideways`` and ``_inside`` called per word kept, in order."""
    from flopmine.extract.grid import _inside, _words_inside, is_sideways, upright_words

    assert upright_words(words) == [w for w in words if not is_sideways(w)]
    for box in boxes:
        assert _words_inside(words, box) == [w for w in words if _inside(w, box)]


_MODEL_NAME_AS_WRITTEN = (
    r"(?<![\w\-])(?:[A-Z][a-z]+[A-Z][A-Za-z]*|[A-Z]{2,}[a-z]*|[A-Z][a-z]+)(?:[\-]?(?:v?\d+[A-Za-z\d]*|[A-Z]\d*|"
    r"[A-Z][a-z]+|Base|Large|Huge|BASE|LARGE))*(?![\w])")


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["ResNet", "BERT", "Base", "LARGE", "v2", "-152", "B7", "é", "_", "ß"]),
                          st.text(alphabet="aAbBzZ09-_ .(", max_size=6)), max_size=12).map("".join))
def test_the_model_name_pattern_with_its_capital_first_finds_what_it_found_as_written(text: str) -> None:
    """``context.MODEL_NAME`` takes the capital its branches start with before its look-behind (so the scanner
    skips to capitals): the same matches, spans and order as the pattern as it was written."""
    import re

    from flopmine.extract.rules.context import MODEL_NAME

    assert [(m.span(), m.group(0)) for m in MODEL_NAME.finditer(text)] == \
        [(m.span(), m.group(0)) for m in re.finditer(_MODEL_NAME_AS_WRITTEN, text)]


@settings(max_examples=300, deadline=None)
@given(_ALIAS_TEXT)
def test_the_alias_patterns_behind_a_first_character_lookahead_match_what_they_matched_without_it(text: str) -> None:
    """Each registry alias pattern runs behind a lookahead for its forms' first characters (with its own flags:
    case-folding traps such as "ſ" and "K" included): the same matches as the pattern without it."""
    import re

    from flopmine.benchmarks import alias_pattern, load_registry
    from flopmine.extract.rules.benchmark_names import _alias_patterns

    registry = load_registry()
    for name, rx in _alias_patterns()[:len(registry)]:
        b = registry[name]
        plain = re.compile(alias_pattern(sorted({*b.aliases, b.name}, key=len, reverse=True)), rx.flags)
        assert rx.pattern.startswith("(?=[")
        assert [m.span() for m in rx.finditer(text)] == [m.span() for m in plain.finditer(text)]
