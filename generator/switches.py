"""Design switches: conditions that constants alone decide.

Specs hold a buggy and a fixed design in one file with a constant (`const FIXED: bool = true`, `if FIXED { ... }`,
`requires not FIXED and ...`; `-D FIXED=false` selects the other design). The checker writes every constant it
substitutes as an `ir.Lit` naming it (`Lit.const`); `switched_off` folds a condition over those literals alone, with
everything else unknown, and says which constants make it false. A target whose condition they make false (an action
whose guard, a branch whose path, a coverage target whose condition reads `not FIXED` while FIXED is true) is switched
off by the design chosen, not dead code: gen lists it apart, naming the constants and their values.

The folding is three-valued and exact where it answers: a known value is the value the condition has in every state
and for every parameter, because only literals are known (and `a and b` is false as soon as one side is false, `a or
b` true as soon as one side is true). It never calls a condition false that some state could make true."""

from __future__ import annotations

from . import ir

_UNKNOWN = object()


def switched_off(cond: ir.Expr | None) -> tuple[str, ...]:
    """The constants whose values alone make `cond` false (sorted), or () when it is not so decided (it reads state
    or parameters, or no constant is involved: a literal `false` written as such is not a switch)."""
    if cond is None:
        return ()
    value, consts = _fold(cond)
    return tuple(sorted(consts)) if value is False and consts else ()


def describe(system: ir.System, consts: tuple[str, ...]) -> str:
    """`FIXED = true`, `MODE = 2, FIXED = false`: the constants as the spec's text would write their values."""
    values = {c.name: c.value for c in system.constants}
    return ", ".join(f"{n} = {str(values[n]).lower() if isinstance(values[n], bool) else values[n]}"
                     for n in consts if n in values)


_COMPARE = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
            "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}


def _fold(e: ir.Expr) -> tuple[object, frozenset[str]]:
    """(the value of `e` if literals alone decide it, else _UNKNOWN; the constants that decided it)."""
    if isinstance(e, ir.Lit):
        return e.value, frozenset((e.const,)) if e.const else frozenset()
    if isinstance(e, ir.Ite):
        c, cc = _fold(e.cond)
        if c is True or c is False:
            v, vc = _fold(e.then if c else e.else_)
            return v, cc | vc
        return _UNKNOWN, frozenset()
    if not isinstance(e, ir.Op):
        return _UNKNOWN, frozenset()
    if e.op == "not":
        v, c = _fold(e.args[0])
        return (not v, c) if isinstance(v, bool) else (_UNKNOWN, frozenset())
    if e.op in ("and", "or", "implies"):
        (a, ac), (b, bc) = _fold(e.args[0]), _fold(e.args[1])
        if e.op == "implies":
            a = (not a) if isinstance(a, bool) else _UNKNOWN
        absorbing = e.op in ("or", "implies")  # true absorbs `or`, false absorbs `and`
        for v, c in ((a, ac), (b, bc)):
            if v is absorbing:
                return absorbing, c
        if isinstance(a, bool) and isinstance(b, bool):
            return not absorbing, ac | bc
        return _UNKNOWN, frozenset()
    if e.op in _COMPARE and len(e.args) == 2:
        (a, ac), (b, bc) = _fold(e.args[0]), _fold(e.args[1])
        if a is not _UNKNOWN and b is not _UNKNOWN and type(a) is type(b):
            return _COMPARE[e.op](a, b), ac | bc
    return _UNKNOWN, frozenset()
