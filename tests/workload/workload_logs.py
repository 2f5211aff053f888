"""Small logs and straightforward pandas versions of the workload definitions for the tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Engines agree with the kernel to this tolerance (absolute and relative).
ENGINE_TOL = 1e-9


def assert_same(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    """Same columns, dtypes, order and values (floats to ENGINE_TOL)."""
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True),
        expected.reset_index(drop=True),
        check_exact=False,
        rtol=ENGINE_TOL,
        atol=ENGINE_TOL,
    )


def log(rows: list[tuple], columns: tuple[str, ...] = ("runner_id", "date", "distance_km")):
    """Build an activities frame from tuples; ``duration_min`` defaults to 6 min/km."""
    frame = pd.DataFrame(rows, columns=list(columns))
    frame["date"] = pd.to_datetime(frame["date"])
    if "duration_min" not in frame.columns:
        frame["duration_min"] = 6.0 * frame["distance_km"]
    return frame


def random_log(n_runners: int = 12, days: int = 200, seed: int = 1) -> pd.DataFrame:
    """A seeded random log with gaps, rest weeks and several runs on some days."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_runners):
        start = int(rng.integers(0, 60))
        length = int(rng.integers(1, days))
        n = int(rng.integers(1, max(2, length // 2)))
        offsets = np.sort(rng.integers(0, length, n))
        if i % 3 == 0:  # a long gap
            offsets[offsets > length // 3] += 90
        frames.append(
            pd.DataFrame(
                {
                    "runner_id": f"R{i:02d}",
                    "date": pd.Timestamp("2023-12-20") + pd.to_timedelta(start + offsets, "D"),
                    "distance_km": np.round(rng.gamma(2.0, 4.0, n), 2),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out["duration_min"] = np.round(out["distance_km"] * 5.5, 1)
    return out.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def naive_daily(activities: pd.DataFrame, column: str = "distance_km") -> dict[str, pd.Series]:
    """Daily load per runner on the full grid (groupby + reindex)."""
    out = {}
    sums = activities.groupby(["runner_id", "date"])[column].sum()
    for runner, series in sums.groupby(level=0):
        series = series.droplevel(0)
        grid = pd.date_range(series.index.min(), series.index.max(), freq="D")
        out[runner] = series.reindex(grid, fill_value=0.0)
    return out


def naive_acwr(
    activities: pd.DataFrame, *, method: str, acute: int = 7, chronic: int = 28, coupled=False
) -> pd.DataFrame:
    """ACWR with pandas ``rolling().mean()`` / ``ewm(adjust=False)`` runner by runner."""
    frames = []
    for runner, load in naive_daily(activities).items():
        if method == "ewma":
            a = load.ewm(span=acute, adjust=False).mean()
            c = load.ewm(span=chronic, adjust=False).mean()
        else:
            a = load.rolling(acute).mean()
            c = (
                load.rolling(chronic).mean()
                if coupled
                else load.shift(acute).rolling(chronic - acute).mean()
            )
        early = np.arange(len(load)) < chronic - 1
        a[early] = np.nan
        c[early] = np.nan
        ratio = (a / c).where(c != 0)
        frames.append(
            pd.DataFrame(
                {
                    "runner_id": runner,
                    "date": load.index,
                    "load": load.to_numpy(),
                    "acute_load": a.to_numpy(),
                    "chronic_load": c.to_numpy(),
                    "acwr": ratio.to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
