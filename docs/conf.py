"""Sphinx configuration for the lbprun documentation.

Build the site with ``sphinx-build -W --keep-going -b html docs docs/_build/html``
(``pip install -e ".[docs]"``). At the start of each build this file writes
``docs/_generated/``: the data dictionary (from ``lbprun.io.schema``), the API reference
pages (one per public name of ``lbprun.__all__`` and of the public submodules) and copies of
``notebooks/*.ipynb``, which myst-nb executes. The folder is not kept in git.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
GENERATED = DOCS / "_generated"
sys.path.insert(0, str(DOCS))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

import _apigen  # noqa: E402  (docs/_apigen.py, beside this file)

import lbprun  # noqa: E402

project = "lbprun"
author = "The lbprun developers"
copyright = "the lbprun developers (MIT licence)"
release = lbprun.__version__
version = release

extensions = [
    "myst_nb",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
]

source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    # the checked-in copy for reading on GitHub; the site builds its own from the schema
    "data_dictionary.md",
    "**/.ipynb_checkpoints",
    "_generated/benchmark_table.md",  # included by benchmarks.md
]
suppress_warnings = ["myst.header"]

# MyST
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]

# Notebooks: executed at every build, in order, each in a fresh kernel; a failing cell fails
# the build (its assertions are the figures it reproduces). LBPRUN_DOCS_NOTEBOOKS=<folder>
# takes notebooks already executed (by ``jupyter nbconvert --execute``, as the tests do) from
# that folder instead of running them again.
EXECUTED_NOTEBOOKS = os.environ.get("LBPRUN_DOCS_NOTEBOOKS")
nb_execution_mode = "off" if EXECUTED_NOTEBOOKS else "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

# API reference
autosummary_generate = False  # the pages are written by _apigen, one per public name
autodoc_typehints = "none"  # numpydoc shows the types written in the docstrings
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()  # checked by tests/test_numpydoc_validation.py

intersphinx_mapping: dict[str, tuple[str, None]] = {}

html_theme = "alabaster"
html_title = f"lbprun {release}"
html_theme_options = {
    "description": "Epidemiology of low back pain in runners",
    "page_width": "1180px",
    "sidebar_width": "260px",
    "fixed_sidebar": True,
}
html_static_path: list[str] = []
html_show_sourcelink = False


def _write_generated() -> None:
    """Write ``docs/_generated/``: data dictionary, API pages and notebook copies."""
    if GENERATED.exists():
        shutil.rmtree(GENERATED)
    GENERATED.mkdir()
    (GENERATED / ".gitignore").write_text("*\n", encoding="utf-8")
    _apigen.write_data_dictionary(GENERATED / "data_dictionary.md")
    _apigen.write_api_pages(GENERATED / "api")
    _apigen.write_benchmark_table(ROOT / "README.md", GENERATED / "benchmark_table.md")
    notebooks = GENERATED / "notebooks"
    notebooks.mkdir()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        executed = Path(EXECUTED_NOTEBOOKS) / path.name if EXECUTED_NOTEBOOKS else None
        if executed is not None and not executed.exists():
            raise FileNotFoundError(f"LBPRUN_DOCS_NOTEBOOKS has no executed {path.name}")
        shutil.copy2(executed or path, notebooks / path.name)


_write_generated()
