"""Access control through the real app: sign-in, lockout, timeout, admin pages, audit."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from survey.store import open_db
from survey.users import User, authenticate


def _texts(at: AppTest) -> str:
    kinds = ("title", "markdown", "caption", "info", "error", "success", "warning", "subheader")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def _sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    return at.button[0].click().run()


def test_admin_creates_scoped_user_who_can_then_sign_in(store_app, demo_target):
    at = store_app(User("admin", "admin"))
    at.switch_page("app_pages/users.py").run()
    at.text_input(key="new_user_name").input("qz_manager")
    at.selectbox(key="new_user_role").set_value("manager")
    at.multiselect(key="new_user_region").set_value(["泉州"])
    at.text_input(key="new_user_password").input("quanzhou-2026")
    at.button(key="FormSubmitter:create_user-新建用户").click().run()
    assert not at.exception
    db = open_db(demo_target)
    assert db.execute("SELECT role, region FROM users WHERE name = 'qz_manager'").fetchone() == (
        "manager",
        "泉州",
    )
    assert authenticate(db, "qz_manager", "quanzhou-2026") == User("qz_manager", "manager", "泉州")
    assert (
        db.execute("SELECT user FROM audit_log WHERE action = 'create_user' ORDER BY id DESC").fetchone()[0]
        == "admin"
    )


def test_admin_disables_a_user_and_their_session_ends(store_app, demo_target):
    staff = store_app(User("staff", "staff"))
    assert "抽样与邀请" in _texts(staff)
    admin = store_app(User("admin", "admin"))
    admin.switch_page("app_pages/users.py").run()
    admin.selectbox(key="edit_user").set_value("staff").run()
    admin.button(key="toggle_disabled_staff").click().run()
    assert not admin.exception
    assert open_db(demo_target).execute("SELECT disabled FROM users WHERE name = 'staff'").fetchone()[0] == 1
    staff.run()
    assert staff.session_state["user"] is None
    assert "工作人员登录" in _texts(staff)


def test_lockout_through_the_login_form(store_app, demo_credentials):
    at = store_app()
    for _ in range(5):
        at = _sign_in(at, "staff", "wrong-password")
    at = _sign_in(at, "staff", demo_credentials["staff"])
    assert at.session_state["user"] is None
    assert "已被锁定" in _texts(at)  # the right password during the lock: told that the account is locked


def test_idle_session_times_out(store_app):
    at = store_app(User("manager", "manager"))
    assert at.session_state["user"] is not None
    at.session_state["last_active"] = time.time() - 31 * 60
    at.run()
    assert at.session_state["user"] is None
    assert "会话因长时间未操作已结束" in _texts(at)


def test_sign_out(store_app):
    at = store_app(User("manager", "manager"))
    at.sidebar.button(key="logout").click().run()
    assert at.session_state["user"] is None
    assert "工作人员登录" in _texts(at)


def test_audit_page_lists_and_filters(store_app):
    at = store_app(User("admin", "admin"))
    at.switch_page("app_pages/audit.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert {"抽取样本", "新建账户"} <= set(table["操作"])  # the codes draw and create_user, in words
    at.selectbox(key="audit_action").set_value("draw").run()
    assert set(at.dataframe[0].value["操作"]) == {"抽取样本"}


def test_audit_page_is_admin_only(store_app):
    at = store_app(User("manager", "manager"))
    try:
        at.switch_page("app_pages/audit.py")
    except ValueError as e:
        assert "Could not find a navigation page" in str(e)
    else:
        raise AssertionError("a manager could open the audit log")


def test_empty_database_tells_how_to_create_the_first_admin(tmp_path, monkeypatch):
    from tests.app.conftest import APP

    monkeypatch.setenv("SURVEY_DB", str(tmp_path / "empty.db"))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert "python -m survey create-user" in _texts(at)


def test_region_scoped_manager_sees_only_their_regions(store_app, demo_target):
    from survey.follow_ups import list_follow_ups
    from survey.monitoring import round_progress

    db = open_db(demo_target)
    with_items = db.execute(
        "SELECT region FROM follow_ups GROUP BY region ORDER BY COUNT(*) DESC LIMIT 2"
    ).fetchall()
    first, second = (r[0] for r in with_items)  # the two regions with the most follow-up items in the demo
    both = list_follow_ups(db, region=f"{first},{second}")
    assert set(both["region"]) == {first, second}
    assert set(list_follow_ups(db, region=first)["region"]) == {first}
    strata = {s.stratum.split("|")[0] for s in round_progress(db, 2, region="泉州,厦门").strata}
    assert strata == {"泉州", "厦门"}

    from survey.users import create_user

    create_user(db, "qz", "manager", "quanzhou-pass", region="泉州")
    at = store_app(User("qz", "manager", "泉州"))
    assert not at.exception
    text = _texts(at)
    assert "泉州" in text
    for other in ("厦门", "福州", "漳州"):
        assert other not in text, f"a 泉州 manager saw {other} on the dashboard"
    for frame in at.dataframe:
        values = frame.value.astype(str).to_numpy().ravel().tolist()
        assert not any(v in {"厦门", "福州", "漳州"} for v in values)
    at.switch_page("app_pages/follow_ups.py").run()
    assert not at.exception
    for frame in at.dataframe:
        if "region" in frame.value.columns or "地区" in frame.value.columns:
            col = "region" if "region" in frame.value.columns else "地区"
            assert set(frame.value[col]) <= {"泉州"}


def test_repeated_bad_links_from_one_session_are_slowed_down(store_app, monkeypatch):
    from survey import tokens

    asked: list[int] = []
    real = tokens.bad_token_delay

    def spy(failures: int) -> float:
        asked.append(failures)
        assert real(failures) == (0.0 if failures <= 3 else min(0.5 * 2 ** (failures - 4), 8.0))
        return 0.0  # do not actually wait in the test

    monkeypatch.setattr(tokens, "bad_token_delay", spy)
    at = store_app(token="A" * 32)
    for _ in range(5):
        at.run()
    assert asked == [1, 2, 3, 4, 5, 6]  # the session's count of bad links keeps growing
    assert "此链接无效或已使用过" in _texts(at)
