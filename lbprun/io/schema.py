"""The column dictionary: lbprun's single source of truth for its data tables.

Each table kind (``survey``, ``activities``, ``cohort``, ``episodes``) is a :class:`TableSchema`:
a tuple of :class:`Column` entries giving the name, type, unit, plausible range or allowed
values, whether the column is required, and a description. The validators
(:mod:`lbprun.io.validate`), the simulator (:mod:`lbprun.simulate`) and the generated data
dictionary (:func:`data_dictionary`, ``docs/data_dictionary.md``) all read it from here.

Ranges are *plausibility* limits for runners, not clinical truth: a value outside them is far
more likely a typing or unit error than a real runner.

Examples
--------
>>> from lbprun.io.schema import SCHEMAS
>>> SCHEMAS["survey"]["weekly_km"].unit
'km/week'
>>> SCHEMAS["activities"].required
('runner_id', 'distance_km', 'duration_min')
>>> data_dictionary("cohort")[["column", "dtype", "required"]].head(3)
          column dtype  required
0      runner_id  text      True
1     start_date  date      True
2       end_date  date      True
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

__all__ = [
    "ACTIVITIES",
    "COHORT",
    "DTYPES",
    "EPISODES",
    "LBP_OUTCOMES",
    "PACE_MIN_PER_KM",
    "SCHEMAS",
    "SURFACES",
    "SURVEY",
    "Column",
    "UNIT_FACTORS",
    "TableSchema",
    "data_dictionary",
    "data_dictionary_markdown",
]

#: The logical types a column can have.
DTYPES = ("text", "float", "int", "bool", "category", "date", "datetime")

#: Running surfaces lbprun knows (normalised labels).
SURFACES = ("asphalt", "concrete", "trail", "grass", "track", "treadmill", "sand", "mixed")

_SURFACE_SYNONYMS = MappingProxyType(
    {
        "road": "asphalt",
        "tarmac": "asphalt",
        "pavement": "asphalt",
        "street": "asphalt",
        "sidewalk": "concrete",
        "off_road": "trail",
        "offroad": "trail",
        "dirt": "trail",
        "gravel": "trail",
        "forest": "trail",
        "mountain": "trail",
        "indoor": "treadmill",
        "beach": "sand",
        "mix": "mixed",
        "various": "mixed",
        "tartan": "track",
        "athletics_track": "track",
    }
)

_SEX_SYNONYMS = MappingProxyType(
    {
        "f": "F",
        "female": "F",
        "woman": "F",
        "w": "F",
        "femmina": "F",
        "femme": "F",
        "m": "M",
        "male": "M",
        "man": "M",
        "maschio": "M",
        "homme": "M",
    }
)


@dataclass(frozen=True)
class Column:
    """One column of a table kind.

    Parameters
    ----------
    name : str
        lbprun's snake_case name; units are part of the name where they apply.
    dtype : {"text", "float", "int", "bool", "category", "date", "datetime"}
        Logical type. ``bool`` accepts yes/no/true/false/1/0; ``date`` accepts one date format
        per column; ``datetime`` accepts a time and an optional UTC offset.
    description : str
        What the column holds, for the data dictionary.
    unit : str or None, default=None
        Unit of measurement, for the data dictionary and unit conversion.
    required : bool, default=False
        Whether a table of this kind must have the column.
    min, max : float or None, default=None
        Inclusive plausible range (numeric columns).
    allowed : tuple of str or None, default=None
        Allowed labels (category columns), after normalisation.
    synonyms : Mapping[str, str], default={}
        Labels mapped onto allowed labels after lower-casing and collapsing spaces to ``_``.
    nullable : bool, default=True
        Whether missing values are allowed in a present column.
    """

    name: str
    dtype: str
    description: str
    unit: str | None = None
    required: bool = False
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    synonyms: Mapping[str, str] = field(default_factory=dict)
    nullable: bool = True

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {DTYPES}; got {self.dtype!r}.")

    @property
    def rule(self) -> str:
        """A short human-readable statement of the column's rule."""
        if self.allowed is not None:
            return "one of " + ", ".join(self.allowed)
        if self.min is not None or self.max is not None:
            low = "-inf" if self.min is None else f"{self.min:g}"
            high = "inf" if self.max is None else f"{self.max:g}"
            return f"{self.dtype} in [{low}, {high}]"
        return {
            "bool": "yes/no, true/false or 1/0",
            "date": "a date",
            "datetime": "a date-time",
        }.get(self.dtype, self.dtype)


@dataclass(frozen=True)
class TableSchema:
    """A table kind: its columns and the rules that span columns.

    Parameters
    ----------
    kind : str
        ``"survey"``, ``"activities"``, ``"cohort"`` or ``"episodes"``.
    description : str
        One line on what a row is.
    columns : tuple of Column
        The known columns; other columns pass through untouched.
    unique_key : tuple of str
        Columns whose combination must be unique (duplicates are errors).
    one_of_required : tuple of str, default=()
        At least one of these columns must be present (the LBP outcomes of a survey).
    date_order : tuple of (str, str), default=()
        Pairs ``(earlier, later)`` that must satisfy ``earlier <= later`` when both are present.
    within : tuple of (str, str, str), default=()
        Triples ``(column, start, end)``: ``column`` must lie in ``[start, end]`` when present.
    """

    kind: str
    description: str
    columns: tuple[Column, ...]
    unique_key: tuple[str, ...] = ()
    one_of_required: tuple[str, ...] = ()
    date_order: tuple[tuple[str, str], ...] = ()
    within: tuple[tuple[str, str, str], ...] = ()

    def __getitem__(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.kind} has no column {name!r}")

    def __contains__(self, name: object) -> bool:
        return any(column.name == name for column in self.columns)

    def __iter__(self) -> Iterator[Column]:
        return iter(self.columns)

    @property
    def names(self) -> tuple[str, ...]:
        """The names of all known columns, in dictionary order."""
        return tuple(column.name for column in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        """The names of the required columns."""
        return tuple(column.name for column in self.columns if column.required)


def _bool(name: str, description: str, **kw: object) -> Column:
    return Column(name, "bool", description, **kw)  # type: ignore[arg-type]


LBP_OUTCOMES = ("lbp_point", "lbp_12m", "lbp_lifetime")

SURVEY = TableSchema(
    kind="survey",
    description="One row per runner of a cross-sectional survey.",
    columns=(
        Column(
            "runner_id", "text", "Pseudonymous runner identifier.", required=True, nullable=False
        ),
        Column("sex", "category", "Sex (F or M).", allowed=("F", "M"), synonyms=_SEX_SYNONYMS),
        Column("age", "float", "Age at the survey.", unit="years", min=10, max=100),
        Column("bmi", "float", "Body-mass index.", unit="kg/m2", min=12, max=60),
        Column("years_running", "float", "Years of regular running.", unit="years", min=0, max=80),
        Column(
            "weekly_km", "float", "Usual weekly running distance.", unit="km/week", min=0, max=400
        ),
        Column(
            "max_weekly_increase_pct",
            "float",
            "Largest week-to-week increase in distance in the recall period.",
            unit="%",
            min=-100,
            max=1000,
        ),
        Column(
            "shoe_km",
            "float",
            "Distance run in the current main pair of shoes.",
            unit="km",
            min=0,
            max=10000,
        ),
        Column(
            "surface",
            "category",
            "Main running surface.",
            allowed=SURFACES,
            synonyms=_SURFACE_SYNONYMS,
        ),
        _bool("strength_training", "Regular strength or core training."),
        _bool("prior_lbp", "LBP before the recall period (previous episodes)."),
        _bool("competitive", "Takes part in competitions."),
        _bool("lbp_point", "LBP now (point prevalence)."),
        _bool("lbp_12m", "LBP in the past 12 months (period prevalence)."),
        _bool("lbp_lifetime", "LBP ever (lifetime prevalence)."),
        Column("stratum", "text", "Survey design: sampling stratum."),
        Column("cluster", "text", "Survey design: primary sampling unit (cluster)."),
        Column(
            "weight",
            "float",
            "Survey design: sampling weight (inverse probability).",
            min=0,
            max=1e9,
        ),
    ),
    unique_key=("runner_id",),
    one_of_required=LBP_OUTCOMES,
)

ACTIVITIES = TableSchema(
    kind="activities",
    description="One row per run of a training log.",
    columns=(
        Column(
            "runner_id", "text", "Pseudonymous runner identifier.", required=True, nullable=False
        ),
        Column("date", "date", "Calendar date of the run (local time).", nullable=False),
        Column("start_time", "datetime", "Start of the run, with UTC offset where known."),
        Column(
            "distance_km",
            "float",
            "Distance of the run.",
            unit="km",
            required=True,
            min=0,
            max=250,
            nullable=False,
        ),
        Column(
            "duration_min",
            "float",
            "Moving or elapsed duration of the run.",
            unit="min",
            required=True,
            min=0,
            max=48 * 60,
        ),
        Column(
            "surface",
            "category",
            "Surface of the run.",
            allowed=SURFACES,
            synonyms=_SURFACE_SYNONYMS,
        ),
        Column("shoe_id", "text", "Identifier of the pair of shoes used."),
        Column("activity_type", "text", "Type of activity as recorded (run, trail run, ...)."),
        Column("elevation_gain_m", "float", "Total ascent.", unit="m", min=0, max=10000),
        Column("avg_hr", "float", "Average heart rate.", unit="beats/min", min=30, max=230),
        Column(
            "rpe", "float", "Rating of perceived exertion (CR-10).", unit="CR-10", min=0, max=10
        ),
    ),
    unique_key=("runner_id", "date", "start_time", "distance_km", "duration_min"),
)

#: Plausible pace of a run, in minutes per km (checked when distance and duration are known).
PACE_MIN_PER_KM = (2.5, 30.0)

COHORT = TableSchema(
    kind="cohort",
    description="One row per runner followed over time.",
    columns=(
        Column(
            "runner_id", "text", "Pseudonymous runner identifier.", required=True, nullable=False
        ),
        Column("start_date", "date", "Start of follow-up.", required=True, nullable=False),
        Column(
            "end_date",
            "date",
            "End of follow-up (last day observed).",
            required=True,
            nullable=False,
        ),
        Column(
            "lbp_onset_date", "date", "Date of first LBP onset; empty when none.", required=True
        ),
        Column("sex", "category", "Sex (F or M).", allowed=("F", "M"), synonyms=_SEX_SYNONYMS),
        Column("age", "float", "Age at the start of follow-up.", unit="years", min=10, max=100),
        Column("bmi", "float", "Body-mass index at baseline.", unit="kg/m2", min=12, max=60),
        Column(
            "years_running",
            "float",
            "Years of regular running at baseline.",
            unit="years",
            min=0,
            max=80,
        ),
        _bool("prior_lbp", "LBP before the start of follow-up."),
        _bool("strength_training", "Regular strength or core training at baseline."),
    ),
    unique_key=("runner_id",),
    date_order=(("start_date", "end_date"),),
    within=(("lbp_onset_date", "start_date", "end_date"),),
)

EPISODES = TableSchema(
    kind="episodes",
    description="One row per LBP episode of a cohort runner (recurrent LBP).",
    columns=(
        Column(
            "runner_id", "text", "Pseudonymous runner identifier.", required=True, nullable=False
        ),
        Column("onset_date", "date", "First day of the episode.", required=True, nullable=False),
        Column(
            "recovery_date",
            "date",
            "First day free of pain; empty when unresolved.",
            required=True,
        ),
    ),
    unique_key=("runner_id", "onset_date"),
    date_order=(("onset_date", "recovery_date"),),
)

_KM = {
    "km": 1.0,
    "kilometre": 1.0,
    "kilometres": 1.0,
    "kilometer": 1.0,
    "kilometers": 1.0,
    "m": 0.001,
    "metres": 0.001,
    "meters": 0.001,
    "mi": 1.609344,
    "mile": 1.609344,
    "miles": 1.609344,
}
_MIN = {
    "min": 1.0,
    "mins": 1.0,
    "minute": 1.0,
    "minutes": 1.0,
    "h": 60.0,
    "hr": 60.0,
    "hrs": 60.0,
    "hour": 60.0,
    "hours": 60.0,
    "s": 1 / 60,
    "sec": 1 / 60,
    "secs": 1 / 60,
    "second": 1 / 60,
    "seconds": 1 / 60,
}
_M = {
    "m": 1.0,
    "metre": 1.0,
    "metres": 1.0,
    "meter": 1.0,
    "meters": 1.0,
    "ft": 0.3048,
    "feet": 0.3048,
    "foot": 0.3048,
}

#: Units a column's values may be given in, with the factor converting them to the column's own
#: unit (``units={"distance_km": "mi"}`` multiplies by 1.609344).
UNIT_FACTORS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "distance_km": MappingProxyType(_KM),
        "weekly_km": MappingProxyType(_KM),
        "shoe_km": MappingProxyType(_KM),
        "duration_min": MappingProxyType(_MIN),
        "elevation_gain_m": MappingProxyType(_M),
    }
)

#: Every table kind by name.
SCHEMAS: Mapping[str, TableSchema] = MappingProxyType(
    {s.kind: s for s in (SURVEY, ACTIVITIES, COHORT, EPISODES)}
)


def data_dictionary(kind: str | None = None) -> pd.DataFrame:
    """Return the column dictionary as a table.

    Parameters
    ----------
    kind : str or None, default=None
        One table kind, or None for all kinds.

    Returns
    -------
    pandas.DataFrame
        Columns ``kind, column, dtype, unit, required, rule, description``.

    Examples
    --------
    >>> data_dictionary("activities").loc[3, ["column", "unit", "rule"]].tolist()
    ['distance_km', 'km', 'float in [0, 250]']
    """
    kinds = list(SCHEMAS) if kind is None else [kind]
    rows = []
    for name in kinds:
        schema = SCHEMAS[name]
        for column in schema:
            rows.append(
                {
                    "kind": name,
                    "column": column.name,
                    "dtype": column.dtype,
                    "unit": column.unit or "",
                    "required": column.required,
                    "rule": column.rule,
                    "description": column.description,
                }
            )
    return pd.DataFrame(rows)


def data_dictionary_markdown() -> str:
    """Return the data dictionary as a Markdown page (``docs/data_dictionary.md``)."""
    parts = [
        "# lbprun data dictionary",
        "",
        "Generated from `lbprun/io/schema.py` by `analyses/make_data_dictionary.py`; "
        "do not edit by hand.",
        "Columns not listed here pass through validation untouched.",
    ]
    for schema in SCHEMAS.values():
        table = data_dictionary(schema.kind).drop(columns="kind")
        parts += ["", f"## {schema.kind}", "", schema.description, ""]
        if schema.one_of_required:
            parts.append(f"At least one of {', '.join(schema.one_of_required)} is required.")
        if schema.unique_key:
            parts.append(f"Unique key: {', '.join(schema.unique_key)}.")
        for earlier, later in schema.date_order:
            parts.append(f"{earlier} <= {later}.")
        for column, start, end in schema.within:
            parts.append(f"{column} lies in [{start}, {end}].")
        if schema.kind == "activities":
            low, high = PACE_MIN_PER_KM
            parts.append(f"Pace (duration_min / distance_km) lies in [{low:g}, {high:g}] min/km.")
            parts.append("Either `date` or `start_time` is required (`date` is then derived).")
            parts.append(
                "A run recorded twice (same runner, date, start time, distance and "
                "duration) is an error."
            )
        if schema.kind == "episodes":
            parts.append("Episodes of one runner must not overlap.")
        parts += [
            "",
            "| column | type | unit | required | rule | description |",
            "|---|---|---|---|---|---|",
        ]
        for row in table.itertuples(index=False):
            parts.append(
                f"| `{row.column}` | {row.dtype} | {row.unit} | "
                f"{'yes' if row.required else 'no'} | {row.rule} | {row.description} |"
            )
    parts += [
        "",
        "## Units",
        "",
        "`units={column: unit}` (CLI `--units column=unit`) converts these columns:",
        "",
        "| column | accepted units (factor to the column's unit) |",
        "|---|---|",
    ]
    for name, factors in UNIT_FACTORS.items():
        accepted = ", ".join(f"{unit} ({factor:.6g})" for unit, factor in factors.items())
        parts.append(f"| `{name}` | {accepted} |")
    return "\n".join(parts) + "\n"
