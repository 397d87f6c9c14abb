"""Exceptions of the questionnaire package.

`QuestionnaireError` says that a questionnaire *definition* is wrong (a file, a question, an expression);
`AnswerError` says that a set of *answers* does not satisfy a valid questionnaire and lists every problem.
"""

from __future__ import annotations

from dataclasses import dataclass


class QuestionnaireError(ValueError):
    """A questionnaire definition is invalid.

    The message names where the problem is (file, question id or position) and what it is, e.g.
    ``default.yaml: question 'repair': relevant: reference to unknown question 'reportd_fault'``.

    Parameters
    ----------
    problem : str
        What is wrong.
    question : str or None
        Id of the question concerned, if known.
    position : int or None
        1-based position of the question (or sheet row for XLSForm) when the id is unknown.
    source : str or None
        File name or other source of the definition.
    """

    def __init__(
        self,
        problem: str,
        *,
        question: str | None = None,
        position: int | None = None,
        source: str | None = None,
    ) -> None:
        self.problem = problem
        self.question = question
        self.position = position
        self.source = source
        super().__init__(self._message())

    def _message(self) -> str:
        parts = []
        if self.source:
            parts.append(str(self.source))
        if self.question:
            parts.append(f"question {self.question!r}")
        elif self.position is not None:
            parts.append(f"question #{self.position}")
        parts.append(self.problem)
        return ": ".join(parts)

    def within(
        self,
        *,
        question: str | None = None,
        position: int | None = None,
        source: str | None = None,
    ) -> QuestionnaireError:
        """Return a copy with missing context (question, position, source) filled in."""
        return QuestionnaireError(
            self.problem,
            question=self.question or question,
            position=self.position if self.position is not None else position,
            source=self.source or source,
        )


@dataclass(frozen=True)
class Problem:
    """One problem with one answer, in Chinese and English, for the respondent."""

    question_id: str
    message_zh: str
    message_en: str

    def message(self, lang: str = "zh") -> str:
        """The message in `lang` ("zh" or "en"; anything else gives English)."""
        return self.message_zh if lang == "zh" else self.message_en


class AnswerError(ValueError):
    """Answers do not satisfy the questionnaire; `.problems` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        details = "; ".join(f"{p.question_id}: {p.message_en}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) with the answers: {details}")

    def by_question(self) -> dict[str, list[Problem]]:
        """Problems grouped by question id, in questionnaire order."""
        grouped: dict[str, list[Problem]] = {}
        for problem in self.problems:
            grouped.setdefault(problem.question_id, []).append(problem)
        return grouped
