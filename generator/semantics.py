"""The one table of operator meanings.

Each row says what an operator of the language means: which argument kinds it takes, the type (for integers: the
interval) of its result, and its Python reading as an expression template over the runtime. The Z3 encoder
(`generator.smt.encode`) has one builder for every row, keyed by the same name, and tests/test_semantics_agree.py
evaluates both on random and boundary values. The checker uses `result_type` to type `Op` nodes, so the intervals
here are also what lets the Z3 backend choose the narrowest sort without overflow.

Placeholders in `python`: {0}, {1} the arguments, {w} the bit width of the bits operand or result, {mask} 2**w-1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .ir import BOOL, BitsType, IntType, Type

# Every integer of a spec -- a literal, a constant, either end of the interval of an expression -- has at most
# MAX_INT_BITS bits besides its sign (docs/language.md, "Limits"); the checker reports any that has more. Every width
# and range a spec needs is far inside it. Without it, a few shifts or products make numbers whose decimal text Python
# refuses to write (beyond sys.get_int_max_str_digits(), 4300 digits) in a message, a summary or generated code.
MAX_INT_BITS = 4096


def int_fits(value: int) -> bool:
    """Whether an integer is inside the limit MAX_INT_BITS."""
    return value.bit_length() <= MAX_INT_BITS


@dataclass(frozen=True)
class OpSpec:
    name: str
    symbol: str  # how it is written in the language
    arity: int
    kinds: tuple[str, ...]  # argument kinds: "bool", "int", "bits", "any"
    python: str
    doc: str
    interval: Callable[..., tuple[int, int]] | None = None  # for int results: (lo, hi) from argument intervals

    def result_type(self, args: tuple[Type, ...]) -> Type:
        if self.name in _BOOL_RESULT:
            return BOOL
        if self.interval is not None:
            lo, hi = self.interval(*args)
            return IntType(lo, hi)
        if self.name == "highest" or self.name == "lowest":
            width = args[0].width  # type: ignore[union-attr]
            return IntType(0, width - 1)
        if self.name == "popcount":
            width = args[0].width  # type: ignore[union-attr]
            return IntType(0, width)
        bits = next((a for a in args if isinstance(a, BitsType)), None)
        if bits is None:  # bit(v): its width is not in its argument but in its context, which only the checker knows
            raise ValueError(f"the result width of '{self.name}' comes from its context, not its arguments")
        return bits


def _mul(a: IntType, b: IntType) -> tuple[int, int]:
    products = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]
    return min(products), max(products)


def _ones(n: int) -> int:
    return (1 << n.bit_length()) - 1


_BOOL_RESULT = {"not", "and", "or", "implies", "eq", "ne", "lt", "le", "gt", "ge", "ult", "ule", "ugt", "uge"}

_ROWS = [
    OpSpec("not", "not", 1, ("bool",), "(not {0})", "logical negation"),
    OpSpec("and", "and", 2, ("bool", "bool"), "({0} and {1})", "conjunction (short-circuit, no side effects)"),
    OpSpec("or", "or", 2, ("bool", "bool"), "({0} or {1})", "disjunction"),
    OpSpec("implies", "implies", 2, ("bool", "bool"), "(not {0} or {1})", "implication"),
    OpSpec("eq", "==", 2, ("any", "any"), "({0} == {1})", "equality of two values of one type"),
    OpSpec("ne", "!=", 2, ("any", "any"), "({0} != {1})", "disequality"),
    OpSpec("lt", "<", 2, ("int", "int"), "({0} < {1})", "integer less-than"),
    OpSpec("le", "<=", 2, ("int", "int"), "({0} <= {1})", "integer at-most"),
    OpSpec("gt", ">", 2, ("int", "int"), "({0} > {1})", "integer greater-than"),
    OpSpec("ge", ">=", 2, ("int", "int"), "({0} >= {1})", "integer at-least"),
    OpSpec("ult", "<", 2, ("bits", "bits"), "({0} < {1})", "unsigned less-than of bit vectors"),
    OpSpec("ule", "<=", 2, ("bits", "bits"), "({0} <= {1})", "unsigned at-most"),
    OpSpec("ugt", ">", 2, ("bits", "bits"), "({0} > {1})", "unsigned greater-than"),
    OpSpec("uge", ">=", 2, ("bits", "bits"), "({0} >= {1})", "unsigned at-least"),
    OpSpec("add", "+", 2, ("int", "int"), "({0} + {1})", "integer addition (exact)",
           lambda a, b: (a.lo + b.lo, a.hi + b.hi)),
    OpSpec("sub", "-", 2, ("int", "int"), "({0} - {1})", "integer subtraction (exact)",
           lambda a, b: (a.lo - b.hi, a.hi - b.lo)),
    OpSpec("mul", "*", 2, ("int", "int"), "({0} * {1})", "integer multiplication (exact)", _mul),
    OpSpec("div", "/", 2, ("int", "int"), "({0} // {1})",
           "integer division of a non-negative number by a positive one, rounding down",
           lambda a, b: (a.lo // b.hi, a.hi // b.lo)),
    OpSpec("mod", "%", 2, ("int", "int"), "({0} % {1})",
           "remainder of a non-negative number by a positive one",
           lambda a, b: (0, min(a.hi, b.hi - 1))),
    OpSpec("neg", "-", 1, ("int",), "(-{0})", "integer negation", lambda a: (-a.hi, -a.lo)),
    OpSpec("band", "&", 2, ("int", "int"), "({0} & {1})", "bitwise and of non-negative integers",
           lambda a, b: (0, min(a.hi, b.hi))),
    OpSpec("bor", "|", 2, ("int", "int"), "({0} | {1})", "bitwise or of non-negative integers",
           lambda a, b: (max(a.lo, b.lo), _ones(max(a.hi, b.hi)))),
    OpSpec("bxor", "^", 2, ("int", "int"), "({0} ^ {1})", "bitwise xor of non-negative integers",
           lambda a, b: (0, _ones(max(a.hi, b.hi)))),
    OpSpec("shl", "<<", 2, ("int", "int"), "({0} << {1})", "left shift of a non-negative integer (exact)",
           lambda a, b: (a.lo << b.lo, a.hi << b.hi)),
    OpSpec("shr", ">>", 2, ("int", "int"), "({0} >> {1})", "right shift of a non-negative integer",
           lambda a, b: (a.lo >> b.hi, a.hi >> b.lo)),
    OpSpec("min", "min", 2, ("int", "int"), "min({0}, {1})", "the smaller of two integers",
           lambda a, b: (min(a.lo, b.lo), min(a.hi, b.hi))),
    OpSpec("max", "max", 2, ("int", "int"), "max({0}, {1})", "the larger of two integers",
           lambda a, b: (max(a.lo, b.lo), max(a.hi, b.hi))),
    OpSpec("prio", "prio", 1, ("int",), "({0} >> 4)", "APIC priority class of a vector or TPR: v >> 4",
           lambda a: (a.lo >> 4, a.hi >> 4)),
    OpSpec("bvadd", "+", 2, ("bits", "bits"), "(({0} + {1}) & {mask})", "addition modulo 2**w"),
    OpSpec("bvsub", "-", 2, ("bits", "bits"), "(({0} - {1}) & {mask})", "subtraction modulo 2**w"),
    OpSpec("bvand", "&", 2, ("bits", "bits"), "({0} & {1})", "bitwise and (set intersection)"),
    OpSpec("bvor", "|", 2, ("bits", "bits"), "({0} | {1})", "bitwise or (set union)"),
    OpSpec("bvxor", "^", 2, ("bits", "bits"), "({0} ^ {1})", "bitwise xor"),
    OpSpec("bvnot", "~", 1, ("bits",), "({0} ^ {mask})", "bitwise complement within w bits"),
    OpSpec("bvshl", "<<", 2, ("bits", "int"), "shl({0}, {1}, {w})", "left shift within w bits; by w or more: 0"),
    OpSpec("bvshr", ">>", 2, ("bits", "int"), "({0} >> {1})", "logical right shift; by w or more: 0"),
    OpSpec("bit", "bit", 1, ("int",), "bit({0}, {w})", "the bit vector holding only bit v; 0 if v is out of width"),
    OpSpec("highest", "highest", 1, ("bits",), "highest({0})", "index of the highest set bit, 0 if none"),
    OpSpec("lowest", "lowest", 1, ("bits",), "lowest({0})", "index of the lowest set bit, 0 if none"),
    OpSpec("popcount", "popcount", 1, ("bits",), "popcount({0})", "number of set bits"),
]

OPERATORS: dict[str, OpSpec] = {row.name: row for row in _ROWS}

# Operators that need a non-negative first argument (and, for div/mod, a positive second one): the checker enforces it
# statically from the intervals, so that Python's and Z3's readings of them coincide.
NONNEGATIVE_ARGS = {"div", "mod", "band", "bor", "bxor", "shl", "shr", "prio", "bvshl", "bvshr"}
POSITIVE_DIVISOR = {"div", "mod"}

# Surface syntax -> operator row, by the kind of the (first) operand.
BINARY_INT = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod", "&": "band", "|": "bor", "^": "bxor",
              "<<": "shl", ">>": "shr", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
BINARY_BITS = {"+": "bvadd", "-": "bvsub", "&": "bvand", "|": "bvor", "^": "bvxor", "<<": "bvshl", ">>": "bvshr",
               "<": "ult", "<=": "ule", ">": "ugt", ">=": "uge"}
BUILTINS = {"bit": "bit", "highest": "highest", "lowest": "lowest", "popcount": "popcount", "prio": "prio",
            "min": "min", "max": "max"}
