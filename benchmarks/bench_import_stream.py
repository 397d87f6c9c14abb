"""`python -m survey import-frame` on a big CSV: peak memory and time against the sqlite3 shell's `.import`.

Usage: python benchmarks/bench_import_stream.py [--customers 1000000 10000000]

Each size runs in fresh processes: the sqlite3 shell's `.import` of the same file into an empty table (validates
nothing, builds no index: the baseline, measured in the same run), then our CLI import into an empty store
(stream, validate, PRN, stage, write, index, cell counts) with its peak RSS (the child's ru_maxrss), then a
re-import of the same file into that store (every customer updated in place: the staged path with short
transactions). Targets (issue 15.1): peak RSS < 1 GB whatever the rows; first import ≤ 3 × `.import`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import verdict, write_csv  # noqa: E402

MEASURE = r"""
import resource, subprocess, sys, time
t0 = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
elapsed = time.perf_counter() - t0
if proc.returncode:
    sys.exit(proc.stdout + proc.stderr)
print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, proc.stdout.strip().splitlines()[-1])
"""


def _measure(cmd: list[str]) -> tuple[float, float, str]:
    """Wall time, peak RSS (MB) of the command's largest process, and its last output line."""
    out = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise SystemExit(out.stderr or out.stdout)
    elapsed, rss, last = out.stdout.strip().split(" ", 2)
    return float(elapsed), float(rss), last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, nargs="+", default=[1_000_000, 10_000_000])
    args = parser.parse_args()
    shell = shutil.which("sqlite3")
    work = Path(tempfile.mkdtemp(prefix="bench_import_stream_"))
    env_note = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    print(f"machine: {env_note}")
    for n in args.customers:
        csv_path = write_csv(Path(tempfile.gettempdir()) / f"bench_frame_{n}.csv", n)
        size = csv_path.stat().st_size / 1e6
        base = None
        if shell:
            t0 = time.perf_counter()
            subprocess.run([shell, str(work / f"shell{n}.db"), ".mode csv", f".import {csv_path} customers"],
                           check=True)  # fmt: skip
            base = time.perf_counter() - t0
        db = work / f"survey{n}.db"
        cli = [sys.executable, "-m", "survey", "import-frame", str(csv_path), "--db", str(db)]
        first, rss_first, said = _measure(cli)
        again, rss_again, said_again = _measure(cli)
        print(f"{n:>12,} rows ({size:,.0f} MB CSV)")
        complete = said.startswith(f"added {n}, ") and said_again.startswith(f"added 0, updated {n}, ")
        print(f"  every row stored         {verdict(complete)}")  # a parser that stops early fails here
        if base:
            print(f"  sqlite3 .import          {base:8.1f} s")
            ratio = first / base
            print(
                f"  import-frame (empty)     {first:8.1f} s   ratio {ratio:5.2f}  target <= 3   {verdict(ratio <= 3)}"
            )
        else:
            print(f"  import-frame (empty)     {first:8.1f} s   (no sqlite3 shell: apt-get install sqlite3)")
        print(
            f"    peak RSS               {rss_first:8.0f} MB  target < 1024 {verdict(rss_first < 1024)}   [{said}]"
        )
        print(f"  import-frame (re-import) {again:8.1f} s")
        print(
            f"    peak RSS               {rss_again:8.0f} MB  target < 1024 {verdict(rss_again < 1024)}   [{said_again}]"
        )
        for f in work.glob("*"):
            f.unlink()
    print(f"machine after: load average {os.getloadavg()[0]:.1f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
