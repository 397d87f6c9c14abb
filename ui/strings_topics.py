"""Strings of the trained suggestion-topic model on 意见建议 and the dashboard (issue 13)."""

STRINGS: dict[str, tuple[str, str]] = {
    "tm_method": (
        "意见按训练好的主题模型归类（特征由交叉验证从字符片段、结巴分词、主题词典的判定和褒贬提示词中选定）："
        "一条意见可属于多个主题，每个主题带褒贬"
        "（投诉 / 表扬 / 中性），“投诉”另有单独的判定（它决定是否回访）。工作人员的更正优先于模型。"
        "投诉占比 = 对该主题投诉的意见数 / 有内容的意见数；加权占比按受访者权重计算（估计的客户占比）。",
        "Suggestions are classified by a trained topic model (its features chosen by cross-validation from "
        "character n-grams, jieba words, the topic dictionary's verdicts and polarity cues): a suggestion may have "
        "several topics, each with a polarity (complaint / praise / neutral); whether the text complains is its own decision (it opens a follow-up). Staff corrections "
        "override the model. Complaint share = suggestions complaining about the topic / non-empty suggestions; "
        "the weighted share uses the respondents' weights (an estimated share of customers).",
    ),
    "tm_by_stored": (
        "按模型 {version}（{date}，留出集 F1 {f1}）归类 {n} 条",
        "{n} classified by model {version} ({date}, held-out F1 {f1})",
    ),
    "tm_shipped_version": ("随附模型 {hash}", "shipped model {hash}"),
    "tm_by_shipped": (
        "按{version}（由系统自带语料训练，留出集 F1 {f1}）归类 {n} 条",
        "{n} classified by the {version} (trained on the project's corpus, held-out F1 {f1})",
    ),
    "tm_by_dictionary": (
        "按主题词典归类 {n} 条（未使用训练模型）",
        "{n} classified by the topic dictionary alone",
    ),
    "tm_frozen": (
        "本轮已结束：归类结果保持发布时的状态；当前模型为 {version}。",
        "This round is closed: its classification stays as published; the current model is {version}.",
    ),
    "tm_reclassify_confirm": (
        "我确认用当前模型重新归类本轮（已发布的主题统计会改变）",
        "I confirm: reclassify this round with the current model (its published topic counts will change)",
    ),
    "tm_reclassify": ("用当前模型重新归类本轮", "Reclassify this round with the current model"),
    "tm_reclassified": (
        "已用模型 {version} 重新归类 {n} 条（已记录审计日志）。",
        "{n} suggestions reclassified by {version} (recorded in the audit log).",
    ),  # fmt: skip
    "tm_counts": ("各主题的投诉与表扬", "Complaints and praise per topic"),
    "tm_col_complaints": ("投诉", "Complaints"),
    "tm_col_praise": ("表扬", "Praise"),
    "tm_col_mentions": ("提及", "Mentions"),
    "tm_col_share": ("投诉占比（未加权）", "Complaint share (unweighted)"),
    "tm_col_weighted": ("投诉占比（加权）", "Complaint share (weighted)"),
    "tm_col_confidence": ("模型置信度", "Model confidence"),
    "tm_col_polarity": ("褒贬", "Polarity"),
    "tm_col_complaint": ("投诉", "Complaint"),
    "tm_col_corrected": ("更正", "Corrected"),
    "tm_col_id": ("编号", "No."),
    "tm_col_version": ("模型版本", "Model version"),
    "tm_corrected_by": ("✎ {by} 于 {at} 更正", "✎ corrected by {by} on {at}"),
    "tm_polarity_complaint": ("投诉", "complaint"),
    "tm_polarity_praise": ("表扬", "praise"),
    "tm_polarity_neutral": ("中性", "neutral"),
    "tm_general": (
        "全文：含投诉 {complaint} 条，含表扬 {praise} 条（共 {n} 条有内容的意见）。",
        "Whole texts: {complaint} with a complaint, {praise} with praise ({n} non-empty suggestions).",
    ),  # fmt: skip
    "tm_correct_header": ("更正一条意见的归类", "Correct a suggestion's classification"),
    "tm_correct_pick": ("选择意见", "Suggestion"),
    "tm_correct_complaint_topics": ("投诉的主题", "Topics complained about"),
    "tm_correct_praise_topics": ("表扬的主题", "Topics praised"),
    "tm_correct_none": ("无（可选多个）", "None (choose any)"),
    "tm_correct_neutral_topics": ("提及（中性）的主题", "Topics mentioned (neutral)"),
    "tm_correct_is_complaint": ("这条意见含投诉（需回访）", "This suggestion complains (needs a follow-up)"),
    "tm_correct_is_praise": ("这条意见含表扬", "This suggestion praises"),
    "tm_correct_save": ("保存更正", "Save correction"),
    "tm_correct_saved": (
        "已保存更正（已记录审计日志），统计已更新。",
        "Correction saved (recorded in the audit log); the counts are updated.",
    ),  # fmt: skip
    "tm_correct_twice": ("同一主题只能选一种褒贬：{topics}", "Choose one polarity per topic: {topics}"),
    "tm_new_terms": (
        "主题词典尚未覆盖的新词（来自未归类的意见）",
        "New terms no topic covers yet (from unclassified suggestions)",
    ),
    "tm_new_terms_hint": (
        "这些词常出现在没有归入任何主题的意见里：可请系统管理员把其中有意义的词加入主题词典。",
        "These words are frequent in suggestions no topic covers: ask an administrator to add the meaningful "
        "ones to the topic dictionary.",
    ),
    "tm_new_terms_admin": ("主题词典文件：{path}", "The topic dictionary file: {path}"),
    "tm_col_term": ("词", "Term"),
    "tm_admin_header": ("主题模型版本（系统管理员）", "Topic model versions (administrators)"),
    "tm_retrain": ("用语料和工作人员更正重新训练", "Retrain from the corpus and staff corrections"),
    "tm_retrained": (
        "已训练并启用模型 {version}（留出集 F1 {f1}，用时 {seconds:.0f} 秒；已记录审计日志）。",
        "Model {version} trained and in use (held-out F1 {f1}, {seconds:.0f} s; recorded in the audit log).",
    ),  # fmt: skip
    "tm_no_versions": (
        "还没有训练过的版本：使用随系统提供的模型 {version}。",
        "No trained version yet: the shipped model {version} is in use.",
    ),  # fmt: skip
    "tm_col_created": ("训练时间", "Trained at"),
    "tm_col_by": ("训练人", "By"),
    "tm_col_train": ("训练条数", "Training texts"),
    "tm_col_corrections": ("其中更正", "Corrections"),
    "tm_col_held_out": ("留出集 F1", "Held-out F1"),
    "tm_col_cv": ("交叉验证 F1", "CV F1"),
    "tm_dash_summary": (
        "意见主题（按投诉数排序；表扬另列）",
        "Suggestion topics (by complaints; praise shown separately)",
    ),
}
