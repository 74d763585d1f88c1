"""How IR values are represented as Z3 terms while an expression is encoded (a `Value`), and the structural
operations on them (if-then-else, equality, bit tests and updates, map reads and writes).

- bool: a Z3 Bool;
- integer: an `IntV`, a two's-complement bit vector just wide enough (signed) for the interval the value is known to
  lie in, with that interval. Every integer operator extends its operands to a width that holds its exact result, so
  arithmetic never wraps: the interval arithmetic of `generator.semantics` is what makes the widths finite;
- bits[N]: a Z3 BitVec(N);
- enum: a Z3 BitVec holding the index of the member, as narrow as the member count allows;
- record: a tuple of field values in declaration order; map: a tuple of values, one per domain element in order (maps
  are flattened: a symbolic index reads through an if-chain over the positions it may take).

How state variables and parameters are stored (one Z3 constant per scalar part) is `generator.smt.storage`.
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from .. import ir
from ..ir import BitsType, BoolType, EnumType, IntType, MapType, RecordType


def signed_width(lo: int, hi: int) -> int:
    """The width of the narrowest two's-complement bit vector holding every integer in lo..hi."""

    def one(x: int) -> int:
        return (x.bit_length() if x >= 0 else (-x - 1).bit_length()) + 1

    return max(one(lo), one(hi))


@dataclass(frozen=True)
class IntV:
    """An integer value: `term` (signed, exactly `signed_width(lo, hi)` wide) and the interval lo..hi it lies in."""

    term: z3.BitVecRef
    lo: int
    hi: int

    @property
    def width(self) -> int:
        return self.term.size()

    @property
    def type(self) -> IntType:
        return IntType(self.lo, self.hi)


Value = z3.BoolRef | IntV | z3.BitVecRef | tuple


def resize(term: z3.BitVecRef, width: int) -> z3.BitVecRef:
    """A signed bit vector brought to `width`: sign-extended, or cut to its low bits (exact when the value fits)."""
    size = term.size()
    if size == width:
        return term
    if size < width:
        return z3.SignExt(width - size, term)
    return z3.Extract(width - 1, 0, term)


def make_int(term: z3.BitVecRef, lo: int, hi: int) -> IntV:
    """An IntV of interval lo..hi from a signed term of any width that holds the value exactly."""
    return IntV(resize(term, signed_width(lo, hi)), lo, hi)


def int_const(n: int) -> IntV:
    return IntV(z3.BitVecVal(n, signed_width(n, n)), n, n)


def const_int(v: IntV) -> int | None:
    """The integer of a constant IntV, None when it is symbolic."""
    if z3.is_bv_value(v.term):
        return v.term.as_signed_long()
    return None


def enum_width(t: EnumType) -> int:
    return ir.bits_needed(len(t.members))


def literal(value: object, t: ir.Type) -> Value:
    """The Value of an IR value (see `generator.ir`) of type `t`."""
    if isinstance(t, BoolType):
        return z3.BoolVal(bool(value))
    if isinstance(t, IntType):
        return int_const(int(value))  # type: ignore[call-overload]
    if isinstance(t, BitsType):
        return z3.BitVecVal(int(value), t.width)  # type: ignore[call-overload]
    if isinstance(t, EnumType):
        return z3.BitVecVal(t.members.index(value), enum_width(t))  # type: ignore[arg-type]
    if isinstance(t, RecordType):
        return tuple(literal(v, ft) for v, (_, ft) in zip(value, t.fields))  # type: ignore[call-overload]
    if isinstance(t, MapType):
        return tuple(literal(v, t.codomain) for v in value)  # type: ignore[union-attr]
    raise TypeError(t)


# ------------------------------------------------------------------------------------------------ structural operations


def ite(cond: z3.BoolRef, a: Value, b: Value) -> Value:
    """`if cond then a else b` on values of one type (integers of different intervals are joined)."""
    if z3.is_true(cond) or a is b:
        return a
    if z3.is_false(cond):
        return b
    if isinstance(a, tuple):
        return tuple(ite(cond, x, y) for x, y in zip(a, b))  # type: ignore[arg-type]
    if isinstance(a, IntV):
        assert isinstance(b, IntV)
        if (a.lo, a.hi) == (b.lo, b.hi) and a.term.eq(b.term):
            return a
        lo, hi = min(a.lo, b.lo), max(a.hi, b.hi)
        w = signed_width(lo, hi)
        return IntV(z3.If(cond, resize(a.term, w), resize(b.term, w)), lo, hi)
    if a.eq(b):  # type: ignore[union-attr]
        return a
    return z3.If(cond, a, b)


def eq(a: Value, b: Value) -> z3.BoolRef:
    """Equality of two values of one type."""
    if isinstance(a, tuple):
        return z3.And([eq(x, y) for x, y in zip(a, b)])  # type: ignore[arg-type]
    if isinstance(a, IntV):
        assert isinstance(b, IntV)
        if a.hi < b.lo or b.hi < a.lo:
            return z3.BoolVal(False)
        w = max(a.width, b.width)
        return resize(a.term, w) == resize(b.term, w)
    return a == b  # type: ignore[return-value]


def int_cmp(a: IntV, b: IntV, op: str) -> z3.BoolRef:
    """Signed comparison ('<', '<=') of two integers of any intervals."""
    w = max(a.width, b.width)
    x, y = resize(a.term, w), resize(b.term, w)
    return x < y if op == "<" else x <= y


def in_range(v: IntV, t: IntType) -> z3.BoolRef:
    """Whether an integer is a value of `t`: lies in lo..hi, or in one of the runs of a set (constant-folded when its
    interval decides it)."""
    if t.runs is not None:
        if t.contains(v.type):
            return z3.BoolVal(True)
        near = [IntType(lo, hi) for lo, hi in t.runs if lo <= v.hi and v.lo <= hi]
        if not near:
            return z3.BoolVal(False)
        return z3.Or([in_range(v, run) for run in near]) if len(near) > 1 else in_range(v, near[0])
    if t.lo <= v.lo and v.hi <= t.hi:
        return z3.BoolVal(True)
    parts = []
    if v.lo < t.lo:
        parts.append(int_cmp(int_const(t.lo), v, "<="))
    if v.hi > t.hi:
        parts.append(int_cmp(v, int_const(t.hi), "<="))
    return z3.And(parts) if len(parts) > 1 else parts[0]


def _amount(v: IntV, width: int) -> tuple[z3.BoolRef | None, z3.BitVecRef]:
    """A bit index or shift amount as a `width`-bit vector, with the condition under which that vector is exact.

    Z3 shifts by `width` or more give 0, which is the meaning wanted; only negative amounts and amounts of 2**width or
    more (which would wrap when cut to `width` bits) need the condition."""
    term = resize(v.term, width) if v.width < width else z3.Extract(width - 1, 0, v.term)
    conds = []
    if v.lo < 0:
        conds.append(int_cmp(int_const(0), v, "<="))
    if v.hi >= 1 << width:
        conds.append(int_cmp(v, int_const(width), "<"))
    if not conds:
        return None, term
    return (z3.And(conds) if len(conds) > 1 else conds[0]), term


def shift_bits(base: z3.BitVecRef, amount: IntV, left: bool) -> z3.BitVecRef:
    """`base << amount` or `base >> amount` (logical) within the width of base; by the width or more: 0."""
    width = base.size()
    cond, amt = _amount(amount, width)
    shifted = base << amt if left else z3.LShR(base, amt)
    if cond is None:
        return shifted
    return z3.If(cond, shifted, z3.BitVecVal(0, width))


def bit_of(index: IntV, width: int) -> z3.BitVecRef:
    """The `width`-bit vector with only bit `index` set; 0 when the index lies outside 0..width-1."""
    k = const_int(index)
    if k is not None:
        return z3.BitVecVal(1 << k if 0 <= k < width else 0, width)
    return shift_bits(z3.BitVecVal(1, width), index, left=True)


def test_bit(base: z3.BitVecRef, index: IntV) -> z3.BoolRef:
    """Bit `index` of `base`; false outside 0..width-1.

    A symbolic index selects through a binary mux tree, one index bit per level (width - 1 muxes), rather than a
    full barrel shifter of which only one output bit is used."""
    width = base.size()
    k = const_int(index)
    if k is not None:
        return z3.Extract(k, k, base) == 1 if 0 <= k < width else z3.BoolVal(False)
    levels = (width - 1).bit_length()
    n = 1 << levels
    x = z3.ZeroExt(n - width, base) if n > width else base
    conds = []
    if index.lo < 0:
        conds.append(int_cmp(int_const(0), index, "<="))
    if index.hi >= width:
        conds.append(int_cmp(index, int_const(width), "<"))
    if levels == 0:
        bit = z3.Extract(0, 0, x) == 1
    else:
        sel = resize(index.term, levels) if index.width < levels else z3.Extract(levels - 1, 0, index.term)
        while n > 1:
            half = n // 2
            chosen = z3.Extract(half.bit_length() - 1, half.bit_length() - 1, sel) == 1
            x, n = z3.If(chosen, z3.Extract(n - 1, half, x), z3.Extract(half - 1, 0, x)), half
        bit = x == 1
    return z3.And(*conds, bit) if conds else bit


def set_bit(base: z3.BitVecRef, index: IntV, flag: z3.BoolRef) -> z3.BitVecRef:
    """`base` with bit `index` set to `flag`; unchanged when the index lies outside its width."""
    mask = bit_of(index, base.size())
    if z3.is_true(flag):
        return base | mask
    if z3.is_false(flag):
        return base & ~mask
    return z3.If(flag, base | mask, base & ~mask)


def domain_index(index: Value, domain: IntType | EnumType) -> list[tuple[int, z3.BoolRef]]:
    """The positions in `domain` an index may denote, each with the condition that it does (a constant index gives
    one position under `True`). Integer indices only range over their interval (and a set's members in it)."""
    if isinstance(domain, EnumType):
        assert isinstance(index, z3.BitVecRef)
        if z3.is_bv_value(index):
            return [(index.as_long(), z3.BoolVal(True))]
        return [(i, index == i) for i in range(len(domain.members))]
    assert isinstance(index, IntV)
    k = const_int(index)
    if k is not None:
        return [(ir.domain_position(domain, k), z3.BoolVal(True))]
    if domain.runs is None:
        lo, hi = max(index.lo, domain.lo), min(index.hi, domain.hi)
        return [(d - domain.lo, index.term == z3.BitVecVal(d, index.width)) for d in range(lo, hi + 1)]
    return [(pos, index.term == z3.BitVecVal(d, index.width)) for pos, d in enumerate(ir.domain_values(domain))
            if index.lo <= d <= index.hi]


def select(entries: tuple, index: Value, domain: IntType | EnumType) -> Value:
    """`map[index]` over the flattened entries: an if-chain over the positions the index may take."""
    cands = domain_index(index, domain)
    out = entries[cands[-1][0]]  # the checker keeps map indices inside the domain, so the last candidate is the rest
    for pos, cond in reversed(cands[:-1]):
        out = ite(cond, entries[pos], out)
    return out


def store(entries: tuple, index: Value, domain: IntType | EnumType, value: Value) -> tuple:
    """`map` with the entry at `index` replaced by `value`."""
    out = list(entries)
    for pos, cond in domain_index(index, domain):
        out[pos] = ite(cond, value, out[pos])
    return tuple(out)
