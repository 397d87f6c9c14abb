"""Locked accounts are told (issue 12, item 3): after 5 wrong passwords the sign-in says the account is locked
and until when — even for the right password — and a name that does not exist gets the very same answer."""

from __future__ import annotations

import re

from survey.store import open_db
from survey.users import create_user


def _attempt(store_app, name: str, password: str) -> str:
    at = store_app()
    at.text_input(key="login_name").set_value(name)
    at.text_input(key="login_password").set_value(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return "\n".join(str(e.value) for e in at.error)


def _normalised(text: str) -> str:
    return re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "<time>", text)


def test_a_locked_account_says_so_and_an_unknown_name_says_the_same(store_app, demo_target):
    create_user(open_db(demo_target), "qz_locked", "manager", "quanzhou-pass-1", region="泉州")
    answers = {}
    for name in ("qz_locked", "no_such_account"):
        seen = [_attempt(store_app, name, "wrong-password-0") for _ in range(5)]
        assert "用户名或密码错误" in seen[0]
        assert "已被锁定" in seen[-1] and re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", seen[-1])
        answers[name] = [_normalised(s) for s in seen]
    assert (
        answers["qz_locked"] == answers["no_such_account"]
    )  # the answer does not tell whether a name exists
    right = _attempt(store_app, "qz_locked", "quanzhou-pass-1")
    assert "已被锁定" in right and "用户名或密码错误" not in right
