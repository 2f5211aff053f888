"""The report object: sections, provenance, training load, exports, saving, argument checks."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lbprun
from lbprun._checks import ArgumentError
from lbprun.reporting._report_export import latex_table
from lbprun.reporting._report_masks import redact_notes
from lbprun.reporting.report import report

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
SURVEY = REFERENCE / "runner_survey.csv"


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    return pd.read_csv(SURVEY)


@pytest.fixture(scope="module")
def with_log(survey):
    log = pd.read_csv(REFERENCE / "runner_activities.csv")
    log = log[log["runner_id"].isin(log["runner_id"].unique()[:60])]
    bad = survey.head(300).copy()
    bad.loc[bad.index[:2], "age"] = 250.0  # out of range: two rows rejected
    return report(bad, outcome="lbp_12m", by=["sex"], activities=log, title="Club survey")


def test_sections_data_summary_and_provenance(with_log, survey):
    keys = [s.key for s in with_log.sections]
    assert keys == [
        "data",
        "table-one",
        "prevalence",
        "risk-factors",
        "training-load",
        "notes",
        "methods",
        "provenance",
    ]
    summary = with_log.tables["data_summary"]
    assert summary.loc[0, ["rows read", "kept", "rejected"]].tolist() == ["300", "298", "2"]
    html = with_log.to_html()
    assert "age / in_range: 2 row(s) rejected" in html
    assert f"lbprun {lbprun.__version__}" in html
    assert "binom::binom.confint(x, n, method = &quot;wilson&quot;)" in html
    assert "glm(outcome ~ covariates, family = binomial)" in html
    for rejected in survey["runner_id"].head(2):
        assert rejected not in html
    assert "<title>Club survey</title>" in html


def test_training_load_is_aggregated_over_runners(with_log):
    load = with_log.tables["training_load"].set_index("measure")["value"]
    assert load["runners"] == "60"
    figures = next(s for s in with_log.sections if s.key == "training-load").figures
    assert len(figures) == 3
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", with_log.to_markdown())
    assert not re.search(r"\bC\d{4}\b", text)  # no runner id of the log


def test_save_and_export_every_format(with_log, tmp_path):
    assert with_log.save(tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert with_log.save(tmp_path / "r.md").read_text().startswith("# Club survey")
    with pytest.raises(ArgumentError, match="must end in .html or .md"):
        with_log.save(tmp_path / "r.docx")
    for fmt in ("csv", "xlsx", "tex"):
        paths = with_log.export_tables(tmp_path / fmt, fmt)
        assert sorted(p.name for p in paths) == sorted(f"{n}.{fmt}" for n in with_log.tables)
    shown = pd.read_csv(tmp_path / "csv" / "prevalence.csv", dtype=str)
    pd.testing.assert_frame_equal(shown, with_log.tables["prevalence"])
    with pytest.raises(ArgumentError, match="format"):
        with_log.export_tables(tmp_path, "docx")


def test_a_data_frame_is_fingerprinted_and_bad_arguments_are_refused(survey):
    built = report(survey.head(200), by="sex", covariates=[], threshold=5)
    csv = survey.head(200).to_csv(index=False).encode()
    assert built.inputs[0].sha256 == hashlib.sha256(csv).hexdigest()
    assert "No covariates were given" in built.to_html()
    with pytest.raises(ArgumentError, match="threshold"):
        report(survey, threshold=0)
    with pytest.raises(ArgumentError, match="identify runners"):
        report(survey.head(50), by=["runner_id"])
    with pytest.raises(ArgumentError, match="data must be a file path"):
        report([1, 2, 3])


def test_latex_escapes_every_special_character():
    text = latex_table(pd.DataFrame({"a": ["50% & $5_#{}"]}), "x")
    assert r"50\% \& \$5\_\#\{\}" in text


@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 40), ident=st.from_regex(r"[A-Z]{1,3}[0-9]{2,5}", fullmatch=True))
def test_notes_never_keep_a_small_row_count_or_a_runner_id(n, ident):
    (note,) = redact_notes([f"{n} rows left out; first {ident}."], 11, {ident})
    assert ident not in note.split()
    assert ("<11 rows" in note) == (0 < n < 11)
    assert (f"{n} rows" in note) == (n == 0 or n >= 11)
