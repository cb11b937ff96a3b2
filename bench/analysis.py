"""Time and size `flopmine build` + `flopmine analyze` on a synthetic dataset (default 100,000 rows).

What it does: draws reviewed facts for N paper × model × benchmark rows from known coefficients
(analysis.synthetic: ~3.4 facts per row over 5 benchmarks) and writes them as annotation CSVs in the
review's layout, one file per benchmark and arXiv month (<benchmark>-<yymm>.csv + paper_facts-<yymm>.csv). Then each stage runs as its own child process, so its peak memory
(the kernel's rusage of that child) and its CPU are its own:

- build: read annotations → join + derive + impute → write dataset (CSV + Parquet + dictionary);
- analyze: read dataset → fits + extrapolation → the simulation (``--sims``, independent of the rows)
  → figures + report files, into an empty report directory (nothing cached: the first run);
- analyze again: the same into the same directory, as a rerun of ``flopmine analyze`` on an unchanged
  dataset (the simulation and every figure come from the first run's cache);
- the yardstick: pandas alone reading the same annotation CSVs (build's input) and dataset.csv
  (analyze's input).

Hardware GFLOPS come from the synthetic catalog. Each stage prints CPU seconds (``time.process_time``
of the child, imports excluded) and wall seconds per step; the table gives each total beside the
pandas yardstick as a ratio, the child's whole CPU (imports included) and its peak RSS, and the load
average (the machine is shared: compare CPU, and compare runs only with the same load).

``--commands`` also times what a user waits for: the commands ``flopmine --home H --quiet build --out D`` and
``flopmine --home H --quiet analyze --dataset D/dataset.csv --out O`` (a fresh report directory and simulation
store: the first run) as child processes, wall clock, CPU and peak RSS of the whole process tree (the kernel's
rusage of the child, ``os.wait4``), imports, the conflict scan and analyze's helper processes included. The home
links the generated annotations.

``--save FILE`` writes the measured table as JSON; ``--baseline FILE`` prints a saved run's CPU beside this
run's, with the ratio (this / baseline): run it once on the old code with ``--save``, once on the new
(``--show FILE --baseline OLD`` prints two saved runs side by side).

    .venv/bin/python bench/analysis.py                          # 100,000 rows, 5 simulations
    .venv/bin/python bench/analysis.py --rows 100000 1000000 --save after.json --baseline before.json
    .venv/bin/python bench/analysis.py --rows 1000000 --stages build --keep DIR    # build and its yardstick only
    .venv/bin/python bench/analysis.py --rows 100000 --stages build --commands     # + `flopmine build` itself
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flopmine.types import Fact

BENCHMARKS = ("imagenet", "coco", "squad11", "conll2003", "wmt14_en_fr")
STAGES = ("build", "analyze", "analyze again", "pandas: annotation CSVs", "pandas: dataset.csv")
#: The commands ``--commands`` times, each beside the library stage it runs.
COMMANDS = {"build": "command: flopmine build", "analyze": "command: flopmine analyze"}
YARDSTICK = {"build": "pandas: annotation CSVs", "analyze": "pandas: dataset.csv",
             "analyze again": "pandas: dataset.csv"}


def _cpu() -> float:
    """CPU seconds of this process and of the processes it started and waited for (analyze's figure workers)."""
    t = os.times()
    return time.process_time() + t.children_user + t.children_system


class Steps:
    """CPU and wall seconds per named step of one child process (printed as one JSON line at the end)."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, float, float]] = []
        self._cpu, self._wall = _cpu(), time.perf_counter()

    def __call__(self, name: str) -> None:
        cpu, wall = _cpu(), time.perf_counter()
        self.steps.append((name, cpu - self._cpu, wall - self._wall))
        self._cpu, self._wall = cpu, wall

    def emit(self) -> None:
        print("STEPS " + json.dumps(self.steps), flush=True)


def generate(root: Path, rows: int, seed: int) -> None:
    """The annotation CSVs of ``rows`` synthetic rows, in this (child) process: generating a million rows' facts
    in the bench's own process left it at 3.6 GiB, and every stage started from it reported that as its peak
    (Linux counts the parent's resident memory at the fork in a child's ``ru_maxrss``)."""
    from flopmine.analysis.synthetic import synthetic_facts

    facts = synthetic_facts(rows, seed=seed, benchmarks=BENCHMARKS)
    write_month_files(facts, root / "annotations")
    print(f"FACTS {len(facts)}", flush=True)


def write_month_files(facts: list[Fact], directory: Path) -> None:
    """The facts as the review files them: one CSV per benchmark and arXiv month of the paper, rows in the
    order given (``analysis.synthetic.write_annotations`` writes one file per benchmark)."""
    from flopmine.config import write_csv_atomic
    from flopmine.review.annotations import fact_file_name, paper_month
    from flopmine.types import ANNOTATION_COLUMNS

    groups: dict[str, list[dict[str, object]]] = {}
    for f in facts:
        groups.setdefault(fact_file_name(f.benchmark or "", paper_month(f.arxiv_id)), []).append(f.to_row())
    directory.mkdir(parents=True, exist_ok=True)
    for name, rows in sorted(groups.items()):
        write_csv_atomic(directory / name, list(ANNOTATION_COLUMNS), rows)


def child(stage: str, root: Path, sims: int, seed: int) -> None:
    """One stage in this (child) process; prints its steps."""
    import dataclasses
    import shutil

    import pandas as pd

    # each stage imports what its command imports (`flopmine build` never loads statsmodels or matplotlib)
    from flopmine.analysis.build import build_dataset, read_annotations, read_dataset, write_dataset
    from flopmine.analysis.synthetic import SYNTHETIC_HARDWARE

    if stage.startswith("analyze"):
        from flopmine.analysis.report import SIMULATION_CACHE, run_analysis, write_report
        from flopmine.analysis.simulate import cached_simulate
    if stage == "analyze":  # the first run: nothing cached from an earlier bench
        shutil.rmtree(root / "report", ignore_errors=True)

    step = Steps()
    if stage == "build":
        read, _warnings = read_annotations(root / "annotations")
        step("read annotations")
        # the facts handed over, as `flopmine build` hands them (the join frees them as it goes)
        result = build_dataset(read, gflops_lookup=SYNTHETIC_HARDWARE.get, release_facts=True)
        step("join + derive + impute")
        write_dataset(result, root / "dataset")
        step("write CSV + Parquet + dictionary")
    elif stage.startswith("analyze"):  # what `flopmine analyze` runs (analyze_to_dir), each step timed on its own
        df = read_dataset(root / "dataset" / "dataset.csv")
        step("read dataset")
        res = run_analysis(df, sims=0, seed=seed)
        step("fits + extrapolation")
        if sims and res.fits.fits:
            sim, reused = cached_simulate(root / "report" / SIMULATION_CACHE, sims=sims, seed=seed)
            res = dataclasses.replace(res, simulation=sim, simulation_reused=reused)
        step(f"simulation ({sims} sims)")
        write_report(res, df, root / "report", cache=True)
        step("figures + report files")
    elif stage == "pandas: annotation CSVs":
        for p in sorted((root / "annotations").glob("*.csv")):
            pd.read_csv(p, dtype=str, keep_default_na=False)
        step("read_csv")
    elif stage == "pandas: dataset.csv":
        pd.read_csv(root / "dataset" / "dataset.csv", low_memory=False)
        step("read_csv")
    step.emit()


def measure(stage: str, root: Path, sims: int, seed: int) -> dict[str, object]:
    """Run one stage as a child process: its steps, whole CPU (imports included), wall, and peak RSS (the
    kernel's rusage of that child, ``os.wait4``)."""
    argv = [sys.executable, __file__, "--child", stage, "--root", str(root), "--sims", str(sims), "--seed", str(seed)]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, text=True)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        code = os.waitstatus_to_exitcode(status)
        if code:
            raise SystemExit(f"{stage} exited {code}: {err.read().strip()[-600:]}")
        steps = next(json.loads(line[6:]) for line in out.read().splitlines() if line.startswith("STEPS "))
    return {"steps": steps, "wall": wall, "cpu_all": usage.ru_utime + usage.ru_stime,
            "peak_mib": usage.ru_maxrss / 1024}


def command_argv(stage: str, root: Path, sims: int, seed: int) -> list[str]:
    """The ``flopmine`` command line of a command stage, on a home in ``root`` that links the annotations."""
    home = root / "command-home"
    home.mkdir(exist_ok=True)
    if not (home / "annotations").exists():
        (home / "annotations").symlink_to(root / "annotations")
    flopmine = [str(Path(sys.executable).with_name("flopmine")), "--home", str(home), "--quiet"]
    if stage == COMMANDS["build"]:
        return [*flopmine, "build", "--out", str(root / "command-dataset")]
    shutil.rmtree(root / "command-report", ignore_errors=True)  # the first run: no figures, no simulation kept
    shutil.rmtree(home / "cache", ignore_errors=True)
    return [*flopmine, "analyze", "--dataset", str(root / "command-dataset" / "dataset.csv"), "--out",
            str(root / "command-report"), "--sims", str(sims), "--seed", str(seed)]


def measure_command(stage: str, root: Path, sims: int, seed: int) -> dict[str, object]:
    """Run a command as a child process: its wall clock, CPU and peak RSS (``os.wait4``: the child and the processes
    it waited for)."""
    argv = command_argv(stage, root, sims, seed)
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, text=True)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        err.seek(0)
        code = os.waitstatus_to_exitcode(status)
        if code:
            raise SystemExit(f"{' '.join(argv)} exited {code}: {err.read().strip()[-600:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return {"steps": [[" ".join(argv[4:5]), cpu, wall]], "wall": wall, "cpu_all": cpu,
            "peak_mib": usage.ru_maxrss / 1024}


def load() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[100_000], help="dataset rows to generate (default 100000)")
    ap.add_argument("--sims", type=int, default=5, help="simulation replications (default 5, as `analyze`)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save", type=Path, help="write the measured table to this JSON file")
    ap.add_argument("--baseline", type=Path, help="a JSON file written by --save: print its CPU and the ratio")
    ap.add_argument("--show", type=Path, help="print the tables of a JSON file written by --save, and stop")
    ap.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES), metavar="STAGE",
                    help="measure only these stages (default all: " + ", ".join(repr(x) for x in STAGES) + "); "
                         "a stage's pandas yardstick runs with it")
    ap.add_argument("--commands", action="store_true",
                    help="also time the `flopmine build` / `flopmine analyze` commands of the stages measured (what a "
                         "user waits: imports, the conflict scan, analyze's helper processes)")
    ap.add_argument("--keep", type=Path, help="keep the generated files in DIR/<rows> (and reuse annotations found there: same --seed only)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.generate:
        generate(args.root, args.generate, args.seed)
        return
    if args.child:
        child(args.child, args.root, args.sims, args.seed)
        return

    baseline = json.loads(args.baseline.read_text()) if args.baseline else {}
    if args.show:  # print a saved run's tables (beside --baseline's) without measuring again
        for n, results in json.loads(args.show.read_text()).items():
            print(f"\n{int(n):,} rows ({args.show})")
            print_table(int(n), results, baseline.get(n, {}))
        return

    saved: dict[str, object] = {}
    for n in args.rows:
        with tempfile.TemporaryDirectory(prefix="flopmine-bench-") as tmp:
            root = args.keep / str(n) if args.keep else Path(tmp)
            t = time.perf_counter()
            if (root / "annotations").is_dir():  # --keep: the same seed's facts, generated by an earlier run
                print(f"\n{n:,} rows: reusing {root / 'annotations'}")
            else:
                made = subprocess.run([sys.executable, __file__, "--generate", str(n), "--root", str(root),
                                       "--seed", str(args.seed)], check=True, capture_output=True, text=True).stdout
                n_facts = int(made.split("FACTS ")[1])
                print(f"\n{n:,} rows: generated {n_facts:,} facts in {time.perf_counter() - t:.1f} s (setup)")
            results: dict[str, dict[str, object]] = {}
            wanted = {*args.stages, *(YARDSTICK[s] for s in args.stages if s in YARDSTICK)}
            if wanted & {"analyze", "analyze again", "pandas: dataset.csv"} and not (root / "dataset").is_dir():
                wanted.add("build")  # analyze reads build's dataset
            if args.commands:
                wanted |= {COMMANDS[s] for s in ("build", "analyze") if s in wanted}
                if COMMANDS["analyze"] in wanted:
                    wanted.add(COMMANDS["build"])  # analyze reads the command's dataset
            for stage in [s for s in ("build", "pandas: annotation CSVs", COMMANDS["build"], "analyze", "analyze again",
                                      "pandas: dataset.csv", COMMANDS["analyze"]) if s in wanted]:
                before = load()
                run = measure_command if stage in COMMANDS.values() else measure
                results[stage] = run(stage, root, args.sims, args.seed)
                results[stage]["load"] = f"{before} → {load()}"
            print_table(n, results, baseline.get(str(n), {}))
            saved[str(n)] = results
            if args.save:  # after each size, so a long run's first sizes are kept
                args.save.write_text(json.dumps(saved, indent=1) + "\n")


def print_table(n: int, results: dict[str, dict[str, object]], baseline: dict[str, dict[str, object]]) -> None:
    base_cols = f"{'baseline CPU':>13s}{'this/base':>10s}" if baseline else ""
    print(f"{'stage / step':40s}{'CPU s':>8s}{'wall s':>8s}{'× pandas':>9s}{'CPU+imports':>12s}{'peak MiB':>9s}"
          f"{base_cols}  load average (1/5/15 min) before → after")
    for stage in ("build", "analyze", "analyze again"):
        if stage not in results:  # a run saved before the stage existed
            continue
        r = results[stage]
        cpu = sum(s[1] for s in r["steps"])
        yard = sum(s[1] for s in results[YARDSTICK[stage]]["steps"]) if YARDSTICK[stage] in results else math.nan
        base = ""
        # a baseline without a cache did a rerun's work again in full: its rerun is its first run
        base_stage = stage if stage in baseline or stage != "analyze again" else "analyze"
        if baseline and base_stage in baseline:
            b = sum(s[1] for s in baseline[base_stage]["steps"])
            base = f"{b:13.2f}{cpu / b:10.2f}"
        print(f"{stage:40s}{cpu:8.2f}{r['wall']:8.2f}{cpu / yard:9.1f}{r['cpu_all']:12.2f}{r['peak_mib']:9.0f}{base}"
              f"  {r['load']}")
        old = {s[0]: s[1] for s in baseline.get(base_stage, {}).get("steps", [])} if baseline else {}
        for name, c, w in r["steps"]:
            extra = f"{old[name]:13.2f}{c / old[name] if old[name] else float('nan'):10.2f}" if name in old else ""
            print(f"  {name:38s}{c:8.2f}{w:8.2f}{'':9s}{'':12s}{'':9s}{extra}")
    for stage in [s for s in COMMANDS.values() if s in results]:  # what a user waits: wall clock first
        r = results[stage]
        base = ""
        if baseline and stage in baseline:
            b = float(baseline[stage]["cpu_all"])
            base = f"{b:13.2f}{float(r['cpu_all']) / b:10.2f}"
        print(f"{stage:40s}{r['cpu_all']:8.2f}{r['wall']:8.2f}{'':9s}{r['cpu_all']:12.2f}{r['peak_mib']:9.0f}{base}"
              f"  {r['load']}")
    for stage in [s for s in dict.fromkeys(YARDSTICK.values()) if s in results]:
        r = results[stage]
        print(f"{stage:40s}{sum(s[1] for s in r['steps']):8.2f}{r['wall']:8.2f}{'':9s}{r['cpu_all']:12.2f}"
              f"{r['peak_mib']:9.0f}")


if __name__ == "__main__":
    main()
