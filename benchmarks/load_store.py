"""The store under the form load test (:mod:`benchmarks.bench_form_load`): a seeded demo store with one round
of personal links — a SQLite file, or a database on a throwaway PostgreSQL server — and the checks afterwards
(every thank-you has exactly one response with the answers sent, nobody else has one, nothing outside the load
round changed)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class LoadStore:
    """A store with one open round of personal links for the load test, and how to check it afterwards."""

    kind: str
    env: dict[
        str, str
    ]  # what the app processes need to find the store (SURVEY_DB=… or SURVEY_DATABASE_URL=…)
    db_path: Path | str  # the SQLite file or the PostgreSQL URL
    round_id: int
    tokens: list[str]
    outside: Callable[[], str]  # checksum of everything outside the load round
    outside_before: str = ""
    close: Callable[[], None] = lambda: None  # stops a server started for the run


def prepare_sqlite(workdir: Path, *, customers: int, links: int, seed: int) -> LoadStore:
    """A seeded demo database (``customers``) plus a round of ``links`` customers drawn for the test."""
    return _prepare("sqlite", workdir / "survey.db", customers=customers, links=links, seed=seed)


def prepare_postgresql(workdir: Path, *, customers: int, links: int, seed: int) -> LoadStore:
    """The same on a throwaway PostgreSQL server (its own temporary folder, stopped at the end)."""
    from survey.cluster import free_port_block
    from tests import postgres_server

    server = postgres_server.start(free_port_block(1))
    try:
        server.psql("CREATE DATABASE load_test")
        store = _prepare("postgresql", server.url("load_test"), customers=customers, links=links, seed=seed,
                         env={"SURVEY_SECRET_FILE": str(workdir / "secret.key")})  # fmt: skip
    except BaseException:
        server.stop()
        raise
    store.close = server.stop
    return store


def _prepare(kind: str, target: Path | str, *, customers: int, links: int, seed: int,
             env: dict[str, str] | None = None) -> LoadStore:  # fmt: skip
    from survey.demo import build_demo
    from survey.rounds import draw_round
    from survey.store import open_db, store_env
    from survey.tokens import make_token, secret_key

    os.environ.update(env or {})  # the link key this process signs with is the one the workers read
    path = target
    db = open_db(path)
    build_demo(db, customers=customers, seed=seed)
    result = draw_round(db, size=links, strata=(), name="load test", created_by="bench")
    key = secret_key(db)
    ids = [
        r[0]
        for r in db.execute(
            "SELECT id FROM assignments WHERE round_id = ? AND is_reserve = 0 ORDER BY id", [result.round_id]
        )
    ]
    db.conn.close()
    store = LoadStore(
        kind,
        store_env(path),
        path,
        result.round_id,
        [make_token(key, i) for i in ids],
        lambda: outside_checksum(path, result.round_id),
    )
    store.outside_before = store.outside()
    return store


def outside_checksum(path: Path | str, round_id: int) -> str:
    """SHA-256 over every row outside the load round (customers, users, rounds, other rounds' assignments,
    responses, answers, follow-ups, audit entries not written by a customer's submission)."""
    from survey.store import open_db

    queries = [
        "SELECT * FROM customers ORDER BY id",
        "SELECT * FROM users ORDER BY name",
        "SELECT * FROM rounds WHERE id != ? ORDER BY id",
        "SELECT * FROM round_strata WHERE round_id != ? ORDER BY round_id, stratum",
        "SELECT * FROM assignments WHERE round_id != ? ORDER BY id",
        "SELECT r.* FROM responses r JOIN assignments a ON a.id = r.assignment_id WHERE a.round_id != ? ORDER BY r.id",
        "SELECT x.* FROM answers x JOIN responses r ON r.id = x.response_id JOIN assignments a"
        " ON a.id = r.assignment_id WHERE a.round_id != ? ORDER BY x.response_id, x.question_id",
        "SELECT f.* FROM follow_ups f JOIN responses r ON r.id = f.response_id JOIN assignments a"
        " ON a.id = r.assignment_id WHERE a.round_id != ? ORDER BY f.response_id",
    ]
    db = open_db(path)
    digest = hashlib.sha256()
    try:
        for sql in queries:
            params = [round_id] if "?" in sql else []
            for row in db.execute(sql, params):
                digest.update(repr(tuple(row)).encode())  # compared with itself: one store's types
    finally:
        db.conn.close()
    return digest.hexdigest()


def verify_store(store: LoadStore, submitted: dict[str, dict]) -> dict:
    """Compare the store with what the customers saw: ``lost`` (thank-you shown, no response), ``duplicated``
    (more than one response for a link), ``unconfirmed`` (a response without a thank-you shown), ``mismatched``
    (stored question ids differ from those answered), ``outside_changed``."""
    from survey.store import open_db
    from survey.tokens import token_hash

    db = open_db(store.db_path)
    try:
        rows = db.execute(
            "SELECT a.token_hash, r.id FROM responses r JOIN assignments a ON a.id = r.assignment_id"
            " WHERE a.round_id = ?",
            [store.round_id],
        ).fetchall()
        by_hash: dict[str, list[int]] = {}
        for h, rid in rows:
            by_hash.setdefault(h, []).append(rid)
        stored_ids = {
            rid: set(q for (q,) in db.execute("SELECT question_id FROM answers WHERE response_id = ?", [rid]))
            for rid in (ids[0] for ids in by_hash.values())
        }
    finally:
        db.conn.close()
    expected = {token_hash(t): {q for q, v in answers.items() if v not in ("", [], None)}
                for t, answers in submitted.items()}  # fmt: skip
    lost = sum(1 for h in expected if h not in by_hash)
    duplicated = sum(1 for ids in by_hash.values() if len(ids) > 1)
    unconfirmed = sum(1 for h in by_hash if h not in expected)
    mismatched = sum(1 for h, want in expected.items() if h in by_hash and stored_ids[by_hash[h][0]] != want)
    return {
        "responses": len(rows),
        "thank_yous": len(submitted),
        "lost": lost,
        "duplicated": duplicated,
        "unconfirmed": unconfirmed,
        "mismatched": mismatched,
        "outside_changed": store.outside() != store.outside_before,
    }


#: How to build and check each kind of store (the checks are the same SQL on both).
STORES: dict[str, tuple[Callable[..., LoadStore], Callable[[LoadStore, dict], dict]]] = {
    "sqlite": (prepare_sqlite, verify_store),
    "postgresql": (prepare_postgresql, verify_store),
}
