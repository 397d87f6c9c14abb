"""Many processes submitting to one store (a SQLite file, a PostgreSQL database): every response stored exactly
once."""

from benchmarks.bench_submit import prepare, submit_all
from survey.store import open_db


def test_eight_processes_store_every_response_exactly_once(database_target):
    n = 1200
    tokens = prepare(database_target, n)
    result = submit_all(database_target, tokens, processes=8)
    assert result["stored"] == n and result["used"] == n and result["other"] == 0
    db = open_db(database_target)
    assert db.execute("SELECT COUNT(*), COUNT(DISTINCT assignment_id) FROM responses").fetchone() == (n, n)
    assert db.execute("SELECT COUNT(*) FROM assignments WHERE status = 'complete'").fetchone()[0] == n
    per_response = {r[0] for r in db.execute("SELECT COUNT(*) FROM answers GROUP BY response_id")}
    assert per_response == {11}  # all answers of every response, none partial


def _hold_submission(target, token, holding, release):
    """Submit ``token`` from a thread of its own, pausing inside the transaction (after its checks and
    inserts, before COMMIT) until ``release`` is set."""
    import survey.responses as responses
    from benchmarks.bench_submit import ANSWERS

    db = open_db(target)
    original = responses.open_for_new_response

    def paused(*args, **kwargs):
        holding.set()
        assert release.wait(30)
        return original(*args, **kwargs)

    result = {}

    def run():
        try:
            responses.open_for_new_response = paused
            result["id"] = responses.submit_response(db, token, ANSWERS)
        except Exception as e:  # noqa: BLE001 (reported to the test)
            result["error"] = e
        finally:
            db.conn.close()

    import threading

    thread = threading.Thread(target=run)
    thread.start()
    assert holding.wait(30)
    responses.open_for_new_response = original  # only the held submission pauses
    return thread, result


def test_a_held_submission_blocks_its_own_link_and_other_writers_but_not_other_links(database_target):
    """Submissions of different links run side by side on PostgreSQL (the store's write lock taken shared,
    the assignment's row locked); a second submission of the same link waits and is then refused as used;
    any other writer (here a round's close) waits for the held submission. SQLite: one writer at a time, so
    the other link waits too (measured as "did not finish while held")."""
    import threading

    from benchmarks.bench_submit import ANSWERS
    from survey import dialect
    from survey.fieldwork import TokenError, submit_response
    from survey.store import transaction

    tokens = prepare(database_target, 3)
    holding, release = threading.Event(), threading.Event()
    thread, held = _hold_submission(database_target, tokens[0], holding, release)
    outcomes: dict[str, object] = {}

    def attempt(name, fn):
        db = open_db(database_target)
        try:
            outcomes[name] = fn(db)
        except Exception as e:  # noqa: BLE001 (reported to the test)
            outcomes[name] = e
        finally:
            db.conn.close()

    def close_rounds(db):
        with transaction(db):
            return db.execute("UPDATE rounds SET name = name || ' (checked)'").rowcount

    workers = {
        "other link": threading.Thread(target=attempt, args=("other link", lambda db: submit_response(db, tokens[1], ANSWERS))),
        "same link": threading.Thread(target=attempt, args=("same link", lambda db: submit_response(db, tokens[0], ANSWERS))),
    }  # fmt: skip
    for w in workers.values():
        w.start()
    workers["other link"].join(10)
    postgres = dialect.is_database_url(database_target)
    other_done_while_held = "other link" in outcomes
    workers["same link"].join(1)
    assert "same link" not in outcomes  # waits for the held one's row (PostgreSQL) or write lock (SQLite)
    writer = threading.Thread(target=attempt, args=("writer", close_rounds))
    writer.start()
    writer.join(1)
    assert "writer" not in outcomes  # every other writer waits for the held submission
    release.set()
    for t in (thread, *workers.values(), writer):
        t.join(60)
    assert "id" in held, held
    assert isinstance(outcomes["same link"], TokenError) and outcomes["same link"].state == "used"
    assert isinstance(outcomes["other link"], int)
    assert outcomes["writer"] == 1
    assert other_done_while_held is postgres  # side by side on PostgreSQL only
    db = open_db(database_target)
    assert db.execute("SELECT COUNT(*), COUNT(DISTINCT assignment_id) FROM responses").fetchone() == (2, 2)
    db.conn.close()
