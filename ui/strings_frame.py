"""UI strings of the frame import's mapping steps and impact (zh, en); the page's other strings are in
ui/strings_sampling.py."""

STRINGS: dict[str, tuple[str, str]] = {
    "frame_mapping_all": (
        "系统已按表头自动识别各列（可修改）。可选列（如区县、城乡类别）也可以在这里指定；选“（无）”则不导入该列。",
        "The columns were recognised from the headers (you can change them). Optional columns (district, "
        "urban/rural, …) can be picked here too; “(none)” leaves a column out.",
    ),
    "frame_unmapped": (
        "文件中以下列未对应到任何标准列，不会导入：{cols}。如需导入，请在“列对应关系”中选择。",
        "These columns of the file are not mapped and will not be imported: {cols}. Pick them under "
        "“Column mapping” to import them.",
    ),
    "frame_values": (
        "值对应：不在地区 / 用户类别列表中的值",
        "Value mapping: values not in the region / type list",
    ),
    "frame_values_help": (
        "下列值不在列表中，导入已暂停。请把每个值对应到已有的地区（用户类别），或明确新增为一个新的地区（用户类别）。"
        "所作选择会作为别名保存，下次导入自动识别。",
        "These values are not in the list, so the import is on hold. Map each one onto an existing region "
        "(customer type) or explicitly add it as a new one. The choices are kept as aliases for later imports.",
    ),
    "frame_value_pick": ("请选择…", "Choose…"),
    "frame_value_new": ("新增为新的{what}“{value}”", "Add “{value}” as a new {what}"),
    "frame_what_region": ("地区", "region"),
    "frame_what_customer_type": ("用户类别", "customer type"),
    "frame_values_pending": (
        "还有 {n} 个值未选择对应关系，未写入任何数据。",
        "{n} value(s) still need a choice; nothing was written.",
    ),
    "frame_impact": ("导入影响", "What the import will do"),
    "frame_impact_added": ("新增", "Added"),
    "frame_impact_updated": ("更新", "Updated"),
    "frame_impact_moved": ("转到其他地区", "Moved to another region"),
    "frame_impact_deactivated": ("停用", "Deactivated"),
    "frame_impact_help": (
        "停用：在册但不在本文件中的客户将被标记为停用（不会删除，历史答卷保留）。",
        "Deactivated: active customers missing from this file are marked inactive (never deleted; "
        "their past answers stay).",
    ),
    "frame_moves": ("地区变动（前 20 种）", "Region changes (top 20)"),
    "col_from_region": ("原地区", "From"),
    "col_to_region": ("新地区", "To"),
    "frame_confirm_deactivate": (
        "我确认停用 {n} 位不在本文件中的客户",
        "I confirm that {n} customers missing from this file are deactivated",
    ),
    "frame_deactivate_needed": (
        "本次导入将停用 {n} 位客户，请先勾选确认。",
        "This import deactivates {n} customers: tick the confirmation first.",
    ),
    "frame_new_entries": ("将新增到列表：{names}", "Added to the list: {names}"),
    # admin: the region list (users page)
    "rl_title": ("地区列表", "Region list"),
    "rl_help": (
        "导入客户名单时，供电单位按此列表识别（常见写法如“国网泉州供电公司”自动对应“泉州”）；不在列表中的值会使导入暂停。"
        "用户类别与别名的完整维护：`python -m survey regions`。",
        "Imports map 供电单位 onto this list (usual spellings such as 国网泉州供电公司 → 泉州 are recognised); a "
        "value not in it stops the import. Customer types and all aliases: `python -m survey regions`.",
    ),
    "rl_col_name": ("地区", "Region"),
    "rl_col_en": ("英文名", "English name"),
    "rl_col_districts": ("区县", "Districts"),
    "rl_col_alias": ("别名（文件中的写法）", "Alias (as the file writes it)"),
    "rl_add_alias": ("添加别名", "Add the alias"),
    "rl_add_region": ("新增地区", "Add the region"),
    "import_in_progress": (
        "{by} 正在导入客户名单（开始于 {since}），完成后才能抽样或再次导入；已导入的部分在完成前不计入任何统计。请稍后再试。",
        "{by} is importing the customer frame (since {since}); drawing and another import wait until it has "
        "finished, and its rows count nowhere until then. Please try again shortly.",
    ),
}
