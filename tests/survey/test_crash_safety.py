"""SIGKILL in the middle of an import, a draw or a submission leaves the database as it was."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from survey.store import open_db
from survey.tokens import make_token, secret_key

WORKER = Path(__file__).with_name("crash_worker.py")


def _kill_mid_transaction(*args: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    line = proc.stdout.readline().strip()
    if line != "IN_TX":
        proc.kill()
        pytest.fail(f"worker did not reach its transaction: {line!r} {proc.stderr.read()}")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _snapshot(db_path) -> dict:
    db = open_db(db_path)
    out = {
        t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608 - fixed table names
        for t in ("customers", "rounds", "round_strata", "assignments", "responses", "answers", "audit_log")
    }
    out["active"] = db.execute("SELECT COUNT(*) FROM customers WHERE active = 1").fetchone()[0]
    out["complete"] = db.execute("SELECT COUNT(*) FROM assignments WHERE status = 'complete'").fetchone()[0]
    out["integrity"] = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.conn.close()
    return out


def test_killed_import_changes_nothing(demo_path, tmp_path):
    from survey.demo import make_frame

    before = _snapshot(demo_path)
    frame = make_frame(2000, seed=99)  # different ids: a real import would add 2,000 and deactivate 3,000
    frame["id"] = "X" + frame["id"]
    frame.to_pickle(tmp_path / "frame.pkl")
    _kill_mid_transaction("import", str(demo_path), str(tmp_path / "frame.pkl"))
    assert _snapshot(demo_path) == before


def test_killed_draw_leaves_no_partial_round(demo_path):
    before = _snapshot(demo_path)
    _kill_mid_transaction("draw", str(demo_path), "300")
    assert _snapshot(demo_path) == before


def test_killed_submission_stores_no_half_response(demo_path):
    db = open_db(demo_path)
    aid = db.execute(
        "SELECT a.id FROM assignments a JOIN rounds r ON r.id = a.round_id WHERE r.status = 'open'"
        " AND a.status = 'issued' AND a.is_reserve = 0 LIMIT 1"
    ).fetchone()[0]
    token = make_token(secret_key(db), aid)
    db.conn.close()
    before = _snapshot(demo_path)
    _kill_mid_transaction("submit", str(demo_path), token)
    assert _snapshot(demo_path) == before
    # and the link still works afterwards
    from survey.fieldwork import resolve_token

    assert resolve_token(open_db(demo_path), token).assignment_id == aid
