"""Every page through streamlit.testing.v1.AppTest, for each role and for customers' links."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from survey.store import open_db
from survey.tokens import make_token, secret_key
from survey.users import User


def _role_pages() -> dict[str, list[str]]:
    """survey_app.ROLE_PAGES, read without running the app (importing survey_app runs it)."""
    tree = ast.parse((Path(__file__).resolve().parents[2] / "survey_app.py").read_text(encoding="utf-8"))
    node = next(n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "ROLE_PAGES")
    return ast.literal_eval(node.value)


ROLE_PAGES = _role_pages()


def _token(demo_target, status="issued", offset=0) -> tuple[int, str]:
    db = open_db(demo_target)
    aid = db.execute(
        "SELECT a.id FROM assignments a JOIN rounds r ON r.id = a.round_id WHERE r.status = 'open'"
        " AND a.is_reserve = 0 AND a.status = ? ORDER BY a.id LIMIT 1 OFFSET ?",
        [status, offset],
    ).fetchone()[0]
    token = make_token(secret_key(db), aid)
    db.conn.close()
    return aid, token


def _texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("title", "markdown", "caption", "info", "error", "success", "warning", "subheader")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def test_without_token_or_sign_in_only_the_login_form(store_app):
    at = store_app()
    assert not at.exception
    assert "工作人员登录" in _texts(at)
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert not at.radio or all(r.key == "lang" for r in at.radio)


def test_wrong_password_is_refused(store_app):
    at = store_app()
    at.text_input(key="login_name").input("staff")
    at.text_input(key="login_password").input("not-the-password")
    at.button[0].click().run()
    assert "用户名或密码错误" in _texts(at)
    assert at.session_state["user"] is None


@pytest.mark.parametrize(
    "role, title", [("staff", "抽样与邀请"), ("manager", "满意度看板"), ("admin", "满意度看板")]
)
def test_sign_in_opens_the_role_start_page(store_app, demo_credentials, role, title):
    at = store_app()
    at.text_input(key="login_name").input(role)
    at.text_input(key="login_password").input(demo_credentials[role])
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["user"].role == role
    assert title in _texts(at)


def test_staff_draws_a_round_and_gets_invitations(store_app, demo_target):
    at = store_app(User("staff", "staff"))
    assert not at.exception
    at.number_input(key="draw_size").set_value(120)
    at.text_input(key="draw_name").input("AppTest round")
    at.button[0].click().run()  # the form's submit button
    assert not at.exception
    assert "已抽取第" in _texts(at)
    db = open_db(demo_target)
    rid, n = db.execute(
        "SELECT r.id, COUNT(a.id) FROM rounds r JOIN assignments a ON a.round_id = r.id"
        " WHERE r.name = 'AppTest round' AND a.is_reserve = 0 GROUP BY r.id"
    ).fetchone()
    assert n == 120
    assert (
        db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'draw' AND \"user\" = 'staff'").fetchone()[
            0
        ]
        == 1
    )
    assert at.selectbox(key="inv_round").value == rid  # newest round first
    assert not at.get("download_button")  # built only on request (issue 11, item 7)
    at.button(key="inv_prepare").click().run()
    assert at.get("download_button")  # the invitation CSV is offered


def test_manager_dashboard_shows_regions_with_ci_and_a_plain_sentence(store_app, monkeypatch):
    monkeypatch.setenv("SURVEY_MIN_BASE", "1")  # the small demo has 5–18 answers per region
    at = store_app(User("manager", "manager"))
    assert not at.exception
    assert "满意度看板" in _texts(at)
    assert len(at.metric) == 4  # index, top-2-box, mean, responses
    table = at.dataframe[0].value
    assert len(table) == 9  # the nine Fujian cities
    low, mean, high = (table[c].astype(float) for c in ("95% 下限", "均值", "95% 上限"))
    assert (low < mean).all() and (mean < high).all()
    assert "Kruskal" in _texts(at) or "差异" in _texts(at)
    at.selectbox(key="dash_item").set_value("attitude").run()
    assert not at.exception


def test_dashboard_in_english(store_app):
    at = store_app(User("manager", "manager"), lang="en")
    assert not at.exception
    assert "Satisfaction dashboard" in _texts(at)
    assert "Xiamen" in set(at.dataframe[0].value["Region"])


def test_admin_sees_users_page(store_app):
    at = store_app(User("admin", "admin"))
    assert not at.exception
    at.switch_page("app_pages/users.py").run()
    assert not at.exception
    assert {"admin", "staff", "manager"} <= set(at.dataframe[0].value["用户名"])


@pytest.mark.parametrize(
    "role, allowed, refused",
    [
        ("staff", "rounds.py", "dashboard.py"),
        ("manager", "dashboard.py", "rounds.py"),
        ("manager", "dashboard.py", "users.py"),
        ("staff", "rounds.py", "users.py"),
    ],
)
def test_roles_only_get_their_pages(store_app, role, allowed, refused):
    at = store_app(User(role, role))
    at.switch_page(f"app_pages/{allowed}").run()
    assert not at.exception
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(f"app_pages/{refused}")


def test_valid_token_shows_the_form_and_enforces_required_answers(store_app, demo_target):
    aid, token = _token(demo_target)
    at = store_app(token=token)
    assert not at.exception
    assert at.radio(key="q_overall")
    assert not [r for r in at.radio if r.key == "q_outage_notice"]
    at.radio(key="q_planned_outage").set_value("yes").run()
    assert at.radio(key="q_outage_notice")  # skip logic shows the follow-up question
    at.button(key="submit").click().run()
    text = _texts(at)
    assert "处需要填写或修改" in text  # a summary on top …
    db = open_db(demo_target)
    assert db.execute("SELECT COUNT(*) FROM responses WHERE assignment_id = ?", [aid]).fetchone()[0] == 0
    # … and each message right under its question (issue 12, item 10), in order of the questions
    errors = [e for e in at.error if e.icon == "⚠️"]
    assert len(errors) >= 2 and all("：" not in str(e.value)[:1] for e in errors)
    before = len(errors)
    at.radio(key="q_overall").set_value(4).run()  # fixing one answer removes its message at once
    assert len([e for e in at.error if e.icon == "⚠️"]) == before - 1


def test_customer_submits_then_link_is_used(store_app, demo_target):
    aid, token = _token(demo_target)
    at = store_app(token=token)
    for qid, value in (
        ("overall", 4),
        ("attitude", 5),
        ("skill", 4),
        ("reliability", 4),
        ("voltage", 5),
        ("planned_outage", "no"),
        ("reported_fault", "no"),
        ("billing", 3),
        ("complained", "no"),
    ):
        at.radio(key=f"q_{qid}").set_value(value).run()
    at.radio(key="q_vs_last_year").set_value("better").run()
    at.text_area(key="q_suggestion").input("希望营业厅周末也开门").run()
    at.button[0].click().run()
    assert not at.exception
    assert "提交成功" in _texts(at)
    db = open_db(demo_target)
    answers = dict(
        db.execute(
            "SELECT x.question_id, x.value FROM answers x JOIN responses r ON r.id = x.response_id"
            " WHERE r.assignment_id = ?",
            [aid],
        ).fetchall()
    )
    assert answers["overall"] == "4" and answers["suggestion"] == "希望营业厅周末也开门"
    again = store_app(token=token)
    assert "此链接无效或已使用过" in _texts(again)
    assert not [r for r in again.radio if r.key == "q_overall"]
    db = open_db(demo_target)
    assert db.execute("SELECT COUNT(*) FROM responses WHERE assignment_id = ?", [aid]).fetchone()[0] == 1


@pytest.mark.parametrize("token", ["", "nope", "A" * 32, "<script>alert(1)</script>"])
def test_unknown_tokens_get_the_polite_message_and_no_form(store_app, token):
    at = store_app(token=token)
    assert not at.exception
    assert "此链接无效或已使用过" in _texts(at)
    assert not [r for r in at.radio if r.key.startswith("q_")]
    assert not at.button


@pytest.mark.parametrize(
    ("role", "key"),
    [
        (role, key)
        for role, keys in ROLE_PAGES.items()
        for key in keys
        if role != "admin" or key in ("users", "audit")
    ],
)
def test_every_page_runs_on_the_demo(store_app, role, key):
    """Each role's pages on the demo store (both backends): no exception, no error box, some content."""
    at = store_app(User(role, role))
    at.switch_page(f"app_pages/{key}.py").run()
    assert not at.exception, f"{role}/{key}: {at.exception}"
    assert not at.error, f"{role}/{key}: {[e.value for e in at.error]}"
    assert _texts(at).strip()
