"""The sign-in page: with the launcher (``survey_server.py``) a plain HTML form posting to ``/session/login``,
which sets the HttpOnly session cookie; without it (``streamlit run survey_app.py``, AppTest) a Streamlit form
that signs in this tab only. Both check the password through ``survey.users.authenticate``."""

from __future__ import annotations

import html
import os

import streamlit as st

from survey.users import (
    MAX_FAILURES,
    MAX_NAME,
    MAX_PASSWORD,
    AccountLocked,
    TooManyAttempts,
    authenticate,
    has_users,
)
from ui import session
from ui.fmt import local_time
from ui.i18n import lang, t


def web_sessions() -> bool:
    """True when the app runs under the launcher, whose routes set the session cookie."""
    return os.environ.get("SURVEY_WEB_SESSIONS") == "1"


def _cookie_form(next_path: str) -> None:
    # field names avoid DOM properties of a form (name, action, …): st.html's sanitizer drops those (clobbering)
    e = html.escape
    st.html(
        f"""<form method="post" action="/session/login" class="survey-login" autocomplete="on">
  <input type="hidden" name="goto" value="{e(next_path)}"><input type="hidden" name="ui_lang" value="{e(lang())}">
  <label for="login-name">{e(t("username"))}</label>
  <input id="login-name" name="account" maxlength="{MAX_NAME}" autocomplete="username" required>
  <label for="login-password">{e(t("password"))}</label>
  <input id="login-password" name="passphrase" type="password" maxlength="{MAX_PASSWORD}"
         autocomplete="current-password" required>
  <button type="submit">{e(t("login"))}</button>
</form>
<style>
.survey-login {{display: flex; flex-direction: column; gap: .35rem; max-width: 28rem; padding: 1rem;
  border: 1px solid rgba(49, 51, 63, .2); border-radius: .5rem}}
.survey-login label {{font-size: .875rem; margin-top: .4rem}}
.survey-login input {{font: inherit; padding: .5rem .6rem; border: 1px solid rgba(49, 51, 63, .2);
  border-radius: .4rem; background: #f0f2f6}}
.survey-login button {{font: inherit; margin-top: .8rem; align-self: flex-start; color: #fff; background: #00706B;
  border: 0; border-radius: .5rem; padding: .45rem 1rem; cursor: pointer}}
</style>"""
    )


def _messages() -> None:
    problem = st.query_params.get("auth")
    if problem == "failed":
        st.error(t("login_failed"))
    elif problem == "locked":
        st.error(t("login_locked", n=MAX_FAILURES, until=local_time(st.query_params.get("until", ""))))
    elif problem == "throttled":
        minutes = st.query_params.get("minutes", "15")
        st.error(t("login_throttled", minutes=int(minutes) if minutes.isdigit() else 15))


def render(next_path: str = "/") -> None:
    """Draw the sign-in page; after signing in, the browser lands on ``next_path``."""
    st.title(t("login_title"))
    st.caption(t("login_hint"))
    if st.session_state.get("timed_out"):
        st.warning(t("session_timed_out"))
    if not has_users(session.db()):
        st.info(t("no_users_yet"))
    if web_sessions():
        _messages()
        _cookie_form(next_path)
        return
    with st.form("login"):
        name = st.text_input(t("username"), key="login_name", max_chars=MAX_NAME)
        password = st.text_input(t("password"), type="password", key="login_password", max_chars=MAX_PASSWORD)
        submitted = st.form_submit_button(t("login"), type="primary")
    if submitted:
        try:  # the limits and the name cap are checked in survey.users, whatever the browser sends
            user = authenticate(session.db(), name, password, client=session.client_keys())
        except AccountLocked as e:
            st.error(t("login_locked", n=MAX_FAILURES, until=local_time(e.until)))
        except TooManyAttempts as e:
            st.error(t("login_throttled", minutes=max(1, round(e.retry_after / 60))))
        else:
            if user is None:
                st.error(t("login_failed"))
            else:
                session.sign_in(user)
                st.rerun()
