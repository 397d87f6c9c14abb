import csv
import io
import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest

from questionnaires import AnswerError
from survey.fieldwork import (
    TokenError,
    invitation_rows,
    invitations_csv,
    resolve_token,
    safe_cell,
    save_draft,
    submit_response,
)
from survey.rounds import close_round
from survey.store import open_db
from survey.tokens import TOKEN_LENGTH, make_token, secret_key, token_hash

GOOD = {"overall": 4, "attitude": 5, "skill": 4, "reliability": 3, "voltage": 4, "planned_outage": "no",
        "reported_fault": "no", "billing": 4, "complained": "no", "vs_last_year": "same", "suggestion": "无"}


def _open_token(db, offset=0):
    aid = db.execute(
        "SELECT a.id FROM assignments a JOIN rounds r ON r.id = a.round_id WHERE r.status = 'open'"
        " AND a.is_reserve = 0 AND a.status = 'issued' ORDER BY a.id LIMIT 1 OFFSET ?", [offset]).fetchone()[0]
    return aid, make_token(secret_key(db), aid)


def test_tokens_are_long_random_and_only_hashes_are_stored(demo_db):
    aid, token = _open_token(demo_db)
    assert len(token) == TOKEN_LENGTH and TOKEN_LENGTH * 6 >= 128
    stored = demo_db.execute("SELECT token_hash FROM assignments WHERE id = ?", [aid]).fetchone()[0]
    assert stored == token_hash(token) and token not in stored
    dump = "\n".join(demo_db.conn.iterdump())
    assert token not in dump
    assert make_token(b"another key", aid) != token


def test_invitations_have_links_for_sampled_customers_only(demo_db):
    rows = invitation_rows(demo_db, 2, "https://survey.example.cn/")
    sampled = demo_db.execute("SELECT COUNT(*) FROM assignments WHERE round_id = 2 AND is_reserve = 0").fetchone()[0]
    assert len(rows) == sampled
    text = invitations_csv(rows)
    parsed = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert list(parsed[0]) == ["customer_id", "name", "phone", "link"]
    link = parsed[0]["link"]
    assert link.startswith("https://survey.example.cn/?t=")
    for row in parsed:  # every link carries exactly the token whose hash is stored for that customer
        stored = demo_db.execute("SELECT token_hash FROM assignments WHERE round_id = 2 AND customer_id = ?",
                                 [row["customer_id"]]).fetchone()[0]
        assert token_hash(row["link"].split("?t=")[1]) == stored


def test_submit_stores_answers_once_and_the_link_is_then_used(demo_db):
    aid, token = _open_token(demo_db)
    rid = submit_response(demo_db, token, GOOD)
    stored = dict(demo_db.execute("SELECT question_id, value FROM answers WHERE response_id = ?", [rid]).fetchall())
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


@pytest.mark.parametrize("value, expected", [("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+1", "'+1"),
                                             ("@SUM(A1)", "'@SUM(A1)"), ("13812345678", "13812345678"), (5, 5)])
def test_export_cells_cannot_run_as_formulas(value, expected):
    assert safe_cell(value) == expected
