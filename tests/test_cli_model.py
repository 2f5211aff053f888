"""``lbprun model develop|show|schema``: same numbers as the Python API, files, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lbprun.cli import main
from lbprun.clinic import develop_risk_model, load_model
from lbprun.io.read import read_survey
from lbprun.measures.survey import SurveyDesign

SURVEY = Path(__file__).parent / "reference" / "runner_survey.csv"
PREDICTORS = ["age", "sex", "prior_lbp", "weekly_km"]
BASE = ["--predictors", ",".join(PREDICTORS), "--jobs", "1", "--seed", "11"]


@pytest.fixture(scope="module")
def developed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    argv = [
        "model",
        "develop",
        str(SURVEY),
        *BASE,
        "--spline",
        "weekly_km:3",
        "--reference",
        "sex=M",
        "--bootstrap",
        "20",
        "--label",
        "trial label",
        "--out",
        str(folder / "m.json"),
        "--report",
        str(folder / "r.html"),
    ]
    return folder, argv


def _run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_develop_equals_the_python_api(developed, capsys):
    folder, argv = developed
    code, out, _ = _run(argv, capsys)
    assert code == 0
    model = load_model(folder / "m.json")
    api = develop_risk_model(
        read_survey(SURVEY),
        "lbp_12m",
        PREDICTORS,
        splines={"weekly_km": 3},
        reference_levels={"sex": "M"},
        n_bootstrap=20,
        seed=11,
        n_jobs=1,
        progress=False,
        label="trial label",
    )
    np.testing.assert_array_equal(model.coef, api.model.coef)
    np.testing.assert_array_equal(model.cov, api.model.cov)
    assert model.design_names == api.model.design_names
    assert model.label == "trial label"
    assert model.validation["seed"] == 11 and model.validation["successful"] == 20
    perf = api.table.set_index("statistic")
    for column in ("apparent", "optimism", "corrected"):
        stored = model.validation[column]
        assert stored["C (ROC)"] == perf.loc["c_statistic", column]
        assert stored["Brier"] == perf.loc["brier", column]
    assert "*** trial label ***" in out
    assert "apparent" in out and "optimism" in out and "corrected" in out
    assert f"Model file: {folder / 'm.json'}" in out
    assert f"Report: {folder / 'r.html'}" in out
    html = (folder / "r.html").read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and "trial label" in html
    line = next(x for x in out.splitlines() if x.strip().startswith("c_statistic"))
    assert line.split()[-1] == "20"  # n successful replicates


def test_show_prints_schema_coefficients_validation_and_label(developed, capsys):
    folder, _ = developed
    path = folder / "m.json"
    if not path.exists():
        assert main(developed[1]) == 0
        capsys.readouterr()
    code, out, _ = _run(["model", "show", str(path)], capsys)
    assert code == 0
    model = load_model(path)
    assert "Label: trial label" in out
    assert "weekly_km'" in out and "sex[F]" in out
    assert f"{model.development.n} runners, {model.development.events} events" in out
    assert "Validation: bootstrap (20 of 20 refits successful, seed 11)" in out
    code, out, _ = _run(["model", "show", str(path), "--json"], capsys)
    assert code == 0 and json.loads(out) == json.loads(json.dumps(model.to_dict()))


def test_schema_is_json(capsys):
    code, out, _ = _run(["model", "schema"], capsys)
    assert code == 0
    schema = json.loads(out)
    assert "properties" in schema


def test_cv_markdown_report_and_reader_options(tmp_path, capsys):
    data = pd.read_csv(SURVEY)
    data = data.rename(columns={"age": "Age"})
    data.loc[3, "weekly_km"] = -5.0  # invalid: rejected with --on-error drop
    data["weekly_km"] = data["weekly_km"] / 1.609344  # miles
    source = tmp_path / "s.csv"
    data.to_csv(source, index=False)
    argv = [
        "model",
        "develop",
        str(source),
        *BASE,
        "--validation",
        "cv",
        "--folds",
        "3",
        "--repeats",
        "2",
        "--columns",
        "Age=age",
        "--units",
        "weekly_km=mi",
        "--on-error",
        "drop",
        "--rejected",
        str(tmp_path / "rej.csv"),
        "--out",
        str(tmp_path / "m.json"),
        "--report",
        str(tmp_path / "r.md"),
    ]
    code, out, err = _run(argv, capsys)
    assert code == 0
    assert "2549 rows in, 2548 kept, 1 rejected" in err
    assert len(pd.read_csv(tmp_path / "rej.csv")) == 1
    survey = read_survey(
        source, columns={"Age": "age"}, units={"weekly_km": "mi"}, on_error="drop"
    ).data
    api = develop_risk_model(
        survey,
        "lbp_12m",
        PREDICTORS,
        validation="cv",
        folds=3,
        repeats=2,
        seed=11,
        n_jobs=1,
        progress=False,
    )
    model = load_model(tmp_path / "m.json")
    np.testing.assert_array_equal(model.coef, api.model.coef)
    assert model.validation["method"] == "cv"
    assert (
        model.validation["corrected"]["C (ROC)"]
        == api.table.set_index("statistic").loc["c_statistic", "corrected"]
    )
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("#")
    assert "2548 of 2548 rows used" in out


def test_firth_and_survey_design_without_validation(tmp_path, capsys):
    argv = [
        "model",
        "develop",
        str(SURVEY),
        *BASE,
        "--validation",
        "none",
        "--penalty",
        "firth",
        "--out",
        str(tmp_path / "f.json"),
    ]
    assert _run(argv, capsys)[0] == 0
    firth = develop_risk_model(
        read_survey(SURVEY),
        "lbp_12m",
        PREDICTORS,
        penalty="firth",
        validation="none",
        seed=11,
        n_jobs=1,
        progress=False,
    )
    np.testing.assert_array_equal(load_model(tmp_path / "f.json").coef, firth.model.coef)
    argv = [
        "model",
        "develop",
        str(SURVEY),
        *BASE,
        "--validation",
        "none",
        "--cluster",
        "club",
        "--strata",
        "region",
        "--weights",
        "weight",
        "--out",
        str(tmp_path / "d.json"),
    ]
    code, out, _ = _run(argv, capsys)
    assert code == 0 and "unweighted" in out
    design = SurveyDesign(cluster="club", strata="region", weights="weight", nest=True)
    svy = develop_risk_model(
        read_survey(SURVEY),
        "lbp_12m",
        PREDICTORS,
        design=design,
        validation="none",
        seed=11,
        n_jobs=1,
        progress=False,
    )
    np.testing.assert_array_equal(load_model(tmp_path / "d.json").coef, svy.model.coef)


@pytest.mark.parametrize(
    "extra, code",
    [
        (["--out", "m.csv"], 2),
        (["--out", "m.json", "--report", "r.pdf"], 2),
        (["--out", "m.json", "--reference", "sex"], 2),
        (["--out", "m.json", "--validation", "loo"], 2),
        (["--out", "m.json", "--spline", "age"], 2),
        (["--out", "m.json", "--bootstrap", "0"], 1),
    ],
)
def test_bad_usage_and_bad_options(tmp_path, monkeypatch, capsys, extra, code):
    monkeypatch.chdir(tmp_path)
    argv = ["model", "develop", str(SURVEY), *BASE, *extra]
    try:
        got = main(argv)
    except SystemExit as stop:
        got = stop.code
    assert got == code
    assert not (tmp_path / "m.json").exists()


def test_unknown_predictor_and_tampered_file_exit_1(tmp_path, capsys):
    argv = [
        "model",
        "develop",
        str(SURVEY),
        "--predictors",
        "age,nope",
        "--validation",
        "none",
        "--out",
        str(tmp_path / "m.json"),
    ]
    code, _, err = _run(argv, capsys)
    assert code == 1 and "nope" in err
    from lbprun.clinic import load_demo_model

    path = load_demo_model().save(tmp_path / "demo.json")
    text = path.read_text(encoding="utf-8").replace('"age"', '"agf"', 1)
    path.write_text(text, encoding="utf-8")
    code, _, err = _run(["model", "show", str(path)], capsys)
    assert code == 1 and "lbprun model: error:" in err


def test_model_without_action_is_bad_usage(capsys):
    assert main(["model"]) == 2
