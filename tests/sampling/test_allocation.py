"""Tests for sampling.allocation.allocate.

The expected allocations are computed by hand in the comment above each case: continuous shares
n·w_h/Σw (Cochran 1977, §5.5; Bankier 1988), take-all strata fixed at N_h with the rest shared again, then
largest remainders (ties to the earlier stratum).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sampling.allocation import allocate

EXAMPLES = [
    pytest.param(
        # N = 2800, n = 100: quotas 42.857, 28.571, 17.857, 10.714 → floors 42, 28, 17, 10 (97);
        # 3 more to the largest remainders A (.857), C (.857, after A), D (.714).
        {"A": 1200, "B": 800, "C": 500, "D": 300},
        100,
        "proportional",
        {},
        {"A": 43, "B": 28, "C": 18, "D": 11},
        id="proportional-largest-remainder",
    ),
    pytest.param(
        # N·S = 400·2, 300·6, 300·10 = 800, 1800, 3000 (Σ 5600); n = 56 → 8, 18, 30 exactly.
        {1: 400, 2: 300, 3: 300},
        56,
        "neyman",
        {"sd": {1: 2.0, 2: 6.0, 3: 10.0}},
        {1: 8, 2: 18, 3: 30},
        id="neyman-exact",
    ),
    pytest.param(
        # N·S = 500, 100, 100 (Σ 700); n = 70 → 50, 10, 10, but N_a = 10: take a whole (10) and share
        # the other 60 by N·S = 100 : 100 → 30, 30 (Cochran 1977, §5.8).
        {"a": 10, "b": 100, "c": 100},
        70,
        "neyman",
        {"sd": {"a": 50, "b": 1, "c": 1}},
        {"a": 10, "b": 30, "c": 30},
        id="neyman-take-all",
    ),
    pytest.param(
        # N·S/√c = 1000·10/1, 1000·10/2 = 10000, 5000; n = 30 → 20, 10.
        {"a": 1000, "b": 1000},
        30,
        "optimal",
        {"sd": {"a": 10, "b": 10}, "cost": {"a": 1, "b": 4}},
        {"a": 20, "b": 10},
        id="optimal-cost",
    ),
    pytest.param(
        # N^0.5 = 10, 20, 40 (Σ 70); n = 35 → 5, 10, 20.
        {"a": 100, "b": 400, "c": 1600},
        35,
        "power",
        {"power": 0.5},
        {"a": 5, "b": 10, "c": 20},
        id="power-half",
    ),
    pytest.param(
        # N^0 = 1, 1, 1; n = 36 → 12 each (equal).
        {"a": 100, "b": 400, "c": 1600},
        36,
        "power",
        {"power": 0},
        {"a": 12, "b": 12, "c": 12},
        id="power-zero-is-equal",
    ),
    pytest.param(
        # N^1 = 100, 400, 1600 (Σ 2100); n = 42 → 2, 8, 32 (proportional).
        {"a": 100, "b": 400, "c": 1600},
        42,
        "power",
        {"power": 1},
        {"a": 2, "b": 8, "c": 32},
        id="power-one-is-proportional",
    ),
    pytest.param(
        # N^0.5·S = 10·4, 20·2, 40·1 = 40, 40, 40; n = 30 → 10 each.
        {"a": 100, "b": 400, "c": 1600},
        30,
        "power",
        {"power": 0.5, "sd": {"a": 4, "b": 2, "c": 1}},
        {"a": 10, "b": 10, "c": 10},
        id="power-with-sd",
    ),
    pytest.param(
        # equal: 11/3 = 3.67 each, but N_b = 2 → b = 2; the other 9 → 4.5, 4.5 → 4, 4 + tie to a (first).
        {"a": 1000, "b": 2, "c": 1000},
        11,
        "equal",
        {},
        {"a": 5, "b": 2, "c": 4},
        id="equal-take-all-tie",
    ),
    pytest.param(
        # quotas 100·(1000, 1000, 20)/2020 = 49.5, 49.5, 0.99; c is raised to minimum 10, the other 90 → 45, 45.
        {"a": 1000, "b": 1000, "c": 20},
        100,
        "proportional",
        {"minimum": 10},
        {"a": 45, "b": 45, "c": 10},
        id="minimum",
    ),
    pytest.param(
        # minimum 10 is capped at N_b = 5: b = 5 (its quota 20·5/1005 = 0.1 is below it), a = 15.
        {"a": 1000, "b": 5},
        20,
        "proportional",
        {"minimum": 10},
        {"a": 15, "b": 5},
        id="minimum-capped-at-N",
    ),
    pytest.param(
        # N·S = 10, 0, 0: a is taken whole (10); the remaining 30 have no positive weight left, so they
        # are shared proportionally to N: 100 : 50 → 20, 10.
        {"a": 10, "b": 100, "c": 50},
        40,
        "neyman",
        {"sd": {"a": 1, "b": 0, "c": 0}},
        {"a": 10, "b": 20, "c": 10},
        id="neyman-zero-sd-fallback",
    ),
    pytest.param(
        # N·S = 100, 0: all 10 go to a.
        {"a": 100, "b": 100},
        10,
        "neyman",
        {"sd": {"a": 1, "b": 0}, "minimum": 0},
        {"a": 10, "b": 0},
        id="neyman-zero-sd-gets-nothing",
    ),
    pytest.param(
        # empty strata get nothing, even with equal allocation or a minimum
        {"a": 0, "b": 10, "c": 10},
        6,
        "equal",
        {"minimum": 2},
        {"a": 0, "b": 3, "c": 3},
        id="empty-stratum",
    ),
    pytest.param(
        # three equal quotas 2/3: floors 0, two units to the first two strata in the mapping's order
        {"z": 1, "y": 1, "x": 1},
        2,
        "proportional",
        {"minimum": 0},
        {"z": 1, "y": 1, "x": 0},
        id="tie-break-by-order",
    ),
    pytest.param(
        {("north", "urban"): 30, ("north", "rural"): 10},
        40,
        "proportional",
        {},
        {("north", "urban"): 30, ("north", "rural"): 10},
        id="census-tuple-keys",
    ),
    pytest.param(
        {"a": 3, "b": 5}, 0, "neyman", {"sd": {"a": 1, "b": 1}, "minimum": 0}, {"a": 0, "b": 0}, id="n-zero"
    ),
]


@pytest.mark.parametrize(("population", "n", "method", "kwargs", "expected"), EXAMPLES)
def test_allocate_hand_computed(population, n, method, kwargs, expected):
    result = allocate(population, n, method, **kwargs)
    assert result == expected
    assert list(result) == list(population)
    assert all(type(v) is int for v in result.values())


def test_alabama_paradox_of_largest_remainder_rounding():
    # Hamilton rounding is not house-monotone (Balinski & Young 1982). N = (1, 3, 3), N = 7:
    # n = 3: quotas 0.43, 1.29, 1.29 → floors 0, 1, 1, one more to a (.43)        → (1, 1, 1)
    # n = 4: quotas 0.57, 1.71, 1.71 → floors 0, 1, 1, two more to b, c (.71, .71) → (0, 2, 2)
    population = {"a": 1, "b": 3, "c": 3}
    assert allocate(population, 3, minimum=0) == {"a": 1, "b": 1, "c": 1}
    assert allocate(population, 4, minimum=0) == {"a": 0, "b": 2, "c": 2}


def test_accepts_numpy_integers():
    population = {"a": np.int64(600), "b": np.int32(400)}
    assert allocate(population, np.int64(10)) == {"a": 6, "b": 4}


@pytest.mark.parametrize(
    ("population", "n", "method", "kwargs", "error", "message"),
    [
        (
            {"a": 10, "b": 5},
            16,
            "proportional",
            {},
            ValueError,
            "n must not exceed the total population (15), but got 16",
        ),
        ({"a": 10, "b": 5, "c": 1}, 10, "proportional", {"minimum": 5}, ValueError, "n must be at least 11"),
        ({"a": 10}, 5, "stratified", {}, ValueError, "method must be one of"),
        ({"a": 10}, -1, "proportional", {}, ValueError, "n must be >= 0, but got -1"),
        ({"a": 10}, 5.0, "proportional", {}, TypeError, "n must be an integer"),
        ({"a": 10}, 5, "proportional", {"minimum": -1}, ValueError, "minimum must be >= 0"),
        ({"a": -10}, 5, "proportional", {}, ValueError, "population['a'] must be >= 0, but got -10"),
        ({"a": 10.0}, 5, "proportional", {}, TypeError, "population['a'] must be an integer"),
        ([("a", 10)], 5, "proportional", {}, TypeError, "population must be a mapping"),
        ({"a": 10, "b": 10}, 5, "neyman", {}, ValueError, "method='neyman' needs sd"),
        ({"a": 10, "b": 10}, 5, "neyman", {"sd": {"a": 1}}, ValueError, "sd is missing stratum 'b'"),
        ({"a": 10}, 5, "neyman", {"sd": {"a": -1}}, ValueError, "sd['a'] must be a finite number >= 0"),
        ({"a": 10}, 5, "neyman", {"sd": {"a": math.nan}}, ValueError, "sd['a'] must be a finite number >= 0"),
        ({"a": 10}, 5, "neyman", {"sd": {"a": "1"}}, TypeError, "sd['a'] must be a real number"),
        ({"a": 10}, 5, "neyman", {"sd": [1]}, TypeError, "sd must be a mapping"),
        (
            {"a": 10},
            5,
            "optimal",
            {"sd": {"a": 1}, "cost": {"a": 0}},
            ValueError,
            "cost['a'] must be a finite number > 0",
        ),
        ({"a": 10}, 5, "power", {}, ValueError, "method='power' needs power"),
        ({"a": 10}, 5, "power", {"power": 1.5}, ValueError, "power must be in [0, 1], but got 1.5"),
        ({"a": 10}, 5, "power", {"power": "0.5"}, TypeError, "power must be a real number"),
        (
            {"a": 10},
            5,
            "proportional",
            {"power": 0.5},
            ValueError,
            "power is not used by method='proportional'",
        ),
        ({"a": 10}, 5, "equal", {"sd": {"a": 1}}, ValueError, "sd is not used by method='equal'"),
        ({"a": 10}, 5, "neyman", {"sd": {"a": 1}, "cost": {"a": 1}}, ValueError, "cost is not used"),
    ],
)
def test_allocate_rejects_bad_arguments(population, n, method, kwargs, error, message):
    with pytest.raises(error) as info:
        allocate(population, n, method, **kwargs)
    assert message in str(info.value)


# ---------------------------------------------------------------- properties

populations = st.lists(st.integers(0, 400), min_size=1, max_size=8).filter(lambda sizes: sum(sizes) > 0)


@st.composite
def designs(draw):
    """A random valid call: (population, n, method, kwargs, weights as the test computes them)."""
    sizes = draw(populations)
    population = {f"s{i}": size for i, size in enumerate(sizes)}
    method = draw(st.sampled_from(["proportional", "equal", "neyman", "power", "optimal"]))
    minimum = draw(st.integers(0, 5))
    kwargs: dict = {"minimum": minimum}
    sd = {h: draw(st.floats(0, 50)) for h in population}
    cost = {h: draw(st.floats(0.5, 20)) for h in population}
    if method == "proportional":
        weights = dict(population)
    elif method == "equal":
        weights = {h: 1.0 if size else 0.0 for h, size in population.items()}
    elif method == "neyman":
        kwargs["sd"] = sd
        weights = {h: population[h] * sd[h] for h in population}
    elif method == "power":
        q = draw(st.floats(0, 1))
        kwargs["power"] = q
        weights = {h: (population[h] ** q if population[h] else 0.0) for h in population}
    else:
        kwargs |= {"sd": sd, "cost": cost}
        weights = {h: population[h] * sd[h] / math.sqrt(cost[h]) for h in population}
    lowest = sum(min(minimum, size) for size in sizes)
    n = draw(st.integers(lowest, sum(sizes)))
    return population, n, method, kwargs, weights


@given(designs())
def test_allocation_sums_to_n_within_bounds(design):
    population, n, method, kwargs, _ = design
    result = allocate(population, n, method, **kwargs)
    assert sum(result.values()) == n
    for h, size in population.items():
        assert min(kwargs["minimum"], size) <= result[h] <= size


@given(designs())
def test_allocation_within_one_of_quota_when_no_bound_binds(design):
    population, n, method, kwargs, weights = design
    total_weight = sum(weights.values())
    assume(total_weight > 0)
    quotas = {h: n * w / total_weight for h, w in weights.items()}
    assume(all(min(kwargs["minimum"], population[h]) <= q <= population[h] for h, q in quotas.items()))
    result = allocate(population, n, method, **kwargs)
    for h, quota in quotas.items():
        assert abs(result[h] - quota) < 1 + 1e-9


@given(populations, st.data())
def test_proportional_within_one_of_exact_quota(sizes, data):
    population = dict(enumerate(sizes))
    total = sum(sizes)
    n = data.draw(st.integers(0, total))
    result = allocate(population, n, minimum=0)
    for h, size in population.items():
        # exact quota N_h·n/N, compared in integers: |n_h·N − N_h·n| < N
        assert abs(result[h] * total - size * n) < total


@given(designs())
def test_increasing_n_moves_each_stratum_by_at_most_one_down(design):
    # The continuous shares grow with n; largest-remainder rounding may still take one unit away from a
    # stratum when n grows (Alabama paradox, see test above), but never more.
    population, n, method, kwargs, _ = design
    assume(n < sum(population.values()))
    before = allocate(population, n, method, **kwargs)
    after = allocate(population, n + 1, method, **kwargs)
    assert all(after[h] >= before[h] - 1 for h in population)


@given(st.integers(0, 2000), st.integers(0, 2000), st.data())
def test_proportional_is_monotone_in_n_for_two_strata(size_a, size_b, data):
    # With two strata largest-remainder rounding is house-monotone: increasing n never decreases any n_h.
    assume(size_a + size_b > 0)
    n = data.draw(st.integers(0, size_a + size_b - 1))
    population = {"a": size_a, "b": size_b}
    before, after = allocate(population, n, minimum=0), allocate(population, n + 1, minimum=0)
    assert after["a"] >= before["a"] and after["b"] >= before["b"]


# ---------------------------------------------------------------- issue 10: minimum 2, optimal cost default


def test_no_stratum_is_left_empty_by_default():
    # Issue 10 item 13. Proportional quotas 400·(49000, 40, 960)/50000 = 392, 0.32, 7.68; the default minimum
    # of 2 lifts tiny to 2 and the other 398 are shared 49000 : 960 → 390.35, 7.65 → floors 390, 7 and the
    # largest remainder (.65) gives mid one more unit.
    assert allocate({"big": 49000, "tiny": 40, "mid": 960}, 400) == {"big": 390, "tiny": 2, "mid": 8}


def test_minimum_zero_is_still_allowed_explicitly():
    assert allocate({"big": 49000, "tiny": 40, "mid": 960}, 400, minimum=0) == {
        "big": 392,
        "tiny": 0,
        "mid": 8,
    }


def test_default_minimum_is_capped_at_small_strata():
    # a stratum of one customer can give only one; n = 1 + 2 = 3 is the smallest possible n here
    assert allocate({"one": 1, "many": 100}, 3) == {"one": 1, "many": 2}
    with pytest.raises(ValueError, match=r"n must be at least 3 \(minimum=2 in each of 2 strata"):
        allocate({"one": 1, "many": 100}, 2)


def test_optimal_without_cost_uses_equal_costs_and_equals_neyman():
    # Cochran (1977) eq. 5.24 with every c_h = 1 is eq. 5.26 (Neyman).
    population = {1: 1540, 2: 770, 3: 385}
    sd = {1: 2.6, 2: 3.0, 3: 3.3}
    assert allocate(population, 261, "optimal", sd=sd) == allocate(population, 261, "neyman", sd=sd)


def test_neyman_against_the_textbook_formula():
    # Cochran (1977) eq. 5.26, n_h = n·N_h·S_h / Σ N_i·S_i, for the three-stratum example
    # N = (1540, 770, 385), S = (2.6, 3.0, 3.3), n = 261 (the example of sampleone's estr_alocacao_neyman):
    # N·S = 4004, 2310, 1270.5 (Σ 7584.5) → 137.79, 79.49, 43.72 → floors 137, 79, 43 (259), +1 to .79 and .72.
    result = allocate({1: 1540, 2: 770, 3: 385}, 261, "neyman", sd={1: 2.6, 2: 3.0, 3: 3.3})
    assert result == {1: 138, 2: 79, 3: 44}
    # Cochran (1977) §5.5, the 64 cities (1930 populations, thousands): stratum 1 = the 16 largest cities,
    # S_1² = 53,843; stratum 2 = the other 48, S_2² = 5,581; n = 24. N·S = 16·232.04 = 3712.7 and
    # 48·74.71 = 3585.9 → 12.21, 11.79 → the textbook's optimum allocation 12 and 12.
    cities = allocate({1: 16, 2: 48}, 24, "neyman", sd={1: 53_843**0.5, 2: 5_581**0.5})
    assert cities == {1: 12, 2: 12}


def test_cost_optimal_against_the_textbook_formula():
    # Cochran (1977) eq. 5.24, n_h ∝ N_h·S_h/√c_h, on the hospital frame of Valliant, Dever & Kreuter (2018)
    # (PracTools' strAlloc example): N_h, S_h and c_h below; n = 100. Continuous shares computed here from
    # the formula, not by allocate; each rounded n_h is within one unit of its share and they sum to 100.
    N = [215, 65, 252, 50, 149, 144]
    S = [26787207, 10645109, 6909676, 11085034, 9817762, 44553355]
    c = [1400, 200, 300, 600, 450, 1000]
    w = [n * s / math.sqrt(ch) for n, s, ch in zip(N, S, c, strict=True)]
    shares = [100 * x / sum(w) for x in w]
    result = allocate(dict(enumerate(N)), 100, "optimal", sd=dict(enumerate(S)), cost=dict(enumerate(c)))
    assert sum(result.values()) == 100
    assert all(abs(result[h] - shares[h]) < 1 for h in range(6))
    assert [round(x, 2) for x in shares] == [25.75, 8.18, 16.82, 3.78, 11.53, 33.94]
