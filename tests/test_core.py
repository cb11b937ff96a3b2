"""Core: ids, config, atomic writes, records, store, registry, CLI error handling."""

from __future__ import annotations

import multiprocessing
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from flopmine.benchmarks import load_registry
from flopmine.config import (
    atomic_path,
    home_lock,
    neutralise_cell,
    resolve_home,
    write_csv_atomic,
    write_text_atomic,
)
from flopmine.errors import ConfigError, LockedError
from flopmine.ids import InvalidIdError, parse_id
from flopmine.store import candidates_for, connect, get_paper, replace_candidates, upsert_paper
from flopmine.types import Candidate, Fact, Paper, candidate_id, fact_key


@pytest.mark.parametrize(
    ("text", "base", "version", "filename", "ym"),
    [
        ("1811.06965v5", "1811.06965", 5, "1811.06965v5.pdf", (2018, 11)),
        ("1512.03385", "1512.03385", None, "1512.03385.pdf", (2015, 12)),
        ("http://arxiv.org/abs/2001.00001v2", "2001.00001", 2, "2001.00001v2.pdf", (2020, 1)),
        ("hep-th/9901001v2", "hep-th/9901001", 2, "hep-th_9901001v2.pdf", (1999, 1)),
        ("hep-th_9901001v2", "hep-th/9901001", 2, "hep-th_9901001v2.pdf", (1999, 1)),
        ("math.GT/0309136", "math.GT/0309136", None, "math.GT_0309136.pdf", (2003, 9)),
    ],
)
def test_parse_id(text: str, base: str, version: int | None, filename: str, ym: tuple[int, int]) -> None:
    aid = parse_id(text)
    assert (aid.base, aid.version) == (base, version)
    assert aid.filename() == filename
    assert "/" not in aid.filename()
    assert aid.year_month == ym


@pytest.mark.parametrize("bad", ["../../etc/passwd", "hep-th/../../x", "1234", "abc", "1811.06965v5/../x", ""])
def test_parse_id_rejects_paths_and_junk(bad: str) -> None:
    with pytest.raises(InvalidIdError):
        parse_id(bad)


def test_resolve_home_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOPMINE_HOME", str(tmp_path / "env"))
    assert resolve_home(None).root == (tmp_path / "env").resolve()
    assert resolve_home(tmp_path / "cli").root == (tmp_path / "cli").resolve()
    monkeypatch.delenv("FLOPMINE_HOME")
    monkeypatch.chdir(tmp_path)
    assert resolve_home(None).root == (tmp_path / "flopmine-data").resolve()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError):
        resolve_home(tmp_path / "file")


def _hold_lock(root: str, ready: multiprocessing.synchronize.Event, done: multiprocessing.synchronize.Event) -> None:
    with home_lock(resolve_home(root), "test"):
        ready.set()
        done.wait(10)


def test_home_lock_excludes_other_process(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    ready, done = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_hold_lock, args=(str(tmp_path), ready, done))
    proc.start()
    try:
        assert ready.wait(10)
        with pytest.raises(LockedError) as err, home_lock(resolve_home(tmp_path)):
            pass
        assert err.value.exit_code == 75
    finally:
        done.set()
        proc.join(10)
    with home_lock(resolve_home(tmp_path)):  # free again once the holder exits
        pass


def test_atomic_path_leaves_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_csv_neutralises_formulas(tmp_path: Path) -> None:
    assert neutralise_cell("=1+1") == "'=1+1"
    assert neutralise_cell("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise_cell("-12.5") == "-12.5"
    assert neutralise_cell("ResNet") == "ResNet"
    out = tmp_path / "x.csv"
    write_csv_atomic(out, ["a", "b"], [{"a": "=HYPERLINK(\"x\")", "b": 3}], bom=True)
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert "'=HYPERLINK" in data.decode("utf-8-sig")


def test_candidate_ids_are_stable_and_version_scoped() -> None:
    c1 = Candidate("1512.03385", 1, "params", 25.6e6, model="ResNet-50")
    c2 = Candidate("1512.03385", 1, "params", 25600000.0, model=" resnet-50 ", page=9, confidence=0.3)
    c3 = Candidate("1512.03385", 2, "params", 25.6e6, model="ResNet-50")
    assert c1.candidate_id == c2.candidate_id
    assert c1.candidate_id != c3.candidate_id
    assert c1.fact_key == c3.fact_key
    assert candidate_id("a", 1, "", "", "flops", 1.0) != candidate_id("a", 1, "", "", "params", 1.0)
    assert fact_key("a", "", "", "hardware", "V100") == fact_key("a", "", "", "hardware", " v100")


def test_store_round_trip(conn) -> None:  # type: ignore[no-untyped-def]
    paper = Paper("hep-th/9901001", 2, "A title", ("A. Author",), "abs", ("hep-th",), "hep-th",
                  "1999-01-04T00:00:00Z", "1999-02-01T00:00:00Z", "http://x/pdf/hep-th/9901001v2", ("imagenet",))
    with conn:
        assert upsert_paper(conn, paper) is True
        assert upsert_paper(conn, paper) is False
    got = get_paper(conn, "hep-th/9901001")
    assert got == paper
    cands = [Candidate("hep-th/9901001", 2, "flops", 3.8e9, rank=1, bbox=(1, 2, 3, 4), flags=("table",)),
             Candidate("hep-th/9901001", 2, "hardware", "NVIDIA V100", rank=1)]
    n = replace_candidates(conn, "hep-th/9901001", 2, cands, extraction={"status": "ok", "rule_version": "1"})
    assert n == 2
    back = candidates_for(conn, "hep-th/9901001")
    assert sorted(back, key=lambda c: c.field) == sorted(cands, key=lambda c: c.field)
    replace_candidates(conn, "hep-th/9901001", 2, cands[:1], extraction={"status": "ok", "rule_version": "2"})
    assert len(candidates_for(conn, "hep-th/9901001")) == 1


def test_store_file_uses_wal(tmp_path: Path) -> None:
    c = connect(tmp_path / "s.sqlite")
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_fact_row_round_trip() -> None:
    f = Fact("1512.03385", 1, "params", 25.6e6, model="ResNet-50", decision="accept", reviewer="ann")
    row = {k: str(v) for k, v in f.to_row().items()}
    assert Fact.from_row(row) == f
    assert row["fact_key"] == f.fact_key


def test_registry_loads_and_rejects_typos(tmp_path: Path) -> None:
    reg = load_registry()
    assert {"imagenet", "cifar10", "cifar100", "coco", "conll2003", "wmt14_en_de", "wmt14_en_fr", "squad11",
            "swb_hub500"} <= set(reg)
    assert "cat:cs.CV" in reg["imagenet"].arxiv_query
    bad = tmp_path / "r.toml"
    bad.write_text('[x]\ntitle="t"\nquery="q"\nmetrics=["acc"]\nprimary_metric="acc"\nmetircs=[]\n')
    with pytest.raises(ConfigError, match="unknown key"):
        load_registry(bad)
    bad.write_text('[x]\ntitle="t"\nquery="q"\nmetrics=["accuracy"]\nprimary_metric="acc"\n')
    with pytest.raises(ConfigError, match="unknown metric"):
        load_registry(bad)


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_atomic_writes_respect_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        write_text_atomic(tmp_path / "report.html", "<html></html>")
        write_csv_atomic(tmp_path / "dataset.csv", ["a"], [{"a": 1}])
        with atomic_path(tmp_path / "x.pdf", suffix=".part") as tmp:
            tmp.write_bytes(b"%PDF-")
    finally:
        os.umask(old)
    for name in ("report.html", "dataset.csv", "x.pdf"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name


# ---------------------------------------------------------------- store errors are one line (issue 19, item 17)


def _flopmine(*args: str, cwd: Path | None = None, limit_file_bytes: int | None = None):  # type: ignore[no-untyped-def]
    """Run the installed ``flopmine`` command; ``limit_file_bytes`` caps the size of any file it writes."""
    import resource
    import subprocess
    import sys

    def cap() -> None:
        if limit_file_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_bytes, limit_file_bytes))

    exe = Path(sys.executable).with_name("flopmine")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOPMINE_")}
    return subprocess.run([str(exe), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
                          preexec_fn=cap if limit_file_bytes is not None else None)


def _one_line_error(proc) -> str:  # type: ignore[no-untyped-def]
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout and "sqlite3." not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def _store_with_papers(path: Path, n: int = 400) -> None:
    conn = connect(path)
    with conn:
        for i in range(n):
            upsert_paper(conn, Paper(f"1901.{i:05d}", 1, f"Paper {i} " + "words " * 40, abstract="text " * 200))
    conn.close()


def test_a_garbage_store_is_one_line_saying_what_to_do(tmp_path: Path) -> None:
    from flopmine.store import StoreError

    home = tmp_path / "home"
    home.mkdir()
    (home / "flopmine.sqlite").write_bytes(os.urandom(64 * 1024))
    with pytest.raises(StoreError, match="damaged or is not a flopmine store"):
        connect(home / "flopmine.sqlite")
    line = _one_line_error(_flopmine("--home", str(home), "extract"))
    assert "flopmine.sqlite is damaged or is not a flopmine store" in line and "move it aside" in line


def test_a_truncated_store_is_one_line_saying_what_to_do(tmp_path: Path) -> None:
    home = tmp_path / "home"
    db = home / "flopmine.sqlite"
    _store_with_papers(db)
    data = db.read_bytes()
    assert len(data) > 100_000
    db.write_bytes(data[: len(data) // 3])
    for wal in home.glob("flopmine.sqlite-*"):
        wal.unlink()
    line = _one_line_error(_flopmine("--home", str(home), "status"))
    assert "damaged" in line and str(db) in line


def test_a_full_disk_while_writing_the_store_is_a_store_error(tmp_path: Path) -> None:
    from flopmine.store import StoreError

    conn = connect(tmp_path / "flopmine.sqlite")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # SQLite reports SQLITE_FULL past it, as on a full disk
    cands = [Candidate(arxiv_id="1901.00001", version=1, field="epochs", value=float(i), snippet="x" * 300)
             for i in range(1, 200)]
    with pytest.raises(StoreError, match="the disk is full: cannot write .*flopmine.sqlite; free some space"):
        replace_candidates(conn, "1901.00001", 1, cands, extraction={"status": "ok", "rule_version": "t"})
    conn.close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs (needs the right to mount: skipped elsewhere)."""
    import subprocess

    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs: {done.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_full_disk_during_extract_is_one_line(tmp_path: Path, small_disk: Path) -> None:
    from tests.support import pdfs

    pdf_dir = tmp_path / "in"
    pdfs.text_pdf(pdf_dir / "1001.00001v1.pdf", ["We train our model for 90 epochs on 8 NVIDIA V100 GPUs."])
    home = small_disk / "home"
    connect(home / "flopmine.sqlite").close()
    (home / ".lock").write_text("")
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    (small_disk / "filler").write_bytes(b"\0" * (free - 40 * 1024))  # room for SQLite's 32 KiB -shm, not more
    proc = _flopmine("--home", str(home), "extract", str(pdf_dir), "--workers", "1")
    line = _one_line_error(proc)
    assert "the disk is full: cannot write" in line and "free some space" in line, line


def test_a_home_path_too_long_for_sqlite_is_one_line(tmp_path: Path) -> None:
    from flopmine.store import MAX_DB_PATH_BYTES, StoreError

    home = tmp_path
    while len(str(home / "flopmine.sqlite").encode()) <= MAX_DB_PATH_BYTES + 20:
        home = home / ("d" * 60)
    with pytest.raises(StoreError, match="use a shorter --home"):
        connect(home / "flopmine.sqlite")
    line = _one_line_error(_flopmine("--home", str(home), "extract"))
    assert "bytes, longer than the" in line and "use a shorter --home" in line
    ok = tmp_path / "ok"
    connect(ok / "flopmine.sqlite").close()  # an ordinary path still opens


def test_the_papers_of_a_benchmark_are_found_through_an_index(tmp_path: Path) -> None:
    """The review's --benchmark lists and status ask for one benchmark's papers: an index answers it, in a new
    store and in one made before the index existed (``connect`` adds it)."""
    conn = connect(tmp_path / "s.sqlite")
    query = "SELECT arxiv_id FROM paper_benchmarks WHERE benchmark = ?"
    try:
        conn.execute("DROP INDEX paper_benchmarks_benchmark")  # a store from before the index
        conn.commit()
        assert any("SCAN paper_benchmarks" in r[-1] for r in conn.execute(f"EXPLAIN QUERY PLAN {query}", ("coco",)))
    finally:
        conn.close()
    conn = connect(tmp_path / "s.sqlite")
    try:
        plan = [r[-1] for r in conn.execute(f"EXPLAIN QUERY PLAN {query}", ("coco",))]
        assert plan and all("SCAN" not in d for d in plan) and any("paper_benchmarks_benchmark" in d for d in plan)
    finally:
        conn.close()
