"""Browser sessions behind an HttpOnly cookie, so a reload or a new tab keeps a staff member signed in.

The cookie holds a random session id (256 bits); the database holds only its SHA-256, with the account, the
creation, last-seen and expiry times and, once ended, when and why it was revoked. A session ends at sign-out,
when the account is disabled, its role or scope changes or its password is reset (:func:`revoke_user`), after
``$SURVEY_SESSION_MINUTES`` idle minutes (default 30) and at the latest after :data:`MAX_HOURS` hours.
The cookie itself is set and cleared by the launcher's ``/auth`` routes (``survey_server.py``).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import UTC, datetime, timedelta

import sqlite_utils

from survey.store import audit, now, transaction
from survey.users import User, current_user

COOKIE = "survey_session"
MAX_HOURS = 12
#: Last-seen times are written at most this often (seconds), so page runs do not all write.
TOUCH_SECONDS = 60


def idle_minutes() -> float:
    """Idle minutes after which a session ends: ``$SURVEY_SESSION_MINUTES`` (default 30)."""
    return float(os.environ.get("SURVEY_SESSION_MINUTES", "30"))


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8", "replace")).hexdigest()


def _at(delta: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) + delta).replace(microsecond=0).isoformat()


def create_session(db: sqlite_utils.Database, user: User) -> str:
    """A new session for a signed-in account; returns the session id for the cookie (never stored)."""
    sid = secrets.token_urlsafe(32)
    with transaction(db):
        db.execute(
            "INSERT INTO web_sessions (sid_hash, user, created_at, last_seen, expires_at) VALUES (?, ?, ?, ?, ?)",
            [_hash(sid), user.name, now(), now(), _at(timedelta(hours=MAX_HOURS))],
        )
        audit(db, user.name, "session_start", "")
    return sid


def resume(db: sqlite_utils.Database, sid: str | None) -> User | None:
    """The account of a live session id, or None (unknown, revoked, expired, idle too long, account disabled).

    An idle or expired session is revoked on the way; the last-seen time moves on (at most once a minute).
    """
    if not sid or not isinstance(sid, str) or len(sid) > 200:
        return None
    key = _hash(sid)
    row = db.execute(
        "SELECT user, last_seen, expires_at, revoked_at FROM web_sessions WHERE sid_hash = ?", [key]
    ).fetchone()
    if row is None:
        return None
    name, last_seen, expires_at, revoked_at = row
    if revoked_at is not None:
        return None
    moment = now()
    idle_limit = (datetime.fromisoformat(last_seen) + timedelta(minutes=idle_minutes())).isoformat()
    account = current_user(db, name)
    if account is None or moment > expires_at or moment > idle_limit:
        why = "account disabled" if account is None else ("expired" if moment > expires_at else "idle")
        _revoke(db, "sid_hash = ?", [key], why)
        return None
    if (datetime.fromisoformat(moment) - datetime.fromisoformat(last_seen)).total_seconds() >= TOUCH_SECONDS:
        with transaction(db):
            db.execute("UPDATE web_sessions SET last_seen = ? WHERE sid_hash = ?", [moment, key])
    return account


def _revoke(db: sqlite_utils.Database, where: str, params: list, why: str) -> int:
    with transaction(db):
        cursor = db.execute(
            f"UPDATE web_sessions SET revoked_at = ?, revoked_why = ? WHERE revoked_at IS NULL AND {where}",  # noqa: S608 (fixed clauses)
            [now(), why, *params],
        )
    return cursor.rowcount


def revoke(db: sqlite_utils.Database, sid: str | None, *, why: str = "signed out") -> bool:
    """End one session (sign-out); True if it was live."""
    if not sid or not isinstance(sid, str):
        return False
    return _revoke(db, "sid_hash = ?", [_hash(sid)], why) > 0


def revoke_user(db: sqlite_utils.Database, name: str, *, why: str) -> int:
    """End every session of an account (disabled, role or scope changed, password reset); how many ended."""
    return _revoke(db, "user = ?", [name], why)
