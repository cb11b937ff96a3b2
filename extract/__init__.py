"""The extract stage: PDFs → candidate facts with evidence → the review queue.

* ``extract.pdf.read_document`` — a PDF into the page model (``extract.document``).
* ``extract.rules.candidates`` — a ``Document`` into ranked ``Candidate`` facts.
* ``extract.pipeline.extract_one`` / ``extract_many`` — one PDF or a batch, in worker processes
  with a time limit and a memory cap; ``extract.pipeline.run`` also stores results.
* ``extract.queue.write_queue`` — the review-queue CSV (columns ``QUEUE_COLUMNS``).

This module stays import-light (no PDF libraries): other stages import ``QUEUE_COLUMNS`` from it.
"""

from __future__ import annotations

# Columns of the review-queue CSV, in file order. The last four are for reviewers and start empty.
QUEUE_COLUMNS: tuple[str, ...] = (
    "candidate_id", "arxiv_id", "version", "benchmark", "model", "field", "value", "unit", "page", "snippet",
    "confidence", "rank", "rule", "flags", "raw", "fact_key",
    "decision", "corrected_value", "reviewer", "note",
)
REVIEWER_COLUMNS: tuple[str, ...] = ("decision", "corrected_value", "reviewer", "note")

__all__ = ["QUEUE_COLUMNS", "REVIEWER_COLUMNS"]
