"""One import name, workers that ignore the current directory, and clean stops (SIGTERM, SIGKILL).

These run the installed ``flopmine`` command as a user would, in subprocesses.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import psutil
import pytest

from tests.support.pdfs import table_pdf, text_pdf

REPO = Path(__file__).resolve().parent.parent
FLOPMINE = Path(sys.executable).with_name("flopmine")
PAPER = ("We train our ResNet-50 for 90 epochs on eight NVIDIA V100 GPUs, which takes 29 hours. "
         "It needs 4.1 GFLOPs per image and has 25.6M parameters, and reaches 76.1% top-1 accuracy on ImageNet.")


def _pdfs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text_pdf(folder / "2001.00001v1.pdf", [PAPER])
    table_pdf(folder / "2001.00002v1.pdf")
    return folder


def _queue_rows(queue: Path) -> list[tuple[str, ...]]:
    with open(queue, newline="", encoding="utf-8") as f:
        return sorted((r["arxiv_id"], r["field"], r["value"], r["model"]) for r in csv.DictReader(f))


def _run(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOPMINE_")}
    return subprocess.run([str(FLOPMINE), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env)


def _decoys(folder: Path) -> Path:
    """A working directory whose ``flopmine/``, ``extract/`` and ``analysis/`` folders raise on import."""
    for name in ("flopmine", "extract", "analysis", "review", "harvest"):
        (folder / name).mkdir(parents=True)
        (folder / name / "__init__.py").write_text(f"raise RuntimeError('decoy {name} imported from the cwd')\n")
    (folder / "flopmine" / "benchmarks.toml").write_text("not = [toml\n")
    return folder


def test_extraction_ignores_packages_in_the_working_directory(tmp_path: Path) -> None:
    pdfs = _pdfs(tmp_path / "pdfs")
    clean = tmp_path / "clean"
    clean.mkdir()
    ok = _run(["--home", str(tmp_path / "h1"), "--quiet", "extract", str(pdfs), "--workers", "2"], clean)
    assert ok.returncode == 0, ok.stderr
    decoy = _decoys(tmp_path / "decoy")
    got = _run(["--home", str(tmp_path / "h2"), "--quiet", "extract", str(pdfs), "--workers", "2"], decoy)
    assert got.returncode == 0, got.stderr
    assert "decoy" not in got.stderr + got.stdout
    first = _queue_rows(tmp_path / "h1" / "queue" / "queue.csv")
    assert first and first == _queue_rows(tmp_path / "h2" / "queue" / "queue.csv")


@pytest.mark.slow
def test_demo_from_a_directory_with_decoys_and_the_home_inside(tmp_path: Path) -> None:
    decoy = _decoys(tmp_path / "decoy")
    # The home sits in the working directory too: its review/ and analysis/ folders are not packages.
    got = _run(["--home", "home", "--quiet", "demo", "--papers", "6", "--sims", "0"], decoy, timeout=600)
    assert got.returncode == 0, got.stderr + got.stdout
    clean = tmp_path / "clean"
    clean.mkdir()
    ok = _run(["--home", "home", "--quiet", "demo", "--papers", "6", "--sims", "0"], clean, timeout=600)
    assert ok.returncode == 0, ok.stderr
    assert _queue_rows(decoy / "home" / "queue" / "queue.csv") == _queue_rows(clean / "home" / "queue" / "queue.csv")


def _slow_extraction(tmp_path: Path) -> subprocess.Popen[str]:
    """``flopmine extract`` on PDFs whose workers hang (test fault), so the run is busy when it is signalled."""
    pdfs = tmp_path / "pdfs"
    pdfs.mkdir()
    for i in range(1, 7):
        text_pdf(pdfs / f"2001.0000{i}v1.pdf", [PAPER])
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOPMINE_")}
    env["FLOPMINE_TEST_FAULT"] = "hang:2001.0000"
    return subprocess.Popen([str(FLOPMINE), "--home", str(tmp_path / "h"), "--quiet", "extract", str(pdfs),
                             "--workers", "2", "--timeout", "120"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _descendants_when_busy(proc: subprocess.Popen[str]) -> list[psutil.Process]:
    """The run's child processes (forkserver, resource tracker, workers) once two workers are busy."""
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        kids = parent.children(recursive=True)
        busy = [k for k in kids if _cpu(k) > 0.2]
        if len(busy) >= 2:
            return kids
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.3)
    raise AssertionError("the workers never got busy")


def _cpu(p: psutil.Process) -> float:
    try:
        return p.cpu_times().user
    except psutil.Error:
        return 0.0


def _all_gone(procs: list[psutil.Process], within: float = 10.0) -> list[psutil.Process]:
    _gone, alive = psutil.wait_procs(procs, timeout=within)
    return alive


def test_sigterm_stops_the_run_in_one_line_and_takes_the_workers_along(tmp_path: Path) -> None:
    proc = _slow_extraction(tmp_path)
    kids = _descendants_when_busy(proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "SIGTERM" in lines[0], err
    assert "Traceback" not in err
    left = _all_gone(kids)
    assert not left, [p.cmdline() for p in left]


def test_sigkill_of_the_parent_leaves_no_worker_running(tmp_path: Path) -> None:
    proc = _slow_extraction(tmp_path)
    kids = _descendants_when_busy(proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    left = _all_gone(kids)
    for p in left:  # do not leave them to the next test
        p.kill()
    assert not left, [p.cmdline() for p in left]


# ---------------------------------------------------------------- the wheel


def _build_wheel(dist: Path) -> Path:
    """Build the wheel from a copy of the tracked sources, so the checkout gets no build/ or egg-info."""
    src = dist.parent / "src"
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if (REPO / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist),
                    str(src)], check=True, capture_output=True, text=True)
    return next(dist.glob("flopmine-*.whl"))


@pytest.mark.slow
def test_the_wheel_installs_one_namespace_into_a_fresh_venv(tmp_path: Path) -> None:
    if not (REPO / ".git").exists():
        pytest.skip("needs a git checkout to list the sources")
    wheel = _build_wheel(tmp_path / "dist")
    tops = {n.split("/")[0] for n in zipfile.ZipFile(wheel).namelist() if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"flopmine"}, tops
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # the wheel goes in by itself; its dependencies are lent from this environment through a .pth line
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    str(wheel)], check=True, capture_output=True, text=True)
    Path(site, "lent-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = tmp_path / "work"
    work.mkdir()
    for name in ("harvest", "review", "extract", "analysis"):
        gone = subprocess.run([str(python), "-c", f"import {name}"], cwd=work, capture_output=True, text=True)
        assert gone.returncode != 0 and "ModuleNotFoundError" in gone.stderr, (name, gone.stderr)
    where = subprocess.run([str(python), "-c", "import flopmine.extract, flopmine.review.web; "
                            "print(flopmine.extract.__file__)"], cwd=work, capture_output=True, text=True)
    assert where.returncode == 0 and where.stdout.startswith(site), where
    cli = venv / "bin" / "flopmine"
    helped = subprocess.run([str(cli), "--help"], cwd=work, capture_output=True, text=True)
    assert helped.returncode == 0 and "extract" in helped.stdout
    pdfs = _pdfs(work / "pdfs")
    ran = subprocess.run([str(cli), "--home", "h", "--quiet", "extract", str(pdfs), "--workers", "1"], cwd=work,
                         capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr
    fields = {f for _, f, _, _ in _queue_rows(work / "h" / "queue" / "queue.csv")}
    assert {"epochs", "hardware_count", "params"} <= fields
