"""The ``lbprun workload`` command, plot_runner_load and engine dispatch."""

from __future__ import annotations

import sys

import matplotlib
import pandas as pd
import pytest
from workload_logs import random_log

from lbprun._checks import ArgumentError
from lbprun.cli import main
from lbprun.plots.workload import plot_runner_load
from lbprun.workload.acwr import acwr
from lbprun.workload.monotony import training_monotony
from lbprun.workload.spikes import load_spikes, single_run_spikes
from lbprun.workload.weekly import weekly_load

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def log_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("workload") / "log.csv"
    random_log(seed=31).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("what", "expected"),
    [
        ("weekly", weekly_load),
        ("spikes", load_spikes),
        ("runs", single_run_spikes),
        ("acwr", acwr),
    ],
)
def test_cli_writes_each_table(log_file, tmp_path, what, expected, capsys):
    out = tmp_path / f"{what}.parquet"
    code = main(["workload", str(log_file), "--out", str(out), "--what", what, "--progress"])
    assert code == 0
    written = pd.read_parquet(out)
    runs = pd.read_csv(log_file, parse_dates=["date"])
    assert len(written) == len(expected(runs))
    assert f"wrote {len(written)} rows" in capsys.readouterr().out


def test_cli_threads_give_the_same_table(log_file, tmp_path):
    one, two = tmp_path / "one.parquet", tmp_path / "two.parquet"
    for out, threads in ((one, "1"), (two, "2")):
        args = ["workload", str(log_file), "--out", str(out), "--what", "acwr"]
        assert main([*args, "--method", "ewma", "--threads", threads]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(one), pd.read_parquet(two), check_exact=True)


def test_cli_csv_week_start_and_bad_extension(log_file, tmp_path):
    out = tmp_path / "weekly.csv"
    assert main(["workload", str(log_file), "--out", str(out), "--week-start", "sunday"]) == 0
    written = pd.read_csv(out, parse_dates=["week_start"])
    assert (written["week_start"].dt.day_of_week == 6).all()
    assert main(["workload", str(log_file), "--out", str(tmp_path / "x.txt")]) == 2
    assert main(["workload", str(tmp_path / "missing.csv"), "--out", str(out)]) == 1


def test_plot_runner_load():
    runs = random_log(seed=32)
    runner = runs["runner_id"].value_counts().index[0]
    ax = plot_runner_load(runs, runner)
    weeks = weekly_load(runs[runs["runner_id"] == runner])
    assert len(ax.patches) == len(weeks)
    twin = ax.acwr_axes
    assert twin.get_ylabel() == "ACWR" and len(twin.lines) == 1
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("contested convention" in label for label in labels)
    plain = plot_runner_load(runs, runner, band=None, method="ewma")
    labels = [t.get_text() for t in plain.get_legend().get_texts()]
    assert not any("contested" in label for label in labels)
    with pytest.raises(ArgumentError, match="runner_id must be a runner"):
        plot_runner_load(runs, "nobody")


def test_engine_dispatch_errors(monkeypatch):
    runs = random_log(seed=33)
    with pytest.raises(ArgumentError, match="Did you mean 'dask'"):
        weekly_load(runs, engine="dusk")
    import lbprun.workload as package

    monkeypatch.setitem(sys.modules, "lbprun.workload.engines", None)
    monkeypatch.delattr(package, "engines", raising=False)
    with pytest.raises(ArgumentError, match=r"lbprun\[scale\]"):
        acwr(runs, engine="duckdb")


def test_engine_dispatch_reaches_the_engines_module(monkeypatch):
    calls = []

    class FakeEngines:
        FUNCTIONS = ("weekly_load", "load_spikes", "single_run_spikes", "acwr")

        @staticmethod
        def run(name, source, *, engine, **options):
            calls.append((name, engine, options))
            return pd.DataFrame({"name": [name]})

    monkeypatch.setitem(sys.modules, "lbprun.workload.engines", FakeEngines)
    import lbprun.workload as package

    monkeypatch.setattr(package, "engines", FakeEngines, raising=False)
    runs = random_log(seed=34)
    assert acwr(runs, engine="dask", method="ewma")["name"].tolist() == ["acwr"]
    assert calls[-1][1] == "dask" and calls[-1][2]["method"] == "ewma"
    assert load_spikes(runs, engine="duckdb")["name"].tolist() == ["load_spikes"]
    with pytest.raises(ArgumentError, match="engine must be 'pandas' for training_monotony"):
        training_monotony(runs, engine="duckdb")


def test_read_log_validates_csv_and_parquet(log_file, tmp_path):
    from lbprun.cli.workload import read_log
    from lbprun.exceptions import DataReadError

    from_csv = read_log(str(log_file))
    assert pd.api.types.is_datetime64_any_dtype(from_csv["date"])
    parquet = tmp_path / "log.parquet"
    from_csv.to_parquet(parquet)
    from_parquet = read_log(str(parquet))
    pd.testing.assert_frame_equal(
        from_parquet.reset_index(drop=True), from_csv.reset_index(drop=True), check_dtype=False
    )
    with pytest.raises((FileNotFoundError, DataReadError)):
        read_log(str(tmp_path / "absent.csv"))


def test_cli_duckdb_engine_streams_a_parquet_log_to_parquet(log_file, tmp_path):
    pytest.importorskip("duckdb")
    from lbprun.cli import main
    from lbprun.cli.workload import read_log
    from lbprun.workload.acwr import acwr

    source = tmp_path / "log.parquet"
    read_log(str(log_file)).to_parquet(source)
    out = tmp_path / "acwr.parquet"
    assert main(["workload", str(source), "--out", str(out), "--what", "acwr",
                 "--engine", "duckdb"]) == 0  # fmt: skip
    expected = acwr(read_log(str(log_file)))
    got = pd.read_parquet(out).sort_values(["runner_id", "date"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        got[expected.columns].astype(expected.dtypes.to_dict()),
        expected.reset_index(drop=True),
        rtol=1e-9,
    )
