"""A multi-million-row training log is validated in chunks with bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd

N_ROWS = 2_000_000

CHILD = textwrap.dedent(
    """
    import json, resource, sys
    import pandera.pandas  # libraries loaded before the baseline is taken
    from lbprun.io.validate import validate

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = validate(sys.argv[1], "activities")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cases = report.failure_cases
    print(json.dumps({
        "before_kb": before, "peak_kb": peak, "rows_in": report.rows_in,
        "rows_rejected": report.rows_rejected, "rows": cases["row"].tolist(),
        "checks": cases["check"].tolist(), "messages": cases["message"].tolist(),
    }))
    """
)


def _write_log(path, n):
    """A log of 5,000 runners x n/5,000 days; one run per runner and day."""
    rng = np.random.default_rng(2026)
    index = np.arange(n)
    distance = np.round(rng.uniform(2.0, 30.0, n), 2)
    frame = pd.DataFrame(
        {
            "runner_id": pd.Series(index % 5000).map("R{:04d}".format),
            "date": (
                pd.Timestamp("2015-01-01") + pd.to_timedelta(index // 5000, unit="D")
            ).strftime("%Y-%m-%d"),
            "distance_km": distance,
            "duration_min": np.round(distance * rng.uniform(4.5, 7.0, n), 1),
        }
    )
    frame.loc[1_000_000, "distance_km"] = -3.0  # line 1,000,002
    frame.loc[n - 1, ["runner_id", "date", "distance_km", "duration_min"]] = frame.loc[
        1, ["runner_id", "date", "distance_km", "duration_min"]
    ].to_numpy()  # the run on line 3 again, on the last line
    frame.to_csv(path, index=False)
    return pd.read_csv(path, nrows=200_000, dtype=str).memory_usage(deep=True).sum() * (
        n / 200_000
    )


def test_two_million_rows_validate_in_bounded_memory(tmp_path):
    path = tmp_path / "big_log.csv"
    in_memory_bytes = _write_log(path, N_ROWS)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["rows_in"] == N_ROWS
    assert result["rows"] == [1_000_002, N_ROWS + 1]
    assert result["checks"] == ["in_range", "duplicate_run"]
    assert "already on row 3" in result["messages"][1]
    assert result["rows_rejected"] == 2
    peak_bytes = result["peak_kb"] * 1024
    grown_bytes = (result["peak_kb"] - result["before_kb"]) * 1024
    assert peak_bytes < 1.5e9
    # reading every row at once as text needs about in_memory_bytes (~0.5 GB) on top
    assert grown_bytes < 0.5 * in_memory_bytes, (grown_bytes, in_memory_bytes)
