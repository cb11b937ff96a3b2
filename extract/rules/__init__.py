"""Extraction rules: a ``Document`` in, ranked ``Candidate`` facts with evidence out.

``candidates(doc)`` is pure (no I/O beyond reading the packaged pattern tables once per process).
``RULE_VERSION`` changes whenever the pattern tables or the rule code change, so the pipeline knows which
papers to re-extract. The modules, in the order a paper flows through them:

- ``engine``: the spaCy Matcher over the pattern tables in ``patterns/`` (field, pattern, unit, normaliser)
- ``context``: sections, sentences, model names and the paper's own model families
- ``benchmark_names``: which benchmark a number belongs to
- ``text_rules``: candidates from running text, with their sentence's evidence
- ``table_rows``: candidates from table cells, with their row and column evidence
- ``hardware_mentions``: device mentions matched onto the hardware catalog
- ``paper_evidence``: evidence that needs the whole paper (headline values, rounded mentions)
- ``plausible``: values that cannot be right for their field, left out before ranking
- ``paper``: ``candidates(doc)``, putting the above together and ranking
- ``version``: ``RULE_VERSION``

>>> from flopmine.extract.document import Document
>>> doc = Document.from_texts(["We trained our model for 90 epochs on eight GPUs."])
>>> sorted((c.field, c.value) for c in candidates(doc))
[('epochs', 90.0), ('hardware_count', 8.0)]
"""

from __future__ import annotations

from .engine import Rule, engine, load_rules
from .paper import candidates, candidates_counted
from .version import RULE_VERSION

__all__ = ["RULE_VERSION", "Rule", "candidates", "candidates_counted", "engine", "load_rules"]
