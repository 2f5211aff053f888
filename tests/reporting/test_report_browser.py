"""The report of the reference survey in a real headless Chromium (Debian's package).

The page must render (a screenshot that is not blank), show the numbers the library computes,
print to a PDF, fetch nothing but itself and show no runner identifier. These tests fail, never
skip, when Chromium or Playwright is missing (as ``tests/web/test_browser.py``).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import sync_playwright

from lbprun import SurveyDesign
from lbprun.io.read import read_survey
from lbprun.measures.prevalence import prevalence
from lbprun.models.risk_factors import fit_risk_factors
from lbprun.reporting.report import report

CHROMIUM = "/usr/bin/chromium"
SURVEY = Path(__file__).resolve().parents[1] / "reference" / "runner_survey.csv"
DESIGN = SurveyDesign(cluster="club", strata="region", weights="weight", nest=True)


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    built = report(SURVEY, outcome="lbp_12m", by=["sex", "surface"], design=DESIGN)
    return built.save(tmp_path_factory.mktemp("report") / "report.html")


@pytest.fixture(scope="module")
def loaded(saved):
    """Load the page once with JavaScript off; keep its text, requests, screenshot and PDF."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        context = browser.new_context(java_script_enabled=False)
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(saved.as_uri(), wait_until="load")
        page.wait_for_load_state("networkidle")
        out = {
            "text": page.inner_text("body"),
            "images": [
                (img.get_attribute("src")[:22], img.bounding_box()["width"])
                for img in page.locator("img").all()
            ],
            "screenshot": page.screenshot(full_page=False),
            "pdf": page.pdf(format="A4", print_background=True),
            "requests": requests,
        }
        context.close()
        browser.close()
    return out


def test_the_page_renders_and_is_not_blank(loaded):
    pixels = matplotlib.image.imread(io.BytesIO(loaded["screenshot"]), format="png")
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert float(np.var(pixels[..., :3])) > 1e-3  # text and lines, not a blank page
    assert loaded["images"], "the figures are on the page"
    assert all(src.startswith("data:image/png;base64") and w > 50 for src, w in loaded["images"])


def test_key_numbers_on_the_page_equal_the_library(loaded):
    data = read_survey(SURVEY)
    overall = prevalence(data, "lbp_12m", design=DESIGN).table.iloc[0]
    shown = (
        f"{100 * overall.estimate:.1f}% ({100 * overall.ci_low:.1f}% to "
        f"{100 * overall.ci_high:.1f}%)"
    )
    assert shown == "24.4% (22.3% to 26.6%)"
    text = loaded["text"]
    assert f"Overall prevalence: {shown}, n = {int(overall.n)}" in text
    assert int(overall.n) == len(data) == 2549
    fit = fit_risk_factors(data, "lbp_12m", ["sex", "surface"], design=DESIGN)
    row = fit.to_frame().set_index("label").loc["sex: M vs F"]
    odds = f"{row.estimate:.2f} ({row.ci_low:.2f} to {row.ci_high:.2f})"
    assert re.search(rf"sex: M vs F\s+{re.escape(odds)}", text), odds
    by_sex = prevalence(data, "lbp_12m", by="sex", design=DESIGN).table.set_index("group")
    women = by_sex.loc["F"]
    assert f"{100 * women.estimate:.1f}% ({100 * women.ci_low:.1f}%" in text
    assert "survey::svyciprop" in text and "SHA-256" in text


def test_the_page_prints_to_a_pdf(loaded):
    pdf = loaded["pdf"]
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_the_page_fetches_nothing_but_itself_and_shows_no_runner_id(loaded, saved):
    assert loaded["requests"] == [saved.as_uri()]
    page = saved.read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page and "<script" not in page
    ids = set(pd.read_csv(SURVEY)["runner_id"])
    tokens = set(re.findall(r"[A-Za-z0-9_-]+", page))
    assert not ids & tokens
