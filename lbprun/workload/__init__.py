"""Training load from run logs: weekly distance, progression, single-run spikes, ACWR,
monotony and strain, shoe mileage, surfaces and model-ready exposures.

The pandas engine keeps the prepared runner x day grid of the last few frames it saw, so that
separate calls on one frame sort it once; :func:`clear_cache`, :func:`cache_info` and
:func:`set_cache_size` (``0`` turns it off) control that cache.

For logs larger than memory, :func:`sort_by_runner` and :func:`write_runner_buckets` lay a
log out so the streaming and Dask engines read whole runners without a shuffle, and
:func:`choose_engine` says which engine ``engine="auto"`` takes (see
:mod:`lbprun.workload.engines`).
"""

from typing import Any

from lbprun.workload._cache import CacheInfo, cache_info, clear_cache, set_cache_size

__all__ = [
    "CacheInfo",
    "cache_info",
    "choose_engine",
    "clear_cache",
    "set_cache_size",
    "sort_by_runner",
    "write_runner_buckets",
]

_LOGS = ("choose_engine", "sort_by_runner", "write_runner_buckets")


def __getattr__(name: str) -> Any:
    # imported on first use: the log tools need pyarrow (the scale extra), the kernel does not
    if name in _LOGS:
        from lbprun.workload import logs

        return getattr(logs, name)
    raise AttributeError(f"module 'lbprun.workload' has no attribute {name!r}")
