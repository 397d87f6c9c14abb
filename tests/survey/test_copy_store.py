"""Issue 14, item 3: ``copy-store`` moves a SQLite installation to PostgreSQL, verified table by table."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from survey import dialect
from survey.cli import cli
from survey.copy_store import CopyStoreError, copy_store, table_checksum
from survey.store import audit, open_db


@pytest.fixture
def pg_url(postgres):
    url = postgres.new_database()
    yield url
    postgres.drop(url)


def _tables(db) -> list[str]:
    return sorted(t for t in db.table_names() if t != "schema_migrations" and not t.startswith("sqlite_"))


def test_demo_store_copies_with_equal_counts_and_checksums(demo_path, pg_url):
    copied = copy_store(demo_path, pg_url, by="test")
    src, dst = open_db(demo_path), open_db(pg_url)
    assert {t.table for t in copied} == set(_tables(src))
    assert all(t.ok for t in copied)
    assert sum(t.rows for t in copied if t.table == "customers") == 3000
    for t in copied:
        if t.table != "audit_log":  # the target has one more line: the copy itself
            assert table_checksum(dst, t.table, _cols(src, t.table)) == (t.rows, t.checksum)
    last = dst.execute("SELECT user, action FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert last == ("test", "copy_store")
    # generated ids continue after the copied ones
    top = src.execute("SELECT MAX(id) FROM audit_log").fetchone()[0]
    audit(dst, "test", "after_copy")
    assert dst.execute("SELECT MAX(id) FROM audit_log").fetchone()[0] == top + 2
    src.conn.close()
    dst.conn.close()


def _cols(db, table):
    return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]


def test_a_used_target_is_refused_and_left_alone(demo_path, pg_url):
    db = open_db(pg_url)
    audit(db, "someone", "already_here")
    db.conn.close()
    with pytest.raises(CopyStoreError, match="in use"):
        copy_store(demo_path, pg_url)
    db = open_db(pg_url)
    assert db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 0
    db.conn.close()


def test_a_mismatch_rolls_everything_back(demo_path, pg_url, monkeypatch):
    import survey.copy_store as cs

    real = cs.table_checksum

    def lying(db, table, columns):
        rows, checksum = real(db, table, columns)
        if dialect.name(db) == dialect.POSTGRESQL and table == "responses":
            return rows, "0" * 64
        return rows, checksum

    monkeypatch.setattr(cs, "table_checksum", lying)
    with pytest.raises(CopyStoreError, match="responses"):
        copy_store(demo_path, pg_url)
    db = open_db(pg_url)
    assert db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM regions").fetchone()[0] > 0  # the seed is back
    db.conn.close()


def test_cli_copy_store(demo_path, pg_url):
    result = CliRunner().invoke(cli, ["copy-store", "--db", str(demo_path), "--to", pg_url])
    assert result.exit_code == 0, result.output
    assert "counts and checksums match" in result.output


def test_the_target_must_be_postgresql(demo_path, tmp_path):
    with pytest.raises(CopyStoreError, match="postgresql://"):
        copy_store(demo_path, str(tmp_path / "other.db"))


def test_backup_and_restore_of_a_postgresql_store_use_pg_dump(demo_path, pg_url, tmp_path):
    from survey.backup import backup, restore

    copy_store(demo_path, pg_url)
    saved = backup(pg_url, tmp_path / "saved.dump")
    assert saved.stat().st_mode & 0o777 == 0o600
    db = open_db(pg_url)
    db.execute("DELETE FROM audit_log")
    db.conn.close()
    restore(saved, pg_url)
    db = open_db(pg_url)
    assert db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0] > 0
    assert db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 3000
    db.conn.close()
