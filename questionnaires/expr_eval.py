"""The syntax tree of the :mod:`questionnaires.expr` language and its evaluation (pure).

Semantics (see :mod:`questionnaires.expr`): an unanswered reference is ``None`` and every comparison with
``None`` is false, except that ``None`` equals the empty string; numbers and numeric strings compare as
numbers; a multiple-choice answer compares as its space-separated values. No Python ``eval`` is used.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_NUMERIC = re.compile(r"\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)\s*")

# --- AST -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: str | int | float


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class Current:
    """``.``: the answer being checked by a constraint."""


@dataclass(frozen=True)
class Compare:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


Node = Literal | Ref | Current | Compare | BoolOp | Not | Call


# --- functions -------------------------------------------------------------------------------------------


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value).split()


def _selected(values: object, choice: object) -> bool:
    return choice is not None and str(choice) in _as_list(values)


def _count_selected(values: object) -> int:
    return len(_as_list(values))


def _string_length(value: object) -> int:
    return 0 if value is None else len(_as_scalar(value))


FUNCTIONS: dict[str, tuple[int, Callable[..., object]]] = {
    "selected": (2, _selected),
    "count-selected": (1, _count_selected),
    "string-length": (1, _string_length),
    "true": (0, lambda: True),
    "false": (0, lambda: False),
}


# --- evaluation ------------------------------------------------------------------------------------------


def _as_scalar(value: object) -> str:
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return float(value)
    try:  # an int too large for a float (OverflowError) or a huge numeric string (inf) is not a number here
        if isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str) and _NUMERIC.fullmatch(value):
            number = float(value)
        else:
            return None
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def truthy(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return len(value) > 0 if isinstance(value, str | list | tuple) else True


def _compare(op: str, left: object, right: object) -> bool:
    if left is None or right is None:
        if op in ("=", "!=") and "" in (left, right):
            left, right = ("" if left is None else left), ("" if right is None else right)
        else:
            return False
    a, b = _as_number(left), _as_number(right)
    if a is None or b is None:
        if op not in ("=", "!="):
            return False
        a, b = _as_scalar(left), _as_scalar(right)  # type: ignore[assignment]
    return {
        "=": a == b,
        "!=": a != b,
        "<": a < b,
        "<=": a <= b,
        ">": a > b,
        ">=": a >= b,
    }[op]


def evaluate_node(node: Node, answers: Mapping[str, object], current: object) -> object:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Ref):
        return answers.get(node.name)
    if isinstance(node, Current):
        return current
    if isinstance(node, Compare):
        return _compare(
            node.op, evaluate_node(node.left, answers, current), evaluate_node(node.right, answers, current)
        )
    if isinstance(node, BoolOp):
        left = truthy(evaluate_node(node.left, answers, current))
        if node.op == "and":
            return left and truthy(evaluate_node(node.right, answers, current))
        return left or truthy(evaluate_node(node.right, answers, current))
    if isinstance(node, Not):
        return not truthy(evaluate_node(node.operand, answers, current))
    if isinstance(node, Call):
        return FUNCTIONS[node.name][1](*(evaluate_node(arg, answers, current) for arg in node.args))
    raise TypeError(f"node must be an expression node, but got {node!r}")  # pragma: no cover


def collect_refs(node: Node, into: set[str]) -> set[str]:
    if isinstance(node, Ref):
        into.add(node.name)
    elif isinstance(node, Compare | BoolOp):
        collect_refs(node.left, into)
        collect_refs(node.right, into)
    elif isinstance(node, Not):
        collect_refs(node.operand, into)
    elif isinstance(node, Call):
        for arg in node.args:
            collect_refs(arg, into)
    return into
