"""Project-level checks: citation metadata, README set-up commands, CI script, licence."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


CFF_SCHEMA = ROOT / "tests" / "data" / "cff" / "schema-1.2.0.json"


def _cff_errors(text: str) -> list[str]:
    import jsonschema
    import yaml

    schema = json.loads(CFF_SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    return [error.message for error in validator.iter_errors(yaml.safe_load(text))]


def test_citation_cff_is_valid_cff_1_2():
    text = (ROOT / "CITATION.cff").read_text()
    assert "cff-version: 1.2.0" in text
    assert _cff_errors(text) == []


def test_citation_cff_validation_catches_a_broken_file():
    broken = (ROOT / "CITATION.cff").read_text().replace("authors:", "writers:")
    errors = _cff_errors(broken)
    assert any("authors" in message for message in errors), errors


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
