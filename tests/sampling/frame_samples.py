"""Shared sample rows and helpers of the frame tests (tests/sampling/test_frame*.py)."""

from __future__ import annotations

from sampling.frame import FrameResult

HEADER_ZH = "户号,户名,联系电话,供电单位,区县,用户类别,城乡类别,近12个月投诉次数,拒访"
HEADER_EN = "id,name,phone,region,district,customer_type,urban_rural,complaints_12m,opted_out"
GOOD_ROWS = [
    "0012345,张三,13812345678,福州,鼓楼区,居民,城镇,0,否",
    "0012346,李四,,厦门,思明区,一般工商业,农村,2,是",
    "0012347,王五,0591-87654321,泉州,丰泽区,大工业,,,",
]


def csv_text(*rows: str, header: str = HEADER_ZH) -> str:
    return "\n".join([header, *rows]) + "\n"


def codes(result: FrameResult) -> list[str]:
    return [p.code for p in result.problems]
