"""A rerun of analyze reuses what cannot have changed (issue 20 item 4): the simulation (it never reads the
dataset) and each figure whose inputs and drawing code are unchanged. The files are those of a fresh run."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flopmine.analysis.figcache import CACHE_FILE, input_key
from flopmine.analysis.report import SIMULATION_CACHE, analyze_to_dir
from flopmine.analysis.simulate import cached_simulate, is_stored, simulate
from flopmine.analysis.synthetic import synthetic_frame

GRID = (15, 60, 1200)  # both least-squares branches and the Lasso, quickly


def _dataset(path: Path, coco_shift: float = 0.0) -> Path:
    imagenet = synthetic_frame(120, seed=1)
    coco = synthetic_frame(120, seed=2, benchmark="coco")
    coco["error"] = coco["error"] * (1 + coco_shift)
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.concat([imagenet, coco], ignore_index=True).to_csv(path, index=False)
    return path


def _files(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and ".cache" not in p.parts and p.name != CACHE_FILE}


def _mtimes(directory: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (directory / "figures").glob("*.png")}


def _without_seconds(results: bytes) -> dict[str, object]:
    data = json.loads(results)
    data["simulation"]["seconds"] = data["dataset"] = None  # the run time, and the dataset's path in tmp_path
    return data


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run without the cache: what every cached run must write."""
    root = tmp_path_factory.mktemp("fresh")
    analyze_to_dir(_dataset(root / "dataset.csv"), root / "report", sims=1, cache=False)
    return root / "report"


def test_a_rerun_reuses_the_simulation_and_every_figure_and_writes_the_same_files(tmp_path: Path, fresh: Path) -> None:
    dataset, out = _dataset(tmp_path / "dataset.csv"), tmp_path / "report"
    first = analyze_to_dir(dataset, out, sims=1)
    assert not first.result.simulation_reused and (out / SIMULATION_CACHE).is_file()
    drawn = _mtimes(out)
    assert len(drawn) == 9  # 2 benchmarks × 2 measures × (scatter, quantile) + the simulation
    again = analyze_to_dir(dataset, out, sims=1)
    assert again.result.simulation_reused
    assert _mtimes(out) == drawn  # not one figure drawn again
    expected, got = _files(fresh), _files(out)
    assert got.keys() == expected.keys()
    for name in expected:
        if name == "results.json":  # the simulation's own run time differs between runs
            assert _without_seconds(got[name]) == _without_seconds(expected[name])
        elif name.startswith("report."):  # the same, except the simulation's time and "reused"
            assert b"reused" in got[name] and b"reused" not in expected[name]
        else:
            assert got[name] == expected[name], name
    assert json.dumps(again.result.simulation.to_dict()) == json.dumps(first.result.simulation.to_dict())  # NaN-safe
    # with nothing to draw or simulate, a rerun never imports matplotlib (about 0.8 s of CPU) or scikit-learn
    # (0.3 s); the fits run again, so statsmodels (the quantile regression) is imported
    code = ("import sys; from flopmine.analysis.report import analyze_to_dir; "
            f"analyze_to_dir({str(dataset)!r}, {str(out)!r}, sims=1); "
            "print(sorted(m for m in ('matplotlib', 'sklearn') if m in sys.modules))")
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert imported == "[]"


def test_a_changed_benchmark_redraws_its_figures_only_and_they_equal_a_fresh_draw(tmp_path: Path) -> None:
    out = tmp_path / "report"
    analyze_to_dir(_dataset(tmp_path / "a" / "dataset.csv"), out, sims=1)
    before = _mtimes(out)
    changed = _dataset(tmp_path / "b" / "dataset.csv", coco_shift=0.2)
    analyze_to_dir(changed, out, sims=1)
    after = _mtimes(out)
    redrawn = {name for name in before if after[name] != before[name]}
    assert redrawn == {f"{kind}_coco_{m}.png" for kind in ("fit", "quantile") for m in ("per_pass", "hardware_burden")}
    analyze_to_dir(changed, tmp_path / "clean", sims=1, cache=False)
    for name in before:
        assert (out / "figures" / name).read_bytes() == (tmp_path / "clean" / "figures" / name).read_bytes(), name


def test_a_figure_changed_on_disk_or_a_damaged_cache_is_drawn_again(tmp_path: Path, fresh: Path) -> None:
    dataset, out = _dataset(tmp_path / "dataset.csv"), tmp_path / "report"
    analyze_to_dir(dataset, out, sims=1)
    (out / "figures" / "fit_imagenet_per_pass.png").write_bytes(b"not the figure")
    (out / SIMULATION_CACHE).write_text("{damaged")
    again = analyze_to_dir(dataset, out, sims=1)
    assert not again.result.simulation_reused
    assert _files(out)["figures/fit_imagenet_per_pass.png"] == _files(fresh)["figures/fit_imagenet_per_pass.png"]
    (out / "figures" / CACHE_FILE).write_text("[not, json")
    analyze_to_dir(dataset, out, sims=1)
    assert _files(out)["figures/simulation.png"] == _files(fresh)["figures/simulation.png"]


def test_the_cached_simulation_is_simulate_and_its_key_covers_its_arguments(tmp_path: Path) -> None:
    cache = tmp_path / "sim.json"
    reference = simulate(sims=2, seed=3, n_grid=GRID)
    first, reused_first = cached_simulate(cache, sims=2, seed=3, n_grid=GRID)
    second, reused_second = cached_simulate(cache, sims=2, seed=3, n_grid=GRID)
    assert (reused_first, reused_second) == (False, True)
    for got in (first, second):
        assert json.dumps(dataclasses.replace(got, seconds=0.0).to_dict()) == json.dumps(
            dataclasses.replace(reference, seconds=0.0).to_dict())
    other, reused = cached_simulate(cache, sims=2, seed=4, n_grid=GRID)
    assert not reused and other.mean != reference.mean
    assert cached_simulate(cache, sims=2, seed=4, n_grid=GRID[:2])[1] is False  # another grid



def test_a_simulation_kept_in_the_homes_store_serves_a_first_run_of_another_dataset(tmp_path: Path, fresh: Path) -> None:
    """The store shared by a home's runs: a first analyze of another dataset into an empty directory reuses the
    simulation an earlier run computed, and writes what a run that computed it writes."""
    store = tmp_path / "home" / "cache"
    first = analyze_to_dir(_dataset(tmp_path / "a" / "dataset.csv", coco_shift=0.3), tmp_path / "a" / "report", sims=1,
                           simulation_store=store)
    assert not first.result.simulation_reused and len(list(store.glob("simulation-*.json"))) == 1
    out = tmp_path / "b" / "report"
    second = analyze_to_dir(_dataset(tmp_path / "b" / "dataset.csv"), out, sims=1, simulation_store=store)
    assert second.result.simulation_reused and (out / SIMULATION_CACHE).is_file()
    assert json.dumps(second.result.simulation.to_dict()) == json.dumps(first.result.simulation.to_dict())
    got, expected = _files(out), _files(fresh)
    assert _without_seconds(got["results.json"]) == _without_seconds(expected["results.json"])
    assert got["figures/simulation.png"] == expected["figures/simulation.png"]
    # --fresh (cache=False) neither reads nor fills the store
    assert not analyze_to_dir(tmp_path / "b" / "dataset.csv", tmp_path / "c", sims=1, simulation_store=store,
                              cache=False).result.simulation_reused


def test_is_stored_says_whether_cached_simulate_would_reuse_and_writes_nothing(tmp_path: Path) -> None:
    """analyze asks before it reads its dataset (is there a simulation to compute?): the answer is cached_simulate's."""
    cache, store = tmp_path / "report" / "sim.json", tmp_path / "home" / "cache"

    def files() -> list[Path]:
        return sorted(tmp_path.rglob("*"))

    for shared in (None, store):
        before = files()
        assert not is_stored(cache, sims=2, seed=3, n_grid=GRID, shared=shared) and files() == before
    cached_simulate(cache, sims=2, seed=3, n_grid=GRID, shared=store)  # computed: stored beside the report and home
    for seed, shared in ((3, None), (3, store), (4, store)):
        before = files()
        asked = is_stored(cache, sims=2, seed=seed, n_grid=GRID, shared=shared)
        assert files() == before and asked == (seed == 3)
        assert cached_simulate(cache, sims=2, seed=seed, n_grid=GRID, shared=shared)[1] == asked
    cache.unlink()  # only the home's store holds it: reused from there, and copied beside the report
    assert is_stored(cache, sims=2, seed=3, n_grid=GRID, shared=store) and not cache.exists()
    assert not is_stored(cache, sims=2, seed=3, n_grid=GRID)
    assert cached_simulate(cache, sims=2, seed=3, n_grid=GRID, shared=store)[1] and cache.is_file()
    cache.write_text("{damaged")
    for path in store.glob("simulation-*.json"):
        path.write_text("{damaged")
    assert not is_stored(cache, sims=2, seed=3, n_grid=GRID, shared=store)
    assert not cached_simulate(cache, sims=2, seed=3, n_grid=GRID, shared=store)[1]


@pytest.mark.parametrize("damage", ["cut", "other seed", "not a float", "no lasso"])
def test_a_stored_simulation_that_does_not_match_its_arguments_is_computed_again(tmp_path: Path, damage: str) -> None:
    cache = tmp_path / "sim.json"
    first, _ = cached_simulate(cache, sims=2, seed=3, n_grid=GRID)
    stored = json.loads(cache.read_text())
    if damage == "cut":
        stored["result"]["mean"]["oracle"] = stored["result"]["mean"]["oracle"][:-1]
    elif damage == "other seed":
        stored["result"]["seed"] = 4
    elif damage == "not a float":
        stored["result"]["sd"]["expert"][0] = "0.5"
    else:
        del stored["result"]["computation"]["lasso"]
    cache.write_text(json.dumps(stored))
    again, reused = cached_simulate(cache, sims=2, seed=3, n_grid=GRID)
    assert not reused
    assert json.dumps(dataclasses.replace(again, seconds=0.0).to_dict()) == json.dumps(
        dataclasses.replace(first, seconds=0.0).to_dict())
    assert cached_simulate(cache, sims=2, seed=3, n_grid=GRID)[1]  # rewritten whole



def _without_run_time(files: dict[str, bytes]) -> dict[str, object]:
    """The files with the simulation's own run time left out (results.json's seconds, the report's "N.N s")."""
    import re

    return {name: _without_seconds(data) if name == "results.json"
            else re.sub(rb"[0-9.]+ s\b", b"_ s", data) if name.startswith("report.") else data
            for name, data in files.items()}


@pytest.mark.parametrize("cache", [False, True])
def test_helper_processes_write_what_one_process_writes(tmp_path: Path, cache: bool) -> None:
    """Two helper processes (the simulation beside the fits, the figures in parallel) write the same files as
    everything done in the analyze process, byte for byte apart from the simulation's run time; a rerun with
    helpers reuses as one process does."""
    dataset = _dataset(tmp_path / "dataset.csv")
    alone = analyze_to_dir(dataset, tmp_path / "alone", sims=1, cache=cache, workers=1)
    pooled = analyze_to_dir(dataset, tmp_path / "pooled", sims=1, cache=cache, workers=2)
    assert not pooled.result.simulation_reused and pooled.result.simulation is not None
    assert json.dumps(replace(pooled.result.simulation, seconds=0).to_dict()) == json.dumps(
        replace(alone.result.simulation, seconds=0).to_dict())
    assert _without_run_time(_files(tmp_path / "pooled")) == _without_run_time(_files(tmp_path / "alone"))
    if cache:
        again = analyze_to_dir(dataset, tmp_path / "pooled", sims=1, workers=2)
        assert again.result.simulation_reused
        assert json.dumps(again.result.simulation.to_dict()) == json.dumps(pooled.result.simulation.to_dict())


def _pid_into(log: Path) -> None:
    with log.open("a") as f:
        f.write(f"{os.getpid()}\n")


def test_started_helpers_each_prepare_first_and_a_pool_of_one_is_this_process(tmp_path: Path) -> None:
    from flopmine.analysis.workers import Helpers

    log = tmp_path / "prepared"
    with Helpers(2) as helpers:
        helpers.start(partial(_pid_into, log))
        helpers.start(partial(_pid_into, log))  # forked once: a second start does nothing
        worker_pids = {helpers.submit(os.getpid).result() for _ in range(8)}
    prepared = log.read_text().split()
    assert len(prepared) == 2 and {int(p) for p in prepared} >= worker_pids  # every worker prepared, once
    with Helpers(1) as alone:
        alone.start(partial(_pid_into, tmp_path / "never"))
        assert not alone.pooled and alone.submit(divmod, 7, 2).result() == (3, 1)
    assert not (tmp_path / "never").exists()


def test_helpers_run_jobs_here_without_a_pool_and_raise_a_jobs_error_either_way() -> None:
    from flopmine.analysis.workers import Helpers

    for workers in (1, 2):
        with Helpers(workers) as helpers:
            assert helpers.pooled == (workers == 2)
            assert helpers.submit(divmod, 7, 2).result() == (3, 1)
            with pytest.raises(ZeroDivisionError):
                helpers.submit(divmod, 1, 0).result()


def _pid_and_square(x: int) -> tuple[int, int]:
    if x < 0:
        raise ValueError(f"negative: {x}")
    return os.getpid(), x * x


def test_a_server_answers_in_one_helper_after_its_setup_and_here_without_a_pool(tmp_path: Path) -> None:
    from flopmine.analysis.workers import Helpers, Server

    log = tmp_path / "setup"
    with Helpers(2) as helpers, Server(helpers, _pid_and_square, partial(_pid_into, log)) as server:
        helpers.start()
        server.start()
        answers = [server.submit(x) for x in (3, -1, 4, 5)]
        assert answers[3]()[1] == 25  # asked for in any order
        with pytest.raises(ValueError, match="negative: -1"):
            answers[1]()
        assert [answers[0](), answers[2]()] == [(int(log.read_text()), 9), (int(log.read_text()), 16)]
        server.close()
        assert helpers.submit(divmod, 7, 2).result() == (3, 1)  # the helper serving is free again
    assert int(log.read_text()) != os.getpid()  # set up once, in the helper that answered
    for workers in (1, 2):  # without a pool, or a pool forked before the server was made: computed here, when asked
        with Helpers(workers) as helpers:
            helpers.start()
            with Server(helpers, _pid_and_square, partial(_pid_into, tmp_path / "never")) as server:
                server.start()
                later = server.submit(6)
                assert later() == (os.getpid(), 36)
    assert not (tmp_path / "never").exists()


def _until_flag(flag: Path, fail: bool, answer_waiting: Callable[[], None]) -> tuple[int, bool]:
    """A job of steps: answers the calls waiting after each, until ``flag`` exists (at most about 5 s)."""
    for _ in range(250):
        answer_waiting()
        if flag.exists():
            break
        time.sleep(0.02)
    if fail:
        raise ValueError("the job failed")
    return os.getpid(), flag.exists()


def test_a_job_run_by_the_server_answers_the_calls_sent_meanwhile_between_its_steps(tmp_path: Path) -> None:
    from flopmine.analysis.workers import Helpers, Server

    flag = tmp_path / "flag"
    with Helpers(2) as helpers, Server(helpers, _pid_and_square, partial(_pid_into, tmp_path / "setup")) as server:
        helpers.start()
        server.start()
        job = server.run(partial(_until_flag, flag, False))
        calls = [server.submit(x) for x in (3, 4)]
        # answered while the job runs: the job waits for the flag, made only once both answers are in
        answers = [call() for call in calls]
        flag.touch()
        pid, saw_flag = job()
        assert saw_flag and answers == [(pid, 9), (pid, 16)] and pid != os.getpid()
        assert int((tmp_path / "setup").read_text()) == pid
        failing = server.run(partial(_until_flag, flag, True))
        after = server.submit(5)
        with pytest.raises(ValueError, match="the job failed"):
            failing()
        assert after() == (pid, 25)
    with Helpers(1) as helpers, Server(helpers, _pid_and_square, partial(_pid_into, tmp_path / "never")) as server:
        server.start()
        job = server.run(partial(_until_flag, flag, False))  # without a pool: here, when its value is asked for
        assert job() == (os.getpid(), True)
    assert not (tmp_path / "never").exists()


def test_a_kept_simulation_is_the_one_cached_simulate_finds(tmp_path: Path) -> None:
    """analyze stores the simulation its helper computed (``simulate.keep``) as ``cached_simulate`` would have."""
    from flopmine.analysis.simulate import keep

    computed = simulate(sims=2, seed=3, n_grid=GRID)
    store, cache = tmp_path / "home" / "cache", tmp_path / "report" / ".cache" / "simulation.json"
    keep(cache, computed, shared=store)
    assert is_stored(cache, sims=2, seed=3, n_grid=GRID)
    for where, shared in ((cache, None), (tmp_path / "other" / "simulation.json", store)):
        found, reused = cached_simulate(where, sims=2, seed=3, n_grid=GRID, shared=shared)
        assert reused and json.dumps(found.to_dict()) == json.dumps(computed.to_dict())
    assert not is_stored(cache, sims=2, seed=4, n_grid=GRID)


def test_a_pooled_first_run_without_a_simulation_is_reused_whole_by_a_rerun_pooled_or_not(tmp_path: Path) -> None:
    """The quantile regressions made in a helper; each fit's Figure 3 handed over before them, keyed on the OLS fits
    alone: a rerun, with helpers or in one process, finds every figure fresh, and the files are one process's."""
    dataset = _dataset(tmp_path / "dataset.csv")
    analyze_to_dir(dataset, tmp_path / "alone", sims=0, workers=1)
    out = tmp_path / "pooled"
    analyze_to_dir(dataset, out, sims=0, workers=2)
    assert _files(out) == _files(tmp_path / "alone")
    drawn = _mtimes(out)
    assert len(drawn) == 8
    for workers in (2, 1):
        analyze_to_dir(dataset, out, sims=0, workers=workers)
        assert _mtimes(out) == drawn
    assert _files(out) == _files(tmp_path / "alone")


frames = st.lists(st.tuples(st.floats(allow_nan=True, allow_infinity=True), st.booleans()), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(frames, st.integers(min_value=0, max_value=29), st.floats(allow_nan=False, allow_infinity=False))
def test_the_input_key_is_equal_for_equal_inputs_and_changes_with_any_value(
        rows: list[tuple[float, bool]], where: int, new: float) -> None:
    def frame(values: list[tuple[float, bool]]) -> pd.DataFrame:
        return pd.DataFrame({"compute": [v for v, _ in values], "_imputed": [b for _, b in values]})

    assert input_key("f.png", frame(rows), ("fit", 1.5)) == input_key("f.png", frame(list(rows)), ("fit", 1.5))
    i = where % len(rows)
    changed = list(rows)
    changed[i] = (new, rows[i][1])
    same = np.array_equal(frame(changed)["compute"].to_numpy(), frame(rows)["compute"].to_numpy(), equal_nan=True)
    if not same and not (new == 0.0 and rows[i][0] == 0.0):  # 0.0 and -0.0 draw alike but hash apart: either is fine
        assert input_key("f.png", frame(changed)) != input_key("f.png", frame(rows))
    assert input_key("f.png", frame(rows), ("fit", 1.5)) != input_key("f.png", frame(rows), ("fit", 2.5))


def test_the_console_says_when_the_simulation_was_reused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A rerun must not print the earlier run's seconds as if the simulation had just taken them."""
    from tests.support.cli import run_cli

    dataset, out = _dataset(tmp_path / "dataset.csv"), tmp_path / "report"
    argv = ["--home", str(tmp_path / "home"), "analyze", "--dataset", str(dataset), "--out", str(out), "--sims", "5"]
    lines = []
    for extra in ([], [], ["--fresh"]):
        code, text = run_cli([*argv, *extra], capsys)
        assert code == 0, text
        (line,) = [s for s in text.splitlines() if s.startswith("simulation (")]
        lines.append(line)
    first, rerun, fresh = lines
    assert "reused" not in first and "reused" not in fresh
    assert rerun.startswith("simulation (5 runs, reused from an earlier run): ")


def test_another_resolution_draws_every_figure_again_at_that_resolution(tmp_path: Path) -> None:
    from PIL import Image

    dataset, out = _dataset(tmp_path / "dataset.csv"), tmp_path / "report"
    analyze_to_dir(dataset, out, sims=0)
    before = _mtimes(out)
    analyze_to_dir(dataset, out, sims=0, dpi=300)
    after = _mtimes(out)
    assert before.keys() == after.keys() and all(after[n] != before[n] for n in before)
    for name in after:
        with Image.open(out / "figures" / name) as im:
            assert round(im.info["dpi"][0]) == 300, name
    analyze_to_dir(dataset, tmp_path / "print", sims=0, dpi=300, cache=False, workers=1)
    assert _files(out) == _files(tmp_path / "print")  # the same files as a fresh, serial run at 300 dpi


def test_the_rows_kept_from_the_fits_are_the_rows_the_figures_selected_again(tmp_path: Path) -> None:
    """run_analysis keeps each fit's drawn rows (``fit.drawn_points``) for the figures: the same frame, index and
    dtypes as selecting them again from the dataset (what write_report did), for both measures and point rules."""
    from flopmine.analysis.fit import drawn_points, prepare, select_points
    from flopmine.analysis.report import complete_dataset, run_analysis

    df, _ = complete_dataset(pd.read_csv(_dataset(tmp_path / "dataset.csv")))
    for points in ("best-per-paper", "all"):
        result = run_analysis(df, sims=0, points=points)
        assert set(result.drawn) == {(f.benchmark, f.measure) for f in result.fits.fits} and len(result.drawn) == 4
        prepared, _ = prepare(df)
        for (benchmark, measure), kept in result.drawn.items():
            pd.testing.assert_frame_equal(kept, drawn_points(select_points(prepared, benchmark, measure)[0]))
            assert input_key(kept) == input_key(drawn_points(select_points(prepared, benchmark, measure)[0]))
