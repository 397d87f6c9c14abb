"""A long import leaves customers' submissions writable (issue 11, item 9).

Before: the whole import — PRN hashing, conversion, inserts — ran inside one BEGIN IMMEDIATE; a 2.93M-row
import held the write lock 85 s and customers' saves and submits failed after the 30 s busy timeout. Now a
re-import is staged (temp table, no write lock) and merged in one short transaction. The tests hold the
import in its long phase with a pause and write as a customer meanwhile, with a 0.5 s busy (lock) timeout, on
either store backend.
"""

from __future__ import annotations

import threading

import pytest

from survey import dialect, frames
from survey.demo import EXAMPLE_ANSWERS, make_frame
from survey.fieldwork import save_draft, submit_response
from survey.frame_import import import_frame
from survey.frames import DeactivationNotConfirmed, store_frame
from survey.store import open_db
from survey.tokens import make_token, secret_key

pytestmark = pytest.mark.demo_on_postgresql  # demo_db runs on both backends


def _busy_timeout(db, ms: int) -> None:
    """How long this connection waits for the write lock: SQLite's busy timeout, PostgreSQL's lock timeout."""
    if dialect.name(db) == dialect.SQLITE:
        db.execute(f"PRAGMA busy_timeout = {int(ms)}")
    else:
        db.execute(f"SET lock_timeout = '{int(ms)}ms'")


def _intact(db) -> bool:
    """SQLite's integrity check (PostgreSQL keeps its own: nothing to ask)."""
    return dialect.name(db) != dialect.SQLITE or db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _staged_tables(db) -> int:
    """Temporary staging tables left on this connection."""
    if dialect.name(db) == dialect.SQLITE:
        return db.execute("SELECT COUNT(*) FROM temp.sqlite_master WHERE name = 'incoming'").fetchone()[0]
    sql = "SELECT COUNT(*) FROM pg_class WHERE relname = 'incoming' AND relpersistence = 't'"
    return db.execute(sql).fetchone()[0]


def _open_token(db) -> tuple[int, str]:
    aid = db.execute(
        "SELECT a.id FROM assignments a JOIN rounds r ON r.id = a.round_id WHERE r.status = 'open'"
        " AND a.status = 'issued' AND a.is_reserve = 0 ORDER BY a.id LIMIT 1"
    ).fetchone()[0]
    return aid, make_token(secret_key(db), aid)


def _new_frame():
    frame = make_frame(2000, seed=99)  # other ids: adds 2,000 customers, deactivates the demo's 3,000
    frame["id"] = "X" + frame["id"]
    return frame


@pytest.fixture
def paused_import(monkeypatch):
    """Runs an import in a thread and holds it at its first row insert until released."""
    reached, release = threading.Event(), threading.Event()

    def holding(real):
        def held(*args, **kwargs):
            if not reached.is_set():
                reached.set()
                assert release.wait(60), "the test did not release the import"
            return real(*args, **kwargs)

        return held

    # the first row insert: SQLite's multi-row INSERTs or PostgreSQL's COPY
    monkeypatch.setattr(frames, "insert_rows", holding(frames.insert_rows))
    monkeypatch.setattr(dialect, "bulk_insert", holding(dialect.bulk_insert))
    outcome: dict = {}

    def start(run):
        def target():
            try:
                outcome["summary"] = run()
            except BaseException as e:  # reported by the test
                outcome["error"] = e

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        assert reached.wait(60), f"the import did not reach its inserts: {outcome}"
        return thread

    def finish(thread):
        release.set()
        thread.join(120)
        assert not thread.is_alive()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["summary"]

    yield start, finish
    release.set()


@pytest.mark.parametrize("entry", ["store_frame", "import_frame"])
def test_customers_submit_while_an_import_loads_its_rows(demo_target, paused_import, entry):
    start, finish = paused_import
    importer = open_db(demo_target)
    frame = _new_frame()
    if entry == "store_frame":
        thread = start(lambda: store_frame(importer, frame, by="staff"))
    else:
        thread = start(lambda: import_frame(importer, frame, allow_deactivation=True, by="staff"))
    customer = open_db(demo_target)
    _busy_timeout(customer, 500)  # 0.5 s: a held write lock fails this at once
    aid, token = _open_token(customer)
    save_draft(customer, token, {"overall": 4})  # the draft is saved …
    response_id = submit_response(customer, token, dict(EXAMPLE_ANSWERS))  # … and the answers are stored
    assert customer.execute("SELECT COUNT(*) FROM customers WHERE id LIKE 'X%'").fetchone()[0] == 0
    summary = finish(thread)
    assert (summary.added, summary.deactivated) == (2000, 3000)
    check = open_db(demo_target)
    assert (
        check.execute("SELECT assignment_id FROM responses WHERE id = ?", [response_id]).fetchone()[0] == aid
    )
    assert check.execute("SELECT COUNT(*) FROM customers WHERE active = 1").fetchone()[0] == 2000
    assert _intact(check)
    importer.conn.close()


def test_the_staged_rows_are_not_kept_after_the_import(demo_target):
    db = open_db(demo_target)
    store_frame(db, _new_frame(), by="staff")
    assert _staged_tables(db) == 0


def test_a_refusal_after_staging_changes_nothing(demo_target):
    db = open_db(demo_target)
    state = "SELECT (SELECT COUNT(*) FROM customers), (SELECT SUM(active) FROM customers), (SELECT COUNT(*) FROM audit_log)"
    before = db.execute(state).fetchone()
    with pytest.raises(DeactivationNotConfirmed):
        store_frame(db, _new_frame(), by="staff", allow_deactivation=False)
    assert db.execute(state).fetchone() == before
    assert _staged_tables(db) == 0


def test_inside_a_callers_transaction_the_import_stays_in_it(demo_db):
    from survey.store import transaction

    with pytest.raises(RuntimeError), transaction(demo_db):
        store_frame(demo_db, _new_frame(), by="staff")
        raise RuntimeError("the caller fails after the import")
    assert demo_db.execute("SELECT COUNT(*) FROM customers WHERE id LIKE 'X%'").fetchone()[0] == 0


# ---- the new customers go in by short transactions; hidden, refused and undone until the import ends ------


def _visible_state(db) -> tuple:
    from survey.frames import frame_overview
    from survey.results import frame_totals

    return frame_overview(db).to_dict("records"), frame_totals(db)


def test_between_the_short_transactions_customers_write_and_nobody_sees_the_new_rows(
    demo_target, monkeypatch
):
    """An import of 2,000 NEW customers in chunks of 300: between two chunks a customer's draft and
    submission go through with a 0.5 s busy timeout, the committed new rows are counted nowhere, and a draw
    or a second import is refused with a clear message; at the end everything counts."""
    from survey import frame_apply
    from survey.frame_apply import ImportInProgress, pending_import
    from survey.rounds import draw_round

    monkeypatch.setattr(frame_apply, "COMMIT_ROWS", 300)
    importer, customer = open_db(demo_target), open_db(demo_target)
    _busy_timeout(customer, 500)
    before = _visible_state(customer)
    between, release, outcome = threading.Event(), threading.Event(), {}

    def progress(fraction: float) -> None:  # called after each chunk's COMMIT
        if 0.80 < fraction < 0.92 and not between.is_set():
            between.set()
            assert release.wait(60)

    def run():
        try:
            outcome["summary"] = store_frame(importer, _new_frame(), by="staff", progress=progress)
        except BaseException as e:
            outcome["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert between.wait(120), outcome
    try:
        committed = customer.execute("SELECT COUNT(*) FROM customers WHERE id LIKE 'X%'").fetchone()[0]
        assert 0 < committed < 2000  # some chunks are in the file …
        assert _visible_state(customer) == before  # … and counted nowhere
        aid, token = _open_token(customer)
        save_draft(customer, token, {"overall": 4})
        submit_response(customer, token, dict(EXAMPLE_ANSWERS))
        with pytest.raises(ImportInProgress, match="staff"):
            draw_round(customer, size=100, created_by="t")
        with pytest.raises(ImportInProgress):
            store_frame(customer, _new_frame(), by="other")
    finally:
        release.set()
        thread.join(120)
    assert "error" not in outcome, outcome
    assert (outcome["summary"].added, outcome["summary"].deactivated) == (2000, 3000)
    assert pending_import(customer) is None
    assert customer.execute("SELECT COUNT(*) FROM customers WHERE active = 1").fetchone()[0] == 2000
    assert sum(r["customers"] for r in _visible_state(customer)[0]) == 2000
    assert _intact(customer)


def test_a_failure_in_the_final_transaction_deletes_the_committed_chunks(demo_target, monkeypatch):
    from survey import frame_apply
    from survey.frame_apply import pending_import

    monkeypatch.setattr(frame_apply, "COMMIT_ROWS", 300)
    db = open_db(demo_target)
    state = (
        "SELECT (SELECT COUNT(*) FROM customers), (SELECT SUM(active) FROM customers),"
        " (SELECT COUNT(*) FROM audit_log), (SELECT SUM(eligible) FROM frame_cells)"
    )
    before = db.execute(state).fetchone()

    def checks():
        raise PermissionError("refused at the end")

    with pytest.raises(PermissionError):
        store_frame(db, _new_frame(), by="staff", checks=checks)
    assert db.execute(state).fetchone() == before
    assert pending_import(db) is None
    eligible = "SELECT SUM(eligible) FROM frame_cells"
    n = db.execute(eligible).fetchone()[0]
    cid = db.execute(
        "SELECT id FROM customers WHERE active = 1 AND opted_out = 0 AND has_valid_phone = 1 LIMIT 1"
    ).fetchone()[0]
    db.execute("UPDATE customers SET active = 0 WHERE id = ?", [cid])
    assert db.execute(eligible).fetchone()[0] == n - 1  # the cell triggers count again


def test_a_re_import_writes_only_what_changed_in_its_final_transaction(demo_target, monkeypatch):
    """Same customers, 10 of them moved: the final transaction rewrites those 10 rows, not the 3,000."""
    from survey.demo import make_frame

    db = open_db(demo_target)
    frame = make_frame(3000, seed=7)
    stored = dict(db.execute("SELECT id, region FROM customers").fetchall())
    if set(frame["id"]) != set(stored):
        pytest.skip("the demo frame is not make_frame(3000, seed=7)")
    moved = frame.index[:10]
    frame.loc[moved, "region"] = ["厦门" if stored[i] != "厦门" else "福州" for i in frame.loc[moved, "id"]]
    stamps = dict(db.execute("SELECT id, updated_at FROM customers").fetchall())
    summary = store_frame(db, frame, by="staff")
    assert (summary.added, summary.updated, summary.moved) == (0, 3000, 10)
    after = dict(db.execute("SELECT id, updated_at FROM customers").fetchall())
    assert sum(after[i] != stamps[i] for i in after) <= 10 + summary.deactivated
