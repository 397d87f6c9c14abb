"""Customer page: answer the questionnaire behind a personal link (?t=<token>). No sign-in."""

import time

import streamlit as st

from questionnaires import AnswerError
from survey.busy import DatabaseBusy
from survey.fieldwork import TokenError, resolve_token, save_draft, submit_response
from survey.tokens import bad_token_delay
from ui import session
from ui.form import compact_header, phone_layout, render_questionnaire, show_problems
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
answers = render_questionnaire(info.questionnaire, draft=info.draft)
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
    except AnswerError as e:
        show_problems(e.problems, info.questionnaire)
    except TokenError:
        st.info(t("link_invalid"))
    except DatabaseBusy:  # nothing was stored; the answers stay on the page for another try
        st.warning(t("busy_retry"))
    else:
        st.session_state["submitted"] = token
        st.rerun()
