"""Permanent random numbers (PRN) for coordinated sampling.

Every customer gets ``prn = int(sha256(salt + customer_id)[:13 hex]) / 16**13``: a number in
[0, 1) that is uniform over customers, fixed for the life of the frame (the salt is kept in
the database) and reproducible on any engine. 13 hex digits are 52 bits, so every PRN is an
exact IEEE double and sorts identically in Python, pandas and SQLite.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys
from collections.abc import Iterable

import numpy as np

PRN_HEX_DIGITS = 13
#: From this many ids on, :func:`prn_array` hashes part of them in worker processes.
PARALLEL_MIN_IDS = 200_000
_SCALE = float(16**PRN_HEX_DIGITS)
_SHIFTS = np.arange(48, -8, -8, dtype=np.uint64)  # big-endian weights of the first 7 digest bytes


def _check_salt(salt: object) -> bytes:
    if not isinstance(salt, str) or not salt:
        raise ValueError(f"salt must be a non-empty string, but got {salt!r}")
    return salt.encode("utf-8")


def prn(salt: str, customer_id: str) -> float:
    """The permanent random number of one customer.

    Ohlsson (1995), "Coordination of samples using permanent random numbers", in
    *Business Survey Methods*, ch. 9: each unit carries an independent U(0, 1) number for
    life; a sequential simple random sample takes the units with the smallest numbers.

    >>> round(prn("salt", "0001"), 6) == round(int(hashlib.sha256(b"salt0001").hexdigest()[:13], 16) / 16**13, 6)
    True
    """
    _check_salt(salt)
    digest = hashlib.sha256((salt + str(customer_id)).encode("utf-8")).hexdigest()
    return int(digest[:PRN_HEX_DIGITS], 16) / _SCALE


def _digest_prefixes(prefix: bytes, ids: list) -> bytes:
    """The first 7 bytes of ``sha256(prefix + id)`` for every id, concatenated."""
    sha = hashlib.sha256
    return b"".join(
        [sha(prefix + (i if type(i) is str else str(i)).encode("utf-8")).digest()[:7] for i in ids]
    )


# A bare interpreter (no numpy, no project import, no __main__ re-run as with multiprocessing's spawn):
# reads (prefix, ids) pickled on stdin, writes the concatenated 7-byte digest prefixes to stdout.
_WORKER = (
    "import hashlib, pickle, sys\n"
    "prefix, ids = pickle.load(sys.stdin.buffer)\n"
    "sha = hashlib.sha256\n"
    "sys.stdout.buffer.write(b''.join([sha(prefix + i.encode('utf-8')).digest()[:7] for i in ids]))\n"
)


def _hash_in_parallel(prefix: bytes, ids: list, processes: int) -> bytes:
    """Hash ``ids`` with ``processes - 1`` worker interpreters taking the tail shares and this one the first.

    Falls back to hashing here when a worker cannot be started or fails.
    """
    # a worker needs ~0.05 s to start and a pickle round trip: this process takes a slightly larger share
    own = int(len(ids) * 1.2 / processes)
    cuts = [own, *(own + (len(ids) - own) * k // (processes - 1) for k in range(1, processes))]
    workers = []
    try:
        for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
            share = [i if type(i) is str else str(i) for i in ids[lo:hi]]
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE
            )
            workers.append((proc, lo, hi))
            proc.stdin.write(pickle.dumps((prefix, share), protocol=pickle.HIGHEST_PROTOCOL))
            proc.stdin.close()
    except OSError:
        pass  # no worker (or fewer): their shares are hashed below
    parts = [_digest_prefixes(prefix, ids[:own])]
    done = own
    for proc, lo, hi in workers:
        out = proc.stdout.read()
        ok = proc.wait() == 0 and len(out) == 7 * (hi - lo) and lo == done
        parts.append(out if ok else _digest_prefixes(prefix, ids[lo:hi]))
        done = hi
    parts.append(_digest_prefixes(prefix, ids[done:]))
    return b"".join(parts)


def _as_list(customer_ids: Iterable[str]) -> list:
    # pandas/numpy columns convert in C; iterating an Arrow-backed Series element by element is ~30x slower
    if hasattr(customer_ids, "tolist"):
        return customer_ids.tolist()
    return customer_ids if isinstance(customer_ids, list) else list(customer_ids)


def prn_array(salt: str, customer_ids: Iterable[str], *, processes: int | None = None) -> np.ndarray:
    """Vectorised :func:`prn` over many ids (the same numbers, float64 array).

    Bulk form: the first 7 bytes of each raw digest are joined into one buffer and the top
    52 bits read with numpy, instead of formatting and parsing a hex string per id.

    Parameters
    ----------
    salt : the frame's salt.
    customer_ids : ids (list, pandas Series, numpy array or any iterable; non-strings go through ``str``).
    processes : how many processes share the hashing (this one included). None: one per CPU (at most 4)
        from ``PARALLEL_MIN_IDS`` ids on, else 1. Workers are bare ``python -I -S`` subprocesses fed by a
        pipe (safe in a threaded server, no re-import of ``__main__``); the result does not depend on it.

    Returns
    -------
    numpy.ndarray
        float64, in the order of ``customer_ids``.
    """
    prefix = _check_salt(salt)
    if processes is not None and (
        isinstance(processes, bool) or not isinstance(processes, int) or processes < 1
    ):
        raise ValueError(f"processes must be a positive integer or None, but got {processes!r}")
    ids = _as_list(customer_ids)
    if processes is None:
        processes = min(os.cpu_count() or 1, 4) if len(ids) >= PARALLEL_MIN_IDS else 1
    if processes > 1 and len(ids) >= 2 * processes:
        buf = _hash_in_parallel(prefix, ids, processes)
    else:
        buf = _digest_prefixes(prefix, ids)
    if not buf:
        return np.zeros(0, dtype=np.float64)
    first7 = np.frombuffer(buf, dtype=np.uint8).reshape(-1, 7).astype(np.uint64)
    bits56 = np.bitwise_or.reduce(first7 << _SHIFTS, axis=1)
    return (bits56 >> np.uint64(4)).astype(np.float64) / _SCALE
