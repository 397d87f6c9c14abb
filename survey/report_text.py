"""Words of the manager's report (the Excel workbook of :mod:`survey.report`), Chinese and English.

Plain data, so the command line writes the same report as the dashboard: ``TEXT[key] = (zh, en)``.
The short item names are shared with the dashboard (``ui/strings_dashboard.py``).
"""

from __future__ import annotations

#: Short names of the default questionnaire's items, for sentences, charts and headers.
ITEM_NAMES: dict[str, tuple[str, str]] = {
    "overall": ("总体满意度", "overall satisfaction"),
    "attitude": ("服务态度", "service attitude"),
    "skill": ("业务技能", "staff skill"),
    "reliability": ("供电可靠性", "supply reliability"),
    "voltage": ("电压质量", "voltage quality"),
    "outage_notice": ("停电通知", "outage notice"),
    "repair": ("故障抢修", "fault repair"),
    "hotline": ("95598 热线", "95598 hotline"),
    "online": ("线上渠道", "online channels"),
    "billing": ("电费电价", "billing"),
    "complaint_handling": ("投诉处理", "complaint handling"),
}

TEXT: dict[str, tuple[str, str]] = {
    # sheets (Excel allows 31 characters and no []:*?/\)
    "sheet_cover": ("封面", "Cover"),
    "sheet_groups_region": ("各地区", "Regions"),
    "sheet_groups_district": ("各区县", "Districts"),
    "sheet_items": ("各题目", "Items"),
    "sheet_pairs": ("两两比较", "Pairwise comparisons"),
    "sheet_drill": ("客户类型细分", "By customer type"),
    "sheet_topics": ("意见主题", "Suggestion topics"),
    # cover
    "title": ("供电服务满意度调查报告", "Power supply satisfaction survey report"),
    "cover_round": ("轮次", "Round"),
    "cover_status": ("状态", "Status"),
    "status_closed": ("已结束", "closed"),
    "status_open": ("进行中（结果尚未最终确定）", "open (results not final)"),
    "cover_drawn": ("抽样日期", "Sample drawn on"),
    "cover_answers": ("答卷时间", "Answers received"),
    "period": ("{first} 至 {last}", "{first} to {last}"),
    "cover_scope": ("范围", "Scope"),
    "scope_all": ("全部地区", "All regions"),
    "scope_account": ("账号范围：{regions}", "Account scope: {regions}"),
    "cover_filters": ("筛选条件", "Filters"),
    "filters_none": ("无（范围内全部答卷）", "None (every response in scope)"),
    "filter_region": ("地区：{value}", "Region: {value}"),
    "filter_type": ("客户类型：{value}", "Customer type: {value}"),
    "cover_item": ("比较的题目", "Item compared"),
    "cover_weighting": ("加权", "Weighting"),
    "weighting_design": ("按分层抽样设计加权", "Weighted by the stratified sampling design"),
    "weighting_post": (
        "按分层抽样设计加权，并按抽样时各地区×客户类型的客户数事后分层",
        "Weighted by the stratified sampling design, post-stratified to the customers per region × type at the draw",
    ),
    "cover_responses": ("答卷数", "Responses"),
    "cover_issued": ("发出样本数", "Sample issued"),
    "cover_rr1": ("回答率（完成 ÷ 全部样本）", "Response rate (completes ÷ whole sample)"),
    "cover_rr3": (
        "回答率（未能联系的样本按估计的合格比例计入）",
        "Response rate (unreached cases counted by the estimated eligible share)",
    ),
    "cover_exported": ("导出时间", "Exported at"),
    "cover_exported_by": ("导出人", "Exported by"),
    "section_results": ("主要结果", "Headline results"),
    "section_findings": ("结论", "Findings"),
    "section_methods": ("方法说明", "Methods"),
    "no_findings": (
        "没有一对组之间的差异在统计上显著。",
        "No pair of groups differs significantly.",
    ),
    "methods": (
        (
            "所有估计按分层抽样设计计算：每份答卷的权重 = 所在层的合格客户数 ÷ 该层的答卷数；区间为 95% 置信区间。",
            "筛选条件和账号范围是整轮样本中的子总体，不重新设计、不改变权重。",
            "两组是否“显著不同”：看两组加权平均分之差，并对本报告全部题目 × 组对（共 {family} 项比较）一起做 "
            "{method} 多重比较校正，校正后 p < 0.05 才算显著；显著性字母相同的组之间差异不显著。",
            "答卷少于 {min_n} 份的组显示“样本不足”：不给出估计，也不参加比较。",
            "满意度指数 = 每位受访者所答 5 级题目按 (分数−1)/4×100 换算后的平均值（1 分 = 0，3 分 = 50，5 分 = 100）；"
            "满意率 = 打 4 分或 5 分的比例。",
            "回答率按 AAPOR 标准定义计算。权重不等使有效样本量约为 {neff} 份。",
        ),
        (
            "Every estimate follows the stratified sampling design: each response is weighted by its stratum's eligible "
            "customers ÷ the stratum's responses; intervals are 95% confidence intervals.",
            "Filters and account scopes are domains of the whole round's sample: nothing is re-designed or re-weighted.",
            "Two groups “differ significantly” when the difference of their weighted means stays significant "
            "(adjusted p < 0.05) after a {method} adjustment over every item × pair in this report ({family} "
            "comparisons); groups sharing a letter do not differ significantly.",
            "Groups with fewer than {min_n} answers show “too few answers”: no estimate and no comparison.",
            "Satisfaction index = the mean over each respondent's answered 5-point items of (score − 1)/4 × 100 "
            "(1 = 0, 3 = 50, 5 = 100); top-2-box share = the share answering 4 or 5.",
            "Response rates follow the AAPOR Standard Definitions. Unequal weights make the effective sample size "
            "about {neff}.",
        ),
    ),
    # headers
    "col_indicator": ("指标", "Indicator"),
    "col_estimate": ("估计值", "Estimate"),
    "col_low": ("95% 下限", "95% CI low"),
    "col_high": ("95% 上限", "95% CI high"),
    "col_n": ("答卷数", "Responses"),
    "col_region": ("地区", "Region"),
    "col_district": ("区县", "District"),
    "col_mean": ("{item}平均分", "{item} mean"),
    "col_top2": ("{item}满意率", "{item} top-2-box"),
    "col_top2_low": ("满意率 95% 下限", "Top-2-box 95% CI low"),
    "col_top2_high": ("满意率 95% 上限", "Top-2-box 95% CI high"),
    "col_index": ("满意度指数", "Satisfaction index"),
    "col_index_low": ("指数 95% 下限", "Index 95% CI low"),
    "col_index_high": ("指数 95% 上限", "Index 95% CI high"),
    "col_letters": ("显著性字母", "Letters"),
    "col_note": ("备注", "Note"),
    "col_item": ("题目", "Item"),
    "col_group_a": ("组 A", "Group A"),
    "col_group_b": ("组 B", "Group B"),
    "col_mean_a": ("组 A 平均分", "Mean A"),
    "col_mean_b": ("组 B 平均分", "Mean B"),
    "col_difference": ("差值 A−B", "Difference A−B"),
    "col_p_adj": ("校正后 p 值", "Adjusted p"),
    "col_significant": ("差异显著", "Significant"),
    "col_customer_type": ("客户类型", "Customer type"),
    "col_topic": ("主题", "Topic"),
    "col_count": ("条数", "Count"),
    "col_complaints": ("其中投诉", "Complaints"),
    "col_share": ("占比", "Share"),
    "col_praise": ("表扬", "Praise"),
    # values
    "all": ("全部", "All"),
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "too_few": ("样本不足（n={n}），不给出估计", "too few answers (n={n}): no estimate"),
    "not_tested": ("样本不足，未比较", "too few answers, not compared"),
    "ind_index": ("满意度指数（0–100）", "Satisfaction index (0–100)"),
    "ind_top2": ("满意率（4–5 分占比）", "Top-2-box share (4–5)"),
    "ind_mean": ("平均分（1–5）", "Mean score (1–5)"),
    "no_topics": ("没有可归类的意见建议。", "No suggestions to classify."),
}


def text(key: str, lang: str, **values: object) -> str:
    """``TEXT[key]`` in ``lang`` (``"zh"`` or ``"en"``), formatted with ``values``."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', but got {lang!r}")
    value = TEXT[key][lang == "en"]
    return value.format(**values) if values else value
