r"""Narrowing by guards (docs/language.md, "Narrowing"): what a condition, once it holds, says about the integer
values of expressions, so that a value a guard keeps inside a smaller range can index a map over that range.

A fact is an interval for an IR expression (keyed by the expression itself: IR nodes compare structurally, spans
aside). Facts come from comparisons of integers (`v >= 1`, `x < y`, `v != 0`, `v == N`), through `and`, `or`, `not`
and `implies`; the checker gathers them where the language evaluates something only when a condition holds: the
later `requires` of an action and its body, the branches of an `if` (statement or expression), the right operand of
`and` / `implies` (the left holds) and of `or` (the left does not). Every backend evaluates those places lazily or
masks them by the same condition (Python's `and`/`or`/`if-else`, TLA+'s `/\`/`IF`, Z3's terms whose value is
irrelevant when the condition is false), so a narrowed index is read only where its fact holds.

Facts narrow what the checker accepts; they never change an IR type."""

from __future__ import annotations

from typing import Mapping, Optional

from .. import ir
from ..ir import IntType

# An interval lo..hi; lo > hi is the empty interval (contradictory facts: the place is never reached).
Interval = tuple[int, int]
Facts = Mapping[ir.Expr, Interval]

_NEGATE = {"lt": "ge", "le": "gt", "gt": "le", "ge": "lt", "eq": "ne", "ne": "eq"}
_MIRROR = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le", "eq": "eq", "ne": "ne"}


def both(a: Facts, b: Facts) -> dict[ir.Expr, Interval]:
    """The facts of a conjunction: each expression's intervals intersected."""
    out = dict(a)
    for k, (lo, hi) in b.items():
        if k in out:
            olo, ohi = out[k]
            out[k] = (max(lo, olo), min(hi, ohi))
        else:
            out[k] = (lo, hi)
    return out


def either(a: Facts, b: Facts) -> dict[ir.Expr, Interval]:
    """The facts of a disjunction: for an expression both sides bound, the hull of the two intervals."""
    out = {}
    for k, (lo, hi) in a.items():
        if k in b:
            blo, bhi = b[k]
            if lo > hi:
                out[k] = (blo, bhi)
            elif blo > bhi:
                out[k] = (lo, hi)
            else:
                out[k] = (min(lo, blo), max(hi, bhi))
    return out


def facts_of(cond: ir.Expr, holds: bool = True, known: Facts = {}) -> dict[ir.Expr, Interval]:
    """What `cond` being `holds` says about integer expressions, beyond the facts `known` where it is evaluated. The
    operand that is evaluated second in a conjunction is read knowing the first (`d > 0 and c >= d` puts c in 1..)."""
    if isinstance(cond, ir.Op):
        op, args = cond.op, cond.args
        if op == "not":
            return facts_of(args[0], not holds, known)
        if op in ("and", "or", "implies"):
            # the right operand decides only where the left one has the value `go_on` (true for `and` and
            # `implies`, false for `or`), and it is read knowing that; with the other value the left decides alone
            # (`a and b` false, `a or b` and `a implies b` true)
            go_on = op != "or"
            a_on = facts_of(args[0], go_on, known)
            second = both(a_on, facts_of(args[1], holds, both(known, a_on)))
            if (op == "and") == holds:
                return second  # `a and b` holding, `a or b` / `a implies b` failing: only through the right
            return either(facts_of(args[0], not go_on, known), second)
        if op in _NEGATE and len(args) == 2 and all(isinstance(a.type, IntType) for a in args):
            op = op if holds else _NEGATE[op]
            out: dict[ir.Expr, Interval] = {}
            left, right = args
            for x, y, o in ((left, right, op), (right, left, _MIRROR[op])):
                xs, ys = narrowed(x, known), narrowed(y, known)
                if xs is None or ys is None:
                    return {x: (1, 0)}  # evaluated where the facts contradict: this holds nowhere
                bound = _bound(o, xs, ys)
                if bound is not None and bound[0] > bound[1]:
                    return {x: bound}  # `1 < 0`, or `c > 2` of a c in 0..2: this holds nowhere
                if bound is not None and not isinstance(x, ir.Lit):
                    out[x] = bound
            return out
    return {}


def _bound(op: str, x: IntType, y: IntType) -> Optional[Interval]:
    """The interval `x op y` leaves x in, given only y's interval."""
    if op == "lt":
        return (x.lo, min(x.hi, y.hi - 1))
    if op == "le":
        return (x.lo, min(x.hi, y.hi))
    if op == "gt":
        return (max(x.lo, y.lo + 1), x.hi)
    if op == "ge":
        return (max(x.lo, y.lo), x.hi)
    if op == "eq":
        return (max(x.lo, y.lo), min(x.hi, y.hi))
    if op == "ne" and y.lo == y.hi:
        if y.lo == x.lo:
            return (x.lo + 1, x.hi)
        if y.lo == x.hi:
            return (x.lo, x.hi - 1)
    return None


def narrowed(e: ir.Expr, facts: Facts) -> Optional[IntType]:
    """The values `e` can take where `facts` hold: its type cut to its fact, a sum or difference recomputed from its
    operands' (`c - 1` where c is 1..2 is 0..1); None when the facts contradict (the place is never reached). An
    expression the facts say nothing about keeps its type."""
    t = e.type
    assert isinstance(t, IntType)
    if any(lo > hi for lo, hi in facts.values()):
        return None
    if not facts:
        return t
    lo, hi = facts.get(e, (t.lo, t.hi))
    if isinstance(e, ir.Op) and e.op in ("add", "sub"):
        a, b = (narrowed(x, facts) for x in e.args)
        assert a is not None and b is not None
        if e.op == "add":
            lo, hi = max(lo, a.lo + b.lo), min(hi, a.hi + b.hi)
        else:
            lo, hi = max(lo, a.lo - b.hi), min(hi, a.hi - b.lo)
    spans = [(max(a, lo), min(b, hi)) for a, b in t.spans()]
    spans = [(a, b) for a, b in spans if a <= b]
    if not spans:
        return None
    return t if spans == list(t.spans()) else ir.int_set(spans)
