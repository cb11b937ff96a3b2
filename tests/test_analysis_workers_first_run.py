"""Which process imports what on a first pooled analyze (issue 20 item 4).

The helpers are forked before the analyze process imports matplotlib, ``scipy.stats``, statsmodels or scikit-learn,
and it imports none of them: it reads and makes the OLS fits. One helper imports statsmodels (with ``scipy.stats``) and
makes the quantile regressions; with a simulation to compute it runs that too, importing scikit-learn (which needs
``scipy.stats``) there, and the other helper imports matplotlib and makes its kept figures. With no simulation to
compute (stored, or ``sims`` 0) each helper imports matplotlib and makes its kept figures first. A rerun with every
figure recorded imports matplotlib nowhere but in the helper that prepares for a changed figure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from flopmine.analysis.synthetic import synthetic_frame

_SCRIPT = """
import functools, json, os, sys
from pathlib import Path
from flopmine.analysis import workers
from flopmine.analysis.report import analyze_to_dir

dataset, out, log, sims = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
started = workers.fresh_std_streams

def at_fork():  # each helper, as it starts: what did it inherit from the analyze process?
    with log.open("a") as f:
        f.write(json.dumps(["matplotlib" in sys.modules, "scipy.stats" in sys.modules]) + chr(10))
    started()

serve = workers._serve

@functools.wraps(serve)
def served(key):  # the helper that served the quantile regressions, once done: what had it imported?
    serve(key)
    with log.open("a") as f:
        f.write(json.dumps({m: m in sys.modules for m in ("statsmodels", "sklearn", "matplotlib")}) + chr(10))

workers.fresh_std_streams = at_fork
workers._serve = served
analyze_to_dir(dataset, out, sims=sims, workers=2, simulation_store=out.parent / "store")
print(json.dumps([m in sys.modules for m in ("matplotlib", "scipy.stats", "statsmodels")]))
"""


def _run(dataset: Path, out: Path, log: Path, sims: int) -> tuple[list[bool], list[list[bool]], list[dict[str, bool]]]:
    """What the analyze process imported (matplotlib, scipy.stats, statsmodels), what each helper had when forked
    (matplotlib, scipy.stats), and what the helper serving the quantile regressions had imported once done."""
    log.unlink(missing_ok=True)
    done = subprocess.run([sys.executable, "-c", _SCRIPT, str(dataset), str(out), str(log), str(sims)],
                          capture_output=True, text=True, check=True)
    logged = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return (json.loads(done.stdout.strip().splitlines()[-1]), [h for h in logged if isinstance(h, list)],
            [h for h in logged if isinstance(h, dict)])


def test_which_process_imports_matplotlib_and_scipy_stats_on_a_first_pooled_run(tmp_path: Path) -> None:
    dataset = tmp_path / "dataset.csv"
    pd.concat([synthetic_frame(60, seed=1), synthetic_frame(60, seed=2, benchmark="coco")]).to_csv(dataset, index=False)
    log = tmp_path / "helpers.log"
    # a simulation to compute: the helper serving the quantile regressions runs it (statsmodels and scikit-learn
    # share its scipy.stats) and never imports matplotlib; the analyze process imports none of them
    parent, helpers, served = _run(dataset, tmp_path / "cold" / "report", log, sims=1)
    assert parent == [False, False, False] and len(helpers) == 2 and all(h == [False, False] for h in helpers)
    assert served == [{"statsmodels": True, "sklearn": True, "matplotlib": False}]
    assert (tmp_path / "cold" / "report" / "figures" / "simulation.png").is_file()
    assert len(list((tmp_path / "cold" / "store").glob("simulation-*.json"))) == 1  # kept in the home's store
    # nothing to compute (the simulation stored beside the first report): forked before either is imported; the
    # analyze process imports none of them (a helper makes the quantile regressions, importing no scikit-learn)
    parent, helpers, served = _run(dataset, tmp_path / "cold" / "again", log, sims=1)
    assert parent == [False, False, False] and len(helpers) == 2 and all(h == [False, False] for h in helpers)
    assert [(s["statsmodels"], s["sklearn"]) for s in served] == [(True, False)]
    out = tmp_path / "nosim" / "report"
    parent, helpers, _ = _run(dataset, out, log, sims=0)
    assert parent == [False, False, False] and len(helpers) == 2 and all(h == [False, False] for h in helpers)
    assert len(list((out / "figures").glob("*.png"))) == 8
    parent, helpers, _ = _run(dataset, out, log, sims=0)
    assert parent == [False, False, False] and helpers and not any(h[0] for h in helpers)  # every figure recorded
