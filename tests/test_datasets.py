"""Tests of lbprun.datasets and of the byte-for-byte regeneration of the example data."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lbprun import datasets
from lbprun.io.read import read_cohort, read_episodes, read_survey
from lbprun.io.schema import SCHEMAS
from lbprun.io.validate import validate

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "lbprun" / "data"
LOADERS = {
    "example_survey": datasets.load_example_survey,
    "example_activities": datasets.load_example_activities,
    "example_cohort": datasets.load_example_cohort,
    "example_episodes": datasets.load_example_episodes,
}
EXAMPLE_FILES = [
    "example_survey.csv",
    "example_activities.csv.gz",
    "example_cohort.csv",
    "example_episodes.csv",
    "example_truth.json",
]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "make_example_data", ROOT / "analyses" / "make_example_data.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _readme_checksums() -> dict[str, str]:
    text = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    sums = {}
    for section in re.split(r"\n(?=#+ )", text):
        title = re.match(r"#+ `lbprun/data/([^`]+)`", section)
        digest = re.search(r"SHA-256: `([0-9a-f]{64})`", section)
        if title and digest:
            sums[title.group(1)] = digest.group(1)
    return sums


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", list(LOADERS))
def test_loader_types_follow_the_schema(name):
    frame = LOADERS[name]()
    kind = datasets.DATASETS[name][1]
    for column in SCHEMAS[kind]:
        if column.name not in frame:
            continue
        dtype = frame[column.name].dtype
        expected = {"text": "string", "bool": "boolean", "date": "datetime64[ns]"}
        if column.dtype in expected:
            assert str(dtype) == expected[column.dtype], column.name
        elif column.dtype == "category":
            assert isinstance(dtype, pd.CategoricalDtype), column.name
            assert list(dtype.categories) == list(column.allowed), column.name
        else:
            assert str(dtype) == "float64", column.name
    assert validate(frame, kind).ok


@pytest.mark.parametrize("name", list(LOADERS))
def test_loaders_are_fast_and_return_fresh_frames(name):
    start = time.perf_counter()
    first = LOADERS[name]()
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0  # typically 0.005-0.07 s; the loose bound avoids flaky failures
    second = LOADERS[name]()
    pd.testing.assert_frame_equal(first, second)
    assert first is not second


@pytest.mark.parametrize(
    ("name", "reader"),
    [
        ("example_survey", read_survey),
        ("example_cohort", read_cohort),
        ("example_episodes", read_episodes),
    ],
)
def test_loaders_match_the_readers(name, reader):
    loaded = LOADERS[name]()
    read = reader(DATA / datasets.DATASETS[name][0])
    pd.testing.assert_frame_equal(read[loaded.columns], loaded, check_like=False)


def test_activities_loader_matches_the_reader_on_the_decompressed_file(tmp_path):
    from lbprun.io.read import read_activities

    plain = tmp_path / "example_activities.csv"
    plain.write_bytes(gzip.decompress((DATA / "example_activities.csv.gz").read_bytes()))
    loaded = datasets.load_example_activities()
    read = read_activities(plain)
    pd.testing.assert_frame_equal(read[loaded.columns], loaded)


def test_list_datasets_rows_and_checksums():
    table = datasets.list_datasets()
    assert list(table.columns) == [
        "name",
        "file",
        "kind",
        "rows",
        "description",
        "loader",
        "sha256",
    ]
    examples = table[table["name"].isin(list(LOADERS))]
    assert examples["name"].tolist() == list(LOADERS)
    readme = _readme_checksums()
    for row in examples.itertuples():
        assert row.rows == len(LOADERS[row.name]())
        assert row.sha256 == _sha256(DATA / row.file) == readme[row.file]
        assert row.description


def test_list_datasets_names_every_published_table_and_the_clinic_data_with_its_loader():
    table = datasets.list_datasets().set_index("name")
    published = table[table["kind"] == "published"]
    assert sorted(published.index) == sorted(datasets.PUBLISHED)
    namespace = {
        "load_published": datasets.load_published,
        "load_clinic_data": datasets.load_clinic_data,
    }
    for name, row in published.iterrows():
        loaded = eval(row["loader"], {}, namespace)  # the listed call is the loader's real call
        assert len(loaded) == row["rows"] > 0
        assert row["sha256"] == _sha256(DATA / row["file"])
        assert row["description"] == datasets.PUBLISHED[name]["source"]
    clinic = table.loc["clinic_data"]
    assert clinic["kind"] == "clinic (real)" and clinic["loader"] == "load_clinic_data()"
    assert clinic["rows"] == len(datasets.load_clinic_data()) == 1832
    assert clinic["sha256"] == datasets.CLINIC_SHA256
    assert set(table["kind"]) == {
        "survey",
        "activities",
        "cohort",
        "episodes",
        "published",
        "clinic (real)",
    }


def test_example_tables_are_consistent_with_each_other_and_the_truth():
    survey, truth = datasets.load_example_survey(), datasets.load_example_truth()
    assert len(survey) == truth["survey"]["n"]
    w = survey["weight"].to_numpy()
    weighted = float(np.sum(w * survey["lbp_12m"].to_numpy(dtype=float)) / w.sum())
    assert weighted == pytest.approx(truth["survey"]["prevalence"]["lbp_12m"], abs=0.05)
    assert survey["lbp_12m"].mean() > truth["survey"]["prevalence"]["lbp_12m"] + 0.05
    cohort, episodes = datasets.load_example_cohort(), datasets.load_example_episodes()
    runs = datasets.load_example_activities()
    first = episodes.groupby("runner_id")["onset_date"].min().sort_index()
    onset = cohort.set_index("runner_id")["lbp_onset_date"].dropna().sort_index()
    pd.testing.assert_series_equal(onset, first, check_names=False)
    assert set(runs["runner_id"]) <= set(cohort["runner_id"])
    assert len(runs) == truth["cohort"]["counts"]["runs"]


def test_example_files_are_documented_and_small():
    readme = _readme_checksums()
    for name in EXAMPLE_FILES:
        assert _sha256(DATA / name) == readme[name], name
    for name, digest in readme.items():  # every checksum listed matches its file
        assert _sha256(DATA / name) == digest, name
    assert sum((DATA / name).stat().st_size for name in EXAMPLE_FILES) < 2_000_000


def test_generator_reproduces_the_files_byte_for_byte(tmp_path):
    generator = _generator()
    sums = generator.write(tmp_path)
    readme = _readme_checksums()
    assert sorted(sums) == sorted(EXAMPLE_FILES)
    for name, digest in sums.items():
        assert digest == _sha256(tmp_path / name) == _sha256(DATA / name) == readme[name], name
    # gzip header: no file name, mtime 0
    header = (tmp_path / "example_activities.csv.gz").read_bytes()[:10]
    assert header[3] & 0x08 == 0 and header[4:8] == b"\x00\x00\x00\x00"


def test_readme_counts_match_the_truth():
    text = " ".join((ROOT / "data" / "README.md").read_text(encoding="utf-8").split())
    truth = datasets.load_example_truth()
    counts = truth["cohort"]["counts"]
    assert f"{counts['runs']:,} rows, one per run" in text
    assert f"{counts['runners_with_onset']} runners with a first LBP onset" in text
    assert f"{counts['episodes']} rows, one per LBP episode" in text
    for outcome in ("lbp_point", "lbp_12m", "lbp_lifetime"):
        assert f"{100 * truth['survey']['prevalence'][outcome]:.4f} %" in text, outcome
