"""A seeded, fully vectorised synthetic training log for the workload benchmark.

One row per run: ``runner_id, date, distance_km, duration_min``. Each runner has a base
frequency (runs per week), a base distance, a pace, a start offset of up to 8 weeks, and a
few breaks (holidays, injuries) of 1 to 10 weeks; about 4 % of run days carry a second run.
The log is generated in chunks of runners so memory stays bounded, and written to Parquet.

This is a benchmark fixture, not a model of runners: :func:`lbprun.simulate.simulate_cohort`
is the realistic simulator.

Examples
--------
>>> from _synthetic_log import synthetic_log  # run from benchmarks/
>>> log = synthetic_log(3, 4, seed=1)
>>> list(log.columns)
['runner_id', 'date', 'distance_km', 'duration_min']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["synthetic_log", "write_synthetic_log"]

_START = np.datetime64("2023-01-02", "D")


def _chunk(
    first_runner: int, n_runners: int, weeks: int, rng: np.random.Generator
) -> pd.DataFrame:
    days = weeks * 7
    runs_per_week = rng.uniform(1.5, 5.2, n_runners)
    base_km = rng.lognormal(np.log(8.0), 0.35, n_runners)
    pace_min_per_km = rng.uniform(4.0, 7.0, n_runners)
    offset = rng.integers(0, min(56, max(days - 1, 1)), n_runners)
    # Day-level Bernoulli draws for all runners of the chunk at once.
    p_day = np.clip(runs_per_week / 7.0, 0.0, 1.0)[:, None]
    ran = rng.random((n_runners, days)) < p_day
    day_index = np.arange(days)[None, :]
    ran &= day_index >= offset[:, None]
    # Breaks: up to three per runner, each 7 to 70 days long.
    for _ in range(3):
        has_break = rng.random(n_runners) < 0.5
        start = rng.integers(0, days, n_runners)
        length = rng.integers(7, 71, n_runners)
        inside = (day_index >= start[:, None]) & (day_index < (start + length)[:, None])
        ran &= ~(inside & has_break[:, None])
    runner, day = np.nonzero(ran)
    # Second runs on about 4 % of run days.
    double = rng.random(runner.size) < 0.04
    runner = np.concatenate([runner, runner[double]])
    day = np.concatenate([day, day[double]])
    order = np.lexsort((day, runner))
    runner, day = runner[order], day[order]
    n = runner.size
    weekly_long = np.where(np.arange(days)[day] % 7 == 6, 1.8, 1.0)
    distance = base_km[runner] * weekly_long * rng.lognormal(0.0, 0.3, n)
    distance = np.round(np.clip(distance, 0.5, 120.0), 2)
    duration = np.round(distance * pace_min_per_km[runner] * rng.lognormal(0.0, 0.05, n), 1)
    ids = np.char.add("R", np.char.zfill((first_runner + runner).astype(str), 6))
    return pd.DataFrame(
        {
            "runner_id": ids.astype(object),
            "date": (_START + day.astype("timedelta64[D]")).astype("datetime64[ns]"),
            "distance_km": distance,
            "duration_min": duration,
        }
    )


def synthetic_log(
    n_runners: int, weeks: int, *, seed: int = 2024, chunk_runners: int = 1000
) -> pd.DataFrame:
    """Return a seeded synthetic log of ``n_runners`` runners over ``weeks`` weeks.

    Parameters
    ----------
    n_runners : int
        Number of runners.
    weeks : int
        Length of the calendar, in weeks, starting on Monday 2023-01-02.
    seed : int, default=2024
        Seed of the numpy generator; the same seed and chunk size give the same log.
    chunk_runners : int, default=1000
        Runners generated at once (bounds memory).

    Returns
    -------
    pandas.DataFrame
        ``runner_id`` (str, ``R000000`` ...), ``date`` (datetime64), ``distance_km``,
        ``duration_min``, sorted by runner and date.
    """
    rng = np.random.default_rng(seed)
    parts = [
        _chunk(first, min(chunk_runners, n_runners - first), weeks, rng)
        for first in range(0, n_runners, chunk_runners)
    ]
    return pd.concat(parts, ignore_index=True)


def write_synthetic_log(
    path: str | Path,
    n_runners: int,
    weeks: int,
    *,
    seed: int = 2024,
    chunk_runners: int = 1000,
    first_runner: int = 0,
) -> Path:
    """Write a synthetic log to one Parquet file chunk by chunk and return its path.

    Parameters
    ----------
    path : str or Path
        Parquet file to write.
    n_runners, weeks, seed, chunk_runners
        As in :func:`synthetic_log`.
    first_runner : int, default=0
        Number of the first runner (lets several files hold distinct runners).

    Returns
    -------
    Path
        The file written.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    writer = None
    try:
        for first in range(0, n_runners, chunk_runners):
            frame = _chunk(first_runner + first, min(chunk_runners, n_runners - first), weeks, rng)
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    return path
