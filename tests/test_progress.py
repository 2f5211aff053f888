"""Progress bars: one policy for every long operation (read, bootstrap, simulate, workload).

A bar shows on a terminal, and nothing reaches standard error when it is a pipe or a file, or
when bars are turned off (``set_progress(False)``, ``LBPRUN_PROGRESS=0``); results do not
depend on the bar. Terminal runs use a pseudo-terminal (``os.openpty``) as standard error of a
child Python process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lbprun._checks import ArgumentError
from lbprun._progress import (
    ENV_VARIABLE,
    check_progress,
    progress_bar,
    progress_enabled,
    set_progress,
    track,
)
from lbprun.clinic._bootstrap import internal_validation
from lbprun.io.read import read_activities
from lbprun.io.validate import validate
from lbprun.simulate import simulate_cohort
from lbprun.workload.acwr import acwr
from lbprun.workload.engines import run, run_workload
from lbprun.workload.spikes import single_run_spikes

# The labels of the bars, one per kind of operation (as the child below runs them).
LABELS = {
    "read": "read runs.csv",
    "bootstrap": "bootstrap",
    "simulate": "simulate 30 runners",
    "kernel": "acwr",
    "duckdb": "duckdb",
    "dask": "dask",
}

CHILD = textwrap.dedent(
    """
    import hashlib, json, sys
    import numpy as np, pandas as pd
    if sys.argv[2] == "off":
        import lbprun._progress
        lbprun._progress.set_progress(False)
    from lbprun.clinic._bootstrap import internal_validation
    from lbprun.io.read import read_activities
    from lbprun.simulate import simulate_cohort
    from lbprun.workload.acwr import acwr
    from lbprun.workload.engines import run, run_workload

    def digest(frame):
        return hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).values).hexdigest()

    out = {}
    runs = read_activities(sys.argv[1])
    out["read"] = [len(runs), digest(runs)]
    rng = np.random.default_rng(0)
    x = np.column_stack([np.ones(200), rng.normal(size=(200, 2))])
    y = (rng.uniform(size=200) < 1 / (1 + np.exp(-x @ [-0.5, 1.0, 0.0]))).astype(float)
    boot = internal_validation(x, y, np.ones(200), None, n_bootstrap=8, seed=1, n_jobs=1)
    out["bootstrap"] = boot.table["corrected"].round(12).tolist()
    sim = simulate_cohort(30, 6, seed=2)
    out["simulate"] = digest(sim.activities)
    out["kernel"] = digest(acwr(runs, threads=1))
    out["duckdb"] = digest(run("weekly_load", runs, engine="duckdb", threads=1))
    tables = run_workload(runs, engine="dask", npartitions=2)
    out["dask"] = digest(tables["acwr_ewma"])
    print(json.dumps(out))
    """
)


def _runs(n_runners: int = 6, days: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    ids = np.repeat([f"r{i}" for i in range(n_runners)], days)
    dates = np.tile(pd.date_range("2024-01-01", periods=days).to_numpy(), n_runners)
    km = np.round(rng.uniform(3.0, 15.0, ids.size), 2)
    return pd.DataFrame(
        {"runner_id": ids, "date": dates, "distance_km": km, "duration_min": np.round(km * 6, 1)}
    )


@pytest.fixture(scope="module")
def runs_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("progress") / "runs.csv"
    frame = _runs()
    frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def child(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("progress_child") / "child.py"
    path.write_text(CHILD)
    return path


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != ENV_VARIABLE}
    env.update(extra, COLUMNS="100", PYTHONWARNINGS="ignore")
    return env


def _on_terminal(argv: list[str], env: dict[str, str]) -> tuple[str, str]:
    """Run ``argv`` with standard error on a pseudo-terminal; return (stdout, stderr)."""
    master, slave = os.openpty()
    chunks: list[bytes] = []

    def drain() -> None:  # keep reading, so that the child never blocks on a full terminal
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        proc = subprocess.run(
            argv, stdout=subprocess.PIPE, stderr=slave, env=env, timeout=300, check=False
        )
    finally:
        os.close(slave)
        reader.join(timeout=30)
        os.close(master)
    err = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, err
    return proc.stdout.decode(), err


def _on_pipe(argv: list[str], env: dict[str, str]) -> tuple[str, str]:
    proc = subprocess.run(argv, capture_output=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode(), proc.stderr.decode()


@pytest.fixture(scope="module")
def on_terminal(child: Path, runs_csv: Path) -> tuple[dict, str]:
    out, err = _on_terminal([sys.executable, str(child), str(runs_csv), "default"], _env())
    return json.loads(out), err


@pytest.fixture(scope="module")
def on_pipe(child: Path, runs_csv: Path) -> tuple[dict, str]:
    out, err = _on_pipe([sys.executable, str(child), str(runs_csv), "default"], _env())
    return json.loads(out), err


# --- the child process: terminal, pipe, file, turned off -------------------------------------


@pytest.mark.parametrize("kind", list(LABELS))
def test_bar_shown_on_a_terminal(on_terminal: tuple[dict, str], kind: str) -> None:
    _, err = on_terminal
    assert LABELS[kind] in err
    assert "100%" in err


def test_bar_counts_rows_replicates_weeks_runners(on_terminal: tuple[dict, str]) -> None:
    _, err = on_terminal
    # the last refresh of each bar: 240 rows read, 8 replicates, 6 + 4 run-in weeks, 6 runners
    assert "240/240 [" in err and "row/s" in err
    assert "8/8 [" in err and "replicate/s" in err
    assert "10/10 [" in err and "week/s" in err
    assert "6/6 [" in err and "runner/s" in err
    assert "2/2 [" in err and "partition/s" in err  # dask: two runner partitions
    assert "3/3 [" in err and "step/s" in err  # duckdb: register, shared tables, one table


def test_nothing_on_a_pipe(on_pipe: tuple[dict, str]) -> None:
    assert on_pipe[1] == ""


def test_results_identical_with_and_without_bar(
    on_terminal: tuple[dict, str], on_pipe: tuple[dict, str]
) -> None:
    assert on_terminal[0] == on_pipe[0]
    assert on_pipe[0]["read"][0] == 240
    assert len(on_pipe[0]["bootstrap"]) > 2


def test_nothing_when_stderr_is_a_file(child: Path, runs_csv: Path, tmp_path: Path) -> None:
    log = tmp_path / "stderr.txt"
    with log.open("wb") as handle:
        proc = subprocess.run(
            [sys.executable, str(child), str(runs_csv), "default"],
            stdout=subprocess.PIPE,
            stderr=handle,
            env=_env(),
            timeout=300,
            check=False,
        )
    assert proc.returncode == 0
    assert log.read_text() == ""
    assert json.loads(proc.stdout)["read"][0] == 240


def test_environment_variable_turns_bars_off_on_a_terminal(
    child: Path, runs_csv: Path, on_pipe: tuple[dict, str]
) -> None:
    argv = [sys.executable, str(child), str(runs_csv), "default"]
    out, err = _on_terminal(argv, _env(**{ENV_VARIABLE: "0"}))
    assert err == ""
    assert json.loads(out) == on_pipe[0]


def test_set_progress_false_turns_bars_off_on_a_terminal(
    child: Path, runs_csv: Path, on_pipe: tuple[dict, str]
) -> None:
    out, err = _on_terminal([sys.executable, str(child), str(runs_csv), "off"], _env())
    assert err == ""
    assert json.loads(out) == on_pipe[0]


def test_environment_variable_forces_bars_on_a_pipe(child: Path, runs_csv: Path) -> None:
    argv = [sys.executable, str(child), str(runs_csv), "default"]
    _, err = _on_pipe(argv, _env(**{ENV_VARIABLE: "1"}))
    for label in LABELS.values():
        assert label in err


# --- in this process: the policy, and results with and without the bar -----------------------


@pytest.fixture()
def default_policy(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(ENV_VARIABLE, raising=False)
    set_progress(None)
    yield
    set_progress(None)


@given(
    explicit=st.sampled_from([None, True, False]),
    setting=st.sampled_from([None, True, False]),
    env=st.sampled_from([None, "0", "1", "off", "YES"]),
)
def test_policy_precedence(explicit, setting, env) -> None:
    # the call decides, then set_progress, then LBPRUN_PROGRESS, then the terminal test
    saved = os.environ.pop(ENV_VARIABLE, None)
    try:
        if env is not None:
            os.environ[ENV_VARIABLE] = env
        set_progress(setting)
        from_env = {None: None, "0": False, "off": False, "1": True, "YES": True}[env]
        expected = sys.stderr.isatty()  # the last resort: is standard error a terminal?
        for decision in (from_env, setting, explicit):  # later ones take precedence
            if decision is not None:
                expected = decision
        assert progress_enabled(explicit) is expected
    finally:
        set_progress(None)
        os.environ.pop(ENV_VARIABLE, None)
        if saved is not None:
            os.environ[ENV_VARIABLE] = saved


def test_unknown_environment_value_warns_and_is_ignored(
    default_policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lbprun.exceptions import LbprunWarning

    monkeypatch.setenv(ENV_VARIABLE, "maybe")
    with pytest.warns(LbprunWarning, match="LBPRUN_PROGRESS must be 0 or 1; got 'maybe'"):
        assert progress_enabled(None) is False  # pytest's stderr is not a terminal


@pytest.mark.parametrize("bad", ["yes", 1, 0.0])
def test_progress_argument_checked(bad) -> None:
    with pytest.raises(ArgumentError, match=f"progress must be True, False or None; got {bad!r}"):
        check_progress(bad)
    with pytest.raises(ArgumentError, match="progress must be True, False or None"):
        acwr(_runs(), progress=bad)
    with pytest.raises(ArgumentError, match="enabled must be True, False or None"):
        set_progress(bad)


def test_bar_in_bytes_and_track(default_policy, capsys: pytest.CaptureFixture) -> None:
    with progress_bar(3 * 1024**2, desc="bytes", unit="B", enabled=True) as bar:
        bar.update(3 * 1024**2)
    assert "3.00M/3.00M" in capsys.readouterr().err
    assert list(track(range(4), desc="t", unit="item", enabled=True)) == [0, 1, 2, 3]
    assert "4/4" in capsys.readouterr().err
    assert list(track(range(4), desc="t", unit="item")) == [0, 1, 2, 3]
    assert capsys.readouterr().err == ""


def test_read_same_with_and_without_bar(
    default_policy, runs_csv: Path, capsys: pytest.CaptureFixture
) -> None:
    quiet = read_activities(runs_csv, progress=False)
    assert capsys.readouterr().err == ""
    shown = read_activities(runs_csv, progress=True)
    err = capsys.readouterr().err
    assert "read runs.csv" in err and "240/240" in err
    pd.testing.assert_frame_equal(quiet, shown)
    report = validate(runs_csv, "activities", progress=True)
    assert report.rows_in == report.rows_kept == 240
    assert "240/240" in capsys.readouterr().err


def test_bootstrap_same_with_and_without_bar(default_policy, capsys) -> None:
    rng = np.random.default_rng(0)
    x = np.column_stack([np.ones(150), rng.normal(size=(150, 2))])
    y = (rng.uniform(size=150) < 0.4).astype(float)
    options = dict(n_bootstrap=6, seed=3, n_jobs=1)
    quiet = internal_validation(x, y, np.ones(150), None, progress=False, **options)
    assert capsys.readouterr().err == ""
    shown = internal_validation(x, y, np.ones(150), None, progress=True, **options)
    assert "bootstrap: 100%" in capsys.readouterr().err
    pd.testing.assert_frame_equal(quiet.table, shown.table)
    set_progress(True)  # the global switch alone shows it
    internal_validation(x, y, np.ones(150), None, method="cv", folds=3, repeats=2, n_jobs=1)
    assert "3-fold cross-validation" in capsys.readouterr().err


def test_simulate_same_with_and_without_bar(default_policy, capsys) -> None:
    quiet = simulate_cohort(12, 5, seed=9, progress=False)
    assert capsys.readouterr().err == ""
    shown = simulate_cohort(12, 5, seed=9, progress=True)
    assert "simulate 12 runners" in capsys.readouterr().err
    pd.testing.assert_frame_equal(quiet.activities, shown.activities)
    pd.testing.assert_frame_equal(quiet.episodes, shown.episodes)


def test_workload_same_with_and_without_bar(default_policy, capsys) -> None:
    runs = _runs()
    for function in (acwr, single_run_spikes):
        quiet = function(runs, threads=2, block_days=30, progress=False)
        assert capsys.readouterr().err == ""
        shown = function(runs, threads=2, block_days=30, progress=True)
        assert "6/6" in capsys.readouterr().err
        pd.testing.assert_frame_equal(quiet, shown)
    for engine in ("duckdb", "dask", "pandas"):
        quiet = run("acwr", runs, engine=engine, method="ewma", progress=False)
        assert capsys.readouterr().err == ""
        shown = run("acwr", runs, engine=engine, method="ewma", progress=True)
        assert "100%" in capsys.readouterr().err
        pd.testing.assert_frame_equal(quiet, shown)
    set_progress(False)  # the global switch silences a bar asked for by default
    tables = run_workload(runs, engine="pandas")
    assert capsys.readouterr().err == ""
    set_progress(None)
    shown = run_workload(runs, engine="pandas", progress=True)
    assert "12runner" in capsys.readouterr().err.replace(" ", "")  # two passes over 6 runners
    for key, table in tables.items():
        pd.testing.assert_frame_equal(table, shown[key])


def test_stage_bar_follows_the_policy(default_policy, capsys, monkeypatch) -> None:
    from lbprun.cli._progress import Stages

    with Stages(None, ("read", "write"), "lbprun workload") as stages:
        stages.start("read")
        stages.done("read", "240 rows in")
    assert stages.bar is None and capsys.readouterr().err == ""
    monkeypatch.setenv(ENV_VARIABLE, "1")
    with Stages(None, ("read", "write"), "lbprun workload") as stages:
        stages.done("read", "240 rows in")
    assert "lbprun workload: read" in capsys.readouterr().err
    with Stages(False, ("read",), "lbprun workload") as stages:
        stages.done("read", "1 row in")
    assert stages.log == ["read: 1 row in"] and capsys.readouterr().err == ""
