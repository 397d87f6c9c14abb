"""Session state: database connection, signed-in user, language, idle timeout. Keys are declared once here."""

from __future__ import annotations

import os
import sys
import time
import uuid

import streamlit as st

from survey.store import default_db_path, open_db
from survey.users import User, current_user

KEYS = {
    "lang": "zh",
    "user": None,
    "submitted": False,
    "db_path": None,
    "last_active": 0.0,
    "timed_out": False,
    "bad_tokens": 0,
    "client_id": None,
    "sid": None,
}
#: Minutes of inactivity after which a signed-in session ends ($SURVEY_SESSION_MINUTES, default 30).
SESSION_MINUTES = float(os.environ.get("SURVEY_SESSION_MINUTES", "30"))


def init() -> None:
    for key, value in KEYS.items():
        st.session_state.setdefault(key, value)


def db():
    """This session's connection to the survey database (``$SURVEY_DATABASE_URL``, ``$SURVEY_DB`` or
    data/survey.db)."""
    path = str(os.environ.get("SURVEY_DATABASE_URL") or os.environ.get("SURVEY_DB") or default_db_path())
    if st.session_state.get("db_path") != path or "db" not in st.session_state:
        database = open_db(path)
        _require_link_key(database)
        st.session_state["db"] = database
        st.session_state["db_path"] = path
    return st.session_state["db"]


def _require_link_key(database) -> None:
    """Refuse to start on a link key shorter than 32 bytes (an empty secret.key, a short $SURVEY_SECRET):
    every customer's link could be computed from it. Staff see why; a customer sees only that it is down."""
    from survey.tokens import SecretKeyError, secret_key
    from ui.i18n import t

    try:
        secret_key(database)
    except SecretKeyError as e:
        print(f"survey: {e}", file=sys.stderr)
        st.error(t("link_key_invalid"))
        if "t" not in st.query_params:
            st.code(str(e), language=None)
        st.stop()


def user() -> User | None:
    return st.session_state.get("user")


def client_keys() -> tuple[str, ...]:
    """Who is signing in, for the sign-in limits: this browser session and, when Streamlit knows it,
    the client's address (behind a proxy, the proxy's)."""
    if not st.session_state.get("client_id"):
        st.session_state["client_id"] = uuid.uuid4().hex
    keys = [f"session:{st.session_state['client_id']}"]
    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001 - outside a browser session (AppTest)
        address = None
    if address:
        keys.append(f"ip:{address}")
    return tuple(keys)


def sign_in(u: User) -> None:
    st.session_state["user"] = u
    st.session_state["last_active"] = time.time()
    st.session_state["timed_out"] = False


def _cookie_sid() -> str | None:
    """The session cookie's id, when the app runs under the launcher (survey_server.py)."""
    if os.environ.get("SURVEY_WEB_SESSIONS") != "1":
        return None
    from survey.web_sessions import COOKIE

    try:
        return st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no browser request (AppTest)
        return None


def sign_out() -> None:
    sid = st.session_state.pop("sid", None)
    if sid:
        from survey.web_sessions import revoke

        revoke(db(), sid)
    st.session_state["user"] = None
    from ui.downloads import forget_all  # files with personal data do not outlive the session

    forget_all()


def refresh_user() -> User | None:
    """Re-read the signed-in account on every run (disable / scope changes apply at once) and
    end the session after :data:`SESSION_MINUTES` idle minutes."""
    u = user()
    sid = _cookie_sid()
    if sid and (u is None or st.session_state.get("sid") == sid):
        from survey.web_sessions import resume

        resumed = resume(
            db(), sid
        )  # revoked elsewhere (sign-out in another tab, account changed) ends it here
        if resumed is None:
            if u is not None:
                st.session_state["sid"] = None
                sign_out()
            return None
        if u is None:
            sign_in(resumed)
        st.session_state["sid"] = sid
        u = resumed
    if u is None:
        return None
    last = float(st.session_state.get("last_active") or 0) or time.time()
    idle = time.time() - last
    fresh = current_user(db(), u.name)
    if fresh is None or idle > SESSION_MINUTES * 60:
        sign_out()
        st.session_state["timed_out"] = fresh is not None
        return None
    st.session_state["user"] = fresh
    st.session_state["last_active"] = time.time()
    return fresh
