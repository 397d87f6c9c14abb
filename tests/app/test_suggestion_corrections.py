"""AppTests of 意见建议 with the topic model: a correction changes the counts at once (and is audited and
shown as corrected), a scoped manager sees and corrects only their region, admins retrain and reclassify
a closed round, both languages."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from survey.auditing import audit_entries
from survey.store import open_db
from survey.topic_classification import round_classification
from survey.users import User, create_user

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis"))
from topic_fixture import write_fixture_corpus  # noqa: E402

MANAGER = User("manager", "manager")
ADMIN = User("admin", "admin")


def _page(store_app, user=MANAGER, lang="zh"):
    at = store_app(user, lang=lang)
    at.switch_page("app_pages/suggestions.py").run()
    assert not at.exception, at.exception
    return at


def _complaints(at, label: str) -> int:
    counts = at.dataframe[0].value  # the counts table
    column = "投诉" if "投诉" in counts.columns else "Complaints"
    topic = "主题" if "主题" in counts.columns else "Topic"
    return int(counts.loc[counts[topic] == label, column].sum())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_correction_changes_the_counts_at_once(store_app, demo_target, lang):
    at = _page(store_app, lang=lang)
    round_id = at.selectbox(key="sugg_round").value
    db = open_db(demo_target)
    frame = round_classification(db, round_id)
    target = frame[frame["prediction"].map(lambda p: "billing" not in p.topic_keys)]
    options = _ids(at)
    rid = next(int(r) for r in target["response_id"] if r in options)
    label = "电费与电价" if lang == "zh" else "Billing & tariff"
    before = _complaints(at, label)
    at.selectbox(key="tm_correct_pick").set_value(rid).run()
    for polarity in ("praise", "neutral"):
        at.multiselect(key=f"tm_correct_{polarity}_{rid}").set_value([])
    at.multiselect(key=f"tm_correct_complaint_{rid}").set_value(["billing"])
    at.checkbox(key=f"tm_correct_c_{rid}").check()
    at.checkbox(key=f"tm_correct_p_{rid}").uncheck()
    at.button(key=f"tm_correct_save_{rid}").click().run()
    assert not at.exception, at.exception
    assert _complaints(at, label) == before + 1
    assert any(("已保存更正" if lang == "zh" else "Correction saved") in s.value for s in at.success)
    stored = db.execute("SELECT labels, complaint, corrected_by FROM topic_corrections WHERE response_id = ?",
                        [rid]).fetchone()  # fmt: skip
    assert stored == ("billing:complaint", 1, "manager")
    assert f"response={rid}" in audit_entries(db, action="topic_correction")["detail"].iloc[0]
    examples = at.dataframe[1].value  # the examples
    assert examples.astype(str).apply(lambda c: c.str.contains("✎")).any().any()


def test_a_scoped_manager_sees_and_corrects_only_their_region(store_app, demo_target):
    db = open_db(demo_target)
    region = db.execute(
        "SELECT region FROM assignments GROUP BY region ORDER BY COUNT(*) DESC LIMIT 1"
    ).fetchone()[0]
    create_user(db, "m_local", "manager", "local-pass-123", region=region)
    at = _page(store_app, User("m_local", "manager", region))
    round_id = at.selectbox(key="sugg_round").value
    frame = round_classification(db, round_id)
    allowed = set(frame.loc[frame["region"] == region, "response_id"])
    options = set(_ids(at))
    assert options and options <= allowed
    assert set(at.selectbox(key="sugg_region").options) == {"全部", region}  # the region list is the scope


def test_admin_retrains_and_reclassifies_a_closed_round(store_app, demo_target, tmp_path, monkeypatch):
    at = _page(store_app, ADMIN)
    assert not _has(at, f"tm_reclassify_{at.selectbox(key='sugg_round').value}")  # nothing newer yet
    monkeypatch.setenv(
        "SURVEY_TOPIC_CORPUS", str(write_fixture_corpus(tmp_path / "corpus"))
    )  # a fast training
    at.button(key="tm_retrain").click().run()
    assert not at.exception, at.exception
    assert any("v1" in s.value for s in at.success)
    assert list(at.dataframe[-1].value.iloc[:, 0]) == ["v1"]
    round_id = at.selectbox(key="sugg_round").value
    assert any(
        "v1" in c.value for c in at.caption
    )  # the closed round says it is frozen, the current model is v1
    button = at.button(key=f"tm_reclassify_{round_id}")
    assert button.disabled  # confirmation first
    at.checkbox(key=f"tm_reclassify_sure_{round_id}").check().run()
    at.button(key=f"tm_reclassify_{round_id}").click().run()
    assert not at.exception, at.exception
    db = open_db(demo_target)
    versions = {
        v for (v,) in db.execute("SELECT model_version FROM suggestion_topics WHERE round_id = ?", [round_id])
    }
    assert versions == {"v1"}
    assert len(audit_entries(db, action="topics_reclassify")) == 1
    assert any("v1" in c.value and "F1" in c.value for c in at.caption)


def test_a_manager_has_no_retrain_button(store_app):
    at = _page(store_app)
    assert not _has(at, "tm_retrain") and _has(
        at, f"tm_correct_save_{at.selectbox(key='tm_correct_pick').value}"
    )


def _ids(at) -> list[int]:
    """Response ids offered for correction (options read "123 · text")."""
    return [int(o.split(" · ")[0]) for o in at.selectbox(key="tm_correct_pick").options]


def _has(at, key: str) -> bool:
    return any(b.key == key for b in at.button)


@pytest.mark.parametrize("user, path_shown", [(MANAGER, False), (ADMIN, True)])
def test_new_terms_name_the_dictionary_file_to_administrators_only(store_app, monkeypatch, user, path_shown):
    """Issue 12, item 10: a manager's page does not mention analysis/data/topics.yaml; the new-terms section says
    whom to ask, and an administrator sees the file (the section drawn whatever the model found uncovered)."""
    import pandas as pd

    import analysis.suggestions

    monkeypatch.setattr(
        analysis.suggestions, "top_terms", lambda texts, n=15: pd.DataFrame({"term": ["跳匝"], "count": [3]})
    )
    at = _page(store_app, user)
    texts = "\n".join(str(c.value) for c in at.caption) + "\n".join(str(m.value) for m in at.markdown)
    assert "系统管理员把其中有意义的词加入主题词典" in texts
    assert ("analysis/data/topics.yaml" in texts) is path_shown
    if path_shown:
        assert "`analysis/data/topics.yaml`" in texts  # a code span: a file name, not UI text
