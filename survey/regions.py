"""Real regions for demo data: the nine prefecture-level cities of Fujian and their districts.

Population (millions, 2020 census) and urbanisation rates are approximate and only used
to make the demo frame look like a real province.
"""

from __future__ import annotations

FUJIAN: dict[str, dict] = {
    "福州": {
        "en": "Fuzhou",
        "population": 8.29,
        "urban": 0.73,
        "districts": [
            "鼓楼区",
            "台江区",
            "仓山区",
            "马尾区",
            "晋安区",
            "长乐区",
            "福清市",
            "闽侯县",
            "连江县",
            "罗源县",
            "闽清县",
            "永泰县",
            "平潭县",
        ],
    },
    "厦门": {
        "en": "Xiamen",
        "population": 5.16,
        "urban": 0.90,
        "districts": ["思明区", "海沧区", "湖里区", "集美区", "同安区", "翔安区"],
    },
    "莆田": {
        "en": "Putian",
        "population": 3.21,
        "urban": 0.60,
        "districts": ["城厢区", "涵江区", "荔城区", "秀屿区", "仙游县"],
    },
    "三明": {
        "en": "Sanming",
        "population": 2.49,
        "urban": 0.62,
        "districts": [
            "三元区",
            "沙县区",
            "永安市",
            "明溪县",
            "清流县",
            "宁化县",
            "大田县",
            "尤溪县",
            "将乐县",
            "泰宁县",
            "建宁县",
        ],
    },
    "泉州": {
        "en": "Quanzhou",
        "population": 8.78,
        "urban": 0.69,
        "districts": [
            "鲤城区",
            "丰泽区",
            "洛江区",
            "泉港区",
            "石狮市",
            "晋江市",
            "南安市",
            "惠安县",
            "安溪县",
            "永春县",
            "德化县",
        ],
    },
    "漳州": {
        "en": "Zhangzhou",
        "population": 5.05,
        "urban": 0.60,
        "districts": [
            "芗城区",
            "龙文区",
            "龙海区",
            "长泰区",
            "云霄县",
            "漳浦县",
            "诏安县",
            "东山县",
            "南靖县",
            "平和县",
            "华安县",
        ],
    },
    "南平": {
        "en": "Nanping",
        "population": 2.68,
        "urban": 0.57,
        "districts": [
            "延平区",
            "建阳区",
            "邵武市",
            "武夷山市",
            "建瓯市",
            "顺昌县",
            "浦城县",
            "光泽县",
            "松溪县",
            "政和县",
        ],
    },
    "龙岩": {
        "en": "Longyan",
        "population": 2.72,
        "urban": 0.63,
        "districts": ["新罗区", "永定区", "漳平市", "长汀县", "上杭县", "武平县", "连城县"],
    },
    "宁德": {
        "en": "Ningde",
        "population": 3.15,
        "urban": 0.58,
        "districts": [
            "蕉城区",
            "福安市",
            "福鼎市",
            "霞浦县",
            "古田县",
            "屏南县",
            "寿宁县",
            "周宁县",
            "柘荣县",
        ],
    },
}

#: Customer types (用电类别) and their share of customers in a typical provincial utility.
CUSTOMER_TYPES: dict[str, float] = {"居民": 0.88, "一般工商业": 0.085, "大工业": 0.01, "农业": 0.025}
CUSTOMER_TYPES_EN = {
    "居民": "Residential",
    "一般工商业": "General commercial & industrial",
    "大工业": "Large industry",
    "农业": "Agricultural",
}


def region_name_en(region: str) -> str:
    """English name of a demo region, or the name itself for regions not in the list."""
    return FUJIAN.get(region, {}).get("en", region)
