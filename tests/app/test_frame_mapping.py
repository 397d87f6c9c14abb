"""Frame page: every column can be mapped (optional ones too), unknown regions / types are mapped or added
explicitly, and the import shows its impact and asks before deactivating anyone."""

from __future__ import annotations

import hashlib

from survey.store import open_db
from survey.users import User


def _texts(at) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "caption", "success", "info", "warning", "error")
                    for e in getattr(at, kind))  # fmt: skip


def _frame_page(store_app):
    at = store_app(User("staff", "staff"))
    at.switch_page("app_pages/frame.py").run()
    assert not at.exception
    return at


def _upload(at, data: bytes, name: str = "new.csv"):
    return at.file_uploader(key="frame_file").upload(name, data, "text/csv").run()


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _digest(target) -> str:
    """SHA-256 over every row of every table of the store (either backend)."""
    db = open_db(target)
    h = hashlib.sha256()
    for table in sorted(db.table_names()):
        for row in db.execute(f"SELECT * FROM {table} ORDER BY 1"):  # noqa: S608
            h.update(repr(tuple(row)).encode())
    db.conn.close()
    return h.hexdigest()


def _demo_rows(demo_target, changes: dict[str, str] | None = None) -> list[str]:
    db = open_db(demo_target)
    rows = db.execute("SELECT id, name, phone, region, district, customer_type FROM customers WHERE active = 1"
                      " ORDER BY id").fetchall()  # fmt: skip
    db.conn.close()
    return [",".join([i, n, p, (changes or {}).get(i, r), d, c]) for i, n, p, r, d, c in rows]


def test_an_optional_column_under_another_header_can_be_mapped(store_app, demo_target):
    at = _frame_page(store_app)
    data = "户号,供电单位,用户类别,所在行政区\nD1,泉州,居民,鲤城\nD2,国网泉州供电公司,居民,晋江\n".encode()
    _upload(at, data)
    assert (
        at.selectbox(key="frame_map_district").value is None
    )  # the mapping step is there without a missing column
    assert "所在行政区" in _texts(at)  # said to be left out
    at.selectbox(key="frame_map_district").set_value("所在行政区").run()
    next(c for c in at.checkbox if c.key.startswith("frame_confirm_deactivate")).check().run()
    at.button(key="frame_import").click().run()
    assert not at.exception
    db = open_db(demo_target)
    rows = db.execute(
        "SELECT id, region, district FROM customers WHERE id IN ('D1', 'D2') ORDER BY id"
    ).fetchall()
    assert rows == [("D1", "泉州", "鲤城区"), ("D2", "泉州", "晋江市")]


def test_an_unknown_region_is_mapped_or_added_explicitly(store_app, demo_target):
    at = _frame_page(store_app)
    before = _digest(demo_target)
    data = "户号,供电单位,用户类别\nU1,鲤城供电所,居民\nU2,平潭综合实验区,临时用电\nU3,鲤城供电所,居民\n".encode()
    _upload(at, data)
    assert not [b for b in at.button if b.key == "frame_import"]  # stopped until every value has a choice
    text = _texts(at)
    assert "鲤城供电所" in text and "平潭综合实验区" in text and "临时用电" in text
    keys = {s.key for s in at.selectbox}
    assert {
        "frame_value_region_鲤城供电所",
        "frame_value_region_平潭综合实验区",
        "frame_value_customer_type_临时用电",
    } <= keys
    label = at.selectbox(key="frame_value_region_鲤城供电所").label
    assert "供电单位" in label and "2 行" in label and "第 2, 4 行" in label
    at.selectbox(key="frame_value_region_鲤城供电所").set_value("泉州").run()
    assert "还有 2 个值未选择" in _texts(at) and _digest(demo_target) == before
    new = at.selectbox(key="frame_value_region_平潭综合实验区")
    assert "\u0000new" in new.options or any("新增" in o for o in new.options)
    new.set_value("\u0000new")
    at.selectbox(key="frame_value_customer_type_临时用电").set_value("一般工商业").run()
    assert "文件有效：3 位客户" in _texts(at) and "平潭综合实验区" in _texts(at)
    next(c for c in at.checkbox if c.key.startswith("frame_confirm_deactivate")).check().run()
    at.button(key="frame_import").click().run()
    assert not at.exception
    db = open_db(demo_target)
    assert dict(db.execute("SELECT id, region FROM customers WHERE id LIKE 'U%'")) == {
        "U1": "泉州", "U2": "平潭综合实验区", "U3": "泉州"}  # fmt: skip
    assert db.execute("SELECT customer_type FROM customers WHERE id = 'U2'").fetchone()[0] == "一般工商业"
    assert db.execute("SELECT COUNT(*) FROM regions WHERE name = '平潭综合实验区'").fetchone()[0] == 1


def test_impact_counts_and_deactivation_needs_confirmation(store_app, demo_target):
    rows = _demo_rows(demo_target)
    moved = {r.split(",")[0]: "厦门" for r in rows if ",泉州," in r[:40]}
    moved = dict(list(moved.items())[:7])
    rows = _demo_rows(demo_target, moved)
    kept, dropped = rows[:-5], rows[-5:]
    data = (
        "户号,户名,联系电话,供电单位,区县,用户类别\n"
        + "\n".join(kept + ["NEW1,新,13800000000,泉州市供电公司,,居民"])
    ).encode()
    at = _frame_page(store_app)
    before = _digest(demo_target)
    _upload(at, data)
    assert not at.exception
    metrics = _metrics(at)
    moved_kept = len([i for i in moved if any(k.startswith(i + ",") for k in kept)])
    assert metrics == {
        "新增": "1",
        "更新": f"{len(kept):,}",
        "转到其他地区": str(moved_kept),
        "停用": str(len(dropped)),
    }
    assert at.button(key="frame_import").disabled
    box = next(c for c in at.checkbox if c.key.startswith("frame_confirm_deactivate"))
    assert "停用 5 位" in box.label
    assert _digest(demo_target) == before
    box.check().run()
    at.button(key="frame_import").click().run()
    assert not at.exception and "导入完成：新增 1" in _texts(at)
    db = open_db(demo_target)
    assert db.execute("SELECT COUNT(*) FROM customers WHERE active = 0").fetchone()[0] >= 5
    assert db.execute("SELECT region FROM customers WHERE id = 'NEW1'").fetchone()[0] == "泉州"


def test_no_confirmation_when_nobody_is_deactivated(store_app, demo_target):
    data = ("户号,户名,联系电话,供电单位,区县,用户类别\n" + "\n".join(_demo_rows(demo_target))).encode()
    at = _frame_page(store_app)
    _upload(at, data)
    assert _metrics(at)["停用"] == "0" and _metrics(at)["新增"] == "0"
    assert not [c for c in at.checkbox if c.key.startswith("frame_confirm_deactivate")]
    assert not at.button(key="frame_import").disabled


def test_english_labels(store_app, demo_target):
    # AppTest formats widget options outside the script: open in Chinese, then switch
    at = _frame_page(store_app)
    at.session_state["lang"] = "en"
    at.run()
    _upload(at, "户号,供电单位,用户类别\nU1,鲤城供电所,居民\n".encode())
    assert not at.exception
    label = at.selectbox(key="frame_value_region_鲤城供电所").label
    assert label == "region '鲤城供电所' in column 供电单位, 1 row: 2"
    assert "Value mapping" in _texts(at)


def test_admin_adds_a_region_alias_on_the_users_page(store_app, demo_target):
    at = store_app(User("admin", "admin"))
    at.switch_page("app_pages/users.py").run()
    assert not at.exception and "地区列表" in [s.value for s in at.subheader]
    at.text_input(key="rl_alias").input("刺桐供电所")
    at.selectbox(key="rl_alias_region").set_value("泉州")
    next(b for b in at.button if "添加别名" in b.label).click().run()
    assert not at.exception and not at.error
    from survey.region_list import resolve

    db = open_db(demo_target)
    assert resolve(db, "region", "刺桐供电所") == "泉州"
    assert (
        db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'add_alias' AND user = 'admin'").fetchone()[
            0
        ]
        == 1
    )
    at.text_input(key="rl_new_region").input("泉州")
    next(b for b in at.button if "新增地区" in b.label).click().run()
    assert "already in the list" in at.error[0].value
