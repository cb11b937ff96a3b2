"""The library's docstring examples, run by import name (``flopmine.extract.rules``, not ``extract/rules``).

pytest's ``--doctest-modules`` would import the stage folders under their folder names (``extract``), the
very top-level names the installed distribution must not provide; walking the installed namespace instead
checks the examples exactly as users import them.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import flopmine

STAGES = ("flopmine.harvest", "flopmine.extract", "flopmine.review", "flopmine.analysis")


def _module_names() -> list[str]:
    names: set[str] = {"flopmine"}
    for root in ("flopmine", *STAGES):
        package = importlib.import_module(root)
        names.add(root)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{root}."):
            names.add(info.name)
    return sorted(n for n in names if not n.endswith("__main__"))  # importing __main__ runs the CLI


MODULES = _module_names()


def test_the_namespace_holds_every_stage() -> None:
    for stage in STAGES:
        assert stage in MODULES
    assert "flopmine.demo.fakearxiv" in MODULES and "flopmine.extract.rules" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name, globs=vars(module).copy()):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_flopmine_is_the_one_import_name() -> None:
    assert flopmine.__name__ == "flopmine"
