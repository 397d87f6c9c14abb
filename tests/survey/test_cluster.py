"""Several app processes behind nginx (survey.cluster, ``up --workers N``): health, WebSocket, stickiness,
a dead worker, clean stop. Runs real nginx and two Streamlit processes on a demo copy (≈ 30 s)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import random
import re
import signal
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from benchmarks.form_client import FormSession, http_get
from survey import cluster as cluster_module
from survey.cluster import Cluster, NginxMissing, find_nginx, free_port_block, nginx_conf, port_is_free
from survey.store import open_db
from survey.tokens import make_token, secret_key, token_hash
from tests.conftest import BACKENDS, copy_demo, query


def _run(coroutine):
    """``asyncio.run`` in a thread of its own: pytest-playwright's sync API keeps an event loop running in the
    main thread for the whole session once a browser test has run."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _require_nginx() -> None:
    if find_nginx() is None:
        message = "nginx is not installed (scripts/install-test-deps.sh installs it: apt-get install nginx)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it: a missing nginx there is a broken setup, not a skip
        pytest.skip(message)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    """The cluster's store, per module (one cluster per backend): a SQLite file or a PostgreSQL URL."""
    return request.param


@pytest.fixture(scope="module")
def running(backend, demo_template, tmp_path_factory, request):
    """Two workers behind nginx on a copy of the demo: a SQLite file, or a new PostgreSQL database (the workers
    get ``$SURVEY_DATABASE_URL`` and one link-key file)."""
    _require_nginx()
    work = tmp_path_factory.mktemp("cluster")
    db_path = copy_demo(demo_template, work)
    with pytest.MonkeyPatch.context() as patch:
        target, server = db_path, None
        if backend == "postgresql":
            server = request.getfixturevalue("postgres")
            target = server.new_database(server.demo_template(demo_template))
            patch.setenv("SURVEY_SECRET_FILE", str(work / "secret.key"))  # the demo's link key, for all
        port = free_port_block(3)
        cluster = Cluster(target, port=port, workers=2, run_dir=work / "run", log=lambda _: None)
        cluster.start()
        yield cluster, target
        cluster.stop()
        if server is not None:
            server.drop(target)


def _open_tokens(db_path, n: int) -> list[str]:
    db = open_db(db_path)
    try:
        ids = [r[0] for r in db.execute(
            "SELECT a.id FROM assignments a JOIN rounds r ON r.id = a.round_id WHERE r.status = 'open'"
            " AND a.is_reserve = 0 AND a.status != 'complete' ORDER BY a.id LIMIT ?", [n])]  # fmt: skip
        key = secret_key(db)
    finally:
        db.conn.close()
    return [make_token(key, i) for i in ids]


def _get(url: str, cookie: str | None = None):
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


def _node_cookie(headers) -> str | None:
    """The survey_node Set-Cookie of a response (Streamlit may set its XSRF cookie beside it)."""
    return next((c for c in headers.get_all("Set-Cookie") or [] if c.startswith("survey_node=")), None)


def test_every_worker_is_healthy_through_nginx(running):
    cluster, _ = running
    assert set(cluster.pids()) == {"nginx", "w0", "w1"}
    for worker in cluster.worker_list:
        status, headers, body = _get(cluster.url + "/_stcore/health", cookie=f"survey_node={worker.name}")
        assert (status, body, headers["X-Survey-Node"]) == (200, b"ok", worker.name)


def test_a_browser_stays_on_its_worker_and_new_browsers_spread(running):
    cluster, _ = running
    first_nodes = []
    for _ in range(6):  # six new browsers: each gets a cookie naming the worker that answered
        _, headers, _ = _get(cluster.url + "/")
        cookie = _node_cookie(headers)
        assert re.fullmatch(r"survey_node=w[01]; Path=/; HttpOnly; SameSite=Lax", cookie)
        node = cookie.split(";")[0].split("=")[1]
        assert headers["X-Survey-Node"] == node
        first_nodes.append(node)
        for _ in range(4):  # the same browser again: same worker, no new cookie
            _, again, _ = _get(cluster.url + "/?t=x", cookie=f"survey_node={node}")
            assert again["X-Survey-Node"] == node and _node_cookie(again) is None
    assert set(first_nodes) == {"w0", "w1"}
    _, headers, _ = _get(cluster.url + "/", cookie="survey_node=w7")  # a cookie naming no worker is replaced
    assert _node_cookie(headers).startswith(f"survey_node={headers['X-Survey-Node']};")


def test_a_form_session_over_the_websocket_is_stored_once_by_the_worker_that_served_the_page(running):
    cluster, db_path = running
    tokens = _open_tokens(db_path, 2)

    async def both() -> list[FormSession]:
        sessions = [FormSession(cluster.url, token, timeout=30) for token in tokens]
        for (
            session
        ) in sessions:  # one after the other: the second browser finds the first one's WebSocket open
            await session.open()
        await asyncio.gather(*(s.answer_all(random.Random(i)) for i, s in enumerate(sessions)))
        for session in sessions:
            await session.submit()
            await session.close()
        return sessions

    sessions = _run(both())
    for token, session in zip(tokens, sessions, strict=True):
        rows = query(db_path, "SELECT COUNT(*) FROM responses r JOIN assignments a ON a.id = r.assignment_id"
                     " WHERE a.token_hash = ?", [token_hash(token)])  # fmt: skip
        assert rows == [(1,)]
        assert session.runs >= 10  # one run per answer: every click went over the upgraded WebSocket
    log = (cluster.run_dir / "access.log").read_text()
    streams = [line for line in log.splitlines() if "GET /_stcore/stream" in line]
    assert len(streams) >= 2 and all(" 101 " in line for line in streams)
    for session in sessions:  # the WebSocket went to the worker named by the page's cookie
        assert session.node in ("w0", "w1")
        assert any(f"node={session.node} cookie={session.node} " in line for line in streams)
    assert {s.node for s in sessions} == {"w0", "w1"}  # least connections: the second browser went elsewhere

    async def reopen():
        return await http_get(f"{cluster.url}/?t={tokens[0]}", {})

    assert _run(reopen())[0] == 200


def test_session_routes_work_through_nginx(running, demo_credentials):
    cluster, _ = running
    body = urllib.parse.urlencode(
        {"account": "staff", "passphrase": demo_credentials["staff"], "goto": "/monitor"}
    )
    request = urllib.request.Request(
        cluster.url + "/session/login", data=body.encode(), method="POST",
        headers={"Origin": cluster.url, "Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(request, timeout=30)
    assert answer.value.code == 303 and answer.value.headers["Location"] == "/monitor"
    cookies = answer.value.headers.get_all("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("survey_session="))
    assert "HttpOnly" in session_cookie and "SameSite=strict" in session_cookie
    assert "Secure" not in session_cookie  # plain http on loopback: the scheme nginx forwards
    sid = session_cookie.split(";")[0]
    logout = urllib.request.Request(cluster.url + "/session/logout", headers={"Cookie": sid})
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(logout, timeout=30)
    assert answer.value.code == 303
    assert any(c.startswith('survey_session=""') for c in answer.value.headers.get_all("Set-Cookie"))


def test_a_dead_worker_is_covered_then_restarted(running, monkeypatch):
    cluster, _ = running
    monkeypatch.setattr(cluster_module, "RESTART_SECONDS", 0.0)
    victim = cluster.pids()["w1"]
    os.kill(victim, signal.SIGKILL)  # a process this test's cluster started
    deadline = time.monotonic() + 10
    while cluster.pids().get("w1") == victim and time.monotonic() < deadline:
        time.sleep(0.1)
    _, headers, body = _get(cluster.url + "/_stcore/health", cookie="survey_node=w1")
    assert body == b"ok" and headers["X-Survey-Node"] == "w0"  # the backup answered …
    assert _node_cookie(headers).startswith("survey_node=w0;")  # … and the browser moves there
    events = cluster.check()
    assert len(events) == 1 and "w1" in events[0] and "restarting" in events[0]
    cluster.wait_healthy(60)
    assert cluster.pids()["w1"] != victim
    assert cluster.check() == []


def test_stop_ends_every_process_and_frees_the_ports(demo_template, tmp_path):
    _require_nginx()
    db_path = copy_demo(demo_template, tmp_path)
    port = free_port_block(3)
    cluster = Cluster(db_path, port=port, workers=2, log=lambda _: None)  # its own temporary run directory
    cluster.start()
    pids, run_dir = cluster.pids(), cluster.run_dir
    assert len(pids) == 3 and run_dir.exists()
    cluster.stop()
    for pid in pids.values():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert all(port_is_free(p) for p in (port, port + 1, port + 2))
    assert not run_dir.exists() and cluster.pids() == {}


def test_cluster_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match="workers must be an integer >= 1, but got 0"):
        Cluster(tmp_path / "x.db", workers=0)
    with pytest.raises(ValueError, match="is also a worker port"):
        Cluster(tmp_path / "x.db", port=9000, workers=2, worker_port=8999)
    with pytest.raises(ValueError, match="worker_ports must name at least one port"):
        nginx_conf(listen="127.0.0.1:1", worker_ports=[], run_dir=tmp_path, static_dir=tmp_path)


def test_without_nginx_start_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(cluster_module, "find_nginx", lambda: None)
    with pytest.raises(NginxMissing, match="apt-get install nginx"):
        Cluster(tmp_path / "x.db", port=free_port_block(2), workers=1).start()
