"""UI strings of the manager pages: dashboard, suggestions, follow-ups, trends (zh, en)."""

from survey.report_text import ITEM_NAMES

STRINGS: dict[str, tuple[str, str]] = {
    # short item names for sentences and charts (fallback: the question's label); shared with the report
    **{f"item_{key}": names for key, names in ITEM_NAMES.items()},
    # filters
    "dash_all": ("全部", "All"),
    "dash_filter_region": ("地区", "Region"),
    "dash_filter_type": ("客户类型", "Customer type"),
    "dash_poststrat": (
        "按客户名单总数事后分层（地区 × 客户类型）",
        "Post-stratify to frame totals (region × type)",
    ),
    "dash_poststrat_help": (
        "把权重调整到本轮抽样时各地区×客户类型的合格客户数（Lohr 2019 §4.4）；标准误按事后分层估计量的线性化方差计算（与 R survey 的 postStratify 一致）。",
        "Adjusts the weights to the eligible customers per region × type when the round was drawn (Lohr 2019 §4.4); "
        "SEs are the linearised variance of the post-stratified estimator (as R survey's postStratify).",
    ),
    "dash_scope": (
        "您的账号限定为 {region}：本页只显示该范围的答卷，组间比较按{group}进行。",
        "Your account is limited to {region}: this page shows only its responses and compares {groups}.",
    ),
    "dash_filtered": (
        "当前筛选：{filters}。本页只显示符合条件的 {n} 份答卷，组间比较按{group}进行；选“全部”可取消筛选。",
        "Filtered to {filters}: this page shows the {n} matching responses and compares {groups}; "
        "choose “All” to remove a filter.",
    ),
    "dash_filter_empty": (
        "本轮共有 {total} 份答卷，但没有符合当前筛选条件（{filters}）的答卷。请放宽筛选条件。",
        "This round has {total} responses, but none match the current filters ({filters}). Widen the filters.",
    ),
    "dash_scope_empty": (
        "本轮共有 {total} 份答卷，但您的账号范围（{region}）内还没有答卷。",
        "This round has {total} responses, but none yet within your account's scope ({region}).",
    ),
    "dash_filter_pair": ("{name}为{value}", "{name}: {value}"),
    "dash_groups_district": ("区县", "districts"),
    "dash_groups_region": ("地区", "regions"),
    "dash_groups_customer_type": ("客户类型", "customer types"),
    "dash_group_district": ("区县", "district"),
    "dash_group_region": ("地区", "region"),
    "dash_group_customer_type": ("客户类型", "customer type"),
    # KPIs
    "kpi_index": ("满意度指数（0–100）", "Satisfaction index (0–100)"),
    "kpi_top2": ("满意率（4–5分占比）", "Top-2-box (share 4–5)"),
    "kpi_mean": ("均值（1–5）", "Mean (1–5)"),
    "kpi_ci": ("95% 置信区间 {low}–{high}", "95% CI {low}–{high}"),
    "index_help": (
        "满意度指数 = 每位受访者所答 5 级题目 (分数−1)/4×100 的平均值，再按抽样权重求总体均值"
        "（1分=0，3分=50，5分=100，各题等权；Fornell 等 1996 ACSI 式线性换算）。",
        "Satisfaction index = for each respondent the mean over answered 5-point items of (score − 1)/4 × 100, "
        "then the design-weighted mean (1 = 0, 3 = 50, 5 = 100, equal item weights; ACSI-style linear "
        "rescaling, Fornell et al. 1996).",
    ),
    "small_cell_note": (
        "答卷少于 {n} 份的组显示“样本不足”，不给出估计值，也不参加显著性比较。",
        "Groups with fewer than {n} answers show “too few answers”: no estimate is given and they enter no test.",
    ),
    "col_group": ("组别", "Group"),
    "col_letters": ("显著性字母", "Letters"),
    "col_small": ("样本<{n}", "n<{n}"),
    "col_indicator": ("指标类型", "Indicator"),
    "col_item": ("题目", "Item"),
    "ind_mean": ("均值", "mean"),
    "ind_top2": ("满意率", "top-2-box"),
    "ind_index": ("指数", "index"),
    "dash_col_value": ("估计值", "Estimate"),
    "letters_caption": (
        "字母相同的组之间差异不显著（基于抽样设计的两两比较，对本页所有题目×组对做校正，α=0.05）；样本不足的组没有字母。",
        "Groups sharing a letter do not differ significantly (design-based pairwise comparisons, adjusted over every "
        "item × pair on this page, α = 0.05); groups with too few answers get no letter.",
    ),
    # comparison
    "cmp_header": ("组间比较", "Comparison between groups"),
    "cmp_methods": (
        "**方法说明**：所有估计、置信区间和显著性结论都按分层抽样设计计算（考虑权重、分层和有限总体校正；筛选条件作为全样本设计中的子总体估计）。"
        "两组是否“显著不同”看两组加权均值之差及其设计标准误（t 检验），并对本页所有题目×组对一起做 {method} 校正；"
        "差异方向就是这个差值的正负。答卷少于 {min_n} 份的组不参与比较。满意率与组别的关联用 Rao-Scott χ² 检验。"
        "秩检验（Kruskal-Wallis、Dunn）把样本当作简单随机样本，只作参考。"
        "权重：各层合格客户数的估计 N̂_h = N_h × 合格率 e_h 除以该层答卷数 r_h；置信区间在 logit 尺度上计算，"
        "再换算回 1–5 分（比例用 Clopper-Pearson 区间处理 0 或 n 的情形）。",
        "**Methods**: every estimate, interval and significance statement is design-based (weights, strata and the "
        "finite population correction; a filter is a domain of the whole round's design). Two groups “differ "
        "significantly” when the difference of their weighted means, over its design-based SE (t test), stays "
        "significant after a {method} adjustment over every item × pair on this page; the direction is the sign of "
        "that difference. Groups with fewer than {min_n} answers are not compared. Top-2-box by group: Rao-Scott χ². "
        "Rank tests (Kruskal-Wallis, Dunn) treat the sample as simple random and are for reference only. "
        "Weights: the stratum's estimated eligible customers N̂_h = N_h × eligibility rate e_h, divided by its "
        "answers r_h; intervals are computed on the logit scale and mapped back to 1–5 (proportions at 0 or n use "
        "Clopper-Pearson intervals).",
    ),
    "cmp_details": ("方法与检验细节", "Methods and test details"),
    "cmp_rank_differs": (
        "注意：秩检验不考虑权重和分层，这里的结论与上面基于抽样设计的结论不同；请以上面的结论为准。",
        "Note: the rank tests ignore the weights and strata and disagree here with the design-based result "
        "above; act on the result above.",
    ),
    "rao_scott": (
        "满意率（4–5分）与{group}的关联（Rao-Scott F 检验，基于设计）：F={f:.2f}，df=({d1:.1f}, {d2:.1f})，{p}；Cramér's V={v:.3f}。",
        "Top-2-box by {group} (Rao-Scott F test, design-based): F = {f:.2f}, df = ({d1:.1f}, {d2:.1f}), {p}; "
        "Cramér's V = {v:.3f}.",
    ),
    "rao_scott_na": (
        "满意率的组间检验无法计算（答卷不少于 {min_n} 份的组不足两个，或取值不足）。",
        "The top-2-box test cannot be computed (fewer than two groups with at least {min_n} answers, or too few values).",
    ),
    "pairs_table": ("两两比较（基于设计）", "Pairwise comparisons (design-based)"),
    "col_difference": ("差值 A−B", "Difference A−B"),
    "not_tested": ("样本不足，未比较", "too few answers, not compared"),
    "too_few": ("样本不足（n={n}）", "too few answers (n={n})"),
    "cmp_other_items": (
        "本页其他题目的显著差异（{n} 条）",
        "Significant differences in the other items ({n})",
    ),
    "rank_header": ("参考：秩检验（按简单随机样本）", "For reference: rank tests (simple random sample)"),
    "rank_note": (
        "Kruskal-Wallis 与 Dunn 检验不考虑权重和分层，结论可能与上面基于设计的结论不同；请以上面的结论为准。",
        "Kruskal-Wallis and Dunn ignore the weights and strata and may disagree with the design-based results above; "
        "those are the ones to act on.",
    ),
    "col_group_a": ("组 A", "Group A"),
    "col_group_b": ("组 B", "Group B"),
    "col_p_adj": ("校正 p 值", "adjusted p"),
    "col_significant": ("显著", "significant"),
    "dash_col_mean_a": ("组 A 估计值", "Estimate A"),
    "dash_col_mean_b": ("组 B 估计值", "Estimate B"),
    # drill-down, weights, links
    "drill_header": ("按客户类型细分", "By customer type"),
    "weights_header": ("权重概况", "Weights"),
    "weights_text": (
        "答卷 {n} 份，权重总和 {total:,.0f}，最小 {wmin:.1f}，最大 {wmax:.1f}，Kish 设计效应 {deff:.3f}，有效样本量 {neff:.0f}。",
        "{n} responses, weights sum to {total:,.0f}, min {wmin:.1f}, max {wmax:.1f}, Kish design effect {deff:.3f}, "
        "effective sample size {neff:.0f}.",
    ),
    "sugg_header": ("意见建议与跟进", "Suggestions and follow-ups"),
    "fu_counts": (
        "跟进事项：待处理 {open}，已联系 {contacted}，已解决 {resolved}，其中逾期 {overdue}。",
        "Follow-ups: {open} open, {contacted} contacted, {resolved} resolved; {overdue} overdue.",
    ),
    "export_prepare": ("生成 Excel 报表", "Prepare the Excel report"),
    "export_download": ("下载 Excel 报表", "Download the Excel report"),
    "export_prepare_data": ("生成分析用数据（CSV）", "Prepare analyst data (CSV)"),
    "export_download_data": ("下载分析用数据（CSV 压缩包）", "Download analyst data (CSV, zip)"),
    "export_done": ("报表已生成（已记录审计日志）。", "Export ready (recorded in the audit log)."),
    # suggestions page
    "sugg_filter_topic": ("主题", "Topic"),
    "sugg_filter_round": ("轮次", "Round"),
    "sugg_counts": ("各主题的条数与占比", "Counts and shares per topic"),
    "sugg_examples": ("示例原文", "Example texts"),
    "sugg_none": ("没有符合条件的意见建议。", "No suggestions match."),
    "col_topic": ("主题", "Topic"),
    "col_count": ("条数", "Count"),
    "col_complaints": ("其中投诉", "Complaints"),
    "col_share": ("占比", "Share"),
    "col_text": ("原文", "Text"),
    "sugg_col_complaint": ("投诉", "Complaint"),
    "sugg_method": (
        "主题按可编辑的主题词典归类：一条意见可属于多个主题；主题指服务的方面，不论褒贬，"
        "“表扬”另行标注；含负面词的方面记为投诉。占比 = 提到该主题的意见数 / 有内容的意见数（未加权）。",
        "Topics come from an editable topic dictionary: a suggestion may have several; a topic "
        "is an aspect of the service whatever the polarity, praise is an extra label, and an aspect named with a "
        "negative cue counts as a complaint. Share = suggestions naming the topic / non-empty suggestions (unweighted).",
    ),
    # follow-ups page
    "fu_filter_status": ("状态", "Status"),
    "fu_status_open": ("待处理", "Open"),
    "fu_status_contacted": ("已联系", "Contacted"),
    "fu_status_resolved": ("已解决", "Resolved"),
    "fu_sync": ("从答卷补建跟进事项", "Create missing follow-ups from responses"),
    "fu_synced": ("新建 {n} 条跟进事项。", "{n} follow-up items created."),
    "fu_queue": ("跟进队列（逾期优先）", "Queue (overdue first)"),
    "fu_overdue": ("逾期", "Overdue"),
    "fu_pick": ("打开事项", "Open item"),
    "fu_owner": ("负责人", "Owner"),
    "fu_note": ("备注", "Note"),
    "fu_save": ("保存", "Save"),
    "fu_saved": ("已保存。", "Saved."),
    "fu_take": ("由我负责", "Assign to me"),
    "fu_show_phone": ("显示完整电话（将记录审计日志）", "Show full phone (audited)"),
    "fu_phone": ("电话：{phone}", "Phone: {phone}"),
    "fu_phone_owner_only": (
        "只有该事项的负责人可以查看完整电话。",
        "Only the item's owner can see the full phone number.",
    ),
    "fu_reason": ("原因", "Reason"),
    "fu_reason_low": ("{item}低分", "Low {item} score"),
    "fu_reason_complaint": ("投诉：{topics}", "Complaint: {topics}"),
    "fu_col_id": ("编号", "No."),
    "fu_updated": ("最近更新", "Last updated"),
    "fu_save_refused": (
        "无法保存：状态只能向前推进（待处理 → 已联系 → 已解决），已解决的事项可重新设为待处理。",
        "Not saved: the status only moves forward (open → contacted → resolved); a resolved item may be re-opened.",
    ),
    "fu_due": ("到期", "Due"),
    "fu_sla": ("回访时限（天）", "Call-back SLA (days)"),
    "fu_sla_save": ("保存时限", "Save the SLA"),
    "fu_sla_saved": ("时限已更新，之后新建的事项生效。", "SLA updated; applies to items opened from now on."),
    "fu_empty": ("没有跟进事项。", "No follow-up items."),
    "fu_rules": (
        "规则：总体满意度或服务态度 ≤ 2 分，或意见建议被识别为投诉，即生成跟进事项；到期日 = 提交时间 + 时限天数。",
        "Rule: an overall or attitude score ≤ 2, or a suggestion detected as a complaint, opens an item; "
        "due = submission time + the SLA in days.",
    ),
    # trends page
    "trend_indicator": ("指标", "Indicator"),
    "trend_item": ("题目", "Item"),
    "trend_none": ("至少需要两个有答卷的轮次。", "At least two rounds with responses are needed."),
    "trend_change": (
        "{later} 与 {earlier} 相比变化 {diff}（{p}），{verdict}。",
        "{later} vs {earlier}: change {diff} ({p}), {verdict}.",
    ),
    "trend_sig": ("变化显著", "a significant change"),
    "trend_nsig": ("变化不显著", "not a significant change"),
    "trend_method": (
        "相邻两轮按永久随机数轮换抽取，是同一客户名单中互不重叠的样本：变化的标准误 = √(SE₁² + SE₂²)，其中各轮 SE 不含有限总体校正"
        "（不重叠样本之差的方差为 S²(1/n₁+1/n₂)，Cochran 1977 §12.4），z 检验；答卷少于 {min_n} 份的轮次不做变化检验。"
        "默认只比较已结束的轮次。",
        "Consecutive rounds are drawn by PRN rotation — non-overlapping samples of one frame: SE of the change = "
        "√(SE₁² + SE₂²) with each round's SE without the finite population correction (the variance of a difference "
        "of disjoint samples is S²(1/n₁ + 1/n₂), Cochran 1977 §12.4), z test; no change test for a round with fewer "
        "than {min_n} answers. Closed rounds only by default.",
    ),
    "trend_scope": (
        "您的账号限定为 {region}：趋势只统计该范围的答卷。",
        "Your account is limited to {region}: the trend counts only its responses.",
    ),
    "trend_filtered": (
        "当前筛选：{region}。趋势只统计该地区的答卷（每轮作为全样本设计中的子总体估计）。",
        "Filtered to {region}: the trend counts only this region's responses (a domain of each round's design).",
    ),
    "trend_none_filtered": (
        "{region} 至少需要两个有答卷的轮次才能显示趋势。",
        "At least two rounds with responses in {region} are needed for a trend.",
    ),
    "trend_include_open": ("包括进行中的轮次（结果尚未最终确定）", "Include open rounds (results not final)"),
    "trend_open_mark": ("（进行中）", " (open)"),
    "col_round": ("轮次", "Round"),
    "col_change": ("较上轮变化", "Change"),
    "col_change_p": ("变化 p 值", "p (change)"),
    "trend_pp": ("{value} 个百分点", "{value} pp"),
    "no_responses_any_round": ("还没有任何轮次收到答卷。", "No round has any responses yet."),
}
