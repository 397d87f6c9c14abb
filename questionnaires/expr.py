"""A small, safe expression language for `relevant` (skip logic) and `constraint`.

The syntax is the XLSForm subset that survey staff know from ODK/KoBoToolbox::

    ${planned_outage} = 'yes'
    selected(${channels}, 'hotline') and not(${overall} >= 4)
    not(selected(., 'none') and count-selected(.) > 1)
    string-length(.) <= 500

Grammar (recursive descent; no Python ``eval``/``exec``/``ast`` is ever used)::

    expression := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := primary (("=" | "==" | "!=" | "<" | "<=" | ">" | ">=") primary)?
    primary    := NUMBER | STRING | "${" name "}" | "." | FUNCTION "(" [expression ("," expression)*] ")"
                | "(" expression ")"

Semantics: an unanswered reference is ``None`` and every comparison with ``None`` is false, except that
``None`` equals the empty string (the XLSForm idiom ``${q} != ''`` for "answered"). Numbers and numeric
strings compare as numbers; a multiple-choice answer compares as its space-separated values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from questionnaires.errors import QuestionnaireError
from questionnaires.expr_eval import (
    FUNCTIONS,
    BoolOp,
    Call,
    Compare,
    Current,
    Literal,
    Node,
    Not,
    Ref,
    collect_refs,
    evaluate_node,
    truthy,
)

__all__ = ["Expression", "parse", "references", "QUESTION_ID"]

#: Pattern of a question id (an XLSForm ``name``).
QUESTION_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")

MAX_LENGTH = 2000
MAX_DEPTH = 50
#: Most digits in a number literal: 15 significant digits survive a float exactly, and a longer number
#: (e.g. 400 digits) would overflow a float when an answer is compared with it.
MAX_NUMBER_DIGITS = 15

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
    |(?P<ref>\$\{(?P<refname>[^}]*)\})
    |(?P<number>-?(?:\d+(?:\.\d*)?|\.\d+))
    |(?P<string>'[^']*'|"[^"]*")
    |(?P<op><=|>=|!=|==|=|<|>)
    |(?P<punct>[(),])
    |(?P<dot>\.)
    |(?P<name>[A-Za-z][A-Za-z0-9_\-]*)
    """,
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not"}


# --- parser ----------------------------------------------------------------------------------------------


def _tokenize(source: str) -> list[tuple[str, str, int]]:
    tokens = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            raise QuestionnaireError(
                f"syntax error in {source!r}: unexpected {source[position]!r} at {position + 1}"
            )
        kind = match.lastgroup
        if kind == "refname":  # the inner group of "ref" matched last
            kind = "ref"
        if kind != "ws":
            text = match.group("refname") if kind == "ref" else match.group()
            tokens.append((kind, text, position))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, source: str, allow_current: bool) -> None:
        self.source = source
        self.allow_current = allow_current
        self.tokens = _tokenize(source)
        self.index = 0
        self.depth = 0

    def error(self, problem: str) -> QuestionnaireError:
        return QuestionnaireError(f"syntax error in {self.source!r}: {problem}")

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def accept(self, kind: str, text: str | None = None) -> bool:
        token = self.peek()
        if token and token[0] == kind and (text is None or token[1] == text):
            self.index += 1
            return True
        return False

    def expect(self, kind: str, text: str) -> None:
        if not self.accept(kind, text):
            raise self.error(f"expected {text!r} {self.where()}")

    def where(self) -> str:
        token = self.peek()
        return "at the end" if token is None else f"before {token[1]!r} at {token[2] + 1}"

    def parse(self) -> Node:
        if not self.tokens:
            raise self.error("the expression is empty")
        node = self.expression()
        if self.peek() is not None:
            raise self.error(f"unexpected {self.peek()[1]!r} at {self.peek()[2] + 1}")
        return node

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nesting deeper than {MAX_DEPTH} levels")
        node = self.or_()
        self.depth -= 1
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.accept("name", "or"):
            node = BoolOp("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.accept("name", "and"):
            node = BoolOp("and", node, self.not_())
        return node

    def not_(self) -> Node:
        if self.accept("name", "not"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.error(f"nesting deeper than {MAX_DEPTH} levels")
            node = Not(self.not_())
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Node:
        node = self.primary()
        token = self.peek()
        if token and token[0] == "op":
            self.index += 1
            op = "=" if token[1] == "==" else token[1]
            node = Compare(op, node, self.primary())
            following = self.peek()
            if following and following[0] == "op":
                raise self.error(f"chained comparison at {following[2] + 1}; use 'and'")
        return node

    def primary(self) -> Node:
        token = self.peek()
        if token is None:
            raise self.error("unexpected end of expression")
        kind, text, position = token
        self.index += 1
        if kind == "number":
            digits = sum(c.isdigit() for c in text)
            if digits > MAX_NUMBER_DIGITS:
                raise self.error(
                    f"number at {position + 1} has {digits} digits; at most {MAX_NUMBER_DIGITS} are allowed"
                )
            return Literal(float(text) if "." in text else int(text))
        if kind == "string":
            return Literal(text[1:-1])
        if kind == "ref":
            if not QUESTION_ID.fullmatch(text):
                raise self.error(f"invalid question reference '${{{text}}}' at {position + 1}")
            return Ref(text)
        if kind == "dot":
            if not self.allow_current:
                raise self.error("'.' (the current answer) can only be used in a constraint")
            return Current()
        if kind == "punct" and text == "(":
            node = self.expression()
            self.expect("punct", ")")
            return node
        if kind == "name" and text not in _KEYWORDS:
            if not self.accept("punct", "("):
                raise self.error(
                    f"unknown name {text!r} at {position + 1} (write '${{{text}}}' for a question)"
                )
            if text not in FUNCTIONS:
                raise QuestionnaireError(
                    f"unknown function {text!r} in {self.source!r}; known functions: {', '.join(sorted(FUNCTIONS))}"
                )
            args: list[Node] = []
            if not self.accept("punct", ")"):
                args.append(self.expression())
                while self.accept("punct", ","):
                    args.append(self.expression())
                self.expect("punct", ")")
            arity = FUNCTIONS[text][0]
            if len(args) != arity:
                raise QuestionnaireError(
                    f"{text}() takes {arity} argument(s), but got {len(args)} in {self.source!r}"
                )
            return Call(text, tuple(args))
        raise self.error(f"unexpected {text!r} at {position + 1}")


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its source text and its syntax tree.

    Examples
    --------
    >>> rule = parse("${planned_outage} = 'yes'")
    >>> rule.evaluate({"planned_outage": "yes"}), rule.evaluate({})
    (True, False)
    >>> parse("count-selected(.) <= 2", allow_current=True).evaluate({}, current=["a", "b"])
    True
    """

    source: str
    node: Node

    @property
    def references(self) -> frozenset[str]:
        """Ids of the questions referenced with ``${…}``."""
        return frozenset(collect_refs(self.node, set()))

    def evaluate(self, answers: Mapping[str, object], current: object = None) -> bool:
        """Evaluate to a boolean against `answers` (question id → value; missing means unanswered)."""
        return truthy(evaluate_node(self.node, answers, current))


def parse(source: str, *, allow_current: bool = False) -> Expression:
    """Parse `source` into an `Expression`.

    Parameters
    ----------
    source : str
        The expression text.
    allow_current : bool
        Whether ``.`` (the current answer) is allowed: true for constraints, false for `relevant`.

    Raises
    ------
    QuestionnaireError
        On a syntax error, an unknown function or a wrong number of arguments.
    TypeError
        If `source` is not a string.
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be a str, but got {type(source).__name__}")
    if len(source) > MAX_LENGTH:
        raise QuestionnaireError(f"expression must be at most {MAX_LENGTH} characters, but got {len(source)}")
    return Expression(source, _Parser(source, allow_current).parse())


def references(expr: str | Expression) -> set[str]:
    """Ids of the questions referenced with ``${…}`` in `expr` (a string is parsed first, allowing ``.``)."""
    expression = expr if isinstance(expr, Expression) else parse(expr, allow_current=True)
    return set(expression.references)
