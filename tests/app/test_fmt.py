"""ui.fmt: local times (Beijing by default), percentages, numbers, missing values."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

import pandas as pd
import pytest

from ui.fmt import MISSING, WORD_JOINER, estimate, local_time, local_times, md, num, p_value, pct


@pytest.fixture(autouse=True)
def _tz(monkeypatch):
    monkeypatch.delenv("SURVEY_TZ", raising=False)


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("2026-11-27T07:19:26+00:00", "2026-11-27 15:19"),  # UTC+8, no DST in China
        ("2026-12-31T16:00:00+00:00", "2027-01-01 00:00"),  # crosses the year
        ("2026-11-27T15:19:00+08:00", "2026-11-27 15:19"),
        ("2026-11-28T09:00:00", "2026-11-28 09:00"),  # naive = typed in local time already
        ("2026-11-28T09:00", "2026-11-28 09:00"),
        (datetime(2026, 6, 1, 0, 0, tzinfo=UTC), "2026-06-01 08:00"),
    ],
)
def test_local_time_is_beijing_time_by_default(stored, shown):
    assert local_time(stored) == shown


def test_date_only_uses_the_local_date():
    assert local_time("2026-11-27T17:00:00+00:00", date_only=True) == "2026-11-28"


def test_other_zone_from_the_environment(monkeypatch):
    monkeypatch.setenv("SURVEY_TZ", "Europe/London")
    assert local_time("2026-07-01T12:00:00+00:00") == "2026-07-01 13:00"  # BST
    monkeypatch.setenv("SURVEY_TZ", "Mars/Olympus")
    with pytest.raises(ValueError, match="SURVEY_TZ must be an IANA time zone name, but got 'Mars/Olympus'"):
        local_time("2026-07-01T12:00:00+00:00")


@pytest.mark.parametrize("missing", [None, "", "  ", float("nan"), pd.NaT])
def test_missing_values_show_a_dash(missing):
    assert local_time(missing) == pct(missing) == num(missing) == MISSING == "—"


def test_text_that_is_not_a_time_is_shown_as_is():
    assert local_time("soon") == "soon"


def test_local_times_keeps_the_index():
    out = local_times(pd.Series(["2026-01-01T00:00:00+00:00", None], index=[7, 9]))
    assert out.to_dict() == {7: "2026-01-01 08:00", 9: "—"}


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [(0.6421, 1, "64.2%"), (0.05, 0, "5%"), (1, 1, "100.0%"), (0.00049, 2, "0.05%")],
)
def test_pct(value, digits, shown):
    assert pct(value, digits) == shown


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [(3.86214, 2, "3.86"), (-0.8064, 1, "-0.8"), (1189, 0, "1189"), (math.pi, 3, "3.142")],
)
def test_num(value, digits, shown):
    assert num(value, digits) == shown


@pytest.mark.parametrize(
    ("value", "indicator", "se", "shown"),
    [(3.86214, "mean", False, "3.86"), (0.07612, "mean", True, "0.076"), (71.783, "index", False, "71.8"),
     (0.4381, "index", True, "0.44"), (0.6421, "top2", False, "64.2%"), (0.0458, "top2", True, "4.6%"),
     (None, "mean", False, "—")],
)  # fmt: skip
def test_estimate_is_rounded_by_indicator(value, indicator, se, shown):
    assert estimate(value, indicator, se=se) == shown


@pytest.mark.parametrize(
    ("p", "shown"), [(0.0004, "<0.001"), (0.001, "0.001"), (0.4029, "0.403"), (None, "—")]
)
def test_p_value(p, shown):
    assert p_value(p) == shown


@pytest.mark.parametrize(
    "text",
    ["http://e.vil/x", "see HTTPS://e.vil", "www.e.vil", "mail boss@e.vil now", "ftp://e.vil", "mailto:a@b.c"],
)
def test_md_leaves_no_autolink_literal(text):
    """remark-gfm links a bare URL, www. name or e-mail address even with its punctuation escaped: md() puts a
    word joiner after the scheme / before the @, and the text reads the same without it."""
    out = md(text)
    plain = re.sub(r"\\(.)", r"\1", out)
    assert plain.replace(WORD_JOINER, "") == text
    assert not re.search(r"(?i)(https?|ftp|mailto|www)\\[:.]", out)  # no scheme directly before its colon/dot
    assert "\\@" not in out.replace(WORD_JOINER + "\\@", "")
