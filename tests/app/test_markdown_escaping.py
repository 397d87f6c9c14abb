"""Every user- or file-supplied string a page renders as markdown is escaped (issue 11, item 10).

A markdown image in a round name, a district, a customer id, a questionnaire's title and labels, or a region
scope would load an external image in a manager's browser. The sweep plants one payload in each of those
places, walks every page as an admin (and the customer form of a link), and checks that no markdown-rendered
text — markdown, captions, alerts, headers, widget labels and radio options — carries the payload unescaped.
"""

from __future__ import annotations

import pytest
import yaml

from survey.forms import import_questionnaire
from survey.store import open_db
from survey.tokens import make_token, secret_key
from survey.users import User
from ui.fmt import md

PAYLOAD = "![p](http://127.0.0.1:9/p.png)"
PAGES = ["dashboard", "suggestions", "follow_ups", "trends", "rounds", "frame", "fieldwork", "monitor",
         "questionnaires", "users", "audit"]  # fmt: skip


def _rendered(at) -> list[str]:
    """Every string of the page that Streamlit renders as markdown."""
    out: list[str] = []
    for kind in (
        "markdown",
        "caption",
        "info",
        "success",
        "warning",
        "error",
        "title",
        "header",
        "subheader",
    ):
        out += [str(e.value) for e in getattr(at, kind)]
    for kind in ("radio", "selectbox", "multiselect", "checkbox", "text_input", "text_area", "number_input",
                 "button", "toggle", "date_input"):  # fmt: skip
        for widget in getattr(at, kind):
            out.append(str(getattr(widget, "label", "")))
            if kind == "radio":
                out += [str(o) for o in widget.options]
    for exp in at.expander:
        out.append(str(exp.label))
    return out


@pytest.fixture
def planted(demo_target):
    db = open_db(demo_target)
    db.execute("UPDATE rounds SET name = name || ?", [" " + PAYLOAD])
    aid = db.execute(
        "SELECT id FROM assignments WHERE round_id = 2 AND is_reserve = 0 AND status = 'issued' ORDER BY id LIMIT 1"
    ).fetchone()[0]
    db.execute("UPDATE assignments SET district = ? WHERE round_id = 2", [PAYLOAD])
    with open("questionnaires/default.yaml", encoding="utf-8") as f:
        definition = yaml.safe_load(f)
    definition["version"] = "payload"
    definition["title"]["zh"] += PAYLOAD
    definition["description"]["zh"] += PAYLOAD
    definition["questions"][0]["label"]["zh"] += PAYLOAD
    for q in definition["questions"]:
        if q.get("choices"):
            q["choices"][0]["label"]["zh"] += PAYLOAD
            break
    qid = import_questionnaire(
        db, yaml.safe_dump(definition, allow_unicode=True).encode(), "payload.yaml"
    ).questionnaire_id
    db.execute("UPDATE rounds SET questionnaire_id = ? WHERE id = 2", [qid])
    token = make_token(secret_key(db), aid)
    db.conn.close()
    return token


@pytest.mark.parametrize("page", PAGES)
def test_no_page_renders_a_planted_markdown_image(store_app, planted, page):
    at = store_app(User("admin", "admin"))
    at.switch_page(f"app_pages/{page}.py").run()
    if page == "trends":
        at.checkbox(key="trend_open").check().run()  # round 2 is open: its name enters the change sentence
    assert not at.exception, at.exception
    texts = _rendered(at)
    raw = [text for text in texts if PAYLOAD in text]
    assert not raw, f"{page}: unescaped markdown {raw[:3]}"


def test_the_customer_form_renders_questionnaire_text_literally(store_app, planted):
    at = store_app(token=planted)
    assert not at.exception, at.exception
    texts = _rendered(at)
    assert not [text for text in texts if PAYLOAD in text]
    assert any(md(PAYLOAD) in text for text in texts), "the planted questionnaire text is not shown at all"


def test_the_sweep_can_fail(store_app, planted):
    """Without escaping the same page would show it: the round name reaches the trends sentence."""
    at = store_app(User("admin", "admin"))
    at.switch_page("app_pages/trends.py").run()
    at.checkbox(key="trend_open").check().run()
    assert any(md(PAYLOAD) in text for text in _rendered(at)), "the payload never reached a markdown element"
