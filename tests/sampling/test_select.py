import hashlib

import numpy as np
import pandas as pd
import pytest

from sampling.prn import prn, prn_array
from sampling.select import select_pandas, stratum_key


def test_prn_follows_the_documented_formula():
    # DESIGN.md: prn = int(sha256(salt + customer_id)[:13 hex]) / 16**13
    digest = hashlib.sha256(b"s3cret" + b"0012345").hexdigest()
    assert prn("s3cret", "0012345") == int(digest[:13], 16) / 16**13
    assert prn_array("s3cret", ["0012345", "x"]).tolist() == [prn("s3cret", "0012345"), prn("s3cret", "x")]


def test_prns_look_uniform():
    values = prn_array("salt", [str(i) for i in range(20_000)])
    from scipy import stats

    assert stats.kstest(values, "uniform").pvalue > 1e-4
    assert ((values >= 0) & (values < 1)).all()


def _frame(n=500, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": [f"c{i:05d}" for i in range(n)],
            "region": rng.choice(["A", "B", "C"], n),
            "customer_type": rng.choice(["居民", "大工业"], n, p=[0.8, 0.2]),
        }
    )


def test_selects_smallest_prns_from_start_with_wraparound():
    f = _frame()
    f["prn"] = prn_array("k", f["id"])
    s = select_pandas(f, ["region"], {"A": 5}, salt="k", start=0.9, reserve=3)
    a = f[f.region == "A"].copy()
    a["dist"] = (a["prn"] - 0.9) % 1.0
    expected = a.sort_values("dist")["id"].tolist()[:8]
    assert s["id"].tolist() == expected
    assert s["is_reserve"].tolist() == [False] * 5 + [True] * 3
    N = len(a)
    assert s["inclusion_probability"].iloc[0] == pytest.approx(5 / N)
    assert s["weight"].iloc[0] == pytest.approx(N / 5)
    assert s.attrs["next_start"]["A"] == a.sort_values("dist")["prn"].tolist()[8]


def test_stratum_keys_and_errors():
    assert stratum_key(["福州", "居民"]) == "福州|居民"
    assert stratum_key([]) == "all"
    f = _frame()
    with pytest.raises(ValueError, match="not in the frame"):
        select_pandas(f, ["region"], {"Z": 1}, salt="k")
    with pytest.raises(ValueError, match="size for stratum 'A'"):
        select_pandas(f, ["region"], {"A": 10_000}, salt="k")
    with pytest.raises(ValueError, match="start"):
        select_pandas(f, ["region"], {"A": 1}, salt="k", start=1.5)


def test_consecutive_rounds_do_not_overlap_until_stratum_is_covered():
    f = _frame(300)
    seen: set[str] = set()
    start = 0.0
    N = int((f.region == "B").sum())
    for _ in range(N // 20):
        s = select_pandas(f, ["region"], {"B": 20}, salt="k", start=start)
        ids = set(s["id"])
        assert not (ids & seen)
        seen |= ids
        start = s.attrs["next_start"]["B"]
    assert len(seen) == (N // 20) * 20


def test_unbiased_inclusion_over_many_salts():
    """Each unit's selection frequency over independent salts matches n_h / N_h (χ² goodness of fit)."""
    from scipy import stats

    f = pd.DataFrame({"id": [str(i) for i in range(40)], "region": ["A"] * 40})
    counts = np.zeros(40)
    reps = 4000
    for r in range(reps):
        s = select_pandas(f, ["region"], {"A": 10}, salt=f"salt-{r}")
        counts[s["id"].astype(int).to_numpy()] += 1
    # Under SRS without replacement, Cov(counts) = reps·p(1−p)·N/(N−1)·(I − 11ᵀ/N), so the
    # scaled sum of squares is χ² with N − 1 degrees of freedom (Cochran 1977, §2.4).
    N, p = 40, 10 / 40
    statistic = ((counts - reps * p) ** 2).sum() / (reps * p * (1 - p) * N / (N - 1))
    assert stats.chi2.sf(statistic, N - 1) > 0.001
    assert counts.sum() == reps * 10
