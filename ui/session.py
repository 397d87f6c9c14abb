"""Session state: database connection, signed-in user, language. Keys are declared once here."""

from __future__ import annotations

import os

import streamlit as st

from survey.store import default_db_path, open_db
from survey.users import User

KEYS = {"lang": "zh", "user": None, "submitted": False, "db_path": None}


def init() -> None:
    for key, value in KEYS.items():
        st.session_state.setdefault(key, value)


def db():
    """This session's connection to the survey database (``$SURVEY_DB`` or data/survey.db)."""
    path = str(os.environ.get("SURVEY_DB") or default_db_path())
    if st.session_state.get("db_path") != path or "db" not in st.session_state:
        st.session_state["db"] = open_db(path)
        st.session_state["db_path"] = path
    return st.session_state["db"]


def user() -> User | None:
    return st.session_state.get("user")


def sign_in(u: User) -> None:
    st.session_state["user"] = u


def sign_out() -> None:
    st.session_state["user"] = None
