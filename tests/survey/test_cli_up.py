"""``demo`` and ``up`` on both stores: the demo is built in a new SQLite file or an empty PostgreSQL database and
refused where data is; ``up`` serves the app on the store it is given (a real process: health, a sign-in that
the store records)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from survey.cli import cli
from survey.store import is_database_url, open_db, store_env
from survey.users import authenticate
from tests.conftest import query

ROOT = Path(__file__).resolve().parents[2]


def test_demo_builds_in_an_empty_store_then_refuses_to_build_over_it(database_target, tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("SURVEY_DB", str(data / "survey.db"))  # a PostgreSQL demo's passwords go to data/
    result = CliRunner().invoke(cli, ["demo", "--db", str(database_target), "--customers", "120"])
    assert result.exit_code == 0, result.output
    on_server = is_database_url(database_target)
    credentials = (data if on_server else Path(database_target).parent) / "demo-credentials.txt"
    assert credentials.stat().st_mode & 0o777 == 0o600
    passwords = dict(line.split("\t") for line in credentials.read_text(encoding="utf-8").splitlines()[1:])
    assert set(passwords) == {"admin", "staff", "manager"}
    assert (
        "postgresql://" not in result.output or "@" in result.output
    )  # the URL is named, without a password
    db = open_db(database_target)
    try:
        assert db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 120
        assert [r[0] for r in db.execute("SELECT status FROM rounds ORDER BY id")] == ["closed", "open"]
        assert authenticate(db, "staff", passwords["staff"]).role == "staff"
    finally:
        db.conn.close()
    again = CliRunner().invoke(cli, ["demo", "--db", str(database_target), "--customers", "120"])
    assert again.exit_code != 0
    assert ("already holds customers or accounts" if on_server else "already exists") in again.output
    assert query(database_target, "SELECT COUNT(*) FROM customers") == [
        (120,)
    ]  # nothing was added or dropped


def test_demo_never_drops_a_server_database(database_target, tmp_path):
    if not is_database_url(database_target):
        pytest.skip("--force replaces a SQLite file; a PostgreSQL database is never dropped")
    from survey.users import create_user

    db = open_db(database_target)
    create_user(db, "chief", "admin", "a-long-passphrase-1", by="test")
    db.conn.close()
    result = CliRunner().invoke(cli, ["demo", "--db", database_target, "--customers", "50", "--force"])
    assert result.exit_code != 0 and "empty database" in result.output
    assert query(database_target, "SELECT COUNT(*) FROM customers") == [(0,)]
    assert query(database_target, "SELECT name FROM users") == [("chief",)]


def test_store_env_points_every_app_process_at_one_store_and_one_link_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SURVEY_SECRET", raising=False)
    monkeypatch.delenv("SURVEY_SECRET_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert store_env(Path("x.db")) == {"SURVEY_DB": str(tmp_path / "x.db")}
    url = "postgresql://survey@db.example/survey"
    assert store_env(url) == {
        "SURVEY_DATABASE_URL": url,
        "SURVEY_SECRET_FILE": str(tmp_path / "data" / "secret.key"),
    }
    monkeypatch.setenv("SURVEY_SECRET", "k" * 64)  # a key given in the environment is passed on as it is
    assert store_env(url) == {"SURVEY_DATABASE_URL": url}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_up_serves_the_app_on_the_store_it_is_given(demo_target, demo_credentials, tmp_path):
    """A real ``python -m survey up`` process: healthy, and a sign-in through it lands in that store."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("SURVEY_DB", "SURVEY_DATABASE_URL")}
    env.update(STREAMLIT_SERVER_HEADLESS="true", STREAMLIT_SERVER_ADDRESS="127.0.0.1")
    log = open(tmp_path / "up.log", "wb")  # noqa: SIM115 (the child writes it)
    proc = subprocess.Popen(
        [sys.executable, "-m", "survey", "up", "--db", str(demo_target), "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail(
                    "up did not become healthy:\n" + (tmp_path / "up.log").read_text(errors="replace")
                )
            time.sleep(0.3)
        before = query(demo_target, "SELECT COUNT(*) FROM web_sessions")[0][0]
        body = urllib.parse.urlencode(
            {"account": "staff", "passphrase": demo_credentials["staff"], "goto": "/"}
        )
        request = urllib.request.Request(
            url + "/session/login", data=body.encode(), method="POST",
            headers={"Origin": url, "Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.build_opener(NoRedirect).open(request, timeout=30)
        assert answer.value.code == 303
        assert query(demo_target, "SELECT COUNT(*) FROM web_sessions")[0][0] == before + 1
        said = (tmp_path / "up.log").read_text(errors="replace")
        # the topic model was loaded (or trained) before the server started, not at a customer's submission
        assert "Preparing the suggestion-topic model" in said and "ready in" in said, said
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=20)
        log.close()
