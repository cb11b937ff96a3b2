"""``RULE_VERSION``: a hash of the rule tables and the rule code, so any change re-extracts."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .engine import load_rules

_LOGIC_VERSION = "1"  # bump on a change of meaning the source hash would not show (e.g. a dependency)
# The modules whose code decides what a candidate is; their source is part of RULE_VERSION.
_LOGIC_MODULES = ("rules/__init__.py", "rules/engine.py", "rules/context.py", "rules/benchmark_names.py",
                  "rules/text_rules.py", "rules/table_rows.py", "rules/hardware_mentions.py",
                  "rules/paper_evidence.py", "rules/plausible.py", "rules/paper.py", "grid.py", "tables.py", "normalise.py", "evidence.py",
                  "ranking.py", "models/default-ranker.json")


def _rule_version() -> str:
    """``<logic>-<hash of the rule tables and the rule code>``: any change re-extracts."""
    h = hashlib.sha1(_LOGIC_VERSION.encode())
    for r in load_rules():
        h.update(repr(r).encode())
    root = Path(__file__).resolve().parent.parent
    for name in _LOGIC_MODULES:
        h.update((root / name).read_bytes())
    return f"{_LOGIC_VERSION}-{h.hexdigest()[:10]}"


RULE_VERSION: str = _rule_version()
