"""Shared fixtures: real SQLite files in tmp_path, and a small seeded demo database.

Store-level fixtures (``fresh_db``, ``database_target``) run each test on both backends: a SQLite file, and a new
database on a throwaway PostgreSQL 15 server started once per session (tests/postgres_server.py). Choose with
``SURVEY_TEST_BACKENDS=sqlite`` (or ``postgresql``); a test marked ``sqlite_only`` runs on SQLite alone.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest

from survey.store import open_db

BACKENDS = ("sqlite", "postgresql")


def _chosen_backends() -> tuple[str, ...]:
    chosen = tuple(
        b.strip() for b in os.environ.get("SURVEY_TEST_BACKENDS", ",".join(BACKENDS)).split(",") if b
    )
    unknown = set(chosen) - set(BACKENDS)
    if unknown:
        raise pytest.UsageError(f"SURVEY_TEST_BACKENDS must name {BACKENDS}, but got {sorted(unknown)!r}")
    return chosen


def pytest_collection_modifyitems(config, items):
    """Drop the postgresql variant of tests marked ``sqlite_only``, of ``demo_db`` tests in modules not marked
    ``demo_on_postgresql`` (not ported yet) and of backends not chosen."""
    chosen = _chosen_backends()
    keep, drop = [], []
    for item in items:
        backend = getattr(item, "callspec", None) and item.callspec.params.get("backend")
        not_ported = "demo_db" in item.fixturenames and not item.get_closest_marker("demo_on_postgresql")
        if backend and (
            backend not in chosen
            or (
                backend != "sqlite"
                and (
                    item.get_closest_marker("sqlite_only")
                    or item.get_closest_marker("postgresql_todo")
                    or not_ported
                )
            )
        ):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """A PostgreSQL server for this session and a migrated template database on it (``survey_template``);
    ``$SURVEY_TEST_DATABASE_URL`` names a server of your own instead of starting one."""
    import psycopg

    from survey import dialect
    from tests import postgres_server

    own = os.environ.get("SURVEY_TEST_DATABASE_URL")
    server = None
    if own:
        admin_url = own
    else:
        try:
            server = postgres_server.start()
        except postgres_server.NoPostgres as e:
            pytest.skip(str(e))
        admin_url = server.url()
    admin = psycopg.connect(admin_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    admin.execute("DROP DATABASE IF EXISTS survey_template")
    admin.execute("CREATE DATABASE survey_template")
    template_url = _database_url(admin_url, "survey_template")
    open_db(template_url).conn.close()  # migrate once; each test's database is a copy
    dialect.dispose_engines(template_url)
    yield _Postgres(admin, admin_url)
    admin.close()
    dialect.dispose_engines()
    if server is not None:
        server.stop()


def _database_url(admin_url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(admin_url).set(database=database).render_as_string(hide_password=False)


class _Postgres:
    """The test server: ``new_database()`` is a fresh, migrated database (a copy of the template)."""

    _numbers = itertools.count(1)

    def __init__(self, admin, admin_url: str) -> None:
        self.admin, self.admin_url = admin, admin_url

    def new_database(self, template: str = "survey_template") -> str:
        name = f"survey_test_{os.getpid()}_{next(self._numbers)}"
        self.admin.execute(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
        return _database_url(self.admin_url, name)

    def demo_template(self, sqlite_demo: Path) -> str:
        """``survey_demo_template``: the SQLite demo database copied once (survey.copy_store)."""
        from survey import dialect
        from survey.copy_store import copy_store

        if getattr(self, "_demo", None) is None:
            self.admin.execute("DROP DATABASE IF EXISTS survey_demo_template")
            self.admin.execute(
                "CREATE DATABASE survey_demo_template TEMPLATE survey_template STRATEGY FILE_COPY"
            )
            url = _database_url(self.admin_url, "survey_demo_template")
            copy_store(sqlite_demo, url, by="tests")
            dialect.dispose_engines(url)
            self._demo = "survey_demo_template"
        return self._demo

    def drop(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        from survey import dialect

        dialect.dispose_engines(url)
        self.admin.execute(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)")


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """Which store the test runs on: ``"sqlite"`` or ``"postgresql"``."""
    return request.param


@pytest.fixture
def database_target(backend, tmp_path, request):
    """What ``open_db`` opens for this test: a new SQLite file, or the URL of a new PostgreSQL database."""
    if backend == "sqlite":
        yield tmp_path / "test.db"
        return
    server = request.getfixturevalue("postgres")
    url = server.new_database()
    # the link key of a PostgreSQL store is not beside a file: this test's key is where a SQLite test's would be
    monkeypatch = request.getfixturevalue("monkeypatch")
    monkeypatch.setenv("SURVEY_SECRET_FILE", str(tmp_path / "secret.key"))
    yield url
    server.drop(url)


DEMO_CUSTOMERS = 3000


@pytest.fixture
def fresh_db(database_target):
    db = open_db(database_target)
    yield db
    db.conn.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """A demo database built once per test session (3,000 customers, seed 7)."""
    from survey.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db = open_db(path)
    result = build_demo(db, customers=DEMO_CUSTOMERS, seed=7)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    (path.parent / "credentials.txt").write_text(
        "\n".join(f"{u}\t{p}" for u, p in result.credentials.items()), encoding="utf-8"
    )
    return path


def query(path: Path, sql: str, params=()) -> list[tuple]:
    """Rows of ``sql`` read through a fresh connection (the app under test holds its own)."""
    db = open_db(path)
    try:
        return db.execute(sql, list(params)).fetchall()
    finally:
        db.conn.close()


def copy_demo(template: Path, target_dir: Path) -> Path:
    """Copy the demo database and its secret key into ``target_dir``."""
    target = target_dir / "survey.db"
    shutil.copy(template, target)
    shutil.copy(template.parent / "secret.key", target_dir / "secret.key")
    return target


@pytest.fixture
def demo_path(demo_template, tmp_path) -> Path:
    """A private copy of the demo database for one test."""
    return copy_demo(demo_template, tmp_path)


@pytest.fixture
def demo_db(backend, demo_path, request, monkeypatch):
    """The demo store for one test: a copy of the SQLite file, or (modules marked ``demo_on_postgresql``) a
    new PostgreSQL database copied from the demo (same rows, same link key)."""
    if backend == "sqlite":
        db = open_db(demo_path)
        yield db
        db.conn.close()
        return
    server = request.getfixturevalue("postgres")
    url = server.new_database(server.demo_template(request.getfixturevalue("demo_template")))
    monkeypatch.setenv("SURVEY_SECRET_FILE", str(demo_path.parent / "secret.key"))
    db = open_db(url)
    yield db
    db.conn.close()
    server.drop(url)


@pytest.fixture
def demo_target(backend, demo_path, request, monkeypatch):
    """What ``open_db`` (and the app, the CLI's ``--db``) opens for a demo test: the private SQLite copy, or the
    URL of a new PostgreSQL database copied from the demo (same rows, same link key)."""
    if backend == "sqlite":
        yield demo_path
        return
    server = request.getfixturevalue("postgres")
    url = server.new_database(server.demo_template(request.getfixturevalue("demo_template")))
    monkeypatch.setenv("SURVEY_SECRET_FILE", str(demo_path.parent / "secret.key"))
    yield url
    server.drop(url)


@pytest.fixture(scope="session")
def demo_credentials(demo_template) -> dict[str, str]:
    text = (demo_template.parent / "credentials.txt").read_text(encoding="utf-8")
    return dict(line.split("\t") for line in text.splitlines())
