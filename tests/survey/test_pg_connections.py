"""A PostgreSQL store object holds a server connection only while it needs one (survey.dialect.PgConnection): an app
process serves many more browser sessions than its pool has connections, transactions and temporary tables keep
theirs, and a lock not had in time leaves no transaction open."""

from __future__ import annotations

import pytest

from survey import dialect
from survey.store import open_db, transaction


@pytest.fixture
def pg_url(postgres):
    url = postgres.new_database()
    yield url
    postgres.drop(url)


def _server_connections(postgres, url: str) -> int:
    from sqlalchemy.engine import make_url

    return postgres.admin.execute(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = %s", [make_url(url).database]
    ).fetchone()[0]


def test_many_open_store_objects_share_a_few_connections(postgres, pg_url):
    """Each Streamlit session opens its own store object; 3 × the pool's limit of them, each used, open at once,
    all answer (before: the 16th waited 30 s for a pooled connection and failed) and hold no connection when
    idle."""
    limit = dialect.POOL_SIZE + dialect.POOL_OVERFLOW
    stores = [open_db(pg_url) for _ in range(3 * limit)]
    counts = [db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] for db in stores]
    assert counts == [0] * len(stores)
    assert not any(db.conn.in_transaction for db in stores)
    assert _server_connections(postgres, pg_url) <= dialect.POOL_SIZE
    for db in stores:
        db.conn.close()


def test_rows_are_read_in_full_before_the_connection_goes_back(pg_url):
    db = open_db(pg_url)
    other = open_db(pg_url)
    cursor = db.execute("SELECT n FROM generate_series(1, 5) AS n")
    other.execute("SELECT 1").fetchone()  # may reuse the connection the first statement ran on
    assert cursor.fetchone() == (1,)
    assert cursor.fetchmany(2) == [(2,), (3,)]
    assert list(cursor) == [(4,), (5,)]
    assert cursor.fetchall() == []


def test_a_transaction_keeps_its_connection_until_commit(pg_url):
    db = open_db(pg_url)
    with transaction(db):
        pid = db.execute("SELECT pg_backend_pid()").fetchone()[0]
        db.execute("INSERT INTO settings (key, value) VALUES ('x', '1')")
        assert db.conn.in_transaction
        assert db.execute("SELECT pg_backend_pid()").fetchone()[0] == pid
        other = open_db(pg_url)
        uncommitted = other.execute("SELECT COUNT(*) FROM settings WHERE key = 'x'").fetchone()[0]
        assert uncommitted == 0
    assert not db.conn.in_transaction
    assert other.execute("SELECT value FROM settings WHERE key = 'x'").fetchone() == ("1",)


def test_a_temporary_table_lives_across_statements_and_transactions(pg_url):
    db = open_db(pg_url)
    db.execute("CREATE TEMP TABLE staged (id TEXT)")
    with transaction(db):
        db.execute("INSERT INTO temp.staged (id) VALUES (?)", ["a"])
    dialect.bulk_insert(db, "temp.staged", ["id"], [("b",), ("c",)])
    others = [open_db(pg_url) for _ in range(dialect.POOL_SIZE)]
    for other in others:
        other.execute("SELECT 1").fetchone()
    assert db.execute("SELECT COUNT(*) FROM temp.staged").fetchone()[0] == 3
    db.conn.close()


def test_a_lock_not_had_in_time_leaves_no_transaction_open(pg_url):
    holder = open_db(pg_url)
    waiter = open_db(pg_url)
    waiter.conn.dbapi.execute("SET lock_timeout = '200ms'")  # (the waiter keeps this connection from now on)
    with transaction(holder):
        waiter_pid = None
        with pytest.raises(Exception) as caught:
            with transaction(waiter):
                waiter_pid = waiter.execute("SELECT pg_backend_pid()").fetchone()[0]
        assert dialect.is_busy_error(caught.value), caught.value
        assert waiter_pid is None and not waiter.conn.in_transaction
    assert waiter.execute("SELECT COUNT(*) FROM settings").fetchone()[0] >= 0  # usable again


def test_a_connection_the_server_dropped_is_not_handed_out_again(postgres, pg_url):
    """After the server ends the store's sessions (a restart, an administrator), a statement may fail once with a
    database error; the dead connection is thrown away, not put back, so the next statement works."""
    from sqlalchemy.engine import make_url

    from survey.store import database_errors

    db = open_db(pg_url)
    assert db.execute("SELECT 1").fetchone() == (1,)  # its connection is back in the pool, idle
    postgres.admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
        [make_url(pg_url).database],
    )
    failures = 0
    for _ in range(dialect.POOL_SIZE + 2):  # every pooled connection may be dead: each fails once at most
        try:
            assert db.execute("SELECT 2").fetchone() == (2,)
            break
        except database_errors():
            failures += 1
    else:
        raise AssertionError("the store kept failing after the server dropped its connections")
    assert db.execute("SELECT 3").fetchone() == (3,)
    assert not db.conn.in_transaction


def test_one_store_object_used_from_several_threads_at_once(pg_url):
    """Two script runs of one browser session can overlap on two threads (Streamlit stops the older run only at
    its next statement): the store object's checkout and release stay consistent (before: "'NoneType' object has
    no attribute 'dbapi_connection'" when one thread released the connection the other was using)."""
    import threading

    db = open_db(pg_url)
    errors: list[BaseException] = []

    def work():
        try:
            for i in range(300):
                assert db.execute("SELECT ?::int + 1", [i]).fetchone() == (i + 1,)
        except BaseException as e:  # noqa: BLE001 (reported to the test)
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:3]
    assert not db.conn.in_transaction
