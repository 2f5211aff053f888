"""A core install (``pip install .``, no extras) resolves today's releases and runs the main job.

The test builds a fresh virtual environment, installs lbprun from a copy of this source tree
without any extra (honouring ``PIP_CONSTRAINT``, so the minimum-versions run of ``.ci/run``
installs the declared floors here too), and runs ``lbprun example`` and a read of every bundled example file with
the interpreter of that environment. It also checks that none of the optional packages came
with the core install, so the core stays light.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OPTIONAL = ("pyarrow", "pyreadstat", "gpxpy", "fitdecode", "duckdb", "dask", "polars")

PROBE = """
import importlib.util, json, sys
OPTIONAL = sys.argv[1].split(",")
import numpy, pandas, lbprun
from lbprun.datasets import load_example_activities, load_example_cohort, load_example_survey
sizes = [len(load_example_survey()), len(load_example_cohort()), len(load_example_activities())]
print(json.dumps({
    "pandas": pandas.__version__, "numpy": numpy.__version__, "sizes": sizes,
    "optional": [m for m in OPTIONAL if importlib.util.find_spec(m) is not None],
}))
"""


def _source_copy(target: Path) -> Path:
    """Copy what a source distribution holds, so the build never writes into the checkout."""
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(
        ROOT / "lbprun", target / "lbprun", ignore=shutil.ignore_patterns("__pycache__")
    )
    return target


def test_core_install_runs_the_main_job(tmp_path):
    (tmp_path / "src").mkdir()
    source = _source_copy(tmp_path / "src")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(source)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    probe = subprocess.run(
        [str(python), "-c", PROBE, ",".join(OPTIONAL)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    facts = json.loads(probe.stdout)
    assert facts["optional"] == [], f"the core install pulled in {facts['optional']}"
    assert all(size > 0 for size in facts["sizes"])
    example = subprocess.run(
        [str(env_dir / "bin" / "lbprun"), "example"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert example.returncode == 0, example.stderr[-3000:]
    for section in ("is valid", "Prevalence of lbp_12m", "per 1000 hours", "km10"):
        assert section in example.stdout
    print(f"core install: pandas {facts['pandas']}, numpy {facts['numpy']}", file=sys.stderr)
