"""Bad ranker model files (issue 19 item 16): every one fails on load with one line naming the file, and a
home's broken model never falls back silently to the shipped one."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from flopmine.cli import app
from flopmine.errors import FlopmineError
from flopmine.extract.ranking import (
    FORMAT,
    FORMAT_VERSION,
    MAX_MODEL_BYTES,
    MAX_WEIGHT,
    Ranker,
    RankerError,
    home_model_path,
    load_model,
    model_for_home,
    model_in_use,
    model_path_for,
)


def _model(**over: object) -> dict[str, object]:
    d: dict[str, object] = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": "logistic_regression",
                            "features": ["weight", "ours"], "coef": [0.5, 1.0], "intercept": -1.0,
                            "priors": {"imagenet/top1_acc": [1.88, 0.05]}, "summary": {"samples": 3}}
    d.update(over)
    return d


def _write(path: Path, d: dict[str, object] | str) -> Path:
    path.write_text(d if isinstance(d, str) else json.dumps(d), encoding="utf-8")
    return path


def test_a_good_model_file_loads(tmp_path: Path) -> None:
    m = load_model(_write(tmp_path / "m.json", _model()))
    assert m.features == ("weight", "ours") and m.coef == (0.5, 1.0) and m.priors["imagenet/top1_acc"][1] == 0.05


@pytest.mark.parametrize("text,message", [
    ('{"coef": [NaN, 1.0]}', "'weight'.*not a finite number"),
    ('{"coef": [Infinity, 1.0]}', "'weight'.*not a finite number"),
    ('{"coef": [1e300, 1.0]}', "'weight'.*not a finite number within"),
    ('{"coef": [1e400, 1.0]}', "'weight'.*not a finite number"),
    ('{"intercept": NaN}', "intercept.*not a finite number"),
    ('{"features": "abc", "coef": [1, 2, 3]}', "features.*list of feature names"),
    ('{"features": ["a", "a"]}', "listed twice"),
    ('{"coef": ["1.0", 2]}', "not a number"),
    ('{"coef": [true, 2]}', "not a number"),
    ('{"coef": [1.0]}', "2 features but 1 coefficients"),
    ('{"priors": {"x/y": [1.0, 0.0]}}', "sd.*not positive"),
    ('{"priors": {"x/y": [NaN, 1.0]}}', "mean.*not a finite"),
    ('{"priors": [1, 2]}', "priors.*object"),
    ('{"summary": "abc"}', "summary.*object"),
])
def test_malformed_values_fail_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    over = json.loads(text.replace("NaN", '"__nan__"').replace("Infinity", '"__inf__"'))
    body = json.dumps(_model(**over)).replace('"__nan__"', "NaN").replace('"__inf__"', "Infinity")
    path = _write(tmp_path / "bad-model.json", body)
    with pytest.raises(RankerError, match=message) as e:
        load_model(path)
    assert str(e.value).startswith(str(path)) and "\n" not in str(e.value)


def test_a_dangling_home_model_link_is_an_error_not_the_shipped_model(tmp_path: Path) -> None:
    link = home_model_path(tmp_path)
    link.parent.mkdir(parents=True)
    os.symlink(tmp_path / "gone.json", link)
    with pytest.raises(RankerError, match=r"ranker\.json: model file is a dangling symbolic link"):
        model_for_home(tmp_path)
    with pytest.raises(RankerError, match="dangling"):
        model_path_for(tmp_path)
    assert model_in_use(tmp_path).startswith("unreadable")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_link_to_dev_zero_is_refused_without_reading_it(tmp_path: Path) -> None:
    link = home_model_path(tmp_path)
    link.parent.mkdir(parents=True)
    os.symlink("/dev/zero", link)
    with pytest.raises(RankerError, match="not a regular file"):
        model_for_home(tmp_path)


def test_an_oversized_model_file_is_read_only_up_to_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.write(b" " * (MAX_MODEL_BYTES + 10))
    with pytest.raises(RankerError, match=r"big\.json: model file is larger than"):
        load_model(big)


def test_cli_names_the_bad_file_in_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home_model_path(home).parent.mkdir(parents=True)
    _write(home_model_path(home), json.dumps(_model(coef=[1.0, 2.0])).replace("2.0", "NaN"))
    res = CliRunner().invoke(app, ["--home", str(home), "ranker", "show"])
    assert res.exit_code != 0
    err = str(res.exception) if isinstance(res.exception, FlopmineError) else res.output
    assert "ranker.json" in err and "nan" not in res.stdout.lower()


_json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                       st.text(max_size=5))
_json = st.recursive(_json_leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.text(max_size=5), inner, max_size=4)),
                     max_leaves=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["features", "coef", "intercept", "priors", "summary", "format_version"]), value=_json)
def test_any_malformed_entry_loads_valid_or_fails_with_a_ranker_error(tmp_path: Path, key: str, value: object) -> None:
    """Whatever JSON sits in one entry of a model file, loading either gives a model whose every weight is
    finite and bounded (so confidences are real probabilities) or a RankerError naming the file."""
    path = _write(tmp_path / "fuzz.json", json.dumps(_model(**{key: value})))
    try:
        m = load_model(path)
    except RankerError as e:
        assert str(e).startswith(str(path)) and "\n" not in str(e)
        return
    assert isinstance(m, Ranker) and len(m.features) == len(m.coef)
    assert all(isinstance(f, str) and f for f in m.features)
    assert all(math.isfinite(w) and abs(w) <= MAX_WEIGHT for w in (*m.coef, m.intercept))
    assert all(math.isfinite(a) and b > 0 for a, b in m.priors.values())
    p = m.probability({"weight": 1.0, "ours": 1.0})
    assert 0.0 <= p <= 1.0 and not math.isnan(p)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_any_bytes_load_or_fail_with_a_ranker_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bytes.json"
    path.write_bytes(data)
    try:
        load_model(path)
    except RankerError as e:
        assert str(e).startswith(str(path))
