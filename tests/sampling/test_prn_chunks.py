"""prn_chunks: the PRNs of prn() chunk by chunk, hashed ahead in a worker process (or here as a fallback)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from sampling import prn as prn_module
from sampling.prn import prn_array, prn_chunks


def _formula(salt: str, ids: list) -> list[float]:
    # the rule of DESIGN.md written out again: first 13 hex digits of sha256(salt + id) over 16**13
    return [int(hashlib.sha256((salt + str(i)).encode()).hexdigest()[:13], 16) / 16**13 for i in ids]


@pytest.mark.parametrize("ahead", [True, False])
@pytest.mark.parametrize("chunk", [1, 7, 1000, 5000])
def test_chunks_concatenate_to_the_formula(ahead, chunk):
    ids = [f"{i:08d}" for i in range(2_345)] + ["福州-001", "x y", 42]
    parts = list(prn_chunks("k", ids, chunk, ahead=ahead))
    assert [len(p) for p in parts] == [min(chunk, len(ids) - lo) for lo in range(0, len(ids), chunk)]
    assert np.concatenate(parts).tolist() == _formula("k", ids)


def test_no_ids_no_chunks():
    assert list(prn_chunks("k", [], 10, ahead=True)) == []


def test_an_id_holding_nul_is_hashed_here_with_the_same_numbers():
    ids = ["a\0b", "c", "d"]
    assert np.concatenate(list(prn_chunks("k", ids, 2, ahead=True))).tolist() == _formula("k", ids)


def test_worker_that_cannot_start_falls_back(monkeypatch):
    monkeypatch.setattr(prn_module.sys, "executable", "/nonexistent/python")
    ids = [str(i) for i in range(500)]
    assert np.concatenate(list(prn_chunks("k", ids, 64, ahead=True))).tolist() == _formula("k", ids)


def test_worker_that_dies_midway_falls_back(monkeypatch):
    # a worker writing only its first chunk and then failing: the rest is hashed in this process
    broken = prn_module._AHEAD_WORKER.replace(
        "    out.flush()\n", "    out.flush()\n    raise SystemExit(3)\n"
    )
    assert broken != prn_module._AHEAD_WORKER
    monkeypatch.setattr(prn_module, "_AHEAD_WORKER", broken)
    ids = [str(i) for i in range(1_000)]
    assert np.concatenate(list(prn_chunks("k", ids, 100, ahead=True))).tolist() == _formula("k", ids)


def test_closing_early_stops_the_worker(monkeypatch):
    started = []
    real = prn_module._start_ahead_worker

    def spy(*args):
        proc, payload = real(*args)
        started.append(proc)
        return proc, payload

    monkeypatch.setattr(prn_module, "_start_ahead_worker", spy)
    chunks = prn_chunks("k", [str(i) for i in range(50_000)], 10, ahead=True)
    first = next(chunks)
    assert first.tolist() == _formula("k", [str(i) for i in range(10)])
    chunks.close()
    assert len(started) == 1 and started[0].poll() is not None  # killed and reaped


def test_default_hashes_ahead_only_for_large_frames(monkeypatch):
    started = []
    monkeypatch.setattr(prn_module, "_start_ahead_worker", lambda *a: started.append(a) or (None, b""))
    monkeypatch.setattr(prn_module.os, "cpu_count", lambda: 2)
    small = [str(i) for i in range(prn_module.PARALLEL_MIN_IDS - 1)]
    assert len(list(prn_chunks("k", small[:100], 50))) == 2 and not started
    big = [str(i) for i in range(prn_module.PARALLEL_MIN_IDS)]
    out = np.concatenate(list(prn_chunks("k", big, 100_000)))  # no worker (spy returns None): hashed here
    assert len(started) == 1 and out.tolist() == prn_array("k", big, processes=1).tolist()


@pytest.mark.parametrize("chunk", [0, -1, 1.5, True, None])
def test_bad_chunk_is_refused(chunk):
    with pytest.raises(ValueError, match="chunk must be a positive integer"):
        prn_chunks("k", ["1"], chunk)


def test_bad_salt_is_refused():
    with pytest.raises(ValueError, match="salt must be a non-empty string"):
        prn_chunks("", ["1"], 1)
