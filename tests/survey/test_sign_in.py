"""Issue 11, items 5 and 6: sign-in neither holds the write lock nor tells by its timing whether a name exists.

Item 5: argon2 ran inside ``BEGIN IMMEDIATE`` (customers' writes waited), unknown names were never limited and a
10 MB name was stored in the audit log. Item 6: a locked account answered at once, an unknown one after an
argon2 hash. The sweep: every path of :func:`survey.users.authenticate` (unknown, disabled, locked, wrong, right,
over-long name or password, empty) runs exactly one verification and writes only bounded strings.
"""

from __future__ import annotations

import threading
import time

import pytest

from survey import dialect, users
from survey.store import is_database_url, open_db, set_setting, transaction
from survey.users import MAX_NAME, TooManyAttempts, authenticate, create_user


def _try(db, name, password):
    """authenticate, with a locked account (or a name that looks locked) read as 'not signed in'."""
    try:
        return authenticate(db, name, password)
    except users.AccountLocked:
        return None


@pytest.fixture
def db(fresh_db):
    database = fresh_db
    create_user(database, "li", "staff", "right password")
    create_user(database, "off", "staff", "right password")
    database.execute("UPDATE users SET disabled = 1 WHERE name = 'off'")
    create_user(database, "shut", "staff", "right password")
    database.execute("UPDATE users SET locked_until = '2999-01-01T00:00:00+00:00' WHERE name = 'shut'")
    return database


@pytest.fixture
def counted(monkeypatch):
    """Counts argon2 verifications and hashes made by sign-in."""
    calls = {"verify": 0, "hash": 0}
    real = users._hasher
    users._dummy_hash()  # made once per process, not per attempt

    class Counting:
        def verify(self, *args, **kwargs):
            calls["verify"] += 1
            return real.verify(*args, **kwargs)

        def hash(self, *args, **kwargs):
            calls["hash"] += 1
            return real.hash(*args, **kwargs)

    monkeypatch.setattr(users, "_hasher", Counting())
    return calls


PATHS = {
    "unknown": ("nobody", "right password", False),
    "disabled": ("off", "right password", False),
    "locked": ("shut", "right password", False),
    "wrong": ("li", "wrong password", False),
    "right": ("li", "right password", True),
    "empty name": ("", "right password", False),
    "empty password": ("li", "", False),
    "long name": ("x" * 10_000, "right password", False),
    "long password": ("li", "p" * 100_000, False),
    "not a string": (None, None, False),
}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_every_path_runs_exactly_one_verification(db, counted, path):
    name, password, signed_in = PATHS[path]
    assert (_try(db, name, password) is not None) is signed_in
    assert counted == {"verify": 1, "hash": 0}


def test_the_locked_path_is_no_faster_than_the_unknown_one(db):
    """The finding, in its own terms (0.09 ms vs 464 ms before): both now cost one verification."""

    def took(name):
        start = time.perf_counter()
        _try(db, name, "right password")
        return time.perf_counter() - start

    took("nobody")  # warm up
    locked, unknown = min(took("shut") for _ in range(2)), min(took("nobody") for _ in range(2))
    assert locked > 0.3 * unknown


def test_verification_runs_outside_the_write_transaction(db, monkeypatch):
    seen = []
    real = users._verify

    def spy(*args):
        seen.append(db.conn.in_transaction)
        return real(*args)

    monkeypatch.setattr(users, "_verify", spy)
    for name in ("li", "nobody", "shut", "off"):
        _try(db, name, "right password")
    assert seen == [False] * 4


def test_customers_keep_writing_while_people_sign_in(database_target, monkeypatch):
    """While sign-ins' password verifications are in progress, a customer's short write transactions still commit.

    Each verification waits (up to 20 s) until the writer has committed three more writes after it started: if a
    sign-in held a lock the writer needs during its verification (argon2 inside ``BEGIN IMMEDIATE``, as before),
    the writer could not commit and the waits would end without them. No wall-clock threshold is involved.
    """
    path = database_target
    setup = open_db(path)
    create_user(setup, "li", "staff", "right password")
    setup.conn.close()

    stop, committed, errors, overlaps = threading.Event(), [], [], []
    real = users._verify

    def verify_while_writer_writes(*args):
        seen, deadline = len(committed), time.monotonic() + 20
        while len(committed) < seen + 3 and time.monotonic() < deadline and not errors:
            time.sleep(0.002)
        overlaps.append(len(committed) - seen)
        return real(*args)

    monkeypatch.setattr(users, "_verify", verify_while_writer_writes)

    def writer():
        db = open_db(path)
        if not is_database_url(path):
            db.conn.execute("PRAGMA busy_timeout = 30000")
        i = 0
        while not stop.is_set():
            try:
                with transaction(db):
                    set_setting(db, "draft", str(i))
                committed.append(i)
            except Exception as e:  # noqa: BLE001
                errors.append(e)
            i += 1
            time.sleep(0.002)

    results = {}

    def sign_in(k, name):
        db = open_db(path)
        results[k] = authenticate(db, name, "wrong password" if name == "nobody" else "right password")
        db.conn.close()

    w = threading.Thread(target=writer)
    w.start()
    names = ("li", "nobody", "li", "nobody", "li")
    signers = [threading.Thread(target=sign_in, args=(k, n)) for k, n in enumerate(names)]
    for t in signers:
        t.start()
    for t in signers:
        t.join()
    stop.set()
    w.join()
    assert not errors
    assert len(overlaps) == len(names) and min(overlaps) >= 3, overlaps
    assert [results[k] is not None for k in range(len(names))] == [n == "li" for n in names]


def test_unknown_names_are_rate_limited_per_name(db, counted):
    for _ in range(users.NAME_ATTEMPTS):
        assert _try(db, "ghost", "guess") is None
    with pytest.raises(TooManyAttempts) as refused:
        authenticate(db, "ghost", "guess")
    assert 0 < refused.value.retry_after <= users.WINDOW_SECONDS
    assert counted["verify"] == users.NAME_ATTEMPTS  # a refused attempt costs no verification
    assert authenticate(db, "li", "right password") is not None  # another name is not affected


def test_a_client_is_rate_limited_across_names(db):
    for i in range(users.CLIENT_ATTEMPTS):
        assert authenticate(db, f"ghost{i}", "guess", client=("session:a", "ip:10.0.0.9")) is None
    with pytest.raises(TooManyAttempts):
        authenticate(db, "li", "right password", client="session:a")
    with pytest.raises(TooManyAttempts):
        authenticate(db, "li", "right password", client=("session:new", "ip:10.0.0.9"))  # same address
    assert authenticate(db, "li", "right password", client="session:b") is not None


def test_known_and_unknown_names_are_limited_alike(db):
    """The limiter does not reveal which names exist: the same number of tries for both."""
    answers = {}
    for name in ("li", "nobody"):
        n = 0
        while True:
            try:
                _try(db, name, "guess")
            except TooManyAttempts:
                break
            n += 1
        answers[name] = n
    assert answers["li"] == answers["nobody"] == users.NAME_ATTEMPTS


def test_a_success_clears_the_name_count(db):
    for _ in range(3):
        authenticate(db, "li", "guess")
    assert authenticate(db, "li", "right password") is not None
    for _ in range(users.NAME_ATTEMPTS - 1):
        _try(db, "nobody-else", "guess")  # unrelated
    for _ in range(4):
        assert authenticate(db, "li", "guess") is None  # counted from 0 again (no TooManyAttempts)


def _size(db) -> int:
    """Bytes the store takes: SQLite pages, or the PostgreSQL database's size."""
    if dialect.name(db) == dialect.SQLITE:
        return db.execute("PRAGMA page_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0]
    return db.execute("SELECT pg_database_size(current_database())").fetchone()[0]


def test_a_huge_name_is_never_stored(db):
    size = _size(db)
    for _ in range(3):
        authenticate(db, "名" * 10_000_000, "guess")
    stored = db.execute("""SELECT "user", detail FROM audit_log WHERE action = 'sign_in_failed'""").fetchall()
    assert stored and all(len(u) <= MAX_NAME + 1 and len(d) < 200 for u, d in stored)
    assert _size(db) - size < 1_000_000  # kilobytes, not the 30 MB names


@pytest.mark.parametrize("name", ["a\nb", "x\x00y", "\u202eevil"])
def test_audit_lines_hold_no_control_characters(db, name):
    authenticate(db, name, "guess")
    stored = db.execute('SELECT "user" FROM audit_log ORDER BY id DESC LIMIT 1').fetchone()[0]
    assert stored.isprintable()


@pytest.mark.parametrize("name", ["x" * (MAX_NAME + 1), "a\nb", "x\x00"])
def test_account_names_are_bounded_and_printable(db, name):
    with pytest.raises(users.UserError, match=f"at most {MAX_NAME}"):
        create_user(db, name, "staff", "password123")
    create_user(db, "y" * MAX_NAME, "staff", "password123")


def test_a_password_reset_between_read_and_write_does_not_sign_in_with_the_old_one(db, monkeypatch):
    real = users._verify

    def reset_meanwhile(*args):
        result = real(*args)
        other = open_db(db_file := users._db_key(db))
        users.reset_password(other, "li", "a brand new password")
        other.conn.close()
        assert db_file
        return result

    monkeypatch.setattr(users, "_verify", reset_meanwhile)
    assert authenticate(db, "li", "right password") is None


def test_concurrent_wrong_passwords_all_count(tmp_path):
    """The counter is re-read in the write transaction: five wrong attempts at once lock the account."""
    path = tmp_path / "c.db"
    setup = open_db(path)
    create_user(setup, "li", "staff", "right password")
    setup.conn.close()
    threads = [
        threading.Thread(target=lambda: _try(open_db(path), "li", "wrong")) for _ in range(users.MAX_FAILURES)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    locked = open_db(path).execute("SELECT locked_until FROM users WHERE name = 'li'").fetchone()[0]
    assert locked is not None
