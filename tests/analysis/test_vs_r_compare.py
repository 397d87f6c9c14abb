"""rao_scott_chisq against R's svychisq(statistic = "F") (stored numbers, so R is not needed to run).

Expected numbers: tests/analysis/r/expected_<design>.json, written by tests/analysis/r/reference.R
(R 4.2.2, survey 4.1.1; see tests/analysis/r/README.md).  Every design is read in R as::

    options(survey.lonely.psu = "adjust")
    d <- read.csv(path, stringsAsFactors = FALSE)
    des <- svydesign(ids = ~1, strata = ~stratum, weights = ~w, fpc = ~N_h, data = d)
    des_nofpc <- svydesign(ids = ~1, strata = ~stratum, weights = ~w, data = d)

The second-order Rao-Scott F statistic (Rao & Scott 1984) with its Satterthwaite degrees of freedom
``ndf`` / ``ddf`` must agree within 1e-4 (issue 5).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.compare import rao_scott_chisq

R_DIR = Path(__file__).resolve().parent / "r"
DESIGN_NAMES = ["unequal", "singleton", "extreme", "textbook"]
REL = 1e-4

CHISQ_CASES = [
    # svychisq(~region + channel, des, statistic = "F")
    pytest.param("region_channel", "region", "channel", "N_h", id="region_channel"),
    # svychisq(~region + channel, des_nofpc, statistic = "F")
    pytest.param("region_channel_nofpc", "region", "channel", None, id="region_channel_nofpc"),
    # svychisq(~region + top2, des, statistic = "F")
    # (na.rm = TRUE: rows with a missing top2 leave the table, but ddf is #PSUs - #strata of the full design)
    pytest.param("region_top2", "region", "top2", "N_h", id="region_top2"),
    # svychisq(~ctype + top2, des, statistic = "F")      (a 2 x 2 table: ndf = 1)
    pytest.param("ctype_top2", "ctype", "top2", "N_h", id="ctype_top2"),
]


def load_design(name: str) -> pd.DataFrame:
    return pd.read_csv(R_DIR / "designs" / f"{name}.csv")


def load_expected(name: str) -> dict:
    return json.loads((R_DIR / f"expected_{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", DESIGN_NAMES)
@pytest.mark.parametrize(("statistic", "row", "col", "fpc"), CHISQ_CASES)
def test_rao_scott_equals_svychisq(name: str, statistic: str, row: str, col: str, fpc: str | None) -> None:
    expected = load_expected(name)["chisq"][statistic]
    result = rao_scott_chisq(load_design(name), row, col, strata="stratum", weights="w", fpc=fpc)
    assert result.statistic == pytest.approx(expected["statistic"], rel=REL)
    assert result.df_num == pytest.approx(expected["ndf"], rel=REL)
    assert result.df_den == pytest.approx(expected["ddf"], rel=REL)
    assert result.pvalue == pytest.approx(expected["p_value"], rel=REL)


@pytest.mark.parametrize("name", DESIGN_NAMES)
def test_rao_scott_is_symmetric_in_row_and_col(name: str) -> None:
    # svychisq(~channel + region, des, statistic = "F") gives the same F, ndf, ddf as ~region + channel
    expected = load_expected(name)["chisq"]["region_channel"]
    result = rao_scott_chisq(load_design(name), "channel", "region", strata="stratum", weights="w", fpc="N_h")
    assert result.statistic == pytest.approx(expected["statistic"], rel=REL)
    assert result.pvalue == pytest.approx(expected["p_value"], rel=REL)


def test_rao_scott_result_is_frozen() -> None:
    result = rao_scott_chisq(load_design("textbook"), "region", "channel", strata="stratum", weights="w")
    with pytest.raises(AttributeError):
        result.statistic = 0.0
