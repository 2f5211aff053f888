"""The DuckDB engine: the training-load workload as SQL window queries, out of core.

Every output is one SQL query on a view ``lbprun_runs`` of the runs. The daily grid is built
with ``range()`` per runner and a left join; rolling windows are ``RANGE BETWEEN INTERVAL ...
PRECEDING`` frames; the EWMA is computed in closed form (below). DuckDB spills to
``temp_directory`` when a query needs more than ``memory_limit``, so inputs larger than memory
work when the output goes to Parquet (``out=``).

EWMA in closed form. With ``a = 1 - lambda``, weights ``w_0 = 1`` and ``w_s = lambda`` after
the first grid day, ``E_t = sum_{s <= t} w_s load_s a^(t - s)``. The grid of each runner is cut
into epochs of ``P`` days, ``P`` chosen so that ``a^P <= 1e-200``; with ``j = t mod P`` and
``y_s = w_s load_s a^-(s mod P)`` (at most ``1e200 * load``),
``E_t = a^j (C_t + a^P T_{e-1})`` where ``C_t`` is the running sum of ``y`` within the epoch
and ``T_{e-1}`` the total of the previous epoch. Older epochs weigh less than ``1e-400``
(below double precision), so the result equals the recursion to rounding; loads must be
non-negative (they are distances or durations).
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError
from lbprun._progress import advance, progress_bar
from lbprun.workload._duckdb_checks import check_file_runs
from lbprun.workload._file_checks import needed_columns
from lbprun.workload._sources import describe_source, normalised_frame
from lbprun.workload.definitions import CLASS_DECIMALS, class_labels, week_offset

__all__ = ["DEFAULT_MEMORY_LIMIT", "connect", "duckdb_outputs", "duckdb_query"]

#: Default DuckDB memory limit (beyond it, operators spill to ``temp_directory``).
DEFAULT_MEMORY_LIMIT = "4GB"

_EPOCH_RANGE = 460.0  # ln(1e200): epochs of P days with a^P <= 1e-200


def _ident(name: str) -> str:
    """Quote a column name as an SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def _literal(text: str) -> str:
    """Quote a string as an SQL literal."""
    return "'" + str(text).replace("'", "''") + "'"


def _num(column: str) -> str:
    """A numeric column as DOUBLE with NaN turned into NULL (SQL aggregates skip NULL)."""
    cast = f"CAST({_ident(column)} AS DOUBLE)"
    return f"CASE WHEN isnan({cast}) THEN NULL ELSE {cast} END"


@contextmanager
def connect(
    *,
    memory_limit: str | None = None,
    temp_directory: str | Path | None = None,
    threads: int | None = None,
) -> Iterator[Any]:
    """Open an in-memory DuckDB connection that spills to a temporary folder.

    The folder is created (and removed afterwards) when ``temp_directory`` is None.
    """
    import duckdb

    own = temp_directory is None
    folder = Path(tempfile.mkdtemp(prefix="lbprun-duckdb-")) if own else Path(temp_directory)
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"SET memory_limit = {_literal(memory_limit or DEFAULT_MEMORY_LIMIT)}")
        con.execute(f"SET temp_directory = {_literal(str(folder))}")
        con.execute("SET enable_progress_bar = false")
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")
        yield con
    finally:
        con.close()
        if own:
            shutil.rmtree(folder, ignore_errors=True)


def _file_scan(source: str | Path | Sequence[str | Path]) -> tuple[str, str]:
    """The table function reading ``source`` and the SQL columns giving the file order."""
    paths = [source] if isinstance(source, str | Path) else list(source)
    if not paths:
        raise ArgumentError("activities must name at least one file; got an empty list.")
    names = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            parquet = sorted(path.glob("*.parquet"))
            names.append(str(path / ("*.parquet" if parquet else "*.csv")))
        else:
            names.append(str(path))
    listed = "[" + ", ".join(_literal(n) for n in names) + "]"
    lower = [n.lower() for n in names]
    if all(".parquet" in n or n.endswith(".pq") for n in lower):
        single = len(names) == 1 and not any(c in names[0] for c in "*?[")
        if single:  # the row number alone gives the order; no text column to sort on
            return f"read_parquet({listed}, file_row_number = true)", "file_row_number"
        scan = f"read_parquet({listed}, filename = true, file_row_number = true)"
        return scan, "filename, file_row_number"
    if all(".csv" in n or ".tsv" in n or n.endswith(".txt") for n in lower):
        return f"read_csv({listed}, header = true, filename = true)", "filename"
    raise ArgumentError(
        "activities must be a DataFrame or Parquet/CSV path(s) or glob(s); "
        f"got {', '.join(map(repr, names))}."
    )


def _runs_view(
    con: Any, source: Any, columns: Sequence[str], *, materialise: bool
) -> tuple[str, Any]:
    """Create ``lbprun_runners`` (code, runner_id) and the view ``lbprun_runs``.

    ``lbprun_runs`` has ``code`` (rank of the runner id in the kernel's order), ``day``
    (DATE), the numeric ``columns`` as DOUBLE (NaN as NULL), the columns giving the input
    order, and, for file sources, every other input column; it is a table when
    ``materialise`` (several outputs from an in-memory source). Returns the SQL list of the
    input-order columns and, for a DataFrame source, the sorted runner ids (else None).
    """
    values = ", ".join(f"{_num(c)} AS {_ident(c)}" for c in dict.fromkeys(columns))
    kind = "TABLE" if materialise else "VIEW"
    if isinstance(source, pd.DataFrame):
        frame, runners = normalised_frame(source, columns)
        con.register("lbprun_source", frame)
        ids = pd.DataFrame({"code": np.arange(len(runners), dtype=np.int64)})
        ids["runner_id"] = runners
        con.register("lbprun_runner_ids", ids)
        con.execute(
            "CREATE OR REPLACE TEMP VIEW lbprun_runners AS SELECT * FROM lbprun_runner_ids"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP {kind} lbprun_runs AS SELECT code, "
            f"CAST(date AS DATE) AS day, {values}, _lbprun_row FROM lbprun_source"
        )
        return "_lbprun_row", runners
    scan, order = _file_scan(source)
    check_file_runs(con, scan, order, columns, describe_source(source))
    dropped = ", ".join(
        ["runner_id", "date", *map(_ident, dict.fromkeys(columns)), *order.split(", ")]
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lbprun_runners AS SELECT runner_id, "
        "CAST(row_number() OVER (ORDER BY runner_id) - 1 AS BIGINT) AS code FROM "
        f"(SELECT DISTINCT runner_id FROM {scan})"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP {kind} lbprun_runs AS SELECT r.code, "
        f"CAST(s.date AS DATE) AS day, {values}, "
        + ", ".join(f"s.{c}" for c in order.split(", "))
        + f", s.* EXCLUDE ({dropped}) FROM {scan} s JOIN lbprun_runners r "
        "ON r.runner_id = s.runner_id"
    )
    return order, None


def _weekly_sql(week_start: str) -> str:
    weekday = week_offset(week_start)
    return f"""
    WITH w AS (
        SELECT code,
               day - CAST((isodow(day) - 1 - {weekday} + 7) % 7 AS INTEGER) AS week_start,
               distance_km, duration_min
        FROM lbprun_runs),
    agg AS (
        SELECT code, week_start, SUM(distance_km) AS distance_km,
               SUM(duration_min) AS duration_min, COUNT(*) AS n_runs,
               MAX(distance_km) AS longest_run_km
        FROM w GROUP BY code, week_start),
    span AS (
        SELECT code, MIN(week_start) AS first_week,
               date_diff('day', MIN(week_start), MAX(week_start)) // 7 AS n_weeks
        FROM agg GROUP BY code),
    idx AS (SELECT code, first_week, unnest(range(n_weeks + 1)) AS k FROM span),
    grid AS (SELECT code, k, first_week + CAST(7 * k AS INTEGER) AS week_start FROM idx),
    weeks AS (
        SELECT g.code, g.week_start, g.k,
               COALESCE(a.distance_km, 0.0) AS distance_km,
               COALESCE(a.duration_min, 0.0) AS duration_min,
               COALESCE(a.n_runs, 0) AS n_runs,
               COALESCE(a.longest_run_km, 0.0) AS longest_run_km
        FROM grid g LEFT JOIN agg a ON a.code = g.code AND a.week_start = g.week_start),
    lagged AS (
        SELECT *,
               lag(distance_km) OVER w1 AS previous_km,
               SUM(distance_km) OVER w4 / 4.0 AS baseline_4_km
        FROM weeks
        WINDOW w1 AS (PARTITION BY code ORDER BY k),
               w4 AS (PARTITION BY code ORDER BY k ROWS BETWEEN 4 PRECEDING AND 1 PRECEDING))
    SELECT code, week_start, distance_km, duration_min, n_runs, longest_run_km,
           CASE WHEN previous_km > 0
                THEN 100.0 * (distance_km - previous_km) / previous_km END AS change_pct,
           CASE WHEN k >= 4 AND baseline_4_km > 0
                THEN 100.0 * (distance_km - baseline_4_km) / baseline_4_km END AS pct_4_weeks
    FROM lagged
    """


def _class_sql(pct: str, thresholds: Sequence[float]) -> str:
    labels = class_labels(thresholds)
    cases = " ".join(
        f"WHEN round({pct}, {CLASS_DECIMALS}) <= {float(t)!r} THEN {_literal(label)}"
        for t, label in zip(thresholds, labels, strict=False)
    )
    return f"CASE WHEN {pct} IS NULL THEN NULL {cases} ELSE {_literal(labels[-1])} END"


def _daily_sql(load: str) -> str:
    column = _ident(load)
    return f"""
    day_load AS (SELECT code, day, SUM({column}) AS load FROM lbprun_runs GROUP BY code, day),
    span AS (
        SELECT code, MIN(day) AS first_day, date_diff('day', MIN(day), MAX(day)) AS n_days
        FROM day_load GROUP BY code),
    idx AS (SELECT code, first_day, unnest(range(n_days + 1)) AS i FROM span),
    grid AS (SELECT code, i, first_day + CAST(i AS INTEGER) AS day FROM idx),
    daily AS (
        SELECT g.code, g.day, g.i, COALESCE(d.load, 0.0) AS load
        FROM grid g LEFT JOIN day_load d ON d.code = g.code AND d.day = g.day)
    """


def _epoch(span: int) -> tuple[float, float, int]:
    """``(lambda, a, P)`` of an EWMA of span ``span`` (``P = 0`` when ``a = 0``)."""
    lam = 2.0 / (span + 1.0)
    a = 1.0 - lam
    if a <= 0.0:
        return lam, a, 0
    return lam, a, max(1, math.ceil(_EPOCH_RANGE / -math.log(a)))


def _ewma_parts(span: int, tag: str) -> tuple[str, str]:
    """(select list of ``y``, expression of E) of one EWMA on the daily grid."""
    lam, a, period = _epoch(span)
    if period == 0:
        return "", "load"
    j = f"(i % {period})"
    select = f", CASE WHEN i = 0 THEN 1.0 ELSE {lam!r} END * load * pow({a!r}, -{j}) AS y_{tag}"
    # Same partition and order as every other window of the query: one sort. The frames are
    # the current epoch up to the row, and the whole previous epoch.
    within = f"SUM(y_{tag}) OVER (w ROWS BETWEEN {j} PRECEDING AND CURRENT ROW)"
    before = f"SUM(y_{tag}) OVER (w ROWS BETWEEN {j} + {period} PRECEDING AND {j} + 1 PRECEDING)"
    value = f"pow({a!r}, {j}) * ({within} + {a**period!r} * COALESCE({before}, 0.0))"
    return select, value


def _acwr_variants_sql(
    load: str, acute: int, chronic: int, variants: Sequence[tuple[str, bool]]
) -> str:
    """ACWR of several (method, coupled) variants on one daily grid and one window sort.

    Columns ``code, date, load`` and ``acute_k, chronic_k, acwr_k`` for variant ``k``. The
    daily grid is dense (one row per day), so ROWS frames over the day index equal RANGE
    INTERVAL frames over the date, and run about twice as fast.
    """
    select = ""
    ewma = {}
    if any(method == "ewma" for method, _ in variants):
        sel_a, ewma["a"] = _ewma_parts(acute, "a")
        sel_c, ewma["c"] = _ewma_parts(chronic, "c")
        select = sel_a + sel_c
    rolled = []
    ratios = []
    for k, (method, coupled) in enumerate(variants):
        if method == "ewma":
            acute_sql, chronic_sql = ewma["a"], ewma["c"]
        else:
            acute_sql = f"SUM(load) OVER (w ROWS BETWEEN {acute - 1} PRECEDING AND CURRENT ROW) / {acute}.0"
            if coupled:
                frame, days = f"{chronic - 1} PRECEDING AND CURRENT ROW", chronic
            else:
                frame, days = f"{chronic - 1} PRECEDING AND {acute} PRECEDING", chronic - acute
            chronic_sql = f"SUM(load) OVER (w ROWS BETWEEN {frame}) / {days}.0"
        rolled.append(
            f"CASE WHEN i >= {chronic - 1} THEN {acute_sql} END AS acute_{k}, "
            f"CASE WHEN i >= {chronic - 1} THEN {chronic_sql} END AS chronic_{k}"
        )
        ratios.append(
            f"acute_{k}, chronic_{k}, "
            f"CASE WHEN chronic_{k} <> 0 THEN acute_{k} / chronic_{k} END AS acwr_{k}"
        )
    return f"""
    WITH {_daily_sql(load)},
    scaled AS (SELECT code, day, i, load {select} FROM daily),
    rolled AS (
        SELECT code, day, load, {", ".join(rolled)}
        FROM scaled WINDOW w AS (PARTITION BY code ORDER BY i))
    SELECT code, day AS date, load, {", ".join(ratios)} FROM rolled
    """


def _acwr_columns(k: int, lead: str = "code") -> str:
    return (
        f"{lead}, date, load, acute_{k} AS acute_load, chronic_{k} AS chronic_load, "
        f"acwr_{k} AS acwr"
    )


def _acwr_sql(load: str, acute: int, chronic: int, method: str, coupled: bool) -> str:
    sql = _acwr_variants_sql(load, acute, chronic, [(method, coupled)])
    return f"SELECT {_acwr_columns(0)} FROM ({sql})"


def _spikes_sql(window_days: int, order: str, frame_source: bool) -> str:
    longest = f"longest_prev_{window_days}d_km"
    keep = ", ".join(["code", *order.split(", "), "day"])
    rest = "" if frame_source else f"* EXCLUDE ({keep}, distance_km), "
    return f"""
    WITH prev AS (
        SELECT *, MAX(distance_km) OVER (
                   PARTITION BY code ORDER BY day
                   RANGE BETWEEN INTERVAL {window_days} DAYS PRECEDING
                             AND INTERVAL 1 DAYS PRECEDING) AS longest
        FROM lbprun_runs)
    SELECT {keep.replace(", day", "")}, day AS date, {rest}distance_km,
           longest AS {_ident(longest)},
           CASE WHEN longest = 0 AND distance_km > 0 THEN 'Infinity'::DOUBLE
                WHEN longest = 0 THEN 'NaN'::DOUBLE
                ELSE 100.0 * (distance_km / longest - 1.0) END AS spike_pct,
           COALESCE(distance_km > longest, false) AS is_spike
    FROM prev
    """


_WEEKLY_COLUMNS = "code, week_start, distance_km, duration_min, n_runs, longest_run_km, change_pct"


def duckdb_query(name: str, options: dict[str, Any], order: str) -> tuple[str, str, list]:
    """The SQL of workload function ``name`` on the view ``lbprun_runs``.

    Returns ``(sql, sort keys after code, internal columns to drop)``; the query has a
    ``code`` column where the output has ``runner_id``.
    """
    if name in ("weekly_load", "load_spikes"):
        sql = _weekly_sql(options.get("week_start", "monday"))
        return f"SELECT {_weekly_columns(name, options, 'code')} FROM ({sql})", "week_start", []
    if name == "single_run_spikes":
        sql = _spikes_sql(int(options.get("window_days", 30)), order, order == "_lbprun_row")
        drop = order.split(", ")
        return sql, "date, " + order, ([] if order == "_lbprun_row" else drop)
    if name == "acwr":
        sql = _acwr_sql(
            options.get("load", "distance_km"),
            int(options.get("acute", 7)),
            int(options.get("chronic", 28)),
            options.get("method", "rolling"),
            bool(options.get("coupled", False)),
        )
        return sql, "date", []
    raise ArgumentError(f"name must be a workload function; got {name!r}.")


def _finish(
    name: str,
    table: pd.DataFrame,
    options: dict[str, Any],
    source: Any,
    runners: Any,
) -> pd.DataFrame:
    """Give a query result the kernel's layout and dtypes (ids, dates in ns, categories)."""
    codes = table.pop("code").to_numpy(dtype=np.int64)
    for column in ("date", "week_start"):
        if column in table.columns:
            table[column] = table[column].astype("datetime64[ns]")
    if name == "load_spikes":
        labels = class_labels(options.get("thresholds", (10.0, 30.0)))
        table["progression_class"] = pd.Categorical(
            table["progression_class"], categories=labels, ordered=True
        )
    if name == "single_run_spikes":
        table["is_spike"] = table["is_spike"].astype(bool)
        if isinstance(source, pd.DataFrame):
            rows = table["_lbprun_row"].to_numpy(dtype=np.int64)
            out = source.take(rows).reset_index(drop=True)
            for column in table.columns[-3:]:
                out[column] = table[column].to_numpy()
            return out
    ids = np.take(runners, codes) if isinstance(runners, np.ndarray) else runners.take(codes)
    table.insert(0, "runner_id", ids)
    return table


def _weekly_columns(name: str, options: dict[str, Any], lead: str) -> str:
    columns = _WEEKLY_COLUMNS.replace("code", lead)
    if name == "weekly_load":
        return columns
    baseline = options.get("baseline", "previous_week")
    pct = "change_pct" if baseline == "previous_week" else "pct_4_weeks"
    classes = _class_sql(pct, options.get("thresholds", (10.0, 30.0)))
    return f"{columns}, {pct} AS progression_pct, {classes} AS progression_class"


def _share(
    con: Any, jobs: dict[str, tuple[str, dict[str, Any]]], with_runner: bool
) -> dict[str, str]:
    """Compute tables that several jobs share once, sorted, into temporary tables.

    The weekly table serves every weekly_load / load_spikes job with the same ``week_start``;
    one daily grid and one window sort serve every ACWR variant with the same load and
    windows. Returns, per job served, a query reading its table in sorted order (a plain scan
    keeps the insertion order).
    """
    groups: dict[tuple, list[str]] = {}
    for key, (name, options) in jobs.items():
        if name in ("weekly_load", "load_spikes"):
            group = ("weekly", options.get("week_start", "monday"))
        elif name == "acwr":
            group = ("acwr", options.get("load", "distance_km"))
            group += (int(options.get("acute", 7)), int(options.get("chronic", 28)))
        else:
            continue
        groups.setdefault(group, []).append(key)
    lead = "runner_id" if with_runner else "code"
    join = " JOIN lbprun_runners r ON r.code = q.code" if with_runner else ""
    extra = ", r.runner_id" if with_runner else ""
    queries: dict[str, str] = {}
    for n, (group, keys) in enumerate(groups.items()):
        if len(keys) < 2:
            continue
        table = f"lbprun_shared_{n}"
        if group[0] == "weekly":
            sql, sort = _weekly_sql(group[1]), "week_start"
        else:
            variants = list(
                dict.fromkeys(
                    (jobs[k][1].get("method", "rolling"), bool(jobs[k][1].get("coupled", False)))
                    for k in keys
                )
            )
            sql, sort = _acwr_variants_sql(*group[1:], variants), "date"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT q.*{extra} FROM ({sql}) q{join} "
            f"ORDER BY q.code, q.{sort}"
        )
        for key in keys:
            name, options = jobs[key]
            if group[0] == "weekly":
                columns = _weekly_columns(name, options, lead)
            else:
                variant = (options.get("method", "rolling"), bool(options.get("coupled", False)))
                columns = _acwr_columns(variants.index(variant), lead)
            queries[key] = f"SELECT {columns} FROM {table}"
    return queries


def _target(out: str | Path, key: str, n_jobs: int) -> Path:
    target = Path(out)
    if n_jobs > 1 or target.suffix != ".parquet":
        target.mkdir(parents=True, exist_ok=True)
        target = target / f"{key}.parquet"
    return target


def duckdb_outputs(
    source: Any,
    jobs: dict[str, tuple[str, dict[str, Any]]],
    *,
    out: str | Path | None = None,
    memory_limit: str | None = None,
    temp_directory: str | Path | None = None,
    threads: int | None = None,
    progress: bool | None = None,
) -> dict[str, pd.DataFrame | Path]:
    """Run several workload functions on one DuckDB connection.

    ``jobs`` maps an output key to ``(function name, options)``. When ``out`` is given, each
    output is written to ``out / f"{key}.parquet"`` (or to ``out`` itself for a single job whose
    ``out`` ends in ``.parquet``) and its path is returned instead of a DataFrame. ``progress``
    shows a bar over the steps: the runs registered, the shared tables, each output table.
    """
    needed = needed_columns(jobs)
    import duckdb

    results: dict[str, pd.DataFrame | Path] = {}
    try:
        bar = progress_bar(len(jobs) + 2, desc="duckdb", unit="step", enabled=progress)
        with (
            bar,
            connect(
                memory_limit=memory_limit, temp_directory=temp_directory, threads=threads
            ) as con,
        ):
            materialise = len(jobs) > 1 and isinstance(source, pd.DataFrame)
            order, runners = _runs_view(con, source, needed, materialise=materialise)
            bar.update(1)
            shared = _share(con, jobs, out is not None)
            bar.update(1)
            for key, (name, options) in advance(jobs.items(), bar):
                if key in shared:
                    if out is not None:
                        target = _target(out, key, len(jobs))
                        con.execute(
                            f"COPY ({shared[key]}) TO {_literal(str(target))} (FORMAT parquet)"
                        )
                        results[key] = target
                        continue
                    table = con.execute(shared[key]).df()
                else:
                    sql, keys, drop = duckdb_query(name, options, order)
                    sort = ", ".join(f"q.{k}" for k in ["code", *keys.split(", ")])
                    if out is not None:
                        target = _target(out, key, len(jobs))
                        if name == "single_run_spikes" and order == "_lbprun_row":
                            drop = [*drop, "_lbprun_row"]
                        dropped = f" EXCLUDE ({', '.join(['code', *drop])})"
                        query = (
                            f"SELECT r.runner_id, q.*{dropped} FROM ({sql}) q "
                            f"JOIN lbprun_runners r ON r.code = q.code ORDER BY {sort}"
                        )
                        con.execute(f"COPY ({query}) TO {_literal(str(target))} (FORMAT parquet)")
                        results[key] = target
                        continue
                    dropped = f" EXCLUDE ({', '.join(drop)})" if drop else ""
                    table = con.execute(f"SELECT q.*{dropped} FROM ({sql}) q ORDER BY {sort}").df()
                if runners is None:
                    runners = (
                        con.execute("SELECT runner_id FROM lbprun_runners ORDER BY code")
                        .df()["runner_id"]
                        .to_numpy()
                    )
                results[key] = _finish(name, table, options, source, runners)
    except pd.errors.OutOfBoundsDatetime as error:
        raise ArgumentError(
            f"activities: a date is outside what pandas holds in memory ({error}); write the "
            "tables to Parquet with out= instead."
        ) from None
    except duckdb.Error as error:
        raise ArgumentError(
            f"{describe_source(source)}: the DuckDB engine cannot compute on this log: {str(error).splitlines()[0]}"
        ) from None
    return results
