"""Several app processes behind nginx: ``python -m survey up --workers N``.

Streamlit keeps a browser's session state, its uploads and media files in the process that serves its
WebSocket, so one process per core needs a proxy that sends every request of one browser to the same
process. :class:`Cluster` starts N ``streamlit run survey_server.py`` processes on consecutive loopback ports
and one nginx (Debian's ``nginx`` package) as a child process, with a generated configuration and its pid,
logs and temporary files in a private run directory (no system nginx file is read or written except
``mime.types``)::

    browser ──► nginx :8501 ──┬─► worker 0  streamlit 127.0.0.1:8502 ─┐
      (cookie survey_node)    ├─► worker 1  streamlit 127.0.0.1:8503 ─┼─► one store ($SURVEY_DB or $SURVEY_DATABASE_URL)
                              └─► worker N-1 …                        ─┘
    /static/* is served by nginx from Streamlit's own files (gzip, cached by the browser)

Stickiness: a request without a valid ``survey_node`` cookie goes to the worker with the fewest open
connections (``least_conn``: the WebSockets are the long-lived ones, so sessions spread by load) and the
response sets ``survey_node=w<i>`` (HttpOnly, SameSite=Lax, the browser's session only); requests with the cookie
go to that worker — page, WebSocket, uploads, media, the session routes. Loopback clients all share one
address, so ``ip_hash`` would put them all on one worker. Should the worker be down, its requests go to
another one (a ``backup`` server) and the cookie moves there; the page redraws from the draft in the store.
nginx passes the client's address as ``X-Forwarded-For`` (uvicorn trusts it from loopback), so the sign-in
limits per address still see each client, and the WebSocket upgrade with a one-hour read timeout.

All workers share one cookie secret (``STREAMLIT_SERVER_COOKIE_SECRET``, random per cluster start), so a
browser moved to another worker keeps a valid XSRF cookie. Workers run without Streamlit's file watcher
(nothing is edited on a production server; the watcher costs every session a set of watches) and without
its full garbage collection after every script run (:data:`WORKER_OPTIONS`).
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from survey.cluster_nginx import NODE_COOKIE, nginx_conf
from survey.store import store_env

ROOT = Path(__file__).resolve().parent.parent
SERVER_SCRIPT = ROOT / "survey_server.py"
#: Seconds a worker or nginx gets to stop after SIGTERM before it is killed.
STOP_SECONDS = 10.0
#: A worker that dies is restarted at most this often (seconds), so a crash loop does not spin.
RESTART_SECONDS = 5.0
#: ``streamlit run`` options of every worker. Streamlit runs a full ``gc.collect(2)`` after every script run
#: (``runner.postScriptGC``); with this app's heap that was 60 % of a worker's CPU under the form's load
#: (py-spy, benchmarks/README.md "Customer form under load"): the generational collector still runs.
WORKER_OPTIONS = {"runner.postScriptGC": "false"}


class NginxMissing(Exception):
    "nginx is not installed (Debian: apt-get install nginx)"


class ClusterError(Exception):
    "A worker or nginx did not start, or nginx stopped"


def find_nginx() -> str | None:
    """Path of the nginx binary (``$PATH``, then ``/usr/sbin``), or None."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def streamlit_static_dir() -> Path:
    """Streamlit's built front end (index.html and ``static/``), found without importing streamlit."""
    spec = importlib.util.find_spec("streamlit")
    if spec is None or spec.origin is None:
        raise ClusterError("streamlit is not installed")
    return Path(spec.origin).parent / "static"


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Nothing listens on ``host:port`` (connections in TIME_WAIT do not count: nginx and Streamlit bind with
    ``SO_REUSEADDR`` too)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port_block(count: int, host: str = "127.0.0.1", start: int = 20000, stop: int = 60000) -> int:
    """The first of ``count`` consecutive free ports (for tests and benchmarks)."""
    rng = secrets.SystemRandom()
    for _ in range(200):
        first = rng.randrange(start, stop - count)
        if all(port_is_free(first + i, host) for i in range(count)):
            return first
    raise ClusterError(f"no {count} consecutive free ports found")


def _get(url: str, *, cookie: str | None = None, timeout: float = 2.0) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (loopback URL we built)
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Worker:
    """One Streamlit process of the cluster."""

    index: int
    port: int
    process: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = 0.0

    @property
    def name(self) -> str:
        return f"w{self.index}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    """N Streamlit processes of ``survey_server.py`` on ``worker_port, worker_port + 1, …`` behind nginx on
    ``port``, all on the store ``db_path`` (a SQLite file or a ``postgresql://`` URL).

    >>> with Cluster("data/survey.db", port=8501, workers=2) as cluster:   # doctest: +SKIP
    ...     cluster.supervise()            # until Ctrl-C; restarts a worker that dies
    """

    db_path: str | os.PathLike
    port: int = 8501
    workers: int = 2
    worker_port: int | None = None
    listen_address: str = "127.0.0.1"
    run_dir: Path | None = None
    app: Path = SERVER_SCRIPT
    extra_env: dict[str, str] = field(default_factory=dict)
    log: Callable[[str], None] = print
    nginx_bin: str | None = None
    #: More ``streamlit run`` options for every worker (over :data:`WORKER_OPTIONS`), e.g.
    #: ``{"runner.postScriptGC": "true"}``.
    streamlit_options: dict[str, str] = field(default_factory=dict)
    _workers: list[Worker] = field(default_factory=list, init=False, repr=False)
    _nginx: subprocess.Popen | None = field(default=None, init=False, repr=False)
    _own_run_dir: bool = field(default=False, init=False, repr=False)
    _cookie_secret: str = field(default_factory=lambda: secrets.token_hex(32), init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"workers must be an integer >= 1, but got {self.workers!r}")
        if self.worker_port is None:
            self.worker_port = self.port + 1
        ports = [self.port] + [self.worker_port + i for i in range(self.workers)]
        if any(not 0 < p < 65536 for p in ports):
            raise ValueError(f"ports must be in 1..65535, but got {ports[0]} and {ports[1]}..{ports[-1]}")
        if self.port in ports[1:]:
            raise ValueError(f"port {self.port} is also a worker port ({ports[1]}..{ports[-1]})")
        self._workers = [Worker(i, self.worker_port + i) for i in range(self.workers)]

    # --- what the cluster serves -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.listen_address in ("0.0.0.0", "") else self.listen_address  # noqa: S104
        return f"http://{host}:{self.port}"

    @property
    def worker_list(self) -> list[Worker]:
        return list(self._workers)

    def pids(self) -> dict[str, int]:
        """Process ids of the running children: ``{"nginx": …, "w0": …, …}``."""
        out = {w.name: w.process.pid for w in self._workers if w.process and w.process.poll() is None}
        if self._nginx and self._nginx.poll() is None:
            out["nginx"] = self._nginx.pid
        return out

    # --- start --------------------------------------------------------------------------------------------
    def start(self, timeout: float = 90.0) -> None:
        """Start the workers and nginx; return when every worker answers ``ok`` directly and through nginx.

        Raises :class:`NginxMissing` without nginx and :class:`ClusterError` (with the log's last lines) when
        a port is taken or a process does not become healthy within ``timeout`` seconds; nothing is left
        running then.
        """
        nginx = self.nginx_bin or find_nginx()
        if nginx is None:
            raise NginxMissing(NginxMissing.__doc__)
        for port in [self.port] + [w.port for w in self._workers]:
            host = self.listen_address if port == self.port else "127.0.0.1"
            if not port_is_free(port, host):
                raise ClusterError(f"port {port} is already in use")
        if self.run_dir is None:
            self.run_dir = Path(tempfile.mkdtemp(prefix="survey-cluster-"))
            self._own_run_dir = True
        self.run_dir = Path(self.run_dir).resolve()
        for sub in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
            (self.run_dir / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.run_dir, 0o700)
        try:
            for worker in self._workers:
                self._start_worker(worker)
            conf = self.run_dir / "nginx.conf"
            conf.write_text(
                nginx_conf(
                    listen=f"{self.listen_address}:{self.port}",
                    worker_ports=[w.port for w in self._workers],
                    run_dir=self.run_dir,
                    static_dir=streamlit_static_dir(),
                ),
                encoding="utf-8",
            )
            check = subprocess.run(
                [nginx, "-t", "-q", "-p", str(self.run_dir), "-e", str(self.run_dir / "error.log"), "-c", str(conf)],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if check.returncode != 0:
                raise ClusterError(f"nginx rejected its configuration: {check.stderr.strip()}")
            self._nginx = subprocess.Popen(
                [nginx, "-p", str(self.run_dir), "-e", str(self.run_dir / "error.log"), "-c", str(conf)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
            self.wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise

    def _start_worker(self, worker: Worker) -> None:
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("SURVEY_DB", "SURVEY_DATABASE_URL")},
            **store_env(self.db_path),  # SURVEY_DB, or SURVEY_DATABASE_URL (and one link key for all)
            **self.extra_env,
            "STREAMLIT_SERVER_COOKIE_SECRET": self._cookie_secret,
        }
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(self.app),
            "--server.headless", "true",
            "--server.address", "127.0.0.1",
            "--server.port", str(worker.port),
            "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
        for name, value in {**WORKER_OPTIONS, **self.streamlit_options}.items():
            cmd += [f"--{name}", str(value)]
        log = open(self.run_dir / f"{worker.name}.log", "ab")  # noqa: SIM115 (the child keeps it)
        try:
            worker.process = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        finally:
            log.close()
        worker.started_at = time.monotonic()

    def wait_healthy(self, timeout: float = 90.0) -> None:
        """Wait until every worker answers ``ok`` on ``/_stcore/health``, directly and through nginx (with its
        cookie, and the answer says it came from that worker)."""
        deadline = time.monotonic() + timeout
        pending = {w.name for w in self._workers}
        while pending:
            if self._nginx is not None and self._nginx.poll() is not None:
                raise ClusterError("nginx exited at start:\n" + _tail(self.run_dir / "error.log"))
            for worker in self._workers:
                if worker.name not in pending:
                    continue
                if worker.process is None or worker.process.poll() is not None:
                    raise ClusterError(
                        f"worker {worker.name} (port {worker.port}) exited at start:\n"
                        + _tail(self.run_dir / f"{worker.name}.log")
                    )
                if self.healthy(worker):
                    pending.discard(worker.name)
            if pending and time.monotonic() > deadline:
                name = sorted(pending)[0]
                raise ClusterError(
                    f"worker {name} did not become healthy in {timeout:.0f} s:\n"
                    + _tail(self.run_dir / f"{name}.log")
                    + "\n"
                    + _tail(self.run_dir / "error.log")
                )
            if pending:
                time.sleep(0.3)

    def healthy(self, worker: Worker) -> bool:
        """The worker answers ``ok`` itself and nginx routes its cookie to it."""
        try:
            if _get(worker.url + "/_stcore/health")[2] != b"ok":
                return False
            status, headers, body = _get(self.url + "/_stcore/health", cookie=f"{NODE_COOKIE}={worker.name}")
        except OSError:
            return False
        return status == 200 and body == b"ok" and headers.get("x-survey-node") == worker.name

    # --- run ----------------------------------------------------------------------------------------------
    def check(self) -> list[str]:
        """Restart workers that died (each at most every :data:`RESTART_SECONDS`); what happened, in words.

        Raises :class:`ClusterError` when nginx has stopped (nothing is reachable any more).
        """
        if self._nginx is None or self._nginx.poll() is not None:
            code = None if self._nginx is None else self._nginx.returncode
            raise ClusterError(f"nginx stopped (exit code {code}):\n" + _tail(self.run_dir / "error.log"))
        events = []
        for worker in self._workers:
            if worker.process is not None and worker.process.poll() is None:
                continue
            if time.monotonic() - worker.started_at < RESTART_SECONDS:
                continue
            code = worker.process.returncode if worker.process else None
            worker.restarts += 1
            events.append(
                f"worker {worker.name} (port {worker.port}) exited with code {code}; "
                f"restarting (restart {worker.restarts}); its browsers move to another worker meanwhile"
            )
            self._start_worker(worker)
        return events

    def supervise(self, interval: float = 1.0, *, should_stop: Callable[[], bool] = lambda: False) -> None:
        """Check the processes every ``interval`` seconds until ``should_stop()`` or Ctrl-C; report restarts."""
        while not should_stop():
            for event in self.check():
                self.log(event)
            time.sleep(interval)

    # --- stop ---------------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop nginx and every worker (SIGTERM, then SIGKILL after :data:`STOP_SECONDS`); remove the run
        directory if the cluster made it."""
        procs = [p for p in [self._nginx] + [w.process for w in self._workers] if p is not None]
        for proc in procs:
            if proc.poll() is None:
                try:
                    proc.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + STOP_SECONDS
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._nginx = None
        for worker in self._workers:
            worker.process = None
        if self._own_run_dir and self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> Cluster:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
