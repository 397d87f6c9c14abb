"""Evaluation of the suggestion classifier on a labelled set written independently of the code.

``tests/analysis/data/suggestions_eval.csv`` (UTF-8; columns ``id,text,topics``, topics a
``;``-separated list of topic keys, possibly empty) is written by hand for the test, not generated
by the classifier. The test prints precision / recall / F1 per topic and micro-averaged
(``pytest -s`` or ``-rA`` shows the table) and asserts floors. The classifier follows the set's
labelling rule (topics are aspects whatever the polarity, praise an extra label); it was tuned
on the development sets in test_suggestions.py, never on these rows. A missing file is a failure, not a
skip: CI must check the classifier.

Metrics (multi-label, per topic k over all texts): precision = TP/(TP+FP), recall = TP/(TP+FN),
F1 = 2PR/(P+R); micro-averages pool TP, FP and FN over topics (Manning, Raghavan & Schütze 2008,
*Introduction to Information Retrieval*, §13.6). An undefined ratio (0/0) is reported as nan.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import pytest

from analysis.suggestions import TOPIC_KEYS, classify

EVAL_PATH = Path(__file__).parent / "data" / "suggestions_eval.csv"
MICRO_F1_FLOOR = 0.70
RECALL_FLOOR = 0.50
MIN_SUPPORT_FOR_RECALL_FLOOR = 10


@dataclass(frozen=True)
class TopicScore:
    topic: str
    tp: int
    fp: int
    fn: int

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else math.nan

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else math.nan

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else math.nan


def score(gold: list[set[str]], predicted: list[set[str]], topics=TOPIC_KEYS) -> list[TopicScore]:
    """Per-topic counts, then a final "micro" row pooling them."""
    rows = [TopicScore(t, sum(t in g and t in p for g, p in zip(gold, predicted, strict=True)),
                       sum(t not in g and t in p for g, p in zip(gold, predicted, strict=True)),
                       sum(t in g and t not in p for g, p in zip(gold, predicted, strict=True)))
            for t in topics]  # fmt: skip
    micro = TopicScore("micro", sum(r.tp for r in rows), sum(r.fp for r in rows), sum(r.fn for r in rows))
    return [*rows, micro]


def table(rows: list[TopicScore], n_texts: int) -> str:
    lines = [f"suggestion topics on {n_texts} labelled texts",
             f"{'topic':<14}{'support':>8}{'TP':>5}{'FP':>5}{'FN':>5}{'precision':>11}{'recall':>8}{'F1':>7}"]  # fmt: skip
    for r in rows:
        lines.append(f"{r.topic:<14}{r.support:>8}{r.tp:>5}{r.fp:>5}{r.fn:>5}"
                     f"{r.precision:>11.3f}{r.recall:>8.3f}{r.f1:>7.3f}")  # fmt: skip
    return "\n".join(lines)


def read_labelled(path: Path) -> list[tuple[str, str, set[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames and {"id", "text", "topics"} <= set(reader.fieldnames), reader.fieldnames
        records = []
        for row in reader:
            labels = {t.strip() for t in (row["topics"] or "").split(";") if t.strip()}
            unknown = labels - set(TOPIC_KEYS)
            assert not unknown, f"row {row['id']}: unknown topic(s) {sorted(unknown)}"
            records.append((row["id"], row["text"] or "", labels))
    return records


def evaluate(records: list[tuple[str, str, set[str]]]) -> list[TopicScore]:
    return score([labels for _, _, labels in records], [set(classify(text)) for _, text, _ in records])


# A tiny development set, written by hand for sanity while the real set is being written.
DEV_SET = [
    ("停电前没有收到通知，电压也经常不稳", "outage_notice;reliability"),
    ("抢修速度太慢了，晚上十点停电，第二天中午才修好", "repair"),
    ("这个月电费比上个月多了一倍", "billing"),
    ("95598电话很难打通，等了二十分钟", "channels"),
    ("办理过户手续太麻烦，跑了好几趟", "procedures"),
    ("打雷把变压器打坏了，停电一整天", "external;reliability"),
    ("营业员很不耐烦，问两句就凶人", "attitude"),
    ("客服一问三不知，业务不熟练", "skill"),
    ("你们辛苦了，继续保持", "praise"),
    ("服务不满意", ""),
    ("暂无", ""),
    ("Staff were rude and impatient", "attitude"),
    ("The app keeps crashing when I try to pay", "channels"),
    ("App不好用，经常卡", "channels"),
]


def test_score_by_hand():
    gold = [{"billing"}, {"billing", "praise"}, set(), {"repair"}]
    predicted = [{"billing"}, {"praise"}, {"billing"}, set()]
    rows = {r.topic: r for r in score(gold, predicted, topics=("billing", "praise", "repair"))}
    # billing: TP 1 (text 1), FN 1 (text 2), FP 1 (text 3) -> P = R = F1 = 1/2
    assert (rows["billing"].tp, rows["billing"].fp, rows["billing"].fn) == (1, 1, 1)
    assert rows["billing"].f1 == pytest.approx(0.5)
    assert rows["repair"].recall == 0 and math.isnan(rows["repair"].precision)
    # micro: TP 2, FP 1, FN 2 -> P 2/3, R 1/2, F1 = 2*(2/3)*(1/2)/(2/3+1/2) = 4/7
    assert rows["micro"].f1 == pytest.approx(4 / 7)


def test_dev_set_sanity():
    records = [
        (str(i), text, set(filter(None, labels.split(";")))) for i, (text, labels) in enumerate(DEV_SET)
    ]
    rows = evaluate(records)
    print("\n" + table(rows, len(records)))
    assert rows[-1].f1 >= 0.9


def test_labelled_evaluation_set(record_property):
    if not EVAL_PATH.exists():
        pytest.fail(
            f"labelled evaluation set {EVAL_PATH} is missing; it must exist for CI to check the classifier"
        )
    records = read_labelled(EVAL_PATH)
    assert len(records) >= 200, f"the evaluation set needs at least 200 texts, but has {len(records)}"
    rows = evaluate(records)
    report = table(rows, len(records))
    print("\n" + report)
    record_property("suggestions_eval", report)
    micro = rows[-1]
    assert micro.f1 >= MICRO_F1_FLOOR, f"micro F1 {micro.f1:.3f} below {MICRO_F1_FLOOR}\n{report}"
    weak = [
        r.topic for r in rows[:-1] if r.support >= MIN_SUPPORT_FOR_RECALL_FLOOR and r.recall < RECALL_FLOOR
    ]
    assert not weak, f"recall below {RECALL_FLOOR} for {weak}\n{report}"
