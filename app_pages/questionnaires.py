"""Survey staff: questionnaire versions — list, upload (YAML / XLSForm) with validation, download, preview."""

import pandas as pd
import streamlit as st

from questionnaires import QuestionnaireError, load_default
from survey.forms import get_questionnaire, import_questionnaire, list_questionnaires, xlsform_bytes
from ui import session
from ui.fmt import MISSING, local_time, md
from ui.form import render_questionnaire
from ui.i18n import label, t

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

db = session.db()
user = session.user()
st.title(t("questionnaires"))

for kind, message in st.session_state.pop("qn_flash", []):
    getattr(st, kind)(message)

st.subheader(t("qn_versions"))
versions = list_questionnaires(db)
st.dataframe(
    pd.DataFrame(
        {
            t("qn_col_id"): [v.id for v in versions],
            t("qn_col_name"): [label(get_questionnaire(db, v.id).title) or v.name for v in versions],
            t("qn_col_code"): [v.name for v in versions],
            t("qn_col_version"): [v.version for v in versions],
            t("qn_col_questions"): [v.questions for v in versions],
            t("qn_col_rounds"): [", ".join(map(str, v.rounds)) or MISSING for v in versions],
            t("qn_col_created"): [local_time(v.created_at) for v in versions],
            t("qn_col_sha"): [v.sha256[:12] for v in versions],
        }
    ),
    hide_index=True,
    width="stretch",
    key="qn_versions",
)

st.subheader(t("qn_upload"))
upload = st.file_uploader(
    t("qn_upload"), type=["yaml", "yml", "xlsx"], key="qn_upload", label_visibility="collapsed"
)
if st.button(t("qn_import"), type="primary", disabled=upload is None, key="qn_import"):
    try:
        result = import_questionnaire(db, upload.getvalue(), upload.name, by=user.name)
    except QuestionnaireError as e:
        st.error(t("qn_invalid"))
        st.code(str(e), language=None)  # names the file, the question and the problem
    else:
        sha = result.questionnaire.sha256()[:12]
        message = t("qn_stored" if result.created else "qn_exists", id=result.questionnaire_id, sha=sha)
        st.session_state["qn_flash"] = [("success" if result.created else "info", message)]
        st.session_state["qn_preview"] = result.questionnaire_id
        st.rerun()

st.download_button(
    t("qn_download_default"),
    xlsform_bytes(load_default()),
    file_name=f"{load_default().id}-v{load_default().version}.xlsx",
    mime=XLSX,
    key="qn_download_default",
)

st.subheader(t("qn_preview"))
by_id = {v.id: v for v in list_questionnaires(db)}
if not by_id:  # a new installation
    st.info(t("qn_none"))
    st.stop()
preview_id = st.selectbox(
    t("qn_preview_pick"),
    list(by_id),
    key="qn_preview",
    format_func=lambda i: f"#{i} · {by_id[i].name} v{by_id[i].version} · {by_id[i].sha256[:12]}",
)
questionnaire = get_questionnaire(db, preview_id)
st.caption(t("qn_preview_note"))
with st.container(border=True):
    st.markdown(f"**{md(label(questionnaire.title))}**")
    render_questionnaire(questionnaire, prefix=f"pv{preview_id}")
