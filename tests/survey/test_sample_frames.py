"""The sample frames shipped in data/: reproducible from their script, and they import cleanly."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from click.testing import CliRunner

from survey.cli import cli
from survey.regions import CUSTOMER_TYPES, FUJIAN
from survey.store import open_db

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
SAMPLES = ("sample_frame_utf8.csv", "sample_frame_gbk.csv")


def _script():
    spec = importlib.util.spec_from_file_location(
        "make_sample_frames", ROOT / "scripts" / "make_sample_frames.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> dict[str, Path]:
    """Each sample imported with the CLI into its own fresh database."""
    runner, out = CliRunner(), {}
    for name in SAMPLES:
        path = tmp_path_factory.mktemp("sample") / "s.db"
        result = runner.invoke(
            cli, ["import-frame", "--db", str(path), str(DATA / name)], catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        assert result.output.startswith("added 200, updated 0, deactivated 0"), result.output
        out[name] = path
    return out


def _rows(path: Path, sql: str) -> list[tuple]:
    db = open_db(path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.conn.close()


def test_the_committed_files_are_the_scripts_output(tmp_path):
    written = _script().write_sample_frames(tmp_path)
    assert [p.name for p in written] == list(SAMPLES)
    for path in written:
        assert path.read_bytes() == (DATA / path.name).read_bytes(), (
            f"run python scripts/make_sample_frames.py ({path.name})"
        )


def test_encodings_and_headers_are_the_advertised_ones():
    utf8 = (DATA / SAMPLES[0]).read_bytes()
    assert not utf8.startswith(b"\xef\xbb\xbf") and utf8.decode("utf-8").startswith(
        "户号,户名,联系电话,供电单位,区县,用户类别,城乡类别,近12个月投诉次数,拒访\n"
    )
    gbk = (DATA / SAMPLES[1]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")
    text = gbk.decode("gbk")
    assert text.startswith("户号,户名,联系电话,供电单位,所属区县,用电类别,城乡类别\r\n")
    for spelling in ("国网泉州供电公司", "泉州市供电公司", "居民生活用电", "一般工商业用电"):
        assert spelling in text
    assert len(text.splitlines()) == 201 and len(utf8.decode().splitlines()) == 201


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_imports_onto_the_canonical_lists(imported, name):
    rows = _rows(imported[name], "SELECT region, customer_type, urban_rural, active FROM customers")
    assert len(rows) == 200 and all(active for *_, active in rows)
    assert {r for r, *_ in rows} <= set(FUJIAN) and len({r for r, *_ in rows}) == len(FUJIAN)
    assert {t for _, t, *_ in rows} == {"居民", "一般工商业", "大工业", "农业"}
    assert {u for *_, u, _ in rows} == {"城镇", "农村"}
    # nothing was added to the list: every spelling landed on an existing region and type
    assert {n for (n,) in _rows(imported[name], "SELECT name FROM regions")} == set(FUJIAN)
    assert {n for (n,) in _rows(imported[name], "SELECT name FROM customer_types")} == set(CUSTOMER_TYPES)


def test_utf8_sample_keeps_districts_complaints_and_opt_outs(imported):
    rows = _rows(imported[SAMPLES[0]], "SELECT region, district, complaints_12m, opted_out FROM customers")
    assert all(d in FUJIAN[r]["districts"] for r, d, *_ in rows)
    assert any(c for _, _, c, _ in rows) and 0 < sum(o for *_, o in rows) < 20


def test_gbk_sample_keeps_its_districts_on_their_regions(imported):
    rows = _rows(imported[SAMPLES[1]], "SELECT region, district FROM customers")
    # written as 鲤城 / 晋江 half of the time; mapped onto 鲤城区 / 晋江市 of the customer's own region
    assert all(d in FUJIAN[r]["districts"] for r, d in rows)
