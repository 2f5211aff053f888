"""The documentation site builds with warnings as errors, and its key pages are there.

Runs ``sphinx-build -W --keep-going -b html docs <tmp>`` in a fresh process, as a user
building the site would. The notebooks' pages show the notebooks as ``jupyter nbconvert
--execute`` ran them in this test run (``notebook_runs``, shared with ``test_notebooks``, so
each runs once); a notebook whose assertions fail fails this test too. Without
``LBPRUN_DOCS_NOTEBOOKS`` the build executes the notebooks itself.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from notebook_runs import EXECUTED, FOLDER, execute, fcntl

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("sphinx")
pytest.importorskip("numpydoc")
pytest.importorskip("myst_nb")


@pytest.fixture(scope="module")
def site() -> Path:
    """The site, built once per test run: xdist workers that need it too wait and share it.

    The build writes ``docs/_generated`` in the source tree, so two builds at once would
    remove each other's files.
    """
    out = FOLDER / "site"
    FOLDER.mkdir(parents=True, exist_ok=True)
    with (FOLDER / "site.lock").open("w") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        record = FOLDER / "site.json"
        if not record.exists():
            record.write_text(json.dumps(_build(out)))
        done = json.loads(record.read_text())
    assert done["returncode"] == 0, done["stderr"][-6000:]
    return out / "html"


def _build(out: Path) -> dict:
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        done = execute(notebook)  # shared with test_notebooks: each runs once per test run
        if done["returncode"] != 0:
            return {"returncode": done["returncode"], "stderr": done["stderr"]}
    env = {**os.environ, "MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    env["LBPRUN_DOCS_NOTEBOOKS"] = str(EXECUTED)
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q"]
    command += ["-d", str(out / ".doctrees"), "docs", str(out / "html")]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    return {"returncode": done.returncode, "stderr": done.stderr}


def _text(page: Path) -> str:
    return re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))


def test_index_and_guides_are_built(site):
    index = site / "index.html"
    assert "Epidemiology of low back pain" in _text(index)
    for page in ("getting_started", "methods", "validation", "benchmarks", "measures"):
        assert (site / f"{page}.html").is_file(), page


def test_api_page_of_prevalence_shows_its_docstring(site):
    page = _text(site / "_generated" / "api" / "lbprun.prevalence.html")
    assert "lbprun.prevalence" in page
    assert "Parameters" in page and "Returns" in page
    assert "design" in page and "level" in page
    index = _text(site / "_generated" / "api" / "index.html")
    import lbprun

    for name in ("prevalence", "acwr", "fit_risk_factors", "SurveyDesign", "pool_prevalence"):
        assert name in index
    for name in ("meta", "workload", "clinic", "datasets"):
        assert (site / "_generated" / "api" / f"lbprun.{name}.html").is_file()
    documented = {p.stem for p in (site / "_generated" / "api").glob("lbprun.*.html")}
    public = {f"lbprun.{n}" for n in lbprun.__all__ if not n.startswith("__")}
    assert public <= documented, sorted(public - documented)


def test_methods_page_has_formulas_and_references(site):
    page = _text(site / "methods.html")
    for words in ("Wilson", "Clopper", "Jeffreys", "Agresti", "Knapp", "Paule", "Greenwood"):
        assert words in page, words


def test_data_dictionary_is_built_from_the_schema(site):
    from lbprun.io.schema import SCHEMAS

    page = _text(site / "_generated" / "data_dictionary.html")
    for schema in SCHEMAS.values():
        assert schema.kind in page
        for column in schema.columns:
            assert column.name in page, (schema.kind, column.name)


def test_benchmark_and_validation_tables(site):
    bench = _text(site / "benchmarks.html")
    assert "statsmodels" in bench and "Polars" in bench
    validation = _text(site / "validation.html")
    assert "svyciprop" in validation and "rma.glmm" in validation


def test_notebook_pages_carry_executed_outputs(site):
    page_path = site / "_generated" / "notebooks" / "00_quick_start.html"
    page = page_path.read_text(encoding="utf-8")
    assert "Traceback" not in page
    assert "import lbprun" in " ".join(_text(page_path).split())
    assert "cell_output" in page
