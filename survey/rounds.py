"""Rounds: design, draw (the SQLite engine of the PRN rule), listing and closing.

The draw runs the sampling rule of DESIGN.md as index range scans on
``customers(region, customer_type, prn)``: per stratum ``prn >= a ORDER BY prn, id LIMIT n``
then, wrapping, ``prn < a``. It returns exactly the sample of
:func:`sampling.select.select_pandas` on the same eligible frame (tested).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlite_utils

from sampling.allocation import METHODS
from sampling.coordination import arc_length, arc_overlap
from sampling.design import ALL_DOMAIN, DesignPlan, plan_design
from sampling.select import stratum_key
from survey.forms import default_questionnaire_id, get_questionnaire
from survey.store import audit, get_setting, now, set_setting, transaction
from survey.tokens import make_token, secret_key, token_hash
from survey.users import parse_regions, region_filter

#: Frame columns that may define strata (column names cannot be SQL parameters, so whitelist).
STRATUM_COLUMNS = ("region", "district", "customer_type", "urban_rural")
ALLOCATIONS = METHODS
ELIGIBLE = "active = 1 AND opted_out = 0 AND has_valid_phone = 1"


class DrawError(Exception):
    "The round cannot be drawn as designed."


@dataclass(frozen=True)
class StratumDraw:
    """One stratum of a drawn round: N_h, n_h, reserve r_h, start point and where the next round starts."""

    stratum: str
    N_h: int
    n_h: int
    reserve_h: int
    start: float
    next_start: float


@dataclass(frozen=True)
class DrawResult:
    """A drawn round: its id, name, sample and reserve sizes, and the strata."""

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


def _cutoff(exclude_days: int | None) -> str | None:
    if not exclude_days:
        return None
    if isinstance(exclude_days, bool) or not isinstance(exclude_days, int) or exclude_days < 0:
        raise DrawError(f"exclude_days must be a non-negative integer, but got {exclude_days!r}")
    return (datetime.now(UTC) - timedelta(days=exclude_days)).replace(microsecond=0).isoformat()


_RECENT = (
    "SELECT a.customer_id FROM assignments a JOIN rounds r ON r.id = a.round_id"
    " WHERE r.created_at >= ? AND (a.is_reserve = 0 OR a.released_at IS NOT NULL)"
)


def _eligibility_sql(cutoff: str | None) -> tuple[str, list]:
    """Eligible: active, not opted out, valid phone, and not sampled in a round created since ``cutoff``."""
    if cutoff is None:
        return ELIGIBLE, []
    return ELIGIBLE + f" AND id NOT IN ({_RECENT})", [cutoff]


def eligible_counts(
    db: sqlite_utils.Database,
    strata: tuple[str, ...] | list[str],
    *,
    exclude_days: int | None = None,
    cutoff: str | None = None,
) -> dict[tuple, int]:
    """``{stratum values: N_h}`` over eligible customers (active, not opted out, valid phone, not sampled
    since ``cutoff`` or within ``exclude_days``).

    Read from the trigger-maintained ``frame_cells`` table (migration 2) minus the recently sampled
    customers, so counting costs the same on 10,000 or 10,000,000 customers.
    """
    _check_strata(strata)
    cutoff = cutoff or _cutoff(exclude_days)
    cols = ", ".join(strata) if strata else "'all'"
    counts: dict[tuple, int] = {}
    for row in db.execute(f"SELECT {cols}, SUM(eligible) FROM frame_cells GROUP BY {cols}"):  # noqa: S608
        counts[tuple(row[:-1]) if strata else ()] = row[-1]
    if cutoff is not None:
        recent = db.execute(
            f"SELECT {cols}, COUNT(*) FROM customers WHERE {ELIGIBLE}"  # noqa: S608
            f" AND id IN (SELECT DISTINCT customer_id FROM ({_RECENT})) GROUP BY {cols}",
            [cutoff],
        ).fetchall()
        for row in recent:
            key = tuple(row[:-1]) if strata else ()
            counts[key] = counts.get(key, 0) - row[-1]
    return {k: v for k, v in sorted(counts.items()) if v > 0}


def _check_strata(strata) -> None:
    for col in strata:
        if col not in STRATUM_COLUMNS:
            raise DrawError(f"stratum column must be one of {', '.join(STRATUM_COLUMNS)}, but got {col!r}")
    if len(set(strata)) != len(strata):
        raise DrawError(f"stratum columns repeat: {list(strata)!r}")


def _domains(strata: tuple[str, ...], counts: Mapping[tuple, int]) -> dict[str, str]:
    """Each stratum's domain for planning: its region when stratified by region, else ``"all"``."""
    pos = strata.index("region") if "region" in strata else None
    return {stratum_key(v): (str(v[pos]) if pos is not None else ALL_DOMAIN) for v in counts}


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


def previous_sd(
    db: sqlite_utils.Database,
    strata: tuple[str, ...] | list[str],
    *,
    survey: str = "default",
    item: str = "overall",
) -> dict[str, float] | None:
    """Per-stratum SD of ``item`` scores in the last closed round of ``survey`` (for Neyman allocation).

    Sample standard deviation ``s_h`` (divisor ``m_h − 1``) of the respondents' numeric answers, grouped by
    the *current* stratum columns of each respondent (Cochran 1977, §5.5: Neyman allocation needs S_h,
    usually from a previous survey). Strata with fewer than two answers get the pooled SD.
    None when the survey has no closed round with numeric answers.
    """
    strata = tuple(strata)
    _check_strata(strata)
    row = db.execute(
        "SELECT id FROM rounds WHERE survey = ? AND status = 'closed' ORDER BY id DESC LIMIT 1", [survey]
    ).fetchone()
    if row is None:
        return None
    cols = ", ".join(f"c.{c}" for c in strata) or "'all'"
    sql = f"""
        SELECT {cols}, COUNT(*), AVG(CAST(an.value AS REAL)), AVG(CAST(an.value AS REAL) * CAST(an.value AS REAL))
        FROM answers an JOIN responses r ON r.id = an.response_id JOIN assignments a ON a.id = r.assignment_id
        JOIN customers c ON c.id = a.customer_id
        WHERE a.round_id = ? AND an.question_id = ? AND an.value GLOB '[0-9]*'
        GROUP BY {cols}
    """  # noqa: S608
    groups = db.execute(sql, [row[0], item]).fetchall()
    k = max(len(strata), 1)
    stats = {stratum_key(g[:k]) if strata else "all": (g[k], g[k + 1], g[k + 2]) for g in groups}
    n = sum(m for m, _, _ in stats.values())
    if n < 2:
        return None
    mean = sum(m * mu for m, mu, _ in stats.values()) / n
    pooled = (sum(m * sq for m, _, sq in stats.values()) / n - mean * mean) * n / (n - 1)
    out = {}
    for key, (m, mu, sq) in stats.items():
        out[key] = max((sq - mu * mu) * m / (m - 1), 0.0) ** 0.5 if m >= 2 else max(pooled, 0.0) ** 0.5
    out["*"] = max(pooled, 0.0) ** 0.5
    return out


def plan_round(
    db: sqlite_utils.Database,
    *,
    strata: tuple[str, ...] | list[str] = ("region", "customer_type"),
    size: int | None = None,
    margin: float | None = None,
    per_region: bool = False,
    confidence: float = 0.95,
    response_rate: float = 1.0,
    allocation: str = "proportional",
    power: float | None = None,
    minimum: int = 0,
    sd: Mapping[str, float] | None = None,
    cost: Mapping[str, float] | None = None,
    exclude_days: int | None = None,
    cutoff: str | None = None,
    counts: Mapping[tuple, int] | None = None,
) -> DesignPlan:
    """The plan (per-stratum N_h, n_h, expected completes, weight, expected margins) of a design on today's
    frame, without drawing: :func:`sampling.design.plan_design` over :func:`eligible_counts`."""
    strata = tuple(strata)
    if counts is None:
        counts = eligible_counts(db, strata, exclude_days=exclude_days, cutoff=cutoff)
    if not counts:
        raise DrawError("the frame has no eligible customers: import a customer frame first")
    if allocation not in ALLOCATIONS:
        raise DrawError(f"allocation must be one of {', '.join(ALLOCATIONS)}, but got {allocation!r}")
    if size is not None:
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise DrawError(f"size must be a positive integer, but got {size!r}")
        total = sum(counts.values())
        if size > total:
            raise DrawError(f"size must be at most the {total} eligible customers, but got {size}")
    populations = {stratum_key(v): n for v, n in counts.items()}
    if sd is not None and "*" in sd:  # fill strata the previous round did not reach with the pooled SD
        sd = {h: sd.get(h, sd["*"]) for h in populations}
    try:
        return plan_design(
            populations, domains=_domains(strata, counts), size=size, margin=margin, per_domain=per_region,
            confidence=confidence, response_rate=response_rate, allocation=allocation, power=power,
            minimum=minimum, sd=sd, cost=cost,
        )  # fmt: skip
    except (TypeError, ValueError) as e:
        raise DrawError(str(e)) from e


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
    size: int | None = None,
    sizes: Mapping[str, int] | None = None,
    margin: float | None = None,
    per_region: bool = False,
    confidence: float = 0.95,
    response_rate: float = 1.0,
    strata: tuple[str, ...] | list[str] = ("region", "customer_type"),
    allocation: str = "proportional",
    power: float | None = None,
    minimum: int = 0,
    sd: Mapping[str, float] | None = None,
    cost: Mapping[str, float] | None = None,
    name: str | None = None,
    reserve: int = 0,
    survey: str = "default",
    questionnaire_id: int | None = None,
    exclude_days: int | None = None,
    expires_days: int = 30,
    created_by: str | None = None,
) -> DrawResult:
    """Design and draw a stratified sequential-SRS round, all in one transaction.

    Sizes from exactly one of ``size`` (allocated), ``margin`` (±e overall, or in every region with
    ``per_region``; see :func:`plan_round`) or precomputed ``sizes`` ``{stratum: n_h}``. Allocation by
    :func:`sampling.allocation.allocate` (``allocation``, ``power``, ``minimum``, ``sd``, ``cost``);
    selection by the PRN rule (Ohlsson 1995) starting, per stratum, where the previous round of the same
    survey ended (Tillé 2006, §7.2.3 rotation), so no customer is drawn twice before the stratum has been
    covered. ``reserve`` units per stratum follow in PRN order. Base weight ``N_h / n_h`` (Lohr 2019, eq. 3.2).
    Customers surveyed within ``exclude_days`` days are not eligible. Everything needed to redraw the round
    identically (sizes, starts, cutoff, salt id, design options) is stored in ``rounds.design``.
    """
    strata = tuple(strata)
    _check_strata(strata)
    if sum(x is not None for x in (size, sizes, margin)) != 1:
        raise DrawError(
            f"give exactly one of size, sizes and margin, but got {size=!r}, {sizes=!r}, {margin=!r}"
        )
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size <= 0):
        raise DrawError(f"size must be a positive integer, but got {size!r}")
    if allocation not in ALLOCATIONS:
        raise DrawError(f"allocation must be one of {', '.join(ALLOCATIONS)}, but got {allocation!r}")
    if isinstance(reserve, bool) or not isinstance(reserve, int) or reserve < 0:
        raise DrawError(f"reserve must be >= 0, but got {reserve!r}")
    cutoff = _cutoff(exclude_days)
    where, params = _eligibility_sql(cutoff)
    with transaction(db):
        salt = frame_salt(db)
        counts = eligible_counts(db, strata, cutoff=cutoff)
        total = sum(counts.values())
        if total == 0:
            raise DrawError("the frame has no eligible customers: import a customer frame first")
        if size is not None and size > total:
            raise DrawError(f"size must be at most the {total} eligible customers, but got {size}")
        keys = {stratum_key(v): v for v in counts}
        if sizes is None:
            planned = plan_round(
                db, strata=strata, size=size, margin=margin, per_region=per_region, confidence=confidence,
                response_rate=response_rate, allocation=allocation, power=power, minimum=minimum, sd=sd,
                cost=cost, cutoff=cutoff, counts=counts,
            ).sizes  # fmt: skip
        else:
            planned = {str(k): v for k, v in sizes.items()}
            unknown = sorted(set(planned) - set(keys))
            if unknown:
                raise DrawError(f"sizes name strata without eligible customers: {unknown!r}")
            for k, v in planned.items():
                if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= counts[keys[k]]:
                    raise DrawError(
                        f"sizes[{k!r}] must be an integer in [0, {counts[keys[k]]}], but got {v!r}"
                    )
        if sum(planned.values()) == 0:
            raise DrawError("size must be a positive integer, but got 0")
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
            N_h, n_h = counts[values], int(planned.get(label, 0))
            r_h = min(reserve, N_h - n_h) if n_h else 0
            a_h = float(starts.get(label, 0.0))
            # One scan of n_h + r_h + 1 units: the last one (if any) is where the next round starts.
            scanned = _scan(db, strata, list(values), where, params, a_h, n_h + r_h + 1) if n_h else []
            drawn = scanned[: n_h + r_h]
            next_start = float(scanned[len(drawn)][1]) if 0 < len(drawn) < N_h else a_h
            stratum_rows.append(StratumDraw(label, N_h, n_h, r_h, a_h, next_start))
            for pos, (cid, prn_value) in enumerate(drawn):
                aid = next_assignment + len(rows)
                is_reserve = pos >= n_h
                rows.append(
                    (aid, round_id, cid, label, prn_value, n_h / N_h, N_h / n_h, int(is_reserve),
                     "reserve" if is_reserve else "issued", token_hash(make_token(key, aid)), expires, created)
                )  # fmt: skip
                if not is_reserve:
                    sampled_ids.append(cid)
        design = {
            "size": len(sampled_ids),
            "sizing": "sizes" if sizes is not None else ("margin" if margin is not None else "size"),
            "margin": margin,
            "per_region": bool(per_region),
            "confidence": confidence,
            "response_rate": response_rate,
            "strata": list(strata),
            "allocation": allocation,
            "power": power,
            "minimum": minimum,
            "sd": dict(sd) if sd is not None else None,
            "cost": dict(cost) if cost is not None else None,
            "sizes": {s.stratum: s.n_h for s in stratum_rows},
            "reserve": reserve,
            "survey": survey,
            "exclude_days": exclude_days,
            "exclusion_cutoff": cutoff,
            "expires_days": expires_days,
            "salt_id": hashlib.sha256(salt.encode()).hexdigest()[:12],
            "direction": "ascending",
            "engine": "sqlite-index-scan",
            "questionnaire_sha256": q_sha,
            "starts": {s.stratum: s.start for s in stratum_rows},
            "eligibility": "active AND NOT opted_out AND has_valid_phone"
            + (" AND NOT sampled in a round created since exclusion_cutoff" if cutoff else ""),
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
        audit(
            db, created_by, "draw",
            f"round={round_id} size={len(sampled_ids)} strata={','.join(strata)} {allocation}",
        )  # fmt: skip
    return DrawResult(round_id, name, len(sampled_ids), len(rows) - len(sampled_ids), tuple(stratum_rows))


@dataclass(frozen=True)
class Overlap:
    """Overlap of a round's sample with one earlier round of the same survey."""

    round_id: int
    earlier_round_id: int
    earlier_name: str
    expected: float
    actual: int


def round_overlap(db: sqlite_utils.Database, round_id: int, *, region: str | None = None) -> list[Overlap]:
    """Expected and actual overlap of a round's sample with every earlier round of the same survey.

    Actual: customers sampled (not reserve, or released reserve) in both rounds. Expected: per stratum,
    ``N_h`` × the length of the intersection of the PRN arcs the two rounds covered, ``[start, next_start)``
    (:func:`sampling.coordination.arc_overlap`, Ohlsson 1995), ≈ 0 until the stratum has been
    covered; rounds with another stratification get the independent-sample value ``n_a·n_b/N``
    (Lohr 2019, §2.3). ``region`` limits both to one region's customers.
    """
    this = get_round(db, round_id)
    survey = db.execute("SELECT survey FROM rounds WHERE id = ?", [round_id]).fetchone()[0]
    strata = this["design"].get("strata", [])
    mine = {s["stratum"]: s for s in round_strata(db, round_id)}
    in_region, region_params = region_filter("c.region", region)
    regions = parse_regions(region)
    out = []
    for earlier_id, earlier_name, design in db.execute(
        "SELECT id, name, design FROM rounds WHERE survey = ? AND id < ? ORDER BY id", [survey, round_id]
    ).fetchall():
        sampled = "(a{0}.is_reserve = 0 OR a{0}.released_at IS NOT NULL)"
        actual = db.execute(
            "SELECT COUNT(*) FROM assignments a1 JOIN assignments a2 ON a2.customer_id = a1.customer_id"  # noqa: S608
            " JOIN customers c ON c.id = a1.customer_id"
            f" WHERE a1.round_id = ? AND a2.round_id = ? AND {sampled.format(1)} AND {sampled.format(2)}{in_region}",
            [round_id, earlier_id, *region_params],
        ).fetchone()[0]
        theirs = {s["stratum"]: s for s in round_strata(db, earlier_id)}
        expected = 0.0
        same = json.loads(design).get("strata", []) == strata
        for label, s in mine.items():
            if regions and (
                ("region" not in strata) or label.split("|")[strata.index("region")] not in regions
            ):
                continue
            if same and label in theirs:
                e = theirs[label]
                la = arc_length(e["start"], e["next_start"], e["n_h"] + e["reserve_h"], e["N_h"])
                lb = arc_length(s["start"], s["next_start"], s["n_h"] + s["reserve_h"], s["N_h"])
                expected += s["N_h"] * arc_overlap(e["start"], la, s["start"], lb)
            elif not same:
                n_earlier = sum(e["n_h"] for e in theirs.values())
                N_earlier = sum(e["N_h"] for e in theirs.values()) or 1
                expected += s["n_h"] * n_earlier / N_earlier
        out.append(Overlap(round_id, earlier_id, earlier_name, expected, actual))
    return out


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
