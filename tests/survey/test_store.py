import pytest

from survey import dialect, store
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


def test_new_database_gets_schema_and_foreign_keys(database_target):
    db = open_db(database_target)
    assert TABLES <= set(db.table_names())
    assert schema_version(db) == max(v for v, _, _ in store.MIGRATIONS)
    with pytest.raises(dialect.integrity_errors()):
        db.execute(
            "INSERT INTO round_strata (round_id, stratum, population, sample_size, start, next_start) VALUES (99, 'x', 1, 1, 0, 0)"
        )
    db.conn.close()


@pytest.mark.sqlite_only
def test_new_file_is_in_wal_mode_with_foreign_keys(tmp_path):
    db = open_db(tmp_path / "a.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_reopening_applies_nothing_twice(database_target):
    open_db(database_target).conn.close()
    db = open_db(database_target)
    assert migrate(db) == []
    assert db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(store.MIGRATIONS)


def test_new_migration_upgrades_existing_database_in_place(database_target, monkeypatch):
    db = open_db(database_target)
    db.execute("INSERT INTO settings (key, value) VALUES ('kept', 'yes')")
    db.conn.close()

    def add_column(d):
        d.execute("ALTER TABLE users ADD COLUMN email TEXT")

    monkeypatch.setattr(store, "MIGRATIONS", [*store.MIGRATIONS, (99, "add email", add_column)])
    db = open_db(database_target)
    assert db.execute("SELECT email FROM users").fetchall() == []
    assert schema_version(db) == 99
    assert store.get_setting(db, "kept") == "yes"


def test_failed_migration_leaves_database_at_previous_version(database_target, monkeypatch):
    open_db(database_target).conn.close()

    def broken(d):
        d.execute("CREATE TABLE half_done (x TEXT)")
        raise RuntimeError("boom")

    monkeypatch.setattr(store, "MIGRATIONS", [*store.MIGRATIONS, (50, "broken", broken)])
    with pytest.raises(RuntimeError):
        open_db(database_target)
    monkeypatch.undo()
    db = open_db(database_target)
    assert "half_done" not in db.table_names()
    assert schema_version(db) == max(v for v, _, _ in store.MIGRATIONS)


def test_transaction_rolls_back_everything_on_error(fresh_db):
    with pytest.raises(ValueError), transaction(fresh_db):
        store.set_setting(fresh_db, "a", "1")
        raise ValueError("stop")
    assert store.get_setting(fresh_db, "a") is None


def test_nested_transaction_joins_the_outer_one(fresh_db):
    with transaction(fresh_db):
        assert fresh_db.conn.in_transaction
        with transaction(fresh_db):
            store.set_setting(fresh_db, "a", "1")
        assert fresh_db.conn.in_transaction
    assert not fresh_db.conn.in_transaction
    assert store.get_setting(fresh_db, "a") == "1"


def test_placeholders_quotes_and_the_user_column(fresh_db):
    store.audit(fresh_db, "alice", "sign_in", "at 12:00 ? 'quoted'")
    rows = fresh_db.execute(
        "SELECT user, detail FROM audit_log WHERE user = ? AND detail LIKE '%12:00 ?%' AND action = ?",
        ["alice", "sign_in"],
    ).fetchall()
    assert rows == [("alice", "at 12:00 ? 'quoted'")]


def test_a_nul_in_text_is_stored_on_either_store(fresh_db):
    """PostgreSQL text cannot hold NUL: the statement still runs (the NUL marked as U+FFFD there)."""
    store.audit(fresh_db, "x\x00y", "sign_in_failed", "a\x00b")
    row = fresh_db.execute("SELECT user, detail FROM audit_log WHERE action = 'sign_in_failed'").fetchone()
    expected = ("x\x00y", "a\x00b") if dialect.name(fresh_db) == dialect.SQLITE else ("x\ufffdy", "a\ufffdb")
    assert row == expected


def test_int_parameters_compare_with_text_columns_as_on_sqlite(fresh_db):
    store.set_setting(fresh_db, "n", "5")
    assert fresh_db.execute("SELECT key FROM settings WHERE value = ?", [5]).fetchall() == [("n",)]


def test_generated_ids_follow_explicit_ones(fresh_db):
    fresh_db.execute("INSERT INTO audit_log (id, at, action) VALUES (41, 'x', 'explicit')")
    store.ids_inserted(fresh_db, "audit_log")
    new = fresh_db.execute(
        "INSERT INTO audit_log (at, action) VALUES ('y', 'generated') RETURNING id"
    ).fetchone()[0]
    assert new == 42


def test_database_url_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SURVEY_DB", str(tmp_path / "env.db"))
    monkeypatch.setenv("SURVEY_DATABASE_URL", "postgresql://survey@db.example/survey")
    assert store.default_database() == "postgresql://survey@db.example/survey"
    assert store.is_database_url(store.default_database())
    monkeypatch.delenv("SURVEY_DATABASE_URL")
    assert store.default_database() == tmp_path / "env.db"


def test_sql_translation_for_postgresql():
    text, count = dialect.translate_sql(
        "SELECT user, CAST(v AS REAL) FROM t WHERE a = ? AND b = '?:x' -- ?\n"
    )
    assert count == 1
    assert text.startswith("SELECT \"user\", CAST(v AS DOUBLE PRECISION) FROM t WHERE a = %s AND b = '?:x'")
    # with placeholders psycopg reads every %: the literal ones are doubled; without, the text goes as it is
    assert dialect.translate_sql("SELECT 7 % 2 FROM t WHERE a LIKE '%x' AND b = ?") == (
        "SELECT 7 %% 2 FROM t WHERE a LIKE '%%x' AND b = %s",
        1,
    )
    assert dialect.translate_sql("SELECT 7 % 2 FROM t WHERE a LIKE '%x'") == (
        "SELECT 7 % 2 FROM t WHERE a LIKE '%x'",
        0,
    )
    assert "IDENTITY" in dialect.translate_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT)")[0]
    assert dialect.split_script("CREATE TABLE a (x TEXT); -- one; two\nCREATE TABLE b (y TEXT);") == [
        "CREATE TABLE a (x TEXT)",
        "-- one; two\nCREATE TABLE b (y TEXT)",
    ]


def test_db_path_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SURVEY_DB", str(tmp_path / "env.db"))
    assert store.default_db_path() == tmp_path / "env.db"
    monkeypatch.delenv("SURVEY_DB")
    assert str(store.default_db_path()) == "data/survey.db"


@pytest.mark.sqlite_only
def test_not_a_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable SQLite database"):
        open_db(bad)


@pytest.mark.sqlite_only
def test_missing_file_without_create(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        open_db(tmp_path / "nope.db", create=False)
