"""Internal validation of a risk model: Harrell's optimism bootstrap and repeated k-fold
cross-validation, as ``rms::validate`` (internal).

Every replicate draws from its own random stream, spawned from one
:class:`numpy.random.SeedSequence`, so results do not depend on the number of workers or on
the order in which replicates finish. Replicates run in chunks on worker processes.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = np.column_stack([np.ones(300), rng.normal(size=(300, 2))])
>>> y = (rng.uniform(size=300) < 1 / (1 + np.exp(-x @ [-0.5, 1.0, 0.0]))).astype(float)
>>> out = internal_validation(x, y, np.ones(300), None, method="bootstrap", n_bootstrap=20,
...                           seed=1, n_jobs=1, progress=False)
>>> out.successful, out.table["statistic"].tolist()[:2]
(20, ['c_statistic', 'dxy'])
>>> table = out.table.set_index("statistic")
>>> bool(table.loc["nagelkerke_r2", "corrected"] < table.loc["nagelkerke_r2", "apparent"])
True
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lbprun._progress import progress_bar
from lbprun.clinic._dev_fit import ResamplingUnits, refit
from lbprun.clinic._dev_performance import STATISTICS, performance

__all__ = ["VALIDATIONS", "ValidationOutcome", "internal_validation", "resolve_jobs"]

#: Internal-validation methods.
VALIDATIONS = ("bootstrap", "cv", "none")


@dataclass(frozen=True)
class ValidationOutcome:
    """Apparent, training, test, optimism and corrected performance, with the replicates.

    ``table`` has one row per statistic and the columns ``statistic, apparent, training, test,
    optimism, corrected, n`` (the columns of ``rms::validate``: ``index.orig, training, test,
    optimism, index.corrected, n``); ``replicates`` one row per replicate with its training
    and test statistics or the reason it failed; ``failures`` counts failed refits by reason.
    """

    method: str
    table: pd.DataFrame
    replicates: pd.DataFrame = field(repr=False)
    requested: int
    successful: int
    failures: dict[str, int]
    seed: int | None
    n_jobs: int
    folds: int | None = None


def resolve_jobs(n_jobs: int) -> int:
    """Worker count for ``n_jobs``: -1 means every core available to this process."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    if n_jobs == -1:
        return max(cores, 1)
    return max(min(int(n_jobs), cores), 1)


def _folds(y: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Fold of each row, stratified by outcome (events and non-events dealt in turn)."""
    fold = np.empty(y.size, dtype=np.int64)
    offset = 0
    for cls in (0.0, 1.0):
        rows = rng.permutation(np.flatnonzero(y == cls))
        fold[rows] = (np.arange(rows.size) + offset) % k
        offset += rows.size
    return fold


def _one(x, y, w, penalty, train, test) -> tuple[np.ndarray | None, np.ndarray | None, str | None]:
    beta, reason = refit(x[train], y[train], w[train], penalty)
    if beta is None:
        return None, None, reason
    y_test = y[test]
    if y_test.min() == y_test.max():
        return None, None, "one outcome class in the test rows"
    with np.errstate(all="ignore"):
        return performance(x[train] @ beta, y[train]), performance(x[test] @ beta, y_test), None


def _run_chunk(task: dict[str, Any]) -> list[tuple[int, int, Any, Any, str | None]]:
    """Run the replicates of one chunk; returns ``(replicate, fold, training, test, reason)``."""
    from threadpoolctl import threadpool_limits

    x, y, w, penalty = task["x"], task["y"], task["w"], task["penalty"]
    units: ResamplingUnits | None = task["units"]
    out = []
    with threadpool_limits(limits=1):
        for rep, seq in task["seeds"]:
            rng = np.random.default_rng(seq)
            if task["method"] == "bootstrap":
                if units is None:
                    rows = rng.integers(0, y.size, y.size)
                else:
                    rows = units.draw(rng)
                train, test = rows, np.arange(y.size)
                out.append((rep, 0, *_one(x, y, w, penalty, train, test)))
            else:
                fold = _folds(y, task["folds"], rng)
                for k in range(task["folds"]):
                    train, test = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
                    out.append((rep, k, *_one(x, y, w, penalty, train, test)))
    return out


def _chunks(seeds: list, n_workers: int) -> Iterator[list]:
    size = max(1, -(-len(seeds) // (4 * n_workers)))
    for start in range(0, len(seeds), size):
        yield seeds[start : start + size]


def _executor(n_workers: int) -> Executor:
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context(method))


def internal_validation(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    penalty: str | None,
    *,
    method: str = "bootstrap",
    n_bootstrap: int = 200,
    folds: int = 10,
    repeats: int = 20,
    seed: int | None = 20240601,
    n_jobs: int = -1,
    progress: bool | None = None,
    units: ResamplingUnits | None = None,
    eta: np.ndarray | None = None,
) -> ValidationOutcome:
    """Optimism-corrected performance by the bootstrap or by repeated k-fold cross-validation.

    Bootstrap (Harrell 2015, sec. 5.3.5; ``rms::validate(method = "boot")``): in each of
    ``n_bootstrap`` replicates the model is refitted on a resample of the rows (of whole PSUs
    within strata when ``units`` is given) and its performance on the resample (training)
    and on the original rows (test) are recorded; the optimism is their mean difference over
    the successful replicates and the corrected performance is apparent minus optimism.
    Cross-validation (``method = "crossvalidation"``): each of ``repeats`` repeats splits the
    rows into ``folds`` folds stratified by outcome; each fold is left out in turn, training
    is the performance on the other folds and test that on the fold left out.

    Refits that fail (a level absent from the resample, separation, no convergence, a test
    fold with one outcome class) are counted by reason in ``failures``, listed in
    ``replicates`` and left out of the means.
    """
    p = x.shape[1]
    if eta is None:
        eta = x @ refit(x, y, w, penalty)[0] if p else np.zeros(y.size)
    apparent = performance(eta, y)
    n_jobs_used = resolve_jobs(n_jobs)
    if method == "none":
        table = pd.DataFrame({"statistic": list(STATISTICS), "apparent": apparent})
        for column in ("training", "test", "optimism", "corrected"):
            table[column] = np.nan
        table["n"] = 0
        return ValidationOutcome(method, table, pd.DataFrame(), 0, 0, {}, seed, n_jobs_used)
    count = n_bootstrap if method == "bootstrap" else repeats
    seeds = list(enumerate(np.random.SeedSequence(seed).spawn(count)))
    base = {
        "x": x,
        "y": y,
        "w": w,
        "penalty": penalty,
        "units": units,
        "method": method,
        "folds": folds,
    }
    tasks = [{**base, "seeds": chunk} for chunk in _chunks(seeds, n_jobs_used)]
    rows: list[tuple] = []
    label = "bootstrap" if method == "bootstrap" else f"{folds}-fold cross-validation"
    with progress_bar(count, desc=label, unit="replicate", enabled=progress) as bar:
        if n_jobs_used == 1:
            for task in tasks:
                rows.extend(_run_chunk(task))
                bar.update(len(task["seeds"]))
        else:
            with warnings.catch_warnings():
                # Python 3.12+: fork with BLAS threads started; workers only compute
                warnings.filterwarnings("ignore", "This process .* is multi-threaded")
                with _executor(n_jobs_used) as pool:
                    futures = {pool.submit(_run_chunk, task): len(task["seeds"]) for task in tasks}
                    for future in as_completed(futures):
                        rows.extend(future.result())
                        bar.update(futures[future])
    return _summarise(method, apparent, rows, count, seed, n_jobs_used, folds)


def _summarise(method, apparent, rows, count, seed, n_jobs, folds) -> ValidationOutcome:
    rows = sorted(rows, key=lambda r: (r[0], r[1]))
    ok = [r for r in rows if r[4] is None]
    m = len(STATISTICS)
    training = np.array([r[2] for r in ok]).reshape(-1, m)
    test = np.array([r[3] for r in ok]).reshape(-1, m)
    optimism_each = training - test
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a statistic NaN in every replicate
        optimism = np.nanmean(optimism_each, axis=0) if len(ok) else np.full(m, np.nan)
        train_mean = np.nanmean(training, axis=0) if len(ok) else np.full(m, np.nan)
        test_mean = np.nanmean(test, axis=0) if len(ok) else np.full(m, np.nan)
    table = pd.DataFrame(
        {
            "statistic": list(STATISTICS),
            "apparent": apparent,
            "training": train_mean,
            "test": test_mean,
            "optimism": optimism,
            "corrected": apparent - optimism,
            "n": np.sum(np.isfinite(optimism_each), axis=0).astype(int),
        }
    )
    records = []
    for rep, fold, tr, te, reason in rows:
        record = {"replicate": rep, "fold": fold, "failed": reason}
        for j, name in enumerate(STATISTICS):
            record[f"training_{name}"] = np.nan if tr is None else tr[j]
            record[f"test_{name}"] = np.nan if te is None else te[j]
        records.append(record)
    failures = dict(Counter(r[4] for r in rows if r[4] is not None))
    return ValidationOutcome(
        method=method,
        table=table,
        replicates=pd.DataFrame.from_records(records),
        requested=len(rows),
        successful=len(ok),
        failures=failures,
        seed=seed,
        n_jobs=n_jobs,
        folds=folds if method == "cv" else None,
    )
