"""Project-level checks: citation metadata, README set-up commands, CI script, licence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_citation_cff_is_valid_cff_1_2():
    cffconvert = pytest.importorskip("cffconvert")
    citation = cffconvert.Citation((ROOT / "CITATION.cff").read_text())
    assert citation.cffversion == "1.2.0"
    citation.validate()  # raises on any schema violation


def test_citation_cff_validation_catches_a_broken_file():
    cffconvert = pytest.importorskip("cffconvert")
    broken = (ROOT / "CITATION.cff").read_text().replace("authors:", "writers:")
    with pytest.raises(Exception, match="authors"):
        cffconvert.Citation(broken).validate()


def _between(text: str, marker: str) -> list[str]:
    block = re.search(rf"<!-- {marker} -->(.*?)<!-- /{marker} -->", text, re.S)
    assert block, f"README.md lacks the {marker} block"
    return [
        line.strip()
        for line in block.group(1).splitlines()
        if line.strip() and not line.startswith("```")
    ]


def test_readme_has_exactly_one_install_and_one_test_command():
    readme = (ROOT / "README.md").read_text()
    install = _between(readme, "install-command")
    tests = _between(readme, "test-command")
    assert len(install) == 1 and "pip install" in install[0]
    assert len(tests) == 1 and "pytest" in tests[0]


def test_ci_script_creates_fresh_venv_and_runs_readme_commands():
    script = (ROOT / ".ci" / "run").read_text()
    assert "python3 -m venv" in script
    assert "install-command" in script and "test-command" in script
    assert "set -euo pipefail" in script


def test_licence_and_version_agree():
    import lbprun

    cff = (ROOT / "CITATION.cff").read_text()
    assert f"version: {lbprun.__version__}" in cff
    assert "MIT License" in (ROOT / "LICENSE").read_text()
