"""Write the sample customer frames shipped in data/ (deterministic: same script, same bytes).

- ``data/sample_frame_utf8.csv``: plain UTF-8, the import's own Chinese headers (户号, 户名, 联系电话, 供电单位,
  区县, 用户类别, 城乡类别, 近12个月投诉次数, 拒访) and the canonical region and type names (泉州, 居民).
- ``data/sample_frame_gbk.csv``: a utility's GBK export (CRLF line ends) with its own headers (户号, 户名,
  联系电话, 供电单位, 所属区县, 用电类别, 城乡类别) and its own spellings of regions (国网泉州供电公司,
  泉州市供电公司, …), districts (鲤城, 晋江) and types (居民生活用电, 一般工商业用电, …), so that importing it
  exercises the alias mapping onto the region list.

Names and phone numbers are invented (Faker, fixed seed). Run from the repository root::

    python scripts/make_sample_frames.py            # rewrites data/sample_frame_*.csv
    python scripts/make_sample_frames.py --out DIR  # writes them elsewhere (the tests compare the bytes)
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from faker import Faker  # noqa: E402

from survey.regions import CUSTOMER_TYPES, FUJIAN  # noqa: E402

ROWS = 200
SEED = 20261204
UTF8_NAME = "sample_frame_utf8.csv"
GBK_NAME = "sample_frame_gbk.csv"
UTF8_HEADERS = (
    "户号",
    "户名",
    "联系电话",
    "供电单位",
    "区县",
    "用户类别",
    "城乡类别",
    "近12个月投诉次数",
    "拒访",
)
GBK_HEADERS = ("户号", "户名", "联系电话", "供电单位", "所属区县", "用电类别", "城乡类别")
#: How a utility's marketing system writes a city's company ({} is the city, 泉州).
REGION_SPELLINGS = ("国网{}供电公司", "{}市供电公司", "国网福建省电力有限公司{}供电公司", "{}供电分公司")
#: How it writes the customer types.
TYPE_SPELLINGS = {
    "居民": ("居民生活用电", "城乡居民生活用电"),
    "一般工商业": ("一般工商业用电",),
    "大工业": ("大工业用电",),
    "农业": ("农业生产用电",),
}
URBAN_SPELLINGS = {"城镇": ("城镇", "城市"), "农村": ("农村", "乡村")}


def _customers(rng: random.Random, fake: Faker, n: int, first_id: int) -> list[dict]:
    regions = list(FUJIAN)
    weights = [FUJIAN[r]["population"] for r in regions]
    types, type_weights = list(CUSTOMER_TYPES), list(CUSTOMER_TYPES.values())
    rows = []
    for i in range(n):
        region = rng.choices(regions, weights)[0]
        ctype = rng.choices(types, type_weights)[0]
        urban = "农村" if ctype == "农业" or rng.random() > FUJIAN[region]["urban"] else "城镇"
        rows.append(
            {
                "id": f"{first_id + i:010d}",
                "name": fake.company() if ctype in ("一般工商业", "大工业") else fake.name(),
                "phone": fake.phone_number(),
                "region": region,
                "district": rng.choice(FUJIAN[region]["districts"]),
                "customer_type": ctype,
                "urban_rural": urban,
                "complaints_12m": int(rng.random() < 0.06) + int(rng.random() < 0.01),
                "opted_out": rng.random() < 0.02,
            }
        )
    return rows


def _csv(rows: list[tuple], lineterminator: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=lineterminator)
    writer.writerows(rows)
    return buffer.getvalue()


def utf8_frame(seed: int = SEED, n: int = ROWS) -> bytes:
    """The plain UTF-8 frame with the import's own headers and canonical names."""
    rng, fake = random.Random(seed), Faker("zh_CN")
    fake.seed_instance(seed)
    rows = [UTF8_HEADERS] + [
        (c["id"], c["name"], c["phone"], c["region"], c["district"], c["customer_type"], c["urban_rural"],
         c["complaints_12m"], "是" if c["opted_out"] else "否")
        for c in _customers(rng, fake, n, first_id=3501000001)
    ]  # fmt: skip
    return _csv(rows, "\n").encode("utf-8")


def _district_spelling(rng: random.Random, district: str) -> str:
    """Half the districts without their 区/县/市 ending (鲤城, 晋江), as many exports write them."""
    return (
        district[:-1] if len(district) > 2 and district[-1] in "区县市" and rng.random() < 0.5 else district
    )


def gbk_frame(seed: int = SEED + 1, n: int = ROWS) -> bytes:
    """The utility's GBK export: its own headers and spellings of regions, districts and types."""
    rng, fake = random.Random(seed), Faker("zh_CN")
    fake.seed_instance(seed)
    rows = [GBK_HEADERS] + [
        (c["id"], c["name"], c["phone"], rng.choice(REGION_SPELLINGS).format(c["region"]),
         _district_spelling(rng, c["district"]), rng.choice(TYPE_SPELLINGS[c["customer_type"]]),
         rng.choice(URBAN_SPELLINGS[c["urban_rural"]]))
        for c in _customers(rng, fake, n, first_id=3502000001)
    ]  # fmt: skip
    return _csv(rows, "\r\n").encode("gbk")


def write_sample_frames(out: Path) -> list[Path]:
    """Write both files into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in ((UTF8_NAME, utf8_frame()), (GBK_NAME, gbk_frame())):
        path = out / name
        path.write_bytes(content)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "data", help="folder to write into (default: data/)"
    )
    args = parser.parse_args(argv)
    for path in write_sample_frames(args.out):
        print(path)


if __name__ == "__main__":
    main()
