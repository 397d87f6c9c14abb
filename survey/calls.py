"""Phone interviews (电话回访): the call list, call attempts with AAPOR dispositions, reserve release.

Every call attempt is a row of ``calls`` (never overwritten); the assignment's ``status`` holds the
latest outcome. Outcome codes are those of :data:`analysis.rates.DISPOSITION_CLASS` (AAPOR 2023,
*Standard Definitions*): complete (1.1), partial (1.2), refusal (2.11), non_contact (2.20),
callback (2.21, an appointment that has not yet become an interview), wrong_number (4.3) and
not_eligible (4.x). A unit found not eligible is replaced by the next reserve unit of its stratum
in PRN rotation order — the rule picks it, never the interviewer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from survey.busy import busy_is_retry
from survey.fieldwork import INELIGIBLE_STATUSES, submit_by_assignment
from survey.store import audit, now, transaction
from survey.users import region_filter

#: Outcomes an interviewer records with :func:`record_call` (a complete goes through :func:`complete_by_phone`).
CALL_OUTCOMES = ("partial", "refusal", "non_contact", "callback", "wrong_number", "not_eligible")
#: Every outcome a call can have.
OUTCOMES = ("complete", *CALL_OUTCOMES)


class CallError(Exception):
    "The call cannot be recorded for this assignment."


class NoReserve(Exception):
    "The stratum has no reserve unit left to release."


@dataclass(frozen=True)
class ReleasedReserve:
    """The reserve unit released to replace an ineligible one."""

    assignment_id: int
    customer_id: str
    stratum: str
    prn: float
    replaces: int


def _open_assignment(db: sqlite_utils.Database, assignment_id: int) -> None:
    """Refuse calls on a unit that does not exist, is of a closed round, an unreleased reserve or answered."""
    row = db.execute(
        "SELECT a.round_id, a.status, a.is_reserve, a.released_at, r.status"
        " FROM assignments a JOIN rounds r ON r.id = a.round_id WHERE a.id = ?",
        [assignment_id],
    ).fetchone()
    if row is None:
        raise LookupError(f"assignment {assignment_id!r} does not exist")
    round_id, status, is_reserve, released_at, round_status = row
    if round_status != "open":
        raise CallError(f"round {round_id} is closed: no more calls can be recorded")
    if is_reserve and not released_at:
        raise CallError(f"assignment {assignment_id} is an unreleased reserve unit")
    if status == "complete":
        raise CallError(f"assignment {assignment_id} has already answered")


def _timestamp(value: str | datetime | None, name: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if not isinstance(value, str):
        raise TypeError(f"{name} must be an ISO date-time string or datetime, but got {value!r}")
    try:
        return datetime.fromisoformat(value).replace(microsecond=0).isoformat()
    except ValueError:
        raise ValueError(
            f"{name} must be an ISO date-time like 2026-11-20T15:30, but got {value!r}"
        ) from None


def record_call(
    db: sqlite_utils.Database,
    assignment_id: int,
    outcome: str,
    *,
    interviewer: str,
    region: str | None = None,
    callback_at: str | datetime | None = None,
    note: str | None = None,
) -> int:
    """Store one call attempt and set the assignment's status to its outcome; return the call id.

    Parameters
    ----------
    outcome : str
        One of :data:`CALL_OUTCOMES`; ``callback`` needs ``callback_at`` (when to call again).
    interviewer : str
        Who called (stored with the attempt and in the audit log).

    Raises
    ------
    CallError
        If the round is closed, the unit already answered or is an unreleased reserve.
    """
    if outcome not in CALL_OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(CALL_OUTCOMES)}, but got {outcome!r}")
    if not isinstance(interviewer, str) or not interviewer.strip():
        raise ValueError(f"interviewer must be a non-empty name, but got {interviewer!r}")
    when = _timestamp(callback_at, "callback_at")
    if outcome == "callback" and when is None:
        raise ValueError("callback_at is required for outcome 'callback'")
    with transaction(db):
        _in_scope(db, assignment_id, region)
        _open_assignment(db, assignment_id)
        call_id = _insert_call(db, assignment_id, outcome, interviewer, when, note)
        db.execute(
            "UPDATE assignments SET status = ?, mode = 'phone', updated_at = ? WHERE id = ?",
            [outcome, now(), assignment_id],
        )
        audit(db, interviewer, "record_call", f"assignment={assignment_id} outcome={outcome}")
    return call_id


def _in_scope(db: sqlite_utils.Database, assignment_id: int, region: str | None) -> None:
    """Refuse a unit outside the caller's region scope (None = all regions): a scoped interviewer records
    calls, interviews and reserve releases of their regions only, on the page and the CLI alike."""
    from survey.access import NotPermitted, outside_scope

    row = db.execute("SELECT region FROM assignments WHERE id = ?", [assignment_id]).fetchone()
    unit_region = row[0] if row is not None else None
    if row is not None and outside_scope(region, [unit_region]):
        raise NotPermitted(f"assignment {assignment_id} is in {unit_region}, outside the regions {region}")


def _insert_call(db, assignment_id: int, outcome: str, interviewer: str, callback_at, note) -> int:
    return db.execute(
        "INSERT INTO calls (assignment_id, at, interviewer, outcome, callback_at, note) VALUES (?, ?, ?, ?, ?, ?)"
        " RETURNING id",
        [assignment_id, now(), interviewer, outcome, callback_at, (note or "").strip() or None],
    ).fetchone()[0]


def complete_by_phone(
    db: sqlite_utils.Database,
    assignment_id: int,
    answers: dict,
    *,
    interviewer: str,
    note: str | None = None,
    region: str | None = None,
) -> int:
    """Store a phone interview's answers (mode ``phone``) and its ``complete`` call, in one transaction.

    Raises ``questionnaires.AnswerError`` (naming each problem question) or ``TokenError`` as
    :func:`survey.fieldwork.submit_by_assignment`; then nothing is written.
    """
    with transaction(db):
        _in_scope(db, assignment_id, region)
        response_id = submit_by_assignment(db, assignment_id, answers, interviewer=interviewer, mode="phone")
        _insert_call(db, assignment_id, "complete", interviewer, None, note)
    return response_id


def save_interview_draft(
    db: sqlite_utils.Database, assignment_id: int, answers: dict, *, region: str | None = None
) -> None:
    """Keep a phone interview's answers typed so far (the unit's draft, the same one its web link resumes), so
    a reload, a new tab or another interviewer goes on where the call stopped. The unit's status is left as it
    is (the call list filtered by status keeps showing the customer being interviewed). Raises :class:`survey.busy.DatabaseBusy` when the write lock stays taken (nothing is
    written; the page keeps the answers)."""
    with busy_is_retry(), transaction(db):
        _in_scope(db, assignment_id, region)
        _open_assignment(db, assignment_id)
        db.execute(
            "UPDATE assignments SET draft = ?, updated_at = ? WHERE id = ?",
            [json.dumps(answers, ensure_ascii=False), now(), assignment_id],
        )


def interview_draft(db: sqlite_utils.Database, assignment_id: int) -> dict:
    """The unit's saved answers (from an interrupted phone interview or its web link), or ``{}``."""
    row = db.execute("SELECT draft FROM assignments WHERE id = ?", [assignment_id]).fetchone()
    return json.loads(row[0]) if row and row[0] else {}


def release_reserve(
    db: sqlite_utils.Database, assignment_id: int, by: str | None, *, region: str | None = None
) -> ReleasedReserve:
    """Release the next reserve unit of the stratum of an ineligible unit, in PRN rotation order.

    The reserve of stratum h holds the units that follow the sample in the order ``(prn − a_h) mod 1``
    (Ohlsson 1995 sequential SRS); taking them in that order keeps the replacement a random draw from
    the stratum (it is never cherry-picked). One unit is replaced at most once.

    Raises
    ------
    CallError
        If the unit is not marked wrong number / not eligible, or was already replaced.
    NoReserve
        If the stratum's reserve is used up.
    """
    with transaction(db):
        row = db.execute(
            "SELECT a.round_id, a.stratum, a.status, r.status FROM assignments a JOIN rounds r ON r.id = a.round_id"
            " WHERE a.id = ?",
            [assignment_id],
        ).fetchone()
        if row is None:
            raise LookupError(f"assignment {assignment_id!r} does not exist")
        _in_scope(db, assignment_id, region)
        round_id, stratum, status, round_status = row
        if round_status != "open":
            raise CallError(f"round {round_id} is closed: no reserve can be released")
        if status not in INELIGIBLE_STATUSES:
            raise CallError(
                f"assignment {assignment_id} must be marked {' or '.join(INELIGIBLE_STATUSES)} before it is"
                f" replaced, but its status is {status!r}"
            )
        if db.execute("SELECT 1 FROM assignments WHERE replaces_id = ?", [assignment_id]).fetchone():
            raise CallError(f"assignment {assignment_id} has already been replaced")
        start = db.execute(
            "SELECT start FROM round_strata WHERE round_id = ? AND stratum = ?", [round_id, stratum]
        ).fetchone()
        start = start[0] if start else 0.0
        reserve = db.execute(
            "SELECT id, customer_id, prn FROM assignments WHERE round_id = ? AND stratum = ? AND is_reserve = 1"
            " AND released_at IS NULL ORDER BY CASE WHEN prn >= ? THEN prn - ? ELSE prn - ? + 1 END, customer_id"
            " LIMIT 1",
            [round_id, stratum, start, start, start],
        ).fetchone()
        if reserve is None:
            raise NoReserve(f"stratum {stratum!r} of round {round_id} has no reserve unit left")
        reserve_id, customer_id, prn = reserve
        db.execute(
            "UPDATE assignments SET released_at = ?, status = 'issued', replaces_id = ?, updated_at = ? WHERE id = ?",
            [now(), assignment_id, now(), reserve_id],
        )
        audit(db, by, "release_reserve", f"round={round_id} stratum={stratum} replaces={assignment_id} "
              f"released={reserve_id}")  # fmt: skip
    return ReleasedReserve(reserve_id, customer_id, stratum, prn, assignment_id)


def call_list(
    db: sqlite_utils.Database,
    round_id: int,
    *,
    stratum: str | None = None,
    status: str | None = None,
    region: str | None = None,
) -> list[dict]:
    """The units of a round to call (sample and released reserve), with full contact data.

    Staff-only view (PIPL: the interviewer needs name and phone). Rows carry the number of call
    attempts, the last outcome time and any call-back appointment; ordered by stratum and PRN.
    """
    if db.execute("SELECT 1 FROM rounds WHERE id = ?", [round_id]).fetchone() is None:
        raise LookupError(f"round {round_id!r} does not exist")
    where, params = "", [round_id]
    for column, value in (("a.stratum", stratum), ("a.status", status)):
        if value is not None:
            where += f" AND {column} = ?"
            params.append(value)
    scope_sql, scope_params = region_filter("a.region", region)
    where += scope_sql
    params.extend(scope_params)
    sql = f"""
        SELECT a.id, a.customer_id, c.name, c.phone, a.region, a.district, a.stratum, a.status,
               COUNT(k.id), MAX(k.at),
               (SELECT callback_at FROM calls k2 WHERE k2.assignment_id = a.id ORDER BY k2.id DESC LIMIT 1)
        FROM assignments a JOIN customers c ON c.id = a.customer_id LEFT JOIN calls k ON k.assignment_id = a.id
        WHERE a.round_id = ? AND (a.is_reserve = 0 OR a.released_at IS NOT NULL){where}
        GROUP BY a.id, c.name, c.phone ORDER BY a.stratum, a.prn
    """  # noqa: S608 - column names are fixed above, values are parameters
    cols = ("assignment_id", "customer_id", "name", "phone", "region", "district", "stratum", "status",
            "attempts", "last_call_at", "callback_at")  # fmt: skip
    return [dict(zip(cols, r, strict=True)) for r in db.execute(sql, params)]


#: Statuses after which a unit is not called again in this round.
DONE_STATUSES = ("complete", "refusal", *INELIGIBLE_STATUSES)


def stratum_completion(db: sqlite_utils.Database, round_id: int) -> dict[str, float]:
    """Per stratum, completed interviews ÷ sampled units (sample and released reserve): how far each is."""
    rows = db.execute(
        "SELECT stratum, SUM(CAST(status = 'complete' AS INTEGER)), COUNT(*) FROM assignments WHERE round_id = ?"
        " AND (is_reserve = 0 OR released_at IS NOT NULL) GROUP BY stratum",
        [round_id],
    ).fetchall()
    return {stratum: done / n for stratum, done, n in rows if n}


def call_queue(rows: list[dict], *, now_local: str, completion: dict[str, float] | None = None) -> list[dict]:
    """The call list in the order to work it: call-backs that are due (earliest first), then units never
    called, then the others (longest since the last call first), then call-backs not yet due, then units that
    are done (complete, refused, not eligible). Call-backs go by their appointment; within the other groups
    the strata furthest behind (lowest share completed) come first, then the draw's PRN order. ``now_local`` is the local time as ISO text (call-backs
    are typed in local time).
    """
    completion = completion or {}

    def key(item: tuple[int, dict]) -> tuple:
        position, row = item
        callback = row.get("callback_at")
        if row["status"] in DONE_STATUSES:
            group, when = 4, ""
        elif callback and callback <= now_local:
            group, when = 0, callback
        elif not row.get("attempts"):
            group, when = 1, ""
        elif callback:
            group, when = 3, callback
        else:
            group, when = 2, row.get("last_call_at") or ""
        behind = completion.get(row["stratum"], 0.0)
        return (group, when, behind, position) if group in (0, 3) else (group, behind, when, position)

    return [row for _, row in sorted(enumerate(rows), key=key)]


def call_history(db: sqlite_utils.Database, assignment_id: int) -> list[dict]:
    """Every call attempt of one assignment, oldest first."""
    cols = ("at", "interviewer", "outcome", "callback_at", "note")
    return [
        dict(zip(cols, r, strict=True))
        for r in db.execute(
            "SELECT at, interviewer, outcome, callback_at, note FROM calls WHERE assignment_id = ? ORDER BY id",
            [assignment_id],
        )
    ]


def open_contact(
    db: sqlite_utils.Database, assignment_id: int, *, by: str | None, region: str | None = None
) -> dict:
    """Full name and phone of one unit for the interviewer, audited as a read of personal data.

    ``region`` is the interviewer's scope (None = all regions): a unit of another region is not found.
    """
    scope_sql, scope_params = region_filter("a.region", region)
    row = db.execute(
        "SELECT a.id, a.round_id, a.customer_id, c.name, c.phone, a.region, a.district, a.customer_type,"  # noqa: S608
        " a.stratum, a.status FROM assignments a JOIN customers c ON c.id = a.customer_id WHERE a.id = ?"
        + scope_sql,
        [assignment_id, *scope_params],
    ).fetchone()
    if row is None:
        raise LookupError(
            f"assignment {assignment_id!r} does not exist" + (f" in {region}" if region else "")
        )
    cols = ("assignment_id", "round_id", "customer_id", "name", "phone", "region", "district",
            "customer_type", "stratum", "status")  # fmt: skip
    contact = dict(zip(cols, row, strict=True))
    with transaction(db):
        audit(db, by, "view_contact", f"assignment={assignment_id} customer={contact['customer_id']}")
    return contact
