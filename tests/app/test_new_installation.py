"""A new installation (empty database, accounts only): every page explains what to do, nothing crashes.

Found by a walk through a fresh database: the questionnaires page crashed (no version stored yet) and the
rounds page showed the library's English error ("the frame has no eligible customers") to a Chinese user.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from survey.store import open_db
from survey.users import User, create_user

APP = str(Path(__file__).resolve().parents[2] / "survey_app.py")
PAGES = {
    "staff": ["rounds", "frame", "fieldwork", "monitor", "questionnaires", "suggestions"],
    "manager": ["dashboard", "suggestions", "follow_ups", "trends", "monitor"],
    "admin": ["users", "audit", "rounds", "questionnaires"],
}


@pytest.fixture
def empty_install(tmp_path, monkeypatch):
    path = tmp_path / "new.db"
    db = open_db(path)
    for role in PAGES:
        create_user(db, role, role, f"a-long-password-for-{role}")
    db.conn.close()
    monkeypatch.setenv("SURVEY_DB", str(path))

    def page(role: str, key: str, lang: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        at.session_state["lang"] = lang
        at.session_state["user"] = User(role, role)
        at.run()
        at.switch_page(f"app_pages/{key}.py").run()
        return at

    return page


def _messages(at: AppTest) -> list[str]:
    return [str(e.value) for kind in ("error", "warning", "info", "success") for e in getattr(at, kind)]


@pytest.mark.parametrize(("role", "key"), [(r, k) for r, keys in PAGES.items() for k in keys])
def test_every_page_of_a_new_installation_runs(empty_install, role, key):
    at = empty_install(role, key, "zh")
    assert not at.exception, at.exception
    shown = " ".join(_messages(at))
    assert "eligible customers" not in shown and "does not exist" not in shown  # no library error text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("zh", "抽样框为空：请先在“客户名单导入”页面导入客户名单"), ("en", "The sampling frame is empty")],
)
def test_rounds_page_sends_staff_to_the_frame_import_first(empty_install, lang, expected):
    at = empty_install("staff", "rounds", lang)
    assert any(m.startswith(expected) for m in _messages(at)), _messages(at)
    assert "draw_go" not in [b.key for b in at.button]  # nothing to draw from an empty frame
    assert not at.warning  # no "design impossible" warning either


@pytest.mark.parametrize(
    ("lang", "expected"), [("zh", "还没有问卷版本"), ("en", "No questionnaire version yet")]
)
def test_questionnaires_page_without_any_version(empty_install, lang, expected):
    at = empty_install("staff", "questionnaires", lang)
    assert not at.exception
    assert any(m.startswith(expected) for m in _messages(at)), _messages(at)
    assert [b.key for b in at.button if b.key == "qn_import"] == ["qn_import"]  # upload still offered


@pytest.mark.parametrize(
    ("key", "expected"), [("dashboard", "还没有任何轮次收到答卷"), ("suggestions", "还没有任何轮次收到答卷")]
)
def test_manager_pages_say_no_round_has_responses(empty_install, key, expected):
    at = empty_install("manager", key, "zh")
    assert [m for m in _messages(at) if m.startswith(expected)]
