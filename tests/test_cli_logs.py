"""Output a cron job can grep (issue 19, items 1–3 and the CLI's smaller things).

When output is not a terminal: one message per line, never wrapped; tables at full width; ``COLUMNS`` wins
when set. ``--log-file`` receives every warning and the error that ends a command, time-stamped.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flopmine.cli import main
from flopmine.cli.common import OneLineFormatter, output_width
from flopmine.config import resolve_home
from tests.support.arxiv_fixtures import REGISTRY_TOML
from tests.support.cli import run_cli

FLOPMINE = Path(sys.executable).parent / "flopmine"
EXE = [str(FLOPMINE)] if FLOPMINE.exists() else [sys.executable, "-m", "flopmine"]
STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


@pytest.fixture(autouse=True)
def _no_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)


def _run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    return run_cli(argv, capsys)


# ---------------------------------------------------------------- 1–2. never wrapped when not a terminal


@pytest.mark.parametrize("extra", [10, 45, 61, 77, 90, 150])
def test_a_message_with_a_long_path_stays_on_one_line(tmp_path, capsys, extra):
    """The path lengths straddle 80 columns, where the old output broke "no such file" or the path."""
    deep = tmp_path / ("d" * extra)
    deep.mkdir()
    missing = [deep / "2001.09999v1.pdf", deep / "notes.pdf"]
    code, out = _run_cli(["--home", str(tmp_path / "home"), "--quiet", "extract", *map(str, missing)], capsys)
    assert code == 1
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 2
    for path, line in zip(missing, lines, strict=True):
        assert str(path) in line and line.endswith("no such file")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_ [].", min_size=1, max_size=160))
def test_any_file_name_is_reported_whole_on_one_line(tmp_path, capsys, name):
    path = tmp_path / (name.strip() or "x")
    if path.exists():
        return
    code, out = _run_cli(["--home", str(tmp_path / "home"), "--quiet", "extract", str(path)], capsys)
    assert code == 1
    (line,) = [line for line in out.splitlines() if line.strip()]
    assert str(path) in line


def test_extract_of_nothing_readable_creates_no_home(tmp_path, capsys):
    home = tmp_path / "home"
    code, out = _run_cli(["--home", str(home), "extract", str(tmp_path / "nonexistent")], capsys)
    assert code == 1 and "no such file" in out
    assert not home.exists()


def test_columns_is_respected_when_set(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "50")
    missing = tmp_path / ("e" * 70) / "notes.pdf"
    code, out = _run_cli(["--home", str(tmp_path / "home"), "--quiet", "extract", str(missing)], capsys)
    assert code == 1
    assert max(len(line) for line in out.splitlines()) <= 50 and len(out.splitlines()) > 1


def test_status_table_is_at_full_width(tmp_path, capsys):
    """Long benchmark names (librispeech_test_clean, librispeech_test_other) are not cut to one `…`."""
    registry = tmp_path / "registry.toml"
    registry.write_text(REGISTRY_TOML.replace("[cifar10]", "[librispeech_test_other_very_long]", 1))
    home = resolve_home(tmp_path / "home").ensure()
    from flopmine.store import connect

    connect(home.db_path).close()
    code, out = _run_cli(["--home", str(home.root), "status", "--registry", str(registry)], capsys)
    assert code == 0
    assert "librispeech_test_other_very_long" in out and "…" not in out
    assert str(home.root) in out


def test_output_width_rules() -> None:
    assert output_width(False, {}) >= 1000
    assert output_width(True, {}) is None
    assert output_width(False, {"COLUMNS": "72"}) == 72
    assert output_width(False, {"COLUMNS": "wide"}) >= 1000


@given(st.text(min_size=0, max_size=200))
def test_a_log_record_is_one_line_whatever_its_message(message):
    record = logging.LogRecord("flopmine.x", logging.WARNING, __file__, 1, message, None, None)
    line = OneLineFormatter("%(levelname)s %(message)s").format(record)
    assert "\n" not in line and len(line.splitlines()) == 1  # no line break of any kind (\r, \u2028 …)


def test_a_multi_line_warning_is_one_line_on_a_pipe(tmp_path):
    script = ("import logging, sys; from flopmine.cli.common import setup_logging; "
              "setup_logging(quiet=False, verbose=False, log_file=None); "
              "logging.getLogger('flopmine.t').warning('first part\\nsecond part')")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path)
    assert proc.stderr.strip().splitlines() == ["WARNING flopmine.t: first part | second part"]


# ---------------------------------------------------------------- 3. --log-file receives fatal errors


@pytest.mark.parametrize("quiet", [True, False], ids=["quiet", "not-quiet"])
def test_unreachable_arxiv_is_written_to_the_log_file(tmp_path, quiet, closed_port_url):
    registry = tmp_path / "registry.toml"
    registry.write_text(REGISTRY_TOML)
    log = tmp_path / "logs" / "harvest.log"
    env = {**os.environ, "FLOPMINE_ARXIV_API_URL": closed_port_url, "FLOPMINE_MIN_INTERVAL": "0.02"}
    proc = subprocess.run([*EXE, "--home", str(tmp_path / "home"), *(["--quiet"] if quiet else []),
                           "--log-file", str(log), "harvest", "--registry", str(registry)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    lines = log.read_text().splitlines()
    errors = [line for line in lines if " ERROR " in line]
    assert errors and "arXiv is unreachable" in errors[-1] and "(exit 1)" in errors[-1]
    assert all(STAMP.match(line) for line in lines)


def test_an_unreadable_file_is_written_to_the_log_file(tmp_path, capsys):
    log = tmp_path / "extract.log"
    bad = tmp_path / "1901.00001v1.pdf"
    bad.write_bytes(b"<html>not a pdf</html>")
    code, _ = _run_cli(["--home", str(tmp_path / "home"), "--quiet", "--log-file", str(log), "extract",
                        "--workers", "1", str(bad)], capsys)
    assert code == 1
    text = log.read_text()
    assert str(bad) in text and all(STAMP.match(line) for line in text.splitlines())


def test_a_crash_leaves_its_traceback_in_the_log_file(tmp_path, monkeypatch):
    from flopmine.cli import harvest_cmd

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(harvest_cmd.harvest, "status", boom)
    log = tmp_path / "x.log"
    with pytest.raises(RuntimeError):
        main(["--home", str(tmp_path), "--log-file", str(log), "status"])
    text = log.read_text()
    assert "CRITICAL" in text and "RuntimeError: a bug" in text and len(text.splitlines()) == 1


# ---------------------------------------------------------------- 8. smaller things of the CLI


def test_since_after_until_is_a_bad_command_line(tmp_path, capsys):
    code, out = _run_cli(["--home", str(tmp_path / "home"), "harvest", "--since", "2020-01-01",
                          "--until", "2019-01-01"], capsys)
    assert code == 2 and "later than --until" in out
    assert not (tmp_path / "home").exists()


def test_status_of_a_home_that_does_not_exist_is_an_error(tmp_path, capsys):
    code, out = _run_cli(["--home", str(tmp_path / "nowhere"), "status"], capsys)
    assert code == 1 and "no flopmine data in" in out and "--home" in out


def test_ctrl_c_says_what_happened_and_exits_130(tmp_path):
    """A harvest waiting on an arXiv that never answers, interrupted by SIGINT as a terminal's Ctrl-C sends it."""
    registry = tmp_path / "registry.toml"
    registry.write_text(REGISTRY_TOML)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"http://127.0.0.1:{server.getsockname()[1]}/api/query"
        env = {**os.environ, "FLOPMINE_ARXIV_API_URL": url, "FLOPMINE_MIN_INTERVAL": "0.02"}
        proc = subprocess.Popen([*EXE, "--home", str(tmp_path / "home"), "harvest", "--registry", str(registry)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        server.accept()  # the harvest is now waiting for an answer
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "stopped by Ctrl-C" in err and "Traceback" not in err


def test_console_log_records_go_to_the_current_stderr(monkeypatch):
    """A handler bound to the stderr of its setup would write to a closed file once a test runner swaps it."""
    import io

    from flopmine.cli.common import setup_logging

    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    setup_logging(quiet=False, verbose=False, log_file=None)
    first.close()
    monkeypatch.setattr(sys, "stderr", second)
    logging.getLogger("flopmine.t").warning("after the swap")
    assert second.getvalue() == "WARNING flopmine.t: after the swap\n"
