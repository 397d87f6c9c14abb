"""Benchmark: dashboard statistics for 100,000 responses vs reading the answers table.

Builds its own database (a small demo for the questionnaire and round, then 100,000
synthetic respondents added to round 1 in bulk), then times, in the same run:

* baseline — reading the answers table into pandas (``SELECT response_id, question_id, value``);
* frame — ``survey.results.responses_frame`` (the join + pivot the dashboard reads);
* statistics — ``survey.results.dashboard_statistics``: indicators of every item per region
  and overall, Kruskal-Wallis + Dunn/Holm, letters, Rao-Scott, Cramér's V, drill-down.

Targets (issue 5): statistics ≤ 1 s and ≤ 3 × baseline. Run: ``python benchmarks/bench_dashboard.py``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from survey.demo import build_demo  # noqa: E402
from survey.results import dashboard_statistics, likert_items, responses_frame  # noqa: E402
from survey.store import open_db, transaction  # noqa: E402

SUGGESTIONS = ["", "无", "电费太贵了", "停电太频繁", "抢修师傅来得很快，谢谢", "95598很难打通", "服务很好"]


def build(path: Path, responses: int, seed: int) -> None:
    db = open_db(path)
    build_demo(db, customers=2000, seed=seed)
    rng = np.random.default_rng(seed)
    strata = db.execute("SELECT stratum FROM round_strata WHERE round_id = 1").fetchall()
    strata = [s[0] for s in strata]
    items = list(likert_items(db, 1))
    pick = rng.integers(len(strata), size=responses)
    with transaction(db):
        for h, stratum in enumerate(strata):
            db.execute("UPDATE round_strata SET population = population + ? WHERE round_id = 1 AND stratum = ?",
                       [int((pick == h).sum()) * 5, stratum])  # fmt: skip
        region_type = [s.split("|") for s in strata]
        db.conn.executemany(
            "INSERT INTO customers (id, name, phone, region, district, customer_type, prn) VALUES (?,?,?,?,?,?,?)",
            ((f"B{i:08d}", "客户", "13800000000", region_type[h][0], "", region_type[h][-1], rng.random())
             for i, h in enumerate(pick)),
        )  # fmt: skip
        db.conn.executemany(
            "INSERT INTO assignments (id, round_id, customer_id, stratum, prn, pi, weight, status)"
            " VALUES (?, 1, ?, ?, 0.5, 0.2, 5, 'complete')",
            ((10_000_000 + i, f"B{i:08d}", strata[h]) for i, h in enumerate(pick)),
        )
        db.conn.executemany(
            "INSERT INTO responses (id, assignment_id, submitted_at, questionnaire_sha256) VALUES (?, ?, ?, 'x')",
            ((10_000_000 + i, 10_000_000 + i, "2026-01-01T00:00:00+00:00") for i in range(responses)),
        )
        scores = rng.choice([1, 2, 3, 4, 5], p=[0.05, 0.07, 0.18, 0.4, 0.3], size=(responses, len(items)))
        texts = rng.integers(len(SUGGESTIONS), size=responses)
        db.conn.executemany(
            "INSERT INTO answers (response_id, question_id, value) VALUES (?, ?, ?)",
            ((10_000_000 + i, q, str(scores[i, j])) for i in range(responses) for j, q in enumerate(items)),
        )
        db.conn.executemany(
            "INSERT INTO answers (response_id, question_id, value) VALUES (?, 'suggestion', ?)",
            ((10_000_000 + i, SUGGESTIONS[texts[i]]) for i in range(responses)),
        )
    db.conn.close()


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        start = time.perf_counter()
        build(path, args.responses, seed=11)
        print(
            f"built database with {args.responses:,} extra responses in {time.perf_counter() - start:.1f} s"
        )
        db = open_db(path)
        items = list(likert_items(db, 1))
        baseline, _ = best(lambda: pd.DataFrame(
            db.execute("SELECT response_id, question_id, value FROM answers").fetchall(),
            columns=["response_id", "question_id", "value"]), args.repeat)  # fmt: skip
        t_frame, frame = best(lambda: responses_frame(db, 1), args.repeat)
        t_stats, stats = best(lambda: dashboard_statistics(frame, items, "overall"), args.repeat)
        print(f"responses in round 1: {stats.n:,}; items: {len(items)}")
        print(f"baseline: read answers table     {baseline:8.3f} s")
        print(f"frame:    responses_frame        {t_frame:8.3f} s  ({t_frame / baseline:.2f} x baseline)")
        print(f"stats:    dashboard_statistics   {t_stats:8.3f} s  ({t_stats / baseline:.2f} x baseline)")
        ok = t_stats <= 1.0 and t_stats <= 3 * baseline
        print(f"target statistics <= 1 s and <= 3 x baseline: {'met' if ok else 'NOT met'}")
        db.conn.close()


if __name__ == "__main__":
    main()
