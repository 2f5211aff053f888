"""Load benchmark of the clinic JSON API: latency of ``POST /api/score`` at fixed rates.

A real server (``lbprun serve --demo --rate-limit 0``, uvicorn, one process) runs in a
subprocess on a free loopback port. An ``httpx.AsyncClient`` sends the same runner at fixed
request rates (open loop: request ``i`` is sent at ``start + i / rate`` whether or not earlier
answers have come back), for ``--seconds`` at each rate, and records the latency of each
request (send to full answer). The rate steps stop early once the server cannot keep up
(fewer than 90 % of the requests answered within the step). A last closed-loop step with
``--workers`` concurrent clients, each sending the next request as soon as the last one is
answered, gives the throughput at saturation. Everything is bounded: at most
``--max-seconds`` of sending in all (default 20 s) and ``rate x seconds`` requests per step.

The client and the server share the machine's cores, so the numbers are a floor for the
server alone.

Usage::

    python benchmarks/bench_web.py
    python benchmarks/bench_web.py --rates 50,100 --seconds 1

Results go to ``benchmarks/results/web.json`` and ``web.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
RUNNER = {"age": 45, "sex": "M", "prior_lbp": True, "strength_training": False, "weekly_km": 40}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


#: Pause before the closed-loop step, so that it does not measure a backlog.
_DRAIN_SECONDS = 5.0


async def _fixed_rate(client: httpx.AsyncClient, url: str, rate: float, seconds: float) -> dict:
    count = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()

    async def one(i: int) -> None:
        nonlocal errors
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent = time.perf_counter()
        try:
            answer = await client.post(url, json=RUNNER)
            if answer.status_code != 200:
                errors += 1
                return
        except httpx.HTTPError:
            errors += 1
            return
        latencies.append(time.perf_counter() - sent)

    tasks = [asyncio.create_task(one(i)) for i in range(count)]
    done, pending = await asyncio.wait(tasks, timeout=seconds + 2.0)
    for task in pending:
        task.cancel()
    elapsed = time.perf_counter() - start
    return {
        "target_rate": rate,
        "requests": count,
        "answered": len(latencies),
        "errors": errors,
        "unfinished": len(pending),
        "achieved_rate": len(latencies) / elapsed,
        "p50_ms": 1000 * _percentile(latencies, 0.50),
        "p99_ms": 1000 * _percentile(latencies, 0.99),
    }


async def _saturation(client: httpx.AsyncClient, url: str, workers: int, seconds: float) -> dict:
    latencies: list[float] = []
    end = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < end:
            sent = time.perf_counter()
            answer = await client.post(url, json=RUNNER)
            if answer.status_code == 200:
                latencies.append(time.perf_counter() - sent)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    elapsed = time.perf_counter() - start
    return {
        "workers": workers,
        "answered": len(latencies),
        "throughput_per_s": len(latencies) / elapsed,
        "p50_ms": 1000 * _percentile(latencies, 0.50),
        "p99_ms": 1000 * _percentile(latencies, 0.99),
    }


async def _run(url: str, rates: list[float], seconds: float, workers: int, budget: float) -> dict:
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:
        for _ in range(50):  # warm-up
            await client.post(url, json=RUNNER)
        steps, used = [], 0.0
        for rate in rates:
            if used + seconds > budget - seconds:
                break
            step = await _fixed_rate(client, url, rate, seconds)
            used += seconds
            steps.append(step)
            if step["answered"] < 0.9 * step["requests"]:
                break
        # let the server drain what an overloaded step left in flight before the closed loop
        await asyncio.sleep(_DRAIN_SECONDS)
        for _ in range(20):
            await client.post(url, json=RUNNER)
        saturation = await _saturation(client, url, workers, max(seconds, 2.0))
    return {"rates": steps, "saturation": saturation}


def _markdown(result: dict) -> str:
    lines = [
        "# Clinic JSON API under load (`POST /api/score`)",
        "",
        f"{result['machine']}; one uvicorn process serving the demonstration model "
        "(`lbprun serve --demo --rate-limit 0`), loopback, client (httpx.AsyncClient) on the "
        "same cores. The machine is shared with other work, so the numbers vary between runs.",
        "",
        "| target req/s | sent | answered | achieved req/s | p50 ms | p99 ms |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for s in result["rates"]:
        lines.append(
            f"| {s['target_rate']:.0f} | {s['requests']} | {s['answered']} | "
            f"{s['achieved_rate']:.0f} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} |"
        )
    sat = result["saturation"]
    lines += [
        "",
        f"Saturation ({sat['workers']} concurrent clients, closed loop): "
        f"**{sat['throughput_per_s']:.0f} req/s**, p50 {sat['p50_ms']:.1f} ms, "
        f"p99 {sat['p99_ms']:.1f} ms ({sat['answered']} requests).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="50,100,200,400,800", help="req/s steps")
    parser.add_argument("--seconds", type=float, default=2.5, help="seconds per step (2.5)")
    parser.add_argument("--workers", type=int, default=16, help="clients at saturation (16)")
    parser.add_argument("--max-seconds", type=float, default=20.0, help="sending budget (20)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lbprun",
            "serve",
            "--demo",
            "--port",
            str(port),
            "--rate-limit",
            "0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/api/model", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.1)
        measured = asyncio.run(
            _run(base + "/api/score", rates, args.seconds, args.workers, args.max_seconds)
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    result = {
        "benchmark": "web",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} CPU cores ({platform.machine()}, {platform.system()}, "
        f"Python {platform.python_version()}, shared)",
        "seconds_per_step": args.seconds,
        **measured,
    }
    text = _markdown(result)
    print(text)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "web.json").write_text(json.dumps(result, indent=2) + "\n")
        (RESULTS / "web.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
