"""The report's figures (issue 19 item 8): no clipped y-axis label, the exponential line drawn, and the
demo's report saying its papers are synthetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from flopmine.analysis import figures as fig
from flopmine.analysis.fit import fit_all, prepare, select_points
from flopmine.analysis.synthetic import Truth, synthetic_frame

TAB_PURPLE = (148, 103, 189)  # matplotlib's tab:purple


def _points_and_fits(truth: Truth):  # type: ignore[no-untyped-def]
    df = synthetic_frame(150, truth, seed=1, log10_range=(0.0, 4.0))
    prepared, _ = prepare(df)
    points, _ = select_points(prepared, "imagenet", "per_pass")
    fits = fit_all(df).get("imagenet", "per_pass")
    assert fits is not None
    return points, fits


def _pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB")).astype(int)


def test_quantile_figure_keeps_its_y_label_inside(tmp_path: Path) -> None:
    # a narrow log10-error range (COCO-like errors of 40–55 %) gives long tick labels such as −0.325,
    # which pushed the y-axis label past the left edge with the fixed margins
    points, fits = _points_and_fits(Truth(intercept=-0.3, slope=-0.02, noise=0.02))
    for draw, name in ((fig.mean_vs_quantile, "quantile.png"), (fig.scatter_fits, "fit.png")):
        rgb = _pixels(draw(points, fits, tmp_path / name))
        dark = np.where((rgb.min(axis=2) < 200).any(axis=0))[0]
        assert dark[0] >= 5, (name, dark[0])  # a white strip on the left: nothing cut at the edge


def test_fit_figure_draws_the_exponential_line(tmp_path: Path) -> None:
    points, fits = _points_and_fits(Truth(intercept=-0.1, slope=-0.35, noise=0.1))
    rgb = _pixels(fig.scatter_fits(points, fits, tmp_path / "fit.png"))
    purple = (np.abs(rgb - np.array(TAB_PURPLE)).max(axis=2) < 12).sum()
    assert purple > 500  # the 1/error line (the tables' exponential form) and its legend entry


def test_report_note_comes_first(tmp_path: Path) -> None:
    from flopmine.analysis.report import run_analysis, write_report
    from flopmine.demo.runner import SYNTHETIC_NOTE

    df = synthetic_frame(60, Truth(), seed=2)
    note = SYNTHETIC_NOTE.format(papers=60)
    write_report(run_analysis(df, sims=0, note=note), df, tmp_path, figures=False)
    md = (tmp_path / "report.md").read_text(encoding="utf-8").split("\n\n")
    assert md[1] == note and "synthetic" in note
    assert note in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_demo_report_says_its_papers_are_synthetic(tmp_path: Path) -> None:
    from flopmine.demo.runner import run_demo

    report = run_demo(tmp_path / "demo", n_papers=4, workers=1, sims=0)
    md = (report.home.report_dir / "report.md").read_text(encoding="utf-8")
    assert f"the {report.papers_served} papers in this report are synthetic" in md


# ---------------------------------------------------------------- issue 20 item 4: resolution and the pool


def _draw_with_helpers(jobs: list, workers: int) -> list:  # type: ignore[type-arg]
    """Each job drawn by analyze's helper processes (``workers.Helpers``; with 1, here), in the order of ``jobs``."""
    from flopmine.analysis.workers import Helpers

    with Helpers(workers) as helpers:
        drawing = [helpers.submit(fig.draw, job) for job in jobs]
        return [d.result() for d in drawing]


def test_figures_drawn_by_a_pool_of_processes_are_the_bytes_drawn_one_by_one(tmp_path: Path) -> None:
    from flopmine.analysis.simulate import simulate

    points, fits = _points_and_fits(Truth(intercept=-0.1, slope=-0.35, noise=0.1))
    sim = simulate(sims=1, seed=0, n_grid=(15, 60, 200))
    for workers in (1, 2):
        d = tmp_path / str(workers)
        jobs = [("scatter_fits", (points, fits, d / "fit.png"), 100), ("mean_vs_quantile", (points, fits, d / "q.png"), 100),
                ("simulation", (sim, d / "sim.png"), 100)]
        d.mkdir()
        assert _draw_with_helpers(jobs, workers) == [d / "fit.png", d / "q.png", d / "sim.png"]
    for name in ("fit.png", "q.png", "sim.png"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes(), name


def test_the_resolution_is_recorded_and_sets_the_size(tmp_path: Path) -> None:
    points, fits = _points_and_fits(Truth())
    sizes = {}
    for dpi in (fig.DPI, fig.PRINT_DPI):
        with Image.open(fig.scatter_fits(points, fits, tmp_path / f"{dpi}.png", dpi=dpi)) as im:
            assert round(im.info["dpi"][0]) == dpi
            sizes[dpi] = im.size
    assert fig.DPI == 150 and sizes[fig.DPI] == (825, 600) and sizes[fig.PRINT_DPI] == (1650, 1200)


def test_the_default_pool_has_one_worker_per_idle_core(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os

    from flopmine.analysis import workers as helpers

    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    for load, running, workers in ((0.2, None, 2), (1.0, None, 2), (1.5, None, 1), (2.0, None, 1), (14.0, None, 1),
                                   (1.1, 1, 2),  # the average still counts a minute of earlier work: idle now
                                   (1.5, 2, 1), (14.0, 1, 2), (0.2, 9, 2),  # the fewer of the two counts
                                   (14.0, 3, 1), (2.0, 2, 1),
                                   # a core more than half idle counts: the average's tail after a minute of work
                                   (1.09, 2, 2), (1.4, None, 2), (1.6, None, 1), (2.4, 3, 1)):
        monkeypatch.setattr(os, "getloadavg", lambda load=load: (load, load, load))
        monkeypatch.setattr(helpers, "running_now", lambda running=running: running)
        assert helpers.default_workers() == workers, (load, running)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(16)), raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert helpers.default_workers() == helpers.MAX_WORKERS


def test_running_now_is_the_running_count_of_proc_loadavg() -> None:
    from flopmine.analysis.workers import running_now

    loadavg = Path("/proc/loadavg")
    if not loadavg.is_file():
        assert running_now() is None
        return
    now = running_now()
    assert now is not None and now >= 1  # this test itself is running


def test_the_pool_finishes_when_the_parents_stderr_is_locked_at_the_fork(tmp_path: Path) -> None:
    """The CLI's progress bar writes to stderr from its own thread. A fork copies that stream's lock as it is: had
    the thread held it at that moment, a worker flushing the copy on exit would wait forever for a thread it does
    not have. Here the parent's stderr blocks on any flush outside the parent: the state such a worker inherits."""
    import io
    import os
    import sys
    import threading

    parent = os.getpid()

    class LockedInChildren(io.StringIO):
        def flush(self) -> None:
            if os.getpid() != parent:
                threading.Event().wait()  # never set: a lock whose owner stayed in the parent

    points, fits = _points_and_fits(Truth())
    jobs = [("scatter_fits", (points, fits, tmp_path / "a.png"), 60),
            ("mean_vs_quantile", (points, fits, tmp_path / "b.png"), 60)]
    done: list[object] = []
    saved = sys.stderr
    sys.stderr = LockedInChildren()
    try:
        drawing = threading.Thread(target=lambda: done.append(_draw_with_helpers(jobs, 2)), daemon=True)
        drawing.start()
        drawing.join(timeout=180)
    finally:
        sys.stderr = saved
    assert done == [[tmp_path / "a.png", tmp_path / "b.png"]], "a worker hung on the stderr it inherited"


def test_blas_threads_sleep_when_idle_unless_the_user_chose(tmp_path: Path) -> None:
    """OPENBLAS_THREAD_TIMEOUT is read once, when numpy loads OpenBLAS: set before that, never over the user's."""
    import os
    import subprocess
    import sys

    script = ("import os, sys\n"
              "if sys.argv[1] == 'numpy-first':\n    import numpy\n"
              "from flopmine.analysis.workers import idle_blas_threads_sleep\n"
              "idle_blas_threads_sleep()\n"
              "print(os.environ.get('OPENBLAS_THREAD_TIMEOUT', 'unset'))\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}

    def run(mode: str, **extra: str) -> str:
        done = subprocess.run([sys.executable, "-c", script, mode], env={**env, **extra}, capture_output=True,
                              text=True, check=True, cwd=tmp_path)
        return done.stdout.strip()

    from flopmine.analysis.workers import BLAS_THREAD_TIMEOUT

    assert run("fresh") == str(BLAS_THREAD_TIMEOUT)
    assert run("fresh", OPENBLAS_THREAD_TIMEOUT="20") == "20"
    assert run("numpy-first") == "unset"  # too late to matter: not set as if it did
