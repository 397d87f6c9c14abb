"""A realistic, reproducible demo database: frame, users, one closed and one open round.

Same seed → same customers, samples and answers; every time is derived from one anchor, the day the
demo's story ends (see :class:`Timeline`), so two builds on the same day are identical (link tokens and
passwords aside). Regions differ on purpose (Xiamen a little better, Quanzhou a little worse) so the
dashboard has something real to show.

This module holds the demo's customers (:func:`make_frame`) and :func:`build_demo`, which sets up the
accounts and the frame and runs the two rounds; the rounds' calendar, answers, calls and follow-up work are
:mod:`survey.demo_rounds` (``Timeline``, ``DEMO_ZONE``, ``FIRST_ROUND`` and ``SECOND_ROUND`` are importable
from here too).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
import sqlite_utils
from faker import Faker

from survey.demo_rounds import (
    DEMO_ZONE,
    DRAW_HOUR,
    FIRST_ROUND,
    FIRST_ROUND_CLOSED_AFTER,
    SECOND_ROUND,
    SETUP_DAY,
    Timeline,
    _date_draw,
    _iso,
    _round_name,
    _settle_follow_ups,
    _simulate_fieldwork,
)
from survey.forms import default_questionnaire_id
from survey.frames import store_frame
from survey.regions import CUSTOMER_TYPES, FUJIAN
from survey.rounds import close_round, draw_round, eligible_counts
from survey.store import set_setting, transaction
from survey.users import create_user

#: A minimal valid answer set to the default questionnaire (every required question, no follow-ups triggered);
#: used by tests and benchmarks that need a submission which passes validation.
EXAMPLE_ANSWERS = {
    "overall": 4,
    "attitude": 5,
    "skill": 4,
    "reliability": 3,
    "voltage": 4,
    "planned_outage": "no",
    "reported_fault": "no",
    "billing": 4,
    "complained": "no",
    "vs_last_year": "same",
}


@dataclass(frozen=True)
class DemoResult:
    customers: int
    closed_round: int
    open_round: int
    credentials: dict[str, str]
    today: date  # the anchor: the Beijing day the demo's story ends on


def make_frame(n: int, seed: int) -> pd.DataFrame:
    """``n`` customers over Fujian's cities and districts, in realistic proportions."""
    rng = np.random.default_rng(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    regions = list(FUJIAN)
    pop = np.array([FUJIAN[r]["population"] for r in regions])
    region = rng.choice(regions, size=n, p=pop / pop.sum())
    types = list(CUSTOMER_TYPES)
    ctype = rng.choice(types, size=n, p=np.array(list(CUSTOMER_TYPES.values())))
    district = np.array([FUJIAN[r]["districts"][rng.integers(len(FUJIAN[r]["districts"]))] for r in region])
    urban_p = np.array([FUJIAN[r]["urban"] for r in region])
    urban = np.where(rng.random(n) < urban_p, "城镇", "农村")
    urban = np.where(ctype == "农业", "农村", urban)
    complaints = rng.poisson(np.where(ctype == "居民", 0.04, 0.08))
    names = [fake.name() for _ in range(n)]
    company = np.isin(ctype, ["一般工商业", "大工业"])
    companies = [fake.company() for _ in range(int(company.sum()))]
    names = np.array(names, dtype=object)
    names[company] = companies
    phones = [fake.phone_number() for _ in range(n)]
    return pd.DataFrame(
        {
            "id": [f"35{i:08d}" for i in range(1, n + 1)],
            "name": names,
            "phone": phones,
            "region": region,
            "district": district,
            "customer_type": ctype,
            "urban_rural": urban,
            "complaints_12m": complaints,
            "opted_out": rng.random(n) < 0.01,
            "has_valid_phone": rng.random(n) > 0.005,
        }
    )


def build_demo(
    db: sqlite_utils.Database, *, customers: int = 50_000, seed: int = 7, today: date | None = None
) -> DemoResult:
    """Fill an empty database with the demo; returns the users' one-time passwords.

    The story ends on ``today`` (default: today in Beijing): the accounts and the frame are set up
    about 2 months before, round 1 is drawn 8 weeks before, answered over 3 weeks with reminders and
    closed; round 2 is drawn 10 days before and still in the field. Every time is derived from
    ``today``, so two builds with the same seed on the same day are identical (tokens and passwords aside).
    """
    if db.execute("SELECT COUNT(*) FROM customers").fetchone()[0]:
        raise ValueError("the database already has customers; the demo needs an empty database")
    timeline = Timeline(today or datetime.now(DEMO_ZONE).date())
    rng = np.random.default_rng(seed)
    clock = np.random.default_rng([seed, 1])  # times only: the answers do not depend on the calendar
    setup, imported = _iso(timeline.at(SETUP_DAY, 9)), _iso(timeline.at(SETUP_DAY + 1, 9.5))
    credentials = {}
    for user, role in (("admin", "admin"), ("staff", "staff"), ("manager", "manager")):
        password = secrets.token_urlsafe(9)
        create_user(db, user, role, password, by="demo")
        credentials[user] = password
    with transaction(db):
        set_setting(db, "prn_salt", hashlib.sha256(f"demo-salt-{seed}".encode()).hexdigest()[:32])
        set_setting(db, "demo", "1")
        db.execute("UPDATE users SET created_at = ?", [setup])
        db.execute("UPDATE audit_log SET at = ? WHERE action = 'create_user'", [setup])
    store_frame(db, make_frame(customers, seed), by="demo", source="demo frame")
    default_questionnaire_id(db)
    with transaction(db):
        db.execute("UPDATE customers SET updated_at = ?", [imported])
        db.execute("UPDATE questionnaires SET created_at = ?", [imported])
        db.execute("UPDATE audit_log SET at = ? WHERE action = 'import_frame'", [imported])
    n1 = min(2000, max(10, customers // 25))
    n2 = max(10, n1 * 3 // 4)
    cells = len(eligible_counts(db, ("region", "customer_type")))
    minimum = min(2, n2 // max(cells, 1))  # the default 2 per stratum where a small demo frame affords it
    first = draw_round(
        db, size=n1, name=_round_name(timeline, FIRST_ROUND), reserve=2, minimum=minimum, created_by="demo"
    )
    _date_draw(db, first.round_id, timeline.at(FIRST_ROUND.draw_day, DRAW_HOUR))
    _simulate_fieldwork(
        db, first.round_id, rng, clock, completion_scale=1.0, timeline=timeline, period=FIRST_ROUND
    )
    _settle_follow_ups(db, first.round_id, clock, timeline, closed=True)
    close_round(db, first.round_id, by="demo")
    closed = _iso(timeline.at(FIRST_ROUND.draw_day + FIRST_ROUND_CLOSED_AFTER, 17.5))
    with transaction(db):
        db.execute("UPDATE rounds SET closed_at = ? WHERE id = ?", [closed, first.round_id])
        db.execute(
            "UPDATE audit_log SET at = ? WHERE action = 'close_round' AND detail = ?",
            [closed, f"round={first.round_id}"],
        )
    second = draw_round(
        db, size=n2, name=_round_name(timeline, SECOND_ROUND), reserve=2, minimum=minimum,
        created_by="demo",
    )  # fmt: skip
    _date_draw(db, second.round_id, timeline.at(SECOND_ROUND.draw_day, DRAW_HOUR))
    _simulate_fieldwork(
        db, second.round_id, rng, clock, completion_scale=0.35, timeline=timeline, period=SECOND_ROUND
    )
    _settle_follow_ups(db, second.round_id, clock, timeline, closed=False)
    return DemoResult(customers, first.round_id, second.round_id, credentials, timeline.today)
