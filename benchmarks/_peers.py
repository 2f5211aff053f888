"""Peers of lbprun for the workload benchmark, each written the way its users would write it.

Every peer computes the benchmark workload of the definitions contract (weekly table, both
progression baselines, single-run spikes, rolling uncoupled and EWMA ACWR; weeks start on
Monday, windows 7 / 28 days, look-back 30 days, classes 10 / 30 %) and returns a dict of six
tables named as :func:`lbprun.workload.acwr.compute_workload` names them.

- ``naive_pandas``: one ``groupby("runner_id").apply`` per table, with ``asfreq``, ``rolling``
  and ``ewm(adjust=False)`` on each runner's daily series.
- ``polars``: one lazy query per table over ``scan_parquet``, collected together with
  ``collect_all``; grids by ``date_ranges``, windows by ``rolling_*`` / ``ewm_mean`` ``over``
  the runner.
- ``duckdb_sql``: plain SQL with window functions over ``read_parquet``: grids by
  ``generate_series``, ``RANGE BETWEEN INTERVAL`` frames partitioned by the runner id, and the
  textbook closed form of the EWMA (``a^i * cumulative sum of w_s x_s a^-s``, valid while
  ``a^-i`` stays finite: grids up to ~6 years for a 7-day span).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["LABELS", "duckdb_sql", "naive_pandas", "polars_lazy", "polars_queries"]

LABELS = ["<=10%", "10-30%", ">30%"]
ACUTE, CHRONIC, WINDOW = 7, 28, 30


# ---------------------------------------------------------------- naive pandas groupby-apply
def _weeks(g: pd.DataFrame) -> pd.DataFrame:
    week = g["date"] - pd.to_timedelta(g["date"].dt.day_of_week, unit="D")
    agg = g.groupby(week).agg(
        distance_km=("distance_km", "sum"),
        duration_min=("duration_min", "sum"),
        n_runs=("distance_km", "size"),
        longest_run_km=("distance_km", "max"),
    )
    agg = agg.reindex(pd.date_range(agg.index.min(), agg.index.max(), freq="7D"), fill_value=0)
    agg.index.name = "week_start"
    prev = agg["distance_km"].shift(1)
    agg["change_pct"] = (100 * (agg["distance_km"] - prev) / prev).where(prev > 0)
    return agg


def _weeks_4(g: pd.DataFrame) -> pd.DataFrame:
    agg = _weeks(g)
    base = agg["distance_km"].shift(1).rolling(4).mean()
    agg["progression_pct"] = (100 * (agg["distance_km"] - base) / base).where(base > 0)
    return agg


def _weeks_1(g: pd.DataFrame) -> pd.DataFrame:
    agg = _weeks(g)
    agg["progression_pct"] = agg["change_pct"]
    return agg


def _runs(g: pd.DataFrame) -> pd.DataFrame:
    daymax = g.groupby("date")["distance_km"].max().asfreq("D")
    longest = daymax.rolling(WINDOW, min_periods=1).max().shift(1)
    out = g[["date", "distance_km"]].copy()
    out["longest_prev_30d_km"] = longest.reindex(g["date"]).to_numpy()
    out["spike_pct"] = 100 * (out["distance_km"] / out["longest_prev_30d_km"] - 1)
    out["is_spike"] = out["distance_km"] > out["longest_prev_30d_km"]
    return out


def _daily(g: pd.DataFrame) -> pd.Series:
    return g.groupby("date")["distance_km"].sum().asfreq("D", fill_value=0.0)


def _finish_acwr(load: pd.Series, acute: pd.Series, chronic: pd.Series) -> pd.DataFrame:
    out = pd.DataFrame({"load": load, "acute_load": acute, "chronic_load": chronic})
    out.iloc[: CHRONIC - 1, 1:] = np.nan
    out["acwr"] = (out["acute_load"] / out["chronic_load"]).where(out["chronic_load"] != 0)
    out.index.name = "date"
    return out


def _rolling(g: pd.DataFrame) -> pd.DataFrame:
    load = _daily(g)
    acute = load.rolling(ACUTE, min_periods=1).mean()
    chronic = load.shift(ACUTE).rolling(CHRONIC - ACUTE, min_periods=1).mean()
    return _finish_acwr(load, acute, chronic)


def _ewma(g: pd.DataFrame) -> pd.DataFrame:
    load = _daily(g)
    acute = load.ewm(span=ACUTE, adjust=False).mean()
    chronic = load.ewm(span=CHRONIC, adjust=False).mean()
    return _finish_acwr(load, acute, chronic)


def naive_pandas(runs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The workload by ``groupby("runner_id").apply`` of per-runner pandas code."""
    by = runs.sort_values(["runner_id", "date"], kind="stable").groupby("runner_id", sort=True)
    out = {}
    for key, fn in (
        ("weekly", _weeks),
        ("spikes_previous_week", _weeks_1),
        ("spikes_previous_4_weeks", _weeks_4),
        ("runs", _runs),
        ("acwr_rolling", _rolling),
        ("acwr_ewma", _ewma),
    ):
        table = by.apply(fn, include_groups=False).reset_index()
        table = table.drop(columns=[c for c in table.columns if c.startswith("level_")])
        if "progression_pct" in table:  # classes of the percentage rounded to 1e-9
            table["progression_class"] = pd.cut(
                table["progression_pct"].round(9), [-np.inf, 10, 30, np.inf], labels=LABELS
            )
        out[key] = table
    return out


# ---------------------------------------------------------------------- idiomatic lazy Polars
def polars_lazy(path: str) -> dict:
    """The workload as lazy Polars queries over ``scan_parquet``, collected together."""
    import polars as pl

    return polars_queries(pl.scan_parquet(path), collect=True)


def polars_queries(source, *, collect: bool = False) -> dict:
    """The six workload queries over a Polars (lazy) frame of runs.

    ``collect=True`` collects them together (``pl.collect_all``); otherwise the lazy frames
    are returned, so a caller can collect only some of them.
    """
    import polars as pl

    runs = source.lazy().select(
        "runner_id", pl.col("date").cast(pl.Date), "distance_km", "duration_min"
    )
    agg = runs.group_by("runner_id", pl.col("date").dt.truncate("1w").alias("week_start")).agg(
        pl.col("distance_km").sum(),
        pl.col("duration_min").sum(),
        pl.len().cast(pl.Int64).alias("n_runs"),
        pl.col("distance_km").max().alias("longest_run_km"),
    )
    weeks = (
        agg.group_by("runner_id")
        .agg(
            pl.date_ranges(pl.col("week_start").min(), pl.col("week_start").max(), "1w").alias(
                "week_start"
            )
        )
        .explode("week_start")
        .join(agg, on=["runner_id", "week_start"], how="left")
        .with_columns(pl.col(c).fill_null(0) for c in agg.collect_schema().names()[2:])
        .sort("runner_id", "week_start")
    )
    prev = pl.col("distance_km").shift(1).over("runner_id")
    weekly = weeks.with_columns(
        pl.when(prev > 0).then(100 * (pl.col("distance_km") - prev) / prev).alias("change_pct")
    )

    def classes(pct: pl.Expr) -> list[pl.Expr]:
        rounded = pct.round(9)
        cls = (
            pl.when(pct.is_null())
            .then(None)
            .when(rounded <= 10)
            .then(pl.lit(LABELS[0]))
            .when(rounded <= 30)
            .then(pl.lit(LABELS[1]))
            .otherwise(pl.lit(LABELS[2]))
        )
        return [pct.alias("progression_pct"), cls.alias("progression_class")]

    # mean of the 4 previous weeks as a sum of shifts: rolling_mean subtracts, leaving
    # residues (~1e-15) where the 4 weeks are all zero
    km = pl.col("distance_km")
    base = ((km.shift(1) + km.shift(2) + km.shift(3) + km.shift(4)) / 4).over("runner_id")
    spikes_1 = weekly.with_columns(classes(pl.col("change_pct")))
    spikes_4 = weekly.with_columns(
        classes(pl.when(base > 0).then(100 * (pl.col("distance_km") - base) / base))
    )
    longest = (
        pl.col("distance_km")
        .rolling_max_by("date", window_size=f"{WINDOW + 1}d", closed="none")
        .over("runner_id")
    )
    single = (
        runs.sort("runner_id", "date", maintain_order=True)
        .with_columns(longest.alias("longest_prev_30d_km"))
        .with_columns(
            (100 * (pl.col("distance_km") / pl.col("longest_prev_30d_km") - 1)).alias("spike_pct"),
            (pl.col("distance_km") > pl.col("longest_prev_30d_km"))
            .fill_null(False)
            .alias("is_spike"),
        )
        .select("runner_id", "date", "distance_km", "longest_prev_30d_km", "spike_pct", "is_spike")
    )
    day_load = runs.group_by("runner_id", "date").agg(pl.col("distance_km").sum().alias("load"))
    daily = (
        day_load.group_by("runner_id")
        .agg(pl.date_ranges(pl.col("date").min(), pl.col("date").max(), "1d").alias("date"))
        .explode("date")
        .join(day_load, on=["runner_id", "date"], how="left")
        .with_columns(pl.col("load").fill_null(0.0))
        .sort("runner_id", "date")
        .with_columns(pl.int_range(pl.len()).over("runner_id").alias("i"))
    )
    early = pl.col("i") < CHRONIC - 1

    def ratio(acute: pl.Expr, chronic: pl.Expr) -> pl.LazyFrame:
        return (
            daily.with_columns(
                pl.when(~early).then(acute).alias("acute_load"),
                pl.when(~early).then(chronic).alias("chronic_load"),
            )
            .with_columns(  # rolling sums subtract: a zero window may leave ~1e-15
                pl.when(pl.col("chronic_load").abs() > 1e-9)
                .then(pl.col("acute_load") / pl.col("chronic_load"))
                .alias("acwr")
            )
            .select("runner_id", "date", "load", "acute_load", "chronic_load", "acwr")
        )

    load = pl.col("load")
    rolling = ratio(
        load.rolling_mean(ACUTE, min_samples=1).over("runner_id"),
        load.shift(ACUTE).rolling_mean(CHRONIC - ACUTE, min_samples=1).over("runner_id"),
    )
    ewma = ratio(
        load.ewm_mean(span=ACUTE, adjust=False).over("runner_id"),
        load.ewm_mean(span=CHRONIC, adjust=False).over("runner_id"),
    )
    names = ["weekly", "spikes_previous_week", "spikes_previous_4_weeks", "runs"]
    names += ["acwr_rolling", "acwr_ewma"]
    queries = [weekly, spikes_1, spikes_4, single, rolling, ewma]
    if not collect:
        return dict(zip(names, queries, strict=True))
    return dict(zip(names, pl.collect_all(queries), strict=True))


# ------------------------------------------------------------ DuckDB SQL with window functions
def _duckdb_queries(path: str) -> dict[str, str]:
    src = f"read_parquet('{path}')"
    a_acute, a_chronic = 1 - 2 / (ACUTE + 1), 1 - 2 / (CHRONIC + 1)
    weeks = f"""
    WITH runs AS (SELECT runner_id, CAST(date AS DATE) AS date, distance_km, duration_min
                  FROM {src}),
    agg AS (SELECT runner_id, date_trunc('week', date) AS week_start,
                   SUM(distance_km) AS distance_km, SUM(duration_min) AS duration_min,
                   COUNT(*) AS n_runs, MAX(distance_km) AS longest_run_km
            FROM runs GROUP BY ALL),
    grid AS (SELECT runner_id, unnest(generate_series(MIN(week_start), MAX(week_start),
                                                      INTERVAL 7 DAY)) AS week_start
             FROM agg GROUP BY runner_id),
    weeks AS (SELECT g.runner_id, CAST(g.week_start AS DATE) AS week_start,
                     COALESCE(a.distance_km, 0) AS distance_km,
                     COALESCE(a.duration_min, 0) AS duration_min,
                     COALESCE(a.n_runs, 0) AS n_runs,
                     COALESCE(a.longest_run_km, 0) AS longest_run_km
              FROM grid g LEFT JOIN agg a
                ON a.runner_id = g.runner_id AND a.week_start = g.week_start),
    w AS (SELECT *, lag(distance_km) OVER win AS prev,
                 AVG(distance_km) OVER (win ROWS BETWEEN 4 PRECEDING AND 1 PRECEDING) AS base,
                 row_number() OVER win AS k
          FROM weeks WINDOW win AS (PARTITION BY runner_id ORDER BY week_start))
    SELECT runner_id, week_start, distance_km, duration_min, n_runs, longest_run_km,
           CASE WHEN prev > 0 THEN 100 * (distance_km - prev) / prev END AS change_pct,
           CASE WHEN k > 4 AND base > 0 THEN 100 * (distance_km - base) / base END AS pct4
    FROM w
    """
    weekly_cols = "runner_id, week_start, distance_km, duration_min, n_runs, longest_run_km"

    def classes(pct: str) -> str:
        return (
            f"{pct} AS progression_pct, CASE WHEN {pct} IS NULL THEN NULL "
            f"WHEN round({pct}, 9) <= 10 THEN '{LABELS[0]}' "
            f"WHEN round({pct}, 9) <= 30 THEN '{LABELS[1]}' "
            f"ELSE '{LABELS[2]}' END AS progression_class"
        )

    daily = f"""
    WITH runs AS (SELECT runner_id, CAST(date AS DATE) AS date, distance_km FROM {src}),
    day_load AS (SELECT runner_id, date, SUM(distance_km) AS load FROM runs GROUP BY ALL),
    grid AS (SELECT runner_id, unnest(generate_series(MIN(date), MAX(date), INTERVAL 1 DAY))
                    AS date FROM day_load GROUP BY runner_id),
    daily AS (SELECT g.runner_id, CAST(g.date AS DATE) AS date, COALESCE(d.load, 0) AS load
              FROM grid g LEFT JOIN day_load d ON d.runner_id = g.runner_id
               AND d.date = CAST(g.date AS DATE)),
    numbered AS (SELECT *, row_number() OVER (PARTITION BY runner_id ORDER BY date) - 1 AS i
                 FROM daily)
    """
    finish = f"""
    SELECT runner_id, date, load,
           CASE WHEN i >= {CHRONIC - 1} THEN acute END AS acute_load,
           CASE WHEN i >= {CHRONIC - 1} THEN chronic END AS chronic_load,
           CASE WHEN i >= {CHRONIC - 1} AND chronic <> 0 THEN acute / chronic END AS acwr
    FROM x ORDER BY runner_id, date
    """
    rolling = f"""{daily},
    x AS (SELECT *,
            AVG(load) OVER (PARTITION BY runner_id ORDER BY date
                            RANGE BETWEEN INTERVAL {ACUTE - 1} DAY PRECEDING AND CURRENT ROW)
                AS acute,
            SUM(load) OVER (PARTITION BY runner_id ORDER BY date
                            RANGE BETWEEN INTERVAL {CHRONIC - 1} DAY PRECEDING
                                      AND INTERVAL {ACUTE} DAY PRECEDING) / {CHRONIC - ACUTE}
                AS chronic
          FROM numbered)
    {finish}"""

    def ewma(a: float) -> str:
        weight = f"CASE WHEN i = 0 THEN 1 ELSE {1 - a!r} END * load * pow({a!r}, -i)"
        return (
            f"pow({a!r}, i) * SUM({weight}) OVER (PARTITION BY runner_id ORDER BY date "
            "ROWS UNBOUNDED PRECEDING)"
        )

    ewm = f"""{daily},
    x AS (SELECT *, {ewma(a_acute)} AS acute, {ewma(a_chronic)} AS chronic FROM numbered)
    {finish}"""
    single = f"""
    WITH runs AS (SELECT runner_id, CAST(date AS DATE) AS date, distance_km FROM {src}),
    x AS (SELECT *, MAX(distance_km) OVER (PARTITION BY runner_id ORDER BY date
                     RANGE BETWEEN INTERVAL {WINDOW} DAY PRECEDING
                               AND INTERVAL 1 DAY PRECEDING) AS longest_prev_30d_km
          FROM runs)
    SELECT *, 100 * (distance_km / longest_prev_30d_km - 1) AS spike_pct,
           COALESCE(distance_km > longest_prev_30d_km, false) AS is_spike
    FROM x ORDER BY runner_id, date
    """
    return {
        "weekly": f"SELECT {weekly_cols}, change_pct FROM ({weeks}) "
        "ORDER BY runner_id, week_start",
        "spikes_previous_week": f"SELECT {weekly_cols}, change_pct, {classes('change_pct')} "
        f"FROM ({weeks}) ORDER BY runner_id, week_start",
        "spikes_previous_4_weeks": f"SELECT {weekly_cols}, change_pct, {classes('pct4')} "
        f"FROM ({weeks}) ORDER BY runner_id, week_start",
        "runs": single,
        "acwr_rolling": rolling,
        "acwr_ewma": ewm,
    }


def duckdb_sql(path: str) -> dict:
    """The workload as six DuckDB SQL queries over ``read_parquet``, fetched as Arrow tables."""
    import duckdb

    con = duckdb.connect()
    try:
        return {
            key: con.sql(sql).fetch_arrow_table() for key, sql in _duckdb_queries(path).items()
        }
    finally:
        con.close()
