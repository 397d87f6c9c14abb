"""Close the loop: follow-up items for unhappy customers (issue 5).

A response opens one follow-up item when its overall or attitude score is 2 or lower, or when
the topic model's complaint decision says its suggestion complains (``survey.topic_models``: the store's
current model, else the model trained from the shipped corpus, else the phrase dictionary; a staff
correction of the suggestion overrides the model). Praise of a topic is not a complaint about it.
The item carries the reasons, the customer's region, a due date (submission time + the SLA in
days kept in ``settings``), an owner, a status ``open → contacted → resolved`` and a note.
Every change and every read of a customer's phone number is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pandas as pd
import sqlite_utils

from analysis.suggestions import load_topics
from analysis.topic_model import TopicPrediction, dictionary_predictions
from survey.access import require_admin
from survey.privacy import mask_name, mask_phone
from survey.store import audit, get_setting, now, set_setting, transaction
from survey.users import parse_regions, region_filter

STATUSES = ("open", "contacted", "resolved")
SLA_SETTING = "follow_up_sla_days"
DEFAULT_SLA_DAYS = 3
LOW_SCORE = 2
LOW_SCORE_ITEMS = ("overall", "attitude")

__all__ = [
    "DEFAULT_SLA_DAYS",
    "STATUSES",
    "FollowUpError",
    "follow_up_counts",
    "follow_up_reasons",
    "get_sla_days",
    "list_follow_ups",
    "open_for_response",
    "reveal_phone",
    "set_sla_days",
    "sync_follow_ups",
    "update_follow_up",
]


class FollowUpError(Exception):
    "A follow-up item cannot be read or changed as asked."


def get_sla_days(db: sqlite_utils.Database) -> int:
    """Days allowed to call an unhappy customer back (setting ``follow_up_sla_days``, default 3)."""
    value = get_setting(db, SLA_SETTING)
    return int(value) if value is not None else DEFAULT_SLA_DAYS


def set_sla_days(
    db: sqlite_utils.Database, days: int, *, user: str | None, role: str | None, region: str | None = None
) -> None:
    """Change the SLA for items opened from now on (audited); ``days`` must be in [1, 90].

    The SLA is company-wide: only an admin of all regions (``role`` and ``region``, the acting account's)
    may change it (:class:`survey.access.NotPermitted` otherwise, and nothing is written).
    """
    require_admin(role, "changing the follow-up SLA", region)
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError(f"days must be an integer, but got {type(days).__name__}")
    if not 1 <= days <= 90:
        raise ValueError(f"days must be in [1, 90], but got {days!r}")
    with transaction(db):
        set_setting(db, SLA_SETTING, str(days))
        audit(db, user, "follow_up_sla", f"days={days}")


def _score(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _default_prediction(text: object) -> TopicPrediction:
    from survey.topic_models import dictionary_only, shipped_model

    model = None if dictionary_only() else shipped_model()
    return model.predict_one(text) if model is not None else dictionary_predictions([text])[0]


def follow_up_reasons(
    answers: dict[str, object], prediction: TopicPrediction | None = None
) -> tuple[str, ...]:
    """Why a response needs a call back: ``low_overall``, ``low_attitude``, ``complaint:<topics>``.

    ``prediction`` is the suggestion's classification (default: the shipped model's, else the
    dictionary's). A complaint names the topics complained about (``complaint:billing,repair``), or is
    plain ``complaint`` when it names none ("太差劲了").

    Examples
    --------
    >>> follow_up_reasons({"overall": "2", "attitude": "4", "suggestion": ""})
    ('low_overall',)
    >>> follow_up_reasons({"overall": "4", "attitude": "5", "suggestion": "无"})
    ()
    """
    reasons = []
    for item in LOW_SCORE_ITEMS:
        score = _score(answers.get(item))
        if score is not None and score <= LOW_SCORE:
            reasons.append(f"low_{item}")
    text = answers.get("suggestion")
    if prediction is None and isinstance(text, str) and text.strip():
        prediction = _default_prediction(text)
    if prediction is not None and prediction.complaint:
        topics = prediction.with_polarity("complaint")
        reasons.append("complaint:" + ",".join(topics) if topics else "complaint")
    return tuple(reasons)


def _due(submitted_at: str, days: int) -> str:
    start = datetime.fromisoformat(submitted_at)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    return (start + timedelta(days=days)).replace(microsecond=0).isoformat()


def warm_follow_up_rules() -> None:
    """Load the suggestion-topic dictionary and the shipped topic model now (cached per process), so the
    first submission of a process does not parse or train them while holding the database's write lock."""
    load_topics()
    from survey.topic_models import dictionary_only, shipped_model

    if not dictionary_only():
        shipped_model()


def _prediction(db: sqlite_utils.Database, response_id: int, text: object) -> TopicPrediction | None:
    """The suggestion's classification: a staff correction, else the stored one, else the current
    model's (then stored with its version); None without a suggestion."""
    from survey.topic_classification import classify_response, stored_prediction

    if not isinstance(text, str) or not text.strip():
        return None
    return stored_prediction(db, response_id) or classify_response(db, response_id, text)


def open_for_response(db: sqlite_utils.Database, response_id: int) -> int | None:
    """Open the follow-up item of one response if its answers call for one; return its id.

    Idempotent (one item per response; a second call returns the existing id and changes
    nothing) and safe inside an open transaction (it then joins it). ``None`` when the
    response needs no follow-up. Raises :class:`FollowUpError` for an unknown response.
    """
    row = db.execute(
        "SELECT r.submitted_at, a.round_id, a.region FROM responses r JOIN assignments a ON a.id = r.assignment_id"
        " WHERE r.id = ?",
        [response_id],
    ).fetchone()
    if row is None:
        raise FollowUpError(f"response_id must name a response, but {response_id!r} does not exist")
    existing = db.execute("SELECT id FROM follow_ups WHERE response_id = ?", [response_id]).fetchone()
    if existing:
        return existing[0]
    answers = dict(
        db.execute("SELECT question_id, value FROM answers WHERE response_id = ?", [response_id]).fetchall()
    )
    reasons = follow_up_reasons(answers, _prediction(db, response_id, answers.get("suggestion")))
    if not reasons:
        return None
    submitted_at, round_id, region = row
    return _open_item(db, response_id, reasons, submitted_at=submitted_at, round_id=round_id, region=region)


def open_for_new_response(
    db: sqlite_utils.Database,
    response_id: int,
    answers: Mapping[str, str | None],
    *,
    round_id: int,
    region: str | None,
    submitted_at: str,
) -> int | None:
    """:func:`open_for_response` for a response the caller's open transaction has just stored, with its
    answers as stored (``answers``: question id → stored text), its round, its region at the draw and its
    time: nothing is read back, and no item, classification or staff correction can exist for it yet — seven
    statements fewer per submission, the same item, classification and audit line."""
    from survey.topic_classification import classify_new_response

    text = answers.get("suggestion")
    has_text = isinstance(text, str) and bool(text.strip())
    prediction = classify_new_response(db, response_id, round_id, text) if has_text else None
    reasons = follow_up_reasons(answers, prediction)
    if not reasons:
        return None
    return _open_item(db, response_id, reasons, submitted_at=submitted_at, round_id=round_id, region=region)


def _open_item(
    db: sqlite_utils.Database, response_id: int, reasons: list[str], *, submitted_at: str, round_id: int,
    region: str | None,
) -> int:  # fmt: skip
    """Insert the response's follow-up item (one per response: an existing one is kept) and audit it."""
    stamp = now()
    with transaction(db):
        inserted = db.execute(
            "INSERT INTO follow_ups (response_id, reason, status, due_at, created_at, updated_at,"
            " round_id, region) VALUES (?, ?, 'open', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            [response_id, ";".join(reasons), _due(submitted_at, get_sla_days(db)), stamp, stamp, round_id,
             region],
        ).fetchall()  # fmt: skip
        if inserted:
            audit(db, None, "follow_up_open", f"response={response_id} reasons={';'.join(reasons)}")
            return inserted[0][0]
    return db.execute("SELECT id FROM follow_ups WHERE response_id = ?", [response_id]).fetchone()[0]


def sync_follow_ups(db: sqlite_utils.Database, round_id: int, *, region: str | None = None) -> int:
    """Backfill: open the items every response of the round calls for; return how many were new.

    ``region`` is the caller's scope (None = all regions; the region the customer had at the draw):
    a scoped manager backfills only their regions' items.
    """
    scope_sql, scope_params = region_filter("a.region", region)
    ids = [
        r[0]
        for r in db.execute(
            "SELECT r.id FROM responses r JOIN assignments a ON a.id = r.assignment_id"  # noqa: S608 (fixed text)
            " LEFT JOIN follow_ups f ON f.response_id = r.id WHERE a.round_id = ? AND f.id IS NULL"
            + scope_sql
            + " ORDER BY r.id",
            [round_id, *scope_params],
        ).fetchall()
    ]
    created = 0
    with transaction(db):
        for response_id in ids:
            created += open_for_response(db, response_id) is not None
    return created


def _scope_clause(region: str | None) -> tuple[str, list]:
    regions = parse_regions(region)
    if not regions:
        return "", []
    return f" AND f.region IN ({','.join('?' * len(regions))})", list(regions)


def list_follow_ups(
    db: sqlite_utils.Database,
    *,
    region: str | None = None,
    status: str | None = None,
    round_id: int | None = None,
    today: str | None = None,
) -> pd.DataFrame:
    """The queue, overdue items first, then by due date; names and phones masked.

    ``region`` is the user's scope (None = all; a comma-separated list is allowed). ``overdue``
    is true for items not resolved whose due date is before ``today`` (default now).
    """
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, but got {status!r}")
    clause, params = _scope_clause(region)
    if status is not None:
        clause, params = clause + " AND f.status = ?", [*params, status]
    if round_id is not None:
        clause, params = clause + " AND f.round_id = ?", [*params, round_id]
    sql = (
        "SELECT f.id, f.response_id, f.round_id, f.region, a.district, a.customer_type, c.name, c.phone,"
        " f.reason, f.status, f.owner, f.due_at, f.note, f.created_at, f.updated_at,"
        " (SELECT value FROM answers x WHERE x.response_id = f.response_id AND x.question_id = 'suggestion')"
        " FROM follow_ups f JOIN responses r ON r.id = f.response_id JOIN assignments a ON a.id = r.assignment_id"
        " JOIN customers c ON c.id = a.customer_id WHERE 1 = 1"
    )
    rows = db.execute(sql + clause, params).fetchall()  # clause: fixed text with ? placeholders
    columns = ["id", "response_id", "round_id", "region", "district", "customer_type", "name", "phone",
               "reason", "status", "owner", "due_at", "note", "created_at", "updated_at", "suggestion"]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    frame["name"] = frame["name"].map(mask_name)
    frame["phone"] = frame["phone"].map(mask_phone)
    moment = today or now()
    frame["overdue"] = (frame["status"] != "resolved") & (frame["due_at"].fillna("9999") < moment)
    frame = frame.sort_values(["overdue", "due_at", "id"], ascending=[False, True, True])
    return frame.reset_index(drop=True)


def follow_up_counts(
    db: sqlite_utils.Database, *, region: str | None = None, round_id: int | None = None
) -> dict:
    """Counts per status plus ``overdue`` and ``total`` for the user's scope."""
    frame = list_follow_ups(db, region=region, round_id=round_id)
    counts = {s: int((frame["status"] == s).sum()) for s in STATUSES}
    return {**counts, "overdue": int(frame["overdue"].sum()), "total": len(frame)}


def _item(db: sqlite_utils.Database, follow_up_id: int, region: str | None) -> dict:
    row = db.execute(
        "SELECT id, status, owner, note, region FROM follow_ups WHERE id = ?", [follow_up_id]
    ).fetchone()
    regions = parse_regions(region)
    item = (
        dict(zip(("id", "status", "owner", "note", "region"), row, strict=True)) if row is not None else None
    )
    if item is None or (regions and item["region"] not in regions):
        raise FollowUpError(f"follow_up_id {follow_up_id!r} is not a follow-up item in your scope")
    return item


def update_follow_up(
    db: sqlite_utils.Database,
    follow_up_id: int,
    *,
    user: str,
    region: str | None = None,
    status: str | None = None,
    owner: str | None = None,
    note: str | None = None,
) -> dict:
    """Change status, owner and/or note of an item in the user's ``region`` scope (audited).

    Statuses move forward ``open → contacted → resolved`` (a step may be skipped); moving back
    is refused except re-opening a resolved item as ``open``. Returns the updated item.
    """
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, but got {status!r}")
    if note is not None and len(note) > 2000:
        raise ValueError(f"note must be at most 2000 characters, but got {len(note)}")
    with transaction(db):
        item = _item(db, follow_up_id, region)
        changes = {}
        if status is not None and status != item["status"]:
            back = STATUSES.index(status) < STATUSES.index(item["status"])
            if back and not (item["status"] == "resolved" and status == "open"):
                raise FollowUpError(f"status cannot go back from {item['status']!r} to {status!r}")
            changes["status"] = status
        if owner is not None and (owner.strip() or None) != item["owner"]:
            changes["owner"] = owner.strip() or None
        if note is not None and note != (item["note"] or ""):
            changes["note"] = note
        if changes:
            sets = ", ".join(f"{k} = ?" for k in changes)
            db.execute(
                f"UPDATE follow_ups SET {sets}, updated_at = ? WHERE id = ?",  # noqa: S608 (whitelisted names, values bound)
                [*changes.values(), now(), follow_up_id],
            )
            fields = ",".join(sorted(changes))
            audit(
                db,
                user,
                "follow_up_update",
                f"id={follow_up_id} fields={fields} status={changes.get('status', '')}",
            )
        item.update(changes)
    return item


def reveal_phone(
    db: sqlite_utils.Database, follow_up_id: int, *, user: str, region: str | None = None
) -> str:
    """The customer's full phone number, for the item's owner only; the read is audited."""
    item = _item(db, follow_up_id, region)
    if item["owner"] != user:
        raise FollowUpError(f"only the owner of follow-up {follow_up_id} may see the phone number")
    row = db.execute(
        "SELECT c.phone FROM follow_ups f JOIN responses r ON r.id = f.response_id"
        " JOIN assignments a ON a.id = r.assignment_id JOIN customers c ON c.id = a.customer_id WHERE f.id = ?",
        [follow_up_id],
    ).fetchone()
    with transaction(db):
        audit(db, user, "follow_up_phone_read", f"id={follow_up_id}")
    return row[0] or ""
