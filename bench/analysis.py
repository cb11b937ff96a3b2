"""Time `flopmine build` + `flopmine analyze` on a synthetic dataset (default 100,000 rows).

What it does: draws reviewed facts for N paper × model × benchmark rows from known coefficients
(analysis.synthetic: ~3.4 facts per row over 5 benchmarks), writes them as annotation CSVs
(<benchmark>.csv + paper_facts.csv), then times each stage of the library pipeline the two
commands run: read annotations → build → write dataset (CSV + Parquet) → read dataset → fit +
extrapolate + simulation → figures + report. Hardware GFLOPS come from the synthetic catalog.
As a yardstick it also times pandas alone reading the same annotation CSVs (and the dataset CSV),
and prints build and analyze next to it. Goal (issue 14): build ≤ 3 s and analyze ≤ 3 s on one core
(run under ``taskset -c 0`` to hold it to one core).

    .venv/bin/python bench/analysis.py                 # 100,000 rows, 5 simulations
    .venv/bin/python bench/analysis.py --rows 20000 --sims 0
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from flopmine.analysis.build import build_dataset, read_annotations, read_dataset, write_dataset
from flopmine.analysis.report import run_analysis, write_report
from flopmine.analysis.synthetic import SYNTHETIC_HARDWARE, synthetic_facts, write_annotations

BENCHMARKS = ("imagenet", "coco", "squad11", "conll2003", "wmt14_en_fr")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000, help="dataset rows to generate (default 100000)")
    ap.add_argument("--sims", type=int, default=5, help="simulation replications (default 5, as `analyze`)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    timings: list[tuple[str, float]] = []

    def step(name: str, t0: float) -> float:
        t1 = time.perf_counter()
        timings.append((name, t1 - t0))
        print(f"{name:42s} {t1 - t0:8.2f} s", flush=True)
        return t1

    with tempfile.TemporaryDirectory(prefix="flopmine-bench-") as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        facts = synthetic_facts(args.rows, seed=args.seed, benchmarks=BENCHMARKS)
        write_annotations(facts, root / "annotations")
        t = step(f"generate {len(facts):,} facts (setup)", t)
        for p in sorted((root / "annotations").glob("*.csv")):
            pd.read_csv(p, dtype=str, keep_default_na=False)
        t = step("baseline: pandas alone reads the annotation CSVs", t)
        pandas_read = timings[-1][1]
        start = t
        read, warnings = read_annotations(root / "annotations")
        t = step("build: read annotations", t)
        result = build_dataset(read, gflops_lookup=SYNTHETIC_HARDWARE.get)
        t = step("build: join + derive + impute", t)
        write_dataset(result, root / "dataset")
        t = step("build: write CSV + Parquet + dictionary", t)
        build_total = t - start
        pd.read_csv(root / "dataset" / "dataset.csv", low_memory=False)
        t = step("baseline: pandas alone reads dataset.csv", t)
        pandas_dataset = timings[-1][1]
        start_analyze = t
        df = read_dataset(root / "dataset" / "dataset.csv")
        t = step("analyze: read dataset", t)
        res = run_analysis(df, sims=args.sims, seed=args.seed)
        t = step(f"analyze: fits + extrapolation + {args.sims} sims", t)
        write_report(res, df, root / "report")
        t = step("analyze: figures + report files", t)
        analyze_total = t - start_analyze
        print(f"\nrows {len(result.frame):,}, facts {len(read):,}, warnings {len(warnings)}, "
              f"fits {len(res.fits.fits)}, problems {len(res.problems)}")
        print(f"{'':14s}{'flopmine':>10s}{'pandas read_csv alone':>24s}")
        print(f"{'build total':14s}{build_total:8.2f} s{pandas_read:20.2f} s  (annotation CSVs)")
        print(f"{'analyze total':14s}{analyze_total:8.2f} s{pandas_dataset:20.2f} s  (dataset.csv)")
        print(f"{'together':14s}{build_total + analyze_total:8.2f} s")


if __name__ == "__main__":
    main()
