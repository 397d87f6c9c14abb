"""Survey staff: design a round with a live preview, draw it, see its overlap, download invitations."""

import pandas as pd
import streamlit as st

from sampling.design import ALL_DOMAIN
from sampling.engines import FrameSourceError
from sampling.engines.draw import FrameProblems
from sampling.select import ALL_STRATUM
from survey.access import NotPermitted
from survey.design import design_sd
from survey.fieldwork import contact_file, full_contact
from survey.frame_apply import ImportInProgress
from survey.rounds import (
    ALLOCATIONS,
    STRATUM_COLUMNS,
    DrawError,
    draw_round,
    eligible_counts,
    list_rounds,
    plan_round,
    previous_sd,
    round_overlap,
)
from ui import downloads, frame_source, session
from ui.fmt import MISSING, local_times, local_zone, md, num, pct, place_label
from ui.frame_status import in_progress_message
from ui.i18n import lang, t

SHOWN_UNSAMPLED = 5  # strata named in the "no sample" warning

db = session.db()
user = session.user()
st.title(t("rounds"))

st.subheader(t("draw_title"))
frame_total = sum(eligible_counts(db, ()).values())
frame_files = frame_source.frame_files()
source = frame_source.choose(frame_files, frame_total) if user.regions is None else None
if source is None:
    st.caption(t("frame_size", n=f"{frame_total:,}"))
else:
    st.caption(t("draw_source_caption", name=md(source.name)))


def _design_and_draw() -> None:
    """The design form, its live preview and the draw button (needs a non-empty frame, stored or a file)."""
    left, right = st.columns(2)
    with left:
        name = st.text_input(t("round_name"), key="draw_name")
        mode = st.radio(
            t("size_mode"), ["size", "overall", "per_region"], key="draw_mode", horizontal=True,
            format_func=lambda m: t(f"size_mode_{m}"),
        )  # fmt: skip
        size = margin = None
        if mode == "size":
            size = int(st.number_input(t("sample_size"), min_value=1, value=1000, step=100, key="draw_size"))
        else:
            margin = st.number_input(t("margin_pct"), 0.5, 20.0, 5.0, 0.5, key="draw_margin") / 100
        confidence = st.select_slider(t("confidence"), [0.90, 0.95, 0.99], value=0.95, key="draw_confidence")
        response_rate = st.slider(t("response_rate"), 0.05, 1.0, 0.5, 0.05, key="draw_response_rate")
    with right:
        strata = st.multiselect(
            t("strata"),
            list(STRATUM_COLUMNS),
            default=["region", "customer_type"],
            key="draw_strata",
            format_func=lambda c: t(f"stratum_col_{c}"),
            placeholder=t("choose"),
            select_all=False,
        )
        allocation = st.selectbox(
            t("allocation"), list(ALLOCATIONS), key="draw_allocation", format_func=lambda a: t(f"alloc_{a}")
        )
        power = (
            st.slider(t("power_exponent"), 0.0, 1.0, 0.5, 0.05, key="draw_power")
            if allocation == "power"
            else None
        )
        minimum = int(
            st.number_input(t("minimum"), min_value=0, value=2, help=t("minimum_help"), key="draw_minimum")
        )
        reserve = int(st.number_input(t("reserve"), min_value=0, value=2, key="draw_reserve"))
        exclude_days = int(st.number_input(t("exclude_days"), min_value=0, value=0, key="draw_exclude_days"))
        cost = None
        if allocation == "optimal":
            by_type = (
                eligible_counts(db, ("customer_type",))
                if source is None
                else frame_source.counts(db, source, ("customer_type",), None)
            )
            types = sorted({v[0] for v in by_type}) if isinstance(by_type, dict) else []
            per_type = {
                ty: st.number_input(t("cost_per_type", t=ty), 0.1, 1000.0, 1.0, key=f"draw_cost_{ty}")
                for ty in types
            }

    sd = None
    if allocation == "neyman":
        sd = previous_sd(db, tuple(strata))
        if sd is None:
            st.info(t("neyman_fallback"))
            allocation = "proportional"
        else:
            st.caption(t("neyman_sd_from"))
    elif allocation == "optimal":  # S_h from the last closed round, else 0.5 (p = 0.5); costs below
        found = design_sd(db, tuple(strata))
        sd = found.values
        if source is not None:  # a file's strata are not the store's: the pooled SD ("*") fills the others
            sd = previous_sd(db, tuple(strata)) if found.source == "previous_round" else None
        st.caption(
            t("optimal_sd_from", id=found.round_id)
            if found.source == "previous_round"
            else t("optimal_sd_default")
        )
    if source is None:
        counts = eligible_counts(db, tuple(strata), exclude_days=exclude_days or None)
    else:
        counts = frame_source.counts(db, source, tuple(strata), exclude_days or None)
        if isinstance(counts, (FrameProblems, FrameSourceError)):
            frame_source.show_problems(source, counts)
            return
        st.caption(t("draw_source_total", n=f"{sum(counts.values()):,}", name=md(source.name)))
    if allocation == "optimal":
        pos = list(strata).index("customer_type") if "customer_type" in strata else None
        cost = {
            "|".join(map(str, v)) or "all": float(per_type.get(v[pos], 1.0)) if pos is not None else 1.0
            for v in counts
        }
    design = dict(
        strata=tuple(strata), size=size, margin=margin, per_region=mode == "per_region", confidence=confidence,
        response_rate=response_rate, allocation=allocation, power=power, minimum=minimum, sd=sd, cost=cost,
        exclude_days=exclude_days or None,
    )  # fmt: skip

    def _whole(label: str) -> str:
        """A stratum or domain label; the single stratum of an unstratified design reads "all"."""
        return t("overall_row") if label in (ALL_DOMAIN, ALL_STRATUM) else place_label(label, lang())

    def _margin(e: float) -> str:
        return pct(e) if e == e else MISSING

    def _above(e: float, target: float) -> str:
        """A margin that misses ``target``, with a second decimal when one would show the target itself."""
        return pct(e) if pct(e) != pct(target) else pct(e, 2)

    def _warn_strata(message: str, strata: list) -> None:
        """One warning naming (the first few of) ``strata``."""
        if strata:
            names = ("、" if lang() == "zh" else ", ").join(
                _whole(s.stratum) for s in strata[:SHOWN_UNSAMPLED]
            )
            more = t("strata_unsampled_more") if len(strata) > SHOWN_UNSAMPLED else ""
            st.warning(message.format(k=len(strata), names=md(names + more)))

    plan = problem = None
    floor = sum(min(minimum, n) for n in counts.values())
    if size is not None and counts and size > sum(counts.values()):
        problem = t("size_above_frame", n=sum(counts.values()))
    elif size is not None and size < floor:
        problem = t("size_below_minimum", n=floor, k=len(counts), m=minimum)
    else:
        try:
            plan = plan_round(db, **design, counts=counts)
        except DrawError as e:
            problem = t("design_error", e=md(e))

    accepted = True
    if plan is not None and plan.shortfalls:  # the target cannot be met: say so and ask before drawing
        where = ("、" if lang() == "zh" else ", ").join(
            f"{_whole(c.domain)} "
            + (f"±{_above(c.achieved, c.target)}" if c.achieved == c.achieved else t("margin_unavailable"))
            for c in plan.shortfalls
        )
        st.warning(t("margin_shortfall", e=f"±{pct(plan.target_margin)}", where=where))
        accepted = st.checkbox(t("accept_shortfall"), key="draw_accept_shortfall")
    still_open = [r for r in list_rounds(db) if r["status"] == "open"]
    if still_open:  # another round in the field: customers may get two invitations in a short time
        st.warning(
            t("draw_rounds_open", n=len(still_open), names=md("、".join(r["name"] for r in still_open[:3])))
        )
    go = st.button(t("draw"), type="primary", key="draw_go", disabled=plan is None or not accepted)
    st.markdown(f"**{t('preview')}**")
    if problem is not None:
        st.warning(problem)
    if plan is not None:
        completes = sum(s.expected_completes for s in plan.strata)
        overall = plan.overall_margin
        target = (
            t("preview_target", e=f"±{pct(plan.target_margin)}")
            if plan.target_margin is not None and not design["per_region"]
            else ""
        )
        st.caption(t("preview_total", n=plan.total, m=completes,
                     e=(f"±{pct(overall)}" if overall == overall else t("margin_unavailable")) + target))  # fmt: skip
        _warn_strata(
            t("strata_unsampled"), [s for s in plan.strata if s.sample_size == 0 and s.population > 0]
        )
        _warn_strata(t("strata_single"), [s for s in plan.strata if s.sample_size == 1 < s.population])
        table = plan.strata_table()
        table["stratum"] = table["stratum"].map(_whole)
        table["domain"] = table["domain"].map(_whole)
        table["expected_completes"] = table["expected_completes"].map(lambda m: num(m, 0))  # whole answers
        table["weight"] = table["weight"].map(lambda w: num(w, 1))
        table["expected_margin"] = table["expected_margin"].map(_margin)
        table.columns = [t(k) for k in ("col_stratum", "col_domain", "col_N_h", "col_n_h", "col_completes",
                                        "col_weight", "col_margin")]  # fmt: skip
        st.dataframe(table, hide_index=True, width="stretch", key="draw_preview")
        regions = plan.domain_table()
        regions["domain"] = regions["domain"].map(_whole)
        regions["expected_completes"] = regions["expected_completes"].map(lambda m: num(m, 0))
        regions["expected_margin"] = regions["expected_margin"].map(_margin)
        columns = ["col_domain", "col_N", "col_n_h", "col_completes", "col_margin"]
        if plan.target_margin is not None and design["per_region"]:
            regions["target"] = pct(plan.target_margin)
            columns.append("col_target")
        regions.columns = [t(k) for k in columns]
        with st.expander(t("preview_by_region")):
            st.dataframe(regions, hide_index=True, width="stretch", key="draw_preview_regions")

    if go:
        try:
            kwargs = {k: v for k, v in design.items() if k != "size" or v is not None}
            if source is None:
                result = draw_round(db, **kwargs, reserve=reserve, name=name.strip() or None, by_user=user)
            else:
                result = frame_source.draw(db, source, **kwargs, reserve=reserve, name=name.strip() or None,
                                           by_user=user)  # fmt: skip
        except (FrameProblems, FrameSourceError) as e:  # problems of the selected rows: nothing was drawn
            frame_source.show_problems(source, e)
        except DrawError as e:
            st.error(t("design_error", e=md(e)))
        except NotPermitted as e:
            st.error(t("not_permitted", e=md(e)))
        except ImportInProgress as e:  # drawn once the running import has finished
            st.error(in_progress_message(e.pending))
        else:
            st.session_state["inv_round"] = result.round_id  # show the new round's invitations below
            st.session_state["overlap_round"] = result.round_id
            st.success(
                t(
                    "drawn",
                    id=result.round_id,
                    n=result.sample_size,
                    r=result.reserve_size,
                    k=len(result.strata),
                )
            )


if user.regions is not None:  # a round spans every region's strata: drawn by staff of all regions only
    st.info(t("draw_all_regions_only"))
elif frame_total or source is not None:
    _design_and_draw()
else:  # a new installation: nothing to sample yet
    st.info(t("rounds_no_frame"))
    st.page_link("app_pages/frame.py", label=t("frame"), icon=":material/upload_file:")

st.subheader(t("rounds_list"))
rounds = list_rounds(db)
if not rounds:
    st.info(t("no_rounds"))
    st.stop()
listing = pd.DataFrame(rounds)
sampled = listing["sampled"].fillna(0).astype(int)
completed = listing["completed"].fillna(0).astype(int)
st.dataframe(
    pd.DataFrame(
        {
            t("rnd_col_id"): listing["id"],
            t("rnd_col_name"): listing["name"],
            t("rnd_col_status"): listing["status"].map(lambda s: t(f"rnd_status_{s}")),
            t("rnd_col_created"): local_times(listing["created_at"]),
            t("rnd_col_expires"): local_times(listing["expires_at"]),
            t("rnd_col_sampled"): sampled,
            t("rnd_col_completed"): completed,
            t("rnd_col_rate"): [pct(c / n) if n else MISSING for c, n in zip(completed, sampled, strict=True)],
        }
    ),
    hide_index=True, width="stretch", key="rounds_list",
    column_config={t("rnd_col_rate"): st.column_config.TextColumn(help=t("rnd_rate_help"))},
)  # fmt: skip


def _round_label(i: int) -> str:
    return next(f"{r['id']} · {r['name']}" for r in rounds if r["id"] == i)


st.subheader(t("overlap_title"))
st.caption(t("overlap_caption"))
overlap_id = st.selectbox(
    t("overlap_round"), [r["id"] for r in rounds], key="overlap_round", format_func=_round_label
)
overlaps = round_overlap(db, overlap_id, region=user.region)
if overlaps:
    st.dataframe(
        pd.DataFrame(
            [(f"{o.earlier_round_id} · {o.earlier_name}", round(o.expected, 1), o.actual) for o in overlaps],
            columns=[t("col_earlier"), t("col_expected"), t("col_actual")],
        ),
        hide_index=True, width="stretch", key="overlap_table",
    )  # fmt: skip
else:
    st.caption(t("no_overlap"))

st.subheader(t("invitations"))
round_id = st.selectbox(t("pick_round"), [r["id"] for r in rounds], key="inv_round", format_func=_round_label)
base_url = st.text_input(t("base_url"), value="http://localhost:8501/", key="inv_base_url")
st.caption(t("prepare_help"))
if user.regions is not None:
    st.caption(t("scope_rows_note", regions=md(user.region)))
if st.button(t("inv_prepare"), key="inv_prepare"):  # built (and audited) only now, for this user's scope
    built = contact_file(
        db,
        round_id,
        by=user.name,
        full=full_contact(user.role),
        region=user.region,
        base_url=base_url,
        lang=lang(),
        tz=local_zone().key,  # headers in the UI language, expiry in local time
    )
    downloads.keep("rounds_invitations", data=built.data, file_name=built.file_name, mime=built.mime,
                   label=t("inv_ready", n=built.rows))  # fmt: skip
downloads.offer("rounds_invitations", key="inv_download")
