"""Strings of the access-control pages (users, audit)."""

STRINGS: dict[str, tuple[str, str]] = {
    "all_regions": ("全部地区", "All regions"),
    "manage_user": ("修改账户", "Change an account"),
    "pick_user": ("选择账户", "Account"),
    "disable": ("停用", "Disable"),
    "enable": ("启用", "Enable"),
    "new_password": ("新密码", "New password"),
    "reset_password": ("重置密码", "Reset password"),
    "save_scope": ("保存角色与地区", "Save role and regions"),
    "saved": ("已保存。", "Saved."),
    "audit_user": ("用户", "User"),
    "audit_action": ("操作", "Action"),
    "audit_since": ("起始日期", "Since"),
    "audit_rows": ("共 {n} 条记录（最多显示 1000 条）", "{n} entries (at most 1,000 shown)"),
    "any": ("全部", "Any"),
}
