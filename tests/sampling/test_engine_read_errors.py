"""A frame file an engine cannot read — corrupt or truncated Parquet, a CSV that is not UTF-8, a ragged or
badly quoted CSV, an empty file, a header naming a column twice — stops the draw with one FrameSourceError that
names the file and says what is wrong (its line where the engine knows it), on DuckDB and on Spark alike: never
the engine's traceback, never a silently shortened or re-guessed row."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from sampling.engines import FrameSourceError, open_engine
from sampling.engines.generate import write_frame
from survey.cli import cli
from survey.store import open_db

HEADER = "户号,供电单位,用户类别,联系电话\n"
GOOD_ROW = "C{0:05d},福州,居民,13800000000\n"


@pytest.fixture(scope="module")
def spark():
    from sampling.engines.spark_engine import spark_session

    return spark_session("local[2]")


def _good_rows(n: int) -> str:
    return "".join(GOOD_ROW.format(i) for i in range(1, n + 1))


def _corrupt(folder):
    path = folder / "corrupt.parquet"
    path.write_bytes(b"PAR1 this was never a Parquet file " * 20)
    return path, "parquet", "damaged"


def _truncated(folder):
    """A copy cut off half-way, as an interrupted transfer leaves it."""
    whole = folder / "whole.parquet"
    write_frame(whole, 2000)
    data = whole.read_bytes()
    path = folder / "truncated.parquet"
    path.write_bytes(data[: len(data) // 2])
    whole.unlink()
    return path, "parquet", "damaged"


def _empty_parquet(folder):
    path = folder / "empty.parquet"
    path.write_bytes(b"")
    return path, "parquet", "damaged"


def _folder_with_a_bad_part(folder):
    """A Spark export whose second part is damaged: found when the parts are read, not when they are listed."""
    export = folder / "export"
    export.mkdir()
    write_frame(export / "part-00000.parquet", 500)
    (export / "part-00001.parquet").write_bytes(b"garbage" * 50)
    return export, "parquet", "damaged"


def _gbk_header(folder):
    path = folder / "gbk.csv"
    path.write_bytes((HEADER + _good_rows(20)).encode("gbk"))
    return path, "utf-8", "not_utf8"


def _gbk_late_row(folder):
    """UTF-8 for the first 20,000 rows (far past any first read buffer), then one row saved as GBK."""
    path = folder / "late_gbk.csv"
    path.write_bytes((HEADER + _good_rows(20000)).encode() + "C99999,泉州,居民,13800000000\n".encode("gbk"))
    return path, "utf-8", "not_utf8"


def _short_row(folder):
    path = folder / "short.csv"
    path.write_text(HEADER + _good_rows(5) + "C00006,福州\n" + _good_rows(3), encoding="utf-8")
    return path, "C00006,福州", "csv_rows"


def _long_row(folder):
    path = folder / "long.csv"
    path.write_text(HEADER + _good_rows(5) + "C00006,福州,居民,13800000000,多余,字段\n", encoding="utf-8")
    return path, "C00006,福州,居民,13800000000,多余,字段", "csv_rows"


def _open_quote(folder):
    path = folder / "quote.csv"
    path.write_text(
        HEADER + _good_rows(3) + 'C00004,"福州,居民,13800000000\n' + _good_rows(2), encoding="utf-8"
    )
    return path, '"福州', "csv_rows"


def _empty_csv(folder):
    path = folder / "empty.csv"
    path.write_bytes(b"")
    return path, "empty", "empty"


def _twice(folder):
    path = folder / "twice.csv"
    path.write_text("户号,供电单位,户号,用户类别\n" + "C1,福州,C1,居民\n", encoding="utf-8")
    return path, "'户号' twice", "duplicate_column"


CASES = {
    "corrupt parquet": _corrupt,
    "truncated parquet": _truncated,
    "empty parquet": _empty_parquet,
    "folder with a bad part": _folder_with_a_bad_part,
    "gbk csv": _gbk_header,
    "gbk row late in the csv": _gbk_late_row,
    "row with too few fields": _short_row,
    "row with too many fields": _long_row,
    "unterminated quote": _open_quote,
    "empty csv": _empty_csv,
    "column named twice": _twice,
}


def _read(engine: str, path, spark):
    """What a draw reads first: the engine, the fingerprint, the strata counts."""
    with open_engine(engine, path, spark=spark if engine == "spark" else None) as source:
        source.describe()
        source.cell_counts()


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
@pytest.mark.parametrize("case", list(CASES))
def test_an_unreadable_frame_is_one_clear_error_naming_the_file(case, engine, tmp_path, request):
    spark = request.getfixturevalue("spark") if engine == "spark" else None
    path, said, reason = CASES[case](tmp_path)
    with pytest.raises(FrameSourceError) as caught:
        _read(engine, path, spark)
    assert caught.value.reason == reason, caught.value
    message = str(caught.value)
    assert message.startswith(str(path)), message
    assert said.lower() in message.lower(), message
    assert "\n" not in message and "Traceback" not in message and len(message) < 600, message


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_a_readable_csv_with_quotes_bom_and_crlf_still_reads(engine, tmp_path, request):
    """The strict reading keeps what a spreadsheet writes: a BOM, CRLF line ends, quoted commas, blank lines."""
    spark = request.getfixturevalue("spark") if engine == "spark" else None
    path = tmp_path / "excel.csv"
    body = '\ufeff户号,供电单位,用户类别,联系电话\r\nC1,"福州",居民,13800000000\r\n\r\nC2,泉州,"居民",\r\n'
    path.write_bytes(body.encode("utf-8"))
    with open_engine(engine, path, spark=spark) as source:
        assert source.describe()["rows"] == 2
        cells = source.cell_counts()
    assert sorted(cells["region"]) == ["泉州", "福州"] and cells["n"].sum() == 2


def test_the_cli_says_it_in_one_line_and_draws_nothing(tmp_path, database_target):
    db_path = str(database_target)
    frames = tmp_path / "frames"
    frames.mkdir()
    path, _, _ = _truncated(frames)
    runner = CliRunner()
    for command in (["draw", "--db", db_path, "--frame", str(path), "--size", "20"],
                    ["prepare-frame", "--db", db_path, str(path), str(tmp_path / "p.parquet")]):  # fmt: skip
        out = runner.invoke(cli, command)
        assert out.exit_code == 1, out.output
        lines = out.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"Error: {path}: DuckDB cannot read it as PARQUET"), (
            lines
        )
    db = open_db(database_target)
    assert db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0] == 0
    db.conn.close()
    assert not (tmp_path / "p.parquet").exists()
    shutil.rmtree(frames)


def test_prepare_frame_into_a_missing_folder_says_so_before_reading(tmp_path, database_target):
    write_frame(tmp_path / "f.parquet", 500)
    out = tmp_path / "no_such_folder" / "p.parquet"
    result = CliRunner().invoke(cli, ["prepare-frame", "--db", str(database_target), str(tmp_path / "f.parquet"),
                                      str(out)])  # fmt: skip
    assert result.exit_code == 1, result.output
    assert result.output.strip() == f"Error: {out}: the folder {out.parent} does not exist", result.output
