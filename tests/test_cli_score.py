"""``lbprun score``: one runner and tables, numbers equal to ``model.score``, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lbprun.cli import main
from lbprun.clinic import DEMO_LABEL, RiskModel, load_demo_model
from lbprun.io.read import read_activities
from lbprun.models._design_matrix import build_spec

REFERENCE = Path(__file__).parent / "reference"
SURVEY = REFERENCE / "runner_survey.csv"
LOG = REFERENCE / "runner_activities.csv"
RUNNER = {
    "runner_id": "R1",
    "age": 45,
    "sex": "M",
    "prior_lbp": True,
    "strength_training": False,
    "weekly_km": 40.0,
}


def _read_csv(source, **kwargs):
    """Read lbprun's CSV output back bit for bit (pandas 2.2's default parser rounds)."""
    if int(pd.__version__.split(".")[0]) < 3:  # pandas 3 parses exactly and deprecates it
        kwargs["float_precision"] = "round_trip"
    return pd.read_csv(source, **kwargs)


def _run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as stop:
        code = stop.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture()
def runner_file(tmp_path):
    path = tmp_path / "runner.json"
    path.write_text(json.dumps(RUNNER), encoding="utf-8")
    return path


def test_one_runner_text_shows_risk_band_contributions_and_label(runner_file, capsys):
    code, out, err = _run(["score", "--demo", "--runner", str(runner_file)], capsys)
    assert code == 0
    expected = load_demo_model().score(RUNNER)
    assert out.strip() == expected.summary()
    assert f"*** {DEMO_LABEL} ***" in out and DEMO_LABEL in err
    assert "moderate" in out and "Contributions relative to the reference runner" in out


def test_one_runner_json_equals_model_score_to_0_ulp(runner_file, capsys, tmp_path):
    model = load_demo_model()
    path = model.save(tmp_path / "demo.json")
    code, out, err = _run(
        ["score", "--model", str(path), "--runner", str(runner_file), "--json", "--level", "0.9"],
        capsys,
    )
    assert code == 0
    payload = json.loads(out)
    row = model.score(RUNNER, level=0.9).to_frame().iloc[0]
    got = payload["table"][0]
    for column in ("probability", "ci_low", "ci_high"):
        assert got[column] == row[column]  # exact
    assert got["band"] == row["band"] and payload["label"] == DEMO_LABEL
    assert payload["level"] == 0.9 and DEMO_LABEL in err


def test_runner_from_standard_input(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(RUNNER)))
    code, out, _ = _run(["score", "--demo", "--runner", "-", "--json"], capsys)
    assert code == 0
    p = load_demo_model().score(RUNNER).table["probability"].iloc[0]
    assert json.loads(out)["table"][0]["probability"] == p


def _runners(tmp_path, n=40):
    data = pd.read_csv(SURVEY).iloc[:n].copy()
    data["age"] = data["age"].astype(object)
    data.loc[3, "age"] = "old"  # not a number
    data.loc[7, "sex"] = "X"  # unknown level
    data.loc[9, "weekly_km"] = np.nan  # missing
    path = tmp_path / "runners.csv"
    data.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("ext", [".csv", ".xlsx", ".parquet"])
def test_batch_scores_every_row_or_refuses_it(tmp_path, capsys, ext):
    source = _runners(tmp_path)
    out_path, rejected = tmp_path / f"scored{ext}", tmp_path / "refused.csv"
    code, _, err = _run(
        [
            "score",
            "--demo",
            "--input",
            str(source),
            "--out",
            str(out_path),
            "--rejected",
            str(rejected),
        ],
        capsys,
    )
    assert code == 0
    assert "40 rows in, 37 scored, 3 refused" in err and DEMO_LABEL in err
    reader = {".csv": _read_csv, ".xlsx": pd.read_excel, ".parquet": pd.read_parquet}[ext]
    scored = reader(out_path)
    refused = pd.read_csv(rejected)
    assert len(scored) + len(refused) == 40
    assert refused["row"].tolist() == [5, 9, 11]  # file lines (header is line 1)
    assert refused["source"].eq(str(source)).all() and refused["kind"].eq("runners").all()
    assert "age must be a number; got 'old'" in refused["reasons"].iloc[0]
    assert "sex must be one of ['F', 'M']" in refused["reasons"].iloc[1]
    assert "weekly_km must be given" in refused["reasons"].iloc[2]
    good = pd.read_csv(source).drop(index=[3, 7, 9]).reset_index(drop=True)
    good["age"] = good["age"].astype(float)
    expected = load_demo_model().score(good).to_frame()
    assert scored["runner_id"].tolist() == expected["runner_id"].tolist()
    if ext != ".xlsx":  # Excel keeps 15 significant digits
        for column in ("probability", "ci_low", "ci_high"):
            np.testing.assert_array_equal(scored[column].to_numpy(), expected[column].to_numpy())
    assert scored["row"].tolist() == [i + 2 for i in range(40) if i not in (3, 7, 9)]


def test_batch_to_standard_output_and_input_columns(tmp_path, capsys):
    data = pd.read_csv(SURVEY).iloc[:5].drop(columns="runner_id").rename(columns={"age": "Age"})
    source = tmp_path / "r.csv"
    data.to_csv(source, index=False)
    code, out, err = _run(
        ["score", "--demo", "--input", str(source), "--input-columns", "Age=age"], capsys
    )
    assert code == 0 and "5 rows in, 5 scored, 0 refused" in err
    table = _read_csv(io.StringIO(out))
    expected = load_demo_model().score(data.rename(columns={"Age": "age"})).to_frame()
    assert table["row"].tolist() == [2, 3, 4, 5, 6]
    np.testing.assert_array_equal(
        table["probability"].to_numpy(), expected["probability"].to_numpy()
    )


@pytest.fixture(scope="module")
def load_model_file(tmp_path_factory):
    rng = np.random.default_rng(3)
    n = 400
    data = pd.DataFrame(
        {"age": rng.uniform(18, 70, n).round(0), "weekly_km": rng.gamma(3.0, 12.0, n).round(1)}
    )
    data["lbp_12m"] = (rng.uniform(size=n) < 0.3 + 0.004 * data["weekly_km"]).astype(int)
    spec = build_spec(data, ["age", "weekly_km"])
    import statsmodels.api as sm

    fit = sm.Logit(data["lbp_12m"].to_numpy(float), spec.transform(data)).fit(disp=0)
    model = RiskModel.from_design(spec, fit.params, fit.cov_params(), data, outcome="lbp_12m")
    return model.save(tmp_path_factory.mktemp("m") / "load.json")


def test_load_predictors_from_the_activities_log(load_model_file, tmp_path, capsys):
    from lbprun.clinic import load_model

    model = load_model(load_model_file)
    log = read_activities(LOG)
    ids = pd.unique(log["runner_id"])[:3].tolist()
    runners = pd.DataFrame({"runner_id": [*ids, "nobody"], "age": [30.0, 40.0, 50.0, 60.0]})
    source = tmp_path / "runners.csv"
    runners.to_csv(source, index=False)
    code, out, err = _run(
        [
            "score",
            "--model",
            str(load_model_file),
            "--input",
            str(source),
            "--activities",
            str(LOG),
            "--index-date",
            "2025-06-01",
        ],
        capsys,
    )
    assert code == 0 and "4 rows in, 3 scored, 1 refused" in err
    assert "row 5: runner 'nobody': no runs before the index date" in err
    table = _read_csv(io.StringIO(out), dtype={"runner_id": str})
    expected = model.score(runners.iloc[:3], activities=log, index_date="2025-06-01")
    np.testing.assert_array_equal(
        table["probability"].to_numpy(), expected.table["probability"].to_numpy()
    )
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"runner_id": ids[0], "age": 30}), encoding="utf-8")
    code, out, _ = _run(
        [
            "score",
            "--model",
            str(load_model_file),
            "--runner",
            str(one),
            "--activities",
            str(LOG),
            "--index-date",
            "2025-06-01",
            "--json",
        ],
        capsys,
    )
    assert code == 0
    assert json.loads(out)["table"][0]["probability"] == expected.table["probability"].iloc[0]


def test_tampered_model_file_exits_1(tmp_path, runner_file, capsys):
    path = load_demo_model().save(tmp_path / "m.json")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"lbp_12m"', '"lbp_now"', 1), encoding="utf-8")
    code, _, err = _run(["score", "--model", str(path), "--runner", str(runner_file)], capsys)
    assert code == 1 and "lbprun score: error:" in err and "checksum" in err.lower()


@pytest.mark.parametrize(
    "argv",
    [
        ["score", "--runner", "r.json"],  # no model
        ["score", "--demo", "--model", "m.json", "--runner", "r.json"],
        ["score", "--demo"],  # no runner
        ["score", "--demo", "--input", "r.csv", "--out", "s.txt"],
        ["score", "--demo", "--runner", "r.json", "--out", "s.csv"],
        ["score", "--demo", "--input", "r.csv", "--json"],
        ["score", "--demo", "--runner", "r.json", "--activities", "log.csv"],
    ],
)
def test_bad_usage_exits_2(argv, capsys):
    assert _run(argv, capsys)[0] == 2


def test_invalid_runner_exits_1(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    code, _, err = _run(["score", "--demo", "--runner", str(bad)], capsys)
    assert code == 1 and "one JSON object" in err
    bad.write_text(json.dumps({**RUNNER, "age": "old"}), encoding="utf-8")
    code, _, err = _run(["score", "--demo", "--runner", str(bad)], capsys)
    assert code == 1 and "age must be a number; got 'old'" in err
    bad.write_text("{", encoding="utf-8")
    assert _run(["score", "--demo", "--runner", str(bad)], capsys)[0] == 1
