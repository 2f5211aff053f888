"""Example data bundled with lbprun, typed like lbprun's readers return them.

The example files are synthetic (drawn by :mod:`lbprun.simulate` with documented seeds by
``analyses/make_example_data.py``, CC0) and listed with their checksums by
:func:`list_datasets`. Published figures on LBP in runners come from :func:`load_published`,
each table with its source, DOI and caveats in ``attrs``; the real Running Injury Clinic
subject table (CC BY 4.0, attribution in ``attrs``) from :func:`load_clinic_data` and, read
through lbprun's validated survey reader, :func:`read_clinic_data`. Columns follow :mod:`lbprun.io.schema`: identifiers and design labels are
``string``, yes/no columns nullable ``boolean``, sex and surface ``category`` with the schema's
labels, dates ``datetime64[ns]``.

Examples
--------
>>> from lbprun import datasets
>>> survey = datasets.load_example_survey()
>>> survey.shape
(2500, 18)
>>> str(survey["lbp_12m"].dtype), str(survey["runner_id"].dtype)
('boolean', 'string')
"""

from __future__ import annotations

import gzip
import hashlib
import json
from importlib import resources
from typing import Any

import pandas as pd

from lbprun.io.schema import SCHEMAS

__all__ = [
    "list_datasets",
    "load_clinic_data",
    "load_example_activities",
    "load_example_cohort",
    "load_example_episodes",
    "load_example_survey",
    "load_example_truth",
    "load_published",
    "read_clinic_data",
]

#: Bundled tables: name -> (file under ``lbprun/data``, table kind, description).
DATASETS: dict[str, tuple[str, str, str]] = {
    "example_survey": (
        "example_survey.csv",
        "survey",
        "Synthetic cross-sectional survey of 2,500 runners: 4 strata, 60 sampled clubs, "
        "informative weights; true prevalences in example_truth.json.",
    ),
    "example_activities": (
        "example_activities.csv.gz",
        "activities",
        "Synthetic daily training logs (one row per run) of the 300 example cohort runners "
        "over 52 weeks.",
    ),
    "example_cohort": (
        "example_cohort.csv",
        "cohort",
        "Synthetic cohort of 300 runners followed for up to 52 weeks from 2025-01-06, with "
        "first LBP onset; true hazard ratios in example_truth.json.",
    ),
    "example_episodes": (
        "example_episodes.csv",
        "episodes",
        "Recurrent LBP episodes (onset, recovery) of the example cohort.",
    ),
}

#: File holding the truth behind the example tables.
TRUTH_FILE = "example_truth.json"


def _path(filename: str):
    return resources.files("lbprun").joinpath("data", filename)


def _dtypes(kind: str) -> tuple[dict[str, Any], list[str]]:
    """pandas dtypes and date columns of a table kind, from the column dictionary."""
    dtypes: dict[str, Any] = {}
    dates: list[str] = []
    for column in SCHEMAS[kind]:
        if column.dtype == "text":
            dtypes[column.name] = "string"
        elif column.dtype == "bool":
            dtypes[column.name] = "boolean"
        elif column.dtype == "category":
            dtypes[column.name] = pd.CategoricalDtype(list(column.allowed or ()))
        elif column.dtype in ("float", "int"):
            dtypes[column.name] = "float64"
        else:
            dates.append(column.name)
    return dtypes, dates


def _load(name: str) -> pd.DataFrame:
    filename, kind, _ = DATASETS[name]
    dtypes, dates = _dtypes(kind)
    with _path(filename).open("rb") as handle:
        header = pd.read_csv(
            handle, nrows=0, compression="gzip" if filename.endswith(".gz") else None
        )
    present = set(header.columns)
    with _path(filename).open("rb") as handle:
        frame = pd.read_csv(
            handle,
            compression="gzip" if filename.endswith(".gz") else None,
            dtype={k: v for k, v in dtypes.items() if k in present},
            keep_default_na=False,
            na_values=[""],
        )
    for column in dates:
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], format="%Y-%m-%d").astype(
                "datetime64[ns]"
            )
    return frame


def load_example_survey() -> pd.DataFrame:
    """Load the example survey: 2,500 runners from a stratified cluster design.

    Returns
    -------
    pandas.DataFrame
        One row per runner with the survey columns of :data:`lbprun.io.schema.SURVEY`
        (``runner_id, sex, age, bmi, years_running, weekly_km, max_weekly_increase_pct,
        shoe_km, surface, strength_training, prior_lbp, competitive, lbp_point, lbp_12m,
        lbp_lifetime``) and the design columns ``stratum, cluster, weight``.

    Notes
    -----
    Drawn by ``simulate_survey(2500, design=SimulationDesign(), seed=20261124)``: four strata
    of unequal size (S1 largest), 15 of 150 clubs sampled per stratum, cases over-sampled
    twice within clubs, so unweighted prevalences are biased upwards and design-weighted ones
    are not. The population's true prevalences are in ``load_example_truth()["survey"]``.

    Examples
    --------
    >>> survey = load_example_survey()
    >>> survey["stratum"].value_counts().sort_index().tolist()
    [625, 625, 625, 625]
    """
    return _load("example_survey")


def load_example_activities() -> pd.DataFrame:
    """Load the example training logs: one row per run of the 300 example cohort runners.

    Returns
    -------
    pandas.DataFrame
        ``runner_id, date, distance_km, duration_min, surface, shoe_id``.

    Examples
    --------
    >>> runs = load_example_activities()
    >>> list(runs.columns)
    ['runner_id', 'date', 'distance_km', 'duration_min', 'surface', 'shoe_id']
    >>> str(runs["date"].dtype)
    'datetime64[ns]'
    """
    return _load("example_activities")


def load_example_cohort() -> pd.DataFrame:
    """Load the example cohort: 300 runners followed for up to 52 weeks.

    Returns
    -------
    pandas.DataFrame
        ``runner_id, start_date, end_date, lbp_onset_date`` (NaT when no onset), ``sex, age,
        bmi, years_running, prior_lbp, strength_training``.

    Notes
    -----
    Drawn by ``simulate_cohort(300, 52, seed=20261125)``; the true log-hazard-ratios are in
    ``load_example_truth()["cohort"]["hazard"]``.

    Examples
    --------
    >>> cohort = load_example_cohort()
    >>> len(cohort), bool(cohort["lbp_onset_date"].isna().any())
    (300, True)
    """
    return _load("example_cohort")


def load_example_episodes() -> pd.DataFrame:
    """Load the LBP episodes of the example cohort (recurrent LBP).

    Returns
    -------
    pandas.DataFrame
        ``runner_id, onset_date, recovery_date`` (NaT when unresolved at the end of
        follow-up); the first onset of a runner equals its ``lbp_onset_date``.

    Examples
    --------
    >>> episodes = load_example_episodes()
    >>> bool((episodes["recovery_date"].dropna() > episodes["onset_date"].min()).all())
    True
    """
    return _load("example_episodes")


def load_example_truth() -> dict[str, Any]:
    """Load the true parameters behind the example data.

    Returns
    -------
    dict
        ``{"survey": ..., "cohort": ...}``, each the ``truth`` of the
        :class:`lbprun.simulate.SimulatedData` the example tables come from (coefficients,
        term definitions, seeds, and the survey population's true prevalences).

    Examples
    --------
    >>> truth = load_example_truth()
    >>> sorted(truth)
    ['cohort', 'survey']
    >>> 0 < truth["survey"]["prevalence"]["lbp_12m"] < 1
    True
    """
    return json.loads(_path(TRUTH_FILE).read_text(encoding="utf-8"))


def _count_rows(raw: bytes, filename: str) -> int:
    text = gzip.decompress(raw) if filename.endswith(".gz") else raw
    return max(text.count(b"\n") - 1, 0)


def _bundled_tables():
    """Yield ``(name, file, kind, description, loader)`` for every bundled table."""
    loaders = {
        "example_survey": "load_example_survey()",
        "example_activities": "load_example_activities()",
        "example_cohort": "load_example_cohort()",
        "example_episodes": "load_example_episodes()",
    }
    for name, (filename, kind, description) in DATASETS.items():
        yield name, filename, kind, description, loaders[name]
    for name, meta in PUBLISHED.items():
        yield (
            name,
            f"published/{meta['file']}",
            "published",
            meta["source"],
            f"load_published({name!r})",
        )
    yield (
        "clinic_data",
        CLINIC_FILE,
        "clinic (real)",
        "Running Injury Clinic (Calgary) subject table: 1,832 visits of 1,402 runners with "
        "the injured joint; CC BY 4.0, attribution in the loaded frame's attrs.",
        "load_clinic_data()",
    )


def list_datasets() -> pd.DataFrame:
    """List every bundled table: synthetic examples, published figures and real clinic data.

    Returns
    -------
    pandas.DataFrame
        One row per table: ``name, file, kind, rows, description, loader, sha256`` (of the
        file's bytes, as listed in ``data/README.md``). ``kind`` is the table kind of lbprun's
        readers for the synthetic examples, ``"published"`` for figures from the literature
        (:func:`load_published`) and ``"clinic (real)"`` for the Running Injury Clinic data
        (:func:`load_clinic_data`); ``loader`` is the call that loads the table.

    Examples
    --------
    >>> table = list_datasets()
    >>> table["name"].tolist()[:4]
    ['example_survey', 'example_activities', 'example_cohort', 'example_episodes']
    >>> int(table.loc[0, "rows"])
    2500
    >>> table.set_index("name").loc["clinic_data", "loader"]
    'load_clinic_data()'
    """
    rows = []
    for name, filename, kind, description, loader in _bundled_tables():
        raw = _path(filename).read_bytes()
        if kind == "published":
            n_rows = len(load_published(name))
        elif name == "clinic_data":  # quoted fields span lines: count parsed rows
            n_rows = len(load_clinic_data())
        else:
            n_rows = _count_rows(raw, filename)
        rows.append(
            {
                "name": name,
                "file": filename,
                "kind": kind,
                "rows": n_rows,
                "description": description,
                "loader": loader,
                "sha256": hashlib.sha256(raw).hexdigest(),
            }
        )
    return pd.DataFrame(rows)


# Re-exported here, where they are documented; the constants stay importable for tests.
from lbprun._clinic_data import (  # noqa: E402
    CLINIC_ATTRIBUTION as CLINIC_ATTRIBUTION,
)
from lbprun._clinic_data import (  # noqa: E402
    CLINIC_COLUMNS as CLINIC_COLUMNS,
)
from lbprun._clinic_data import (  # noqa: E402
    CLINIC_FILE as CLINIC_FILE,
)
from lbprun._clinic_data import (  # noqa: E402
    CLINIC_SHA256 as CLINIC_SHA256,
)
from lbprun._clinic_data import (  # noqa: E402
    LOW_BACK_JOINTS as LOW_BACK_JOINTS,
)
from lbprun._clinic_data import load_clinic_data, read_clinic_data  # noqa: E402
from lbprun._published import PUBLISHED as PUBLISHED  # noqa: E402
from lbprun._published import load_published  # noqa: E402
