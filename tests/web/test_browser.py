"""End to end in a real headless Chromium (Debian's package) against ``lbprun serve``.

These tests fail, never skip, when Chromium or Playwright is missing: ``.ci/run`` installs
Chromium (``apt-get install chromium``) and the dev extra installs Playwright.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.web.conftest import RUNNER

CHROMIUM = "/usr/bin/chromium"
LOG = "date,distance_km,duration_min\n" + "".join(f"2025-05-{d:02d},6,35\n" for d in range(1, 32))


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def page(request, browser):
    context = browser.new_context(java_script_enabled=request.param)
    page = context.new_page()
    blocked = []
    page.on(
        "request",
        lambda r: None if r.url.startswith("http://127.0.0.1") else blocked.append(r.url),
    )
    yield page
    context.close()
    assert blocked == []  # nothing fetched from elsewhere


def _fill(page, values):
    page.fill("#f-age", values["age"])
    page.select_option("#f-sex", values["sex"])
    page.select_option("#f-prior_lbp", values["prior_lbp"])
    page.select_option("#f-strength_training", values["strength_training"])
    page.fill("#f-weekly_km", values["weekly_km"])


FORM = {"age": "45", "sex": "M", "prior_lbp": "yes", "strength_training": "no", "weekly_km": "40"}


def test_fill_submit_and_read_the_risk(server, page, model):
    url, _ = server
    page.goto(url + "/")
    assert "demonstration only" in page.inner_text("#model-label")
    _fill(page, FORM)
    page.click("#submit")
    page.wait_for_selector("#risk-percent")
    expected = model.score(RUNNER).table.iloc[0]
    shown = page.locator("#risk-percent")
    assert float(shown.get_attribute("data-probability")) == expected["probability"]
    assert shown.inner_text() == f"{expected['probability']:.1%}" == "63.1%"
    assert page.inner_text("#risk-interval") == "58.5% to 67.4%"
    assert page.inner_text("#risk-band") == "moderate"
    assert page.locator("#contribution-chart rect").count() == 5
    assert page.input_value("#f-age") == "45"


def test_server_error_is_shown_with_the_form_refilled(server, page):
    url, _ = server
    page.goto(url + "/")
    _fill(page, FORM)  # weekly_km given and a log uploaded: the server refuses
    page.set_input_files(
        "#f-training_log", {"name": "log.csv", "mimeType": "text/csv", "buffer": LOG.encode()}
    )
    page.fill("#f-index_date", "2025-06-01")
    page.click("#submit")
    page.wait_for_selector("#errors")
    assert "weekly_km must be left blank when a training log is uploaded" in page.inner_text(
        "#errors"
    )
    assert page.input_value("#f-age") == "45" and page.input_value("#f-weekly_km") == "40"
    assert page.locator("#risk-percent").count() == 0


def test_training_log_upload(server, page, model):
    import io

    import pandas as pd

    url, _ = server
    page.goto(url + "/")
    _fill(page, {**FORM, "weekly_km": ""})
    page.set_input_files(
        "#f-training_log", {"name": "log.csv", "mimeType": "text/csv", "buffer": LOG.encode()}
    )
    page.fill("#f-index_date", "2025-06-01")
    page.click("#submit")
    page.wait_for_selector("#risk-percent")
    runner = {k: v for k, v in RUNNER.items() if k != "weekly_km"}
    log = pd.read_csv(io.StringIO(LOG), parse_dates=["date"]).assign(runner_id="r")
    expected = model.score(runner, activities=log, index_date="2025-06-01").table.iloc[0]
    value = page.locator("#risk-percent").get_attribute("data-probability")
    assert float(value) == expected["probability"]


def test_browser_enforces_the_range(server, browser):
    url, _ = server
    page = browser.new_page()
    page.goto(url + "/")
    _fill(page, {**FORM, "age": "5"})
    assert page.locator("#f-age").evaluate("e => e.validity.rangeUnderflow") is True
    page.click("#submit")  # the browser refuses to submit
    assert page.locator("#risk-percent").count() == 0 and page.locator("#errors").count() == 0
    page.close()
