"""draw --frame: the same frame drawn by the SQLite store (the reference: import-frame, then draw_round), by
DuckDB and by Spark gives bit-identical PRNs and the identical sample and reserve, in order; coordination and
exclusion continue across stored and external rounds (the external draw into either store backend); problems are reported with file, row, column and value."""

from __future__ import annotations

import json
import shutil
import time

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sampling.engines import open_engine
from sampling.engines.generate import write_frame
from sampling.engines.rule import DUCKDB, PRN_SCALE, SPARK, WHITESPACE, prn_sql, source_sql
from survey.cli import cli
from survey.external_frames import FrameProblems, draw_from_frame
from survey.frame_import import import_frame, read_import
from survey.frame_prepare import prepare_frame
from survey.rounds import draw_round
from survey.store import get_setting, open_db

ASSIGNED = (
    "SELECT customer_id, stratum, prn, pi, weight, is_reserve, region, district, customer_type, urban_rural"
    " FROM assignments WHERE round_id = ? ORDER BY id"
)
STRATA_SQL = "SELECT stratum, population, sample_size, reserve_size, start, next_start FROM round_strata WHERE round_id = ?"
#: Rows of the frame the other tests draw from (the engines' agreement is tested on 1,000,000 rows).
ROWS = 200_000
#: A prime for the PRN checksum (sums of a million residues stay far below 2**63).
CHECK_PRIME = 1_000_003


@pytest.fixture(scope="module")
def spark():
    from sampling.engines.spark_engine import spark_session

    return spark_session("local[2]")


def _store(folder, rows: int):
    """A frame of ``rows`` customers as CSV and Parquet, and a store that imported the CSV (the reference)."""
    folder.mkdir(parents=True, exist_ok=True)
    csv, parquet = write_frame(folder / "frame.csv", rows), write_frame(folder / "frame.parquet", rows)
    db = open_db(folder / "ref.db")
    result = read_import(db, csv)
    assert result.ok, result.problems[:3]
    import_frame(db, result.frame, allow_deactivation=True)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return csv, parquet, folder / "ref.db"


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    return _store(tmp_path_factory.mktemp("external"), ROWS)


def _copy(ref, tmp_path, name: str):
    target = tmp_path / name
    shutil.copy(ref, target)
    if (ref.parent / "secret.key").exists():
        shutil.copy(ref.parent / "secret.key", tmp_path / "secret.key")
    return open_db(target)


def _copy_to(ref, database_target):
    """The reference store copied to this test's backend: a SQLite file (with its link key) or a PostgreSQL
    database filled by copy-store."""
    from survey.store import is_database_url

    if not is_database_url(database_target):
        return _copy(ref, database_target.parent, database_target.name)
    from survey.copy_store import copy_store

    copy_store(ref, database_target, by="tests")
    return open_db(database_target)


def _round(db, round_id):
    return (pd.DataFrame(db.execute(ASSIGNED, [round_id]).fetchall()),
            pd.DataFrame(db.execute(STRATA_SQL, [round_id]).fetchall()))  # fmt: skip


def _same(a, b) -> None:
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x, y, check_exact=True)


DESIGN = dict(size=1500, reserve=3, strata=("region", "customer_type"))


def _all_engines_agree(frames, tmp_path, spark, design=DESIGN) -> dict[str, float]:
    csv, parquet, ref = frames
    db = _copy(ref, tmp_path, "sqlite.db")
    t = time.perf_counter()
    expected = _round(db, draw_round(db, **design).round_id)
    seconds = {"sqlite": time.perf_counter() - t}
    for engine, source in (("duckdb", parquet), ("duckdb", csv), ("spark", parquet)):
        other = _copy(ref, tmp_path, f"{engine}-{source.suffix[1:]}.db")
        t = time.perf_counter()
        with (
            open_engine(engine, source, spark=spark)
            if engine == "spark"
            else open_engine(engine, source) as e
        ):
            result = draw_from_frame(other, e, **design)
        seconds[f"{engine}-{source.suffix[1:]}"] = time.perf_counter() - t
        _same(_round(other, result.round_id), expected)
        other.conn.close()
    return seconds


def _prn_checksum(engine, salt: str) -> tuple[int, int, int]:
    """XOR and sum (mod a prime) of every frame row's PRN numerator ``prn × 16¹³`` (an exact integer), and the
    rows: equal checksums on a million rows say the engine's PRNs are Python's, bit for bit, without collecting
    the frame."""
    d = DUCKDB if engine.name == "duckdb" else SPARK
    k = f"CAST({prn_sql(d, 's.id')} * {PRN_SCALE} AS BIGINT)"
    sql = (
        f"SELECT bit_xor(k), sum(k % {CHECK_PRIME}), count(*) FROM"
        f" (SELECT {k} AS k FROM ({source_sql(d, engine.mapping)}) s CROSS JOIN survey_params p) t"
    )
    if engine.name == "duckdb":
        engine._set_salt(salt)
        row = engine._sql(sql).fetchall()[0]
    else:
        engine._view("survey_params", [(salt, WHITESPACE)], "salt STRING, ws STRING")
        row = tuple(engine.spark.sql(sql).collect()[0])
    return tuple(int(v) for v in row)


def test_one_million_rows_the_same_prns_and_sample_in_every_engine(tmp_path_factory, tmp_path, spark):
    """Issue 15.2 on the issue's 1M-row frame: the PRN of every row is Python's in DuckDB (Parquet and CSV) and
    Spark (checksums over all rows), and the SQLite store, DuckDB and Spark draw the identical sample and
    reserve, in order, with the identical strata."""
    csv, parquet, ref = _store(tmp_path_factory.mktemp("million"), 1_000_000)
    db = open_db(ref)
    salt = get_setting(db, "prn_salt")
    prns = np.array([r[0] for r in db.execute("SELECT prn FROM customers")], dtype=np.float64)
    numerators = (prns * PRN_SCALE).astype(np.int64)
    db.conn.close()
    assert len(numerators) == 1_000_000
    expected = (
        int(np.bitwise_xor.reduce(numerators)),
        int((numerators % CHECK_PRIME).sum()),
        len(numerators),
    )
    for engine, source in (("duckdb", parquet), ("duckdb", csv), ("spark", parquet)):
        with open_engine(engine, source, spark=spark if engine == "spark" else None) as e:
            assert _prn_checksum(e, salt) == expected, (engine, source.suffix)
    seconds = _all_engines_agree((csv, parquet, ref), tmp_path, spark, dict(size=3000, reserve=2))
    print("seconds per draw:", {k: round(v, 1) for k, v in seconds.items()})


def test_rounds_continue_across_store_and_frame_with_exclusion(frames, tmp_path, database_target):
    """Round 1 from the store, round 2 from the file with exclude_days, as round 2 from the SQLite store would
    (the mixed store on either backend)."""
    csv, parquet, ref = frames
    store, mixed = _copy(ref, tmp_path, "store.db"), _copy_to(ref, database_target)
    for db in (store, mixed):
        assert draw_round(db, size=800, reserve=2).round_id == 1
    expected = _round(store, draw_round(store, size=800, reserve=2, exclude_days=30).round_id)
    with open_engine("duckdb", parquet) as e:
        result = draw_from_frame(mixed, e, size=800, reserve=2, exclude_days=30)
    _same(_round(mixed, result.round_id), expected)
    design = json.loads(
        mixed.execute("SELECT design FROM rounds WHERE id = ?", [result.round_id]).fetchone()[0]
    )
    assert design["start_rule"] == "rotation" and design["engine"] == "duckdb"
    assert design["frame"]["rows"] == ROWS and design["frame"]["files"][0]["footer_sha256"]


def test_a_prepared_frame_reads_few_row_groups_and_draws_the_same(frames, tmp_path):
    csv, parquet, ref = frames
    db = _copy(ref, tmp_path, "prep.db")
    with open_engine("duckdb", parquet) as e:
        prepared = prepare_frame(db, e, tmp_path / "prepared.parquet")
    assert prepared.rows == ROWS and prepared.row_groups >= ROWS // 16_384
    expected = _round(db, draw_round(db, **DESIGN).round_id)
    (
        db.execute("DELETE FROM assignments"),
        db.execute("DELETE FROM round_strata"),
        db.execute("DELETE FROM rounds"),
    )
    with open_engine("duckdb", prepared.path) as e:
        assert e.prepared is not None and e.prepared.unique_ids
        result = draw_from_frame(db, e, **DESIGN)
    _same(_round(db, result.round_id), expected)
    design = json.loads(db.execute("SELECT design FROM rounds WHERE id = ?", [result.round_id]).fetchone()[0])
    assert design["frame"]["pruned"] is True


def test_pruned_reads_of_a_prepared_frame_draw_the_stores_sample(frames, tmp_path, monkeypatch):
    """With row groups small enough that a draw reads a few of them (the 100M case in miniature: 1,000-row groups,
    200 of them), the pruned read — groups by their statistics, rows by their PRN — draws the store's sample:
    a first round, a second with exclude_days (the excluded ids leave the counts to DuckDB), and a round by
    region alone (not the prepared strata: read whole)."""
    import sampling.engines.duckdb_engine as duckdb_engine

    csv, parquet, ref = frames
    monkeypatch.setattr(duckdb_engine, "PREPARED_ROW_GROUP", 1_000)
    store, external = _copy(ref, tmp_path, "store.db"), _copy(ref, tmp_path, "external.db")
    with open_engine("duckdb", parquet) as e:
        prepared = prepare_frame(external, e, tmp_path / "small-groups.parquet")
    assert prepared.row_groups >= 50  # (DuckDB rounds the size to its vectors: ~2,000 rows a group)
    reads = []
    real = duckdb_engine.DuckDBEngine._register

    def register(self, name, table):
        if name == "survey_pruned":
            reads.append(table.num_rows)
        return real(self, name, table)

    monkeypatch.setattr(duckdb_engine.DuckDBEngine, "_register", register)
    rounds = [DESIGN, {**DESIGN, "exclude_days": 30}, dict(size=400, reserve=1, strata=("region",))]
    for k, design in enumerate(rounds):
        expected = _round(store, draw_round(store, **design).round_id)
        with open_engine("duckdb", prepared.path) as e:
            result = draw_from_frame(external, e, **design)
        _same(_round(external, result.round_id), expected)
        if k < 2:  # read by ranges: far fewer rows than the frame's reached the rule
            assert len(reads) == k + 1 and 0 < reads[-1] < ROWS // 2, reads
    assert len(reads) == 2  # the region-only round was not pruned


def test_only_the_selected_customers_enter_an_empty_store(frames, fresh_db):
    csv, parquet, ref = frames
    db = fresh_db
    with open_engine("duckdb", parquet) as e:
        result = draw_from_frame(db, e, size=300, reserve=1)
    loaded = db.execute("SELECT COUNT(*), SUM(active) FROM customers").fetchone()
    assert loaded == (result.sample_size + result.reserve_size, 0)  # inactive: not part of a stored frame
    assert db.execute("SELECT COALESCE(SUM(eligible), 0) FROM frame_cells").fetchone()[0] == 0
    row = db.execute("SELECT engine, rows, customers_added FROM round_frames WHERE round_id = ?",
                     [result.round_id]).fetchone()  # fmt: skip
    assert tuple(row) == ("duckdb", ROWS, loaded[0])
    assert sum(s.N_h for s in result.strata) == sum(
        r[0] for r in open_db(ref).execute("SELECT SUM(eligible) FROM frame_cells").fetchall()
    )


def _bad_frame(tmp_path):
    """A frame whose every phone is bad in one region: some selected rows have a bad phone."""
    rows = [
        (f"C{i:04d}", "泉州" if i % 2 else "福州", "居民", "12345" if i % 2 else "13800000000")
        for i in range(1, 201)
    ]
    path = tmp_path / "bad.csv"
    pd.DataFrame(rows, columns=["户号", "供电单位", "用户类别", "联系电话"]).to_csv(path, index=False)
    return path


def test_problems_of_selected_rows_name_file_row_column_and_value(tmp_path, fresh_db):
    db = fresh_db
    path = _bad_frame(tmp_path)
    with open_engine("duckdb", path) as e, pytest.raises(FrameProblems) as caught:
        draw_from_frame(db, e, size=20, strata=("region",))
    first = caught.value.problems[0]
    assert first.file == str(path) and first.column == "phone" and first.value == "12345"
    line = int(first.customer_id[1:]) + 1  # header is row 1
    assert first.row == line
    assert db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0] == 0


def test_cli_draw_frame_and_prepare_frame(frames, tmp_path, database_target):
    csv, parquet, ref = frames
    runner = CliRunner()
    db = database_target
    out = runner.invoke(cli, ["prepare-frame", "--db", str(db), str(parquet), str(tmp_path / "p.parquet")])
    assert out.exit_code == 0, out.output
    assert "row groups" in out.output
    out = runner.invoke(
        cli, ["draw", "--db", str(db), "--frame", str(tmp_path / "p.parquet"), "--size", "200"]
    )
    assert out.exit_code == 0, out.output
    assert out.output.strip().splitlines()[-1] == "1"
    bad = runner.invoke(cli, ["draw", "--db", str(db), "--frame", str(_bad_frame(tmp_path)), "--size", "20",
                              "--strata", "region"])  # fmt: skip
    assert bad.exit_code == 1 and "bad.csv, row " in bad.output and "nothing was drawn" in bad.output


def test_a_selected_id_repeated_anywhere_in_the_frame_stops_the_draw(tmp_path, fresh_db):
    """Every id occurs twice, once opted out (with spaces around it): the selected ids are reported duplicated."""
    rows = [(f"C{i:04d}", "泉州" if i % 2 else "福州", "居民", "13800000000", "否") for i in range(1, 201)]
    rows += [(f" {i}\u3000", r, t, p, "是") for i, r, t, p, _ in rows[::-1]]
    path = tmp_path / "dup.parquet"
    pd.DataFrame(rows, columns=["户号", "供电单位", "用户类别", "联系电话", "拒访"]).to_parquet(
        path, index=False
    )
    db = fresh_db
    with open_engine("duckdb", path) as e, pytest.raises(FrameProblems) as caught:
        draw_from_frame(db, e, size=20, strata=("region",))
    assert caught.value.total >= 20 and all(p.column == "id" for p in caught.value.problems)
    assert "occurs 2 times" in caught.value.problems[0].message_en
    assert db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0] == 0
