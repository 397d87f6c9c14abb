"""Rounds: design, draw (the SQLite engine of the PRN rule), listing and closing.

The draw runs the sampling rule of DESIGN.md as index range scans on
``customers(region, customer_type, prn)``: per stratum ``prn >= a ORDER BY prn, id LIMIT n``
then, wrapping, ``prn < a``. It returns exactly the sample of
:func:`sampling.select.select_pandas` on the same eligible frame (tested).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlite_utils

from sampling.allocation import allocate
from sampling.select import stratum_key
from survey.forms import default_questionnaire_id, get_questionnaire
from survey.store import audit, get_setting, now, set_setting, transaction
from survey.tokens import make_token, secret_key, token_hash

#: Frame columns that may define strata (column names cannot be SQL parameters, so whitelist).
STRATUM_COLUMNS = ("region", "district", "customer_type", "urban_rural")
ALLOCATIONS = ("proportional", "equal")


class DrawError(Exception):
    "The round cannot be drawn as designed."


@dataclass(frozen=True)
class StratumDraw:
    stratum: str
    N_h: int
    n_h: int
    reserve_h: int
    start: float
    next_start: float


@dataclass(frozen=True)
class DrawResult:
    round_id: int
    name: str
    sample_size: int
    reserve_size: int
    strata: tuple[StratumDraw, ...] = field(default=())


def frame_salt(db: sqlite_utils.Database) -> str:
    """The frame's PRN salt (created once, never shown)."""
    salt = get_setting(db, "prn_salt")
    if salt is None:
        import secrets

        salt = secrets.token_hex(16)
        set_setting(db, "prn_salt", salt)
    return salt


def _eligibility_sql(exclude_days: int | None) -> tuple[str, list]:
    sql = "active = 1 AND opted_out = 0 AND has_valid_phone = 1"
    params: list = []
    if exclude_days:
        cutoff = (datetime.now(UTC) - timedelta(days=int(exclude_days))).replace(microsecond=0).isoformat()
        sql += " AND (last_surveyed_at IS NULL OR last_surveyed_at < ?)"
        params.append(cutoff)
    return sql, params


def eligible_counts(
    db: sqlite_utils.Database, strata: tuple[str, ...] | list[str], *, exclude_days: int | None = None
) -> dict[tuple, int]:
    """``{stratum values: N_h}`` over eligible customers (active, not opted out, valid phone)."""
    _check_strata(strata)
    where, params = _eligibility_sql(exclude_days)
    cols = ", ".join(strata)
    if not strata:
        n = db.execute(f"SELECT COUNT(*) FROM customers WHERE {where}", params).fetchone()[0]  # noqa: S608
        return {(): n} if n else {}
    rows = db.execute(
        f"SELECT {cols}, COUNT(*) FROM customers WHERE {where} GROUP BY {cols} ORDER BY {cols}",  # noqa: S608
        params,
    ).fetchall()
    return {tuple(r[:-1]): r[-1] for r in rows}


def _check_strata(strata) -> None:
    for col in strata:
        if col not in STRATUM_COLUMNS:
            raise DrawError(f"stratum column must be one of {', '.join(STRATUM_COLUMNS)}, but got {col!r}")
    if len(set(strata)) != len(strata):
        raise DrawError(f"stratum columns repeat: {list(strata)!r}")


def _previous_starts(db: sqlite_utils.Database, survey: str, strata: tuple[str, ...]) -> dict[str, float]:
    """Where the last round of the same survey and stratification ended, per stratum."""
    rows = db.execute("SELECT id, design FROM rounds WHERE survey = ? ORDER BY id DESC", [survey]).fetchall()
    for round_id, design in rows:
        if tuple(json.loads(design).get("strata", [])) == tuple(strata):
            return dict(
                db.execute(
                    "SELECT stratum, next_start FROM round_strata WHERE round_id = ?", [round_id]
                ).fetchall()
            )
    return {}


def _scan(db, strata, values, where, params, start, limit) -> list[tuple[str, float]]:
    """The rotation-order scan of one stratum: ``prn >= start`` then, wrapping, ``prn < start``."""
    eq = "".join(f" AND {c} = ?" for c in strata)
    base = f"SELECT id, prn FROM customers WHERE {where}{eq}"  # noqa: S608
    first = db.execute(
        f"{base} AND prn >= ? ORDER BY prn, id LIMIT ?", [*params, *values, start, limit]
    ).fetchall()
    if len(first) < limit:
        first += db.execute(
            f"{base} AND prn < ? ORDER BY prn, id LIMIT ?", [*params, *values, start, limit - len(first)]
        ).fetchall()
    return first


def draw_round(
    db: sqlite_utils.Database,
    *,
    size: int,
    strata: tuple[str, ...] | list[str] = ("region", "customer_type"),
    allocation: str = "proportional",
    name: str | None = None,
    reserve: int = 0,
    survey: str = "default",
    questionnaire_id: int | None = None,
    exclude_days: int | None = None,
    expires_days: int = 30,
    created_by: str | None = None,
) -> DrawResult:
    """Design and draw a stratified sequential-SRS round, all in one transaction.

    Allocation of ``size`` over strata by :func:`sampling.allocation.allocate`; selection by
    the PRN rule (Ohlsson 1995) starting, per stratum, where the previous round of the same
    survey ended (Tillé 2006, §7.2.3 rotation), so no customer is drawn twice before the
    stratum has been covered. Base weight ``N_h / n_h`` (Lohr 2019, eq. 3.2).
    Everything needed to redraw the round identically is stored in ``rounds.design``.
    """
    strata = tuple(strata)
    _check_strata(strata)
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise DrawError(f"size must be a positive integer, but got {size!r}")
    if allocation not in ALLOCATIONS:
        raise DrawError(f"allocation must be one of {', '.join(ALLOCATIONS)}, but got {allocation!r}")
    if reserve < 0:
        raise DrawError(f"reserve must be >= 0, but got {reserve!r}")
    where, params = _eligibility_sql(exclude_days)
    with transaction(db):
        salt = frame_salt(db)
        counts = eligible_counts(db, strata, exclude_days=exclude_days)
        total = sum(counts.values())
        if total == 0:
            raise DrawError("the frame has no eligible customers: import a customer frame first")
        if size > total:
            raise DrawError(f"size must be at most the {total} eligible customers, but got {size}")
        keys = {stratum_key(v): v for v in counts}
        try:
            sizes = allocate({k: counts[v] for k, v in keys.items()}, size, allocation)
        except ValueError as e:
            raise DrawError(str(e)) from e
        starts = _previous_starts(db, survey, strata)
        qid = questionnaire_id or default_questionnaire_id(db)
        q_sha = get_questionnaire(db, qid).sha256()
        round_id = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM rounds").fetchone()[0]
        next_assignment = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM assignments").fetchone()[0]
        key = secret_key(db)
        created = now()
        expires = (datetime.now(UTC) + timedelta(days=expires_days)).replace(microsecond=0).isoformat()
        rows, sampled_ids, stratum_rows = [], [], []
        for label, values in keys.items():
            N_h, n_h = counts[values], int(sizes.get(label, 0))
            r_h = min(reserve, N_h - n_h) if n_h else 0
            a_h = float(starts.get(label, 0.0))
            drawn = _scan(db, strata, list(values), where, params, a_h, n_h + r_h) if n_h else []
            if 0 < len(drawn) < N_h:
                after = _scan(db, strata, list(values), where, params, a_h, len(drawn) + 1)[-1]
                next_start = float(after[1])
            else:
                next_start = a_h
            stratum_rows.append(StratumDraw(label, N_h, n_h, r_h, a_h, next_start))
            for pos, (cid, prn_value) in enumerate(drawn):
                aid = next_assignment + len(rows)
                is_reserve = pos >= n_h
                rows.append(
                    (
                        aid,
                        round_id,
                        cid,
                        label,
                        prn_value,
                        n_h / N_h,
                        N_h / n_h,
                        int(is_reserve),
                        "reserve" if is_reserve else "issued",
                        token_hash(make_token(key, aid)),
                        expires,
                        created,
                    )
                )
                if not is_reserve:
                    sampled_ids.append(cid)
        design = {
            "size": size,
            "strata": list(strata),
            "allocation": allocation,
            "reserve": reserve,
            "survey": survey,
            "exclude_days": exclude_days,
            "expires_days": expires_days,
            "salt_id": hashlib.sha256(salt.encode()).hexdigest()[:12],
            "direction": "ascending",
            "engine": "sqlite-index-scan",
            "questionnaire_sha256": q_sha,
            "starts": {s.stratum: s.start for s in stratum_rows},
            "eligibility": "active AND NOT opted_out AND has_valid_phone",
        }
        name = name or f"Round {round_id} ({created[:10]})"
        db.execute(
            "INSERT INTO rounds (id, name, survey, status, design, questionnaire_id, created_by, created_at, expires_at)"
            " VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?)",
            [
                round_id,
                name,
                survey,
                json.dumps(design, ensure_ascii=False),
                qid,
                created_by,
                created,
                expires,
            ],
        )
        db.conn.executemany(
            "INSERT INTO round_strata (round_id, stratum, population, sample_size, reserve_size, start, next_start)"
            " VALUES (?,?,?,?,?,?,?)",
            [(round_id, s.stratum, s.N_h, s.n_h, s.reserve_h, s.start, s.next_start) for s in stratum_rows],
        )
        db.conn.executemany(
            "INSERT INTO assignments (id, round_id, customer_id, stratum, prn, pi, weight, is_reserve, status,"
            " token_hash, expires_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        db.conn.executemany(
            "UPDATE customers SET last_surveyed_at = ? WHERE id = ?", [(created, cid) for cid in sampled_ids]
        )
        audit(db, created_by, "draw", f"round={round_id} size={size} strata={','.join(strata)} {allocation}")
    return DrawResult(round_id, name, len(sampled_ids), len(rows) - len(sampled_ids), tuple(stratum_rows))


def list_rounds(db: sqlite_utils.Database) -> list[dict]:
    """Rounds, newest first, with sample and completion counts."""
    sql = """
        SELECT r.id, r.name, r.status, r.created_at, r.expires_at,
               SUM(a.is_reserve = 0) AS sampled,
               SUM(a.status = 'complete') AS completed
        FROM rounds r LEFT JOIN assignments a ON a.round_id = r.id
        GROUP BY r.id ORDER BY r.id DESC
    """
    cols = ("id", "name", "status", "created_at", "expires_at", "sampled", "completed")
    return [dict(zip(cols, r, strict=True)) for r in db.execute(sql)]


def get_round(db: sqlite_utils.Database, round_id: int) -> dict:
    row = db.execute(
        "SELECT id, name, status, design, questionnaire_id, created_at, expires_at, closed_at FROM rounds WHERE id = ?",
        [round_id],
    ).fetchone()
    if row is None:
        raise LookupError(f"round {round_id!r} does not exist")
    cols = ("id", "name", "status", "design", "questionnaire_id", "created_at", "expires_at", "closed_at")
    out = dict(zip(cols, row, strict=True))
    out["design"] = json.loads(out["design"])
    return out


def round_strata(db: sqlite_utils.Database, round_id: int) -> list[dict]:
    cols = ("stratum", "N_h", "n_h", "reserve_h", "start", "next_start")
    return [
        dict(zip(cols, r, strict=True))
        for r in db.execute(
            "SELECT stratum, population, sample_size, reserve_size, start, next_start FROM round_strata"
            " WHERE round_id = ? ORDER BY stratum",
            [round_id],
        )
    ]


def close_round(db: sqlite_utils.Database, round_id: int, *, by: str | None = None) -> None:
    """Close a round: from now on its links accept no answers."""
    with transaction(db):
        get_round(db, round_id)
        db.execute("UPDATE rounds SET status = 'closed', closed_at = ? WHERE id = ?", [now(), round_id])
        audit(db, by, "close_round", f"round={round_id}")
