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
