"""flopmine analyze end to end: files, warnings naming benchmark and rows, exit codes."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from flopmine.analysis.build import build_dataset, write_dataset
from flopmine.analysis.synthetic import SYNTHETIC_HARDWARE, synthetic_facts
from flopmine.types import Fact
from tests.support.cli import exit_code


def _run(argv: list[str]) -> int:
    return exit_code(argv)


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    facts = synthetic_facts(150, seed=3, benchmarks=("imagenet", "coco"))
    # a benchmark with too few rows, and one row with a non-positive FLOP count
    facts += [Fact("1901.99999", 1, "f1", 90.0, benchmark="squad11", model="tiny"),
              Fact("1901.99999", 1, "flops", 2e9, model="tiny"),
              Fact("1902.99998", 1, "box_ap", 40.0, benchmark="coco", model="zero"),
              Fact("1902.99998", 1, "flops", 0.0, model="zero")]
    result = build_dataset(facts, gflops_lookup=SYNTHETIC_HARDWARE.get)
    write_dataset(result, tmp_path / "dataset")
    return tmp_path / "dataset" / "dataset.csv"


def test_analyze_writes_every_output(dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report"
    code = _run(["--home", str(tmp_path / "home"), "analyze", "--dataset", str(dataset), "--out", str(out),
                 "--sims", "1", "--seed", "2"])
    assert code == 0
    captured = capsys.readouterr()
    assert "imagenet" in captured.out and "Traceback" not in captured.err
    # warnings name the benchmark and the dataset line
    df = pd.read_csv(dataset, dtype={"arxiv_id": str})
    zero_line = int(df.index[df["model"] == "zero"][0]) + 2
    assert "squad11 / per_pass: only 1 usable observation" in captured.err
    # build flags 0 FLOPs as implausible; analyze leaves the row out and names its line
    assert f"coco / per_pass: 1 implausible row(s) left out (see the problems table; dataset line(s) {zero_line})" \
        in captured.err

    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    fitted = {(f["benchmark"], f["measure"]) for f in results["fits"]}
    assert fitted == {("imagenet", "per_pass"), ("imagenet", "hardware_burden"), ("coco", "per_pass"),
                      ("coco", "hardware_burden")}
    imagenet = next(f for f in results["fits"] if (f["benchmark"], f["measure"]) == ("imagenet", "per_pass"))
    slope = next(c for c in imagenet["polynomial"]["coefs"] if c["name"] == "log10_compute")
    assert abs(slope["estimate"] + 0.1) < 3 * slope["se"]  # synthetic truth: slope −0.1
    assert imagenet["quantile"]["q"] == 0.1 and imagenet["polynomial_year"] is not None
    assert results["simulation"]["sims"] == 1 and results["simulation"]["seed"] == 2
    assert results["conversion"]["n"] > 10
    assert any(p["benchmark"] == "squad11" for p in results["problems"])

    with open(out / "extrapolation.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    burden = [r for r in rows if r["measure"] == "hardware_burden" and r["form"] == "polynomial"]
    assert {r["label"] for r in burden} == {"today", "target 1", "target 2"}
    assert all(r["log10_co2_lbs"] and r["log10_usd"] for r in burden)
    assert {r["target_error"] for r in rows if r["benchmark"] == "imagenet"} >= {"0.05", "0.01"}

    md = (out / "report.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    for text in (md, html):
        assert "Figure 4" in text and "Implied scaling exponents" in text and "squad11 / per_pass" in text
    for fig in results["figures"].values():
        assert (out / fig).is_file() and (out / fig).stat().st_size > 1000
        assert fig in md and fig in html
    assert {"simulation", "conversion"} <= set(results["figures"])


def test_analyze_nothing_fittable_exits_1_but_writes_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    ds = tmp_path / "d.csv"
    pd.DataFrame({"arxiv_id": ["1901.00001", "1901.00002"], "benchmark": ["coco", "coco"], "model": ["a", "b"],
                  "error": [0.5, 0.4], "gflops_per_pass": [1.0, 2.0]}).to_csv(ds, index=False)
    out = tmp_path / "r"
    assert _run(["analyze", "--dataset", str(ds), "--out", str(out), "--sims", "0"]) == 1
    err = capsys.readouterr().err
    assert "Error: nothing could be fitted" in err and "coco / per_pass: only 2 usable observation" in err
    assert "no row has hardware_burden_gflop" in err and "Traceback" not in err
    assert (out / "report.md").is_file() and json.loads((out / "results.json").read_text())["fits"] == []


def test_analyze_missing_dataset_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["--home", str(tmp_path), "analyze", "--sims", "0"]) == 1
    err = capsys.readouterr().err
    assert "Error:" in err and "dataset.csv does not exist" in err and "flopmine build" in err


def test_help_texts_have_examples() -> None:
    from typer.testing import CliRunner

    from flopmine.cli import app

    for cmd in ("build", "analyze"):
        res = CliRunner().invoke(app, [cmd, "--help"])
        assert res.exit_code == 0 and "Example: flopmine" in res.output


def test_library_entry_points_used_by_the_demo(tmp_path: Path) -> None:
    from flopmine.analysis.build import build_from_home
    from flopmine.analysis.report import analyze_to_dir
    from flopmine.analysis.synthetic import write_annotations
    from flopmine.config import resolve_home

    home = resolve_home(tmp_path / "home")
    write_annotations(synthetic_facts(40, seed=9), home.annotations_dir)
    built = build_from_home(home, gflops_lookup=SYNTHETIC_HARDWARE.get)
    assert len(built.result.frame) == 40 and built.unreadable_rows == 0
    assert {p.name for p in built.paths} >= {"dataset.csv", "dataset.parquet"}
    done = analyze_to_dir(home.dataset_dir / "dataset.csv", home.report_dir, sims=0, figures=False)
    assert done.result.fitted_anything and (home.report_dir / "report.html") in done.paths
    assert not (home.report_dir / "figures").exists()


def test_analyze_today_and_construction_options(dataset: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r1"
    assert _run(["analyze", "--dataset", str(dataset), "--out", str(out), "--sims", "0"]) == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    fig4 = results["figure4"]
    assert fig4["construction"] == "line" and fig4["exponential_form"] == "exponential_perf"
    assert fig4["exponential_equation"] == "1/error = a + b·log10(compute)"
    assert "Table 4" in results["forms"]["exponential_perf"]["seed"]
    assert "not in Figure 4" in results["forms"]["exponential"]["seed"]
    df = pd.read_csv(dataset, dtype={"arxiv_id": str})
    coco = df[(df["benchmark"] == "coco") & (df["error"] > 0)].sort_values("error").iloc[0]
    today = {t["benchmark"]: t for t in fig4["today"]}
    assert today["coco"]["error"] == pytest.approx(coco["error"])
    assert (today["coco"]["arxiv_id"], today["coco"]["model"]) == (coco["arxiv_id"], coco["model"])
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "Construction (line)" in md and f"coco: today {coco['error'] * 100:.4g} % from {coco['arxiv_id']}" in md
    assert "Hardware burden in the seed's layout" in md

    out2 = tmp_path / "r2"
    assert _run(["analyze", "--dataset", str(dataset), "--out", str(out2), "--sims", "0", "--today", "imagenet=5%",
                 "--today", "0.3", "--extrapolate-from", "best-point"]) == 0
    results = json.loads((out2 / "results.json").read_text(encoding="utf-8"))
    assert results["figure4"]["construction"] == "best-point"
    assert {t["benchmark"]: (t["error"], t["source"]) for t in results["figure4"]["today"]} == {
        "imagenet": (0.05, "given"), "coco": (0.3, "given"), "squad11": (0.3, "given")}
    assert all(e["construction"] == "best-point" for e in results["extrapolation"])
    assert "Construction (best-point)" in (out2 / "report.md").read_text(encoding="utf-8")
    assert "--today is not used with --extrapolate-from best-point" in capsys.readouterr().err

    out3 = tmp_path / "r3"
    assert _run(["analyze", "--dataset", str(dataset), "--out", str(out3), "--sims", "0", "--today", "imagenet=5%"]) == 0
    rows = json.loads((out3 / "results.json").read_text(encoding="utf-8"))["extrapolation"]
    assert {e["target_error"] for e in rows if e["benchmark"] == "imagenet" and e["label"] == "today"} == {0.05}
    assert {e["target_error"] for e in rows if e["benchmark"] == "coco" and e["label"] == "today"} == {coco["error"]}

    capsys.readouterr()
    assert _run(["analyze", "--dataset", str(dataset), "--out", str(out2), "--sims", "0", "--today", "150%"]) == 2
    assert "--today" in capsys.readouterr().err


def test_analyze_dpi_and_jobs_options(dataset: Path, tmp_path: Path) -> None:
    from PIL import Image

    outs = {}
    for argv in (["--dpi", "300", "--jobs", "1"], ["--dpi", "300", "--jobs", "2"], []):
        out = tmp_path / ("_".join(argv) or "default")
        assert _run(["--home", str(tmp_path / "home"), "analyze", "--dataset", str(dataset), "--out", str(out),
                     "--sims", "0", *argv]) == 0
        outs[out.name] = {p.name: p.read_bytes() for p in (out / "figures").glob("*.png")}
        with Image.open(out / "figures" / "fit_imagenet_per_pass.png") as im:
            assert round(im.info["dpi"][0]) == (300 if argv else 150)
    serial, pooled, default = outs.values()
    assert serial == pooled and len(serial) >= 4  # a pool of two draws the same bytes as one process
    assert serial.keys() == default.keys() and all(default[n] != serial[n] for n in serial)
    assert _run(["analyze", "--dataset", str(dataset), "--dpi", "10"]) == 2  # below --dpi's range: a usage error


def test_a_first_analyze_into_a_new_directory_reuses_the_homes_simulation(dataset: Path, tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    for out, said in (("one", r"\d+ s"), ("two", "reused from an earlier run")):
        capsys.readouterr()
        assert _run(["--home", str(home), "analyze", "--dataset", str(dataset), "--out", str(tmp_path / out),
                     "--sims", "1"]) == 0
        assert re.search(rf"simulation \(1 runs, {said}\)", capsys.readouterr().out)
    assert list((home / "cache").glob("simulation-*.json"))
