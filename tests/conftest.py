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


# --- Skips are failures unless declared here --------------------------------------------------
# The README's test command must exercise every capability: a test skipped because a tool is
# missing (jupytext, duckdb, chromium...) means the install command is incomplete, so the run
# fails. A skip that is expected everywhere is declared below: test id prefix -> why.
EXPECTED_SKIPS: dict[str, str] = {}

_SKIPPED: list[tuple[str, str]] = []


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        _SKIPPED.append((report.nodeid, _skip_reason(report)))


def pytest_collectreport(report):
    if report.skipped:
        _SKIPPED.append((report.nodeid, _skip_reason(report)))


def _unexpected_skips() -> list[tuple[str, str]]:
    return [
        (nodeid, reason)
        for nodeid, reason in _SKIPPED
        if not any(nodeid.startswith(prefix) for prefix in EXPECTED_SKIPS)
    ]


def pytest_terminal_summary(terminalreporter):
    unexpected = _unexpected_skips()
    if unexpected:
        terminalreporter.section("unexpected skips (counted as failures)", sep="=", red=True)
        for nodeid, reason in unexpected:
            terminalreporter.line(f"{nodeid}: {reason}")


def pytest_sessionfinish(session, exitstatus):
    if _unexpected_skips() and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# --- Property tests are deterministic -----------------------------------------------------------
# Hypothesis draws the same examples on every run (DESIGN: fixed seeds, no flaky results); a
# longer exploration is `pytest --hypothesis-profile=explore`.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("lbprun", derandomize=True, deadline=None)
_hypothesis_settings.register_profile("explore", max_examples=1000, deadline=None)
_hypothesis_settings.load_profile("lbprun")
