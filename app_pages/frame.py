"""Survey staff: upload a customer frame, map its columns (optional ones too) and its unknown regions / types
onto the region list, preview, see every problem and the import's impact, import all or nothing."""

import hashlib

import pandas as pd
import streamlit as st

from sampling.frame import CANONICAL_COLUMNS, REQUIRED_COLUMNS, problems_table
from sampling.frame_upload import (
    ENCODINGS,
    file_mapping,
    guess_mapping,
    is_xlsx,
    needs_mapping,
    peek,
    sheet_names,
)
from sampling.places import PlaceChoices
from survey.access import NotPermitted
from survey.frame_apply import ImportInProgress, pending_import
from survey.frame_import import import_frame, import_impact, read_import
from survey.frames import frame_overview
from survey.region_list import place_list
from ui import session
from ui.fmt import MISSING, md, place_label
from ui.frame_status import in_progress_message
from ui.i18n import lang, t

PREVIEW_ROWS = 10
SHOWN_PROBLEMS = 200

db = session.db()
user = session.user()
st.title(t("frame"))

NEW = "\u0000new"  # the value-mapping choice "add it as a new entry"
PARSED = "frame_parsed"  # {step: (inputs, result)}: each step of the latest upload, parsed once


def once(step: str, inputs: tuple, compute):
    """``compute()`` once per upload and inputs (file hash, encoding, sheet, mapping, …), kept in session
    state: a rerun (any widget on the page) does not parse the file again (a 200 MB CSV peaked at 2 GB on
    every rerun). One entry per step, so only the latest upload is held."""
    cache = st.session_state.setdefault(PARSED, {})
    if step not in cache or cache[step][0] != inputs:
        cache[step] = (inputs, compute())
    return cache[step][1]


def column_mapping(headers: tuple[str, ...], digest: str) -> dict[str, str | None] | None:
    """The column-mapping step, for every column (optional ones too): automatic guesses, editable.

    Returns read_frame's mapping, or None while the guesses are unchanged (then the aliases apply as usual).
    """
    if (
        st.session_state.get("frame_digest") != digest
    ):  # another file: its own guesses, not the last file's picks
        for c in CANONICAL_COLUMNS:
            st.session_state.pop(f"frame_map_{c}", None)
        st.session_state["frame_digest"] = digest
    guessed = guess_mapping(headers)
    unused = [h for h in headers if h and h not in guessed.values()]
    with st.expander(t("frame_mapping"), expanded=needs_mapping(headers) or bool(unused)):
        st.caption(t("frame_mapping_help") if needs_mapping(headers) else t("frame_mapping_all"))
        options = [None, *headers]
        cols = st.columns(3)
        selection = {
            c: cols[i % 3].selectbox(
                t(f"frame_col_{c}") + (t("frame_required") if c in REQUIRED_COLUMNS else ""),
                options, index=options.index(guessed[c]), key=f"frame_map_{c}",
                format_func=lambda h: t("frame_not_mapped") if h is None else h,
            )
            for i, c in enumerate(CANONICAL_COLUMNS)
        }  # fmt: skip
    unused = [h for h in headers if h and h not in selection.values()]
    if unused:
        st.info(t("frame_unmapped", cols=md("、".join(unused))))
    return None if selection == guessed else file_mapping(selection, headers)


def value_mapping(unknown) -> PlaceChoices | None:
    """The value-mapping step: each unknown region / type mapped onto the list or added, explicitly.

    Returns the choices once every value has one, else None.
    """
    st.markdown(f"**{t('frame_values')}**")
    st.caption(t("frame_values_help"))
    names = {kind: place_list(db).names(kind) for kind in ("region", "customer_type")}
    picked = {}
    for u in unknown:
        what = t(f"frame_what_{u.column}")
        options = [None, *names[u.column], *([NEW] if user.regions is None else [])]  # scoped: no new entries
        picked[(u.column, u.value)] = st.selectbox(
            u.describe(lang()), options, key=f"frame_value_{u.column}_{u.value}",
            format_func=lambda o, u=u, what=what: (t("frame_value_pick") if o is None else
                                                   t("frame_value_new", what=what, value=u.value) if o == NEW else o),
        )  # fmt: skip
    pending = sum(v is None for v in picked.values())
    if pending:
        waiting = [u.describe(lang()) for u in unknown if picked[(u.column, u.value)] is None]
        st.error(t("frame_values_pending", n=pending) + " " + md("；".join(waiting)))
        return None
    return PlaceChoices(
        {k: v for k, v in picked.items() if v != NEW}, tuple(k for k, v in picked.items() if v == NEW)
    )


def show_problems(result) -> None:
    table = problems_table(result, lang()).head(SHOWN_PROBLEMS)
    st.error(t("frame_problems", n=f"{result.problem_count:,}", k=len(table)))
    # a file-level problem (empty file, missing column) has no row
    table["row"] = [t("frame_whole_file") if r is pd.NA else str(r) for r in table["row"]]
    table["column"] = table["column"].map(lambda c: c if c else MISSING)
    table["value"] = table["value"].map(lambda v: MISSING if v is None or v != v or v == "" else str(v))
    table.columns = [t("col_row"), t("col_column"), t("col_value"), t("col_message")]
    # st.table wraps long messages (st.dataframe cut them at the column width); its cells are markdown, so
    # every value from the file is escaped
    st.table(table.map(md), hide_index=True, height=min(40 + 36 * len(table), 520), border="horizontal")


def impact_and_import(result, choices: PlaceChoices, digest: str, name: str) -> None:
    """The import's impact (added / updated / moved / deactivated), a confirmation before deactivating
    anyone, and the import button."""
    impact = import_impact(db, result.frame, scope=user.region)
    st.markdown(f"**{t('frame_impact')}**")
    cols = st.columns(4)
    for col, key in zip(cols, ("added", "updated", "moved", "deactivated"), strict=True):
        col.metric(t(f"frame_impact_{key}"), f"{getattr(impact, key):,}")
    st.caption(t("frame_impact_help"))
    if impact.moves:
        moves = pd.DataFrame(
            impact.moves, columns=[t("col_from_region"), t("col_to_region"), t("col_customers")]
        )
        st.dataframe(moves, hide_index=True, key="frame_moves")
    if choices.new:
        st.info(t("frame_new_entries", names=md("、".join(n for _, n in choices.new))))
    confirmed = True
    if impact.deactivated:
        confirmed = st.checkbox(
            t("frame_confirm_deactivate", n=f"{impact.deactivated:,}"),
            key=f"frame_confirm_deactivate_{digest}",
        )
    if st.button(t("frame_import"), type="primary", key="frame_import", disabled=not confirmed):
        if not confirmed:
            st.error(t("frame_deactivate_needed", n=f"{impact.deactivated:,}"))
            return
        bar = st.progress(0.0)
        try:
            summary = import_frame(
                db, result.frame, choices=choices, allow_deactivation=confirmed, source=name, by_user=user,
                progress=lambda f: bar.progress(min(f, 1.0)),
            )  # fmt: skip
        except NotPermitted as e:  # read_import already refused such a file; the store checks again
            st.error(t("not_permitted", e=md(e)))
            return
        except ImportInProgress as e:  # another staff member's import is still running
            st.error(in_progress_message(e.pending))
            return
        st.session_state.pop(PARSED, None)  # the stored frame changed: scope checks are read again
        st.success(t("frame_imported", added=f"{summary.added:,}", updated=f"{summary.updated:,}",
                     deactivated=f"{summary.deactivated:,}"))  # fmt: skip


if user.regions is not None:
    st.info(t("frame_scope_note", regions=md(user.region)))
if (running := pending_import(db)) is not None:
    st.warning(in_progress_message(running))
upload = st.file_uploader(t("frame_upload"), type=["csv", "txt", "xlsx"], key="frame_file")
if upload is None:
    st.session_state.pop(PARSED, None)
else:
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()[:16]
    xlsx = is_xlsx(data, upload.name)
    sheet = encoding = None
    if xlsx:
        names = once("sheets", (digest,), lambda: sheet_names(data))
        sheet = st.selectbox(t("frame_sheet"), names, key="frame_sheet") if names else None
    else:
        encoding = st.selectbox(
            t("frame_encoding"), list(ENCODINGS), key="frame_encoding",
            format_func=lambda e: t("encoding_auto") if e == "auto" else e.upper(),
        )  # fmt: skip
    head = once("peek", (digest, encoding, sheet), lambda: peek(
        data, upload.name, encoding=encoding or "auto", sheet=sheet, rows=PREVIEW_ROWS))  # fmt: skip
    mapping = column_mapping(head.headers, digest) if head.problem is None and head.headers else None
    if head.problem is None:
        st.markdown(f"**{t('frame_preview', n=PREVIEW_ROWS)}**")
        st.dataframe(head.rows, hide_index=True, width="stretch", key="frame_preview")
    options = dict(encoding=None if encoding in (None, "auto") else encoding, sheet=sheet, mapping=mapping,
                   filename=upload.name, scope=user.region)  # fmt: skip
    places = place_list(db)  # a changed list (another tab added a region) reads the file again
    result = once("read", (digest, options, places), lambda: read_import(db, data, **options))
    choices = PlaceChoices()
    if result.only_unknown_values:
        picked = value_mapping(result.unknown)
        if picked is not None:
            result = once("mapped", (digest, options, places, picked),
                          lambda: read_import(db, data, choices=picked, **options))  # fmt: skip
            choices = picked
    if result.ok:
        st.success(t("frame_valid", n=f"{len(result.frame):,}"))
        impact_and_import(result, choices, digest, upload.name)
    elif not result.only_unknown_values or choices:
        show_problems(result)

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
