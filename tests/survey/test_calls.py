"""Phone interviews: call attempts, dispositions, phone completes, reserve release in PRN order."""

from __future__ import annotations

import pytest

from questionnaires import AnswerError
from survey.calls import (
    CALL_OUTCOMES,
    CallError,
    NoReserve,
    call_history,
    call_list,
    complete_by_phone,
    open_contact,
    record_call,
    release_reserve,
)
from survey.rounds import close_round, draw_round

pytestmark = pytest.mark.demo_on_postgresql  # demo_db runs on both backends

GOOD = {"overall": 4, "attitude": 5, "skill": 4, "reliability": 3, "voltage": 4, "planned_outage": "no",
        "reported_fault": "no", "billing": 4, "complained": "no", "vs_last_year": "same"}  # fmt: skip


def _issued(db, offset=0) -> int:
    return db.execute(
        "SELECT id FROM assignments WHERE round_id = 2 AND is_reserve = 0 AND status = 'issued'"
        " ORDER BY id LIMIT 1 OFFSET ?",
        [offset],
    ).fetchone()[0]


@pytest.mark.parametrize("outcome", [o for o in CALL_OUTCOMES if o != "callback"])
def test_every_attempt_is_stored_and_the_status_follows_the_last(demo_db, outcome):
    aid = _issued(demo_db)
    record_call(demo_db, aid, "non_contact", interviewer="王芳")
    record_call(demo_db, aid, outcome, interviewer="李强", note="第二次")
    history = call_history(demo_db, aid)
    assert [(h["outcome"], h["interviewer"], h["note"]) for h in history] == [
        ("non_contact", "王芳", None),
        (outcome, "李强", "第二次"),
    ]
    assert demo_db.execute("SELECT status, mode FROM assignments WHERE id = ?", [aid]).fetchone() == (
        outcome,
        "phone",
    )
    assert demo_db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'record_call'").fetchone()[0] == 2


def test_callback_needs_and_keeps_its_time(demo_db):
    aid = _issued(demo_db)
    with pytest.raises(ValueError, match="callback_at is required"):
        record_call(demo_db, aid, "callback", interviewer="王芳")
    with pytest.raises(ValueError, match="callback_at must be an ISO date-time"):
        record_call(demo_db, aid, "callback", interviewer="王芳", callback_at="明天下午")
    record_call(demo_db, aid, "callback", interviewer="王芳", callback_at="2026-11-20T15:30")
    assert call_history(demo_db, aid)[0]["callback_at"] == "2026-11-20T15:30:00"
    row = next(r for r in call_list(demo_db, 2) if r["assignment_id"] == aid)
    assert (row["status"], row["attempts"], row["callback_at"]) == ("callback", 1, "2026-11-20T15:30:00")


@pytest.mark.parametrize(
    "kwargs, error, message",
    [({"outcome": "complete"}, ValueError, "outcome must be one of"),
     ({"outcome": "maybe"}, ValueError, "outcome must be one of"),
     ({"outcome": "refusal", "interviewer": ""}, ValueError, "interviewer must be a non-empty name")],
)  # fmt: skip
def test_bad_call_arguments(demo_db, kwargs, error, message):
    args = {"interviewer": "王芳", **kwargs}
    with pytest.raises(error, match=message):
        record_call(demo_db, _issued(demo_db), args.pop("outcome"), **args)


def test_calls_refused_on_closed_round_completed_unit_and_unreleased_reserve(demo_db):
    calls_before = demo_db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]  # the demo's call history
    done = demo_db.execute(
        "SELECT id FROM assignments WHERE round_id = 2 AND status = 'complete'"
    ).fetchone()[0]
    with pytest.raises(CallError, match="already answered"):
        record_call(demo_db, done, "refusal", interviewer="王芳")
    reserve = demo_db.execute("SELECT id FROM assignments WHERE round_id = 2 AND is_reserve = 1").fetchone()[
        0
    ]
    with pytest.raises(CallError, match="unreleased reserve"):
        record_call(demo_db, reserve, "refusal", interviewer="王芳")
    aid = _issued(demo_db)
    close_round(demo_db, 2)
    with pytest.raises(CallError, match="closed"):
        record_call(demo_db, aid, "refusal", interviewer="王芳")
    assert demo_db.execute("SELECT COUNT(*) FROM calls").fetchone()[0] == calls_before


def test_phone_complete_stores_response_and_call_together(demo_db):
    aid = _issued(demo_db)
    calls_before = demo_db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]  # the demo's call history
    with pytest.raises(AnswerError):
        complete_by_phone(demo_db, aid, {"overall": 4}, interviewer="王芳")
    assert demo_db.execute("SELECT COUNT(*) FROM calls").fetchone()[0] == calls_before  # nothing half-written
    rid = complete_by_phone(demo_db, aid, GOOD, interviewer="王芳", note="完成")
    assert demo_db.execute("SELECT mode, interviewer FROM responses WHERE id = ?", [rid]).fetchone() == (
        "phone",
        "王芳",
    )
    assert [h["outcome"] for h in call_history(demo_db, aid)] == ["complete"]


def _rotation_order(db, round_id, stratum):
    """Reserve units of a stratum in (prn - start) mod 1 order, computed independently in Python."""
    start = db.execute("SELECT start FROM round_strata WHERE round_id = ? AND stratum = ?",
                       [round_id, stratum]).fetchone()[0]  # fmt: skip
    rows = db.execute("SELECT id, prn FROM assignments WHERE round_id = ? AND stratum = ? AND is_reserve = 1",
                      [round_id, stratum]).fetchall()  # fmt: skip
    return [i for i, p in sorted(rows, key=lambda r: (r[1] - start) % 1.0)]


def test_reserve_released_in_prn_rotation_order_once_per_unit(demo_db):
    result = draw_round(demo_db, size=60, strata=("region",), reserve=3, name="reserve test")
    rid = result.round_id
    stratum = max(result.strata, key=lambda s: s.n_h).stratum
    sample = [r[0] for r in demo_db.execute("SELECT id FROM assignments WHERE round_id = ? AND stratum = ?"
                                            " AND is_reserve = 0 ORDER BY id", [rid, stratum])]  # fmt: skip
    expected = _rotation_order(demo_db, rid, stratum)
    assert len(expected) == 3
    with pytest.raises(CallError, match="must be marked wrong_number or not_eligible"):
        release_reserve(demo_db, sample[0], "王芳")
    released = []
    for aid, outcome in zip(sample[:3], ["wrong_number", "not_eligible", "wrong_number"], strict=True):
        record_call(demo_db, aid, outcome, interviewer="王芳")
        r = release_reserve(demo_db, aid, "王芳")
        assert r.replaces == aid and r.stratum == stratum
        released.append(r.assignment_id)
    assert released == expected
    with pytest.raises(CallError, match="already been replaced"):
        release_reserve(demo_db, sample[0], "王芳")
    record_call(demo_db, sample[3], "wrong_number", interviewer="王芳")
    with pytest.raises(NoReserve, match="no reserve unit left"):
        release_reserve(demo_db, sample[3], "王芳")
    # released units are now in the call list with a link, the replaced ones stay (status shown)
    listed = {r["assignment_id"]: r["status"] for r in call_list(demo_db, rid, stratum=stratum)}
    assert all(listed[a] == "issued" for a in released)
    from survey.fieldwork import invitation_rows, resolve_token

    links = {r["customer_id"]: r["link"] for r in invitation_rows(demo_db, rid)}
    customer = demo_db.execute("SELECT customer_id FROM assignments WHERE id = ?", [released[0]]).fetchone()[
        0
    ]
    assert resolve_token(demo_db, links[customer].split("?t=")[1]).assignment_id == released[0]
    replaced = demo_db.execute("SELECT customer_id FROM assignments WHERE id = ?", [sample[0]]).fetchone()[0]
    assert replaced not in links  # no invitation for a wrong number


def test_call_list_filters_and_region_scope(demo_db):
    everyone = call_list(demo_db, 2)
    sampled = demo_db.execute(
        "SELECT COUNT(*) FROM assignments WHERE round_id = 2 AND is_reserve = 0"
    ).fetchone()[0]
    assert len(everyone) == sampled
    stratum = everyone[0]["stratum"]
    assert {r["stratum"] for r in call_list(demo_db, 2, stratum=stratum)} == {stratum}
    assert {r["status"] for r in call_list(demo_db, 2, status="refusal")} == {"refusal"}
    fz = call_list(demo_db, 2, region="福州")
    assert fz and {r["region"] for r in fz} == {"福州"}
    with pytest.raises(LookupError, match="round 99 does not exist"):
        call_list(demo_db, 99)


def test_opening_a_contact_is_audited(demo_db):
    aid = _issued(demo_db)
    contact = open_contact(demo_db, aid, by="王芳")
    name, phone = demo_db.execute("SELECT c.name, c.phone FROM assignments a JOIN customers c ON c.id ="
                                  " a.customer_id WHERE a.id = ?", [aid]).fetchone()  # fmt: skip
    assert (contact["name"], contact["phone"]) == (name, phone)
    assert demo_db.execute("SELECT user FROM audit_log WHERE action = 'view_contact'").fetchall() == [
        ("王芳",)
    ]
