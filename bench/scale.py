"""Scale bench: time and peak memory of each stage on stores of N papers (issue 20).

For each N it builds a home of N papers from copies of the PDFs given (each copy a distinct arXiv id), then
times, each as its own ``flopmine`` process (so peak memory is that stage's own):

- harvest: N entries' metadata from the loopback fake arXiv (``--no-pdf``, no request spacing);
- extract, nothing new: ``flopmine extract`` on a store where every PDF is already extracted;
- review export, and review import of one sheet with one decision;
- a browser decision: ``review serve``, its first page, then five accepts (POST) timed, one after the other;
- build.

Candidates of the copies are the extracted candidates of the original PDFs, re-keyed to the copy's id, so
the store holds N papers' real candidates without extracting N PDFs. Stages that grow linearly show a
constant time per paper; stages that should be flat (extract with nothing new, one decision) show a
constant time. The last column is the ratio of the largest N's time to the smallest's, beside the ratio of N.

Usage: .venv/bin/python bench/scale.py --pdfs ../shared/corpus/pdfs --papers 75 600 5000
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flopmine.config import resolve_home  # noqa: E402
from flopmine.demo.fakearxiv import FakeArxiv, FakeEntry  # noqa: E402
from flopmine.ids import ArxivId  # noqa: E402
from flopmine.store import candidates_for, connect, now_iso, replace_candidates, upsert_paper  # noqa: E402
from flopmine.types import Paper  # noqa: E402

FLOPMINE = Path(sys.executable).parent / "flopmine"
DECISIONS = 5  # browser decisions timed; the table shows their median
STAGES = ("harvest", "extract (nothing new)", "review export", "review import (1 decision)",
          "browser: first page", "browser: 1 decision (median of 5)", "build")


@dataclasses.dataclass
class Measure:
    seconds: float
    peak_mib: float | None  # None: not a process of its own (the browser's requests, timed by the client)

    def cell(self) -> str:
        return f"{self.seconds:.2f}, " + ("–" if self.peak_mib is None else f"{self.peak_mib:.0f}")


def _cmd(home: Path, *args: str) -> list[str]:
    exe = [str(FLOPMINE)] if FLOPMINE.exists() else [sys.executable, "-m", "flopmine"]
    return [*exe, "--home", str(home), "--quiet", *args]


def run_stage(argv: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> Measure:
    """Run one process; its wall time and peak resident memory (from the kernel's rusage of that child)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if code not in ok:
        raise SystemExit(f"{' '.join(argv)} exited {code}: {err.strip()[-400:]}")
    return Measure(seconds, usage.ru_maxrss / 1024)


def copy_id(i: int) -> str:
    """The i-th copy's arXiv id: new-style, 5-digit numbers, one month per 99,999 papers."""
    month = datetime(2019, 1, 1) + timedelta(days=31 * (i // 99_999))
    return f"{month:%y%m}.{i % 99_999 + 1:05d}"


def seed_store(pdfs: list[Path], root: Path) -> Path:
    """Extract the given PDFs once; their candidates are copied into every bench store."""
    home = root / "seed"
    run_stage(_cmd(home, "extract", "--workers", "1", *map(str, pdfs)), ok=(0, 1))
    return home


def seed_rule_version(seed: Path) -> str:
    """The rule version the seed was just extracted with (the current rules)."""
    src = connect(seed / "flopmine.sqlite")
    try:
        return str(src.execute("SELECT rule_version FROM extractions LIMIT 1").fetchone()[0])
    finally:
        src.close()


def reuse_home(root: Path, n: int, rule_version: str) -> Path | None:
    """A home of ``n`` papers kept by an earlier run (``--keep``), back to its state before the stages ran
    (no annotations, no page cache), or None. Building 5,000 papers' candidates takes minutes; a home extracted
    with other rules is built again, or "extract (nothing new)" would re-extract every paper."""
    home = resolve_home(root / f"home-{n}")
    if not home.db_path.is_file():
        return None
    conn = connect(home.db_path)
    try:
        papers, current = conn.execute("SELECT COUNT(*), TOTAL(rule_version = ?) FROM extractions",
                                       (rule_version,)).fetchone()
    finally:
        conn.close()
    if papers != n or current != n:
        return None
    for stale in (home.annotations_dir, home.root / "cache", root / f"review-{home.root.name}"):
        shutil.rmtree(stale, ignore_errors=True)
    return home.root


def build_home(seed: Path, pdfs: list[Path], n: int, root: Path, rule_version: str) -> Path:
    """A home of ``n`` papers: copies of the seed's papers with distinct ids, PDFs hard-linked, their candidates
    the seed's (extracted with ``rule_version``)."""
    home = resolve_home(root / f"home-{n}").ensure()
    src = connect(seed / "flopmine.sqlite")
    by_paper: dict[str, list] = {}
    for c in candidates_for(src):
        by_paper.setdefault(c.arxiv_id, []).append(c)
    src.close()
    originals = [p for p in pdfs if p.stem.split("v")[0] in by_paper] or pdfs
    conn = connect(home.db_path)
    for i in range(n):
        pdf = originals[i % len(originals)]
        aid = copy_id(i)
        name = ArxivId(aid, 1).filename()
        target = home.pdf_dir / name
        try:
            os.link(pdf, target)
        except OSError:
            shutil.copyfile(pdf, target)
        upsert_paper(conn, Paper(aid, 1, f"copy {i} of {pdf.stem}", published="2019-01-01T00:00:00Z",
                                 updated="2019-01-01T00:00:00Z", benchmarks=("imagenet",)))
        conn.execute("INSERT OR REPLACE INTO pdfs (arxiv_id, version, status, path, size, attempts, updated_at) "
                     "VALUES (?, 1, 'ok', ?, ?, 1, ?)", (aid, name, target.stat().st_size, now_iso()))
        cands = [dataclasses.replace(c, arxiv_id=aid, version=1) for c in by_paper.get(pdf.stem.split("v")[0], [])]
        replace_candidates(conn, aid, 1, cands, extraction={"rule_version": rule_version, "status": "ok"})
    conn.commit()
    conn.close()
    return home.root


def fake_entries(n: int) -> list[FakeEntry]:
    base = datetime(2019, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        when = (base + timedelta(minutes=7 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        p = Paper(copy_id(i), 1, f"A study {i} on ImageNet", authors=(f"A. Author {i}",),
                  abstract="We report ImageNet top-1 accuracy.", categories=("cs.CV",), primary_category="cs.CV",
                  published=when, updated=when)
        out.append(FakeEntry(p, b"%PDF-1.4\n%%EOF\n"))
    return out


def time_harvest(n: int, root: Path) -> Measure:
    with FakeArxiv(fake_entries(n)) as fake:
        env = {**os.environ, "FLOPMINE_ARXIV_API_URL": fake.api_url, "FLOPMINE_MIN_INTERVAL": "0"}
        return run_stage(_cmd(root / f"harvest-{n}", "harvest", "-b", "imagenet", "--no-pdf"), env=env)


def time_review(home: Path, root: Path) -> tuple[Measure, Measure]:
    out = root / f"review-{home.name}"
    export = run_stage(_cmd(home, "review", "export", "--out", str(out), "--no-bom"))
    sheet = next(p for p in sorted(out.rglob("*.csv")) if p.name != "paper_facts.csv")
    with sheet.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    fieldnames = list(rows[0])
    rows[0]["decision"], rows[0]["reviewer"] = "reject", "bench"
    with sheet.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fieldnames)
        w.writeheader()
        w.writerows(rows)
    imported = run_stage(_cmd(home, "review", "import", str(sheet)))
    return export, imported


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def time_browser(home: Path) -> tuple[float, float]:
    port = _free_port()
    proc = subprocess.Popen(_cmd(home, "review", "serve", "--port", str(port)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:  # the server listens once it is ready
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("review serve did not start within 120 s") from None
                time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=300) as c:
            t = time.perf_counter()
            page = c.get("/")
            first = time.perf_counter() - t
            page.raise_for_status()
            csrf = re.search(r'csrf-token" content="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            cid = re.search(r'data-candidate-id="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            times = []
            for _ in range(DECISIONS):  # one after the other, each on the next pending candidate
                t = time.perf_counter()
                r = c.post("/api/decide", json={"candidate_id": cid, "decision": "accept", "expected": ""},
                           headers={"X-CSRF-Token": csrf})
                times.append(time.perf_counter() - t)
                r.raise_for_status()
                cid = r.json()["next"]
            decide = statistics.median(times)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return first, decide


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pdfs", type=Path, required=True, help="a folder of PDFs named <arxiv id>[vN].pdf")
    ap.add_argument("--papers", type=int, nargs="+", default=[75, 600, 5000])
    ap.add_argument("--keep", type=Path, help="keep the bench homes here instead of a temporary folder; a home of "
                    "N papers kept there by an earlier run is reused (its annotations cleared)")
    args = ap.parse_args()
    pdfs = sorted(p for p in args.pdfs.iterdir() if p.suffix.lower() == ".pdf")
    if not pdfs:
        raise SystemExit(f"no PDFs in {args.pdfs}")
    sizes = sorted(set(args.papers))
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        print(f"seeding: extracting {len(pdfs)} PDFs once …", flush=True)
        seed = seed_store(pdfs, root)
        rules = seed_rule_version(seed)
        table: dict[str, dict[int, Measure]] = {s: {} for s in STAGES}
        for n in sizes:
            home = reuse_home(root, n, rules) if args.keep else None
            print(f"N = {n}: {'reusing the kept' if home else 'building the'} store …", flush=True)
            home = home or build_home(seed, pdfs, n, root, rules)
            table["harvest"][n] = time_harvest(n, root)
            run_stage(_cmd(home, "extract"))  # writes the queue once
            table["extract (nothing new)"][n] = run_stage(_cmd(home, "extract"))
            table["review export"][n], table["review import (1 decision)"][n] = time_review(home, root)
            first, decide = time_browser(home)
            table["browser: first page"][n] = Measure(first, None)
            table["browser: 1 decision (median of 5)"][n] = Measure(decide, None)
            table["build"][n] = run_stage(_cmd(home, "build"), ok=(0, 1))
        lo, hi = sizes[0], sizes[-1]
        head = " | ".join(f"N={n}: s, MiB" for n in sizes)
        print(f"\n| stage | {head} | time ratio {hi}/{lo} (N ratio {hi / lo:.0f}) |")
        print("|---|" + "---|" * len(sizes) + "---|")
        for stage, row in table.items():
            cells = " | ".join(row[n].cell() for n in sizes)
            print(f"| {stage} | {cells} | {row[hi].seconds / max(row[lo].seconds, 1e-6):.1f} |")
        usage = resource.getrusage(resource.RUSAGE_SELF)
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"\nmachine: {os.cpu_count()} CPUs; bench process peak {usage.ru_maxrss / 1024:.0f} MiB; "
              f"load average at the end (1 / 5 / 15 min): {load}")


if __name__ == "__main__":
    main()
