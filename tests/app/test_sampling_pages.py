import io
import re

import pytest
from openpyxl import Workbook

from sampling.frame import read_frame
from sampling.frame_upload import file_mapping, guess_mapping, needs_mapping, peek, sheet_names
from survey.store import open_db
from survey.users import User


def _texts(at) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "caption", "success", "info", "warning", "error")
                    for e in getattr(at, kind))  # fmt: skip


def _table(at, column: str):
    """The first dataframe or table on the page with ``column`` (AppTest does not expose dataframe keys);
    st.table cells are markdown (the page escapes them), compared as a reader sees them."""
    shown = [df.value for df in at.dataframe]
    shown += [tb.value.map(lambda v: re.sub(r"\\(.)", r"\1", str(v))) for tb in at.table]
    return next(df for df in shown if column in df.columns)


def test_rounds_page_previews_the_design_live(store_app):
    at = store_app(User("staff", "staff"))
    at.number_input(key="draw_size").set_value(450).run()
    table = _table(at, "样本量 n_h")
    assert table["样本量 n_h"].sum() == 450 and len(table) == 36  # 9 regions × 4 customer types
    assert (table["样本量 n_h"] >= table["层内客户数 N_h"].clip(upper=2)).all()  # the page's minimum of 2
    assert (table["基础权数"].astype(float) >= 1).all()  # shown rounded to 1 decimal ("1.0" = taken whole)
    at.radio(key="draw_mode").set_value("per_region").run()
    regions = _table(at, "客户数")
    assert len(regions) == 9
    sized = regions["样本量 n_h"] < regions["客户数"]  # the others are taken whole and still miss ±5%
    assert sized.any() and (regions.loc[sized, "预计误差 ±"] <= "5.1%").all()
    at.selectbox(key="draw_allocation").set_value("neyman").run()
    assert not at.exception and "标准差取自上一已结束轮次" in _texts(at)


def test_rounds_page_draws_and_shows_overlap(store_app, demo_target):
    # Proportional without a minimum draws only where the demo's rounds have not gone round yet (with the default
    # minimum of 2 per stratum the tiny strata of the 3,000-customer demo are covered, and re-asked, every round).
    at = store_app(User("staff", "staff"))
    at.number_input(key="draw_minimum").set_value(0)
    at.number_input(key="draw_size").set_value(72)
    at.button(key="draw_go").click().run()
    assert not at.exception and "已抽取第" in _texts(at)
    rid = open_db(demo_target).execute("SELECT MAX(id) FROM rounds").fetchone()[0]
    assert at.selectbox(key="overlap_round").value == rid
    overlap = _table(at, "实际重叠")
    assert len(overlap) == rid - 1 and (overlap["实际重叠"] == 0).all()


def test_frame_page_shows_the_current_frame(store_app):
    at = store_app(User("staff", "staff"))
    at.switch_page("app_pages/frame.py").run()
    assert not at.exception
    overview = _table(at, "客户数")
    assert overview["客户数"].sum() > 2500


def test_upload_helpers_gbk_csv_needs_no_mapping():
    data = "户号,供电单位,用户类别\n0012,福州,居民\n".encode("gb18030")
    head = peek(data, "f.csv")
    assert head.headers == ("户号", "供电单位", "用户类别") and head.rows.iloc[0, 0] == "0012"
    assert not needs_mapping(head.headers)


def test_upload_helpers_map_unknown_headers():
    data = "cust,town,kind,tel\n7,厦门,居民,13800000000\n".encode()
    head = peek(data, "f.csv", encoding="utf-8")
    assert needs_mapping(head.headers)
    guessed = guess_mapping(head.headers)
    assert guessed["id"] is None and guessed["phone"] == "tel"
    mapping = file_mapping({**guessed, "id": "cust", "region": "town", "customer_type": "kind"}, head.headers)
    result = read_frame(data, mapping=mapping, filename="f.csv")
    assert result.ok and result.frame["region"].tolist() == ["厦门"]


def test_upload_helpers_xlsx_sheets():
    book = Workbook()
    book.active.title = "说明"
    sheet = book.create_sheet("名单")
    for row in (("户号", "供电单位", "用户类别"), ("1", "福州", "居民")):
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    data = buf.getvalue()
    assert sheet_names(data) == ["说明", "名单"]
    assert peek(data, "f.xlsx", sheet="名单").headers == ("户号", "供电单位", "用户类别")


@pytest.mark.parametrize("encoding", ["bogus"])
def test_peek_refuses_unknown_encodings(encoding):
    with pytest.raises(ValueError, match="encoding must be one of"):
        peek(b"a,b\n", encoding=encoding)


def test_frame_page_refuses_an_invalid_upload_and_writes_nothing(store_app, demo_target):
    before = open_db(demo_target).execute("SELECT COUNT(*), SUM(prn) FROM customers").fetchone()
    at = store_app(User("staff", "staff"))
    at.switch_page("app_pages/frame.py").run()
    bad = "户号,供电单位,用户类别,联系电话\n1,福州,外星人,12\n1,厦门,居民,13800000000\n".encode("gb18030")
    at.file_uploader(key="frame_file").upload("bad.csv", bad, "text/csv").run()
    assert not at.exception
    problems = _table(at, "问题")
    assert {"用户类别", "联系电话", "户号"} <= set(problems["列"]) and "个问题" in _texts(at)
    assert not [b for b in at.button if b.key == "frame_import"]
    assert open_db(demo_target).execute("SELECT COUNT(*), SUM(prn) FROM customers").fetchone() == before


def test_frame_page_maps_columns_and_imports_with_summary(store_app, demo_target):
    at = store_app(User("staff", "staff"))
    at.switch_page("app_pages/frame.py").run()
    data = "cust,town,kind\nN1,福州,居民\nN2,厦门,大工业\n".encode()
    at.file_uploader(key="frame_file").upload("new.csv", data, "text/csv").run()
    at.selectbox(key="frame_map_id").set_value("cust")
    at.selectbox(key="frame_map_region").set_value("town")
    at.selectbox(key="frame_map_customer_type").set_value("kind").run()
    assert "文件有效：2 位客户" in _texts(at)
    assert len(_table(at, "cust")) == 2  # the preview
    assert at.button(key="frame_import").disabled  # it deactivates the demo's customers: confirm first
    next(c for c in at.checkbox if c.key.startswith("frame_confirm_deactivate")).check().run()
    at.button(key="frame_import").click().run()
    assert not at.exception and "新增 2" in _texts(at) and "停用" in _texts(at)
    db = open_db(demo_target)
    assert db.execute("SELECT COUNT(*) FROM customers WHERE active = 1").fetchone()[0] == 2
    assert (
        db.execute(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'import_frame' AND user = 'staff'"
        ).fetchone()[0]
        == 1
    )
