"""Managers: design-based satisfaction indicators per region with CIs, comparisons, export."""

import pandas as pd
import streamlit as st

from analysis.compare import format_p, region_comparison_sentence
from analysis.contrasts import ADJUST_METHODS
from analysis.findings import design_findings, overall_sentence
from survey.dashboard import min_base
from survey.follow_ups import follow_up_counts
from survey.regions import CUSTOMER_TYPES_EN, region_name_en
from survey.report import FORMATS, ReportView, export_report, view_frame
from survey.results import (
    OVERALL,
    dashboard_statistics,
    data_version,
    likert_items,
    round_values,
)
from survey.rounds import list_rounds
from survey.topic_classification import topic_summary
from survey.users import parse_regions
from ui import session
from ui.charts import ci_chart
from ui.fmt import MISSING, estimate, md, num, p_value, pct
from ui.i18n import STRINGS, label, lang, t

SMALL_MARK = {True: "⚠", False: ""}


@st.cache_data(show_spinner=False, max_entries=32)
def _stats(_db, path: str, round_id: int, version: tuple, scope: str | None, region: str | None,
           ctype: str | None, item: str, post: bool):  # fmt: skip
    """Round frame + statistics of the filtered view, cached per round, data version and filters.

    The filters (scope, region, customer type) are a domain of the whole round's design, never a subset.
    """
    view = ReportView(round_id, item, scope=scope, region=region, customer_type=ctype, poststratify=post)
    frame, mask = view_frame(_db, view)
    items = list(likert_items(_db, round_id))
    stats = dashboard_statistics(frame, items, item, group=view.group, domain=mask)
    return frame[mask].reset_index(drop=True), stats


def _short(item_id: str, labels: dict) -> dict:
    """Short item name per language (ui strings ``item_<id>``), else the question's label."""
    key = f"item_{item_id}"
    return dict(zip(("zh", "en"), STRINGS[key], strict=True)) if key in STRINGS else labels


def _estimates(rows: pd.DataFrame, kinds: pd.Series, value_header: str) -> dict[str, list[str]]:
    """Display columns estimate, SE, CI low/high of ``rows``, each row formatted by its indicator kind;
    a row below the minimum base shows 样本不足 instead of numbers (no claim from too few answers)."""
    headers = {
        "estimate": value_header,
        "se": t("col_se"),
        "ci_low": t("col_ci_low"),
        "ci_high": t("col_ci_high"),
    }
    small = rows["small_cell"].to_numpy() if "small_cell" in rows else [False] * len(rows)
    out = {}
    for col, header in headers.items():
        out[header] = [
            (t("too_few", n=int(n)) if col == "estimate" else MISSING)
            if tiny
            else estimate(v, k, se=col == "se")
            for v, k, tiny, n in zip(rows[col], kinds, small, rows["n"], strict=True)
        ]
    return out


def _type_name(ctype: str) -> str:
    if ctype == OVERALL:
        return t("dash_all")
    return CUSTOMER_TYPES_EN.get(ctype, ctype) if lang() == "en" else ctype


db, user = session.db(), session.user()
st.title(t("dashboard"))
rounds = [r for r in list_rounds(db) if r["completed"]]
if not rounds:
    st.info(t("no_responses_any_round"))
    st.stop()
default = next((i for i, r in enumerate(rounds) if r["status"] == "closed"), 0)
names = {r["id"]: f"{r['id']} · {r['name']}" for r in rounds}
c1, c2, c3, c4 = st.columns(4)
round_id = c1.selectbox(t("pick_round"), list(names), index=default, format_func=names.get, key="dash_round")
items = likert_items(db, round_id)
item_names = {i: label(_short(i, items[i])) for i in items}  # format_funcs must not read the session
item = c2.selectbox(t("item"), list(items), format_func=item_names.get, key="dash_item")
item_label = _short(item, items[item])
scope = user.region if user else None
all_regions = round_values(db, round_id, "region")  # the round's regions as drawn
region_options = [""] + ([] if scope else all_regions)
region_names = {
    r: (r if lang() == "zh" else region_name_en(r)) if r else t("dash_all") for r in region_options
}
region = c3.selectbox(
    t("dash_filter_region"), region_options, key="dash_region", format_func=region_names.get
)
types = round_values(db, round_id, "customer_type")
type_names = {c: _type_name(c) if c else t("dash_all") for c in ["", *types]}
ctype = c4.selectbox(t("dash_filter_type"), [""] + types, key="dash_type", format_func=type_names.get)
post = st.checkbox(t("dash_poststrat"), key="dash_poststrat", help=t("dash_poststrat_help"))

version = data_version(db, round_id)
frame, stats = _stats(db, str(st.session_state.get("db_path")), round_id, version, scope, region or None,
                      ctype or None, item, post)  # fmt: skip
group = stats.group
group_word, groups_word = t(f"dash_group_{group}"), t(f"dash_groups_{group}")
# say exactly what is shown and why: the account's scope and the manager's own filters are two things
parts = (
    [t("dash_filter_pair", name=t("dash_filter_region"), value=md(region_names[region]))] if region else []
)
if ctype:
    parts.append(t("dash_filter_pair", name=t("dash_filter_type"), value=md(type_names[ctype])))
filters = ("，" if lang() == "zh" else ", ").join(parts)
scope_label = md(", ".join(region_names.get(r, r) if lang() == "zh" else region_name_en(r) for r in parse_regions(scope))
                 if scope else "")  # fmt: skip
if scope:
    st.info(t("dash_scope", region=scope_label, group=group_word, groups=groups_word))
if frame.empty:
    if region or ctype:
        st.warning(t("dash_filter_empty", total=version[1], filters=filters))
    elif scope:
        st.warning(t("dash_scope_empty", total=version[1], region=scope_label))
    else:
        st.info(t("no_responses"))
    st.stop()
if region or ctype:
    st.info(t("dash_filtered", filters=filters, n=stats.n, group=group_word, groups=groups_word))


def _name(value: object) -> str:
    if value == OVERALL:
        return t("dash_all")
    return region_name_en(value) if group == "region" and lang() == "en" else str(value)


ind = stats.indicators
overall = ind[ind[group] == OVERALL].set_index(["indicator", "item"])
k1, k2, k3, k4 = st.columns(4)
for col, key, (kind, it), fmt in ((k1, "kpi_index", ("index", ""), "{:.1f}"), (k2, "kpi_top2", ("top2", item), "{:.1%}"),
                                  (k3, "kpi_mean", ("mean", item), "{:.2f}")):  # fmt: skip
    row = overall.loc[(kind, it)]
    ci = t("kpi_ci", low=fmt.format(row.ci_low), high=fmt.format(row.ci_high))
    col.metric(
        t(key), fmt.format(row.estimate), help=ci + ("\n\n" + t("index_help") if kind == "index" else "")
    )
    col.caption(ci)
k4.metric(t("respondents"), f"{stats.n:,}")
st.caption(t("index_help"))

means = ind[(ind["indicator"] == "mean") & (ind["item"] == item) & (ind[group] != OVERALL)].copy()
means["letters"] = [stats.letters.get(g, "") for g in means[group]]
means["label"] = means[group].map(_name)
# groups below the minimum base are listed as 样本不足 in the table, not drawn as estimates
chart_table = means[~means["small_cell"]].assign(**{group: lambda d: d["label"]})
tooltip_titles = {
    group: t("col_region") if group == "region" else t("col_group"),
    "estimate": t("col_estimate"),
    "ci_low": t("col_ci_low"),
    "ci_high": t("col_ci_high"),
    "n": t("col_n"),
}
st.altair_chart(ci_chart(chart_table, category=group, value_title=label(item_label), letters="letters",
                         titles=tooltip_titles, value_format=".2f"), width="stretch")  # fmt: skip
st.caption(t("ci_caption") + " " + t("letters_caption"))
# numbers stay numeric in the Excel export; the page shows them rounded (means 2 decimals, SE 3)
region_table = pd.DataFrame({
    t("col_region") if group == "region" else t("col_group"): means["label"], t("col_estimate"): means["estimate"],
    t("col_se"): means["se"], t("col_ci_low"): means["ci_low"], t("col_ci_high"): means["ci_high"],
    t("col_n"): means["n"], t("col_letters"): means["letters"], t("col_small", n=min_base()): means["small_cell"].map(SMALL_MARK),
})  # fmt: skip
region_view = region_table.assign(**_estimates(means, means["indicator"], t("col_estimate")))
st.dataframe(region_view, hide_index=True, width="stretch", key="dash_regions")
st.caption(t("small_cell_note", n=min_base()))

st.subheader(t("cmp_header"))
# plain sentences on top: the headline and the pairs of the very same design-based, adjusted result
item_labels = {i: _short(i, items[i]) for i in items}
family = int(stats.all_pairs["tested"].sum()) if len(stats.all_pairs) else 0
headline = overall_sentence(stats.pairs, md(label(item_label)), lang(), family=family, method=None,
                            group_word=groups_word if lang() == "en" else group_word)  # fmt: skip
st.markdown(f"**{headline}**")
group_labels = {g: _name(g) for g in means[group]}
findings = (
    design_findings(stats.pairs, item_labels, lang(), group_labels=group_labels) if len(stats.pairs) else []
)
for sentence in findings:
    st.text("• " + sentence)
others = stats.all_pairs[(stats.all_pairs["item"] != item)] if len(stats.all_pairs) else stats.all_pairs
other_findings = (
    design_findings(others, item_labels, lang(), group_labels=group_labels) if len(others) else []
)
if other_findings:
    with st.expander(t("cmp_other_items", n=len(other_findings))):
        for sentence in other_findings:
            st.text("• " + sentence)
pairs = stats.pairs.copy()
if len(pairs):
    pairs["group_a"], pairs["group_b"] = pairs["group_a"].map(_name), pairs["group_b"].map(_name)
pairs_names = {
    "group_a": t("col_group_a"),
    "group_b": t("col_group_b"),
    "estimate_a": t("dash_col_mean_a"),
    "estimate_b": t("dash_col_mean_b"),
    "difference": t("col_difference"),
    "se": t("col_se"),
    "pvalue_adj": t("col_p_adj"),
    "significant": t("col_significant"),
}
pairs_table = pairs.reindex(columns=list(pairs_names)).rename(columns=pairs_names)
if len(pairs):
    pairs_view = pairs_table.assign(**{
        t("dash_col_mean_a"): pairs["estimate_a"].map(num), t("dash_col_mean_b"): pairs["estimate_b"].map(num),
        t("col_difference"): pairs["difference"].map(lambda v: f"{v:+.2f}"),
        t("col_se"): pairs["se"].map(lambda v: num(v, 3)),
        t("col_p_adj"): [p_value(p) if tested else t("not_tested") for p, tested in
                         zip(pairs["pvalue_adj"], pairs["tested"], strict=True)],
        t("col_significant"): pairs["significant"].map(lambda s: t("yes") if s else t("no")),
    })  # fmt: skip
else:
    pairs_view = pairs_table
with st.expander(t("pairs_table")):
    st.dataframe(pairs_view, hide_index=True, width="stretch", key="dash_pairs")
# the jargon (test statistics, degrees of freedom, effect sizes, rank tests, weights) is one click away
with st.expander(t("cmp_details")):
    st.markdown(t("cmp_methods", min_n=stats.min_n, method=ADJUST_METHODS[stats.adjust]))
    rs = stats.top2_test
    if pd.notna(rs.pvalue):
        st.markdown(t("rao_scott", group=group_word, f=rs.statistic, d1=rs.df_num, d2=rs.df_den,
                      p=format_p(rs.pvalue, lang()), v=stats.top2_cramers_v, min_n=stats.min_n))  # fmt: skip
    else:
        st.markdown(t("rao_scott_na", min_n=stats.min_n))
    st.markdown(f"**{t('rank_header')}**")
    st.caption(t("rank_note"))
    st.markdown(
        region_comparison_sentence(
            stats.kruskal,
            lang(),
            item_label={k: md(v) for k, v in item_label.items()},
            group_word=groups_word if lang() == "en" else group_word,
        )  # fmt: skip
    )
    if pd.notna(stats.kruskal.pvalue) and (stats.kruskal.pvalue < 0.05) != bool(findings):
        st.caption(t("cmp_rank_differs"))
    dunn = stats.dunn
    if len(dunn):
        st.dataframe(pd.DataFrame({t("col_group_a"): dunn["group_a"].map(_name),
                                   t("col_group_b"): dunn["group_b"].map(_name),
                                   t("col_p_adj"): dunn["pvalue_adj"].map(p_value)}),
                     hide_index=True, width="stretch", key="dash_dunn")  # fmt: skip
    st.markdown(f"**{t('weights_header')}**")
    w = stats.weights
    st.write(
        t("weights_text", n=w.n, total=w.sum, wmin=w.min, wmax=w.max, deff=w.kish_deff, neff=w.effective_n)
    )

st.subheader(t("drill_header"))
drill = stats.drill
# one column mixes means (1–5), top-2-box shares and the index: each row is formatted by its indicator
drill_table = pd.DataFrame({
    t("dash_filter_type"): drill["customer_type"].map(_type_name),
    t("col_indicator"): drill["indicator"].map(lambda k: t(f"ind_{k}")),
    t("col_item"): drill["item"].map(lambda i: label(_short(i, items[i])) if i in items else t("ind_index")),
    t("dash_col_value"): drill["estimate"], t("col_se"): drill["se"], t("col_ci_low"): drill["ci_low"],
    t("col_ci_high"): drill["ci_high"], t("col_n"): drill["n"], t("col_small", n=min_base()): drill["small_cell"].map(SMALL_MARK),
})  # fmt: skip
drill_view = drill_table.assign(**_estimates(drill, drill["indicator"], t("dash_col_value")))
st.dataframe(drill_view, hide_index=True, width="stretch", key="dash_drill")

st.subheader(t("sugg_header"))
topics = topic_summary(
    db, round_id, scope=scope, response_ids=frame["response_id"]
)  # the stored classification
if len(topics):
    st.caption(t("tm_dash_summary"))
    topic_table = pd.DataFrame({t("col_topic"): topics["label_zh" if lang() == "zh" else "label_en"],
                                t("tm_col_mentions"): topics["count"], t("tm_col_complaints"): topics["complaints"],
                                t("tm_col_share"): topics["share"].map(pct), t("tm_col_praise"): topics["praise"]})  # fmt: skip
    st.dataframe(topic_table, hide_index=True, width="stretch", key="dash_topics")
counts = follow_up_counts(db, region=scope or region or None, round_id=round_id)
st.write(t("fu_counts", **counts))
st.page_link("app_pages/suggestions.py", label=t("suggestions"))
st.page_link("app_pages/follow_ups.py", label=t("follow_ups"))

# the report of this very view: the manager's workbook in the page's language, and the same tables for analysts
view = ReportView(
    round_id, item, scope=scope, region=region or None, customer_type=ctype or None, poststratify=post
)
exporter = user.name if user else None
e1, e2 = st.columns(2)
for column, fmt, key in ((e1, "xlsx", "dash_export"), (e2, "csv", "dash_export_data")):
    if column.button(t("export_prepare" if fmt == "xlsx" else "export_prepare_data"), key=key):
        st.session_state[f"{key}_bytes"] = export_report(db, view, fmt=fmt, lang=lang(), user=exporter, frame=frame,
                                                         stats=stats, topics=topics)  # fmt: skip
        column.success(t("export_done"))
if st.session_state.get("dash_export_bytes"):
    e1.download_button(t("export_download"), st.session_state["dash_export_bytes"], key="dash_download",
                       file_name=f"satisfaction_report_round{round_id}.xlsx", mime=FORMATS["xlsx"])  # fmt: skip
if st.session_state.get("dash_export_data_bytes"):
    e2.download_button(t("export_download_data"), st.session_state["dash_export_data_bytes"], key="dash_download_data",
                       file_name=f"satisfaction_data_round{round_id}.zip", mime=FORMATS["csv"])  # fmt: skip
