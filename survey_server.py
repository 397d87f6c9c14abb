"""Launcher: the Streamlit app plus the two HTTP routes that set and clear the HttpOnly session cookie.

Run ``python -m streamlit run survey_server.py`` (``python -m survey up`` does). Staff sign in through a plain
HTML form that posts to ``/session/login``; the route checks the password (the same ``survey.users.authenticate``,
with its lockout and rate limits, the client's address as a limit key), opens a server-side session
(``survey.web_sessions``) and answers with a ``Set-Cookie: survey_session=…; HttpOnly; SameSite=Strict``
redirect to the page that was asked for. A reload or a new tab then resumes that session. ``/session/logout``
revokes it and clears the cookie. ``streamlit run survey_app.py`` still works, with sign-in per browser tab.
"""

from __future__ import annotations

import logging
import os
import threading
from urllib.parse import quote, urlsplit

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

os.environ["SURVEY_WEB_SESSIONS"] = "1"  # the app script shows the cookie sign-in form (ui/login.py)


def _safe_next(value: str | None) -> str:
    """Only a path of this site: ``/dashboard`` yes, ``//evil.example`` or ``https://…`` no."""
    path = (value or "/").strip()
    if not path.startswith("/") or path.startswith("//") or "\\" in path or len(path) > 200:
        return "/"
    return urlsplit(path).path or "/"


def _same_origin(request: Request) -> bool:
    """The form was posted by a page of this site (CSRF): Origin, else Referer, must name this host."""
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    return bool(source) and urlsplit(source).netloc == request.headers.get("host", request.url.netloc)


def _sign_in(name: str, password: str, client: str) -> tuple[str | None, str]:
    from survey.store import open_db
    from survey.users import AccountLocked, TooManyAttempts, authenticate
    from survey.web_sessions import create_session

    db = open_db()
    try:
        try:
            user = authenticate(db, name, password, client=(f"ip:{client}",))
        except AccountLocked as e:
            return None, f"locked&until={quote(e.until)}"
        except TooManyAttempts as e:
            return None, f"throttled&minutes={max(1, round(e.retry_after / 60))}"
        if user is None:
            return None, "failed"
        return create_session(db, user), ""
    finally:
        db.conn.close()


async def login(request: Request) -> Response:
    form = await request.form()
    target = _safe_next(str(form.get("goto") or "/"))
    if not _same_origin(request):
        return Response("cross-site sign-in refused", status_code=403)
    sid, problem = await run_in_threadpool(
        _sign_in, str(form.get("account") or "")[:200], str(form.get("passphrase") or "")[:2000],
        request.client.host if request.client else "",
    )  # fmt: skip
    if sid is None:
        return RedirectResponse(f"{target}?auth={problem}", 303)
    response = RedirectResponse(target, status_code=303)
    from survey.web_sessions import COOKIE, MAX_HOURS

    response.set_cookie(COOKIE, sid, max_age=MAX_HOURS * 3600, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")  # fmt: skip
    return response


async def logout(request: Request) -> Response:
    from survey.store import open_db
    from survey.web_sessions import COOKIE, revoke

    if request.method == "POST" and not _same_origin(request):
        return Response("cross-site sign-out refused", status_code=403)
    sid = request.cookies.get(COOKIE)
    if sid:
        db = open_db()
        try:
            await run_in_threadpool(revoke, db, sid)
        finally:
            db.conn.close()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def _warm_topics() -> None:
    """Load (or, the first time after an install or upgrade, train) the suggestion-topic model now, in the
    background, so the first customer's submission does not wait for it (``python -m survey up`` prepares it
    before starting the server; this covers a plain ``streamlit run survey_server.py``)."""
    from survey.follow_ups import warm_follow_up_rules

    try:
        warm_follow_up_rules()
    except Exception:  # noqa: BLE001 - a submission loads it again and reports the problem there
        logging.getLogger(__name__).exception("suggestion-topic model not prepared at start")


threading.Thread(target=_warm_topics, name="warm-topics", daemon=True).start()

app = st.App(
    "survey_app.py",
    routes=[
        Route("/session/login", login, methods=["POST"]),
        Route("/session/logout", logout, methods=["GET", "POST"]),
    ],
)
