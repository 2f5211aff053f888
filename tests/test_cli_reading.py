"""Reader options of the ``lbprun`` sub-commands: the same meaning as the readers' keywords."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import zstandard

import lbprun
from lbprun.cli import main
from lbprun.cli._reading import parse_map

HERE = Path(__file__).parent
DATA = HERE.parent / "lbprun" / "data"
RAW = HERE / "data" / "cli" / "raw_survey.csv"
STUDY = HERE / "data" / "cli" / "study.toml"
RAW_COLUMNS = {
    "Runner": "runner_id",
    "Age (years)": "age",
    "Miles per week": "weekly_km",
    "Back pain past 12 months": "lbp_12m",
    "Previous back pain": "prior_lbp",
}
COLUMNS_OPTION = ",".join(f"{k}={v}" for k, v in RAW_COLUMNS.items())
MILES = 1.609344


def _csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text))


def _close(got, expected) -> None:
    np.testing.assert_allclose(
        np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=0, atol=1e-12
    )


def _raw_python(**options) -> pd.DataFrame:
    report = lbprun.read_survey(
        RAW, columns=RAW_COLUMNS, units={"weekly_km": "mi"}, on_error="drop", **options
    )
    return report.data


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> dict[str, Path]:
    """Twelve runners of the bundled cohort: their log renamed and in miles, their cohort."""
    folder = tmp_path_factory.mktemp("small")
    cohort = pd.read_csv(DATA / "example_cohort.csv", dtype=str, keep_default_na=False)
    runs = pd.read_csv(DATA / "example_activities.csv.gz", dtype=str)
    keep = cohort["runner_id"].head(12)
    cohort = cohort[cohort["runner_id"].isin(keep)]
    runs = runs[runs["runner_id"].isin(keep)]
    cohort.to_csv(folder / "cohort.csv", index=False)
    runs.to_csv(folder / "runs.csv", index=False)
    raw = runs.rename(
        columns={"runner_id": "Runner", "date": "Day", "distance_km": "Miles"}
    ).assign(Miles=(runs["distance_km"].astype(float) / MILES).map(repr))
    raw.to_csv(folder / "raw_runs.csv", index=False)
    cohort.rename(columns={"runner_id": "Runner"}).to_csv(folder / "raw_cohort.csv", index=False)
    return {p.stem: p for p in folder.iterdir()}


def test_parse_map_is_shared_and_re_exported():
    from lbprun.cli import validate

    assert validate.parse_map is parse_map
    assert parse_map("Age (years)=age, ,km=distance_km") == {
        "Age (years)": "age",
        "km": "distance_km",
    }


# (b) every sub-command takes the reader options, meaning what they mean in Python -----------


@pytest.mark.parametrize("command", ["prevalence", "risk"])
def test_columns_units_and_sheet_mean_what_the_readers_keywords_mean(command, tmp_path, capsys):
    book = tmp_path / "survey.xlsx"
    raw = pd.read_csv(RAW, sep=";", decimal=",")  # a workbook holds numbers, not text
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"about": ["survey of four clubs"]}).to_excel(
            writer, sheet_name="Read me", index=False
        )
        raw.to_excel(writer, sheet_name="Survey", index=False)
    maps = ["--columns", COLUMNS_OPTION, "--units", "weekly_km=mi", "--on-error", "drop"]
    extra = ["--by", "sex"] if command == "prevalence" else ["--predictors", "weekly_km,sex"]
    assert main([command, str(RAW), *extra, *maps, "--csv"]) == 0
    from_csv = _csv(capsys.readouterr().out)
    assert main([command, str(book), *extra, *maps, "--sheet", "Survey", "--csv"]) == 0
    from_xlsx = _csv(capsys.readouterr().out)
    data = _raw_python()
    assert len(data) == 158
    if command == "prevalence":
        expected = lbprun.prevalence(data, "lbp_12m", by="sex").to_frame()
    else:
        expected = lbprun.fit_risk_factors(data, "lbp_12m", ["weekly_km", "sex"]).to_frame()
    for got in (from_csv, from_xlsx):
        for column in ("estimate", "ci_low", "ci_high"):
            _close(got[column], expected[column])
    # the weekly distance is fitted in km: the OR per km/week, not per mile/week
    if command == "risk":
        per_mile = lbprun.fit_risk_factors(
            data.assign(weekly_km=data["weekly_km"] / MILES), "lbp_12m", ["weekly_km", "sex"]
        ).to_frame()
        assert from_csv["estimate"][1] == pytest.approx(per_mile["estimate"][1] ** (1 / MILES))


def test_workload_reads_a_renamed_log_in_miles(small, tmp_path, capsys):
    out = tmp_path / "weekly.parquet"
    argv = ["workload", str(small["raw_runs"]), "--out", str(out)]
    argv += ["--columns", "Runner=runner_id,Day=date,Miles=distance_km"]
    assert main([*argv, "--units", "distance_km=mi"]) == 0
    got = pd.read_parquet(out)
    python = lbprun.read_activities(
        small["raw_runs"],
        columns={"Runner": "runner_id", "Day": "date", "Miles": "distance_km"},
        units={"distance_km": "mi"},
    )
    pd.testing.assert_frame_equal(got, lbprun.weekly_load(python))
    plain = lbprun.weekly_load(lbprun.read_activities(small["runs"]))
    _close(got["distance_km"], plain["distance_km"])
    assert "wrote" in capsys.readouterr().out


def test_incidence_maps_apply_to_every_file_they_fit(small, capsys):
    # a small cohort: --no-suppress so that every count can be compared
    argv = [
        "incidence",
        str(small["raw_cohort"]),
        str(small["raw_runs"]),
        "--csv",
        "--no-suppress",
    ]
    argv += ["--columns", "Runner=runner_id,Day=date,Miles=distance_km"]
    assert main([*argv, "--units", "distance_km=mi", "--exposure", "km"]) == 0
    got = _csv(capsys.readouterr().out)
    cohort = lbprun.read_cohort(small["raw_cohort"], columns={"Runner": "runner_id"})
    runs = lbprun.read_activities(
        small["raw_runs"],
        columns={"Runner": "runner_id", "Day": "date", "Miles": "distance_km"},
        units={"distance_km": "mi"},
    )
    rates = lbprun.incidence_rate(cohort, runs, exposure="km").to_frame()
    risk = lbprun.cumulative_incidence(cohort).to_frame()
    _close(got.loc[got["measure"] == "rate", "estimate"], rates["estimate"])
    _close(got.loc[got["measure"] == "rate", "person_time"], rates["person_time"])
    _close(got.loc[got["measure"] == "cumulative_incidence", "estimate"], risk["estimate"])
    # an entry that fits none of the files is bad usage
    assert main([*argv, "--units", "weekly_km=mi"]) == 2
    assert "weekly_km=mi is not a unit column of any of" in capsys.readouterr().err
    assert main([*argv[:4], "--columns", "Athlete=runner_id"]) == 2
    assert "Athlete=runner_id is not a column of any of" in capsys.readouterr().err


def test_validate_takes_the_config(capsys):
    assert main(["validate", str(RAW), "--kind", "survey", "--config", str(STUDY)]) == 1
    out = capsys.readouterr().out
    assert "rows in: 160; valid: 158; rejected: 2" in out
    assert "weekly_km from mi" in out and "'Miles per week' -> 'weekly_km'" in out


# (c) the configuration file and its errors -------------------------------------------------


def test_config_equals_the_command_line_and_is_overridden_by_it(capsys):
    argv = ["prevalence", str(RAW), "--by", "sex", "--csv"]
    assert main([*argv, "--config", str(STUDY)]) == 0
    from_config = capsys.readouterr()
    assert main([*argv, "--columns", COLUMNS_OPTION, "--units", "weekly_km=mi",
                 "--on-error", "drop"]) == 0  # fmt: skip
    from_options = capsys.readouterr()
    assert from_config.out == from_options.out
    assert "160 rows in, 158 kept, 2 rejected (--on-error drop)" in from_config.err
    # the command line wins, entry by entry: miles read as km give other odds ratios
    risk = ["risk", str(RAW), "--predictors", "weekly_km", "--config", str(STUDY), "--csv"]
    assert main([*risk, "--units", "weekly_km=km"]) == 0
    as_km = _csv(capsys.readouterr().out)
    data = lbprun.read_survey(RAW, columns=RAW_COLUMNS, on_error="drop").data
    expected = lbprun.fit_risk_factors(data, "lbp_12m", ["weekly_km"]).to_frame()
    _close(as_km["estimate"], expected["estimate"])
    assert main([*risk[:-1], "--on-error", "raise"]) == 1  # overrides on_error = "drop"
    assert "failed validation with 2 failure(s)" in capsys.readouterr().err


def test_config_kind_tables_for_incidence(small, tmp_path, capsys):
    config = tmp_path / "cohort_study.toml"
    config.write_text(
        '[columns]\nRunner = "runner_id"\n\n'
        '[activities.columns]\nDay = "date"\nMiles = "distance_km"\n\n'
        '[activities.units]\ndistance_km = "mi"\n',
        encoding="utf-8",
    )
    argv = [
        "incidence",
        str(small["raw_cohort"]),
        str(small["raw_runs"]),
        "--csv",
        "--no-suppress",
    ]
    assert main([*argv, "--config", str(config)]) == 0
    by_config = capsys.readouterr().out
    assert (
        main(["incidence", str(small["cohort"]), str(small["runs"]), "--csv", "--no-suppress"])
        == 0
    )
    plain = capsys.readouterr().out
    for got, expected in zip(_csv(by_config).itertuples(), _csv(plain).itertuples(), strict=True):
        assert got.estimate == pytest.approx(expected.estimate, rel=1e-9)


BAD_CONFIGS = [
    ("colums = {}\n", "unknown key 'colums'", "Did you mean 'columns'?"),
    ("[survey]\nunits_ = {}\n", "[survey] unknown key 'units_'", "allowed: columns, units"),
    ('columns = ["Runner"]\n', "'columns' must be a table", "list"),
    ("[survey.columns]\nRunner = 3\n", "'survey.columns.Runner' must be a non-empty string", "3"),
    ('[survey.units]\ndistance_km = "mi"\n', "'survey.units.distance_km'", "weekly_km, shoe_km"),
    ('[units]\nweekly_km = "furlongs"\n', "'units.weekly_km' must be one of", "furlongs"),
    ('on_error = "skip"\n', "'on_error' must be one of raise, drop, missing", "'skip'"),
    ("[cohort]\nsheet = -1\n", "'cohort.sheet' must be a sheet name", "-1"),
    ('survey = "x"\n', "'survey' must be a table", "'x'"),
    ("[columns\n", "not valid TOML", "line 1"),
]


@pytest.mark.parametrize(("text", "message", "detail"), BAD_CONFIGS)
def test_config_errors_name_the_file_and_key(text, message, detail, tmp_path, capsys):
    config = tmp_path / "study.toml"
    config.write_text(text, encoding="utf-8")
    assert main(["prevalence", str(RAW), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"lbprun prevalence: error: {config}:")
    assert message in err and detail in err


def test_missing_config_file(tmp_path, capsys):
    absent = tmp_path / "absent.toml"
    assert main(["workload", str(RAW), "--out", "x.csv", "--config", str(absent)]) == 2
    assert f"--config {absent}: no such file." in capsys.readouterr().err


# (d) the bundled gzipped log, and other compressions -----------------------------------------


def test_every_sub_command_reads_the_gzipped_log(tmp_path, capsys):
    log = str(DATA / "example_activities.csv.gz")
    cohort = str(DATA / "example_cohort.csv")
    assert main(["validate", log, "--kind", "activities"]) == 0
    assert "rows in: 59592; valid: 59592; rejected: 0" in capsys.readouterr().out
    out = tmp_path / "weekly.xlsx"
    assert main(["workload", log, "--out", str(out)]) == 0
    expected = lbprun.weekly_load(lbprun.read_activities(log))
    _close(pd.read_excel(out)["distance_km"], expected["distance_km"])
    assert "wrote" in capsys.readouterr().out
    assert main(["incidence", cohort, log, "--csv"]) == 0
    tidy = _csv(capsys.readouterr().out)
    rate = tidy[tidy["measure"] == "rate"]
    expected = lbprun.incidence_rate(lbprun.read_cohort(cohort), lbprun.read_activities(log))
    _close(rate["estimate"], expected.to_frame()["estimate"])


COMPRESSORS = {
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
    ".zst": lambda data: zstandard.ZstdCompressor().compress(data),
}


@pytest.mark.parametrize("suffix", list(COMPRESSORS))
def test_compressed_files_are_read_by_every_command(suffix, small, tmp_path, capsys):
    packed = {}
    for name, source in (("survey", RAW), ("runs", small["runs"]), ("cohort", small["cohort"])):
        packed[name] = tmp_path / f"{name}.csv{suffix}"
        packed[name].write_bytes(COMPRESSORS[suffix](source.read_bytes()))
    survey = ["--config", str(STUDY), "--csv"]
    assert main(["prevalence", str(packed["survey"]), "--by", "sex", *survey]) == 0
    packed_out = capsys.readouterr().out
    assert main(["prevalence", str(RAW), "--by", "sex", *survey]) == 0
    assert packed_out == capsys.readouterr().out
    assert main(["risk", str(packed["survey"]), "--predictors", "weekly_km", *survey]) == 0
    assert main(["validate", str(packed["runs"]), "--kind", "activities"]) == 0
    assert main(["incidence", str(packed["cohort"]), str(packed["runs"]), "--csv"]) == 0
    capsys.readouterr()
    out = tmp_path / "acwr.parquet"
    argv = ["workload", str(packed["runs"]), "--what", "acwr", "--out", str(out)]
    assert main([*argv, "--engine", "duckdb"]) == 0
    expected = lbprun.acwr(lbprun.read_activities(small["runs"]))
    got = pd.read_parquet(out).sort_values(["runner_id", "date"])
    _close(got["acwr"].fillna(-1), expected["acwr"].fillna(-1))


# (e) --on-error drop / missing and --rejected --------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_drop_writes_the_rejected_rows(suffix, tmp_path, capsys):
    rejected = tmp_path / f"rejected{suffix}"
    argv = ["prevalence", str(RAW), "--config", str(STUDY), "--rejected", str(rejected)]
    assert main([*argv, "--json"]) == 0
    err = capsys.readouterr().err
    rows_in, kept, dropped = map(
        int, re.search(r"(\d+) rows in, (\d+) kept, (\d+) rejected", err).groups()
    )
    assert (rows_in, kept, dropped) == (160, 158, 2) and rows_in == kept + dropped
    table = {".csv": pd.read_csv, ".xlsx": pd.read_excel, ".parquet": pd.read_parquet}[suffix](
        rejected
    )
    assert len(table) == dropped
    assert table["row"].astype(int).tolist() == [13, 48]
    assert table["kind"].tolist() == ["survey", "survey"]
    assert table["reasons"].str.contains("age must be float in").tolist() == [True, False]
    assert f"wrote 2 rejected rows to {rejected}" in err


def test_raise_writes_the_rejected_rows_then_exits_1(tmp_path, capsys):
    rejected = tmp_path / "rejected.csv"
    argv = ["risk", str(RAW), "--predictors", "weekly_km", "--columns", COLUMNS_OPTION]
    assert main([*argv, "--rejected", str(rejected)]) == 1
    assert "survey data failed validation with 2 failure(s) in 2 of 160 rows" in (
        capsys.readouterr().err
    )
    assert pd.read_csv(rejected)["row"].tolist() == [13, 48]


def test_missing_keeps_rows_with_invalid_values_set_to_missing(capsys):
    argv = [
        "prevalence",
        *(str(RAW), "--config", str(STUDY), "--on-error", "missing", "--csv", "--no-suppress"),
    ]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "160 rows in, 160 kept, 0 rejected (--on-error missing)" in captured.err
    assert "invalid values set to missing: age 1, lbp_12m 1" in captured.err
    report = lbprun.read_survey(
        RAW, columns=RAW_COLUMNS, units={"weekly_km": "mi"}, on_error="missing"
    )
    expected = lbprun.prevalence(report.data, "lbp_12m").to_frame()
    got = _csv(captured.out)
    _close(got["estimate"], expected["estimate"])
    assert got["n"].tolist() == [159]


def test_incidence_collects_the_rejected_rows_of_every_file(small, tmp_path, capsys):
    cohort = pd.read_csv(small["cohort"], dtype=str, keep_default_na=False)
    cohort.loc[0, "end_date"] = "2024-01-01"  # before the start of follow-up
    runs = pd.read_csv(small["runs"], dtype=str)
    runs.loc[[3, 4], "distance_km"] = ["-1", "ten"]
    cohort.to_csv(tmp_path / "cohort.csv", index=False)
    runs.to_csv(tmp_path / "runs.csv", index=False)
    rejected = tmp_path / "rejected.csv"
    argv = ["incidence", str(tmp_path / "cohort.csv"), str(tmp_path / "runs.csv"), "--csv"]
    with pytest.warns(lbprun.DataQualityWarning, match="absent from the cohort"):
        assert main([*argv, "--on-error", "drop", "--rejected", str(rejected)]) == 0
    err = capsys.readouterr().err
    assert "12 rows in, 11 kept, 1 rejected (--on-error drop)" in err
    assert f"{len(runs)} rows in, {len(runs) - 2} kept, 2 rejected" in err
    table = pd.read_csv(rejected)
    assert table["kind"].tolist() == ["cohort", "activities", "activities"]
    assert table["row"].tolist() == [2, 5, 6]
    assert list(table.columns[:3]) == ["source", "kind", "row"]


def test_workload_progress_covers_every_stage(small, tmp_path, capsys):
    out = tmp_path / "runs.csv"
    argv = ["workload", str(small["runs"]), "--what", "runs", "--out", str(out), "--progress"]
    assert main([*argv, "--on-error", "drop"]) == 0
    captured = capsys.readouterr()
    err = captured.err
    n = len(pd.read_csv(small["runs"]))
    for text in ("read", "validate", "compute", "write", f"{n} rows in", f"{n} kept, 0 rejected"):
        assert text in err
    # the bar's last counts may be cut to the terminal width (older tqdm); the result line is not
    assert f"wrote {n} rows (runs) to {out}" in captured.out
    assert f"{n} rows in, {n} kept, 0 rejected (--on-error drop)" in err


# (f) exit codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["prevalence", str(RAW), "--out", "table.txt"],
        ["risk", str(RAW), "--predictors", "sex", "--out", "table.json"],
        ["incidence", "cohort.csv", "runs.csv", "--out", "table.tsv"],
        ["workload", "runs.csv", "--out", "table.feather"],
        ["prevalence", str(RAW), "--rejected", "rejected.txt"],
        ["workload", "runs.csv", "--out", "w.csv", "--rejected", "rejected"],
        ["validate", str(RAW), "--kind", "survey", "--rejected", "rejected.json"],
    ],
)
def test_unknown_output_extensions_exit_2(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "must end in .csv, .xlsx, .parquet" in err
    assert list(tmp_path.iterdir()) == []


def test_exit_codes(tmp_path, capsys):
    assert main(["prevalence", str(RAW), "--config", str(STUDY), "--csv"]) == 0
    assert main(["prevalence", str(RAW), "--columns", COLUMNS_OPTION]) == 1  # invalid rows
    assert main(["prevalence", str(tmp_path / "absent.csv")]) == 1
    assert main(["risk", str(RAW), "--predictors", "x", "--columns", "Runners=runner_id"]) == 1
    assert "Did you mean 'Runner'?" in capsys.readouterr().err
    for argv in (
        ["prevalence", str(RAW), "--on-error", "skip"],
        ["workload", str(RAW), "--out", "w.csv", "--columns", "Runner"],
        ["incidence", "a.csv", "b.csv", "--kind", "survey"],
    ):
        with pytest.raises(SystemExit) as caught:
            main(argv)
        assert caught.value.code == 2
