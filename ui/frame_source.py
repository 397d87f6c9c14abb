"""The rounds page's frame source: the imported customer list, or a frame file in the server's frame folder
(``$SURVEY_FRAME_DIR``: Parquet files, folders of Parquet files, CSV files) drawn where it lies with DuckDB —
N_h and the sample computed in the engine, only the selected customers loaded (survey.external_frames, the same
PRN rule and so the same sample as ``python -m survey draw --frame FILE``)."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from sampling.engines import FrameSourceError, open_engine
from sampling.engines.draw import FrameProblems
from survey.external_frames import draw_from_frame, frame_counts, server_frames
from survey.rounds import DrawResult
from ui.fmt import md
from ui.i18n import lang, t

STORE = "store"
SHOWN_PROBLEMS = 10


def frame_files() -> list[Path]:
    """The frame files the server offers (none when ``$SURVEY_FRAME_DIR`` is unset or empty)."""
    return server_frames(os.environ.get("SURVEY_FRAME_DIR"))


def choose(files: list[Path], stored_total: int) -> Path | None:
    """The frame source radio (shown only when the server has frame files): None for the imported list."""
    if not files:
        return None
    options = [STORE, *(str(p) for p in files)]
    choice = st.radio(
        t("draw_source"),
        options,
        key="draw_source",
        format_func=lambda o: (
            t("draw_source_store", n=f"{stored_total:,}")
            if o == STORE
            else t("draw_source_file", name=Path(o).name)
        ),
    )
    return None if choice == STORE else Path(choice)


def _stamp(path: Path) -> int:
    """Changes when the file (or a Parquet file of the folder) changes: the cached counts are then stale."""
    if path.is_dir():
        return max((p.stat().st_mtime_ns for p in path.rglob("*.parquet")), default=0)
    return path.stat().st_mtime_ns


@st.cache_data(max_entries=16, show_spinner=False)
def _counts(_db, path: str, stamp: int, strata: tuple, exclude_days: int | None, last_round: int):
    """N_h of the file per stratum (cached by file, its change stamp, the design and the last round drawn —
    a new round changes which customers were recently sampled); a FrameProblems or FrameSourceError (the file
    cannot be read) is returned, not raised."""
    try:
        with open_engine("duckdb", path) as engine:
            return frame_counts(_db, engine, strata, exclude_days=exclude_days)
    except (FrameProblems, FrameSourceError) as e:
        return e


def counts(
    db, path: Path, strata: tuple, exclude_days: int | None
) -> dict | FrameProblems | FrameSourceError:
    """``{stratum values: N_h}`` of the frame file for the live preview, or its problems, or why it cannot be
    read."""
    last_round = db.execute("SELECT COALESCE(MAX(id), 0) FROM rounds").fetchone()[0]
    return _counts(db, str(path), _stamp(path), tuple(strata), exclude_days, last_round)


def draw(db, path: Path, **design) -> DrawResult:
    """Draw the round from the file with DuckDB (raises FrameProblems, DrawError, NotPermitted)."""
    with open_engine("duckdb", str(path)) as engine:
        return draw_from_frame(db, engine, **design)


def show_problems(path: Path, e: FrameProblems | FrameSourceError) -> None:
    """The file's problems (file, row, column, value), as the import page lists an import's; or why the file
    cannot be read at all."""
    if isinstance(e, FrameSourceError):
        why = t(f"frame_unreadable_{e.reason}") + "\n\n" if e.reason else ""
        st.error(t("draw_source_unreadable", name=md(path.name)) + "\n\n" + why + md(e))
        return
    lines = [md(p.describe(lang())) for p in e.problems[:SHOWN_PROBLEMS]]
    shown = sum(p.count for p in e.problems[:SHOWN_PROBLEMS])
    more = t("draw_source_more", n=e.total - shown) if e.total > shown else ""
    text = t("draw_source_problems", name=md(path.name), n=e.total)
    st.error(text + "\n\n" + "\n".join(f"- {x}" for x in lines) + more)
