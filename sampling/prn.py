"""Permanent random numbers (PRN) for coordinated sampling.

Every customer gets ``prn = int(sha256(salt + customer_id)[:13 hex]) / 16**13``: a number in
[0, 1) that is uniform over customers, fixed for the life of the frame (the salt is kept in
the database) and reproducible on any engine. 13 hex digits are 52 bits, so every PRN is an
exact IEEE double and sorts identically in Python, pandas and SQLite.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

PRN_HEX_DIGITS = 13
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


def prn_array(salt: str, customer_ids: Iterable[str]) -> np.ndarray:
    """Vectorised :func:`prn` over many ids (the same numbers, float64 array).

    Bulk form: the first 7 bytes of each raw digest are joined into one buffer and the top
    52 bits read with numpy, instead of formatting and parsing a hex string per id.
    """
    prefix = _check_salt(salt)
    sha = hashlib.sha256
    buf = b"".join([sha(prefix + str(cid).encode("utf-8")).digest()[:7] for cid in customer_ids])
    if not buf:
        return np.zeros(0, dtype=np.float64)
    first7 = np.frombuffer(buf, dtype=np.uint8).reshape(-1, 7).astype(np.uint64)
    bits56 = np.bitwise_or.reduce(first7 << _SHIFTS, axis=1)
    return (bits56 >> np.uint64(4)).astype(np.float64) / _SCALE
