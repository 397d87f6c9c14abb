"""Draws from a Parquet frame where it lives (issue 15): DuckDB on the fly and on a prepared frame, Spark local[2].

    python benchmarks/bench_frame_engines.py [--rows 10000000] [--spark-rows N] [--size 3000] [--folder DIR]
                                             [--skip-spark] [--skip-prepared]

Generates the frame in chunks of 1M rows to Parquet (cached in --folder), then times, each step in its own
process (so each peak RSS is that step's alone), in one run:

- baseline: DuckDB reading the id and strata columns of every row (a GROUP BY over region, type and min(id));
- floor: DuckDB computing the sha256 PRN of every row and nothing else (no draw hashed on the fly is faster);
- DuckDB draw, PRNs hashed on the fly (``draw_from_frame`` into an empty store: counts, selection, validation,
  duplicate check, the round written) — target ≤ 3 × baseline, peak RSS < 2 GB;
- ``prepare-frame`` (one-off cost) and the DuckDB draw on the prepared frame — target ≤ 0.2 × baseline;
- Spark local[2]: counting the rows (baseline) and the draw on --spark-rows rows — the same sample as DuckDB's
  on the same frame (checked), time and ratio reported.

Each step is timed from after its imports (``import duckdb``; the survey modules, ~1.5 s on a busy machine) to its
end: the work, not the interpreter's start; the child's CPU seconds with the imports are reported beside.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def step(name: str, frame: str, db: str, size: int, out: str = "") -> dict:
    """One measured step, run in this process (called in a child by :func:`run`)."""
    t = time.perf_counter()
    info: dict = {}
    if name in ("baseline-duckdb", "hash-duckdb"):
        import duckdb

        t = time.perf_counter()  # the import is not the read (nor, below, the draw's imports the draw)
        con = duckdb.connect(config={"memory_limit": "1GB"})
        if name == "baseline-duckdb":
            info["groups"] = len(con.execute(
                f"SELECT region, customer_type, count(*), min(id) FROM read_parquet('{frame}') GROUP BY 1, 2"  # noqa: S608
            ).fetchall())  # fmt: skip
        else:  # the floor of a draw hashed on the fly: one sha256 per row, nothing else
            from sampling.engines.rule import DUCKDB, prn_sql

            con.execute("CREATE TABLE survey_params AS SELECT 'salt' AS salt")
            info["max_prn"] = con.execute(
                f"SELECT max({prn_sql(DUCKDB, 'f.id')}) FROM read_parquet('{frame}') f CROSS JOIN survey_params p"  # noqa: S608
            ).fetchall()[0][0]
    elif name == "baseline-spark":
        from sampling.engines.spark_engine import spark_session

        spark = spark_session("local[2]")
        t = time.perf_counter()  # the session's start is not the count's
        info["rows"] = spark.read.parquet(frame).count()
    elif name in ("draw-duckdb", "draw-prepared", "draw-spark"):
        import duckdb  # noqa: F401 (imported by the engine on first use: an import, not the draw)

        from sampling.engines import open_engine
        from survey.external_frames import draw_from_frame
        from survey.store import open_db

        t = time.perf_counter()
        db_ = open_db(db)
        if name == "draw-spark":
            from sampling.engines.spark_engine import spark_session

            spark = spark_session("local[2]")
            t = time.perf_counter()
            engine = open_engine("spark", frame, spark=spark)
        else:
            engine = open_engine("duckdb", frame)
        with engine:
            result = draw_from_frame(db_, engine, size=size, reserve=2)
        info["timings"] = json.loads(db_.execute("SELECT timings FROM round_frames").fetchone()[0])
        info["sample"] = [r[0] for r in db_.execute("SELECT customer_id FROM assignments ORDER BY id")]
        info["n"] = result.sample_size
    elif name == "prepare":
        from sampling.engines import open_engine
        from survey.frame_prepare import prepare_frame
        from survey.store import open_db

        t = time.perf_counter()
        with open_engine("duckdb", frame) as engine:
            result = prepare_frame(open_db(db), engine, out)
        info["timings"], info["row_groups"] = result.timings, result.row_groups
    info["seconds"] = time.perf_counter() - t
    return info


def run(name: str, frame: Path, db: Path, size: int, out: Path | None = None) -> dict:
    """:func:`step` in a child process; adds its peak RSS (MB)."""
    with tempfile.TemporaryFile("w+") as out_file, tempfile.TemporaryFile("w+") as err_file:
        proc = subprocess.Popen(
            [sys.executable, __file__, "--step", name, "--frame", str(frame), "--db", str(db), "--size", str(size),
             "--out", str(out or "")],
            stdout=out_file, stderr=err_file, text=True, cwd=ROOT,
        )  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_file.seek(0), err_file.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"{name} failed:\n{err_file.read()[-3000:]}")
        info = json.loads(out_file.read().strip().splitlines()[-1])
    info["process_seconds"] = round(usage.ru_utime + usage.ru_stime, 2)  # CPU of the whole child, imports too
    info["peak_rss_mb"] = round(usage.ru_maxrss / 1024)  # the Python process (Spark's JVM is another process)
    return info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--spark-rows", type=int, default=None, help="rows of the Spark frame (default --rows)")
    ap.add_argument("--size", type=int, default=3000)
    ap.add_argument("--folder", default=str(Path(tempfile.gettempdir()) / "survey-bench-frames"))
    ap.add_argument("--skip-spark", action="store_true")
    ap.add_argument("--skip-prepared", action="store_true")
    ap.add_argument("--step", help=argparse.SUPPRESS)
    ap.add_argument("--frame", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        print(json.dumps(step(args.step, args.frame, args.db, args.size, args.out)))
        return

    from sampling.engines.generate import write_frame

    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)

    def frame_of(rows: int) -> Path:
        path = folder / f"frame-{rows}.parquet"
        if not path.exists():
            t = time.perf_counter()
            write_frame(path.with_suffix(".tmp"), rows).rename(path)
            print(f"generated {rows:,} rows in {time.perf_counter() - t:.1f} s -> {path}")
        return path

    template = folder / "salt.db"
    if not template.exists():  # one salt for every step, so their samples can be compared
        from survey.rounds import frame_salt
        from survey.store import open_db, transaction

        db = open_db(template)
        with transaction(db):
            frame_salt(db)
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.conn.close()

    def fresh_db(name: str) -> Path:
        db = folder / f"{name}.db"
        for p in folder.glob(f"{name}.db*"):
            p.unlink()
        shutil.copy(template, db)
        return db

    frame = frame_of(args.rows)
    print(
        f"frame: {args.rows:,} rows, {frame.stat().st_size / 1e9:.2f} GB; sample {args.size} (+2 reserve per stratum)"
    )
    base = run("baseline-duckdb", frame, fresh_db("base"), args.size)
    print(f"baseline  DuckDB reads id + strata: {base['seconds']:.2f} s, peak RSS {base['peak_rss_mb']} MB")
    floor = run("hash-duckdb", frame, fresh_db("hash"), args.size)
    print(f"floor     DuckDB hashes every row (sha256 PRN only): {floor['seconds']:.2f} s = "
          f"{floor['seconds'] / base['seconds']:.2f} × baseline")  # fmt: skip
    draw = run("draw-duckdb", frame, fresh_db("duckdb"), args.size)
    print(f"DuckDB draw (hashed on the fly): {draw['seconds']:.2f} s = {draw['seconds'] / base['seconds']:.2f} × "
          f"baseline (target ≤ 3), {draw['seconds'] / floor['seconds']:.2f} × floor, peak RSS {draw['peak_rss_mb']} MB "
          f"(target < 2048); steps {draw['timings']}; process CPU {draw['process_seconds']} s")  # fmt: skip
    if not args.skip_prepared:
        prepared = folder / f"prepared-{args.rows}.parquet"
        if prepared.exists():
            prepared.unlink()
        db = fresh_db("prepared")
        prep = run("prepare", frame, db, args.size, prepared)
        print(f"prepare-frame (one-off): {prep['seconds']:.1f} s, {prep['row_groups']:,} row groups, peak RSS "
              f"{prep['peak_rss_mb']} MB; steps {prep['timings']}")  # fmt: skip
        fast = run("draw-prepared", prepared, db, args.size)
        print(f"DuckDB draw (prepared frame): {fast['seconds']:.2f} s = {fast['seconds'] / base['seconds']:.3f} × "
              f"baseline (target ≤ 0.2); steps {fast['timings']}")  # fmt: skip
        assert fast["sample"] == draw["sample"], "the prepared frame drew another sample"
    if not args.skip_spark:
        rows = args.spark_rows or args.rows
        sframe = frame_of(rows)
        same = draw if rows == args.rows else run("draw-duckdb", sframe, fresh_db("duckdb-s"), args.size)
        count = run("baseline-spark", sframe, fresh_db("sbase"), args.size)
        spark = run("draw-spark", sframe, fresh_db("spark"), args.size)
        print(f"Spark local[2] on {rows:,} rows: count {count['seconds']:.2f} s, draw {spark['seconds']:.2f} s = "
              f"{spark['seconds'] / count['seconds']:.1f} × counting; same sample as DuckDB: "
              f"{spark['sample'] == same['sample']}; steps {spark['timings']}")  # fmt: skip


if __name__ == "__main__":
    main()
