"""The PRN rule of DESIGN.md as SQL, written once and spoken by each engine through a small dialect.

- PRN: ``prn = int(first 13 hex digits of sha256(salt ‖ id)) / 16¹³`` — the bytes hashed are the UTF-8 encoding of
  the salt followed by the (stripped) customer id, as :func:`sampling.prn.prn` hashes them. 13 hex digits are 52
  bits, so the integer and its quotient by 2⁵² are exact IEEE doubles in every engine: the numbers are
  bit-identical to Python's and SQLite's.
- Selection: per stratum h with start ``a_h``, the ``n_h + r_h + 1`` eligible units first in the order
  ``(prn < a_h, prn, id)`` — that is, by ``(prn − a_h) mod 1`` with ties by id, the order of
  :func:`sampling.select.rotation_order` and of the SQLite engine's two range scans (Ohlsson 1995, sequential SRS
  with permanent random numbers). The order key is the boolean and the PRN itself, never a computed difference, so
  no rounding can reorder units.
- A pre-filter keeps only units with ``(prn − a_h) mod 1 < t_h`` (``t_h`` from :func:`candidate_threshold`): PRNs
  are uniform, so the ``k_h`` first units lie below ``t_h`` but for a chance of about 1e-9; the engine reports the
  candidates it kept per stratum and a stratum with too few is selected again with ``t_h = 1`` (no pre-filter).
  Both differences are exact: PRNs and start points are multiples of 2⁻⁵² in [0, 1).

Tables the engine registers before running these queries: ``survey_params(salt, ws)`` (one row; the salt travels
as data, not as text of the query), ``survey_excluded(id)``, ``survey_cells`` (the raw cells of eligible customers
with their stratum label) and ``survey_takes(stratum, start, take, threshold)``; the frame is ``frame_src``.
"""

# ruff: noqa: S608  (identifiers quoted by the dialect; values travel in registered tables; literals escaped)

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sampling.frame_schema import CANONICAL_COLUMNS, COLUMN_ALIASES, REQUIRED_COLUMNS, header_key

#: 16¹³ = 2⁵²: PRNs are integers of 52 bits over this.
PRN_SCALE = 16**13
#: Characters Python's ``str.strip`` removes (the import strips every cell this way).
WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
#: Frame columns read from the source (the import's canonical columns).
FRAME_FIELDS = CANONICAL_COLUMNS
#: Columns whose distinct raw values ("cells") decide the stratum and the eligibility of a customer.
CELL_FIELDS = ("region", "district", "customer_type", "urban_rural", "opted_out")
#: Columns a prepared frame adds (``prepare-frame``).
PRN_COLUMN = "survey_prn"
STRATUM_COLUMN = "survey_stratum"


class FrameSourceError(ValueError):
    """The frame source cannot be read as a customer frame.

    ``reason`` says why in a word a page can translate (``READ_REASONS``), None for other problems (a missing
    column, a wrong path); the message itself is English and names the source."""

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        if reason is not None and reason not in READ_REASONS:
            raise ValueError(f"reason must be one of {', '.join(READ_REASONS)} or None, but got {reason!r}")
        super().__init__(message)
        self.reason = reason


#: Why a frame file could not be read: damaged (corrupt or truncated Parquet), not UTF-8, a CSV row that does
#: not fit the header (too few or too many fields, an unterminated quote), an empty file, a column named twice.
READ_REASONS = ("damaged", "not_utf8", "csv_rows", "empty", "duplicate_column")


@dataclass(frozen=True)
class Dialect:
    """How one engine spells the few functions the rule needs."""

    name: str
    text: str  # the string type
    quote_char: str

    def quote(self, name: str) -> str:
        q = self.quote_char
        return q + name.replace(q, q + q) + q

    def hex13(self, expr: str) -> str:
        """The first 13 hex digits of ``sha256(expr)`` as a BIGINT."""
        if self.name == "duckdb":
            return f"CAST('0x' || substr(sha256({expr}), 1, 13) AS BIGINT)"
        return f"CAST(conv(substr(sha2({expr}, 256), 1, 13), 16, 10) AS BIGINT)"

    def strip(self, expr: str) -> str:
        """``expr`` (not NULL) without leading and trailing whitespace, as Python's ``str.strip``.

        The exact trim with the whitespace set is costly (DuckDB's ``trim(x, set)`` made a 1M-row GROUP BY ~7 ×
        slower), so it runs only for values whose first or last character might be whitespace: a value that
        starts and ends with a code point in 33–132 or above U+3000 (no whitespace there) is its own strip."""
        return f"CASE WHEN {self.plain_ends(expr)} THEN {expr} ELSE {self._trim(expr)} END"

    def is_blank(self, expr: str) -> str:
        """``strip(expr) = ''`` for ``expr`` not NULL, trimming only when the first character might be
        whitespace."""
        return f"CASE WHEN {self._plain(self.first(expr))} THEN FALSE ELSE {self._trim(expr)} = '' END"

    def first(self, expr: str) -> str:
        """The code point of the first character (DuckDB: -1 for ``''``; Spark: 0)."""
        return f"ord({expr})" if self.name == "duckdb" else f"ascii({expr})"

    def last(self, expr: str) -> str:
        """The code point of the last character."""
        return f"ord({expr}[-1])" if self.name == "duckdb" else f"ascii(substring({expr}, -1))"

    def plain_ends(self, expr: str) -> str:
        """True when neither end of ``expr`` can be whitespace (so ``strip`` leaves it as it is)."""
        return f"({self._plain(self.first(expr))} AND {self._plain(self.last(expr))})"

    @staticmethod
    def _plain(code: str) -> str:
        # every character of WHITESPACE is <= 32 or in 133..12288 (U+3000): outside those ranges is no space
        return f"({code} BETWEEN 33 AND 132 OR {code} > 12288)"

    def _trim(self, expr: str) -> str:
        chars = _WHITESPACE_SQL[self.name]
        if self.name == "duckdb":
            return f"trim({expr}, {chars})"
        return f"trim(BOTH {chars} FROM {expr})"


#: The whitespace set as a constant expression of each dialect (control characters through chr/char).
_WHITESPACE_SQL = {
    "duckdb": "(" + " || ".join(f"chr({ord(c)})" for c in WHITESPACE) + ")",
    "spark": "concat(" + ", ".join(f"char({ord(c)})" if ord(c) < 256 else f"'{c}'" for c in WHITESPACE) + ")",
}
DUCKDB = Dialect("duckdb", "VARCHAR", '"')
SPARK = Dialect("spark", "STRING", "`")


def prn_sql(d: Dialect, id_expr: str = "s.id") -> str:
    """The PRN of ``id_expr`` (salt from ``survey_params p``): ``int(sha256(salt ‖ id)[:13 hex]) / 16¹³``
    (Ohlsson 1995: one permanent U(0, 1) number per unit; DESIGN.md's rule)."""
    return f"CAST({d.hex13(f'concat(p.salt, {id_expr})')} AS DOUBLE) / CAST({PRN_SCALE} AS DOUBLE)"


def column_mapping(names: Sequence[str]) -> dict[str, str]:
    """``{canonical column: source column}`` from a source's column names, by the import's header aliases
    (户号 → id, 供电单位 → region, …). A missing required column or two columns for one field is an error."""
    mapping: dict[str, str] = {}
    for name in names:
        if name in (PRN_COLUMN, STRATUM_COLUMN):
            continue
        target = name if name in FRAME_FIELDS else COLUMN_ALIASES.get(header_key(name))
        if target is None:
            continue
        if target in mapping:
            raise FrameSourceError(f"columns {mapping[target]!r} and {name!r} both map to {target}")
        mapping[target] = name
    missing = [c for c in REQUIRED_COLUMNS if c not in mapping]
    if missing:
        raise FrameSourceError(
            f"missing required columns: {', '.join(missing)} (columns found: {', '.join(names) or '-'})"
        )
    return mapping


def frame_exprs(d: Dialect, mapping: Mapping[str, str], alias: str = "frame_src") -> dict[str, str]:
    """SQL expressions over a frame row (table ``alias``, params ``p``): ``raw_<field>`` (text, NULL when the
    frame has no such column), ``id`` stripped (what is hashed), the raw cell keys ``k_<field>`` (missing
    values as ``''``) and ``has_phone`` (a phone that is not blank)."""
    out = {}
    for field in FRAME_FIELDS:
        src = mapping.get(field)
        value = f"CAST({alias}.{d.quote(src)} AS {d.text})" if src else f"CAST(NULL AS {d.text})"
        out["raw_" + field] = value
        if field == "id":
            out["id"] = d.strip(f"coalesce({value}, {_EMPTY})")
        if field in CELL_FIELDS:
            out["k_" + field] = f"coalesce({value}, {_EMPTY})"
        if field == "phone":
            out["has_phone"] = f"(NOT {d.is_blank(f'coalesce({value}, {_EMPTY})')})"
    return out


def cell_join(d: Dialect, exprs: Mapping[str, str], cells: str = "c") -> str:
    """The join condition of a frame row onto its cell (raw cell keys and phone presence)."""
    on = [f"{exprs['k_' + f]} = {cells}.{f}" for f in CELL_FIELDS]
    return " AND ".join([*on, f"{exprs['has_phone']} = {cells}.has_phone"])


def source_sql(
    d: Dialect,
    mapping: Mapping[str, str],
    *,
    prepared: bool = False,
    where: str = "",
    table: str = "frame_src",
) -> str:
    """The frame (``table``, columns as in the source) as the columns of :func:`frame_exprs` and, for a prepared
    frame, ``prn`` and ``stratum0`` (the stratum label at preparation)."""
    cols = [f"{e} AS {d.quote(name)}" for name, e in frame_exprs(d, mapping).items()]
    if prepared:
        cols.append(f"CAST(frame_src.{d.quote(PRN_COLUMN)} AS DOUBLE) AS prn")
        cols.append(f"CAST(frame_src.{d.quote(STRATUM_COLUMN)} AS {d.text}) AS stratum0")
    source = "frame_src" if table == "frame_src" else f"{table} frame_src"
    sql = f"SELECT {', '.join(cols)} FROM {source} CROSS JOIN survey_params p"
    return sql + (f" WHERE {where}" if where else "")


_EMPTY = "''"
_KEYS = [f"k_{f}" for f in CELL_FIELDS]


def _not_excluded(excluded: bool) -> str:
    return "NOT EXISTS (SELECT 1 FROM survey_excluded x WHERE x.id = s.id)" if excluded else ""


def cell_counts_sql(d: Dialect, mapping: Mapping[str, str], *, excluded: bool) -> str:
    """Pass 1: customers per raw cell, phone present and blank id, not excluded (no hashing: the id and cell
    columns only). Resolved onto the region list by the caller, these give N_h of every stratum.

    The expressions run on the frame's columns directly (no subquery, no params): a blank id is found from its
    first character, the stripped id is computed only to leave out ``survey_excluded`` ids."""
    x = frame_exprs(d, mapping)
    cols = [f"{x[k]} AS {k}" for k in _KEYS]
    blank = d.is_blank(f"coalesce({x['raw_id']}, {_EMPTY})")
    where = f" WHERE NOT EXISTS (SELECT 1 FROM survey_excluded x WHERE x.id = {x['id']})" if excluded else ""
    return (
        f"SELECT {', '.join(cols)}, {x['has_phone']} AS has_phone, {blank} AS blank_id, count(*) AS n"
        f" FROM frame_src{where} GROUP BY {', '.join(str(i) for i in range(1, len(_KEYS) + 3))}"
    )


def select_sql(
    d: Dialect,
    mapping: Mapping[str, str],
    *,
    excluded: bool,
    prepared: bool = False,
    source: str | None = None,
) -> str:
    """Pass 2: the first ``take`` eligible units per stratum in rotation order from ``start`` (Ohlsson 1995;
    DESIGN.md's rule), among those with ``(prn − start) mod 1 < threshold``; with their raw fields, stratum,
    PRN, position (1-based) and how many candidates the stratum had.

    ``source`` replaces the frame's query (a prepared frame's pruned scans); ``prepared`` reads the PRN column
    instead of hashing."""
    source = source or source_sql(d, mapping, prepared=prepared)
    on = " AND ".join(f"s.k_{f} = c.{f}" for f in CELL_FIELDS) + " AND s.has_phone = c.has_phone"
    where = _not_excluded(excluded)
    prn = "s.prn" if prepared else prn_sql(d)
    raw = ", ".join(d.quote("raw_" + f) for f in FRAME_FIELDS)
    one = "CAST(1 AS DOUBLE)"
    return f"""
WITH e AS (
  SELECT s.id, {", ".join("s." + d.quote("raw_" + f) for f in FRAME_FIELDS)}, c.stratum,
         {prn} AS prn
  FROM ({source}) s CROSS JOIN survey_params p JOIN survey_cells c ON {on}{" WHERE " + where if where else ""}
),
k AS (
  SELECT e.*, t.start, t.take FROM e JOIN survey_takes t ON t.stratum = e.stratum
  WHERE (CASE WHEN e.prn >= t.start THEN e.prn - t.start ELSE e.prn - t.start + {one} END) < t.threshold
),
r AS (
  SELECT k.*, row_number() OVER (PARTITION BY stratum ORDER BY prn < start, prn, id) AS pos,
         count(*) OVER (PARTITION BY stratum) AS candidates
  FROM k
)
SELECT id, {raw}, stratum, prn, pos, candidates FROM r WHERE pos <= take"""


def pruned_source_sql(
    d: Dialect, mapping: Mapping[str, str], ranges: Sequence[tuple[str, float, float]]
) -> str:
    """A prepared frame's scans of only the PRN ranges a draw needs: one ``UNION ALL`` branch per
    ``(stratum, lo, hi)`` with constant predicates on the sorted columns, so the Parquet reader skips every row
    group whose min/max statistics miss the range. The bounds are widened by 2⁻⁴⁰; the exact rule runs after."""
    eps = 2.0**-40
    branches = []
    for stratum, lo, hi in ranges:
        cond = (
            f"{d.quote(STRATUM_COLUMN)} = {_literal(stratum)}"
            f" AND {d.quote(PRN_COLUMN)} >= CAST({max(lo - eps, 0.0)!r} AS DOUBLE)"
            f" AND {d.quote(PRN_COLUMN)} < CAST({min(hi + eps, 1.0 + eps)!r} AS DOUBLE)"
        )
        branches.append(source_sql(d, mapping, prepared=True, where=cond))
    return " UNION ALL ".join(branches)


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def duplicates_sql(d: Dialect, mapping: Mapping[str, str]) -> str:
    """Pass 3: how often each picked id occurs in the whole frame (ids in ``survey_picked``), those > 1."""
    ids = f"SELECT {frame_exprs(d, mapping)['id']} AS id FROM frame_src"
    return (
        f"SELECT s.id, count(*) AS n FROM ({ids}) s"
        " WHERE s.id IN (SELECT id FROM survey_picked) GROUP BY s.id HAVING count(*) > 1"
    )


def candidate_threshold(take: int, population: int) -> float:
    """The pre-filter ``t_h`` of a stratum: ``(k + 6√k + 20) / N_h``, capped at 1.

    With uniform PRNs the number of units below ``t`` is Binomial(N_h, t); its mean exceeds ``k`` by six standard
    deviations and 20 units, so fewer than ``k`` candidates (then the stratum is selected again unfiltered)
    happens about once in 10⁹ strata.

    >>> candidate_threshold(10, 1_000_000), candidate_threshold(900, 1000)
    (4.897366596101028e-05, 1.0)
    """
    if population <= 0:
        return 1.0
    return min(1.0, (take + 6 * math.sqrt(take) + 20) / population)
