"""AppTests of the fieldwork area: customer form, phone interviews, monitor, questionnaires — with DB effects."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from questionnaires import load_default, to_xlsform
from survey.store import open_db
from survey.tokens import make_token, secret_key
from survey.users import User
from tests.conftest import query

STAFF = User("staff", "staff")
GOOD = {"overall": 4, "attitude": 5, "skill": 4, "reliability": 4, "voltage": 5, "planned_outage": "no",
        "reported_fault": "no", "billing": 3, "complained": "no", "vs_last_year": "better"}  # fmt: skip


def _texts(at: AppTest) -> str:
    kinds = (
        "title",
        "markdown",
        "caption",
        "info",
        "error",
        "success",
        "warning",
        "subheader",
        "text",
        "code",
    )
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def _issued(path, offset=0) -> tuple[int, str]:
    db = open_db(path)
    aid = db.execute(
        "SELECT a.id FROM assignments a JOIN rounds r ON r.id = a.round_id WHERE r.status = 'open'"
        " AND a.is_reserve = 0 AND a.status = 'issued' ORDER BY a.id LIMIT 1 OFFSET ?",
        [offset],
    ).fetchone()[0]
    token = make_token(secret_key(db), aid)
    db.conn.close()
    return aid, token


def _radio_keys(at: AppTest, prefix: str = "q_") -> list[str]:
    return [r.key for r in at.radio if r.key and r.key.startswith(prefix)]


# ---------------------------------------------------------------- customer form


@pytest.mark.parametrize(
    "question, answer, shown",
    [("planned_outage", "yes", "q_outage_notice"), ("reported_fault", "yes", "q_repair"),
     ("complained", "yes", "q_complaint_handling")],
)  # fmt: skip
def test_follow_up_questions_appear_and_disappear(store_app, demo_target, question, answer, shown):
    _, token = _issued(demo_target)
    at = store_app(token=token)
    assert shown not in _radio_keys(at)
    at.radio(key=f"q_{question}").set_value(answer).run()
    assert shown in _radio_keys(at)
    at.radio(key=f"q_{question}").set_value("no").run()
    assert shown not in _radio_keys(at)


def test_required_answer_is_named_and_nothing_stored(store_app, demo_target):
    aid, token = _issued(demo_target)
    at = store_app(token=token)
    for qid, value in GOOD.items():
        if qid != "voltage":
            at.radio(key=f"q_{qid}").set_value(value).run()
    at.button(key="submit").click().run()
    text = _texts(at)
    assert "还有 1 处需要填写或修改" in text  # one problem, named at its question (the voltage one)
    inline = [e for e in at.error if e.icon == "⚠️"]
    assert len(inline) == 1 and "必答" in str(inline[0].value)
    assert query(demo_target, "SELECT COUNT(*) FROM responses WHERE assignment_id = ?", [aid])[0][0] == 0


def test_english_switch_relabels_the_form(store_app, demo_target):
    _, token = _issued(demo_target)
    at = store_app(token=token, lang="en")
    assert "Power supply service satisfaction survey" in _texts(at)
    assert at.radio(key="q_overall").label.startswith("Overall, how satisfied")
    assert at.button(key="submit").label == "Submit"


def test_partial_form_is_resumed_from_the_same_link(store_app, demo_target):
    aid, token = _issued(demo_target)
    at = store_app(token=token)
    at.radio(key="q_overall").set_value(2).run()
    at.text_area(key="q_suggestion").input("电压不稳").run()
    assert query(demo_target, "SELECT status FROM assignments WHERE id = ?", [aid])[0][0] == "started"
    again = store_app(token=token)  # a new session (another tab, or later)
    assert again.radio(key="q_overall").value == 2
    assert again.text_area(key="q_suggestion").value == "电压不稳"
    assert "已为您恢复上次填写的内容" in _texts(again)


@pytest.mark.parametrize("state", ["expired", "closed", "used"])
def test_expired_closed_and_used_links_are_refused(store_app, demo_target, state):
    """One polite message for every refused link: it reveals nothing about which links exist (issue 6)."""
    message = "此链接无效或已使用过"
    aid, token = _issued(demo_target)
    db = open_db(demo_target)
    if state == "expired":
        past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        db.execute("UPDATE assignments SET expires_at = ? WHERE id = ?", [past, aid])
    elif state == "closed":
        db.execute("UPDATE rounds SET status = 'closed' WHERE id = (SELECT round_id FROM assignments WHERE id = ?)",
                   [aid])  # fmt: skip
    else:
        db.execute("UPDATE assignments SET status = 'complete' WHERE id = ?", [aid])
    db.conn.close()
    at = store_app(token=token)
    assert not at.exception
    assert message in _texts(at)
    assert not _radio_keys(at) and not at.button


# ---------------------------------------------------------------- phone interviews


def _open_fieldwork(store_app, user=STAFF):
    at = store_app(user)
    at.switch_page("app_pages/fieldwork.py").run()
    assert not at.exception
    return at


def test_call_list_shows_full_contact_and_records_a_refusal(store_app, demo_target):
    at = _open_fieldwork(store_app)
    at.selectbox(key="fw_status").set_value("issued").run()
    aid = at.selectbox(key="fw_assignment").value
    name, phone = query(demo_target, "SELECT c.name, c.phone FROM assignments a JOIN customers c"
                         " ON c.id = a.customer_id WHERE a.id = ?", [aid])[0]  # fmt: skip
    assert f"{name}  ☎ {phone}" in _texts(at)  # staff see full name and phone here
    at.radio(key=f"fw_outcome_{aid}").set_value("refusal").run()
    at.text_input(key=f"fw_note_{aid}").input("客户说太忙").run()
    at.button(key=f"fw_record_{aid}").click().run()
    assert not at.exception
    assert query(demo_target, "SELECT status, mode FROM assignments WHERE id = ?", [aid])[0] == (
        "refusal",
        "phone",
    )
    assert query(
        demo_target, "SELECT outcome, interviewer, note FROM calls WHERE assignment_id = ?", [aid]
    ) == [("refusal", "staff", "客户说太忙")]
    assert query(demo_target, "SELECT COUNT(*) FROM audit_log WHERE action = 'view_contact' AND detail LIKE ?",
                  [f"assignment={aid} %"])[0][0] == 1  # fmt: skip
    # showing the call list (full names and phones) is audited once per filter, not once per rerun
    views = query(
        demo_target, "SELECT user, detail FROM audit_log WHERE action = 'view_call_list' ORDER BY id"
    )
    assert [v[0] for v in views] == ["staff", "staff"] and "status=issued" in views[-1][1]


def test_callback_stores_the_appointment(store_app, demo_target):
    at = _open_fieldwork(store_app)
    at.selectbox(key="fw_status").set_value("issued").run()
    aid = at.selectbox(key="fw_assignment").value
    at.radio(key=f"fw_outcome_{aid}").set_value("callback").run()
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    at.date_input(key=f"fw_cb_date_{aid}").set_value(day).run()
    at.button(key=f"fw_record_{aid}").click().run()
    assert query(demo_target, "SELECT outcome, callback_at FROM calls WHERE assignment_id = ?", [aid]) == [
        ("callback", f"{day.isoformat()}T10:00:00")
    ]
    assert query(demo_target, "SELECT status FROM assignments WHERE id = ?", [aid])[0][0] == "callback"


def test_wrong_number_releases_the_next_reserve_of_the_stratum(store_app, demo_target):
    at = _open_fieldwork(store_app)
    at.selectbox(key="fw_status").set_value("issued").run()
    # an issued unit of a stratum that still has a reserve (tiny strata are drawn whole: no reserve)
    aid, stratum = query(
        demo_target,
        "SELECT a.id, a.stratum FROM assignments a WHERE a.round_id = 2 AND a.status = 'issued' AND a.is_reserve = 0"
        " AND EXISTS (SELECT 1 FROM assignments r WHERE r.round_id = 2 AND r.stratum = a.stratum"
        " AND r.is_reserve = 1 AND r.released_at IS NULL) ORDER BY a.stratum, a.prn LIMIT 1",
    )[0]
    at.selectbox(key="fw_assignment").set_value(aid).run()
    at.radio(key=f"fw_outcome_{aid}").set_value("wrong_number").run()
    at.button(key=f"fw_record_{aid}").click().run()
    assert not at.exception
    released = query(
        demo_target, "SELECT stratum, status, replaces_id FROM assignments WHERE replaces_id = ?", [aid]
    )
    assert released == [(stratum, "issued", aid)]
    assert "备用样本" in _texts(at)


def test_phone_interview_uses_the_same_form_and_stores_mode_phone(store_app, demo_target):
    at = _open_fieldwork(store_app)
    at.selectbox(key="fw_status").set_value("issued").run()
    aid = at.selectbox(key="fw_assignment").value
    at.radio(key=f"fw_outcome_{aid}").set_value("complete").run()
    prefix = f"ph{aid}_"
    assert f"{prefix}overall" in _radio_keys(at, prefix)  # the shared renderer, another key prefix
    at.button(key=f"fw_submit_{aid}").click().run()
    assert "请检查以下问题" in _texts(at)  # required answers enforced for interviewers too
    for qid, value in GOOD.items():
        at.radio(key=prefix + qid).set_value(value).run()
    at.button(key=f"fw_submit_{aid}").click().run()
    assert not at.exception
    assert query(demo_target, "SELECT mode, interviewer FROM responses WHERE assignment_id = ?", [aid]) == [
        ("phone", "staff")
    ]
    assert query(demo_target, "SELECT outcome FROM calls WHERE assignment_id = ?", [aid]) == [("complete",)]
    assert query(demo_target, "SELECT status FROM assignments WHERE id = ?", [aid])[0][0] == "complete"


def test_region_scoped_staff_only_get_their_region(store_app, demo_target):
    from survey.users import create_user

    db = open_db(demo_target)
    create_user(db, "fz", "staff", "long-enough-pw", region="福州", by="test")
    db.conn.close()
    at = _open_fieldwork(store_app, User("fz", "staff", "福州"))
    expected = query(demo_target, "SELECT COUNT(*) FROM assignments a JOIN customers c ON c.id = a.customer_id"
                      " WHERE a.round_id = 2 AND a.is_reserve = 0 AND c.region = '福州'")[0][0]  # fmt: skip
    assert len(at.selectbox(key="fw_assignment").options) == expected > 0
    assert all(s.startswith("福州|") for s in at.selectbox(key="fw_stratum").options[1:])


# ---------------------------------------------------------------- monitor


def _hand_counts(path, round_id=2):
    rows = dict(query(path, "SELECT status, COUNT(*) FROM assignments WHERE round_id = ? AND (is_reserve = 0"
                             " OR released_at IS NOT NULL) GROUP BY status", [round_id]))  # fmt: skip
    return rows


def test_monitor_totals_match_the_database(store_app, demo_target):
    at = store_app(STAFF)
    at.switch_page("app_pages/monitor.py").run()
    assert not at.exception
    counts = _hand_counts(demo_target)
    total = at.dataframe[0].value.iloc[-1]
    assert total["已发放"] == sum(counts.values())
    assert total["已完成"] == counts.get("complete", 0)
    assert total["拒访"] == counts.get("refusal", 0)
    # RR1 = I / (I + P + R + NC + O + UH + UO); NE is not in the denominator (AAPOR 2023)
    eligible_or_unknown = sum(counts.values()) - counts.get("wrong_number", 0)
    assert total["RR1"] == f"{counts['complete'] / eligible_or_unknown * 100:.1f}%"
    assert not at.get("download_button")  # lists are built only on request (issue 11, item 7)
    assert [b.key for b in at.button if b.key.startswith("mon_prep_")] == [
        "mon_prep_inv_csv", "mon_prep_inv_xlsx", "mon_prep_rem_csv", "mon_prep_rem_xlsx"
    ]  # fmt: skip


def test_manager_sees_monitor_read_only(store_app):
    at = store_app(User("manager", "manager"))
    at.switch_page("app_pages/monitor.py").run()
    assert not at.exception
    assert at.dataframe and not at.get("download_button")
    assert not [b for b in at.button if b.key == "mon_close"]


def test_closing_through_the_page_stops_answers(store_app, demo_target):
    aid, token = _issued(demo_target)
    at = store_app(STAFF)
    at.switch_page("app_pages/monitor.py").run()
    assert at.button(key="mon_close").disabled  # needs the confirmation first
    at.checkbox(key="mon_close_confirm").check().run()
    at.button(key="mon_close").click().run()
    assert not at.exception
    assert query(demo_target, "SELECT status FROM rounds WHERE id = 2")[0][0] == "closed"
    assert "本轮已结束" in _texts(at)
    customer = store_app(token=token)
    assert "此链接无效或已使用过" in _texts(customer) and not _radio_keys(customer)


# ---------------------------------------------------------------- questionnaires


def test_questionnaires_page_lists_versions_and_stores_an_upload(store_app, demo_target, tmp_path):
    at = store_app(STAFF)
    at.switch_page("app_pages/questionnaires.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["使用该版本的轮次"]) == ["1, 2"]
    data = load_default().to_dict()
    data["version"] = "2"
    data["questions"] = [q for q in data["questions"] if q["id"] != "voltage"]
    from questionnaires import Questionnaire

    path = tmp_path / "v2.xlsx"
    to_xlsform(Questionnaire.from_dict(data), path)
    at.file_uploader(key="qn_upload").set_value(
        ("v2.xlsx", path.read_bytes(), "application/octet-stream")
    ).run()
    at.button(key="qn_import").click().run()
    assert not at.exception
    assert "已保存为第" in _texts(at)
    assert query(demo_target, "SELECT version FROM questionnaires ORDER BY id") == [("1",), ("2",)]
    assert "q_voltage" not in [r.key for r in at.radio]  # preview of the new version
    assert "pv2_overall" in [r.key for r in at.radio]


def test_invalid_upload_names_the_question_and_stores_nothing(store_app, demo_target):
    at = store_app(STAFF)
    at.switch_page("app_pages/questionnaires.py").run()
    bad = b"""id: x\nversion: "1"\ntitle: {zh: x}\nquestions:\n  - id: a\n    type: likert5\n    label: {zh: a}\n  - id: b\n    type: yesno\n    relevant: ${nope} = 'yes'\n    label: {zh: b}\n"""
    at.file_uploader(key="qn_upload").set_value(("bad.yaml", bad, "text/yaml")).run()
    at.button(key="qn_import").click().run()
    text = _texts(at)
    assert "问卷有错误" in text and "question 'b'" in text and "nope" in text
    assert query(demo_target, "SELECT COUNT(*) FROM questionnaires")[0][0] == 1


def test_the_call_page_is_a_queue_and_nothing_carries_over_to_the_next_customer(store_app, demo_target):
    """Issue 12, item 2: a note typed for customer A is never saved for customer B, the outcome is chosen
    explicitly, and after each save the list is read again and the next customer in the queue is selected."""
    at = _open_fieldwork(store_app)
    at.selectbox(key="fw_status").set_value("issued").run()
    first = at.selectbox(key="fw_assignment").value
    assert at.radio(key=f"fw_outcome_{first}").value is None  # no outcome preselected
    assert not [b for b in at.button if b.key and b.key.startswith("fw_record")]  # nothing to save yet
    at.radio(key=f"fw_outcome_{first}").set_value("refusal").run()
    at.text_input(key=f"fw_note_{first}").input("客户表示很忙").run()
    at.button(key=f"fw_record_{first}").click().run()
    assert not at.exception
    second = at.selectbox(key="fw_assignment").value
    assert second != first  # moved on to the next customer
    assert first not in at.selectbox(key="fw_assignment").options  # refreshed: A is no longer 待联系
    at.radio(key=f"fw_outcome_{second}").set_value("wrong_number").run()
    assert at.text_input(key=f"fw_note_{second}").value == ""  # B's note is empty
    at.button(key=f"fw_record_{second}").click().run()
    notes = dict(query(demo_target, "SELECT assignment_id, note FROM calls WHERE assignment_id IN (?, ?)"
                       " AND interviewer = 'staff' ORDER BY id DESC", [first, second]))  # fmt: skip
    assert notes[first] == "客户表示很忙" and not notes[second]


def test_the_queue_puts_due_call_backs_first_then_never_called_by_stratum_need():
    from survey.calls import call_queue

    rows = [
        {"assignment_id": 1, "stratum": "A", "status": "non_contact", "attempts": 2, "last_call_at": "2026-12-01",
         "callback_at": None},
        {"assignment_id": 2, "stratum": "A", "status": "issued", "attempts": 0, "last_call_at": None,
         "callback_at": None},
        {"assignment_id": 3, "stratum": "B", "status": "issued", "attempts": 0, "last_call_at": None,
         "callback_at": None},
        {"assignment_id": 4, "stratum": "B", "status": "callback", "attempts": 1, "last_call_at": "2026-12-02",
         "callback_at": "2026-12-03T10:00:00"},
        {"assignment_id": 5, "stratum": "A", "status": "callback", "attempts": 1, "last_call_at": "2026-12-02",
         "callback_at": "2026-12-09T10:00:00"},
        {"assignment_id": 6, "stratum": "A", "status": "complete", "attempts": 1, "last_call_at": "2026-12-02",
         "callback_at": None},
    ]  # fmt: skip
    order = call_queue(rows, now_local="2026-12-04T09:00:00", completion={"A": 0.5, "B": 0.1})
    # due call-back · never called (B is further behind than A) · called before · call-back not due · done
    assert [r["assignment_id"] for r in order] == [4, 3, 2, 1, 5, 6]


def test_a_reload_during_a_phone_interview_keeps_the_customer_and_the_answers(store_app, demo_target):
    """Answers typed during a call are kept as the unit's draft at every change; a reload (a new session
    with the same address) comes back to the same customer — not the queue's head — and resumes them."""
    drafts = "SELECT id FROM assignments WHERE draft IS NOT NULL"
    before = set(query(demo_target, drafts))
    at = _open_fieldwork(store_app)
    at.selectbox(key="fw_status").set_value("issued").run()
    head = at.selectbox(key="fw_assignment").value
    aid = at.selectbox(key="fw_assignment").select_index(2).run().selectbox(key="fw_assignment").value
    assert aid != head and at.query_params["call"] in (str(aid), [str(aid)])
    at.radio(key=f"fw_outcome_{aid}").set_value("complete").run()
    prefix = f"ph{aid}_"
    first_two = dict(list(GOOD.items())[:2])
    for qid, value in first_two.items():
        at.radio(key=prefix + qid).set_value(value).run()
    assert not at.exception
    stored = query(demo_target, "SELECT draft, status FROM assignments WHERE id = ?", [aid])[0]
    assert json.loads(stored[0]) == first_two and stored[1] == "issued"  # still listed under 未联系
    assert set(query(demo_target, drafts)) == before | {(aid,)}  # on this unit only

    again = store_app(STAFF)  # the reload: a new session, the same address
    again.query_params["call"] = str(aid)
    again.switch_page("app_pages/fieldwork.py").run()
    assert again.selectbox(key="fw_assignment").value == aid  # not the queue's head
    assert again.radio(key=f"fw_outcome_{aid}").value is None  # still chosen explicitly
    assert "有未提交的访问答案（2 题已填）" in _texts(again)
    again.radio(key=f"fw_outcome_{aid}").set_value("complete").run()
    assert {q: again.radio(key=prefix + q).value for q in first_two} == first_two
    for qid, value in GOOD.items():
        again.radio(key=prefix + qid).set_value(value).run()
    again.button(key=f"fw_submit_{aid}").click().run()
    assert not again.exception
    assert query(demo_target, "SELECT status, draft FROM assignments WHERE id = ?", [aid]) == [
        ("complete", None)
    ]
    assert set(query(demo_target, drafts)) == before
