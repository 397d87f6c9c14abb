"""Survey staff: design and draw a round, then download its invitation list."""

import pandas as pd
import streamlit as st

from survey.fieldwork import invitation_rows, invitations_csv
from survey.rounds import ALLOCATIONS, STRATUM_COLUMNS, DrawError, draw_round, eligible_counts, list_rounds
from survey.store import audit
from ui import session
from ui.i18n import t

db = session.db()
user = session.user()
st.title(t("rounds"))

st.subheader(t("draw_title"))
st.caption(t("frame_size", n=sum(eligible_counts(db, ()).values())))
with st.form("draw"):
    name = st.text_input(t("round_name"), key="draw_name")
    size = st.number_input(t("sample_size"), min_value=1, value=1000, step=100, key="draw_size")
    strata = st.multiselect(
        t("strata"), list(STRATUM_COLUMNS), default=["region", "customer_type"], key="draw_strata"
    )
    allocation = st.selectbox(
        t("allocation"), list(ALLOCATIONS), key="draw_allocation", format_func=lambda a: t(f"alloc_{a}")
    )
    reserve = st.number_input(t("reserve"), min_value=0, value=2, key="draw_reserve")
    go = st.form_submit_button(t("draw"), type="primary")
if go:
    try:
        result = draw_round(
            db,
            size=int(size),
            strata=tuple(strata),
            allocation=allocation,
            reserve=int(reserve),
            name=name.strip() or None,
            created_by=user.name,
        )
    except DrawError as e:
        st.error(str(e))
    else:
        st.session_state["inv_round"] = result.round_id  # show the new round's invitations below
        st.success(
            t("drawn", id=result.round_id, n=result.sample_size, r=result.reserve_size, k=len(result.strata))
        )

st.subheader(t("rounds_list"))
rounds = list_rounds(db)
if not rounds:
    st.info(t("no_rounds"))
    st.stop()
st.dataframe(pd.DataFrame(rounds), hide_index=True, width="stretch")

st.subheader(t("invitations"))
round_id = st.selectbox(
    t("pick_round"),
    [r["id"] for r in rounds],
    key="inv_round",
    format_func=lambda i: next(f"{r['id']} · {r['name']}" for r in rounds if r["id"] == i),
)
base_url = st.text_input(t("base_url"), value="http://localhost:8501/", key="inv_base_url")
rows = invitation_rows(db, round_id, base_url)


def _audit_export() -> None:
    audit(db, user.name, "export_invitations", f"round={round_id} rows={len(rows)}")


st.download_button(
    t("download_invitations"),
    invitations_csv(rows).encode("utf-8"),
    file_name=f"invitations-round-{round_id}.csv",
    mime="text/csv",
    on_click=_audit_export,
    key="inv_download",
)
