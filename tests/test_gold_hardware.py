"""Scoring hardware: a gold name matches the extractor's canonical name when both name one catalog entry."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flopmine.extract.gold import normalise_hardware, values_match
from flopmine.hardware import load_catalog, match_hardware

CATALOG = load_catalog()
# Aliases the catalog itself resolves to their own entry (the scoring rule leans on match_hardware, not on the
# alias list, so an alias match_hardware sends elsewhere is the catalog's business, tested in test_hardware).
ALIASES = [(a, e.name) for e in CATALOG for a in e.aliases
           if (m := match_hardware(a)) is not None and m.entry.name == e.name]


def test_the_catalog_gives_aliases_to_score() -> None:
    assert len(ALIASES) > 50


@given(st.sampled_from(ALIASES))
def test_every_alias_of_an_entry_matches_its_canonical_name(pair: tuple[str, str]) -> None:
    alias, name = pair
    assert values_match("hardware", alias, "hardware", name)


@given(st.sampled_from(ALIASES), st.sampled_from(ALIASES))
def test_aliases_of_two_entries_match_only_when_the_names_overlap(a: tuple[str, str], b: tuple[str, str]) -> None:
    """Catalog identity adds matches only within one entry: across entries only the loose name rule can match."""
    (alias, name), (_, other) = a, b
    if name != other:
        loose = values_match("hardware", alias, "hardware", other)
        assert not loose or _overlap(alias, other)


def _overlap(a: str, b: str) -> bool:
    x, y = normalise_hardware(a), normalise_hardware(b)
    return bool(x and y and (x in y or y in x))


@pytest.mark.parametrize(("gold", "cand"), [
    ("Volta V100", "NVIDIA Tesla V100 SXM2"),
    ("Intel KNL", "Intel Xeon Phi 7250 (Knights Landing)"),
    ("1080 Ti or Volta V100", "NVIDIA Tesla V100 SXM2"),
])
def test_a_paper_s_name_for_a_device_matches_the_catalog_name(gold: str, cand: str) -> None:
    assert values_match("hardware", gold, "hardware", cand)


def test_different_devices_do_not_match() -> None:
    assert not values_match("hardware", "Volta V100", "hardware", "NVIDIA Tesla P100 PCIe")
    assert not values_match("hardware", "Intel KNL", "hardware", "NVIDIA Tesla K80")
