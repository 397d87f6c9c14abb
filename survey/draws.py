"""Draws: the steps of drawing a round that every engine of the PRN rule shares.

Both the SQLite index scan (:func:`survey.rounds.draw_round`) and the external frame engines
(:func:`survey.external_frames.draw_from_frame`) check the design arguments (:func:`check_draw_arguments`),
size the strata (:func:`planned_sizes`), find each stratum's start point (rotation or the survey's own
offset) and write the drawn round (:func:`record_round`, which returns a :class:`DrawResult`). The frame's
salt itself is :func:`survey.rounds.frame_salt`; :func:`salt_id` is its public name in a round's design.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlite_utils

from sampling.coordination import survey_start
from sampling.design import DesignPlan, plan_sizes
from sampling.select import stratum_key
from survey import dialect
from survey.design import ALLOCATIONS, DrawError, check_strata, design_inputs, domains_of, plan_round
from survey.forms import default_questionnaire_id, get_questionnaire
from survey.store import audit, ids_inserted, now
from survey.tokens import make_token, secret_key, token_hash


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
    """A drawn round: its id, name, sample and reserve sizes, the strata, and the plan it was drawn by (planned
    margins overall and per region, the margin target beside them, strata with fewer than 2 units)."""

    round_id: int
    name: str
    sample_size: int
    reserve_size: int
    strata: tuple[StratumDraw, ...] = field(default=())
    plan: DesignPlan | None = None


#: The cells whose eligible counts a round keeps as its post-stratification totals.
CELL_TOTALS = ("region", "customer_type")
#: The columns of a drawn assignment, in the order record_round builds its rows.
ASSIGNMENT_COLUMNS = ("id", "round_id", "customer_id", "stratum", "prn", "pi", "weight", "is_reserve", "status",
                      "token_hash", "expires_at", "updated_at", "region", "district", "customer_type",
                      "urban_rural")  # fmt: skip


def check_draw_arguments(
    strata: tuple[str, ...],
    *,
    size: int | None,
    sizes: Mapping[str, int] | None,
    margin: float | None,
    allocation: str,
    reserve: int,
) -> None:
    """Raise DrawError for design arguments that no frame can satisfy (checked before any counting)."""
    check_strata(strata)
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


def planned_sizes(
    db: sqlite_utils.Database,
    strata: tuple[str, ...],
    counts: Mapping[tuple, int],
    *,
    size: int | None,
    sizes: Mapping[str, int] | None,
    margin: float | None,
    per_region: bool,
    confidence: float,
    response_rate: float,
    allocation: str,
    power: float | None,
    minimum: int,
    sd: Mapping[str, float] | None,
    cost: Mapping[str, float] | None,
    survey: str,
    cutoff: str | None,
) -> tuple[dict[str, int], DesignPlan, Mapping[str, float] | None, Mapping[str, float] | None]:
    """``({stratum: n_h}, plan, sd, cost)`` of a design over the eligible counts ``counts`` (``{values: N_h}``, from the
    store or from an external frame's engine): allocated from ``size`` or ``margin`` by :func:`plan_round`, or
    the given ``sizes`` checked against N_h; ``sd`` and ``cost`` as the allocation used them (recorded
    with the round)."""
    total = sum(counts.values())
    if total == 0:
        raise DrawError("the frame has no eligible customers: import a customer frame first")
    if size is not None and size > total:
        raise DrawError(f"size must be at most the {total} eligible customers, but got {size}")
    keys = {stratum_key(v): v for v in counts}
    if sizes is None:
        sd, cost = design_inputs(db, strata, counts, allocation, sd, cost, survey=survey)
        plan = plan_round(
            db, strata=strata, size=size, margin=margin, per_region=per_region, confidence=confidence,
            response_rate=response_rate, allocation=allocation, power=power, minimum=minimum, sd=sd,
            cost=cost, survey=survey, cutoff=cutoff, counts=counts,
        )  # fmt: skip
        planned = plan.sizes
    else:
        planned = {str(k): v for k, v in sizes.items()}
        unknown = sorted(set(planned) - set(keys))
        if unknown:
            raise DrawError(f"sizes name strata without eligible customers: {unknown!r}")
        for k, v in planned.items():
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= counts[keys[k]]:
                raise DrawError(f"sizes[{k!r}] must be an integer in [0, {counts[keys[k]]}], but got {v!r}")
        plan = plan_sizes(
            {stratum_key(v): n for v, n in counts.items()}, planned, domains=domains_of(strata, counts),
            confidence=confidence, response_rate=response_rate,
        )  # fmt: skip
    if sum(planned.values()) == 0:
        raise DrawError("size must be a positive integer, but got 0")
    return planned, plan, sd, cost


def _previous_starts(db: sqlite_utils.Database, survey: str, strata: tuple[str, ...]) -> dict[str, float]:
    """Where the last round of the same survey and stratification ended, per stratum (rotation)."""
    rows = db.execute("SELECT id, design FROM rounds WHERE survey = ? ORDER BY id DESC", [survey]).fetchall()
    for round_id, design in rows:
        if tuple(json.loads(design).get("strata", [])) == tuple(strata):
            return dict(
                db.execute(
                    "SELECT stratum, next_start FROM round_strata WHERE round_id = ?", [round_id]
                ).fetchall()
            )
    return {}


def _start_points(
    db: sqlite_utils.Database, salt: str, survey: str, strata: tuple[str, ...], labels: list[str]
) -> tuple[dict[str, float], dict[str, float]]:
    """Start a_h of every stratum, and the strata that start at the survey's own offset.

    A stratum the survey's previous round (same stratification) drew continues where that round ended
    (rotation, Ohlsson 1995); any other — the survey's first round, or a stratum new to it — starts at
    :func:`sampling.coordination.survey_start` of the salt, the survey key and the stratum, so different surveys
    do not start at the same point (before issue 10 they all started at 0 and took the same customers).
    """
    previous = _previous_starts(db, survey, strata)
    offsets = {h: survey_start(salt, survey, h) for h in labels if h not in previous}
    return {h: float(previous[h]) if h in previous else offsets[h] for h in labels}, offsets


def record_round(
    db: sqlite_utils.Database,
    scan: Callable[[tuple, float, int], list[tuple]],
    *,
    salt: str,
    strata: tuple[str, ...],
    counts: Mapping[tuple, int],
    planned: Mapping[str, int],
    plan: DesignPlan,
    starts: Mapping[str, float],
    offsets: Mapping[str, float],
    cell_totals: Mapping[str, int],
    size: int | None,
    sizes: Mapping[str, int] | None,
    margin: float | None,
    per_region: bool,
    confidence: float,
    response_rate: float,
    allocation: str,
    power: float | None,
    minimum: int,
    sd: Mapping[str, float] | None,
    cost: Mapping[str, float] | None,
    name: str | None,
    reserve: int,
    survey: str,
    questionnaire_id: int | None,
    exclude_days: int | None,
    cutoff: str | None,
    expires_days: int,
    created_by: str | None,
    engine: str,
    design_extra: Mapping[str, object] | None = None,
) -> DrawResult:
    """Write a drawn round (rounds, round_strata, assignments with their tokens and snapshot, audit line), inside
    the caller's transaction.

    ``scan(values, a_h, limit)`` returns, in rotation order from ``a_h``, the first ``limit`` eligible customers
    of the stratum with stratum values ``values`` as ``(id, prn, region, district, customer_type, urban_rural)``
    rows — the SQLite index scan, or the sample an external engine selected. The PRN rule (Ohlsson 1995) takes
    the first ``n_h`` as the sample, the next ``r_h`` as the reserve, and the one after them is where the next
    round starts; base weight ``N_h / n_h`` (Lohr 2019, eq. 3.2).
    """
    keys = {stratum_key(v): v for v in counts}
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
        a_h = starts[label]
        # One scan of n_h + r_h + 1 units: the last one (if any) is where the next round starts.
        scanned = scan(values, a_h, n_h + r_h + 1) if n_h else []
        drawn = scanned[: n_h + r_h]
        next_start = float(scanned[len(drawn)][1]) if 0 < len(drawn) < N_h else a_h
        stratum_rows.append(StratumDraw(label, N_h, n_h, r_h, a_h, next_start))
        for pos, (cid, prn_value, *snapshot) in enumerate(drawn):
            aid = next_assignment + len(rows)
            is_reserve = pos >= n_h
            rows.append(
                (aid, round_id, cid, label, prn_value, n_h / N_h, N_h / n_h, int(is_reserve),
                 "reserve" if is_reserve else "issued", token_hash(make_token(key, aid)), expires, created,
                 *snapshot)
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
        "salt_id": salt_id(salt),
        "direction": "ascending",
        "engine": engine,
        "questionnaire_sha256": q_sha,
        "starts": {s.stratum: s.start for s in stratum_rows},
        "start_rule": _start_rule(len(offsets), len(keys)),
        "survey_offsets": dict(offsets),
        "planned_margin": _finite(plan.overall_margin),
        "domain_margins": {d: _finite(e) for d, e in plan.domain_margins.items()},
        "margin_met": plan.meets_target if plan.margin_checks else None,
        "thin_strata": list(plan.thin_strata),
        # eligible customers per region × type at the draw: the round's post-stratification totals
        "cell_totals": {"|".join(CELL_TOTALS): dict(cell_totals)},
        "eligibility": "active AND NOT opted_out AND has_valid_phone"
        + (" AND NOT sampled in a round created since exclusion_cutoff" if cutoff else ""),
        **(design_extra or {}),
    }
    # default name in the UI's first language, dated by the server's local calendar day
    name = name or f"第 {round_id} 轮抽样（{datetime.fromisoformat(created).astimezone():%Y-%m-%d}）"
    db.execute(
        "INSERT INTO rounds (id, name, survey, status, design, questionnaire_id, created_by, created_at, expires_at)"
        " VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?)",
        [round_id, name, survey, json.dumps(design, ensure_ascii=False), qid, created_by, created, expires],
    )
    db.conn.executemany(
        "INSERT INTO round_strata (round_id, stratum, population, sample_size, reserve_size, start, next_start)"
        " VALUES (?,?,?,?,?,?,?)",
        [(round_id, s.stratum, s.N_h, s.n_h, s.reserve_h, s.start, s.next_start) for s in stratum_rows],
    )
    dialect.bulk_insert(db, "assignments", ASSIGNMENT_COLUMNS, rows)  # COPY on PostgreSQL: 3,000 rows in ms
    ids_inserted(db, "rounds", "assignments")  # the explicit ids above (PostgreSQL: the identity follows)
    audit(
        db, created_by, "draw",
        f"round={round_id} size={len(sampled_ids)} strata={','.join(strata)} {allocation}"
        + (f" engine={engine}" if engine != "sqlite-index-scan" else ""),
    )  # fmt: skip
    return DrawResult(
        round_id, name, len(sampled_ids), len(rows) - len(sampled_ids), tuple(stratum_rows), plan
    )


def salt_id(salt: str) -> str:
    """The salt's public name in a round's design: the first 12 hex digits of its SHA-256 (never the salt)."""
    return hashlib.sha256(salt.encode()).hexdigest()[:12]


def _start_rule(offsets: int, strata: int) -> str:
    """How a round's strata started: all at the survey's own point, all rotating, or some of each."""
    if offsets == strata:
        return "survey-offset"
    return "rotation" if offsets == 0 else "rotation+survey-offset"


def _finite(x: float) -> float | None:
    """A margin for the JSON design: None when it cannot be computed (nan)."""
    return x if x == x else None
