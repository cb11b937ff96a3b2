"""What build and analyze import, and what the garbage collector walks afterwards (issue 20 item 4).

A library imported for good (pandas, ``scipy.stats``, matplotlib) is left to reference counting
(``codes.long_lived``): the cyclic collector's full collections, and the one the interpreter makes as it exits,
walked its 90,000–190,000 objects each time. Importing the review package (build reads the annotations through it)
does not import extract's table rules.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

from flopmine import codes


@pytest.fixture
def collector_restored():
    """The collector as the test found it: enabled or not, nothing frozen by the test left frozen."""
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.parametrize("enabled", [True, False])
def test_a_long_lived_block_runs_without_the_collector_and_freezes_what_it_made(collector_restored, enabled: bool):
    if enabled:
        gc.enable()
    else:
        gc.disable()
    before = gc.get_freeze_count()
    with codes.long_lived():
        inside = gc.isenabled()
        made = [[i] for i in range(1000)]  # tracked containers
    assert not inside
    assert gc.isenabled() is enabled
    assert gc.get_freeze_count() >= before + len(made)
    assert all(gc.is_tracked(m) for m in made)


def test_a_long_lived_block_that_fails_still_restores_the_collector(collector_restored):
    gc.enable()
    with pytest.raises(ImportError), codes.long_lived():
        raise ImportError("no such module")
    assert gc.isenabled()


def test_import_long_lived_imports_a_module_once_and_freezes_only_then(collector_restored, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "flopmine_test_long_lived.py").write_text("TABLE = [[i] for i in range(500)]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "flopmine_test_long_lived", raising=False)
    before = gc.get_freeze_count()
    module = codes.import_long_lived("flopmine_test_long_lived")
    assert sys.modules["flopmine_test_long_lived"] is module
    after = gc.get_freeze_count()
    assert after >= before + len(module.TABLE)
    assert codes.import_long_lived("flopmine_test_long_lived") is module
    assert gc.get_freeze_count() == after  # already imported: nothing frozen again


def _in_a_fresh_interpreter(code: str) -> object:
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_scipy_special_stats_and_the_quantile_regression_are_imported_frozen():
    frozen, enabled, modules = _in_a_fresh_interpreter(
        "import gc, json, sys\n"
        "import numpy as np\n"
        "from flopmine.analysis import fit\n"
        "before = gc.get_freeze_count()\n"
        "fit.t_ppf(0.975, 10.0)\n"
        "special = gc.get_freeze_count()\n"
        "fit.distributions()\n"
        "stats = gc.get_freeze_count()\n"
        "fit.fit_quantile(np.arange(20.0) % 7, np.arange(20.0))\n"
        "print(json.dumps([[special - before, stats - special, gc.get_freeze_count() - stats], gc.isenabled(),"
        " [m in sys.modules for m in ('scipy.special', 'scipy.stats', 'statsmodels.regression.quantile_regression')]]))\n")
    assert frozen[0] > 1_000  # scipy.special's objects
    assert frozen[1] > 10_000  # scipy.stats'
    assert frozen[2] > 1_000  # statsmodels' quantile regression and what it imports
    assert enabled
    assert modules == [True, True, True]


def test_importing_the_review_package_does_not_import_the_extraction_rules():
    imported = _in_a_fresh_interpreter(
        "import json, sys\n"
        "import flopmine.review.annotations\n"
        "from flopmine.review import offer\n"
        "before = 'flopmine.extract.tables' in sys.modules\n"
        "offer.dataset_named_at('87.3% top-1 on ImageNet-21k', '87.3')\n"
        "print(json.dumps([before, 'flopmine.extract.tables' in sys.modules]))\n")
    assert imported == [False, True]  # imported where a snippet is read, not before
