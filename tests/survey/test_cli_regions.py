"""import-frame onto the region list (--region-map, --add-regions, --dry-run) and the regions command, on both
store backends."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from survey.cli import cli
from survey.store import is_database_url, open_db

HEADER = "户号,户名,联系电话,供电单位,区县,用户类别"


@pytest.fixture
def run():
    def invoke(*args):
        return CliRunner().invoke(cli, [str(a) for a in args])

    return invoke


def _frame(tmp_path, rows, name="frame.csv"):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _regions(db_path) -> dict[str, str]:
    return dict(open_db(db_path).execute("SELECT id, region FROM customers"))


def test_aliases_land_on_quanzhou(run, tmp_path, database_target):
    frame = _frame(tmp_path, ["1,a,13800000001,泉州市供电公司,鲤城,居民", "2,b,13800000002,国网泉州供电公司,,居民生活用电",
                              "3,c,13800000003,泉州供电分公司,,大工业用电"])  # fmt: skip
    db = database_target
    result = run("import-frame", frame, "--db", db)
    assert result.exit_code == 0, result.output
    assert "added 3" in result.output and set(_regions(db).values()) == {"泉州"}


def test_an_unknown_region_names_value_column_rows_and_imports_nothing(run, tmp_path, database_target):
    rows = [f"{i},a,1380000{i:04d},{'鲤城供电所' if i % 2 else '泉州'},,居民" for i in range(1, 30)]
    db = database_target
    result = run("import-frame", _frame(tmp_path, rows), "--db", db)
    assert result.exit_code == 1
    assert "region '鲤城供电所' in column 供电单位, 15 rows: 2, 4, 6, 8, 10, …" in result.output
    assert "nothing was imported" in result.output and "--region-map" in result.output
    assert _regions(db) == {}


def test_region_map_maps_and_keeps_the_alias(run, tmp_path, database_target):
    frame = _frame(tmp_path, ["1,a,13800000001,鲤城供电所,,居民", "2,b,13800000002,泉州,,临时用电"])
    mapping = tmp_path / "map.csv"
    mapping.write_text(
        "kind,alias,canonical\nregion,鲤城供电所,泉州\ncustomer_type,临时用电,一般工商业\n", encoding="utf-8"
    )
    db = database_target
    result = run("import-frame", frame, "--db", db, "--region-map", mapping)
    assert result.exit_code == 0, result.output
    assert _regions(db) == {"1": "泉州", "2": "泉州"}
    assert run("import-frame", frame, "--db", db).exit_code == 0  # the aliases were kept
    listed = run("regions", "list", "--db", db).output
    assert "alias\tregion\t鲤城供电所\t泉州" in listed


def test_region_map_to_a_region_not_in_the_list_is_refused(run, tmp_path, database_target):
    frame = _frame(tmp_path, ["1,a,13800000001,鲤城供电所,,居民"])
    mapping = tmp_path / "map.csv"
    mapping.write_text("alias,region\n鲤城供电所,鲤城\n", encoding="utf-8")
    result = run("import-frame", frame, "--db", database_target, "--region-map", mapping)
    assert result.exit_code == 1 and "'鲤城', which is not in the list" in result.output


def test_add_regions_adds_the_unknown_ones_explicitly(run, tmp_path, database_target):
    frame = _frame(tmp_path, ["1,a,13800000001,平潭综合实验区,,居民", "2,b,13800000002,福州,,临时用电"])
    db = database_target
    result = run("import-frame", frame, "--db", db, "--add-regions")
    assert result.exit_code == 1 and "customer type '临时用电'" in result.output  # types need --add-types
    assert _regions(db) == {}
    result = run("import-frame", frame, "--db", db, "--add-regions", "--add-types")
    assert result.exit_code == 0, result.output
    assert "new region: 平潭综合实验区" in result.output and _regions(db)["1"] == "平潭综合实验区"
    assert "region\t平潭综合实验区" in run("regions", "list", "--db", db).output


def test_dry_run_prints_the_impact_and_writes_nothing(run, tmp_path, database_target):
    db = database_target
    run("import-frame", _frame(tmp_path, [f"{i},a,1380000{i:04d},泉州,,居民" for i in range(5)]), "--db", db)
    frame = _frame(tmp_path, ["0,a,13800000000,福州,,居民", "9,b,13800000009,泉州,,居民"], "second.csv")
    result = run("import-frame", frame, "--db", db, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would add 1, update 1 (moved to another region 1), deactivate 4" in result.output
    assert _regions(db)["0"] == "泉州"


def test_regions_command_adds_and_aliases(run, tmp_path, database_target):
    db = database_target
    if not is_database_url(db):  # a missing SQLite file is not created by a read
        assert "does not exist" in run("regions", "list", "--db", db).output
    open_db(db).conn.close()
    assert run("regions", "add", "平潭", "--en", "Pingtan", "--district", "平潭县", "--db", db).exit_code == 0
    assert run("regions", "alias", "岚岛", "平潭", "--db", db).exit_code == 0
    assert run("regions", "add-type", "临时用电", "--en", "Temporary", "--db", db).exit_code == 0
    assert run("regions", "alias", "临时", "临时用电", "--kind", "customer_type", "--db", db).exit_code == 0
    assert run("regions", "add-district", "泉州", "台商投资区", "--db", db).exit_code == 0
    assert run("regions", "rename-en", "平潭", "Pingtan Island", "--db", db).exit_code == 0
    listed = run("regions", "list", "--db", db).output
    assert "region\t平潭\tPingtan Island\t平潭县" in listed and "customer_type\t临时用电\tTemporary" in listed
    assert "alias\tregion\t岚岛\t平潭" in listed and "台商投资区" in listed
    assert run("regions", "unalias", "岚岛", "--db", db).exit_code == 0
    result = run("regions", "alias", "鹭岛", "平潭县", "--db", db)
    assert result.exit_code == 1 and "Error: region '平潭县' is not in the list" in result.output
    assert "Traceback" not in result.output
