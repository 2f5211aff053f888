"""Loading a model file and scoring import only what scoring needs; ``jsonschema`` is opt-in.

Each import check runs in a fresh interpreter, since the test process has imported
everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lbprun.clinic as clinic
from lbprun._checks import ArgumentError
from lbprun.clinic import load_demo_model, load_model
from lbprun.clinic import model_file as mf
from lbprun.clinic._safe_json import checksum
from lbprun.clinic._schema_check import jsonschema_errors, schema_errors
from lbprun.exceptions import ModelFileError

#: Modules that only model development needs; scoring from a file must not import them.
DEVELOPMENT_MODULES = (
    "lbprun.clinic.develop",
    "lbprun.clinic._estimator",
    "lbprun.clinic._dev_calibration",
    "lbprun.clinic._dev_fit",
    "lbprun.clinic._dev_performance",
    "lbprun.clinic._bootstrap",
    "lbprun.clinic.sample_size",
    "lbprun.models.calibration",
    "sklearn",
    "statsmodels",
    "jsonschema",
)

RUNNER = {"age": 45, "sex": "M", "prior_lbp": True, "strength_training": False, "weekly_km": 40}


@pytest.fixture(scope="module")
def model():
    return load_demo_model()


@pytest.fixture()
def saved(model, tmp_path) -> Path:
    return model.save(tmp_path / "model.json")


def _fresh(code: str, cwd: Path) -> dict:
    """Run ``code`` in a fresh interpreter; it prints a JSON object as its last line."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


_LOADED = f"[m for m in {list(DEVELOPMENT_MODULES)!r} if m in sys.modules]"


def test_load_and_score_in_fresh_process_skips_development_modules(saved):
    out = _fresh(
        f"""
        import json, sys
        import lbprun.clinic
        model = lbprun.clinic.load_model({str(saved)!r})
        score = model.score({RUNNER!r})
        print(json.dumps({{"loaded": {_LOADED}, "p": float(score.to_frame()["probability"][0])}}))
        """,
        saved.parent,
    )
    assert out["loaded"] == []
    expected = load_model(saved).score(RUNNER).to_frame()["probability"][0]
    assert out["p"] == expected
    assert 0.5 < out["p"] < 0.75  # the demonstration model's risk of this runner (0.631)


def test_cli_score_in_fresh_process_skips_development_modules(saved):
    (saved.parent / "runner.json").write_text(json.dumps(RUNNER), encoding="utf-8")
    (saved.parent / "runners.csv").write_text(
        "age,sex,prior_lbp,strength_training,weekly_km\n45,M,true,false,40\n30,F,false,true,20\n",
        encoding="utf-8",
    )
    out = _fresh(
        f"""
        import contextlib, io, json, sys
        from lbprun.cli import main
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            one = main(["score", "--model", "model.json", "--runner", "runner.json", "--json"])
            many = main(["score", "--model", "model.json", "--input", "runners.csv",
                         "--out", "scored.csv"])
        print(json.dumps({{"codes": [one, many], "loaded": {_LOADED}}}))
        """,
        saved.parent,
    )
    assert out == {"codes": [0, 0], "loaded": []}
    scored = (saved.parent / "scored.csv").read_text(encoding="utf-8").splitlines()
    assert len(scored) == 3  # header + both runners


def test_opting_in_to_jsonschema_imports_it_and_loads_the_same_model(saved):
    out = _fresh(
        f"""
        import json, sys
        from lbprun.clinic import load_model
        plain = load_model({str(saved)!r})
        before = "jsonschema" in sys.modules
        checked = load_model({str(saved)!r}, jsonschema=True)
        same = plain.coef.tolist() == checked.coef.tolist()
        print(json.dumps({{"before": before, "after": "jsonschema" in sys.modules, "same": same}}))
        """,
        saved.parent,
    )
    assert out == {"before": False, "after": True, "same": True}


def test_jsonschema_flag_runs_the_jsonschema_check_only_when_asked(saved, monkeypatch):
    calls = []

    def fake(doc):
        calls.append(doc["format"])
        return ["$.model.label made-up problem only jsonschema sees"]

    monkeypatch.setattr(mf, "jsonschema_errors", fake)
    assert load_model(saved).outcome == "lbp_12m"
    assert calls == []
    with pytest.raises(ModelFileError, match=r"model\.json must follow .*made-up problem"):
        load_model(saved, jsonschema=True)
    assert calls == ["lbprun-risk-model"]


def test_jsonschema_flag_without_the_package_names_the_fix(saved, monkeypatch):
    monkeypatch.setattr(mf, "jsonschema_errors", lambda doc: None)
    with pytest.raises(ArgumentError, match=r"needs the jsonschema package .*model\.json"):
        load_model(saved, jsonschema=True)


@pytest.mark.parametrize("flag", [1, "yes", None])
def test_jsonschema_flag_must_be_a_bool(saved, flag):
    with pytest.raises(ArgumentError, match=rf"jsonschema must be True or False; got {flag!r}"):
        load_model(saved, jsonschema=flag)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["model"].pop("covariance"), "covariance"),
        (lambda d: d["model"]["features"][0].update(kind="polynomial"), "kind"),
        (lambda d: d["model"]["development"].update(n=0), "n"),
        (lambda d: d["model"].update(coefficients="0.5"), "coefficients"),
    ],
)
def test_both_schema_checks_refuse_invalid_files(saved, change, where):
    doc = json.loads(saved.read_text(encoding="utf-8"))
    change(doc)
    doc["checksum"]["value"] = checksum(doc)
    saved.write_text(json.dumps(doc), encoding="utf-8")
    assert any(where in e for e in schema_errors(doc))
    assert any(where in e for e in jsonschema_errors(doc))
    for flag in (False, True):
        with pytest.raises(
            ModelFileError, match=f"must follow the model-file schema; got .*{where}"
        ):
            load_model(saved, jsonschema=flag)


_LEAVES = [
    ("outcome",),
    ("label",),
    ("intercept_shift",),
    ("recalibrated_to",),
    ("development", "n"),
    ("development", "events"),
    ("development", "created"),
    ("bands", 0, "lower"),
    ("bands", 1, "name"),
    ("features", 0, "kind"),
    ("features", 0, "min"),
    ("features", 1, "levels"),
    ("features", 2, "knots"),
]
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10**6),
    st.floats(-1e3, 1e3, allow_nan=False),
    st.text(max_size=5),
    st.lists(st.integers(0, 3), max_size=3),
)


@settings(max_examples=60, deadline=None)
@given(leaf=st.sampled_from(_LEAVES), value=_VALUES)
def test_schema_checks_agree_on_any_changed_value(model, leaf, value):
    doc = mf.document_of(model)
    node = doc["model"]
    for key in leaf[:-1]:
        node = node[key]
    node[leaf[-1]] = value
    assert bool(schema_errors(doc)) == bool(jsonschema_errors(doc))


def test_clinic_names_resolve_lazily_to_their_modules_objects():
    import lbprun.clinic.develop as develop

    assert clinic.decision_curve is develop.decision_curve  # the function, not the submodule
    assert callable(clinic.decision_curve)
    assert clinic.develop_risk_model is develop.develop_risk_model
    assert clinic.load_model is mf.load_model
    assert set(clinic.__all__) <= set(dir(clinic))
    for name in clinic.__all__:
        assert getattr(clinic, name) is not None
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        _ = clinic.no_such_name


def test_scores_from_a_freshly_loaded_file_equal_the_saved_models(model, saved):
    loaded = load_model(saved)
    a, b = model.score(RUNNER).to_frame(), loaded.score(RUNNER).to_frame()
    assert np.array_equal(
        a[["probability", "ci_low", "ci_high"]], b[["probability", "ci_low", "ci_high"]]
    )
