"""Execute each notebook once per test run; the notebook and documentation tests share it.

A notebook is run with ``jupyter nbconvert --to notebook --execute`` in a fresh kernel and its
own working folder, exactly as a user would. The executed copy is kept for the rest of the run
in a folder named after the run (pytest-xdist gives every worker of one run the same id), and a
lock per notebook makes a second worker wait for the first instead of running it again. The
documentation build then shows these executed notebooks rather than executing them a second
time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

try:  # POSIX; elsewhere a notebook may simply be executed once per worker
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid{os.getpid()}"
FOLDER = Path(tempfile.gettempdir()) / f"lbprun-notebooks-{RUN_ID}"
#: The executed notebooks, under their own names.
EXECUTED = FOLDER / "executed"


def execute(path: Path) -> dict:
    """Execute ``path`` once in this test run; return its ``returncode``, ``stderr`` and file."""
    EXECUTED.mkdir(parents=True, exist_ok=True)
    record = FOLDER / f"{path.stem}.json"
    with (FOLDER / f"{path.stem}.lock").open("w") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        if record.exists():
            return json.loads(record.read_text())
        work = FOLDER / path.stem
        work.mkdir(exist_ok=True)
        source = work / path.name
        shutil.copyfile(path, source)
        command = [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--ExecutePreprocessor.timeout=600",
            "--output-dir",
            str(EXECUTED),
            "--output",
            path.stem,
            str(source),
        ]
        env = {**os.environ, "MPLBACKEND": "Agg"}
        done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
        result = {
            "returncode": done.returncode,
            "stderr": done.stderr[-4000:],
            "executed": str(EXECUTED / path.name),
        }
        record.write_text(json.dumps(result))
        return result
