"""Concurrent submissions: P processes submit N responses in total to one SQLite file.

Checks that every response is stored exactly once (each token is offered to two processes)
and prints throughput against a bare single-row ``INSERT`` loop measured in the same run.

    python benchmarks/bench_submit.py --responses 20000 --processes 8
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from survey.demo import EXAMPLE_ANSWERS  # noqa: E402 (after the sys.path insert)

ANSWERS = {**EXAMPLE_ANSWERS, "suggestion": "希望停电前早点通知 🙏"}


def prepare(db_path: Path, n: int) -> list[str]:
    """A database with ``n`` open assignments; returns their link tokens."""
    from survey.demo import make_frame
    from survey.frames import store_frame
    from survey.rounds import draw_round
    from survey.store import open_db
    from survey.tokens import make_token, secret_key

    db = open_db(db_path)
    frame = make_frame(n, seed=1).assign(opted_out=False, has_valid_phone=True)
    store_frame(db, frame, by="bench")
    result = draw_round(db, size=n, strata=())
    key = secret_key(db)
    ids = [
        r[0]
        for r in db.execute("SELECT id FROM assignments WHERE round_id = ? ORDER BY id", [result.round_id])
    ]
    db.conn.close()
    return [make_token(key, i) for i in ids]


def _worker(args: tuple[str, list[str]]) -> tuple[int, int, int]:
    from survey.fieldwork import TokenError, submit_response
    from survey.store import open_db

    db_path, tokens = args
    db = open_db(db_path)
    stored = used = other = 0
    for token in tokens:
        try:
            submit_response(db, token, ANSWERS)
            stored += 1
        except TokenError as e:
            used += e.state == "used"
            other += e.state != "used"
    db.conn.close()
    return stored, used, other


def _pid(_: int) -> int:
    time.sleep(0.05)
    return os.getpid()


def all_started(pool, processes: int) -> None:
    """Return once every process of ``pool`` has run its initializer (each has answered a task)."""
    seen: set[int] = set()
    for _ in range(100):
        seen.update(pool.map(_pid, range(processes * 2), chunksize=1))
        if len(seen) >= processes:
            return
    raise RuntimeError(f"only {len(seen)} of {processes} processes started")


def _warm() -> None:
    """What a running app server has loaded before its first customer: the modules, the follow-up rules and the
    suggestion model (about 1 s a process), and jieba's dictionary."""
    import survey.fieldwork  # noqa: F401
    from analysis.suggestions import segment
    from survey.follow_ups import warm_follow_up_rules

    warm_follow_up_rules()
    segment("停电没有提前通知")


def submit_all(db_path: Path | str, tokens: list[str], processes: int, *, warm: bool = False) -> dict:
    """Offer every token to two different processes at about the same time; return counts and seconds.

    ``warm``: the processes are started and loaded (:func:`_warm`) before the clock, as a running app server is;
    otherwise the seconds include starting them."""
    chunks = [tokens[i::processes] for i in range(processes)]
    # process i also gets the chunk of process i+1, in reverse, so duplicates collide mid-run
    jobs = [(str(db_path), chunks[i] + chunks[(i + 1) % processes][::-1]) for i in range(processes)]
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(processes, initializer=_warm if warm else None) as pool:
        if warm:
            all_started(pool, processes)
            start = time.perf_counter()
        results = pool.map(_worker, jobs, chunksize=1)
    seconds = time.perf_counter() - start
    return {
        "stored": sum(r[0] for r in results),
        "used": sum(r[1] for r in results),
        "other": sum(r[2] for r in results),
        "seconds": seconds,
    }


def bare_insert_loop(db_path: Path, n: int) -> float:
    """Seconds for n single-row autocommit INSERTs (WAL, synchronous=NORMAL): the floor for one commit per row."""
    import sqlite3

    conn = sqlite3.connect(str(db_path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, assignment_id INTEGER UNIQUE, at TEXT, v TEXT)")
    start = time.perf_counter()
    for i in range(n):
        conn.execute("INSERT INTO t (assignment_id, at, v) VALUES (?, ?, ?)", [i, "2026-11-27T00:00:00", "4"])
    seconds = time.perf_counter() - start
    conn.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=20_000)
    parser.add_argument("--processes", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        tokens = prepare(db_path, args.responses)
        r = submit_all(db_path, tokens, args.processes)
        bare = bare_insert_loop(Path(tmp) / "bare.db", args.responses)
        from survey.store import open_db

        db = open_db(db_path)
        distinct = db.execute("SELECT COUNT(DISTINCT assignment_id) FROM responses").fetchone()[0]
        total = db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    ok = r["stored"] == total == distinct == args.responses and r["used"] == args.responses and not r["other"]
    rate = args.responses / r["seconds"]
    print(f"submissions: {args.responses:,} by {args.processes} processes, each token offered twice")
    print(
        f"stored exactly once: {'yes' if ok else 'NO'} (stored {r['stored']:,}, refused as used {r['used']:,},"
        f" rows {total:,}, distinct {distinct:,})"
    )
    print(f"ours: {r['seconds']:.2f} s = {rate:,.0f} submissions/s (goal ≥ 1,000/s)")
    print(f"bare single-row INSERT loop: {bare:.2f} s = {args.responses / bare:,.0f} rows/s")
    print(f"ratio ours/bare time: {r['seconds'] / bare:.1f}×")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
