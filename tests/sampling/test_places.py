"""The region / customer-type list and its alias rules (pure), and read_frame resolving onto it."""

from __future__ import annotations

import pytest

from sampling.frame import read_frame
from sampling.places import PlaceChoices, PlaceList, Region, place_key, region_stem
from survey.regions import CUSTOMER_TYPES, FUJIAN

PLACES = PlaceList(
    (
        Region("福州", "Fuzhou", ("鼓楼区", "福清市")),
        Region("泉州", "Quanzhou", ("鲤城区", "晋江市", "惠安县")),
    ),
    PlaceList.default().customer_types,
    PlaceList.default().aliases,
)


@pytest.mark.parametrize(
    "value",
    ["泉州", "泉州市", "泉州市供电公司", "国网泉州供电公司", "泉州供电分公司", "国网福建省电力有限公司泉州供电公司",
     "泉州供电局", "泉州电业局", "泉州供电服务中心", "国网泉州市供电公司", "福建省泉州市", " 泉州 ", "Quanzhou", "QUANZHOU",
     "quanzhou city", "Quanzhou Power Supply Company", "ＱＵＡＮＺＨＯＵ"],
)  # fmt: skip
def test_usual_region_aliases_resolve_to_the_canonical_name(value):
    assert PLACES.resolve("region", value) == "泉州"


@pytest.mark.parametrize("value", ["泉州电力大厦", "晋江", "石狮市供电公司", "漳州", "", "国网", "公司"])
def test_other_regions_are_unknown(value):
    assert PLACES.resolve("region", value) is None


@pytest.mark.parametrize(
    "value, expected",
    [("居民生活用电", "居民"), ("城乡居民", "居民"), ("城乡居民生活用电", "居民"), ("居民", "居民"), ("Residential", "居民"),
     ("一般工商业用电", "一般工商业"), ("工商业", "一般工商业"), ("大工业用电", "大工业"), ("Large Industry", "大工业"),
     ("农业生产用电", "农业"), ("农业排灌", "农业"), ("agricultural", "农业"), ("商业综合体", None), ("非居民", None)],
)  # fmt: skip
def test_usual_customer_type_aliases(value, expected):
    assert PLACES.resolve("customer_type", value) == expected


@pytest.mark.parametrize(
    "region, value, expected",
    [("泉州", "鲤城", "鲤城区"), ("泉州", "鲤城区", "鲤城区"), ("泉州", "泉州市鲤城区", "鲤城区"), ("泉州", "晋江", "晋江市"),
     ("泉州", "国网晋江市供电公司", "晋江市"), ("泉州", "惠安", "惠安县"),
     ("福州", "鲤城", "鲤城"),  # not a district of 福州: kept as written
     ("泉州", "丰泽", "丰泽"), ("泉州", "", "")],
)  # fmt: skip
def test_districts_map_only_within_their_region(region, value, expected):
    assert PLACES.resolve_district(region, value) == expected


def test_an_explicit_alias_wins_and_choices_extend_the_list():
    places = PLACES.with_choices(PlaceChoices({("region", "刺桐"): "泉州", ("region", "新区"): "平潭"},
                                              (("region", "平潭"),)))  # fmt: skip
    assert places.resolve("region", "刺桐") == "泉州" and places.resolve("region", "新区") == "平潭"
    assert places.names("region") == ("福州", "泉州", "平潭")
    with pytest.raises(ValueError, match="'厦门', which is not in the list"):
        PLACES.with_choices(PlaceChoices({("region", "鹭岛"): "厦门"}))
    with pytest.raises(ValueError, match="kind must be one of"):
        PLACES.resolve("district", "x")


def test_place_key_and_stem():
    assert place_key(" Large_Industry ") == "largeindustry"
    assert region_stem("国网福建省电力有限公司泉州供电公司") == "泉州"


def test_the_builtin_list_agrees_with_the_demo_data():
    default = PlaceList.default()
    assert default.names("region") == tuple(FUJIAN)
    assert [r.name_en for r in default.regions] == [v["en"] for v in FUJIAN.values()]
    assert default.names("customer_type") == tuple(CUSTOMER_TYPES)


HEADER = "户号,供电单位,区县,用户类别\n"


def test_read_frame_resolves_regions_types_and_districts_onto_the_list():
    data = (HEADER + "1,泉州市供电公司,鲤城,居民生活用电\n2,国网泉州供电公司,晋江,城乡居民\n"
            "3,泉州供电分公司,惠安县,大工业用电\n4,福州,鼓楼,工商业\n").encode()  # fmt: skip
    result = read_frame(data, places=PLACES)
    assert result.ok, result.problems
    assert result.frame["region"].tolist() == ["泉州", "泉州", "泉州", "福州"]
    assert result.frame["district"].tolist() == ["鲤城区", "晋江市", "惠安县", "鼓楼区"]
    assert result.frame["customer_type"].tolist() == ["居民", "居民", "大工业", "一般工商业"]


def test_unknown_values_are_grouped_with_column_rows_and_count():
    rows = [
        f"{i},{'鲤城供电所' if i % 3 == 0 else '泉州'},,{'商业综合体' if i == 7 else '居民'}"
        for i in range(1, 31)
    ]
    result = read_frame((HEADER.replace("供电单位", "所属单位") + "\n".join(rows)).encode(),
                        mapping={"所属单位": "region"}, places=PLACES)  # fmt: skip
    assert not result.ok and result.only_unknown_values and result.problem_count == 11
    region, ctype = result.unknown
    assert (region.column, region.header, region.value, region.count) == (
        "region",
        "所属单位",
        "鲤城供电所",
        10,
    )
    assert region.rows == (4, 7, 10, 13, 16)  # rows as in Excel (header = 1): records 3, 6, 9, …
    assert (ctype.column, ctype.value, ctype.count, ctype.rows) == ("customer_type", "商业综合体", 1, (8,))
    assert (
        "鲤城供电所" in region.describe()
        and "所属单位" in region.describe()
        and "10 rows: 4, 7, 10, 13, 16, …" in region.describe()
    )
    assert "共 10 行：第 4, 7, 10, 13, 16, … 行" in region.describe("zh")
    codes = {p.code for p in result.problems}
    assert codes == {"unknown_region", "unknown_customer_type"}
    assert "鲤城供电所" in result.problems[0].message_zh and "福州、泉州" in result.problems[0].message_zh


def test_each_unknown_value_lists_only_its_own_rows():
    data = (HEADER + "1,鲤城供电所,,居民\n2,平潭,,居民\n3,鲤城供电所,,居民\n").encode()
    result = read_frame(data, places=PLACES)
    assert [(u.value, u.count, u.rows) for u in result.unknown] == [
        ("鲤城供电所", 2, (2, 4)),
        ("平潭", 1, (3,)),
    ]


def test_without_a_list_regions_are_kept_as_written():
    result = read_frame((HEADER + "1,泉州市供电公司,鲤城,居民\n").encode())
    assert result.ok and result.frame["region"].tolist() == ["泉州市供电公司"]
    assert result.frame["district"].tolist() == ["鲤城"]
