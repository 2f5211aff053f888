"""Direct standardisation: the bundled ESP 2013, age bands, the Fay-Feuer interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from tolerances import CLOSED_FORM_ABS

from lbprun._checks import ArgumentError
from lbprun.exceptions import SparseDataWarning
from lbprun.measures.prevalence import prevalence
from lbprun.measures.standardize import (
    StandardPopulation,
    age_bands,
    design_standardize,
    direct_standardize,
    esp2013,
    esp2013_table,
)
from lbprun.measures.survey import (
    SurveyDesign,
    design_frame,
    linearization_vcov,
)
from lbprun.measures.survey_proportion import design_proportion

ESP_2013 = [5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500]
ESP_2013 += [5000, 4000, 2500, 1500, 1000]


def test_esp2013_table_is_the_eurostat_standard():
    table = esp2013_table()
    assert table["population"].tolist() == ESP_2013
    assert table["population"].sum() == 100_000
    assert table["age_band"].iloc[0] == "0-4" and table["age_band"].iloc[-1] == "90+"
    assert table["age_min"].tolist() == list(range(0, 95, 5))


def test_esp2013_collapses_to_study_bands():
    std = esp2013([15, 35, 55, 75])
    assert std.table["age_band"].tolist() == ["15-34", "35-54", "55-74", "75+"]
    assert std.table["population"].tolist() == [
        sum(ESP_2013[3:7]),
        sum(ESP_2013[7:11]),
        sum(ESP_2013[11:15]),
        sum(ESP_2013[15:]),
    ]
    assert std.name == "ESP 2013" and "Eurostat" in std.source
    assert std.weights.sum() == pytest.approx(1.0)
    assert len(esp2013().table) == 19
    with pytest.raises(ArgumentError, match="multiples of 5"):
        esp2013([15, 32])
    with pytest.raises(ArgumentError, match="increasing"):
        esp2013([30, 15])


def test_age_bands_cut_left_closed():
    bands = age_bands([14.9, 15, 24.99, 25, 64, 65, 99, np.nan], [15, 25, 65])
    assert list(bands.categories) == ["15-24", "25-64", "65+"]
    assert [None if pd.isna(b) else b for b in bands] == [
        None, "15-24", "15-24", "25-64", "25-64", "65+", "65+", None,
    ]  # fmt: skip


def test_direct_standardize_by_hand():
    # rates 2/50, 10/100, 30/200 with standard weights 0.2, 0.3, 0.5
    out = direct_standardize([2, 10, 30], [50, 100, 200], [20, 30, 50])
    dsr = 0.2 * 0.04 + 0.3 * 0.1 + 0.5 * 0.15  # 0.113
    var = 0.04 * 2 / 2500 + 0.09 * 10 / 10000 + 0.25 * 30 / 40000  # 3.095e-4
    w_max = 0.2 / 50
    assert dsr == pytest.approx(0.113) and var == pytest.approx(3.095e-4)
    assert out["estimate"] == pytest.approx(dsr, rel=1e-12)
    assert out["std_error"] == pytest.approx(np.sqrt(var), rel=1e-12)
    assert out["crude_estimate"] == pytest.approx(42 / 350)
    low = stats.gamma.ppf(0.025, dsr**2 / var, scale=var / dsr)
    high = stats.gamma.ppf(
        0.975, (dsr + w_max) ** 2 / (var + w_max**2), scale=(var + w_max**2) / (dsr + w_max)
    )
    assert out["ci_low"] == pytest.approx(low, rel=1e-10)
    assert out["ci_high"] == pytest.approx(high, rel=1e-10)
    assert out["ci_low"] < dsr < out["ci_high"]


def test_direct_standardize_matches_stats_poisson_test(expected_dir):
    """With one stratum the Fay-Feuer interval is the exact Garwood interval."""
    reference = pd.read_csv(expected_dir / "poisson_ci.csv")
    rows = reference[(reference["x"] <= reference["person_time"]) & (reference["high"] < 1)]
    assert len(rows) >= 15
    for row in rows.itertuples():
        out = direct_standardize([row.x], [row.person_time], [1.0], level=row.level)
        assert out["estimate"] == pytest.approx(row.rate, abs=CLOSED_FORM_ABS)
        assert out["ci_low"] == pytest.approx(row.low, abs=CLOSED_FORM_ABS)
        assert out["ci_high"] == pytest.approx(row.high, abs=CLOSED_FORM_ABS)


def test_direct_standardize_invariants():
    same_rate = direct_standardize([5, 10, 20], [50, 100, 200], [1, 5, 2])
    assert same_rate["estimate"] == pytest.approx(0.1)
    own_structure = direct_standardize([3, 10, 40], [50, 100, 200], [50, 100, 200])
    assert own_structure["estimate"] == pytest.approx(own_structure["crude_estimate"])
    none = direct_standardize([0, 0], [10, 20], [1, 1])
    assert none["ci_low"] == 0.0 and 0 < none["ci_high"] <= 1.0
    with pytest.raises(ArgumentError, match="same positive length"):
        direct_standardize([1, 2], [10], [1, 1])
    with pytest.raises(ArgumentError, match="between 0 and n"):
        direct_standardize([11], [10], [1])
    with pytest.raises(ArgumentError, match="non-negative with a positive total"):
        direct_standardize([1], [10], [0])


def test_standard_population_checks():
    with pytest.raises(ArgumentError, match="'population' column"):
        StandardPopulation(pd.DataFrame({"age_band": ["a"], "pop": [1]}))
    with pytest.raises(ArgumentError, match="one row per stratum"):
        StandardPopulation(pd.DataFrame({"age_band": ["a", "a"], "population": [1, 2]}))
    with pytest.raises(ArgumentError, match="at least one stratum column"):
        StandardPopulation(pd.DataFrame({"population": [1, 2]}))


def _runners(seed: int = 5, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.uniform(18, 70, n).round(1)
    sex = rng.choice(["F", "M"], n)
    risk = 0.1 + 0.004 * (age - 18) + 0.05 * (sex == "F")
    return pd.DataFrame({"age": age, "sex": sex, "lbp_12m": rng.random(n) < risk})


def test_prevalence_standardised_to_esp2013_by_hand():
    data = _runners()
    edges = [15, 30, 45, 60]
    result = prevalence(data, by="sex", standardize="esp2013", age_bands=edges)
    assert result.standard_population == "ESP 2013" and result.strata_columns == ("age_band",)
    assert (result.table["method"] == "fay_feuer").all()
    weights = np.array([sum(ESP_2013[3:6]), sum(ESP_2013[6:9]), sum(ESP_2013[9:12])])
    weights = np.append(weights, sum(ESP_2013[12:]))
    band = pd.cut(data["age"], [15, 30, 45, 60, np.inf], right=False)
    for sex in ("F", "M"):
        rows = data[data["sex"] == sex]
        rates = rows.groupby(band[rows.index], observed=False)["lbp_12m"].mean().to_numpy()
        expected = np.sum(weights / weights.sum() * rates)
        got = result.table.set_index("group").loc[sex]
        assert got["estimate"] == pytest.approx(expected, rel=1e-12)
        assert got["crude_estimate"] == pytest.approx(rows["lbp_12m"].mean())
        assert got["ci_low"] < got["estimate"] < got["ci_high"]
    overall = result.table.iloc[0]
    assert overall["group"] == "all" and overall["n"] == len(data)
    assert "standardised" in result.summary()


def test_prevalence_standardised_by_age_and_sex():
    data = _runners(seed=8)
    data["age_band"] = age_bands(data["age"], [15, 40]).astype(str)
    standard = pd.DataFrame(
        {
            "age_band": ["15-39", "15-39", "40+", "40+"],
            "sex": ["F", "M", "F", "M"],
            "population": [30, 20, 25, 25],
        }
    )
    result = prevalence(data, standardize=standard)
    cells = data.groupby(["age_band", "sex"])["lbp_12m"].mean()
    expected = (0.3 * cells[("15-39", "F")] + 0.2 * cells[("15-39", "M")]) + (
        0.25 * cells[("40+", "F")] + 0.25 * cells[("40+", "M")]
    )
    assert result.table["estimate"].iloc[0] == pytest.approx(expected, rel=1e-12)
    assert result.strata_columns == ("age_band", "sex")
    with pytest.raises(ArgumentError, match="overlap"):
        prevalence(data, by="sex", standardize=standard)


def test_prevalence_standardised_with_empty_strata_renormalises():
    data = _runners(seed=2)
    data = data[data["age"] < 60]
    with pytest.warns(SparseDataWarning, match="renormalised"):
        result = prevalence(data, standardize="esp2013", age_bands=[15, 30, 45, 60])
    band = pd.cut(data["age"], [15, 30, 45, 60], right=False)
    rates = data.groupby(band, observed=False)["lbp_12m"].mean().to_numpy()
    weights = np.array([sum(ESP_2013[3:6]), sum(ESP_2013[6:9]), sum(ESP_2013[9:12])])
    assert result.table["estimate"].iloc[0] == pytest.approx(
        np.sum(weights / weights.sum() * rates), rel=1e-12
    )
    assert any("renormalised" in note for note in result.notes)


def test_prevalence_standardised_notes_rows_outside_the_standard():
    data = _runners(seed=3).assign(age=lambda d: d["age"].where(d.index % 10 != 0))
    result = prevalence(data, standardize="esp2013", age_bands=[15, 30, 45, 60])
    assert any("fall in no stratum" in note for note in result.notes)
    assert result.table["n"].iloc[0] == data["age"].notna().sum()


def test_prevalence_standardised_rejects_bad_methods():
    data = _runners().assign(w=1.0)
    with pytest.raises(ArgumentError, match="method must be one of 'logit', 'mean'"):
        prevalence(data, standardize="esp2013", design=SurveyDesign(weights="w"), method="beta")
    with pytest.raises(ArgumentError, match="method must be one of 'fay_feuer'"):
        prevalence(data, standardize="esp2013", method="wilson")
    with pytest.raises(ArgumentError, match="Did you mean 'esp2013'"):
        prevalence(data, standardize="esp2031")


@pytest.fixture(scope="module")
def survey(reference_dir):
    return pd.read_csv(reference_dir / "runner_survey.csv")


SURVEY_DESIGN = SurveyDesign(cluster="club", strata="region", weights="weight", nest=True)


def test_design_standardize_with_one_stratum_is_design_proportion(survey):
    prepared = design_frame(SURVEY_DESIGN, survey)
    y = survey["lbp_12m"].to_numpy(float)
    women = (survey["sex"] == "F").to_numpy()
    for method in ("logit", "mean"):
        plain = design_proportion(y, prepared, domain=women, method=method)
        standard = design_standardize(
            y, prepared, np.zeros(len(y), dtype=int), [1.0], domain=women, method=method
        )
        for key in ("estimate", "std_error", "ci_low", "ci_high", "df"):
            assert standard[key] == pytest.approx(plain[key], rel=1e-10), (method, key)


def test_design_standardize_by_hand(survey):
    """Estimate: standard-weighted domain estimates; variance: w' V w of the domain means."""
    prepared = design_frame(SURVEY_DESIGN, survey)
    y = survey["lbp_12m"].to_numpy(float)
    band = age_bands(survey["age"], [15, 35, 55])
    codes = np.asarray(band.codes, dtype=int)
    standard = np.array([3.0, 5.0, 2.0])
    out = design_standardize(y, prepared, codes, standard)
    share = standard / standard.sum()
    w = survey["weight"].to_numpy()
    domain_means = [np.sum((w * y)[codes == s]) / np.sum(w[codes == s]) for s in range(3)]
    assert out["estimate"] == pytest.approx(np.dot(share, domain_means), rel=1e-12)
    scores = np.column_stack(
        [
            np.where(codes == s, w * (y - domain_means[s]), 0.0) / np.sum(w[codes == s])
            for s in range(3)
        ]
    )
    vcov = linearization_vcov(scores, prepared)
    assert out["std_error"] ** 2 == pytest.approx(share @ vcov @ share, rel=1e-10)
    assert out["df"] == 56 and out["ci_low"] < out["estimate"] < out["ci_high"]


def test_prevalence_standardised_under_design(survey):
    result = prevalence(
        survey, by="sex", design=SURVEY_DESIGN, standardize="esp2013", age_bands=[15, 35, 55]
    )
    table = result.table.set_index("group")
    assert (table["method"] == "logit").all() and (table["df"] == 56).all()
    prepared = design_frame(SURVEY_DESIGN, survey)
    codes = np.asarray(age_bands(survey["age"], [15, 35, 55]).codes, dtype=int)
    weights = esp2013([15, 35, 55]).weights
    y = survey["lbp_12m"].to_numpy(float)
    for sex in ("F", "M"):
        expected = design_standardize(
            y, prepared, codes, weights, domain=(survey["sex"] == sex).to_numpy()
        )
        assert table.loc[sex, "estimate"] == pytest.approx(expected["estimate"], rel=1e-12)
        assert table.loc[sex, "ci_high"] == pytest.approx(expected["ci_high"], rel=1e-12)
    crude = prevalence(survey, by="sex", design=SURVEY_DESIGN).table.set_index("group")
    assert table.loc["all", "crude_estimate"] == pytest.approx(crude.loc["all", "estimate"])
