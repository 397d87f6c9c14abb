"""The app refuses to start on a link key shorter than 32 bytes (issue 11, item 1), with a clear message."""

from __future__ import annotations

import pytest

from survey.users import User


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch):
    monkeypatch.delenv("SURVEY_SECRET", raising=False)


@pytest.mark.parametrize("user", [None, User("staff", "staff"), User("admin", "admin")])
def test_app_stops_on_an_empty_key_file(app, demo_path, user):
    (demo_path.parent / "secret.key").write_bytes(b"")
    at = app(user)
    assert not at.exception
    assert "32" in at.error[0].value and "secret.key" in at.error[0].value
    assert "at least 32" in at.code[0].value  # the reason, for staff
    assert not at.text_input and not at.button  # no sign-in form, no page


def test_customer_link_gets_the_message_without_details(app, demo_path, monkeypatch):
    monkeypatch.setenv("SURVEY_SECRET", "short")
    at = app(token="A" * 32)
    assert not at.exception
    assert at.error and "SURVEY_SECRET" in at.error[0].value
    assert not at.code and not at.radio and not at.button


def test_app_runs_on_a_good_key(app, demo_path, monkeypatch):
    monkeypatch.setenv("SURVEY_SECRET", "k" * 40)
    at = app()
    assert not at.exception and not at.error and at.text_input
