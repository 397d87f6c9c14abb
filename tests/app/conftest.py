"""AppTest fixtures: `app(user=..., token=..., lang=...)` runs survey_app.py on a private demo database copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from survey.users import User

APP = str(Path(__file__).resolve().parents[2] / "survey_app.py")


@pytest.fixture
def app(demo_path, monkeypatch):
    monkeypatch.setenv("SURVEY_DB", str(demo_path))

    def make(user: User | None = None, token: str | None = None, lang: str = "zh") -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        at.session_state["lang"] = lang
        if user is not None:
            at.session_state["user"] = user
        if token is not None:
            at.query_params["t"] = token
        return at.run()

    return make
