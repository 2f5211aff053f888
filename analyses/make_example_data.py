"""Regenerate the example data under ``lbprun/data/`` byte for byte.

Usage::

    python analyses/make_example_data.py            # rewrite lbprun/data/example_*
    python analyses/make_example_data.py --out DIR  # write the files into DIR instead
    python analyses/make_example_data.py --update-readme  # also rewrite data/README.md sums

The tables are drawn by :mod:`lbprun.simulate` with the seeds below and written with fixed
conventions: UTF-8, ``\\n`` line endings, ``%.10g`` floats, 0/1 booleans, ISO dates, empty
cells for missing values, gzip level 9 with no file name and ``mtime=0``. The same numpy
version (its ``default_rng`` streams) gives the same bytes; the SHA-256 of every file is printed
and listed in ``data/README.md``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
from pathlib import Path

from lbprun._result import to_jsonable
from lbprun.simulate import SimulationDesign, simulate_cohort, simulate_survey, write_csv

ROOT = Path(__file__).resolve().parents[1]

#: Documented parameters of the example data.
SURVEY = {"n": 2500, "seed": 20261124, "design": SimulationDesign()}
COHORT = {"n_runners": 300, "weeks": 52, "start_date": "2025-01-06", "seed": 20261125}


def _csv_bytes(frame) -> bytes:
    return write_csv(frame).encode("utf-8")


def build() -> dict[str, bytes]:
    """Simulate the example data and return the bytes of each file by file name."""
    survey = simulate_survey(SURVEY["n"], design=SURVEY["design"], seed=SURVEY["seed"])
    cohort = simulate_cohort(
        COHORT["n_runners"], COHORT["weeks"], start_date=COHORT["start_date"], seed=COHORT["seed"]
    )
    truth = {"survey": survey.truth, "cohort": cohort.truth}
    return {
        "example_survey.csv": _csv_bytes(survey.survey),
        "example_activities.csv.gz": gzip.compress(
            _csv_bytes(cohort.activities), compresslevel=9, mtime=0
        ),
        "example_cohort.csv": _csv_bytes(cohort.cohort),
        "example_episodes.csv": _csv_bytes(cohort.episodes),
        "example_truth.json": (
            json.dumps(to_jsonable(truth), indent=2, sort_keys=True) + "\n"
        ).encode("utf-8"),
    }


def write(out: Path) -> dict[str, str]:
    """Write the example files into ``out`` and return their SHA-256 by file name."""
    out.mkdir(parents=True, exist_ok=True)
    sums = {}
    for name, payload in build().items():
        (out / name).write_bytes(payload)
        sums[name] = hashlib.sha256(payload).hexdigest()
    return sums


def update_readme(sums: dict[str, str], readme: Path = ROOT / "data" / "README.md") -> None:
    """Rewrite the ``SHA-256:`` line of each file's section of ``data/README.md``."""
    text = readme.read_text(encoding="utf-8")
    for name, digest in sums.items():
        pattern = re.compile(
            r"(#+ `lbprun/data/" + re.escape(name) + r"`.*?SHA-256: `)[0-9a-f]{64}`", re.S
        )
        text, count = pattern.subn(lambda m, d=digest: m.group(1) + d + "`", text)
        if count != 1:
            raise SystemExit(f"data/README.md has no section with a SHA-256 line for {name}")
    readme.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: write the files and print ``sha256  name`` lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "lbprun" / "data")
    parser.add_argument(
        "--update-readme", action="store_true", help="rewrite the checksums in data/README.md"
    )
    args = parser.parse_args(argv)
    sums = write(args.out)
    for name, digest in sums.items():
        print(f"{digest}  {name}")
    if args.update_readme:
        update_readme(sums)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
