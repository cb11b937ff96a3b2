"""The demo's generated corpus: deterministic, readable, broken where it should be, and meaningful."""

from __future__ import annotations

import csv
import math
import re
from functools import cache
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest

from flopmine.benchmarks import load_registry
from flopmine.demo.corpus import (
    DECISION_COLUMNS,
    KINDS,
    DemoCorpus,
    build_corpus,
    decision_rows,
    decisions_csv_text,
    main,
)
from flopmine.demo.samplepdf import Heading, Paragraph, Table, Title, image_only_pdf, plain_text, render_pdf
from flopmine.ids import parse_id
from flopmine.types import FIELDS, Fact

REPO = Path(__file__).resolve().parent.parent
CATALOG = REPO / "flopmine" / "data" / "hardware.csv"
DECISIONS = REPO / "flopmine" / "demo" / "decisions.csv"


@pytest.fixture(scope="module")
def corpus() -> DemoCorpus:
    return build_corpus()


@cache
def _page_texts(body: bytes) -> tuple[str, ...]:
    doc = pdfium.PdfDocument(body)
    try:
        return tuple(" ".join(page.get_textpage().get_text_range().split()) for page in doc)
    finally:
        doc.close()


# ---------------------------------------------------------------- an independent checker

_WORDS = {1: ("one", "a single"), 2: ("two",), 3: ("three",), 4: ("four",), 5: ("five",), 6: ("six",),
          7: ("seven",), 8: ("eight",), 9: ("nine",), 10: ("ten",), 11: ("eleven",), 12: ("twelve",),
          13: ("thirteen",), 14: ("fourteen",), 15: ("fifteen",), 16: ("sixteen",), 17: ("seventeen",),
          18: ("eighteen",), 19: ("nineteen",), 20: ("twenty",)}


def _catalog() -> dict[str, tuple[list[str], float | None]]:
    """Catalog name → (aliases incl. the name, FP32 GFLOPS or None)."""
    if not CATALOG.exists():
        return {}
    out = {}
    with CATALOG.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            aliases = [row["name"], *[a for a in row["aliases"].split("|") if a]]
            out[row["name"]] = (aliases, float(row["fp32_gflops"]) if row["fp32_gflops"] else None)
    return out


def _num_forms(x: float) -> set[str]:
    """Ways to print exactly ``x`` (no rounding): 84.0 → 84, 84.0, 84.00."""
    forms = {f for f in (f"{x:g}", f"{x:.1f}", f"{x:.2f}", f"{x:.3f}") if abs(float(f) - x) < 1e-9 * max(1, x)}
    if x == int(x):
        forms |= {str(int(x)), f"{int(x):,}"}
    return forms


def printed_forms(fact: Fact) -> list[str]:
    """Regexes, any of which a page that states ``fact`` must contain (built from the value alone)."""
    v = fact.value
    if fact.field == "hardware":
        names = _catalog().get(str(v), ([str(v)], None))[0]
        return [re.escape(n) for n in names]
    assert isinstance(v, float)

    def nums(x: float) -> list[str]:
        return [r"(?<![\d.,])" + re.escape(f) + r"(?![\d])" for f in _num_forms(x)]

    if fact.field in ("flops", "mult_adds", "params"):
        out = []
        for scale, suffix in ((1e9, r"\s*(B|G|billion)"), (1e6, r"\s*(M|million)"), (1e9, ""), (1e6, "")):
            out += [n + suffix for n in nums(round(v / scale, 4))]
        e = math.floor(math.log10(v))
        out.append(re.escape(f"{v / 10**e:.1f} × 10") + f"{e}")  # flattened superscript: 3.8 × 109
        out += nums(v)
        return out
    if fact.field == "training_time_hours":
        hh, mm = int(v), round((v - int(v)) * 60)
        out = [rf"\b{hh}h {mm}m\b", *(n + r"\s*hours?" for n in nums(v))]
        for unit, per in (("days?", 24), ("weeks?", 168)):
            q = v / per
            if abs(q - round(q * 2) / 2) < 1e-6:
                out += [n + r"\s*" + unit for n in nums(q)]
                out += [rf"\b{w}\s+{unit}" for w in _WORDS.get(int(q), ()) if q == int(q)]
        return out
    if fact.field == "hardware_count":
        return nums(v) + [rf"\b{w}\b" for w in (_WORDS.get(int(v), ()) if v == int(v) else ())]
    if fact.field == "training_steps":
        return nums(v) + [n + r"\s*k\b" for n in nums(v / 1000)]
    return nums(v)


def _states(text: str, fact: Fact) -> bool:
    return any(re.search(p, text) for p in printed_forms(fact))


# ---------------------------------------------------------------- tests


def test_deterministic() -> None:
    a = build_corpus()
    b = build_corpus()
    assert [e.body for e in a.entries] == [e.body for e in b.entries]
    assert [e.truth for e in a.entries] == [e.truth for e in b.entries]
    assert [e.paper for e in a.entries] == [e.paper for e in b.entries]
    assert build_corpus(seed=7, n_papers=6).entries[0].body != build_corpus(n_papers=6).entries[0].body


def test_counts(corpus: DemoCorpus) -> None:
    ok = corpus.ok_entries()
    ids = {e.paper.arxiv_id for e in ok}
    assert len(ids) >= 30
    benches = {b for e in ok for b in e.paper.benchmarks}
    assert len(benches) >= 4 and benches <= set(load_registry())
    for kind in KINDS[1:]:
        assert len(corpus.by_kind(kind)) == 1, kind
    v2 = [e for e in corpus.entries if e.paper.version == 2]
    assert len(v2) == 1
    v1 = [e for e in ok if e.paper.arxiv_id == v2[0].paper.arxiv_id and e.paper.version == 1]
    assert len(v1) == 1 and v1[0].body != v2[0].body
    assert {f.field: f.value for f in v1[0].truth} != {f.field: f.value for f in v2[0].truth}
    versioned = [e.paper.versioned_id for e in corpus.entries]
    assert len(versioned) == len(set(versioned))


def test_ids_and_metadata(corpus: DemoCorpus) -> None:
    registry = load_registry()
    years = set()
    old = [e for e in corpus.entries if parse_id(e.paper.arxiv_id).is_old_style]
    assert len(old) == 1 and old[0].kind == "ok"
    for e in corpus.entries:
        p = e.paper
        year, month = parse_id(p.arxiv_id).year_month
        assert p.published.startswith(f"{year:04d}-{month:02d}-"), p
        assert p.updated >= p.published
        assert p.primary_category in p.categories
        assert set(p.categories) & set(registry[p.benchmarks[0]].categories)
        assert e.filename == parse_id(p.versioned_id).filename() and "/" not in e.filename
        years.add(year)
    assert min(y for y in years if y >= 2010) == 2012 and max(years) == 2020


def _term_matches(field: str, term: str, title: str, abstract: str) -> bool:
    text = {"ti": title, "abs": abstract}[field]
    return re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", text, re.IGNORECASE) is not None


def query_matches(query: str, title: str, abstract: str) -> bool:
    """Evaluate an arXiv query's ti:/abs: terms with AND/OR/parentheses against title and abstract."""
    tokens = re.findall(r'\(|\)|AND|OR|\w+:"[^"]*"|\w+:[^\s()]+', query)
    pos = 0

    def expr() -> bool:
        nonlocal pos
        value = term()
        while pos < len(tokens) and tokens[pos] in ("AND", "OR"):
            op = tokens[pos]
            pos += 1
            rhs = term()
            value = (value and rhs) if op == "AND" else (value or rhs)
        return value

    def term() -> bool:
        nonlocal pos
        tok = tokens[pos]
        pos += 1
        if tok == "(":
            value = expr()
            assert tokens[pos] == ")"
            pos += 1
            return value
        field, _, text = tok.partition(":")
        return _term_matches(field, text.strip('"'), title, abstract)

    return expr()


def test_titles_and_abstracts_match_their_benchmark_query(corpus: DemoCorpus) -> None:
    registry = load_registry()
    for e in corpus.entries:
        p = e.paper
        bench = registry[p.benchmarks[0]]
        assert query_matches(bench.query, p.title, p.abstract), (p.arxiv_id, bench.name, p.abstract)
        assert bench.name in ("wmt14_en_de", "coco") or query_matches(bench.query, "", p.abstract)
    # and the evaluator is not vacuous: an ImageNet paper does not match the SQuAD query
    img = next(e.paper for e in corpus.entries if e.paper.benchmarks == ("imagenet",))
    assert not query_matches(registry["squad11"].query, img.title, img.abstract)


def test_ok_pdfs_state_every_true_fact_on_its_page(corpus: DemoCorpus) -> None:
    fields_seen: set[str] = set()
    for e in corpus.ok_entries():
        assert e.content_type == "application/pdf" and e.body.startswith(b"%PDF-")
        pages = _page_texts(e.body)
        assert 2 <= len(pages) <= 4, (e.paper.arxiv_id, len(pages))
        assert e.truth, e.paper.arxiv_id
        for f in e.truth:
            assert f.decision == "accept" and f.reviewer == "demo-reviewer"
            assert f.arxiv_id == e.paper.arxiv_id and f.version == e.paper.version
            assert f.field in FIELDS and f.model
            if FIELDS[f.field].kind == "metric":
                assert f.benchmark == e.paper.benchmarks[0]
            else:
                assert f.benchmark == ""
            assert 1 <= f.page <= len(pages)
            assert _states(pages[f.page - 1], f), (e.paper.versioned_id, f.field, f.value, f.page, f.note)
            fields_seen.add(f.field)
    assert {"flops", "mult_adds", "params", "hardware", "hardware_count", "training_time_hours", "epochs",
            "training_steps", "top1_acc", "top1_err", "err", "box_ap", "ap50", "bleu", "f1", "em"} <= fields_seen


def test_checker_is_not_vacuous(corpus: DemoCorpus) -> None:
    e = corpus.ok_entries()[3]
    pages = _page_texts(e.body)
    for f in e.truth:
        wrong = Fact(f.arxiv_id, f.version, f.field, "Imaginary TPU v9" if f.field == "hardware"
                     else float(f.value) * 1.37 + 0.11)
        assert not _states(" ".join(pages), wrong), (f.field, wrong.value)


def test_phrasings_vary(corpus: DemoCorpus) -> None:
    notes = [f.note for e in corpus.ok_entries() for f in e.truth]
    joined = "\n".join(notes)
    for pattern in (r"× 10\^\d", r"\dB FLOPs", r"GFLOPs", r"billion multiply-adds", r"[MG] Mult-Adds",
                    r"FLOPs \(G\) column", r"\dM parameters", r"\d,\d{3},\d{3} parameters", r"Params \(M\)",
                    r"\d+h \d+m", r"about \w+ days", r"for \d+ hours", r"took \w+ weeks?", r"\d days",
                    r"a single ", r"TPU v3 cores", r"\dk iterations", r"\d,\d{3} steps"):
        assert re.search(pattern, joined), pattern


def test_decoys_are_present(corpus: DemoCorpus) -> None:
    texts = [" ".join(_page_texts(e.body)) for e in corpus.ok_entries()]
    assert sum("divided by 10 at epoch" in t for t in texts) >= 10
    assert sum("Ablation" in t for t in texts) >= 10
    assert sum(bool(re.search(r"reports .* \d", t)) for t in texts) >= 30  # baselines in related work
    assert all("(ours)" in t for t in texts)


def test_broken_entries_are_broken(corpus: DemoCorpus) -> None:
    for kind in ("corrupt", "truncated", "encrypted"):
        (e,) = corpus.by_kind(kind)
        assert e.body.startswith(b"%PDF-") and not e.truth
        with pytest.raises(pdfium.PdfiumError):
            pdfium.PdfDocument(e.body)
    (e,) = corpus.by_kind("textless")
    pages = _page_texts(e.body)
    assert len(pages) >= 1 and all(not t.strip() for t in pages)
    (e,) = corpus.by_kind("html")
    assert e.content_type.startswith("text/html") and not e.body.startswith(b"%PDF")
    assert b"<html" in e.body


def test_scaling_relation_holds_in_truth(corpus: DemoCorpus) -> None:
    """log10(error) falls with log10(compute): per-pass FLOPs for vision, hardware burden for all."""
    registry = load_registry()
    gflops = {name: g for name, (_, g) in _catalog().items()}
    by_bench: dict[str, list[tuple[float | None, float | None, float]]] = {}
    for e in corpus.ok_entries():
        if e.paper.version != 1:
            continue
        facts = {f.field: f.value for f in e.truth if f.model and not f.model.endswith("-Small")}
        bench = registry[e.paper.benchmarks[0]]
        metric = bench.primary_metric
        if metric in facts:
            error = float(facts[metric])
        else:  # accuracy printed instead of error
            alt = {"top1_err": "top1_acc", "err": "acc"}[metric]
            error = 100.0 - float(facts[alt])
        error = error if metric.endswith("err") else 100.0 - error
        per_pass = facts.get("flops", facts.get("mult_adds"))
        burden = None
        if {"hardware", "hardware_count", "training_time_hours"} <= set(facts) and gflops.get(facts["hardware"]):
            burden = float(facts["hardware_count"]) * gflops[facts["hardware"]] * float(facts["training_time_hours"])
        by_bench.setdefault(bench.name, []).append((per_pass, burden, error))
    assert gflops, "hardware catalog missing"
    n_burden = sum(b is not None for rows in by_bench.values() for _, b, _ in rows)
    assert n_burden >= 0.7 * sum(len(r) for r in by_bench.values())
    for name, rows in by_bench.items():
        for idx in (0, 1):
            pts = [(math.log10(r[idx]), math.log10(r[2])) for r in rows if r[idx]]
            if len(pts) < 4:
                continue
            x, y = np.array(pts).T
            slope = np.polyfit(x, y, 1)[0]
            assert slope < 0, (name, "per_pass" if idx == 0 else "burden", slope)
    img = [(math.log10(p), math.log10(err)) for p, _, err in by_bench["imagenet"] if p]
    x, y = np.array(img).T
    k = -1 / np.polyfit(x, y, 1)[0]
    assert 5 < k < 15, k  # roughly the seed paper's error ∝ compute^(−1/9)


def test_truth_hardware_is_in_the_catalog(corpus: DemoCorpus) -> None:
    catalog = _catalog()
    if not catalog:
        pytest.skip("hardware catalog not present")
    for f in corpus.truth():
        if f.field == "hardware":
            assert f.value in catalog, f.value


def test_committed_decisions_file_matches_generator(corpus: DemoCorpus) -> None:
    assert DECISIONS.read_text(encoding="utf-8") == decisions_csv_text(corpus), (
        "flopmine/demo/decisions.csv is stale: run "
        "python -m flopmine.demo.corpus --write-decisions flopmine/demo/decisions.csv")
    with DECISIONS.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == DECISION_COLUMNS
    assert len(rows) == len(corpus.truth()) == len(decision_rows(corpus))
    for row, fact in zip(rows, corpus.truth(), strict=True):
        parsed = Fact.from_row({**row, "decision": "accept"})
        assert parsed.field == fact.field and parsed.page == fact.page
        if isinstance(fact.value, float):
            assert parsed.value == pytest.approx(fact.value, rel=1e-5)
        else:
            assert parsed.value == fact.value


def test_cli_writes_decisions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d.csv"
    assert main(["--write-decisions", str(out), "--papers", "6"]) == 0
    assert out.read_text(encoding="utf-8") == decisions_csv_text(build_corpus(n_papers=6))
    assert "wrote" in capsys.readouterr().out


def test_small_corpus_still_has_every_kind() -> None:
    small = build_corpus(n_papers=6)
    assert {e.kind for e in small.entries} == set(KINDS)
    assert len({b for e in small.ok_entries() for b in e.paper.benchmarks}) == 6


# ---------------------------------------------------------------- samplepdf


def test_samplepdf_marks_superscripts_tables_and_columns() -> None:
    blocks = [Title("T", "A. B"), Heading("1 Intro"),
              Paragraph("filler " * 1500 + "It needs [[f|3.8 × 10^{9} FLOPs]] per image."),
              Table("Table 1: r.", ("Model", "FLOPs (G)"), (("Base", "4.1"), ("Ours (ours)", "[[t|2.2]]")),
                    frozenset({1}))]
    one = render_pdf(blocks, columns=1)
    two = render_pdf(blocks, columns=2)
    assert one.pages >= 2 and two.pages <= one.pages and two.body != one.body
    text = _page_texts(one.body)
    page = one.marks["f"]
    assert "3.8 × 109 FLOPs" in text[page - 1]  # superscript flattened like real papers
    assert "Ours (ours) 2.2" in text[one.marks["t"] - 1]
    assert plain_text("a [[k|b ^{2}]] **c**") == "a b ^2 c"
    enc = render_pdf(blocks, password="x").body
    with pytest.raises(pdfium.PdfiumError):
        pdfium.PdfDocument(enc)
    assert pdfium.PdfDocument(enc, password="x")[0].get_textpage().get_text_range()
    scan = image_only_pdf(3, pages=1)
    assert _page_texts(scan) == ("",) and scan == image_only_pdf(3, pages=1)
    with pytest.raises(ValueError):
        render_pdf(blocks, columns=3)


def test_identical_across_processes(corpus: DemoCorpus) -> None:
    """String seeds, not hash(): another interpreter with another PYTHONHASHSEED builds the same bytes."""
    import hashlib
    import os
    import subprocess
    import sys

    code = ("import hashlib; from flopmine.demo.corpus import build_corpus; "
            "print(hashlib.sha256(b''.join(e.body for e in build_corpus().entries)).hexdigest())")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=REPO, timeout=60)
    assert out.stdout.strip() == hashlib.sha256(b"".join(e.body for e in corpus.entries)).hexdigest()
