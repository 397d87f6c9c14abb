"""The one questionnaire renderer: web respondents and phone interviewers use the same form.

Widgets are keyed ``q_<question id>`` and live outside ``st.form`` so that skip logic
(``relevant``) shows and hides questions as answers change. Validation happens on the
server in ``Questionnaire.validate``; this module only collects raw answers.
"""

from __future__ import annotations

import streamlit as st

from questionnaires import Question, Questionnaire
from ui.fmt import md
from ui.i18n import LANGS, STRINGS, label, redraw_option_labels, t

LIKERT_DEFAULT_ENDS = (
    {"zh": "非常不满意", "en": "Very dissatisfied"},
    {"zh": "非常满意", "en": "Very satisfied"},
)


def widget_key(question_id: str, prefix: str = "q") -> str:
    return f"{prefix}_{question_id}"


def phone_layout() -> None:
    """Customer-page layout for phones: less empty space on top and a one-line 中文 / English switch."""
    st.html(
        "<style>[data-testid='stMainBlockContainer']{padding-top:4.25rem;padding-bottom:2rem}"
        "[data-testid='stElementContainer']:has(.stRadio)+[data-testid='stElementContainer']"
        " [data-testid='stCaptionContainer']{margin-top:-1rem}</style>"
    )
    st.session_state.setdefault("lang", "zh")
    st.radio(
        STRINGS["language"][0],
        options=list(LANGS),
        format_func=LANGS.get,
        key="lang",
        horizontal=True,
        label_visibility="collapsed",
        on_change=redraw_option_labels,  # answers keep their choice and take the new labels
    )


def compact_header(title: str, description: str = "") -> None:
    """A phone-sized heading: a subheader and a caption instead of the page-wide ``st.title``."""
    st.subheader(md(title), anchor=False)
    if description:
        st.caption(md(description))


def _title(q: Question) -> str:
    text = md(label(q.label))  # questionnaire files are user-supplied: shown as typed, never as markdown
    return text + (t("required_mark") if q.required else "")


def _likert_ends(q: Question) -> str:
    """One line naming the scale's ends, shown under the options (five bare numbers fit a 390-px phone
    in every language, while labelled options wrap)."""
    low = label(q.low_label) or label(LIKERT_DEFAULT_ENDS[0])
    high = label(q.high_label) or label(LIKERT_DEFAULT_ENDS[1])
    return f"1 = {md(low)} · 5 = {md(high)}"


def _render_question(q: Question, key: str, initial: object) -> object:
    """Draw one question's widget and return its raw value (None when unanswered)."""
    help_text = md(label(q.hint)) or None
    if key not in st.session_state and initial is not None:
        st.session_state[key] = initial
    if q.type == "likert5":
        value = st.radio(_title(q), [1, 2, 3, 4, 5], index=None, key=key, horizontal=True, help=help_text)
        st.caption(_likert_ends(q))
        return value
    if q.type == "rating10":
        return st.radio(
            _title(q), list(range(11)), index=None, key=key, horizontal=True, help=help_text, captions=None
        )
    if q.type == "yesno":
        return st.radio(
            _title(q),
            ["yes", "no"],
            index=None,
            key=key,
            horizontal=True,
            help=help_text,
            format_func=lambda v: t("yes") if v == "yes" else t("no"),
        )
    if q.type == "single":
        labels = {c.value: md(label(c.label)) for c in q.choices}
        return st.radio(_title(q), list(labels), index=None, key=key, help=help_text, format_func=labels.get)
    if q.type == "multiple":
        labels = {c.value: label(c.label) for c in q.choices}
        return st.multiselect(
            _title(q),
            list(labels),
            key=key,
            help=help_text,
            format_func=labels.get,
            placeholder=t("choose"),
            select_all=False,  # "Select all" would tick 都没有用过 with every channel
        )
    if q.type == "number":
        return st.number_input(
            _title(q), value=None, key=key, help=help_text, min_value=q.minimum, max_value=q.maximum
        )
    if q.type == "text":
        return st.text_area(_title(q), key=key, help=help_text, max_chars=q.max_length or None)
    if q.type == "note":
        st.markdown(md(label(q.label)))
        return None
    raise ValueError(f"unsupported question type {q.type!r} for question {q.id!r}")


def render_questionnaire(
    questionnaire: Questionnaire,
    *,
    draft: dict | None = None,
    prefix: str = "q",
    problems: dict[str, str] | None = None,
) -> dict:
    """Render the relevant questions, in order, and return the raw answers so far.

    A question is drawn only while its ``relevant`` condition holds for the answers above it,
    so questions appear and disappear as the respondent answers (XLSForm semantics). ``problems``
    (question id → message, :func:`problem_messages`) are shown right under their question.
    """
    draft = draft or {}
    problems = problems or {}
    answers: dict = {}
    for q in questionnaire.questions:
        if q not in questionnaire.relevant_questions(answers):
            continue
        value = _render_question(q, widget_key(q.id, prefix), draft.get(q.id))
        if q.id in problems:
            st.error(md(problems[q.id]), icon="⚠️")
        if value is not None and value != [] and value != "":
            answers[q.id] = value
    return answers


def problem_messages(problems, questionnaire: Questionnaire) -> dict[str, str]:
    """``{question id: message}`` in the respondent's language (problems without a question under "")."""
    lang_code = st.session_state.get("lang", "zh")
    out: dict[str, str] = {}
    for p in problems:
        key = p.question_id or ""
        out[key] = "；".join(filter(None, [out.get(key), p.message(lang_code)])) if lang_code == "zh" else \
            "; ".join(filter(None, [out.get(key), p.message(lang_code)]))  # fmt: skip
    return out


def problems_now(questionnaire: Questionnaire, answers: dict) -> dict[str, str]:
    """The problems the answers have now (re-checked on every run, so a fixed answer loses its message)."""
    from questionnaires import AnswerError

    try:
        questionnaire.validate(answers)
    except AnswerError as e:
        return problem_messages(e.problems, questionnaire)
    return {}


def show_problems(problems, questionnaire: Questionnaire) -> None:
    """One summary of what must be fixed, each question named in the respondent's language as it is written
    (「…」：message in Chinese; "…": message in English), escaped: questionnaire texts are file-supplied."""
    zh = st.session_state.get("lang", "zh") == "zh"
    lines = []
    for qid, message in problem_messages(problems, questionnaire).items():
        q = questionnaire.question(qid) if qid else None
        name = md(label(q.label).rstrip("？?：:。. ")) if q is not None else ""
        lines.append(f"- 「{name}」：{md(message)}" if zh else f"- “{name}”: {md(message)}")
    st.error(t("fix_answers") + "\n" + "\n".join(lines))


def scroll_to_first_problem() -> None:
    """Bring the first message under a question into view (the summary sits at the top of the form)."""
    import streamlit.components.v1 as components

    components.html(
        "<script>const e = window.parent.document.querySelector(\"[data-testid='stAlertContentError']\");"
        " if (e) e.scrollIntoView({block: 'center'});</script>",
        height=0,
    )
