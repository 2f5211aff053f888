"""Shared fixtures: reference data paths, a temporary working folder, a headless plot backend."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

REFERENCE = Path(__file__).parent / "reference"
EXPECTED = REFERENCE / "expected"
BAD_DATA = Path(__file__).parent / "data" / "bad"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """Folder holding the reference inputs (copies of R's inputs)."""
    return REFERENCE


@pytest.fixture(scope="session")
def expected_dir() -> Path:
    """Folder holding R's expected values."""
    return EXPECTED


def load_expected(name: str) -> dict:
    """Read one expected-values JSON file."""
    return json.loads((EXPECTED / name).read_text())
