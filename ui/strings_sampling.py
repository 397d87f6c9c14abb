"""UI strings of the sampling area: frame import page and round design (zh, en)."""

STRINGS: dict[str, tuple[str, str]] = {
    # round design
    "size_mode": ("样本量确定方式", "How to size the round"),
    "size_mode_size": ("直接输入样本量", "Enter the size"),
    "size_mode_overall": ("总体误差 ±e", "±e overall"),
    "size_mode_per_region": ("每个地区误差 ±e", "±e in every region"),
    "margin_pct": ("允许误差 ±e（百分点）", "Margin ±e (percentage points)"),
    "confidence": ("置信水平", "Confidence level"),
    "response_rate": ("预计应答率", "Expected response rate"),
    "alloc_neyman": ("Neyman 最优分配", "Neyman"),
    "alloc_power": ("幂分配（Bankier）", "Power (Bankier)"),
    "alloc_optimal": ("考虑成本的最优分配", "Optimal with cost"),
    "power_exponent": ("幂指数 q（0 = 等量，1 = 按比例）", "Exponent q (0 = equal, 1 = proportional)"),
    "cost_per_type": ("每次访问成本（{t}）", "Cost per interview ({t})"),
    "minimum": ("每层最少样本数", "Minimum per stratum"),
    "minimum_help": (
        "每层至少抽取的客户数（层内客户不足时整层抽取）。建议至少 2：每层有 2 户以上才能估计该层的方差，"
        "否则小的层可能一户也抽不到，这些客户在结果中没有代表，误差也无法计算。",
        "The fewest customers drawn in each stratum (a smaller stratum is taken whole). At least 2 is "
        "standard: a stratum needs 2 units for its variance to be estimated; with 0 a small stratum may "
        "get no sample at all, its customers are then not represented and the margin cannot be computed.",
    ),
    "exclude_days": (
        "排除最近 K 天内已抽中的客户（0 = 不排除）",
        "Exclude customers sampled in the last K days (0 = none)",
    ),
    "neyman_fallback": (
        "没有已结束的轮次可提供各层标准差，已改用按比例分配。",
        "No closed round to take stratum SDs from: using proportional allocation.",
    ),
    "neyman_sd_from": (
        "各层标准差取自上一已结束轮次的总体满意度评分。",
        "Stratum SDs from the last closed round's overall scores.",
    ),
    "optimal_sd_from": (
        "各层标准差 S_h 取自第 {id} 轮（上一已结束轮次）的总体满意度评分；每次访问成本未填写的按 1 计。",
        "Stratum SDs S_h from round {id} (the last closed round), overall scores; costs not entered count as 1.",
    ),
    "optimal_sd_default": (
        "没有已结束的轮次可提供各层标准差：各层取 S_h = 0.5（比例 p = 0.5 时的标准差），"
        "即按 N_h/√c_h 分配；每次访问成本未填写的按 1 计。",
        "No closed round to take stratum SDs from: S_h = 0.5 in every stratum (a proportion at p = 0.5), "
        "so the allocation is N_h/√c_h; costs not entered count as 1.",
    ),
    "preview_target": ("（目标 {e}）", " (target {e})"),
    "margin_shortfall": (
        "目标误差 {e} 无法达到：即使抽取全部可抽样客户，按预计应答率计算的误差仍为 {where}。"
        "可以降低目标、提高预计应答率，或确认按此误差抽样。",
        "The target margin {e} cannot be met: even drawing every eligible customer, the expected response rate "
        "gives {where}. Lower the target, raise the expected response rate, or confirm to draw with this margin.",
    ),
    "accept_shortfall": (
        "仍然抽样（接受上述达不到目标的误差）",
        "Draw anyway (accept the margins above, which miss the target)",
    ),
    "strata_single": (
        "有 {k} 个层只抽到 1 户（{names}）：每层至少 2 户才能估计该层的方差，这些层的误差无法正确计算。"
        "请把“每层最少样本数”提高到至少 2。",
        "Only one customer drawn in {k} of the strata ({names}): a stratum needs at least 2 for its variance "
        "to be estimated. Raise “Minimum per stratum” to at least 2.",
    ),
    "preview": ("设计预览", "Design preview"),
    "draw_rounds_open": (
        "还有 {n} 个轮次仍在进行中（{names}）：新轮次会与它们同时调查，客户可能在短期内收到多份邀请；可先在“进度监控”结束旧轮次。",
        "{n} round(s) still open ({names}): a new round would run at the same time and customers may get several "
        "invitations within days; close older rounds on the monitor page first.",
    ),
    "preview_total": (
        "计划样本 {n} 户，预计完成 {m:.0f} 份，总体预计误差 {e}。",
        "Planned sample {n}, expected completes {m:.0f}, overall expected margin {e}.",
    ),
    "margin_unavailable": ("无法计算", "cannot be computed"),
    "strata_unsampled": (
        "有 {k} 个层分不到样本（{names}）：这些层的客户在本轮中没有代表，相关地区和总体的预计误差无法计算。"
        "请把“每层最少样本数”提高到至少 2。",
        "No sample in {k} of the strata ({names}): their customers are not represented in this round and "
        "the expected margin of their regions and overall cannot be computed. Raise “Minimum per stratum” "
        "to at least 2.",
    ),
    "strata_unsampled_more": ("等", ", …"),
    "size_below_minimum": (
        "样本量至少应为 {n}：{k} 个层每层至少 {m} 户。请增大样本量或降低每层最少样本数。",
        "The sample size must be at least {n}: at least {m} in each of {k} strata. "
        "Increase the size or lower the minimum per stratum.",
    ),
    "size_above_frame": (
        "样本量不能超过可抽样客户数 {n}。",
        "The sample size cannot exceed the {n} eligible customers.",
    ),
    "preview_by_region": ("各地区预计误差", "Expected margin per region"),
    "col_stratum": ("层", "Stratum"),
    "col_domain": ("地区", "Region"),
    "col_N_h": ("层内客户数 N_h", "N_h"),
    "col_n_h": ("样本量 n_h", "n_h"),
    "col_completes": ("预计完成数", "Expected completes"),
    "col_weight": ("基础权数", "Weight"),
    "col_margin": ("预计误差 ±", "Expected margin ±"),
    "col_target": ("目标误差 ±", "Target margin ±"),
    "col_N": ("客户数", "Customers"),
    "design_error": ("设计无法实现：{e}", "The design is not possible: {e}"),
    # rounds list
    "rnd_col_id": ("编号", "No."),
    "rnd_col_name": ("名称", "Name"),
    "rnd_col_status": ("状态", "Status"),
    "rnd_col_created": ("抽样时间", "Drawn at"),
    "rnd_col_expires": ("链接截止", "Links expire"),
    "rnd_col_sampled": ("样本量", "Sampled"),
    "rnd_col_completed": ("已完成", "Completed"),
    "rnd_col_rate": ("应答率（完成/样本）", "Response rate (completed / sampled)"),
    "rnd_rate_help": (
        "已完成答卷数 ÷ 样本量（不含备用样本）。按 AAPOR 标准计算的应答率见“进度监控”。",
        "Completed ÷ sampled (reserve units excluded). AAPOR response rates are on the fieldwork monitor.",
    ),
    "rnd_status_open": ("进行中", "Open"),
    "rnd_status_closed": ("已结束", "Closed"),
    # coordination
    "overlap_title": ("与以往轮次的重叠", "Overlap with earlier rounds"),
    "overlap_caption": (
        "永久随机数轮换：在一层被完整覆盖之前，预计重叠约为 0。",
        "PRN rotation: until a stratum has been covered the expected overlap is about 0.",
    ),
    "overlap_round": ("查看轮次", "Round"),
    "col_earlier": ("以往轮次", "Earlier round"),
    "col_expected": ("预计重叠", "Expected overlap"),
    "col_actual": ("实际重叠", "Actual overlap"),
    "no_overlap": ("同一调查没有更早的轮次。", "No earlier round of the same survey."),
    # frame import
    "frame_upload": ("上传客户名单（CSV 或 Excel .xlsx）", "Upload the customer frame (CSV or Excel .xlsx)"),
    "frame_encoding": ("文件编码", "Encoding"),
    "encoding_auto": ("自动识别", "Detect"),
    "frame_sheet": ("工作表", "Sheet"),
    "frame_mapping": ("列对应关系", "Column mapping"),
    "frame_mapping_help": (
        "未能识别全部必填列，请为每个标准列选择文件中的列。",
        "Not every required column was recognised: pick the file's column for each standard column.",
    ),
    "frame_not_mapped": ("（无）", "(none)"),
    "frame_required": ("（必填）", " (required)"),
    "frame_col_id": ("户号", "Customer ID"),
    "frame_col_name": ("户名", "Name"),
    "frame_col_phone": ("联系电话", "Phone"),
    "frame_col_region": ("供电单位（地区）", "Region (city company)"),
    "frame_col_district": ("区县", "District"),
    "frame_col_customer_type": ("用户类别", "Customer type"),
    "frame_col_urban_rural": ("城乡类别", "Urban / rural"),
    "frame_col_complaints_12m": ("近 12 个月投诉次数", "Complaints in the last 12 months"),
    "frame_col_opted_out": ("拒访", "Opted out"),
    "frame_preview": ("前 {n} 行预览", "First {n} rows"),
    "frame_problems": (
        "发现 {n} 个问题，未写入任何数据。以下列出前 {k} 个：",
        "{n} problem(s) found; nothing was written. The first {k}:",
    ),
    "frame_valid": ("文件有效：{n} 位客户。", "The file is valid: {n} customers."),
    "frame_import": ("导入客户名单", "Import the frame"),
    "frame_imported": (
        "导入完成：新增 {added}，更新 {updated}，停用 {deactivated}。",
        "Imported: {added} added, {updated} updated, {deactivated} deactivated.",
    ),
    "frame_current": ("当前名单（在册客户）", "Current frame (active customers)"),
    "col_row": ("行", "Row"),
    "col_column": ("列", "Column"),
    "col_value": ("值", "Value"),
    "col_message": ("问题", "Problem"),
    "col_customer_type": ("用户类别", "Customer type"),
    "col_customers": ("客户数", "Customers"),
    "frame_total": (
        "共 {n} 位在册客户，{r} 个地区，{k} 个地区 × 用户类别组合。",
        "{n} active customers in {r} regions and {k} region × customer type cells.",
    ),
    "frame_whole_file": ("（整个文件）", "(whole file)"),
    # questionnaires page (its other strings are in ui/strings_fieldwork.py)
    "qn_col_id": ("编号", "No."),
    "qn_col_code": ("问卷代码", "Code"),
    "qn_col_sha": ("校验码（SHA-256 前 12 位）", "SHA-256 (first 12)"),
    "qn_none": (
        "还没有问卷版本：抽取第一轮样本时会自动存入默认问卷，也可以在上方上传 YAML 或 XLSForm 问卷。",
        "No questionnaire version yet: the default questionnaire is stored with the first round drawn, "
        "or upload a YAML or XLSForm questionnaire above.",
    ),
    # rounds page: the frame source (imported list or a file in $SURVEY_FRAME_DIR)
    "draw_source": ("抽样框来源", "Frame to draw from"),
    "draw_source_store": ("已导入的客户名单（{n} 户可抽样）", "The imported customer list ({n} eligible)"),
    "draw_source_file": ("服务器上的文件：{name}", "File on the server: {name}"),
    "draw_source_caption": (
        "从服务器上的文件 {name} 直接抽样：在文件中计算各层户数并抽取样本，只有抽中的客户（含后备）载入系统；"
        "轮次记录文件的指纹、盐值和起点，可复核。",
        "Drawn straight from the file {name} on the server: the strata counts and the sample are computed in "
        "the file, only the selected customers (and reserves) are loaded; the round records the file's "
        "fingerprint, salt and starts, so the draw can be repeated.",
    ),
    "draw_source_total": ("文件 {name}：{n} 户可抽样客户", "File {name}: {n} eligible customers"),
    "draw_source_problems": (
        "文件 {name} 有 {n} 处问题，未抽样：",
        "The file {name} has {n} problem(s); nothing was drawn:",
    ),
    "draw_source_unreadable": (
        "无法读取文件 {name}，未抽样。",
        "The file {name} cannot be read; nothing was drawn.",
    ),
    # why a frame file cannot be read (sampling.engines.rule.READ_REASONS), above the engine's own words
    "frame_unreadable_damaged": (
        "文件已损坏或不完整（例如复制中断）：请重新导出或重新复制到服务器。",
        "The file is damaged or incomplete (an interrupted copy, say): export it again or copy it again.",
    ),
    "frame_unreadable_not_utf8": (
        "文件不是 UTF-8 编码（可能是 GBK）：请另存为 UTF-8，或在“客户名单导入”页导入（支持 GBK）。",
        "The file is not UTF-8 (GBK, perhaps): save it as UTF-8, or import it on the Customer frame page, "
        "which reads GBK.",
    ),
    "frame_unreadable_csv_rows": (
        "有一行与表头不符（字段过多或过少，或引号未闭合），行号见下：请修正该行后重新导出。",
        "A row does not fit the header (too many or too few fields, or an unclosed quote); its line is "
        "below: correct it and export again.",
    ),
    "frame_unreadable_empty": ("文件是空的（没有表头行）。", "The file is empty (no header row)."),
    "frame_unreadable_duplicate_column": (
        "表头中有重复的列名：请删除或重命名其中一列。",
        "The header names a column twice: remove or rename one of them.",
    ),
    "draw_source_more": ("\n\n……另有 {n} 处", "\n\n… {n} more"),
    # rounds page on a new installation
    "rounds_no_frame": (
        "抽样框为空：请先在“客户名单导入”页面导入客户名单，然后再设计并抽取样本。",
        "The sampling frame is empty: import the customer list on the customer frame page first, "
        "then design and draw a round.",
    ),
}
