"""Customer page under a locked database (issue 11, item 9): "the system is busy, please try again", the
answers kept, and the same answers submitted once the lock is gone — never an error page."""

from __future__ import annotations

import sqlite3

from survey.store import open_db
from survey.tokens import make_token, secret_key

ANSWERS = {
    "overall": 4, "attitude": 5, "skill": 4, "reliability": 4, "voltage": 5, "planned_outage": "no",
    "reported_fault": "no", "billing": 3, "complained": "no", "vs_last_year": "better",
}  # fmt: skip


def _token(demo_path) -> tuple[int, str]:
    db = open_db(demo_path)
    aid = db.execute(
        "SELECT a.id FROM assignments a JOIN rounds r ON r.id = a.round_id WHERE r.status = 'open'"
        " AND a.is_reserve = 0 AND a.status = 'issued' ORDER BY a.id LIMIT 1"
    ).fetchone()[0]
    token = make_token(secret_key(db), aid)
    db.conn.close()
    return aid, token


def _responses(demo_path, aid) -> int:
    db = open_db(demo_path)
    try:
        return db.execute("SELECT COUNT(*) FROM responses WHERE assignment_id = ?", [aid]).fetchone()[0]
    finally:
        db.conn.close()


def test_busy_database_asks_to_try_again_and_keeps_the_answers(app, demo_path, monkeypatch):
    real_connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: real_connect(*a, **{**k, "timeout": 0.1}))
    aid, token = _token(demo_path)
    at = app(token=token)
    for qid, value in ANSWERS.items():
        at.radio(key=f"q_{qid}").set_value(value).run()
    holder = real_connect(demo_path, isolation_level=None)  # e.g. a long import elsewhere
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE settings SET value = value")
    try:
        at.text_area(key="q_suggestion").input("周末营业").run()  # the draft cannot be saved now
        assert not at.exception
        assert any("草稿暂未保存" in c.value for c in at.caption)
        at.button(key="submit").click().run()
        assert not at.exception and not at.error
        assert any("系统繁忙，请稍后再试" in w.value for w in at.warning)
        assert at.radio(key="q_overall").value == 4 and at.text_area(key="q_suggestion").value == "周末营业"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _responses(demo_path, aid) == 0
    at.button(key="submit").click().run()  # the lock is gone: the same answers go in
    assert not at.exception
    assert any("提交成功" in s.value for s in at.success)
    assert _responses(demo_path, aid) == 1


def test_english_busy_message(app, demo_path, monkeypatch):
    real_connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: real_connect(*a, **{**k, "timeout": 0.1}))
    _, token = _token(demo_path)
    at = app(token=token)
    for qid, value in ANSWERS.items():
        at.radio(key=f"q_{qid}").set_value(value).run()
    at.session_state["lang"] = "en"  # the English switch
    holder = real_connect(demo_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE settings SET value = value")
    try:
        at.button(key="submit").click().run()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not at.exception
    assert any("The system is busy, please try again" in w.value for w in at.warning)
