"""The Z3 reading of every operator of `generator.semantics.OPERATORS`, in a table keyed by the same names.

A builder takes the argument Values (see `generator.smt.values`) and the result type, and returns the result Value.
Integer results get the interval the semantics table computes from the arguments' actual intervals (which may be
narrower than the IR's, e.g. inside an expanded quantifier), and every integer operation is done in a width that holds
its exact result, so none wraps. tests/test_semantics_agree.py holds each builder to the row's Python reading.
"""

from __future__ import annotations

from collections.abc import Callable

import z3

from .. import ir
from ..ir import BitsType, IntType
from ..semantics import OPERATORS
from .values import IntV, Value, bit_of, const_int, eq, int_cmp, make_int, resize, shift_bits, signed_width

Builder = Callable[[tuple, ir.Type], Value]


def _int_op(fn: Callable[[z3.BitVecRef, z3.BitVecRef], z3.BitVecRef]) -> Builder:
    """A binary integer operator computed in a width holding both operands and the exact result."""

    def build(args: tuple, result: ir.Type) -> Value:
        a, b = args
        assert isinstance(result, IntType)
        w = max(a.width, b.width, signed_width(result.lo, result.hi))
        return make_int(fn(resize(a.term, w), resize(b.term, w)), result.lo, result.hi)

    return build


def _neg(args: tuple, result: ir.Type) -> Value:
    (a,) = args
    assert isinstance(result, IntType)
    w = max(a.width, signed_width(result.lo, result.hi))
    return make_int(-resize(a.term, w), result.lo, result.hi)


def _prio(args: tuple, result: ir.Type) -> Value:
    (a,) = args
    assert isinstance(result, IntType)
    term = resize(a.term, max(a.width, 4))  # the constant 4 must fit the width of the shifted term
    return make_int(z3.LShR(term, 4), result.lo, result.hi)


def _bool_bit(cond: z3.BoolRef) -> z3.BitVecRef:
    return z3.If(cond, z3.BitVecVal(1, 1), z3.BitVecVal(0, 1))


def _pad_pow2(b: z3.BitVecRef) -> tuple[z3.BitVecRef, int]:
    """`b` zero-extended to a power-of-two width (zeros above change neither highest nor lowest of a non-zero b)."""
    width = b.size()
    n = 1 << (width - 1).bit_length()
    return (z3.ZeroExt(n - width, b) if n > width else b), n


def _bit_search(b: z3.BitVecRef, highest: bool) -> z3.BitVecRef:
    """The index of the highest (or lowest) set bit by binary search: each level tests one half and keeps the half
    that holds the bit sought, which gives one bit of the index. O(width) gates and log2(width) levels, rather than a
    width-long if-chain. The index is meaningless when no bit is set (callers handle 0)."""
    x, n = _pad_pow2(b)
    index = []
    while n > 1:
        half = n // 2
        upper, lower = z3.Extract(n - 1, half, x), z3.Extract(half - 1, 0, x)
        go_up = (upper != 0) if highest else (lower == 0)
        index.append(_bool_bit(go_up))
        x, n = z3.If(go_up, upper, lower), half
    return z3.ZeroExt(1, z3.Concat(index) if len(index) > 1 else index[0])


def _highest(args: tuple, result: ir.Type) -> Value:
    """Index of the highest set bit; 0 when none is set (the search then descends to bit 0 by itself)."""
    (b,) = args
    if b.size() == 1:
        return IntV(z3.BitVecVal(0, 1), 0, 0)
    return make_int(_bit_search(b, highest=True), 0, b.size() - 1)


def _lowest(args: tuple, result: ir.Type) -> Value:
    """Index of the lowest set bit; 0 when none is set."""
    (b,) = args
    width = b.size()
    if width == 1:
        return IntV(z3.BitVecVal(0, 1), 0, 0)
    out = make_int(_bit_search(b, highest=False), 0, width - 1)
    return IntV(z3.If(b == 0, z3.BitVecVal(0, out.width), out.term), 0, width - 1)


def _popcount(args: tuple, result: ir.Type) -> Value:
    (b,) = args
    width = b.size()
    w = signed_width(0, width)
    return IntV(z3.Sum([z3.ZeroExt(w - 1, z3.Extract(i, i, b)) for i in range(width)]) if width > 1
                else z3.ZeroExt(w - 1, b), 0, width)


def _bit(args: tuple, result: ir.Type) -> Value:
    (v,) = args
    assert isinstance(result, BitsType)
    return bit_of(v, result.width)


def _cmp(op: str, swap: bool) -> Builder:
    def build(args: tuple, result: ir.Type) -> Value:
        a, b = args
        return int_cmp(b, a, op) if swap else int_cmp(a, b, op)

    return build


def _min_max(smaller: bool) -> Builder:
    def build(args: tuple, result: ir.Type) -> Value:
        a, b = args
        assert isinstance(result, IntType)
        w = max(a.width, b.width)
        x, y = resize(a.term, w), resize(b.term, w)
        return make_int(z3.If(x < y, x, y) if smaller else z3.If(x < y, y, x), result.lo, result.hi)

    return build


Z3_OPS: dict[str, Builder] = {
    "not": lambda a, r: z3.Not(a[0]),
    "and": lambda a, r: z3.And(a[0], a[1]),
    "or": lambda a, r: z3.Or(a[0], a[1]),
    "implies": lambda a, r: z3.Implies(a[0], a[1]),
    "eq": lambda a, r: eq(a[0], a[1]),
    "ne": lambda a, r: z3.Not(eq(a[0], a[1])),
    "lt": _cmp("<", False),
    "le": _cmp("<=", False),
    "gt": _cmp("<", True),
    "ge": _cmp("<=", True),
    "ult": lambda a, r: z3.ULT(a[0], a[1]),
    "ule": lambda a, r: z3.ULE(a[0], a[1]),
    "ugt": lambda a, r: z3.UGT(a[0], a[1]),
    "uge": lambda a, r: z3.UGE(a[0], a[1]),
    "add": _int_op(lambda x, y: x + y),
    "sub": _int_op(lambda x, y: x - y),
    "mul": _int_op(lambda x, y: x * y),
    # div, mod, band, bor, bxor and the shifts take non-negative operands (checked statically), whose signed
    # representation is also their unsigned one, so the unsigned Z3 operators give the exact result.
    "div": _int_op(z3.UDiv),
    "mod": _int_op(z3.URem),
    "neg": _neg,
    "band": _int_op(lambda x, y: x & y),
    "bor": _int_op(lambda x, y: x | y),
    "bxor": _int_op(lambda x, y: x ^ y),
    "shl": _int_op(lambda x, y: x << y),
    "shr": _int_op(z3.LShR),
    "min": _min_max(True),
    "max": _min_max(False),
    "prio": _prio,
    "bvadd": lambda a, r: a[0] + a[1],
    "bvsub": lambda a, r: a[0] - a[1],
    "bvand": lambda a, r: a[0] & a[1],
    "bvor": lambda a, r: a[0] | a[1],
    "bvxor": lambda a, r: a[0] ^ a[1],
    "bvnot": lambda a, r: ~a[0],
    "bvshl": lambda a, r: shift_bits(a[0], a[1], left=True),
    "bvshr": lambda a, r: shift_bits(a[0], a[1], left=False),
    "bit": _bit,
    "highest": _highest,
    "lowest": _lowest,
    "popcount": _popcount,
}


def value_type(v: Value, fallback: ir.Type) -> ir.Type:
    """The type to give the semantics table for an argument: integers by their actual interval."""
    if isinstance(v, IntV):
        return IntType(v.lo, v.hi)
    if isinstance(v, z3.BitVecRef) and isinstance(fallback, BitsType):
        return BitsType(v.size())
    return fallback


def apply(op: str, args: tuple, arg_types: tuple[ir.Type, ...], node_type: ir.Type) -> Value:
    """Apply operator `op` to encoded arguments. `arg_types` are the IR types of the arguments and `node_type` the IR
    type of the result (it gives the width of bit(...)); integer results get their interval from the actual
    arguments. Operators on constants are folded, so that constant map and bit indices stay constant."""
    spec = OPERATORS[op]
    if op == "bit" or isinstance(node_type, (ir.BoolType, BitsType)) and op not in ("highest", "lowest", "popcount"):
        result = node_type
    else:
        result = spec.result_type(tuple(value_type(v, t) for v, t in zip(args, arg_types)))
    out = Z3_OPS[op](args, result)
    if all(_is_constant(a) for a in args):
        if isinstance(out, IntV):
            return IntV(z3.simplify(out.term), out.lo, out.hi)
        return z3.simplify(out)
    return out


def _is_constant(v: Value) -> bool:
    if isinstance(v, IntV):
        return const_int(v) is not None
    if isinstance(v, tuple):
        return all(_is_constant(x) for x in v)
    return z3.is_bv_value(v) or z3.is_true(v) or z3.is_false(v)


assert set(Z3_OPS) == set(OPERATORS), set(OPERATORS) ^ set(Z3_OPS)
