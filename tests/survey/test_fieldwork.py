import csv
import io
import multiprocessing
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questionnaires import AnswerError
from survey.demo import EXAMPLE_ANSWERS
from survey.fieldwork import (
    INVITATION_COLUMNS,
    TokenError,
    full_contact,
    invitation_rows,
    invitations_csv,
    invitations_xlsx,
    reminder_rows,
    resolve_token,
    safe_cell,
    save_draft,
    submit_by_assignment,
    submit_response,
    write_invitations,
)
from survey.rounds import close_round
from survey.store import open_db
from survey.tokens import TOKEN_LENGTH, make_token, secret_key, token_hash

pytestmark = pytest.mark.demo_on_postgresql  # demo_db runs on both backends

GOOD = {**EXAMPLE_ANSWERS, "suggestion": "无"}


def _open_token(db, offset=0):
    aid = db.execute(
        "SELECT a.id FROM assignments a JOIN rounds r ON r.id = a.round_id WHERE r.status = 'open'"
        " AND a.is_reserve = 0 AND a.status = 'issued' ORDER BY a.id LIMIT 1 OFFSET ?",
        [offset],
    ).fetchone()[0]
    return aid, make_token(secret_key(db), aid)


@pytest.mark.sqlite_only  # reads the SQL dump of the file (iterdump); on PostgreSQL: pg_dump, not yet tested
def test_tokens_are_long_random_and_only_hashes_are_stored(demo_db):
    aid, token = _open_token(demo_db)
    assert len(token) == TOKEN_LENGTH and TOKEN_LENGTH * 6 >= 128
    stored = demo_db.execute("SELECT token_hash FROM assignments WHERE id = ?", [aid]).fetchone()[0]
    assert stored == token_hash(token) and token not in stored
    dump = "\n".join(demo_db.conn.iterdump())
    assert token not in dump
    assert make_token(b"another key of at least 32 bytes", aid) != token


def test_invitations_have_links_for_sampled_eligible_customers_only(demo_db):
    rows = invitation_rows(demo_db, 2, "https://survey.example.cn/")
    sampled = demo_db.execute(
        "SELECT COUNT(*) FROM assignments WHERE round_id = 2 AND is_reserve = 0"
        " AND status NOT IN ('wrong_number', 'not_eligible')"
    ).fetchone()[0]
    assert len(rows) == sampled
    text = invitations_csv(rows)
    parsed = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert list(parsed[0]) == ["customer_id", "name", "phone", "stratum", "link", "expires_at"]
    expiry = demo_db.execute("SELECT expires_at FROM rounds WHERE id = 2").fetchone()[0]
    assert {r["expires_at"] for r in parsed} == {expiry}
    link = parsed[0]["link"]
    assert link.startswith("https://survey.example.cn/?t=")
    for row in parsed:  # every link carries exactly the token whose hash is stored for that customer
        stored = demo_db.execute(
            "SELECT token_hash FROM assignments WHERE round_id = 2 AND customer_id = ?", [row["customer_id"]]
        ).fetchone()[0]
        assert token_hash(row["link"].split("?t=")[1]) == stored


def test_submit_stores_answers_once_and_the_link_is_then_used(demo_db):
    aid, token = _open_token(demo_db)
    rid = submit_response(demo_db, token, GOOD)
    stored = dict(
        demo_db.execute("SELECT question_id, value FROM answers WHERE response_id = ?", [rid]).fetchall()
    )
    assert stored["overall"] == "4" and stored["vs_last_year"] == "same" and stored["suggestion"] == "无"
    assert demo_db.execute("SELECT status FROM assignments WHERE id = ?", [aid]).fetchone()[0] == "complete"
    with pytest.raises(TokenError) as e:
        submit_response(demo_db, token, GOOD)
    assert e.value.state == "used"
    assert demo_db.execute("SELECT COUNT(*) FROM responses WHERE assignment_id = ?", [aid]).fetchone()[0] == 1


def test_invalid_answers_write_nothing_and_name_the_questions(demo_db):
    aid, token = _open_token(demo_db)
    bad = dict(GOOD, overall=9)
    del bad["attitude"]
    with pytest.raises(AnswerError) as e:
        submit_response(demo_db, token, bad)
    assert {p.question_id for p in e.value.problems} == {"overall", "attitude"}
    assert demo_db.execute("SELECT COUNT(*) FROM responses WHERE assignment_id = ?", [aid]).fetchone()[0] == 0


@pytest.mark.parametrize("token", ["", "short", "A" * TOKEN_LENGTH, "'; DROP TABLE responses; --", None, 42])
def test_unknown_tokens(demo_db, token):
    with pytest.raises(TokenError) as e:
        resolve_token(demo_db, token)
    assert e.value.state == "unknown"


def test_expired_closed_and_unreleased_reserve_links_are_refused(demo_db):
    aid, token = _open_token(demo_db)
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    demo_db.execute("UPDATE assignments SET expires_at = ? WHERE id = ?", [past, aid])
    with pytest.raises(TokenError, match="expired"):
        resolve_token(demo_db, token)
    _, token2 = _open_token(demo_db, offset=1)
    close_round(demo_db, 2)
    with pytest.raises(TokenError, match="closed"):
        submit_response(demo_db, token2, GOOD)
    reserve = demo_db.execute("SELECT id FROM assignments WHERE is_reserve = 1 LIMIT 1").fetchone()[0]
    with pytest.raises(TokenError, match="unknown"):
        resolve_token(demo_db, make_token(secret_key(demo_db), reserve))


def test_draft_is_kept_and_resumed(demo_db):
    aid, token = _open_token(demo_db)
    save_draft(demo_db, token, {"overall": 2, "suggestion": "电压不稳"})
    info = resolve_token(demo_db, token)
    assert info.draft == {"overall": 2, "suggestion": "电压不稳"}
    assert demo_db.execute("SELECT status FROM assignments WHERE id = ?", [aid]).fetchone()[0] == "started"


def _submit_in_process(args):
    path, token = args
    db = open_db(path)
    try:
        submit_response(db, token, GOOD)
        return "stored"
    except TokenError as e:
        return e.state


def test_simultaneous_submissions_of_one_token_store_exactly_one_response(demo_path):
    db = open_db(demo_path)
    aid, token = _open_token(db)
    db.conn.close()
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        outcomes = pool.map(_submit_in_process, [(str(demo_path), token)] * 8)
    assert sorted(outcomes) == ["stored"] + ["used"] * 7
    db = open_db(demo_path)
    assert db.execute("SELECT COUNT(*) FROM responses WHERE assignment_id = ?", [aid]).fetchone()[0] == 1


@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("13812345678", "13812345678"),
        (5, 5),
    ],
)
def test_export_cells_cannot_run_as_formulas(value, expected):
    assert safe_cell(value) == expected


# ---------------------------------------------------------------- exports: roles, Excel, reminders


def test_masked_rows_hide_names_and_phones(demo_db):
    full = invitation_rows(demo_db, 2, full=True)
    masked = invitation_rows(demo_db, 2, full=False)
    assert [r["link"] for r in full] == [r["link"] for r in masked]
    for f, m in zip(full, masked, strict=True):
        digits = "".join(c for c in f["phone"] if c.isdigit())
        assert "****" in m["phone"] and m["phone"].endswith(digits[-4:]) and digits not in m["phone"]
        keep = 4 if len(f["name"]) > 6 else 1  # persons keep 1 character, companies 4 (survey.privacy)
        assert m["name"] == f["name"][:keep] + "*" * (len(f["name"]) - keep)


@pytest.mark.parametrize("role, full", [("staff", True), ("manager", False), ("admin", False), (None, False)])
def test_only_staff_export_full_contacts(role, full):
    assert full_contact(role) is full


def test_excel_export_keeps_text_and_neutralises_formulas(demo_db, tmp_path):
    rows = [
        {
            "customer_id": "0012",
            "name": '=HYPERLINK("http://evil")',
            "phone": "13812345678",
            "stratum": "福州|居民",
            "link": "https://x/?t=abc",
            "expires_at": "2026-12-31T00:00:00+00:00",
        }
    ]
    book = openpyxl.load_workbook(io.BytesIO(invitations_xlsx(rows)))
    sheet = book["invitations"]
    assert [c.value for c in sheet[1]] == list(INVITATION_COLUMNS)
    values = [c.value for c in sheet[2]]
    assert values[0] == "0012" and values[1] == '\'=HYPERLINK("http://evil")' and values[2] == "13812345678"
    assert all(c.data_type == "s" for c in sheet[2])
    n = write_invitations(demo_db, 2, tmp_path / "inv.xlsx", base_url="https://x/", by="tester", full=False)
    sheet = openpyxl.load_workbook(tmp_path / "inv.xlsx")["invitations"]
    assert sheet.max_row == n + 1 and "****" in sheet["C2"].value
    assert demo_db.execute(
        "SELECT user, detail FROM audit_log WHERE action = 'export_invitations'"
    ).fetchall() == [("tester", f"round=2 full=0 rows={n} file=inv.xlsx")]


def test_reminders_list_unanswered_units_invited_long_enough_ago(demo_db):
    created = demo_db.execute("SELECT created_at FROM rounds WHERE id = 2").fetchone()[0]
    day_after_3 = (datetime.fromisoformat(created) + timedelta(days=3, minutes=1)).isoformat()
    statuses = dict(demo_db.execute("SELECT customer_id, status FROM assignments WHERE round_id = 2"
                                    " AND is_reserve = 0").fetchall())  # fmt: skip
    rows = reminder_rows(demo_db, 2, 3, as_of=day_after_3)
    expected = {c for c, s in statuses.items() if s in ("issued", "started", "non_contact", "callback")}
    assert {r["customer_id"] for r in rows} == expected and expected
    assert reminder_rows(demo_db, 2, 4, as_of=day_after_3) == []  # nobody was invited 4 days earlier
    # a reserve released later counts from its own release
    later = (datetime.fromisoformat(created) + timedelta(days=2)).isoformat()
    demo_db.execute("UPDATE assignments SET released_at = ?, status = 'issued' WHERE id = (SELECT MIN(id) FROM"
                    " assignments WHERE round_id = 2 AND is_reserve = 1)", [later])  # fmt: skip
    assert len(reminder_rows(demo_db, 2, 3, as_of=day_after_3)) == len(expected)
    assert len(reminder_rows(demo_db, 2, 1, as_of=day_after_3)) == len(expected) + 1


@pytest.mark.parametrize("days", [-1, 1.5, "3", True])
def test_reminder_days_must_be_a_non_negative_integer(demo_db, days):
    with pytest.raises(ValueError, match="days must be a non-negative integer"):
        reminder_rows(demo_db, 2, days)


def test_submit_by_assignment_is_phone_mode_and_single(demo_db):
    aid, token = _open_token(demo_db)
    rid = submit_by_assignment(demo_db, aid, GOOD, interviewer="王芳")
    assert demo_db.execute("SELECT mode, interviewer FROM responses WHERE id = ?", [rid]).fetchone() == (
        "phone",
        "王芳",
    )
    with pytest.raises(TokenError, match="used"):
        submit_response(demo_db, token, GOOD)  # the web link is now used
    with pytest.raises(TokenError, match="used"):
        submit_by_assignment(demo_db, aid, GOOD, interviewer="王芳")
    with pytest.raises(ValueError, match="interviewer must be a non-empty name"):
        submit_by_assignment(demo_db, _open_token(demo_db)[0], GOOD, interviewer=" ")


# ---------------------------------------------------------------- questionnaire versions


def test_import_lists_versions_with_the_rounds_using_them(demo_db, tmp_path):
    from questionnaires import Questionnaire, load_default
    from survey.forms import import_questionnaire, list_questionnaires, xlsform_bytes

    [v1] = list_questionnaires(demo_db)
    assert (v1.name, v1.version, v1.rounds, v1.questions) == ("psc-satisfaction", "1", (1, 2), 18)
    same = import_questionnaire(demo_db, xlsform_bytes(load_default()), "default.xlsx", by="staff")
    assert (same.questionnaire_id, same.created) == (v1.id, False)
    data = load_default().to_dict()
    data["version"] = "2"
    data["questions"][0]["label"]["zh"] = "总体而言，您对供电服务满意吗？"
    new = import_questionnaire(demo_db, xlsform_bytes(Questionnaire.from_dict(data)), "v2.xlsx", by="staff")
    assert new.created and new.questionnaire_id != v1.id
    versions = list_questionnaires(demo_db)
    assert [(v.version, v.rounds) for v in versions] == [("2", ()), ("1", (1, 2))]
    assert (
        demo_db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'import_questionnaire'").fetchone()[0]
        == 2
    )


_answer_values = st.one_of(
    st.none(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=600),
    st.lists(st.text(max_size=20), max_size=6),
    st.sampled_from(
        ["yes", "no", "better", "hotline", "none", "😀" * 300, "<script>x</script>", "=cmd|' /C calc'!A0"]
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    changes=st.dictionaries(
        st.sampled_from(sorted(GOOD) + ["outage_notice", "channels", "recommend", "bogus"]),
        _answer_values,
        max_size=4,
    ),
    start_valid=st.booleans(),
)
def test_arbitrary_answers_are_stored_whole_or_refused_with_named_problems(demo_db, changes, start_valid):
    """Out-of-range values, wrong types, missing answers, huge texts, emoji: AnswerError naming the
    questions and nothing written — or a valid response stored whole. Never anything else."""
    answers = {**GOOD, **changes} if start_valid else changes
    aid, token = _open_token(demo_db)
    before = demo_db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    try:
        rid = submit_response(demo_db, token, answers)
    except AnswerError as e:
        assert e.problems and all(p.question_id for p in e.problems)
        assert demo_db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == before
    else:
        stored = demo_db.execute("SELECT COUNT(*) FROM answers WHERE response_id = ?", [rid]).fetchone()[0]
        assert stored >= 10  # every required answer is there
        demo_db.execute("DELETE FROM follow_ups WHERE response_id = ?", [rid])
        demo_db.execute("DELETE FROM suggestion_topics WHERE response_id = ?", [rid])
        demo_db.execute("DELETE FROM answers WHERE response_id = ?", [rid])
        demo_db.execute("DELETE FROM responses WHERE id = ?", [rid])
        demo_db.execute("UPDATE assignments SET status = 'issued' WHERE id = ?", [aid])
