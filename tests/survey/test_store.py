import sqlite3

import pytest

from survey import store
from survey.store import StoreError, migrate, open_db, schema_version, transaction

TABLES = {
    "customers",
    "questionnaires",
    "rounds",
    "round_strata",
    "assignments",
    "responses",
    "answers",
    "follow_ups",
    "users",
    "audit_log",
    "settings",
    "schema_migrations",
}


def test_new_file_gets_schema_wal_and_foreign_keys(tmp_path):
    db = open_db(tmp_path / "a.db")
    assert TABLES <= set(db.table_names())
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert schema_version(db) == max(v for v, _, _ in store.MIGRATIONS)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO round_strata (round_id, stratum, population, sample_size, start, next_start) VALUES (99, 'x', 1, 1, 0, 0)"
        )


def test_reopening_applies_nothing_twice(tmp_path):
    open_db(tmp_path / "a.db").conn.close()
    db = open_db(tmp_path / "a.db")
    assert migrate(db) == []
    assert db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(store.MIGRATIONS)


def test_new_migration_upgrades_existing_file_in_place(tmp_path, monkeypatch):
    db = open_db(tmp_path / "a.db")
    db.execute("INSERT INTO settings (key, value) VALUES ('kept', 'yes')")
    db.conn.close()

    def add_column(d):
        d.execute("ALTER TABLE users ADD COLUMN email TEXT")

    monkeypatch.setattr(store, "MIGRATIONS", [*store.MIGRATIONS, (99, "add email", add_column)])
    db = open_db(tmp_path / "a.db")
    assert "email" in db["users"].columns_dict
    assert schema_version(db) == 99
    assert store.get_setting(db, "kept") == "yes"


def test_failed_migration_leaves_file_at_previous_version(tmp_path, monkeypatch):
    open_db(tmp_path / "a.db").conn.close()

    def broken(d):
        d.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    monkeypatch.setattr(store, "MIGRATIONS", [*store.MIGRATIONS, (50, "broken", broken)])
    with pytest.raises(RuntimeError):
        open_db(tmp_path / "a.db")
    monkeypatch.undo()
    db = open_db(tmp_path / "a.db")
    assert "half_done" not in db.table_names()
    assert schema_version(db) == max(v for v, _, _ in store.MIGRATIONS)


def test_transaction_rolls_back_everything_on_error(fresh_db):
    with pytest.raises(ValueError), transaction(fresh_db):
        store.set_setting(fresh_db, "a", "1")
        raise ValueError("stop")
    assert store.get_setting(fresh_db, "a") is None


def test_db_path_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SURVEY_DB", str(tmp_path / "env.db"))
    assert store.default_db_path() == tmp_path / "env.db"
    monkeypatch.delenv("SURVEY_DB")
    assert str(store.default_db_path()) == "data/survey.db"


def test_not_a_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable SQLite database"):
        open_db(bad)


def test_missing_file_without_create(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        open_db(tmp_path / "nope.db", create=False)
