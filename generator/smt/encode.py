"""IR expressions -> Z3 terms over a given state.

`ExprEncoder(system, state).encode(expr, env)` gives the `Value` (see `generator.smt.values`) of an expression, where
`state` maps each state variable to its Value in the state read and `env` binds the locals in scope (action
parameters, lets, quantified variables) by their binders' uids (`ir.Local.uid`), never by name. Quantifiers over
their finite domains are expanded into conjunctions and
disjunctions, map comprehensions into one entry per domain element, and calls of `System.functions` are inlined.
Operators go through the one table `Z3_OPS` (generator/smt/ops.py), keyed like `generator.semantics.OPERATORS`.
"""

from __future__ import annotations

from collections.abc import Mapping

import z3

from .. import ir
from ..ir import BitsType, MapType, RecordType
from .ops import Z3_OPS, apply
from .values import IntV, Value, ite, literal, select, set_bit, store, test_bit

__all__ = ["Z3_OPS", "ExprEncoder", "IntV", "Value"]


def value_key(v: Value) -> object:
    """A hashable identity of a Value (Z3 terms are hash-consed: equal terms have equal ids while alive)."""
    if isinstance(v, IntV):
        return ("i", v.term.get_id(), v.lo, v.hi)
    if isinstance(v, tuple):
        return tuple(value_key(x) for x in v)
    return v.get_id()  # type: ignore[union-attr]


class ExprEncoder:
    """Encodes expressions read in one state (`state`: variable name -> Value).

    Operator applications and calls are memoized on their encoded arguments: specs call the same defs on the same
    registers many times per step (ppr, isrv, pending_vector), and building a 256-bit priority encoder is costly."""

    def __init__(self, system: ir.System, state: Mapping[int, Value]):
        self.functions = {f.name: f for f in system.functions}
        self.state = state
        self._memo: dict[object, tuple[Value, tuple]] = {}

    def _memoized(self, key: object, args: tuple, build) -> Value:
        hit = self._memo.get(key)
        if hit is not None:
            return hit[0]
        out = build()
        self._memo[key] = (out, args)  # keeping the arguments alive keeps their term ids unique
        return out

    def encode(self, e: ir.Expr, env: Mapping[int, Value] | None = None) -> Value:
        return getattr(self, "_" + type(e).__name__)(e, env or {})

    def boolean(self, e: ir.Expr, env: Mapping[int, Value] | None = None) -> z3.BoolRef:
        out = self.encode(e, env)
        assert isinstance(out, z3.BoolRef), e
        return out

    def _Lit(self, e: ir.Lit, env: Mapping[int, Value]) -> Value:
        return literal(e.value, e.type)

    def _Var(self, e: ir.Var, env: Mapping[int, Value]) -> Value:
        return self.state[e.name]

    def _Local(self, e: ir.Local, env: Mapping[int, Value]) -> Value:
        return env[e.uid]

    def _Op(self, e: ir.Op, env: Mapping[int, Value]) -> Value:
        if e.op in ("and", "or", "implies"):
            # short-circuit on a constant left side: expanded quantifiers produce many of these
            left = self.boolean(e.args[0], env)
            if z3.is_false(left):  # false and x = false; false or x = x; false implies x = true
                return self.boolean(e.args[1], env) if e.op == "or" else z3.BoolVal(e.op == "implies")
            if z3.is_true(left):
                return z3.BoolVal(True) if e.op == "or" else self.boolean(e.args[1], env)
            right = self.boolean(e.args[1], env)
            if z3.is_true(right):  # an instance's fixed parameters often decide the right side (src != dst)
                return left if e.op == "and" else z3.BoolVal(True)
            if z3.is_false(right):
                return z3.BoolVal(False) if e.op == "and" else left if e.op == "or" else z3.Not(left)
            return Z3_OPS[e.op]((left, right), e.type)
        args = tuple(self.encode(a, env) for a in e.args)
        key = ("op", e.op, e.type, value_key(args))
        return self._memoized(key, args, lambda: apply(e.op, args, tuple(a.type for a in e.args), e.type))

    def _Index(self, e: ir.Index, env: Mapping[int, Value]) -> Value:
        base = self.encode(e.base, env)
        index = self.encode(e.index, env)
        if isinstance(e.base.type, BitsType):
            assert isinstance(index, IntV)
            return test_bit(base, index)  # type: ignore[arg-type]
        assert isinstance(e.base.type, MapType)
        return select(base, index, e.base.type.domain)  # type: ignore[arg-type]

    def _Field(self, e: ir.Field, env: Mapping[int, Value]) -> Value:
        assert isinstance(e.base.type, RecordType)
        return self.encode(e.base, env)[e.base.type.field_index(e.name)]  # type: ignore[index]

    def _Ite(self, e: ir.Ite, env: Mapping[int, Value]) -> Value:
        cond = self.boolean(e.cond, env)
        if z3.is_true(cond):
            return self.encode(e.then, env)
        if z3.is_false(cond):
            return self.encode(e.else_, env)
        return ite(cond, self.encode(e.then, env), self.encode(e.else_, env))

    def _Let(self, e: ir.Let, env: Mapping[int, Value]) -> Value:
        return self.encode(e.body, {**env, e.uid: self.encode(e.value, env)})

    def _Quant(self, e: ir.Quant, env: Mapping[int, Value]) -> Value:
        parts = []
        for d in ir.domain_values(e.domain):
            body = self.boolean(e.body, {**env, e.uid: literal(d, e.domain)})
            if e.kind == "forall" and z3.is_false(body) or e.kind == "exists" and z3.is_true(body):
                return body
            if not (z3.is_true(body) or z3.is_false(body)):
                parts.append(body)
        if not parts:
            return z3.BoolVal(e.kind == "forall")
        if len(parts) == 1:
            return parts[0]
        return z3.And(parts) if e.kind == "forall" else z3.Or(parts)

    def _MapLit(self, e: ir.MapLit, env: Mapping[int, Value]) -> Value:
        return tuple(self.encode(e.body, {**env, e.uid: literal(d, e.domain)}) for d in ir.domain_values(e.domain))

    def _RecordLit(self, e: ir.RecordLit, env: Mapping[int, Value]) -> Value:
        return tuple(self.encode(v, env) for v in e.values)

    def _Call(self, e: ir.Call, env: Mapping[int, Value]) -> Value:
        f = self.functions[e.func]
        values = tuple(self.encode(a, env) for a in e.args)
        args = {p.uid: v for p, v in zip(f.params, values)}
        # a def sees only its parameters
        return self._memoized(("call", e.func, value_key(values)), values, lambda: self.encode(f.body, args))

    def _Update(self, e: ir.Update, env: Mapping[int, Value]) -> Value:
        base = self.encode(e.base, env)
        value = self.encode(e.value, env)
        if e.field_name is not None:
            assert isinstance(e.type, RecordType)
            i = e.type.field_index(e.field_name)
            return base[:i] + (value,) + base[i + 1:]  # type: ignore[index,operator]
        assert e.index is not None
        index = self.encode(e.index, env)
        if isinstance(e.type, BitsType):
            return set_bit(base, index, value)  # type: ignore[arg-type]
        assert isinstance(e.type, MapType)
        return store(base, index, e.type.domain, value)  # type: ignore[arg-type]
