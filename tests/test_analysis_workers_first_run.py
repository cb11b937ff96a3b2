"""A first analyze with helper processes imports matplotlib once, in the analyze process, before forking them
(issue 20 item 4); a rerun with every figure recorded does not import it there at all."""

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

dataset, out, log = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
started = workers.fresh_std_streams

def at_fork():  # each helper, as it starts: did it inherit matplotlib from the analyze process?
    with log.open("a") as f:
        f.write(json.dumps("matplotlib" in sys.modules) + chr(10))
    started()

workers.fresh_std_streams = at_fork
analyze_to_dir(dataset, out, sims=0, workers=2)
print(json.dumps("matplotlib" in sys.modules))
"""


def _run(dataset: Path, out: Path, log: Path) -> tuple[bool, list[bool]]:
    log.unlink(missing_ok=True)
    done = subprocess.run([sys.executable, "-c", _SCRIPT, str(dataset), str(out), str(log)], capture_output=True,
                          text=True, check=True)
    helpers = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return json.loads(done.stdout.strip().splitlines()[-1]), helpers


def test_a_first_pooled_run_imports_matplotlib_before_forking_and_a_cached_rerun_never(tmp_path: Path) -> None:
    dataset = tmp_path / "dataset.csv"
    pd.concat([synthetic_frame(60, seed=1), synthetic_frame(60, seed=2, benchmark="coco")]).to_csv(dataset, index=False)
    out, log = tmp_path / "report", tmp_path / "helpers.log"
    parent, helpers = _run(dataset, out, log)
    assert parent and helpers and all(helpers)  # imported once, before the fork: every helper has it
    assert len(list((out / "figures").glob("*.png"))) == 8
    parent, helpers = _run(dataset, out, log)
    assert not parent and helpers and not any(helpers)  # every figure recorded: the analyze process never imports it
