"""The samples FrameStream is checked against read_frame on (tests/sampling/test_frame_stream.py): every sample
of the frame tests, the hostile ones and the workbook variants, as (file bytes, read_frame keyword arguments),
and one well-formed data row with chosen cells."""

from __future__ import annotations

from sampling.frame_read import MAX_COLUMNS
from tests.sampling.frame_samples import GOOD_ROWS, HEADER_EN, csv_text
from tests.sampling.test_frame_read import _variants
from tests.sampling.test_places import PLACES


def _row(i: int, **cells: str) -> str:
    base = {"id": f"{i:07d}", "name": f"张三{i}", "phone": "13812345678", "region": "福州", "district": "鼓楼区",
            "customer_type": "居民", "urban_rural": "城镇", "complaints_12m": "0", "opted_out": "否"}  # fmt: skip
    base.update(cells)
    return ",".join(base[c] for c in HEADER_EN.split(","))


def _samples() -> dict[str, tuple[bytes, dict]]:
    """Every sample of the frame tests: (file bytes, read_frame keyword arguments)."""
    one = "0012345,张三,13812345678,福州,鼓楼区,居民,城镇,1,否"
    samples = {f"variant {k}": (v, {}) for k, v in _variants().items()}
    samples |= {
        "good zh": (csv_text(*GOOD_ROWS).encode(), {}),
        "good en gbk": (csv_text(*GOOD_ROWS, header=HEADER_EN).encode("gbk"), {}),
        "utf-8 BOM": (b"\xef\xbb\xbf" + csv_text(one).encode(), {}),
        "gb18030": (csv_text(one.replace("张三", "𠮷野家")).encode("gb18030"), {}),
        "utf-16": (csv_text(one).encode("utf-16"), {}),
        "explicit GB2312": (csv_text(*GOOD_ROWS).encode("gbk"), {"encoding": "GB2312"}),
        "explicit utf-8": (csv_text(*GOOD_ROWS).encode(), {"encoding": "utf-8"}),
        "explicit utf-8 on gbk": (
            (csv_text() + "1,张三,,福州,,居民,,,\n").encode("gbk"),
            {"encoding": "utf-8"},
        ),
        "explicit gbk with BOM": (b"\xef\xbb\xbf" + csv_text(*GOOD_ROWS).encode("gbk"), {"encoding": "gbk"}),
        "explicit latin-1 (read whole)": (
            csv_text("1,x,,fz,,residential,,,", header=HEADER_EN).encode(),
            {"encoding": "latin-1"},
        ),  # fmt: skip
        "gbk valid as utf-8": (
            csv_text("1,张三,,福州,,居民,,,", "2,瀹扮酱,,fz,,residential,,,", header=HEADER_EN).encode("gbk"),
            {},
        ),  # fmt: skip
        "not text 1": (b"id,region\n\x80\x80\xff\n", {}),
        "not text 2": (b"\xff\x80\x81", {}),
        "not text 3": (b"id\n1\n2\n\xff", {}),
        "tabs": (csv_text(*GOOD_ROWS).replace(",", "\t").encode(), {}),
        "quoted": (
            csv_text(
                '1,"张,三",,福州,,居民,,,', '2,"多行\n名字",,福州,,居民,,,', "3,王五,,福州,,外星人,,,"
            ).encode(),
            {},
        ),
        "blank lines": (
            csv_text("", "1,a,,福州,,居民,,,", ",,,,,,,,", "", "2,b,,,,居民,,,", "", "").encode(),
            {},
        ),
        "blank lines above": ("\n \r\n户号,供电单位,用户类别\n1,福州,居民\n2,福州,\n".encode("gbk"), {}),
        "title row": ("2024年客户清单,,\n户号,供电单位,用户类别\n1,福州,居民\n2,福州,\n".encode("gbk"), {}),
        "title rows and mapping": (
            "客户清单,,\n导出日期：2024-01-01,,\n编号,单位,类别\n1,福州,居民\n2,福州,\n".encode("gbk"),
            {"mapping": {"编号": "id", "单位": "region", "类别": "customer_type"}},
        ),  # fmt: skip
        "too many fields": (b"a,b,c\n1,2,3\n1,2,3,4\n", {}),
        "unclosed quote": (b'a,b\n"1,2\n', {}),
        "short rows": ("户号,供电单位,用户类别,手机\n1,福州,居民\n".encode(), {}),
        "empty": (b"", {}),
        "only BOM": (b"\xef\xbb\xbf", {}),
        "blank": (b"\n\n", {}),
        "spaces": (b"   \r\n", {}),
        "commas": (b",,,\n,,,\n", {}),
        "header only": (csv_text().encode(), {}),
        "header and blank row": (csv_text(",,,,,,,,", "").encode(), {}),
        "missing columns": ("户号,户名,电话\n1,张三,13812345678\n2,李四,\n".encode(), {}),
        "mapping not found": (csv_text(*GOOD_ROWS).encode(), {"mapping": {"客户代码": "id"}}),
        "duplicate column": ("户号,客户编号,供电单位,用户类别\n1,2,福州,居民\n".encode(), {}),
        "user mapping": (
            "编号,单位,类别,手机,电话\n1,福州,居民,13812345678,0591-87654321\n".encode(),
            {
                "mapping": {
                    "编号": "id",
                    "单位": "region",
                    "类别": "customer_type",
                    "手机": None,
                    "电话": "phone",
                }
            },
        ),  # fmt: skip
        "cells": (
            csv_text(
                "1,=x,abc,福州,,外星,,,",
                "2,,,,,居民,,-5,",
                "1.23457E+11,,,福州,,居民,,,",
                f"3,{'长' * 201},,福州,,居民,,,",
                "4,,1.38123E+10,福州,,居民,郊区,1.5,maybe",
                '5,,"+86 138 1234 5678",福州,,Residential,urban,4.0,yes',
                ",x,,福州,,居民,,,",
            ).encode(),
            {},
        ),  # fmt: skip
        "10k bad rows": (csv_text(*[f"{i},,,福州,,外星人,,,否" for i in range(10_000)]).encode(), {}),
        "10k bad rows, 5 kept": (
            csv_text(*[f"{i},,,福州,,外星人,,,否" for i in range(10_000)]).encode(),
            {"max_problems": 5},
        ),
        "places": (
            csv_text(
                *[
                    _row(i, region=r, customer_type=t, district=d)
                    for i, (r, t, d) in enumerate(
                        [
                            ("泉州市供电公司", "居民生活用电", "鲤城"),
                            ("厦门", "居民", ""),
                            ("泉州", "商业综合体", "晋江"),
                            ("厦门", "非居民", ""),
                            ("漳州", "商业综合体", ""),
                            ("福州", "居民", "福清"),
                            ("厦门", "居民", ""),
                        ]
                        * 3
                    )
                ],
                header=HEADER_EN,
            ).encode(),
            {"places": PLACES},
        ),  # fmt: skip
        "places, valid": (
            csv_text(
                *[
                    _row(i, region=r, district=d)
                    for i, (r, d) in enumerate(
                        [
                            ("泉州市供电公司", "鲤城"),
                            ("国网泉州供电公司", "晋江"),
                            ("福州", "福清"),
                            ("Quanzhou", ""),
                        ]
                        * 4
                    )
                ],
                header=HEADER_EN,
            ).encode(),
            {"places": PLACES},
        ),  # fmt: skip
        "201 columns": (("a," * MAX_COLUMNS + "a\n1\n").encode(), {}),
        "line too long": (b"x" * 300_000, {}),
        "wide line further down": (
            ("户号,供电单位,用户类别\n" + "1,福州,居民\n" * 200).encode() + b"1," * 5_000 + b"\n",
            {},
        ),
        "200 columns": (
            (
                "户号,供电单位,用户类别"
                + ",".join([""] + [f"x{i}" for i in range(MAX_COLUMNS - 3)])
                + "\n1,福州,居民"
                + "," * 197
                + "\n"
            ).encode(),
            {},
        ),  # fmt: skip
    }
    return samples


SAMPLES = _samples()
