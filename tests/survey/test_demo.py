import pytest

from survey.demo import build_demo, make_frame
from survey.regions import FUJIAN
from survey.store import open_db

CONTENT = {
    "customers": "SELECT id, name, phone, region, district, customer_type, urban_rural, complaints_12m, opted_out,"
                 " prn FROM customers ORDER BY id",
    "assignments": "SELECT round_id, customer_id, stratum, prn, weight, is_reserve, status FROM assignments ORDER BY id",
    "answers": "SELECT r.assignment_id, x.question_id, x.value FROM answers x JOIN responses r ON r.id = x.response_id"
               " ORDER BY r.assignment_id, x.question_id",
}


def test_same_seed_same_database(tmp_path):
    dbs = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        db = open_db(tmp_path / name / "s.db")
        build_demo(db, customers=800, seed=3)
        dbs.append(db)
    for sql in CONTENT.values():
        assert dbs[0].execute(sql).fetchall() == dbs[1].execute(sql).fetchall()
    other = open_db(tmp_path / "c.db")
    build_demo(other, customers=800, seed=4)
    assert other.execute(CONTENT["customers"]).fetchall() != dbs[0].execute(CONTENT["customers"]).fetchall()


def test_frame_is_realistic():
    frame = make_frame(20_000, seed=1)
    assert frame["id"].is_unique
    for region, district in zip(frame["region"], frame["district"], strict=True):
        assert district in FUJIAN[region]["districts"]
    shares = frame["customer_type"].value_counts(normalize=True)
    assert shares["居民"] == pytest.approx(0.88, abs=0.02) and shares["大工业"] < 0.03
    assert frame["phone"].str.fullmatch(r"1[3-9]\d{9}").mean() > 0.95
    assert (frame.loc[frame.customer_type == "农业", "urban_rural"] == "农村").all()
    assert frame["region"].value_counts().idxmax() in ("泉州", "福州")


def test_demo_rounds_and_users(demo_db, demo_credentials):
    rounds = demo_db.execute("SELECT id, status FROM rounds ORDER BY id").fetchall()
    assert rounds == [(1, "closed"), (2, "open")]
    done = demo_db.execute("SELECT COUNT(*) FROM responses r JOIN assignments a ON a.id = r.assignment_id"
                           " WHERE a.round_id = 1").fetchone()[0]
    sampled = demo_db.execute("SELECT COUNT(*) FROM assignments WHERE round_id = 1 AND is_reserve = 0").fetchone()[0]
    assert 0.45 < done / sampled < 0.8
    roles = dict(demo_db.execute("SELECT name, role FROM users").fetchall())
    assert roles == {"admin": "admin", "staff": "staff", "manager": "manager"}
    assert set(demo_credentials) == set(roles)


def test_regions_differ_as_designed(demo_db):
    from survey.results import region_estimates, responses_frame

    table = region_estimates(responses_frame(demo_db, 1)).set_index("region")
    assert table.loc["厦门", "estimate"] > table.loc["泉州", "estimate"]
