"""Shared helpers for the benchmarks: synthetic frames, timing and peak memory."""

from __future__ import annotations

import csv
import resource
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

REGIONS = ("福州", "厦门", "泉州", "漳州", "莆田", "三明", "南平", "龙岩", "宁德")
TYPES = ("居民", "一般工商业", "大工业", "农业")
TYPE_P = (0.86, 0.1, 0.01, 0.03)
HEADER = ("户号", "户名", "联系电话", "供电单位", "区县", "用户类别", "城乡类别", "近12个月投诉次数", "拒访")


def frame_chunks(customers: int, *, seed: int = 1, chunk: int = 200_000) -> Iterator[list[tuple]]:
    """Synthetic frame rows (id, name, phone, region, district, type, urban_rural, complaints, opted_out)."""
    rng = np.random.default_rng(seed)
    for lo in range(0, customers, chunk):
        n = min(chunk, customers - lo)
        ids = np.char.add("35", np.char.zfill((np.arange(lo, lo + n) + 10_000_000).astype(str), 10))
        region = np.asarray(REGIONS)[rng.integers(0, len(REGIONS), n)]
        ctype = np.asarray(TYPES)[rng.choice(len(TYPES), n, p=TYPE_P)]
        district = np.char.add(region, np.char.add("区", rng.integers(1, 8, n).astype(str)))
        phones = np.char.add("13", np.char.zfill(rng.integers(0, 10**9, n).astype(str), 9))
        phones[rng.random(n) < 0.02] = ""
        urban = np.where(rng.random(n) < 0.6, "城镇", "农村")
        complaints = rng.poisson(0.05, n).astype(str)
        opted = np.where(rng.random(n) < 0.01, "是", "否")
        names = np.char.add("客户", (np.arange(lo, lo + n) % 9973).astype(str))
        yield list(zip(ids.tolist(), names.tolist(), phones.tolist(), region.tolist(), district.tolist(),
                       ctype.tolist(), urban.tolist(), complaints.tolist(), opted.tolist(), strict=True))  # fmt: skip


def write_csv(path: Path, customers: int, *, seed: int = 1) -> Path:
    """Write a UTF-8 frame CSV with Chinese headers (cached: reused when it already has the right size)."""
    stamp = path.with_suffix(".rows")
    if path.exists() and stamp.exists() and stamp.read_text() == str(customers):
        return path
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for rows in frame_chunks(customers, seed=seed):
            writer.writerows(rows)
    stamp.write_text(str(customers))
    return path


def cpu_seconds() -> float:
    """User + system CPU time of this process, its threads and its finished child processes so far."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(fn: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    """Best wall time over ``repeat`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"
