"""Run one hostile case in a child process with a time and memory limit.

The parent calls :func:`run_isolated`; the child (a fresh process from a fork server that has
lbprun and its dependencies imported) writes the case's files, caps its address space, runs the
case and reports what happened. Outcomes:

- ``"ok"``: the call returned and ``check`` passed (or the named error was raised and its
  ``check`` passed);
- ``"wrong"``: a result or error other than the one the case expects (the message says which);
- ``"crash"``: the process died (a signal, a segmentation fault) or ran out of memory;
- ``"timeout"``: it ran past the time limit.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import time
import traceback
from pathlib import Path
from typing import Any

__all__ = ["LIMIT_MB", "LIMIT_S", "files_under", "run_case", "run_isolated"]

LIMIT_S = 5.0
LIMIT_MB = 500.0

_PRELOAD = ["analyses.hostile._warm"]


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _vm_bytes() -> int:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[0])
    return pages * os.sysconf("SC_PAGE_SIZE")


def files_under(folder: Path) -> set[str]:
    """Every file and link under ``folder``, as paths relative to it."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() or p.is_symlink()}


def run_case(name: str, root: Path, limit_mb: float = LIMIT_MB) -> dict[str, Any]:
    """Run case ``name`` in ``root/name/`` (in this process) and describe the outcome."""
    import lbprun  # noqa: F401  (imported before the memory cap)
    from analyses.hostile import all_cases

    case = all_cases()[name]
    folder = root / name
    source, out = folder / "input", folder / "out"
    source.mkdir(parents=True)
    out.mkdir()
    path = case.make(source)
    baseline = _rss_mb()
    cap = _vm_bytes() + int(limit_mb * 2**20) + 256 * 2**20  # thread stacks, allocator arenas
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    cwd = os.getcwd()
    os.chdir(out)
    started = time.perf_counter()
    report: dict[str, Any] = {"name": name}
    try:
        result = case.run(path, out)
    except MemoryError:
        report.update(outcome="crash", detail="MemoryError")
    except Exception as exc:
        report.update(_judge_error(case, exc, path, out))
    else:
        report.update(_judge_result(case, result, path, out))
    finally:
        os.chdir(cwd)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    report["seconds"] = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report["memory_mb"] = max(0.0, peak - baseline)
    return report


def _judge_error(case, exc: BaseException, path: Path, out: Path) -> dict[str, Any]:
    from lbprun.exceptions import LbprunError

    name = type(exc).__name__
    if case.expect == "ok":
        return {
            "outcome": "wrong",
            "detail": f"expected a result, got {name}: {exc}\n"
            + "".join(traceback.format_exception(exc))[-3000:],
        }
    if not isinstance(exc, LbprunError) or not any(
        cls.__name__ == case.expect for cls in type(exc).__mro__
    ):
        return {
            "outcome": "wrong",
            "detail": f"expected {case.expect}, got {name}: {exc}\n"
            + "".join(traceback.format_exception(exc))[-3000:],
        }
    if path.name not in str(exc):
        return {"outcome": "wrong", "detail": f"{name} does not name {path.name!r}: {exc}"}
    if case.check is not None:
        try:
            case.check(exc, path, out)
        except AssertionError as failed:
            return {"outcome": "wrong", "detail": f"check failed on {name}: {failed}"}
    return {"outcome": "ok", "detail": f"{name}: {str(exc)[:300]}"}


def _judge_result(case, result: Any, path: Path, out: Path) -> dict[str, Any]:
    if case.expect != "ok":
        return {"outcome": "wrong", "detail": f"expected {case.expect}, got a result"}
    if case.check is not None:
        try:
            case.check(result, path, out)
        except AssertionError as failed:
            return {
                "outcome": "wrong",
                "detail": f"check failed: {failed}\n" + traceback.format_exc()[-2000:],
            }
    return {"outcome": "ok", "detail": "result"}


def _child(name: str, root: str, limit_mb: float, conn) -> None:
    try:
        report = run_case(name, Path(root), limit_mb)
    except BaseException as exc:
        report = {
            "name": name,
            "outcome": "crash",
            "detail": "".join(traceback.format_exception(exc))[-3000:],
        }
    conn.send(report)
    conn.close()


_CONTEXT = None


def _context():
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = mp.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(_PRELOAD)
    return _CONTEXT


def run_isolated(
    name: str, root: Path, *, limit_s: float = LIMIT_S, limit_mb: float = LIMIT_MB
) -> dict[str, Any]:
    """Run case ``name`` in a child process; kill it after ``limit_s`` seconds."""
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(name, str(root), limit_mb, send), daemon=True)
    started = time.perf_counter()
    process.start()
    send.close()
    # the child's own clock starts after its files are written; allow start-up on top.
    if receive.poll(limit_s + 60.0):
        try:
            report = receive.recv()
        except EOFError:
            report = None
    else:
        report = None
    process.join(2.0)
    if process.is_alive():
        process.kill()
        process.join()
        return {
            "name": name,
            "outcome": "timeout",
            "detail": f"still running after {time.perf_counter() - started:.1f} s",
        }
    if report is None:
        return {
            "name": name,
            "outcome": "crash",
            "detail": f"process ended with exit code {process.exitcode}",
        }
    if report.get("outcome") == "ok" and report.get("seconds", 0.0) > limit_s:
        report.update(outcome="timeout", detail=f"took {report['seconds']:.1f} s")
    if report.get("outcome") == "ok" and report.get("memory_mb", 0.0) > limit_mb:
        report.update(outcome="wrong", detail=f"used {report['memory_mb']:.0f} MB")
    return report
