"""survey.report (issue 12, item 5): the manager's workbook — sheet names and headers in the language, numbers
numeric with Excel number formats, a cover with the round, period, scope, response rates, findings and methods,
frozen header rows, column widths, neutralised text — and the analysts' CSV/JSON with stable columns."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from analysis.findings import design_findings
from survey.report import (
    ReportError,
    ReportView,
    analyst_tables,
    build_report,
    export_report,
    report_csv,
    report_json,
)
from survey.report_text import ITEM_NAMES
from survey.report_workbook import report_workbook
from survey.results import dashboard_statistics, likert_items, responses_frame

pytestmark = pytest.mark.demo_on_postgresql  # demo_db runs on both backends

SHEETS = {
    "zh": ["封面", "各地区", "各题目", "两两比较", "客户类型细分", "意见主题"],
    "en": ["Cover", "Regions", "Items", "Pairwise comparisons", "By customer type", "Suggestion topics"],
}
GROUP_HEADERS = {
    "zh": ["地区", "答卷数", "电压质量平均分", "95% 下限", "95% 上限", "显著性字母", "电压质量满意率", "满意率 95% 下限",
           "满意率 95% 上限", "满意度指数", "指数 95% 下限", "指数 95% 上限", "备注"],
    "en": ["Region", "Responses", "voltage quality mean", "95% CI low", "95% CI high", "Letters",
           "voltage quality top-2-box", "Top-2-box 95% CI low", "Top-2-box 95% CI high", "Satisfaction index",
           "Index 95% CI low", "Index 95% CI high", "Note"],
}  # fmt: skip
PAIR_HEADERS = {
    "zh": ["题目", "组 A", "组 B", "组 A 平均分", "组 B 平均分", "差值 A−B", "校正后 p 值", "差异显著"],
    "en": ["Item", "Group A", "Group B", "Mean A", "Mean B", "Difference A−B", "Adjusted p", "Significant"],
}
ANALYST_COLUMNS = {
    "meta": ["round_id", "round_name", "round_status", "drawn_at", "first_answer", "last_answer", "item", "group_by",
             "scope", "region", "customer_type", "poststratified", "responses", "issued", "rr1", "rr3", "min_base",
             "adjust", "family", "exported_at"],
    "indicators": ["group_by", "group", "indicator", "item", "estimate", "se", "ci_low", "ci_high", "n", "small_cell"],
    "pairs": ["item", "kind", "group_by", "group_a", "group_b", "estimate_a", "estimate_b", "n_a", "n_b", "difference",
              "se", "statistic", "df", "pvalue", "pvalue_adj", "tested", "significant"],
    "drill_down": ["customer_type", "indicator", "item", "estimate", "se", "ci_low", "ci_high", "n", "small_cell"],
    "topics": ["topic", "label_zh", "label_en", "count", "complaints", "praise", "share", "weighted_share"],
    "weights": ["n", "sum", "min", "max", "kish_deff", "effective_n"],
    "tests": ["test", "item", "group_by", "statistic", "df_num", "df_den", "pvalue", "effect"],
}  # fmt: skip


@pytest.fixture(autouse=True)
def _small_base(monkeypatch):
    monkeypatch.setenv("SURVEY_MIN_BASE", "3")  # the 3,000-customer demo has 3–16 answers per region
    monkeypatch.delenv("SURVEY_TZ", raising=False)


def _book(demo_db, view: ReportView, lang: str = "zh"):
    return load_workbook(io.BytesIO(report_workbook(build_report(demo_db, view, user="manager"), lang)))


def _rows(sheet) -> list[list]:
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def _cover(sheet) -> dict:
    """Label → value of the cover's two-column facts."""
    return {r[0]: r[1] for r in _rows(sheet) if r and r[0] is not None and len(r) > 1 and r[1] is not None}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sheet_names_headers_number_formats_and_frozen_headers(demo_db, lang):
    book = _book(demo_db, ReportView(1, "voltage"), lang)
    assert book.sheetnames == SHEETS[lang]
    groups, pairs = book[SHEETS[lang][1]], book[SHEETS[lang][3]]
    assert [c.value for c in groups[1]] == GROUP_HEADERS[lang]
    assert [c.value for c in pairs[1]] == PAIR_HEADERS[lang]
    assert groups.freeze_panes == "B2" and pairs.freeze_panes == "A2"
    for name in SHEETS[lang][1:]:
        sheet = book[name]
        assert sheet.freeze_panes in ("A2", "B2"), name
        assert all(c.font.bold for c in sheet[1] if c.value), name
        widths = [sheet.column_dimensions[c.column_letter].width for c in sheet[1]]
        assert all(w and w >= 8 for w in widths), (name, widths)
    shown = [
        row
        for row in groups.iter_rows(min_row=2, max_row=groups.max_row - 1)
        if isinstance(row[2].value, float)
    ]
    assert shown, "some regions have estimates"
    for row in shown:  # numbers stay numbers; Excel rounds them for display
        n, mean, low, high, letters, top2, _, _, index = (c for c in row[1:10])
        assert n.number_format == "#,##0" and isinstance(n.value, int)
        assert mean.number_format == low.number_format == high.number_format == "0.00"
        assert low.value <= mean.value <= high.value
        assert top2.number_format == "0.0%" and 0 <= top2.value <= 1  # a share, shown as a percentage
        assert index.number_format == "0.0" and 0 <= index.value <= 100
        assert letters.data_type in ("s", "inlineStr") and letters.value.isalpha()
    assert groups.cell(row=groups.max_row, column=1).value == ("全部" if lang == "zh" else "All")
    widths = {c.column_letter: groups.column_dimensions[c.column_letter].width for c in groups[1]}
    assert widths["C"] > widths["B"]  # sized to the longer header


def test_a_group_below_the_minimum_base_shows_no_number(demo_db):
    book = _book(demo_db, ReportView(1, "overall", region="福州"))
    assert "各区县" in book.sheetnames and "各地区" not in book.sheetnames
    groups = _rows(book["各区县"])
    small = [r for r in groups[1:] if r[12]]
    assert small and all(
        r[2:5] == [None, None, None] and r[6] is None and r[12].startswith("样本不足") for r in small
    )
    pairs = book["两两比较"]
    for row in pairs.iter_rows(min_row=2):
        if row[7].value == "样本不足，未比较":
            assert [c.value for c in row[3:7]] == [None] * 4
        else:
            assert (
                row[6].number_format == '[<0.001]"<0.001";0.000'
                and row[5].number_format == "+0.00;-0.00;0.00"
            )


def test_cover_has_round_period_scope_rates_findings_and_methods(demo_db):
    view = ReportView(1, "voltage", customer_type="居民")
    report = build_report(demo_db, view, user="manager")
    cover = load_workbook(io.BytesIO(report_workbook(report, "zh")))["封面"]
    facts = _cover(cover)
    name = demo_db.execute("SELECT name FROM rounds WHERE id = 1").fetchone()[0]
    assert cover["A1"].value == "供电服务满意度调查报告"
    assert facts["轮次"] == f"1 · {name}" and facts["状态"] == "已结束"
    frame = responses_frame(demo_db, 1)
    mine = frame[frame["customer_type"] == "居民"]
    first, last = (pd.Timestamp(t).tz_convert("Asia/Shanghai").strftime("%Y-%m-%d")
                   for t in (mine["submitted_at"].min(), mine["submitted_at"].max()))  # fmt: skip
    assert facts["答卷时间"] == f"{first} 至 {last}"
    assert facts["范围"] == "全部地区" and facts["筛选条件"] == "客户类型：居民"
    assert facts["比较的题目"] == "电压质量" and facts["导出人"] == "manager"
    assert facts["答卷数"] == len(mine)
    issued = demo_db.execute("SELECT COUNT(*) FROM assignments WHERE round_id = 1 AND customer_type = '居民'"
                             " AND (is_reserve = 0 OR released_at IS NOT NULL)").fetchone()[0]  # fmt: skip
    assert facts["发出样本数"] == issued
    rr1 = next(r for r in cover.iter_rows() if r[0].value == "回答率（完成 ÷ 全部样本）")[1]
    assert rr1.number_format == "0.0%" and 0 < rr1.value <= 1
    assert rr1.value == pytest.approx(len(mine) / issued, abs=0.1)
    texts = [r[0] for r in _rows(cover) if r and isinstance(r[0], str)]
    # the findings are the design-based sentences over every item × pair, as on the dashboard
    stats = dashboard_statistics(
        frame, list(likert_items(demo_db, 1)), "voltage", domain=frame["customer_type"] == "居民"
    )
    labels = {i: {"zh": ITEM_NAMES[i][0], "en": ITEM_NAMES[i][1]} for i in likert_items(demo_db, 1)}
    expected = design_findings(stats.all_pairs, labels, "zh")
    assert expected and all(sentence in texts for sentence in expected)
    headline = texts[texts.index("结论") + 1]
    assert (
        headline.startswith("电压质量平均分比较了")
        and f"其中 {int(stats.pairs['significant'].sum())} 对差异显著" in headline
    )
    methods = "\n".join(texts[texts.index("方法说明") + 1 :])
    assert "Holm" in methods and "少于 3 份" in methods and "子总体" in methods and "AAPOR" in methods
    assert "H=" not in methods and "Cramér" not in methods  # plain words


def test_english_cover_and_scope(demo_db):
    book = _book(demo_db, ReportView(1, "overall", scope="泉州"), "en")
    facts = _cover(book["Cover"])
    assert (
        facts["Scope"] == "Account scope: Quanzhou" and facts["Filters"] == "None (every response in scope)"
    )
    assert "Districts" in book.sheetnames


def test_text_from_imports_is_neutralised(demo_db):
    district = demo_db.execute("SELECT district FROM assignments WHERE round_id = 1 AND region = '福州'"
                               " AND id IN (SELECT assignment_id FROM responses) LIMIT 1").fetchone()[0]  # fmt: skip
    demo_db.execute(
        "UPDATE assignments SET district = '=HYPERLINK(\"http://x\")' WHERE district = ?", [district]
    )
    report = build_report(demo_db, ReportView(1, "overall", region="福州"))
    cells = [
        c for row in load_workbook(io.BytesIO(report_workbook(report)))["各区县"].iter_rows() for c in row
    ]
    planted = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert planted and all(c.value.startswith("'=") and c.data_type in ("s", "inlineStr") for c in planted)
    csv = zipfile.ZipFile(io.BytesIO(report_csv(report))).read("indicators.csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in csv and "\n=HYPERLINK" not in csv and ",=HYPERLINK" not in csv


@pytest.mark.parametrize(
    "view", [ReportView(1, "voltage"), ReportView(1, "overall", region="福州", poststratify=True)]
)
def test_analyst_tables_have_stable_snake_case_columns(demo_db, view):
    report = build_report(demo_db, view)
    tables = analyst_tables(report)
    assert {k: list(v.columns) for k, v in tables.items()} == ANALYST_COLUMNS
    assert set(tables["indicators"]["group_by"]) == {view.group}
    pairs = tables["pairs"]
    assert len(pairs) == len(report.stats.all_pairs) and pairs["pvalue_adj"].equals(
        report.stats.all_pairs["pvalue_adj"]
    )
    archive = zipfile.ZipFile(io.BytesIO(report_csv(report)))
    assert archive.namelist() == [f"{name}.csv" for name in ANALYST_COLUMNS]
    for name, columns in ANALYST_COLUMNS.items():
        assert list(pd.read_csv(archive.open(f"{name}.csv"), encoding="utf-8-sig").columns) == columns
    data = json.loads(report_json(report))
    assert list(data["meta"])[: len(ANALYST_COLUMNS["meta"])] == ANALYST_COLUMNS["meta"]
    assert set(data["meta"]["findings"]) == {"zh", "en"}
    for name, rows in data["tables"].items():
        assert not rows or list(rows[0]) == ANALYST_COLUMNS[name]
    estimate = data["tables"]["indicators"][0]["estimate"]
    assert estimate == pytest.approx(tables["indicators"]["estimate"].iloc[0])  # unrounded for analysts


def test_export_is_audited_and_an_empty_view_is_an_error(demo_db):
    export_report(demo_db, ReportView(1, "attitude"), fmt="json", user="manager")
    row = demo_db.execute("SELECT user, detail FROM audit_log WHERE action = 'dashboard_export'").fetchone()
    assert row[0] == "manager" and "item=attitude" in row[1] and "format=json" in row[1]
    with pytest.raises(ReportError, match="no responses"):
        build_report(demo_db, ReportView(1, "overall", region="莆田", customer_type="大工业"))
    with pytest.raises(ReportError, match="does not exist"):
        build_report(demo_db, ReportView(99))
    with pytest.raises(ValueError, match="fmt"):
        export_report(demo_db, ReportView(1), fmt="pdf")


@pytest.mark.parametrize(
    ("args", "check"),
    [
        ([], lambda out: load_workbook(out).sheetnames == SHEETS["zh"]),
        (["--lang", "en", "--region", "福州"], lambda out: "Districts" in load_workbook(out).sheetnames),
        (
            ["--format", "json", "--type", "居民"],
            lambda out: json.loads(out.read_text())["meta"]["customer_type"] == "居民",
        ),
        (["--format", "csv"], lambda out: "pairs.csv" in zipfile.ZipFile(out).namelist()),
    ],
)
def test_cli_export_report(demo_path, tmp_path, args, check):
    from survey.cli import cli

    fmt = args[args.index("--format") + 1] if "--format" in args else "xlsx"
    out = tmp_path / f"report.{fmt}"
    result = CliRunner().invoke(
        cli, ["export-report", "--db", str(demo_path), "--round", "1", *args, str(out)]
    )
    assert result.exit_code == 0, result.output
    assert check(out)


def test_cli_export_report_errors(demo_path, tmp_path):
    from survey.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["export-report", "--db", str(demo_path), "--round", "1", "--region", "莆田", "--type",
                                 "大工业", str(tmp_path / "r.xlsx")])  # fmt: skip
    assert result.exit_code == 1 and "no responses" in result.output
    result = runner.invoke(cli, ["export-report", "--db", str(demo_path), "--round", "1", "--item", "nope",
                                 str(tmp_path / "r.xlsx")])  # fmt: skip
    assert result.exit_code == 1 and "item must be one of" in result.output
