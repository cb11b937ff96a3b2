"""Old import path, kept only for modules not yet moved (``rules/table_rows.py``, ``tests/test_rules.py``):
``Evidence`` now lives in ``extract.evidence`` and ``dedupe_and_rank`` in ``extract.ranking``. New code
imports from those; delete this file once nothing imports it."""

from __future__ import annotations

from .evidence import SECTIONS, Evidence
from .ranking import DEFAULT_MAX_PER_FIELD, DEFAULT_MIN_RELATIVE, RANK_GROUP, dedupe_and_rank

__all__ = ["DEFAULT_MAX_PER_FIELD", "DEFAULT_MIN_RELATIVE", "RANK_GROUP", "SECTIONS", "Evidence", "dedupe_and_rank"]
