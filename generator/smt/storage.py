"""How state variables and parameters are stored: one Z3 constant per scalar part (a `Scalar`), and the conversions
between stored codes, Values (`generator.smt.values`) and IR values.

Records and maps are flattened into their scalar parts, because Spacer and bit-blasting do better on many small
variables than on arrays (and every query goes through Z3's QF_BV tactic, which bit-blasts: arrays would first
need Ackermannization). Storage of one part:
- bool: Bool; bits[N]: BitVec(N); enum: the narrowest BitVec that holds the member index;
- integer range lo..hi: the narrowest unsigned BitVec that holds hi - lo + 1 values. When lo >= 0 and hi itself fits in
  that width the value is stored as it is (so vector numbers read directly, e.g. 16..255 in 8 bits); otherwise value -
  lo is stored (e.g. -3..4 in 3 bits). Widths that hold more codes than the type has values get a validity constraint.
  A set of integers (`IntType.runs`) is stored as its interval lo..hi is; its validity constraint admits only the
  codes of its runs, so a parameter or variable of the type takes only its members.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import z3

from .. import ir
from ..ir import BitsType, BoolType, EnumType, IntType, MapType, RecordType
from .values import IntV, Value, enum_width, literal, make_int, resize, signed_width


@dataclass(frozen=True)
class Scalar:
    """How one scalar part (bool, integer, bits or enum) of a variable or parameter is stored in one Z3 constant."""

    type: BoolType | IntType | BitsType | EnumType
    width: int  # 0 for bool
    offset: int = 0  # integers: the stored number is value - offset

    @staticmethod
    def of(t: ir.Type) -> Scalar:
        if isinstance(t, BoolType):
            return Scalar(t, 0)
        if isinstance(t, BitsType):
            return Scalar(t, t.width)
        if isinstance(t, EnumType):
            return Scalar(t, enum_width(t))
        if isinstance(t, IntType):
            width = ir.bits_needed(t.hi - t.lo + 1)
            direct = t.lo >= 0 and max(1, t.hi.bit_length()) <= width
            return Scalar(t, width, 0 if direct else t.lo)
        raise TypeError(f"not a scalar type: {t}")

    def sort(self) -> z3.SortRef:
        return z3.BoolSort() if self.width == 0 else z3.BitVecSort(self.width)

    def const(self, name: str) -> z3.ExprRef:
        return z3.Const(name, self.sort())

    def valid(self, term: z3.ExprRef) -> z3.BoolRef | None:
        """The constraint that a stored code denotes a value of the type (None when every code does). The codes of an
        integer set are those of its interval; only the codes of its runs are valid."""
        t = self.type
        if isinstance(t, IntType) and t.runs is not None:
            runs = [term == z3.BitVecVal(lo - self.offset, self.width) if lo == hi else
                    self._codes_between(lo - self.offset, hi - self.offset, term) for lo, hi in t.runs]
            # a run never admits every code of the width: the codes of the other runs lie outside it
            return z3.Or([r for r in runs if r is not None])
        count = len(t.members) if isinstance(t, EnumType) else t.hi - t.lo + 1 if isinstance(t, IntType) else 0
        if count == 0:
            return None
        lo = (t.lo - self.offset) if isinstance(t, IntType) else 0
        return self._codes_between(lo, lo + count - 1, term)

    def _codes_between(self, lo: int, hi: int, term: z3.ExprRef) -> z3.BoolRef | None:
        """The constraint lo <= code <= hi (unsigned; None when every code of the width satisfies it)."""
        parts = []
        if lo > 0:
            parts.append(z3.ULE(z3.BitVecVal(lo, self.width), term))
        if hi < (1 << self.width) - 1:
            parts.append(z3.ULE(term, z3.BitVecVal(hi, self.width)))
        if not parts:
            return None
        return z3.And(parts) if len(parts) > 1 else parts[0]

    def read(self, term: z3.ExprRef) -> Value:
        """The Value of a stored code."""
        t = self.type
        if isinstance(t, IntType):
            w = max(signed_width(t.lo, t.hi), self.width + 1, signed_width(self.offset, self.offset))
            x = z3.ZeroExt(w - self.width, term)
            if self.offset:
                x = x + z3.BitVecVal(self.offset, w)
            return make_int(x, t.lo, t.hi)
        return term

    def write(self, value: Value) -> z3.ExprRef:
        """The stored code of a Value (an integer outside the type wraps: range obligations report that case)."""
        if isinstance(self.type, IntType):
            assert isinstance(value, IntV)
            w = max(value.width, self.width + 1, signed_width(self.offset, self.offset))
            x = resize(value.term, w)
            if self.offset:
                x = x - z3.BitVecVal(self.offset, w)
            return z3.Extract(self.width - 1, 0, x)
        return value  # type: ignore[return-value]

    def code(self, value: object) -> z3.ExprRef:
        """The stored code of an IR value, as a Z3 constant."""
        return z3.simplify(self.write(literal(value, self.type)))


def scalars(t: ir.Type, name: str) -> Iterator[tuple[str, Scalar]]:
    """The scalar parts of a value of type `t`, named as in the spec (irr[1], vmcb[0].v_irq), in flattening order."""
    if isinstance(t, RecordType):
        for fname, ft in t.fields:
            yield from scalars(ft, f"{name}.{fname}")
    elif isinstance(t, MapType):
        for d in ir.domain_values(t.domain):
            yield from scalars(t.codomain, f"{name}[{d}]")
    else:
        yield name, Scalar.of(t)


def assemble(t: ir.Type, parts: Iterator[Value]) -> Value:
    """The Value of type `t` from the Values of its scalar parts (in `scalars` order)."""
    if isinstance(t, RecordType):
        return tuple(assemble(ft, parts) for _, ft in t.fields)
    if isinstance(t, MapType):
        return tuple(assemble(t.codomain, parts) for _ in ir.domain_values(t.domain))
    return next(parts)


def flatten(t: ir.Type, value: Value) -> Iterator[Value]:
    """The Values of the scalar parts of `value` (in `scalars` order)."""
    if isinstance(t, RecordType):
        for (_, ft), v in zip(t.fields, value):  # type: ignore[arg-type]
            yield from flatten(ft, v)
    elif isinstance(t, MapType):
        for v in value:  # type: ignore[union-attr]
            yield from flatten(t.codomain, v)
    else:
        yield value


def evaluate(model: z3.ModelRef, value: Value, t: ir.Type) -> object:
    """The IR value of `value` (of type `t`) in `model`."""
    if isinstance(t, BoolType):
        return z3.is_true(model.evaluate(value, model_completion=True))
    if isinstance(t, IntType):
        assert isinstance(value, IntV)
        return model.evaluate(value.term, model_completion=True).as_signed_long()  # type: ignore[attr-defined]
    if isinstance(t, BitsType):
        return model.evaluate(value, model_completion=True).as_long()  # type: ignore[attr-defined]
    if isinstance(t, EnumType):
        index = model.evaluate(value, model_completion=True).as_long()  # type: ignore[attr-defined]
        return t.members[min(index, len(t.members) - 1)]
    if isinstance(t, RecordType):
        return tuple(evaluate(model, v, ft) for v, (_, ft) in zip(value, t.fields))  # type: ignore[call-overload]
    if isinstance(t, MapType):
        return tuple(evaluate(model, v, t.codomain) for v in value)  # type: ignore[union-attr]
    raise TypeError(t)
