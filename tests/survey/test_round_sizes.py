"""Sizes and allocation reach the draw: equal, power, Neyman and cost-optimal allocation, a margin overall or per
region (Cochran), precomputed sizes, the minimum per stratum, and what `python -m survey draw` prints about the
planned margin and where the standard deviations come from."""

import pytest

from survey.rounds import DrawError, draw_round, eligible_counts, get_round
from survey.store import open_db
from tests.survey.test_rounds import _fresh_copy

pytestmark = pytest.mark.demo_on_postgresql  # demo_db runs on both backends


@pytest.mark.parametrize(
    "allocation, extra", [("equal", {}), ("power", {"power": 0.5}), ("proportional", {})]
)
def test_allocations_and_minimum_reach_the_draw(demo_db, allocation, extra):
    result = draw_round(demo_db, size=360, strata=("region",), allocation=allocation, minimum=30, **extra)
    sizes = [s.n_h for s in result.strata]
    assert sum(sizes) == 360 and min(sizes) >= 30
    if allocation == "equal":  # 9 regions, 360 = 9 × 40
        assert sizes == [40] * 9
    design = get_round(demo_db, result.round_id)["design"]
    assert design["allocation"] == allocation and design["minimum"] == 30
    assert design["sizes"] == {s.stratum: s.n_h for s in result.strata}


def test_margin_per_region_sizes_each_region_by_cochran(demo_db):
    counts = {k[0]: v for k, v in eligible_counts(demo_db, ("region",)).items()}
    result = draw_round(demo_db, margin=0.1, per_region=True, strata=("region",), response_rate=0.5)
    # Cochran with fpc per region, then / response rate: n0 = 1.959964² · 0.25 / 0.01 = 96.04
    for s in result.strata:
        n1 = 96.0365 / (1 + 95.0365 / counts[s.stratum])
        assert s.n_h == min(counts[s.stratum], -(-n1 // 0.5))


def test_precomputed_sizes_are_drawn_exactly_and_checked(demo_db):
    result = draw_round(demo_db, sizes={"福州": 7, "厦门": 3}, strata=("region",))
    assert {s.stratum: s.n_h for s in result.strata if s.n_h} == {"福州": 7, "厦门": 3}
    with pytest.raises(DrawError, match="sizes name strata"):
        draw_round(demo_db, sizes={"火星": 1}, strata=("region",))
    with pytest.raises(DrawError, match="exactly one of"):
        draw_round(demo_db, size=5, margin=0.05)


def test_neyman_sd_from_the_previous_closed_round(demo_db):
    from survey.rounds import previous_sd

    sd = previous_sd(demo_db, ("region",))
    assert sd is not None and set(sd) - {"*"} <= {k[0] for k in eligible_counts(demo_db, ("region",))}
    # Independent check for one region: the sample SD of round 1's overall scores.
    import statistics

    rows = demo_db.execute(
        "SELECT CAST(an.value AS REAL) FROM answers an JOIN responses r ON r.id = an.response_id"
        " JOIN assignments a ON a.id = r.assignment_id JOIN customers c ON c.id = a.customer_id"
        " WHERE a.round_id = 1 AND an.question_id = 'overall' AND c.region = '福州'"
    ).fetchall()
    assert sd["福州"] == pytest.approx(statistics.stdev(v for (v,) in rows))
    result = draw_round(demo_db, size=300, strata=("region",), allocation="neyman", sd=sd)
    assert sum(s.n_h for s in result.strata) == 300


def test_a_margin_target_is_met_by_the_draw_or_the_shortfall_is_recorded(demo_db):
    result = draw_round(demo_db, margin=0.05, strata=("region", "customer_type"), allocation="equal")
    assert result.plan.target_margin == 0.05 and result.plan.overall_margin <= 0.05
    design = get_round(demo_db, result.round_id)["design"]
    assert design["planned_margin"] == pytest.approx(result.plan.overall_margin)
    assert design["margin_met"] is True
    short = draw_round(demo_db, margin=0.01, per_region=True, strata=("region",), response_rate=0.3)
    assert not short.plan.meets_target
    design = get_round(demo_db, short.round_id)["design"]
    assert design["margin_met"] is False and set(design["domain_margins"]) == {
        s.stratum for s in short.strata
    }


def test_draw_keeps_two_per_stratum_by_default(demo_db):
    result = draw_round(demo_db, size=80)  # 36 strata of region × customer type
    assert all(s.n_h >= min(2, s.N_h) for s in result.strata) and not result.plan.thin_strata
    assert get_round(demo_db, result.round_id)["design"]["minimum"] == 2
    with pytest.raises(DrawError, match=r"n must be at least \d+ \(minimum=2 in each of 36 strata"):
        draw_round(demo_db, size=20)
    thin = draw_round(demo_db, size=20, minimum=0)
    assert thin.plan.thin_strata


def test_cost_optimal_allocation_draws_without_given_sds_or_costs(demo_path, tmp_path):
    from survey.design import design_sd

    db = _fresh_copy(demo_path, tmp_path)  # no closed round: S_h from p = 0.5
    sd = design_sd(db, ("region",))
    assert sd.source == "p=0.5" and set(sd.values.values()) == {0.5}
    result = draw_round(db, size=180, strata=("region",), allocation="optimal")
    assert sum(s.n_h for s in result.strata) == 180
    # equal S_h and equal costs: optimal = proportional
    assert {s.stratum: s.n_h for s in result.strata} == {
        s.stratum: s.n_h for s in draw_round(db, size=180, strata=("region",), survey="p").strata
    }


def test_cost_optimal_sds_come_from_the_last_closed_round(demo_db):
    from survey.design import design_sd, previous_sd

    sd = design_sd(demo_db, ("region",))
    assert sd.source == "previous_round" and sd.round_id == 1
    previous = previous_sd(demo_db, ("region",))
    assert set(sd.values) == {k[0] for k in eligible_counts(demo_db, ("region",))}
    assert all(v == previous.get(h, previous["*"]) for h, v in sd.values.items())
    cost = {s: (4.0 if s == "福州" else 1.0) for s in sd.values}
    result = draw_round(demo_db, size=300, strata=("region",), allocation="optimal", sd=sd.values, cost=cost)
    design = get_round(demo_db, result.round_id)["design"]
    assert design["cost"]["福州"] == 4.0 and sum(s.n_h for s in result.strata) == 300


def _cli(*args):
    from click.testing import CliRunner

    from survey.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args])


def test_cli_draw_prints_the_planned_margin_overall_and_per_region(demo_target):
    out = _cli("draw", "--db", demo_target, "--margin", "0.05", "--allocation", "equal")
    assert out.exit_code == 0, out.output
    assert "planned margin ±" in out.output and "target ±5.0%" in out.output
    out = _cli("draw", "--db", demo_target, "--margin", "0.1", "--per-region", "--strata", "region")
    assert out.exit_code == 0, out.output
    lines = [line for line in out.output.splitlines() if line.strip().startswith(("福州", "厦门", "南平"))]
    assert len(lines) == 3 and all("±" in line for line in lines)
    int(out.output.strip().splitlines()[-1])  # the round id stays alone on the last line


def test_cli_draw_warns_when_the_target_cannot_be_met(demo_target):
    out = _cli("draw", "--db", demo_target, "--margin", "0.01", "--per-region", "--strata", "region",
               "--response-rate", "0.3")  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "cannot be met" in out.output


def test_cli_draw_minimum_defaults_to_two_and_zero_warns(demo_target):
    out = _cli("draw", "--db", demo_target, "--size", "20")
    assert out.exit_code != 0 and "minimum=2" in out.output
    out = _cli("draw", "--db", demo_target, "--size", "20", "--minimum", "0")
    assert out.exit_code == 0, out.output
    assert "fewer than 2" in out.output


def test_cli_draw_cost_optimal_says_where_the_sds_come_from(demo_target):
    out = _cli("draw", "--db", demo_target, "--size", "300", "--strata", "region", "--allocation", "optimal",
               "--cost", "福州=4")  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "S_h from round 1" in out.output
    rid = int(out.output.strip().splitlines()[-1])
    design = get_round(open_db(demo_target), rid)["design"]
    assert design["cost"]["福州"] == 4.0 and design["cost"]["厦门"] == 1.0
