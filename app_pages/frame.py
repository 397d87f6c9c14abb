"""Survey staff: upload a customer frame, map columns, preview, see every problem, import all or nothing."""

import pandas as pd
import streamlit as st

from sampling.frame import CANONICAL_COLUMNS, REQUIRED_COLUMNS, problems_table, read_frame
from sampling.frame_upload import (
    ENCODINGS,
    file_mapping,
    guess_mapping,
    is_xlsx,
    needs_mapping,
    peek,
    sheet_names,
)
from survey.frames import frame_overview, store_frame
from ui import session
from ui.fmt import MISSING, place_label
from ui.i18n import lang, t

PREVIEW_ROWS = 10
SHOWN_PROBLEMS = 200

db = session.db()
user = session.user()
st.title(t("frame"))

upload = st.file_uploader(t("frame_upload"), type=["csv", "txt", "xlsx"], key="frame_file")
if upload is not None:
    data = upload.getvalue()
    xlsx = is_xlsx(data, upload.name)
    sheet = encoding = None
    if xlsx:
        names = sheet_names(data)
        sheet = st.selectbox(t("frame_sheet"), names, key="frame_sheet") if names else None
    else:
        encoding = st.selectbox(
            t("frame_encoding"), list(ENCODINGS), key="frame_encoding",
            format_func=lambda e: t("encoding_auto") if e == "auto" else e.upper(),
        )  # fmt: skip
    head = peek(data, upload.name, encoding=encoding or "auto", sheet=sheet, rows=PREVIEW_ROWS)
    mapping = None
    if head.problem is None and needs_mapping(head.headers):
        st.markdown(f"**{t('frame_mapping')}**")
        st.caption(t("frame_mapping_help"))
        guessed = guess_mapping(head.headers)
        options = [None, *head.headers]
        cols = st.columns(3)
        selection = {
            c: cols[i % 3].selectbox(
                t(f"frame_col_{c}") + (t("frame_required") if c in REQUIRED_COLUMNS else ""),
                options, index=options.index(guessed[c]), key=f"frame_map_{c}",
                format_func=lambda h: t("frame_not_mapped") if h is None else h,
            )
            for i, c in enumerate(CANONICAL_COLUMNS)
        }  # fmt: skip
        mapping = file_mapping(selection, head.headers)
    if head.problem is None:
        st.markdown(f"**{t('frame_preview', n=PREVIEW_ROWS)}**")
        st.dataframe(head.rows, hide_index=True, width="stretch", key="frame_preview")
    result = read_frame(data, encoding=None if encoding in (None, "auto") else encoding, sheet=sheet,
                        mapping=mapping, filename=upload.name)  # fmt: skip
    if not result.ok:
        table = problems_table(result, lang()).head(SHOWN_PROBLEMS)
        st.error(t("frame_problems", n=f"{result.problem_count:,}", k=len(table)))
        # a file-level problem (empty file, missing column) has no row
        table["row"] = [t("frame_whole_file") if r is pd.NA else str(r) for r in table["row"]]
        table["column"] = table["column"].map(lambda c: c if c else MISSING)
        table["value"] = table["value"].map(lambda v: MISSING if v is None or v != v or v == "" else str(v))
        table.columns = [t("col_row"), t("col_column"), t("col_value"), t("col_message")]
        st.dataframe(table, hide_index=True, width="stretch", key="frame_problems")
    else:
        st.success(t("frame_valid", n=f"{len(result.frame):,}"))
        if st.button(t("frame_import"), type="primary", key="frame_import"):
            bar = st.progress(0.0)
            summary = store_frame(
                db,
                result.frame,
                by=user.name,
                source=upload.name,
                progress=lambda f: bar.progress(min(f, 1.0)),
            )
            st.success(t("frame_imported", added=f"{summary.added:,}", updated=f"{summary.updated:,}",
                         deactivated=f"{summary.deactivated:,}"))  # fmt: skip

st.subheader(t("frame_current"))
overview = frame_overview(db, region=user.region)
st.caption(
    t(
        "frame_total",
        n=f"{int(overview['customers'].sum()):,}",
        r=overview["region"].nunique(),
        k=len(overview),
    )
)
overview[["region", "customer_type"]] = overview[["region", "customer_type"]].map(
    lambda v: place_label(v, lang())
)
overview.columns = [t("col_domain"), t("col_customer_type"), t("col_customers")]
st.dataframe(overview, hide_index=True, width="stretch", key="frame_overview")
