"""How long a big import keeps customers waiting: the longest write wait of a customer-like writer during an
import of N NEW customers into a non-empty store, short transactions vs the old single transaction.

Usage: python benchmarks/bench_import_lock.py [--existing 100000] [--customers 1000000]

A second process writes one tiny transaction (a draft-sized settings row) every 50 ms with a 60 s busy
timeout and records how long each waited. The same import runs twice on fresh copies: with the chunked commits
of survey.frame_apply (COMMIT_ROWS rows a transaction), and with COMMIT_ROWS larger than the frame (one
transaction for all new customers, as before issue 11.9) — the baseline measured in the same run.
Target (issue 11.9): the longest wait stays far below the 30 s busy timeout whatever N (ratio to the
baseline printed; the wait should track COMMIT_ROWS, not N).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import verdict  # noqa: E402

WRITER = r"""
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=60, isolation_level=None)
stop = sys.argv[2]
waits = []
import os
while not os.path.exists(stop):
    t0 = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO settings (key, value) VALUES ('bench_writer', ?) "
                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [str(t0)])
    conn.execute("COMMIT")
    waits.append(time.perf_counter() - t0)
    time.sleep(0.05)
print(max(waits), sum(waits) / len(waits), len(waits))
"""


def _frame(n: int, prefix: str, seed: int):
    from survey.demo import make_frame

    frame = make_frame(n, seed=seed)
    frame["id"] = prefix + frame["id"].str.zfill(9)
    return frame.sort_values("id").reset_index(drop=True)


def _run(db_path: Path, frame, commit_rows: int) -> tuple[float, float, float, int]:
    from survey import frame_apply
    from survey.frames import store_frame
    from survey.store import open_db

    frame_apply.COMMIT_ROWS = commit_rows
    stop = db_path.with_suffix(".stop")
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db_path), str(stop)], stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    time.sleep(1.0)
    db = open_db(db_path)
    t0 = time.perf_counter()
    summary = store_frame(db, frame, by="bench", allow_deactivation=True)
    elapsed = time.perf_counter() - t0
    time.sleep(0.3)
    stop.touch()
    longest, mean, count = (float(x) for x in writer.communicate(timeout=120)[0].split())
    db.conn.close()
    assert summary.added == len(frame) - summary.updated
    return elapsed, longest, mean, int(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--existing", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=1_000_000, help="new customers imported")
    args = parser.parse_args()
    from survey import frame_apply
    from survey.frames import store_frame
    from survey.store import open_db

    work = Path(tempfile.mkdtemp(prefix="bench_import_lock_"))
    base = work / "base.db"
    old = _frame(args.existing, "A", 1)
    store_frame(open_db(base), old, by="bench")
    frame = pd.concat([old, _frame(args.customers, "B", 2)]).sort_values("id").reset_index(drop=True)
    print(
        f"store: {args.existing:,} customers; import: the same + {args.customers:,} new ({len(frame):,} rows)"
    )
    results = {}
    for label, rows in (
        ("one transaction (before)", len(frame) + 1),
        ("short transactions", frame_apply.COMMIT_ROWS),
    ):
        path = work / f"{rows}.db"
        shutil.copy(base, path)
        for suffix in ("-wal", "-shm"):
            if Path(str(base) + suffix).exists():
                shutil.copy(str(base) + suffix, str(path) + suffix)
        results[label] = _run(path, frame, rows)
        elapsed, longest, mean, count = results[label]
        print(f"{label:<26s} import {elapsed:6.1f} s   longest customer wait {longest:6.2f} s"
              f"   mean {mean * 1000:6.1f} ms over {count} writes   (COMMIT_ROWS {rows:,})")  # fmt: skip
    before, after = results["one transaction (before)"][1], results["short transactions"][1]
    print(f"longest wait, short / one  {after / before:6.3f}")
    print(f"longest wait < 5 s         {after:6.2f} s   {verdict(after < 5)}   (busy timeout 30 s)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
