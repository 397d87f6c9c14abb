"""A realistic, reproducible demo database: frame, users, one closed and one open round.

Same seed → same customers, samples and answers (timestamps and link tokens aside).
Regions differ on purpose (Xiamen a little better, Quanzhou a little worse) so the
dashboard has something real to show.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import sqlite_utils
from faker import Faker

from survey.demo_texts import ENGLISH_SUGGESTIONS, SUGGESTIONS
from survey.fieldwork import _store_response
from survey.forms import default_questionnaire_id, get_questionnaire
from survey.frames import store_frame
from survey.regions import CUSTOMER_TYPES, FUJIAN
from survey.rounds import close_round, draw_round, eligible_counts
from survey.store import set_setting, transaction
from survey.users import create_user

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
ITEMS = ("overall", "attitude", "skill", "reliability", "voltage", "billing")
ITEM_SHIFT = {
    "overall": 0.0,
    "attitude": 0.15,
    "skill": 0.05,
    "reliability": -0.10,
    "voltage": 0.0,
    "billing": -0.20,
}


@dataclass(frozen=True)
class DemoResult:
    customers: int
    closed_round: int
    open_round: int
    credentials: dict[str, str]


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


def _simulate_fieldwork(
    db: sqlite_utils.Database,
    round_id: int,
    rng: np.random.Generator,
    *,
    completion_scale: float,
    start: datetime,
) -> None:
    questionnaire = get_questionnaire(
        db, db.execute("SELECT questionnaire_id FROM rounds WHERE id = ?", [round_id]).fetchone()[0]
    )
    rows = db.execute(
        "SELECT a.id, a.region, a.customer_type, c.complaints_12m FROM assignments a"
        " JOIN customers c ON c.id = a.customer_id WHERE a.round_id = ? AND a.is_reserve = 0 ORDER BY a.id",
        [round_id],
    ).fetchall()
    with transaction(db):
        for aid, region, ctype, complaints in rows:
            u = rng.random()
            p = RESPONSE_RATE[ctype] * completion_scale
            if u < p:
                answers = questionnaire.validate(simulate_answers(rng, region, ctype, complaints))
                when = start + timedelta(minutes=int(rng.integers(0, 60 * 24 * 20)))
                mode = "phone" if rng.random() < 0.3 else "web"
                _store_response(
                    db,
                    aid,
                    questionnaire,
                    answers,
                    mode=mode,
                    interviewer="staff" if mode == "phone" else None,
                    submitted_at=when.replace(microsecond=0).isoformat(),
                )
            else:
                status = rng.choice(
                    ["refusal", "non_contact", "issued", "wrong_number"], p=[0.3, 0.45, 0.2, 0.05]
                )
                db.execute("UPDATE assignments SET status = ? WHERE id = ?", [str(status), aid])


def build_demo(db: sqlite_utils.Database, *, customers: int = 50_000, seed: int = 7) -> DemoResult:
    """Fill an empty database with the demo; returns the users' one-time passwords."""
    if db.execute("SELECT COUNT(*) FROM customers").fetchone()[0]:
        raise ValueError("the database already has customers; the demo needs an empty database")
    rng = np.random.default_rng(seed)
    with transaction(db):
        set_setting(db, "prn_salt", hashlib.sha256(f"demo-salt-{seed}".encode()).hexdigest()[:32])
        set_setting(db, "demo", "1")
    store_frame(db, make_frame(customers, seed), by="demo", source="demo frame")
    default_questionnaire_id(db)
    n1 = min(2000, max(10, customers // 25))
    n2 = max(10, n1 * 3 // 4)
    cells = len(eligible_counts(db, ("region", "customer_type")))
    minimum = min(2, n2 // max(cells, 1))  # the default 2 per stratum where a small demo frame affords it
    first = draw_round(
        db, size=n1, name="2026年第三季度满意度调查", reserve=2, minimum=minimum, created_by="demo"
    )
    _simulate_fieldwork(
        db, first.round_id, rng, completion_scale=1.0, start=datetime(2026, 8, 1, 9, tzinfo=UTC)
    )
    close_round(db, first.round_id, by="demo")
    second = draw_round(
        db, size=n2, name="2026年第四季度满意度调查", reserve=2, minimum=minimum,
        created_by="demo",
    )  # fmt: skip
    _simulate_fieldwork(
        db, second.round_id, rng, completion_scale=0.35, start=datetime(2026, 11, 10, 9, tzinfo=UTC)
    )
    credentials = {}
    for user, role in (("admin", "admin"), ("staff", "staff"), ("manager", "manager")):
        password = secrets.token_urlsafe(9)
        create_user(db, user, role, password, by="demo")
        credentials[user] = password
    return DemoResult(customers, first.round_id, second.round_id, credentials)
