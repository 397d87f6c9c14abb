"""The sign-in form under guessing (issue 11, item 5): one session is limited across names, unknown ones too."""

from __future__ import annotations

from survey import users


def _sign_in(at, name, password):
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    return at.button[0].click().run()


def test_a_session_guessing_unknown_names_is_told_to_wait(store_app, demo_credentials):
    at = store_app()
    for i in range(users.CLIENT_ATTEMPTS):
        at = _sign_in(at, f"guess{i}", "wrong-password")
        assert "用户名或密码错误" in at.error[0].value
    at = _sign_in(at, "staff", demo_credentials["staff"])  # even the right password, from this session
    assert not at.exception and at.session_state["user"] is None
    assert "登录失败次数过多" in at.error[0].value
    other = _sign_in(store_app(), "staff", demo_credentials["staff"])  # another session signs in
    assert other.session_state["user"] is not None


def test_the_name_field_is_capped(store_app):
    at = store_app()
    assert at.text_input(key="login_name").max_chars == users.MAX_NAME
