"""A small labelled corpus for fast tests of the topic model's machinery (not of its quality).

Hand-written for the tests: short complaint / praise / neutral phrases per topic, combined in pairs for
multi-topic texts. Quality is measured on the shipped corpus (tests/analysis/test_topic_model.py).
"""

from __future__ import annotations

import csv
from pathlib import Path

from analysis.corpus import LabelledText

PHRASES = {
    "attitude": (
        ["营业员态度很差", "客服说话很冲", "工作人员爱理不理", "the staff were rude"],
        ["营业员态度很好", "客服很有耐心", "工作人员热情周到", "the staff were friendly"],
    ),
    "skill": (
        ["问什么都答不上来", "业务一点都不熟", "新来的柜员不会操作", "the agent knew nothing"],
        ["师傅很专业", "讲解得很清楚", "业务非常熟练", "the engineer was very skilled"],
    ),
    "outage_notice": (
        ["停电没有提前通知", "停电通知来得太晚", "停电前没收到短信", "no notice before the outage"],
        ["停电前收到短信提醒", "停电通知很及时", "提前一天就通知了", "the outage notice came early"],
    ),
    "reliability": (
        ["经常停电", "电压老是不稳", "三天两头跳闸", "the power keeps going off"],
        ["今年基本没停过电", "电压很稳定", "供电一直很稳", "the supply has been stable"],
    ),
    "repair": (
        ["报修半天没人来", "修了两次都没修好", "抢修太慢了", "the repair took days"],
        ["抢修很快", "师傅半小时就修好了", "报修后马上来人", "the repair was fast"],
    ),
    "billing": (
        ["电费太贵了", "这个月电费莫名多了", "电表走得太快", "the bill is too high"],
        ["电价挺合理", "电费清清楚楚", "账单很清楚", "the bill was correct"],
    ),
    "channels": (
        ["95598老是打不通", "网上国网总是闪退", "热线等了半小时", "the app keeps crashing"],
        ["网上国网交费很方便", "热线一打就通", "微信缴费很方便", "the app is easy to use"],
    ),
    "procedures": (
        ["过户要跑好几趟", "报装等了一个多月", "手续太复杂", "too much paperwork"],
        ["一次就办好了", "手续很简便", "上门办理很省心", "the paperwork was simple"],
    ),
    "external": (
        ["施工队把电缆挖断了", "物业的配电房老出问题", "台风一来就停电", "road works cut the cable"],
        ["台风天停电可以理解", "修路挖断电缆没办法", "打雷停电能理解", "the storm caused it"],
    ),
}
NEUTRAL = {"channels": "建议增加微信缴费", "procedures": "租户能不能自己开户", "billing": "峰谷电怎么申请",
           "reliability": "村里变压器能不能扩容"}  # fmt: skip
GENERAL = [("无", "", 0, 0), ("没有", "", 0, 0), ("服务很好谢谢", "", 0, 1), ("太差劲了", "", 1, 0),
           ("满意", "", 0, 1), ("不满意", "", 1, 0), ("还行吧", "", 0, 0), ("辛苦了", "", 0, 1)]  # fmt: skip


def fixture_rows() -> list[LabelledText]:
    rows: list[LabelledText] = []
    topics = list(PHRASES)

    def add(text: str, labels: dict[str, str], complaint: bool, praise: bool) -> None:
        ordered = tuple((t, labels[t]) for t in topics if t in labels)
        rows.append(LabelledText(f"T{len(rows) + 1:04d}", text, ordered, complaint, praise))

    for topic, (bad, good) in PHRASES.items():
        for text in bad:
            add(text, {topic: "complaint" if topic != "external" else "neutral"}, True, False)
        for text in good:
            add(text, {topic: "praise" if topic != "external" else "neutral"}, False, topic != "external")
    for topic, text in NEUTRAL.items():
        add(text, {topic: "neutral"}, False, False)
    for k, first in enumerate(topics[:-1]):  # mixed texts: praise of one topic, complaint about the next
        second = topics[k + 1]
        add(f"{PHRASES[first][1][k % 3]}，但是{PHRASES[second][0][k % 3]}", {first: "praise", second: "complaint"},
            True, True)  # fmt: skip
        add(f"{PHRASES[first][0][(k + 1) % 3]}，{PHRASES[second][0][(k + 2) % 3]}", {first: "complaint", second: "complaint"},
            True, False)  # fmt: skip
    for text, _, complaint, praise in GENERAL:
        add(text, {}, bool(complaint), bool(praise))
    return rows


def write_fixture_corpus(folder: Path) -> Path:
    """Write the fixture as ``folder/suggestions_part1.csv`` (the corpus format); return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "suggestions_part1.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "labels", "complaint", "praise"])
        for row in fixture_rows():
            writer.writerow([row.id, row.text, row.labels_text(), int(row.complaint), int(row.praise)])
    return folder
