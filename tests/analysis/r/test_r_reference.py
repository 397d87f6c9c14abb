"""Checks of the R reference itself: the design files, the textbook answers, and that reference.R is current.

These tests do not import the code under test; they make sure the numbers the comparison tests rely on are
what they claim to be.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

R_DIR = Path(__file__).resolve().parent
DESIGN_NAMES = ["unequal", "singleton", "extreme", "textbook"]
COLUMNS = ["stratum", "N_h", "w", "region", "ctype", "y", "top2", "channel"]


def load_design(name: str) -> pd.DataFrame:
    return pd.read_csv(R_DIR / "designs" / f"{name}.csv")


def load_expected(name: str) -> dict:
    return json.loads((R_DIR / f"expected_{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", DESIGN_NAMES)
def test_design_weights_are_population_over_respondents(name: str) -> None:
    data = load_design(name)
    assert list(data.columns) == COLUMNS
    respondents = data.groupby("stratum")["stratum"].transform("size")
    np.testing.assert_allclose(data["w"], data["N_h"] / respondents, rtol=1e-15)
    assert (data.groupby("stratum")["N_h"].nunique() == 1).all()
    assert (data["N_h"] >= respondents).all()
    assert set(data["top2"].dropna().unique()) <= {0.0, 1.0}


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("unequal", lambda sizes, pops, w: pops.min() == 50 and pops.max() == 20_000),
        ("unequal", lambda sizes, pops, w: sizes.min() == 2 and sizes.max() == 80),
        ("singleton", lambda sizes, pops, w: (sizes == 1).sum() == 1),
        ("extreme", lambda sizes, pops, w: w.min() == 1 and w.max() == 5_000),
    ],
    ids=["unequal-N_h", "unequal-n_h", "singleton-one-respondent", "extreme-weights"],
)
def test_designs_cover_the_hard_cases(name: str, check) -> None:
    data = load_design(name)
    by_stratum = data.groupby("stratum")
    assert check(by_stratum.size(), by_stratum["N_h"].first(), data["w"])


@pytest.mark.parametrize("name", ["unequal", "singleton", "extreme"])
def test_generated_designs_have_missing_answers(name: str) -> None:
    data = load_design(name)
    assert data["y"].isna().any()
    assert data["top2"].isna().any()
    assert data["y"].dropna().between(1, 5).all()


def test_textbook_reference_matches_published_answers() -> None:
    # Scheaffer, Mendenhall & Ott, Elementary Survey Sampling (5th ed., 1996), ch. 5, television viewing:
    # y_st = 27.7 hours, estimated V(y_st) = 1.97, bound on the error 2 * sqrt(1.97) = 2.8 hours.
    row = load_expected("textbook")["mean"]["overall"]["rows"][0]
    assert round(row["estimate"], 1) == 27.7
    assert round(row["se"] ** 2, 2) == 1.97
    assert round(2 * row["se"], 1) == 2.8


def test_textbook_reference_matches_hand_formula() -> None:
    # Stratified mean and variance (Cochran 1977, eq. 5.1 and 5.7; Lohr 2019, eq. 3.2 and 3.6):
    #   y_st = sum_h W_h ybar_h,  V(y_st) = sum_h W_h^2 (1 - n_h/N_h) s_h^2 / n_h,  W_h = N_h / N.
    data = load_design("textbook")
    groups = data.groupby("stratum")
    population = groups["N_h"].first()
    sizes = groups.size()
    shares = population / population.sum()
    mean = float((shares * groups["y"].mean()).sum())
    variance = float((shares**2 * (1 - sizes / population) * groups["y"].var(ddof=1) / sizes).sum())
    assert mean == pytest.approx(8579.25 / 310, rel=1e-14)
    row = load_expected("textbook")["mean"]["overall"]["rows"][0]
    assert row["estimate"] == pytest.approx(mean, rel=1e-12)
    assert row["se"] == pytest.approx(math.sqrt(variance), rel=1e-12)
    z = 1.959963984540054
    assert row["ci_low"] == pytest.approx(mean - z * math.sqrt(variance), rel=1e-12)
    # per stratum (Town B): a region that is a whole stratum is an ordinary stratum mean with its own fpc
    town_b = next(r for r in load_expected("textbook")["mean"]["by_region"]["rows"] if r["region"] == "TownB")
    hours = data.loc[data["stratum"] == "TownB", "y"]
    assert town_b["estimate"] == pytest.approx(201 / 8, rel=1e-14)
    assert town_b["se"] == pytest.approx(math.sqrt((1 - 8 / 62) * hours.var(ddof=1) / 8), rel=1e-12)


def _assert_same_json(expected: object, actual: object, where: str = "$") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and expected.keys() == actual.keys(), where
        for key, value in expected.items():
            if key not in {"r_version", "survey_version"}:
                _assert_same_json(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(expected) == len(actual), where
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            _assert_same_json(left, right, f"{where}[{index}]")
    elif isinstance(expected, float | int) and not isinstance(expected, bool):
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-14), where
    else:
        assert expected == actual, where


@pytest.mark.r
def test_r_reference_is_current(tmp_path: Path) -> None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("Rscript is not installed (apt-get install r-base-core r-cran-survey); using stored JSON")
    completed = subprocess.run(
        [rscript, str(R_DIR / "reference.R"), str(R_DIR / "designs"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    for name in DESIGN_NAMES:
        fresh = json.loads((tmp_path / f"expected_{name}.json").read_text(encoding="utf-8"))
        _assert_same_json(load_expected(name), fresh)


V2_NAMES = ("nested", "crossed", "crossed_type", "tiny", "poststrat")


@pytest.mark.r
def test_r_reference_v2_is_current(tmp_path: Path) -> None:
    """reference_v2.R (pairwise contrasts, domains, degenerate svyciprop, postStratify) still prints the stored JSON."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("Rscript is not installed (apt-get install r-base-core r-cran-survey); using stored JSON")
    completed = subprocess.run(
        [rscript, str(R_DIR / "reference_v2.R"), str(R_DIR / "designs_v2"), str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    for name in V2_NAMES:
        stored = json.loads((R_DIR / f"expected_v2_{name}.json").read_text(encoding="utf-8"))
        fresh = json.loads((tmp_path / f"expected_v2_{name}.json").read_text(encoding="utf-8"))
        _assert_same_json(stored, fresh)
