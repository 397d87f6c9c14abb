"""The demo's two rounds: their calendar, who answers what and when, call attempts and follow-up work.

:mod:`survey.demo` builds the demo database (accounts, frame, rounds) with these. Every time is an offset from
one anchor, the Beijing day the demo's story ends (:class:`Timeline`); the answers come from ``rng`` and their
times from a separate ``clock``, so a seed keeps its answers whatever the calendar. Regions differ on purpose
(:data:`REGION_EFFECT`: Xiamen a little better, Quanzhou a little worse) so the dashboard has something real
to show.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import sqlite_utils

from survey.demo_texts import CALL_NOTES, ENGLISH_SUGGESTIONS, FOLLOW_UP_NOTES, SUGGESTIONS
from survey.forms import get_questionnaire
from survey.responses import _store_response
from survey.store import transaction

#: Latent satisfaction shifts per region (points on the 1–5 scale).
REGION_EFFECT = {
    "厦门": 0.30,
    "福州": 0.15,
    "莆田": 0.0,
    "三明": 0.05,
    "泉州": -0.30,
    "漳州": -0.05,
    "南平": -0.15,
    "龙岩": 0.05,
    "宁德": -0.10,
}
TYPE_EFFECT = {"居民": 0.0, "一般工商业": -0.15, "大工业": 0.10, "农业": -0.20}
RESPONSE_RATE = {"居民": 0.62, "一般工商业": 0.55, "大工业": 0.75, "农业": 0.50}
#: The demo's calendar (days relative to the anchor day, local hours in Beijing; see :class:`Timeline`).
DEMO_ZONE = ZoneInfo("Asia/Shanghai")
SETUP_DAY = -61  # accounts created; the frame is imported the next day
DRAW_HOUR = 10.0  # rounds are drawn, and their SMS invitations sent, at 10:00
REMINDER_DAYS = (7, 14)  # SMS reminders, in days after the draw
ITEMS = ("overall", "attitude", "skill", "reliability", "voltage", "billing")
ITEM_SHIFT = {
    "overall": 0.0,
    "attitude": 0.15,
    "skill": 0.05,
    "reliability": -0.10,
    "voltage": 0.0,
    "billing": -0.20,
}


def _likert(value: float) -> int:
    return int(np.clip(np.rint(value), 1, 5))


def simulate_answers(rng: np.random.Generator, region: str, ctype: str, complaints: int) -> dict:
    """One plausible set of answers to the default questionnaire."""
    latent = 3.95 + REGION_EFFECT.get(region, 0) + TYPE_EFFECT.get(ctype, 0) - 0.4 * min(complaints, 2)
    latent += rng.normal(0, 0.6)
    a: dict = {item: _likert(latent + ITEM_SHIFT[item] + rng.normal(0, 0.55)) for item in ITEMS}
    a["planned_outage"] = "yes" if rng.random() < 0.35 else "no"
    if a["planned_outage"] == "yes":
        a["outage_notice"] = _likert(latent - 0.1 + rng.normal(0, 0.6))
    a["reported_fault"] = "yes" if rng.random() < 0.15 else "no"
    if a["reported_fault"] == "yes":
        a["repair"] = _likert(latent + rng.normal(0, 0.7))
    channels = [
        c
        for c, p in (("hotline", 0.25), ("online", 0.45), ("counter", 0.15), ("wechat", 0.2))
        if rng.random() < p
    ]
    a["channels"] = channels or ["none"]
    if "hotline" in channels:
        a["hotline"] = _likert(latent + rng.normal(0, 0.6))
    if "online" in channels:
        a["online"] = _likert(latent + 0.1 + rng.normal(0, 0.6))
    a["complained"] = "yes" if complaints > 0 or rng.random() < 0.04 else "no"
    if a["complained"] == "yes":
        a["complaint_handling"] = _likert(latent - 0.5 + rng.normal(0, 0.8))
    a["vs_last_year"] = "better" if latent > 4.3 else ("worse" if latent < 3.2 else "same")
    a["recommend"] = int(np.clip(np.rint(2.2 * latent - 1 + rng.normal(0, 1)), 0, 10))
    if rng.random() < 0.45:
        a["suggestion"] = _suggestion(rng, a)
    return a


def _suggestion(rng: np.random.Generator, a: dict) -> str:
    low = [k for k, v in a.items() if isinstance(v, int) and k in ITEM_SHIFT and v <= 2]
    topic_of = {
        "attitude": "attitude",
        "skill": "skill",
        "reliability": "reliability",
        "voltage": "reliability",
        "billing": "billing",
        "overall": "procedures",
    }
    if a.get("outage_notice", 5) <= 2:
        low.append("outage_notice")
    if a.get("repair", 5) <= 2:
        low.append("repair")
    if a.get("hotline", 5) <= 2 or a.get("online", 5) <= 2:
        low.append("channels")
    if low:
        topic = topic_of.get(low[rng.integers(len(low))], low[rng.integers(len(low))])
    elif a["overall"] >= 4 and rng.random() < 0.6:
        topic = "praise"
    else:
        topic = str(rng.choice(["none", "external", "procedures", "reliability", "outage_notice"]))
    pool = ENGLISH_SUGGESTIONS.get(topic) if rng.random() < 0.03 else None
    pool = pool or SUGGESTIONS.get(topic) or SUGGESTIONS["none"]
    return str(pool[rng.integers(len(pool))])


@dataclass(frozen=True)
class Timeline:
    """The demo's calendar: every stored time is an offset from one anchor, the Beijing day the story ends on.

    ``at(day, hours)`` is ``hours`` after local midnight of ``today + day`` days, in UTC (how times are
    stored). Nothing happens on the anchor day itself, so a demo built at any hour of a day is the same.

    >>> Timeline(date(2026, 12, 4)).at(-10, 10).isoformat()
    '2026-11-24T02:00:00+00:00'
    """

    today: date

    def at(self, day: int, hours: float = 0.0) -> datetime:
        midnight = datetime.combine(self.today + timedelta(days=day), time(0), tzinfo=DEMO_ZONE)
        return (midnight + timedelta(hours=hours)).astimezone(UTC).replace(microsecond=0)

    @property
    def end(self) -> datetime:
        """The moment the story ends (local midnight of the anchor day): every event is before it."""
        return self.at(0)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class FieldPeriod:
    """One round's fieldwork: drawn (and invited by SMS) on ``draw_day`` at ``DRAW_HOUR``, answered for ``days``."""

    draw_day: int
    days: int


FIRST_ROUND = FieldPeriod(draw_day=-56, days=21)  # 8 weeks ago, 3 weeks in the field
FIRST_ROUND_CLOSED_AFTER = 23  # days after its draw (two days after the last answer)
SECOND_ROUND = FieldPeriod(draw_day=-10, days=10)  # 10 days ago, answers until yesterday


def _answer_day(period: FieldPeriod, position: float, mode: str) -> int:
    """The field day (0 = the draw) at quantile ``position`` of when answers come in.

    Web answers follow the SMS invitation (most in the first days) with a bump after each reminder;
    phone interviews start the day after the draw and are spread evenly.
    """
    days = np.arange(period.days)
    if mode == "phone":
        weight = (days >= 1).astype(float)
    else:
        weight = np.exp(-days / 2.0) + 0.03
        for reminder in REMINDER_DAYS:
            weight += np.where(days >= reminder, 0.5 * np.exp(-(days - reminder) / 1.5), 0.0)
    cumulative = np.cumsum(weight) / weight.sum()
    return int(min(np.searchsorted(cumulative, position), period.days - 1))


def _hours(clock: np.random.Generator, day: int, mode: str) -> float:
    """Local time of day of an answer or call: web 08:00–22:30 (after the draw on its day), calls 09:00–20:00."""
    low, high = (9.0, 20.0) if mode == "phone" else (8.0, 22.5)
    if day == 0:
        low = max(low, DRAW_HOUR + 0.25)
    return float(clock.uniform(low, high))


def _call_times(clock: np.random.Generator, timeline: Timeline, period: FieldPeriod, last_day: int, k: int):
    """``k`` call attempts on field days 1 … ``last_day``, in working hours, oldest first."""
    if k <= 0 or last_day < 1:
        return []
    days = clock.integers(1, last_day + 1, size=k)
    return sorted(timeline.at(period.draw_day + int(d), _hours(clock, int(d), "phone")) for d in days)


def _date_draw(db: sqlite_utils.Database, round_id: int, drawn: datetime) -> None:
    """Move a round's draw (and its invitations, links and expiry) to ``drawn``."""
    design = json.loads(db.execute("SELECT design FROM rounds WHERE id = ?", [round_id]).fetchone()[0])
    expires = _iso(drawn + timedelta(days=int(design.get("expires_days") or 30)))
    with transaction(db):
        db.execute(
            "UPDATE rounds SET created_at = ?, expires_at = ? WHERE id = ?", [_iso(drawn), expires, round_id]
        )
        db.execute(
            "UPDATE assignments SET updated_at = ?, expires_at = ? WHERE round_id = ?",
            [_iso(drawn), expires, round_id],
        )
        db.execute(
            "UPDATE audit_log SET at = ? WHERE action = 'draw' AND detail LIKE ?",
            [_iso(drawn), f"round={round_id} %"],
        )


def _simulate_fieldwork(
    db: sqlite_utils.Database,
    round_id: int,
    rng: np.random.Generator,
    clock: np.random.Generator,
    *,
    completion_scale: float,
    timeline: Timeline,
    period: FieldPeriod,
) -> None:
    """Answers, outcomes and call attempts of one round, dated within its field period.

    ``rng`` decides who answers what (so a seed keeps its answers whatever the calendar); ``clock``
    decides when. Responses are stored in the order they came in.
    """
    questionnaire = get_questionnaire(
        db, db.execute("SELECT questionnaire_id FROM rounds WHERE id = ?", [round_id]).fetchone()[0]
    )
    rows = db.execute(
        "SELECT a.id, a.region, a.customer_type, c.complaints_12m FROM assignments a"
        " JOIN customers c ON c.id = a.customer_id WHERE a.round_id = ? AND a.is_reserve = 0 ORDER BY a.id",
        [round_id],
    ).fetchall()
    last_day = period.days - 1
    responses, outcomes, calls = [], [], []
    for aid, region, ctype, complaints in rows:
        u = rng.random()
        p = RESPONSE_RATE[ctype] * completion_scale
        if u < p:
            answers = questionnaire.validate(simulate_answers(rng, region, ctype, complaints))
            position = (int(rng.integers(0, 60 * 24 * 20)) + 0.5) / (60 * 24 * 20)
            mode = "phone" if rng.random() < 0.3 else "web"
            day = _answer_day(period, position, mode)
            when = timeline.at(period.draw_day + day, _hours(clock, day, mode))
            responses.append((when, aid, answers, mode))
            if mode == "phone":  # unanswered attempts on earlier days, then the interview itself
                tries = int(clock.choice(3, p=[0.6, 0.3, 0.1]))
                calls += [
                    (aid, t, "non_contact", None)
                    for t in _call_times(clock, timeline, period, day - 1, tries)
                ]
                calls.append((aid, when, "complete", None))
        else:
            status = str(
                rng.choice(["refusal", "non_contact", "issued", "wrong_number"], p=[0.3, 0.45, 0.2, 0.05])
            )
            attempts = {"refusal": 1 + int(clock.random() < 0.4), "non_contact": int(clock.integers(1, 4)),
                        "wrong_number": 1, "issued": 0}[status]  # fmt: skip
            times = _call_times(clock, timeline, period, last_day, attempts)
            for i, t in enumerate(times):
                outcome = status if i == len(times) - 1 else "non_contact"
                note = (
                    CALL_NOTES[int(clock.integers(len(CALL_NOTES)))]
                    if outcome == "refusal" and clock.random() < 0.4
                    else None
                )
                calls.append((aid, t, outcome, note))
            outcomes.append((aid, status, _iso(times[-1]) if times else None))
    with transaction(db):
        for when, aid, answers, mode in sorted(responses, key=lambda r: (r[0], r[1])):
            _store_response(
                db,
                aid,
                questionnaire,
                answers,
                mode=mode,
                interviewer="staff" if mode == "phone" else None,
                submitted_at=_iso(when),
            )
        for aid, status, last_call in outcomes:
            db.execute(
                "UPDATE assignments SET status = ?, mode = CASE WHEN CAST(? AS TEXT) IS NULL THEN mode"
                " ELSE 'phone' END, updated_at = COALESCE(CAST(? AS TEXT), updated_at) WHERE id = ?",
                [status, last_call, last_call, aid],
            )
        db.conn.executemany(
            "INSERT INTO calls (assignment_id, at, interviewer, outcome, note) VALUES (?, ?, 'staff', ?, ?)",
            [
                (aid, _iso(t), outcome, note)
                for aid, t, outcome, note in sorted(calls, key=lambda c: (c[1], c[0]))
            ],
        )


def _settle_follow_ups(
    db: sqlite_utils.Database, round_id: int, clock: np.random.Generator, timeline: Timeline, *, closed: bool
) -> None:
    """Date a round's follow-up items at their answers and work most of those already due.

    Items whose due date (answer + SLA) has passed are mostly resolved (80% in a closed round, 55% in an
    open one) or contacted; items not yet due are mostly still open. What is left open past its due date is
    the overdue part of the queue. Changes are simulated, not audited (the demo's audit log records the
    system's own actions).
    """
    items = db.execute(
        "SELECT f.id, r.submitted_at, f.due_at FROM follow_ups f JOIN responses r ON r.id = f.response_id"
        " WHERE f.round_id = ? ORDER BY f.id",
        [round_id],
    ).fetchall()
    end = timeline.end
    updates = []
    for fid, submitted_at, due_at in items:
        created, due = datetime.fromisoformat(submitted_at), datetime.fromisoformat(due_at)
        r = clock.random()
        if due < end:
            resolved, contacted = (0.8, 0.9) if closed else (0.55, 0.75)
        else:
            resolved, contacted = 0.1, 0.4
        status = "resolved" if r < resolved else ("contacted" if r < contacted else "open")
        changed = created
        owner = note = None
        if status != "open":
            span = (min(end, due + timedelta(days=2)) - created).total_seconds()
            changed = created + timedelta(seconds=max(1800.0, span * float(clock.uniform(0.1, 1.0))))
            changed = min(changed, end - timedelta(minutes=1))
            owner, note = "staff", FOLLOW_UP_NOTES[int(clock.integers(len(FOLLOW_UP_NOTES)))]
        updates.append((status, owner, note, _iso(created), _iso(changed), fid))
    with transaction(db):
        db.conn.executemany(
            "UPDATE follow_ups SET status = ?, owner = ?, note = ?, created_at = ?, updated_at = ? WHERE id = ?",
            updates,
        )
        db.execute(
            "UPDATE audit_log SET at = (SELECT f.created_at FROM follow_ups f"
            " WHERE audit_log.detail LIKE 'response=' || f.response_id || ' %')"
            " WHERE action = 'follow_up_open' AND EXISTS (SELECT 1 FROM follow_ups f WHERE f.round_id = ?"
            " AND audit_log.detail LIKE 'response=' || f.response_id || ' %')",
            [round_id],
        )


def _round_name(timeline: Timeline, period: FieldPeriod) -> str:
    drawn = timeline.at(period.draw_day, DRAW_HOUR).astimezone(DEMO_ZONE)
    return f"{drawn.year}年{drawn.month}月满意度调查"
