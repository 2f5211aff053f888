"""Compressed inputs: gzip, bz2, xz and zstd, by name and by leading bytes, for every format.

Each compressed file is made at test time from the repository's files (the bundled example
data, ``tests/data/tricky``, watch files written by ``_watch_fixtures``) and must read exactly
as its uncompressed original; bombs, cuts and damage raise a DataReadError naming the file and
the codec.
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import json
import lzma
import re
import shutil
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import zstandard
from _watch_fixtures import fit_activity, gpx_text, meridian_points, strava_export, tcx_text
from hypothesis import given, settings
from hypothesis import strategies as st

from lbprun.cli import main
from lbprun.exceptions import DataReadError, DataValidationError
from lbprun.io import _limits, _text
from lbprun.io.read import read_activities, read_cohort, read_episodes, read_survey
from lbprun.io.validate import validate
from lbprun.io.wearables import read_watch_export

pytest.importorskip("fitdecode")

DATA = Path(__file__).parents[2] / "lbprun" / "data"
TRICKY = Path(__file__).parents[1] / "data" / "tricky"
START = dt.datetime(2025, 3, 3, 6, 30, tzinfo=dt.UTC)


def _zstd(data: bytes) -> bytes:
    """zstd frames as streaming tools write them: no content size, a checksum."""
    return zstandard.ZstdCompressor(write_content_size=False, write_checksum=True).compress(data)


PACK = {
    "gzip": lambda data: gzip.compress(data, mtime=0),
    "bz2": bz2.compress,
    "xz": lambda data: lzma.compress(data, preset=1),
    "zstd": _zstd,
}
SUFFIXES = {"gzip": ".gz", "bz2": ".bz2", "xz": ".xz", "zstd": ".zst"}
#: How a compressed file is named: with its codec's suffix (any spelling), with the plain
#: name only, or with another codec's suffix.
NAMINGS = {
    "suffix": lambda codec: SUFFIXES[codec],
    "upper": lambda codec: {"gzip": ".GZIP", "bz2": ".BZ2", "xz": ".XZ", "zstd": ".ZSTD"}[codec],
    "bytes_only": lambda codec: "",
    "lying": lambda codec: ".zst" if codec != "zstd" else ".gz",
}
KINDS = {
    "survey": (read_survey, "example_survey.csv"),
    "cohort": (read_cohort, "example_cohort.csv"),
    "episodes": (read_episodes, "example_episodes.csv"),
    "activities": (read_activities, "example_activities.csv.gz"),
}


def _plain_bytes(file: str) -> bytes:
    raw = (DATA / file).read_bytes()
    return gzip.decompress(raw) if file.endswith(".gz") else raw


@pytest.fixture(scope="module")
def plain_tables(tmp_path_factory):
    """The bundled example tables, uncompressed, and their typed frames."""
    folder = tmp_path_factory.mktemp("plain")
    out = {}
    for kind, (reader, file) in KINDS.items():
        path = folder / f"{kind}.csv"
        path.write_bytes(_plain_bytes(file))
        out[kind] = (path, reader(path))
    return out


def _notes(frame: pd.DataFrame) -> list[str]:
    return list(frame.attrs["lbprun"]["notes"])


# -- tables: the matrix ------------------------------------------------------------------------


@pytest.mark.parametrize("naming", sorted(NAMINGS))
@pytest.mark.parametrize("codec", sorted(PACK))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_tables_read_through_every_codec_as_the_plain_file(
    kind, codec, naming, plain_tables, tmp_path
):
    plain, expected = plain_tables[kind]
    path = tmp_path / f"{kind}.csv{NAMINGS[naming](codec)}"
    path.write_bytes(PACK[codec](plain.read_bytes()))
    frame = KINDS[kind][0](path)
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    assert frame.attrs["lbprun"]["rows_in"] == expected.attrs["lbprun"]["rows_in"]
    notes = _notes(frame)
    assert f"{path}: read through {codec} decompression." in notes
    if naming == "lying":
        assert any("named as" in n and f"holds {codec} data" in n for n in notes)


@pytest.mark.parametrize("codec", sorted(PACK))
def test_concatenated_members_streams_and_frames_are_read_completely(codec, tmp_path):
    text = _plain_bytes("example_survey.csv")
    cut = text.index(b"\n", len(text) // 2) + 1
    path = tmp_path / f"survey.csv{SUFFIXES[codec]}"
    path.write_bytes(PACK[codec](text[:cut]) + PACK[codec](text[cut:]))
    frame = read_survey(path)
    assert len(frame) == text.count(b"\n") - 1 == 2500
    assert frame["runner_id"].iloc[-1] == text.rstrip().rsplit(b"\n", 1)[1].split(b",")[0].decode()


def test_zstd_multi_frame_stream_without_content_size(tmp_path):
    text = _plain_bytes("example_cohort.csv")
    buffer = io.BytesIO()
    compressor = zstandard.ZstdCompressor(write_checksum=True)
    with compressor.stream_writer(buffer, closefd=False) as writer:
        writer.write(text[:1000])
        writer.flush(zstandard.FLUSH_FRAME)
        writer.write(text[1000:])
    data = buffer.getvalue()
    assert zstandard.frame_content_size(data) == -1  # no content size in the header
    skippable = b"\x50\x2a\x4d\x18" + (3).to_bytes(4, "little") + b"lbp"
    path = tmp_path / "cohort.csv"
    path.write_bytes(skippable + data)
    plain = tmp_path / "plain.csv"
    plain.write_bytes(text)
    pd.testing.assert_frame_equal(read_cohort(path), read_cohort(plain))


def test_plain_file_named_as_compressed_is_read_as_it_is_with_a_note(plain_tables, tmp_path):
    plain, expected = plain_tables["survey"]
    path = tmp_path / "survey.csv.gz"
    shutil.copy(plain, path)
    frame = read_survey(path)
    pd.testing.assert_frame_equal(frame, expected)
    assert f"{path}: named as gzip-compressed but it is not compressed; read as it is." in (
        _notes(frame)
    )


TRICKY_KINDS = {
    row[0].strip("` "): row[1].strip()
    for row in (line.split("|")[1:3] for line in (TRICKY / "README.md").read_text().splitlines())
    if row and row[0].strip().startswith("`")
}


@pytest.mark.parametrize("codec", sorted(PACK))
@pytest.mark.parametrize("file", sorted(TRICKY_KINDS))
def test_repository_fixtures_validate_the_same_through_each_codec(file, codec, tmp_path):
    kind = TRICKY_KINDS[file]
    original = TRICKY / file
    packed = tmp_path / (original.name + SUFFIXES[codec])
    packed.write_bytes(PACK[codec](original.read_bytes()))
    expected = validate(original, kind, source="fixture", keep_data=True)
    report = validate(packed, kind, source="fixture", keep_data=True)
    pd.testing.assert_frame_equal(report.data, expected.data, check_exact=True)
    pd.testing.assert_frame_equal(report.failure_cases, expected.failure_cases)
    assert report.rows_in == expected.rows_in
    assert f"{packed}: read through {codec} decompression." in report.notes[0]


def test_compressed_workbook_reads_the_sheet_asked_for_or_the_first(tmp_path):
    original = TRICKY / "formula_text.xlsx"
    packed = tmp_path / "formula_text.xlsx.zst"
    packed.write_bytes(_zstd(original.read_bytes()))
    frame = read_survey(packed, on_error="drop").data
    pd.testing.assert_frame_equal(frame, read_survey(original, on_error="drop").data)
    assert frame["runner_id"].str.startswith("=HYPERLINK").any()


def test_compressed_workbook_sheet_option_is_honoured(tmp_path):
    book = tmp_path / "two_sheets.xlsx"
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"runner_id": ["a"], "lbp_12m": ["yes"]}).to_excel(
            writer, sheet_name="first", index=False
        )
        pd.DataFrame({"runner_id": ["b", "c"], "lbp_12m": ["no", "yes"]}).to_excel(
            writer, sheet_name="second", index=False
        )
    packed = tmp_path / "two_sheets.xlsx.gz"
    packed.write_bytes(gzip.compress(book.read_bytes(), mtime=0))
    assert read_survey(packed)["runner_id"].tolist() == ["a"]
    assert read_survey(packed, sheet="second")["runner_id"].tolist() == ["b", "c"]


@pytest.mark.parametrize("codec", sorted(PACK))
def test_compressed_binary_file_with_a_plain_name_is_read_through_the_codec(codec, tmp_path):
    frame = pd.DataFrame({"runner_id": ["a", "b"], "lbp_12m": [True, False], "age": [30.0, 41]})
    plain = tmp_path / "plain.parquet"
    frame.to_parquet(plain)
    expected = read_survey(plain)
    lying = tmp_path / "survey.parquet"  # compressed, but named as plain Parquet
    lying.write_bytes(PACK[codec](plain.read_bytes()))
    read = read_survey(lying)
    pd.testing.assert_frame_equal(read, expected)
    assert f"read through {codec} decompression" in " ".join(_notes(read))


# -- tables: limits, cuts and damage -----------------------------------------------------------


@pytest.fixture(scope="module")
def bombs():
    """20 MiB of zeros compressed by each codec (a few kB each: far beyond 200:1)."""
    zeros = b"\x00" * (20 * 2**20)
    return {codec: pack(zeros) for codec, pack in PACK.items()}


@pytest.mark.parametrize("codec", sorted(PACK))
def test_table_bomb_is_refused_naming_the_limit(codec, bombs, tmp_path):
    assert len(bombs[codec]) < 100_000
    path = tmp_path / "survey.csv"
    path.write_bytes(bombs[codec])
    with pytest.raises(DataReadError) as caught:
        read_survey(path)
    message = str(caught.value)
    assert re.match(
        rf"{re.escape(str(path))}: {codec} data decompresses to more than 1[67] MiB, "
        r"\d+ times its compressed size",
        message,
    )
    assert "above 2048 MiB or 200:1 (a decompression bomb?)" in message


@pytest.mark.parametrize("codec", sorted(PACK))
def test_size_limit_applies_to_every_codec(codec, monkeypatch, tmp_path):
    rng = np.random.default_rng(7)
    body = "\n".join(f"R{i},yes,{x:.6f}" for i, x in enumerate(rng.random(60_000)))
    text = ("runner_id,lbp_12m,note\n" + body + "\n").encode()
    assert len(text) > 2**20
    monkeypatch.setattr(_limits, "MAX_DECOMPRESSED_BYTES", 2**20)
    path = tmp_path / f"big.csv{SUFFIXES[codec]}"
    path.write_bytes(PACK[codec](text))
    with pytest.raises(DataReadError, match=r"above 1 MiB or 200:1"):
        read_survey(path)


def _cut(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


def _damaged(data: bytes) -> bytes:
    middle = len(data) // 2
    return (
        data[:middle] + bytes(b ^ 0x5A for b in data[middle : middle + 24]) + data[middle + 24 :]
    )


@pytest.mark.parametrize("harm", ["cut", "damaged", "magic_only"])
@pytest.mark.parametrize("codec", sorted(PACK))
def test_truncated_or_corrupt_table_names_file_and_codec(codec, harm, plain_tables, tmp_path):
    packed = PACK[codec](plain_tables["episodes"][0].read_bytes())
    if harm == "cut":
        packed = _cut(packed)
    elif harm == "damaged":
        packed = _damaged(packed)
    else:
        packed = next(m for m, c in _limits.CODEC_MAGIC.items() if c == codec)
    path = tmp_path / "episodes.csv"
    path.write_bytes(packed)
    with pytest.raises(DataReadError) as caught:
        read_episodes(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert codec in str(caught.value)


def test_decompression_is_streamed_with_bounded_memory(tmp_path):
    rng = np.random.default_rng(11)
    rows = [f"R{i},{x:.9f},{y:.9f}" for i, (x, y) in enumerate(rng.random((250_000, 2)))]
    text = ("runner_id,a,b\n" + "\n".join(rows) + "\n").encode()
    assert len(text) > 6 * 2**20
    for codec in ("gzip", "zstd"):
        path = tmp_path / f"wide.csv{SUFFIXES[codec]}"
        path.write_bytes(PACK[codec](text))
        tracemalloc.start()
        try:
            spill = _text._decompress(path, str(path), codec)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert spill.path.read_bytes() == text
        assert peak < 3 * 2**20, (codec, peak)  # 1 MiB blocks, never the whole file


# -- watch files ---------------------------------------------------------------------------------


def _watch_files() -> dict[str, bytes]:
    points = meridian_points(START, 31, 0.0009, 60)
    return {
        "gpx": gpx_text([{"type": "running", "points": points}]).encode(),
        "tcx": tcx_text(START + dt.timedelta(days=1), [(1800, 5000, 150)]).encode(),
        "fit": fit_activity(
            START + dt.timedelta(days=2), distance_m=8000, elapsed_s=2700, timer_s=2640
        ),
    }


WATCH = _watch_files()


def _same_runs(frame: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    assert frame.attrs["lbprun"]["rows_in"] == expected.attrs["lbprun"]["rows_in"] == 1


@pytest.mark.parametrize("naming", ["suffix", "upper", "bytes_only", "lying", "no_extension"])
@pytest.mark.parametrize("codec", sorted(PACK))
@pytest.mark.parametrize("fmt", sorted(WATCH))
def test_watch_files_read_through_every_codec(fmt, codec, naming, tmp_path):
    plain = tmp_path / f"plain.{fmt}"
    plain.write_bytes(WATCH[fmt])
    expected = read_watch_export(plain, runner_id="r1")
    name = "track" if naming == "no_extension" else f"track.{fmt}"
    if naming not in ("bytes_only", "no_extension"):
        name += NAMINGS[naming](codec)
    path = tmp_path / name
    path.write_bytes(PACK[codec](WATCH[fmt]))
    runs = read_watch_export(path, runner_id="r1")
    _same_runs(runs, expected)
    assert runs.attrs["lbprun"]["format"] == fmt
    assert f"{path}: read through {codec} decompression." in _notes(runs)


@pytest.mark.parametrize("codec", sorted(PACK))
def test_read_activities_on_compressed_watch_files(codec, tmp_path):
    """Every watch name with or without a codec suffix goes to the watch reader."""
    for fmt in ("gpx", "fit", "tcx"):
        plain = tmp_path / f"plain.{fmt}"
        plain.write_bytes(WATCH[fmt])
        expected = read_activities(plain, runner_id="r1")
        for name in (f"run.{fmt}", f"run.{fmt}.gz", f"run.{fmt}{SUFFIXES[codec]}"):
            path = tmp_path / name
            path.write_bytes(PACK[codec](WATCH[fmt]))
            runs = read_activities(path, runner_id="r1")
            pd.testing.assert_frame_equal(runs, expected, check_exact=True)
            assert f"{path}: read through {codec} decompression." in _notes(runs)


@pytest.mark.parametrize("codec", sorted(PACK))
def test_cli_validate_routes_compressed_watch_files(codec, tmp_path, capsys):
    path = tmp_path / f"run.gpx{SUFFIXES[codec]}"
    path.write_bytes(PACK[codec](WATCH["gpx"]))
    assert main(["validate", str(path), "--kind", "activities"]) == 0
    out = capsys.readouterr().out
    assert "rows in: 1; valid: 1; rejected: 0" in out and "watch export (gpx)" in out


def test_folder_of_files_in_every_codec(tmp_path):
    folder = tmp_path / "watch"
    folder.mkdir()
    plain = tmp_path / "plain"
    plain.mkdir()
    for day, codec in enumerate(sorted(PACK)):
        data = fit_activity(
            START + dt.timedelta(days=day), distance_m=5000 + day, elapsed_s=1800, timer_s=1790
        )
        (plain / f"{day}.fit").write_bytes(data)
        (folder / f"{day}.fit{SUFFIXES[codec]}").write_bytes(PACK[codec](data))
    (plain / "t.gpx").write_bytes(WATCH["gpx"])
    (folder / "t.gpx").write_bytes(_zstd(WATCH["gpx"]))
    runs = read_watch_export(folder, runner_id="r1")
    expected = read_watch_export(plain, runner_id="r1")
    pd.testing.assert_frame_equal(runs, expected, check_exact=True)
    assert len(runs) == 5
    notes = _notes(runs)
    for codec in ("bz2", "gzip", "xz"):
        assert f"1 file(s) read through {codec} decompression." in notes
    assert "2 file(s) read through zstd decompression." in notes


def _export_with(tmp_path: Path, codec: str, *, rename: bool, as_zip: bool) -> Path:
    """The fixture Strava export with its FIT activity 103 compressed by ``codec``."""
    root = strava_export(tmp_path / f"export-{codec}-{rename}")
    member = root / "activities" / "103.fit"
    packed = PACK[codec](member.read_bytes())
    if rename:
        member.unlink()
        member = member.with_name("103.fit" + SUFFIXES[codec])
        table = root / "activities.csv"
        table.write_text(
            table.read_text().replace("activities/103.fit,", f"activities/{member.name},")
        )
    member.write_bytes(packed)
    if not as_zip:
        return root
    archive = root.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w") as out:
        for file in sorted(root.rglob("*")):
            if file.is_file():
                out.write(file, f"export_42/{file.relative_to(root).as_posix()}")
    return archive


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
@pytest.mark.parametrize("rename", [False, True], ids=["bytes_only", "suffix"])
@pytest.mark.parametrize("codec", sorted(PACK))
def test_strava_export_activity_files_in_every_codec(codec, rename, as_zip, tmp_path):
    expected = read_watch_export(strava_export(tmp_path / "plain", as_zip=as_zip))
    runs = read_watch_export(_export_with(tmp_path, codec, rename=rename, as_zip=as_zip))
    pd.testing.assert_frame_equal(runs, expected, check_exact=True)
    # activity 103 starts at 23:30 UTC; its FIT offset (+120 min) puts it on the next day
    assert pd.Timestamp("2025-01-08") in set(runs["date"])
    notes = _notes(runs)
    # the fixture's activity 101 is a .fit.gz already
    assert f"{2 if codec == 'gzip' else 1} file(s) read through {codec} decompression." in notes
    if codec != "gzip":
        assert "1 file(s) read through gzip decompression." in notes


@pytest.mark.parametrize("codec", sorted(PACK))
def test_compressed_bare_activities_csv(codec, tmp_path):
    root = strava_export(tmp_path / "export")
    expected = read_watch_export(root / "activities.csv")
    path = root / "activities.csv"
    path.write_bytes(PACK[codec](path.read_bytes()))
    runs = read_watch_export(path)
    pd.testing.assert_frame_equal(runs, expected, check_exact=True)
    assert f"{path}: read through {codec} decompression." in _notes(runs)


@pytest.mark.parametrize("codec", sorted(PACK))
def test_watch_bomb_is_refused_naming_the_limit(codec, bombs, tmp_path):
    for fmt in ("gpx", "fit"):
        path = tmp_path / f"bomb.{fmt}{SUFFIXES[codec]}"
        path.write_bytes(bombs[codec])
        with pytest.raises(DataReadError) as caught:
            read_watch_export(path)
        message = str(caught.value)
        assert re.match(
            rf"{re.escape(str(path))}: {codec} data decompresses to more than 1[67] MiB", message
        )
        limit = "256" if fmt == "gpx" else "2048"
        assert f"above {limit} MiB or 200:1 (a decompression bomb?)" in message


def test_xml_limit_applies_to_compressed_gpx(monkeypatch, tmp_path):
    points = meridian_points(START, 12_000, 0.00001, 1)
    text = gpx_text([{"type": "running", "points": points}]).encode()
    assert len(text) > 2**20
    monkeypatch.setattr(_limits, "MAX_XML_BYTES", 2**20)
    path = tmp_path / "track.gpx.xz"
    path.write_bytes(lzma.compress(text))
    with pytest.raises(
        DataReadError, match=r"xz data decompresses to more than [12] MiB.* above 1 MiB or 200:1"
    ):
        read_watch_export(path)


@pytest.mark.parametrize("harm", ["cut", "damaged"])
@pytest.mark.parametrize("codec", sorted(PACK))
@pytest.mark.parametrize("fmt", sorted(WATCH))
def test_truncated_or_corrupt_watch_file_names_file_and_codec(fmt, codec, harm, tmp_path):
    packed = PACK[codec](WATCH[fmt])
    path = tmp_path / f"track.{fmt}{SUFFIXES[codec]}"
    path.write_bytes(_cut(packed) if harm == "cut" else _damaged(packed))
    with pytest.raises(DataReadError) as caught:
        read_watch_export(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert f"corrupt or truncated {codec} data" in message


def test_damaged_activity_file_in_export_is_skipped_with_a_note(tmp_path):
    root = _export_with(tmp_path, "zstd", rename=True, as_zip=False)
    member = root / "activities" / "103.fit.zst"
    member.write_bytes(_cut(member.read_bytes()))
    with pytest.warns(UserWarning, match=r"corrupt or truncated zstd data"):
        runs = read_watch_export(root)
    assert any("103.fit.zst" in n and "zstd" in n for n in _notes(runs))


# -- the command line ----------------------------------------------------------------------------


@pytest.mark.parametrize("codec", sorted(PACK))
def test_cli_validate_reads_each_codec(codec, plain_tables, tmp_path, capsys):
    for kind in ("survey", "episodes"):
        path = tmp_path / f"{kind}.csv{SUFFIXES[codec]}"
        path.write_bytes(PACK[codec](plain_tables[kind][0].read_bytes()))
        assert main(["validate", str(path), "--kind", kind, "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["rows_in"] == len(plain_tables[kind][1])
        assert f"{path}: read through {codec} decompression." in out["notes"][0]
    track = tmp_path / "track.gpx"
    track.write_bytes(PACK[codec](WATCH["gpx"]))
    code = main(["validate", str(track), "--kind", "activities", "--runner-id", "r1", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rows_in"] == 1
    assert any(f"read through {codec} decompression" in n for n in out["watch_import"]["notes"])


@pytest.mark.parametrize("codec", sorted(PACK))
def test_cli_validate_reports_a_cut_file(codec, plain_tables, tmp_path, capsys):
    path = tmp_path / f"survey.csv{SUFFIXES[codec]}"
    path.write_bytes(_cut(PACK[codec](plain_tables["survey"][0].read_bytes())))
    assert main(["validate", str(path), "--kind", "survey"]) == 1
    error = capsys.readouterr().err
    assert re.search(rf"{re.escape(str(path))}: .*corrupt or truncated {codec} data", error)


# -- anything after a codec's magic --------------------------------------------------------------

MAGICS = sorted(_limits.CODEC_MAGIC)


@settings(max_examples=60)
@given(magic=st.sampled_from(MAGICS), tail=st.binary(max_size=400))
def test_any_bytes_after_a_codec_magic_end_in_a_data_error(magic, tail):
    folder = Path(tempfile.mkdtemp(prefix="lbprun-test-"))
    try:
        for name, read in (
            ("runs.csv", read_survey),
            ("track.gpx", read_watch_export),
            ("track.fit", read_watch_export),
        ):
            path = folder / name
            path.write_bytes(magic + tail)
            try:
                result = read(path)
            except (DataReadError, DataValidationError):
                continue  # the expected refusal; any other exception fails the test
            assert isinstance(result, pd.DataFrame)  # or a table was read
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@settings(max_examples=40)
@given(codec=st.sampled_from(sorted(PACK)), text=st.binary(max_size=300))
def test_any_compressed_payload_ends_in_a_data_error_or_a_table(codec, text):
    folder = Path(tempfile.mkdtemp(prefix="lbprun-test-"))
    try:
        for name, read in (("runs.csv", read_survey), ("track.tcx", read_watch_export)):
            path = folder / name
            path.write_bytes(PACK[codec](text))
            try:
                result = read(path)
            except (DataReadError, DataValidationError):
                continue  # the expected refusal; any other exception fails the test
            assert isinstance(result, pd.DataFrame)  # or a table was read
    finally:
        shutil.rmtree(folder, ignore_errors=True)
