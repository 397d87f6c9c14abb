"""Strings for a busy database (another process holds the write lock): customers are asked to try again."""

STRINGS: dict[str, tuple[str, str]] = {
    "busy_retry": (
        "系统繁忙，请稍后再试。您填写的答案仍保留在页面上，稍候再点一次“提交问卷”即可。",
        "The system is busy, please try again. Your answers are still on the page: press Submit again in a "
        "moment.",
    ),
    "busy_draft": (
        "系统繁忙，草稿暂未保存；您填写的答案仍在页面上。",
        "The system is busy and the draft was not saved yet; your answers are still on the page.",
    ),
}
