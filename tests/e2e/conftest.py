"""Real-browser fixtures: Debian's chromium driven by playwright, against `streamlit run`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import BACKENDS, copy_demo

# The machines are shared and slow at times: wait up to 30 s for any expected state (not a speed test).
expect.set_options(timeout=30_000)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-test-deps.sh (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    """The store behind each module's app server: a SQLite file or a PostgreSQL database."""
    return request.param


@pytest.fixture(scope="module")
def app_server(backend, demo_template, tmp_path_factory, request):
    """A `streamlit run survey_server.py` server (the app plus its session-cookie routes) on a free port over a
    private demo copy: a SQLite file, or a new PostgreSQL database copied from the demo (``$SURVEY_DATABASE_URL``,
    the same link key). ``db_path`` is what ``open_db`` opens (a path or a URL); ``work`` a folder for files."""
    work = tmp_path_factory.mktemp("e2e")
    db_path = copy_demo(demo_template, work)
    env = {k: v for k, v in os.environ.items() if k not in ("SURVEY_DB", "SURVEY_DATABASE_URL")}
    server, patch = None, pytest.MonkeyPatch()
    if backend == "postgresql":
        server = request.getfixturevalue("postgres")
        db_path = server.new_database(server.demo_template(demo_template))
        secret = {"SURVEY_SECRET_FILE": str(work / "secret.key")}
        env.update(secret, SURVEY_DATABASE_URL=db_path)
        patch.setenv("SURVEY_SECRET_FILE", secret["SURVEY_SECRET_FILE"])  # the tests' own reads of the key
    else:
        env["SURVEY_DB"] = str(db_path)
    port = _free_port()
    log = open(work / "streamlit.log", "wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "survey_server.py",
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail(
            "streamlit did not become healthy:\n" + (work / "streamlit.log").read_text(errors="replace")
        )
    yield {"url": url, "db_path": db_path, "work": work}
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    patch.undo()
    if server is not None:
        server.drop(db_path)
