"""survey.results: responses frame, post-stratification to frame totals, dashboard statistics, trend, export."""

from __future__ import annotations

import io

import numpy as np
import pytest
from openpyxl import load_workbook

from survey.results import (
    OVERALL,
    dashboard_statistics,
    data_version,
    export_tables,
    frame_totals,
    likert_items,
    poststratified,
    responses_frame,
    scoped,
    trend_table,
    workbook_bytes,
)

pytestmark = pytest.mark.demo_on_postgresql  # demo_db runs on both backends


def test_weights_sum_to_stratum_populations(demo_db):
    frame = responses_frame(demo_db, 1)
    by_stratum = frame.groupby("stratum").agg(w=("weight", "sum"), N=("N_h", "first"))
    np.testing.assert_allclose(by_stratum["w"], by_stratum["N"])  # N_h / r_h summed over r_h respondents


def test_frame_totals_and_poststratification(demo_db):
    totals = frame_totals(demo_db)
    assert (
        sum(totals.values())
        == demo_db.execute("SELECT COUNT(*) FROM customers WHERE active = 1").fetchone()[0]
    )
    frame = responses_frame(demo_db, 1)
    adjusted = poststratified(frame, totals)
    cells = adjusted["region"] + "|" + adjusted["customer_type"]
    for cell, total in adjusted.groupby(cells)["weight"].sum().items():
        assert total == pytest.approx(totals[cell])
    with pytest.raises(ValueError, match="cells"):
        frame_totals(demo_db, ("phone",))


def test_scope_filters_regions(demo_db):
    frame = responses_frame(demo_db, 1)
    region = frame["region"].iloc[0]
    assert set(scoped(frame, region)["region"]) == {region}
    assert len(scoped(frame, None)) == len(frame)


def test_dashboard_statistics_by_region_and_district(demo_db):
    frame = responses_frame(demo_db, 1)
    items = list(likert_items(demo_db, 1))
    stats = dashboard_statistics(frame, items, "attitude", min_n=1)
    ind = stats.indicators
    assert set(ind["indicator"]) == {"mean", "top2", "index"}
    overall = ind[(ind["region"] == OVERALL) & (ind["indicator"] == "mean") & (ind["item"] == "attitude")]
    assert len(overall) == 1 and overall["n"].iloc[0] == frame["attitude"].notna().sum()
    assert set(stats.letters) == set(frame["region"].unique())
    assert 0 <= stats.top2_cramers_v <= 1 and 0 <= stats.top2_test.pvalue <= 1
    assert stats.weights.n == len(frame)
    region = frame["region"].value_counts().index[0]
    local = dashboard_statistics(frame, items, "overall", group="district", domain=frame["region"] == region)
    assert OVERALL in set(local.indicators["district"])
    with pytest.raises(ValueError, match="item"):
        dashboard_statistics(frame, items, "suggestion")


def test_trend_table_and_data_version(demo_db):
    items = list(likert_items(demo_db, 1))
    assert list(trend_table(demo_db, items, indicator="mean", item="overall")["round_id"]) == [1]  # 2 is open
    table = trend_table(demo_db, items, indicator="mean", item="overall", include_open=True, min_n=1)
    assert list(table["round_id"]) == [1, 2] and list(table["open"]) == [False, True]
    first, second = table.iloc[0], table.iloc[1]
    assert second["change"] == pytest.approx(second["estimate"] - first["estimate"])
    assert np.isnan(first["change"])
    version = data_version(demo_db, 1)
    assert version[1] == len(responses_frame(demo_db, 1))
    with pytest.raises(ValueError, match="indicator"):
        trend_table(demo_db, items, indicator="median")
    scoped_trend = trend_table(demo_db, items, indicator="index", region="宁德,不存在的地区", min_n=1)
    assert list(scoped_trend["round_id"]) == [1]  # the closed round, estimated over 宁德's answers
    assert trend_table(demo_db, items, indicator="index", include_open=True, region="不存在的地区").empty


def test_workbook_has_one_sheet_per_table_and_neutralises_formulas(demo_db):
    import pandas as pd

    tables = {"a": pd.DataFrame({"text": ["=HYPERLINK(\"x\")", "+1", "ok"], "v": [1.5, np.nan, 2]}),
              "b/c": pd.DataFrame({"x": [1]})}  # fmt: skip
    book = load_workbook(io.BytesIO(workbook_bytes(tables)))
    assert book.sheetnames == ["a", "b_c"]
    cells = [c.value for c in book["a"]["A"]]
    assert cells == ["text", '\'=HYPERLINK("x")', "'+1", "ok"]
    assert book["a"]["B3"].value is None
    export_tables(demo_db, tables, user="manager", detail="round=1")
    row = demo_db.execute("SELECT user, detail FROM audit_log WHERE action = 'dashboard_export'").fetchone()
    assert row[0] == "manager" and "sheets=a,b/c" in row[1]
