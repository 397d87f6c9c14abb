"""Stratified sequential simple random sampling with permanent random numbers.

One rule, several engines (DESIGN.md): in stratum h with start point ``a_h`` the sample is
the ``n_h`` eligible units with the smallest ``(prn - a_h) mod 1``; the next ``r_h`` units
in the same order are the reserve. The SQLite engine (``survey.rounds``) runs the rule as
an index range scan; this module is the pure pandas engine and the shared definitions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sampling.prn import prn_array

STRATUM_SEPARATOR = "|"
ALL_STRATUM = "all"


def stratum_key(values: Sequence[object]) -> str:
    """The stratum label stored with rounds and assignments: values joined by ``|``.

    >>> stratum_key(["福州", "居民"])
    '福州|居民'
    """
    if len(values) == 0:
        return ALL_STRATUM
    return STRATUM_SEPARATOR.join(str(v) for v in values)


def stratum_series(frame: pd.DataFrame, strata: Sequence[str]) -> pd.Series:
    """Vectorised :func:`stratum_key` for every row of ``frame``."""
    if not strata:
        return pd.Series(ALL_STRATUM, index=frame.index, dtype=object)
    key = frame[strata[0]].astype(str)
    for col in strata[1:]:
        key = key + STRATUM_SEPARATOR + frame[col].astype(str)
    return key


def rotation_order(prns: np.ndarray, ids: np.ndarray, start: float) -> np.ndarray:
    """Positions of units in the order ``(prn - start) mod 1``, ties broken by id.

    Computed as the sort key ``(prn < start, prn, id)`` — the same order as the SQLite
    engine's two range scans ``prn >= start ORDER BY prn, id`` then ``prn < start``.
    """
    wrapped = prns < start
    return np.lexsort((ids, prns, wrapped))


def _per_stratum(
    value: float | int | Mapping[str, float | int], key: str, default: float | int
) -> float | int:
    if isinstance(value, Mapping):
        return value.get(key, default)
    return value


def select_pandas(
    frame: pd.DataFrame,
    strata: Sequence[str],
    sizes: Mapping[str, int],
    *,
    id_col: str = "id",
    salt: str,
    start: float | Mapping[str, float] = 0.0,
    reserve: int | Mapping[str, int] = 0,
) -> pd.DataFrame:
    """Draw a stratified sequential SRS (plus reserve) from an in-memory frame.

    In each stratum h the ``n_h = sizes[h]`` eligible units with the smallest
    ``(prn − a_h) mod 1`` are selected (Ohlsson 1995, sequential SRS; Tillé 2006, §7.2.3),
    so the inclusion probability is ``π = n_h / N_h`` and the base weight ``N_h / n_h``
    (Lohr 2019, eq. 3.2). The next ``r_h`` units in the same order form the reserve.

    Parameters
    ----------
    frame : DataFrame of eligible units; a ``prn`` column is used if present, else PRNs are
        computed from ``salt``.
    strata : stratum column names (empty = one stratum ``"all"``).
    sizes : ``{stratum_key: n_h}``; strata missing from it get ``n_h = 0``.
    salt : the frame's PRN salt.
    start : start point ``a_h`` in [0, 1), one for all strata or per stratum key.
    reserve : reserve size ``r_h``, one for all strata or per stratum key.

    Returns
    -------
    DataFrame with columns ``id, stratum, prn, inclusion_probability, weight, is_reserve``,
    sorted by stratum then selection order; ``.attrs["next_start"]`` maps each stratum to
    the start point of the next round: the PRN of the first unit not drawn (the same start
    when the stratum drew nothing or everything).

    Examples
    --------
    >>> f = pd.DataFrame({"id": [str(i) for i in range(10)], "region": ["A"] * 10})
    >>> s = select_pandas(f, ["region"], {"A": 3}, salt="x")
    >>> len(s), float(s.weight.iloc[0])
    (3, 3.3333333333333335)
    """
    if id_col not in frame.columns:
        raise ValueError(f"id_col {id_col!r} is not a column of frame")
    for col in strata:
        if col not in frame.columns:
            raise ValueError(f"stratum column {col!r} is not a column of frame")
    ids = frame[id_col].astype(str).to_numpy()
    prns = frame["prn"].to_numpy(dtype=float) if "prn" in frame.columns else prn_array(salt, ids)
    keys = stratum_series(frame, strata).to_numpy()
    unknown = set(sizes) - set(keys)
    if unknown:
        raise ValueError(f"sizes names strata that are not in the frame: {sorted(unknown)!r}")

    parts = []
    next_start: dict[str, float] = {}
    for key in sorted(set(keys)):
        idx = np.flatnonzero(keys == key)
        N_h = len(idx)
        n_h = int(sizes.get(key, 0))
        r_h = int(_per_stratum(reserve, key, 0))
        a_h = float(_per_stratum(start, key, 0.0))
        if not 0 <= a_h < 1:
            raise ValueError(f"start for stratum {key!r} must be in [0, 1), but got {a_h!r}")
        if not 0 <= n_h <= N_h:
            raise ValueError(f"size for stratum {key!r} must be in [0, {N_h}], but got {n_h!r}")
        order = idx[rotation_order(prns[idx], ids[idx], a_h)]
        # No reserve without a sample; the next round starts at the first unit not drawn.
        drawn = order[: min(N_h, n_h + max(r_h, 0))] if n_h else order[:0]
        next_start[key] = float(prns[order[len(drawn)]]) if 0 < len(drawn) < N_h else a_h
        if n_h == 0:
            continue
        parts.append(
            pd.DataFrame(
                {
                    "id": ids[drawn],
                    "stratum": key,
                    "prn": prns[drawn],
                    "inclusion_probability": n_h / N_h,
                    "weight": N_h / n_h,
                    "is_reserve": np.arange(len(drawn)) >= n_h,
                }
            )
        )
    cols = ["id", "stratum", "prn", "inclusion_probability", "weight", "is_reserve"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    out.attrs["next_start"] = next_start
    return out
