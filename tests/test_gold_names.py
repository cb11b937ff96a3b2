"""The model-name matching rule's normalisation (``extract.gold.match_form``): a size multiplier printed "2×",
"2x" or "×1.0" / "x1.0" names one model (issue 17)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flopmine.extract.gold import DEFAULT_MODEL_MATCH, GoldFact, model_match_score, models_match

_BASE = st.sampled_from(["ShuffleNet v2", "MobileNetV2", "DY-MobileNetV2", "ResNeXt-50", "CondenseNet", "WRN"])
_SIZE = st.sampled_from(["0.5", "1", "1.0", "1.5", "2", "0.75", "3"])
_SIGN = st.sampled_from(["×", "x", "X"])


@given(_BASE, _SIZE, _SIGN, _SIGN, st.booleans())
def test_a_multiplier_matches_whatever_sign_the_paper_and_the_gold_use(base: str, size: str, sign_a: str,
                                                                       sign_b: str, before: bool) -> None:
    a = f"{base} {sign_a}{size}" if before else f"{base} {size}{sign_a}"
    b = f"{base} {size}{sign_b}"
    assert model_match_score(a, b) == 100.0
    assert models_match(GoldFact("1", "flops", 1e9, model=a), b)


def test_times_sign_and_letter_x_name_one_shufflenet_width() -> None:
    """Before: "2×" was read as the token "2" and "2x" as "2x", so only the bare family matched fully."""
    assert model_match_score("ShuffleNet v2 2x", "ShuffleNet v2 2×") == 100.0
    assert model_match_score("DY-MobileNetV2 ×1.0", "DY-MobileNetV2 x1.0") == 100.0


def test_letters_x_inside_names_are_kept() -> None:
    """Only a sign next to a number is a multiplier: "ResNeXt" and "Xception" keep their x."""
    assert model_match_score("ResNeXt-50", "ResNet-50") < 100.0
    assert model_match_score("Xception", "ception") < DEFAULT_MODEL_MATCH + 30
