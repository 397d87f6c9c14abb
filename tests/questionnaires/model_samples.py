"""Shared samples of the questionnaire-model tests (tests/questionnaires/test_model*.py)."""

from questionnaires import Question, Questionnaire, load_default

Q = load_default()
CONDITIONAL = {"outage_notice", "repair", "hotline", "online", "complaint_handling"}
REQUIRED_ALWAYS = [
    "overall", "attitude", "skill", "reliability", "voltage", "planned_outage", "reported_fault",
    "billing", "complained", "vs_last_year",
]  # fmt: skip
# A complete, valid set of answers of someone who skipped every conditional question.
BASE = {
    "overall": 4, "attitude": 5, "skill": 4, "reliability": 3, "voltage": 4, "planned_outage": "no",
    "reported_fault": "no", "billing": 2, "complained": "no", "vs_last_year": "same",
}  # fmt: skip
LABEL = {"zh": "题目", "en": "Question"}


def make(*questions: Question) -> Questionnaire:
    return Questionnaire("t", "1", {"zh": "测试", "en": "Test"}, {}, questions)


NUMBERS = make(Question("n", "number", LABEL, required=True, minimum=0, maximum=100))
