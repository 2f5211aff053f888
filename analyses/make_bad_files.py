"""Write the malformed-file corpus (tests/data/bad) and the valid-but-tricky files (tests/data/tricky).

Each file carries one problem (bad) or one difficulty a reader must cope with (tricky); the
descriptions below are also written to each folder's README.md. The test suite
(tests/io/test_bad_corpus.py, tests/io/test_tricky.py) records what each file must produce.

Run from the repository root::

    python analyses/make_bad_files.py
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"
TRICKY = ROOT / "tests" / "data" / "tricky"

RUNS = "runner_id,date,distance_km,duration_min\n"
SURVEY = "runner_id,sex,age,bmi,surface,lbp_12m\n"
COHORT = "runner_id,start_date,end_date,lbp_onset_date\n"
EPISODES = "runner_id,onset_date,recovery_date\n"

#: name -> (table kind, content or None for binary files, what is wrong)
BAD_TEXT: dict[str, tuple[str, str | bytes, str]] = {
    "empty.csv": ("survey", "", "an empty file (0 bytes)"),
    "header_only.csv": ("survey", SURVEY, "a header and no data rows"),
    "whitespace_only.csv": ("survey", "\n \n\n", "blank lines only, no header"),
    "wrong_delimiter.csv": (
        "activities",
        "runner_id distance_km duration_min date\nA1 10.0 55.0 2025-01-06\n",
        "space-separated: read as one column, so distance_km and duration_min are missing",
    ),
    "ragged_rows.csv": (
        "activities",
        RUNS + "A1,2025-01-06,10.0,55.0\nA1,2025-01-07,8.0,44.0\nA1,2025-01-08,6,0,33.0,x\n",
        "line 4 has more fields than the header (an unquoted decimal comma): a row error",
    ),
    "binary_as_csv.csv": (
        "survey",
        b"runner_id,lbp_12m\n\x00\x01\x02\x00\x00\xff\n",
        "binary content (NUL bytes) behind a .csv name",
    ),
    "mixed_date_formats.csv": (
        "cohort",
        COHORT
        + "C1,2025-01-06,2025-12-31,\nC2,2025-01-06,2025-12-31,\nC3,06/01/2025,2025-12-31,\n",
        "start_date mixes ISO dates and d/m/Y (line 4)",
    ),
    "invalid_date.csv": (
        "cohort",
        COHORT + "C1,2025-01-06,2025-12-31,\nC2,2025-02-30,2025-12-31,\n",
        "start_date 2025-02-30 does not exist (line 3)",
    ),
    "negative_distance.csv": (
        "activities",
        RUNS + "A1,2025-01-06,10.0,55.0\nA1,2025-01-07,-5.0,30.0\n",
        "a negative distance_km (line 3)",
    ),
    "miles_suffix.csv": (
        "activities",
        RUNS + "A1,2025-01-06,5 mi,45.0\nA1,2025-01-07,8.0,44.0\n",
        "distance_km written '5 mi' (line 2): the error suggests units=",
    ),
    "text_in_numeric.csv": (
        "survey",
        SURVEY + "R1,F,34,22.1,asphalt,yes\nR2,M,thirty,23.0,trail,no\n",
        "age 'thirty' (line 3)",
    ),
    "duplicate_ids.csv": (
        "survey",
        SURVEY + "R1,F,34,22.1,asphalt,yes\nR2,M,40,23.0,trail,no\nR1,F,35,22.0,grass,no\n",
        "runner_id R1 twice (lines 2 and 4)",
    ),
    "duplicate_runs.csv": (
        "activities",
        RUNS
        + "A1,2025-01-06,10.0,55.0\nA1,2025-01-07,8.0,44.0\nA2,2025-01-06,10.0,55.0\n"
        + "A1,2025-01-07,8.0,44.0\n",
        "the run of A1 on 2025-01-07 recorded twice (lines 3 and 5)",
    ),
    "onset_before_start.csv": (
        "cohort",
        COHORT + "C1,2025-01-06,2025-12-31,2025-03-01\nC2,2025-01-06,2025-12-31,2024-12-01\n",
        "lbp_onset_date before start_date (line 3)",
    ),
    "onset_after_end.csv": (
        "cohort",
        COHORT + "C1,2025-01-06,2025-12-31,2026-02-01\nC2,2025-01-06,2025-12-31,\n",
        "lbp_onset_date after end_date (line 2)",
    ),
    "end_before_start.csv": (
        "cohort",
        COHORT + "C1,2025-01-06,2025-12-31,\nC2,2025-06-01,2025-01-31,\n",
        "end_date before start_date (line 3)",
    ),
    "missing_required_column.csv": (
        "activities",
        "runner_id,date,distance_km\nA1,2025-01-06,10.0\n",
        "no duration_min column",
    ),
    "missing_date_column.csv": (
        "activities",
        "runner_id,distance_km,duration_min\nA1,10.0,55.0\n",
        "neither date nor start_time",
    ),
    "no_lbp_outcome.csv": (
        "survey",
        "runner_id,sex,age\nR1,F,34\n",
        "no LBP outcome column (lbp_point, lbp_12m or lbp_lifetime)",
    ),
    "unknown_surface.csv": (
        "survey",
        SURVEY + "R1,F,34,22.1,asphalt,yes\nR2,M,40,23.0,asphlat,no\n",
        "surface 'asphlat' (line 3): the error suggests 'asphalt'",
    ),
    "unknown_sex.csv": (
        "survey",
        SURVEY + "R1,X,34,22.1,asphalt,yes\nR2,M,40,23.0,trail,no\n",
        "sex 'X' (line 2)",
    ),
    "age_out_of_range.csv": (
        "survey",
        SURVEY + "R1,F,34,22.1,asphalt,yes\nR2,M,40,23.0,trail,no\nR3,F,150,21.0,grass,no\n",
        "age 150 (line 4)",
    ),
    "bmi_out_of_range.csv": (
        "survey",
        SURVEY + "R1,F,34,22.1,asphalt,yes\nR2,M,40,95,trail,no\n",
        "bmi 95 (line 3)",
    ),
    "bmi_decimal_comma.csv": (
        "survey",
        "runner_id;sex;age;bmi;lbp_12m\nR1;F;34;75,5;si\nR2;M;40;23,0;no\n",
        "';' and decimal comma read fine, but bmi 75,5 is out of range (line 2)",
    ),
    "impossible_pace.csv": (
        "activities",
        RUNS + "A1,2025-01-06,10.0,55.0\nA1,2025-01-07,10.0,5.0\n",
        "10 km in 5 minutes, a pace of 0.5 min/km (line 3)",
    ),
    "bad_boolean.csv": (
        "survey",
        SURVEY + "R1,F,34,22.1,asphalt,maybe\n",
        "lbp_12m 'maybe' (line 2)",
    ),
    "missing_runner_id.csv": (
        "activities",
        RUNS + "A1,2025-01-06,10.0,55.0\n,2025-01-07,8.0,44.0\n",
        "an empty runner_id (line 3)",
    ),
    "formula_numeric.csv": (
        "activities",
        RUNS + "A1,2025-01-06,=10+5,55.0\n",
        "distance_km '=10+5', a spreadsheet formula (line 2): read as text, never evaluated",
    ),
    "non_utf8.csv": (
        "survey",
        (SURVEY + "R1,F,34,22.1,asphalt,yes\nR2,M,40,23.0,césped,no\n").encode("cp1252"),
        "cp1252 bytes (not UTF-8): read as cp1252 with a note; surface 'césped' (line 3) is "
        "not a known surface",
    ),
    "recovery_before_onset.csv": (
        "episodes",
        EPISODES + "E1,2025-02-01,2025-02-10\nE2,2025-03-10,2025-03-01\n",
        "recovery_date before onset_date (line 3)",
    ),
    "overlapping_episodes.csv": (
        "episodes",
        EPISODES + "E1,2025-02-01,2025-02-20\nE1,2025-02-15,2025-03-01\n",
        "two episodes of E1 overlap (the one on line 3 starts before line 2 recovers)",
    ),
}

BAD_BINARY = {
    "corrupt.xlsx": ("survey", "a zip header followed by garbage: not a readable workbook"),
    "truncated.parquet": ("activities", "the first half of a Parquet file"),
    "formula_numeric.xlsx": (
        "activities",
        "distance_km holds the formula =C2*2 on sheet row 3: read as text, never evaluated",
    ),
    "end_before_start.xlsx": ("cohort", "end_date before start_date on sheet row 4"),
    "bad_values.dta": ("survey", "Stata file with age 150 in record 3"),
    "bad_values.sav": (
        "survey",
        "SPSS file with value labels 1=female, 2=male; record 2 has the unlabelled code 3",
    ),
    "distance_out_of_range.parquet": (
        "activities",
        "Parquet file with distance_km 300 in record 2",
    ),
}


def _runs_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "runner_id": ["A1", "A1", "A2", "A2"],
            "date": pd.to_datetime(["2025-01-06", "2025-01-07", "2025-01-06", "2025-01-08"]),
            "distance_km": [10.0, 8.0, 12.5, 6.0],
            "duration_min": [55.0, 44.0, 70.0, 33.0],
        }
    )


def write_bad() -> None:
    BAD.mkdir(parents=True, exist_ok=True)
    for name, (_kind, content, _what) in BAD_TEXT.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (BAD / name).write_bytes(data)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    (BAD / "corrupt.xlsx").write_bytes(buffer.getvalue()[:40] + bytes(range(256)))
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(_runs_frame(), preserve_index=False), sink)
    whole = sink.getvalue()
    (BAD / "truncated.parquet").write_bytes(whole[: len(whole) // 2])
    bad_runs = _runs_frame()
    bad_runs.loc[1, "distance_km"] = 300.0
    bad_runs.to_parquet(BAD / "distance_out_of_range.parquet", index=False)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "runs"
    sheet.append(["runner_id", "date", "distance_km", "duration_min"])
    sheet.append(["A1", "2025-01-06", 10.0, 55.0])
    sheet.append(["A1", "2025-01-07", "=C2*2", 44.0])
    book.save(BAD / "formula_numeric.xlsx")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["runner_id", "start_date", "end_date", "lbp_onset_date"])
    sheet.append(["C1", "2025-01-06", "2025-12-31", None])
    sheet.append(["C2", "2025-01-06", "2025-12-31", "2025-05-01"])
    sheet.append(["C3", "2025-06-01", "2025-01-31", None])
    book.save(BAD / "end_before_start.xlsx")
    survey = pd.DataFrame(
        {
            "runner_id": ["R1", "R2", "R3"],
            "age": [34.0, 40.0, 150.0],
            "lbp_12m": [1.0, 0.0, 0.0],
        }
    )
    survey.to_stata(BAD / "bad_values.dta", write_index=False)
    spss = pd.DataFrame(
        {"runner_id": ["R1", "R2", "R3"], "sex": [1.0, 3.0, 2.0], "lbp_12m": [1.0, 0.0, 1.0]}
    )
    pyreadstat.write_sav(
        spss, str(BAD / "bad_values.sav"), variable_value_labels={"sex": {1: "female", 2: "male"}}
    )
    _readme(BAD, "Malformed inputs", {k: v[2] for k, v in BAD_TEXT.items()}, BAD_BINARY)


TRICKY_TEXT: dict[str, tuple[str, str | bytes, str]] = {
    "bom_utf8.csv": (
        "survey",
        ("\ufeff" + SURVEY + "R1,F,34,22.1,asphalt,yes\nR2,M,40,23.0,trail,no\n").encode(),
        "UTF-8 with a byte-order mark",
    ),
    "utf16_bom.csv": (
        "activities",
        (RUNS + "A1,2025-01-06,10.0,55.0\nA1,2025-01-07,8.0,44.0\n").encode("utf-16"),
        "UTF-16 with a byte-order mark",
    ),
    "semicolon_decimal_comma.csv": (
        "survey",
        "runner_id;sex;age;bmi;weekly_km;lbp_12m\nR1;F;34;22,1;30,5;sì\nR2;M;40;23,0;1.250,0;no\n",
        "';' delimiter, decimal comma, a thousands separator (1.250,0 = 1250; out of range "
        "for weekly_km, so that row is only read with on_error='drop')",
    ),
    "tab_delimited.tsv": (
        "cohort",
        COHORT.replace(",", "\t") + "C1\t2025-01-06\t2025-12-31\t2025-04-02\n",
        "tab-delimited",
    ),
    "pipe_delimited.txt": (
        "episodes",
        EPISODES.replace(",", "|") + "E1|2025-02-01|2025-02-10\nE1|2025-02-10|\n",
        "'|'-delimited; the second episode starts on the recovery day of the first and is "
        "unresolved",
    ),
    "cp1252_text.csv": (
        "survey",
        (SURVEY.strip() + ",club\nR1,F,34,22.1,asphalt,yes,Società Podistica\n").encode("cp1252"),
        "cp1252 text (not UTF-8) in a pass-through column: read with a note",
    ),
    "day_first_dates.csv": (
        "cohort",
        COHORT + "C1,06/01/2025,31/12/2025,\nC2,06/01/2025,31/12/2025,15/03/2025\n",
        "dd/mm/yyyy dates (a day above 12 settles the order)",
    ),
    "month_first_dates.csv": (
        "cohort",
        COHORT + "C1,01/06/2025,12/31/2025,\nC2,01/06/2025,12/31/2025,03/15/2025\n",
        "mm/dd/yyyy dates (a second field above 12 settles the order)",
    ),
    "ambiguous_dates.csv": (
        "cohort",
        COHORT + "C1,06.01.2025,12.12.2025,\nC2,06.01.2025,12.12.2025,03.02.2025\n",
        "dd.mm.yyyy dates that are all ambiguous: read day-first with a note",
    ),
    "messy_headers.csv": (
        "survey",
        " Runner ID ,SEX,Age,Weekly-KM,LBP 12m\nR1,Female,34,30,Yes\nR2,male,40,25,N\n",
        "headers that match lbprun names once lower-cased with spaces as '_'",
    ),
    "multilingual_booleans.csv": (
        "survey",
        "runner_id,lbp_12m,lbp_point,prior_lbp\nR1,si,ja,oui\nR2,NO,f,0.0\nR3,T,1.0,nein\n",
        "yes/no in Italian, German, French, t/f and 1.0/0.0",
    ),
    "surface_synonyms.csv": (
        "survey",
        SURVEY + "R1,F,34,22.1,Road,yes\nR2,M,40,23.0,Off-Road,no\nR3,F,30,21.0, Treadmill ,no\n",
        "surfaces given as synonyms (road, off-road) and with stray spaces",
    ),
    "start_time_only.csv": (
        "activities",
        "runner_id,start_time,distance_km,duration_min\n"
        "A1,2025-03-01T07:30:00+01:00,10.0,55.0\nA1,2025-03-01T23:30:00-05:00,5.0,30.0\n",
        "no date column: the local date is taken from start_time (with UTC offsets)",
    ),
    "blank_lines_quoted.csv": (
        "survey",
        'runner_id,lbp_12m,comment\nR1,yes,"two\nlines"\n\nR2,no,plain\n',
        "a quoted field spanning two lines and a blank line",
    ),
}

TRICKY_BINARY = {
    "formula_text.xlsx": (
        "survey",
        "runner_id holds =HYPERLINK(...) text (kept as text); a second sheet 'other'",
    ),
    "valid.parquet": ("activities", "typed Parquet (datetime64 dates)"),
    "valid.dta": ("cohort", "Stata file with dates"),
    "value_labels.sav": ("survey", "SPSS file whose sex and lbp_12m carry value labels"),
}


def write_tricky() -> None:
    TRICKY.mkdir(parents=True, exist_ok=True)
    for name, (_kind, content, _what) in TRICKY_TEXT.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (TRICKY / name).write_bytes(data)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "survey"
    sheet.append(["runner_id", "age", "lbp_12m"])
    sheet.append(['=HYPERLINK("http://example.org","R1")', 34, "yes"])
    sheet.append(["R2", 40, "no"])
    other = book.create_sheet("other")
    other.append(["runner_id", "lbp_12m"])
    other.append(["S1", 1])
    book.save(TRICKY / "formula_text.xlsx")
    _runs_frame().to_parquet(TRICKY / "valid.parquet", index=False)
    cohort = pd.DataFrame(
        {
            "runner_id": ["C1", "C2"],
            "start_date": pd.to_datetime(["2025-01-06", "2025-01-06"]),
            "end_date": pd.to_datetime(["2025-12-31", "2025-12-31"]),
            "lbp_onset_date": pd.to_datetime([pd.NaT, "2025-05-01"]),
            "age": [30.0, np.nan],
        }
    )
    cohort.to_stata(
        TRICKY / "valid.dta",
        write_index=False,
        convert_dates={"start_date": "td", "end_date": "td", "lbp_onset_date": "td"},
    )
    spss = pd.DataFrame(
        {"runner_id": ["R1", "R2"], "sex": [1.0, 2.0], "lbp_12m": [1.0, 0.0], "age": [34.0, 40.0]}
    )
    pyreadstat.write_sav(
        spss,
        str(TRICKY / "value_labels.sav"),
        variable_value_labels={"sex": {1: "female", 2: "male"}, "lbp_12m": {1: "yes", 0: "no"}},
    )
    _readme(
        TRICKY, "Valid but tricky inputs", {k: v[2] for k, v in TRICKY_TEXT.items()}, TRICKY_BINARY
    )


def _readme(folder: Path, title: str, text: dict[str, str], binary: dict) -> None:
    kinds = {**{k: v[0] for k, v in BAD_TEXT.items()}, **{k: v[0] for k, v in TRICKY_TEXT.items()}}
    lines = [
        f"# {title}",
        "",
        "Generated by `analyses/make_bad_files.py`; do not edit by hand.",
        "",
        "| file | table kind | what it holds |",
        "|---|---|---|",
    ]
    for name, what in text.items():
        lines.append(f"| `{name}` | {kinds[name]} | {what} |")
    for name, (kind, what) in binary.items():
        lines.append(f"| `{name}` | {kind} | {what} |")
    (folder / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_bad()
    write_tricky()
    print(
        f"wrote {len(list(BAD.iterdir()))} files to {BAD} and {len(list(TRICKY.iterdir()))} "
        f"to {TRICKY}"
    )
