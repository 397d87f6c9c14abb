"""The one region list in the database (migration 7), its aliases, and imports mapped onto it."""

from __future__ import annotations

import hashlib
import sqlite3

import pandas as pd
import pytest

from sampling.places import PlaceChoices
from survey.frame_import import (
    UnknownPlaces,
    adding_unknown,
    import_frame,
    import_impact,
    load_place_map,
    read_import,
)
from survey.frames import DeactivationNotConfirmed
from survey.region_list import (
    PlaceListError,
    add_alias,
    add_customer_type,
    add_district,
    add_region,
    list_aliases,
    list_customer_types,
    list_regions,
    region_names_en,
    remove_alias,
    resolve,
)
from survey.regions import CUSTOMER_TYPES, FUJIAN
from survey.store import open_db


def test_the_list_is_seeded_with_fujians_nine_cities_and_the_four_types(fresh_db):
    regions = list_regions(fresh_db)
    assert [r.name for r in regions] == list(FUJIAN)
    assert regions[4].name_en == "Quanzhou" and "鲤城区" in regions[4].districts
    assert [c.name for c in list_customer_types(fresh_db)] == list(CUSTOMER_TYPES)
    assert region_names_en(fresh_db)["泉州"] == "Quanzhou"
    assert ("customer_type", "城乡居民", "居民") in list_aliases(fresh_db)


def test_an_existing_database_keeps_its_regions_and_types(tmp_path):
    """A database from before migration 7 with regions outside the seed: they join the list."""
    from survey import store

    path = tmp_path / "old.db"
    db = open_db(path)
    db.execute("DELETE FROM schema_migrations WHERE version = 7")  # only migration 7 is undone
    for table in ("place_aliases", "region_districts", "regions", "customer_types"):
        db.execute(f"DROP TABLE {table}")
    db.execute(
        "INSERT INTO customers (id, region, customer_type, prn) VALUES ('1', '泉州市供电公司', '居民', 0.1),"
        " ('2', '平潭', '临时用电', 0.2), ('3', '福州', '居民', 0.3)"
    )
    db.conn.close()
    db = open_db(path)
    assert store.schema_version(db) >= 7
    names = [r.name for r in list_regions(db)]
    assert names[:9] == list(FUJIAN) and set(names[9:]) == {"泉州市供电公司", "平潭"}
    assert [c.name for c in list_customer_types(db)][-1] == "临时用电"
    assert resolve(db, "region", "平潭") == "平潭"


@pytest.mark.parametrize("value", ["泉州市供电公司", "国网泉州供电公司", "泉州供电分公司", "quanzhou"])
def test_resolve_recognises_usual_aliases(fresh_db, value):
    assert resolve(fresh_db, "region", value) == "泉州"


def test_admins_add_regions_types_districts_and_aliases_audited(fresh_db):
    add_region(fresh_db, "平潭", name_en="Pingtan", districts=["平潭县"], by="admin")
    add_customer_type(fresh_db, "临时用电", name_en="Temporary", by="admin")
    add_district(fresh_db, "泉州", "泉州台商投资区", by="admin")
    add_alias(fresh_db, "region", "刺桐", "泉州", by="admin")
    assert resolve(fresh_db, "region", "刺桐") == "泉州" and resolve(fresh_db, "region", "Pingtan") == "平潭"
    assert list_regions(fresh_db)[-1].name == "平潭" and list_regions(fresh_db)[-1].districts == ("平潭县",)
    assert resolve(fresh_db, "customer_type", "临时用电") == "临时用电"
    assert "泉州台商投资区" in list_regions(fresh_db)[4].districts
    remove_alias(fresh_db, "region", "刺桐", by="admin")
    assert resolve(fresh_db, "region", "刺桐") is None
    actions = [
        r[0] for r in fresh_db.execute("SELECT action FROM audit_log WHERE user = 'admin' ORDER BY id")
    ]
    assert actions == [
        "add_region",
        "add_district",
        "add_customer_type",
        "add_district",
        "add_alias",
        "remove_alias",
    ]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda db: add_region(db, "泉州"), "already in the list"),
        (lambda db: add_region(db, "泉州市供电公司"), "already means '泉州'"),
        (lambda db: add_region(db, " "), "needs a name"),
        (lambda db: add_alias(db, "region", "鹭岛", "平潭"), "'平潭' is not in the list"),
        (lambda db: add_alias(db, "region", "厦门", "泉州"), "is itself a region"),
        (lambda db: add_alias(db, "district", "x", "泉州"), "kind must be one of"),
        (lambda db: add_district(db, "平潭", "平潭县"), "not in the list"),
        (lambda db: remove_alias(db, "region", "nothing"), "there is no region alias"),
    ],
)
def test_list_changes_are_checked(fresh_db, call, message):
    with pytest.raises(PlaceListError, match=message):
        call(fresh_db)


HEADER = "户号,户名,联系电话,供电单位,区县,用户类别\n"


def _csv(rows: list[str]) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()


def _tables(path) -> str:
    """A digest of every row of every table (identical bytes ⇔ identical digest)."""
    conn = sqlite3.connect(path)
    digest = hashlib.sha256()
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1"):  # noqa: S608
            digest.update(repr(row).encode())
    conn.close()
    return digest.hexdigest()


def test_aliased_company_names_land_on_one_region(fresh_db):
    data = _csv(["1,甲,13800000001,泉州市供电公司,鲤城,居民生活用电", "2,乙,13800000002,国网泉州供电公司,晋江,城乡居民",
                 "3,丙,13800000003,泉州供电分公司,丰泽区,一般工商业用电", "4,丁,13800000004,福州,鼓楼区,农业排灌"])  # fmt: skip
    result = read_import(fresh_db, data)
    assert result.ok, result.problems
    import_frame(fresh_db, result.frame, by="t")
    rows = fresh_db.execute(
        "SELECT id, region, district, customer_type FROM customers ORDER BY id"
    ).fetchall()
    assert rows == [("1", "泉州", "鲤城区", "居民"), ("2", "泉州", "晋江市", "居民"), ("3", "泉州", "丰泽区", "一般工商业"),
                    ("4", "福州", "鼓楼区", "农业")]  # fmt: skip
    assert [r.name for r in list_regions(fresh_db)] == list(FUJIAN)  # no region was created


def test_an_unknown_region_stops_the_import_and_changes_nothing(fresh_db, tmp_path):
    first = read_import(fresh_db, _csv(["1,甲,13800000001,泉州,,居民"]))
    import_frame(fresh_db, first.frame)
    before = _tables(tmp_path / "test.db")
    rows = [f"{i},n,1380000{i:04d},{'鲤城供电所' if i % 2 else '泉州'},,居民" for i in range(2, 40)]
    result = read_import(fresh_db, _csv(rows))
    assert not result.ok and result.only_unknown_values
    (unknown,) = result.unknown
    assert (unknown.value, unknown.header, unknown.count, unknown.rows) == (
        "鲤城供电所",
        "供电单位",
        19,
        (3, 5, 7, 9, 11),
    )
    # the frame read without the list, written with import_frame anyway: refused as well
    from sampling.frame import read_frame

    raw = read_frame(_csv(rows)).frame
    with pytest.raises(UnknownPlaces, match="鲤城供电所"):
        import_frame(fresh_db, raw, allow_deactivation=True)
    assert _tables(tmp_path / "test.db") == before


def test_choices_map_or_add_and_are_kept_as_aliases(fresh_db):
    data = _csv(["1,甲,13800000001,鲤城供电所,,居民", "2,乙,13800000002,平潭综合实验区,,临时用电"])
    result = read_import(fresh_db, data)
    assert {u.value for u in result.unknown} == {"鲤城供电所", "平潭综合实验区", "临时用电"}
    choices = PlaceChoices({("region", "鲤城供电所"): "泉州", ("customer_type", "临时用电"): "一般工商业"})
    result = read_import(fresh_db, data, choices=choices)
    assert [u.value for u in result.unknown] == ["平潭综合实验区"]
    choices = choices.merged(adding_unknown(result, ["region"]))
    result = read_import(fresh_db, data, choices=choices)
    assert result.ok, result.unknown
    import_frame(fresh_db, result.frame, choices=choices, by="staff")
    assert dict(fresh_db.execute("SELECT id, region FROM customers").fetchall()) == {
        "1": "泉州",
        "2": "平潭综合实验区",
    }
    assert list_regions(fresh_db)[-1].name == "平潭综合实验区"
    assert resolve(fresh_db, "region", "鲤城供电所") == "泉州"  # next time without asking
    assert resolve(fresh_db, "customer_type", "临时用电") == "一般工商业"


def test_impact_counts_and_deactivation_needs_confirmation(fresh_db, tmp_path):
    import_frame(
        fresh_db, read_import(fresh_db, _csv([f"{i},n,1380000{i:04d},泉州,,居民" for i in range(10)])).frame
    )
    rows = [f"{i},n,1380000{i:04d},{'福州' if i < 3 else '国网泉州供电公司'},,居民" for i in range(4, 12)]
    frame = read_import(fresh_db, _csv(rows)).frame
    impact = import_impact(fresh_db, frame)
    assert (impact.added, impact.updated, impact.moved, impact.deactivated) == (2, 6, 0, 4)
    rows[0] = "4,n,13800000004,福州,,居民"
    frame = read_import(fresh_db, _csv(rows)).frame
    impact = import_impact(fresh_db, frame)
    assert (impact.added, impact.updated, impact.moved, impact.deactivated) == (2, 6, 1, 4)
    assert impact.moves == (("泉州", "福州", 1),)
    before = _tables(tmp_path / "test.db")
    with pytest.raises(DeactivationNotConfirmed, match="4 customers inactive"):
        import_frame(fresh_db, frame, choices=PlaceChoices({("region", "刺桐"): "泉州"}))
    assert _tables(tmp_path / "test.db") == before  # not even the alias
    summary = import_frame(fresh_db, frame, allow_deactivation=True)
    assert (summary.added, summary.updated, summary.moved, summary.deactivated) == (2, 6, 1, 4)


def test_region_map_files(tmp_path):
    csv_map = tmp_path / "map.csv"
    csv_map.write_text(
        "kind,alias,canonical\nregion,鲤城供电所,泉州\n用户类别,临时用电,一般工商业\n", encoding="utf-8"
    )
    assert load_place_map(csv_map).aliases == {
        ("region", "鲤城供电所"): "泉州",
        ("customer_type", "临时用电"): "一般工商业",
    }
    two = tmp_path / "two.csv"
    two.write_text("alias,region\n刺桐,泉州\n", encoding="gb18030")
    assert load_place_map(two).aliases == {("region", "刺桐"): "泉州"}
    yml = tmp_path / "map.yaml"
    yml.write_text("region:\n  刺桐: 泉州\ncustomer_type:\n  临时用电: 一般工商业\n", encoding="utf-8")
    assert len(load_place_map(yml).aliases) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("from,to\na,b\n", encoding="utf-8")
    with pytest.raises(ValueError, match="header must be kind,alias,canonical"):
        load_place_map(bad)
    bad.write_text("kind,alias,canonical\ncity,a,b\n", encoding="utf-8")
    with pytest.raises(ValueError, match="row 2: kind must be region or customer_type"):
        load_place_map(bad)


def test_a_quanzhou_manager_sees_every_aliased_customer_and_the_prn_start_carries_on(demo_path):
    """The utility's export names 泉州 three ways: the customers stay in 泉州, its manager sees them, and the
    next round starts where the last one ended (the stratum is the same)."""
    from survey.frames import frame_overview
    from survey.rounds import draw_round

    db = open_db(demo_path)
    customers = pd.DataFrame(
        db.execute("SELECT id, name, phone, region, district, customer_type FROM customers WHERE active = 1"),
        columns=["id", "name", "phone", "region", "district", "customer_type"],
    )
    quanzhou = customers["region"] == "泉州"
    names = ["泉州市供电公司", "国网泉州供电公司", "泉州供电分公司"]
    customers.loc[quanzhou, "region"] = [names[i % 3] for i in range(int(quanzhou.sum()))]
    data = customers.rename(columns={"id": "户号", "name": "户名", "phone": "联系电话", "region": "供电单位",
                                     "district": "区县", "customer_type": "用户类别"}).to_csv(index=False)  # fmt: skip
    last = db.execute("SELECT MAX(id) FROM rounds").fetchone()[0]
    before = dict(db.execute("SELECT stratum, next_start FROM round_strata WHERE round_id = ?", [last]))
    seen_before = frame_overview(db, region="泉州")["customers"].sum()
    result = read_import(db, data.encode())
    assert result.ok, result.unknown
    summary = import_frame(db, result.frame, by="t")
    assert summary.moved == 0 and summary.deactivated == 0
    assert frame_overview(db, region="泉州")["customers"].sum() == seen_before == quanzhou.sum()
    assert not db.execute("SELECT COUNT(*) FROM customers WHERE region LIKE '%公司'").fetchone()[0]
    nxt = draw_round(db, size=200, strata=("region", "customer_type"), name="next").round_id
    after = dict(db.execute("SELECT stratum, start FROM round_strata WHERE round_id = ?", [nxt]))
    qz = [s for s in after if s.startswith("泉州|")]
    assert qz and all(after[s] == before[s] for s in qz)
    assert set(after) <= set(before)  # no new stratum


def test_scope_pickers_offer_the_list_even_before_an_import(fresh_db):
    from survey.users import known_regions

    assert known_regions(fresh_db) == list(FUJIAN)
    fresh_db.execute(
        "INSERT INTO customers (id, region, customer_type, prn) VALUES ('1', '测试区', '居民', 0.5)"
    )
    assert known_regions(fresh_db) == [*FUJIAN, "测试区"]
