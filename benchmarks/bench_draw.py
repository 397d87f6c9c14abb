"""Draw a round on a synthetic N-customer frame: ours (SQLite index scan) vs reading the frame into Python
and vs pandas `read_sql` + `groupby().sample()`.

Usage: python benchmarks/bench_draw.py [--customers 1000000] [--size 3000] [--skip-pandas]
Targets (issue 3): draw ≤ 0.1× reading `id` + stratum columns; ≥ 20× faster than pandas; at 10M, peak RSS of
the draw < 300 MB (the draw runs first, before the baselines load the frame into memory).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import peak_rss_mb, timed, verdict  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def build(path: Path, customers: int) -> None:
    """Build the frame database in a child process (so its memory does not count against the draw)."""
    code = f"""
import sys; sys.path.insert(0, {str(ROOT)!r})
import pandas as pd
from benchmarks.common import frame_chunks
from survey.frames import store_frame, FRAME_COLUMNS
from survey.store import open_db
from survey.forms import default_questionnaire_id
db = open_db({str(path)!r})
default_questionnaire_id(db)
parts = []
for rows in frame_chunks({customers}):
    f = pd.DataFrame(rows, columns=["id","name","phone","region","district","customer_type","urban_rural",
                                    "complaints_12m","opted_out"])
    f["complaints_12m"] = f["complaints_12m"].astype(int)
    f["has_valid_phone"] = f["phone"] != ""
    f["opted_out"] = f["opted_out"] == "是"
    parts.append(f)
frame = pd.concat(parts, ignore_index=True)
del parts
store_frame(db, frame)
db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
"""
    subprocess.run([sys.executable, "-c", code], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--size", type=int, default=3000)
    parser.add_argument("--skip-pandas", action="store_true", help="skip the pandas baseline (10M: memory)")
    args = parser.parse_args()
    cache = Path(tempfile.gettempdir()) / f"bench_draw_{args.customers}.db"
    if not cache.exists():
        print(f"building a {args.customers:,}-customer frame (cached in {cache}) …")
        build(cache, args.customers)
    work = Path(tempfile.mkdtemp(prefix="bench_draw_"))
    db_path = work / "survey.db"
    shutil.copy(cache, db_path)

    from survey.rounds import draw_round
    from survey.store import open_db

    db = open_db(db_path)
    rss_before = peak_rss_mb()
    ours, result = timed(lambda: draw_round(db, size=args.size, reserve=2, created_by="bench"))
    rss_draw = peak_rss_mb()
    print(
        f"draw_round ({result.sample_size:,} + {result.reserve_size:,} reserve, {len(result.strata)} strata)"
        f"  {ours:7.3f} s   peak RSS {rss_draw:.0f} MB (before: {rss_before:.0f} MB)"
    )

    con = sqlite3.connect(db_path)
    read, rows = timed(lambda: con.execute("SELECT id, region, customer_type FROM customers").fetchall())
    print(f"read id, region, customer_type into Python       {read:7.3f} s   ({len(rows):,} rows)")
    del rows
    ratio = ours / read
    print(
        f"ratio draw / read                                {ratio:7.3f}   target <= 0.1   {verdict(ratio <= 0.1)}"
    )
    if not args.skip_pandas:
        import pandas as pd

        def pandas_draw():
            frame = pd.read_sql(
                "SELECT id, region, customer_type FROM customers"
                " WHERE active = 1 AND opted_out = 0 AND has_valid_phone = 1",
                con,
            )
            frac = args.size / len(frame)
            return frame.groupby(["region", "customer_type"]).sample(frac=frac, random_state=1)

        slow, sample = timed(pandas_draw)
        print(f"pandas read_sql + groupby().sample()             {slow:7.3f} s   ({len(sample):,} drawn)")
        speedup = slow / ours
        print(
            f"speed-up over pandas                             {speedup:7.1f}×  target >= 20   "
            f"{verdict(speedup >= 20)}"
        )
    print(
        f"peak RSS of the draw                             {rss_draw:7.0f} MB target < 300  "
        f"{verdict(rss_draw < 300)}"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
