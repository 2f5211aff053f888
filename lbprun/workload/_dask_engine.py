"""The Dask engine: the pandas kernel on runner partitions.

The runs are indexed by runner id as text (``set_index``, a sort), so that every partition
holds whole runners, in order; each partition then goes through the pandas kernel
(``map_partitions`` for one table, one task per partition for the whole workload). Nothing is
applied per runner. A global row number carried through the shuffle restores the input order
inside each partition, so runs of the same day come out in the order the kernel gives them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lbprun.workload.engines import source_files

__all__ = ["dask_outputs"]

_KEY = "_lbprun_key"
_ROW = "_lbprun_row"


def _kernel(name: str) -> Any:
    """The pandas kernel function ``name``, single-threaded (Dask runs partitions in parallel)."""
    from functools import partial

    from lbprun.workload.acwr import acwr
    from lbprun.workload.spikes import load_spikes, single_run_spikes
    from lbprun.workload.weekly import weekly_load

    return {
        "weekly_load": weekly_load,
        "load_spikes": load_spikes,
        "single_run_spikes": partial(single_run_spikes, threads=1, progress=False),
        "acwr": partial(acwr, threads=1, progress=False),
    }[name]


def _with_rows(part: pd.DataFrame, offset: int) -> pd.DataFrame:
    return part.assign(**{_ROW: np.arange(offset, offset + len(part), dtype=np.int64)})


def _partitioned(source: Any, npartitions: int | None) -> Any:
    """A Dask frame indexed by runner id (text), whole runners per partition, input order."""
    import dask
    import dask.dataframe as dd

    if isinstance(source, pd.DataFrame):
        from lbprun.workload.engines import runner_codes

        codes, runners = runner_codes(source["runner_id"])
        frame = _with_rows(source, 0).assign(**{_KEY: codes})
        frame = frame.set_index(_KEY).sort_index(kind="stable")
        n = npartitions or max(1, min(len(runners), 4 * (os.cpu_count() or 1)))
        return dd.from_pandas(frame, npartitions=n, sort=True)
    files = source_files(source)
    if all(".parquet" in f.lower() for f in files):
        ddf = dd.read_parquet(files)
    else:
        ddf = dd.read_csv(files)
    lengths = ddf.map_partitions(len).compute()
    offsets = np.concatenate(([0], np.cumsum(lengths)))[:-1]
    parts = [
        dask.delayed(_with_rows)(part, int(offset))
        for part, offset in zip(ddf.to_delayed(), offsets, strict=True)
    ]
    ddf = dd.from_delayed(parts, meta=_with_rows(ddf._meta, 0))
    # Integer runner codes (rank of the id, in the kernel's order) with explicit divisions: a
    # sort by runner without Dask estimating quantiles of strings.
    ids = ddf["runner_id"].unique().compute().to_numpy()
    as_text = False
    try:
        runners = np.sort(ids)
    except TypeError:  # mixed types: order by their text
        runners, as_text = np.sort(ids.astype(str).astype(object)), True
    n = npartitions or max(1, min(len(runners), 4 * (os.cpu_count() or 1)))
    divisions = sorted(set(np.linspace(0, len(runners) - 1, n + 1).round().astype(int).tolist()))
    if len(divisions) == 1:
        divisions = divisions * 2
    meta = _coded(ddf._meta, runners, as_text)
    coded = ddf.map_partitions(_coded, runners, as_text, meta=meta)
    return coded.set_index(_KEY, divisions=divisions, shuffle_method="tasks")


def _coded(part: pd.DataFrame, runners: np.ndarray, as_text: bool) -> pd.DataFrame:
    ids = part["runner_id"].to_numpy()
    if as_text:
        ids = ids.astype(str).astype(object)
    codes = np.searchsorted(runners, ids)
    return part.assign(**{_KEY: codes.astype(np.int64)})


def _apply(part: pd.DataFrame, name: str, options: dict[str, Any], meta: pd.DataFrame) -> Any:
    """Run the kernel on one partition of whole runners, in input order."""
    if len(part) == 0:
        return meta
    part = part.sort_values(_ROW, kind="stable").reset_index(drop=True).drop(columns=_ROW)
    return _kernel(name)(part, **options)


def _workload_part(part: pd.DataFrame, jobs: dict[str, tuple[str, dict[str, Any]]]) -> dict:
    part = part.sort_values(_ROW, kind="stable").reset_index(drop=True).drop(columns=_ROW)
    if len(part) == 0:
        return {}
    return {key: _kernel(name)(part, **options) for key, (name, options) in jobs.items()}


def _sample(ddf: Any) -> pd.DataFrame:
    """A one-row frame with the input's dtypes, to compute each output's metadata."""
    sample = ddf._meta_nonempty.iloc[:1].reset_index(drop=True)
    return sample.drop(columns=_ROW)


def _restore(frame: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """Reset the index and give columns the kernel's dtypes back (Dask may convert strings)."""
    frame = frame.reset_index(drop=True)
    for column, dtype in meta.dtypes.items():
        if column in frame.columns and frame[column].dtype != dtype:
            frame[column] = frame[column].astype(dtype)
    return frame


def _ticker(bar: Any, keys: set | None = None) -> Any:
    """A local-scheduler callback advancing ``bar`` per finished task (of ``keys`` if given).

    Without ``keys`` the bar counts every task of the graph (its total set when it starts).
    """
    from dask.callbacks import Callback

    class _Tick(Callback):
        def _start_state(self, dsk: Any, state: Any) -> None:
            if keys is None:  # the tasks to run: the graph less its data
                bar.reset(total=len(dsk) - len(state["cache"]))

        def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, worker: Any) -> None:
            if keys is None or key in keys:
                bar.update(1)

    return _Tick()


def _gather(client: Any, futures: list, bar: Any) -> list:
    """Results of ``futures`` in order, advancing ``bar`` as each one finishes."""
    from distributed import as_completed

    for _ in as_completed(futures):
        bar.update(1)
    return client.gather(futures)


def dask_outputs(
    source: Any,
    jobs: dict[str, tuple[str, dict[str, Any]]],
    *,
    out: str | Path | None = None,
    client: Any = None,
    npartitions: int | None = None,
    progress: bool | None = None,
) -> dict[str, pd.DataFrame | Path]:
    """Run workload functions with Dask: the pandas kernel on runner partitions.

    ``jobs`` maps an output key to ``(function name, options)``. With ``out``, each table is
    written as a folder of Parquet parts (``out`` itself for one job, ``out / key`` otherwise)
    and its path is returned. ``progress`` shows a bar over the runner partitions (the whole
    workload) or over the tasks of the local scheduler (one table at a time).
    """
    import contextlib

    import dask

    from lbprun._progress import progress_bar

    bar = progress_bar(None, desc="dask", unit="partition", enabled=progress)
    with bar, dask.config.set({"dataframe.convert-string": False}):
        ddf = _partitioned(source, npartitions)
        sample = _sample(ddf)
        metas = {
            key: _kernel(name)(sample, **options).iloc[:0] for key, (name, options) in jobs.items()
        }
        compute = client.compute if client is not None else None
        results: dict[str, pd.DataFrame | Path] = {}
        if out is None and len(jobs) > 1:
            tasks = [dask.delayed(_workload_part)(p, jobs) for p in ddf.to_delayed()]
            bar.reset(total=len(tasks))
            if compute is not None:
                parts = _gather(client, compute(tasks), bar)
            else:
                with _ticker(bar, {task.key for task in tasks}):
                    parts = dask.compute(*tasks)
            for key, meta in metas.items():
                pieces = [p[key] for p in parts if key in p] or [meta]
                results[key] = _restore(pd.concat(pieces, ignore_index=True), meta)
            return results
        if compute is None and not bar.disable:
            bar.unit = "task"
        ticks = _ticker(bar) if compute is None else contextlib.nullcontext()
        for key, (name, options) in jobs.items():
            meta = metas[key]
            table = ddf.map_partitions(_apply, name, options, meta, meta=meta)
            if out is not None:
                target = Path(out) if len(jobs) == 1 else Path(out) / key
                if compute is not None:
                    client.compute(table.to_parquet(target, compute=False)).result()
                else:
                    with ticks:
                        table.to_parquet(target)
                results[key] = target
                continue
            if compute is not None:
                value = compute(table).result()
            else:
                with ticks:
                    value = table.compute()
            results[key] = _restore(value, meta)
        return results
