"""Backup under write load, restore, and the CLI around them: SQLite's file backup (a PostgreSQL store is backed up
with pg_dump: tests/survey/test_copy_store.py); the account commands run on both backends."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from survey.backup import BackupError, backup, restore
from survey.cli import cli
from survey.store import open_db

WRITER = """
import sys, time
sys.path.insert(0, {root!r})
from survey.store import open_db, transaction, audit
db = open_db({db!r})
print("READY", flush=True)
i = 0
while True:
    with transaction(db):  # a multi-row transaction: both rows or none
        audit(db, "writer", "load", f"pair {{i}} a")
        audit(db, "writer", "load", f"pair {{i}} b")
    i += 1
"""


def _pairs_complete(path) -> int:
    db = open_db(path)
    n = db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'load'").fetchone()[0]
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.conn.close()
    assert n % 2 == 0, "a backup caught half a transaction"
    return n


def test_backup_under_write_load_is_a_consistent_snapshot(demo_path, tmp_path):
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER.format(root=root, db=str(demo_path))], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "READY"
        time.sleep(0.5)
        copies = [backup(demo_path, tmp_path / f"b{i}.db", pages=16) for i in range(3)]
    finally:
        proc.kill()
        proc.wait()
    counts = [_pairs_complete(c) for c in copies]
    assert counts[-1] > 0
    assert counts == sorted(counts)
    src = open_db(copies[-1])
    assert src.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 3000


def test_restore_replaces_the_database(demo_path, tmp_path):
    saved = backup(demo_path, tmp_path / "saved.db")
    db = open_db(demo_path)
    db.execute("DELETE FROM answers")
    db.execute("DELETE FROM follow_ups")
    db.execute("DELETE FROM suggestion_topics")  # the stored topic classification of each response
    db.execute("DELETE FROM topic_corrections")
    db.execute("DELETE FROM responses")
    db.conn.close()
    restore(saved, demo_path)
    db = open_db(demo_path)
    assert db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] > 0


@pytest.mark.parametrize("content", [b"", b"not a database at all" * 50])
def test_restore_refuses_a_bad_file_and_keeps_the_database(demo_path, tmp_path, content):
    bad = tmp_path / "bad.db"
    bad.write_bytes(content)
    with pytest.raises(BackupError):
        restore(bad, demo_path)
    assert open_db(demo_path).execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 3000


def test_backup_will_not_overwrite(demo_path, tmp_path):
    backup(demo_path, tmp_path / "x.db")
    with pytest.raises(BackupError, match="already exists"):
        backup(demo_path, tmp_path / "x.db")


def test_cli_backup_and_restore(demo_path, tmp_path):
    runner = CliRunner()
    out = runner.invoke(cli, ["backup", str(tmp_path / "c.db"), "--db", str(demo_path)])
    assert out.exit_code == 0 and "backup written" in out.output
    out = runner.invoke(cli, ["restore", str(tmp_path / "c.db"), "--db", str(demo_path), "--yes"])
    assert out.exit_code == 0
    out = runner.invoke(cli, ["restore", str(tmp_path / "missing.db"), "--db", str(demo_path), "--yes"])
    assert out.exit_code != 0


def test_cli_account_commands(demo_target):
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["set-scope", "manager", "--region", "泉州", "--db", str(demo_target)]).exit_code
        == 0
    )
    assert runner.invoke(cli, ["disable-user", "staff", "--db", str(demo_target)]).exit_code == 0
    listing = runner.invoke(cli, ["users", "--db", str(demo_target)]).output
    assert "manager\tmanager\t泉州" in listing and "staff\tstaff\t*\tdisabled" in listing
    bad = runner.invoke(cli, ["set-scope", "manager", "--db", str(demo_target)])
    assert bad.exit_code != 0 and "either --region" in bad.output
    assert (
        runner.invoke(
            cli, ["reset-password", "nobody", "--password", "12345678", "--db", str(demo_target)]
        ).exit_code
        != 0
    )


def test_a_backup_that_keeps_starting_over_is_done_in_one_step():
    """SQLite restarts a step-wise backup whenever another connection writes; under steady writes (the test
    above) it could start over for ever. The progress callback notices the copy starting over (pages remaining
    going up) and, after MAX_RESTARTS, backup() copies in one step instead."""
    import sqlite3

    from survey.backup import MAX_RESTARTS, _give_up_when_busy, _Restarting

    progress = _give_up_when_busy(30.0, restarts=MAX_RESTARTS)
    progress(sqlite3.SQLITE_OK, 90, 100)
    for _ in range(MAX_RESTARTS):
        progress(sqlite3.SQLITE_OK, 80, 100)
        progress(sqlite3.SQLITE_OK, 95, 100)  # started over
    progress(sqlite3.SQLITE_OK, 50, 100)  # going down is progress
    with pytest.raises(_Restarting):
        progress(sqlite3.SQLITE_OK, 99, 100)
    steady = _give_up_when_busy(30.0, restarts=MAX_RESTARTS)
    for remaining in range(100, 0, -10):
        steady(sqlite3.SQLITE_OK, remaining, 100)  # a copy that never starts over is never cut short
