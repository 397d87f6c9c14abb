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
    [("", "staff", "password123", "must not be empty"), ("a", "boss", "password123", "role must be one of"),
     ("a", "staff", "short", "at least 8")],
)
def test_bad_accounts(fresh_db, name, role, password, message):
    with pytest.raises(UserError, match=message):
        create_user(fresh_db, name, role, password)


def test_duplicate_user(fresh_db):
    create_user(fresh_db, "a", "staff", "password123")
    with pytest.raises(UserError, match="already exists"):
        create_user(fresh_db, "a", "admin", "password123")
