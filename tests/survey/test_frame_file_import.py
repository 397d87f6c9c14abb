"""Importing a frame file in bounded memory (issue 15, item 1): streamed, staged, then written — the same
customers, PRNs, eligible counts, problems and refusals as the in-memory import, chunk boundaries anywhere, into
either store backend."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from survey import dialect, frame_file_import
from survey.cli import cli
from survey.demo import make_frame
from survey.frame_file_import import import_staged, stage_file, staged_impact
from survey.frame_import import import_frame, import_impact, read_import
from survey.store import open_db
from survey.users import User

pytestmark = pytest.mark.demo_on_postgresql  # demo_db runs on both backends

CUSTOMER_COLUMNS = "id, name, phone, region, district, customer_type, urban_rural, complaints_12m, opted_out," \
    " has_valid_phone, prn, active"  # fmt: skip


def _csv(path, frame, *, encoding="utf-8"):
    out = frame.drop(columns=["has_valid_phone"]).assign(opted_out=frame["opted_out"].astype(int))
    out.to_csv(path, index=False, encoding=encoding)
    return path


def _state(db) -> tuple:
    customers = db.execute(f"SELECT {CUSTOMER_COLUMNS} FROM customers ORDER BY id").fetchall()  # noqa: S608
    cells = db.execute("SELECT * FROM frame_cells ORDER BY 1, 2, 3, 4").fetchall()
    return customers, cells


def _both(tmp_path, steps, chunk_rows, target):
    """Run the same imports in memory (a SQLite store) and streamed (into ``target``: a SQLite file or a
    PostgreSQL database); return both states after each."""
    memory, streamed = open_db(tmp_path / "memory.db"), open_db(target)
    for db in (memory, streamed):  # the same salt, so the same PRNs
        db.execute("INSERT INTO settings (key, value) VALUES ('prn_salt', 'test-salt')")
    states = []
    for k, frame in enumerate(steps):
        path = _csv(tmp_path / f"frame{k}.csv", frame)
        result = read_import(memory, path)
        assert result.ok, result.problems[:3]
        expected = import_impact(memory, result.frame)
        import_frame(memory, result.frame, allow_deactivation=True, by="t", source=path.name)
        staged = stage_file(streamed, path, chunk_rows=chunk_rows)
        assert staged.ok, staged.result.problems[:3]
        impact = staged_impact(streamed, staged)
        assert (impact.added, impact.updated, impact.moved, impact.deactivated) == (
            expected.added, expected.updated, expected.moved, expected.deactivated)  # fmt: skip
        summary = import_staged(streamed, staged, allow_deactivation=True, by="t")
        assert (summary.added, summary.updated, summary.deactivated) == (
            expected.added, expected.updated, expected.deactivated)  # fmt: skip
        states.append((_state(memory), _state(streamed)))
    return states


@pytest.mark.parametrize("shuffled", [False, True])  # sorted ids (no index, no duplicate search) or not
@pytest.mark.parametrize("chunk_rows", [7, 250, 100_000])
def test_a_streamed_import_stores_what_the_in_memory_import_stores(
    tmp_path, chunk_rows, shuffled, database_target
):
    first = make_frame(900, seed=3)
    if shuffled:
        first = first.sample(frac=1, random_state=1)
    second = make_frame(900, seed=3).iloc[100:].copy()  # 100 vanish …
    second.loc[second.index[:40], "region"] = "厦门"  # … 40 move …
    second = pd.concat([second, make_frame(60, seed=5).assign(id=lambda f: "N" + f["id"])])  # … 60 are new
    for memory, streamed in _both(tmp_path, [first, second], chunk_rows, database_target):
        assert memory[0] == streamed[0]  # every customer, column by column, PRNs included
        assert memory[1] == streamed[1]  # the eligible counts per cell


def test_awkward_text_arrives_unchanged_on_either_store(tmp_path, database_target):
    """PostgreSQL loads the chunks by ``COPY``: quotes, separators, line breaks, backslashes, COPY's own markers
    (``\\.``, ``\\N``), a lone quote and emoji are stored as the SQLite store stores them, missing text stays
    missing and every PRN bit for bit."""
    frame = make_frame(40, seed=7)
    awkward = ['张"三"', "李,四", "王\n五", "赵\\六", "\\.", "\\N", '"', "小明 😀", " 前后空格 ", "NULL"]
    frame.loc[frame.index[: len(awkward)], "name"] = awkward
    frame.loc[frame.index[10:13], "district"] = None
    for memory, streamed in _both(tmp_path, [frame], 16, database_target):
        assert memory[0] == streamed[0]
        names = {row[1] for row in streamed[0]}
        assert {"张\"三\"", "李,四", "\\.", "\\N", '"', "小明 😀", "NULL"} <= names


def _staged_tables(db) -> int:
    """Temporary staging tables left on this connection."""
    if dialect.name(db) == dialect.SQLITE:
        return db.execute("SELECT COUNT(*) FROM temp.sqlite_master WHERE name = 'incoming'").fetchone()[0]
    return db.execute(
        "SELECT COUNT(*) FROM pg_class WHERE relname = 'incoming' AND relpersistence = 't'"
    ).fetchone()[0]


def test_duplicate_ids_in_different_chunks_are_named_with_both_rows_and_nothing_is_written(
    tmp_path, fresh_db
):
    db = fresh_db
    frame = make_frame(50, seed=1)
    frame.loc[frame.index[40], "id"] = frame.loc[frame.index[3], "id"]  # rows 5 and 42 of the sheet
    staged = stage_file(db, _csv(tmp_path / "dup.csv", frame), chunk_rows=10)
    assert not staged.ok
    duplicate = [p for p in staged.result.problems if p.code == "duplicate_id"]
    assert [(p.row, p.value) for p in duplicate] == [(42, frame.loc[frame.index[3], "id"])]
    assert "5" in duplicate[0].message_zh  # the first row is named
    later = make_frame(50, seed=1)  # sorted within each chunk, but a later chunk repeats an earlier id
    later.loc[later.index[45], "id"] = later.loc[later.index[2], "id"]
    later = later.drop(index=later.index[46:]).iloc[[*range(0, 45), 45]]
    staged = stage_file(db, _csv(tmp_path / "dup2.csv", later), chunk_rows=45)
    assert [(p.code, p.row) for p in staged.result.problems] == [("duplicate_id", 47)]
    assert db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 0
    assert _staged_tables(db) == 0


def test_problems_in_late_chunks_are_all_counted_and_nothing_is_written(tmp_path, fresh_db):
    db = fresh_db
    frame = make_frame(120, seed=2)
    frame.loc[frame.index[[5, 77, 118]], "phone"] = "12"
    staged = stage_file(db, _csv(tmp_path / "bad.csv", frame), chunk_rows=16)
    assert staged.result.problem_count == 3
    assert [p.row for p in staged.result.problems] == [7, 79, 120]
    assert {p.code for p in staged.result.problems} == {"bad_phone"}
    with pytest.raises(ValueError, match="problems"):
        import_staged(db, staged)
    assert db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 0


def test_a_scoped_user_stages_only_their_regions(demo_db, tmp_path):
    db = demo_db
    frame = make_frame(80, seed=4).assign(id=lambda f: "S" + f["id"])
    staged = stage_file(db, _csv(tmp_path / "mixed.csv", frame), scope="泉州", chunk_rows=9)
    assert not staged.ok
    codes = {p.code for p in staged.result.problems}
    assert codes == {"region_out_of_scope"}
    others = set(frame["region"]) - {"泉州"}
    assert {p.value for p in staged.result.problems} == others
    ours = frame[frame["region"] == "泉州"]
    staged = stage_file(db, _csv(tmp_path / "ours.csv", ours), scope="泉州", chunk_rows=9)
    assert staged.ok
    before = db.execute("SELECT COUNT(*) FROM customers WHERE active = 1 AND region != '泉州'").fetchone()[0]
    summary = import_staged(db, staged, allow_deactivation=True, by_user=User("q", "staff", "泉州"))
    assert summary.added == len(ours)
    assert (
        db.execute("SELECT COUNT(*) FROM customers WHERE active = 1 AND region != '泉州'").fetchone()[0]
        == before
    )


def test_the_cli_streams_the_file(tmp_path, monkeypatch, database_target):
    monkeypatch.setattr(frame_file_import, "CHUNK_ROWS", 11)
    seen = []
    real = frame_file_import.FrameStream.chunks

    def counting(self):
        for chunk in real(self):
            seen.append(len(chunk[0]))
            yield chunk

    monkeypatch.setattr(frame_file_import.FrameStream, "chunks", counting)
    path = _csv(tmp_path / "f.csv", make_frame(100, seed=6))
    result = CliRunner().invoke(cli, ["import-frame", str(path), "--db", str(database_target)])
    assert result.exit_code == 0, result.output
    assert "added 100" in result.output
    assert max(seen) <= 11 and sum(seen) == 100 and len(seen) >= 10
