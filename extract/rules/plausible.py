"""Plausibility: a value that cannot be right for its field (a grant number read as a GPU count, a
year read as epochs) is left out where the rules hand their mentions to the ranker, so it never
takes a place in a capped list, never sets the list's relative floor, and never reaches the store,
the queue or a reviewer; extraction counts what it left out in its run summary.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flopmine.types import FIELDS, Candidate

if TYPE_CHECKING:
    from ..ranking import Found

log = logging.getLogger(__name__)


def implausibility(c: Candidate) -> str | None:
    """Why ``c`` cannot be a value of its field, or None: a number outside the field's plausible range
    (``FieldSpec.plausible_range``, the range review import checks) or a unit outside its vocabulary.

    >>> from flopmine.types import Candidate
    >>> implausibility(Candidate(arxiv_id="1", version=1, field="hardware_count", value=1533771.0, unit="devices"))
    'hardware_count 1.53377e+06 is outside 1–100000'
    >>> implausibility(Candidate(arxiv_id="1", version=1, field="epochs", value=90.0, unit="epochs")) is None
    True
    """
    spec = FIELDS.get(c.field)
    if spec is None:
        return f"unknown field {c.field!r}"
    if spec.numeric:
        if not isinstance(c.value, int | float) or c.value != c.value:  # text or NaN
            return f"{c.field} {c.value!r} is not a number"
        lo, hi = spec.plausible_range
        if (lo is not None and c.value < lo) or (hi is not None and c.value > hi):
            return f"{c.field} {c.value:g} is outside {lo:g}–{hi:g}" if lo is not None and hi is not None else (
                f"{c.field} {c.value:g} is outside its plausible range")
    unit = c.unit.strip().lower()
    if unit and unit not in {u.lower() for u in (spec.unit, *spec.unit_aliases) if u}:
        return f"{c.field} unit {c.unit!r} is not one of its units"
    return None


def plausible_found(found: Found) -> tuple[Found, int]:
    """(the mentions whose candidate is plausible, how many were left out)."""
    kept: Found = []
    for entry in found:
        c = entry[0]
        why = implausibility(c)
        if why is None:
            kept.append(entry)
        else:
            log.debug("%sv%s: dropped implausible candidate (%s) from %r", c.arxiv_id, c.version, why, c.raw)
    return kept, len(found) - len(kept)
