"""Targets and the markdown table of ``bench_scale.py``.

Throughput is runs per second (runs of the log / best seconds), so tools measured on logs of
different sizes compare: at 100 M runs the kernel's throughput is the one measured on the 11 M
log. A ratio ``x kernel_t1`` is the tool's throughput over ``kernel_t1``'s (above 1: faster
than the kernel on one thread). A target whose tools gave tables different from the kernel's
is not met, whatever its speed.

Examples
--------
>>> from _scale_report import evaluate_targets  # run from benchmarks/
>>> sizes = {"11m": {"data": {"runs": 100}, "tools": {
...     "kernel_t1": {"status": "ok", "runs_per_s": 10.0},
...     "kernel_t2": {"status": "ok", "runs_per_s": 18.0, "equal_to_kernel": True}}}}
>>> first, second = evaluate_targets(sizes)[:2]
>>> first["name"], round(first["value"], 2), first["status"]
('kernel_t2 / kernel_t1 throughput', 1.8, 'met')
>>> second["name"], second["status"]
('dask_w1 / kernel_t1 throughput', 'not run')
"""

from __future__ import annotations

from typing import Any

__all__ = ["evaluate_targets", "markdown"]

GIB = 1024.0  # peak RSS is in MB of 2**20 bytes; 4 GB is read as 4 GiB = 4096 MB


def _ok(sizes: dict, size: str, tool: str) -> dict | None:
    entry = sizes.get(size, {}).get("tools", {}).get(tool)
    return entry if entry and entry.get("status") == "ok" else None


def _equal(*entries: dict) -> bool:
    return all(e.get("equal_to_kernel", True) is not False for e in entries)


def _target(name: str, value: float | None, rule: str, met: bool, *entries: dict) -> dict:
    if value is None:
        return {"name": name, "value": None, "rule": rule, "status": "not run"}
    status = "met" if met and _equal(*entries) else "not met"
    if met and not _equal(*entries):
        status = "not met (tables differ from the kernel's)"
    return {"name": name, "value": value, "rule": rule, "status": status}


def _speedup(sizes: dict, size: str, fast: str, slow: str, at_least: float) -> dict:
    a, b = _ok(sizes, size, fast), _ok(sizes, size, slow)
    value = a["runs_per_s"] / b["runs_per_s"] if a and b else None
    name = f"{fast} / {slow} throughput"
    if size != "11m":
        name += f" ({size})"
    return _target(
        name, value, f">= {at_least}", bool(value and value >= at_least), a or {}, b or {}
    )


def best_kernel(sizes: dict) -> tuple[str, dict] | None:
    """The kernel setting of highest throughput on the 11 M log."""
    kernels = {t: e for t, e in sizes.get("11m", {}).get("tools", {}).items()}
    kernels = {
        t: e for t, e in kernels.items() if t.startswith("kernel_t") and e["status"] == "ok"
    }
    if not kernels:
        return None
    return max(kernels.items(), key=lambda item: item[1]["runs_per_s"])


def evaluate_targets(sizes: dict) -> list[dict[str, Any]]:
    """Each target: ``name``, ``value``, ``rule``, ``status`` (met / not met / not run)."""
    targets = [
        _speedup(sizes, "11m", "kernel_t2", "kernel_t1", 1.7),
        _speedup(sizes, "11m", "dask_w1", "kernel_t1", 0.6),
        _speedup(sizes, "11m", "dask_w2", "dask_w1", 1.6),
        _speedup(sizes, "11m", "dask_w16", "dask_w1", 8.0),
    ]
    if _ok(sizes, "100m", "dask_w1"):
        targets.append(_speedup(sizes, "100m", "dask_w2", "dask_w1", 1.6))
    kernel = best_kernel(sizes)
    for tool in ("stream", "stream_unsorted"):
        entry = _ok(sizes, "100m", tool)
        if tool == "stream_unsorted" and entry is None:
            continue
        value = entry["runs_per_s"] / kernel[1]["runs_per_s"] if entry and kernel else None
        name = f"{tool} 100 M throughput / best kernel 11 M ({kernel[0] if kernel else '-'})"
        targets.append(
            _target(name, value, ">= 1/1.5 = 0.667", bool(value and value >= 1 / 1.5), entry or {})
        )
        peak = entry["peak_rss_mb"] if entry else None
        name = f"{tool} 100 M peak RSS (MB)"
        targets.append(
            _target(name, peak, "< 4 GiB = 4096", bool(peak and peak < 4 * GIB), entry or {})
        )
    return targets


# ------------------------------------------------------------------------------ markdown
def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _rows(size: str, block: dict, sizes: dict) -> list[str]:
    base = {
        t: _ok(sizes, "11m" if size == "100m" else size, t) for t in ("kernel_t1", "kernel_t2")
    }
    rows = [
        "| tool | best seconds (all) | runs/s | x kernel_t1 | x kernel_t2 | peak RSS MB "
        "(Dask workers: sum / max) | equal to kernel |",
        "|---|---|---|---|---|---|---|",
    ]
    for tool, entry in block["tools"].items():
        if entry["status"] != "ok":
            reason = entry["reason"].strip().splitlines()[-1][:120].replace("|", "/")
            rows.append(f"| {tool} | {entry['status']}: {reason} | | | | | |")
            continue
        every = ", ".join(f"{s:.2f}" for s in entry["seconds_all"])
        ratios = [
            _number(entry["runs_per_s"] / b["runs_per_s"]) if b else "-" for b in base.values()
        ]
        peak = _number(entry["peak_rss_mb"], 0)
        if "workers_peak_rss_sum_mb" in entry:
            peak += (
                f" ({_number(entry['workers_peak_rss_sum_mb'], 0)} / "
                f"{_number(entry['workers_peak_rss_max_mb'], 0)})"
            )
        if tool == "kernel_t1" and "equal_to_kernel" not in entry:
            equal = "reference"
        elif entry.get("equal_to_kernel", False) is None:
            equal = "not checked (no kernel tables)"
        else:
            equal = "yes" if entry.get("equal_to_kernel") else f"NO: {entry.get('mismatches')}"
        rows.append(
            f"| {tool} | {entry['seconds_best']:.2f} ({every}) | {entry['runs_per_s']:,.0f} | "
            f"{ratios[0]} | {ratios[1]} | {peak} | {equal} |"
        )
    return rows


def markdown(record: dict) -> str:
    """The results of ``record`` (``scale.json``) as a markdown page."""
    m = record["machine"]
    load = ", ".join(f"{x:.2f}" for x in m.get("load_average_start", []))
    lines = [
        "# Scale benchmark of the training-load engines",
        "",
        f"Created {record['created']} by `benchmarks/bench_scale.py`. Machine: "
        f"{m.get('cpu_model', m.get('processor'))}, {m['cpu_count']} cores, {m['memory_gb']} GB; "
        f"load average at start {load}. Python {m['python']}, numpy {m['numpy']}, pandas "
        f"{m['pandas']}, Polars {m['polars']}, DuckDB {m['duckdb']}, Dask {m.get('dask')}.",
        "",
        record["timed"] + ". Throughput ratios: tool runs/s over the kernel's runs/s (at 100 M "
        "runs, the kernel's on the 11 M log).",
    ]
    for size, block in record["sizes"].items():
        data = block["data"]
        lines += [
            "",
            f"## {size}: {data['runs']:,} runs, {data['n_runners']:,} runners x "
            f"{data['weeks']} weeks ({data['generator']}), best of {block['repeats']}",
            "",
        ]
        if "checked_runners" in data:
            lines += [
                f"Tables checked against the kernel on {data['checked_runners']:,} runners "
                "spread over the ids.",
                "",
            ]
        lines += _rows(size, block, record["sizes"])
    lines += ["", "## Targets", "", "| target | value | rule | status |", "|---|---|---|---|"]
    for t in record["targets"]:
        lines.append(f"| {t['name']} | {_number(t['value'])} | {t['rule']} | {t['status']} |")
    return "\n".join(lines) + "\n"
