"""The PRN rule in DuckDB and Spark SQL against the Python reference (sampling.prn, sampling.select).

PRNs must be bit-identical (compared as float64 bit patterns, not approximately) and the selection — sample,
reserve and the next unit, in order — identical to :func:`sampling.select.select_pandas` on the eligible frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sampling.engines.base as engines_base
from sampling.engines import open_engine
from sampling.engines.draw import FrameProblems, eligible_counts, resolve_cells, select_all
from sampling.engines.generate import write_frame
from sampling.engines.rule import DUCKDB, SPARK, WHITESPACE, candidate_threshold, prn_sql
from sampling.frame_validate import validate_frame
from sampling.places import PlaceList
from sampling.prn import prn_array
from sampling.select import rotation_order, stratum_key

SALT = "3f1c9a0be2d54c6f8a7b6e5d4c3b2a19"
IDS = ["0001", "C000000042", "户号-泉州-0007", "x" * 200, "1", "12345678901234567890", "a b", "ü", "'quote'"]
STRATA = ("region", "customer_type")


@pytest.fixture(scope="module")
def spark():
    from sampling.engines.spark_engine import spark_session

    return spark_session("local[2]")


def _bits(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).view(np.uint64)


def test_duckdb_prn_is_bit_identical_to_python():
    import duckdb

    con = duckdb.connect()
    con.register("survey_params", pa.table({"salt": [SALT]}))
    con.register("ids", pa.table({"id": IDS}))
    got = con.execute(f"SELECT {prn_sql(DUCKDB, 's.id')} FROM ids s CROSS JOIN survey_params p").fetchall()
    assert np.array_equal(_bits([r[0] for r in got]), _bits(prn_array(SALT, IDS)))


def test_spark_prn_is_bit_identical_to_python(spark):
    spark.createDataFrame([(SALT,)], "salt STRING").createOrReplaceTempView("survey_params")
    spark.createDataFrame([(i, k) for k, i in enumerate(IDS)], "id STRING, k INT").createOrReplaceTempView(
        "ids"
    )
    got = spark.sql(
        f"SELECT {prn_sql(SPARK, 's.id')} AS prn FROM ids s CROSS JOIN survey_params p ORDER BY k"
    )
    assert np.array_equal(_bits([r[0] for r in got.collect()]), _bits(prn_array(SALT, IDS)))


#: Values whose ends are each whitespace character, or characters next to the cheap check's bounds.
STRIP_CASES = [
    *(f"{c}C1{c}" for c in WHITESPACE),
    *(f"{c}C2" for c in WHITESPACE),
    *(f"C3{c}" for c in WHITESPACE),
    *(c * 3 for c in WHITESPACE),
    "", "C4", "!", "~\x7f", "\x84a\x86", "\x00C5\x08", "\u3001C6\u3000", "ü", "户号 \u3000", "a\r\n", "e\u0301",
    " 户 号 ", "\u2029", "\x1bx\x1b",
]  # fmt: skip


def _strip_sql(d) -> str:
    return f"SELECT k, {d.strip('v')} AS s, {d.is_blank('v')} AS b FROM vals ORDER BY k"


def test_duckdb_strips_as_python_does():
    import duckdb

    con = duckdb.connect()
    con.register("vals", pa.table({"k": range(len(STRIP_CASES)), "v": STRIP_CASES}))
    got = con.execute(_strip_sql(DUCKDB)).fetchall()
    assert [r[1] for r in got] == [v.strip() for v in STRIP_CASES]
    assert [r[2] for r in got] == [v.strip() == "" for v in STRIP_CASES]


def test_spark_strips_as_python_does(spark):
    spark.createDataFrame(list(enumerate(STRIP_CASES)), "k INT, v STRING").createOrReplaceTempView("vals")
    got = spark.sql(_strip_sql(SPARK)).collect()
    assert [r[1] for r in got] == [v.strip() for v in STRIP_CASES]
    assert [r[2] for r in got] == [v.strip() == "" for v in STRIP_CASES]


@pytest.fixture(scope="module")
def frame_file(tmp_path_factory):
    return write_frame(tmp_path_factory.mktemp("frame") / "frame.parquet", 30_000, seed=11, chunk=7_000)


def _reference(path, starts, takes) -> pd.DataFrame:
    """select_pandas's order on the eligible frame read as an import reads it: the first ``takes[h]`` units."""
    table = pq.read_table(path).to_pandas().astype(str)
    clean = validate_frame(table, places=PlaceList.default()).frame
    clean = clean[~clean.opted_out & clean.has_valid_phone].reset_index(drop=True)
    prns = prn_array(SALT, clean["id"])
    keys = np.array([stratum_key(v) for v in clean[list(STRATA)].itertuples(index=False)], dtype=object)
    ids = clean["id"].to_numpy(dtype=object)
    rows = []
    for h, k in takes.items():
        idx = np.flatnonzero(keys == h)
        order = idx[rotation_order(prns[idx], ids[idx], starts[h])][:k]
        rows += [(ids[i], h, prns[i]) for i in order]
    return pd.DataFrame(rows, columns=["id", "stratum", "prn"])


def _plan(cells, seed: int, near_wrap: bool = False):
    counts = {stratum_key(v): n for v, n in eligible_counts(cells, STRATA).items()}
    rng = np.random.default_rng(seed)
    starts = {h: (1 - 2.0**-30 if near_wrap else float(rng.integers(0, 2**52)) / 2**52) for h in counts}
    takes = {h: int(min(n, rng.integers(1, 40))) for h, n in counts.items()}
    takes[min(counts, key=counts.get)] = min(counts.values())  # one stratum taken whole
    return counts, starts, takes


def _engine(name, path, spark):
    return open_engine(name, path, spark=spark) if name == "spark" else open_engine(name, path)


@pytest.mark.parametrize("near_wrap", [False, True], ids=["random-starts", "starts-near-1"])
@pytest.mark.parametrize("name", ["duckdb", "spark"])
def test_engine_selects_exactly_the_python_sample(frame_file, name, near_wrap, request):
    spark = request.getfixturevalue("spark") if name == "spark" else None
    with _engine(name, frame_file, spark) as engine:
        cells = resolve_cells(engine.cell_counts(), STRATA, PlaceList.default())
        counts, starts, takes = _plan(cells, seed=3, near_wrap=near_wrap)
        got = select_all(engine, SALT, cells, starts, takes, counts)
    expected = _reference(frame_file, starts, takes)
    got = got[["id", "stratum", "prn"]].reset_index(drop=True)
    expected = expected.sort_values("stratum", kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(got[["id", "stratum"]], expected[["id", "stratum"]])
    assert np.array_equal(_bits(got["prn"]), _bits(expected["prn"]))


def test_a_pre_filter_that_keeps_too_few_is_run_again_unfiltered(frame_file, monkeypatch):
    """With a threshold far too small every stratum falls short, and the retry still gives the exact sample."""
    monkeypatch.setattr(engines_base, "candidate_threshold", lambda take, population: 1e-6)
    with open_engine("duckdb", frame_file) as engine:
        cells = resolve_cells(engine.cell_counts(), STRATA, PlaceList.default())
        counts, starts, takes = _plan(cells, seed=5)
        got = select_all(engine, SALT, cells, starts, takes, counts)
    expected = _reference(frame_file, starts, takes).sort_values("stratum", kind="stable")
    assert got["id"].tolist() == expected["id"].tolist()


def test_engines_count_n_h_as_the_import_does(frame_file, spark):
    table = pq.read_table(frame_file).to_pandas().astype(str)
    clean = validate_frame(table, places=PlaceList.default()).frame
    clean = clean[~clean.opted_out & clean.has_valid_phone]
    expected = {tuple(k): int(n) for k, n in clean.groupby(list(STRATA)).size().items()}
    for name in ("duckdb", "spark"):
        with _engine(name, frame_file, spark) as engine:
            cells = resolve_cells(engine.cell_counts(), STRATA, PlaceList.default())
        assert eligible_counts(cells, STRATA) == expected, name


def test_excluded_ids_are_neither_counted_nor_selected(frame_file):
    with open_engine("duckdb", frame_file) as engine:
        cells = resolve_cells(engine.cell_counts(), STRATA, PlaceList.default())
        counts, starts, takes = _plan(cells, seed=9)
        first = select_all(engine, SALT, cells, starts, takes, counts)
        excluded = first["id"].tolist()[::2]
        cells2 = resolve_cells(engine.cell_counts(excluded), STRATA, PlaceList.default())
        counts2 = {stratum_key(v): n for v, n in eligible_counts(cells2, STRATA).items()}
        takes2 = {h: min(k, counts2[h]) for h, k in takes.items()}
        again = select_all(engine, SALT, cells2, starts, takes2, counts2, excluded)
    assert sum(counts.values()) - sum(counts2.values()) == len(excluded)
    assert not set(excluded) & set(again["id"])


def test_unknown_region_stops_with_its_row_count(tmp_path):
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"id": ["1", "2", "3"], "region": ["泉州", "火星", "火星"], "customer_type": ["居民"] * 3,
                             "phone": ["13800000000"] * 3}), path)  # fmt: skip
    with open_engine("duckdb", path) as engine, pytest.raises(FrameProblems) as e:
        resolve_cells(engine.cell_counts(), STRATA, PlaceList.default(), source=str(path))
    assert e.value.total == 2
    assert e.value.problems[0].column == "region" and e.value.problems[0].value == "火星"


def test_candidate_threshold_covers_the_take():
    """Over many salts, the number of uniform PRNs below the threshold is at least the take."""
    rng = np.random.default_rng(1)
    for take, population in [(1, 10), (5, 1000), (50, 100_000), (400, 2_000_000)]:
        t = candidate_threshold(take, population)
        below = rng.binomial(population, t, size=2000)
        assert (below >= take).all()
        assert t < 1.0 or population < 200


def test_prepared_row_groups_keep_every_row_of_the_ranges(tmp_path):
    """The row groups chosen from the footer's statistics hold every row in the ranges, and few others."""
    from sampling.engines.pruning import prepared_row_groups
    from sampling.engines.rule import PRN_COLUMN, STRATUM_COLUMN

    rng = np.random.default_rng(4)
    strata = np.sort(
        rng.choice(["泉州|居民", "福州|居民", "厦门|大工业", "a"], 20_000, p=[0.5, 0.3, 0.05, 0.15])
    )
    prn = rng.integers(0, 2**52, 20_000) / 2**52
    order = np.lexsort((prn, strata))
    table = pa.table({STRATUM_COLUMN: strata[order], PRN_COLUMN: prn[order]})
    path = tmp_path / "prepared.parquet"
    pq.write_table(table, path, row_group_size=500)
    group_of = np.repeat(np.arange(40), 500)
    for trial in range(20):
        some = rng.choice(sorted(set(strata)), int(rng.integers(1, 4)), replace=False)
        ranges = [(str(h), lo, min(lo + 0.03, 1.0)) for h in some for lo in [rng.random()]]
        ranges.append(("厦门|大工业", 0.0, 2.0**-52))  # a range narrower than any gap
        edge = str(rng.choice(sorted(set(strata))))  # a stratum's lowest and highest PRNs: in mixed groups
        ranges += [(edge, 0.0, 0.002), (edge, 0.998, 1.0)]
        if trial < 2:
            ranges.append(("泉州|居民" if trial else "福州|居民", 0.0, 1.0))  # whole strata
        keep = set(prepared_row_groups(path, ranges))
        s, p = table[STRATUM_COLUMN].to_numpy(zero_copy_only=False), table[PRN_COLUMN].to_numpy()
        hit = np.zeros(len(s), dtype=bool)
        for h, lo, hi in ranges:
            hit |= (s == h) & (p >= lo) & (p < hi)
        assert set(group_of[hit]) <= keep
        # few others: a group spanning two strata is read only when a range reaches its part of them
        assert len(keep - set(group_of[hit])) <= len(ranges), (sorted(keep), sorted(set(group_of[hit])))
    nostats = tmp_path / "nostats.parquet"
    pq.write_table(table, nostats, row_group_size=500, write_statistics=[PRN_COLUMN])  # no stratum statistics
    assert prepared_row_groups(nostats, [("a", 0.1, 0.2)]) == list(range(40))  # none can be ruled out


def test_blank_ids_stop_the_draw_with_their_row_count(tmp_path):
    path = tmp_path / "f.parquet"
    ids = ["1", "", "  ", "\u3000", None, " 2 ", "\u30003"]
    pq.write_table(pa.table({"id": ids, "region": ["泉州"] * 7, "customer_type": ["居民"] * 7,
                             "phone": ["13800000000", "", " ", None, "\u3000", "13800000001", " 1"]}), path)  # fmt: skip
    with open_engine("duckdb", path) as engine:
        counts = engine.cell_counts()
        with pytest.raises(FrameProblems) as e:
            resolve_cells(counts, STRATA, PlaceList.default(), source=str(path))
    assert e.value.total == 4 and e.value.problems[0].column == "id"
    assert int(counts.loc[counts["has_phone"], "n"].sum()) == 3


def test_in_ranges_keeps_exactly_the_rows_inside_some_range():
    """The row filter of a pruned draw: a PRN in any (widened) range is kept, any other is not; NaN is in none."""
    from sampling.engines.pruning import in_ranges

    rng = np.random.default_rng(7)
    prn = np.concatenate([rng.random(50_000), [0.0, 0.25, 0.5 - 2.0**-45, 0.5, 0.75, 1.0 - 2.0**-52, np.nan]])
    ranges = [("a", 0.1, 0.2), ("b", 0.15, 0.3), ("c", 0.5, 0.5 + 1e-9), ("a", 0.9, 1.0), ("d", 0.0, 0.01)]
    inside = np.zeros(len(prn), dtype=bool)
    for _, lo, hi in ranges:
        inside |= (prn >= lo) & (prn < hi)
    got = in_ranges(prn, ranges)
    assert (got >= inside).all()  # every row a range holds
    eps = 2.0**-40
    near = np.zeros(len(prn), dtype=bool)
    for _, lo, hi in ranges:
        near |= (prn >= lo - eps) & (prn < hi + eps)
    assert (got <= near).all() and not got[-1]  # nothing beyond the widened bounds
    assert got.sum() < 0.4 * len(prn)
