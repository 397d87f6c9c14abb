"""AppTest fixtures: `app(user=..., token=..., lang=...)` runs survey_app.py on a private demo database copy;
`store_app` the same on each store backend (SQLite, PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from survey.users import User

APP = str(Path(__file__).resolve().parents[2] / "survey_app.py")


def _maker():
    def make(user: User | None = None, token: str | None = None, lang: str = "zh") -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        at.session_state["lang"] = lang
        if user is not None:
            at.session_state["user"] = user
        if token is not None:
            at.query_params["t"] = token
        return at.run()

    return make


@pytest.fixture
def app(demo_path, monkeypatch):
    monkeypatch.setenv("SURVEY_DB", str(demo_path))
    return _maker()


@pytest.fixture
def store_app(demo_target, monkeypatch):
    """``app`` on either store: the SQLite demo copy, or a PostgreSQL copy through ``$SURVEY_DATABASE_URL``."""
    if isinstance(demo_target, str):
        monkeypatch.setenv("SURVEY_DATABASE_URL", demo_target)
    else:
        monkeypatch.setenv("SURVEY_DB", str(demo_target))
    return _maker()
