"""Score ``extract.pdfmeta`` on the corpus: each PDF's title and arXiv stamp against ``sources_<group>.csv``.

A title counts when it equals the sources file's title after normalising (letters and digits, lower case);
a stamp counts when its id and version equal the version the sources file notes ("arXiv v3"). Reads the
corpus in place; copies nothing.

Usage: .venv/bin/python bench/pdf_metadata.py [--corpus ../shared/corpus] [--groups efficient,mixed,recent,speech]
       [--verbose]
"""

from __future__ import annotations

import argparse
import csv
import re
import time
from pathlib import Path

from flopmine.extract.pdfmeta import read_pdf_metadata
from flopmine.ids import ArxivId

# The groups the heuristics were written against; the others are held out.
DEV_GROUPS = ("vision", "classic", "nlp", "detection")
HELD_OUT_GROUPS = ("efficient", "mixed", "recent", "speech")


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared" / "corpus")
    ap.add_argument("--groups", default=",".join(HELD_OUT_GROUPS))
    ap.add_argument("--verbose", action="store_true", help="print every PDF, not only the misses")
    args = ap.parse_args()
    titles = n = stamps = noted = 0
    start = time.perf_counter()
    for group in args.groups.split(","):
        with (args.corpus / f"sources_{group}.csv").open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                pdf = args.corpus / "pdfs" / ArxivId(row["arxiv_id"]).filename()
                meta = read_pdf_metadata(pdf)
                n += 1
                good = _norm(meta.title) == _norm(row["title"])
                titles += good
                m = re.search(r"arXiv v(\d+)", row.get("notes", ""))
                if m:
                    noted += 1
                    stamps += meta.stamp is not None and meta.stamp == (row["arxiv_id"], int(m.group(1)))
                if args.verbose or not good:
                    print(f"{row['arxiv_id']}: {meta.title!r} | sources: {row['title']!r} | stamp {meta.stamp}")
    print(f"titles {titles}/{n}; stamps equal to the noted version {stamps}/{noted}; "
          f"{time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
