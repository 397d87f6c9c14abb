"""Scope checks in survey/ for the call page's writes and for closing a round (issue 11, item 2's neighbours):
a 泉州 interviewer records calls, phone interviews and reserve releases of 泉州's units only, and only staff or
admins of all regions close a round — whatever page or command calls the library."""

from __future__ import annotations

import pytest

from survey.access import NotPermitted
from survey.calls import complete_by_phone, record_call, release_reserve
from survey.rounds import close_round
from survey.users import User

pytestmark = pytest.mark.demo_on_postgresql  # demo_db runs on both backends


def _unit(db, region: str, *, other: bool = False) -> int:
    op = "<>" if other else "="
    return db.execute(
        f"SELECT id FROM assignments WHERE round_id = 2 AND is_reserve = 0 AND status = 'issued' AND region {op} ?"  # noqa: S608
        " ORDER BY id LIMIT 1",
        [region],
    ).fetchone()[0]


@pytest.mark.parametrize("write", ["record_call", "complete_by_phone", "release_reserve"])
def test_a_scoped_interviewer_writes_only_their_regions_units(demo_db, write):
    region = demo_db.execute("SELECT region FROM assignments WHERE round_id = 2 LIMIT 1").fetchone()[0]
    foreign = _unit(demo_db, region, other=True)
    before = demo_db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
    with pytest.raises(NotPermitted):
        if write == "record_call":
            record_call(demo_db, foreign, "refusal", interviewer="qz", region=region)
        elif write == "complete_by_phone":
            complete_by_phone(demo_db, foreign, {"overall": 5}, interviewer="qz", region=region)
        else:
            demo_db.execute("UPDATE assignments SET status = 'wrong_number' WHERE id = ?", [foreign])
            release_reserve(demo_db, foreign, "qz", region=region)
    assert demo_db.execute("SELECT COUNT(*) FROM calls").fetchone()[0] == before
    own = _unit(demo_db, region)
    record_call(demo_db, own, "refusal", interviewer="qz", region=region)  # their own region: fine


@pytest.mark.parametrize("who", [User("qz", "staff", "泉州"), User("m", "manager", None)])
def test_only_staff_of_all_regions_close_a_round(demo_db, who):
    with pytest.raises(NotPermitted):
        close_round(demo_db, 2, by=who.name, by_user=who)
    assert demo_db.execute("SELECT status FROM rounds WHERE id = 2").fetchone()[0] == "open"
    close_round(demo_db, 2, by="staff", by_user=User("staff", "staff", None))
    assert demo_db.execute("SELECT status FROM rounds WHERE id = 2").fetchone()[0] == "closed"
