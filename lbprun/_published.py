"""Published figures on LBP in runners, bundled with their provenance (see
:func:`lbprun.datasets.load_published`)."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pandas as pd

from lbprun._checks import check_choice


def _path(filename: str):
    return resources.files("lbprun").joinpath("data", filename)


# -- published figures -------------------------------------------------------------------------

_WU_CAVEAT = (
    "The methods text naming the test was not readable. Levels of every factor sum to "
    "36 / 764 / 800. Adjusted ORs from the paper's final model (no CIs published): warm-up "
    "2.617 (p = 0.012), fatigue 2.680 (p = 0.008), gait posture 2.273 (p = 0.041), "
    "temperature 6.584 (p = 0.020)."
)

#: Published tables: name -> file under ``lbprun/data/published``, source, DOI, caveats.
PUBLISHED: dict[str, dict[str, Any]] = {
    "review_ranges": {
        "file": "review_ranges.csv",
        "source": "Maselli F, Storari L, Barbari V, et al. Prevalence and incidence of low back "
        "pain among runners: a systematic review. BMC Musculoskelet Disord 2020;21:343 "
        "(PMC7271446), abstract.",
        "doi": "10.1186/s12891-020-03357-4",
        "caveats": (
            "Only the abstract, Table 1 (exclusions) and Table 8 (risk factors) could be read. "
            "Which studies give the four extremes is not known here.",
            "The ranges mix definitions (point, period, lifetime prevalence; incidence over "
            "various follow-ups).",
        ),
    },
    "studies": {
        "file": "studies.csv",
        "source": "Primary study abstracts (column url); inclusion in Maselli et al. 2020 "
        "checked against the review's Table 8.",
        "doi": None,
        "caveats": (
            "`source = primary` means the value comes from the study's own abstract, not from "
            "the review's table. Four of the review's 19 studies are identified (Woolf 2002, "
            "Malliaropoulos 2015, Ellapen 2013, Clement 1981 — the last with no LBP figure). "
            "Several primary values (42.5 %, 74 %) lie outside the review's range, so the "
            "review tabulated something else for them: never back-fill one from the other.",
            "A `cases` value marked DERIVED is the only whole number that reproduces the "
            "printed percentage; blank `cases` means no count could be derived.",
            "The notes of Wu_2021 name the per-factor table 'marathon2021_table2.csv'; it is "
            "bundled as wu2021_table2.csv (load_published('wu2021_table2')).",
        ),
    },
    "italian_survey": {
        "file": "italian_survey.csv",
        "source": "Maselli F, Esculier JF, Storari L, et al. Low back pain among Italian "
        "runners: a cross-sectional survey. Phys Ther Sport 2021;48:136-145 (PMID 33434869), "
        "abstract.",
        "doi": "10.1016/j.ptsp.2020.12.023",
        "caveats": (
            "The abstract gives 22.6 % (results) and '22,57 %' (conclusion) of 2,539 valid "
            "questionnaires; cases = 573 is DERIVED, not printed: 573/2539 = 22.568 % is the "
            "only integer giving 22.57 % (572 -> 22.53 %, 574 -> 22.61 %).",
            "The paper reports Cramér's V, not odds ratios.",
        ),
    },
    "wu2021_table2": {
        "file": "wu2021_table2.csv",
        "source": "Wu B, Chen CC, Wang J, Wang XQ. Incidence and risk factors of low back pain "
        "in marathon runners. Pain Res Manag 2021;2021:6660304 (PMC7920723), Table 2.",
        "doi": "10.1155/2021/6660304",
        "caveats": (
            _WU_CAVEAT,
            "Four printed percentages do not round from their counts: 44/764 = 5.76 % printed "
            "5.7, 417/800 = 52.125 % printed 52.2, 31/800 = 3.875 % printed 3.8, "
            "769/800 = 96.125 % printed 96.2; counts and percentages are kept as printed.",
        ),
    },
    "gbd2021": {
        "file": "gbd2021.csv",
        "source": "GBD 2021 Low Back Pain Collaborators. Global, regional, and national burden "
        "of low back pain, 1990-2020, its attributable risk factors, and projections to 2050. "
        "Lancet Rheumatol 2023;5(6):e316-e329.",
        "doi": "10.1016/S2665-9913(23)00098-X",
        "caveats": (
            "Uncertainty intervals as printed in the abstract reproduced on chiro.org and in "
            "secondary summaries; 843/619 − 1 = 36.2 % against the published 36.4 % (rounded "
            "inputs). WHO's fact sheet (June 2023) attributes the growth to population "
            "expansion and ageing.",
            "The upper bound of the YLD rate's interval is 1070 in the abstract reproduced on "
            "chiro.org and on curanature.com, 1010 on physiciansweekly.com; 1070 is kept.",
            "The age-standardised prevalence (7.5 %) is from the WHO guideline (NBK599218), "
            "without an interval.",
        ),
    },
    "review_included": {
        "file": "review_included.csv",
        "source": "Maselli F, Storari L, Barbari V, et al. Prevalence and incidence of low back "
        "pain among runners: a systematic review. BMC Musculoskelet Disord 2020;21:343 "
        "(PMC7271446), Table 8 (risk factors) and reference list.",
        "doi": "10.1186/s12891-020-03357-4",
        "caveats": (
            "Four of the review's 19 included studies are identified; the other 15 are not "
            "known here. For none of the four was the value the review tabulated read "
            "(review_value_read = no): primary values live in studies.csv and must not be "
            "taken for the review's.",
            "Clement 1981 is named as included without a recorded reference number and "
            "without an LBP figure.",
        ),
    },
    "world_population": {
        "file": "world_population.csv",
        "source": "United Nations, Department of Economic and Social Affairs, Population "
        "Division. World Population Prospects 2022: Summary of Results. UN DESA/POP/2022/TR/"
        "NO. 3. New York: United Nations, 2022.",
        "doi": None,
        "caveats": (
            "Rows with verified = yes were checked against stored copies of the Summary of "
            "Results' key messages (rounded as printed: 8 billion, 9.7 billion, 10 % and 16 %). "
            "The 2020 population (7.84 billion) was not found on a stored page: unverified.",
            "GBD 2021 projects prevalent cases with its own population forecasts; the UN "
            "figures are lbprun's stand-in for a transparent decomposition, not GBD's inputs.",
        ),
    },
}


def load_published(name: str) -> pd.DataFrame:
    """Load a table of published figures on LBP in runners, with its provenance.

    Parameters
    ----------
    name : str
        One of ``"review_ranges", "studies", "italian_survey", "wu2021_table2", "gbd2021",
        "review_included", "world_population"``.
        ``review_ranges``: Maselli et al. 2020, prevalence 0.7–20.2 % and incidence 0.3–22 %
        across 19 studies. ``studies``: one row per (study, measure), values from primary
        abstracts (``source`` column). ``italian_survey``: Maselli et al. 2021, 573 of 2,539.
        ``wu2021_table2``: Wu et al. 2021, LBP / no LBP counts by factor level (36 / 764 / 800).
        ``gbd2021``: GBD 2021 prevalent cases 2020 and 2050 with uncertainty intervals.
        ``review_included``: the four identified studies of the 2020 review's 19.
        ``world_population``: UN World Population Prospects 2022 world totals and the share
        aged 65 or over, each marked ``verified``.

    Returns
    -------
    pandas.DataFrame
        The table as published in ``lbprun/data/published`` (columns described in
        ``data/README.md``), with ``attrs["source"]`` (citation), ``attrs["doi"]`` (None for
        ``studies``, whose rows each give their ``url``, and for ``world_population``, a
        report without one), ``attrs["caveats"]`` (tuple of str) and ``attrs["file"]``.

    Raises
    ------
    lbprun.ArgumentError
        An unknown ``name``; the message lists the names.

    Examples
    --------
    >>> survey = load_published("italian_survey")
    >>> int(survey.loc[0, "cases"]), int(survey.loc[0, "n"])
    (573, 2539)
    >>> round(100 * 573 / 2539, 2)
    22.57
    >>> load_published("gbd2021").attrs["doi"]
    '10.1016/S2665-9913(23)00098-X'
    >>> len(load_published("review_included"))  # of the review's 19 studies
    4
    """
    check_choice("name", name, tuple(PUBLISHED))
    meta = PUBLISHED[name]
    with _path(f"published/{meta['file']}").open("rb") as handle:
        frame = pd.read_csv(handle)
    if "cases" in frame:
        frame["cases"] = frame["cases"].astype("Int64")
    frame.attrs.update(
        source=meta["source"], doi=meta["doi"], caveats=meta["caveats"], file=meta["file"]
    )
    return frame
