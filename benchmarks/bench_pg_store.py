"""The store on PostgreSQL against the server's own floor (issue 14's targets), with SQLite beside it.

Usage: python benchmarks/bench_pg_store.py [--responses 8000] [--writers 8] [--customers 1000000]
           [--size 3000] [--skip-frame]

Starts a throwaway PostgreSQL 15 server (``tests/postgres_server.py``: initdb + pg_ctl in a temporary folder,
Unix socket only; fsync and synchronous_commit off, as for the tests: both sides of each ratio run on the
same server, so the settings cancel out) and measures, in one run:

1. **Writers.** ``--writers`` processes submit ``--responses`` customers' answers (each link offered to two
   processes at about the same time) through ``survey.fieldwork.submit_response``: every response stored
   exactly once. Baseline: the same number of client processes each doing single-row ``INSERT`` + ``COMMIT``
   into a bare table with a unique key. Target: our throughput ≥ 0.5 × the baseline's, on PostgreSQL and on
   SQLite (a WAL file, the same loop through ``sqlite3``).
2. **Import.** ``python -m survey import-frame`` of a ``--customers``-row CSV into an empty PostgreSQL store
   (stream, validate, PRN, stage, COPY, index, cell counts) against ``psql \\copy`` of the same file into
   an unindexed table of text columns. Target ≤ 3 ×.
3. **Draw.** ``draw_round`` of ``--size`` (region × customer type, proportional, 2 reserves each) from that
   frame against reading ``id`` + the strata columns of every customer into Python (psycopg ``fetchall``)
   from the same server. Target ≤ 0.1 ×.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_submit import all_started, prepare, submit_all  # noqa: E402 (after the sys.path insert)
from benchmarks.common import timed, verdict, write_csv  # noqa: E402
from survey.cluster import free_port_block  # noqa: E402
from tests import postgres_server  # noqa: E402

BARE_TABLE = "CREATE TABLE bare (id BIGSERIAL PRIMARY KEY, assignment_id BIGINT UNIQUE, at TEXT, v TEXT)"


def _bare_pg(args: tuple[str, int, int]) -> None:
    import psycopg

    url, first, count = args
    with psycopg.connect(url, autocommit=True) as conn:
        for i in range(first, first + count):
            conn.execute(
                "INSERT INTO bare (assignment_id, at, v) VALUES (%s, %s, %s)", [i, "2026-12-07T00:00:00", "4"]
            )


def _bare_sqlite(args: tuple[str, int, int]) -> None:
    path, first, count = args
    conn = sqlite3.connect(path, isolation_level=None, timeout=60)
    conn.execute("PRAGMA synchronous=NORMAL")
    for i in range(first, first + count):
        conn.execute(
            "INSERT INTO bare (assignment_id, at, v) VALUES (?, ?, ?)", [i, "2026-12-07T00:00:00", "4"]
        )
    conn.close()


def bare_inserts(kind: str, target: str, rows: int, clients: int) -> float:
    """Seconds for ``clients`` processes to insert ``rows`` rows in all, one autocommitted row at a time."""
    if kind == "postgresql":
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS bare")
            conn.execute(BARE_TABLE)
        worker = _bare_pg
    else:
        conn = sqlite3.connect(target, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("DROP TABLE IF EXISTS bare")
        conn.execute(BARE_TABLE.replace("BIGSERIAL", "INTEGER"))
        conn.close()
        worker = _bare_sqlite
    share = -(-rows // clients)
    jobs = [(target, k * share, min(share, rows - k * share)) for k in range(clients)]
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        all_started(pool, clients)  # start the processes before the clock
        start = time.perf_counter()
        pool.map(worker, jobs, chunksize=1)
        return time.perf_counter() - start


def writers(kind: str, target: str, bare_target: str, responses: int, processes: int) -> bool:
    """Part 1 on one backend; True when every response is stored exactly once and the ratio is met."""
    from survey.store import open_db

    tokens = prepare(target, responses)
    result = submit_all(target, tokens, processes, warm=True)
    db = open_db(target)
    total = db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    distinct = db.execute("SELECT COUNT(DISTINCT assignment_id) FROM responses").fetchone()[0]
    db.conn.close()
    once = result["stored"] == total == distinct == responses and result["used"] == responses
    bare = bare_inserts(kind, bare_target, responses, processes)
    ours_rate, bare_rate = responses / result["seconds"], responses / bare
    ratio = ours_rate / bare_rate
    print(f"{kind}: {processes} writers, {responses:,} responses, each link offered twice")
    print(
        f"  stored exactly once   {verdict(once)} (stored {result['stored']:,}, refused as used"
        f" {result['used']:,}, other {result['other']}, rows {total:,}, distinct {distinct:,})"
    )
    print(f"  submissions           {result['seconds']:7.2f} s  {ours_rate:8,.0f}/s")
    print(f"  bare INSERT + COMMIT  {bare:7.2f} s  {bare_rate:8,.0f}/s  ({processes} clients)")
    print(f"  throughput ratio      {ratio:7.2f}   target >= 0.5   {verdict(ratio >= 0.5)}")
    return once and ratio >= 0.5


def frame_parts(server, customers: int, size: int) -> bool:
    """Parts 2 and 3: import the CSV into an empty store, then draw from it."""
    import psycopg

    csv_path = write_csv(Path(tempfile.gettempdir()) / f"bench_frame_{customers}.csv", customers)
    server.psql("CREATE DATABASE raw")
    server.psql("CREATE TABLE raw (" + ", ".join(f"c{i} TEXT" for i in range(9)) + ")", database="raw")
    copy, _ = timed(lambda: server.psql(f"\\copy raw FROM '{csv_path}' CSV HEADER", database="raw"))
    copied = int(server.psql("SELECT COUNT(*) FROM raw", database="raw"))
    server.psql("CREATE DATABASE frame")
    url = server.url("frame")
    cli = [sys.executable, "-m", "survey", "import-frame", str(csv_path), "--database-url", url]
    ours, out = timed(lambda: subprocess.run(cli, capture_output=True, text=True, cwd=ROOT, check=True))
    said = out.stdout.strip().splitlines()[-1]
    stored = int(server.psql("SELECT COUNT(*) FROM customers", database="frame"))
    ratio = ours / copy
    print(f"import of a {customers:,}-row CSV ({csv_path.stat().st_size / 1e6:,.0f} MB)")
    print(
        f"  every row stored      {verdict(stored == copied == customers)} ({stored:,}; psql {copied:,}) [{said}]"
    )
    print(f"  psql \\copy            {copy:7.2f} s")
    print(f"  import-frame          {ours:7.2f} s  ratio {ratio:5.2f}  target <= 3   {verdict(ratio <= 3)}")
    ok = ratio <= 3 and stored == customers

    from survey.rounds import draw_round
    from survey.store import open_db

    db = open_db(url)
    draw, result = timed(lambda: draw_round(db, size=size, reserve=2, created_by="bench"), repeat=3)
    db.conn.close()
    with psycopg.connect(url) as conn:
        read, rows = timed(
            lambda: conn.execute("SELECT id, region, customer_type FROM customers").fetchall(), repeat=3
        )
    ratio = draw / read
    print(f"draw of {result.sample_size:,} + {result.reserve_size:,} reserve in {len(result.strata)} strata")
    print(f"  draw_round            {draw:7.3f} s  (best of 3, each a new round)")
    print(f"  read id + strata      {read:7.3f} s  ({len(rows):,} rows into Python, best of 3)")
    print(f"  ratio draw / read     {ratio:7.3f}   target <= 0.1   {verdict(ratio <= 0.1)}")
    return ok and ratio <= 0.1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=8_000)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--size", type=int, default=3000)
    parser.add_argument("--skip-frame", action="store_true", help="only the writers (part 1)")
    args = parser.parse_args()
    os.environ.setdefault("SURVEY_SECRET", secrets.token_hex(32))  # links signed here, checked by the writers
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    server = postgres_server.start(free_port_block(1))
    work = Path(tempfile.mkdtemp(prefix="bench_pg_store_"))
    try:
        server.psql("CREATE DATABASE submit")
        ok = writers("postgresql", server.url("submit"), server.url("submit"), args.responses, args.writers)
        ok &= writers("sqlite", str(work / "submit.db"), str(work / "bare.db"), args.responses, args.writers)
        if not args.skip_frame:
            ok &= frame_parts(server, args.customers, args.size)
    finally:
        server.stop()
        for f in work.glob("*"):
            f.unlink()
        work.rmdir()
    print(f"load average after: {os.getloadavg()[0]:.1f}; all targets {verdict(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
