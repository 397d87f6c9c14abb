"""Read and validate a generated N-row frame CSV: FrameStream (bounded memory) vs read_frame, each in its own process.

Usage: python benchmarks/bench_frame_stream.py [--customers 1000000 10000000] [--chunk-rows 200000] [--read-frame-max 1000000]
Target (issue 15, item 1): peak RSS < 1 GB whatever the rows (10M measured). read_frame is run on the sizes up to
``--read-frame-max`` (10M needs ~3.9 GB); the ratios stream / read_frame are printed for the sizes both ran.
Each measurement is a fresh subprocess, so its peak RSS (ru_maxrss) is that reader's own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import verdict, write_csv  # noqa: E402

_CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
from benchmarks.common import peak_rss_mb
from sampling.frame import read_frame
from sampling.frame_stream import FrameStream
path, how, chunk_rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
base = peak_rss_mb()
t0 = time.perf_counter()
if how == "stream":
    stream = FrameStream(path, chunk_rows=chunk_rows)
    rows = sum(len(frame) for frame, _ in stream.chunks())
    ok = stream.result.ok
else:
    result = read_frame(path)
    rows, ok = result.rows, result.ok
print(json.dumps({{"seconds": time.perf_counter() - t0, "rss": peak_rss_mb(), "base": base, "rows": rows, "ok": ok}}))
"""


def measure(path: Path, how: str, chunk_rows: int) -> dict:
    code = _CHILD.format(root=str(Path(__file__).resolve().parents[1]))
    out = subprocess.run([sys.executable, "-c", code, str(path), how, str(chunk_rows)], capture_output=True,
                         text=True, check=True)  # fmt: skip
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--chunk-rows", type=int, default=200_000)
    parser.add_argument(
        "--read-frame-max", type=int, default=1_000_000, help="largest size read_frame runs on"
    )
    args = parser.parse_args()
    print(f"{'rows':>12} {'reader':<12} {'time s':>8} {'peak RSS MB':>12} {'(imports MB)':>13}")
    ok = True
    for n in args.customers:
        path = write_csv(Path(tempfile.gettempdir()) / f"bench_frame_{n}.csv", n)
        runs = {"stream": measure(path, "stream", args.chunk_rows)}
        if n <= args.read_frame_max:
            runs["read_frame"] = measure(path, "read_frame", args.chunk_rows)
        for how, r in runs.items():
            assert r["ok"] and r["rows"] == n, r
            print(f"{n:>12,} {how:<12} {r['seconds']:8.2f} {r['rss']:12.0f} {r['base']:13.0f}")
        if "read_frame" in runs:
            s, w = runs["stream"], runs["read_frame"]
            print(f"{'':>12} ratio stream/read_frame: time {s['seconds'] / w['seconds']:.2f} ×, "
                  f"peak RSS {s['rss'] / w['rss']:.2f} ×")  # fmt: skip
        ok &= runs["stream"]["rss"] < 1024
        print(
            f"{'':>12} stream peak RSS < 1 GB: {verdict(runs['stream']['rss'] < 1024)}  ({path.stat().st_size / 1e6:.0f} MB CSV)"
        )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
