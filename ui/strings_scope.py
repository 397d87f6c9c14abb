"""UI strings of region scope and audited downloads (issue 11): prepare buttons, scoped imports and draws,
admin-only settings (zh, en)."""

STRINGS: dict[str, tuple[str, str]] = {
    # downloads built on request (audited when built, dropped after the download and at sign-out)
    "prepare_help": (
        "名单含客户姓名、电话和个人链接：点击后才生成文件，并记入审计日志；下载后或退出登录时文件即被清除。",
        "The list holds names, phone numbers and personal links: the file is built (and audited) only when you "
        "click, and dropped after the download or at sign-out.",
    ),
    "inv_prepare": ("生成邀请名单", "Prepare invitation list"),
    "inv_ready": ("下载邀请名单 CSV（{n} 条）", "Download invitation CSV ({n} rows)"),
    "mon_prep_inv_csv": ("生成邀请名单 CSV", "Prepare invitations CSV"),
    "mon_prep_inv_xlsx": ("生成邀请名单 Excel", "Prepare invitations Excel"),
    "mon_prep_rem_csv": ("生成提醒名单 CSV", "Prepare reminder list CSV"),
    "mon_prep_rem_xlsx": ("生成提醒名单 Excel", "Prepare reminder list Excel"),
    "mon_ready": ("下载 {file}（{n} 条）", "Download {file} ({n} rows)"),
    "scope_rows_note": (
        "名单只含您所辖地区（{regions}）的客户。",
        "The list holds only your regions' ({regions}) customers.",
    ),
    # draws and imports by region-scoped staff
    "draw_all_regions_only": (
        "一轮样本覆盖所有地区的分层，只有不限地区的调查员或系统管理员可以抽样。您可以下载本地区的邀请名单、进行电话回访。",
        "A round spans every region's strata, so only staff or admins of all regions may draw one. You can download "
        "your regions' invitations and work the call list.",
    ),
    "frame_scope_note": (
        "您的账号限于 {regions}：文件只能包含这些地区的客户；导入只新增、更新并停用这些地区的客户，其他地区不受影响。",
        "Your account is limited to {regions}: the file may hold only these regions' customers; the import adds, "
        "updates and deactivates customers of these regions only, other regions are left as they are.",
    ),
    "not_permitted": ("无权执行：{e}", "Not permitted: {e}"),
    # settings are admin-only
    "fu_sla_admin_only": (
        "回访时限为全公司设置，只有系统管理员可以修改。",
        "The call-back SLA is company-wide; only admins may change it.",
    ),
}
