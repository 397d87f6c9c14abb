from datetime import UTC, date, datetime, timedelta

import pytest

from survey.demo import DEMO_ZONE, FIRST_ROUND, SECOND_ROUND, Timeline, build_demo, make_frame
from survey.fieldwork import reminder_rows
from survey.follow_ups import get_sla_days, list_follow_ups
from survey.regions import FUJIAN
from survey.store import open_db

pytestmark = pytest.mark.demo_on_postgresql  # demo_db runs on both backends

CONTENT = {
    "customers": "SELECT id, name, phone, region, district, customer_type, urban_rural, complaints_12m, opted_out,"
                 " prn, updated_at FROM customers ORDER BY id",
    "rounds": "SELECT id, name, status, created_at, expires_at, closed_at FROM rounds ORDER BY id",
    "assignments": "SELECT round_id, customer_id, stratum, prn, weight, is_reserve, status, mode, updated_at,"
                   " expires_at FROM assignments ORDER BY id",
    "responses": "SELECT id, assignment_id, submitted_at, mode, interviewer FROM responses ORDER BY id",
    "answers": "SELECT r.assignment_id, x.question_id, x.value FROM answers x JOIN responses r ON r.id = x.response_id"
               " ORDER BY r.assignment_id, x.question_id",
    "calls": "SELECT assignment_id, at, interviewer, outcome, note FROM calls ORDER BY id",
    "follow_ups": "SELECT response_id, reason, status, owner, due_at, note, created_at, updated_at FROM follow_ups"
                  " ORDER BY id",
    "audit": 'SELECT at, "user", action, detail FROM audit_log ORDER BY id',
}  # fmt: skip
#: Every stored time of the demo's story, as (table, column).
TIMES = [("customers", "updated_at"), ("rounds", "created_at"), ("rounds", "expires_at"), ("rounds", "closed_at"),
         ("assignments", "updated_at"), ("assignments", "expires_at"), ("responses", "submitted_at"),
         ("calls", "at"), ("follow_ups", "due_at"), ("follow_ups", "created_at"), ("follow_ups", "updated_at"),
         ("users", "created_at"), ("audit_log", "at")]  # fmt: skip
DAY = date(2026, 12, 4)


def _build(path, *, seed=3, today=DAY):
    path.parent.mkdir(exist_ok=True)
    db = open_db(path)
    build_demo(db, customers=800, seed=seed, today=today)
    return db


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    """An 800-customer demo whose story ends on ``DAY``."""
    db = _build(tmp_path_factory.mktemp("demo") / "s.db")
    yield db
    db.conn.close()


def _times(db, table, column):
    sql = f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY rowid"  # noqa: S608
    return [datetime.fromisoformat(v) for (v,) in db.execute(sql).fetchall()]


def test_same_seed_same_day_same_database(small_demo, tmp_path):
    a, b = small_demo, _build(tmp_path / "b" / "s.db")
    for sql in CONTENT.values():
        assert a.execute(sql).fetchall() == b.execute(sql).fetchall()
    other = _build(tmp_path / "c" / "s.db", seed=4)
    assert other.execute(CONTENT["customers"]).fetchall() != a.execute(CONTENT["customers"]).fetchall()


def test_the_demo_builds_the_same_on_either_store(small_demo, database_target):
    """``python -m survey demo --db postgresql://…`` builds the demo on the server itself: the same rows as on
    SQLite (same seed, same day)."""
    db = open_db(database_target)
    try:
        build_demo(db, customers=800, seed=3, today=DAY)
        for name, sql in CONTENT.items():
            assert db.execute(sql).fetchall() == small_demo.execute(sql).fetchall(), name
    finally:
        db.conn.close()


def test_every_time_moves_with_the_anchor_and_nothing_else_does(small_demo, tmp_path):
    a = small_demo
    later = _build(tmp_path / "b" / "s.db", today=DAY + timedelta(days=40))
    for table, column in TIMES:
        before, after = _times(a, table, column), _times(later, table, column)
        assert before and [t + timedelta(days=40) for t in before] == after, (table, column)
    time_columns = {"answers": (), "calls": (1,), "follow_ups": (4, 6, 7)}
    for name, skip in time_columns.items():  # the same rows, only their times differ
        rows = [[v for k, v in enumerate(r) if k not in skip] for r in a.execute(CONTENT[name])]
        assert rows == [[v for k, v in enumerate(r) if k not in skip] for r in later.execute(CONTENT[name])]
    assert (
        a.execute("SELECT name FROM rounds").fetchall() != later.execute("SELECT name FROM rounds").fetchall()
    )


def test_the_story_ends_before_the_anchor_day(small_demo):
    db = small_demo
    end = Timeline(DAY).end
    assert end == datetime(2026, 12, 3, 16, tzinfo=UTC)  # midnight in Beijing
    for table, column in TIMES:
        if column != "expires_at" and not (table == "follow_ups" and column == "due_at"):
            assert max(_times(db, table, column)) < end, (table, column)


def test_frame_is_realistic():
    frame = make_frame(20_000, seed=1)
    assert frame["id"].is_unique
    for region, district in zip(frame["region"], frame["district"], strict=True):
        assert district in FUJIAN[region]["districts"]
    shares = frame["customer_type"].value_counts(normalize=True)
    assert shares["居民"] == pytest.approx(0.88, abs=0.02) and shares["大工业"] < 0.03
    assert frame["phone"].str.fullmatch(r"1[3-9]\d{9}").mean() > 0.95
    assert (frame.loc[frame.customer_type == "农业", "urban_rural"] == "农村").all()
    assert frame["region"].value_counts().idxmax() in ("泉州", "福州")


def test_demo_rounds_and_users(demo_db, demo_credentials):
    rounds = demo_db.execute("SELECT id, status FROM rounds ORDER BY id").fetchall()
    assert rounds == [(1, "closed"), (2, "open")]
    done = demo_db.execute("SELECT COUNT(*) FROM responses r JOIN assignments a ON a.id = r.assignment_id"
                           " WHERE a.round_id = 1").fetchone()[0]  # fmt: skip
    sampled = demo_db.execute(
        "SELECT COUNT(*) FROM assignments WHERE round_id = 1 AND is_reserve = 0"
    ).fetchone()[0]
    assert 0.45 < done / sampled < 0.8
    roles = dict(demo_db.execute("SELECT name, role FROM users").fetchall())
    assert roles == {"admin": "admin", "staff": "staff", "manager": "manager"}
    assert set(demo_credentials) == set(roles)


def test_regions_differ_as_designed(demo_db):
    from survey.results import region_estimates, responses_frame

    table = region_estimates(responses_frame(demo_db, 1)).set_index("region")
    assert table.loc["厦门", "estimate"] > table.loc["泉州", "estimate"]


# The timeline of the session's demo (built today): draw → invitations → answers and calls → reminders → close.


def _draws(db) -> dict[int, datetime]:
    return {rid: datetime.fromisoformat(at) for rid, at in db.execute("SELECT id, created_at FROM rounds")}


def test_rounds_are_drawn_weeks_and_days_ago(demo_db):
    today = datetime.now(DEMO_ZONE).date()
    drawn = {rid: at.astimezone(DEMO_ZONE).date() for rid, at in _draws(demo_db).items()}
    # a build just before midnight, tested just after, is a day older
    assert (today - drawn[1]).days in (-FIRST_ROUND.draw_day, -FIRST_ROUND.draw_day + 1)
    assert (today - drawn[2]).days in (-SECOND_ROUND.draw_day, -SECOND_ROUND.draw_day + 1)
    assert demo_db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'draw'").fetchone()[0] == 2
    for rid, at in _draws(demo_db).items():
        audit_at = demo_db.execute(
            "SELECT at FROM audit_log WHERE action = 'draw' AND detail LIKE ?", [f"round={rid} %"]
        ).fetchone()[0]
        assert datetime.fromisoformat(audit_at) == at


def test_every_answer_invitation_and_call_is_after_its_draw(demo_db):
    draws = _draws(demo_db)
    now = datetime.now(UTC)
    answered = demo_db.execute(
        "SELECT a.round_id, r.submitted_at FROM responses r JOIN assignments a ON a.id = r.assignment_id"
    ).fetchall()
    called = demo_db.execute(
        "SELECT a.round_id, k.at FROM calls k JOIN assignments a ON a.id = k.assignment_id"
    ).fetchall()
    touched = demo_db.execute("SELECT round_id, updated_at FROM assignments").fetchall()
    assert answered and called
    for rid, at in [*answered, *called, *touched]:
        assert draws[rid] <= datetime.fromisoformat(at) < now
    for rid, period in ((1, FIRST_ROUND), (2, SECOND_ROUND)):
        times = [datetime.fromisoformat(at) for r, at in answered if r == rid]
        assert max(times) < draws[rid] + timedelta(days=period.days)
    round_one = sorted(datetime.fromisoformat(at) for r, at in answered if r == 1)
    assert round_one[-1] - round_one[0] > timedelta(days=14)  # spread over the three weeks


def test_round_one_closed_after_its_last_answer_and_call(demo_db):
    closed = datetime.fromisoformat(
        demo_db.execute("SELECT closed_at FROM rounds WHERE id = 1").fetchone()[0]
    )
    last = demo_db.execute(
        "SELECT MAX(x) FROM (SELECT r.submitted_at AS x FROM responses r JOIN assignments a ON a.id = r.assignment_id"
        " WHERE a.round_id = 1 UNION ALL SELECT k.at FROM calls k JOIN assignments a ON a.id = k.assignment_id"
        " WHERE a.round_id = 1) AS stamps"
    ).fetchone()[0]
    assert datetime.fromisoformat(last) < closed < _draws(demo_db)[2]


def test_phone_completes_have_their_call_and_outcomes_match_the_last_call(demo_db):
    rows = demo_db.execute(
        "SELECT a.status, (SELECT outcome FROM calls k WHERE k.assignment_id = a.id ORDER BY k.at DESC, k.id DESC"
        " LIMIT 1) FROM assignments a WHERE a.is_reserve = 0"
    ).fetchall()
    for status, last_outcome in rows:
        assert last_outcome in (status, None)
        if status in ("refusal", "non_contact", "wrong_number"):
            assert last_outcome == status
    phone = demo_db.execute(
        "SELECT r.submitted_at, k.at FROM responses r LEFT JOIN calls k ON k.assignment_id = r.assignment_id"
        " AND k.outcome = 'complete' WHERE r.mode = 'phone'"
    ).fetchall()
    assert phone and all(submitted == called for submitted, called in phone)


def test_round_two_has_people_to_remind(demo_db):
    pending = demo_db.execute(
        "SELECT COUNT(*) FROM assignments WHERE round_id = 2 AND is_reserve = 0"
        " AND status IN ('issued', 'started', 'non_contact', 'callback')"
    ).fetchone()[0]
    reminders = reminder_rows(demo_db, 2, days=3)
    assert pending > 0 and len(reminders) == pending
    assert reminder_rows(demo_db, 1, days=3) == []  # closed, its links expired


def test_follow_ups_are_opened_at_the_answer_and_only_some_are_overdue(demo_db):
    sla = timedelta(days=get_sla_days(demo_db))
    rows = demo_db.execute(
        "SELECT r.submitted_at, f.created_at, f.due_at, f.updated_at, f.status FROM follow_ups f"
        " JOIN responses r ON r.id = f.response_id"
    ).fetchall()
    assert rows
    for submitted, created, due, updated, status in rows:
        assert created == submitted
        assert datetime.fromisoformat(due) == datetime.fromisoformat(submitted) + sla
        assert updated >= created and (status == "open") == (updated == created)
    queue = list_follow_ups(demo_db)
    overdue = queue["overdue"].mean()
    assert 0 < overdue < 0.6
    statuses = set(queue["status"])
    assert {"open", "resolved"} <= statuses
