"""Write the stratified test designs that R's ``survey`` package is run on.

Each design is a CSV in ``designs/`` with one row per respondent and the columns

``stratum``  stratum label (one-stage stratified sampling, one PSU per respondent)
``N_h``      stratum population size (the fpc column)
``w``        nonresponse-adjusted weight ``N_h / r_h`` (``r_h`` = respondents in the stratum)
``region``   reporting region (a union of strata, or cutting across strata in ``extreme``)
``ctype``    customer type (``resident`` / ``business``)
``y``        item score (1-5 for the generated designs; hours for ``textbook``), some missing
``top2``     1 if the overall satisfaction is in the top-2 box, 0 if not, missing if unanswered
``channel``  contact channel (categorical, for the Rao-Scott chi-square test)

Run ``python tests/analysis/r/make_designs.py`` from the repository root; the output is fixed by the seeds
below.  Then run ``Rscript tests/analysis/r/reference.R`` to refresh the ``expected_*.json`` files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DESIGNS = HERE / "designs"
CHANNELS = ("hotline", "app", "counter")
COLUMNS = ["stratum", "N_h", "w", "region", "ctype", "y", "top2", "channel"]


def _scores(rng: np.random.Generator, n: int, shift: float) -> np.ndarray:
    """Draw n Likert scores 1-5 whose distribution moves up with ``shift`` (in about [-1, 1])."""
    base = np.array([0.06, 0.10, 0.24, 0.35, 0.25])
    tilt = np.exp(shift * np.arange(-2, 3))
    probs = base * tilt / (base * tilt).sum()
    return rng.choice(np.arange(1, 6), size=n, p=probs)


def _respondents(
    rng: np.random.Generator,
    stratum: str,
    population: int,
    respondents: int,
    region: str | np.ndarray,
    ctype: str | np.ndarray,
    shift: float,
) -> pd.DataFrame:
    y = _scores(rng, respondents, shift).astype(float)
    overall = np.clip(y + rng.integers(-1, 2, size=respondents), 1, 5)
    top2 = (overall >= 4).astype(float)
    channel_probs = np.array([0.5, 0.3, 0.2]) * np.exp(shift * np.array([-0.8, 0.6, 0.0]))
    channel = rng.choice(CHANNELS, size=respondents, p=channel_probs / channel_probs.sum())
    return pd.DataFrame(
        {
            "stratum": stratum,
            "N_h": population,
            "w": population / respondents,
            "region": region,
            "ctype": ctype,
            "y": y,
            "top2": top2,
            "channel": channel,
        }
    )


def _knock_out(rng: np.random.Generator, frame: pd.DataFrame, share: float, keep: pd.Series) -> pd.DataFrame:
    """Blank ``y`` and (independently) ``top2`` for about ``share`` of the rows not in ``keep``."""
    frame = frame.copy()
    for column in ("y", "top2"):
        hit = (rng.random(len(frame)) < share) & ~keep.to_numpy()
        frame.loc[hit, column] = np.nan
    return frame


def unequal() -> pd.DataFrame:
    """(a) 6 regions x 2 customer types, N_h from 50 to 20,000 and n_h from 2 to 80."""
    rng = np.random.default_rng(20240501)
    #          region        (N resident, n resident, N business, n business, region shift)
    table = {
        "Fuzhou": (20_000, 80, 1_200, 12, 0.3),
        "Xiamen": (15_000, 60, 800, 9, 0.6),
        "Quanzhou": (18_000, 70, 50, 2, -0.4),
        "Zhangzhou": (9_000, 40, 300, 5, 0.0),
        "Putian": (4_000, 25, 120, 3, -0.2),
        "Nanping": (2_500, 18, 60, 2, -0.7),
    }
    parts = []
    for region, (n_res_pop, n_res, n_bus_pop, n_bus, shift) in table.items():
        parts.append(_respondents(rng, f"{region}-resident", n_res_pop, n_res, region, "resident", shift))
        parts.append(
            _respondents(rng, f"{region}-business", n_bus_pop, n_bus, region, "business", shift - 0.3)
        )
    frame = pd.concat(parts, ignore_index=True)
    # keep both answers in the two-respondent strata of Quanzhou so that every stratum keeps a score
    keep = frame["stratum"].eq("Quanzhou-business")
    return _knock_out(rng, frame, 0.06, keep)


def singleton() -> pd.DataFrame:
    """(b) 3 regions x 2 customer types; one stratum has a single respondent, another has two."""
    rng = np.random.default_rng(20240502)
    table = {
        "Fuzhou": (6_000, 30, 400, 1, 0.2),  # Fuzhou-business: a single respondent
        "Xiamen": (5_000, 25, 250, 2, 0.5),
        "Longyan": (3_000, 15, 150, 6, -0.5),
    }
    parts = []
    for region, (n_res_pop, n_res, n_bus_pop, n_bus, shift) in table.items():
        parts.append(_respondents(rng, f"{region}-resident", n_res_pop, n_res, region, "resident", shift))
        parts.append(
            _respondents(rng, f"{region}-business", n_bus_pop, n_bus, region, "business", shift - 0.3)
        )
    frame = pd.concat(parts, ignore_index=True)
    keep = frame["stratum"].isin(["Fuzhou-business", "Xiamen-business"])
    return _knock_out(rng, frame, 0.05, keep)


def extreme() -> pd.DataFrame:
    """(c) weights from 1 (a take-all stratum, fpc = 0) to 5,000; regions cut across the strata."""
    rng = np.random.default_rng(20240503)
    #            stratum  (N_h, n_h, shift): weights 1, 30, 100, 2,500, 5,000
    table = {
        "takeall": (15, 15, 0.4),
        "large": (600, 20, 0.1),
        "medium": (3_000, 30, -0.1),
        "small": (25_000, 10, -0.3),
        "tiny": (40_000, 8, -0.6),
    }
    regions = np.array(["Fuzhou", "Xiamen", "Quanzhou", "Sanming"])
    parts = []
    for stratum, (population, respondents, shift) in table.items():
        region = rng.choice(regions, size=respondents)
        ctype = rng.choice(np.array(["resident", "business"]), size=respondents, p=[0.7, 0.3])
        parts.append(_respondents(rng, stratum, population, respondents, region, ctype, shift))
    frame = pd.concat(parts, ignore_index=True)
    keep = frame["stratum"].eq("tiny") & (frame.groupby("stratum").cumcount() < 2)
    return _knock_out(rng, frame, 0.08, keep)


# Scheaffer, Mendenhall & Ott, *Elementary Survey Sampling* (5th ed., 1996), chapter 5, the television-viewing
# example: hours of TV per week in a stratified random sample of households from Town A (N=155, n=20),
# Town B (N=62, n=8) and the rural area (N=93, n=12).  Published answers: y_st = 27.7 hours,
# estimated variance 1.97, bound on the error of estimation 2 * sqrt(1.97) = 2.8 hours.
TEXTBOOK_HOURS = {
    "TownA": (155, [35, 43, 36, 39, 28, 28, 29, 25, 38, 27, 26, 32, 29, 40, 35, 41, 37, 31, 45, 34]),
    "TownB": (62, [27, 15, 4, 41, 49, 25, 10, 30]),
    "Rural": (93, [8, 14, 12, 15, 30, 32, 21, 20, 34, 7, 11, 24]),
}


def textbook() -> pd.DataFrame:
    """(d) The television-viewing example of Scheaffer, Mendenhall & Ott; region = stratum.

    ``y`` holds the published hours; ``top2`` is 1 for households watching 30 hours or more.  ``ctype`` and
    ``channel`` are synthetic (seeded) so that every design has the same columns.
    """
    rng = np.random.default_rng(20240504)
    parts = []
    for stratum, (population, hours) in TEXTBOOK_HOURS.items():
        y = np.array(hours, dtype=float)
        parts.append(
            pd.DataFrame(
                {
                    "stratum": stratum,
                    "N_h": population,
                    "w": population / len(hours),
                    "region": stratum,
                    "ctype": np.where(np.arange(len(hours)) % 3 == 0, "business", "resident"),
                    "y": y,
                    "top2": (y >= 30).astype(float),
                    "channel": rng.choice(CHANNELS, size=len(hours)),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


DESIGN_BUILDERS = {"unequal": unequal, "singleton": singleton, "extreme": extreme, "textbook": textbook}


def write_designs(directory: Path = DESIGNS) -> list[Path]:
    """Write every design as ``<name>.csv`` into ``directory`` and return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, build in DESIGN_BUILDERS.items():
        frame = build()[COLUMNS]
        frame = frame.astype({"N_h": "int64", "y": "Int64", "top2": "Int64"})
        path = directory / f"{name}.csv"
        frame.to_csv(path, index=False, na_rep="NA", float_format="%.17g")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_designs():
        print(written)
