"""Customer page: answer the questionnaire behind a personal link (?t=<token>). No sign-in."""

import time

import streamlit as st

from questionnaires import AnswerError
from survey.busy import DatabaseBusy
from survey.fieldwork import TokenError, resolve_token, save_draft, submit_response
from survey.tokens import bad_token_delay
from ui import session
from ui.form import (
    compact_header,
    phone_layout,
    problem_messages,
    problems_now,
    render_questionnaire,
    scroll_to_first_problem,
    widget_key,
)
from ui.i18n import label, t

db = session.db()
token = st.query_params.get("t", "")
phone_layout()

if st.session_state.get("submitted") == token and token:
    st.success(t("thanks_title"))
    st.write(t("thanks_body"))
    st.stop()

try:
    info = resolve_token(db, token)
except TokenError:
    # One message for unknown, forged, used, expired and closed links: it reveals nothing about
    # which links exist. Repeated bad links from one session are answered ever more slowly.
    st.session_state["bad_tokens"] = st.session_state.get("bad_tokens", 0) + 1
    time.sleep(bad_token_delay(st.session_state["bad_tokens"]))
    st.info(t("link_invalid"))
    st.stop()

compact_header(label(info.questionnaire.title), label(info.questionnaire.description) or t("respond_intro"))
if st.session_state.setdefault(f"resumed_{token}", bool(info.draft)):
    st.caption(t("resume_note"))  # the link was reopened with answers saved earlier


def _current_answers(info) -> dict:
    """The answers as the widgets hold them before this run draws them (else the saved draft)."""
    out = dict(info.draft or {})
    for q in info.questionnaire.questions:
        key = widget_key(q.id)
        if key in st.session_state:
            value = st.session_state[key]
            if value is None or value == [] or value == "":
                out.pop(q.id, None)
            else:
                out[q.id] = value
    return out


flagged = st.session_state.get(f"problems_{token}")  # set by a refused submit: shown at each question
if flagged:
    st.session_state[f"problems_{token}"] = flagged = problems_now(info.questionnaire, _current_answers(info))
if flagged:
    st.error(t("fix_answers_inline", n=len(flagged)))
answers = render_questionnaire(info.questionnaire, draft=info.draft, problems=flagged or None)
if flagged and st.session_state.pop(f"scroll_{token}", False):
    scroll_to_first_problem()
if answers and answers != info.draft:
    try:
        save_draft(db, token, answers)
    except TokenError:
        pass
    except DatabaseBusy:  # another process holds the write lock: the answers stay in the widgets
        st.caption(t("busy_draft"))

if st.button(t("submit"), type="primary", width="stretch", key="submit"):
    try:
        submit_response(db, token, answers, mode="web")
    except AnswerError as e:  # redrawn with each message under its question, scrolled to the first one
        st.session_state[f"problems_{token}"] = problem_messages(e.problems, info.questionnaire)
        st.session_state[f"scroll_{token}"] = True
        st.rerun()
    except TokenError:
        st.info(t("link_invalid"))
    except DatabaseBusy:  # nothing was stored; the answers stay on the page for another try
        st.warning(t("busy_retry"))
    else:
        st.session_state["submitted"] = token
        st.rerun()
