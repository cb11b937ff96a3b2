"""The offline demo: the whole pipeline on a generated corpus served by a loopback fake arXiv.

harvest (fake arXiv on 127.0.0.1) → extract (process pool) → review (a scripted reviewer fills
the exported review CSVs from the bundled decisions file, then imports them like a person
would) → build the dataset → fit the scaling laws and write the report.

Every stage is called through its library entry point, exactly as the CLI commands do; the
only demo-specific pieces are the generated corpus and the scripted reviewer.
"""

from __future__ import annotations

import csv
import logging
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flopmine.config import Home, write_csv_atomic
from flopmine.demo.corpus import DemoCorpus, build_corpus, decisions_csv_text
from flopmine.demo.fakearxiv import FakeArxiv, FakeEntry
from flopmine.errors import ConfigError
from flopmine.store import connect
from flopmine.types import FIELDS

log = logging.getLogger(__name__)

DEMO_MARKER = ".flopmine-demo"
DEFAULT_DEMO_HOME = "flopmine-demo"
DEFAULT_DEMO_SEED = 2020
DEFAULT_DEMO_PAPERS = 36
DEFAULT_DEMO_INTERVAL = 0.02  # seconds between requests to the *loopback* fake arXiv (real arXiv: 3 s)
DEMO_REVIEWER = "demo-reviewer"
BUNDLED_DECISIONS = Path(__file__).resolve().parent / "decisions.csv"

Step = Callable[[str], None]  # announces a pipeline step (the CLI prints it)
# Makes a progress bar for a stage: description → context manager yielding (done, total, message).
ProgressFactory = Callable[[str], AbstractContextManager[Callable[[int, int, str], None]]]


@dataclass
class DemoReport:
    """What the demo did, stage by stage (numbers for the closing summary)."""

    home: Home
    papers_served: int = 0  # distinct arXiv ids (searches show a paper's newest version only)
    harvest_new: int = 0
    pdfs_ok: int = 0
    pdfs_failed: dict[str, str] = field(default_factory=dict)  # id → reason
    extracted_ok: int = 0
    extraction_failed: dict[str, str] = field(default_factory=dict)
    candidates: int = 0
    review_files: list[Path] = field(default_factory=list)
    accepted: int = 0
    rejected: int = 0
    added: int = 0
    dataset_rows: int = 0
    dataset_files: list[Path] = field(default_factory=list)
    report_files: list[Path] = field(default_factory=list)
    summary_rows: list[dict[str, object]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def report_path(self) -> Path | None:
        for p in self.report_files:
            if p.name == "report.html":
                return p
        return self.report_files[0] if self.report_files else None


def prepare_home(root: Path, *, fresh: bool = True) -> Home:
    """Create the demo home. An old demo home (it carries a marker file) is wiped when ``fresh``;
    any other non-empty directory is refused, so the demo never deletes a user's data."""
    root = root.expanduser().resolve()
    if root.exists() and any(root.iterdir()):
        if not (root / DEMO_MARKER).exists():
            raise ConfigError(f"{root} is not empty and is not a flopmine demo home; "
                              "choose another --home for the demo")
        if fresh:
            shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / DEMO_MARKER).write_text("created by `flopmine demo`; safe to delete\n")
    home = Home(root=root)
    home.ensure()
    return home


@contextmanager
def serve_corpus(corpus: DemoCorpus) -> Iterator[FakeArxiv]:
    """Serve every corpus entry (good and broken) from a loopback fake arXiv."""
    entries = [FakeEntry(e.paper, e.body, e.content_type) for e in corpus.entries]
    with FakeArxiv(entries) as fake:
        yield fake


# ---------------------------------------------------------------- the scripted reviewer


@dataclass(frozen=True)
class KnownFact:
    """One row of the bundled decisions file: a fact the demo reviewer knows is in the paper."""

    arxiv_id: str
    version: int
    benchmark: str
    model: str
    field: str
    value: float | str
    page: int


def load_known_facts(text: str) -> list[KnownFact]:
    """Parse the bundled decisions CSV (``arxiv_id, version, benchmark, model, field, value, unit, page, note``)."""
    out = []
    for row in csv.DictReader(text.splitlines()):
        spec = FIELDS[row["field"]]
        value: float | str = float(row["value"]) if spec.numeric else row["value"]
        out.append(KnownFact(row["arxiv_id"], int(row["version"] or 1), row["benchmark"], row["model"],
                             row["field"], value, int(row["page"] or 0)))
    return out


def same_value(field_name: str, a: object, b: object) -> bool:
    """The corpus README's scoring convention (``flopmine eval``): equal within 0.5 % or by device name."""
    from flopmine.extract.gold import values_match

    return values_match(field_name, str(b), field_name, str(a))


def fill_review_sheet(rows: list[dict[str, str]], known: list[KnownFact],
                      matched: set[int]) -> list[dict[str, str]]:
    """Decide every pending row as a careful reviewer would: accept the best candidate that states a
    known fact (one per fact), reject the rest. ``matched`` collects the indexes of known facts used."""
    by_paper: dict[tuple[str, str], list[tuple[int, KnownFact]]] = defaultdict(list)
    for i, k in enumerate(known):
        by_paper[(k.arxiv_id, k.field)].append((i, k))
    ordered = sorted(range(len(rows)), key=lambda j: (int(rows[j].get("rank") or 0) or 10**6))
    for j in ordered:
        row = rows[j]
        if row.get("decision"):
            continue  # already decided (earlier run): keep it
        pick = None
        for i, k in by_paper.get((row["arxiv_id"], row["field"]), []):
            if i in matched:
                continue
            if k.benchmark and row.get("benchmark") and k.benchmark != row["benchmark"]:
                continue
            if same_value(row["field"], row["value"], k.value):
                pick = i
                break
        row["reviewer"] = DEMO_REVIEWER
        if pick is None:
            row["decision"] = "reject"
        else:
            matched.add(pick)
            row["decision"] = "accept"
    return rows


def added_rows(known: list[KnownFact], matched: set[int]) -> list[dict[str, str]]:
    """``add`` rows for the known facts no candidate stated (what the extractor missed)."""
    return [
        {"decision": "add", "arxiv_id": k.arxiv_id, "version": str(k.version), "benchmark": k.benchmark,
         "model": k.model, "field": k.field, "value": str(k.value), "page": str(k.page),
         "reviewer": DEMO_REVIEWER, "note": "missed by the extractor"}
        for i, k in enumerate(known) if i not in matched
    ]


def review_as_demo_reviewer(sheets: list[Path], known: list[KnownFact], out_dir: Path) -> list[Path]:
    """Read exported review CSVs, fill in decisions, write the filled copies (atomically) to ``out_dir``."""
    matched: set[int] = set()
    filled: list[Path] = []
    header: list[str] = []
    for sheet in sheets:
        with open(sheet, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = list(reader.fieldnames or [])
            rows = [dict(r) for r in reader]
        rows = fill_review_sheet(rows, known, matched)
        target = out_dir / sheet.name
        write_csv_atomic(target, header, rows, neutralise=False)
        filled.append(target)
    extra = added_rows(known, matched)
    if extra:
        target = out_dir / "added-by-reviewer.csv"
        write_csv_atomic(target, header or list(extra[0]), extra, neutralise=False)
        filled.append(target)
    return filled


def bundled_decisions_text(corpus: DemoCorpus, n_papers: int) -> str:
    """The bundled decisions file for the default corpus (from a checkout), else the same text
    regenerated for this corpus (a test's smaller one)."""
    if BUNDLED_DECISIONS.is_file() and corpus.seed == DEFAULT_DEMO_SEED and n_papers == DEFAULT_DEMO_PAPERS:
        return BUNDLED_DECISIONS.read_text(encoding="utf-8")
    return decisions_csv_text(corpus)


# ---------------------------------------------------------------- the pipeline

#: The first paragraph of the demo's report: none of its papers, numbers or fits are real.
SYNTHETIC_NOTE = ("Demo data: the {papers} papers in this report are synthetic, generated by `flopmine demo` "
                  "(flopmine/demo/corpus.py) and served by a loopback fake arXiv; their ids, models and numbers are "
                  "invented, so the fits below show the pipeline working, not findings about deep learning. Run "
                  "flopmine on harvested papers (README) for real results.")


def run_demo(root: Path, *, seed: int = DEFAULT_DEMO_SEED, n_papers: int = DEFAULT_DEMO_PAPERS,
             workers: int = 2, sims: int = 3, fresh: bool = True, interval: float = DEFAULT_DEMO_INTERVAL,
             step: Step | None = None, progress_factory: ProgressFactory | None = None) -> DemoReport:
    """Run harvest → extract → review → build → analyze on the generated corpus, offline.

    ``step`` is told the name of each stage as it starts; ``progress_factory(description)`` returns
    a context manager yielding a ``(done, total, message)`` callback (the CLI's progress bars).
    """
    from flopmine import harvest, review
    from flopmine.analysis.build import build_from_home
    from flopmine.analysis.report import analyze_to_dir
    from flopmine.extract.pipeline import inputs_from_store
    from flopmine.extract.pipeline import run as extract_run
    from flopmine.extract.queue import write_queue

    say = step or (lambda message: None)
    bars = progress_factory or _no_progress
    home = prepare_home(root, fresh=fresh)
    report = DemoReport(home=home)

    say(f"Generating the demo corpus ({n_papers} papers + broken PDFs)")
    corpus = build_corpus(seed=seed, n_papers=n_papers)
    report.papers_served = len({e.paper.arxiv_id for e in corpus.entries})

    with serve_corpus(corpus) as fake:
        say(f"Harvesting from the loopback fake arXiv at {fake.base_url}")
        with bars("harvest") as progress:
            h = harvest.run(home, api_url=fake.api_url, min_interval=interval, progress=progress)
    report.harvest_new = h.new_versions
    report.pdfs_ok = len(h.downloaded)
    report.pdfs_failed = {o.arxiv_id + f"v{o.version}": o.reason for o in h.failed}

    say(f"Extracting candidate facts ({workers} worker processes)")
    conn = connect(home.db_path)
    try:
        with bars("extract") as progress:
            summary = extract_run(conn, inputs_from_store(conn, home.pdf_dir), workers=workers,
                                  on_progress=progress)
        report.extracted_ok = sum(1 for r in summary.results if r.ok)
        report.extraction_failed = {
            f"{r.arxiv_id}v{r.version}": r.reason if r.reason.startswith(r.status) else f"{r.status}: {r.reason}"
            for r in summary.failed}
        report.candidates = summary.candidates
        write_queue(conn, home.queue_dir / "queue.csv")

        say("Reviewing: exporting review CSVs, the demo reviewer fills them, importing them")
        exported = review.export(conn, home, home.root / "review", pending_only=True)
        known = load_known_facts(bundled_decisions_text(corpus, n_papers))
        filled = review_as_demo_reviewer(list(exported.files), known, home.root / "review" / "filled")
        imported = review.import_files(conn, home, filled, reviewer=DEMO_REVIEWER)
        report.review_files = filled
        for d in (imported.report.applied if imported.report else ()):
            if d.decision == "reject":
                report.rejected += 1
            elif d.decision == "add":
                report.added += 1
            else:
                report.accepted += 1
    finally:
        conn.close()

    say("Building the dataset from the reviewed facts")
    built = build_from_home(home)
    report.dataset_rows = len(built.result.frame)
    report.dataset_files = list(built.paths)
    report.warnings.extend(built.warnings)

    say("Fitting the scaling laws and writing the report")
    with bars("analyze") as progress:
        analysed = analyze_to_dir(home.dataset_dir / "dataset.csv", home.report_dir, sims=sims, progress=progress,
                                  note=SYNTHETIC_NOTE.format(papers=report.papers_served))
    report.report_files = list(analysed.paths)
    report.warnings.extend(str(p) for p in analysed.result.problems)
    report.summary_rows = [
        {"benchmark": f.benchmark, "measure": f.measure, "n": f.n, "slope": f.polynomial.slope.estimate,
         "k": f.exponent.k, "r2": f.polynomial.r2}
        for f in analysed.result.fits.fits
    ]
    return report



@contextmanager
def _no_progress(description: str) -> Iterator[Callable[[int, int, str], None]]:
    yield lambda done, total, message="": None
