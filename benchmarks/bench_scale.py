"""Scale benchmark of lbprun's training-load engines: kernel threads, streaming, DuckDB, Dask.

Every tool and setting runs in a FRESH PROCESS on the same Parquet log; the child times one
call from the start of reading the log to all six tables written as Parquet (imports and the
Dask cluster's start excluded; see ``_scale_child.py``) and reports its peak RSS and, for Dask,
each worker's. Every tool's tables are checked against the kernel's (``kernel_t1``), sorted by
their keys (floats to 1e-9 absolute or relative, classes and flags exactly); a mismatch is a
failure in the results. The best of ``--repeats`` processes is kept.

Sizes: ``11m`` (the 11 M-run log of ``bench_workload.py``: 20,000 runners x 156 weeks) and
``100m`` (about 100 M runs: 200,000 runners of ``_synthetic_log.py``, written chunk by chunk;
streaming and Dask only, checked against the kernel on a sample of runners; the kernel's
throughput for the ratios comes from the ``11m`` results of the same file, or is measured on
the 11 M log in the same invocation).

Usage::

    python benchmarks/bench_scale.py                          # 11 M runs, 3 repeats
    python benchmarks/bench_scale.py --size 100m              # 100 M runs, 1 repeat
    python benchmarks/bench_scale.py --workers-max 16         # adds kernel_t4..16, dask_w4..16
    python benchmarks/bench_scale.py --n-runners 200 --repeats 1 --results /tmp/x.json

Results: ``benchmarks/results/scale.json`` and ``scale.md`` (next to the JSON).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _scale_child import (  # noqa: E402
    extract_runners,
    parse_tool,
    run_tool,
    sample_runners,
    shuffled_copy,
    table_path,
)
from _scale_report import evaluate_targets, markdown  # noqa: E402
from bench_workload import CACHE, TABLES, compare, default_generator, log_path, machine  # noqa: E402

RESULTS = HERE / "results" / "scale.json"
COUNTS = (1, 2, 4, 8, 16)
BASE_TOOLS = ("kernel_t1", "kernel_t2", "stream", "stream_unsorted", "duckdb_engine")
BASE_TOOLS += ("duckdb_sql", "polars", "dask_w1", "dask_w2")
SIZES = {"11m": (20_000, None), "100m": (200_000, "synthetic")}


def default_tools(size: str, workers_max: int) -> list[str]:
    """The tools of a size: all at 11 M; streaming (sorted, shuffled) and Dask at 100 M."""
    extra = [n for n in COUNTS if 2 < n <= workers_max]
    if size == "100m":
        return ["stream", "stream_unsorted", "dask_w2", *(f"dask_w{n}" for n in extra)]
    return [*BASE_TOOLS, *(f"{kind}{n}" for n in extra for kind in ("kernel_t", "dask_w"))]


def machine_info() -> dict:
    """Versions, cores and memory (``bench_workload.machine``), CPU model, load average."""
    info = machine()
    import dask
    import distributed

    info.update(dask=dask.__version__, distributed=distributed.__version__)
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info["load_average_start"] = list(os.getloadavg())
    return info


# ------------------------------------------------------------------------------ one process
def run_child(tool: str, data: Path, out: Path, args: argparse.Namespace) -> dict:
    """Run ``tool`` in a fresh process; a crash becomes a ``failed`` record."""
    shutil.rmtree(out, ignore_errors=True)
    options = {
        "batch_rows": args.batch_rows,
        "temp_directory": args.temp_directory,
        "memory_limit": args.memory_limit,
    }
    command = [sys.executable, str(Path(__file__).resolve()), "--child", tool]
    command += ["--data", str(data), "--out", str(out), "--options", json.dumps(options)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"tool": tool, "status": "failed", "reason": f"timed out after {args.timeout} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        reason = f"exit {done.returncode}:\n{done.stderr[-3000:]}"
        return {"tool": tool, "status": "failed", "reason": reason}
    return json.loads(lines[-1])


def measure(tool: str, data: Path, folder: Path, args: argparse.Namespace) -> dict:
    """``--repeats`` fresh processes; the first keeps its tables in ``folder / tool``."""
    runs = []
    for repeat in range(args.repeats):
        out = folder / (tool if repeat == 0 else f"{tool}_repeat")
        runs.append(run_child(tool, data, out, args))
        if repeat:
            shutil.rmtree(out, ignore_errors=True)
        last = runs[-1]
        if last["status"] != "ok":
            print(f"  {tool}: {last['status']}: {last['reason'].splitlines()[-1]}", flush=True)
            return {"status": last["status"], "reason": last["reason"]}
        print(
            f"  {tool} #{repeat + 1}: {last['seconds']:.2f} s, "
            f"peak RSS {last['peak_rss_mb']:.0f} MB",
            flush=True,
        )
    seconds = [r["seconds"] for r in runs]
    entry = {
        "status": "ok",
        "seconds_best": min(seconds),
        "seconds_all": seconds,
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "rss_before_mb": runs[0]["rss_before_mb"],
    }
    if "workers_peak_rss_mb" in runs[0]:
        entry["workers_peak_rss_sum_mb"] = max(r["workers_peak_rss_sum_mb"] for r in runs)
        entry["workers_peak_rss_max_mb"] = max(r["workers_peak_rss_max_mb"] for r in runs)
        entry["workers_peak_rss_mb"] = runs[0]["workers_peak_rss_mb"]
    return entry


def check(entry: dict, reference: Path, got: Path, runners: list[str] | None) -> None:
    """Record the mismatches of ``got`` against the kernel's tables in ``reference``."""
    if runners is not None:  # cut the tool's tables down to the sample the kernel ran on
        cut = got.with_name(got.name + "_sample")
        for key in TABLES:
            extract_runners(table_path(got, key), cut / f"{key}.parquet", runners)
        got = cut
    view = got.with_name(got.name + "_view")  # bench_workload.compare reads <key>.parquet
    shutil.rmtree(view, ignore_errors=True)
    view.mkdir(parents=True)
    for key in TABLES:
        (view / f"{key}.parquet").symlink_to(table_path(got, key).resolve())
    try:
        entry["mismatches"] = compare(reference, view, None)
    except Exception as error:  # an unreadable output is a failure
        entry["mismatches"] = {"error": f"{type(error).__name__}: {error}"}
    finally:
        shutil.rmtree(view, ignore_errors=True)
    entry["equal_to_kernel"] = "error" not in entry["mismatches"] and all(
        set(t) == {"rows"} and t["rows"][0] == t["rows"][1] for t in entry["mismatches"].values()
    )


# ------------------------------------------------------------------------------ one size
def size_data(size: str, args: argparse.Namespace) -> tuple[Path, dict]:
    default_runners, generator = SIZES[size]
    n_runners = args.n_runners or default_runners
    generator = generator or args.generator or default_generator()
    print(f"log: {n_runners:,} runners x {args.weeks} weeks ({generator}) ...", flush=True)
    path = log_path(n_runners, args.weeks, args.seed, generator)
    import pyarrow.parquet as pq

    n_runs = pq.ParquetFile(path).metadata.num_rows
    print(f"log: {path} ({n_runs:,} runs)", flush=True)
    info = {"generator": generator, "n_runners": n_runners, "weeks": args.weeks}
    info.update(seed=args.seed, runs=n_runs, path=str(path.relative_to(HERE.parent)))
    return path, info


def bench_size(size: str, tools: list[str], args: argparse.Namespace) -> dict:
    """Measure and check ``tools`` on the log of ``size``."""
    path, info = size_data(size, args)
    folder = CACHE / f"scale_{size}"
    shutil.rmtree(folder, ignore_errors=True)
    runners = None
    if size == "100m":  # the kernel's reference on a sample of runners
        runners = sample_runners(path, args.check_runners)
        sample_log = extract_runners(path, folder / "sample_log.parquet", runners)
        reference = run_child("kernel_t1", sample_log, folder / "reference", args)
        if reference["status"] == "ok":
            info["checked_runners"] = len(runners)
        else:  # the tools still run; their tables are marked as not checked
            print(f"  kernel on the sample: {reference['status']}", flush=True)
            info["reference_failed"] = reference["reason"]
            shutil.rmtree(folder / "reference", ignore_errors=True)
    else:  # the kernel on one thread runs first: its tables are the reference
        tools = ["kernel_t1", *(t for t in tools if t != "kernel_t1")]
    results: dict = {}
    for tool in tools:
        data = path
        if tool == "stream_unsorted" and results.get("stream", {}).get("status") == "unavailable":
            results[tool] = results["stream"]  # no need to shuffle the log
            print(f"  {tool}: unavailable (as stream)", flush=True)
            continue
        if tool == "stream_unsorted":
            print("  shuffling the log ...", flush=True)
            target = path.with_name(path.stem + "_shuffled.parquet")
            data = shuffled_copy(path, target, CACHE / "spill")
            shutil.rmtree(CACHE / "spill", ignore_errors=True)
        entry = measure(tool, data, folder, args)
        if entry["status"] == "ok":
            entry["runs_per_s"] = info["runs"] / entry["seconds_best"]
            if tool == "kernel_t1" and runners is None:
                (folder / tool).rename(folder / "reference")
            elif not (folder / "reference").exists():
                entry["equal_to_kernel"] = None  # not checked: the kernel did not run
            else:
                check(entry, folder / "reference", folder / tool, runners)
                if not entry["equal_to_kernel"]:
                    print(f"  {tool}: NOT EQUAL to the kernel: {entry['mismatches']}", flush=True)
            if tool != "kernel_t1" and not args.keep_outputs:
                for suffix in ("", "_sample"):
                    shutil.rmtree(folder / f"{tool}{suffix}", ignore_errors=True)
        results[tool] = entry
    if not args.keep_outputs:
        shutil.rmtree(folder, ignore_errors=True)
    return {"data": info, "repeats": args.repeats, "tools": results}


def kernel_for_ratios(record: dict, args: argparse.Namespace) -> None:
    """Make sure the 11 M kernel throughput is there for the 100 M ratios."""
    tools = record.get("sizes", {}).get("11m", {}).get("tools", {})
    if any(t.startswith("kernel_t") and v.get("status") == "ok" for t, v in tools.items()):
        return
    print("no 11 M kernel results in this file: measuring the kernel on the 11 M log", flush=True)
    kernel = [f"kernel_t{n}" for n in COUNTS if n <= max(args.workers_max, 2)]
    sub = argparse.Namespace(**{**vars(args), "repeats": args.kernel_repeats})
    record.setdefault("sizes", {})["11m"] = bench_size("11m", kernel, sub)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=tuple(SIZES), default="11m")
    parser.add_argument("--n-runners", type=int, default=None, help="override (smoke runs)")
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--generator", choices=("simulate", "synthetic"), default=None)
    parser.add_argument("--tools", nargs="+", default=None, help="default: all of the size")
    parser.add_argument("--workers-max", type=int, default=2, help="adds kernel_tN / dask_wN")
    parser.add_argument("--repeats", type=int, default=None, help="default 3 (11m), 1 (100m)")
    parser.add_argument("--kernel-repeats", type=int, default=3, help="11 M kernel for 100m")
    parser.add_argument("--check-runners", type=int, default=1000, help="100m: kernel sample")
    parser.add_argument("--batch-rows", type=int, default=None, help="stream engine")
    parser.add_argument("--temp-directory", default=None, help="stream engine spill folder")
    parser.add_argument("--memory-limit", default=None, help="DuckDB engine memory limit")
    parser.add_argument("--timeout", type=float, default=7200.0, help="per process, seconds")
    parser.add_argument("--keep-outputs", action="store_true")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_tool(args.child, args.data, args.out, json.loads(args.options))))
        return 0
    tools = args.tools or default_tools(args.size, args.workers_max)
    for tool in tools:
        parse_tool(tool)  # a misspelt tool stops here, before anything runs
    if args.repeats is None:
        args.repeats = 1 if args.size == "100m" else 3
    previous = json.loads(args.results.read_text()) if args.results.exists() else {}
    record = {
        **previous,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "timed": "one call in a fresh process, from the start of reading the Parquet log to "
        "the six tables written as Parquet (imports and the Dask cluster's start excluded); "
        "best of the repeats; runs_per_s = runs / seconds",
    }
    if args.size == "100m":
        kernel_for_ratios(record, args)
    measured = bench_size(args.size, tools, args)
    earlier = record.setdefault("sizes", {}).get(args.size)
    if earlier and earlier.get("data") == measured["data"]:  # same log: keep the other tools
        measured["tools"] = {**earlier["tools"], **measured["tools"]}
    record["sizes"][args.size] = measured
    record["targets"] = evaluate_targets(record["sizes"])
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(record, indent=2) + "\n")
    report = markdown(record)
    args.results.with_suffix(".md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
