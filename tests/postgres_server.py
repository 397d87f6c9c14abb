"""A throwaway PostgreSQL 15 server for the tests: initdb + pg_ctl in a temporary folder, trust auth, a Unix
socket in that folder and no TCP port. As root the server runs as the ``postgres`` user (``runuser``).

``SURVEY_TEST_DATABASE_URL`` points the tests at a server of your own instead (each test gets a new database
on it, created from a migrated template).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


class NoPostgres(Exception):
    "No PostgreSQL server binaries (initdb, pg_ctl) on this machine."


def _bindir() -> Path:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise NoPostgres("initdb not found: apt-get install postgresql (scripts/install-test-deps.sh)")


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass
class PostgresServer:
    folder: Path
    bindir: Path
    port: int = 5432

    @property
    def socket_dir(self) -> Path:
        return self.folder

    def url(self, database: str = "postgres") -> str:
        user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
        return f"postgresql://{user}@/{database}?host={self.socket_dir}&port={self.port}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        out = subprocess.run(
            [str(self.bindir / "psql"), "-X", "-q", "-At", "-h", str(self.socket_dir), "-p", str(self.port),
             "-U", "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres"), "-d", database,
             "-c", sql],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return out.stdout

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(
                [str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"]
            ),
            capture_output=True,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start(port: int = 54329) -> PostgresServer:
    """Start a new server in a new temporary folder (the caller stops it)."""
    bindir = _bindir()
    folder = Path(tempfile.mkdtemp(prefix="survey-pg-"))
    os.chmod(folder, 0o777)  # the postgres user writes its data folder, socket and log here
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data = folder / "data"
    subprocess.run(
        _as_postgres([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U",
                      "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres"),
                      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
        capture_output=True, check=True,
    )  # fmt: skip
    options = (
        f"-p {port} -k {folder} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
        " -c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB"
    )
    subprocess.run(
        _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w",
                      "start"]),
        capture_output=True, check=True,
    )  # fmt: skip
    server = PostgresServer(folder, bindir, port)
    for _ in range(50):
        try:
            server.psql("SELECT 1")
            return server
        except subprocess.CalledProcessError:
            time.sleep(0.1)
    raise NoPostgres(f"the test server did not start: {(folder / 'log').read_text(errors='replace')[-500:]}")
