"""Rounds: draw (the SQLite engine of the PRN rule), listing and closing; design planning and overlap live in
:mod:`survey.design`, and the draw steps every engine shares (argument checks, sizes, start points, recording
the round) in :mod:`survey.draws` (both re-exported here).

The draw runs the sampling rule of DESIGN.md as index range scans on
``customers(region, customer_type, prn)``: per stratum ``prn >= a ORDER BY prn, id LIMIT n``
then, wrapping, ``prn < a``. It returns exactly the sample of
:func:`sampling.select.select_pandas` on the same eligible frame (tested).
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlite_utils

from sampling.allocation import MIN_PER_STRATUM
from sampling.select import stratum_key
from survey.access import STAFF_ROLES, require_all_regions, require_role
from survey.design import (
    ALLOCATIONS,
    ELIGIBLE,
    STRATUM_COLUMNS,
    DrawError,
    Overlap,
    eligibility_sql,
    eligible_counts,
    exclusion_cutoff,
    get_round,
    plan_round,
    previous_sd,
    round_overlap,
    round_strata,
)
from survey.draws import (
    ASSIGNMENT_COLUMNS,
    CELL_TOTALS,
    DrawResult,
    StratumDraw,
    _start_points,
    check_draw_arguments,
    planned_sizes,
    record_round,
    salt_id,
)
from survey.frame_apply import refuse_while_importing
from survey.store import audit, get_setting, now, set_setting, transaction
from survey.users import User

__all__ = [
    "ALLOCATIONS", "ASSIGNMENT_COLUMNS", "CELL_TOTALS", "ELIGIBLE", "STRATUM_COLUMNS", "DrawError", "DrawResult",
    "Overlap", "StratumDraw", "check_draw_arguments", "close_round", "draw_round", "eligible_counts",
    "frame_salt", "get_round", "list_rounds", "plan_round", "planned_sizes", "previous_sd", "record_round",
    "round_overlap", "round_strata", "salt_id",
]  # fmt: skip


def frame_salt(db: sqlite_utils.Database) -> str:
    """The frame's PRN salt (created once, never shown)."""
    salt = get_setting(db, "prn_salt")
    if salt is None:
        import secrets

        salt = secrets.token_hex(16)
        set_setting(db, "prn_salt", salt)
    return salt


def _scan(db, strata, values, where, params, start, limit) -> list[tuple]:
    """The rotation-order scan of one stratum: ``prn >= start`` then, wrapping, ``prn < start``.

    Rows are ``(id, prn, region, district, customer_type, urban_rural)``: the design and reporting variables as drawn."""
    eq = "".join(f" AND {c} = ?" for c in strata)
    base = f"SELECT id, prn, region, district, customer_type, urban_rural FROM customers WHERE {where}{eq}"  # noqa: S608
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
    minimum: int = MIN_PER_STRATUM,
    sd: Mapping[str, float] | None = None,
    cost: Mapping[str, float] | None = None,
    name: str | None = None,
    reserve: int = 0,
    survey: str = "default",
    questionnaire_id: int | None = None,
    exclude_days: int | None = None,
    expires_days: int = 30,
    created_by: str | None = None,
    by_user: User | None = None,
) -> DrawResult:
    """Design and draw a stratified sequential-SRS round, all in one transaction.

    Sizes from exactly one of ``size`` (allocated), ``margin`` (±e overall, or in every region with
    ``per_region``; see :func:`plan_round`: the smallest size whose allocation meets the target, or every
    customer and the shortfall in ``result.plan``) or precomputed ``sizes`` ``{stratum: n_h}``. Allocation by
    :func:`sampling.allocation.allocate` (``allocation``, ``power``, ``minimum`` — 2 by default —, ``sd``,
    ``cost``; Neyman and cost-optimal without ``sd`` take S_h from :func:`survey.design.design_sd`);
    selection by the PRN rule (Ohlsson 1995) starting, per stratum, where the previous round of the same
    survey ended (Tillé 2006, §7.2.3 rotation), so no customer is drawn twice by one survey before the stratum
    has been covered; a survey's first round starts at its own point
    (:func:`sampling.coordination.survey_start`), so different surveys overlap only as independent samples do.
    ``reserve`` units per stratum follow in PRN order. Base weight ``N_h / n_h`` (Lohr 2019, eq. 3.2).
    Customers surveyed within ``exclude_days`` days are not eligible. Everything needed to redraw the round
    identically (sizes, starts, cutoff, salt id, design options) is stored in ``rounds.design``.

    ``by_user`` is the acting account (None = the operator): a round spans every region's strata, so only
    staff or admins of all regions may draw (:class:`survey.access.NotPermitted` otherwise).
    """
    require_role(by_user, STAFF_ROLES, "drawing a round")
    require_all_regions(by_user, "drawing a round")
    created_by = created_by or (by_user.name if by_user else None)
    strata = tuple(strata)
    check_draw_arguments(
        strata, size=size, sizes=sizes, margin=margin, allocation=allocation, reserve=reserve
    )
    cutoff = exclusion_cutoff(exclude_days)
    where, params = eligibility_sql(cutoff)
    with transaction(db):
        refuse_while_importing(db)  # a running import's customers are not drawn until it has finished
        salt = frame_salt(db)
        counts = eligible_counts(db, strata, cutoff=cutoff)
        planned, plan, sd, cost = planned_sizes(
            db, strata, counts, size=size, sizes=sizes, margin=margin, per_region=per_region,
            confidence=confidence, response_rate=response_rate, allocation=allocation, power=power,
            minimum=minimum, sd=sd, cost=cost, survey=survey, cutoff=cutoff,
        )  # fmt: skip
        starts, offsets = _start_points(db, salt, survey, strata, [stratum_key(v) for v in counts])

        def scan(values: tuple, start: float, limit: int) -> list[tuple]:
            return _scan(db, strata, list(values), where, params, start, limit)

        cell_totals = {stratum_key(k): v for k, v in eligible_counts(db, CELL_TOTALS, cutoff=cutoff).items()}
        return record_round(
            db, scan, salt=salt, strata=strata, counts=counts, planned=planned, plan=plan, starts=starts,
            offsets=offsets, cell_totals=cell_totals, size=size, sizes=sizes, margin=margin,
            per_region=per_region, confidence=confidence, response_rate=response_rate, allocation=allocation,
            power=power, minimum=minimum, sd=sd, cost=cost, name=name, reserve=reserve, survey=survey,
            questionnaire_id=questionnaire_id, exclude_days=exclude_days, cutoff=cutoff,
            expires_days=expires_days, created_by=created_by, engine="sqlite-index-scan",
        )  # fmt: skip


def list_rounds(db: sqlite_utils.Database) -> list[dict]:
    """Rounds, newest first, with sample and completion counts."""
    sql = """
        SELECT r.id, r.name, r.status, r.created_at, r.expires_at,
               SUM(CAST(a.is_reserve = 0 AS INTEGER)) AS sampled,
               SUM(CAST(a.status = 'complete' AS INTEGER)) AS completed
        FROM rounds r LEFT JOIN assignments a ON a.round_id = r.id
        GROUP BY r.id ORDER BY r.id DESC
    """
    cols = ("id", "name", "status", "created_at", "expires_at", "sampled", "completed")
    return [dict(zip(cols, r, strict=True)) for r in db.execute(sql)]


def close_round(
    db: sqlite_utils.Database, round_id: int, *, by: str | None = None, by_user: User | None = None
) -> None:
    """Close a round: from now on its links accept no answers.

    A round spans every region's strata, so, like the draw, only staff or admins of all regions close it
    (``by_user``; None is the operator on the command line)."""
    from survey.access import STAFF_ROLES, require_all_regions, require_role

    require_role(by_user, STAFF_ROLES, "closing a round")
    require_all_regions(by_user, "closing a round")
    with transaction(db):
        get_round(db, round_id)
        db.execute("UPDATE rounds SET status = 'closed', closed_at = ? WHERE id = ?", [now(), round_id])
        audit(db, by, "close_round", f"round={round_id}")
