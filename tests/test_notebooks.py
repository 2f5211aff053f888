"""The notebooks in ``notebooks/``: paired, stored clean, and executed the way a user runs them.

Each notebook is a real Jupyter notebook (``.ipynb``, outputs stripped) paired by jupytext with
a percent script (``.py``) for readable diffs. The tests check that the two hold the same cells,
then run every notebook with ``jupyter nbconvert --execute`` in a fresh kernel. Each notebook
asserts the figures it reproduces, so a figure that drifts fails its notebook, and the test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from notebook_runs import execute

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
SCRIPTS = sorted(NOTEBOOK_DIR.glob("*.py"))


def _cells(notebook) -> list[tuple[str, str]]:
    return [(cell["cell_type"], cell["source"].strip()) for cell in notebook["cells"]]


def test_every_notebook_has_its_paired_script_and_no_other_files_stray():
    assert NOTEBOOKS, "no notebooks found"
    assert [p.stem for p in NOTEBOOKS] == [p.stem for p in SCRIPTS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_and_script_hold_the_same_cells_and_no_outputs(path):
    jupytext = pytest.importorskip("jupytext")
    nbformat = pytest.importorskip("nbformat")
    stored = nbformat.read(path, as_version=4)
    script = jupytext.read(path.with_suffix(".py"))
    assert _cells(stored) == _cells(script), f"{path.name} and its .py differ: run jupytext --sync"
    assert stored.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    assert stored.metadata["kernelspec"]["name"] == "python3"
    for cell in stored.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name} is stored with outputs: strip them before committing"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_with_nbconvert_and_its_assertions_hold(path):
    pytest.importorskip("nbconvert")
    done = execute(path)  # jupyter nbconvert --to notebook --execute, once per test run
    assert done["returncode"] == 0, done["stderr"]
    executed = json.loads(Path(done["executed"]).read_text())
    outputs = [o for cell in executed["cells"] for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    code = "\n".join("".join(c["source"]) for c in executed["cells"] if c["cell_type"] == "code")
    assert "assert " in code, f"{path.name} asserts nothing it reproduces"


def test_jupyter_lab_comes_with_the_notebooks_extra():
    pytest.importorskip("jupyterlab")
    done = subprocess.run(
        [sys.executable, "-m", "jupyterlab", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()[0].isdigit()
