"""Training load from run logs: weekly distance, progression, single-run spikes, ACWR,
monotony and strain, shoe mileage, surfaces and model-ready exposures.

The pandas engine keeps the prepared runner x day grid of the last few frames it saw, so that
separate calls on one frame sort it once; :func:`clear_cache`, :func:`cache_info` and
:func:`set_cache_size` (``0`` turns it off) control that cache.
"""

from lbprun.workload._cache import CacheInfo, cache_info, clear_cache, set_cache_size

__all__ = ["CacheInfo", "cache_info", "clear_cache", "set_cache_size"]
