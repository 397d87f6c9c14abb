import pandas as pd
import pytest

from sampling.frame import read_frame
from survey.frames import frame_overview, store_frame
from survey.rounds import draw_round, eligible_counts

HEADER = "户号,户名,联系电话,供电单位,用户类别\n"


def _frame(rows: list[str]) -> pd.DataFrame:
    result = read_frame((HEADER + "\n".join(rows) + "\n").encode("utf-8"))
    assert result.ok, result.problems
    return result.frame


def _customers(db) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in db.execute("SELECT id, name, region, prn, active FROM customers")}


def test_reimport_updates_in_place_keeps_prn_deactivates_vanished_and_adds_new(fresh_db):
    first = store_frame(
        fresh_db,
        _frame(["1,甲,13800000001,福州,居民", "2,乙,13800000002,厦门,居民", "3,丙,13800000003,厦门,大工业"]),
    )
    assert (first.added, first.updated, first.deactivated) == (3, 0, 0)
    before = _customers(fresh_db)
    second = store_frame(
        fresh_db,
        _frame(
            ["1,甲改,13800000001,泉州,居民", "3,丙,13800000003,厦门,大工业", "4,丁,13800000004,福州,农业"]
        ),
    )
    assert (second.added, second.updated, second.deactivated) == (1, 2, 1)
    after = _customers(fresh_db)
    assert after["1"][0] == "甲改" and after["1"][1] == "泉州"
    assert after["1"][2] == before["1"][2] and after["3"][2] == before["3"][2]  # PRN is permanent
    assert after["2"][3] == 0 and after["4"][3] == 1  # vanished → inactive; new → active
    assert fresh_db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 4  # nothing deleted


def test_cell_counts_follow_imports_and_updates(fresh_db):
    store_frame(
        fresh_db, _frame([f"{i},n,1380000{i:04d},{'福州' if i % 3 else '厦门'},居民" for i in range(60)])
    )
    fresh_db.execute("UPDATE customers SET opted_out = 1 WHERE id IN ('1', '2', '3')")
    fresh_db.execute("UPDATE customers SET region = '泉州' WHERE id = '4'")
    direct = dict(fresh_db.execute(
        "SELECT region, COUNT(*) FROM customers WHERE active = 1 AND opted_out = 0 AND has_valid_phone = 1"
        " GROUP BY region").fetchall())  # fmt: skip
    assert {k[0]: v for k, v in eligible_counts(fresh_db, ("region",)).items()} == direct
    assert sum(direct.values()) == 57


def test_failed_import_writes_nothing(fresh_db):
    store_frame(fresh_db, _frame(["1,甲,13800000001,福州,居民"]))
    snapshot = _customers(fresh_db)

    def boom(fraction: float) -> None:
        if fraction > 0.5:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        store_frame(fresh_db, _frame(["2,乙,13800000002,厦门,居民"]), progress=boom)
    assert _customers(fresh_db) == snapshot
    assert eligible_counts(fresh_db, ()) == {(): 1}


def test_invalid_file_is_refused_before_storing(fresh_db):
    result = read_frame((HEADER + "1,甲,12,福州,居民\n1,乙,13800000002,厦门,外星人\n").encode("utf-8"))
    assert not result.ok and result.frame is None and result.problem_count >= 3
    assert fresh_db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 0


def test_progress_reaches_one_and_overview_is_region_scoped(fresh_db):
    seen = []
    store_frame(fresh_db, _frame(["1,甲,13800000001,福州,居民", "2,乙,13800000002,厦门,居民"]),
                progress=seen.append)  # fmt: skip
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert frame_overview(fresh_db, region="厦门")["customers"].tolist() == [1]
    assert draw_round(fresh_db, size=2, strata=("region",)).sample_size == 2


def _cells(db) -> set[tuple]:
    return set(db.execute("SELECT region, district, customer_type, urban_rural, eligible FROM frame_cells"))


def _recount(db) -> set[tuple]:
    return set(db.execute(
        "SELECT COALESCE(region, ''), COALESCE(district, ''), COALESCE(customer_type, ''),"
        " COALESCE(urban_rural, ''), COUNT(*) FROM customers WHERE active = 1 AND opted_out = 0"
        " AND has_valid_phone = 1 GROUP BY 1, 2, 3, 4"))  # fmt: skip


@pytest.mark.parametrize("n", [1, 99, 100, 101, 250])
def test_bulk_insert_stores_every_row_with_its_prn_whatever_the_batch_boundary(fresh_db, n):
    import hashlib

    from survey.rounds import frame_salt

    ids = [f"{(i * 37) % 1000:04d}" for i in range(n)]  # not in id order
    rows = [f"{cid},名{cid},138{i:08d},{'福州' if i % 2 else '厦门'},居民" for i, cid in enumerate(ids)]
    summary = store_frame(fresh_db, _frame(rows))
    assert summary.added == n and dict(summary.timings).keys() >= {"prn", "insert", "index", "commit"}
    salt = frame_salt(fresh_db)
    stored = {r[0]: r[1:] for r in fresh_db.execute("SELECT id, name, phone, prn FROM customers")}
    assert len(stored) == n
    for i, cid in enumerate(ids):
        prn = int(hashlib.sha256((salt + cid).encode()).hexdigest()[:13], 16) / 16**13
        assert stored[cid] == (f"名{cid}", f"138{i:08d}", prn)
    assert _cells(fresh_db) == _recount(fresh_db)


def test_cells_after_reimport_equal_a_recount(fresh_db):
    store_frame(
        fresh_db, _frame([f"{i},n,1380000{i:04d},{'福州' if i % 3 else '厦门'},居民" for i in range(30)])
    )
    fresh_db.execute("UPDATE customers SET opted_out = 1 WHERE id = '5'")
    store_frame(
        fresh_db, _frame([f"{i},n,{'' if i == 27 else f'1380000{i:04d}'},泉州,农业" for i in range(20, 40)])
    )
    assert _cells(fresh_db) == _recount(fresh_db) == {("泉州", "", "农业", "", 19)}
