"""Display formatting shared by the pages: local times, percentages, rounded numbers, missing values.

Stored timestamps are ISO 8601 in UTC (``survey.store.now``); staff read them in the company's local time,
``SURVEY_TZ`` (an IANA zone name, default ``Asia/Shanghai``). A time without a zone (e.g. a callback the
interviewer typed in) is taken as local already. Missing values show as ``MISSING`` ("—"), never as
``None`` or ``nan``. Pure string functions (no streamlit), so they are easy to test.
"""

from __future__ import annotations

import math
import os
import re
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from survey.regions import CUSTOMER_TYPES_EN, region_name_en

MISSING = "—"
# Every ASCII punctuation character CommonMark lets a backslash escape (spec §2.4): markdown, links, images,
# HTML, tables and Streamlit's :color[...] / :emoji: directives all start with one of them.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=\"'^@%])")
# GitHub-flavoured markdown turns bare URLs, www. names and e-mail addresses into links even when their
# punctuation is escaped (remark-gfm's autolink literals): a WORD JOINER (U+2060, invisible) after the scheme,
# after "www" and before "@" keeps them plain text.
_AUTOLINK = re.compile(r"(?i)(https?|ftp|mailto|www)(?=\\[:.])|(?=\\@)")
WORD_JOINER = "\u2060"


def md(value: Any) -> str:
    r"""``value`` as literal text inside markdown (``st.markdown``, ``st.caption``, ``st.info``, widget labels):
    every markdown-special character backslash-escaped, so a name like ``![x](http://…)`` shows as typed and
    loads nothing. Use it for every user- or file-supplied string a page renders as markdown.

    >>> print(md("![x](http://e.vil/p.png) **bold**").replace(WORD_JOINER, "·"))
    \!\[x\]\(http·\://e\.vil/p\.png\) \*\*bold\*\*

    A bare URL, ``www.`` name or e-mail address stays text (a word joiner, U+2060, stops the autolink).
    """
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", "" if value is None else str(value))
    return _AUTOLINK.sub(lambda m: (m.group(1) or "") + WORD_JOINER, escaped)


URBAN_RURAL_EN = {"城镇": "Urban", "农村": "Rural"}
DEFAULT_TZ = "Asia/Shanghai"


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"SURVEY_TZ must be an IANA time zone name, but got {name!r}") from None


def local_zone() -> ZoneInfo:
    """The display time zone: ``$SURVEY_TZ`` or Asia/Shanghai."""
    return _zone(os.environ.get("SURVEY_TZ") or DEFAULT_TZ)


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def local_time(value: Any, *, date_only: bool = False) -> str:
    """An ISO timestamp (or datetime) as ``YYYY-MM-DD HH:MM`` local time; ``MISSING`` when empty.

    >>> import os; os.environ["SURVEY_TZ"] = "Asia/Shanghai"
    >>> local_time("2026-11-27T07:19:26+00:00")
    '2026-11-27 15:19'
    >>> local_time("2026-11-27T23:30:00+00:00", date_only=True)
    '2026-11-28'
    >>> local_time("2026-11-28T09:00:00"), local_time(None)
    ('2026-11-28 09:00', '—')
    """
    if _missing(value):
        return MISSING
    if isinstance(value, datetime):
        stamp = value
    else:
        try:
            stamp = datetime.fromisoformat(str(value).strip())
        except ValueError:
            return str(value)  # not a timestamp: shown as stored rather than hidden
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(local_zone())
    return stamp.strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M")


def local_times(values: pd.Series, *, date_only: bool = False) -> pd.Series:
    """:func:`local_time` over a column (same index)."""
    return values.map(lambda v: local_time(v, date_only=date_only))


def pct(value: Any, digits: int = 1) -> str:
    """A proportion as a percentage, ``MISSING`` when missing.

    >>> pct(0.6421), pct(1), pct(None), pct(float("nan"))
    ('64.2%', '100.0%', '—', '—')
    """
    if _missing(value):
        return MISSING
    return f"{float(value) * 100:.{digits}f}%"


def num(value: Any, digits: int = 2) -> str:
    """A number rounded to ``digits`` decimals, ``MISSING`` when missing.

    >>> num(3.86214), num(-0.8064, 1), num(None)
    ('3.86', '-0.8', '—')
    """
    if _missing(value):
        return MISSING
    return f"{float(value):.{digits}f}"


#: Decimals of an estimate / CI bound and of its SE per indicator; top-2-box shares show as percentages.
DIGITS = {"mean": (2, 3), "index": (1, 2)}


def estimate(value: Any, indicator: str, *, se: bool = False) -> str:
    """An estimate, CI bound or SE (``se=True``) of a ``mean`` (1–5), ``index`` (0–100) or ``top2`` (share).

    >>> estimate(3.86214, "mean"), estimate(0.0761, "mean", se=True), estimate(0.6421, "top2"), estimate(71.78, "index")
    ('3.86', '0.076', '64.2%', '71.8')
    """
    return pct(value) if indicator == "top2" else num(value, DIGITS[indicator][se])


def p_value(p: Any) -> str:
    """A p value for a table cell: ``<0.001`` or three decimals, ``MISSING`` when missing.

    >>> p_value(0.0004), p_value(0.04321), p_value(None)
    ('<0.001', '0.043', '—')
    """
    if _missing(p):
        return MISSING
    return "<0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def place_label(value: Any, lang: str) -> Any:
    """A region, customer type, urban/rural value or stratum (``三明|大工业``) in the display language.

    English shows the English names of the demo regions, the four customer types and urban/rural; any
    other value (a district, a region outside the list) is shown as stored. Chinese shows the value itself.

    >>> place_label("三明|大工业", "en"), place_label("三明|大工业", "zh"), place_label("鼓楼区", "en")
    ('Sanming|Large industry', '三明|大工业', '鼓楼区')
    """
    if lang != "en" or not isinstance(value, str):
        return value
    parts = value.split("|")
    return "|".join(CUSTOMER_TYPES_EN.get(p) or URBAN_RURAL_EN.get(p) or region_name_en(p) for p in parts)
