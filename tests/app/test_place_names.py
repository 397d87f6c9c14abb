"""English view of the staff pages: regions, customer types and strata in English (Chinese view unchanged)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from survey.regions import CUSTOMER_TYPES_EN, FUJIAN
from survey.users import User

STAFF = User("staff", "staff")


def _open(store_app, page: str, lang: str) -> AppTest:
    # AppTest formats widget options outside the script (in Chinese): open in Chinese, then switch once
    at = store_app(STAFF, lang="zh")
    at.switch_page(f"app_pages/{page}.py").run()
    at.session_state["lang"] = lang
    return at.run()


def _english(stratum: str) -> str:
    region, ctype = stratum.split("|")
    return f"{FUJIAN[region]['en']}|{CUSTOMER_TYPES_EN[ctype]}"  # written out from the region list


@pytest.mark.parametrize(
    ("page", "header_zh", "header_en"), [("fieldwork", "分层", "Stratum"), ("monitor", "分层", "Stratum")]
)
def test_strata_columns_are_translated(store_app, page, header_zh, header_en):
    zh = _open(store_app, page, "zh")
    strata_zh = [s for s in zh.dataframe[0].value[header_zh] if "|" in s]
    assert strata_zh and all(s.split("|")[0] in FUJIAN for s in strata_zh)
    en = _open(store_app, page, "en")
    strata_en = [s for s in en.dataframe[0].value[header_en] if "|" in s]
    assert strata_en == [_english(s) for s in strata_zh]
    assert not en.exception


def test_design_preview_and_frame_overview_in_english(store_app):
    en = _open(store_app, "rounds", "en")
    preview = en.dataframe[0].value
    first = preview.columns[0]
    assert all(s.split("|")[0] in {r["en"] for r in FUJIAN.values()} for s in preview[first])
    frame = _open(store_app, "frame", "en").dataframe[0].value
    assert set(frame.iloc[:, 0]) <= {r["en"] for r in FUJIAN.values()}
    assert set(frame.iloc[:, 1]) <= set(CUSTOMER_TYPES_EN.values())
