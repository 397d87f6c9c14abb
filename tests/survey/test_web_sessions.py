"""Server-side browser sessions (survey.web_sessions): only a hash is stored; sessions end at sign-out, idle
timeout, expiry and every account change that must take effect at once."""

from __future__ import annotations

import pytest

from survey.users import User, create_user, reset_password, set_disabled, set_scope
from survey.web_sessions import _hash, create_session, resume, revoke


@pytest.fixture
def account(fresh_db):
    create_user(fresh_db, "qz", "manager", "quanzhou-pass-1", region="泉州")
    return fresh_db, User("qz", "manager", "泉州")


def test_a_session_resumes_and_only_its_hash_is_stored(account):
    db, user = account
    sid = create_session(db, user)
    assert len(sid) >= 43  # 256 bits, url-safe
    assert resume(db, sid) == user
    assert db.execute("SELECT COUNT(*) FROM web_sessions WHERE sid_hash = ?", [sid]).fetchone()[0] == 0
    assert resume(db, sid + "x") is None and resume(db, None) is None and resume(db, "a" * 10_000) is None


def test_sign_out_ends_the_session(account):
    db, user = account
    sid = create_session(db, user)
    assert revoke(db, sid)
    assert resume(db, sid) is None and not revoke(db, sid)


@pytest.mark.parametrize("change", [
    lambda db: set_disabled(db, "qz", True),
    lambda db: set_scope(db, "qz", region="厦门"),
    lambda db: set_scope(db, "qz", region="泉州", role="staff"),
    lambda db: reset_password(db, "qz", "another-pass-123"),
])  # fmt: skip
def test_account_changes_end_every_session_of_the_account(account, change):
    db, user = account
    sids = [create_session(db, user) for _ in range(2)]
    create_user(db, "other", "manager", "other-pass-1234", region="厦门")
    theirs = create_session(db, User("other", "manager", "厦门"))
    change(db)
    assert all(resume(db, sid) is None for sid in sids)
    assert resume(db, theirs) is not None


def test_idle_and_expired_sessions_end(account, monkeypatch):
    db, user = account
    idle, old = create_session(db, user), create_session(db, user)
    db.execute("UPDATE web_sessions SET last_seen = '2000-01-01T00:00:00+00:00' WHERE sid_hash = ?", [_hash(idle)])
    db.execute("UPDATE web_sessions SET expires_at = '2000-01-01T00:00:00+00:00' WHERE sid_hash = ?", [_hash(old)])
    assert resume(db, idle) is None and resume(db, old) is None
    reasons = {r[0] for r in db.execute("SELECT revoked_why FROM web_sessions")}
    assert reasons == {"idle", "expired"}
    monkeypatch.setenv("SURVEY_SESSION_MINUTES", "100000000")
    fresh = create_session(db, user)
    assert resume(db, fresh) == user
