"""Tests for sampling.size.

Hand arithmetic used below (z_{0.975} = 1.959964, z² = 3.841459; z_{0.95} = 1.644854, z² = 2.705543;
z_{0.995} = 2.575829, z² = 6.634897; table values of the standard normal):

    n0(e=0.05, p=0.5)  = 3.841459 · 0.25 / 0.0025 = 384.146       → 385
    n0(e=0.03, p=0.5)  = 3.841459 · 0.25 / 0.0009 = 1067.07       → 1068
    n0(e=0.05, p=0.2)  = 3.841459 · 0.16 / 0.0025 = 245.85        → 246
    90 %:  2.705543 · 0.25 / 0.0025 = 270.55                      → 271
    99 %:  6.634897 · 0.25 / 0.0025 = 663.49                      → 664
    deff 1.5:  1.5 · 384.146 = 576.22                             → 577
    fpc:  n = n0 / (1 + (n0 − 1)/N)
        N = 10 000:  384.146 / 1.0383146 = 369.97                 → 370
        N = 1 000:   384.146 / 1.383146  = 277.73                 → 278  (the usual table value)
        N = 500:     384.146 / 1.766292  = 217.49                 → 218
        N = 200:     384.146 / 2.915730  = 131.75                 → 132
        N = 100:     384.146 / 4.831459  = 79.51                  → 80
        N = 30:      384.146 / 13.77153  = 27.89                  → 28
    response rate 0.5 (after the fpc):  384.146 / 0.5 = 768.29     → 769
        with N = 10 000:  369.97 / 0.5 = 739.94                   → 740
        with N = 100:     79.51 / 0.5 = 159.02 → 160, capped at N → 100
        with N = 30:      27.89 / 0.5 = 55.79 → 56, capped at N   → 30
"""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sampling.size import expected_margin, sample_size_by_domain, sample_size_proportion


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # the three examples required by issue 3
        ({"margin": 0.05}, 385),
        ({"margin": 0.05, "population": 10_000}, 370),
        ({"margin": 0.05, "response_rate": 0.5}, 769),
        # hand-computed, see module docstring
        ({"margin": 0.03}, 1068),
        ({"margin": 0.05, "p": 0.2}, 246),
        ({"margin": 0.05, "p": 0.8}, 246),
        ({"margin": 0.05, "confidence": 0.90}, 271),
        ({"margin": 0.05, "confidence": 0.99}, 664),
        ({"margin": 0.05, "deff": 1.5}, 577),
        ({"margin": 0.05, "population": 1_000}, 278),
        ({"margin": 0.05, "population": 500}, 218),
        ({"margin": 0.05, "population": 10_000, "response_rate": 0.5}, 740),
        ({"margin": 0.05, "population": 100, "response_rate": 0.5}, 100),
        ({"margin": 0.05, "population": 1}, 1),
        # p = 0 means no variance: still at least one complete
        ({"margin": 0.05, "p": 0.0}, 1),
    ],
)
def test_sample_size_proportion_examples(kwargs, expected):
    assert sample_size_proportion(**kwargs) == expected


def test_sample_size_rounds_up_through_float_noise():
    # deff chosen so that deff·z²·0.25/0.05² is 123 exactly in real arithmetic; in floats the product comes
    # out as 123.00000000000001 and a bare ceil would say 124.
    z = NormalDist().inv_cdf(0.975)
    deff = 123 * 0.05**2 / (z * z * 0.25)
    assert sample_size_proportion(0.05, deff=deff) == 123


def test_sample_size_by_domain_sizes_each_domain_separately():
    populations = {"north": 10_000, "south": 200, "tiny": 30, "empty": 0}
    assert sample_size_by_domain(populations, 0.05) == {"north": 370, "south": 132, "tiny": 28, "empty": 0}
    # response rate 0.5: 739.94 → 740, 131.75/0.5 = 263.5 → 264 capped at 200, 55.79 → 56 capped at 30
    assert sample_size_by_domain(populations, 0.05, response_rate=0.5) == {
        "north": 740,
        "south": 200,
        "tiny": 30,
        "empty": 0,
    }
    assert list(sample_size_by_domain(populations, 0.05)) == list(populations)
    assert sample_size_by_domain({}, 0.05) == {}


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # 1.959964 · sqrt(0.25 / 385) = 1.959964 · 0.0254824 = 0.0499445
        ({"n": 385}, 0.0499445),
        # 1.959964 · sqrt(0.25/370 · (10000 − 370)/9999) = 1.959964 · sqrt(0.000650740) = 0.0499979
        ({"n": 370, "population": 10_000}, 0.0499979),
        # 1.959964 · sqrt(0.16 / 100) = 1.959964 · 0.04 = 0.0783986
        ({"n": 100, "p": 0.2}, 0.0783986),
        # 2.575829 · sqrt(2 · 0.25 / 400) = 2.575829 · 0.0353553 = 0.0910696
        ({"n": 400, "confidence": 0.99, "deff": 2.0}, 0.0910696),
        # census: no sampling error
        ({"n": 50, "population": 50}, 0.0),
        ({"n": 1, "population": 1}, 0.0),
    ],
)
def test_expected_margin_examples(kwargs, expected):
    assert expected_margin(**kwargs) == pytest.approx(expected, abs=5e-7)


@given(
    margin=st.floats(0.01, 0.3),
    population=st.none() | st.integers(1, 100_000),
    p=st.floats(0.05, 0.95),
    deff=st.floats(0.5, 3.0),
)
def test_expected_margin_inverts_sample_size(margin, population, p, deff):
    # With response_rate 1 the sample size is the smallest n whose margin is at most the target.
    n = sample_size_proportion(margin, p=p, population=population, deff=deff)
    assert expected_margin(n, p=p, population=population, deff=deff) <= margin * (1 + 1e-9)
    if n > 1:
        assert expected_margin(n - 1, p=p, population=population, deff=deff) > margin * (1 - 1e-9)


@given(margin=st.floats(0.01, 0.3), population=st.integers(1, 100_000), rate=st.floats(0.05, 1.0))
def test_sample_size_never_exceeds_population(margin, population, rate):
    assert 1 <= sample_size_proportion(margin, population=population, response_rate=rate) <= population


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"margin": 0}, ValueError, "margin must be in (0, 1), but got 0"),
        ({"margin": 1}, ValueError, "margin must be in (0, 1)"),
        ({"margin": -0.05}, ValueError, "margin must be in (0, 1)"),
        ({"margin": math.nan}, ValueError, "margin must not be nan"),
        ({"margin": "0.05"}, TypeError, "margin must be a real number"),
        ({"margin": 0.05, "confidence": 1.0}, ValueError, "confidence must be in (0, 1)"),
        ({"margin": 0.05, "confidence": 95}, ValueError, "confidence must be in (0, 1), but got 95"),
        ({"margin": 0.05, "p": 1.5}, ValueError, "p must be in [0, 1]"),
        ({"margin": 0.05, "p": -0.1}, ValueError, "p must be in [0, 1]"),
        ({"margin": 0.05, "population": 0}, ValueError, "population must be a positive integer"),
        ({"margin": 0.05, "population": 100.0}, TypeError, "population must be a positive integer"),
        ({"margin": 0.05, "population": True}, TypeError, "population must be a positive integer"),
        ({"margin": 0.05, "deff": 0}, ValueError, "deff must be a finite number > 0"),
        ({"margin": 0.05, "deff": math.inf}, ValueError, "deff must be a finite number > 0"),
        ({"margin": 0.05, "response_rate": 0}, ValueError, "response_rate must be in (0, 1]"),
        ({"margin": 0.05, "response_rate": 1.2}, ValueError, "response_rate must be in (0, 1]"),
    ],
)
def test_sample_size_proportion_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error) as info:
        sample_size_proportion(**kwargs)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("populations", "kwargs", "error", "message"),
    [
        ([("a", 10)], {}, TypeError, "populations must be a mapping"),
        ({"a": -1}, {}, ValueError, "populations['a'] must be >= 0, but got -1"),
        ({"a": 10.5}, {}, TypeError, "populations['a'] must be an integer"),
        ({"a": 0}, {"margin": 2}, ValueError, "margin must be in (0, 1)"),
        ({"a": 10}, {"response_rate": 0}, ValueError, "response_rate must be in (0, 1]"),
    ],
)
def test_sample_size_by_domain_rejects_bad_arguments(populations, kwargs, error, message):
    kwargs = {"margin": 0.05} | kwargs
    with pytest.raises(error) as info:
        sample_size_by_domain(populations, **kwargs)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n": 0}, ValueError, "n must be a positive integer, but got 0"),
        ({"n": 10.0}, TypeError, "n must be a positive integer"),
        ({"n": 11, "population": 10}, ValueError, "n must not exceed population (10), but got 11"),
        ({"n": 10, "confidence": 0}, ValueError, "confidence must be in (0, 1)"),
        ({"n": 10, "p": 2}, ValueError, "p must be in [0, 1]"),
        ({"n": 10, "deff": -1}, ValueError, "deff must be a finite number > 0"),
    ],
)
def test_expected_margin_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error) as info:
        expected_margin(**kwargs)
    assert message in str(info.value)


# ---------------------------------------------------------------- issue 10 item 12: the margin is met

from sampling.allocation import allocate  # noqa: E402
from sampling.size import size_for_margin, stratified_margin  # noqa: E402

Z = NormalDist().inv_cdf(0.975)
#: Unequal strata like a utility's customer types (residential ≫ small business ≫ large industry).
UNEQUAL = {"big": 40_000, "mid": 8_000, "small": 1_500, "tiny": 500}


def _cochran_5_25(populations: dict, shares: dict, margin: float, p: float = 0.5) -> float:
    """Cochran (1977) eq. 5.25 (§5.9): n = Σ W_h² S_h²/w_h / (V + Σ W_h S_h²/N) for n_h = w_h·n, V = (e/z)²,
    with S_h² = N_h·p(1 − p)/(N_h − 1) — the textbook formula, written out independently of sampling.size."""
    N = sum(populations.values())
    W = {h: n / N for h, n in populations.items()}
    S2 = {h: n * p * (1 - p) / (n - 1) for h, n in populations.items()}
    V = (margin / Z) ** 2
    return sum(W[h] ** 2 * S2[h] / shares[h] for h in populations) / (V + sum(W[h] * S2[h] for h in W) / N)


def _planned(populations, n, method, **kwargs):
    sizes = allocate(populations, n, method, **kwargs)
    return stratified_margin(populations, sizes)


@pytest.mark.parametrize("method", ["equal", "proportional"])
def test_size_for_margin_meets_the_target_under_the_allocation(method):
    result = size_for_margin(UNEQUAL, 0.05, allocation=method)
    assert result.met and result.margin <= 0.05
    assert result.sizes == allocate(UNEQUAL, result.total, method)
    # the smallest such n: one fewer misses the target
    assert _planned(UNEQUAL, result.total - 1, method) > 0.05
    shares = {h: 1 / len(UNEQUAL) for h in UNEQUAL} if method == "equal" else {
        h: n / sum(UNEQUAL.values()) for h, n in UNEQUAL.items()}  # fmt: skip
    assert abs(result.total - _cochran_5_25(UNEQUAL, shares, 0.05)) <= 2


def test_sizing_by_cochran_alone_misses_the_target_under_equal_allocation():
    # What the issue saw: Cochran's n for ±5% (§4.4) allocated equally achieves a much wider margin.
    n = sample_size_proportion(0.05, population=sum(UNEQUAL.values()))
    assert n == 382 and _planned(UNEQUAL, n, "equal") > 0.08
    assert size_for_margin(UNEQUAL, 0.05, allocation="equal").total > 2 * n


def test_size_for_margin_counts_the_response_rate():
    full = size_for_margin({"a": 10_000}, 0.05)
    half = size_for_margin({"a": 10_000}, 0.05, response_rate=0.5)
    assert full.total == 370  # Cochran §4.4 with fpc, see the module docstring
    assert half.met and half.total in (739, 740)
    assert stratified_margin({"a": 10_000}, {"a": half.total * 0.5}) <= 0.05


def test_size_for_margin_says_when_the_frame_is_too_small():
    # Everyone issued, half respond: completes 50 and 25 → the margin stays above ±2%.
    result = size_for_margin({"a": 100, "b": 50}, 0.02, response_rate=0.5)
    assert not result.met and result.sizes == {"a": 100, "b": 50}
    assert result.margin == pytest.approx(stratified_margin({"a": 100, "b": 50}, {"a": 50, "b": 25}))
    assert result.margin > 0.02 and result.target == 0.02


def test_size_for_margin_keeps_the_minimum():
    result = size_for_margin({"big": 49_000, "tiny": 40, "mid": 960}, 0.05)
    assert result.sizes["tiny"] >= 2 and result.margin <= 0.05


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"margin": 0}, ValueError, "margin must be in (0, 1), but got 0"),
        ({"margin": 0.05, "response_rate": 0}, ValueError, "response_rate must be in (0, 1], but got 0"),
        ({"margin": 0.05, "allocation": "magic"}, ValueError, "method must be one of"),
    ],
)
def test_size_for_margin_rejects_bad_arguments(kwargs, error, message):
    margin = kwargs.pop("margin")
    with pytest.raises(error) as info:
        size_for_margin(UNEQUAL, margin, **kwargs)
    assert message in str(info.value)
