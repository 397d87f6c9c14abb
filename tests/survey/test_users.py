import pytest

from survey.users import UserError, authenticate, create_user, list_users


def test_password_is_hashed_with_argon2_and_verifies(fresh_db):
    create_user(fresh_db, "li", "staff", "correct horse")
    stored = fresh_db.execute("SELECT password_hash FROM users WHERE name = 'li'").fetchone()[0]
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert authenticate(fresh_db, "li", "correct horse").role == "staff"
    assert authenticate(fresh_db, "li", "wrong password") is None
    assert authenticate(fresh_db, "nobody", "correct horse") is None
    actions = [r[0] for r in fresh_db.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["create_user", "sign_in", "sign_in_failed", "sign_in_failed"]


def test_disabled_user_cannot_sign_in(fresh_db):
    create_user(fresh_db, "wang", "manager", "password123", region="泉州")
    fresh_db.execute("UPDATE users SET disabled = 1 WHERE name = 'wang'")
    assert authenticate(fresh_db, "wang", "password123") is None
    assert list_users(fresh_db)[0]["region"] == "泉州"


@pytest.mark.parametrize(
    "name, role, password, message",
    [
        ("", "staff", "password123", "must not be empty"),
        ("a", "boss", "password123", "role must be one of"),
        ("a", "staff", "short", "at least 8"),
    ],
)
def test_bad_accounts(fresh_db, name, role, password, message):
    with pytest.raises(UserError, match=message):
        create_user(fresh_db, name, role, password)


def test_duplicate_user(fresh_db):
    create_user(fresh_db, "a", "staff", "password123")
    with pytest.raises(UserError, match="already exists"):
        create_user(fresh_db, "a", "admin", "password123")


def test_lockout_after_repeated_failures_then_reset(fresh_db, monkeypatch):
    from survey import users

    create_user(fresh_db, "zhao", "staff", "right password")
    for _ in range(users.MAX_FAILURES - 1):
        assert authenticate(fresh_db, "zhao", "wrong") is None
    with pytest.raises(users.AccountLocked):  # the 5th wrong password locks, and says until when
        authenticate(fresh_db, "zhao", "wrong")
    with pytest.raises(users.AccountLocked) as locked_answer:  # locked, even with the right password
        authenticate(fresh_db, "zhao", "right password")
    assert locked_answer.value.until > "2000"
    locked = fresh_db.execute("SELECT locked_until FROM users WHERE name = 'zhao'").fetchone()[0]
    assert locked is not None
    assert (
        fresh_db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'sign_in_locked'").fetchone()[0] == 1
    )
    users.reset_password(fresh_db, "zhao", "a new password", by="admin")
    assert authenticate(fresh_db, "zhao", "a new password").name == "zhao"
    assert authenticate(fresh_db, "zhao", "right password") is None  # the old password, once: not locked


def test_lock_expires(fresh_db):
    create_user(fresh_db, "qian", "staff", "right password")
    fresh_db.execute("UPDATE users SET locked_until = '2000-01-01T00:00:00+00:00' WHERE name = 'qian'")
    assert authenticate(fresh_db, "qian", "right password") is not None


@pytest.mark.parametrize(
    "text, expected",
    [
        (None, None),
        ("泉州", ("泉州",)),
        ("泉州, 厦门", ("泉州", "厦门")),
        ("泉州，厦门,", ("泉州", "厦门")),
    ],
)
def test_parse_regions(text, expected):
    from survey.users import parse_regions

    assert parse_regions(text) == expected


def test_parse_regions_refuses_a_blank_scope():
    """Blank was once read as all regions (issue 11, item 4); see tests/survey/test_scope_input.py."""
    from survey.users import parse_regions

    with pytest.raises(UserError, match="at least one region"):
        parse_regions("")


def test_scope_role_and_disable_changes_are_audited(fresh_db):
    from survey.users import User, current_user, set_disabled, set_scope

    create_user(fresh_db, "sun", "manager", "password123", region=["泉州"])
    assert current_user(fresh_db, "sun") == User("sun", "manager", "泉州")
    assert User("sun", "manager", "泉州,厦门").can_see_region("厦门")
    assert not User("sun", "manager", "泉州").can_see_region("厦门")
    set_scope(fresh_db, "sun", region=["泉州", "漳州"], role="staff", by="admin")
    assert current_user(fresh_db, "sun") == User("sun", "staff", "泉州,漳州")
    set_scope(fresh_db, "sun", region=None, by="admin")
    assert current_user(fresh_db, "sun").regions is None
    set_disabled(fresh_db, "sun", True, by="admin")
    assert current_user(fresh_db, "sun") is None
    actions = [
        r[0] for r in fresh_db.execute("SELECT action FROM audit_log WHERE user = 'admin' ORDER BY id")
    ]
    assert actions == ["change_scope", "change_scope", "disable_user"]
    with pytest.raises(UserError, match="does not exist"):
        set_disabled(fresh_db, "nobody", True)
