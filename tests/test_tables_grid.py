"""Tables read as grids from geometry (extract.grid) and their cells as facts (extract.tables.grid_facts).

Synthetic word boxes test the geometry without a PDF; reportlab PDFs drawn like LaTeX booktabs tables
(horizontal rules only) test the whole path from PDF to candidates; the corpus tests use ``shared_dir``.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flopmine.extract.grid import (
    Rule,
    Word,
    build_grid,
    find_captions,
    group_lines,
    is_numeric,
    phrases,
    read_grids,
    words_from_chars,
)
from flopmine.extract.tables import _assumed_scale, grid_facts, header_field

CHAR_W = 4.5  # width of one character in the synthetic layouts
LINE = 11.0  # row pitch


def _row(y: float, cells: list[tuple[float, str]], *, right: bool = False) -> list[Word]:
    """Words of one table line: each cell's text starts at its x (ends there when ``right``)."""
    out = []
    for x, text in cells:
        width = CHAR_W * len(text)
        x0 = x - width if right else x
        for k, part in enumerate(text.split(" ")):
            w0 = x0 + CHAR_W * len(" ".join(text.split(" ")[:k])) + (CHAR_W if k else 0)
            out.append(Word(part, w0, y, w0 + CHAR_W * len(part), y + 7.0))
    return out


def _facts(grid, **kw):  # noqa: ANN001, ANN202
    return {(f.model, f.field): f.value for f in grid_facts(grid, **kw)}


# ---------------------------------------------------------------- geometry on synthetic word boxes


def test_booktabs_grid_columns_rows_and_header() -> None:
    """Rules only horizontal; right-aligned values of different widths line up as one column."""
    words = _row(100, [(60, "Model"), (200, "Type"), (260, "#Parameters"), (330, "#FLOPS"), (390, "Top-1 (%)")])
    words += _row(115, [(60, "MobileNetV2 [20]"), (200, "manual"), (300, "3.4M"), (360, "300M"), (420, "72.0")],
                  right=False)
    words += _row(126, [(60, "MixNet-L"), (200, "auto"), (300, "7.3M"), (360, "565M"), (420, "78.9")])
    rules = [Rule(55, 95, 460), Rule(55, 110, 460), Rule(55, 140, 460)]
    grids = read_grids(words, rules, field_of=header_field)
    assert len(grids) == 1
    g = grids[0]
    assert g.ruled and [r.label for r in g.rows] == ["MobileNetV2 [20]", "MixNet-L"]
    assert [g.header(i) for i in range(len(g.headers))] == ["Type", "#Parameters", "#FLOPS", "Top-1 (%)"]
    facts = _facts(g)
    assert facts[("MixNet-L", "params")] == pytest.approx(7.3e6)
    assert facts[("MixNet-L", "flops")] == pytest.approx(565e6)
    assert facts[("MixNet-L", "top1_acc")] == 78.9


def test_multi_level_header_path_and_scale_from_header() -> None:
    """A spanning "top-1 err (%)" over "224×" and "320×": each sub-column's header path names the field."""
    words = _row(100, [(150, "top-1 err (%)"), (250, "#P"), (300, "GFLOPs")])
    words += _row(110, [(140, "224×"), (190, "320×")])
    words += _row(125, [(60, "SENet-101 [12]"), (140, "20.58"), (190, "18.61"), (250, "49.2M"), (300, "8.00")])
    words += _row(136, [(60, "SKNet-101 (ours)"), (140, "20.19"), (190, "18.40"), (250, "48.9M"), (300, "8.46")])
    grid = build_grid(words, (50, 95, 340, 145), field_of=header_field)
    assert grid is not None
    assert grid.headers[0] == ("top-1 err (%)", "224×") and grid.headers[1] == ("top-1 err (%)", "320×")
    facts = grid_facts(grid)
    ours = [(f.model, f.field, f.value) for f in facts if f.model.startswith("SKNet-101 (ours)")]
    # each error under its input size (tests/test_grid_settings.py), the size-free columns under the bare name
    assert ours == [("SKNet-101 (ours) (224×)", "top1_err", 20.19), ("SKNet-101 (ours) (320×)", "top1_err", 18.40),
                    ("SKNet-101 (ours)", "params", 48.9e6), ("SKNet-101 (ours)", "flops", pytest.approx(8.46e9))]
    ev = next(f.evidence for f in facts if f.model.startswith("SKNet-101 (ours)"))
    assert ev.startswith("SKNet-101 (ours) 20.19 18.40 48.9M 8.46 [") and "#P GFLOPs" in ev


def test_transposed_table_models_are_columns() -> None:
    """Row labels that name quantities under column headers that do not: the models are the columns."""
    words = _row(100, [(60, "Layer"), (200, "0.5×"), (250, "1×"), (300, "1.5×"), (350, "2×")])
    words += _row(115, [(60, "FLOPs"), (200, "41M"), (250, "146M"), (300, "299M"), (350, "591M")])
    words += _row(126, [(60, "# of Weights"), (200, "1.4M"), (250, "2.3M"), (300, "3.5M"), (350, "7.4M")])
    grid = build_grid(words, (50, 95, 400, 140), field_of=header_field)
    assert grid is not None and grid.transposed
    facts = _facts(grid)
    assert facts[("2×", "params")] == pytest.approx(7.4e6) and facts[("0.5×", "flops")] == pytest.approx(41e6)


def test_multi_number_cells_and_dashes() -> None:
    """"70.3(2.9)" keeps the value, "79.0 ± 0.17" is one cell, "93.17% / 72.56%" under "Top-1 / Top-5" gives
    both, a dash is not reported."""
    words = _row(100, [(60, "Network"), (150, "#Param"), (220, "Top-1 err."), (290, "Top-1 / Top-5")])
    words += _row(115, [(60, "DY-MobileNetV2"), (150, "11.1M"), (220, "75.2(3.2)"), (290, "93.17% / 72.56%")])
    words += _row(126, [(60, "Baseline"), (150, "—"), (220, "79.0 ± 0.17"), (290, "90.1% / 70.2%")])
    grid = build_grid(words, (50, 95, 400, 140), field_of=header_field)
    assert grid is not None
    assert [c.text if c else None for c in grid.rows[1].cells] == ["—", "79.0 ± 0.17", "90.1% / 70.2%"]
    facts = _facts(grid)
    assert facts[("DY-MobileNetV2", "top1_err")] == 75.2 and facts[("DY-MobileNetV2", "params")] == 11.1e6
    assert facts[("DY-MobileNetV2", "top1_acc")] == 93.17 and facts[("DY-MobileNetV2", "top5_acc")] == 72.56
    assert ("Baseline", "params") not in facts and facts[("Baseline", "top1_err")] == 79.0


def test_group_rows_carried_down_and_wrapped_labels_joined() -> None:
    """A heading row over its variants names them; a label line ending with "," continues below."""
    words = _row(100, [(60, "Method"), (200, "AP"), (250, "AP50")])
    words += _row(115, [(60, "ResNet-50 backbone:")])
    words += _row(126, [(60, "+ ours"), (200, "40.8"), (250, "61.1")])
    words += _row(137, [(60, "Mask R-CNN,"), (200, "39.2"), (250, "60.0")])
    words += _row(148, [(60, "long schedule")])
    grid = build_grid(words, (50, 95, 300, 160), field_of=header_field)
    assert grid is not None
    assert [(r.label, r.group) for r in grid.rows] == [("+ ours", "ResNet-50 backbone:"),
                                                       ("Mask R-CNN, long schedule", "ResNet-50 backbone:")]
    models = {f.model for f in grid_facts(grid)}
    assert "ResNet-50 backbone: + ours" in models and "Mask R-CNN, long schedule" in models


def test_scale_from_headers_and_cells() -> None:
    """"Million Mult-Adds" over bare numbers, "Madds" over bare hundreds (millions), "|θ|" with "882K",
    "#parameter" with "1,248,424", "4.1×109" with its exponent flattened."""
    words = _row(100, [(60, "Model"), (150, "Million Mult-Adds"), (240, "Madds"), (290, "|θ|"), (340, "#parameter"),
                       (420, "FLOPs")])
    words += _row(115, [(60, "A-Net"), (150, "569"), (240, "219"), (290, "882K"), (340, "1,248,424"), (420, "4.1×109")])
    words += _row(126, [(60, "B-Net"), (150, "325"), (240, "66"), (290, "1.2M"), (340, "421,098"), (420, "11.3×109")])
    grid = build_grid(words, (50, 95, 480, 140), field_of=header_field)
    assert grid is not None
    got = [(f.header, f.value) for f in grid_facts(grid) if f.model == "A-Net"]
    assert got == [("Million Mult-Adds", 569e6), ("Madds", 219e6), ("|θ|", 882e3), ("#parameter", 1248424.0),
                   ("FLOPs", pytest.approx(4.1e9))]


@pytest.mark.parametrize("header,scale", [("MAdd (B)", 1e9), ("Mult-Add (M)", 1e6), ("multiply-add", 1.0),
                                          ("MAdds (B)", 1e9)])
def test_multiply_add_headers_in_the_singular(header: str, scale: float) -> None:
    """"MAdd (B)" names multiply-adds as "MAdds (B)" does; "MAC" (also memory access cost) names nothing."""
    got = header_field(header)
    assert got is not None and (got.field, got.scale) == ("mult_adds", scale)
    assert header_field("MAC") is None


def test_unruled_block_found_under_its_header() -> None:
    """No rules: lines of values under a header line, next to a caption, in one text column."""
    words = _row(80, [(60, "Table 2: Error rates on ImageNet.")])
    words += _row(95, [(60, "method"), (200, "top-1 err."), (260, "top-5 err.")])
    words += _row(108, [(60, "VGG [41]"), (200, "24.4"), (260, "7.1")])
    words += _row(119, [(60, "ResNet-152"), (200, "19.38"), (260, "4.49")])
    words += _row(150, [(60, "We", ), (75, "evaluate"), (120, "the"), (140, "models"), (180, "on"), (200, "the"),
                        (220, "validation"), (270, "set"), (290, "of"), (300, "50k"), (330, "images.")])
    caps = find_captions(words)
    assert caps and caps[0][1] == "Table 2: Error rates on ImageNet."
    grids = read_grids(words, (), caps, field_of=header_field)
    assert len(grids) == 1 and grids[0].caption.startswith("Table 2")
    facts = _facts(grids[0])
    assert facts == {("VGG [41]", "top1_err"): 24.4, ("VGG [41]", "top5_err"): 7.1,
                     ("ResNet-152", "top1_err"): 19.38, ("ResNet-152", "top5_err"): 4.49}


def test_words_from_char_boxes_split_at_gaps_and_lines() -> None:
    boxes = [(0, 0, 5, 8), (5, 0, 10, 8), (30, 0, 35, 8), (0, 20, 5, 28)]
    assert [w.text for w in words_from_chars("abcd", boxes)] == ["ab", "c", "d"]
    assert [[w.text for w in ln] for ln in group_lines(words_from_chars("abcd", boxes))] == [["ab", "c"], ["d"]]


# ---------------------------------------------------------------- the cell parser (property-based)


@given(st.floats(min_value=0.01, max_value=9999, allow_nan=False).map(lambda v: round(v, 2)),
       st.sampled_from(["", "M", "K", "G", "%"]), st.sampled_from(["", "†", "*"]))
def test_numeric_words_are_values(value: float, suffix: str, mark: str) -> None:
    """A number as tables print it ("7.3M", "95.08‡", "1,248") is a value; a width multiplier is not."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".") + suffix + mark
    assert is_numeric(text)
    assert not is_numeric(f"{value}×")


@given(st.floats(min_value=0.1, max_value=99.9, allow_nan=False).map(lambda v: round(v, 1)),
       st.floats(min_value=0.01, max_value=9.9, allow_nan=False).map(lambda v: round(v, 2)),
       st.sampled_from(["{v}({d})", "{v} ({d})", "{v}±{d}", "{v} ± {d}", "{v} (+{d})", "{v}%"]))
def test_multi_number_cell_keeps_its_value(value: float, delta: float, form: str) -> None:
    """Whatever the spread or delta printed next to it, the cell's value is the first number."""
    text = form.format(v=value, d=delta)
    words = _row(100, [(60, "Model"), (200, "Top-1 Acc.")]) + _row(115, [(60, "A-Net"), (200, text)]) \
        + _row(126, [(60, "B-Net"), (200, "50.0")])
    grid = build_grid(words, (50, 95, 300, 140), field_of=header_field)
    assert grid is not None and [c.text if c else None for c in grid.rows[0].cells] == [text]
    assert _facts(grid)[("A-Net", "top1_acc")] == value


@given(st.lists(st.floats(min_value=0.1, max_value=5000), min_size=1, max_size=8))
def test_assumed_scale_is_one_per_column(values: list[float]) -> None:
    """A FLOPs column without a unit is in millions when it holds hundreds, else in billions."""
    scale = _assumed_scale("flops", values)
    assert scale == (1e6 if max(values) >= 100 else 1e9)


def test_phrases_keep_a_value_with_its_unit() -> None:
    ws = _row(0, [(0, "ResNet-50 (ours)"), (90, "25.6 M"), (130, "4.1")])
    assert [" ".join(w.text for w in p) for p in phrases(ws)] == ["ResNet-50 (ours)", "25.6 M", "4.1"]


# ---------------------------------------------------------------- reportlab PDFs: booktabs tables


def _booktabs_pdf(path: Path, header_rows: list[list[tuple[float, str]]], rows: list[list[tuple[float, str]]],
                  caption: str, bold_row: int = -1) -> None:
    """A one-page PDF with a body paragraph and a booktabs-style table (horizontal rules only)."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, invariant=1)
    h = letter[1]
    c.setFont("Times-Roman", 10)
    c.drawString(72, h - 72, "We compare our networks with prior work on ImageNet in Table 1 below.")
    c.drawString(72, h - 100, caption)
    y = h - 120
    c.setLineWidth(0.8)
    c.line(72, y + 3, 540, y + 3)  # \toprule
    for hr in header_rows:
        y -= 12
        for x, text in hr:
            c.drawString(x, y, text)
    c.setLineWidth(0.5)
    c.line(72, y - 4, 540, y - 4)  # \midrule
    y -= 4
    for i, row in enumerate(rows):
        y -= 12
        for k, (x, text) in enumerate(row):
            c.setFont("Times-Bold" if i == bold_row and k > 0 else "Times-Roman", 10)
            c.drawRightString(x, y, text) if k else c.drawString(x, y, text)
    c.setLineWidth(0.8)
    c.line(72, y - 4, 540, y - 4)  # \bottomrule
    c.setFont("Times-Roman", 10)
    c.drawString(72, y - 40, "The results show that our model is the most accurate at a similar cost.")
    c.showPage()
    c.save()
    path.write_bytes(buf.getvalue())


def _table_candidates(path: Path):  # noqa: ANN202
    from flopmine.extract.pdf import read_document
    from flopmine.extract.rules.paper import candidates

    doc = read_document(path, arxiv_id="2101.00001", version=1)
    return [c for c in candidates(doc) if c.rule == "table.geometry"]


def test_booktabs_pdf_cells_become_candidates_with_their_model(tmp_path: Path) -> None:
    pdf = tmp_path / "2101.00001v1.pdf"
    _booktabs_pdf(pdf, [[(76, "Model"), (230, "Top-1 (%)"), (300, "Params"), (370, "FLOPs")]],
                  [[(76, "ResNet-50 [12]"), (270, "76.0"), (330, "25.6M"), (400, "4.1G")],
                   [(76, "EffNet-B3 (ours)"), (270, "81.6"), (330, "12M"), (400, "1.8G")],
                   [(76, "EffNet-B7 (ours)"), (270, "84.4"), (330, "66M"), (400, "37G")]],
                  "Table 1: ImageNet results.")
    cands = _table_candidates(pdf)
    got = {(c.model, c.field, c.value) for c in cands}
    assert ("EffNet-B7 (ours)", "params", 66e6) in got and ("EffNet-B7 (ours)", "flops", 37e9) in got
    assert ("ResNet-50", "top1_acc", 76.0) in got  # the citation mark stripped from the model name
    b7 = next(c for c in cands if c.model == "EffNet-B7 (ours)" and c.field == "params")
    assert b7.snippet == "EffNet-B7 (ours) 84.4 66M 37G [Model Top-1 (%) Params FLOPs]"
    assert b7.benchmark == "" and b7.page == 1 and b7.bbox is not None


def test_booktabs_pdf_two_level_header_and_header_scale(tmp_path: Path) -> None:
    pdf = tmp_path / "2101.00001v1.pdf"
    _booktabs_pdf(pdf, [[(236, "top-1 err (%)"), (330, "Params (M)"), (400, "MFLOPs")],  # centred over 224, 320
                        [(225, "224"), (275, "320")]],
                  [[(76, "Base-Net [3]"), (245, "22.2"), (295, "21.0"), (360, "25.0"), (430, "4240")],
                   [(76, "Our-Net"), (245, "20.8"), (295, "19.3"), (360, "27.5"), (430, "4470")]],
                  "Table 1: ImageNet validation error.")
    got = {(c.model, c.field, c.value) for c in _table_candidates(pdf)}
    assert {("Our-Net (224)", "top1_err", 20.8), ("Our-Net (320)", "top1_err", 19.3), ("Our-Net", "params", 27.5e6),
            ("Our-Net", "flops", 4470e6)} <= got


# ---------------------------------------------------------------- the corpus


@pytest.mark.parametrize(("arxiv_id", "model", "field", "value"), [
    ("1907.09595", "MixNet-L", "params", 7.3e6),   # "#Parameters" column, "7.3M" in the cell
    ("1907.09595", "MixNet-L", "flops", 565e6),
    ("1903.06586", "SKNet-101 (ours)", "flops", 8.46e9),  # "GFLOPs" under a two-level header
    ("1903.06586", "SKNet-101 (ours)", "params", 48.9e6),  # "#P"
    ("1704.04861", "1.0 MobileNet-224", "mult_adds", 569e6),  # "Million Mult-Adds" over bare numbers
])
def test_corpus_table_facts_found_with_their_model(shared_dir: Path, arxiv_id: str, model: str, field: str,
                                                   value: float) -> None:
    from flopmine.extract.pdf import read_document
    from flopmine.extract.rules.paper import collect

    path = shared_dir / "corpus" / "pdfs" / f"{arxiv_id}.pdf"
    if not path.exists():
        pytest.skip(f"{path} absent")
    found = collect(read_document(path, arxiv_id=arxiv_id, version=1))
    hits = [c for c, _, _ in found if c.rule == "table.geometry" and c.field == field
            and c.value == pytest.approx(value) and c.model == model]
    assert hits, f"{model} {field} {value} not read from the grid"


def test_grid_evidence_tags_are_known_to_the_ranker(tmp_path: Path) -> None:
    """Every tag a grid cell's evidence carries is one the ranker declares (``ranking.TAGS``)."""
    from flopmine.extract.pdf import read_document
    from flopmine.extract.ranking import TAGS
    from flopmine.extract.rules.paper import collect

    pdf = tmp_path / "2101.00001v1.pdf"
    _booktabs_pdf(pdf, [[(76, "Model"), (230, "Top-1 (%)"), (300, "Params (M)"), (370, "FLOPs")]],
                  [[(76, "ResNet-50 [12]"), (270, "76.0"), (330, "25.6"), (400, "4.1G")],
                   [(76, "ResNet-101 [12]"), (270, "77.4"), (330, "44.5"), (400, "7.8G")],
                   [(76, "Ours-L"), (270, "79.8"), (330, "30.2"), (400, "3.9G")]],
                  "Table 1: ImageNet results.", bold_row=2)
    found = [(c, ev) for c, _, ev in collect(read_document(pdf, arxiv_id="2101.00001", version=1))
             if c.rule == "table.geometry"]
    assert found and {t for _, ev in found for t in ev.tags} <= set(TAGS)
    assert any("bold" in ev.tags for c, ev in found if c.model == "Ours-L")  # the bold row
    assert not any("bold" in ev.tags for c, ev in found if c.model.startswith("ResNet"))


def test_the_line_reader_takes_no_number_the_grid_read_under_a_setting_header(tmp_path: Path) -> None:
    """Habit: an "Eval size" (or "Receptive field", "Avg layer output") column between the name and the cost
    columns. The grid reads it as no field's value; the line-by-line fallback, seeing "384" nearest "Params",
    must not offer it as 384M parameters of the row's model (it led the model's slot before the real 212M)."""
    from flopmine.extract.pdf import read_document
    from flopmine.extract.rules.paper import collect

    pdf = tmp_path / "2101.00001v1.pdf"
    _booktabs_pdf(pdf, [[(190, "Eval"), (400, "Top-1")], [(76, "Model"), (190, "size"), (232, "Params"), (290, "FLOPs")]],
                  [[(76, "MaxViT-B"), (210, "384"), (260, "119M"), (320, "74.2G"), (420, "88.24")],
                   [(76, "MaxViT-L"), (210, "384"), (260, "212M"), (320, "128.7G"), (420, "88.32")],
                   [(76, "MaxViT-L"), (210, "512"), (260, "212M"), (320, "245.4G"), (420, "88.46")]],
                  "Table 1: ImageNet results at two evaluation sizes.")
    found = collect(read_document(pdf, arxiv_id="2101.00001", version=1))
    params = {(c.model, c.value) for c, _, _ in found if c.field == "params"}
    assert ("MaxViT-L (384)", 212e6) in params and ("MaxViT-L (512)", 212e6) in params
    assert not any(v in (384e6, 512e6) for _, v in params), params


def test_a_header_the_grid_cut_apart_settles_no_number() -> None:
    """"BFLOPs (512x512 network resolution)" centred over two columns: the grid heads the value column with
    "(512x512"; an unclosed bracket (or a sentence read as a header) says the header was cut apart, so which
    number is whose is unknown there and the line reader keeps its reading."""
    from flopmine.extract.grid import Cell, Grid, GridRow
    from flopmine.extract.tables import unfielded_cells

    box = (1.0, 1.0, 2.0, 2.0)
    row = GridRow("CSPDarknet53", (Cell("950 K", box), Cell("52", box), Cell("(26.0 FMA)", box)), "")
    cut = Grid((0, 0, 9, 9), (("Avg layer output",), ("(512x512",), ("BFLOPs", "network resolution)")), (row,))
    assert unfielded_cells(cut, {2}) == [box]  # the layer output only
    prose = Grid((0, 0, 9, 9), (("Models marked with 21k are pretrained on ImageNet21k",), ("x",), ("y",)), (row,))
    assert unfielded_cells(prose, {2}) == []


@pytest.mark.parametrize(("label", "reference"), [("EfficientNet-B3 (Tan & Le, 2019a)", ""),
                                                  ("ConvS2S", "Gehring and Auli (2017)"),
                                                  ("Transformer big", "(Vaswani et al., 2017)")])
def test_a_baseline_cited_by_authors_and_year_is_a_cited_row(tmp_path: Path, label: str, reference: str) -> None:
    """Habit: a cited baseline's row names its paper by authors and year, in its label or in a reference column
    of its own, two authors joined by "&" or "and" and the year often lettered. Its cells carry the citation
    evidence; the paper's own row does not."""
    from flopmine.extract.pdf import read_document
    from flopmine.extract.rules.paper import collect

    pdf = tmp_path / "2101.00001v1.pdf"
    _booktabs_pdf(pdf, [[(76, "Model"), (260, "Reference"), (400, "Top-1 (%)"), (460, "Params")]],
                  [[(76, label), (350, reference or "-"), (430, "81.6"), (490, "12M")],
                   [(76, "ResNet-50 [12]"), (350, "-"), (430, "76.0"), (490, "26M")],
                   [(76, "OurNet-B3"), (350, "-"), (430, "83.9"), (490, "24M")]],
                  "Table 1: ImageNet results.")
    found = [(c, ev) for c, _, ev in collect(read_document(pdf, arxiv_id="2101.00001", version=1))
             if c.rule == "table.geometry" and c.field == "top1_acc"]
    cited = {c.value: ev.citation for c, ev in found}
    assert cited == {81.6: True, 76.0: True, 83.9: False}
