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
import queue
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator

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


# Hashes ahead of the caller: reads "<prefix hex> <chunk>\n" and NUL-separated UTF-8 ids on stdin, writes
# the 7-byte digest prefixes of each chunk of ids to stdout as soon as that chunk is hashed.
_AHEAD_WORKER = (
    "import hashlib, sys\n"
    "head, _, body = sys.stdin.buffer.read().partition(b'\\n')\n"
    "prefix, chunk = bytes.fromhex(head.split()[0].decode()), int(head.split()[1])\n"
    "ids, out, sha = body.split(b'\\0'), sys.stdout.buffer, hashlib.sha256\n"
    "for lo in range(0, len(ids), chunk):\n"
    "    out.write(b''.join([sha(prefix + i).digest()[:7] for i in ids[lo:lo + chunk]]))\n"
    "    out.flush()\n"
)


def _to_prn(buf: bytes) -> np.ndarray:
    """PRNs from concatenated 7-byte digest prefixes: the top 52 bits of each, over 16**13."""
    if not buf:
        return np.zeros(0, dtype=np.float64)
    first7 = np.frombuffer(buf, dtype=np.uint8).reshape(-1, 7).astype(np.uint64)
    bits56 = np.bitwise_or.reduce(first7 << _SHIFTS, axis=1)
    return (bits56 >> np.uint64(4)).astype(np.float64) / _SCALE


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
    return _to_prn(buf)


def prn_chunks(
    salt: str, customer_ids: Iterable[str], chunk: int, *, ahead: bool | None = None
) -> Iterator[np.ndarray]:
    """:func:`prn_array` of ``customer_ids`` chunk by chunk (``chunk`` ids each, in order), hashed ahead.

    For a bulk insert: a worker process hashes all ids from the moment this is called, chunk after
    chunk, while the caller writes the rows of the chunks already done — the hashing (≈ 1.4 s per
    million ids) then costs the caller only the wait for the first chunk. The numbers are those of
    :func:`prn` (Ohlsson 1995; see there); the result does not depend on ``ahead``.

    Parameters
    ----------
    salt : the frame's salt.
    customer_ids : ids (list, pandas Series, numpy array or any iterable; non-strings go through ``str``).
    chunk : ids per yielded array (≥ 1).
    ahead : hash in a worker process (a bare ``python -I -S``, fed by a pipe; a reader thread collects
        its output). None: from ``PARALLEL_MIN_IDS`` ids on and on more than one CPU. When the worker cannot
        be started or fails, the remaining chunks are hashed here.

    Returns
    -------
    Iterator of float64 arrays; close it (or let it be collected) to stop the worker early.
    """
    prefix = _check_salt(salt)
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk must be a positive integer, but got {chunk!r}")
    ids = _as_list(customer_ids)
    if ahead is None:
        ahead = len(ids) >= PARALLEL_MIN_IDS and (os.cpu_count() or 1) > 1
    if not ahead or not ids:
        return (_to_prn(_digest_prefixes(prefix, ids[lo : lo + chunk])) for lo in range(0, len(ids), chunk))
    return _hashed_ahead(prefix, ids, chunk)


def _hashed_ahead(prefix: bytes, ids: list, chunk: int) -> Iterator[np.ndarray]:
    """Start the worker and its reader thread now; the returned generator yields the chunks' PRNs."""
    sizes = [min(chunk, len(ids) - lo) for lo in range(0, len(ids), chunk)]
    done: queue.Queue[bytes | None] = queue.Queue()
    proc, payload = _start_ahead_worker(prefix, ids, chunk)

    def collect() -> None:  # pipe I/O releases the GIL; a short read means the worker failed
        try:
            proc.stdin.write(payload)  # here, so the caller goes on while the worker starts and reads
            proc.stdin.close()
            for size in sizes:
                out = proc.stdout.read(7 * size)
                if len(out) != 7 * size:
                    break
                done.put(out)
        except (OSError, ValueError):  # the worker died, or an early close() of the generator closed the pipe
            pass
        finally:
            done.put(None)

    if proc is not None:
        threading.Thread(target=collect, name="prn-ahead", daemon=True).start()

    def chunks() -> Iterator[np.ndarray]:
        try:
            failed = proc is None
            for k, size in enumerate(sizes):
                out = None if failed else done.get()
                if out is None:  # no worker, or it failed: hash the rest here
                    failed = True
                    out = _digest_prefixes(prefix, ids[k * chunk : k * chunk + size])
                yield _to_prn(out)
        finally:
            if proc is not None:
                proc.kill()
                proc.wait()
                for pipe in (proc.stdin, proc.stdout):
                    try:
                        pipe.close()
                    except OSError:
                        pass

    return chunks()


def _start_ahead_worker(prefix: bytes, ids: list, chunk: int) -> tuple[subprocess.Popen | None, bytes]:
    """The worker of :func:`prn_chunks` and what to send it; ``(None, b"")`` when it cannot be started or
    the ids cannot be sent NUL-separated."""
    try:
        joined = "\0".join(ids)
    except TypeError:
        joined = "\0".join(i if type(i) is str else str(i) for i in ids)
    if joined.count("\0") != len(ids) - 1:  # an id holding a NUL character
        return None, b""
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _AHEAD_WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
    except OSError:
        return None, b""
    return proc, f"{prefix.hex()} {chunk}\n".encode() + joined.encode("utf-8")
