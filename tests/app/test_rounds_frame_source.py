"""The rounds page draws from a frame file on the server ($SURVEY_FRAME_DIR) with DuckDB: the file's strata counts
in the preview, the same sample as `python -m survey draw --frame FILE`, the file recorded with the round, and a
bad file's problems named (file, row, column, value) with nothing drawn — in Chinese and English."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from click.testing import CliRunner

from sampling.engines.generate import write_frame
from survey.cli import cli
from survey.store import open_db
from survey.users import User
from tests.conftest import copy_demo

STAFF = User("staff", "staff")
SIZE = 300


@pytest.fixture
def frame_dir(tmp_path, monkeypatch):
    folder = tmp_path / "frames"
    folder.mkdir()
    write_frame(folder / "province.parquet", 5000)
    rows = [(f"C{i:04d}", "泉州" if i % 2 else "福州", "居民", "12345" if i % 2 else "13800000000")
            for i in range(1, 201)]  # fmt: skip
    pd.DataFrame(rows, columns=["户号", "供电单位", "用户类别", "联系电话"]).to_csv(
        folder / "bad.csv", index=False
    )
    monkeypatch.setenv("SURVEY_FRAME_DIR", str(folder))
    return folder


def _rounds_page(store_app, lang: str = "zh"):
    at = store_app(STAFF, lang="zh")
    at.switch_page("app_pages/rounds.py").run()
    at.session_state["lang"] = lang
    return at.run()


def _texts(at) -> str:
    """What a reader sees (the page escapes markdown: province\\.parquet)."""
    kinds = ("markdown", "caption", "success", "info", "warning", "error")
    return re.sub(r"\\(.)", r"\1", "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind)))


def test_without_a_frame_folder_there_is_no_choice(store_app):
    at = _rounds_page(store_app)
    assert not at.exception
    assert not [r for r in at.radio if r.key == "draw_source"]


def test_the_page_draws_the_same_sample_as_the_cli_from_a_server_file(
    store_app, demo_target, demo_template, frame_dir, tmp_path
):
    path = frame_dir / "province.parquet"
    at = _rounds_page(store_app)
    source = at.radio(key="draw_source")
    assert source.options[0].startswith("已导入的客户名单（") and source.options[1:] == [
        "服务器上的文件：bad.csv",
        "服务器上的文件：province.parquet",
    ]
    source.set_value(str(path)).run()
    found = re.search(r"文件 province\.parquet：([\d,]+) 户可抽样客户", _texts(at))
    assert found, _texts(at)
    eligible = int(found.group(1).replace(",", ""))
    assert (
        4000 < eligible <= 5000 and f"{eligible:,}" not in source.options[0]
    )  # the file's N_h, not the store's
    at.number_input(key="draw_size").set_value(SIZE).run()
    at.button(key="draw_go").click().run()
    assert not at.exception, at.exception
    assert at.success, _texts(at)
    db = open_db(demo_target)
    round_id, source_path, engine, rows = db.execute(
        "SELECT round_id, source, engine, rows FROM round_frames ORDER BY round_id DESC LIMIT 1"
    ).fetchone()
    assert (source_path, engine, rows) == (str(path), "duckdb", 5000)
    page_sample = db.execute(
        "SELECT customer_id, stratum, is_reserve FROM assignments WHERE round_id = ? ORDER BY id", [round_id]
    ).fetchall()
    db.conn.close()
    assert sum(1 for *_, reserve in page_sample if not reserve) == SIZE
    # the reference: the CLI on an untouched copy of the same demo (same salt, same earlier rounds)
    (tmp_path / "ref").mkdir()
    ref = copy_demo(demo_template, tmp_path / "ref")
    out = CliRunner().invoke(cli, ["draw", "--db", str(ref), "--frame", str(path), "--size", str(SIZE),
                                   "--reserve", "2", "--response-rate", "0.5"])  # fmt: skip
    assert out.exit_code == 0, out.output
    ref_db = open_db(ref)
    cli_sample = ref_db.execute(
        "SELECT customer_id, stratum, is_reserve FROM assignments WHERE round_id = ? ORDER BY id",
        [int(out.output.strip().splitlines()[-1])],
    ).fetchall()
    ref_db.conn.close()
    assert page_sample == cli_sample


def test_a_bad_file_names_its_problems_and_draws_nothing(store_app, demo_target, frame_dir):
    """Problems of the selected rows (bad phones) are found at the draw: named, nothing written."""
    db = open_db(demo_target)
    before = db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0]
    db.conn.close()
    at = _rounds_page(store_app)
    at.radio(key="draw_source").set_value(str(frame_dir / "bad.csv")).run()
    at.multiselect(key="draw_strata").set_value(["region"]).run()
    at.number_input(key="draw_size").set_value(20).run()
    at.button(key="draw_go").click().run()
    assert not at.exception, at.exception
    shown = re.sub(r"\\(.)", r"\1", "\n".join(str(e.value) for e in at.error))
    assert "文件 bad.csv 有 " in shown and "处问题，未抽样" in shown, _texts(at)
    assert "联系电话" in shown or "phone" in shown
    assert "12345" in shown and "第 " in shown, shown  # the value and its row
    db = open_db(demo_target)
    assert db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0] == before
    db.conn.close()


def _refused_before_the_design(store_app, path, lang: str, words: list[str]) -> None:
    """The rounds page with ``path`` chosen as the frame source, in ``lang``: no exception, every one of
    ``words`` in its error messages, and no draw button."""
    at = store_app(STAFF, lang="zh")
    at.switch_page("app_pages/rounds.py").run()
    at.session_state["draw_source"] = str(path)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    shown = re.sub(r"\\(.)", r"\1", "\n".join(str(e.value) for e in at.error))
    assert all(w in shown for w in words), shown
    assert not [b for b in at.button if b.key == "draw_go"]


@pytest.mark.parametrize("lang, words", [("zh", ["unknown.csv", "火星", "处问题，未抽样"]),
                                         ("en", ["unknown.csv", "火星", "problem(s); nothing was drawn"])])  # fmt: skip
def test_a_file_with_an_unknown_region_is_refused_before_the_design(store_app, frame_dir, lang, words):
    """An unknown region is found when the file's strata are counted: the page says so in either language and
    offers no draw."""
    rows = [(f"U{i:03d}", "火星" if i < 5 else "福州", "居民", "13800000000") for i in range(1, 51)]
    pd.DataFrame(rows, columns=["户号", "供电单位", "用户类别", "联系电话"]).to_csv(
        frame_dir / "unknown.csv", index=False
    )
    _refused_before_the_design(store_app, frame_dir / "unknown.csv", lang, words)


@pytest.mark.parametrize("lang, words", [("zh", ["无法读取文件 cut.parquet，未抽样", "文件已损坏或不完整", "PARQUET"]),
                                         ("en", ["The file cut.parquet cannot be read; nothing was drawn",
                                                 "damaged or incomplete", "PARQUET"])])  # fmt: skip
def test_a_file_that_cannot_be_read_is_said_and_offers_no_draw(store_app, frame_dir, lang, words):
    """A Parquet file cut off half-way (an interrupted copy to the server): the page says the file cannot be
    read, in either language, instead of raising DuckDB's error."""
    data = (frame_dir / "province.parquet").read_bytes()
    (frame_dir / "cut.parquet").write_bytes(data[: len(data) // 2])
    _refused_before_the_design(store_app, frame_dir / "cut.parquet", lang, words)
