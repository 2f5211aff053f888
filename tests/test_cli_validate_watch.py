"""``lbprun validate`` on watch exports: GPX, TCX, FIT (gzipped or not), folders, Strava zips."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "io"))

from _watch_fixtures import (
    fit_activity,
    gpx_text,
    meridian_points,
    strava_export,
    tcx_text,
)

from lbprun.cli import main
from lbprun.cli.validate import is_watch_source

pytest.importorskip("gpxpy")
pytest.importorskip("fitdecode")

START = dt.datetime(2025, 1, 6, 7, 0, tzinfo=dt.UTC)


def _fit(day: int, km: float = 10.0, minutes: float = 55.0) -> bytes:
    return fit_activity(
        START + dt.timedelta(days=day),
        distance_m=km * 1000,
        elapsed_s=minutes * 60,
        timer_s=minutes * 60 - 60,
    )


def _gpx(day: int, kind: str = "running") -> str:
    points = meridian_points(START + dt.timedelta(days=day), 11, 0.01, 360)
    return gpx_text([{"type": kind, "points": points}])


@pytest.fixture
def watch_folder(tmp_path):
    folder = tmp_path / "watch"
    folder.mkdir()
    (folder / "a.fit").write_bytes(_fit(0))
    (folder / "b.fit.gz").write_bytes(gzip.compress(_fit(2, km=8.0, minutes=44.0)))
    (folder / "c.gpx").write_text(_gpx(4), encoding="utf-8")
    (folder / "ride.gpx").write_text(_gpx(5, "cycling"), encoding="utf-8")
    (folder / "d.tcx.gz").write_bytes(
        gzip.compress(tcx_text(START + dt.timedelta(days=6), [(1800, 5000, 150)]).encode())
    )
    return folder


@pytest.mark.parametrize("name", ["a.fit", "b.fit.gz", "c.gpx", "d.tcx.gz"])
def test_validate_reads_one_watch_file(watch_folder, name, capsys):
    code = main(["validate", str(watch_folder / name), "--kind", "activities"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "is valid" in out and "rows in: 1; valid: 1; rejected: 0" in out
    assert "Watch import:" in out and "pseudonym" in out


def test_validate_reads_a_folder_and_counts_excluded_types(watch_folder, capsys):
    assert main(["validate", str(watch_folder), "--kind", "activities"]) == 0
    out = capsys.readouterr().out
    assert "rows in: 5; valid: 4; rejected: 0" in out
    assert "excluded (other activity types): 1 (ride 1)" in out
    assert "4 file(s) opened" not in out and "5 file(s) opened" in out


def test_validate_json_carries_the_import_report(watch_folder, capsys):
    args = ["validate", str(watch_folder), "--kind", "activities", "--json"]
    assert main([*args, "--runner-id", "R7"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is True
    assert payload["rows_in"] == 5 and payload["rows_kept"] == 4
    assert payload["rows_excluded"] == 1 and payload["excluded_types"] == {"ride": 1}
    assert payload["rows_in"] == (
        payload["rows_kept"] + payload["rows_rejected"] + payload["rows_excluded"]
    )
    assert payload["watch_import"]["runner_id"] == "R7"
    assert payload["watch_import"]["format"] == "fit+gpx+tcx"


def test_validate_reads_a_strava_zip(tmp_path, capsys):
    archive = strava_export(tmp_path / "export", as_zip=True)
    assert archive.suffix == ".zip"
    code = main(["validate", str(archive), "--kind", "activities"])
    out = capsys.readouterr().out
    assert code == 0, out
    # five activities: one ride left out, one run recorded twice removed by the import
    assert "rows in: 5; valid: 3; rejected: 0" in out
    assert "excluded (other activity types, duplicates): 2 (duplicate 1, ride 1)" in out
    assert "recorded twice were removed" in out and "Watch import:" in out


def test_validate_rejects_implausible_watch_runs(tmp_path, capsys):
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / "ok.fit").write_bytes(_fit(0))
    (folder / "fast.fit").write_bytes(_fit(1, km=30.0, minutes=20.0))  # 0.67 min/km
    rejected = tmp_path / "rejected.csv"
    args = ["validate", str(folder), "--kind", "activities", "--rejected", str(rejected)]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "rows in: 2; valid: 1; rejected: 1" in out
    with open(rejected, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == 2 and "reasons" in rows[0]


def test_validate_watch_needs_kind_activities(watch_folder, capsys):
    assert main(["validate", str(watch_folder / "a.fit"), "--kind", "survey"]) == 2
    assert "--kind activities" in capsys.readouterr().err


def test_runner_id_is_for_watch_exports_only(tmp_path, capsys):
    table = tmp_path / "runs.csv"
    table.write_text("runner_id,date,distance_km,duration_min\nR1,2025-01-06,10,55\n")
    assert main(["validate", str(table), "--kind", "activities", "--runner-id", "R1"]) == 2
    assert "watch exports only" in capsys.readouterr().err


def test_validate_watch_errors_name_the_file(tmp_path, capsys):
    bad = tmp_path / "broken.fit"
    bad.write_bytes(b"\x0e\x10not a fit file at all")
    assert main(["validate", str(bad), "--kind", "activities"]) == 1
    assert "broken.fit" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "expected"),
    [("x.GPX", True), ("x.fit.gz", True), ("x.tcx", True), ("x.zip", True), ("x.csv", False),
     ("x.csv.gz", False), ("x.xlsx", False)],
)  # fmt: skip
def test_is_watch_source(name, expected):
    assert is_watch_source(name) is expected
