"""Monitoring: dispositions and AAPOR rates per stratum against hand-computed counts."""

from __future__ import annotations

import math

import pytest

from survey.calls import record_call
from survey.forms import round_questionnaire
from survey.monitoring import completes_over_time, round_progress
from survey.responses import _store_response
from survey.rounds import draw_round

pytestmark = pytest.mark.demo_on_postgresql  # demo_db runs on both backends

GOOD = {"overall": 4, "attitude": 5, "skill": 4, "reliability": 3, "voltage": 4, "planned_outage": "no",
        "reported_fault": "no", "billing": 4, "complained": "no", "vs_last_year": "same"}  # fmt: skip


@pytest.fixture
def small_round(demo_db):
    """A fresh round stratified by region; set outcomes in its two largest strata."""
    result = draw_round(demo_db, size=120, strata=("region",), reserve=2, name="monitor test")
    top = sorted(result.strata, key=lambda s: -s.n_h)[:2]
    a, b = top[0].stratum, top[1].stratum
    ids = {s: [r[0] for r in demo_db.execute("SELECT id FROM assignments WHERE round_id = ? AND stratum = ?"
                                            " AND is_reserve = 0 ORDER BY id", [result.round_id, s])]
           for s in (a, b)}  # fmt: skip
    q = round_questionnaire(demo_db, result.round_id)
    # stratum a: 3 complete (2 on day 1, 1 on day 2), 1 partial, 2 refusal, 1 non-contact, 1 callback,
    #            1 wrong number, 1 started online; the rest issued
    for i, day in enumerate(
        ["2026-11-10T09:00:00+00:00", "2026-11-10T15:00:00+00:00", "2026-11-11T09:00:00+00:00"]
    ):
        _store_response(
            demo_db, ids[a][i], q, q.validate(GOOD), mode="web", interviewer=None, submitted_at=day
        )
    for aid, outcome in zip(ids[a][3:8], ["partial", "refusal", "refusal", "non_contact", "wrong_number"],
                            strict=True):  # fmt: skip
        record_call(demo_db, aid, outcome, interviewer="王芳")
    record_call(demo_db, ids[a][8], "callback", interviewer="王芳", callback_at="2026-11-12T10:00")
    demo_db.execute("UPDATE assignments SET status = 'started' WHERE id = ?", [ids[a][9]])
    # stratum b: 1 complete by phone on day 2, 1 not eligible
    _store_response(demo_db, ids[b][0], q, q.validate(GOOD), mode="phone", interviewer="王芳",
                    submitted_at="2026-11-11T10:00:00+00:00")  # fmt: skip
    record_call(demo_db, ids[b][1], "not_eligible", interviewer="王芳")
    return result.round_id, a, b, len(ids[a]), len(ids[b])


def test_counts_and_rates_per_stratum_are_the_hand_computed_ones(demo_db, small_round):
    round_id, a, b, n_a, n_b = small_round
    progress = round_progress(demo_db, round_id)
    by = {s.stratum: s for s in progress.strata}
    s = by[a]
    pending = n_a - 10
    assert (s.issued, s.completed, s.partial, s.refused, s.non_contact, s.ineligible, s.pending) == (
        n_a,
        3,
        2,
        2,
        2,
        1,
        pending,
    )
    # AAPOR 2023 by hand: I=3, P=2 (partial + started), R=2, NC=2 (non-contact + callback), O=0, UO=pending, NE=1
    denom = 3 + 2 + 2 + 2 + pending
    assert s.rates.rr1 == pytest.approx(3 / denom)
    e = (3 + 2 + 2 + 2) / (3 + 2 + 2 + 2 + 1)
    assert s.rates.e == pytest.approx(0.9)
    assert s.rates.rr3 == pytest.approx(3 / (3 + 2 + 2 + 2 + e * pending))
    assert s.rates.coop1 == pytest.approx(3 / (3 + 2 + 2))
    assert s.rates.ref1 == pytest.approx(2 / denom)
    assert s.rates.con1 == pytest.approx((3 + 2 + 2) / (3 + 2 + 2 + 2 + pending))
    t = by[b]
    assert (t.issued, t.completed, t.ineligible, t.pending) == (n_b, 1, 1, n_b - 2)
    assert t.rates.rr1 == pytest.approx(1 / (n_b - 1))
    total = progress.total
    issued_all = sum(x.issued for x in progress.strata)
    assert total.issued == issued_all == 120 and total.completed == 4 and total.ineligible == 2
    assert total.rates.rr1 == pytest.approx(4 / (120 - 2))
    table = progress.table()
    assert list(table["stratum"])[-1] == "*" and len(table) == len(progress.strata) + 1


def test_rates_are_nan_without_a_denominator(fresh_db):
    from survey.monitoring import _progress

    empty = _progress("x", {"wrong_number": 2})
    assert empty.issued == 2 and math.isnan(empty.rates.rr1) and math.isnan(empty.rates.coop1)


def test_unknown_status_is_an_error():
    from survey.monitoring import _progress

    with pytest.raises(ValueError, match="assignment status must be one of"):
        _progress("x", {"lost": 1})


def test_region_scope_counts_only_that_region(demo_db, small_round):
    round_id, a, b, n_a, _ = small_round
    scoped = round_progress(demo_db, round_id, region=a)  # strata are regions here
    assert [s.stratum for s in scoped.strata] == [a] and scoped.total.issued == n_a


def test_completes_over_time_by_day_and_mode(demo_db, small_round):
    round_id, a, b, *_ = small_round
    frame = completes_over_time(demo_db, round_id)
    assert frame.to_dict("records") == [
        {"date": "2026-11-10", "mode": "web", "completes": 2, "cumulative": 2},
        {"date": "2026-11-11", "mode": "phone", "completes": 1, "cumulative": 4},
        {"date": "2026-11-11", "mode": "web", "completes": 1, "cumulative": 4},
    ]
    assert completes_over_time(demo_db, round_id, region=b)["completes"].sum() == 1
    with pytest.raises(LookupError):
        round_progress(demo_db, 99)


def test_cli_reminders_progress_release_and_import(demo_path, tmp_path):
    import csv
    import io

    from click.testing import CliRunner

    from questionnaires import load_default, to_xlsform
    from survey.cli import cli
    from survey.store import open_db

    runner = CliRunner()
    out = tmp_path / "rem.csv"
    result = runner.invoke(cli, ["reminders", "2", "--days", "0", "-o", str(out), "--db", str(demo_path)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    db = open_db(demo_path)
    expected = db.execute("SELECT COUNT(*) FROM assignments WHERE round_id = 2 AND is_reserve = 0 AND status IN"
                          " ('issued', 'started', 'non_contact', 'callback')").fetchone()[0]  # fmt: skip
    assert len(rows) == expected > 0 and "****" not in rows[0]["phone"]
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'export_reminders'").fetchone()[0] == 1
    xlsx = tmp_path / "rem.xlsx"
    result = runner.invoke(
        cli, ["reminders", "2", "--days", "0", "--masked", "-o", str(xlsx), "--db", str(demo_path)]
    )
    assert result.exit_code == 0 and xlsx.read_bytes()[:2] == b"PK"

    result = runner.invoke(cli, ["progress", "2", "--db", str(demo_path)])
    assert result.exit_code == 0 and "rr1" in result.output and "*" in result.output

    wrong = db.execute(
        "SELECT id FROM assignments WHERE round_id = 2 AND status = 'wrong_number'"
    ).fetchone()[0]
    result = runner.invoke(cli, ["release-reserve", str(wrong), "--db", str(demo_path)])
    assert result.exit_code == 0 and "released assignment" in result.output
    result = runner.invoke(cli, ["release-reserve", str(wrong), "--db", str(demo_path)])
    assert result.exit_code == 1 and "already been replaced" in result.output

    form = tmp_path / "form.xlsx"
    to_xlsform(load_default(), form)
    result = runner.invoke(cli, ["import-questionnaire", str(form), "--db", str(demo_path)])
    assert result.exit_code == 0 and result.output.strip().splitlines()[-1] == "1"


def test_completes_are_counted_on_the_local_day(demo_db, small_round):
    round_id, *_ = small_round
    # the first web response moved to 17:30 UTC on 10 Nov = 01:30 on 11 Nov in Beijing (UTC+8, no DST)
    first = demo_db.execute(
        "SELECT r.id FROM responses r JOIN assignments a ON a.id = r.assignment_id WHERE a.round_id = ?"
        " AND r.submitted_at = '2026-11-10T09:00:00+00:00'",
        [round_id],
    ).fetchone()[0]
    demo_db.execute("UPDATE responses SET submitted_at = '2026-11-10T17:30:00+00:00' WHERE id = ?", [first])
    utc = completes_over_time(demo_db, round_id)
    assert utc[["date", "mode", "completes"]].values.tolist() == [
        ["2026-11-10", "web", 2], ["2026-11-11", "phone", 1], ["2026-11-11", "web", 1],
    ]  # fmt: skip
    beijing = completes_over_time(demo_db, round_id, tz="Asia/Shanghai")
    assert beijing.to_dict("records") == [
        {"date": "2026-11-10", "mode": "web", "completes": 1, "cumulative": 1},
        {"date": "2026-11-11", "mode": "phone", "completes": 1, "cumulative": 4},
        {"date": "2026-11-11", "mode": "web", "completes": 2, "cumulative": 4},
    ]
    with pytest.raises(ValueError, match="tz must be an IANA time zone name, but got 'Nowhere/Land'"):
        completes_over_time(demo_db, round_id, tz="Nowhere/Land")


def test_completes_over_time_of_a_round_without_responses(demo_db):
    from survey.rounds import draw_round

    round_id = draw_round(demo_db, size=10, minimum=0, created_by="t").round_id  # 10 < 2 × 36 strata
    frame = completes_over_time(demo_db, round_id, tz="Asia/Shanghai")
    assert frame.empty and list(frame.columns) == ["date", "mode", "completes", "cumulative"]
