"""Imported once by the fork server before any case runs: loads and warms lbprun's readers.

Each hostile case runs in a process forked from that server, so the time limit measures the
case, not the first import of pandera, openpyxl or the CLI.
"""

from __future__ import annotations

import importlib
import warnings

import pandas as pd

import lbprun
import lbprun.cli

for _public in lbprun.__all__:  # `import lbprun` is lazy: load every public module now
    getattr(lbprun, _public)

for _name in ("openpyxl", "pyarrow.parquet", "pyreadstat", "fitdecode", "lbprun.io.write"):
    try:
        importlib.import_module(_name)
    except ImportError:  # an optional reader that is not installed
        pass

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    lbprun.read_survey(
        pd.DataFrame(
            {"runner_id": ["a", "b"], "sex": ["F", "M"], "age": [30, 40], "lbp_12m": [0, 1]}
        )
    )
    lbprun.read_activities(
        pd.DataFrame(
            {
                "runner_id": ["a"],
                "date": ["2025-01-06"],
                "distance_km": [5.0],
                "duration_min": [30.0],
            }
        )
    )
