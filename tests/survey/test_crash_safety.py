"""SIGKILL in the middle of an import, a draw or a submission leaves the database as it was (on either store:
a SQLite file, where the journal undoes it; a PostgreSQL server, which rolls back the dead connection)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from survey.store import is_database_url, open_db
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
    if not is_database_url(db_path):
        out["integrity"] = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.conn.close()
    return out


def _visible(db_path) -> tuple:
    """What staff and managers see of the frame: the overview, the current totals, the region list."""
    from survey.frames import frame_overview
    from survey.results import frame_totals
    from survey.users import known_regions

    db = open_db(db_path)
    out = (frame_overview(db).to_dict("records"), frame_totals(db), known_regions(db))
    db.conn.close()
    return out


@pytest.mark.parametrize("op", ["import", "import-chunks"])
def test_killed_import_changes_nothing(demo_target, tmp_path, op):
    """Killed in the final transaction or between the short ones that add the new customers: the new rows
    that were committed stay hidden, and the next import or draw (or ``recover``) deletes them (the worker's
    pid is gone)."""
    from survey.demo import make_frame
    from survey.frame_apply import pending_import, recover

    before, seen = _snapshot(demo_target), _visible(demo_target)
    frame = make_frame(2000, seed=99)  # different ids: a real import would add 2,000 and deactivate 3,000
    frame["id"] = "X" + frame["id"]
    frame["region"] = frame["region"].where(frame.index % 2 == 0, "新区")  # a region not in the list yet
    frame.to_pickle(tmp_path / "frame.pkl")
    _kill_mid_transaction(op, str(demo_target), str(tmp_path / "frame.pkl"))
    db = open_db(demo_target)
    left = db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] - before["customers"]
    assert pending_import(db) is not None and left == (2000 if op == "import" else 800)
    db.conn.close()
    assert _visible(demo_target) == seen  # hidden while pending
    assert recover(open_db(demo_target)) is True
    assert _snapshot(demo_target) == before and _visible(demo_target) == seen


def test_a_draw_after_a_killed_import_undoes_it_first(demo_target, tmp_path):
    from survey.demo import make_frame
    from survey.frame_apply import pending_import
    from survey.rounds import draw_round

    before = _snapshot(demo_target)
    frame = make_frame(2000, seed=98)
    frame["id"] = "Y" + frame["id"]
    frame.to_pickle(tmp_path / "frame.pkl")
    _kill_mid_transaction("import-chunks", str(demo_target), str(tmp_path / "frame.pkl"))
    db = open_db(demo_target)
    draw_round(db, size=200, created_by="t")
    assert pending_import(db) is None
    assert db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == before["customers"]
    assert not db.execute("SELECT COUNT(*) FROM assignments WHERE customer_id LIKE 'Y%'").fetchone()[0]


def test_killed_draw_leaves_no_partial_round(demo_target):
    before = _snapshot(demo_target)
    _kill_mid_transaction("draw", str(demo_target), "300")
    assert _snapshot(demo_target) == before


def test_killed_submission_stores_no_half_response(demo_target):
    db = open_db(demo_target)
    aid = db.execute(
        "SELECT a.id FROM assignments a JOIN rounds r ON r.id = a.round_id WHERE r.status = 'open'"
        " AND a.status = 'issued' AND a.is_reserve = 0 LIMIT 1"
    ).fetchone()[0]
    token = make_token(secret_key(db), aid)
    db.conn.close()
    before = _snapshot(demo_target)
    _kill_mid_transaction("submit", str(demo_target), token)
    assert _snapshot(demo_target) == before
    # and the link still works afterwards
    from survey.fieldwork import resolve_token

    assert resolve_token(open_db(demo_target), token).assignment_id == aid
