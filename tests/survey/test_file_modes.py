"""Issue 11, item 13: files holding personal data or secrets are created readable only by their owner.

The finding: the database, its WAL and backups were created 0644 (world-readable). The sweep: every file the
system creates with customers' data or a secret — database, -wal, -shm, a backup and its journal, a database
restored into a new path, secret.key, demo-credentials.txt (also over an older, wider file), the folders made
for them — is 0600 (folders 0700), whatever the process umask.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from survey.backup import backup, restore
from survey.cli import cli
from survey.store import open_db, open_private
from survey.tokens import secret_key


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask(monkeypatch):
    """The usual 022 (or an even wider 000) must not leave files readable by others."""
    monkeypatch.delenv("SURVEY_SECRET", raising=False)
    old = os.umask(0o000)
    yield
    os.umask(old)


def test_database_wal_and_shm_are_0600_in_a_0700_folder(tmp_path):
    path = tmp_path / "data" / "survey.db"
    db = open_db(path)
    db.execute("CREATE TABLE t (x)")
    db.execute("INSERT INTO t VALUES (1)")
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    assert wal.exists() and shm.exists()
    assert {p.name: mode(p) for p in (path, wal, shm)} == {p.name: 0o600 for p in (path, wal, shm)}
    assert mode(path.parent) == 0o700
    db.conn.close()


def test_an_existing_folder_keeps_its_mode(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o750)
    os.chmod(folder, 0o750)
    open_db(folder / "survey.db").conn.close()
    assert mode(folder) == 0o750 and mode(folder / "survey.db") == 0o600


def test_backup_and_its_journal_are_0600(demo_path, tmp_path):
    dest = tmp_path / "backups" / "copy.db"
    backup(demo_path, dest)
    assert mode(dest) == 0o600 and mode(dest.parent) == 0o700
    out = open_db(dest)  # opening the copy later (WAL again) keeps its files private too
    out.execute("CREATE TABLE t (x)")
    assert mode(Path(f"{dest}-wal")) == 0o600
    out.conn.close()


def test_restore_into_a_new_path_is_0600(demo_path, tmp_path):
    dest = tmp_path / "copy.db"
    backup(demo_path, dest)
    target = tmp_path / "restored" / "survey.db"
    restore(dest, target)
    assert mode(target) == 0o600 and mode(target.parent) == 0o700


def test_cli_backup_is_0600(demo_path, tmp_path):
    dest = tmp_path / "cli-backup.db"
    result = CliRunner().invoke(cli, ["backup", str(dest), "--db", str(demo_path)])
    assert result.exit_code == 0, result.output
    assert mode(dest) == 0o600


def test_secret_key_is_0600(fresh_db, tmp_path):
    secret_key(fresh_db)
    assert mode(tmp_path / "secret.key") == 0o600


def test_demo_database_key_and_credentials_are_private(tmp_path):
    path = tmp_path / "demo" / "survey.db"
    path.parent.mkdir()
    (path.parent / "demo-credentials.txt").write_text("old")
    os.chmod(path.parent / "demo-credentials.txt", 0o644)  # an older, world-readable file is tightened
    result = CliRunner().invoke(cli, ["demo", "--db", str(path), "--customers", "200"])
    assert result.exit_code == 0, result.output
    for name in ("survey.db", "secret.key", "demo-credentials.txt"):
        assert mode(path.parent / name) == 0o600, name
    assert "old" not in (path.parent / "demo-credentials.txt").read_text()


def test_open_private_tightens_an_existing_file(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("public")
    os.chmod(path, 0o666)
    with open_private(path, "w", encoding="utf-8") as f:
        f.write("private")
    assert mode(path) == 0o600 and path.read_text() == "private"
    with pytest.raises(FileExistsError):
        open_private(path, "wb", exclusive=True)
