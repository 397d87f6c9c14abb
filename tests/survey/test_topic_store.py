"""Topic models in the store: numbered versions, a closed round's frozen classification, explicit
reclassification, staff corrections (override, audit, scope, training rows), dictionary-only mode.

Models here are trained on the small fixture corpus (``SURVEY_TOPIC_CORPUS``), so each training takes
seconds; quality is tested on the shipped corpus in tests/analysis/test_topic_model.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from survey.access import NotPermitted
from survey.auditing import audit_entries
from survey.topic_classification import classify_round, reclassify_round, round_classification, topic_summary
from survey.topic_corrections import CorrectionError, correct_suggestion, correction_rows, corrections_frame
from survey.topic_models import current_model, list_models, model_info, train_and_store
from survey.users import User

pytestmark = pytest.mark.demo_on_postgresql  # demo_db runs on both backends

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis"))
from topic_fixture import write_fixture_corpus  # noqa: E402

ADMIN = User("admin", "admin")
MANAGER = User("manager", "manager")


@pytest.fixture
def fixture_corpus(tmp_path, monkeypatch):
    folder = write_fixture_corpus(tmp_path / "corpus")
    monkeypatch.setenv("SURVEY_TOPIC_CORPUS", str(folder))
    return folder


def _versions(db, round_id: int) -> set[str]:
    return set(
        db.execute("SELECT model_version FROM suggestion_topics WHERE round_id = ?", [round_id]).fetchall()
    )


def _statuses(db) -> dict[int, str]:
    return dict(db.execute("SELECT id, status FROM rounds").fetchall())


def test_versions_are_numbered_audited_and_current(demo_db, fixture_corpus):
    assert list_models(demo_db).empty
    first, result = train_and_store(demo_db, user=ADMIN, evaluate=False)
    second, _ = train_and_store(demo_db, user=None, evaluate=False)
    assert (first.version, second.version) == ("v1", "v2")
    assert model_info(demo_db).version == "v2" and current_model(demo_db).version == "v2"
    versions = list_models(demo_db)
    assert list(versions["version"]) == ["v2", "v1"] and versions["held_out_f1"].notna().all()
    assert (
        first.data_hash == result.data_hash and first.created_by == "admin" and first.held_out_f1 is not None
    )
    audited = audit_entries(demo_db, action="topic_model_train")
    assert len(audited) == 2 and "version=v1" in audited["detail"].iloc[-1]
    with pytest.raises(NotPermitted):
        train_and_store(demo_db, user=MANAGER, evaluate=False)


def test_closed_round_keeps_its_classification_until_reclassified(demo_db, fixture_corpus):
    statuses = _statuses(demo_db)
    closed = next(r for r, s in statuses.items() if s == "closed")
    open_ = next(r for r, s in statuses.items() if s == "open")
    classify_round(demo_db, closed)
    classify_round(demo_db, open_)
    before = _versions(demo_db, closed)
    published = topic_summary(demo_db, closed)
    assert before and ("v1",) not in before
    train_and_store(demo_db, user=ADMIN, evaluate=False)
    round_classification(demo_db, closed)
    round_classification(demo_db, open_)
    assert _versions(demo_db, closed) == before  # frozen
    assert topic_summary(demo_db, closed).equals(published)
    assert _versions(demo_db, open_) == {("v1",)}  # open rounds follow the current model
    with pytest.raises(NotPermitted):
        reclassify_round(demo_db, closed, user=User("staff", "staff"))
    with pytest.raises(NotPermitted):
        reclassify_round(demo_db, closed, user=User("m_qz", "manager", "泉州"))
    n = reclassify_round(demo_db, closed, user=MANAGER)
    assert n > 0 and _versions(demo_db, closed) == {("v1",)}
    assert "version=v1" in audit_entries(demo_db, action="topics_reclassify")["detail"].iloc[0]


def _a_suggestion(db, round_id: int, *, without_topic: str) -> tuple[int, str]:
    frame = round_classification(db, round_id)
    row = frame[
        frame["prediction"].map(lambda p: without_topic not in p.topic_keys and not p.complaint)
    ].iloc[0]
    return int(row["response_id"]), row["region"]


def test_a_correction_overrides_the_counts_is_audited_and_trains(demo_db, fixture_corpus):
    closed = next(r for r, s in _statuses(demo_db).items() if s == "closed")
    rid, region = _a_suggestion(demo_db, closed, without_topic="billing")

    def billing() -> tuple[int, int]:
        s = topic_summary(demo_db, closed)
        row = s[s["topic"] == "billing"].iloc[0]
        return int(row["complaints"]), int(s[s["topic"] == "_complaint"]["count"].iloc[0])

    complaints, texts = billing()
    follow_ups = demo_db.execute("SELECT COUNT(*) FROM follow_ups WHERE response_id = ?", [rid]).fetchone()[0]
    correct_suggestion(
        demo_db, rid, {"billing": "complaint"}, complaint=True, praise=False, user=User("staff", "staff")
    )
    assert billing() == (complaints + 1, texts + 1)
    shown = round_classification(demo_db, closed).set_index("response_id").loc[rid]
    assert shown["corrected_by"] == "staff" and shown["prediction"].topics[0].corrected
    assert audit_entries(demo_db, action="topic_correction")["detail"].iloc[0].startswith(f"response={rid}")
    opened = demo_db.execute(
        "SELECT COUNT(*), MAX(reason) FROM follow_ups WHERE response_id = ?", [rid]
    ).fetchone()
    assert opened[0] == 1 and (
        follow_ups or opened[1] == "complaint:billing"
    )  # a complaint gets its call back
    with pytest.raises(CorrectionError, match="complaint must be True"):
        correct_suggestion(demo_db, rid, "billing:complaint", complaint=False, praise=False, user=MANAGER)
    rows = correction_rows(demo_db)
    assert len(rows) == 1 and rows[0].labels == (("billing", "complaint"),) and rows[0].complaint
    info, result = train_and_store(demo_db, user=ADMIN, evaluate=False)
    assert result.n_corrections == 1 and info.n_corrections == 1


def test_a_scoped_account_corrects_only_its_regions(demo_db, fixture_corpus):
    closed = next(r for r, s in _statuses(demo_db).items() if s == "closed")
    rid, region = _a_suggestion(demo_db, closed, without_topic="repair")
    other = next(r for (r,) in demo_db.execute("SELECT DISTINCT region FROM assignments") if r != region)
    with pytest.raises(CorrectionError, match="scope"):
        correct_suggestion(demo_db, rid, {"repair": "complaint"}, complaint=True, praise=False,
                           user=User("m_other", "manager", other))  # fmt: skip
    assert corrections_frame(demo_db).empty
    correct_suggestion(demo_db, rid, {"repair": "praise"}, complaint=False, praise=True,
                       user=User("m_local", "manager", region))  # fmt: skip
    assert list(corrections_frame(demo_db, scope=region)["response_id"]) == [rid]
    assert corrections_frame(demo_db, scope=other).empty


def test_dictionary_only_mode(demo_db, monkeypatch):
    monkeypatch.setenv("SURVEY_TOPIC_MODEL", "dictionary")
    assert current_model(demo_db) is None and model_info(demo_db).kind == "dictionary"
    open_ = next(r for r, s in _statuses(demo_db).items() if s == "open")
    frame = round_classification(demo_db, open_)
    assert set(frame["model_version"]) == {"dictionary"}
    summary = topic_summary(demo_db, open_, classification=frame)
    assert summary["count"].sum() > 0
