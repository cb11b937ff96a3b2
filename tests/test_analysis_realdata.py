"""Issue 14 on a small, real-shaped dataset: year-only dates, TPU rows, a quoted baseline, a 47-year row.

The annotations below are shaped like the hand-collected dataset of the issue (ImageNet rows from
EfficientNet-, NoisyStudent- and ResNet-era papers, paper-level hardware statements, a baseline quoted
in another paper's table). Every test runs the real build / analyze code on them; nothing is mocked.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flopmine.analysis import dictionary
from flopmine.analysis.build import build_dataset, read_annotations, write_dataset
from flopmine.analysis.report import analyze_to_dir, run_analysis, write_report
from flopmine.errors import AnalysisError
from flopmine.hardware import match_hardware

HEADER = "arxiv_id,version,benchmark,model,field,value,unit,page,decision,candidate_id,fact_key,reviewer,decided_at,note"

IMAGENET = """\
1905.11946,5,imagenet,EfficientNet-B7 (ours),top1_acc,84.4,%,6,accept,,,ann,,
1905.11946,5,imagenet,ResNet-50 [He et al.],top1_acc,76.0,%,6,accept,,,ann,,
1911.04252,4,imagenet,Noisy Student (L2),top1_acc,88.4,%,1,accept,,,ann,,
2003.00001,1,imagenet,TPUNet-L,top1_acc,86.1,%,3,accept,,,ann,,
1512.03385,1,imagenet,ResNet-152,top1_err,21.43,%,5,accept,,,ann,,
1512.03385,1,imagenet,ResNet-50,top1_err,24.7,%,5,accept,,,ann,,
1409.01556,6,imagenet,VGG-16,top1_err,24.4,%,7,accept,,,ann,,
1608.06993,5,imagenet,DenseNet-264,top1_err,22.15,%,6,accept,,,ann,,
1602.07261,2,imagenet,Inception-v4,top1_err,20.0,%,8,accept,,,ann,,
1709.01507,4,imagenet,SENet-154,top1_err,18.68,%,9,accept,,,ann,,
"""

PAPER_FACTS = """\
1905.11946,5,,,hardware,Cloud TPU v3,,7,accept,,,ann,,
1905.11946,5,,,hardware_count,32,,7,accept,,,ann,,
1905.11946,5,,,training_time_hours,96,,7,accept,,,ann,,
1905.11946,5,,EfficientNet-B7 (ours),flops,3.7e10,,6,accept,,,ann,,
1905.11946,5,,ResNet-50 [He et al.],flops,4.1e9,,6,accept,,,ann,,
1911.04252,4,,,hardware,TPU v3,,4,accept,,,ann,,
1911.04252,4,,,hardware_count,2048,,4,accept,,,ann,,
1911.04252,4,,,training_time_hours,144,,4,accept,,,ann,,
2003.00001,1,,,hardware,Cloud TPU v4,,2,accept,,,ann,,
2003.00001,1,,,hardware_count,64,,2,accept,,,ann,,
2003.00001,1,,,training_time_hours,72,,2,accept,,,ann,,
1512.03385,1,,,hardware,NVIDIA Tesla K80,,4,accept,,,ann,,
1512.03385,1,,,hardware_count,8,,4,accept,,,ann,,
1512.03385,1,,,training_time_hours,500,,4,accept,,,ann,,
1409.01556,6,,,hardware,NVIDIA GeForce GTX Titan Black,,5,accept,,,ann,,
1409.01556,6,,,hardware_count,4,,5,accept,,,ann,,
1409.01556,6,,,training_time_hours,411720,,5,accept,,,ann,,
1608.06993,5,,,hardware,NVIDIA Tesla P100 SXM2,,5,accept,,,ann,,
1608.06993,5,,,hardware_count,4,,5,accept,,,ann,,
1608.06993,5,,,training_time_hours,300,,5,accept,,,ann,,
1602.07261,2,,,hardware,Foo Accelerator X9,,3,accept,,,ann,,
1602.07261,2,,,hardware_count,20,,3,accept,,,ann,,
1602.07261,2,,,training_time_hours,400,,3,accept,,,ann,,
"""


def _annotations(tmp_path: Path, extra_imagenet: str = "", extra_paper: str = "") -> Path:
    d = tmp_path / "annotations"
    d.mkdir()
    (d / "imagenet.csv").write_text(HEADER + "\n" + IMAGENET + extra_imagenet, encoding="utf-8")
    (d / "paper_facts.csv").write_text(HEADER + "\n" + PAPER_FACTS + extra_paper, encoding="utf-8")
    return d


def _row(df: pd.DataFrame, aid: str, model: str) -> pd.Series:
    sel = df[(df["arxiv_id"] == aid) & (df["model"] == model)]
    assert len(sel) == 1, sel
    return sel.iloc[0]


# ---------------------------------------------------------------- item 1: year without month


def test_year_without_month_is_used_and_table2_is_fitted() -> None:
    # a hand-collected table: year-only dates, some rows not from arXiv (no id to rebuild a date from)
    rng = np.random.default_rng(4)
    n = 12
    log_c = rng.permutation(np.linspace(0.5, 3.0, n))  # compute not collinear with year
    years = np.array([2012, 2013, 2014, 2014, 2015, 2015, 2016, 2016, 2017, 2018, 2019, 2020])
    err = 10 ** (-0.4 - 0.08 * log_c - 0.02 * (years - 2012) + 0.01 * rng.standard_normal(n))
    ids = ["1409.1556", "he2016deep", "1512.03385", "szegedy2015", "1608.06993", "huang2017", "1709.01507",
           "1905.11946", "tan2019", "1911.04252", "xie2020", "2010.11929"]
    df = pd.DataFrame({"arxiv_id": ids, "benchmark": "imagenet", "model": [f"m{i}" for i in range(n)],
                       "year": years, "error": err, "gflops_per_pass": 10**log_c})
    fits = run_analysis(df, sims=0).fits
    f = fits.get("imagenet", "per_pass")
    assert f is not None and f.polynomial_year is not None, [str(p) for p in fits.problems]
    assert f.polynomial_year.n == n  # every row kept its given year
    assert f.polynomial_year.coef("year").estimate == pytest.approx(-0.02, abs=0.01)


# ---------------------------------------------------------------- item 2: one point per paper


def _stripe_frame() -> pd.DataFrame:
    """Six papers with one burden each; paper 0 has 12 variants sharing its one training burden."""
    rows = []
    for p in range(6):
        burden = 10 ** (9 + p)
        err = 10 ** (-0.5 - 0.1 * (9 + p - 9))
        variants = 12 if p == 0 else 1
        for v in range(variants):
            rows.append({"arxiv_id": f"18{p:02d}.0000{p}", "benchmark": "imagenet", "model": f"net{p}-{v}",
                         "error": err * (1 + 0.15 * v), "gflops_per_pass": 10 ** (1 + p + 0.05 * v),
                         "hardware_burden_gflop": burden})
    return pd.DataFrame(rows)


def test_hardware_burden_uses_each_papers_best_model_by_default() -> None:
    df = _stripe_frame()
    seed = run_analysis(df, sims=0)
    every = run_analysis(df, sims=0, points="all")
    hb_seed, hb_all = seed.fits.get("imagenet", "hardware_burden"), every.fits.get("imagenet", "hardware_burden")
    assert hb_seed is not None and hb_all is not None
    assert hb_seed.n == 6 and hb_all.n == len(df)  # one point per paper, or the stripe of 12
    assert seed.fits.get("imagenet", "per_pass").n == len(df)  # per-pass keeps every model
    assert hb_seed.polynomial.slope.estimate == pytest.approx(-0.1, abs=1e-6)


def test_report_states_the_points_construction(tmp_path: Path) -> None:
    df = _stripe_frame()
    write_report(run_analysis(df, sims=0), df, tmp_path, figures=False)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "one point per paper" in md and "--points best-per-paper" in md


# ---------------------------------------------------------------- item 3: paper-level facts


def test_paper_level_hardware_attaches_to_the_own_model_not_the_quoted_baseline(tmp_path: Path) -> None:
    facts, _ = read_annotations(_annotations(tmp_path))
    result = build_dataset(facts)
    df = result.frame
    own, baseline = _row(df, "1905.11946", "EfficientNet-B7 (ours)"), _row(df, "1905.11946", "ResNet-50 [He et al.]")
    assert own["hardware"] == "Cloud TPU v3" and own["hardware_count"] == 32
    assert "hardware=paper" in own["compute_sources"] and own["hardware_burden_gflop"] > 0
    assert baseline["hardware"] == "" and math.isnan(baseline["hardware_burden_gflop"])
    assert baseline["flops"] == 4.1e9  # a fact naming the baseline still attaches to it
    # ResNet's paper has two models and none marked "(ours)": its hardware is ambiguous, attached to none
    assert _row(df, "1512.03385", "ResNet-152")["hardware"] == "" == _row(df, "1512.03385", "ResNet-50")["hardware"]
    assert any(w.startswith("1512.03385: paper-level hardware, hardware_count, training_time_hours") and
               "ResNet-152" in w and "not attached" in w for w in result.warnings)
    # a paper with one model gets its paper-level facts
    assert _row(df, "1911.04252", "Noisy Student (L2)")["hardware_count"] == 2048


# ---------------------------------------------------------------- item 4: hardware figures


def test_cloud_tpu_v4_is_not_the_v2_board() -> None:
    assert match_hardware("Cloud TPU v4").entry.name == "Google Cloud TPU v4 (v4-8 board)"
    assert match_hardware("Cloud TPU v5") is None  # a generation the catalog lacks is unknown, not a v2 board


def test_tpu_rows_get_the_seeds_peak_basis_and_record_it(tmp_path: Path) -> None:
    facts, _ = read_annotations(_annotations(tmp_path))
    df = build_dataset(facts).frame
    b7, noisy, v4 = (_row(df, "1905.11946", "EfficientNet-B7 (ours)"), _row(df, "1911.04252", "Noisy Student (L2)"),
                     _row(df, "2003.00001", "TPUNet-L"))
    assert (b7["hardware_gflops"], b7["hardware_figure"], b7["hardware_unit"]) == (420_000, "peak", "tpu_board")
    assert b7["hardware_burden_gflop"] == pytest.approx(32 * 420_000 * 96 * 3600)
    assert (noisy["hardware_gflops"], noisy["hardware_entry"]) == (123_000, "Google TPU v3")
    assert v4["hardware_entry"] == "Google Cloud TPU v4 (v4-8 board)" and v4["hardware_figure"] == "peak"
    densenet = _row(df, "1608.06993", "DenseNet-264")  # GPUs keep FP32 under the seed's basis
    assert (densenet["hardware_gflops"], densenet["hardware_figure"]) == (10_610, "fp32")


def test_fp32_basis_tells_missing_figures_from_unknown_devices_and_counts_them(tmp_path: Path) -> None:
    facts, _ = read_annotations(_annotations(tmp_path))
    result = build_dataset(facts, hardware_basis="fp32")
    df = result.frame
    assert math.isnan(_row(df, "1911.04252", "Noisy Student (L2)")["hardware_gflops"])
    assert "no_hardware_figure" in _row(df, "1911.04252", "Noisy Student (L2)")["flags"]
    no_fig = [w for w in result.warnings if "without a fp32 figure" in w]
    assert len(no_fig) == 1 and "'TPU v3' = Google TPU v3 (1 row)" in no_fig[0]
    assert "--hardware-basis peak" in no_fig[0]
    unknown = [w for w in result.warnings if "not in the catalog" in w]
    assert len(unknown) == 1 and "'Foo Accelerator X9' (1 row)" in unknown[0]
    assert "Cloud TPU v3" not in unknown[0]


def test_repeated_unknown_hardware_is_counted_once() -> None:
    from flopmine.types import Fact
    facts = []
    for i in range(33):
        aid = f"1901.{i:05d}"
        facts += [Fact(aid, 1, "top1_acc", 70.0 + i / 10, benchmark="imagenet", model="Net"),
                  Fact(aid, 1, "hardware", "Foo Accelerator X9"), Fact(aid, 1, "hardware_count", 8.0)]
    warnings = build_dataset(facts).warnings
    hw = [w for w in warnings if "Foo Accelerator X9" in w]
    assert len(hw) == 1 and "'Foo Accelerator X9' (33 rows)" in hw[0]


# ---------------------------------------------------------------- item 5: plausibility


def test_a_47_year_training_time_is_flagged_and_left_out(tmp_path: Path) -> None:
    facts, _ = read_annotations(_annotations(tmp_path))
    built = build_dataset(facts)
    vgg = _row(built.frame, "1409.01556", "VGG-16")
    assert "implausible:training_time_hours" in vgg["flags"] and "47" in vgg["implausible"]
    write_dataset(built, tmp_path / "ds")
    done = analyze_to_dir(tmp_path / "ds" / "dataset.csv", tmp_path / "report", sims=0, figures=False)
    assert [r["arxiv_id"] for r in done.result.implausible] == ["1409.01556"]
    assert done.result.implausible[0]["status"] == "left out"
    md = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "Problems: implausible rows" in md and "47" in md
    hb = done.result.fits.get("imagenet", "hardware_burden")
    # with a burden: B7, Noisy Student, TPUNet-L, DenseNet-264 (and VGG-16, left out); not the baseline,
    # ResNet (ambiguous), Inception-v4 (unknown device) or SENet (no hardware)
    assert hb is not None and hb.n == 4
    assert any("1 implausible row(s) left out" in str(p) for p in done.result.problems)


def test_a_forced_value_is_kept(tmp_path: Path) -> None:
    d = _annotations(tmp_path)
    lines = (d / "paper_facts.csv").read_text(encoding="utf-8").splitlines()
    # the reviewer's override column (review's import writes it; here by hand): keep the 47 years
    forced = [lines[0] + ",force"] + [t + (",force" if ",training_time_hours,411720," in t else ",") for t in lines[1:]]
    (d / "paper_facts.csv").write_text("\n".join(forced) + "\n", encoding="utf-8")
    facts, warnings = read_annotations(d)
    assert not warnings
    df = build_dataset(facts).frame
    vgg = _row(df, "1409.01556", "VGG-16")
    assert "forced:training_time_hours" in vgg["flags"] and "forced by reviewer" in vgg["implausible"]
    res = run_analysis(df, sims=0)
    assert res.implausible[0]["status"] == "kept (forced by reviewer)"
    assert res.fits.get("imagenet", "hardware_burden").n == 5


def test_imputed_gflops_outside_the_fitted_range_are_flagged() -> None:
    from flopmine.types import Fact
    facts = []
    for i in range(6):
        aid = f"1801.{i:05d}"
        facts += [Fact(aid, 1, "top1_acc", 70.0 + i, benchmark="imagenet", model="Net"),
                  Fact(aid, 1, "params", 10 ** (6 + i / 2)), Fact(aid, 1, "flops", 10 ** (8 + i / 2))]
    facts += [Fact("1901.00001", 1, "top1_acc", 80.0, benchmark="imagenet", model="Huge"),
              Fact("1901.00001", 1, "params", 1e11),  # far outside 1e6–3e8: imputed by extrapolation
              Fact("1901.00002", 1, "top1_acc", 75.0, benchmark="imagenet", model="Mid"),
              Fact("1901.00002", 1, "params", 3e7)]
    df = build_dataset(facts).frame
    huge, mid = _row(df, "1901.00001", "Huge"), _row(df, "1901.00002", "Mid")
    assert "gflops_imputed_extrapolated" in huge["flags"] and huge["gflops_imputed_flag"]
    assert "gflops_imputed" in mid["flags"] and "extrapolated" not in mid["flags"]


def test_report_says_when_todays_point_is_imputed() -> None:
    from flopmine.analysis.report import summary
    df = pd.DataFrame({"arxiv_id": [f"190{i}.0000{i}" for i in range(1, 6)], "benchmark": "imagenet",
                       "model": list("abcde"), "error": [0.3, 0.25, 0.2, 0.15, 0.1],
                       "gflops_per_pass": [1.0, 3.0, 10.0, 30.0, np.nan],
                       "gflops_imputed": [np.nan, np.nan, np.nan, np.nan, 100.0]})
    res = run_analysis(df, sims=0)
    assert res.fits.get("imagenet", "per_pass").today.imputed
    assert "imputed from params" in summary(res)


# ---------------------------------------------------------------- issue 11: float noise, input checks


def test_dataset_csv_has_no_float_noise(tmp_path: Path) -> None:
    facts, _ = read_annotations(_annotations(tmp_path, extra_imagenet="1905.11946,5,imagenet,B1,top1_acc,90.64,%,6,"
                                                                      "accept,,,ann,,\n"))
    write_dataset(build_dataset(facts), tmp_path / "ds")
    text = (tmp_path / "ds" / "dataset.csv").read_text(encoding="utf-8")
    assert "0.09360000000000002" not in text and ",0.0936," in text
    back = pd.read_csv(tmp_path / "ds" / "dataset.csv", dtype={"arxiv_id": str})
    assert back.loc[back["model"] == "B1", "error"].iloc[0] == pytest.approx(1 - 90.64 / 100, rel=1e-11)


def test_analyze_checks_columns_before_the_simulation(tmp_path: Path) -> None:
    ds = tmp_path / "mine.csv"
    pd.DataFrame({"paper": ["a", "b"], "acc": [70, 80]}).to_csv(ds, index=False)
    calls: list[tuple[int, int, str]] = []
    with pytest.raises(AnalysisError) as err:
        analyze_to_dir(ds, tmp_path / "out", sims=3, progress=lambda d, t, m: calls.append((d, t, m)))
    assert calls == []  # nothing ran
    assert "missing column(s) benchmark" in str(err.value) and "compute column" in str(err.value)
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- item 6: external datasets


def test_external_facts_level_csv_is_derived_as_build_does(tmp_path: Path) -> None:
    facts, _ = read_annotations(_annotations(tmp_path))
    built = build_dataset(facts).frame
    facts_level = built[["arxiv_id", "benchmark", "model", "year", "error", "flops", "mult_adds", "params",
                         "hardware", "hardware_count", "training_time_hours"]]
    ext = tmp_path / "external.csv"
    facts_level.to_csv(ext, index=False)
    done = analyze_to_dir(ext, tmp_path / "out", sims=0, figures=False)
    assert done.result.fitted_anything
    from flopmine.analysis.build import read_dataset
    from flopmine.analysis.report import complete_dataset
    derived, _ = complete_dataset(read_dataset(ext))
    for col in ("gflops_per_pass", "hardware_gflops", "hardware_burden_gflop"):
        np.testing.assert_allclose(derived[col].to_numpy(float), built[col].to_numpy(float), rtol=1e-12)
    # an aggregate rate instead of a device name
    agg = pd.DataFrame({"arxiv_id": ["x1", "x2", "x3"], "benchmark": "imagenet", "model": "m", "error": [.3, .2, .1],
                        "hardware_gflops_total": [1e4, 1e5, 1e6], "training_time_hours": [1.0, 2.0, 3.0]})
    d2, _ = complete_dataset(agg)
    assert d2["hardware_burden_gflop"].tolist() == pytest.approx([1e4 * 3600, 2e5 * 3600, 3e6 * 3600])


def test_docs_data_dictionary_is_generated_from_the_code() -> None:
    path = Path(__file__).resolve().parent.parent / dictionary.DOCS_PATH
    assert path.read_text(encoding="utf-8") == dictionary.to_markdown(), (
        f"{dictionary.DOCS_PATH} is stale: run .venv/bin/python -m flopmine.analysis.dictionary > "
        f"{dictionary.DOCS_PATH}")


# ---------------------------------------------------------------- item 7: report wording


def test_report_wording(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = []
    for bench, slope, noise in (("imagenet", -0.1, 0.01), ("coco", 0.05, 0.01), ("squad11", -0.002, 0.2)):
        x = np.linspace(0, 3, 8)
        e = 10 ** (-0.7 + slope * x + noise * rng.standard_normal(8))
        rows += [{"arxiv_id": f"19{i:02d}.{j:05d}", "benchmark": bench, "model": f"m{j}", "error": e[j],
                  "gflops_per_pass": 10 ** x[j], "year": 2012 + j} for j, i in enumerate(range(1, 9))]
    df = pd.DataFrame(rows)
    write_report(run_analysis(df, sims=0), df, tmp_path, figures=True, dpi=300)  # print resolution, on request
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    first_paragraph = md.split("\n\n")[1]
    assert first_paragraph.startswith("From 24 dataset rows") and "imagenet" in first_paragraph
    assert "error-linear" in md and "not in Figure 4" in md
    assert "no improvement with compute" in md  # coco's positive slope
    assert "not significant" in md  # squad11's slope interval contains 0
    assert "– – ∞" not in md and "– – –" not in md
    for line in md.splitlines():
        if line.startswith("!["):
            target = line[line.index("(") + 1:-1]
            assert (tmp_path / target).is_file()
    from PIL import Image
    with Image.open(tmp_path / "figures" / "fit_imagenet_per_pass.png") as im:
        assert im.info["dpi"][0] >= 299
