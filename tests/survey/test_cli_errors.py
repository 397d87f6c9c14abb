"""Every CLI command against a locked database says so in one line and exits non-zero (issue 11, item 12).

Two locks, held by another connection: the write lock (``BEGIN IMMEDIATE`` and a write: what a long import
or draw holds; readers go on under WAL, so a command that only reads succeeds) and an exclusive hold
(``locking_mode = EXCLUSIVE``: even reads are refused). Busy timeouts are cut to 50 ms (backup/restore's
to 0.1 s) so the sweep takes seconds; before, a locked database gave a 33-line traceback and ``restore``
(Python's backup loop) waited forever.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from survey.busy import BUSY_MESSAGE
from survey.cli import cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis"))
from topic_fixture import write_fixture_corpus  # noqa: E402

#: Commands that never open an existing database: ``demo`` builds a new file, ``up`` starts the server.
NO_DATABASE = {"demo", "up"}
#: Commands that (may) only read: under a write lock held elsewhere they may succeed, as WAL readers are not
#: blocked (``follow-ups`` writes only missing items, ``backup`` its audit line); else they fail in one line.
MAY_ONLY_READ = {"backup", "follow-ups", "progress", "regions list", "report", "topic-models", "users"}


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> set[str]:
    out = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out |= _commands(command, (*prefix, name))
        else:
            out.add(" ".join((*prefix, name)))
    return out


def _arguments(tmp_path, backup_copy) -> dict[str, list[str]]:
    frame = tmp_path / "frame.csv"
    frame.write_text("户号,供电单位,用户类别\n1,福州,居民\n", encoding="utf-8")
    import questionnaires
    from questionnaires.loader import DEFAULT_FILE

    questionnaire = str(questionnaires.__path__[0] + "/" + DEFAULT_FILE)
    return {
        "backup": [str(tmp_path / "copy.db")],
        "copy-store": ["--to", f"postgresql://nobody@/none?host={tmp_path}&port=1"],
        "create-user": ["zhang", "--role", "admin", "--password", "a-long-enough-password-1"],
        "disable-user": ["staff"],
        "draw": ["--size", "20"],
        "export-report": ["--round", "1", str(tmp_path / "report.xlsx")],
        "follow-ups": [],
        "import-frame": [str(frame)],
        "import-questionnaire": [questionnaire],
        "prepare-frame": [str(frame), str(tmp_path / "prepared.parquet")],
        "reclassify-topics": ["--round", "1", "--yes"],
        "topic-models": [],
        "train-topics": [],
        "invitations": ["2"],
        "progress": ["2"],
        "regions list": [],
        "regions add": ["新区"],
        "regions add-type": ["新类"],
        "regions add-district": ["福州", "新区县"],
        "regions alias": ["福州市公司", "福州"],
        "regions unalias": ["福州市公司"],
        "regions rename-en": ["福州", "Fuzhou City"],
        "release-reserve": ["1"],
        "reminders": ["2", "--days", "1", "-o", str(tmp_path / "reminders.csv")],
        "report": ["1"],
        "reset-password": ["staff", "--password", "a-long-enough-password-1"],
        "restore": [str(backup_copy), "--yes"],
        "set-scope": ["staff", "--all-regions"],
        "users": [],
    }


def _hold(path, mode: str) -> sqlite3.Connection:
    holder = sqlite3.connect(path, isolation_level=None)
    if mode == "exclusive":
        holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE settings SET value = value")
    return holder


@pytest.fixture(params=["write", "exclusive"])
def locked_db(request, demo_path, tmp_path, monkeypatch):
    """The demo database, locked by another connection; every new connection waits only 50 ms."""
    import survey.backup

    backup_copy = tmp_path / "backup-source.db"
    shutil.copy(demo_path, backup_copy)
    holder = _hold(demo_path, request.param)
    real_connect = sqlite3.connect

    def impatient(*args, **kwargs):
        kwargs["timeout"] = 0.05
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", impatient)
    monkeypatch.setattr(survey.backup, "BUSY_SECONDS", 0.1, raising=False)
    yield demo_path, backup_copy, request.param
    holder.execute("ROLLBACK")
    holder.close()


def test_the_sweep_covers_every_command(tmp_path):
    assert set(_arguments(tmp_path, tmp_path)) == _commands(cli) - NO_DATABASE


@pytest.mark.parametrize("command", sorted(_commands(cli) - NO_DATABASE))
def test_locked_database_is_one_line_and_a_failure(command, locked_db, tmp_path, monkeypatch):
    db_path, backup_copy, mode = locked_db
    if command == "train-topics":  # the small fixture corpus: the shipped one trains for minutes before the write
        monkeypatch.setenv("SURVEY_TOPIC_CORPUS", str(write_fixture_corpus(tmp_path / "corpus")))
    args = [*command.split(), *_arguments(tmp_path, backup_copy)[command], "--db", str(db_path)]
    result = CliRunner().invoke(cli, args)
    lines = result.output.strip().splitlines()
    if mode == "write" and command in MAY_ONLY_READ and result.exit_code == 0:
        return
    if mode == "write" and command == "copy-store":  # reads the source (WAL), then fails on the unreachable target
        assert result.exit_code != 0 and len(lines) == 1 and lines[0].startswith("Error: "), result.output
        return
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # a ClickException, no traceback
    assert lines == [f"Error: {BUSY_MESSAGE}"], result.output


def test_real_process_prints_one_line(demo_path, tmp_path):
    """The review's probe in a real process: no 33-line traceback (busy timeout shortened by a wrapper)."""
    import subprocess
    import sys

    holder = _hold(demo_path, "write")
    script = (
        "import sqlite3, sys; real = sqlite3.connect\n"
        "sqlite3.connect = lambda *a, **k: real(*a, **{**k, 'timeout': 0.05})\n"
        "from survey.cli import cli; cli(sys.argv[1:], prog_name='python -m survey')\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script, "disable-user", "staff", "--db", str(demo_path)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"Error: {BUSY_MESSAGE}"]
