"""While an import of the customer frame runs (its pending mark is set), the frame page says so, a draw is
refused in words, and the CLI answers in one line — in Chinese and English."""

from __future__ import annotations

import json
import os
import socket

import pytest
from click.testing import CliRunner

from survey.cli import cli
from survey.frame_apply import PENDING_KEY
from survey.store import now, open_db, set_setting
from survey.users import User

STAFF = User("staff", "staff")


@pytest.fixture
def running_import(demo_target):
    """A pending mark of a live process (this test's own pid): not stale, so everything waits for it."""
    db = open_db(demo_target)
    mark = {"batch": 99, "by": "李工", "started": now(), "heartbeat": now(), "pid": os.getpid(),
            "host": socket.gethostname()}  # fmt: skip
    set_setting(db, PENDING_KEY, json.dumps(mark))
    db.conn.close()
    return demo_target


def _messages(at) -> str:
    return "\n".join(str(e.value) for kind in ("warning", "error", "info") for e in getattr(at, kind))


@pytest.mark.parametrize(
    "lang, words", [("zh", "李工 正在导入客户名单"), ("en", "李工 is importing the customer frame")]
)
def test_the_frame_page_says_an_import_is_running(store_app, running_import, lang, words):
    at = store_app(STAFF, lang="zh")  # AppTest formats options in Chinese: open in zh, then switch once
    at.switch_page("app_pages/frame.py").run()
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception
    assert words in _messages(at)


def test_a_draw_waits_for_the_import_and_says_why(store_app, running_import):
    at = store_app(STAFF, lang="zh")
    at.switch_page("app_pages/rounds.py").run()
    before = open_db(running_import).execute("SELECT COUNT(*) FROM rounds").fetchone()[0]
    at.number_input(key="draw_size").set_value(200)
    at.button(key="draw_go").click().run()
    assert not at.exception
    assert "李工 正在导入客户名单" in _messages(at)
    assert open_db(running_import).execute("SELECT COUNT(*) FROM rounds").fetchone()[0] == before


def test_the_cli_answers_in_one_line(running_import):
    result = CliRunner().invoke(cli, ["draw", "--size", "200", "--db", str(running_import)])
    assert result.exit_code == 1
    assert "Error: an import of the customer frame by 李工 is running since" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
