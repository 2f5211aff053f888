"""Fixtures of the web tests: the demonstration model, a test client, a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import httpx
import pytest

with warnings.catch_warnings():
    # Newer starlette asks for the httpx2 package in its TestClient; httpx still works.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from lbprun.clinic import load_demo_model
from lbprun.web import create_app

RUNNER = {"age": 45, "sex": "M", "prior_lbp": True, "strength_training": False, "weekly_km": 40.0}


@pytest.fixture(scope="session")
def model():
    return load_demo_model()


@pytest.fixture()
def client(model):
    with TestClient(create_app(model, rate_limit=None)) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen, str, Path]:
    """``lbprun serve --demo`` in a subprocess on a free loopback port; waits until it answers."""
    port = free_port()
    log = tmp_path / f"server-{port}.log"
    handle = log.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "lbprun", "serve", "--demo", "--port", str(port), *extra],
        stdout=handle,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()}")
        try:
            if httpx.get(f"{url}/api/model", timeout=1).status_code == 200:
                return process, url, log
        except httpx.HTTPError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"server did not start in 60 s: {log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process, url, log = start_server(tmp_path_factory.mktemp("server"))
    yield url, log
    process.terminate()
    process.wait(timeout=10)
