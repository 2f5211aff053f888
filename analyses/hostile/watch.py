"""Hostile watch files: GPX / TCX XML, FIT bytes, Strava exports, and their gzip / zip wrappers.

Every file is built in code (``analyses/hostile/_watch_files.py``). Each case ends in a checked
result or a named error.
"""

from __future__ import annotations

import gzip
import math

from analyses.hostile import Case
from analyses.hostile._watch_files import (
    FIT_CUT,
    FIT_OK,
    LAUGHS,
    RUN_CSV,
    START,
    activities,
    activities_csv,
    bad_member_crc,
    counted,
    fit_messages,
    fit_run,
    flip_crc,
    gpx,
    link_export,
    named,
    runs,
    says,
    secret_and,
    strava_row,
    tcx,
    traversal_export,
    two_gpx,
    watch,
    write,
    zipped,
)

STEP_KM = 6378.137 * math.radians(0.001)
CASES: list[Case] = [
    # ---- xml --------------------------------------------------------------------------
    Case(
        "gpx_xxe_file_entity",
        "xml",
        secret_and(
            "xxe.gpx",
            gpx()
            .replace(
                '<?xml version="1.0" encoding="UTF-8"?>',
                '<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY x SYSTEM "file://SECRET_PATH">]>',
            )
            .replace("<name>Run</name>", "<name>&x;</name>"),
        ),
        watch(keep_private=True),
        "DataReadError",
        says("entities"),
        "an external entity pointing at a local file",
    ),  # fmt: skip
    Case(
        "gpx_billion_laughs",
        "xml",
        write(
            "laughs.gpx",
            f'<?xml version="1.0"?><!DOCTYPE gpx '
            f'[<!ENTITY l0 "lol">{LAUGHS}]><gpx version="1.1"><trk><name>&l9;</name></trk></gpx>',
        ),
        watch(),
        "DataReadError",
        says("entities"),
        "a billion-laughs entity expansion",
    ),  # fmt: skip
    Case(
        "gpx_deep_nesting",
        "xml",
        write("deep.gpx", lambda: "<gpx>" + "<trk>" * 300_000 + "</trk>" * 300_000 + "</gpx>"),
        watch(),
        "DataReadError",
        says("nested deeper"),
        "300,000 nested elements (crashed the parser before)",
    ),  # fmt: skip
    Case(
        "gpx_megabyte_attribute_and_comment_runs",
        "xml",
        write(
            "runs.gpx",
            lambda: gpx().replace(
                '<gpx version="1.1"',
                "<!--"
                + "-" * 0
                + "x" * 1_000_000
                + '--><gpx version="1.1" '
                + " ".join(f'a{i}="{i}"' for i in range(50_000))
                + " " * 1_000_000,
            ),
        ),
        watch(),
        check=runs(1, km=10 * STEP_KM),
        what="1 MB comment, 50,000 attributes, 1 MB of blanks",
    ),  # fmt: skip
    Case(
        "gpx_latin_1_declared",
        "xml",
        write(
            "latin.gpx",
            gpx(head='<?xml version="1.0" encoding="ISO-8859-1"?>', name="Zürich Côte"),
            "latin-1",
        ),
        watch(keep_private=True),
        check=named("Zürich Côte"),
        what="a valid GPX in ISO-8859-1 with Latin-1 bytes in its name",
    ),  # fmt: skip
    Case(
        "gpx_latitude_999",
        "xml",
        write("lat999.gpx", gpx(edit=lambda i, f: f.update(lat="999") if i == 10 else None)),
        watch(),
        check=runs(1, km=9 * STEP_KM, note="impossible latitude"),
        what="a point at latitude 999: dropped with a note",
    ),  # fmt: skip
    Case(
        "gpx_year_99999_everywhere",
        "xml",
        write("y99999.gpx", gpx(edit=lambda i, f: f.update(time="99999-01-06T06:01:02Z"))),
        watch(),
        "NotAnActivityError",
        says("usable timestamps"),
        "every point dated in the year 99999",
    ),  # fmt: skip
    Case(
        "gpx_garbage_timezones",
        "xml",
        write(
            "tz.gpx",
            gpx(
                edit=lambda i, f: f.update(
                    time=f["time"][:-1] + ("+99:00" if i == 10 else "+25:30" if i == 9 else "Z")
                )
            ),
        ),
        watch(),
        check=runs(1, duration=8.0, note="2 unreadable point times"),
        what="impossible UTC offsets (+99:00, +25:30): those times are missing, never shifted",
    ),  # fmt: skip
    Case(
        "gpx_nan_elevation_and_coordinates",
        "xml",
        write(
            "nan.gpx",
            gpx(
                edit=lambda i, f: (
                    f.update(ele="NaN") if i == 3 else f.update(lon="nan") if i == 10 else None
                )
            ),
        ),
        watch(),
        check=runs(1, km=9 * STEP_KM, note="unreadable point elevations"),
        what="NaN elevation and longitude",
    ),  # fmt: skip
    Case(
        "gpx_unknown_encoding",
        "xml",
        write("enc.gpx", gpx(head='<?xml version="1.0" encoding="x-unknown-99"?>')),
        watch(),
        "DataReadError",
        says("unknown encoding"),
        "an encoding no codec knows",
    ),  # fmt: skip
    Case(
        "gpx_external_dtd_not_fetched",
        "xml",
        write(
            "dtd.gpx",
            gpx(head='<?xml version="1.0"?><!DOCTYPE gpx SYSTEM "http://192.0.2.1/gpx.dtd">'),
        ),
        watch(),
        check=runs(1),
        what="an external DTD (never fetched)",
    ),  # fmt: skip
    Case(
        "tcx_nan_lap_distance",
        "xml",
        write("nan.tcx", tcx(metres="NaN")),
        watch(),
        "DataReadError",
        says("lap distance"),
        "a lap distance of NaN",
    ),
    Case(
        "tcx_xxe",
        "xml",
        secret_and(
            "xxe.tcx",
            tcx()
            .replace(
                '<?xml version="1.0"?>',
                '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY x SYSTEM "file://SECRET_PATH">]>',
            )
            .replace("<Id>x</Id>", "<Id>&x;</Id>"),
        ),
        watch(),
        "DataReadError",
        says("entities"),
        "a TCX file with an external entity",
    ),  # fmt: skip
    # ---- fit --------------------------------------------------------------------------
    Case(
        "fit_cut_after_session",
        "fit",
        write("battery.fit", FIT_OK[:FIT_CUT]),
        watch(),
        check=runs(1, km=8.0, note="session summary"),
        what="cut after its session (dead battery)",
    ),
    Case(
        "fit_cut_after_session_strict",
        "fit",
        write("battery.fit", FIT_OK[:FIT_CUT]),
        watch(strict=True),
        "DataReadError",
        says("truncated"),
        "the same, strict=True",
    ),
    Case(
        "fit_cut_inside_records",
        "fit",
        write("cut.fit", FIT_OK[:60]),
        watch(),
        "DataReadError",
        says("truncated"),
        "cut before any session",
    ),
    Case(
        "fit_bad_crc",
        "fit",
        write("crc.fit", flip_crc(FIT_OK)),
        watch(),
        check=runs(1, km=8.0, note="CRC check failed"),
        what="a file CRC that does not match",
    ),
    Case(
        "fit_garbage_after",
        "fit",
        write("tail.fit", FIT_OK + b"\xde\xad" * 500),
        watch(),
        check=runs(1, km=8.0, note="session summary"),
        what="1 kB of garbage after the file",
    ),
    Case(
        "fit_header_only",
        "fit",
        write("header.fit", FIT_OK[:14]),
        watch(),
        "DataReadError",
        says("header.fit"),
        "a 14-byte header and nothing else",
    ),
    Case(
        "fit_random_body",
        "fit",
        write("noise.fit", FIT_OK[:14] + bytes(range(256)) * 8),
        watch(),
        "DataReadError",
        says("noise.fit"),
        "a valid header over random bytes",
    ),
    Case(
        "fit_huge_declared_size",
        "fit",
        write(
            "size.fit",
            fit_messages([("file_id", {"type": 4, "created": START})], data_size=0xFFFFFFF0),
        ),
        watch(),
        "DataReadError",
        says("size.fit"),
        "a header declaring 4 GB of data",
    ),  # fmt: skip
    Case(
        "fit_settings_file",
        "fit",
        write("settings.fit", fit_messages([("file_id", {"type": 2, "created": START})])),
        watch(),
        "NotAnActivityError",
        says("not an activity"),
        "a FIT settings file",
    ),  # fmt: skip
    Case(
        "fit_timer_above_elapsed",
        "fit",
        write("timer.fit", fit_run(elapsed=1800, timer=2400)[0]),
        watch(),
        check=runs(1, duration=30.0, note="exceeds its elapsed time"),
        what="timer time 40 min, elapsed 30 min",
    ),
    Case(
        "fit_power_on_times",
        "fit",
        write("antfs.fit", fit_run(start=16_441_241)[0]),
        watch(),
        "DataReadError",
        says("power-on"),
        "times counted from the device's power-on",
    ),
    Case(
        "fit_ride_is_counted",
        "fit",
        write("ride.fit", fit_run(metres=40_000, sport=2)[0]),
        activities(),
        check=counted(1, 0, {"ride": 1}),
        what="a ride: excluded, never fatal",
    ),
    # ---- export -----------------------------------------------------------------------
    Case(
        "strava_bare_activities_csv",
        "export",
        write("activities.csv", RUN_CSV),
        activities(),
        check=counted(5, 2, {"ride": 1, "hike": 1, "duplicate": 1}),
        what="only activities.csv, with duplicated Distance and Elapsed Time columns",
    ),
    Case(
        "strava_megabyte_description",
        "export",
        write("export/activities.csv", activities_csv([strava_row(0, desc="long " * 250_000)])),
        watch(keep_private=True),
        check=runs(1, km=10.0),
        what="one 1.25 MB description",
    ),  # fmt: skip
    Case(
        "strava_links_out_of_the_folder",
        "export",
        link_export,
        watch(),
        check=runs(1, note="symbolic link(s) leading out of the folder"),
        what="an activity file and a folder linked from outside the export",
    ),
    Case(
        "strava_filename_traversal",
        "export",
        traversal_export,
        watch(),
        check=runs(1, note="named in activities.csv are missing"),
        what="Filename ../secret.gpx pointing out of the export",
    ),
    Case(
        "strava_zip_member_names_escape",
        "export",
        zipped(
            "evil.zip",
            {"../../x/activities.csv": RUN_CSV, "/abs/activities/1.gpx": gpx().encode()},
        ),
        activities(),
        check=counted(5, 2, {"ride": 1, "hike": 1, "duplicate": 1}),
        what="zip member names with ../ and an absolute path (read in memory only)",
    ),  # fmt: skip
    Case(
        "strava_year_99999",
        "export",
        write(
            "export/activities.csv",
            activities_csv([[*strava_row(0)[:1], "Jan 6, 99999, 7:01:02 AM", *strava_row(0)[2:]]]),
        ),
        watch(),
        "DataReadError",
        says("activities.csv"),
        "an activity dated in the year 99999",
    ),  # fmt: skip
    Case(
        "strava_nan_and_inf_numbers",
        "export",
        write(
            "export/activities.csv",
            activities_csv([[*strava_row(0)[:5], "NaN", "inf", "", "NaN", "-inf", "12000"]]),
        ),
        watch(),
        check=runs(1, km=12.0),
        what="NaN and inf in the number columns: missing, never used",
    ),  # fmt: skip
    Case(
        "strava_zip_without_csv",
        "export",
        zipped("photos.zip", {"a.jpg": b"jpeg"}),
        watch(),
        "DataReadError",
        says("no activities.csv"),
        "a zip that is not an export",
    ),
    Case(
        "folder_hike_without_type",
        "export",
        two_gpx,
        activities(),
        check=counted(2, 1, {"walk": 1}),
        what="an untyped GPX at hiking pace next to a run",
    ),
    # ---- compression ------------------------------------------------------------------
    Case(
        "gpx_gz_bomb",
        "compression",
        write("bomb.gpx.gz", lambda: gzip.compress(b" " * (64 * 2**20))),
        watch(),
        "DataReadError",
        says("decompression bomb"),
        "64 MiB of blanks in 64 kB",
    ),
    Case(
        "gpx_gz_truncated",
        "compression",
        write("cut.gpx.gz", gzip.compress(gpx().encode())[:-40]),
        watch(),
        "DataReadError",
        says("cut.gpx.gz"),
        "a gzip cut short",
    ),
    Case(
        "strava_zip_member_bomb",
        "compression",
        zipped("bomb.zip", {"export/activities.csv": lambda: RUN_CSV + b" " * (64 * 2**20)}),
        watch(),
        "DataReadError",
        says("activities.csv"),
        "an activities.csv member inflating 1000:1",
    ),  # fmt: skip
    Case(
        "strava_zip_member_bad_crc",
        "compression",
        write("crc.zip", bad_member_crc()),
        watch(),
        "DataReadError",
        says("activities.csv"),
        "a stored member whose CRC-32 does not match",
    ),
    Case(
        "strava_zip_truncated_fit_member",
        "compression",
        zipped(
            "fit.zip",
            {
                "e/activities.csv": activities_csv([strava_row(0, file="activities/1.fit.gz")]),
                "e/activities/1.fit.gz": gzip.compress(FIT_OK)[:-30],
            },
        ),
        watch(),
        check=runs(1, km=10.0, note="1.fit.gz"),
        what="a truncated .fit.gz inside a Strava zip",
    ),  # fmt: skip
]
