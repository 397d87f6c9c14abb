"""Shared fixtures: real SQLite files in tmp_path, and a small seeded demo database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from survey.store import open_db

DEMO_CUSTOMERS = 3000


@pytest.fixture
def fresh_db(tmp_path):
    db = open_db(tmp_path / "test.db")
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
def demo_db(demo_path):
    db = open_db(demo_path)
    yield db
    db.conn.close()


@pytest.fixture(scope="session")
def demo_credentials(demo_template) -> dict[str, str]:
    text = (demo_template.parent / "credentials.txt").read_text(encoding="utf-8")
    return dict(line.split("\t") for line in text.splitlines())
