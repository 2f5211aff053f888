"""The Running Injury Clinic subject table (real data, CC BY 4.0), bundled byte for byte (see
:func:`lbprun.datasets.load_clinic_data` and :func:`lbprun.datasets.read_clinic_data`)."""

from __future__ import annotations

import csv
import dataclasses
import io
from importlib import resources

import pandas as pd

from lbprun._checks import check_choice
from lbprun.io.read import read_survey
from lbprun.io.validate import ValidationReport


def _path(filename: str):
    return resources.files("lbprun").joinpath("data", filename)


# -- the Running Injury Clinic subject table (real data, CC BY 4.0) ----------------------------

#: The bundled clinic file, under ``lbprun/data``.
CLINIC_FILE = "clinic/ric_run_data_meta.csv"
#: SHA-256 of the clinic file, as published with the copy it was taken from.
CLINIC_SHA256 = "c6cabfdf1c728c2a035d8f491bbf6781159d3e13d4bb7c271c4952fed48142c7"
#: Attribution required by the CC BY 4.0 licence wherever the data or results appear.
CLINIC_ATTRIBUTION = (
    "Running Injury Clinic Kinematic Dataset (Running Injury Clinic, Calgary), Figshare+ "
    "article 24255795, https://plus.figshare.com/articles/dataset/"
    "Running_Injury_Clinic_Kinematic_Dataset/24255795, licensed CC BY 4.0."
)
#: ``InjJoint`` / ``InjJoint2`` values that make a visit a low-back presentation.
LOW_BACK_JOINTS = ("Lumbar Spine", "Sacroiliac Joint")
#: ``InjDefn`` / ``SpecInjury`` text (any case) of a visit without injury.
NO_INJURY = "no injury"
#: Column map of the clinic file onto lbprun's survey names (the others are derived).
CLINIC_COLUMNS = {"sub_id": "runner_id", "Gender": "sex", "YrsRunning": "years_running"}
#: Columns of the survey schema in the data read (the file's other columns pass through).
_SURVEY_COLUMNS = (
    "file_line",
    "runner_id",
    "sex",
    "age",
    "bmi",
    "years_running",
    "competitive",
    "lbp_point",
)
#: The file's own columns that hold numbers (after the missing-value text is read as missing).
EXTRA_NUMERIC = (
    "speed_r",
    "height_cm",
    "body_weight_kg",
    "InjDuration",
    "RaceTimeHrs",
    "RaceTimeMins",
    "RaceTimeSecs",
    "YrPR",
    "NumRaces",
)
#: Text the file writes for a missing value in its own columns (besides a blank cell).
MISSING_TEXT = ("NaN", "null")
#: Template placeholders left in the race-time columns, read as missing.
_PLACEHOLDERS = {"RaceTimeHrs": "HH", "RaceTimeMins": "MM", "RaceTimeSecs": "SS"}


def _clinic_attrs(frame: pd.DataFrame) -> pd.DataFrame:
    frame.attrs.update(
        source=CLINIC_ATTRIBUTION, licence="CC BY 4.0", file=CLINIC_FILE, sha256=CLINIC_SHA256
    )
    return frame


def _visit_order(raw: pd.DataFrame) -> pd.Index:
    """Row labels ordered by visit time: datestring, then filename, then file order."""
    when = pd.to_datetime(raw["datestring"], format="%Y-%m-%d %H:%M", errors="coerce")
    key = pd.DataFrame({"when": when, "file": raw["filename"].astype(str)}, index=raw.index)
    return key.sort_values(["when", "file"], kind="mergesort", na_position="last").index


def load_clinic_data(first_visits: bool = False) -> pd.DataFrame:
    """Load the Running Injury Clinic subject table (real runners; CC BY 4.0).

    Parameters
    ----------
    first_visits : bool, default=False
        Keep only each runner's (``sub_id``) first visit.

    Returns
    -------
    pandas.DataFrame
        The 26 columns of the file as pandas reads them (``NaN`` cells missing), one row per
        clinic visit (1,832) or per runner (1,402), in file order. ``attrs``: ``source``
        (the attribution to show wherever the data or results appear), ``licence``, ``file``,
        ``sha256``.

    Notes
    -----
    The file is bundled byte for byte (CRLF line ends, quoted multi-line ``Activities`` cells);
    its SHA-256 is :data:`CLINIC_SHA256`. The first visit is the earliest ``datestring``
    (``YYYY-MM-DD H:MM`` or ``HH:MM``, minute precision). Ties (several trials of one session
    share a minute) are broken by ``filename``, whose ``YYYYMMDDTHHMMSS`` stem orders them to
    the second, then by file order; a ``datestring`` that does not parse sorts after every
    parseable visit of that runner (the bundled file has none).

    References
    ----------
    Running Injury Clinic Kinematic Dataset, Figshare+ 24255795, CC BY 4.0.

    Examples
    --------
    >>> visits = load_clinic_data()
    >>> visits.shape, visits["sub_id"].nunique()
    ((1832, 26), 1402)
    >>> len(load_clinic_data(first_visits=True))
    1402
    >>> "CC BY 4.0" in visits.attrs["source"]
    True
    """
    with _path(CLINIC_FILE).open("rb") as handle:
        frame = pd.read_csv(handle, dtype={"sub_id": "string", "filename": "string"})
    if first_visits:
        kept = frame.loc[_visit_order(frame)].drop_duplicates("sub_id").index
        frame = frame.loc[sorted(kept)].reset_index(drop=True)
    return _clinic_attrs(frame)


def _record_lines(text: str) -> list[int]:
    """File line (header = line 1) where each data record starts."""
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    starts, last = [], reader.line_num
    for _ in reader:
        starts.append(last + 1)
        last = reader.line_num
    return starts


def _low_back(raw: pd.DataFrame) -> pd.Series:
    """``"yes"``, ``"no"`` or ``""`` (unknown): a low-back presentation at the visit.

    Yes when ``InjJoint`` or ``InjJoint2`` is a low-back region; otherwise no when the visit
    records a region (``InjJoint``) or says "No injury" (``InjDefn`` or ``SpecInjury``, any
    case); unknown when it records neither.
    """

    def text(column: str) -> pd.Series:
        return raw[column].fillna("").astype(str).str.strip().str.lower()

    either = raw["InjJoint"].isin(LOW_BACK_JOINTS) | raw["InjJoint2"].isin(LOW_BACK_JOINTS)
    recorded = (
        text("InjJoint").ne("") | text("InjDefn").eq(NO_INJURY) | text("SpecInjury").eq(NO_INJURY)
    )
    return pd.Series("no", index=raw.index).mask(either, "yes").mask(~either & ~recorded, "")


def _clinic_frame() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The clinic visits in visit order with the derived survey columns, and the placeholders."""
    text = _path(CLINIC_FILE).read_bytes().decode("utf-8")
    raw = pd.read_csv(io.StringIO(text, newline=""), dtype=str, keep_default_na=False)
    raw.insert(0, "file_line", _record_lines(text))
    # Body size under explicit names: the reader would otherwise match "Weight" to the
    # survey design's sampling weight.
    raw = raw.rename(columns={"Height": "height_cm", "Weight": "body_weight_kg"})
    height = pd.to_numeric(raw["height_cm"], errors="coerce")
    weight = pd.to_numeric(raw["body_weight_kg"], errors="coerce")
    bmi = (weight / (height / 100) ** 2).where(height > 0)
    raw["bmi"] = bmi.map(lambda value: "" if pd.isna(value) else f"{value:.4f}")
    raw["competitive"] = raw["Level"].map({"Competitive": "yes", "Recreational": "no"})
    raw["competitive"] = raw["competitive"].fillna("")
    raw["low_back_joint"] = raw["InjJoint"].where(raw["InjJoint"].isin(LOW_BACK_JOINTS), "")
    raw["lbp_point"] = _low_back(raw)
    placeholders = []
    for column, token in _PLACEHOLDERS.items():
        hit = raw[column].str.strip().eq(token)
        placeholders += [
            (int(line), runner, column, token)
            for line, runner in zip(raw.loc[hit, "file_line"], raw.loc[hit, "sub_id"], strict=True)
        ]
        raw.loc[hit, column] = ""
    raw = raw.loc[_visit_order(raw)].reset_index(drop=True)
    quirks = pd.DataFrame(placeholders, columns=["file_line", "runner_id", "column", "value"])
    return raw, quirks


def _typed_extras(data: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """The file's own columns with blank and :data:`MISSING_TEXT` cells missing, numbers typed.

    Returns the data (``attrs`` kept) and the count of missing-value text per column.
    """
    data = data.copy()
    written = {}
    for column in data.columns:
        if column in _SURVEY_COLUMNS:
            continue
        text = data[column].astype("string").str.strip()
        marker = text.isin(MISSING_TEXT)
        if marker.any():
            written[column] = int(marker.sum())
        kept = data[column].where(~(marker | text.eq("")).fillna(False).astype(bool))
        data[column] = pd.to_numeric(kept) if column in EXTRA_NUMERIC else kept
    return data, written


def read_clinic_data(on_error: str = "missing") -> ValidationReport:
    """Read the clinic subject table through lbprun's survey reader, accounting for every row.

    Parameters
    ----------
    on_error : {"missing", "drop"}, default="missing"
        Passed to :func:`lbprun.io.read_survey`: ``"missing"`` sets a value that fails on its
        own (age 255, ``YrsRunning`` 999, sex ``Unknown``, an implausible BMI) to missing and
        keeps its row; ``"drop"`` rejects the row.

    Returns
    -------
    lbprun.io.validate.ValidationReport
        ``rows_in`` (1,832 visits) ``== rows_kept + rows_rejected``. Visits are read in visit
        order, so a runner's repeat visits are the rows rejected as duplicate ``runner_id``
        and the kept rows are each runner's first visit. ``data`` holds the survey columns
        ``runner_id, sex, age, bmi, years_running, competitive, lbp_point`` plus the file's
        other columns (``Height``, ``Weight`` as ``height_cm``, ``body_weight_kg``),
        ``low_back_joint`` and ``file_line`` (where the record starts; header = line 1).
        In the file's own columns a blank cell and the text ``NaN`` or ``null`` are missing
        (counted in a note) and :data:`EXTRA_NUMERIC` (``speed_r`` m/s, ``height_cm``,
        ``body_weight_kg``, the race-time columns, ...) are float; ``rejected`` keeps the
        rows as read.
        ``failure_cases`` and ``set_missing`` carry ``file_line`` too (their ``row`` is the
        0-based position in visit order). The race-time placeholders ``HH``, ``MM``, ``SS``
        read as missing are added to ``set_missing`` (check ``placeholder``) and counted in
        ``values_set_missing``. ``notes`` add the derivations and the attribution.

    Notes
    -----
    Column map: ``sub_id -> runner_id``, ``Gender -> sex``, ``YrsRunning -> years_running``,
    ``age`` as is. Derived before reading: ``bmi = Weight / (Height / 100)^2`` (kg, cm; empty
    when either is missing or the height is 0), ``competitive`` from ``Level``
    (Competitive / Recreational / empty), and ``lbp_point`` — a low-back presentation at the
    visit: yes when ``InjJoint`` or ``InjJoint2`` is "Lumbar Spine" or "Sacroiliac Joint";
    otherwise no when the visit records an injured region (``InjJoint``, "No Injury"
    included) or "No injury" in ``InjDefn`` or ``SpecInjury`` (any case); missing when it
    records neither (2 repeat visits: "Non-specific Injury", "MVA, not running related").
    ``low_back_joint`` keeps the primary region ("Lumbar Spine" 41 rows, "Sacroiliac Joint"
    22). These are clinic presentations, not a population prevalence.

    Examples
    --------
    >>> report = read_clinic_data()
    >>> report.rows_in, report.rows_kept, report.rows_rejected
    (1832, 1402, 430)
    >>> report.data["low_back_joint"].value_counts().to_dict()
    {'Lumbar Spine': 34, 'Sacroiliac Joint': 19}
    >>> report.data["speed_r"].dtype, int(report.data["Level"].isna().sum())
    (dtype('float64'), 124)
    """
    check_choice("on_error", on_error, ("missing", "drop"))
    frame, quirks = _clinic_frame()
    report = read_survey(frame, columns=CLINIC_COLUMNS, on_error=on_error)
    lines = frame["file_line"]

    def with_lines(cases: pd.DataFrame) -> pd.DataFrame:
        cases = cases.copy()
        cases["file_line"] = [int(lines.iloc[int(r)]) for r in cases["row"]]
        return cases

    extra = quirks.assign(
        source=report.source,
        row=quirks["file_line"].map(dict(zip(lines, frame.index, strict=True))),
        check="placeholder",
        message=[
            f"{c} {v!r} is a template placeholder, not a value"
            for c, v in zip(quirks["column"], quirks["value"], strict=True)
        ],
    )
    set_missing = pd.concat([with_lines(report.set_missing), extra], ignore_index=True)
    data, written = _typed_extras(report.data)
    listed = ", ".join(f"{column} {n}" for column, n in written.items())
    counts = dict(report.values_set_missing)
    for column, n in quirks["column"].value_counts().items():
        counts[column] = counts.get(column, 0) + int(n)
    notes = (
        *report.notes,
        "Visits read in visit order (datestring, then filename): repeat visits of a runner "
        "are rejected as duplicate runner_id, so the kept rows are first visits.",
        "lbp_point derived: yes when InjJoint or InjJoint2 is 'Lumbar Spine' or "
        "'Sacroiliac Joint'; no when InjJoint records another region or InjDefn or "
        "SpecInjury says 'No injury'; missing otherwise; bmi derived from Weight (kg) and "
        "Height (cm); competitive from Level.",
        f"{len(quirks)} race-time placeholders (HH, MM, SS) read as missing.",
        f"The file's own columns: blank cells and {sum(written.values())} cells written "
        f"'NaN' or 'null' ({listed}) read as missing; {', '.join(EXTRA_NUMERIC)} read as "
        "numbers.",
        f"Data: {CLINIC_ATTRIBUTION}",
    )
    return dataclasses.replace(
        report,
        data=data,
        failure_cases=with_lines(report.failure_cases),
        set_missing=set_missing,
        values_set_missing=counts,
        notes=notes,
    )
