"""Tests of the published figures bundled with lbprun: every number equals its source."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lbprun import datasets
from lbprun._checks import ArgumentError

NAMES = [
    "review_ranges",
    "studies",
    "italian_survey",
    "wu2021_table2",
    "gbd2021",
    "review_included",
    "world_population",
]
NO_DOI = {"studies", "world_population"}


def _round(value: float, places: int) -> float:
    """Round half up, as printed percentages are."""
    step = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP))


@pytest.mark.parametrize("name", NAMES)
def test_load_published_carries_provenance(name):
    table = datasets.load_published(name)
    assert len(table) > 0
    assert table.attrs["source"] and table.attrs["caveats"]
    assert all(isinstance(c, str) and c for c in table.attrs["caveats"])
    assert table.attrs["file"] == datasets.PUBLISHED[name]["file"]
    assert (table.attrs["doi"] is None) == (name in NO_DOI)


def test_load_published_unknown_name_lists_names():
    with pytest.raises(ArgumentError) as info:
        datasets.load_published("gbd2019")
    for name in NAMES:
        assert repr(name) in str(info.value)
    assert "Did you mean 'gbd2021'?" in str(info.value)


def test_review_ranges_match_abstract():
    table = datasets.load_published("review_ranges").set_index("measure")
    assert table.attrs["doi"] == "10.1186/s12891-020-03357-4"
    assert table["n_studies"].tolist() == [19, 19]
    prevalence = table.loc["prevalence (all definitions)"]
    incidence = table.loc["incidence (all definitions)"]
    assert (prevalence["low_percent"], prevalence["high_percent"]) == (0.7, 20.2)
    assert (incidence["low_percent"], incidence["high_percent"]) == (0.3, 22.0)


def test_italian_survey_573_is_the_only_count_giving_22_57():
    row = datasets.load_published("italian_survey").iloc[0]
    n, cases = int(row["n"]), int(row["cases"])
    assert (n, cases) == (2539, 573)
    assert row["cases_status"] == "derived"
    assert _round(100 * cases / n, 2) == row["percent_conclusion"] == 22.57
    assert _round(100 * cases / n, 1) == row["percent_results"] == 22.6
    matches = [k for k in range(n + 1) if _round(100 * k / n, 2) == 22.57]
    assert matches == [573]
    assert (_round(100 * 572 / n, 2), _round(100 * 574 / n, 2)) == (22.53, 22.61)


def test_studies_keep_primary_and_derived_counts_apart():
    studies = datasets.load_published("studies")
    assert set(studies["source"]) == {"primary"}
    assert studies["study_id"].nunique() == 6
    with_cases = studies.dropna(subset=["cases"])
    # Decimals as printed in each abstract: 42.5 %, 4.50 %, 22,57 %, 58 %.
    places = {"Malliaropoulos_2015": 1, "Wu_2021": 2, "Maselli_2021": 2, "UColorado_yearNA": 0}
    assert sorted(with_cases["study_id"]) == sorted(places)
    for _, row in with_cases.iterrows():
        computed = _round(100 * row["cases"] / row["n"], places[row["study_id"]])
        assert computed == row["value_percent"], row["study_id"]
    # Woolf 2002: no integer of 539 gives 13.6 %, so cases stay blank (never back-filled).
    woolf = studies.query("study_id == 'Woolf_2002' and measure == 'point_prevalence'")
    assert woolf["cases"].isna().all()
    assert not any(_round(100 * k / 539, 1) == 13.6 for k in range(540))
    # Primary values outside the review's prevalence range are kept as printed.
    high = studies.loc[studies["value_percent"] > 20.2, "value_percent"].tolist()
    assert 42.5 in high and 74.0 in high
    maselli = studies.query("study_id == 'Maselli_2021'").iloc[0]
    assert (int(maselli["n"]), int(maselli["cases"])) == (2539, 573)


def test_wu_table2_levels_sum_to_36_764_800():
    table = datasets.load_published("wu2021_table2")
    assert table.attrs["doi"] == "10.1155/2021/6660304"
    assert "2.617" in table.attrs["caveats"][0]
    sums = table.groupby("factor")[["lbp_n", "no_lbp_n", "total_n"]].sum()
    assert len(sums) == 12
    assert (sums["lbp_n"] == 36).all() and (sums["no_lbp_n"] == 764).all()
    assert (sums["total_n"] == 800).all()
    assert (table["lbp_n"] + table["no_lbp_n"] == table["total_n"]).all()
    assert table.groupby("factor")["reported_p"].nunique().eq(1).all()


def test_wu_table2_printed_percentages_match_counts():
    table = datasets.load_published("wu2021_table2")
    slips = set()
    for column, total in (("lbp", 36), ("no_lbp", 764), ("total", 800)):
        for i, (count, printed) in enumerate(
            zip(table[f"{column}_n"], table[f"{column}_pct_printed"], strict=True)
        ):
            # Exact fraction vs printed: within half the printed step (ties either way) ...
            off = abs(Decimal(100 * count) / Decimal(total) - Decimal(repr(printed)))
            if off > Decimal("0.05"):
                assert off < Decimal("0.08")
                slips.add((table.loc[i, "factor"], table.loc[i, "level"], column))
    # ... except four printed 0.06-0.075 off (44 of 764; 417, 31 and 769 of 800).
    assert slips == {
        ("Foot strike pattern", "Not clear", "no_lbp"),
        ("Foot strike pattern", "Forefoot (main)", "total"),
        ("Other aspects", "Yes", "total"),
        ("Other aspects", "No", "total"),
    }
    assert any("52.2" in c for c in table.attrs["caveats"])


def test_wu_incidence_36_of_800():
    assert _round(100 * 36 / 800, 2) == 4.5
    studies = datasets.load_published("studies").query("study_id == 'Wu_2021'").iloc[0]
    assert (int(studies["n"]), int(studies["cases"]), studies["value_percent"]) == (800, 36, 4.5)


def test_gbd_figures_and_rounding_caveat():
    table = datasets.load_published("gbd2021").set_index(["quantity", "year"])
    cases_2020 = table.loc[("prevalent cases of LBP, world", 2020)]
    cases_2050 = table.loc[("prevalent cases of LBP, world (projection)", 2050)]
    assert (cases_2020["value"], cases_2020["ui_low"], cases_2020["ui_high"]) == (
        619e6,
        554e6,
        694e6,
    )
    assert (cases_2050["value"], cases_2050["ui_low"], cases_2050["ui_high"]) == (
        843e6,
        759e6,
        933e6,
    )
    growth = 100 * (843 / 619 - 1)
    assert _round(growth, 1) == 36.2
    published = table.loc[("increase in prevalent cases 2020-2050", 2050), "value"]
    assert published == 36.4
    # Only at the edge of the rounding of 619 and 843 million does the ratio reach 36.4 %.
    highest = 100 * (843.5 / 618.5 - 1)
    assert _round(100 * (842.5 / 619.5 - 1), 1) == 36.0
    assert _round(highest, 1) == published
    yld = table.loc[("age-standardised YLD rate", 2020)]
    assert (yld["value"], yld["ui_low"], yld["ui_high"]) == (832.0, 578.0, 1070.0)
    assert "1010" in yld["source"] and any("1010" in c for c in table.attrs["caveats"])
    assert any("36.2" in c for c in table.attrs["caveats"])


def test_gbd_rounding_edge_of_the_36_4_percent_increase():
    # Within the rounding boxes [618.5, 619.5) x [842.5, 843.5) million, the ratio reaches the
    # 36.35 % needed to print 36.4 % only in the corner triangle where 2020 is below
    # 618.6285 million and 2050 above 843.3248 million.
    need = 1.3635
    assert 843.5 / 618.5 > need > 843 / 619
    assert 843.5 / need == pytest.approx(618.6285, abs=1e-4)
    assert 618.5 * need == pytest.approx(843.3248, abs=1e-4)
    assert _round(100 * (843.45 / 618.55 - 1), 1) == 36.4  # inside the triangle
    assert _round(100 * (843.49 / 618.63 - 1), 1) == 36.3  # just past the 2020 edge
    assert _round(100 * (843.32 / 618.51 - 1), 1) == 36.3  # just below the 2050 edge


def test_review_included_keeps_review_and_primary_values_apart():
    included = datasets.load_published("review_included")
    ranges = datasets.load_published("review_ranges")
    assert included.attrs["doi"] == ranges.attrs["doi"] == "10.1186/s12891-020-03357-4"
    assert included["study_id"].tolist() == [
        "Woolf_2002",
        "Malliaropoulos_2015",
        "Ellapen_2013",
        "Clement_1981",
    ]
    assert set(included["review"]) == {"Maselli_2020"}
    assert set(included["review_value_read"]) == {"no"}
    assert included["study_id"].str.slice(-4).astype(int).tolist() == included["year"].tolist()
    refs = included["identified_via"].str.extract(r"reference \[(\d+)\]")[0]
    assert refs.dropna().astype(int).tolist() == [63, 64, 70]
    # Every study with a primary LBP figure has it in studies.csv, the others have none.
    studies = datasets.load_published("studies")
    with_figure = set(included.loc[included["primary_lbp_figure"] == "yes", "study_id"])
    assert with_figure == {"Woolf_2002", "Malliaropoulos_2015", "Ellapen_2013"}
    assert with_figure <= set(studies["study_id"])
    assert "Clement_1981" not in set(studies["study_id"])
    n_review = int(ranges["n_studies"].iloc[0])
    assert n_review - len(included) == 15
    # The review's ORs quoted in the notes equal those of studies.csv.
    for study, odds in (("Malliaropoulos_2015", "5.4857"), ("Ellapen_2013", "3.0488")):
        assert odds in included.set_index("study_id").loc[study, "notes"]
        assert odds in studies.set_index("study_id").loc[study, "notes"]


def test_world_population_matches_wpp_2022_summary():
    table = datasets.load_published("world_population").set_index(["quantity", "year"])
    assert set(table["revision"]) == {"UN World Population Prospects 2022"}
    assert table.loc[("world population (1 July)", 2020), "value"] == 7.84e9
    assert table.loc[("world population (1 July)", 2020), "verified"] == "no"
    assert table.loc[("world population (15 November)", 2022), "value"] == 8e9
    projection = table.loc[("world population, medium variant (projection)", 2050)]
    assert (projection["value"], projection["verified"]) == (9.7e9, "yes")
    assert "9.7 billion in 2050" in projection["source"]
    old = table.loc[("share of world population aged 65 or over", 2022), "value"]
    new = table.loc[("share of world population aged 65 or over (projection)", 2050), "value"]
    assert (old, new) == (10, 16)
    assert set(table["verified"]) == {"yes", "no"}
    assert any("unverified" in c for c in table.attrs["caveats"])
    # Derived: the populations grow by 23.7 % 2020-2050; the cases by 36.2 % (rounded inputs).
    growth = 9.7e9 / 7.84e9
    assert _round(100 * (growth - 1), 1) == 23.7
    assert 843 / 619 > growth


@given(st.sampled_from(NAMES))
def test_load_published_returns_fresh_copies(name):
    first = datasets.load_published(name)
    first.iloc[0, 0] = None
    second = datasets.load_published(name)
    assert second.iloc[0, 0] is not None and not (
        isinstance(second.iloc[0, 0], float) and math.isnan(second.iloc[0, 0])
    )
