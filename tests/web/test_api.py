"""The JSON API: scores equal ``model.score`` exactly, errors name fields, limits hold."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lbprun.web import RateLimit, create_app
from tests.web.conftest import RUNNER


def _expected(model, runner, **kwargs):
    import warnings

    from lbprun.exceptions import ExtrapolationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        return model.score(runner, **kwargs)


def test_score_equals_model_score(client, model):
    answer = client.post("/api/score", json=RUNNER)
    assert answer.status_code == 200
    body = answer.json()
    row = _expected(model, RUNNER).table.iloc[0]
    assert body["probability"] == row["probability"] == 0.6306900326088617
    assert (body["ci_low"], body["ci_high"]) == (row["ci_low"], row["ci_high"])
    assert body["band"] == "moderate"
    assert body["label"] == "demonstration only — not validated for clinical use"
    assert [c["predictor"] for c in body["contributions"]] == [f.name for f in model.features]
    prior = body["contributions"][2]
    assert prior == {
        "predictor": "prior_lbp",
        "value": True,
        "reference": False,
        "log_odds": row["contribution_prior_lbp"],
        "odds_ratio": pytest.approx(2.9501587713780424, rel=1e-15),
    }
    assert body["warnings"] == [] and body["extrapolated"] is False
    assert body["model"]["format_version"] == "1.0"
    assert body["model"]["data_sha256"] == model.development.data_sha256


@given(
    age=st.floats(18, 80),
    sex=st.sampled_from(["F", "M"]),
    prior=st.booleans(),
    strength=st.booleans(),
    km=st.floats(6.2, 171.5),
)
def test_score_equals_model_score_property(model, age, sex, prior, strength, km):
    from fastapi.testclient import TestClient

    runner = {
        "age": age,
        "sex": sex,
        "prior_lbp": prior,
        "strength_training": strength,
        "weekly_km": km,
    }
    client = TestClient(create_app(model, rate_limit=None))
    body = client.post("/api/score", json=runner).json()
    table = _expected(model, runner).table.iloc[0]
    assert (body["probability"], body["ci_low"], body["ci_high"]) == (
        table["probability"],
        table["ci_low"],
        table["ci_high"],
    )
    assert 0 <= body["ci_low"] <= body["probability"] <= body["ci_high"] <= 1


def test_extrapolation_is_a_warning(client, model):
    runner = {**RUNNER, "age": 85}
    body = client.post("/api/score", json=runner).json()
    assert body["extrapolated"] is True and body["outside_range"] == ["age"]
    assert "development range [18, 80]" in body["warnings"][0]
    assert body["probability"] == _expected(model, runner).table["probability"].iloc[0]


def test_training_log_in_json(client, model):
    import pandas as pd

    runs = [
        {"date": f"2025-05-{d:02d}", "distance_km": 5.0 + d % 3, "duration_min": 30.0}
        for d in range(4, 32)
    ]
    runner = {k: v for k, v in RUNNER.items() if k != "weekly_km"}
    body = client.post(
        "/api/score", json={**runner, "index_date": "2025-06-01", "activities": runs}
    ).json()
    log = pd.DataFrame(runs).assign(runner_id="runner", date=lambda f: pd.to_datetime(f["date"]))
    expected = _expected(model, runner, activities=log, index_date="2025-06-01").table.iloc[0]
    assert body["probability"] == expected["probability"]
    assert body["contributions"][-1]["value"] == pytest.approx(
        sum(r["distance_km"] for r in runs[:28]) / 4
    )


@pytest.mark.parametrize(
    ("body", "status", "field", "text"),
    [
        ({**RUNNER, "age": "forty"}, 422, "age", "age must be a number; got 'forty'"),
        ({**RUNNER, "age": 150}, 422, "age", "age must lie in [10, 100] years"),
        ({**RUNNER, "sex": "X"}, 422, "sex", "sex must be one of ['F', 'M']"),
        ({k: v for k, v in RUNNER.items() if k != "weekly_km"}, 422, "weekly_km", "must be given"),
        ({**RUNNER, "height_cm": 180}, 422, "height_cm", "unknown field 'height_cm'"),
        ({**RUNNER, "index_date": "2025-06-01"}, 422, "index_date", "only with a training log"),
        ([1, 2], 422, "body", "JSON object"),
        ({**RUNNER, "activities": "lots"}, 422, "activities", "list of runs"),
    ],
)
def test_bad_input_names_the_field(client, body, status, field, text):
    answer = client.post("/api/score", json=body)
    assert answer.status_code == status
    detail = answer.json()["detail"]
    assert any(d["field"] == field and text in d["message"] for d in detail), detail


def test_invalid_json_is_400(client):
    answer = client.post(
        "/api/score", content=b"{age: 45", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["detail"] == [
        {"field": "body", "message": "the body must be valid JSON."}
    ]


def test_body_limit_413(model):
    from fastapi.testclient import TestClient

    client = TestClient(create_app(model, max_body_bytes=2048, rate_limit=None))
    big = {**RUNNER, "runner_id": "x" * 3000}
    answer = client.post("/api/score", json=big)
    assert answer.status_code == 413
    assert "limit of 2048 bytes" in answer.json()["detail"]
    # without Content-Length (chunked): counted as it arrives
    chunks = iter([b'{"runner_id": "', b"x" * 3000, b'"}'])
    answer = client.post(
        "/api/score", content=chunks, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413
    assert client.post("/api/score", json=RUNNER).status_code == 200


def test_rate_limit_429(model):
    from fastapi.testclient import TestClient

    client = TestClient(create_app(model, rate_limit=RateLimit(rate=0.01, burst=3)))
    codes = [client.post("/api/score", json=RUNNER).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    limited = client.get("/api/model")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "100"


def test_security_headers(client):
    for path in ("/", "/api/model", "/docs"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert csp.startswith("default-src 'none'; style-src 'sha256-")
        assert "frame-ancestors 'none'" in csp and "script-src" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


def test_model_endpoint(client, model):
    body = client.get("/api/model").json()
    assert body["label"] == model.label and body["outcome"] == "lbp_12m"
    age = body["features"][0]
    assert (age["name"], age["unit"], age["min"], age["max"]) == ("age", "years", 18.0, 80.0)
    assert (age["plausible_min"], age["plausible_max"]) == (10.0, 100.0)
    assert body["features"][1]["levels"] == ["F", "M"]
    assert body["features"][4]["from_training_log"] is True
    assert body["development"]["n"] == 2500 and body["development"]["events"] == 1084
    assert [b["name"] for b in body["bands"]] == ["low", "moderate", "high"]


def test_openapi_and_offline_docs(client, model):
    spec = client.get("/openapi.json").json()
    schema = spec["paths"]["/api/score"]["post"]["requestBody"]["content"]["application/json"]
    assert schema["schema"]["properties"]["sex"]["enum"] == ["F", "M"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "POST /api/score" in docs.text
    assert "<script" not in docs.text and "cdn" not in docs.text.lower()
    assert client.get("/redoc").status_code == 404


def test_nothing_is_logged(client, caplog):
    caplog.set_level(logging.DEBUG)
    secret = {**RUNNER, "age": 47.123456, "runner_id": "SECRET-RUNNER"}
    assert client.post("/api/score", json=secret).status_code == 200
    assert client.post("/api/score", json={**secret, "sex": "Q"}).status_code == 422
    form = {k: str(v) for k, v in secret.items() if k != "runner_id"}
    client.post("/", files={"age": (None, form["age"])}, data=form)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "47.123456" not in text and "SECRET-RUNNER" not in text


def test_real_server_logs_no_input(server):
    import httpx

    url, log = server
    secret = {**RUNNER, "age": 46.987654}
    assert httpx.post(f"{url}/api/score", json=secret).status_code == 200
    assert httpx.post(f"{url}/api/score", json={**secret, "sex": "Q"}).status_code == 422
    text = log.read_text()
    assert "Uvicorn running on http://127.0.0.1:" in text
    assert "46.987654" not in text and "/api/score" not in text  # no access log


def test_import_lbprun_does_not_import_fastapi():
    code = "import lbprun, lbprun.clinic, lbprun.cli, sys; print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_serve_without_extra_exits_1(monkeypatch, capsys):
    import importlib.util

    from lbprun.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "fastapi" else real(name, *a)
    )
    assert main(["serve", "--demo"]) == 1
    err = capsys.readouterr().err
    assert 'pip install "lbprun[web]"' in err and "fastapi" in err


def test_bad_limits_are_refused(model):
    with pytest.raises(ValueError, match="max_body_bytes must be an integer >= 1024"):
        create_app(model, max_body_bytes=10)
    with pytest.raises(ValueError, match="burst must be an integer >= 1"):
        RateLimit(rate=1, burst=0)
    assert json.dumps(RateLimit().__dict__) == '{"rate": 10.0, "burst": 20}'
