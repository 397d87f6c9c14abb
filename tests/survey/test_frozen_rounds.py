"""A round is frozen at its draw (issue 10, item 1): a re-import that moves customers changes no result.

The demo's round 1 is closed. A new customer list moves 20% of the customers to other regions (and changes the
type of some), blanks every district and deactivates nobody; every consumer of round 1 — the CLI report (all
regions and scoped), the dashboard statistics and their export tables, progress, call list, invitations,
follow-ups and the trend table — must print exactly what it printed before. On either store backend.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

from survey.calls import call_list
from survey.cli import cli
from survey.follow_ups import list_follow_ups
from survey.monitoring import round_progress
from survey.results import dashboard_statistics, likert_items, responses_frame, scoped, trend_table
from survey.store import open_db

REGIONS = ["福州", "厦门", "莆田", "三明", "泉州", "漳州", "南平", "龙岩", "宁德"]


def _run(*args) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _everything(path, round_id: int) -> dict[str, str]:
    """Every view of one round, as text."""
    db = open_db(path)
    try:
        out = {
            "report": _run("report", round_id, "--db", path, "--json"),
            "report_region": _run("report", round_id, "--db", path, "--json", "--region", "泉州"),
            "progress": _run("progress", round_id, "--db", path),
            "progress_region": _run("progress", round_id, "--db", path, "--region", "泉州"),
            "follow_ups": _run("follow-ups", "--db", path, "--region", "泉州"),
            "progress_obj": repr(round_progress(db, round_id, region="泉州")),
            "calls": json.dumps(
                [{k: v for k, v in r.items() if k not in ("name", "phone")} for r in call_list(db, round_id)],
                ensure_ascii=False,
                default=str,
            ),  # fmt: skip
            "queue": list_follow_ups(db, region="泉州", today="2000-01-01")
            .drop(columns=["name", "phone"])
            .to_csv(),  # fmt: skip
        }
        frame = responses_frame(db, round_id)
        items = list(likert_items(db, round_id))
        for scope in (None, "泉州"):
            part = scoped(frame, scope)
            stats = dashboard_statistics(part, items, "overall", group="district" if scope else "region")
            for name in ("indicators", "pairs", "drill"):
                out[f"dashboard_{scope}_{name}"] = getattr(stats, name).to_csv()
        out["trend"] = trend_table(db, items, indicator="index").drop(columns=[]).to_csv()
        return out
    finally:
        db.conn.close()


@pytest.fixture
def moved_frame(demo_target, tmp_path):
    """The demo's customer list with 20% of the customers in another region, some types changed, no districts."""
    db = open_db(demo_target)
    rows = db.execute(
        "SELECT id, name, phone, region, district, customer_type, urban_rural, complaints_12m, opted_out"
        " FROM customers WHERE active = 1 ORDER BY id"
    ).fetchall()
    db.conn.close()
    rng = np.random.default_rng(20261204)
    move = rng.random(len(rows)) < 0.2
    retype = rng.random(len(rows)) < 0.1
    path = tmp_path / "moved.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(
            [
                "户号",
                "户名",
                "联系电话",
                "供电单位",
                "区县",
                "用户类别",
                "城乡类别",
                "近12个月投诉次数",
                "拒访",
            ]
        )
        for row, m, r in zip(rows, move, retype, strict=True):
            cid, name, phone, region, _district, ctype, urban, complaints, opted = row
            if m:
                region = REGIONS[(REGIONS.index(region) + 1 + int(rng.integers(8))) % 9]
            if r:
                ctype = "一般工商业" if ctype == "居民" else "居民"
            out.writerow([cid, name, phone, region, "", ctype, urban, complaints, "是" if opted else "否"])
    return path, int(move.sum()), len(rows)


def test_a_reimport_that_moves_customers_changes_no_closed_round(demo_target, moved_frame):
    path, moved, total = moved_frame
    assert moved > 0.15 * total
    closed = [r[0] for r in open_db(demo_target).execute("SELECT id FROM rounds WHERE status = 'closed'")]
    assert closed, "the demo has a closed round"
    before = {rid: _everything(demo_target, rid) for rid in closed}
    _run("import-frame", path, "--db", demo_target)
    db = open_db(demo_target)
    # the import really moved them: the frame now differs from the round's snapshot
    changed = db.execute(
        "SELECT COUNT(*) FROM assignments a JOIN customers c ON c.id = a.customer_id"
        " WHERE a.round_id = ? AND (a.region <> c.region OR a.district IS DISTINCT FROM c.district)",
        [closed[0]],
    ).fetchone()[0]
    db.conn.close()
    assert changed > 0
    after = {rid: _everything(demo_target, rid) for rid in closed}
    for rid in closed:
        for view in before[rid]:
            assert after[rid][view] == before[rid][view], f"round {rid}: {view} changed after the re-import"


def test_new_rounds_use_the_new_frame(demo_target, moved_frame):
    path, _, _ = moved_frame
    _run("import-frame", path, "--db", demo_target)
    out = _run("draw", "--db", demo_target, "--size", 200, "--strata", "region,customer_type")
    round_id = int(out.strip().splitlines()[-1])
    db = open_db(demo_target)
    mismatch = db.execute(
        "SELECT COUNT(*) FROM assignments a JOIN customers c ON c.id = a.customer_id"
        " WHERE a.round_id = ? AND (a.region <> c.region OR a.customer_type <> c.customer_type"
        " OR a.district IS DISTINCT FROM c.district OR a.urban_rural IS DISTINCT FROM c.urban_rural)",
        [round_id],
    ).fetchone()[0]
    assert mismatch == 0


@pytest.mark.sqlite_only  # undoes migration 6 on a SQLite copy of the demo
def test_migration_backfills_old_rounds_from_the_stratum_label(tmp_path, demo_template):
    """A database from before migration 6: the snapshot columns come from the stratum labels."""
    import shutil

    from survey.migrations import m0006_round_snapshot

    path = tmp_path / "old.db"
    shutil.copy(demo_template, path)
    db = open_db(path)
    # undo migration 6 by hand, then move a customer, then re-apply it
    for column in m0006_round_snapshot.SNAPSHOT:
        db.execute(f"UPDATE assignments SET {column} = NULL")  # noqa: S608
    cid, label = db.execute(
        "SELECT customer_id, stratum FROM assignments WHERE round_id = 1 LIMIT 1"
    ).fetchone()
    db.execute("UPDATE customers SET region = '宁德' WHERE id = ?", [cid])
    db.execute("DROP INDEX idx_assignments_round_region")
    for column in m0006_round_snapshot.SNAPSHOT:
        db.execute(f"ALTER TABLE assignments DROP COLUMN {column}")  # noqa: S608
    m0006_round_snapshot.apply(db)
    region = db.execute(
        "SELECT region FROM assignments WHERE round_id = 1 AND customer_id = ?", [cid]
    ).fetchone()[0]
    assert region == label.split("|")[0]
