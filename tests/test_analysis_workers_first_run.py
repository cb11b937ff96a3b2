"""Which process imports what on a first pooled analyze (issue 20 item 4).

With a simulation to compute, matplotlib and ``scipy.stats`` (which the simulation's scikit-learn imports) are
imported once, in the analyze process, before it forks its helpers. With none to compute (stored, or ``sims`` 0) the
helpers are forked before the analyze process imports either: each imports matplotlib and makes its kept figures,
and the first one free also imports statsmodels (with ``scipy.stats``) and makes the quantile regressions, while the
analyze process reads and makes the OLS fits, importing neither statsmodels nor ``scipy.stats``. A rerun
with every figure recorded imports matplotlib nowhere but in the helper that prepares for a changed figure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from flopmine.analysis.synthetic import synthetic_frame

_SCRIPT = """
import json, os, sys
from pathlib import Path
from flopmine.analysis import workers
from flopmine.analysis.report import analyze_to_dir

dataset, out, log, sims = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
started = workers.fresh_std_streams

def at_fork():  # each helper, as it starts: what did it inherit from the analyze process?
    with log.open("a") as f:
        f.write(json.dumps(["matplotlib" in sys.modules, "scipy.stats" in sys.modules]) + chr(10))
    started()

workers.fresh_std_streams = at_fork
analyze_to_dir(dataset, out, sims=sims, workers=2, simulation_store=out.parent / "store")
print(json.dumps([m in sys.modules for m in ("matplotlib", "scipy.stats", "statsmodels")]))
"""


def _run(dataset: Path, out: Path, log: Path, sims: int) -> tuple[list[bool], list[list[bool]]]:
    log.unlink(missing_ok=True)
    done = subprocess.run([sys.executable, "-c", _SCRIPT, str(dataset), str(out), str(log), str(sims)],
                          capture_output=True, text=True, check=True)
    helpers = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return json.loads(done.stdout.strip().splitlines()[-1]), helpers


def test_which_process_imports_matplotlib_and_scipy_stats_on_a_first_pooled_run(tmp_path: Path) -> None:
    dataset = tmp_path / "dataset.csv"
    pd.concat([synthetic_frame(60, seed=1), synthetic_frame(60, seed=2, benchmark="coco")]).to_csv(dataset, index=False)
    log = tmp_path / "helpers.log"
    # a simulation to compute: both imported once, before the fork; every helper inherits them
    parent, helpers = _run(dataset, tmp_path / "cold" / "report", log, sims=1)
    assert parent == [True, True, True] and len(helpers) == 2 and all(h == [True, True] for h in helpers)
    # nothing to compute (the simulation stored beside the first report): forked before either is imported; the
    # analyze process imports none of them (a helper makes the quantile regressions)
    parent, helpers = _run(dataset, tmp_path / "cold" / "again", log, sims=1)
    assert parent == [False, False, False] and len(helpers) == 2 and all(h == [False, False] for h in helpers)
    out = tmp_path / "nosim" / "report"
    parent, helpers = _run(dataset, out, log, sims=0)
    assert parent == [False, False, False] and len(helpers) == 2 and all(h == [False, False] for h in helpers)
    assert len(list((out / "figures").glob("*.png"))) == 8
    parent, helpers = _run(dataset, out, log, sims=0)
    assert parent == [False, False, False] and helpers and not any(h[0] for h in helpers)  # every figure recorded
