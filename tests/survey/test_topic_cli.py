"""The topic commands: train-topics [--evaluate] prints the scores tables and stores a version,
topic-models lists versions, reclassify-topics asks for confirmation and is audited (on both store backends)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from survey.cli import cli
from survey.store import open_db
from survey.users import create_user

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis"))
from topic_fixture import write_fixture_corpus  # noqa: E402


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("SURVEY_TOPIC_CORPUS", str(write_fixture_corpus(tmp_path / "corpus")))
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke


def test_train_topics_prints_the_tables_and_stores_a_version(run, database_target):
    db_path = database_target
    open_db(db_path).conn.close()
    result = run("train-topics", "--db", db_path, "--evaluate")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("stored topic model v1:")
    for title in (
        "held-out split: model",
        "held-out split: dictionary alone",
        "5-fold CV on the training split",
    ):
        assert title in out
    cv = out.split("5-fold CV on the training split: model")[1]
    assert "topic:polarity" in cv and "complaint" in cv  # the whole pipeline, refitted per fold
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith("micro")}
    assert rows and all(0 <= float(v) <= 1 for v in rows["micro"][:3])
    db = open_db(db_path)
    assert db.execute("SELECT version, created_by FROM topic_models").fetchall() == [(1, None)]
    assert db.execute("""SELECT "user" FROM audit_log WHERE action = 'topic_model_train'""").fetchall() == [
        ("cli",)
    ]
    listed = run("topic-models", "--db", db_path).output.splitlines()
    assert listed[0].startswith("v1\t") and listed[-1] == "current: v1"


def test_train_topics_is_for_admins(run, database_target):
    db_path = database_target
    create_user(open_db(db_path), "boss", "manager", "manager-pass-123")
    result = CliRunner().invoke(cli, ["train-topics", "--db", str(db_path), "--as-user", "boss"])
    assert result.exit_code == 1 and "for admins" in result.output
    assert open_db(db_path).execute("SELECT COUNT(*) FROM topic_models").fetchone()[0] == 0


def test_reclassify_topics_confirms_and_audits(run, demo_target):
    db = open_db(demo_target)
    closed = db.execute("SELECT id FROM rounds WHERE status = 'closed'").fetchone()[0]
    assert run("train-topics", "--db", demo_target).exit_code == 0
    refused = CliRunner().invoke(
        cli, ["reclassify-topics", "--db", str(demo_target), "--round", str(closed)], input="n\n"
    )
    assert refused.exit_code == 1 and db.execute(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'topics_reclassify'").fetchone()[0] == 0  # fmt: skip
    done = run("reclassify-topics", "--db", demo_target, "--round", closed, "--yes")
    assert done.exit_code == 0 and "classified by v1" in done.output
    versions = db.execute(
        "SELECT DISTINCT model_version FROM suggestion_topics WHERE round_id = ?", [closed]
    ).fetchall()
    assert versions == [("v1",)]
