"""UI strings, Chinese first with an English switch.

Common strings live here; each feature area adds its own in a module ``ui/strings_<area>.py``
exposing ``STRINGS: dict[str, tuple[str, str]]`` (zh, en), merged at import. A key defined
twice is an error, so areas cannot silently overwrite each other.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import streamlit as st

LANGS = {"zh": "中文", "en": "English"}

STRINGS: dict[str, tuple[str, str]] = {
    "app_title": ("供电服务满意度调查", "Power supply satisfaction survey"),
    "language": ("语言 / Language", "Language / 语言"),
    # login
    "login": ("登录", "Sign in"),
    "login_title": ("工作人员登录", "Staff sign-in"),
    "login_hint": (
        "客户请通过短信中的专属链接填写问卷，无需登录。",
        "Customers answer through the personal link in their text message; no sign-in needed.",
    ),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "login_failed": (
        "用户名或密码错误；连续多次错误后账户将被暂时锁定。",
        "Wrong user name or password; repeated failures lock the account for a while.",
    ),
    "session_timed_out": (
        "会话因长时间未操作已结束，请重新登录。",
        "Your session ended after a period of inactivity; please sign in again.",
    ),
    "no_users_yet": (
        "还没有任何账户。请由系统管理员在服务器上运行：python -m survey create-user 用户名 --role admin",
        "There are no accounts yet. An administrator creates the first one on the server: "
        "python -m survey create-user NAME --role admin",
    ),
    "logout": ("退出登录", "Sign out"),
    "signed_in_as": ("当前用户：{name}（{role}）", "Signed in as {name} ({role})"),
    "role_staff": ("调查员", "survey staff"),
    "role_manager": ("业务管理人员", "manager"),
    "role_admin": ("系统管理员", "administrator"),
    # respond
    "respond": ("问卷", "Survey"),
    "respond_intro": (
        "感谢您抽出宝贵时间参与本次调查。您的回答仅用于改进供电服务，我们将严格保密。",
        "Thank you for taking part. Your answers are confidential and used only to improve our service.",
    ),
    "submit": ("提交问卷", "Submit"),
    "thanks_title": ("提交成功，感谢您的参与！", "Submitted — thank you!"),
    "thanks_body": (
        "您的意见对我们非常重要。如需帮助，请拨打 95598 供电服务热线。",
        "Your opinion matters to us. For help, call the 95598 service hotline.",
    ),
    "link_invalid": (
        "此链接无效或已使用过（或本次调查已结束），无需再次填写。如有疑问，请拨打 95598 供电服务热线。",
        "This link is not valid or has already been used (or the survey has closed); there is nothing "
        "more to fill in. Questions? Call the 95598 service hotline.",
    ),
    "fix_answers_inline": (
        "还有 {n} 处需要填写或修改，已在对应题目下方用红色标出。",
        "{n} answer(s) still need attention: see the red messages under the questions.",
    ),
    "fix_answers": ("请检查以下问题后再提交：", "Please check these questions before submitting:"),
    "required_mark": ("（必答）", " (required)"),
    "choose": ("请选择", "Choose"),
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "draft_saved": (
        "已自动保存，可稍后通过同一链接继续填写。",
        "Saved automatically; you can continue later from the same link.",
    ),
    # staff: rounds
    "rounds": ("抽样与邀请", "Sampling & invitations"),
    "draw_title": ("设计并抽取新一轮样本", "Design and draw a new round"),
    "round_name": ("轮次名称", "Round name"),
    "sample_size": ("样本量", "Sample size"),
    "strata": ("分层变量", "Strata"),
    "allocation": ("分配方式", "Allocation"),
    "alloc_proportional": ("按比例分配", "Proportional"),
    "alloc_equal": ("等量分配", "Equal"),
    "reserve": ("每层备用样本数", "Reserve units per stratum"),
    "draw": ("抽取样本", "Draw sample"),
    "drawn": (
        "已抽取第 {id} 轮：{n} 户（备用 {r} 户），共 {k} 层。",
        "Drew round {id}: {n} customers (+{r} reserve) in {k} strata.",
    ),
    "frame_size": ("抽样框：{n} 户可抽样客户", "Sampling frame: {n} eligible customers"),
    "rounds_list": ("已有轮次", "Rounds"),
    "invitations": ("邀请名单", "Invitations"),
    "base_url": ("问卷链接地址", "Survey link base URL"),
    "download_invitations": ("下载邀请名单 CSV", "Download invitation CSV"),
    "pick_round": ("选择轮次", "Round"),
    "no_rounds": ("还没有任何轮次。", "No rounds yet."),
    "col_region": ("地区", "Region"),
    "stratum_col_region": ("地区（供电公司）", "Region (city company)"),
    "stratum_col_district": ("区县", "District"),
    "stratum_col_customer_type": ("用电类别", "Customer type"),
    "stratum_col_urban_rural": ("城乡", "Urban / rural"),
    "col_estimate": ("均值", "Mean"),
    "col_ci": ("95% 置信区间", "95% CI"),
    "col_n": ("样本数", "n"),
    "col_se": ("标准误", "SE"),
    "col_ci_low": ("95% 下限", "95% CI low"),
    "col_ci_high": ("95% 上限", "95% CI high"),
    # dashboard
    "dashboard": ("满意度看板", "Satisfaction dashboard"),
    "item": ("指标", "Item"),
    "overall_row": ("全部", "All"),
    "no_responses": ("该轮次还没有答卷。", "This round has no responses yet."),
    "fw_upload_drop": ("把文件拖到这里", "Drag and drop a file here"),
    "fw_upload_limit": ("每个文件不超过 {mb} MB", "Up to {mb} MB per file"),
    "fw_upload_browse": ("选择文件", "Browse files"),
    "fw_skip_to_content": ("跳到正文", "Skip to main content"),
    "ci_caption": (
        "结果按抽样设计加权：每份答卷代表其所在层（地区×客户类别）的若干客户，号码错误、非本户等不合格的样本不计入总体。"
        "误差线为 95% 置信区间（始终在 1–5 分之内）。",
        "Results are weighted by the sampling design: each answer stands for a number of customers of its stratum "
        "(region × customer type); wrong numbers and non-customers are not counted in the population. Bars are "
        "95% confidence intervals (always within 1–5).",
    ),
    "test_caption": (
        "地区间比较：Kruskal-Wallis 检验（将样本视为简单随机样本，未考虑权重）。",
        "Regional comparison: Kruskal-Wallis test (treats the sample as simple random, unweighted).",
    ),
    "respondents": ("答卷数", "Responses"),
    "weighted_mean": ("加权均值（1–5）", "Weighted mean (1–5)"),
    # page titles of feature areas (their other strings live in ui/strings_<area>.py)
    "frame": ("客户名单导入", "Customer frame"),
    "fieldwork": ("电话回访", "Phone interviews"),
    "monitor": ("进度监控", "Fieldwork monitor"),
    "questionnaires": ("问卷管理", "Questionnaires"),
    "suggestions": ("意见建议", "Suggestions"),
    "follow_ups": ("回访跟进", "Follow-ups"),
    "trends": ("趋势对比", "Trends"),
    "audit": ("审计日志", "Audit log"),
    # admin
    "users": ("用户管理", "Users"),
    "create_user": ("新建用户", "Create user"),
    "role": ("角色", "Role"),
    "region_scope": ("限定地区（可空）", "Region scope (optional)"),
    "created": ("已创建。", "Created."),
}


def _merge_area_strings() -> None:
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if not info.name.startswith("strings_"):
            continue
        area = importlib.import_module(f"ui.{info.name}").STRINGS
        clash = set(area) & set(STRINGS)
        if clash:
            raise KeyError(f"ui/{info.name}.py redefines UI strings {sorted(clash)!r}")
        STRINGS.update(area)


_merge_area_strings()


def lang() -> str:
    return st.session_state.get("lang", "zh")


def t(key: str, **kwargs: object) -> str:
    """The string for ``key`` in the current language, formatted with ``kwargs``."""
    zh, en = STRINGS[key]
    text = en if lang() == "en" else zh
    return text.format(**kwargs) if kwargs else text


def label(mapping: dict | None) -> str:
    """Pick the current language from a ``{"zh": …, "en": …}`` label (falls back to the other)."""
    if not mapping:
        return ""
    return mapping.get(lang()) or mapping.get("zh") or mapping.get("en") or ""


def redraw_option_labels() -> None:
    """Language-switch callback: re-send every widget's current value, so option widgets redraw their labels.

    Streamlit 1.67 keeps showing a selectbox's or radio's old label when only the output of its
    ``format_func`` changes (streamlit/streamlit#13788), so after a switch the filters kept their Chinese
    labels. Re-assigning a widget's value to itself marks it as set and Streamlit sends the value again,
    with the label in the new language; the selection itself is kept. Booleans (buttons, checkboxes: no
    labels, and buttons may not be set) and objects (uploaded files, the signed-in user) are left alone.
    """
    plain = (str, int, float)
    for key in list(st.session_state.keys()):
        value = st.session_state[key]
        if key == "lang" or isinstance(value, bool):
            continue
        if isinstance(value, plain) or (
            isinstance(value, (list, tuple))
            and all(isinstance(v, plain) and not isinstance(v, bool) for v in value)
        ):
            st.session_state[key] = value


def language_switch(container=None) -> None:
    """A 中文 / English switch bound to ``st.session_state["lang"]``."""
    target = container or st.sidebar
    st.session_state.setdefault("lang", "zh")
    target.radio(
        STRINGS["language"][0], options=list(LANGS), format_func=LANGS.get, key="lang", horizontal=True,
        on_change=redraw_option_labels,
    )  # fmt: skip
