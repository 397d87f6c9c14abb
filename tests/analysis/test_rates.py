"""Tests for analysis.rates against hand-computed AAPOR (2023, Standard Definitions 10th ed.) rates.

Case A: I=40, P=10, R=20, NC=20, O=10, UH=30, UO=70, NE=25
    RR1   = 40 / ((40+10) + (20+20+10) + (30+70))   = 40/200      = 0.2
    e     = (40+10+20+20+10) / (100 + 25)            = 100/125     = 0.8
    RR3   = 40 / (50 + 50 + 0.8·100)                 = 40/180      = 0.222222…
    COOP1 = 40 / ((40+10) + 20 + 10)                 = 40/80       = 0.5
    REF1  = 20 / 200                                               = 0.1
    CON1  = (50 + 20 + 10) / (80 + 20 + 100)         = 80/200      = 0.4

Case B (from disposition codes): complete×3, partial×1, refusal×2, break_off×1, non_contact×2, callback×1,
other×1, busy×1, no_answer×1, issued×2, not_issued×1, no_answer_yet×1, wrong_number×2, not_eligible×1
    → I=3, P=1, R=3, NC=3, O=1, UH=2, UO=4, NE=3
    RR1   = 3 / (4 + 7 + 6)                          = 3/17        = 0.176470…
    e     = 11 / 14                                               = 0.785714…
    RR3   = 3 / (11 + 6·11/14) = 3·14 / (154 + 66)   = 42/220      = 0.190909…
    COOP1 = 3 / (4 + 3 + 1)                          = 3/8         = 0.375
    REF1  = 3 / 17                                                 = 0.176470…
    CON1  = (4 + 3 + 1) / (8 + 3 + 6)                = 8/17        = 0.470588…
"""

from __future__ import annotations

import math

import pytest

from analysis.rates import (
    DISPOSITION_CLASS,
    DispositionCounts,
    OutcomeRates,
    con1,
    coop1,
    estimate_e,
    outcome_rates,
    ref1,
    rr1,
    rr3,
)

CASE_A = DispositionCounts(I=40, P=10, R=20, NC=20, O=10, UH=30, UO=70, NE=25)
CASE_B_CODES = (
    ["complete"] * 3
    + ["partial"]
    + ["refusal"] * 2
    + ["break_off"]
    + ["non_contact"] * 2
    + ["callback"]
    + ["other"]
    + ["busy", "no_answer"]
    + ["issued"] * 2
    + ["not_issued", "no_answer_yet"]
    + ["wrong_number"] * 2
    + ["not_eligible"]
)
CASE_B = DispositionCounts(I=3, P=1, R=3, NC=3, O=1, UH=2, UO=4, NE=3)
NAN = math.nan


def test_from_dispositions_maps_codes_to_aapor_classes():
    assert DispositionCounts.from_dispositions(CASE_B_CODES) == CASE_B
    assert DispositionCounts.from_dispositions(iter([])) == DispositionCounts()


@pytest.mark.parametrize(
    ("code", "aapor_class"),
    [
        ("complete", "I"),
        ("partial", "P"),
        ("refusal", "R"),
        ("break_off", "R"),
        ("non_contact", "NC"),
        ("callback", "NC"),
        ("other", "O"),
        ("busy", "UH"),
        ("no_answer", "UH"),
        ("not_issued", "UO"),
        ("issued", "UO"),
        ("no_answer_yet", "UO"),
        ("wrong_number", "NE"),
        ("not_eligible", "NE"),
    ],
)
def test_each_code_counts_in_its_class(code, aapor_class):
    assert DISPOSITION_CLASS[code] == aapor_class
    assert DispositionCounts.from_dispositions([code, code]) == DispositionCounts(**{aapor_class: 2})


@pytest.mark.parametrize(
    ("counts", "e", "expected"),
    [
        pytest.param(CASE_A, None, OutcomeRates(0.2, 40 / 180, 0.5, 0.1, 0.4, 0.8), id="case-A"),
        pytest.param(
            CASE_B, None, OutcomeRates(3 / 17, 42 / 220, 0.375, 3 / 17, 8 / 17, 11 / 14), id="case-B"
        ),
        # e = 1: RR3 = RR1; e = 0: RR3 = 40 / (50 + 50) = 0.4
        pytest.param(CASE_A, 1.0, OutcomeRates(0.2, 0.2, 0.5, 0.1, 0.4, 1.0), id="e-one"),
        pytest.param(CASE_A, 0.0, OutcomeRates(0.2, 0.4, 0.5, 0.1, 0.4, 0.0), id="e-zero"),
        # only completes: everything is 1 (refusal 0)
        pytest.param(
            DispositionCounts(I=7), None, OutcomeRates(1.0, 1.0, 1.0, 0.0, 1.0, 1.0), id="all-complete"
        ),
        # nothing at all: every denominator is 0
        pytest.param(DispositionCounts(), None, OutcomeRates(NAN, NAN, NAN, NAN, NAN, NAN), id="empty"),
        # only ineligible units: no eligible or unknown case; e = 0/3 = 0
        pytest.param(DispositionCounts(NE=3), None, OutcomeRates(NAN, NAN, NAN, NAN, NAN, 0.0), id="only-NE"),
        # only issued, no outcome yet: RR1 = 0/5, COOP1 = 0/0, REF1 = 0/5, CON1 = 0/5; e unknown → RR3 nan
        pytest.param(DispositionCounts(UO=5), None, OutcomeRates(0.0, NAN, NAN, 0.0, 0.0, NAN), id="only-UO"),
        # ...unless e is given: RR3 = 0 / (0.5·5) = 0
        pytest.param(
            DispositionCounts(UO=5), 0.5, OutcomeRates(0.0, 0.0, NAN, 0.0, 0.0, 0.5), id="only-UO-e"
        ),
        # non-contacts only: RR1 = 0/4, COOP1 = 0/0, CON1 = 0/4
        pytest.param(DispositionCounts(NC=4), None, OutcomeRates(0.0, 0.0, NAN, 0.0, 0.0, 1.0), id="only-NC"),
    ],
)
def test_outcome_rates(counts, e, expected):
    result = outcome_rates(counts, e)
    for name in ("rr1", "rr3", "coop1", "ref1", "con1", "e"):
        got, want = getattr(result, name), getattr(expected, name)
        if math.isnan(want):
            assert math.isnan(got), name
        else:
            assert got == pytest.approx(want, rel=1e-12), name


@pytest.mark.parametrize(
    ("function", "expected"),
    [(rr1, 0.2), (coop1, 0.5), (ref1, 0.1), (con1, 0.4), (estimate_e, 0.8)],
)
def test_single_rate_functions(function, expected):
    assert function(CASE_A) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("e", "expected"),
    [
        (0.8, 40 / 180),  # 40 / (100 + 80)
        (0.5, 40 / 150),  # 40 / (100 + 50)
        (0.25, 40 / 125),  # 40 / (100 + 25)
    ],
)
def test_rr3(e, expected):
    assert rr3(CASE_A, e) == pytest.approx(expected)


def test_rr3_ignores_nan_e_without_unknown_cases():
    # I=2, R=2 and no unknowns: RR3 = 2 / 4 whatever e is
    assert rr3(DispositionCounts(I=2, R=2), math.nan) == 0.5


def test_counts_add_over_strata():
    assert CASE_A + CASE_B == DispositionCounts(I=43, P=11, R=23, NC=23, O=11, UH=32, UO=74, NE=28)


def test_results_are_frozen():
    with pytest.raises(AttributeError):
        CASE_A.I = 1
    with pytest.raises(AttributeError):
        outcome_rates(CASE_A).rr1 = 1.0


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: DispositionCounts(I=-1), ValueError, "I must be >= 0, but got -1"),
        (lambda: DispositionCounts(NC=1.5), TypeError, "NC must be an integer, but got 1.5"),
        (lambda: DispositionCounts(R=True), TypeError, "R must be an integer"),
        (
            lambda: DispositionCounts.from_dispositions(["complete", "hung_up"]),
            ValueError,
            "unknown disposition code(s) hung_up",
        ),
        (lambda: rr1({"I": 1}), TypeError, "counts must be a DispositionCounts"),
        (lambda: rr3(CASE_A, 1.5), ValueError, "e must be in [0, 1], but got 1.5"),
        (lambda: rr3(CASE_A, -0.1), ValueError, "e must be in [0, 1]"),
        (lambda: rr3(CASE_A, "0.5"), TypeError, "e must be a real number"),
        (lambda: outcome_rates(CASE_A, e=2), ValueError, "e must be in [0, 1], but got 2"),
    ],
)
def test_rejects_bad_input(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)
