"""In a process where MALLOC_TRIM_THRESHOLD_ is set (every Dask worker), large temporaries are
served from the heap again once the workload engine has run there."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lbprun.workload import _allocator
from lbprun.workload._allocator import MMAP_THRESHOLD, should_restore

#: Allocates and frees a 4 MiB block, then counts glibc's mapped blocks while holding another,
#: before and after restore_mmap_threshold (mallinfo2().hblks: blocks served by mmap).
PROBE = """
import ctypes, json
import numpy as np
from lbprun.workload._allocator import restore_mmap_threshold

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2

def mapped_while_holding():
    np.ones(2**19).sum()              # 4 MiB allocated and freed
    held = np.ones(2**19)
    count = libc.mallinfo2().hblks
    del held
    return count

before = mapped_while_holding()
restored = restore_mmap_threshold()
after = mapped_while_holding()
print(json.dumps({"before": before, "restored": restored, "after": after,
                  "again": restore_mmap_threshold()}))
"""


def probe(environ: dict[str, str]) -> dict:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**env, **environ},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _has_glibc_mallinfo2() -> bool:
    import ctypes

    try:
        return hasattr(ctypes.CDLL("libc.so.6"), "mallinfo2")
    except OSError:
        return False


glibc = pytest.mark.skipif(not _has_glibc_mallinfo2(), reason="glibc 2.33+ (mallinfo2)")


@glibc
def test_a_trim_threshold_makes_every_large_block_a_mapping_until_restored():
    got = probe({"MALLOC_TRIM_THRESHOLD_": "65536"})
    assert got["before"] >= 1  # the 4 MiB block is mapped afresh: no dynamic threshold
    assert got["restored"] is True and got["again"] is False  # once per process
    assert got["after"] < got["before"]  # now it comes from the heap


@glibc
def test_nothing_changes_without_a_trim_threshold_or_with_a_chosen_mmap_threshold():
    assert probe({})["restored"] is False
    chosen = probe({"MALLOC_TRIM_THRESHOLD_": "65536", "MALLOC_MMAP_THRESHOLD_": "131072"})
    assert chosen["restored"] is False and chosen["after"] >= 1  # the user's choice stands


def test_the_rule():
    trim = {"MALLOC_TRIM_THRESHOLD_": "65536"}
    assert should_restore(trim, "linux")
    assert not should_restore(trim, "darwin") and not should_restore(trim, "win32")
    assert not should_restore({**trim, "MALLOC_MMAP_THRESHOLD_": "1"}, "linux")
    assert MMAP_THRESHOLD == 32 * 2**20


def test_dask_workers_get_it_from_their_first_task():
    distributed = pytest.importorskip("distributed")
    import pandas as pd

    from lbprun.workload.engines import run_workload

    runs = pd.DataFrame(
        {
            "runner_id": ["a", "a", "b"],
            "date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-02"]),
            "distance_km": [5.0, 8.0, 3.0],
            "duration_min": [30.0, 48.0, 20.0],
        }
    )
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        environ = next(iter(client.run(lambda: dict(__import__("os").environ)).values()))
        assert "MALLOC_TRIM_THRESHOLD_" in environ  # set by Dask's nanny
        run_workload(runs, engine="dask", client=client)
        done = client.run(lambda: _allocator._done)
        assert list(done.values()) == [True]
