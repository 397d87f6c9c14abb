"""Text in several languages (``Label``: ``{"zh": …, "en": …}``) and the default ends of a satisfaction scale."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from questionnaires.errors import QuestionnaireError


class Label(Mapping[str, str]):
    """Immutable, hashable text in several languages (``{"zh": …, "en": …}``); compares equal to a dict.

    Blank texts are dropped and surrounding whitespace is stripped, so a blank XLSForm cell and a
    missing key mean the same thing.
    """

    __slots__ = ("_texts",)

    def __init__(self, texts: Mapping[str, str] | None = None, *, name: str = "label") -> None:
        if texts is None:
            texts = {}
        if not isinstance(texts, Mapping):
            raise QuestionnaireError(
                f"{name} must be a mapping of language code to text, e.g. {{zh: …, en: …}}, but got {texts!r}"
            )
        clean = {}
        for lang, text in texts.items():
            if not isinstance(lang, str) or not isinstance(text, str | None):
                raise QuestionnaireError(
                    f"{name} must map language codes to text, but got {lang!r}: {text!r}"
                )
            if text and text.strip():
                clean[lang.strip()] = text.strip()
        self._texts = dict(sorted(clean.items()))

    def __getitem__(self, lang: str) -> str:
        return self._texts[lang]

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def __hash__(self) -> int:
        return hash(tuple(self._texts.items()))

    def __repr__(self) -> str:
        return f"Label({self._texts!r})"

    def text(self, lang: str = "zh") -> str:
        """The text in `lang`, falling back to Chinese, then English, then any language, then ""."""
        for key in (lang, "zh", "en", *self._texts):
            if key in self._texts:
                return self._texts[key]
        return ""


LIKERT_LOW = Label({"zh": "非常不满意", "en": "Very dissatisfied"})
LIKERT_HIGH = Label({"zh": "非常满意", "en": "Very satisfied"})
