"""Write the v2 test designs (pairwise comparisons, filtered domains, post-stratification) for R's ``survey``.

Each design is a CSV in ``designs_v2/`` with one row per respondent and the columns

``stratum``  stratum label (one-stage stratified sampling, one PSU per respondent)
``N_h``      stratum population size (the fpc column)
``w``        nonresponse-adjusted weight ``N_h / r_h`` (``r_h`` = rows in the stratum)
``region``   reporting region
``ctype``    customer type
``district`` district, always nested in ``region`` (``<region>-<k>``)
``y1``       Likert score 1-5, about 5 % missing (empty cell)
``y2``       Likert score 1-5, about 5 % missing (empty cell)
``y3``       Likert score 1-5, about 5 % missing (empty cell)
``top2_1``   1 if ``y1 >= 4``, 0 if not, missing (empty cell) when ``y1`` is missing

Designs (see README.md, "v2 designs"):

``nested``        strata = region x ctype (5 regions x 2 types), n_h 8 ... 60, N_h 200 ... 30,000
``crossed``       strata = region (6 regions); ctype (3 types) cuts across the strata
``crossed_type``  strata = ctype (3 types); region (4 regions) and district cut across the strata
``tiny``          4 strata, 5 regions: a one-respondent region, a two-respondent region, a region whose
                  y1 is always 5 (top-2 share 20/20) and one whose top-2 share is 0/20
``poststrat``     strata = region (4 regions); post-strata region x ctype with the population counts in
                  ``designs_v2/poststrat_totals.csv`` (columns region, ctype, Freq)

Run ``python tests/analysis/r/make_designs_v2.py`` from the repository root; the output is fixed by the seeds
below.  Then run ``Rscript tests/analysis/r/reference_v2.R`` to refresh the ``expected_v2_*.json`` files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DESIGNS = HERE / "designs_v2"
COLUMNS = ["stratum", "N_h", "w", "region", "ctype", "district", "y1", "y2", "y3", "top2_1"]
ITEMS = ("y1", "y2", "y3")
BASE = np.array([0.06, 0.10, 0.24, 0.35, 0.25])


def _likert(rng: np.random.Generator, shifts: np.ndarray) -> np.ndarray:
    """One Likert score 1-5 per entry of ``shifts``; the distribution moves up with the shift."""
    tilt = np.exp(np.outer(shifts, np.arange(-2, 3)))
    probs = BASE * tilt
    probs /= probs.sum(axis=1, keepdims=True)
    cum = probs.cumsum(axis=1)
    u = rng.random(len(shifts))[:, None]
    return 1 + (u > cum[:, :-1]).sum(axis=1)


def _rows(
    rng: np.random.Generator,
    stratum: str,
    population: int,
    region: str | np.ndarray,
    ctype: str | np.ndarray,
    shift: np.ndarray,
    districts: int = 2,
) -> pd.DataFrame:
    """Respondents of one stratum; ``shift`` holds one location shift per respondent."""
    n = len(shift)
    region = np.broadcast_to(np.asarray(region, dtype=object), (n,))
    ctype = np.broadcast_to(np.asarray(ctype, dtype=object), (n,))
    district = np.array(
        [f"{r}-{k}" for r, k in zip(region, rng.integers(1, districts + 1, size=n), strict=True)],
        dtype=object,
    )
    # a respondent effect shared by the three items, plus a small item effect
    person = rng.normal(0.0, 0.4, size=n)
    frame = pd.DataFrame(
        {
            "stratum": stratum,
            "N_h": population,
            "w": population / n,
            "region": region,
            "ctype": ctype,
            "district": district,
        }
    )
    for item, item_shift in zip(ITEMS, (0.0, -0.2, 0.15), strict=True):
        frame[item] = _likert(rng, shift + person + item_shift).astype(float)
    return frame


def _finish(rng: np.random.Generator, frame: pd.DataFrame, share: float = 0.05, keep=None) -> pd.DataFrame:
    """Blank each item independently for about ``share`` of the rows (not in ``keep``); derive ``top2_1``."""
    frame = frame.reset_index(drop=True).copy()
    keep = np.zeros(len(frame), dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    for item in ITEMS:
        hit = (rng.random(len(frame)) < share) & ~keep
        frame.loc[hit, item] = np.nan
    frame["top2_1"] = np.where(frame["y1"].isna(), np.nan, (frame["y1"] >= 4).astype(float))
    return frame


def nested() -> pd.DataFrame:
    """Strata = region x ctype; every region and every region x ctype cell is a union of strata."""
    rng = np.random.default_rng(20250601)
    #          region     (N resident, n resident, N business, n business, region shift)
    table = {
        "Fuzhou": (30_000, 60, 1_500, 15, 0.9),
        "Longyan": (6_000, 30, 200, 8, -0.6),
        "Ningde": (12_000, 45, 600, 10, 0.0),
        "Putian": (8_000, 35, 400, 12, 0.1),
        "Xiamen": (25_000, 55, 2_000, 20, 0.5),
    }
    parts = []
    for region, (n_res_pop, n_res, n_bus_pop, n_bus, shift) in table.items():
        parts.append(_rows(rng, f"{region}-resident", n_res_pop, region, "resident", np.full(n_res, shift)))
        parts.append(
            _rows(rng, f"{region}-business", n_bus_pop, region, "business", np.full(n_bus, shift - 0.3))
        )
    return _finish(rng, pd.concat(parts))


CROSSED_REGION_SHIFT = {
    "Fuzhou": 0.6,
    "Longyan": -0.7,
    "Nanping": -0.2,
    "Ningde": 0.0,
    "Putian": 0.3,
    "Xiamen": 0.8,
}
CROSSED_TYPE_SHIFT = {"business": -0.4, "public": 0.3, "resident": 0.0}


def crossed() -> pd.DataFrame:
    """Strata = region (6); ctype (3 types) is drawn within every stratum, so it cuts across the strata."""
    rng = np.random.default_rng(20250602)
    #         region    (N_h, n_h)
    table = {
        "Fuzhou": (28_000, 60),
        "Longyan": (3_000, 20),
        "Nanping": (1_500, 12),
        "Ningde": (9_000, 35),
        "Putian": (6_500, 30),
        "Xiamen": (22_000, 50),
    }
    types = np.array(sorted(CROSSED_TYPE_SHIFT))
    parts = []
    for region, (population, n) in table.items():
        ctype = rng.choice(types, size=n, p=[0.3, 0.2, 0.5])
        shift = CROSSED_REGION_SHIFT[region] + np.array([CROSSED_TYPE_SHIFT[t] for t in ctype])
        parts.append(_rows(rng, region, population, region, ctype, shift))
    return _finish(rng, pd.concat(parts))


def crossed_type() -> pd.DataFrame:
    """Strata = ctype (3); region (4) and district are drawn within every stratum, so they cut across."""
    rng = np.random.default_rng(20250603)
    #         ctype      (N_h, n_h)
    table = {"business": (900, 25), "public": (4_000, 30), "resident": (30_000, 70)}
    region_shift = {"Fuzhou": 0.7, "Longyan": -0.6, "Putian": 0.0, "Xiamen": 0.4}
    regions = np.array(sorted(region_shift))
    parts = []
    for ctype, (population, n) in table.items():
        region = rng.choice(regions, size=n, p=[0.4, 0.15, 0.2, 0.25])
        shift = np.array([region_shift[r] for r in region]) + CROSSED_TYPE_SHIFT[ctype]
        parts.append(_rows(rng, ctype, population, region, ctype, shift, districts=3))
    return _finish(rng, pd.concat(parts))


def tiny() -> pd.DataFrame:
    """4 strata, 5 regions.

    ``Ningde`` = stratum ``S1`` with one respondent; ``Putian`` = stratum ``S2`` with two respondents (y1 = 4 and
    2, so the top-2 share is 1/2).
    Stratum ``S3`` (n = 42) holds ``Sanming`` (21 respondents, y1 = 5 for all who answered y1: 20 of them,
    so the top-2 share is 20/20) and 21 respondents of ``Xiamen``.  Stratum ``S4`` (n = 44) holds ``Longyan``
    (20 respondents, y1 in 1-3, all answered: top-2 share 0/20) and 24 respondents of ``Xiamen``.
    """
    rng = np.random.default_rng(20250604)
    s1 = _rows(rng, "S1", 300, "Ningde", "resident", np.array([0.2]))
    s2 = _rows(rng, "S2", 800, "Putian", "resident", np.full(2, -0.2))
    s3 = _rows(rng, "S3", 9_000, np.array(["Sanming"] * 21 + ["Xiamen"] * 21), "resident", np.full(42, 0.3))
    s4 = _rows(rng, "S4", 15_000, np.array(["Longyan"] * 20 + ["Xiamen"] * 24), "business", np.full(44, -0.3))
    frame = pd.concat([s1, s2, s3, s4]).reset_index(drop=True)
    sanming = frame["region"].eq("Sanming")
    longyan = frame["region"].eq("Longyan")
    frame.loc[sanming, "y1"] = 5.0
    frame.loc[frame["region"].eq("Putian"), "y1"] = [4.0, 2.0]
    frame.loc[longyan, "y1"] = rng.integers(1, 4, size=int(longyan.sum())).astype(float)
    frame["ctype"] = np.where(rng.random(len(frame)) < 0.3, "business", "resident")
    # keep every answer of the one- and two-respondent strata and of Longyan; Sanming's y1 is blanked below
    keep = frame["stratum"].isin(["S1", "S2"]) | longyan | sanming
    frame = _finish(rng, frame, keep=keep)
    first_sanming = frame.index[frame["region"].eq("Sanming")][0]
    frame.loc[first_sanming, "y1"] = np.nan
    frame.loc[first_sanming, "top2_1"] = np.nan
    return frame


POSTSTRAT_TABLE = {
    #          region   (N_h, n_h, share of business in the population, share of business in the sample, shift)
    "Fuzhou": (20_000, 50, 0.30, 0.10, 0.5),
    "Longyan": (4_000, 30, 0.20, 0.45, -0.5),
    "Putian": (7_000, 35, 0.25, 0.25, 0.0),
    "Xiamen": (15_000, 45, 0.40, 0.20, 0.3),
}
# the register's region totals differ a little from the frame's N_h (an out-of-date frame)
POSTSTRAT_REGISTER_FACTOR = {"Fuzhou": 1.04, "Longyan": 0.97, "Putian": 1.00, "Xiamen": 1.02}


def poststrat() -> pd.DataFrame:
    """Strata = region (4); ctype is sampled out of proportion to the population, business scores lower."""
    rng = np.random.default_rng(20250605)
    parts = []
    for region, (population, n, _pop_share, sample_share, shift) in POSTSTRAT_TABLE.items():
        n_bus = int(round(n * sample_share))
        ctype = np.array(["business"] * n_bus + ["resident"] * (n - n_bus))
        ctype = rng.permutation(ctype)
        parts.append(
            _rows(rng, region, population, region, ctype, shift + np.where(ctype == "business", -0.8, 0.2))
        )
    return _finish(rng, pd.concat(parts))


def poststrat_totals() -> pd.DataFrame:
    rows = []
    for region, (population, _n, pop_share, _sample_share, _shift) in POSTSTRAT_TABLE.items():
        total = int(round(population * POSTSTRAT_REGISTER_FACTOR[region]))
        business = int(round(total * pop_share))
        rows.append({"region": region, "ctype": "business", "Freq": business})
        rows.append({"region": region, "ctype": "resident", "Freq": total - business})
    return pd.DataFrame(rows, columns=["region", "ctype", "Freq"])


DESIGN_BUILDERS = {
    "nested": nested,
    "crossed": crossed,
    "crossed_type": crossed_type,
    "tiny": tiny,
    "poststrat": poststrat,
}


def write_designs(directory: Path = DESIGNS) -> list[Path]:
    """Write every design as ``<name>.csv`` (and ``poststrat_totals.csv``) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, build in DESIGN_BUILDERS.items():
        frame = build()[COLUMNS]
        frame = frame.astype({"N_h": "int64", "y1": "Int64", "y2": "Int64", "y3": "Int64", "top2_1": "Int64"})
        path = directory / f"{name}.csv"
        frame.to_csv(path, index=False, na_rep="", float_format="%.17g")
        paths.append(path)
    path = directory / "poststrat_totals.csv"
    poststrat_totals().to_csv(path, index=False)
    paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_designs():
        print(written)
