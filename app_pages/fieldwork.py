"""Survey staff: phone interviews (电话回访) — work through the call list of an open round."""

from datetime import datetime, time, timedelta

import pandas as pd
import streamlit as st

from questionnaires import AnswerError
from survey.busy import DatabaseBusy
from survey.calls import (
    CALL_OUTCOMES,
    OUTCOMES,
    CallError,
    NoReserve,
    call_history,
    call_list,
    call_queue,
    complete_by_phone,
    interview_draft,
    open_contact,
    record_call,
    release_reserve,
    save_interview_draft,
    stratum_completion,
)
from survey.fieldwork import INELIGIBLE_STATUSES, TokenError
from survey.forms import round_questionnaire
from survey.rounds import list_rounds
from survey.store import audit
from ui import session
from ui.fmt import MISSING, local_times, local_zone, md, place_label
from ui.form import render_questionnaire, show_problems
from ui.i18n import lang, t

STATUSES = ("issued", "started", *CALL_OUTCOMES, "complete")

db = session.db()
user = session.user()
st.title(t("fieldwork"))

rounds = [r for r in list_rounds(db) if r["status"] == "open"]
if not rounds:
    st.info(t("fw_no_open_round"))
    st.stop()
round_id = st.selectbox(
    t("fw_round"),
    [r["id"] for r in rounds],
    key="fw_round",
    format_func=lambda i: next(
        t("fw_round_option", id=r["id"], name=r["name"]) for r in rounds if r["id"] == i
    ),
)
strata = sorted({r["stratum"] for r in call_list(db, round_id, region=user.region)})
c1, c2 = st.columns(2)
stratum_names = {None: t("fw_all"), **{s: place_label(s, lang()) for s in strata}}  # format_func: no session
stratum = c1.selectbox(t("fw_stratum"), [None, *strata], key="fw_stratum", format_func=stratum_names.get)
status = c2.selectbox(
    t("fw_status"),
    [None, *STATUSES],
    key="fw_status",
    format_func=lambda s: t(f"outcome_{s}") if s else t("fw_all"),
)
now_local = datetime.now(local_zone()).replace(tzinfo=None).isoformat(timespec="seconds")
rows = call_queue(call_list(db, round_id, stratum=stratum, status=status, region=user.region), now_local=now_local,
                  completion=stratum_completion(db, round_id))  # the order to call in  # fmt: skip
listing = (round_id, stratum, status)
if (
    rows and st.session_state.get("fw_list_audited") != listing
):  # full names and phones shown: audit once per view
    audit(
        db,
        user.name,
        "view_call_list",
        f"round={round_id} stratum={stratum or '*'} status={status or '*'} rows={len(rows)}",
    )
    st.session_state["fw_list_audited"] = listing
st.subheader(t("fw_list", n=len(rows)))
if not rows:
    st.info(t("fw_empty"))
    st.stop()
table = pd.DataFrame(rows)
table["status"] = table["status"].map(lambda s: t(f"outcome_{s}"))
table["stratum"] = table["stratum"].map(stratum_names.get)
for column in ("last_call_at", "callback_at"):  # calls are stored in UTC, a typed-in callback as local time
    table[column] = local_times(table[column])
st.dataframe(
    table[
        ["customer_id", "name", "phone", "stratum", "status", "attempts", "last_call_at", "callback_at"]
    ].rename(
        columns={
            "customer_id": t("fw_col_customer"),
            "name": t("col_name"),
            "phone": t("col_phone"),
            "stratum": t("fw_stratum"),
            "status": t("col_status"),
            "attempts": t("col_attempts"),
            "last_call_at": t("fw_col_last_call"),
            "callback_at": t("col_callback"),
        }
    ),  # fmt: skip
    hide_index=True,
    width="stretch",
    height=240,
)

by_id = {r["assignment_id"]: r for r in rows}
# the customer being called is in the address (?call=…): a reload or a new tab comes back to them
asked = st.query_params.get("call", "")
if "fw_assignment" not in st.session_state and asked.isdigit() and int(asked) in by_id:
    st.session_state["fw_assignment"] = int(asked)
# the queue's head is preselected: after each save the page moves on to the next customer to call
assignment_id = st.selectbox(
    t("fw_customer"),
    list(by_id),
    key="fw_assignment",
    format_func=lambda a: f"{by_id[a]['name']} · {by_id[a]['phone']} · {t('outcome_' + by_id[a]['status'])}",
)
st.caption(t("fw_queue_note"))
st.query_params["call"] = str(assignment_id)
if st.session_state.get("fw_opened", {}).get("assignment_id") != assignment_id:  # audit each opening once
    st.session_state["fw_opened"] = open_contact(db, assignment_id, by=user.name, region=user.region)
contact = st.session_state["fw_opened"]

st.subheader(t("fw_contact"))
st.text(f"{contact['name']}  ☎ {contact['phone']}")
st.caption(
    t("fw_contact_line", customer=md(contact["customer_id"]), region=md(place_label(contact["region"], lang())),
      district=md(contact["district"] or ""), customer_type=md(place_label(contact["customer_type"], lang())))
)  # fmt: skip
history = call_history(db, assignment_id)
with st.expander(f"{t('fw_history')} ({len(history)})", expanded=bool(history)):
    if history:
        calls = pd.DataFrame(history)
        calls["at"], calls["callback_at"] = local_times(calls["at"]), local_times(calls["callback_at"])
        calls["outcome"] = calls["outcome"].map(lambda o: t(f"outcome_{o}"))
        calls["note"] = calls["note"].fillna(MISSING)
        st.dataframe(
            calls.rename(
                columns={
                    "at": t("fw_col_called_at"),
                    "interviewer": t("fw_col_interviewer"),
                    "outcome": t("fw_col_outcome"),
                    "callback_at": t("col_callback"),
                    "note": t("fw_note"),
                }
            ),  # fmt: skip
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption(t("fw_no_calls"))

for kind, message in st.session_state.pop("fw_flash", []):
    getattr(st, kind)(message)

if by_id[assignment_id]["status"] == "complete":
    st.stop()
# every widget below is keyed by the unit it records: nothing typed for one customer is saved onto the next
k = assignment_id
outcome = st.radio(
    t("fw_outcome"),
    list(OUTCOMES),
    index=None,  # chosen explicitly, after the call
    key=f"fw_outcome_{k}",
    horizontal=True,
    format_func=lambda o: t(f"outcome_{o}"),
)
draft = interview_draft(db, assignment_id)
if outcome is None:
    st.caption(t("fw_choose_outcome"))
    if draft:
        st.info(t("fw_draft_waiting", n=len(draft)))
    st.stop()


def _next_customer(flash: list) -> None:
    """After a save: the list is read again and the queue's head (the next customer to call) is selected."""
    st.session_state["fw_flash"] = flash
    st.session_state.pop("fw_assignment", None)
    st.query_params.pop("call", None)
    st.rerun()


if outcome == "complete":
    st.subheader(t("fw_interview"))
    questionnaire = round_questionnaire(db, round_id)
    answers = render_questionnaire(questionnaire, prefix=f"ph{assignment_id}", draft=draft)
    if answers and answers != draft:  # kept as a draft at every change: a reload loses nothing
        try:
            save_interview_draft(db, assignment_id, answers, region=user.region)
        except DatabaseBusy:
            st.caption(t("busy_draft"))
        except (CallError, LookupError):
            pass  # the unit is no longer open: the submit below says why
    elif draft:
        st.caption(t("fw_draft_resumed"))
    note = st.text_input(t("fw_note"), key=f"fw_note_complete_{k}")
    if st.button(t("fw_submit"), type="primary", key=f"fw_submit_{k}"):
        try:
            complete_by_phone(
                db, assignment_id, answers, interviewer=user.name, note=note, region=user.region
            )
        except AnswerError as e:
            show_problems(e.problems, questionnaire)
        except (TokenError, CallError) as e:
            st.error(t("fw_not_open", reason=str(e)))
        else:
            _next_customer([("success", t("fw_submitted", name=user.name))])
    st.stop()

callback_at = None
if outcome == "callback":
    d1, d2 = st.columns(2)
    tomorrow = (datetime.now(local_zone()) + timedelta(days=1)).date()  # stored naive: local time
    day = d1.date_input(t("fw_callback_date"), value=tomorrow, key=f"fw_cb_date_{k}")
    at = d2.time_input(t("fw_callback_time"), value=time(10, 0), key=f"fw_cb_time_{k}")
    callback_at = datetime.combine(day, at).isoformat()
note = st.text_input(t("fw_note"), key=f"fw_note_{k}")
if st.button(t("fw_record"), type="primary", key=f"fw_record_{k}"):
    try:
        record_call(
            db,
            assignment_id,
            outcome,
            interviewer=user.name,
            region=user.region,
            callback_at=callback_at,
            note=note,
        )
    except (CallError, ValueError) as e:
        st.error(t("fw_not_open", reason=str(e)))
    else:
        flash = [("success", t("fw_recorded", outcome=t(f"outcome_{outcome}")))]
        if outcome in INELIGIBLE_STATUSES:  # replace the unit by the next reserve of its stratum (PRN order)
            try:
                released = release_reserve(db, assignment_id, user.name, region=user.region)
            except NoReserve:
                flash.append(("warning", t("fw_no_reserve")))
            else:
                flash.append(
                    ("success", t("fw_released", customer=released.customer_id, stratum=released.stratum))
                )
        _next_customer(flash)
