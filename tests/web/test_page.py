"""The HTML page through the test client: form from the schema, result, errors, upload."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from lbprun.web import create_app
from tests.web.conftest import RUNNER

FORM = {"age": "45", "sex": "M", "prior_lbp": "yes", "strength_training": "no", "weekly_km": "40"}


def _log_csv(days: int = 35, km: float = 6.0) -> bytes:
    dates = pd.date_range("2025-04-27", periods=days)
    lines = ["date,distance_km,duration_min"] + [f"{d.date()},{km},35" for d in dates]
    return ("\n".join(lines) + "\n").encode()


def _post(client, fields, files=None):
    multipart = {k: (None, v) for k, v in fields.items()}
    multipart.update(files or {})
    return client.post("/", files=multipart)


def _probability(html: str) -> float:
    return float(re.search(r'id="risk-percent" data-probability="([^"]+)"', html).group(1))


def test_form_is_built_from_the_schema(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert (
        '<input type="number" step="any" id="f-age" name="age" required min="10" max="100"' in html
    )
    assert "development range 18–80 years" in html
    assert re.search(
        r'<select id="f-sex" name="sex" required>.*<option value="F">F</option>'
        r'<option value="M">M</option></select>',
        html,
    )
    assert '<option value="yes">yes</option><option value="no">no</option>' in html
    assert 'type="file" id="f-training_log" name="training_log"' in html
    # weekly_km can come from the log, so it is not required
    assert re.search(r'name="weekly_km" min="0" max="400"', html)
    assert 'class="label" id="model-label"' in html and "demonstration only" in html
    assert (
        "<script" not in html
        and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
        and "https://" not in html
    )


def test_submit_shows_the_risk(client, model):
    answer = _post(client, FORM)
    assert answer.status_code == 200
    html = answer.text
    expected = model.score(RUNNER).table.iloc[0]
    assert _probability(html) == expected["probability"]
    assert ">63.1%</span>" in html and "58.5% to 67.4%" in html
    assert '<b id="risk-band">moderate</b>' in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" id="contribution-chart"' in html
    assert html.count("<rect ") == 5 and "OR 2.95" in html
    assert 'value="45"' in html  # the form is refilled
    assert "extrapolation-warning" not in html


def test_extrapolation_warning_on_the_page(client):
    html = _post(client, {**FORM, "age": "85"}).text
    assert 'id="extrapolation-warning"' in html and "age lies outside the range" in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("age", "abc", "age must be a number (years); got &#x27;abc&#x27;."),
        ("age", "150", "age must lie between 10 and 100 years; got 150."),
        ("sex", "X", "sex must be one of [&#x27;F&#x27;, &#x27;M&#x27;]; got &#x27;X&#x27;."),
        ("prior_lbp", "maybe", "prior_lbp must be yes or no"),
        ("weekly_km", "", "weekly_km is required or upload a training log."),
    ],
)
def test_bad_input_shows_an_error(client, field, value, message):
    answer = _post(client, {**FORM, field: value})
    assert answer.status_code == 422
    html = answer.text
    assert 'id="errors" role="alert"' in html and f'data-field="{field}"' in html
    assert message in html
    assert f'id="f-{field}" name="{field}" class="invalid" aria-invalid="true"' in html
    assert 'value="40"' in html or field == "weekly_km"  # refilled
    assert "risk-percent" not in html


def test_training_log_upload(client, model):
    fields = {k: v for k, v in FORM.items() if k != "weekly_km"} | {"index_date": "2025-06-01"}
    answer = _post(client, fields, {"training_log": ("log.csv", _log_csv(), "text/csv")})
    assert answer.status_code == 200, answer.text
    runner = {k: v for k, v in RUNNER.items() if k != "weekly_km"}
    log = pd.read_csv(pd.io.common.BytesIO(_log_csv()), parse_dates=["date"]).assign(runner_id="r")
    expected = model.score(runner, activities=log, index_date="2025-06-01").table.iloc[0]
    assert _probability(answer.text) == expected["probability"]
    assert "weekly_km = 42" in answer.text  # 6 km a day, 7 days a week


@pytest.mark.parametrize(
    ("fields", "log", "status", "field", "message"),
    [
        (
            FORM | {"index_date": "2025-06-01"},
            _log_csv(),
            422,
            "weekly_km",
            "weekly_km must be left blank when a training log is uploaded",
        ),
        (
            {k: v for k, v in FORM.items() if k != "weekly_km"},
            _log_csv(),
            422,
            "index_date",
            "index_date is required with a training log",
        ),
        (
            FORM | {"index_date": "2025-06-01"},
            None,
            422,
            "index_date",
            "index_date is used only with a training log",
        ),
        (
            {k: v for k, v in FORM.items() if k != "weekly_km"} | {"index_date": "2025-06-01"},
            b"date,distance_km,duration_min\n2025-05-30,-5,30\n",
            422,
            "training_log",
            "the training log has 1 problem(s)",
        ),
        (
            {k: v for k, v in FORM.items() if k != "weekly_km"} | {"index_date": "2025-06-01"},
            b"\xff\xfe\x00binary",
            400,
            "training_log",
            "must be a UTF-8 CSV file",
        ),
    ],
)
def test_bad_upload_shows_an_error(client, fields, log, status, field, message):
    files = {"training_log": ("log.csv", log, "text/csv")} if log is not None else None
    answer = _post(client, fields, files)
    assert answer.status_code == status
    assert f'data-field="{field}"' in answer.text and message in answer.text


def test_upload_limit_413(model):
    from fastapi.testclient import TestClient

    client = TestClient(create_app(model, max_upload_bytes=4096, rate_limit=None))
    big = _log_csv(days=400)
    assert len(big) > 4096
    answer = _post(client, FORM, {"training_log": ("log.csv", big, "text/csv")})
    assert answer.status_code == 413
    assert _post(client, FORM).status_code == 200
