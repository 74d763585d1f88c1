"""IR expressions and action bodies evaluated on concrete values (the IR value representation of `generator.ir`).

What the trace printer needs to say about a step that the states alone do not: which parts the action wrote on the
branch it took (a write may leave a value as it was: the second IPI that merges into a still-set IRR bit), and which
conjuncts or disjuncts of an invariant are false at its witness.

One semantics: every operator means what the `python` column of `generator.semantics.OPERATORS` says. Each template is
read once with `ast` into a function over Python's operators and `irqspec.runtime.values` (nothing is passed to eval or
compile), so the generated model, which is rendered from the same column, and this reading cannot drift apart;
tests/test_evaluate.py holds the two against each other on random states of the shipped and random specs. Statements
mean what `irqspec.pybackend.codegen` makes of them: every right-hand side and index is read in the pre-state, assignments
apply in source order (a later write through an equal index wins), a range-checked value outside its target raises
`RangeViolation` with the generated model's message.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import irqspec.runtime.values as rv
from irqspec.runtime.values import RangeViolation

from . import ir
from .semantics import OPERATORS

State = Mapping[str, object]
Env = Mapping[int, object]

# ------------------------------------------------------------------------------------------- the operator table, read

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod, ast.BitAnd: operator.and_, ast.BitOr: operator.or_, ast.BitXor: operator.xor,
    ast.LShift: operator.lshift, ast.RShift: operator.rshift,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.Not: operator.not_, ast.USub: operator.neg, ast.Invert: operator.invert}
_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
# the functions a template may call: the runtime's (as the generated module imports them) and two builtins
_CALLS: dict[str, Callable[..., Any]] = {"bit": rv.bit, "test_bit": rv.test_bit, "set_bit": rv.set_bit,
                                         "highest": rv.highest, "lowest": rv.lowest, "popcount": rv.popcount,
                                         "shl": rv.shl, "min": min, "max": max}

Reading = Callable[[tuple], Any]  # the arguments' values -> the result


def _read(node: ast.AST) -> Reading:
    """A template's syntax tree as a function of the argument tuple (placeholders are the names _0, _1)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        value = node.value
        return lambda args: value
    if isinstance(node, ast.Name) and node.id.startswith("_") and node.id[1:].isdigit():
        i = int(node.id[1:])
        return lambda args: args[i]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        fn, left, right = _BINARY[type(node.op)], _read(node.left), _read(node.right)
        return lambda args: fn(left(args), right(args))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        fn1, operand = _UNARY[type(node.op)], _read(node.operand)
        return lambda args: fn1(operand(args))
    if isinstance(node, ast.BoolOp):
        parts = [_read(v) for v in node.values]
        if isinstance(node.op, ast.And):
            return lambda args: all(p(args) for p in parts)
        return lambda args: any(p(args) for p in parts)
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        first = _read(node.left)
        chain = [(_COMPARE[type(op)], _read(c)) for op, c in zip(node.ops, node.comparators)]

        def compare(args: tuple) -> bool:
            left_value = first(args)
            for fn2, right in chain:
                right_value = right(args)
                if not fn2(left_value, right_value):
                    return False
                left_value = right_value
            return True

        return compare
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _CALLS and not node.keywords:
        fn3, call_args = _CALLS[node.func.id], [_read(a) for a in node.args]
        return lambda args: fn3(*(a(args) for a in call_args))
    raise TypeError(f"an operator template uses {ast.dump(node)}, which generator/evaluate.py does not read")


@cache
def operator_reading(name: str, width: int | None) -> Reading:
    """The Python reading of row `name` of OPERATORS at bit width `width` (None: no bits operand or result)."""
    row = OPERATORS[name]
    extra = {} if width is None else {"w": width, "mask": (1 << width) - 1}
    text = row.python.format(*(f"_{i}" for i in range(row.arity)), **extra)
    return _read(ast.parse(text, mode="eval").body)


def _width(e: ir.Op) -> int | None:
    """The bit width a row's {w} and {mask} stand for (as irqspec.pybackend.pyexpr picks it)."""
    if isinstance(e.type, ir.BitsType):
        return e.type.width
    return next((a.type.width for a in e.args if isinstance(a.type, ir.BitsType)), None)


# ----------------------------------------------------------------------------------------------------- expressions


def position(key: object, domain: ir.Type) -> int:
    """Where the entry of map key `key` sits in a map value (a tuple over the domain in order)."""
    if isinstance(domain, (ir.IntType, ir.EnumType)):
        return ir.domain_position(domain, key)
    raise TypeError(f"not a map domain: {domain}")


class Evaluator:
    """Evaluates the expressions of one system; `state` maps variable names to values, `env` binder uids to values."""

    def __init__(self, system: ir.System):
        self.functions = {f.name: f for f in system.functions}

    def value(self, e: ir.Expr, state: State, env: Env | None = None) -> Any:
        return getattr(self, "_" + type(e).__name__)(e, state, env or {})

    def _Lit(self, e: ir.Lit, state: State, env: Env) -> Any:
        return e.value

    def _Var(self, e: ir.Var, state: State, env: Env) -> Any:
        return state[e.name]

    def _Local(self, e: ir.Local, state: State, env: Env) -> Any:
        return env[e.uid]

    def _Op(self, e: ir.Op, state: State, env: Env) -> Any:
        if e.op in ("and", "or", "implies"):
            # lazily, as every backend reads them: a guard may keep the right operand's index in range (narrowing)
            left = bool(self.value(e.args[0], state, env))
            if left != (e.op != "or"):  # the left decides: `and` false, `or` true, `implies` true
                return e.op != "and"
            return bool(self.value(e.args[1], state, env))
        args = tuple(self.value(a, state, env) for a in e.args)
        return operator_reading(e.op, _width(e))(args)

    def _Index(self, e: ir.Index, state: State, env: Env) -> Any:
        base, index = self.value(e.base, state, env), self.value(e.index, state, env)
        t = e.base.type
        if isinstance(t, ir.MapType):
            return base[position(index, t.domain)]
        assert isinstance(t, ir.BitsType)
        return rv.test_bit(base, index, t.width)

    def _Field(self, e: ir.Field, state: State, env: Env) -> Any:
        assert isinstance(e.base.type, ir.RecordType)
        return self.value(e.base, state, env)[e.base.type.field_index(e.name)]

    def _Ite(self, e: ir.Ite, state: State, env: Env) -> Any:
        return self.value(e.then if self.value(e.cond, state, env) else e.else_, state, env)

    def _Let(self, e: ir.Let, state: State, env: Env) -> Any:
        return self.value(e.body, state, {**env, e.uid: self.value(e.value, state, env)})

    def _Quant(self, e: ir.Quant, state: State, env: Env) -> Any:
        values = (self.value(e.body, state, {**env, e.uid: x}) for x in ir.domain_values(e.domain))
        return all(values) if e.kind == "forall" else any(values)

    def _MapLit(self, e: ir.MapLit, state: State, env: Env) -> Any:
        return tuple(self.value(e.body, state, {**env, e.uid: x}) for x in ir.domain_values(e.domain))

    def _RecordLit(self, e: ir.RecordLit, state: State, env: Env) -> Any:
        return tuple(self.value(v, state, env) for v in e.values)

    def _Call(self, e: ir.Call, state: State, env: Env) -> Any:
        f = self.functions[e.func]
        inner = {p.uid: self.value(a, state, env) for p, a in zip(f.params, e.args)}
        return self.value(f.body, state, inner)  # a def sees only its parameters

    def _Update(self, e: ir.Update, state: State, env: Env) -> Any:
        base, value = self.value(e.base, state, env), self.value(e.value, state, env)
        t = e.base.type
        if e.field_name is not None:
            assert isinstance(t, ir.RecordType)
            return _replace(base, t.field_index(e.field_name), value)
        assert e.index is not None
        index = self.value(e.index, state, env)
        if isinstance(t, ir.MapType):
            return _replace(base, position(index, t.domain), value)
        assert isinstance(t, ir.BitsType)
        return rv.set_bit(base, index, value, t.width)


def _replace(values: tuple, i: int, value: object) -> tuple:
    return values[:i] + (value,) + values[i + 1:]


def evaluate(system: ir.System, e: ir.Expr, state: State, env: Env | None = None) -> Any:
    """The value of `e` in `state`, with the locals in `env` (binder uid -> value)."""
    return Evaluator(system).value(e, state, env)


# ------------------------------------------------------------------------------------------------------ statements


@dataclass(frozen=True)
class Write:
    """One assignment that ran: the part of `var` selected by `path` was set to `value`.

    `path` holds concrete selectors, read by the type they step into: a map key (a domain value), a record field name,
    or the index of a single bit of a bits[N] value."""

    var: str
    path: tuple[object, ...]
    value: object
    stmt: ir.Assign
    env: Mapping[int, object] = field(default_factory=dict, compare=False)  # the locals in scope, by binder uid


@dataclass(frozen=True)
class Run:
    """An action taken in a state: the post-state and the assignments that ran, in source order."""

    post: dict[str, object]
    writes: tuple[Write, ...]


def part(value: object, t: ir.Type, path: tuple[object, ...]) -> tuple[object, ir.Type]:
    """The part of `value` (of type `t`) that `path` selects, and its type."""
    for step in path:
        if isinstance(t, ir.MapType):
            value, t = value[position(step, t.domain)], t.codomain  # type: ignore[index]
        elif isinstance(t, ir.RecordType):
            name = str(step)
            value, t = value[t.field_index(name)], t.field_type(name)  # type: ignore[index]
        else:
            assert isinstance(t, ir.BitsType)
            value, t = rv.test_bit(value, step, t.width), ir.BOOL  # type: ignore[arg-type]
    return value, t


def _put(value: object, t: ir.Type, path: tuple[object, ...], new: object) -> object:
    if not path:
        return new
    step, rest = path[0], path[1:]
    if isinstance(t, ir.MapType):
        i = position(step, t.domain)
        return _replace(value, i, _put(value[i], t.codomain, rest, new))  # type: ignore[arg-type, index]
    if isinstance(t, ir.RecordType):
        i = t.field_index(str(step))
        return _replace(value, i, _put(value[i], t.fields[i][1], rest, new))  # type: ignore[arg-type, index]
    assert isinstance(t, ir.BitsType) and not rest
    return rv.set_bit(value, step, bool(new), t.width)  # type: ignore[arg-type]


def enabled(system: ir.System, action: ir.Action, state: State, params: Mapping[str, object]) -> bool:
    """Whether `action`'s guard holds in `state` for `params` (keyed by parameter name)."""
    return bool(evaluate(system, action.guard, state, {p.uid: params[p.name] for p in action.params}))


def run_action(system: ir.System, action: ir.Action, state: State, params: Mapping[str, object]) -> Run:
    """Run `action`'s body in `state` with `params` (the guard is not checked): the post-state and the writes made on
    the branches taken. Raises RangeViolation as the generated model does."""
    ev = Evaluator(system)
    types = {v.name: v.type for v in system.vars}
    env: dict[int, object] = {p.uid: params[p.name] for p in action.params}
    post = dict(state)
    writes: list[Write] = []

    def run(stmts: tuple[ir.Stmt, ...]) -> None:
        for st in stmts:
            if isinstance(st, ir.LetStmt):
                env[st.uid] = ev.value(st.value, state, env)  # uids are unique: no let outlives its block's reach
            elif isinstance(st, ir.If):
                run(st.then if ev.value(st.cond, state, env) else st.else_)
            else:
                path = tuple(ev.value(p.index, state, env) if isinstance(p, ir.IndexStep) else p.name
                             for p in st.path)
                value = ev.value(st.value, state, env)
                if st.range_checked:
                    t = st.target_type
                    assert isinstance(t, ir.IntType)
                    if not t.has(value):  # type: ignore[arg-type]
                        where = st.var + "".join("[..]" if isinstance(p, ir.IndexStep) else f".{p.name}"
                                                 for p in st.path)
                        raise RangeViolation(f"{action.name}: {where} would be {value!r}, outside {t.values_text()}")
                post[st.var] = _put(post[st.var], types[st.var], path, value)
                writes.append(Write(st.var, path, value, st, dict(env)))

    run(action.body)
    return Run(post, tuple(writes))
