"""Customer page: answer the questionnaire behind a personal link (?t=<token>). No sign-in."""

import streamlit as st

from questionnaires import AnswerError
from survey.fieldwork import TokenError, resolve_token, save_draft, submit_response
from ui import session
from ui.form import render_questionnaire, show_problems
from ui.i18n import label, language_switch, t

db = session.db()
token = st.query_params.get("t", "")
language_switch(st.container())

if st.session_state.get("submitted") == token and token:
    st.success(t("thanks_title"))
    st.write(t("thanks_body"))
    st.stop()

try:
    info = resolve_token(db, token)
except TokenError:
    st.info(t("link_invalid"))
    st.stop()

st.title(label(info.questionnaire.title))
st.caption(label(info.questionnaire.description) or t("respond_intro"))
answers = render_questionnaire(info.questionnaire, draft=info.draft)
if answers and answers != info.draft:
    try:
        save_draft(db, token, answers)
    except TokenError:
        pass

if st.button(t("submit"), type="primary", width="stretch"):
    try:
        submit_response(db, token, answers, mode="web")
    except AnswerError as e:
        show_problems(e.problems, info.questionnaire)
    except TokenError:
        st.info(t("link_invalid"))
    else:
        st.session_state["submitted"] = token
        st.rerun()
