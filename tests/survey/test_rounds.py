import shutil

import pandas as pd
import pytest

from sampling.select import select_pandas, stratum_series
from survey.rounds import DrawError, draw_round, eligible_counts, frame_salt, get_round, round_strata
from survey.store import open_db


def _eligible_frame(db) -> pd.DataFrame:
    rows = db.execute(
        "SELECT id, region, customer_type, prn FROM customers"
        " WHERE active = 1 AND opted_out = 0 AND has_valid_phone = 1"
    ).fetchall()
    return pd.DataFrame(rows, columns=["id", "region", "customer_type", "prn"])


def _assignments(db, round_id):
    return pd.DataFrame(
        db.execute(
            "SELECT customer_id, stratum, prn, pi, weight, is_reserve FROM assignments WHERE round_id = ?"
            " ORDER BY stratum, is_reserve, prn, customer_id",
            [round_id],
        ).fetchall(),
        columns=["id", "stratum", "prn", "inclusion_probability", "weight", "is_reserve"],
    )


def _fresh_copy(demo_path, tmp_path):
    """The demo frame with no rounds drawn, so the first draw starts at 0."""
    db = open_db(demo_path)
    for table in ("answers", "follow_ups", "responses", "assignments", "round_strata", "rounds"):
        db.execute(f"DELETE FROM {table}")
    db.execute("UPDATE customers SET last_surveyed_at = NULL")
    return db


@pytest.mark.parametrize("strata", [("region", "customer_type"), ("region",), ()])
def test_sqlite_engine_draws_exactly_the_pandas_engine_sample(demo_path, tmp_path, strata):
    db = _fresh_copy(demo_path, tmp_path)
    frame = _eligible_frame(db)
    result = draw_round(db, size=400, strata=strata, reserve=3)
    sizes = {s.stratum: s.n_h for s in result.strata}
    expected = select_pandas(frame, list(strata), sizes, salt=frame_salt(db), reserve=3)
    got = _assignments(db, result.round_id)
    expected = expected.sort_values(["stratum", "is_reserve", "prn", "id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got.assign(is_reserve=got.is_reserve.astype(bool)), expected, check_dtype=False)
    assert {s.stratum: s.next_start for s in result.strata} == expected.attrs["next_start"]

    # A second round starts where the first ended; the pandas engine agrees from those starts.
    second = draw_round(db, size=400, strata=strata)
    starts = {s.stratum: s.start for s in second.strata}
    assert starts == expected.attrs["next_start"]
    again = select_pandas(frame, list(strata), {s.stratum: s.n_h for s in second.strata}, salt=frame_salt(db),
                          start=starts)
    assert set(_assignments(db, second.round_id)["id"]) == set(again["id"])


def test_proportional_allocation_and_weights(demo_db):
    result = draw_round(demo_db, size=300)
    counts = eligible_counts(demo_db, ("region", "customer_type"))
    assert sum(s.n_h for s in result.strata) == 300
    for s in result.strata:
        assert abs(s.n_h - 300 * s.N_h / sum(counts.values())) < 1
    rows = demo_db.execute("SELECT stratum, pi, weight FROM assignments WHERE round_id = ? AND is_reserve = 0",
                           [result.round_id]).fetchall()
    by = {s.stratum: s for s in result.strata}
    for stratum, pi, weight in rows:
        assert pi == pytest.approx(by[stratum].n_h / by[stratum].N_h)
        assert weight == pytest.approx(by[stratum].N_h / by[stratum].n_h)


def test_consecutive_rounds_do_not_reask_customers(demo_db):
    earlier = {r[0] for r in demo_db.execute("SELECT customer_id FROM assignments")}
    new = draw_round(demo_db, size=500, reserve=1)
    ids = [r[0] for r in demo_db.execute("SELECT customer_id FROM assignments WHERE round_id = ?", [new.round_id])]
    assert len(ids) == len(set(ids))
    assert not set(ids) & earlier


def test_redraw_on_a_copy_gives_the_same_ids(demo_path, tmp_path):
    copy_dir = tmp_path / "copy"
    copy_dir.mkdir()
    shutil.copy(demo_path, copy_dir / "survey.db")
    shutil.copy(demo_path.parent / "secret.key", copy_dir / "secret.key")
    a, b = open_db(demo_path), open_db(copy_dir / "survey.db")
    ra, rb = draw_round(a, size=250, reserve=2), draw_round(b, size=250, reserve=2)
    assert _assignments(a, ra.round_id).equals(_assignments(b, rb.round_id))
    design = get_round(a, ra.round_id)["design"]
    assert design["strata"] == ["region", "customer_type"] and design["engine"] == "sqlite-index-scan"
    assert set(design["starts"]) == {s["stratum"] for s in round_strata(a, ra.round_id)}
    assert "salt" not in str(design).replace("salt_id", "")


def test_excluded_customers_are_never_drawn(demo_db):
    demo_db.execute("UPDATE customers SET opted_out = 1 WHERE region = '厦门'")
    demo_db.execute("UPDATE customers SET active = 0 WHERE region = '福州' AND customer_type = '居民'")
    result = draw_round(demo_db, size=200)
    strata = {s.stratum for s in result.strata}
    assert not any(s.startswith("厦门") for s in strata) and "福州|居民" not in strata
    bad = demo_db.execute(
        "SELECT COUNT(*) FROM assignments a JOIN customers c ON c.id = a.customer_id WHERE a.round_id = ?"
        " AND (c.opted_out = 1 OR c.active = 0 OR c.has_valid_phone = 0)", [result.round_id]).fetchone()[0]
    assert bad == 0


def test_recently_surveyed_customers_can_be_excluded(demo_db):
    recent = {r[0] for r in demo_db.execute("SELECT customer_id FROM assignments WHERE is_reserve = 0")}
    result = draw_round(demo_db, size=100, exclude_days=30, survey="other")
    ids = {r[0] for r in demo_db.execute("SELECT customer_id FROM assignments WHERE round_id = ?",
                                          [result.round_id])}
    assert not ids & recent


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(size=0), "size must be a positive integer"),
        (dict(size=10_000_000), "size must be at most"),
        (dict(size=10, strata=("name",)), "stratum column must be one of"),
        (dict(size=10, allocation="magic"), "allocation must be one of"),
        (dict(size=10, reserve=-1), "reserve must be >= 0"),
    ],
)
def test_bad_designs_are_refused_and_change_nothing(demo_db, kwargs, message):
    before = demo_db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0]
    with pytest.raises(DrawError, match=message):
        draw_round(demo_db, **kwargs)
    assert demo_db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0] == before


def test_empty_frame_is_a_clear_error(fresh_db):
    with pytest.raises(DrawError, match="import a customer frame first"):
        draw_round(fresh_db, size=10)


def test_stratum_series_matches_stored_labels(demo_db):
    frame = _eligible_frame(demo_db)
    labels = set(stratum_series(frame, ["region", "customer_type"]))
    stored = {r[0] for r in demo_db.execute("SELECT DISTINCT stratum FROM round_strata")}
    assert stored <= labels
